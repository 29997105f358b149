/* SPDX-License-Identifier: MIT */
/* weft/condition.h: Python's threading.Condition.
 *
 * Python:   threading.Condition(lock=None)
 *
 * An embeddable struct that never allocates. It works over:
 *   - its own weft_rlock (weft_condition_init, or a zero-filled struct, or
 *     WEFT_CONDITION_INIT): Python's default Condition();
 *   - a caller's weft_lock or weft_rlock (weft_condition_init_lock/_rlock);
 *   - any lock the caller describes with a weft_lock_ops table (init_ops).
 * Waiters are nodes on their own stacks, each with its own wake token (as
 * CPython gives each waiter its own lock): wait returns WEFT_OK only if this
 * waiter was notified (no spurious wakeups reach the caller), and notify(n) wakes
 * exactly min(n, waiters). docs/design/condition.md has the protocol.
 *
 * wait/wait_for/notify/notify_all must be called with the lock held (WEFT_EPERM
 * otherwise, as Python raises RuntimeError). For a reentrant lock held several
 * levels deep, wait releases every level and restores them before returning.
 */
#ifndef WEFT_CONDITION_H
#define WEFT_CONDITION_H

#include "common.h"
#include "error.h"
#include "lock.h"

WEFT_BEGIN_DECLS

/* A caller-supplied lock. acquire/release/is_owned are required. release_save and
 * acquire_restore are for reentrant locks (release all levels, return them in
 * *state; take the lock back with that state); if NULL, release/acquire are used
 * once each, as CPython does for locks without _release_save. wait takes the lock
 * back with acquire(lock, true, WEFT_FOREVER) (or acquire_restore), which must not
 * fail: wait retries it until it succeeds, because the waiter must be unlinked
 * under the lock before wait returns. */
typedef struct weft_lock_ops {
    int (*acquire)(void *lock, bool blocking, double timeout);
    int (*release)(void *lock);
    bool (*is_owned)(void *lock);
    int (*release_save)(void *lock, uint64_t *state);
    int (*acquire_restore)(void *lock, uint64_t state);
} weft_lock_ops;

struct weft__cond_waiter;

/* Fields are private. */
typedef struct weft_condition {
    void *lock;                    /* NULL: use own */
    const weft_lock_ops *ops;      /* NULL: use own */
    weft_rlock own;
    struct weft__cond_waiter *head, *tail;  /* FIFO of waiters, guarded by the lock */
} weft_condition;

#define WEFT_CONDITION_INIT { NULL, NULL, WEFT_RLOCK_INIT, NULL, NULL }

/* Python: Condition() with its own RLock. Never fails. */
WEFT_API void weft_condition_init(weft_condition *cond);
/* Python: Condition(lock) with a weft Lock / RLock. WEFT_EINVAL for NULL. */
WEFT_API int weft_condition_init_lock(weft_condition *cond, weft_lock *lock);
WEFT_API int weft_condition_init_rlock(weft_condition *cond, weft_rlock *rlock);
/* Python: Condition(lock) with any lock. WEFT_EINVAL for NULL cond, lock or ops, or
 * ops without acquire, release or is_owned. */
WEFT_API int weft_condition_init_ops(weft_condition *cond, void *lock, const weft_lock_ops *ops);
/* No thread may be waiting. */
WEFT_API void weft_condition_destroy(weft_condition *cond);

/* Python: Condition.acquire(*args) / release() / the lock's _is_owned(): delegate
 * to the underlying lock, with its rules and error codes. */
WEFT_API int weft_condition_acquire(weft_condition *cond, bool blocking, double timeout);
WEFT_API int weft_condition_release(weft_condition *cond);
WEFT_API bool weft_condition_is_owned(weft_condition *cond);

/* weft_condition_wait: release the lock, wait to be notified, take the lock back.
 *
 * Python:   Condition.wait(timeout=None)
 * timeout:  WEFT_FOREVER blocks; 0, other negatives and NaN poll (Python's rule);
 *           above WEFT_TIMEOUT_MAX: WEFT_EOVERFLOW before anything is released.
 * Returns:  WEFT_OK if notified; WEFT_ETIMEDOUT if the timeout expired first (the
 *           lock is held again in both cases); WEFT_EPERM if the caller does not
 *           hold the lock ("cannot wait on un-acquired lock"); WEFT_EINVAL for NULL.
 *           A waiter whose timeout expires while a notify picks it returns WEFT_OK
 *           (stricter than CPython, where such a waiter can absorb the notify and
 *           return False).
 * Threads:  the caller must hold the lock; blocks. Having released the lock,
 *           a waiter yields the CPU a few times (at most 64, never past the
 *           timeout) before it sleeps, so a notify that comes at once costs it
 *           no sleep (src/yield.c).
 */
WEFT_API int weft_condition_wait(weft_condition *cond, double timeout);

/* weft_condition_wait_for: wait until pred(arg) is true.
 *
 * Python:   Condition.wait_for(predicate, timeout=None)
 * Calls pred with the lock held, first before any wait; waits (for the time left
 * of one deadline computed at entry) while it is false.
 * Returns:  WEFT_OK if pred's last value was true; WEFT_ETIMEDOUT if it was still
 *           false when the time ran out; WEFT_EPERM / WEFT_EINVAL / WEFT_EOVERFLOW
 *           as weft_condition_wait (WEFT_EINVAL also for a NULL pred).
 * timeout:  as weft_condition_wait; 0, negatives and NaN test, poll once, test again.
 * Deviation: ownership (and the timeout) is checked before pred is first called;
 *           CPython returns a true predicate without checking. NaN polls once;
 *           CPython's wait_for(pred, nan) spins forever.
 */
WEFT_API int weft_condition_wait_for(weft_condition *cond, bool (*pred)(void *arg),
                                     void *arg, double timeout);

/* Python: Condition.notify(n=1). Wakes exactly min(n, waiters), oldest first.
 * Returns WEFT_OK; WEFT_EPERM without the lock ("cannot notify on un-acquired lock"). */
WEFT_API int weft_condition_notify(weft_condition *cond, size_t n);

/* Python: Condition.notify_all(). Returns as weft_condition_notify. */
WEFT_API int weft_condition_notify_all(weft_condition *cond);

WEFT_END_DECLS

#endif /* WEFT_CONDITION_H */
