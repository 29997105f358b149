/* seed002_interleaved.c: three threads writing to stdout at once; join; and what
 * happens when the main thread does not join.
 *
 * Seed: 002_661bf8df3acfe042.txt, "1 Creating Threads" and "2 Joining Threads".
 *
 * Python original:
 *     def myfunc(name):
 *         for i in range (1, 50):
 *             sys.stdout.write(name)
 *             time.sleep(random.random() * 0.1)
 *     thread1 = Thread(target=myfunc, args=("1",))   # and "2", "3"
 *     thread1.start(); thread2.start(); thread3.start()
 *     thread1.join(); thread2.join(); thread3.join()  # section 2 only
 *     print("\nEnd of main Thread")
 *
 * Part 2 here is section 1 (no join): main() returns at once and, as in Python, the
 * process waits for its non-daemon weft threads before it exits, so their output
 * goes on after "End of main Thread".
 */
#include "demo.h"

static void *myfunc(void *arg)
{
    const char *name = arg;
    for (int i = 1; i < 50; i++) {
        fputs(name, stdout);
        fflush(stdout);
        demo_sleep(demo_random() * 0.1);
    }
    say("\n(thread %s wrote its 49 characters)\n", name);
    return NULL;
}

static void start_three(weft_thread *t[3])
{
    static const char *names[3] = {"1", "2", "3"};
    for (int i = 0; i < 3; i++)
        CHECK(weft_thread_create(&t[i], myfunc, (void *)names[i], NULL));
    for (int i = 0; i < 3; i++)
        CHECK(weft_thread_start(t[i]));
}

int main(void)
{
    weft_thread *t[3];
    say("1. With join: main waits for the three threads\n");
    start_three(t);
    for (int i = 0; i < 3; i++) {
        CHECK(weft_thread_join(t[i], WEFT_FOREVER));
        weft_thread_destroy(t[i]);
    }
    say("\nEnd of main Thread\n");

    say("2. Without join: main returns at once\n");
    start_three(t);
    for (int i = 0; i < 3; i++)
        weft_thread_destroy(t[i]);   /* drops our handle; the thread runs on */
    say("\nEnd of main Thread (the process exits when the threads are done)\n");
    return 0;
}
