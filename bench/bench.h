/* bench.h: the harness every bench/bench-*.c program shares.
 *
 * Output format (one line each, tab-separated, read by bench/report.sh which
 * turns it into markdown tables with ratios, and by bench/plot.sh):
 *   R <workload> <implementation> <median> <min> <max> <unit> <dir> <role> [<ratio>]
 *       dir:  "higher" or "lower" is better for this unit
 *       role: "base" for the pthread (hand-written) baseline of the workload,
 *             "weft" for weft's own rows, "peer" for everything else
 *       ratio: times as fast as the baseline printed before it in the same
 *             program ("-" if none); report.sh recomputes it for every row,
 *             including the Go and CPython ones, which do not print it
 *   N <workload> <free text>          a note printed under the workload's table
 * Go (bench/go) and CPython (bench/py) print the same lines, so every peer ends
 * up in the same table as weft and the baseline.
 *
 * Measurement: a run function performs `iters` operations and returns the
 * elapsed seconds it measured itself (so thread start-up can stay out of the
 * timed part). bench_suite() calibrates iters so one repetition lasts about
 * bench_rep_seconds(), runs one warm-up repetition, then BENCH_REPS timed
 * rounds, each round one repetition of every implementation of the workload in
 * turn (the machine may be shared: interleaving spreads a burst of outside load
 * over all of them), and reports median, min and max of the per-op figure.
 *
 * WEFT_BENCH_QUICK=1 shortens every repetition to a few milliseconds: CI runs
 * every adapter that way so the benchmarks never rot; its figures mean nothing.
 *
 * The benchmarks are not part of the library: they may talk to the OS directly
 * (futex syscalls, CPU affinity) to build the hand-written baselines.
 */
#ifndef WEFT_BENCH_H
#define WEFT_BENCH_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "weft-have.h" /* generated: WEFT_BENCH_HAVE_<OBJECT> for each weft object built */

#define BENCH_REPS 5

typedef double (*bench_fn)(void *ctx, uint64_t iters);

typedef enum {
    BENCH_MOPS,   /* millions of operations per second, higher is better */
    BENCH_NS,     /* nanoseconds per operation, lower is better */
    BENCH_US,     /* microseconds per operation, lower is better */
} bench_unit;

static inline double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* CPU time of the calling thread: for one-thread loops on a shared machine,
 * time the thread spent preempted by other work does not count. */
static inline double bench_thread_cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static inline bool bench_quick(void)
{
    const char *q = getenv("WEFT_BENCH_QUICK");
    return q && *q && strcmp(q, "0") != 0;
}

/* Seconds one timed repetition should last. */
static inline double bench_rep_seconds(void)
{
    return bench_quick() ? 0.005 : 0.2;
}

/* n in a full run, n / div in a quick run (at least 1). */
static inline uint64_t bench_scaled(uint64_t n, uint64_t div)
{
    if (!bench_quick())
        return n;
    return n / div ? n / div : 1;
}

