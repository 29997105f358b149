/* SPDX-License-Identifier: MIT */
/* test-semaphore.c: weft_semaphore (Semaphore and BoundedSemaphore).
 *
 * Conformance: every case of CPython 3.13 Lib/test/lock_tests.py
 * BaseSemaphoreTests (run for both kinds, as SemaphoreTests and
 * BoundedSemaphoreTests), SemaphoreTests, BoundedSemaphoreTests, and
 * test_threading's ThreadTests.test_BoundedSemaphore_limit, named after them.
 * Cases that do not apply to C:
 *   - test_constructor's TypeError-free float value: C takes a long.
 *   - test_repr: there is no repr; its C counterpart checks the numbers repr
 *     shows (weft_semaphore_value / weft_semaphore_bound).
 * test_with uses WEFT_WITH_SEMAPHORE (weft/with.h); its "exception propagates"
 * half becomes an early return out of the with-block.
 * Threads are the harness's raw pthreads (threads weft did not create).
 */
#include "harness.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "yield-test-util.h"

static void sem_make(weft_semaphore *s, bool bounded, long v)
{
    if (bounded) ASSERT_OK(weft_bounded_semaphore_init(s, v));
    else ASSERT_OK(weft_semaphore_init(s, v));
}

/* The sleeper count: the high 32 bits of the state word (src/semaphore.c). */
static long waiters_of(weft_semaphore *s) { return (long)(atomic_load(&s->state) >> 32); }

/* ---- BaseSemaphoreTests ------------------------------------------------------ */

static void base_constructor(bool bounded)
{
    weft_semaphore s;
    int (*init)(weft_semaphore *, long) = bounded ? weft_bounded_semaphore_init
                                                  : weft_semaphore_init;
    ASSERT_RC(init(&s, -1), WEFT_EINVAL);
    ASSERT_RC(init(&s, -2147483647L), WEFT_EINVAL);
    ASSERT_OK(init(&s, 0));
    ASSERT_OK(init(&s, 1));
}
TEST(SemaphoreTests_test_constructor) { base_constructor(false); }
TEST(BoundedSemaphoreTests_test_constructor) { base_constructor(true); }

static void base_acquire(bool bounded)
{
    weft_semaphore s;
    sem_make(&s, bounded, 1);
    ASSERT_OK(weft_semaphore_acquire(&s, true, WEFT_FOREVER));
    ASSERT_OK(weft_semaphore_release(&s, 1));
    sem_make(&s, bounded, 2);
    ASSERT_OK(weft_semaphore_acquire(&s, true, WEFT_FOREVER));
    ASSERT_OK(weft_semaphore_acquire(&s, true, WEFT_FOREVER));
    ASSERT_OK(weft_semaphore_release(&s, 1));
    ASSERT_OK(weft_semaphore_release(&s, 1));
    ASSERT_EQ(weft_semaphore_value(&s), 2);
}
TEST(SemaphoreTests_test_acquire) { base_acquire(false); }
TEST(BoundedSemaphoreTests_test_acquire) { base_acquire(true); }

static void base_acquire_destroy(bool bounded)
{
    weft_semaphore s;
    sem_make(&s, bounded, 1);
    ASSERT_OK(weft_semaphore_acquire(&s, true, WEFT_FOREVER));
    weft_semaphore_destroy(&s);
}
TEST(SemaphoreTests_test_acquire_destroy) { base_acquire_destroy(false); }
TEST(BoundedSemaphoreTests_test_acquire_destroy) { base_acquire_destroy(true); }

/* test_acquire_contended and test_multirelease: 10 threads take two units each
 * while the main thread hands units out in phases. */
#define NT 10
struct contended {
    weft_semaphore sem;
    _Atomic int phase;
    _Atomic int results[3];   /* acquisitions seen per phase */
    _Atomic int count;        /* acquisitions recorded */
    _Atomic int ok;           /* acquire() returned WEFT_OK */
};

static void contended_body(void *p, int i)
{
    struct contended *c = p;
    for (int k = 0; k < 2; k++) {
        int rc = weft_semaphore_acquire(&c->sem, true, WEFT_FOREVER);
        if (rc == WEFT_OK) atomic_fetch_add(&c->ok, 1);
        int ph = atomic_load(&c->phase);
        if (ph < 3) atomic_fetch_add(&c->results[ph], 1);
        atomic_fetch_add(&c->count, 1);
    }
}

