/* SPDX-License-Identifier: MIT */
/* tests/lock-test-util.h: helpers shared by test-lock.c, test-rlock.c and
 * test-condition.c. */
#ifndef WEFT_TESTS_LOCK_TEST_UTIL_H
#define WEFT_TESTS_LOCK_TEST_UTIL_H

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

/* Run fn in a child process and check that it aborts (SIGABRT) after printing a
 * message that contains `needle` and the file name `file` on stderr: the
 * WEFT_DEBUG use-after-destroy report. */
static inline void expect_debug_abort(void (*fn)(void), const char *needle, const char *file)
{
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    ASSERT(pid >= 0);
    if (pid == 0) {
        dup2(fds[1], 2);
        close(fds[0]);
        fn();
        _exit(0); /* not reached if the check works */
    }
    close(fds[1]);
    char buf[1024];
    size_t len = 0;
    ssize_t r;
    while (len < sizeof buf - 1 && (r = read(fds[0], buf + len, sizeof buf - 1 - len)) > 0)
        len += (size_t)r;
    buf[len] = 0;
    close(fds[0]);
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGABRT)
        weft_test_fail(__FILE__, __LINE__, "child did not abort (status %d), stderr: %s", status, buf);
    if (!strstr(buf, needle) || !strstr(buf, file))
        weft_test_fail(__FILE__, __LINE__, "abort message lacks \"%s\"/\"%s\": %s", needle, file, buf);
}

#endif /* WEFT_TESTS_LOCK_TEST_UTIL_H */
