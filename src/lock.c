/* SPDX-License-Identifier: MIT */
/* lock.c: Python's threading.Lock on one 32-bit word (plus a debug holder id) and
 * internal/wait.h.
 *
 * State word (docs/design/lock.md; constants in internal/lock.h)
 * --------------------------------------------------------------
 *   bit 0      LOCKED    somebody holds the lock (or it is being handed off)
 *   bit 1      HANDOFF   the releaser handed the lock directly to the starving
 *                        waiter, whose acquire has thereby succeeded; it clears
 *                        the bit when it runs
 *   bit 2      STARVING  one waiter (the "starver") has waited longer than
 *                        STARVE_NS; newcomers and other waiters must not take the
 *                        lock, the next release hands it to the starver
 *   bit 3      WOKEN     a release has woken a waiter that has not yet looked at
 *                        the word again; releases wake nobody else meanwhile
 *                        (Go's mutexWoken: one wakeup in flight, not one per release)
 *   bits 4-31  waiters   threads in the slow path that may sleep on the word
 *
 * 0 is "unlocked, nobody waiting", so a zero-filled struct is a valid lock.
 *
 * holder (debug only, internal/debug.h): the weft__tid of the thread that took
 * the lock; meaningful only while LOCKED is set (weft__lock_holder returns 0
 * otherwise). Every path that takes the lock stores the taker's id after its
 * acquiring CAS - a relaxed store, skipped when the word already holds that id
 * (a thread re-taking a lock it took last: the uncontended loop). The fast
 * release does not touch it: an unlocked lock's holder is never read. The slow
 * release clears it before its CAS, which matters for a handoff: the lock stays
 * LOCKED for the starver and must not show the releaser as its holder until
 * the starver's claim stores its own id. Nothing in the protocol reads it; the
 * deadlock detector and the dump do. Known imprecision, both windows a few
 * instructions wide: between a thread's acquiring CAS and its holder store the
 * lock shows the previous taker (the detector only reports a cycle it finds
 * again 100 ms later, so a thread preempted in that window does not make one);
 * and when a thread other than the holder releases the lock (Python allows it)
 * inside that window and a third thread takes it at once, the late store can
 * leave the first thread's id until the next taker stores its own.
 *
 * Fast paths: acquire is one CAS 0 -> LOCKED plus the holder check (one TLS
 * load, one load, usually no store); release is one CAS LOCKED -> 0. Both
 * first test one global word (weft__lockdbg_flags, 0 unless the lock-order
 * checker or the statistics are on: lockdbg.c) with a relaxed load. Anything
 * else (waiters, starvation, a poisoned word in WEFT_DEBUG builds) goes to the
 * slow paths. Measured against the lock before issue 8 (bench/README.md).
 *
 * Slow acquire (musl / "Futexes are tricky" mutex #2, with Go's woken flag and
 * starvation mode): spin briefly while nobody sleeps; then count ourselves in
 * the waiters field and loop: take the lock if it is free (and not reserved for a
 * starver), otherwise clear WOKEN (we are awake, so the "woken waiter" role is
 * ours) and sleep on the word with the value we just wrote or read as the
 * expected value. A waiter that has waited longer than STARVE_NS sets STARVING
 * (only one thread can own that bit); from then on no one barges, and release
 * sets HANDOFF instead of clearing LOCKED and wakes all sleepers, and only the
 * starver claims the handoff. So every waiter is served within STARVE_NS plus the
 * time the starvers before it hold the lock: bounded unfairness, whichever order
 * the wait backend wakes in (the futex backend wakes FIFO, the parking backend
 * LIFO).
 *
 * Invariants
 *   - HANDOFF implies STARVING. HANDOFF|LOCKED: handed to the starver, not yet
 *     claimed. HANDOFF without LOCKED: handed to the starver and then released
 *     by another thread before the claim; the starver's acquire still succeeds
 *     and the lock stays free (it wakes a waiter when it claims).
 *   - STARVING is set by exactly one waiter (the starver), which stays counted in
 *     the waiters field until it clears STARVING (claim, take, or timeout).
 *   - A thread sleeps only on a value that has LOCKED or STARVING set (someone
 *     will release, or the starver will take it and later release) and never on
 *     a value with WOKEN set.
 *   - Every waiter that changes the word clears WOKEN.
 *
 * Why no wakeup is lost: a waiter increments the waiters field before it reads
 * the word it sleeps on, and weft__wait re-checks the word atomically with the
 * sleep. Every release changes the word with one CAS and then, if that CAS saw
 * waiters and no WOKEN, sets WOKEN and wakes one (normal mode: any waiter may
 * take the free lock; a woken waiter that finds it taken again clears WOKEN and
 * sleeps on a LOCKED value whose holder will wake again on release), or wakes
 * all (handoff: the starver must be among the woken). While WOKEN is set some
 * waiter is awake: the one the wake picked, or - if it picked nobody because no
 * waiter was asleep yet - every counted waiter, whose weft__wait fails on the
 * changed word. An awake waiter clears WOKEN before it sleeps or leaves, so
 * WOKEN never stays set with every waiter asleep. Clearing it when some other
 * waiter was the one picked costs at most one extra wakeup later. A waiter whose
 * deadline passes takes the lock if it is free for it, or claims a handoff meant
 * for it, instead of leaving, so a wake that picked it is never wasted.
 *
 * Deadlock detection (internal/debug.h): a slow acquire that may sleep brackets
 * its wait with a wait record (kind Lock, or RLock for rlock.c's calls). A wait
 * without deadline also polls the detector before each sleep and sleeps at most
 * until the next check is due (a timeout at that point is not the caller's).
 * When the detector reports a deadlock the waiter leaves exactly as on a
 * timeout (un-count, clear WOKEN and its STARVING), after the loop's take/claim
 * branches had their chance, so the protocol, the models and the argument above
 * are unchanged: WEFT_EDEADLK is one more reason to leave.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "internal/annotate.h"
#include "internal/clock.h"
#include "internal/debug.h"
#include "internal/lock.h"
#include "internal/wait.h"
#include "weft/lock.h"

#define LOCKED     WEFT__LOCK_LOCKED
#define HANDOFF    WEFT__LOCK_HANDOFF
#define STARVING   WEFT__LOCK_STARVING
#define WOKEN      WEFT__LOCK_WOKEN
#define WAITER_ONE WEFT__LOCK_WAITER_ONE
#define WAITERS(s) WEFT__LOCK_WAITERS(s)

/* helgrind/drd: the word is only accessed atomically. init says so; the slow
 * paths say it again for statically initialised locks that never ran init.
 * Nothing in a normal build. */
