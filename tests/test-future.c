/* SPDX-License-Identifier: MIT */
/* tests/test-future.c: weft_future, the C counterpart of CPython's
 * Lib/test/test_concurrent_futures/test_future.py (FutureTests), plus the
 * misuse matrix for the future functions.
 *
 * Not applicable: test_repr (no repr in C; the state is weft_future_state);
 * test_done_callback_raises_already_succeeded is covered by
 * FutureTests_test_done_callback_raises (a failing callback on a done future).
 */
#include "harness.h"

#include <stdatomic.h>

#include "weft/futures.h"

static weft_future *mk(int state)
{
    weft_future *f;
    ASSERT_OK(weft_future_create(&f));
    switch (state) {
    case WEFT_FUTURE_PENDING: break;
    case WEFT_FUTURE_RUNNING: ASSERT_OK(weft_future_set_running_or_notify_cancel(f)); break;
    case WEFT_FUTURE_CANCELLED: ASSERT_OK(weft_future_cancel(f)); break;
    case WEFT_FUTURE_CANCELLED_AND_NOTIFIED:
        ASSERT_OK(weft_future_cancel(f));
        ASSERT_RC(weft_future_set_running_or_notify_cancel(f), WEFT_ECANCELLED);
        break;
    default: break;
    }
    ASSERT_EQ(weft_future_state(f), state);
    return f;
}

static weft_future *mk_exception(void)
{
    weft_future *f = mk(WEFT_FUTURE_PENDING);
    ASSERT_OK(weft_future_set_exception(f, WEFT_EFAIL, "OSError"));
    return f;
}

static weft_future *mk_success(intptr_t v)
{
    weft_future *f = mk(WEFT_FUTURE_PENDING);
    ASSERT_OK(weft_future_set_result(f, (void *)v));
    return f;
}

struct cbrec {
    int calls;
    weft_future *seen;
    bool cancelled_at_call;
    bool done_at_call;
    intptr_t result;
    int code;
};

static void record_cb(weft_future *f, void *ud)
{
    struct cbrec *r = ud;
    r->calls++;
    r->seen = f;
    r->cancelled_at_call = weft_future_cancelled(f);
    r->done_at_call = weft_future_done(f);
    if (!r->cancelled_at_call) {
        void *v = NULL;
        if (weft_future_result(f, 0, &v) == WEFT_OK) r->result = (intptr_t)v;
        weft_future_exception(f, 0, &r->code, NULL);
    }
}

TEST(FutureTests_test_done_callback_with_result)
{
    struct cbrec r = { 0 };
    weft_future *f = mk(WEFT_FUTURE_PENDING);
    ASSERT_OK(weft_future_add_done_callback(f, record_cb, &r));
    ASSERT_EQ(r.calls, 0);
    ASSERT_OK(weft_future_set_result(f, (void *)5));
    ASSERT_EQ(r.calls, 1);
    ASSERT_EQ(r.result, 5);
    ASSERT_PTR_EQ(r.seen, f);
    weft_future_unref(f);
}

TEST(FutureTests_test_done_callback_with_exception)
{
    struct cbrec r = { 0 };
    weft_future *f = mk(WEFT_FUTURE_PENDING);
    ASSERT_OK(weft_future_add_done_callback(f, record_cb, &r));
    ASSERT_OK(weft_future_set_exception(f, WEFT_EINVAL, "test"));
    ASSERT_EQ(r.calls, 1);
    ASSERT_EQ(r.code, WEFT_EINVAL);
    weft_future_unref(f);
}

TEST(FutureTests_test_done_callback_with_cancel)
{
    struct cbrec r = { 0 };
    weft_future *f = mk(WEFT_FUTURE_PENDING);
    ASSERT_OK(weft_future_add_done_callback(f, record_cb, &r));
    ASSERT_OK(weft_future_cancel(f));
    ASSERT_EQ(r.calls, 1);
    ASSERT_TRUE(r.cancelled_at_call);
    /* Notifying the cancel later does not run callbacks again. */
    ASSERT_RC(weft_future_set_running_or_notify_cancel(f), WEFT_ECANCELLED);
    ASSERT_EQ(r.calls, 1);
    weft_future_unref(f);
}

