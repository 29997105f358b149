/* SPDX-License-Identifier: MIT */
/* internal/lock.h: what lock.c, rlock.c and condition.c share and nothing else sees.
 *
 * - The RLock's save/restore protocol Condition.wait uses (Python's
 *   RLock._release_save / _acquire_restore).
 * - WEFT_DEBUG's use-after-destroy check: destroy writes a poison value into the
 *   object's 32-bit state word; a debug build checks it on the slow paths (the
 *   uncontended fast paths fail their CAS on a poisoned word and fall into the
 *   slow path, so the check costs the fast path nothing) and aborts with the
 *   file, line, function and address. Non-debug builds compile it away.
 */
#ifndef WEFT_INTERNAL_LOCK_H
#define WEFT_INTERNAL_LOCK_H

#include <stdint.h>

#include "internal/debug.h"
#include "weft/lock.h"

#define WEFT__HIDDEN_LOCK __attribute__((visibility("hidden")))

/* Lock acquire/release with the wait record naming `obj` as a `kind` (rlock.c
 * passes WEFT__WK_RLOCK and the RLock), with the lock-order / statistics
 * instrumentation when it is on. */
WEFT__HIDDEN_LOCK int weft__lock_acquire_as(weft_lock *lock, bool blocking, double timeout,
                                            enum weft__wk kind, const void *obj);

/* ---- lockdbg.c: the lock-order checker and contention statistics ----
 * weft__lockdbg_flags is 0 while both are off; the Lock's fast paths test it
 * (one relaxed load) and call the instrumented versions below when it is not.
 * Its initial value is WEFT__LOCKDBG_UNREAD, so the first acquire of the process
 * takes the instrumented path once, which reads the environment
 * (WEFT_LOCK_ORDER, WEFT_LOCK_STATS) and clears the bit. */
#define WEFT__LOCKDBG_ORDER  UINT32_C(1)  /* lock-order checker on */
#define WEFT__LOCKDBG_STATS  UINT32_C(2)  /* statistics for some or every lock */
#define WEFT__LOCKDBG_UNREAD UINT32_C(4)  /* environment not read yet */
extern _Atomic uint32_t weft__lockdbg_flags WEFT__HIDDEN_LOCK;
WEFT__HIDDEN_LOCK int weft__lockdbg_acquire(weft_lock *lock, bool blocking, double timeout,
                                            enum weft__wk kind, const void *obj);
WEFT__HIDDEN_LOCK int weft__lockdbg_release(weft_lock *lock);
/* weft_lock_destroy: drop the lock's statistics and lock-order edges (its address
 * may be reused by another lock). Only called once weft__lockdbg_used is set (the
 * first time the checker or the statistics were switched on). */
extern _Atomic uint32_t weft__lockdbg_used WEFT__HIDDEN_LOCK;
WEFT__HIDDEN_LOCK void weft__lockdbg_forget(const weft_lock *lock);
/* weft_lock_init on a lock the checker knows: it is unlocked now, so whoever had
 * it on their held stack does not hold it any more (a fork child re-initialising
 * the locks its prepare handler took, for instance). Lock-free. */
WEFT__HIDDEN_LOCK void weft__lockdbg_reinit(const weft_lock *lock);
/* The plain acquire and release, without the instrumentation (what lockdbg.c
 * wraps, and uses for its own table lock). *slow is set to 1 if the acquire did
 * not succeed at its first attempt (a contended acquire). */
WEFT__HIDDEN_LOCK int weft__lock_acquire_raw(weft_lock *lock, bool blocking, double timeout,
                                             enum weft__wk kind, const void *obj, int *slow);
WEFT__HIDDEN_LOCK int weft__lock_release_raw(weft_lock *lock);

/* Python: RLock._release_save(): release every level (the caller must own it),
 * store the recursion count in *state. WEFT_EPERM if the caller does not own it. */
WEFT__HIDDEN_LOCK int weft__rlock_release_save(weft_rlock *rlock, uint64_t *state);
/* Python: RLock._acquire_restore(state): blocking acquire, then restore the count. */
WEFT__HIDDEN_LOCK int weft__rlock_acquire_restore(weft_rlock *rlock, uint64_t state);

