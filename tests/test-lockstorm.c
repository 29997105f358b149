/* SPDX-License-Identifier: MIT */
/* test-lockstorm.c: the Lock waiter's backoff (src/lock.c, "Backoff").
 *
 * A waiter whose sleeps keep returning at once (weft__wait says
 * WEFT__WAIT_CHANGED: the holder released and re-took the lock before the
 * kernel compared the word) naps WEFT__LOCK_NAP_NS off the word after
 * WEFT__LOCK_NAP_AFTER such returns in a row; the starver never naps; a nap is
 * cut short at a timed acquire's deadline; a timed waiter that gets such a
 * return after its deadline leaves with WEFT_ETIMEDOUT.
 *
 * Real contention makes those returns only by chance, so this program is
 * linked with --wrap=weft__wait,--wrap=weft__os_nap (tests/CMakeLists.txt):
 * every wait on the word of the lock under test goes through
 * __wrap_weft__wait, which can answer WEFT__WAIT_CHANGED without sleeping (as
 * if the word had changed), and every nap through __wrap_weft__os_nap, which
 * records it and then naps. The wrapper also replays the rule on every answer
 * the waiter gets (faked or real), so each case compares the naps taken with
 * the naps the rule asks for, whatever the scheduling: a waiter that has
 * waited longer than the starvation threshold (1 ms) by the time of a faked
 * return is the starver and must not nap. Works with both wait backends.
 *
 * Ordering: the main thread holds the lock; it learns that the waiter reached
 * the backend from a counter the wrapper bumps, and waits for the faked
 * returns to be used up by polling a counter. No sleep orders anything. */
#include "harness.h"

#include <stdatomic.h>

#include "internal/clock.h"
#include "internal/lock.h"
#include "internal/wait.h"
#include "lock-test-util.h"
#include "weft/lock.h"

int __real_weft__wait(const WEFT_ATOMIC(uint32_t) *addr, uint32_t expected, weft__ns deadline);
void __real_weft__os_nap(int64_t ns);
int __wrap_weft__wait(const WEFT_ATOMIC(uint32_t) *addr, uint32_t expected, weft__ns deadline);
void __wrap_weft__os_nap(int64_t ns);

static struct {
    _Atomic(const void *) word;   /* the lock word whose waits are watched */
    _Atomic int fake;             /* this many more waits answer CHANGED at once */
    _Atomic int fake_to_deadline; /* then: answer CHANGED until the wait's deadline */
    _Atomic int fake_always;      /* or: answer CHANGED, deadline or not */
    _Atomic int stall_at;         /* the faked answer (1, 2, ...) given only when ... */
    _Atomic int64_t stall_ns;     /* ... the wait's deadline is this close */
    _Atomic int faked, real;      /* waits answered by the wrapper / by the backend */
    _Atomic int starving_faked;   /* faked answers to the starver (STARVING expected) */
    /* the rule, replayed by the wrapper: */
    _Atomic int missed, due;      /* CHANGED answers in a row; naps the rule asks for */
    _Atomic int last_due;         /* the latest answer made a nap due */
    _Atomic int64_t last_deadline, last_wait_at;
    /* the naps taken: */
    _Atomic int naps, naps_full, naps_past;   /* all / of NAP_NS / past the deadline */
    _Atomic int64_t nap_min;
} w;

static void watch(const void *word)
{
    memset(&w, 0, sizeof w);
    atomic_store(&w.nap_min, INT64_MAX);
    atomic_store(&w.word, word);
}

static void replay(int rc, uint32_t expected)
{
    atomic_store(&w.last_due, 0);
    if (rc != WEFT__WAIT_CHANGED) {
        atomic_store(&w.missed, 0);
    } else if (atomic_fetch_add(&w.missed, 1) + 1 >= WEFT__LOCK_NAP_AFTER &&
               !(expected & WEFT__LOCK_STARVING)) {
        atomic_store(&w.missed, 0);
        atomic_fetch_add(&w.due, 1);
        atomic_store(&w.last_due, 1);
    }
}

