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

#include <errno.h>
#include <stdatomic.h>

#include "internal/condition.h"
#include "yield-test-util.h"

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

/* ---- RLock levels, exact counts, FIFO, the plain-Lock quirk ------------------------ */

struct rec { struct cv c; _Atomic int phase; int rc; uint32_t count_after; };

static void rec_other(void *p, int i)
{
    struct rec *s = p;
    /* Can take the RLock while the waiter waits: wait released every level. */
    WAIT_UNTIL(nwaiters(&s->c) == 1, 10);
    lock_cv(&s->c);
    ASSERT_OK(weft_condition_notify(&s->c.cond, 1));
    unlock_cv(&s->c);
}

static void check_recursive(enum kind k)
{
    static struct rec s;
    cv_init(&s.c, k);
    weft_rlock *r = k == OWN ? &s.c.cond.own : &s.c.rlock;
    for (int i = 0; i < 3; i++) lock_cv(&s.c);
    ASSERT_EQ(weft_rlock_recursion_count(r), 3);
    weft_test_threads *ts = weft_test_start(1, rec_other, &s);
    ASSERT_OK(weft_condition_wait(&s.c.cond, WEFT_FOREVER));
    ASSERT_EQ(weft_rlock_recursion_count(r), 3); /* every level restored */
    for (int i = 0; i < 3; i++) unlock_cv(&s.c);
    ASSERT_FALSE(weft_rlock_locked(r));
    weft_test_join(ts);
}
TEST(wait_releases_every_rlock_level)
{
    check_recursive(OWN);
    check_recursive(RLOCK);
}

struct exact { struct cv c; int ret[8]; int nret; };

static void exact_worker(void *p, int i)
{
    struct exact *s = p;
    lock_cv(&s->c);
    int rc = weft_condition_wait(&s->c.cond, WEFT_FOREVER);
    s->ret[s->nret++] = rc;
    unlock_cv(&s->c);
}

static void check_exact(enum kind k)
{
    static struct exact s;
    cv_init(&s.c, k);
    s.nret = 0;
    /* Start the waiters one by one so the FIFO order is known. */
    weft_test_threads *all[5];
    for (int i = 0; i < 5; i++) {
        all[i] = weft_test_start(1, exact_worker, &s);
        WAIT_UNTIL(nwaiters(&s.c) == (size_t)i + 1, 10);
    }
    lock_cv(&s.c);
    ASSERT_OK(weft_condition_notify(&s.c.cond, 0)); /* n = 0 wakes nobody */
    ASSERT_EQ(weft__condition_waiters(&s.c.cond), 5);
    ASSERT_OK(weft_condition_notify(&s.c.cond, 2));
    ASSERT_EQ(weft__condition_waiters(&s.c.cond), 3);
    unlock_cv(&s.c);
    weft_test_join(all[0]);
    weft_test_join(all[1]);
    /* Lets a wrongly woken third waiter show up in the checks below, which hold
     * however short it is (it can only miss a bug): not for ordering. */
    weft_test_sleep(0.02);
    lock_cv(&s.c);
    ASSERT_EQ(s.nret, 2);
    ASSERT_EQ(weft__condition_waiters(&s.c.cond), 3);
    ASSERT_OK(weft_condition_notify(&s.c.cond, 100)); /* min(100, 3) */
    ASSERT_EQ(weft__condition_waiters(&s.c.cond), 0);
    ASSERT_OK(weft_condition_notify(&s.c.cond, 1)); /* nobody waiting: no-op */
    unlock_cv(&s.c);
    for (int i = 2; i < 5; i++) weft_test_join(all[i]);
    ASSERT_EQ(s.nret, 5);
    for (int i = 0; i < 5; i++) ASSERT_RC(s.ret[i], WEFT_OK);
}
TEST(notify_n_wakes_exactly_min_n_waiters) { FOR_EACH_KIND(check_exact); }

