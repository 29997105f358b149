/* SPDX-License-Identifier: MIT */
/* test-rlock.c: weft_rlock against CPython 3.13's Lib/test/lock_tests.py
 * (BaseLockTests run on an RLock, RLockTests), the misuse matrix and stress.
 *
 * Python cases that do not apply to C:
 *   BaseLockTests.test_constructor, test_repr, test_locked_repr,
 *   test_weakref_exists, test_weakref_deleted, test_thread_leak: as in test-lock.c
 *   (no constructor arguments, repr, weak references or per-thread objects in C)
 *   RLockTests.test_release_save_unacquired: _release_save is internal in weft
 *   (Condition's), tested here through weft__rlock_release_save directly.
 * test_with is in test-with.c (WEFT_WITH_RLOCK).
 */
#include "harness.h"
#include "lock-test-util.h"

#include <stdatomic.h>

#include "internal/lock.h"
#include "internal/self.h"

static int waiters_of(weft_rlock *l)
{
    return blocked_on(l);
}

/* The whole observable state, for "unchanged" checks. */
struct snap { uint32_t word; uint64_t owner; uint32_t count; };
static struct snap snap_of(weft_rlock *r)
{
    struct snap s = { atomic_load(&r->lock.state), atomic_load(&r->owner), r->count };
    return s;
}
#define ASSERT_SNAP_EQ(a, b)                                                    \
    do {                                                                        \
        ASSERT_EQ((a).word, (b).word);                                          \
        ASSERT_EQ((a).owner, (b).owner);                                        \
        ASSERT_EQ((a).count, (b).count);                                        \
    } while (0)

/* ---- BaseLockTests on an RLock --------------------------------------------------- */

TEST(RLockTests_test_acquire_destroy)
{
    weft_rlock r;
    weft_rlock_init(&r);
    ASSERT_OK(weft_rlock_acquire(&r, true, WEFT_FOREVER));
    ASSERT_OK(weft_rlock_release(&r));
    weft_rlock_destroy(&r);
}

TEST(RLockTests_test_acquire_release)
{
    weft_rlock r = WEFT_RLOCK_INIT;
    ASSERT_OK(weft_rlock_acquire(&r, true, WEFT_FOREVER));
    ASSERT_TRUE(weft_rlock_locked(&r));
    ASSERT_OK(weft_rlock_release(&r));
    ASSERT_FALSE(weft_rlock_locked(&r));
}

TEST(RLockTests_test_try_acquire)
{
    weft_rlock r = WEFT_RLOCK_INIT;
    ASSERT_OK(weft_rlock_acquire(&r, false, WEFT_FOREVER));
    ASSERT_OK(weft_rlock_release(&r));
}

struct rr { weft_rlock r; int rc[8]; _Atomic int phase; };

static void try_contended(void *p, int i)
{
    struct rr *s = p;
    s->rc[i] = weft_rlock_acquire(&s->r, false, WEFT_FOREVER);
}

TEST(RLockTests_test_try_acquire_contended)
{
    static struct rr s = { WEFT_RLOCK_INIT, { 99 }, 0 };
    ASSERT_OK(weft_rlock_acquire(&s.r, true, WEFT_FOREVER));
    weft_test_join(weft_test_start(1, try_contended, &s));
    ASSERT_RC(s.rc[0], WEFT_ETIMEDOUT);
    ASSERT_OK(weft_rlock_release(&s.r));
}

static void acquire_release(void *p, int i)
{
    weft_rlock *r = p;
    ASSERT_OK(weft_rlock_acquire(r, true, WEFT_FOREVER));
    ASSERT_EQ(weft_rlock_recursion_count(r), 1);
    ASSERT_OK(weft_rlock_release(r));
}

TEST(RLockTests_test_acquire_contended)
{
    static weft_rlock r = WEFT_RLOCK_INIT;
    ASSERT_OK(weft_rlock_acquire(&r, true, WEFT_FOREVER));
    weft_test_threads *ts = weft_test_start(5, acquire_release, &r);
    WAIT_UNTIL(waiters_of(&r) == 5, 10);
    ASSERT_EQ(weft_test_finished(ts), 0);
    ASSERT_OK(weft_rlock_release(&r));
    weft_test_join(ts);
    ASSERT_FALSE(weft_rlock_locked(&r));
    ASSERT_EQ(atomic_load(&r.lock.state), 0);
}

