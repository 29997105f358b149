/* SPDX-License-Identifier: MIT */
/* test-fork.c: weft's threads across fork() (docs/design/thread.md, "Fork").
 * In the child the forking thread is the main thread, records of the other
 * threads report not alive, weft's internal lock is usable, and the child can
 * create and join threads and exit cleanly. Cases named ThreadTests_* /
 * ThreadJoinOnShutdown_* mirror CPython 3.13 Lib/test/test_threading.py. */
#include "harness.h"

#include <signal.h>
#include <stdatomic.h>
#include <sys/wait.h>
#include <unistd.h>

static void *ret_arg(void *arg) { return arg; }

/* What every child checks: it is the main thread, it can start and join a
 * thread, and the registry holds only what it made. Returns an exit code. */
static int child_checks(weft_thread *forker, weft_thread **others, int nothers)
{
    weft_thread *me = weft_current_thread();
    if (!me) return 10;
    if (weft_main_thread() != me) return 11;
    if (forker && me != forker) return 12;
    if (weft_thread_ident(me) != weft_get_ident()) return 13;
    if (weft_thread_native_id(me) != (long)getpid()) return 14;
    if (weft_get_native_id() != (long)getpid()) return 15;
    for (int i = 0; i < nothers; i++) {
        if (others[i] == me) continue;
        if (weft_thread_is_alive(others[i])) return 16;
        if (weft_thread_join(others[i], WEFT_FOREVER) != WEFT_OK) return 17;
    }
    if (weft_active_count() != 1) return 18;
#ifdef WEFT_UNDER_TSAN
    /* ThreadSanitizer cannot start threads after a multi-threaded fork
     * ("starting new threads after multi-threaded fork is not supported"). */
    return 0;
#endif
    weft_thread *t;
    if (weft_thread_create(&t, ret_arg, (void *)5, NULL) != WEFT_OK) return 19;
    if (weft_thread_start(t) != WEFT_OK) return 20;
    if (weft_thread_join(t, WEFT_FOREVER) != WEFT_OK) return 21;
    void *r;
    if (weft_thread_result(t, &r) != WEFT_OK || r != (void *)5) return 22;
    weft_thread_destroy(t);
    if (weft_active_count() != 1) return 23;
    return 0;
}

static _Atomic int gate;
static void *wait_gate(void *arg)
{
    while (!atomic_load(&gate)) weft_test_sleep(0.0005);
    return arg;
}

TEST(ThreadJoinOnShutdown_test_2_join_in_forked_process)
{
    /* fork while another weft thread is running */
    atomic_store(&gate, 0);
    weft_thread *t;
    ASSERT_OK(weft_thread_create(&t, wait_gate, NULL, NULL));
    ASSERT_OK(weft_thread_start(t));
    fflush(NULL);
    pid_t pid = fork();
    ASSERT(pid >= 0);
    if (pid == 0) {
        weft_thread *main_before = weft_main_thread();
        weft_thread *others[1] = { t };
        int rc = child_checks(main_before, others, 1);
        exit(rc);       /* exit(), not _exit(): the exit rules must not hang */
    }
    ASSERT_EQ(weft_test_wait_child(pid), 0);
    ASSERT_TRUE(weft_thread_is_alive(t));         /* the parent is unaffected */
    atomic_store(&gate, 1);
    ASSERT_OK(weft_thread_join(t, WEFT_FOREVER));
    weft_thread_destroy(t);
}

static _Atomic int spin_stop;
static _Atomic long spins;
static void *enumerate_forever(void *arg)
{
    while (!atomic_load(&spin_stop)) {
        weft_thread *all[16];
        size_t n = weft_enumerate(all, 16);
        for (size_t i = 0; i < n && i < 16; i++) weft_thread_unref(all[i]);
        atomic_fetch_add(&spins, 1);
    }
    return arg;
}

TEST(fork_while_registry_lock_is_held)
{
    atomic_store(&spin_stop, 0);
    atomic_store(&spins, 0);
    weft_thread *t[2];
    for (int i = 0; i < 2; i++) {
        ASSERT_OK(weft_thread_create(&t[i], enumerate_forever, NULL, NULL));
        ASSERT_OK(weft_thread_start(t[i]));
    }
    WAIT_UNTIL(atomic_load(&spins) > 100, 10);
    long forks = weft_test_iters(20);
    for (long k = 0; k < forks; k++) {
        fflush(NULL);
        pid_t pid = fork();
        ASSERT(pid >= 0);
        if (pid == 0) exit(child_checks(NULL, t, 2));
        ASSERT_EQ(weft_test_wait_child(pid), 0);
    }
    atomic_store(&spin_stop, 1);
    for (int i = 0; i < 2; i++) {
        ASSERT_OK(weft_thread_join(t[i], WEFT_FOREVER));
        weft_thread_destroy(t[i]);
    }
}

