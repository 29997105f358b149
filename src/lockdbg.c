/* SPDX-License-Identifier: MIT */
/* lockdbg.c: the lock-order checker and contention statistics for Lock and RLock
 * (include/weft/debug.h; docs/design/lock.md "Debugging").
 *
 * The switch
 * ----------
 * weft__lockdbg_flags (internal/lock.h) is 0 while both tools are off; the Lock's
 * acquire and release test it with one relaxed load and come here only when it
 * is not. It starts as UNREAD, so the first acquire of the process comes here
 * once and reads WEFT_LOCK_ORDER / WEFT_LOCK_STATS. The API functions read the
 * environment first too, so an explicit call always wins over it.
 *
 * Per-lock side table (`ents`)
 * ----------------------------
 * A static open-addressing table keyed by the lock's address (an RLock and its
 * inner Lock share it), found by hash and linear probing. A key, once claimed
 * with a CAS, is never removed: a destroyed lock's entry is reset (counters,
 * `enabled`) and its address keeps the entry for the next object placed there.
 * Every field is a relaxed atomic: statistics are counters, not a protocol; a
 * reader may see one acquisition counted and its wait not yet added.
 *   acq, contended, wait_total/max, hold_max    the statistics (ns)
 *   hold_start   when the current hold began (0: not timed); written by the
 *                acquirer after it got the lock, read and cleared by the
 *                releaser before it releases, so consecutive holds never overlap
 *   releases     counts every instrumented release and destroy: a held-stack
 *                entry remembers it at push, and a different value later means
 *                the lock was released (by another thread, which Python allows)
 *                or destroyed since, so the entry is stale and dropped
 *
 * Lock order
 * ----------
 * Each thread keeps a stack of the locks it holds (HELD_MAX in TLS; deeper
 * acquisitions are counted but not tracked). Acquiring B while holding A records
 * the edge A -> B in a global hash table (`edges`, under `tables`, a weft_lock
 * taken with the raw, uninstrumented acquire), with the thread that first took
 * that order. If B -> A was recorded before, the two orders can deadlock: the pair
 * is reported once (both edges get `reported`) through weft__report, naming both
 * locks and both threads. The check runs before the acquire blocks, so an
 * inversion that deadlocks right away is still reported. When an order A -> B is
 * seen for the first time and B -> A was not, a depth-first search over the
 * recorded orders looks for a longer way back from B to A (A -> B, B -> C,
 * C -> A taken by three threads: at most CHAIN_MAX edges); such a cycle is
 * reported once too, with every order in it. Acquires that cannot
 * wait (non-blocking, timeout 0) record no order: taking a lock that way in the
 * "wrong" order is the standard way to avoid the deadlock.
 *
 * No recursion: the tables lock is taken raw; reports and descriptions (which may
 * take weft locks in debug.c or in a user hook) are made after it is released,
 * and a thread-local guard sends any lock taken inside this file's own code
 * straight to the raw acquire/release.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal/annotate.h"
#include "internal/clock.h"
#include "internal/debug.h"
#include "internal/lock.h"
#include "weft/debug.h"

_Atomic uint32_t weft__lockdbg_flags = WEFT__LOCKDBG_UNREAD;
_Atomic uint32_t weft__lockdbg_used;

#define NENTS    8192      /* distinct lock addresses with an entry (power of 2) */
#define NEDGES   8192      /* distinct ordered pairs remembered (power of 2) */
#define HELD_MAX 16        /* locks tracked per thread */
#define WHO_MAX  96
#define PROBE_MAX 256      /* a lock not found this far has no entry (table full) */

/* ---- per-lock entries ---- */

struct ent {
    _Atomic(const void *) key;
    _Atomic int enabled;          /* statistics asked for this lock */
    _Atomic uint64_t acq, contended;
    _Atomic int64_t wait_total, wait_max, hold_max, hold_start;
    _Atomic uint64_t releases;
};

