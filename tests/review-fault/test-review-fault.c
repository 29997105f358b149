/* SPDX-License-Identifier: MIT */
/* tests/review-fault/test-review-fault.c: no weft function changes errno, also
 * when an allocation fails inside it (libc's failing malloc sets errno = ENOMEM;
 * the weft function must return WEFT_ENOMEM and leave errno as it found it).
 * Each case sweeps every wrapped allocation its scenario makes. */
#include "harness.h"

#include <errno.h>

#include "fault.h"

#define MAGIC_ERRNO 4242

typedef void (*scenario_fn)(void);

/* Run scen once to count, then once per failure point; after every run errno
 * must still hold the value set before it. */
static void sweep(scenario_fn scen)
{
    errno = MAGIC_ERRNO;
    fault_arm(0);
    scen();
    long n = fault_disarm();
    ASSERT_EQ(errno, MAGIC_ERRNO);
    ASSERT_GT(n, 0);
    for (long k = 1; k <= n + 1; k++) {
        errno = MAGIC_ERRNO;
        fault_arm(k);
        scen();
        fault_disarm();
        if (errno != MAGIC_ERRNO)
            weft_test_fail(__FILE__, __LINE__, "failure point %ld of %ld: errno %d, expected %d",
                           k, n, errno, MAGIC_ERRNO);
    }
}

static void scenario_queue_create_put(void)
{
    weft_queue *q = NULL;
    int rc = weft_queue_create(&q, 0);
    if (rc != WEFT_OK) {
        ASSERT_RC(rc, WEFT_ENOMEM);
        return;
    }
    /* 17 puts: the 17th grows the ring (initial capacity 16). */
    for (int i = 0; i < 17; i++) {
        rc = weft_queue_put(q, (void *)(intptr_t)(i + 1), true, WEFT_FOREVER);
        if (rc != WEFT_OK) {
            ASSERT_RC(rc, WEFT_ENOMEM);
            ASSERT_EQ(weft_queue_qsize(q), (size_t)i);   /* nothing changed */
            break;
        }
    }
    weft_queue_destroy(q);
}
TEST(errno_preserved_queue_create_and_grow) { sweep(scenario_queue_create_put); }

static int cmp_int(const void *a, const void *b, void *ud)
{
    (void)ud;
    intptr_t x = (intptr_t)a, y = (intptr_t)b;
    return x < y ? -1 : x > y;
}

static void scenario_priority_queue_grow(void)
{
    weft_queue *q = NULL;
    int rc = weft_priority_queue_create(&q, 0, cmp_int, NULL);
    if (rc != WEFT_OK) {
        ASSERT_RC(rc, WEFT_ENOMEM);
        return;
    }
    for (int i = 0; i < 17; i++) {
        rc = weft_queue_put_nowait(q, (void *)(intptr_t)(100 - i));
        if (rc != WEFT_OK) {
            ASSERT_RC(rc, WEFT_ENOMEM);
            ASSERT_EQ(weft_queue_qsize(q), (size_t)i);
            break;
        }
    }
    weft_queue_destroy(q);
}
TEST(errno_preserved_priority_queue_grow) { sweep(scenario_priority_queue_grow); }

static void scenario_simple_queue(void)
{
    weft_simple_queue *q = NULL;
    int rc = weft_simple_queue_create(&q, NULL, NULL);
    if (rc != WEFT_OK) {
        ASSERT_RC(rc, WEFT_ENOMEM);
        return;
    }
    for (int i = 0; i < 17; i++) {
        rc = weft_simple_queue_put(q, (void *)(intptr_t)(i + 1));
        if (rc != WEFT_OK) {
            ASSERT_RC(rc, WEFT_ENOMEM);
            break;
        }
    }
    weft_simple_queue_destroy(q);
}
TEST(errno_preserved_simple_queue) { sweep(scenario_simple_queue); }

static void noop(void *arg) { (void)arg; }

