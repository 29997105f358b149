/* SPDX-License-Identifier: MIT */
/* wait_futures.c: Python's concurrent.futures.wait and as_completed.
 *
 * Design
 * ------
 * CPython's waiter design. A waiter (struct weft__waiter, on the caller's stack
 * for wait, in the iterator for as_completed) has its own weft_lock, a
 * weft_condition over it, and one link node per distinct future. Installing:
 * for each future, under the future's lock, either the future is already done
 * (CANCELLED_AND_NOTIFIED or FINISHED: recorded at once) or the link is put on
 * the future's waiter list. Both happen under the future's lock, and every
 * notifying transition (set_result, set_exception, set_running_or_notify_cancel)
 * walks that list under the same lock, so each future is recorded exactly once:
 * either at install or by its transition. Unlike CPython, the futures' locks are
 * taken one at a time, not all at once; the outcome is the same because each
 * future's check and install are atomic with respect to its own transitions.
 *
 * Lock order: future lock -> waiter lock (notify runs under the future's lock
 * and takes the waiter's). The waiting thread holds only the waiter lock while
 * it sleeps and never takes a future's lock while holding the waiter's.
 *
 * No lost wakeup: a notification changes the waiter's counters under the
 * waiter's lock and calls notify_all if the waiting thread announced (under that
 * lock) that it sleeps; the waiting thread evaluates its condition and starts
 * weft_condition_wait in one hold of the lock, and the condition releases the
 * lock atomically with enqueueing it.
 *
 * Removal: the waiting thread unlinks each link under the future's lock, after
 * which no transition can reach the waiter; only then is the waiter freed or
 * its stack frame left.
 *
 * Debugging: a wait that may sleep records WEFT__WK_WAIT_FUTURES (obj: the first
 * future of the set that the caller still holds; internal/debug.h) for the dump.
 * It is not a deadlock-graph edge (waiting for any one of several futures), so
 * no detection loop runs here.
 */
#include <stdlib.h>
#include <string.h>

#include "internal/alloc.h"
#include "internal/clock.h"
#include "internal/debug.h"
#include "internal/future.h"

enum { MODE_FIRST_COMPLETED = WEFT_FIRST_COMPLETED, MODE_FIRST_EXCEPTION = WEFT_FIRST_EXCEPTION,
       MODE_ALL_COMPLETED = WEFT_ALL_COMPLETED, MODE_AS_COMPLETED = 4 };

struct weft__waiter {
    weft_lock lock;
    weft_condition cond;       /* over lock */
    int mode;
    long pending;              /* installed and not yet notified (guarded by lock) */
    bool got_exception;        /* a notified future finished with a failure */
    bool sleeping;             /* the owner waits on cond (guarded by lock) */
    size_t *order;             /* indices of done futures, in the order seen */
    size_t norder;             /* guarded by lock */
};

static void waiter_init(struct weft__waiter *w, int mode, size_t *order)
{
    weft_lock_init(&w->lock);
    weft_condition_init_lock(&w->cond, &w->lock);
    w->mode = mode;
    w->pending = 0;
    w->got_exception = false;
    w->sleeping = false;
    w->order = order;
    w->norder = 0;
}

static void waiter_destroy(struct weft__waiter *w)
{
    weft_condition_destroy(&w->cond);
    weft_lock_destroy(&w->lock);
}

void weft__waiter_notify(weft__wlink *link, enum weft__fevent ev)
{
    struct weft__waiter *w = link->waiter;
    weft_lock_acquire(&w->lock, true, WEFT_FOREVER);
    w->order[w->norder++] = link->index;
    w->pending--;
    if (ev == WEFT__EV_EXCEPTION) w->got_exception = true;
    /* The owner evaluates its condition under this lock before sleeping. */
    if (w->sleeping) weft_condition_notify_all(&w->cond);
    weft_lock_release(&w->lock);
}

static bool done_state(uint32_t s)
{
    return s == WEFT_FUTURE_CANCELLED_AND_NOTIFIED || s == WEFT_FUTURE_FINISHED;
}

