/* SPDX-License-Identifier: MIT */
/* debug.c: thread slots, wait records, names, the deadlock detector, reports and
 * the thread dump (internal/debug.h, include/weft/debug.h, docs/debugging.md).
 *
 * Slots
 * -----
 * A static table of chunks (CHUNK slots each, allocated on first use and never
 * freed), so a slot's memory stays valid for the life of the process and any
 * thread may read any slot. A slot is owned by one live thread (id != 0) or free
 * (id == 0, on the free list). Only its owner writes its wait records; anyone
 * reads them. Every field is atomic.
 *
 * Wait records and the pin (why a detector may dereference another thread's obj)
 * ------------------------------------------------------------------------------
 * Records form a small stack per slot (depth, w[]), written by the owner under a
 * seqlock (seq odd while it changes). rec_end pops and then waits while
 * `inspectors` is non-zero. A reader (detector, dump) increments `inspectors`
 * (seq_cst), reads seq (seq_cst), the record, and seq again; if seq is even and
 * unchanged the record is consistent and, until the reader decrements
 * `inspectors`, its objects are alive: in the seq_cst total order either the
 * reader's load of seq comes before the owner's pop store (the seq_cst store of
 * the even value that ends the pop; the odd mark before it is relaxed) - then
 * the owner's later load of `inspectors` sees the reader's increment and the
 * owner waits - or after it, and the reader sees the stack without the popped
 * record (or a changed seq) and does not dereference it. (Dekker's
 * pattern; the owner only waits for readers that hold a pin for a few loads.)
 * A wait's object is alive while its waiter is in the wait: every weft object's
 * destroy requires that nobody waits on it.
 *
 * Detection
 * ---------
 * From the calling thread ("origin"), a depth-first walk over wait records: a
 * thread is stuck if its innermost record is a graph wait without deadline and
 * every thread that could end that wait is stuck (Lock/RLock: the holder; join: the
 * joined thread; Future: weft__future_blockers). Threads on the current path
 * count as stuck (greatest fixed point). It is a deadlock of the origin only if
 * the walk reached the origin again: a cycle through the caller. A thread stuck
 * behind somebody else's cycle is left to that cycle's members, which detect it
 * themselves. One dead end counts too: the caller waits for a Lock or RLock whose
 * holder has finished without releasing it (its id is stale); it is confirmed over
 * CONFIRM_DEAD_END_NS, as another thread may still release a Lock. Records change
 * under the walk, so one finding is a suspicion: the
 * same cycle (same threads and objects) found again after CONFIRM_NS is reported.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal/alloc.h"
#include "internal/annotate.h"
#include "internal/debug.h"
#include "internal/os.h"
#include "internal/self.h"
#include "internal/tstate.h"
#include "weft/error.h"

#define CHUNK     256
#define NCHUNKS   255              /* index + 1 must fit in 16 bits */
#define DEPTH     6                /* nested records kept per thread */
#define NAMELEN   48
#define MAXPATH   32               /* longest cycle reported */
#define MAXBLOCK  64               /* future blockers considered */
#define BUDGET    512              /* slots visited per check */

#ifndef CONFIRM_NS
#define CONFIRM_NS (100 * INT64_C(1000000))      /* 100 ms */
#endif
/* A dead end (a lock whose holder finished) is confirmed over a longer delay:
 * Python lets any thread release a Lock, and a program may do so a little later. */
#ifndef CONFIRM_DEAD_END_NS
#define CONFIRM_DEAD_END_NS (1000 * INT64_C(1000000))   /* 1 s */
#endif
#define FIRST_PERIOD_NS (50 * INT64_C(1000000))  /* re-check 50 ms, doubling */
#define MAX_PERIOD_NS   (1000 * INT64_C(1000000))/* ... up to every second */

struct wrec {
    _Atomic int kind;
    _Atomic(const void *) obj;
    _Atomic int64_t since;
    _Atomic int64_t deadline;
};

struct slot {
    _Atomic uint32_t id;           /* owner's id, 0 when free */
    _Atomic uint32_t gen;
    _Atomic uint32_t seq;          /* seqlock over depth and w[] */
    _Atomic uint32_t inspectors;   /* readers holding a pin */
    _Atomic uint32_t depth;
    _Atomic int daemon;            /* -1: not a weft thread (foreign) */
    _Atomic uint64_t ident;
    _Atomic long native;
    _Atomic int64_t born;
    _Atomic int victim;            /* its wait is leaving with WEFT_EDEADLK (until
                                    * its next forever graph wait starts) */
    _Atomic char name[NAMELEN];
    struct wrec w[DEPTH];
    uint32_t next_free;            /* index + 1, under slot_lock */
};

_Thread_local weft__tid weft__my_tid;
static _Thread_local struct slot *my_slot;
static _Thread_local bool my_exited;   /* after thread_exit: never take a slot again */
static _Thread_local bool in_me_slow;

