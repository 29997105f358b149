/* SPDX-License-Identifier: MIT */
/* platform/posix/parking.c: the wait/wake contract (internal/wait.h) as a parking
 * lot, for systems without futexes; on Linux it is built with
 * -DWEFT_WAIT_BACKEND=parking and runs the whole test suite in CI.
 *
 * Layering: platform/ talks to libc; nothing above it includes <pthread.h>.
 *
 * Design (a miniature of WebKit's ParkingLot and Go's semtable):
 * - BUCKETS address-hashed buckets, each a pthread mutex, a condition variable
 *   on CLOCK_MONOTONIC and an intrusive list of parked waiters. A waiter is a node
 *   on its own stack: {address, woken flag, next}.
 * - weft__wait takes the bucket lock, then re-reads *addr (acquire). If it still
 *   equals expected the node is linked in and the thread sleeps on the bucket's
 *   condvar until its node is marked woken or the deadline passes. The re-check
 *   under the bucket lock is what makes check-then-sleep atomic: a waker changes
 *   *addr before taking the same lock, so it either runs before the check (the
 *   waiter sees the new value and returns) or after the node is linked (it finds
 *   and marks the node).
 * - weft__wake marks and unlinks up to n nodes whose address matches, then
 *   broadcasts the bucket condvar if it marked any. Other waiters of the bucket
 *   wake, see their node unmarked, and sleep again (they do not return), so
 *   wake(addr, 1) releases exactly one waiter of addr.
 * - A timed-out waiter unlinks its own node under the bucket lock.
 *
 * fork (weft__wait_fork_*, called by thread.c's fork handlers after weft's own
 * prepare handlers took their locks): prepare takes every bucket lock, in index
 * order, so no other thread is inside a bucket at the moment of fork(); the
 * parent releases them; the child empties every waiter list (only the forking
 * thread exists in the child, and it is not parked), re-initialises the condvars
 * (their waiters are gone) and releases the locks it holds. Taking the locks (not
 * merely re-initialising them in the child) also orders every other thread's last
 * use of a bucket before the child's reset, which ThreadSanitizer checks. The
 * hooks are called from thread.c rather than registered with pthread_atfork here
 * because prepare handlers run in reverse order of registration, and weft's other
 * prepare handlers may still sleep or wake while taking their locks.
 *
 * BUCKETS = 251: a prime, as Go's semTabSize (src/runtime/sema.go: "Prime to not
 * correlate with any user patterns"); each bucket is padded to 128 bytes (two
 * cache lines, as SQLite pads its mutexes) so unrelated buckets never share a line.
 *
 * errno: pthread functions return their errors; clock_gettime and friends are
 * called through weft__now(). errno is saved and restored regardless.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <time.h>

#include "internal/wait.h"
#include "weft/error.h"

#define BUCKETS 251

struct parked {
    const void *addr;
    int woken;
    struct parked *next;
};

struct bucket {
    _Alignas(128) pthread_mutex_t mu;
    pthread_cond_t cv;
    struct parked *head;
};

static struct bucket table[BUCKETS];
static pthread_once_t table_once = PTHREAD_ONCE_INIT;

static void init_condvars(void)
{
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    for (int i = 0; i < BUCKETS; i++) pthread_cond_init(&table[i].cv, &ca);
    pthread_condattr_destroy(&ca);
}

static void table_init(void)
{
    for (int i = 0; i < BUCKETS; i++) {
        pthread_mutex_init(&table[i].mu, NULL);
        table[i].head = NULL;
    }
    init_condvars();
}

void weft__wait_fork_prepare(void)
{
    volatile int saved = errno;
    pthread_once(&table_once, table_init);
    for (int i = 0; i < BUCKETS; i++) pthread_mutex_lock(&table[i].mu);
    errno = saved;
}

void weft__wait_fork_parent(void)
{
    volatile int saved = errno;
    for (int i = BUCKETS - 1; i >= 0; i--) pthread_mutex_unlock(&table[i].mu);
    errno = saved;
}

void weft__wait_fork_child(void)
{
    volatile int saved = errno;
    for (int i = 0; i < BUCKETS; i++) table[i].head = NULL;
    init_condvars();
    for (int i = BUCKETS - 1; i >= 0; i--) pthread_mutex_unlock(&table[i].mu);
    errno = saved;
}

static struct bucket *bucket_of(const void *addr)
{
    pthread_once(&table_once, table_init);
    uintptr_t a = (uintptr_t)addr;
    a ^= a >> 17;
    a *= (uintptr_t)0x9E3779B97F4A7C15ull;
    return &table[(a >> 7) % BUCKETS];
}

static void unlink_node(struct bucket *b, struct parked *n)
{
    for (struct parked **pp = &b->head; *pp; pp = &(*pp)->next) {
        if (*pp == n) {
            *pp = n->next;
            return;
        }
    }
}

const char *weft__wait_backend(void) { return "parking"; }

int weft__wait(const WEFT_ATOMIC(uint32_t) *addr, uint32_t expected, weft__ns deadline)
{
    volatile int saved = errno;
    int rc = WEFT_OK;
    struct bucket *b = bucket_of((const void *)addr);
    pthread_mutex_lock(&b->mu);
    if (atomic_load_explicit(addr, memory_order_acquire) != expected) {
        pthread_mutex_unlock(&b->mu);
        errno = saved;
        return WEFT__WAIT_CHANGED;
    }
    struct parked node = { (const void *)addr, 0, b->head };
    b->head = &node;
    struct timespec ts;
    if (deadline != WEFT__NS_FOREVER) {
        ts.tv_sec = (time_t)(deadline / WEFT__NS_PER_SEC);
        ts.tv_nsec = (long)(deadline % WEFT__NS_PER_SEC);
    }
    while (!node.woken) {
        if (deadline == WEFT__NS_FOREVER) {
            pthread_cond_wait(&b->cv, &b->mu);
        } else {
            pthread_cond_timedwait(&b->cv, &b->mu, &ts);
            if (!node.woken && weft__now() >= deadline) {
                unlink_node(b, &node);
                rc = WEFT_ETIMEDOUT;
                break;
            }
        }
    }
    pthread_mutex_unlock(&b->mu);
    errno = saved;
    return rc;
}

void weft__wake(const WEFT_ATOMIC(uint32_t) *addr, int n)
{
    volatile int saved = errno;
    struct bucket *b = bucket_of((const void *)addr);
    int marked = 0;
    pthread_mutex_lock(&b->mu);
    for (struct parked **pp = &b->head; *pp && marked < n;) {
        struct parked *p = *pp;
        if (p->addr == (const void *)addr) {
            p->woken = 1;
            *pp = p->next;
            marked++;
        } else {
            pp = &p->next;
        }
    }
    if (marked) pthread_cond_broadcast(&b->cv);
    pthread_mutex_unlock(&b->mu);
    errno = saved;
}
