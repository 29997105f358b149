/* SPDX-License-Identifier: MIT */
/* condition.c: Python's threading.Condition with per-waiter wake tokens.
 *
 * Design (docs/design/condition.md)
 * ---------------------------------
 * Each waiter puts a node on its own stack: {prev, next, token}. The nodes form
 * a FIFO list (cond->head/tail) that is only read or changed with the
 * condition's lock held - the lock the user already holds to call wait/notify -
 * so the list needs no atomics. token is a 32-bit word:
 *   TOKEN_WAITING   0  in the list, not notified
 *   TOKEN_NOTIFIED  1  unlinked by notify; its owner must return WEFT_OK
 *
 * wait:   link the node at the tail (lock held), release the lock (all levels of
 *         an RLock, saving them), sleep on the token until it is NOTIFIED or the
 *         deadline passes, take the lock back (blocking, as CPython does), then
 *         decide under the lock: token NOTIFIED -> WEFT_OK; otherwise the node is
 *         still linked (only the lock holder unlinks), so unlink it ->
 *         WEFT_ETIMEDOUT.
 * notify: (lock held) unlink up to n nodes from the head; for each, store
 *         NOTIFIED (release) and wake the token.
 *
 * Why notify(n) is exact and no wakeup is lost: a node is unlinked exactly once,
 * by the lock holder, either by notify (which sets its token) or by its own
 * waiter after a timeout (which then sees the token still WAITING under the same
 * lock, so no notify chose it). A waiter whose deadline passes while notify is
 * choosing it sees NOTIFIED once it holds the lock and returns WEFT_OK: the
 * notify is not absorbed by a timed-out waiter (CPython can lose it there). The
 * sleep itself cannot miss the token: notify stores NOTIFIED before waking, and
 * weft__wait re-checks the token against WAITING atomically with the sleep.
 *
 * Yield phase (internal/yield.h, shared with Event and Semaphore): after it
 * has released the lock and before it sleeps on its token, a waiter yields
 * the CPU up to 64 times, re-reading the token after each yield. A hand-off
 * between two threads then rarely sleeps on a token (measured on a 2-core KVM
 * guest, ping-pong round trip: 1.4-1.9 us instead of 34-62 us across CPUs,
 * 2.0 instead of 4.8 on one CPU; bench/README.md, session 8). It only reads
 * the token, the same test as the sleep loop's, and ends at the deadline;
 * notify still wakes the token (a futex wake that finds nobody costs little).
 *
 * Debugging: a waiter about to sleep records WEFT__WK_CONDITION (obj: the
 * condition) in its thread's wait record (internal/debug.h); the record stays
 * open until the lock is re-acquired, so the lock's own record nests inside it.
 *
 * Node lifetime: notify touches a node only while holding the lock, and the
 * waiter cannot return from wait (its node's frame stays alive) before it has
 * taken the lock back, so the store is safe. The wake after the store may reach
 * an address whose waiter has already returned only if notify is called by a
 * thread that does not hold the lock (allowed by Python's plain-Lock quirk, see
 * is_owned); weft__wake never dereferences the address, and a wake on a reused
 * address is at worst a spurious wakeup, which every weft waiter tolerates.
 */
#include <stdatomic.h>
#include <stdint.h>

#include "internal/annotate.h"
#include "internal/clock.h"
#include "internal/condition.h"
#include "internal/debug.h"
#include "internal/lock.h"
#include "internal/wait.h"
#include "internal/yield.h"
#include "weft/condition.h"

#define TOKEN_WAITING  UINT32_C(0)
#define TOKEN_NOTIFIED UINT32_C(1)

struct weft__cond_waiter {
    struct weft__cond_waiter *prev, *next;
    WEFT_ATOMIC(uint32_t) token;
};

/* ---- the lock kinds ----------------------------------------------------------- */

static int l_acquire(void *l, bool b, double t) { return weft_lock_acquire(l, b, t); }
static int l_release(void *l) { return weft_lock_release(l); }
/* CPython's Condition._is_owned fallback for a lock without _is_owned: "locked by
 * anybody counts as owned". */
static bool l_is_owned(void *l) { return weft_lock_locked(l); }

static int r_acquire(void *l, bool b, double t) { return weft_rlock_acquire(l, b, t); }
static int r_release(void *l) { return weft_rlock_release(l); }
static bool r_is_owned(void *l) { return weft_rlock_is_owned(l); }
static int r_release_save(void *l, uint64_t *st) { return weft__rlock_release_save(l, st); }
static int r_acquire_restore(void *l, uint64_t st) { return weft__rlock_acquire_restore(l, st); }

static const weft_lock_ops lock_ops = { l_acquire, l_release, l_is_owned, NULL, NULL };
static const weft_lock_ops rlock_ops = { r_acquire, r_release, r_is_owned, r_release_save,
                                         r_acquire_restore };

/* WEFT_DEBUG: destroy points ops here; every entry point checks it. */
static const weft_lock_ops destroyed_ops = { l_acquire, l_release, l_is_owned, NULL, NULL };
#ifdef WEFT_DEBUG
#  define CHECK_COND(c)                                                           \
    do {                                                                          \
        if ((c)->ops == &destroyed_ops)                                           \
            weft__debug_destroyed(__FILE__, __LINE__, __func__, (c));             \
    } while (0)
