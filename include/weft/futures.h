/* SPDX-License-Identifier: MIT */
/* weft/futures.h: Python's concurrent.futures for threads.
 *
 * Python:   concurrent.futures.Future, ThreadPoolExecutor, wait, as_completed,
 *           FIRST_COMPLETED, FIRST_EXCEPTION, ALL_COMPLETED, CancelledError,
 *           TimeoutError, InvalidStateError, BrokenExecutor / BrokenThreadPool.
 *
 * Exceptions map to codes (docs/error-model.md): CancelledError -> WEFT_ECANCELLED,
 * TimeoutError -> WEFT_ETIMEDOUT, InvalidStateError -> WEFT_ESTATE, an exception
 * raised by the task -> WEFT_ETASK (the task's own code and message are kept on
 * the future, see weft_future_exception), BrokenThreadPool -> WEFT_EBROKENPOOL,
 * "cannot schedule new futures after shutdown" -> WEFT_ESHUTDOWN, ValueError ->
 * WEFT_EINVAL, OverflowError (timeout too large) -> WEFT_EOVERFLOW.
 *
 * Tasks. A task is `void *fn(void *arg)`. Its return value is the future's result.
 * It fails the C way: it calls weft_fail(code, fmt, ...) (weft/thread.h) and
 * returns; the code and message become the future's exception and result() then
 * returns WEFT_ETASK.
 *
 * Ownership. A weft_future is an opaque, reference-counted handle. Whoever gets a
 * future from weft (weft_future_create, weft_executor_submit) owns one reference
 * and drops it with weft_future_unref (or weft_future_destroy, the same). The
 * executor holds its own reference while the task is queued or running, so a
 * caller may drop its reference at any time (fire and forget). The result is a
 * void * the future only stores: weft never frees it unless a result destructor
 * was set with weft_future_set_result_destructor, in which case it is called once
 * on the stored result when the last reference goes. The failure message is
 * copied into the future and freed with it.
 *
 * Exit: as in Python, a process that exits (main returns or exit() is called)
 * without shutting an executor down still runs its queued and running work: at
 * exit, before weft waits for non-daemon threads, every executor not yet
 * destroyed is shut down (wait=true, cancel_futures=false), newest executor
 * first, in the exiting thread (Python's threading._register_atexit hook
 * _python_exit). Workers inherit the submitting thread's daemon flag as
 * threading.Thread does (non-daemon when submitted from main or a weft thread,
 * daemon from a foreign thread). Once that exit-time shutdown has begun, submit
 * to any executor (also one created then, or one not yet reached) returns
 * WEFT_ESHUTDOWN ("cannot schedule new futures after interpreter shutdown").
 * In a fork child, only executors that started a worker in the child are shut
 * down at the child's exit.
 *
 * Deviation: Python's `with executor:` is the cleanup-attribute macro
 * WEFT_WITH_EXECUTOR (GCC and clang).
 */
#ifndef WEFT_FUTURES_H
#define WEFT_FUTURES_H

#include <stdio.h>

#include "common.h"
#include "error.h"

WEFT_BEGIN_DECLS

typedef struct weft_future weft_future;
typedef struct weft_executor weft_executor;

/* A task: Python's fn(*args). Report failure with weft_fail() and return. */
typedef void *(*weft_task_fn)(void *arg);

/* A done-callback: Python's fn(future). future is borrowed for the call. */
typedef void (*weft_future_callback)(weft_future *future, void *userdata);

/* The states of a future (Python's _base.PENDING, ...), see weft_future_state. */
enum weft_future_state {
    WEFT_FUTURE_PENDING = 0,
    WEFT_FUTURE_RUNNING = 1,
    WEFT_FUTURE_CANCELLED = 2,
    WEFT_FUTURE_CANCELLED_AND_NOTIFIED = 3,
    WEFT_FUTURE_FINISHED = 4
};

/* ---- Future: lifecycle ---------------------------------------------------- */