static void failing_cb(weft_future *f, void *ud)
{
    (*(int *)ud)++;
    weft_fail(WEFT_EFAIL, "doh!");
}

TEST(FutureTests_test_done_callback_raises)
{
    int raising = 0;
    struct cbrec r = { 0 };
    weft_future *f = mk(WEFT_FUTURE_PENDING);
    ASSERT_OK(weft_future_add_done_callback(f, failing_cb, &raising));
    ASSERT_OK(weft_future_add_done_callback(f, record_cb, &r));
    /* The failure is reported to stderr; set_result succeeds and the next
     * callback still runs. */
    ASSERT_OK(weft_future_set_result(f, (void *)5));
    ASSERT_EQ(raising, 1);
    ASSERT_EQ(r.calls, 1);
    /* Already done: runs at once, failure reported, not fatal. */
    ASSERT_OK(weft_future_add_done_callback(f, failing_cb, &raising));
    ASSERT_EQ(raising, 2);
    weft_future_unref(f);
}

TEST(FutureTests_test_done_callback_already_successful)
{
    struct cbrec r = { 0 };
    weft_future *f = mk_success(5);
    ASSERT_OK(weft_future_add_done_callback(f, record_cb, &r));
    ASSERT_EQ(r.calls, 1);
    ASSERT_EQ(r.result, 5);
    weft_future_unref(f);
}

TEST(FutureTests_test_done_callback_already_failed)
{
    struct cbrec r = { 0 };
    weft_future *f = mk_exception();
    ASSERT_OK(weft_future_add_done_callback(f, record_cb, &r));
    ASSERT_EQ(r.calls, 1);
    ASSERT_EQ(r.code, WEFT_EFAIL);
    weft_future_unref(f);
}

TEST(FutureTests_test_done_callback_already_cancelled)
{
    struct cbrec r = { 0 };
    weft_future *f = mk(WEFT_FUTURE_CANCELLED);
    ASSERT_OK(weft_future_add_done_callback(f, record_cb, &r));
    ASSERT_EQ(r.calls, 1);
    ASSERT_TRUE(r.cancelled_at_call);
    weft_future_unref(f);
}

static int order_seq[4], order_n;
static void order_cb(weft_future *f, void *ud)
{
    order_seq[order_n++] = (int)(intptr_t)ud;
}

TEST(FutureTests_test_done_callback_order)
{
    /* Python runs callbacks in registration order, each once. */
    order_n = 0;
    weft_future *f = mk(WEFT_FUTURE_PENDING);
    for (intptr_t i = 1; i <= 3; i++) ASSERT_OK(weft_future_add_done_callback(f, order_cb, (void *)i));
    ASSERT_OK(weft_future_set_result(f, NULL));
    ASSERT_RC(weft_future_set_result(f, NULL), WEFT_ESTATE);
    ASSERT_EQ(order_n, 3);
    ASSERT_EQ(order_seq[0], 1);
    ASSERT_EQ(order_seq[1], 2);
    ASSERT_EQ(order_seq[2], 3);
    weft_future_unref(f);
}

