/* seed002_bounded_semaphore.c: BoundedSemaphore(3): 7 threads, at most 3 inside.
 *
 * Seed: 002_661bf8df3acfe042.txt, "11 Bounded Semaphores".
 *
 * Python original:
 *     class MyClass:
 *         def __call__(self, name):
 *             semaphore.acquire()
 *             print((name + " claimed semaphore")); time.sleep(5)
 *             print(("\t" + name + " released semaphore")); semaphore.release()
 *     semaphore = BoundedSemaphore(3)
 *     t1 = Thread(target = m1, args = ("1",))     # ... t7
 *
 * "Bounded" means releasing more often than acquiring is an error: Python raises
 * ValueError("Semaphore released too many times"); weft returns WEFT_EINVAL and
 * leaves the count unchanged. The program shows that too, and counts how many
 * threads are inside at once.
 */
#include "demo.h"

static weft_semaphore semaphore;
static atomic_int inside, most_inside;

static void *my_class_call(void *arg)
{
    const char *name = arg;
    CHECK(weft_semaphore_acquire(&semaphore, true, WEFT_FOREVER));
    int now = atomic_fetch_add(&inside, 1) + 1;
    int most = atomic_load(&most_inside);
    while (now > most && !atomic_compare_exchange_weak(&most_inside, &most, now))
        ;
    say("%s claimed semaphore\n", name);
    demo_sleep(5.0);
    say("\t%s released semaphore\n", name);
    atomic_fetch_sub(&inside, 1);
    CHECK(weft_semaphore_release(&semaphore, 1));
    return NULL;
}

int main(void)
{
    static const char *names[7] = {"1", "2", "3", "4", "5", "6", "7"};
    weft_thread *t[7];
    CHECK(weft_bounded_semaphore_init(&semaphore, 3));
    for (int i = 0; i < 7; i++)
        CHECK(weft_thread_create(&t[i], my_class_call, (void *)names[i], NULL));
    for (int i = 0; i < 7; i++)
        CHECK(weft_thread_start(t[i]));
    for (int i = 0; i < 7; i++) {
        CHECK(weft_thread_join(t[i], WEFT_FOREVER));
        weft_thread_destroy(t[i]);
    }
    say("\nEnd of main: at most %d threads held the semaphore at once\n",
        atomic_load(&most_inside));
    int rc = weft_semaphore_release(&semaphore, 1);
    CHECK_IS(rc, WEFT_EINVAL);
    say("one release too many: %s (Python: ValueError: Semaphore released too many times); "
        "value still %ld\n", weft_errname(rc), weft_semaphore_value(&semaphore));
    weft_semaphore_destroy(&semaphore);
    return 0;
}
