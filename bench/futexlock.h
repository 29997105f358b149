/* futexlock.h: the hand-written reference points a C programmer would write on
 * Linux straight from the textbook, used as baselines by the benchmarks.
 *
 * bench_futex_lock: Drepper's "mutex3" from "Futexes Are Tricky" (2011):
 *   0 free, 1 locked, 2 locked and maybe waited on. Lock: CAS 0->1, else mark
 *   2 and sleep while it stays 2. Unlock: exchange to 0; wake one if it was 2.
 *   No wakeup is lost: a sleeper only sleeps while the word is 2, and the
 *   unlocker that sees 2 always issues a wake after clearing the word.
 * bench_futex_event: a set/clear flag: 0 clear, 1 set, 2 clear with waiters.
 *   Set exchanges in 1 and wakes all if the old value was 2; wait sleeps only
 *   while the word is 2, so a set between the check and the sleep makes the
 *   kernel's compare fail and the waiter returns.
 */
#ifndef WEFT_BENCH_FUTEXLOCK_H
#define WEFT_BENCH_FUTEXLOCK_H

#include <limits.h>
#include <linux/futex.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

static inline void bench_futex_wait(atomic_uint *w, unsigned val)
{
    syscall(SYS_futex, (unsigned *)w, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
}

static inline void bench_futex_wake(atomic_uint *w, int n)
{
    syscall(SYS_futex, (unsigned *)w, FUTEX_WAKE_PRIVATE, n, NULL, NULL, 0);
}

typedef struct { atomic_uint w; } bench_futex_lock;

static inline void bench_futex_lock_acquire(bench_futex_lock *l)
{
    unsigned c = 0;
    if (atomic_compare_exchange_strong_explicit(&l->w, &c, 1, memory_order_acquire,
                                                memory_order_relaxed))
        return;
    if (c != 2)
        c = atomic_exchange_explicit(&l->w, 2, memory_order_acquire);
    while (c != 0) {
        bench_futex_wait(&l->w, 2);
        c = atomic_exchange_explicit(&l->w, 2, memory_order_acquire);
    }
}

static inline void bench_futex_lock_release(bench_futex_lock *l)
{
    if (atomic_exchange_explicit(&l->w, 0, memory_order_release) == 2)
        bench_futex_wake(&l->w, 1);
}

typedef struct { atomic_uint w; } bench_futex_event;

static inline void bench_futex_event_set(bench_futex_event *e)
{
    if (atomic_exchange_explicit(&e->w, 1, memory_order_release) == 2)
        bench_futex_wake(&e->w, INT_MAX);
}

static inline void bench_futex_event_clear(bench_futex_event *e)
{
    unsigned one = 1;
    atomic_compare_exchange_strong_explicit(&e->w, &one, 0, memory_order_relaxed,
                                            memory_order_relaxed);
}

static inline void bench_futex_event_wait(bench_futex_event *e)
{
    for (;;) {
        unsigned c = atomic_load_explicit(&e->w, memory_order_acquire);
        if (c == 1)
            return;
        if (c == 0 && !atomic_compare_exchange_strong_explicit(&e->w, &c, 2,
                                                               memory_order_acquire,
                                                               memory_order_acquire))
            continue;
        bench_futex_wait(&e->w, 2);
    }
}

#endif