TEST(FutureTests_test_cancel)
{
    weft_future *f1 = mk(WEFT_FUTURE_PENDING), *f2 = mk(WEFT_FUTURE_RUNNING),
                *f3 = mk(WEFT_FUTURE_CANCELLED), *f4 = mk(WEFT_FUTURE_CANCELLED_AND_NOTIFIED),
                *f5 = mk_exception(), *f6 = mk_success(5);
    ASSERT_OK(weft_future_cancel(f1));
    ASSERT_EQ(weft_future_state(f1), WEFT_FUTURE_CANCELLED);
    ASSERT_RC(weft_future_cancel(f2), WEFT_ESTATE);
    ASSERT_EQ(weft_future_state(f2), WEFT_FUTURE_RUNNING);
    ASSERT_OK(weft_future_cancel(f3));
    ASSERT_EQ(weft_future_state(f3), WEFT_FUTURE_CANCELLED);
    ASSERT_OK(weft_future_cancel(f4));
    ASSERT_EQ(weft_future_state(f4), WEFT_FUTURE_CANCELLED_AND_NOTIFIED);
    ASSERT_RC(weft_future_cancel(f5), WEFT_ESTATE);
    ASSERT_EQ(weft_future_state(f5), WEFT_FUTURE_FINISHED);
    ASSERT_RC(weft_future_cancel(f6), WEFT_ESTATE);
    ASSERT_EQ(weft_future_state(f6), WEFT_FUTURE_FINISHED);
    weft_future *all[] = { f1, f2, f3, f4, f5, f6 };
    for (int i = 0; i < 6; i++) weft_future_unref(all[i]);
}

#define FOR_STATES(f1, f2, f3, f4, f5, f6, body)                                  \
    do {                                                                          \
        weft_future *f1 = mk(WEFT_FUTURE_PENDING), *f2 = mk(WEFT_FUTURE_RUNNING),    \
                    *f3 = mk(WEFT_FUTURE_CANCELLED),                              \
                    *f4 = mk(WEFT_FUTURE_CANCELLED_AND_NOTIFIED), *f5 = mk_exception(), \
                    *f6 = mk_success(42);                                         \
        body;                                                                     \
        weft_future *all_[] = { f1, f2, f3, f4, f5, f6 };                          \
        for (int i_ = 0; i_ < 6; i_++) weft_future_unref(all_[i_]);               \
    } while (0)

TEST(FutureTests_test_cancelled)
{
    FOR_STATES(p, r, c, cn, e, s, {
        ASSERT_FALSE(weft_future_cancelled(p));
        ASSERT_FALSE(weft_future_cancelled(r));
        ASSERT_TRUE(weft_future_cancelled(c));
        ASSERT_TRUE(weft_future_cancelled(cn));
        ASSERT_FALSE(weft_future_cancelled(e));
        ASSERT_FALSE(weft_future_cancelled(s));
    });
}

TEST(FutureTests_test_done)
{
    FOR_STATES(p, r, c, cn, e, s, {
        ASSERT_FALSE(weft_future_done(p));
        ASSERT_FALSE(weft_future_done(r));
        ASSERT_TRUE(weft_future_done(c));
        ASSERT_TRUE(weft_future_done(cn));
        ASSERT_TRUE(weft_future_done(e));
        ASSERT_TRUE(weft_future_done(s));
    });
}

TEST(FutureTests_test_running)
{
    FOR_STATES(p, r, c, cn, e, s, {
        ASSERT_FALSE(weft_future_running(p));
        ASSERT_TRUE(weft_future_running(r));
        ASSERT_FALSE(weft_future_running(c));
        ASSERT_FALSE(weft_future_running(cn));
        ASSERT_FALSE(weft_future_running(e));
        ASSERT_FALSE(weft_future_running(s));
    });
}

TEST(FutureTests_test_result_with_timeout)
{
    FOR_STATES(p, r, c, cn, e, s, {
        void *v = NULL;
        ASSERT_RC(weft_future_result(p, 0, &v), WEFT_ETIMEDOUT);
        ASSERT_RC(weft_future_result(r, 0, &v), WEFT_ETIMEDOUT);
        ASSERT_RC(weft_future_result(c, 0, &v), WEFT_ECANCELLED);
        ASSERT_RC(weft_future_result(cn, 0, &v), WEFT_ECANCELLED);
        ASSERT_RC(weft_future_result(e, 0, &v), WEFT_ETASK);
        ASSERT_PTR_EQ(v, NULL);
        ASSERT_OK(weft_future_result(s, 0, &v));
        ASSERT_EQ((intptr_t)v, 42);
    });
}

struct later {
    weft_future *f;
    int action; /* 0 set_result(42), 1 cancel, 2 set_exception */
};

