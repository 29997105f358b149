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
