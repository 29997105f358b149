/* seed002_locks.c: one Lock serialising four threads; two Locks, two pairs.
 *
 * Seed: 002_661bf8df3acfe042.txt, "4 Locks" and "5 Locks".
 *
 * Python original:
 *     def task(name, lock):
 *         lock.acquire()
 *         for i in range (1, 50):
 *             sys.stdout.write(name)
 *             time.sleep(random.random() * 0.1)
 *         lock.release()
 *     lock = Lock()
 *     t1 = Thread(target = task, args = ("1", lock))      # t2, t3, t4 the same lock
 *   and with two locks:
 *     t1: lockA, t2: lockB, t3: lockA, t4: lockB
 *
 * With one lock the output is four unbroken runs of one digit each. With two, 1 and 3
 * never overlap and 2 and 4 never overlap, but a run of 1s (or 3s) interleaves with a
 * run of 2s (or 4s).
 */
#include "demo.h"

typedef struct task_args {
    const char *name;
    weft_lock *lock;
} task_args;

static void *task(void *arg)
{
    task_args *a = arg;
    CHECK(weft_lock_acquire(a->lock, true, WEFT_FOREVER));
    for (int i = 1; i < 50; i++) {
        fputs(a->name, stdout);
        fflush(stdout);
        demo_sleep(demo_random() * 0.05);
    }
    CHECK(weft_lock_release(a->lock));
    return NULL;
}

static void run(weft_lock *for1, weft_lock *for2, weft_lock *for3, weft_lock *for4)
{
    task_args args[4] = {{"1", for1}, {"2", for2}, {"3", for3}, {"4", for4}};
    weft_thread *t[4];
    for (int i = 0; i < 4; i++) {
        CHECK(weft_thread_create(&t[i], task, &args[i], NULL));
        CHECK(weft_thread_start(t[i]));
    }
    for (int i = 0; i < 4; i++) {
        CHECK(weft_thread_join(t[i], WEFT_FOREVER));
        weft_thread_destroy(t[i]);
    }
    say("\n");
}

int main(void)
{
    weft_lock lock, lockA, lockB;
    weft_lock_init(&lock);
    weft_lock_init(&lockA);
    weft_lock_init(&lockB);
    say("1. One lock shared by four threads\n");
    run(&lock, &lock, &lock, &lock);
    say("2. lockA for threads 1 and 3, lockB for threads 2 and 4\n");
    run(&lockA, &lockB, &lockA, &lockB);
    weft_lock_destroy(&lock);
    weft_lock_destroy(&lockA);
    weft_lock_destroy(&lockB);
    return 0;
}
