/* SPDX-License-Identifier: MIT */
/* timer.c: threading.Timer as a composite of weft's public primitives: a
 * weft_lock, weft_conditions over it, and weft threads (include/weft/timer.h;
 * docs/design/timer.md).
 *
 * Shape
 * -----
 * Python runs every Timer on its own thread that sleeps for the interval. Here
 * a pending timer is only an entry in a min-heap ordered by (deadline, start
 * order); a scheduler thread sleeps until the earliest deadline, then starts
 * the timer's own weft thread (created with the timer, so it carries the
 * timer's name and daemon flag) to run the function. A slow function therefore
 * delays nobody, and 10,000 pending timers cost 10,000 heap entries and one
 * sleeping thread.
 *
 * There are two schedulers, for non-daemon and for daemon timers. Each is
 * started on demand by the start() that finds it not running, and ends when its
 * heap is empty. The non-daemon scheduler is a non-daemon weft thread, so
 * weft's exit rule (wait for every non-daemon thread) waits for it, i.e. until
 * every started non-daemon timer fired or was cancelled, and then for the
 * function threads it started: Python's rule for a Timer. The daemon scheduler
 * holds nothing up.
 *
 * State (all under g_lock; state and thread_started are atomics so the queries
 * can read them without it)
 * -----
 *   TM_CREATED   not started. cancel() only records `cancelled`.
 *   TM_PENDING   started, in its scheduler's heap (heap_index valid).
 *   TM_RUNNING   taken off the heap by the scheduler: the function runs or is
 *                about to. cancel() has no effect from here on.
 *   TM_FINISHED  cancelled while pending (or before start), or the function
 *                returned. Joiners wait for this, then for the function's thread.
 * The only transitions are CREATED -> PENDING -> RUNNING -> FINISHED,
 * PENDING -> FINISHED (cancel) and CREATED -> FINISHED (start after cancel), each
 * made under g_lock, so "cancelled before it fires" (PENDING -> FINISHED wins
 * over PENDING -> RUNNING) is decided by whoever takes the lock first.
 *
 * References: the creator's (create .. destroy); while started and not
 * finished, the timer's own (taken by start, dropped by whoever moves it to
 * TM_FINISHED after its last use of it); and the scheduler's, for the moment it
 * starts the function's thread. The timer owns one reference to its
 * weft_thread; a running thread holds its own.
 *
 * No lost wakeups: every state change and heap change is made under g_lock and
 * followed by the matching notify (t->done for joiners, the scheduler's cond
 * when a new earliest deadline appears or a heap becomes empty); waiters test
 * their condition under g_lock before waiting (weft_condition's contract).
 *
 * errno: the allocations save and restore it, in a volatile: compilers
 * (clang/LLVM) assume malloc and friends never write errno and would drop the
 * restore after a failed allocation as a dead store.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "internal/annotate.h"
#include "internal/clock.h"
#include "internal/debug.h"
#include "internal/os.h"
#include "weft/condition.h"
#include "weft/lock.h"
#include "weft/thread.h"
#include "weft/timer.h"

enum { TM_CREATED = 0, TM_PENDING = 1, TM_RUNNING = 2, TM_FINISHED = 3 };

struct sched {
    weft_condition cond;      /* over g_lock: the scheduler sleeps here */
    bool cond_ready;
    bool running;             /* a scheduler thread serves this heap */
    bool daemon;
    weft_timer **heap;
    size_t n, cap;
};

struct weft_timer {
    WEFT_ATOMIC(uint32_t) refs;
    WEFT_ATOMIC(int) state;            /* TM_* (written under g_lock) */
    WEFT_ATOMIC(bool) thread_started;  /* the function runs on t->thread */
    bool cancelled;                    /* under g_lock */
    double interval;
    weft_timer_fn fn;
    void *arg;
    weft_thread *thread;
    weft_condition done;               /* over g_lock: joiners */
    weft__ns deadline;                 /* under g_lock, while pending */
    uint64_t seq;
    size_t heap_index;
    struct sched *sched;
};

