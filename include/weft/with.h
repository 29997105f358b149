/* SPDX-License-Identifier: MIT */
/* weft/with.h: Python's `with lock:` for C (gcc and clang).
 *
 * Python:   with lock: ... / with rlock: ... / with cond: ...
 *
 *   WEFT_WITH_LOCK(&lock) {
 *       ... the lock is held here ...
 *   }                                   // released on every way out of the block
 *
 * Each macro is a statement prefix, like `with`: it takes the lock (blocking, no
 * timeout, as `with` does), runs the following statement or block once, and
 * releases the lock however that statement is left - falling off its end,
 * `return`, `break`, `continue`, or `goto` to a label outside it - through the
 * compiler's cleanup attribute.
 *
 * The forms:
 *   WEFT_WITH_LOCK(lock)                     WEFT_WITH_RLOCK(rlock)
 *   WEFT_WITH_CONDITION(cond)                (Condition's lock: __enter__/__exit__)
 *   WEFT_WITH_SEMAPHORE(sem)                 (Semaphore / BoundedSemaphore)
 *   WEFT_WITH_LOCK_RC(rc, lock)              ... and _RLOCK_RC, _CONDITION_RC:
 *                                            also store the acquire's return code
 *                                            in the int lvalue rc
 *   WEFT_WITH_LOCK_TIMEOUT(rc, lock, t)      ... and _RLOCK_TIMEOUT,
 *                                            _CONDITION_TIMEOUT: acquire with a
 *                                            timeout (weft_lock_acquire's rules);
 *                                            weft-only, Python's `with` has none
 *
 * If the acquire fails (WEFT_EINVAL for a NULL lock, WEFT_ETIMEDOUT for a timed
 * form, ...), the body does not run and nothing is released; the _RC and
 * _TIMEOUT forms let the caller see why (rc != WEFT_OK after the statement). It
 * never aborts.
 *
 * Limits (documented deviations from Python's `with`):
 *   - `break` and `continue` inside the body leave the with-block (the lock is
 *     released) and execution continues after it; they do not reach a loop
 *     around it, because a statement prefix that declares a variable has to be a
 *     one-pass `for` in C. Use a flag, `return` or `goto` to leave an outer loop.
 *   - longjmp (and siglongjmp) out of the body skips the release: the lock stays
 *     held, as with any C cleanup. So does thread exit inside the body
 *     (pthread_exit without -fexceptions), and exit()/abort().
 *   - Never `goto` (or switch-case) from outside into the body: it skips the
 *     acquire and the guard's initialisation, and the exit would release a lock
 *     it never took. clang rejects it; gcc only warns with -Wjump-misses-init.
 *   - The release's return code is not reported: releasing in the body what the
 *     with-block holds (a misuse) makes the exit release fail silently with
 *     WEFT_EPERM for a Lock or an RLock owned by someone else.
 *   - Only gcc and clang (the cleanup attribute); with other compilers the macros
 *     are not defined.
 *
 * Adding a kind (e.g. a Semaphore), in this header:
 *   WEFT__WITH_DEFINE(semaphore, weft_semaphore, my_acquire, my_release)
 *     where my_acquire is int (T *, bool blocking, double timeout) and my_release
 *     is int (T *) (write a one-line static inline wrapper if the signatures differ)
 *   #define WEFT_WITH_SEMAPHORE(obj_)         WEFT__WITH(semaphore, obj_, true, WEFT_FOREVER, NULL)
 *   #define WEFT_WITH_SEMAPHORE_RC(rc_, obj_) WEFT__WITH(semaphore, obj_, true, WEFT_FOREVER, &(rc_))
 *   #define WEFT_WITH_SEMAPHORE_TIMEOUT(rc_, obj_, t_) WEFT__WITH(semaphore, obj_, true, (t_), &(rc_))
 *   (macro parameters must not be named like the kind: `kind` is pasted)
 */
#ifndef WEFT_WITH_H
#define WEFT_WITH_H

#include "common.h"
#include "error.h"
#include "lock.h"
#include "condition.h"
#include "semaphore.h"

#if defined(__GNUC__) || defined(__clang__)

WEFT_BEGIN_DECLS

/* The guard a with-block keeps on its stack. Private. */
struct weft__with {
    void *obj;
    int (*release)(void *obj);
    int held;
};

static inline void weft__with_exit(struct weft__with *g)
{
    if (g->held) (void)g->release(g->obj);
}

static inline struct weft__with weft__with_enter(void *obj,
                                                 int (*acquire)(void *, bool, double),
                                                 int (*release)(void *), bool blocking,
                                                 double timeout, int *rc_out)
{
    int rc = acquire(obj, blocking, timeout);
    if (rc_out) *rc_out = rc;
    struct weft__with g = { obj, release, rc == WEFT_OK };
    return g;
}

/* Type-checked adapters for one kind: weft__with_<kind>_obj(T *) checks the
 * pointer type at compile time and evaluates it once. */