static inline void bench_note(const char *workload, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#include <stdarg.h>
static inline void bench_note(const char *workload, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("N\t%s\t", workload);
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    fflush(stdout);
}

/* The baseline median of the workload being printed, for the ratio field. */
static char bench_base_workload[128];
static double bench_base_median;

static inline void bench_row(const char *workload, const char *impl, const char *role,
                             double med, double min, double max, const char *unit,
                             bool higher_better)
{
    if (strcmp(role, "base") == 0) {
        snprintf(bench_base_workload, sizeof bench_base_workload, "%s", workload);
        bench_base_median = med;
    }
    double ratio = 0;
    if (strcmp(bench_base_workload, workload) == 0 && bench_base_median > 0 && med > 0)
        ratio = higher_better ? med / bench_base_median : bench_base_median / med;
    printf("R\t%s\t%s\t%.6g\t%.6g\t%.6g\t%s\t%s\t%s\t", workload, impl, med, min, max, unit,
           higher_better ? "higher" : "lower", role);
    if (ratio > 0)
        printf("%.3fx\n", ratio);
    else
        printf("-\n");
    fflush(stdout);
}

static inline int bench_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static inline double bench_per_op(bench_unit unit, double secs, uint64_t iters)
{
    if (secs <= 0)
        secs = 1e-9;
    switch (unit) {
    case BENCH_MOPS: return (double)iters / secs / 1e6;
    case BENCH_NS:   return secs / (double)iters * 1e9;
    case BENCH_US:   return secs / (double)iters * 1e6;
    }
    return 0;
}

static inline const char *bench_unit_name(bench_unit unit)
{
    switch (unit) {
    case BENCH_MOPS: return "Mops/s";
    case BENCH_NS:   return "ns/op";
    case BENCH_US:   return "us/op";
    }
    return "?";
}

/* Print a row from BENCH_REPS samples (sorted in place). */
static inline void bench_report_samples(const char *workload, const char *impl, const char *role,
                                        double *v, int n, const char *unit, bool higher_better)
{
    qsort(v, (size_t)n, sizeof *v, bench_cmp_double);
    bench_row(workload, impl, role, v[n / 2], v[0], v[n - 1], unit, higher_better);
}

/* One implementation in a workload: bench_suite measures them interleaved. */
typedef struct {
    const char *impl;
    const char *role;        /* "base", "weft" or "peer" (see the row format) */
    bench_fn fn;
    void *ctx;
    uint64_t min_iters;      /* smallest sensible batch (e.g. the thread count); 0 = 1 */
    uint64_t max_iters;      /* 0: no cap */
    uint64_t iters;          /* set by calibration */
    double v[BENCH_REPS];
} bench_case;

/* Find a batch size that lasts about bench_rep_seconds(). */
static inline void bench_calibrate(bench_case *c)
{
    double target = bench_rep_seconds();
    uint64_t iters = c->min_iters ? c->min_iters : 1;
    double t = c->fn(c->ctx, iters);
    while (t < target / 10 && (!c->max_iters || iters < c->max_iters)) {
        iters *= 4;
        if (c->max_iters && iters > c->max_iters)
            iters = c->max_iters;
        t = c->fn(c->ctx, iters);
    }
    if (t > 0 && t < target) {
        double want = (double)iters * target / t;
        if (c->max_iters && want > (double)c->max_iters)
            want = (double)c->max_iters;
        if (want > (double)iters)
            iters = (uint64_t)want;
    }
    if (c->min_iters > 1)
        iters -= iters % c->min_iters;
    c->iters = iters;
}

/* Calibrate and warm up every case, then run BENCH_REPS rounds, each round one
 * repetition of every case in turn, so a burst of load from elsewhere on the
 * machine hits all implementations alike; print one row per case, in order. */
static inline void bench_suite(const char *workload, bench_unit unit, bench_case *c, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        bench_calibrate(&c[i]);
        (void)c[i].fn(c[i].ctx, c[i].iters); /* warm-up */
    }
    for (int r = 0; r < BENCH_REPS; r++)
        for (size_t i = 0; i < n; i++)
            c[i].v[r] = bench_per_op(unit, c[i].fn(c[i].ctx, c[i].iters), c[i].iters);
    for (size_t i = 0; i < n; i++)
        bench_report_samples(workload, c[i].impl, c[i].role, c[i].v, BENCH_REPS,
                             bench_unit_name(unit), unit == BENCH_MOPS);
}

/* One implementation alone: calibrate, warm up, BENCH_REPS repetitions, one row. */
static inline void bench_run_ex(const char *workload, const char *impl, const char *role,
                                bench_unit unit, bench_fn fn, void *ctx,
                                uint64_t min_iters, uint64_t max_iters)
{
    bench_case c = { impl, role, fn, ctx, min_iters, max_iters, 0, { 0 } };
    bench_suite(workload, unit, &c, 1);
}

static inline void bench_run(const char *workload, const char *impl, const char *role,
                             bench_unit unit, bench_fn fn, void *ctx)
{
    bench_run_ex(workload, impl, role, unit, fn, ctx, 1, 0);
}

