/* SPDX-License-Identifier: MIT */
/* tests/lock-test-util.h: helpers shared by test-lock.c, test-rlock.c and
 * test-condition.c. */
#ifndef WEFT_TESTS_LOCK_TEST_UTIL_H
#define WEFT_TESTS_LOCK_TEST_UTIL_H

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "internal/lock.h"
#include "weft/debug.h"

/* The lock is at rest: unlocked, nobody marked in its word. A stress run whose
 * last thread took the lock WEFT__BIAS_STREAK times in a row by itself may end
 * with the lock biased to that thread (docs/design/lock.md, "Biased mode"):
 * BIASED with `owned` FREE is at rest too. */
#define ASSERT_LOCK_AT_REST(l)                                                   \
    do {                                                                         \
        uint32_t s_ = atomic_load(&(l)->state);                                  \
        ASSERT(s_ == 0 || (s_ == WEFT__LOCK_BIASED &&                            \
                           atomic_load(&(l)->owned) == WEFT__LOCK_OWNED_FREE));  \
        ASSERT(!weft_lock_locked(l));                                            \
    } while (0)

/* How many threads weft_debug_dump shows blocked on obj (a Lock, or an RLock):
 * each one has published its wait record, so it is past the fast path and has
 * gone to sleep or is about to (the record is published before the thread marks
 * the word and sleeps). For "N threads are now blocked" handshakes instead of
 * sleeps; the lock's word does not count its waiters. errno is kept (tests check
 * that weft leaves it alone, and the dump's stdio may set it). */
static inline int blocked_on(const void *obj)
{
    int saved_errno = errno;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) {
        errno = saved_errno;
        return -1;
    }
    int rc = weft_debug_dump(f);
    fclose(f);
    if (rc != WEFT_OK) {
        free(text);
        errno = saved_errno;
        return -1;
    }
    char ptr[64];
    snprintf(ptr, sizeof ptr, "%p", obj);
    int n = 0;
    for (char *line = text; line && *line;) {
        char *end = strchr(line, '\n');
        if (end) *end = '\0';
        char *at = strstr(line, "blocked in ");
        if (at && (strstr(at, " Lock on ") || strstr(at, " RLock on "))) {
            char *p = strstr(at, ptr);
            size_t k = strlen(ptr);
            /* the whole address, not a prefix of a longer one */
            if (p && (p[k] == '\0' || p[k] == ' ' || p[k] == ')')) n++;
        }
        line = end ? end + 1 : NULL;
    }
    free(text);
    errno = saved_errno;
    return n;
}

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
