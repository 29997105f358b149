/* SPDX-License-Identifier: MIT */
/* barrier.c: threading.Barrier on the wait/wake contract (internal/wait.h).
 *
 * Why not weft_lock + weft_condition: the barrier is a primitive (TEAM rule:
 * primitives use internal/wait.h), its state changes are rare and always
 * broadcast, so a one-word mutex plus a sequence word does the whole job in a
 * few lines, with no dependency and no per-waiter nodes. The structure is
 * CPython's (Condition(Lock()) with notify_all), so its state machine carries
 * over unchanged.
 *
 * State
 * -----
 *   lock    internal mutex: LOCK_FREE, LOCK_HELD, LOCK_CONTENDED (a sleeper may
 *           exist; the unlocker wakes one). Drepper's "mutex 2".
 *   seq     the condition: bumped (under the lock) at every state change that a
 *           waiter may be waiting for, then weft__wake(ALL). A waiter reads seq
 *           under the lock, unlocks, sleeps in weft__wait(seq, that value).
 *   state   BAR_FILLING, BAR_DRAINING, BAR_RESETTING, BAR_BROKEN (CPython's 0, 1,
 *           -1, -2). Written only under the lock; atomic so that n_waiting and
 *           broken can read it without the lock, as CPython does.
 *   count   threads inside wait() (CPython's _count). Same rules as state.
 *
 * Transitions (all under the lock):
 *   wait:  block while DRAINING/RESETTING; BROKEN -> WEFT_EBROKEN; index = count++;
 *          the last (index == parties-1) runs the action, then FILLING ->
 *          DRAINING; the others wait until state != FILLING (timeout: -> BROKEN).
 *          On the way out count--; the last out of DRAINING/RESETTING -> FILLING.
 *   reset: count > 0: FILLING or BROKEN -> RESETTING (DRAINING/RESETTING stay);
 *          count == 0: -> FILLING.
 *   abort: -> BROKEN.
 * Invariant: no thread of generation g+1 gets an index while a thread of
 * generation g is still inside (entry blocks while DRAINING), so every party
 * leaves every generation exactly once, with a distinct index.
 *
 * Why no wakeup is lost: a waiter reads seq while holding the lock and keeps
 * that value; every state change happens under the lock and bumps seq before
 * waking. If the change comes after the waiter unlocked, seq differs from the
 * kept value and weft__wait returns at once; if the waiter was already asleep,
 * the wake-all reaches it. Every waiter re-checks the state under the lock after
 * every return. The mutex: an unlocker that swaps out LOCK_CONTENDED wakes one
 * sleeper; a sleeper always sets LOCK_CONTENDED before sleeping on it, so it is
 * either woken or sees the word change.
 *
 * Debugging: a wait records WEFT__WK_BARRIER (internal/debug.h) from its first
 * sleep until it leaves (one record for the wait to enter while the previous
 * generation drains, another for the trip), and a sleep on the internal mutex
 * records one too; the paths that never sleep record nothing. Every record is
 * ended before wait returns.
 *
 * Wakes are issued while holding the lock, so the barrier's memory is never
 * touched after the last thread left it; a wake on the mutex word after the
 * unlock is the only exception, and the contract allows it to hit reused memory
 * (a spurious wake). So the barrier may be destroyed as soon as every wait
 * returned.
 */
#include <stdatomic.h>

#include "internal/annotate.h"
#include "internal/clock.h"
#include "internal/debug.h"
#include "internal/self.h"
#include "internal/wait.h"
#include "weft/barrier.h"

#define LOCK_FREE      0u
#define LOCK_HELD      1u
#define LOCK_CONTENDED 2u

#define BAR_FILLING    0
#define BAR_DRAINING   1
#define BAR_RESETTING  (-1)
#define BAR_BROKEN     (-2)

/* ---- internal mutex and condition ---------------------------------------- */

static void mlock(weft_barrier *b)
{
    uint32_t c = LOCK_FREE;
    if (!atomic_compare_exchange_strong_explicit(&b->lock, &c, LOCK_HELD,
                                                 memory_order_acquire, memory_order_relaxed)) {
        if (c != LOCK_CONTENDED)
            c = atomic_exchange_explicit(&b->lock, LOCK_CONTENDED, memory_order_acquire);
        if (c != LOCK_FREE) {
            /* Blocked on the barrier's internal mutex: recorded as a barrier wait
             * (nested inside the caller's record, if any). */
            int tok = weft__rec_begin(WEFT__WK_BARRIER, b, WEFT__NS_FOREVER);
            while (c != LOCK_FREE) {
                /* We announced a sleeper (LOCK_CONTENDED) before sleeping on it. */
                weft__wait(&b->lock, LOCK_CONTENDED, WEFT__NS_FOREVER);
                c = atomic_exchange_explicit(&b->lock, LOCK_CONTENDED, memory_order_acquire);
            }
            weft__rec_end(tok);
        }
    }
    WEFT__HAPPENS_AFTER(b);
}

