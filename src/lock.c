/* SPDX-License-Identifier: MIT */
/* lock.c: Python's threading.Lock on one 32-bit word (plus a debug holder id) and
 * internal/wait.h, with a biased mode (two more words: "Biased mode" below).
 *
 * State word (docs/design/lock.md; constants in internal/lock.h)
 * --------------------------------------------------------------
 *   bit 0  LOCKED     somebody holds the lock
 *   bit 1  CONTENDED  some thread may be asleep on the word, or about to sleep
 *                     ("Futexes are tricky"'s state 2, as one bit): the release
 *                     that clears it wakes one
 *   bit 2  STARVING   one waiter (the "starver") has waited longer than
 *                     STARVE_NS: while it is set nobody else takes the lock, free
 *                     or not, so the next release lets the starver have it
 *   bit 3  BIASED     biased mode: the word is BIASED (or BIASED|REVOKE while
 *                     a revocation runs) and `owned` says whether it is held
 *   bit 4  REVOKE     a revocation of the bias is in progress
 *
 * 0 is "unlocked, nobody waiting", so a zero-filled struct is a valid lock. The
 * word counts nobody: a thread that takes the free lock with the fast CAS
 * forgets the sleepers until one of them, woken, marks CONTENDED again, so
 * under contention the running thread stays on the two-instruction fast paths.
 * (Sessions 1-3 kept an exact waiter count and Go's WOKEN flag in the word; any
 * sleeper then kept the word non-zero and every lock+unlock took both slow
 * paths: half the textbook lock's contended throughput. docs/design/lock.md.)
 *
 * holder (debug only, internal/debug.h): the weft__tid of the thread that took
 * the lock; meaningful only while LOCKED is set (weft__lock_holder returns 0
 * otherwise). Every path that takes the lock stores the taker's id after its
 * acquiring CAS - a relaxed store, skipped when the word already holds that id
 * (a thread re-taking a lock it took last: the uncontended loop). No release
 * touches it: an unlocked lock's holder is never read. Nothing in the protocol
 * reads it; the deadlock detector and the dump do. Known imprecision, both
 * windows a few instructions wide: between a thread's acquiring CAS and its
 * holder store the lock shows the previous taker (the detector only reports a
 * cycle it finds again 100 ms later, so a thread preempted in that window does
 * not make one); and when a thread other than the holder releases the lock
 * (Python allows it) inside that window and a third thread takes it at once,
 * the late store can leave the first thread's id until the next taker stores
 * its own.
 *
 * Fast paths: acquire is one CAS 0 -> LOCKED plus the holder check and the
 * run count (one TLS load, two loads, a store while counting); release is one
 * CAS LOCKED -> 0. Both first compare the lock with the thread's last biased
 * lock (one TLS compare; the owner's biased paths if equal) and test one
 * global word (weft__lockdbg_flags, 0 unless the lock-order
 * checker or the statistics are on: lockdbg.c) with a relaxed load. Anything
 * else (sleepers, starvation, a poisoned word in WEFT_DEBUG builds) goes to the
 * slow paths.
 *
 * Slow acquire ("Futexes are tricky" mutex #2/#3, with Go's starvation mode):
 * no spin (SPIN_LIMIT); loop: if the lock is free and not reserved for another
 * thread's starvation, take it with CONTENDED set (we may have been woken by a
 * release that cleared the bit while others sleep: now our release must wake
 * the next); otherwise set CONTENDED (and STARVING, once we have waited longer
 * than STARVE_NS and nobody else has it) and sleep on the value we wrote. After
 * a wake the next attempt is a CAS from 0 (the usual value after a release),
 * one locked instruction instead of a load and a CAS.
 *
 * Backoff: under a holder that releases and re-takes the lock in a loop (no
 * work between critical sections), a waiter's sleep almost never happens: the
 * word changes again in the ~1 us between the waiter's CAS and the kernel's
 * compare, weft__wait returns WEFT__WAIT_CHANGED, the waiter marks again, and
 * every release of the holder pays a futex wake for nobody. Measured with two
 * threads on the 2-core Intel machine: about a million such returns and as
 * many wakes per second, and 13-17 Mops/s (glibc's mutex and the textbook lock
 * do the same). So after NAP_AFTER such returns in a row a waiter naps NAP_NS
 * (weft__os_nap) off the word, then goes round the loop again: meanwhile the
 * holder runs alone with no system call (2 threads: 41-48 Mops/s, about
 * 70,000 futex calls a second instead of 2.2 million). The nap is a pause
 * between two turns of the loop, so no wakeup can be lost by it: a CONTENDED
 * mark it leaves behind costs one wake for nobody, and the napper marks again
 * before it sleeps. The starver never naps (the lock is reserved for it, so
 * its waits do sleep), and a waiter that naps keeps its starvation clock: it
 * becomes the starver after STARVE_NS like any other. A nap is cut short at a
 * timed acquire's deadline, and a timed waiter whose wait returned at once
 * after its deadline leaves then (its waits would never reach the kernel's
 * timeout while the word keeps changing).
 *
 * Release: clear LOCKED and CONTENDED in one CAS; then, if CONTENDED was set,
 * wake one sleeper, or every sleeper if STARVING is set (the starver must be
 * among the woken; the others find the lock reserved and sleep again). The
 * lock stays free but reserved until the starver takes it, so a release by a
 * thread other than the holder (Python allows it) needs no special case. Every
 * waiter is served within STARVE_NS plus the time the starvers before it hold
 * the lock: bounded unfairness, whichever order the wait backend wakes in (the
 * futex backend wakes FIFO, the parking backend LIFO).
 *
 * Invariants
 *   - STARVING is set by exactly one waiter (the starver) and cleared by it
 *     alone, when it takes the lock or leaves.
 *   - A thread sleeps only on a value with CONTENDED set and LOCKED or
 *     another thread's STARVING set: someone will release (or the starver will
 *     take it, with CONTENDED, and release) and, seeing CONTENDED, wake.
 *   - A thread that has slept (or tried to) takes the lock or leaves only
 *     with CONTENDED set in the word it writes.
 *
 * Why no wakeup is lost: weft__wait re-checks the word atomically with the
 * sleep, and a waiter sleeps only on a value with CONTENDED that it read or
 * wrote. A release that clears CONTENDED changes the word, so a waiter about to
 * sleep on the old value returns at once, and it wakes one sleeper. So whenever
 * CONTENDED is clear and somebody sleeps, some waiter is awake that has not yet
 * written the word: the one the wake picked, or a waiter whose sleep failed on
 * the changed word. Every awake waiter's next write sets CONTENDED again: when
 * it sleeps (marks), when it takes the lock (whose release then wakes the
 * next), and when it leaves on a timeout or a deadlock report. (A woken wait
 * returns WEFT_OK, never a timeout, in both backends, so a picked waiter takes
 * or marks before it can leave: the mark on leaving is a margin, which the
 * model shows is needed if a backend ever reported a timeout to a waiter a
 * wake picked.) A waiter whose deadline
 * passes while the lock is free for it takes it instead of leaving, so a wake
 * that picked it is never wasted. Checked by models/lock-weft.pml.

 * Deadlock detection (internal/debug.h): a slow acquire that may sleep brackets
 * its wait with a wait record (kind Lock, or RLock for rlock.c's calls). A wait
 * without deadline also polls the detector before each sleep and sleeps at most
 * until the next check is due (a timeout at that point is not the caller's).
 * When the detector reports a deadlock the waiter leaves exactly as on a
 * timeout (mark CONTENDED, clear its STARVING), after the loop's take branch
 * had its chance, so the protocol, the models and the argument above
 * are unchanged: WEFT_EDEADLK is one more reason to leave.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include <string.h>

#include "internal/annotate.h"
#include "internal/clock.h"
#include "internal/debug.h"
#include "internal/lock.h"
#include "internal/os.h"
#include "internal/wait.h"
#include "weft/lock.h"

#define LOCKED     WEFT__LOCK_LOCKED
#define CONTENDED  WEFT__LOCK_CONTENDED
#define STARVING   WEFT__LOCK_STARVING
#define BIASED     WEFT__LOCK_BIASED
#define REVOKE     WEFT__LOCK_REVOKE
#define HELD       WEFT__LOCK_OWNED_HELD
#define FREE       WEFT__LOCK_OWNED_FREE

/* helgrind/drd: the word is only accessed atomically. init says so; the slow
 * paths say it again for statically initialised locks that never ran init.
 * Nothing in a normal build. */
