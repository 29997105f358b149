/* SPDX-License-Identifier: MIT */
/* tests/fault/fault.c: the wrappers and counters of fault.h. */
#include "fault.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t m);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);
int __real_pthread_create(pthread_t *t, const pthread_attr_t *a, void *(*fn)(void *), void *arg);

void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t m);
void *__wrap_realloc(void *p, size_t n);
char *__wrap_strdup(const char *s);
int __wrap_pthread_create(pthread_t *t, const pthread_attr_t *a, void *(*fn)(void *), void *arg);

enum { K_ALL = 0, K_MALLOC, K_CALLOC, K_REALLOC, K_STRDUP, K_PTHREAD_CREATE };

static _Atomic int armed;
static _Atomic long fail_at;
static _Atomic long calls;
static _Atomic int fired;
static _Atomic int only = K_ALL;
static _Atomic int env_checked;

static void check_env(void)
{
    if (atomic_exchange(&env_checked, 1)) return;
    const char *e = getenv("FAULT_FAIL_AT");
    if (e && *e) {
        atomic_store(&fail_at, atol(e));
        atomic_store(&armed, 1);
    }
}

/* true if this call must fail */
static int hit(int kind)
{
    check_env();
    if (!atomic_load(&armed)) return 0;
    int o = atomic_load(&only);
    if (o != K_ALL && o != kind) return 0;
    long n = atomic_fetch_add(&calls, 1) + 1;
    if (n == atomic_load(&fail_at)) {
        atomic_store(&fired, 1);
        return 1;
    }
    return 0;
}

void fault_arm(long k)
{
    atomic_store(&env_checked, 1);
    atomic_store(&calls, 0);
    atomic_store(&fired, 0);
    atomic_store(&fail_at, k);
    atomic_store(&armed, 1);
}

long fault_disarm(void)
{
    atomic_store(&armed, 0);
    return atomic_load(&calls);
}

static _Atomic int paused_armed;
void fault_pause(void) { atomic_store(&paused_armed, atomic_exchange(&armed, 0)); }
void fault_resume(void) { atomic_store(&armed, atomic_load(&paused_armed)); }

bool fault_fired(void) { return atomic_load(&fired) != 0; }

void fault_only(const char *kind)
{
    int k = K_ALL;
    if (kind) {
        if (!strcmp(kind, "malloc")) k = K_MALLOC;
        else if (!strcmp(kind, "calloc")) k = K_CALLOC;
        else if (!strcmp(kind, "realloc")) k = K_REALLOC;
        else if (!strcmp(kind, "strdup")) k = K_STRDUP;
        else if (!strcmp(kind, "pthread_create")) k = K_PTHREAD_CREATE;
    }
    atomic_store(&only, k);
}

void *__wrap_malloc(size_t n)
{
    if (hit(K_MALLOC)) { errno = ENOMEM; return NULL; }
    return __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t m)
{
    if (hit(K_CALLOC)) { errno = ENOMEM; return NULL; }
    return __real_calloc(n, m);
}

void *__wrap_realloc(void *p, size_t n)
{
    if (hit(K_REALLOC)) { errno = ENOMEM; return NULL; }
    return __real_realloc(p, n);
}

char *__wrap_strdup(const char *s)
{
    if (hit(K_STRDUP)) { errno = ENOMEM; return NULL; }
    return __real_strdup(s);
}

int __wrap_pthread_create(pthread_t *t, const pthread_attr_t *a, void *(*fn)(void *), void *arg)
{
    if (hit(K_PTHREAD_CREATE)) return EAGAIN;
    return __real_pthread_create(t, a, fn, arg);
}