static void do_later(void *arg, int index)
{
    struct later *l = arg;
    weft_test_sleep(0.05); /* give the main thread time to block; not for ordering */
    if (l->action == 0) ASSERT_OK(weft_future_set_result(l->f, (void *)42));
    else if (l->action == 1) ASSERT_OK(weft_future_cancel(l->f));
    else ASSERT_OK(weft_future_set_exception(l->f, WEFT_EFAIL, "OSError"));
}

TEST(FutureTests_test_result_with_success)
{
    struct later l = { mk(WEFT_FUTURE_PENDING), 0 };
    weft_test_threads *t = weft_test_start(1, do_later, &l);
    void *v = NULL;
    ASSERT_OK(weft_future_result(l.f, 5.0 * weft_test_factor(), &v));
    ASSERT_EQ((intptr_t)v, 42);
    weft_test_join(t);
    weft_future_unref(l.f);
}

TEST(FutureTests_test_result_with_cancel)
{
    struct later l = { mk(WEFT_FUTURE_PENDING), 1 };
    weft_test_threads *t = weft_test_start(1, do_later, &l);
    ASSERT_RC(weft_future_result(l.f, WEFT_FOREVER, NULL), WEFT_ECANCELLED);
    weft_test_join(t);
    weft_future_unref(l.f);
}

TEST(FutureTests_test_exception_with_timeout)
{
    FOR_STATES(p, r, c, cn, e, s, {
        int code = 1;
        const char *msg = "x";
        ASSERT_RC(weft_future_exception(p, 0, &code, &msg), WEFT_ETIMEDOUT);
        ASSERT_RC(weft_future_exception(r, 0, &code, &msg), WEFT_ETIMEDOUT);
        ASSERT_RC(weft_future_exception(c, 0, &code, &msg), WEFT_ECANCELLED);
        ASSERT_RC(weft_future_exception(cn, 0, &code, &msg), WEFT_ECANCELLED);
        ASSERT_EQ(code, 1);
        ASSERT_OK(weft_future_exception(e, 0, &code, &msg));
        ASSERT_EQ(code, WEFT_EFAIL);
        ASSERT_STR_EQ(msg, "OSError");
        ASSERT_OK(weft_future_exception(s, 0, &code, &msg));
        ASSERT_EQ(code, WEFT_OK);
        ASSERT_PTR_EQ(msg, NULL);
    });
}

TEST(FutureTests_test_exception_with_success)
{
    struct later l = { mk(WEFT_FUTURE_PENDING), 2 };
    weft_test_threads *t = weft_test_start(1, do_later, &l);
    int code = 0;
    ASSERT_OK(weft_future_exception(l.f, WEFT_FOREVER, &code, NULL));
    ASSERT_EQ(code, WEFT_EFAIL);
    weft_test_join(t);
    weft_future_unref(l.f);
}

TEST(FutureTests_test_multiple_set_result)
{
    weft_future *f = mk(WEFT_FUTURE_PENDING);
    ASSERT_OK(weft_future_set_result(f, (void *)1));
    ASSERT_RC(weft_future_set_result(f, (void *)2), WEFT_ESTATE);
    ASSERT_TRUE(weft_future_done(f));
    void *v;
    ASSERT_OK(weft_future_result(f, WEFT_FOREVER, &v));
    ASSERT_EQ((intptr_t)v, 1);
    weft_future_unref(f);
}

TEST(FutureTests_test_multiple_set_exception)
{
    weft_future *f = mk(WEFT_FUTURE_PENDING);
    ASSERT_OK(weft_future_set_exception(f, WEFT_EINVAL, "ValueError"));
    ASSERT_RC(weft_future_set_exception(f, WEFT_EFAIL, "other"), WEFT_ESTATE);
    ASSERT_TRUE(weft_future_done(f));
    int code;
    const char *msg;
    ASSERT_OK(weft_future_exception(f, WEFT_FOREVER, &code, &msg));
    ASSERT_EQ(code, WEFT_EINVAL);
    ASSERT_STR_EQ(msg, "ValueError");
    weft_future_unref(f);
}

