/* SPDX-License-Identifier: MIT */
/* test-lockdbg.c: the debugging side of Lock and RLock (issue 8): the holder
 * each lock records (the deadlock detector's graph edge and the dump's "held
 * by"), deadlock detection in their wait loops, the lock-order checker and the
 * contention statistics (src/lockdbg.c). */
#include "harness.h"
#include "lock-test-util.h"

#include <stdatomic.h>

#include "internal/debug.h"
#include "internal/lock.h"

/* ---- holder recording ------------------------------------------------------------ */

TEST(holder_fast_path_and_release)
{
    weft_lock l = WEFT_LOCK_INIT;
    ASSERT_NE(weft__me(), 0);
    ASSERT_EQ(weft__lock_holder(&l), 0);
    ASSERT_OK(weft_lock_acquire(&l, true, WEFT_FOREVER));
    ASSERT_EQ(weft__lock_holder(&l), weft__me());
    ASSERT_OK(weft_lock_release(&l));
    ASSERT_EQ(weft__lock_holder(&l), 0);
    /* The fast release leaves the id in place (an unlocked lock's holder is
     * never read), so the same thread's next acquire need not store it. */
    ASSERT_EQ(atomic_load(&l.holder), weft__me());
    ASSERT_OK(weft_lock_acquire(&l, true, WEFT_FOREVER));
    ASSERT_EQ(weft__lock_holder(&l), weft__me());
    ASSERT_OK(weft_lock_release(&l));
}

/* The id left by a fast release is replaced by the next taker's. */
struct taker {
    weft_lock *l;
    _Atomic weft__tid tid, seen;
};

static void take_and_release(void *p, int i)
{
    (void)i;
    struct taker *k = p;
    ASSERT_OK(weft_lock_acquire(k->l, true, WEFT_FOREVER));
    atomic_store(&k->tid, weft__me());
    atomic_store(&k->seen, weft__lock_holder(k->l));
    ASSERT_OK(weft_lock_release(k->l));
}

TEST(holder_next_taker_replaces_left_id)
{
    static weft_lock l = WEFT_LOCK_INIT;
    static struct taker k;
    k.l = &l;
    ASSERT_OK(weft_lock_acquire(&l, true, WEFT_FOREVER));
    ASSERT_OK(weft_lock_release(&l));
    ASSERT_EQ(atomic_load(&l.holder), weft__me());
    weft_test_join(weft_test_start(1, take_and_release, &k));
    ASSERT_NE(atomic_load(&k.tid), 0);
    ASSERT_NE(atomic_load(&k.tid), weft__me());
    ASSERT_EQ(atomic_load(&k.seen), atomic_load(&k.tid));
    ASSERT_EQ(weft__lock_holder(&l), 0);
    ASSERT_OK(weft_lock_acquire(&l, false, WEFT_FOREVER));
    ASSERT_EQ(weft__lock_holder(&l), weft__me());
    ASSERT_OK(weft_lock_release(&l));
}

TEST(holder_nonblocking_and_timed)
{
    weft_lock l;
    weft_lock_init(&l);
    ASSERT_OK(weft_lock_acquire(&l, false, WEFT_FOREVER));
    ASSERT_EQ(weft__lock_holder(&l), weft__me());
    ASSERT_OK(weft_lock_release(&l));
    ASSERT_OK(weft_lock_acquire(&l, true, 0));
    ASSERT_EQ(weft__lock_holder(&l), weft__me());
    ASSERT_OK(weft_lock_release(&l));
    ASSERT_OK(weft_lock_acquire(&l, true, 5.0));
    ASSERT_EQ(weft__lock_holder(&l), weft__me());
    ASSERT_OK(weft_lock_release(&l));
    ASSERT_EQ(weft__lock_holder(&l), 0);
    weft_lock_destroy(&l);
}

/* A release of an unlocked lock is WEFT_EPERM and changes nothing, holder included. */
TEST(holder_release_unlocked_changes_nothing)
{
    weft_lock l = WEFT_LOCK_INIT;
    ASSERT_RC(weft_lock_release(&l), WEFT_EPERM);
    ASSERT_EQ(atomic_load(&l.state), 0);
    ASSERT_EQ(atomic_load(&l.holder), 0);
}

struct slow_holder {
    weft_lock l;
    _Atomic weft__tid tid;
    _Atomic int phase;
};

static void slow_holder_thread(void *p, int i)
{
    (void)i;
    struct slow_holder *s = p;
    /* Blocks: main holds the lock and releases it once the dump shows us blocked. */
    ASSERT_OK(weft_lock_acquire(&s->l, true, WEFT_FOREVER));
    atomic_store(&s->tid, weft__me());
    ASSERT_EQ(weft__lock_holder(&s->l), weft__me());
    atomic_store(&s->phase, 1);
    while (atomic_load(&s->phase) != 2)
        weft_test_sleep(0.0005);
    ASSERT_OK(weft_lock_release(&s->l));
}

/* The slow path records the holder too, and another thread's acquire replaces it. */
TEST(holder_slow_path_other_thread)
{
    static struct slow_holder s;
    memset(&s, 0, sizeof s);
    ASSERT_OK(weft_lock_acquire(&s.l, true, WEFT_FOREVER));
    weft__tid me = weft__me();
    ASSERT_EQ(weft__lock_holder(&s.l), me);
    weft_test_threads *t = weft_test_start(1, slow_holder_thread, &s);
    WAIT_UNTIL(blocked_on(&s.l) == 1, 10);
    ASSERT_OK(weft_lock_release(&s.l));
    WAIT_UNTIL(atomic_load(&s.phase) == 1, 10);
    ASSERT_EQ(weft__lock_holder(&s.l), atomic_load(&s.tid));
    ASSERT_NE(atomic_load(&s.tid), me);
    ASSERT_NE(atomic_load(&s.tid), 0);
    atomic_store(&s.phase, 2);
    weft_test_join(t);
    ASSERT_EQ(weft__lock_holder(&s.l), 0);
}

/* Python allows any thread to release a Lock: the holder is cleared either way. */
static void release_other(void *p, int i)
{
    (void)i;
    ASSERT_OK(weft_lock_release(p));
}

TEST(holder_cleared_by_release_from_other_thread)
{
    static weft_lock l = WEFT_LOCK_INIT;
    ASSERT_OK(weft_lock_acquire(&l, true, WEFT_FOREVER));
    weft_test_join(weft_test_start(1, release_other, &l));
    ASSERT_EQ(weft__lock_holder(&l), 0);
    ASSERT_FALSE(weft_lock_locked(&l));
}

TEST(rlock_holder_is_owner_at_every_level)
{
    weft_rlock r = WEFT_RLOCK_INIT;
    ASSERT_EQ(weft__rlock_holder(&r), 0);
    ASSERT_OK(weft_rlock_acquire(&r, true, WEFT_FOREVER));
    ASSERT_EQ(weft__rlock_holder(&r), weft__me());
    ASSERT_OK(weft_rlock_acquire(&r, true, WEFT_FOREVER));
    ASSERT_EQ(weft__rlock_holder(&r), weft__me());
    ASSERT_OK(weft_rlock_release(&r));
    ASSERT_EQ(weft__rlock_holder(&r), weft__me());
    ASSERT_OK(weft_rlock_release(&r));
    ASSERT_EQ(weft__rlock_holder(&r), 0);
    ASSERT_RC(weft_rlock_release(&r), WEFT_EPERM);
    ASSERT_EQ(weft__rlock_holder(&r), 0);
}

/* ---- deadlock detection --------------------------------------------------------- */

#include "weft/debug.h"
#include "weft/thread.h"

struct captured {
    char text[4096];
    _Atomic int count;
};

static void capture(const char *report, void *arg)
{
    struct captured *c = arg;
    size_t len = strlen(c->text);
    snprintf(c->text + len, sizeof c->text - len, "%s", report);
    atomic_fetch_add(&c->count, 1);
}

/* Each case starts with the lock-order checker and the statistics off (the
 * suite may run with WEFT_LOCK_ORDER / WEFT_LOCK_STATS set) and turns on what it
 * tests. */
static struct captured *capture_start(void)
{
    static struct captured c;
    ASSERT_OK(weft_debug_lock_order(false));
    ASSERT_OK(weft_debug_stats_enable(NULL, false));
    memset(&c, 0, sizeof c);
    weft_debug_set_report_hook(capture, &c);
    return &c;
}

