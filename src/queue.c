/* SPDX-License-Identifier: MIT */
/* queue.c: Python's queue.Queue, LifoQueue and PriorityQueue (and the core that
 * simplequeue.c wraps for SimpleQueue).
 *
 * Design (docs/design/queue.md has the long form and the measurements)
 * ------
 * Two modes, chosen at creation (`mode`, MODE_RING or MODE_LOCKED):
 *
 * MODE_RING: a bounded FIFO Queue (0 < maxsize <= WEFT_QUEUE_RING_MAX). A
 *   lock-free ring of `ring_size` (a power of two >= maxsize) slots, Vyukov's
 *   bounded MPMC queue: each slot has a 64-bit `stamp`; positions `tail` (next
 *   put) and `head` (next get) only grow.
 *     slot free for the put at position p:     stamp == p
 *     slot holds the item put at position p:   stamp == p + 1
 *     freed by the get of p (free for p+size): stamp == p + size
 *   A put claims position t with a CAS tail t -> t+1 (only when the slot's stamp
 *   is t and t - head < maxsize), writes the item, then stores stamp t+1
 *   (release). A get claims h with a CAS head h -> h+1 when stamp == h+1, reads
 *   the item, stores stamp h+size (release). Producers and consumers touch
 *   different cache lines (tail, head) and meet only on the slots.
 *   Marks in the high bits of the position words (never reached by a position):
 *     tail | MARK_SHUT   shut down: every later put fails (the CAS fails on
 *                        a marked word and the mark is seen on reload)
 *     head | MARK_SHUT   shut down immediately: every later get fails
 *     both | MARK_CONV   converted to MODE_LOCKED (set_maxsize beyond the ring):
 *                        every later ring operation diverts to the locked path
 *   A put that won its tail CAS before a mark is "in flight"; whoever needs
 *   its slot (a get, the immediate drain, the conversion) waits until its
 *   stamp store lands: a few instructions unless it was preempted (then we
 *   spin, then yield).
 *   Blocking: three event counts (`get_ec`, `put_ec`, `join_ec`), 32-bit futex
 *   words (internal/wait.h): bit EC_SLEEPING = "someone may be asleep on me",
 *   the other bits an epoch. A getter that found the ring empty first, if its
 *   side's waits have been ending within the spin (a stream), waits up to
 *   WEFT_QUEUE_RING_SLIP_SPIN pauses for the putter to get a few items ahead
 *   (the temporal slip, below: no lock-step on the slot lines), then spins
 *   (WEFT_QUEUE_RING_SPIN pauses, re-trying), yields the CPU up to
 *   WEFT_QUEUE_RING_YIELDS times (re-trying; none while the queue's yield ban
 *   runs: a yield that took longer than WEFT_QUEUE_RING_YIELD_SLOW_NS gave
 *   another process's time slice away, see below), then: w = fetch_or(get_ec, EC_SLEEPING)
 *   (seq_cst); re-try the get (its empty test reads tail seq_cst); if still
 *   empty, weft__wait(get_ec, w). A put, after its tail CAS (seq_cst) and its
 *   stamp store, loads get_ec (seq_cst); only if EC_SLEEPING is set does it
 *   clear the bit, add one epoch (CAS) and wake all sleepers. Putters are
 *   symmetric (put_ec, head), joiners too (join_ec, unfinished).
 *   No lost wakeup (Dekker over seq_cst operations): the waiter's fetch_or on
 *   get_ec precedes its load of tail, the putter's CAS on tail precedes its load
 *   of get_ec; in the single total order of seq_cst operations either the
 *   waiter's load sees the new tail (it does not sleep: the item is there or in
 *   flight, and it spins for the stamp) or the putter's load sees EC_SLEEPING
 *   (it bumps the epoch, and the waiter's weft__wait either sees the changed
 *   word and returns, or is already asleep and the wake reaches it). The
 *   ring's shutdown, conversion and set_maxsize wake every sleeper after their
 *   mark (seq_cst RMW): a waiter's re-try after its fetch_or sees the mark, or
 *   its fetch_or came first and the wake's epoch bump reaches it. Wake-all
 *   instead of wake-one: a cleared EC_SLEEPING bit must not strand a second
 *   sleeper; woken threads that find nothing set the bit again and sleep. With
 *   nobody asleep a put or get makes no wake call at all.
 *   The bench-queue figures (docs/design/queue.md section 5) come from here.
 *
 * MODE_LOCKED: everything else (LIFO, PRIORITY, unbounded or larger FIFO,
 *   SimpleQueue, and a ring queue after set_maxsize took it past its ring). One
 *   weft_lock `mutex` guards the storage; weft_conditions `not_empty` and
 *   `not_full` over it, as CPython's Queue. Storage, guarded by the mutex:
 *     FIFO      a power-of-two ring of void *: head index + count
 *     LIFO      the same ring used as a stack (push and pop at head + count)
 *     PRIORITY  a binary min-heap of (item, seq); seq is a 64-bit insertion
 *               number that breaks ties, so equal items come out in insertion
 *               order
 *   The ring and the heap grow by doubling (never shrink); a failed growth is
 *   WEFT_ENOMEM with nothing changed. Wake policy: signal only when someone
 *   waits (`getters`, `putters` count the waiters NOT yet notified; a waiter
 *   increments its counter before weft_condition_wait, a notifier decrements
 *   it and notifies one; weft_condition_wait returns WEFT_OK exactly when this
 *   waiter was notified, so a timed-out waiter uncounts itself). No lost
 *   wakeup: a getter only waits after seeing count == 0 with the mutex held and
 *   is counted before the wait releases it; the next put needs the mutex and
 *   sees getters > 0. A getter (putter) that must wait first spins
 *   WEFT_QUEUE_SPIN_LIMIT pauses on the atomic hints without the mutex.
 *
 * Both modes:
 *   `state` (atomic; written with the mutex held): QUEUE_OPEN, QUEUE_SHUTDOWN,
 *   QUEUE_SHUTDOWN|QUEUE_IMMEDIATE. In MODE_RING the marks above are what puts
 *   and gets test; state is what is_shutdown reports and what a conversion
 *   carries over.
 *   `unfinished` (Python's unfinished_tasks) is an atomic: a put adds 1 after
 *   claiming its place and before the item can be got (so task_done never sees
 *   an item whose put is not counted); task_done subtracts with a CAS that
 *   refuses to go below 0 and, reaching 0, wakes join_ec; an immediate shutdown
 *   subtracts one per dropped item while > 0. join waits on join_ec in both
 *   modes (the Dekker pair: join's fetch_or on join_ec before its load of
 *   unfinished; task_done's CAS on unfinished before its load of join_ec).
 *   Shutdown, conversion and set_maxsize serialise on the mutex.
 *   Conversion (MODE_RING -> MODE_LOCKED, set_maxsize to <= 0 or above the
 *   ring): under the mutex, mark tail and head MARK_CONV, wait for the puts and
 *   gets in flight to land, copy the items in order into the locked ring, set
 *   mode, unlock, wake every ring sleeper (they re-dispatch to the locked path,
 *   whose first step is taking the mutex). The slot array is kept until destroy
 *   (a ring operation that loaded an unmarked position may still read a stamp).
 *
 * Layering: a composite, but MODE_RING sleeps on internal/wait.h directly and
 * yields with internal/os.h (docs/design/queue.md section 4 says why: a
 * Condition costs a lock round trip and per-waiter bookkeeping per wait, which
 * the lock-free ring has no lock to pay for).
 *
 * Timeouts: one deadline per blocking call, computed when it first has to wait;
 * re-waits use it. The spin is part of the wait.
 *
 * errno: the allocations save and restore it, in a volatile: compilers
 * (clang/LLVM) assume malloc and friends never write errno and would drop the
 * restore after a failed allocation as a dead store.
 */
