/* SPDX-License-Identifier: MIT */
/* executor.c: Python's concurrent.futures.ThreadPoolExecutor.
 *
 * Design
 * ------
 * Work items are the futures themselves (fn, arg and the queue link are fields of
 * weft_future), so a submit makes one allocation. The queue is a FIFO singly
 * linked list guarded by ex->lock (a weft_lock). Workers are daemon weft threads
 * started lazily by submit and never retired before shutdown.
 *
 * Counters (all guarded by ex->lock unless said otherwise):
 *   nqueued   items in the queue (also read lock-free, relaxed, by spinning workers
 *             as a hint only; every decision is re-made under the lock)
 *   free      workers not running a task: spinning, sleeping, or between tasks.
 *             Atomic: a worker adds itself back *before* it completes its future,
 *             so a caller that saw the result and submits again counts it as free
 *             (CPython's test_idle_thread_reuse: one thread serves a sequence of
 *             submit().result() calls).
 *   sleeping  workers blocked in ex->cond that no submit has notified yet.
 *
 * submit pushes the item and then, if more items are queued than there are free
 * workers awake (free - sleeping), notifies one sleeper (and counts it awake), or
 * if none sleeps and fewer than max_workers exist, starts a worker. This is
 * CPython's _adjust_thread_count (its idle semaphore) without waking a worker
 * that is already awake: awake workers always look at the queue again before
 * they sleep.
 *
 * No lost wakeup / no stranded item: a worker decides to sleep only under
 * ex->lock, after seeing the queue empty, and counts itself in `sleeping` in the
 * same hold; weft_condition_wait releases the lock atomically with enqueueing it.
 * A submit that pushes under the lock therefore either sees that sleeper (and
 * notifies it if no awake worker is free) or happens before the worker's check
 * (and the worker sees the item). An awake worker that a submit counted on goes
 * back to the queue under the lock before it can sleep.
 *
 * Spinning: a worker that finds the queue empty first spins for a short while
 * reading nqueued and the shutdown flag without the lock (no syscall), so a
 * stream of submits is picked up without futex wakes; then it sleeps.
 *
 * Shutdown sets `shutdown` (and the atomic mirror for spinners), optionally
 * takes the queued items out and cancels them, and notifies every sleeper.
 * Workers leave when the queue is empty and shutdown is set, so queued items
 * still run. An initializer failure marks the pool broken, fails the queued
 * futures with WEFT_EBROKENPOOL, and that worker exits.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal/annotate.h"
#include "internal/clock.h"
#include "internal/executor-cpus.h"
#include "internal/failure.h"
#include "internal/future.h"
#include "weft/thread.h"

/* How many times an idle worker re-reads the queue before it sleeps. One
 * iteration is a relaxed load and a pause instruction (pause measured 40-75 ns
 * on the 2-core AMD EPYC test machine), so this is about 10 us: longer than the
 * gap between back-to-back submits, short enough not to steal a 2-core machine
 * from the submitter for long (2000 made batches of 100 tasks 5-10x slower
 * there; 50 made batches of 1000 2x slower). Provenance: docs/design/futures.md. */
#ifndef SPIN_LIMIT
#define SPIN_LIMIT 200
#endif

#define BROKEN_MESSAGE "A thread initializer failed, the thread pool is not usable anymore"

struct weft_executor {
    weft_lock lock;
    weft_condition cond;            /* idle workers sleep here (over lock) */
    weft_future *head, *tail;       /* queue */
    WEFT_ATOMIC(size_t) nqueued;    /* written under lock; hint for spinners */
    WEFT_ATOMIC(int) free;          /* see the design block */
    int sleeping;
    WEFT_ATOMIC(bool) shutdown;     /* written under lock; read by spinners, queries */
    WEFT_ATOMIC(bool) broken;       /* written under lock */
    int max_workers;
    size_t nthreads, cap;           /* guarded by lock */
    WEFT_ATOMIC(size_t) nthreads_pub; /* mirror for the query */
    weft_thread **threads;
    char *prefix;
    int (*initializer)(void *);
    void *initarg;
};

static WEFT_ATOMIC(unsigned) executor_counter;

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

static void lock(weft_executor *ex)
{
    weft_lock_acquire(&ex->lock, true, WEFT_FOREVER);
}

static void unlock(weft_executor *ex)
{
    weft_lock_release(&ex->lock);
}

