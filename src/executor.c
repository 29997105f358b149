/* SPDX-License-Identifier: MIT */
/* executor.c: Python's concurrent.futures.ThreadPoolExecutor.
 *
 * Design
 * ------
 * Work items are the futures themselves (fn, arg and the queue link are fields of
 * weft_future), so a submit makes one allocation. The queue is a FIFO singly
 * linked list guarded by ex->lock (a weft_lock). Workers are weft threads that
 * inherit the submitter's daemon flag (non-daemon from weft threads and main, as
 * in Python 3.9+), started lazily by submit and never retired before shutdown.
 *
 * Exit (Python's _python_exit): create registers an exit callback with
 * weft__register_atexit (internal/atexit.h); destroy unregisters it (waiting if
 * it is running). At exit the callback runs before weft waits for non-daemon
 * threads: it shuts the pool down without cancelling and joins the workers, so
 * queued and running work finishes and idle workers leave (the thread exit
 * handler would otherwise wait for them forever). An executor created after exit
 * began (registration refused) starts shut down: submit is WEFT_ESHUTDOWN
 * (Python: "cannot schedule new futures after interpreter shutdown"); so is every
 * submit once the first callback ran (exit_shutdown, Python's global _shutdown). In a fork
 * child the callback does nothing unless this process started a worker of the
 * pool (spawn_gen): the parent's workers do not exist there, and the pool's lock
 * may have been held by one of them at the fork.
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
 *
 * Debugging (internal/debug.h, internal/future.h). The counters the deadlock
 * detector needs (free, the number of workers, each worker's weft__tid and the
 * future it runs) live in a separately allocated block, struct weft__pool_dbg,
 * that every future of the pool references for its whole life: the detector may
 * look at a queued future's pool while the executor is being destroyed.
 * weft__future_blockers (future.c) reads it lock-free. A worker records
 * WEFT__WK_EXECUTOR_IDLE while it sleeps for work; shutdown(wait) records
 * WEFT__WK_EXECUTOR_SHUTDOWN around its joins (each join records its own
 * WEFT__WK_JOIN inside it, and without a deadline may return WEFT_EDEADLK).
 * destroy joins with a finite timeout in a loop: it must never free the pool
 * while a worker runs, so it never gives up on a detected deadlock.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal/alloc.h"
#include "internal/annotate.h"
#include "internal/atexit.h"
#include "internal/clock.h"
#include "internal/debug.h"
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
    struct weft__pool_dbg *pd;      /* pd->free: see the design block */
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
    weft__atexit_entry *exit_reg;   /* NULL if created after exit began */
    WEFT_ATOMIC(unsigned) spawn_gen; /* fork generation of the last spawn (or create) */
};

static WEFT_ATOMIC(unsigned) executor_counter;

/* Set by the first exit callback (Python's module-level _shutdown, set by
 * _python_exit): from then on every submit is WEFT_ESHUTDOWN, also to pools whose
 * own callback has not run yet. A submit that read it false under its pool's lock
 * queued an item that pool's callback (later, newest first) still runs. */
static WEFT_ATOMIC(bool) exit_shutdown;

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

/* The exit callback (Python's _python_exit for one pool). */
static void executor_at_exit(void *arg)
{
    weft_executor *ex = arg;
    atomic_store_explicit(&exit_shutdown, true, memory_order_relaxed);
    if (atomic_load_explicit(&ex->spawn_gen, memory_order_relaxed) != weft__fork_generation())
        return;   /* fork child that never started a worker of this pool */
    (void)weft_executor_shutdown(ex, true, false);
}

