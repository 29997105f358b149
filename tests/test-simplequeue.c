/* SPDX-License-Identifier: MIT */
/* test-simplequeue.c: queue.SimpleQueue (weft_simple_queue_*).
 *
 * Conformance cases mirror CPython 3.13 Lib/test/test_queue.py
 * BaseSimpleQueueTest (run there as PySimpleQueueTest and CSimpleQueueTest;
 * weft follows the C _queue.SimpleQueue where the two differ).
 *
 * Cases that do not apply to C:
 *  - CSimpleQueueTest.test_is_default: Python module aliasing.
 *  - CSimpleQueueTest.test_reentrancy: put() called from __del__ during a GC
 *    pass inside another put(); C has no finalizers, and weft's put is not
 *    async-signal-safe (documented as a Deviation in weft/queue.h).
 *  - test_negative_timeout_raises_exception uses timeout=-1, which is weft's
 *    WEFT_FOREVER (Python's None); the C case uses -0.5 and -2.
 * test_references ("the queue loses its reference as soon as the item leaves")
 * becomes: an item that was got is never handed to the drop callback, and the
 * items still inside at destroy are, exactly once.
 */
#include "harness.h"

#include <stdatomic.h>

#include "weft/debug.h"
#include "weft/queue.h"

#define I2P(i) ((void *)(uintptr_t)(i))
#define P2I(p) ((long)(uintptr_t)(p))

static weft_simple_queue *make(void)
{
    weft_simple_queue *q = NULL;
    ASSERT_OK(weft_simple_queue_create(&q, NULL, NULL));
    ASSERT(q != NULL);
    return q;
}

static long get_now(weft_simple_queue *q)
{
    void *x = I2P(0xdead);
    ASSERT_OK(weft_simple_queue_get(q, &x, true, WEFT_FOREVER));
    return P2I(x);
}

TEST(SimpleQueueTest_test_basic)
{
    weft_simple_queue *q = make();
    ASSERT_TRUE(weft_simple_queue_empty(q));
    ASSERT_EQ(weft_simple_queue_qsize(q), 0);
    ASSERT_OK(weft_simple_queue_put(q, I2P(1)));
    ASSERT_FALSE(weft_simple_queue_empty(q));
    ASSERT_EQ(weft_simple_queue_qsize(q), 1);
    ASSERT_OK(weft_simple_queue_put(q, I2P(2)));
    ASSERT_OK(weft_simple_queue_put_nowait(q, I2P(3)));
    ASSERT_OK(weft_simple_queue_put(q, I2P(4)));
    ASSERT_FALSE(weft_simple_queue_empty(q));
    ASSERT_EQ(weft_simple_queue_qsize(q), 4);

    ASSERT_EQ(get_now(q), 1);
    ASSERT_EQ(weft_simple_queue_qsize(q), 3);
    void *x;
    ASSERT_OK(weft_simple_queue_get_nowait(q, &x));
    ASSERT_EQ(P2I(x), 2);
    ASSERT_EQ(weft_simple_queue_qsize(q), 2);
    ASSERT_OK(weft_simple_queue_get(q, &x, false, 0));
    ASSERT_EQ(P2I(x), 3);
    ASSERT_FALSE(weft_simple_queue_empty(q));
    ASSERT_EQ(weft_simple_queue_qsize(q), 1);
    ASSERT_OK(weft_simple_queue_get(q, &x, true, 0.1));
    ASSERT_EQ(P2I(x), 4);
    ASSERT_TRUE(weft_simple_queue_empty(q));
    ASSERT_EQ(weft_simple_queue_qsize(q), 0);

    x = I2P(77);
    ASSERT_RC(weft_simple_queue_get(q, &x, false, 0), WEFT_EEMPTY);
    double t0 = weft_test_now();
    ASSERT_RC(weft_simple_queue_get(q, &x, true, 1e-3), WEFT_EEMPTY);
    ASSERT_ELAPSED_AT_LEAST(t0, 1e-3);
    ASSERT_RC(weft_simple_queue_get_nowait(q, &x), WEFT_EEMPTY);
    ASSERT_PTR_EQ(x, I2P(77));
    ASSERT_TRUE(weft_simple_queue_empty(q));
    ASSERT_EQ(weft_simple_queue_qsize(q), 0);
    weft_simple_queue_destroy(q);
}

