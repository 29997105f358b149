/* SPDX-License-Identifier: MIT */
/* tests/test-execdbg.c: issue 8 (debuggability) for threads, futures and the
 * executor: thread records (weft__thread_tid and the ids debug.c hands out),
 * weft_join_all and weft_executor_shutdown_timeout with their reports, and the
 * deadlock cases through Thread.join and Future.result (two threads joining
 * each other, a task waiting for its own future, a max_workers=1 pool whose task
 * waits for a task queued behind it), with no false report when the wait can
 * still end (a free worker, a joined thread blocked on something else, a
 * timeout). None of this exists in Python: the names say what is checked. */
#include "harness.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal/debug.h"
#include "internal/future.h"
#include "weft/debug.h"
#include "weft/event.h"
#include "weft/futures.h"
#include "weft/thread.h"

/* ---- report capture ---------------------------------------------------------- */

/* A pthread mutex (not a weft object: the hook must not block on those), which
 * helgrind and drd understand. */
static pthread_mutex_t cap_lock = PTHREAD_MUTEX_INITIALIZER;
static char cap_buf[16384];
static size_t cap_len;
static atomic_int cap_count;

static void capture_hook(const char *report, void *arg)
{
    (void)arg;
    pthread_mutex_lock(&cap_lock);
    size_t n = strlen(report);
    if (n > sizeof cap_buf - 1 - cap_len) n = sizeof cap_buf - 1 - cap_len;
    memcpy(cap_buf + cap_len, report, n);
    cap_len += n;
    cap_buf[cap_len] = '\0';
    pthread_mutex_unlock(&cap_lock);
    atomic_fetch_add(&cap_count, 1);
}

static void capture_start(void)
{
    pthread_mutex_lock(&cap_lock);
    cap_len = 0;
    cap_buf[0] = '\0';
    pthread_mutex_unlock(&cap_lock);
    atomic_store(&cap_count, 0);
    weft_debug_set_report_hook(capture_hook, NULL);
}

static void capture_stop(void)
{
    weft_debug_set_report_hook(NULL, NULL);
}

static bool captured(const char *needle)
{
    pthread_mutex_lock(&cap_lock);
    bool found = strstr(cap_buf, needle) != NULL;
    pthread_mutex_unlock(&cap_lock);
    return found;
}

/* A FILE that collects what is written to it (weft_join_all / shutdown reports). */
struct memfile {
    FILE *f;
    char *text;
    size_t len;
};

static void mem_open(struct memfile *m)
{
    m->text = NULL;
    m->len = 0;
    m->f = open_memstream(&m->text, &m->len);
    ASSERT(m->f != NULL);
}

static const char *mem_close(struct memfile *m)
{
    fclose(m->f);
    m->f = NULL;
    return m->text ? m->text : "";
}

#define ASSERT_CONTAINS(hay, needle)                                              \
    do {                                                                          \
        const char *h_ = (hay), *n_ = (needle);                                   \
        if (!strstr(h_, n_))                                                      \
            weft_test_fail(__FILE__, __LINE__, "\"%s\" not in:\n%s", n_, h_);     \
    } while (0)

/* True once thread tid's dump line says it is blocked in `what`. */
static bool blocked_in(weft__tid tid, const char *what)
{
    struct memfile m;
    mem_open(&m);
    weft__dump_threads(m.f, &tid, 1);
    bool yes = strstr(mem_close(&m), what) != NULL;
    free(m.text);
    return yes;
}

static weft_thread *start_thread(weft_thread_fn fn, void *arg, const char *name,
                                 unsigned flags)
{
    weft_thread_attr a = { name, flags, 0 };
    weft_thread *t;
    ASSERT_OK(weft_thread_create(&t, fn, arg, &a));
    ASSERT_OK(weft_thread_start(t));
    return t;
}

/* ---- thread records ------------------------------------------------------------ */

struct idrec {
    weft_event ready, go;
    _Atomic weft__tid seen;
};

static void *report_me(void *arg)
{
    struct idrec *r = arg;
    atomic_store(&r->seen, weft__me());
    weft_event_set(&r->ready);
    weft_event_wait(&r->go, WEFT_FOREVER);
    return NULL;
}

TEST(thread_tid_is_the_threads_own_id_while_it_runs)
{
    struct idrec r;
    weft_event_init(&r.ready);
    weft_event_init(&r.go);
    atomic_store(&r.seen, 0);
    weft_thread *t;
    ASSERT_OK(weft_thread_create(&t, report_me, &r, NULL));
    ASSERT_EQ(weft__thread_tid(t), 0);              /* not started */
    ASSERT_OK(weft_thread_start(t));
    ASSERT_NE(weft__thread_tid(t), 0);              /* set before start returns */
    ASSERT_OK(weft_event_wait(&r.ready, WEFT_FOREVER));
    ASSERT_NE(atomic_load(&r.seen), 0);
    ASSERT_EQ(weft__thread_tid(t), atomic_load(&r.seen));
    ASSERT_NE(weft__thread_tid(t), weft__me());
    weft_event_set(&r.go);
    ASSERT_OK(weft_thread_join(t, WEFT_FOREVER));
    ASSERT_EQ(weft__thread_tid(t), 0);              /* finished */
    ASSERT_EQ(weft__thread_tid(NULL), 0);
    weft_thread_destroy(t);
    weft_event_destroy(&r.ready);
    weft_event_destroy(&r.go);
}

TEST(thread_records_carry_names_and_renames)
{
    struct idrec r;
    weft_event_init(&r.ready);
    weft_event_init(&r.go);
    weft_thread *t = start_thread(report_me, &r, "first-name", 0);
    ASSERT_OK(weft_event_wait(&r.ready, WEFT_FOREVER));
    char buf[256];
    weft__describe_tid(weft__thread_tid(t), buf, sizeof buf);
    ASSERT_CONTAINS(buf, "'first-name'");
    ASSERT_OK(weft_thread_set_name(t, "second-name"));
    weft__describe_tid(weft__thread_tid(t), buf, sizeof buf);
    ASSERT_CONTAINS(buf, "'second-name'");
    weft_event_set(&r.go);
    ASSERT_OK(weft_thread_join(t, WEFT_FOREVER));
    weft_thread_destroy(t);
    weft_event_destroy(&r.ready);
    weft_event_destroy(&r.go);
}

TEST(main_thread_record_is_the_main_threads_id)
{
    /* The harness runs each case in the process's main thread. */
    ASSERT_PTR_EQ(weft_current_thread(), weft_main_thread());
    ASSERT_NE(weft__thread_tid(weft_main_thread()), 0);
    ASSERT_EQ(weft__thread_tid(weft_main_thread()), weft__me());
    char buf[256];
    weft__describe_tid(weft__me(), buf, sizeof buf);
    ASSERT_CONTAINS(buf, "'MainThread'");
}

static _Atomic int dummy_ok;

static void dummy_body(void *arg, int index)
{
    (void)arg;
    (void)index;
    weft_thread *me = weft_current_thread();
    char buf[256];
    weft__describe_tid(weft__me(), buf, sizeof buf);
    if (me && weft__thread_tid(me) == weft__me() && weft__me() != 0
        && strstr(buf, "'Dummy-"))
        atomic_fetch_add(&dummy_ok, 1);
}

