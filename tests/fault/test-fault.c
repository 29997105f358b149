/* SPDX-License-Identifier: MIT */
/* tests/fault/test-fault.c: fault injection for thread create/start/join, names,
 * dummies, weft_fail and locals. Each case counts the N wrapped calls its
 * scenario makes, then runs it N times failing only the k-th: every run must
 * return a documented code (no abort, no hang), leave objects destroyable (and a
 * thread startable again after a failed start), and leak nothing (run under
 * valgrind memcheck or the ASan build: LSan reports leaks at exit). */
#include "harness.h"

#include <stdatomic.h>

#include "fault.h"

static void *body(void *arg) { return arg; }

static void quiet_hook(const weft_excepthook_args *a, void *ud) { (void)a; (void)ud; }

static void *failing_body(void *arg)
{
    weft_fail(WEFT_EBROKEN, "failed with %d", 3);
    return arg;
}

typedef void (*scenario_fn)(void);

/* Run scen once to count, then once per failure point. */
static void sweep(scenario_fn scen)
{
    fault_arm(0);
    scen();
    long n = fault_disarm();
    ASSERT_GT(n, 0);
    for (long k = 1; k <= n + 1; k++) {
        fault_arm(k);
        scen();
        fault_disarm();
    }
}

static void start_until_ok(weft_thread *t)
{
    /* after a failed start the object is unchanged: start it again, disarmed */
    ASSERT_FALSE(weft_thread_is_alive(t));
    ASSERT_EQ(weft_thread_ident(t), 0);
    ASSERT_RC(weft_thread_join(t, 0), WEFT_ESTATE);
    long saved = fault_disarm();
    (void)saved;
    ASSERT_OK(weft_thread_start(t));
}

static void scenario_create_start_join(void)
{
    size_t before = weft_active_count();
    weft_thread *t = (weft_thread *)0x1;
    weft_thread_attr a = { NULL, 0, 0 };
    int rc = weft_thread_create(&t, body, (void *)7, &a);
    if (rc != WEFT_OK) {
        ASSERT_RC(rc, WEFT_ENOMEM);
        ASSERT_PTR_EQ(t, (void *)0x1);
        return;
    }
    rc = weft_thread_start(t);
    if (rc != WEFT_OK) {
        ASSERT(rc == WEFT_EAGAIN || rc == WEFT_ENOMEM);
        ASSERT_EQ(weft_active_count(), before);
        start_until_ok(t);
    }
    ASSERT_OK(weft_thread_join(t, WEFT_FOREVER));
    void *r;
    ASSERT_OK(weft_thread_result(t, &r));
    ASSERT_PTR_EQ(r, (void *)7);
    weft_thread_destroy(t);
}

TEST(create_start_join)
{
    sweep(scenario_create_start_join);
}

static void scenario_named_rename(void)
{
    weft_thread *t;
    weft_thread_attr a = { "named", WEFT_THREAD_NON_DAEMON, 65536 };
    int rc = weft_thread_create(&t, body, NULL, &a);
    if (rc != WEFT_OK) {
        ASSERT_RC(rc, WEFT_ENOMEM);
        return;
    }
    rc = weft_thread_set_name(t, "renamed-before-start");
    if (rc != WEFT_OK) {
        ASSERT_RC(rc, WEFT_ENOMEM);
        ASSERT_STR_EQ(weft_thread_name(t), "named");
    }
    rc = weft_thread_start(t);
    if (rc != WEFT_OK) {
        ASSERT(rc == WEFT_EAGAIN || rc == WEFT_ENOMEM);
        start_until_ok(t);
    }
    const char *before = weft_thread_name(t);
    rc = weft_thread_set_name(t, "renamed-while-running");
    if (rc != WEFT_OK) {
        ASSERT_RC(rc, WEFT_ENOMEM);
        ASSERT_PTR_EQ(weft_thread_name(t), before);
    }
    ASSERT_OK(weft_thread_join(t, WEFT_FOREVER));
    weft_thread_destroy(t);
}

TEST(named_and_renamed)
{
    sweep(scenario_named_rename);
}

