/* SPDX-License-Identifier: MIT */
/* test-barrier.c: weft_barrier.
 *
 * Conformance: every case of CPython 3.13 Lib/test/lock_tests.py BarrierTests
 * (N = 5 parties, default timeout 2 s, the barrier aborted at tear-down), named
 * after it. Cases that do not apply to C:
 *   - test_repr: there is no repr; its counterpart checks what repr shows
 *     (n_waiting / parties, broken).
 * test_timeout's late thread waits until the barrier is broken instead of
 * sleeping half the default timeout (same outcome, no timing race).
 */
#include "harness.h"

#include <errno.h>
#include <stdatomic.h>

#define N 5
#define DEFAULT_TIMEOUT 2.0

static void setup(weft_barrier *b)
{
    ASSERT_OK(weft_barrier_init(b, N, NULL, NULL, DEFAULT_TIMEOUT * weft_test_factor()));
}

static void teardown(weft_barrier *b) { ASSERT_OK(weft_barrier_abort(b)); }

/* ---- BarrierTests ---------------------------------------------------------- */

TEST(BarrierTests_test_constructor)
{
    weft_barrier b;
    ASSERT_RC(weft_barrier_init(&b, 0, NULL, NULL, WEFT_FOREVER), WEFT_EINVAL);
    ASSERT_RC(weft_barrier_init(&b, -1, NULL, NULL, WEFT_FOREVER), WEFT_EINVAL);
}

struct multi { weft_barrier b; _Atomic int r0, r1; int passes; };
static void multipass(void *p, int i)
{
    struct multi *m = p;
    ASSERT_EQ(weft_barrier_parties(&m->b), N);
    for (int k = 0; k < m->passes; k++) {
        atomic_fetch_add(&m->r0, 1);
        ASSERT_EQ(atomic_load(&m->r1), k * N);
        ASSERT_GE(weft_barrier_wait(&m->b, WEFT_FOREVER), 0);
        atomic_fetch_add(&m->r1, 1);
        ASSERT_EQ(atomic_load(&m->r0), (k + 1) * N);
        ASSERT_GE(weft_barrier_wait(&m->b, WEFT_FOREVER), 0);
    }
    ASSERT_EQ(weft_barrier_n_waiting(&m->b), 0);
    ASSERT_FALSE(weft_barrier_broken(&m->b));
}
static void run_barrier(int passes)
{
    struct multi m;
    memset(&m, 0, sizeof m);
    setup(&m.b);
    m.passes = passes;
    weft_test_join(weft_test_start(N, multipass, &m));
    teardown(&m.b);
}
TEST(BarrierTests_test_barrier) { run_barrier(1); }
TEST(BarrierTests_test_barrier_10) { run_barrier(10); }

struct ret { weft_barrier b; _Atomic int sum, mask; };
static void ret_body(void *p, int i)
{
    struct ret *r = p;
    int idx = weft_barrier_wait(&r->b, WEFT_FOREVER);
    ASSERT_GE(idx, 0);
    ASSERT_LT(idx, N);
    atomic_fetch_add(&r->sum, idx);
    int old = atomic_fetch_or(&r->mask, 1 << idx);
    ASSERT_EQ(old & (1 << idx), 0);
}
TEST(BarrierTests_test_wait_return)
{
    struct ret r;
    memset(&r, 0, sizeof r);
    setup(&r.b);
    weft_test_join(weft_test_start(N, ret_body, &r));
    ASSERT_EQ(atomic_load(&r.sum), 0 + 1 + 2 + 3 + 4);
    ASSERT_EQ(atomic_load(&r.mask), (1 << N) - 1);
    teardown(&r.b);
}

