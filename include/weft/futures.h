/* SPDX-License-Identifier: MIT */
/* weft/futures.h: placeholder until this part of weft lands (see the issues). */
#ifndef WEFT_FUTURES_H
#define WEFT_FUTURES_H
#include "common.h"
#include "error.h"
#endif
