/* seed004_barrier.c: Barrier with n_waiting, with an action run by one thread, and
 * abort() breaking the waiters.
 *
 * Seed: 004_2633024b5bf1a899.txt, "Barrier" ("Using a barrier", the action example
 * and "Breaking barriers").
 *
 * Python original:
 *     def thread_task():
 *         time.sleep(random.randint(0, 7))
 *         print("\nCurrently {0} threads blocked on barrier".format(barrier.n_waiting))
 *         barrier.wait()
 *     barrier = Barrier(num_threads, action=when_all_threads_released)
 *     def when_all_threads_released():
 *         print("All threads released, reported by {0}".format(current_thread().getName()))
 *
 *     barrier = Barrier(num_threads + 1)     # one party never comes
 *     ...; time.sleep(3)
 *     print("Main thread about to invoke abort on barrier"); barrier.abort()
 *     # the waiters get BrokenBarrierError
 *
 * weft: wait returns WEFT_EBROKEN to every waiter after abort (Python raises
 * BrokenBarrierError); the action runs in exactly one thread, the last to arrive,
 * before any is released.
 */
#include "demo.h"

enum { num_threads = 5 };
static weft_barrier barrier;
static atomic_int broken_waiters;

static void *thread_task(void *arg)
{
    demo_sleep((double)(intptr_t)arg);     /* random.randint(0, 7), spread evenly here */
    say("Currently %ld threads blocked on barrier\n", weft_barrier_n_waiting(&barrier));
    int index = weft_barrier_wait(&barrier, WEFT_FOREVER);
    if (index < 0)
        CHECK(index);
    return NULL;
}

static int when_all_threads_released(void *arg)
{
    say("All threads released, reported by %s\n", weft_thread_name(weft_current_thread()));
    return 0;   /* >= 0: success (a negative value would break the barrier) */
}

static void *broken_task(void *arg)
{
    say("Currently %ld threads blocked on barrier\n", weft_barrier_n_waiting(&barrier));
    int rc = weft_barrier_wait(&barrier, WEFT_FOREVER);
    CHECK_IS(rc, WEFT_EBROKEN);
    say("Barrier broken (%s)\n", weft_errname(rc));
    atomic_fetch_add(&broken_waiters, 1);
    return NULL;
}

static void run(weft_thread_fn fn)
{
    weft_thread *threads[num_threads];
    for (int i = 0; i < num_threads; i++) {
        CHECK(weft_thread_create(&threads[i], fn, (void *)(intptr_t)(i % 3), NULL));
        CHECK(weft_thread_start(threads[i]));
    }
    if (fn == broken_task) {
        while (weft_barrier_n_waiting(&barrier) < num_threads)   /* all are waiting */
            demo_sleep(0.01);
        say("Main thread about to invoke abort on barrier\n");
        CHECK(weft_barrier_abort(&barrier));
    }
    for (int i = 0; i < num_threads; i++) {
        CHECK(weft_thread_join(threads[i], WEFT_FOREVER));
        weft_thread_destroy(threads[i]);
    }
}

int main(void)
{
    say("1. Barrier(5): n_waiting\n");
    CHECK(weft_barrier_init(&barrier, num_threads, NULL, NULL, WEFT_FOREVER));
    run(thread_task);
    weft_barrier_destroy(&barrier);

    say("2. Barrier(5, action=when_all_threads_released)\n");
    CHECK(weft_barrier_init(&barrier, num_threads, when_all_threads_released, NULL,
                            WEFT_FOREVER));
    run(thread_task);
    weft_barrier_destroy(&barrier);

    say("3. Barrier(6) with 5 threads, then abort()\n");
    CHECK(weft_barrier_init(&barrier, num_threads + 1, NULL, NULL, WEFT_FOREVER));
    run(broken_task);
    say("%d waiters got WEFT_EBROKEN; broken = %s\n", atomic_load(&broken_waiters),
        weft_barrier_broken(&barrier) ? "True" : "False");
    weft_barrier_destroy(&barrier);
    return 0;
}
