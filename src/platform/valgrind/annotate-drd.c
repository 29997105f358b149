/* SPDX-License-Identifier: MIT */
/* platform/valgrind/annotate-drd.c: drd client requests behind
 * internal/annotate.h (compiled only with -DWEFT_VALGRIND=ON). */
#include <valgrind/drd.h>

#include "internal/annotate.h"

void weft__drd_happens_before(const volatile void *obj) { ANNOTATE_HAPPENS_BEFORE(obj); }
void weft__drd_happens_after(const volatile void *obj) { ANNOTATE_HAPPENS_AFTER(obj); }
void weft__drd_benign(const volatile void *p, size_t n)
{
    ANNOTATE_BENIGN_RACE_SIZED(p, n, "weft state word: atomic accesses only");
}
