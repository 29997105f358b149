/* seed004_prime_semaphore.c: the prime finder and printer with two Semaphore(0).
 *
 * Seed: 004_2633024b5bf1a899.txt, "Semaphores": "Rewriting the prime printer
 * program".
 *
 * Python original:
 *     def printer_thread():
 *         while not exitProg:
 *             sem_find.acquire()          # wait for a prime
 *             print(primeHolder); primeHolder = None
 *             sem_print.release()         # let the finder find the next one
 *     def finder_thread():
 *         ...; primeHolder = i
 *         sem_find.release()              # a prime is ready
 *         sem_print.acquire()             # wait until it is printed
 *     sem_find = Semaphore(0); sem_print = Semaphore(0)
 *
 * The seed's main only sets exitProg, so a printer already waiting in
 * sem_find.acquire() can wait forever. Here main releases each semaphore once more
 * after setting exit_prog, and each thread checks exit_prog after it wakes.
 * prime_holder needs no lock: the release that follows the write and the acquire
 * that precedes the read order them.
 */
#include "seed004_primes.h"

static weft_semaphore sem_find, sem_print;
static atomic_bool exit_prog;
static long prime_holder;

static void *printer_thread(void *arg)
{
    while (!atomic_load(&exit_prog)) {
        CHECK(weft_semaphore_acquire(&sem_find, true, WEFT_FOREVER));
        if (atomic_load(&exit_prog))
            break;
        print_prime(prime_holder);
        prime_holder = 0;
        CHECK(weft_semaphore_release(&sem_print, 1));
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
        CHECK(weft_semaphore_release(&sem_find, 1));
        CHECK(weft_semaphore_acquire(&sem_print, true, WEFT_FOREVER));
    }
    return NULL;
}

int main(void)
{
    CHECK(weft_semaphore_init(&sem_find, 0));
    CHECK(weft_semaphore_init(&sem_print, 0));
    weft_thread *printer, *finder;
    CHECK(weft_thread_create(&printer, printer_thread, NULL, NULL));
    CHECK(weft_thread_create(&finder, finder_thread, NULL, NULL));
    CHECK(weft_thread_start(printer));
    CHECK(weft_thread_start(finder));
    let_them_run();
    atomic_store(&exit_prog, true);
    CHECK(weft_semaphore_release(&sem_find, 1));   /* wake whoever waits, to see exit_prog */
    CHECK(weft_semaphore_release(&sem_print, 1));
    CHECK(weft_thread_join(printer, WEFT_FOREVER));
    CHECK(weft_thread_join(finder, WEFT_FOREVER));
    weft_thread_destroy(printer);
    weft_thread_destroy(finder);
    weft_semaphore_destroy(&sem_find);
    weft_semaphore_destroy(&sem_print);
    say("done: %d primes printed\n", atomic_load(&primes_printed));
    return 0;
}