static struct ent ents[NENTS];
static _Atomic int stats_all;        /* statistics for every lock */
static _Atomic int stats_some;       /* number of entries with enabled set */
static _Atomic uint32_t order_epoch; /* bumped each time the checker is turned on */

static size_t hash_ptr(const void *p)
{
    uint64_t x = (uint64_t)(uintptr_t)p;
    x ^= x >> 33;
    x *= UINT64_C(0xff51afd7ed558ccd);
    x ^= x >> 33;
    return (size_t)x;
}

/* The entry of lock, or NULL; with create, claim a free one (NULL if full). */
static struct ent *ent_get(const void *lock, bool create)
{
    size_t h = hash_ptr(lock);
    for (size_t i = 0; i < PROBE_MAX; i++) {
        struct ent *e = &ents[(h + i) & (NENTS - 1)];
        const void *k = atomic_load_explicit(&e->key, memory_order_acquire);
        if (k == lock) return e;
        if (k == NULL) {
            if (!create) return NULL;
            /* acq_rel: the claim is published before anyone finds this entry;
             * counters start at zero (never-claimed entries were never used). */
            if (atomic_compare_exchange_strong_explicit(&e->key, &k, lock,
                                                        memory_order_acq_rel,
                                                        memory_order_acquire))
                return e;
            if (k == lock) return e;
        }
    }
    return NULL;
}

static void max_store(_Atomic int64_t *m, int64_t v)
{
    int64_t cur = atomic_load_explicit(m, memory_order_relaxed);
    while (v > cur && !atomic_compare_exchange_weak_explicit(m, &cur, v, memory_order_relaxed,
                                                             memory_order_relaxed)) {
    }
}

/* ---- the held stack ---- */

struct held {
    const weft_lock *lock;
    const void *obj;
    struct ent *e;          /* NULL: no entry (table full), never found stale */
    uint64_t releases;      /* e->releases at push */
};

static _Thread_local struct {
    uint32_t epoch;
    int n;                  /* entries in h */
    int deeper;             /* acquisitions beyond HELD_MAX, not tracked */
    int busy;               /* inside this file: no instrumentation */
    struct held h[HELD_MAX];
} tl;

static bool stale(const struct held *h)
{
    return h->e && atomic_load_explicit(&h->e->releases, memory_order_relaxed) != h->releases;
}

/* Sync with the checker's epoch and drop entries released behind our back. */
static void held_refresh(void)
{
    uint32_t ep = atomic_load_explicit(&order_epoch, memory_order_relaxed);
    if (tl.epoch != ep) {
        tl.epoch = ep;
        tl.n = 0;
        tl.deeper = 0;
        return;
    }
    int j = 0;
    for (int i = 0; i < tl.n; i++)
        if (!stale(&tl.h[i])) tl.h[j++] = tl.h[i];
    tl.n = j;
}

static void held_push(const weft_lock *lock, const void *obj, struct ent *e)
{
    if (tl.n == HELD_MAX) {
        tl.deeper++;
        return;
    }
    tl.h[tl.n++] = (struct held){ lock, obj, e,
                                  e ? atomic_load_explicit(&e->releases, memory_order_relaxed) : 0 };
}

static void held_pop(const weft_lock *lock)
{
    for (int i = tl.n - 1; i >= 0; i--) {
        if (tl.h[i].lock == lock) {
            memmove(&tl.h[i], &tl.h[i + 1], (size_t)(tl.n - 1 - i) * sizeof tl.h[0]);
            tl.n--;
            return;
        }
    }
    if (tl.deeper > 0) tl.deeper--;
}

/* ---- the edge table ---- */

struct edge {
    const void *from, *to;   /* lock addresses; from == NULL: free */
    const void *from_obj, *to_obj;
    weft__tid tid;           /* the thread that first took this order */
    char who[WHO_MAX];       /* its description then (it may be gone when reported) */
    bool reported;
};

