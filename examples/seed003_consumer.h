/* examples/seed003_consumer.h: the consumer interface of 003_aa0c9ec6fed297a8.txt
 * ("Consumers"), shared by seed003_producer.c, seed003_consumer_thread.c and
 * seed003_coroutine.c.
 *
 * Python:
 *     class Countdown(object):
 *         def send(self,item): print "T-minus", item
 *         def close(self):     print "Kaboom!"
 *
 * A consumer is anything with send(item) and close(); in C, a struct whose first
 * member is this table of two function pointers, so any consumer can be passed as
 * a `consumer *`.
 */
#ifndef WEFT_EXAMPLES_SEED003_CONSUMER_H
#define WEFT_EXAMPLES_SEED003_CONSUMER_H

#include <stdint.h>
#include <stdio.h>

typedef struct consumer consumer;
struct consumer {
    void (*send)(consumer *self, intptr_t item);
    void (*close)(consumer *self);
};

/* The seed's Countdown consumer. */
typedef struct countdown {
    consumer base;
    int received;
} countdown;

static inline void countdown_send(consumer *self, intptr_t item)
{
    ((countdown *)self)->received++;
    printf("T-minus %ld\n", (long)item);
    fflush(stdout);
}

static inline void countdown_close(consumer *self)
{
    printf("Kaboom! (after %d items)\n", ((countdown *)self)->received);
    fflush(stdout);
}

#define COUNTDOWN_INIT { { countdown_send, countdown_close }, 0 }

#endif
