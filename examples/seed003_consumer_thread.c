/* seed003_consumer_thread.c: a consumer run in its own thread, fed through a Queue,
 * shut down with a sentinel.
 *
 * Seed: 003_aa0c9ec6fed297a8.txt, "Threads and Queues", "Queue Module", "Consumer
 * Thread", "Consumer Example" and "Consumer Shutdown".
 *
 * Python original:
 *     class ConsumerExit(object): pass          # A sentinel
 *     class ConsumerThread(threading.Thread):
 *         def __init__(self, consumer):
 *             threading.Thread.__init__(self); self.setDaemon(True)
 *             self.__consumer = consumer; self.__in_q = Queue.Queue()
 *         def send(self, item): self.__in_q.put(item)
 *         def run(self):
 *             while True:
 *                 item = self.__in_q.get()
 *                 if item is ConsumerExit:
 *                     self.__consumer.close(); return
 *                 else:
 *                     self.__consumer.send(item)
 *         def close(self): self.send(ConsumerExit)
 *     >>> c = ConsumerThread(Countdown()); c.start(); c.send(10); c.send(9)
 *
 * The wrapper has the same send/close interface as the consumer it wraps, so the
 * main thread cannot tell a threaded consumer from a plain one. The sentinel is the
 * address of a private object, which no real item can equal. Items are integers
 * carried in the queue's void * slots.
 */
#include "demo.h"
#include "seed003_consumer.h"

static const char consumer_exit;            /* the sentinel: only its address matters */
#define CONSUMER_EXIT ((void *)&consumer_exit)

typedef struct consumer_thread {
    consumer base;                          /* a ConsumerThread is a consumer too */
    weft_thread *thread;
    consumer *wrapped;
    weft_queue *in_q;
} consumer_thread;

static void *consumer_thread_run(void *arg)
{
    consumer_thread *self = arg;
    for (;;) {
        void *item;
        CHECK(weft_queue_get(self->in_q, &item, true, WEFT_FOREVER));
        if (item == CONSUMER_EXIT) {
            self->wrapped->close(self->wrapped);
            return NULL;
        }
        self->wrapped->send(self->wrapped, (intptr_t)item);
    }
}

static void consumer_thread_send(consumer *self, intptr_t item)
{
    CHECK(weft_queue_put(((consumer_thread *)self)->in_q, (void *)item, true, WEFT_FOREVER));
}

static void consumer_thread_close(consumer *self)
{
    CHECK(weft_queue_put(((consumer_thread *)self)->in_q, CONSUMER_EXIT, true, WEFT_FOREVER));
}

static int consumer_thread_init(consumer_thread *self, consumer *wrapped)
{
    weft_thread_attr attr = { .flags = WEFT_THREAD_DAEMON };   /* setDaemon(True) */
    self->base.send = consumer_thread_send;
    self->base.close = consumer_thread_close;
    self->wrapped = wrapped;
    int rc = weft_queue_create(&self->in_q, 0);                /* unbounded */
    if (rc != WEFT_OK)
        return rc;
    rc = weft_thread_create(&self->thread, consumer_thread_run, self, &attr);
    if (rc != WEFT_OK)
        weft_queue_destroy(self->in_q);
    return rc;
}

int main(void)
{
    countdown cd = COUNTDOWN_INIT;
    consumer_thread c;
    CHECK(consumer_thread_init(&c, &cd.base));
    CHECK(weft_thread_start(c.thread));

    consumer *cons = &c.base;         /* from here on, just "a consumer" */
    for (intptr_t n = 10; n > 0; n--)
        cons->send(cons, n);
    cons->close(cons);

    /* A daemon thread would be cut off at exit: wait for it to finish the queue. */
    CHECK(weft_thread_join(c.thread, WEFT_FOREVER));
    say("consumer thread finished: daemon = %s\n",
        weft_thread_daemon(c.thread) ? "True" : "False");
    weft_thread_destroy(c.thread);
    weft_queue_destroy(c.in_q);
    return 0;
}
