/* seed004_deadlock.c: two threads, two locks, a deadlock (reported by weft instead
 * of hanging, then fixed), and non-blocking acquire.
 *
 * Seed: 004_2633024b5bf1a899.txt, "Lock": "Deadlock Example" and "Non-blocking lock".
 *
 * Python original:
 *     def thread_one(lock1, lock2):           def thread_two(lock1, lock2):
 *         lock1.acquire()                         lock2.acquire()
 *         time.sleep(1)                           time.sleep(1)
 *         lock2.release()                         lock1.release()
 *     t1 = Thread(target=thread_one, args=(lock1, lock2))
 *     t2 = Thread(target=thread_one, args=(lock1, lock2))   # sic: thread_one twice
 *
 *     def worker(tasks):
 *         for task in tasks:
 *             if task.lock.acquire(blocking=False):   # the seed shows blocking=True
 *                 print(f'{threading.current_thread}, {task.name} begins to start')
 *             else:
 *                 print(f'{threading.current_thread}, {task.name} is working')
 *
 * Part 1 runs the seed's code as written: t1 releases a lock it never acquired
 * (Python: RuntimeError "release unlocked lock"; weft: WEFT_EPERM, nothing changes)
 * and ends still holding lock1; t2 waits for lock1 forever. Python hangs there.
 * weft's deadlock detector (on by default, docs/debugging.md) sees that lock1's
 * holder has finished: it reports it (stderr) and t2's acquire returns
 * WEFT_EDEADLK. Part 2 is the deadlock the text describes (each thread holds one
 * lock and wants the other's, both waiting forever): weft reports the cycle with
 * both threads and both locks, and one of the two waits returns WEFT_EDEADLK; that
 * thread lets go of its lock and the other one goes on. Part 3 fixes it by taking
 * the locks in one order. Part 4: with blocking=True the seed's workers would block
 * forever on the first task lock another worker holds (the locks are never
 * released); with blocking=False a busy task is skipped.
 */
#include "demo.h"

static weft_lock lock1 = WEFT_LOCK_INIT, lock2 = WEFT_LOCK_INIT;
static atomic_int holding;   /* part 2: how many threads hold their first lock */

static const char *me(void) { return weft_thread_name(weft_current_thread()); }

/* ---- part 1: the seed's program as written ---- */
static void *thread_one(void *arg)
{
    CHECK(weft_lock_acquire(&lock1, true, WEFT_FOREVER));
    demo_sleep(1.0);
    int rc = weft_lock_release(&lock2);
    CHECK_IS(rc, WEFT_EPERM);
    say("%s: lock2.release() -> %s (Python: RuntimeError: release unlocked lock)\n",
        me(), weft_errname(rc));
    return NULL;
}

static void *thread_one_second(void *arg)   /* t2, also running thread_one */
{
    while (!weft_lock_locked(&lock1))   /* let t1 take it first, as the seed's sleep does */
        demo_sleep(0.001);
    int rc = weft_lock_acquire(&lock1, true, WEFT_FOREVER);
    CHECK_IS(rc, WEFT_EDEADLK);
    say("%s: lock1.acquire() -> %s: t1 ended without releasing lock1, so nobody ever "
        "will; Python would wait forever (weft's report is above)\n", me(),
        weft_errname(rc));
    return NULL;
}

/* ---- part 2 and 3: lock order ---- */
typedef struct order {
    weft_lock *first, *second;
    const char *first_name, *second_name;
    bool meet;   /* wait until both threads hold their first lock */
} order;