int weft_executor_create(weft_executor **out, const weft_executor_attr *attr)
{
    if (!out) return WEFT_EINVAL;
    weft_executor_attr a = { 0 };
    if (attr) a = *attr;
    if (a.max_workers < 0) return WEFT_EINVAL;
    weft_executor *ex = weft__calloc(1, sizeof *ex);
    if (!ex) return WEFT_ENOMEM;
    char buf[64];
    const char *prefix = a.thread_name_prefix;
    if (!prefix || !*prefix) {
        unsigned k = atomic_fetch_add_explicit(&executor_counter, 1, memory_order_relaxed);
        snprintf(buf, sizeof buf, "ThreadPoolExecutor-%u", k);
        prefix = buf;
    }
    size_t len = strlen(prefix) + 1;
    ex->prefix = weft__malloc(len);
    if (!ex->prefix) {
        free(ex);
        return WEFT_ENOMEM;
    }
    memcpy(ex->prefix, prefix, len);
    int maxw = a.max_workers ? a.max_workers : executor_default_workers();
    int nslots = maxw < WEFT__POOL_SLOTS ? maxw : WEFT__POOL_SLOTS;
    ex->pd = weft__calloc(1, sizeof *ex->pd + (size_t)nslots * sizeof ex->pd->w[0]);
    if (!ex->pd) {
        free(ex->prefix);
        free(ex);
        return WEFT_ENOMEM;
    }
    atomic_init(&ex->pd->refs, 1);
    atomic_init(&ex->pd->max_workers, maxw);
    atomic_init(&ex->pd->nslots, nslots);
    atomic_init(&ex->pd->nthreads, 0);
    atomic_init(&ex->pd->nclaimed, 0);
    /* Read by the detector and the shutdown report from any thread. */
    WEFT__BENIGN_WORD(&ex->pd->refs, sizeof ex->pd->refs);
    WEFT__BENIGN_WORD(&ex->pd->free, sizeof ex->pd->free);
    WEFT__BENIGN_WORD(&ex->pd->nthreads, sizeof ex->pd->nthreads);
    WEFT__BENIGN_WORD(&ex->pd->nclaimed, sizeof ex->pd->nclaimed);
    WEFT__BENIGN_WORD(&ex->pd->max_workers, sizeof ex->pd->max_workers);
    WEFT__BENIGN_WORD(&ex->pd->nslots, sizeof ex->pd->nslots);
    for (int i = 0; i < nslots; i++) {
        WEFT__BENIGN_WORD(&ex->pd->w[i].tid, sizeof ex->pd->w[i].tid);
        WEFT__BENIGN_WORD(&ex->pd->w[i].cur, sizeof ex->pd->w[i].cur);
        WEFT__BENIGN_WORD(&ex->pd->w[i].since, sizeof ex->pd->w[i].since);
    }
    weft_lock_init(&ex->lock);
    weft_condition_init_lock(&ex->cond, &ex->lock);
    atomic_init(&ex->nqueued, 0);
    atomic_init(&ex->shutdown, false);
    atomic_init(&ex->broken, false);
    atomic_init(&ex->nthreads_pub, 0);
    /* Atomic words read without the lock (spinners, queries). */
    WEFT__BENIGN_WORD(&ex->nqueued, sizeof ex->nqueued);
    WEFT__BENIGN_WORD(&ex->shutdown, sizeof ex->shutdown);
    WEFT__BENIGN_WORD(&ex->broken, sizeof ex->broken);
    WEFT__BENIGN_WORD(&ex->nthreads_pub, sizeof ex->nthreads_pub);
    WEFT__BENIGN_WORD(&ex->spawn_gen, sizeof ex->spawn_gen);
    WEFT__BENIGN_WORD(&exit_shutdown, sizeof exit_shutdown);
    ex->max_workers = maxw;
    ex->initializer = a.initializer;
    ex->initarg = a.initarg;
    atomic_init(&ex->spawn_gen, weft__fork_generation());
    int rc = weft__register_atexit(executor_at_exit, ex, &ex->exit_reg);
    if (rc == WEFT_ESTATE) {
        ex->exit_reg = NULL;   /* exit has begun: born shut down */
        atomic_store_explicit(&ex->shutdown, true, memory_order_relaxed);
    } else if (rc != WEFT_OK) {
        weft_condition_destroy(&ex->cond);
        weft_lock_destroy(&ex->lock);
        free(ex->pd);
        free(ex->prefix);
        free(ex);
        return WEFT_ENOMEM;
    }
    *out = ex;
    return WEFT_OK;
}