TEST(FutureTests_test_set_on_cancelled)
{
    /* InvalidStateError for set_result/set_exception on a cancelled future. */
    weft_future *f = mk(WEFT_FUTURE_CANCELLED);
    ASSERT_RC(weft_future_set_result(f, (void *)1), WEFT_ESTATE);
    ASSERT_RC(weft_future_set_exception(f, WEFT_EFAIL, "x"), WEFT_ESTATE);
    ASSERT_EQ(weft_future_state(f), WEFT_FUTURE_CANCELLED);
    weft_future_unref(f);
}

TEST(FutureTests_test_set_running_unexpected_state)
{
    /* "Future in unexpected state": RUNNING, C_A_N and FINISHED. */
    FOR_STATES(p, r, c, cn, e, s, {
        ASSERT_RC(weft_future_set_running_or_notify_cancel(r), WEFT_ESTATE);
        ASSERT_EQ(weft_future_state(r), WEFT_FUTURE_RUNNING);
        ASSERT_RC(weft_future_set_running_or_notify_cancel(cn), WEFT_ESTATE);
        ASSERT_EQ(weft_future_state(cn), WEFT_FUTURE_CANCELLED_AND_NOTIFIED);
        ASSERT_RC(weft_future_set_running_or_notify_cancel(s), WEFT_ESTATE);
        ASSERT_EQ(weft_future_state(s), WEFT_FUTURE_FINISHED);
        ASSERT_OK(weft_future_set_running_or_notify_cancel(p));
        ASSERT_EQ(weft_future_state(p), WEFT_FUTURE_RUNNING);
    });
}

TEST(FutureTests_test_result_timeout_elapsed)
{
    weft_future *f = mk(WEFT_FUTURE_PENDING);
    double t0 = weft_test_now();
    ASSERT_RC(weft_future_result(f, 0.05, NULL), WEFT_ETIMEDOUT);
    ASSERT_ELAPSED_AT_LEAST(t0, 0.05);
    ASSERT_ELAPSED_AT_MOST(t0, 2.0);
    /* Negative and NaN poll (Python's rule). */
    ASSERT_RC(weft_future_result(f, -5.0, NULL), WEFT_ETIMEDOUT);
    ASSERT_RC(weft_future_result(f, NAN, NULL), WEFT_ETIMEDOUT);
    ASSERT_RC(weft_future_exception(f, -0.5, NULL, NULL), WEFT_ETIMEDOUT);
    weft_future_unref(f);
}

static int dtor_calls;
static void count_dtor(void *p)
{
    ASSERT_EQ((intptr_t)p, 7);
    dtor_calls++;
}

TEST(FutureTests_test_result_destructor)
{
    dtor_calls = 0;
    weft_future *f = mk(WEFT_FUTURE_PENDING);
    ASSERT_OK(weft_future_set_result_destructor(f, count_dtor));
    ASSERT_OK(weft_future_set_result(f, (void *)7));
    weft_future_ref(f);
    weft_future_unref(f);
    ASSERT_EQ(dtor_calls, 0);
    weft_future_unref(f);
    ASSERT_EQ(dtor_calls, 1);
    /* Not called for a failure or a cancel. */
    f = mk(WEFT_FUTURE_PENDING);
    ASSERT_OK(weft_future_set_result_destructor(f, count_dtor));
    ASSERT_OK(weft_future_cancel(f));
    weft_future_unref(f);
    ASSERT_EQ(dtor_calls, 1);
}

/* ---- misuse matrix -------------------------------------------------------- */

/* One case per (function, bad input); each checks the code and that nothing
 * changed. */

TEST(Misuse_future_create_null_out)
{
    ASSERT_RC(weft_future_create(NULL), WEFT_EINVAL);
}

TEST(Misuse_future_ref_unref_null)
{
    ASSERT_PTR_EQ(weft_future_ref(NULL), NULL);
    weft_future_unref(NULL);
    weft_future_destroy(NULL);
}

