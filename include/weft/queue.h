/* SPDX-License-Identifier: MIT */
/* weft/queue.h: Python's queue module.
 *
 * Python:   queue.Queue, queue.LifoQueue, queue.PriorityQueue, queue.SimpleQueue,
 *           queue.Empty (WEFT_EEMPTY), queue.Full (WEFT_EFULL),
 *           queue.ShutDown (WEFT_ESHUTDOWN).
 *
 * A weft_queue is an opaque heap handle: weft_queue_create (FIFO, Python's
 * Queue), weft_lifo_queue_create, weft_priority_queue_create or
 * weft_queue_create_attr make one; weft_queue_destroy frees it. A
 * weft_simple_queue (Python's SimpleQueue) is a separate handle type with the
 * smaller SimpleQueue API. Every function may be called from any thread,
 * including threads weft did not create.
 *
 * Items are void *. NULL is a legal item (Python's None): a get returns a
 * status code and writes the item through an out-pointer, so "no item" is never
 * confused with an item. The queue does not own its items, with one exception:
 * items that leave the queue without being got (an immediate shutdown, or
 * destroying a queue that still holds items) are handed to the drop callback
 * given at creation (weft_queue_attr.drop), once each, so nothing is lost. With
 * no drop callback such items are simply forgotten, as Python lets the garbage
 * collector have them: give a drop callback when items own memory.
 *
 * Timeout rules (CPython's Queue.put/get(block=True, timeout=None)):
 *   block false                         timeout ignored (even negative or NaN)
 *   timeout WEFT_FOREVER (-1.0)         wait as long as needed (Python's None)
 *   timeout 0                           poll: WEFT_EFULL / WEFT_EEMPTY at once
 *   timeout > 0                         wait at most timeout seconds
 *   other negative (also -inf) or NaN   WEFT_EINVAL ("'timeout' must be a
 *                                       non-negative number"), checked where
 *                                       Python checks it: put on an unbounded
 *                                       queue never checks; get checks after the
 *                                       "shut down and empty" test; both reject
 *                                       even when no wait is needed
 *   > WEFT_TIMEOUT_MAX or +inf          WEFT_EOVERFLOW, only if it has to wait
 *
 * Deviation: Python's None is WEFT_FOREVER (-1.0), so timeout=-1 means "forever"
 * in weft where Python raises ValueError; every other negative value is rejected
 * as in Python. A NaN timeout is WEFT_EINVAL where Python would busy-loop forever
 * (a CPython bug).
 *
 * Failure of storage (no memory to grow the ring or heap) makes put return
 * WEFT_ENOMEM and change nothing, as an exception from Python's _put leaves the
 * counters unchanged.
 */
#ifndef WEFT_QUEUE_H
#define WEFT_QUEUE_H

#include "common.h"
#include "error.h"

WEFT_BEGIN_DECLS

typedef struct weft_queue weft_queue;
typedef struct weft_simple_queue weft_simple_queue;

/* Comparison for priority queues: < 0 if a comes out before b, 0 if equal, > 0
 * if after (Python compares the items with <; the smallest comes out first).
 * Called with the queue's internal lock held: it must not call this queue's
 * functions. Items that compare equal come out in the order they were put
 * (beyond Python, whose heap order among equal items is arbitrary). */
typedef int (*weft_queue_cmp_fn)(const void *a, const void *b, void *userdata);

/* Receives each item that leaves a queue without being got (immediate shutdown,
 * destroy). Called without the queue's lock held, in the thread that called
 * weft_queue_shutdown or weft_queue_destroy; it may call this queue's functions
 * except destroy (from shutdown). */
typedef void (*weft_queue_drop_fn)(void *item, void *userdata);

/* Storage order of a weft_queue. */
typedef enum weft_queue_kind {
    WEFT_QUEUE_FIFO = 0,      /* queue.Queue */
    WEFT_QUEUE_LIFO = 1,      /* queue.LifoQueue */
    WEFT_QUEUE_PRIORITY = 2   /* queue.PriorityQueue (needs cmp) */
} weft_queue_kind;

/* Attributes for weft_queue_create_attr; a zero-filled struct is an unbounded
 * FIFO queue with no drop callback. Copied at creation. */
typedef struct weft_queue_attr {
    weft_queue_kind kind;
    long maxsize;               /* <= 0: unbounded (Python's maxsize=0) */
    weft_queue_cmp_fn cmp;      /* required for WEFT_QUEUE_PRIORITY, else ignored */
    void *cmp_userdata;
    weft_queue_drop_fn drop;    /* NULL: dropped items are forgotten */
    void *drop_userdata;
} weft_queue_attr;

/* ---- lifecycle ------------------------------------------------------------ */

/* weft_queue_create: a FIFO queue.
 *
 * Python:   queue.Queue(maxsize=0)
 * maxsize:  <= 0 for an unbounded queue.
 * Returns:  WEFT_OK and *out; WEFT_EINVAL if out is NULL; WEFT_ENOMEM. On error
 *           *out is untouched.
 * Threads:  any thread.
 */