/* ---- workers ----------------------------------------------------------------- */

/* Run one item taken from the queue (the queue's reference is dropped here).
 * me: the worker's weft__tid; slot: its debug slot or NULL. */
static void run_item(weft_executor *ex, weft_future *f, weft__tid me,
                     struct weft__wslot *slot)
{
    /* Before RUNNING is published (release, in set_running): the detector that
     * reads RUNNING (acquire) sees who runs it. */
    atomic_store_explicit(&f->runner, me, memory_order_relaxed);
    if (weft_future_set_running_or_notify_cancel(f) == WEFT_OK) {
        if (slot) {
            /* coarse: only shown to people (shutdown report), as wait records' */
            atomic_store_explicit(&slot->since, weft__now_coarse(), memory_order_relaxed);
            atomic_store_explicit(&slot->cur, f, memory_order_relaxed);
        }
        weft_task_fn fn = f->fn;
        void *arg = f->arg;
        f->fn = NULL;
        f->arg = NULL;
        void *r = fn(arg);
        char *msg = NULL;
        int code = weft__take_failure(&msg);
        if (slot) atomic_store_explicit(&slot->cur, NULL, memory_order_relaxed);
        /* Free again before the outcome is published (design block). */
        atomic_fetch_add_explicit(&ex->pd->free, 1, memory_order_relaxed);
        if (code != 0) weft__future_fail_owned(f, code, msg);
        else weft_future_set_result(f, r);
    } else {
        atomic_fetch_add_explicit(&ex->pd->free, 1, memory_order_relaxed);
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
    atomic_fetch_sub_explicit(&ex->pd->free, 1, memory_order_relaxed);
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
    struct weft__pool_dbg *pd = ex->pd;
    weft__tid me = weft__me();
    uint32_t idx = atomic_fetch_add_explicit(&pd->nclaimed, 1, memory_order_relaxed);
    int nslots = atomic_load_explicit(&pd->nslots, memory_order_relaxed);
    struct weft__wslot *slot = idx < (uint32_t)nslots ? &pd->w[idx] : NULL;
    if (slot) atomic_store_explicit(&slot->tid, me, memory_order_relaxed);
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
            atomic_fetch_sub_explicit(&ex->pd->free, 1, memory_order_relaxed);
            unlock(ex);
            run_item(ex, f, me, slot);
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
        int tok = weft__rec_begin(WEFT__WK_EXECUTOR_IDLE, ex, WEFT__NS_FOREVER);
        weft_condition_wait(&ex->cond, WEFT_FOREVER);
        weft__rec_end(tok);
    }
    atomic_fetch_sub_explicit(&ex->pd->free, 1, memory_order_relaxed);
    unlock(ex);
    return NULL;
}

/* Under the lock: start one more worker. */
static int spawn(weft_executor *ex)
{
    if (ex->nthreads == ex->cap) {
        size_t cap = ex->cap ? ex->cap * 2 : 4;
        if (cap > (size_t)ex->max_workers) cap = (size_t)ex->max_workers;
        weft_thread **t = weft__realloc(ex->threads, cap * sizeof *t);
        if (!t) return WEFT_ENOMEM;
        ex->threads = t;
        ex->cap = cap;
    }
    size_t len = strlen(ex->prefix) + 24;
    char stackbuf[128];
    char *name = len <= sizeof stackbuf ? stackbuf : weft__malloc(len);
    if (!name) return WEFT_ENOMEM;
    snprintf(name, len, "%s_%zu", ex->prefix, ex->nthreads);
    weft_thread_attr ta = { 0 };
    ta.name = name;
    ta.flags = 0;   /* inherit the submitter's daemon flag, as threading.Thread does */
    weft_thread *t;
    int rc = weft_thread_create(&t, worker_main, ex, &ta);
    if (name != stackbuf) free(name);
    if (rc) return rc;
    /* Counted free before it runs: it is about to look at the queue. */
    atomic_fetch_add_explicit(&ex->pd->free, 1, memory_order_relaxed);
    rc = weft_thread_start(t);
    if (rc) {
        atomic_fetch_sub_explicit(&ex->pd->free, 1, memory_order_relaxed);
        weft_thread_unref(t);
        return rc;
    }
    ex->threads[ex->nthreads++] = t;
    atomic_store_explicit(&ex->nthreads_pub, ex->nthreads, memory_order_relaxed);
    atomic_store_explicit(&ex->pd->nthreads, (uint32_t)ex->nthreads, memory_order_relaxed);
    atomic_store_explicit(&ex->spawn_gen, weft__fork_generation(), memory_order_relaxed);
    return WEFT_OK;
}