/* The naps of a timed waiter follow the rule, except that a CHANGED answer
 * the waiter reads after its deadline ends the acquire instead (lock.c: it
 * leaves with WEFT_ETIMEDOUT): if that answer was the waiter's last and made a
 * nap due, the nap is rightly missing. Which way it went depends on when the
 * waiter read the clock, so both are accepted. Returns the naps taken. */
static int assert_timed_naps_follow_rule(void)
{
    int naps = atomic_load(&w.naps), due = atomic_load(&w.due);
    if (naps != due) {
        ASSERT_EQ(naps, due - 1);
        ASSERT(atomic_load(&w.last_due));
    }
    return naps;
}

int __wrap_weft__wait(const WEFT_ATOMIC(uint32_t) *addr, uint32_t expected, weft__ns deadline)
{
    if ((const void *)addr != atomic_load(&w.word)) return __real_weft__wait(addr, expected, deadline);
    weft__ns now = weft__now();
    atomic_store(&w.last_deadline, deadline);
    atomic_store(&w.last_wait_at, now);
    int left = atomic_load(&w.fake);
    int rc;
    if ((left > 0 && atomic_compare_exchange_strong(&w.fake, &left, left - 1)) ||
        (left <= 0 && atomic_load(&w.fake_to_deadline) && deadline != WEFT__NS_FOREVER &&
         now < deadline) ||
        (left <= 0 && atomic_load(&w.fake_always))) {
        rc = WEFT__WAIT_CHANGED;
        if (atomic_fetch_add(&w.faked, 1) + 1 == atomic_load(&w.stall_at) &&
            deadline != WEFT__NS_FOREVER) {
            while (weft__now() < deadline - atomic_load(&w.stall_ns)) {
            }
        }
        if (expected & WEFT__LOCK_STARVING) atomic_fetch_add(&w.starving_faked, 1);
    } else {
        atomic_fetch_add(&w.real, 1);
        rc = __real_weft__wait(addr, expected, deadline);
    }
    replay(rc, expected);
    return rc;
}

void __wrap_weft__os_nap(int64_t ns)
{
    atomic_fetch_add(&w.naps, 1);
    if (ns == WEFT__LOCK_NAP_NS) atomic_fetch_add(&w.naps_full, 1);
    int64_t m = atomic_load(&w.nap_min);
    while (ns < m && !atomic_compare_exchange_weak(&w.nap_min, &m, ns)) {
    }
    /* The nap never runs past the deadline of the wait before it (the nap's
     * own clock read is later than that wait's, so its length is at most
     * deadline - last_wait_at). */
    weft__ns dl = atomic_load(&w.last_deadline);
    if (dl != WEFT__NS_FOREVER && ns > dl - atomic_load(&w.last_wait_at))
        atomic_fetch_add(&w.naps_past, 1);
    __real_weft__os_nap(ns);
}

struct waiter { weft_lock *lock; double timeout; int rc; double took; };

static void waiter_body(void *p, int i)
{
    (void)i;
    struct waiter *a = p;
    double t0 = weft_test_now();
    a->rc = weft_lock_acquire(a->lock, true, a->timeout);
    a->took = weft_test_now() - t0;
    if (a->rc == WEFT_OK) ASSERT_OK(weft_lock_release(a->lock));
}

/* A lock held by the caller, whose waits the wrapper watches. */
static void hold_and_watch(weft_lock *l)
{
    weft_lock_init(l);
    ASSERT_OK(weft_lock_acquire(l, true, WEFT_FOREVER));
    watch(&l->state);
}

/* One waiter with a timeout on l; joined; the watch ends. It must time out
 * after at least the timeout (l stays held). */
static void run_timed_waiter(weft_lock *l, double timeout)
{
    struct waiter a = { l, timeout, -1, 0 };
    weft_test_join(weft_test_start(1, waiter_body, &a));
    atomic_store(&w.word, NULL);
    ASSERT_RC(a.rc, WEFT_ETIMEDOUT);
    ASSERT_GE(a.took, timeout);
    ASSERT_LE(a.took, timeout + 5.0 * weft_test_factor());
}