static void base_contended(bool bounded, bool multi)
{
    const int v = 7;
    struct contended c;
    memset(&c, 0, sizeof c);
    sem_make(&c.sem, bounded, v);
    ASSERT_OK(weft_semaphore_acquire(&c.sem, true, WEFT_FOREVER));
    weft_test_threads *ts = weft_test_start(NT, contended_body, &c);

    int count1 = v - 1;
    WAIT_UNTIL(atomic_load(&c.count) >= count1, 30);
    WAIT_UNTIL(waiters_of(&c.sem) > 0, 30);
    ASSERT_EQ(atomic_load(&c.count), count1);
    ASSERT_EQ(atomic_load(&c.results[0]), count1);

    atomic_store(&c.phase, 1);
    int count2 = v;
    if (multi) ASSERT_OK(weft_semaphore_release(&c.sem, (size_t)count2));
    else for (int i = 0; i < count2; i++) ASSERT_OK(weft_semaphore_release(&c.sem, 1));
    WAIT_UNTIL(atomic_load(&c.count) >= count1 + count2, 30);
    ASSERT_EQ(atomic_load(&c.results[0]), count1);
    ASSERT_EQ(atomic_load(&c.results[1]), count2);

    atomic_store(&c.phase, 2);
    int count3 = v - 1;
    if (multi) ASSERT_OK(weft_semaphore_release(&c.sem, (size_t)count3));
    else for (int i = 0; i < count3; i++) ASSERT_OK(weft_semaphore_release(&c.sem, 1));
    WAIT_UNTIL(atomic_load(&c.count) >= count1 + count2 + count3, 30);
    ASSERT_EQ(atomic_load(&c.results[0]), count1);
    ASSERT_EQ(atomic_load(&c.results[1]), count2);
    ASSERT_EQ(atomic_load(&c.results[2]), count3);
    /* The semaphore is still locked. */
    ASSERT_RC(weft_semaphore_acquire(&c.sem, false, WEFT_FOREVER), WEFT_ETIMEDOUT);

    atomic_store(&c.phase, 3);
    ASSERT_OK(weft_semaphore_release(&c.sem, 1));
    weft_test_join(ts);
    ASSERT_EQ(atomic_load(&c.ok), 2 * NT);
    ASSERT_EQ(weft_semaphore_value(&c.sem), 0);
    ASSERT_EQ(waiters_of(&c.sem), 0);
}
TEST(SemaphoreTests_test_acquire_contended) { base_contended(false, false); }
TEST(BoundedSemaphoreTests_test_acquire_contended) { base_contended(true, false); }
TEST(SemaphoreTests_test_multirelease) { base_contended(false, true); }
TEST(BoundedSemaphoreTests_test_multirelease) { base_contended(true, true); }

static void base_try_acquire(bool bounded)
{
    weft_semaphore s;
    sem_make(&s, bounded, 2);
    ASSERT_OK(weft_semaphore_acquire(&s, false, WEFT_FOREVER));
    ASSERT_OK(weft_semaphore_acquire(&s, false, WEFT_FOREVER));
    ASSERT_RC(weft_semaphore_acquire(&s, false, WEFT_FOREVER), WEFT_ETIMEDOUT);
    ASSERT_OK(weft_semaphore_release(&s, 1));
    ASSERT_OK(weft_semaphore_acquire(&s, false, WEFT_FOREVER));
}
TEST(SemaphoreTests_test_try_acquire) { base_try_acquire(false); }
TEST(BoundedSemaphoreTests_test_try_acquire) { base_try_acquire(true); }

struct trycont { weft_semaphore sem; _Atomic int yes, no; };
static void trycont_body(void *p, int i)
{
    struct trycont *t = p;
    for (int k = 0; k < 2; k++) {
        int rc = weft_semaphore_acquire(&t->sem, false, WEFT_FOREVER);
        if (rc == WEFT_OK) atomic_fetch_add(&t->yes, 1);
        else if (rc == WEFT_ETIMEDOUT) atomic_fetch_add(&t->no, 1);
    }
}
static void base_try_acquire_contended(bool bounded)
{
    struct trycont t;
    memset(&t, 0, sizeof t);
    sem_make(&t.sem, bounded, 4);
    ASSERT_OK(weft_semaphore_acquire(&t.sem, true, WEFT_FOREVER));
    weft_test_join(weft_test_start(5, trycont_body, &t));
    ASSERT_EQ(atomic_load(&t.yes), 3);
    ASSERT_EQ(atomic_load(&t.no), 7);
}
TEST(SemaphoreTests_test_try_acquire_contended) { base_try_acquire_contended(false); }
TEST(BoundedSemaphoreTests_test_try_acquire_contended) { base_try_acquire_contended(true); }

static void base_acquire_timeout(bool bounded)
{
    weft_semaphore s;
    sem_make(&s, bounded, 2);
    ASSERT_RC(weft_semaphore_acquire(&s, false, 1.0), WEFT_EINVAL);
    ASSERT_OK(weft_semaphore_acquire(&s, true, 0.005));
    ASSERT_OK(weft_semaphore_acquire(&s, true, 0.005));
    ASSERT_RC(weft_semaphore_acquire(&s, true, 0.005), WEFT_ETIMEDOUT);
    ASSERT_OK(weft_semaphore_release(&s, 1));
    ASSERT_OK(weft_semaphore_acquire(&s, true, 0.005));
    double t0 = weft_test_now();
    ASSERT_RC(weft_semaphore_acquire(&s, true, 0.5), WEFT_ETIMEDOUT);
    ASSERT_ELAPSED_AT_LEAST(t0, 0.5);
    ASSERT_ELAPSED_AT_MOST(t0, 5.0);
    ASSERT_EQ(waiters_of(&s), 0);
}
TEST(SemaphoreTests_test_acquire_timeout) { base_acquire_timeout(false); }
TEST(BoundedSemaphoreTests_test_acquire_timeout) { base_acquire_timeout(true); }