_Atomic int weft__dl_mode_word = -1;
_Atomic uint32_t weft__names_used;

static _Atomic(struct slot *) chunks[NCHUNKS];
static atomic_flag slot_lock = ATOMIC_FLAG_INIT;
static uint32_t free_head;          /* index + 1 of the first free slot, under slot_lock */
static uint32_t high;               /* slots handed out so far, under slot_lock */

/* ---- tiny spin locks for the tables (never held across a call that may block) --- */

static void spin_lock(atomic_flag *f)
{
    unsigned n = 0;
    WEFT__BENIGN_WORD(f, sizeof *f);   /* helgrind/drd: the flag itself is atomic */
    while (atomic_flag_test_and_set_explicit(f, memory_order_acquire))
        if (++n > 64) weft__os_yield();
    WEFT__HAPPENS_AFTER(f);
}

static void spin_unlock(atomic_flag *f)
{
    WEFT__HAPPENS_BEFORE(f);
    atomic_flag_clear_explicit(f, memory_order_release);
}

/* ---- slots ---- */

static struct slot *slot_at(uint32_t index)
{
    if (index >= (uint32_t)NCHUNKS * CHUNK) return NULL;
    struct slot *c = atomic_load_explicit(&chunks[index / CHUNK], memory_order_acquire);
    return c ? &c[index % CHUNK] : NULL;
}

/* The slot of a live id, or NULL (0, stale or unknown). */
static struct slot *slot_of(weft__tid tid)
{
    if (!tid) return NULL;
    struct slot *s = slot_at((tid & 0xffffu) - 1);
    if (!s || atomic_load_explicit(&s->id, memory_order_acquire) != tid) return NULL;
    return s;
}

static void store_name(struct slot *s, const char *name)
{
    size_t i = 0;
    if (name)
        for (; i + 1 < NAMELEN && name[i]; i++)
            atomic_store_explicit(&s->name[i], name[i], memory_order_relaxed);
    atomic_store_explicit(&s->name[i], '\0', memory_order_relaxed);
}

static void load_name(struct slot *s, char *buf)
{
    size_t i = 0;
    for (; i + 1 < NAMELEN; i++) {
        buf[i] = atomic_load_explicit(&s->name[i], memory_order_relaxed);
        if (!buf[i]) break;
    }
    buf[i] = '\0';
}

weft__tid weft__me_slow(void)
{
    if (weft__my_tid || in_me_slow || my_exited) return weft__my_tid;
    in_me_slow = true;
    struct slot *s = NULL;
    uint32_t index = 0;
    spin_lock(&slot_lock);
    if (free_head) {
        index = free_head - 1;
        s = slot_at(index);
        free_head = s->next_free;
    } else if (high < (uint32_t)NCHUNKS * CHUNK) {
        index = high;
        if (!atomic_load_explicit(&chunks[index / CHUNK], memory_order_relaxed)) {
            struct slot *c = weft__calloc(CHUNK, sizeof *c);
            if (c) {
                WEFT__BENIGN_WORD(c, CHUNK * sizeof *c);  /* only accessed atomically */
                atomic_store_explicit(&chunks[index / CHUNK], c, memory_order_release);
            }
        }
        s = slot_at(index);
        if (s) high++;
    }
    spin_unlock(&slot_lock);
    if (!s) {
        in_me_slow = false;
        return 0;                   /* table full or no memory: not tracked */
    }
    uint32_t gen = (atomic_load_explicit(&s->gen, memory_order_relaxed) + 1) & 0xffffu;
    if (!gen) gen = 1;
    atomic_store_explicit(&s->gen, gen, memory_order_relaxed);
    atomic_store_explicit(&s->depth, 0, memory_order_relaxed);
    atomic_store_explicit(&s->daemon, -1, memory_order_relaxed);
    atomic_store_explicit(&s->victim, 0, memory_order_relaxed);
    atomic_store_explicit(&s->ident, weft__self(), memory_order_relaxed);
    atomic_store_explicit(&s->native, weft__os_gettid(), memory_order_relaxed);
    atomic_store_explicit(&s->born, weft__now(), memory_order_relaxed);
    store_name(s, "");
    weft__tid id = (gen << 16) | (index + 1);
    /* release: a reader that sees the id sees the fields above */
    atomic_store_explicit(&s->id, id, memory_order_release);
    my_slot = s;
    weft__my_tid = id;
    /* a foreign thread frees its slot from the tstate key's destructor; a weft
     * thread calls weft__dbg_thread_exit itself (and unregisters the key) */
    (void)weft__tstate_register();
    in_me_slow = false;
    return id;
}

