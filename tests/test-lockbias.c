/* SPDX-License-Identifier: MIT */
/* test-lockbias.c: the Lock's biased mode (src/lock.c, "Biased mode";
 * docs/design/lock.md). A Lock taken WEFT__BIAS_STREAK times in a row by one
 * thread, with nobody else touching it, becomes biased to that thread: its word
 * is WEFT__LOCK_BIASED, `bias` is WEFT__BIAS_ON and the owner takes and
 * releases it through `owned` alone. Any other thread that acquires or releases
 * it revokes the bias, once and for good (`bias` WEFT__BIAS_DONE_FREE or
 * WEFT__BIAS_DONE_HELD). Python's Lock semantics are the same in every mode.
 *
 * Where biasing is not possible in the process (weft__lock_bias_enabled() is 0:
 * no membarrier(PRIVATE_EXPEDITED), or WEFT_LOCK_BIAS=0) every case still runs all its
 * behavioural checks (return codes, locked(), counts); only the checks of the
 * bias words are skipped, with a note on stderr.
 *
 * Threads are ordered with handshakes: joins, flags the waiting side polls
 * and then sleeps on (weft_test_turn_wait/weft_test_turn_set, harness.h), and
 * "N threads are blocked on the lock" from the debug dump
 * (lock-test-util.h). No sleep orders anything; timing checks are lower bounds
 * (exact) and scaled upper bounds. */
#include "harness.h"
#include "lock-test-util.h"

#include <pthread.h>
#include <sched.h>
#include <spawn.h>
#include <stdatomic.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal/debug.h"
#include "internal/lock.h"
#include "weft/condition.h"
#include "weft/debug.h"
#include "weft/thread.h"

#define LOCKED    WEFT__LOCK_LOCKED
#define BIASED    WEFT__LOCK_BIASED
#define REVOKE    WEFT__LOCK_REVOKE
#define STREAK    WEFT__BIAS_STREAK

/* The lock's words, read as the tests need them (relaxed is enough: each read
 * is ordered after the writes it checks by a join or a handshake). */
static uint32_t st_of(weft_lock *l) { return atomic_load(&l->state); }
static uint32_t bias_of(weft_lock *l) { return atomic_load(&l->bias); }
static uint32_t owned_of(weft_lock *l) { return atomic_load(&l->owned); }
static uint32_t holder_of(weft_lock *l) { return atomic_load(&l->holder); }

/* ---- biasing available? ----------------------------------------------------------- */

/* Decided once per process by lock.c; the note is printed once per process. */
static int bias_on(void)
{
    static _Atomic int noted;
    int on = weft__lock_bias_enabled();
    if (!on && !atomic_exchange(&noted, 1)) {
        const char *env = getenv("WEFT_LOCK_BIAS");
        fprintf(stderr, "note: biasing is off in this process (weft__lock_bias_enabled() == 0%s%s): "
                        "the bias-word checks are skipped, the behavioural checks run\n",
                env ? ", WEFT_LOCK_BIAS=" : "", env ? env : "");
    }
    return on;
}

/* Each case starts with the lock-order checker and the statistics off (CI runs
 * the suite with WEFT_LOCK_ORDER=1 WEFT_LOCK_STATS=1, and the instrumented
 * paths are not what is tested here). Returns bias_on(). */
static int setup(void)
{
    ASSERT_OK(weft_debug_lock_order(false));
    ASSERT_OK(weft_debug_stats_enable(NULL, false));
    return bias_on();
}

static void fresh(weft_lock *l)
{
    memset(l, 0, sizeof *l);
    weft_lock_init(l);
}

/* n uncontended lock/unlock cycles by the calling thread. */
static void cycles(weft_lock *l, long n)
{
    for (long k = 0; k < n; k++) {
        ASSERT_OK(weft_lock_acquire(l, true, WEFT_FOREVER));
        ASSERT_OK(weft_lock_release(l));
    }
}

/* The lock is biased to some thread and not held. */
static void assert_biased_free(weft_lock *l)
{
    ASSERT_EQ(st_of(l), BIASED);
    ASSERT_EQ(bias_of(l), WEFT__BIAS_ON);
    ASSERT_EQ(owned_of(l), WEFT__LOCK_OWNED_FREE);
    ASSERT_FALSE(weft_lock_locked(l));
}

/* The lock is biased to some thread, which holds it. */
static void assert_biased_held(weft_lock *l)
{
    ASSERT_EQ(st_of(l), BIASED);
    ASSERT_EQ(bias_of(l), WEFT__BIAS_ON);
    ASSERT_EQ(owned_of(l), WEFT__LOCK_OWNED_HELD);
    ASSERT_TRUE(weft_lock_locked(l));
}

/* Not biased now and never again: `bias` holds how it ended (`want`). */
static void assert_revoked(weft_lock *l, uint32_t want)
{
    ASSERT_EQ(bias_of(l), want);
    ASSERT_EQ(st_of(l) & (BIASED | REVOKE), 0);
}

/* Bias a fresh lock to the calling thread: 2 * STREAK cycles. With biasing
 * off, check that it did not happen. */
static void bias_it(weft_lock *l, int on)
{
    cycles(l, 2 * (long)STREAK);
    if (on) {
        assert_biased_free(l);
        ASSERT_EQ(holder_of(l), weft__me());
    } else {
        ASSERT_EQ(st_of(l), 0);
        ASSERT_NE(bias_of(l), WEFT__BIAS_ON);
        ASSERT_FALSE(weft_lock_locked(l));
    }
}

/* What a helper thread saw, read by the main thread after the join. */
struct seen {
    weft_lock lock;
    _Atomic int rc, rc2;
    _Atomic uint32_t state, bias, owned;
    _Atomic int locked;
    _Atomic double elapsed;
};

static void seen_init(struct seen *s)
{
    memset(s, 0, sizeof *s);
    weft_lock_init(&s->lock);
    atomic_store(&s->rc, 99);
    atomic_store(&s->rc2, 99);
}

static void snapshot(struct seen *s)
{
    atomic_store(&s->state, st_of(&s->lock));
    atomic_store(&s->bias, bias_of(&s->lock));
    atomic_store(&s->owned, owned_of(&s->lock));
    atomic_store(&s->locked, weft_lock_locked(&s->lock));
}

/* ---- 1: the streak biases the lock ------------------------------------------------ */