static void timed_fail(void *p, int i)
{
    struct rr *s = p;
    double t0 = weft_test_now();
    s->rc[i] = weft_rlock_acquire(&s->r, true, 0.5);
    ASSERT_ELAPSED_AT_LEAST(t0, 0.5);
    ASSERT_ELAPSED_AT_MOST(t0, 5);
}

TEST(RLockTests_test_timeout)
{
    static struct rr s = { WEFT_RLOCK_INIT, { 99 }, 0 };
    weft_rlock *r = &s.r;
    ASSERT_RC(weft_rlock_acquire(r, false, 1), WEFT_EINVAL);
    ASSERT_RC(weft_rlock_acquire(r, true, -100), WEFT_EINVAL);
    ASSERT_RC(weft_rlock_acquire(r, true, 1e100), WEFT_EOVERFLOW);
    ASSERT_RC(weft_rlock_acquire(r, true, WEFT_TIMEOUT_MAX + 1), WEFT_EOVERFLOW);
    ASSERT_OK(weft_rlock_acquire(r, true, WEFT_TIMEOUT_MAX));
    ASSERT_OK(weft_rlock_release(r));
    double t0 = weft_test_now();
    ASSERT_OK(weft_rlock_acquire(r, true, 5));
    ASSERT(weft_test_now() - t0 < 5);
    weft_test_join(weft_test_start(1, timed_fail, &s));
    ASSERT_RC(s.rc[0], WEFT_ETIMEDOUT);
    ASSERT_OK(weft_rlock_release(r));
    ASSERT_EQ(atomic_load(&r->lock.state), 0);
}

/* ---- RLockTests ------------------------------------------------------------------ */

TEST(RLockTests_test_reacquire)
{
    weft_rlock r = WEFT_RLOCK_INIT;
    ASSERT_OK(weft_rlock_acquire(&r, true, WEFT_FOREVER));
    ASSERT_OK(weft_rlock_acquire(&r, true, WEFT_FOREVER));
    ASSERT_OK(weft_rlock_release(&r));
    ASSERT_OK(weft_rlock_acquire(&r, true, WEFT_FOREVER));
    ASSERT_OK(weft_rlock_release(&r));
    ASSERT_OK(weft_rlock_release(&r));
    ASSERT_FALSE(weft_rlock_locked(&r));
}

TEST(RLockTests_test_release_unacquired)
{
    weft_rlock r = WEFT_RLOCK_INIT;
    ASSERT_RC(weft_rlock_release(&r), WEFT_EPERM);
    ASSERT_OK(weft_rlock_acquire(&r, true, WEFT_FOREVER));
    ASSERT_OK(weft_rlock_acquire(&r, true, WEFT_FOREVER));
    ASSERT_OK(weft_rlock_release(&r));
    ASSERT_OK(weft_rlock_acquire(&r, true, WEFT_FOREVER));
    ASSERT_OK(weft_rlock_release(&r));
    ASSERT_OK(weft_rlock_release(&r));
    struct snap before = snap_of(&r);
    ASSERT_RC(weft_rlock_release(&r), WEFT_EPERM);
    ASSERT_SNAP_EQ(snap_of(&r), before);
}

TEST(RLockTests_test_release_save_unacquired)
{
    weft_rlock r = WEFT_RLOCK_INIT;
    uint64_t st = 77;
    ASSERT_RC(weft__rlock_release_save(&r, &st), WEFT_EPERM);
    ASSERT_EQ(st, 77);
    ASSERT_OK(weft_rlock_acquire(&r, true, WEFT_FOREVER));
    ASSERT_OK(weft_rlock_acquire(&r, true, WEFT_FOREVER));
    ASSERT_OK(weft_rlock_release(&r));
    ASSERT_OK(weft_rlock_acquire(&r, true, WEFT_FOREVER));
    ASSERT_OK(weft_rlock_release(&r));
    ASSERT_OK(weft_rlock_release(&r));
    ASSERT_RC(weft__rlock_release_save(&r, &st), WEFT_EPERM);
    ASSERT_FALSE(weft_rlock_locked(&r));
}