static void capture_stop(void) { weft_debug_set_report_hook(NULL, NULL); }

/* The report names the thread as debug.c describes it: by its weft name once
 * thread.c registers weft threads (then the description quotes it), by ident
 * otherwise. */
static void assert_names_thread(const char *report, const char *who, const char *name)
{
    ASSERT_TRUE(strstr(report, who) != NULL);
    if (strchr(who, '\'')) ASSERT_TRUE(strstr(report, name) != NULL);
}

static weft_thread *start_named(const char *name, weft_thread_fn fn, void *arg)
{
    weft_thread *t = NULL;
    weft_thread_attr a = { name, 0, 0 };
    ASSERT_OK(weft_thread_create(&t, fn, arg, &a));
    ASSERT_OK(weft_thread_start(t));
    return t;
}

struct self_dl {
    weft_lock l;
    int rc;
    double took;
    char who[160];
};

static void *reacquire_own(void *p)
{
    struct self_dl *s = p;
    weft__describe_tid(weft__me(), s->who, sizeof s->who);
    ASSERT_OK(weft_lock_acquire(&s->l, true, WEFT_FOREVER));
    double t0 = weft_test_now();
    s->rc = weft_lock_acquire(&s->l, true, WEFT_FOREVER); /* Python would hang here */
    s->took = weft_test_now() - t0;
    ASSERT_TRUE(weft_lock_locked(&s->l)); /* still ours */
    ASSERT_OK(weft_lock_release(&s->l));
    return NULL;
}

/* The seed hang: a thread re-acquiring a Lock it holds. */
TEST(deadlock_lock_reacquire_by_holder)
{
    ASSERT_OK(weft_deadlock_set_mode(WEFT_DEADLOCK_REPORT));
    struct captured *c = capture_start();
    static struct self_dl s;
    memset(&s, 0, sizeof s);
    weft_lock_init(&s.l);
    ASSERT_OK(weft_debug_name(&s.l, "config-lock"));
    weft_thread *t = start_named("loader", reacquire_own, &s);
    ASSERT_OK(weft_thread_join(t, WEFT_FOREVER));
    weft_thread_destroy(t);
    capture_stop();
    ASSERT_RC(s.rc, WEFT_EDEADLK);
    ASSERT_LT(s.took, 5.0 * weft_test_factor());
    ASSERT_EQ(atomic_load(&c->count), 1);
    ASSERT_TRUE(strstr(c->text, "deadlock") != NULL);
    assert_names_thread(c->text, s.who, "'loader'");
    ASSERT_TRUE(strstr(c->text, "'config-lock'") != NULL);
    /* the lock is exactly as before the failed acquire: free, not marked */
    ASSERT_EQ(atomic_load(&s.l.state), 0);
    ASSERT_EQ(weft__lock_holder(&s.l), 0);
    weft_lock_destroy(&s.l);
}

struct pair_dl {
    weft_lock a, b;
    weft_rlock ra, rb;
    int use_rlock;
    _Atomic int holding;
    int rc[2];
    _Atomic int failed;           /* index + 1 of the thread that got EDEADLK */
    char who[2][160];
};

static int take(struct pair_dl *p, int which)
{
    if (p->use_rlock) return weft_rlock_acquire(which ? &p->rb : &p->ra, true, WEFT_FOREVER);
    return weft_lock_acquire(which ? &p->b : &p->a, true, WEFT_FOREVER);
}

static int drop(struct pair_dl *p, int which)
{
    if (p->use_rlock) return weft_rlock_release(which ? &p->rb : &p->ra);
    return weft_lock_release(which ? &p->b : &p->a);
}

static void pair_body(struct pair_dl *p, int me)
{
    weft__describe_tid(weft__me(), p->who[me], sizeof p->who[me]);
    ASSERT_OK(take(p, me));
    if (p->use_rlock) ASSERT_OK(take(p, me)); /* a second level changes nothing */
    atomic_fetch_add(&p->holding, 1);
    WAIT_UNTIL(atomic_load(&p->holding) == 2, 10); /* both hold before either blocks */
    int rc = take(p, !me);
    p->rc[me] = rc;
    if (rc == WEFT_EDEADLK) {
        atomic_store(&p->failed, me + 1);
    } else {
        ASSERT_OK(rc);
        ASSERT_OK(drop(p, !me));
    }
    if (p->use_rlock) ASSERT_OK(drop(p, me));
    ASSERT_OK(drop(p, me)); /* lets the other one through */
}

static void *pair_first(void *p) { pair_body(p, 0); return NULL; }
static void *pair_second(void *p) { pair_body(p, 1); return NULL; }

static void pair_case(int use_rlock)
{
    ASSERT_OK(weft_deadlock_set_mode(WEFT_DEADLOCK_REPORT));
    struct captured *c = capture_start();
    static struct pair_dl p;
    memset(&p, 0, sizeof p);
    p.use_rlock = use_rlock;
    weft_lock_init(&p.a);
    weft_lock_init(&p.b);
    weft_rlock_init(&p.ra);
    weft_rlock_init(&p.rb);
    ASSERT_OK(weft_debug_name(use_rlock ? (void *)&p.ra : (void *)&p.a, "accounts"));
    ASSERT_OK(weft_debug_name(use_rlock ? (void *)&p.rb : (void *)&p.b, "ledger"));
    double t0 = weft_test_now();
    weft_thread *t1 = start_named("teller-1", pair_first, &p);
    weft_thread *t2 = start_named("teller-2", pair_second, &p);
    ASSERT_OK(weft_thread_join(t1, WEFT_FOREVER));
    ASSERT_OK(weft_thread_join(t2, WEFT_FOREVER));
    ASSERT_ELAPSED_AT_MOST(t0, 10.0);
    weft_thread_destroy(t1);
    weft_thread_destroy(t2);
    capture_stop();
    /* exactly one was told; the other then got its lock */
    int f = atomic_load(&p.failed);
    ASSERT_TRUE(f == 1 || f == 2);
    ASSERT_RC(p.rc[f - 1], WEFT_EDEADLK);
    ASSERT_OK(p.rc[2 - f]);
    ASSERT_EQ(atomic_load(&c->count), 1);
    assert_names_thread(c->text, p.who[0], "'teller-1'");
    assert_names_thread(c->text, p.who[1], "'teller-2'");
    ASSERT_TRUE(strstr(c->text, "'accounts'") != NULL);
    ASSERT_TRUE(strstr(c->text, "'ledger'") != NULL);
    ASSERT_TRUE(strstr(c->text, use_rlock ? "RLock" : "Lock") != NULL);
    ASSERT_EQ(atomic_load(&p.a.state), 0);
    ASSERT_EQ(atomic_load(&p.b.state), 0);
    ASSERT_EQ(atomic_load(&p.ra.lock.state), 0);
    ASSERT_EQ(atomic_load(&p.rb.lock.state), 0);
    weft_lock_destroy(&p.a);
    weft_lock_destroy(&p.b);
    weft_rlock_destroy(&p.ra);
    weft_rlock_destroy(&p.rb);
}

/* The seed hang: two threads each holding the Lock the other wants. */
TEST(deadlock_two_locks_cycle)
{
    pair_case(0);
}

TEST(deadlock_two_rlocks_cycle)
{
    pair_case(1);
}

struct timed_dl {
    weft_lock l;
    int rc;
};

static void *reacquire_timed(void *p)
{
    struct timed_dl *s = p;
    ASSERT_OK(weft_lock_acquire(&s->l, true, WEFT_FOREVER));
    s->rc = weft_lock_acquire(&s->l, true, 0.4);
    ASSERT_OK(weft_lock_release(&s->l));
    return NULL;
}

/* A timed wait ends by itself: never reported, it times out. */
TEST(deadlock_not_checked_with_timeout)
{
    ASSERT_OK(weft_deadlock_set_mode(WEFT_DEADLOCK_REPORT));
    struct captured *c = capture_start();
    static struct timed_dl s;
    memset(&s, 0, sizeof s);
    double t0 = weft_test_now();
    weft_thread *t = start_named("timed", reacquire_timed, &s);
    ASSERT_OK(weft_thread_join(t, WEFT_FOREVER));
    weft_thread_destroy(t);
    capture_stop();
    ASSERT_ELAPSED_AT_LEAST(t0, 0.4);
    ASSERT_RC(s.rc, WEFT_ETIMEDOUT);
    ASSERT_EQ(atomic_load(&c->count), 0);
}

