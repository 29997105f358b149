/* seed004_event.c: an Event stays set: waiting on it three times blocks only once.
 *
 * Seed: 004_2633024b5bf1a899.txt, "Events" ("Event example").
 *
 * Python original:
 *     def task1():
 *         event.wait(); event.wait(); event.wait()
 *         print("thread invoked wait thrice")
 *     def task2():
 *         time.sleep(1); event.set()
 *
 * Unlike a semaphore, waiting does not consume the event: "a thread never gets
 * blocked on wait() of an event object if the internal flag is set to true no
 * matter how many times the thread invokes the wait() method".
 */
#include "demo.h"

static weft_event event;

static void *task1(void *arg)
{
    for (int i = 1; i <= 3; i++) {
        double start = demo_now();
        CHECK(weft_event_wait(&event, WEFT_FOREVER));
        say("wait %d returned after %.2f s\n", i, demo_now() - start);
    }
    say("thread invoked wait thrice\n");
    return NULL;
}

static void *task2(void *arg)
{
    demo_sleep(1.0);
    say("task2: set()\n");
    CHECK(weft_event_set(&event));
    return NULL;
}

int main(void)
{
    weft_event_init(&event);
    weft_thread *thread1, *thread2;
    CHECK(weft_thread_create(&thread1, task1, NULL, NULL));
    CHECK(weft_thread_start(thread1));
    CHECK(weft_thread_create(&thread2, task2, NULL, NULL));
    CHECK(weft_thread_start(thread2));
    CHECK(weft_thread_join(thread1, WEFT_FOREVER));
    CHECK(weft_thread_join(thread2, WEFT_FOREVER));
    weft_thread_destroy(thread1);
    weft_thread_destroy(thread2);
    weft_event_destroy(&event);
    return 0;
}
