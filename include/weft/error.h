/* SPDX-License-Identifier: MIT */
/* weft/error.h: error codes, weft_strerror and weft_errname.
 *
 * Python:   the exceptions of threading, queue and concurrent.futures
 *           (docs/error-model.md maps each one, and each misuse, to its code).
 *
 * Every fallible weft function returns int: WEFT_OK (0) or one of the negative
 * codes below (weft_barrier_wait returns the arrival index >= 0 on success).
 * No weft function reads or writes errno.
 */
#ifndef WEFT_ERROR_H
#define WEFT_ERROR_H

#include "common.h"

WEFT_BEGIN_DECLS

/* X(name, value, message). One table generates the enum, weft_strerror() and
 * weft_errname(); the values are part of the ABI and never change. */
#define WEFT_ERROR_TABLE(X)                                                            \
  X(OK,         0,  "success")                                                         \
  X(EINVAL,    -1,  "invalid argument")                    /* ValueError, TypeError */ \
  X(ETIMEDOUT, -2,  "timed out")                           /* acquire() -> False, TimeoutError */ \
  X(EPERM,     -3,  "lock is not held by the caller")      /* RuntimeError: release unlocked/un-owned lock, wait without the lock */ \
  X(ESTATE,    -4,  "object is in the wrong state for this call") /* RuntimeError (lifecycle), InvalidStateError */ \
  X(EEMPTY,    -5,  "queue is empty")                      /* queue.Empty */           \
  X(EFULL,     -6,  "queue is full")                       /* queue.Full */            \
  X(ESHUTDOWN, -7,  "shut down")                           /* queue.ShutDown, submit after shutdown */ \
  X(EBROKEN,   -8,  "barrier is broken")                   /* BrokenBarrierError */    \
  X(ECANCELLED,-9,  "cancelled")                           /* CancelledError */        \
  X(ETASK,     -10, "the task or thread failed")           /* an exception raised by the task */ \
  X(EBROKENPOOL,-11,"executor is broken")                  /* BrokenThreadPool */      \
  X(EOVERFLOW, -12, "value out of range")                  /* OverflowError, recursion too deep */ \
  X(EAGAIN,    -13, "resource temporarily unavailable")    /* can't start new thread */ \
  X(ENOMEM,    -14, "out of memory")                       /* MemoryError */           \
  X(EDEADLK,   -15, "deadlock detected")                   /* (weft only) */           \
  X(ENOTSUP,   -16, "not supported on this platform")      /* ThreadError: unsupported */ \
  X(EFAIL,     -17, "failed")                              /* generic failure code for weft_fail */

#define WEFT__ERROR_ENUM(name, value, msg) WEFT_##name = (value),
enum weft_error { WEFT_ERROR_TABLE(WEFT__ERROR_ENUM) WEFT__ERROR_END_ = -18 };
#undef WEFT__ERROR_ENUM

/* weft_strerror: a sentence describing code.
 *
 * Returns:  a static string; "unknown weft error" for a code not in the table.
 * Threads:  any thread; never blocks.
 */
WEFT_API const char *weft_strerror(int code);

/* weft_errname: the symbolic name of code, e.g. "WEFT_ETIMEDOUT".
 *
 * Returns:  a static string; "WEFT_E?" for a code not in the table.
 * Threads:  any thread; never blocks.
 */
WEFT_API const char *weft_errname(int code);

WEFT_END_DECLS

#endif /* WEFT_ERROR_H */