/* Under the lock. */
static weft_future *pop(weft_executor *ex)
{
    weft_future *f = ex->head;
    if (f) {
        ex->head = f->next;
        if (!ex->head) ex->tail = NULL;
        f->next = NULL;
        atomic_store_explicit(&ex->nqueued,
                              atomic_load_explicit(&ex->nqueued, memory_order_relaxed) - 1,
                              memory_order_relaxed);
    }
    return f;
}

/* Under the lock: take the whole queue. */
static weft_future *take_all(weft_executor *ex)
{
    weft_future *list = ex->head;
    ex->head = ex->tail = NULL;
    atomic_store_explicit(&ex->nqueued, 0, memory_order_relaxed);
    return list;
}

static int executor_default_workers(void)
{
    long cpus = weft__cpu_count();
    if (cpus < 1) cpus = 1;
    long n = cpus + 4;
    return n > 32 ? 32 : (int)n;
}

int weft_executor_create(weft_executor **out, const weft_executor_attr *attr)
{
    if (!out) return WEFT_EINVAL;
    weft_executor_attr a = { 0 };
    if (attr) a = *attr;
    if (a.max_workers < 0) return WEFT_EINVAL;
    weft_executor *ex = calloc(1, sizeof *ex);
    if (!ex) return WEFT_ENOMEM;
    char buf[64];
    const char *prefix = a.thread_name_prefix;
    if (!prefix || !*prefix) {
        unsigned k = atomic_fetch_add_explicit(&executor_counter, 1, memory_order_relaxed);
        snprintf(buf, sizeof buf, "ThreadPoolExecutor-%u", k);
        prefix = buf;
    }
    size_t len = strlen(prefix) + 1;
    ex->prefix = malloc(len);
    if (!ex->prefix) {
        free(ex);
        return WEFT_ENOMEM;
    }
    memcpy(ex->prefix, prefix, len);
    weft_lock_init(&ex->lock);
    weft_condition_init_lock(&ex->cond, &ex->lock);
    atomic_init(&ex->nqueued, 0);
    atomic_init(&ex->free, 0);
    atomic_init(&ex->shutdown, false);
    atomic_init(&ex->broken, false);
    atomic_init(&ex->nthreads_pub, 0);
    /* Atomic words read without the lock (spinners, queries). */
    WEFT__BENIGN_WORD(&ex->nqueued, sizeof ex->nqueued);
    WEFT__BENIGN_WORD(&ex->free, sizeof ex->free);
    WEFT__BENIGN_WORD(&ex->shutdown, sizeof ex->shutdown);
    WEFT__BENIGN_WORD(&ex->broken, sizeof ex->broken);
    WEFT__BENIGN_WORD(&ex->nthreads_pub, sizeof ex->nthreads_pub);
    ex->max_workers = a.max_workers ? a.max_workers : executor_default_workers();
    ex->initializer = a.initializer;
    ex->initarg = a.initarg;
    *out = ex;
    return WEFT_OK;
}

/* ---- workers ----------------------------------------------------------------- */

/* Run one item taken from the queue (the queue's reference is dropped here). */
static void run_item(weft_executor *ex, weft_future *f)
{
    if (weft_future_set_running_or_notify_cancel(f) == WEFT_OK) {
        weft_task_fn fn = f->fn;
        void *arg = f->arg;
        f->fn = NULL;
        f->arg = NULL;
        void *r = fn(arg);
        char *msg = NULL;
        int code = weft__take_failure(&msg);
        /* Free again before the outcome is published (design block). */
        atomic_fetch_add_explicit(&ex->free, 1, memory_order_relaxed);
        if (code != 0) weft__future_fail_owned(f, code, msg);
        else weft_future_set_result(f, r);
    } else {
        atomic_fetch_add_explicit(&ex->free, 1, memory_order_relaxed);
    }
    weft_future_unref(f);
}

static void break_pool(weft_executor *ex, int code, char *msg)
{
    weft__report_failure("Exception in initializer:", NULL, code, msg);
    free(msg);
    lock(ex);
    atomic_store_explicit(&ex->broken, true, memory_order_relaxed);
    weft_future *list = take_all(ex);
    atomic_fetch_sub_explicit(&ex->free, 1, memory_order_relaxed);
    unlock(ex);
    while (list) {
        weft_future *n = list->next;
        list->next = NULL;
        /* A cancelled item cannot be failed (CPython raises InvalidStateError in
         * the worker here); it stays cancelled. */
        weft_future_set_exception(list, WEFT_EBROKENPOOL, BROKEN_MESSAGE);
        weft_future_unref(list);
        list = n;
    }
}

