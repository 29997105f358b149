/* seed001_shared_state.c: threads that read shared state, work, and read it again;
 * then the same with a Lock.
 *
 * Seed: 001_e760d7e4a4782a84.txt, "Threads & Shared State" and "Synchronizing Access".
 *
 * Python original:
 *     def update(thread_name, seconds=1):
 *         start = shared.get(); time.sleep(seconds); end = shared.get()
 *         valid = True if start == end else False
 *         logging.debug(f'  Thread {thread_name} : Starting {start} Ending {end} ... Valid {valid}')
 *         shared.increment()
 *     with ThreadPoolExecutor(max_workers=5) as pool:
 *         pool.map(update, range(5))         # some threads: Valid False
 *   and the fix:
 *         with shared.lock:                  # every thread: Valid True
 *             start = shared.get(); time.sleep(seconds); end = shared.get(); ...
 *
 * As in the notebook, update() runs on a pool of 5 workers (seed001_pool_map.c
 * explains weft_executor_map). The counter is a C11 atomic, so the program has
 * no data race in C's sense; the bug it shows is the logical one: the value changes
 * between the two reads.
 */
#include "demo.h"

typedef struct shared {
    atomic_int shared;
    weft_lock lock;
} shared_state;

static shared_state shared = { 0, WEFT_LOCK_INIT };
static bool use_lock;
static atomic_int valid_count;

static void *update(void *arg)
{
    int thread_name = (int)(intptr_t)arg;
    if (use_lock) {
        say("DEBUG:root:  Thread %d : Trying to obtain lock\n", thread_name);
        CHECK(weft_lock_acquire(&shared.lock, true, WEFT_FOREVER));
        say("DEBUG:root:  Thread %d : Obtained lock\n", thread_name);
    }
    int start = atomic_load(&shared.shared);
    demo_sleep(1.0 + 0.1 * thread_name);   /* the workers finish at different times */
    int end = atomic_load(&shared.shared);
    bool valid = start == end;
    say("DEBUG:root:  Thread %d : Starting %d Ending %d ... Valid %s\n", thread_name,
        start, end, valid ? "True" : "False");
    if (valid)
        atomic_fetch_add(&valid_count, 1);
    atomic_fetch_add(&shared.shared, 1);
    if (use_lock) {
        say("DEBUG:root:  Thread %d : Releasing lock\n", thread_name);
        CHECK(weft_lock_release(&shared.lock));
    }
    return NULL;
}

static void run(void)
{
    atomic_store(&shared.shared, 0);
    atomic_store(&valid_count, 0);
    say("DEBUG:root:Starting Pool\n");
    {
        WEFT_WITH_EXECUTOR(pool);                      /* with ThreadPoolExecutor(...) as pool: */
        weft_executor_attr attr = { .max_workers = 5 };
        CHECK(weft_executor_create(&pool, &attr));
        void *args[5], *results[5];
        for (int i = 0; i < 5; i++)
            args[i] = (void *)(intptr_t)i;
        CHECK(weft_executor_map(pool, update, args, 5, results, WEFT_FOREVER, 1, NULL));
    }
    say("DEBUG:root:Finishing Pool\n");
    say("%s the lock: %d of 5 valid\n", use_lock ? "with" : "without",
        atomic_load(&valid_count));
}

int main(void)
{
    use_lock = false;
    run();
    use_lock = true;
    run();
    return 0;
}
