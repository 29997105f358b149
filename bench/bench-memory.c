/* bench-memory: what each object costs.
 *   memory: <Object>         sizeof the object (bytes), beside the pthread/POSIX
 *                            object a C programmer would use instead (the baseline)
 *   memory: idle thread      resident memory per idle thread (KiB), 100 threads
 *                            parked on a condition variable
 *   timers: 10000 pending    OS threads and resident memory (MiB) while 10,000
 *                            timers of 60 s are pending (1,000 in quick mode);
 *                            the baseline is one pthread per timer, as Python's
 *                            threading.Timer does
 * CPython's figures (sys.getsizeof, threads, timers) come from bench/py.
 */
#include "bench.h"

#include <semaphore.h>
#include <threads.h>
#include <unistd.h>

#include "futexlock.h"
#include <weft/condition.h>
#include <weft/lock.h>
#if WEFT_BENCH_HAVE_EVENT
#include <weft/event.h>
#endif
#if WEFT_BENCH_HAVE_SEMAPHORE
#include <weft/semaphore.h>
#endif
#if WEFT_BENCH_HAVE_BARRIER
#include <weft/barrier.h>
#endif
#if WEFT_BENCH_HAVE_THREAD
#include <weft/thread.h>
#endif
#if WEFT_BENCH_HAVE_TIMER
#include <weft/timer.h>
#endif
#ifdef WEFT_BENCH_HAVE_GLIB
#include <glib.h>
#endif

static void size_row(const char *w, const char *impl, const char *role, size_t bytes)
{
    bench_row(w, impl, role, (double)bytes, (double)bytes, (double)bytes, "bytes", false);
}

typedef struct { pthread_mutex_t mu; pthread_cond_t cv; bool flag; } handmade_event;

static void sizes(void)
{
    const char *w = "memory: Lock";
    size_row(w, "pthread_mutex_t", "base", sizeof(pthread_mutex_t));
    size_row(w, "C11 mtx_t", "peer", sizeof(mtx_t));
    size_row(w, "textbook futex lock", "peer", sizeof(bench_futex_lock));
#ifdef WEFT_BENCH_HAVE_GLIB
    size_row(w, "GLib GMutex", "peer", sizeof(GMutex));
#endif
    size_row(w, "weft_lock", "weft", sizeof(weft_lock));

    w = "memory: RLock";
    size_row(w, "pthread_mutex_t (recursive)", "base", sizeof(pthread_mutex_t));
#ifdef WEFT_BENCH_HAVE_GLIB
    size_row(w, "GLib GRecMutex", "peer", sizeof(GRecMutex));
#endif
    size_row(w, "weft_rlock", "weft", sizeof(weft_rlock));

    w = "memory: Condition";
    size_row(w, "pthread_cond_t + pthread_mutex_t", "base", sizeof(pthread_cond_t) + sizeof(pthread_mutex_t));
#ifdef WEFT_BENCH_HAVE_GLIB
    size_row(w, "GLib GCond + GMutex", "peer", sizeof(GCond) + sizeof(GMutex));
#endif
    size_row(w, "weft_condition (own RLock inside)", "weft", sizeof(weft_condition));
    size_row(w, "weft_condition + weft_lock", "weft", sizeof(weft_condition) + sizeof(weft_lock));

    w = "memory: Event";
    size_row(w, "mutex + condvar + flag", "base", sizeof(handmade_event));
    size_row(w, "raw futex event", "peer", sizeof(bench_futex_event));
#if WEFT_BENCH_HAVE_EVENT
    size_row(w, "weft_event", "weft", sizeof(weft_event));
#else
    bench_weft_missing(w, "Event");
#endif

    w = "memory: Semaphore";
    size_row(w, "POSIX sem_t", "base", sizeof(sem_t));
#if WEFT_BENCH_HAVE_SEMAPHORE
    size_row(w, "weft_semaphore", "weft", sizeof(weft_semaphore));
#else
    bench_weft_missing(w, "Semaphore");
#endif

    w = "memory: Barrier";
    size_row(w, "pthread_barrier_t", "base", sizeof(pthread_barrier_t));
#if WEFT_BENCH_HAVE_BARRIER
    size_row(w, "weft_barrier", "weft", sizeof(weft_barrier));
#else
    bench_weft_missing(w, "Barrier");
#endif
}