static void scenario_timer(void)
{
    weft_timer *t = NULL;
    int rc = weft_timer_create(&t, 0.0, noop, NULL, NULL);
    if (rc != WEFT_OK) {
        ASSERT_RC(rc, WEFT_ENOMEM);
        return;
    }
    rc = weft_timer_start(t);
    if (rc == WEFT_OK) {
        ASSERT_OK(weft_timer_join(t, WEFT_FOREVER));
    } else {
        ASSERT(rc == WEFT_ENOMEM || rc == WEFT_EAGAIN);
        ASSERT_FALSE(weft_timer_is_alive(t));   /* unchanged: not started */
    }
    weft_timer_destroy(t);
}
TEST(errno_preserved_timer_create_start) { sweep(scenario_timer); }

/* The scheduler heap is allocated by the first start in the process (realloc):
 * fail exactly that one. */
TEST(errno_preserved_timer_first_heap_allocation)
{
    weft_timer *t = NULL;
    ASSERT_OK(weft_timer_create(&t, 0.0, noop, NULL, NULL));
    fault_only("realloc");
    errno = MAGIC_ERRNO;
    fault_arm(1);
    int rc = weft_timer_start(t);
    fault_disarm();
    ASSERT(fault_fired());
    ASSERT_RC(rc, WEFT_ENOMEM);
    ASSERT_EQ(errno, MAGIC_ERRNO);
    ASSERT_FALSE(weft_timer_is_alive(t));
    fault_only(NULL);
    ASSERT_OK(weft_timer_start(t));             /* unchanged: may be started again */
    ASSERT_OK(weft_timer_join(t, WEFT_FOREVER));
    weft_timer_destroy(t);
}

/* The same for the thread and local modules (they save and restore errno around
 * their allocations; the restore must survive the optimiser). */
static void *ret_arg(void *arg) { return arg; }

static void scenario_thread_create_start(void)
{
    weft_thread *t = NULL;
    weft_thread_attr a = { "review", 0, 0 };
    int rc = weft_thread_create(&t, ret_arg, NULL, &a);
    if (rc != WEFT_OK) {
        ASSERT_RC(rc, WEFT_ENOMEM);
        return;
    }
    rc = weft_thread_set_name(t, "renamed");
    if (rc != WEFT_OK) ASSERT_RC(rc, WEFT_ENOMEM);
    rc = weft_thread_start(t);
    if (rc == WEFT_OK) ASSERT_OK(weft_thread_join(t, WEFT_FOREVER));
    else ASSERT(rc == WEFT_ENOMEM || rc == WEFT_EAGAIN);
    weft_thread_destroy(t);
}
TEST(errno_preserved_thread_create_rename_start) { sweep(scenario_thread_create_start); }

static void scenario_local(void)
{
    weft_local *l = NULL;
    int rc = weft_local_create(&l, NULL, NULL, NULL);
    if (rc != WEFT_OK) {
        ASSERT_RC(rc, WEFT_ENOMEM);
        return;
    }
    rc = weft_local_set(l, (void *)1);
    if (rc != WEFT_OK) ASSERT_RC(rc, WEFT_ENOMEM);
    weft_local_destroy(l);
}
TEST(errno_preserved_local_create_set) { sweep(scenario_local); }

/* ---- concurrent.futures ---------------------------------------------------- */

static void *identity_task(void *arg) { return arg; }
static void noop_callback(weft_future *f, void *ud) { (void)f; (void)ud; }

static void scenario_future_callbacks_wait(void)
{
    weft_future *f = NULL;
    int rc = weft_future_create(&f);
    if (rc != WEFT_OK) {
        ASSERT_RC(rc, WEFT_ENOMEM);
        return;
    }
    rc = weft_future_add_done_callback(f, noop_callback, NULL);
    if (rc != WEFT_OK) ASSERT_RC(rc, WEFT_ENOMEM);
    ASSERT_OK(weft_future_set_result(f, (void *)1));
    weft_future *fs[1] = { f }, *done[1], *not_done[1];
    size_t nd = 0, nn = 0;
    rc = weft_futures_wait(fs, 1, 0, WEFT_ALL_COMPLETED, done, &nd, not_done, &nn);
    if (rc != WEFT_OK) ASSERT_RC(rc, WEFT_ENOMEM);
    weft_as_completed *it = NULL;
    rc = weft_as_completed_create(&it, fs, 1, WEFT_FOREVER);
    if (rc == WEFT_OK) weft_as_completed_destroy(it);
    else ASSERT_RC(rc, WEFT_ENOMEM);
    weft_future_unref(f);
}
TEST(errno_preserved_future_callbacks_wait) { sweep(scenario_future_callbacks_wait); }