int weft_executor_submit(weft_executor *ex, weft_task_fn fn, void *arg, weft_future **out)
{
    if (!ex || !fn || !out) return WEFT_EINVAL;
    /* One reference for the caller, one for the queue/worker. */
    weft_future *f = weft__future_new(2);
    if (!f) return WEFT_ENOMEM;
    /* The future keeps the pool's debug block alive (dropped when it is freed). */
    atomic_fetch_add_explicit(&ex->pd->refs, 1, memory_order_relaxed);
    atomic_store_explicit(&f->pool, ex->pd, memory_order_relaxed);
    f->fn = fn;
    f->arg = arg;
    lock(ex);
    int rc = WEFT_OK;
    if (atomic_load_explicit(&ex->broken, memory_order_relaxed)) rc = WEFT_EBROKENPOOL;
    else if (atomic_load_explicit(&ex->shutdown, memory_order_relaxed)) rc = WEFT_ESHUTDOWN;
    else if (atomic_load_explicit(&exit_shutdown, memory_order_relaxed)) rc = WEFT_ESHUTDOWN;
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
    int fr = atomic_load_explicit(&ex->pd->free, memory_order_relaxed);
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

/* Stop accepting work, cancel the queue if asked, wake the idle workers.
 * Returns how many workers there are (entries [0, n) of ex->threads are stable
 * from now on: no worker is added after shutdown). */
static size_t shutdown_begin(weft_executor *ex, bool cancel_futures)
{
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
    return n;
}

/* Seconds left until deadline for weft_thread_join (which re-derives it). */
static double join_timeout(weft__ns deadline)
{
    if (deadline == WEFT__NS_FOREVER) return WEFT_FOREVER;
    double left = weft__remaining(deadline);
    return left > 0 ? left : 0.0;
}

/* Join workers [0, n) but the caller until deadline. WEFT_OK, WEFT_ETIMEDOUT or
 * WEFT_EDEADLK (from the first join that gave it). */
static int join_workers(weft_executor *ex, size_t n, weft__ns deadline)
{
    weft_thread *self = weft_current_thread();
    int rc = WEFT_OK;
    int tok = weft__rec_begin(WEFT__WK_EXECUTOR_SHUTDOWN, ex, deadline);
    for (size_t i = 0; i < n && rc == WEFT_OK; i++)
        if (ex->threads[i] != self) rc = weft_thread_join(ex->threads[i], join_timeout(deadline));
    weft__rec_end(tok);
    return rc;
}

int weft_executor_shutdown(weft_executor *ex, bool wait, bool cancel_futures)
{
    if (!ex) return WEFT_EINVAL;
    size_t n = shutdown_begin(ex, cancel_futures);
    return wait ? join_workers(ex, n, WEFT__NS_FOREVER) : WEFT_OK;
}

/* The timeout report of weft_executor_shutdown_timeout (futures.h). */
static void shutdown_report(weft_executor *ex, size_t n, double waited, FILE *out)
{
    weft_thread *self = weft_current_thread();
    struct weft__pool_dbg *pd = ex->pd;
    weft__tid small[32];
    weft__tid *ids = n <= 32 ? small : weft__malloc(n * sizeof *ids);
    if (!ids) {
        ids = small;
        if (n > 32) n = 32;   /* report what fits */
    }
    int k = 0;
    for (size_t i = 0; i < n; i++) {
        weft_thread *t = ex->threads[i];
        if (t == self || !weft_thread_is_alive(t)) continue;
        weft__tid id = weft__thread_tid(t);
        if (id) ids[k++] = id;
    }
    char exname[160];
    weft__describe_obj(ex, exname, sizeof exname);
    fprintf(out, "weft: executor %s shutdown: %d of %zu worker%s still running after %.3f s\n",
            exname, k, n, n == 1 ? "" : "s", waited);
    weft__ns now = weft__now();
    uint32_t nc = atomic_load_explicit(&pd->nclaimed, memory_order_relaxed);
    uint32_t nslots = (uint32_t)atomic_load_explicit(&pd->nslots, memory_order_relaxed);
    if (nc > nslots) nc = nslots;
    for (uint32_t i = 0; i < nc; i++) {
        weft__tid id = atomic_load_explicit(&pd->w[i].tid, memory_order_relaxed);
        weft_future *f = atomic_load_explicit(&pd->w[i].cur, memory_order_relaxed);
        if (!id || !f) continue;
        /* f is only described by address and name, never dereferenced: it may
         * be finishing and freed right now. */
        double secs = (double)(now - atomic_load_explicit(&pd->w[i].since,
                                                          memory_order_relaxed)) / 1e9;
        char fname[160], tname[160];
        weft__describe_obj(f, fname, sizeof fname);
        weft__describe_tid(id, tname, sizeof tname);
        fprintf(out, "  task %s running for %.3f s on %s\n", fname, secs < 0 ? 0.0 : secs,
                tname);
    }
    size_t q = atomic_load_explicit(&ex->nqueued, memory_order_relaxed);
    if (q) fprintf(out, "  %zu queued task%s not started\n", q, q == 1 ? "" : "s");
    if (k > 0) weft__dump_threads(out, ids, k);
    fflush(out);
    if (ids != small) free(ids);
}

int weft_executor_shutdown_timeout(weft_executor *ex, bool cancel_futures, double timeout,
                                   FILE *report)
{
    if (!ex) return WEFT_EINVAL;
    weft__ns deadline;
    int rc = weft__join_deadline(timeout, &deadline);
    if (rc != WEFT_OK) return rc;
    weft__ns t0 = weft__now();
    size_t n = shutdown_begin(ex, cancel_futures);
    rc = join_workers(ex, n, deadline);
    if (rc == WEFT_ETIMEDOUT && report)
        shutdown_report(ex, n, (double)(weft__now() - t0) / 1e9, report);
    return rc;
}

void weft_executor_destroy(weft_executor *ex)
{
    if (!ex) return;
    /* First, so the exit callback never sees a freed pool (waits if it runs). */
    if (ex->exit_reg) (void)weft__unregister_atexit(ex->exit_reg);
    size_t n = shutdown_begin(ex, false);
    /* Never free the pool under a running worker: a finite timeout keeps the
     * detector out of these joins (design block), and the loop waits on. */
    weft_thread *self = weft_current_thread();
    int tok = weft__rec_begin(WEFT__WK_EXECUTOR_SHUTDOWN, ex, WEFT__NS_FOREVER);
    for (size_t i = 0; i < n; i++)
        if (ex->threads[i] != self)
            while (weft_thread_join(ex->threads[i], 3600.0) == WEFT_ETIMEDOUT) {}
    weft__rec_end(tok);
    for (size_t i = 0; i < ex->nthreads; i++) weft_thread_unref(ex->threads[i]);
    weft__name_forget(ex);
    weft__pool_dbg_unref(ex->pd);
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
    weft_future **fs = weft__malloc(nchunks * sizeof *fs);
    struct chunk **cs = chunksize > 1 ? weft__calloc(nchunks, sizeof *cs) : NULL;
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
            struct chunk *c = weft__malloc(sizeof *c + 2 * cnt * sizeof(void *));
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
