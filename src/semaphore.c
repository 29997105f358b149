/* SPDX-License-Identifier: MIT */
/* semaphore.c: threading.Semaphore and threading.BoundedSemaphore on the
 * wait/wake contract (internal/wait.h).
 *
 * State
 * -----
 *   state    one 64-bit atomic word (glibc 2.21's "new semaphore" layout):
 *              bits  0..31  value: the number of free units
 *                           (0..WEFT_SEMAPHORE_VALUE_MAX)
 *              bits 32..63  sleepers: how many threads are inside the slow path
 *                           of a blocking acquire (registered before their last
 *                           look at value, unregistered on the way out)
 *            The 32-bit half of the word that holds value (the low-address half
 *            on a little-endian machine, the high-address half on a big-endian
 *            one; value_word() picks it by __BYTE_ORDER__) is the futex word
 *            sleepers wait on, with expected value 0.
 *   bound    0 for a Semaphore; initial value + 1 for a BoundedSemaphore. Set at
 *            init, never written again.
 * All zero is a Semaphore(0) (value 0, no sleepers, unbounded).
 *
 * Invariants: a unit is taken only by a CAS that lowers value by 1 from a value
 * > 0, so value never goes negative and never more threads hold units than were
 * released (the stress test counts holders). A release is one CAS state ->
 * state + n after the bound and overflow checks on the value it replaces, so a
 * refused release changes nothing, and value + n never carries into sleepers.
 * sleepers counts registered threads only (+1 before the last look, -1 on the
 * way out, both by 64-bit RMWs on the high half), so it never goes negative.
 *
 * Why no wakeup is lost
 * ---------------------
 * Every change of value and of sleepers is a read-modify-write of the one word
 * `state`, so all of them lie in that word's single modification order, and each
 * RMW reads the latest value before it. Take a sleeper S and a release R that
 * publishes a unit.
 *   - If S's registration (fetch_add of one sleeper) comes before R's CAS in that
 *     order, R's CAS replaces a word with sleepers >= 1 (S is still registered:
 *     it unregisters only after it took a unit or gave up), so R calls
 *     weft__wake(value half, min(n, sleepers)). That wake either finds S asleep in
 *     weft__wait, or comes before S sleeps, and then weft__wait sees value != 0
 *     (R's CAS is before S's check in modification order, and the wait backends
 *     re-read the word atomically with respect to the wake) and returns at once.
 *   - If R's CAS comes before S's registration, S's registration RMW reads a word
 *     that already holds R's units, and S's next look at value (a load later in
 *     S's program order, so by coherence not older than its own RMW) sees them,
 *     so S takes a unit instead of sleeping (or sees 0 only because another
 *     thread took the unit, which is barging, not a lost wakeup).
 * This needs nothing beyond coherence of one location; the RMWs use acq_rel (the
 * CAS that takes a unit is acquire, the CAS that publishes it is release: that
 * pair is the happens-before edge from releaser to acquirer). A woken sleeper
 * always re-reads value before deciding anything, and a sleeper whose deadline
 * passed makes one last attempt to take a unit before it reports WEFT_ETIMEDOUT,
 * so a wake it absorbed is never wasted while a unit is free.
 *
 * Lifetime
 * --------
 * The releaser reads the sleeper count from the very CAS that publishes its
 * units (the old word the CAS replaced) and never touches the object's memory
 * after that CAS: bound is read before it, and the address of the value half is
 * computed before it (pointer arithmetic, no access). The only thing after the
 * CAS is weft__wake, and both backends use the address only as a key: the futex
 * backend's FUTEX_WAKE | FUTEX_PRIVATE_FLAG makes the kernel key the futex by
 * (mm, address) without reading the memory (src/platform/linux/futex.c), and the
 * parking backend's weft__wake hashes the address to a bucket (bucket_of) and
 * compares it with the parked nodes' addresses, never dereferencing it
 * (src/platform/posix/parking.c). If the memory was freed and reused for another
 * weft object meanwhile, that wake is at worst a spurious wakeup there, which
 * every weft__wait caller tolerates by contract. So an acquirer that takes the
 * unit may return and destroy or free the semaphore at once, even while the
 * releaser is still inside weft_semaphore_release (glibc bug 12674 avoided the
 * same way as glibc 2.21's sem_post). A sleeper unregisters before its acquire
 * returns, so nothing of the acquirer touches the object after acquire returns.
 *
 * Yield phase (internal/yield.h, shared with Event and Condition): before it
 * registers as a sleeper, a blocking acquirer yields the CPU up to 64 times
 * and tries to take a unit after each yield. A hand-off between two threads then costs no
 * futex sleep and no wake-up, and the releaser makes no system call, as it
 * sees no sleeper (bench/README.md, session 8). The phase only repeats
 * try_take (the CAS that takes a unit) and ends at the deadline, so the
 * protocol above is unchanged; an acquirer in the phase is not registered and
 * has no wait record yet (a dump shows it running). It is barging like any
 * running acquirer (below).
 *
 * Debugging: an acquirer about to sleep records WEFT__WK_SEMAPHORE in its
 * thread's wait record (internal/debug.h) and ends it before returning; the
 * fast path (a free unit) records nothing. rec_end runs before acquire
 * returns, so no reader of the record can touch sem once the caller may free it.
 *
 * Wake count: release(n) wakes min(n, sleepers), never everyone (no thundering
 * herd). Barging is allowed, as in CPython: a running acquirer may take a unit
 * that was released for a sleeper; the sleeper then sleeps again.
 */
