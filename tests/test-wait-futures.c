/* SPDX-License-Identifier: MIT */
/* tests/test-wait-futures.c: weft_futures_wait and weft_as_completed, the C
 * counterparts of CPython's test_concurrent_futures/test_wait.py (WaitTests,
 * ThreadPoolWaitTests) and test_as_completed.py (AsCompletedTests).
 *
 * CPython's tests order with time.sleep tasks; here a "gated" task blocks on a
 * gate future that the test completes, so no case depends on timing.
 * Not applicable: test_free_reference_yielded_future checks garbage collection
 * with weakrefs; its C counterpart (the iterator drops its reference on each
 * yielded future) is AsCompletedTests_test_free_reference_yielded_future, which
 * checks the future is freed via a result destructor.
 */
#include <stdatomic.h>

#include "harness.h"

#include "weft/futures.h"

static weft_future *mk(int state)
{
    weft_future *f;
    ASSERT_OK(weft_future_create(&f));
    if (state == WEFT_FUTURE_RUNNING) ASSERT_OK(weft_future_set_running_or_notify_cancel(f));
    if (state == WEFT_FUTURE_CANCELLED) ASSERT_OK(weft_future_cancel(f));
    if (state == WEFT_FUTURE_CANCELLED_AND_NOTIFIED) {
        ASSERT_OK(weft_future_cancel(f));
        ASSERT_RC(weft_future_set_running_or_notify_cancel(f), WEFT_ECANCELLED);
    }
    return f;
}

static weft_future *mk_success(void)
{
    weft_future *f = mk(WEFT_FUTURE_PENDING);
    ASSERT_OK(weft_future_set_result(f, (void *)42));
    return f;
}

static weft_future *mk_exception(void)
{
    weft_future *f = mk(WEFT_FUTURE_PENDING);
    ASSERT_OK(weft_future_set_exception(f, WEFT_EFAIL, "OSError"));
    return f;
}

/* Tasks. */
static void *mul_task(void *arg)
{
    return (void *)((intptr_t)arg * 2);
}

static void *raise_task(void *arg)
{
    weft_fail(WEFT_EINVAL, "ZeroDivisionError");
    return NULL;
}

/* Blocks until the gate future (arg) is done. */
static void *gated_task(void *arg)
{
    weft_future_result(arg, WEFT_FOREVER, NULL);
    return (void *)1;
}

static void *gated_raise_task(void *arg)
{
    weft_future_result(arg, WEFT_FOREVER, NULL);
    weft_fail(WEFT_EFAIL, "raised");
    return NULL;
}

static bool contains(weft_future **arr, size_t n, weft_future *f)
{
    for (size_t i = 0; i < n; i++)
        if (arr[i] == f) return true;
    return false;
}

static weft_executor *mkexec(int workers)
{
    weft_executor *ex;
    weft_executor_attr a = { 0 };
    a.max_workers = workers;
    ASSERT_OK(weft_executor_create(&ex, &a));
    return ex;
}

TEST(WaitTests_test_20369)
{
    weft_executor *ex = mkexec(2);
    weft_future *f;
    ASSERT_OK(weft_executor_submit(ex, mul_task, (void *)3, &f));
    weft_future *fs[2] = { f, f }, *done[2], *nd[2];
    size_t ndone, nnd;
    ASSERT_OK(weft_futures_wait(fs, 2, WEFT_FOREVER, WEFT_ALL_COMPLETED, done, &ndone, nd, &nnd));
    ASSERT_EQ(ndone, 1);
    ASSERT_PTR_EQ(done[0], f);
    ASSERT_EQ(nnd, 0);
    weft_future_unref(f);
    weft_executor_destroy(ex);
}