static weft_lock tables = WEFT_LOCK_INIT; /* taken raw (never instrumented) */
static struct edge edges[NEDGES];
static int nedges;

static void tables_lock(void)
{
    int slow = 0;
    (void)weft__lock_acquire_raw(&tables, true, WEFT_FOREVER, WEFT__WK_OTHER, &tables, &slow);
}

static void tables_unlock(void) { (void)weft__lock_release_raw(&tables); }

static size_t hash_pair(const void *a, const void *b)
{
    return hash_ptr(a) ^ (hash_ptr(b) * 31u);
}

/* The edge a -> b, or the free slot where it would go (NULL if the table is full).
 * Under `tables`. */
static struct edge *edge_find(const void *a, const void *b)
{
    size_t h = hash_pair(a, b);
    for (size_t i = 0; i < NEDGES; i++) {
        struct edge *e = &edges[(h + i) & (NEDGES - 1)];
        if (e->from == NULL || (e->from == a && e->to == b)) return e;
    }
    return NULL;
}

/* Forget every edge that names lock (it is destroyed; its address may be reused).
 * Under `tables`. Rebuilds the table: deleting from linear probing needs it. */
static void edges_forget(const void *lock)
{
    if (nedges == 0) return;
    static struct edge keep[NEDGES];
    int n = 0;
    for (size_t i = 0; i < NEDGES; i++) {
        if (edges[i].from == NULL) continue;
        if (edges[i].from != lock && edges[i].to != lock) keep[n++] = edges[i];
        edges[i].from = NULL;
    }
    nedges = 0;
    for (int i = 0; i < n; i++) {
        struct edge *e = edge_find(keep[i].from, keep[i].to);
        *e = keep[i];
        nedges++;
    }
}

#define CHAIN_MAX 6   /* longest order cycle looked for (locks) */

/* An order cycle found when taking b while holding a: the orders recorded before
 * that lead from b back to a (one edge: a direct inversion). */
struct inversion {
    const void *a_obj, *b_obj;   /* held a, taking b */
    int hops;
    struct {
        const void *from_obj, *to_obj;
        char who[WHO_MAX];
    } chain[CHAIN_MAX];
};

/* A path of at least two recorded orders from `from` to `target` (depth-first,
 * at most CHAIN_MAX edges, each lock visited once). Under `tables`. */
static bool order_path(const void *from, const void *target, int depth, struct edge **path,
                       int *len, const void **seen, int *nseen)
{
    if (depth == CHAIN_MAX) return false;
    for (size_t i = 0; i < NEDGES; i++) {
        struct edge *e = &edges[i];
        if (e->from != from) continue;
        if (e->to == target) {
            if (depth == 0) continue; /* the direct inversion is reported as such */
            path[depth] = e;
            *len = depth + 1;
            return true;
        }
        bool visited = false;
        for (int k = 0; k < *nseen; k++)
            if (seen[k] == e->to) visited = true;
        if (visited || *nseen == 64) continue;
        seen[(*nseen)++] = e->to;
        path[depth] = e;
        if (order_path(e->to, target, depth + 1, path, len, seen, nseen)) return true;
    }
    return false;
}

