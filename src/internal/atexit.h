/* SPDX-License-Identifier: MIT */
/* internal/atexit.h: Python's threading._register_atexit (src/thread.c).
 *
 * weft's exit handler (registered with libc atexit by the first thread start or
 * the first registration here) does, in this order, what CPython's
 * threading._shutdown does:
 *   1. marks shutdown as started (later registrations fail with WEFT_ESTATE,
 *      Python's RuntimeError "can't register atexit after shutdown");
 *   2. calls every registered callback, most recently registered first, in the
 *      thread that called exit (or returned from main); a callback may block;
 *   3. marks the main thread's record done (main_thread().join() returns);
 *   4. waits for every non-daemon weft thread other than the caller.
 * Users: the executor (src/executor.c) registers a callback that shuts its pool
 * down and joins the workers, so queued work runs at exit as in Python.
 *
 * Fork: the child keeps the list (Python keeps _threading_atexits), so the
 * callbacks also run at the child's exit. weft__fork_generation lets a callback
 * tell whether it was registered (or its object was last used) in this process.
 */
#ifndef WEFT_INTERNAL_ATEXIT_H
#define WEFT_INTERNAL_ATEXIT_H

#define WEFT__AE_HIDDEN __attribute__((visibility("hidden")))

/* A registration; opaque. */
typedef struct weft__atexit_entry weft__atexit_entry;

/* Register fn(arg) to run at exit before non-daemon threads are waited for
 * (Python: threading._register_atexit). *handle_out receives the registration,
 * valid until weft__unregister_atexit (also after its callback has run: the
 * entry, and so arg, stays reachable, which keeps leak checkers quiet about an
 * object never freed before exit).
 * Returns WEFT_OK; WEFT_EINVAL if fn or handle_out is NULL; WEFT_ESTATE if the
 * exit handler has begun (nothing registered); WEFT_ENOMEM if the entry or the
 * libc atexit registration could not be allocated (nothing changed).
 * Thread-safe; never touches errno. */
WEFT__AE_HIDDEN int weft__register_atexit(void (*fn)(void *), void *arg,
                                          weft__atexit_entry **handle_out);

/* Remove a registration (at most once per handle). If its callback is running in
 * another thread (exit has begun), wait until it has returned, so the caller may
 * then free whatever arg points to; if it runs in the calling thread (the
 * callback unregisters itself), return at once (the entry is freed when the
 * callback returns). If it has already run, just free it. Returns WEFT_OK, or
 * WEFT_EINVAL if handle is NULL.
 * Thread-safe; never fails otherwise; never touches errno. */
WEFT__AE_HIDDEN int weft__unregister_atexit(weft__atexit_entry *handle);

/* How many times this process's ancestry has forked since the program started
 * (0 in the original process, incremented in every fork child). Relaxed. */
WEFT__AE_HIDDEN unsigned weft__fork_generation(void);

/* Test hook: the number of registrations whose callback has not run yet. */
WEFT__AE_HIDDEN unsigned long weft__atexit_count(void);

#endif /* WEFT_INTERNAL_ATEXIT_H */