struct dflt { weft_semaphore sem; _Atomic int done; };
static void dflt_body(void *p, int i)
{
    struct dflt *d = p;
    ASSERT_OK(weft_semaphore_acquire(&d->sem, true, WEFT_FOREVER));
    ASSERT_OK(weft_semaphore_release(&d->sem, 1));
    atomic_store(&d->done, 1);
}
static void base_default_value(bool bounded)
{
    /* Python's default value is 1: the static initialisers spell it. */
    struct dflt d = { WEFT_SEMAPHORE_INIT(1), 0 };
    if (bounded) {
        weft_semaphore b = WEFT_BOUNDED_SEMAPHORE_INIT(1);
        d.sem = b;
    }
    ASSERT_OK(weft_semaphore_acquire(&d.sem, true, WEFT_FOREVER));
    weft_test_threads *ts = weft_test_start(1, dflt_body, &d);
    WAIT_UNTIL(waiters_of(&d.sem) == 1, 10);
    /* It counts as a sleeper (above). Time in which an acquire that wrongly
     * passed would show in `done`; shorter, it can only miss that: the check
     * does not depend on it, and it is not for ordering. */
    weft_test_sleep(0.01);
    ASSERT_EQ(atomic_load(&d.done), 0);
    ASSERT_OK(weft_semaphore_release(&d.sem, 1));
    weft_test_join(ts);
    ASSERT_EQ(atomic_load(&d.done), 1);
    ASSERT_EQ(weft_semaphore_value(&d.sem), 1);
}
TEST(SemaphoreTests_test_default_value) { base_default_value(false); }
TEST(BoundedSemaphoreTests_test_default_value) { base_default_value(true); }

/* ---- SemaphoreTests / BoundedSemaphoreTests -------------------------------- */

TEST(SemaphoreTests_test_release_unacquired)
{
    /* Unbounded releases are allowed and increment the value. */
    weft_semaphore s;
    ASSERT_OK(weft_semaphore_init(&s, 1));
    ASSERT_OK(weft_semaphore_release(&s, 1));
    ASSERT_OK(weft_semaphore_acquire(&s, true, WEFT_FOREVER));
    ASSERT_OK(weft_semaphore_acquire(&s, true, WEFT_FOREVER));
    ASSERT_OK(weft_semaphore_release(&s, 1));
}

TEST(BoundedSemaphoreTests_test_release_unacquired)
{
    weft_semaphore s = WEFT_BOUNDED_SEMAPHORE_INIT(1);
    ASSERT_RC(weft_semaphore_release(&s, 1), WEFT_EINVAL);
    ASSERT_OK(weft_semaphore_acquire(&s, true, WEFT_FOREVER));
    ASSERT_OK(weft_semaphore_release(&s, 1));
    ASSERT_RC(weft_semaphore_release(&s, 1), WEFT_EINVAL);
    ASSERT_EQ(weft_semaphore_value(&s), 1);
}

TEST(SemaphoreTests_test_repr)
{
    weft_semaphore s;
    ASSERT_OK(weft_semaphore_init(&s, 3));
    ASSERT_EQ(weft_semaphore_value(&s), 3);
    ASSERT_EQ(weft_semaphore_bound(&s), -1);
    ASSERT_OK(weft_semaphore_acquire(&s, true, WEFT_FOREVER));
    ASSERT_EQ(weft_semaphore_value(&s), 2);
    ASSERT_OK(weft_semaphore_release(&s, 1));
    ASSERT_OK(weft_semaphore_release(&s, 1));
    ASSERT_EQ(weft_semaphore_value(&s), 4);
}

TEST(BoundedSemaphoreTests_test_repr)
{
    weft_semaphore s;
    ASSERT_OK(weft_bounded_semaphore_init(&s, 3));
    ASSERT_EQ(weft_semaphore_value(&s), 3);
    ASSERT_EQ(weft_semaphore_bound(&s), 3);
    ASSERT_OK(weft_semaphore_acquire(&s, true, WEFT_FOREVER));
    ASSERT_EQ(weft_semaphore_value(&s), 2);
    ASSERT_EQ(weft_semaphore_bound(&s), 3);
}

/* test_threading.ThreadTests.test_BoundedSemaphore_limit */
static void limit_acquire(void *p, int i) { ASSERT_OK(weft_semaphore_acquire(p, true, WEFT_FOREVER)); }
static void limit_release(void *p, int i) { ASSERT_OK(weft_semaphore_release(p, 1)); }
TEST(ThreadTests_test_BoundedSemaphore_limit)
{
    for (int limit = 1; limit < 10; limit++) {
        weft_semaphore bs;
        ASSERT_OK(weft_bounded_semaphore_init(&bs, limit));
        weft_test_join(weft_test_start(limit, limit_acquire, &bs));
        weft_test_join(weft_test_start(limit, limit_release, &bs));
        ASSERT_RC(weft_semaphore_release(&bs, 1), WEFT_EINVAL);
        ASSERT_EQ(weft_semaphore_value(&bs), limit);
    }
}

