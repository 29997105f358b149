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
