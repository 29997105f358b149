/* SPDX-License-Identifier: MIT */
/* tests/exit/child.c: small programs whose exit the driver (test-exit.c) checks.
 * `exit-child MODE`; every weft return code is checked (exit status 90 if not). */
#define _POSIX_C_SOURCE 200809L
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "internal/atexit.h"
#include "weft.h"

#define CHECK(expr) do { if ((expr) != WEFT_OK) { fprintf(stderr, "%s failed\n", #expr); exit(90); } } while (0)

static void nap(double s)
{
    struct timespec ts = { (time_t)s, (long)((s - (double)(time_t)s) * 1e9) };
    /* sleep-ok: no nap orders threads; each call says what it is for. */
    nanosleep(&ts, NULL);
}

/* The gate: slow_print and gated_slow_task wait for it before their nap, so
 * the order of the output does not depend on how long the nap is, nor on how
 * soon main gets to print. open_gate_at_exit has an exit callback open it
 * (registered after any executor, so it runs before the executor's callback
 * waits for the work): the thread or task is then still running when exit
 * begins, whatever the scheduling. executor_destroyed opens it by hand. */
static weft_event g_gate;
static weft__atexit_entry *g_gate_reg;

static void cb_open_gate(void *arg)
{
    (void)arg;
    CHECK(weft_event_set(&g_gate));
}

static void open_gate_at_exit(void)
{
    weft_event_init(&g_gate);
    CHECK(weft__register_atexit(cb_open_gate, NULL, &g_gate_reg));
}

static void *slow_print(void *arg)
{
    CHECK(weft_event_wait(&g_gate, WEFT_FOREVER));   /* exit has begun */
    nap(0.3);   /* so exit has to wait a while (the driver checks the time) */
    printf("worker %s done\n", (const char *)arg);
    fflush(stdout);
    return NULL;
}

static void *block_forever(void *arg)
{
    (void)arg;
    for (;;) nap(10);
    return NULL;
}

static void *exit_three(void *arg)
{
    (void)arg;
    nap(0.05);   /* not needed for correctness: slow_print waits for exit anyway */
    exit(3);
}

static void *join_main(void *arg)
{
    (void)arg;
    int rc = weft_thread_join(weft_main_thread(), WEFT_FOREVER);
    printf("main joined: %s\n", weft_errname(rc));
    fflush(stdout);
    return NULL;
}

static weft_thread *spawn(weft_thread_fn fn, void *arg, unsigned flags)
{
    weft_thread *t;
    weft_thread_attr a = { NULL, flags, 0 };
    CHECK(weft_thread_create(&t, fn, arg, &a));
    CHECK(weft_thread_start(t));
    weft_thread_destroy(t);          /* the handle is not needed to be waited for */
    return t;
}

/* ---- exit callbacks and executors at exit ---------------------------------- */

/* Reachable from here, so leak checkers do not report what exit leaves behind. */
static weft_executor *g_ex;
static weft_future *g_fut[8];
static weft_event g_ev;
static weft__atexit_entry *g_reg[4];

/* A slow task. executor_shutdown_nowait, executor_idle and executor_fork use
 * it directly: what they check does not depend on how slow it is. The others
 * run it through the gate (gated_slow_task). */
static void *slow_task(void *arg)
{
    nap(0.2);
    printf("task %d done\n", (int)(intptr_t)arg);
    fflush(stdout);
    return NULL;
}

static void *gated_slow_task(void *arg)
{
    CHECK(weft_event_wait(&g_gate, WEFT_FOREVER));
    return slow_task(arg);
}

static void *quick_task(void *arg)
{
    return arg;
}

/* Four slow tasks on two workers: two run, two wait in the queue, until exit
 * (the gate: none of them can finish before main has printed and exit began). */
static void submit_slow(void)
{
    weft_executor_attr a = { 0 };
    a.max_workers = 2;
    CHECK(weft_executor_create(&g_ex, &a));
    open_gate_at_exit();   /* after the executor: its callback runs first */
    for (int i = 0; i < 4; i++)
        CHECK(weft_executor_submit(g_ex, gated_slow_task, (void *)(intptr_t)i, &g_fut[i]));
    printf("main returns\n");
    fflush(stdout);
}

