/* bench-handoff: round-trip latency between two threads (ping-pong).
 *
 * Thread A signals B and waits for B's answer; B waits, then answers; one round
 * trip is both handoffs. Three placements: unpinned, both threads on CPU 0 (every
 * handoff is a context switch), and A on CPU 0 with B on CPU 1 (every handoff is
 * a cross-CPU wake-up).
 * Implementations: pthread mutex + 2 condvars (the baseline), POSIX sem_t, a raw
 * futex event (futexlock.h: an Event that sleeps at every hand-off; weft's
 * yields first, docs/design/yield.md), GLib GAsyncQueue, weft Event,
 * Condition, Semaphore and Queue (when built; capacity 1, and capacity 1024 as
 * "weft Queue(1024)"). CPython rows come from bench/py.
 *
 * Measurement (more robust than bench_suite's 5 rounds, because a handoff is a
 * scheduler event and this is the noisiest workload on a shared machine):
 *   - HANDOFF_REPS rounds (21; 5 in quick mode), each one repetition of every
 *     implementation, of half bench_suite's length. Odd rounds run the
 *     implementations in reverse order, so none always runs right after the same
 *     neighbour (ABBA interleaving). Every repetition starts fresh threads, so
 *     the scheduler's placement of the two unpinned threads (same CPU or not,
 *     a 10x difference here) is drawn anew each time, alike for everyone.
 *   - Each row is the median, min and max over the rounds, as elsewhere.
 *   - The weft Event target compares with the raw futex event: two notes give
 *     the paired statistic, the median over rounds of (weft Event / raw futex
 *     event) of the same round, with its quartiles, once in wall time and once
 *     in CPU time (user + system of the process per round trip: what the round
 *     trip costs, without the time spent waiting for a CPU that another program
 *     had, which dominates the wall-time spread on a loaded machine). Both use
 *     the same driver, the same thread pair, and each word in a cache line of
 *     its own.
 */
#include "bench.h"
#include "futexlock.h"

#include <semaphore.h>
#include <sys/resource.h>

#include <weft/condition.h>
#include <weft/lock.h>
#if WEFT_BENCH_HAVE_EVENT
#include <weft/event.h>
#endif
#if WEFT_BENCH_HAVE_SEMAPHORE
#include <weft/semaphore.h>
#endif
#if WEFT_BENCH_HAVE_QUEUE
#include <weft/queue.h>
#endif
#ifdef WEFT_BENCH_HAVE_GLIB
#include <glib.h>
#endif

typedef struct {
    const char *name;
    const char *role;
    void (*setup)(void);
    void (*teardown)(void);
    void (*ping)(void);   /* A: hand to B, wait for B's answer */
    void (*pong)(void);   /* B: wait for A, answer */
} adapter;

static uint64_t g_iters;
static const adapter *g_cur;

static void body(void *ctx, int index)
{
    const adapter *a = g_cur;
    if (index == 0)
        for (uint64_t i = 0; i < g_iters; i++) a->ping();
    else
        for (uint64_t i = 0; i < g_iters; i++) a->pong();
}

/* ---- pthread mutex + two condvars (baseline) ---------------------------------- */
static pthread_mutex_t pc_mu;
static pthread_cond_t pc_a, pc_b;
static int pc_turn; /* 0: A's turn, 1: B's turn */
static void pc_setup(void)
{
    pthread_mutex_init(&pc_mu, NULL);
    pthread_cond_init(&pc_a, NULL);
    pthread_cond_init(&pc_b, NULL);
    pc_turn = 0;
}
static void pc_teardown(void)
{
    pthread_mutex_destroy(&pc_mu);
    pthread_cond_destroy(&pc_a);
    pthread_cond_destroy(&pc_b);
}
static void pc_ping(void)
{
    pthread_mutex_lock(&pc_mu);
    pc_turn = 1;
    pthread_cond_signal(&pc_b);
    while (pc_turn != 0)
        pthread_cond_wait(&pc_a, &pc_mu);
    pthread_mutex_unlock(&pc_mu);
}
static void pc_pong(void)
{
    pthread_mutex_lock(&pc_mu);
    while (pc_turn != 1)
        pthread_cond_wait(&pc_b, &pc_mu);
    pc_turn = 0;
    pthread_cond_signal(&pc_a);
    pthread_mutex_unlock(&pc_mu);
}

/* ---- POSIX semaphores ---------------------------------------------------------- */
static sem_t ps_a, ps_b;
static void ps_setup(void) { sem_init(&ps_a, 0, 0); sem_init(&ps_b, 0, 0); }
static void ps_teardown(void) { sem_destroy(&ps_a); sem_destroy(&ps_b); }
static void ps_ping(void) { sem_post(&ps_b); while (sem_wait(&ps_a) != 0) {} }
static void ps_pong(void) { while (sem_wait(&ps_b) != 0) {} sem_post(&ps_a); }