#define BENIGN(lock) WEFT__BENIGN_WORD(&(lock)->state, sizeof *(lock))

/* Go's starvationThresholdNs (src/sync/mutex.go): 1 ms. A waiter that has not
 * got the lock after this long stops letting newcomers barge. */
#ifndef STARVE_NS
#define STARVE_NS INT64_C(1000000)
#endif

/* Backoff (design block above, docs/design/lock.md "Session 6"): the nap's
 * trigger and length are in internal/lock.h for the tests. */
#define NAP_AFTER WEFT__LOCK_NAP_AFTER
#define NAP_NS    WEFT__LOCK_NAP_NS

/* Spin iterations before sleeping: none by default. A waiter spinning on the
 * word pulls its cache line away from the holder at every read, so the holder's
 * next CAS pays a transfer; with no spin the waiter marks the word and sleeps,
 * and the running thread keeps the line (the textbook futex lock and GMutex do
 * the same). Measured with 2 and 4 threads: 64 spins halve the contended
 * throughput (docs/design/lock.md). Kept as a build knob for experiments. */
#ifndef SPIN_LIMIT
#define SPIN_LIMIT 0
#endif

#if SPIN_LIMIT > 0
static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}
#endif

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
    atomic_store_explicit(&lock->owned, FREE, memory_order_relaxed);
    atomic_store_explicit(&lock->bias, 0, memory_order_relaxed);
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
    if (s & BIASED) return atomic_load_explicit(&lock->owned, memory_order_relaxed) == HELD;
    return (s & LOCKED) != 0;
}