static weft_lock g_lock = WEFT_LOCK_INIT;
static struct sched scheds[2] = { { .daemon = false }, { .daemon = true } };
static uint64_t g_seq;                 /* start order: ties go first-started first */

static void timer_unref(weft_timer *t);

/* fork(): prepare takes g_lock so no heap or state change is half done; the
 * child re-creates it and forgets the schedulers (their threads do not exist
 * there). A timer that was pending in the parent finished in the child without
 * running its function, as Python marks every other thread stopped after fork;
 * one whose function was running is finished too (see weft_timer_join). These
 * handlers are registered after the thread module's, so prepare takes g_lock
 * before the thread registry lock, the order every other path uses. */
static void fork_prepare(void) { weft_lock_acquire(&g_lock, true, WEFT_FOREVER); }
static void fork_parent(void) { weft_lock_release(&g_lock); }
static void fork_child(void)
{
    weft_lock_init(&g_lock);
    for (int i = 0; i < 2; i++) {
        struct sched *s = &scheds[i];
        s->running = false;
        if (s->cond_ready) (void)weft_condition_init_lock(&s->cond, &g_lock);
        for (size_t k = 0; k < s->n; k++) {
            weft_timer *t = s->heap[k];
            atomic_store_explicit(&t->state, TM_FINISHED, memory_order_relaxed);
            (void)weft_condition_init_lock(&t->done, &g_lock);  /* its waiters are gone */
            timer_unref(t);                                     /* the timer's own reference */
        }
        s->n = 0;
    }
}

/* g_lock is usable as statically initialised; initialising it again before
 * main() also tells helgrind/drd (WEFT_VALGRIND builds) that its word is atomic. */
__attribute__((constructor)) static void timer_module_init(void)
{
    weft_lock_init(&g_lock);
    (void)weft__os_atfork(fork_prepare, fork_parent, fork_child);
}

/* ---- min-heap of (deadline, seq) --------------------------------------------- */

static bool earlier(const weft_timer *a, const weft_timer *b)
{
    return a->deadline < b->deadline || (a->deadline == b->deadline && a->seq < b->seq);
}

static void heap_set(struct sched *s, size_t i, weft_timer *t)
{
    s->heap[i] = t;
    t->heap_index = i;
}

static void sift_up(struct sched *s, size_t i)
{
    weft_timer *t = s->heap[i];
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!earlier(t, s->heap[p])) break;
        heap_set(s, i, s->heap[p]);
        i = p;
    }
    heap_set(s, i, t);
}

static void sift_down(struct sched *s, size_t i)
{
    weft_timer *t = s->heap[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= s->n) break;
        if (c + 1 < s->n && earlier(s->heap[c + 1], s->heap[c])) c++;
        if (!earlier(s->heap[c], t)) break;
        heap_set(s, i, s->heap[c]);
        i = c;
    }
    heap_set(s, i, t);
}

static void heap_remove(struct sched *s, size_t i)
{
    weft_timer *last = s->heap[--s->n];
    if (i == s->n) return;
    heap_set(s, i, last);
    if (i > 0 && earlier(last, s->heap[(i - 1) / 2])) sift_up(s, i);
    else sift_down(s, i);
}

static int heap_reserve(struct sched *s)
{
    if (s->n < s->cap) return WEFT_OK;
    size_t cap = s->cap ? 2 * s->cap : 64;
    volatile int saved = errno;   /* a failing allocator sets errno; weft never changes it */
    weft_timer **h = realloc(s->heap, cap * sizeof *h);
    errno = saved;
    if (!h) return WEFT_ENOMEM;
    s->heap = h;
    s->cap = cap;
    return WEFT_OK;
}

/* ---- references and finishing ----------------------------------------------- */

static void timer_unref(weft_timer *t)
{
    if (atomic_fetch_sub_explicit(&t->refs, 1, memory_order_acq_rel) != 1) return;
    weft_condition_destroy(&t->done);
    weft_thread_unref(t->thread);
    free(t);
}

/* Under g_lock: the timer has finished; wake its joiners. */
static void finish_locked(weft_timer *t)
{
    atomic_store_explicit(&t->state, TM_FINISHED, memory_order_release);
    weft_condition_notify_all(&t->done);
}