static weft_thread *forker_rec;
static void *fork_in_thread(void *arg)
{
    (void)arg;
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        weft_thread *others[1] = { weft_main_thread() };  /* the parent's main, before */
        weft_thread *old_main = others[0];
        int rc = child_checks(forker_rec, NULL, 0);
        if (rc == 0 && weft_thread_is_alive(old_main) && old_main != forker_rec) rc = 30;
        exit(rc);
    }
    return (void *)(intptr_t)(pid < 0 ? -1 : weft_test_wait_child(pid));
}

TEST(ThreadTests_test_main_thread_after_fork_from_nonmain_thread)
{
    weft_thread *t;
    ASSERT_OK(weft_thread_create(&t, fork_in_thread, NULL, NULL));
    forker_rec = t;
    ASSERT_OK(weft_thread_start(t));
    ASSERT_OK(weft_thread_join(t, WEFT_FOREVER));
    void *r;
    ASSERT_OK(weft_thread_result(t, &r));
    ASSERT_EQ((intptr_t)r, 0);
    weft_thread_destroy(t);
}

static void fork_in_foreign(void *arg, int i)
{
    (void)i;
    bool make_dummy = *(bool *)arg;
    weft_thread *dummy = make_dummy ? weft_current_thread() : NULL;
    weft_thread *parent_main = weft_main_thread();
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        int rc = child_checks(dummy, NULL, 0);
        if (rc == 0 && weft_thread_is_alive(parent_main) && parent_main != weft_main_thread())
            rc = 31;
        exit(rc);
    }
    *(int *)arg = pid < 0 ? -1 : weft_test_wait_child(pid);
}

TEST(ThreadTests_test_main_thread_after_fork_from_foreign_thread)
{
    union { bool b; int i; } arg;
    arg.i = 0;
    arg.b = false;
    weft_test_join(weft_test_start(1, fork_in_foreign, &arg));
    ASSERT_EQ(arg.i, 0);
    ASSERT_STR_EQ(weft_thread_name(weft_main_thread()), "MainThread");
}

TEST(ThreadTests_test_main_thread_after_fork_from_dummy_thread)
{
    union { bool b; int i; } arg;
    arg.i = 0;
    arg.b = true;
    weft_test_join(weft_test_start(1, fork_in_foreign, &arg));
    ASSERT_EQ(arg.i, 0);
}

static void *short_body(void *arg) { return arg; }

TEST(ThreadTests_test_is_alive_after_fork)
{
    /* forks racing thread exits: the child never sees a finished thread alive,
     * and never hangs */
    long n = weft_test_iters(20);
    for (long k = 0; k < n; k++) {
        weft_thread *t;
        ASSERT_OK(weft_thread_create(&t, short_body, NULL, NULL));
        ASSERT_OK(weft_thread_start(t));
        fflush(NULL);
        pid_t pid = fork();
        ASSERT(pid >= 0);
        if (pid == 0) {
            weft_thread *others[1] = { t };
            exit(child_checks(NULL, others, 1));
        }
        ASSERT_EQ(weft_test_wait_child(pid), 0);
        ASSERT_OK(weft_thread_join(t, WEFT_FOREVER));
        weft_thread_destroy(t);
    }
}

static _Atomic int fork_go;
static void *fork_and_check(void *arg)
{
    (void)arg;
    while (!atomic_load(&fork_go)) weft_test_sleep(0.0002);
    pid_t pid = fork();
    if (pid == 0) {
        weft_thread *me = weft_current_thread();
        /* only the forking thread survives; it is the main thread */
        int rc = (me && weft_main_thread() == me && weft_active_count() == 1) ? 0 : 40;
        exit(rc);
    }
    return (void *)(intptr_t)(pid < 0 ? -1 : weft_test_wait_child(pid));
}

TEST(ThreadJoinOnShutdown_test_reinit_tls_after_fork)
{
    /* several threads fork at the same time. The handles are static: in a child
     * the main thread's stack is no root for LeakSanitizer, and records of
     * threads that finished before the fork are held only by these handles. */
    fflush(NULL);
    static weft_thread *ts[8];
    atomic_store(&fork_go, 0);
    for (int i = 0; i < 8; i++) {
        ASSERT_OK(weft_thread_create(&ts[i], fork_and_check, NULL, NULL));
        ASSERT_OK(weft_thread_start(ts[i]));
    }
    atomic_store(&fork_go, 1);
    for (int i = 0; i < 8; i++) {
        void *r;
        ASSERT_OK(weft_thread_join(ts[i], WEFT_FOREVER));
        ASSERT_OK(weft_thread_result(ts[i], &r));
        ASSERT_EQ((intptr_t)r, 0);
        weft_thread_destroy(ts[i]);
    }
}

