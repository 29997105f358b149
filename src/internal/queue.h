/* SPDX-License-Identifier: MIT */
/* internal/queue.h: the queue core shared by queue.c and simplequeue.c.
 *
 * A weft_simple_queue is a weft_queue made with simple = true (unbounded FIFO,
 * no task tracking, never shut down); simplequeue.c casts between the two
 * handle types and adds SimpleQueue's own timeout rules.
 */
#ifndef WEFT_INTERNAL_QUEUE_H
#define WEFT_INTERNAL_QUEUE_H

#include "weft/queue.h"

__attribute__((visibility("hidden")))
int weft__queue_new(weft_queue **out, const weft_queue_attr *attr, bool simple);

/* Queue.get's rules; the caller validates SimpleQueue's timeout first. */
__attribute__((visibility("hidden")))
int weft__queue_get(weft_queue *q, void **out, bool block, double timeout);

#endif /* WEFT_INTERNAL_QUEUE_H */