void weft__dbg_set_info(weft__tid tid, const char *name, int daemon, uint64_t ident,
                        long native_id)
{
    struct slot *s = slot_of(tid);
    if (!s) return;
    if (name) store_name(s, name);
    if (daemon >= 0) atomic_store_explicit(&s->daemon, daemon ? 1 : 0, memory_order_relaxed);
    if (ident) atomic_store_explicit(&s->ident, ident, memory_order_relaxed);
    if (native_id) atomic_store_explicit(&s->native, native_id, memory_order_relaxed);
}

static void free_slot(struct slot *s, uint32_t index)
{
    atomic_store_explicit(&s->id, 0, memory_order_release);
    spin_lock(&slot_lock);
    s->next_free = free_head;
    free_head = index + 1;
    spin_unlock(&slot_lock);
}

void weft__dbg_thread_exit(void)
{
    weft__tid id = weft__my_tid;
    my_exited = true;
    if (!id) return;
    struct slot *s = my_slot;
    weft__my_tid = 0;
    my_slot = NULL;
    free_slot(s, (id & 0xffffu) - 1);
}

/* Fork: thread.c's prepare handler (holding weft__glock) takes the slot lock, so
 * no slot is being handed out or freed while the process forks; the parent
 * handler releases it, the child handler below starts it afresh. (Without this a
 * thread freeing its slot at the fork raced with the child's rebuild of the free
 * list: ThreadSanitizer, fork.ThreadTests_test_is_alive_after_fork.) */
void weft__dbg_fork_prepare(void)
{
    spin_lock(&slot_lock);
}

void weft__dbg_fork_parent(void)
{
    spin_unlock(&slot_lock);
}

void weft__dbg_fork_child(void)
{
    /* Only the calling thread survives. The spin locks may have been held by a
     * thread that is gone: they protect a few stores, so start them afresh. */
    atomic_flag_clear_explicit(&slot_lock, memory_order_relaxed);
    free_head = 0;
    for (uint32_t i = high; i-- > 0;) {
        struct slot *s = slot_at(i);
        if (!s) continue;
        atomic_store_explicit(&s->inspectors, 0, memory_order_relaxed);
        if (s == my_slot) continue;
        atomic_store_explicit(&s->id, 0, memory_order_relaxed);
        s->next_free = free_head;
        free_head = i + 1;
    }
}

/* ---- wait records ---- */

int weft__rec_begin(enum weft__wk kind, const void *obj, weft__ns deadline)
{
    if (!weft__me()) return -1;
    struct slot *s = my_slot;
    uint32_t d = atomic_load_explicit(&s->depth, memory_order_relaxed);
    uint32_t q = atomic_load_explicit(&s->seq, memory_order_relaxed);
    atomic_store_explicit(&s->seq, q + 1, memory_order_relaxed);
    atomic_thread_fence(memory_order_release);
    if (d < DEPTH) {
        atomic_store_explicit(&s->w[d].kind, (int)kind, memory_order_relaxed);
        atomic_store_explicit(&s->w[d].obj, obj, memory_order_relaxed);
        atomic_store_explicit(&s->w[d].since, weft__now_coarse(), memory_order_relaxed);
        atomic_store_explicit(&s->w[d].deadline, deadline, memory_order_relaxed);
    }
    atomic_store_explicit(&s->depth, d + 1, memory_order_relaxed);
    atomic_store_explicit(&s->seq, q + 2, memory_order_release);
    return (int)d;
}

void weft__rec_end(int token)
{
    struct slot *s = my_slot;
    if (token < 0 || !s) return;
    uint32_t q = atomic_load_explicit(&s->seq, memory_order_relaxed);
    /* The seqlock's odd mark, as in rec_begin: the release fence keeps the depth
     * store after it for a reader that checks seq around its loads. */
    atomic_store_explicit(&s->seq, q + 1, memory_order_relaxed);
    atomic_thread_fence(memory_order_release);
    atomic_store_explicit(&s->depth, (uint32_t)token, memory_order_relaxed);
    /* seq_cst: the even store and the load of inspectors below pair with the
     * reader's increment of inspectors and its seq_cst load of seq (see the
     * top): a reader whose first load still saw the old even value comes before
     * this store in the total order, so the load below sees its pin. One
     * seq_cst store (a locked instruction on x86), not two: the odd mark needs
     * no place in that order. */
    atomic_store_explicit(&s->seq, q + 2, memory_order_seq_cst);
    unsigned n = 0;
    while (atomic_load_explicit(&s->inspectors, memory_order_seq_cst))
        if (++n > 64) weft__os_yield();
}

struct rec {
    int kind;
    const void *obj;
    int64_t since, deadline;
};

struct snap {
    uint32_t depth;                  /* records in the stack (may exceed DEPTH) */
    int n;                           /* records read: min(depth, DEPTH) */
    int g;                           /* the record the graph follows, or -1 */
    struct rec r[DEPTH];             /* outermost first */
};