#define BENIGN(lock) WEFT__BENIGN_WORD(&(lock)->state, sizeof (lock)->state + sizeof (lock)->holder)

/* Go's starvationThresholdNs (src/sync/mutex.go): 1 ms. A waiter that has not
 * got the lock after this long stops letting newcomers barge. */
#ifndef STARVE_NS
#define STARVE_NS INT64_C(1000000)
#endif

/* Spin iterations before sleeping: short, because on a loaded 2-core machine the
 * holder is often not running; a spin only pays when the holder is about to
 * release (measured: docs/design/lock.md). */
#ifndef SPIN_LIMIT
#define SPIN_LIMIT 64
#endif

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

#ifdef WEFT_DEBUG
void weft__debug_destroyed(const char *file, int line, const char *func,
                           const volatile void *obj)
{
    fprintf(stderr, "%s:%d: %s: weft object %p used after destroy\n", file, line, func,
            (const void *)obj);
    abort();
}
#endif

void weft_lock_init(weft_lock *lock)
{
    if (!lock) return;
    atomic_store_explicit(&lock->state, 0, memory_order_relaxed);
    atomic_store_explicit(&lock->holder, 0, memory_order_relaxed);
    BENIGN(lock);
    if (atomic_load_explicit(&weft__lockdbg_used, memory_order_relaxed) != 0)
        weft__lockdbg_reinit(lock);
}

