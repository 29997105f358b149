/* SPDX-License-Identifier: MIT */
/* internal/debug.h: thread records for debugging, wait records, the deadlock
 * detector's interface, and the hooks each primitive provides to it (src/debug.c,
 * docs/debugging.md).
 *
 * Thread ids (weft__tid)
 * ----------------------
 * Every thread that blocks in weft or takes a Lock gets a slot in a static table
 * that is never freed (so any thread may read any slot at any time). Its 32-bit id
 * is (generation << 16) | (index + 1); 0 means "nobody". When the thread exits the
 * slot is freed and its generation bumped, so a stale id (the holder of a Lock
 * left locked by a thread that has finished) no longer matches any live slot.
 * weft__me() is one thread-local load on the fast path.
 *
 * Wait records
 * ------------
 * A blocking function brackets its wait with
 *     int tok = weft__rec_begin(WEFT__WK_..., obj, deadline);
 *     ... wait ...
 *     weft__rec_end(tok);
 * Records nest (Queue.get -> Condition.wait -> the Lock re-acquire): the dump
 * shows the outermost one (what the caller called) and the innermost (what the
 * thread is actually blocked on); the detector uses the innermost. rec_begin is a
 * few relaxed stores; rec_end also waits (briefly) until no detector is reading
 * the record, because after it returns obj may be freed: a detector only
 * dereferences obj while the owner of the record is provably still in the wait
 * (a seqlock plus an inspector count, Dekker-style with seq_cst; debug.c).
 * Call rec_begin only on the slow path, just before the thread may sleep.
 *
 * Deadlock detection in a wait loop
 * ---------------------------------
 * Waits that are graph edges (Lock, RLock, Thread join, Future result) and have
 * no deadline run the detector from their wait loop:
 *     struct weft__dl dl;
 *     weft__dl_start(&dl, deadline);            (after rec_begin)
 *     for (;;) {
 *         ... if the wait is over: break ...
 *         weft__ns until;
 *         rc = weft__dl_poll(&dl, deadline, &until);
 *         if (rc == WEFT_EDEADLK) { ...undo, rec_end, return WEFT_EDEADLK... }
 *         weft__wait(word, expected, until);   - sleep at most until `until`
 *         (a timeout at `until` < deadline is not the caller's timeout)
 *     }
 * weft__dl_poll is a compare and a return while no check is due; when one is due it
 * walks the graph from the calling thread. A cycle found twice, the second time
 * after the confirmation delay, is reported (report hook) and poll returns
 * WEFT_EDEADLK (mode REPORT) or aborts (mode ABORT). With mode OFF, or with a
 * finite deadline, `until` is always `deadline` and nothing is checked.
 */
#ifndef WEFT_INTERNAL_DEBUG_H
#define WEFT_INTERNAL_DEBUG_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "internal/clock.h"
#include "weft/debug.h"
#include "weft/lock.h"
#include "weft/thread.h"

#define WEFT__DBG_HIDDEN __attribute__((visibility("hidden")))

typedef uint32_t weft__tid;

/* ---- thread ids ---- */
/* initial-exec: in libweft.so the Lock fast path reads it without a call to
 * __tls_get_addr (glibc keeps static TLS room for libraries loaded later). */
extern _Thread_local weft__tid weft__my_tid WEFT__DBG_HIDDEN
    __attribute__((tls_model("initial-exec")));
WEFT__DBG_HIDDEN weft__tid weft__me_slow(void);

/* The calling thread's id; never 0 unless the slot table is full (65535 live
 * threads), in which case the thread is simply not tracked. */
static inline weft__tid weft__me(void)
{
    weft__tid t = weft__my_tid;
    return __builtin_expect(t != 0, 1) ? t : weft__me_slow();
}

/* thread.c: the calling thread is a weft thread starting (name, daemon), is
 * renamed, or is exiting (frees the slot; also called from the foreign-thread key
 * destructor). set_info may be called for another thread by its id. */
WEFT__DBG_HIDDEN void weft__dbg_set_info(weft__tid tid, const char *name, int daemon,
                                         uint64_t ident, long native_id);
WEFT__DBG_HIDDEN void weft__dbg_thread_exit(void);
/* The fork child: every slot except the caller's is freed. prepare/parent: the
 * slot table is not changing across the fork (thread.c's handlers call them). */
WEFT__DBG_HIDDEN void weft__dbg_fork_prepare(void);
WEFT__DBG_HIDDEN void weft__dbg_fork_parent(void);
WEFT__DBG_HIDDEN void weft__dbg_fork_child(void);

