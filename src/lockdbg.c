/* SPDX-License-Identifier: MIT */
/* lockdbg.c: the lock-order checker and contention statistics (weft/debug.h).
 * First step: only the switch the Lock's fast paths test; the checker and the
 * statistics come next. */
#include "internal/lock.h"

_Atomic uint32_t weft__lockdbg_flags = 0;

int weft__lockdbg_acquire(weft_lock *lock, bool blocking, double timeout,
                          enum weft__wk kind, const void *obj)
{
    int slow = 0;
    return weft__lock_acquire_raw(lock, blocking, timeout, kind, obj, &slow);
}

int weft__lockdbg_release(weft_lock *lock)
{
    return weft__lock_release_raw(lock);
}

void weft__lockdbg_forget(const weft_lock *lock) { (void)lock; }
