/* SPDX-License-Identifier: MIT */
/* test-timer.c: weft_timer.
 *
 * Conformance: CPython 3.13 Lib/test/test_threading.py TimerTests (its one case,
 * test_init_immutable_default_args), plus the Thread rules a Timer inherits
 * (start twice, join before start, join self, daemon after start) and the
 * documented Timer behaviour (cancel before start, cancel while waiting, cancel
 * while the function runs, interval rules). Cases that do not apply to C:
 *   - the mutable-default-args half of test_init_immutable_default_args (C has
 *     no shared default list); its C counterpart checks each timer calls the
 *     function with its own argument.
 * Beyond Python: many pending timers need no thread each; a slow function does
 * not delay other timers; the exit rule for non-daemon and daemon timers,
 * checked in forked children.
 */
#include "harness.h"

#include <errno.h>
#include <stdatomic.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- helpers ---------------------------------------------------------------- */

struct spy {
    weft_event called;
    _Atomic int calls;
    _Atomic(void *) args[4];
};

static void spy_fn(void *arg)
{
    struct spy *s = *(struct spy **)arg;
    int i = atomic_fetch_add(&s->calls, 1);
    if (i < 4) atomic_store(&s->args[i], arg);
    ASSERT_OK(weft_event_set(&s->called));
}

static _Atomic int counter_calls;
static void count_fn(void *arg)
{
    (void)arg;
    atomic_fetch_add(&counter_calls, 1);
}

static weft_timer *make(double interval, weft_timer_fn fn, void *arg)
{
    weft_timer *t = NULL;
    ASSERT_OK(weft_timer_create(&t, interval, fn, arg, NULL));
    ASSERT(t != NULL);
    return t;
}

/* ---- TimerTests ---------------------------------------------------------------- */

TEST(TimerTests_test_init_immutable_default_args)
{
    struct spy s;
    memset(&s, 0, sizeof s);
    struct spy *a1 = &s, *a2 = &s;       /* two distinct argument objects */
    weft_timer *t1 = make(0.01, spy_fn, &a1);
    ASSERT_OK(weft_timer_start(t1));
    ASSERT_OK(weft_event_wait(&s.called, WEFT_FOREVER));
    ASSERT_OK(weft_event_clear(&s.called));
    weft_timer *t2 = make(0.01, spy_fn, &a2);
    ASSERT_OK(weft_timer_start(t2));
    ASSERT_OK(weft_event_wait(&s.called, WEFT_FOREVER));
    ASSERT_EQ(atomic_load(&s.calls), 2);
    ASSERT_PTR_EQ(atomic_load(&s.args[0]), &a1);
    ASSERT_PTR_EQ(atomic_load(&s.args[1]), &a2);
    ASSERT_OK(weft_timer_join(t1, WEFT_FOREVER));
    ASSERT_OK(weft_timer_join(t2, WEFT_FOREVER));
    weft_timer_destroy(t1);
    weft_timer_destroy(t2);
}

/* ---- Timer behaviour ------------------------------------------------------------- */

TEST(fires_after_interval)
{
    atomic_store(&counter_calls, 0);
    weft_timer *t = make(0.1, count_fn, NULL);
    ASSERT_FALSE(weft_timer_is_alive(t));
    ASSERT_EQ(weft_timer_interval(t), 0.1);
    double t0 = weft_test_now();
    ASSERT_OK(weft_timer_start(t));
    ASSERT_TRUE(weft_timer_is_alive(t) || weft_timer_finished(t));
    ASSERT_OK(weft_timer_join(t, WEFT_FOREVER));
    ASSERT_ELAPSED_AT_LEAST(t0, 0.1);
    ASSERT_ELAPSED_AT_MOST(t0, 5.0);
    ASSERT_EQ(atomic_load(&counter_calls), 1);
    ASSERT_TRUE(weft_timer_finished(t));
    ASSERT_FALSE(weft_timer_is_alive(t));
    weft_timer_destroy(t);
}