/* Install w on future f (index i) with link l, or record f as done. Returns true
 * if it was done already; *exc says whether it finished with a failure. */
static bool install(struct weft__waiter *w, weft_future *f, size_t i, weft__wlink *l,
                    bool *exc)
{
    weft__flock(f);
    uint32_t s = atomic_load_explicit(&f->state, memory_order_relaxed);
    bool done = done_state(s);
    if (done) {
        *exc = s == WEFT_FUTURE_FINISHED && f->fail_code != 0;
        weft_lock_acquire(&w->lock, true, WEFT_FOREVER);
        w->order[w->norder++] = i;
        weft_lock_release(&w->lock);
        l->linked = false;
    } else {
        *exc = false;
        l->waiter = w;
        l->index = i;
        l->prev = NULL;
        l->next = f->waiters;
        if (f->waiters) f->waiters->prev = l;
        f->waiters = l;
        l->linked = true;
        weft_lock_acquire(&w->lock, true, WEFT_FOREVER);
        w->pending++;
        weft_lock_release(&w->lock);
    }
    weft__funlock(f);
    return done;
}

static void uninstall(weft_future *f, weft__wlink *l)
{
    if (!l->linked) return;
    weft__flock(f);
    if (l->prev) l->prev->next = l->next;
    else f->waiters = l->next;
    if (l->next) l->next->prev = l->prev;
    weft__funlock(f);
    l->linked = false;
}

/* Distinct futures of fs in input order, into uniq (n slots); returns how many.
 * Returns (size_t)-1 on a NULL entry or out of memory (*rc says which). */
static int cmp_ptr_idx(const void *a, const void *b)
{
    const struct { uintptr_t p; size_t i; } *x = a, *y = b;
    if (x->p != y->p) return x->p < y->p ? -1 : 1;
    return x->i < y->i ? -1 : (x->i > y->i);
}

static int distinct(weft_future *const *fs, size_t n, weft_future **uniq, size_t *nu)
{
    struct pi { uintptr_t p; size_t i; };
    for (size_t i = 0; i < n; i++)
        if (!fs[i]) return WEFT_EINVAL;
    if (n <= 1) {
        if (n) uniq[0] = fs[0];
        *nu = n;
        return WEFT_OK;
    }
    struct pi *v = weft__malloc(n * sizeof *v);
    unsigned char *keep = weft__malloc(n);
    if (!v || !keep) {
        free(v);
        free(keep);
        return WEFT_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        v[i].p = (uintptr_t)fs[i];
        v[i].i = i;
        keep[i] = 0;
    }
    qsort(v, n, sizeof *v, cmp_ptr_idx);
    for (size_t k = 0; k < n; k++)
        if (k == 0 || v[k].p != v[k - 1].p) keep[v[k].i] = 1;
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (keep[i]) uniq[m++] = fs[i];
    free(v);
    free(keep);
    *nu = m;
    return WEFT_OK;
}

/* ---- wait ------------------------------------------------------------------ */

static bool wait_satisfied(const struct weft__waiter *w, bool initial_exc)
{
    switch (w->mode) {
    case MODE_FIRST_COMPLETED: return w->norder > 0;
    case MODE_FIRST_EXCEPTION: return initial_exc || w->got_exception || w->pending == 0;
    default: return w->pending == 0;
    }
}