static void *worker_main(void *arg)
{
    weft_executor *ex = arg;
    if (ex->initializer) {
        int rc = ex->initializer(ex->initarg);
        char *msg = NULL;
        int code = weft__take_failure(&msg);
        if (code == 0 && rc < 0) code = rc;
        if (code != 0) {
            break_pool(ex, code, msg);
            return NULL;
        }
    }
    lock(ex);
    for (;;) {
        weft_future *f = pop(ex);
        if (f) {
            atomic_fetch_sub_explicit(&ex->free, 1, memory_order_relaxed);
            unlock(ex);
            run_item(ex, f);
            lock(ex);
            continue;
        }
        if (atomic_load_explicit(&ex->shutdown, memory_order_relaxed) ||
            atomic_load_explicit(&ex->broken, memory_order_relaxed))
            break;
        unlock(ex);
        for (int i = 0; i < SPIN_LIMIT; i++) {
            if (atomic_load_explicit(&ex->nqueued, memory_order_relaxed) != 0 ||
                atomic_load_explicit(&ex->shutdown, memory_order_relaxed))
                break;
            cpu_relax();
        }
        lock(ex);
        if (ex->head || atomic_load_explicit(&ex->shutdown, memory_order_relaxed) ||
            atomic_load_explicit(&ex->broken, memory_order_relaxed))
            continue;
        /* Sleep; the notifier (submit or shutdown) takes us out of `sleeping`. */
        ex->sleeping++;
        weft_condition_wait(&ex->cond, WEFT_FOREVER);
    }
    atomic_fetch_sub_explicit(&ex->free, 1, memory_order_relaxed);
    unlock(ex);
    return NULL;
}

/* Under the lock: start one more worker. */
static int spawn(weft_executor *ex)
{
    if (ex->nthreads == ex->cap) {
        size_t cap = ex->cap ? ex->cap * 2 : 4;
        if (cap > (size_t)ex->max_workers) cap = (size_t)ex->max_workers;
        weft_thread **t = realloc(ex->threads, cap * sizeof *t);
        if (!t) return WEFT_ENOMEM;
        ex->threads = t;
        ex->cap = cap;
    }
    size_t len = strlen(ex->prefix) + 24;
    char stackbuf[128];
    char *name = len <= sizeof stackbuf ? stackbuf : malloc(len);
    if (!name) return WEFT_ENOMEM;
    snprintf(name, len, "%s_%zu", ex->prefix, ex->nthreads);
    weft_thread_attr ta = { 0 };
    ta.name = name;
    ta.flags = WEFT_THREAD_DAEMON;
    weft_thread *t;
    int rc = weft_thread_create(&t, worker_main, ex, &ta);
    if (name != stackbuf) free(name);
    if (rc) return rc;
    /* Counted free before it runs: it is about to look at the queue. */
    atomic_fetch_add_explicit(&ex->free, 1, memory_order_relaxed);
    rc = weft_thread_start(t);
    if (rc) {
        atomic_fetch_sub_explicit(&ex->free, 1, memory_order_relaxed);
        weft_thread_unref(t);
        return rc;
    }
    ex->threads[ex->nthreads++] = t;
    atomic_store_explicit(&ex->nthreads_pub, ex->nthreads, memory_order_relaxed);
    return WEFT_OK;
}

