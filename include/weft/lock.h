/* SPDX-License-Identifier: MIT */
/* weft/lock.h: Python's threading.Lock and threading.RLock.
 *
 * Python:   threading.Lock, threading.RLock
 *
 * Both are small embeddable structs that never allocate and never fail for lack
 * of resources. A zero-filled struct (static storage, memset, WEFT_LOCK_INIT,
 * WEFT_RLOCK_INIT) is an unlocked lock; *_init does the same at run time and
 * *_destroy releases nothing but is the point after which the object must not be
 * used (WEFT_DEBUG builds check it). Usable from any thread, including threads
 * weft did not create.
 *
 * Timeout rules (CPython's acquire(blocking=True, timeout=-1)):
 *   blocking, timeout WEFT_FOREVER (-1.0)  wait forever
 *   blocking, timeout 0                    poll
 *   blocking, timeout > 0                  wait at most timeout seconds
 *   blocking, any other negative or NaN    WEFT_EINVAL   (Python: ValueError)
 *   blocking, timeout > WEFT_TIMEOUT_MAX   WEFT_EOVERFLOW (Python: OverflowError)
 *   non-blocking, timeout != WEFT_FOREVER  WEFT_EINVAL   ("can't specify a timeout
 *                                                          for a non-blocking call")
 * Checked in CPython's order: NaN -> WEFT_EINVAL; then |timeout| > WEFT_TIMEOUT_MAX
 * or infinite -> WEFT_EOVERFLOW whether blocking or not (CPython converts the
 * timeout to its clock first, so Lock.acquire(False, 1e100) and
 * acquire(timeout=-1e100) raise OverflowError); then the two WEFT_EINVAL rules.
 */
#ifndef WEFT_LOCK_H
#define WEFT_LOCK_H

#include "common.h"
#include "error.h"

WEFT_BEGIN_DECLS

/* ---- Lock ------------------------------------------------------------------ */

/* A 32-bit state word, the holder's debug thread id, and the biased mode's two
 * words: 16 bytes. Fields are private.
 *
 * Biased mode (docs/design/lock.md): a Lock that one thread has taken 16,384
 * times in a row becomes biased to it, and that thread then takes and releases
 * it without an atomic read-modify-write (2.4-3.8x glibc's mutex uncontended on
 * the 2-core machine of bench/README.md).
 * The first time another thread acquires or releases it, that thread revokes
 * the bias for good, which costs one membarrier(2) system call (microseconds;
 * it interrupts the CPUs running this process's threads): at most once per
 * lock. Behaviour (Python's semantics, return codes, deadlock detection) is the
 * same in both modes. WEFT_LOCK_BIAS=0 in the environment (read once) keeps
 * every Lock in normal mode; so does a system without membarrier.
 *
 * Contention: a waiter sleeps on the word (futex) and is woken by a release.
 * While the holder releases and re-takes the lock faster than a system call
 * reaches the kernel, a waiter's sleeps return at once; after two of those in a
 * row it naps about 20 us (plus the thread's timer slack) before trying again,
 * so the holder runs without system calls meanwhile (3.1-3.5x glibc's mutex
 * with 2 threads on that machine). A waiter that has waited 1 ms reserves the
 * lock for itself and no longer naps: no waiter starves. */
typedef struct weft_lock {
    WEFT_ATOMIC(uint32_t) state;
    WEFT_ATOMIC(uint32_t) holder;  /* who took it last (deadlock detection, dumps); 0: nobody */
    WEFT_ATOMIC(uint32_t) owned;   /* biased mode: written only by the thread it is biased to */
    WEFT_ATOMIC(uint32_t) bias;    /* run of acquisitions by one thread, or the bias's state */
} weft_lock;

#define WEFT_LOCK_INIT { 0, 0, 0, 0 }

/* Python: threading.Lock(). Never fails. */
WEFT_API void weft_lock_init(weft_lock *lock);
/* The lock must be unlocked and have no waiters. */
WEFT_API void weft_lock_destroy(weft_lock *lock);