static bool graph_kind(int kind)
{
    return kind == WEFT__WK_LOCK || kind == WEFT__WK_RLOCK || kind == WEFT__WK_JOIN
        || kind == WEFT__WK_FUTURE;
}

/* Read tid's records consistently and pin them. True: *out is valid and the
 * caller must unpin(s) after it has read what it needs from the objects. */
static bool pin(struct slot *s, weft__tid tid, struct snap *out)
{
    atomic_fetch_add_explicit(&s->inspectors, 1, memory_order_seq_cst);
    for (int tries = 0; tries < 16; tries++) {
        uint32_t q1 = atomic_load_explicit(&s->seq, memory_order_seq_cst);
        if (q1 & 1) {
            weft__os_yield();
            continue;
        }
        if (atomic_load_explicit(&s->id, memory_order_acquire) != tid) break;
        uint32_t d = atomic_load_explicit(&s->depth, memory_order_relaxed);
        out->depth = d;
        out->n = d <= DEPTH ? (int)d : DEPTH;
        out->g = -1;
        for (int i = 0; i < out->n; i++) {
            out->r[i].kind = atomic_load_explicit(&s->w[i].kind, memory_order_relaxed);
            out->r[i].obj = atomic_load_explicit(&s->w[i].obj, memory_order_relaxed);
            out->r[i].since = atomic_load_explicit(&s->w[i].since, memory_order_relaxed);
            out->r[i].deadline = atomic_load_explicit(&s->w[i].deadline, memory_order_relaxed);
        }
        atomic_thread_fence(memory_order_acquire);
        if (atomic_load_explicit(&s->seq, memory_order_relaxed) != q1) continue;
        /* The wait that decides whether this thread can go on: the innermost one
         * that is a graph edge (Future.result sleeping in a Condition.wait waits
         * for the future; once notified, re-acquiring the condition's Lock, it
         * waits for that lock). Records deeper than DEPTH are unknown: none. */
        if (d <= DEPTH)
            for (int i = out->n - 1; i >= 0 && out->g < 0; i--)
                if (graph_kind(out->r[i].kind)) out->g = i;
        return true;
    }
    atomic_fetch_sub_explicit(&s->inspectors, 1, memory_order_release);
    return false;
}

static void unpin(struct slot *s)
{
    atomic_fetch_sub_explicit(&s->inspectors, 1, memory_order_release);
}

/* The threads that can end the graph wait in *sn (objects pinned). n >= 1: all
 * must be stuck; 0 or -1: no graph wait, or it may end some other way. */
static int successors(const struct snap *sn, weft__tid *out, int max)
{
    if (sn->g < 0) return -1;
    const struct rec *r = &sn->r[sn->g];
    if (r->deadline != WEFT__NS_FOREVER || !r->obj) return -1;
    weft__tid t = 0;
    switch (r->kind) {
    case WEFT__WK_LOCK: t = weft__lock_holder(r->obj); break;
    case WEFT__WK_RLOCK: t = weft__rlock_holder(r->obj); break;
    case WEFT__WK_JOIN: t = weft__thread_tid(r->obj); break;
    case WEFT__WK_FUTURE: return weft__future_blockers(r->obj, out, max);
    default: return -1;
    }
    if (!t) return -1;
    out[0] = t;
    return 1;
}

/* ---- the walk ---- */

struct hop {
    weft__tid tid, next;
    int kind;
    int nsucc;                       /* threads that could end this wait */
    const void *obj;
    int64_t since;
};

struct walk {
    weft__tid origin;
    int len, clen, budget;
    bool reached;
    bool dead_end;                   /* the cycle ends at a finished holder */
    struct hop path[MAXPATH];
    struct hop cycle[MAXPATH];
};

static bool stuck(struct walk *w, weft__tid tid)
{
    if (w->len > 0 && tid == w->origin) {
        if (!w->reached) {
            w->reached = true;
            w->clen = w->len;
            memcpy(w->cycle, w->path, (size_t)w->len * sizeof w->path[0]);
        }
        return true;
    }
    for (int i = 1; i < w->len; i++)
        if (w->path[i].tid == tid) return true;     /* on the path: assumed stuck */
    if (--w->budget < 0 || w->len == MAXPATH) return false;
    struct slot *s = slot_of(tid);
    struct snap sn;
    if (!s && tid && w->len == 1 && !w->reached
        && (w->path[0].kind == WEFT__WK_LOCK || w->path[0].kind == WEFT__WK_RLOCK)) {
        /* the origin waits for a lock whose holder has finished without
         * releasing it: a dead end, reported like a cycle */
        w->reached = true;
        w->dead_end = true;
        w->clen = 1;
        w->cycle[0] = w->path[0];
        return true;
    }
    if (!s || atomic_load_explicit(&s->victim, memory_order_acquire)) return false;
    if (!pin(s, tid, &sn)) return false;
    weft__tid succ[MAXBLOCK];
    int n = successors(&sn, succ, MAXBLOCK);
    unpin(s);
    if (n <= 0) return false;
    struct hop *h = &w->path[w->len++];
    h->tid = tid;
    h->kind = sn.r[sn.g].kind;
    h->obj = sn.r[sn.g].obj;
    h->since = sn.r[sn.g].since;
    h->nsucc = n;
    bool all = true;
    for (int i = 0; i < n && all; i++) {
        w->path[w->len - 1].next = succ[i];
        if (!stuck(w, succ[i])) all = false;
    }
    w->len--;
    return all;
}

