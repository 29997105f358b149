/* SPDX-License-Identifier: MIT */
/* platform/posix/os-membarrier.c: the heavy side of an asymmetric fence
 * (internal/os.h), for the Lock's biased mode (src/lock.c, "Biased mode").
 *
 * Linux: membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) makes every other running
 * thread of the process execute a full memory barrier before it returns (an IPI
 * to each CPU running one; a thread that is not running passed a barrier when it
 * was switched out). The process registers for it once; the registration is
 * inherited by fork and dropped by exec. Elsewhere, or where the kernel or a
 * seccomp filter refuses it, registration fails and the Lock never biases.
 */
#include <errno.h>

#include "internal/os.h"
#include "weft/error.h"

#if defined(__linux__)
#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

/* MEMBARRIER_CMD_* are enumerators, not macros: the syscall number decides. */
#if defined(__linux__) && defined(SYS_membarrier)
static long membarrier_call(int cmd)
{
    return syscall(SYS_membarrier, cmd, 0, 0);
}

int weft__os_membarrier_register(void)
{
    int saved = errno;
    long cmds = membarrier_call(MEMBARRIER_CMD_QUERY);
    int rc = WEFT_ENOTSUP;
    if (cmds >= 0 && (cmds & MEMBARRIER_CMD_PRIVATE_EXPEDITED) &&
        membarrier_call(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) == 0 &&
        membarrier_call(MEMBARRIER_CMD_PRIVATE_EXPEDITED) == 0)
        rc = WEFT_OK;
    errno = saved;
    return rc;
}

void weft__os_membarrier(void)
{
    int saved = errno;
    /* The only documented failure after a successful registration is EPERM
     * (not registered), which a process that registered cannot see (fork
     * inherits the registration, exec starts a new image): register again and
     * retry, and yield between tries rather than spin. */
    while (membarrier_call(MEMBARRIER_CMD_PRIVATE_EXPEDITED) != 0) {
        (void)membarrier_call(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED);
        weft__os_yield();
    }
    errno = saved;
}
#else
int weft__os_membarrier_register(void)
{
    return WEFT_ENOTSUP;
}

void weft__os_membarrier(void)
{
}
#endif
