/* SPDX-License-Identifier: MIT */
/* thread.c: Python's threading.Thread and the module functions of threading
 * (include/weft/thread.h; docs/design/thread.md has the longer story).
 *
 * Layering: a composite. OS services come from internal/os.h (the only place that
 * sees pthreads); blocking uses internal/wait.h words (the start handshake and the
 * join word); the registry is guarded by weft__glock, a public weft_lock.
 *
 * The record (struct weft_thread)
 *   kind      THREAD (weft_thread_create), MAIN (static, one per process), DUMMY
 *             (weft_current_thread in a foreign thread).
 *   state     ST_INITIAL -> ST_STARTING (start() called, registered) -> ST_ALIVE
 *             (the new thread recorded ident/native id) -> ST_FINISHED (body and
 *             teardown done, unregistered). A failed OS start goes STARTING ->
 *             INITIAL. Written under weft__glock, read lock-free (atomic); the
 *             starter sleeps on it while it is ST_STARTING.
 *   done      the join word: DONE_NO until the very end of the thread's teardown,
 *             then DONE_YES (release) and wake-all. Joiners sleep on it.
 *   refs      creator's reference (1 from create) + the running thread's own
 *             reference (taken by start, dropped as the thread's last act) + the
 *             registry's reference (while listed). Freed at 0. MAIN is never freed.
 * Invariants: a record is in the registry iff state is STARTING or ALIVE (MAIN and
 * DUMMY records are ALIVE from birth); done == DONE_YES implies state FINISHED
 * (or a MAIN record at exit / a record of a thread that did not survive fork).
 * result, fail_code and fail_msg are written by the thread before it publishes
 * done (release) and read only after done was observed (acquire).
 *
 * No lost wakeups: (1) start: the new thread stores ST_ALIVE (release) and then
 * wakes all on &state; the starter sleeps only while it reads ST_STARTING inside
 * weft__wait, so it either sees ST_ALIVE or is asleep when the wake comes.
 * (2) join: the thread stores DONE_YES (release) before waking all on &done; a
 * joiner sleeps only on DONE_NO, same argument. The thread holds its own
 * reference across that wake, so the word is still valid memory.
 *
 * Exit rules: on the first start (or the first weft__register_atexit) an atexit
 * handler is registered. It sets exit_started (later registrations fail), runs
 * the registered callbacks (internal/atexit.h) newest first, marks the main
 * record done (if exit runs in the main thread), then repeatedly picks a
 * registered non-daemon weft thread other than the caller and waits for its done
 * word, until none is left. Daemon threads are not waited for.
 *
 * Exit callbacks: two doubly linked lists of malloc'd entries under weft__glock:
 * ae_list (registered, not run; oldest .. newest) and ae_ran (callbacks that have
 * run, kept so what their arg points to stays reachable for leak checkers and a
 * later unregister can still free them). The handler takes the newest entry off
 * ae_list, records it in ae_current (with the running thread's ident), unlocks,
 * calls it, and under the lock moves it to ae_ran, clears ae_current and bumps
 * the word ae_seq, then wakes ae_seq. weft__unregister_atexit finds the handle by
 * address: in ae_list or ae_ran -> removed and freed; equal to ae_current in
 * another thread -> it sleeps on ae_seq until ae_current changes, then looks
 * again (it is then in ae_ran); ae_current in the calling thread (a callback
 * unregisters itself) -> flagged, freed by the handler when it returns. No lost
 * wakeup: the waiter reads ae_current and ae_seq in one hold of the lock; the
 * handler changes both in one hold, before the wake, so the waiter either sees
 * the change or sleeps on a value that is already stale (weft__wait returns at
 * once).
 *
 * Fork: prepare takes weft__glock (so no registry operation is half done), the
 * parent releases it, the child re-initialises it, makes the forking thread's
 * record the main thread (the static main record if the forking thread had none;
 * a dummy record becomes a non-daemon MAIN named "MainThread", as in CPython),
 * and marks every other record finished and done, moving it from the registry to
 * an orphan list that keeps its references (those threads, and possibly their
 * creators, do not exist in the child; the records stay valid and reachable).
 *
 * errno: every public function that can reach libc saves errno on entry and
 * restores it on return.
 * The saved errno is kept in a volatile: compilers (clang/LLVM) assume malloc and
 * friends never write errno and would drop the restore after a failed
 * allocation as a dead store.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal/annotate.h"
#include "internal/atexit.h"
#include "internal/clock.h"
#include "internal/debug.h"
#include "internal/failure.h"
#include "internal/lock.h"
#include "internal/os.h"
#include "internal/self.h"
#include "internal/tstate.h"
#include "internal/wait.h"
#include "weft/thread.h"

enum { ST_INITIAL = 0, ST_STARTING = 1, ST_ALIVE = 2, ST_FINISHED = 3 };
enum { DONE_NO = 0, DONE_YES = 1 };
enum { KIND_THREAD = 0, KIND_MAIN = 1, KIND_DUMMY = 2 };

/* Python's smallest thread stack size ("size not valid: N bytes" below it). */
#define MIN_STACK_SIZE 32768L

struct old_name {
    struct old_name *next;
    char *name;
};

struct weft_thread {
    WEFT_ATOMIC(uint32_t) refs;
    WEFT_ATOMIC(uint32_t) state;    /* ST_* */
    WEFT_ATOMIC(uint32_t) done;     /* DONE_*: the join word */
    WEFT_ATOMIC(bool) daemon;
    int kind;                       /* KIND_*, fixed at birth (except: a DUMMY
                                     * that forks is the child's MAIN) */
    bool name_heap;                 /* name was malloc'd (under weft__glock) */
    bool os_valid;                  /* os may be used (under weft__glock) */
    bool listed;                    /* in the registry (under weft__glock) */
    weft__os_thread os;
    weft_thread_fn fn;
    void *arg;
    long stack_size;
    _Atomic(char *) name;
    struct old_name *old_names;     /* earlier names, kept until free (under lock) */
    WEFT_ATOMIC(uint64_t) ident;
    WEFT_ATOMIC(long) native_id;
    WEFT_ATOMIC(uint32_t) dbg_tid;  /* the thread's weft__tid while it runs, else 0
                                     * (debug.c's slot; written by the thread itself
                                     * and by fork/teardown, under weft__glock) */
    void *result;
    int fail_code;
    char *fail_msg;
    struct weft_thread *prev, *next; /* registry links (under lock) */
};