static uint64_t cycle_sig(const struct walk *w)
{
    uint64_t h = 1469598103934665603u;
    for (int i = 0; i < w->clen; i++) {
        h = (h ^ w->cycle[i].tid) * 1099511628211u;
        h = (h ^ (uint64_t)(uintptr_t)w->cycle[i].obj) * 1099511628211u;
    }
    return h ? h : 1;
}

/* ---- names ---- */

struct nent {
    struct nent *next;
    const void *obj;
    char name[WEFT_DEBUG_NAME_MAX];
};

#define NBUCKETS 256
static struct nent *nbuckets[NBUCKETS];
static atomic_flag name_lock = ATOMIC_FLAG_INIT;

static unsigned nhash(const void *obj)
{
    return (unsigned)((((uint64_t)(uintptr_t)obj >> 3) * 0x9E3779B97F4A7C15u) >> 56);
}

static struct nent *unlink_name(const void *obj)
{
    struct nent **p = &nbuckets[nhash(obj)];
    for (; *p; p = &(*p)->next)
        if ((*p)->obj == obj) {
            struct nent *e = *p;
            *p = e->next;
            return e;
        }
    return NULL;
}

int weft_debug_name(const void *obj, const char *name)
{
    if (!obj) return WEFT_EINVAL;
    struct nent *e = NULL;
    if (name) {
        e = weft__malloc(sizeof *e);
        if (!e) return WEFT_ENOMEM;
        e->obj = obj;
        snprintf(e->name, sizeof e->name, "%s", name);
    }
    spin_lock(&name_lock);
    struct nent *old = unlink_name(obj);
    if (e) {
        unsigned b = nhash(obj);
        e->next = nbuckets[b];
        nbuckets[b] = e;
        atomic_store_explicit(&weft__names_used, 1, memory_order_relaxed);
    }
    spin_unlock(&name_lock);
    free(old);
    return WEFT_OK;
}

void weft__name_forget_slow(const void *obj)
{
    spin_lock(&name_lock);
    struct nent *old = unlink_name(obj);
    spin_unlock(&name_lock);
    free(old);
}

static bool name_copy(const void *obj, char *buf, size_t size)
{
    bool found = false;
    buf[0] = '\0';
    if (!atomic_load_explicit(&weft__names_used, memory_order_relaxed)) return false;
    spin_lock(&name_lock);
    for (struct nent *e = nbuckets[nhash(obj)]; e; e = e->next)
        if (e->obj == obj) {
            snprintf(buf, size, "%s", e->name);
            found = true;
            break;
        }
    spin_unlock(&name_lock);
    return found;
}

int weft_debug_name_of(const void *obj, char *buf, size_t size)
{
    if (!obj || !buf || !size) return WEFT_EINVAL;
    return name_copy(obj, buf, size) ? WEFT_OK : WEFT_EEMPTY;
}

/* ---- descriptions ---- */

static const char *const wk_names[WEFT__WK_COUNT] = {
    [WEFT__WK_NONE] = "nothing",
    [WEFT__WK_LOCK] = "Lock",
    [WEFT__WK_RLOCK] = "RLock",
    [WEFT__WK_CONDITION] = "Condition.wait",
    [WEFT__WK_SEMAPHORE] = "Semaphore.acquire",
    [WEFT__WK_EVENT] = "Event.wait",
    [WEFT__WK_BARRIER] = "Barrier.wait",
    [WEFT__WK_QUEUE_GET] = "Queue.get",
    [WEFT__WK_QUEUE_PUT] = "Queue.put",
    [WEFT__WK_QUEUE_JOIN] = "Queue.join",
    [WEFT__WK_SIMPLEQUEUE_GET] = "SimpleQueue.get",
    [WEFT__WK_JOIN] = "Thread.join",
    [WEFT__WK_FUTURE] = "Future.result",
    [WEFT__WK_WAIT_FUTURES] = "futures wait",
    [WEFT__WK_EXECUTOR_SHUTDOWN] = "Executor.shutdown",
    [WEFT__WK_EXECUTOR_IDLE] = "work (idle pool worker)",
    [WEFT__WK_TIMER] = "Timer",
    [WEFT__WK_OTHER] = "a weft wait",
};