TEST(cancel_while_waiting)
{
    atomic_store(&counter_calls, 0);
    weft_timer *t = make(30.0, count_fn, NULL);
    ASSERT_OK(weft_timer_start(t));
    ASSERT_TRUE(weft_timer_is_alive(t));
    ASSERT_FALSE(weft_timer_finished(t));
    ASSERT_RC(weft_timer_join(t, 0.05), WEFT_ETIMEDOUT);
    double t0 = weft_test_now();
    ASSERT_OK(weft_timer_cancel(t));
    ASSERT_TRUE(weft_timer_finished(t));
    ASSERT_FALSE(weft_timer_is_alive(t));
    ASSERT_OK(weft_timer_join(t, WEFT_FOREVER));
    ASSERT_ELAPSED_AT_MOST(t0, 2.0);
    ASSERT_OK(weft_timer_cancel(t));            /* again: no effect, no error */
    weft_test_sleep(0.02); /* joined: room for a stray late call; not for ordering */
    ASSERT_EQ(atomic_load(&counter_calls), 0);
    weft_timer_destroy(t);
}

TEST(cancel_before_start_does_nothing)
{
    atomic_store(&counter_calls, 0);
    weft_timer *t = make(0.0, count_fn, NULL);
    ASSERT_OK(weft_timer_cancel(t));
    ASSERT_FALSE(weft_timer_finished(t));       /* Python: finished is set, not started */
    ASSERT_OK(weft_timer_start(t));
    ASSERT_OK(weft_timer_join(t, WEFT_FOREVER));
    ASSERT_TRUE(weft_timer_finished(t));
    ASSERT_FALSE(weft_timer_is_alive(t));
    weft_test_sleep(0.02); /* joined: room for a stray late call; not for ordering */
    ASSERT_EQ(atomic_load(&counter_calls), 0);
    ASSERT_RC(weft_timer_start(t), WEFT_ESTATE);
    weft_timer_destroy(t);
}

struct blocker { weft_event entered, release; _Atomic int done; weft_timer *self; _Atomic int join_self_rc; };
static void blocking_fn(void *arg)
{
    struct blocker *b = arg;
    atomic_store(&b->join_self_rc, weft_timer_join(b->self, 0.0));
    ASSERT_OK(weft_event_set(&b->entered));
    ASSERT_OK(weft_event_wait(&b->release, WEFT_FOREVER));
    atomic_store(&b->done, 1);
}

TEST(cancel_while_running_has_no_effect)
{
    struct blocker b;
    memset(&b, 0, sizeof b);
    weft_timer *t = make(0.0, blocking_fn, &b);
    b.self = t;
    ASSERT_OK(weft_timer_start(t));
    ASSERT_OK(weft_event_wait(&b.entered, WEFT_FOREVER));
    ASSERT_RC(atomic_load(&b.join_self_rc), WEFT_ESTATE);   /* join self */
    ASSERT_OK(weft_timer_cancel(t));
    ASSERT_TRUE(weft_timer_is_alive(t));
    ASSERT_FALSE(weft_timer_finished(t));
    ASSERT_RC(weft_timer_join(t, 0.02), WEFT_ETIMEDOUT);
    ASSERT_OK(weft_event_set(&b.release));
    ASSERT_OK(weft_timer_join(t, WEFT_FOREVER));
    ASSERT_EQ(atomic_load(&b.done), 1);
    ASSERT_FALSE(weft_timer_is_alive(t));
    weft_timer_destroy(t);
}

/* The function runs on the timer's own weft thread, named like the timer. */
struct who { _Atomic(weft_thread *) cur; char name[64]; };
static void who_fn(void *arg)
{
    struct who *w = arg;
    weft_thread *c = weft_current_thread();
    atomic_store(&w->cur, c);
    snprintf(w->name, sizeof w->name, "%s", weft_thread_name(c));
}

TEST(runs_on_its_own_named_thread)
{
    struct who w;
    memset(&w, 0, sizeof w);
    weft_timer *t = make(0.0, who_fn, &w);
    ASSERT(strncmp(weft_timer_name(t), "Thread-", 7) == 0);
    ASSERT_OK(weft_timer_set_name(t, "my-timer"));
    ASSERT_STR_EQ(weft_timer_name(t), "my-timer");
    ASSERT_FALSE(weft_timer_daemon(t));         /* inherited from the main thread */
    ASSERT_OK(weft_timer_start(t));
    ASSERT_OK(weft_timer_join(t, WEFT_FOREVER));
    ASSERT_PTR_EQ(atomic_load(&w.cur), weft_timer_thread(t));
    ASSERT_STR_EQ(w.name, "my-timer");
    weft_timer_destroy(t);
}

