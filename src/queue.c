/* SPDX-License-Identifier: MIT */
/* queue.c: Python's queue.Queue, LifoQueue and PriorityQueue (and the core that
 * simplequeue.c wraps for SimpleQueue).
 *
 * Design (docs/design/queue.md has the long form and the measurements)
 * ------
 * A composite: one weft_lock `mutex` guards everything; three weft_conditions
 * over it, as CPython's Queue: `not_empty` (getters wait), `not_full` (putters
 * wait), `all_tasks_done` (joiners wait). Storage, guarded by the mutex:
 *   FIFO      a power-of-two ring of void *: head index + count
 *   LIFO      the same ring used as a stack (push and pop at head + count)
 *   PRIORITY  a binary min-heap of (item, seq); seq is a 64-bit insertion number
 *             that breaks ties, so equal items come out in insertion order
 * The ring and the heap grow by doubling (never shrink); a failed growth is
 * WEFT_ENOMEM with nothing changed.
 *
 * State word `state` (atomic so that spinners can read it without the lock;
 * only written with the mutex held):
 *   QUEUE_OPEN       0    accepting puts
 *   QUEUE_SHUTDOWN   1    shutdown() was called: put fails, get drains
 *   QUEUE_IMMEDIATE  2    (with SHUTDOWN) shutdown(immediate=True) was called:
 *                         get fails at once even while the drain is in progress
 * `count` and `maxsize` are atomics for the same reason (spinners and hints);
 * every decision is re-made with the mutex held.
 *
 * Wake policy (the speed of this file). CPython notifies one not_empty waiter
 * per put and one not_full waiter per get, even when nobody waits. Here:
 *  1. Signal only when someone waits (GLib's gasyncqueue waiting_threads):
 *     `getters`, `putters`, `joiners` count the waiters that have NOT been
 *     notified yet. A waiter increments its counter before weft_condition_wait;
 *     a notifier decrements it and calls notify(1) (notify_all: sets it to 0).
 *     weft_condition_wait returns WEFT_OK exactly when this waiter was notified
 *     (no spurious wakeups, exact notify(n)), so a waiter that returns
 *     WEFT_ETIMEDOUT was not notified and takes itself off the counter. Both
 *     sides run with the mutex held, so the counter always equals the number of
 *     un-notified waiters on that condition.
 *     No lost wakeup: a getter only waits after seeing count == 0 with the mutex
 *     held and increments `getters` before releasing it (inside wait), so the
 *     next put, which needs the mutex, sees getters > 0 and notifies one. A
 *     notified getter re-checks under the mutex; if another thread took the
 *     item first the queue is empty again and it waits again, as in CPython.
 *     The same argument holds for putters (count < maxsize) and joiners
 *     (unfinished == 0, which wakes all).
 *  2. Spin briefly before blocking: a getter (putter) that finds the queue
 *     empty (full) releases the mutex and watches `count` and `state` for up to
 *     SPIN_LIMIT pauses, then takes the mutex, re-checks, and only then waits on
 *     the condition. With a producer and a consumer running on two cores the
 *     partner usually refills (drains) the queue within that window, so neither
 *     side sleeps and no notify is needed. The spin is bounded: with one CPU it
 *     costs about a microsecond per blocking call, then the thread blocks.
 *  3. Spin briefly for the mutex too (lock() below): the critical sections here
 *     are tens of nanoseconds, so retrying a non-blocking acquire for a few
 *     dozen pauses keeps producer and consumer out of the lock's sleep path when
 *     the lock's own spin gives up early (it stops once anyone sleeps on it).
 *     Measured in docs/design/queue.md: a large gain with the first weft_lock
 *     (1p/1c median 2.3 -> 7.4 Mitems/s), neutral with the current one.
 * Timeouts: one deadline per call, computed at entry; re-waits use the time
 * left. The spin is part of the wait (a timed-out call has waited its time).
 *
 * errno: the allocations save and restore it, in a volatile: compilers
 * (clang/LLVM) assume malloc and friends never write errno and would drop the
 * restore after a failed allocation as a dead store.
 */
#include <errno.h>
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "weft/condition.h"
#include "weft/lock.h"
#include "weft/queue.h"
#include "internal/annotate.h"
#include "internal/clock.h"
#include "internal/queue.h"

