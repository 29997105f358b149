/* SPDX-License-Identifier: MIT */
/* weft/semaphore.h: Python's threading.Semaphore and threading.BoundedSemaphore.
 *
 * Python:   threading.Semaphore(value=1), threading.BoundedSemaphore(value=1)
 *
 * One embeddable struct serves both (a BoundedSemaphore is a Semaphore that
 * remembers its initial value, as the Python subclass does): it never allocates
 * and never fails for lack of resources. weft_semaphore_init gives a Semaphore,
 * weft_bounded_semaphore_init a BoundedSemaphore; every other function takes
 * either. WEFT_SEMAPHORE_INIT(v) / WEFT_BOUNDED_SEMAPHORE_INIT(v) are the static
 * forms (v must be a constant in 0..WEFT_SEMAPHORE_VALUE_MAX). A zero-filled
 * struct is a Semaphore(0): Deviation: Python's default value is 1, so write
 * WEFT_SEMAPHORE_INIT(1) for `Semaphore()`.
 *
 * Timeout rules of weft_semaphore_acquire (CPython's Semaphore.acquire):
 *   non-blocking, timeout WEFT_FOREVER   poll                       (Python: None)
 *   non-blocking, any other timeout      WEFT_EINVAL, even if a unit is free
 *                                        ("can't specify timeout for non-blocking acquire")
 *   blocking, WEFT_FOREVER               wait until a unit is free
 *   blocking, 0, negative, -inf          poll
 *   blocking, 0 < t <= WEFT_TIMEOUT_MAX  wait at most t seconds
 *   blocking, > WEFT_TIMEOUT_MAX, +inf   WEFT_EOVERFLOW, but only if it has to wait
 *   blocking, NaN                        WEFT_EINVAL, but only if it has to wait
 *                                        (Deviation: CPython spins forever)
 *
 * Fairness: none promised, as in CPython. CPython 3.13 wakes the oldest
 * waiters first (its Condition keeps a FIFO of waiters) but documents the
 * order as arbitrary, and a newly arriving acquirer may take a unit released
 * for a woken waiter, which then waits again. weft keeps exactly that contract:
 * release(n) wakes min(n, sleepers) (never all), which sleepers is the wait
 * backend's choice (futex: the kernel's queue order; parking: its list
 * order), and barging is allowed. No unit is ever left free while a waiter
 * sleeps (the design block of src/semaphore.c).
 *
 * Deviation: Python's counter is unbounded; weft's is at most
 * WEFT_SEMAPHORE_VALUE_MAX. An init above it, or a release that would pass it,
 * returns WEFT_EOVERFLOW and changes nothing.
 */
#ifndef WEFT_SEMAPHORE_H
#define WEFT_SEMAPHORE_H

#include "common.h"
#include "error.h"

WEFT_BEGIN_DECLS

/* The largest counter value (2^31 - 1). */
#define WEFT_SEMAPHORE_VALUE_MAX 2147483647L

/* Fields are private. state is one 64-bit word: the counter in its low 32 bits
 * (the half sleepers wait on) and the number of threads inside a blocking
 * acquire in its high 32 bits, so a release learns from its own compare-and-swap
 * whether anyone waits and never reads the struct afterwards (see destroy).
 * bound is 0 for a Semaphore and initial value + 1 for a BoundedSemaphore.
 * All zero is a Semaphore(0). */
typedef struct weft_semaphore {
    WEFT_ATOMIC(uint64_t) state;
    uint32_t bound;
} weft_semaphore;

/* Static initialisers: Python's Semaphore(v) / BoundedSemaphore(v). */
#define WEFT_SEMAPHORE_INIT(v) { (uint64_t)(uint32_t)(v), 0 }
#define WEFT_BOUNDED_SEMAPHORE_INIT(v) { (uint64_t)(uint32_t)(v), (uint32_t)(v) + 1u }

/* ---- lifecycle ------------------------------------------------------------ */