TEST(thread_rules)
{
    weft_timer *t = make(30.0, count_fn, NULL);
    ASSERT_RC(weft_timer_join(t, WEFT_FOREVER), WEFT_ESTATE);   /* before start */
    ASSERT_OK(weft_timer_set_daemon(t, true));
    ASSERT_TRUE(weft_timer_daemon(t));
    ASSERT_OK(weft_timer_set_daemon(t, false));
    ASSERT_OK(weft_timer_start(t));
    ASSERT_RC(weft_timer_start(t), WEFT_ESTATE);                /* twice */
    ASSERT_RC(weft_timer_set_daemon(t, true), WEFT_ESTATE);     /* active */
    ASSERT_FALSE(weft_timer_daemon(t));
    ASSERT_OK(weft_timer_cancel(t));
    ASSERT_OK(weft_timer_join(t, WEFT_FOREVER));
    weft_timer_destroy(t);
}

TEST(interval_rules)
{
    const double now_[] = { 0.0, -0.0, -5.0, -INFINITY, NAN };
    for (size_t i = 0; i < sizeof now_ / sizeof now_[0]; i++) {
        atomic_store(&counter_calls, 0);
        weft_timer *t = make(now_[i], count_fn, NULL);
        ASSERT_OK(weft_timer_start(t));
        ASSERT_OK(weft_timer_join(t, WEFT_FOREVER));
        ASSERT_EQ(atomic_load(&counter_calls), 1);
        weft_timer_destroy(t);
    }
    /* WEFT_FOREVER (Python's None): never due; only cancel ends it. */
    atomic_store(&counter_calls, 0);
    weft_timer *t = make(WEFT_FOREVER, count_fn, NULL);
    ASSERT_OK(weft_timer_start(t));
    ASSERT_RC(weft_timer_join(t, 0.05), WEFT_ETIMEDOUT);
    ASSERT_TRUE(weft_timer_is_alive(t));
    ASSERT_OK(weft_timer_cancel(t));
    ASSERT_OK(weft_timer_join(t, WEFT_FOREVER));
    ASSERT_EQ(atomic_load(&counter_calls), 0);
    weft_timer_destroy(t);
    /* WEFT_TIMEOUT_MAX is accepted (and far away). */
    ASSERT_OK(weft_timer_create(&t, WEFT_TIMEOUT_MAX, count_fn, NULL, NULL));
    ASSERT_OK(weft_timer_start(t));
    ASSERT_OK(weft_timer_cancel(t));
    weft_timer_destroy(t);
}

/* A slow function does not delay another timer's function. */
TEST(slow_function_does_not_delay_others)
{
    struct blocker b;
    memset(&b, 0, sizeof b);
    weft_timer *slow = make(0.0, blocking_fn, &b);
    b.self = slow;
    ASSERT_OK(weft_timer_start(slow));
    ASSERT_OK(weft_event_wait(&b.entered, WEFT_FOREVER));
    struct spy s;
    memset(&s, 0, sizeof s);
    struct spy *a = &s;
    weft_timer *fast = make(0.01, spy_fn, &a);
    ASSERT_OK(weft_timer_start(fast));
    ASSERT_OK(weft_event_wait(&s.called, 10.0 * weft_test_factor()));
    ASSERT_EQ(atomic_load(&b.done), 0);         /* the slow one still runs */
    ASSERT_OK(weft_event_set(&b.release));
    ASSERT_OK(weft_timer_join(slow, WEFT_FOREVER));
    ASSERT_OK(weft_timer_join(fast, WEFT_FOREVER));
    weft_timer_destroy(slow);
    weft_timer_destroy(fast);
}

/* Destroying the handle of a started timer does not cancel it. */
TEST(destroy_does_not_cancel)
{
    struct spy s;
    memset(&s, 0, sizeof s);
    struct spy *a = &s;
    weft_timer *t = make(0.01, spy_fn, &a);
    ASSERT_OK(weft_timer_start(t));
    weft_timer_destroy(t);
    ASSERT_OK(weft_event_wait(&s.called, 10.0 * weft_test_factor()));
    ASSERT_EQ(atomic_load(&s.calls), 1);
}

/* Timers due at different times fire in deadline order (each waits long enough
 * for the previous function to have run). */
static _Atomic int order_next;
static _Atomic int order_seen[3];
static void order_fn(void *arg)
{
    int i = (int)(intptr_t)arg;
    atomic_store(&order_seen[i], atomic_fetch_add(&order_next, 1));
}
TEST(deadline_order)
{
    weft_timer *t[3];
    const double iv[3] = { 0.30, 0.05, 0.15 };
    for (int i = 0; i < 3; i++) {
        t[i] = make(iv[i], order_fn, (void *)(intptr_t)i);
        ASSERT_OK(weft_timer_start(t[i]));
    }
    for (int i = 0; i < 3; i++) ASSERT_OK(weft_timer_join(t[i], WEFT_FOREVER));
    ASSERT_EQ(atomic_load(&order_seen[1]), 0);
    ASSERT_EQ(atomic_load(&order_seen[2]), 1);
    ASSERT_EQ(atomic_load(&order_seen[0]), 2);
    for (int i = 0; i < 3; i++) weft_timer_destroy(t[i]);
}