/* Mode OFF: nothing is checked. The thread waits forever on the Lock it holds;
 * the main thread releases it (any thread may release a Lock) after long
 * enough for the detector to have reported it several times over, so the test
 * cannot hang. */
static void *reacquire_off(void *p)
{
    struct timed_dl *s = p;
    ASSERT_OK(weft_lock_acquire(&s->l, true, WEFT_FOREVER));
    s->rc = weft_lock_acquire(&s->l, true, WEFT_FOREVER);
    ASSERT_OK(weft_lock_release(&s->l));
    return NULL;
}

TEST(deadlock_mode_off_no_report)
{
    ASSERT_OK(weft_deadlock_set_mode(WEFT_DEADLOCK_OFF));
    struct captured *c = capture_start();
    static struct timed_dl s;
    memset(&s, 0, sizeof s);
    s.rc = -1000;
    weft_thread *t = start_named("off", reacquire_off, &s);
    WAIT_UNTIL(blocked_on(&s.l) == 1, 10);
    /* The thread is blocked (above); this is time in which a detector that
     * ignored OFF would report. Shorter, it can only miss that: not for ordering. */
    weft_test_sleep(0.6);
    ASSERT_OK(weft_lock_release(&s.l));
    ASSERT_OK(weft_thread_join(t, WEFT_FOREVER));
    weft_thread_destroy(t);
    capture_stop();
    ASSERT_OK(weft_deadlock_set_mode(WEFT_DEADLOCK_REPORT));
    ASSERT_OK(s.rc);
    ASSERT_EQ(atomic_load(&c->count), 0);
}

/* ---- lock-order checker ------------------------------------------------------------ */

struct order2 {
    weft_lock *first, *second;
    char who[160];
};

static void *take_in_order(void *p)
{
    struct order2 *o = p;
    weft__describe_tid(weft__me(), o->who, sizeof o->who);
    ASSERT_OK(weft_lock_acquire(o->first, true, WEFT_FOREVER));
    ASSERT_OK(weft_lock_acquire(o->second, true, WEFT_FOREVER));
    ASSERT_OK(weft_lock_release(o->second));
    ASSERT_OK(weft_lock_release(o->first));
    return NULL;
}

static void run_order(const char *name, weft_lock *first, weft_lock *second, char *who)
{
    struct order2 o = { first, second, { 0 } };
    weft_thread *t = start_named(name, take_in_order, &o);
    ASSERT_OK(weft_thread_join(t, WEFT_FOREVER));
    weft_thread_destroy(t);
    if (who) snprintf(who, 160, "%s", o.who);
}

/* A then B in one thread, B then A in another (one after the other: no deadlock
 * happens) is reported once, naming both locks and both threads. */
TEST(order_inversion_reported_once_with_both_orders)
{
    static weft_lock a = WEFT_LOCK_INIT, b = WEFT_LOCK_INIT;
    ASSERT_OK(weft_debug_name(&a, "inventory"));
    ASSERT_OK(weft_debug_name(&b, "orders"));
    struct captured *c = capture_start();
    ASSERT_OK(weft_debug_lock_order(true));
    char who1[160], who2[160];
    run_order("first-order", &a, &b, who1);
    ASSERT_EQ(atomic_load(&c->count), 0);
    run_order("second-order", &b, &a, who2);
    ASSERT_EQ(atomic_load(&c->count), 1);
    ASSERT_TRUE(strstr(c->text, "lock-order inversion") != NULL);
    ASSERT_TRUE(strstr(c->text, "takes 'inventory' (") != NULL);  /* second order: b then a */
    ASSERT_TRUE(strstr(c->text, "while holding 'orders' (") != NULL);
    ASSERT_TRUE(strstr(c->text, "'inventory'") != NULL);
    ASSERT_TRUE(strstr(c->text, "'orders'") != NULL);
    assert_names_thread(c->text, who1, "'first-order'");
    assert_names_thread(c->text, who2, "'second-order'");
    /* each pair once: neither order again, in any thread, reports it again */
    run_order("again-1", &b, &a, NULL);
    run_order("again-2", &a, &b, NULL);
    ASSERT_OK(weft_lock_acquire(&b, true, WEFT_FOREVER));
    ASSERT_OK(weft_lock_acquire(&a, true, WEFT_FOREVER));
    ASSERT_OK(weft_lock_release(&a));
    ASSERT_OK(weft_lock_release(&b));
    ASSERT_OK(weft_debug_lock_order(false));
    capture_stop();
    ASSERT_EQ(atomic_load(&c->count), 1);
    weft_lock_destroy(&a);
    weft_lock_destroy(&b);
}

/* Orders that agree (A->B, B->C, A->C, in several threads) are never reported, nor
 * is releasing in a different order than taking. */
TEST(order_no_report_when_orders_agree)
{
    static weft_lock a = WEFT_LOCK_INIT, b = WEFT_LOCK_INIT, d = WEFT_LOCK_INIT;
    struct captured *c = capture_start();
    ASSERT_OK(weft_debug_lock_order(true));
    for (int i = 0; i < 3; i++) {
        run_order("ab", &a, &b, NULL);
        run_order("bd", &b, &d, NULL);
        run_order("ad", &a, &d, NULL);
    }
    ASSERT_OK(weft_lock_acquire(&a, true, WEFT_FOREVER));
    ASSERT_OK(weft_lock_acquire(&b, true, WEFT_FOREVER));
    ASSERT_OK(weft_lock_acquire(&d, true, WEFT_FOREVER));
    ASSERT_OK(weft_lock_release(&a)); /* out of order */
    ASSERT_OK(weft_lock_release(&d));
    ASSERT_OK(weft_lock_release(&b));
    /* a lock taken without waiting still orders what is taken under it */
    ASSERT_OK(weft_lock_acquire(&a, false, WEFT_FOREVER));
    ASSERT_OK(weft_lock_acquire(&d, true, 1.0));
    ASSERT_OK(weft_lock_release(&d));
    ASSERT_OK(weft_lock_release(&a));
    ASSERT_OK(weft_debug_lock_order(false));
    capture_stop();
    ASSERT_EQ(atomic_load(&c->count), 0);
    weft_lock_destroy(&a);
    weft_lock_destroy(&b);
    weft_lock_destroy(&d);
}

/* A cycle through three locks (A->B, B->C in two threads, then C->A in a
 * third; no two of them inverted) is reported once, with every order in it. */
TEST(order_cycle_through_three_locks_reported_once)
{
    static weft_lock a = WEFT_LOCK_INIT, b = WEFT_LOCK_INIT, d = WEFT_LOCK_INIT;
    ASSERT_OK(weft_debug_name(&a, "alpha"));
    ASSERT_OK(weft_debug_name(&b, "beta"));
    ASSERT_OK(weft_debug_name(&d, "gamma"));
    struct captured *c = capture_start();
    ASSERT_OK(weft_debug_lock_order(true));
    char w1[160], w2[160], w3[160];
    run_order("t-ab", &a, &b, w1);
    run_order("t-bg", &b, &d, w2);
    ASSERT_EQ(atomic_load(&c->count), 0);
    run_order("t-ga", &d, &a, w3);
    ASSERT_EQ(atomic_load(&c->count), 1);
    ASSERT_TRUE(strstr(c->text, "cycle through 3 locks") != NULL);
    ASSERT_TRUE(strstr(c->text, "takes 'alpha' (") != NULL);
    ASSERT_TRUE(strstr(c->text, "took 'beta' (") != NULL);
    ASSERT_TRUE(strstr(c->text, "took 'gamma' (") != NULL);
    assert_names_thread(c->text, w1, "'t-ab'");
    assert_names_thread(c->text, w2, "'t-bg'");
    assert_names_thread(c->text, w3, "'t-ga'");
    run_order("t-ga2", &d, &a, NULL); /* same orders again: nothing new */
    run_order("t-ab2", &a, &b, NULL);
    ASSERT_OK(weft_debug_lock_order(false));
    capture_stop();
    ASSERT_EQ(atomic_load(&c->count), 1);
    weft_lock_destroy(&a);
    weft_lock_destroy(&b);
    weft_lock_destroy(&d);
}

