/* SPDX-License-Identifier: MIT */
/* internal/os.h: the operating-system thread services weft's thread object needs.
 *
 * Layering: implemented only in src/platform/posix/os-thread.c, the one file that
 * includes <pthread.h> and <sys/syscall.h> for threads. Everything above uses these
 * functions and never sees a pthread type.
 *
 * Contract (all functions: never touch errno, never abort):
 * - weft__os_thread_start(fn, arg, stack_size): start a *detached* OS thread
 *   running fn(arg) with the given stack size (0: the platform default).
 *   Returns WEFT_OK, WEFT_EAGAIN (the OS refused: thread limit, ...), WEFT_ENOMEM
 *   (no memory for the stack), WEFT_EINVAL (the OS rejected the stack size). Only
 *   on WEFT_OK does fn run. Nothing joins these threads at the OS level: weft waits
 *   for its threads on its own "done" word (src/thread.c).
 * - weft__os_thread_self(): an opaque handle of the calling thread, usable with
 *   weft__os_set_name while that thread has not returned from its start routine.
 * - weft__os_gettid(): the kernel thread id (Python's get_native_id).
 * - weft__os_set_name(th, name): set the OS name of thread th (seen by gdb, top,
 *   ps), truncated to the OS limit (15 bytes on Linux, cut at a UTF-8 boundary).
 *   Best effort: failure is ignored.
 * - weft__os_stack_size_valid(size): WEFT_OK if the OS accepts size as a thread
 *   stack size, WEFT_EINVAL otherwise.
 * - weft__os_key_create / weft__os_key_set: a thread-specific key whose destructor
 *   runs when a thread (any thread, also one weft did not create) exits with a
 *   non-NULL value. Return WEFT_OK, WEFT_EAGAIN or WEFT_ENOMEM.
 * - weft__os_atfork(prepare, parent, child): pthread_atfork. WEFT_OK or WEFT_ENOMEM.
 * - weft__os_yield(): sched_yield.
 * - weft__os_nap(ns): sleep for about ns nanoseconds (more: the OS rounds up,
 *   Linux adds the thread's timer slack, 50 us by default; less if a signal
 *   interrupts it). Never touches errno.
 * - weft__os_membarrier_register(): register this process for the asymmetric
 *   fence below; WEFT_OK if it is usable, WEFT_ENOTSUP if not (not Linux, an old
 *   kernel, a seccomp filter). Never touches errno.
 * - weft__os_membarrier(): the fence's heavy side: returns once every other
 *   running thread of the process has executed a full memory barrier (Linux
 *   membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED)). Only after a successful
 *   register. Never touches errno.
 */
#ifndef WEFT_INTERNAL_OS_H
#define WEFT_INTERNAL_OS_H

#include <stddef.h>
#include <stdint.h>

#define WEFT__OS_HIDDEN __attribute__((visibility("hidden")))

typedef uintptr_t weft__os_thread;
typedef unsigned int weft__os_key;

WEFT__OS_HIDDEN int weft__os_thread_start(void *(*fn)(void *), void *arg, size_t stack_size);
WEFT__OS_HIDDEN weft__os_thread weft__os_thread_self(void);
WEFT__OS_HIDDEN long weft__os_gettid(void);
WEFT__OS_HIDDEN void weft__os_set_name(weft__os_thread th, const char *name);
WEFT__OS_HIDDEN int weft__os_stack_size_valid(size_t size);
WEFT__OS_HIDDEN int weft__os_key_create(weft__os_key *key, void (*dtor)(void *));
WEFT__OS_HIDDEN int weft__os_key_set(weft__os_key key, const void *value);
WEFT__OS_HIDDEN int weft__os_atfork(void (*prepare)(void), void (*parent)(void),
                                    void (*child)(void));
WEFT__OS_HIDDEN void weft__os_yield(void);
WEFT__OS_HIDDEN void weft__os_nap(int64_t ns);
WEFT__OS_HIDDEN int weft__os_membarrier_register(void);
WEFT__OS_HIDDEN void weft__os_membarrier(void);
/* Dump on a signal (os-signal.c): install the handler for signo (0: remove it);
 * callback runs on a raw reader thread. WEFT_OK, WEFT_EINVAL, WEFT_ESTATE (another
 * signal is set up), WEFT_EAGAIN/WEFT_ENOMEM. */
WEFT__OS_HIDDEN int weft__os_sigdump(int signo, void (*callback)(void));

#endif /* WEFT_INTERNAL_OS_H */
