/* SPDX-License-Identifier: MIT */
/* internal/wait.h: the wait/wake contract every blocking weft primitive is built on.
 *
 * This is the only interface between the primitives (lock.c, condition.c, ...) and
 * the operating system's blocking. Two backends implement it; CMake compiles one:
 *   src/platform/linux/futex.c    private futexes (FUTEX_WAIT_BITSET, absolute
 *                                 CLOCK_MONOTONIC deadline; FUTEX_WAKE)
 *   src/platform/posix/parking.c  a parking lot: address-hashed buckets, each a
 *                                 pthread mutex, a CLOCK_MONOTONIC condvar and a
 *                                 list of parked waiters
 *
 * Contract
 * --------
 * weft__wait(addr, expected, deadline)
 *   Atomically with respect to weft__wake on the same address: if *addr still
 *   equals expected, block the calling thread until a weft__wake on addr picks it,
 *   or until the monotonic clock reaches deadline (WEFT__NS_FOREVER: no deadline).
 *   If *addr != expected it returns at once. It may also return spuriously, at any
 *   time, for no reason: every caller re-reads its state word and loops.
 *   Returns WEFT_ETIMEDOUT if it returned because the deadline had passed;
 *   WEFT__WAIT_CHANGED if it returned at once because *addr != expected at its
 *   check (it did not sleep: the word changed after the caller read it);
 *   else WEFT_OK (woken, or spurious). Never returns early with
 *   WEFT_ETIMEDOUT: when it says the deadline passed, weft__now() >= deadline.
 *   Callers that only care about the deadline compare with WEFT_ETIMEDOUT; the
 *   Lock's slow path counts WEFT__WAIT_CHANGED returns in a row (lock.c,
 *   "Backoff").
 *   Never touches errno. Never allocates. Never fails otherwise.
 *
 * weft__wake(addr, n)
 *   Wake up to n threads blocked in weft__wait on addr (n = 1, or WEFT__WAKE_ALL).
 *   A waiter that had already checked *addr == expected and is about to sleep is
 *   not missed: that check and the sleep are atomic with respect to the wake.
 *   Never touches errno, never blocks (beyond a bucket lock in the parking
 *   backend), never fails.
 *
 * The "no lost wakeup" argument every caller makes is therefore: change the word
 * (with release order) before calling wake; a waiter re-checks the word (with
 * acquire order) inside weft__wait, so it either sees the new value and does not
 * sleep, or it was already asleep and the wake reaches it.
 *
 * Addresses are process-private (no PROCESS_SHARED support in this layer).
 */
#ifndef WEFT_INTERNAL_WAIT_H
#define WEFT_INTERNAL_WAIT_H

#include <limits.h>
#include <stdatomic.h>
#include <stdint.h>

#include "internal/clock.h"

#define WEFT__WAKE_ALL INT_MAX

/* weft__wait's return when the word differed from expected at its check. */
#define WEFT__WAIT_CHANGED 1

#define WEFT__HIDDEN __attribute__((visibility("hidden")))

WEFT__HIDDEN int weft__wait(const WEFT_ATOMIC(uint32_t) *addr, uint32_t expected,
                            weft__ns deadline);
WEFT__HIDDEN void weft__wake(const WEFT_ATOMIC(uint32_t) *addr, int n);

/* Fork support. thread.c's fork handlers call these, and nothing else does:
 *   weft__wait_fork_prepare()  last thing before fork(), after weft's own prepare
 *                              handlers took their locks (they may still need to
 *                              sleep and wake while doing so)
 *   weft__wait_fork_parent()   first thing after fork() in the parent
 *   weft__wait_fork_child()    first thing after fork() in the child
 * Between prepare and parent/child the backend may hold internal locks: no
 * weft__wait or weft__wake may run in the forking thread in between. In the child
 * every waiter of the parent is gone; the backend forgets them. */
WEFT__HIDDEN void weft__wait_fork_prepare(void);
WEFT__HIDDEN void weft__wait_fork_parent(void);
WEFT__HIDDEN void weft__wait_fork_child(void);

/* The name of the compiled backend ("futex" or "parking"), for tests and reports. */
WEFT__HIDDEN const char *weft__wait_backend(void);

#endif /* WEFT_INTERNAL_WAIT_H */