/* ---- beyond CPython's cases ------------------------------------------------- */

TEST(static_initialisers)
{
    weft_semaphore z;
    memset(&z, 0, sizeof z);               /* zero-filled: Semaphore(0) */
    ASSERT_EQ(weft_semaphore_value(&z), 0);
    ASSERT_EQ(weft_semaphore_bound(&z), -1);
    ASSERT_RC(weft_semaphore_acquire(&z, false, WEFT_FOREVER), WEFT_ETIMEDOUT);
    ASSERT_OK(weft_semaphore_release(&z, 1));
    ASSERT_OK(weft_semaphore_acquire(&z, false, WEFT_FOREVER));
    static weft_semaphore st = WEFT_SEMAPHORE_INIT(2);
    ASSERT_EQ(weft_semaphore_value(&st), 2);
    static weft_semaphore bt = WEFT_BOUNDED_SEMAPHORE_INIT(0);
    ASSERT_EQ(weft_semaphore_bound(&bt), 0);
    ASSERT_RC(weft_semaphore_release(&bt, 1), WEFT_EINVAL);
}

/* release(n) wakes up to n sleepers: with 4 sleepers, release(2) lets exactly two
 * through and the other two keep sleeping. */
struct wakes { weft_semaphore sem; _Atomic int through; };
static void wakes_body(void *p, int i)
{
    struct wakes *w = p;
    ASSERT_OK(weft_semaphore_acquire(&w->sem, true, WEFT_FOREVER));
    atomic_fetch_add(&w->through, 1);
}
TEST(release_n_wakes_n)
{
    struct wakes w = { WEFT_SEMAPHORE_INIT(0), 0 };
    weft_test_threads *ts = weft_test_start(4, wakes_body, &w);
    WAIT_UNTIL(waiters_of(&w.sem) == 4, 10);
    ASSERT_OK(weft_semaphore_release(&w.sem, 2));
    WAIT_UNTIL(atomic_load(&w.through) == 2, 10);
    /* Time in which a third thread wrongly let through would show; the checks
     * hold however short it is (it can only miss a bug): not for ordering. */
    weft_test_sleep(0.02);
    ASSERT_EQ(atomic_load(&w.through), 2);
    ASSERT_EQ(waiters_of(&w.sem), 2);
    ASSERT_OK(weft_semaphore_release(&w.sem, 5));
    weft_test_join(ts);
    ASSERT_EQ(atomic_load(&w.through), 4);
    ASSERT_EQ(weft_semaphore_value(&w.sem), 3);
    ASSERT_EQ(waiters_of(&w.sem), 0);
}

/* A timed acquire is woken by a release before its deadline. */
struct timed { weft_semaphore sem; _Atomic int rc; };
static void timed_body(void *p, int i)
{
    struct timed *t = p;
    atomic_store(&t->rc, weft_semaphore_acquire(&t->sem, true, 30.0));
}
TEST(timed_acquire_woken_by_release)
{
    struct timed t = { WEFT_SEMAPHORE_INIT(0), 99 };
    weft_test_threads *ts = weft_test_start(1, timed_body, &t);
    WAIT_UNTIL(waiters_of(&t.sem) == 1, 10);
    double t0 = weft_test_now();
    ASSERT_OK(weft_semaphore_release(&t.sem, 1));
    weft_test_join(ts);
    ASSERT_RC(atomic_load(&t.rc), WEFT_OK);
    ASSERT_ELAPSED_AT_MOST(t0, 5.0);
}

TEST(errno_is_preserved)
{
    weft_semaphore s = WEFT_SEMAPHORE_INIT(1);
    errno = 4321;
    ASSERT_OK(weft_semaphore_acquire(&s, true, WEFT_FOREVER));
    ASSERT_RC(weft_semaphore_acquire(&s, true, 0.002), WEFT_ETIMEDOUT);
    ASSERT_OK(weft_semaphore_release(&s, 1));
    ASSERT_RC(weft_semaphore_release(&s, 0), WEFT_EINVAL);
    ASSERT_EQ(errno, 4321);
}

/* Ping-pong through two semaphores: a lost wakeup hangs (and CTest names it). */
struct pp { weft_semaphore a, b; long rounds; };
static void pp_body(void *p, int i)
{
    struct pp *x = p;
    for (long r = 0; r < x->rounds; r++) {
        if (i == 0) {
            ASSERT_OK(weft_semaphore_acquire(&x->a, true, WEFT_FOREVER));
            ASSERT_OK(weft_semaphore_release(&x->b, 1));
        } else {
            ASSERT_OK(weft_semaphore_release(&x->a, 1));
            ASSERT_OK(weft_semaphore_acquire(&x->b, true, r % 2 ? 30.0 : WEFT_FOREVER));
        }
    }
}
TEST(pingpong_no_lost_wakeup)
{
    struct pp x = { WEFT_SEMAPHORE_INIT(0), WEFT_SEMAPHORE_INIT(0), weft_test_iters(50000) };
    weft_test_join(weft_test_start(2, pp_body, &x));
    ASSERT_EQ(weft_semaphore_value(&x.a), 0);
    ASSERT_EQ(weft_semaphore_value(&x.b), 0);
}

