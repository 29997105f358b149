/* SPDX-License-Identifier: MIT */
/* tests/harness.h: weft's test harness.
 *
 * A test file defines cases with TEST(name) (fast suite) or SLOW_TEST(name)
 * (stress suite, label "slow"). tests/CMakeLists.txt finds them by reading the
 * source and registers each case as its own CTest test ("<file>.<name>"), run as
 * `<program> <name>` in its own process under a timeout, so a deadlock becomes a
 * named failure. `<program>` alone runs every case in order; `--list` lists them.
 *
 * Assertions print the expression, both operands and the location, then abort.
 * Timing: only lower bounds are exact. Upper bounds are sanity limits multiplied
 * by weft_test_factor() (environment WEFT_TEST_TIMEOUT_FACTOR, default 1; CI sets
 * it larger for sanitizers and valgrind). Never order threads with sleeps: use
 * the handshakes below.
 */
#ifndef WEFT_TESTS_HARNESS_H
#define WEFT_TESTS_HARNESS_H

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "weft.h"

typedef void (*weft_test_fn)(void);
void weft_test_register(const char *name, weft_test_fn fn, int slow);

#define WEFT__TEST(name, slow)                                                  \
    static void test_##name(void);                                              \
    __attribute__((constructor)) static void register_##name(void)              \
    { weft_test_register(#name, test_##name, slow); }                           \
    static void test_##name(void)
#define TEST(name) WEFT__TEST(name, 0)
#define SLOW_TEST(name) WEFT__TEST(name, 1)

void weft_test_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 3, 4)));

