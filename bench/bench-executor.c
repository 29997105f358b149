/* bench-executor: per-task overhead of a thread pool with 2 workers: submit a
 * batch of empty tasks, then wait for each task's result in submission order
 * (Python: futures = [ex.submit(f) for ...]; [f.result() for f in futures]).
 * Implementations: a hand-written mutex/condvar pool with a malloc'd task record
 * and a done flag per task (the baseline), GLib GThreadPool (same done-flag
 * records, GLib's queue and workers), weft ThreadPoolExecutor (when built).
 * CPython's concurrent.futures.ThreadPoolExecutor from bench/py.
 */
#include "bench.h"

#ifdef WEFT_BENCH_HAVE_GLIB
#include <glib.h>
#endif

#if WEFT_BENCH_HAVE_EXECUTOR
#include <weft/futures.h>
#endif

#define WORKERS 2

typedef struct task {
    struct task *next;
    void (*fn)(void *);
    void *arg;
    int done;
} task;

static void empty_task(void *arg) { BENCH_KEEP(arg); }

/* ---- hand-written pool (baseline) ---------------------------------------------- */
static struct {
    pthread_mutex_t mu;
    pthread_cond_t work, done;
    task *head, *tail;
    int stop, waiters;
    pthread_t workers[WORKERS];
} pool;

static void *pool_worker(void *arg)
{
    pthread_mutex_lock(&pool.mu);
    for (;;) {
        while (!pool.head && !pool.stop)
            pthread_cond_wait(&pool.work, &pool.mu);
        if (!pool.head)
            break;
        task *t = pool.head;
        pool.head = t->next;
        if (!pool.head)
            pool.tail = NULL;
        pthread_mutex_unlock(&pool.mu);
        t->fn(t->arg);
        pthread_mutex_lock(&pool.mu);
        t->done = 1;
        if (pool.waiters)
            pthread_cond_broadcast(&pool.done);
    }
    pthread_mutex_unlock(&pool.mu);
    return arg;
}

static void pool_start(void)
{
    pthread_mutex_init(&pool.mu, NULL);
    pthread_cond_init(&pool.work, NULL);
    pthread_cond_init(&pool.done, NULL);
    pool.head = pool.tail = NULL;
    pool.stop = pool.waiters = 0;
    for (int i = 0; i < WORKERS; i++)
        if (pthread_create(&pool.workers[i], NULL, pool_worker, NULL) != 0) exit(1);
}

static void pool_stop(void)
{
    pthread_mutex_lock(&pool.mu);
    pool.stop = 1;
    pthread_cond_broadcast(&pool.work);
    pthread_mutex_unlock(&pool.mu);
    for (int i = 0; i < WORKERS; i++)
        pthread_join(pool.workers[i], NULL);
    pthread_mutex_destroy(&pool.mu);
    pthread_cond_destroy(&pool.work);
    pthread_cond_destroy(&pool.done);
}

static task *pool_submit(void (*fn)(void *), void *arg)
{
    task *t = malloc(sizeof *t);
    if (!t) exit(1);
    *t = (task){ NULL, fn, arg, 0 };
    pthread_mutex_lock(&pool.mu);
    if (pool.tail) pool.tail->next = t; else pool.head = t;
    pool.tail = t;
    pthread_cond_signal(&pool.work);
    pthread_mutex_unlock(&pool.mu);
    return t;
}

static void pool_result(task *t)
{
    pthread_mutex_lock(&pool.mu);
    while (!t->done) {
        pool.waiters++;
        pthread_cond_wait(&pool.done, &pool.mu);
        pool.waiters--;
    }
    pthread_mutex_unlock(&pool.mu);
    free(t);
}

static task **g_batch;

static double run_pool(void *ctx, uint64_t iters)
{
    double t0 = bench_now();
    for (uint64_t i = 0; i < iters; i++)
        g_batch[i] = pool_submit(empty_task, NULL);
    for (uint64_t i = 0; i < iters; i++)
        pool_result(g_batch[i]);
    return bench_now() - t0;
}