/* weft_future_create: a new PENDING future, for callers who complete it themselves.
 *
 * Python:   concurrent.futures.Future()
 * Returns:  WEFT_OK and *out (one reference); WEFT_EINVAL (out NULL); WEFT_ENOMEM.
 *           On error *out is untouched.
 * Threads:  any thread.
 */
WEFT_API int weft_future_create(weft_future **out);

/* Take another reference. Returns f (NULL for NULL). Any thread. */
WEFT_API weft_future *weft_future_ref(weft_future *f);
/* Drop a reference; the last one frees the future (and calls the result
 * destructor on a stored result). NULL is a no-op. Any thread. */
WEFT_API void weft_future_unref(weft_future *f);
/* The same as weft_future_unref. */
WEFT_API void weft_future_destroy(weft_future *f);

/* weft_future_set_result_destructor: have the future free its result.
 *
 * Python:   none (Python's garbage collector); beyond Python.
 * dtor is called once, with the stored result, when the last reference is dropped,
 * if the future FINISHED with a result (not for failures or cancellation). NULL
 * removes it. Returns WEFT_OK; WEFT_EINVAL for a NULL future. Any thread.
 */
WEFT_API int weft_future_set_result_destructor(weft_future *f, void (*dtor)(void *result));

/* ---- Future: operations --------------------------------------------------- */

/* weft_future_cancel: cancel the future if it has not started.
 *
 * Python:   Future.cancel()
 * Returns:  WEFT_OK if the future is cancelled (it was PENDING, or it was cancelled
 *           before: Python's True); WEFT_ESTATE if it is RUNNING or FINISHED
 *           (Python's False), changing nothing; WEFT_EINVAL for NULL.
 *           On PENDING -> CANCELLED, result()/exception() waiters wake and the
 *           done-callbacks run in the calling thread; wait()/as_completed() are
 *           not woken (they see the future once an executor notifies it).
 * Threads:  any thread.
 */
WEFT_API int weft_future_cancel(weft_future *f);

/* Python: Future.cancelled(), running(), done(). Snapshots; false for NULL.
 * done: CANCELLED, CANCELLED_AND_NOTIFIED or FINISHED. */
WEFT_API bool weft_future_cancelled(const weft_future *f);
WEFT_API bool weft_future_running(const weft_future *f);
WEFT_API bool weft_future_done(const weft_future *f);

/* The state, a snapshot (Python: Future._state). WEFT_EINVAL for NULL. */
WEFT_API int weft_future_state(const weft_future *f);

/* weft_future_result: wait for the future and get its result.
 *
 * Python:   Future.result(timeout=None)
 * timeout:  seconds; WEFT_FOREVER blocks; 0, other negatives and NaN poll (Python's
 *           rule: it waits once with the timeout); above WEFT_TIMEOUT_MAX:
 *           WEFT_EOVERFLOW before anything else.
 * Returns:  WEFT_OK and *out = the result (borrowed: owned by whoever owns it, see
 *           Ownership above); WEFT_ECANCELLED if cancelled (CancelledError);
 *           WEFT_ETASK if the task failed (its code and message: weft_future_exception);
 *           a future completed with weft_future_set_exception also gives WEFT_ETASK;
 *           WEFT_ETIMEDOUT if not done in time (TimeoutError); WEFT_EDEADLK
 *           (only without a timeout, with deadlock detection on: weft/debug.h)
 *           if the future can never finish because the threads that must run it
 *           wait for the caller: a task waiting for its own future; a task of a
 *           pool whose every worker is busy (max_workers reached, none idle)
 *           waiting for a task queued behind it in the same pool, e.g. with
 *           max_workers = 1 a task that submits another task and waits for its
 *           result; or a cycle of such waits, Thread joins and Lock holders. The
 *           cycle is reported through the report hook (stderr by default) and the
 *           future is left as it is (Deviation: Python hangs); WEFT_EINVAL for a
 *           NULL future. out may be NULL; it is written only on WEFT_OK.
 * Threads:  any thread; may block. While it waits, the caller's thread record
 *           says it waits for f (weft_debug_dump, the detector).
 */
