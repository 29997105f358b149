/* SPDX-License-Identifier: MIT */
/* test-condition.c: weft_condition against CPython 3.13's Lib/test/lock_tests.py
 * ConditionTests, run over each kind of lock (its own RLock, a weft Lock, a weft
 * RLock, a weft_lock_ops table), plus exact-wakeup accounting, the misuse matrix
 * and stress.
 *
 * Python cases that do not apply to C: none of ConditionTests is left out; the
 * `with cond:` part of test_acquire is in test-with.c.
 */
#include "harness.h"

#include <stdatomic.h>

#include "internal/condition.h"

/* ---- the condition kinds ------------------------------------------------------- */

enum kind { OWN, LOCK, RLOCK, OPS, NKINDS };

/* A caller-described lock for the ops kind: a weft_lock with an owner, no
 * release_save (Condition falls back to release/acquire once). */
struct my_lock { weft_lock l; _Atomic(void *) owner; };
static _Thread_local char me_anchor;
static int my_acquire(void *p, bool b, double t)
{
    struct my_lock *m = p;
    int rc = weft_lock_acquire(&m->l, b, t);
    if (rc == WEFT_OK) atomic_store(&m->owner, &me_anchor);
    return rc;
}
static int my_release(void *p)
{
    struct my_lock *m = p;
    if (atomic_load(&m->owner) != &me_anchor) return WEFT_EPERM;
    atomic_store(&m->owner, NULL);
    return weft_lock_release(&m->l);
}
static bool my_is_owned(void *p)
{
    struct my_lock *m = p;
    return atomic_load(&m->owner) == &me_anchor;
}
static const weft_lock_ops my_ops = { my_acquire, my_release, my_is_owned, NULL, NULL };

struct cv {
    weft_condition cond;
    weft_lock lock;
    weft_rlock rlock;
    struct my_lock my;
};

static void cv_init(struct cv *c, enum kind k)
{
    memset(c, 0, sizeof *c);
    weft_lock_init(&c->lock);
    weft_rlock_init(&c->rlock);
    switch (k) {
    case OWN: weft_condition_init(&c->cond); break;
    case LOCK: ASSERT_OK(weft_condition_init_lock(&c->cond, &c->lock)); break;
    case RLOCK: ASSERT_OK(weft_condition_init_rlock(&c->cond, &c->rlock)); break;
    default: ASSERT_OK(weft_condition_init_ops(&c->cond, &c->my, &my_ops)); break;
    }
}

static void lock_cv(struct cv *c) { ASSERT_OK(weft_condition_acquire(&c->cond, true, WEFT_FOREVER)); }
static void unlock_cv(struct cv *c) { ASSERT_OK(weft_condition_release(&c->cond)); }

/* Number of waiters, read under the lock. */
static size_t nwaiters(struct cv *c)
{
    lock_cv(c);
    size_t n = weft__condition_waiters(&c->cond);
    unlock_cv(c);
    return n;
}

#define FOR_EACH_KIND(fn) do { for (int k_ = 0; k_ < NKINDS; k_++) fn((enum kind)k_); } while (0)

/* ---- ConditionTests ------------------------------------------------------------ */

TEST(ConditionTests_test_acquire)
{
    weft_condition c;
    weft_condition_init(&c);
    ASSERT_OK(weft_condition_acquire(&c, true, WEFT_FOREVER));
    ASSERT_OK(weft_condition_acquire(&c, true, WEFT_FOREVER)); /* an RLock by default */
    ASSERT_OK(weft_condition_release(&c));
    ASSERT_OK(weft_condition_release(&c));

    weft_lock lock = WEFT_LOCK_INIT;
    ASSERT_OK(weft_condition_init_lock(&c, &lock));
    ASSERT_OK(weft_condition_acquire(&c, true, WEFT_FOREVER));
    ASSERT_RC(weft_lock_acquire(&lock, false, WEFT_FOREVER), WEFT_ETIMEDOUT);
    ASSERT_OK(weft_condition_release(&c));
    ASSERT_OK(weft_lock_acquire(&lock, false, WEFT_FOREVER));
    ASSERT_RC(weft_condition_acquire(&c, false, WEFT_FOREVER), WEFT_ETIMEDOUT);
    ASSERT_OK(weft_lock_release(&lock));
    weft_condition_destroy(&c);
}

