/* SPDX-License-Identifier: MIT */
/* self.c: storage for the thread identity anchor (internal/self.h). */
#include "internal/self.h"

_Thread_local char weft__tls_anchor;
