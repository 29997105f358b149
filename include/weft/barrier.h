/* SPDX-License-Identifier: MIT */
/* weft/barrier.h: placeholder until this part of weft lands (see the issues). */
#ifndef WEFT_BARRIER_H
#define WEFT_BARRIER_H
#include "common.h"
#include "error.h"
#endif
