/* SPDX-License-Identifier: MIT */
/* tests/yield-test-util.h: the yield phase's hand-off driver (src/yield.c),
 * shared by test-event.c and test-semaphore.c. */
#ifndef WEFT_TESTS_YIELD_TEST_UTIL_H
#define WEFT_TESTS_YIELD_TEST_UTIL_H

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <string.h>

#include "harness.h"
#include "internal/yield.h"

/* Pin the calling thread to the first CPU it may run on; false if it cannot. */
static inline bool yield_pin_to_first_cpu(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) != 0) return false;
    for (int c = 0; c < CPU_SETSIZE; c++) {
        if (!CPU_ISSET(c, &set)) continue;
        CPU_ZERO(&set);
        CPU_SET(c, &set);
        return pthread_setaffinity_np(pthread_self(), sizeof set, &set) == 0;
    }
    return false;
}

/* Two threads on one CPU hand a token back and forth: give(x, to) hands it to
 * thread `to`, take(x, me, r) waits for it in round r. A waiter's yield runs
 * the other thread, which gives, so waits end in the yield phase without a
 * sleep. It goes on until both threads have won in the phase at least once
 * and 100 rounds are done (or fails after 30 s, scaled). */
struct yield_handoff {
    void *x;
    void (*give)(void *x, int to);
    void (*take)(void *x, int me, long r);
    _Atomic int done;
    _Atomic uint64_t wins[2];
};

static inline void yield_handoff_body(void *p, int i)
{
    struct yield_handoff *h = p;
    (void)yield_pin_to_first_cpu();   /* best effort: on two CPUs the phase wins too */
    struct weft__yield_stats st;
    double dl = weft_test_now() + 30 * weft_test_factor();
    for (long r = 0;; r++) {
        weft__yield_stats(&st);
        atomic_store(&h->wins[i], st.wins);
        if (i == 0) {
            bool stop = (atomic_load(&h->wins[0]) && atomic_load(&h->wins[1]) && r >= 100) ||
                        weft_test_now() > dl;
            atomic_store(&h->done, stop);
            h->give(h->x, 1);
            if (stop) return;
            h->take(h->x, 0, r);
        } else {
            h->take(h->x, 1, r);
            if (atomic_load(&h->done)) return;
            h->give(h->x, 0);
        }
    }
}

/* Run the hand-off; both threads must have won. */
static inline void yield_handoff_run(void *x, void (*give)(void *, int),
                                     void (*take)(void *, int, long))
{
    static struct yield_handoff h;
    memset(&h, 0, sizeof h);
    h.x = x;
    h.give = give;
    h.take = take;
    weft_test_join(weft_test_start(2, yield_handoff_body, &h));
    ASSERT_GT(atomic_load(&h.wins[0]), 0);
    ASSERT_GT(atomic_load(&h.wins[1]), 0);
}

#endif /* WEFT_TESTS_YIELD_TEST_UTIL_H */