/* 10,000 pending timers do not need 10,000 threads. */
TEST(many_pending_timers_one_thread)
{
    enum { M = 10000 };
    static weft_timer *ts[M];
    size_t before = weft_active_count();
    atomic_store(&counter_calls, 0);
    for (int i = 0; i < M; i++) {
        ts[i] = make(60.0 + i * 1e-3, count_fn, NULL);
        ASSERT_OK(weft_timer_start(ts[i]));
    }
    ASSERT_LE(weft_active_count(), before + 1);   /* the scheduler */
    for (int i = M - 1; i >= 0; i -= 2) ASSERT_OK(weft_timer_cancel(ts[i]));
    for (int i = 0; i < M; i += 2) ASSERT_OK(weft_timer_cancel(ts[i]));
    for (int i = 0; i < M; i++) {
        ASSERT_OK(weft_timer_join(ts[i], WEFT_FOREVER));
        weft_timer_destroy(ts[i]);
    }
    ASSERT_EQ(atomic_load(&counter_calls), 0);
    /* The scheduler ends once nothing is pending. */
    WAIT_UNTIL(weft_active_count() <= before, 10);
}

TEST(errno_is_preserved)
{
    errno = 4242;
    weft_timer *t = make(0.0, count_fn, NULL);
    ASSERT_OK(weft_timer_start(t));
    ASSERT_OK(weft_timer_join(t, WEFT_FOREVER));
    ASSERT_OK(weft_timer_cancel(t));
    weft_timer_destroy(t);
    ASSERT_EQ(errno, 4242);
}

/* ---- exit rule (forked children) -------------------------------------------------- */

static void write_fn(void *arg)
{
    int fd = (int)(intptr_t)arg;
    ASSERT_EQ(write(fd, "x", 1), 1);
}

/* Child: start a timer, then exit() at once. Returns what the parent read and
 * how long the child took. */
static int exit_child(bool daemon, double interval, double *elapsed)
{
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    double t0 = weft_test_now();
    pid_t pid = fork();
    ASSERT(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        weft_thread_attr a = { NULL, daemon ? WEFT_THREAD_DAEMON : WEFT_THREAD_NON_DAEMON, 0 };
        weft_timer *t;
        if (weft_timer_create(&t, interval, write_fn, (void *)(intptr_t)fds[1], &a) != WEFT_OK) _exit(3);
        if (weft_timer_start(t) != WEFT_OK) _exit(4);
        exit(0);
    }
    close(fds[1]);
    char buf[8];
    ssize_t n = read(fds[0], buf, sizeof buf);   /* EOF when the child is gone */
    close(fds[0]);
    int status;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT(WIFEXITED(status));
    ASSERT_EQ(WEXITSTATUS(status), 0);
    *elapsed = weft_test_now() - t0;
    return (int)n;
}

TEST(exit_waits_for_pending_non_daemon_timer)
{
    double el;
    ASSERT_EQ(exit_child(false, 0.2, &el), 1);   /* the function ran before exit */
    ASSERT_GE(el, 0.2 - 1e-4);
}

TEST(exit_does_not_wait_for_daemon_timer)
{
    double el;
    ASSERT_EQ(exit_child(true, 30.0, &el), 0);   /* never ran */
    ASSERT_LT(el, 10.0 * weft_test_factor());
}

/* ---- misuse matrix ---------------------------------------------------------------- */