static void *take_both(void *arg)
{
    const order *o = arg;
    CHECK(weft_lock_acquire(o->first, true, WEFT_FOREVER));
    atomic_fetch_add(&holding, 1);
    /* Part 2 waits until both threads hold their first lock: the deadlock is certain
     * (the seed's sleep(1) only makes it likely). */
    while (o->meet && atomic_load(&holding) < 2)
        demo_sleep(0.001);
    int rc = weft_lock_acquire(o->second, true, WEFT_FOREVER);
    if (rc == WEFT_OK) {
        say("%s: holds %s and %s, works, releases both\n", me(), o->first_name,
            o->second_name);
        CHECK(weft_lock_release(o->second));
    } else {
        CHECK_IS(rc, WEFT_EDEADLK);
        say("%s: holds %s, waited for %s: %s - deadlock (weft's report is above); "
            "releases %s\n", me(), o->first_name, o->second_name, weft_errname(rc),
            o->first_name);
    }
    CHECK(weft_lock_release(o->first));
    return NULL;
}

static void run_pair(weft_thread_fn f1, void *a1, weft_thread_fn f2, void *a2)
{
    weft_thread *t1, *t2;
    weft_thread_attr n1 = { .name = "t1" }, n2 = { .name = "t2" };
    CHECK(weft_thread_create(&t1, f1, a1, &n1));
    CHECK(weft_thread_create(&t2, f2, a2, &n2));
    CHECK(weft_thread_start(t1));
    CHECK(weft_thread_start(t2));
    CHECK(weft_thread_join(t1, WEFT_FOREVER));
    CHECK(weft_thread_join(t2, WEFT_FOREVER));
    weft_thread_destroy(t1);
    weft_thread_destroy(t2);
}

/* ---- part 4: non-blocking acquire ---- */
typedef struct task {
    char name[16];
    weft_lock lock;
} task;

static task tasks[10];
static atomic_int started, busy;

static void *worker(void *arg)
{
    for (int i = 0; i < 10; i++) {
        demo_sleep(0.001);
        if (weft_lock_acquire(&tasks[i].lock, false, WEFT_FOREVER) == WEFT_OK) {
            say("%s, %s begins to start\n", me(), tasks[i].name);
            atomic_fetch_add(&started, 1);
        } else {
            say("%s, %s is working\n", me(), tasks[i].name);
            atomic_fetch_add(&busy, 1);
        }
    }
    return NULL;
}

int main(void)
{
    /* This example shows the report: report mode whatever WEFT_DEADLOCK says. */
    CHECK(weft_deadlock_set_mode(WEFT_DEADLOCK_REPORT));
    CHECK(weft_debug_name(&lock1, "lock1"));   /* names appear in reports */
    CHECK(weft_debug_name(&lock2, "lock2"));
    say("1. The seed's program as written\n");
    run_pair(thread_one, NULL, thread_one_second, NULL);
    CHECK(weft_lock_release(&lock1));   /* t1 left lock1 locked */

    say("2. t1 takes lock1 then lock2, t2 takes lock2 then lock1\n");
    order o1 = { &lock1, &lock2, "lock1", "lock2", true };
    order o2 = { &lock2, &lock1, "lock2", "lock1", true };
    run_pair(take_both, &o1, take_both, &o2);

    say("3. The fix: both take lock1 first\n");
    order same = { &lock1, &lock2, "lock1", "lock2", false };
    run_pair(take_both, &same, take_both, &same);

    say("4. Non-blocking acquire: 5 workers, 10 tasks\n");
    for (int i = 0; i < 10; i++) {
        snprintf(tasks[i].name, sizeof tasks[i].name, "task-%d", i);
        weft_lock_init(&tasks[i].lock);
    }
    weft_thread *w[5];
    for (int i = 0; i < 5; i++) {
        char name[16];
        snprintf(name, sizeof name, "worker-%d", i);
        weft_thread_attr a = { .name = name };
        CHECK(weft_thread_create(&w[i], worker, NULL, &a));
        CHECK(weft_thread_start(w[i]));
    }
    for (int i = 0; i < 5; i++) {
        CHECK(weft_thread_join(w[i], WEFT_FOREVER));
        weft_thread_destroy(w[i]);
    }
    say("%d tasks started (each by one worker), %d times a task was found busy\n",
        atomic_load(&started), atomic_load(&busy));
    return 0;
}
