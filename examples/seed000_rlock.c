/* seed000_rlock.c: the main thread calls a function that takes the lock it already holds.
 *
 * Seed: 000_a88cf03b3cba9891.txt, "Synchronizing Threads: RLocks".
 *
 * Python original:
 *     lock.acquire()
 *     t = Thread(target=increase_by_one, args=(data,))
 *     t2 = Thread(target=divide, args=(data,))
 *     t2.start(); t.start()
 *     increase_by_one(data)        # with lock: ... -> hangs forever with a Lock
 *     lock.release()
 *   and the fix:  lock = RLock()   # the owner may acquire it again
 *
 * A plain Lock is not reentrant in weft either: a second acquire by the holder
 * blocks. Where Python hangs forever, weft's deadlock detector (on by default,
 * docs/debugging.md) sees that the waiting thread holds the lock itself: it writes
 * a report naming the thread and the lock to stderr, and the acquire returns
 * WEFT_EDEADLK instead of hanging.
 */
#include "demo.h"

#define SIZE 100000

static double data[SIZE];
static weft_lock lock = WEFT_LOCK_INIT;
static weft_rlock rlock = WEFT_RLOCK_INIT;
static bool reentrant;

static int take(double timeout)
{
    return reentrant ? weft_rlock_acquire(&rlock, true, timeout)
                     : weft_lock_acquire(&lock, true, timeout);
}

static void give(void)
{
    CHECK(reentrant ? weft_rlock_release(&rlock) : weft_lock_release(&lock));
}

static void *increase_by_one(void *arg)
{
    CHECK(take(WEFT_FOREVER));
    for (size_t i = 0; i < SIZE; i++)
        data[i] += 1;
    give();
    return NULL;
}

static void *divide(void *arg)
{
    CHECK(take(WEFT_FOREVER));
    for (size_t i = 0; i < SIZE; i++)
        data[i] /= 1.1;
    give();
    return NULL;
}

static void run(void)
{
    weft_thread *t, *t2;
    for (size_t i = 0; i < SIZE; i++)
        data[i] = 1.0;
    CHECK(take(WEFT_FOREVER));
    CHECK(weft_thread_create(&t, increase_by_one, NULL, NULL));
    CHECK(weft_thread_create(&t2, divide, NULL, NULL));
    CHECK(weft_thread_start(t2));
    CHECK(weft_thread_start(t));

    /* increase_by_one(data) on the main thread, which holds the lock. */
    int rc = take(WEFT_FOREVER);
    if (rc == WEFT_OK) {
        say("main: took the %s again (recursion count %u); increasing by one\n",
            reentrant ? "RLock" : "Lock", (unsigned)weft_rlock_recursion_count(&rlock));
        for (size_t i = 0; i < SIZE; i++)
            data[i] += 1;
        give();
    } else {
        CHECK_IS(rc, WEFT_EDEADLK);
        say("main: lock.acquire() -> %s: main holds the Lock itself; Python would hang "
            "here forever (weft's report is above)\n", weft_errname(rc));
    }
    give();   /* lock.release(): now the two threads may run */
    CHECK(weft_thread_join(t, WEFT_FOREVER));
    CHECK(weft_thread_join(t2, WEFT_FOREVER));
    weft_thread_destroy(t);
    weft_thread_destroy(t2);
    say("data[0] = %.6f\n", data[0]);
}

int main(void)
{
    /* This example shows the report: report mode whatever WEFT_DEADLOCK says. */
    CHECK(weft_deadlock_set_mode(WEFT_DEADLOCK_REPORT));
    CHECK(weft_debug_name(&lock, "lock"));    /* names appear in reports */
    CHECK(weft_debug_name(&rlock, "rlock"));
    say("1. With a Lock\n");
    reentrant = false;
    run();
    say("2. With an RLock\n");
    reentrant = true;
    run();
    return 0;
}
