/* SPDX-License-Identifier: MIT */
/* test-prims-debug.c: the wait records of Event, Condition, Semaphore, Barrier
 * and Timer (issue 8), seen through weft_debug_dump, and destroy forgetting the
 * object's name.
 *
 * Each case blocks a thread (a raw pthread: foreign threads get a record too) on
 * a named object, waits until the dump shows it blocked there, lets it go, and
 * then checks the record is gone: the thread goes on to block on a second
 * object, and the dump must show only that one (a record left open by the first
 * wait would show up as an outer "in ..." line naming the first object). The
 * timeout paths are checked the same way.
 */
#include "harness.h"

#include "weft/debug.h"

/* ---- the dump as a string ------------------------------------------------------- */

static char *dump_text(void)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    ASSERT(f != NULL);
    ASSERT_OK(weft_debug_dump(f));
    ASSERT_EQ(fclose(f), 0);
    return text;
}

static bool dump_has(const char *needle)
{
    char *t = dump_text();
    bool yes = strstr(t, needle) != NULL;
    free(t);
    return yes;
}

/* The final check of every case: after the first wait ended, the thread blocks
 * in Event.wait on `parking` and the first object's name appears nowhere. */
static void check_only_parked(const char *gone)
{
    WAIT_UNTIL(dump_has("blocked in Event.wait on 'parking'"), 30);
    char *t = dump_text();
    if (strstr(t, gone)) {
        fprintf(stderr, "dump still names '%s':\n%s", gone, t);
        free(t);
        ASSERT(!"a wait record was not ended");
    }
    free(t);
}

static weft_event parking;

static void name_parking(void)
{
    weft_event_init(&parking);
    ASSERT_OK(weft_debug_name(&parking, "parking"));
}

static void unpark(weft_test_threads *ts)
{
    ASSERT_OK(weft_event_set(&parking));
    weft_test_join(ts);
    weft_event_destroy(&parking);
}

/* ---- Event ----------------------------------------------------------------------- */

static weft_event ev;
static int ev_rc = -100;   /* read after the join */

static void ev_waiter(void *arg, int index)
{
    (void)index;
    double timeout = *(double *)arg;
    ev_rc = weft_event_wait(&ev, timeout);
    (void)weft_event_wait(&parking, WEFT_FOREVER);
}

TEST(event_wait_is_recorded_and_ended)
{
    ev_rc = -100;
    name_parking();
    weft_event_init(&ev);
    ASSERT_OK(weft_debug_name(&ev, "ev-one"));
    double forever = WEFT_FOREVER;
    weft_test_threads *ts = weft_test_start(1, ev_waiter, &forever);
    WAIT_UNTIL(dump_has("blocked in Event.wait on 'ev-one'"), 30);
    ASSERT(!dump_has("(with a timeout)"));
    ASSERT_OK(weft_event_set(&ev));
    check_only_parked("ev-one");
    unpark(ts);
    ASSERT_EQ(ev_rc, WEFT_OK);
    weft_event_destroy(&ev);
}

TEST(event_wait_timeout_ends_its_record)
{
    ev_rc = -100;
    name_parking();
    weft_event_init(&ev);
    ASSERT_OK(weft_debug_name(&ev, "ev-timed"));
    double timeout = 0.3;
    weft_test_threads *ts = weft_test_start(1, ev_waiter, &timeout);
    check_only_parked("ev-timed");
    unpark(ts);
    ASSERT_EQ(ev_rc, WEFT_ETIMEDOUT);
    weft_event_destroy(&ev);
}

TEST(event_wait_with_timeout_shows_it)
{
    ev_rc = -100;
    name_parking();
    weft_event_init(&ev);
    ASSERT_OK(weft_debug_name(&ev, "ev-long"));
    double timeout = 60;
    weft_test_threads *ts = weft_test_start(1, ev_waiter, &timeout);
    WAIT_UNTIL(dump_has("blocked in Event.wait on 'ev-long'"), 30);
    ASSERT(dump_has("(with a timeout)"));
    ASSERT_OK(weft_event_set(&ev));
    check_only_parked("ev-long");
    unpark(ts);
    ASSERT_EQ(ev_rc, WEFT_OK);
    weft_event_destroy(&ev);
}