_Thread_local struct weft__tstate weft__ts;
weft_lock weft__glock = WEFT_LOCK_INIT;

static char main_name[] = "MainThread";
static struct weft_thread main_rec;
static _Atomic(weft_thread *) main_ptr = &main_rec;

static struct {
    weft_thread *head, *tail;
    size_t count;
} registry;                                   /* under weft__glock */

static weft_thread *orphans;                  /* fork child: records of gone threads */
static WEFT_ATOMIC(unsigned long) name_counter;   /* Python's _counter */
static WEFT_ATOMIC(long) default_stack_size;
static weft_excepthook_fn hook_fn;            /* under weft__glock */
static void *hook_ud;                         /* under weft__glock */
static bool atexit_registered;                /* under weft__glock */

struct weft__atexit_entry {
    struct weft__atexit_entry *prev, *next;   /* under weft__glock */
    void (*fn)(void *);
    void *arg;
};

struct ae_list {
    weft__atexit_entry *head, *tail;
    unsigned long count;
};
static struct ae_list ae_list, ae_ran;        /* under weft__glock */
static weft__atexit_entry *ae_current;        /* running callback (under weft__glock) */
static uint64_t ae_runner;                    /* its thread's ident (under weft__glock) */
static bool ae_current_unreg;                 /* it unregistered itself (under weft__glock) */
static bool exit_started;                     /* under weft__glock; never reset */
static WEFT_ATOMIC(uint32_t) ae_seq;          /* bumped after each callback */
static WEFT_ATOMIC(unsigned) fork_gen;        /* incremented in every fork child */
static bool key_ok;                           /* set once by the constructor */
static weft__os_key tstate_key;

/* ---- helpers --------------------------------------------------------------- */

static void registry_insert(weft_thread *t)   /* under lock; takes a reference */
{
    atomic_fetch_add_explicit(&t->refs, 1, memory_order_relaxed);
    t->prev = registry.tail;
    t->next = NULL;
    if (registry.tail) registry.tail->next = t; else registry.head = t;
    registry.tail = t;
    registry.count++;
    t->listed = true;
}

/* Under lock; the caller drops the registry's reference after unlocking. */
static void registry_remove(weft_thread *t)
{
    if (t->prev) t->prev->next = t->next; else registry.head = t->next;
    if (t->next) t->next->prev = t->prev; else registry.tail = t->prev;
    t->prev = t->next = NULL;
    registry.count--;
    t->listed = false;
}

/* helgrind/drd: the record's atomic words are only accessed atomically; the data
 * they publish is annotated with WEFT__HAPPENS_BEFORE/AFTER where it is handed. */
static void benign_words(weft_thread *t)
{
    WEFT__BENIGN_WORD(&t->refs, sizeof t->refs);
    WEFT__BENIGN_WORD(&t->state, sizeof t->state);
    WEFT__BENIGN_WORD(&t->done, sizeof t->done);
    WEFT__BENIGN_WORD(&t->daemon, sizeof t->daemon);
    WEFT__BENIGN_WORD(&t->name, sizeof t->name);
    WEFT__BENIGN_WORD(&t->ident, sizeof t->ident);
    WEFT__BENIGN_WORD(&t->native_id, sizeof t->native_id);
    WEFT__BENIGN_WORD(&t->dbg_tid, sizeof t->dbg_tid);
    (void)t;
}

static void free_record(weft_thread *t)
{
    struct old_name *o = t->old_names;
    while (o) {
        struct old_name *n = o->next;
        free(o->name);
        free(o);
        o = n;
    }
    if (t->name_heap) free(atomic_load_explicit(&t->name, memory_order_relaxed));
    free(t->fail_msg);
    weft__name_forget(t);
    free(t);
}

static void unref(weft_thread *t)
{
    /* acq_rel: the last owner must see every write made through other references */
    WEFT__HAPPENS_BEFORE(&t->refs);
    if (atomic_fetch_sub_explicit(&t->refs, 1, memory_order_acq_rel) == 1 && t->kind != KIND_MAIN) {
        WEFT__HAPPENS_AFTER(&t->refs);
        free_record(t);
    }
}

static void publish_done(weft_thread *t)
{
    WEFT__HAPPENS_BEFORE(&t->done);
    /* release: result/failure written before; a joiner that reads DONE_YES
     * (acquire) sees them. Stored before the wake, so no joiner sleeps on it. */
    atomic_store_explicit(&t->done, DONE_YES, memory_order_release);
    weft__wake(&t->done, WEFT__WAKE_ALL);
}

static char *generate_name(const char *prefix)
{
    char *s = malloc(32);
    if (!s) return NULL;
    unsigned long n = atomic_fetch_add_explicit(&name_counter, 1, memory_order_relaxed) + 1;
    snprintf(s, 32, "%s-%lu", prefix, n);
    return s;
}

static long current_tid(void)
{
    if (weft__ts.tid == 0) weft__ts.tid = weft__os_gettid();
    return weft__ts.tid;
}

/* Under weft__glock: tell debug.c (internal/debug.h) who t is, if it runs. The
 * lock orders this against renames, so the slot always ends with the latest name. */