struct act { weft_barrier b; _Atomic int results; _Atomic uint64_t ran_in; _Atomic int last_idx_thread_ok; };
static int action_append(void *p)
{
    struct act *a = p;
    atomic_fetch_add(&a->results, 1);
    return 0;
}
static void act_body(void *p, int i)
{
    struct act *a = p;
    int idx = weft_barrier_wait(&a->b, WEFT_FOREVER);
    ASSERT_GE(idx, 0);
    ASSERT_EQ(atomic_load(&a->results), 1);
}
TEST(BarrierTests_test_action)
{
    struct act a;
    memset(&a, 0, sizeof a);
    ASSERT_OK(weft_barrier_init(&a.b, N, action_append, &a, WEFT_FOREVER));
    weft_test_join(weft_test_start(N, act_body, &a));
    ASSERT_EQ(atomic_load(&a.results), 1);
    teardown(&a.b);
}

struct ab { weft_barrier b, b2; _Atomic int r1, r2, r3; bool reset_after; };
static void abort_body(void *p, int i)
{
    struct ab *x = p;
    int idx = weft_barrier_wait(&x->b, WEFT_FOREVER);
    if (idx == WEFT_EBROKEN) {
        atomic_fetch_add(&x->r2, 1);
    } else {
        ASSERT_GE(idx, 0);
        if (idx == N / 2) {
            /* Python: raise RuntimeError, caught: abort. */
            ASSERT_OK(weft_barrier_abort(&x->b));
        } else {
            int rc = weft_barrier_wait(&x->b, WEFT_FOREVER);
            if (rc >= 0) atomic_fetch_add(&x->r1, 1);
            else { ASSERT_RC(rc, WEFT_EBROKEN); atomic_fetch_add(&x->r2, 1); }
        }
    }
    if (!x->reset_after) return;
    /* Synchronise and reset the barrier: first so that everyone has left it,
     * after so that no one enters it before the reset. */
    int i2 = weft_barrier_wait(&x->b2, WEFT_FOREVER);
    ASSERT_GE(i2, 0);
    if (i2 == N / 2) ASSERT_OK(weft_barrier_reset(&x->b));
    ASSERT_GE(weft_barrier_wait(&x->b2, WEFT_FOREVER), 0);
    ASSERT_GE(weft_barrier_wait(&x->b, WEFT_FOREVER), 0);
    atomic_fetch_add(&x->r3, 1);
}
TEST(BarrierTests_test_abort)
{
    struct ab x;
    memset(&x, 0, sizeof x);
    setup(&x.b);
    weft_test_join(weft_test_start(N, abort_body, &x));
    ASSERT_EQ(atomic_load(&x.r1), 0);
    ASSERT_EQ(atomic_load(&x.r2), N - 1);
    ASSERT_TRUE(weft_barrier_broken(&x.b));
    teardown(&x.b);
}
TEST(BarrierTests_test_abort_and_reset)
{
    struct ab x;
    memset(&x, 0, sizeof x);
    setup(&x.b);
    ASSERT_OK(weft_barrier_init(&x.b2, N, NULL, NULL, WEFT_FOREVER));
    x.reset_after = true;
    weft_test_join(weft_test_start(N, abort_body, &x));
    ASSERT_EQ(atomic_load(&x.r1), 0);
    ASSERT_EQ(atomic_load(&x.r2), N - 1);
    ASSERT_EQ(atomic_load(&x.r3), N);
    ASSERT_FALSE(weft_barrier_broken(&x.b));
    teardown(&x.b);
}

static void reset_body(void *p, int i)
{
    struct ab *x = p;
    int idx = weft_barrier_wait(&x->b, WEFT_FOREVER);
    ASSERT_GE(idx, 0);
    if (idx == N / 2) {
        /* Wait until the other threads are all in the barrier. */
        WAIT_UNTIL(weft_barrier_n_waiting(&x->b) >= N - 1, 30);
        ASSERT_OK(weft_barrier_reset(&x->b));
    } else {
        int rc = weft_barrier_wait(&x->b, WEFT_FOREVER);
        if (rc >= 0) atomic_fetch_add(&x->r1, 1);
        else { ASSERT_RC(rc, WEFT_EBROKEN); atomic_fetch_add(&x->r2, 1); }
    }
    /* Now, pass the barrier again. */
    ASSERT_GE(weft_barrier_wait(&x->b, WEFT_FOREVER), 0);
    atomic_fetch_add(&x->r3, 1);
}
TEST(BarrierTests_test_reset)
{
    struct ab x;
    memset(&x, 0, sizeof x);
    setup(&x.b);
    weft_test_join(weft_test_start(N, reset_body, &x));
    ASSERT_EQ(atomic_load(&x.r1), 0);
    ASSERT_EQ(atomic_load(&x.r2), N - 1);
    ASSERT_EQ(atomic_load(&x.r3), N);
    teardown(&x.b);
}