/* weft_semaphore_init: make a Semaphore with counter value.
 *
 * Python:   threading.Semaphore(value)
 * Returns:  WEFT_OK; WEFT_EINVAL if value < 0 ("semaphore initial value must be
 *           >= 0") or sem is NULL; WEFT_EOVERFLOW if value >
 *           WEFT_SEMAPHORE_VALUE_MAX. On error *sem is not written.
 * Threads:  before any other thread uses sem.
 */
WEFT_API int weft_semaphore_init(weft_semaphore *sem, long value);

/* weft_bounded_semaphore_init: make a BoundedSemaphore with counter and bound value.
 *
 * Python:   threading.BoundedSemaphore(value)
 * Returns:  as weft_semaphore_init.
 */
WEFT_API int weft_bounded_semaphore_init(weft_semaphore *sem, long value);

/* weft_semaphore_destroy: end of use. Releases nothing. NULL is a no-op.
 *
 * Threads:  no thread may be inside weft_semaphore_acquire on sem (undefined
 *           otherwise, as for any primitive). Once the last acquire on sem has
 *           returned, sem may be destroyed and its memory freed or reused at
 *           once, even while a weft_semaphore_release that handed over the unit
 *           has not returned yet: a release reads and writes the struct only up
 *           to the one atomic step that publishes its units, and after that uses
 *           only the address (for the wake, which tolerates a freed or reused
 *           address). So a completion semaphore on the waiter's stack is fine,
 *           as POSIX allows for sem_post/sem_destroy. Releases that have not
 *           published yet must of course not be started on a destroyed sem.
 */
WEFT_API void weft_semaphore_destroy(weft_semaphore *sem);

/* ---- operations ----------------------------------------------------------- */

/* weft_semaphore_acquire: take one unit, waiting for one if asked to.
 *
 * Python:   Semaphore.acquire(blocking=True, timeout=None)
 * timeout:  the table at the top of this header.
 * Returns:  WEFT_OK when a unit was taken (Python's True); WEFT_ETIMEDOUT when
 *           not (non-blocking call or poll with the counter at 0, or the timeout
 *           expired: Python's False); WEFT_EINVAL for a NULL sem, a timeout with
 *           a non-blocking call, or a NaN timeout that would have to wait;
 *           WEFT_EOVERFLOW for a too-large timeout that would have to wait. On
 *           every error nothing is taken.
 * Threads:  any thread, including threads weft did not create; may block.
 *           Before it sleeps, a blocking acquire yields the CPU a few times
 *           (at most 64, never past the timeout) and tries again, so a
 *           release() that comes at once costs neither thread a sleep; a
 *           thread whose waits keep outlasting that phase soon skips it
 *           (src/yield.c).
 */
WEFT_API int weft_semaphore_acquire(weft_semaphore *sem, bool blocking, double timeout);

/* weft_semaphore_release: add n units and wake up to n waiters.
 *
 * Python:   Semaphore.release(n=1), BoundedSemaphore.release(n=1)
 * Returns:  WEFT_OK; WEFT_EINVAL if n == 0 ("n must be one or more") or sem is
 *           NULL; WEFT_EINVAL for a BoundedSemaphore whose counter would exceed
 *           its initial value ("Semaphore released too many times"); WEFT_EOVERFLOW
 *           if the counter would pass WEFT_SEMAPHORE_VALUE_MAX. On error the
 *           counter is unchanged and nobody is woken.
 * Threads:  any thread (not only one that acquired); never blocks.
 */
WEFT_API int weft_semaphore_release(weft_semaphore *sem, size_t n);

/* ---- queries -------------------------------------------------------------- */

/* The counter now (a snapshot; Python shows it in repr as value=N). 0 for NULL. */
WEFT_API long weft_semaphore_value(const weft_semaphore *sem);

/* The initial value of a BoundedSemaphore (repr's value=N/INITIAL); -1 for a
 * plain Semaphore or NULL. */
WEFT_API long weft_semaphore_bound(const weft_semaphore *sem);

WEFT_END_DECLS

#endif /* WEFT_SEMAPHORE_H */
