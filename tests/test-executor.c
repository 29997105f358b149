/* SPDX-License-Identifier: MIT */
/* tests/test-executor.c: weft_executor (ThreadPoolExecutor), the C counterparts of
 * CPython's test_concurrent_futures/executor.py (ExecutorTest),
 * test_thread_pool.py, test_shutdown.py (ThreadPoolShutdownTest), test_init.py
 * and test_deadlock.py as far as they apply to threads, plus the misuse matrix
 * and the stress test.
 *
 * Not applicable:
 * - test_submit_keyword: C has no keyword arguments (a task takes one void *).
 * - test_no_stale_references, test_free_reference, test_del_shutdown: garbage
 *   collection; the C counterpart is ownership: the executor drops its reference
 *   on a future as soon as the task ran (ExecutorTest_test_no_stale_references
 *   checks it with a result destructor).
 * - test_interpreter_shutdown, test_submit_after_interpreter_shutdown,
 *   test_hang_gh83386: exit behaviour, checked on child programs in tests/exit
 *   (test-exit.c, ThreadPoolShutdownTest_*).
 * - test_hang_global_shutdown_lock: ProcessPoolExecutor with fork.
 * - test_deadlock.py: all its cases are about pickling and crashing worker
 *   processes (ProcessPoolExecutor); the thread case that applies (a task
 *   failing does not hang the pool) is ExecutorDeadlockTest_test_error_during_func_exec_on_worker.
 */
#include <stdatomic.h>

#include "harness.h"

#include "weft/futures.h"

static weft_executor *mkexec(int workers)
{
    weft_executor *ex;
    weft_executor_attr a = { 0 };
    a.max_workers = workers;
    ASSERT_OK(weft_executor_create(&ex, &a));
    return ex;
}

static void *pow2_task(void *arg)
{
    intptr_t x = (intptr_t)arg;
    return (void *)(x * x);
}

static void *abs_task(void *arg)
{
    intptr_t x = (intptr_t)arg;
    return (void *)(x < 0 ? -x : x);
}

static void *fail_on_zero(void *arg)
{
    if ((intptr_t)arg == 0) weft_fail(WEFT_EINVAL, "division by zero");
    return arg;
}

static void *gated_task(void *arg)
{
    weft_future_result(arg, WEFT_FOREVER, NULL);
    return (void *)1;
}

TEST(ExecutorTest_test_submit)
{
    weft_executor *ex = mkexec(5);
    weft_future *f;
    ASSERT_OK(weft_executor_submit(ex, pow2_task, (void *)16, &f));
    void *r;
    ASSERT_OK(weft_future_result(f, WEFT_FOREVER, &r));
    ASSERT_EQ((intptr_t)r, 256);
    weft_future_unref(f);
    weft_executor_destroy(ex);
}

TEST(ExecutorTest_test_map)
{
    weft_executor *ex = mkexec(5);
    void *args[10], *res[10];
    for (intptr_t i = 0; i < 10; i++) args[i] = (void *)i;
    for (size_t chunk = 1; chunk <= 4; chunk += 2) {
        memset(res, 0, sizeof res);
        size_t failed = 99;
        ASSERT_OK(weft_executor_map(ex, pow2_task, args, 10, res, WEFT_FOREVER, chunk, &failed));
        ASSERT_EQ(failed, 10);
        for (intptr_t i = 0; i < 10; i++) ASSERT_EQ((intptr_t)res[i], i * i);
    }
    weft_executor_destroy(ex);
}

TEST(ExecutorTest_test_map_exception)
{
    weft_executor *ex = mkexec(5);
    void *args[4] = { (void *)1, (void *)1, (void *)0, (void *)5 }, *res[4] = { 0 };
    for (size_t chunk = 1; chunk <= 3; chunk += 2) {
        size_t failed = 99;
        memset(res, 0, sizeof res);
        ASSERT_RC(weft_executor_map(ex, fail_on_zero, args, 4, res, WEFT_FOREVER, chunk, &failed),
                  WEFT_ETASK);
        ASSERT_EQ(failed, 2);
        ASSERT_EQ((intptr_t)res[0], 1);
        ASSERT_EQ((intptr_t)res[1], 1);
    }
    weft_executor_destroy(ex);
}