TEST(Misuse_future_cancel_null)
{
    ASSERT_RC(weft_future_cancel(NULL), WEFT_EINVAL);
}

TEST(Misuse_future_queries_null)
{
    ASSERT_FALSE(weft_future_cancelled(NULL));
    ASSERT_FALSE(weft_future_running(NULL));
    ASSERT_FALSE(weft_future_done(NULL));
    ASSERT_RC(weft_future_state(NULL), WEFT_EINVAL);
}

TEST(Misuse_future_result_null)
{
    void *v = (void *)0x5;
    ASSERT_RC(weft_future_result(NULL, 0, &v), WEFT_EINVAL);
    ASSERT_PTR_EQ(v, (void *)0x5);
}

TEST(Misuse_future_result_null_out_allowed)
{
    weft_future *f = mk_success(3);
    ASSERT_OK(weft_future_result(f, 0, NULL));
    weft_future_unref(f);
}

TEST(Misuse_future_exception_null)
{
    int code = 7;
    ASSERT_RC(weft_future_exception(NULL, 0, &code, NULL), WEFT_EINVAL);
    ASSERT_EQ(code, 7);
}

TEST(Misuse_future_set_running_null)
{
    ASSERT_RC(weft_future_set_running_or_notify_cancel(NULL), WEFT_EINVAL);
}

TEST(Misuse_future_set_result_null)
{
    ASSERT_RC(weft_future_set_result(NULL, NULL), WEFT_EINVAL);
}

TEST(Misuse_future_set_exception_null)
{
    ASSERT_RC(weft_future_set_exception(NULL, WEFT_EFAIL, "x"), WEFT_EINVAL);
}

TEST(Misuse_future_set_result_destructor_null)
{
    ASSERT_RC(weft_future_set_result_destructor(NULL, NULL), WEFT_EINVAL);
}

TEST(Misuse_future_add_done_callback_null_future)
{
    ASSERT_RC(weft_future_add_done_callback(NULL, record_cb, NULL), WEFT_EINVAL);
}

TEST(Misuse_future_add_done_callback_null_fn)
{
    weft_future *f = mk(WEFT_FUTURE_PENDING);
    ASSERT_RC(weft_future_add_done_callback(f, NULL, NULL), WEFT_EINVAL);
    struct cbrec r = { 0 };
    ASSERT_OK(weft_future_add_done_callback(f, record_cb, &r));
    ASSERT_OK(weft_future_set_result(f, (void *)1));
    ASSERT_EQ(r.calls, 1); /* only the valid registration ran */
    weft_future_unref(f);
}

TEST(Misuse_future_set_exception_nonnegative_code)
{
    weft_future *f = mk(WEFT_FUTURE_PENDING);
    ASSERT_RC(weft_future_set_exception(f, 0, "x"), WEFT_EINVAL);
    ASSERT_RC(weft_future_set_exception(f, 3, "x"), WEFT_EINVAL);
    ASSERT_EQ(weft_future_state(f), WEFT_FUTURE_PENDING);
    weft_future_unref(f);
}

TEST(Misuse_future_set_result_twice)
{
    weft_future *f = mk_success(3);
    ASSERT_RC(weft_future_set_result(f, (void *)4), WEFT_ESTATE);
    void *v;
    ASSERT_OK(weft_future_result(f, 0, &v));
    ASSERT_EQ((intptr_t)v, 3);
    weft_future_unref(f);
}

TEST(Misuse_future_set_exception_after_result)
{
    weft_future *f = mk_success(3);
    ASSERT_RC(weft_future_set_exception(f, WEFT_EFAIL, "x"), WEFT_ESTATE);
    int code;
    ASSERT_OK(weft_future_exception(f, 0, &code, NULL));
    ASSERT_EQ(code, WEFT_OK);
    weft_future_unref(f);
}