TEST(dummy_thread_record_is_the_foreign_threads_id)
{
    atomic_store(&dummy_ok, 0);
    weft_test_join(weft_test_start(2, dummy_body, NULL));
    ASSERT_EQ(atomic_load(&dummy_ok), 2);
}

/* ---- weft_join_all ------------------------------------------------------------- */

static void *short_body(void *arg)
{
    (void)arg;
    /* Keeps the thread alive a moment, so weft_join_all usually has a thread
     * to wait for. One that finished first is just as correct (join_all
     * returns, its report leaves it out): not for ordering. */
    weft_test_sleep(0.01);
    return NULL;
}

static void *wait_event_body(void *arg)
{
    weft_event_wait(arg, WEFT_FOREVER);
    return NULL;
}

/* Waits in Future.result on a user future (a wait this part of weft records). */
static _Atomic weft__tid body_tid;

static void *wait_future_body(void *arg)
{
    atomic_store(&body_tid, weft__me());
    weft_future_result(arg, WEFT_FOREVER, NULL);
    return arg;
}

TEST(join_all_returns_when_every_thread_finished)
{
    weft_thread *t[3];
    for (int i = 0; i < 3; i++) t[i] = start_thread(short_body, NULL, NULL, WEFT_THREAD_NON_DAEMON);
    ASSERT_OK(weft_join_all(10.0 * weft_test_factor(), stderr));
    for (int i = 0; i < 3; i++) {
        ASSERT_FALSE(weft_thread_is_alive(t[i]));
        weft_thread_destroy(t[i]);
    }
    ASSERT_OK(weft_join_all(WEFT_FOREVER, NULL));   /* nothing left: at once */
    ASSERT_OK(weft_join_all(0, NULL));
}

TEST(join_all_timeout_reports_the_threads_still_running)
{
    weft_future *gate;
    ASSERT_OK(weft_future_create(&gate));
    ASSERT_OK(weft_debug_name(gate, "the-gate"));
    weft_thread *stuck = start_thread(wait_future_body, gate, "stuck-on-future", WEFT_THREAD_NON_DAEMON);
    weft_thread *quick = start_thread(short_body, NULL, "quick-one", WEFT_THREAD_NON_DAEMON);
    WAIT_UNTIL(!weft_thread_is_alive(quick), 10.0);
    WAIT_UNTIL(blocked_in(weft__thread_tid(stuck), "blocked in Future.result"), 10.0);
    struct memfile m;
    mem_open(&m);
    double t0 = weft_test_now();
    ASSERT_RC(weft_join_all(0.2, m.f), WEFT_ETIMEDOUT);
    ASSERT_ELAPSED_AT_LEAST(t0, 0.2);
    ASSERT_ELAPSED_AT_MOST(t0, 5.0);
    const char *rep = mem_close(&m);
    ASSERT_CONTAINS(rep, "'stuck-on-future'");
    ASSERT_CONTAINS(rep, "non-daemon alive");
    ASSERT_CONTAINS(rep, "blocked in Future.result on 'the-gate'");
    ASSERT(strstr(rep, "quick-one") == NULL);
    ASSERT(strstr(rep, "MainThread") == NULL);     /* the caller is not waited for */
    free(m.text);
    ASSERT_TRUE(weft_thread_is_alive(stuck));
    /* a poll reports too, and does not wait */
    mem_open(&m);
    t0 = weft_test_now();
    ASSERT_RC(weft_join_all(0, m.f), WEFT_ETIMEDOUT);
    ASSERT_RC(weft_join_all(-3.0, NULL), WEFT_ETIMEDOUT);   /* negatives poll */
    ASSERT_RC(weft_join_all(-INFINITY, NULL), WEFT_ETIMEDOUT);
    ASSERT_ELAPSED_AT_MOST(t0, 2.0);
    rep = mem_close(&m);
    ASSERT_CONTAINS(rep, "'stuck-on-future'");
    ASSERT_CONTAINS(rep, "blocked in Future.result on 'the-gate'");
    free(m.text);
    ASSERT_OK(weft_future_set_result(gate, NULL));
    ASSERT_OK(weft_join_all(WEFT_FOREVER, NULL));
    ASSERT_FALSE(weft_thread_is_alive(stuck));
    weft_thread_destroy(stuck);
    weft_thread_destroy(quick);
    weft_future_unref(gate);
}

TEST(join_all_does_not_wait_for_daemon_threads)
{
    weft_event ev;
    weft_event_init(&ev);
    weft_thread *d = start_thread(wait_event_body, &ev, "daemon-one", WEFT_THREAD_DAEMON);
    double t0 = weft_test_now();
    ASSERT_OK(weft_join_all(WEFT_FOREVER, NULL));
    ASSERT_ELAPSED_AT_MOST(t0, 5.0);
    ASSERT_TRUE(weft_thread_is_alive(d));
    weft_event_set(&ev);
    ASSERT_OK(weft_thread_join(d, WEFT_FOREVER));
    weft_thread_destroy(d);
    weft_event_destroy(&ev);
}

/* Misuse matrix: each bad timeout returns its code and waits for nothing. */
TEST(join_all_misuse_nan_timeout)
{
    weft_event ev;
    weft_event_init(&ev);
    weft_thread *t = start_thread(wait_event_body, &ev, NULL, WEFT_THREAD_NON_DAEMON);
    struct memfile m;
    mem_open(&m);
    ASSERT_RC(weft_join_all(NAN, m.f), WEFT_EINVAL);
    ASSERT_STR_EQ(mem_close(&m), "");   /* no report */
    free(m.text);
    ASSERT_TRUE(weft_thread_is_alive(t));
    weft_event_set(&ev);
    ASSERT_OK(weft_thread_join(t, WEFT_FOREVER));
    weft_thread_destroy(t);
    weft_event_destroy(&ev);
}

TEST(join_all_misuse_too_large_timeout)
{
    weft_event ev;
    weft_event_init(&ev);
    weft_thread *t = start_thread(wait_event_body, &ev, NULL, WEFT_THREAD_NON_DAEMON);
    ASSERT_RC(weft_join_all(WEFT_TIMEOUT_MAX * 2, NULL), WEFT_EOVERFLOW);
    ASSERT_RC(weft_join_all(INFINITY, NULL), WEFT_EOVERFLOW);
    ASSERT_TRUE(weft_thread_is_alive(t));
    weft_event_set(&ev);
    ASSERT_OK(weft_thread_join(t, WEFT_FOREVER));
    weft_thread_destroy(t);
    weft_event_destroy(&ev);
}

/* ---- weft_executor_shutdown_timeout ---------------------------------------------- */

static weft_executor *mkexec(int workers, const char *prefix)
{
    weft_executor *ex;
    weft_executor_attr a = { 0 };
    a.max_workers = workers;
    a.thread_name_prefix = prefix;
    ASSERT_OK(weft_executor_create(&ex, &a));
    return ex;
}

static void *event_task(void *arg)
{
    weft_event_wait(arg, WEFT_FOREVER);
    return arg;
}

static void *quick_task(void *arg)
{
    return arg;
}