static void cb_print(void *arg)
{
    printf("callback %s\n", (const char *)arg);
    fflush(stdout);
}

static void cb_print_and_set(void *arg)
{
    cb_print(arg);
    CHECK(weft_event_set(&g_ev));
}

static void *wait_event_print(void *arg)
{
    (void)arg;
    CHECK(weft_event_wait(&g_ev, WEFT_FOREVER));
    printf("thread done\n");
    fflush(stdout);
    return NULL;
}

static void cb_never(void *arg)
{
    (void)arg;
    printf("unregistered callback ran\n");
    fflush(stdout);
}

static void cb_late(void *arg)
{
    (void)arg;
    weft__atexit_entry *h = NULL;
    printf("register: %s\n", weft_errname(weft__register_atexit(cb_never, NULL, &h)));
    /* unregister one that has not run yet, and this one (running: returns at once) */
    printf("unregister other: %s\n", weft_errname(weft__unregister_atexit(g_reg[0])));
    printf("unregister self: %s\n", weft_errname(weft__unregister_atexit(g_reg[1])));
    /* an executor created now starts shut down (Python: "cannot schedule new
     * futures after interpreter shutdown") */
    weft_executor *ex;
    CHECK(weft_executor_create(&ex, NULL));
    weft_future *f = NULL;
    printf("submit: %s\n", weft_errname(weft_executor_submit(ex, quick_task, NULL, &f)));
    weft_executor_destroy(ex);
    fflush(stdout);
}

/* A task that tells main it runs, then waits for the exit callback to start
 * (the pool's shutdown flag) before finishing. */
static void *task_until_shutdown(void *arg)
{
    (void)arg;
    CHECK(weft_event_set(&g_ev));
    while (!weft_executor_is_shutdown(g_ex)) nap(0.01);
    nap(0.1);   /* still running after exit began; not for ordering */
    printf("running task done\n");
    fflush(stdout);
    return NULL;
}

static atomic_int g_cb_finished;

static void cb_slow(void *arg)
{
    (void)arg;
    CHECK(weft_event_set(&g_ev));
    /* Time in which an unregister that did not wait would return and print 0;
     * shorter, it can only miss that: not for ordering. */
    nap(0.2);
    atomic_store(&g_cb_finished, 1);
    printf("callback done\n");
    fflush(stdout);
}

static void *unregister_running(void *arg)
{
    (void)arg;
    CHECK(weft_event_wait(&g_ev, WEFT_FOREVER));
    CHECK(weft__unregister_atexit(g_reg[0]));
    printf("unregister returned, callback finished: %d\n", atomic_load(&g_cb_finished));
    fflush(stdout);
    return NULL;
}

static weft_executor *g_ex2;

/* In the newer pool: once exit shut that pool down, submit to the older one. */
static void *submit_to_older(void *arg)
{
    (void)arg;
    CHECK(weft_event_set(&g_ev));
    while (!weft_executor_is_shutdown(g_ex2)) nap(0.01);
    weft_future *f = NULL;
    printf("older pool shut down: %d\n", (int)weft_executor_is_shutdown(g_ex));
    printf("submit to older pool: %s\n",
           weft_errname(weft_executor_submit(g_ex, quick_task, NULL, &f)));
    fflush(stdout);
    return NULL;
}

