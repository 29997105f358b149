/* SPDX-License-Identifier: MIT */
/* weft/local.h: Python's threading.local: one value per thread.
 *
 * Python:   threading.local (and subclasses with an __init__).
 *
 * A weft_local is an opaque handle holding one `void *` per thread. An optional
 * initialiser (Python's subclass __init__) makes a thread's value the first time
 * that thread touches the local; it also runs once in the creating thread when the
 * local is created, as Python calls __init__ at construction. An optional
 * destructor releases a value: when a thread that has a value exits (weft threads
 * and threads weft did not create alike), when a value is replaced or cleared,
 * and for every value still stored when the local is destroyed.
 *
 * Deviation: Python's local is an attribute namespace (a dict per thread); a
 * weft_local holds one pointer per thread (point it at a struct for several
 * fields). weft_local_set in a thread that has no value yet stores the value
 * without running the initialiser first (Python would run __init__ and then set
 * the attribute). The main thread's values are not destroyed at process exit
 * (its thread does not "end" before the process does), only by
 * weft_local_destroy; the same holds for threads still running at exit.
 */
#ifndef WEFT_LOCAL_H
#define WEFT_LOCAL_H

#include "common.h"
#include "error.h"

WEFT_BEGIN_DECLS

typedef struct weft_local weft_local;

/* Per-thread initialiser: store the calling thread's first value in *value and
 * return WEFT_OK, or return a negative code to fail (nothing is stored; the next
 * access in that thread runs the initialiser again, as Python retries __init__). */
typedef int (*weft_local_init_fn)(void **value, void *userdata);

/* Destructor of one thread's value (never called for a value that was never
 * stored). Runs in the exiting thread at thread exit, in the calling thread for
 * set/clear/destroy, and never with a weft lock held. It may use weft (including
 * other locals) but must not destroy this local. */
typedef void (*weft_local_dtor_fn)(void *value, void *userdata);

/* weft_local_create: make a thread-local value holder.
 *
 * Python:   threading.local() / MyLocal(*args) (init = MyLocal.__init__ with args
 *           bound in userdata).
 * init:     NULL: a thread's first value is NULL. Else it runs now in the calling
 *           thread (its failure is returned and nothing is created) and later
 *           lazily in every other thread.
 * dtor:     NULL: values are simply forgotten.
 * Returns:  WEFT_OK and *out; WEFT_EINVAL (out NULL); WEFT_ENOMEM; init's code.
 *           On error *out is untouched.
 * Threads:  any thread, including threads weft did not create.
 */
WEFT_API int weft_local_create(weft_local **out, weft_local_init_fn init,
                               weft_local_dtor_fn dtor, void *userdata);

/* weft_local_get: the calling thread's value (Python: reading an attribute).
 *
 * Returns:  WEFT_OK and *value, running the initialiser first if this thread has
 *           no value yet; the initialiser's code if it failed (the next get
 *           retries); WEFT_ENOMEM (the value made by the initialiser is passed to
 *           the destructor); WEFT_EINVAL (l or value NULL). *value is untouched on
 *           error.
 * Threads:  any thread; does not block except briefly on weft's internal lock.
 */
WEFT_API int weft_local_get(weft_local *l, void **value);

/* weft_local_set: replace the calling thread's value (Python: setting an
 * attribute). The previous value, if any and different, goes to the destructor.
 * Returns:  WEFT_OK; WEFT_ENOMEM (nothing changed); WEFT_EINVAL (l NULL). */
WEFT_API int weft_local_set(weft_local *l, void *value);

/* weft_local_clear: drop the calling thread's value (Python: del local.attr); the
 * destructor runs on it and the next get runs the initialiser again.
 * Returns:  WEFT_OK (also if this thread had no value); WEFT_EINVAL (l NULL). */
WEFT_API int weft_local_clear(weft_local *l);

/* weft_local_destroy: free the local. The destructor runs, in the calling thread,
 * for every value still stored by any thread; values of threads that are exiting
 * at this moment are destroyed by those threads, and destroy waits for them, so
 * once it returns no destructor of l runs any more. Rule: no other thread may use
 * l during or after this call (as for every destroy), and a destructor must not
 * destroy its own local. NULL is a no-op.
 */
WEFT_API void weft_local_destroy(weft_local *l);

WEFT_END_DECLS

#endif /* WEFT_LOCAL_H */