#define ASSERT(cond)                                                            \
    do { if (!(cond)) weft_test_fail(__FILE__, __LINE__, "ASSERT(%s)", #cond); } while (0)
#define ASSERT_TRUE(cond) ASSERT(cond)
#define ASSERT_FALSE(cond) ASSERT(!(cond))

#define WEFT__ASSERT_CMP(a, op, b)                                              \
    do {                                                                        \
        long long a_ = (long long)(a), b_ = (long long)(b);                     \
        if (!(a_ op b_))                                                        \
            weft_test_fail(__FILE__, __LINE__, "ASSERT(%s %s %s): %lld %s %lld",\
                           #a, #op, #b, a_, #op, b_);                           \
    } while (0)
#define ASSERT_EQ(a, b) WEFT__ASSERT_CMP(a, ==, b)
#define ASSERT_NE(a, b) WEFT__ASSERT_CMP(a, !=, b)
#define ASSERT_LT(a, b) WEFT__ASSERT_CMP(a, <, b)
#define ASSERT_LE(a, b) WEFT__ASSERT_CMP(a, <=, b)
#define ASSERT_GT(a, b) WEFT__ASSERT_CMP(a, >, b)
#define ASSERT_GE(a, b) WEFT__ASSERT_CMP(a, >=, b)

#define ASSERT_PTR_EQ(a, b)                                                     \
    do {                                                                        \
        const void *a_ = (const void *)(a), *b_ = (const void *)(b);            \
        if (a_ != b_)                                                           \
            weft_test_fail(__FILE__, __LINE__, "ASSERT(%s == %s): %p != %p",    \
                           #a, #b, a_, b_);                                     \
    } while (0)

#define ASSERT_STR_EQ(a, b)                                                     \
    do {                                                                        \
        const char *a_ = (a), *b_ = (b);                                        \
        if (!a_ || !b_ || strcmp(a_, b_) != 0)                                  \
            weft_test_fail(__FILE__, __LINE__, "ASSERT(%s == %s): \"%s\" != \"%s\"", \
                           #a, #b, a_ ? a_ : "(null)", b_ ? b_ : "(null)");     \
    } while (0)

/* Compare weft return codes, printing their names. */
#define ASSERT_RC(expr, expected)                                               \
    do {                                                                        \
        int r_ = (expr), e_ = (expected);                                       \
        if (r_ != e_)                                                           \
            weft_test_fail(__FILE__, __LINE__, "%s returned %s (%d), expected %s (%d)", \
                           #expr, weft_errname(r_), r_, weft_errname(e_), e_);  \
    } while (0)
#define ASSERT_OK(expr) ASSERT_RC(expr, WEFT_OK)

/* ---- time ----------------------------------------------------------------- */

/* Monotonic seconds. */
double weft_test_now(void);
/* WEFT_TEST_TIMEOUT_FACTOR, default 1.0. */
double weft_test_factor(void);
/* Sleep (for giving a thread a chance to block; never for ordering). */
void weft_test_sleep(double seconds);
/* Wait for child process pid with a watchdog of 20 s (scaled): its exit
 * status, -1 if a signal killed it, -2 if it hung and was killed. */
int weft_test_wait_child(int pid);
/* A timed-out wait waited at least its timeout (exact, minus clock granularity). */
#define ASSERT_ELAPSED_AT_LEAST(t0, seconds)                                    \
    do {                                                                        \
        double el_ = weft_test_now() - (t0);                                    \
        if (el_ < (seconds) - 1e-4)                                             \
            weft_test_fail(__FILE__, __LINE__, "elapsed %.6fs < %.6fs", el_, (double)(seconds)); \
    } while (0)
/* Sanity upper bound, scaled by the factor. */
#define ASSERT_ELAPSED_AT_MOST(t0, seconds)                                     \
    do {                                                                        \
        double el_ = weft_test_now() - (t0), lim_ = (seconds) * weft_test_factor(); \
        if (el_ > lim_)                                                         \
            weft_test_fail(__FILE__, __LINE__, "elapsed %.6fs > %.6fs (scaled)", el_, lim_); \
    } while (0)

/* Wait (polling with short sleeps) until cond becomes true, failing after
 * `seconds` (scaled). For "a thread is now blocked" checks, e.g. waiting until a
 * lock has a waiter. */
#define WAIT_UNTIL(cond, seconds)                                               \
    do {                                                                        \
        double dl_ = weft_test_now() + (seconds) * weft_test_factor();          \
        while (!(cond)) {                                                       \
            if (weft_test_now() > dl_)                                          \
                weft_test_fail(__FILE__, __LINE__, "WAIT_UNTIL(%s) timed out", #cond); \
            weft_test_sleep(0.0005);                                            \
        }                                                                       \
    } while (0)

/* Turn-taking between threads on an atomic int: weft_test_turn_set stores val
 * and wakes every thread in weft_test_turn_wait, which returns once *v == want.
 * The waiter polls briefly, then sleeps on a condition variable (never
 * sched_yield: on a loaded machine a yield can give the CPU away for a whole
 * time slice, and thousands of turns then take minutes). Fails the test after
 * 30 s (scaled); the condvar wait times out only then (harness.c says why).
 * Not for use across fork (one process-wide mutex). */
void weft_test_turn_set(_Atomic int *v, int val);
void weft_test_turn_wait(_Atomic int *v, int want);

/* ---- raw threads (threads weft did not create) ------------------------------ */

/* Start n pthreads running fn(arg, index); join them all. Test threads that are
 * not weft threads also check that primitives work from foreign threads. */
typedef void (*weft_test_thread_fn)(void *arg, int index);
typedef struct weft_test_threads weft_test_threads;
weft_test_threads *weft_test_start(int n, weft_test_thread_fn fn, void *arg);
void weft_test_join(weft_test_threads *ts);
/* Number of threads of the group that have returned from fn. */
int weft_test_finished(weft_test_threads *ts);

/* Iteration scaling for stress tests: WEFT_TEST_ITER_FACTOR (default 1.0; CI
 * lowers it for TSan and valgrind). Returns max(1, n * factor). */
long weft_test_iters(long n);

#endif /* WEFT_TESTS_HARNESS_H */