/* A non-blocking (or poll) acquire in the opposite order cannot deadlock (it
 * does not wait): it is the usual way out of an order problem, not reported. */
TEST(order_trylock_in_opposite_order_not_reported)
{
    static weft_lock a = WEFT_LOCK_INIT, b = WEFT_LOCK_INIT;
    struct captured *c = capture_start();
    ASSERT_OK(weft_debug_lock_order(true));
    run_order("ab", &a, &b, NULL);
    ASSERT_OK(weft_lock_acquire(&b, true, WEFT_FOREVER));
    ASSERT_OK(weft_lock_acquire(&a, false, WEFT_FOREVER));
    ASSERT_OK(weft_lock_release(&a));
    ASSERT_OK(weft_lock_acquire(&a, true, 0));
    ASSERT_OK(weft_lock_release(&a));
    ASSERT_OK(weft_lock_release(&b));
    ASSERT_EQ(atomic_load(&c->count), 0);
    /* a blocking one in that order is */
    ASSERT_OK(weft_lock_acquire(&b, true, WEFT_FOREVER));
    ASSERT_OK(weft_lock_acquire(&a, true, 2.0));
    ASSERT_OK(weft_lock_release(&a));
    ASSERT_OK(weft_lock_release(&b));
    ASSERT_OK(weft_debug_lock_order(false));
    capture_stop();
    ASSERT_EQ(atomic_load(&c->count), 1);
    weft_lock_destroy(&a);
    weft_lock_destroy(&b);
}

/* RLock: recursion adds no order; an inversion between an RLock and a Lock is
 * reported like one between Locks. */
TEST(order_rlock_recursion_and_inversion)
{
    static weft_rlock r = WEFT_RLOCK_INIT;
    static weft_lock l = WEFT_LOCK_INIT;
    ASSERT_OK(weft_debug_name(&r, "registry"));
    ASSERT_OK(weft_debug_name(&l, "cache"));
    struct captured *c = capture_start();
    ASSERT_OK(weft_debug_lock_order(true));
    ASSERT_OK(weft_rlock_acquire(&r, true, WEFT_FOREVER));
    ASSERT_OK(weft_rlock_acquire(&r, true, WEFT_FOREVER));
    ASSERT_OK(weft_lock_acquire(&l, true, WEFT_FOREVER));
    ASSERT_OK(weft_rlock_acquire(&r, true, WEFT_FOREVER)); /* recursion under l: no order */
    ASSERT_OK(weft_rlock_release(&r));
    ASSERT_OK(weft_lock_release(&l));
    ASSERT_OK(weft_rlock_release(&r));
    ASSERT_OK(weft_rlock_release(&r));
    ASSERT_EQ(atomic_load(&c->count), 0);
    ASSERT_OK(weft_lock_acquire(&l, true, WEFT_FOREVER));
    ASSERT_OK(weft_rlock_acquire(&r, true, WEFT_FOREVER));
    ASSERT_OK(weft_rlock_release(&r));
    ASSERT_OK(weft_lock_release(&l));
    ASSERT_OK(weft_debug_lock_order(false));
    capture_stop();
    ASSERT_EQ(atomic_load(&c->count), 1);
    ASSERT_TRUE(strstr(c->text, "'registry'") != NULL);
    ASSERT_TRUE(strstr(c->text, "'cache'") != NULL);
    weft_rlock_destroy(&r);
    weft_lock_destroy(&l);
}

/* A destroyed lock's orders are forgotten: another lock at the same address
 * taken in the other order is not an inversion. */
TEST(order_destroy_forgets_edges)
{
    static weft_lock a = WEFT_LOCK_INIT, b = WEFT_LOCK_INIT;
    struct captured *c = capture_start();
    ASSERT_OK(weft_debug_lock_order(true));
    run_order("ab", &a, &b, NULL);
    weft_lock_destroy(&b);
    weft_lock_init(&b); /* a new lock at the old address */
    run_order("ba", &b, &a, NULL);
    ASSERT_OK(weft_debug_lock_order(false));
    capture_stop();
    ASSERT_EQ(atomic_load(&c->count), 0);
    weft_lock_destroy(&a);
    weft_lock_destroy(&b);
}

/* A Lock released by another thread (Python allows it) is no longer held by the
 * thread that took it: what that thread takes next is not ordered after it. */
struct foreign_rel {
    weft_lock a, b;
    _Atomic int phase;
};

static void *take_a_then_b_later(void *p)
{
    struct foreign_rel *f = p;
    ASSERT_OK(weft_lock_acquire(&f->a, true, WEFT_FOREVER));
    atomic_store(&f->phase, 1);
    WAIT_UNTIL(atomic_load(&f->phase) == 2, 10); /* main releases a meanwhile */
    ASSERT_OK(weft_lock_acquire(&f->b, true, WEFT_FOREVER));
    ASSERT_OK(weft_lock_release(&f->b));
    return NULL;
}

TEST(order_release_by_other_thread_ends_the_hold)
{
    static struct foreign_rel f;
    memset(&f, 0, sizeof f);
    struct captured *c = capture_start();
    ASSERT_OK(weft_debug_lock_order(true));
    weft_thread *t = start_named("taker", take_a_then_b_later, &f);
    WAIT_UNTIL(atomic_load(&f.phase) == 1, 10);
    ASSERT_OK(weft_lock_release(&f.a));
    atomic_store(&f.phase, 2);
    ASSERT_OK(weft_thread_join(t, WEFT_FOREVER));
    weft_thread_destroy(t);
    run_order("ba", &f.b, &f.a, NULL);
    ASSERT_OK(weft_debug_lock_order(false));
    capture_stop();
    ASSERT_EQ(atomic_load(&c->count), 0);
    weft_lock_destroy(&f.a);
    weft_lock_destroy(&f.b);
}

/* Deeper nesting than the per-thread stack tracks works (deeper locks are not
 * tracked), and the checker's off switch stops it. */
TEST(order_deep_nesting_and_off)
{
    enum { N = 40 };
    static weft_lock ls[N];
    for (int i = 0; i < N; i++) weft_lock_init(&ls[i]);
    struct captured *c = capture_start();
    ASSERT_OK(weft_debug_lock_order(true));
    for (int i = 0; i < N; i++) ASSERT_OK(weft_lock_acquire(&ls[i], true, WEFT_FOREVER));
    for (int i = N - 1; i >= 0; i--) ASSERT_OK(weft_lock_release(&ls[i]));
    ASSERT_EQ(atomic_load(&c->count), 0);
    ASSERT_OK(weft_debug_lock_order(false));
    /* off: the opposite order is not looked at */
    ASSERT_OK(weft_lock_acquire(&ls[1], true, WEFT_FOREVER));
    ASSERT_OK(weft_lock_acquire(&ls[0], true, WEFT_FOREVER));
    ASSERT_OK(weft_lock_release(&ls[0]));
    ASSERT_OK(weft_lock_release(&ls[1]));
    ASSERT_EQ(atomic_load(&c->count), 0);
    /* on again: the stacks start empty, the orders seen before are remembered */
    ASSERT_OK(weft_debug_lock_order(true));
    ASSERT_OK(weft_lock_acquire(&ls[1], true, WEFT_FOREVER));
    ASSERT_OK(weft_lock_acquire(&ls[0], true, WEFT_FOREVER));
    ASSERT_OK(weft_lock_release(&ls[0]));
    ASSERT_OK(weft_lock_release(&ls[1]));
    ASSERT_OK(weft_debug_lock_order(false));
    capture_stop();
    ASSERT_EQ(atomic_load(&c->count), 1);
    for (int i = 0; i < N; i++) weft_lock_destroy(&ls[i]);
}

/* ---- contention statistics --------------------------------------------------------- */

struct contend {
    weft_lock l;
    _Atomic int phase;
};

static void *contender(void *p)
{
    struct contend *s = p;
    atomic_store(&s->phase, 1);
    ASSERT_OK(weft_lock_acquire(&s->l, true, WEFT_FOREVER)); /* waits for main */
    ASSERT_OK(weft_lock_release(&s->l));
    return NULL;
}

