/* seed003_producer.c: the consumer interface (send, close) called directly, and a
 * producer thread that sends every item to its registered consumers.
 *
 * Seed: 003_aa0c9ec6fed297a8.txt, "Consumers/Producers", "Producer Thread",
 * "Consumers" and "Consumer Example".
 *
 * Python original:
 *     class ProducerThread(threading.Thread):
 *         def __init__(self):
 *             threading.Thread.__init__(self); self.consumers = set()
 *         def register(self, cons):   self.consumers.add(cons)
 *         def unregister(self, cons): self.consumers.remove(cons)
 *         def run(self):
 *             while True:
 *                 ...  # produce item
 *                 for cons in self.consumers: cons.send(item)
 *     >>> c = Countdown(); c.send(10); c.send(9); c.close()
 *     T-minus 10 / T-minus 9 / Kaboom!
 *
 * The producer here makes a finite stream (10 down to 1) and then closes its
 * consumers, so the program ends. The set of consumers is guarded by a Lock:
 * register/unregister may be called while the producer runs.
 */
#include "demo.h"
#include "seed003_consumer.h"

#define MAX_CONSUMERS 8

typedef struct producer_thread {
    weft_thread *thread;
    weft_lock lock;                      /* guards consumers and n */
    consumer *consumers[MAX_CONSUMERS];
    int n;
} producer_thread;

static int producer_register(producer_thread *p, consumer *cons)
{
    CHECK(weft_lock_acquire(&p->lock, true, WEFT_FOREVER));
    int rc = p->n < MAX_CONSUMERS ? WEFT_OK : WEFT_EFULL;
    if (rc == WEFT_OK)
        p->consumers[p->n++] = cons;
    CHECK(weft_lock_release(&p->lock));
    return rc;
}

static void *producer_run(void *arg)
{
    producer_thread *self = arg;
    for (intptr_t item = 10; item >= 0; item--) {
        CHECK(weft_lock_acquire(&self->lock, true, WEFT_FOREVER));
        for (int i = 0; i < self->n; i++) {
            if (item > 0)
                self->consumers[i]->send(self->consumers[i], item);
            else
                self->consumers[i]->close(self->consumers[i]);
        }
        CHECK(weft_lock_release(&self->lock));
        demo_sleep(0.2);
    }
    return NULL;
}

/* A second kind of consumer: same interface, different behaviour. */
typedef struct summer {
    consumer base;
    long total;
} summer;

static void summer_send(consumer *self, intptr_t item) { ((summer *)self)->total += item; }
static void summer_close(consumer *self)
{
    say("summer: total %ld\n", ((summer *)self)->total);
}

int main(void)
{
    say("1. A consumer is an object you send items to\n");
    countdown c = COUNTDOWN_INIT;
    c.base.send(&c.base, 10);
    c.base.send(&c.base, 9);
    c.base.close(&c.base);

    say("2. A producer thread sends to its registered consumers\n");
    countdown c2 = COUNTDOWN_INIT;
    summer s = { { summer_send, summer_close }, 0 };
    producer_thread p = { .n = 0 };
    weft_lock_init(&p.lock);
    CHECK(producer_register(&p, &c2.base));
    CHECK(producer_register(&p, &s.base));
    CHECK(weft_thread_create(&p.thread, producer_run, &p, NULL));
    CHECK(weft_thread_start(p.thread));
    CHECK(weft_thread_join(p.thread, WEFT_FOREVER));
    weft_thread_destroy(p.thread);
    weft_lock_destroy(&p.lock);
    return 0;
}