TEST(Misuse_future_result_timeout_too_big)
{
    weft_future *f = mk(WEFT_FUTURE_PENDING);
    ASSERT_RC(weft_future_result(f, WEFT_TIMEOUT_MAX * 2, NULL), WEFT_EOVERFLOW);
    ASSERT_RC(weft_future_result(f, INFINITY, NULL), WEFT_EOVERFLOW);
    ASSERT_EQ(weft_future_state(f), WEFT_FUTURE_PENDING);
    /* A done future answers without looking at the timeout (Python too). */
    ASSERT_OK(weft_future_set_result(f, NULL));
    ASSERT_OK(weft_future_result(f, INFINITY, NULL));
    weft_future_unref(f);
}

TEST(Misuse_future_exception_timeout_too_big)
{
    weft_future *f = mk(WEFT_FUTURE_PENDING);
    int code = 5;
    ASSERT_RC(weft_future_exception(f, -INFINITY, &code, NULL), WEFT_EOVERFLOW);
    ASSERT_EQ(code, 5);
    ASSERT_EQ(weft_future_state(f), WEFT_FUTURE_PENDING);
    weft_future_unref(f);
}

/* ---- concurrency ------------------------------------------------------------ */

struct race {
    weft_future *f;
    int winners;
    WEFT_ATOMIC(int) ok;
    struct cbrec r;
};

static void race_cb(weft_future *f, void *ud)
{
    struct race *r = ud;
    atomic_fetch_add(&r->ok, 100);
}

static void racer(void *arg, int index)
{
    struct race *r = arg;
    int rc = index % 2 ? weft_future_cancel(r->f) : weft_future_set_result(r->f, (void *)1);
    if (rc == WEFT_OK) atomic_fetch_add(&r->ok, 1);
}

SLOW_TEST(FutureStress_cancel_vs_set_result)
{
    long n = weft_test_iters(2000);
    for (long i = 0; i < n; i++) {
        struct race r;
        memset(&r, 0, sizeof r);
        r.f = mk(WEFT_FUTURE_PENDING);
        ASSERT_OK(weft_future_add_done_callback(r.f, race_cb, &r));
        weft_test_threads *t = weft_test_start(2, racer, &r);
        weft_test_join(t);
        /* Exactly one transition won, and the callback ran exactly once. */
        ASSERT_EQ(atomic_load(&r.ok), 101);
        ASSERT_TRUE(weft_future_done(r.f));
        weft_future_unref(r.f);
    }
}

/* ---- fork ------------------------------------------------------------------ */

#include <sys/wait.h>
#include <unistd.h>

#include "internal/future.h"

struct holder {
    weft_future *f;
    WEFT_ATOMIC(int) locked;
    WEFT_ATOMIC(int) release;
};

static void hold_stripe(void *arg, int index)
{
    struct holder *h = arg;
    weft__flock(h->f);
    atomic_store(&h->locked, 1);
    while (!atomic_load(&h->release)) weft_test_sleep(0.001);
    weft__funlock(h->f);
}

TEST(FutureFork_stripe_lock_held_at_fork)
{
    /* A parent thread holds the future's stripe lock while the main thread forks:
     * the child can still complete and read futures (the stripes are reset). */
    struct holder h;
    h.f = mk(WEFT_FUTURE_PENDING);
    atomic_init(&h.locked, 0);
    atomic_init(&h.release, 0);
    weft_test_threads *t = weft_test_start(1, hold_stripe, &h);
    WAIT_UNTIL(atomic_load(&h.locked), 10.0);
    pid_t pid = fork();
    ASSERT_TRUE(pid >= 0);
    if (pid == 0) {
        void *v = NULL;
        int ok = weft_future_set_result(h.f, (void *)9) == WEFT_OK &&
                 weft_future_result(h.f, 0, &v) == WEFT_OK && (intptr_t)v == 9;
        _exit(ok ? 0 : 1);
    }
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    ASSERT_EQ(WEXITSTATUS(status), 0);
    atomic_store(&h.release, 1);
    weft_test_join(t);
    ASSERT_EQ(weft_future_state(h.f), WEFT_FUTURE_PENDING); /* the parent's is untouched */
    weft_future_unref(h.f);
}