TEST(WaitTests_test_first_completed)
{
    weft_executor *ex = mkexec(2);
    weft_future *gate = mk(WEFT_FUTURE_PENDING), *cancelled = mk(WEFT_FUTURE_CANCELLED);
    weft_future *f1, *f2;
    ASSERT_OK(weft_executor_submit(ex, gated_task, gate, &f2));
    ASSERT_OK(weft_executor_submit(ex, mul_task, (void *)21, &f1));
    weft_future *fs[3] = { cancelled, f1, f2 }, *done[3], *nd[3];
    size_t ndone, nnd;
    ASSERT_OK(weft_futures_wait(fs, 3, WEFT_FOREVER, WEFT_FIRST_COMPLETED, done, &ndone, nd, &nnd));
    ASSERT_EQ(ndone, 1);
    ASSERT_PTR_EQ(done[0], f1);
    ASSERT_EQ(nnd, 2);
    ASSERT_TRUE(contains(nd, nnd, cancelled));
    ASSERT_TRUE(contains(nd, nnd, f2));
    ASSERT_OK(weft_future_set_result(gate, NULL));
    weft_executor_destroy(ex);
    weft_future *all[] = { gate, cancelled, f1, f2 };
    for (int i = 0; i < 4; i++) weft_future_unref(all[i]);
}

TEST(WaitTests_test_first_completed_some_already_completed)
{
    weft_executor *ex = mkexec(2);
    weft_future *gate = mk(WEFT_FUTURE_PENDING), *cn = mk(WEFT_FUTURE_CANCELLED_AND_NOTIFIED),
                *ok = mk_success(), *f1;
    ASSERT_OK(weft_executor_submit(ex, gated_task, gate, &f1));
    weft_future *fs[3] = { cn, ok, f1 }, *done[3], *nd[3];
    size_t ndone, nnd;
    ASSERT_OK(weft_futures_wait(fs, 3, WEFT_FOREVER, WEFT_FIRST_COMPLETED, done, &ndone, nd, &nnd));
    ASSERT_EQ(ndone, 2);
    ASSERT_TRUE(contains(done, ndone, cn));
    ASSERT_TRUE(contains(done, ndone, ok));
    ASSERT_EQ(nnd, 1);
    ASSERT_PTR_EQ(nd[0], f1);
    ASSERT_OK(weft_future_set_result(gate, NULL));
    weft_executor_destroy(ex);
    weft_future *all[] = { gate, cn, ok, f1 };
    for (int i = 0; i < 4; i++) weft_future_unref(all[i]);
}

TEST(WaitTests_test_first_exception)
{
    weft_executor *ex = mkexec(3);
    weft_future *gate2 = mk(WEFT_FUTURE_PENDING), *gate3 = mk(WEFT_FUTURE_PENDING);
    weft_future *f1, *f2, *f3;
    ASSERT_OK(weft_executor_submit(ex, mul_task, (void *)21, &f1));
    ASSERT_OK(weft_executor_submit(ex, gated_raise_task, gate2, &f2));
    ASSERT_OK(weft_executor_submit(ex, gated_task, gate3, &f3));
    ASSERT_OK(weft_future_result(f1, WEFT_FOREVER, NULL));
    ASSERT_OK(weft_future_set_result(gate2, NULL));
    weft_future *fs[3] = { f1, f2, f3 }, *done[3], *nd[3];
    size_t ndone, nnd;
    ASSERT_OK(weft_futures_wait(fs, 3, WEFT_FOREVER, WEFT_FIRST_EXCEPTION, done, &ndone, nd, &nnd));
    ASSERT_EQ(ndone, 2);
    ASSERT_TRUE(contains(done, ndone, f1));
    ASSERT_TRUE(contains(done, ndone, f2));
    ASSERT_EQ(nnd, 1);
    ASSERT_PTR_EQ(nd[0], f3);
    ASSERT_OK(weft_future_set_result(gate3, NULL));
    weft_executor_destroy(ex);
    weft_future *all[] = { gate2, gate3, f1, f2, f3 };
    for (int i = 0; i < 5; i++) weft_future_unref(all[i]);
}

