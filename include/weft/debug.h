/* SPDX-License-Identifier: MIT */
/* weft/debug.h: names, deadlock detection, thread dumps, lock-order checking and
 * contention statistics (docs/debugging.md).
 *
 * Python:   nothing in the standard library does this (faulthandler's
 *           dump_traceback_later and SIGQUIT dump come closest for the dump).
 *
 * Every blocking wait in weft records, in the waiting thread's record, what it waits
 * on and since when; a Lock (and an RLock) records its holder. Those records are
 * what the dump prints and what the deadlock detector walks.
 *
 * Reports (deadlocks, lock-order inversions, shutdown deadlines) are plain text,
 * several lines, naming every thread and object. They go to the report hook:
 * stderr by default.
 *
 * Environment (read once, at the first weft call that needs it):
 *   WEFT_DEADLOCK=report|abort|off    the deadlock mode (default report)
 *   WEFT_DUMP_SIGNAL=QUIT|USR1|USR2|<number>
 *                                     install the dump-on-signal handler at load
 *   WEFT_LOCK_ORDER=1                 turn the lock-order checker on
 *   WEFT_LOCK_STATS=1                 collect contention statistics for every lock
 */
#ifndef WEFT_DEBUG_H
#define WEFT_DEBUG_H

#include <stdio.h>

#include "common.h"
#include "error.h"

WEFT_BEGIN_DECLS

/* ---- Names ------------------------------------------------------------------- */

/* weft_debug_name: give any weft object (Lock, RLock, Condition, Semaphore, Event,
 * Barrier, Queue, SimpleQueue, Future, Executor, Timer...) a name for reports and
 * dumps. Call it right after the object's init; the object's destroy forgets it.
 * The name is copied (at most WEFT_DEBUG_NAME_MAX - 1 bytes are kept). NULL name:
 * forget the object's name. Threads have their own names (weft_thread_set_name).
 * Returns:  WEFT_OK; WEFT_EINVAL for a NULL obj; WEFT_ENOMEM (nothing changed).
 */
#define WEFT_DEBUG_NAME_MAX 64
WEFT_API int weft_debug_name(const void *obj, const char *name);

/* weft_debug_name_of: copy obj's name into buf (NUL-terminated, truncated to size).
 * Returns:  WEFT_OK if it has one; WEFT_EEMPTY if not (buf gets ""); WEFT_EINVAL for
 *           NULL obj or buf, or size 0.
 */
WEFT_API int weft_debug_name_of(const void *obj, char *buf, size_t size);

/* ---- Deadlock detection --------------------------------------------------------- */

/* When a thread is about to block without a timeout, and periodically while it
 * stays blocked, weft walks the wait-for graph: Lock and RLock holders, Thread
 * joins, and executor workers waiting on futures that can only run on a worker of
 * their own, full pool. A cycle that is still there after a short confirmation
 * delay is a deadlock. */
typedef enum weft_deadlock_mode {
    WEFT_DEADLOCK_OFF = 0,    /* never check */
    WEFT_DEADLOCK_REPORT = 1, /* default: report, and the wait returns WEFT_EDEADLK */
    WEFT_DEADLOCK_ABORT = 2   /* report, then abort() */
} weft_deadlock_mode;

/* Returns WEFT_OK, or WEFT_EINVAL for an unknown mode (nothing changed). */
WEFT_API int weft_deadlock_set_mode(weft_deadlock_mode mode);
WEFT_API weft_deadlock_mode weft_deadlock_get_mode(void);

/* The report hook: called with one complete report (lines ending in '\n') by the
 * thread that found it. NULL restores the default (write to stderr). The hook must
 * not block on weft objects. */
typedef void (*weft_report_fn)(const char *report, void *arg);
WEFT_API void weft_debug_set_report_hook(weft_report_fn fn, void *arg);

/* ---- Thread dump --------------------------------------------------------------- */

/* weft_debug_dump: write every thread weft knows (its own and foreign threads that
 * used weft) to out: name, ident, native id, daemon, alive, and what it is blocked
 * on (object, its name, held by whom) and for how long.
 * Returns:  WEFT_OK; WEFT_EINVAL for NULL out. */
WEFT_API int weft_debug_dump(FILE *out);

/* weft_debug_dump_on_signal: on signal signo (e.g. SIGQUIT), write the dump to stderr
 * without stopping the program. The handler only wakes a reporter thread, which
 * writes the dump. signo 0 removes the handler (the previous disposition returns).
 * Returns:  WEFT_OK; WEFT_EINVAL for a signal that cannot be caught; WEFT_ESTATE if
 *           another signal is already set up; WEFT_EAGAIN / WEFT_ENOMEM if the
 *           reporter thread could not start. */
WEFT_API int weft_debug_dump_on_signal(int signo);

/* ---- Lock-order checker ------------------------------------------------------------ */

/* When on, every Lock and RLock acquisition records the order in which the calling
 * thread takes locks; the first inversion (A then B somewhere, B then A elsewhere)
 * is reported through the report hook, with both orders named, even if no deadlock
 * happened. Each pair is reported once. Off by default (it costs a table update per
 * acquisition). Returns WEFT_OK. */
WEFT_API int weft_debug_lock_order(bool on);

/* ---- Contention statistics --------------------------------------------------------- */

typedef struct weft_lock_stats {
    uint64_t acquisitions;   /* successful acquires */
    uint64_t contended;      /* acquires that had to wait */
    double total_wait;       /* seconds spent waiting, summed */
    double max_wait;         /* longest single wait, seconds */
    double max_hold;         /* longest hold, seconds */
} weft_lock_stats;

/* weft_debug_stats_enable: collect statistics for one Lock or RLock (obj), or for
 * every lock when obj is NULL. on=false stops collecting (counts so far are kept).
 * Returns WEFT_OK; WEFT_ENOMEM. */
WEFT_API int weft_debug_stats_enable(const void *obj, bool on);

/* weft_debug_stats_get: the statistics of obj so far.
 * Returns WEFT_OK; WEFT_EEMPTY if none were collected for it; WEFT_EINVAL for NULL. */
WEFT_API int weft_debug_stats_get(const void *obj, weft_lock_stats *out);

/* weft_debug_stats_report: one line per lock with statistics, most contended first.
 * Returns WEFT_OK; WEFT_EINVAL for NULL out. */
WEFT_API int weft_debug_stats_report(FILE *out);

/* ---- Shutdown with a deadline -------------------------------------------------------- */

/* weft_join_all: join every non-daemon weft thread other than the caller, waiting at
 * most timeout seconds in all.
 * timeout:  Thread.join's rule: WEFT_FOREVER waits as long as it takes; 0 and other
 *           negatives poll; NaN: WEFT_EINVAL; above WEFT_TIMEOUT_MAX: WEFT_EOVERFLOW.
 * Returns:  WEFT_OK when all have finished; WEFT_ETIMEDOUT when some have not: then,
 *           if report is not NULL, one entry per thread still running (name, for how
 *           long, and what it waits on, as in weft_debug_dump) is written to it;
 *           WEFT_EINVAL / WEFT_EOVERFLOW for a bad timeout (nothing waited);
 *           WEFT_EDEADLK if, waiting without a timeout, one of the joins was found
 *           to be part of a deadlock (reported as usual). */
WEFT_API int weft_join_all(double timeout, FILE *report);

WEFT_END_DECLS

#endif /* WEFT_DEBUG_H */
