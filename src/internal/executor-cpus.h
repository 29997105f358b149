/* SPDX-License-Identifier: MIT */
/* internal/executor-cpus.h: the number of CPUs this process may run on, for the
 * executor's default max_workers (Python's os.process_cpu_count()).
 * Implemented in src/platform/posix/os-executor-cpus.c. */
#ifndef WEFT_INTERNAL_EXECUTOR_CPUS_H
#define WEFT_INTERNAL_EXECUTOR_CPUS_H

/* >= 1; never fails, never touches errno. */
__attribute__((visibility("hidden"))) long weft__cpu_count(void);

#endif