/* Many threads forking at once (testing.md G8, glibc's tst-fork*): each of 4 weft
 * threads forks several times while the others do too, and while a fifth thread
 * keeps a user Lock, an Event and the registry busy. Every child is consistent:
 * its forking thread is the main thread, it can start and join a thread and use
 * new primitives, and it exits cleanly. */
static _Atomic int churn_stop;
static weft_lock churn_lock = WEFT_LOCK_INIT;

static void *churn(void *arg)
{
    (void)arg;
    weft_event ev = WEFT_EVENT_INIT;
    while (!atomic_load(&churn_stop)) {
        ASSERT_OK(weft_lock_acquire(&churn_lock, true, WEFT_FOREVER));
        ASSERT_OK(weft_event_set(&ev));
        ASSERT_OK(weft_event_clear(&ev));
        ASSERT_OK(weft_lock_release(&churn_lock));
        weft_thread *snap[8];
        size_t n = weft_enumerate(snap, 8);
        for (size_t i = 0; i < n && i < 8; i++) weft_thread_unref(snap[i]);
    }
    return NULL;
}

static int child_after_concurrent_fork(void)
{
    if (weft_main_thread() != weft_current_thread()) return 10;
#ifndef WEFT_UNDER_TSAN
    /* ThreadSanitizer cannot start threads after a multi-threaded fork
     * ("starting new threads after multi-threaded fork is not supported"). */
    weft_thread *t = NULL;
    if (weft_thread_create(&t, ret_arg, (void *)5, NULL) != WEFT_OK) return 11;
    if (weft_thread_start(t) != WEFT_OK) return 12;
    if (weft_thread_join(t, WEFT_FOREVER) != WEFT_OK) return 13;
    void *r = NULL;
    if (weft_thread_result(t, &r) != WEFT_OK || r != (void *)5) return 14;
    weft_thread_destroy(t);
#endif
    weft_lock l;
    weft_lock_init(&l);
    if (weft_lock_acquire(&l, false, WEFT_FOREVER) != WEFT_OK) return 15;
    if (weft_lock_release(&l) != WEFT_OK) return 16;
    /* The user Lock the churner holds at times may be locked for ever here, as
     * in Python: only a non-blocking attempt is allowed. */
    if (weft_lock_acquire(&churn_lock, false, WEFT_FOREVER) == WEFT_OK)
        (void)weft_lock_release(&churn_lock);
    return 0;
}

static void *forker(void *arg)
{
    int rounds = (int)(intptr_t)arg;
    for (int i = 0; i < rounds; i++) {
        pid_t pid = fork();
        ASSERT(pid >= 0);
        if (pid == 0) _exit(child_after_concurrent_fork());
        int rc = weft_test_wait_child(pid);
        if (rc != 0) weft_test_fail(__FILE__, __LINE__, "fork child exited with %d", rc);
    }
    return NULL;
}

#if defined(__SANITIZE_ADDRESS__)
#  define WEFT_TEST_UNDER_ASAN 1
#elif defined(__has_feature)
#  if __has_feature(address_sanitizer)
#    define WEFT_TEST_UNDER_ASAN 1
#  endif
#endif

TEST(many_threads_fork_at_once)
{
#ifdef WEFT_TEST_UNDER_ASAN
    /* Not run under AddressSanitizer: with gcc 12's ASan runtime a fork child of
     * this test hung in 2 of 6 runs (0 of 15 in the plain build, 0 of 8 with the
     * parking backend, all passing under TSan and valgrind): the runtime keeps
     * internal locks that another thread may hold at fork(), and it has no
     * fork handlers for them. The other fork tests (one forking thread) run
     * under ASan. */
    fprintf(stderr, "many_threads_fork_at_once: skipped under AddressSanitizer\n");
    return;
#endif
    weft_thread *c = NULL, *f[4];
    ASSERT_OK(weft_thread_create(&c, churn, NULL, NULL));
    ASSERT_OK(weft_thread_start(c));
    int rounds = (int)weft_test_iters(10);
    for (int i = 0; i < 4; i++) {
        ASSERT_OK(weft_thread_create(&f[i], forker, (void *)(intptr_t)rounds, NULL));
        ASSERT_OK(weft_thread_start(f[i]));
    }
    for (int i = 0; i < 4; i++) {
        ASSERT_OK(weft_thread_join(f[i], WEFT_FOREVER));
        weft_thread_destroy(f[i]);
    }
    atomic_store(&churn_stop, 1);
    ASSERT_OK(weft_thread_join(c, WEFT_FOREVER));
    weft_thread_destroy(c);
}
