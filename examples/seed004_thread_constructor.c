/* seed004_thread_constructor.c: Thread(target, name, args, kwargs, daemon), and
 * subclassing Thread.
 *
 * Seed: 004_2633024b5bf1a899.txt, "Creating Threads" and "Subclassing Thread".
 *
 * Python original:
 *     def thread_task(a, b, c, key1, key2):
 *         print("{0} received the arguments: {1} {2} {3} {4} {5}".format(
 *               current_thread().getName(), a, b, c, key1, key2))
 *     myThread = Thread(group=None, target=thread_task, name="demoThread",
 *                       args=(1, 2, 3), kwargs={'key1': 777, 'key2': 111},
 *                       daemon=None)
 *     myThread.start(); myThread.join()
 *
 *     class MyTask(Thread):
 *         def __init__(self):
 *             Thread.__init__(self, name="subclassThread", args=(2, 3))
 *         def run(self):
 *             print("{0} is executing".format(current_thread().getName()))
 *
 * weft_thread_create(&t, target, arg, &attr): the positional and keyword arguments
 * travel together in one struct (designated initialisers read like kwargs);
 * weft_thread_attr carries name and daemon (no flag: inherit, Python's daemon=None).
 */
#include "demo.h"

typedef struct task_args {
    int a, b, c;
    int key1, key2;
} task_args;

static void *thread_task(void *arg)
{
    const task_args *p = arg;
    say("%s received the arguments: %d %d %d %d %d\n",
        weft_thread_name(weft_current_thread()), p->a, p->b, p->c, p->key1, p->key2);
    return NULL;
}

/* MyTask(Thread): the subclass passes name= to the base "constructor"; as in
 * Python, args given to the base are not passed to an overridden run(). */
typedef struct my_task {
    weft_thread *thread;
} my_task;

static void *my_task_run(void *self)
{
    say("%s is executing\n", weft_thread_name(weft_current_thread()));
    return NULL;
}

static int my_task_init(my_task *self)
{
    weft_thread_attr attr = { .name = "subclassThread" };
    return weft_thread_create(&self->thread, my_task_run, self, &attr);
}

int main(void)
{
    task_args args = { 1, 2, 3, .key1 = 777, .key2 = 111 };
    weft_thread_attr attr = { .name = "demoThread", .flags = 0 /* daemon=None */ };
    weft_thread *my_thread;
    CHECK(weft_thread_create(&my_thread, thread_task, &args, &attr));
    say("daemon inherited from %s: %s\n", weft_thread_name(weft_current_thread()),
        weft_thread_daemon(my_thread) ? "True" : "False");
    CHECK(weft_thread_start(my_thread));
    CHECK(weft_thread_join(my_thread, WEFT_FOREVER));
    weft_thread_destroy(my_thread);

    my_task task;
    CHECK(my_task_init(&task));
    CHECK(weft_thread_start(task.thread));
    CHECK(weft_thread_join(task.thread, WEFT_FOREVER));
    weft_thread_destroy(task.thread);
    say("%s exiting\n", weft_thread_name(weft_current_thread()));
    return 0;
}