TEST(WaitTests_test_first_exception_some_already_complete)
{
    weft_executor *ex = mkexec(2);
    weft_future *gate = mk(WEFT_FUTURE_PENDING), *ok = mk_success(),
                *c = mk(WEFT_FUTURE_CANCELLED), *cn = mk(WEFT_FUTURE_CANCELLED_AND_NOTIFIED);
    weft_future *f1, *f2;
    ASSERT_OK(weft_executor_submit(ex, raise_task, NULL, &f1));
    ASSERT_OK(weft_executor_submit(ex, gated_task, gate, &f2));
    weft_future *fs[5] = { ok, c, cn, f1, f2 }, *done[5], *nd[5];
    size_t ndone, nnd;
    ASSERT_OK(weft_futures_wait(fs, 5, WEFT_FOREVER, WEFT_FIRST_EXCEPTION, done, &ndone, nd, &nnd));
    ASSERT_EQ(ndone, 3);
    ASSERT_TRUE(contains(done, ndone, ok));
    ASSERT_TRUE(contains(done, ndone, cn));
    ASSERT_TRUE(contains(done, ndone, f1));
    ASSERT_EQ(nnd, 2);
    ASSERT_TRUE(contains(nd, nnd, c));
    ASSERT_TRUE(contains(nd, nnd, f2));
    ASSERT_OK(weft_future_set_result(gate, NULL));
    weft_executor_destroy(ex);
    weft_future *all[] = { gate, ok, c, cn, f1, f2 };
    for (int i = 0; i < 6; i++) weft_future_unref(all[i]);
}

TEST(WaitTests_test_first_exception_one_already_failed)
{
    weft_executor *ex = mkexec(2);
    weft_future *gate = mk(WEFT_FUTURE_PENDING), *e = mk_exception(), *f1;
    ASSERT_OK(weft_executor_submit(ex, gated_task, gate, &f1));
    weft_future *fs[2] = { e, f1 }, *done[2], *nd[2];
    size_t ndone, nnd;
    ASSERT_OK(weft_futures_wait(fs, 2, WEFT_FOREVER, WEFT_FIRST_EXCEPTION, done, &ndone, nd, &nnd));
    ASSERT_EQ(ndone, 1);
    ASSERT_PTR_EQ(done[0], e);
    ASSERT_EQ(nnd, 1);
    ASSERT_PTR_EQ(nd[0], f1);
    ASSERT_OK(weft_future_set_result(gate, NULL));
    weft_executor_destroy(ex);
    weft_future *all[] = { gate, e, f1 };
    for (int i = 0; i < 3; i++) weft_future_unref(all[i]);
}

TEST(WaitTests_test_all_completed)
{
    weft_executor *ex = mkexec(2);
    weft_future *ok = mk_success(), *cn = mk(WEFT_FUTURE_CANCELLED_AND_NOTIFIED), *e = mk_exception();
    weft_future *f1, *f2;
    ASSERT_OK(weft_executor_submit(ex, raise_task, NULL, &f1));
    ASSERT_OK(weft_executor_submit(ex, mul_task, (void *)21, &f2));
    weft_future *fs[5] = { ok, cn, e, f1, f2 }, *done[5];
    size_t ndone, nnd;
    ASSERT_OK(weft_futures_wait(fs, 5, WEFT_FOREVER, WEFT_ALL_COMPLETED, done, &ndone, NULL, &nnd));
    ASSERT_EQ(ndone, 5);
    ASSERT_EQ(nnd, 0);
    for (int i = 0; i < 5; i++) ASSERT_TRUE(contains(done, ndone, fs[i]));
    weft_executor_destroy(ex);
    for (int i = 0; i < 5; i++) weft_future_unref(fs[i]);
}

