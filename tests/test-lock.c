/* SPDX-License-Identifier: MIT */
/* test-lock.c: weft_lock against CPython 3.13's Lib/test/lock_tests.py
 * (BaseLockTests, LockTests), the misuse matrix, and stress with invariants.
 *
 * Python cases that do not apply to C:
 *   BaseLockTests.test_constructor      constructor arguments: C has none to misuse
 *   BaseLockTests.test_repr, test_locked_repr   no repr in C (weft_lock_locked instead)
 *   BaseLockTests.test_weakref_exists, test_weakref_deleted   no weak references
 *   BaseLockTests.test_thread_leak      weft keeps no per-thread objects for locks
 *   LockTests.test_at_fork_reinit       fork support is a later step; a re-init
 *                                       (weft_lock_init) is what it would do
 * test_with is in test-with.c (WEFT_WITH_LOCK).
 */
#include "harness.h"
#include "lock-test-util.h"

#include <limits.h>
#include <errno.h>
#include <stdatomic.h>

#include "internal/lock.h"
#include "internal/wait.h"

/* How many threads are blocked on the lock (their wait records, from the
 * dump), for "N threads are now blocked" handshakes instead of sleeps. */
static int waiters_of(weft_lock *l)
{
    return blocked_on(l);
}

/* ---- BaseLockTests ------------------------------------------------------------- */

TEST(BaseLockTests_test_acquire_destroy)
{
    weft_lock l;
    weft_lock_init(&l);
    ASSERT_OK(weft_lock_acquire(&l, true, WEFT_FOREVER));
    ASSERT_OK(weft_lock_release(&l));
    weft_lock_destroy(&l);
}

TEST(BaseLockTests_test_acquire_release)
{
    weft_lock l = WEFT_LOCK_INIT;
    ASSERT_OK(weft_lock_acquire(&l, true, WEFT_FOREVER));
    ASSERT_TRUE(weft_lock_locked(&l));
    ASSERT_OK(weft_lock_release(&l));
    ASSERT_FALSE(weft_lock_locked(&l));
}

TEST(BaseLockTests_test_try_acquire)
{
    weft_lock l = WEFT_LOCK_INIT;
    ASSERT_OK(weft_lock_acquire(&l, false, WEFT_FOREVER));
    ASSERT_OK(weft_lock_release(&l));
}

struct lk_res { weft_lock lock; int rc[4]; _Atomic int phase; };

static void try_contended(void *p, int i)
{
    struct lk_res *r = p;
    r->rc[i] = weft_lock_acquire(&r->lock, false, WEFT_FOREVER);
}

TEST(BaseLockTests_test_try_acquire_contended)
{
    struct lk_res r = { WEFT_LOCK_INIT, { 99 }, 0 };
    ASSERT_OK(weft_lock_acquire(&r.lock, true, WEFT_FOREVER));
    weft_test_join(weft_test_start(1, try_contended, &r));
    ASSERT_RC(r.rc[0], WEFT_ETIMEDOUT);
    ASSERT_OK(weft_lock_release(&r.lock));
}

static void acquire_release(void *p, int i)
{
    weft_lock *l = p;
    ASSERT_OK(weft_lock_acquire(l, true, WEFT_FOREVER));
    ASSERT_OK(weft_lock_release(l));
}

TEST(BaseLockTests_test_acquire_contended)
{
    weft_lock l = WEFT_LOCK_INIT;
    ASSERT_OK(weft_lock_acquire(&l, true, WEFT_FOREVER));
    weft_test_threads *ts = weft_test_start(5, acquire_release, &l);
    WAIT_UNTIL(waiters_of(&l) == 5, 10);
    ASSERT_EQ(weft_test_finished(ts), 0);
    ASSERT_OK(weft_lock_release(&l));
    weft_test_join(ts);
    ASSERT_EQ(atomic_load(&l.state), 0);
}

