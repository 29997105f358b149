/* seed004_prime_busy_wait.c: a finder thread and a printer thread hand primes over
 * through shared flags, polling (busy waiting).
 *
 * Seed: 004_2633024b5bf1a899.txt, "Condition Variables", "Approach 1".
 *
 * Python original:
 *     def printer_thread_func():
 *         while not exit_prog:
 *             while not found_prime and not exit_prog:
 *                 time.sleep(0.1)
 *             if not exit_prog:
 *                 print(prime_holder); prime_holder = None; found_prime = False
 *     def finder_thread_func():
 *         i = 1
 *         while not exit_prog:
 *             while not is_prime(i): i += 1
 *             prime_holder = i; found_prime = True
 *             while found_prime and not exit_prog: time.sleep(0.1)
 *             i += 1
 *
 * The seed notes that Java would need `volatile` here. C needs more: plain shared
 * variables written by one thread and read by another are a data race (undefined
 * behaviour). The flags are C11 atomics (sequentially consistent), and prime_holder
 * is published by the store to found_prime that follows it. The polling itself -
 * a thread waking every 0.1 s to look - is what the next example removes.
 */
#include "seed004_primes.h"

static atomic_bool found_prime, exit_prog;
static long prime_holder;   /* handed over by found_prime: written before it is set */

static void *printer_thread_func(void *arg)
{
    while (!atomic_load(&exit_prog)) {
        while (!atomic_load(&found_prime) && !atomic_load(&exit_prog))
            demo_sleep(0.1);
        if (!atomic_load(&exit_prog)) {
            print_prime(prime_holder);
            prime_holder = 0;
            atomic_store(&found_prime, false);
        }
    }
    return NULL;
}

static void *finder_thread_func(void *arg)
{
    long i = 1;
    while (!atomic_load(&exit_prog)) {
        while (!is_prime(i))
            i++;
        prime_holder = i;
        atomic_store(&found_prime, true);
        while (atomic_load(&found_prime) && !atomic_load(&exit_prog))
            demo_sleep(0.1);
        i++;
    }
    return NULL;
}

int main(void)
{
    weft_thread *printer, *finder;
    CHECK(weft_thread_create(&printer, printer_thread_func, NULL, NULL));
    CHECK(weft_thread_create(&finder, finder_thread_func, NULL, NULL));
    CHECK(weft_thread_start(printer));
    CHECK(weft_thread_start(finder));
    let_them_run();
    atomic_store(&exit_prog, true);
    CHECK(weft_thread_join(printer, WEFT_FOREVER));
    CHECK(weft_thread_join(finder, WEFT_FOREVER));
    weft_thread_destroy(printer);
    weft_thread_destroy(finder);
    say("done: %d primes printed\n", atomic_load(&primes_printed));
    return 0;
}