TEST(WaitTests_test_timeout)
{
    weft_executor *ex = mkexec(2);
    weft_future *gate = mk(WEFT_FUTURE_PENDING), *cn = mk(WEFT_FUTURE_CANCELLED_AND_NOTIFIED),
                *e = mk_exception(), *ok = mk_success(), *f;
    ASSERT_OK(weft_executor_submit(ex, gated_task, gate, &f));
    weft_future *fs[4] = { cn, e, ok, f }, *done[4], *nd[4];
    size_t ndone, nnd;
    double t0 = weft_test_now();
    ASSERT_OK(weft_futures_wait(fs, 4, 0.05, WEFT_ALL_COMPLETED, done, &ndone, nd, &nnd));
    ASSERT_ELAPSED_AT_LEAST(t0, 0.05);
    ASSERT_ELAPSED_AT_MOST(t0, 2.0);
    ASSERT_EQ(ndone, 3);
    ASSERT_EQ(nnd, 1);
    ASSERT_PTR_EQ(nd[0], f);
    /* 0, negative and NaN do not wait. */
    ASSERT_OK(weft_futures_wait(fs, 4, 0, WEFT_ALL_COMPLETED, NULL, &ndone, NULL, &nnd));
    ASSERT_EQ(nnd, 1);
    ASSERT_OK(weft_futures_wait(fs, 4, -3, WEFT_ALL_COMPLETED, NULL, &ndone, NULL, &nnd));
    ASSERT_EQ(nnd, 1);
    ASSERT_OK(weft_futures_wait(fs, 4, NAN, WEFT_FIRST_EXCEPTION, NULL, &ndone, NULL, &nnd));
    ASSERT_EQ(ndone, 3);
    ASSERT_OK(weft_future_set_result(gate, NULL));
    weft_executor_destroy(ex);
    weft_future *all[] = { gate, cn, e, ok, f };
    for (int i = 0; i < 5; i++) weft_future_unref(all[i]);
}

TEST(ThreadPoolWaitTests_test_pending_calls_race)
{
    /* Futures finishing while wait installs its waiter (CPython's issue #14406
     * race on the pending-calls counter). */
    weft_executor *ex = mkexec(2);
    enum { N = 100 };
    weft_future *fs[N];
    for (int i = 0; i < N; i++) ASSERT_OK(weft_executor_submit(ex, mul_task, (void *)(intptr_t)i, &fs[i]));
    size_t ndone, nnd;
    ASSERT_OK(weft_futures_wait(fs, N, WEFT_FOREVER, WEFT_ALL_COMPLETED, NULL, &ndone, NULL, &nnd));
    ASSERT_EQ(ndone, N);
    ASSERT_EQ(nnd, 0);
    weft_executor_destroy(ex);
    for (int i = 0; i < N; i++) weft_future_unref(fs[i]);
}

/* True once weft_debug_dump shows a thread inside weft_futures_wait: it begins
 * that record under its waiter's lock just before its first sleep, after
 * hooking itself to every future, so from then on a completion must wake it. */
static bool a_thread_in_futures_wait(void)
{
    char *text = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);
    ASSERT(m != NULL);
    ASSERT_OK(weft_debug_dump(m));
    fclose(m);
    bool yes = text && strstr(text, " in futures wait on ") != NULL;
    free(text);
    return yes;
}

static void open_gate_later(void *arg, int index)
{
    WAIT_UNTIL(a_thread_in_futures_wait(), 10); /* the main thread waits now */
    ASSERT_OK(weft_future_set_result(arg, NULL));
}

TEST(WaitTests_test_first_completed_wakes_on_completion)
{
    /* Nothing is done when wait starts; it returns when one finishes. */
    weft_executor *ex = mkexec(2);
    weft_future *g1 = mk(WEFT_FUTURE_PENDING), *g2 = mk(WEFT_FUTURE_PENDING), *f1, *f2;
    ASSERT_OK(weft_executor_submit(ex, gated_task, g1, &f1));
    ASSERT_OK(weft_executor_submit(ex, gated_task, g2, &f2));
    weft_test_threads *t = weft_test_start(1, open_gate_later, g2);
    weft_future *fs[2] = { f1, f2 }, *done[2], *nd[2];
    size_t ndone, nnd;
    ASSERT_OK(weft_futures_wait(fs, 2, WEFT_FOREVER, WEFT_FIRST_COMPLETED, done, &ndone, nd, &nnd));
    ASSERT_EQ(ndone, 1);
    ASSERT_PTR_EQ(done[0], f2);
    ASSERT_EQ(nnd, 1);
    ASSERT_PTR_EQ(nd[0], f1);
    weft_test_join(t);
    ASSERT_OK(weft_future_set_result(g1, NULL));
    weft_executor_destroy(ex);
    weft_future *all[] = { g1, g2, f1, f2 };
    for (int i = 0; i < 4; i++) weft_future_unref(all[i]);
}