struct fifo { struct cv c; int woke[6]; int nwoke; int id; };
static void fifo_worker(void *p, int i)
{
    struct fifo *s = p;
    lock_cv(&s->c);
    int me = s->id++;
    ASSERT_OK(weft_condition_wait(&s->c.cond, WEFT_FOREVER));
    s->woke[s->nwoke++] = me;
    unlock_cv(&s->c);
}
TEST(notify_is_fifo)
{
    static struct fifo s;
    cv_init(&s.c, OWN);
    weft_test_threads *t[6];
    for (int i = 0; i < 6; i++) {
        t[i] = weft_test_start(1, fifo_worker, &s);
        WAIT_UNTIL(nwaiters(&s.c) == (size_t)i + 1, 10);
    }
    for (int i = 0; i < 6; i++) {
        lock_cv(&s.c);
        ASSERT_OK(weft_condition_notify(&s.c.cond, 1));
        unlock_cv(&s.c);
        weft_test_join(t[i]); /* the oldest one leaves each time */
        lock_cv(&s.c);
        ASSERT_EQ(s.nwoke, i + 1);
        ASSERT_EQ(s.woke[i], i);
        unlock_cv(&s.c);
    }
}

struct quirk { struct cv c; _Atomic int phase; };
static void quirk_holder(void *p, int i)
{
    struct quirk *s = p;
    lock_cv(&s->c);
    atomic_store(&s->phase, 1);
    while (atomic_load(&s->phase) < 2) weft_test_sleep(0.0005);
    unlock_cv(&s->c);
}
TEST(plain_lock_locked_by_anyone_counts_as_owned)
{
    /* CPython's _is_owned fallback for a Lock: "locked by anybody" is owned, so a
     * thread that does not hold it may notify while another thread does. */
    static struct quirk s;
    cv_init(&s.c, LOCK);
    ASSERT_FALSE(weft_condition_is_owned(&s.c.cond));
    weft_test_threads *t = weft_test_start(1, quirk_holder, &s);
    WAIT_UNTIL(atomic_load(&s.phase) == 1, 10);
    ASSERT_TRUE(weft_condition_is_owned(&s.c.cond));
    ASSERT_OK(weft_condition_notify(&s.c.cond, 1));
    ASSERT_OK(weft_condition_notify_all(&s.c.cond));
    atomic_store(&s.phase, 2);
    weft_test_join(t);
    ASSERT_RC(weft_condition_notify(&s.c.cond, 1), WEFT_EPERM);
}

/* ---- wait_for ---------------------------------------------------------------------- */

struct calls { int n; bool value; };
static bool count_pred(void *p) { struct calls *c = p; c->n++; return c->value; }

TEST(wait_for_true_at_entry_does_not_wait)
{
    struct cv c;
    cv_init(&c, OWN);
    struct calls k = { 0, true };
    lock_cv(&c);
    double t0 = weft_test_now();
    ASSERT_OK(weft_condition_wait_for(&c.cond, count_pred, &k, WEFT_FOREVER));
    ASSERT_ELAPSED_AT_MOST(t0, 1);
    ASSERT_EQ(k.n, 1);
    unlock_cv(&c);
}

TEST(wait_for_poll_tests_twice)
{
    /* CPython: wait_for(pred, 0) tests, waits once (a poll), tests again. */
    struct cv c;
    cv_init(&c, OWN);
    const double polls[] = { 0.0, -3.0, -INFINITY, NAN };
    for (int i = 0; i < 4; i++) {
        struct calls k = { 0, false };
        lock_cv(&c);
        ASSERT_RC(weft_condition_wait_for(&c.cond, count_pred, &k, polls[i]), WEFT_ETIMEDOUT);
        ASSERT_EQ(k.n, 2);
        ASSERT_TRUE(weft_condition_is_owned(&c.cond));
        ASSERT_EQ(weft__condition_waiters(&c.cond), 0);
        unlock_cv(&c);
    }
}

/* ---- misuse matrix ------------------------------------------------------------------ */