TEST(bias_after_streak)
{
    int on = setup();
    weft_lock l;
    fresh(&l);
    ASSERT_EQ(st_of(&l), 0);
    ASSERT_EQ(bias_of(&l), 0);
    ASSERT_EQ(owned_of(&l), 0);
    ASSERT_EQ(holder_of(&l), 0);
    weft__tid me = weft__me();
    ASSERT_NE(me, 0);

    /* Half a streak: counted, not biased. */
    long half = STREAK / 2;
    cycles(&l, half);
    ASSERT_EQ(st_of(&l), 0);
    ASSERT_FALSE(weft_lock_locked(&l));
    ASSERT_EQ(holder_of(&l), me);
    if (on) {
        ASSERT_GE(bias_of(&l), half - 2);
        ASSERT_LE(bias_of(&l), half);
    } else {
        ASSERT_NE(bias_of(&l), WEFT__BIAS_ON);
    }

    /* The rest: biased to this thread, not held. */
    cycles(&l, 2 * (long)STREAK - half);
    if (on) {
        assert_biased_free(&l);
        ASSERT_EQ(holder_of(&l), me);
        ASSERT_EQ(weft__lock_holder(&l), 0); /* nobody holds it */
    } else {
        fprintf(stderr, "note: bias_after_streak: bias-word checks skipped\n");
        ASSERT_EQ(st_of(&l), 0);
        ASSERT_NE(bias_of(&l), WEFT__BIAS_ON);
    }

    /* Held by the owner: locked(), the detector's holder, owned HELD. */
    ASSERT_OK(weft_lock_acquire(&l, true, WEFT_FOREVER));
    ASSERT_TRUE(weft_lock_locked(&l));
    ASSERT_EQ(holder_of(&l), me);
    ASSERT_EQ(weft__lock_holder(&l), me);
    if (on) assert_biased_held(&l);
    ASSERT_OK(weft_lock_release(&l));
    ASSERT_FALSE(weft_lock_locked(&l));
    ASSERT_EQ(weft__lock_holder(&l), 0);
    if (on) assert_biased_free(&l);

    /* Every kind of acquire by the owner works on the biased lock and keeps it
     * biased. */
    ASSERT_OK(weft_lock_acquire(&l, false, WEFT_FOREVER));
    if (on) assert_biased_held(&l);
    ASSERT_OK(weft_lock_release(&l));
    ASSERT_OK(weft_lock_acquire(&l, true, 0));
    if (on) assert_biased_held(&l);
    ASSERT_OK(weft_lock_release(&l));
    ASSERT_OK(weft_lock_acquire(&l, true, 5));
    if (on) assert_biased_held(&l);
    ASSERT_OK(weft_lock_release(&l));
    /* The argument rules are checked first, as on a normal lock, and change nothing. */
    ASSERT_RC(weft_lock_acquire(&l, false, 1), WEFT_EINVAL);
    ASSERT_RC(weft_lock_acquire(&l, true, -5), WEFT_EINVAL);
    ASSERT_RC(weft_lock_acquire(&l, true, NAN), WEFT_EINVAL);
    ASSERT_RC(weft_lock_acquire(&l, true, 1e100), WEFT_EOVERFLOW);
    ASSERT_FALSE(weft_lock_locked(&l));
    if (on) assert_biased_free(&l);

    /* More cycles change nothing. */
    cycles(&l, 1000);
    if (on) assert_biased_free(&l);
    ASSERT_FALSE(weft_lock_locked(&l));
    weft_lock_destroy(&l);
}

/* ---- 2: a shared lock is never biased ----------------------------------------------- */

struct alt {
    weft_lock lock;
    _Atomic int turn;      /* whose round it is: 0 or 1; 2: stop */
    long rounds;           /* in total, both threads */
    int on;
    _Atomic long taken[2];
};

/* One of the two alternating threads: takes the lock in its rounds only, and
 * checks in each that the lock is not biased and its run is short. */
static void alternate(struct alt *a, int me)
{
    for (long r = me; r < a->rounds; r += 2) {
        weft_test_turn_wait(&a->turn, me);
        ASSERT_OK(weft_lock_acquire(&a->lock, true, WEFT_FOREVER));
        uint32_t s = st_of(&a->lock), b = bias_of(&a->lock);
        ASSERT_EQ(s, LOCKED);
        ASSERT_NE(b, WEFT__BIAS_ON);
        if (a->on && b < STREAK) ASSERT_LE(b, 2); /* the run restarted at this thread */
        ASSERT_OK(weft_lock_release(&a->lock));
        atomic_fetch_add(&a->taken[me], 1);
        weft_test_turn_set(&a->turn, 1 - me);
    }
}

static void alternate_helper(void *p, int i)
{
    (void)i;
    alternate(p, 1);
}

static void one_cycle(void *p, int i)
{
    (void)i;
    cycles(p, 1);
}

TEST(never_biased_when_shared)
{
    int on = setup();
    static struct alt a;
    memset(&a, 0, sizeof a);
    weft_lock_init(&a.lock);
    a.on = on;
    /* Under valgrind and the sanitizers fewer rounds (the run-length check
     * below still crosses STREAK). */
    a.rounds = weft_test_iters(3 * (long)STREAK);
    atomic_store(&a.turn, 0);
    weft_test_threads *ts = weft_test_start(1, alternate_helper, &a);
    alternate(&a, 0);
    weft_test_join(ts);
    ASSERT_EQ(atomic_load(&a.taken[0]) + atomic_load(&a.taken[1]), a.rounds);
    ASSERT_EQ(st_of(&a.lock), 0);
    ASSERT_NE(bias_of(&a.lock), WEFT__BIAS_ON);
    ASSERT_FALSE(weft_lock_locked(&a.lock));

    /* The run is counted in a row: STREAK - 8 cycles by this thread, one by
     * another thread, STREAK - 8 again: 2 * STREAK - 16 by this thread, never
     * STREAK in a row, so not biased. 16 more make a run past STREAK: biased. */
    weft_lock l;
    fresh(&l);
    cycles(&l, STREAK - 8);
    ASSERT_EQ(st_of(&l), 0);
    weft_test_join(weft_test_start(1, one_cycle, &l));
    ASSERT_EQ(st_of(&l), 0);
    cycles(&l, STREAK - 8);
    ASSERT_EQ(st_of(&l), 0);
    ASSERT_NE(bias_of(&l), WEFT__BIAS_ON);
    if (on) ASSERT_LT(bias_of(&l), STREAK);
    cycles(&l, 16);
    if (on) {
        assert_biased_free(&l);
        ASSERT_EQ(holder_of(&l), weft__me());
    } else {
        fprintf(stderr, "note: never_biased_when_shared: bias-word checks skipped\n");
        ASSERT_EQ(st_of(&l), 0);
    }
    ASSERT_OK(weft_lock_acquire(&l, true, WEFT_FOREVER));
    ASSERT_OK(weft_lock_release(&l));
    weft_lock_destroy(&l);
}

/* ---- 3: revoked by an acquirer while free --------------------------------------------- */

static void acquire_snapshot_release(void *p, int i)
{
    (void)i;
    struct seen *s = p;
    atomic_store(&s->rc, weft_lock_acquire(&s->lock, true, WEFT_FOREVER));
    snapshot(s);
    atomic_store(&s->rc2, weft_lock_release(&s->lock));
}

TEST(revoke_by_acquirer_when_free)
{
    int on = setup();
    static struct seen s;
    seen_init(&s);
    bias_it(&s.lock, on);
    /* Another thread takes the free biased lock: the bias ends "free", the lock
     * is a normal lock held by that thread. */
    weft_test_join(weft_test_start(1, acquire_snapshot_release, &s));
    ASSERT_RC(atomic_load(&s.rc), WEFT_OK);
    ASSERT_RC(atomic_load(&s.rc2), WEFT_OK);
    ASSERT_TRUE(atomic_load(&s.locked));
    ASSERT_EQ(atomic_load(&s.state), LOCKED);
    if (on) ASSERT_EQ(atomic_load(&s.bias), WEFT__BIAS_DONE_FREE);
    ASSERT_FALSE(weft_lock_locked(&s.lock));
    ASSERT_EQ(st_of(&s.lock), 0);
    if (on) assert_revoked(&s.lock, WEFT__BIAS_DONE_FREE);
    else fprintf(stderr, "note: revoke_by_acquirer_when_free: bias-word checks skipped\n");

    /* The owner takes it again as a normal lock. */
    ASSERT_OK(weft_lock_acquire(&s.lock, true, WEFT_FOREVER));
    ASSERT_EQ(st_of(&s.lock), LOCKED);
    ASSERT_EQ(weft__lock_holder(&s.lock), weft__me());
    ASSERT_OK(weft_lock_release(&s.lock));
    ASSERT_EQ(st_of(&s.lock), 0);

    /* Never biased again, however long the owner's run. */
    cycles(&s.lock, 2 * (long)STREAK);
    ASSERT_EQ(st_of(&s.lock), 0);
    if (on) assert_revoked(&s.lock, WEFT__BIAS_DONE_FREE);
    ASSERT_NE(bias_of(&s.lock), WEFT__BIAS_ON);
    weft_lock_destroy(&s.lock);
}

