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
 * Yield phase (internal/yield.h, shared with Semaphore and Condition): before
 * it sleeps, a waiter yields the CPU up to 64 times, re-reading the word after
 * each yield. A hand-off between two threads then costs no futex sleep and no
 * wake-up (measured on a 2-core KVM guest, ping-pong round trip: 0.42-0.54 us
 * instead of 30-55 us across CPUs, 23-24% less on one CPU; bench/README.md,
 * session 8). The waiters bit is not set while yielding, so the setter makes
 * no system call either. The phase only reads the word and ends at the deadline, so the
 * protocol above is unchanged; a thread in the phase has no wait record yet (a
 * dump shows it running).
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
#include "internal/wait.h"
#include "internal/yield.h"
#include "weft/event.h"

#define EV_SET      0x1u
#define EV_WAITERS  0x2u
#define EV_GEN_ONE  0x4u
#define EV_GEN_MASK (~(EV_SET | EV_WAITERS))

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

/* ---- wait ---------------------------------------------------------------------- */

static inline bool wait_ended(uint32_t w, uint32_t gen0)
{
    return (w & EV_SET) || (w & EV_GEN_MASK) != gen0;
}

/* The yield phase's test (internal/yield.h): the word now, and has the wait ended? */
struct phase { weft_event *ev; uint32_t gen0, w; };
static bool phase_ready(void *arg)
{
    struct phase *p = arg;
    p->w = atomic_load_explicit(&p->ev->word, memory_order_acquire);
    return wait_ended(p->w, p->gen0);
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
    struct phase ph = { ev, gen0, w };
    (void)weft__yield_phase(phase_ready, &ph, deadline);
    w = ph.w;   /* the word last read (the loop decides) */
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