const char *weft__wk_name(enum weft__wk kind)
{
    if ((unsigned)kind >= WEFT__WK_COUNT || !wk_names[kind]) return "a weft wait";
    return wk_names[kind];
}

void weft__describe_obj(const void *obj, char *buf, size_t size)
{
    char name[WEFT_DEBUG_NAME_MAX];
    if (name_copy(obj, name, sizeof name))
        snprintf(buf, size, "'%s' (%p)", name, obj);
    else
        snprintf(buf, size, "%p", obj);
}

void weft__describe_tid(weft__tid tid, char *buf, size_t size)
{
    struct slot *s = slot_of(tid);
    if (!s) {
        snprintf(buf, size, "a thread that has finished");
        return;
    }
    char name[NAMELEN];
    load_name(s, name);
    unsigned long long ident = atomic_load_explicit(&s->ident, memory_order_relaxed);
    long native = atomic_load_explicit(&s->native, memory_order_relaxed);
    if (name[0])
        snprintf(buf, size, "thread '%s' (ident 0x%llx, native id %ld)", name, ident, native);
    else
        snprintf(buf, size, "thread 0x%llx (native id %ld, not a weft thread)", ident, native);
}

/* " held by X" / " (thread X)" / " running on X" for a graph wait, else "" */
static void describe_edge(int kind, const weft__tid *succ, int n, char *buf, size_t size)
{
    char who[160];
    buf[0] = '\0';
    if (n <= 0) return;
    weft__describe_tid(succ[0], who, sizeof who);
    switch (kind) {
    case WEFT__WK_LOCK:
    case WEFT__WK_RLOCK: snprintf(buf, size, ", held by %s", who); break;
    case WEFT__WK_JOIN: snprintf(buf, size, ", which is %s", who); break;
    case WEFT__WK_FUTURE:
        if (n == 1) snprintf(buf, size, ", which only %s can finish", who);
        else snprintf(buf, size, ", queued in a full pool: only one of its %d busy "
                      "workers can run it, and every one is stuck, e.g. %s", n, who);
        break;
    default: break;
    }
}

/* ---- reports ---- */

static atomic_flag hook_lock = ATOMIC_FLAG_INIT;
static weft_report_fn hook_fn;
static void *hook_arg;

void weft_debug_set_report_hook(weft_report_fn fn, void *arg)
{
    spin_lock(&hook_lock);
    hook_fn = fn;
    hook_arg = arg;
    spin_unlock(&hook_lock);
}

void weft__report(const char *text)
{
    spin_lock(&hook_lock);
    weft_report_fn fn = hook_fn;
    void *arg = hook_arg;
    spin_unlock(&hook_lock);
    if (fn) {
        fn(text, arg);
    } else {
        fputs(text, stderr);
        fflush(stderr);
    }
}

static int mode_get(void)
{
    int m = atomic_load_explicit(&weft__dl_mode_word, memory_order_relaxed);
    if (m >= 0) return m;
    const char *e = getenv("WEFT_DEADLOCK");
    int v = WEFT_DEADLOCK_REPORT;
    if (e && (!strcmp(e, "off") || !strcmp(e, "0"))) v = WEFT_DEADLOCK_OFF;
    else if (e && !strcmp(e, "abort")) v = WEFT_DEADLOCK_ABORT;
    int expect = -1;
    atomic_compare_exchange_strong_explicit(&weft__dl_mode_word, &expect, v,
                                            memory_order_relaxed, memory_order_relaxed);
    return atomic_load_explicit(&weft__dl_mode_word, memory_order_relaxed);
}

int weft_deadlock_set_mode(weft_deadlock_mode mode)
{
    if (mode != WEFT_DEADLOCK_OFF && mode != WEFT_DEADLOCK_REPORT && mode != WEFT_DEADLOCK_ABORT)
        return WEFT_EINVAL;
    atomic_store_explicit(&weft__dl_mode_word, (int)mode, memory_order_relaxed);
    return WEFT_OK;
}

weft_deadlock_mode weft_deadlock_get_mode(void)
{
    return (weft_deadlock_mode)mode_get();
}

