/* SPDX-License-Identifier: MIT */
/* platform/valgrind/annotate-helgrind.c: helgrind client requests behind
 * internal/annotate.h (compiled only with -DWEFT_VALGRIND=ON). */
#include <valgrind/helgrind.h>

#include "internal/annotate.h"

void weft__hg_happens_before(const volatile void *obj) { ANNOTATE_HAPPENS_BEFORE(obj); }
void weft__hg_happens_after(const volatile void *obj) { ANNOTATE_HAPPENS_AFTER(obj); }
void weft__hg_benign(const volatile void *p, size_t n)
{
    VALGRIND_HG_DISABLE_CHECKING(p, n);
}
