/* seed004_rlock.c: RLock nesting, a lock left held one level too deep, and release
 * by a thread that does not own it.
 *
 * Seed: 004_2633024b5bf1a899.txt, "RLock" ("Introduction" and "Ownership").
 *
 * Python original:
 *     rlock = RLock()
 *     rlock.acquire(); rlock.acquire(); rlock.release()
 *     # rlock.release()       # UNCOMMENT to make the program exit normally
 *     thread = Thread(target=child_task); thread.start(); thread.join()
 *
 *     rlock.acquire(); rlock.acquire(); rlock.acquire(); rlock.release()
 *     rlock.acquire(); rlock.release(); rlock.release(); rlock.release()
 *
 *     def perform_unlock():
 *         rlock.release()     # RuntimeError: cannot release un-acquired lock
 *     rlock.acquire()         # main owns it
 *     thread = Thread(target=perform_unlock); thread.start(); thread.join()
 *
 * Where Python would hang (the child waiting for a lock main still holds once), the
 * child here waits with a timeout and reports it; then main releases the last level
 * and the child runs. The non-owner's release returns WEFT_EPERM and changes
 * nothing (Python raises RuntimeError).
 */
#include "demo.h"

static weft_rlock rlock = WEFT_RLOCK_INIT;

static void *child_task(void *arg)
{
    double patience = *(double *)arg;
    int rc = weft_rlock_acquire(&rlock, true, patience);
    if (rc == WEFT_ETIMEDOUT) {
        say("child task: still locked after %.1f s (Python would wait forever)\n", patience);
        return NULL;
    }
    CHECK(rc);
    say("child task executing\n");
    CHECK(weft_rlock_release(&rlock));
    return NULL;
}

static void run_child(double patience)
{
    weft_thread *thread;
    CHECK(weft_thread_create(&thread, child_task, &patience, NULL));
    CHECK(weft_thread_start(thread));
    CHECK(weft_thread_join(thread, WEFT_FOREVER));
    weft_thread_destroy(thread);
}

static void *perform_unlock(void *arg)
{
    int rc = weft_rlock_release(&rlock);
    CHECK_IS(rc, WEFT_EPERM);
    say("%s: rlock.release() -> %s: %s (Python: RuntimeError: cannot release "
        "un-acquired lock)\n", weft_thread_name(weft_current_thread()), weft_errname(rc),
        weft_strerror(rc));
    return NULL;
}

int main(void)
{
    say("1. Acquired twice, released once\n");
    CHECK(weft_rlock_acquire(&rlock, true, WEFT_FOREVER));
    CHECK(weft_rlock_acquire(&rlock, true, WEFT_FOREVER));
    CHECK(weft_rlock_release(&rlock));
    say("main holds it %u level(s) deep\n", (unsigned)weft_rlock_recursion_count(&rlock));
    run_child(demo_seconds(1.0));
    CHECK(weft_rlock_release(&rlock));   /* the line to uncomment */
    say("after the second release: locked = %s\n", weft_rlock_locked(&rlock) ? "True" : "False");
    run_child(WEFT_FOREVER);

    say("2. Arbitrary nesting\n");
    CHECK(weft_rlock_acquire(&rlock, true, WEFT_FOREVER));
    CHECK(weft_rlock_acquire(&rlock, true, WEFT_FOREVER));
    CHECK(weft_rlock_acquire(&rlock, true, WEFT_FOREVER));
    CHECK(weft_rlock_release(&rlock));
    CHECK(weft_rlock_acquire(&rlock, true, WEFT_FOREVER));
    say("recursion level %u\n", (unsigned)weft_rlock_recursion_count(&rlock));
    CHECK(weft_rlock_release(&rlock));
    CHECK(weft_rlock_release(&rlock));
    CHECK(weft_rlock_release(&rlock));
    say("after three releases: locked = %s\n", weft_rlock_locked(&rlock) ? "True" : "False");

    say("3. Only the owner may release\n");
    CHECK(weft_rlock_acquire(&rlock, true, WEFT_FOREVER));
    weft_thread *thread;
    CHECK(weft_thread_create(&thread, perform_unlock, NULL, NULL));
    CHECK(weft_thread_start(thread));
    CHECK(weft_thread_join(thread, WEFT_FOREVER));
    weft_thread_destroy(thread);
    say("main still owns it: is_owned = %s, level %u\n",
        weft_rlock_is_owned(&rlock) ? "True" : "False",
        (unsigned)weft_rlock_recursion_count(&rlock));
    CHECK(weft_rlock_release(&rlock));
    /* A plain Lock has no owner: any thread may release it (Python allows it too). */
    return 0;
}