TEST(misuse_create)
{
    weft_timer *t = (weft_timer *)&t;          /* sentinel: must stay untouched */
    weft_timer *const sentinel = t;
    ASSERT_RC(weft_timer_create(NULL, 1.0, count_fn, NULL, NULL), WEFT_EINVAL);
    ASSERT_RC(weft_timer_create(&t, 1.0, NULL, NULL, NULL), WEFT_EINVAL);
    ASSERT_PTR_EQ(t, sentinel);
    ASSERT_RC(weft_timer_create(&t, WEFT_TIMEOUT_MAX * 2, count_fn, NULL, NULL), WEFT_EOVERFLOW);
    ASSERT_RC(weft_timer_create(&t, INFINITY, count_fn, NULL, NULL), WEFT_EOVERFLOW);
    ASSERT_PTR_EQ(t, sentinel);
    weft_thread_attr bad = { NULL, 0x80u, 0 };
    ASSERT_RC(weft_timer_create(&t, 1.0, count_fn, NULL, &bad), WEFT_EINVAL);
    weft_thread_attr both = { NULL, WEFT_THREAD_DAEMON | WEFT_THREAD_NON_DAEMON, 0 };
    ASSERT_RC(weft_timer_create(&t, 1.0, count_fn, NULL, &both), WEFT_EINVAL);
    ASSERT_PTR_EQ(t, sentinel);
}

TEST(misuse_null)
{
    ASSERT_RC(weft_timer_start(NULL), WEFT_EINVAL);
    ASSERT_RC(weft_timer_cancel(NULL), WEFT_EINVAL);
    ASSERT_RC(weft_timer_join(NULL, WEFT_FOREVER), WEFT_EINVAL);
    ASSERT_RC(weft_timer_set_name(NULL, "x"), WEFT_EINVAL);
    ASSERT_RC(weft_timer_set_daemon(NULL, true), WEFT_EINVAL);
    ASSERT_FALSE(weft_timer_is_alive(NULL));
    ASSERT_FALSE(weft_timer_finished(NULL));
    ASSERT_FALSE(weft_timer_daemon(NULL));
    ASSERT_STR_EQ(weft_timer_name(NULL), "");
    ASSERT(weft_timer_thread(NULL) == NULL);
    ASSERT(isnan(weft_timer_interval(NULL)));
    weft_timer_destroy(NULL);
}

TEST(misuse_join_timeouts)
{
    weft_timer *t = make(30.0, count_fn, NULL);
    ASSERT_OK(weft_timer_start(t));
    ASSERT_RC(weft_timer_join(t, NAN), WEFT_EINVAL);
    ASSERT_RC(weft_timer_join(t, WEFT_TIMEOUT_MAX * 2), WEFT_EOVERFLOW);
    ASSERT_RC(weft_timer_join(t, INFINITY), WEFT_EOVERFLOW);
    ASSERT_RC(weft_timer_join(t, -INFINITY), WEFT_ETIMEDOUT);  /* clamped to a poll */
    ASSERT_RC(weft_timer_join(t, -3.0), WEFT_ETIMEDOUT);
    ASSERT_RC(weft_timer_join(t, 0.0), WEFT_ETIMEDOUT);
    ASSERT_TRUE(weft_timer_is_alive(t));                        /* unchanged */
    ASSERT_OK(weft_timer_cancel(t));
    ASSERT_OK(weft_timer_join(t, WEFT_FOREVER));
    weft_timer_destroy(t);
}

TEST(misuse_set_name_null)
{
    weft_timer *t = make(1.0, count_fn, NULL);
    char before[64];
    snprintf(before, sizeof before, "%s", weft_timer_name(t));
    ASSERT_RC(weft_timer_set_name(t, NULL), WEFT_EINVAL);
    ASSERT_STR_EQ(weft_timer_name(t), before);
    weft_timer_destroy(t);
}

/* ---- stress (slow) ------------------------------------------------------------------ */

/* Start/cancel races from several threads: each function runs at most once, a
 * timer whose cancel found it pending never runs, every timer finishes, and the
 * schedulers end when nothing is pending. */