TEST(ExecutorTest_test_map_timeout)
{
    weft_executor *ex = mkexec(5);
    weft_future *gate;
    ASSERT_OK(weft_future_create(&gate));
    void *args[3] = { NULL, NULL, gate }, *res[3] = { (void *)9, (void *)9, (void *)9 };
    /* args 0, 1: a finished gate-less task; 2 blocks until the gate opens. */
    weft_future *open;
    ASSERT_OK(weft_future_create(&open));
    ASSERT_OK(weft_future_set_result(open, NULL));
    args[0] = args[1] = open;
    /* Start all five workers first (five tasks held at a barrier-like gate until
     * all are running), so the map's two open tasks need no thread start-up, only
     * an idle worker to wake: the timeout below then bounds scheduling latency
     * alone (it flaked at 0.2 s x 5 under stress-ng with lazy worker start). */
    weft_future *warm_gate, *warm[5];
    ASSERT_OK(weft_future_create(&warm_gate));
    for (int i = 0; i < 5; i++) ASSERT_OK(weft_executor_submit(ex, gated_task, warm_gate, &warm[i]));
    WAIT_UNTIL(weft_executor_thread_count(ex) == 5, 30);
    ASSERT_OK(weft_future_set_result(warm_gate, NULL));
    for (int i = 0; i < 5; i++) {
        ASSERT_OK(weft_future_result(warm[i], WEFT_FOREVER, NULL));
        weft_future_unref(warm[i]);
    }
    weft_future_unref(warm_gate);
    size_t failed = 0;
    /* Long enough (scaled) for the two open tasks to finish on a slow run; the
     * lower bound (the map waited its whole timeout) stays exact. */
    double timeout = 0.5 * weft_test_factor();
    double t0 = weft_test_now();
    ASSERT_RC(weft_executor_map(ex, gated_task, args, 3, res, timeout, 1, &failed), WEFT_ETIMEDOUT);
    ASSERT_ELAPSED_AT_LEAST(t0, timeout);
    ASSERT_EQ(failed, 2);
    ASSERT_EQ((intptr_t)res[0], 1);
    ASSERT_EQ((intptr_t)res[1], 1);
    ASSERT_EQ((intptr_t)res[2], 9);
    ASSERT_OK(weft_future_set_result(gate, NULL));
    weft_executor_destroy(ex);
    weft_future_unref(gate);
    weft_future_unref(open);
}

TEST(ExecutorTest_test_shutdown_race_issue12456)
{
    weft_executor *ex = mkexec(5);
    void *args[6] = { 0 }, *res[6];
    ASSERT_OK(weft_executor_map(ex, pow2_task, args, 6, res, WEFT_FOREVER, 1, NULL));
    ASSERT_OK(weft_executor_shutdown(ex, true, false));
    weft_executor_destroy(ex);
}

static int stale_freed;
static void stale_dtor(void *p)
{
    stale_freed++;
}

TEST(ExecutorTest_test_no_stale_references)
{
    /* The executor drops its reference once the task ran: with the caller's
     * reference gone too, the future (and its result) is freed. */
    weft_executor *ex = mkexec(2);
    weft_future *f;
    stale_freed = 0;
    ASSERT_OK(weft_executor_submit(ex, pow2_task, (void *)2, &f));
    ASSERT_OK(weft_future_set_result_destructor(f, stale_dtor));
    ASSERT_OK(weft_future_result(f, WEFT_FOREVER, NULL));
    weft_future_unref(f);
    ASSERT_OK(weft_executor_shutdown(ex, true, false));
    ASSERT_EQ(stale_freed, 1);
    weft_executor_destroy(ex);
}

TEST(ExecutorTest_test_max_workers_negative)
{
    weft_executor *ex = (weft_executor *)0x1;
    weft_executor_attr a = { 0 };
    a.max_workers = -1;
    ASSERT_RC(weft_executor_create(&ex, &a), WEFT_EINVAL);
    ASSERT_PTR_EQ(ex, (weft_executor *)0x1);
    a.max_workers = -100;
    ASSERT_RC(weft_executor_create(&ex, &a), WEFT_EINVAL);
    ASSERT_PTR_EQ(ex, (weft_executor *)0x1);
}

/* ---- test_thread_pool.py ------------------------------------------------------ */

static WEFT_ATOMIC(int) finished_count;
static void *record_finished(void *arg)
{
    atomic_fetch_add(&finished_count, 1);
    return NULL;
}

TEST(ThreadPoolExecutorTest_test_map_submits_without_iteration)
{
    /* map submits everything up front; with a zero timeout the results are not
     * awaited, yet shutdown(wait) sees all ten run. */
    weft_executor *ex = mkexec(5);
    atomic_store(&finished_count, 0);
    void *args[10] = { 0 }, *res[10];
    int rc = weft_executor_map(ex, record_finished, args, 10, res, 0, 1, NULL);
    ASSERT_TRUE(rc == WEFT_OK || rc == WEFT_ETIMEDOUT);
    ASSERT_OK(weft_executor_shutdown(ex, true, false));
    if (rc == WEFT_OK) ASSERT_EQ(atomic_load(&finished_count), 10);
    weft_executor_destroy(ex);
}

TEST(ThreadPoolExecutorTest_test_default_workers)
{
    weft_executor *ex;
    ASSERT_OK(weft_executor_create(&ex, NULL));
    int m = weft_executor_max_workers(ex);
    ASSERT_GE(m, 5);
    ASSERT_LE(m, 32);
    weft_executor_destroy(ex);
}

