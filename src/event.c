/* SPDX-License-Identifier: MIT */
/* event.c: threading.Event on the wait/wake contract (internal/wait.h).
 *
 * State: one 32-bit word, which is also the futex word.
 *   EV_SET      bit 0: the flag (Python's _flag).
 *   EV_WAITERS  bit 1: some thread may be sleeping on the word; set by a waiter
 *               (CAS) before it sleeps, cleared by the set() that wakes them.
 *   generation  bits 2..31: advanced (modulo 2^30) by every set() that finds
 *               the flag unset. A waiter remembers the generation it saw on entry;
 *               a different generation means a set() happened while it waited,
 *               which is what it reports even if clear() already ran (gh-57711).
 *
 * set():   one CAS: flag on, generation + 1, waiters bit off; then, only if the
 *          waiters bit was on, weft__wake(ALL). No waiters: no system call.
 * clear(): fetch_and of the flag bit; nothing to wake.
 * wait():  flag set -> return. Else the yield phase (below); then put the
 *          waiters bit in (CAS) and sleep in weft__wait(word, that exact
 *          value); on every return re-read the word.
 *
 * Why no wakeup is lost: a waiter sleeps only with expected == a word that has
 * EV_WAITERS on and EV_SET off. set() changes the word (new generation) with a
 * CAS, so a sleeper that had not yet slept finds a different value in weft__wait
 * and returns at once; one already asleep is woken because set()'s CAS returned
 * the old word with EV_WAITERS on. If set()'s CAS comes first, the waiter's CAS
 * (which adds EV_WAITERS) fails, and the re-read shows the flag or the new
 * generation. A waiter that timed out re-reads the word once more before
 * reporting WEFT_ETIMEDOUT, so a set() at the deadline still counts.
 *
 * Yield phase: before it sleeps, a waiter yields the CPU up to
 * WEFT_EVENT_YIELDS times, re-reading the word after each yield. A hand-off
 * between two threads then costs no futex sleep and no wake-up: on one CPU
 * the yield runs the partner at once, and across two CPUs each thread catches
 * the other's set() within a yield or two (measured on a 2-core KVM guest,
 * ping-pong round trip: 0.5-0.6 us instead of 28-62 us across CPUs, -22% on
 * one CPU; bench/README.md). The waiters bit is not set while yielding, so the
 * setter makes no system call either. Two hints keep the phase from costing:
 *   - a phase that runs out (the set() is not coming soon) makes the thread
 *     skip the phase for its next 1, 2, 4 ... up to
 *     WEFT_EVENT_YIELD_PENALTY_MAX waits (thread-local; reset by a phase that
 *     ends the wait), so a thread that usually waits long yields once per
 *     1024 waits;
 *   - a yield that kept the thread off the CPU longer than
 *     WEFT_EVENT_YIELD_SLOW_NS gave another program a time slice: then no
 *     Event waiter of the process yields for a ban of 2 ms, doubled by every
 *     further slow yield up to 1 s (process-wide, relaxed: a hint for the
 *     choice between yielding and sleeping, like the Queue's).
 * The phase changes no state (it only reads the word) and ends at the
 * deadline, so the protocol above is unchanged; a thread in the phase has no
 * wait record yet (a dump shows it running).
 *
 * Debugging: a waiter that is about to sleep records WEFT__WK_EVENT in its
 * thread's wait record (internal/debug.h) and ends the record on its way out;
 * the fast path (flag already set) records nothing.
 *
 * Memory order: set()'s CAS is a release and every read that may end a wait is
 * an acquire, so what the setter wrote before set() is visible to every thread
 * whose wait returned WEFT_OK.
 */
#include <stdatomic.h>

#include "internal/annotate.h"
#include "internal/clock.h"
#include "internal/debug.h"
#include "internal/event.h"
#include "internal/os.h"
#include "internal/wait.h"
#include "weft/event.h"

#define EV_SET      0x1u
#define EV_WAITERS  0x2u
#define EV_GEN_ONE  0x4u
#define EV_GEN_MASK (~(EV_SET | EV_WAITERS))

/* The yield phase (top of the file). */
#ifndef WEFT_EVENT_YIELDS
#  define WEFT_EVENT_YIELDS 64
#endif
#ifndef WEFT_EVENT_YIELD_PENALTY_MAX
#  define WEFT_EVENT_YIELD_PENALTY_MAX 1024
#endif
#ifndef WEFT_EVENT_YIELD_SLOW_NS
#  define WEFT_EVENT_YIELD_SLOW_NS 200000
#endif
#ifndef WEFT_EVENT_YIELD_BAN_NS
#  define WEFT_EVENT_YIELD_BAN_NS 2000000
#endif
#ifndef WEFT_EVENT_YIELD_BAN_MAX_NS
#  define WEFT_EVENT_YIELD_BAN_MAX_NS 1000000000
#endif