struct tmo { weft_barrier b; _Atomic int broken; };
static void timeout_body(void *p, int i)
{
    struct tmo *t = p;
    int idx = weft_barrier_wait(&t->b, WEFT_FOREVER);
    ASSERT_GE(idx, 0);
    if (idx == N / 2) {
        /* One thread is late: it comes only once the others broke the barrier. */
        WAIT_UNTIL(weft_barrier_broken(&t->b), 30);
    }
    double t0 = weft_test_now();
    int rc = weft_barrier_wait(&t->b, DEFAULT_TIMEOUT / 4);
    ASSERT_RC(rc, WEFT_EBROKEN);
    ASSERT_ELAPSED_AT_MOST(t0, 10.0);
    atomic_fetch_add(&t->broken, 1);
}
TEST(BarrierTests_test_timeout)
{
    struct tmo t;
    memset(&t, 0, sizeof t);
    setup(&t.b);
    weft_test_join(weft_test_start(N, timeout_body, &t));
    ASSERT_EQ(atomic_load(&t.broken), N);
    ASSERT_TRUE(weft_barrier_broken(&t.b));
    ASSERT_EQ(weft_barrier_n_waiting(&t.b), 0);
    teardown(&t.b);
}

static void default_timeout_body(void *p, int i)
{
    ASSERT_RC(weft_barrier_wait(p, WEFT_FOREVER), WEFT_EBROKEN);
}
TEST(BarrierTests_test_default_timeout)
{
    const double timeout = 0.100;
    weft_barrier b;
    ASSERT_OK(weft_barrier_init(&b, 2, NULL, NULL, timeout));
    double t0 = weft_test_now();
    weft_test_join(weft_test_start(1, default_timeout_body, &b));
    ASSERT_ELAPSED_AT_LEAST(t0, timeout);
    ASSERT_TRUE(weft_barrier_broken(&b));
}

TEST(BarrierTests_test_single_thread)
{
    weft_barrier b;
    ASSERT_OK(weft_barrier_init(&b, 1, NULL, NULL, WEFT_FOREVER));
    ASSERT_EQ(weft_barrier_wait(&b, WEFT_FOREVER), 0);
    ASSERT_EQ(weft_barrier_wait(&b, WEFT_FOREVER), 0);
}

static void repr_body(void *p, int i) { ASSERT_GE(weft_barrier_wait(p, 300.0), 0); }
TEST(BarrierTests_test_repr)
{
    weft_barrier b;
    ASSERT_OK(weft_barrier_init(&b, 3, NULL, NULL, WEFT_FOREVER));
    ASSERT_EQ(weft_barrier_n_waiting(&b), 0);             /* waiters=0/3 */
    ASSERT_EQ(weft_barrier_parties(&b), 3);
    weft_test_threads *ts = weft_test_start(2, repr_body, &b);
    WAIT_UNTIL(weft_barrier_n_waiting(&b) >= 2, 30);
    ASSERT_EQ(weft_barrier_n_waiting(&b), 2);             /* waiters=2/3 */
    ASSERT_GE(weft_barrier_wait(&b, 300.0), 0);
    weft_test_join(ts);
    ASSERT_EQ(weft_barrier_n_waiting(&b), 0);             /* waiters=0/3 */
    ASSERT_OK(weft_barrier_abort(&b));
    ASSERT_TRUE(weft_barrier_broken(&b));                 /* broken */
}