TEST(ThreadPoolExecutorTest_test_saturation)
{
    weft_executor *ex = mkexec(4);
    weft_future *gate;
    ASSERT_OK(weft_future_create(&gate));
    enum { N = 15 * 4 };
    weft_future *fs[N];
    for (int i = 0; i < N; i++) ASSERT_OK(weft_executor_submit(ex, gated_task, gate, &fs[i]));
    ASSERT_EQ(weft_executor_thread_count(ex), 4);
    ASSERT_OK(weft_future_set_result(gate, NULL));
    ASSERT_OK(weft_executor_shutdown(ex, true, false));
    for (int i = 0; i < N; i++) {
        ASSERT_TRUE(weft_future_done(fs[i]));
        weft_future_unref(fs[i]);
    }
    weft_executor_destroy(ex);
    weft_future_unref(gate);
}

TEST(ThreadPoolExecutorTest_test_idle_thread_reuse)
{
    weft_executor *ex;
    ASSERT_OK(weft_executor_create(&ex, NULL));
    for (int i = 0; i < 3; i++) {
        weft_future *f;
        ASSERT_OK(weft_executor_submit(ex, pow2_task, (void *)(intptr_t)i, &f));
        ASSERT_OK(weft_future_result(f, WEFT_FOREVER, NULL));
        weft_future_unref(f);
    }
    ASSERT_EQ(weft_executor_thread_count(ex), 1);
    weft_executor_destroy(ex);
}

struct log {
    WEFT_ATOMIC(int) started;
    WEFT_ATOMIC(int) stopped;
    weft_future *stop;
};

static void *log_n_wait(void *arg)
{
    struct log *l = arg;
    atomic_fetch_add(&l->started, 1);
    weft_future_result(l->stop, WEFT_FOREVER, NULL);
    atomic_fetch_add(&l->stopped, 1);
    return NULL;
}

TEST(ThreadPoolExecutorTest_test_executor_map_current_future_cancel)
{
    struct log l;
    atomic_init(&l.started, 0);
    atomic_init(&l.stopped, 0);
    ASSERT_OK(weft_future_create(&l.stop));
    weft_executor *ex = mkexec(1);
    weft_future *first;
    ASSERT_OK(weft_executor_submit(ex, log_n_wait, &l, &first));
    void *args[2] = { &l, &l }, *res[2];
    ASSERT_RC(weft_executor_map(ex, log_n_wait, args, 2, res, 0, 1, NULL), WEFT_ETIMEDOUT);
    ASSERT_OK(weft_future_set_result(l.stop, NULL));
    ASSERT_OK(weft_future_result(first, WEFT_FOREVER, NULL));
    weft_executor_destroy(ex);
    /* Only "first" ran: the map's futures were cancelled. */
    ASSERT_EQ(atomic_load(&l.started), 1);
    ASSERT_EQ(atomic_load(&l.stopped), 1);
    weft_future_unref(first);
    weft_future_unref(l.stop);
}

/* ---- test_shutdown.py ----------------------------------------------------------- */

TEST(ThreadPoolShutdownTest_test_run_after_shutdown)
{
    weft_executor *ex = mkexec(2);
    ASSERT_OK(weft_executor_shutdown(ex, true, false));
    weft_future *f = (weft_future *)0x1;
    ASSERT_RC(weft_executor_submit(ex, pow2_task, (void *)2, &f), WEFT_ESHUTDOWN);
    ASSERT_PTR_EQ(f, (weft_future *)0x1);
    /* map with no items does not fail (Python: empty iterables). */
    ASSERT_OK(weft_executor_map(ex, pow2_task, NULL, 0, NULL, WEFT_FOREVER, 1, NULL));
    void *a[1] = { 0 }, *r[1];
    ASSERT_RC(weft_executor_map(ex, pow2_task, a, 1, r, WEFT_FOREVER, 1, NULL), WEFT_ESHUTDOWN);
    ASSERT_OK(weft_executor_shutdown(ex, true, false)); /* repeatable */
    weft_executor_destroy(ex);
}

static void *short_task(void *arg)
{
    volatile int x = 0;
    for (int i = 0; i < 20000; i++) x += i;
    if (x == -1) return NULL;
    return arg;
}

TEST(ThreadPoolShutdownTest_test_hang_issue12364)
{
    weft_executor *ex = mkexec(5);
    weft_future *fs[50];
    for (int i = 0; i < 50; i++) ASSERT_OK(weft_executor_submit(ex, short_task, NULL, &fs[i]));
    ASSERT_OK(weft_executor_shutdown(ex, true, false));
    for (int i = 0; i < 50; i++) {
        ASSERT_OK(weft_future_result(fs[i], WEFT_FOREVER, NULL));
        weft_future_unref(fs[i]);
    }
    weft_executor_destroy(ex);
}