TEST(misuse_null)
{
    weft_lock l = WEFT_LOCK_INIT;
    weft_rlock r = WEFT_RLOCK_INIT;
    weft_condition c;
    struct calls k = { 0, true };
    ASSERT_RC(weft_condition_init_lock(NULL, &l), WEFT_EINVAL);
    ASSERT_RC(weft_condition_init_lock(&c, NULL), WEFT_EINVAL);
    ASSERT_RC(weft_condition_init_rlock(NULL, &r), WEFT_EINVAL);
    ASSERT_RC(weft_condition_init_rlock(&c, NULL), WEFT_EINVAL);
    ASSERT_RC(weft_condition_init_ops(NULL, &l, &my_ops), WEFT_EINVAL);
    ASSERT_RC(weft_condition_init_ops(&c, NULL, &my_ops), WEFT_EINVAL);
    ASSERT_RC(weft_condition_init_ops(&c, &l, NULL), WEFT_EINVAL);
    ASSERT_RC(weft_condition_wait(NULL, WEFT_FOREVER), WEFT_EINVAL);
    ASSERT_RC(weft_condition_wait_for(NULL, count_pred, &k, WEFT_FOREVER), WEFT_EINVAL);
    ASSERT_RC(weft_condition_notify(NULL, 1), WEFT_EINVAL);
    ASSERT_RC(weft_condition_notify_all(NULL), WEFT_EINVAL);
    ASSERT_RC(weft_condition_acquire(NULL, true, WEFT_FOREVER), WEFT_EINVAL);
    ASSERT_RC(weft_condition_release(NULL), WEFT_EINVAL);
    ASSERT_FALSE(weft_condition_is_owned(NULL));
    weft_condition_init(NULL);
    weft_condition_destroy(NULL);
    ASSERT_EQ(k.n, 0);
}

static int half_save(void *l, uint64_t *st) { return WEFT_EPERM; }

TEST(misuse_init_ops_incomplete)
{
    weft_lock l = WEFT_LOCK_INIT;
    weft_condition c = WEFT_CONDITION_INIT;
    const weft_lock_ops no_acq = { NULL, my_release, my_is_owned, NULL, NULL };
    const weft_lock_ops no_rel = { my_acquire, NULL, my_is_owned, NULL, NULL };
    const weft_lock_ops no_own = { my_acquire, my_release, NULL, NULL, NULL };
    const weft_lock_ops half = { my_acquire, my_release, my_is_owned, half_save, NULL };
    ASSERT_RC(weft_condition_init_ops(&c, &l, &no_acq), WEFT_EINVAL);
    ASSERT_RC(weft_condition_init_ops(&c, &l, &no_rel), WEFT_EINVAL);
    ASSERT_RC(weft_condition_init_ops(&c, &l, &no_own), WEFT_EINVAL);
    ASSERT_RC(weft_condition_init_ops(&c, &l, &half), WEFT_EINVAL);
    /* unchanged: still the default condition over its own RLock */
    ASSERT_PTR_EQ(c.ops, NULL);
    ASSERT_PTR_EQ(c.lock, NULL);
    ASSERT_OK(weft_condition_acquire(&c, true, WEFT_FOREVER));
    ASSERT_OK(weft_condition_acquire(&c, true, WEFT_FOREVER));
    ASSERT_EQ(weft_rlock_recursion_count(&c.own), 2);
    ASSERT_OK(weft_condition_release(&c));
    ASSERT_OK(weft_condition_release(&c));
}

static void check_wait_unowned(enum kind k)
{
    struct cv c;
    cv_init(&c, k);
    struct calls kk = { 0, true };
    ASSERT_RC(weft_condition_wait(&c.cond, 1), WEFT_EPERM);
    ASSERT_RC(weft_condition_wait(&c.cond, 1e100), WEFT_EOVERFLOW); /* timeout first */
    /* Deviation: wait_for checks ownership before calling pred. */
    ASSERT_RC(weft_condition_wait_for(&c.cond, count_pred, &kk, WEFT_FOREVER), WEFT_EPERM);
    ASSERT_EQ(kk.n, 0);
    ASSERT_EQ(nwaiters(&c), 0);
    ASSERT_FALSE(weft_condition_is_owned(&c.cond));
}
TEST(misuse_wait_without_lock) { FOR_EACH_KIND(check_wait_unowned); }