static void dbg_publish(weft_thread *t)
{
    weft__tid tid = atomic_load_explicit(&t->dbg_tid, memory_order_relaxed);
    if (tid)
        weft__dbg_set_info(tid, atomic_load_explicit(&t->name, memory_order_relaxed),
                           atomic_load_explicit(&t->daemon, memory_order_relaxed) ? 1 : 0,
                           atomic_load_explicit(&t->ident, memory_order_relaxed),
                           atomic_load_explicit(&t->native_id, memory_order_relaxed));
}

/* ---- per-thread state and its cleanup -------------------------------------- */

static void tstate_cleanup(struct weft__tstate *ts)
{
    weft__local_thread_exit(ts);
    free(ts->fail_msg);
    ts->fail_msg = NULL;
    ts->fail_code = WEFT_OK;
    weft_thread *t = ts->thread;
    if (t && t->kind == KIND_DUMMY) {
        ts->thread = NULL;
        weft__glock_acquire();
        bool listed = t->listed;
        if (listed) registry_remove(t);
        t->os_valid = false;
        atomic_store_explicit(&t->dbg_tid, 0, memory_order_relaxed);
        atomic_store_explicit(&t->state, ST_FINISHED, memory_order_relaxed);
        weft__glock_release();
        publish_done(t);
        if (listed) unref(t);
    }
}

static void tstate_dtor(void *p)
{
    struct weft__tstate *ts = p;
    volatile int saved = errno;
    ts->registered = false;
    tstate_cleanup(ts);
    weft__dbg_thread_exit();   /* frees this foreign thread's debug slot */
    errno = saved;
}

int weft__tstate_register(void)
{
    if (weft__ts.registered) return WEFT_OK;
    if (!key_ok) return WEFT_EAGAIN;
    int rc = weft__os_key_set(tstate_key, &weft__ts);
    if (rc == WEFT_OK) weft__ts.registered = true;
    return rc;
}

/* ---- exit callback lists (under weft__glock) --------------------------------- */

static void ae_push(struct ae_list *l, weft__atexit_entry *e)
{
    e->prev = l->tail;
    e->next = NULL;
    if (l->tail) l->tail->next = e; else l->head = e;
    l->tail = e;
    l->count++;
}

static void ae_remove(struct ae_list *l, weft__atexit_entry *e)
{
    if (e->prev) e->prev->next = e->next; else l->head = e->next;
    if (e->next) e->next->prev = e->prev; else l->tail = e->prev;
    e->prev = e->next = NULL;
    l->count--;
}

/* Remove h from l if it is there (found by address, never dereferenced first). */
static bool ae_take(struct ae_list *l, weft__atexit_entry *h)
{
    weft__atexit_entry *e = l->head;
    while (e && e != h) e = e->next;
    if (e) ae_remove(l, e);
    return e != NULL;
}

/* ---- fork ------------------------------------------------------------------- */

/* Registered first (constructor 101), so these run after every other weft
 * prepare handler and before every other parent/child handler. The wait/wake
 * backend's hooks run innermost: nothing may sleep or wake between them. */
static void fork_prepare(void)
{
    weft__glock_acquire();
    weft__lock_fork_prepare();      /* no Lock's bias is half revoked */
    weft__dbg_fork_prepare();       /* debug.c's slot table holds still */
    weft__wait_fork_prepare();
}

static void fork_parent(void)
{
    weft__wait_fork_parent();
    weft__dbg_fork_parent();
    weft__lock_fork_parent();
    weft__glock_release();
}

static void fork_child(void)
{
    weft__wait_fork_child();
    weft_lock_init(&weft__glock);   /* its holder (prepare) does not exist here */
    weft__lock_fork_child();
    weft__dbg_fork_child();         /* every debug slot but this thread's is freed */
    weft__ts.tid = 0;
    atomic_fetch_add_explicit(&fork_gen, 1, memory_order_relaxed);
    /* The exit callbacks stay registered (Python keeps _threading_atexits). A
     * callback running in another thread at the fork does not run here: it
     * counts as run. */
    if (ae_current) {
        if (ae_current_unreg) free(ae_current); else ae_push(&ae_ran, ae_current);
        ae_current = NULL;
        ae_current_unreg = false;
    }
    weft_thread *me = weft__ts.thread;
    if (!me) {
        /* A foreign thread without a record forked: it takes the static record. */
        me = &main_rec;
        weft__ts.thread = me;
        if (main_rec.listed) {
            registry_remove(&main_rec);
            atomic_fetch_sub_explicit(&main_rec.refs, 1, memory_order_relaxed);
        }
        atomic_store_explicit(&main_rec.ident, weft__self(), memory_order_relaxed);
        atomic_store_explicit(&main_rec.native_id, current_tid(), memory_order_relaxed);
        main_rec.os = weft__os_thread_self();
        main_rec.os_valid = true;
        atomic_store_explicit(&main_rec.state, ST_ALIVE, memory_order_relaxed);
        atomic_store_explicit(&main_rec.done, DONE_NO, memory_order_relaxed);
        registry_insert(&main_rec);
    } else {
        atomic_store_explicit(&me->native_id, current_tid(), memory_order_relaxed);
        me->os = weft__os_thread_self();
        if (me->kind == KIND_DUMMY) {
            /* CPython's _DummyThread._after_fork: the forking dummy becomes the
             * main thread, named "MainThread", not a daemon. Its old name stays
             * valid for whoever read it (kept on old_names; a main record is
             * never freed). If the node cannot be allocated the old string is
             * simply kept alive as the name. */
            volatile int saved = errno;
            struct old_name *node = malloc(sizeof *node);
            errno = saved;
            if (node) {
                node->name = atomic_load_explicit(&me->name, memory_order_relaxed);
                node->next = me->old_names;
                me->old_names = node;
                atomic_store_explicit(&me->name, main_name, memory_order_release);
                me->name_heap = false;   /* the OS name is left alone, as for main */
            }
            atomic_store_explicit(&me->daemon, false, memory_order_relaxed);
            me->kind = KIND_MAIN;
        }
    }
    atomic_store_explicit(&main_ptr, me, memory_order_relaxed);
    weft_thread *t = registry.head;
    while (t) {
        weft_thread *next = t->next;
        if (t != me) {
            registry_remove(t);
            t->os_valid = false;
            atomic_store_explicit(&t->dbg_tid, 0, memory_order_relaxed);
            atomic_store_explicit(&t->state, ST_FINISHED, memory_order_relaxed);
            atomic_store_explicit(&t->done, DONE_YES, memory_order_relaxed);
            /* The thread does not exist here and its creator may not either: the
             * record keeps the registry's (and the thread's own) reference and
             * moves to the orphan list, so it stays valid and reachable (no
             * leak report) for whoever still holds a handle. */
            t->prev = NULL;
            t->next = orphans;
            orphans = t;
        }
        t = next;
    }
    atomic_store_explicit(&me->dbg_tid, weft__me(), memory_order_relaxed);
    dbg_publish(me);
}