TEST(WaitTests_test_cancel_does_not_wake)
{
    /* A plain cancel() does not wake wait(); the notification by an executor
     * (set_running_or_notify_cancel) does. */
    weft_future *f = mk(WEFT_FUTURE_PENDING);
    ASSERT_OK(weft_future_cancel(f));
    size_t ndone, nnd;
    ASSERT_OK(weft_futures_wait(&f, 1, 0.02, WEFT_FIRST_COMPLETED, NULL, &ndone, NULL, &nnd));
    ASSERT_EQ(ndone, 0);
    ASSERT_RC(weft_future_set_running_or_notify_cancel(f), WEFT_ECANCELLED);
    ASSERT_OK(weft_futures_wait(&f, 1, 0, WEFT_FIRST_COMPLETED, NULL, &ndone, NULL, &nnd));
    ASSERT_EQ(ndone, 1);
    weft_future_unref(f);
}

struct notify_later {
    weft_future *f;
};

static void cancel_notify_later(void *arg, int index)
{
    struct notify_later *n = arg;
    WAIT_UNTIL(a_thread_in_futures_wait(), 10); /* the main thread waits now */
    ASSERT_OK(weft_future_cancel(n->f));
    /* Time in which a wait wrongly ended by the plain cancel would return (the
     * state check after it would then see CANCELLED); shorter, it can only
     * miss that: the test does not depend on it, and it is not for ordering. */
    weft_test_sleep(0.03);
    ASSERT_RC(weft_future_set_running_or_notify_cancel(n->f), WEFT_ECANCELLED);
}

TEST(WaitTests_test_wakes_on_notified_cancel)
{
    struct notify_later n = { mk(WEFT_FUTURE_PENDING) };
    weft_test_threads *t = weft_test_start(1, cancel_notify_later, &n);
    size_t ndone, nnd;
    ASSERT_OK(weft_futures_wait(&n.f, 1, WEFT_FOREVER, WEFT_FIRST_COMPLETED, NULL, &ndone, NULL, &nnd));
    ASSERT_EQ(ndone, 1);
    ASSERT_EQ(weft_future_state(n.f), WEFT_FUTURE_CANCELLED_AND_NOTIFIED);
    weft_test_join(t);
    weft_future_unref(n.f);
}

/* Misuse: one case per bad input; the outputs and the futures are unchanged. */
static void wait_misuse(weft_future *const *fs, size_t n, double timeout, int rw, int expect)
{
    weft_future *f = fs && n ? fs[0] : NULL;
    size_t ndone = 77, nnd = 77;
    weft_future *done[2] = { (weft_future *)0x9, (weft_future *)0x9 };
    ASSERT_RC(weft_futures_wait(fs, n, timeout, rw, done, &ndone, NULL, &nnd), expect);
    ASSERT_EQ(ndone, 77);
    ASSERT_EQ(nnd, 77);
    ASSERT_PTR_EQ(done[0], (weft_future *)0x9);
    if (f) ASSERT_EQ(weft_future_state(f), WEFT_FUTURE_PENDING);
}

TEST(Misuse_wait_null_array)
{
    wait_misuse(NULL, 1, 0, WEFT_ALL_COMPLETED, WEFT_EINVAL);
}

TEST(Misuse_wait_null_entry)
{
    weft_future *f = mk(WEFT_FUTURE_PENDING), *fs[2] = { f, NULL };
    wait_misuse(fs, 2, 0, WEFT_ALL_COMPLETED, WEFT_EINVAL);
    weft_future_unref(f);
}

TEST(Misuse_wait_bad_return_when)
{
    weft_future *f = mk(WEFT_FUTURE_PENDING);
    wait_misuse(&f, 1, 0, 0, WEFT_EINVAL);
    wait_misuse(&f, 1, 0, 99, WEFT_EINVAL);
    weft_future_unref(f);
}

