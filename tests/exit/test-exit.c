/* SPDX-License-Identifier: MIT */
/* tests/exit/test-exit.c: the exit rules (weft/thread.h): run exit-child in each
 * mode and check its output, exit status and timing. */
#include "harness.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef EXIT_CHILD
#  error "EXIT_CHILD must name the child program"
#endif

/* Run the child; collect stdout+stderr into out; return the exit status
 * (-1 killed by a signal, -2 hung and was killed). */
static int run(const char *mode, char *out, size_t cap, double *elapsed)
{
    int fds[2];
    ASSERT(pipe(fds) == 0);
    double t0 = weft_test_now();
    fflush(NULL);
    pid_t pid = fork();
    ASSERT(pid >= 0);
    if (pid == 0) {
        dup2(fds[1], 1);
        dup2(fds[1], 2);
        close(fds[0]);
        close(fds[1]);
        execl(EXIT_CHILD, EXIT_CHILD, mode, (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    size_t n = 0;
    ssize_t r;
    while ((r = read(fds[0], out + n, cap - 1 - n)) > 0) {
        n += (size_t)r;
        if (n == cap - 1) break;
    }
    out[n] = '\0';
    close(fds[0]);
    int st = 0;
    double dl = weft_test_now() + 20 * weft_test_factor();
    for (;;) {
        pid_t w = waitpid(pid, &st, WNOHANG);
        if (w == pid) break;
        if (weft_test_now() > dl) {
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
            return -2;
        }
        weft_test_sleep(0.002);
    }
    *elapsed = weft_test_now() - t0;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

TEST(ThreadTests_test_join_nondaemon_on_shutdown)
{
    char out[1024];
    double el;
    ASSERT_EQ(run("nondaemon", out, sizeof out, &el), 0);
    ASSERT_STR_EQ(out, "main returns\nworker A done\n");
    ASSERT_GE(el, 0.3 - 1e-3);
}

TEST(daemon_thread_does_not_hold_up_exit)
{
    char out[1024];
    double el;
    ASSERT_EQ(run("daemon", out, sizeof out, &el), 0);
    ASSERT_STR_EQ(out, "main returns\n");
    ASSERT_LT(el, 5.0 * weft_test_factor());
}

TEST(exit_waits_for_nondaemon_not_daemon)
{
    char out[1024];
    double el;
    ASSERT_EQ(run("mixed", out, sizeof out, &el), 7);
    ASSERT_STR_EQ(out, "worker B done\n");
    ASSERT_LT(el, 5.0 * weft_test_factor());
}

TEST(exit_from_nonmain_thread_does_not_deadlock)
{
    char out[1024];
    double el;
    ASSERT_EQ(run("exit_in_thread", out, sizeof out, &el), 3);
    ASSERT_STR_EQ(out, "worker C done\n");
}

TEST(ThreadTests_test_main_thread_during_shutdown)
{
    char out[1024];
    double el;
    ASSERT_EQ(run("join_main", out, sizeof out, &el), 0);
    ASSERT_STR_EQ(out, "main returns\nmain joined: WEFT_OK\n");
}

TEST(ExceptHookTests_test_excepthook)
{
    char out[1024];
    double el;
    ASSERT_EQ(run("failure", out, sizeof out, &el), 0);
    ASSERT_STR_EQ(out, "Exception in thread bad-worker:\nWEFT_EINVAL: bad input 7\n");
}

/* ---- exit callbacks (internal/atexit.h) and executors at exit ---------------- */

static int count_of(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle)) n++;
    return n;
}

/* Every one of the four slow tasks printed exactly once, after "main returns". */
static void check_four_tasks(const char *out)
{
    ASSERT_EQ(strncmp(out, "main returns\n", 13), 0);
    char line[32];
    for (int i = 0; i < 4; i++) {
        snprintf(line, sizeof line, "task %d done\n", i);
        ASSERT_EQ(count_of(out, line), 1);
    }
    ASSERT_EQ(strlen(out), 13 + 4 * strlen("task 0 done\n"));
}

/* Python: concurrent.futures.thread._python_exit (registered with
 * threading._register_atexit) lets the workers finish the queue at exit. */
TEST(ThreadPoolShutdownTest_test_interpreter_shutdown)
{
    char out[1024];
    double el;
    ASSERT_EQ(run("executor_return", out, sizeof out, &el), 0);
    check_four_tasks(out);
    ASSERT_GE(el, 0.4 - 1e-3);   /* two rounds of 0.2 s on two workers */
}

TEST(executor_work_finishes_on_exit_call)
{
    char out[1024];
    double el;
    ASSERT_EQ(run("executor_exit", out, sizeof out, &el), 5);
    check_four_tasks(out);
    ASSERT_GE(el, 0.4 - 1e-3);
}

TEST(executor_running_task_finishes_on_exit)
{
    char out[1024];
    double el;
    ASSERT_EQ(run("executor_running", out, sizeof out, &el), 0);
    ASSERT_STR_EQ(out, "main returns\nrunning task done\n");
}

/* Non-daemon idle workers of a pool that was never shut down: the exit callback
 * shuts it down before the exit handler waits for them, so exit does not hang. */
TEST(executor_idle_workers_do_not_hold_up_exit)
{
    char out[1024];
    double el;
    ASSERT_EQ(run("executor_idle", out, sizeof out, &el), 0);
    ASSERT_EQ(count_of(out, " done\n"), 3);
    ASSERT_EQ(count_of(out, "main returns\n"), 1);
    ASSERT_LT(el, 5.0 * weft_test_factor());
}

TEST(ThreadPoolShutdownTest_test_hang_gh83386)
{
    char out[1024];
    double el;
    ASSERT_EQ(run("executor_shutdown_nowait", out, sizeof out, &el), 0);
    ASSERT_STR_EQ(out, "task 0 done\n");
}

/* Python raises "cannot schedule new futures after interpreter shutdown". */
TEST(ThreadPoolShutdownTest_test_submit_after_interpreter_shutdown)
{
    char out[1024];
    double el;
    ASSERT_EQ(run("executor_submit_in_atexit", out, sizeof out, &el), 0);
    ASSERT_STR_EQ(out, "submit in atexit: WEFT_ESHUTDOWN\n");
}

TEST(executor_submit_to_any_pool_fails_once_exit_began)
{
    char out[1024];
    double el;
    ASSERT_EQ(run("executor_submit_other_during_exit", out, sizeof out, &el), 0);
    ASSERT_STR_EQ(out, "older pool shut down: 0\nsubmit to older pool: WEFT_ESHUTDOWN\n");
}

TEST(executor_destroyed_before_exit_unregisters)
{
    char out[1024];
    double el;
    ASSERT_EQ(run("executor_destroyed", out, sizeof out, &el), 0);
    ASSERT_STR_EQ(out, "registered: 2\ntask 7 done\nregistered after destroy: 0\n");
}

/* Python: threading._shutdown calls _threading_atexits reversed, then joins. */
TEST(atexit_callbacks_run_newest_first_before_nondaemon_wait)
{
    char out[1024];
    double el;
    ASSERT_EQ(run("atexit_order", out, sizeof out, &el), 0);
    ASSERT_STR_EQ(out, "main returns\ncallback 2\ncallback 1\nthread done\n");
}

/* An executor destroyed in another thread while its exit callback runs must not
 * be freed under the callback: unregister waits for the callback to return. */
TEST(atexit_unregister_waits_for_running_callback)
{
    char out[1024];
    double el;
    ASSERT_EQ(run("atexit_unregister_waits", out, sizeof out, &el), 0);
    ASSERT_STR_EQ(out, "callback done\nunregister returned, callback finished: 1\n");
}

/* Python: "can't register atexit after shutdown" (RuntimeError). */
TEST(ThreadTests_test_atexit_after_shutdown)
{
    char out[1024];
    double el;
    ASSERT_EQ(run("atexit_late", out, sizeof out, &el), 0);
    ASSERT_STR_EQ(out, "register: WEFT_ESTATE\nunregister other: WEFT_OK\n"
                       "unregister self: WEFT_OK\nsubmit: WEFT_ESHUTDOWN\n");
}

TEST(executor_fork_child_exits_without_parent_work)
{
    char out[1024];
    double el;
    ASSERT_EQ(run("executor_fork", out, sizeof out, &el), 0);
    /* LeakSanitizer in the fork child warns that the parent's threads (listed
     * in its copy of the runtime's thread registry) were not suspended: drop
     * such sanitizer lines. */
    char *w = out;
    for (char *r = out; *r;) {
        char *nl = strchr(r, '\n');
        size_t len = nl ? (size_t)(nl - r) + 1 : strlen(r);
        if (strncmp(r, "==", 2) != 0) {
            memmove(w, r, len);
            w += len;
        }
        r += len;
    }
    *w = '\0';
    ASSERT_EQ(count_of(out, "child exited 4\n"), 1);
    ASSERT_EQ(count_of(out, "task 1 done\n"), 1);
    ASSERT_EQ(count_of(out, "task 2 done\n"), 1);
    ASSERT_EQ(strlen(out), strlen("child exited 4\ntask 1 done\ntask 2 done\n"));
}