TEST(ThreadPoolShutdownTest_test_cancel_futures)
{
    weft_executor *ex = mkexec(5);
    weft_future *gate;
    ASSERT_OK(weft_future_create(&gate));
    weft_future *fs[50];
    for (int i = 0; i < 50; i++) ASSERT_OK(weft_executor_submit(ex, gated_task, gate, &fs[i]));
    /* Wait until the five workers hold one task each, then cancel the rest. */
    WAIT_UNTIL(({
        int r = 0;
        for (int i = 0; i < 50; i++) r += weft_future_running(fs[i]);
        r == 5;
    }), 10.0);
    ASSERT_OK(weft_executor_shutdown(ex, false, true));
    int cancelled = 0;
    for (int i = 0; i < 50; i++) cancelled += weft_future_cancelled(fs[i]);
    ASSERT_EQ(cancelled, 45);
    ASSERT_OK(weft_future_set_result(gate, NULL));
    ASSERT_OK(weft_executor_shutdown(ex, true, false));
    int others = 0;
    for (int i = 0; i < 50; i++) {
        if (weft_future_cancelled(fs[i])) {
            /* Never notified: stays CANCELLED, as in Python. */
            ASSERT_EQ(weft_future_state(fs[i]), WEFT_FUTURE_CANCELLED);
        } else {
            int code = 1;
            ASSERT_OK(weft_future_exception(fs[i], 0, &code, NULL));
            ASSERT_EQ(code, WEFT_OK);
            others++;
        }
        weft_future_unref(fs[i]);
    }
    ASSERT_EQ(others, 5);
    weft_executor_destroy(ex);
    weft_future_unref(gate);
}

TEST(ThreadPoolShutdownTest_test_hang_gh94440)
{
    weft_executor *ex = mkexec(1);
    weft_future *f;
    ASSERT_OK(weft_executor_submit(ex, pow2_task, NULL, &f));
    ASSERT_OK(weft_future_result(f, WEFT_FOREVER, NULL));
    weft_future_unref(f);
    ASSERT_OK(weft_executor_submit(ex, pow2_task, NULL, &f));
    weft_future_cancel(f);
    double t0 = weft_test_now();
    ASSERT_OK(weft_executor_shutdown(ex, true, false));
    ASSERT_ELAPSED_AT_MOST(t0, 5.0);
    weft_future_unref(f);
    weft_executor_destroy(ex);
}

TEST(ThreadPoolShutdownTest_test_threads_terminate)
{
    weft_executor *ex = mkexec(5);
    weft_future *gate;
    ASSERT_OK(weft_future_create(&gate));
    weft_future *fs[3];
    for (int i = 0; i < 3; i++) ASSERT_OK(weft_executor_submit(ex, gated_task, gate, &fs[i]));
    ASSERT_EQ(weft_executor_thread_count(ex), 3);
    ASSERT_OK(weft_future_set_result(gate, NULL));
    ASSERT_OK(weft_executor_shutdown(ex, true, false));
    for (int i = 0; i < 3; i++) {
        ASSERT_TRUE(weft_future_done(fs[i]));
        weft_future_unref(fs[i]);
    }
    weft_executor_destroy(ex);
    weft_future_unref(gate);
}

static WEFT_ATOMIC(int) abs_done;
static void *abs_count_task(void *arg)
{
    atomic_fetch_add(&abs_done, 1);
    return abs_task(arg);
}

TEST(ThreadPoolShutdownTest_test_context_manager_shutdown)
{
    weft_future *f;
    atomic_store(&abs_done, 0);
    {
        WEFT_WITH_EXECUTOR(e);
        weft_executor_attr a = { 5, NULL, NULL, NULL };
        ASSERT_OK(weft_executor_create(&e, &a));
        void *args[10], *res[10];
        for (intptr_t i = 0; i < 10; i++) args[i] = (void *)(i - 5);
        ASSERT_OK(weft_executor_map(e, abs_task, args, 10, res, WEFT_FOREVER, 1, NULL));
        for (intptr_t i = 0; i < 10; i++) ASSERT_EQ((intptr_t)res[i], i < 5 ? 5 - i : i - 5);
        for (int i = 0; i < 20; i++) {
            ASSERT_OK(weft_executor_submit(e, abs_count_task, (void *)-1, &f));
            weft_future_unref(f);
        }
    }
    /* Leaving the block waited for every task. */
    ASSERT_EQ(atomic_load(&abs_done), 20);
}