enum {
    QUEUE_OPEN = 0u,
    QUEUE_SHUTDOWN = 1u,
    QUEUE_IMMEDIATE = 2u
};

/* Initial ring/heap capacity (a power of two). Growth doubles. */
#define INITIAL_CAPACITY 16u

/* Pauses a blocking call spins before it waits on a condition: about a
 * microsecond (x86 `pause` is ~10-65 cycles), short of one futex sleep + wake
 * round trip. Measured with 1p/1c and 2p/2c, capacity 1024 (docs/design/queue.md
 * section 5): 0-128 perform alike on the loaded machine, 256 is ~20 % slower and
 * 1024 halves throughput (spinning steals the CPU the partner needs); some spin
 * keeps a consumer from sleeping when producer and consumer run side by side. */
#ifndef WEFT_QUEUE_SPIN_LIMIT
#  define WEFT_QUEUE_SPIN_LIMIT 64
#endif

struct pq_entry {
    void *item;
    uint64_t seq;
};

struct weft_queue {
    weft_lock mutex;
    weft_condition not_empty;
    weft_condition not_full;
    weft_condition all_tasks_done;

    WEFT_ATOMIC(uint32_t) state;   /* QUEUE_* ; written with the mutex held */
    WEFT_ATOMIC(size_t) count;     /* items stored; written with the mutex held */
    WEFT_ATOMIC(long) maxsize;     /* <= 0: unbounded; written with the mutex held */

    size_t unfinished;             /* Python's unfinished_tasks */
    size_t getters;                /* un-notified waiters on not_empty */
    size_t putters;                /* un-notified waiters on not_full */
    size_t joiners;                /* un-notified waiters on all_tasks_done */

    weft_queue_kind kind;
    bool simple;                   /* SimpleQueue: no task tracking, no maxsize */
    size_t cap;                    /* capacity of ring or heap (power of two) */
    size_t head;                   /* ring: index of the oldest item */
    void **ring;                   /* FIFO, LIFO */
    struct pq_entry *heap;         /* PRIORITY */
    uint64_t seq;                  /* PRIORITY: next insertion number */

    weft_queue_cmp_fn cmp;
    void *cmp_userdata;
    weft_queue_drop_fn drop;
    void *drop_userdata;
};

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#else
    atomic_signal_fence(memory_order_seq_cst);
#endif
}

/* The mutex is weft's Lock: blocking acquire with WEFT_FOREVER cannot fail on a
 * valid lock, and release by the holder cannot fail. Taking it: try it, then spin up to WEFT_QUEUE_LOCK_SPIN pauses retrying
 * with a non-blocking acquire whenever it looks free, and only then block in
 * weft_lock_acquire (see "Wake policy" 3). Public Lock API only. */
#ifndef WEFT_QUEUE_LOCK_SPIN
#  define WEFT_QUEUE_LOCK_SPIN 50
#endif
static inline void lock(weft_queue *q)
{
    if (weft_lock_acquire(&q->mutex, false, WEFT_FOREVER) == WEFT_OK) return;
    for (int i = 0; i < WEFT_QUEUE_LOCK_SPIN; i++) {
        cpu_relax();
        if (!weft_lock_locked(&q->mutex) &&
            weft_lock_acquire(&q->mutex, false, WEFT_FOREVER) == WEFT_OK)
            return;
    }
    (void)weft_lock_acquire(&q->mutex, true, WEFT_FOREVER);
}
static inline void unlock(weft_queue *q) { (void)weft_lock_release(&q->mutex); }

static inline size_t nitems(const weft_queue *q)
{
    return atomic_load_explicit(&q->count, memory_order_relaxed);
}

static inline void set_count(weft_queue *q, size_t n)
{
    atomic_store_explicit(&q->count, n, memory_order_relaxed);
}

static inline uint32_t qstate(const weft_queue *q)
{
    return atomic_load_explicit(&q->state, memory_order_relaxed);
}

static inline bool is_full(const weft_queue *q)
{
    long m = atomic_load_explicit(&q->maxsize, memory_order_relaxed);
    return m > 0 && nitems(q) >= (size_t)m;
}

/* ---- storage (mutex held) ------------------------------------------------------ */