TEST(event_fast_path_records_nothing)
{
    ev_rc = -100;
    name_parking();
    weft_event_init(&ev);
    ASSERT_OK(weft_debug_name(&ev, "ev-set"));
    ASSERT_OK(weft_event_set(&ev));
    double forever = WEFT_FOREVER;
    weft_test_threads *ts = weft_test_start(1, ev_waiter, &forever);
    check_only_parked("ev-set");
    unpark(ts);
    ASSERT_EQ(ev_rc, WEFT_OK);
    weft_event_destroy(&ev);
}

/* ---- Condition ------------------------------------------------------------------ */

static weft_lock cl;
static weft_condition cond;
static int cond_rc = -100;   /* read after the join */

static void cond_waiter(void *arg, int index)
{
    (void)index;
    double timeout = *(double *)arg;
    ASSERT_OK(weft_lock_acquire(&cl, true, WEFT_FOREVER));
    cond_rc = weft_condition_wait(&cond, timeout);
    ASSERT_OK(weft_lock_release(&cl));
    (void)weft_event_wait(&parking, WEFT_FOREVER);
}

static void cond_setup(const char *name)
{
    name_parking();
    weft_lock_init(&cl);
    ASSERT_OK(weft_condition_init_lock(&cond, &cl));
    ASSERT_OK(weft_debug_name(&cond, name));
    cond_rc = -100;
}

TEST(condition_wait_is_recorded_and_ended)
{
    cond_setup("cond-one");
    double forever = WEFT_FOREVER;
    weft_test_threads *ts = weft_test_start(1, cond_waiter, &forever);
    WAIT_UNTIL(dump_has("blocked in Condition.wait on 'cond-one'"), 30);
    ASSERT_OK(weft_lock_acquire(&cl, true, WEFT_FOREVER));
    ASSERT_OK(weft_condition_notify(&cond, 1));
    ASSERT_OK(weft_lock_release(&cl));
    check_only_parked("cond-one");
    unpark(ts);
    ASSERT_EQ(cond_rc, WEFT_OK);
    weft_condition_destroy(&cond);
    weft_lock_destroy(&cl);
}

TEST(condition_wait_timeout_ends_its_record)
{
    cond_setup("cond-timed");
    double timeout = 0.3;
    weft_test_threads *ts = weft_test_start(1, cond_waiter, &timeout);
    check_only_parked("cond-timed");
    unpark(ts);
    ASSERT_EQ(cond_rc, WEFT_ETIMEDOUT);
    weft_condition_destroy(&cond);
    weft_lock_destroy(&cl);
}

TEST(condition_poll_records_nothing)
{
    cond_setup("cond-poll");
    double zero = 0;
    weft_test_threads *ts = weft_test_start(1, cond_waiter, &zero);
    check_only_parked("cond-poll");
    unpark(ts);
    ASSERT_EQ(cond_rc, WEFT_ETIMEDOUT);
    weft_condition_destroy(&cond);
    weft_lock_destroy(&cl);
}

static bool never(void *arg) { (void)arg; return false; }
static bool flag_set(void *arg) { return *(int *)arg != 0; }
static int cond_flag;   /* under the lock */

static void cond_for_waiter(void *arg, int index)
{
    (void)index;
    (void)arg;
    ASSERT_OK(weft_lock_acquire(&cl, true, WEFT_FOREVER));
    cond_rc = weft_condition_wait_for(&cond, flag_set, &cond_flag, WEFT_FOREVER);
    ASSERT_RC(weft_condition_wait_for(&cond, never, NULL, 0.05), WEFT_ETIMEDOUT);
    ASSERT_OK(weft_lock_release(&cl));
    (void)weft_event_wait(&parking, WEFT_FOREVER);
}

TEST(condition_wait_for_is_recorded_and_ended)
{
    cond_setup("cond-for");
    cond_flag = 0;
    weft_test_threads *ts = weft_test_start(1, cond_for_waiter, NULL);
    WAIT_UNTIL(dump_has("blocked in Condition.wait on 'cond-for'"), 30);
    ASSERT_OK(weft_lock_acquire(&cl, true, WEFT_FOREVER));
    cond_flag = 1;
    ASSERT_OK(weft_condition_notify_all(&cond));
    ASSERT_OK(weft_lock_release(&cl));
    check_only_parked("cond-for");
    unpark(ts);
    ASSERT_EQ(cond_rc, WEFT_OK);
    weft_condition_destroy(&cond);
    weft_lock_destroy(&cl);
}