/* ---- 4: revoked by a timed acquirer while held ---------------------------------------- */

static void timed_acquire_50ms(void *p, int i)
{
    (void)i;
    struct seen *s = p;
    double t0 = weft_test_now();
    atomic_store(&s->rc, weft_lock_acquire(&s->lock, true, 0.05));
    atomic_store(&s->elapsed, weft_test_now() - t0);
}

static void acquire_release(void *p, int i)
{
    (void)i;
    struct seen *s = p;
    atomic_store(&s->rc2, weft_lock_acquire(&s->lock, true, WEFT_FOREVER));
    if (atomic_load(&s->rc2) == WEFT_OK) ASSERT_OK(weft_lock_release(&s->lock));
}

TEST(revoke_by_acquirer_when_held)
{
    int on = setup();
    static struct seen s;
    seen_init(&s);
    bias_it(&s.lock, on);
    ASSERT_OK(weft_lock_acquire(&s.lock, true, WEFT_FOREVER));
    if (on) assert_biased_held(&s.lock);

    /* Another thread's timed acquire revokes the bias "held" (the lock becomes
     * a normal lock held by the owner), waits its timeout and fails. */
    weft_test_join(weft_test_start(1, timed_acquire_50ms, &s));
    ASSERT_RC(atomic_load(&s.rc), WEFT_ETIMEDOUT);
    ASSERT_GE(atomic_load(&s.elapsed), 0.05 - 1e-4);
    ASSERT_LE(atomic_load(&s.elapsed), 5 * weft_test_factor());
    ASSERT_TRUE(weft_lock_locked(&s.lock));
    ASSERT_TRUE(st_of(&s.lock) & LOCKED);
    ASSERT_EQ(weft__lock_holder(&s.lock), weft__me()); /* still the owner's */
    if (on) assert_revoked(&s.lock, WEFT__BIAS_DONE_HELD);
    else fprintf(stderr, "note: revoke_by_acquirer_when_held: bias-word checks skipped\n");

    /* The owner's release is a normal release now. */
    ASSERT_OK(weft_lock_release(&s.lock));
    ASSERT_FALSE(weft_lock_locked(&s.lock));
    ASSERT_EQ(st_of(&s.lock), 0);
    ASSERT_RC(weft_lock_release(&s.lock), WEFT_EPERM);

    weft_test_join(weft_test_start(1, acquire_release, &s));
    ASSERT_RC(atomic_load(&s.rc2), WEFT_OK);
    ASSERT_EQ(st_of(&s.lock), 0);
    cycles(&s.lock, 2 * (long)STREAK);
    if (on) assert_revoked(&s.lock, WEFT__BIAS_DONE_HELD);
    ASSERT_EQ(st_of(&s.lock), 0);
    weft_lock_destroy(&s.lock);
}

/* ---- 5: a blocked acquirer gets the lock when the owner releases ---------------------- */

struct blocked {
    weft_lock lock;
    _Atomic int rc[2];
    _Atomic int got;
};

static void block_then_take(void *p, int i)
{
    struct blocked *b = p;
    /* thread 0 waits forever, thread 1 with a (long) timeout */
    int rc = weft_lock_acquire(&b->lock, true, i == 0 ? WEFT_FOREVER : 60 * weft_test_factor());
    atomic_store(&b->rc[i], rc);
    if (rc == WEFT_OK) {
        atomic_fetch_add(&b->got, 1);
        ASSERT_OK(weft_lock_release(&b->lock));
    }
}

TEST(blocked_acquirer_gets_it_when_owner_releases)
{
    int on = setup();
    static struct blocked b;
    memset(&b, 0, sizeof b);
    weft_lock_init(&b.lock);
    atomic_store(&b.rc[0], 99);
    atomic_store(&b.rc[1], 99);
    bias_it(&b.lock, on);
    ASSERT_OK(weft_lock_acquire(&b.lock, true, WEFT_FOREVER));
    if (on) assert_biased_held(&b.lock);

    /* Two threads block on it (one revokes, the other finds the revocation in
     * progress or done); the dump shows both waiting on the lock. */
    weft_test_threads *ts = weft_test_start(2, block_then_take, &b);
    WAIT_UNTIL(blocked_on(&b.lock) == 2, 10);
    if (on) WAIT_UNTIL(bias_of(&b.lock) == WEFT__BIAS_DONE_HELD, 10);
    ASSERT_EQ(weft_test_finished(ts), 0);
    ASSERT_EQ(atomic_load(&b.got), 0);
    ASSERT_TRUE(weft_lock_locked(&b.lock));
    ASSERT_TRUE(st_of(&b.lock) & LOCKED);
    ASSERT_EQ(st_of(&b.lock) & (BIASED | REVOKE), 0);
    ASSERT_EQ(weft__lock_holder(&b.lock), weft__me());

    /* The owner's release hands it on. */
    double t0 = weft_test_now();
    ASSERT_OK(weft_lock_release(&b.lock));
    weft_test_join(ts);
    ASSERT_ELAPSED_AT_MOST(t0, 10);
    ASSERT_RC(atomic_load(&b.rc[0]), WEFT_OK);
    ASSERT_RC(atomic_load(&b.rc[1]), WEFT_OK);
    ASSERT_EQ(atomic_load(&b.got), 2);
    ASSERT_FALSE(weft_lock_locked(&b.lock));
    ASSERT_EQ(st_of(&b.lock), 0);
    if (on) assert_revoked(&b.lock, WEFT__BIAS_DONE_HELD);
    else fprintf(stderr, "note: blocked_acquirer_gets_it_when_owner_releases: bias-word checks skipped\n");
    weft_lock_destroy(&b.lock);
}

/* ---- 6: another thread releases the owner's held lock ---------------------------------- */

static void release_snapshot(void *p, int i)
{
    (void)i;
    struct seen *s = p;
    atomic_store(&s->rc, weft_lock_release(&s->lock));
    snapshot(s);
}

TEST(third_party_release_of_biased_held_lock)
{
    int on = setup();
    static struct seen s;
    seen_init(&s);
    bias_it(&s.lock, on);
    ASSERT_OK(weft_lock_acquire(&s.lock, true, WEFT_FOREVER));
    if (on) assert_biased_held(&s.lock);

    /* Python allows any thread to release a Lock: the release revokes the bias
     * (the owner held it: "held") and releases the normal lock. */
    weft_test_join(weft_test_start(1, release_snapshot, &s));
    ASSERT_RC(atomic_load(&s.rc), WEFT_OK);
    ASSERT_FALSE(atomic_load(&s.locked));
    ASSERT_FALSE(weft_lock_locked(&s.lock));
    ASSERT_EQ(st_of(&s.lock), 0);
    if (on) assert_revoked(&s.lock, WEFT__BIAS_DONE_HELD);
    else fprintf(stderr, "note: third_party_release_of_biased_held_lock: bias-word checks skipped\n");

    /* The owner's own release now finds it unlocked. */
    ASSERT_RC(weft_lock_release(&s.lock), WEFT_EPERM);
    ASSERT_EQ(st_of(&s.lock), 0);
    ASSERT_FALSE(weft_lock_locked(&s.lock));

    /* Usable, by both. */
    ASSERT_OK(weft_lock_acquire(&s.lock, false, WEFT_FOREVER));
    ASSERT_EQ(st_of(&s.lock), LOCKED);
    ASSERT_RC(weft_lock_acquire(&s.lock, false, WEFT_FOREVER), WEFT_ETIMEDOUT);
    ASSERT_OK(weft_lock_release(&s.lock));
    weft_test_join(weft_test_start(1, acquire_release, &s));
    ASSERT_RC(atomic_load(&s.rc2), WEFT_OK);
    cycles(&s.lock, 2 * (long)STREAK);
    ASSERT_EQ(st_of(&s.lock), 0);
    if (on) assert_revoked(&s.lock, WEFT__BIAS_DONE_HELD);
    weft_lock_destroy(&s.lock);
}

