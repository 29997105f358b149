/* SPDX-License-Identifier: MIT */
/* internal/failure.h: the calling thread's failure record (weft_fail).
 *
 * weft_fail/weft_vfail store a code and a malloc'd message in a thread-local
 * record, in any thread. A weft thread's teardown takes it (src/thread.c); an
 * executor worker takes it after each task with weft__take_failure.
 */
#ifndef WEFT_INTERNAL_FAILURE_H
#define WEFT_INTERNAL_FAILURE_H

/* Take and clear the calling thread's failure. Returns its code (WEFT_OK if no
 * failure is recorded). *message_out (if message_out is not NULL) receives the
 * message, malloc'd, to be freed by the caller, or NULL (no message, or it could
 * not be stored); if message_out is NULL the message is freed. Never fails, never
 * touches errno. */
__attribute__((visibility("hidden"))) int weft__take_failure(char **message_out);

#endif /* WEFT_INTERNAL_FAILURE_H */
