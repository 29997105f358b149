/* SPDX-License-Identifier: MIT */
/* internal/yield.h: the yield phase of a blocking wait (yield.c).
 *
 * Before an Event waiter, a Semaphore acquirer or a Condition waiter (with its
 * lock released) sleeps, it yields the CPU up to WEFT_WAIT_YIELDS times and
 * re-checks after each yield. A hand-off between two threads then rarely
 * sleeps: on one CPU the yield runs the partner at once, and across two CPUs
 * each thread catches the other's set(), release() or notify() within a
 * yield or two. Two hints keep the phase
 * from costing when it cannot win:
 *   - a phase that runs out makes the thread skip the phase for its next
 *     weft__yield_penalty(last) waits (thread-local; reset by a phase that
 *     won): a thread whose waits are long yields once per 1024 waits;
 *   - a yield that kept the thread off the CPU longer than
 *     WEFT_WAIT_YIELD_SLOW_NS gave another program a time slice: no waiter of
 *     the process yields for weft__yield_ban(next, gap) nanoseconds
 *     (process-wide, relaxed: a hint for the choice between yielding and
 *     sleeping).
 * The phase only calls ready() (which may take what it waits for, as a
 * Semaphore's CAS does) and never runs past the deadline; the caller's sleep
 * protocol is unchanged after it.
 */
#ifndef WEFT_INTERNAL_YIELD_H
#define WEFT_INTERNAL_YIELD_H

#include <stdbool.h>
#include <stdint.h>

#include "internal/clock.h"

/* Run the phase: true if ready(arg) returned true after one of the yields
 * (the wait is over); false if it was skipped, banned, ran out, had a slow
 * yield or reached the deadline (the caller goes on to sleep). */
__attribute__((visibility("hidden")))
bool weft__yield_phase(bool (*ready)(void *arg), void *arg, weft__ns deadline);

/* The skip after a phase that ran out: 1 after a phase that won (last == 0),
 * then twice the last, at most WEFT_WAIT_YIELD_PENALTY_MAX (1024). */
__attribute__((visibility("hidden")))
uint32_t weft__yield_penalty(uint32_t last);

/* The ban to start after a slow yield: `next` (doubled after every ban, at
 * most WEFT_WAIT_YIELD_BAN_MAX_NS, 1 s), or WEFT_WAIT_YIELD_BAN_NS (2 ms) when
 * there was none yet (next <= 0) or the last ban ended more than
 * WEFT_WAIT_YIELD_BAN_MAX_NS ago (gap, ns): the neighbour then came and went,
 * and a new one starts over. */
__attribute__((visibility("hidden")))
int64_t weft__yield_ban(int64_t next, int64_t gap);

/* The phase's state, for the tests: the calling thread's waits that the phase
 * ended (also by a slow yield), its skip and penalty; the process's slow
 * yields (each started a ban) and the end of the ban (weft__now() ns). */
struct weft__yield_stats {
    uint64_t wins;
    uint32_t skip, penalty;
    uint64_t slow;
    int64_t no_yield_until;
};
__attribute__((visibility("hidden")))
void weft__yield_stats(struct weft__yield_stats *out);

#endif /* WEFT_INTERNAL_YIELD_H */