TEST(shutdown_timeout_ok_when_the_work_finishes)
{
    weft_executor *ex = mkexec(2, NULL);
    weft_future *f[4];
    for (int i = 0; i < 4; i++) ASSERT_OK(weft_executor_submit(ex, quick_task, NULL, &f[i]));
    ASSERT_OK(weft_executor_shutdown_timeout(ex, false, 10.0 * weft_test_factor(), stderr));
    ASSERT_TRUE(weft_executor_is_shutdown(ex));
    for (int i = 0; i < 4; i++) {
        ASSERT_TRUE(weft_future_done(f[i]));
        weft_future_unref(f[i]);
    }
    ASSERT_OK(weft_executor_shutdown_timeout(ex, false, 0, NULL));   /* repeatable */
    weft_executor_destroy(ex);
}

TEST(shutdown_timeout_reports_running_task_worker_and_queue)
{
    atomic_store(&body_tid, 0);
    weft_executor *ex = mkexec(1, "stuckpool");
    ASSERT_OK(weft_debug_name(ex, "the-pool"));
    weft_future *gate;
    ASSERT_OK(weft_future_create(&gate));
    ASSERT_OK(weft_debug_name(gate, "the-gate"));
    weft_future *f, *g;
    ASSERT_OK(weft_executor_submit(ex, wait_future_body, gate, &f));
    ASSERT_OK(weft_debug_name(f, "slow-task"));
    ASSERT_OK(weft_executor_submit(ex, quick_task, NULL, &g));
    WAIT_UNTIL(weft_future_running(f), 10.0);
    WAIT_UNTIL(atomic_load(&body_tid) != 0, 10.0);
    WAIT_UNTIL(blocked_in(atomic_load(&body_tid), "blocked in Future.result"), 10.0);
    struct memfile m;
    mem_open(&m);
    double t0 = weft_test_now();
    ASSERT_RC(weft_executor_shutdown_timeout(ex, false, 0.2, m.f), WEFT_ETIMEDOUT);
    ASSERT_ELAPSED_AT_LEAST(t0, 0.2);
    ASSERT_ELAPSED_AT_MOST(t0, 5.0);
    const char *rep = mem_close(&m);
    ASSERT_CONTAINS(rep, "'the-pool'");
    ASSERT_CONTAINS(rep, "1 of 1 worker still running");
    ASSERT_CONTAINS(rep, "task 'slow-task'");
    ASSERT_CONTAINS(rep, "on thread 'stuckpool_0'");
    ASSERT_CONTAINS(rep, "1 queued task not started");
    ASSERT_CONTAINS(rep, "blocked in Future.result on 'the-gate'");
    free(m.text);
    ASSERT_TRUE(weft_executor_is_shutdown(ex));
    ASSERT_RC(weft_executor_submit(ex, quick_task, NULL, &f), WEFT_ESHUTDOWN);
    ASSERT_FALSE(weft_future_done(g));            /* not cancelled: still queued */
    ASSERT_RC(weft_executor_shutdown_timeout(ex, false, 0, NULL), WEFT_ETIMEDOUT);
    ASSERT_OK(weft_future_set_result(gate, NULL));
    ASSERT_OK(weft_executor_shutdown_timeout(ex, false, WEFT_FOREVER, NULL));
    ASSERT_TRUE(weft_future_done(f));
    ASSERT_TRUE(weft_future_done(g));             /* the queued one ran */
    weft_future_unref(f);
    weft_future_unref(g);
    weft_future_unref(gate);
    weft_executor_destroy(ex);
}

TEST(shutdown_timeout_cancel_futures_cancels_the_queue)
{
    weft_executor *ex = mkexec(1, NULL);
    weft_event ev;
    weft_event_init(&ev);
    weft_future *f, *g;
    ASSERT_OK(weft_executor_submit(ex, event_task, &ev, &f));
    ASSERT_OK(weft_executor_submit(ex, quick_task, NULL, &g));
    WAIT_UNTIL(weft_future_running(f), 10.0);
    ASSERT_RC(weft_executor_shutdown_timeout(ex, true, 0.05, NULL), WEFT_ETIMEDOUT);
    ASSERT_TRUE(weft_future_cancelled(g));
    weft_event_set(&ev);
    ASSERT_OK(weft_executor_shutdown_timeout(ex, true, WEFT_FOREVER, NULL));
    weft_future_unref(f);
    weft_future_unref(g);
    weft_executor_destroy(ex);
    weft_event_destroy(&ev);
}

TEST(shutdown_timeout_misuse_null_executor)
{
    ASSERT_RC(weft_executor_shutdown_timeout(NULL, false, 1.0, NULL), WEFT_EINVAL);
}

/* A bad timeout changes nothing: the pool still takes work. */
static void check_unchanged(weft_executor *ex)
{
    ASSERT_FALSE(weft_executor_is_shutdown(ex));
    weft_future *f;
    ASSERT_OK(weft_executor_submit(ex, quick_task, (void *)7, &f));
    void *r;
    ASSERT_OK(weft_future_result(f, WEFT_FOREVER, &r));
    ASSERT_PTR_EQ(r, (void *)7);
    weft_future_unref(f);
}

TEST(shutdown_timeout_misuse_nan_timeout)
{
    weft_executor *ex = mkexec(1, NULL);
    ASSERT_RC(weft_executor_shutdown_timeout(ex, true, NAN, stderr), WEFT_EINVAL);
    check_unchanged(ex);
    weft_executor_destroy(ex);
}

TEST(shutdown_timeout_misuse_too_large_timeout)
{
    weft_executor *ex = mkexec(1, NULL);
    ASSERT_RC(weft_executor_shutdown_timeout(ex, true, WEFT_TIMEOUT_MAX * 2, stderr),
              WEFT_EOVERFLOW);
    ASSERT_RC(weft_executor_shutdown_timeout(ex, true, INFINITY, stderr), WEFT_EOVERFLOW);
    check_unchanged(ex);
    weft_executor_destroy(ex);
}

/* ---- deadlocks through Thread.join ----------------------------------------------- */

struct pair {
    weft_thread *t[2];
    weft_event go;
    _Atomic int started;
    _Atomic int rc[2];
    double timeout;
};

static void *join_other(struct pair *p, int me)
{
    atomic_fetch_add(&p->started, 1);
    weft_event_wait(&p->go, WEFT_FOREVER);
    atomic_store(&p->rc[me], weft_thread_join(p->t[1 - me], p->timeout));
    return NULL;
}

static void *join_other0(void *arg) { return join_other(arg, 0); }
static void *join_other1(void *arg) { return join_other(arg, 1); }

static void run_pair(struct pair *p, double timeout)
{
    weft_event_init(&p->go);
    atomic_store(&p->started, 0);
    atomic_store(&p->rc[0], 1);
    atomic_store(&p->rc[1], 1);
    p->timeout = timeout;
    weft_thread_attr a0 = { "joiner-A", 0, 0 }, a1 = { "joiner-B", 0, 0 };
    ASSERT_OK(weft_thread_create(&p->t[0], join_other0, p, &a0));
    ASSERT_OK(weft_thread_create(&p->t[1], join_other1, p, &a1));
    /* Both started before either joins (joining an unstarted thread is ESTATE). */
    ASSERT_OK(weft_thread_start(p->t[0]));
    ASSERT_OK(weft_thread_start(p->t[1]));
    WAIT_UNTIL(atomic_load(&p->started) == 2, 10.0);
    weft_event_set(&p->go);
}