/* Record the calling thread as the holder, after the acquiring CAS: one TLS
 * load and a relaxed load, and a relaxed store only if another thread (or
 * nobody) is recorded. Debug information only: the deadlock detector and the
 * dump read it (weft__lock_holder); nothing in the protocol does. */
static void try_bias(weft_lock *lock, weft__tid me);

/* Record the calling thread as the holder, after a normal-mode acquiring CAS,
 * and count the run of acquisitions by one thread (`bias`, while below
 * WEFT__BIAS_STREAK): one TLS load, two relaxed loads and a relaxed store of a
 * line the CAS just took. The acquisition that completes the run biases the
 * lock to the caller (try_bias). Only the holder writes both fields. */
static inline void set_holder(weft_lock *lock)
{
    weft__tid me = weft__me();
    uint32_t b = atomic_load_explicit(&lock->bias, memory_order_relaxed);
    if (atomic_load_explicit(&lock->holder, memory_order_relaxed) != me) {
        atomic_store_explicit(&lock->holder, me, memory_order_relaxed);
        if (b < WEFT__BIAS_STREAK && b != 0)
            atomic_store_explicit(&lock->bias, 0, memory_order_relaxed);
        return;
    }
    if (__builtin_expect(b < WEFT__BIAS_STREAK - 1, 1))
        atomic_store_explicit(&lock->bias, b + 1, memory_order_relaxed);
    else if (b == WEFT__BIAS_STREAK - 1)
        try_bias(lock, me);
}

weft__tid weft__lock_holder(const weft_lock *lock)
{
    BENIGN(lock);
    uint32_t s = atomic_load_explicit(&lock->state, memory_order_relaxed);
    if (s & BIASED) {
        if (atomic_load_explicit(&lock->owned, memory_order_relaxed) != HELD) return 0;
    } else if (!(s & LOCKED)) {
        return 0;
    }
    return atomic_load_explicit(&lock->holder, memory_order_relaxed);
}

