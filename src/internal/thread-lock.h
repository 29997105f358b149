/* SPDX-License-Identifier: MIT */
/* internal/thread-lock.h: the small internal lock that guards weft's thread
 * registry, thread names, the excepthook and the locals' slot lists.
 *
 * Why not weft_lock: thread.c is a composite and should use weft's public Lock,
 * but the Lock lands on another branch at the same time as this code. This is the
 * classic three-state futex mutex ("Futexes Are Tricky", mutex 2; musl's and
 * GLib's futex mutexes are the same idea) on internal/wait.h, about twenty lines,
 * and it is replaceable by weft_lock without changing its callers.
 *
 * State word: UNLOCKED (0), LOCKED (1, no waiter), CONTENDED (2, maybe waiters).
 * No lost wakeup: a waiter only sleeps on the value CONTENDED, which it stored
 * itself with an acquire exchange; release exchanges to UNLOCKED with release
 * order and wakes one thread whenever the old value was CONTENDED, so a sleeper
 * either sees UNLOCKED inside weft__wait (and does not sleep) or is woken.
 * Fork: the prepare handler takes the lock, so in the child it is reset to
 * UNLOCKED by a plain store (the thread that held it does not exist there).
 */
#ifndef WEFT_INTERNAL_THREAD_LOCK_H
#define WEFT_INTERNAL_THREAD_LOCK_H

#include "internal/annotate.h"
#include "internal/wait.h"

enum { WEFT__IL_UNLOCKED = 0, WEFT__IL_LOCKED = 1, WEFT__IL_CONTENDED = 2 };

typedef struct weft__ilock {
    WEFT_ATOMIC(uint32_t) word;
} weft__ilock;

static inline void weft__ilock_acquire(weft__ilock *l)
{
    uint32_t c = WEFT__IL_UNLOCKED;
    if (!atomic_compare_exchange_strong_explicit(&l->word, &c, WEFT__IL_LOCKED,
                                                 memory_order_acquire, memory_order_relaxed)) {
        if (c != WEFT__IL_CONTENDED)
            c = atomic_exchange_explicit(&l->word, WEFT__IL_CONTENDED, memory_order_acquire);
        while (c != WEFT__IL_UNLOCKED) {
            weft__wait(&l->word, WEFT__IL_CONTENDED, WEFT__NS_FOREVER);
            c = atomic_exchange_explicit(&l->word, WEFT__IL_CONTENDED, memory_order_acquire);
        }
    }
    WEFT__HAPPENS_AFTER(l);
}

static inline void weft__ilock_release(weft__ilock *l)
{
    WEFT__HAPPENS_BEFORE(l);
    if (atomic_exchange_explicit(&l->word, WEFT__IL_UNLOCKED, memory_order_release)
        == WEFT__IL_CONTENDED)
        weft__wake(&l->word, 1);
}

/* Only in the child after fork(), where no other thread exists. */
static inline void weft__ilock_reinit(weft__ilock *l)
{
    atomic_store_explicit(&l->word, WEFT__IL_UNLOCKED, memory_order_relaxed);
}

#endif /* WEFT_INTERNAL_THREAD_LOCK_H */
