/* SPDX-License-Identifier: MIT */
/* future.c: Python's concurrent.futures.Future.
 *
 * Design
 * ------
 * State word (enum weft_future_state): PENDING -> RUNNING, PENDING -> CANCELLED,
 * CANCELLED -> CANCELLED_AND_NOTIFIED, PENDING|RUNNING -> FINISHED; no other
 * transition (Python's _base.Future). Every transition happens with the future's
 * stripe lock held (internal/future.h: 64 lock + condition pairs, picked
 * by address, so a future is 80 bytes instead of carrying a lock and a condition),
 * so transitions are serialised and a waiter installed under the lock either sees
 * the final state or is on the list the transition walks. "The lock" below is
 * the stripe lock.
 *
 * Lock-free readers. result(), done(), ... first read the state with acquire
 * order. The completer writes result / fail_code / fail_msg before the release
 * store of FINISHED (under the lock), so a reader that sees FINISHED without the
 * lock also sees the outcome. That makes result() on a done future two loads.
 *
 * Waking. result()/exception() waiters sleep on the state word itself
 * (internal/wait.h), so the wait record of a sleeping waiter is its
 * WEFT__WK_FUTURE record (nothing nested inside it) and the deadlock detector
 * sees the edge from any thread. A waiter counts itself in f->nwaiting inside one
 * hold of the stripe lock; every transition to a done state stores the state
 * (release) under the lock and then, in the same hold, wakes all sleepers on the
 * word if nwaiting > 0. No lost wakeup: a transition whose hold comes after the
 * waiter's sees its count and wakes; one whose hold comes before is seen by the
 * waiter's next load of the state (the lock orders them); and weft__wait(&state,
 * s) sleeps only while the word still holds the value s the waiter last saw, so a
 * transition between that load and the sleep makes it return at once. The
 * PENDING -> RUNNING store wakes nobody (a waiter sleeping on PENDING sleeps on).
 * The waiter decrements nwaiting without the lock: a stale non-zero only costs a
 * transition a wake with nobody to wake. Installed wait()/as_completed() waiters are
 * told under the lock too (weft__waiter_notify), only by set_result,
 * set_exception and set_running_or_notify_cancel (never by cancel), as in Python.
 *
 * Callbacks are detached from the future under the lock by the transition that
 * makes it done (cancel, set_result, set_exception) and run after the lock is
 * dropped, in registration order; add_done_callback on a done future runs the
 * callback at once. So each callback runs exactly once. A callback's failure
 * (weft_fail) is taken after it returns and printed to stderr, and a failure the
 * calling thread had recorded before is put back afterwards.
 *
 * Lifetime: refs counts owners; the last unref frees (and calls the result
 * destructor). The caller of a transition holds a reference, so callbacks can
 * run after the lock is released.
 *
 * Debugging (internal/debug.h). A result()/exception() wait that may sleep
 * records WEFT__WK_FUTURE (obj: the future). Without a timeout it also runs the
 * deadlock-detection loop; the waiter holds no lock while it checks or sleeps. The detector follows a future to the threads that
 * must run for it to finish with weft__future_blockers (below), which reads only
 * atomics of the future and of its pool's debug block and takes no lock: the
 * detector may call it from a thread that holds any weft lock.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal/alloc.h"
#include "internal/annotate.h"
#include "internal/clock.h"
#include "internal/debug.h"
#include "internal/failure.h"
#include "internal/future.h"
#include "internal/os.h"
#include "internal/wait.h"
#include "weft/thread.h"

struct weft__fstripe weft__fstripes[WEFT__FSTRIPES];

static void reset_stripes(void)
{
    for (int i = 0; i < WEFT__FSTRIPES; i++) weft_lock_init(&weft__fstripes[i].lock);
}

/* Initialise the stripe locks before main() (priority after the thread
 * registry's 101). In a child of fork() the stripes are reset: a stripe
 * lock held by a parent thread that does not exist in the child would otherwise
 * block every future of that stripe forever (CPython re-creates its global
 * shutdown lock after fork for the same reason). Waiters of the parent's other
 * threads do not exist in the child either, so dropping them is right. */
__attribute__((constructor(102))) static void init_stripes(void)
{
    reset_stripes();
    (void)weft__os_atfork(NULL, NULL, reset_stripes);
}