/* Tell helgrind/drd the word is only accessed atomically. Repeated at every entry
 * point because an event set up with WEFT_EVENT_INIT (or zero-filled) never runs
 * weft_event_init; it compiles to nothing outside -DWEFT_VALGRIND=ON builds. */
#define BENIGN(ev) WEFT__BENIGN_WORD(&(ev)->word, sizeof (ev)->word)

void weft_event_init(weft_event *ev)
{
    if (!ev) return;
    atomic_init(&ev->word, 0);
    BENIGN(ev);
}

void weft_event_destroy(weft_event *ev)
{
    if (ev) weft__name_forget(ev);
}

int weft_event_set(weft_event *ev)
{
    if (!ev) return WEFT_EINVAL;
    BENIGN(ev);
    uint32_t w = atomic_load_explicit(&ev->word, memory_order_relaxed);
    uint32_t nw;
    WEFT__HAPPENS_BEFORE(ev);
    do {
        if (w & EV_SET) return WEFT_OK;   /* already set: no waiter can be asleep */
        /* model: event.pml V1 (one CAS: generation + 1, SET, WAITERS off) */
        nw = ((w & EV_GEN_MASK) + EV_GEN_ONE) | EV_SET;
    } while (!atomic_compare_exchange_weak_explicit(&ev->word, &w, nw,
                                                    memory_order_release,
                                                    memory_order_relaxed));
    /* The CAS replaced a word with EV_WAITERS on: every sleeper slept with that
     * exact value, so this wake reaches them all. */
    /* model: event.pml V2 (wake all if the old word had WAITERS) */
    if (w & EV_WAITERS) weft__wake(&ev->word, WEFT__WAKE_ALL);
    return WEFT_OK;
}

int weft_event_clear(weft_event *ev)
{
    if (!ev) return WEFT_EINVAL;
    BENIGN(ev);
    /* model: event.pml X1 */
    atomic_fetch_and_explicit(&ev->word, ~EV_SET, memory_order_release);
    return WEFT_OK;
}

bool weft_event_is_set(const weft_event *ev)
{
    if (!ev) return false;
    BENIGN(ev);
    uint32_t w = atomic_load_explicit(&((weft_event *)ev)->word, memory_order_acquire);
    if (w & EV_SET) WEFT__HAPPENS_AFTER(ev);
    return (w & EV_SET) != 0;
}

/* ---- the yield phase ---------------------------------------------------------- */

static _Thread_local uint32_t yield_skip;      /* waits left that do not yield */
static _Thread_local uint32_t yield_penalty;   /* the next skip after a phase ran out */
static _Thread_local uint64_t yield_wins;      /* for the tests */
static struct {
    WEFT_ATOMIC(int64_t) no_yield_until;       /* process-wide ban (a hint) */
    WEFT_ATOMIC(int64_t) ban_next;             /* the next ban's length; 0: none yet */
    WEFT_ATOMIC(uint64_t) slow;                /* slow yields, for the tests */
} yield_hint;
/* Only ever accessed atomically (relaxed hints): no race reports (helgrind, drd). */
#define BENIGN_HINT() WEFT__BENIGN_WORD(&yield_hint, sizeof yield_hint)

uint32_t weft__event_yield_penalty(uint32_t last)
{
    if (last == 0) return 1;
    return last >= WEFT_EVENT_YIELD_PENALTY_MAX / 2 ? WEFT_EVENT_YIELD_PENALTY_MAX : 2 * last;
}

int64_t weft__event_yield_ban(int64_t next, int64_t gap)
{
    if (next <= 0 || gap > WEFT_EVENT_YIELD_BAN_MAX_NS) return WEFT_EVENT_YIELD_BAN_NS;
    return next < WEFT_EVENT_YIELD_BAN_MAX_NS ? next : WEFT_EVENT_YIELD_BAN_MAX_NS;
}

void weft__event_yield_stats(struct weft__event_yield_stats *out)
{
    BENIGN_HINT();
    out->wins = yield_wins;
    out->skip = yield_skip;
    out->penalty = yield_penalty;
    out->slow = atomic_load_explicit(&yield_hint.slow, memory_order_relaxed);
    out->no_yield_until = atomic_load_explicit(&yield_hint.no_yield_until, memory_order_relaxed);
}

static inline bool wait_ended(uint32_t w, uint32_t gen0)
{
    return (w & EV_SET) || (w & EV_GEN_MASK) != gen0;
}

/* Yield until the wait ends, the phase runs out, a yield is slow or the
 * deadline passes. Returns the word last read (the caller decides). */