#include <errno.h>
#include <math.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "weft/condition.h"
#include "weft/lock.h"
#include "weft/queue.h"
#include "internal/annotate.h"
#include "internal/clock.h"
#include "internal/debug.h"
#include "internal/os.h"
#include "internal/queue.h"
#include "internal/wait.h"

enum {
    QUEUE_OPEN = 0u,
    QUEUE_SHUTDOWN = 1u,
    QUEUE_IMMEDIATE = 2u
};

enum {
    MODE_LOCKED = 0u,
    MODE_RING = 1u
};

/* Position words of MODE_RING. */
#define POS_MASK  ((UINT64_C(1) << 62) - 1)
#define MARK_SHUT (UINT64_C(1) << 63)
#define MARK_CONV (UINT64_C(1) << 62)
#define MARKS     (MARK_SHUT | MARK_CONV)

/* Event count words. */
#define EC_SLEEPING 1u
#define EC_EPOCH    2u

/* Initial locked ring/heap capacity (a power of two). Growth doubles. */
#define INITIAL_CAPACITY 16u

/* Largest maxsize served by MODE_RING (its slots are allocated at creation,
 * 16 bytes each: 64 KiB at most); the smallest ring. */
#ifndef WEFT_QUEUE_RING_MAX
#  define WEFT_QUEUE_RING_MAX 4096
#endif
#define RING_MIN 8u

/* Rounds a blocking call spins before it sleeps (each a pause and a re-try).
 * MODE_RING: measured in docs/design/queue.md section 5. MODE_LOCKED: pauses
 * on the atomic hints before waiting on a condition. Bounded: with one CPU it
 * costs a few microseconds per blocking call, then the thread sleeps. */
#ifndef WEFT_QUEUE_SPIN_LIMIT
#  define WEFT_QUEUE_SPIN_LIMIT 64
#endif
#ifndef WEFT_QUEUE_RING_SPIN
#  define WEFT_QUEUE_RING_SPIN 100
#endif
/* Then yield the CPU up to this many times (re-trying after each) before
 * sleeping: with more threads than cores the partner is often runnable on our
 * CPU, and a yield hands it over without a futex sleep/wake round trip (2p/2c:
 * ~22 -> ~31 Mitems/s, context switches 17k -> 9.5k per 5*10^6 items; 1p/1c
 * within noise). docs/design/queue.md section 4. */
#ifndef WEFT_QUEUE_RING_YIELDS
#  define WEFT_QUEUE_RING_YIELDS 64
#endif
/* A yield that kept us off the CPU longer than this handed the CPU to work
 * that is not our partner's short burst (a partner fills or drains a ring in
 * tens of microseconds): another process shares our CPU, and each further
 * yield would give it a whole time slice (EEVDF moves a yielding thread's
 * deadline one slice back; measured: 1p/1c on one CPU beside a busy loop,
 * 8.2 Mitems/s sleeping, 0.7 yielding). Then the queue's waiters sleep
 * without yielding for a ban of WEFT_QUEUE_RING_YIELD_BAN_NS, doubled after
 * each further slow yield (up to WEFT_QUEUE_RING_YIELD_BAN_MAX_NS), and back
 * to the minimum after a wait that won by yielding. docs/design/queue.md
 * section 4. */
#ifndef WEFT_QUEUE_RING_YIELD_SLOW_NS
#  define WEFT_QUEUE_RING_YIELD_SLOW_NS 200000
#endif
#ifndef WEFT_QUEUE_RING_YIELD_BAN_NS
#  define WEFT_QUEUE_RING_YIELD_BAN_NS 2000000
#endif
#ifndef WEFT_QUEUE_RING_YIELD_BAN_MAX_NS
#  define WEFT_QUEUE_RING_YIELD_BAN_MAX_NS 1000000000
#endif
#ifndef WEFT_QUEUE_RING_POLL_MAX
#  define WEFT_QUEUE_RING_POLL_MAX 4
#endif
/* Temporal slip (FastForward's "temporal slipping": Giacomoni, Moseley and
 * Vachharajani, PPoPP 2008). A getter that finds the ring empty while items
 * stream in one by one would take each item as soon as it is published, in
 * lock-step with the putter: both then write the same slot lines for every
 * item and each line crosses between the cores several times per item
 * (measured on a 2-core KVM guest, 1p/1c: 87 % of the gets waited, 4.6-9
 * Mitems/s, against 25-33 when the two sides keep apart). So while a side's
 * waits end within the spin (its `struct ring_slip`'s `streaming`: the
 * partner is running and only just behind), a waiter first waits, up to
 * WEFT_QUEUE_RING_SLIP_SPIN pauses, until the partner is
 * weft__queue_slip_items() ahead (a getter: that many items stored; a putter:
 * that many slots free), reading only head and tail, then takes its turn. A
 * wait that had to yield or sleep turns the side's hint off, so a hand-off
 * that sleeps is not delayed by the slip. A hand-off whose waits do end
 * within the spin (a fast cross-CPU ping-pong) does slip, by at most the
 * slip's pauses (about 2 us); each slip that runs out makes the side skip
 * the slip for its next 1, 2, 4 ... up to WEFT_QUEUE_RING_SLIP_PENALTY_MAX
 * waits, so such a hand-off pays at most once per 1024 waits. After a slip
 * the wait goes on as before. docs/design/queue.md section 4. */
#ifndef WEFT_QUEUE_RING_SLIP
#  define WEFT_QUEUE_RING_SLIP 32
#endif
#ifndef WEFT_QUEUE_RING_SLIP_SPIN
#  define WEFT_QUEUE_RING_SLIP_SPIN 128
#endif
#ifndef WEFT_QUEUE_RING_SLIP_POLL_MAX
#  define WEFT_QUEUE_RING_SLIP_POLL_MAX 32
#endif
#ifndef WEFT_QUEUE_RING_SLIP_PENALTY_MAX
#  define WEFT_QUEUE_RING_SLIP_PENALTY_MAX 1024
#endif

