/* SPDX-License-Identifier: MIT */
/* thread-dbg-fallback.c: TEMPORARY weak stand-ins for the report helpers of
 * internal/debug.h that the debug.c stub does not define yet (weft_join_all and
 * the executor's shutdown report call them). debug.c's real definitions override
 * these; this file goes away when debug.c lands. */
#include <stdio.h>

#include "internal/debug.h"

__attribute__((weak)) void weft__describe_obj(const void *obj, char *buf, size_t size)
{
    snprintf(buf, size, "%p", obj);
}

__attribute__((weak)) void weft__describe_tid(weft__tid tid, char *buf, size_t size)
{
    snprintf(buf, size, "thread #%u", (unsigned)tid);
}

__attribute__((weak)) void weft__dump_threads(FILE *out, const weft__tid *only, int n)
{
    for (int i = 0; i < n; i++) fprintf(out, "thread #%u\n", (unsigned)only[i]);
}
