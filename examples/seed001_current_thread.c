/* seed001_current_thread.c: the running thread's name, the thread count, enumerate.
 *
 * Seed: 001_e760d7e4a4782a84.txt, "Current Thread", "Thread Count" and
 * "Enumerating Active Threads".
 *
 * Python original:
 *     print(threading.current_thread().name)        # MainThread
 *     print(threading.active_count())               # 5 (in the notebook)
 *     for thread in threading.enumerate():
 *         print(f'Thread: {thread.name} Id: {thread.ident} Alive: {thread.is_alive()}')
 *
 * The notebook had IPython's helper threads alive; here two worker threads wait on a
 * Lock the main thread holds, so there is something to enumerate.
 */
#include "demo.h"

static weft_lock gate = WEFT_LOCK_INIT;

static void *wait_at_gate(void *arg)
{
    CHECK(weft_lock_acquire(&gate, true, WEFT_FOREVER));
    CHECK(weft_lock_release(&gate));
    return NULL;
}

int main(void)
{
    say("%s\n", weft_thread_name(weft_current_thread()));

    weft_thread *workers[2];
    CHECK(weft_lock_acquire(&gate, true, WEFT_FOREVER));
    for (int i = 0; i < 2; i++) {
        CHECK(weft_thread_create(&workers[i], wait_at_gate, NULL, NULL));
        CHECK(weft_thread_start(workers[i]));
    }

    say("%zu\n", weft_active_count());

    weft_thread *all[16];
    size_t n = weft_enumerate(all, 16);
    for (size_t i = 0; i < n && i < 16; i++) {
        say("Thread: %s Id: %" PRIu64 " Alive: %s\n", weft_thread_name(all[i]),
            weft_thread_ident(all[i]), weft_thread_is_alive(all[i]) ? "True" : "False");
        weft_thread_unref(all[i]);   /* enumerate gave us a reference to each */
    }

    CHECK(weft_lock_release(&gate));
    for (int i = 0; i < 2; i++) {
        CHECK(weft_thread_join(workers[i], WEFT_FOREVER));
        weft_thread_destroy(workers[i]);
    }
    say("after join: %zu\n", weft_active_count());
    return 0;
}