static void timed_fail(void *p, int i)
{
    struct lk_res *r = p;
    double t0 = weft_test_now();
    r->rc[i] = weft_lock_acquire(&r->lock, true, 0.5);
    ASSERT_ELAPSED_AT_LEAST(t0, 0.5);
    ASSERT_ELAPSED_AT_MOST(t0, 5);
}

TEST(BaseLockTests_test_timeout)
{
    struct lk_res r = { WEFT_LOCK_INIT, { 99 }, 0 };
    weft_lock *l = &r.lock;
    ASSERT_RC(weft_lock_acquire(l, false, 1), WEFT_EINVAL);
    ASSERT_RC(weft_lock_acquire(l, true, -100), WEFT_EINVAL);
    ASSERT_RC(weft_lock_acquire(l, true, 1e100), WEFT_EOVERFLOW);
    ASSERT_RC(weft_lock_acquire(l, true, WEFT_TIMEOUT_MAX + 1), WEFT_EOVERFLOW);
    ASSERT_FALSE(weft_lock_locked(l));
    ASSERT_OK(weft_lock_acquire(l, true, WEFT_TIMEOUT_MAX));
    ASSERT_OK(weft_lock_release(l));
    double t0 = weft_test_now();
    ASSERT_OK(weft_lock_acquire(l, true, 5));
    ASSERT(weft_test_now() - t0 < 5);
    weft_test_join(weft_test_start(1, timed_fail, &r));
    ASSERT_RC(r.rc[0], WEFT_ETIMEDOUT);
    ASSERT_OK(weft_lock_release(l));
    ASSERT_EQ(atomic_load(&l->state), 0);
}

/* ---- LockTests ----------------------------------------------------------------- */

static void reacquire_fn(void *p, int i)
{
    struct lk_res *r = p;
    ASSERT_OK(weft_lock_acquire(&r->lock, true, WEFT_FOREVER));
    atomic_fetch_add(&r->phase, 1);
    ASSERT_OK(weft_lock_acquire(&r->lock, true, WEFT_FOREVER)); /* blocks: not reentrant */
    atomic_fetch_add(&r->phase, 1);
}

TEST(LockTests_test_reacquire)
{
    struct lk_res r = { WEFT_LOCK_INIT, { 0 }, 0 };
    weft_test_threads *ts = weft_test_start(1, reacquire_fn, &r);
    WAIT_UNTIL(atomic_load(&r.phase) == 1, 10);
    WAIT_UNTIL(waiters_of(&r.lock) == 1, 10); /* blocked on itself */
    ASSERT_EQ(atomic_load(&r.phase), 1);
    ASSERT_OK(weft_lock_release(&r.lock));
    WAIT_UNTIL(atomic_load(&r.phase) == 2, 10);
    weft_test_join(ts);
    ASSERT_OK(weft_lock_release(&r.lock));
}

static void release_fn(void *p, int i)
{
    ASSERT_OK(weft_lock_release(p));
}

TEST(LockTests_test_different_thread)
{
    weft_lock l = WEFT_LOCK_INIT;
    ASSERT_OK(weft_lock_acquire(&l, true, WEFT_FOREVER));
    weft_test_join(weft_test_start(1, release_fn, &l));
    ASSERT_OK(weft_lock_acquire(&l, true, WEFT_FOREVER));
    ASSERT_OK(weft_lock_release(&l));
}

TEST(LockTests_test_state_after_timeout)
{
    weft_lock l = WEFT_LOCK_INIT;
    ASSERT_OK(weft_lock_acquire(&l, true, WEFT_FOREVER));
    double t0 = weft_test_now();
    ASSERT_RC(weft_lock_acquire(&l, true, 0.01), WEFT_ETIMEDOUT);
    ASSERT_ELAPSED_AT_LEAST(t0, 0.01);
    /* The waiter that left marked the word "may have sleepers" (it cannot know
     * whether a release woke it, counting on it); the release clears it. */
    ASSERT_EQ(atomic_load(&l.state), WEFT__LOCK_LOCKED | WEFT__LOCK_CONTENDED);
    ASSERT_OK(weft_lock_release(&l));
    ASSERT_FALSE(weft_lock_locked(&l));
    ASSERT_EQ(atomic_load(&l.state), 0);
    ASSERT_OK(weft_lock_acquire(&l, false, WEFT_FOREVER));
    ASSERT_OK(weft_lock_release(&l));
}