TEST(stats_counts_waits_and_holds)
{
    static struct contend s;
    memset(&s, 0, sizeof s);
    weft_lock_init(&s.l);
    ASSERT_OK(weft_debug_name(&s.l, "hot"));
    weft_lock_stats st;
    ASSERT_OK(weft_debug_stats_enable(NULL, false));
    ASSERT_RC(weft_debug_stats_get(&s.l, &st), WEFT_EEMPTY);
    ASSERT_OK(weft_debug_stats_enable(&s.l, true));
    ASSERT_OK(weft_debug_stats_get(&s.l, &st));
    ASSERT_EQ(st.acquisitions, 0);
    for (int i = 0; i < 10; i++) {
        ASSERT_OK(weft_lock_acquire(&s.l, true, WEFT_FOREVER));
        ASSERT_OK(weft_lock_release(&s.l));
    }
    ASSERT_OK(weft_debug_stats_get(&s.l, &st));
    ASSERT_EQ(st.acquisitions, 10);
    ASSERT_EQ(st.contended, 0);
    ASSERT_TRUE(st.total_wait == 0.0);

    /* one contended acquisition: main holds 0.1 s while the other waits */
    ASSERT_OK(weft_lock_acquire(&s.l, true, WEFT_FOREVER));
    weft_thread *t = start_named("contender", contender, &s);
    WAIT_UNTIL(blocked_on(&s.l) == 1, 10);
    /* The hold and the wait the statistics must measure (>= 0.1 s, exact lower
     * bounds); the contender is already blocked (above): not for ordering. */
    weft_test_sleep(0.1);
    ASSERT_OK(weft_lock_release(&s.l));
    ASSERT_OK(weft_thread_join(t, WEFT_FOREVER));
    weft_thread_destroy(t);
    ASSERT_OK(weft_debug_stats_get(&s.l, &st));
    ASSERT_EQ(st.acquisitions, 12);
    ASSERT_EQ(st.contended, 1);
    ASSERT_TRUE(st.max_wait >= 0.1 - 1e-3);
    ASSERT_TRUE(st.total_wait >= st.max_wait);
    ASSERT_TRUE(st.max_hold >= 0.1 - 1e-3);

    /* off: counts are kept, nothing more is counted */
    ASSERT_OK(weft_debug_stats_enable(&s.l, false));
    ASSERT_OK(weft_lock_acquire(&s.l, true, WEFT_FOREVER));
    ASSERT_OK(weft_lock_release(&s.l));
    weft_lock_stats st2;
    ASSERT_OK(weft_debug_stats_get(&s.l, &st2));
    ASSERT_EQ(st2.acquisitions, 12);

    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ASSERT(f);
    ASSERT_OK(weft_debug_stats_report(f));
    fclose(f);
    ASSERT_TRUE(strstr(buf, "'hot'") != NULL);
    ASSERT_TRUE(strstr(buf, "12 acquisitions, 1 contended") != NULL);
    free(buf);

    /* destroy forgets them */
    weft_lock_destroy(&s.l);
    ASSERT_RC(weft_debug_stats_get(&s.l, &st), WEFT_EEMPTY);
}

TEST(stats_every_lock_and_report_order)
{
    static weft_lock quiet = WEFT_LOCK_INIT;
    static weft_rlock busy = WEFT_RLOCK_INIT;
    static struct contend s;
    memset(&s, 0, sizeof s);
    ASSERT_OK(weft_debug_name(&quiet, "quiet"));
    ASSERT_OK(weft_debug_name(&busy, "busy-rlock"));
    ASSERT_OK(weft_debug_name(&s.l, "contended"));
    ASSERT_OK(weft_debug_stats_enable(NULL, false));
    ASSERT_OK(weft_debug_stats_enable(NULL, true));
    ASSERT_OK(weft_lock_acquire(&quiet, true, WEFT_FOREVER));
    ASSERT_OK(weft_lock_release(&quiet));
    for (int i = 0; i < 5; i++) {
        ASSERT_OK(weft_rlock_acquire(&busy, true, WEFT_FOREVER));
        ASSERT_OK(weft_rlock_acquire(&busy, true, WEFT_FOREVER)); /* a level, not an acquisition */
        ASSERT_OK(weft_rlock_release(&busy));
        ASSERT_OK(weft_rlock_release(&busy));
    }
    ASSERT_OK(weft_lock_acquire(&s.l, true, WEFT_FOREVER));
    weft_thread *t = start_named("contender", contender, &s);
    WAIT_UNTIL(blocked_on(&s.l) == 1, 10);
    ASSERT_OK(weft_lock_release(&s.l));
    ASSERT_OK(weft_thread_join(t, WEFT_FOREVER));
    weft_thread_destroy(t);
    ASSERT_OK(weft_debug_stats_enable(NULL, false));

    weft_lock_stats st;
    ASSERT_OK(weft_debug_stats_get(&quiet, &st));
    ASSERT_EQ(st.acquisitions, 1);
    ASSERT_OK(weft_debug_stats_get(&busy, &st));
    ASSERT_EQ(st.acquisitions, 5);
    ASSERT_OK(weft_debug_stats_get(&s.l, &st));
    ASSERT_EQ(st.acquisitions, 2);
    ASSERT_EQ(st.contended, 1);

    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ASSERT(f);
    ASSERT_OK(weft_debug_stats_report(f));
    fclose(f);
    char *pc = strstr(buf, "'contended'"), *pq = strstr(buf, "'quiet'"), *pb = strstr(buf, "'busy-rlock'");
    ASSERT(pc && pq && pb);
    ASSERT_TRUE(pc < pq && pc < pb); /* most contended first */
    free(buf);
    weft_lock_destroy(&quiet);
    weft_rlock_destroy(&busy);
    weft_lock_destroy(&s.l);
}

TEST(stats_misuse)
{
    weft_lock l = WEFT_LOCK_INIT;
    weft_lock_stats st;
    ASSERT_OK(weft_debug_stats_enable(NULL, false));
    memset(&st, 0x5a, sizeof st);
    ASSERT_RC(weft_debug_stats_get(NULL, &st), WEFT_EINVAL);
    ASSERT_RC(weft_debug_stats_get(&l, NULL), WEFT_EINVAL);
    ASSERT_RC(weft_debug_stats_get(&l, &st), WEFT_EEMPTY);
    ASSERT_RC(weft_debug_stats_report(NULL), WEFT_EINVAL);
    ASSERT_OK(weft_debug_stats_enable(&l, false)); /* never enabled: nothing to stop */
    ASSERT_RC(weft_debug_stats_get(&l, &st), WEFT_EEMPTY);
    /* a release of an unlocked lock with statistics on is still WEFT_EPERM, unchanged */
    ASSERT_OK(weft_debug_stats_enable(&l, true));
    ASSERT_RC(weft_lock_release(&l), WEFT_EPERM);
    ASSERT_EQ(atomic_load(&l.state), 0);
    ASSERT_OK(weft_debug_stats_get(&l, &st));
    ASSERT_EQ(st.acquisitions, 0);
    weft_lock_destroy(&l);
}

/* ---- more checker and statistics paths ------------------------------------------- */

/* A timed re-acquire of a Lock by its holder records no order with itself and
 * times out; nothing is reported. */
TEST(order_timed_reacquire_of_held_lock)
{
    static weft_lock l = WEFT_LOCK_INIT;
    struct captured *c = capture_start();
    ASSERT_OK(weft_debug_lock_order(true));
    ASSERT_OK(weft_lock_acquire(&l, true, WEFT_FOREVER));
    double t0 = weft_test_now();
    ASSERT_RC(weft_lock_acquire(&l, true, 0.05), WEFT_ETIMEDOUT);
    ASSERT_ELAPSED_AT_LEAST(t0, 0.05);
    ASSERT_TRUE(weft_lock_locked(&l));
    ASSERT_OK(weft_lock_release(&l));
    ASSERT_FALSE(weft_lock_locked(&l));
    ASSERT_OK(weft_debug_lock_order(false));
    capture_stop();
    ASSERT_EQ(atomic_load(&c->count), 0);
    weft_lock_destroy(&l);
}

/* One acquire that inverts five recorded orders at once reports at most four of
 * them; the fifth is still unreported and is reported the next time. */