TEST(release_save_acquire_restore_roundtrip)
{
    weft_rlock r = WEFT_RLOCK_INIT;
    for (int i = 0; i < 3; i++) ASSERT_OK(weft_rlock_acquire(&r, true, WEFT_FOREVER));
    uint64_t st = 0;
    ASSERT_OK(weft__rlock_release_save(&r, &st));
    ASSERT_EQ(st, 3);
    ASSERT_FALSE(weft_rlock_locked(&r));
    ASSERT_FALSE(weft_rlock_is_owned(&r));
    ASSERT_OK(weft__rlock_acquire_restore(&r, st));
    ASSERT_EQ(weft_rlock_recursion_count(&r), 3);
    for (int i = 0; i < 3; i++) ASSERT_OK(weft_rlock_release(&r));
    ASSERT_FALSE(weft_rlock_locked(&r));
}

static void count_worker(void *p, int i)
{
    struct rr *s = p;
    ASSERT_OK(weft_rlock_acquire(&s->r, true, WEFT_FOREVER));
    atomic_store(&s->phase, 1);
    while (atomic_load(&s->phase) < 2) weft_test_sleep(0.0005);
    ASSERT_OK(weft_rlock_release(&s->r));
    atomic_store(&s->phase, 3);
}

TEST(RLockTests_test_recursion_count)
{
    static struct rr s = { WEFT_RLOCK_INIT, { 0 }, 0 };
    weft_rlock *r = &s.r;
    ASSERT_EQ(weft_rlock_recursion_count(r), 0);
    ASSERT_OK(weft_rlock_acquire(r, true, WEFT_FOREVER));
    ASSERT_EQ(weft_rlock_recursion_count(r), 1);
    ASSERT_OK(weft_rlock_acquire(r, true, WEFT_FOREVER));
    ASSERT_OK(weft_rlock_acquire(r, true, WEFT_FOREVER));
    ASSERT_EQ(weft_rlock_recursion_count(r), 3);
    ASSERT_OK(weft_rlock_release(r));
    ASSERT_EQ(weft_rlock_recursion_count(r), 2);
    ASSERT_OK(weft_rlock_release(r));
    ASSERT_OK(weft_rlock_release(r));
    ASSERT_EQ(weft_rlock_recursion_count(r), 0);

    weft_test_threads *ts = weft_test_start(1, count_worker, &s);
    WAIT_UNTIL(atomic_load(&s.phase) == 1, 10);
    ASSERT_EQ(weft_rlock_recursion_count(r), 0); /* owned by the other thread */
    ASSERT_TRUE(weft_rlock_locked(r));
    atomic_store(&s.phase, 2);
    WAIT_UNTIL(atomic_load(&s.phase) == 3, 10);
    ASSERT_EQ(weft_rlock_recursion_count(r), 0);
    weft_test_join(ts);
}

static void hold_worker(void *p, int i)
{
    struct rr *s = p;
    ASSERT_OK(weft_rlock_acquire(&s->r, true, WEFT_FOREVER));
    atomic_store(&s->phase, 1);
    while (atomic_load(&s->phase) < 2) weft_test_sleep(0.0005);
    ASSERT_OK(weft_rlock_release(&s->r));
}

TEST(RLockTests_test_different_thread)
{
    static struct rr s = { WEFT_RLOCK_INIT, { 0 }, 0 };
    weft_test_threads *ts = weft_test_start(1, hold_worker, &s);
    WAIT_UNTIL(atomic_load(&s.phase) == 1, 10);
    /* count is the owner's alone: compare the word and the owner only. */
    uint32_t word = atomic_load(&s.r.lock.state);
    uint64_t owner = atomic_load(&s.r.owner);
    ASSERT_RC(weft_rlock_release(&s.r), WEFT_EPERM);
    ASSERT_EQ(atomic_load(&s.r.lock.state), word);
    ASSERT_EQ(atomic_load(&s.r.owner), owner);
    ASSERT_NE(owner, 0);
    atomic_store(&s.phase, 2);
    weft_test_join(ts);
    ASSERT_FALSE(weft_rlock_locked(&s.r));
}

static void is_owned_worker(void *p, int i)
{
    struct rr *s = p;
    s->rc[0] = weft_rlock_is_owned(&s->r);
}