static void end_pair(struct pair *p)
{
    ASSERT_OK(weft_thread_join(p->t[0], WEFT_FOREVER));
    ASSERT_OK(weft_thread_join(p->t[1], WEFT_FOREVER));
    weft_thread_destroy(p->t[0]);
    weft_thread_destroy(p->t[1]);
    weft_event_destroy(&p->go);
}

TEST(deadlock_two_threads_joining_each_other)
{
    ASSERT_OK(weft_deadlock_set_mode(WEFT_DEADLOCK_REPORT));
    capture_start();
    struct pair p;
    double t0 = weft_test_now();
    run_pair(&p, WEFT_FOREVER);
    /* One of them gets WEFT_EDEADLK and finishes, which ends the other's join. */
    WAIT_UNTIL(!weft_thread_is_alive(p.t[0]) && !weft_thread_is_alive(p.t[1]), 10.0);
    ASSERT_ELAPSED_AT_MOST(t0, 10.0);
    int r0 = atomic_load(&p.rc[0]), r1 = atomic_load(&p.rc[1]);
    ASSERT(r0 == WEFT_EDEADLK || r1 == WEFT_EDEADLK);
    ASSERT(r0 == WEFT_OK || r0 == WEFT_EDEADLK);
    ASSERT(r1 == WEFT_OK || r1 == WEFT_EDEADLK);
    ASSERT_GE(atomic_load(&cap_count), 1);
    ASSERT(captured("weft: deadlock detected"));
    ASSERT(captured("'joiner-A'"));
    ASSERT(captured("'joiner-B'"));
    ASSERT(captured("Thread.join"));
    capture_stop();
    end_pair(&p);
}

TEST(no_deadlock_report_for_joins_with_a_timeout)
{
    capture_start();
    struct pair p;
    double t0 = weft_test_now();
    run_pair(&p, 0.3);
    WAIT_UNTIL(!weft_thread_is_alive(p.t[0]) && !weft_thread_is_alive(p.t[1]), 10.0);
    ASSERT_ELAPSED_AT_LEAST(t0, 0.3);
    /* Each join timed out, or (the other one having timed out first) ended. */
    ASSERT(atomic_load(&p.rc[0]) == WEFT_ETIMEDOUT || atomic_load(&p.rc[1]) == WEFT_ETIMEDOUT);
    ASSERT(atomic_load(&p.rc[0]) != WEFT_EDEADLK && atomic_load(&p.rc[1]) != WEFT_EDEADLK);
    ASSERT_EQ(atomic_load(&cap_count), 0);
    capture_stop();
    end_pair(&p);
}

/* A foreign thread that ends a wait of `waiter` (an Event set or a future's
 * result) only once that wait has been blocked for a while: first it waits
 * until the dump shows `waiter` blocked in `what` (so the detector's checks do
 * run on that wait), then it lets several checks pass. */
struct later {
    _Atomic weft__tid *waiter;   /* 0 until the waiting thread stores its id */
    const char *what;
    weft_event *ev;
    weft_future *f;
};

static void end_wait_later(void *arg, int index)
{
    struct later *l = arg;
    (void)index;
    WAIT_UNTIL(blocked_in(atomic_load(l->waiter), l->what), 10.0);
    /* Lets several detector checks (50 ms, then doubling) run on the wait,
     * which is already blocked (above). A shorter sleep means fewer checks: it
     * can only miss a false report, never make one; not for ordering. */
    weft_test_sleep(0.5);
    if (l->ev) weft_event_set(l->ev);
    else weft_future_set_result(l->f, (void *)5);
}

TEST(no_deadlock_report_joining_a_thread_blocked_elsewhere)
{
    capture_start();
    weft_event ev;
    weft_event_init(&ev);
    weft_thread *t = start_thread(wait_event_body, &ev, "blocked-on-event", 0);
    double t0 = weft_test_now();
    ASSERT_RC(weft_thread_join(t, 0.2), WEFT_ETIMEDOUT);
    ASSERT_ELAPSED_AT_LEAST(t0, 0.2);
    /* Without a timeout the checks run (50 ms, then doubling) and find no cycle:
     * t waits on an Event, which is no edge. A foreign thread sets it later. */
    _Atomic weft__tid me = weft__me();
    struct later l = { &me, "blocked in Thread.join", &ev, NULL };
    weft_test_threads *helper = weft_test_start(1, end_wait_later, &l);
    ASSERT_OK(weft_thread_join(t, WEFT_FOREVER));
    weft_test_join(helper);
    ASSERT_EQ(atomic_load(&cap_count), 0);
    capture_stop();
    weft_thread_destroy(t);
    weft_event_destroy(&ev);
}

/* ---- deadlocks through Future.result ----------------------------------------------- */

struct nest {
    weft_executor *ex;
    weft_future *inner;
    _Atomic int rc;
    double elapsed;
    weft_event release;   /* the inner task waits on it (free-worker case) */
    bool inner_blocks;
    _Atomic weft__tid outer_tid;   /* the worker running outer_task */
};

static void *inner_task(void *arg)
{
    struct nest *n = arg;
    if (n->inner_blocks) weft_event_wait(&n->release, WEFT_FOREVER);
    return (void *)42;
}

static void *outer_task(void *arg)
{
    struct nest *n = arg;
    atomic_store(&n->outer_tid, weft__me());
    weft_future *f;
    if (weft_executor_submit(n->ex, inner_task, n, &f) != WEFT_OK) {
        atomic_store(&n->rc, -1000);
        return NULL;
    }
    weft_debug_name(f, "inner-task");
    n->inner = f;
    double t0 = weft_test_now();
    void *r = NULL;
    int rc = weft_future_result(f, WEFT_FOREVER, &r);
    n->elapsed = weft_test_now() - t0;
    if (rc == WEFT_OK && r != (void *)42) rc = -2000;
    atomic_store(&n->rc, rc);
    return n;
}

TEST(deadlock_pool_worker_waits_for_a_task_queued_behind_it)
{
    ASSERT_OK(weft_deadlock_set_mode(WEFT_DEADLOCK_REPORT));
    capture_start();
    struct nest n = { 0 };
    n.ex = mkexec(1, "nestpool");
    ASSERT_OK(weft_debug_name(n.ex, "one-worker-pool"));
    atomic_store(&n.rc, 1);
    weft_future *outer;
    ASSERT_OK(weft_executor_submit(n.ex, outer_task, &n, &outer));
    ASSERT_OK(weft_debug_name(outer, "outer-task"));
    void *r;
    ASSERT_OK(weft_future_result(outer, 30.0 * weft_test_factor(), &r));
    ASSERT_PTR_EQ(r, &n);
    ASSERT_RC(atomic_load(&n.rc), WEFT_EDEADLK);
    ASSERT(n.elapsed <= 10.0 * weft_test_factor());
    ASSERT_EQ(atomic_load(&cap_count), 1);
    ASSERT(captured("weft: deadlock detected"));
    ASSERT(captured("'nestpool_0'"));          /* the worker */
    ASSERT(captured("'inner-task'"));          /* the future */
    ASSERT(captured("Future.result"));
    ASSERT(captured("returns WEFT_EDEADLK"));
    /* The inner task runs once the outer one gave up. */
    ASSERT_OK(weft_future_result(n.inner, 30.0 * weft_test_factor(), &r));
    ASSERT_PTR_EQ(r, (void *)42);
    capture_stop();
    weft_future_unref(n.inner);
    weft_future_unref(outer);
    weft_executor_destroy(n.ex);
}