WEFT_API int weft_queue_create(weft_queue **out, long maxsize);

/* Python: queue.LifoQueue(maxsize=0). Returns as weft_queue_create. */
WEFT_API int weft_lifo_queue_create(weft_queue **out, long maxsize);

/* weft_priority_queue_create: a queue that returns the smallest item first.
 *
 * Python:   queue.PriorityQueue(maxsize=0)
 * cmp:      the order (see weft_queue_cmp_fn); userdata is passed to it.
 * Returns:  as weft_queue_create; WEFT_EINVAL if cmp is NULL.
 * Deviation: items that compare equal come out in insertion order.
 */
WEFT_API int weft_priority_queue_create(weft_queue **out, long maxsize,
                                        weft_queue_cmp_fn cmp, void *userdata);

/* weft_queue_create_attr: a queue of any kind, with a drop callback.
 *
 * Returns:  as weft_queue_create; WEFT_EINVAL if attr is NULL, kind is unknown,
 *           or kind is WEFT_QUEUE_PRIORITY without cmp.
 */
WEFT_API int weft_queue_create_attr(weft_queue **out, const weft_queue_attr *attr);

/* weft_queue_destroy: free the queue. Items still in it go to the drop
 * callback. No thread may be using the queue (blocked in it or about to call
 * it). NULL is a no-op.
 */
WEFT_API void weft_queue_destroy(weft_queue *q);

/* ---- operations ----------------------------------------------------------- */

/* weft_queue_put: add item, waiting for room if the queue is bounded and full.
 *
 * Python:   Queue.put(item, block=True, timeout=None)
 * timeout:  the table at the top; ignored when block is false or the queue is
 *           unbounded.
 * Returns:  WEFT_OK (the item is in; unfinished tasks + 1);
 *           WEFT_ESHUTDOWN if the queue is shut down, checked first, and again
 *           after every wakeup while waiting (Python: ShutDown);
 *           WEFT_EFULL if full and block is false, or the timeout expired
 *           (Python: Full); WEFT_EINVAL for q NULL or a bad timeout with block
 *           true on a bounded queue (even if there is room, as Python);
 *           WEFT_EOVERFLOW for a timeout
 *           above WEFT_TIMEOUT_MAX when it has to wait; WEFT_ENOMEM.
 *           On any error the queue is unchanged.
 * Threads:  any thread; may block.
 */
WEFT_API int weft_queue_put(weft_queue *q, void *item, bool block, double timeout);

/* Python: Queue.put_nowait(item) = put(item, false, 0). Returns as put. */
WEFT_API int weft_queue_put_nowait(weft_queue *q, void *item);

/* weft_queue_get: remove and return an item, waiting for one if empty.
 *
 * Python:   Queue.get(block=True, timeout=None)
 * out:      receives the item (which may be NULL) on WEFT_OK; untouched otherwise.
 * Returns:  WEFT_OK; WEFT_ESHUTDOWN if the queue is shut down and empty (checked
 *           first and after every wakeup), or was shut down immediately (Python:
 *           ShutDown); WEFT_EEMPTY if empty and block is false, or the timeout
 *           expired (Python: Empty); WEFT_EINVAL for q or out NULL, or a bad
 *           timeout with block true (even if an item is available, as Python,
 *           but after the shutdown check); WEFT_EOVERFLOW for
 *           a timeout above WEFT_TIMEOUT_MAX when it has to wait.
 *           On any error the queue is unchanged.
 * Threads:  any thread; may block.
 */
WEFT_API int weft_queue_get(weft_queue *q, void **out, bool block, double timeout);

/* Python: Queue.get_nowait() = get(false). Returns as get. */
WEFT_API int weft_queue_get_nowait(weft_queue *q, void **out);

/* weft_queue_task_done: one item that was got has been processed.
 *
 * Python:   Queue.task_done()
 * Returns:  WEFT_OK (joiners wake when the count reaches 0); WEFT_EINVAL if called
 *           more times than items were put ("task_done() called too many
 *           times"), changing nothing, or q NULL.
 * Threads:  any thread; never blocks (beyond the internal lock).
 */
WEFT_API int weft_queue_task_done(weft_queue *q);

/* weft_queue_join: block until every item put has been task_done (or dropped by
 * an immediate shutdown).
 *
 * Python:   Queue.join()
 * Returns:  WEFT_OK; WEFT_EINVAL for NULL. May be called repeatedly and by many
 *           threads.
 * Threads:  any thread; blocks without a timeout, as Python.
 */
WEFT_API int weft_queue_join(weft_queue *q);