/* Iterations result()/exception() re-read the state before sleeping (a pause
 * each, 40-75 ns on the test machine): docs/design/futures.md. */
#ifndef RESULT_SPIN
#define RESULT_SPIN 100
#endif

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

static char *dup_str(const char *s)
{
    if (!s) s = "";
    size_t n = strlen(s) + 1;
    char *p = weft__malloc(n);
    if (p) memcpy(p, s, n);
    return p;
}

static bool state_done(uint32_t s)
{
    return s == WEFT_FUTURE_CANCELLED || s == WEFT_FUTURE_CANCELLED_AND_NOTIFIED ||
           s == WEFT_FUTURE_FINISHED;
}

static bool state_cancelled(uint32_t s)
{
    return s == WEFT_FUTURE_CANCELLED || s == WEFT_FUTURE_CANCELLED_AND_NOTIFIED;
}

static uint32_t load_state(const weft_future *f)
{
    return atomic_load_explicit(&((weft_future *)f)->state, memory_order_acquire);
}

weft_future *weft__future_new(uint32_t refs)
{
    weft_future *f = weft__malloc(sizeof *f);
    if (!f) return NULL;
    atomic_init(&f->state, WEFT_FUTURE_PENDING);
    atomic_init(&f->refs, refs);
    /* Only ever accessed atomically (lock-free readers of state, refcount). */
    WEFT__BENIGN_WORD(&f->state, sizeof f->state);
    WEFT__BENIGN_WORD(&f->refs, sizeof f->refs);
    atomic_init(&f->runner, 0);
    WEFT__BENIGN_WORD(&f->runner, sizeof f->runner);
    atomic_init(&f->pool, NULL);
    WEFT__BENIGN_WORD(&f->pool, sizeof f->pool);
    atomic_init(&f->nwaiting, 0);
    WEFT__BENIGN_WORD(&f->nwaiting, sizeof f->nwaiting);
    f->result = NULL;
    f->fail_code = 0;
    f->fail_msg = NULL;
    f->dtor = NULL;
    f->cbs = NULL;
    f->waiters = NULL;
    f->fn = NULL;
    f->arg = NULL;
    f->next = NULL;
    return f;
}

int weft_future_create(weft_future **out)
{
    if (!out) return WEFT_EINVAL;
    weft_future *f = weft__future_new(1);
    if (!f) return WEFT_ENOMEM;
    *out = f;
    return WEFT_OK;
}

weft_future *weft_future_ref(weft_future *f)
{
    if (f) atomic_fetch_add_explicit(&f->refs, 1, memory_order_relaxed);
    return f;
}

void weft_future_unref(weft_future *f)
{
    if (!f) return;
    /* acq_rel: every owner's writes happen before the free by the last one. */
    WEFT__HAPPENS_BEFORE(&f->refs);
    if (atomic_fetch_sub_explicit(&f->refs, 1, memory_order_acq_rel) != 1) return;
    WEFT__HAPPENS_AFTER(&f->refs);
    if (f->dtor && atomic_load_explicit(&f->state, memory_order_relaxed) ==
                       WEFT_FUTURE_FINISHED && f->fail_code == 0)
        f->dtor(f->result);
    free(f->fail_msg);
    for (weft__cb *c = f->cbs, *n; c; c = n) {
        n = c->next;
        free(c);
    }
    struct weft__pool_dbg *pd = atomic_load_explicit(&f->pool, memory_order_relaxed);
    if (pd) weft__pool_dbg_unref(pd);
    weft__name_forget(f);
    free(f);
}

void weft__pool_dbg_unref(struct weft__pool_dbg *pd)
{
    WEFT__HAPPENS_BEFORE(&pd->refs);
    if (atomic_fetch_sub_explicit(&pd->refs, 1, memory_order_acq_rel) == 1) {
        WEFT__HAPPENS_AFTER(&pd->refs);
        free(pd);
    }
}

void weft_future_destroy(weft_future *f)
{
    weft_future_unref(f);
}

int weft_future_set_result_destructor(weft_future *f, void (*dtor)(void *result))
{
    if (!f) return WEFT_EINVAL;
    weft__flock(f);
    f->dtor = dtor;
    weft__funlock(f);
    return WEFT_OK;
}

/* ---- queries ------------------------------------------------------------- */