TEST(Misuse_wait_timeout_too_big)
{
    weft_future *f = mk(WEFT_FUTURE_PENDING);
    wait_misuse(&f, 1, WEFT_TIMEOUT_MAX * 2, WEFT_ALL_COMPLETED, WEFT_EOVERFLOW);
    wait_misuse(&f, 1, INFINITY, WEFT_ALL_COMPLETED, WEFT_EOVERFLOW);
    weft_future_unref(f);
}

TEST(Misuse_wait_empty_is_fine)
{
    size_t ndone = 77, nnd = 77;
    ASSERT_OK(weft_futures_wait(NULL, 0, WEFT_FOREVER, WEFT_ALL_COMPLETED, NULL, &ndone, NULL, &nnd));
    ASSERT_EQ(ndone, 0);
    ASSERT_EQ(nnd, 0);
}

/* ---- as_completed ----------------------------------------------------------- */

TEST(AsCompletedTests_test_no_timeout)
{
    weft_executor *ex = mkexec(2);
    weft_future *cn = mk(WEFT_FUTURE_CANCELLED_AND_NOTIFIED), *e = mk_exception(), *ok = mk_success();
    weft_future *f1, *f2;
    ASSERT_OK(weft_executor_submit(ex, mul_task, (void *)21, &f1));
    ASSERT_OK(weft_executor_submit(ex, mul_task, (void *)3, &f2));
    weft_future *fs[5] = { cn, e, ok, f1, f2 }, *seen[5];
    weft_as_completed *it;
    ASSERT_OK(weft_as_completed_create(&it, fs, 5, WEFT_FOREVER));
    size_t n = 0;
    weft_future *f;
    while (1) {
        ASSERT_OK(weft_as_completed_next(it, &f));
        if (!f) break;
        ASSERT_LT(n, 5);
        ASSERT_FALSE(contains(seen, n, f));
        seen[n++] = f;
    }
    ASSERT_EQ(n, 5);
    ASSERT_EQ(weft_as_completed_pending(it), 0);
    weft_as_completed_destroy(it);
    weft_executor_destroy(ex);
    for (int i = 0; i < 5; i++) weft_future_unref(fs[i]);
}

TEST(AsCompletedTests_test_future_times_out)
{
    weft_executor *ex = mkexec(2);
    weft_future *cn = mk(WEFT_FUTURE_CANCELLED_AND_NOTIFIED), *e = mk_exception(), *ok = mk_success();
    double timeouts[2] = { 0, 0.1 };
    for (int k = 0; k < 2; k++) {
        weft_future *gate = mk(WEFT_FUTURE_PENDING), *f;
        ASSERT_OK(weft_executor_submit(ex, gated_task, gate, &f));
        weft_future *fs[4] = { cn, e, ok, f }, *seen[4];
        weft_as_completed *it;
        double t0 = weft_test_now();
        ASSERT_OK(weft_as_completed_create(&it, fs, 4, timeouts[k]));
        size_t n = 0;
        weft_future *got;
        int rc;
        while ((rc = weft_as_completed_next(it, &got)) == WEFT_OK && got) seen[n++] = got;
        ASSERT_RC(rc, WEFT_ETIMEDOUT);
        ASSERT_ELAPSED_AT_LEAST(t0, timeouts[k]);
        ASSERT_EQ(n, 3);
        ASSERT_FALSE(contains(seen, n, f));
        ASSERT_EQ(weft_as_completed_pending(it), 1);
        weft_as_completed_destroy(it);
        ASSERT_OK(weft_future_set_result(gate, NULL));
        ASSERT_OK(weft_future_result(f, WEFT_FOREVER, NULL));
        weft_future_unref(gate);
        weft_future_unref(f);
    }
    weft_executor_destroy(ex);
    weft_future_unref(cn);
    weft_future_unref(e);
    weft_future_unref(ok);
}