WEFT_API int weft_future_result(weft_future *f, double timeout, void **out);

/* weft_future_exception: wait for the future and get its failure.
 *
 * Python:   Future.exception(timeout=None)
 * timeout:  as weft_future_result.
 * Returns:  WEFT_OK once done and not cancelled: *code = the task's failure code
 *           (WEFT_OK if it succeeded: Python's None), *message = its message
 *           ("" if none; NULL when it succeeded), valid while the caller holds a
 *           reference; WEFT_ECANCELLED, WEFT_ETIMEDOUT, WEFT_EDEADLK, WEFT_EOVERFLOW,
 *           WEFT_EINVAL as weft_future_result. code and message may be NULL.
 * Threads:  any thread; may block.
 */
WEFT_API int weft_future_exception(weft_future *f, double timeout, int *code,
                                   const char **message);

/* weft_future_add_done_callback: call fn(f, userdata) when the future is done.
 *
 * Python:   Future.add_done_callback(fn)
 * If the future is done, fn runs at once in the calling thread; otherwise it runs
 * once, in registration order, in the thread that finishes or cancels the future,
 * after the state change and outside the future's lock. A callback that fails
 * (calls weft_fail) is reported to stderr ("exception calling callback for
 * <future>", as Python's logger.exception) and the remaining callbacks still run.
 * Returns:  WEFT_OK; WEFT_EINVAL (f or fn NULL); WEFT_ENOMEM (nothing registered).
 * Threads:  any thread. A callback may call any function on f (result, unref of
 *           its own extra reference, ...) but must not drop the reference the
 *           caller of set_result/cancel relies on.
 */
WEFT_API int weft_future_add_done_callback(weft_future *f, weft_future_callback fn,
                                           void *userdata);

/* weft_future_set_running_or_notify_cancel: mark the future running, unless it
 * was cancelled.
 *
 * Python:   Future.set_running_or_notify_cancel() (for executors and tests)
 * Returns:  WEFT_OK if it was PENDING and is now RUNNING (Python's True);
 *           WEFT_ECANCELLED if it was CANCELLED: it is now CANCELLED_AND_NOTIFIED
 *           and wait()/as_completed() waiters are told (Python's False);
 *           WEFT_ESTATE in any other state ("Future in unexpected state",
 *           RuntimeError), changing nothing; WEFT_EINVAL for NULL.
 */
WEFT_API int weft_future_set_running_or_notify_cancel(weft_future *f);

/* weft_future_set_result: finish the future with a result.
 *
 * Python:   Future.set_result(result)
 * Allowed from PENDING or RUNNING. Wakes result() waiters and wait()/as_completed()
 * waiters, then runs the done-callbacks in the calling thread.
 * Returns:  WEFT_OK; WEFT_ESTATE if cancelled or finished (InvalidStateError),
 *           changing nothing (the new result is not stored); WEFT_EINVAL for NULL.
 */
WEFT_API int weft_future_set_result(weft_future *f, void *result);

/* weft_future_set_exception: finish the future with a failure.
 *
 * Python:   Future.set_exception(exception)
 * code:     the failure code, negative (WEFT_EINVAL for code >= 0: C has no
 *           "None exception"); message: copied (NULL means ""). If the copy cannot
 *           be allocated the message is dropped (the failure is still stored).
 * Returns:  as weft_future_set_result.
 */
WEFT_API int weft_future_set_exception(weft_future *f, int code, const char *message);

/* ---- wait and as_completed ------------------------------------------------ */

/* return_when values (Python's module constants). */
#define WEFT_FIRST_COMPLETED 1
#define WEFT_FIRST_EXCEPTION 2
#define WEFT_ALL_COMPLETED   3