static void run_last(void)
{
    weft_future *f = NULL;
    printf("submit in atexit: %s\n", weft_errname(weft_executor_submit(g_ex, quick_task, NULL, &f)));
    fflush(stdout);
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    if (strcmp(mode, "executor_return") == 0) {
        /* (a) main returns without shutdown: queued and running work finishes */
        submit_slow();
        return 0;
    }
    if (strcmp(mode, "executor_shutdown_nowait") == 0) {
        /* shutdown(wait=false) with a running task, then return: the task
         * finishes, exit does not hang (CPython gh-83386) */
        weft_executor_attr a = { 0 };
        a.max_workers = 3;
        /* Locals only: the executor the program never destroys stays reachable
         * through its exit registration (no leak report under ASan/LSan). */
        weft_executor *ex;
        weft_future *f;
        CHECK(weft_executor_create(&ex, &a));
        CHECK(weft_executor_submit(ex, slow_task, (void *)(intptr_t)0, &f));
        weft_future_unref(f);
        CHECK(weft_executor_shutdown(ex, false, false));
        return 0;
    }
    if (strcmp(mode, "executor_submit_other_during_exit") == 0) {
        /* Python's global _shutdown: once exit began, submit fails everywhere */
        weft_event_init(&g_ev);
        CHECK(weft_executor_create(&g_ex, NULL));
        CHECK(weft_executor_create(&g_ex2, NULL));
        CHECK(weft_executor_submit(g_ex2, submit_to_older, NULL, &g_fut[0]));
        CHECK(weft_event_wait(&g_ev, WEFT_FOREVER));
        return 0;
    }
    if (strcmp(mode, "executor_submit_in_atexit") == 0) {
        /* an atexit handler registered before weft's runs after it: the
         * executor is shut down by then */
        if (atexit(run_last) != 0) return 94;
        weft_executor_attr a = { 0 };
        a.max_workers = 5;
        CHECK(weft_executor_create(&g_ex, &a));
        return 0;
    }
    if (strcmp(mode, "executor_exit") == 0) {
        /* (b) the same with exit() */
        submit_slow();
        exit(5);
    }
    if (strcmp(mode, "executor_running") == 0) {
        /* a task that is running when exit begins finishes before exit */
        weft_event_init(&g_ev);
        CHECK(weft_executor_create(&g_ex, NULL));
        CHECK(weft_executor_submit(g_ex, task_until_shutdown, NULL, &g_fut[0]));
        CHECK(weft_event_wait(&g_ev, WEFT_FOREVER));
        printf("main returns\n");
        fflush(stdout);
        return 0;
    }
    if (strcmp(mode, "executor_idle") == 0) {
        /* idle non-daemon workers of a pool never shut down do not hold up exit */
        weft_executor_attr a = { 0 };
        a.max_workers = 3;
        CHECK(weft_executor_create(&g_ex, &a));
        for (int i = 0; i < 3; i++)
            CHECK(weft_executor_submit(g_ex, slow_task, (void *)(intptr_t)i, &g_fut[i]));
        for (int i = 0; i < 3; i++) CHECK(weft_future_result(g_fut[i], WEFT_FOREVER, NULL));
        if (weft_executor_thread_count(g_ex) != 3) return 91;
        printf("main returns\n");
        fflush(stdout);
        return 0;
    }
    if (strcmp(mode, "executor_destroyed") == 0) {
        /* (c) destroyed executors leave nothing registered */
        unsigned long before = weft__atexit_count();
        weft_executor *a, *b;
        CHECK(weft_executor_create(&a, NULL));
        CHECK(weft_executor_create(&b, NULL));
        weft_future *f;
        weft_event_init(&g_gate);   /* opened once "registered" is printed */
        CHECK(weft_executor_submit(a, gated_slow_task, (void *)(intptr_t)7, &f));
        printf("registered: %lu\n", weft__atexit_count() - before);
        fflush(stdout);
        CHECK(weft_event_set(&g_gate));
        weft_executor_destroy(a);
        weft_executor_destroy(b);
        weft_future_unref(f);
        printf("registered after destroy: %lu\n", weft__atexit_count() - before);
        fflush(stdout);
        return 0;
    }
    if (strcmp(mode, "atexit_order") == 0) {
        /* (d) callbacks run newest first, before a non-daemon thread is waited
         * for: the thread waits for an event that only the last callback sets */
        weft_event_init(&g_ev);
        CHECK(weft__register_atexit(cb_print_and_set, "1", &g_reg[0]));
        CHECK(weft__register_atexit(cb_print, "2", &g_reg[1]));
        spawn(wait_event_print, NULL, WEFT_THREAD_NON_DAEMON);
        printf("main returns\n");
        fflush(stdout);
        return 0;
    }
    if (strcmp(mode, "atexit_unregister_waits") == 0) {
        /* unregistering a callback that runs in another thread waits for it */
        weft_event_init(&g_ev);
        CHECK(weft__register_atexit(cb_slow, NULL, &g_reg[0]));
        spawn(unregister_running, NULL, WEFT_THREAD_NON_DAEMON);
        return 0;
    }
    if (strcmp(mode, "atexit_late") == 0) {
        /* (e) registering once exit began fails; unregistering from a callback */
        CHECK(weft__register_atexit(cb_print, "0", &g_reg[0]));
        CHECK(weft__register_atexit(cb_late, NULL, &g_reg[1]));
        return 0;
    }
    if (strcmp(mode, "executor_fork") == 0) {
        /* a fork child of a process with a busy pool exits at once (the parent's
         * workers do not exist there); the parent still finishes its work */
        weft_executor_attr a = { 0 };
        a.max_workers = 1;
        CHECK(weft_executor_create(&g_ex, &a));
        CHECK(weft_executor_submit(g_ex, slow_task, (void *)(intptr_t)1, &g_fut[0]));
        CHECK(weft_executor_submit(g_ex, slow_task, (void *)(intptr_t)2, &g_fut[1]));
        fflush(NULL);
        pid_t pid = fork();
        if (pid < 0) return 92;
        if (pid == 0) return 4;
        int st;
        if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st)) return 93;
        printf("child exited %d\n", WEXITSTATUS(st));
        fflush(stdout);
        return 0;
    }
    if (strcmp(mode, "nondaemon") == 0) {
        /* main returns while a non-daemon thread runs: the process waits */
        open_gate_at_exit();
        spawn(slow_print, "A", 0);
        printf("main returns\n");
        fflush(stdout);
        return 0;
    }
    if (strcmp(mode, "daemon") == 0) {
        /* a daemon thread blocked forever does not hold up the exit */
        spawn(block_forever, NULL, WEFT_THREAD_DAEMON);
        printf("main returns\n");
        fflush(stdout);
        return 0;
    }
    if (strcmp(mode, "mixed") == 0) {
        open_gate_at_exit();
        spawn(block_forever, NULL, WEFT_THREAD_DAEMON);
        spawn(slow_print, "B", WEFT_THREAD_NON_DAEMON);
        exit(7);                      /* exit() waits like returning from main */
    }
    if (strcmp(mode, "exit_in_thread") == 0) {
        /* exit() from a non-main, non-daemon weft thread while another non-daemon
         * thread runs: no deadlock (it does not wait for itself), the other
         * thread is waited for */
        open_gate_at_exit();
        spawn(slow_print, "C", 0);
        spawn(exit_three, NULL, 0);
        for (;;) nap(10);
    }
    if (strcmp(mode, "join_main") == 0) {
        /* a thread joining the main thread returns once main is finishing */
        spawn(join_main, NULL, 0);
        nap(0.05);   /* lets it join before main finishes; not needed for correctness */
        printf("main returns\n");
        fflush(stdout);
        return 0;
    }
    if (strcmp(mode, "failure") == 0) {
        /* the default excepthook's output */
        weft_thread *t;
        weft_thread_attr a = { "bad-worker", 0, 0 };
        extern void *fail_body(void *);
        CHECK(weft_thread_create(&t, fail_body, NULL, &a));
        CHECK(weft_thread_start(t));
        CHECK(weft_thread_join(t, WEFT_FOREVER));
        weft_thread_destroy(t);
        return 0;
    }
    return 99;
}

void *fail_body(void *arg);
void *fail_body(void *arg)
{
    (void)arg;
    weft_fail(WEFT_EINVAL, "bad input %d", 7);
    return NULL;
}