/* The function's thread. */
static void *fire_body(void *p)
{
    weft_timer *t = p;
    t->fn(t->arg);
    weft_lock_acquire(&g_lock, true, WEFT_FOREVER);
    finish_locked(t);
    weft_lock_release(&g_lock);
    timer_unref(t);           /* the timer's own reference: its last use here */
    return NULL;
}

/* ---- the scheduler ------------------------------------------------------------ */

static void *sched_body(void *p)
{
    struct sched *s = p;
    weft_lock_acquire(&g_lock, true, WEFT_FOREVER);
    for (;;) {
        if (s->n == 0) {
            /* Nothing pending: end (a later start() starts a new scheduler). */
            s->running = false;
            break;
        }
        weft_timer *t = s->heap[0];
        weft__ns now = weft__now();
        if (t->deadline > now) {
            double left = t->deadline == WEFT__NS_FOREVER
                              ? WEFT_FOREVER
                              : (double)(t->deadline - now) / 1e9;
            if (left > WEFT_TIMEOUT_MAX) left = WEFT_TIMEOUT_MAX;
            (void)weft_condition_wait(&s->cond, left);
            continue;
        }
        heap_remove(s, 0);
        atomic_store_explicit(&t->state, TM_RUNNING, memory_order_relaxed);
        atomic_store_explicit(&t->thread_started, true, memory_order_relaxed);
        /* Hold the timer (and so its weft_thread) across the start: the
         * function may run, finish and the timer be joined and destroyed before
         * weft_thread_start has returned here. */
        atomic_fetch_add_explicit(&t->refs, 1, memory_order_relaxed);
        weft_lock_release(&g_lock);
        if (weft_thread_start(t->thread) != WEFT_OK) {
            /* The OS refused a thread: run the function here rather than lose it. */
            atomic_store_explicit(&t->thread_started, false, memory_order_relaxed);
            fire_body(t);
        }
        timer_unref(t);
        weft_lock_acquire(&g_lock, true, WEFT_FOREVER);
    }
    weft_lock_release(&g_lock);
    return NULL;
}

/* Under g_lock: make sure a scheduler thread serves s. */
static int sched_ensure(struct sched *s)
{
    if (!s->cond_ready) {
        (void)weft_condition_init_lock(&s->cond, &g_lock);
        s->cond_ready = true;
    }
    if (s->running) return WEFT_OK;
    weft_thread_attr a = { s->daemon ? "weft-timer-daemon" : "weft-timer",
                           s->daemon ? WEFT_THREAD_DAEMON : WEFT_THREAD_NON_DAEMON, 0 };
    weft_thread *th;
    int rc = weft_thread_create(&th, sched_body, s, &a);
    if (rc != WEFT_OK) return rc;
    rc = weft_thread_start(th);
    weft_thread_unref(th);    /* the running thread keeps its own reference */
    if (rc != WEFT_OK) return rc;
    s->running = true;
    return WEFT_OK;
}

/* ---- public API ---------------------------------------------------------------- */

int weft_timer_create(weft_timer **out, double interval, weft_timer_fn fn, void *arg,
                      const weft_thread_attr *attr)
{
    if (!out || !fn) return WEFT_EINVAL;
    if (weft__timeout_class(interval) == WEFT__T_TOO_BIG && interval > 0)
        return WEFT_EOVERFLOW;
    volatile int saved = errno;   /* a failing allocator sets errno; weft never changes it */
    weft_timer *t = calloc(1, sizeof *t);
    errno = saved;
    if (!t) return WEFT_ENOMEM;
    int rc = weft_thread_create(&t->thread, fire_body, t, attr);
    if (rc != WEFT_OK) {
        free(t);
        errno = saved;
        return rc;
    }
    atomic_init(&t->refs, 1);
    atomic_init(&t->state, TM_CREATED);
    atomic_init(&t->thread_started, false);
    /* Read without g_lock by the queries and join's first check. */
    WEFT__BENIGN_WORD(&t->refs, sizeof t->refs);
    WEFT__BENIGN_WORD(&t->state, sizeof t->state);
    WEFT__BENIGN_WORD(&t->thread_started, sizeof t->thread_started);
    t->interval = interval;
    t->fn = fn;
    t->arg = arg;
    (void)weft_condition_init_lock(&t->done, &g_lock);
    *out = t;
    return WEFT_OK;
}

