/* SPDX-License-Identifier: MIT */
/* weft/event.h: placeholder until this part of weft lands (see the issues). */
#ifndef WEFT_EVENT_H
#define WEFT_EVENT_H
#include "common.h"
#include "error.h"
#endif