/* ---- initialisation ----------------------------------------------------------- */

/* Priority 101 (the earliest for user code): weft is ready before other
 * constructors of a statically linked program may use it. */
__attribute__((constructor(101))) static void thread_module_init(void)
{
    volatile int saved = errno;
    weft_lock_init(&weft__glock);   /* also tells helgrind/drd its word is atomic */
    main_rec.kind = KIND_MAIN;
    benign_words(&main_rec);
    WEFT__BENIGN_WORD(&ae_seq, sizeof ae_seq);
    WEFT__BENIGN_WORD(&fork_gen, sizeof fork_gen);
    atomic_store_explicit(&main_rec.refs, 1, memory_order_relaxed);
    atomic_store_explicit(&main_rec.name, main_name, memory_order_relaxed);
    atomic_store_explicit(&main_rec.ident, weft__self(), memory_order_relaxed);
    atomic_store_explicit(&main_rec.native_id, current_tid(), memory_order_relaxed);
    atomic_store_explicit(&main_rec.state, ST_ALIVE, memory_order_relaxed);
    main_rec.os = weft__os_thread_self();
    main_rec.os_valid = true;
    weft__ts.thread = &main_rec;
    registry_insert(&main_rec);
    atomic_store_explicit(&main_rec.dbg_tid, weft__me(), memory_order_relaxed);
    dbg_publish(&main_rec);
    key_ok = weft__os_key_create(&tstate_key, tstate_dtor) == WEFT_OK;
    (void)weft__os_atfork(fork_prepare, fork_parent, fork_child);
    errno = saved;
}

/* ---- exit ------------------------------------------------------------------- */

static void run_exit_callbacks(void)
{
    weft__glock_acquire();
    exit_started = true;   /* Python's _SHUTTING_DOWN */
    for (;;) {
        weft__atexit_entry *e = ae_list.tail;
        if (!e) break;
        ae_remove(&ae_list, e);
        ae_current = e;
        ae_runner = weft__self();
        weft__glock_release();
        e->fn(e->arg);
        weft__glock_acquire();
        bool drop = false;
        if (ae_current == e) {           /* else a fork child took it */
            drop = ae_current_unreg;
            if (!drop) ae_push(&ae_ran, e);
        }
        ae_current = NULL;
        ae_current_unreg = false;
        /* Changed in the same hold as ae_current (design block); release so a
         * waiter that sees the new value also sees everything the callback did. */
        WEFT__HAPPENS_BEFORE(&ae_seq);
        atomic_store_explicit(&ae_seq, atomic_load_explicit(&ae_seq, memory_order_relaxed) + 1,
                              memory_order_release);
        weft__glock_release();
        weft__wake(&ae_seq, WEFT__WAKE_ALL);   /* static word: always valid */
        if (drop) free(e);
        weft__glock_acquire();
    }
    weft__glock_release();
}

static void at_exit(void)
{
    volatile int saved = errno;
    run_exit_callbacks();
    weft_thread *me = weft__ts.thread;
    if (me && me == atomic_load_explicit(&main_ptr, memory_order_relaxed))
        publish_done(me);   /* Python's _shutdown: main_thread().join() returns now */
    for (;;) {
        weft_thread *w = NULL;
        weft__glock_acquire();
        for (weft_thread *t = registry.head; t; t = t->next) {
            if (t->kind == KIND_THREAD && t != me
                && !atomic_load_explicit(&t->daemon, memory_order_relaxed)
                && atomic_load_explicit(&t->done, memory_order_relaxed) == DONE_NO) {
                w = t;
                atomic_fetch_add_explicit(&w->refs, 1, memory_order_relaxed);
                break;
            }
        }
        weft__glock_release();
        if (!w) break;
        /* A record still STARTING may fall back to INITIAL if the OS refuses it
         * (nothing wakes &done then), so re-check that every 50 ms. */
        while (atomic_load_explicit(&w->done, memory_order_acquire) == DONE_NO
               && atomic_load_explicit(&w->state, memory_order_acquire) != ST_INITIAL)
            weft__wait(&w->done, DONE_NO, weft__deadline_after(0.05));
        unref(w);
    }
    errno = saved;
}

static int ensure_at_exit(void)
{
    if (atexit_registered) return WEFT_OK;
    if (atexit(at_exit) != 0) return WEFT_ENOMEM;
    atexit_registered = true;
    return WEFT_OK;
}