int weft_executor_submit(weft_executor *ex, weft_task_fn fn, void *arg, weft_future **out)
{
    if (!ex || !fn || !out) return WEFT_EINVAL;
    /* One reference for the caller, one for the queue/worker. */
    weft_future *f = weft__future_new(2);
    if (!f) return WEFT_ENOMEM;
    f->fn = fn;
    f->arg = arg;
    lock(ex);
    int rc = WEFT_OK;
    if (atomic_load_explicit(&ex->broken, memory_order_relaxed)) rc = WEFT_EBROKENPOOL;
    else if (atomic_load_explicit(&ex->shutdown, memory_order_relaxed)) rc = WEFT_ESHUTDOWN;
    if (rc) {
        unlock(ex);
        f->fn = NULL;
        weft_future_unref(f);
        weft_future_unref(f);
        return rc;
    }
    if (ex->tail) ex->tail->next = f;
    else ex->head = f;
    ex->tail = f;
    size_t q = atomic_load_explicit(&ex->nqueued, memory_order_relaxed) + 1;
    /* Spinners read nqueued without the lock; the item itself is handed over by
     * the lock, so relaxed order suffices for this hint. */
    atomic_store_explicit(&ex->nqueued, q, memory_order_relaxed);
    int fr = atomic_load_explicit(&ex->free, memory_order_relaxed);
    long awake = (long)fr - ex->sleeping;
    if ((long)q > awake) {
        if (ex->sleeping > 0) {
            ex->sleeping--;
            weft_condition_notify(&ex->cond, 1);
        } else if (ex->nthreads < (size_t)ex->max_workers) {
            rc = spawn(ex);
            if (rc && ex->nthreads == 0) {
                /* Nobody could ever run it: take it back out. */
                weft_future **pp = &ex->head, *prev = NULL;
                while (*pp != f) {
                    prev = *pp;
                    pp = &(*pp)->next;
                }
                *pp = f->next;
                if (ex->tail == f) ex->tail = prev;
                atomic_store_explicit(&ex->nqueued, q - 1, memory_order_relaxed);
                unlock(ex);
                f->fn = NULL;
                weft_future_unref(f);
                weft_future_unref(f);
                return rc == WEFT_ENOMEM ? WEFT_ENOMEM : WEFT_EAGAIN;
            }
        }
    }
    unlock(ex);
    *out = f;
    return WEFT_OK;
}

/* ---- shutdown ------------------------------------------------------------------ */

int weft_executor_shutdown(weft_executor *ex, bool wait, bool cancel_futures)
{
    if (!ex) return WEFT_EINVAL;
    lock(ex);
    atomic_store_explicit(&ex->shutdown, true, memory_order_relaxed);
    weft_future *list = cancel_futures ? take_all(ex) : NULL;
    ex->sleeping = 0;
    weft_condition_notify_all(&ex->cond);
    size_t n = ex->nthreads;
    unlock(ex);
    while (list) {
        weft_future *nx = list->next;
        list->next = NULL;
        list->fn = NULL;
        weft_future_cancel(list);
        weft_future_unref(list);
        list = nx;
    }
    if (wait) {
        weft_thread *self = weft_current_thread();
        /* No thread is added after shutdown, and the array is only grown by
         * spawn, which runs before shutdown: entries [0, n) are stable. */
        for (size_t i = 0; i < n; i++)
            if (ex->threads[i] != self) weft_thread_join(ex->threads[i], WEFT_FOREVER);
    }
    return WEFT_OK;
}

void weft_executor_destroy(weft_executor *ex)
{
    if (!ex) return;
    weft_executor_shutdown(ex, true, false);
    for (size_t i = 0; i < ex->nthreads; i++) weft_thread_unref(ex->threads[i]);
    free(ex->threads);
    free(ex->prefix);
    weft_condition_destroy(&ex->cond);
    weft_lock_destroy(&ex->lock);
    free(ex);
}

/* ---- queries ------------------------------------------------------------------- */

int weft_executor_max_workers(const weft_executor *ex)
{
    return ex ? ex->max_workers : 0;
}

size_t weft_executor_thread_count(const weft_executor *ex)
{
    return ex ? atomic_load_explicit(&((weft_executor *)ex)->nthreads_pub, memory_order_relaxed)
              : 0;
}

bool weft_executor_broken(const weft_executor *ex)
{
    return ex && atomic_load_explicit(&((weft_executor *)ex)->broken, memory_order_relaxed);
}

bool weft_executor_is_shutdown(const weft_executor *ex)
{
    return ex && atomic_load_explicit(&((weft_executor *)ex)->shutdown, memory_order_relaxed);
}

/* ---- map -------------------------------------------------------------------------- */

/* A chunk of map items run by one task. Shared by the caller and the task: refs
 * drops to 0 in whichever finishes last (the done-callback stands for the task,
 * so a chunk cancelled before it ran is freed too). */
struct chunk {
    WEFT_ATOMIC(int) refs;
    weft_task_fn fn;
    size_t count;
    size_t fail_at;            /* index within the chunk of the failure */
    void **results;            /* = slots + count */
    void *slots[];             /* count arguments (copied: a chunk still running
                                  after map timed out never reads the caller's
                                  array), then count results */
};

static void chunk_unref(struct chunk *c)
{
    WEFT__HAPPENS_BEFORE(&c->refs);
    if (atomic_fetch_sub_explicit(&c->refs, 1, memory_order_acq_rel) == 1) {
        WEFT__HAPPENS_AFTER(&c->refs);
        free(c);
    }
}

static void chunk_done(weft_future *f, void *ud)
{
    (void)f;
    chunk_unref(ud);
}

