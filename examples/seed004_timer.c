/* seed004_timer.c: a Timer runs say_hi in its own thread; a second one is cancelled
 * before it fires.
 *
 * Seed: 004_2633024b5bf1a899.txt, "Timer".
 *
 * Python original:
 *     def say_hi():
 *         print("{0} says Hi!".format(current_thread().getName()))
 *     timer = Timer(1, say_hi)
 *     timer.start()
 *     time.sleep(2)
 *     print("{0} exiting".format(current_thread().getName()))
 *   "A timer object can also be cancelled using the cancel() method before the
 *   task has been executed."
 */
#include "demo.h"

static atomic_int said;

static void say_hi(void *arg)
{
    say("%s says Hi!\n", weft_thread_name(weft_current_thread()));
    atomic_fetch_add(&said, 1);
}

int main(void)
{
    weft_timer *timer, *cancelled;
    CHECK(weft_timer_create(&timer, demo_seconds(1.0), say_hi, NULL, NULL));
    CHECK(weft_timer_start(timer));
    /* due in a minute: cancel() surely comes first, however slow the machine */
    CHECK(weft_timer_create(&cancelled, 60.0, say_hi, NULL, NULL));
    CHECK(weft_timer_start(cancelled));
    CHECK(weft_timer_cancel(cancelled));
    say("second timer cancelled before it fired\n");
    demo_sleep(2.0);
    CHECK(weft_timer_join(timer, WEFT_FOREVER));
    CHECK(weft_timer_join(cancelled, WEFT_FOREVER));
    say("%s exiting; say_hi ran %d time(s)\n", weft_thread_name(weft_current_thread()),
        atomic_load(&said));
    weft_timer_destroy(timer);
    weft_timer_destroy(cancelled);
    return 0;
}
