/* SPDX-License-Identifier: MIT */
/* weft/event.h: Python's threading.Event.
 *
 * Python:   threading.Event()
 *
 * A flag, initially false, that threads wait for. An embeddable struct of one
 * 32-bit word that never allocates and never fails for lack of resources. A
 * zero-filled struct (static storage, memset, WEFT_EVENT_INIT) is an unset event;
 * weft_event_init does the same at run time. Usable from any thread, including
 * threads weft did not create.
 *
 * A waiter woken by set() returns WEFT_OK even if clear() ran before it was
 * scheduled (CPython gh-57711): the word carries a generation that every set()
 * of an unset event advances. Deviation (theoretical): a waiter that sleeps
 * through exactly 2^30 set() calls, each followed by clear(), without being
 * scheduled once, cannot tell that any happened.
 */
#ifndef WEFT_EVENT_H
#define WEFT_EVENT_H

#include "common.h"
#include "error.h"

WEFT_BEGIN_DECLS

/* One state word: flag bit, waiters bit, generation (src/event.c). Private. */
typedef struct weft_event {
    WEFT_ATOMIC(uint32_t) word;
} weft_event;

#define WEFT_EVENT_INIT { 0 }

/* ---- lifecycle ------------------------------------------------------------ */

/* weft_event_init: make an unset event.
 *
 * Python:   threading.Event()
 * Threads:  before any other thread uses ev. NULL is a no-op. Never fails.
 */
WEFT_API void weft_event_init(weft_event *ev);

/* weft_event_destroy: end of use; no thread may be waiting. NULL is a no-op. */
WEFT_API void weft_event_destroy(weft_event *ev);

/* ---- operations ----------------------------------------------------------- */

/* weft_event_set: set the flag and wake every waiter.
 *
 * Python:   Event.set()
 * Returns:  WEFT_OK; WEFT_EINVAL for NULL. Setting a set event does nothing.
 * Threads:  any thread; never blocks. Costs one atomic CAS, plus one wake-all
 *           system call only if a thread is sleeping on the event.
 */
WEFT_API int weft_event_set(weft_event *ev);

/* weft_event_clear: reset the flag to false.
 *
 * Python:   Event.clear()
 * Returns:  WEFT_OK; WEFT_EINVAL for NULL. Threads woken by an earlier set()
 *           still return WEFT_OK from their wait.
 * Threads:  any thread; never blocks.
 */
WEFT_API int weft_event_clear(weft_event *ev);

/* weft_event_wait: block until the flag is set or the timeout expires.
 *
 * Python:   Event.wait(timeout=None)
 * timeout:  seconds. WEFT_FOREVER blocks; 0, other negatives (also -inf) and NaN
 *           poll (CPython's rule: NaN > 0 is false); above WEFT_TIMEOUT_MAX or
 *           +inf: WEFT_EOVERFLOW, but only if it has to wait (a set event
 *           returns WEFT_OK for any timeout).
 * Returns:  WEFT_OK if the flag was set on entry or a set() woke this thread
 *           (even if cleared again before it ran); WEFT_ETIMEDOUT if the flag
 *           was still unset when the timeout expired (Python's False);
 *           WEFT_EOVERFLOW as above; WEFT_EINVAL for NULL.
 * Threads:  any thread; may block. Before it sleeps, a waiter yields the CPU
 *           a few times (at most 64, never past the timeout) and re-checks, so
 *           a set() that comes at once costs neither thread a sleep; a thread
 *           whose waits keep outlasting that phase soon skips it (src/yield.c).
 */
WEFT_API int weft_event_wait(weft_event *ev, double timeout);

/* ---- queries -------------------------------------------------------------- */

/* weft_event_is_set: the flag now (a snapshot).
 *
 * Python:   Event.is_set() (and repr's set/unset). False for NULL.
 */
WEFT_API bool weft_event_is_set(const weft_event *ev);

WEFT_END_DECLS

#endif /* WEFT_EVENT_H */