void weft_lock_destroy(weft_lock *lock)
{
    if (!lock) return;
    weft__name_forget(lock);
    if (atomic_load_explicit(&weft__lockdbg_used, memory_order_relaxed) != 0)
        weft__lockdbg_forget(lock); /* its statistics and lock-order edges */
    WEFT__POISON_WORD(&lock->state);
}

bool weft_lock_locked(const weft_lock *lock)
{
    if (!lock) return false;
    BENIGN(lock);
    uint32_t s = atomic_load_explicit(&lock->state, memory_order_relaxed);
    WEFT__CHECK_ALIVE(lock, s);
    return (s & LOCKED) != 0;
}

/* Record the calling thread as the holder, after the acquiring CAS: one TLS
 * load and a relaxed load, and a relaxed store only if another thread (or
 * nobody) is recorded. Debug information only: the deadlock detector and the
 * dump read it (weft__lock_holder); nothing in the protocol does. */
static inline void set_holder(weft_lock *lock)
{
    weft__tid me = weft__me();
    if (atomic_load_explicit(&lock->holder, memory_order_relaxed) != me)
        atomic_store_explicit(&lock->holder, me, memory_order_relaxed);
}

weft__tid weft__lock_holder(const weft_lock *lock)
{
    BENIGN(lock);
    if (!(atomic_load_explicit(&lock->state, memory_order_relaxed) & LOCKED)) return 0;
    return atomic_load_explicit(&lock->holder, memory_order_relaxed);
}

/* Try to take a free lock without waiting. Newcomers respect STARVING. */
static int try_take(weft_lock *lock, uint32_t s)
{
    while (!(s & (LOCKED | STARVING))) {
        /* acquire: pairs with the release CAS of the previous holder. */
        if (atomic_compare_exchange_weak_explicit(&lock->state, &s, s | LOCKED,
                                                  memory_order_acquire,
                                                  memory_order_relaxed))
            return 1;
    }
    return 0;
}

/* model: lock-weft.pml acquire: try_take, deadline check, waiter count, then the loop's CLAIM / TAKE / LEAVE / SLEEP branches
 * kind, obj: what the wait record says the thread waits on (WEFT__WK_LOCK and the
 * lock, or WEFT__WK_RLOCK and the RLock around it). */
