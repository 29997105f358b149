/* SPDX-License-Identifier: MIT */
/* test-local.c: weft_local (weft/local.h), Python's threading.local. Cases named
 * BaseLocalTest_* mirror CPython 3.13 Lib/test/test_threading_local.py. */
#include "harness.h"

#include <errno.h>
#include <stdatomic.h>

struct counters {
    _Atomic int inits, dtors;
    _Atomic int fail_next;        /* init fails while > 0 */
    _Atomic uint64_t last_dtor_thread;
};

static int counting_init(void **value, void *ud)
{
    struct counters *c = ud;
    if (atomic_load(&c->fail_next) > 0) {
        atomic_fetch_sub(&c->fail_next, 1);
        return WEFT_EBROKEN;
    }
    int *v = malloc(sizeof *v);
    if (!v) return WEFT_ENOMEM;
    *v = atomic_fetch_add(&c->inits, 1) + 1;
    *value = v;
    return WEFT_OK;
}

static void counting_dtor(void *value, void *ud)
{
    struct counters *c = ud;
    atomic_fetch_add(&c->dtors, 1);
    atomic_store(&c->last_dtor_thread, weft_get_ident());
    free(value);
}

static weft_local *the_local;

static void *get_value(void *arg)
{
    void *v = NULL;
    if (weft_local_get(the_local, &v) != WEFT_OK) return NULL;
    void *again = NULL;
    if (weft_local_get(the_local, &again) != WEFT_OK || again != v) return NULL;
    *(int *)arg = *(int *)v;
    return v;
}

static void run_thread(weft_thread_fn fn, void *arg)
{
    weft_thread *t;
    ASSERT_OK(weft_thread_create(&t, fn, arg, NULL));
    ASSERT_OK(weft_thread_start(t));
    ASSERT_OK(weft_thread_join(t, WEFT_FOREVER));
    weft_thread_destroy(t);
}

TEST(BaseLocalTest_test_derived)
{
    struct counters c;
    memset(&c, 0, sizeof c);
    ASSERT_OK(weft_local_create(&the_local, counting_init, counting_dtor, &c));
    ASSERT_EQ(atomic_load(&c.inits), 1);           /* __init__ at construction */
    void *mine;
    ASSERT_OK(weft_local_get(the_local, &mine));
    ASSERT_EQ(*(int *)mine, 1);
    ASSERT_EQ(atomic_load(&c.inits), 1);           /* not again in this thread */
    int seen[4] = { 0 };
    for (int i = 0; i < 4; i++) run_thread(get_value, &seen[i]);
    for (int i = 0; i < 4; i++) ASSERT_EQ(seen[i], i + 2);   /* each thread its own */
    ASSERT_EQ(atomic_load(&c.inits), 5);
    ASSERT_EQ(atomic_load(&c.dtors), 4);           /* released at each thread's end */
    void *still;
    ASSERT_OK(weft_local_get(the_local, &still));
    ASSERT_PTR_EQ(still, mine);
    weft_local_destroy(the_local);
    ASSERT_EQ(atomic_load(&c.dtors), 5);           /* main's value, by destroy */
}

static void *ident_and_get(void *arg)
{
    void *v;
    *(uint64_t *)arg = weft_get_ident();
    return weft_local_get(the_local, &v) == WEFT_OK ? v : NULL;
}

TEST(BaseLocalTest_test_local_refs)
{
    /* values are released when their thread ends, in that thread */
    struct counters c;
    memset(&c, 0, sizeof c);
    ASSERT_OK(weft_local_create(&the_local, counting_init, counting_dtor, &c));
    for (int i = 0; i < 5; i++) {
        uint64_t id = 0;
        run_thread(ident_and_get, &id);
        ASSERT_EQ(atomic_load(&c.dtors), i + 1);
        ASSERT_EQ(atomic_load(&c.last_dtor_thread), id);
    }
    weft_local_destroy(the_local);
    ASSERT_EQ(atomic_load(&c.dtors), 6);
}

struct args { int a, b; };
static int args_init(void **value, void *ud)
{
    struct args *x = ud;
    *value = (void *)(intptr_t)(x->a * 100 + x->b);
    return WEFT_OK;
}

static void *read_args(void *arg)
{
    void *v = NULL;
    if (weft_local_get(the_local, &v) != WEFT_OK) return NULL;
    *(intptr_t *)arg = (intptr_t)v;
    return NULL;
}

TEST(BaseLocalTest_test_arguments)
{
    /* constructor arguments reach the initialiser in every thread (via userdata) */
    struct args x = { 3, 7 };
    ASSERT_OK(weft_local_create(&the_local, args_init, NULL, &x));
    intptr_t got = 0;
    run_thread(read_args, &got);
    ASSERT_EQ(got, 307);
    void *v;
    ASSERT_OK(weft_local_get(the_local, &v));
    ASSERT_EQ((intptr_t)v, 307);
    weft_local_destroy(the_local);
}

