/* SPDX-License-Identifier: MIT */
/* internal/annotate.h: make weft's own synchronisation visible to helgrind and drd.
 *
 * ThreadSanitizer understands C11 atomics, so it needs nothing here. valgrind's
 * helgrind and drd only understand pthread calls: for them, every place where a
 * weft primitive hands memory from one thread to another through its own atomics
 * says so with a happens-before pair on the primitive's address:
 *   WEFT__HAPPENS_BEFORE(obj)  in the releasing thread, before the release store
 *                              (Lock.release, Event.set, Semaphore.release, ...)
 *   WEFT__HAPPENS_AFTER(obj)   in the acquiring thread, after the acquire that
 *                              observed it (Lock.acquire, Event.wait returning, ...)
 *   WEFT__BENIGN_WORD(p, n)    at init: the n-byte state word at p is only ever
 *                              accessed atomically; do not report races on it.
 * In a normal build they compile to nothing. With -DWEFT_VALGRIND=ON they call
 * src/platform/valgrind/, which issues both tools' client requests (each tool
 * ignores the other's), so one build serves helgrind and drd.
 */
#ifndef WEFT_INTERNAL_ANNOTATE_H
#define WEFT_INTERNAL_ANNOTATE_H

#include <stddef.h>

#ifdef WEFT_VALGRIND
__attribute__((visibility("hidden"))) void weft__hg_happens_before(const volatile void *obj);
__attribute__((visibility("hidden"))) void weft__hg_happens_after(const volatile void *obj);
__attribute__((visibility("hidden"))) void weft__hg_benign(const volatile void *p, size_t n);
__attribute__((visibility("hidden"))) void weft__drd_happens_before(const volatile void *obj);
__attribute__((visibility("hidden"))) void weft__drd_happens_after(const volatile void *obj);
__attribute__((visibility("hidden"))) void weft__drd_benign(const volatile void *p, size_t n);
#  define WEFT__HAPPENS_BEFORE(obj) (weft__hg_happens_before(obj), weft__drd_happens_before(obj))
#  define WEFT__HAPPENS_AFTER(obj)  (weft__hg_happens_after(obj), weft__drd_happens_after(obj))
#  define WEFT__BENIGN_WORD(p, n)   (weft__hg_benign((p), (n)), weft__drd_benign((p), (n)))
#else
#  define WEFT__HAPPENS_BEFORE(obj) ((void)0)
#  define WEFT__HAPPENS_AFTER(obj)  ((void)0)
#  define WEFT__BENIGN_WORD(p, n)   ((void)0)
#endif

#endif /* WEFT_INTERNAL_ANNOTATE_H */
