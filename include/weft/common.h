/* SPDX-License-Identifier: MIT */
/* weft/common.h: export macro, C++ linkage, timeouts and the helpers every weft
 * header shares.
 *
 * Python:   threading.TIMEOUT_MAX; the timeout=None convention (WEFT_FOREVER).
 */
#ifndef WEFT_COMMON_H
#define WEFT_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
#  define WEFT_BEGIN_DECLS extern "C" {
#  define WEFT_END_DECLS }
#else
#  define WEFT_BEGIN_DECLS
#  define WEFT_END_DECLS
#endif

/* WEFT_API marks the exported symbols; everything else is hidden. */
#if defined(WEFT_STATIC)
#  define WEFT_API
#elif defined(__GNUC__)
#  define WEFT_API __attribute__((visibility("default")))
#else
#  define WEFT_API
#endif

#if defined(__GNUC__)
#  define WEFT_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#  define WEFT_NODISCARD __attribute__((warn_unused_result))
#else
#  define WEFT_PRINTF(fmt, args)
#  define WEFT_NODISCARD
#endif

/* State words of the embeddable primitives are C11 atomics. A C++ consumer sees
 * the same layout through plain integers of the same size: it must only touch
 * these structs through weft's functions, which are compiled as C. */
#ifdef __cplusplus
#  define WEFT_ATOMIC(T) T
#else
#  define WEFT_ATOMIC(T) _Atomic T
#endif

/* Timeouts are double seconds, as in Python. WEFT_FOREVER is Python's None
 * (and Lock.acquire's -1): block until the condition holds. Each function
 * documents what it does with 0, with other negative values, with NaN and with
 * values above WEFT_TIMEOUT_MAX, following CPython's rule for that API. */
#define WEFT_FOREVER (-1.0)

/* Python: threading.TIMEOUT_MAX. The largest timeout (in seconds) a timed wait
 * accepts; a deadline this far away never overflows the nanosecond clock. */
#define WEFT_TIMEOUT_MAX 9223372036.0

#endif /* WEFT_COMMON_H */