#define WEFT__WITH_DEFINE(kind, T, acquire_fn, release_fn)                          \
    static inline void *weft__with_##kind##_obj(T *o) { return (void *)o; }         \
    static inline int weft__with_##kind##_acq(void *o, bool b, double t)            \
    { return acquire_fn((T *)o, b, t); }                                            \
    static inline int weft__with_##kind##_rel(void *o) { return release_fn((T *)o); }

#define WEFT__WITH_CAT2(a, b) a##b
#define WEFT__WITH_CAT(a, b) WEFT__WITH_CAT2(a, b)

/* The one-pass for: the guard's cleanup runs whenever control leaves the for
 * statement, and the body runs only if the acquire succeeded. Unique names (per
 * __COUNTER__) let with-blocks nest without shadowing. */
#define WEFT__WITH_(g, once, kind, o, blocking, timeout, rcp)                        \
    for (struct weft__with g __attribute__((cleanup(weft__with_exit))) =              \
             weft__with_enter(weft__with_##kind##_obj(o), weft__with_##kind##_acq,   \
                              weft__with_##kind##_rel, (blocking), (timeout), (rcp)), \
             *once = &g;                                                              \
         once != NULL && g.held; once = NULL)
#define WEFT__WITH_N(n, kind, o, blocking, timeout, rcp)                              \
    WEFT__WITH_(WEFT__WITH_CAT(weft__with_g_, n), WEFT__WITH_CAT(weft__with_once_, n),  \
                kind, o, blocking, timeout, rcp)
#define WEFT__WITH(kind, o, blocking, timeout, rcp)                                   \
    WEFT__WITH_N(__COUNTER__, kind, o, blocking, timeout, rcp)

WEFT__WITH_DEFINE(lock, weft_lock, weft_lock_acquire, weft_lock_release)
WEFT__WITH_DEFINE(rlock, weft_rlock, weft_rlock_acquire, weft_rlock_release)
WEFT__WITH_DEFINE(condition, weft_condition, weft_condition_acquire, weft_condition_release)

/* Python: `with lock:` (Lock.__enter__ = acquire(), __exit__ = release()). */
#define WEFT_WITH_LOCK(obj_)                   WEFT__WITH(lock, obj_, true, WEFT_FOREVER, NULL)
#define WEFT_WITH_LOCK_RC(rc_, obj_)           WEFT__WITH(lock, obj_, true, WEFT_FOREVER, &(rc_))
#define WEFT_WITH_LOCK_TIMEOUT(rc_, obj_, t_)  WEFT__WITH(lock, obj_, true, (t_), &(rc_))

/* Python: `with rlock:`. Nests: each with-block adds and drops one level. */
#define WEFT_WITH_RLOCK(obj_)                  WEFT__WITH(rlock, obj_, true, WEFT_FOREVER, NULL)
#define WEFT_WITH_RLOCK_RC(rc_, obj_)          WEFT__WITH(rlock, obj_, true, WEFT_FOREVER, &(rc_))
#define WEFT_WITH_RLOCK_TIMEOUT(rc_, obj_, t_) WEFT__WITH(rlock, obj_, true, (t_), &(rc_))

/* Python: `with cond:` (the condition's lock). */
#define WEFT_WITH_CONDITION(obj_)              WEFT__WITH(condition, obj_, true, WEFT_FOREVER, NULL)
#define WEFT_WITH_CONDITION_RC(rc_, obj_)      WEFT__WITH(condition, obj_, true, WEFT_FOREVER, &(rc_))
#define WEFT_WITH_CONDITION_TIMEOUT(rc_, obj_, t_) WEFT__WITH(condition, obj_, true, (t_), &(rc_))

/* Python: `with sem:` (Semaphore/BoundedSemaphore.__enter__ = acquire(),
 * __exit__ = release()). The _TIMEOUT form follows weft_semaphore_acquire's
 * timeout rules (WEFT_FOREVER, or seconds; 0 and negatives poll). */
static inline int weft__with_semaphore_release1(weft_semaphore *s)
{
    return weft_semaphore_release(s, 1);
}
WEFT__WITH_DEFINE(semaphore, weft_semaphore, weft_semaphore_acquire,
                  weft__with_semaphore_release1)
#define WEFT_WITH_SEMAPHORE(obj_)              WEFT__WITH(semaphore, obj_, true, WEFT_FOREVER, NULL)
#define WEFT_WITH_SEMAPHORE_RC(rc_, obj_)      WEFT__WITH(semaphore, obj_, true, WEFT_FOREVER, &(rc_))
#define WEFT_WITH_SEMAPHORE_TIMEOUT(rc_, obj_, t_) WEFT__WITH(semaphore, obj_, true, (t_), &(rc_))

WEFT_END_DECLS

#endif /* __GNUC__ || __clang__ */

#endif /* WEFT_WITH_H */