TEST(AsCompletedTests_test_duplicate_futures)
{
    weft_executor *ex = mkexec(2);
    weft_future *f1;
    ASSERT_OK(weft_executor_submit(ex, mul_task, (void *)2, &f1));
    weft_future *fs[3] = { f1, f1, f1 };
    weft_as_completed *it;
    ASSERT_OK(weft_as_completed_create(&it, fs, 3, WEFT_FOREVER));
    weft_future *f;
    int n = 0;
    while (weft_as_completed_next(it, &f) == WEFT_OK && f) n++;
    ASSERT_EQ(n, 1);
    weft_as_completed_destroy(it);
    weft_executor_destroy(ex);
    weft_future_unref(f1);
}

static int freed;
static void count_free(void *p)
{
    freed++;
}

TEST(AsCompletedTests_test_free_reference_yielded_future)
{
    /* The iterator does not keep a yielded future alive. */
    freed = 0;
    weft_future *fs[3];
    for (int i = 0; i < 3; i++) {
        fs[i] = mk(WEFT_FUTURE_PENDING);
        ASSERT_OK(weft_future_set_result_destructor(fs[i], count_free));
    }
    weft_as_completed *it;
    ASSERT_OK(weft_as_completed_create(&it, fs, 3, WEFT_FOREVER));
    for (int i = 0; i < 3; i++) {
        ASSERT_OK(weft_future_set_result(fs[i], (void *)1));
        weft_future *f;
        ASSERT_OK(weft_as_completed_next(it, &f));
        ASSERT_PTR_EQ(f, fs[i]);
        weft_future_unref(f); /* the caller's last reference */
        ASSERT_EQ(freed, i + 1);
    }
    weft_future *f;
    ASSERT_OK(weft_as_completed_next(it, &f));
    ASSERT_PTR_EQ(f, NULL);
    weft_as_completed_destroy(it);
}

TEST(AsCompletedTests_test_correct_timeout_exception_msg)
{
    weft_future *fs[4] = { mk(WEFT_FUTURE_CANCELLED_AND_NOTIFIED), mk(WEFT_FUTURE_PENDING),
                           mk(WEFT_FUTURE_RUNNING), mk_success() };
    weft_as_completed *it;
    ASSERT_OK(weft_as_completed_create(&it, fs, 4, 0));
    weft_future *f;
    int rc;
    while ((rc = weft_as_completed_next(it, &f)) == WEFT_OK && f) {
    }
    ASSERT_RC(rc, WEFT_ETIMEDOUT);
    /* "2 (of 4) futures unfinished" */
    ASSERT_EQ(weft_as_completed_pending(it), 2);
    weft_as_completed_destroy(it);
    for (int i = 0; i < 4; i++) weft_future_unref(fs[i]);
}

TEST(AsCompletedTests_test_empty_and_lazy_start)
{
    weft_as_completed *it;
    weft_future *f = (weft_future *)1;
    ASSERT_OK(weft_as_completed_create(&it, NULL, 0, 0));
    ASSERT_OK(weft_as_completed_next(it, &f));
    ASSERT_PTR_EQ(f, NULL);
    weft_as_completed_destroy(it);
    /* The clock starts at the first next(): a delay before it does not count. */
    weft_future *p = mk(WEFT_FUTURE_PENDING);
    ASSERT_OK(weft_as_completed_create(&it, &p, 1, 0.05));
    weft_test_sleep(0.1); /* the delay that must not count; not for ordering */
    ASSERT_OK(weft_future_set_result(p, NULL));
    ASSERT_OK(weft_as_completed_next(it, &f));
    ASSERT_PTR_EQ(f, p);
    weft_as_completed_destroy(it);
    weft_future_unref(p);
}

TEST(AsCompletedTests_test_plain_cancelled_not_yielded)
{
    weft_future *c = mk(WEFT_FUTURE_CANCELLED);
    weft_as_completed *it;
    ASSERT_OK(weft_as_completed_create(&it, &c, 1, 0.02));
    weft_future *f;
    ASSERT_RC(weft_as_completed_next(it, &f), WEFT_ETIMEDOUT);
    weft_as_completed_destroy(it);
    weft_future_unref(c);
}