TEST(ThreadPoolShutdownTest_test_shutdown_no_wait)
{
    weft_executor *ex = mkexec(5);
    weft_future *gate, *fs[3];
    ASSERT_OK(weft_future_create(&gate));
    for (int i = 0; i < 3; i++) ASSERT_OK(weft_executor_submit(ex, gated_task, gate, &fs[i]));
    double t0 = weft_test_now();
    ASSERT_OK(weft_executor_shutdown(ex, false, false));
    ASSERT_ELAPSED_AT_MOST(t0, 1.0); /* returned without waiting for the gate */
    ASSERT_TRUE(weft_executor_is_shutdown(ex));
    ASSERT_OK(weft_future_set_result(gate, NULL));
    for (int i = 0; i < 3; i++) {
        ASSERT_OK(weft_future_result(fs[i], WEFT_FOREVER, NULL));
        weft_future_unref(fs[i]);
    }
    weft_executor_destroy(ex);
    weft_future_unref(gate);
}

static void *name_task(void *arg)
{
    return (void *)weft_thread_name(weft_current_thread());
}

TEST(ThreadPoolShutdownTest_test_thread_names_assigned)
{
    weft_executor *ex;
    weft_executor_attr a = { 5, "SpecialPool", NULL, NULL };
    ASSERT_OK(weft_executor_create(&ex, &a));
    weft_future *gate, *fs[5], *names[5];
    ASSERT_OK(weft_future_create(&gate));
    for (int i = 0; i < 5; i++) ASSERT_OK(weft_executor_submit(ex, gated_task, gate, &fs[i]));
    ASSERT_EQ(weft_executor_thread_count(ex), 5);
    ASSERT_OK(weft_future_set_result(gate, NULL));
    for (int i = 0; i < 5; i++) ASSERT_OK(weft_executor_submit(ex, name_task, NULL, &names[i]));
    for (int i = 0; i < 5; i++) {
        void *r;
        ASSERT_OK(weft_future_result(names[i], WEFT_FOREVER, &r));
        const char *nm = r;
        ASSERT_TRUE(strncmp(nm, "SpecialPool_", 12) == 0);
        ASSERT_TRUE(nm[12] >= '0' && nm[12] <= '4' && nm[13] == '\0');
    }
    ASSERT_OK(weft_executor_shutdown(ex, true, false));
    for (int i = 0; i < 5; i++) {
        weft_future_unref(fs[i]);
        weft_future_unref(names[i]);
    }
    weft_executor_destroy(ex);
    weft_future_unref(gate);
}

TEST(ThreadPoolShutdownTest_test_thread_names_default)
{
    weft_executor *ex = mkexec(5);
    weft_future *f;
    ASSERT_OK(weft_executor_submit(ex, name_task, NULL, &f));
    void *r;
    ASSERT_OK(weft_future_result(f, WEFT_FOREVER, &r));
    const char *nm = r;
    /* "ThreadPoolExecutor-K_0" */
    ASSERT_TRUE(strncmp(nm, "ThreadPoolExecutor-", 19) == 0);
    const char *us = strrchr(nm, '_');
    ASSERT_TRUE(us != NULL);
    ASSERT_STR_EQ(us, "_0");
    weft_future_unref(f);
    weft_executor_destroy(ex);
}

TEST(ThreadPoolShutdownTest_test_cancel_futures_wait_false)
{
    weft_executor *ex = mkexec(1);
    weft_future *gate, *fs[10];
    ASSERT_OK(weft_future_create(&gate));
    for (int i = 0; i < 10; i++) ASSERT_OK(weft_executor_submit(ex, gated_task, gate, &fs[i]));
    WAIT_UNTIL(weft_future_running(fs[0]), 10.0);
    ASSERT_OK(weft_executor_shutdown(ex, false, true));
    for (int i = 1; i < 10; i++) ASSERT_TRUE(weft_future_cancelled(fs[i]));
    ASSERT_OK(weft_future_set_result(gate, NULL));
    ASSERT_OK(weft_future_result(fs[0], WEFT_FOREVER, NULL));
    weft_executor_destroy(ex);
    for (int i = 0; i < 10; i++) weft_future_unref(fs[i]);
    weft_future_unref(gate);
}

/* ---- test_init.py ------------------------------------------------------------------- */

static _Thread_local const char *init_status;
static int init_ok(void *arg)
{
    init_status = arg;
    return 0;
}

static void *get_init_status(void *arg)
{
    return (void *)init_status;
}

TEST(ThreadPoolInitializerTest_test_initializer)
{
    weft_executor *ex;
    weft_executor_attr a = { 2, NULL, init_ok, "initialized" };
    ASSERT_OK(weft_executor_create(&ex, &a));
    weft_future *gate, *g[2], *fs[2];
    ASSERT_OK(weft_future_create(&gate));
    /* Make both workers start, then ask each for its status. */
    for (int i = 0; i < 2; i++) ASSERT_OK(weft_executor_submit(ex, gated_task, gate, &g[i]));
    ASSERT_OK(weft_future_set_result(gate, NULL));
    for (int i = 0; i < 2; i++) ASSERT_OK(weft_executor_submit(ex, get_init_status, NULL, &fs[i]));
    for (int i = 0; i < 2; i++) {
        void *r;
        ASSERT_OK(weft_future_result(fs[i], WEFT_FOREVER, &r));
        ASSERT_STR_EQ((const char *)r, "initialized");
        weft_future_unref(fs[i]);
        weft_future_unref(g[i]);
    }
    weft_executor_destroy(ex);
    weft_future_unref(gate);
}

