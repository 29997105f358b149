/* SPDX-License-Identifier: MIT */
/* tests/test-review.c: cases found by the adversarial review (one per bug; see
 * the commit that added each). */
#include "harness.h"

#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/wait.h>
#include <unistd.h>

static void noop(void *arg) { (void)arg; }
static void *thread_noop(void *arg) { return arg; }

/* Python's Thread.join checks "cannot join thread before it is started" before
 * it looks at the timeout: Timer(1, f).join(float('nan')) raises RuntimeError,
 * not ValueError (CPython 3.13 probe). weft_thread_join does the same; the
 * timer's join must agree. */
TEST(timer_join_before_start_is_estate_for_any_timeout)
{
    weft_timer *t = NULL;
    ASSERT_OK(weft_timer_create(&t, 1.0, noop, NULL, NULL));
    ASSERT_RC(weft_timer_join(t, NAN), WEFT_ESTATE);
    ASSERT_RC(weft_timer_join(t, INFINITY), WEFT_ESTATE);
    ASSERT_RC(weft_timer_join(t, 1e12), WEFT_ESTATE);
    ASSERT_FALSE(weft_timer_is_alive(t));
    ASSERT_FALSE(weft_timer_finished(t));
    weft_thread *th = NULL;
    ASSERT_OK(weft_thread_create(&th, thread_noop, NULL, NULL));
    ASSERT_RC(weft_thread_join(th, NAN), WEFT_ESTATE);   /* the thread's rule */
    weft_thread_unref(th);
    weft_timer_destroy(t);
}

/* ... and "cannot join current thread" before the timeout too. */
struct self_join { weft_timer *self; weft_event go; _Atomic int rc_nan, rc_inf; };
static void self_join_fn(void *arg)
{
    struct self_join *s = arg;
    ASSERT_OK(weft_event_wait(&s->go, WEFT_FOREVER));
    atomic_store(&s->rc_nan, weft_timer_join(s->self, NAN));
    atomic_store(&s->rc_inf, weft_timer_join(s->self, INFINITY));
}
TEST(timer_join_from_own_function_is_estate_for_any_timeout)
{
    struct self_join s = { NULL, WEFT_EVENT_INIT, -1, -1 };
    ASSERT_OK(weft_timer_create(&s.self, 0.0, self_join_fn, &s, NULL));
    ASSERT_OK(weft_timer_start(s.self));
    ASSERT_OK(weft_event_set(&s.go));
    ASSERT_OK(weft_timer_join(s.self, WEFT_FOREVER));
    ASSERT_RC(atomic_load(&s.rc_nan), WEFT_ESTATE);
    ASSERT_RC(atomic_load(&s.rc_inf), WEFT_ESTATE);
    weft_timer_destroy(s.self);
}

/* ---- errno: no weft function changes it (queue, simple queue, lock, rlock,
 * condition had no such test) -------------------------------------------------- */