static int acquire_slow(weft_lock *lock, weft__ns deadline, enum weft__wk kind,
                        const void *obj)
{
    BENIGN(lock);
    uint32_t s = atomic_load_explicit(&lock->state, memory_order_relaxed);
    WEFT__CHECK_ALIVE(lock, s);

    /* Spin while the holder may be about to release, and nobody sleeps yet. */
    for (int i = 0; i < SPIN_LIMIT && WAITERS(s) == 0; i++) {
        if (try_take(lock, s)) goto taken;
        cpu_relax();
        s = atomic_load_explicit(&lock->state, memory_order_relaxed);
    }
    if (try_take(lock, s)) goto taken;
    if (deadline != WEFT__NS_FOREVER && weft__now() >= deadline) return WEFT_ETIMEDOUT;

    /* From here the thread may sleep: say what it waits on (the dump shows timed
     * waits too), and run the deadlock detector from the loop if it waits
     * forever (a timed wait ends by itself, so it is never part of a deadlock). */
    int tok = weft__rec_begin(kind, obj, deadline);
    struct weft__dl dl = { .next = WEFT__NS_FOREVER };
    if (deadline == WEFT__NS_FOREVER) weft__dl_start(&dl, deadline);

    /* Count ourselves as a waiter before reading the value we will sleep on, so
     * every release from now on sees us (no lost wakeup). */
    s = atomic_fetch_add_explicit(&lock->state, WAITER_ONE, memory_order_relaxed) + WAITER_ONE;
    weft__ns start = weft__now();
    int starver = 0;
    int give_up = WEFT_OK; /* WEFT_ETIMEDOUT or WEFT_EDEADLK: leave unless we can take it */

    for (;;) {
        uint32_t want;
        uint32_t mine = WOKEN | (starver ? STARVING : 0); /* bits we clear when leaving */
        int wake_after = 0;
        if (starver && (s & HANDOFF)) {
            /* The releaser handed the lock to us: our acquire has succeeded.
             * LOCKED still set: we hold it. LOCKED clear: another thread has
             * already released our lock (any thread may release a Lock), so it
             * stays free, and we do what that release could not: wake a waiter
             * (they slept on STARVING while it was reserved for us). */
            want = (s & ~(HANDOFF | mine)) - WAITER_ONE;
            if (!(s & LOCKED) && WAITERS(want)) {
                want |= WOKEN;
                wake_after = 1;
            }
        } else if (!(s & LOCKED) && (starver || !(s & STARVING))) {
            want = ((s | LOCKED) & ~mine) - WAITER_ONE;
        } else if (give_up != WEFT_OK) {
            /* Leave (timeout, or the detector found this wait in a deadlock):
             * un-count ourselves, give up WOKEN and the starver bit. The
             * holder (LOCKED is set, or the starver owns the free lock) wakes
             * the others when it releases. The lock's state is then as if we
             * had never come. */
            want = (s & ~mine) - WAITER_ONE;
            if (atomic_compare_exchange_weak_explicit(&lock->state, &s, want,
                                                      memory_order_relaxed,
                                                      memory_order_relaxed)) {
                weft__rec_end(tok);
                return give_up;
            }
            continue;
        } else {
            want = s & ~WOKEN;
            if (!starver && !(s & STARVING) && weft__now() - start > STARVE_NS)
                want |= STARVING; /* become the starver (only one thread can) */
            if (want != s) {
                if (!atomic_compare_exchange_weak_explicit(&lock->state, &s, want,
                                                           memory_order_relaxed,
                                                           memory_order_relaxed))
                    continue;
                if (want & STARVING & ~s) starver = 1;
                s = want;
            }
            /* Before sleeping forever, ask the detector (a compare while no check
             * is due). On a deadlock, leave as a timeout would; the loop still
             * takes the lock instead if it has become free meanwhile. */
            weft__ns until;
            if (weft__dl_poll(&dl, deadline, &until) == WEFT_EDEADLK) {
                give_up = WEFT_EDEADLK;
                s = atomic_load_explicit(&lock->state, memory_order_relaxed);
                continue;
            }
            /* s has LOCKED, or STARVING for another thread, and no WOKEN: the
             * current holder (or the starver) will release and wake. A timeout
             * at `until` before the deadline only means the detector is due. */
            if (weft__wait(&lock->state, s, until) == WEFT_ETIMEDOUT && until >= deadline)
                give_up = WEFT_ETIMEDOUT;
            s = atomic_load_explicit(&lock->state, memory_order_relaxed);
            WEFT__CHECK_ALIVE(lock, s);
            continue;
        }
        /* acquire: pairs with the releaser's CAS, so the previous critical section
         * happens before ours (release too, for a handoff that ends free). */
        if (atomic_compare_exchange_weak_explicit(&lock->state, &s, want,
                                                  memory_order_acq_rel,
                                                  memory_order_relaxed)) {
            if (wake_after) weft__wake(&lock->state, 1);
            weft__rec_end(tok);
            WEFT__HAPPENS_AFTER(lock);
            /* A handoff that another thread already released leaves the lock
             * free: it has no holder to record. */
            if (want & LOCKED) set_holder(lock);
            return WEFT_OK;
        }
    }
taken:
    WEFT__HAPPENS_AFTER(lock);
    set_holder(lock);
    return WEFT_OK;
}