static int init_fail(void *arg)
{
    return weft_fail(WEFT_EINVAL, "error in initializer");
}

static int init_fail_rc(void *arg)
{
    return WEFT_EFAIL;
}

static void failing_initializer_case(int (*init)(void *))
{
    weft_executor *ex;
    weft_executor_attr a = { 2, NULL, init, NULL };
    ASSERT_OK(weft_executor_create(&ex, &a));
    weft_future *f;
    int rc = weft_executor_submit(ex, get_init_status, NULL, &f);
    if (rc == WEFT_OK) {
        ASSERT_RC(weft_future_result(f, WEFT_FOREVER, NULL), WEFT_ETASK);
        int code;
        const char *msg;
        ASSERT_OK(weft_future_exception(f, 0, &code, &msg));
        ASSERT_EQ(code, WEFT_EBROKENPOOL);
        ASSERT_TRUE(strstr(msg, "initializer failed") != NULL);
        weft_future_unref(f);
    } else {
        ASSERT_RC(rc, WEFT_EBROKENPOOL);
    }
    WAIT_UNTIL(weft_executor_broken(ex), 10.0);
    f = (weft_future *)0x1;
    ASSERT_RC(weft_executor_submit(ex, get_init_status, NULL, &f), WEFT_EBROKENPOOL);
    ASSERT_PTR_EQ(f, (weft_future *)0x1);
    weft_executor_destroy(ex);
}

TEST(ThreadPoolFailingInitializerTest_test_initializer)
{
    failing_initializer_case(init_fail);
}

TEST(ThreadPoolFailingInitializerTest_test_initializer_return_code)
{
    failing_initializer_case(init_fail_rc);
}

/* ---- test_deadlock.py ------------------------------------------------------------------ */

TEST(ExecutorDeadlockTest_test_error_during_func_exec_on_worker)
{
    weft_executor *ex = mkexec(2);
    weft_future *f;
    ASSERT_OK(weft_executor_submit(ex, fail_on_zero, NULL, &f));
    ASSERT_RC(weft_future_result(f, WEFT_FOREVER, NULL), WEFT_ETASK);
    int code;
    const char *msg;
    ASSERT_OK(weft_future_exception(f, 0, &code, &msg));
    ASSERT_EQ(code, WEFT_EINVAL);
    ASSERT_STR_EQ(msg, "division by zero");
    weft_future_unref(f);
    /* The pool still works and the failure did not leak into the next task. */
    ASSERT_OK(weft_executor_submit(ex, fail_on_zero, (void *)3, &f));
    void *r;
    ASSERT_OK(weft_future_result(f, WEFT_FOREVER, &r));
    ASSERT_EQ((intptr_t)r, 3);
    weft_future_unref(f);
    weft_executor_destroy(ex);
}

static uint64_t task_ident;
static void *ident_task(void *arg)
{
    task_ident = weft_get_ident();
    weft_future_result(arg, WEFT_FOREVER, NULL);
    return NULL;
}

static uint64_t cb_ident;
static void ident_cb(weft_future *f, void *ud)
{
    cb_ident = weft_get_ident();
}

TEST(ExecutorTest_test_callback_runs_in_worker)
{
    /* Python: callbacks run in the thread that completes the future. */
    weft_executor *ex = mkexec(1);
    weft_future *gate, *f;
    ASSERT_OK(weft_future_create(&gate));
    ASSERT_OK(weft_executor_submit(ex, ident_task, gate, &f));
    WAIT_UNTIL(weft_future_running(f), 10.0);
    ASSERT_OK(weft_future_add_done_callback(f, ident_cb, NULL));
    ASSERT_OK(weft_future_set_result(gate, NULL));
    ASSERT_OK(weft_future_result(f, WEFT_FOREVER, NULL));
    ASSERT_OK(weft_executor_shutdown(ex, true, false)); /* the callback has returned */
    ASSERT_NE(cb_ident, 0);
    ASSERT_EQ(cb_ident, task_ident);
    ASSERT_NE(cb_ident, weft_get_ident());
    weft_future_unref(f);
    weft_future_unref(gate);
    weft_executor_destroy(ex);
}

/* A task that submits to its own executor and waits (allowed with > 1 worker). */
static weft_executor *nested_ex;
static void *nested_task(void *arg)
{
    weft_future *f;
    if (weft_executor_submit(nested_ex, pow2_task, (void *)3, &f) != WEFT_OK) return NULL;
    void *r = NULL;
    weft_future_result(f, WEFT_FOREVER, &r);
    weft_future_unref(f);
    return r;
}