/* ---- more behaviour ------------------------------------------------------------ */

TEST(zero_filled_is_unlocked)
{
    static weft_lock s; /* static storage: zero */
    weft_lock m;
    memset(&m, 0, sizeof m);
    ASSERT_FALSE(weft_lock_locked(&s));
    ASSERT_FALSE(weft_lock_locked(&m));
    ASSERT_OK(weft_lock_acquire(&s, false, WEFT_FOREVER));
    ASSERT_OK(weft_lock_acquire(&m, true, 0));
    ASSERT_OK(weft_lock_release(&s));
    ASSERT_OK(weft_lock_release(&m));
}

TEST(poll_timeout_zero)
{
    weft_lock l = WEFT_LOCK_INIT;
    ASSERT_OK(weft_lock_acquire(&l, true, 0));
    double t0 = weft_test_now();
    ASSERT_RC(weft_lock_acquire(&l, true, 0), WEFT_ETIMEDOUT);
    ASSERT_RC(weft_lock_acquire(&l, true, -0.0), WEFT_ETIMEDOUT);
    ASSERT_RC(weft_lock_acquire(&l, false, WEFT_FOREVER), WEFT_ETIMEDOUT);
    ASSERT_ELAPSED_AT_MOST(t0, 1);
    ASSERT_EQ(atomic_load(&l.state), WEFT__LOCK_LOCKED); /* a poll never marks the word */
    ASSERT_OK(weft_lock_release(&l));
}

static void wait_then_take(void *p, int i)
{
    struct lk_res *r = p;
    r->rc[i] = weft_lock_acquire(&r->lock, true, 30);
    if (r->rc[i] == WEFT_OK) ASSERT_OK(weft_lock_release(&r->lock));
}

TEST(timed_acquire_succeeds_when_released)
{
    struct lk_res r = { WEFT_LOCK_INIT, { 99, 99 }, 0 };
    ASSERT_OK(weft_lock_acquire(&r.lock, true, WEFT_FOREVER));
    weft_test_threads *ts = weft_test_start(2, wait_then_take, &r);
    WAIT_UNTIL(waiters_of(&r.lock) == 2, 10);
    double t0 = weft_test_now();
    ASSERT_OK(weft_lock_release(&r.lock));
    weft_test_join(ts);
    ASSERT_ELAPSED_AT_MOST(t0, 10);
    ASSERT_RC(r.rc[0], WEFT_OK);
    ASSERT_RC(r.rc[1], WEFT_OK);
    ASSERT_EQ(atomic_load(&r.lock.state), 0);
}

/* ---- misuse matrix: (function, bad input) -> code, object unchanged --------------- */

TEST(misuse_acquire_null)
{
    ASSERT_RC(weft_lock_acquire(NULL, true, WEFT_FOREVER), WEFT_EINVAL);
    ASSERT_RC(weft_lock_acquire(NULL, false, WEFT_FOREVER), WEFT_EINVAL);
}

TEST(misuse_release_null)
{
    ASSERT_RC(weft_lock_release(NULL), WEFT_EINVAL);
    ASSERT_FALSE(weft_lock_locked(NULL));
    weft_lock_init(NULL);
    weft_lock_destroy(NULL);
}

TEST(misuse_release_unlocked)
{
    weft_lock l = WEFT_LOCK_INIT;
    ASSERT_RC(weft_lock_release(&l), WEFT_EPERM);
    ASSERT_EQ(atomic_load(&l.state), 0);
    ASSERT_OK(weft_lock_acquire(&l, true, WEFT_FOREVER));
    ASSERT_OK(weft_lock_release(&l));
    ASSERT_RC(weft_lock_release(&l), WEFT_EPERM);
    ASSERT_EQ(atomic_load(&l.state), 0);
}