static void check_wait_overflow(enum kind k)
{
    struct cv c;
    cv_init(&c, k);
    struct calls kk = { 0, false };
    lock_cv(&c);
    if (k == OWN || k == RLOCK) lock_cv(&c);
    const double bad[] = { WEFT_TIMEOUT_MAX + 1, 1e300, INFINITY };
    for (int i = 0; i < 3; i++) {
        ASSERT_RC(weft_condition_wait(&c.cond, bad[i]), WEFT_EOVERFLOW);
        ASSERT_RC(weft_condition_wait_for(&c.cond, count_pred, &kk, bad[i]), WEFT_EOVERFLOW);
        /* nothing released, nothing linked */
        ASSERT_TRUE(weft_condition_is_owned(&c.cond));
        ASSERT_EQ(weft__condition_waiters(&c.cond), 0);
        if (k == OWN) ASSERT_EQ(weft_rlock_recursion_count(&c.cond.own), 2);
        if (k == RLOCK) ASSERT_EQ(weft_rlock_recursion_count(&c.rlock), 2);
    }
    ASSERT_EQ(kk.n, 0);
    unlock_cv(&c);
    if (k == OWN || k == RLOCK) unlock_cv(&c);
}
TEST(misuse_wait_timeout_too_big) { FOR_EACH_KIND(check_wait_overflow); }

static void check_wait_polls(enum kind k)
{
    struct cv c;
    cv_init(&c, k);
    lock_cv(&c);
    /* CPython's wait only converts a timeout > 0: every other value polls,
     * -inf and -1e300 included. */
    const double polls[] = { 0.0, -0.0, -1e-9, -5.0, -1e300, -INFINITY, NAN };
    double t0 = weft_test_now();
    for (int i = 0; i < 7; i++) {
        ASSERT_RC(weft_condition_wait(&c.cond, polls[i]), WEFT_ETIMEDOUT);
        ASSERT_TRUE(weft_condition_is_owned(&c.cond));
        ASSERT_EQ(weft__condition_waiters(&c.cond), 0);
    }
    ASSERT_ELAPSED_AT_MOST(t0, 1);
    unlock_cv(&c);
}
TEST(wait_zero_negative_nan_poll) { FOR_EACH_KIND(check_wait_polls); }

TEST(misuse_notify_without_lock_rlock_held_elsewhere)
{
    static struct quirk s;
    cv_init(&s.c, OWN);
    weft_test_threads *t = weft_test_start(1, quirk_holder, &s);
    WAIT_UNTIL(atomic_load(&s.phase) == 1, 10);
    /* An RLock held by another thread is not owned by us. */
    ASSERT_RC(weft_condition_notify(&s.c.cond, 1), WEFT_EPERM);
    ASSERT_RC(weft_condition_wait(&s.c.cond, 0), WEFT_EPERM);
    ASSERT_RC(weft_condition_release(&s.c.cond), WEFT_EPERM);
    atomic_store(&s.phase, 2);
    weft_test_join(t);
}

/* ---- stress: every notify accounted for ---------------------------------------------- */

/* Waiters loop on wait() with a mix of forever and very short timeouts; the
 * notifier, holding the lock, reads how many are linked, notifies a random n
 * (or all) and adds min(n, linked) to `expected`. Every WEFT_OK return is one
 * notified waiter, so at the end ok == expected exactly: no notify lost to a
 * timed-out waiter, none duplicated, no spurious WEFT_OK. */
struct acct {
    struct cv c;
    long expected, ok, timedout;
    int stop, active;
    long iters;
};

static void acct_waiter(void *p, int i)
{
    struct acct *s = p;
    lock_cv(&s->c);
    s->active++;
    for (long k = 0; !s->stop; k++) {
        double t = (k + i) % 3 == 0 ? WEFT_FOREVER : ((k + i) % 3 == 1 ? 0.0002 : 0);
        int rc = weft_condition_wait(&s->c.cond, t);
        ASSERT(rc == WEFT_OK || rc == WEFT_ETIMEDOUT);
        ASSERT_TRUE(weft_condition_is_owned(&s->c.cond));
        if (rc == WEFT_OK) s->ok++;
        else s->timedout++;
        if (k % 64 == 0) {
            unlock_cv(&s->c);
            lock_cv(&s->c);
        }
    }
    s->active--;
    unlock_cv(&s->c);
}

