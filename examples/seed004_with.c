/* seed004_with.c: `with lock:` in C: the lock is released however the block is left.
 *
 * Seed: 004_2633024b5bf1a899.txt, "With" ("Using With Statement in Multithreading");
 * also 002_661bf8df3acfe042.txt "6 Sharing Data" (with is exception safe).
 *
 * Python original:
 *     def thread1_operations():
 *         with my_lock:
 *             print("{0} has acquired the lock".format(current_thread().getName()))
 *             time.sleep(3)
 *             sharedState[0] = 777
 *             print("{0} about to release the lock".format(...))
 *         print("{0} released the lock".format(...))
 *     def thread2_operations():
 *         print("{0} is attempting to acquire the lock".format(...))
 *         with my_lock:
 *             print("{0} has acquired the lock".format(...)); print(sharedState[0])
 *
 * weft/with.h gives WEFT_WITH_LOCK(&lock) { ... }: the block runs with the lock held
 * and the lock is released on every way out - the end of the block, return, break,
 * goto - which is what makes `with` safer than acquire/release in pairs. (gcc and
 * clang: it uses the cleanup attribute.)
 */
#include "demo.h"

static int shared_state[3] = {1, 2, 3};
static weft_lock my_lock = WEFT_LOCK_INIT;
static atomic_bool thread1_has_lock;

static const char *me(void) { return weft_thread_name(weft_current_thread()); }

static void *thread1_operations(void *arg)
{
    WEFT_WITH_LOCK(&my_lock) {
        say("%s has acquired the lock\n", me());
        atomic_store(&thread1_has_lock, true);
        demo_sleep(3.0);
        shared_state[0] = 777;
        say("%s about to release the lock\n", me());
    }
    say("%s released the lock\n", me());
    return NULL;
}

static void *thread2_operations(void *arg)
{
    say("%s is attempting to acquire the lock\n", me());
    WEFT_WITH_LOCK(&my_lock) {
        say("%s has acquired the lock\n", me());
        say("%d\n", shared_state[0]);
        say("%s about to release the lock\n", me());
    }
    say("%s released the lock\n", me());
    return NULL;
}

/* An early return from inside the block still releases the lock (Python: an
 * exception or return inside `with`). */
static int first_negative(const int *v, int n)
{
    WEFT_WITH_LOCK(&my_lock) {
        for (int i = 0; i < n; i++)
            if (v[i] < 0)
                return i;
    }
    return -1;
}

int main(void)
{
    weft_thread *thread1, *thread2;
    weft_thread_attr a1 = { .name = "thread1" }, a2 = { .name = "thread2" };
    CHECK(weft_thread_create(&thread1, thread1_operations, NULL, &a1));
    CHECK(weft_thread_create(&thread2, thread2_operations, NULL, &a2));
    CHECK(weft_thread_start(thread1));
    while (!atomic_load(&thread1_has_lock))   /* thread2 starts once thread1 holds it */
        demo_sleep(0.001);
    CHECK(weft_thread_start(thread2));
    CHECK(weft_thread_join(thread1, WEFT_FOREVER));
    CHECK(weft_thread_join(thread2, WEFT_FOREVER));
    weft_thread_destroy(thread1);
    weft_thread_destroy(thread2);

    int v[] = {3, 1, -4, 1};
    say("first negative at %d; after the early return the lock is %s\n",
        first_negative(v, 4), weft_lock_locked(&my_lock) ? "LOCKED" : "unlocked");
    return 0;
}
