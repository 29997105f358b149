/* SPDX-License-Identifier: MIT */
/* tests/test-review.c: cases found by the adversarial review (one per bug; see
 * the commit that added each). */
#include "harness.h"

#include <errno.h>
#include <stdatomic.h>

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
