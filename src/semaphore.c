/* SPDX-License-Identifier: MIT */
/* semaphore.c: threading.Semaphore and threading.BoundedSemaphore on the
 * wait/wake contract (internal/wait.h).
 *
 * State
 * -----
 *   value    the counter: the number of free units (0..WEFT_SEMAPHORE_VALUE_MAX).
 *            It is also the futex word sleepers wait on, with expected value 0.
 *   waiters  how many threads are inside the slow path of a blocking acquire
 *            (announced before their last look at value, withdrawn on the way out).
 *   bound    0 for a Semaphore; initial value + 1 for a BoundedSemaphore. Set at
 *            init, never written again.
 *
 * Invariants: a unit is taken only by a CAS value -> value - 1 from a value > 0,
 * so value never goes negative and never more threads hold units than were
 * released (the stress test counts holders). A release is a CAS value ->
 * value + n after the bound and overflow checks on the same value it replaces,
 * so a refused release changes nothing.
 *
 * Why no wakeup is lost
 * ---------------------
 * A sleeper announces itself (waiters++, seq_cst) and only then reads value
 * (seq_cst) and, if it is 0, sleeps in weft__wait(&value, 0). A releaser first
 * adds to value (seq_cst CAS) and only then reads waiters (seq_cst). In the single
 * order of seq_cst operations one of the two comes first: either the sleeper's
 * read sees the new value (it takes a unit and does not sleep), or the releaser's
 * read sees waiters > 0 and calls weft__wake; that wake either reaches the sleeper
 * in weft__wait or arrives before it sleeps, in which case weft__wait sees
 * value != 0 and returns at once. A woken sleeper always re-reads value before
 * deciding anything, and a sleeper whose deadline passed makes one last attempt
 * to take a unit before it reports WEFT_ETIMEDOUT, so a wake it absorbed is never
 * wasted while a unit is free.
 *
 * Wake count: release(n) wakes min(n, waiters), never everyone (no thundering
 * herd). Barging is allowed, as in CPython: a running acquirer may take a unit
 * that was released for a sleeper; the sleeper then sleeps again.
 */
#include <stdatomic.h>

#include "internal/annotate.h"
#include "internal/clock.h"
#include "internal/wait.h"
#include "weft/semaphore.h"

#define SEM_UNBOUNDED 0u /* bound of a plain Semaphore */

_Static_assert(WEFT_SEMAPHORE_VALUE_MAX <= UINT32_MAX - 1, "bound = max + 1 must fit");

static int init(weft_semaphore *sem, long value, bool bounded)
{
    if (!sem || value < 0) return WEFT_EINVAL;
    if (value > WEFT_SEMAPHORE_VALUE_MAX) return WEFT_EOVERFLOW;
    atomic_init(&sem->value, (uint32_t)value);
    atomic_init(&sem->waiters, 0);
    sem->bound = bounded ? (uint32_t)value + 1u : SEM_UNBOUNDED;
    WEFT__BENIGN_WORD(&sem->value, sizeof sem->value);
    WEFT__BENIGN_WORD(&sem->waiters, sizeof sem->waiters);
    return WEFT_OK;
}

int weft_semaphore_init(weft_semaphore *sem, long value) { return init(sem, value, false); }
int weft_bounded_semaphore_init(weft_semaphore *sem, long value) { return init(sem, value, true); }

void weft_semaphore_destroy(weft_semaphore *sem) { (void)sem; }

/* Take a unit if one is free. The first load is seq_cst: in the slow path it is
 * the sleeper's "read value after announcing myself" of the argument above. */
static bool try_take(weft_semaphore *sem)
{
    uint32_t v = atomic_load_explicit(&sem->value, memory_order_seq_cst);
    while (v > 0) {
        if (atomic_compare_exchange_weak_explicit(&sem->value, &v, v - 1,
                                                  memory_order_seq_cst,
                                                  memory_order_seq_cst)) {
            WEFT__HAPPENS_AFTER(sem);
            return true;
        }
    }
    return false;
}