/* Validate the (blocking, timeout) pair by CPython's Lock.acquire rules and turn
 * it into a deadline: 0 = poll, WEFT__NS_FOREVER = forever, -1 = positive timeout
 * (converted only if the fast path fails). rlock.c uses it to check arguments
 * before its owner check, as CPython does. */
int weft__lock_acquire_args(bool blocking, double timeout, weft__ns *deadline)
{
    /* CPython's order: NaN (ValueError), then a value that does not fit the
     * nanosecond clock in either direction (OverflowError, even for a
     * non-blocking call or a huge negative), then "can't specify a timeout for a
     * non-blocking call", then "must be a non-negative number". */
    enum weft__tclass c = weft__timeout_class(timeout);
    if (c == WEFT__T_NAN) return WEFT_EINVAL;
    if (c == WEFT__T_TOO_BIG || timeout < -WEFT_TIMEOUT_MAX) return WEFT_EOVERFLOW;
    if (!blocking) {
        if (c != WEFT__T_FOREVER) return WEFT_EINVAL;
        *deadline = 0;
        return WEFT_OK;
    }
    switch (c) {
    case WEFT__T_FOREVER: *deadline = WEFT__NS_FOREVER; return WEFT_OK;
    case WEFT__T_ZERO: *deadline = 0; return WEFT_OK;
    case WEFT__T_POSITIVE: *deadline = -1; return WEFT_OK; /* computed when needed */
    default: return WEFT_EINVAL; /* negative other than -1 */
    }
}

/* The acquire itself, without the lock-order / statistics instrumentation
 * (lockdbg.c wraps it when that is on). *slow is set to 1 when the acquire did
 * not succeed on its first try (it waited, or tried to). */
static inline __attribute__((always_inline)) int
acquire(weft_lock *lock, bool blocking, double timeout, enum weft__wk kind,
        const void *obj, int *slow)
{
    uint32_t s = 0;
    if (blocking && timeout == WEFT_FOREVER) {
        /* The common call, checked first so the fast path is one compare and
         * one CAS 0 -> LOCKED; acquire pairs with the release CAS. */
        if (__builtin_expect(atomic_compare_exchange_strong_explicit(
                                 &lock->state, &s, LOCKED, memory_order_acquire,
                                 memory_order_relaxed), 1)) {
            WEFT__HAPPENS_AFTER(lock);
            set_holder(lock);
            return WEFT_OK;
        }
        *slow = 1;
        return acquire_slow(lock, WEFT__NS_FOREVER, kind, obj);
    }

    weft__ns deadline;
    int rc = weft__lock_acquire_args(blocking, timeout, &deadline);
    if (rc != WEFT_OK) return rc;
    BENIGN(lock);
    s = atomic_load_explicit(&lock->state, memory_order_relaxed);
    WEFT__CHECK_ALIVE(lock, s);
    if (deadline == 0) {
        /* Non-blocking or poll: never sleeps, never counts as a waiter. */
        if (!try_take(lock, s)) return WEFT_ETIMEDOUT;
        WEFT__HAPPENS_AFTER(lock);
        set_holder(lock);
        return WEFT_OK;
    }
    if (try_take(lock, s)) {
        WEFT__HAPPENS_AFTER(lock);
        set_holder(lock);
        return WEFT_OK;
    }
    *slow = 1;
    return acquire_slow(lock, weft__deadline_after(timeout), kind, obj);
}

int weft__lock_acquire_raw(weft_lock *lock, bool blocking, double timeout,
                           enum weft__wk kind, const void *obj, int *slow)
{
    return acquire(lock, blocking, timeout, kind, obj, slow);
}

