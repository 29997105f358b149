/* SPDX-License-Identifier: MIT */
/* weft/thread.h: Python's threading.Thread and the module functions of threading.
 *
 * Python:   threading.Thread, current_thread, main_thread, active_count,
 *           enumerate, get_ident, get_native_id, stack_size, excepthook.
 *
 * A weft_thread is an opaque, reference-counted handle. weft_thread_create gives
 * the caller one reference; weft_thread_destroy (or weft_thread_unref) drops it.
 * The running thread holds its own reference, so dropping the caller's reference
 * of a running thread is safe and does not stop or detach anything: the thread
 * runs on and is still waited for at exit if it is not a daemon.
 *
 * Exit rules, as in Python: when main() returns or exit() is called, the process
 * first shuts down every executor not yet destroyed, newest first, letting its
 * queued and running work finish (weft/futures.h; Python's _register_atexit
 * hooks), then waits for every non-daemon weft thread, then exits; daemon threads
 * do not hold it up. (A process that ends by _exit(), abort() or a signal waits for
 * nothing.) Deviation: this is an atexit() handler registered by the first
 * weft_thread_start, so atexit handlers registered after that run before it,
 * while non-daemon threads still run (Python runs threading's shutdown before
 * every atexit callback); handlers registered earlier run after it.
 *
 * Deviation: join returns WEFT_ETIMEDOUT when the timeout expired (Python returns
 * None and the caller checks is_alive()). The target's return value is kept and
 * readable after the thread finished (Python discards it).
 */
#ifndef WEFT_THREAD_H
#define WEFT_THREAD_H

#include <stdarg.h>
#include <stdio.h>

#include "common.h"
#include "error.h"

WEFT_BEGIN_DECLS

typedef struct weft_thread weft_thread;

/* The body of a thread: Python's target(*args). Its return value is kept
 * (weft_thread_result). To fail, the body calls weft_fail() and returns. */
typedef void *(*weft_thread_fn)(void *arg);

/* Flags for weft_thread_attr.flags. Neither daemon flag: inherit the daemon
 * status of the creating thread (Python's daemon=None). Both: WEFT_EINVAL. */
#define WEFT_THREAD_DAEMON      0x1u  /* daemon=True */
#define WEFT_THREAD_NON_DAEMON  0x2u  /* daemon=False */

/* Optional attributes; a zero-initialised struct (or NULL) means Python's defaults. */
typedef struct weft_thread_attr {
    const char *name;   /* NULL or "": generated "Thread-N", numbered like Python */
    unsigned flags;     /* WEFT_THREAD_* bits; any other bit: WEFT_EINVAL */
    long stack_size;    /* 0: the current weft_stack_size() setting; < 0 or
                           1..32767: WEFT_EINVAL */
} weft_thread_attr;

/* ---- lifecycle ------------------------------------------------------------ */

/* weft_thread_create: make a thread object (not started).
 *
 * Python:   threading.Thread(target=fn, args=(arg,), name=..., daemon=...)
 * attr:     NULL or a weft_thread_attr; copied, the caller may reuse it.
 * Returns:  WEFT_OK and *out set; WEFT_EINVAL (out or fn NULL, unknown flag, both
 *           daemon flags, stack_size negative or in 1..32767); WEFT_ENOMEM. On error *out is
 *           untouched and nothing is allocated.
 * Threads:  any thread, including threads weft did not create.
 */
WEFT_API int weft_thread_create(weft_thread **out, weft_thread_fn fn, void *arg,
                                const weft_thread_attr *attr);

/* weft_thread_start: start the thread; returns once it is running.
 *
 * Python:   Thread.start()
 * Returns:  WEFT_OK; WEFT_ESTATE if it was started before ("threads can only be
 *           started once"); WEFT_EAGAIN or WEFT_ENOMEM if the OS refused the thread
 *           (the object is unchanged: it may be started again or destroyed);
 *           WEFT_EINVAL for NULL.
 */
WEFT_API int weft_thread_start(weft_thread *t);

/* weft_thread_join: wait until the thread has finished.
 *
 * Python:   Thread.join(timeout=None)
 * timeout:  seconds; WEFT_FOREVER blocks; 0 and other negatives poll (Python
 *           clamps negatives to 0); NaN: WEFT_EINVAL; above WEFT_TIMEOUT_MAX:
 *           WEFT_EOVERFLOW.
 * Returns:  WEFT_OK once the thread finished; WEFT_ETIMEDOUT if it is still alive
 *           (Deviation: Python returns None); WEFT_ESTATE if never started, if t is
 *           the calling thread, or if t is a dummy record of a foreign thread;
 *           WEFT_EDEADLK (only without a timeout, with deadlock detection on:
 *           weft/debug.h) if t can never finish because it waits, directly or
 *           through other threads, for the caller: two threads joining each
 *           other, or a cycle of joins, Lock/RLock holders and executor workers.
 *           The cycle is reported through the report hook (stderr by default)
 *           and the caller stops waiting; t is not affected (Deviation: Python
 *           hangs); WEFT_EINVAL for NULL. Any number of threads may join
 *           concurrently.
 * Debug:    while it waits, the caller's thread record says it joins t (for
 *           weft_debug_dump and the detector).
 */
WEFT_API int weft_thread_join(weft_thread *t, double timeout);

/* Take another reference (for handles shared between threads). Returns t. */
WEFT_API weft_thread *weft_thread_ref(weft_thread *t);
/* Drop a reference; the object is freed when the last one goes. NULL is a no-op. */
WEFT_API void weft_thread_unref(weft_thread *t);
/* Drop the creator's reference: the same as weft_thread_unref. */
WEFT_API void weft_thread_destroy(weft_thread *t);

/* ---- queries and properties --------------------------------------------- */