TEST(order_many_inversions_in_one_acquire)
{
    enum { K = 5 };
    static weft_lock x = WEFT_LOCK_INIT;
    static weft_lock h[K];
    for (int i = 0; i < K; i++) weft_lock_init(&h[i]);
    struct captured *c = capture_start();
    ASSERT_OK(weft_debug_lock_order(true));
    for (int i = 0; i < K; i++) run_order("x-first", &x, &h[i], NULL);
    ASSERT_EQ(atomic_load(&c->count), 0);
    for (int i = 0; i < K; i++) ASSERT_OK(weft_lock_acquire(&h[i], true, WEFT_FOREVER));
    ASSERT_OK(weft_lock_acquire(&x, true, WEFT_FOREVER));
    ASSERT_OK(weft_lock_release(&x));
    ASSERT_EQ(atomic_load(&c->count), 4);
    ASSERT_OK(weft_lock_acquire(&x, true, WEFT_FOREVER));
    ASSERT_OK(weft_lock_release(&x));
    ASSERT_EQ(atomic_load(&c->count), 5);
    ASSERT_OK(weft_lock_acquire(&x, true, WEFT_FOREVER)); /* all five told: no more */
    ASSERT_OK(weft_lock_release(&x));
    for (int i = K - 1; i >= 0; i--) ASSERT_OK(weft_lock_release(&h[i]));
    ASSERT_OK(weft_debug_lock_order(false));
    capture_stop();
    ASSERT_EQ(atomic_load(&c->count), 5);
    weft_lock_destroy(&x);
    for (int i = 0; i < K; i++) weft_lock_destroy(&h[i]);
}

/* The search for a longer cycle walks past dead ends and locks it already saw
 * (a diamond b->c->e, b->d->e, and b fanned out to 40 more locks) and still
 * finds the way back b->d->f->a: a cycle through 4 locks. The fan stays under
 * the search's limit of 64 locks: beyond it, whether the way back is found
 * depends on the order of the hashed edge table (1 run in 40 missed it with a
 * fan of 70). */
TEST(order_cycle_search_past_dead_ends)
{
    enum { FAN = 40 };
    static weft_lock a = WEFT_LOCK_INIT, b = WEFT_LOCK_INIT, cc = WEFT_LOCK_INIT,
                     d = WEFT_LOCK_INIT, e = WEFT_LOCK_INIT, f = WEFT_LOCK_INIT,
                     z = WEFT_LOCK_INIT;
    static weft_lock fan[FAN];
    for (int i = 0; i < FAN; i++) weft_lock_init(&fan[i]);
    ASSERT_OK(weft_debug_name(&a, "alpha"));
    ASSERT_OK(weft_debug_name(&b, "beta"));
    ASSERT_OK(weft_debug_name(&d, "delta"));
    ASSERT_OK(weft_debug_name(&f, "phi"));
    struct captured *c = capture_start();
    ASSERT_OK(weft_debug_lock_order(true));
    run_order("bc", &b, &cc, NULL);
    run_order("ce", &cc, &e, NULL);
    run_order("bd", &b, &d, NULL);
    run_order("de", &d, &e, NULL);
    ASSERT_OK(weft_lock_acquire(&b, true, WEFT_FOREVER));
    for (int i = 0; i < FAN; i++) {
        ASSERT_OK(weft_lock_acquire(&fan[i], true, WEFT_FOREVER));
        ASSERT_OK(weft_lock_release(&fan[i]));
    }
    ASSERT_OK(weft_lock_release(&b));
    /* z -> b: no way back from b to z, so the search sees every lock (43) */
    run_order("zb", &z, &b, NULL);
    run_order("df", &d, &f, NULL);
    run_order("fa", &f, &a, NULL);
    ASSERT_EQ(atomic_load(&c->count), 0);
    run_order("ab", &a, &b, NULL);
    ASSERT_OK(weft_debug_lock_order(false));
    capture_stop();
    ASSERT_EQ(atomic_load(&c->count), 1);
    ASSERT_TRUE(strstr(c->text, "cycle through 4 locks") != NULL);
    ASSERT_TRUE(strstr(c->text, "took 'delta' (") != NULL);
    ASSERT_TRUE(strstr(c->text, "took 'phi' (") != NULL);
    ASSERT_TRUE(strstr(c->text, "took 'alpha' (") != NULL);
    weft_lock_destroy(&a);
    weft_lock_destroy(&b);
    weft_lock_destroy(&cc);
    weft_lock_destroy(&d);
    weft_lock_destroy(&e);
    weft_lock_destroy(&f);
    weft_lock_destroy(&z);
    for (int i = 0; i < FAN; i++) weft_lock_destroy(&fan[i]);
}

/* The cycle search follows at most CHAIN_MAX (6) recorded orders: orders
 * l1->l2->...->l(n-1)->l0, then l0->l1 closes a cycle through n locks. */
static int chain_cycle_reports(weft_lock *ls, int n, struct captured **cap)
{
    for (int i = 0; i < n; i++) weft_lock_init(&ls[i]);
    struct captured *c = capture_start();
    ASSERT_OK(weft_debug_lock_order(true));
    for (int i = 1; i < n; i++) run_order("chain", &ls[i], &ls[(i + 1) % n], NULL);
    ASSERT_EQ(atomic_load(&c->count), 0);
    run_order("close", &ls[0], &ls[1], NULL);
    ASSERT_OK(weft_debug_lock_order(false));
    capture_stop();
    for (int i = 0; i < n; i++) weft_lock_destroy(&ls[i]);
    *cap = c;
    return atomic_load(&c->count);
}

TEST(order_cycle_through_seven_locks_reported)
{
    static weft_lock ls[7];
    struct captured *c;
    ASSERT_EQ(chain_cycle_reports(ls, 7, &c), 1);
    ASSERT_TRUE(strstr(c->text, "cycle through 7 locks") != NULL);
}

/* Documents the limit: eight locks need seven orders, beyond CHAIN_MAX. */
TEST(order_cycle_longer_than_chain_max_not_reported)
{
    static weft_lock ls[8];
    struct captured *c;
    ASSERT_EQ(chain_cycle_reports(ls, 8, &c), 0);
}

/* A lock taken by a report hook (called while the checker is inside its own
 * code) goes straight to the raw acquire: it records no order and no statistics. */
struct hook_lock {
    weft_lock l;
    _Atomic int calls;
};

static void hook_takes_lock(const char *report, void *arg)
{
    (void)report;
    struct hook_lock *h = arg;
    ASSERT_OK(weft_lock_acquire(&h->l, true, WEFT_FOREVER));
    ASSERT_OK(weft_lock_release(&h->l));
    atomic_fetch_add(&h->calls, 1);
}

TEST(order_report_hook_taking_a_lock_is_not_instrumented)
{
    static weft_lock a = WEFT_LOCK_INIT, b = WEFT_LOCK_INIT;
    static struct hook_lock h;
    memset(&h, 0, sizeof h);
    weft_lock_init(&h.l);
    (void)capture_start();
    ASSERT_OK(weft_debug_stats_enable(&h.l, true));
    weft_debug_set_report_hook(hook_takes_lock, &h);
    ASSERT_OK(weft_debug_lock_order(true));
    run_order("ab", &a, &b, NULL);
    run_order("ba", &b, &a, NULL);
    ASSERT_OK(weft_debug_lock_order(false));
    capture_stop();
    ASSERT_EQ(atomic_load(&h.calls), 1);
    ASSERT_FALSE(weft_lock_locked(&h.l));
    weft_lock_stats st;
    ASSERT_OK(weft_debug_stats_get(&h.l, &st));
    ASSERT_EQ(st.acquisitions, 0);
    /* taken outside the hook, it is counted */
    ASSERT_OK(weft_lock_acquire(&h.l, true, WEFT_FOREVER));
    ASSERT_OK(weft_lock_release(&h.l));
    ASSERT_OK(weft_debug_stats_get(&h.l, &st));
    ASSERT_EQ(st.acquisitions, 1);
    ASSERT_OK(weft_debug_stats_enable(&h.l, false));
    weft_lock_destroy(&h.l);
    weft_lock_destroy(&a);
    weft_lock_destroy(&b);
}

/* Enabling one lock twice and disabling it once stops it (no reference count);
 * disabling a lock that has an entry but was never enabled changes nothing; a
 * lock with an entry (from the checker) but no statistics asked is not counted. */