/* ---- Semaphore ------------------------------------------------------------------ */

static weft_semaphore sem;
static int sem_rc = -100;   /* read after the join */

static void sem_waiter(void *arg, int index)
{
    (void)index;
    double timeout = *(double *)arg;
    sem_rc = weft_semaphore_acquire(&sem, true, timeout);
    (void)weft_event_wait(&parking, WEFT_FOREVER);
}

TEST(semaphore_acquire_is_recorded_and_ended)
{
    name_parking();
    ASSERT_OK(weft_semaphore_init(&sem, 0));
    ASSERT_OK(weft_debug_name(&sem, "sem-one"));
    sem_rc = -100;
    double forever = WEFT_FOREVER;
    weft_test_threads *ts = weft_test_start(1, sem_waiter, &forever);
    WAIT_UNTIL(dump_has("blocked in Semaphore.acquire on 'sem-one'"), 30);
    ASSERT_OK(weft_semaphore_release(&sem, 1));
    check_only_parked("sem-one");
    unpark(ts);
    ASSERT_EQ(sem_rc, WEFT_OK);
    weft_semaphore_destroy(&sem);
}

TEST(semaphore_acquire_timeout_ends_its_record)
{
    name_parking();
    ASSERT_OK(weft_bounded_semaphore_init(&sem, 0));
    ASSERT_OK(weft_debug_name(&sem, "sem-timed"));
    sem_rc = -100;
    double timeout = 0.3;
    weft_test_threads *ts = weft_test_start(1, sem_waiter, &timeout);
    check_only_parked("sem-timed");
    unpark(ts);
    ASSERT_EQ(sem_rc, WEFT_ETIMEDOUT);
    weft_semaphore_destroy(&sem);
}

/* ---- Barrier -------------------------------------------------------------------- */

static weft_barrier bar;
static int bar_rc = -100;   /* read after the join */

static void bar_waiter(void *arg, int index)
{
    (void)index;
    double timeout = *(double *)arg;
    bar_rc = weft_barrier_wait(&bar, timeout);
    (void)weft_event_wait(&parking, WEFT_FOREVER);
}

TEST(barrier_wait_is_recorded_and_ended)
{
    name_parking();
    ASSERT_OK(weft_barrier_init(&bar, 2, NULL, NULL, WEFT_FOREVER));
    ASSERT_OK(weft_debug_name(&bar, "bar-one"));
    bar_rc = -100;
    double forever = WEFT_FOREVER;
    weft_test_threads *ts = weft_test_start(1, bar_waiter, &forever);
    WAIT_UNTIL(dump_has("blocked in Barrier.wait on 'bar-one'"), 30);
    int idx = weft_barrier_wait(&bar, WEFT_FOREVER);
    ASSERT(idx == 0 || idx == 1);
    check_only_parked("bar-one");
    unpark(ts);
    ASSERT(bar_rc == 0 || bar_rc == 1);
    ASSERT_EQ(bar_rc + idx, 1);
    weft_barrier_destroy(&bar);
}

TEST(barrier_wait_timeout_ends_its_record)
{
    name_parking();
    ASSERT_OK(weft_barrier_init(&bar, 2, NULL, NULL, WEFT_FOREVER));
    ASSERT_OK(weft_debug_name(&bar, "bar-timed"));
    bar_rc = -100;
    double timeout = 0.3;
    weft_test_threads *ts = weft_test_start(1, bar_waiter, &timeout);
    check_only_parked("bar-timed");
    unpark(ts);
    ASSERT_EQ(bar_rc, WEFT_EBROKEN);
    weft_barrier_destroy(&bar);
}

