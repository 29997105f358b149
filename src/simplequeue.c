/* SPDX-License-Identifier: MIT */
/* simplequeue.c: Python's queue.SimpleQueue.
 *
 * Design: a SimpleQueue is the queue.c core made unbounded, FIFO, without task
 * tracking and never shut down (internal/queue.h); the handle types differ only
 * so that the compiler keeps the two APIs apart. What differs from Queue is
 * get's timeout rule, which follows CPython's C _queue.SimpleQueue: with block
 * true a bad timeout is rejected before the queue is looked at (negative or
 * NaN: ValueError; too large or infinite, including -inf: OverflowError), even
 * when an item is available. The wake policy (signal only un-notified waiters,
 * spin briefly before blocking) is queue.c's.
 */
#include <math.h>

#include "weft/queue.h"
#include "internal/clock.h"
#include "internal/queue.h"

static inline weft_queue *core(weft_simple_queue *q) { return (weft_queue *)(void *)q; }

int weft_simple_queue_create(weft_simple_queue **out, weft_queue_drop_fn drop, void *userdata)
{
    if (!out) return WEFT_EINVAL;
    weft_queue_attr a = { .kind = WEFT_QUEUE_FIFO, .drop = drop, .drop_userdata = userdata };
    weft_queue *q;
    int rc = weft__queue_new(&q, &a, true);
    if (rc == WEFT_OK) *out = (weft_simple_queue *)(void *)q;
    return rc;
}

void weft_simple_queue_destroy(weft_simple_queue *q)
{
    weft_queue_destroy(core(q));
}

int weft_simple_queue_put(weft_simple_queue *q, void *item)
{
    /* Unbounded and never shut down: only WEFT_EINVAL or WEFT_ENOMEM can fail. */
    return weft_queue_put(core(q), item, false, 0);
}

int weft_simple_queue_put_nowait(weft_simple_queue *q, void *item)
{
    return weft_simple_queue_put(q, item);
}

int weft_simple_queue_get(weft_simple_queue *q, void **out, bool block, double timeout)
{
    if (!q || !out) return WEFT_EINVAL;
    if (block) {
        switch (weft__timeout_class(timeout)) {
        case WEFT__T_NEGATIVE:
        case WEFT__T_NAN:
            return WEFT_EINVAL;      /* "'timeout' must be a non-negative number" */
        case WEFT__T_TOO_BIG:
            return WEFT_EOVERFLOW;   /* also -inf, as CPython */
        default:
            break;
        }
    }
    return weft__queue_get(core(q), out, block, timeout);
}

int weft_simple_queue_get_nowait(weft_simple_queue *q, void **out)
{
    return weft_simple_queue_get(q, out, false, 0);
}

size_t weft_simple_queue_qsize(weft_simple_queue *q)
{
    return weft_queue_qsize(core(q));
}

bool weft_simple_queue_empty(weft_simple_queue *q)
{
    return weft_simple_queue_qsize(q) == 0;
}