TEST(stats_enable_twice_disable_once)
{
    static weft_lock l = WEFT_LOCK_INIT, other = WEFT_LOCK_INIT;
    weft_lock_stats st;
    (void)capture_start();
    ASSERT_OK(weft_debug_stats_enable(&l, true));
    ASSERT_OK(weft_debug_stats_enable(&l, true));
    ASSERT_OK(weft_lock_acquire(&l, true, WEFT_FOREVER));
    ASSERT_OK(weft_lock_release(&l));
    /* other gets an entry from the checker, and no statistics */
    ASSERT_OK(weft_debug_lock_order(true));
    ASSERT_OK(weft_lock_acquire(&other, true, WEFT_FOREVER));
    ASSERT_OK(weft_lock_release(&other));
    ASSERT_OK(weft_debug_lock_order(false));
    ASSERT_RC(weft_debug_stats_get(&other, &st), WEFT_EEMPTY);
    ASSERT_OK(weft_debug_stats_enable(&other, false));
    ASSERT_RC(weft_debug_stats_get(&other, &st), WEFT_EEMPTY);
    ASSERT_OK(weft_debug_stats_get(&l, &st));
    ASSERT_EQ(st.acquisitions, 1);
    ASSERT_OK(weft_debug_stats_enable(&l, false));
    ASSERT_OK(weft_lock_acquire(&l, true, WEFT_FOREVER));
    ASSERT_OK(weft_lock_release(&l));
    ASSERT_OK(weft_debug_stats_get(&l, &st));
    ASSERT_EQ(st.acquisitions, 1);
    /* on again counts again: the switch for that lock was really off */
    ASSERT_OK(weft_debug_stats_enable(&l, true));
    ASSERT_OK(weft_lock_acquire(&l, true, WEFT_FOREVER));
    ASSERT_OK(weft_lock_release(&l));
    ASSERT_OK(weft_debug_stats_get(&l, &st));
    ASSERT_EQ(st.acquisitions, 2);
    capture_stop();
    weft_lock_destroy(&l);
    weft_lock_destroy(&other);
}

/* Turning statistics off for every lock also stops the locks enabled one by one. */
TEST(stats_all_off_stops_single_locks)
{
    static weft_lock l = WEFT_LOCK_INIT;
    weft_lock_stats st;
    ASSERT_OK(weft_debug_stats_enable(NULL, false));
    ASSERT_OK(weft_debug_stats_enable(&l, true));
    ASSERT_OK(weft_lock_acquire(&l, true, WEFT_FOREVER));
    ASSERT_OK(weft_lock_release(&l));
    ASSERT_OK(weft_debug_stats_enable(NULL, false));
    ASSERT_OK(weft_lock_acquire(&l, true, WEFT_FOREVER));
    ASSERT_OK(weft_lock_release(&l));
    ASSERT_OK(weft_debug_stats_get(&l, &st));
    ASSERT_EQ(st.acquisitions, 1);
    weft_lock_destroy(&l);
    ASSERT_RC(weft_debug_stats_get(&l, &st), WEFT_EEMPTY);
}

static char *report_text(void)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ASSERT(f);
    ASSERT_OK(weft_debug_stats_report(f));
    fclose(f);
    return buf;
}

/* The report: no lock with acquisitions gives "0 locks"; a lock enabled but
 * never taken is left out; uncontended locks are ordered by acquisitions. */
TEST(stats_report_empty_and_ties)
{
    static weft_lock one = WEFT_LOCK_INIT, two = WEFT_LOCK_INIT, three = WEFT_LOCK_INIT,
                     twin = WEFT_LOCK_INIT, never = WEFT_LOCK_INIT;
    ASSERT_OK(weft_debug_stats_enable(NULL, false));
    /* Locks counted by earlier cases of this process (vg-run runs every case in
     * one process) stay in the report: count from there. Alone: 0. */
    char *buf = report_text();
    int n0 = -1;
    ASSERT_EQ(sscanf(buf, "weft lock statistics: %d lock", &n0), 1);
    ASSERT(n0 >= 0);
    if (n0 == 0) ASSERT_TRUE(strstr(buf, "0 locks (most contended first)") != NULL);
    free(buf);
    ASSERT_OK(weft_debug_name(&one, "one"));
    ASSERT_OK(weft_debug_name(&two, "two"));
    ASSERT_OK(weft_debug_name(&three, "three"));
    ASSERT_OK(weft_debug_name(&twin, "twin"));
    ASSERT_OK(weft_debug_name(&never, "never"));
    ASSERT_OK(weft_debug_stats_enable(&never, true));
    ASSERT_OK(weft_debug_stats_enable(NULL, true));
    weft_lock *ls[] = { &one, &three, &two, &twin };
    int times[] = { 1, 3, 2, 2 };
    for (int k = 0; k < 4; k++)
        for (int i = 0; i < times[k]; i++) {
            ASSERT_OK(weft_lock_acquire(ls[k], true, WEFT_FOREVER));
            ASSERT_OK(weft_lock_release(ls[k]));
        }
    ASSERT_OK(weft_debug_stats_enable(NULL, false));
    buf = report_text();
    int n1 = -1;
    ASSERT_EQ(sscanf(buf, "weft lock statistics: %d lock", &n1), 1);
    ASSERT_EQ(n1, n0 + 4);
    ASSERT_TRUE(strstr(buf, "'never'") == NULL);
    char *p3 = strstr(buf, "'three'"), *p2 = strstr(buf, "'two'"), *pt = strstr(buf, "'twin'"),
         *p1 = strstr(buf, "'one'");
    ASSERT(p3 && p2 && pt && p1);
    ASSERT_TRUE(p3 < p2 && p3 < pt && p2 < p1 && pt < p1);
    ASSERT_TRUE(strstr(buf, "'three' (") != NULL);
    free(buf);
    weft_lock_stats st;
    /* all off stopped it too, and it has nothing counted */
    ASSERT_RC(weft_debug_stats_get(&never, &st), WEFT_EEMPTY);
    weft_lock_destroy(&one);
    weft_lock_destroy(&two);
    weft_lock_destroy(&three);
    weft_lock_destroy(&twin);
    weft_lock_destroy(&never);
}

/* Two locks contended once each: both are counted with their own waits (a wait
 * of at least the time the holder kept the lock after the waiter was parked),
 * and the report lists both with one contended acquisition. */
TEST(stats_two_contended_locks)
{
    static struct contend s1, s2;
    memset(&s1, 0, sizeof s1);
    memset(&s2, 0, sizeof s2);
    weft_lock_init(&s1.l);
    weft_lock_init(&s2.l);
    ASSERT_OK(weft_debug_name(&s1.l, "slow-one"));
    ASSERT_OK(weft_debug_name(&s2.l, "quick-one"));
    ASSERT_OK(weft_debug_stats_enable(NULL, false));
    ASSERT_OK(weft_debug_stats_enable(&s1.l, true));
    ASSERT_OK(weft_debug_stats_enable(&s2.l, true));
    struct contend *ss[2] = { &s1, &s2 };
    for (int k = 0; k < 2; k++) {
        ASSERT_OK(weft_lock_acquire(&ss[k]->l, true, WEFT_FOREVER));
        weft_thread *t = start_named("contender", contender, ss[k]);
        WAIT_UNTIL(blocked_on(&ss[k]->l) == 1, 10);
        if (k == 0) weft_test_sleep(0.2);
        ASSERT_OK(weft_lock_release(&ss[k]->l));
        ASSERT_OK(weft_thread_join(t, WEFT_FOREVER));
        weft_thread_destroy(t);
    }
    weft_lock_stats st;
    ASSERT_OK(weft_debug_stats_get(&s1.l, &st));
    ASSERT_EQ(st.acquisitions, 2);
    ASSERT_EQ(st.contended, 1);
    ASSERT_TRUE(st.max_wait >= 0.2 - 1e-3);
    ASSERT_TRUE(st.total_wait == st.max_wait);
    ASSERT_OK(weft_debug_stats_get(&s2.l, &st));
    ASSERT_EQ(st.acquisitions, 2);
    ASSERT_EQ(st.contended, 1);
    ASSERT_TRUE(st.max_wait > 0.0);
    ASSERT_TRUE(st.total_wait == st.max_wait);
    char *buf = report_text();
    ASSERT_TRUE(strstr(buf, "(most contended first)") != NULL);
    ASSERT_TRUE(strstr(buf, "'slow-one' (") != NULL);
    ASSERT_TRUE(strstr(buf, "'quick-one' (") != NULL);
    ASSERT_TRUE(strstr(buf, "2 acquisitions, 1 contended (50.0%)") != NULL);
    free(buf);
    ASSERT_OK(weft_debug_stats_enable(NULL, false));
    weft_lock_destroy(&s1.l);
    weft_lock_destroy(&s2.l);
}