/* weft_futures_wait: wait until some or all of the futures are done.
 *
 * Python:   concurrent.futures.wait(fs, timeout=None, return_when=ALL_COMPLETED)
 * fs:       n futures (duplicates count once; n = 0 is allowed; NULL entries:
 *           WEFT_EINVAL). Only CANCELLED_AND_NOTIFIED and FINISHED count as done
 *           (a plainly CANCELLED future is not done until an executor notifies it).
 * timeout:  WEFT_FOREVER blocks; 0, other negatives and NaN do not wait; above
 *           WEFT_TIMEOUT_MAX: WEFT_EOVERFLOW.
 * done, not_done: NULL or arrays of n slots; they receive the distinct done and
 *           not-done futures (borrowed pointers, in input order), their counts in
 *           *ndone / *nnot_done (each may be NULL).
 * Returns:  WEFT_OK when the condition held or the timeout expired (Python never
 *           raises TimeoutError here: compare *nnot_done with 0); WEFT_EINVAL (fs
 *           NULL with n > 0, a NULL entry, unknown return_when); WEFT_ENOMEM.
 *           On error nothing is written.
 * Deviation: an unknown return_when is WEFT_EINVAL even if every future is done
 *           (Python accepts it silently then).
 * Threads:  any thread; may block.
 */
WEFT_API int weft_futures_wait(weft_future *const *fs, size_t n, double timeout,
                               int return_when, weft_future **done, size_t *ndone,
                               weft_future **not_done, size_t *nnot_done);

/* as_completed: an iterator over futures as they finish. */
typedef struct weft_as_completed weft_as_completed;

/* weft_as_completed_create: Python's as_completed(fs, timeout=None).
 *
 * Takes a reference on each distinct future (dropped when it is yielded or when the
 * iterator is destroyed). Nothing waits and the clock does not start until the
 * first weft_as_completed_next, as with Python's generator.
 * timeout:  WEFT_FOREVER: no limit; 0, negatives and NaN: WEFT_ETIMEDOUT as soon
 *           as a future is still pending after the done ones were yielded; above
 *           WEFT_TIMEOUT_MAX: WEFT_EOVERFLOW.
 * Returns:  WEFT_OK and *out; WEFT_EINVAL (out NULL, fs NULL with n > 0, a NULL
 *           entry); WEFT_EOVERFLOW; WEFT_ENOMEM.
 */
WEFT_API int weft_as_completed_create(weft_as_completed **out, weft_future *const *fs,
                                      size_t n, double timeout);

/* weft_as_completed_next: the next finished future.
 *
 * Python:   next(iterator)
 * Yields the futures already done first, then the others in completion order,
 * each distinct future once.
 * Returns:  WEFT_OK and *out = a future (borrowed from the caller's own reference);
 *           WEFT_OK and *out = NULL when every future was yielded (StopIteration);
 *           WEFT_ETIMEDOUT if the timeout expired with futures pending (Python's
 *           TimeoutError "<n> (of <total>) futures unfinished"; weft_as_completed_pending
 *           gives n); the iterator stays usable and keeps returning WEFT_ETIMEDOUT
 *           for pending futures. WEFT_EINVAL for NULL.
 * Threads:  one thread at a time per iterator; may block.
 */
WEFT_API int weft_as_completed_next(weft_as_completed *it, weft_future **out);

/* Futures not yielded yet. 0 for NULL. */
WEFT_API size_t weft_as_completed_pending(const weft_as_completed *it);

/* Remove the iterator from every future and free it (Python: generator close).
 * NULL is a no-op. */
WEFT_API void weft_as_completed_destroy(weft_as_completed *it);

/* ---- ThreadPoolExecutor --------------------------------------------------- */

/* Python's max_workers=None: min(32, CPUs usable by the process + 4). */
#define WEFT_EXECUTOR_DEFAULT_WORKERS 0

/* Optional attributes; a zero-initialised struct (or NULL) means Python's defaults. */
typedef struct weft_executor_attr {
    int max_workers;                /* WEFT_EXECUTOR_DEFAULT_WORKERS (0) or > 0;
                                       < 0: WEFT_EINVAL (Python's ValueError for <= 0) */
    const char *thread_name_prefix; /* NULL or "": "ThreadPoolExecutor-K"; workers
                                       are named "<prefix>_N", N from 0 */
    int (*initializer)(void *arg);  /* NULL or run first in every worker; failing
                                       (returning < 0 or calling weft_fail) breaks
                                       the pool */
    void *initarg;                  /* the initializer's argument (Python's initargs) */
} weft_executor_attr;