#define RT 400
struct race {
    weft_timer *t[RT];
    _Atomic int ran[RT];
    _Atomic int before_run[RT];   /* cancel returned before the function started */
};
static struct race R;
static void race_fn(void *arg)
{
    int i = (int)(intptr_t)arg;
    atomic_fetch_add(&R.ran[i], 1);
}
static void race_body(void *p, int k)
{
    unsigned seed = (unsigned)k * 977u + 1;
    for (int i = k; i < RT; i += 4) {
        seed = seed * 1103515245u + 12345u;
        if ((seed >> 16) % 3 == 0) weft_test_sleep(0.0001 * ((seed >> 8) % 10));
        ASSERT_OK(weft_timer_cancel(R.t[i]));
        /* If the cancel was effective, the timer is finished and its function
         * did not run; it must never run later. */
        if (weft_timer_finished(R.t[i]) && atomic_load(&R.ran[i]) == 0)
            atomic_store(&R.before_run[i], 1);
    }
}
SLOW_TEST(stress_start_cancel_race)
{
    long rounds = weft_test_iters(5);
    size_t before = weft_active_count();
    for (long r = 0; r < rounds; r++) {
        memset(&R, 0, sizeof R);
        for (int i = 0; i < RT; i++) {
            weft_thread_attr a = { NULL, i % 2 ? WEFT_THREAD_DAEMON : WEFT_THREAD_NON_DAEMON, 0 };
            ASSERT_OK(weft_timer_create(&R.t[i], 0.0005 * (i % 20), race_fn, (void *)(intptr_t)i, &a));
            ASSERT_OK(weft_timer_start(R.t[i]));
        }
        weft_test_join(weft_test_start(4, race_body, NULL));
        for (int i = 0; i < RT; i++) {
            ASSERT_OK(weft_timer_join(R.t[i], WEFT_FOREVER));
            ASSERT_TRUE(weft_timer_finished(R.t[i]));
            ASSERT_FALSE(weft_timer_is_alive(R.t[i]));
            ASSERT_LE(atomic_load(&R.ran[i]), 1);
            if (atomic_load(&R.before_run[i])) ASSERT_EQ(atomic_load(&R.ran[i]), 0);
            weft_timer_destroy(R.t[i]);
        }
    }
    WAIT_UNTIL(weft_active_count() <= before, 10);
}

/* Many timers due at about the same time: each fires exactly once. */
SLOW_TEST(stress_many_due_fire_once)
{
    enum { M = 2000 };
    static weft_timer *ts[M];
    long m = weft_test_iters(M);
    atomic_store(&counter_calls, 0);
    for (long i = 0; i < m; i++) {
        ts[i] = make(0.001 * (double)(i % 50), count_fn, NULL);
        ASSERT_OK(weft_timer_start(ts[i]));
    }
    for (long i = 0; i < m; i++) {
        ASSERT_OK(weft_timer_join(ts[i], WEFT_FOREVER));
        weft_timer_destroy(ts[i]);
    }
    ASSERT_EQ(atomic_load(&counter_calls), m);
}

/* ---- fork ------------------------------------------------------------------------- */

/* In a fork child, timers pending or running in the parent are finished (their
 * threads do not exist there; Python marks them stopped) and never call their
 * function; new timers work. The parent is unaffected. */
TEST(fork_child_timers)
{
    struct blocker b;
    memset(&b, 0, sizeof b);
    weft_timer *running = make(0.0, blocking_fn, &b);
    b.self = running;
    ASSERT_OK(weft_timer_start(running));
    ASSERT_OK(weft_event_wait(&b.entered, WEFT_FOREVER));
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    weft_timer *pending = make(0.3, write_fn, (void *)(intptr_t)fds[1]);
    ASSERT_OK(weft_timer_start(pending));
    pid_t pid = fork();
    ASSERT(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        int bad = 0;
        if (weft_timer_is_alive(pending) || !weft_timer_finished(pending)) bad |= 1;
        if (weft_timer_join(pending, 5.0) != WEFT_OK) bad |= 2;
        if (weft_timer_is_alive(running)) bad |= 4;
        if (weft_timer_join(running, 5.0) != WEFT_OK) bad |= 8;
#ifdef WEFT_UNDER_TSAN
        /* ThreadSanitizer cannot start threads after a multi-threaded fork. */
        _exit(bad);
#endif
        atomic_store(&counter_calls, 0);
        weft_timer *fresh;
        if (weft_timer_create(&fresh, 0.01, count_fn, NULL, NULL) != WEFT_OK) _exit(20);
        if (weft_timer_start(fresh) != WEFT_OK || weft_timer_join(fresh, 10.0) != WEFT_OK) bad |= 16;
        if (atomic_load(&counter_calls) != 1) bad |= 32;
        _exit(bad);
    }
    int status;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT(WIFEXITED(status));
    ASSERT_EQ(WEXITSTATUS(status), 0);
    ASSERT_OK(weft_timer_join(pending, WEFT_FOREVER));
    close(fds[1]);
    char buf[8];
    ASSERT_EQ(read(fds[0], buf, sizeof buf), 1);  /* only the parent's timer wrote */
    close(fds[0]);
    ASSERT_TRUE(weft_timer_is_alive(running));
    ASSERT_OK(weft_event_set(&b.release));
    ASSERT_OK(weft_timer_join(running, WEFT_FOREVER));
    weft_timer_destroy(pending);
    weft_timer_destroy(running);
}
