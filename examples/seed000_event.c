/* seed000_event.c: an Event releases two workers once the data is ready; an Event
 * stops a thread that would otherwise run forever.
 *
 * Seed: 000_a88cf03b3cba9891.txt, "Events" and "Stopping Threads with Events".
 *
 * Python original:
 *     def increase_by_one(array):             # two threads run this
 *         print('Waiting for event')
 *         l = evnt.wait()
 *         print('Increasing by one')
 *         for i in range(len(array)): array[i] += 1
 *     ... prepare data ...; print('Data Ready. Setting event'); evnt.set()
 *
 *     def increase_by_one(array):             # runs until the event is set
 *         while True:
 *             if event.is_set(): break
 *             for i in range(len(array)): array[i] += 1
 *             sleep(0.1)
 *     t.start(); sleep(1); event.set(); t.join(); print(data[0])   # about 10
 */
#include "demo.h"

#define SIZE 100000

static double data[SIZE];
static weft_lock data_lock = WEFT_LOCK_INIT;  /* two workers add to the same array */
static weft_event evnt;
static weft_event stop;

static void *wait_then_increase(void *arg)
{
    say("%s: Waiting for event\n", weft_thread_name(weft_current_thread()));
    CHECK(weft_event_wait(&evnt, WEFT_FOREVER));
    say("%s: Increasing by one\n", weft_thread_name(weft_current_thread()));
    CHECK(weft_lock_acquire(&data_lock, true, WEFT_FOREVER));
    for (size_t i = 0; i < SIZE; i++)
        data[i] += 1;
    CHECK(weft_lock_release(&data_lock));
    return NULL;
}

static void *increase_until_stopped(void *arg)
{
    int rounds = 0;
    say("Starting to increase by one\n");
    while (!weft_event_is_set(&stop)) {
        for (size_t i = 0; i < SIZE; i++)
            data[i] += 1;
        rounds++;
        demo_sleep(0.1);
    }
    say("Finishing after %d rounds\n", rounds);
    return NULL;
}

int main(void)
{
    weft_thread *t, *t2;
    weft_event_init(&evnt);
    weft_event_init(&stop);

    say("1. Two workers wait for the data\n");
    CHECK(weft_thread_create(&t, wait_then_increase, NULL, NULL));
    CHECK(weft_thread_create(&t2, wait_then_increase, NULL, NULL));
    CHECK(weft_thread_start(t));
    CHECK(weft_thread_start(t2));
    for (size_t i = 0; i < SIZE; i++)
        data[i] += 1;                         /* zeros -> ones: the data is ready */
    say("Data Ready. Setting event\n");
    CHECK(weft_event_set(&evnt));
    CHECK(weft_thread_join(t, WEFT_FOREVER));
    CHECK(weft_thread_join(t2, WEFT_FOREVER));
    weft_thread_destroy(t);
    weft_thread_destroy(t2);
    say("data[0] = %g (1 from main + 1 from each worker)\n", data[0]);

    say("2. An Event stops a forever-running thread\n");
    for (size_t i = 0; i < SIZE; i++)
        data[i] = 1.0;
    CHECK(weft_thread_create(&t, increase_until_stopped, NULL, NULL));
    CHECK(weft_thread_start(t));
    say("Going to sleep\n");
    demo_sleep(1.0);
    say("Finished sleeping\n");
    CHECK(weft_event_set(&stop));
    CHECK(weft_thread_join(t, WEFT_FOREVER));
    weft_thread_destroy(t);
    say("data[0] = %g (about 10: one round per 0.1 s)\n", data[0]);
    weft_event_destroy(&evnt);
    weft_event_destroy(&stop);
    return 0;
}