TEST(ExecutorTest_test_submit_from_worker)
{
    nested_ex = mkexec(2);
    weft_future *f;
    ASSERT_OK(weft_executor_submit(nested_ex, nested_task, NULL, &f));
    void *r;
    ASSERT_OK(weft_future_result(f, WEFT_FOREVER, &r));
    ASSERT_EQ((intptr_t)r, 9);
    weft_future_unref(f);
    weft_executor_destroy(nested_ex);
}

/* ---- misuse matrix ------------------------------------------------------------------------ */

TEST(Misuse_executor_create_null_out)
{
    weft_executor_attr a = { 0 };
    ASSERT_RC(weft_executor_create(NULL, &a), WEFT_EINVAL);
    ASSERT_RC(weft_executor_create(NULL, NULL), WEFT_EINVAL);
}

TEST(Misuse_executor_create_negative_workers)
{
    weft_executor *ex = (weft_executor *)0x1;
    weft_executor_attr a = { -1, NULL, NULL, NULL };
    ASSERT_RC(weft_executor_create(&ex, &a), WEFT_EINVAL);
    ASSERT_PTR_EQ(ex, (weft_executor *)0x1);
}

static void submit_misuse(weft_executor *ex, weft_task_fn fn, weft_future **out, int expect)
{
    weft_future *sentinel = (weft_future *)0x1;
    if (out) *out = sentinel;
    ASSERT_RC(weft_executor_submit(ex, fn, NULL, out), expect);
    if (out) ASSERT_PTR_EQ(*out, sentinel);
}

TEST(Misuse_executor_submit_null_executor)
{
    weft_future *f;
    submit_misuse(NULL, pow2_task, &f, WEFT_EINVAL);
}

TEST(Misuse_executor_submit_null_fn)
{
    weft_executor *ex = mkexec(2);
    weft_future *f;
    submit_misuse(ex, NULL, &f, WEFT_EINVAL);
    ASSERT_EQ(weft_executor_thread_count(ex), 0);
    weft_executor_destroy(ex);
}

TEST(Misuse_executor_submit_null_out)
{
    weft_executor *ex = mkexec(2);
    submit_misuse(ex, pow2_task, NULL, WEFT_EINVAL);
    ASSERT_EQ(weft_executor_thread_count(ex), 0);
    ASSERT_FALSE(weft_executor_is_shutdown(ex));
    weft_executor_destroy(ex);
}

TEST(Misuse_executor_submit_after_shutdown)
{
    weft_executor *ex = mkexec(2);
    ASSERT_OK(weft_executor_shutdown(ex, false, false));
    weft_future *f;
    submit_misuse(ex, pow2_task, &f, WEFT_ESHUTDOWN);
    ASSERT_EQ(weft_executor_thread_count(ex), 0);
    weft_executor_destroy(ex);
}

static void map_misuse(weft_executor *ex, weft_task_fn fn, void *const *a, void **r, double timeout,
                       int expect)
{
    void *res[2] = { (void *)5, (void *)5 };
    size_t failed = 77;
    ASSERT_RC(weft_executor_map(ex, fn, a, 2, r ? res : NULL, timeout, 1, &failed), expect);
    ASSERT_EQ((intptr_t)res[0], 5);
    ASSERT_EQ((intptr_t)res[1], 5);
    ASSERT_EQ(failed, 77);
    if (ex) ASSERT_EQ(weft_executor_thread_count(ex), 0); /* nothing was submitted */
}

TEST(Misuse_executor_map_null_executor)
{
    void *a[2] = { 0 };
    map_misuse(NULL, pow2_task, a, (void **)1, WEFT_FOREVER, WEFT_EINVAL);
}

TEST(Misuse_executor_map_null_fn)
{
    weft_executor *ex = mkexec(2);
    void *a[2] = { 0 };
    map_misuse(ex, NULL, a, (void **)1, WEFT_FOREVER, WEFT_EINVAL);
    weft_executor_destroy(ex);
}

TEST(Misuse_executor_map_null_args)
{
    weft_executor *ex = mkexec(2);
    map_misuse(ex, pow2_task, NULL, (void **)1, WEFT_FOREVER, WEFT_EINVAL);
    weft_executor_destroy(ex);
}

TEST(Misuse_executor_map_null_results)
{
    weft_executor *ex = mkexec(2);
    void *a[2] = { 0 };
    map_misuse(ex, pow2_task, a, NULL, WEFT_FOREVER, WEFT_EINVAL);
    weft_executor_destroy(ex);
}

TEST(Misuse_executor_map_timeout_too_big)
{
    weft_executor *ex = mkexec(2);
    void *a[2] = { 0 };
    map_misuse(ex, pow2_task, a, (void **)1, INFINITY, WEFT_EOVERFLOW);
    map_misuse(ex, pow2_task, a, (void **)1, WEFT_TIMEOUT_MAX * 4, WEFT_EOVERFLOW);
    weft_executor_destroy(ex);
}