/* ---- misuse matrix: code AND object unchanged ---------------------------------- */

static void assert_sem(weft_semaphore *s, long value, long bound)
{
    ASSERT_EQ(weft_semaphore_value(s), value);
    ASSERT_EQ(weft_semaphore_bound(s), bound);
    ASSERT_EQ(waiters_of(s), 0);
}

TEST(misuse_init_null)
{
    ASSERT_RC(weft_semaphore_init(NULL, 1), WEFT_EINVAL);
    ASSERT_RC(weft_bounded_semaphore_init(NULL, 1), WEFT_EINVAL);
}

TEST(misuse_init_negative)
{
    weft_semaphore s, ref;
    memset(&s, 0xA5, sizeof s);
    memcpy(&ref, &s, sizeof s);
    ASSERT_RC(weft_semaphore_init(&s, -1), WEFT_EINVAL);
    ASSERT_RC(weft_bounded_semaphore_init(&s, -5), WEFT_EINVAL);
    ASSERT(memcmp(&s, &ref, sizeof s) == 0);
}

TEST(misuse_init_too_large)
{
    weft_semaphore s, ref;
    memset(&s, 0x5A, sizeof s);
    memcpy(&ref, &s, sizeof s);
    ASSERT_RC(weft_semaphore_init(&s, WEFT_SEMAPHORE_VALUE_MAX + 1L), WEFT_EOVERFLOW);
    ASSERT_RC(weft_bounded_semaphore_init(&s, WEFT_SEMAPHORE_VALUE_MAX + 1L), WEFT_EOVERFLOW);
    ASSERT(memcmp(&s, &ref, sizeof s) == 0);
    ASSERT_OK(weft_bounded_semaphore_init(&s, WEFT_SEMAPHORE_VALUE_MAX));
    assert_sem(&s, WEFT_SEMAPHORE_VALUE_MAX, WEFT_SEMAPHORE_VALUE_MAX);
}

TEST(misuse_acquire_null)
{
    ASSERT_RC(weft_semaphore_acquire(NULL, true, WEFT_FOREVER), WEFT_EINVAL);
    ASSERT_RC(weft_semaphore_acquire(NULL, false, WEFT_FOREVER), WEFT_EINVAL);
}

TEST(misuse_acquire_nonblocking_with_timeout)
{
    weft_semaphore s = WEFT_SEMAPHORE_INIT(1);
    const double bad[] = { 0.0, 1.0, -2.0, 1e300, NAN, INFINITY, -INFINITY };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ASSERT_RC(weft_semaphore_acquire(&s, false, bad[i]), WEFT_EINVAL);
        assert_sem(&s, 1, -1);
    }
}

TEST(misuse_acquire_nan_timeout)
{
    weft_semaphore s = WEFT_SEMAPHORE_INIT(0);
    ASSERT_RC(weft_semaphore_acquire(&s, true, NAN), WEFT_EINVAL);
    assert_sem(&s, 0, -1);
    /* Only if it has to wait: a free unit is taken. */
    ASSERT_OK(weft_semaphore_release(&s, 1));
    ASSERT_OK(weft_semaphore_acquire(&s, true, NAN));
    assert_sem(&s, 0, -1);
}

TEST(misuse_acquire_timeout_too_large)
{
    weft_semaphore s = WEFT_BOUNDED_SEMAPHORE_INIT(1);
    ASSERT_OK(weft_semaphore_acquire(&s, true, WEFT_TIMEOUT_MAX * 2)); /* no wait: fine */
    ASSERT_RC(weft_semaphore_acquire(&s, true, WEFT_TIMEOUT_MAX * 2), WEFT_EOVERFLOW);
    assert_sem(&s, 0, 1);
    ASSERT_RC(weft_semaphore_acquire(&s, true, INFINITY), WEFT_EOVERFLOW);
    assert_sem(&s, 0, 1);
    /* -inf polls, as in CPython. */
    ASSERT_RC(weft_semaphore_acquire(&s, true, -INFINITY), WEFT_ETIMEDOUT);
    assert_sem(&s, 0, 1);
}

TEST(acquire_poll_rules)
{
    weft_semaphore s = WEFT_SEMAPHORE_INIT(0);
    const double polls[] = { 0.0, -0.0, -1e-12, -2.0, -1e300 };
    for (size_t i = 0; i < sizeof polls / sizeof polls[0]; i++) {
        double t0 = weft_test_now();
        ASSERT_RC(weft_semaphore_acquire(&s, true, polls[i]), WEFT_ETIMEDOUT);
        ASSERT_ELAPSED_AT_MOST(t0, 1.0);
        assert_sem(&s, 0, -1);
    }
    ASSERT_OK(weft_semaphore_release(&s, 1));
    ASSERT_OK(weft_semaphore_acquire(&s, true, 0.0));
    ASSERT_OK(weft_semaphore_release(&s, 1));
    ASSERT_OK(weft_semaphore_acquire(&s, true, WEFT_TIMEOUT_MAX));
}