/* ---- 7: the owner releases its biased lock while not holding it --------------------- */

TEST(release_unlocked_biased_by_owner)
{
    int on = setup();
    weft_lock l;
    fresh(&l);
    bias_it(&l, on);
    ASSERT_RC(weft_lock_release(&l), WEFT_EPERM);
    ASSERT_FALSE(weft_lock_locked(&l));
    if (on) assert_biased_free(&l); /* changed nothing, still biased */
    else {
        fprintf(stderr, "note: release_unlocked_biased_by_owner: bias-word checks skipped\n");
        ASSERT_EQ(st_of(&l), 0);
    }
    ASSERT_RC(weft_lock_release(&l), WEFT_EPERM);
    ASSERT_OK(weft_lock_acquire(&l, true, WEFT_FOREVER));
    ASSERT_TRUE(weft_lock_locked(&l));
    if (on) assert_biased_held(&l);
    ASSERT_OK(weft_lock_release(&l));
    ASSERT_RC(weft_lock_release(&l), WEFT_EPERM);
    if (on) assert_biased_free(&l);
    ASSERT_FALSE(weft_lock_locked(&l));
    weft_lock_destroy(&l);
}

/* ---- 8: another thread releases the free biased lock -------------------------------- */

TEST(release_unlocked_biased_by_other)
{
    int on = setup();
    static struct seen s;
    seen_init(&s);
    bias_it(&s.lock, on);
    weft_test_join(weft_test_start(1, release_snapshot, &s));
    ASSERT_RC(atomic_load(&s.rc), WEFT_EPERM);
    ASSERT_FALSE(atomic_load(&s.locked));
    ASSERT_FALSE(weft_lock_locked(&s.lock));
    ASSERT_EQ(st_of(&s.lock), 0);
    /* A non-owner's release revokes first (the owner did not hold it). */
    if (on) assert_revoked(&s.lock, WEFT__BIAS_DONE_FREE);
    else fprintf(stderr, "note: release_unlocked_biased_by_other: bias-word checks skipped\n");

    /* Usable by both, not held. */
    ASSERT_OK(weft_lock_acquire(&s.lock, true, WEFT_FOREVER));
    ASSERT_TRUE(weft_lock_locked(&s.lock));
    ASSERT_EQ(st_of(&s.lock), LOCKED);
    ASSERT_OK(weft_lock_release(&s.lock));
    weft_test_join(weft_test_start(1, acquire_release, &s));
    ASSERT_RC(atomic_load(&s.rc2), WEFT_OK);
    ASSERT_FALSE(weft_lock_locked(&s.lock));
    ASSERT_EQ(st_of(&s.lock), 0);
    if (on) assert_revoked(&s.lock, WEFT__BIAS_DONE_FREE);
    weft_lock_destroy(&s.lock);
}

/* ---- 9: the owner's non-blocking and timed re-acquire ---------------------------------- */

TEST(owner_nonblocking_reacquire)
{
    int on = setup();
    weft_lock l;
    fresh(&l);
    bias_it(&l, on);
    ASSERT_OK(weft_lock_acquire(&l, true, WEFT_FOREVER));

    /* Python's acquire(False) on a held Lock: False, nothing changed (the owner's
     * own attempt does not revoke). */
    ASSERT_RC(weft_lock_acquire(&l, false, WEFT_FOREVER), WEFT_ETIMEDOUT);
    ASSERT_TRUE(weft_lock_locked(&l));
    if (on) assert_biased_held(&l);
    ASSERT_RC(weft_lock_acquire(&l, true, 0), WEFT_ETIMEDOUT); /* a poll */
    ASSERT_TRUE(weft_lock_locked(&l));

    /* A timed wait on itself times out; the lock stays held (biased, or
     * converted to a normal lock held by the owner). */
    double t0 = weft_test_now();
    ASSERT_RC(weft_lock_acquire(&l, true, 0.02), WEFT_ETIMEDOUT);
    ASSERT_ELAPSED_AT_LEAST(t0, 0.02);
    ASSERT_ELAPSED_AT_MOST(t0, 5);
    ASSERT_TRUE(weft_lock_locked(&l));
    ASSERT_EQ(weft__lock_holder(&l), weft__me());
    if (on) {
        uint32_t b = bias_of(&l);
        if (b == WEFT__BIAS_ON) {
            assert_biased_held(&l);
        } else {
            ASSERT_EQ(b, WEFT__BIAS_DONE_HELD);
            ASSERT_TRUE(st_of(&l) & LOCKED);
            ASSERT_EQ(st_of(&l) & (BIASED | REVOKE), 0);
        }
    } else {
        fprintf(stderr, "note: owner_nonblocking_reacquire: bias-word checks skipped\n");
    }

    ASSERT_OK(weft_lock_release(&l));
    ASSERT_FALSE(weft_lock_locked(&l));
    ASSERT_RC(weft_lock_release(&l), WEFT_EPERM);
    ASSERT_OK(weft_lock_acquire(&l, false, WEFT_FOREVER));
    ASSERT_OK(weft_lock_release(&l));
    ASSERT_FALSE(weft_lock_locked(&l));
    weft_lock_destroy(&l);
}

/* ---- 10: the owner re-acquires its held biased lock: a reported deadlock ---------------- */

/* Report capture with a pthread mutex (the hook must not block on weft objects). */
static pthread_mutex_t cap_lock = PTHREAD_MUTEX_INITIALIZER;
static char cap_text[8192];
static _Atomic int cap_count;

static void capture_hook(const char *report, void *arg)
{
    (void)arg;
    pthread_mutex_lock(&cap_lock);
    size_t len = strlen(cap_text);
    snprintf(cap_text + len, sizeof cap_text - len, "%s", report);
    pthread_mutex_unlock(&cap_lock);
    atomic_fetch_add(&cap_count, 1);
}

static bool captured(const char *needle)
{
    pthread_mutex_lock(&cap_lock);
    bool yes = strstr(cap_text, needle) != NULL;
    pthread_mutex_unlock(&cap_lock);
    return yes;
}