/* Record held -> lock for every held lock; collect the inversions to report. */
static int order_check(const weft_lock *lock, const void *obj, struct inversion *inv, int max,
                       const char *me_who, weft__tid me)
{
    int n = 0;
    tables_lock();
    for (int i = 0; i < tl.n; i++) {
        const weft_lock *a = tl.h[i].lock;
        if (a == lock) continue;
        struct edge *e = edge_find(a, lock);
        bool added = false;
        if (e && e->from == NULL && nedges < NEDGES * 3 / 4) {
            *e = (struct edge){ a, lock, tl.h[i].obj, obj, me, { 0 }, false };
            snprintf(e->who, sizeof e->who, "%s", me_who);
            nedges++;
            added = true;
        }
        if (n == max) continue;
        struct edge *r = edge_find(lock, a);
        if (r && r->from != NULL) {
            /* direct inversion: b -> a was seen before */
            if (r->reported) continue;
            r->reported = true;
            if (e && e->from != NULL) e->reported = true;
            inv[n].a_obj = tl.h[i].obj;
            inv[n].b_obj = obj;
            inv[n].hops = 1;
            inv[n].chain[0].from_obj = r->from_obj;
            inv[n].chain[0].to_obj = r->to_obj;
            snprintf(inv[n].chain[0].who, sizeof inv[n].chain[0].who, "%s", r->who);
            n++;
        } else if (added) {
            /* a new order: does a path of earlier orders lead from b back to a?
             * Looked for once, when the order is first seen, so reported once. */
            struct edge *path[CHAIN_MAX];
            const void *seen[64];
            int len = 0, nseen = 0;
            if (order_path(lock, a, 0, path, &len, seen, &nseen)) {
                e->reported = true;
                inv[n].a_obj = tl.h[i].obj;
                inv[n].b_obj = obj;
                inv[n].hops = len;
                for (int k = 0; k < len; k++) {
                    inv[n].chain[k].from_obj = path[k]->from_obj;
                    inv[n].chain[k].to_obj = path[k]->to_obj;
                    snprintf(inv[n].chain[k].who, sizeof inv[n].chain[k].who, "%s", path[k]->who);
                }
                n++;
            }
        }
    }
    tables_unlock();
    return n;
}

static void report_inversion(const struct inversion *v, const char *me_who)
{
    char a[WEFT_DEBUG_NAME_MAX + 40], b[WEFT_DEBUG_NAME_MAX + 40];
    char x[WEFT_DEBUG_NAME_MAX + 40], y[WEFT_DEBUG_NAME_MAX + 40];
    char text[4096];
    size_t off = 0;
    weft__describe_obj(v->a_obj, a, sizeof a);
    weft__describe_obj(v->b_obj, b, sizeof b);
    if (v->hops == 1)
        off += (size_t)snprintf(text, sizeof text,
                                "weft: lock-order inversion between %s and %s (this can deadlock)\n",
                                a, b);
    else
        off += (size_t)snprintf(text, sizeof text,
                                "weft: lock-order cycle through %d locks, from %s to %s and back "
                                "(this can deadlock)\n", v->hops + 1, a, b);
    off += (size_t)snprintf(text + off, sizeof text - off, "  %s takes %s while holding %s\n",
                            me_who, b, a);
    for (int k = 0; k < v->hops && off < sizeof text; k++) {
        weft__describe_obj(v->chain[k].to_obj, x, sizeof x);
        weft__describe_obj(v->chain[k].from_obj, y, sizeof y);
        off += (size_t)snprintf(text + off, sizeof text - off,
                                "  %s took %s while holding %s (first time that order was seen)\n",
                                v->chain[k].who, x, y);
    }
    weft__report(text);
}

/* ---- environment and switches ---- */

static bool env_on(const char *name)
{
    const char *v = getenv(name);
    return v && v[0] && strcmp(v, "0") != 0;
}

static void update_stats_flag(void)
{
    atomic_store_explicit(&weft__lockdbg_used, 1, memory_order_relaxed);
    if (atomic_load_explicit(&stats_all, memory_order_relaxed) ||
        atomic_load_explicit(&stats_some, memory_order_relaxed) > 0)
        atomic_fetch_or_explicit(&weft__lockdbg_flags, WEFT__LOCKDBG_STATS, memory_order_relaxed);
    else
        atomic_fetch_and_explicit(&weft__lockdbg_flags, ~WEFT__LOCKDBG_STATS, memory_order_relaxed);
}

static void set_order(bool on)
{
    if (on) {
        atomic_store_explicit(&weft__lockdbg_used, 1, memory_order_relaxed);
        atomic_fetch_add_explicit(&order_epoch, 1, memory_order_relaxed);
        atomic_fetch_or_explicit(&weft__lockdbg_flags, WEFT__LOCKDBG_ORDER, memory_order_relaxed);
    } else {
        atomic_fetch_and_explicit(&weft__lockdbg_flags, ~WEFT__LOCKDBG_ORDER, memory_order_relaxed);
    }
}