TEST(barrier_abort_ends_the_record)
{
    name_parking();
    ASSERT_OK(weft_barrier_init(&bar, 3, NULL, NULL, WEFT_FOREVER));
    ASSERT_OK(weft_debug_name(&bar, "bar-abort"));
    bar_rc = -100;
    double forever = WEFT_FOREVER;
    weft_test_threads *ts = weft_test_start(1, bar_waiter, &forever);
    WAIT_UNTIL(dump_has("blocked in Barrier.wait on 'bar-abort'"), 30);
    ASSERT_OK(weft_barrier_abort(&bar));
    check_only_parked("bar-abort");
    unpark(ts);
    ASSERT_EQ(bar_rc, WEFT_EBROKEN);
    weft_barrier_destroy(&bar);
}

/* ---- Timer ---------------------------------------------------------------------- */

static weft_event tm_go;
static weft_timer *tm;
static int tm_rc = -100;   /* read after the join */

static void tm_fn(void *arg)
{
    (void)arg;
    (void)weft_event_wait(&tm_go, WEFT_FOREVER);
}

static void tm_joiner(void *arg, int index)
{
    (void)arg;
    (void)index;
    tm_rc = weft_timer_join(tm, WEFT_FOREVER);
    (void)weft_event_wait(&parking, WEFT_FOREVER);
}

TEST(timer_join_is_recorded_and_ended)
{
    name_parking();
    weft_event_init(&tm_go);
    ASSERT_OK(weft_debug_name(&tm_go, "tm-go"));
    ASSERT_OK(weft_timer_create(&tm, 0, tm_fn, NULL, NULL));
    ASSERT_OK(weft_debug_name(tm, "tm-one"));
    tm_rc = -100;
    ASSERT_OK(weft_timer_start(tm));
    weft_test_threads *ts = weft_test_start(1, tm_joiner, NULL);
    /* The joiner: Timer join outermost, the condition it sleeps on innermost. */
    WAIT_UNTIL(dump_has("in Timer on 'tm-one'"), 30);
    WAIT_UNTIL(dump_has("blocked in Event.wait on 'tm-go'"), 30); /* the function's thread */
    WAIT_UNTIL(dump_has("blocked in Condition.wait"), 30);        /* the joiner, innermost */
    ASSERT_OK(weft_event_set(&tm_go));
    check_only_parked("tm-one");
    unpark(ts);
    ASSERT_EQ(tm_rc, WEFT_OK);
    weft_timer_destroy(tm);
    weft_event_destroy(&tm_go);
}

/* ---- destroy forgets the name ------------------------------------------------------ */

TEST(destroy_forgets_the_name)
{
    char buf[16];
    weft_event e;
    weft_event_init(&e);
    ASSERT_OK(weft_debug_name(&e, "e"));
    ASSERT_OK(weft_debug_name_of(&e, buf, sizeof buf));
    ASSERT_STR_EQ(buf, "e");
    weft_event_destroy(&e);
    ASSERT_RC(weft_debug_name_of(&e, buf, sizeof buf), WEFT_EEMPTY);

    weft_lock l;
    weft_lock_init(&l);
    weft_condition c;
    ASSERT_OK(weft_condition_init_lock(&c, &l));
    ASSERT_OK(weft_debug_name(&c, "c"));
    weft_condition_destroy(&c);
    ASSERT_RC(weft_debug_name_of(&c, buf, sizeof buf), WEFT_EEMPTY);
    weft_lock_destroy(&l);

    weft_semaphore s;
    ASSERT_OK(weft_semaphore_init(&s, 1));
    ASSERT_OK(weft_debug_name(&s, "s"));
    weft_semaphore_destroy(&s);
    ASSERT_RC(weft_debug_name_of(&s, buf, sizeof buf), WEFT_EEMPTY);

    weft_barrier b;
    ASSERT_OK(weft_barrier_init(&b, 1, NULL, NULL, WEFT_FOREVER));
    ASSERT_OK(weft_debug_name(&b, "b"));
    weft_barrier_destroy(&b);
    ASSERT_RC(weft_debug_name_of(&b, buf, sizeof buf), WEFT_EEMPTY);

    weft_timer *t;
    ASSERT_OK(weft_timer_create(&t, 1, tm_fn, NULL, NULL));
    ASSERT_OK(weft_debug_name(t, "t"));
    const void *addr = t;
    weft_timer_destroy(t);   /* never started: freed here */
    ASSERT_RC(weft_debug_name_of(addr, buf, sizeof buf), WEFT_EEMPTY);
}
