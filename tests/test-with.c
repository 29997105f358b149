/* SPDX-License-Identifier: MIT */
/* test-with.c: the scoped-locking macros of weft/with.h (Python's `with lock:`):
 * BaseLockTests.test_with for Lock and RLock, the `with cond:` part of
 * ConditionTests.test_acquire, every way out of the block, nesting, and failed
 * acquires.
 *
 * Python's "raise inside with" has no C counterpart; its closest C analogue, an
 * early return from inside the block, is tested instead.
 */
#include "harness.h"

#include <stdatomic.h>

static void acquire_release(void *p, int i)
{
    weft_lock *l = p;
    ASSERT_OK(weft_lock_acquire(l, true, WEFT_FOREVER));
    ASSERT_OK(weft_lock_release(l));
}

static int with_lock_return(weft_lock *l, int early)
{
    WEFT_WITH_LOCK(l) {
        ASSERT_TRUE(weft_lock_locked(l));
        if (early) return 1; /* Python: raise inside with */
    }
    return 0;
}

TEST(BaseLockTests_test_with)
{
    static weft_lock l = WEFT_LOCK_INIT;
    WEFT_WITH_LOCK(&l) {
        ASSERT_TRUE(weft_lock_locked(&l));
    }
    ASSERT_FALSE(weft_lock_locked(&l));
    weft_test_join(weft_test_start(1, acquire_release, &l));
    ASSERT_EQ(with_lock_return(&l, 1), 1);
    ASSERT_FALSE(weft_lock_locked(&l));
    weft_test_join(weft_test_start(1, acquire_release, &l));
    ASSERT_EQ(with_lock_return(&l, 0), 0);
    ASSERT_FALSE(weft_lock_locked(&l));
}

static int with_rlock_return(weft_rlock *r)
{
    WEFT_WITH_RLOCK(r) {
        ASSERT_EQ(weft_rlock_recursion_count(r), 1);
        return 1;
    }
    return 0;
}

static void racquire_release(void *p, int i)
{
    weft_rlock *r = p;
    ASSERT_OK(weft_rlock_acquire(r, true, WEFT_FOREVER));
    ASSERT_OK(weft_rlock_release(r));
}

TEST(RLockTests_test_with)
{
    static weft_rlock r = WEFT_RLOCK_INIT;
    WEFT_WITH_RLOCK(&r) {
        ASSERT_TRUE(weft_rlock_is_owned(&r));
        WEFT_WITH_RLOCK(&r) {
            ASSERT_EQ(weft_rlock_recursion_count(&r), 2);
        }
        ASSERT_EQ(weft_rlock_recursion_count(&r), 1);
    }
    ASSERT_FALSE(weft_rlock_locked(&r));
    weft_test_join(weft_test_start(1, racquire_release, &r));
    ASSERT_EQ(with_rlock_return(&r), 1);
    ASSERT_FALSE(weft_rlock_locked(&r));
    weft_test_join(weft_test_start(1, racquire_release, &r));
}

TEST(ConditionTests_test_acquire_with)
{
    weft_lock lock = WEFT_LOCK_INIT;
    weft_condition c;
    ASSERT_OK(weft_condition_init_lock(&c, &lock));
    WEFT_WITH_CONDITION(&c) {
        ASSERT_RC(weft_lock_acquire(&lock, false, WEFT_FOREVER), WEFT_ETIMEDOUT);
    }
    ASSERT_FALSE(weft_lock_locked(&lock));

    weft_condition own = WEFT_CONDITION_INIT;
    WEFT_WITH_CONDITION(&own) {
        WEFT_WITH_CONDITION(&own) {
            ASSERT_TRUE(weft_condition_is_owned(&own));
        }
        ASSERT_TRUE(weft_condition_is_owned(&own));
        /* A poll wait inside the block releases and re-takes the lock. */
        ASSERT_RC(weft_condition_wait(&own, 0), WEFT_ETIMEDOUT);
        ASSERT_TRUE(weft_condition_is_owned(&own));
    }
    ASSERT_FALSE(weft_condition_is_owned(&own));
}

TEST(break_releases)
{
    weft_lock l = WEFT_LOCK_INIT;
    int after = 0;
    for (int i = 0; i < 3; i++) {
        WEFT_WITH_LOCK(&l) {
            if (i == 1) break; /* leaves the with-block only (documented) */
            after--;
        }
        ASSERT_FALSE(weft_lock_locked(&l));
        after++;
    }
    ASSERT_EQ(after, 1); /* i=0: -1+1, i=1: +1, i=2: -1+1 */
    ASSERT_FALSE(weft_lock_locked(&l));
}

TEST(continue_releases)
{
    weft_lock l = WEFT_LOCK_INIT;
    int ran = 0;
    WEFT_WITH_LOCK(&l) {
        ran++;
        continue; /* ends the one pass */
    }
    ASSERT_EQ(ran, 1);
    ASSERT_FALSE(weft_lock_locked(&l));
}

TEST(goto_out_releases)
{
    weft_lock l = WEFT_LOCK_INIT;
    WEFT_WITH_LOCK(&l) {
        ASSERT_TRUE(weft_lock_locked(&l));
        goto out;
    }
    ASSERT(0); /* not reached */
out:
    ASSERT_FALSE(weft_lock_locked(&l));
}