TEST(no_deadlock_report_when_the_pool_has_a_free_worker)
{
    capture_start();
    struct nest n = { 0 };
    n.ex = mkexec(2, "freepool");
    n.inner_blocks = true;
    weft_event_init(&n.release);
    atomic_store(&n.rc, 1);
    weft_future *outer;
    ASSERT_OK(weft_executor_submit(n.ex, outer_task, &n, &outer));
    /* Let the outer task wait through several checks while the inner one runs
     * on the second worker, blocked on an Event that a helper sets later. */
    struct later l = { &n.outer_tid, "blocked in Future.result", &n.release, NULL };
    weft_test_threads *helper = weft_test_start(1, end_wait_later, &l);
    void *r;
    ASSERT_OK(weft_future_result(outer, 30.0 * weft_test_factor(), &r));
    weft_test_join(helper);
    ASSERT_RC(atomic_load(&n.rc), WEFT_OK);
    ASSERT_EQ(atomic_load(&cap_count), 0);
    capture_stop();
    weft_future_unref(n.inner);
    weft_future_unref(outer);
    weft_executor_destroy(n.ex);
    weft_event_destroy(&n.release);
}

struct own {
    weft_event ready;
    weft_future *self;
    _Atomic int rc;
};

static void *wait_own_future(void *arg)
{
    struct own *o = arg;
    weft_event_wait(&o->ready, WEFT_FOREVER);
    atomic_store(&o->rc, weft_future_result(o->self, WEFT_FOREVER, NULL));
    return NULL;
}

TEST(deadlock_task_waits_for_its_own_future)
{
    ASSERT_OK(weft_deadlock_set_mode(WEFT_DEADLOCK_REPORT));
    capture_start();
    weft_executor *ex = mkexec(2, "ownpool");
    struct own o;
    weft_event_init(&o.ready);
    atomic_store(&o.rc, 1);
    ASSERT_OK(weft_executor_submit(ex, wait_own_future, &o, &o.self));
    ASSERT_OK(weft_debug_name(o.self, "self-waiting-task"));
    weft_event_set(&o.ready);
    ASSERT_OK(weft_future_result(o.self, 30.0 * weft_test_factor(), NULL));
    ASSERT_RC(atomic_load(&o.rc), WEFT_EDEADLK);
    ASSERT(captured("'self-waiting-task'"));
    ASSERT(captured("'ownpool_0'"));
    capture_stop();
    weft_future_unref(o.self);
    weft_executor_destroy(ex);
    weft_event_destroy(&o.ready);
}

TEST(no_deadlock_report_for_a_user_future)
{
    /* A future made with weft_future_create can be finished by any thread:
     * waiting for it is never part of a cycle, even while it is RUNNING. */
    capture_start();
    weft_future *f;
    ASSERT_OK(weft_future_create(&f));
    ASSERT_OK(weft_future_set_running_or_notify_cancel(f));
    _Atomic weft__tid me = weft__me();
    struct later l = { &me, "blocked in Future.result", NULL, f };
    weft_test_threads *helper = weft_test_start(1, end_wait_later, &l);
    void *r;
    ASSERT_OK(weft_future_result(f, WEFT_FOREVER, &r));
    ASSERT_PTR_EQ(r, (void *)5);
    weft_test_join(helper);
    ASSERT_EQ(atomic_load(&cap_count), 0);
    capture_stop();
    weft_future_unref(f);
}

/* Both workers of a full two-worker pool wait for tasks queued behind them. */
struct full {
    weft_executor *ex;
    _Atomic int running;
    _Atomic int rc[2];
    _Atomic int next;
    weft_future *inner[2];
};

static void *full_outer(void *arg)
{
    struct full *p = arg;
    int me = atomic_fetch_add(&p->next, 1);
    atomic_fetch_add(&p->running, 1);
    while (atomic_load(&p->running) < 2) weft_test_sleep(0.001);   /* both busy */
    if (weft_executor_submit(p->ex, quick_task, (void *)42, &p->inner[me]) != WEFT_OK) {
        atomic_store(&p->rc[me], -1000);
        return NULL;
    }
    atomic_store(&p->rc[me], weft_future_result(p->inner[me], WEFT_FOREVER, NULL));
    return NULL;
}

TEST(deadlock_full_pool_every_worker_waits_for_queued_work)
{
    ASSERT_OK(weft_deadlock_set_mode(WEFT_DEADLOCK_REPORT));
    capture_start();
    struct full p;
    memset(&p, 0, sizeof p);
    p.ex = mkexec(2, "fullpool");
    atomic_store(&p.rc[0], 1);
    atomic_store(&p.rc[1], 1);
    weft_future *o[2];
    ASSERT_OK(weft_executor_submit(p.ex, full_outer, &p, &o[0]));
    ASSERT_OK(weft_executor_submit(p.ex, full_outer, &p, &o[1]));
    for (int i = 0; i < 2; i++) ASSERT_OK(weft_future_result(o[i], 30.0 * weft_test_factor(), NULL));
    int r0 = atomic_load(&p.rc[0]), r1 = atomic_load(&p.rc[1]);
    /* At least one gave up; once it did, its worker ran the queued tasks. */
    ASSERT(r0 == WEFT_EDEADLK || r1 == WEFT_EDEADLK);
    ASSERT(r0 == WEFT_OK || r0 == WEFT_EDEADLK);
    ASSERT(r1 == WEFT_OK || r1 == WEFT_EDEADLK);
    /* The report follows one path of the cycle: a worker of the pool waiting in
     * Future.result for a task only the pool's (busy) workers can run. */
    ASSERT(captured("Future.result"));
    ASSERT(captured("'fullpool_"));
    capture_stop();
    for (int i = 0; i < 2; i++) {
        weft_future_unref(p.inner[i]);
        weft_future_unref(o[i]);
    }
    weft_executor_destroy(p.ex);
}

/* A thread shuts a pool down (wait) while the pool's task joins that thread. */
struct sdl {
    weft_executor *ex;
    weft_thread *closer;
    weft_event go;
    _Atomic int task_rc, shutdown_rc;
};

static void *join_closer_task(void *arg)
{
    struct sdl *d = arg;
    weft_event_wait(&d->go, WEFT_FOREVER);
    atomic_store(&d->task_rc, weft_thread_join(d->closer, WEFT_FOREVER));
    return NULL;
}

static void *closer_body(void *arg)
{
    struct sdl *d = arg;
    weft_future *f;
    if (weft_executor_submit(d->ex, join_closer_task, d, &f) != WEFT_OK) return NULL;
    weft_event_set(&d->go);
    atomic_store(&d->shutdown_rc, weft_executor_shutdown(d->ex, true, false));
    weft_future_unref(f);
    return NULL;
}