/* ---- Biased mode (docs/design/lock.md, "Biased mode") -------------------------
 *
 * A lock taken WEFT__BIAS_STREAK times in a row by one thread (no other thread
 * taking it in between) becomes biased to that thread, the owner: the word is
 * BIASED, `holder` names the owner, and the lock is held iff `owned` is HELD.
 * Only the owner writes `owned`, with plain stores, so its lock+unlock has no
 * locked instruction:
 *
 *   acquire  a1 word == BIASED, holder == me, owned != HELD (else another path)
 *            a3 owned = HELD; a4 compiler barrier only; a5 s = word (acquire)
 *            a6 s == BIASED: taken. a7 otherwise a revocation has begun or
 *            ended: wait for its end (take and drop `conv`) and read its
 *            outcome: DONE_HELD means the revoker saw our HELD and made the
 *            lock a normal lock held by us: taken; DONE_FREE: it saw FREE and
 *            made it a normal free lock: acquire it the normal way.
 *   release  r1 word is BIASED (or BIASED|REVOKE), holder == me, owned == HELD
 *            r2 owned = FREE (release); r3 compiler barrier; r4 s = word:
 *            BIASED: done. r5 otherwise wait for the revocation's end and, if
 *            its outcome is DONE_HELD (it saw HELD: the lock is now a normal
 *            lock held by us), release that normal lock.
 *
 * Any other thread that finds the word BIASED - to acquire, to release (Python
 * lets any thread release a Lock), or the owner itself in a case the fast
 * paths do not take (acquiring a lock it holds) - revokes the bias, once and
 * for all (unbias): u1 take `conv` (one process-wide Lock, never biased); u2
 * if the word is no longer BIASED, someone else converted it: done; u3 word =
 * BIASED|REVOKE; u4 weft__os_membarrier(); u5 v = owned (acquire); u6 bias =
 * DONE_HELD if v is HELD, else DONE_FREE; u7 word = LOCKED (the owner holds a
 * normal lock) if v is HELD, else 0 (release); u8 drop `conv`. Then it goes on
 * with the normal protocol. `bias` never counts again: a lock is biased at
 * most once in its life, so `owned` has one writer for good.
 *
 * Why the plain stores are enough: the owner's store of `owned` (a3 or r2) and
 * its load of the word after it (a5 or r4) against the revoker's store of
 * REVOKE and its load of `owned` after the membarrier (u3, u5) are Dekker's
 * pattern with the owner's fence moved to the revoker: membarrier returns only
 * after every running thread of the process executed a full barrier. If the
 * owner's load came after that barrier, it sees REVOKE; if before, its store
 * came before too and is visible to u5. So either the owner sees REVOKE (a7,
 * r5: it waits for the outcome and follows it) or the revoker sees the
 * owner's store (HELD after a3: the owner holds it; FREE after r2: released),
 * and both may happen, which is why the outcome is written down for the
 * owner. Checked by models/lock-bias.pml with the owner's store buffer
 * modelled. Revocations are serialised by `conv`, and fork's prepare takes
 * `conv` too (weft__lock_fork_*), so a child never inherits a half-done one.
 *
 * Cost: a revocation is one membarrier (about 13 us on a 2-core KVM guest with
 * the other CPU busy, and an interrupt on every CPU running the process),
 * once per lock; the run of WEFT__BIAS_STREAK acquisitions that earns the bias
 * takes far longer. WEFT_LOCK_BIAS=0 in the environment, or a system without
 * membarrier, leaves every lock normal. */

/* The lock this thread biased last: the fast paths compare the lock with it
 * before anything else (one TLS compare), so the owner pays no failing CAS and
 * other locks pay nothing else. A stale value is harmless: the fast paths
 * check the word and the holder before they use it. */
static _Thread_local weft_lock *my_bias __attribute__((tls_model("initial-exec")));

/* Serialises revocations, and is held by fork's prepare handler. Never biased
 * (its run counter starts past the end), never instrumented. */
static weft_lock conv = { 0, 0, 0, WEFT__BIAS_NEVER };

static _Atomic int bias_mode; /* 0: not decided yet; 1: on; -1: off */

int weft__lock_bias_enabled(void)
{
    int m = atomic_load_explicit(&bias_mode, memory_order_acquire);
    if (m != 0) return m > 0;
    const char *e = getenv("WEFT_LOCK_BIAS");
    int on = !(e && strcmp(e, "0") == 0) && weft__os_membarrier_register() == WEFT_OK;
    atomic_store_explicit(&bias_mode, on ? 1 : -1, memory_order_release);
    return on;
}

void weft__lock_fork_prepare(void)
{
    int slow = 0;
    (void)weft__lock_acquire_raw(&conv, true, WEFT_FOREVER, WEFT__WK_LOCK, &conv, &slow);
}

void weft__lock_fork_parent(void)
{
    (void)weft__lock_release_raw(&conv);
}

void weft__lock_fork_child(void)
{
    /* Its holder (prepare) is this thread; reset it as weft_lock_init would,
     * keeping it unbiasable. */
    atomic_store_explicit(&conv.state, 0, memory_order_relaxed);
    atomic_store_explicit(&conv.holder, 0, memory_order_relaxed);
}

/* The caller holds the lock in normal mode and has just completed a run of
 * WEFT__BIAS_STREAK acquisitions: bias it to the caller if nobody else is in
 * the word (no waiter marked it). The outcome `bias` is written before the
 * word turns BIASED (release), so a revoker, which starts from a BIASED word,
 * never has its DONE_* overwritten. */
