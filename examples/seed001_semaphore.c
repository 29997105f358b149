/* seed001_semaphore.c: a Semaphore(2) lets 2 of 5 workers use a scarce resource.
 *
 * Seed: 001_e760d7e4a4782a84.txt, "Semaphore".
 *
 * Python original:
 *     max_resources = 2
 *     sema = Semaphore(value = max_resources)
 *     def sema_work(thread_name, seconds=5):
 *         logging.debug(f'  Thread {thread_name} is attempting to acquire resource.')
 *         sema.acquire()
 *         logging.debug(f'  Thread {thread_name} is working for {seconds} seconds.')
 *         time.sleep(seconds)
 *         logging.debug(f'  Thread {thread_name} is complete.')
 *         sema.release()
 *     with ThreadPoolExecutor(max_workers=5) as pool:
 *         pool.map(sema_work, range(5))
 *
 * The program also counts how many workers hold the semaphore at once, to show the
 * limit: never more than 2.
 */
#include "demo.h"

static weft_semaphore sema;
static atomic_int in_use, most_in_use;

static void *sema_work(void *arg)
{
    int thread_name = (int)(intptr_t)arg;
    double seconds = 5;
    say("DEBUG:root:  Thread %d is attempting to acquire resource.\n", thread_name);
    CHECK(weft_semaphore_acquire(&sema, true, WEFT_FOREVER));
    int now = atomic_fetch_add(&in_use, 1) + 1;
    int most = atomic_load(&most_in_use);
    while (now > most && !atomic_compare_exchange_weak(&most_in_use, &most, now))
        ;
    say("DEBUG:root:  Thread %d is working for %g seconds.\n", thread_name, seconds);
    demo_sleep(seconds);
    say("DEBUG:root:  Thread %d is complete.\n", thread_name);
    atomic_fetch_sub(&in_use, 1);
    CHECK(weft_semaphore_release(&sema, 1));
    return NULL;
}

int main(void)
{
    const unsigned max_resources = 2;
    CHECK(weft_semaphore_init(&sema, max_resources));
    say("DEBUG:root:Starting Pool\n");
    {
        WEFT_WITH_EXECUTOR(pool);
        weft_executor_attr attr = { .max_workers = 5 };
        CHECK(weft_executor_create(&pool, &attr));
        void *args[5], *results[5];
        for (int i = 0; i < 5; i++)
            args[i] = (void *)(intptr_t)i;
        CHECK(weft_executor_map(pool, sema_work, args, 5, results, WEFT_FOREVER, 1, NULL));
    }
    say("DEBUG:root:Finishing Pool\n");
    say("at most %d workers held the semaphore at once\n", atomic_load(&most_in_use));
    weft_semaphore_destroy(&sema);
    return 0;
}
