/* seed004_condition.c: Condition basics: wait without the lock is an error; a
 * Condition over your own Lock; wait(timeout); notify_all to three waiters.
 *
 * Seed: 004_2633024b5bf1a899.txt, "Condition Variables": "Incorrect way of using
 * condition variables", "Creating a condition variable by passing a custom lock",
 * "wait(n)" and "notify_all()".
 *
 * Python original:
 *     cond_var = Condition(); cond_var.wait()       # throws an error
 *     lock = Lock(); cond_var = Condition(lock)     # pass custom lock
 *
 *     def child_task():
 *         cond_var.acquire()
 *         if (flag == False): cond_var.wait(1)
 *         if (flag == False): print("child thread times out waiting for a notification")
 *         cond_var.release()
 *
 *   notify_all(): "three threads wait on a condition variable before notify_all()
 *   is used to wake them all" (the seed's snippet for this is missing; this is it).
 *
 * weft: wait without the lock returns WEFT_EPERM (Python: RuntimeError "cannot wait
 * on un-acquired lock"); wait(1) returns WEFT_ETIMEDOUT (Python: False).
 */
#include "demo.h"

static weft_lock lock = WEFT_LOCK_INIT;
static weft_condition cond_var;
static bool flag;        /* guarded by cond_var (i.e. by lock) */
static int waiting;      /* guarded by cond_var */

static void *child_task(void *arg)
{
    CHECK(weft_condition_acquire(&cond_var, true, WEFT_FOREVER));
    if (!flag) {
        int rc = weft_condition_wait(&cond_var, demo_seconds(1.0));
        CHECK_IS(rc, WEFT_ETIMEDOUT);
    }
    if (!flag)
        say("child thread times out waiting for a notification\n");
    CHECK(weft_condition_release(&cond_var));
    return NULL;
}

static void *waiter(void *arg)
{
    const char *me = weft_thread_name(weft_current_thread());
    CHECK(weft_condition_acquire(&cond_var, true, WEFT_FOREVER));
    waiting++;
    say("%s waits\n", me);
    CHECK(weft_condition_notify_all(&cond_var));   /* tell main one more is waiting */
    while (!flag)
        CHECK(weft_condition_wait(&cond_var, WEFT_FOREVER));
    say("%s woken, has the lock\n", me);
    CHECK(weft_condition_release(&cond_var));
    return NULL;
}

int main(void)
{
    say("1. wait() without holding the lock\n");
    weft_condition plain;
    weft_condition_init(&plain);
    int rc = weft_condition_wait(&plain, WEFT_FOREVER);
    CHECK_IS(rc, WEFT_EPERM);
    say("cond_var.wait() -> %s: %s\n", weft_errname(rc), weft_strerror(rc));
    weft_condition_destroy(&plain);

    say("2. Condition(lock) and wait(1)\n");
    CHECK(weft_condition_init_lock(&cond_var, &lock));
    weft_thread *thread;
    CHECK(weft_thread_create(&thread, child_task, NULL, NULL));
    CHECK(weft_thread_start(thread));
    demo_sleep(3.0);
    CHECK(weft_thread_join(thread, WEFT_FOREVER));
    weft_thread_destroy(thread);

    say("3. notify_all wakes all three waiters\n");
    weft_thread *t[3];
    for (int i = 0; i < 3; i++) {
        CHECK(weft_thread_create(&t[i], waiter, NULL, NULL));
        CHECK(weft_thread_start(t[i]));
    }
    CHECK(weft_condition_acquire(&cond_var, true, WEFT_FOREVER));
    while (waiting < 3)                              /* all three are in wait() */
        CHECK(weft_condition_wait(&cond_var, WEFT_FOREVER));
    flag = true;
    say("main: notify_all()\n");
    CHECK(weft_condition_notify_all(&cond_var));
    CHECK(weft_condition_release(&cond_var));
    for (int i = 0; i < 3; i++) {
        CHECK(weft_thread_join(t[i], WEFT_FOREVER));
        weft_thread_destroy(t[i]);
    }
    weft_condition_destroy(&cond_var);
    return 0;
}