TEST(SimpleQueueTest_test_negative_timeout_raises_exception)
{
    weft_simple_queue *q = make();
    ASSERT_OK(weft_simple_queue_put(q, I2P(1)));
    void *x = I2P(77);
    ASSERT_RC(weft_simple_queue_get(q, &x, true, -0.5), WEFT_EINVAL);
    ASSERT_RC(weft_simple_queue_get(q, &x, true, -2), WEFT_EINVAL);
    ASSERT_PTR_EQ(x, I2P(77));
    ASSERT_EQ(weft_simple_queue_qsize(q), 1);
    weft_simple_queue_destroy(q);
}

/* ---- run_threads: feeders pop inputs from a shared sequence, consumers stop at
 * the sentinel. Inputs are 1..n; the sentinel is NULL (Python's None). --------- */

enum consume_kind { CONSUME_BLOCK, CONSUME_NONBLOCK, CONSUME_TIMEOUT };

struct run {
    weft_simple_queue *q;
    long n;
    atomic_long next;          /* seq.pop(): next input to feed */
    atomic_long nresults;
    long *results;
    enum consume_kind kind;
    atomic_uint rnd;
};

static void feed(void *arg, int idx)
{
    struct run *r = arg;
    uint32_t rnd = 42u + (uint32_t)idx;
    for (;;) {
        long v = atomic_fetch_add(&r->next, 1);
        if (v >= r->n) {
            ASSERT_OK(weft_simple_queue_put(r->q, NULL));
            return;
        }
        ASSERT_OK(weft_simple_queue_put(r->q, I2P(v + 1)));
        rnd = rnd * 1103515245u + 12345u;
        if ((rnd >> 16) & 1) weft_test_sleep((double)((rnd >> 8) % 1000) * 1e-6);
    }
}

static void consume(void *arg, int idx)
{
    struct run *r = arg;
    for (;;) {
        void *x = I2P(0xdead);
        int rc;
        switch (r->kind) {
        case CONSUME_BLOCK:
            rc = weft_simple_queue_get(r->q, &x, true, WEFT_FOREVER);
            ASSERT_OK(rc);
            break;
        case CONSUME_NONBLOCK:
            while ((rc = weft_simple_queue_get(r->q, &x, false, 0)) == WEFT_EEMPTY)
                weft_test_sleep(1e-5);
            ASSERT_OK(rc);
            break;
        default:
            while ((rc = weft_simple_queue_get(r->q, &x, true, 1e-5)) == WEFT_EEMPTY)
                ;
            ASSERT_OK(rc);
            break;
        }
        if (x == NULL) return;
        r->results[atomic_fetch_add(&r->nresults, 1)] = P2I(x);
    }
}

static long *run_threads(int n_threads, long n, enum consume_kind kind, long *count)
{
    struct run r = { 0 };
    r.q = make();
    r.n = n;
    r.kind = kind;
    r.results = calloc((size_t)n, sizeof *r.results);
    ASSERT(r.results);
    weft_test_threads *f = weft_test_start(n_threads, feed, &r);
    weft_test_threads *c = weft_test_start(n_threads, consume, &r);
    weft_test_join(f);
    weft_test_join(c);
    ASSERT_TRUE(weft_simple_queue_empty(r.q));
    ASSERT_EQ(weft_simple_queue_qsize(r.q), 0);
    weft_simple_queue_destroy(r.q);
    *count = atomic_load(&r.nresults);
    return r.results;
}

static int cmp_long(const void *a, const void *b)
{
    long x = *(const long *)a, y = *(const long *)b;
    return x < y ? -1 : x > y;
}

static void check_sorted_inputs(long *res, long count, long n)
{
    ASSERT_EQ(count, n);
    qsort(res, (size_t)count, sizeof *res, cmp_long);
    for (long i = 0; i < n; i++) ASSERT_EQ(res[i], i + 1);
    free(res);
}

TEST(SimpleQueueTest_test_order)
{
    long count;
    long *res = run_threads(1, 100, CONSUME_BLOCK, &count);
    ASSERT_EQ(count, 100);
    for (long i = 0; i < 100; i++) ASSERT_EQ(res[i], i + 1); /* one feeder: in order */
    free(res);
}

TEST(SimpleQueueTest_test_many_threads)
{
    long n = weft_test_iters(10000), count;
    long *res = run_threads(50, n, CONSUME_BLOCK, &count);
    check_sorted_inputs(res, count, n);
}

TEST(SimpleQueueTest_test_many_threads_nonblock)
{
    long n = weft_test_iters(10000), count;
    long *res = run_threads(50, n, CONSUME_NONBLOCK, &count);
    check_sorted_inputs(res, count, n);
}

TEST(SimpleQueueTest_test_many_threads_timeout)
{
    long n = weft_test_iters(1000), count;
    long *res = run_threads(50, n, CONSUME_TIMEOUT, &count);
    check_sorted_inputs(res, count, n);
}