int weft_timer_start(weft_timer *t)
{
    if (!t) return WEFT_EINVAL;
    weft_lock_acquire(&g_lock, true, WEFT_FOREVER);
    if (atomic_load_explicit(&t->state, memory_order_relaxed) != TM_CREATED) {
        weft_lock_release(&g_lock);
        return WEFT_ESTATE;                     /* "threads can only be started once" */
    }
    if (t->cancelled) {                         /* Python: runs, finds finished set */
        finish_locked(t);
        weft_lock_release(&g_lock);
        return WEFT_OK;
    }
    struct sched *s = &scheds[weft_thread_daemon(t->thread) ? 1 : 0];
    int rc = heap_reserve(s);
    if (rc == WEFT_OK) rc = sched_ensure(s);
    if (rc != WEFT_OK) {
        weft_lock_release(&g_lock);
        return rc == WEFT_ENOMEM ? WEFT_ENOMEM : WEFT_EAGAIN;
    }
    switch (weft__timeout_class(t->interval)) {
    case WEFT__T_FOREVER:  t->deadline = WEFT__NS_FOREVER; break;
    case WEFT__T_POSITIVE: t->deadline = weft__deadline_after(t->interval); break;
    default:               t->deadline = weft__now(); break;   /* <= 0, -inf, NaN */
    }
    t->seq = g_seq++;
    t->sched = s;
    atomic_fetch_add_explicit(&t->refs, 1, memory_order_relaxed);   /* its own */
    atomic_store_explicit(&t->state, TM_PENDING, memory_order_relaxed);
    s->heap[s->n] = t;
    t->heap_index = s->n++;
    sift_up(s, t->heap_index);
    if (t->heap_index == 0) weft_condition_notify(&s->cond, 1);   /* new earliest */
    weft_lock_release(&g_lock);
    return WEFT_OK;
}

int weft_timer_cancel(weft_timer *t)
{
    if (!t) return WEFT_EINVAL;
    bool drop = false;
    weft_lock_acquire(&g_lock, true, WEFT_FOREVER);
    t->cancelled = true;
    if (atomic_load_explicit(&t->state, memory_order_relaxed) == TM_PENDING) {
        struct sched *s = t->sched;
        bool was_first = t->heap_index == 0;
        heap_remove(s, t->heap_index);
        finish_locked(t);
        /* Let the scheduler re-plan (and end, if its heap is now empty). */
        if (was_first || s->n == 0) weft_condition_notify(&s->cond, 1);
        drop = true;
    }
    weft_lock_release(&g_lock);
    if (drop) timer_unref(t);                   /* the timer's own reference */
    return WEFT_OK;
}