TEST(owner_self_deadlock_reported)
{
    int on = setup();
    weft_deadlock_mode old = weft_deadlock_get_mode();
    pthread_mutex_lock(&cap_lock);
    cap_text[0] = '\0';
    pthread_mutex_unlock(&cap_lock);
    atomic_store(&cap_count, 0);
    weft_debug_set_report_hook(capture_hook, NULL);
    ASSERT_OK(weft_deadlock_set_mode(WEFT_DEADLOCK_REPORT)); /* overrides WEFT_DEADLOCK=abort */

    weft_lock l;
    fresh(&l);
    ASSERT_OK(weft_debug_name(&l, "biased lock"));
    bias_it(&l, on);
    ASSERT_OK(weft_lock_acquire(&l, true, WEFT_FOREVER));
    if (on) assert_biased_held(&l);

    double t0 = weft_test_now();
    ASSERT_RC(weft_lock_acquire(&l, true, WEFT_FOREVER), WEFT_EDEADLK);
    ASSERT_ELAPSED_AT_MOST(t0, 10);
    ASSERT_EQ(atomic_load(&cap_count), 1);
    ASSERT_TRUE(captured("deadlock detected"));
    ASSERT_TRUE(captured("'biased lock'"));
    ASSERT_TRUE(captured("held by"));
    ASSERT_TRUE(captured("returns WEFT_EDEADLK"));

    /* Unchanged: still held once, by the owner; the bias was revoked on the way
     * (the lock is a normal held lock now). */
    ASSERT_TRUE(weft_lock_locked(&l));
    ASSERT_EQ(weft__lock_holder(&l), weft__me());
    ASSERT_TRUE(st_of(&l) & LOCKED);
    if (on) assert_revoked(&l, WEFT__BIAS_DONE_HELD);
    else fprintf(stderr, "note: owner_self_deadlock_reported: bias-word checks skipped\n");
    ASSERT_OK(weft_lock_release(&l));
    ASSERT_RC(weft_lock_release(&l), WEFT_EPERM);
    ASSERT_FALSE(weft_lock_locked(&l));
    ASSERT_EQ(st_of(&l), 0);

    weft_debug_set_report_hook(NULL, NULL);
    ASSERT_OK(weft_deadlock_set_mode(old));
    weft_lock_destroy(&l);
}

/* ---- 11: stress: the conversion racing with the owner's fast paths -------------------- */

struct conv {
    weft_lock lock;
    _Atomic int go;
    _Atomic int done;
    long iters;        /* per other thread */
    long counter;      /* plain: under the lock */
};

static void conv_other(void *p, int i)
{
    struct conv *c = p;
    weft_test_turn_wait(&c->go, 1);
    for (long k = 0; k < c->iters; k++) {
        int rc;
        switch ((k + i) % 3) {
        case 0:
            rc = weft_lock_acquire(&c->lock, true, WEFT_FOREVER);
            break;
        case 1:
            while ((rc = weft_lock_acquire(&c->lock, true, 0.0005)) == WEFT_ETIMEDOUT) {}
            break;
        default:
            while ((rc = weft_lock_acquire(&c->lock, false, WEFT_FOREVER)) == WEFT_ETIMEDOUT)
                sched_yield();
            break;
        }
        ASSERT_OK(rc);
        c->counter++;
        ASSERT_OK(weft_lock_release(&c->lock));
    }
    atomic_fetch_add(&c->done, 1);
}

SLOW_TEST(stress_conversion_races)
{
    int on = setup();
    static struct conv c;
    long reps = weft_test_iters(200);
    const int K = 3;
    /* How long the owner holds the lock in its first iterations after the
     * start signal, by repetition: the revocation (one membarrier, ~1-15 us)
     * then overlaps the owner's acquire, its release, or a whole critical
     * section, so both outcomes (the revoker sees it held / free) occur. */
    static const double hold[4] = { 0, 1e-6, 5e-6, 20e-6 };
    long seen_held = 0, seen_free = 0;
    for (long r = 0; r < reps; r++) {
        memset(&c, 0, sizeof c);
        weft_lock_init(&c.lock);
        c.iters = weft_test_iters(2000);
        bias_it(&c.lock, on);
        /* The owner (this thread) keeps taking it while the others start on the
         * same signal; the first of them revokes the bias at some point of the
         * owner's loop (held or not). */
        weft_test_threads *ts = weft_test_start(K, conv_other, &c);
        long mine = 0;
        weft_test_turn_set(&c.go, 1);
        while (atomic_load(&c.done) < K) {
            ASSERT_OK(weft_lock_acquire(&c.lock, true, WEFT_FOREVER));
            c.counter++;
            if (mine < 200 && hold[r % 4] > 0) {
                double t0 = weft_test_now();
                while (weft_test_now() - t0 < hold[r % 4]) {}
            }
            ASSERT_OK(weft_lock_release(&c.lock));
            /* The biased loop makes no system call: yield now and then, or
             * valgrind's scheduler (one thread at a time, not fair) may
             * never run the others. */
            if ((++mine & 63) == 0) sched_yield();
        }
        weft_test_join(ts);
        ASSERT_EQ(c.counter, mine + K * c.iters);
        ASSERT_FALSE(weft_lock_locked(&c.lock));
        ASSERT_EQ(st_of(&c.lock), 0);
        if (on) {
            uint32_t b = bias_of(&c.lock);
            if (b == WEFT__BIAS_DONE_HELD) seen_held++;
            else if (b == WEFT__BIAS_DONE_FREE) seen_free++;
            else weft_test_fail(__FILE__, __LINE__, "rep %ld: bias %#x is not DONE_FREE/DONE_HELD",
                                r, (unsigned)b);
        }
        /* Never biased again. */
        cycles(&c.lock, 100);
        ASSERT_EQ(st_of(&c.lock), 0);
        ASSERT_NE(bias_of(&c.lock), WEFT__BIAS_ON);
        weft_lock_destroy(&c.lock);
    }
    if (on) printf("conversions: %ld reps, revoked while held %ld, while free %ld\n", reps,
                   seen_held, seen_free);
    else fprintf(stderr, "note: stress_conversion_races: bias-word checks skipped\n");
}

/* ---- 12: a Condition over a biased lock --------------------------------------------- */

struct pc {
    weft_lock lock;
    weft_condition cond;
    long n;
    int full;          /* the one-item slot: under the lock */
    long item;
    long sum;
};

static void producer(void *p, int i)
{
    (void)i;
    struct pc *s = p;
    for (long k = 1; k <= s->n; k++) {
        ASSERT_OK(weft_condition_acquire(&s->cond, true, WEFT_FOREVER));
        while (s->full) ASSERT_OK(weft_condition_wait(&s->cond, WEFT_FOREVER));
        s->item = k;
        s->full = 1;
        ASSERT_OK(weft_condition_notify(&s->cond, 1));
        ASSERT_OK(weft_condition_release(&s->cond));
    }
}