/* Each bad (blocking, timeout) on an unlocked and on a locked lock: the code,
 * and the lock's state word is exactly what it was. */
static void check_bad_args(bool blocking, double timeout, int expect)
{
    weft_lock l = WEFT_LOCK_INIT;
    ASSERT_RC(weft_lock_acquire(&l, blocking, timeout), expect);
    ASSERT_EQ(atomic_load(&l.state), 0);
    ASSERT_OK(weft_lock_acquire(&l, true, WEFT_FOREVER));
    ASSERT_RC(weft_lock_acquire(&l, blocking, timeout), expect);
    ASSERT_EQ(atomic_load(&l.state), 1);
    ASSERT_OK(weft_lock_release(&l));
}

TEST(misuse_acquire_negative_timeout)
{
    check_bad_args(true, -100, WEFT_EINVAL);
    check_bad_args(true, -1e-12, WEFT_EINVAL);
    check_bad_args(true, -1.5, WEFT_EINVAL);
    check_bad_args(true, -5e9, WEFT_EINVAL); /* still fits the clock: ValueError */
    check_bad_args(true, -0.5, WEFT_EINVAL);
}

TEST(misuse_acquire_nan_timeout)
{
    check_bad_args(true, NAN, WEFT_EINVAL);
    check_bad_args(false, NAN, WEFT_EINVAL);
}

TEST(misuse_acquire_timeout_too_big)
{
    check_bad_args(true, WEFT_TIMEOUT_MAX + 1, WEFT_EOVERFLOW);
    check_bad_args(true, 1e100, WEFT_EOVERFLOW);
    check_bad_args(true, INFINITY, WEFT_EOVERFLOW);
    check_bad_args(true, -INFINITY, WEFT_EOVERFLOW); /* Python: OverflowError too */
    /* CPython converts before any other check: too large either way overflows,
     * even for a non-blocking call. */
    check_bad_args(true, -1e100, WEFT_EOVERFLOW);
    check_bad_args(true, -WEFT_TIMEOUT_MAX - 1, WEFT_EOVERFLOW);
    check_bad_args(false, -1e100, WEFT_EOVERFLOW);
    check_bad_args(false, WEFT_TIMEOUT_MAX + 1, WEFT_EOVERFLOW);
    check_bad_args(false, INFINITY, WEFT_EOVERFLOW);
}

TEST(misuse_acquire_nonblocking_with_timeout)
{
    check_bad_args(false, 0, WEFT_EINVAL);
    check_bad_args(false, 1, WEFT_EINVAL);
    check_bad_args(false, -2, WEFT_EINVAL);
    check_bad_args(false, WEFT_TIMEOUT_MAX, WEFT_EINVAL);
    check_bad_args(false, -5e9, WEFT_EINVAL);
}

/* ---- stress -------------------------------------------------------------------- */

/* Start gate: every thread waits until all have started, so they really contend. */
static void gate(_Atomic int *ready, int n)
{
    atomic_fetch_add(ready, 1);
    while (atomic_load(ready) < n) weft_test_sleep(0.0001);
}

struct counter_stress {
    weft_lock lock;
    _Atomic int ready;
    int nthreads;
    long iters;
    long counter;            /* plain: protected by lock */
    _Atomic long per[8];
};

static void count_fn(void *p, int i)
{
    struct counter_stress *s = p;
    gate(&s->ready, s->nthreads);
    for (long k = 0; k < s->iters; k++) {
        ASSERT_OK(weft_lock_acquire(&s->lock, true, WEFT_FOREVER));
        s->counter++;
        ASSERT_OK(weft_lock_release(&s->lock));
    }
}

SLOW_TEST(stress_counter_exact)
{
    static struct counter_stress s;
    weft_lock_init(&s.lock);
    s.iters = weft_test_iters(1000000);
    s.counter = 0;
    s.nthreads = 8;
    weft_test_join(weft_test_start(8, count_fn, &s));
    ASSERT_EQ(s.counter, 8 * s.iters);
    ASSERT_LOCK_AT_REST(&s.lock); /* fully reset: unlocked, no waiter */
}

