/* seed001_thread_subclass.c: a "Thread subclass": a struct with its own run function.
 *
 * Seed: 001_e760d7e4a4782a84.txt, "Thread Class".
 *
 * Python original:
 *     class MyThread(Thread):
 *         def __init__(self, id):
 *             self.id = id
 *             threading.Thread.__init__(self)
 *         def run(self):
 *             logger.debug(f'  Running Thread {self.id}')
 *     thread1 = MyThread(1)
 *     logger.debug('Starting Thread'); thread1.start()
 *     logger.debug('Joining Thread');  thread1.join()
 *     logger.debug('Main completed')
 *
 * C has no classes: the "subclass" is a struct that holds the weft_thread and its own
 * fields, and the thread's target is a small trampoline that calls the struct's run
 * function with the struct itself as `self`.
 */
#include "demo.h"

typedef struct my_thread my_thread;
struct my_thread {
    weft_thread *thread;              /* the Thread "base class" */
    void (*run)(my_thread *self);     /* the overridden run() */
    int id;                           /* the subclass's own state */
};

static void *trampoline(void *arg)
{
    my_thread *self = arg;
    self->run(self);
    return NULL;
}

static void my_thread_run(my_thread *self)
{
    say("DEBUG:root:  Running Thread %d\n", self->id);
}

/* MyThread(id): Thread.__init__ makes the thread object, not yet started. */
static int my_thread_init(my_thread *self, int id)
{
    self->id = id;
    self->run = my_thread_run;
    return weft_thread_create(&self->thread, trampoline, self, NULL);
}

int main(void)
{
    my_thread thread1;
    CHECK(my_thread_init(&thread1, 1));
    say("DEBUG:root:Starting Thread\n");
    CHECK(weft_thread_start(thread1.thread));
    say("DEBUG:root:Joining Thread\n");
    CHECK(weft_thread_join(thread1.thread, WEFT_FOREVER));
    weft_thread_destroy(thread1.thread);
    say("DEBUG:root:Main completed\n");
    return 0;
}
