/* SPDX-License-Identifier: MIT */
/* weft/timer.h: Python's threading.Timer.
 *
 * Python:   threading.Timer(interval, function, args=None, kwargs=None)
 *
 * A timer calls fn(arg) once, interval seconds after weft_timer_start, unless
 * it was cancelled first. It behaves like the Thread it is in Python: it has a
 * thread's name ("Thread-N", numbered with weft's threads) and daemon flag
 * (inherited from the creating thread), it is alive from start until the
 * function returned (or the timer was cancelled), it can be joined, and the
 * function runs on a weft thread of that name, so weft_current_thread() inside
 * it is the timer's thread and a failure it reports with weft_fail reaches the
 * excepthook.
 *
 * Beyond Python: a pending timer costs no thread. All started timers wait in a
 * min-heap of deadlines served by a scheduler thread (one for daemon timers, one
 * for non-daemon timers, each started on demand and gone when it has nothing
 * pending). When a timer is due, the scheduler starts that timer's own
 * short-lived weft thread to run the function, so a slow function never delays
 * another timer. (If the OS refuses the thread, the scheduler calls the
 * function itself rather than lose the call.) docs/design/timer.md.
 *
 * Exit rule (Python's): a started, non-daemon timer holds up process exit like
 * a thread: exit waits until it has fired and its function returned, or it was
 * cancelled. Daemon timers do not hold up exit; pending ones never fire then.
 *
 * A weft_timer is an opaque heap handle. weft_timer_create gives the caller one
 * reference; weft_timer_destroy drops it. A started timer keeps itself alive
 * until it finished, so dropping the handle does not cancel it.
 */
#ifndef WEFT_TIMER_H
#define WEFT_TIMER_H

#include "common.h"
#include "error.h"
#include "thread.h"

WEFT_BEGIN_DECLS

typedef struct weft_timer weft_timer;

/* The function: Python's function(*args, **kwargs). To fail, call weft_fail(). */
typedef void (*weft_timer_fn)(void *arg);

/* ---- lifecycle ------------------------------------------------------------ */

/* weft_timer_create: make a timer (not started).
 *
 * Python:   threading.Timer(interval, function, args)
 * interval: seconds, with Event.wait's rules (Python's run() waits on an Event):
 *           0, negatives, -inf and NaN: due at once after start; WEFT_FOREVER
 *           (Python's None): never due, it only ends by cancel; above
 *           WEFT_TIMEOUT_MAX or +inf: WEFT_EOVERFLOW here (Deviation: Python
 *           raises OverflowError in the timer thread, reaching the excepthook).
 * attr:     NULL, or name / flags (daemon) as for weft_thread_create; its
 *           stack_size is used for the function's thread.
 * Returns:  WEFT_OK and *out; WEFT_EINVAL (out or fn NULL, bad attr as
 *           weft_thread_create); WEFT_EOVERFLOW; WEFT_ENOMEM. On error *out is
 *           untouched and nothing is allocated.
 * Threads:  any thread, including threads weft did not create.
 */
WEFT_API int weft_timer_create(weft_timer **out, double interval, weft_timer_fn fn,
                               void *arg, const weft_thread_attr *attr);

/* weft_timer_start: start the countdown.
 *
 * Python:   Timer.start()
 * Returns:  WEFT_OK; WEFT_ESTATE if it was started before ("threads can only be
 *           started once"); WEFT_EAGAIN / WEFT_ENOMEM if the scheduler thread
 *           could not be started or the heap could not grow (the timer is
 *           unchanged and may be started again); WEFT_EINVAL for NULL.
 *           A timer cancelled before start starts and finishes at once without
 *           calling its function.
 * Threads:  any thread; never waits for the timer.
 */
WEFT_API int weft_timer_start(weft_timer *t);

/* weft_timer_cancel: stop the timer if it has not fired yet.
 *
 * Python:   Timer.cancel()
 * Effective while the timer waits (or before start): its function will never
 * run and the timer finishes now (joiners return). No effect once the function
 * has started or the timer finished.
 * Returns:  WEFT_OK (Python returns None and never raises); WEFT_EINVAL for NULL.
 * Threads:  any thread, including the timer's own function; never blocks for
 *           the function.
 */
WEFT_API int weft_timer_cancel(weft_timer *t);

/* weft_timer_join: wait until the timer finished.
 *
 * Python:   Timer.join(timeout=None) (Thread.join)
 * timeout:  WEFT_FOREVER blocks; 0 and other negatives (also -inf) poll; NaN:
 *           WEFT_EINVAL; above WEFT_TIMEOUT_MAX: WEFT_EOVERFLOW (Thread.join's rules).
 * Returns:  WEFT_OK once it finished (cancelled, or its function returned and its
 *           thread ended); WEFT_ETIMEDOUT if still alive (Deviation: Python
 *           returns None); WEFT_ESTATE if not started ("cannot join thread
 *           before it is started") or called from the timer's own function
 *           ("cannot join current thread"); WEFT_EINVAL for NULL.
 * Threads:  any number of threads may join at once.
 */
WEFT_API int weft_timer_join(weft_timer *t, double timeout);

/* Drop the caller's reference (NULL: no-op). A pending timer still fires. */
WEFT_API void weft_timer_destroy(weft_timer *t);

/* ---- queries and properties (Thread's) ------------------------------------ */

/* Python: Timer.is_alive(): started and not finished. False for NULL. */
WEFT_API bool weft_timer_is_alive(const weft_timer *t);

/* Python: Timer.finished.is_set(): cancelled, or the function returned.
 * (Deviation: Python leaves it unset if the function raised; weft sets it.) */
WEFT_API bool weft_timer_finished(const weft_timer *t);

/* Python: Timer.name / Timer.name = name. As weft_thread_name / _set_name. */
WEFT_API const char *weft_timer_name(const weft_timer *t);
WEFT_API int weft_timer_set_name(weft_timer *t, const char *name);

/* Python: Timer.daemon / Timer.daemon = flag. set_daemon returns WEFT_ESTATE once
 * started ("cannot set daemon status of active thread"), WEFT_EINVAL for NULL. */
WEFT_API bool weft_timer_daemon(const weft_timer *t);
WEFT_API int weft_timer_set_daemon(weft_timer *t, bool daemon);

/* The weft thread that runs (or will run) the function: a borrowed reference,
 * valid while t is. Its ident is 0 until the function's thread started. */
WEFT_API weft_thread *weft_timer_thread(const weft_timer *t);

/* Python: Timer.interval. NaN for NULL. */
WEFT_API double weft_timer_interval(const weft_timer *t);

WEFT_END_DECLS

#endif /* WEFT_TIMER_H */
