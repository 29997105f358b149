/* SPDX-License-Identifier: MIT */
/* local.c: Python's threading.local (include/weft/local.h).
 *
 * Layering: a composite on the per-thread state of internal/tstate.h and the
 * lock weft__glock (a weft_lock shared with thread.c, so fork handles one lock).
 *
 * Design: a slot is one (thread, local) value. Each slot is on two intrusive
 * lists, both guarded by weft__glock:
 *   - its thread's list (weft__ts.locals of the owning thread), walked by that
 *     thread's get/set/clear and emptied at its exit;
 *   - its local's list (l->slots), emptied by weft_local_destroy.
 * Whoever unlinks a slot from both lists owns it and runs the destructor, outside
 * the lock: the exiting thread (weft__local_thread_exit), the thread that
 * replaces/clears its value, or the destroying thread. So every value is
 * destroyed exactly once.
 * An exiting thread that took slots of l has l->busy raised (under the lock)
 * until their destructors returned; destroy waits for busy == 0 before freeing
 * l. No lost wakeup: the exiting thread decrements busy (release) and wakes all
 * when it reaches 0; destroy sleeps only while it reads the non-zero value it
 * passes to weft__wait.
 * Foreign threads register their state with the OS key (weft__tstate_register)
 * when they get their first slot, so their values are destroyed at exit too.
 */
#include <errno.h>
#include <stdlib.h>

#include "internal/tstate.h"
#include "internal/wait.h"
#include "weft/local.h"

struct weft__local_slot {
    weft_local *local;
    void *value;
    struct weft__local_slot *tnext, **tpprev;   /* thread's list */
    struct weft__local_slot *lnext, **lpprev;   /* local's list */
};

struct weft_local {
    weft_local_init_fn init;
    weft_local_dtor_fn dtor;
    void *userdata;
    struct weft__local_slot *slots;             /* under weft__glock */
    WEFT_ATOMIC(uint32_t) busy;                 /* exit destructors in flight */
};

typedef struct weft__local_slot slot;

static void link_slot(struct weft__tstate *ts, slot *s)
{
    s->tnext = ts->locals;
    if (s->tnext) s->tnext->tpprev = &s->tnext;
    s->tpprev = &ts->locals;
    ts->locals = s;
    weft_local *l = s->local;
    s->lnext = l->slots;
    if (s->lnext) s->lnext->lpprev = &s->lnext;
    s->lpprev = &l->slots;
    l->slots = s;
}

static void unlink_slot(slot *s)
{
    *s->tpprev = s->tnext;
    if (s->tnext) s->tnext->tpprev = s->tpprev;
    *s->lpprev = s->lnext;
    if (s->lnext) s->lnext->lpprev = s->lpprev;
}

static slot *find(struct weft__tstate *ts, const weft_local *l)   /* under lock */
{
    for (slot *s = ts->locals; s; s = s->tnext)
        if (s->local == l) return s;
    return NULL;
}

/* Make the calling thread's values be destroyed at its exit: a weft thread does
 * it itself at the end of its body; for every thread the OS key is set (a weft
 * thread clears it again after its own cleanup), which covers foreign threads. */
static int need_register(void)
{
    return weft__tstate_register();
}

int weft_local_create(weft_local **out, weft_local_init_fn init,
                      weft_local_dtor_fn dtor, void *userdata)
{
    if (!out) return WEFT_EINVAL;
    int saved = errno;
    weft_local *l = calloc(1, sizeof *l);
    if (!l) {
        errno = saved;
        return WEFT_ENOMEM;
    }
    l->init = init;
    l->dtor = dtor;
    l->userdata = userdata;
    if (init) {
        /* Python calls __init__ in the creating thread at construction. */
        void *v;
        int rc = weft_local_get(l, &v);
        if (rc != WEFT_OK) {
            free(l);
            errno = saved;
            return rc;
        }
    }
    *out = l;
    errno = saved;
    return WEFT_OK;
}