/* weft_executor_create: a thread pool with no threads yet.
 *
 * Python:   ThreadPoolExecutor(max_workers=None, thread_name_prefix='',
 *                              initializer=None, initargs=())
 * attr:     NULL or attributes (copied, the prefix string too).
 * Exit:     the executor is shut down and its workers joined at process exit
 *           unless destroyed before (see the top of this header). Created once
 *           exit has begun, it is already shut down.
 * Returns:  WEFT_OK and *out; WEFT_EINVAL (out NULL, max_workers < 0); WEFT_ENOMEM
 *           (nothing created, nothing registered).
 * Deviation: max_workers 0 means the default (Python's None; Python rejects 0).
 */
WEFT_API int weft_executor_create(weft_executor **out, const weft_executor_attr *attr);

/* weft_executor_destroy: shutdown(wait=true, cancel_futures=false), then free.
 * Futures handed out stay valid (they hold their own references). NULL: no-op.
 * Also withdraws the executor from the exit-time shutdown; if that shutdown is
 * running in another thread (exit has begun), waits for it first.
 * Must not be called from one of the executor's own workers. */
WEFT_API void weft_executor_destroy(weft_executor *ex);

/* weft_executor_submit: schedule fn(arg) and return its future.
 *
 * Python:   Executor.submit(fn, /, *args, **kwargs)
 * Starts a worker if fewer workers are free than tasks are queued and fewer than
 * max_workers exist; otherwise a free worker takes the task.
 * Returns:  WEFT_OK and *out (one reference for the caller); WEFT_EBROKENPOOL if an
 *           initializer failed (BrokenThreadPool); WEFT_ESHUTDOWN after shutdown
 *           ("cannot schedule new futures after shutdown"); WEFT_EINVAL (ex, fn or
 *           out NULL); WEFT_ENOMEM; WEFT_EAGAIN if no worker exists and none could
 *           be started (the task is not queued). On error *out is untouched.
 * Threads:  any thread, including the executor's workers.
 */
WEFT_API int weft_executor_submit(weft_executor *ex, weft_task_fn fn, void *arg,
                                  weft_future **out);

/* weft_executor_map: run fn on every argument and collect the results in order.
 *
 * Python:   list(Executor.map(fn, args, timeout=timeout)) (beyond Python: chunksize
 *           groups chunksize consecutive arguments into one task, for cheap tasks;
 *           0 and 1 mean one task per argument)
 * timeout:  over the whole call, fixed at entry; WEFT_FOREVER: no limit; 0,
 *           negatives and NaN: poll each result; above WEFT_TIMEOUT_MAX:
 *           WEFT_EOVERFLOW before anything is submitted.
 * results:  n slots; results[i] = fn(args[i]) for the items before the first failure
 *           (the rest are left unchanged).
 * failed:   NULL or receives the index of the first item that failed or timed out
 *           (n when all succeeded).
 * Returns:  WEFT_OK; WEFT_ETASK for the first failure in input order (the other
 *           tasks not yet started are cancelled, as Python cancels the rest when the
 *           iterator is closed); WEFT_ETIMEDOUT; WEFT_EDEADLK as weft_future_result
 *           (a worker of this pool waiting for items queued behind it); submit's
 *           errors (WEFT_ESHUTDOWN,
 *           WEFT_EBROKENPOOL, WEFT_ENOMEM) with nothing run when they happen at the
 *           first submission; WEFT_EINVAL (ex or fn NULL, args or results NULL with
 *           n > 0). n = 0 returns WEFT_OK at once, even after shutdown (as Python).
 * Threads:  any thread except a worker of a one-worker executor (it would wait
 *           for itself: WEFT_EDEADLK, reported, with deadlock detection on and no
 *           timeout); may block.
 */
WEFT_API int weft_executor_map(weft_executor *ex, weft_task_fn fn, void *const *args,
                               size_t n, void **results, double timeout,
                               size_t chunksize, size_t *failed);

