/* examples/seed004_primes.h: what the four prime finder/printer programs of
 * 004_2633024b5bf1a899.txt share (seed004_prime_busy_wait.c, _condition.c,
 * _semaphore.c, _event.c).
 *
 * Python:
 *     def is_prime(num):
 *         if num == 2 or num == 3: return True
 *         div = 2
 *         while div <= num / 2:
 *             if num % div == 0: return False
 *             div += 1
 *         return True              # (so 1 counts as prime, as in the seed)
 *     ...; time.sleep(3); exitProg = True; ...
 */
#ifndef WEFT_EXAMPLES_SEED004_PRIMES_H
#define WEFT_EXAMPLES_SEED004_PRIMES_H

#include "demo.h"

static inline bool is_prime(long num)
{
    if (num == 2 || num == 3)
        return true;
    for (long div = 2; div <= num / 2; div++)
        if (num % div == 0)
            return false;
    return true;
}

static atomic_int primes_printed;

static inline void print_prime(long p)
{
    say("%ld\n", p);
    atomic_fetch_add(&primes_printed, 1);
}

/* "Let the threads run for 3 seconds", and at least until 5 primes are out, so that
 * a slow machine still shows the pattern. */
static inline void let_them_run(void)
{
    demo_sleep(3.0);
    while (atomic_load(&primes_printed) < 5)
        demo_sleep(0.01);
}

#endif