int weft__lock_acquire_as(weft_lock *lock, bool blocking, double timeout,
                          enum weft__wk kind, const void *obj)
{
    if (__builtin_expect(atomic_load_explicit(&weft__lockdbg_flags, memory_order_relaxed) != 0, 0))
        return weft__lockdbg_acquire(lock, blocking, timeout, kind, obj);
    int slow = 0;
    return acquire(lock, blocking, timeout, kind, obj, &slow);
}

int weft_lock_acquire(weft_lock *lock, bool blocking, double timeout)
{
    if (!lock) return WEFT_EINVAL;
    /* Lock-order checking / statistics (lockdbg.c): one relaxed load of a global
     * word that is 0 unless one of them is on. */
    if (__builtin_expect(atomic_load_explicit(&weft__lockdbg_flags, memory_order_relaxed) != 0, 0))
        return weft__lockdbg_acquire(lock, blocking, timeout, WEFT__WK_LOCK, lock);
    int slow = 0;
    return acquire(lock, blocking, timeout, WEFT__WK_LOCK, lock, &slow);
}


static inline __attribute__((always_inline)) int release(weft_lock *lock)
{
    uint32_t s = LOCKED;
    WEFT__HAPPENS_BEFORE(lock);
    /* Fast path: one CAS LOCKED -> 0; release publishes our critical section to
     * the next acquirer's acquire CAS. No waiter: nobody to wake. */
    if (atomic_compare_exchange_strong_explicit(&lock->state, &s, 0, memory_order_release,
                                                memory_order_relaxed))
        return WEFT_OK;
    BENIGN(lock);
    for (;;) {
        WEFT__CHECK_ALIVE(lock, s);
        if (!(s & LOCKED)) return WEFT_EPERM; /* "release unlocked lock"; unchanged */
        /* Here the holder is cleared before the CAS (once the lock is free the
         * next holder may store its own id, which must not be overwritten):
         * above all for a handoff, where the lock stays LOCKED for the starver
         * and must not show the releaser as its holder until the starver's
         * claim stores its own id. */
        atomic_store_explicit(&lock->holder, 0, memory_order_relaxed);
        uint32_t want;
        int wake;
        if (s & HANDOFF) {
            /* The lock was handed to the starver, which has not claimed it yet:
             * this releases the starver's lock (any thread may release a Lock).
             * Keep HANDOFF so the starver's acquire still succeeds, clear LOCKED
             * so the lock is free afterwards. The handoff's wake-all already
             * woke the starver, and it never sleeps on a HANDOFF value, so
             * there is nobody to wake; the starver wakes a waiter when it
             * claims (see acquire_slow). */
            want = s & ~LOCKED;
            wake = 0;
        } else if (s & STARVING) {
            /* Hand the lock to the starver: it stays LOCKED, nobody can barge. */
            want = s | HANDOFF;
            wake = WEFT__WAKE_ALL;
        } else if (WAITERS(s) && !(s & WOKEN)) {
            /* Wake one waiter and say so, so later releases do not wake more
             * until it has looked at the word. */
            want = (s & ~LOCKED) | WOKEN;
            wake = 1;
        } else {
            /* No waiter, or one is already awake and will see the lock free. */
            want = s & ~LOCKED;
            wake = 0;
        }
        if (atomic_compare_exchange_weak_explicit(&lock->state, &s, want,
                                                  memory_order_release,
                                                  memory_order_relaxed)) {
            /* The word changed before the wake: a waiter about to sleep on the
             * old value returns from weft__wait at once, one already asleep is
             * woken here. */
            if (wake) weft__wake(&lock->state, wake);
            return WEFT_OK;
        }
    }
}

int weft__lock_release_raw(weft_lock *lock)
{
    return release(lock);
}

int weft_lock_release(weft_lock *lock)
{
    if (!lock) return WEFT_EINVAL;
    if (__builtin_expect(atomic_load_explicit(&weft__lockdbg_flags, memory_order_relaxed) != 0, 0))
        return weft__lockdbg_release(lock);
    return release(lock);
}
