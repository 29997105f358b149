/* SPDX-License-Identifier: MIT */
/* yield.c: the yield phase of a blocking wait (internal/yield.h says what and
 * why; measured in bench/README.md, session 8).
 *
 * Tunables (compile-time, like the Queue's):
 *   WEFT_WAIT_YIELDS             yields per phase (64: about 20-30 us when the
 *                                CPU is otherwise idle, which covers the
 *                                cross-CPU wake-up of a sleeping partner on the
 *                                2-core KVM guests measured)
 *   WEFT_WAIT_YIELD_PENALTY_MAX  the longest skip after phases that ran out
 *   WEFT_WAIT_YIELD_SLOW_NS      a yield longer than this gave the CPU away
 *   WEFT_WAIT_YIELD_BAN_NS, _MAX_NS  the first and the longest ban
 */
#include <stdatomic.h>

#include "internal/annotate.h"
#include "internal/os.h"
#include "internal/yield.h"
#include "weft/common.h"

#ifndef WEFT_WAIT_YIELDS
#  define WEFT_WAIT_YIELDS 64
#endif
#ifndef WEFT_WAIT_YIELD_PENALTY_MAX
#  define WEFT_WAIT_YIELD_PENALTY_MAX 1024
#endif
#ifndef WEFT_WAIT_YIELD_SLOW_NS
#  define WEFT_WAIT_YIELD_SLOW_NS 200000
#endif
#ifndef WEFT_WAIT_YIELD_BAN_NS
#  define WEFT_WAIT_YIELD_BAN_NS 2000000
#endif
#ifndef WEFT_WAIT_YIELD_BAN_MAX_NS
#  define WEFT_WAIT_YIELD_BAN_MAX_NS 1000000000
#endif

static _Thread_local uint32_t yield_skip;      /* waits left that do not yield */
static _Thread_local uint32_t yield_penalty;   /* the next skip after a phase ran out */
static _Thread_local uint64_t yield_wins;      /* for the tests */
static struct {
    WEFT_ATOMIC(int64_t) no_yield_until;       /* process-wide ban (a hint) */
    WEFT_ATOMIC(int64_t) ban_next;             /* the next ban's length; 0: none yet */
    WEFT_ATOMIC(uint64_t) slow;                /* slow yields, for the tests */
} hint;
/* Only ever accessed atomically (relaxed hints): no race reports (helgrind,
 * drd). Repeated at each use: there is no init to put it in. */
#define BENIGN_HINT() WEFT__BENIGN_WORD(&hint, sizeof hint)

uint32_t weft__yield_penalty(uint32_t last)
{
    if (last == 0) return 1;
    return last >= WEFT_WAIT_YIELD_PENALTY_MAX / 2 ? WEFT_WAIT_YIELD_PENALTY_MAX : 2 * last;
}

int64_t weft__yield_ban(int64_t next, int64_t gap)
{
    if (next <= 0 || gap > WEFT_WAIT_YIELD_BAN_MAX_NS) return WEFT_WAIT_YIELD_BAN_NS;
    return next < WEFT_WAIT_YIELD_BAN_MAX_NS ? next : WEFT_WAIT_YIELD_BAN_MAX_NS;
}

void weft__yield_stats(struct weft__yield_stats *out)
{
    BENIGN_HINT();
    out->wins = yield_wins;
    out->skip = yield_skip;
    out->penalty = yield_penalty;
    out->slow = atomic_load_explicit(&hint.slow, memory_order_relaxed);
    out->no_yield_until = atomic_load_explicit(&hint.no_yield_until, memory_order_relaxed);
}

/* Someone else's time slice: ban yielding (racy relaxed updates of a hint). */
static void ban_yielding(weft__ns now)
{
    int64_t gap = now - atomic_load_explicit(&hint.no_yield_until, memory_order_relaxed);
    int64_t ban = weft__yield_ban(atomic_load_explicit(&hint.ban_next, memory_order_relaxed), gap);
    atomic_store_explicit(&hint.no_yield_until, now + ban, memory_order_relaxed);
    atomic_store_explicit(&hint.ban_next,
                          ban < WEFT_WAIT_YIELD_BAN_MAX_NS / 2 ? 2 * ban
                                                               : WEFT_WAIT_YIELD_BAN_MAX_NS,
                          memory_order_relaxed);
    atomic_fetch_add_explicit(&hint.slow, 1, memory_order_relaxed);
}

bool weft__yield_phase(bool (*ready)(void *arg), void *arg, weft__ns deadline)
{
    if (yield_skip) {
        yield_skip--;
        return false;
    }
    BENIGN_HINT();
    weft__ns t0 = weft__now();
    if (t0 < atomic_load_explicit(&hint.no_yield_until, memory_order_relaxed)) return false;
    for (int y = 0; y < WEFT_WAIT_YIELDS && t0 < deadline; y++) {
        weft__os_yield();
        weft__ns t1 = weft__now();
        bool done = ready(arg);
        if (t1 - t0 > WEFT_WAIT_YIELD_SLOW_NS) {
            ban_yielding(t1);   /* the skip is left as it is */
            if (done) yield_wins++;
            return done;
        }
        if (done) {
            yield_penalty = 0;
            yield_wins++;
            return true;
        }
        t0 = t1;
    }
    if (t0 < deadline) {
        /* Ran out: what we wait for is not coming soon. */
        yield_penalty = weft__yield_penalty(yield_penalty);
        yield_skip = yield_penalty;
    }
    return false;
}
