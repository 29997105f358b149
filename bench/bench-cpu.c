/* bench-cpu: the seeds' CPU-bound benchmark, sum of i**0.3 for i < N, split in
 * equal ranges over 1, 2 and 4 threads (N = 50 million as in the seed, 10^6 in
 * quick mode). Rows: wall time per thread count, and the speed-up over one
 * thread of the same implementation. Implementations: raw pthreads (the
 * baseline) and weft Thread. CPython threads and multiprocessing from bench/py
 * (with a smaller N, scaled to this N).
 */
#include "bench.h"

#include <math.h>

#if WEFT_BENCH_HAVE_THREAD
#include <weft/thread.h>
#endif

typedef struct {
    uint64_t lo, hi;
    double sum;
} part;

static void *sum_part(void *arg)
{
    part *p = arg;
    double s = 0;
    for (uint64_t i = p->lo; i < p->hi; i++)
        s += pow((double)i, 0.3);
    p->sum = s;
    return NULL;
}

static uint64_t g_n;

static void split(part *p, int threads)
{
    for (int i = 0; i < threads; i++) {
        p[i].lo = g_n * (uint64_t)i / (uint64_t)threads;
        p[i].hi = g_n * (uint64_t)(i + 1) / (uint64_t)threads;
        p[i].sum = 0;
    }
}

static double total(const part *p, int threads)
{
    double s = 0;
    for (int i = 0; i < threads; i++)
        s += p[i].sum;
    return s;
}

static double run_pthread(int threads, double *sum)
{
    part p[8];
    pthread_t t[8];
    split(p, threads);
    double t0 = bench_now();
    for (int i = 0; i < threads; i++)
        if (pthread_create(&t[i], NULL, sum_part, &p[i]) != 0) exit(1);
    for (int i = 0; i < threads; i++)
        pthread_join(t[i], NULL);
    double d = bench_now() - t0;
    *sum = total(p, threads);
    return d;
}

#if WEFT_BENCH_HAVE_THREAD
static double run_weft(int threads, double *sum)
{
    part p[8];
    weft_thread *t[8];
    split(p, threads);
    double t0 = bench_now();
    for (int i = 0; i < threads; i++)
        if (weft_thread_create(&t[i], sum_part, &p[i], NULL) != WEFT_OK || weft_thread_start(t[i]) != WEFT_OK)
            exit(1);
    for (int i = 0; i < threads; i++) {
        (void)weft_thread_join(t[i], WEFT_FOREVER);
        weft_thread_destroy(t[i]);
    }
    double d = bench_now() - t0;
    *sum = total(p, threads);
    return d;
}
#endif

typedef struct {
    const char *impl;
    const char *role;
    double (*fn)(int threads, double *sum);
    double v[3][BENCH_REPS];   /* [thread-count index][repetition], seconds */
} cpu_case;

/* For each thread count: a warm-up of every implementation, then BENCH_REPS
 * rounds of one run of each in turn (interleaved, as bench_suite does). */
static void measure(cpu_case *c, size_t n)
{
    static const int counts[] = { 1, 2, 4 };
    double ref = 0;
    for (size_t k = 0; k < 3; k++) {
        double sum = 0;
        for (size_t i = 0; i < n; i++)
            (void)c[i].fn(counts[k], &sum);
        for (int r = 0; r < BENCH_REPS; r++)
            for (size_t i = 0; i < n; i++) {
                c[i].v[k][r] = c[i].fn(counts[k], &sum);
                if (ref == 0)
                    ref = sum;
                else if (fabs(sum - ref) > 1e-6 * ref) {
                    fprintf(stderr, "bench-cpu: %s: %d threads computed %g, expected %g\n",
                            c[i].impl, counts[k], sum, ref);
                    exit(1);
                }
            }
    }
    for (size_t k = 0; k < 3; k++) {
        char w[48];
        snprintf(w, sizeof w, "cpu sum %dT", counts[k]);
        for (size_t i = 0; i < n; i++) {
            double *v = c[i].v[k];
            qsort(v, BENCH_REPS, sizeof v[0], bench_cmp_double);
            bench_row(w, c[i].impl, c[i].role, v[BENCH_REPS / 2], v[0], v[BENCH_REPS - 1], "s", false);
        }
        if (k == 0)
            continue;
        /* speed-up over the same implementation's own 1-thread median */
        snprintf(w, sizeof w, "cpu sum speed-up %dT", counts[k]);
        for (size_t i = 0; i < n; i++) {
            double med1 = c[i].v[0][BENCH_REPS / 2], *v = c[i].v[k];
            bench_row(w, c[i].impl, c[i].role, med1 / v[BENCH_REPS / 2], med1 / v[BENCH_REPS - 1],
                      med1 / v[0], "x", true);
        }
    }
}

int main(void)
{
    g_n = bench_scaled(50000000, 50);
    static cpu_case cases[] = {
        { "raw pthreads", "base", run_pthread, { { 0 } } },
#if WEFT_BENCH_HAVE_THREAD
        { "weft threads", "weft", run_weft, { { 0 } } },
#endif
    };
    measure(cases, sizeof cases / sizeof cases[0]);
#if !WEFT_BENCH_HAVE_THREAD
    bench_weft_missing("cpu sum 1T", "Thread");
    bench_weft_missing("cpu sum speed-up 2T", "Thread");
#endif
    bench_note("cpu sum 1T", "sum of i**0.3 for i < %llu, wall time in seconds, thread start and join included",
               (unsigned long long)g_n);
    bench_note("cpu sum speed-up 2T", "speed-up = 1-thread median / n-thread median of the same implementation; %d CPUs available, so at most %dx",
               bench_ncpus(), bench_ncpus());
    return 0;
}
