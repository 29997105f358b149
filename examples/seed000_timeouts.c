/* seed000_timeouts.c: acquire with a timeout returns false; join with a timeout.
 *
 * Seed: 000_a88cf03b3cba9891.txt, "Timeouts".
 *
 * Python original:
 *     def increase_by_one(array):
 *         l = lock.acquire(timeout=1)
 *         print('Lock: ', l)                  # Lock:  False
 *         for i in range(len(array)): array[i] += 1
 *     t = Thread(target=increase_by_one, args=(data,))
 *     lock.acquire(); t.start()
 *     print('Before Sleeping'); sleep(5); print('After sleeping')
 *     t.join(); print(data[0])                # [2.]
 *   "Timeouts also work for join."
 *
 * weft: weft_lock_acquire(&lock, true, 1.0) returns WEFT_ETIMEDOUT where Python
 * returns False; weft_thread_join(t, 1.0) returns WEFT_ETIMEDOUT while the thread is
 * still alive (Python returns None and you ask t.is_alive()).
 */
#include "demo.h"

#define SIZE 100000

static double data[SIZE];
static weft_lock lock = WEFT_LOCK_INIT;

static void *increase_by_one(void *arg)
{
    int l = weft_lock_acquire(&lock, true, demo_seconds(1.0));
    say("Lock:  %s (%s)\n", l == WEFT_OK ? "True" : "False", weft_errname(l));
    if (l != WEFT_OK)
        CHECK_IS(l, WEFT_ETIMEDOUT);
    for (size_t i = 0; i < SIZE; i++)
        data[i] += 1;   /* as in the seed: done even without the lock */
    return NULL;
}

static void *slow_work(void *arg)
{
    demo_sleep(3.0);
    return NULL;
}

int main(void)
{
    for (size_t i = 0; i < SIZE; i++)
        data[i] = 1.0;

    weft_thread *t;
    CHECK(weft_thread_create(&t, increase_by_one, NULL, NULL));
    CHECK(weft_lock_acquire(&lock, true, WEFT_FOREVER));   /* and never released */
    CHECK(weft_thread_start(t));
    say("Before Sleeping\n");
    demo_sleep(5.0);
    say("After sleeping\n");
    CHECK(weft_thread_join(t, WEFT_FOREVER));
    weft_thread_destroy(t);
    say("[%g]\n", data[0]);

    /* join(timeout=1) on a thread that works for 3 seconds */
    weft_thread *w;
    CHECK(weft_thread_create(&w, slow_work, NULL, NULL));
    CHECK(weft_thread_start(w));
    int rc = weft_thread_join(w, demo_seconds(1.0));
    CHECK_IS(rc, WEFT_ETIMEDOUT);
    say("join(timeout=1): %s, is_alive() = %s\n", weft_errname(rc),
        weft_thread_is_alive(w) ? "True" : "False");
    CHECK(weft_thread_join(w, WEFT_FOREVER));
    say("join(): WEFT_OK, is_alive() = %s\n", weft_thread_is_alive(w) ? "True" : "False");
    weft_thread_destroy(w);
    CHECK(weft_lock_release(&lock));
    return 0;
}