/* The per-lock table full: statistics for one more lock are WEFT_ENOMEM and
 * change nothing; the checker still finds an inversion between locks without
 * an entry. Fills the table with addresses inside a static array (the API takes
 * any address); each test case runs in its own process. */
TEST(stats_table_full)
{
    static char addrs[1 << 15];
    static weft_lock a = WEFT_LOCK_INIT, b = WEFT_LOCK_INIT;
    weft_lock_stats st;
    (void)capture_start();
    int ok = 0, nomem = 0;
    for (size_t i = 0; i < sizeof addrs && ok < 8192; i++) {
        int rc = weft_debug_stats_enable(&addrs[i], true);
        if (rc == WEFT_OK) {
            ok++;
        } else {
            ASSERT_RC(rc, WEFT_ENOMEM);
            ASSERT_RC(weft_debug_stats_get(&addrs[i], &st), WEFT_EEMPTY);
            nomem++;
        }
    }
    ASSERT_EQ(ok, 8192);
    ASSERT_TRUE(nomem > 0);
    ASSERT_RC(weft_debug_stats_enable(&a, true), WEFT_ENOMEM);
    ASSERT_RC(weft_debug_stats_get(&a, &st), WEFT_EEMPTY);
    ASSERT_OK(weft_debug_stats_enable(&a, false)); /* nothing to stop */
    struct captured *c = capture_start();
    ASSERT_OK(weft_debug_lock_order(true));
    run_order("ab", &a, &b, NULL);
    run_order("ba", &b, &a, NULL);
    ASSERT_OK(weft_debug_lock_order(false));
    capture_stop();
    ASSERT_EQ(atomic_load(&c->count), 1);
    ASSERT_RC(weft_debug_stats_get(&a, &st), WEFT_EEMPTY);
}

/* The edge table keeps at most 3/4 of its 8192 slots: beyond that new orders
 * are not recorded, while an inversion of one recorded before is still reported. */
TEST(order_edge_table_full)
{
    enum { HOLD = 12, MANY = 520 };
    static weft_lock hold[HOLD], many[MANY];
    static weft_lock p = WEFT_LOCK_INIT, q = WEFT_LOCK_INIT, u = WEFT_LOCK_INIT,
                     v = WEFT_LOCK_INIT;
    for (int i = 0; i < HOLD; i++) weft_lock_init(&hold[i]);
    for (int i = 0; i < MANY; i++) weft_lock_init(&many[i]);
    struct captured *c = capture_start();
    ASSERT_OK(weft_debug_lock_order(true));
    run_order("pq", &p, &q, NULL); /* recorded while there is room */
    for (int i = 0; i < HOLD; i++) ASSERT_OK(weft_lock_acquire(&hold[i], true, WEFT_FOREVER));
    for (int i = 0; i < MANY; i++) { /* HOLD new orders each: 6240 > 6144 */
        ASSERT_OK(weft_lock_acquire(&many[i], true, WEFT_FOREVER));
        ASSERT_OK(weft_lock_release(&many[i]));
    }
    for (int i = HOLD - 1; i >= 0; i--) ASSERT_OK(weft_lock_release(&hold[i]));
    ASSERT_EQ(atomic_load(&c->count), 0);
    run_order("qp", &q, &p, NULL); /* inverts a recorded order */
    ASSERT_EQ(atomic_load(&c->count), 1);
    run_order("uv", &u, &v, NULL); /* not recorded: the table is full */
    run_order("vu", &v, &u, NULL);
    ASSERT_EQ(atomic_load(&c->count), 1);
    ASSERT_OK(weft_debug_lock_order(false));
    capture_stop();
}

/* ---- the environment ---------------------------------------------------------------- */

#include <spawn.h>
#include <sys/wait.h>

extern char **environ;

/* Run in a child process started by env_switches_read_once with
 * WEFT_LOCK_ORDER=1 and WEFT_LOCK_STATS=1 (alone in a normal run, without them,
 * it has nothing to check). The variables are read at the first acquire: the
 * checker and the statistics for every lock are on without any call. */
TEST(env_child)
{
    if (!getenv("WEFT_LOCKDBG_ENV_CHILD")) return;
    static weft_lock a = WEFT_LOCK_INIT, b = WEFT_LOCK_INIT;
    static struct captured c;
    weft_debug_set_report_hook(capture, &c);
    ASSERT_OK(weft_lock_acquire(&a, true, WEFT_FOREVER));
    ASSERT_OK(weft_lock_acquire(&b, true, WEFT_FOREVER));
    ASSERT_OK(weft_lock_release(&b));
    ASSERT_OK(weft_lock_release(&a));
    ASSERT_OK(weft_lock_acquire(&b, true, WEFT_FOREVER));
    ASSERT_OK(weft_lock_acquire(&a, true, WEFT_FOREVER));
    ASSERT_OK(weft_lock_release(&a));
    ASSERT_OK(weft_lock_release(&b));
    weft_debug_set_report_hook(NULL, NULL);
    ASSERT_EQ(atomic_load(&c.count), 1);
    ASSERT_TRUE(strstr(c.text, "lock-order inversion") != NULL);
    weft_lock_stats st;
    ASSERT_OK(weft_debug_stats_get(&a, &st));
    ASSERT_EQ(st.acquisitions, 2);
    ASSERT_OK(weft_debug_stats_get(&b, &st));
    ASSERT_EQ(st.acquisitions, 2);
}

static void spawn_child(const char *test, const char *order, const char *stats)
{
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    ASSERT(n > 0);
    exe[n] = '\0';
    /* the parent's environment plus the three variables */
    size_t ne = 0;
    while (environ[ne]) ne++;
    char **env = calloc(ne + 4, sizeof *env);
    ASSERT(env);
    size_t k = 0;
    for (size_t i = 0; i < ne; i++)
        if (strncmp(environ[i], "WEFT_LOCK_", 10) != 0) env[k++] = environ[i];
    env[k++] = (char *)order;
    env[k++] = (char *)stats;
    env[k++] = "WEFT_LOCKDBG_ENV_CHILD=1";
    env[k] = NULL;
    char *argv[] = { exe, (char *)test, NULL };
    pid_t pid;
    ASSERT_EQ(posix_spawn(&pid, exe, NULL, NULL, argv, env), 0);
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    free(env);
    ASSERT_TRUE(WIFEXITED(status));
    ASSERT_EQ(WEXITSTATUS(status), 0);
}

TEST(env_switches_read_once)
{
    spawn_child("env_child", "WEFT_LOCK_ORDER=1", "WEFT_LOCK_STATS=1");
}

/* Run in a child started by env_zero_and_empty_are_off with WEFT_LOCK_ORDER=0
 * and WEFT_LOCK_STATS set but empty: both mean off. */
TEST(env_off_child)
{
    if (!getenv("WEFT_LOCKDBG_ENV_CHILD")) return;
    static weft_lock a = WEFT_LOCK_INIT, b = WEFT_LOCK_INIT;
    static struct captured c;
    weft_debug_set_report_hook(capture, &c);
    ASSERT_OK(weft_lock_acquire(&a, true, WEFT_FOREVER));
    ASSERT_OK(weft_lock_acquire(&b, true, WEFT_FOREVER));
    ASSERT_OK(weft_lock_release(&b));
    ASSERT_OK(weft_lock_release(&a));
    ASSERT_OK(weft_lock_acquire(&b, true, WEFT_FOREVER));
    ASSERT_OK(weft_lock_acquire(&a, true, WEFT_FOREVER));
    ASSERT_OK(weft_lock_release(&a));
    ASSERT_OK(weft_lock_release(&b));
    weft_debug_set_report_hook(NULL, NULL);
    ASSERT_EQ(atomic_load(&c.count), 0);
    weft_lock_stats st;
    ASSERT_RC(weft_debug_stats_get(&a, &st), WEFT_EEMPTY);
    ASSERT_RC(weft_debug_stats_get(&b, &st), WEFT_EEMPTY);
}

TEST(env_zero_and_empty_are_off)
{
    spawn_child("env_off_child", "WEFT_LOCK_ORDER=0", "WEFT_LOCK_STATS=");
}