TEST(misuse_release_null) { ASSERT_RC(weft_semaphore_release(NULL, 1), WEFT_EINVAL); }

TEST(misuse_release_zero)
{
    weft_semaphore s = WEFT_SEMAPHORE_INIT(2);
    ASSERT_RC(weft_semaphore_release(&s, 0), WEFT_EINVAL);
    assert_sem(&s, 2, -1);
    weft_semaphore b = WEFT_BOUNDED_SEMAPHORE_INIT(2);
    ASSERT_OK(weft_semaphore_acquire(&b, false, WEFT_FOREVER));
    ASSERT_RC(weft_semaphore_release(&b, 0), WEFT_EINVAL);
    assert_sem(&b, 1, 2);
}

TEST(misuse_release_too_many_bounded)
{
    weft_semaphore b;
    ASSERT_OK(weft_bounded_semaphore_init(&b, 3));
    ASSERT_OK(weft_semaphore_acquire(&b, false, WEFT_FOREVER));
    ASSERT_OK(weft_semaphore_acquire(&b, false, WEFT_FOREVER));
    ASSERT_RC(weft_semaphore_release(&b, 3), WEFT_EINVAL);   /* 1 + 3 > 3 */
    assert_sem(&b, 1, 3);
    ASSERT_RC(weft_semaphore_release(&b, SIZE_MAX), WEFT_EINVAL);
    assert_sem(&b, 1, 3);
    ASSERT_RC(weft_semaphore_release(&b, (size_t)UINT32_MAX + 2), WEFT_EINVAL);
    assert_sem(&b, 1, 3);
    ASSERT_OK(weft_semaphore_release(&b, 2));                /* exactly to the bound */
    assert_sem(&b, 3, 3);
    ASSERT_RC(weft_semaphore_release(&b, 1), WEFT_EINVAL);
    assert_sem(&b, 3, 3);
}

TEST(misuse_release_overflow)
{
    weft_semaphore s;
    ASSERT_OK(weft_semaphore_init(&s, WEFT_SEMAPHORE_VALUE_MAX - 1));
    ASSERT_RC(weft_semaphore_release(&s, 2), WEFT_EOVERFLOW);
    assert_sem(&s, WEFT_SEMAPHORE_VALUE_MAX - 1, -1);
    ASSERT_OK(weft_semaphore_release(&s, 1));
    ASSERT_RC(weft_semaphore_release(&s, 1), WEFT_EOVERFLOW);
    assert_sem(&s, WEFT_SEMAPHORE_VALUE_MAX, -1);
    weft_semaphore z = WEFT_SEMAPHORE_INIT(5);
    ASSERT_RC(weft_semaphore_release(&z, SIZE_MAX), WEFT_EOVERFLOW);
    assert_sem(&z, 5, -1);
}

TEST(misuse_queries_null)
{
    ASSERT_EQ(weft_semaphore_value(NULL), 0);
    ASSERT_EQ(weft_semaphore_bound(NULL), -1);
    weft_semaphore_destroy(NULL);
}

/* ---- stress (slow) ------------------------------------------------------------ */

#define SK 3
struct holders {
    weft_semaphore sem;
    _Atomic int inside, max_inside;
    _Atomic long taken, timeouts;
    long iters;
};

static void holders_body(void *p, int i)
{
    struct holders *h = p;
    unsigned seed = (unsigned)i * 2654435761u + 1;
    for (long k = 0; k < h->iters; k++) {
        seed = seed * 1103515245u + 12345u;
        int rc;
        switch ((seed >> 16) % 4) {
        case 0:  rc = weft_semaphore_acquire(&h->sem, false, WEFT_FOREVER); break;
        case 1:  rc = weft_semaphore_acquire(&h->sem, true, 0.0005); break;
        default: rc = weft_semaphore_acquire(&h->sem, true, WEFT_FOREVER); break;
        }
        if (rc == WEFT_ETIMEDOUT) { atomic_fetch_add(&h->timeouts, 1); continue; }
        ASSERT_RC(rc, WEFT_OK);
        int in = atomic_fetch_add(&h->inside, 1) + 1;
        ASSERT_LE(in, SK);
        int m = atomic_load(&h->max_inside);
        while (in > m && !atomic_compare_exchange_weak(&h->max_inside, &m, in)) {}
        /* Holds the unit a moment now and then, so that holders overlap and
         * acquirers block; no check depends on it: not for ordering. */
        if ((seed >> 8) % 8 == 0) weft_test_sleep(0.00005);
        atomic_fetch_sub(&h->inside, 1);
        atomic_fetch_add(&h->taken, 1);
        ASSERT_OK(weft_semaphore_release(&h->sem, 1));
    }
}