/* ---- resident memory and thread counts ---------------------------------------- */
static double rss_kib(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long size = 0, res = 0;
    if (f) {
        if (fscanf(f, "%ld %ld", &size, &res) != 2)
            res = 0;
        fclose(f);
    }
    return (double)res * (double)sysconf(_SC_PAGESIZE) / 1024.0;
}

static long os_threads(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long n = -1;
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "Threads: %ld", &n) == 1)
            break;
    fclose(f);
    return n;
}

static pthread_mutex_t park_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t park_cv = PTHREAD_COND_INITIALIZER;
static bool park_release;
static atomic_int parked;

static void *park(void *arg)
{
    pthread_mutex_lock(&park_mu);
    atomic_fetch_add(&parked, 1);
    while (!park_release)
        pthread_cond_wait(&park_cv, &park_mu);
    pthread_mutex_unlock(&park_mu);
    return arg;
}

static void unpark_all(void)
{
    pthread_mutex_lock(&park_mu);
    park_release = true;
    pthread_cond_broadcast(&park_cv);
    pthread_mutex_unlock(&park_mu);
}

static void park_reset(void)
{
    park_release = false;
    atomic_store(&parked, 0);
}

static void wait_parked(int n)
{
    while (atomic_load(&parked) < n)
        sched_yield();
}

#define IDLE 100

static double idle_pthread(void)
{
    pthread_t t[IDLE];
    park_reset();
    double before = rss_kib();
    for (int i = 0; i < IDLE; i++)
        if (pthread_create(&t[i], NULL, park, NULL) != 0) exit(1);
    wait_parked(IDLE);
    double per = (rss_kib() - before) / IDLE;
    unpark_all();
    for (int i = 0; i < IDLE; i++)
        pthread_join(t[i], NULL);
    return per;
}

#ifdef WEFT_BENCH_HAVE_GLIB
static double idle_glib(void)
{
    GThread *t[IDLE];
    park_reset();
    double before = rss_kib();
    for (int i = 0; i < IDLE; i++)
        t[i] = g_thread_new("idle", park, NULL);
    wait_parked(IDLE);
    double per = (rss_kib() - before) / IDLE;
    unpark_all();
    for (int i = 0; i < IDLE; i++)
        g_thread_join(t[i]);
    return per;
}
#endif

#if WEFT_BENCH_HAVE_THREAD
static double idle_weft(void)
{
    weft_thread *t[IDLE];
    park_reset();
    double before = rss_kib();
    for (int i = 0; i < IDLE; i++)
        if (weft_thread_create(&t[i], park, NULL, NULL) != WEFT_OK || weft_thread_start(t[i]) != WEFT_OK)
            exit(1);
    wait_parked(IDLE);
    double per = (rss_kib() - before) / IDLE;
    unpark_all();
    for (int i = 0; i < IDLE; i++) {
        (void)weft_thread_join(t[i], WEFT_FOREVER);
        weft_thread_destroy(t[i]);
    }
    return per;
}
#endif

static void idle_rows(const char *w, const char *impl, const char *role, double (*fn)(void))
{
    double v[BENCH_REPS];
    (void)fn();
    for (int i = 0; i < BENCH_REPS; i++)
        v[i] = fn();
    bench_report_samples(w, impl, role, v, BENCH_REPS, "KiB/thread", false);
}

static void settle_threads(void)
{
    /* Threads joined earlier may still be leaving the kernel: let them go first. */
    for (int i = 0; i < 1000 && os_threads() > 1; i++) {
        struct timespec ms = { 0, 1000000 };
        nanosleep(&ms, NULL);
    }
}

#if WEFT_BENCH_HAVE_TIMER
static void never(void *arg) { (void)arg; }