/* Read the environment once (whoever clears UNREAD first applies it). */
static void read_env(void)
{
    if (!(atomic_load_explicit(&weft__lockdbg_flags, memory_order_acquire) & WEFT__LOCKDBG_UNREAD))
        return;
    static _Atomic int claimed;
    /* helgrind/drd: these are only ever accessed atomically. */
    WEFT__BENIGN_WORD(&weft__lockdbg_flags, sizeof weft__lockdbg_flags);
    WEFT__BENIGN_WORD(&weft__lockdbg_used, sizeof weft__lockdbg_used);
    WEFT__BENIGN_WORD(ents, sizeof ents);
    WEFT__BENIGN_WORD(&stats_all, sizeof stats_all);
    WEFT__BENIGN_WORD(&stats_some, sizeof stats_some);
    WEFT__BENIGN_WORD(&order_epoch, sizeof order_epoch);
    if (atomic_exchange_explicit(&claimed, 1, memory_order_acq_rel) == 0) {
        if (env_on("WEFT_LOCK_ORDER")) set_order(true);
        if (env_on("WEFT_LOCK_STATS")) {
            atomic_store_explicit(&stats_all, 1, memory_order_relaxed);
            update_stats_flag();
        }
        atomic_fetch_and_explicit(&weft__lockdbg_flags, ~WEFT__LOCKDBG_UNREAD,
                                  memory_order_release);
        return;
    }
    /* Another thread is reading it: wait the few instructions it takes. */
    while (atomic_load_explicit(&weft__lockdbg_flags, memory_order_acquire) & WEFT__LOCKDBG_UNREAD) {
    }
}

/* ---- the instrumented acquire and release ---- */

int weft__lockdbg_acquire(weft_lock *lock, bool blocking, double timeout, enum weft__wk kind,
                          const void *obj)
{
    int slow = 0;
    if (tl.busy) return weft__lock_acquire_raw(lock, blocking, timeout, kind, obj, &slow);
    tl.busy = 1;
    read_env();
    uint32_t f = atomic_load_explicit(&weft__lockdbg_flags, memory_order_relaxed);

    struct ent *e = NULL;
    bool timed = false;
    if (f & (WEFT__LOCKDBG_ORDER | WEFT__LOCKDBG_STATS)) {
        bool all = atomic_load_explicit(&stats_all, memory_order_relaxed);
        e = ent_get(lock, all || (f & WEFT__LOCKDBG_ORDER));
        timed = (f & WEFT__LOCKDBG_STATS) && e &&
                (all || atomic_load_explicit(&e->enabled, memory_order_relaxed));
    }

    if (f & WEFT__LOCKDBG_ORDER) {
        held_refresh();
        /* A non-blocking or poll acquire cannot wait, so it cannot deadlock: it
         * records no order (the lock is still pushed when taken, so what is
         * taken under it is ordered after it). */
        bool may_wait = blocking && timeout != 0.0;
        if (tl.n > 0 && may_wait) {
            struct inversion inv[4];
            char me_who[WHO_MAX];
            weft__tid me = weft__me();
            weft__describe_tid(me, me_who, sizeof me_who);
            int n = order_check(lock, obj, inv, 4, me_who, me);
            for (int i = 0; i < n; i++) report_inversion(&inv[i], me_who);
        }
    }

    /* Still busy while waiting: a lock taken by a report hook the detector calls
     * goes straight to the raw paths. */
    weft__ns t0 = timed ? weft__now() : 0;
    int rc = weft__lock_acquire_raw(lock, blocking, timeout, kind, obj, &slow);
    if (rc == WEFT_OK) {
        if (timed) {
            weft__ns t1 = weft__now();
            atomic_fetch_add_explicit(&e->acq, 1, memory_order_relaxed);
            if (slow) {
                atomic_fetch_add_explicit(&e->contended, 1, memory_order_relaxed);
                atomic_fetch_add_explicit(&e->wait_total, t1 - t0, memory_order_relaxed);
                max_store(&e->wait_max, t1 - t0);
            }
            atomic_store_explicit(&e->hold_start, t1, memory_order_relaxed);
        }
        if (f & WEFT__LOCKDBG_ORDER) held_push(lock, obj, e);
    }
    tl.busy = 0;
    return rc;
}

