/* SPDX-License-Identifier: MIT */
/* platform/posix/os-time.c: the monotonic clock (internal/clock.h). */
#include <errno.h>
#include <time.h>

#include "internal/clock.h"

weft__ns weft__now(void)
{
    volatile int saved = errno;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    errno = saved;
    return (weft__ns)ts.tv_sec * WEFT__NS_PER_SEC + ts.tv_nsec;
}

/* A cheaper, tick-granular reading of the same clock (a few milliseconds behind
 * weft__now at most, never ahead), for timestamps that are only shown to people:
 * the start of a wait in a wait record. Where the system has no coarse clock it
 * is weft__now. */
weft__ns weft__now_coarse(void)
{
#ifdef CLOCK_MONOTONIC_COARSE
    volatile int saved = errno;
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC_COARSE, &ts) == 0) {
        errno = saved;
        return (weft__ns)ts.tv_sec * WEFT__NS_PER_SEC + ts.tv_nsec;
    }
    errno = saved;
#endif
    return weft__now();
}
