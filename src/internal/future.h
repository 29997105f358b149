/* SPDX-License-Identifier: MIT */
/* internal/future.h: the layout of weft_future, shared by future.c, executor.c
 * and wait_futures.c (docs/design/futures.md).
 *
 * A future is a state word, the outcome, the list of done-callbacks and the
 * list of installed waiters (wait/as_completed); every transition happens under
 * the future's stripe lock (below). result()/exception() waiters sleep on the
 * state word itself (internal/wait.h; future.c says why no wakeup is lost). The executor's work item (fn, arg, queue link) is embedded, so a
 * submit costs one allocation of 96 bytes.
 *
 * Debugging (internal/debug.h). A future made by an executor points to its
 * pool's debug block (struct weft__pool_dbg) and holds a reference to it for the
 * future's whole life, so the deadlock detector, which may look at any future a
 * thread is waiting on (alive by the wait-record protocol), can read the pool's
 * counters lock-free even while the executor itself is being destroyed. The
 * worker that runs the future stores its weft__tid in `runner` before the
 * future becomes RUNNING.
 */
#ifndef WEFT_INTERNAL_FUTURE_H
#define WEFT_INTERNAL_FUTURE_H

#include <stdatomic.h>

#include "weft/condition.h"
#include "weft/futures.h"
#include "weft/lock.h"

#define WEFT__HIDDEN_F __attribute__((visibility("hidden")))

/* What a waiter is told (Python: _Waiter.add_result / add_exception / add_cancelled). */
enum weft__fevent { WEFT__EV_RESULT = 1, WEFT__EV_EXCEPTION = 2, WEFT__EV_CANCELLED = 3 };

struct weft__waiter;

/* One worker of a pool, for the detector and the shutdown report. Written by
 * that worker only (relaxed atomics); read by anyone. */
struct weft__wslot {
    WEFT_ATOMIC(uint32_t) tid;          /* its weft__tid; 0 until it has started */
    _Atomic(weft_future *) cur;         /* the future it runs, or NULL (address only:
                                           readers never dereference it) */
    WEFT_ATOMIC(int64_t) since;         /* weft__now() when it started cur */
};

/* The part of an executor that outlives it while any of its futures lives. */
struct weft__pool_dbg {
    WEFT_ATOMIC(uint32_t) refs;         /* the executor's + one per future it made */
    WEFT_ATOMIC(int) max_workers;       /* fixed at create (atomic: read by detectors
                                           that learnt the block through a wait record,
                                           a hand-over helgrind/drd cannot see) */
    WEFT_ATOMIC(int) nslots;            /* fixed: min(max_workers, WEFT__POOL_SLOTS) */
    WEFT_ATOMIC(int) free;              /* workers not running a task (executor.c) */
    WEFT_ATOMIC(uint32_t) nthreads;     /* workers started */
    WEFT_ATOMIC(uint32_t) nclaimed;     /* slots claimed by workers (may exceed nslots) */
    struct weft__wslot w[];             /* nslots */
};
#define WEFT__POOL_SLOTS 256

/* Drop one reference to a pool's debug block (frees it at 0). */
WEFT__HIDDEN_F void weft__pool_dbg_unref(struct weft__pool_dbg *pd);

/* One waiter installed on one future: a node in that future's waiter list. */
typedef struct weft__wlink {
    struct weft__wlink *prev, *next;   /* guarded by the future's lock */
    struct weft__waiter *waiter;
    size_t index;                      /* the future's index in the waiter's set */
    bool linked;                       /* owned by the waiter's thread */
} weft__wlink;

typedef struct weft__cb {
    struct weft__cb *next;
    weft_future_callback fn;
    void *userdata;
} weft__cb;

struct weft_future {
    WEFT_ATOMIC(uint32_t) state;       /* enum weft_future_state; written under the
                                          stripe lock with release, read lock-free
                                          with acquire */
    WEFT_ATOMIC(uint32_t) refs;
    WEFT_ATOMIC(uint32_t) nwaiting;    /* result()/exception() sleepers: incremented
                                          under the stripe lock, decremented without */
    int fail_code;                     /* 0 or the failure code, set before FINISHED */
    void *result;                      /* valid once FINISHED with fail_code == 0 */
    char *fail_msg;                    /* owned; NULL means "" */
    void (*dtor)(void *);
    weft__cb *cbs;                     /* stripe lock; detached when done */
    weft__wlink *waiters;              /* stripe lock */
    /* executor work item */
    weft_task_fn fn;
    void *arg;
    weft_future *next;                 /* executor queue link, guarded by its lock */
    _Atomic(struct weft__pool_dbg *) pool; /* NULL, or its executor's block (a
                                          reference); set before the future is
                                          handed out, read by detectors (relaxed) */
    WEFT_ATOMIC(uint32_t) runner;      /* weft__tid of the worker running it, or 0 */
};

/* Lock striping. A future has no lock of its own (it would grow it, and the
 * executor allocates one future per task): it uses one of WEFT__FSTRIPES locks
 * picked by its address. Futures sharing a stripe share the lock, which only
 * serialises their (short) transitions. The locks are valid zero-filled and
 * re-initialised in a fork child by future.c. */
#define WEFT__FSTRIPES 64
struct weft__fstripe {
    weft_lock lock;
} __attribute__((aligned(64)));
extern struct weft__fstripe weft__fstripes[WEFT__FSTRIPES] WEFT__HIDDEN_F;

static inline struct weft__fstripe *weft__fstripe_of(const weft_future *f)
{
    uintptr_t h = (uintptr_t)f;
    h ^= (h >> 7) ^ (h >> 13);
    return &weft__fstripes[h % WEFT__FSTRIPES];
}

static inline void weft__flock(const weft_future *f)
{
    weft_lock_acquire(&weft__fstripe_of(f)->lock, true, WEFT_FOREVER);
}

static inline void weft__funlock(const weft_future *f)
{
    weft_lock_release(&weft__fstripe_of(f)->lock);
}

/* Allocate a PENDING future with `refs` references (executor: 2). */
WEFT__HIDDEN_F weft_future *weft__future_new(uint32_t refs);

/* Finish with a failure whose message the future takes over (malloc'd or NULL). */
WEFT__HIDDEN_F int weft__future_fail_owned(weft_future *f, int code, char *msg);

/* Run by the future, under its lock, for every installed waiter (wait_futures.c). */
WEFT__HIDDEN_F void weft__waiter_notify(weft__wlink *link, enum weft__fevent ev);

/* Report a failure of a callback/initializer to stderr the way Python's logger
 * does: header (followed by the future's address if obj is not NULL), then
 * "WEFT_ECODE: message". */
WEFT__HIDDEN_F void weft__report_failure(const char *header, const void *obj, int code,
                                         const char *msg);

#endif /* WEFT_INTERNAL_FUTURE_H */
