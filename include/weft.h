/* SPDX-License-Identifier: MIT */
/* weft.h: the umbrella header. Python's threading, queue and concurrent.futures
 * for C11. Includes every public weft header and nothing else. */
#ifndef WEFT_H
#define WEFT_H

#include "weft/common.h"
#include "weft/error.h"
#include "weft/thread.h"
#include "weft/lock.h"
#include "weft/condition.h"
#include "weft/with.h"
#include "weft/semaphore.h"
#include "weft/event.h"
#include "weft/barrier.h"
#include "weft/timer.h"
#include "weft/local.h"
#include "weft/queue.h"
#include "weft/futures.h"
#include "weft/debug.h"

#endif /* WEFT_H */
