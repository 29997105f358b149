/* SPDX-License-Identifier: MIT */
/* weft/timer.h: placeholder until this part of weft lands (see the issues). */
#ifndef WEFT_TIMER_H
#define WEFT_TIMER_H
#include "common.h"
#include "error.h"
#endif