static bool pq_less(const weft_queue *q, const struct pq_entry *a, const struct pq_entry *b)
{
    int c = q->cmp(a->item, b->item, q->cmp_userdata);
    return c < 0 || (c == 0 && a->seq < b->seq);
}

static int grow(weft_queue *q)
{
    size_t n = nitems(q);
    if (q->cap > SIZE_MAX / 2 / sizeof(struct pq_entry)) return WEFT_ENOMEM;
    size_t ncap = q->cap * 2;
    volatile int saved = errno;   /* a failing allocator sets errno; weft never changes it */
    if (q->kind == WEFT_QUEUE_PRIORITY) {
        struct pq_entry *h = realloc(q->heap, ncap * sizeof *h);
        if (!h) {
            errno = saved;
            return WEFT_ENOMEM;
        }
        q->heap = h;
    } else {
        void **r = malloc(ncap * sizeof *r);
        if (!r) {
            errno = saved;
            return WEFT_ENOMEM;
        }
        for (size_t i = 0; i < n; i++) r[i] = q->ring[(q->head + i) & (q->cap - 1)];
        free(q->ring);
        q->ring = r;
        q->head = 0;
    }
    q->cap = ncap;
    errno = saved;
    return WEFT_OK;
}

/* Python's _put. WEFT_ENOMEM leaves everything unchanged. */
static int store(weft_queue *q, void *item)
{
    size_t n = nitems(q);
    if (n == q->cap) {
        int rc = grow(q);
        if (rc != WEFT_OK) return rc;
    }
    if (q->kind == WEFT_QUEUE_PRIORITY) {
        struct pq_entry e = { item, q->seq++ };
        size_t i = n;
        while (i > 0) {
            size_t parent = (i - 1) / 2;
            if (!pq_less(q, &e, &q->heap[parent])) break;
            q->heap[i] = q->heap[parent];
            i = parent;
        }
        q->heap[i] = e;
    } else {
        q->ring[(q->head + n) & (q->cap - 1)] = item;
    }
    set_count(q, n + 1);
    return WEFT_OK;
}

/* Python's _get. count > 0. */
static void *take(weft_queue *q)
{
    size_t n = nitems(q);
    void *item;
    if (q->kind == WEFT_QUEUE_FIFO) {
        item = q->ring[q->head];
        q->head = (q->head + 1) & (q->cap - 1);
    } else if (q->kind == WEFT_QUEUE_LIFO) {
        item = q->ring[(q->head + n - 1) & (q->cap - 1)];
    } else {
        item = q->heap[0].item;
        struct pq_entry last = q->heap[n - 1];
        size_t m = n - 1, i = 0;
        for (;;) {
            size_t c = 2 * i + 1;
            if (c >= m) break;
            if (c + 1 < m && pq_less(q, &q->heap[c + 1], &q->heap[c])) c++;
            if (!pq_less(q, &q->heap[c], &last)) break;
            q->heap[i] = q->heap[c];
            i = c;
        }
        if (m > 0) q->heap[i] = last;
    }
    set_count(q, n - 1);
    return item;
}

/* ---- waking (mutex held) --------------------------------------------------------- */

/* Wake one un-notified waiter of cond, if any (see "Wake policy"). */
static inline void wake_one(weft_condition *cond, size_t *waiters)
{
    if (*waiters > 0) {
        --*waiters;
        (void)weft_condition_notify(cond, 1);
    }
}

static inline void wake_all(weft_condition *cond, size_t *waiters)
{
    if (*waiters > 0) {
        *waiters = 0;
        (void)weft_condition_notify_all(cond);
    }
}

/* ---- timeouts -------------------------------------------------------------------- */

/* weft__timeout_class, except that -inf is an ordinary negative (Python's
 * Queue compares `timeout < 0`). */
static enum weft__tclass qclass(double t)
{
    if (isinf(t) && t < 0) return WEFT__T_NEGATIVE;
    return weft__timeout_class(t);
}

static inline bool bad_timeout(enum weft__tclass tc)
{
    return tc == WEFT__T_NEGATIVE || tc == WEFT__T_NAN;
}

enum side { GETTER, PUTTER };

/* True when the caller on `side` can proceed (mutex held or as a hint). */
static inline bool ready(const weft_queue *q, enum side side)
{
    return side == GETTER ? nitems(q) > 0 : !is_full(q);
}