/* Python: Thread.is_alive(). True from start until the body and its teardown
 * finished. False for NULL. */
WEFT_API bool weft_thread_is_alive(const weft_thread *t);

/* Python: Thread.ident. 0 before start; afterwards the thread's weft_get_ident()
 * value, kept after it exits (it may be reused by a later thread by then). */
WEFT_API uint64_t weft_thread_ident(const weft_thread *t);

/* Python: Thread.native_id. 0 before start; the kernel thread id afterwards. */
WEFT_API long weft_thread_native_id(const weft_thread *t);

/* Python: Thread.name. The returned string stays valid until t is freed (renaming
 * keeps the old string alive too). "" for NULL. */
WEFT_API const char *weft_thread_name(const weft_thread *t);

/* Python: Thread.name = name. Any time. Also sets the OS thread name (seen by gdb,
 * top, ps) when t is running, truncated to what the OS allows (15 bytes on Linux).
 * Returns WEFT_OK, WEFT_EINVAL (NULL), WEFT_ENOMEM. */
WEFT_API int weft_thread_set_name(weft_thread *t, const char *name);

/* Python: Thread.daemon. */
WEFT_API bool weft_thread_daemon(const weft_thread *t);

/* Python: Thread.daemon = flag. Returns WEFT_OK; WEFT_ESTATE once started ("cannot
 * set daemon status of active thread"); WEFT_EINVAL for NULL. */
WEFT_API int weft_thread_set_daemon(weft_thread *t, bool daemon);

/* The target's return value, once the thread finished (beyond Python).
 * Returns WEFT_OK and *out; WEFT_ESTATE if not finished; WEFT_EINVAL for NULL. */
WEFT_API int weft_thread_result(const weft_thread *t, void **out);

/* The failure the body reported with weft_fail, once finished (beyond Python).
 * Returns the code (WEFT_OK if it did not fail); *message (if not NULL) gets the
 * message, valid until t is freed, or NULL. WEFT_ESTATE if not finished. */
WEFT_API int weft_thread_failure(const weft_thread *t, const char **message);

/* ---- failure reporting ---------------------------------------------------- */

/* weft_fail: report a failure of the current thread body or executor task, the C
 * way of Python's `raise`: records code and a printf-style message for the current
 * thread and returns code, so a body can write `return weft_fail(...), NULL;` or
 * `if (bad) { weft_fail(WEFT_EFAIL, "bad %d", x); return NULL; }`.
 * A later call replaces an earlier one. code must be negative (else WEFT_EFAIL is
 * recorded). When a weft thread's body returns with a failure recorded, the
 * excepthook runs; in an executor task the failure becomes the future's exception.
 * Never fails: if the message cannot be stored it is truncated or dropped.
 */
WEFT_API int weft_fail(int code, const char *fmt, ...) WEFT_PRINTF(2, 3);
WEFT_API int weft_vfail(int code, const char *fmt, va_list ap) WEFT_PRINTF(2, 0);

/* What an excepthook receives. Python: threading.ExceptHookArgs. */
typedef struct weft_excepthook_args {
    weft_thread *thread;  /* the failed thread (a borrowed reference) */
    int code;             /* the code given to weft_fail */
    const char *message;  /* the message given to weft_fail ("" if none) */
} weft_excepthook_args;

typedef void (*weft_excepthook_fn)(const weft_excepthook_args *args, void *userdata);

/* Python: threading.excepthook = hook. NULL restores the default hook, which
 * writes "Exception in thread NAME:" and "WEFT_ECODE: message" to stderr, as
 * Python prints the traceback. The hook runs in the failed thread. */
WEFT_API void weft_set_excepthook(weft_excepthook_fn hook, void *userdata);

/* Python: threading.__excepthook__ (the default hook), callable from a custom one. */
WEFT_API void weft_default_excepthook(const weft_excepthook_args *args, void *userdata);

/* ---- module functions ----------------------------------------------------- */

/* Python: threading.current_thread(). A borrowed reference, valid while the
 * calling thread runs. In a thread weft did not create, a dummy record named
 * "Dummy-N" (daemon, alive, not joinable) is made on first call and dropped when
 * that thread exits. Returns NULL only if that record could not be allocated. */
WEFT_API weft_thread *weft_current_thread(void);

/* Python: threading.main_thread(). A borrowed reference (never NULL). After fork()
 * the forking thread is the child's main thread (a foreign thread's dummy record
 * becomes "MainThread", not a daemon, as in CPython). */
WEFT_API weft_thread *weft_main_thread(void);

/* Python: threading.active_count(): the number of alive threads weft knows
 * (the main thread, started weft threads, dummy records). */
WEFT_API size_t weft_active_count(void);

/* Python: threading.enumerate(). Writes up to cap new references to alive threads
 * into out (release each with weft_thread_unref) and returns how many alive threads
 * there are (may be more than cap: call again with a larger array). */
WEFT_API size_t weft_enumerate(weft_thread **out, size_t cap);

/* Python: threading.get_ident(). Non-zero; unique among threads alive now. */
WEFT_API uint64_t weft_get_ident(void);

/* Python: threading.get_native_id(). The kernel thread id. */
WEFT_API long weft_get_native_id(void);

/* Python: threading.stack_size([size]). Sets the stack size for threads started
 * later (0: the platform default) and writes the previous setting to *old (may be
 * NULL). Returns WEFT_OK; WEFT_EINVAL for size < 0 ("size must be 0 or a positive
 * value") and for 0 < size < 32768 ("size not valid"), changing nothing.
 * weft_get_stack_size reads the setting. */
WEFT_API int weft_stack_size(long size, long *old);
WEFT_API long weft_get_stack_size(void);

WEFT_END_DECLS

#endif /* WEFT_THREAD_H */