static void try_bias(weft_lock *lock, weft__tid me)
{
    if (!me || !weft__lock_bias_enabled()) {
        atomic_store_explicit(&lock->bias, WEFT__BIAS_NEVER, memory_order_relaxed);
        return;
    }
    BENIGN(lock);   /* a statically initialised lock may not have run init */
    atomic_store_explicit(&lock->owned, HELD, memory_order_relaxed);
    atomic_store_explicit(&lock->bias, WEFT__BIAS_ON, memory_order_relaxed);
    uint32_t s = LOCKED;
    if (atomic_compare_exchange_strong_explicit(&lock->state, &s, BIASED,
                                                memory_order_release, memory_order_relaxed)) {
        my_bias = lock;
        return;
    }
    /* Waiters marked the word: stay normal, count a new run. */
    atomic_store_explicit(&lock->bias, 0, memory_order_relaxed);
}

/* Take `conv` unless the caller holds it already (fork's prepare handler holds
 * it; a later prepare handler of the same fork may still touch a biased lock).
 * Returns whether conv_drop must release it. */
static int conv_take(void)
{
    int slow = 0;
    if (weft__lock_holder(&conv) == weft__me() && weft__me() != 0) return 0;
    (void)weft__lock_acquire_raw(&conv, true, WEFT_FOREVER, WEFT__WK_LOCK, &conv, &slow);
    return 1;
}

static void conv_drop(int took)
{
    if (took) (void)weft__lock_release_raw(&conv);
}

/* u1-u8 above: make a BIASED lock a normal one. Any thread, any time; returns
 * at once if the word is no longer BIASED. */
static void unbias(weft_lock *lock)
{
    BENIGN(lock);
    int took = conv_take();
    uint32_t s = atomic_load_explicit(&lock->state, memory_order_acquire);
    if (s & BIASED) {
        /* Nobody else writes a BIASED word: the owner only reads it, other
         * revokers wait for `conv`, and waiters do not mark it. */
        atomic_store_explicit(&lock->state, BIASED | REVOKE, memory_order_relaxed);
        atomic_thread_fence(memory_order_seq_cst);
        weft__os_membarrier();
        uint32_t v = atomic_load_explicit(&lock->owned, memory_order_acquire);
        atomic_store_explicit(&lock->bias, v == HELD ? WEFT__BIAS_DONE_HELD : WEFT__BIAS_DONE_FREE,
                              memory_order_relaxed);
        /* release: the outcome before the word; and (acquire above) the
         * owner's critical sections before the next taker's. */
        atomic_store_explicit(&lock->state, v == HELD ? LOCKED : 0, memory_order_release);
    }
    conv_drop(took);
}

/* a7 / r5: the owner stored `owned` and then found the word not (only)
 * BIASED: a revocation has begun (its revoker holds `conv` until the word is
 * normal) or ended. Wait for its end; return its outcome. */
static uint32_t revocation_outcome(weft_lock *lock)
{
    if (atomic_load_explicit(&lock->state, memory_order_acquire) & BIASED)
        conv_drop(conv_take());
    (void)atomic_load_explicit(&lock->state, memory_order_acquire);
    my_bias = NULL;   /* it pointed here (every caller is this lock's owner) */
    return atomic_load_explicit(&lock->bias, memory_order_acquire);
}

enum { BIAS_NO = 0, BIAS_TAKEN = 1 };

/* a1-a7 for a lock whose word was BIASED and whose holder is the caller, with
 * owned != HELD. BIAS_TAKEN, or BIAS_NO: not taken, the lock is now a normal
 * one (or being made one): take the normal path. */
static inline int biased_acquire(weft_lock *lock)
{
    atomic_store_explicit(&lock->owned, HELD, memory_order_relaxed);
    atomic_signal_fence(memory_order_seq_cst);   /* a4: the revoker's membarrier is the fence */
    uint32_t s = atomic_load_explicit(&lock->state, memory_order_acquire);
    if (__builtin_expect(s == BIASED, 1)) return BIAS_TAKEN;
    return revocation_outcome(lock) == WEFT__BIAS_DONE_HELD ? BIAS_TAKEN : BIAS_NO;
}