TEST(condition_wait_on_biased_lock)
{
    int on = setup();
    static struct pc s;
    memset(&s, 0, sizeof s);
    weft_lock_init(&s.lock);
    bias_it(&s.lock, on);
    ASSERT_OK(weft_condition_init_lock(&s.cond, &s.lock));

    /* The owner alone: a timed wait releases and re-takes the biased lock, no
     * other thread touches it, so it stays biased. */
    ASSERT_OK(weft_condition_acquire(&s.cond, true, WEFT_FOREVER));
    if (on) assert_biased_held(&s.lock);
    ASSERT_TRUE(weft_condition_is_owned(&s.cond));
    double t0 = weft_test_now();
    ASSERT_RC(weft_condition_wait(&s.cond, 0.01), WEFT_ETIMEDOUT);
    ASSERT_ELAPSED_AT_LEAST(t0, 0.01);
    ASSERT_TRUE(weft_lock_locked(&s.lock));
    if (on) assert_biased_held(&s.lock);
    ASSERT_OK(weft_condition_notify(&s.cond, 1)); /* nobody waits: nothing */

    /* The owner consumes what another thread produces, one item at a time;
     * both wait on the condition. The producer starts while the owner holds the
     * lock, so its first acquire revokes the bias (held, or free once the
     * owner's wait has released it). */
    s.n = weft_test_iters(500);
    weft_test_threads *ts = weft_test_start(1, producer, &s);
    for (long k = 1; k <= s.n; k++) {
        while (!s.full) ASSERT_OK(weft_condition_wait(&s.cond, WEFT_FOREVER));
        ASSERT_EQ(s.item, k);
        s.sum += s.item;
        s.full = 0;
        ASSERT_OK(weft_condition_notify(&s.cond, 1));
    }
    ASSERT_OK(weft_condition_release(&s.cond));
    weft_test_join(ts);
    ASSERT_EQ(s.sum, s.n * (s.n + 1) / 2);
    ASSERT_FALSE(weft_lock_locked(&s.lock));
    ASSERT_EQ(st_of(&s.lock), 0);
    if (on) {
        uint32_t b = bias_of(&s.lock);
        ASSERT_TRUE(b == WEFT__BIAS_DONE_FREE || b == WEFT__BIAS_DONE_HELD);
        ASSERT_EQ(st_of(&s.lock) & (BIASED | REVOKE), 0);
    } else {
        fprintf(stderr, "note: condition_wait_on_biased_lock: bias-word checks skipped\n");
    }
    ASSERT_RC(weft_condition_wait(&s.cond, 0), WEFT_EPERM); /* not held */
    weft_condition_destroy(&s.cond);
    weft_lock_destroy(&s.lock);
}

/* ---- 13: a fork child takes a lock biased to a thread it does not have ------------------ */

struct forkbias {
    weft_lock free_l;   /* biased to the helper, free at the fork */
    weft_lock held_l;   /* biased to the helper, held by it at the fork */
    weft_lock mine_l;   /* biased to the forking thread, free at the fork */
    _Atomic int phase;  /* 1: helper biased both and holds held_l; 2: parent forked, finish */
};

static void fork_helper(void *p, int i)
{
    (void)i;
    struct forkbias *f = p;
    cycles(&f->free_l, 2 * (long)STREAK);
    cycles(&f->held_l, 2 * (long)STREAK);
    ASSERT_OK(weft_lock_acquire(&f->held_l, true, WEFT_FOREVER));
    weft_test_turn_set(&f->phase, 1);
    weft_test_turn_wait(&f->phase, 2);
    ASSERT_OK(weft_lock_release(&f->held_l));
}

#ifndef WEFT_UNDER_TSAN
static void *child_take(void *arg)
{
    weft_lock *l = arg;
    if (weft_lock_acquire(l, true, WEFT_FOREVER) != WEFT_OK) return (void *)1;
    if (weft_lock_release(l) != WEFT_OK) return (void *)2;
    return NULL;
}
#endif