TEST(deadlock_shutdown_wait_while_a_task_joins_the_caller)
{
    ASSERT_OK(weft_deadlock_set_mode(WEFT_DEADLOCK_REPORT));
    capture_start();
    struct sdl d;
    d.ex = mkexec(1, "sdpool");
    weft_event_init(&d.go);
    atomic_store(&d.task_rc, 1);
    atomic_store(&d.shutdown_rc, 1);
    weft_thread_attr a = { "closer", 0, 0 };
    ASSERT_OK(weft_thread_create(&d.closer, closer_body, &d, &a));
    ASSERT_OK(weft_thread_start(d.closer));
    ASSERT_OK(weft_thread_join(d.closer, 30.0 * weft_test_factor()));
    /* Either the closer's shutdown or the task's join was the wait that gave up;
     * after the closer finished the task's join ended too. */
    ASSERT_OK(weft_executor_shutdown_timeout(d.ex, false, 30.0 * weft_test_factor(), stderr));
    int tr = atomic_load(&d.task_rc), sr = atomic_load(&d.shutdown_rc);
    ASSERT(tr == WEFT_EDEADLK || sr == WEFT_EDEADLK);
    ASSERT(tr == WEFT_OK || tr == WEFT_EDEADLK);
    ASSERT(sr == WEFT_OK || sr == WEFT_EDEADLK);
    ASSERT(captured("'closer'") && captured("'sdpool_0'"));
    capture_stop();
    weft_thread_destroy(d.closer);
    weft_executor_destroy(d.ex);
    weft_event_destroy(&d.go);
}

/* ---- more report and record cases ------------------------------------------------ */

/* More weft threads than join_all_report's on-stack id array (64) hold: the
 * report still names every one of them. */
#define MANY_THREADS 70

TEST(join_all_report_names_more_threads_than_fit_on_the_stack)
{
    weft_event ev;
    weft_event_init(&ev);
    weft_thread *t[MANY_THREADS];
    for (int i = 0; i < MANY_THREADS; i++) {
        char name[32];
        snprintf(name, sizeof name, "many-%d", i);
        t[i] = start_thread(wait_event_body, &ev, name, WEFT_THREAD_NON_DAEMON);
    }
    struct memfile m;
    mem_open(&m);
    ASSERT_RC(weft_join_all(0, m.f), WEFT_ETIMEDOUT);
    const char *rep = mem_close(&m);
    for (int i = 0; i < MANY_THREADS; i++) {
        char name[32];
        snprintf(name, sizeof name, "'many-%d'", i);
        ASSERT_CONTAINS(rep, name);
    }
    free(m.text);
    weft_event_set(&ev);
    ASSERT_OK(weft_join_all(WEFT_FOREVER, NULL));
    for (int i = 0; i < MANY_THREADS; i++) {
        ASSERT_FALSE(weft_thread_is_alive(t[i]));
        weft_thread_destroy(t[i]);
    }
    weft_event_destroy(&ev);
}

/* weft_join_all called by a weft thread waits for the others, not for itself,
 * and never for a dummy thread (a foreign thread that asked for its record). */
struct ja {
    weft_event dummy_go, other_go;
    _Atomic int dummy_ready;
    _Atomic int rc;
};

static void dummy_waits(void *arg, int index)
{
    (void)index;
    struct ja *j = arg;
    if (weft_current_thread()) atomic_store(&j->dummy_ready, 1);
    weft_event_wait(&j->dummy_go, WEFT_FOREVER);
}

static void *join_all_body(void *arg)
{
    struct ja *j = arg;
    atomic_store(&j->rc, weft_join_all(WEFT_FOREVER, NULL));
    return NULL;
}

TEST(join_all_from_a_weft_thread_skips_itself_and_dummy_threads)
{
    struct ja j;
    weft_event_init(&j.dummy_go);
    weft_event_init(&j.other_go);
    atomic_store(&j.dummy_ready, 0);
    atomic_store(&j.rc, 1);
    weft_test_threads *dummy = weft_test_start(1, dummy_waits, &j);
    WAIT_UNTIL(atomic_load(&j.dummy_ready), 10.0);
    /* the dummy is alive and not waited for */
    ASSERT_OK(weft_join_all(WEFT_FOREVER, NULL));
    weft_thread *other = start_thread(wait_event_body, &j.other_go, "other", WEFT_THREAD_NON_DAEMON);
    weft_thread *joiner = start_thread(join_all_body, &j, "joiner", WEFT_THREAD_NON_DAEMON);
    WAIT_UNTIL(blocked_in(weft__thread_tid(joiner), "Thread.join"), 10.0);
    ASSERT_EQ(atomic_load(&j.rc), 1);                 /* still waiting for 'other' */
    weft_event_set(&j.other_go);
    ASSERT_OK(weft_thread_join(joiner, WEFT_FOREVER));
    ASSERT_OK(atomic_load(&j.rc));                    /* it did not wait for itself */
    ASSERT_FALSE(weft_thread_is_alive(other));
    weft_event_set(&j.dummy_go);
    weft_test_join(dummy);
    weft_thread_destroy(other);
    weft_thread_destroy(joiner);
    weft_event_destroy(&j.dummy_go);
    weft_event_destroy(&j.other_go);
}

TEST(thread_records_rename_the_main_thread)
{
    /* MainThread's name is not a heap copy; renaming it twice keeps it right. */
    char buf[256];
    ASSERT_OK(weft_thread_set_name(weft_main_thread(), "main-renamed"));
    weft__describe_tid(weft__me(), buf, sizeof buf);
    ASSERT_CONTAINS(buf, "'main-renamed'");
    ASSERT_STR_EQ(weft_thread_name(weft_main_thread()), "main-renamed");
    ASSERT_OK(weft_thread_set_name(weft_main_thread(), "MainThread"));
    weft__describe_tid(weft__me(), buf, sizeof buf);
    ASSERT_CONTAINS(buf, "'MainThread'");
}

/* More workers than shutdown_report's on-stack id array (32) holds, several
 * queued tasks: every running task is reported. */
#define BIG_POOL 34

TEST(shutdown_timeout_report_for_a_pool_bigger_than_the_stack_array)
{
    weft_executor *ex = mkexec(BIG_POOL, "bigpool");
    weft_event ev;
    weft_event_init(&ev);
    weft_future *f[BIG_POOL + 2];
    for (int i = 0; i < BIG_POOL + 2; i++) {
        ASSERT_OK(weft_executor_submit(ex, event_task, &ev, &f[i]));
        char name[32];
        snprintf(name, sizeof name, "big-task-%d", i);
        ASSERT_OK(weft_debug_name(f[i], name));
    }
    for (int i = 0; i < BIG_POOL; i++) WAIT_UNTIL(weft_future_running(f[i]), 10.0);
    struct memfile m;
    mem_open(&m);
    ASSERT_RC(weft_executor_shutdown_timeout(ex, false, 0.05, m.f), WEFT_ETIMEDOUT);
    const char *rep = mem_close(&m);
    char line[96];
    snprintf(line, sizeof line, "%d of %d workers still running", BIG_POOL, BIG_POOL);
    ASSERT_CONTAINS(rep, line);
    ASSERT_CONTAINS(rep, "2 queued tasks not started");
    for (int i = 0; i < BIG_POOL; i++) {
        char name[40];
        snprintf(name, sizeof name, "task 'big-task-%d'", i);
        ASSERT_CONTAINS(rep, name);
    }
    ASSERT(strstr(rep, "'big-task-34'") == NULL);   /* queued ones are not running */
    free(m.text);
    weft_event_set(&ev);
    ASSERT_OK(weft_executor_shutdown_timeout(ex, false, WEFT_FOREVER, NULL));
    for (int i = 0; i < BIG_POOL + 2; i++) {
        ASSERT_TRUE(weft_future_done(f[i]));
        weft_future_unref(f[i]);
    }
    weft_executor_destroy(ex);
    weft_event_destroy(&ev);
}

