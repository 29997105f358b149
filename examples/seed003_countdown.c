/* seed003_countdown.c: CountdownThread as a "subclass" and as a function; join,
 * is_alive, names.
 *
 * Seed: 003_aa0c9ec6fed297a8.txt, "threading module", "Functions as threads",
 * "Joining a Thread" and "Thread Methods".
 *
 * Python original:
 *     class CountdownThread(threading.Thread):
 *         def __init__(self, count):
 *             threading.Thread.__init__(self); self.count = count
 *         def run(self):
 *             while self.count > 0:
 *                 print "Counting down", self.count
 *                 self.count -= 1; time.sleep(5)
 *     t1 = CountdownThread(10); t1.start()
 *     def countdown(count): ...the same loop...
 *     t2 = threading.Thread(target=countdown, args=(10,)); t2.start()
 *     t.join(); t.isAlive(); t.getName(); t.setName("threadname")
 *
 * Counts of 5 and 3 and a 1 s step keep the run short (the seed uses 10, 20 and 5 s).
 */
#include "demo.h"

/* The "subclass": the Thread plus the subclass's state, run() reading `self`. */
typedef struct countdown_thread {
    weft_thread *thread;
    int count;
} countdown_thread;

static void *countdown_thread_run(void *arg)
{
    countdown_thread *self = arg;
    while (self->count > 0) {
        say("%s: Counting down %d\n", weft_thread_name(weft_current_thread()), self->count);
        self->count -= 1;
        demo_sleep(1.0);
    }
    return NULL;
}

static int countdown_thread_init(countdown_thread *self, int count)
{
    self->count = count;
    return weft_thread_create(&self->thread, countdown_thread_run, self, NULL);
}

/* The function form: the count travels as the argument. */
static void *countdown(void *arg)
{
    int count = (int)(intptr_t)arg;
    while (count > 0) {
        say("%s: Counting down %d\n", weft_thread_name(weft_current_thread()), count);
        count -= 1;
        demo_sleep(1.0);
    }
    return NULL;
}

int main(void)
{
    countdown_thread t1;
    weft_thread *t2;
    CHECK(countdown_thread_init(&t1, 5));
    CHECK(weft_thread_create(&t2, countdown, (void *)(intptr_t)3, NULL));
    say("t1 is called %s, t2 is called %s\n", weft_thread_name(t1.thread),
        weft_thread_name(t2));
    CHECK(weft_thread_set_name(t2, "countdown-fn"));
    say("t2 renamed: %s\n", weft_thread_name(t2));
    say("before start: t1.is_alive() = %s\n", weft_thread_is_alive(t1.thread) ? "True" : "False");
    CHECK(weft_thread_start(t1.thread));
    CHECK(weft_thread_start(t2));
    say("after start:  t1.is_alive() = %s\n", weft_thread_is_alive(t1.thread) ? "True" : "False");

    CHECK(weft_thread_join(t2, WEFT_FOREVER));
    say("t2 joined; t1.is_alive() = %s (it counts further)\n",
        weft_thread_is_alive(t1.thread) ? "True" : "False");
    CHECK(weft_thread_join(t1.thread, WEFT_FOREVER));
    say("t1 joined; t1.is_alive() = %s, t1.count = %d\n",
        weft_thread_is_alive(t1.thread) ? "True" : "False", t1.count);
    /* "A thread can't join itself": weft says WEFT_ESTATE (Python: RuntimeError). */
    CHECK_IS(weft_thread_join(weft_current_thread(), WEFT_FOREVER), WEFT_ESTATE);
    say("main joining itself: WEFT_ESTATE\n");
    weft_thread_destroy(t1.thread);
    weft_thread_destroy(t2);
    return 0;
}