/* ---- raw futex event ----------------------------------------------------------- */
/* Each event word in a cache line of its own, for the futex event and for weft's
 * Event alike (so neither gets a luckier layout, e.g. false sharing of a and b). */
static _Alignas(64) bench_futex_event fe_a, fe_b;
static void fe_setup(void) { atomic_init(&fe_a.w, 0u); atomic_init(&fe_b.w, 0u); }
static void fe_teardown(void) {}
static void fe_ping(void)
{
    bench_futex_event_set(&fe_b);
    bench_futex_event_wait(&fe_a);
    bench_futex_event_clear(&fe_a);
}
static void fe_pong(void)
{
    bench_futex_event_wait(&fe_b);
    bench_futex_event_clear(&fe_b);
    bench_futex_event_set(&fe_a);
}

/* ---- GLib GAsyncQueue ---------------------------------------------------------- */
#ifdef WEFT_BENCH_HAVE_GLIB
static GAsyncQueue *gq_a, *gq_b;
static void gq_setup(void) { gq_a = g_async_queue_new(); gq_b = g_async_queue_new(); }
static void gq_teardown(void) { g_async_queue_unref(gq_a); g_async_queue_unref(gq_b); }
static void gq_ping(void) { g_async_queue_push(gq_b, GINT_TO_POINTER(1)); (void)g_async_queue_pop(gq_a); }
static void gq_pong(void) { (void)g_async_queue_pop(gq_b); g_async_queue_push(gq_a, GINT_TO_POINTER(1)); }
#endif

/* ---- weft Event ---------------------------------------------------------------- */
#if WEFT_BENCH_HAVE_EVENT
static _Alignas(64) weft_event we_a, we_b;
static void we_setup(void) { weft_event_init(&we_a); weft_event_init(&we_b); }
static void we_teardown(void) { weft_event_destroy(&we_a); weft_event_destroy(&we_b); }
static void we_ping(void)
{
    weft_event_set(&we_b);
    (void)weft_event_wait(&we_a, WEFT_FOREVER);
    weft_event_clear(&we_a);
}
static void we_pong(void)
{
    (void)weft_event_wait(&we_b, WEFT_FOREVER);
    weft_event_clear(&we_b);
    weft_event_set(&we_a);
}
#endif

/* ---- weft Condition (on a weft Lock, two conditions like the baseline) ---------- */
#if WEFT_BENCH_HAVE_CONDITION && WEFT_BENCH_HAVE_LOCK
static weft_lock wc_mu;
static weft_condition wc_a, wc_b;
static int wc_turn;
static void wc_setup(void)
{
    weft_lock_init(&wc_mu);
    (void)weft_condition_init_lock(&wc_a, &wc_mu);
    (void)weft_condition_init_lock(&wc_b, &wc_mu);
    wc_turn = 0;
}
static void wc_teardown(void)
{
    weft_condition_destroy(&wc_a);
    weft_condition_destroy(&wc_b);
    weft_lock_destroy(&wc_mu);
}
static void wc_ping(void)
{
    (void)weft_lock_acquire(&wc_mu, true, WEFT_FOREVER);
    wc_turn = 1;
    (void)weft_condition_notify(&wc_b, 1);
    while (wc_turn != 0)
        (void)weft_condition_wait(&wc_a, WEFT_FOREVER);
    (void)weft_lock_release(&wc_mu);
}
static void wc_pong(void)
{
    (void)weft_lock_acquire(&wc_mu, true, WEFT_FOREVER);
    while (wc_turn != 1)
        (void)weft_condition_wait(&wc_b, WEFT_FOREVER);
    wc_turn = 0;
    (void)weft_condition_notify(&wc_a, 1);
    (void)weft_lock_release(&wc_mu);
}
#endif

/* ---- weft Semaphore ------------------------------------------------------------ */
#if WEFT_BENCH_HAVE_SEMAPHORE
static weft_semaphore wsm_a, wsm_b;
static void wsm_setup(void) { (void)weft_semaphore_init(&wsm_a, 0); (void)weft_semaphore_init(&wsm_b, 0); }
static void wsm_teardown(void) { weft_semaphore_destroy(&wsm_a); weft_semaphore_destroy(&wsm_b); }
static void wsm_ping(void)
{
    (void)weft_semaphore_release(&wsm_b, 1);
    (void)weft_semaphore_acquire(&wsm_a, true, WEFT_FOREVER);
}
static void wsm_pong(void)
{
    (void)weft_semaphore_acquire(&wsm_b, true, WEFT_FOREVER);
    (void)weft_semaphore_release(&wsm_a, 1);
}
#endif

