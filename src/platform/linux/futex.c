/* SPDX-License-Identifier: MIT */
/* platform/linux/futex.c: the wait/wake contract (internal/wait.h) on Linux futexes.
 *
 * Layering: platform/ talks to the kernel and libc; nothing above it includes
 * <linux/futex.h> or calls syscall().
 *
 * Design: FUTEX_WAIT_BITSET with FUTEX_BITSET_MATCH_ANY takes an *absolute*
 * timeout measured on CLOCK_MONOTONIC (unless FUTEX_CLOCK_REALTIME is given), so
 * the deadline computed once by the caller is handed to the kernel unchanged and a
 * retry after EINTR never extends the wait (musl __timedwait does the same). The
 * kernel compares *addr with expected under its hash-bucket lock, which is what
 * makes "check, then sleep" atomic against FUTEX_WAKE. All futexes are private to
 * the process (FUTEX_PRIVATE_FLAG), which skips the mm lookup.
 *
 * errno: syscall() reports failure through errno; it is saved on entry and
 * restored before returning, so no caller ever sees weft touch it. EAGAIN (value
 * already changed) and EINTR (signal) are spurious returns (WEFT_OK); ETIMEDOUT is
 * checked against our own clock as well, so the contract's "never early" holds
 * even if the kernel and weft__now() disagreed by rounding.
 */
#include <errno.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "internal/wait.h"
#include "weft/error.h"

#ifndef SYS_futex
#  define SYS_futex __NR_futex
#endif

const char *weft__wait_backend(void) { return "futex"; }

/* The kernel keeps no futex state that outlives a thread: nothing to do at fork. */
void weft__wait_fork_prepare(void) {}
void weft__wait_fork_parent(void) {}
void weft__wait_fork_child(void) {}

int weft__wait(const WEFT_ATOMIC(uint32_t) *addr, uint32_t expected, weft__ns deadline)
{
    volatile int saved = errno;
    struct timespec ts, *tsp = NULL;
    if (deadline != WEFT__NS_FOREVER) {
        if (deadline <= 0) deadline = 0;
        ts.tv_sec = (time_t)(deadline / WEFT__NS_PER_SEC);
        ts.tv_nsec = (long)(deadline % WEFT__NS_PER_SEC);
        tsp = &ts;
    }
    long r = syscall(SYS_futex, (const void *)addr, FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG,
                     expected, tsp, NULL, FUTEX_BITSET_MATCH_ANY);
    int e = errno;
    errno = saved;
    if (r == -1 && e == ETIMEDOUT)
        return weft__now() >= deadline ? WEFT_ETIMEDOUT : WEFT_OK;
    if (r == -1 && e == EAGAIN) return WEFT__WAIT_CHANGED;   /* *addr != expected */
    return WEFT_OK;
}

void weft__wake(const WEFT_ATOMIC(uint32_t) *addr, int n)
{
    volatile int saved = errno;
    syscall(SYS_futex, (const void *)addr, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, n, NULL, NULL, 0);
    errno = saved;
}