/* A held lock whose waits answer CHANGED in the given mode (fake_to_deadline
 * or fake_always), and one timed waiter on it (run_timed_waiter). */
static void run_timed_storm(weft_lock *l, _Atomic int *mode, double timeout)
{
    hold_and_watch(l);
    atomic_store(mode, 1);
    run_timed_waiter(l, timeout);
}

/* Every nap stayed within the deadline of the wait before it; the caller
 * releases l, which is then at rest. */
static void no_nap_past_deadline_then_release(weft_lock *l)
{
    ASSERT_EQ(atomic_load(&w.naps_past), 0);
    ASSERT_OK(weft_lock_release(l));
    ASSERT_LOCK_AT_REST(l);
}

TEST(nap_length_is_cut_at_the_deadline)
{
    ASSERT_EQ(weft__lock_nap_length(WEFT__NS_FOREVER, 0), WEFT__LOCK_NAP_NS);
    ASSERT_EQ(weft__lock_nap_length(WEFT__NS_FOREVER, INT64_C(123456789)), WEFT__LOCK_NAP_NS);
    ASSERT_EQ(weft__lock_nap_length(1000000, 0), WEFT__LOCK_NAP_NS);
    ASSERT_EQ(weft__lock_nap_length(WEFT__LOCK_NAP_NS, 0), WEFT__LOCK_NAP_NS);
    ASSERT_EQ(weft__lock_nap_length(1000000, 1000000 - 5000), 5000);
    ASSERT_EQ(weft__lock_nap_length(1000000, 1000000), 0);
    ASSERT_LT(weft__lock_nap_length(1000000, 1000000 + 7), 0); /* past: no nap */
}

/* Six waits in a row answer CHANGED: the waiter naps after every second one
 * (three naps of NAP_NS unless it became the starver meanwhile), then sleeps
 * for real, and the release still reaches it. */
TEST(waiter_naps_after_waits_that_return_at_once)
{
    weft_lock l;
    hold_and_watch(&l);
    atomic_store(&w.fake, 6);
    struct waiter a = { &l, WEFT_FOREVER, -1, 0 };
    weft_test_threads *ts = weft_test_start(1, waiter_body, &a);
    /* the six are used up; it reached the backend */
    WAIT_UNTIL(atomic_load(&w.real) >= 1, 30);
    int faked = atomic_load(&w.faked);
    ASSERT_EQ(faked, 6);
    ASSERT_OK(weft_lock_release(&l));
    weft_test_join(ts);
    atomic_store(&w.word, NULL);
    ASSERT_OK(a.rc);
    int naps = atomic_load(&w.naps);
    ASSERT_EQ(naps, atomic_load(&w.due));
    ASSERT_EQ(atomic_load(&w.naps_full), naps); /* forever: never cut */
    if (atomic_load(&w.starving_faked) == 0) ASSERT_EQ(naps, 3);
    else fprintf(stderr, "note: the waiter became the starver after %d of the faked returns\n",
                 6 - atomic_load(&w.starving_faked));
    ASSERT_LOCK_AT_REST(&l);
    ASSERT_FALSE(weft_lock_locked(&l));
}

/* The nap that follows the second CHANGED answer, given 2 us before a timed
 * acquire's deadline, is at most those 2 us (not NAP_NS = 20 us); the waiter
 * then times out at its next wait. */