int weft__register_atexit(void (*fn)(void *), void *arg, weft__atexit_entry **handle_out)
{
    if (!fn || !handle_out) return WEFT_EINVAL;
    volatile int saved = errno;
    weft__atexit_entry *e = malloc(sizeof *e);
    if (!e) {
        errno = saved;
        return WEFT_ENOMEM;
    }
    e->fn = fn;
    e->arg = arg;
    e->next = NULL;
    int rc = WEFT_OK;
    weft__glock_acquire();
    if (exit_started) rc = WEFT_ESTATE;   /* "can't register atexit after shutdown" */
    else rc = ensure_at_exit();
    if (rc == WEFT_OK) ae_push(&ae_list, e);
    weft__glock_release();
    if (rc != WEFT_OK) free(e);
    else *handle_out = e;
    errno = saved;
    return rc;
}

int weft__unregister_atexit(weft__atexit_entry *h)
{
    if (!h) return WEFT_EINVAL;
    volatile int saved = errno;
    uint64_t me = weft__self();
    for (;;) {
        weft__glock_acquire();
        if (ae_take(&ae_list, h) || ae_take(&ae_ran, h)) {
            weft__glock_release();
            free(h);
            break;
        }
        if (ae_current != h) {           /* unknown (already unregistered) */
            weft__glock_release();
            break;
        }
        if (ae_runner == me) {           /* the callback unregisters itself */
            ae_current_unreg = true;     /* freed when it returns */
            weft__glock_release();
            break;
        }
        uint32_t seq = atomic_load_explicit(&ae_seq, memory_order_relaxed);
        weft__glock_release();
        weft__wait(&ae_seq, seq, WEFT__NS_FOREVER);
        (void)atomic_load_explicit(&ae_seq, memory_order_acquire);
        WEFT__HAPPENS_AFTER(&ae_seq);
    }
    errno = saved;
    return WEFT_OK;
}

unsigned weft__fork_generation(void)
{
    return atomic_load_explicit(&fork_gen, memory_order_relaxed);
}

unsigned long weft__atexit_count(void)
{
    weft__glock_acquire();
    unsigned long n = ae_list.count;
    weft__glock_release();
    return n;
}

/* ---- lifecycle ------------------------------------------------------------- */

int weft_thread_create(weft_thread **out, weft_thread_fn fn, void *arg,
                       const weft_thread_attr *attr)
{
    if (!out || !fn) return WEFT_EINVAL;
    weft_thread_attr a = { NULL, 0, 0 };
    if (attr) a = *attr;
    if (a.flags & ~(unsigned)(WEFT_THREAD_DAEMON | WEFT_THREAD_NON_DAEMON)) return WEFT_EINVAL;
    if ((a.flags & WEFT_THREAD_DAEMON) && (a.flags & WEFT_THREAD_NON_DAEMON)) return WEFT_EINVAL;
    if (a.stack_size < 0 || (a.stack_size > 0 && a.stack_size < MIN_STACK_SIZE))
        return WEFT_EINVAL;

    volatile int saved = errno;
    weft_thread *t = calloc(1, sizeof *t);
    if (!t) {
        errno = saved;
        return WEFT_ENOMEM;
    }
    char *name = (a.name && a.name[0]) ? strdup(a.name) : generate_name("Thread");
    if (!name) {
        free(t);
        errno = saved;
        return WEFT_ENOMEM;
    }
    bool daemon;
    if (a.flags & WEFT_THREAD_DAEMON) daemon = true;
    else if (a.flags & WEFT_THREAD_NON_DAEMON) daemon = false;
    else daemon = weft__ts.thread ? atomic_load_explicit(&weft__ts.thread->daemon,
                                                          memory_order_relaxed)
                                  : true;   /* a foreign thread counts as a dummy: daemon */
    t->kind = KIND_THREAD;
    benign_words(t);
    atomic_store_explicit(&t->refs, 1, memory_order_relaxed);
    atomic_store_explicit(&t->daemon, daemon, memory_order_relaxed);
    atomic_store_explicit(&t->name, name, memory_order_relaxed);
    t->name_heap = true;
    t->fn = fn;
    t->arg = arg;
    t->stack_size = a.stack_size;
    *out = t;
    errno = saved;
    return WEFT_OK;
}

static void run_excepthook(weft_thread *t)
{
    weft__glock_acquire();
    weft_excepthook_fn fn = hook_fn;
    void *ud = hook_ud;
    weft__glock_release();
    weft_excepthook_args args = { t, t->fail_code, t->fail_msg ? t->fail_msg : "" };
    if (fn) fn(&args, ud);
    else weft_default_excepthook(&args, NULL);
}

static void *thread_main(void *p)
{
    weft_thread *t = p;
    struct weft__tstate *ts = &weft__ts;
    ts->thread = t;
    atomic_store_explicit(&t->ident, weft__self(), memory_order_relaxed);
    atomic_store_explicit(&t->native_id, current_tid(), memory_order_relaxed);
    weft__tid dbg = weft__me();
    weft__glock_acquire();
    t->os = weft__os_thread_self();
    t->os_valid = true;
    weft__os_set_name(t->os, atomic_load_explicit(&t->name, memory_order_relaxed));
    atomic_store_explicit(&t->dbg_tid, dbg, memory_order_relaxed);
    dbg_publish(t);
    WEFT__HAPPENS_BEFORE(&t->state);
    /* release: ident, native id and dbg_tid are visible to the starter once it
     * reads ALIVE */
    atomic_store_explicit(&t->state, ST_ALIVE, memory_order_release);
    weft__glock_release();
    weft__wake(&t->state, WEFT__WAKE_ALL);

    t->result = t->fn(t->arg);

    char *msg = NULL;
    int code = weft__take_failure(&msg);
    if (code != WEFT_OK) {
        t->fail_code = code;
        t->fail_msg = msg;
        run_excepthook(t);
    }
    tstate_cleanup(ts);
    if (ts->registered) {
        (void)weft__os_key_set(tstate_key, NULL);
        ts->registered = false;
    }
    weft__glock_acquire();
    t->os_valid = false;
    bool listed = t->listed;
    if (listed) registry_remove(t);   /* not listed if a fork child unlisted it */
    atomic_store_explicit(&t->dbg_tid, 0, memory_order_relaxed);
    atomic_store_explicit(&t->state, ST_FINISHED, memory_order_relaxed);
    weft__glock_release();
    if (listed) unref(t);             /* the registry's reference */
    publish_done(t);
    ts->thread = NULL;
    unref(t);                         /* the thread's own reference */
    weft__dbg_thread_exit();          /* last: frees this thread's debug slot */
    return NULL;
}