/* ---- weft Queue (two queues of capacity 1) -------------------------------------- */
#if WEFT_BENCH_HAVE_QUEUE
static weft_queue *wq_a, *wq_b;
static void wq_setup(void) { (void)weft_queue_create(&wq_a, 1); (void)weft_queue_create(&wq_b, 1); }
static void wq_teardown(void) { weft_queue_destroy(wq_a); weft_queue_destroy(wq_b); }
static void wq_ping(void)
{
    void *item;
    (void)weft_queue_put(wq_b, (void *)1, true, WEFT_FOREVER);
    (void)weft_queue_get(wq_a, &item, true, WEFT_FOREVER);
}
static void wq_pong(void)
{
    void *item;
    (void)weft_queue_get(wq_b, &item, true, WEFT_FOREVER);
    (void)weft_queue_put(wq_a, item, true, WEFT_FOREVER);
}

/* The same over two queues of capacity 1024: a hand-off through a queue made
 * for streaming (its getters' slip, src/queue.c, must not delay a lone item). */
static void wql_setup(void) { (void)weft_queue_create(&wq_a, 1024); (void)weft_queue_create(&wq_b, 1024); }
#endif

static const adapter adapters[] = {
    { "pthread mutex+condvar", "base", pc_setup, pc_teardown, pc_ping, pc_pong },
    { "POSIX sem_t", "peer", ps_setup, ps_teardown, ps_ping, ps_pong },
    { "raw futex event", "peer", fe_setup, fe_teardown, fe_ping, fe_pong },
#ifdef WEFT_BENCH_HAVE_GLIB
    { "GLib GAsyncQueue", "peer", gq_setup, gq_teardown, gq_ping, gq_pong },
#endif
#if WEFT_BENCH_HAVE_EVENT
    { "weft Event", "weft", we_setup, we_teardown, we_ping, we_pong },
#endif
#if WEFT_BENCH_HAVE_CONDITION && WEFT_BENCH_HAVE_LOCK
    { "weft Condition", "weft", wc_setup, wc_teardown, wc_ping, wc_pong },
#endif
#if WEFT_BENCH_HAVE_SEMAPHORE
    { "weft Semaphore", "weft", wsm_setup, wsm_teardown, wsm_ping, wsm_pong },
#endif
#if WEFT_BENCH_HAVE_QUEUE
    { "weft Queue", "weft", wq_setup, wq_teardown, wq_ping, wq_pong },
    { "weft Queue(1024)", "weft", wql_setup, wq_teardown, wq_ping, wq_pong },
#endif
};

static const int *g_cpus;

/* CPU time (user + system) the process used during the last run(): the work a
 * round trip costs, without the time the two threads spent runnable but waiting
 * for a CPU that other programs had. On a shared machine this is the stable
 * figure for "does weft's Event do more than the raw futex event"; the rows
 * themselves stay wall time (the latency a user sees). */
static double g_last_cpu;

static double process_cpu_seconds(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0) return 0;
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec
         + ((double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_usec) * 1e-6;
}

#define HANDOFF_REPS_MAX 21

static int handoff_reps(void) { return bench_quick() ? BENCH_REPS : HANDOFF_REPS_MAX; }

/* bench_suite with more, shorter rounds in ABBA order (see the top). */
static void handoff_suite(const char *workload, bench_case *c, size_t n,
                          double v[][HANDOFF_REPS_MAX], double cpu[][HANDOFF_REPS_MAX])
{
    const int reps = handoff_reps();
    for (size_t i = 0; i < n; i++) {
        bench_calibrate(&c[i]);
        c[i].iters = c[i].iters / 2 ? c[i].iters / 2 : 1;
        (void)c[i].fn(c[i].ctx, c[i].iters); /* warm-up */
    }
    for (int r = 0; r < reps; r++)
        for (size_t k = 0; k < n; k++) {
            size_t i = (r & 1) ? n - 1 - k : k;
            v[i][r] = bench_per_op(BENCH_US, c[i].fn(c[i].ctx, c[i].iters), c[i].iters);
            cpu[i][r] = bench_per_op(BENCH_US, g_last_cpu, c[i].iters);
        }
    for (size_t i = 0; i < n; i++) {
        double sorted[HANDOFF_REPS_MAX];
        memcpy(sorted, v[i], sizeof sorted);
        bench_report_samples(workload, c[i].impl, c[i].role, sorted, reps,
                             bench_unit_name(BENCH_US), false);
    }
}