bool weft_future_cancelled(const weft_future *f)
{
    return f && state_cancelled(load_state(f));
}

bool weft_future_running(const weft_future *f)
{
    return f && load_state(f) == WEFT_FUTURE_RUNNING;
}

bool weft_future_done(const weft_future *f)
{
    return f && state_done(load_state(f));
}

int weft_future_state(const weft_future *f)
{
    if (!f) return WEFT_EINVAL;
    return (int)load_state(f);
}

/* ---- callbacks ----------------------------------------------------------- */

void weft__report_failure(const char *header, const void *obj, int code, const char *msg)
{
    if (obj) fprintf(stderr, "%s <weft_future at %p>\n", header, obj);
    else fprintf(stderr, "%s\n", header);
    fprintf(stderr, "%s: %s\n", weft_errname(code), msg ? msg : "");
}

/* Run fn(f, ud); report its failure like Python's logger.exception. */
static void run_callback(weft_future *f, weft_future_callback fn, void *ud)
{
    fn(f, ud);
    char *msg = NULL;
    int code = weft__take_failure(&msg);
    if (code != 0) {
        weft__report_failure("exception calling callback for", f, code, msg);
        free(msg);
    }
}

/* Run a detached list of callbacks outside the lock and free the nodes. A failure
 * the calling thread recorded before is set aside and restored afterwards. */
/* model: future.pml: callbacks run after FINISHED/CANCELLED_AND_NOTIFIED is published, outside the lock */
static void run_callbacks(weft_future *f, weft__cb *list)
{
    if (!list) return;
    char *saved_msg = NULL;
    int saved = weft__take_failure(&saved_msg);
    while (list) {
        weft__cb *n = list->next;
        run_callback(f, list->fn, list->userdata);
        free(list);
        list = n;
    }
    if (saved != 0) {
        weft_fail(saved, "%s", saved_msg ? saved_msg : "");
        free(saved_msg);
    }
}

/* model: future.pml Cl (add_done_callback: under the lock, or at once if done) */
int weft_future_add_done_callback(weft_future *f, weft_future_callback fn, void *userdata)
{
    if (!f || !fn) return WEFT_EINVAL;
    weft__cb *c = weft__malloc(sizeof *c);
    if (!c) return WEFT_ENOMEM;
    c->next = NULL;
    c->fn = fn;
    c->userdata = userdata;
    weft__flock(f);
    if (!state_done(atomic_load_explicit(&f->state, memory_order_relaxed))) {
        weft__cb **pp = &f->cbs;
        while (*pp) pp = &(*pp)->next;
        *pp = c;
        weft__funlock(f);
        return WEFT_OK;
    }
    weft__funlock(f);
    free(c);
    char *saved_msg = NULL;
    int saved = weft__take_failure(&saved_msg);
    run_callback(f, fn, userdata);
    if (saved != 0) {
        weft_fail(saved, "%s", saved_msg ? saved_msg : "");
        free(saved_msg);
    }
    return WEFT_OK;
}

/* ---- transitions ---------------------------------------------------------- */

/* With the lock held: publish state s (release: the outcome fields written before
 * it are visible to lock-free readers), wake result() waiters, tell installed
 * waiters (ev != 0) and detach the callbacks (returned, to run after unlock). */
static weft__cb *transition_locked(weft_future *f, uint32_t s, int ev)
{
    WEFT__HAPPENS_BEFORE(&f->state);
    atomic_store_explicit(&f->state, s, memory_order_release);
    /* Under the lock, after the store: see "Waking" in the design block. */
    if (atomic_load_explicit(&f->nwaiting, memory_order_relaxed))
        weft__wake(&f->state, WEFT__WAKE_ALL);
    if (ev)
        for (weft__wlink *l = f->waiters; l; l = l->next)
            weft__waiter_notify(l, (enum weft__fevent)ev);
    weft__cb *list = NULL;
    if (state_done(s)) {
        list = f->cbs;
        f->cbs = NULL;
    }
    return list;
}

