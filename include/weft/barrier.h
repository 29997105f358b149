/* SPDX-License-Identifier: MIT */
/* weft/barrier.h: Python's threading.Barrier.
 *
 * Python:   threading.Barrier(parties, action=None, timeout=None)
 *
 * A cyclic barrier for a fixed number of threads, with Python's abort, reset,
 * action and default timeout, reusable for any number of generations. An
 * embeddable struct that never allocates and never fails for lack of resources.
 * It must be initialised (weft_barrier_init or WEFT_BARRIER_INIT(parties)): a
 * zero-filled struct has 0 parties and every call on it returns WEFT_EINVAL.
 * Usable from any thread, including threads weft did not create.
 *
 * States (CPython's): filling -> (the last party arrives, the action runs)
 * draining -> (the last party leaves) filling; reset() with threads inside:
 * resetting -> (the last leaves) filling; abort() or a timeout: broken until
 * reset(). Threads that arrive while the barrier drains or resets wait (without
 * a timeout, as in CPython) until it is filling again.
 *
 * Timeout rules of weft_barrier_wait (CPython's Barrier.wait):
 *   WEFT_FOREVER (Python's None)      the barrier's default timeout (itself
 *                                     WEFT_FOREVER, i.e. no timeout, unless one
 *                                     was given to init)
 *   0, negative, -inf                 poll: if the barrier does not trip at once,
 *                                     it breaks (WEFT_EBROKEN for everyone)
 *   0 < t <= WEFT_TIMEOUT_MAX         wait at most t seconds, then break it
 *   > WEFT_TIMEOUT_MAX, +inf          WEFT_EOVERFLOW if the caller would have to
 *                                     wait; the barrier is not broken
 *   NaN                               WEFT_EINVAL if the caller would have to
 *                                     wait; not broken (Deviation: CPython spins
 *                                     forever)
 * The time counts from when the caller joins the generation (after any wait for
 * a previous generation to drain), as in CPython.
 */
#ifndef WEFT_BARRIER_H
#define WEFT_BARRIER_H

#include "common.h"
#include "error.h"

WEFT_BEGIN_DECLS

/* The largest number of parties. */
#define WEFT_BARRIER_PARTIES_MAX 2147483647L

/* The action: Python's action(), called with the argument given to init. Return
 * a value >= 0 for success. A negative return is the C form of the action
 * raising: the barrier breaks, the other parties get WEFT_EBROKEN, and the
 * thread that ran the action gets that negative value from weft_barrier_wait
 * (use a weft code such as WEFT_EFAIL, or weft_fail's return value). */
typedef int (*weft_barrier_action)(void *arg);

/* Fields are private (src/barrier.c describes them). */
typedef struct weft_barrier {
    WEFT_ATOMIC(uint32_t) lock;           /* internal mutex word */
    WEFT_ATOMIC(uint32_t) seq;            /* bumped at every state change; futex word */
    WEFT_ATOMIC(int32_t) state;           /* filling / draining / resetting / broken */
    WEFT_ATOMIC(uint32_t) count;          /* threads inside wait() */
    uint32_t parties;
    double timeout;                       /* default timeout */
    weft_barrier_action action;
    void *action_arg;
    WEFT_ATOMIC(uint64_t) action_thread;  /* the thread running the action, or 0 */
} weft_barrier;

/* Static form of Barrier(parties): no action, no default timeout. */
#define WEFT_BARRIER_INIT(parties) \
    { 0, 0, 0, 0, (uint32_t)(parties), WEFT_FOREVER, NULL, NULL, 0 }

/* ---- lifecycle ------------------------------------------------------------ */

/* weft_barrier_init: make a barrier for parties threads.
 *
 * Python:   threading.Barrier(parties, action=None, timeout=None)
 * action:   NULL, or run by the last thread to arrive in each generation, before
 *           any thread is released, while the barrier's internal lock is held
 *           (as in CPython): it must not block on other parties. If it calls
 *           weft_barrier_wait, _reset or _abort on the same barrier, those return
 *           WEFT_EDEADLK (CPython would deadlock).
 * timeout:  the default for weft_barrier_wait: WEFT_FOREVER (no timeout), or
 *           seconds (0 and negatives make every wait a poll).
 * Returns:  WEFT_OK; WEFT_EINVAL if parties < 1 ("parties must be > 0"), b is
 *           NULL or timeout is NaN; WEFT_EOVERFLOW if parties >
 *           WEFT_BARRIER_PARTIES_MAX or timeout > WEFT_TIMEOUT_MAX (Deviation:
 *           CPython accepts any timeout here and fails in wait()). On error *b
 *           is not written.
 * Threads:  before any other thread uses b.
 */
WEFT_API int weft_barrier_init(weft_barrier *b, long parties, weft_barrier_action action,
                               void *arg, double timeout);

/* weft_barrier_destroy: end of use. No thread may be inside weft_barrier_wait
 * (it is safe once every wait has returned). NULL is a no-op. */
WEFT_API void weft_barrier_destroy(weft_barrier *b);

/* ---- operations ----------------------------------------------------------- */

/* weft_barrier_wait: wait until parties threads have called it.
 *
 * Python:   Barrier.wait(timeout=None)
 * timeout:  the table at the top of this header.
 * Returns:  the arrival index, 0 .. parties-1 (each index goes to exactly one
 *           thread per generation; the last to arrive gets parties-1 and runs
 *           the action); WEFT_EBROKEN if the barrier is or becomes broken or
 *           reset while waiting, including for the thread whose timeout expired
 *           (CPython breaks the barrier, then raises BrokenBarrierError there
 *           too); the action's negative return value for the thread that ran a
 *           failing action; WEFT_EOVERFLOW / WEFT_EINVAL for the timeout rules
 *           above; WEFT_EINVAL for NULL or an uninitialised (0-party) barrier;
 *           WEFT_EDEADLK when called from the barrier's own action.
 * Threads:  any thread; may block.
 */
WEFT_API int weft_barrier_wait(weft_barrier *b, double timeout);

/* weft_barrier_reset: return the barrier to its initial (filling) state.
 *
 * Python:   Barrier.reset()
 * Threads waiting now get WEFT_EBROKEN; if threads are inside, the barrier is
 * filling again once they have all left (a broken barrier becomes usable).
 * Returns:  WEFT_OK; WEFT_EINVAL for NULL / uninitialised; WEFT_EDEADLK from the
 *           barrier's own action.
 * Threads:  any thread; blocks only on the internal lock (while an action runs).
 */
WEFT_API int weft_barrier_reset(weft_barrier *b);

/* weft_barrier_abort: put the barrier into the broken state.
 *
 * Python:   Barrier.abort()
 * Current and future waits return WEFT_EBROKEN until weft_barrier_reset.
 * Returns:  as weft_barrier_reset.
 */
WEFT_API int weft_barrier_abort(weft_barrier *b);

/* ---- queries (snapshots, read without the lock, as in CPython) ------------ */

/* Python: Barrier.parties. 0 for NULL or a zero-filled barrier. */
WEFT_API long weft_barrier_parties(const weft_barrier *b);

/* Python: Barrier.n_waiting: threads waiting in the filling barrier, else 0. */
WEFT_API long weft_barrier_n_waiting(const weft_barrier *b);

/* Python: Barrier.broken. False for NULL. */
WEFT_API bool weft_barrier_broken(const weft_barrier *b);

WEFT_END_DECLS

#endif /* WEFT_BARRIER_H */
