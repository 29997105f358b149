/* SPDX-License-Identifier: MIT */
/* internal/alloc.h: malloc & co. that leave errno as they found it.
 *
 * A failing malloc sets errno = ENOMEM; weft reports WEFT_ENOMEM instead and never
 * changes errno. The saved copy is volatile on purpose: clang models malloc as not
 * writing errno and otherwise deletes the restoring store as redundant (seen in
 * the clang build's errno tests; fixed the same way in thread.c, local.c, queue.c
 * and timer.c).
 */
#ifndef WEFT_INTERNAL_ALLOC_H
#define WEFT_INTERNAL_ALLOC_H

#include <errno.h>
#include <stdlib.h>

static inline void *weft__malloc(size_t n)
{
    volatile int saved = errno;
    void *p = malloc(n);
    errno = saved;
    return p;
}

static inline void *weft__calloc(size_t n, size_t size)
{
    volatile int saved = errno;
    void *p = calloc(n, size);
    errno = saved;
    return p;
}

static inline void *weft__realloc(void *old, size_t n)
{
    volatile int saved = errno;
    void *p = realloc(old, n);
    errno = saved;
    return p;
}

#endif /* WEFT_INTERNAL_ALLOC_H */
