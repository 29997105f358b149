/* bench-spawn: create a thread running an empty function, then join it, one at
 * a time. Implementations: pthread_create + pthread_join (the baseline), C11
 * thrd_create + thrd_join, GLib g_thread_new + g_thread_join, weft Thread
 * (create + start + join + destroy). CPython's threading.Thread from bench/py.
 */
#include "bench.h"

#include <threads.h>

#if WEFT_BENCH_HAVE_THREAD
#include <weft/thread.h>
#endif
#ifdef WEFT_BENCH_HAVE_GLIB
#include <glib.h>
#endif

static void *empty(void *arg) { return arg; }
static int empty_c11(void *arg) { (void)arg; return 0; }

static double run_pthread(void *ctx, uint64_t iters)
{
    double t0 = bench_now();
    for (uint64_t i = 0; i < iters; i++) {
        pthread_t t;
        if (pthread_create(&t, NULL, empty, NULL) != 0) { fprintf(stderr, "pthread_create failed\n"); exit(1); }
        pthread_join(t, NULL);
    }
    return bench_now() - t0;
}

static double run_c11(void *ctx, uint64_t iters)
{
    double t0 = bench_now();
    for (uint64_t i = 0; i < iters; i++) {
        thrd_t t;
        if (thrd_create(&t, empty_c11, NULL) != thrd_success) { fprintf(stderr, "thrd_create failed\n"); exit(1); }
        thrd_join(t, NULL);
    }
    return bench_now() - t0;
}

#ifdef WEFT_BENCH_HAVE_GLIB
static double run_glib(void *ctx, uint64_t iters)
{
    double t0 = bench_now();
    for (uint64_t i = 0; i < iters; i++) {
        GThread *t = g_thread_new("bench", empty, NULL);
        g_thread_join(t);
    }
    return bench_now() - t0;
}
#endif

#if WEFT_BENCH_HAVE_THREAD
static double run_weft(void *ctx, uint64_t iters)
{
    double t0 = bench_now();
    for (uint64_t i = 0; i < iters; i++) {
        weft_thread *t;
        if (weft_thread_create(&t, empty, NULL, NULL) != WEFT_OK || weft_thread_start(t) != WEFT_OK) {
            fprintf(stderr, "weft_thread_create/start failed\n");
            exit(1);
        }
        (void)weft_thread_join(t, WEFT_FOREVER);
        weft_thread_destroy(t);
    }
    return bench_now() - t0;
}
#endif

int main(void)
{
    const char *w = "spawn+join";
    bench_case cases[] = {
        { "pthread_create+join", "base", run_pthread, NULL, 1, 0, 0, { 0 } },
        { "C11 thrd_create+join", "peer", run_c11, NULL, 1, 0, 0, { 0 } },
#ifdef WEFT_BENCH_HAVE_GLIB
        { "GLib g_thread_new+join", "peer", run_glib, NULL, 1, 0, 0, { 0 } },
#endif
#if WEFT_BENCH_HAVE_THREAD
        { "weft Thread", "weft", run_weft, NULL, 1, 0, 0, { 0 } },
#endif
    };
    bench_suite(w, BENCH_US, cases, sizeof cases / sizeof cases[0]);
#if !WEFT_BENCH_HAVE_THREAD
    bench_weft_missing(w, "Thread");
#endif
    bench_note(w, "one thread at a time: create, run an empty function, join; us per thread");
    return 0;
}
