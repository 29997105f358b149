/* bench-queue: bounded queue throughput, capacity 1024, 10^6 pointer items
 * (10^4 in quick mode), 1 producer + 1 consumer and 2 + 2. One op = one item
 * through the queue (put and get).
 * Implementations: the hand-written mutex + 2 condvar ring a C programmer writes
 * (the baseline), GLib GAsyncQueue (unbounded: it has no capacity), weft Queue
 * and SimpleQueue (SimpleQueue is unbounded too, as in Python). Go buffered
 * channels come from bench/go, CPython queue.Queue and SimpleQueue from bench/py.
 */
#include "bench.h"

#if WEFT_BENCH_HAVE_QUEUE || WEFT_BENCH_HAVE_SIMPLEQUEUE
#include <weft/queue.h>
#endif
#ifdef WEFT_BENCH_HAVE_GLIB
#include <glib.h>
#endif

#define CAPACITY 1024

typedef struct {
    const char *name;
    const char *role;
    void (*setup)(void);
    void (*teardown)(void);
    void (*put)(void *item);
    void *(*get)(void);
} adapter;

/* ---- mutex + 2 condvar ring (baseline) ----------------------------------------- */
static struct {
    pthread_mutex_t mu;
    pthread_cond_t not_empty, not_full;
    void *buf[CAPACITY];
    size_t head, count;
} ring;
static void ring_setup(void)
{
    pthread_mutex_init(&ring.mu, NULL);
    pthread_cond_init(&ring.not_empty, NULL);
    pthread_cond_init(&ring.not_full, NULL);
    ring.head = ring.count = 0;
}
static void ring_teardown(void)
{
    pthread_mutex_destroy(&ring.mu);
    pthread_cond_destroy(&ring.not_empty);
    pthread_cond_destroy(&ring.not_full);
}
static void ring_put(void *item)
{
    pthread_mutex_lock(&ring.mu);
    while (ring.count == CAPACITY)
        pthread_cond_wait(&ring.not_full, &ring.mu);
    ring.buf[(ring.head + ring.count) % CAPACITY] = item;
    ring.count++;
    pthread_cond_signal(&ring.not_empty);
    pthread_mutex_unlock(&ring.mu);
}
static void *ring_get(void)
{
    pthread_mutex_lock(&ring.mu);
    while (ring.count == 0)
        pthread_cond_wait(&ring.not_empty, &ring.mu);
    void *item = ring.buf[ring.head];
    ring.head = (ring.head + 1) % CAPACITY;
    ring.count--;
    pthread_cond_signal(&ring.not_full);
    pthread_mutex_unlock(&ring.mu);
    return item;
}

/* ---- GLib GAsyncQueue ---------------------------------------------------------- */
#ifdef WEFT_BENCH_HAVE_GLIB
static GAsyncQueue *gq;
static void gq_setup(void) { gq = g_async_queue_new(); }
static void gq_teardown(void) { g_async_queue_unref(gq); }
static void gq_put(void *item) { g_async_queue_push(gq, item); }
static void *gq_get(void) { return g_async_queue_pop(gq); }
#endif

/* ---- weft Queue / SimpleQueue --------------------------------------------------- */
#if WEFT_BENCH_HAVE_QUEUE
static weft_queue *wq;
static void wq_setup(void) { (void)weft_queue_create(&wq, CAPACITY); }
static void wq_teardown(void) { weft_queue_destroy(wq); }
static void wq_put(void *item) { (void)weft_queue_put(wq, item, true, WEFT_FOREVER); }
static void *wq_get(void)
{
    void *item = NULL;
    (void)weft_queue_get(wq, &item, true, WEFT_FOREVER);
    return item;
}
#endif
#if WEFT_BENCH_HAVE_SIMPLEQUEUE
static weft_simple_queue *wsq;
static void wsq_setup(void) { (void)weft_simple_queue_create(&wsq, NULL, NULL); }
static void wsq_teardown(void) { weft_simple_queue_destroy(wsq); }
static void wsq_put(void *item) { (void)weft_simple_queue_put(wsq, item); }
static void *wsq_get(void)
{
    void *item = NULL;
    (void)weft_simple_queue_get(wsq, &item, true, WEFT_FOREVER);
    return item;
}
#endif

static const adapter adapters[] = {
    { "mutex+2 condvar ring", "base", ring_setup, ring_teardown, ring_put, ring_get },
#ifdef WEFT_BENCH_HAVE_GLIB
    { "GLib GAsyncQueue (unbounded)", "peer", gq_setup, gq_teardown, gq_put, gq_get },
#endif
#if WEFT_BENCH_HAVE_QUEUE
    { "weft Queue", "weft", wq_setup, wq_teardown, wq_put, wq_get },
#endif
#if WEFT_BENCH_HAVE_SIMPLEQUEUE
    { "weft SimpleQueue (unbounded)", "weft", wsq_setup, wsq_teardown, wsq_put, wsq_get },
#endif
};

static const adapter *g_cur;
static int g_pairs;
static uint64_t g_per_thread;
static atomic_uintptr_t g_sum;

static void body(void *ctx, int index)
{
    const adapter *a = g_cur;
    if (index < g_pairs) {
        for (uint64_t i = 1; i <= g_per_thread; i++)
            a->put((void *)(uintptr_t)i); /* never NULL: GAsyncQueue refuses NULL */
    } else {
        uintptr_t sum = 0;
        for (uint64_t i = 0; i < g_per_thread; i++)
            sum += (uintptr_t)a->get();
        atomic_fetch_add_explicit(&g_sum, sum, memory_order_relaxed);
    }
}

static double run(void *ctx, uint64_t iters)
{
    g_cur = ctx;
    g_per_thread = iters / (uint64_t)g_pairs;
    atomic_store(&g_sum, 0);
    g_cur->setup();
    double t = bench_team_run(2 * g_pairs, body, NULL, NULL);
    g_cur->teardown();
    uintptr_t want = (uintptr_t)g_pairs * (uintptr_t)(g_per_thread * (g_per_thread + 1) / 2);
    if (atomic_load(&g_sum) != want) {
        fprintf(stderr, "bench-queue: %s lost or duplicated items\n", g_cur->name);
        exit(1);
    }
    return t;
}

int main(void)
{
    uint64_t n = bench_scaled(1000000, 100);
    for (int pairs = 1; pairs <= 2; pairs++) {
        char w[32];
        snprintf(w, sizeof w, "queue %dp%dc", pairs, pairs);
        g_pairs = pairs;
        bench_case cases[sizeof adapters / sizeof adapters[0]];
        size_t k = sizeof adapters / sizeof adapters[0];
        for (size_t i = 0; i < k; i++)
            cases[i] = (bench_case){ adapters[i].name, adapters[i].role, run,
                                     (void *)&adapters[i], n, n, 0, { 0 } };
        bench_suite(w, BENCH_MOPS, cases, k);
        if (!WEFT_BENCH_HAVE_QUEUE)
            bench_weft_missing(w, "Queue");
        if (!WEFT_BENCH_HAVE_SIMPLEQUEUE)
            bench_weft_missing(w, "SimpleQueue");
        bench_note(w, "%llu items per repetition, capacity %d, Mops/s = million items through the queue per second",
                   (unsigned long long)n, CAPACITY);
    }
    return 0;
}