static void scenario_failing_body(void)
{
    weft_thread *t;
    if (weft_thread_create(&t, failing_body, NULL, NULL) != WEFT_OK) return;
    int rc = weft_thread_start(t);
    if (rc != WEFT_OK) start_until_ok(t);
    ASSERT_OK(weft_thread_join(t, WEFT_FOREVER));
    const char *msg = "x";
    ASSERT_RC(weft_thread_failure(t, &msg), WEFT_EBROKEN);   /* the code always survives */
    ASSERT(msg == NULL || strcmp(msg, "failed with 3") == 0);
    weft_thread_destroy(t);
}

TEST(failing_body_message)
{
    weft_set_excepthook(quiet_hook, NULL);
    sweep(scenario_failing_body);
    weft_set_excepthook(NULL, NULL);
}

static _Atomic int dummy_go;
static void foreign_dummy(void *arg, int i)
{
    (void)arg; (void)i;
    while (!atomic_load(&dummy_go)) weft_test_sleep(0.0002);
    weft_thread *me = weft_current_thread();
    if (me) {
        ASSERT_STR_EQ(weft_thread_name(me) + 0, weft_thread_name(me));
        ASSERT_EQ(strncmp(weft_thread_name(me), "Dummy-", 6), 0);
        ASSERT_PTR_EQ(weft_current_thread(), me);
    }
    weft_fail(WEFT_EFAIL, "foreign %s", "failure");   /* freed at thread exit */
}

static void scenario_dummy(void)
{
    size_t before = weft_active_count();
    atomic_store(&dummy_go, 0);
    fault_pause();                      /* the test's own raw thread must start */
    weft_test_threads *ts = weft_test_start(1, foreign_dummy, NULL);
    fault_resume();
    atomic_store(&dummy_go, 1);
    weft_test_join(ts);
    ASSERT_EQ(weft_active_count(), before);
}

TEST(dummy_thread_and_foreign_failure)
{
    sweep(scenario_dummy);
}

static int lv_init(void **v, void *ud)
{
    (void)ud;
    *v = malloc(16);
    return *v ? WEFT_OK : WEFT_ENOMEM;
}
static void lv_dtor(void *v, void *ud) { (void)ud; free(v); }

static weft_local *the_local;
static void *use_local(void *arg)
{
    void *v;
    int rc = weft_local_get(the_local, &v);
    if (rc != WEFT_OK) ASSERT_RC(rc, WEFT_ENOMEM);
    rc = weft_local_set(the_local, malloc(8));   /* malloc may fail: NULL is a value */
    if (rc != WEFT_OK) ASSERT_RC(rc, WEFT_ENOMEM);
    return arg;
}

static void scenario_local(void)
{
    int rc = weft_local_create(&the_local, lv_init, lv_dtor, NULL);
    if (rc != WEFT_OK) {
        ASSERT_RC(rc, WEFT_ENOMEM);
        return;
    }
    weft_thread *t;
    if (weft_thread_create(&t, use_local, NULL, NULL) == WEFT_OK) {
        if (weft_thread_start(t) != WEFT_OK) start_until_ok(t);
        ASSERT_OK(weft_thread_join(t, WEFT_FOREVER));
        weft_thread_destroy(t);
    }
    use_local(NULL);
    weft_local_destroy(the_local);
}

TEST(local_values)
{
    sweep(scenario_local);
}

static void *never_runs(void *arg) { return arg; }

TEST(ThreadTests_test_limbo_cleanup)
{
    /* a thread whose OS start fails is not left in enumerate() and can be
     * started again */
    size_t before = weft_active_count();
    weft_thread *t;
    ASSERT_OK(weft_thread_create(&t, never_runs, (void *)3, NULL));
    fault_only("pthread_create");
    fault_arm(1);
    ASSERT_RC(weft_thread_start(t), WEFT_EAGAIN);
    ASSERT_TRUE(fault_fired());
    fault_disarm();
    fault_only(NULL);
    ASSERT_EQ(weft_active_count(), before);
    ASSERT_FALSE(weft_thread_is_alive(t));
    ASSERT_EQ(weft_thread_ident(t), 0);
    ASSERT_RC(weft_thread_join(t, 0), WEFT_ESTATE);
    void *r;
    ASSERT_RC(weft_thread_result(t, &r), WEFT_ESTATE);
    ASSERT_OK(weft_thread_start(t));
    ASSERT_OK(weft_thread_join(t, WEFT_FOREVER));
    ASSERT_OK(weft_thread_result(t, &r));
    ASSERT_PTR_EQ(r, (void *)3);
    weft_thread_destroy(t);
}
