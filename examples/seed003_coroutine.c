/* seed003_coroutine.c: the coroutine-style consumer: no thread, the producer calls
 * the consumer directly and it keeps its state between calls.
 *
 * Seed: 003_aa0c9ec6fed297a8.txt, "Coroutines", "Control-flow", "Coroutine Setup",
 * "Coroutine Shutdown" and "Big Picture".
 *
 * Python original:
 *     def countdown():
 *         print "Receiving countdown"
 *         try:
 *             while True:
 *                 n = (yield)          # Receive a value
 *                 print "T-minus", n
 *         except GeneratorExit:
 *             print "Kaboom!"
 *     >>> c = countdown(); c.next()    # prime it: runs up to the first (yield)
 *     >>> c.send(10); c.send(9); c.close()
 *
 * C has no generators; a coroutine that only receives is an object whose state
 * says where it is: NEW (not primed), READY (at a yield), CLOSED. send() on a
 * coroutine that is not at a yield is an error, as in Python ("can't send non-None
 * value to a just-started generator"). The same consumer interface (send, close)
 * means the producer does not care whether the consumer is this coroutine, a plain
 * object or a thread behind a Queue (seed003_consumer_thread.c): the seed's "Big
 * Picture".
 */
#include "demo.h"
#include "seed003_consumer.h"

typedef enum { CO_NEW, CO_READY, CO_CLOSED } co_state;

typedef struct countdown_co {
    consumer base;
    co_state state;
} countdown_co;

static void co_next(countdown_co *c)          /* c.next(): run to the first yield */
{
    if (c->state == CO_NEW) {
        say("Receiving countdown\n");
        c->state = CO_READY;
    }
}

static void co_send(consumer *self, intptr_t n)
{
    countdown_co *c = (countdown_co *)self;
    if (c->state != CO_READY) {
        say("send(%ld) refused: the coroutine is %s\n", (long)n,
            c->state == CO_NEW ? "not primed (call next first)" : "closed");
        return;
    }
    say("T-minus %ld\n", (long)n);             /* ... and back to the yield */
}

static void co_close(consumer *self)
{
    countdown_co *c = (countdown_co *)self;
    if (c->state == CO_READY)
        say("Kaboom!\n");                      /* the GeneratorExit handler */
    c->state = CO_CLOSED;
}

/* A producer that only knows the interface. */
static void produce(consumer *cons, int from)
{
    for (int n = from; n > 0; n--)
        cons->send(cons, n);
    cons->close(cons);
}

int main(void)
{
    countdown_co c = { { co_send, co_close }, CO_NEW };
    c.base.send(&c.base, 10);                  /* forgot c.next() */
    co_next(&c);
    c.base.send(&c.base, 10);
    c.base.send(&c.base, 9);
    c.base.close(&c.base);
    c.base.send(&c.base, 8);

    say("The same producer drives a coroutine and a plain consumer:\n");
    countdown_co c2 = { { co_send, co_close }, CO_NEW };
    co_next(&c2);
    produce(&c2.base, 3);
    countdown plain = COUNTDOWN_INIT;
    produce(&plain.base, 3);
    return 0;
}