/* weft_executor_shutdown: stop accepting work; optionally wait for the workers.
 *
 * Python:   Executor.shutdown(wait=True, *, cancel_futures=False)
 * cancel_futures: cancel every queued task that has not started (those futures stay
 *           CANCELLED, never notified: wait()/as_completed() do not see them done,
 *           as in Python). Tasks already queued otherwise still run.
 * wait:     join every worker (the calling worker itself, if any, is skipped).
 * Returns:  WEFT_OK (repeatable); WEFT_EDEADLK (wait only, with deadlock
 *           detection on: weft/debug.h) if a worker can never finish because it
 *           waits, directly or through other threads, for the caller (e.g. a
 *           task waits for a Lock the caller holds); the cycle was reported and
 *           the pool is shut down, but that worker and the ones after it were not
 *           waited for (Deviation: Python hangs); WEFT_EINVAL for NULL.
 * Debug:    while it waits, the caller's thread record says it waits for the
 *           executor's shutdown (weft_debug_dump).
 */
WEFT_API int weft_executor_shutdown(weft_executor *ex, bool wait, bool cancel_futures);

/* weft_executor_shutdown_timeout: shutdown(wait=true) with a deadline (beyond
 * Python), for a program that must stop and wants to know what holds it up.
 *
 * Python:   none (Executor.shutdown(wait=True) has no timeout).
 * Stops accepting work, cancels the queued tasks if cancel_futures (as
 * weft_executor_shutdown), then joins the workers, waiting at most timeout
 * seconds in all.
 * timeout:  Thread.join's rule: WEFT_FOREVER blocks (as weft_executor_shutdown
 *           with wait=true); 0 and other negatives poll; NaN: WEFT_EINVAL; above
 *           WEFT_TIMEOUT_MAX: WEFT_EOVERFLOW. A bad timeout changes nothing (the
 *           pool is not shut down).
 * report:   NULL, or where the timeout report goes: a header line naming the
 *           executor (weft_debug_name) and how many workers still run, one line
 *           per task still running (the future, its name if it has one, for how
 *           long, on which worker), the number of queued tasks not started, then
 *           one line per worker still running with what it waits on (the lines
 *           of weft_debug_dump).
 * Returns:  WEFT_OK when every worker has finished; WEFT_ETIMEDOUT if some still
 *           run at the deadline (the pool stays shut down; call again, or
 *           weft_executor_shutdown, to wait more); WEFT_EDEADLK as
 *           weft_executor_shutdown (WEFT_FOREVER only); WEFT_EINVAL (ex NULL, NaN
 *           timeout); WEFT_EOVERFLOW.
 * Threads:  any thread; a worker of ex skips itself (as weft_executor_shutdown).
 */
WEFT_API int weft_executor_shutdown_timeout(weft_executor *ex, bool cancel_futures,
                                            double timeout, FILE *report);

/* Queries (beyond Python's public API; Python's private _max_workers, len(_threads),
 * _broken, _shutdown). 0/false for NULL. */
WEFT_API int weft_executor_max_workers(const weft_executor *ex);
WEFT_API size_t weft_executor_thread_count(const weft_executor *ex);
WEFT_API bool weft_executor_broken(const weft_executor *ex);
WEFT_API bool weft_executor_is_shutdown(const weft_executor *ex);

/* Python: `with ThreadPoolExecutor() as ex:`. Declares `weft_executor *var = NULL`
 * that is destroyed (shutdown(wait=true), then freed) when the enclosing block
 * exits by any path. Create it in the block with weft_executor_create(&var, ...).
 * GCC and clang (the cleanup attribute). */
static inline void weft__executor_cleanup(weft_executor **ex)
{
    weft_executor_destroy(*ex);
}
#define WEFT_WITH_EXECUTOR(var) \
    weft_executor *var __attribute__((cleanup(weft__executor_cleanup))) = NULL

WEFT_END_DECLS

#endif /* WEFT_FUTURES_H */
