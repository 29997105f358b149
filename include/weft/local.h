/* SPDX-License-Identifier: MIT */
/* weft/local.h: placeholder until this part of weft lands (see the issues). */
#ifndef WEFT_LOCAL_H
#define WEFT_LOCAL_H
#include "common.h"
#include "error.h"
#endif