/* The paired notes: weft Event against the raw futex event, round by round, in
 * wall time and in CPU time. */
static void paired_note(const char *workload, const bench_case *c, size_t n,
                        double v[][HANDOFF_REPS_MAX], double cpu[][HANDOFF_REPS_MAX])
{
    const int reps = handoff_reps();
    int we = -1, fe = -1;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(c[i].impl, "weft Event") == 0) we = (int)i;
        if (strcmp(c[i].impl, "raw futex event") == 0) fe = (int)i;
    }
    if (we < 0 || fe < 0) return;
    for (int k = 0; k < 2; k++) {
        double (*x)[HANDOFF_REPS_MAX] = k == 0 ? v : cpu;
        double q[HANDOFF_REPS_MAX];
        int m = 0;
        for (int r = 0; r < reps; r++)
            if (x[fe][r] > 0 && x[we][r] > 0) q[m++] = x[we][r] / x[fe][r];
        if (m == 0) continue;
        qsort(q, (size_t)m, sizeof q[0], bench_cmp_double);
        double fe_med, we_med;
        {
            double a[HANDOFF_REPS_MAX], b[HANDOFF_REPS_MAX];
            memcpy(a, x[fe], sizeof a);
            memcpy(b, x[we], sizeof b);
            qsort(a, (size_t)reps, sizeof a[0], bench_cmp_double);
            qsort(b, (size_t)reps, sizeof b[0], bench_cmp_double);
            fe_med = a[reps / 2];
            we_med = b[reps / 2];
        }
        bench_note(workload, "weft Event vs raw futex event, %s, paired by round: median "
                   "%+.1f%% (quartiles %+.1f%% .. %+.1f%%, %d rounds; medians %.3g vs %.3g us; "
                   "negative: weft cheaper)",
                   k == 0 ? "wall time" : "CPU time (user+sys) per round trip",
                   (q[m / 2] - 1) * 100, (q[m / 4] - 1) * 100, (q[(3 * m) / 4] - 1) * 100, m,
                   we_med, fe_med);
    }
}

static double run(void *ctx, uint64_t iters)
{
    g_cur = ctx;
    g_iters = iters;
    g_cur->setup();
    double c0 = process_cpu_seconds();
    double t = bench_team_run(2, body, NULL, g_cpus);
    g_last_cpu = process_cpu_seconds() - c0;
    g_cur->teardown();
    return t;
}

int main(void)
{
    static const int one[2] = { 0, 0 }, two[2] = { 0, 1 };
    struct { const char *workload; const int *cpus; int need; } places[] = {
        { "handoff round trip", NULL, 1 },
        { "handoff round trip, 1 CPU", one, 1 },
        { "handoff round trip, 2 CPUs", two, 2 },
    };
    for (size_t p = 0; p < sizeof places / sizeof places[0]; p++) {
        const char *w = places[p].workload;
        if (bench_ncpus() < places[p].need) {
            bench_note(w, "skipped: needs %d CPUs, %d available", places[p].need, bench_ncpus());
            continue;
        }
        g_cpus = places[p].cpus;
        bench_case cases[sizeof adapters / sizeof adapters[0]];
        size_t n = sizeof adapters / sizeof adapters[0];
        for (size_t i = 0; i < n; i++)
            cases[i] = (bench_case){ adapters[i].name, adapters[i].role, run,
                                     (void *)&adapters[i], 1, 0, 0, { 0 } };
        static double v[sizeof adapters / sizeof adapters[0]][HANDOFF_REPS_MAX];
        static double cpu[sizeof adapters / sizeof adapters[0]][HANDOFF_REPS_MAX];
        handoff_suite(w, cases, n, v, cpu);
        paired_note(w, cases, n, v, cpu);
        if (!WEFT_BENCH_HAVE_EVENT)
            bench_weft_missing(w, "Event");
        if (!(WEFT_BENCH_HAVE_CONDITION && WEFT_BENCH_HAVE_LOCK))
            bench_weft_missing(w, "Condition");
        if (!WEFT_BENCH_HAVE_SEMAPHORE)
            bench_weft_missing(w, "Semaphore");
        if (!WEFT_BENCH_HAVE_QUEUE)
            bench_weft_missing(w, "Queue");
        bench_note(w, "one round trip = A hands to B and B hands back; %s",
                   places[p].cpus == NULL ? "threads unpinned"
                   : places[p].cpus[1] == 0 ? "both threads pinned to CPU 0"
                   : "A pinned to CPU 0, B to CPU 1");
    }
    return 0;
}