int weft__lockdbg_release(weft_lock *lock)
{
    if (tl.busy) return weft__lock_release_raw(lock);
    tl.busy = 1;
    read_env();
    uint32_t f = atomic_load_explicit(&weft__lockdbg_flags, memory_order_relaxed);
    /* Only a locked lock is released; an unlocked one returns WEFT_EPERM below and
     * nothing here may change either. */
    if (weft_lock_locked(lock)) {
        struct ent *e = (f & (WEFT__LOCKDBG_ORDER | WEFT__LOCKDBG_STATS)) ? ent_get(lock, false) : NULL;
        if (e) {
            int64_t start = atomic_exchange_explicit(&e->hold_start, 0, memory_order_relaxed);
            if (start) max_store(&e->hold_max, weft__now() - start);
        }
        if (f & WEFT__LOCKDBG_ORDER) held_pop(lock);
        /* Before the release: whoever takes the lock next pushes the new count,
         * while the thread we release it for (if it is not us) sees its entry
         * change and drops it. */
        if (e) atomic_fetch_add_explicit(&e->releases, 1, memory_order_relaxed);
        int rc = weft__lock_release_raw(lock);
        tl.busy = 0;
        return rc;
    }
    tl.busy = 0;
    return weft__lock_release_raw(lock);
}

void weft__lockdbg_forget(const weft_lock *lock)
{
    struct ent *e = ent_get(lock, false);
    if (e) {
        if (atomic_exchange_explicit(&e->enabled, 0, memory_order_relaxed)) {
            atomic_fetch_sub_explicit(&stats_some, 1, memory_order_relaxed);
            update_stats_flag();
        }
        atomic_store_explicit(&e->acq, 0, memory_order_relaxed);
        atomic_store_explicit(&e->contended, 0, memory_order_relaxed);
        atomic_store_explicit(&e->wait_total, 0, memory_order_relaxed);
        atomic_store_explicit(&e->wait_max, 0, memory_order_relaxed);
        atomic_store_explicit(&e->hold_max, 0, memory_order_relaxed);
        atomic_store_explicit(&e->hold_start, 0, memory_order_relaxed);
        atomic_fetch_add_explicit(&e->releases, 1, memory_order_relaxed);
    }
    /* Also while the checker is off: the orders seen stay remembered. */
    tables_lock();
    edges_forget(lock);
    tables_unlock();
}

void weft__lockdbg_reinit(const weft_lock *lock)
{
    struct ent *e = ent_get(lock, false);
    if (!e) return;
    /* counts as a release: held entries pushed before it become stale */
    atomic_store_explicit(&e->hold_start, 0, memory_order_relaxed);
    atomic_fetch_add_explicit(&e->releases, 1, memory_order_relaxed);
}

/* ---- public API ---- */

int weft_debug_lock_order(bool on)
{
    read_env();
    set_order(on);
    return WEFT_OK;
}