static void acct_run(enum kind k)
{
    static struct acct s;
    memset(&s, 0, sizeof s);
    cv_init(&s.c, k);
    s.iters = weft_test_iters(5000);
    const int W = 5;
    weft_test_threads *ts = weft_test_start(W, acct_waiter, &s);
    unsigned seed = 12345;
    WAIT_UNTIL(nwaiters(&s.c) > 0, 10);
    for (long it = 0; it < s.iters; it++) {
        lock_cv(&s.c);
        size_t linked = weft__condition_waiters(&s.c.cond);
        /* Give the waiters time to come back (with 1 CPU they only run when we
         * block or sleep); a bounded poll, not an ordering. */
        for (int spin = 0; linked == 0 && spin < 100; spin++) {
            unlock_cv(&s.c);
            weft_test_sleep(0.00001);
            lock_cv(&s.c);
            linked = weft__condition_waiters(&s.c.cond);
        }
        seed = seed * 1103515245u + 12345u;
        unsigned r = (seed >> 16) % 6;
        if (r == 5) {
            ASSERT_OK(weft_condition_notify_all(&s.c.cond));
            s.expected += (long)linked;
        } else {
            ASSERT_OK(weft_condition_notify(&s.c.cond, r));
            s.expected += (long)(r < linked ? r : linked);
        }
        ASSERT_EQ(weft__condition_waiters(&s.c.cond), r == 5 ? 0 : linked - (r < linked ? r : linked));
        unlock_cv(&s.c);
    }
    /* Stop: keep notifying everyone until all waiters have left. */
    for (;;) {
        lock_cv(&s.c);
        s.stop = 1;
        size_t linked = weft__condition_waiters(&s.c.cond);
        ASSERT_OK(weft_condition_notify_all(&s.c.cond));
        s.expected += (long)linked;
        int active = s.active;
        unlock_cv(&s.c);
        if (active == 0 && weft_test_finished(ts) == W) break;
        weft_test_sleep(0.0005); /* the back-off of this poll, not for ordering */
    }
    weft_test_join(ts);
    printf("kind %d: %ld notified wakeups, %ld timeouts\n", (int)k, s.ok, s.timedout);
    ASSERT_EQ(s.ok, s.expected);
    ASSERT_GT(s.ok, s.iters / 4); /* the test did exercise notify */
    ASSERT_EQ(nwaiters(&s.c), 0);
    ASSERT_FALSE(weft_condition_is_owned(&s.c.cond) && k != LOCK);
    if (k == LOCK) ASSERT_FALSE(weft_lock_locked(&s.c.lock));
}

SLOW_TEST(stress_notify_accounting_exact) { FOR_EACH_KIND(acct_run); }

/* The timeout/notify race, one waiter at a time: the waiter's deadline and the
 * notify land together; whatever happens, a waiter that notify unlinked returns
 * WEFT_OK and one it did not returns WEFT_ETIMEDOUT. */
/* go: 0 = next round may start, 1 = the waiter is in wait, 3 = its round is over. */
struct race { struct cv c; _Atomic int go; int rc; int notified; int round; };

static void race_waiter(void *p, int i)
{
    struct race *s = p;
    for (int r = 0; r < s->round; r++) {
        lock_cv(&s->c);
        atomic_store(&s->go, 1);
        s->rc = weft_condition_wait(&s->c.cond, 0.0003);
        ASSERT_RC(s->rc, s->notified ? WEFT_OK : WEFT_ETIMEDOUT);
        s->notified = 0;
        atomic_store(&s->go, 3); /* this round is over */
        unlock_cv(&s->c);
        while (atomic_load(&s->go) != 0) weft_test_sleep(0.00005);
    }
}

SLOW_TEST(stress_timeout_notify_race)
{
    static struct race s;
    cv_init(&s.c, OWN);
    s.round = (int)weft_test_iters(1000);
    weft_test_threads *t = weft_test_start(1, race_waiter, &s);
    long hits = 0;
    for (int r = 0; r < s.round; r++) {
        while (atomic_load(&s.go) == 0) weft_test_sleep(0.00002); /* 1: waiting, or 3: over */
        /* Aim near the waiter's deadline. */
        double t0 = weft_test_now();
        while (weft_test_now() - t0 < 0.0002 + 0.0001 * (r % 3)) ;
        lock_cv(&s.c);
        if (weft__condition_waiters(&s.c.cond) == 1) {
            ASSERT_OK(weft_condition_notify(&s.c.cond, 1));
            s.notified = 1;
            hits++;
        }
        unlock_cv(&s.c);
        while (atomic_load(&s.go) != 3) weft_test_sleep(0.00002);
        atomic_store(&s.go, 0);
    }
    weft_test_join(t);
    printf("%ld of %d rounds notified before the waiter left\n", hits, s.round);
}