/* Write the report of w's cycle to f. */
static void write_cycle(FILE *f, const struct walk *w, int mode)
{
    char me[160], obj[160], edge[512];
    struct slot *os = slot_of(w->origin);
    char oname[NAMELEN] = "";
    if (os) load_name(os, oname);
    if (oname[0]) snprintf(me, sizeof me, "thread '%s'", oname);
    else weft__describe_tid(w->origin, me, sizeof me);
    fprintf(f, "weft: deadlock detected: the wait of %s can never end\n", me);
    weft__ns now = weft__now();
    for (int i = 0; i < w->clen; i++) {
        const struct hop *h = &w->cycle[i];
        char who[160];
        weft__describe_tid(h->tid, who, sizeof who);
        weft__describe_obj(h->obj, obj, sizeof obj);
        describe_edge(h->kind, &h->next, h->nsucc, edge, sizeof edge);
        fprintf(f, "  %s waits (%.3f s) in %s on %s%s\n", who,
                (double)(now - h->since) / 1e9, weft__wk_name((enum weft__wk)h->kind), obj,
                edge);
    }
    if (mode == WEFT_DEADLOCK_ABORT)
        fprintf(f, "weft: aborting (WEFT_DEADLOCK=abort)\n");
    else
        fprintf(f, "weft: that wait of %s returns WEFT_EDEADLK\n", me);
}

static void send_cycle(const struct walk *w, int mode)
{
    volatile int saved = errno;   /* a lock's acquire must not change errno */
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) {
        weft__report("weft: deadlock detected (no memory to describe it)\n");
        errno = saved;
        return;
    }
    write_cycle(f, w, mode);
    if (fclose(f) == 0 && text) weft__report(text);
    else weft__report("weft: deadlock detected (no memory to describe it)\n");
    free(text);
    errno = saved;
}

/* ---- the detection loop ---- */

/* One report per cycle. Every member of a cycle may confirm it at about the same
 * time; only one may leave its wait with WEFT_EDEADLK, or two threads would give
 * up where one suffices. Under victim_lock the confirming thread walks again: a
 * member already marked as a victim (leaving) counts as not stuck, so the second
 * confirmer finds no cycle and waits on; the first marks itself. */
static atomic_flag victim_lock = ATOMIC_FLAG_INIT;

/* Walk from the calling thread: true if its wait is part of a cycle (w->cycle). */
static bool walk_from_me(struct walk *w)
{
    w->origin = weft__me();
    w->len = w->clen = 0;
    w->budget = BUDGET;
    w->reached = false;
    w->dead_end = false;
    return stuck(w, w->origin) && w->reached;
}

static bool claim_victim(uint64_t sig)
{
    struct walk w;
    spin_lock(&victim_lock);
    bool still = walk_from_me(&w) && cycle_sig(&w) == sig;
    if (still && my_slot) atomic_store_explicit(&my_slot->victim, 1, memory_order_release);
    spin_unlock(&victim_lock);
    return still;
}

void weft__dl_start(struct weft__dl *dl, weft__ns deadline)
{
    if (deadline == WEFT__NS_FOREVER && my_slot)
        atomic_store_explicit(&my_slot->victim, 0, memory_order_relaxed);
    dl->strikes = 0;
    dl->checks = 0;
    dl->sig = 0;
    if (deadline != WEFT__NS_FOREVER || mode_get() == WEFT_DEADLOCK_OFF || !weft__me())
        dl->next = WEFT__NS_FOREVER;
    else
        dl->next = 0;   /* due at the first poll */
}

int weft__dl_poll_slow(struct weft__dl *dl, weft__ns deadline, weft__ns *until)
{
    weft__ns now = weft__now();
    if (now >= dl->next) {
        int mode = mode_get();
        if (mode == WEFT_DEADLOCK_OFF) {
            dl->next = WEFT__NS_FOREVER;
            *until = deadline;
            return WEFT_OK;
        }
        struct walk w;
        bool dead = walk_from_me(&w);
        dl->checks++;
        if (dead) {
            uint64_t sig = cycle_sig(&w);
            if (dl->strikes && dl->sig == sig) {
                if (claim_victim(sig)) {
                    send_cycle(&w, mode);
                    if (mode == WEFT_DEADLOCK_ABORT) abort();
                    dl->next = WEFT__NS_FOREVER;
                    return WEFT_EDEADLK;
                }
                dead = false;   /* another member of the cycle is leaving with it */
            } else {
                dl->strikes = 1;
                dl->sig = sig;
                dl->next = now + (w.dead_end ? CONFIRM_DEAD_END_NS : CONFIRM_NS);
            }
        }
        if (!dead) {
            dl->strikes = 0;
            weft__ns period = FIRST_PERIOD_NS << (dl->checks < 6 ? dl->checks : 6);
            dl->next = now + (period < MAX_PERIOD_NS ? period : MAX_PERIOD_NS);
        }
    }
    *until = deadline < dl->next ? deadline : dl->next;
    return WEFT_OK;
}

/* ---- the dump ---- */