static uint32_t yield_phase(weft_event *ev, uint32_t w, weft__ns deadline)
{
    if (yield_skip) {
        yield_skip--;
        return w;
    }
    const uint32_t gen0 = w & EV_GEN_MASK;
    BENIGN_HINT();
    weft__ns t0 = weft__now();
    if (t0 < atomic_load_explicit(&yield_hint.no_yield_until, memory_order_relaxed)) return w;
    for (int y = 0; y < WEFT_EVENT_YIELDS && t0 < deadline; y++) {
        weft__os_yield();
        weft__ns t1 = weft__now();
        w = atomic_load_explicit(&ev->word, memory_order_acquire);
        if (t1 - t0 > WEFT_EVENT_YIELD_SLOW_NS) {
            /* Someone else's time slice: ban yielding (racy relaxed updates
             * of a hint); the skip is left as it is. */
            int64_t gap = t1 - atomic_load_explicit(&yield_hint.no_yield_until, memory_order_relaxed);
            int64_t ban = weft__event_yield_ban(
                atomic_load_explicit(&yield_hint.ban_next, memory_order_relaxed), gap);
            atomic_store_explicit(&yield_hint.no_yield_until, t1 + ban, memory_order_relaxed);
            atomic_store_explicit(&yield_hint.ban_next,
                                  ban < WEFT_EVENT_YIELD_BAN_MAX_NS / 2
                                      ? 2 * ban : WEFT_EVENT_YIELD_BAN_MAX_NS,
                                  memory_order_relaxed);
            atomic_fetch_add_explicit(&yield_hint.slow, 1, memory_order_relaxed);
            return w;
        }
        if (wait_ended(w, gen0)) {
            yield_penalty = 0;
            yield_wins++;
            return w;
        }
        t0 = t1;
    }
    if (t0 < deadline) {
        /* Ran out: the set() is not coming soon. */
        yield_penalty = weft__event_yield_penalty(yield_penalty);
        yield_skip = yield_penalty;
    }
    return w;
}

/* The wait record (internal/debug.h) is begun just before the first sleep, so a
 * wait that ends without sleeping (the flag arrived during the CAS) costs
 * nothing, and ended on both returns. */
__attribute__((noinline)) static int wait_slow(weft_event *ev, uint32_t w, weft__ns deadline)
{
    const uint32_t gen0 = w & EV_GEN_MASK;
    bool timed_out = false;
    bool recorded = false;
    int tok = 0;
    /* model: event.pml E0 (the yield phase: re-reads only) */
    w = yield_phase(ev, w, deadline);
    for (;;) {
        /* model: event.pml E3 (flag or a new generation seen) */
        if (wait_ended(w, gen0)) {
            WEFT__HAPPENS_AFTER(ev);
            if (recorded) weft__rec_end(tok);
            return WEFT_OK;
        }
        if (timed_out) {
            if (recorded) weft__rec_end(tok);
            return WEFT_ETIMEDOUT;
        }
        if (!(w & EV_WAITERS)) {
            /* Announce a sleeper; on failure w is the new word: re-check it. */
            /* model: event.pml E2 (WAITERS bit on) */
            if (!atomic_compare_exchange_weak_explicit(&ev->word, &w, w | EV_WAITERS,
                                                       memory_order_acquire,
                                                       memory_order_acquire))
                continue;
            w |= EV_WAITERS;
        }
        if (!recorded) {
            tok = weft__rec_begin(WEFT__WK_EVENT, ev, deadline);
            recorded = true;
        }
        /* model: event.pml E4 (sleep on the word, then re-read) */
        if (weft__wait(&ev->word, w, deadline) == WEFT_ETIMEDOUT) timed_out = true;
        w = atomic_load_explicit(&ev->word, memory_order_acquire);
    }
}

int weft_event_wait(weft_event *ev, double timeout)
{
    if (!ev) return WEFT_EINVAL;
    BENIGN(ev);
    uint32_t w = atomic_load_explicit(&ev->word, memory_order_acquire);
    if (w & EV_SET) {
        WEFT__HAPPENS_AFTER(ev);
        return WEFT_OK;
    }
    weft__ns deadline;
    switch (weft__timeout_class(timeout)) {
    case WEFT__T_FOREVER:  deadline = WEFT__NS_FOREVER; break;
    case WEFT__T_POSITIVE: deadline = weft__deadline_after(timeout); break;
    case WEFT__T_ZERO:
    case WEFT__T_NEGATIVE:
    case WEFT__T_NAN:      return WEFT_ETIMEDOUT;   /* poll: the flag was unset */
    case WEFT__T_TOO_BIG:
    default:
        if (timeout < 0) return WEFT_ETIMEDOUT;    /* -inf polls, as in CPython */
        return WEFT_EOVERFLOW;
    }
    return wait_slow(ev, w, deadline);
}
