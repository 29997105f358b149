/* SPDX-License-Identifier: MIT */
/* tests/exit/child.c: small programs whose exit the driver (test-exit.c) checks.
 * `exit-child MODE`; every weft return code is checked (exit status 90 if not). */
#define _POSIX_C_SOURCE 200809L
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "weft.h"

#define CHECK(expr) do { if ((expr) != WEFT_OK) { fprintf(stderr, "%s failed\n", #expr); exit(90); } } while (0)

static void nap(double s)
{
    struct timespec ts = { (time_t)s, (long)((s - (double)(time_t)s) * 1e9) };
    nanosleep(&ts, NULL);
}

static void *slow_print(void *arg)
{
    nap(0.3);
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
    nap(0.05);
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

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    if (strcmp(mode, "nondaemon") == 0) {
        /* main returns while a non-daemon thread runs: the process waits */
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
        spawn(block_forever, NULL, WEFT_THREAD_DAEMON);
        spawn(slow_print, "B", WEFT_THREAD_NON_DAEMON);
        exit(7);                      /* exit() waits like returning from main */
    }
    if (strcmp(mode, "exit_in_thread") == 0) {
        /* exit() from a non-main, non-daemon weft thread while another non-daemon
         * thread runs: no deadlock (it does not wait for itself), the other
         * thread is waited for */
        spawn(slow_print, "C", 0);
        spawn(exit_three, NULL, 0);
        for (;;) nap(10);
    }
    if (strcmp(mode, "join_main") == 0) {
        /* a thread joining the main thread returns once main is finishing */
        spawn(join_main, NULL, 0);
        nap(0.05);
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