#include <stdatomic.h>
#include <stddef.h>

#include "internal/annotate.h"
#include "internal/clock.h"
#include "internal/debug.h"
#include "internal/wait.h"
#include "internal/yield.h"
#include "weft/semaphore.h"

#define SEM_UNBOUNDED   0u                      /* bound of a plain Semaphore */
#define SEM_VALUE_MASK  UINT64_C(0xffffffff)    /* state: bits 0..31 = value */
#define SEM_SLEEPER_SHIFT 32                    /* state: bits 32..63 = sleepers */
#define SEM_ONE_SLEEPER (UINT64_C(1) << SEM_SLEEPER_SHIFT)

#if !defined(__BYTE_ORDER__) || !defined(__ORDER_LITTLE_ENDIAN__) || !defined(__ORDER_BIG_ENDIAN__)
#  error "weft: semaphore.c needs __BYTE_ORDER__ to find the value half of its state word"
#elif __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#  define SEM_VALUE_OFFSET 0    /* the low 32 bits sit at the lower address */
#elif __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#  define SEM_VALUE_OFFSET 4    /* the low 32 bits sit at the higher address */
#else
#  error "weft: semaphore.c supports little- and big-endian byte orders only"
#endif

_Static_assert(WEFT_SEMAPHORE_VALUE_MAX <= UINT32_MAX - 1, "bound = max + 1 must fit");
_Static_assert(WEFT_SEMAPHORE_VALUE_MAX <= SEM_VALUE_MASK, "value fits its 32-bit half");
_Static_assert(sizeof(WEFT_ATOMIC(uint64_t)) == 8 && sizeof(WEFT_ATOMIC(uint32_t)) == 4,
               "state is two 32-bit halves");
_Static_assert(offsetof(weft_semaphore, state) % 8 == 0, "state is naturally aligned");
_Static_assert(__atomic_always_lock_free(8, 0),
               "the 64-bit state word must be lock-free (its value half is a futex word)");

static inline uint32_t value_of(uint64_t s) { return (uint32_t)(s & SEM_VALUE_MASK); }
static inline uint32_t sleepers_of(uint64_t s) { return (uint32_t)(s >> SEM_SLEEPER_SHIFT); }

/* The 32-bit half of state that holds value: the address sleepers wait on and
 * releasers wake. Pointer arithmetic only: it reads nothing. */