/* ---- beyond CPython's cases ------------------------------------------------------ */

TEST(static_initialiser)
{
    static weft_barrier b = WEFT_BARRIER_INIT(1);
    ASSERT_EQ(weft_barrier_parties(&b), 1);
    ASSERT_EQ(weft_barrier_wait(&b, WEFT_FOREVER), 0);
    ASSERT_EQ(weft_barrier_wait(&b, 0.0), 0);
}

/* The action's failure: the barrier breaks, the action's thread gets the
 * action's code, the others WEFT_EBROKEN (Python: ZeroDivisionError in the
 * last thread, BrokenBarrierError in the others). */
struct fail { weft_barrier b; _Atomic int broken, failed, calls; };
static int failing_action(void *p)
{
    struct fail *f = p;
    atomic_fetch_add(&f->calls, 1);
    return WEFT_EFAIL;
}
static void fail_body(void *p, int i)
{
    struct fail *f = p;
    int rc = weft_barrier_wait(&f->b, WEFT_FOREVER);
    if (rc == WEFT_EFAIL) atomic_fetch_add(&f->failed, 1);
    else { ASSERT_RC(rc, WEFT_EBROKEN); atomic_fetch_add(&f->broken, 1); }
}
TEST(action_failure_breaks_barrier)
{
    struct fail f;
    memset(&f, 0, sizeof f);
    ASSERT_OK(weft_barrier_init(&f.b, 3, failing_action, &f, WEFT_FOREVER));
    weft_test_join(weft_test_start(3, fail_body, &f));
    ASSERT_EQ(atomic_load(&f.calls), 1);
    ASSERT_EQ(atomic_load(&f.failed), 1);
    ASSERT_EQ(atomic_load(&f.broken), 2);
    ASSERT_TRUE(weft_barrier_broken(&f.b));
    ASSERT_RC(weft_barrier_wait(&f.b, WEFT_FOREVER), WEFT_EBROKEN);
    ASSERT_OK(weft_barrier_reset(&f.b));
    ASSERT_FALSE(weft_barrier_broken(&f.b));
}

/* An action that calls back into its own barrier gets WEFT_EDEADLK (CPython
 * would deadlock) and the generation still trips. */
struct reent { weft_barrier b; _Atomic int seen; };
static int reentrant_action(void *p)
{
    struct reent *r = p;
    ASSERT_RC(weft_barrier_wait(&r->b, WEFT_FOREVER), WEFT_EDEADLK);
    ASSERT_RC(weft_barrier_reset(&r->b), WEFT_EDEADLK);
    ASSERT_RC(weft_barrier_abort(&r->b), WEFT_EDEADLK);
    ASSERT_FALSE(weft_barrier_broken(&r->b));
    atomic_fetch_add(&r->seen, 1);
    return 7; /* >= 0: success */
}
TEST(action_reentry_is_edeadlk)
{
    struct reent r;
    memset(&r, 0, sizeof r);
    ASSERT_OK(weft_barrier_init(&r.b, 1, reentrant_action, &r, WEFT_FOREVER));
    ASSERT_EQ(weft_barrier_wait(&r.b, WEFT_FOREVER), 0);
    ASSERT_EQ(atomic_load(&r.seen), 1);
    ASSERT_FALSE(weft_barrier_broken(&r.b));
    ASSERT_EQ(weft_barrier_wait(&r.b, WEFT_FOREVER), 0);   /* usable afterwards */
}