__attribute__((noinline)) static int acquire_slow(weft_semaphore *sem, weft__ns deadline)
{
    int rc;
    /* Announce before the last look at value (see "Why no wakeup is lost"). */
    atomic_fetch_add_explicit(&sem->waiters, 1, memory_order_seq_cst);
    for (;;) {
        if (try_take(sem)) { rc = WEFT_OK; break; }
        if (weft__wait(&sem->value, 0, deadline) == WEFT_ETIMEDOUT) {
            /* One last look: a release that picked us as its wakee must not be
             * lost because our deadline passed at the same moment. */
            rc = try_take(sem) ? WEFT_OK : WEFT_ETIMEDOUT;
            break;
        }
    }
    atomic_fetch_sub_explicit(&sem->waiters, 1, memory_order_relaxed);
    return rc;
}

int weft_semaphore_acquire(weft_semaphore *sem, bool blocking, double timeout)
{
    if (!sem) return WEFT_EINVAL;
    if (!blocking) {
        /* Python: any timeout but None with blocking=False is a ValueError, even
         * if a unit is free. NaN != WEFT_FOREVER, so NaN is refused too. */
        if (timeout != WEFT_FOREVER) return WEFT_EINVAL;
        return try_take(sem) ? WEFT_OK : WEFT_ETIMEDOUT;
    }
    if (try_take(sem)) return WEFT_OK;   /* never waits: no timeout check */
    weft__ns deadline;
    switch (weft__timeout_class(timeout)) {
    case WEFT__T_FOREVER:  deadline = WEFT__NS_FOREVER; break;
    case WEFT__T_POSITIVE: deadline = weft__deadline_after(timeout); break;
    case WEFT__T_ZERO:
    case WEFT__T_NEGATIVE: return WEFT_ETIMEDOUT;       /* a poll that found 0 */
    case WEFT__T_NAN:      return WEFT_EINVAL;          /* Deviation: CPython spins */
    case WEFT__T_TOO_BIG:
    default:
        if (timeout < 0) return WEFT_ETIMEDOUT;         /* -inf: CPython polls */
        return WEFT_EOVERFLOW;
    }
    return acquire_slow(sem, deadline);
}

int weft_semaphore_release(weft_semaphore *sem, size_t n)
{
    if (!sem || n == 0) return WEFT_EINVAL;
    uint32_t v = atomic_load_explicit(&sem->value, memory_order_relaxed);
    do {
        if (sem->bound != SEM_UNBOUNDED) {
            /* BoundedSemaphore: value + n > initial is a ValueError. */
            if (n > (size_t)(sem->bound - 1u) || v > sem->bound - 1u - (uint32_t)n)
                return WEFT_EINVAL;
        } else if (n > (size_t)((uint32_t)WEFT_SEMAPHORE_VALUE_MAX - v)) {
            return WEFT_EOVERFLOW;
        }
        WEFT__HAPPENS_BEFORE(sem);
        /* seq_cst: the releaser's "add, then read waiters" of the argument above. */
    } while (!atomic_compare_exchange_weak_explicit(&sem->value, &v, v + (uint32_t)n,
                                                    memory_order_seq_cst,
                                                    memory_order_relaxed));
    uint32_t w = atomic_load_explicit(&sem->waiters, memory_order_seq_cst);
    if (w > 0) {
        size_t k = n < w ? n : w;
        weft__wake(&sem->value, k > (size_t)WEFT__WAKE_ALL ? WEFT__WAKE_ALL : (int)k);
    }
    return WEFT_OK;
}

long weft_semaphore_value(const weft_semaphore *sem)
{
    if (!sem) return 0;
    return (long)atomic_load_explicit(&((weft_semaphore *)sem)->value, memory_order_relaxed);
}

long weft_semaphore_bound(const weft_semaphore *sem)
{
    if (!sem || sem->bound == SEM_UNBOUNDED) return -1;
    return (long)(sem->bound - 1u);
}