/* r2-r5 for the owner of a BIASED (or being revoked) lock that it holds. */
static int release_normal(weft_lock *lock);
static int release_slow(weft_lock *lock, uint32_t s);
static inline int biased_release(weft_lock *lock)
{
    WEFT__HAPPENS_BEFORE(lock);
    atomic_store_explicit(&lock->owned, FREE, memory_order_release);
    atomic_signal_fence(memory_order_seq_cst);   /* r3 */
    uint32_t s = atomic_load_explicit(&lock->state, memory_order_relaxed);
    if (__builtin_expect(s == BIASED, 1)) return WEFT_OK;
    if (revocation_outcome(lock) == WEFT__BIAS_DONE_HELD) return release_normal(lock);
    return WEFT_OK;
}

/* Is the lock biased to the calling thread? (word BIASED or being revoked) */
static inline int biased_to_me(const weft_lock *lock, uint32_t s)
{
    return (s & ~REVOKE) == BIASED &&
           atomic_load_explicit(&lock->holder, memory_order_relaxed) == weft__me();
}

/* The slow paths' entry for a word with BIASED set (s). The owner takes a free
 * biased lock the biased way (if may_take); anyone else, or the owner of a lock
 * it holds, revokes. BIAS_TAKEN: taken; BIAS_NO: the word is normal now (or
 * being revoked by someone whose end unbias waited for): reload and go on. */
static int biased_slow(weft_lock *lock, uint32_t s, int may_take)
{
    if (may_take && s == BIASED && biased_to_me(lock, s) &&
        atomic_load_explicit(&lock->owned, memory_order_relaxed) != HELD) {
        my_bias = lock;
        if (biased_acquire(lock) == BIAS_TAKEN) return BIAS_TAKEN;
    }
    unbias(lock);
    return BIAS_NO;
}

/* Try to take a free lock without waiting. Newcomers respect STARVING. */
static int try_take(weft_lock *lock, uint32_t s)
{
    while (!(s & (LOCKED | STARVING | BIASED))) {
        /* acquire: pairs with the release CAS of the previous holder. */
        if (atomic_compare_exchange_weak_explicit(&lock->state, &s, s | LOCKED,
                                                  memory_order_acquire,
                                                  memory_order_relaxed))
            return 1;
    }
    return 0;
}

int64_t weft__lock_nap_length(int64_t deadline, int64_t now)
{
    if (deadline != WEFT__NS_FOREVER && deadline - now < NAP_NS) return deadline - now;
    return NAP_NS;
}

/* The backoff's nap, cut short at a finite deadline (the loop then times out at
 * its next weft__wait, or takes the lock if it is free). Returns the new count
 * of missed sleeps (0). Not inlined into the slow path's loop. */
static __attribute__((noinline)) int nap(weft__ns deadline)
{
    weft__os_nap(weft__lock_nap_length(deadline, deadline == WEFT__NS_FOREVER ? 0 : weft__now()));
    return 0;
}

/* model: lock-weft.pml acquire: try_take, deadline check, then the loop's TAKE / LEAVE / MARK+SLEEP branches
 * kind, obj: what the wait record says the thread waits on (WEFT__WK_LOCK and the
 * lock, or WEFT__WK_RLOCK and the RLock around it). */