TEST(poll_breaks_when_not_last)
{
    const double polls[] = { 0.0, -0.0, -2.0, -1e-9, -INFINITY };
    for (size_t i = 0; i < sizeof polls / sizeof polls[0]; i++) {
        weft_barrier b;
        ASSERT_OK(weft_barrier_init(&b, 2, NULL, NULL, WEFT_FOREVER));
        double t0 = weft_test_now();
        ASSERT_RC(weft_barrier_wait(&b, polls[i]), WEFT_EBROKEN);
        ASSERT_ELAPSED_AT_MOST(t0, 1.0);
        ASSERT_TRUE(weft_barrier_broken(&b));
        ASSERT_OK(weft_barrier_reset(&b));
        ASSERT_FALSE(weft_barrier_broken(&b));
        /* Last to arrive: no wait, no break. */
        weft_barrier one;
        ASSERT_OK(weft_barrier_init(&one, 1, NULL, NULL, polls[i]));
        ASSERT_EQ(weft_barrier_wait(&one, polls[i]), 0);
        ASSERT_EQ(weft_barrier_wait(&one, WEFT_FOREVER), 0);
    }
}

TEST(timed_out_thread_waited_its_timeout)
{
    weft_barrier b;
    ASSERT_OK(weft_barrier_init(&b, 2, NULL, NULL, WEFT_FOREVER));
    double t0 = weft_test_now();
    ASSERT_RC(weft_barrier_wait(&b, 0.05), WEFT_EBROKEN);
    ASSERT_ELAPSED_AT_LEAST(t0, 0.05);
    ASSERT_TRUE(weft_barrier_broken(&b));
    ASSERT_RC(weft_barrier_wait(&b, 0.05), WEFT_EBROKEN);   /* stays broken */
}

TEST(reset_idle_barrier)
{
    weft_barrier b;
    ASSERT_OK(weft_barrier_init(&b, 2, NULL, NULL, WEFT_FOREVER));
    ASSERT_OK(weft_barrier_reset(&b));           /* nobody inside: filling */
    ASSERT_FALSE(weft_barrier_broken(&b));
    ASSERT_OK(weft_barrier_abort(&b));
    ASSERT_OK(weft_barrier_abort(&b));
    ASSERT_TRUE(weft_barrier_broken(&b));
    ASSERT_EQ(weft_barrier_n_waiting(&b), 0);
    ASSERT_OK(weft_barrier_reset(&b));
    ASSERT_FALSE(weft_barrier_broken(&b));
    ASSERT_EQ(atomic_load(&b.count), 0);
}

TEST(errno_is_preserved)
{
    weft_barrier b;
    ASSERT_OK(weft_barrier_init(&b, 2, NULL, NULL, WEFT_FOREVER));
    errno = 999;
    ASSERT_RC(weft_barrier_wait(&b, 0.002), WEFT_EBROKEN);
    ASSERT_OK(weft_barrier_reset(&b));
    ASSERT_EQ(errno, 999);
}

/* ---- misuse matrix --------------------------------------------------------------- */

static void assert_idle(weft_barrier *b, long parties)
{
    ASSERT_EQ(weft_barrier_parties(b), parties);
    ASSERT_FALSE(weft_barrier_broken(b));
    ASSERT_EQ(weft_barrier_n_waiting(b), 0);
    ASSERT_EQ(atomic_load(&b->count), 0);
    ASSERT_EQ(atomic_load(&b->state), 0);
    ASSERT_EQ(atomic_load(&b->lock), 0);
}

TEST(misuse_init_null) { ASSERT_RC(weft_barrier_init(NULL, 2, NULL, NULL, WEFT_FOREVER), WEFT_EINVAL); }

TEST(misuse_init_bad_parties)
{
    weft_barrier b, ref;
    memset(&b, 0x33, sizeof b);
    memcpy(&ref, &b, sizeof b);
    ASSERT_RC(weft_barrier_init(&b, 0, NULL, NULL, WEFT_FOREVER), WEFT_EINVAL);
    ASSERT_RC(weft_barrier_init(&b, -7, NULL, NULL, WEFT_FOREVER), WEFT_EINVAL);
    ASSERT_RC(weft_barrier_init(&b, WEFT_BARRIER_PARTIES_MAX + 1L, NULL, NULL, WEFT_FOREVER),
              WEFT_EOVERFLOW);
    ASSERT(memcmp(&b, &ref, sizeof b) == 0);
}

