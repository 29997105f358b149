/* seed003_primitives.c: the other locking primitives of the slides: RLock,
 * Semaphore(n) and Event (isSet, set, clear, wait).
 *
 * Seed: 003_aa0c9ec6fed297a8.txt, "Other Locking Primitives" and "Events".
 *
 * Python original:
 *     m = threading.RLock()      # can be acquired multiple times by same thread
 *     m = threading.Semaphore(n) # lock based on a counter
 *     e = threading.Event()
 *     e.isSet(); e.set(); e.clear(); e.wait()
 *     Thread 1: e.wait()   <- notify -   Thread 2: e.set()
 */
#include "demo.h"

static weft_event e;

static void *thread1(void *arg)
{
    say("thread 1: waiting for the event\n");
    CHECK(weft_event_wait(&e, WEFT_FOREVER));
    say("thread 1: responding to the event\n");
    return NULL;
}

int main(void)
{
    say("RLock: acquired twice by the same thread\n");
    weft_rlock m = WEFT_RLOCK_INIT;
    CHECK(weft_rlock_acquire(&m, true, WEFT_FOREVER));
    CHECK(weft_rlock_acquire(&m, true, WEFT_FOREVER));
    say("  recursion count %u\n", (unsigned)weft_rlock_recursion_count(&m));
    CHECK(weft_rlock_release(&m));
    CHECK(weft_rlock_release(&m));

    say("Semaphore(2): a lock based on a counter\n");
    weft_semaphore s;
    CHECK(weft_semaphore_init(&s, 2));
    CHECK(weft_semaphore_acquire(&s, true, WEFT_FOREVER));
    CHECK(weft_semaphore_acquire(&s, true, WEFT_FOREVER));
    int rc = weft_semaphore_acquire(&s, false, WEFT_FOREVER);
    CHECK_IS(rc, WEFT_ETIMEDOUT);
    say("  third acquire(blocking=False): %s (Python: False)\n", weft_errname(rc));
    CHECK(weft_semaphore_release(&s, 2));
    weft_semaphore_destroy(&s);

    say("Event\n");
    weft_event_init(&e);
    say("  isSet() = %s\n", weft_event_is_set(&e) ? "True" : "False");
    weft_thread *t;
    CHECK(weft_thread_create(&t, thread1, NULL, NULL));
    CHECK(weft_thread_start(t));
    demo_sleep(1.0);
    say("thread 2 (main): triggering the event\n");
    CHECK(weft_event_set(&e));
    CHECK(weft_thread_join(t, WEFT_FOREVER));
    weft_thread_destroy(t);
    say("  isSet() = %s\n", weft_event_is_set(&e) ? "True" : "False");
    CHECK(weft_event_clear(&e));
    say("  after clear(): isSet() = %s\n", weft_event_is_set(&e) ? "True" : "False");
    weft_event_destroy(&e);
    return 0;
}
