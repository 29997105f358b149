/* SPDX-License-Identifier: MIT */
/* examples/demo.h: the few helpers every example shares.
 *
 *   CHECK(call)        the call must return WEFT_OK; otherwise print where, what and
 *                      the code's name, and end the process with status 1.
 *   CHECK_IS(call, rc) the call must return rc (e.g. WEFT_ETIMEDOUT).
 *   demo_sleep(s)      Python's time.sleep(s), for pacing only. With WEFT_DEMO_FAST=1
 *                      in the environment (tour.sh and the CTest runs set it) every
 *                      sleep is a tenth as long. No example relies on a sleep for
 *                      correctness: order is made with weft's own objects.
 *   demo_seconds(s)    s, or s/10 in fast mode: for timeouts that pace the output.
 *   demo_now()         a monotonic clock in seconds (Python's time.perf_counter()).
 *   demo_random()      Python's random.random(), thread-safe.
 *
 * The examples are user programs: unlike weft's own sources they may call the C
 * library and POSIX directly.
 */
#ifndef WEFT_EXAMPLES_DEMO_H
#define WEFT_EXAMPLES_DEMO_H

#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L   /* examples/CMakeLists.txt also defines it */
#endif
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "weft.h"

/* Failing fast: _Exit, because exit() would wait for the non-daemon threads,
 * which may be the ones blocked on whatever just failed. */
#define CHECK_IS(call, want)                                                      \
    do {                                                                          \
        int check_rc_ = (call);                                                   \
        if (check_rc_ != (want)) {                                                \
            fflush(stdout);                                                       \
            fprintf(stderr, "%s:%d: %s returned %s (%s), expected %s\n",         \
                    __FILE__, __LINE__, #call, weft_errname(check_rc_),           \
                    weft_strerror(check_rc_), weft_errname(want));                \
            fflush(stderr);                                                       \
            _Exit(1);                                                             \
        }                                                                         \
    } while (0)
#define CHECK(call) CHECK_IS(call, WEFT_OK)

/* A thread body that may fail: the same check, but the process still ends. */
#define CHECK_PTR(p)                                                              \
    do {                                                                          \
        if ((p) == NULL) {                                                        \
            fprintf(stderr, "%s:%d: %s is NULL\n", __FILE__, __LINE__, #p);       \
            _Exit(1);                                                             \
        }                                                                         \
    } while (0)

static inline int demo_fast(void)
{
    const char *s = getenv("WEFT_DEMO_FAST");
    return s != NULL && s[0] != '\0' && strcmp(s, "0") != 0;
}

static inline double demo_seconds(double s)
{
    return demo_fast() ? s / 10.0 : s;
}

static inline void demo_sleep(double s)
{
    s = demo_seconds(s);
    if (s <= 0)
        return;
    struct timespec ts;
    ts.tv_sec = (time_t)s;
    ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
    while (nanosleep(&ts, &ts) != 0) {
        /* interrupted: sleep the rest */
    }
}

static inline double demo_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A small xorshift generator with one atomic state word, so any thread may call it. */
static inline double demo_random(void)
{
    static _Atomic unsigned long long state = 88172645463325252ULL;
    unsigned long long x = atomic_load_explicit(&state, memory_order_relaxed), y;
    do {
        y = x;
        y ^= y << 13;
        y ^= y >> 7;
        y ^= y << 17;
    } while (!atomic_compare_exchange_weak_explicit(&state, &x, y, memory_order_relaxed,
                                                    memory_order_relaxed));
    return (double)(y >> 11) / 9007199254740992.0;
}

/* Print and flush at once, so lines from several threads do not sit in a buffer
 * (Python's print() is line-buffered on a terminal; CTest reads a pipe). */
#define say(...) (printf(__VA_ARGS__), fflush(stdout))

#endif /* WEFT_EXAMPLES_DEMO_H */