static void munlock(weft_barrier *b)
{
    WEFT__HAPPENS_BEFORE(b);
    if (atomic_exchange_explicit(&b->lock, LOCK_FREE, memory_order_release) == LOCK_CONTENDED)
        weft__wake(&b->lock, 1);
}

/* A wait record (internal/debug.h) that is begun at the first sleep of a wait
 * and ended once, when that wait is over. */
struct rec {
    bool on;
    int tok;
};
#define REC_NONE { false, 0 }

static void rec_end(struct rec *r)
{
    if (r->on) weft__rec_end(r->tok);
    r->on = false;
}

/* model: barrier.pml notify_all/wait: seq read under the lock, weft__wait on it (B3) */
/* Release the lock, sleep until seq moves (or the deadline), take the lock. The
 * first sleep of a wait begins its record r. */
static void cwait(weft_barrier *b, weft__ns deadline, struct rec *r)
{
    uint32_t s = atomic_load_explicit(&b->seq, memory_order_relaxed);
    if (!r->on) {
        r->tok = weft__rec_begin(WEFT__WK_BARRIER, b, deadline);
        r->on = true;
    }
    munlock(b);
    weft__wait(&b->seq, s, deadline);
    mlock(b);
}

/* With the lock held: wake every thread waiting for a state change. */
static void broadcast(weft_barrier *b)
{
    atomic_fetch_add_explicit(&b->seq, 1, memory_order_release);
    weft__wake(&b->seq, WEFT__WAKE_ALL);
}

static int32_t get_state(const weft_barrier *b)
{
    return atomic_load_explicit(&((weft_barrier *)b)->state, memory_order_relaxed);
}

static void set_state(weft_barrier *b, int32_t s)
{
    atomic_store_explicit(&b->state, s, memory_order_relaxed);
}

static uint32_t get_count(const weft_barrier *b)
{
    return atomic_load_explicit(&((weft_barrier *)b)->count, memory_order_relaxed);
}

static void set_count(weft_barrier *b, uint32_t c)
{
    atomic_store_explicit(&b->count, c, memory_order_relaxed);
}

static void break_barrier(weft_barrier *b)
{
    set_state(b, BAR_BROKEN);
    broadcast(b);
}

/* ---- lifecycle ------------------------------------------------------------- */

int weft_barrier_init(weft_barrier *b, long parties, weft_barrier_action action,
                      void *arg, double timeout)
{
    if (!b || parties < 1) return WEFT_EINVAL;
    if (parties > WEFT_BARRIER_PARTIES_MAX) return WEFT_EOVERFLOW;
    switch (weft__timeout_class(timeout)) {
    case WEFT__T_NAN: return WEFT_EINVAL;
    case WEFT__T_TOO_BIG: if (timeout > 0) return WEFT_EOVERFLOW; break;
    default: break;
    }
    atomic_init(&b->lock, LOCK_FREE);
    atomic_init(&b->seq, 0);
    atomic_init(&b->state, BAR_FILLING);
    atomic_init(&b->count, 0);
    b->parties = (uint32_t)parties;
    b->timeout = timeout;
    b->action = action;
    b->action_arg = arg;
    atomic_init(&b->action_thread, 0);
    /* Every word is only accessed atomically (state and count are also read
     * without the lock by n_waiting and broken). */
    WEFT__BENIGN_WORD(&b->lock, sizeof b->lock);
    WEFT__BENIGN_WORD(&b->seq, sizeof b->seq);
    WEFT__BENIGN_WORD(&b->state, sizeof b->state);
    WEFT__BENIGN_WORD(&b->count, sizeof b->count);
    WEFT__BENIGN_WORD(&b->action_thread, sizeof b->action_thread);
    return WEFT_OK;
}

void weft_barrier_destroy(weft_barrier *b)
{
    if (b) weft__name_forget(b);
}

/* Common argument checks of wait/reset/abort. */
static int check(weft_barrier *b)
{
    if (!b || b->parties == 0) return WEFT_EINVAL;
    /* Only the thread running the action can find its own id here. */
    if (atomic_load_explicit(&b->action_thread, memory_order_relaxed) == weft__self())
        return WEFT_EDEADLK;
    return WEFT_OK;
}

/* ---- wait ------------------------------------------------------------------ */