#else
#  define CHECK_COND(c) ((void)0)
#endif

/* The lock and its ops; a zero-filled condition uses its own RLock. */
static inline const weft_lock_ops *ops_of(weft_condition *c, void **lock)
{
    CHECK_COND(c);
    if (c->ops) {
        *lock = c->lock;
        return c->ops;
    }
    *lock = &c->own;
    return &rlock_ops;
}

/* ---- lifecycle ----------------------------------------------------------------- */

void weft_condition_init(weft_condition *cond)
{
    if (!cond) return;
    cond->lock = NULL;
    cond->ops = NULL;
    weft_rlock_init(&cond->own);
    cond->head = cond->tail = NULL;
}

static void init_common(weft_condition *cond, void *lock, const weft_lock_ops *ops)
{
    cond->lock = lock;
    cond->ops = ops;
    weft_rlock_init(&cond->own);
    cond->head = cond->tail = NULL;
}

int weft_condition_init_lock(weft_condition *cond, weft_lock *lock)
{
    if (!cond || !lock) return WEFT_EINVAL;
    init_common(cond, lock, &lock_ops);
    return WEFT_OK;
}

int weft_condition_init_rlock(weft_condition *cond, weft_rlock *rlock)
{
    if (!cond || !rlock) return WEFT_EINVAL;
    init_common(cond, rlock, &rlock_ops);
    return WEFT_OK;
}

int weft_condition_init_ops(weft_condition *cond, void *lock, const weft_lock_ops *ops)
{
    if (!cond || !lock || !ops || !ops->acquire || !ops->release || !ops->is_owned)
        return WEFT_EINVAL;
    /* Half a save/restore pair would release levels it cannot restore. */
    if ((ops->release_save == NULL) != (ops->acquire_restore == NULL)) return WEFT_EINVAL;
    init_common(cond, lock, ops);
    return WEFT_OK;
}

void weft_condition_destroy(weft_condition *cond)
{
    if (!cond) return;
    weft_rlock_destroy(&cond->own);
    weft__name_forget(cond);
#ifdef WEFT_DEBUG
    cond->ops = &destroyed_ops;
#else
    (void)destroyed_ops;
#endif
}

/* ---- delegation ---------------------------------------------------------------- */

int weft_condition_acquire(weft_condition *cond, bool blocking, double timeout)
{
    void *l;
    if (!cond) return WEFT_EINVAL;
    return ops_of(cond, &l)->acquire(l, blocking, timeout);
}

int weft_condition_release(weft_condition *cond)
{
    void *l;
    if (!cond) return WEFT_EINVAL;
    return ops_of(cond, &l)->release(l);
}

bool weft_condition_is_owned(weft_condition *cond)
{
    void *l;
    if (!cond) return false;
    return ops_of(cond, &l)->is_owned(l);
}

/* ---- the waiter list (lock held) ------------------------------------------------ */

static void link_tail(weft_condition *c, struct weft__cond_waiter *w)
{
    w->next = NULL;
    w->prev = c->tail;
    if (c->tail) c->tail->next = w;
    else c->head = w;
    c->tail = w;
}

static void unlink_node(weft_condition *c, struct weft__cond_waiter *w)
{
    if (w->prev) w->prev->next = w->next;
    else c->head = w->next;
    if (w->next) w->next->prev = w->prev;
    else c->tail = w->prev;
    w->prev = w->next = NULL;
}

/* ---- wait ---------------------------------------------------------------------- */

/* Validate a Condition.wait timeout: WEFT_FOREVER blocks, > WEFT_TIMEOUT_MAX
 * (and +inf) overflows, everything else that is not positive (0, negatives
 * including -inf, NaN) polls - CPython only converts a timeout > 0. */
static int wait_deadline(double timeout, weft__ns *deadline)
{
    switch (weft__timeout_class(timeout)) {
    case WEFT__T_FOREVER: *deadline = WEFT__NS_FOREVER; return WEFT_OK;
    case WEFT__T_TOO_BIG:
        if (timeout < 0) { *deadline = 0; return WEFT_OK; } /* -inf: poll */
        return WEFT_EOVERFLOW;
    case WEFT__T_POSITIVE: *deadline = weft__deadline_after(timeout); return WEFT_OK;
    default: *deadline = 0; return WEFT_OK; /* 0, other negatives, NaN: poll */
    }
}

/* The yield phase's test (internal/yield.h): has a notify chosen us? */
static bool token_ready(void *arg)
{
    struct weft__cond_waiter *w = arg;
    return atomic_load_explicit(&w->token, memory_order_acquire) != TOKEN_WAITING;
}

