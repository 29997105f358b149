/* SPDX-License-Identifier: MIT */
/* internal/tstate.h: the per-thread state shared by thread.c and local.c.
 *
 * Every thread (weft's own and foreign ones) has one `struct weft__tstate` in
 * static thread-local storage (no allocation, so reading it never fails). It holds
 * the thread's weft_thread record (NULL in a foreign thread until
 * weft_current_thread makes a dummy), its failure record and its weft_local
 * slots. A weft thread cleans it up itself at the end of its body; a foreign
 * thread registers it with an OS thread-specific key (weft__tstate_register) so
 * the key's destructor cleans it up when that thread exits.
 */
#ifndef WEFT_INTERNAL_TSTATE_H
#define WEFT_INTERNAL_TSTATE_H

#include <stdbool.h>

#include "weft/lock.h"
#include "weft/thread.h"

#define WEFT__TS_HIDDEN __attribute__((visibility("hidden")))

struct weft__local_slot;

struct weft__tstate {
    weft_thread *thread;             /* this thread's record, or NULL */
    int fail_code;                   /* weft_fail: WEFT_OK if none */
    char *fail_msg;                  /* malloc'd or NULL */
    long tid;                        /* cached kernel tid, 0 = unknown */
    bool registered;                 /* the OS key holds this state */
    struct weft__local_slot *locals; /* this thread's local values (under weft__glock) */
};

extern _Thread_local struct weft__tstate weft__ts WEFT__TS_HIDDEN;

/* The one lock of thread.c and local.c (registry, names, hook, local slots): a
 * public weft Lock, as the composites use weft's own primitives. Critical
 * sections are short and never call user code or block. */
extern weft_lock weft__glock WEFT__TS_HIDDEN;

static inline void weft__glock_acquire(void)
{
    (void)weft_lock_acquire(&weft__glock, true, WEFT_FOREVER); /* cannot fail */
}

static inline void weft__glock_release(void)
{
    (void)weft_lock_release(&weft__glock);
}

/* Make sure the calling thread's state is cleaned up when it exits (foreign
 * threads; a weft thread cleans up itself). WEFT_OK, WEFT_ENOMEM or WEFT_EAGAIN. */
WEFT__TS_HIDDEN int weft__tstate_register(void);

/* local.c: run the destructors of the calling thread's local values and free its
 * slots. Called at the end of a weft thread and from the key destructor. */
WEFT__TS_HIDDEN void weft__local_thread_exit(struct weft__tstate *ts);

#endif /* WEFT_INTERNAL_TSTATE_H */