/* True when the caller on `side` must give up with WEFT_ESHUTDOWN: putters once
 * shut down; getters once shut down and empty, or shut down immediately. */
static inline bool shut(const weft_queue *q, enum side side)
{
    uint32_t s = qstate(q);
    if (side == PUTTER) return s != QUEUE_OPEN;
    return (s & QUEUE_IMMEDIATE) || (s != QUEUE_OPEN && nitems(q) == 0);
}

/* Wait (mutex held) until ready(side), for a call that has to wait: tc is
 * WEFT__T_FOREVER, WEFT__T_POSITIVE, WEFT__T_ZERO or WEFT__T_TOO_BIG. Returns
 * WEFT_OK with the mutex held and the caller ready; or WEFT_ESHUTDOWN,
 * WEFT_EEMPTY/WEFT_EFULL (time is up), WEFT_EOVERFLOW. */
/* model: queue.pml: the while loops of q_put / q_get around their condition waits */
static int wait_ready(weft_queue *q, enum side side, enum weft__tclass tc, double timeout)
{
    if (tc == WEFT__T_TOO_BIG) return WEFT_EOVERFLOW;
    int expired = side == GETTER ? WEFT_EEMPTY : WEFT_EFULL;
    if (tc == WEFT__T_ZERO) return expired;
    weft_condition *cond = side == GETTER ? &q->not_empty : &q->not_full;
    size_t *waiters = side == GETTER ? &q->getters : &q->putters;
    weft__ns deadline = tc == WEFT__T_FOREVER ? WEFT__NS_FOREVER : weft__deadline_after(timeout);
    bool spun = false;
    for (;;) {
        /* Python re-checks shutdown after every wakeup, before the queue. */
        if (shut(q, side)) return WEFT_ESHUTDOWN;
        if (ready(q, side)) return WEFT_OK;
        double left = WEFT_FOREVER;
        if (deadline != WEFT__NS_FOREVER) {
            left = weft__remaining(deadline);
            if (left <= 0) return expired;
        }
        if (!spun) {
            /* Spin without the mutex on the atomic hints; the partner thread
             * needs the mutex to change them. */
            spun = true;
            unlock(q);
            for (int i = 0; i < WEFT_QUEUE_SPIN_LIMIT; i++) {
                if (ready(q, side) || qstate(q) != QUEUE_OPEN) break;
                cpu_relax();
            }
            lock(q);
            continue;
        }
        ++*waiters;
        if (weft_condition_wait(cond, left) != WEFT_OK) {
            /* Not notified (timed out): we are still counted; uncount. */
            --*waiters;
        }
    }
}

/* ---- lifecycle ------------------------------------------------------------------- */

int weft__queue_new(weft_queue **out, const weft_queue_attr *attr, bool simple)
{
    if (!out || !attr) return WEFT_EINVAL;
    if (attr->kind != WEFT_QUEUE_FIFO && attr->kind != WEFT_QUEUE_LIFO &&
        attr->kind != WEFT_QUEUE_PRIORITY)
        return WEFT_EINVAL;
    if (attr->kind == WEFT_QUEUE_PRIORITY && !attr->cmp) return WEFT_EINVAL;
    volatile int saved = errno;   /* a failing allocator sets errno; weft never changes it */
    weft_queue *q = calloc(1, sizeof *q);
    if (!q) {
        errno = saved;
        return WEFT_ENOMEM;
    }
    q->kind = attr->kind;
    q->simple = simple;
    q->cap = INITIAL_CAPACITY;
    if (q->kind == WEFT_QUEUE_PRIORITY) q->heap = malloc(q->cap * sizeof *q->heap);
    else q->ring = malloc(q->cap * sizeof *q->ring);
    if (!q->heap && !q->ring) {
        free(q);
        errno = saved;
        return WEFT_ENOMEM;
    }
    errno = saved;
    weft_lock_init(&q->mutex);
    (void)weft_condition_init_lock(&q->not_empty, &q->mutex);
    (void)weft_condition_init_lock(&q->not_full, &q->mutex);
    (void)weft_condition_init_lock(&q->all_tasks_done, &q->mutex);
    atomic_init(&q->state, QUEUE_OPEN);
    atomic_init(&q->count, 0);
    atomic_init(&q->maxsize, simple ? 0 : attr->maxsize);
    /* Read without the mutex only as hints by spinners and snapshots; every
     * decision is re-made with the mutex held (helgrind/drd: not a race). */
    WEFT__BENIGN_WORD(&q->state, sizeof q->state);
    WEFT__BENIGN_WORD(&q->count, sizeof q->count);
    WEFT__BENIGN_WORD(&q->maxsize, sizeof q->maxsize);
    q->cmp = attr->cmp;
    q->cmp_userdata = attr->cmp_userdata;
    q->drop = attr->drop;
    q->drop_userdata = attr->drop_userdata;
    *out = q;
    return WEFT_OK;
}