TEST(nap_is_cut_at_a_timed_acquires_deadline)
{
    weft_lock l;
    hold_and_watch(&l);
    atomic_store(&w.fake, 2);
    atomic_store(&w.stall_at, 2);
    atomic_store(&w.stall_ns, 2000);
    run_timed_waiter(&l, 0.05);
    int faked = atomic_load(&w.faked);
    int naps = assert_timed_naps_follow_rule();
    if (faked == 1) {
        /* Very slow runs (valgrind): the deadline had passed by the first
         * answer, which therefore ended the acquire. */
        fprintf(stderr, "note: the deadline passed before the first answer\n");
        ASSERT_EQ(naps, 0);
        ASSERT_EQ(atomic_load(&w.real), 0);
        ASSERT_OK(weft_lock_release(&l));
        return;
    }
    ASSERT_EQ(faked, 2);
    if (atomic_load(&w.starving_faked) == 0 && naps == 1) {
        int64_t len = atomic_load(&w.nap_min);
        ASSERT_LE(len, 2000);
        ASSERT_EQ(atomic_load(&w.real), 1);   /* then its next wait timed out */
    } else if (atomic_load(&w.starving_faked) == 0) {
        /* Preempted within those 2 us: it read the clock after its deadline
         * and left at the second answer (no further wait). */
        fprintf(stderr, "note: the waiter read its deadline as passed at the second answer\n");
        ASSERT_EQ(atomic_load(&w.real), 0);
    } else {
        /* Slow runs (valgrind): 1 ms went by before the second answer, so the
         * waiter was the starver by then and must not nap. */
        fprintf(stderr, "note: the waiter was the starver at the second answer\n");
        ASSERT_EQ(naps, 0);
    }
    no_nap_past_deadline_then_release(&l);
}

/* A timed waiter whose waits answer CHANGED until its deadline: it naps (never
 * past the deadline), stops napping once it is the starver, and times out
 * after the full timeout. */
TEST(timed_waiter_naps_within_its_timeout)
{
    weft_lock l;
    run_timed_storm(&l, &w.fake_to_deadline, 0.02);
    int naps = assert_timed_naps_follow_rule();
    if (naps > 0) {
        int64_t len = atomic_load(&w.nap_min);
        ASSERT_LE(len, WEFT__LOCK_NAP_NS);
    }
    /* 20 ms of CHANGED answers, the first 1 ms of them before it starves: it
     * napped, then (as the starver) took only faked answers without napping. */
    ASSERT_GT(atomic_load(&w.faked), 0);
    if (atomic_load(&w.faked) > atomic_load(&w.starving_faked) + 1) ASSERT_GT(naps, 0);
    no_nap_past_deadline_then_release(&l);
}

/* A timed waiter whose waits keep answering CHANGED after its deadline (the
 * holder re-takes the lock faster than a wait reaches the kernel, forever):
 * its waits never time out in the kernel, so it leaves on its own clock. */
TEST(timed_waiter_leaves_when_its_waits_never_sleep)
{
    weft_lock l;
    run_timed_storm(&l, &w.fake_always, 0.01);
    int real = atomic_load(&w.real);
    ASSERT_EQ(real, 0);                      /* every wait was answered CHANGED */
    (void)assert_timed_naps_follow_rule();
    no_nap_past_deadline_then_release(&l);
}

/* A waiter that has waited past the starvation threshold marks STARVING; its
 * CHANGED answers then never make it nap (the lock is reserved for it). */
TEST(starver_does_not_nap)
{
    weft_lock l;
    hold_and_watch(&l);
    struct waiter a = { &l, WEFT_FOREVER, -1, 0 };
    weft_test_threads *ts = weft_test_start(1, waiter_body, &a);
    WAIT_UNTIL(atomic_load(&w.real) >= 1, 30); /* it is sleeping (or about to) */
    /* sleep-ok: not for ordering; the wait must last > STARVE_NS (1 ms) */
    weft_test_sleep(0.003);
    atomic_store(&w.fake, 4);
    /* Wake it without releasing: it goes round, finds the lock held, marks
     * STARVING and waits again; those waits get the four CHANGED answers. Wake
     * again if the first wake came before it was asleep. */
    while (atomic_load(&w.fake) > 0) {
        weft__wake(&l.state, 1);
        weft_test_sleep(0.001);
    }
    int faked = atomic_load(&w.faked), starving = atomic_load(&w.starving_faked);
    ASSERT_EQ(faked, 4);
    ASSERT_EQ(starving, 4);
    ASSERT_OK(weft_lock_release(&l));
    weft_test_join(ts);
    atomic_store(&w.word, NULL);
    ASSERT_OK(a.rc);
    int due = atomic_load(&w.due), naps = atomic_load(&w.naps);
    ASSERT_EQ(due, 0);
    ASSERT_EQ(naps, 0);
    ASSERT_LOCK_AT_REST(&l);
}