struct pq_entry {
    void *item;
    uint64_t seq;
};

struct ring_slot {
    WEFT_ATOMIC(uint64_t) stamp;
    void *item;
};

/* One side's slip hints (WEFT_QUEUE_RING_SLIP), on that side's line: relaxed,
 * racy between the side's threads, and only ever a choice between two correct
 * ways to wait. */
struct ring_slip {
    WEFT_ATOMIC(bool) streaming;       /* the side's last wait ended within the spin */
    WEFT_ATOMIC(uint32_t) skip;        /* waits left that do not slip */
    WEFT_ATOMIC(uint32_t) penalty;     /* the next skip after a slip that ran out */
};

struct weft_queue {
    /* ---- read-mostly ---- */
    /* (*) helgrind/drd: the ring's hand-overs are annotated on q, not on the
     * slot: drd keeps happens-before state per annotated address, and per-slot
     * annotations made the stress test 6x slower under drd than with q (an
     * over-approximation, like a lock: every put/get is ordered after the
     * previous ones, which hides no false positive). */
    WEFT_ATOMIC(uint32_t) mode;    /* MODE_*; RING -> LOCKED once, with the mutex held */
    WEFT_ATOMIC(uint32_t) state;   /* QUEUE_* ; written with the mutex held */
    WEFT_ATOMIC(long) maxsize;     /* <= 0: unbounded; written with the mutex held */
    WEFT_ATOMIC(uint32_t) get_ec;  /* MODE_RING getters sleep here */
    WEFT_ATOMIC(uint32_t) put_ec;  /* MODE_RING putters sleep here */
    WEFT_ATOMIC(uint32_t) join_ec; /* joiners sleep here (both modes) */
    WEFT_ATOMIC(int64_t) no_yield_until; /* MODE_RING: weft__now() before which
                                          * waiters sleep without yielding (a
                                          * heuristic: either choice is correct) */
    WEFT_ATOMIC(int64_t) yield_ban;      /* the next ban's length: doubles after
                                          * each slow yield, back to the minimum
                                          * after a wait that yields fast and wins */
    weft_queue_kind kind;
    bool simple;                   /* SimpleQueue: no task tracking, no maxsize */
    struct ring_slot *slots;       /* MODE_RING storage (kept until destroy) */
    uint64_t ring_size;            /* slots: a power of two */
    weft_queue_cmp_fn cmp;
    void *cmp_userdata;
    weft_queue_drop_fn drop;
    void *drop_userdata;

    /* ---- producers ---- */
    alignas(64) WEFT_ATOMIC(uint64_t) tail;
    struct ring_slip put_slip;         /* the putters' slip hints */

    /* ---- puts and task_done (its own line: task_done must not move tail's) ---- */
    alignas(64) WEFT_ATOMIC(size_t) unfinished; /* Python's unfinished_tasks */

    /* ---- consumers ---- */
    alignas(64) WEFT_ATOMIC(uint64_t) head;
    struct ring_slip get_slip;         /* the getters' slip hints */