TEST(BaseLocalTest_test_threading_local)
{
    /* no initialiser: each thread starts with NULL */
    ASSERT_OK(weft_local_create(&the_local, NULL, NULL, NULL));
    void *v = (void *)1;
    ASSERT_OK(weft_local_get(the_local, &v));
    ASSERT(v == NULL);
    ASSERT_OK(weft_local_set(the_local, (void *)0x10));
    intptr_t other = 5;
    run_thread(read_args, &other);
    ASSERT_EQ(other, 0);                             /* not the main thread's value */
    ASSERT_OK(weft_local_get(the_local, &v));
    ASSERT_PTR_EQ(v, (void *)0x10);
    weft_local_destroy(the_local);
}

TEST(init_failure_is_returned_and_retried)
{
    struct counters c;
    memset(&c, 0, sizeof c);
    atomic_store(&c.fail_next, 1);
    weft_local *l = (weft_local *)0x1;
    ASSERT_RC(weft_local_create(&l, counting_init, counting_dtor, &c), WEFT_EBROKEN);
    ASSERT_PTR_EQ(l, (void *)0x1);                   /* nothing created */
    ASSERT_OK(weft_local_create(&l, counting_init, counting_dtor, &c));
    the_local = l;
    atomic_store(&c.fail_next, 1);
    int seen = 0;
    weft_thread *t;
    ASSERT_OK(weft_thread_create(&t, get_value, &seen, NULL));
    ASSERT_OK(weft_thread_start(t));
    ASSERT_OK(weft_thread_join(t, WEFT_FOREVER));
    void *r = (void *)1;
    ASSERT_OK(weft_thread_result(t, &r));
    ASSERT(r == NULL);                                /* its first get failed */
    weft_thread_destroy(t);
    run_thread(get_value, &seen);                     /* a new thread: init again */
    ASSERT_EQ(seen, 2);
    /* in one thread: fail, then retry succeeds */
    weft_local_clear(l);
    atomic_store(&c.fail_next, 1);
    void *v = (void *)7;
    ASSERT_RC(weft_local_get(l, &v), WEFT_EBROKEN);
    ASSERT_PTR_EQ(v, (void *)7);
    ASSERT_OK(weft_local_get(l, &v));
    ASSERT_EQ(*(int *)v, 3);
    weft_local_destroy(l);
    ASSERT_EQ(atomic_load(&c.inits), atomic_load(&c.dtors));
}

TEST(set_replaces_and_destroys_old)
{
    struct counters c;
    memset(&c, 0, sizeof c);
    weft_local *l;
    ASSERT_OK(weft_local_create(&l, counting_init, counting_dtor, &c));
    int *n = malloc(sizeof *n);
    *n = 99;
    ASSERT_OK(weft_local_set(l, n));
    ASSERT_EQ(atomic_load(&c.dtors), 1);             /* the initial value */
    ASSERT_OK(weft_local_set(l, n));                 /* same value: kept */
    ASSERT_EQ(atomic_load(&c.dtors), 1);
    void *v;
    ASSERT_OK(weft_local_get(l, &v));
    ASSERT_PTR_EQ(v, n);
    ASSERT_OK(weft_local_clear(l));
    ASSERT_EQ(atomic_load(&c.dtors), 2);
    ASSERT_OK(weft_local_clear(l));                  /* nothing stored: no-op */
    ASSERT_EQ(atomic_load(&c.dtors), 2);
    ASSERT_OK(weft_local_get(l, &v));                /* init runs again */
    ASSERT_EQ(*(int *)v, 2);
    weft_local_destroy(l);
    ASSERT_EQ(atomic_load(&c.dtors), 3);
}

static void foreign_use(void *arg, int i)
{
    (void)i;
    int seen = 0;
    *(uint64_t *)arg = weft_get_ident();
    get_value(&seen);
}

TEST(values_of_foreign_threads_are_destroyed_at_exit)
{
    struct counters c;
    memset(&c, 0, sizeof c);
    ASSERT_OK(weft_local_create(&the_local, counting_init, counting_dtor, &c));
    uint64_t id = 0;
    weft_test_join(weft_test_start(1, foreign_use, &id));
    ASSERT_EQ(atomic_load(&c.dtors), 1);
    ASSERT_EQ(atomic_load(&c.last_dtor_thread), id);
    weft_local_destroy(the_local);
    ASSERT_EQ(atomic_load(&c.dtors), 2);
}

static _Atomic int hold;
static void *get_and_hold(void *arg)
{
    void *v;
    if (weft_local_get(the_local, &v) != WEFT_OK) return NULL;
    atomic_store(&hold, 1);
    while (atomic_load(&hold) != 2) weft_test_sleep(0.0005);
    return arg;
}

