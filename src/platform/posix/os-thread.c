/* SPDX-License-Identifier: MIT */
/* platform/posix/os-thread.c: OS threads, thread names, thread-specific keys,
 * fork handlers (internal/os.h).
 *
 * Layering: the only file that includes <pthread.h> and <sys/syscall.h> for
 * threads. Errors come from pthread return values (never from errno) and are
 * mapped to weft codes here; errno is saved on entry and restored on return,
 * because libc may set it internally (mmap of a stack, /proc writes).
 *
 * Threads are started detached: weft's join is built on its own "done" word, so
 * no pthread_join is ever needed and a thread whose handle was dropped leaves
 * nothing behind at the OS level.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "internal/os.h"
#include "weft/error.h"

_Static_assert(sizeof(pthread_t) <= sizeof(weft__os_thread), "pthread_t fits the handle");
_Static_assert(sizeof(pthread_key_t) <= sizeof(weft__os_key), "pthread_key_t fits the key");

static int map_err(int e)
{
    switch (e) {
    case 0: return WEFT_OK;
    case ENOMEM: return WEFT_ENOMEM;
    case EINVAL: return WEFT_EINVAL;
    default: return WEFT_EAGAIN;   /* EAGAIN, EPERM (scheduling), anything else */
    }
}

int weft__os_thread_start(void *(*fn)(void *), void *arg, size_t stack_size)
{
    volatile int saved = errno;
    pthread_attr_t attr;
    pthread_t th;
    int e = pthread_attr_init(&attr);
    if (e == 0) {
        e = pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        if (e == 0 && stack_size != 0)
            e = pthread_attr_setstacksize(&attr, stack_size);
        if (e == 0)
            e = pthread_create(&th, &attr, fn, arg);
        pthread_attr_destroy(&attr);
    }
    errno = saved;
    return map_err(e);
}

weft__os_thread weft__os_thread_self(void)
{
    pthread_t self = pthread_self();
    weft__os_thread h = 0;
    memcpy(&h, &self, sizeof self);
    return h;
}

long weft__os_gettid(void)
{
    volatile int saved = errno;
    long tid = (long)syscall(SYS_gettid);
    errno = saved;
    return tid;
}

void weft__os_set_name(weft__os_thread h, const char *name)
{
    volatile int saved = errno;
    char buf[16];
    size_t n = strlen(name);
    if (n > sizeof buf - 1) {
        n = sizeof buf - 1;
        /* do not cut a UTF-8 sequence: back up over continuation bytes */
        while (n > 0 && ((unsigned char)name[n] & 0xC0) == 0x80)
            n--;
    }
    memcpy(buf, name, n);
    buf[n] = '\0';
    pthread_t th;
    memcpy(&th, &h, sizeof th);
    (void)pthread_setname_np(th, buf);
    errno = saved;
}

int weft__os_stack_size_valid(size_t size)
{
    volatile int saved = errno;
    pthread_attr_t attr;
    int e = pthread_attr_init(&attr);
    if (e == 0) {
        e = pthread_attr_setstacksize(&attr, size);
        pthread_attr_destroy(&attr);
    }
    errno = saved;
    return e == 0 ? WEFT_OK : WEFT_EINVAL;
}

int weft__os_key_create(weft__os_key *key, void (*dtor)(void *))
{
    volatile int saved = errno;
    pthread_key_t k;
    int e = pthread_key_create(&k, dtor);
    if (e == 0) {
        *key = 0;
        memcpy(key, &k, sizeof k);
    }
    errno = saved;
    return e == 0 ? WEFT_OK : (e == ENOMEM ? WEFT_ENOMEM : WEFT_EAGAIN);
}

int weft__os_key_set(weft__os_key key, const void *value)
{
    volatile int saved = errno;
    pthread_key_t k;
    memcpy(&k, &key, sizeof k);
    int e = pthread_setspecific(k, value);
    errno = saved;
    return e == 0 ? WEFT_OK : WEFT_ENOMEM;
}

int weft__os_atfork(void (*prepare)(void), void (*parent)(void), void (*child)(void))
{
    volatile int saved = errno;
    int e = pthread_atfork(prepare, parent, child);
    errno = saved;
    return e == 0 ? WEFT_OK : WEFT_ENOMEM;
}

void weft__os_yield(void)
{
    volatile int saved = errno;
    sched_yield();
    errno = saved;
}

void weft__os_nap(int64_t ns)
{
    if (ns <= 0) return;
    volatile int saved = errno;
    struct timespec ts = { (time_t)(ns / 1000000000), (long)(ns % 1000000000) };
    nanosleep(&ts, NULL);
    errno = saved;
}
