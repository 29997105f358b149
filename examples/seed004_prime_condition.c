/* seed004_prime_condition.c: the prime finder and printer with a Condition, in the
 * while-loop idiom; main wakes both with notify_all to end.
 *
 * Seed: 004_2633024b5bf1a899.txt, "Condition Variables" (the complete program after
 * "Idiomatic use of wait()").
 *
 * Python original:
 *     def printer_thread_func():
 *         while not exit_prog:
 *             cond_var.acquire()
 *             while not found_prime and not exit_prog:
 *                 cond_var.wait()
 *             cond_var.release()
 *             if not exit_prog:
 *                 print(prime_holder); prime_holder = None
 *                 cond_var.acquire(); found_prime = False
 *                 cond_var.notify(); cond_var.release()
 *     def finder_thread_func():            # after finding prime i:
 *         prime_holder = i
 *         cond_var.acquire(); found_prime = True; cond_var.notify(); cond_var.release()
 *         cond_var.acquire()
 *         while found_prime and not exit_prog: cond_var.wait()
 *         cond_var.release()
 *     ...; exit_prog = True
 *     cond_var.acquire(); cond_var.notifyAll(); cond_var.release()
 *
 * In C, every variable the two threads share is read and written with the
 * condition's lock held (exit_prog too, which the seed reads without it), so there
 * is no data race, and the printer copies the prime while it holds the lock. The
 * while loops are what make this correct: a thread re-checks the predicate after
 * every wakeup. weft's wait never returns spuriously, but notify_all wakes every
 * waiter whether or not its predicate holds.
 */
#include "seed004_primes.h"

static weft_condition cond_var = WEFT_CONDITION_INIT;
static bool found_prime, exit_prog;   /* guarded by cond_var */
static long prime_holder;             /* guarded by cond_var */

static void *printer_thread_func(void *arg)
{
    for (;;) {
        CHECK(weft_condition_acquire(&cond_var, true, WEFT_FOREVER));
        while (!found_prime && !exit_prog)
            CHECK(weft_condition_wait(&cond_var, WEFT_FOREVER));
        bool stop = exit_prog;
        long prime = prime_holder;
        CHECK(weft_condition_release(&cond_var));
        if (stop)
            return NULL;
        print_prime(prime);
        CHECK(weft_condition_acquire(&cond_var, true, WEFT_FOREVER));
        prime_holder = 0;
        found_prime = false;
        CHECK(weft_condition_notify(&cond_var, 1));
        CHECK(weft_condition_release(&cond_var));
    }
}

static void *finder_thread_func(void *arg)
{
    for (long i = 1;; i++) {
        while (!is_prime(i)) {
            i++;
            demo_sleep(0.01);   /* "Add a timer to slow down the thread" */
        }
        CHECK(weft_condition_acquire(&cond_var, true, WEFT_FOREVER));
        if (exit_prog) {
            CHECK(weft_condition_release(&cond_var));
            return NULL;
        }
        prime_holder = i;
        found_prime = true;
        CHECK(weft_condition_notify(&cond_var, 1));
        while (found_prime && !exit_prog)
            CHECK(weft_condition_wait(&cond_var, WEFT_FOREVER));
        CHECK(weft_condition_release(&cond_var));
    }
}

int main(void)
{
    weft_thread *printer, *finder;
    CHECK(weft_thread_create(&printer, printer_thread_func, NULL, NULL));
    CHECK(weft_thread_create(&finder, finder_thread_func, NULL, NULL));
    CHECK(weft_thread_start(printer));
    CHECK(weft_thread_start(finder));
    let_them_run();
    CHECK(weft_condition_acquire(&cond_var, true, WEFT_FOREVER));
    exit_prog = true;
    CHECK(weft_condition_notify_all(&cond_var));
    CHECK(weft_condition_release(&cond_var));
    CHECK(weft_thread_join(printer, WEFT_FOREVER));
    CHECK(weft_thread_join(finder, WEFT_FOREVER));
    weft_thread_destroy(printer);
    weft_thread_destroy(finder);
    say("done: %d primes printed\n", atomic_load(&primes_printed));
    return 0;
}