static void *chunk_main(void *arg)
{
    struct chunk *c = arg;
    for (size_t i = 0; i < c->count; i++) {
        void *r = c->fn(c->slots[i]);
        char *msg = NULL;
        int code = weft__take_failure(&msg);
        if (code != 0) {
            c->fail_at = i;
            weft_fail(code, "%s", msg ? msg : "");
            free(msg);
            return NULL;
        }
        c->results[i] = r;
    }
    return c;
}

int weft_executor_map(weft_executor *ex, weft_task_fn fn, void *const *args, size_t n,
                      void **results, double timeout, size_t chunksize, size_t *failed)
{
    if (!ex || !fn || ((!args || !results) && n > 0)) return WEFT_EINVAL;
    enum weft__tclass tc = weft__timeout_class(timeout);
    if (tc == WEFT__T_TOO_BIG) return WEFT_EOVERFLOW;
    weft__ns deadline = tc == WEFT__T_FOREVER   ? WEFT__NS_FOREVER
                        : tc == WEFT__T_POSITIVE ? weft__deadline_after(timeout)
                                                 : weft__now();
    if (failed) *failed = n;
    if (n == 0) return WEFT_OK;
    if (chunksize == 0) chunksize = 1;
    size_t nchunks = n / chunksize + (n % chunksize != 0);
    weft_future **fs = malloc(nchunks * sizeof *fs);
    struct chunk **cs = chunksize > 1 ? calloc(nchunks, sizeof *cs) : NULL;
    if (!fs || (chunksize > 1 && !cs)) {
        free(fs);
        free(cs);
        return WEFT_ENOMEM;
    }
    size_t submitted = 0;
    int rc = WEFT_OK;
    for (size_t k = 0; k < nchunks; k++) {
        if (chunksize == 1) {
            rc = weft_executor_submit(ex, fn, args[k], &fs[k]);
        } else {
            size_t start = k * chunksize;
            size_t cnt = n - start < chunksize ? n - start : chunksize;
            struct chunk *c = malloc(sizeof *c + 2 * cnt * sizeof(void *));
            if (!c) {
                rc = WEFT_ENOMEM;
                break;
            }
            atomic_init(&c->refs, 2);
            WEFT__BENIGN_WORD(&c->refs, sizeof c->refs);
            c->fn = fn;
            memcpy(c->slots, args + start, cnt * sizeof(void *));
            c->results = c->slots + cnt;
            c->count = cnt;
            c->fail_at = 0;
            rc = weft_executor_submit(ex, chunk_main, c, &fs[k]);
            if (rc) {
                free(c);
                break;
            }
            cs[k] = c;
            if (weft_future_add_done_callback(fs[k], chunk_done, c) != WEFT_OK) {
                /* Could not register: wait for this chunk here instead. */
                weft_future_result(fs[k], WEFT_FOREVER, NULL);
                chunk_unref(c);
            }
        }
        if (rc) break;
        submitted++;
    }
    size_t k = 0;
    if (rc == WEFT_OK) {
        for (; k < nchunks; k++) {
            double left = deadline == WEFT__NS_FOREVER ? WEFT_FOREVER : weft__remaining(deadline);
            if (deadline != WEFT__NS_FOREVER && !(left > 0)) left = 0.0;
            void *r;
            int frc = weft_future_result(fs[k], left, &r);
            if (frc != WEFT_OK) {
                rc = frc;
                size_t base = k * chunksize;
                if (failed) *failed = base + (frc == WEFT_ETASK && cs ? cs[k]->fail_at : 0);
                if (frc == WEFT_ETASK && cs)
                    for (size_t i = 0; i < cs[k]->fail_at; i++)
                        results[base + i] = cs[k]->results[i];
                break;
            }
            if (cs) {
                for (size_t i = 0; i < cs[k]->count; i++)
                    results[k * chunksize + i] = cs[k]->results[i];
            } else {
                results[k] = r;
            }
        }
    } else if (failed) {
        *failed = submitted * chunksize;
    }
    /* Cancel what was not yielded (Python closes the iterator), drop everything.
     * A chunk still running after a timeout only touches its own struct. */
    for (size_t j = k; j < submitted; j++) weft_future_cancel(fs[j]);
    for (size_t j = 0; j < submitted; j++) {
        weft_future_unref(fs[j]);
        if (cs) chunk_unref(cs[j]);
    }
    free(fs);
    free(cs);
    return rc;
}