/* ---- wait records ---- */
enum weft__wk {
    WEFT__WK_NONE = 0,
    WEFT__WK_LOCK,          /* obj: weft_lock *        graph edge: holder */
    WEFT__WK_RLOCK,         /* obj: weft_rlock *       graph edge: owner */
    WEFT__WK_CONDITION,     /* obj: weft_condition *   (wait for a notify) */
    WEFT__WK_SEMAPHORE,     /* obj: weft_semaphore * */
    WEFT__WK_EVENT,         /* obj: weft_event * */
    WEFT__WK_BARRIER,       /* obj: weft_barrier * */
    WEFT__WK_QUEUE_GET,     /* obj: weft_queue * */
    WEFT__WK_QUEUE_PUT,     /* obj: weft_queue * */
    WEFT__WK_QUEUE_JOIN,    /* obj: weft_queue * */
    WEFT__WK_SIMPLEQUEUE_GET, /* obj: weft_simplequeue * */
    WEFT__WK_JOIN,          /* obj: weft_thread *      graph edge: that thread */
    WEFT__WK_FUTURE,        /* obj: weft_future *      graph edge: workers */
    WEFT__WK_WAIT_FUTURES,  /* obj: the first future of the set */
    WEFT__WK_EXECUTOR_SHUTDOWN, /* obj: weft_executor * */
    WEFT__WK_EXECUTOR_IDLE, /* obj: weft_executor *    a worker waiting for work */
    WEFT__WK_TIMER,         /* obj: weft_timer *       (join/cancel waits) */
    WEFT__WK_OTHER,
    WEFT__WK_COUNT
};

WEFT__DBG_HIDDEN int weft__rec_begin(enum weft__wk kind, const void *obj,
                                     weft__ns deadline);
WEFT__DBG_HIDDEN void weft__rec_end(int token);

/* ---- deadlock detection ---- */
extern _Atomic int weft__dl_mode_word WEFT__DBG_HIDDEN; /* weft_deadlock_mode, -1 = unread */

struct weft__dl {
    weft__ns next;       /* when the next check is due; FOREVER: never */
    uint32_t strikes;    /* consecutive checks that found a cycle */
    uint32_t checks;
    uint64_t sig;        /* the cycle found by the last check (confirmation) */
};

WEFT__DBG_HIDDEN void weft__dl_start(struct weft__dl *dl, weft__ns deadline);
WEFT__DBG_HIDDEN int weft__dl_poll_slow(struct weft__dl *dl, weft__ns deadline,
                                        weft__ns *until);

static inline int weft__dl_poll(struct weft__dl *dl, weft__ns deadline, weft__ns *until)
{
    if (dl->next == WEFT__NS_FOREVER) {
        *until = deadline;
        return 0;
    }
    return weft__dl_poll_slow(dl, deadline, until);
}

/* ---- hooks the primitives provide to the detector and the dump ----
 * Each is called only on an object that is provably alive (see above) and reads
 * its fields with relaxed atomic loads. */
WEFT__DBG_HIDDEN weft__tid weft__lock_holder(const weft_lock *lock);     /* lock.c */
WEFT__DBG_HIDDEN weft__tid weft__rlock_holder(const weft_rlock *rlock);  /* rlock.c */
WEFT__DBG_HIDDEN weft__tid weft__thread_tid(const weft_thread *thread);  /* thread.c; 0: not running */
/* future.c / executor.c: the threads that must make progress for the future to
 * finish. Returns n >= 0 ids in out (at most max): the future can only finish
 * through one of them (the worker running it; or every worker of its pool, when it
 * is still queued and the pool cannot start another worker). Returns -1 when it
 * may finish some other way (an idle worker, room for a new one, set by user code):
 * then it is not part of any deadlock. */
WEFT__DBG_HIDDEN int weft__future_blockers(const void *future, weft__tid *out, int max);

/* ---- names ---- */
/* Drop obj's name (each destroy calls it; one relaxed load when no name was ever set). */
extern _Atomic uint32_t weft__names_used WEFT__DBG_HIDDEN;
WEFT__DBG_HIDDEN void weft__name_forget_slow(const void *obj);
static inline void weft__name_forget(const void *obj)
{
    if (atomic_load_explicit(&weft__names_used, memory_order_relaxed))
        weft__name_forget_slow(obj);
}

/* ---- reports ---- */
/* Send a finished report to the hook (default stderr). */
WEFT__DBG_HIDDEN void weft__report(const char *text);
/* Describe a thread or object for a report: "'name' (0x...)" or "0x...". */
WEFT__DBG_HIDDEN void weft__describe_obj(const void *obj, char *buf, size_t size);
WEFT__DBG_HIDDEN void weft__describe_tid(weft__tid tid, char *buf, size_t size);
/* One line per thread still running (used by join_all / executor shutdown reports):
 * the dump's thread lines, restricted to the given ids (n < 0: all threads). */
WEFT__DBG_HIDDEN void weft__dump_threads(FILE *out, const weft__tid *only, int n);
WEFT__DBG_HIDDEN const char *weft__wk_name(enum weft__wk kind);

#endif /* WEFT_INTERNAL_DEBUG_H */