static int acquire_slow(weft_lock *lock, weft__ns deadline, enum weft__wk kind,
                        const void *obj)
{
    BENIGN(lock);
    uint32_t s = atomic_load_explicit(&lock->state, memory_order_relaxed);
    WEFT__CHECK_ALIVE(lock, s);
    if (__builtin_expect(s & BIASED, 0)) {
        if (biased_slow(lock, s, 1) == BIAS_TAKEN) {
            WEFT__HAPPENS_AFTER(lock);
            return WEFT_OK;
        }
        s = atomic_load_explicit(&lock->state, memory_order_relaxed);
    }

#if SPIN_LIMIT > 0
    /* Spin while the holder may be about to release and nobody sleeps (not
     * compiled with the default SPIN_LIMIT 0: see its definition). */
    for (int i = 0; i < SPIN_LIMIT && !(s & CONTENDED); i++) {
        if (try_take(lock, s)) goto taken;
        cpu_relax();
        s = atomic_load_explicit(&lock->state, memory_order_relaxed);
    }
#endif
    if (try_take(lock, s)) goto taken;
    if (deadline != WEFT__NS_FOREVER && weft__now() >= deadline) return WEFT_ETIMEDOUT;

    /* From here the thread may sleep: say what it waits on (the dump shows timed
     * waits too), and run the deadlock detector from the loop if it waits
     * forever (a timed wait ends by itself, so it is never part of a deadlock). */
    int tok = weft__rec_begin(kind, obj, deadline);
    struct weft__dl dl = { .next = WEFT__NS_FOREVER };
    if (deadline == WEFT__NS_FOREVER) weft__dl_start(&dl, deadline);

    weft__ns start = weft__now();
    int starver = 0;
    int missed = 0;        /* weft__wait returns in a row that did not sleep */
    int give_up = WEFT_OK; /* WEFT_ETIMEDOUT or WEFT_EDEADLK: leave unless we can take it */

    for (;;) {
        WEFT__CHECK_ALIVE(lock, s);
        if (__builtin_expect(s & BIASED, 0)) {
            /* The holder biased the lock after this wait began (it saw the
             * word exactly LOCKED, so we had not marked it yet): revoke. */
            (void)biased_slow(lock, s, 0);
            s = atomic_load_explicit(&lock->state, memory_order_relaxed);
            continue;
        }
        if (!(s & LOCKED) && (starver || !(s & STARVING))) {
            /* Free for us. Take it with CONTENDED set: we may have been woken
             * by a release that cleared the bit while others still sleep, and
             * only our release can wake them now (the textbook lock's
             * "exchange 2"). The starver also gives up STARVING. acquire:
             * pairs with the releaser's CAS. */
            uint32_t want = (s | LOCKED | CONTENDED) & ~STARVING;
            if (atomic_compare_exchange_weak_explicit(&lock->state, &s, want,
                                                      memory_order_acquire,
                                                      memory_order_relaxed)) {
                weft__rec_end(tok);
                goto taken;
            }
            continue;
        }
        if (give_up != WEFT_OK) {
            /* Leave (timeout, or the detector found this wait in a deadlock),
             * with the word marked: the holder (or the starver, which takes it
             * marked) then wakes the next sleeper even if a release had counted
             * on us (a margin: see "Why no wakeup is lost"). The starver gives
             * its bit up. */
            uint32_t want = (s | CONTENDED) & ~(starver ? STARVING : 0);
            if (want == s || atomic_compare_exchange_weak_explicit(&lock->state, &s, want,
                                                                   memory_order_relaxed,
                                                                   memory_order_relaxed)) {
                weft__rec_end(tok);
                return give_up;
            }
            continue;
        }
        /* Held, or reserved for another thread's starvation: mark CONTENDED so
         * the release wakes somebody, become the starver if we have waited
         * too long (only one thread can), and sleep on what we wrote. */
        uint32_t want = s | CONTENDED;
        if (!starver && !(s & STARVING) && weft__now() - start > STARVE_NS)
            want |= STARVING;
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
        /* s has CONTENDED, and LOCKED or another thread's STARVING: the holder
         * (or the starver, once it has taken and releases) will wake. A timeout
         * at `until` before the deadline only means the detector is due. */
        int w = weft__wait(&lock->state, s, until);
        if (w == WEFT_ETIMEDOUT && until >= deadline) give_up = WEFT_ETIMEDOUT;
        if (w != WEFT__WAIT_CHANGED) missed = 0;
        else if (deadline != WEFT__NS_FOREVER && weft__now() >= deadline)
            give_up = WEFT_ETIMEDOUT;   /* a wait that cannot sleep cannot time out */
        else if (++missed >= NAP_AFTER && !starver) missed = nap(deadline);
        /* Most wakes find the lock free with nothing else in the word: try
         * that first (one CAS instead of a load and a CAS). */
        s = 0;
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

/* a1-a6 for the lock this thread biased last (my_bias == lock): BIAS_TAKEN, or
 * BIAS_NO and the caller goes the normal way (the word is not BIASED for us, we
 * hold it already, or a revocation made it a normal free lock). Not forced
 * inline: acquire() is, into three callers. */
static inline int owner_acquire(weft_lock *lock)
{
    uint32_t s = atomic_load_explicit(&lock->state, memory_order_relaxed);
    if (__builtin_expect(s == BIASED, 1) && biased_to_me(lock, s) &&
        atomic_load_explicit(&lock->owned, memory_order_relaxed) != HELD &&
        biased_acquire(lock) == BIAS_TAKEN) {
        WEFT__HAPPENS_AFTER(lock);
        return BIAS_TAKEN;
    }
    return BIAS_NO;
}

/* The timed and non-blocking acquire found the word BIASED (s): the owner's
 * poll of a lock it holds is WEFT_ETIMEDOUT without a revocation; otherwise
 * take it the biased way (owner) or revoke. WEFT_OK (taken), WEFT_ETIMEDOUT,
 * or 1: go on with the normal path on a fresh load of the word. */
static int acquire_biased_word(weft_lock *lock, uint32_t s, weft__ns deadline)
{
    if (deadline == 0 && biased_to_me(lock, s) &&
        atomic_load_explicit(&lock->owned, memory_order_relaxed) == HELD)
        return WEFT_ETIMEDOUT;
    if (biased_slow(lock, s, 1) == BIAS_TAKEN) {
        WEFT__HAPPENS_AFTER(lock);
        return WEFT_OK;
    }
    return 1;
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
        /* The owner of a biased lock: a1-a6 (one TLS compare for everyone
         * else). */
        if (my_bias == lock && owner_acquire(lock) == BIAS_TAKEN) return WEFT_OK;
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
    if (__builtin_expect(s & BIASED, 0)) {
        rc = acquire_biased_word(lock, s, deadline);
        if (rc != 1) return rc;
        s = atomic_load_explicit(&lock->state, memory_order_relaxed);
    }
    if (deadline == 0) {
        /* Non-blocking or poll: never sleeps, never marks the word. */
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


/* r1-r4 for the lock this thread biased last: WEFT_OK or WEFT_EPERM, or 1 if the
 * word is not biased to us (the normal release). Not forced inline. */
static inline int owner_release(weft_lock *lock)
{
    uint32_t s = atomic_load_explicit(&lock->state, memory_order_relaxed);
    if (!biased_to_me(lock, s)) return 1;
    if (atomic_load_explicit(&lock->owned, memory_order_relaxed) != HELD)
        return WEFT_EPERM;   /* only its owner holds a biased lock */
    return biased_release(lock);
}

static inline __attribute__((always_inline)) int release(weft_lock *lock)
{
    uint32_t s = LOCKED;
    /* The owner of a biased lock: r1-r4 (one TLS compare for everyone else). */
    int rc;
    if (my_bias == lock && (rc = owner_release(lock)) != 1) return rc;
    WEFT__HAPPENS_BEFORE(lock);
    /* Fast path: one CAS LOCKED -> 0; release publishes our critical section to
     * the next acquirer's acquire CAS. No waiter: nobody to wake. */
    if (atomic_compare_exchange_strong_explicit(&lock->state, &s, 0, memory_order_release,
                                                memory_order_relaxed))
        return WEFT_OK;
    return release_slow(lock, s);
}

/* The release after the fast CAS failed with the word s. */
static int release_slow(weft_lock *lock, uint32_t s)
{
    BENIGN(lock);
    for (;;) {
        WEFT__CHECK_ALIVE(lock, s);
        if (__builtin_expect(s & BIASED, 0)) {
            /* The owner releasing (its fast path missed: it biased another
             * lock since): the biased release. Anyone else revokes first, then
             * releases the normal lock, held (by the owner) or not (EPERM). */
            if (biased_to_me(lock, s)) {
                my_bias = lock;
                int rc = owner_release(lock);
                if (rc != 1) return rc;
                s = atomic_load_explicit(&lock->state, memory_order_relaxed);
                continue;   /* revoked meanwhile */
            }
            unbias(lock);
            s = atomic_load_explicit(&lock->state, memory_order_relaxed);
            continue;
        }
        if (!(s & LOCKED)) return WEFT_EPERM; /* "release unlocked lock"; unchanged */
        /* Clear LOCKED and CONTENDED. CONTENDED: wake one sleeper, which takes
         * the lock with CONTENDED set or marks it again before it sleeps or
         * leaves, so the others are not forgotten. STARVING: wake every
         * sleeper, so the starver is among them; the lock stays reserved for
         * it (nobody else takes a free lock while STARVING is set). */
        uint32_t want = s & ~(LOCKED | CONTENDED);
        int wake = (s & STARVING) ? WEFT__WAKE_ALL : (s & CONTENDED) ? 1 : 0;
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

/* A normal-mode release (r5: the revoker made the owner's biased lock a normal
 * held one). */
static int release_normal(weft_lock *lock)
{
    uint32_t s = LOCKED;
    WEFT__HAPPENS_BEFORE(lock);
    if (atomic_compare_exchange_strong_explicit(&lock->state, &s, 0, memory_order_release,
                                                memory_order_relaxed))
        return WEFT_OK;
    return release_slow(lock, s);
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