int weft_thread_start(weft_thread *t)
{
    if (!t) return WEFT_EINVAL;
    if (t->kind != KIND_THREAD) return WEFT_ESTATE;
    volatile int saved = errno;
    weft__glock_acquire();
    if (atomic_load_explicit(&t->state, memory_order_relaxed) != ST_INITIAL) {
        weft__glock_release();
        errno = saved;
        return WEFT_ESTATE;
    }
    if (ensure_at_exit() != WEFT_OK) {
        weft__glock_release();
        errno = saved;
        return WEFT_ENOMEM;
    }
    atomic_store_explicit(&t->state, ST_STARTING, memory_order_relaxed);
    registry_insert(t);
    atomic_fetch_add_explicit(&t->refs, 1, memory_order_relaxed); /* the thread's own */
    weft__glock_release();

    long ss = t->stack_size ? t->stack_size
                            : atomic_load_explicit(&default_stack_size, memory_order_relaxed);
    int rc = weft__os_thread_start(thread_main, t, (size_t)ss);
    if (rc != WEFT_OK) {
        weft__glock_acquire();
        bool listed = t->listed;
        if (listed) registry_remove(t);
        atomic_store_explicit(&t->state, ST_INITIAL, memory_order_release);
        weft__glock_release();
        if (listed) unref(t);
        unref(t);
        errno = saved;
        return rc == WEFT_ENOMEM ? WEFT_ENOMEM : WEFT_EAGAIN;
    }
    while (atomic_load_explicit(&t->state, memory_order_acquire) == ST_STARTING)
        weft__wait(&t->state, ST_STARTING, WEFT__NS_FOREVER);
    WEFT__HAPPENS_AFTER(&t->state);
    errno = saved;
    return WEFT_OK;
}

/* Wait for t's done word until deadline. The slow path records the wait
 * (WEFT__WK_JOIN, obj t: the detector follows it to t's thread through
 * weft__thread_tid) and, without a deadline, runs the deadlock-detection loop of
 * internal/debug.h: weft__wait sleeps at most until the next check is due; a
 * timeout at that point (until < deadline) is not the caller's timeout. */
static int join_wait(weft_thread *t, weft__ns deadline)
{
    if (atomic_load_explicit(&t->done, memory_order_acquire) != DONE_NO) {
        WEFT__HAPPENS_AFTER(&t->done);
        return WEFT_OK;
    }
    if (deadline != WEFT__NS_FOREVER && weft__now() >= deadline)
        return WEFT_ETIMEDOUT;   /* a poll: not a wait, nothing recorded */
    int tok = weft__rec_begin(WEFT__WK_JOIN, t, deadline);
    struct weft__dl dl;
    weft__dl_start(&dl, deadline);
    int rc = WEFT_OK;
    while (atomic_load_explicit(&t->done, memory_order_acquire) == DONE_NO) {
        weft__ns until;
        if (weft__dl_poll(&dl, deadline, &until) == WEFT_EDEADLK) {
            rc = WEFT_EDEADLK;
            break;
        }
        if (weft__wait(&t->done, DONE_NO, until) == WEFT_ETIMEDOUT && until == deadline
            && atomic_load_explicit(&t->done, memory_order_acquire) == DONE_NO) {
            rc = WEFT_ETIMEDOUT;
            break;
        }
    }
    weft__rec_end(tok);
    if (rc == WEFT_OK) WEFT__HAPPENS_AFTER(&t->done);
    return rc;
}

int weft_thread_join(weft_thread *t, double timeout)
{
    if (!t) return WEFT_EINVAL;
    if (t->kind == KIND_DUMMY) return WEFT_ESTATE;           /* "cannot join a dummy thread" */
    uint32_t st = atomic_load_explicit(&t->state, memory_order_acquire);
    if (st == ST_INITIAL || st == ST_STARTING) return WEFT_ESTATE;  /* "before it is started" */
    if (t == weft__ts.thread) return WEFT_ESTATE;            /* "cannot join current thread" */
    weft__ns deadline;
    int trc = weft__join_deadline(timeout, &deadline);
    if (trc != WEFT_OK) return trc;
    volatile int saved = errno;
    int rc = join_wait(t, deadline);
    errno = saved;
    return rc;
}

weft_thread *weft_thread_ref(weft_thread *t)
{
    if (t) atomic_fetch_add_explicit(&t->refs, 1, memory_order_relaxed);
    return t;
}

void weft_thread_unref(weft_thread *t)
{
    if (!t) return;
    volatile int saved = errno;
    unref(t);
    errno = saved;
}

void weft_thread_destroy(weft_thread *t) { weft_thread_unref(t); }

/* ---- queries and properties ------------------------------------------------- */

bool weft_thread_is_alive(const weft_thread *t)
{
    if (!t) return false;
    uint32_t st = atomic_load_explicit(&t->state, memory_order_acquire);
    return (st == ST_ALIVE || st == ST_FINISHED)
        && atomic_load_explicit(&t->done, memory_order_acquire) == DONE_NO;
}

uint64_t weft_thread_ident(const weft_thread *t)
{
    return t ? atomic_load_explicit(&t->ident, memory_order_acquire) : 0;
}

long weft_thread_native_id(const weft_thread *t)
{
    return t ? atomic_load_explicit(&t->native_id, memory_order_acquire) : 0;
}

