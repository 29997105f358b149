/* seed002_counter.c: an unprotected and a protected counter, 3 threads x 10 million
 * increments; releasing the lock try/finally-style and with-style.
 *
 * Seed: 002_661bf8df3acfe042.txt, "6 Sharing Data" (and "7 Data Corruption",
 * "8 Atomic Instructions": count1 += 1 is a load, an add and a store).
 *
 * Python original:
 *     N = 10*1000*1000
 *     if name == "A":
 *         for i in range(0, N): M.count1 += 1
 *         M.lock.acquire()
 *         for i in range(0, N): M.count2 += 1
 *         M.lock.release()
 *     if name == "B":                       # try/finally
 *         M.lock.acquire()
 *         try:     for i in range(0, N): M.count2 += 1
 *         finally: M.lock.release()
 *     if name == "C":                       # with
 *         with M.lock: for i in range(0, N): M.count2 += 1
 *     print(f"M.count1: {M.count1}")        # usually less than 30000000
 *     print(f"M.count2: {M.count2}")        # always 30000000
 *   (In the seed, thread C increments count1 only once, not N times: the text says
 *   3 x 10 million, so here all three threads run both loops.)
 *
 * count1 is a deliberate data race, as in the seed: a plain int, read and written
 * through a volatile lvalue so the compiler keeps one load and one store per
 * increment (an optimiser would otherwise fold the loop into one addition and hide
 * the lost updates). It is undefined behaviour by the letter of C11, and
 * ThreadSanitizer reports it, which is why examples/CMakeLists.txt does not run this
 * program under ThreadSanitizer. count2 is only touched with the Lock held and is
 * always exact. C has no exceptions: "finally" is the single exit path after the
 * loop (a goto-cleanup in longer code), and "with" is weft's scoped-lock macro.
 */
#include "demo.h"

#define N (10 * 1000 * 1000)

static int count1;                      /* unprotected */
static long count2;                     /* protected by lock */
static weft_lock lock = WEFT_LOCK_INIT;

static void unprotected_loop(void)
{
    volatile int *c = &count1;
    for (int i = 0; i < N; i++)
        *c = *c + 1;                    /* load, add, store: another thread may store between */
}

static void *thread_a(void *arg)        /* acquire ... release */
{
    unprotected_loop();
    CHECK(weft_lock_acquire(&lock, true, WEFT_FOREVER));
    for (int i = 0; i < N; i++)
        count2 += 1;
    CHECK(weft_lock_release(&lock));
    return NULL;
}

static void *thread_b(void *arg)        /* try/finally */
{
    unprotected_loop();
    CHECK(weft_lock_acquire(&lock, true, WEFT_FOREVER));
    /* try: */
    for (int i = 0; i < N; i++)
        count2 += 1;                    /* an error here would `goto finally` */
    /* finally: */
    CHECK(weft_lock_release(&lock));
    return NULL;
}

static void *thread_c(void *arg)        /* with lock: */
{
    unprotected_loop();
    WEFT_WITH_LOCK(&lock) {
        for (int i = 0; i < N; i++)
            count2 += 1;
    }
    return NULL;
}

int main(void)
{
    weft_thread *t1, *t2, *t3;
    CHECK(weft_thread_create(&t1, thread_a, NULL, NULL));
    CHECK(weft_thread_create(&t2, thread_b, NULL, NULL));
    CHECK(weft_thread_create(&t3, thread_c, NULL, NULL));
    CHECK(weft_thread_start(t1));
    CHECK(weft_thread_start(t2));
    CHECK(weft_thread_start(t3));
    CHECK(weft_thread_join(t1, WEFT_FOREVER));
    CHECK(weft_thread_join(t2, WEFT_FOREVER));
    CHECK(weft_thread_join(t3, WEFT_FOREVER));
    weft_thread_destroy(t1);
    weft_thread_destroy(t2);
    weft_thread_destroy(t3);
    say("\nM.count1: %d   (unprotected: %d updates lost)\n", count1, 3 * N - count1);
    say("M.count2: %ld   (protected: %s)\n", count2,
        count2 == 3L * N ? "exactly 3 x 10 million" : "WRONG");
    return count2 == 3L * N ? 0 : 1;
}