/* model: future.pml X (cancel: PENDING only, notify waiters) */
int weft_future_cancel(weft_future *f)
{
    if (!f) return WEFT_EINVAL;
    weft__flock(f);
    uint32_t s = atomic_load_explicit(&f->state, memory_order_relaxed);
    if (s == WEFT_FUTURE_RUNNING || s == WEFT_FUTURE_FINISHED) {
        weft__funlock(f);
        return WEFT_ESTATE;
    }
    if (state_cancelled(s)) {
        weft__funlock(f);
        return WEFT_OK;
    }
    weft__cb *list = transition_locked(f, WEFT_FUTURE_CANCELLED, 0);
    weft__funlock(f);
    run_callbacks(f, list);
    return WEFT_OK;
}

/* model: future.pml W's first block */
int weft_future_set_running_or_notify_cancel(weft_future *f)
{
    if (!f) return WEFT_EINVAL;
    weft__flock(f);
    uint32_t s = atomic_load_explicit(&f->state, memory_order_relaxed);
    int rc;
    if (s == WEFT_FUTURE_CANCELLED) {
        (void)transition_locked(f, WEFT_FUTURE_CANCELLED_AND_NOTIFIED, WEFT__EV_CANCELLED);
        rc = WEFT_ECANCELLED;
    } else if (s == WEFT_FUTURE_PENDING) {
        atomic_store_explicit(&f->state, WEFT_FUTURE_RUNNING, memory_order_release);
        rc = WEFT_OK;
    } else {
        rc = WEFT_ESTATE;
    }
    weft__funlock(f);
    return rc;
}

/* model: future.pml set_result / set_exception (W): FINISHED under the lock, then run_callbacks */
static int finish(weft_future *f, void *result, int code, char *msg)
{
    weft__flock(f);
    uint32_t s = atomic_load_explicit(&f->state, memory_order_relaxed);
    if (s != WEFT_FUTURE_PENDING && s != WEFT_FUTURE_RUNNING) {
        weft__funlock(f);
        free(msg);
        return WEFT_ESTATE;
    }
    f->result = result;
    f->fail_code = code;
    f->fail_msg = msg;
    weft__cb *list = transition_locked(f, WEFT_FUTURE_FINISHED,
                                       code ? WEFT__EV_EXCEPTION : WEFT__EV_RESULT);
    weft__funlock(f);
    run_callbacks(f, list);
    return WEFT_OK;
}

int weft_future_set_result(weft_future *f, void *result)
{
    if (!f) return WEFT_EINVAL;
    return finish(f, result, 0, NULL);
}

int weft_future_set_exception(weft_future *f, int code, const char *message)
{
    if (!f || code >= 0) return WEFT_EINVAL;
    /* Check the state first so that a refused call does not allocate. */
    uint32_t s = load_state(f);
    if (s != WEFT_FUTURE_PENDING && s != WEFT_FUTURE_RUNNING) return WEFT_ESTATE;
    return finish(f, NULL, code, dup_str(message));
}

int weft__future_fail_owned(weft_future *f, int code, char *msg)
{
    if (code >= 0) code = WEFT_EFAIL;
    return finish(f, NULL, code, msg);
}

/* ---- waiting -------------------------------------------------------------- */

/* Wait until done (Python waits once on the condition; weft's condition has no
 * spurious wakeups, and this loop only re-waits with the time left). Returns
 * the state seen, with the lock not held. */
/* model: future.pml Cl's result(): wait until done */
static int wait_done(weft_future *f, double timeout, uint32_t *state)
{
    uint32_t s = load_state(f);
    if (state_done(s)) {
        WEFT__HAPPENS_AFTER(&f->state);
        *state = s;
        return WEFT_OK;
    }
    enum weft__tclass tc = weft__timeout_class(timeout);
    if (tc == WEFT__T_TOO_BIG) return WEFT_EOVERFLOW;
    if (tc != WEFT__T_FOREVER && tc != WEFT__T_POSITIVE) {
        *state = s;
        return WEFT_OK;
    }
    /* Spin briefly first: a task that is about to finish (the common case when a
     * caller waits right after submitting a short task) is then picked up
     * without sleeping and without a futex wake by the completer. */
    for (int i = 0; i < RESULT_SPIN; i++) {
        cpu_relax();
        s = load_state(f);
        if (state_done(s)) {
            WEFT__HAPPENS_AFTER(&f->state);
            *state = s;
            return WEFT_OK;
        }
    }
    weft__ns deadline = tc == WEFT__T_FOREVER ? WEFT__NS_FOREVER : weft__deadline_after(timeout);
    int tok = weft__rec_begin(WEFT__WK_FUTURE, f, deadline);
    struct weft__dl dl;
    weft__dl_start(&dl, deadline);
    /* Count this sleeper in one hold of the stripe lock ("Waking" above). */
    weft__flock(f);
    atomic_fetch_add_explicit(&f->nwaiting, 1, memory_order_relaxed);
    weft__funlock(f);
    int rc = WEFT_OK;
    for (;;) {
        s = load_state(f);
        if (state_done(s)) break;
        weft__ns until;
        if (weft__dl_poll(&dl, deadline, &until) == WEFT_EDEADLK) {
            s = load_state(f);
            if (!state_done(s)) rc = WEFT_EDEADLK;
            break;
        }
        /* A timeout at until < deadline is the next detector check, not ours. */
        if (weft__wait(&f->state, s, until) == WEFT_ETIMEDOUT && until == deadline) {
            s = load_state(f);
            break;
        }
    }
    atomic_fetch_sub_explicit(&f->nwaiting, 1, memory_order_relaxed);
    weft__rec_end(tok);
    if (state_done(s)) WEFT__HAPPENS_AFTER(&f->state);
    *state = s;
    return rc;
}