TEST(misuse_init_bad_timeout)
{
    weft_barrier b, ref;
    memset(&b, 0x44, sizeof b);
    memcpy(&ref, &b, sizeof b);
    ASSERT_RC(weft_barrier_init(&b, 2, NULL, NULL, NAN), WEFT_EINVAL);
    ASSERT_RC(weft_barrier_init(&b, 2, NULL, NULL, INFINITY), WEFT_EOVERFLOW);
    ASSERT_RC(weft_barrier_init(&b, 2, NULL, NULL, WEFT_TIMEOUT_MAX * 2), WEFT_EOVERFLOW);
    ASSERT(memcmp(&b, &ref, sizeof b) == 0);
    ASSERT_OK(weft_barrier_init(&b, 2, NULL, NULL, -INFINITY));  /* a poll */
    ASSERT_OK(weft_barrier_init(&b, 2, NULL, NULL, WEFT_TIMEOUT_MAX));
}

TEST(misuse_null_and_uninitialised)
{
    weft_barrier z;
    memset(&z, 0, sizeof z);
    ASSERT_RC(weft_barrier_wait(NULL, WEFT_FOREVER), WEFT_EINVAL);
    ASSERT_RC(weft_barrier_reset(NULL), WEFT_EINVAL);
    ASSERT_RC(weft_barrier_abort(NULL), WEFT_EINVAL);
    ASSERT_RC(weft_barrier_wait(&z, WEFT_FOREVER), WEFT_EINVAL);
    ASSERT_RC(weft_barrier_reset(&z), WEFT_EINVAL);
    ASSERT_RC(weft_barrier_abort(&z), WEFT_EINVAL);
    ASSERT_EQ(weft_barrier_parties(NULL), 0);
    ASSERT_EQ(weft_barrier_n_waiting(NULL), 0);
    ASSERT_FALSE(weft_barrier_broken(NULL));
    ASSERT_FALSE(weft_barrier_broken(&z));
    weft_barrier_destroy(NULL);
}

TEST(misuse_wait_timeout_too_large)
{
    weft_barrier b;
    ASSERT_OK(weft_barrier_init(&b, 2, NULL, NULL, WEFT_FOREVER));
    ASSERT_RC(weft_barrier_wait(&b, WEFT_TIMEOUT_MAX * 2), WEFT_EOVERFLOW);
    assert_idle(&b, 2);                             /* not broken */
    ASSERT_RC(weft_barrier_wait(&b, INFINITY), WEFT_EOVERFLOW);
    assert_idle(&b, 2);
    /* Only if it has to wait. */
    weft_barrier one;
    ASSERT_OK(weft_barrier_init(&one, 1, NULL, NULL, WEFT_FOREVER));
    ASSERT_EQ(weft_barrier_wait(&one, INFINITY), 0);
}

TEST(misuse_wait_nan_timeout)
{
    weft_barrier b;
    ASSERT_OK(weft_barrier_init(&b, 2, NULL, NULL, WEFT_FOREVER));
    ASSERT_RC(weft_barrier_wait(&b, NAN), WEFT_EINVAL);
    assert_idle(&b, 2);
    weft_barrier one;
    ASSERT_OK(weft_barrier_init(&one, 1, NULL, NULL, WEFT_FOREVER));
    ASSERT_EQ(weft_barrier_wait(&one, NAN), 0);
}

/* ---- stress (slow) ------------------------------------------------------------------ */

#define SP 4
#define MAXG 200000
static _Atomic unsigned char gen_mask[MAXG];

