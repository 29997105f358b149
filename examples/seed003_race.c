/* seed003_race.c: x += 1 in one thread, x -= 1 in another: the result is not 0; with
 * a mutex Lock it is.
 *
 * Seed: 003_aa0c9ec6fed297a8.txt, "Race Condition", "Mutex Locks" and "Use of Mutex
 * Locks".
 *
 * Python original:
 *     x = 0
 *     def foo():
 *         global x
 *         for i in xrange(100000000): x += 1
 *     def bar():
 *         global x
 *         for i in xrange(100000000): x -= 1
 *     t1 = threading.Thread(target=foo); t2 = threading.Thread(target=bar)
 *     t1.start(); t2.start(); t1.join(); t2.join()
 *     x                                      # -834018 ???
 *   and the fix:
 *     x_lock.acquire(); x = x + 1; x_lock.release()
 *
 * Part 1 is a deliberate data race: x is accessed through a volatile lvalue so each
 * += is a separate load and store, as LOAD_GLOBAL ... STORE_GLOBAL are in the seed.
 * ThreadSanitizer would report it, so the CTest run skips this program under
 * WEFT_SANITIZE=thread. 10 million rounds each are plenty in C.
 */
#include "demo.h"

#define ROUNDS 10000000

static int x;
static weft_lock x_lock = WEFT_LOCK_INIT;
static bool locked;

static void *foo(void *arg)
{
    volatile int *px = &x;
    for (int i = 0; i < ROUNDS; i++) {
        if (locked) {
            CHECK(weft_lock_acquire(&x_lock, true, WEFT_FOREVER));
            *px = *px + 1;
            CHECK(weft_lock_release(&x_lock));
        } else {
            *px = *px + 1;
        }
    }
    return NULL;
}

static void *bar(void *arg)
{
    volatile int *px = &x;
    for (int i = 0; i < ROUNDS; i++) {
        if (locked) {
            CHECK(weft_lock_acquire(&x_lock, true, WEFT_FOREVER));
            *px = *px - 1;
            CHECK(weft_lock_release(&x_lock));
        } else {
            *px = *px - 1;
        }
    }
    return NULL;
}

static void run(void)
{
    weft_thread *t1, *t2;
    x = 0;
    CHECK(weft_thread_create(&t1, foo, NULL, NULL));
    CHECK(weft_thread_create(&t2, bar, NULL, NULL));
    CHECK(weft_thread_start(t1));
    CHECK(weft_thread_start(t2));
    CHECK(weft_thread_join(t1, WEFT_FOREVER));
    CHECK(weft_thread_join(t2, WEFT_FOREVER));
    weft_thread_destroy(t1);
    weft_thread_destroy(t2);
}

int main(void)
{
    locked = false;
    run();
    say("without a lock: x = %d%s\n", x, x == 0 ? " (lucky this time; run it again)" : "   ???");
    locked = true;
    run();
    say("with x_lock:    x = %d\n", x);
    return x == 0 ? 0 : 1;
}
