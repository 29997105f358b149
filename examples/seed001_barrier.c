/* seed001_barrier.c: three worker threads and the main thread meet at a Barrier.
 *
 * Seed: 001_e760d7e4a4782a84.txt, "Barrier".
 *
 * Python original:
 *     workers = 3
 *     barrier = Barrier(workers + 1)
 *     class MyThread(threading.Thread):
 *         def run(self):
 *             logger.debug(f'  Running Thread {self.id}')
 *             time.sleep(5)
 *             logger.debug(f'  Work Completed {self.id}')
 *             barrier.wait()
 *     [t.start() for t in threads]
 *     logger.debug('Main Waiting for barrier to be reached')
 *     barrier.wait()
 *     logger.debug('Main Barrier reached')
 *
 * weft_barrier_wait returns the arrival index (0 .. parties-1) as Python does, or
 * a negative error code (WEFT_EBROKEN, WEFT_ETIMEDOUT). The workers finish their
 * work at different times here (5, 5.5 and 6 s) so the barrier has something to do.
 */
#include "demo.h"

enum { workers = 3 };
static weft_barrier barrier;

typedef struct my_thread {
    weft_thread *thread;
    int id;
} my_thread;

static void *my_thread_run(void *arg)
{
    my_thread *self = arg;
    say("DEBUG:root:  Running Thread %d\n", self->id);
    demo_sleep(5.0 + 0.5 * self->id);
    say("DEBUG:root:  Work Completed %d\n", self->id);
    int index = weft_barrier_wait(&barrier, WEFT_FOREVER);
    if (index < 0)
        CHECK(index);
    return NULL;
}

int main(void)
{
    CHECK(weft_barrier_init(&barrier, workers + 1, NULL, NULL, WEFT_FOREVER));
    my_thread threads[workers];
    say("DEBUG:root:Main creating threads\n");
    for (int x = 0; x < workers; x++) {
        threads[x].id = x;
        CHECK(weft_thread_create(&threads[x].thread, my_thread_run, &threads[x], NULL));
    }
    say("DEBUG:root:Starting all threads\n");
    for (int x = 0; x < workers; x++)
        CHECK(weft_thread_start(threads[x].thread));
    say("DEBUG:root:Main Waiting for barrier to be reached\n");
    int index = weft_barrier_wait(&barrier, WEFT_FOREVER);
    if (index < 0)
        CHECK(index);
    say("DEBUG:root:Main Barrier reached\n");
    say("DEBUG:root:Joining all threads\n");
    for (int x = 0; x < workers; x++) {
        CHECK(weft_thread_join(threads[x].thread, WEFT_FOREVER));
        weft_thread_destroy(threads[x].thread);
    }
    weft_barrier_destroy(&barrier);
    return 0;
}