#define CHILD_CHECK(cond, code)                                                 \
    do {                                                                        \
        if (!(cond)) {                                                          \
            fprintf(stderr, "fork child: check failed: %s (exit %d)\n", #cond, code); \
            fflush(stderr);                                                     \
            return code;                                                        \
        }                                                                       \
    } while (0)

static int fork_child_checks(struct forkbias *f)
{
    /* biased to a thread that is gone, free: the child's first acquire revokes */
    CHILD_CHECK(!weft_lock_locked(&f->free_l), 10);
    CHILD_CHECK(weft_lock_acquire(&f->free_l, true, WEFT_FOREVER) == WEFT_OK, 11);
    CHILD_CHECK(weft_lock_locked(&f->free_l), 12);
    CHILD_CHECK(weft_lock_acquire(&f->free_l, false, WEFT_FOREVER) == WEFT_ETIMEDOUT, 13);
    CHILD_CHECK(weft_lock_release(&f->free_l) == WEFT_OK, 14);
    CHILD_CHECK(weft_lock_release(&f->free_l) == WEFT_EPERM, 15);
    CHILD_CHECK(weft_lock_acquire(&f->free_l, false, WEFT_FOREVER) == WEFT_OK, 16);
    CHILD_CHECK(weft_lock_release(&f->free_l) == WEFT_OK, 17);
    CHILD_CHECK(!weft_lock_locked(&f->free_l), 18);
    CHILD_CHECK(!(st_of(&f->free_l) & BIASED), 19);

    /* biased to a gone thread that held it: locked, as in Python, for good;
     * only a release (any thread may) frees it */
    CHILD_CHECK(weft_lock_locked(&f->held_l), 20);
    CHILD_CHECK(weft_lock_acquire(&f->held_l, false, WEFT_FOREVER) == WEFT_ETIMEDOUT, 21);
    CHILD_CHECK(weft_lock_acquire(&f->held_l, true, 0.01) == WEFT_ETIMEDOUT, 22);
    CHILD_CHECK(weft_lock_locked(&f->held_l), 23);
    CHILD_CHECK(weft_lock_release(&f->held_l) == WEFT_OK, 24);
    CHILD_CHECK(!weft_lock_locked(&f->held_l), 25);
    CHILD_CHECK(weft_lock_acquire(&f->held_l, true, WEFT_FOREVER) == WEFT_OK, 26);
    CHILD_CHECK(weft_lock_release(&f->held_l) == WEFT_OK, 27);
    CHILD_CHECK(!(st_of(&f->held_l) & BIASED), 28);

    /* biased to the forking thread, which the child's main thread is */
    CHILD_CHECK(weft_lock_acquire(&f->mine_l, true, WEFT_FOREVER) == WEFT_OK, 30);
    CHILD_CHECK(weft_lock_locked(&f->mine_l), 31);
    CHILD_CHECK(weft_lock_release(&f->mine_l) == WEFT_OK, 32);
    CHILD_CHECK(!weft_lock_locked(&f->mine_l), 33);
#ifndef WEFT_UNDER_TSAN
    /* A thread of the child takes it (revoking in the child). ThreadSanitizer
     * cannot start threads after a multi-threaded fork. */
    weft_thread *t = NULL;
    CHILD_CHECK(weft_thread_create(&t, child_take, &f->mine_l, NULL) == WEFT_OK, 34);
    CHILD_CHECK(weft_thread_start(t) == WEFT_OK, 35);
    CHILD_CHECK(weft_thread_join(t, WEFT_FOREVER) == WEFT_OK, 36);
    void *r = (void *)99;
    CHILD_CHECK(weft_thread_result(t, &r) == WEFT_OK && r == NULL, 37);
    weft_thread_destroy(t);
    CHILD_CHECK(!(st_of(&f->mine_l) & BIASED), 38);
#endif
    CHILD_CHECK(weft_lock_acquire(&f->mine_l, true, WEFT_FOREVER) == WEFT_OK, 39);
    CHILD_CHECK(weft_lock_release(&f->mine_l) == WEFT_OK, 40);
    CHILD_CHECK(!weft_lock_locked(&f->mine_l), 41);
    return 0;
}

TEST(fork_child_can_take_biased_lock)
{
    int on = setup();
    static struct forkbias f;
    memset(&f, 0, sizeof f);
    weft_lock_init(&f.free_l);
    weft_lock_init(&f.held_l);
    weft_lock_init(&f.mine_l);
    bias_it(&f.mine_l, on);
    /* The helper biases two locks to itself and keeps one held; it is still
     * running at the fork (the child does not have it). */
    /* static: reachable in the child too (memcheck counts what a fork child
     * cannot reach at its exit as leaked) */
    static weft_test_threads *ts;
    ts = weft_test_start(1, fork_helper, &f);
    weft_test_turn_wait(&f.phase, 1);
    if (on) {
        assert_biased_free(&f.free_l);
        assert_biased_held(&f.held_l);
        assert_biased_free(&f.mine_l);
    } else {
        fprintf(stderr, "note: fork_child_can_take_biased_lock: bias-word checks skipped\n");
    }
    fflush(NULL);
    pid_t pid = fork();
    ASSERT(pid >= 0);
    if (pid == 0) {
        int rc = fork_child_checks(&f);
        fflush(NULL);
        _exit(rc);
    }
    ASSERT_EQ(weft_test_wait_child(pid), 0);
    /* The parent is unaffected: all three still biased, as before the fork. */
    if (on) {
        assert_biased_free(&f.free_l);
        assert_biased_held(&f.held_l);
        assert_biased_free(&f.mine_l);
    }
    weft_test_turn_set(&f.phase, 2);
    weft_test_join(ts);
    ASSERT_FALSE(weft_lock_locked(&f.held_l));
    cycles(&f.mine_l, 10);
    if (on) assert_biased_free(&f.mine_l);
    ASSERT_OK(weft_lock_acquire(&f.free_l, true, WEFT_FOREVER)); /* revokes in the parent */
    ASSERT_OK(weft_lock_release(&f.free_l));
    if (on) assert_revoked(&f.free_l, WEFT__BIAS_DONE_FREE);
    weft_lock_destroy(&f.free_l);
    weft_lock_destroy(&f.held_l);
    weft_lock_destroy(&f.mine_l);
}

/* ---- 14: WEFT_LOCK_BIAS=0 switches biasing off (a fresh process) ------------------------ */

extern char **environ;

/* Run this program's case `test` in a child process, with the parent's
 * environment minus WEFT_LOCK_BIAS, plus `vars`. Returns the exit status. */
static int run_self(const char *test, const char *const *vars)
{
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    ASSERT(n > 0);
    exe[n] = '\0';
    size_t ne = 0;
    while (environ[ne]) ne++;
    char **env = calloc(ne + 8, sizeof *env);
    ASSERT(env != NULL);
    size_t k = 0;
    for (size_t i = 0; i < ne; i++)
        if (strncmp(environ[i], "WEFT_LOCK_BIAS=", 15) != 0
            && strncmp(environ[i], "WEFT_LOCKBIAS_", 14) != 0)
            env[k++] = environ[i];
    for (size_t i = 0; vars[i] && k < ne + 7; i++) env[k++] = (char *)vars[i];
    env[k] = NULL;
    char *argv[] = { exe, (char *)test, NULL };
    pid_t pid;
    fflush(NULL);
    ASSERT_EQ(posix_spawn(&pid, exe, NULL, NULL, argv, env), 0);
    free(env);
    int status = weft_test_wait_child(pid);
    return status;
}

/* Run in a child started by env_switch_off (alone, in a normal run, it has
 * nothing to check). WEFT_LOCKBIAS_EXPECT: "0" biasing must be off, "1" on,
 * "-" either (then whatever weft__lock_bias_enabled() says must hold). */
TEST(env_switch_child)
{
    const char *expect = getenv("WEFT_LOCKBIAS_EXPECT");
    if (!expect) return;
    ASSERT_OK(weft_debug_lock_order(false));
    ASSERT_OK(weft_debug_stats_enable(NULL, false));
    int on = weft__lock_bias_enabled();
    if (strcmp(expect, "-") != 0) ASSERT_EQ(on, atoi(expect));
    ASSERT_EQ(weft__lock_bias_enabled(), on); /* decided once */
    static struct seen s;
    seen_init(&s);
    cycles(&s.lock, 2 * (long)STREAK);
    if (on) {
        assert_biased_free(&s.lock);
    } else {
        ASSERT_EQ(st_of(&s.lock), 0);
        ASSERT_NE(bias_of(&s.lock), WEFT__BIAS_ON);
    }
    /* Behaviour is the same either way. */
    ASSERT_OK(weft_lock_acquire(&s.lock, true, WEFT_FOREVER));
    ASSERT_TRUE(weft_lock_locked(&s.lock));
    ASSERT_RC(weft_lock_acquire(&s.lock, false, WEFT_FOREVER), WEFT_ETIMEDOUT);
    ASSERT_OK(weft_lock_release(&s.lock));
    ASSERT_RC(weft_lock_release(&s.lock), WEFT_EPERM);
    weft_test_join(weft_test_start(1, acquire_snapshot_release, &s));
    ASSERT_RC(atomic_load(&s.rc), WEFT_OK);
    ASSERT_RC(atomic_load(&s.rc2), WEFT_OK);
    ASSERT_EQ(atomic_load(&s.state), LOCKED);
    ASSERT_FALSE(weft_lock_locked(&s.lock));
    ASSERT_EQ(st_of(&s.lock), 0);
    ASSERT_NE(bias_of(&s.lock), WEFT__BIAS_ON);
    if (on) ASSERT_EQ(bias_of(&s.lock), WEFT__BIAS_DONE_FREE);
    cycles(&s.lock, 2 * (long)STREAK);
    ASSERT_EQ(st_of(&s.lock), 0);
    ASSERT_NE(bias_of(&s.lock), WEFT__BIAS_ON);
}

TEST(env_switch_off)
{
    /* Whether this process can bias decides what "not switched off" must give:
     * membarrier works here and WEFT_LOCK_BIAS is not "0", so a child with
     * WEFT_LOCK_BIAS=1 (or unset) must bias too. Under valgrind the child runs
     * natively (no --trace-children), so there it may bias where the parent
     * cannot: "-". */
    int parent_on = bias_on();
    const char *off[] = { "WEFT_LOCK_BIAS=0", "WEFT_LOCKBIAS_EXPECT=0", NULL };
    ASSERT_EQ(run_self("env_switch_child", off), 0);
    const char *expect_same = parent_on ? "WEFT_LOCKBIAS_EXPECT=1" : "WEFT_LOCKBIAS_EXPECT=-";
    const char *on1[] = { "WEFT_LOCK_BIAS=1", expect_same, NULL };
    ASSERT_EQ(run_self("env_switch_child", on1), 0);
    const char *unset[] = { expect_same, NULL };
    ASSERT_EQ(run_self("env_switch_child", unset), 0);
    if (!parent_on)
        fprintf(stderr, "note: env_switch_off: biasing is off in this process; only the "
                        "WEFT_LOCK_BIAS=0 child is checked exactly\n");
}

/* ---- 15: one owner, two biased locks -------------------------------------------------- */

/* The fast paths know only the lock this thread biased last; the other one is
 * reached through the slow paths' biased branches, which keep the bias. */
TEST(owner_of_two_biased_locks)
{
    int on = setup();
    weft_lock a, b;
    fresh(&a);
    fresh(&b);
    bias_it(&a, on);
    bias_it(&b, on);                      /* b is the last one biased */

    ASSERT_OK(weft_lock_acquire(&a, true, WEFT_FOREVER));   /* slow path, biased branch */
    if (on) assert_biased_held(&a);
    ASSERT_OK(weft_lock_acquire(&b, true, WEFT_FOREVER));
    if (on) assert_biased_held(&b);
    ASSERT_OK(weft_lock_release(&a));
    if (on) assert_biased_free(&a);
    /* Taking b again aims the fast paths at b; a's release of an unlocked lock
     * then goes through the slow path: WEFT_EPERM, still biased and free. */
    ASSERT_OK(weft_lock_release(&b));
    ASSERT_OK(weft_lock_acquire(&b, true, WEFT_FOREVER));
    ASSERT_RC(weft_lock_release(&a), WEFT_EPERM);
    if (on) assert_biased_free(&a);
    ASSERT_OK(weft_lock_release(&b));

    /* Non-blocking and timed acquires by the owner keep the bias: the poll of a
     * lock it holds fails without revoking. */
    ASSERT_OK(weft_lock_acquire(&a, false, WEFT_FOREVER));
    ASSERT_RC(weft_lock_acquire(&a, false, WEFT_FOREVER), WEFT_ETIMEDOUT);
    ASSERT_RC(weft_lock_acquire(&a, true, 0), WEFT_ETIMEDOUT);
    if (on) assert_biased_held(&a);
    ASSERT_OK(weft_lock_release(&a));
    ASSERT_OK(weft_lock_acquire(&b, true, 0.5));
    if (on) assert_biased_held(&b);
    ASSERT_OK(weft_lock_release(&b));
    if (on) {
        assert_biased_free(&a);
        assert_biased_free(&b);
    }
    ASSERT_FALSE(weft_lock_locked(&a));
    ASSERT_FALSE(weft_lock_locked(&b));
    weft_lock_destroy(&a);
    weft_lock_destroy(&b);
}

/* ---- 16: an RLock's inner Lock is biased like any other ---------------------------------- */

struct rb {
    weft_rlock r;
    _Atomic int rc, rc2;
    _Atomic uint32_t count;
};

static void rlock_take_release(void *p, int i)
{
    (void)i;
    struct rb *x = p;
    atomic_store(&x->rc, weft_rlock_acquire(&x->r, true, WEFT_FOREVER));
    atomic_store(&x->count, weft_rlock_recursion_count(&x->r));
    atomic_store(&x->rc2, weft_rlock_release(&x->r));
}

TEST(rlock_biased_and_revoked)
{
    int on = setup();
    static struct rb x;
    memset(&x, 0, sizeof x);
    weft_rlock_init(&x.r);
    for (long k = 0; k < 2 * (long)STREAK; k++) {
        ASSERT_OK(weft_rlock_acquire(&x.r, true, WEFT_FOREVER));
        ASSERT_OK(weft_rlock_release(&x.r));
    }
    if (on) assert_biased_free(&x.r.lock);
    /* Recursion on the biased inner lock: the inner lock is taken once. */
    ASSERT_OK(weft_rlock_acquire(&x.r, true, WEFT_FOREVER));
    ASSERT_OK(weft_rlock_acquire(&x.r, false, WEFT_FOREVER));
    ASSERT_OK(weft_rlock_acquire(&x.r, true, 0.1));
    ASSERT_EQ(weft_rlock_recursion_count(&x.r), 3);
    if (on) assert_biased_held(&x.r.lock);
    for (int k = 0; k < 3; k++) ASSERT_OK(weft_rlock_release(&x.r));
    ASSERT_RC(weft_rlock_release(&x.r), WEFT_EPERM);
    if (on) assert_biased_free(&x.r.lock);

    /* Another thread takes it: revoked "free", a normal RLock from then on. */
    weft_test_join(weft_test_start(1, rlock_take_release, &x));
    ASSERT_RC(atomic_load(&x.rc), WEFT_OK);
    ASSERT_EQ(atomic_load(&x.count), 1);
    ASSERT_RC(atomic_load(&x.rc2), WEFT_OK);
    if (on) assert_revoked(&x.r.lock, WEFT__BIAS_DONE_FREE);
    ASSERT_OK(weft_rlock_acquire(&x.r, true, WEFT_FOREVER));
    ASSERT_EQ(st_of(&x.r.lock), LOCKED);
    ASSERT_OK(weft_rlock_release(&x.r));
    ASSERT_FALSE(weft_rlock_locked(&x.r));
    weft_rlock_destroy(&x.r);
}

/* ---- 17: the lock-order checker and the statistics on a biased lock ------------------------ */

TEST(instrumented_biased_lock)
{
    int on = setup();
    ASSERT_OK(weft_debug_lock_order(true));
    ASSERT_OK(weft_debug_stats_enable(NULL, true));
    static struct seen s;
    seen_init(&s);
    /* The instrumented acquire and release wrap the same paths: the run of
     * acquisitions biases the lock there too. */
    bias_it(&s.lock, on);
    ASSERT_OK(weft_lock_acquire(&s.lock, true, 0.5));
    ASSERT_RC(weft_lock_acquire(&s.lock, false, WEFT_FOREVER), WEFT_ETIMEDOUT);
    if (on) assert_biased_held(&s.lock);
    ASSERT_OK(weft_lock_release(&s.lock));
    weft_test_join(weft_test_start(1, acquire_snapshot_release, &s));
    ASSERT_RC(atomic_load(&s.rc), WEFT_OK);
    ASSERT_RC(atomic_load(&s.rc2), WEFT_OK);
    if (on) assert_revoked(&s.lock, WEFT__BIAS_DONE_FREE);
    ASSERT_OK(weft_debug_lock_order(false));
    ASSERT_OK(weft_debug_stats_enable(NULL, false));
    weft_lock_destroy(&s.lock);
}

/* ---- 18: a revocation inside fork's prepare window ----------------------------------------- */

/* fork's prepare handler (weft__lock_fork_prepare) holds the revocations'
 * lock until parent/child; a prepare handler that runs after weft's, in the
 * same thread, may still touch a lock biased to another thread. Here the test
 * plays that thread: the revocation must go through, not wait for itself. */
static void bias_in_helper(void *p, int i)
{
    (void)i;
    struct seen *s = p;
    cycles(&s->lock, 2 * (long)STREAK);
}

TEST(revocation_in_fork_prepare_window)
{
    int on = setup();
    static struct seen s, t;
    seen_init(&s);
    seen_init(&t);
    weft_test_join(weft_test_start(1, bias_in_helper, &s));
    weft_test_join(weft_test_start(1, bias_in_helper, &t));
    if (on) assert_biased_free(&s.lock);

    /* A revocation that waited for the lock its own thread holds would be a
     * self-deadlock the detector reports (after ~100 ms): count reports. */
    weft_deadlock_mode old = weft_deadlock_get_mode();
    atomic_store(&cap_count, 0);
    weft_debug_set_report_hook(capture_hook, NULL);
    ASSERT_OK(weft_deadlock_set_mode(WEFT_DEADLOCK_REPORT));
    weft__lock_fork_prepare();
    ASSERT_OK(weft_lock_acquire(&s.lock, true, WEFT_FOREVER));
    if (on) assert_revoked(&s.lock, WEFT__BIAS_DONE_FREE);
    ASSERT_EQ(st_of(&s.lock), LOCKED);
    ASSERT_OK(weft_lock_release(&s.lock));
    weft__lock_fork_parent();
    ASSERT_EQ(atomic_load(&cap_count), 0);
    weft_debug_set_report_hook(NULL, NULL);
    ASSERT_OK(weft_deadlock_set_mode(old));

    /* The revocations' lock was left as the prepare handler had it: released
     * by parent, so the next revocation (another thread's, here this one's
     * again on t) takes and drops it normally. */
    ASSERT_OK(weft_lock_acquire(&t.lock, true, WEFT_FOREVER));
    if (on) assert_revoked(&t.lock, WEFT__BIAS_DONE_FREE);
    ASSERT_OK(weft_lock_release(&t.lock));
    ASSERT_EQ(st_of(&s.lock), 0);
    ASSERT_EQ(st_of(&t.lock), 0);
    weft_lock_destroy(&s.lock);
    weft_lock_destroy(&t.lock);
}