static void holders_run(bool bounded)
{
    struct holders h;
    memset(&h, 0, sizeof h);
    sem_make(&h.sem, bounded, SK);
    h.iters = weft_test_iters(20000);
    weft_test_join(weft_test_start(6, holders_body, &h));
    ASSERT_LE(atomic_load(&h.max_inside), SK);
    ASSERT_GE(atomic_load(&h.max_inside), 1);
    ASSERT_EQ(atomic_load(&h.taken) + atomic_load(&h.timeouts), 6 * h.iters);
    /* Fully reset. */
    assert_sem(&h.sem, SK, bounded ? SK : -1);
}
SLOW_TEST(stress_never_more_holders_than_value) { holders_run(false); }
SLOW_TEST(stress_bounded_never_more_holders_than_value) { holders_run(true); }

/* Producers release(n) random batches, consumers take single units: every unit
 * released is taken exactly once and nobody is left asleep. */
struct batches { weft_semaphore sem; long per_consumer; _Atomic long consumed; };
static void batch_body(void *p, int i)
{
    struct batches *b = p;
    if (i < 2) {  /* producers: 2 * 2 * per_consumer units in batches of 1..4 */
        long left = 2 * b->per_consumer;
        unsigned seed = (unsigned)i + 7;
        while (left > 0) {
            seed = seed * 1103515245u + 12345u;
            long n = 1 + (long)((seed >> 16) % 4);
            if (n > left) n = left;
            ASSERT_OK(weft_semaphore_release(&b->sem, (size_t)n));
            left -= n;
        }
    } else {
        for (long k = 0; k < b->per_consumer; k++) {
            ASSERT_OK(weft_semaphore_acquire(&b->sem, true, k % 3 ? WEFT_FOREVER : 60.0));
            atomic_fetch_add(&b->consumed, 1);
        }
    }
}
SLOW_TEST(stress_release_n_batches)
{
    struct batches b;
    memset(&b, 0, sizeof b);
    ASSERT_OK(weft_semaphore_init(&b.sem, 0));
    b.per_consumer = weft_test_iters(50000);
    weft_test_join(weft_test_start(6, batch_body, &b));  /* 2 producers, 4 consumers */
    ASSERT_EQ(atomic_load(&b.consumed), 4 * b.per_consumer);
    assert_sem(&b.sem, 0, -1);
}

/* ---- test_with (weft/with.h) ------------------------------------------------------ */

static int with_body(weft_semaphore *s, bool fail)
{
    WEFT_WITH_SEMAPHORE(s) {
        ASSERT_OK(weft_semaphore_acquire(s, false, WEFT_FOREVER));
        ASSERT_OK(weft_semaphore_release(s, 1));
        WEFT_WITH_SEMAPHORE(s) {
            ASSERT_RC(weft_semaphore_acquire(s, false, WEFT_FOREVER), WEFT_ETIMEDOUT);
            if (fail) return WEFT_EFAIL;   /* Python: raise err inside the with */
        }
    }
    return WEFT_OK;
}
static void base_with(bool bounded)
{
    weft_semaphore s;
    sem_make(&s, bounded, 2);
    ASSERT_OK(with_body(&s, false));
    ASSERT_OK(weft_semaphore_acquire(&s, false, WEFT_FOREVER));
    ASSERT_OK(weft_semaphore_release(&s, 1));
    ASSERT_RC(with_body(&s, true), WEFT_EFAIL);
    ASSERT_OK(weft_semaphore_acquire(&s, false, WEFT_FOREVER));
    ASSERT_OK(weft_semaphore_release(&s, 1));
    ASSERT_EQ(weft_semaphore_value(&s), 2);
    /* The _RC and _TIMEOUT forms report a failed acquire and skip the body. */
    weft_semaphore z = WEFT_SEMAPHORE_INIT(0);
    int rc = 99, ran = 0;
    WEFT_WITH_SEMAPHORE_TIMEOUT(rc, &z, 0.0) ran = 1;
    ASSERT_RC(rc, WEFT_ETIMEDOUT);
    ASSERT_EQ(ran, 0);
    WEFT_WITH_SEMAPHORE_RC(rc, &s) ran = 1;
    ASSERT_OK(rc);
    ASSERT_EQ(ran, 1);
    ASSERT_EQ(weft_semaphore_value(&s), 2);
}
TEST(SemaphoreTests_test_with) { base_with(false); }
TEST(BoundedSemaphoreTests_test_with) { base_with(true); }

/* ---- lifetime: destroy as soon as the last acquire returned --------------------- */