int weft_future_result(weft_future *f, double timeout, void **out)
{
    if (!f) return WEFT_EINVAL;
    uint32_t s;
    int rc = wait_done(f, timeout, &s);
    if (rc) return rc;
    if (state_cancelled(s)) return WEFT_ECANCELLED;
    if (s != WEFT_FUTURE_FINISHED) return WEFT_ETIMEDOUT;
    if (f->fail_code) return WEFT_ETASK;
    if (out) *out = f->result;
    return WEFT_OK;
}

int weft_future_exception(weft_future *f, double timeout, int *code, const char **message)
{
    if (!f) return WEFT_EINVAL;
    uint32_t s;
    int rc = wait_done(f, timeout, &s);
    if (rc) return rc;
    if (state_cancelled(s)) return WEFT_ECANCELLED;
    if (s != WEFT_FUTURE_FINISHED) return WEFT_ETIMEDOUT;
    if (code) *code = f->fail_code;
    if (message) *message = f->fail_code ? (f->fail_msg ? f->fail_msg : "") : NULL;
    return WEFT_OK;
}

/* ---- debugging ------------------------------------------------------------- */

/* internal/debug.h. f is alive (a waiter's record names it); its pool block is
 * alive as long as f is. Relaxed/acquire loads only, no lock: see the design
 * block. Racy snapshots are fine: the detector confirms a cycle after a delay,
 * and every answer that could be transient (a worker about to pick the item up)
 * is "-1" or names workers that are really busy. */
int weft__future_blockers(const void *future, weft__tid *out, int max)
{
    weft_future *f = (weft_future *)future;
    if (!f) return -1;
    uint32_t s = atomic_load_explicit(&f->state, memory_order_acquire);
    if (s == WEFT_FUTURE_RUNNING) {
        /* The runner's id was stored before the release store of RUNNING. */
        weft__tid r = atomic_load_explicit(&f->runner, memory_order_relaxed);
        if (!r || max < 1) return -1;   /* set running by user code: anyone may finish it */
        out[0] = r;
        return 1;
    }
    if (s != WEFT_FUTURE_PENDING) return -1;
    struct weft__pool_dbg *pd = atomic_load_explicit(&f->pool, memory_order_relaxed);
    if (!pd) return -1;                 /* made by weft_future_create: user code finishes it */
    if (atomic_load_explicit(&pd->free, memory_order_relaxed) > 0) return -1;
    uint32_t nt = atomic_load_explicit(&pd->nthreads, memory_order_relaxed);
    if ((int)nt < atomic_load_explicit(&pd->max_workers, memory_order_relaxed))
        return -1;                      /* the pool can still start a worker */
    uint32_t nc = atomic_load_explicit(&pd->nclaimed, memory_order_relaxed);
    int nslots = atomic_load_explicit(&pd->nslots, memory_order_relaxed);
    if (nc < nt || nc > (uint32_t)nslots || (int)nc > max) return -1;  /* not all known */
    for (uint32_t i = 0; i < nc; i++) {
        weft__tid t = atomic_load_explicit(&pd->w[i].tid, memory_order_relaxed);
        if (!t) return -1;
        out[i] = t;
    }
    return (int)nc;
}
