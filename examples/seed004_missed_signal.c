/* seed004_missed_signal.c: a notify that comes before the wait is lost; a
 * Semaphore(0) remembers it.
 *
 * Seed: 004_2633024b5bf1a899.txt, "Semaphores": "Missed Signal" and "Fixing missed
 * signal".
 *
 * Python original:
 *     def task1():
 *         cond_var.acquire(); cond_var.wait(); cond_var.release()
 *     def task2():
 *         cond_var.acquire(); cond_var.notify(); cond_var.release()
 *     thread2 = Thread(target=task2); thread2.start()   # notifies first
 *     time.sleep(3)
 *     thread1 = Thread(target=task1); thread1.start()   # waits forever
 *   and the fix:
 *     def task1(): sem.acquire()
 *     def task2(): sem.release()
 *     sem = Semaphore(0)
 *
 * Where Python never exits, task1 here waits with a timeout and reports the missed
 * signal. Meanwhile main asks weft who waits for what: weft_debug_dump prints every
 * thread and the object it is blocked on, for how long (a lost notify is no
 * deadlock cycle, so only the dump can show it; docs/debugging.md). Instead of the seed's sleep(3), task1 starts after task2 has finished
 * (join), which makes "notify before wait" certain.
 */
#include "demo.h"

static weft_condition cond_var = WEFT_CONDITION_INIT;
static weft_semaphore sem;

static void *task1_condition(void *arg)
{
    CHECK(weft_condition_acquire(&cond_var, true, WEFT_FOREVER));
    double patience = demo_seconds(3.0);
    int rc = weft_condition_wait(&cond_var, patience);
    CHECK_IS(rc, WEFT_ETIMEDOUT);
    say("task1: wait() -> %s after %.1f s: the notify came before the wait and is "
        "lost (Python hangs here)\n", weft_errname(rc), patience);
    CHECK(weft_condition_release(&cond_var));
    return NULL;
}

static void *task2_condition(void *arg)
{
    CHECK(weft_condition_acquire(&cond_var, true, WEFT_FOREVER));
    say("task2: notify() with nobody waiting\n");
    CHECK(weft_condition_notify(&cond_var, 1));
    CHECK(weft_condition_release(&cond_var));
    return NULL;
}

static void *task1_semaphore(void *arg)
{
    CHECK(weft_semaphore_acquire(&sem, true, WEFT_FOREVER));
    say("task1: acquire() returned at once: the semaphore kept the release\n");
    return NULL;
}

static void *task2_semaphore(void *arg)
{
    say("task2: release() with nobody waiting\n");
    CHECK(weft_semaphore_release(&sem, 1));
    return NULL;
}

static void run(weft_thread_fn task1, weft_thread_fn task2, bool dump)
{
    weft_thread *thread1, *thread2;
    CHECK(weft_thread_create(&thread2, task2, NULL, NULL));
    CHECK(weft_thread_start(thread2));
    CHECK(weft_thread_join(thread2, WEFT_FOREVER));   /* the signal is sent */
    CHECK(weft_thread_create(&thread1, task1, NULL, NULL));
    CHECK(weft_thread_start(thread1));
    if (dump && weft_thread_join(thread1, demo_seconds(1.0)) == WEFT_ETIMEDOUT) {
        say("main: thread1 is still running; the thread dump:\n");
        fflush(stdout);
        CHECK(weft_debug_dump(stdout));
    }
    CHECK(weft_thread_join(thread1, WEFT_FOREVER));
    weft_thread_destroy(thread1);
    weft_thread_destroy(thread2);
}

int main(void)
{
    CHECK(weft_debug_name(&cond_var, "cond_var"));   /* names appear in the dump */
    say("1. Condition: the missed signal\n");
    run(task1_condition, task2_condition, true);
    say("2. Semaphore(0): the fix\n");
    CHECK(weft_semaphore_init(&sem, 0));
    run(task1_semaphore, task2_semaphore, false);
    weft_semaphore_destroy(&sem);
    return 0;
}