#ifdef WEFT_DEBUG
#include "lock-test-util.h"
static void use_destroyed_notify(void)
{
    weft_lock l = WEFT_LOCK_INIT;
    weft_condition c;
    ASSERT_OK(weft_condition_init_lock(&c, &l));
    weft_condition_destroy(&c);
    (void)weft_condition_notify(&c, 1);
}
static void use_destroyed_wait(void)
{
    weft_condition c;
    weft_condition_init(&c);
    weft_condition_destroy(&c);
    (void)weft_condition_wait(&c, 0);
}
#endif

TEST(debug_use_after_destroy_aborts)
{
#ifdef WEFT_DEBUG
    expect_debug_abort(use_destroyed_notify, "used after destroy", "condition.c");
    expect_debug_abort(use_destroyed_wait, "used after destroy", "condition.c");
#else
    weft_condition c;
    weft_condition_init(&c);
    weft_condition_destroy(&c);
#endif
}

static void errno_notifier(void *p, int i)
{
    struct cv *c = p;
    WAIT_UNTIL(nwaiters(c) == 1, 10);
    lock_cv(c);
    errno = 555;
    ASSERT_OK(weft_condition_notify(&c->cond, 1));
    ASSERT_EQ(errno, 555);
    unlock_cv(c);
}

TEST(errno_is_preserved)
{
    static struct cv c;
    cv_init(&c, OWN);
    errno = 4321;
    lock_cv(&c);
    ASSERT_RC(weft_condition_wait(&c.cond, 0.002), WEFT_ETIMEDOUT);
    ASSERT_RC(weft_condition_wait(&c.cond, 1e100), WEFT_EOVERFLOW);
    weft_test_threads *t = weft_test_start(1, errno_notifier, &c);
    ASSERT_OK(weft_condition_wait(&c.cond, WEFT_FOREVER));
    unlock_cv(&c);
    weft_test_join(t);
    ASSERT_RC(weft_condition_notify(&c.cond, 1), WEFT_EPERM);
    ASSERT_EQ(errno, 4321);
}

/* ---- the yield phase (src/yield.c) ------------------------------------------------ */

/* Two threads on one CPU hand a turn back and forth through one Condition
 * (yield-test-util.h): a waiter's yield runs the other thread, which notifies,
 * so waits end in the yield phase without sleeping on the token. Every turn
 * arrives once: the flag of the taker is set exactly when it is its turn. */
struct yturn { weft_condition cond; int flag[2]; };
static void cv_give(void *x, int to)
{
    struct yturn *t = x;
    ASSERT_OK(weft_condition_acquire(&t->cond, true, WEFT_FOREVER));
    ASSERT_EQ(t->flag[to], 0);
    t->flag[to] = 1;
    ASSERT_OK(weft_condition_notify(&t->cond, 1));
    ASSERT_OK(weft_condition_release(&t->cond));
}
static void cv_take(void *x, int me, long r)
{
    struct yturn *t = x;
    ASSERT_OK(weft_condition_acquire(&t->cond, true, WEFT_FOREVER));
    while (!t->flag[me]) {
        int rc = weft_condition_wait(&t->cond, r % 2 ? 60.0 : WEFT_FOREVER);
        ASSERT_OK(rc);
    }
    t->flag[me] = 0;
    ASSERT_OK(weft_condition_release(&t->cond));
}
TEST(yield_phase_ends_handoffs)
{
    static struct yturn t;
    memset(&t, 0, sizeof t);
    weft_condition_init(&t.cond);
    yield_handoff_run(&t, cv_give, cv_take);
    ASSERT_EQ(t.flag[0], 0);   /* every turn was taken */
    ASSERT_EQ(t.flag[1], 0);
    weft_condition_destroy(&t.cond);
}