#define ERRNO_MAGIC 4243
#define KEEPS_ERRNO(expr)                                                          \
    do {                                                                           \
        errno = ERRNO_MAGIC;                                                       \
        (void)(expr);                                                              \
        if (errno != ERRNO_MAGIC)                                                  \
            weft_test_fail(__FILE__, __LINE__, "%s changed errno to %d", #expr, errno); \
    } while (0)

static void drop_noop(void *item, void *ud) { (void)item; (void)ud; }

TEST(errno_preserved_queue_all_paths)
{
    weft_queue *q = NULL;
    void *x;
    KEEPS_ERRNO(weft_queue_create(&q, 1));
    KEEPS_ERRNO(weft_queue_create(NULL, 1));
    KEEPS_ERRNO(weft_queue_put(q, (void *)1, true, WEFT_FOREVER));
    KEEPS_ERRNO(weft_queue_put(q, (void *)2, false, 0));          /* EFULL */
    KEEPS_ERRNO(weft_queue_put(q, (void *)2, true, 0.02));        /* timed wait, EFULL */
    KEEPS_ERRNO(weft_queue_put(q, (void *)2, true, -2.0));        /* EINVAL */
    KEEPS_ERRNO(weft_queue_put(q, (void *)2, true, INFINITY));    /* EOVERFLOW */
    KEEPS_ERRNO(weft_queue_qsize(q));
    KEEPS_ERRNO(weft_queue_full(q));
    KEEPS_ERRNO(weft_queue_empty(q));
    KEEPS_ERRNO(weft_queue_get(q, &x, true, 1.0));
    KEEPS_ERRNO(weft_queue_get(q, &x, true, 0.02));               /* timed wait, EEMPTY */
    KEEPS_ERRNO(weft_queue_get_nowait(q, &x));
    KEEPS_ERRNO(weft_queue_task_done(q));
    KEEPS_ERRNO(weft_queue_task_done(q));                         /* EINVAL */
    KEEPS_ERRNO(weft_queue_join(q));
    KEEPS_ERRNO(weft_queue_set_maxsize(q, 4));
    for (int i = 0; i < 20; i++) KEEPS_ERRNO(weft_queue_put_nowait(q, (void *)1));
    KEEPS_ERRNO(weft_queue_set_maxsize(q, 0));
    for (int i = 0; i < 40; i++) KEEPS_ERRNO(weft_queue_put_nowait(q, (void *)1));   /* grows */
    KEEPS_ERRNO(weft_queue_unfinished_tasks(q));
    KEEPS_ERRNO(weft_queue_shutdown(q, false));
    KEEPS_ERRNO(weft_queue_put_nowait(q, (void *)1));             /* ESHUTDOWN */
    KEEPS_ERRNO(weft_queue_shutdown(q, true));
    KEEPS_ERRNO(weft_queue_get(q, &x, true, WEFT_FOREVER));       /* ESHUTDOWN */
    KEEPS_ERRNO(weft_queue_is_shutdown(q));
    KEEPS_ERRNO(weft_queue_destroy(q));

    weft_queue_attr a = { .kind = WEFT_QUEUE_LIFO, .maxsize = 0, .drop = drop_noop };
    KEEPS_ERRNO(weft_queue_create_attr(&q, &a));
    for (int i = 0; i < 40; i++) KEEPS_ERRNO(weft_queue_put_nowait(q, (void *)1));
    KEEPS_ERRNO(weft_queue_destroy(q));                           /* drops 40 items */

    weft_simple_queue *s = NULL;
    KEEPS_ERRNO(weft_simple_queue_create(&s, drop_noop, NULL));
    for (int i = 0; i < 40; i++) KEEPS_ERRNO(weft_simple_queue_put(s, (void *)1));
    KEEPS_ERRNO(weft_simple_queue_get(s, &x, true, NAN));         /* EINVAL */
    KEEPS_ERRNO(weft_simple_queue_get(s, &x, true, INFINITY));    /* EOVERFLOW */
    KEEPS_ERRNO(weft_simple_queue_get(s, &x, true, WEFT_FOREVER));
    KEEPS_ERRNO(weft_simple_queue_qsize(s));
    KEEPS_ERRNO(weft_simple_queue_empty(s));
    KEEPS_ERRNO(weft_simple_queue_destroy(s));
}

TEST(errno_preserved_lock_rlock_condition)
{
    weft_lock l;
    weft_rlock r;
    weft_condition c;
    KEEPS_ERRNO(weft_lock_init(&l));
    KEEPS_ERRNO(weft_lock_acquire(&l, true, WEFT_FOREVER));
    KEEPS_ERRNO(weft_lock_acquire(&l, true, 0.02));               /* timed wait */
    KEEPS_ERRNO(weft_lock_acquire(&l, false, 1.0));               /* EINVAL */
    KEEPS_ERRNO(weft_lock_acquire(&l, true, NAN));
    KEEPS_ERRNO(weft_lock_acquire(&l, true, INFINITY));
    KEEPS_ERRNO(weft_lock_locked(&l));
    KEEPS_ERRNO(weft_lock_release(&l));
    KEEPS_ERRNO(weft_lock_release(&l));                           /* not held */
    KEEPS_ERRNO(weft_rlock_init(&r));
    KEEPS_ERRNO(weft_rlock_acquire(&r, true, WEFT_FOREVER));
    KEEPS_ERRNO(weft_rlock_acquire(&r, true, WEFT_FOREVER));
    KEEPS_ERRNO(weft_rlock_recursion_count(&r));
    KEEPS_ERRNO(weft_rlock_is_owned(&r));
    KEEPS_ERRNO(weft_rlock_release(&r));
    KEEPS_ERRNO(weft_rlock_release(&r));
    KEEPS_ERRNO(weft_rlock_release(&r));                          /* EPERM */
    KEEPS_ERRNO(weft_condition_init_rlock(&c, &r));
    KEEPS_ERRNO(weft_condition_wait(&c, 0.01));                   /* EPERM: not held */
    KEEPS_ERRNO(weft_condition_notify(&c, 1));                    /* EPERM */
    KEEPS_ERRNO(weft_condition_acquire(&c, true, WEFT_FOREVER));
    KEEPS_ERRNO(weft_condition_wait(&c, 0.02));                   /* timed wait */
    KEEPS_ERRNO(weft_condition_wait(&c, NAN));
    KEEPS_ERRNO(weft_condition_notify(&c, 1));
    KEEPS_ERRNO(weft_condition_notify_all(&c));
    KEEPS_ERRNO(weft_condition_is_owned(&c));
    KEEPS_ERRNO(weft_condition_release(&c));
    KEEPS_ERRNO(weft_condition_destroy(&c));
    KEEPS_ERRNO(weft_rlock_destroy(&r));
    KEEPS_ERRNO(weft_lock_destroy(&l));
}

/* ---- fork from a dummy thread -------------------------------------------------
 * CPython 3.13 _DummyThread._after_fork: the forking dummy becomes the child's
 * main thread, renamed "MainThread" and made non-daemon (CPython's
 * test_main_thread_after_fork_from_dummy_thread prints main.name and expects
 * "MainThread"). So threads it creates in the child inherit daemon=False. */

static int wait_child_status(pid_t pid)
{
    double dl = weft_test_now() + 20.0 * weft_test_factor();
    for (;;) {
        int st;
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid) return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
        if (r != 0) return -3;
        if (weft_test_now() > dl) {
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
            return -2;
        }
        weft_test_sleep(0.002);   /* polling waitpid: not for ordering */
    }
}

