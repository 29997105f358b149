/* seed001_workers.c: a thread running a function with arguments; ten worker threads.
 *
 * Seed: 001_e760d7e4a4782a84.txt, "Threads & Functions", "Creating & Joining a
 * Thread" and "Creating Multiple Worker Threads".
 *
 * Python original:
 *     def work(thread_name, seconds=5):
 *         logging.debug(f'  Thread {thread_name} is working for {seconds} seconds.')
 *         time.sleep(seconds)
 *         logging.debug(f'  Thread {thread_name} is complete.')
 *     t = threading.Thread(target=work, args=(1,10)); t.start(); t.join()
 *     threads = [Thread(target=work, args=(x, 10)) for x in range(10)]
 *     [t.start() for t in threads]
 *     [t.join() for t in threads]
 *
 * A C thread body takes one pointer, so the two arguments travel in a struct
 * (Python's args tuple); each thread gets its own.
 */
#include "demo.h"

typedef struct work_args {
    int thread_name;
    double seconds;
} work_args;

static void *work(void *arg)
{
    const work_args *a = arg;
    say("DEBUG:root:  Thread %d is working for %g seconds.\n", a->thread_name, a->seconds);
    demo_sleep(a->seconds);
    say("DEBUG:root:  Thread %d is complete.\n", a->thread_name);
    return NULL;
}

int main(void)
{
    say("DEBUG:root:Main creating thread\n");
    work_args one = {1, 10};
    weft_thread *t;
    CHECK(weft_thread_create(&t, work, &one, NULL));
    say("DEBUG:root:Starting thread\n");
    CHECK(weft_thread_start(t));
    say("DEBUG:root:Waiting to complete\n");
    CHECK(weft_thread_join(t, WEFT_FOREVER));
    weft_thread_destroy(t);
    say("DEBUG:root:Main finished\n");

    say("DEBUG:root:Main creating threads\n");
    work_args args[10];
    weft_thread *threads[10];
    for (int x = 0; x < 10; x++) {
        args[x] = (work_args){x, 10};
        CHECK(weft_thread_create(&threads[x], work, &args[x], NULL));
    }
    say("DEBUG:root:Starting all threads\n");
    for (int x = 0; x < 10; x++)
        CHECK(weft_thread_start(threads[x]));
    say("DEBUG:root:Waiting for all threads to complete\n");
    for (int x = 0; x < 10; x++) {
        CHECK(weft_thread_join(threads[x], WEFT_FOREVER));
        weft_thread_destroy(threads[x]);
    }
    say("DEBUG:root:Main finished\n");
    return 0;
}