/* The wait itself; the caller has checked cond and ownership. */
static int wait_until(weft_condition *cond, weft__ns deadline)
{
    void *l;
    const weft_lock_ops *ops = ops_of(cond, &l);
    struct weft__cond_waiter w;
    atomic_init(&w.token, TOKEN_WAITING);
    WEFT__BENIGN_WORD(&w.token, sizeof w.token);
    /* model: condition.pml C1 (enqueue, token TOKEN_WAITING) */
    link_tail(cond, &w);

    uint64_t saved = 0;
    /* model: condition.pml C2 (release the lock) */
    int rc = ops->release_save ? ops->release_save(l, &saved) : ops->release(l);
    if (rc != WEFT_OK) {
        /* Could not release: we still hold the lock; undo and report. */
        unlink_node(cond, &w);
        return rc;
    }

    /* Sleep until notified or the deadline passes. acquire: pairs with notify's
     * release store of NOTIFIED. The wait record (internal/debug.h) is begun
     * just before the first sleep and stays open over the re-acquire below, whose
     * own Lock record nests inside it: the dump shows "Condition.wait" outermost
     * and the lock it is blocked on innermost. A poll (deadline 0) never sleeps
     * here and records nothing. */
    bool recorded = false;
    int tok = 0;
    /* model: condition.pml C3 (the yield phase: the loop's own test, repeated) */
    if (deadline != 0) (void)weft__yield_phase(token_ready, &w, deadline);
    while (atomic_load_explicit(&w.token, memory_order_acquire) == TOKEN_WAITING) {
        if (deadline == 0) break;
        if (!recorded) {
            tok = weft__rec_begin(WEFT__WK_CONDITION, cond, deadline);
            recorded = true;
        }
        /* model: condition.pml C3 (sleep on the token) */
        if (weft__wait(&w.token, TOKEN_WAITING, deadline) == WEFT_ETIMEDOUT) break;
    }

    /* Take the lock back, blocking, as CPython does. A blocking acquire of a weft
     * lock cannot fail; a caller-supplied lock that fails is retried, because the
     * node must be unlinked under the lock before this frame goes away. */
    do {
        /* model: condition.pml C4 (retake the lock) */
        rc = ops->acquire_restore ? ops->acquire_restore(l, saved)
                                  : ops->acquire(l, true, WEFT_FOREVER);
    } while (rc != WEFT_OK);
    if (recorded) weft__rec_end(tok);

    /* Under the lock: a notify either unlinked us and set the token, or did not
     * choose us and never will (it needs the lock we hold). */
    /* model: condition.pml C5 (notified -> OK, else unlink -> timed out) */
    if (atomic_load_explicit(&w.token, memory_order_acquire) == TOKEN_NOTIFIED) {
        WEFT__HAPPENS_AFTER(&w.token);
        return WEFT_OK;
    }
    unlink_node(cond, &w);
    return WEFT_ETIMEDOUT;
}

int weft_condition_wait(weft_condition *cond, double timeout)
{
    weft__ns deadline;
    if (!cond) return WEFT_EINVAL;
    int rc = wait_deadline(timeout, &deadline);
    if (rc != WEFT_OK) return rc; /* before anything is released */
    if (!weft_condition_is_owned(cond)) return WEFT_EPERM;
    return wait_until(cond, deadline);
}

int weft_condition_wait_for(weft_condition *cond, bool (*pred)(void *arg), void *arg,
                            double timeout)
{
    weft__ns deadline;
    if (!cond || !pred) return WEFT_EINVAL;
    int rc = wait_deadline(timeout, &deadline);
    if (rc != WEFT_OK) return rc;
    if (!weft_condition_is_owned(cond)) return WEFT_EPERM;
    /* One deadline for the whole loop, computed at entry. A poll (deadline 0)
     * waits once and tests once more, as CPython's wait_for(pred, 0) does. */
    int waited = 0;
    while (!pred(arg)) {
        if (waited && deadline != WEFT__NS_FOREVER && weft__now() >= deadline)
            return WEFT_ETIMEDOUT;
        rc = wait_until(cond, deadline);
        if (rc != WEFT_OK && rc != WEFT_ETIMEDOUT) return rc;
        waited = 1;
    }
    return WEFT_OK;
}

/* ---- notify -------------------------------------------------------------------- */

int weft_condition_notify(weft_condition *cond, size_t n)
{
    if (!cond) return WEFT_EINVAL;
    if (!weft_condition_is_owned(cond)) return WEFT_EPERM;
    while (n > 0 && cond->head) {
        struct weft__cond_waiter *w = cond->head;
        /* model: condition.pml N1 (unlink) */
        unlink_node(cond, w);
        WEFT__HAPPENS_BEFORE(&w->token);
        /* release: our writes happen before the waiter's acquire load of the
         * token. The store comes before the wake, so the waiter either sees
         * NOTIFIED and does not sleep, or is asleep and this wake reaches it. */
        /* model: condition.pml N2 (token NOTIFIED), N3 (wake) */
        atomic_store_explicit(&w->token, TOKEN_NOTIFIED, memory_order_release);
        weft__wake(&w->token, 1);
        n--;
    }
    return WEFT_OK;
}

int weft_condition_notify_all(weft_condition *cond)
{
    return weft_condition_notify(cond, SIZE_MAX);
}

size_t weft__condition_waiters(weft_condition *cond)
{
    size_t n = 0;
    for (struct weft__cond_waiter *w = cond->head; w; w = w->next) n++;
    return n;
}
