/* SPDX-License-Identifier: MIT */
/* internal/condition.h: condition.c's helpers for other weft code and tests. */
#ifndef WEFT_INTERNAL_CONDITION_H
#define WEFT_INTERNAL_CONDITION_H

#include <stddef.h>

#include "weft/condition.h"

/* The number of threads waiting on cond (linked in its waiter list). The caller
 * must hold the condition's lock (the list is guarded by it). Python: the
 * length of Condition._waiters, as its repr shows. */
__attribute__((visibility("hidden"))) size_t weft__condition_waiters(weft_condition *cond);

#endif /* WEFT_INTERNAL_CONDITION_H */