static void count_drop(void *item, void *ud)
{
    long *seen = ud;
    seen[P2I(item)]++;
}

TEST(SimpleQueueTest_test_references)
{
    enum { N = 20 };
    long dropped[N + 1] = { 0 };
    weft_simple_queue *q;
    ASSERT_OK(weft_simple_queue_create(&q, count_drop, dropped));
    for (long i = 1; i <= N; i++) ASSERT_OK(weft_simple_queue_put(q, I2P(i)));
    for (long i = 1; i <= N / 2; i++) ASSERT_EQ(get_now(q), i);
    weft_simple_queue_destroy(q);
    for (long i = 1; i <= N; i++) ASSERT_EQ(dropped[i], i <= N / 2 ? 0 : 1);
}

/* ---- beyond the Python suite ----------------------------------------------------- */

struct blocker { weft_simple_queue *q; atomic_int started; atomic_long got; };

static void blocked_get(void *arg, int i)
{
    struct blocker *b = arg;
    atomic_store(&b->started, 1);
    atomic_store(&b->got, get_now(b->q));
}

TEST(blocking_get_is_woken_by_put)
{
    struct blocker b = { make(), 0, 0 };
    weft_test_threads *ts = weft_test_start(1, blocked_get, &b);
    WAIT_UNTIL(atomic_load(&b.started), 10);
    weft_test_sleep(0.01); /* let it block; the result does not depend on it */
    ASSERT_OK(weft_simple_queue_put(b.q, I2P(5)));
    weft_test_join(ts);
    ASSERT_EQ(atomic_load(&b.got), 5);
    weft_simple_queue_destroy(b.q);
}

TEST(null_is_a_legal_item)
{
    weft_simple_queue *q = make();
    ASSERT_OK(weft_simple_queue_put(q, NULL));
    void *x = I2P(1);
    ASSERT_OK(weft_simple_queue_get_nowait(q, &x));
    ASSERT_PTR_EQ(x, NULL);
    weft_simple_queue_destroy(q);
}

TEST(get_timeout_waits_at_least_its_timeout)
{
    weft_simple_queue *q = make();
    void *x;
    double t0 = weft_test_now();
    ASSERT_RC(weft_simple_queue_get(q, &x, true, 0.05), WEFT_EEMPTY);
    ASSERT_ELAPSED_AT_LEAST(t0, 0.05);
    ASSERT_RC(weft_simple_queue_get(q, &x, true, 0), WEFT_EEMPTY);
    weft_simple_queue_destroy(q);
}

/* ---- misuse matrix ------------------------------------------------------------- */

TEST(misuse_null_handle_and_out)
{
    void *x = I2P(3);
    ASSERT_RC(weft_simple_queue_create(NULL, NULL, NULL), WEFT_EINVAL);
    ASSERT_RC(weft_simple_queue_put(NULL, x), WEFT_EINVAL);
    ASSERT_RC(weft_simple_queue_put_nowait(NULL, x), WEFT_EINVAL);
    ASSERT_RC(weft_simple_queue_get(NULL, &x, true, WEFT_FOREVER), WEFT_EINVAL);
    ASSERT_RC(weft_simple_queue_get_nowait(NULL, &x), WEFT_EINVAL);
    ASSERT_PTR_EQ(x, I2P(3));
    ASSERT_EQ(weft_simple_queue_qsize(NULL), 0);
    ASSERT_TRUE(weft_simple_queue_empty(NULL));
    weft_simple_queue_destroy(NULL);
    weft_simple_queue *q = make();
    ASSERT_OK(weft_simple_queue_put(q, I2P(1)));
    ASSERT_RC(weft_simple_queue_get(q, NULL, true, WEFT_FOREVER), WEFT_EINVAL);
    ASSERT_RC(weft_simple_queue_get_nowait(q, NULL), WEFT_EINVAL);
    ASSERT_EQ(weft_simple_queue_qsize(q), 1);
    ASSERT_EQ(get_now(q), 1);
    weft_simple_queue_destroy(q);
}

