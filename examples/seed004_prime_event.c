/* seed004_prime_event.c: the prime finder and printer with two Events.
 *
 * Seed: 004_2633024b5bf1a899.txt, "Events": "Prime printing program using events".
 *
 * Python original:
 *     def printer_thread():
 *         while not exitProg:
 *             prime_available.wait()
 *             print(primeHolder); primeHolder = None
 *             prime_available.clear()
 *             prime_printed.set()
 *     def finder_thread():
 *         ...; primeHolder = i
 *         prime_available.set()
 *         prime_printed.wait()
 *         prime_printed.clear()
 *     ...; exitProg = True; prime_available.set(); prime_printed.set()
 *
 * An Event is a flag that stays set until cleared, so each side clears the flag it
 * waited on before it can be set again for the next prime. prime_holder is ordered
 * by set() before and wait() after.
 */
#include "seed004_primes.h"

static weft_event prime_available, prime_printed;
static atomic_bool exit_prog;
static long prime_holder;

static void *printer_thread(void *arg)
{
    while (!atomic_load(&exit_prog)) {
        CHECK(weft_event_wait(&prime_available, WEFT_FOREVER));
        if (atomic_load(&exit_prog))
            break;
        print_prime(prime_holder);
        prime_holder = 0;
        CHECK(weft_event_clear(&prime_available));
        CHECK(weft_event_set(&prime_printed));
    }
    return NULL;
}

static void *finder_thread(void *arg)
{
    for (long i = 1; !atomic_load(&exit_prog); i++) {
        while (!is_prime(i)) {
            i++;
            demo_sleep(0.01);
        }
        prime_holder = i;
        CHECK(weft_event_set(&prime_available));
        CHECK(weft_event_wait(&prime_printed, WEFT_FOREVER));
        CHECK(weft_event_clear(&prime_printed));
    }
    return NULL;
}

int main(void)
{
    weft_event_init(&prime_available);
    weft_event_init(&prime_printed);
    weft_thread *printer, *finder;
    CHECK(weft_thread_create(&printer, printer_thread, NULL, NULL));
    CHECK(weft_thread_create(&finder, finder_thread, NULL, NULL));
    CHECK(weft_thread_start(printer));
    CHECK(weft_thread_start(finder));
    let_them_run();
    atomic_store(&exit_prog, true);
    CHECK(weft_event_set(&prime_available));
    CHECK(weft_event_set(&prime_printed));
    CHECK(weft_thread_join(printer, WEFT_FOREVER));
    CHECK(weft_thread_join(finder, WEFT_FOREVER));
    weft_thread_destroy(printer);
    weft_thread_destroy(finder);
    weft_event_destroy(&prime_available);
    weft_event_destroy(&prime_printed);
    say("done: %d primes printed\n", atomic_load(&primes_printed));
    return 0;
}
