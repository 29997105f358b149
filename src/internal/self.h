/* SPDX-License-Identifier: MIT */
/* internal/self.h: the calling thread's identity, cheap enough for lock fast paths.
 *
 * Design: the identity of a thread is the address of a thread-local anchor
 * (weft__tls_anchor). It is non-zero, unique among the threads alive now, needs
 * no system call and no initialisation, and exists in threads weft did not
 * create. weft_get_ident() (Python's threading.get_ident) returns the same value,
 * so an RLock's owner can be compared with any thread's ident.
 */
#ifndef WEFT_INTERNAL_SELF_H
#define WEFT_INTERNAL_SELF_H

#include <stdint.h>

extern _Thread_local char weft__tls_anchor __attribute__((visibility("hidden")));

static inline uint64_t weft__self(void)
{
    return (uint64_t)(uintptr_t)&weft__tls_anchor;
}

#endif /* WEFT_INTERNAL_SELF_H */
