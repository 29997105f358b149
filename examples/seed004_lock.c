/* seed004_lock.c: a Lock shared by two threads, one writing a shared list, the other
 * reading it.
 *
 * Seed: 004_2633024b5bf1a899.txt, "Lock" (the example with sharedState).
 *
 * Python original:
 *     sharedState = [1, 2, 3]
 *     my_lock = Lock()
 *     def thread1_operations():
 *         my_lock.acquire()
 *         print("{0} has acquired the lock".format(current_thread().getName()))
 *         time.sleep(3)
 *         sharedState[0] = 777
 *         print("{0} about to release the lock".format(...)); my_lock.release()
 *         print("{0} released the lock".format(...))
 *     def thread2_operations():
 *         print("{0} is attempting to acquire the lock".format(...))
 *         my_lock.acquire()
 *         print("{0} has acquired the lock".format(...)); print(sharedState[0])
 *         ...; my_lock.release()
 *
 * In the seed thread2 blocks "because" thread1 started first and sleeps 3 s with the
 * lock held. Here thread2 is started only once thread1 holds the lock (main polls a
 * flag thread1 sets), so thread2 always prints 777.
 */
#include "demo.h"

static int shared_state[3] = {1, 2, 3};
static weft_lock my_lock = WEFT_LOCK_INIT;
static atomic_bool thread1_has_lock;

static const char *me(void) { return weft_thread_name(weft_current_thread()); }

static void *thread1_operations(void *arg)
{
    CHECK(weft_lock_acquire(&my_lock, true, WEFT_FOREVER));
    say("%s has acquired the lock\n", me());
    atomic_store(&thread1_has_lock, true);
    demo_sleep(3.0);
    shared_state[0] = 777;
    say("%s about to release the lock\n", me());
    CHECK(weft_lock_release(&my_lock));
    say("%s released the lock\n", me());
    return NULL;
}

static void *thread2_operations(void *arg)
{
    say("%s is attempting to acquire the lock\n", me());
    CHECK(weft_lock_acquire(&my_lock, true, WEFT_FOREVER));
    say("%s has acquired the lock\n", me());
    say("%d\n", shared_state[0]);
    say("%s about to release the lock\n", me());
    CHECK(weft_lock_release(&my_lock));
    say("%s released the lock\n", me());
    return NULL;
}

int main(void)
{
    weft_thread *thread1, *thread2;
    weft_thread_attr a1 = { .name = "thread1" }, a2 = { .name = "thread2" };
    CHECK(weft_thread_create(&thread1, thread1_operations, NULL, &a1));
    CHECK(weft_thread_create(&thread2, thread2_operations, NULL, &a2));
    CHECK(weft_thread_start(thread1));
    /* Start thread2 once thread1 has the lock (it holds it until shared_state[0] is
     * 777, so thread2 reads 777 whenever it gets the lock). */
    while (!atomic_load(&thread1_has_lock))
        demo_sleep(0.001);
    CHECK(weft_thread_start(thread2));
    CHECK(weft_thread_join(thread1, WEFT_FOREVER));
    CHECK(weft_thread_join(thread2, WEFT_FOREVER));
    weft_thread_destroy(thread1);
    weft_thread_destroy(thread2);
    return 0;
}