/* The Lock's state word (lock.c has the protocol). Here so tests can read it. */
#define WEFT__LOCK_LOCKED     UINT32_C(1)
#define WEFT__LOCK_CONTENDED  UINT32_C(2)
#define WEFT__LOCK_STARVING   UINT32_C(4)
/* Biased mode (lock.c, "Biased mode"): the word is BIASED (or BIASED|REVOKE
 * while another thread revokes the bias) and the lock is held iff `owned` is
 * HELD. */
#define WEFT__LOCK_BIASED     UINT32_C(8)
#define WEFT__LOCK_REVOKE     UINT32_C(16)
#define WEFT__LOCK_OWNED_FREE UINT32_C(0)
#define WEFT__LOCK_OWNED_HELD UINT32_C(1)
/* The `bias` word: below WEFT__BIAS_STREAK, the number of acquisitions in a row
 * by the thread recorded in `holder` (after its first); the acquisition that
 * brings it to WEFT__BIAS_STREAK biases the lock to that thread (if the word
 * is exactly LOCKED then). The other values end the counting for good. */
#define WEFT__BIAS_STREAK     UINT32_C(16384)
#define WEFT__BIAS_ON         UINT32_C(0xFFFFFFF0)  /* biased now */
#define WEFT__BIAS_DONE_FREE  UINT32_C(0xFFFFFFF1)  /* revoked while not held */
#define WEFT__BIAS_DONE_HELD  UINT32_C(0xFFFFFFF2)  /* revoked while held: now a normal held lock */
#define WEFT__BIAS_NEVER      UINT32_C(0xFFFFFFFF)  /* biasing unavailable or switched off */
/* 1 if locks can be biased in this process: membarrier(PRIVATE_EXPEDITED) is
 * registered and WEFT_LOCK_BIAS is not "0". Decided (and registered) at the
 * first call. */
WEFT__HIDDEN_LOCK int weft__lock_bias_enabled(void);
/* thread.c's fork handlers: prepare waits for a revocation in progress and
 * holds revocations off until parent/child (lock.c, "Biased mode"). */
WEFT__HIDDEN_LOCK void weft__lock_fork_prepare(void);
WEFT__HIDDEN_LOCK void weft__lock_fork_parent(void);
WEFT__HIDDEN_LOCK void weft__lock_fork_child(void);

/* The slow acquire's backoff (lock.c, "Backoff"): after WEFT__LOCK_NAP_AFTER
 * weft__wait returns in a row that did not sleep (WEFT__WAIT_CHANGED), a waiter
 * that is not the starver naps weft__lock_nap_length(deadline, now) ns:
 * WEFT__LOCK_NAP_NS, or what is left before a finite deadline (<= 0: no nap). */
#define WEFT__LOCK_NAP_AFTER  2
#define WEFT__LOCK_NAP_NS     INT64_C(20000)
WEFT__HIDDEN_LOCK int64_t weft__lock_nap_length(int64_t deadline, int64_t now);

/* CPython's Lock.acquire argument rules (weft/lock.h); on WEFT_OK *deadline is 0
 * (poll), WEFT__NS_FOREVER, or -1 (a positive timeout, not yet converted). */
WEFT__HIDDEN_LOCK int weft__lock_acquire_args(bool blocking, double timeout, int64_t *deadline);

/* The poison a destroyed object's state word holds in WEFT_DEBUG builds. For a
 * Lock it has LOCKED, CONTENDED, STARVING and BIASED set plus bits no lock state
 * uses, so both fast CASes fail on it, the owner's biased checks (a word that
 * is exactly BIASED) reject it, and the slow paths' check sees it. */
#define WEFT__POISON UINT32_C(0xDE57F00F)

#ifdef WEFT_DEBUG
WEFT__HIDDEN_LOCK void weft__debug_destroyed(const char *file, int line, const char *func,
                                             const volatile void *obj)
    __attribute__((noreturn, cold));
#  define WEFT__CHECK_ALIVE(obj, word)                                            \
    do {                                                                          \
        if ((word) == WEFT__POISON)                                               \
            weft__debug_destroyed(__FILE__, __LINE__, __func__, (obj));           \
    } while (0)
#  define WEFT__POISON_WORD(p) atomic_store_explicit((p), WEFT__POISON, memory_order_relaxed)
#else
#  define WEFT__CHECK_ALIVE(obj, word) ((void)0)
#  define WEFT__POISON_WORD(p) ((void)0)
#endif

#endif /* WEFT_INTERNAL_LOCK_H */
