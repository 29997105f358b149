/* SPDX-License-Identifier: MIT */
/* internal/clock.h: monotonic time and deadlines.
 *
 * Design: a public timeout (double seconds) is converted once, at entry, into an
 * absolute CLOCK_MONOTONIC deadline in int64 nanoseconds. Every re-wait after a
 * wakeup uses the time remaining until that deadline, so no spurious or stolen
 * wakeup extends a wait. The conversion saturates: a timeout of WEFT_TIMEOUT_MAX
 * (or anything larger that an API chooses to accept) becomes WEFT__NS_FOREVER
 * instead of overflowing. CLOCK_REALTIME is never used.
 *
 * Each API keeps CPython's own rule for 0, negative, NaN and too-large timeouts,
 * so validation is done by the caller with weft__timeout_class(); this header
 * only classifies and converts.
 */
#ifndef WEFT_INTERNAL_CLOCK_H
#define WEFT_INTERNAL_CLOCK_H

#include <math.h>
#include <stdint.h>

#include "weft/common.h"
#include "weft/error.h"

typedef int64_t weft__ns;
#define WEFT__NS_FOREVER INT64_MAX
#define WEFT__NS_PER_SEC INT64_C(1000000000)

/* Monotonic now in nanoseconds (platform layer; never fails, never touches errno). */
weft__ns weft__now(void) __attribute__((visibility("hidden")));
/* The same clock at tick granularity (never ahead of weft__now): for wait records. */
weft__ns weft__now_coarse(void) __attribute__((visibility("hidden")));

/* The classes a timeout argument falls into; each API maps them to its rule. */
enum weft__tclass {
    WEFT__T_FOREVER,   /* exactly WEFT_FOREVER (-1.0) */
    WEFT__T_POSITIVE,  /* 0 < t <= WEFT_TIMEOUT_MAX */
    WEFT__T_ZERO,      /* t == 0 (or -0.0) */
    WEFT__T_NEGATIVE,  /* t < 0 and t != -1.0, finite */
    WEFT__T_NAN,       /* NaN */
    WEFT__T_TOO_BIG    /* t > WEFT_TIMEOUT_MAX, or +inf, or -inf */
};

static inline enum weft__tclass weft__timeout_class(double t)
{
    if (isnan(t)) return WEFT__T_NAN;
    if (t == WEFT_FOREVER) return WEFT__T_FOREVER;
    if (isinf(t) || t > WEFT_TIMEOUT_MAX) return WEFT__T_TOO_BIG;
    if (t == 0.0) return WEFT__T_ZERO;
    if (t < 0.0) return WEFT__T_NEGATIVE;
    return WEFT__T_POSITIVE;
}

/* Absolute deadline `seconds` from now, saturating at WEFT__NS_FOREVER.
 * seconds <= 0 or NaN gives "now" (an already-expired deadline: a poll);
 * WEFT_FOREVER is not special here: callers pass WEFT__NS_FOREVER themselves. */
static inline weft__ns weft__deadline_after(double seconds)
{
    if (!(seconds > 0.0)) return weft__now();
    if (seconds >= (double)(WEFT__NS_FOREVER / WEFT__NS_PER_SEC)) return WEFT__NS_FOREVER;
    double ns = seconds * 1e9;
    if (ns >= 9.2e18) return WEFT__NS_FOREVER;
    weft__ns now = weft__now();
    weft__ns d = (weft__ns)ns;
    if (d > WEFT__NS_FOREVER - now) return WEFT__NS_FOREVER;
    return now + d;
}

/* Seconds left until deadline (<= 0 when expired); +inf for WEFT__NS_FOREVER. */
static inline double weft__remaining(weft__ns deadline)
{
    if (deadline == WEFT__NS_FOREVER) return INFINITY;
    return (double)(deadline - weft__now()) / 1e9;
}

static inline int weft__expired(weft__ns deadline)
{
    return deadline != WEFT__NS_FOREVER && weft__now() >= deadline;
}

/* Thread.join's timeout rule (also Timer.join): WEFT_FOREVER blocks; 0, other
 * negatives and -inf poll (Python clamps negatives to 0); NaN: WEFT_EINVAL; above
 * WEFT_TIMEOUT_MAX: WEFT_EOVERFLOW. Writes the deadline on WEFT_OK only. */
static inline int weft__join_deadline(double timeout, weft__ns *deadline)
{
    switch (weft__timeout_class(timeout)) {
    case WEFT__T_NAN:      return WEFT_EINVAL;
    case WEFT__T_TOO_BIG:
        if (timeout > 0) return WEFT_EOVERFLOW;
        *deadline = weft__now();                    /* -inf: clamped to 0 */
        return WEFT_OK;
    case WEFT__T_FOREVER:  *deadline = WEFT__NS_FOREVER; return WEFT_OK;
    case WEFT__T_POSITIVE: *deadline = weft__deadline_after(timeout); return WEFT_OK;
    default:               *deadline = weft__now(); return WEFT_OK;   /* 0, negatives */
    }
}

#endif /* WEFT_INTERNAL_CLOCK_H */
