/* SPDX-License-Identifier: MIT */
/* weft/queue.h: placeholder until this part of weft lands (see the issues). */
#ifndef WEFT_QUEUE_H
#define WEFT_QUEUE_H
#include "common.h"
#include "error.h"
#endif