TEST(RLockTests_test__is_owned)
{
    static struct rr s = { WEFT_RLOCK_INIT, { 99 }, 0 };
    weft_rlock *r = &s.r;
    ASSERT_FALSE(weft_rlock_is_owned(r));
    ASSERT_OK(weft_rlock_acquire(r, true, WEFT_FOREVER));
    ASSERT_TRUE(weft_rlock_is_owned(r));
    ASSERT_OK(weft_rlock_acquire(r, true, WEFT_FOREVER));
    ASSERT_TRUE(weft_rlock_is_owned(r));
    weft_test_join(weft_test_start(1, is_owned_worker, &s));
    ASSERT_EQ(s.rc[0], 0);
    ASSERT_OK(weft_rlock_release(r));
    ASSERT_TRUE(weft_rlock_is_owned(r));
    ASSERT_OK(weft_rlock_release(r));
    ASSERT_FALSE(weft_rlock_is_owned(r));
}

/* ---- more behaviour ------------------------------------------------------------ */

TEST(owner_is_get_ident_compatible)
{
    weft_rlock r = WEFT_RLOCK_INIT;
    ASSERT_OK(weft_rlock_acquire(&r, true, WEFT_FOREVER));
    ASSERT_EQ(atomic_load(&r.owner), weft__self());
    ASSERT_OK(weft_rlock_release(&r));
    ASSERT_EQ(atomic_load(&r.owner), 0);
}

TEST(reentrant_acquire_ignores_contention_rules)
{
    /* An owner's non-blocking and poll acquires succeed (they only add a level). */
    weft_rlock r = WEFT_RLOCK_INIT;
    ASSERT_OK(weft_rlock_acquire(&r, true, WEFT_FOREVER));
    ASSERT_OK(weft_rlock_acquire(&r, false, WEFT_FOREVER));
    ASSERT_OK(weft_rlock_acquire(&r, true, 0));
    ASSERT_OK(weft_rlock_acquire(&r, true, 0.001));
    ASSERT_EQ(weft_rlock_recursion_count(&r), 4);
    for (int i = 0; i < 4; i++) ASSERT_OK(weft_rlock_release(&r));
    ASSERT_FALSE(weft_rlock_locked(&r));
}

/* ---- misuse matrix ---------------------------------------------------------------- */

TEST(misuse_null)
{
    ASSERT_RC(weft_rlock_acquire(NULL, true, WEFT_FOREVER), WEFT_EINVAL);
    ASSERT_RC(weft_rlock_release(NULL), WEFT_EINVAL);
    ASSERT_FALSE(weft_rlock_is_owned(NULL));
    ASSERT_FALSE(weft_rlock_locked(NULL));
    ASSERT_EQ(weft_rlock_recursion_count(NULL), 0);
    weft_rlock_init(NULL);
    weft_rlock_destroy(NULL);
}

TEST(misuse_release_unowned_unlocked)
{
    weft_rlock r = WEFT_RLOCK_INIT;
    struct snap before = snap_of(&r);
    ASSERT_RC(weft_rlock_release(&r), WEFT_EPERM);
    ASSERT_SNAP_EQ(snap_of(&r), before);
}

/* Bad arguments are rejected before the owner check (as CPython does), on a free
 * lock and on one the caller owns, changing nothing. */
static void check_bad_args(bool blocking, double timeout, int expect)
{
    weft_rlock r = WEFT_RLOCK_INIT;
    struct snap s0 = snap_of(&r);
    ASSERT_RC(weft_rlock_acquire(&r, blocking, timeout), expect);
    ASSERT_SNAP_EQ(snap_of(&r), s0);
    ASSERT_OK(weft_rlock_acquire(&r, true, WEFT_FOREVER));
    ASSERT_OK(weft_rlock_acquire(&r, true, WEFT_FOREVER));
    struct snap s1 = snap_of(&r);
    ASSERT_RC(weft_rlock_acquire(&r, blocking, timeout), expect);
    ASSERT_SNAP_EQ(snap_of(&r), s1);
    ASSERT_EQ(weft_rlock_recursion_count(&r), 2);
    ASSERT_OK(weft_rlock_release(&r));
    ASSERT_OK(weft_rlock_release(&r));
}