static void unacquired_wait(enum kind k)
{
    struct cv c;
    cv_init(&c, k);
    ASSERT_RC(weft_condition_wait(&c.cond, WEFT_FOREVER), WEFT_EPERM);
    ASSERT_RC(weft_condition_wait(&c.cond, 0), WEFT_EPERM);
    ASSERT_EQ(nwaiters(&c), 0);
    ASSERT_FALSE(weft_condition_is_owned(&c.cond));
}
TEST(ConditionTests_test_unacquired_wait) { FOR_EACH_KIND(unacquired_wait); }

static void unacquired_notify(enum kind k)
{
    struct cv c;
    cv_init(&c, k);
    ASSERT_RC(weft_condition_notify(&c.cond, 1), WEFT_EPERM);
    ASSERT_RC(weft_condition_notify_all(&c.cond), WEFT_EPERM);
}
TEST(ConditionTests_test_unacquired_notify) { FOR_EACH_KIND(unacquired_notify); }

/* _check_notify: N workers wait twice; notify(3), notify(5), notify_all; each
 * wait returns WEFT_OK in the phase it was notified in (no spurious wakeups, exact
 * counts). Results are recorded under the condition's lock. */
struct notify_check {
    struct cv c;
    int ready, phase;
    int r1[8], p1[8], n1;
    int r2[8], p2[8], n2;
};

static void notify_worker(void *p, int i)
{
    struct notify_check *s = p;
    lock_cv(&s->c);
    s->ready++;
    int rc = weft_condition_wait(&s->c.cond, WEFT_FOREVER);
    s->r1[s->n1] = rc;
    s->p1[s->n1++] = s->phase;
    s->ready++;
    rc = weft_condition_wait(&s->c.cond, WEFT_FOREVER);
    s->r2[s->n2] = rc;
    s->p2[s->n2++] = s->phase;
    unlock_cv(&s->c);
}

static int locked_read(struct notify_check *s, int *field)
{
    lock_cv(&s->c);
    int v = *field;
    unlock_cv(&s->c);
    return v;
}

static void check_notify_once(struct notify_check *s)
{
    const int N = 5, count1 = 3, count2 = N - count1;
    s->ready = s->phase = s->n1 = s->n2 = 0;
    weft_test_threads *ts = weft_test_start(N, notify_worker, s);
    WAIT_UNTIL(nwaiters(&s->c) == (size_t)N, 10);
    ASSERT_EQ(locked_read(s, &s->n1), 0);

    lock_cv(&s->c);
    s->ready = 0;
    ASSERT_OK(weft_condition_notify(&s->c.cond, count1));
    s->phase = 1;
    unlock_cv(&s->c);
    WAIT_UNTIL(locked_read(s, &s->n1) >= count1, 10);
    lock_cv(&s->c);
    ASSERT_EQ(s->n1, count1);
    for (int i = 0; i < count1; i++) {
        ASSERT_RC(s->r1[i], WEFT_OK);
        ASSERT_EQ(s->p1[i], 1);
    }
    ASSERT_EQ(s->n2, 0);
    unlock_cv(&s->c);

    WAIT_UNTIL(nwaiters(&s->c) == (size_t)N, 10);
    lock_cv(&s->c);
    ASSERT_EQ(s->ready, count1);
    ASSERT_OK(weft_condition_notify(&s->c.cond, 5));
    s->phase = 2;
    unlock_cv(&s->c);
    WAIT_UNTIL(locked_read(s, &s->n1) + locked_read(s, &s->n2) >= N + count1, 10);
    lock_cv(&s->c);
    ASSERT_EQ(s->n1, N);
    ASSERT_EQ(s->n2, count1);
    for (int i = 0; i < N; i++) {
        ASSERT_RC(s->r1[i], WEFT_OK);
        ASSERT_EQ(s->p1[i], i < count1 ? 1 : 2);
    }
    for (int i = 0; i < count1; i++) {
        ASSERT_RC(s->r2[i], WEFT_OK);
        ASSERT_EQ(s->p2[i], 2);
    }
    unlock_cv(&s->c);

    WAIT_UNTIL(nwaiters(&s->c) == (size_t)count2, 10);
    lock_cv(&s->c);
    ASSERT_EQ(s->ready, N);
    ASSERT_OK(weft_condition_notify_all(&s->c.cond));
    s->phase = 3;
    unlock_cv(&s->c);
    weft_test_join(ts);
    ASSERT_EQ(s->n2, N);
    for (int i = 0; i < N; i++) {
        ASSERT_RC(s->r2[i], WEFT_OK);
        ASSERT_EQ(s->p2[i], i < count1 ? 2 : 3);
    }
    ASSERT_EQ(nwaiters(&s->c), 0);
}