TEST(misuse_get_bad_timeouts_with_item_available)
{
    /* CPython's C SimpleQueue rejects these before looking at the queue. */
    weft_simple_queue *q = make();
    ASSERT_OK(weft_simple_queue_put(q, I2P(1)));
    void *x = I2P(77);
    ASSERT_RC(weft_simple_queue_get(q, &x, true, -0.5), WEFT_EINVAL);
    ASSERT_RC(weft_simple_queue_get(q, &x, true, NAN), WEFT_EINVAL);
    ASSERT_RC(weft_simple_queue_get(q, &x, true, 1e300), WEFT_EOVERFLOW);
    ASSERT_RC(weft_simple_queue_get(q, &x, true, INFINITY), WEFT_EOVERFLOW);
    ASSERT_RC(weft_simple_queue_get(q, &x, true, -INFINITY), WEFT_EOVERFLOW);
    ASSERT_PTR_EQ(x, I2P(77));
    ASSERT_EQ(weft_simple_queue_qsize(q), 1);
    /* block false: the timeout is ignored. */
    ASSERT_OK(weft_simple_queue_get(q, &x, false, NAN));
    ASSERT_PTR_EQ(x, I2P(1));
    ASSERT_RC(weft_simple_queue_get(q, &x, false, -0.5), WEFT_EEMPTY);
    weft_simple_queue_destroy(q);
}

TEST(misuse_get_bad_timeouts_when_empty)
{
    weft_simple_queue *q = make();
    void *x = I2P(77);
    ASSERT_RC(weft_simple_queue_get(q, &x, true, -0.5), WEFT_EINVAL);
    ASSERT_RC(weft_simple_queue_get(q, &x, true, NAN), WEFT_EINVAL);
    ASSERT_RC(weft_simple_queue_get(q, &x, true, WEFT_TIMEOUT_MAX * 2), WEFT_EOVERFLOW);
    ASSERT_PTR_EQ(x, I2P(77));
    ASSERT_EQ(weft_simple_queue_qsize(q), 0);
    weft_simple_queue_destroy(q);
}

/* ---- stress --------------------------------------------------------------------- */

struct sstress { weft_simple_queue *q; long per; atomic_uchar *seen; };

static void sprod(void *arg, int idx)
{
    struct sstress *s = arg;
    for (long i = 0; i < s->per; i++) ASSERT_OK(weft_simple_queue_put(s->q, I2P(idx * s->per + i + 1)));
    ASSERT_OK(weft_simple_queue_put(s->q, NULL));
}

static void scons(void *arg, int idx)
{
    struct sstress *s = arg;
    for (;;) {
        long v = get_now(s->q);
        if (v == 0) return;
        atomic_fetch_add(&s->seen[v - 1], 1);
    }
}

SLOW_TEST(stress_conservation_4x4)
{
    struct sstress s;
    s.q = make();
    s.per = weft_test_iters(250000);
    s.seen = calloc((size_t)(4 * s.per), 1);
    ASSERT(s.seen);
    weft_test_threads *c = weft_test_start(4, scons, &s);
    weft_test_threads *p = weft_test_start(4, sprod, &s);
    weft_test_join(p);
    weft_test_join(c);
    for (long i = 0; i < 4 * s.per; i++)
        if (atomic_load(&s.seen[i]) != 1)
            weft_test_fail(__FILE__, __LINE__, "item %ld seen %d times", i + 1, (int)s.seen[i]);
    ASSERT_TRUE(weft_simple_queue_empty(s.q));
    weft_simple_queue_destroy(s.q);
    free(s.seen);
}

/* Wait records (issue 8): a getter blocked on a named SimpleQueue shows in the
 * dump as "in SimpleQueue.get on '<name>'" until it returns. */
struct sq_rec { weft_simple_queue *q; atomic_int rc; void *x; };

static void sq_blocked_get(void *arg, int i)
{
    struct sq_rec *r = arg;
    atomic_store(&r->rc, weft_simple_queue_get(r->q, &r->x, true, WEFT_FOREVER));
}

static bool dump_has(const char *what)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    ASSERT(f);
    ASSERT_OK(weft_debug_dump(f));
    fclose(f);
    bool found = strstr(text, what) != NULL;
    free(text);
    return found;
}

TEST(dump_shows_get_wait)
{
    struct sq_rec r = { make(), -1, NULL };
    ASSERT_OK(weft_debug_name(r.q, "inbox"));
    weft_test_threads *t = weft_test_start(1, sq_blocked_get, &r);
    WAIT_UNTIL(dump_has("in SimpleQueue.get on 'inbox'"), 10);
    ASSERT_OK(weft_simple_queue_put(r.q, I2P(5)));
    weft_test_join(t);
    ASSERT_OK(atomic_load(&r.rc));
    ASSERT_PTR_EQ(r.x, I2P(5));
    ASSERT_FALSE(dump_has("in SimpleQueue.get on 'inbox'"));
    weft_simple_queue_destroy(r.q);
    char buf[8];
    ASSERT_RC(weft_debug_name_of(r.q, buf, sizeof buf), WEFT_EEMPTY);
}
