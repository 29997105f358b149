/* seed002_event.c: three callable objects wait on one Event; main sets it and all
 * three proceed.
 *
 * Seed: 002_661bf8df3acfe042.txt, "10 Events".
 *
 * Python original:
 *     class MyClass:
 *         def __call__(self, name):
 *             print(f"{name} waiting for event"); event.wait()
 *             print(f"\t{name} proceeding after event")
 *     event = Event()
 *     t1 = Thread(target = m1, args = ("1",))      # t2, t3 the same
 *     t1.start(); t2.start(); t3.start()
 *     print("... main waiting for 15 seconds"); time.sleep(15)
 *     print("... main clearing event flag")        # (it sets it)
 *     event.set()
 */
#include "demo.h"

static weft_event event;

static void *my_class_call(void *arg)
{
    const char *name = arg;
    say("%s waiting for event\n", name);
    CHECK(weft_event_wait(&event, WEFT_FOREVER));
    say("\t%s proceeding after event\n", name);
    return NULL;
}

int main(void)
{
    static const char *names[3] = {"1", "2", "3"};
    weft_thread *t[3];
    weft_event_init(&event);
    for (int i = 0; i < 3; i++) {
        CHECK(weft_thread_create(&t[i], my_class_call, (void *)names[i], NULL));
        CHECK(weft_thread_start(t[i]));
    }
    say("... main waiting for 15 seconds\n");
    demo_sleep(15.0);
    say("... main setting the event flag\n");
    CHECK(weft_event_set(&event));
    for (int i = 0; i < 3; i++) {
        CHECK(weft_thread_join(t[i], WEFT_FOREVER));
        weft_thread_destroy(t[i]);
    }
    say("\nEnd of main\n");
    weft_event_destroy(&event);
    return 0;
}