TEST(Misuse_as_completed_create_null_out)
{
    weft_future *f = mk(WEFT_FUTURE_PENDING);
    ASSERT_RC(weft_as_completed_create(NULL, &f, 1, 0), WEFT_EINVAL);
    weft_future_unref(f); /* no reference was taken: this is the last one */
}

TEST(Misuse_as_completed_create_null_array)
{
    weft_as_completed *it = (weft_as_completed *)0x1;
    ASSERT_RC(weft_as_completed_create(&it, NULL, 1, 0), WEFT_EINVAL);
    ASSERT_PTR_EQ(it, (weft_as_completed *)0x1);
}

TEST(Misuse_as_completed_create_null_entry)
{
    weft_future *f = mk(WEFT_FUTURE_PENDING), *fs[2] = { f, NULL };
    weft_as_completed *it = (weft_as_completed *)0x1;
    ASSERT_RC(weft_as_completed_create(&it, fs, 2, 0), WEFT_EINVAL);
    ASSERT_PTR_EQ(it, (weft_as_completed *)0x1);
    weft_future_unref(f);
}

TEST(Misuse_as_completed_create_timeout_too_big)
{
    weft_future *f = mk(WEFT_FUTURE_PENDING);
    weft_as_completed *it = (weft_as_completed *)0x1;
    ASSERT_RC(weft_as_completed_create(&it, &f, 1, INFINITY), WEFT_EOVERFLOW);
    ASSERT_RC(weft_as_completed_create(&it, &f, 1, WEFT_TIMEOUT_MAX * 2), WEFT_EOVERFLOW);
    ASSERT_PTR_EQ(it, (weft_as_completed *)0x1);
    weft_future_unref(f);
}

TEST(Misuse_as_completed_next_null)
{
    weft_future *out = (weft_future *)0x1;
    ASSERT_RC(weft_as_completed_next(NULL, &out), WEFT_EINVAL);
    ASSERT_PTR_EQ(out, (weft_future *)0x1);
    weft_future *f = mk(WEFT_FUTURE_PENDING);
    weft_as_completed *it;
    ASSERT_OK(weft_as_completed_create(&it, &f, 1, 0));
    ASSERT_RC(weft_as_completed_next(it, NULL), WEFT_EINVAL);
    ASSERT_EQ(weft_as_completed_pending(it), 1);
    weft_as_completed_destroy(it);
    weft_future_unref(f);
}

TEST(Misuse_as_completed_null_queries)
{
    ASSERT_EQ(weft_as_completed_pending(NULL), 0);
    weft_as_completed_destroy(NULL);
}

/* ---- stress ------------------------------------------------------------------- */

static void *spin_task(void *arg)
{
    volatile int x = 0;
    for (int i = 0; i < (int)(intptr_t)arg; i++) x += i;
    if (x == -1) return arg;
    return NULL;
}

SLOW_TEST(WaitStress_as_completed_many)
{
    weft_executor *ex = mkexec(4);
    long n = weft_test_iters(2000);
    weft_future **fs = malloc((size_t)n * sizeof *fs);
    for (long i = 0; i < n; i++) ASSERT_OK(weft_executor_submit(ex, spin_task, (void *)(intptr_t)(i % 100), &fs[i]));
    weft_as_completed *it;
    ASSERT_OK(weft_as_completed_create(&it, fs, (size_t)n, WEFT_FOREVER));
    long k = 0;
    weft_future *f;
    while (weft_as_completed_next(it, &f) == WEFT_OK && f) {
        ASSERT_TRUE(weft_future_done(f));
        k++;
    }
    ASSERT_EQ(k, n);
    weft_as_completed_destroy(it);
    size_t ndone;
    ASSERT_OK(weft_futures_wait(fs, (size_t)n, WEFT_FOREVER, WEFT_ALL_COMPLETED, NULL, &ndone, NULL, NULL));
    ASSERT_EQ(ndone, (size_t)n);
    weft_executor_destroy(ex);
    for (long i = 0; i < n; i++) weft_future_unref(fs[i]);
    free(fs);
}
