/* seed000_shared_array.c: two threads changing one shared array, with and without a Lock.
 *
 * Seed: 000_a88cf03b3cba9891.txt, "Shared Memory" / "A More Extreme Example" and
 * "Synchronizing Threads with Locks" (including the main thread holding the lock).
 *
 * Python original:
 *     def increase_by_one(array):            def divide(array):
 *         for i in range(len(array)):            for i in range(len(array)):
 *             array[i] += 1                          array[i] /= 1.1
 *     t = Thread(target=increase_by_one, args=(data,))
 *     t2 = Thread(target=divide, args=(data,))
 *     t.start(); t2.start(); t.join(); t2.join()
 *     print(np.max(data)); print(np.min(data))     # may differ run to run
 *   and the fix:   with lock: for i in ...: array[i] += 1
 *   and:           lock.acquire(); ...start both...; print('Threads are still not running')
 *                  data += 10; lock.release()
 *
 * In C the race is the same, only faster, so the array is larger (the seed says:
 * increase the size until you see the effect). Part 1 is a deliberate data race: the
 * elements are volatile so the compiler keeps every load and store, and the CTest run
 * of this program is skipped under ThreadSanitizer, which would (rightly) report it.
 */
#include "demo.h"

#define SIZE 2000000

static volatile double data[SIZE];
static weft_lock lock = WEFT_LOCK_INIT;
static bool use_lock;

static void *increase_by_one(void *arg)
{
    if (use_lock)
        CHECK(weft_lock_acquire(&lock, true, WEFT_FOREVER));
    for (size_t i = 0; i < SIZE; i++)
        data[i] += 1;
    if (use_lock)
        CHECK(weft_lock_release(&lock));
    return NULL;
}

static void *divide(void *arg)
{
    if (use_lock)
        CHECK(weft_lock_acquire(&lock, true, WEFT_FOREVER));
    for (size_t i = 0; i < SIZE; i++)
        data[i] /= 1.1;
    if (use_lock)
        CHECK(weft_lock_release(&lock));
    return NULL;
}

static void fill(double v)
{
    for (size_t i = 0; i < SIZE; i++)
        data[i] = v;
}

static void report(void)
{
    double max = data[0], min = data[0];
    for (size_t i = 1; i < SIZE; i++) {
        if (data[i] > max) max = data[i];
        if (data[i] < min) min = data[i];
    }
    say("max %.6f  min %.6f  -> %s\n", max, min,
        max == min ? "every element saw the same order"
                   : "some elements were divided first, others increased first");
}

/* Start both threads (t2 first when main holds the lock, as in the seed). */
static void run(bool main_holds_lock)
{
    weft_thread *t, *t2;
    CHECK(weft_thread_create(&t, increase_by_one, NULL, NULL));
    CHECK(weft_thread_create(&t2, divide, NULL, NULL));
    if (main_holds_lock) {
        CHECK(weft_lock_acquire(&lock, true, WEFT_FOREVER));
        CHECK(weft_thread_start(t2));
        CHECK(weft_thread_start(t));
        say("Threads are still not running\n");
        for (size_t i = 0; i < SIZE; i++)
            data[i] += 10;
        CHECK(weft_lock_release(&lock));
    } else {
        CHECK(weft_thread_start(t));
        CHECK(weft_thread_start(t2));
    }
    CHECK(weft_thread_join(t, WEFT_FOREVER));
    CHECK(weft_thread_join(t2, WEFT_FOREVER));
    weft_thread_destroy(t);
    weft_thread_destroy(t2);
    report();
}

int main(void)
{
    say("1. No lock: run three times; the result may change from run to run\n");
    use_lock = false;
    for (int i = 0; i < 3; i++) {
        fill(1.0);
        run(false);
    }

    say("2. Each function holds the Lock for its whole loop\n");
    use_lock = true;
    for (int i = 0; i < 3; i++) {
        fill(1.0);
        run(false);
    }

    say("3. The main thread holds the Lock until the data is ready\n");
    fill(1.0);
    run(true);
    return 0;
}
