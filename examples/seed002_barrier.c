/* seed002_barrier.c: a server and 4 clients meet at Barrier(5, timeout=10).
 *
 * Seed: 002_661bf8df3acfe042.txt, "12 Barriers".
 *
 * Python original:
 *     b = Barrier(5, timeout=10)
 *     class Server:
 *         def __init__(self):
 *             print("server initializing ..."); self.thread = Thread(target=self)
 *             self.thread.start()
 *         def __call__(self):
 *             time.sleep(5); b.wait(); print("server ready to accept connections")
 *         def connect(self, client): print(f"{client.name} has connected")
 *     class Client:
 *         def __init__(self, name, server):
 *             ...; print(f"{self.name} waiting to connect")
 *             self.thread = Thread(target=self); self.thread.start()
 *         def __call__(self):
 *             b.wait(); self.server.connect(self)
 *
 * As in Python, the timeout given to the barrier is the default for every wait:
 * weft_barrier_wait(&b, WEFT_FOREVER) (Python's wait(timeout=None)) uses it. Had the
 * server never come, the clients would have broken the barrier after 10 s and got
 * WEFT_EBROKEN (Python: BrokenBarrierError) instead of hanging.
 */
#include "demo.h"

static weft_barrier b;

typedef struct server {
    weft_thread *thread;
} server;

typedef struct client {
    weft_thread *thread;
    const char *name;
    server *srv;
} client;

static void server_connect(server *self, client *c)
{
    say("%s has connected\n", c->name);
}

static void *server_call(void *arg)
{
    demo_sleep(5.0);
    int index = weft_barrier_wait(&b, WEFT_FOREVER);
    if (index < 0)
        CHECK(index);
    say("server ready to accept connections\n");
    return NULL;
}

static void *client_call(void *arg)
{
    client *self = arg;
    int index = weft_barrier_wait(&b, WEFT_FOREVER);
    if (index < 0)
        CHECK(index);
    server_connect(self->srv, self);
    return NULL;
}

static void server_init(server *self)
{
    say("server initializing ...\n");
    CHECK(weft_thread_create(&self->thread, server_call, self, NULL));
    CHECK(weft_thread_start(self->thread));
}

static void client_init(client *self, const char *name, server *srv)
{
    self->name = name;
    self->srv = srv;
    say("%s waiting to connect\n", name);
    CHECK(weft_thread_create(&self->thread, client_call, self, NULL));
    CHECK(weft_thread_start(self->thread));
}

int main(void)
{
    CHECK(weft_barrier_init(&b, 5, NULL, NULL, demo_seconds(10.0)));
    server srv;
    client clients[4];
    static const char *names[4] = {"client1", "client2", "client3", "client4"};
    server_init(&srv);
    for (int i = 0; i < 4; i++)
        client_init(&clients[i], names[i], &srv);
    CHECK(weft_thread_join(srv.thread, WEFT_FOREVER));
    weft_thread_destroy(srv.thread);
    for (int i = 0; i < 4; i++) {
        CHECK(weft_thread_join(clients[i].thread, WEFT_FOREVER));
        weft_thread_destroy(clients[i].thread);
    }
    say("end of program\n");
    weft_barrier_destroy(&b);
    return 0;
}
