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
 * As in Python, a started timer is a non-daemon thread: main returns first and
 * the process still waits for both timers to fire (weft's exit rule).
 */
#include "demo.h"

static void timer_event(void *arg)
{
    say("DEBUG:root:Our timer fired\n");
}

static void hello(void *arg)
{
    say("hello, world\n");
}

int main(void)
{
    weft_timer *timer, *t;
    CHECK(weft_timer_create(&timer, demo_seconds(5.0), timer_event, NULL, NULL));
    CHECK(weft_timer_start(timer));
    CHECK(weft_timer_create(&t, demo_seconds(15.0), hello, NULL, NULL));
    CHECK(weft_timer_start(t));
    say("DEBUG:root:Main completed\n");
    weft_timer_destroy(timer);   /* drops our handles: a started timer still fires */
    weft_timer_destroy(t);
    return 0;                    /* exit waits for the two non-daemon timers */
}