/* n weft Timers of 60 s started, counted, then cancelled and joined. */
static void weft_timers(int n, long *threads_out, double *mib_out)
{
    weft_timer **t = malloc((size_t)n * sizeof *t);
    if (!t) exit(1);
    settle_threads();
    long th0 = os_threads();
    double rss0 = rss_kib();
    for (int i = 0; i < n; i++)
        if (weft_timer_create(&t[i], 60.0, never, NULL, NULL) != WEFT_OK || weft_timer_start(t[i]) != WEFT_OK) {
            fprintf(stderr, "bench-memory: weft timer %d could not start\n", i);
            exit(1);
        }
    long threads = os_threads() - th0;
    double mib = (rss_kib() - rss0) / 1024.0;
    for (int i = 0; i < n; i++)
        (void)weft_timer_cancel(t[i]);
    for (int i = 0; i < n; i++) {
        (void)weft_timer_join(t[i], WEFT_FOREVER);
        weft_timer_destroy(t[i]);
    }
    free(t);
    *threads_out = threads;
    *mib_out = mib;
}
#endif

/* one pthread per timer: sleeps on a condvar until its deadline or cancel */
static void *timer_thread(void *arg)
{
    struct timespec *deadline = arg;
    pthread_mutex_lock(&park_mu);
    atomic_fetch_add(&parked, 1);
    while (!park_release)
        if (pthread_cond_timedwait(&park_cv, &park_mu, deadline) != 0)
            break;
    pthread_mutex_unlock(&park_mu);
    return NULL;
}

static void timers(int n)
{
    char wt[64], wm[64];
    snprintf(wt, sizeof wt, "timers: %d pending, OS threads", n);
    snprintf(wm, sizeof wm, "timers: %d pending, resident memory", n);
#if WEFT_BENCH_HAVE_TIMER
    /* weft first: heap pages freed by an earlier test and still resident
     * would hide its allocations */
    long w_threads = 0;
    double w_mib = 0;
    weft_timers(n, &w_threads, &w_mib);
#endif
    pthread_t *t = malloc((size_t)n * sizeof *t);
    if (!t) exit(1);
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += 60;
    park_reset();
    settle_threads();
    long th0 = os_threads();
    double rss0 = rss_kib();
    int made = 0;
    for (; made < n; made++)
        if (pthread_create(&t[made], NULL, timer_thread, &deadline) != 0)
            break;
    wait_parked(made);
    long threads = os_threads() - th0;
    double mib = (rss_kib() - rss0) / 1024.0;
    unpark_all();
    for (int i = 0; i < made; i++)
        pthread_join(t[i], NULL);
    free(t);
    if (made < n) {
        bench_note(wt, "one pthread per timer: only %d of %d threads could be created", made, n);
        return;
    }
    bench_row(wt, "one pthread per timer", "base", (double)threads, (double)threads, (double)threads, "threads", false);
    bench_row(wm, "one pthread per timer", "base", mib, mib, mib, "MiB", false);
#if WEFT_BENCH_HAVE_TIMER
    bench_row(wt, "weft Timer", "weft", (double)w_threads, (double)w_threads, (double)w_threads, "threads", false);
    bench_row(wm, "weft Timer", "weft", w_mib, w_mib, w_mib, "MiB", false);
#else
    bench_weft_missing(wt, "Timer");
    bench_weft_missing(wm, "Timer");
#endif
}

int main(void)
{
    /* the timers first, in a fresh heap (see weft_timers) */
    timers(bench_quick() ? 1000 : 10000);
    sizes();
    const char *w = "memory: idle thread";
    idle_rows(w, "pthread", "base", idle_pthread);
#ifdef WEFT_BENCH_HAVE_GLIB
    idle_rows(w, "GLib GThread", "peer", idle_glib);
#endif
#if WEFT_BENCH_HAVE_THREAD
    idle_rows(w, "weft Thread", "weft", idle_weft);
#else
    bench_weft_missing(w, "Thread");
#endif
    bench_note(w, "resident memory added per thread, %d threads parked on a condvar (default stack size; untouched stack pages are not resident)", IDLE);
    return 0;
}
