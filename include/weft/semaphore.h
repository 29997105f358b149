/* SPDX-License-Identifier: MIT */
/* weft/semaphore.h: placeholder until this part of weft lands (see the issues). */
#ifndef WEFT_SEMAPHORE_H
#define WEFT_SEMAPHORE_H
#include "common.h"
#include "error.h"
#endif
