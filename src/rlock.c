/* SPDX-License-Identifier: MIT */
/* rlock.c: Python's threading.RLock: a weft_lock, an owner and a recursion count.
 *
 * State
 *   lock   the weft_lock that is held while owner != 0
 *   owner  weft__self() of the owning thread (== weft_get_ident()), 0 when free;
 *          written only by the owner (set after taking lock, cleared before
 *          releasing it), read by anyone with relaxed order
 *   count  recursion depth, read and written only by the owner
 *
 * Why a relaxed owner read is enough: a thread compares owner with its own
 * identity. Only that thread ever stores its identity there, and it clears the
 * field before releasing the lock, so it sees its own value iff it owns the lock
 * (its own stores are ordered for itself); any other value - 0, a stale owner, a
 * new owner - means "not mine", which is all the check needs. The hand-over of
 * the protected data goes through the weft_lock's acquire/release.
 *
 * No waiting happens here: blocking, timeouts and wakeups are the weft_lock's
 * (lock.c explains why no wakeup is lost).
 */
#include <stdatomic.h>

#include "internal/annotate.h"
#include "internal/debug.h"
#include "internal/lock.h"
#include "internal/self.h"
#include "weft/lock.h"

void weft_rlock_init(weft_rlock *rlock)
{
    if (!rlock) return;
    weft_lock_init(&rlock->lock);
    atomic_store_explicit(&rlock->owner, 0, memory_order_relaxed);
    rlock->count = 0;
    WEFT__BENIGN_WORD(&rlock->owner, sizeof rlock->owner);
}

void weft_rlock_destroy(weft_rlock *rlock)
{
    if (!rlock) return;
    weft_lock_destroy(&rlock->lock); /* WEFT_DEBUG: poisons the word */
}

static inline int owned_by_me(const weft_rlock *rlock, uint64_t me)
{
    return atomic_load_explicit(&rlock->owner, memory_order_relaxed) == me;
}

int weft_rlock_acquire(weft_rlock *rlock, bool blocking, double timeout)
{
    int64_t dl;
    int rc;
    if (!rlock) return WEFT_EINVAL;
    /* CPython checks the arguments before looking at the owner; the common call
     * (blocking, forever) is valid, so it skips the check. */
    if (!(blocking && timeout == WEFT_FOREVER)) {
        rc = weft__lock_acquire_args(blocking, timeout, &dl);
        if (rc != WEFT_OK) return rc;
    }
    uint64_t me = weft__self();
    if (owned_by_me(rlock, me)) {
        if (rlock->count == UINT32_MAX) return WEFT_EOVERFLOW; /* unchanged */
        rlock->count++;
        return WEFT_OK;
    }
    rc = weft__lock_acquire_as(&rlock->lock, blocking, timeout, WEFT__WK_RLOCK, rlock);
    if (rc != WEFT_OK) return rc;
    /* For helgrind/drd: owner is only accessed atomically (repeated here for
     * statically initialised RLocks that never ran weft_rlock_init). */
    WEFT__BENIGN_WORD(&rlock->owner, sizeof rlock->owner);
    atomic_store_explicit(&rlock->owner, me, memory_order_relaxed);
    rlock->count = 1;
    return WEFT_OK;
}

int weft_rlock_release(weft_rlock *rlock)
{
    if (!rlock) return WEFT_EINVAL;
    WEFT__CHECK_ALIVE(rlock, atomic_load_explicit(&rlock->lock.state, memory_order_relaxed));
    if (!owned_by_me(rlock, weft__self())) return WEFT_EPERM; /* unchanged */
    if (--rlock->count == 0) {
        /* Clear owner before the lock's release store, which orders it for the
         * next owner. */
        atomic_store_explicit(&rlock->owner, 0, memory_order_relaxed);
        return weft_lock_release(&rlock->lock);
    }
    return WEFT_OK;
}

/* The owner's debug thread id: the inner Lock's holder, which the owner itself
 * recorded when it took the inner Lock (every level above the first changes
 * nothing there). */
weft__tid weft__rlock_holder(const weft_rlock *rlock)
{
    return weft__lock_holder(&rlock->lock);
}

bool weft_rlock_is_owned(const weft_rlock *rlock)
{
    if (!rlock) return false;
    return owned_by_me(rlock, weft__self());
}

bool weft_rlock_locked(const weft_rlock *rlock)
{
    if (!rlock) return false;
    return weft_lock_locked(&rlock->lock);
}

uint32_t weft_rlock_recursion_count(const weft_rlock *rlock)
{
    if (!rlock) return 0;
    return owned_by_me(rlock, weft__self()) ? rlock->count : 0;
}

int weft__rlock_release_save(weft_rlock *rlock, uint64_t *state)
{
    if (!owned_by_me(rlock, weft__self())) return WEFT_EPERM;
    *state = rlock->count;
    rlock->count = 0;
    atomic_store_explicit(&rlock->owner, 0, memory_order_relaxed);
    return weft_lock_release(&rlock->lock);
}

int weft__rlock_acquire_restore(weft_rlock *rlock, uint64_t state)
{
    int rc = weft__lock_acquire_as(&rlock->lock, true, WEFT_FOREVER, WEFT__WK_RLOCK, rlock);
    if (rc != WEFT_OK) return rc;
    WEFT__BENIGN_WORD(&rlock->owner, sizeof rlock->owner);
    atomic_store_explicit(&rlock->owner, weft__self(), memory_order_relaxed);
    rlock->count = (uint32_t)state;
    return WEFT_OK;
}