/* weft_queue_shutdown: shut the queue down (3.13).
 *
 * Python:   Queue.shutdown(immediate=False)
 * Afterwards put fails with WEFT_ESHUTDOWN; get returns what is left, then fails
 * with WEFT_ESHUTDOWN. Every blocked putter and getter wakes and re-checks.
 * immediate: also remove every item left, handing each to the drop callback (in
 * this thread, without the lock held), lower the unfinished-task count by one
 * per item (never below 0), and wake every joiner; getters fail at once.
 * Repeated calls are allowed in any order; there is no way back.
 * Returns:  WEFT_OK; WEFT_EINVAL for NULL.
 * Threads:  any thread.
 */
WEFT_API int weft_queue_shutdown(weft_queue *q, bool immediate);

/* ---- queries (snapshots, "not reliable" as Python says) -------------------- */

/* Python: Queue.qsize(). 0 for NULL. */
WEFT_API size_t weft_queue_qsize(weft_queue *q);
/* Python: Queue.empty(). true for NULL. */
WEFT_API bool weft_queue_empty(weft_queue *q);
/* Python: Queue.full(): 0 < maxsize <= qsize. false for NULL. */
WEFT_API bool weft_queue_full(weft_queue *q);
/* Python: Queue.maxsize (read). 0 for NULL. */
WEFT_API long weft_queue_maxsize(weft_queue *q);

/* weft_queue_set_maxsize: Python's assignment q.maxsize = n. Takes effect for
 * later puts (<= 0: unbounded from now on); an item already in the queue stays
 * even if it is now over the limit. Returns WEFT_OK; WEFT_EINVAL for NULL;
 * WEFT_ENOMEM (nothing changed) when a bounded FIFO queue is raised beyond the
 * ring it was created with (or made unbounded) and its storage cannot be
 * allocated.
 * Deviation: blocked putters are woken to re-check (Python does not wake them).
 */
WEFT_API int weft_queue_set_maxsize(weft_queue *q, long maxsize);

/* Python: Queue.is_shutdown. false for NULL. */
WEFT_API bool weft_queue_is_shutdown(weft_queue *q);
/* Python: Queue.unfinished_tasks. 0 for NULL. */
WEFT_API size_t weft_queue_unfinished_tasks(weft_queue *q);

/* ---- SimpleQueue ------------------------------------------------------------ */

/* weft_simple_queue_create: an unbounded FIFO queue without task tracking.
 *
 * Python:   queue.SimpleQueue()
 * drop:     receives the items still in the queue when it is destroyed (NULL:
 *           they are forgotten); userdata is passed to it.
 * Returns:  WEFT_OK and *out; WEFT_EINVAL if out is NULL; WEFT_ENOMEM.
 */
WEFT_API int weft_simple_queue_create(weft_simple_queue **out, weft_queue_drop_fn drop,
                                      void *userdata);

/* Free the queue, handing items left to the drop callback. No thread may be
 * using it. NULL is a no-op. */
WEFT_API void weft_simple_queue_destroy(weft_simple_queue *q);

/* weft_simple_queue_put: add item; never blocks.
 *
 * Python:   SimpleQueue.put(item, block=True, timeout=None) (block and timeout
 *           are ignored by Python, so weft has no such parameters)
 * Returns:  WEFT_OK; WEFT_EINVAL for NULL; WEFT_ENOMEM (queue unchanged).
 * Deviation: not async-signal-safe (Python allows put from __del__ and signal
 *           handlers while another put runs in the same thread).
 */
WEFT_API int weft_simple_queue_put(weft_simple_queue *q, void *item);

/* Python: SimpleQueue.put_nowait(item). The same as weft_simple_queue_put. */
WEFT_API int weft_simple_queue_put_nowait(weft_simple_queue *q, void *item);

/* weft_simple_queue_get: remove and return the oldest item.
 *
 * Python:   SimpleQueue.get(block=True, timeout=None)
 * timeout:  block false: ignored. block true: WEFT_FOREVER waits; 0 polls; > 0
 *           waits at most that long; other negatives and NaN: WEFT_EINVAL; above
 *           WEFT_TIMEOUT_MAX, +inf or -inf: WEFT_EOVERFLOW. Bad timeouts are
 *           rejected before looking at the queue, as Python's C SimpleQueue does.
 * Returns:  WEFT_OK and *out; WEFT_EEMPTY (Python: Empty); WEFT_EINVAL for q or
 *           out NULL or a bad timeout; WEFT_EOVERFLOW. Queue unchanged on error.
 * Threads:  any thread; may block.
 */
WEFT_API int weft_simple_queue_get(weft_simple_queue *q, void **out, bool block,
                                   double timeout);

/* Python: SimpleQueue.get_nowait(). */
WEFT_API int weft_simple_queue_get_nowait(weft_simple_queue *q, void **out);

/* Python: SimpleQueue.qsize() / empty(). 0 / true for NULL. */
WEFT_API size_t weft_simple_queue_qsize(weft_simple_queue *q);
WEFT_API bool weft_simple_queue_empty(weft_simple_queue *q);

WEFT_END_DECLS

#endif /* WEFT_QUEUE_H */