static inline const WEFT_ATOMIC(uint32_t) *value_word(const weft_semaphore *sem)
{
    return (const WEFT_ATOMIC(uint32_t) *)(const void *)
        ((const unsigned char *)&sem->state + SEM_VALUE_OFFSET);
}

/* Tell helgrind/drd the state word is only accessed atomically. Repeated at
 * every entry point because a semaphore set up with WEFT_SEMAPHORE_INIT (or
 * zero-filled) never runs init; it compiles to nothing outside
 * -DWEFT_VALGRIND=ON builds. */
#define BENIGN(sem) WEFT__BENIGN_WORD(&(sem)->state, sizeof (sem)->state)

static int init(weft_semaphore *sem, long value, bool bounded)
{
    if (!sem || value < 0) return WEFT_EINVAL;
    if (value > WEFT_SEMAPHORE_VALUE_MAX) return WEFT_EOVERFLOW;
    atomic_init(&sem->state, (uint64_t)(uint32_t)value);   /* no sleepers */
    sem->bound = bounded ? (uint32_t)value + 1u : SEM_UNBOUNDED;
    BENIGN(sem);
    return WEFT_OK;
}

int weft_semaphore_init(weft_semaphore *sem, long value) { return init(sem, value, false); }
int weft_bounded_semaphore_init(weft_semaphore *sem, long value) { return init(sem, value, true); }

void weft_semaphore_destroy(weft_semaphore *sem)
{
    if (sem) weft__name_forget(sem);
}

/* Take a unit if one is free. In the slow path the first load is the sleeper's
 * "look at value after registering" of the argument above (coherence: it is not
 * older than the registration RMW before it). The successful CAS is acquire: it
 * reads the word written by the publishing release CAS (or a later RMW of the
 * release sequence headed by it). */
/* model: semaphore.pml S1 (CAS take) */
static bool try_take(weft_semaphore *sem)
{
    uint64_t s = atomic_load_explicit(&sem->state, memory_order_acquire);
    while (value_of(s) > 0) {
        if (atomic_compare_exchange_weak_explicit(&sem->state, &s, s - 1,
                                                  memory_order_acq_rel,
                                                  memory_order_acquire)) {
            WEFT__HAPPENS_AFTER(sem);
            return true;
        }
    }
    return false;
}

static bool phase_ready(void *sem) { return try_take(sem); }

__attribute__((noinline)) static int acquire_slow(weft_semaphore *sem, weft__ns deadline)
{
    int rc;
    bool recorded = false;
    int tok = 0;
    /* model: semaphore.pml S0 (the yield phase: unregistered take attempts) */
    if (weft__yield_phase(phase_ready, sem, deadline)) return WEFT_OK;
    /* Register before the last look at value (see "Why no wakeup is lost"):
     * from here on every release CAS ordered after this RMW sees sleepers >= 1. */
    /* model: semaphore.pml S2 (register) */
    atomic_fetch_add_explicit(&sem->state, SEM_ONE_SLEEPER, memory_order_acq_rel);
    for (;;) {
        if (try_take(sem)) { rc = WEFT_OK; break; }
        /* The wait record (internal/debug.h), begun just before the first sleep. */
        if (!recorded) {
            tok = weft__rec_begin(WEFT__WK_SEMAPHORE, sem, deadline);
            recorded = true;
        }
        /* model: semaphore.pml S3 (sleep on the value half) */
        if (weft__wait(value_word(sem), 0, deadline) == WEFT_ETIMEDOUT) {
            /* One last look: a release that picked us as its wakee must not be
             * lost because our deadline passed at the same moment. */
            rc = try_take(sem) ? WEFT_OK : WEFT_ETIMEDOUT;
            break;
        }
    }
    /* Unregister before returning: after acquire returns, this thread has no
     * access to sem left, so the caller may destroy it. relaxed: it publishes
     * nothing; a release that still counts us only wakes one thread too many. */
    /* model: semaphore.pml S4 (unregister) */
    atomic_fetch_sub_explicit(&sem->state, SEM_ONE_SLEEPER, memory_order_relaxed);
    if (recorded) weft__rec_end(tok);
    return rc;
}