const char *weft_thread_name(const weft_thread *t)
{
    return t ? atomic_load_explicit(&t->name, memory_order_acquire) : "";
}

int weft_thread_set_name(weft_thread *t, const char *name)
{
    if (!t || !name) return WEFT_EINVAL;
    volatile int saved = errno;
    char *copy = strdup(name);
    struct old_name *node = copy ? malloc(sizeof *node) : NULL;
    if (!node) {
        free(copy);
        errno = saved;
        return WEFT_ENOMEM;
    }
    weft__glock_acquire();
    char *old = atomic_load_explicit(&t->name, memory_order_relaxed);
    if (t->name_heap) {
        node->name = old;
        node->next = t->old_names;
        t->old_names = node;   /* old strings stay valid until the record is freed */
        node = NULL;
    }
    /* release: the new string's bytes are visible to whoever loads the pointer */
    atomic_store_explicit(&t->name, copy, memory_order_release);
    t->name_heap = true;
    if (t->os_valid) weft__os_set_name(t->os, copy);
    dbg_publish(t);
    weft__glock_release();
    free(node);
    errno = saved;
    return WEFT_OK;
}

bool weft_thread_daemon(const weft_thread *t)
{
    return t ? atomic_load_explicit(&t->daemon, memory_order_relaxed) : false;
}

int weft_thread_set_daemon(weft_thread *t, bool daemon)
{
    if (!t) return WEFT_EINVAL;
    int rc = WEFT_OK;
    weft__glock_acquire();
    if (t->kind != KIND_THREAD || atomic_load_explicit(&t->state, memory_order_relaxed) != ST_INITIAL)
        rc = WEFT_ESTATE;   /* "cannot set daemon status of active thread" */
    else
        atomic_store_explicit(&t->daemon, daemon, memory_order_relaxed);
    weft__glock_release();
    return rc;
}

static bool finished(const weft_thread *t)
{
    return t->kind == KIND_THREAD
        && atomic_load_explicit(&t->state, memory_order_acquire) == ST_FINISHED
        && atomic_load_explicit(&t->done, memory_order_acquire) == DONE_YES;
}

int weft_thread_result(const weft_thread *t, void **out)
{
    if (!t || !out) return WEFT_EINVAL;
    if (!finished(t)) return WEFT_ESTATE;
    *out = t->result;
    return WEFT_OK;
}

int weft_thread_failure(const weft_thread *t, const char **message)
{
    if (!t) return WEFT_EINVAL;
    if (!finished(t)) return WEFT_ESTATE;
    if (message) *message = t->fail_msg;
    return t->fail_code;
}

/* ---- failure reporting ------------------------------------------------------- */

int weft_vfail(int code, const char *fmt, va_list ap)
{
    volatile int saved = errno;
    if (code >= 0) code = WEFT_EFAIL;
    char *msg = NULL;
    if (fmt) {
        va_list ap2;
        va_copy(ap2, ap);
        int n = vsnprintf(NULL, 0, fmt, ap2);
        va_end(ap2);
        if (n >= 0) {
            msg = malloc((size_t)n + 1);
            if (msg) vsnprintf(msg, (size_t)n + 1, fmt, ap);
        }
    }
    struct weft__tstate *ts = &weft__ts;
    free(ts->fail_msg);
    ts->fail_code = code;
    ts->fail_msg = msg;
    /* A foreign thread frees its message at exit through the key destructor; if
     * that cannot be arranged, drop the message rather than leak it. */
    if (msg && (!ts->thread || ts->thread->kind == KIND_DUMMY)
        && weft__tstate_register() != WEFT_OK) {
        free(msg);
        ts->fail_msg = NULL;
    }
    errno = saved;
    return code;
}

int weft_fail(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = weft_vfail(code, fmt, ap);
    va_end(ap);
    return rc;
}

int weft__take_failure(char **message_out)
{
    struct weft__tstate *ts = &weft__ts;
    int code = ts->fail_code;
    if (message_out) *message_out = ts->fail_msg;
    else {
        volatile int saved = errno;
        free(ts->fail_msg);
        errno = saved;
    }
    ts->fail_msg = NULL;
    ts->fail_code = WEFT_OK;
    return code;
}

void weft_set_excepthook(weft_excepthook_fn hook, void *userdata)
{
    weft__glock_acquire();
    hook_fn = hook;
    hook_ud = hook ? userdata : NULL;
    weft__glock_release();
}

void weft_default_excepthook(const weft_excepthook_args *args, void *userdata)
{
    (void)userdata;
    if (!args) return;
    volatile int saved = errno;
    const char *msg = args->message && args->message[0] ? args->message
                                                        : weft_strerror(args->code);
    if (args->thread)
        fprintf(stderr, "Exception in thread %s:\n%s: %s\n", weft_thread_name(args->thread),
                weft_errname(args->code), msg);
    else
        fprintf(stderr, "Exception in thread %llu:\n%s: %s\n",
                (unsigned long long)weft_get_ident(), weft_errname(args->code), msg);
    fflush(stderr);
    errno = saved;
}

/* ---- module functions ------------------------------------------------------- */