/* Mixed blocking, timed, poll and try acquires. */
static void mixed_fn(void *p, int i)
{
    struct counter_stress *s = p;
    long got = 0;
    gate(&s->ready, s->nthreads);
    for (long k = 0; k < s->iters; k++) {
        int rc;
        switch ((k + i) % 4) {
        case 0: rc = weft_lock_acquire(&s->lock, true, WEFT_FOREVER); break;
        case 1: rc = weft_lock_acquire(&s->lock, true, 0.0005); break;
        case 2: rc = weft_lock_acquire(&s->lock, true, 0); break;
        default: rc = weft_lock_acquire(&s->lock, false, WEFT_FOREVER); break;
        }
        ASSERT(rc == WEFT_OK || rc == WEFT_ETIMEDOUT);
        if (rc == WEFT_OK) {
            s->counter++;
            got++;
            ASSERT_OK(weft_lock_release(&s->lock));
        }
    }
    atomic_store(&s->per[i], got);
}

SLOW_TEST(stress_mixed_timeouts_exact)
{
    static struct counter_stress s;
    weft_lock_init(&s.lock);
    s.iters = weft_test_iters(200000);
    s.counter = 0;
    s.nthreads = 6;
    weft_test_join(weft_test_start(6, mixed_fn, &s));
    long sum = 0;
    for (int i = 0; i < 6; i++) sum += atomic_load(&s.per[i]);
    ASSERT_EQ(s.counter, sum);
    ASSERT_GE(sum, 6 * (s.iters / 4)); /* every blocking acquire succeeded */
    ASSERT_LOCK_AT_REST(&s.lock);
}

/* Fairness: threads hammer the lock for a fixed time, holding it a little; every
 * thread must make progress (the starvation mode bounds how long a waiter can
 * be passed over), and the spread is reported. */
struct fair {
    weft_lock lock;
    _Atomic int stop;
    _Atomic long count[8];
    volatile long sink;
};

static void fair_fn(void *p, int i)
{
    struct fair *f = p;
    long n = 0;
    while (!atomic_load_explicit(&f->stop, memory_order_relaxed)) {
        ASSERT_OK(weft_lock_acquire(&f->lock, true, WEFT_FOREVER));
        for (int k = 0; k < 200; k++) f->sink = f->sink + k; /* a short critical section */
        n++;
        /* under the lock, so the progress check below reads it race-free for
         * helgrind and drd too (they do not see the test's own atomics) */
        atomic_store_explicit(&f->count[i], n, memory_order_relaxed);
        ASSERT_OK(weft_lock_release(&f->lock));
    }
}

static bool all_progressed(struct fair *f, int n)
{
    bool all = true;
    ASSERT_OK(weft_lock_acquire(&f->lock, true, WEFT_FOREVER));
    for (int i = 0; i < n; i++)
        if (atomic_load(&f->count[i]) == 0) all = false;
    ASSERT_OK(weft_lock_release(&f->lock));
    return all;
}

SLOW_TEST(stress_fairness_every_thread_progresses)
{
    static struct fair f;
    weft_lock_init(&f.lock);
    const int N = 6;
    weft_test_threads *ts = weft_test_start(N, fair_fn, &f);
    /* At least 1 s of contention, and on until every thread has taken the lock
     * at least once: a starved thread fails the WAIT_UNTIL after a generous
     * deadline (scaled: valgrind runs one thread at a time and may not schedule
     * a thread for a long while). */
    weft_test_sleep(1.0); /* how long the contention runs; not for ordering */
    WAIT_UNTIL(all_progressed(&f, N), 30);
    atomic_store(&f.stop, 1);
    weft_test_join(ts);
    long mn = LONG_MAX, mx = 0, sum = 0;
    for (int i = 0; i < N; i++) {
        long c = atomic_load(&f.count[i]);
        if (c < mn) mn = c;
        if (c > mx) mx = c;
        sum += c;
    }
    printf("fairness: %d threads, 1 s, total %ld, min %ld, max %ld\n", N, sum, mn, mx);
    ASSERT_GT(mn, 0);
    ASSERT_LOCK_AT_REST(&f.lock);
}