/* The note row for a weft object whose branch has not landed in this build. */
static inline void bench_weft_missing(const char *workload, const char *what)
{
    bench_note(workload, "weft %s: not yet available in this build (row skipped)", what);
}

/* ---- a thread kept alive for the whole program --------------------------------
 * glibc (and others) take a cheaper non-atomic path while a process has one
 * thread; a parked second thread makes the uncontended figures honest. */
static pthread_mutex_t bench_idle_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t bench_idle_cv = PTHREAD_COND_INITIALIZER;
static bool bench_idle_stop;
static pthread_t bench_idle_thread;

static inline void *bench_idle_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&bench_idle_mu);
    while (!bench_idle_stop)
        pthread_cond_wait(&bench_idle_cv, &bench_idle_mu);
    pthread_mutex_unlock(&bench_idle_mu);
    return NULL;
}

static inline void bench_idle_start(void)
{
    if (pthread_create(&bench_idle_thread, NULL, bench_idle_main, NULL) != 0) {
        fprintf(stderr, "bench: cannot start the idle thread\n");
        exit(2);
    }
}

static inline void bench_idle_stop_join(void)
{
    pthread_mutex_lock(&bench_idle_mu);
    bench_idle_stop = true;
    pthread_cond_broadcast(&bench_idle_cv);
    pthread_mutex_unlock(&bench_idle_mu);
    pthread_join(bench_idle_thread, NULL);
}

/* ---- a team of raw pthreads started for one timed section ---------------------
 * bench_team_run starts n threads running body(ctx, index), releases them all at
 * once, and returns the seconds from the release to the last thread's finish. */
typedef void (*bench_body)(void *ctx, int index);

typedef struct {
    bench_body body;
    void *ctx;
    int index;
    int cpu;                   /* -1: not pinned */
    atomic_int *ready;
    atomic_int *go;
} bench_member;

#include <sched.h>
static inline void bench_pin(int cpu)
{
#ifdef CPU_SET
    if (cpu < 0)
        return;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    (void)pthread_setaffinity_np(pthread_self(), sizeof set, &set);
#else
    (void)cpu;
#endif
}

static inline void *bench_member_main(void *arg)
{
    bench_member *m = arg;
    bench_pin(m->cpu);
    atomic_fetch_add_explicit(m->ready, 1, memory_order_acq_rel);
    while (!atomic_load_explicit(m->go, memory_order_acquire))
        sched_yield();
    m->body(m->ctx, m->index);
    return NULL;
}

#define BENCH_MAX_TEAM 16

/* cpus: NULL for unpinned, else cpus[i] is thread i's CPU. */
static inline double bench_team_run(int n, bench_body body, void *ctx, const int *cpus)
{
    pthread_t tid[BENCH_MAX_TEAM];
    bench_member m[BENCH_MAX_TEAM];
    atomic_int ready = 0, go = 0;
    for (int i = 0; i < n; i++) {
        m[i] = (bench_member){ body, ctx, i, cpus ? cpus[i] : -1, &ready, &go };
        if (pthread_create(&tid[i], NULL, bench_member_main, &m[i]) != 0) {
            fprintf(stderr, "bench: pthread_create failed\n");
            exit(2);
        }
    }
    while (atomic_load_explicit(&ready, memory_order_acquire) < n)
        sched_yield();
    double t0 = bench_now();
    atomic_store_explicit(&go, 1, memory_order_release);
    for (int i = 0; i < n; i++)
        pthread_join(tid[i], NULL);
    return bench_now() - t0;
}

static inline int bench_ncpus(void)
{
#ifdef CPU_COUNT
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0)
        return CPU_COUNT(&set);
#endif
    return 1;
}

/* Keep the compiler from removing a computation. */
#define BENCH_KEEP(x) __asm__ __volatile__("" : : "g"(x) : "memory")

#endif /* WEFT_BENCH_H */