int weft_futures_wait(weft_future *const *fs, size_t n, double timeout, int return_when,
                      weft_future **done, size_t *ndone, weft_future **not_done,
                      size_t *nnot_done)
{
    if (!fs && n > 0) return WEFT_EINVAL;
    if (return_when != WEFT_FIRST_COMPLETED && return_when != WEFT_FIRST_EXCEPTION &&
        return_when != WEFT_ALL_COMPLETED)
        return WEFT_EINVAL;
    enum weft__tclass tc = weft__timeout_class(timeout);
    if (tc == WEFT__T_TOO_BIG) return WEFT_EOVERFLOW;
    weft__ns deadline = tc == WEFT__T_FOREVER   ? WEFT__NS_FOREVER
                        : tc == WEFT__T_POSITIVE ? weft__deadline_after(timeout)
                                                 : 0;
    if (n == 0) {
        if (ndone) *ndone = 0;
        if (nnot_done) *nnot_done = 0;
        return WEFT_OK;
    }
    for (size_t i = 0; i < n; i++)
        if (!fs[i]) return WEFT_EINVAL;

    /* One allocation: distinct futures, links, the done order, done flags. */
    size_t bytes = n * (sizeof(weft_future *) + sizeof(weft__wlink) + sizeof(size_t) + 1);
    char *mem = weft__malloc(bytes);
    if (!mem) return WEFT_ENOMEM;
    weft_future **uniq = (weft_future **)mem;
    weft__wlink *links = (weft__wlink *)(uniq + n);
    size_t *order = (size_t *)(links + n);
    unsigned char *isdone = (unsigned char *)(order + n);
    size_t nu;
    int rc = distinct(fs, n, uniq, &nu);
    if (rc) {
        free(mem);
        return rc;
    }

    struct weft__waiter w;
    waiter_init(&w, return_when, order);
    bool initial_exc = false;
    for (size_t i = 0; i < nu; i++) {
        bool exc;
        if (install(&w, uniq[i], i, &links[i], &exc) && exc) initial_exc = true;
    }

    int tok = 0;
    bool recorded = false;   /* the wait record is begun just before the first sleep */
    weft_lock_acquire(&w.lock, true, WEFT_FOREVER);
    while (!wait_satisfied(&w, initial_exc)) {
        if (deadline != WEFT__NS_FOREVER && weft__expired(deadline)) break;
        double left = deadline == WEFT__NS_FOREVER ? WEFT_FOREVER : weft__remaining(deadline);
        if (deadline != WEFT__NS_FOREVER && !(left > 0)) break;
        if (!recorded) {
            tok = weft__rec_begin(WEFT__WK_WAIT_FUTURES, uniq[0], deadline);
            recorded = true;
        }
        w.sleeping = true;
        int wr = weft_condition_wait(&w.cond, left);
        w.sleeping = false;
        if (wr == WEFT_ETIMEDOUT) break;
    }
    weft_lock_release(&w.lock);
    if (recorded) weft__rec_end(tok);

    for (size_t i = 0; i < nu; i++) uninstall(uniq[i], &links[i]);
    /* No transition can reach w now: read its record without races. */
    memset(isdone, 0, nu);
    weft_lock_acquire(&w.lock, true, WEFT_FOREVER);
    for (size_t k = 0; k < w.norder; k++) isdone[w.order[k]] = 1;
    weft_lock_release(&w.lock);
    waiter_destroy(&w);

    size_t nd = 0, nn = 0;
    for (size_t i = 0; i < nu; i++) {
        if (isdone[i]) {
            if (done) done[nd] = uniq[i];
            nd++;
        } else {
            if (not_done) not_done[nn] = uniq[i];
            nn++;
        }
    }
    if (ndone) *ndone = nd;
    if (nnot_done) *nnot_done = nn;
    free(mem);
    return WEFT_OK;
}

/* ---- as_completed ------------------------------------------------------------ */

struct weft_as_completed {
    struct weft__waiter w;
    weft_future **fs;          /* distinct futures; a reference each until yielded */
    weft__wlink *links;
    size_t *order;
    unsigned char *yielded;
    size_t n;
    size_t head;               /* next index of w.order to yield (owner only) */
    size_t nyielded;
    double timeout;
    weft__ns deadline;
    bool started;
};