struct gens { weft_barrier b; long gens; _Atomic long actions; };
static int count_action(void *p)
{
    struct gens *g = p;
    atomic_fetch_add(&g->actions, 1);
    return 0;
}
static void gens_body(void *p, int i)
{
    struct gens *g = p;
    for (long k = 0; k < g->gens; k++) {
        int idx = weft_barrier_wait(&g->b, k % 3 ? WEFT_FOREVER : 60.0);
        ASSERT_GE(idx, 0);
        ASSERT_LT(idx, SP);
        unsigned char old = atomic_fetch_or(&gen_mask[k], (unsigned char)(1u << idx));
        ASSERT_EQ(old & (1u << idx), 0);
    }
}
SLOW_TEST(stress_every_party_leaves_every_generation_once)
{
    struct gens g;
    memset(&g, 0, sizeof g);
    g.gens = weft_test_iters(10000);
    if (g.gens > MAXG) g.gens = MAXG;
    ASSERT_OK(weft_barrier_init(&g.b, SP, count_action, &g, WEFT_FOREVER));
    weft_test_join(weft_test_start(SP, gens_body, &g));
    for (long k = 0; k < g.gens; k++) ASSERT_EQ(atomic_load(&gen_mask[k]), (1u << SP) - 1);
    ASSERT_EQ(atomic_load(&g.actions), g.gens);
    assert_idle(&g.b, SP);
}

/* Random abort/reset from a controller while SP parties run rounds. After each
 * round the parties meet on a second barrier (never aborted); there, one of them
 * resets the main barrier if it is broken. In every round each party returns
 * exactly once, successful indices are distinct, and at the end a clean round
 * passes and the barrier is back to its initial state. */
struct chaos {
    weft_barrier b, meet;
    _Atomic int stop, finish;
    _Atomic long ok, broken, rounds;
};
static void chaos_body(void *p, int i)
{
    struct chaos *c = p;
    if (i == SP) {   /* controller */
        unsigned seed = 12345;
        long n = weft_test_iters(300);
        for (long k = 0; k < n; k++) {
            seed = seed * 1103515245u + 12345u;
            weft_test_sleep(0.0002 * (1 + (seed >> 16) % 5));
            if ((seed >> 8) % 2) ASSERT_OK(weft_barrier_abort(&c->b));
            else ASSERT_OK(weft_barrier_reset(&c->b));
        }
        atomic_store(&c->stop, 1);
        return;
    }
    for (long round = 0;; round++) {
        int idx = weft_barrier_wait(&c->b, 0.05 * weft_test_factor());
        if (idx >= 0) {
            ASSERT_LT(idx, SP);
            atomic_fetch_add(&c->ok, 1);
        } else {
            ASSERT_RC(idx, WEFT_EBROKEN);
            atomic_fetch_add(&c->broken, 1);
        }
        int m = weft_barrier_wait(&c->meet, WEFT_FOREVER);
        ASSERT_GE(m, 0);
        if (m == 0) {
            /* Everyone has left c->b: reset it if it broke. */
            if (weft_barrier_broken(&c->b)) ASSERT_OK(weft_barrier_reset(&c->b));
            atomic_store(&c->finish, atomic_load(&c->stop));
            atomic_fetch_add(&c->rounds, 1);
        }
        ASSERT_GE(weft_barrier_wait(&c->meet, WEFT_FOREVER), 0);
        if (atomic_load(&c->finish)) break;
    }
    /* Clean final round. */
    int idx = weft_barrier_wait(&c->b, WEFT_FOREVER);
    ASSERT_GE(idx, 0);
}
SLOW_TEST(stress_random_abort_and_reset)
{
    struct chaos c;
    memset(&c, 0, sizeof c);
    ASSERT_OK(weft_barrier_init(&c.b, SP, NULL, NULL, WEFT_FOREVER));
    ASSERT_OK(weft_barrier_init(&c.meet, SP, NULL, NULL, WEFT_FOREVER));
    weft_test_join(weft_test_start(SP + 1, chaos_body, &c));
    ASSERT_EQ(atomic_load(&c.ok) + atomic_load(&c.broken), SP * atomic_load(&c.rounds));
    assert_idle(&c.b, SP);
    assert_idle(&c.meet, SP);
}
