/* SPDX-License-Identifier: MIT */
/* tests/harness.c: registration, the runner, assertions and raw test threads. */
#include "harness.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <time.h>

#define MAX_TESTS 1024

static struct { const char *name; weft_test_fn fn; int slow; } tests[MAX_TESTS];
static int ntests;

void weft_test_register(const char *name, weft_test_fn fn, int slow)
{
    if (ntests == MAX_TESTS) {
        fprintf(stderr, "harness: too many tests\n");
        abort();
    }
    tests[ntests].name = name;
    tests[ntests].fn = fn;
    tests[ntests].slow = slow;
    ntests++;
}

void weft_test_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "FAIL %s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
    fflush(stderr);
    abort();
}

double weft_test_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double env_double(const char *name, double dflt)
{
    const char *s = getenv(name);
    if (!s || !*s) return dflt;
    double v = strtod(s, NULL);
    return v > 0 ? v : dflt;
}

double weft_test_factor(void) { return env_double("WEFT_TEST_TIMEOUT_FACTOR", 1.0); }

long weft_test_iters(long n)
{
    double v = (double)n * env_double("WEFT_TEST_ITER_FACTOR", 1.0);
    return v < 1 ? 1 : (long)v;
}

void weft_test_sleep(double seconds)
{
    struct timespec ts;
    ts.tv_sec = (time_t)seconds;
    ts.tv_nsec = (long)((seconds - (double)ts.tv_sec) * 1e9);
    while (nanosleep(&ts, &ts) != 0) {
    }
}

static pthread_mutex_t turn_m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t turn_c = PTHREAD_COND_INITIALIZER;

void weft_test_turn_set(_Atomic int *v, int val)
{
    pthread_mutex_lock(&turn_m);
    atomic_store(v, val);
    pthread_cond_broadcast(&turn_c);
    pthread_mutex_unlock(&turn_m);
}

void weft_test_turn_wait(_Atomic int *v, int want)
{
    for (int k = 0; k < 1000; k++)
        if (atomic_load(v) == want) return;
    /* One absolute deadline, not a short re-check period: glibc 2.36's
     * pthread_cond_timedwait, when it times out just as a broadcast arrives,
     * hands the signal it consumed on by calling pthread_cond_signal without
     * holding the mutex, which helgrind reports as a misuse (a fork child then
     * inherits the error count and exits 97). Here the wait times out only when
     * the test fails anyway. */
    double wait_s = 30 * weft_test_factor();
    struct timespec dl;
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_sec += (time_t)wait_s;
    dl.tv_nsec += (long)((wait_s - (double)(time_t)wait_s) * 1e9);
    if (dl.tv_nsec >= 1000000000L) {
        dl.tv_sec++;
        dl.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&turn_m);
    while (atomic_load(v) != want) {
        if (pthread_cond_timedwait(&turn_c, &turn_m, &dl) == ETIMEDOUT && atomic_load(v) != want) {
            int at = atomic_load(v);
            pthread_mutex_unlock(&turn_m);
            weft_test_fail(__FILE__, __LINE__, "turn: waited %.0f s for %d (at %d)", wait_s, want, at);
        }
    }
    pthread_mutex_unlock(&turn_m);
}

int weft_test_wait_child(int pid)
{
    double dl = weft_test_now() + 20.0 * weft_test_factor();
    for (;;) {
        int st;
        pid_t r = waitpid((pid_t)pid, &st, WNOHANG);
        if (r == (pid_t)pid) return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
        ASSERT(r == 0);
        if (weft_test_now() > dl) {
            kill((pid_t)pid, SIGKILL);
            waitpid((pid_t)pid, &st, 0);
            return -2;
        }
        weft_test_sleep(0.002);   /* polling waitpid: not for ordering */
    }
}

struct weft_test_threads {
    int n;
    weft_test_thread_fn fn;
    void *arg;
    atomic_int finished;
    struct slot { pthread_t tid; struct weft_test_threads *ts; int index; } *slots;
};

static void *raw_main(void *p)
{
    struct slot *s = p;
    s->ts->fn(s->ts->arg, s->index);
    atomic_fetch_add(&s->ts->finished, 1);
    return NULL;
}

weft_test_threads *weft_test_start(int n, weft_test_thread_fn fn, void *arg)
{
    weft_test_threads *ts = calloc(1, sizeof *ts);
    ASSERT(ts != NULL);
    ts->n = n;
    ts->fn = fn;
    ts->arg = arg;
    ts->slots = calloc((size_t)n, sizeof *ts->slots);
    ASSERT(ts->slots != NULL);
    for (int i = 0; i < n; i++) {
        ts->slots[i].ts = ts;
        ts->slots[i].index = i;
        ASSERT_EQ(pthread_create(&ts->slots[i].tid, NULL, raw_main, &ts->slots[i]), 0);
    }
    return ts;
}

void weft_test_join(weft_test_threads *ts)
{
    for (int i = 0; i < ts->n; i++) pthread_join(ts->slots[i].tid, NULL);
    free(ts->slots);
    free(ts);
}

int weft_test_finished(weft_test_threads *ts) { return atomic_load(&ts->finished); }

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--list") == 0) {
        for (int i = 0; i < ntests; i++) printf("%s%s\n", tests[i].name, tests[i].slow ? " (slow)" : "");
        return 0;
    }
    int ran = 0;
    for (int i = 0; i < ntests; i++) {
        if (argc > 1 && strcmp(argv[1], tests[i].name) != 0) continue;
        if (argc == 1) fprintf(stderr, "-- %s\n", tests[i].name);
        tests[i].fn();
        ran++;
    }
    if (ran == 0) {
        fprintf(stderr, "harness: no test named %s\n", argc > 1 ? argv[1] : "(any)");
        return 2;
    }
    return 0;
}