int weft_debug_stats_enable(const void *obj, bool on)
{
    read_env();
    if (!obj) {
        atomic_store_explicit(&stats_all, on ? 1 : 0, memory_order_relaxed);
        if (!on) {
            for (size_t i = 0; i < NENTS; i++)
                if (atomic_exchange_explicit(&ents[i].enabled, 0, memory_order_relaxed))
                    atomic_fetch_sub_explicit(&stats_some, 1, memory_order_relaxed);
        }
        update_stats_flag();
        return WEFT_OK;
    }
    struct ent *e = ent_get(obj, on);
    if (!e) return on ? WEFT_ENOMEM : WEFT_OK;
    int was = atomic_exchange_explicit(&e->enabled, on ? 1 : 0, memory_order_relaxed);
    if (on && !was) atomic_fetch_add_explicit(&stats_some, 1, memory_order_relaxed);
    if (!on && was) atomic_fetch_sub_explicit(&stats_some, 1, memory_order_relaxed);
    update_stats_flag();
    return WEFT_OK;
}

static void fill(const struct ent *e, weft_lock_stats *out)
{
    out->acquisitions = atomic_load_explicit(&e->acq, memory_order_relaxed);
    out->contended = atomic_load_explicit(&e->contended, memory_order_relaxed);
    out->total_wait = (double)atomic_load_explicit(&e->wait_total, memory_order_relaxed) / 1e9;
    out->max_wait = (double)atomic_load_explicit(&e->wait_max, memory_order_relaxed) / 1e9;
    out->max_hold = (double)atomic_load_explicit(&e->hold_max, memory_order_relaxed) / 1e9;
}

int weft_debug_stats_get(const void *obj, weft_lock_stats *out)
{
    if (!obj || !out) return WEFT_EINVAL;
    struct ent *e = ent_get(obj, false);
    if (!e || (!atomic_load_explicit(&e->enabled, memory_order_relaxed) &&
               atomic_load_explicit(&e->acq, memory_order_relaxed) == 0))
        return WEFT_EEMPTY;
    fill(e, out);
    return WEFT_OK;
}

struct row {
    const void *obj;
    weft_lock_stats s;
};

static int by_contention(const void *x, const void *y)
{
    const struct row *a = x, *b = y;
    if (a->s.contended != b->s.contended) return a->s.contended < b->s.contended ? 1 : -1;
    if (a->s.total_wait != b->s.total_wait) return a->s.total_wait < b->s.total_wait ? 1 : -1;
    if (a->s.acquisitions != b->s.acquisitions)
        return a->s.acquisitions < b->s.acquisitions ? 1 : -1;
    return 0;
}

int weft_debug_stats_report(FILE *out)
{
    if (!out) return WEFT_EINVAL;
    size_t n = 0;
    for (size_t i = 0; i < NENTS; i++)
        if (atomic_load_explicit(&ents[i].key, memory_order_acquire) &&
            atomic_load_explicit(&ents[i].acq, memory_order_relaxed))
            n++;
    struct row *rows = n ? malloc(n * sizeof *rows) : NULL;
    size_t m = 0;
    for (size_t i = 0; i < NENTS && rows && m < n; i++) {
        const void *k = atomic_load_explicit(&ents[i].key, memory_order_acquire);
        if (!k || !atomic_load_explicit(&ents[i].acq, memory_order_relaxed)) continue;
        rows[m].obj = k;
        fill(&ents[i], &rows[m].s);
        m++;
    }
    if (rows) qsort(rows, m, sizeof *rows, by_contention);
    fprintf(out, "weft lock statistics: %zu lock%s (most contended first)\n", m, m == 1 ? "" : "s");
    for (size_t i = 0; i < m; i++) {
        char name[WEFT_DEBUG_NAME_MAX + 40];
        weft__describe_obj(rows[i].obj, name, sizeof name);
        const weft_lock_stats *s = &rows[i].s;
        fprintf(out,
                "  %s: %llu acquisitions, %llu contended (%.1f%%), wait total %.6f s, "
                "max %.6f s, max hold %.6f s\n",
                name, (unsigned long long)s->acquisitions, (unsigned long long)s->contended,
                s->acquisitions ? 100.0 * (double)s->contended / (double)s->acquisitions : 0.0,
                s->total_wait, s->max_wait, s->max_hold);
    }
    free(rows);
    return WEFT_OK;
}
