/* SPDX-License-Identifier: MIT */
/* tests/fault/fault.h: fault injection by link-time wrapping (reusable).
 *
 * A program linked with fault.c and
 *   -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=strdup,--wrap=pthread_create
 * (CMake: target_link_libraries(prog PRIVATE weft_fault), see CMakeLists.txt) sends
 * every call of those functions made by its own objects and by the weft static
 * library through counters here. libc's internal calls are not wrapped.
 *
 * Use from the test itself:
 *   fault_arm(0);  scenario();  long n = fault_disarm();   // n wrapped calls
 *   for (long k = 1; k <= n; k++) { fault_arm(k); scenario(); fault_disarm(); }
 * While armed, the k-th wrapped call (counting every wrapped function, in every
 * thread) fails: malloc/calloc/realloc/strdup return NULL with errno ENOMEM,
 * pthread_create returns EAGAIN. Disarmed, nothing is counted or failed.
 * Environment: FAULT_FAIL_AT=k arms at start-up (for running a program by hand).
 */
#ifndef WEFT_TESTS_FAULT_H
#define WEFT_TESTS_FAULT_H

#include <stdbool.h>

/* Start counting; fail the k-th wrapped call from now (k = 0: never fail). */
void fault_arm(long k);
/* Stop counting and failing; returns how many wrapped calls were counted. */
long fault_disarm(void);
/* Pause and resume counting and failing without resetting (for the test's own
 * set-up calls in the middle of a scenario). */
void fault_pause(void);
void fault_resume(void);
/* Whether the armed failure has happened since fault_arm. */
bool fault_fired(void);
/* Count only calls of one kind: "malloc", "calloc", "realloc", "strdup",
 * "pthread_create", or NULL for all (the default). */
void fault_only(const char *kind);

#endif /* WEFT_TESTS_FAULT_H */