    /* ---- MODE_LOCKED ---- */
    alignas(64) weft_lock mutex;
    weft_condition not_empty;
    weft_condition not_full;
    WEFT_ATOMIC(size_t) count;     /* items stored; written with the mutex held */
    size_t getters;                /* un-notified waiters on not_empty */
    size_t putters;                /* un-notified waiters on not_full */
    size_t cap;                    /* capacity of ring or heap (power of two) */
    size_t rhead;                  /* ring: index of the oldest item */
    void **ring;                   /* FIFO, LIFO */
    struct pq_entry *heap;         /* PRIORITY */
    uint64_t seq;                  /* PRIORITY: next insertion number */
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

/* Wait a little for another thread that is a few instructions from finishing
 * (a put or get in flight): pause, and yield the CPU every 64 rounds in case it
 * was preempted there. */
static inline void backoff(unsigned *round)
{
    if ((++*round & 63u) == 0) weft__os_yield();
    else cpu_relax();
}

/* The mutex is weft's Lock: blocking acquire with WEFT_FOREVER cannot fail on a
 * valid lock, and release by the holder cannot fail. Taking it: try it, then
 * spin up to WEFT_QUEUE_LOCK_SPIN pauses retrying with a non-blocking acquire
 * whenever it looks free, and only then block. Public Lock API only. */
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

static inline uint32_t qmode(const weft_queue *q)
{
    return atomic_load_explicit(&q->mode, memory_order_acquire);
}

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

static inline long qmax(const weft_queue *q)
{
    return atomic_load_explicit(&q->maxsize, memory_order_relaxed);
}

static inline bool is_full(const weft_queue *q)
{
    long m = qmax(q);
    return m > 0 && nitems(q) >= (size_t)m;
}

/* ---- event counts ------------------------------------------------------------- */

/* Announce a sleeper; returns the word to pass to weft__wait. seq_cst: the
 * caller's re-check loads that follow pair with the notifier's RMW + load. */
static inline uint32_t ec_prepare(WEFT_ATOMIC(uint32_t) *ec)
{
    return atomic_fetch_or_explicit(ec, EC_SLEEPING, memory_order_seq_cst) | EC_SLEEPING;
}

/* New epoch, and wake everyone asleep if EC_SLEEPING was set. */
static void ec_wake(WEFT_ATOMIC(uint32_t) *ec)
{
    uint32_t w = atomic_load_explicit(ec, memory_order_relaxed);
    while (!atomic_compare_exchange_weak_explicit(ec, &w, (w & ~EC_SLEEPING) + EC_EPOCH,
                                                  memory_order_seq_cst, memory_order_relaxed)) {
    }
    if (w & EC_SLEEPING) weft__wake(ec, WEFT__WAKE_ALL);
}

/* After a change that may let a sleeper proceed (the change is a seq_cst RMW
 * sequenced before this load): wake only if someone announced itself. */
static inline void ec_notify(WEFT_ATOMIC(uint32_t) *ec)
{
    if (__builtin_expect(atomic_load_explicit(ec, memory_order_seq_cst) & EC_SLEEPING, 0))
        ec_wake(ec);
}

/* One sleep on ec, recorded for the debugger. WEFT_OK or WEFT_ETIMEDOUT. */
static int ec_sleep(WEFT_ATOMIC(uint32_t) *ec, uint32_t w, enum weft__wk kind,
                    const void *obj, weft__ns deadline)
{
    int tok = weft__rec_begin(kind, obj, deadline);
    int rc = weft__wait(ec, w, deadline);
    weft__rec_end(tok);
    return rc;
}

/* ---- unfinished tasks --------------------------------------------------------- */

/* unfinished - 1 if > 0; wakes joiners at 0. True if it was > 0. */
static bool unfinished_dec(weft_queue *q)
{
    WEFT__HAPPENS_BEFORE(&q->unfinished);   /* the task's work -> join's return */
    size_t u = atomic_load_explicit(&q->unfinished, memory_order_relaxed);
    do {
        if (u == 0) return false;
    } while (!atomic_compare_exchange_weak_explicit(&q->unfinished, &u, u - 1,
                                                    memory_order_seq_cst,
                                                    memory_order_relaxed));
    if (u == 1) ec_notify(&q->join_ec);
    return true;
}

/* ---- MODE_RING ----------------------------------------------------------------- */

enum ring_rc { R_OK, R_WAIT, R_BUSY, R_SHUT, R_DIVERT };

static inline struct ring_slot *slot_at(const weft_queue *q, uint64_t pos)
{
    return &q->slots[pos & (q->ring_size - 1)];
}

/* One put attempt: R_OK (item in), R_WAIT (full), R_BUSY (room, but a get is in
 * flight on the slot: retry), R_SHUT, R_DIVERT (converted: use the locked path). */
static int ring_try_put(weft_queue *q, void *item)
{
    uint64_t size = q->ring_size;
    uint64_t t = atomic_load_explicit(&q->tail, memory_order_relaxed);
    for (;;) {
        if (t & MARKS) return (t & MARK_SHUT) ? R_SHUT : R_DIVERT;
        struct ring_slot *s = slot_at(q, t);
        uint64_t st = atomic_load_explicit(&s->stamp, memory_order_acquire);
        long m = qmax(q);
        if (m <= 0) {
            /* Only after a conversion, which marked tail first: reload. */
            t = atomic_load_explicit(&q->tail, memory_order_seq_cst);
            continue;
        }
        uint64_t cap = (uint64_t)m;
        if (st == t) {
            if (cap < size) {
                /* A limit below the ring: count against head. Loaded head,
                 * then tail unchanged: head <= t. */
                uint64_t h = atomic_load_explicit(&q->head, memory_order_seq_cst) & POS_MASK;
                uint64_t t2 = atomic_load_explicit(&q->tail, memory_order_relaxed);
                if (t2 != t) {
                    t = t2;
                    continue;
                }
                if (t - h >= cap) return R_WAIT;
            }
            /* seq_cst: the Dekker half of "no lost wakeup" for getters. */
            if (atomic_compare_exchange_weak_explicit(&q->tail, &t, t + 1, memory_order_seq_cst,
                                                      memory_order_relaxed)) {
                /* Counted before the item can be got (task_done's rule). */
                if (!q->simple)
                    atomic_fetch_add_explicit(&q->unfinished, 1, memory_order_relaxed);
                WEFT__HAPPENS_AFTER(q);      /* the previous get of this slot (*) */
                s->item = item;
                WEFT__HAPPENS_BEFORE(q);     /* the item -> its get */
                atomic_store_explicit(&s->stamp, t + 1, memory_order_release);
                ec_notify(&q->get_ec);
                return R_OK;
            }
            continue;
        }
        if ((int64_t)(st - t) < 0) {
            /* The slot still holds (or is being emptied of) the item one lap
             * back: full, unless its get is in flight. */
            uint64_t h = atomic_load_explicit(&q->head, memory_order_seq_cst) & POS_MASK;
            uint64_t t2 = atomic_load_explicit(&q->tail, memory_order_relaxed);
            if (t2 != t) {
                t = t2;
                continue;
            }
            if (t - h >= (cap < size ? cap : size)) return R_WAIT;
            return R_BUSY;
        }
        /* Another put took position t. */
        t = atomic_load_explicit(&q->tail, memory_order_relaxed);
    }
}

/* One get attempt: R_OK (*out set), R_WAIT (empty), R_BUSY (a put is in flight:
 * retry), R_SHUT (shut down immediately, or shut down and empty), R_DIVERT. */
static int ring_try_get(weft_queue *q, void **out)
{
    uint64_t h = atomic_load_explicit(&q->head, memory_order_relaxed);
    for (;;) {
        if (h & MARKS) return (h & MARK_SHUT) ? R_SHUT : R_DIVERT;
        struct ring_slot *s = slot_at(q, h);
        uint64_t st = atomic_load_explicit(&s->stamp, memory_order_acquire);
        if (st == h + 1) {
            /* seq_cst: the Dekker half of "no lost wakeup" for putters. */
            if (atomic_compare_exchange_weak_explicit(&q->head, &h, h + 1, memory_order_seq_cst,
                                                      memory_order_relaxed)) {
                WEFT__HAPPENS_AFTER(q);      /* the put of this item */
                *out = s->item;
                WEFT__HAPPENS_BEFORE(q);     /* -> the next put into this slot */
                atomic_store_explicit(&s->stamp, h + q->ring_size, memory_order_release);
                ec_notify(&q->put_ec);
                return R_OK;
            }
            continue;
        }
        if ((int64_t)(st - (h + 1)) < 0) {
            /* Nothing published at h: empty, unless a put of h is in flight. */
            uint64_t t = atomic_load_explicit(&q->tail, memory_order_seq_cst);
            uint64_t h2 = atomic_load_explicit(&q->head, memory_order_relaxed);
            if (h2 != h) {
                h = h2;
                continue;
            }
            if ((t & POS_MASK) != h) return R_BUSY;
            if (t & MARK_SHUT) return R_SHUT;     /* shut down and empty */
            if (t & MARK_CONV) return R_DIVERT;
            return R_WAIT;
        }
        /* Another get took position h. */
        h = atomic_load_explicit(&q->head, memory_order_relaxed);
    }
}

/* Python's "shut down and empty, or shut down immediately", for a get's checks
 * that come before it looks at the queue. */
static bool ring_get_shut(const weft_queue *q)
{
    uint64_t h = atomic_load_explicit(&q->head, memory_order_seq_cst);
    if (h & MARK_SHUT) return true;
    uint64_t t = atomic_load_explicit(&q->tail, memory_order_seq_cst);
    return (t & MARK_SHUT) && (t & POS_MASK) <= (h & POS_MASK);
}

static size_t ring_qsize(const weft_queue *q)
{
    uint64_t h = atomic_load_explicit(&q->head, memory_order_seq_cst) & POS_MASK;
    uint64_t t = atomic_load_explicit(&q->tail, memory_order_seq_cst) & POS_MASK;
    return t > h ? (size_t)(t - h) : 0;
}

/* The ring's effective capacity: the limit, or the ring when the limit is
 * larger (0 during a conversion to MODE_LOCKED). */
static uint64_t ring_limit(const weft_queue *q)
{
    long m = qmax(q);
    if (m <= 0) return 0;
    return (uint64_t)m < q->ring_size ? (uint64_t)m : q->ring_size;
}

uint64_t weft__queue_slip_items(uint64_t limit)
{
    uint64_t n = limit / 4;
    if (n > WEFT_QUEUE_RING_SLIP) n = WEFT_QUEUE_RING_SLIP;
    return n >= 2 ? n : 0;
}

uint32_t weft__queue_slip_penalty(uint32_t last)
{
    if (last == 0) return 1;
    return last >= WEFT_QUEUE_RING_SLIP_PENALTY_MAX / 2 ? WEFT_QUEUE_RING_SLIP_PENALTY_MAX
                                                        : 2 * last;
}

bool weft__queue_slipped(bool put, uint64_t head, uint64_t tail, uint64_t limit, uint64_t n)
{
    if ((head | tail) & MARKS) return true;          /* shut down or converting */
    int64_t stored = (int64_t)(tail - head);          /* may be < 0: loads are racy */
    if (!put) return stored >= (int64_t)n;
    return stored < 0 || (int64_t)limit - stored >= (int64_t)n;
}

/* Is the partner n items ahead (the slip's test)? Reads only head and tail,
 * relaxed (a hint: the try that follows decides). A getter loads head first:
 * tail, which only grows, is then >= the head it saw. */
static bool ring_slipped(const weft_queue *q, bool put, uint64_t n)
{
    uint64_t h, t;
    if (put) {
        t = atomic_load_explicit(&q->tail, memory_order_relaxed);
        h = atomic_load_explicit(&q->head, memory_order_relaxed);
    } else {
        h = atomic_load_explicit(&q->head, memory_order_relaxed);
        t = atomic_load_explicit(&q->tail, memory_order_relaxed);
    }
    return weft__queue_slipped(put, h, t, ring_limit(q), n);
}

/* Block until a ring put (side PUT) or get (GET) finishes. First spins, then
 * sleeps on the side's event count. Returns R_OK, R_SHUT, R_DIVERT or R_WAIT
 * (deadline passed). */
static int ring_wait(weft_queue *q, bool put, void *item, void **out, weft__ns deadline)
{
    WEFT_ATOMIC(uint32_t) *ec = put ? &q->put_ec : &q->get_ec;
    struct ring_slip *sl = put ? &q->put_slip : &q->get_slip;
    enum weft__wk kind = put ? WEFT__WK_QUEUE_PUT : WEFT__WK_QUEUE_GET;
    unsigned spent = 0, delay = 1, busy = 0, yields = 0;
    bool slept = false;
    unsigned slip_left = 0, slip_delay = 1;
    uint64_t slip_n = 0;
    if (atomic_load_explicit(&sl->streaming, memory_order_relaxed)) {
        uint32_t skip = atomic_load_explicit(&sl->skip, memory_order_relaxed);
        if (skip) {
            atomic_store_explicit(&sl->skip, skip - 1, memory_order_relaxed);
        } else {
            slip_n = weft__queue_slip_items(ring_limit(q));
            if (slip_n) slip_left = WEFT_QUEUE_RING_SLIP_SPIN;
        }
    }
    for (;;) {
        if (slip_left) {
            if (!ring_slipped(q, put, slip_n)) {
                unsigned d = slip_delay < slip_left ? slip_delay : slip_left;
                for (unsigned i = 0; i < d; i++) cpu_relax();
                slip_left -= d;
                if (slip_delay < WEFT_QUEUE_RING_SLIP_POLL_MAX) slip_delay *= 2;
                if (slip_left == 0) {
                    /* The partner did not get ahead: not a stream (a
                     * hand-off, or a partner slower than us). Skip the next
                     * penalty waits, twice as many as after the last miss. */
                    uint32_t p = weft__queue_slip_penalty(
                        atomic_load_explicit(&sl->penalty, memory_order_relaxed));
                    atomic_store_explicit(&sl->penalty, p, memory_order_relaxed);
                    atomic_store_explicit(&sl->skip, p, memory_order_relaxed);
                }
                continue;
            }
            slip_left = 0;
            if (atomic_load_explicit(&sl->penalty, memory_order_relaxed))
                atomic_store_explicit(&sl->penalty, 0, memory_order_relaxed);
        }
        int r = put ? ring_try_put(q, item) : ring_try_get(q, out);
        if (r == R_BUSY) {
            backoff(&busy);
            continue;
        }
        if (r != R_WAIT) {
            if (yields > 0 && yields < WEFT_QUEUE_RING_YIELDS && r == R_OK &&
                atomic_load_explicit(&q->yield_ban, memory_order_relaxed) !=
                    WEFT_QUEUE_RING_YIELD_BAN_NS)
                atomic_store_explicit(&q->yield_ban, WEFT_QUEUE_RING_YIELD_BAN_NS,
                                      memory_order_relaxed);
            /* Streaming: this wait ended within the spin (the partner is
             * running, just behind). Stored only on a change: the line is
             * the side's own (head or tail), but a store still costs. */
            bool quick = yields == 0 && !slept;
            if (r == R_OK && atomic_load_explicit(&sl->streaming, memory_order_relaxed) != quick)
                atomic_store_explicit(&sl->streaming, quick, memory_order_relaxed);
            return r;
        }
        if (spent < WEFT_QUEUE_RING_SPIN) {
            /* Poll with growing pauses: each poll pulls the partner's cache
             * line over, so polling less often lets it fill (drain) whole
             * lines, and we then take several items per line transfer. */
            for (unsigned i = 0; i < delay; i++) cpu_relax();
            spent += delay;
            if (delay < WEFT_QUEUE_RING_POLL_MAX) delay *= 2;
            continue;
        }
        if (yields < WEFT_QUEUE_RING_YIELDS) {
            weft__ns t0 = weft__now();
            if (yields == 0 &&
                t0 < atomic_load_explicit(&q->no_yield_until, memory_order_relaxed)) {
                yields = WEFT_QUEUE_RING_YIELDS;   /* banned: straight to sleep */
                continue;
            }
            yields++;
            weft__os_yield();
            weft__ns t1 = weft__now();
            if (t1 - t0 > WEFT_QUEUE_RING_YIELD_SLOW_NS) {
                /* Someone else's time slice: stop yielding, for longer each
                 * time in a row (relaxed, racy updates: only a hint for the
                 * choice between yielding and sleeping). */
                int64_t ban = atomic_load_explicit(&q->yield_ban, memory_order_relaxed);
                atomic_store_explicit(&q->no_yield_until, t1 + ban, memory_order_relaxed);
                if (ban < WEFT_QUEUE_RING_YIELD_BAN_MAX_NS)
                    atomic_store_explicit(&q->yield_ban, 2 * ban, memory_order_relaxed);
                yields = WEFT_QUEUE_RING_YIELDS;
            }
            continue;
        }
        if (deadline != WEFT__NS_FOREVER && weft__now() >= deadline) return R_WAIT;
        uint32_t w = ec_prepare(ec);
        r = put ? ring_try_put(q, item) : ring_try_get(q, out);
        if (r == R_BUSY) continue;
        if (r != R_WAIT) return r;
        (void)ec_sleep(ec, w, kind, q, deadline);
        slept = true;
    }
}

/* Take every item left (immediate shutdown, with the head marked MARK_SHUT):
 * each is claimed by a CAS on head, so concurrent drains take each once. Hands
 * each to the drop callback. Returns false if the queue was converted meanwhile
 * (the rest is in the locked storage). */
static bool ring_drain(weft_queue *q, bool count_tasks)
{
    uint64_t h = atomic_load_explicit(&q->head, memory_order_acquire);
    unsigned busy = 0;
    for (;;) {
        if (h & MARK_CONV) return false;
        uint64_t pos = h & POS_MASK;
        uint64_t t = atomic_load_explicit(&q->tail, memory_order_seq_cst);
        if ((t & POS_MASK) <= pos) return true;
        struct ring_slot *s = slot_at(q, pos);
        if (atomic_load_explicit(&s->stamp, memory_order_acquire) != pos + 1) {
            /* A put of pos in flight (or our h is stale). */
            backoff(&busy);
            h = atomic_load_explicit(&q->head, memory_order_acquire);
            continue;
        }
        if (!atomic_compare_exchange_weak_explicit(&q->head, &h, (pos + 1) | (h & MARKS),
                                                   memory_order_seq_cst, memory_order_acquire))
            continue;
        WEFT__HAPPENS_AFTER(q);
        void *item = s->item;
        WEFT__HAPPENS_BEFORE(q);
        atomic_store_explicit(&s->stamp, pos + q->ring_size, memory_order_release);
        if (count_tasks) (void)unfinished_dec(q);
        if (q->drop) q->drop(item, q->drop_userdata);
        h = atomic_load_explicit(&q->head, memory_order_acquire);
    }
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
        for (size_t i = 0; i < n; i++) r[i] = q->ring[(q->rhead + i) & (q->cap - 1)];
        free(q->ring);
        q->ring = r;
        q->rhead = 0;
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
        q->ring[(q->rhead + n) & (q->cap - 1)] = item;
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
        item = q->ring[q->rhead];
        q->rhead = (q->rhead + 1) & (q->cap - 1);
    } else if (q->kind == WEFT_QUEUE_LIFO) {
        item = q->ring[(q->rhead + n - 1) & (q->cap - 1)];
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

/* Wake one un-notified waiter of cond, if any (MODE_LOCKED wake policy). */
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
static inline enum weft__tclass qclass(double t)
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

/* MODE_LOCKED: wait (mutex held) until ready(side), for a call that has to
 * wait: tc is WEFT__T_FOREVER, WEFT__T_POSITIVE, WEFT__T_ZERO or
 * WEFT__T_TOO_BIG. Returns WEFT_OK with the mutex held and the caller ready; or
 * WEFT_ESHUTDOWN, WEFT_EEMPTY/WEFT_EFULL (time is up), WEFT_EOVERFLOW. */
/* model: queue.pml: the while loops of q_put / q_get around their condition waits */
static int wait_ready(weft_queue *q, enum side side, enum weft__tclass tc, double timeout)
{
    if (tc == WEFT__T_TOO_BIG) return WEFT_EOVERFLOW;
    int expired = side == GETTER ? WEFT_EEMPTY : WEFT_EFULL;
    if (tc == WEFT__T_ZERO) return expired;
    weft_condition *cond = side == GETTER ? &q->not_empty : &q->not_full;
    size_t *waiters = side == GETTER ? &q->getters : &q->putters;
    enum weft__wk kind = side == PUTTER ? WEFT__WK_QUEUE_PUT
                         : q->simple    ? WEFT__WK_SIMPLEQUEUE_GET
                                        : WEFT__WK_QUEUE_GET;
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
        int tok = weft__rec_begin(kind, q, deadline);
        int wrc = weft_condition_wait(cond, left);
        weft__rec_end(tok);
        if (wrc != WEFT_OK) {
            /* Not notified (timed out): we are still counted; uncount. */
            --*waiters;
        }
    }
}

/* MODE_LOCKED immediate-shutdown drain (mutex held on entry and exit): Python's
 * _get of every item, unfinished_tasks -= 1 while > 0. The drop callback runs
 * without the mutex (it may call this queue); getters see QUEUE_IMMEDIATE and
 * fail, and putters fail, so nothing else changes the storage meanwhile except
 * another immediate shutdown draining too: each item is taken exactly once. */
static void locked_drain(weft_queue *q)
{
    while (nitems(q) > 0) {
        void *item = take(q);
        (void)unfinished_dec(q);
        if (q->drop) {
            unlock(q);
            q->drop(item, q->drop_userdata);
            lock(q);
        }
    }
}

/* ---- lifecycle ------------------------------------------------------------------- */

static uint64_t ring_size_for(long maxsize)
{
    uint64_t n = RING_MIN;
    while (n < (uint64_t)maxsize) n *= 2;
    return n;
}

int weft__queue_new(weft_queue **out, const weft_queue_attr *attr, bool simple)
{
    if (!out || !attr) return WEFT_EINVAL;
    if (attr->kind != WEFT_QUEUE_FIFO && attr->kind != WEFT_QUEUE_LIFO &&
        attr->kind != WEFT_QUEUE_PRIORITY)
        return WEFT_EINVAL;
    if (attr->kind == WEFT_QUEUE_PRIORITY && !attr->cmp) return WEFT_EINVAL;
    bool use_ring = !simple && attr->kind == WEFT_QUEUE_FIFO && attr->maxsize > 0 &&
                    attr->maxsize <= WEFT_QUEUE_RING_MAX;
    volatile int saved = errno;   /* a failing allocator sets errno; weft never changes it */
    size_t qbytes = (sizeof(weft_queue) + 63u) & ~(size_t)63u;
    weft_queue *q = aligned_alloc(64, qbytes);
    if (!q) {
        errno = saved;
        return WEFT_ENOMEM;
    }
    memset(q, 0, qbytes);
    q->kind = attr->kind;
    q->simple = simple;
    if (use_ring) {
        q->ring_size = ring_size_for(attr->maxsize);
        q->slots = malloc(q->ring_size * sizeof *q->slots);
        if (!q->slots) {
            free(q);
            errno = saved;
            return WEFT_ENOMEM;
        }
        for (uint64_t i = 0; i < q->ring_size; i++) {
            atomic_init(&q->slots[i].stamp, i);
            q->slots[i].item = NULL;
        }
        /* Stamps are only accessed atomically; items are handed over with
         * happens-before annotations on their slot. */
        WEFT__BENIGN_WORD(q->slots, q->ring_size * sizeof *q->slots);
    } else {
        q->cap = INITIAL_CAPACITY;
        if (q->kind == WEFT_QUEUE_PRIORITY) q->heap = malloc(q->cap * sizeof *q->heap);
        else q->ring = malloc(q->cap * sizeof *q->ring);
        if (!q->heap && !q->ring) {
            free(q);
            errno = saved;
            return WEFT_ENOMEM;
        }
    }
    errno = saved;
    weft_lock_init(&q->mutex);
    (void)weft_condition_init_lock(&q->not_empty, &q->mutex);
    (void)weft_condition_init_lock(&q->not_full, &q->mutex);
    atomic_init(&q->mode, use_ring ? MODE_RING : MODE_LOCKED);
    atomic_init(&q->state, QUEUE_OPEN);
    atomic_init(&q->count, 0);
    atomic_init(&q->maxsize, simple ? 0 : attr->maxsize);
    atomic_init(&q->tail, 0);
    atomic_init(&q->head, 0);
    atomic_init(&q->unfinished, 0);
    atomic_init(&q->get_ec, 0);
    atomic_init(&q->put_ec, 0);
    atomic_init(&q->join_ec, 0);
    atomic_init(&q->no_yield_until, 0);
    atomic_init(&q->yield_ban, WEFT_QUEUE_RING_YIELD_BAN_NS);
    struct ring_slip *sides[2] = { &q->put_slip, &q->get_slip };
    for (int i = 0; i < 2; i++) {
        atomic_init(&sides[i]->streaming, false);
        atomic_init(&sides[i]->skip, 0);
        atomic_init(&sides[i]->penalty, 0);
    }
    /* Accessed only atomically (or read without the mutex only as hints, every
     * decision re-made with it held): helgrind/drd, not a race. */
    WEFT__BENIGN_WORD(&q->mode, sizeof q->mode);
    WEFT__BENIGN_WORD(&q->state, sizeof q->state);
    WEFT__BENIGN_WORD(&q->count, sizeof q->count);
    WEFT__BENIGN_WORD(&q->maxsize, sizeof q->maxsize);
    WEFT__BENIGN_WORD(&q->tail, sizeof q->tail);
    WEFT__BENIGN_WORD(&q->head, sizeof q->head);
    WEFT__BENIGN_WORD(&q->unfinished, sizeof q->unfinished);
    WEFT__BENIGN_WORD(&q->get_ec, sizeof q->get_ec);
    WEFT__BENIGN_WORD(&q->put_ec, sizeof q->put_ec);
    WEFT__BENIGN_WORD(&q->join_ec, sizeof q->join_ec);
    WEFT__BENIGN_WORD(&q->no_yield_until, sizeof q->no_yield_until);
    WEFT__BENIGN_WORD(&q->yield_ban, sizeof q->yield_ban);
    WEFT__BENIGN_WORD(&q->put_slip, sizeof q->put_slip);
    WEFT__BENIGN_WORD(&q->get_slip, sizeof q->get_slip);
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
    weft__name_forget(q);
    /* No other thread may use q now, so no lock: hand the items left over. */
    if (qmode(q) == MODE_RING) {
        uint64_t h = atomic_load_explicit(&q->head, memory_order_relaxed) & POS_MASK;
        uint64_t t = atomic_load_explicit(&q->tail, memory_order_relaxed) & POS_MASK;
        for (; h < t; h++) {
            void *item = slot_at(q, h)->item;
            if (q->drop) q->drop(item, q->drop_userdata);
        }
    } else {
        while (nitems(q) > 0) {
            void *item = take(q);
            if (q->drop) q->drop(item, q->drop_userdata);
        }
    }
    weft_condition_destroy(&q->not_empty);
    weft_condition_destroy(&q->not_full);
    weft_lock_destroy(&q->mutex);
    free(q->slots);
    free(q->ring);
    free(q->heap);
    free(q);
}

/* ---- put / get ------------------------------------------------------------------- */

/* model: queue.pml q_put */
static int locked_put(weft_queue *q, void *item, bool block, enum weft__tclass tc,
                      double timeout)
{
    int rc = WEFT_OK;
    lock(q);
    if (qstate(q) != QUEUE_OPEN) {
        rc = WEFT_ESHUTDOWN;
    } else if (qmax(q) > 0) {
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
        if (!q->simple) atomic_fetch_add_explicit(&q->unfinished, 1, memory_order_relaxed);
        wake_one(&q->not_empty, &q->getters);
    }
    unlock(q);
    return rc;
}

/* model: queue.pml q_put (the ring's wait: models/queue-ring.pml) */
int weft_queue_put(weft_queue *q, void *item, bool block, double timeout)
{
    if (!q) return WEFT_EINVAL;
    enum weft__tclass tc = qclass(timeout);
    if (qmode(q) != MODE_RING) return locked_put(q, item, block, tc, timeout);
    if (block && bad_timeout(tc)) {
        /* Python: shut down first, then the timeout, even if there is room. */
        uint64_t t = atomic_load_explicit(&q->tail, memory_order_seq_cst);
        if (t & MARK_CONV) return locked_put(q, item, block, tc, timeout);
        return (t & MARK_SHUT) ? WEFT_ESHUTDOWN : WEFT_EINVAL;
    }
    int r = ring_try_put(q, item);
    if (r == R_BUSY || r == R_WAIT) {
        if (!block) {
            /* A get in flight frees its slot within instructions: wait for it;
             * a full queue is WEFT_EFULL. */
            unsigned busy = 0;
            while (r == R_BUSY) {
                backoff(&busy);
                r = ring_try_put(q, item);
            }
            if (r == R_WAIT) return WEFT_EFULL;
        } else if (tc == WEFT__T_TOO_BIG) {
            return WEFT_EOVERFLOW;
        } else if (tc == WEFT__T_ZERO) {
            unsigned busy = 0;
            while (r == R_BUSY) {
                backoff(&busy);
                r = ring_try_put(q, item);
            }
            if (r == R_WAIT) return WEFT_EFULL;
        } else {
            weft__ns deadline = tc == WEFT__T_FOREVER ? WEFT__NS_FOREVER
                                                      : weft__deadline_after(timeout);
            r = ring_wait(q, true, item, NULL, deadline);
            if (r == R_WAIT) return WEFT_EFULL;
        }
    }
    if (r == R_OK) return WEFT_OK;
    if (r == R_SHUT) return WEFT_ESHUTDOWN;
    return locked_put(q, item, block, tc, timeout);   /* R_DIVERT */
}

int weft_queue_put_nowait(weft_queue *q, void *item)
{
    return weft_queue_put(q, item, false, 0);
}

/* model: queue.pml q_get */
static int locked_get(weft_queue *q, void **out, bool block, enum weft__tclass tc,
                      double timeout)
{
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

/* The get core. For a SimpleQueue the caller has already validated the timeout. */
/* model: queue.pml q_get (the ring's wait: models/queue-ring.pml) */
int weft__queue_get(weft_queue *q, void **out, bool block, double timeout)
{
    if (!q || !out) return WEFT_EINVAL;
    enum weft__tclass tc = qclass(timeout);
    if (qmode(q) != MODE_RING) return locked_get(q, out, block, tc, timeout);
    if (block && bad_timeout(tc)) {
        /* Python: "shut down and empty" first, then the timeout, even if an
         * item is available. */
        if (atomic_load_explicit(&q->head, memory_order_seq_cst) & MARK_CONV)
            return locked_get(q, out, block, tc, timeout);
        return ring_get_shut(q) ? WEFT_ESHUTDOWN : WEFT_EINVAL;
    }
    int r = ring_try_get(q, out);
    if (r == R_BUSY || r == R_WAIT) {
        if (!block) {
            /* A put in flight has not finished: the queue is still empty. */
            return WEFT_EEMPTY;
        } else if (tc == WEFT__T_TOO_BIG) {
            return WEFT_EOVERFLOW;
        } else if (tc == WEFT__T_ZERO) {
            return WEFT_EEMPTY;
        } else {
            weft__ns deadline = tc == WEFT__T_FOREVER ? WEFT__NS_FOREVER
                                                      : weft__deadline_after(timeout);
            r = ring_wait(q, false, NULL, out, deadline);
            if (r == R_WAIT) return WEFT_EEMPTY;
        }
    }
    if (r == R_OK) return WEFT_OK;
    if (r == R_SHUT) return WEFT_ESHUTDOWN;
    return locked_get(q, out, block, tc, timeout);   /* R_DIVERT */
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
    /* "task_done() called too many times": nothing changes. */
    return unfinished_dec(q) ? WEFT_OK : WEFT_EINVAL;
}

/* model: queue.pml q_join */
int weft_queue_join(weft_queue *q)
{
    if (!q) return WEFT_EINVAL;
    for (;;) {
        if (atomic_load_explicit(&q->unfinished, memory_order_seq_cst) == 0) break;
        /* No lost wakeup: announce, then re-check; whoever takes unfinished to
         * 0 (a seq_cst CAS) loads join_ec afterwards and sees EC_SLEEPING, or
         * our re-check sees 0. */
        uint32_t w = ec_prepare(&q->join_ec);
        if (atomic_load_explicit(&q->unfinished, memory_order_seq_cst) == 0) break;
        (void)ec_sleep(&q->join_ec, w, WEFT__WK_QUEUE_JOIN, q, WEFT__NS_FOREVER);
    }
    WEFT__HAPPENS_AFTER(&q->unfinished);
    return WEFT_OK;
}

/* model: queue.pml q_shutdown (immediate: drop callback, task accounting) */
int weft_queue_shutdown(weft_queue *q, bool immediate)
{
    if (!q) return WEFT_EINVAL;
    lock(q);
    uint32_t s = qstate(q) | QUEUE_SHUTDOWN | (immediate ? QUEUE_IMMEDIATE : 0u);
    atomic_store_explicit(&q->state, s, memory_order_relaxed);
    if (qmode(q) == MODE_RING) {
        /* Linearisation: after the tail mark no put can claim a place; after
         * the head mark no get can claim an item. */
        atomic_fetch_or_explicit(&q->tail, MARK_SHUT, memory_order_seq_cst);
        if (immediate) atomic_fetch_or_explicit(&q->head, MARK_SHUT, memory_order_seq_cst);
        unlock(q);
        /* Every sleeping getter and putter re-checks (before the drain, so a
         * drop callback that waits for one of them cannot deadlock). */
        ec_wake(&q->get_ec);
        ec_wake(&q->put_ec);
        if (immediate && !ring_drain(q, true)) {
            /* Converted meanwhile: the rest is in the locked storage. */
            lock(q);
            locked_drain(q);
            unlock(q);
        }
    } else {
        /* Every blocked getter and putter re-checks and fails with
         * WEFT_ESHUTDOWN (getters of a non-empty queue take an item instead,
         * unless immediate). Woken before the drain, so a drop callback that
         * waits for one of them cannot deadlock. */
        wake_all(&q->not_empty, &q->getters);
        wake_all(&q->not_full, &q->putters);
        if (immediate) locked_drain(q);
        unlock(q);
    }
    if (immediate) ec_wake(&q->join_ec);
    return WEFT_OK;
}

/* ---- queries --------------------------------------------------------------------- */

size_t weft_queue_qsize(weft_queue *q)
{
    if (!q) return 0;
    if (qmode(q) == MODE_RING &&
        !(atomic_load_explicit(&q->head, memory_order_seq_cst) & MARK_CONV))
        return ring_qsize(q);
    lock(q);
    size_t n = qmode(q) == MODE_RING ? ring_qsize(q) : nitems(q);
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
    long m = qmax(q);
    return m > 0 && weft_queue_qsize(q) >= (size_t)m;
}

long weft_queue_maxsize(weft_queue *q)
{
    if (!q) return 0;
    return qmax(q);
}

/* MODE_RING -> MODE_LOCKED (mutex held; see the design block). ring is the new
 * locked storage, of ncap >= ring_size slots. */
static void convert(weft_queue *q, void **ring, size_t ncap)
{
    uint64_t t = atomic_fetch_or_explicit(&q->tail, MARK_CONV, memory_order_seq_cst) & POS_MASK;
    uint64_t h = atomic_fetch_or_explicit(&q->head, MARK_CONV, memory_order_seq_cst) & POS_MASK;
    uint64_t size = q->ring_size;
    unsigned busy = 0;
    /* Gets in flight (positions before h) finish reading their slot. */
    for (uint64_t p = h >= size ? h - size : 0; p < h; p++) {
        while (atomic_load_explicit(&slot_at(q, p)->stamp, memory_order_acquire) == p + 1)
            backoff(&busy);
    }
    /* Puts in flight (positions h..t) publish their item. */
    size_t n = 0;
    for (uint64_t p = h; p < t; p++) {
        struct ring_slot *s = slot_at(q, p);
        while (atomic_load_explicit(&s->stamp, memory_order_acquire) != p + 1) backoff(&busy);
        WEFT__HAPPENS_AFTER(q);
        ring[n++] = s->item;
    }
    q->ring = ring;
    q->cap = ncap;
    q->rhead = 0;
    set_count(q, n);
    atomic_store_explicit(&q->mode, MODE_LOCKED, memory_order_release);
}

int weft_queue_set_maxsize(weft_queue *q, long maxsize)
{
    if (!q) return WEFT_EINVAL;
    void **ring = NULL;
    size_t ncap = 0;
    if (qmode(q) == MODE_RING && (maxsize <= 0 || (uint64_t)maxsize > q->ring_size)) {
        ncap = (size_t)q->ring_size < INITIAL_CAPACITY ? INITIAL_CAPACITY : (size_t)q->ring_size;
        volatile int saved = errno;
        ring = malloc(ncap * sizeof *ring);
        errno = saved;
        if (!ring) return WEFT_ENOMEM;
    }
    lock(q);
    if (qmode(q) == MODE_RING && ring) convert(q, ring, ncap);
    else free(ring);
    atomic_store_explicit(&q->maxsize, maxsize, memory_order_relaxed);
    wake_all(&q->not_full, &q->putters);
    unlock(q);
    /* Ring sleepers re-check (room, or the conversion). */
    ec_wake(&q->put_ec);
    ec_wake(&q->get_ec);
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
    return atomic_load_explicit(&q->unfinished, memory_order_relaxed);
}