/* A task shuts its own pool down with a timeout: it does not wait for its own
 * worker, and the report leaves that worker out. */
struct selfsd {
    weft_executor *ex;
    FILE *report;
    _Atomic int rc;
};

static void *shutdown_own_pool(void *arg)
{
    struct selfsd *s = arg;
    atomic_store(&s->rc, weft_executor_shutdown_timeout(s->ex, false, 0.1, s->report));
    return NULL;
}

TEST(shutdown_timeout_from_a_task_of_the_pool)
{
    weft_executor *ex = mkexec(2, "selfpool");
    weft_event ev;
    weft_event_init(&ev);
    weft_future *a, *s;
    ASSERT_OK(weft_executor_submit(ex, event_task, &ev, &a));
    ASSERT_OK(weft_debug_name(a, "blocked-task"));
    WAIT_UNTIL(weft_future_running(a), 10.0);
    struct selfsd sd;
    sd.ex = ex;
    atomic_store(&sd.rc, 1);
    struct memfile m;
    mem_open(&m);
    sd.report = m.f;
    ASSERT_OK(weft_executor_submit(ex, shutdown_own_pool, &sd, &s));   /* second worker */
    ASSERT_OK(weft_future_result(s, 30.0 * weft_test_factor(), NULL));
    ASSERT_RC(atomic_load(&sd.rc), WEFT_ETIMEDOUT);   /* 'blocked-task' still runs */
    const char *rep = mem_close(&m);
    ASSERT_CONTAINS(rep, "1 of 2 workers still running");
    ASSERT_CONTAINS(rep, "task 'blocked-task'");
    ASSERT(strstr(rep, "queued") == NULL);
    free(m.text);
    weft_event_set(&ev);
    ASSERT_OK(weft_executor_shutdown_timeout(ex, false, WEFT_FOREVER, NULL));
    ASSERT_TRUE(weft_future_done(a));
    weft_future_unref(a);
    weft_future_unref(s);
    weft_executor_destroy(ex);
    weft_event_destroy(&ev);
}

static void *my_name_task(void *arg)
{
    (void)arg;
    return strdup(weft_thread_name(weft_current_thread()));
}

static char *worker_name_with_prefix(const char *prefix)
{
    weft_executor *ex = mkexec(1, prefix);
    weft_future *f;
    ASSERT_OK(weft_executor_submit(ex, my_name_task, NULL, &f));
    void *r = NULL;
    ASSERT_OK(weft_future_result(f, WEFT_FOREVER, &r));
    ASSERT(r != NULL);
    weft_future_unref(f);
    ASSERT_OK(weft_executor_shutdown(ex, true, false));
    weft_executor_destroy(ex);
    return r;
}

TEST(executor_long_prefix_names_workers_in_full)
{
    char prefix[200], want[210];
    memset(prefix, 'p', sizeof prefix - 1);
    prefix[sizeof prefix - 1] = '\0';
    snprintf(want, sizeof want, "%s_0", prefix);
    char *name = worker_name_with_prefix(prefix);
    ASSERT_STR_EQ(name, want);
    free(name);
}

TEST(executor_empty_prefix_means_the_default_name)
{
    char *name = worker_name_with_prefix("");
    ASSERT(strncmp(name, "ThreadPoolExecutor-", strlen("ThreadPoolExecutor-")) == 0);
    ASSERT(strstr(name, "_0") != NULL);
    free(name);
}

/* ---- weft__future_blockers: who can finish a future --------------------------- */

static _Atomic weft__tid task_tid;

static void *tid_then_wait(void *arg)
{
    atomic_store(&task_tid, weft__me());
    weft_event_wait(arg, WEFT_FOREVER);
    return NULL;
}

TEST(future_blockers_running_and_queued_in_a_full_pool)
{
    atomic_store(&task_tid, 0);
    weft_executor *ex = mkexec(1, "blkpool");
    weft_event ev;
    weft_event_init(&ev);
    weft_future *a, *b;
    ASSERT_OK(weft_executor_submit(ex, tid_then_wait, &ev, &a));
    WAIT_UNTIL(atomic_load(&task_tid) != 0, 10.0);
    WAIT_UNTIL(weft_future_running(a), 10.0);
    weft__tid w = atomic_load(&task_tid);
    weft__tid out[4] = { 0 };
    /* running: its runner */
    ASSERT_EQ(weft__future_blockers(a, out, 4), 1);
    ASSERT_EQ(out[0], w);
    ASSERT_EQ(weft__future_blockers(a, out, 0), -1);   /* no room: unknown */
    /* queued in a full pool: every worker of the pool */
    ASSERT_OK(weft_executor_submit(ex, quick_task, NULL, &b));
    out[0] = 0;
    ASSERT_EQ(weft__future_blockers(b, out, 4), 1);
    ASSERT_EQ(out[0], w);
    ASSERT_EQ(weft__future_blockers(b, out, 0), -1);   /* more workers than room */
    /* A pool that can still start a worker could run it: nobody blocks it. This
     * state only lasts a moment in a real pool (a submit that queues work either
     * wakes or starts a worker), so the test raises the pool's limit in place. */
    struct weft__pool_dbg *pd = atomic_load(&b->pool);
    ASSERT(pd != NULL);
    atomic_store(&pd->max_workers, 2);
    ASSERT_EQ(weft__future_blockers(b, out, 4), -1);
    atomic_store(&pd->max_workers, 1);
    ASSERT_EQ(weft__future_blockers(b, out, 4), 1);
    weft_event_set(&ev);
    ASSERT_OK(weft_future_result(b, WEFT_FOREVER, NULL));
    ASSERT_EQ(weft__future_blockers(a, out, 4), -1);   /* finished */
    ASSERT_EQ(weft__future_blockers(b, out, 4), -1);
    ASSERT_EQ(weft__future_blockers(NULL, out, 4), -1);
    ASSERT_OK(weft_executor_shutdown(ex, true, false));
    weft_future_unref(a);
    weft_future_unref(b);
    weft_executor_destroy(ex);
    weft_event_destroy(&ev);
}

/* A worker still in its initializer counts as free: it is about to take the
 * queued task, so nothing blocks that task. */
static int init_waits(void *arg)
{
    weft_event_wait(arg, WEFT_FOREVER);
    return 0;
}