int weft_as_completed_create(weft_as_completed **out, weft_future *const *fs, size_t n,
                             double timeout)
{
    if (!out || (!fs && n > 0)) return WEFT_EINVAL;
    enum weft__tclass tc = weft__timeout_class(timeout);
    if (tc == WEFT__T_TOO_BIG) return WEFT_EOVERFLOW;
    for (size_t i = 0; i < n; i++)
        if (!fs[i]) return WEFT_EINVAL;
    size_t m = n ? n : 1;
    weft_as_completed *it = weft__malloc(sizeof *it);
    char *mem = weft__malloc(m * (sizeof(weft_future *) + sizeof(weft__wlink) + sizeof(size_t) + 1));
    if (!it || !mem) {
        free(it);
        free(mem);
        return WEFT_ENOMEM;
    }
    it->fs = (weft_future **)mem;
    it->links = (weft__wlink *)(it->fs + m);
    it->order = (size_t *)(it->links + m);
    it->yielded = (unsigned char *)(it->order + m);
    int rc = distinct(fs, n, it->fs, &it->n);
    if (rc) {
        free(it);
        free(mem);
        return rc;
    }
    for (size_t i = 0; i < it->n; i++) {
        weft_future_ref(it->fs[i]);
        it->links[i].linked = false;
        it->yielded[i] = 0;
    }
    waiter_init(&it->w, MODE_AS_COMPLETED, it->order);
    it->head = 0;
    it->nyielded = 0;
    it->timeout = timeout;
    it->deadline = WEFT__NS_FOREVER;
    it->started = false;
    *out = it;
    return WEFT_OK;
}

int weft_as_completed_next(weft_as_completed *it, weft_future **out)
{
    if (!it || !out) return WEFT_EINVAL;
    if (!it->started) {
        it->started = true;
        enum weft__tclass tc = weft__timeout_class(it->timeout);
        it->deadline = tc == WEFT__T_FOREVER   ? WEFT__NS_FOREVER
                       : tc == WEFT__T_POSITIVE ? weft__deadline_after(it->timeout)
                                                : weft__now();
        for (size_t i = 0; i < it->n; i++) {
            bool exc;
            install(&it->w, it->fs[i], i, &it->links[i], &exc);
        }
    }
    if (it->nyielded == it->n) {
        *out = NULL;
        return WEFT_OK;
    }
    int tok = 0;
    bool recorded = false;   /* the wait record is begun just before the first sleep */
    weft_lock_acquire(&it->w.lock, true, WEFT_FOREVER);
    while (it->head == it->w.norder) {
        if (!recorded) {
            recorded = true;
            size_t first = 0;   /* the first future not yet yielded: the iterator holds it */
            while (it->yielded[first]) first++;
            tok = weft__rec_begin(WEFT__WK_WAIT_FUTURES, it->fs[first], it->deadline);
        }
        if (it->deadline != WEFT__NS_FOREVER) {
            double left = weft__remaining(it->deadline);
            if (!(left > 0)) {
                weft_lock_release(&it->w.lock);
                weft__rec_end(tok);   /* recorded: begun above */
                return WEFT_ETIMEDOUT;
            }
            it->w.sleeping = true;
            weft_condition_wait(&it->w.cond, left);
            it->w.sleeping = false;
        } else {
            it->w.sleeping = true;
            weft_condition_wait(&it->w.cond, WEFT_FOREVER);
            it->w.sleeping = false;
        }
    }
    size_t i = it->order[it->head++];
    weft_lock_release(&it->w.lock);
    if (recorded) weft__rec_end(tok);
    weft_future *f = it->fs[i];
    uninstall(f, &it->links[i]);
    it->yielded[i] = 1;
    it->nyielded++;
    *out = f;
    /* Not retained after it is yielded (Python); the caller holds its own. */
    weft_future_unref(f);
    return WEFT_OK;
}

size_t weft_as_completed_pending(const weft_as_completed *it)
{
    return it ? it->n - it->nyielded : 0;
}

void weft_as_completed_destroy(weft_as_completed *it)
{
    if (!it) return;
    for (size_t i = 0; i < it->n; i++) {
        if (it->yielded[i]) continue;
        uninstall(it->fs[i], &it->links[i]);
        weft_future_unref(it->fs[i]);
    }
    waiter_destroy(&it->w);
    weft__name_forget(it);
    free(it->fs);
    free(it);
}