static void check_notify(enum kind k)
{
    static struct notify_check s;
    cv_init(&s.c, k);
    check_notify_once(&s);
    check_notify_once(&s); /* internal state is still right */
    ASSERT_FALSE(weft_condition_is_owned(&s.c.cond) && k != LOCK);
}
TEST(ConditionTests_test_notify) { FOR_EACH_KIND(check_notify); }

struct timeout_check { struct cv c; int rc[5]; double dt[5]; };

static void timeout_worker(void *p, int i)
{
    struct timeout_check *s = p;
    lock_cv(&s->c);
    double t0 = weft_test_now();
    s->rc[i] = weft_condition_wait(&s->c.cond, 0.5);
    s->dt[i] = weft_test_now() - t0;
    ASSERT_TRUE(weft_condition_is_owned(&s->c.cond));
    unlock_cv(&s->c);
}

static void check_timeout(enum kind k)
{
    static struct timeout_check s;
    cv_init(&s.c, k);
    weft_test_join(weft_test_start(5, timeout_worker, &s));
    for (int i = 0; i < 5; i++) {
        ASSERT_RC(s.rc[i], WEFT_ETIMEDOUT); /* no spurious wakeups */
        ASSERT(s.dt[i] >= 0.5 - 1e-4);
        ASSERT(s.dt[i] <= 5 * weft_test_factor());
    }
    ASSERT_EQ(nwaiters(&s.c), 0);
}
TEST(ConditionTests_test_timeout)
{
    /* One kind per run keeps the case short; the others run in the _kinds case. */
    check_timeout(OWN);
}
TEST(ConditionTests_test_timeout_other_locks)
{
    check_timeout(LOCK);
    check_timeout(RLOCK);
    check_timeout(OPS);
}

struct waitfor { struct cv c; int state; int rc; double dt; };

static bool state_is_4(void *p) { return ((struct waitfor *)p)->state == 4; }

static void waitfor_worker(void *p, int i)
{
    struct waitfor *s = p;
    lock_cv(&s->c);
    s->rc = weft_condition_wait_for(&s->c.cond, state_is_4, s, WEFT_FOREVER);
    ASSERT_EQ(s->state, 4);
    unlock_cv(&s->c);
}

static void check_waitfor(enum kind k)
{
    static struct waitfor s;
    cv_init(&s.c, k);
    s.rc = 99;
    s.state = 0;
    weft_test_threads *ts = weft_test_start(1, waitfor_worker, &s);
    for (int i = 0; i < 4; i++) {
        weft_test_sleep(0.01);
        lock_cv(&s.c);
        s.state++;
        ASSERT_OK(weft_condition_notify(&s.c.cond, 1));
        unlock_cv(&s.c);
    }
    weft_test_join(ts);
    ASSERT_RC(s.rc, WEFT_OK);
}
TEST(ConditionTests_test_waitfor) { FOR_EACH_KIND(check_waitfor); }

static void waitfor_timeout_worker(void *p, int i)
{
    struct waitfor *s = p;
    lock_cv(&s->c);
    double t0 = weft_test_now();
    s->rc = weft_condition_wait_for(&s->c.cond, state_is_4, s, 0.1);
    s->dt = weft_test_now() - t0;
    unlock_cv(&s->c);
}

static void check_waitfor_timeout(enum kind k)
{
    static struct waitfor s;
    cv_init(&s.c, k);
    s.rc = 99;
    s.state = 0;
    weft_test_threads *ts = weft_test_start(1, waitfor_timeout_worker, &s);
    for (int i = 0; i < 3; i++) {
        weft_test_sleep(0.01);
        lock_cv(&s.c);
        s.state++;
        ASSERT_OK(weft_condition_notify(&s.c.cond, 1));
        unlock_cv(&s.c);
    }
    weft_test_join(ts);
    ASSERT_RC(s.rc, WEFT_ETIMEDOUT);
    ASSERT(s.dt >= 0.1 - 1e-4);
    ASSERT(s.dt <= 5 * weft_test_factor());
}
TEST(ConditionTests_test_waitfor_timeout) { FOR_EACH_KIND(check_waitfor_timeout); }
