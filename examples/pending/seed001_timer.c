/* seed001_timer.c: a Timer runs a function once, later, in its own thread.
 *
 * Seed: 001_e760d7e4a4782a84.txt, "Timers"; also 002_661bf8df3acfe042.txt,
 * "13 Timers".
 *
 * Python original:
 *     def timer_event():
 *         logger.debug('Our timer fired')
 *     timer = threading.Timer(5.0, timer_event)
 *     timer.start()
 *     logger.debug('Main completed')           # printed first
 *
 *     def hello(): print("hello, world")
 *     t = Timer(15.0, hello); t.start()         # after 15 seconds, "hello, world"
 *
 * As in Python, a timer is a (non-daemon) thread: main may finish first and the
 * process still waits for the timer to fire; here main joins them to show it.
 */
#include "demo.h"

static void *timer_event(void *arg)
{
    say("DEBUG:root:Our timer fired\n");
    return NULL;
}

static void *hello(void *arg)
{
    say("hello, world\n");
    return NULL;
}

int main(void)
{
    weft_timer *timer, *t;
    CHECK(weft_timer_create(&timer, 5.0 * demo_seconds(1.0), timer_event, NULL));
    CHECK(weft_timer_start(timer));
    CHECK(weft_timer_create(&t, 15.0 * demo_seconds(1.0), hello, NULL));
    CHECK(weft_timer_start(t));
    say("DEBUG:root:Main completed\n");
    CHECK(weft_timer_join(timer, WEFT_FOREVER));
    CHECK(weft_timer_join(t, WEFT_FOREVER));
    weft_timer_destroy(timer);
    weft_timer_destroy(t);
    return 0;
}
