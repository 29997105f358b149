/* seed001_pool_deadlock.c: a pool task that waits for another task of the same,
 * full pool: Python hangs forever; weft reports the deadlock.
 *
 * Seed: 001_e760d7e4a4782a84.txt, "Using a Thread Pool" (the pool of the seed, used
 * the way that hangs; the seeds call such hangs "very hard to realize where the
 * problem is").
 *
 * Python original (hangs):
 *     pool = ThreadPoolExecutor(max_workers=1)
 *     def inner(): return 42
 *     def outer():
 *         return pool.submit(inner).result()   # the only worker is running outer
 *     print(pool.submit(outer).result())
 *
 * The inner task is queued behind the outer one in a pool whose only worker is the
 * thread waiting for it: it can never run. weft's deadlock detector (on by default,
 * docs/debugging.md) sees the worker waiting for a future that only a busy worker
 * of its own full pool could run: it reports it (stderr) and the inner result()
 * returns WEFT_EDEADLK. With two workers the same code works.
 */
#include "demo.h"

static weft_executor *pool;

static void *inner(void *arg)
{
    return (void *)(intptr_t)42;
}

static void *outer(void *arg)
{
    weft_future *f;
    CHECK(weft_executor_submit(pool, inner, NULL, &f));
    CHECK(weft_debug_name(f, "inner task"));
    void *r = NULL;
    int rc = weft_future_result(f, WEFT_FOREVER, &r);
    if (rc == WEFT_OK) {
        say("outer: inner task returned %d\n", (int)(intptr_t)r);
    } else {
        CHECK_IS(rc, WEFT_EDEADLK);
        say("outer: inner.result() -> %s: the only worker is this one; Python would "
            "wait forever (weft's report is above)\n", weft_errname(rc));
    }
    weft_future_unref(f);
    return r;
}

static void run(int workers)
{
    weft_executor_attr attr = { .max_workers = workers, .thread_name_prefix = "pool" };
    CHECK(weft_executor_create(&pool, &attr));
    weft_future *f;
    CHECK(weft_executor_submit(pool, outer, NULL, &f));
    CHECK(weft_debug_name(f, "outer task"));
    void *r = NULL;
    CHECK(weft_future_result(f, WEFT_FOREVER, &r));
    say("main: outer task returned %d\n", (int)(intptr_t)r);
    weft_future_unref(f);
    CHECK(weft_executor_shutdown(pool, true, false));
    weft_executor_destroy(pool);
}

int main(void)
{
    /* This example shows the report: report mode whatever WEFT_DEADLOCK says. */
    CHECK(weft_deadlock_set_mode(WEFT_DEADLOCK_REPORT));
    say("1. ThreadPoolExecutor(max_workers=1): a task waits for a task behind it\n");
    run(1);
    say("2. ThreadPoolExecutor(max_workers=2): the same code works\n");
    run(2);
    return 0;
}
