/* bench-lock: mutual exclusion, one adapter per lock and the same driver for all
 * (the ck regressions / WebKit LockSpeedTest pattern).
 *
 * Workloads
 *   lock uncontended     one thread lock+unlock in a loop while a second thread is
 *                        alive (parked), so libc takes its multi-threaded path
 *   lock contended 2T/4T n threads each lock, increment a shared counter, unlock;
 *                        no work between critical sections; total Mops/s
 *   lock fairness 4T     4 threads hammer the lock for a fixed time; min/max of the
 *                        per-thread acquisition counts (1 = perfectly fair, 0 =
 *                        a thread starved)
 * Implementations: pthread_mutex (default, the baseline), pthread_mutex adaptive,
 * pthread_mutex recursive (what weft RLock should be compared with), C11 mtx_t, a textbook futex lock (futexlock.h), GLib GMutex, weft Lock and RLock.
 * Each lock lives alone on its own cache lines (padded, as LockSpeedTest does).
 */
#include "bench.h"
#include "futexlock.h"

#include <threads.h>
#include <unistd.h>

#include <weft/lock.h>
#ifdef WEFT_BENCH_HAVE_GLIB
#include <glib.h>
#endif

#define PAD 256

/* One padded lock plus the counter it protects. */
#define DEFINE_LOCK(ID, TYPE, INIT, LOCK, UNLOCK, DESTROY)                            \
    static struct {                                                                    \
        _Alignas(128) char pre[PAD];                                                   \
        TYPE l;                                                                        \
        char mid[PAD];                                                                 \
        uint64_t counter;                                                              \
        char post[PAD];                                                                \
    } ID##_obj;                                                                        \
    static atomic_int ID##_stop;                                                       \
    static uint64_t ID##_per_thread;                                                   \
    static struct { _Alignas(128) uint64_t n; char pad[120]; } ID##_counts[BENCH_MAX_TEAM]; \
    static void ID##_init(void) { TYPE *l = &ID##_obj.l; (void)l; INIT; }              \
    static void ID##_destroy(void) { TYPE *l = &ID##_obj.l; (void)l; DESTROY; }        \
    static double ID##_uncontended(void *ctx, uint64_t iters)                          \
    {                                                                                  \
        TYPE *l = &ID##_obj.l;                                                         \
        double t0 = bench_thread_cpu_now();                                            \
        for (uint64_t i = 0; i < iters; i++) {                                         \
            LOCK;                                                                      \
            ID##_obj.counter++;                                                        \
            UNLOCK;                                                                    \
        }                                                                              \
        return bench_thread_cpu_now() - t0;                                            \
    }                                                                                  \
    static void ID##_body(void *ctx, int index)                                        \
    {                                                                                  \
        TYPE *l = &ID##_obj.l;                                                         \
        for (uint64_t i = 0; i < ID##_per_thread; i++) {                               \
            LOCK;                                                                      \
            ID##_obj.counter++;                                                        \
            UNLOCK;                                                                    \
        }                                                                              \
    }                                                                                  \
    static double ID##_contended(void *ctx, uint64_t iters)                            \
    {                                                                                  \
        int n = *(int *)ctx;                                                           \
        ID##_per_thread = iters / (uint64_t)n;                                         \
        return bench_team_run(n, ID##_body, NULL, NULL);                               \
    }                                                                                  \
    static void ID##_fair_body(void *ctx, int index)                                   \
    {                                                                                  \
        TYPE *l = &ID##_obj.l;                                                         \
        uint64_t n = 0;                                                                \
        while (!atomic_load_explicit(&ID##_stop, memory_order_relaxed)) {              \
            LOCK;                                                                      \
            ID##_obj.counter++;                                                        \
            UNLOCK;                                                                    \
            n++;                                                                       \
        }                                                                              \
        ID##_counts[index].n = n;                                                      \
    }                                                                                  \
    static const lock_adapter ID##_adapter = { #ID, ID##_init, ID##_destroy,           \
        ID##_uncontended, ID##_contended, ID##_fair_body, &ID##_stop,                  \
        &ID##_counts[0].n, sizeof ID##_counts[0] / sizeof(uint64_t), &ID##_obj.counter };

typedef struct {
    const char *id;
    void (*init)(void);
    void (*destroy)(void);
    bench_fn uncontended;
    bench_fn contended;
    bench_body fair_body;
    atomic_int *stop;
    uint64_t *counts;      /* counts[i * stride] is thread i's count */
    size_t stride;
    uint64_t *counter;
} lock_adapter;

DEFINE_LOCK(pthread_default, pthread_mutex_t,
            pthread_mutex_init(l, NULL),
            pthread_mutex_lock(l), pthread_mutex_unlock(l), pthread_mutex_destroy(l))

DEFINE_LOCK(pthread_adaptive, pthread_mutex_t,
            do { pthread_mutexattr_t a; pthread_mutexattr_init(&a);
                 pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ADAPTIVE_NP);
                 pthread_mutex_init(l, &a); pthread_mutexattr_destroy(&a); } while (0),
            pthread_mutex_lock(l), pthread_mutex_unlock(l), pthread_mutex_destroy(l))

/* The RLock's real equivalent: a recursive mutex (Python's RLock is one). */
DEFINE_LOCK(pthread_recursive, pthread_mutex_t,
            do { pthread_mutexattr_t a; pthread_mutexattr_init(&a);
                 pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
                 pthread_mutex_init(l, &a); pthread_mutexattr_destroy(&a); } while (0),
            pthread_mutex_lock(l), pthread_mutex_unlock(l), pthread_mutex_destroy(l))

DEFINE_LOCK(c11_mtx, mtx_t, mtx_init(l, mtx_plain), mtx_lock(l), mtx_unlock(l), mtx_destroy(l))

DEFINE_LOCK(futex, bench_futex_lock, atomic_init(&l->w, 0u),
            bench_futex_lock_acquire(l), bench_futex_lock_release(l), (void)0)

#ifdef WEFT_BENCH_HAVE_GLIB
DEFINE_LOCK(gmutex, GMutex, g_mutex_init(l), g_mutex_lock(l), g_mutex_unlock(l), g_mutex_clear(l))
#endif

#if WEFT_BENCH_HAVE_LOCK
DEFINE_LOCK(wlock, weft_lock, weft_lock_init(l),
            weft_lock_acquire(l, true, WEFT_FOREVER), weft_lock_release(l), weft_lock_destroy(l))
#endif
#if WEFT_BENCH_HAVE_RLOCK
DEFINE_LOCK(wrlock, weft_rlock, weft_rlock_init(l),
            weft_rlock_acquire(l, true, WEFT_FOREVER), weft_rlock_release(l), weft_rlock_destroy(l))
#endif

typedef struct {
    const char *name;
    const char *role;
    const lock_adapter *a;
} entry;

static const entry entries[] = {
    { "pthread_mutex (default)", "base", &pthread_default_adapter },
    { "pthread_mutex (adaptive)", "peer", &pthread_adaptive_adapter },
    { "pthread_mutex (recursive)", "peer", &pthread_recursive_adapter },
    { "C11 mtx_t", "peer", &c11_mtx_adapter },
    { "textbook futex lock", "peer", &futex_adapter },
#ifdef WEFT_BENCH_HAVE_GLIB
    { "GLib GMutex", "peer", &gmutex_adapter },
#endif
#if WEFT_BENCH_HAVE_LOCK
    { "weft Lock", "weft", &wlock_adapter },
#endif
#if WEFT_BENCH_HAVE_RLOCK
    { "weft RLock", "weft", &wrlock_adapter },
#endif
};
#define NENTRIES (sizeof entries / sizeof entries[0])

/* One fixed-time run of n threads; returns min/max of the per-thread counts. */
static double fairness_once(const entry *e, int n, double secs, uint64_t *last)
{
    pthread_t tid[BENCH_MAX_TEAM];
    bench_member m[BENCH_MAX_TEAM];
    atomic_int ready = 0, go = 0;
    atomic_store(e->a->stop, 0);
    for (int i = 0; i < n; i++) {
        m[i] = (bench_member){ e->a->fair_body, NULL, i, -1, &ready, &go };
        if (pthread_create(&tid[i], NULL, bench_member_main, &m[i]) != 0)
            exit(2);
    }
    while (atomic_load(&ready) < n)
        sched_yield();
    atomic_store(&go, 1);
    struct timespec ts = { (time_t)secs, (long)((secs - (double)(time_t)secs) * 1e9) };
    nanosleep(&ts, NULL);
    atomic_store(e->a->stop, 1);
    uint64_t mn = UINT64_MAX, mx = 0;
    for (int i = 0; i < n; i++) {
        pthread_join(tid[i], NULL);
        uint64_t c = e->a->counts[(size_t)i * e->a->stride];
        last[i] = c;
        if (c < mn) mn = c;
        if (c > mx) mx = c;
    }
    return mx ? (double)mn / (double)mx : 0;
}

/* BENCH_REPS rounds, each one fixed-time run of every lock in turn. */
static void fairness(const char *workload, int n)
{
    static double ratios[NENTRIES][BENCH_REPS];
    static uint64_t last[NENTRIES][BENCH_MAX_TEAM];
    double secs = bench_quick() ? 0.01 : 0.25;
    for (size_t i = 0; i < NENTRIES; i++)
        entries[i].a->init();
    for (int r = 0; r < BENCH_REPS; r++)
        for (size_t i = 0; i < NENTRIES; i++)
            ratios[i][r] = fairness_once(&entries[i], n, secs, last[i]);
    for (size_t i = 0; i < NENTRIES; i++) {
        entries[i].a->destroy();
        bench_report_samples(workload, entries[i].name, entries[i].role, ratios[i], BENCH_REPS,
                             "min/max", true);
    }
    for (size_t i = 0; i < NENTRIES; i++) {
        char buf[256];
        int off = 0;
        for (int k = 0; k < n; k++)
            off += snprintf(buf + off, sizeof buf - (size_t)off, "%s%llu", k ? ", " : "",
                            (unsigned long long)last[i][k]);
        bench_note(workload, "%s: per-thread acquisitions in the last %.2f s run: %s",
                   entries[i].name, secs, buf);
    }
}

/* WEFT_BENCH_LOCK_ONLY=<text>: run only the workloads whose name contains it
 * (e.g. "4T", "uncontended"), for quick experiments. */
static bool selected(const char *workload)
{
    const char *only = getenv("WEFT_BENCH_LOCK_ONLY");
    return !only || !*only || strstr(workload, only) != NULL;
}

int main(void)
{
    bench_idle_start();
    const char *wu = "lock uncontended";
    bench_case cases[NENTRIES];
    if (selected(wu)) {
    for (size_t i = 0; i < NENTRIES; i++) {
        entries[i].a->init();
        cases[i] = (bench_case){ entries[i].name, entries[i].role, entries[i].a->uncontended,
                                 NULL, 1, 0, 0, { 0 } };
    }
    bench_suite(wu, BENCH_MOPS, cases, NENTRIES);
    for (size_t i = 0; i < NENTRIES; i++)
        entries[i].a->destroy();
    if (!WEFT_BENCH_HAVE_LOCK)
        bench_weft_missing(wu, "Lock");
    if (!WEFT_BENCH_HAVE_RLOCK)
        bench_weft_missing(wu, "RLock");
    bench_note(wu, "one thread, lock + counter increment + unlock, another thread alive; timed in thread CPU time (time preempted by other work on the machine does not count); CPython's too; Go's rows are wall time");
    }

    static const int teams[] = { 2, 4 };
    for (size_t t = 0; t < 2; t++) {
        int n = teams[t];
        char wc[64];
        snprintf(wc, sizeof wc, "lock contended %dT", n);
        if (!selected(wc))
            continue;
        for (size_t i = 0; i < NENTRIES; i++) {
            entries[i].a->init();
            cases[i] = (bench_case){ entries[i].name, entries[i].role, entries[i].a->contended,
                                     &n, (uint64_t)n * 64, 0, 0, { 0 } };
        }
        bench_suite(wc, BENCH_MOPS, cases, NENTRIES);
        for (size_t i = 0; i < NENTRIES; i++)
            entries[i].a->destroy();
        if (!WEFT_BENCH_HAVE_LOCK)
            bench_weft_missing(wc, "Lock");
        bench_note(wc, "%d threads, shared counter in the critical section, no work between; %d CPUs available",
                   n, bench_ncpus());
    }

    const char *wf = "lock fairness 4T";
    if (selected(wf)) {
        fairness(wf, 4);
        if (!WEFT_BENCH_HAVE_LOCK)
            bench_weft_missing(wf, "Lock");
        bench_note(wf, "min/max of per-thread acquisition counts over a fixed time (1 = fair, 0 = a thread starved)");
    }
    bench_idle_stop_join();
    return 0;
}