static int dummy_fork_child(weft_thread *dummy)
{
    weft_thread *me = weft_current_thread();
    if (me != dummy) return 10;
    if (weft_main_thread() != me) return 11;
    if (strcmp(weft_thread_name(me), "MainThread") != 0) return 12;
    if (weft_thread_daemon(me)) return 13;
    weft_thread *t;
    if (weft_thread_create(&t, thread_noop, NULL, NULL) != WEFT_OK) return 14;
    int rc = weft_thread_daemon(t) ? 15 : 0;   /* inherits the main thread's False */
    weft_thread_destroy(t);
    if (rc) return rc;
    if (weft_active_count() != 1) return 16;
    return 0;
}

static void fork_from_dummy(void *arg, int i)
{
    (void)i;
    weft_thread *dummy = weft_current_thread();
    ASSERT_TRUE(weft_thread_daemon(dummy));
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) exit(dummy_fork_child(dummy));
    *(int *)arg = pid < 0 ? -1 : wait_child_status(pid);
}

TEST(ThreadTests_test_main_thread_after_fork_from_dummy_thread_is_named_MainThread)
{
    int rc = -100;
    weft_test_join(weft_test_start(1, fork_from_dummy, &rc));
    ASSERT_EQ(rc, 0);
}

/* ---- local: destructors that keep creating values at thread exit -------------
 * weft__local_thread_exit runs at most 4 rounds (as POSIX key destructors do).
 * A chain of destructors longer than that (A0's destructor sets A1, ..., A5's
 * sets nothing) leaves a slot created in the last round on the exiting thread's
 * list, whose back link points into that thread's TLS: after the thread is gone,
 * weft_local_destroy of that local writes through it into dead (or reused)
 * thread-local storage. After the exit cleanup the thread's list must be empty,
 * and every value must still be destroyed exactly once (at the latest by
 * weft_local_destroy). */
#include "internal/tstate.h"

#define CHAIN 6
static weft_local *chain[CHAIN];
static _Atomic int chain_destroyed[CHAIN];

static void chain_dtor(void *value, void *userdata)
{
    intptr_t i = (intptr_t)userdata;
    (void)value;
    atomic_fetch_add(&chain_destroyed[i], 1);
    if (i + 1 < CHAIN) ASSERT_OK(weft_local_set(chain[i + 1], (void *)(i + 2)));
}

struct chain_run { _Atomic int list_empty; };
static void chain_body(void *arg, int idx)
{
    (void)idx;
    struct chain_run *r = arg;
    ASSERT_OK(weft_local_set(chain[0], (void *)1));
    /* What a thread's exit does (thread.c tstate_cleanup / the key destructor). */
    weft__local_thread_exit(&weft__ts);
    weft__glock_acquire();
    atomic_store(&r->list_empty, weft__ts.locals == NULL);
    weft__glock_release();
}

TEST(local_exit_cleanup_leaves_no_slot_on_the_exiting_thread)
{
    for (intptr_t i = 0; i < CHAIN; i++) {
        ASSERT_OK(weft_local_create(&chain[i], NULL, chain_dtor, (void *)i));
        atomic_store(&chain_destroyed[i], 0);
    }
    struct chain_run r = { 0 };
    weft_test_join(weft_test_start(1, chain_body, &r));
    ASSERT_TRUE(atomic_load(&r.list_empty));
    for (int i = 0; i < CHAIN; i++) weft_local_destroy(chain[i]);
    for (int i = 0; i < CHAIN; i++) ASSERT_EQ(atomic_load(&chain_destroyed[i]), 1);
}