TEST(single_statement_body)
{
    weft_lock l = WEFT_LOCK_INIT;
    int x = 0;
    WEFT_WITH_LOCK(&l) x = weft_lock_locked(&l) ? 1 : 2;
    ASSERT_EQ(x, 1);
    ASSERT_FALSE(weft_lock_locked(&l));
    if (x == 1)
        WEFT_WITH_LOCK(&l) x = 3;
    else
        x = 4;
    ASSERT_EQ(x, 3);
    ASSERT_FALSE(weft_lock_locked(&l));
}

TEST(nested_different_locks_same_line)
{
    weft_lock a = WEFT_LOCK_INIT, b = WEFT_LOCK_INIT;
    int ran = 0;
    WEFT_WITH_LOCK(&a) WEFT_WITH_LOCK(&b) { ran = weft_lock_locked(&a) && weft_lock_locked(&b); }
    ASSERT_EQ(ran, 1);
    ASSERT_FALSE(weft_lock_locked(&a));
    ASSERT_FALSE(weft_lock_locked(&b));
}

TEST(object_expression_evaluated_once)
{
    weft_lock ls[2] = { WEFT_LOCK_INIT, WEFT_LOCK_INIT };
    int i = 0;
    WEFT_WITH_LOCK(&ls[i++]) {
        ASSERT_TRUE(weft_lock_locked(&ls[0]));
    }
    ASSERT_EQ(i, 1);
    ASSERT_FALSE(weft_lock_locked(&ls[0]));
    ASSERT_FALSE(weft_lock_locked(&ls[1]));
}

/* ---- a failed acquire: the body does not run, nothing is released, rc tells ---- */

TEST(failed_acquire_null_lock)
{
    int ran = 0, rc = 99;
    WEFT_WITH_LOCK((weft_lock *)NULL) ran = 1;
    ASSERT_EQ(ran, 0);
    WEFT_WITH_LOCK_RC(rc, (weft_lock *)NULL) ran = 1;
    ASSERT_EQ(ran, 0);
    ASSERT_RC(rc, WEFT_EINVAL);
    WEFT_WITH_RLOCK_RC(rc, (weft_rlock *)NULL) ran = 1;
    ASSERT_RC(rc, WEFT_EINVAL);
    WEFT_WITH_CONDITION_RC(rc, (weft_condition *)NULL) ran = 1;
    ASSERT_RC(rc, WEFT_EINVAL);
    ASSERT_EQ(ran, 0);
}

TEST(failed_acquire_timeout_keeps_holder)
{
    weft_lock l = WEFT_LOCK_INIT;
    int ran = 0, rc = 99;
    ASSERT_OK(weft_lock_acquire(&l, true, WEFT_FOREVER));
    double t0 = weft_test_now();
    WEFT_WITH_LOCK_TIMEOUT(rc, &l, 0.01) ran = 1;
    ASSERT_ELAPSED_AT_LEAST(t0, 0.01);
    ASSERT_EQ(ran, 0);
    ASSERT_RC(rc, WEFT_ETIMEDOUT);
    ASSERT_TRUE(weft_lock_locked(&l)); /* the failed with-block released nothing */
    WEFT_WITH_LOCK_TIMEOUT(rc, &l, 0) ran = 1;
    ASSERT_RC(rc, WEFT_ETIMEDOUT);
    WEFT_WITH_LOCK_TIMEOUT(rc, &l, -5) ran = 1;
    ASSERT_RC(rc, WEFT_EINVAL);
    WEFT_WITH_LOCK_TIMEOUT(rc, &l, 1e100) ran = 1;
    ASSERT_RC(rc, WEFT_EOVERFLOW);
    ASSERT_EQ(ran, 0);
    ASSERT_OK(weft_lock_release(&l));
    WEFT_WITH_LOCK_TIMEOUT(rc, &l, 0.01) ran = 1;
    ASSERT_RC(rc, WEFT_OK);
    ASSERT_EQ(ran, 1);
    ASSERT_FALSE(weft_lock_locked(&l));
}

TEST(failed_acquire_rlock_timeout)
{
    static weft_rlock r = WEFT_RLOCK_INIT;
    int rc = 99, ran = 0;
    WEFT_WITH_RLOCK_TIMEOUT(rc, &r, WEFT_TIMEOUT_MAX + 1) ran = 1;
    ASSERT_RC(rc, WEFT_EOVERFLOW);
    WEFT_WITH_RLOCK_RC(rc, &r) {
        ran = 1;
        ASSERT_EQ(weft_rlock_recursion_count(&r), 1);
    }
    ASSERT_RC(rc, WEFT_OK);
    ASSERT_EQ(ran, 1);
    ASSERT_FALSE(weft_rlock_locked(&r));
}

/* The with-block is a critical section: counter stress through the macro. */
struct wstress { weft_lock l; long n; long iters; };
static void wfn(void *p, int i)
{
    struct wstress *s = p;
    for (long k = 0; k < s->iters; k++) WEFT_WITH_LOCK(&s->l) s->n++;
}

TEST(with_is_a_critical_section)
{
    static struct wstress s = { WEFT_LOCK_INIT, 0, 0 };
    s.iters = weft_test_iters(50000);
    weft_test_join(weft_test_start(4, wfn, &s));
    ASSERT_EQ(s.n, 4 * s.iters);
    ASSERT_FALSE(weft_lock_locked(&s.l));
}
