/* seed002_condition.c: a producer notifies three waiting consumers with notify_all.
 *
 * Seed: 002_661bf8df3acfe042.txt, "10 Condition Variables".
 *
 * Python original:
 *     class Producer:
 *         def __call__(self, dataAvailable):
 *             print("Producer is obtaining data"); time.sleep(5)
 *             with dataAvailable:
 *                 print("Producer is notifying all consumers")
 *                 dataAvailable.notifyAll()
 *     class Consumer:
 *         def __call__(self, name, dataAvailable):
 *             with dataAvailable:
 *                 print(f"consumer{name} is waiting")
 *                 dataAvailable.wait()
 *                 print(f"consumer{name} is has obtained the data")
 *
 * The seed's consumers wait without checking anything, so a consumer that reaches
 * wait() after the producer notified would wait forever (it only works because the
 * producer sleeps 5 s first). Here the consumers wait in the while-loop idiom for a
 * `data_ready` flag that the producer sets under the lock, so the program is correct
 * whatever the timing; the sleep only paces the output.
 */
#include "demo.h"

static weft_condition data_available = WEFT_CONDITION_INIT;
static bool data_ready;   /* guarded by data_available's lock */

static void *producer(void *arg)
{
    say("Producer is obtaining data\n");
    demo_sleep(5.0);
    CHECK(weft_condition_acquire(&data_available, true, WEFT_FOREVER));
    say("Producer is notifying all consumers\n");
    data_ready = true;
    CHECK(weft_condition_notify_all(&data_available));
    CHECK(weft_condition_release(&data_available));
    return NULL;
}

static void *consumer(void *arg)
{
    const char *name = arg;
    CHECK(weft_condition_acquire(&data_available, true, WEFT_FOREVER));
    say("consumer%s is waiting\n", name);
    while (!data_ready)
        CHECK(weft_condition_wait(&data_available, WEFT_FOREVER));
    say("consumer%s has obtained the data\n", name);
    CHECK(weft_condition_release(&data_available));
    return NULL;
}

int main(void)
{
    static const char *names[3] = {"1", "2", "3"};
    weft_thread *t, *c[3];
    CHECK(weft_thread_create(&t, producer, NULL, NULL));
    for (int i = 0; i < 3; i++)
        CHECK(weft_thread_create(&c[i], consumer, (void *)names[i], NULL));
    CHECK(weft_thread_start(t));
    for (int i = 0; i < 3; i++)
        CHECK(weft_thread_start(c[i]));
    CHECK(weft_thread_join(t, WEFT_FOREVER));
    weft_thread_destroy(t);
    for (int i = 0; i < 3; i++) {
        CHECK(weft_thread_join(c[i], WEFT_FOREVER));
        weft_thread_destroy(c[i]);
    }
    say("\nEnd of main\n");
    return 0;
}