int weft_local_get(weft_local *l, void **value)
{
    if (!l || !value) return WEFT_EINVAL;
    struct weft__tstate *ts = &weft__ts;
    weft__glock_acquire();
    slot *s = find(ts, l);
    if (s) {
        *value = s->value;
        weft__glock_release();
        return WEFT_OK;
    }
    weft__glock_release();

    int saved = errno;
    void *v = NULL;
    if (l->init) {
        int rc = l->init(&v, l->userdata);
        if (rc < 0) {
            errno = saved;
            return rc;
        }
    }
    s = malloc(sizeof *s);
    int rc = s ? need_register() : WEFT_ENOMEM;
    if (rc != WEFT_OK) {
        free(s);
        if (l->dtor) l->dtor(v, l->userdata);
        errno = saved;
        return rc;
    }
    s->local = l;
    s->value = v;
    weft__glock_acquire();
    link_slot(ts, s);
    weft__glock_release();
    *value = v;
    errno = saved;
    return WEFT_OK;
}

int weft_local_set(weft_local *l, void *value)
{
    if (!l) return WEFT_EINVAL;
    struct weft__tstate *ts = &weft__ts;
    int saved = errno;
    slot *fresh = malloc(sizeof *fresh);   /* taken before the lock; freed if unused */
    weft__glock_acquire();
    slot *s = find(ts, l);
    if (s) {
        void *old = s->value;
        s->value = value;
        weft__glock_release();
        free(fresh);
        if (l->dtor && old != value) l->dtor(old, l->userdata);
        errno = saved;
        return WEFT_OK;
    }
    weft__glock_release();
    int rc = fresh ? need_register() : WEFT_ENOMEM;
    if (rc != WEFT_OK) {
        free(fresh);
        errno = saved;
        return rc;
    }
    fresh->local = l;
    fresh->value = value;
    weft__glock_acquire();
    link_slot(ts, fresh);
    weft__glock_release();
    errno = saved;
    return WEFT_OK;
}

int weft_local_clear(weft_local *l)
{
    if (!l) return WEFT_EINVAL;
    struct weft__tstate *ts = &weft__ts;
    weft__glock_acquire();
    slot *s = find(ts, l);
    if (s) unlink_slot(s);
    weft__glock_release();
    if (s) {
        int saved = errno;
        if (l->dtor) l->dtor(s->value, l->userdata);
        free(s);
        errno = saved;
    }
    return WEFT_OK;
}

void weft_local_destroy(weft_local *l)
{
    if (!l) return;
    int saved = errno;
    weft__glock_acquire();
    slot *taken = NULL;
    while (l->slots) {
        slot *s = l->slots;
        unlink_slot(s);
        s->tnext = taken;
        taken = s;
    }
    weft__glock_release();
    for (;;) {
        uint32_t b = atomic_load_explicit(&l->busy, memory_order_acquire);
        if (b == 0) break;
        weft__wait(&l->busy, b, WEFT__NS_FOREVER);
    }
    while (taken) {
        slot *s = taken;
        taken = s->tnext;
        if (l->dtor) l->dtor(s->value, l->userdata);
        free(s);
    }
    free(l);
    errno = saved;
}

void weft__local_thread_exit(struct weft__tstate *ts)
{
    /* A destructor may create new values in this thread (get on another local):
     * repeat a few rounds, as POSIX does for key destructors. */
    for (int round = 0; round < 4; round++) {
        weft__glock_acquire();
        slot *taken = NULL;
        while (ts->locals) {
            slot *s = ts->locals;
            unlink_slot(s);
            atomic_fetch_add_explicit(&s->local->busy, 1, memory_order_relaxed);
            s->tnext = taken;
            taken = s;
        }
        weft__glock_release();
        if (!taken) return;
        while (taken) {
            slot *s = taken;
            taken = s->tnext;
            weft_local *l = s->local;
            if (l->dtor) l->dtor(s->value, l->userdata);
            free(s);
            /* release: the destructor's effects happen before destroy frees l */
            if (atomic_fetch_sub_explicit(&l->busy, 1, memory_order_release) == 1)
                weft__wake(&l->busy, WEFT__WAKE_ALL);
        }
    }
}
