/* SPDX-License-Identifier: MIT */
/* platform/posix/os-executor-cpus.c: CPUs usable by the process
 * (internal/executor-cpus.h): the affinity mask where the OS has one (as
 * Python's os.process_cpu_count()), else the online CPU count. */
#include <errno.h>
#include <sched.h>
#include <unistd.h>

#include "internal/executor-cpus.h"

long weft__cpu_count(void)
{
    int saved = errno;
    long n = 0;
#if defined(__linux__) && defined(CPU_COUNT)
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) n = CPU_COUNT(&set);
#endif
    if (n < 1) n = sysconf(_SC_NPROCESSORS_ONLN);
    errno = saved;
    return n < 1 ? 1 : n;
}