weft_thread *weft_current_thread(void)
{
    struct weft__tstate *ts = &weft__ts;
    if (ts->thread) return ts->thread;
    volatile int saved = errno;
    weft_thread *t = calloc(1, sizeof *t);
    char *name = t ? generate_name("Dummy") : NULL;
    if (!name || weft__tstate_register() != WEFT_OK) {
        free(name);
        free(t);
        errno = saved;
        return NULL;
    }
    t->kind = KIND_DUMMY;
    benign_words(t);
    atomic_store_explicit(&t->daemon, true, memory_order_relaxed);
    atomic_store_explicit(&t->name, name, memory_order_relaxed);
    t->name_heap = true;
    atomic_store_explicit(&t->ident, weft__self(), memory_order_relaxed);
    atomic_store_explicit(&t->native_id, current_tid(), memory_order_relaxed);
    atomic_store_explicit(&t->state, ST_ALIVE, memory_order_relaxed);
    weft__tid dbg = weft__me();
    weft__glock_acquire();
    t->os = weft__os_thread_self();
    t->os_valid = true;
    registry_insert(t);            /* the registry's reference is the only one */
    atomic_store_explicit(&t->dbg_tid, dbg, memory_order_relaxed);
    dbg_publish(t);
    weft__glock_release();
    ts->thread = t;
    errno = saved;
    return t;
}

weft_thread *weft_main_thread(void)
{
    return atomic_load_explicit(&main_ptr, memory_order_relaxed);
}

size_t weft_active_count(void)
{
    weft__glock_acquire();
    size_t n = registry.count;
    weft__glock_release();
    return n;
}

size_t weft_enumerate(weft_thread **out, size_t cap)
{
    if (!out) cap = 0;
    weft__glock_acquire();
    size_t n = 0;
    for (weft_thread *t = registry.head; t; t = t->next, n++) {
        if (n < cap) {
            atomic_fetch_add_explicit(&t->refs, 1, memory_order_relaxed);
            out[n] = t;
        }
    }
    weft__glock_release();
    return n;
}

uint64_t weft_get_ident(void) { return weft__self(); }

long weft_get_native_id(void) { return current_tid(); }

int weft_stack_size(long size, long *old)
{
    if (size < 0 || (size > 0 && size < MIN_STACK_SIZE)) return WEFT_EINVAL;
    if (size > 0 && weft__os_stack_size_valid((size_t)size) != WEFT_OK) return WEFT_EINVAL;
    long prev = atomic_exchange_explicit(&default_stack_size, size, memory_order_relaxed);
    if (old) *old = prev;
    return WEFT_OK;
}

long weft_get_stack_size(void)
{
    return atomic_load_explicit(&default_stack_size, memory_order_relaxed);
}

/* ---- debugging (internal/debug.h, weft/debug.h) ------------------------------- */

/* The detector calls this on a record a waiter is joining (so t is alive). The
 * id is stale-safe: a thread that exits frees its slot, and debug.c bumps the
 * slot's generation, so an id read just before the exit matches nothing. */
weft__tid weft__thread_tid(const weft_thread *t)
{
    if (!t) return 0;
    weft_thread *w = (weft_thread *)t;
    if (atomic_load_explicit(&w->done, memory_order_acquire) != DONE_NO) return 0;
    return atomic_load_explicit(&w->dbg_tid, memory_order_relaxed);
}

/* The threads weft_join_all waits for: started weft threads (not main, not
 * dummies), non-daemon, not the caller, not done. Under weft__glock. */
static bool join_all_target(const weft_thread *t, const weft_thread *me)
{
    return t->kind == KIND_THREAD && t != me
        && !atomic_load_explicit(&t->daemon, memory_order_relaxed)
        && atomic_load_explicit(&t->done, memory_order_relaxed) == DONE_NO;
}

/* The timeout report: one dump line per thread weft_join_all still waits for. */
static void join_all_report(FILE *out, const weft_thread *me)
{
    weft__tid small[64];
    weft__tid *ids = small;
    size_t cap = sizeof small / sizeof small[0];
    for (int attempt = 0; attempt < 2; attempt++) {
        size_t n = 0, want = 0;
        weft__glock_acquire();
        for (weft_thread *t = registry.head; t; t = t->next) {
            if (!join_all_target(t, me)) continue;
            weft__tid id = weft__thread_tid(t);
            if (!id) continue;   /* still starting: not in debug.c's table yet */
            if (n < cap) ids[n++] = id;
            want++;
        }
        weft__glock_release();
        if (want <= cap || attempt == 1 || ids != small) {
            weft__dump_threads(out, ids, (int)n);
            break;
        }
        weft__tid *big = malloc(want * 2 * sizeof *big);
        if (!big) {   /* report what fits */
            weft__dump_threads(out, ids, (int)n);
            break;
        }
        ids = big;
        cap = want * 2;
    }
    if (ids != small) free(ids);
    fflush(out);
}

int weft_join_all(double timeout, FILE *report)
{
    weft__ns deadline;
    int trc = weft__join_deadline(timeout, &deadline);
    if (trc != WEFT_OK) return trc;
    volatile int saved = errno;
    weft_thread *me = weft__ts.thread;
    int rc = WEFT_OK;
    for (;;) {
        weft_thread *w = NULL;
        weft__glock_acquire();
        for (weft_thread *t = registry.head; t; t = t->next) {
            if (join_all_target(t, me)) {
                w = t;
                atomic_fetch_add_explicit(&w->refs, 1, memory_order_relaxed);
                break;
            }
        }
        weft__glock_release();
        if (!w) break;
        if (atomic_load_explicit(&w->state, memory_order_acquire) == ST_STARTING) {
            /* Its start is under way in another thread (it may also fall back to
             * INITIAL, which nothing wakes &done for): wait for the state to
             * change, in short slices, then look again. */
            weft__ns slice = weft__deadline_after(0.05);
            if (deadline != WEFT__NS_FOREVER && deadline < slice) slice = deadline;
            weft__wait(&w->state, ST_STARTING, slice);
            rc = atomic_load_explicit(&w->state, memory_order_acquire) == ST_STARTING
                         && weft__expired(deadline) ? WEFT_ETIMEDOUT : WEFT_OK;
        } else {
            rc = join_wait(w, deadline);
        }
        unref(w);
        if (rc != WEFT_OK) break;
    }
    if (rc == WEFT_ETIMEDOUT && report) join_all_report(report, me);
    errno = saved;
    return rc;
}