int weft_timer_join(weft_timer *t, double timeout)
{
    if (!t) return WEFT_EINVAL;
    /* Thread.join's order: the state checks come before the timeout's. */
    if (atomic_load_explicit(&t->state, memory_order_acquire) == TM_CREATED)
        return WEFT_ESTATE;                     /* "cannot join thread before it is started" */
    if (weft_thread_ident(t->thread) == weft_get_ident())
        return WEFT_ESTATE;                     /* "cannot join current thread" */
    weft__ns deadline;
    int trc = weft__join_deadline(timeout, &deadline);
    if (trc != WEFT_OK) return trc;
    int rc = WEFT_OK;
    /* The join's wait record (internal/debug.h): WEFT__WK_TIMER, from the first
     * sleep to the return; the Condition.wait and Thread.join records nest in it.
     * A join that finds the timer finished and its thread gone records nothing. */
    bool recorded = false;
    int tok = 0;
    weft_lock_acquire(&g_lock, true, WEFT_FOREVER);
    while (atomic_load_explicit(&t->state, memory_order_relaxed) != TM_FINISHED) {
        /* A function thread that ended without finishing the timer did not
         * survive fork() (in this child it is marked finished): so is the timer.
         * In one process the thread always finishes the timer before it ends. */
        if (atomic_load_explicit(&t->thread_started, memory_order_relaxed)
            && weft_thread_join(t->thread, 0.0) == WEFT_OK)
            break;
        double left = WEFT_FOREVER;
        if (deadline != WEFT__NS_FOREVER) {
            weft__ns now = weft__now();
            if (now >= deadline) { rc = WEFT_ETIMEDOUT; break; }
            left = (double)(deadline - now) / 1e9;
            if (left > WEFT_TIMEOUT_MAX) left = WEFT_TIMEOUT_MAX;
        }
        if (!recorded) {
            tok = weft__rec_begin(WEFT__WK_TIMER, t, deadline);
            recorded = true;
        }
        (void)weft_condition_wait(&t->done, left);
    }
    bool started = atomic_load_explicit(&t->thread_started, memory_order_relaxed);
    weft_lock_release(&g_lock);
    if (rc != WEFT_OK || !started) {
        if (recorded) weft__rec_end(tok);
        return rc;
    }
    /* The function returned; wait for its thread to end, as Thread.join does. */
    double left = deadline == WEFT__NS_FOREVER ? WEFT_FOREVER
                                               : (double)(deadline - weft__now()) / 1e9;
    if (left != WEFT_FOREVER && left < 0) left = 0;
    if (left > WEFT_TIMEOUT_MAX) left = WEFT_TIMEOUT_MAX;
    if (!recorded && weft_thread_is_alive(t->thread)) {
        tok = weft__rec_begin(WEFT__WK_TIMER, t, deadline);
        recorded = true;
    }
    rc = weft_thread_join(t->thread, left);
    if (recorded) weft__rec_end(tok);
    return rc == WEFT_ESTATE ? WEFT_OK : rc;
}

void weft_timer_destroy(weft_timer *t)
{
    if (!t) return;
    weft__name_forget(t);
    timer_unref(t);
}

bool weft_timer_is_alive(const weft_timer *t)
{
    if (!t) return false;
    int st = atomic_load_explicit(&((weft_timer *)t)->state, memory_order_acquire);
    if (st == TM_PENDING) return true;
    if (st == TM_RUNNING)   /* false only in a fork child whose function thread is gone */
        return !atomic_load_explicit(&((weft_timer *)t)->thread_started, memory_order_relaxed)
            || weft_thread_join(t->thread, 0.0) != WEFT_OK;
    return st == TM_FINISHED
        && atomic_load_explicit(&((weft_timer *)t)->thread_started, memory_order_relaxed)
        && weft_thread_is_alive(t->thread);
}

bool weft_timer_finished(const weft_timer *t)
{
    return t && atomic_load_explicit(&((weft_timer *)t)->state, memory_order_acquire) == TM_FINISHED;
}

const char *weft_timer_name(const weft_timer *t) { return t ? weft_thread_name(t->thread) : ""; }

int weft_timer_set_name(weft_timer *t, const char *name)
{
    if (!t) return WEFT_EINVAL;
    return weft_thread_set_name(t->thread, name);
}

bool weft_timer_daemon(const weft_timer *t) { return t && weft_thread_daemon(t->thread); }

int weft_timer_set_daemon(weft_timer *t, bool daemon)
{
    if (!t) return WEFT_EINVAL;
    weft_lock_acquire(&g_lock, true, WEFT_FOREVER);
    int rc = atomic_load_explicit(&t->state, memory_order_relaxed) == TM_CREATED
                 ? weft_thread_set_daemon(t->thread, daemon)
                 : WEFT_ESTATE;                 /* "cannot set daemon status of active thread" */
    weft_lock_release(&g_lock);
    return rc;
}

weft_thread *weft_timer_thread(const weft_timer *t) { return t ? t->thread : NULL; }

double weft_timer_interval(const weft_timer *t) { return t ? t->interval : NAN; }