static void dump_slot(FILE *out, struct slot *s, weft__tid tid, weft__ns now)
{
    char who[160], obj[160], edge[512];
    weft__describe_tid(tid, who, sizeof who);
    int daemon = atomic_load_explicit(&s->daemon, memory_order_relaxed);
    fprintf(out, "%s%s%s alive\n", tid == weft__my_tid ? "* " : "  ", who,
            daemon < 0 ? "" : daemon ? " daemon" : " non-daemon");
    struct snap sn;
    if (!pin(s, tid, &sn)) {
        fprintf(out, "      (changing; not read)\n");
        return;
    }
    weft__tid succ[MAXBLOCK];
    int n = successors(&sn, succ, MAXBLOCK);
    if (n < 0 && sn.g >= 0 && sn.r[sn.g].deadline != WEFT__NS_FOREVER) {
        /* a timed lock wait is no graph edge, but the dump still names the holder */
        struct snap fe = sn;
        fe.r[sn.g].deadline = WEFT__NS_FOREVER;
        n = successors(&fe, succ, MAXBLOCK);
    }
    unpin(s);
    if (sn.depth == 0) {
        fprintf(out, "      running (not blocked in weft)\n");
        return;
    }
    /* outermost (what the caller called) to innermost (where it sleeps) */
    for (int i = 0; i < sn.n; i++) {
        const struct rec *r = &sn.r[i];
        weft__describe_obj(r->obj, obj, sizeof obj);
        edge[0] = '\0';
        if (i == sn.g) describe_edge(r->kind, succ, n, edge, sizeof edge);
        fprintf(out, "      %s %s on %s for %.3f s%s%s\n", i == sn.n - 1 ? "blocked in" : "in",
                weft__wk_name((enum weft__wk)r->kind), obj, (double)(now - r->since) / 1e9,
                r->deadline == WEFT__NS_FOREVER ? "" : " (with a timeout)", edge);
    }
    if (sn.depth > (uint32_t)sn.n)
        fprintf(out, "      ... and %u deeper waits\n", (unsigned)(sn.depth - (uint32_t)sn.n));
}

void weft__dump_threads(FILE *out, const weft__tid *only, int n)
{
    if (!out) return;
    spin_lock(&slot_lock);
    uint32_t count = high;
    spin_unlock(&slot_lock);
    weft__ns now = weft__now();
    for (uint32_t i = 0; i < count; i++) {
        struct slot *s = slot_at(i);
        if (!s) continue;
        weft__tid tid = atomic_load_explicit(&s->id, memory_order_acquire);
        if (!tid) continue;
        if (n >= 0) {
            bool want = false;
            for (int k = 0; k < n; k++) want |= only[k] == tid;
            if (!want) continue;
        }
        dump_slot(out, s, tid, now);
    }
}

int weft_debug_dump(FILE *out)
{
    if (!out) return WEFT_EINVAL;
    volatile int saved = errno;   /* stdio may set it; weft never leaves it changed */
    (void)weft__me();   /* the caller appears in its own dump */
    spin_lock(&slot_lock);
    uint32_t count = high;
    spin_unlock(&slot_lock);
    uint32_t live = 0;
    for (uint32_t i = 0; i < count; i++) {
        struct slot *s = slot_at(i);
        live += s && atomic_load_explicit(&s->id, memory_order_relaxed) != 0;
    }
    fprintf(out, "weft thread dump: %u thread%s (* = the caller)\n", live, live == 1 ? "" : "s");
    weft__dump_threads(out, NULL, -1);
    fflush(out);
    errno = saved;
    return WEFT_OK;
}

/* ---- dump on a signal ---- */

static atomic_flag sig_lock = ATOMIC_FLAG_INIT;

static void dump_to_stderr(void)
{
    (void)weft_debug_dump(stderr);
}

int weft_debug_dump_on_signal(int signo)
{
    spin_lock(&sig_lock);
    int rc = weft__os_sigdump(signo, dump_to_stderr);
    spin_unlock(&sig_lock);
    return rc;
}

static int parse_signal(const char *e)
{
    if (!e || !*e) return 0;
    if (!strcmp(e, "QUIT") || !strcmp(e, "SIGQUIT")) return SIGQUIT;
    if (!strcmp(e, "USR1") || !strcmp(e, "SIGUSR1")) return SIGUSR1;
    if (!strcmp(e, "USR2") || !strcmp(e, "SIGUSR2")) return SIGUSR2;
    char *end;
    long v = strtol(e, &end, 10);
    return *end == '\0' && v > 0 && v < 65 ? (int)v : 0;
}

__attribute__((constructor)) static void debug_env_init(void)
{
    /* helgrind/drd: these words are only accessed atomically */
    WEFT__BENIGN_WORD(&weft__names_used, sizeof weft__names_used);
    WEFT__BENIGN_WORD(&weft__dl_mode_word, sizeof weft__dl_mode_word);
    int sig = parse_signal(getenv("WEFT_DUMP_SIGNAL"));
    if (sig) (void)weft_debug_dump_on_signal(sig);
}