/* Go's TestMutexFairness, sharpened: a hog holds the lock ~100 us and re-takes
 * it at once after each release (it always wins a plain barging race, since it
 * is running and the woken waiter is not); the victim must still get the lock
 * 10 times, each within a bounded wait. Starvation mode is what bounds it:
 * after STARVE_NS (1 ms) of waiting the next release leaves the lock reserved
 * for the victim. */
struct hog { weft_lock lock; _Atomic int stop; _Atomic int hog_started; double worst; };

static void hog_fn(void *p, int i)
{
    struct hog *h = p;
    if (i == 0) {
        atomic_store(&h->hog_started, 1);
        while (!atomic_load_explicit(&h->stop, memory_order_relaxed)) {
            ASSERT_OK(weft_lock_acquire(&h->lock, true, WEFT_FOREVER));
            double t0 = weft_test_now();
            while (weft_test_now() - t0 < 0.0001) { }
            ASSERT_OK(weft_lock_release(&h->lock));
        }
        return;
    }
    while (!atomic_load(&h->hog_started)) weft_test_sleep(0.0001);
    for (int k = 0; k < 10; k++) {
        weft_test_sleep(0.0001);
        double t0 = weft_test_now();
        ASSERT_OK(weft_lock_acquire(&h->lock, true, WEFT_FOREVER));
        double w = weft_test_now() - t0;
        if (w > h->worst) h->worst = w;
        ASSERT_OK(weft_lock_release(&h->lock));
    }
    atomic_store(&h->stop, 1);
}

SLOW_TEST(stress_fairness_hog_cannot_starve_waiter)
{
    static struct hog h;
    weft_lock_init(&h.lock);
    double t0 = weft_test_now();
    weft_test_join(weft_test_start(2, hog_fn, &h));
    printf("victim: 10 acquisitions in %.3f s, worst wait %.3f ms\n",
           weft_test_now() - t0, h.worst * 1e3);
    ASSERT_ELAPSED_AT_MOST(t0, 5);
    ASSERT_LOCK_AT_REST(&h.lock);
}

/* ---- WEFT_DEBUG: use after destroy aborts with file, line, function, address ---- */

#ifdef WEFT_DEBUG
#include "lock-test-util.h"
static void use_destroyed_acquire(void)
{
    weft_lock l;
    weft_lock_init(&l);
    weft_lock_destroy(&l);
    (void)weft_lock_acquire(&l, true, WEFT_FOREVER);
}
static void use_destroyed_release(void)
{
    weft_lock l;
    weft_lock_init(&l);
    weft_lock_destroy(&l);
    (void)weft_lock_release(&l);
}
static void use_destroyed_try(void)
{
    weft_lock l;
    weft_lock_init(&l);
    weft_lock_destroy(&l);
    (void)weft_lock_acquire(&l, false, WEFT_FOREVER);
}
static void use_destroyed_locked(void)
{
    weft_lock l;
    weft_lock_init(&l);
    weft_lock_destroy(&l);
    (void)weft_lock_locked(&l);
}
#endif

TEST(debug_use_after_destroy_aborts)
{
#ifdef WEFT_DEBUG
    expect_debug_abort(use_destroyed_acquire, "used after destroy", "lock.c");
    expect_debug_abort(use_destroyed_release, "used after destroy", "lock.c");
    expect_debug_abort(use_destroyed_try, "used after destroy", "lock.c");
    expect_debug_abort(use_destroyed_locked, "used after destroy", "weft_lock_locked");
#else
    /* Non-debug builds do not check (the fast path stays one CAS). */
    weft_lock l;
    weft_lock_init(&l);
    weft_lock_destroy(&l);
    ASSERT_EQ(atomic_load(&l.state), 0); /* destroy wrote nothing */
#endif
}

