/* SPDX-License-Identifier: MIT */
/* internal/event.h: the Event's yield phase (event.c), exposed for the tests.
 *
 * Before a waiter sleeps it yields the CPU up to WEFT_EVENT_YIELDS times,
 * re-reading the word after each yield. A wait whose yield phase ran out
 * makes the thread skip the phase for its next weft__event_yield_penalty(last)
 * waits; a yield that kept the thread off the CPU for longer than
 * WEFT_EVENT_YIELD_SLOW_NS (another program shares the CPU) stops yielding in
 * the whole process for weft__event_yield_ban(next, gap) nanoseconds. Pure
 * functions and counters, for the tests.
 */
#ifndef WEFT_INTERNAL_EVENT_H
#define WEFT_INTERNAL_EVENT_H

#include <stdint.h>

/* The skip after a yield phase that ran out: 1 after a phase that worked
 * (last == 0), then twice the last, at most WEFT_EVENT_YIELD_PENALTY_MAX
 * (1024). */
__attribute__((visibility("hidden")))
uint32_t weft__event_yield_penalty(uint32_t last);

/* The ban to start after a slow yield: `next` (doubled after every ban, at
 * most WEFT_EVENT_YIELD_BAN_MAX_NS), or WEFT_EVENT_YIELD_BAN_NS when there was
 * none yet (next == 0) or the last ban ended more than
 * WEFT_EVENT_YIELD_BAN_MAX_NS ago (gap, ns): the neighbour then came and went,
 * and a new one starts over. */
__attribute__((visibility("hidden")))
int64_t weft__event_yield_ban(int64_t next, int64_t gap);

/* The yield phase's state, for the tests: the calling thread's waits that
 * ended in the phase (without a sleep), its skip and penalty; the process's
 * slow yields (each started a ban) and the end of the ban (weft__now() ns). */
struct weft__event_yield_stats {
    uint64_t wins;
    uint32_t skip, penalty;
    uint64_t slow;
    int64_t no_yield_until;
};
__attribute__((visibility("hidden")))
void weft__event_yield_stats(struct weft__event_yield_stats *out);

#endif /* WEFT_INTERNAL_EVENT_H */