int weft_semaphore_acquire(weft_semaphore *sem, bool blocking, double timeout)
{
    if (!sem) return WEFT_EINVAL;
    BENIGN(sem);
    if (!blocking) {
        /* Python: any timeout but None with blocking=False is a ValueError, even
         * if a unit is free. NaN != WEFT_FOREVER, so NaN is refused too. */
        if (timeout != WEFT_FOREVER) return WEFT_EINVAL;
        return try_take(sem) ? WEFT_OK : WEFT_ETIMEDOUT;
    }
    if (try_take(sem)) return WEFT_OK;   /* never waits: no timeout check */
    weft__ns deadline;
    switch (weft__timeout_class(timeout)) {
    case WEFT__T_FOREVER:  deadline = WEFT__NS_FOREVER; break;
    case WEFT__T_POSITIVE: deadline = weft__deadline_after(timeout); break;
    case WEFT__T_ZERO:
    case WEFT__T_NEGATIVE: return WEFT_ETIMEDOUT;       /* a poll that found 0 */
    case WEFT__T_NAN:      return WEFT_EINVAL;          /* Deviation: CPython spins */
    case WEFT__T_TOO_BIG:
    default:
        if (timeout < 0) return WEFT_ETIMEDOUT;         /* -inf: CPython polls */
        return WEFT_EOVERFLOW;
    }
    return acquire_slow(sem, deadline);
}

int weft_semaphore_release(weft_semaphore *sem, size_t n)
{
    if (!sem || n == 0) return WEFT_EINVAL;
    BENIGN(sem);
    /* Everything this call needs from *sem is read before the publishing CAS:
     * the bound, and the address of the value half (computed, not read). */
    const uint32_t bound = sem->bound;
    const WEFT_ATOMIC(uint32_t) *word = value_word(sem);
    uint64_t s = atomic_load_explicit(&sem->state, memory_order_relaxed);
    /* model: semaphore.pml R1 (one CAS: value + n; sleepers from the old word) */
    do {
        uint32_t v = value_of(s);
        if (bound != SEM_UNBOUNDED) {
            /* BoundedSemaphore: value + n > initial is a ValueError. */
            if (n > (size_t)(bound - 1u) || v > bound - 1u - (uint32_t)n)
                return WEFT_EINVAL;
        } else if (n > (size_t)((uint32_t)WEFT_SEMAPHORE_VALUE_MAX - v)) {
            return WEFT_EOVERFLOW;
        }
        WEFT__HAPPENS_BEFORE(sem);   /* a client request keyed by the address only */
        /* release: publishes the caller's writes to the thread that takes the
         * unit. value + n <= WEFT_SEMAPHORE_VALUE_MAX, so it never carries into
         * the sleeper half. */
    } while (!atomic_compare_exchange_weak_explicit(&sem->state, &s, s + (uint64_t)n,
                                                    memory_order_acq_rel,
                                                    memory_order_relaxed));
    /* From here on *sem may already be destroyed and freed (Lifetime above): s is
     * the word our CAS replaced, so its sleeper count is what we wake for. */
    /* model: semaphore.pml R2 (wake min(n, old sleepers); no access to *sem) */
    uint32_t w = sleepers_of(s);
    if (w > 0) {
        size_t k = n < w ? n : w;
        weft__wake(word, k > (size_t)WEFT__WAKE_ALL ? WEFT__WAKE_ALL : (int)k);
    }
    return WEFT_OK;
}

long weft_semaphore_value(const weft_semaphore *sem)
{
    if (!sem) return 0;
    BENIGN((weft_semaphore *)sem);
    return (long)value_of(atomic_load_explicit(&((weft_semaphore *)sem)->state,
                                               memory_order_relaxed));
}

long weft_semaphore_bound(const weft_semaphore *sem)
{
    if (!sem || sem->bound == SEM_UNBOUNDED) return -1;
    return (long)(sem->bound - 1u);
}