TEST(destroy_frees_values_of_running_threads)
{
    struct counters c;
    memset(&c, 0, sizeof c);
    ASSERT_OK(weft_local_create(&the_local, counting_init, counting_dtor, &c));
    atomic_store(&hold, 0);
    weft_thread *t;
    ASSERT_OK(weft_thread_create(&t, get_and_hold, NULL, NULL));
    ASSERT_OK(weft_thread_start(t));
    WAIT_UNTIL(atomic_load(&hold) == 1, 10);
    weft_local_destroy(the_local);                    /* main's and t's values */
    ASSERT_EQ(atomic_load(&c.dtors), 2);
    ASSERT_EQ(atomic_load(&c.last_dtor_thread), weft_get_ident());
    atomic_store(&hold, 2);
    ASSERT_OK(weft_thread_join(t, WEFT_FOREVER));     /* t's exit finds nothing */
    ASSERT_EQ(atomic_load(&c.dtors), 2);
    weft_thread_destroy(t);
}

/* A destructor that uses another local during thread exit. */
static weft_local *second;
static _Atomic int second_dtors;
static void second_dtor(void *v, void *ud) { (void)v; (void)ud; atomic_fetch_add(&second_dtors, 1); }
static void chaining_dtor(void *v, void *ud)
{
    (void)ud;
    void *x;
    if (weft_local_get(second, &x) == WEFT_OK) weft_local_set(second, v);
}
static void *touch_first(void *arg)
{
    void *v;
    weft_local_set(the_local, (void *)0x77);
    (void)weft_local_get(the_local, &v);
    return arg;
}

TEST(destructor_may_use_other_locals)
{
    atomic_store(&second_dtors, 0);
    ASSERT_OK(weft_local_create(&the_local, NULL, chaining_dtor, NULL));
    ASSERT_OK(weft_local_create(&second, NULL, second_dtor, NULL));
    run_thread(touch_first, NULL);
    ASSERT_EQ(atomic_load(&second_dtors), 2);  /* NULL replaced, then 0x77 at exit */
    weft_local_destroy(the_local);
    weft_local_destroy(second);
}

static void *churn(void *arg)
{
    for (int i = 0; i < 50; i++) {
        void *v;
        if (weft_local_get(the_local, &v) != WEFT_OK) return NULL;
        weft_local_clear(the_local);
    }
    return arg;
}

SLOW_TEST(BaseLocalTest_test_threading_local_clear_race)
{
    struct counters c;
    memset(&c, 0, sizeof c);
    ASSERT_OK(weft_local_create(&the_local, counting_init, counting_dtor, &c));
    long rounds = weft_test_iters(50);
    for (long r = 0; r < rounds; r++) {
        weft_thread *ts[4];
        for (int i = 0; i < 4; i++) {
            ASSERT_OK(weft_thread_create(&ts[i], churn, NULL, NULL));
            ASSERT_OK(weft_thread_start(ts[i]));
        }
        for (int i = 0; i < 4; i++) {
            ASSERT_OK(weft_thread_join(ts[i], WEFT_FOREVER));
            weft_thread_destroy(ts[i]);
        }
    }
    weft_local_destroy(the_local);
    ASSERT_EQ(atomic_load(&c.inits), atomic_load(&c.dtors));
}

/* ---- misuse ------------------------------------------------------------------------ */

TEST(misuse_create_null_out) { ASSERT_RC(weft_local_create(NULL, NULL, NULL, NULL), WEFT_EINVAL); }

TEST(misuse_get_null)
{
    weft_local *l;
    ASSERT_OK(weft_local_create(&l, NULL, NULL, NULL));
    void *v = (void *)3;
    ASSERT_RC(weft_local_get(NULL, &v), WEFT_EINVAL);
    ASSERT_PTR_EQ(v, (void *)3);
    ASSERT_RC(weft_local_get(l, NULL), WEFT_EINVAL);
    weft_local_destroy(l);
}

TEST(misuse_set_clear_destroy_null)
{
    ASSERT_RC(weft_local_set(NULL, NULL), WEFT_EINVAL);
    ASSERT_RC(weft_local_clear(NULL), WEFT_EINVAL);
    weft_local_destroy(NULL);
}

TEST(errno_is_preserved)
{
    struct counters c;
    memset(&c, 0, sizeof c);
    errno = 777;
    weft_local *l;
    ASSERT_OK(weft_local_create(&l, counting_init, counting_dtor, &c));
    void *v;
    ASSERT_OK(weft_local_get(l, &v));
    ASSERT_OK(weft_local_set(l, NULL));
    ASSERT_OK(weft_local_clear(l));
    ASSERT_RC(weft_local_get(NULL, &v), WEFT_EINVAL);
    weft_local_destroy(l);
    ASSERT_EQ(errno, 777);
}
