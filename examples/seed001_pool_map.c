/* seed001_pool_map.c: a thread pool's map, with one argument and with several.
 *
 * Seed: 001_e760d7e4a4782a84.txt, "Using a Thread Pool" and "Passing Multiple
 * Values to Work".
 *
 * Python original:
 *     with ThreadPoolExecutor(max_workers=workers) as pool:
 *         pool.map(work, range(workers))
 *
 *     with ThreadPoolExecutor(max_workers=workers) as pool:
 *         args = ((i, seconds) for i in range(workers))
 *         pool.map(lambda p: work(*p), args)
 *
 * weft_executor_map(pool, fn, args, n, results, timeout, chunksize, &failed) runs
 * fn(args[i]) on the pool and waits for every result, in order. A task takes one
 * void *: one int travels cast into the pointer; several values travel in a struct
 * (the tuple p of the lambda). WEFT_WITH_EXECUTOR(pool) is `with ... as pool`: the
 * pool is shut down (waiting for its workers) when the block ends.
 */
#include "demo.h"

typedef struct work_args {
    int thread_name;
    double seconds;
} work_args;

static void work(int thread_name, double seconds)
{
    say("DEBUG:root:  Thread %d is working for %g seconds.\n", thread_name, seconds);
    demo_sleep(seconds);
    say("DEBUG:root:  Thread %d is complete.\n", thread_name);
}

static void *work_default(void *arg)        /* work(x): seconds defaults to 5 */
{
    work((int)(intptr_t)arg, 5);
    return NULL;
}

static void *work_unpack(void *arg)         /* lambda p: work(*p) */
{
    const work_args *p = arg;
    work(p->thread_name, p->seconds);
    return NULL;
}

int main(void)
{
    enum { workers = 5 };
    const double seconds = 10;
    weft_executor_attr attr = { .max_workers = workers };
    void *results[workers];
    size_t failed;

    say("DEBUG:root:Starting Pool\n");
    {
        WEFT_WITH_EXECUTOR(pool);
        CHECK(weft_executor_create(&pool, &attr));
        void *args[workers];
        for (int i = 0; i < workers; i++)
            args[i] = (void *)(intptr_t)i;
        CHECK(weft_executor_map(pool, work_default, args, workers, results, WEFT_FOREVER,
                                1, &failed));
    }
    say("DEBUG:root:Finishing Pool\n");

    say("DEBUG:root:Starting Pool\n");
    {
        WEFT_WITH_EXECUTOR(pool);
        CHECK(weft_executor_create(&pool, &attr));
        work_args tuples[workers];
        void *args[workers];
        for (int i = 0; i < workers; i++) {
            tuples[i] = (work_args){ i, seconds };
            args[i] = &tuples[i];
        }
        CHECK(weft_executor_map(pool, work_unpack, args, workers, results, WEFT_FOREVER,
                                1, &failed));
        say("all %zu calls returned (failed index %zu = none)\n", (size_t)workers, failed);
    }
    say("DEBUG:root:Finishing Pool\n");
    return 0;
}