/* glibc bug 12674: a release that reads the semaphore after making the unit
 * available races with an acquirer that takes the unit, returns, and frees the
 * semaphore. Here the releaser mallocs and initialises a semaphore (so its plain
 * fields are written and read by one thread: helgrind stays quiet), hands it to
 * the acquirer, waits until the acquirer is polling it, and releases; the
 * acquirer frees it the moment its acquire returns, while the releaser may still
 * be inside weft_semaphore_release. Under ASan a read of the object after the
 * publishing CAS shows up as heap-use-after-free (the old release was caught in
 * 37 of 40 runs). Most rounds use a spinning acquirer (non-blocking polls, which
 * take the unit right after the CAS: the racy case), every fourth a sleeping
 * one (woken by the release).
 *
 * Nothing here waits with sched_yield: on a loaded machine (CI's stress-ng
 * run, 4 CPU hogs on 2 cores) a yield can give the CPU away for a whole time
 * slice (EEVDF pushes the yielder's deadline back a slice), and the
 * yield-polled handshakes made a round cost ~1.7 ms, the test 70 s and more
 * (it timed out at 120 s in CI). The handshakes are weft_test_turn_wait/_set
 * (harness.h: a brief poll, then a condition variable), and a spinning
 * acquirer that has not seen the unit after SPIN_POLLS polls (the releaser is
 * not running) finishes with a blocking acquire. Measured on the 2-core Intel
 * Xeon KVM guest of sessions 5-6: the test takes 0.04 s alone, 0.2-0.6 s under
 * stress-ng --cpu 4, 1.1 s pinned to one CPU under it; 99.9% of the spinning
 * rounds take the unit by polling alone, 81-94% loaded.
 *
 * The window this test can catch is nanoseconds wide (the releaser must still
 * be in the call when the acquirer has taken the unit, destroyed and freed).
 * On that Intel machine neither this version nor the yield-polled one before it
 * caught a re-introduced read of *sem right after the CAS in 10 ASan runs each;
 * the guarantee rests on the code's rule (nothing reads *sem after the CAS) and
 * models/semaphore.pml (R2). */
enum { SPIN_POLLS = 1 << 14 };
struct handoff {
    _Atomic(weft_semaphore *) slot;
    _Atomic int posted, ready;   /* slot holds a semaphore; the acquirer polls it */
    long rounds;
};
static void handoff_body(void *p, int i)
{
    struct handoff *h = p;
    for (long r = 0; r < h->rounds; r++) {
        if (i == 0) {          /* acquirer: takes the unit, then frees at once */
            weft_test_turn_wait(&h->posted, 1);
            weft_test_turn_set(&h->posted, 0);
            weft_semaphore *s = atomic_exchange(&h->slot, NULL);
            ASSERT(s != NULL);
            weft_test_turn_set(&h->ready, 1);
            if (r % 4) {       /* spin; block if the releaser is not running */
                int k = 0;
                while (k < SPIN_POLLS && weft_semaphore_acquire(s, false, WEFT_FOREVER) != WEFT_OK) k++;
                if (k == SPIN_POLLS) ASSERT_OK(weft_semaphore_acquire(s, true, WEFT_FOREVER));
            } else {
                ASSERT_OK(weft_semaphore_acquire(s, true, WEFT_FOREVER));
            }
            weft_semaphore_destroy(s);
            free(s);
        } else {               /* releaser: makes the semaphore, releases once */
            weft_semaphore *s = malloc(sizeof *s);
            ASSERT(s != NULL);
            if (r % 3 == 2) { /* a BoundedSemaphore(1) with its unit taken */
                ASSERT_OK(weft_bounded_semaphore_init(s, 1));
                ASSERT_OK(weft_semaphore_acquire(s, false, WEFT_FOREVER));
            } else {
                ASSERT_OK(weft_semaphore_init(s, 0));
            }
            atomic_store(&h->slot, s);
            weft_test_turn_set(&h->posted, 1);
            weft_test_turn_wait(&h->ready, 1);
            weft_test_turn_set(&h->ready, 0);
            ASSERT_OK(weft_semaphore_release(s, 1));   /* s may be freed inside */
        }
    }
}
TEST(destroy_right_after_acquire_while_release_returns)
{
    struct handoff h = { NULL, 0, 0, weft_test_iters(40000) };
    weft_test_join(weft_test_start(2, handoff_body, &h));
    ASSERT(atomic_load(&h.slot) == NULL);
}

/* ---- the yield phase (src/yield.c) ------------------------------------------------ */

/* Two threads on one CPU hand a unit back and forth through two semaphores
 * (yield-test-util.h): acquires end in the yield phase, unregistered, without
 * sleeping. Every unit arrives and none is left over: the first semaphore is
 * a BoundedSemaphore(1) with its unit taken, which refuses a second unit in
 * flight (WEFT_EINVAL: released too many times). */
static void sem_give(void *x, int to) { ASSERT_OK(weft_semaphore_release(&((weft_semaphore *)x)[to], 1)); }
static void sem_take(void *x, int me, long r)
{
    ASSERT_OK(weft_semaphore_acquire(&((weft_semaphore *)x)[me], true,
                                     r % 2 ? 60.0 : WEFT_FOREVER));
}
TEST(yield_phase_ends_handoffs)
{
    static weft_semaphore s[2];
    ASSERT_OK(weft_bounded_semaphore_init(&s[0], 1));
    ASSERT_OK(weft_semaphore_acquire(&s[0], false, WEFT_FOREVER));
    ASSERT_OK(weft_semaphore_init(&s[1], 0));
    yield_handoff_run(s, sem_give, sem_take);
    ASSERT_EQ(atomic_load(&s[0].state), 0);   /* every unit taken, no sleeper */
    ASSERT_EQ(atomic_load(&s[1].state), 0);
    weft_semaphore_destroy(&s[0]);
    weft_semaphore_destroy(&s[1]);
}