/* weft_lock_acquire: take the lock.
 *
 * Python:   Lock.acquire(blocking=True, timeout=-1)
 * Returns:  WEFT_OK when taken; WEFT_ETIMEDOUT when not taken (non-blocking call on a
 *           locked lock, or the timeout expired) - Python's False; WEFT_EINVAL /
 *           WEFT_EOVERFLOW for the timeout rules above or a NULL lock; WEFT_EDEADLK
 *           if deadlock detection is on (weft/debug.h; on by default) and this wait
 *           without timeout can never end - e.g. the caller already holds the
 *           lock, or the holder waits for a lock the caller holds - after a
 *           report to the report hook; the lock is then unchanged (not taken,
 *           the caller no longer counted as a waiter). Timed waits are never
 *           checked: they time out.
 *           Deviation: Python hangs where WEFT_EDEADLK is returned.
 * Threads:  any thread; may block. Not reentrant: a thread that holds the lock and
 *           acquires it again blocks (Python's behaviour) until the detector
 *           reports it (WEFT_EDEADLK), or forever with detection off.
 */
WEFT_API int weft_lock_acquire(weft_lock *lock, bool blocking, double timeout);

/* weft_lock_release: release the lock. Any thread may release it (Python allows this).
 *
 * Python:   Lock.release()
 * Returns:  WEFT_OK; WEFT_EPERM if it was not locked ("release unlocked lock"),
 *           changing nothing; WEFT_EINVAL for NULL.
 */
WEFT_API int weft_lock_release(weft_lock *lock);

/* Python: Lock.locked(). A snapshot. */
WEFT_API bool weft_lock_locked(const weft_lock *lock);

/* ---- RLock ------------------------------------------------------------------ */

/* A reentrant lock: an owner, a recursion count and a weft_lock. Fields are private. */
typedef struct weft_rlock {
    weft_lock lock;
    WEFT_ATOMIC(uint64_t) owner;   /* weft_get_ident() of the owner, 0 when free */
    uint32_t count;                /* recursion depth, only touched by the owner */
} weft_rlock;

#define WEFT_RLOCK_INIT { WEFT_LOCK_INIT, 0, 0 }

/* Python: threading.RLock(). Never fails. */
WEFT_API void weft_rlock_init(weft_rlock *rlock);
WEFT_API void weft_rlock_destroy(weft_rlock *rlock);

/* weft_rlock_acquire: take the lock, or add a level if the caller owns it.
 *
 * Python:   RLock.acquire(blocking=True, timeout=-1)
 * Returns:  as weft_lock_acquire; also WEFT_EOVERFLOW if the recursion count would
 *           exceed UINT32_MAX (Python: OverflowError), changing nothing. WEFT_EDEADLK
 *           (deadlock detection, weft/debug.h) when this wait without timeout can
 *           never end, e.g. the owner waits for a Lock or RLock the caller holds;
 *           the RLock is then unchanged. A recursive acquire by the owner never
 *           waits, so it is never a deadlock.
 *           Deviation: Python hangs where WEFT_EDEADLK is returned.
 */
WEFT_API int weft_rlock_acquire(weft_rlock *rlock, bool blocking, double timeout);

/* weft_rlock_release: drop one level; the lock is released when the count reaches 0.
 *
 * Python:   RLock.release()
 * Returns:  WEFT_OK; WEFT_EPERM if the caller does not own it ("cannot release
 *           un-acquired lock"), changing nothing; WEFT_EINVAL for NULL.
 */
WEFT_API int weft_rlock_release(weft_rlock *rlock);

/* Python: RLock._is_owned(): true if the calling thread owns it. */
WEFT_API bool weft_rlock_is_owned(const weft_rlock *rlock);

/* Python: RLock.locked() (3.14) / repr's "locked": true if any thread owns it. */
WEFT_API bool weft_rlock_locked(const weft_rlock *rlock);

/* The recursion count if the caller owns the lock, else 0 (Python: RLock._recursion_count()). */
WEFT_API uint32_t weft_rlock_recursion_count(const weft_rlock *rlock);

WEFT_END_DECLS

#endif /* WEFT_LOCK_H */