TEST(Misuse_executor_shutdown_null)
{
    ASSERT_RC(weft_executor_shutdown(NULL, true, false), WEFT_EINVAL);
    weft_executor_destroy(NULL);
}

TEST(Misuse_executor_null_queries)
{
    ASSERT_EQ(weft_executor_max_workers(NULL), 0);
    ASSERT_EQ(weft_executor_thread_count(NULL), 0);
    ASSERT_FALSE(weft_executor_broken(NULL));
    ASSERT_FALSE(weft_executor_is_shutdown(NULL));
}

/* ---- stress -------------------------------------------------------------------------------- */

struct stress_cb {
    WEFT_ATOMIC(int) calls;
};

static void stress_cb_fn(weft_future *f, void *ud)
{
    atomic_fetch_add(&((struct stress_cb *)ud)->calls, 1);
}

static void *tiny_task(void *arg)
{
    if (((intptr_t)arg & 15) == 3) weft_fail(WEFT_EFAIL, "task %d failed", (int)(intptr_t)arg);
    return arg;
}

struct canceller {
    weft_future **fs;
    long n;
    unsigned seed;
};

static void cancel_randomly(void *arg, int index)
{
    struct canceller *c = arg;
    unsigned s = c->seed + (unsigned)index * 7919u;
    for (long i = 0; i < c->n; i++) {
        s = s * 1103515245u + 12345u;
        if ((s >> 16) % 3 == 0) weft_future_cancel(c->fs[i]);
    }
}

SLOW_TEST(ExecutorStress_random_cancels_and_shutdown)
{
    long n = weft_test_iters(10000);
    weft_executor *ex = mkexec(4);
    weft_future **fs = malloc((size_t)n * sizeof *fs);
    struct stress_cb *cbs = calloc((size_t)n, sizeof *cbs);
    ASSERT_TRUE(fs && cbs);
    long submitted = 0;
    struct canceller c = { fs, 0, 12345u };
    for (long i = 0; i < n; i++) {
        int rc = weft_executor_submit(ex, tiny_task, (void *)(intptr_t)i, &fs[i]);
        ASSERT_OK(rc);
        ASSERT_OK(weft_future_add_done_callback(fs[i], stress_cb_fn, &cbs[i]));
        submitted++;
    }
    c.n = submitted;
    weft_test_threads *t = weft_test_start(2, cancel_randomly, &c);
    ASSERT_OK(weft_executor_shutdown(ex, true, true));
    weft_test_join(t);
    long counts[5] = { 0 };
    for (long i = 0; i < submitted; i++) {
        int s = weft_future_state(fs[i]);
        /* Each future ends in exactly one terminal state. */
        ASSERT_TRUE(s == WEFT_FUTURE_CANCELLED || s == WEFT_FUTURE_CANCELLED_AND_NOTIFIED ||
                    s == WEFT_FUTURE_FINISHED);
        counts[s]++;
        ASSERT_EQ(atomic_load(&cbs[i].calls), 1);
        if (s == WEFT_FUTURE_FINISHED) {
            void *r;
            int rc = weft_future_result(fs[i], 0, &r);
            if ((i & 15) == 3) ASSERT_RC(rc, WEFT_ETASK);
            else {
                ASSERT_OK(rc);
                ASSERT_EQ((intptr_t)r, i);
            }
        }
        weft_future_unref(fs[i]);
    }
    ASSERT_EQ(counts[WEFT_FUTURE_CANCELLED] + counts[WEFT_FUTURE_CANCELLED_AND_NOTIFIED] +
                  counts[WEFT_FUTURE_FINISHED],
              submitted);
    weft_executor_destroy(ex);
    free(fs);
    free(cbs);
}

static weft_executor *shared_ex;
static void submitter(void *arg, int index)
{
    long n = *(long *)arg;
    for (long i = 0; i < n; i++) {
        weft_future *f;
        intptr_t v = index * 1000000 + i;
        ASSERT_OK(weft_executor_submit(shared_ex, abs_task, (void *)v, &f));
        void *r;
        ASSERT_OK(weft_future_result(f, WEFT_FOREVER, &r));
        ASSERT_EQ((intptr_t)r, v);
        weft_future_unref(f);
    }
}

SLOW_TEST(ExecutorStress_submit_result_many_threads)
{
    /* Several submitters share one pool; every result comes back right and the
     * pool never starts more than max_workers threads. */
    shared_ex = mkexec(3);
    long n = weft_test_iters(5000);
    weft_test_threads *t = weft_test_start(3, submitter, &n);
    weft_test_join(t);
    ASSERT_LE(weft_executor_thread_count(shared_ex), 3);
    weft_executor_destroy(shared_ex);
}