static void scenario_executor_submit_map(void)
{
    weft_executor_attr attr = { .max_workers = 2, .thread_name_prefix = "fault" };
    weft_executor *ex = NULL;
    int rc = weft_executor_create(&ex, &attr);
    if (rc != WEFT_OK) {
        ASSERT_RC(rc, WEFT_ENOMEM);
        return;
    }
    weft_future *f = NULL;
    rc = weft_executor_submit(ex, identity_task, (void *)7, &f);
    if (rc == WEFT_OK) {
        void *out = NULL;
        ASSERT_OK(weft_future_result(f, WEFT_FOREVER, &out));
        ASSERT_PTR_EQ(out, (void *)7);
        weft_future_unref(f);
    } else {
        ASSERT(rc == WEFT_ENOMEM || rc == WEFT_EAGAIN);
    }
    void *args[5] = { (void *)1, (void *)2, (void *)3, (void *)4, (void *)5 };
    void *res[5] = { 0 };
    rc = weft_executor_map(ex, identity_task, args, 5, res, WEFT_FOREVER, 2, NULL);
    if (rc == WEFT_OK) {
        for (int i = 0; i < 5; i++) ASSERT_PTR_EQ(res[i], args[i]);
    } else {
        ASSERT(rc == WEFT_ENOMEM || rc == WEFT_EAGAIN);
    }
    weft_executor_destroy(ex);
}
TEST(errno_preserved_executor_submit_and_map) { sweep(scenario_executor_submit_map); }

/* testing.md G6: an executor whose later workers fail to start still runs every
 * task it accepted (or refuses it with an error): with max_workers 4, fail each
 * pthread_create after the first in turn; every submitted task must complete with
 * its own result.
 * The tasks wait at a gate that opens once all 16 are submitted: until then no
 * worker becomes free, so each of the first submits finds every worker busy
 * and starts one, and the k-th pthread_create is reached whatever the
 * scheduling. (A task that only slept 1 ms could finish while a loaded machine
 * kept the submitting thread off the CPU; a free worker then takes the next
 * task, no worker is started, and fault_fired() is false.) */
static weft_event gate;

static void *gated_identity(void *arg)
{
    ASSERT_OK(weft_event_wait(&gate, WEFT_FOREVER));
    return arg;
}

TEST(executor_later_workers_fail_to_start)
{
    for (long k = 2; k <= 4; k++) {
        weft_executor_attr attr = { .max_workers = 4 };
        weft_executor *ex = NULL;
        ASSERT_OK(weft_executor_create(&ex, &attr));
        weft_event_init(&gate);
        fault_only("pthread_create");
        fault_arm(k);
        weft_future *fs[16];
        for (intptr_t i = 0; i < 16; i++)
            ASSERT_OK(weft_executor_submit(ex, gated_identity, (void *)(i + 1), &fs[i]));
        ASSERT_OK(weft_event_set(&gate));
        for (intptr_t i = 0; i < 16; i++) {
            void *r = NULL;
            ASSERT_OK(weft_future_result(fs[i], WEFT_FOREVER, &r));
            ASSERT_PTR_EQ(r, (void *)(i + 1));
            weft_future_unref(fs[i]);
        }
        ASSERT(fault_fired());   /* a worker start really failed (later submits
                                    may start another: the pool recovers) */
        fault_disarm();
        fault_only(NULL);
        weft_executor_destroy(ex);
        weft_event_destroy(&gate);
    }
}
