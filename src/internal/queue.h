/* SPDX-License-Identifier: MIT */
/* internal/queue.h: the queue core shared by queue.c and simplequeue.c.
 *
 * A weft_simple_queue is a weft_queue made with simple = true (unbounded FIFO,
 * no task tracking, never shut down); simplequeue.c casts between the two
 * handle types and adds SimpleQueue's own timeout rules.
 */
#ifndef WEFT_INTERNAL_QUEUE_H
#define WEFT_INTERNAL_QUEUE_H

#include <stdbool.h>
#include <stdint.h>

#include "weft/queue.h"

__attribute__((visibility("hidden")))
int weft__queue_new(weft_queue **out, const weft_queue_attr *attr, bool simple);

/* Queue.get's rules; the caller validates SimpleQueue's timeout first. */
__attribute__((visibility("hidden")))
int weft__queue_get(weft_queue *q, void **out, bool block, double timeout);

/* The ring's temporal slip (queue.c, WEFT_QUEUE_RING_SLIP): how far ahead a
 * streaming partner must be before a waiter takes its turn, for a ring whose
 * effective capacity is limit (0: no slip, the ring is too small); and the
 * test itself, on positions loaded from head and tail (high bits: marks),
 * true when a getter (put false) has at least n items stored or a putter at
 * least n slots free, or when a mark is set. Pure functions, for the tests. */
__attribute__((visibility("hidden")))
uint64_t weft__queue_slip_items(uint64_t limit);
__attribute__((visibility("hidden")))
bool weft__queue_slipped(bool put, uint64_t head, uint64_t tail, uint64_t limit, uint64_t n);

/* After a slip that ran out without the partner getting ahead, the side skips
 * the slip for its next weft__queue_slip_penalty(last) waits: 1 after a slip
 * that worked, then twice the last penalty, at most
 * WEFT_QUEUE_RING_SLIP_PENALTY_MAX (1024). */
__attribute__((visibility("hidden")))
uint32_t weft__queue_slip_penalty(uint32_t last);

#endif /* WEFT_INTERNAL_QUEUE_H */