int weft_queue_create_attr(weft_queue **out, const weft_queue_attr *attr)
{
    return weft__queue_new(out, attr, false);
}

int weft_queue_create(weft_queue **out, long maxsize)
{
    weft_queue_attr a = { .kind = WEFT_QUEUE_FIFO, .maxsize = maxsize };
    return weft__queue_new(out, &a, false);
}

int weft_lifo_queue_create(weft_queue **out, long maxsize)
{
    weft_queue_attr a = { .kind = WEFT_QUEUE_LIFO, .maxsize = maxsize };
    return weft__queue_new(out, &a, false);
}

int weft_priority_queue_create(weft_queue **out, long maxsize, weft_queue_cmp_fn cmp,
                               void *userdata)
{
    weft_queue_attr a = { .kind = WEFT_QUEUE_PRIORITY, .maxsize = maxsize,
                          .cmp = cmp, .cmp_userdata = userdata };
    return weft__queue_new(out, &a, false);
}

void weft_queue_destroy(weft_queue *q)
{
    if (!q) return;
    /* No other thread may use q now, so no lock: hand the items left over. */
    while (nitems(q) > 0) {
        void *item = take(q);
        if (q->drop) q->drop(item, q->drop_userdata);
    }
    weft_condition_destroy(&q->not_empty);
    weft_condition_destroy(&q->not_full);
    weft_condition_destroy(&q->all_tasks_done);
    weft_lock_destroy(&q->mutex);
    free(q->ring);
    free(q->heap);
    free(q);
}

/* ---- put / get ------------------------------------------------------------------- */

/* model: queue.pml q_put */
int weft_queue_put(weft_queue *q, void *item, bool block, double timeout)
{
    if (!q) return WEFT_EINVAL;
    enum weft__tclass tc = qclass(timeout);
    int rc = WEFT_OK;
    lock(q);
    if (qstate(q) != QUEUE_OPEN) {
        rc = WEFT_ESHUTDOWN;
    } else if (atomic_load_explicit(&q->maxsize, memory_order_relaxed) > 0) {
        if (!block) {
            if (is_full(q)) rc = WEFT_EFULL;
        } else if (bad_timeout(tc)) {
            rc = WEFT_EINVAL;   /* even if there is room, as Python */
        } else if (is_full(q)) {
            rc = wait_ready(q, PUTTER, tc, timeout);
        }
    }
    if (rc == WEFT_OK) rc = store(q, item);
    if (rc == WEFT_OK) {
        if (!q->simple) q->unfinished++;
        wake_one(&q->not_empty, &q->getters);
    }
    unlock(q);
    return rc;
}

int weft_queue_put_nowait(weft_queue *q, void *item)
{
    return weft_queue_put(q, item, false, 0);
}

/* The get core. For a SimpleQueue the caller has already validated the timeout. */
/* model: queue.pml q_get */
int weft__queue_get(weft_queue *q, void **out, bool block, double timeout)
{
    if (!q || !out) return WEFT_EINVAL;
    enum weft__tclass tc = qclass(timeout);
    int rc = WEFT_OK;
    lock(q);
    if (shut(q, GETTER)) {
        rc = WEFT_ESHUTDOWN;
    } else if (!block) {
        if (nitems(q) == 0) rc = WEFT_EEMPTY;
    } else if (bad_timeout(tc)) {
        rc = WEFT_EINVAL;       /* even if an item is available, as Python */
    } else if (nitems(q) == 0) {
        rc = wait_ready(q, GETTER, tc, timeout);
    }
    if (rc == WEFT_OK) {
        *out = take(q);
        wake_one(&q->not_full, &q->putters);
    }
    unlock(q);
    return rc;
}