/* A Lock used as Python code often does, as a binary semaphore released by
 * another thread: consumers block in acquire (forever, timed and poll), the
 * main thread releases whenever the lock is held again. Every release lets
 * exactly one acquire through, so consumed == releases (+/- the final state). A
 * lost wakeup hangs the test; releases often land while the lock is reserved
 * for a starving consumer, and timed consumers leave while others sleep. */
struct sem { weft_lock l; _Atomic long consumed; _Atomic int stop; };

static void sem_consumer(void *p, int i)
{
    struct sem *s = p;
    for (long k = 0; !atomic_load(&s->stop); k++) {
        int rc = weft_lock_acquire(&s->l, true, (k + i) % 3 == 0 ? 0.002 :
                                   (k + i) % 3 == 1 ? 0 : WEFT_FOREVER);
        ASSERT(rc == WEFT_OK || rc == WEFT_ETIMEDOUT);
        if (rc == WEFT_OK) atomic_fetch_add(&s->consumed, 1);
    }
}

SLOW_TEST(stress_release_by_other_thread_exact)
{
    static struct sem s;
    weft_lock_init(&s.l);
    ASSERT_OK(weft_lock_acquire(&s.l, true, WEFT_FOREVER));
    const int K = 4;
    long n = weft_test_iters(20000), releases = 0;
    weft_test_threads *ts = weft_test_start(K, sem_consumer, &s);
    for (long i = 0; i < n; i++) {
        for (int spin = 0; !weft_lock_locked(&s.l); spin++)
            if (spin > 100) weft_test_sleep(0.00001);
        ASSERT_OK(weft_lock_release(&s.l));
        releases++;
    }
    atomic_store(&s.stop, 1);
    while (weft_test_finished(ts) < K) {
        if (weft_lock_locked(&s.l)) {
            ASSERT_OK(weft_lock_release(&s.l));
            releases++;
        }
        weft_test_sleep(0.0001);
    }
    weft_test_join(ts);
    long consumed = atomic_load(&s.consumed);
    /* The lock was held at the start: each release freed it, each consumed
     * acquire took it. */
    bool held = weft_lock_locked(&s.l);
    ASSERT_EQ(consumed, held ? releases : releases - 1);
    if (held) ASSERT_OK(weft_lock_release(&s.l));
    ASSERT_LOCK_AT_REST(&s.l);
}

/* errno is never touched: not by the fast paths, not by a timed-out wait, not by
 * a contended sleep and wake (GLib's mutex test checks the same). */
static void errno_worker(void *p, int i)
{
    struct lk_res *r = p;
    errno = 777;
    r->rc[i] = weft_lock_acquire(&r->lock, true, 30);
    ASSERT_EQ(errno, 777);
    ASSERT_OK(weft_lock_release(&r->lock));
    ASSERT_EQ(errno, 777);
}

TEST(errno_is_preserved)
{
    static struct lk_res r = { WEFT_LOCK_INIT, { 99 }, 0 };
    errno = 12345;
    ASSERT_OK(weft_lock_acquire(&r.lock, true, WEFT_FOREVER));
    ASSERT_RC(weft_lock_acquire(&r.lock, true, 0.002), WEFT_ETIMEDOUT);
    ASSERT_RC(weft_lock_acquire(&r.lock, false, WEFT_FOREVER), WEFT_ETIMEDOUT);
    ASSERT_RC(weft_lock_acquire(&r.lock, true, -5), WEFT_EINVAL);
    ASSERT_EQ(errno, 12345);
    weft_test_threads *ts = weft_test_start(1, errno_worker, &r);
    WAIT_UNTIL(waiters_of(&r.lock) == 1, 10);
    ASSERT_OK(weft_lock_release(&r.lock)); /* wakes the sleeper */
    weft_test_join(ts);
    ASSERT_RC(r.rc[0], WEFT_OK);
    ASSERT_RC(weft_lock_release(&r.lock), WEFT_EPERM);
    ASSERT_EQ(errno, 12345);
}