/* The last party: run the action, then release the generation. Lock held. */
static int trip(weft_barrier *b, int index)
{
    if (b->action) {
        atomic_store_explicit(&b->action_thread, weft__self(), memory_order_relaxed);
        int arc = b->action(b->action_arg);
        atomic_store_explicit(&b->action_thread, 0, memory_order_relaxed);
        if (arc < 0) {
            /* Python: the action raised: break, and the exception propagates. */
            break_barrier(b);
            return arc;
        }
    }
    /* model: barrier.pml B2 (last party: action, DRAINING, notify all) */
    set_state(b, BAR_DRAINING);
    broadcast(b);
    return index;
}

/* A party that is not the last: wait until the generation trips. Lock held. */
static int await_trip(weft_barrier *b, int index, double timeout, struct rec *r)
{
    weft__ns deadline;
    switch (weft__timeout_class(timeout)) {
    case WEFT__T_FOREVER:  deadline = WEFT__NS_FOREVER; break;
    case WEFT__T_POSITIVE: deadline = weft__deadline_after(timeout); break;
    case WEFT__T_NAN:      return WEFT_EINVAL;    /* barrier untouched */
    case WEFT__T_TOO_BIG:
        if (timeout > 0) return WEFT_EOVERFLOW;   /* barrier untouched */
        deadline = 0;                             /* -inf polls, as in CPython */
        break;
    case WEFT__T_ZERO:
    case WEFT__T_NEGATIVE:
    default:               deadline = 0; break;   /* already expired: a poll */
    }
    /* model: barrier.pml B3 (wait for state != FILLING), B4 (timeout breaks) */
    while (get_state(b) == BAR_FILLING) {
        if (deadline == 0 || weft__expired(deadline)) {
            /* Timed out: break the barrier for everyone, and fail here too. */
            break_barrier(b);
            return WEFT_EBROKEN;
        }
        cwait(b, deadline, r);
    }
    return get_state(b) == BAR_DRAINING ? index : WEFT_EBROKEN;
}

int weft_barrier_wait(weft_barrier *b, double timeout)
{
    int rc = check(b);
    if (rc != WEFT_OK) return rc;
    if (timeout == WEFT_FOREVER) timeout = b->timeout;   /* Python: None -> default */

    mlock(b);
    /* model: barrier.pml B1 (enter) */
    /* Block (without a timeout) while the previous generation drains or resets.
     * That wait has no deadline, the one for the trip may have one: each gets
     * its own record. */
    struct rec r = REC_NONE;
    while (get_state(b) == BAR_DRAINING || get_state(b) == BAR_RESETTING)
        cwait(b, WEFT__NS_FOREVER, &r);
    rec_end(&r);
    if (get_state(b) == BAR_BROKEN) {
        munlock(b);
        return WEFT_EBROKEN;
    }
    int index = (int)get_count(b);
    set_count(b, (uint32_t)index + 1);
    if ((uint32_t)index + 1 == b->parties) rc = trip(b, index);
    else rc = await_trip(b, index, timeout, &r);

    /* model: barrier.pml B5 (exit) */
    /* Leave; the last one out of a drained or reset generation reopens it. */
    set_count(b, get_count(b) - 1);
    if (get_count(b) == 0 &&
        (get_state(b) == BAR_DRAINING || get_state(b) == BAR_RESETTING)) {
        set_state(b, BAR_FILLING);
        broadcast(b);
    }
    rec_end(&r);
    munlock(b);
    return rc;
}

/* ---- reset, abort ------------------------------------------------------------ */

int weft_barrier_reset(weft_barrier *b)
{
    int rc = check(b);
    if (rc != WEFT_OK) return rc;
    mlock(b);
    if (get_count(b) > 0) {
        int32_t s = get_state(b);
        if (s == BAR_FILLING || s == BAR_BROKEN) set_state(b, BAR_RESETTING);
    } else {
        set_state(b, BAR_FILLING);
    }
    broadcast(b);
    munlock(b);
    return WEFT_OK;
}

int weft_barrier_abort(weft_barrier *b)
{
    int rc = check(b);
    if (rc != WEFT_OK) return rc;
    mlock(b);
    break_barrier(b);
    munlock(b);
    return WEFT_OK;
}

/* ---- queries ------------------------------------------------------------------- */

long weft_barrier_parties(const weft_barrier *b) { return b ? (long)b->parties : 0; }

long weft_barrier_n_waiting(const weft_barrier *b)
{
    if (!b) return 0;
    return get_state(b) == BAR_FILLING ? (long)get_count(b) : 0;
}

bool weft_barrier_broken(const weft_barrier *b)
{
    return b && get_state(b) == BAR_BROKEN;
}