TEST(misuse_acquire_negative_timeout) { check_bad_args(true, -100, WEFT_EINVAL); check_bad_args(true, -1e-12, WEFT_EINVAL); }
TEST(misuse_acquire_nan_timeout) { check_bad_args(true, NAN, WEFT_EINVAL); check_bad_args(false, NAN, WEFT_EINVAL); }
TEST(misuse_acquire_timeout_too_big)
{
    check_bad_args(true, WEFT_TIMEOUT_MAX + 1, WEFT_EOVERFLOW);
    check_bad_args(true, INFINITY, WEFT_EOVERFLOW);
    check_bad_args(true, -1e100, WEFT_EOVERFLOW);
    check_bad_args(false, WEFT_TIMEOUT_MAX + 1, WEFT_EOVERFLOW);
}
TEST(misuse_acquire_nonblocking_with_timeout)
{
    check_bad_args(false, 0, WEFT_EINVAL);
    check_bad_args(false, 1, WEFT_EINVAL);
}

TEST(misuse_recursion_overflow)
{
    weft_rlock r = WEFT_RLOCK_INIT;
    ASSERT_OK(weft_rlock_acquire(&r, true, WEFT_FOREVER));
    r.count = UINT32_MAX; /* as if acquired UINT32_MAX times (owner-only field) */
    struct snap before = snap_of(&r);
    ASSERT_RC(weft_rlock_acquire(&r, true, WEFT_FOREVER), WEFT_EOVERFLOW);
    ASSERT_RC(weft_rlock_acquire(&r, false, WEFT_FOREVER), WEFT_EOVERFLOW);
    ASSERT_SNAP_EQ(snap_of(&r), before);
    ASSERT_EQ(weft_rlock_recursion_count(&r), UINT32_MAX);
    r.count = 1;
    ASSERT_OK(weft_rlock_release(&r));
    ASSERT_FALSE(weft_rlock_locked(&r));
}

/* ---- stress ------------------------------------------------------------------------ */

struct rstress { weft_rlock r; long iters; long counter; _Atomic int ready; };

static void rcount_fn(void *p, int i)
{
    struct rstress *s = p;
    atomic_fetch_add(&s->ready, 1);
    while (atomic_load(&s->ready) < 6) weft_test_sleep(0.0001);
    for (long k = 0; k < s->iters; k++) {
        int depth = 1 + (int)((k + i) % 3);
        for (int d = 0; d < depth; d++) ASSERT_OK(weft_rlock_acquire(&s->r, true, WEFT_FOREVER));
        ASSERT_EQ(weft_rlock_recursion_count(&s->r), depth);
        s->counter++;
        for (int d = 0; d < depth; d++) ASSERT_OK(weft_rlock_release(&s->r));
    }
}

SLOW_TEST(stress_counter_exact)
{
    static struct rstress s;
    weft_rlock_init(&s.r);
    s.iters = weft_test_iters(200000);
    weft_test_join(weft_test_start(6, rcount_fn, &s));
    ASSERT_EQ(s.counter, 6 * s.iters);
    ASSERT_FALSE(weft_rlock_locked(&s.r));
    ASSERT_LOCK_AT_REST(&s.r.lock);
    ASSERT_EQ(atomic_load(&s.r.owner), 0);
}

#ifdef WEFT_DEBUG
#include "lock-test-util.h"
static void use_destroyed_acquire(void)
{
    weft_rlock r;
    weft_rlock_init(&r);
    weft_rlock_destroy(&r);
    (void)weft_rlock_acquire(&r, true, WEFT_FOREVER);
}
static void use_destroyed_release(void)
{
    weft_rlock r;
    weft_rlock_init(&r);
    weft_rlock_destroy(&r);
    (void)weft_rlock_release(&r);
}
#endif

TEST(debug_use_after_destroy_aborts)
{
#ifdef WEFT_DEBUG
    expect_debug_abort(use_destroyed_acquire, "used after destroy", "lock.c");
    expect_debug_abort(use_destroyed_release, "used after destroy", "weft_rlock_release");
#else
    weft_rlock r;
    weft_rlock_init(&r);
    weft_rlock_destroy(&r);
    ASSERT_FALSE(weft_rlock_locked(&r));
#endif
}