/* ---- GLib GThreadPool ---------------------------------------------------------- */
#ifdef WEFT_BENCH_HAVE_GLIB
static GThreadPool *gpool;
static GMutex gmu;
static GCond gdone;
static int gwaiters;

static void gpool_func(gpointer data, gpointer user)
{
    task *t = data;
    t->fn(t->arg);
    g_mutex_lock(&gmu);
    t->done = 1;
    if (gwaiters)
        g_cond_broadcast(&gdone);
    g_mutex_unlock(&gmu);
}

static double run_gpool(void *ctx, uint64_t iters)
{
    double t0 = bench_now();
    for (uint64_t i = 0; i < iters; i++) {
        task *t = malloc(sizeof *t);
        if (!t) exit(1);
        *t = (task){ NULL, empty_task, NULL, 0 };
        g_batch[i] = t;
        g_thread_pool_push(gpool, t, NULL);
    }
    for (uint64_t i = 0; i < iters; i++) {
        task *t = g_batch[i];
        g_mutex_lock(&gmu);
        while (!t->done) {
            gwaiters++;
            g_cond_wait(&gdone, &gmu);
            gwaiters--;
        }
        g_mutex_unlock(&gmu);
        free(t);
    }
    return bench_now() - t0;
}
#endif

/* ---- weft ThreadPoolExecutor ---------------------------------------------------- */
#if WEFT_BENCH_HAVE_EXECUTOR
static weft_executor *wex;
static weft_future **g_futs;

static void *weft_empty(void *arg) { BENCH_KEEP(arg); return NULL; }

static double run_weft(void *ctx, uint64_t iters)
{
    double t0 = bench_now();
    for (uint64_t i = 0; i < iters; i++)
        if (weft_executor_submit(wex, weft_empty, NULL, &g_futs[i]) != WEFT_OK) {
            fprintf(stderr, "bench-executor: weft_executor_submit failed\n");
            exit(1);
        }
    for (uint64_t i = 0; i < iters; i++) {
        void *out;
        if (weft_future_result(g_futs[i], WEFT_FOREVER, &out) != WEFT_OK) {
            fprintf(stderr, "bench-executor: weft_future_result failed\n");
            exit(1);
        }
        weft_future_unref(g_futs[i]);
    }
    return bench_now() - t0;
}
#endif

#define MAX_BATCH 200000

int main(void)
{
    const char *w = "executor per task";
    g_batch = malloc(MAX_BATCH * sizeof *g_batch);
    if (!g_batch) return 1;

    bench_case cases[3];
    size_t n = 0;
    pool_start();
    cases[n++] = (bench_case){ "mutex/condvar pool", "base", run_pool, NULL, 1, MAX_BATCH, 0, { 0 } };
#ifdef WEFT_BENCH_HAVE_GLIB
    g_mutex_init(&gmu);
    g_cond_init(&gdone);
    gpool = g_thread_pool_new(gpool_func, NULL, WORKERS, FALSE, NULL);
    cases[n++] = (bench_case){ "GLib GThreadPool", "peer", run_gpool, NULL, 1, MAX_BATCH, 0, { 0 } };
#endif
#if WEFT_BENCH_HAVE_EXECUTOR
    g_futs = malloc(MAX_BATCH * sizeof *g_futs);
    weft_executor_attr attr = { .max_workers = WORKERS };
    if (!g_futs || weft_executor_create(&wex, &attr) != WEFT_OK)
        return 1;
    cases[n++] = (bench_case){ "weft ThreadPoolExecutor", "weft", run_weft, NULL, 1, MAX_BATCH, 0, { 0 } };
#endif
    bench_suite(w, BENCH_US, cases, n);
    pool_stop();
#ifdef WEFT_BENCH_HAVE_GLIB
    g_thread_pool_free(gpool, FALSE, TRUE);
#endif
#if WEFT_BENCH_HAVE_EXECUTOR
    weft_executor_destroy(wex);
    free(g_futs);
#else
    bench_weft_missing(w, "ThreadPoolExecutor");
#endif
    bench_note(w, "%d workers; submit a batch of empty tasks, then wait for each result in order; us per task including the wait",
               WORKERS);
    free(g_batch);
    return 0;
}