int weft_queue_get(weft_queue *q, void **out, bool block, double timeout)
{
    return weft__queue_get(q, out, block, timeout);
}

int weft_queue_get_nowait(weft_queue *q, void **out)
{
    return weft__queue_get(q, out, false, 0);
}

/* ---- tasks and shutdown ---------------------------------------------------------- */

/* model: queue.pml q_task_done */
int weft_queue_task_done(weft_queue *q)
{
    if (!q) return WEFT_EINVAL;
    int rc = WEFT_OK;
    lock(q);
    if (q->unfinished == 0) {
        rc = WEFT_EINVAL;       /* "task_done() called too many times" */
    } else if (--q->unfinished == 0) {
        wake_all(&q->all_tasks_done, &q->joiners);
    }
    unlock(q);
    return rc;
}

/* model: queue.pml q_join */
int weft_queue_join(weft_queue *q)
{
    if (!q) return WEFT_EINVAL;
    lock(q);
    while (q->unfinished > 0) {
        /* No lost wakeup: unfinished only reaches 0 with the mutex held, and
         * whoever does it sees joiners > 0 and notifies all. */
        q->joiners++;
        if (weft_condition_wait(&q->all_tasks_done, WEFT_FOREVER) != WEFT_OK) q->joiners--;
    }
    unlock(q);
    return WEFT_OK;
}

/* model: queue.pml q_shutdown (immediate: drop callback, task accounting) */
int weft_queue_shutdown(weft_queue *q, bool immediate)
{
    if (!q) return WEFT_EINVAL;
    lock(q);
    uint32_t s = qstate(q) | QUEUE_SHUTDOWN | (immediate ? QUEUE_IMMEDIATE : 0u);
    atomic_store_explicit(&q->state, s, memory_order_relaxed);
    /* Every blocked getter and putter re-checks and fails with WEFT_ESHUTDOWN
     * (getters of a non-empty queue take an item instead, unless immediate).
     * Woken before the drain, so a drop callback that waits for one of them
     * cannot deadlock. */
    wake_all(&q->not_empty, &q->getters);
    wake_all(&q->not_full, &q->putters);
    if (immediate) {
        /* Python: _get every item, unfinished_tasks -= 1 while > 0. The drop
         * callback runs without the mutex (it may call this queue); getters see
         * QUEUE_IMMEDIATE and fail, and putters fail, so nothing else changes
         * the storage meanwhile except another immediate shutdown draining too:
         * each item is taken exactly once. */
        while (nitems(q) > 0) {
            void *item = take(q);
            if (q->unfinished > 0) q->unfinished--;
            if (q->drop) {
                unlock(q);
                q->drop(item, q->drop_userdata);
                lock(q);
            }
        }
        wake_all(&q->all_tasks_done, &q->joiners);
    }
    unlock(q);
    return WEFT_OK;
}

/* ---- queries --------------------------------------------------------------------- */

size_t weft_queue_qsize(weft_queue *q)
{
    if (!q) return 0;
    lock(q);
    size_t n = nitems(q);
    unlock(q);
    return n;
}

bool weft_queue_empty(weft_queue *q)
{
    return weft_queue_qsize(q) == 0;
}

bool weft_queue_full(weft_queue *q)
{
    if (!q) return false;
    lock(q);
    bool f = is_full(q);
    unlock(q);
    return f;
}

long weft_queue_maxsize(weft_queue *q)
{
    if (!q) return 0;
    return atomic_load_explicit(&q->maxsize, memory_order_relaxed);
}

int weft_queue_set_maxsize(weft_queue *q, long maxsize)
{
    if (!q) return WEFT_EINVAL;
    lock(q);
    atomic_store_explicit(&q->maxsize, maxsize, memory_order_relaxed);
    wake_all(&q->not_full, &q->putters);
    unlock(q);
    return WEFT_OK;
}

bool weft_queue_is_shutdown(weft_queue *q)
{
    if (!q) return false;
    return atomic_load_explicit(&q->state, memory_order_relaxed) != QUEUE_OPEN;
}

size_t weft_queue_unfinished_tasks(weft_queue *q)
{
    if (!q) return 0;
    lock(q);
    size_t n = q->unfinished;
    unlock(q);
    return n;
}