TEST(future_blockers_queued_with_a_worker_not_running_a_task)
{
    weft_event ev;
    weft_event_init(&ev);
    weft_executor *ex;
    weft_executor_attr at = { 0 };
    at.max_workers = 1;
    at.initializer = init_waits;
    at.initarg = &ev;
    ASSERT_OK(weft_executor_create(&ex, &at));
    weft_future *f;
    ASSERT_OK(weft_executor_submit(ex, quick_task, (void *)3, &f));
    ASSERT_EQ(weft_executor_thread_count(ex), 1u);
    weft__tid out[4];
    ASSERT_FALSE(weft_future_done(f));
    ASSERT_EQ(weft__future_blockers(f, out, 4), -1);
    weft_event_set(&ev);
    void *r;
    ASSERT_OK(weft_future_result(f, WEFT_FOREVER, &r));
    ASSERT_PTR_EQ(r, (void *)3);
    weft_future_unref(f);
    weft_executor_destroy(ex);
    weft_event_destroy(&ev);
}

TEST(future_blockers_user_future)
{
    weft_future *f;
    ASSERT_OK(weft_future_create(&f));
    weft__tid out[4];
    ASSERT_EQ(weft__future_blockers(f, out, 4), -1);   /* pending, no pool */
    ASSERT_OK(weft_future_set_running_or_notify_cancel(f));
    ASSERT_EQ(weft__future_blockers(f, out, 4), -1);   /* running, no runner */
    ASSERT_OK(weft_future_set_result(f, NULL));
    ASSERT_EQ(weft__future_blockers(f, out, 4), -1);
    weft_future_unref(f);
}

/* A worker that already exited (it was idle at shutdown) is counted but not
 * reported as running. */
TEST(shutdown_timeout_report_leaves_out_a_worker_that_exited)
{
    weft_executor *ex = mkexec(2, "halfpool");
    weft_event ev;
    weft_event_init(&ev);
    weft_future *a, *b;
    ASSERT_OK(weft_executor_submit(ex, event_task, &ev, &a));
    ASSERT_OK(weft_debug_name(a, "held-task"));
    WAIT_UNTIL(weft_future_running(a), 10.0);
    ASSERT_OK(weft_executor_submit(ex, quick_task, NULL, &b));   /* a second worker */
    ASSERT_OK(weft_future_result(b, WEFT_FOREVER, NULL));
    ASSERT_EQ(weft_executor_thread_count(ex), 2u);
    size_t before = weft_active_count();
    /* Shut down without waiting: the idle worker exits, the busy one cannot. */
    ASSERT_OK(weft_executor_shutdown(ex, false, false));
    WAIT_UNTIL(weft_active_count() == before - 1, 10.0);
    struct memfile m;
    mem_open(&m);
    ASSERT_RC(weft_executor_shutdown_timeout(ex, false, 0.05, m.f), WEFT_ETIMEDOUT);
    const char *rep = mem_close(&m);
    ASSERT_CONTAINS(rep, "1 of 2 workers still running");
    ASSERT_CONTAINS(rep, "task 'held-task'");
    ASSERT_CONTAINS(rep, "'halfpool_0'");
    ASSERT(strstr(rep, "'halfpool_1'") == NULL);
    free(m.text);
    weft_event_set(&ev);
    ASSERT_OK(weft_executor_shutdown_timeout(ex, false, WEFT_FOREVER, NULL));
    weft_future_unref(a);
    weft_future_unref(b);
    weft_executor_destroy(ex);
    weft_event_destroy(&ev);
}

/* shutdown(wait=true) from the pool's only worker does not join that worker. */
struct selfwait {
    weft_executor *ex;
    _Atomic int rc;
};

static void *shutdown_wait_own_pool(void *arg)
{
    struct selfwait *s = arg;
    atomic_store(&s->rc, weft_executor_shutdown(s->ex, true, false));
    return NULL;
}

TEST(shutdown_wait_from_the_pools_only_worker_returns)
{
    ASSERT_OK(weft_deadlock_set_mode(WEFT_DEADLOCK_REPORT));
    capture_start();
    struct selfwait s;
    s.ex = mkexec(1, "lonepool");
    atomic_store(&s.rc, 1);
    weft_future *f;
    ASSERT_OK(weft_executor_submit(s.ex, shutdown_wait_own_pool, &s, &f));
    ASSERT_OK(weft_future_result(f, 30.0 * weft_test_factor(), NULL));
    ASSERT_OK(atomic_load(&s.rc));
    ASSERT_TRUE(weft_executor_is_shutdown(s.ex));
    ASSERT_EQ(atomic_load(&cap_count), 0);   /* no deadlock reported */
    capture_stop();
    ASSERT_OK(weft_executor_shutdown(s.ex, true, false));
    weft_future_unref(f);
    weft_executor_destroy(s.ex);
}

/* ---- odds and ends of the same files ------------------------------------------- */

TEST(future_exception_outputs_are_optional_and_a_null_message_reads_empty)
{
    weft_future *f;
    ASSERT_OK(weft_future_create(&f));
    ASSERT_OK(weft_future_set_exception(f, WEFT_EFAIL, NULL));
    int code = 0;
    const char *msg = NULL;
    ASSERT_OK(weft_future_exception(f, 0, &code, &msg));
    ASSERT_EQ(code, WEFT_EFAIL);
    ASSERT(msg != NULL);
    ASSERT_STR_EQ(msg, "");
    ASSERT_OK(weft_future_exception(f, 0, NULL, NULL));
    ASSERT_RC(weft_future_result(f, 0, NULL), WEFT_ETASK);
    weft_future_unref(f);
}

TEST(thread_result_and_failure_of_the_main_thread_and_a_null_message)
{
    void *r = (void *)1;
    ASSERT_RC(weft_thread_result(weft_main_thread(), &r), WEFT_ESTATE);
    ASSERT_PTR_EQ(r, (void *)1);
    ASSERT_RC(weft_thread_failure(weft_main_thread(), NULL), WEFT_ESTATE);
    weft_thread *t = start_thread(quick_task, (void *)9, NULL, 0);
    ASSERT_OK(weft_thread_join(t, WEFT_FOREVER));
    ASSERT_OK(weft_thread_failure(t, NULL));
    ASSERT_OK(weft_thread_result(t, &r));
    ASSERT_PTR_EQ(r, (void *)9);
    weft_thread_destroy(t);
}

TEST(executor_map_chunksize_zero_means_one_and_broken_null)
{
    ASSERT_FALSE(weft_executor_broken(NULL));
    weft_executor *ex = mkexec(2, NULL);
    void *args[3] = { (void *)1, (void *)2, (void *)3 }, *res[3] = { 0 };
    ASSERT_OK(weft_executor_map(ex, quick_task, args, 3, res, WEFT_FOREVER, 0, NULL));
    for (int i = 0; i < 3; i++) ASSERT_PTR_EQ(res[i], args[i]);
    ASSERT_FALSE(weft_executor_broken(ex));
    ASSERT_OK(weft_executor_shutdown(ex, true, false));
    res[0] = NULL;
    ASSERT_RC(weft_executor_map(ex, quick_task, args, 3, res, WEFT_FOREVER, 1, NULL),
              WEFT_ESHUTDOWN);
    ASSERT_PTR_EQ(res[0], NULL);
    weft_executor_destroy(ex);
}
