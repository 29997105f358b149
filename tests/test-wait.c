/* SPDX-License-Identifier: MIT */
/* test-wait.c: the wait/wake contract (src/internal/wait.h), run against whichever
 * backend this build compiled (futex or parking). */
#include "harness.h"

#include <errno.h>
#include <stdatomic.h>

#include "internal/wait.h"

TEST(backend_is_named)
{
    const char *b = weft__wait_backend();
    ASSERT(strcmp(b, "futex") == 0 || strcmp(b, "parking") == 0);
}

TEST(value_mismatch_returns_at_once)
{
    _Atomic uint32_t w = 5;
    double t0 = weft_test_now();
    /* It says it did not sleep (the Lock's backoff counts these). */
    ASSERT_RC(weft__wait(&w, 4, WEFT__NS_FOREVER), WEFT__WAIT_CHANGED);
    ASSERT_RC(weft__wait(&w, 4, weft__deadline_after(10.0)), WEFT__WAIT_CHANGED);
    ASSERT_ELAPSED_AT_MOST(t0, 1.0);
}

TEST(deadline_is_never_early)
{
    _Atomic uint32_t w = 0;
    for (int i = 0; i < 20; i++) {
        weft__ns dl = weft__deadline_after(0.005);
        int rc;
        do {
            rc = weft__wait(&w, 0, dl);
            if (rc == WEFT_OK) ASSERT_LT(weft__now(), dl + 1); /* spurious: retry */
        } while (rc == WEFT_OK);
        ASSERT_RC(rc, WEFT_ETIMEDOUT);
        ASSERT_GE(weft__now(), dl);
    }
}

TEST(past_deadline_times_out)
{
    _Atomic uint32_t w = 0;
    ASSERT_RC(weft__wait(&w, 0, weft__now() - 1000), WEFT_ETIMEDOUT);
    ASSERT_RC(weft__wait(&w, 0, 0), WEFT_ETIMEDOUT);
}

TEST(errno_is_preserved)
{
    _Atomic uint32_t w = 0;
    errno = 12345;
    int rc = weft__wait(&w, 0, weft__deadline_after(0.001));
    ASSERT(rc == WEFT_OK || rc == WEFT_ETIMEDOUT);
    ASSERT_EQ(errno, 12345);
    weft__wake(&w, 1);
    ASSERT_EQ(errno, 12345);
    ASSERT_RC(weft__wait(&w, 1, WEFT__NS_FOREVER), WEFT__WAIT_CHANGED);
    ASSERT_EQ(errno, 12345);
    (void)weft__now();
    ASSERT_EQ(errno, 12345);
}

/* A waiter parked on the word is released by wake(1). */
struct one { _Atomic uint32_t word; _Atomic int woke; };

static void park_one(void *p, int i)
{
    struct one *o = p;
    while (atomic_load_explicit(&o->word, memory_order_acquire) == 0)
        weft__wait(&o->word, 0, WEFT__NS_FOREVER);
    atomic_fetch_add(&o->woke, 1);
}

TEST(wake_one_releases_a_waiter)
{
    struct one o = { 0, 0 };
    weft_test_threads *ts = weft_test_start(1, park_one, &o);
    weft_test_sleep(0.01); /* let it park; correctness does not depend on it */
    atomic_store_explicit(&o.word, 1, memory_order_release);
    weft__wake(&o.word, 1);
    weft_test_join(ts);
    ASSERT_EQ(atomic_load(&o.woke), 1);
}

/* wake(1) wakes at most one of several waiters of the same word, wake(ALL) all. */
struct many { _Atomic uint32_t word; _Atomic int parked, returned; };

static void park_many(void *p, int i)
{
    struct many *m = p;
    atomic_fetch_add(&m->parked, 1);
    /* The word never changes until the end, so any return before that is a
     * wake (or a spurious return, which the parking backend never makes for
     * another address). */
    weft__wait(&m->word, 0, WEFT__NS_FOREVER);
    atomic_fetch_add(&m->returned, 1);
    while (atomic_load_explicit(&m->word, memory_order_acquire) == 0)
        weft__wait(&m->word, 0, WEFT__NS_FOREVER);
}

TEST(wake_counts)
{
    struct many m = { 0, 0, 0 };
    weft_test_threads *ts = weft_test_start(4, park_many, &m);
    WAIT_UNTIL(atomic_load(&m.parked) == 4, 10);
    /* A thread counts itself in `parked` just before it calls weft__wait, and
     * nothing observable says it is asleep inside. This margin makes it likely
     * that all four are asleep when wake(1) runs, so that "at most one" is a
     * strong check; if it is too short, wake(1) may miss a thread not asleep
     * yet, which the loop below handles: the test does not depend on it. */
    weft_test_sleep(0.05);
    /* wake(1) until a thread returns: a wake(1) that came before any thread was
     * asleep woke nobody (a thread that sleeps later sleeps on the unchanged
     * word). Each wake(1) wakes at most one thread, so at most `wakes` threads
     * may have returned; normally wakes is 1. */
    int wakes = 0;
    double dl = weft_test_now() + 10 * weft_test_factor(), pause = 0.02;
    while (atomic_load(&m.returned) == 0) {
        if (weft_test_now() > dl)
            weft_test_fail(__FILE__, __LINE__, "no waiter returned after %d wake(1) calls", wakes);
        weft__wake(&m.word, 1);
        wakes++;
        double until = weft_test_now() + pause;
        while (atomic_load(&m.returned) == 0 && weft_test_now() < until)
            weft_test_sleep(0.0005);
        if (pause < 0.5) pause *= 2;
    }
    /* Time in which a thread that a wake(1) wrongly woke as well would show;
     * shorter, it can only miss that: not for ordering. */
    weft_test_sleep(0.05);
    /* weft__wait may return spuriously: the futex backend does on a signal
     * (this test gets none), the parking backend never does. */
    ASSERT_LE(atomic_load(&m.returned), wakes);
    atomic_store_explicit(&m.word, 1, memory_order_release);
    weft__wake(&m.word, WEFT__WAKE_ALL);
    weft_test_join(ts);
    ASSERT_EQ(atomic_load(&m.returned), 4);
}

/* The lost-wakeup hammer: two threads ping-pong a token through one word each
 * way, many times; a single lost wakeup hangs the test (and CTest's timeout
 * names it). */
struct pingpong { _Atomic uint32_t turn; long rounds; };

static void player(void *p, int me)
{
    struct pingpong *pp = p;
    for (long i = 0; i < pp->rounds; i++) {
        uint32_t v;
        while ((v = atomic_load_explicit(&pp->turn, memory_order_acquire)) % 2 != (uint32_t)me)
            weft__wait(&pp->turn, v, WEFT__NS_FOREVER);
        atomic_store_explicit(&pp->turn, v + 1, memory_order_release);
        weft__wake(&pp->turn, 1);
    }
}

TEST(no_lost_wakeup_hammer)
{
    struct pingpong pp = { 0, weft_test_iters(200000) };
    weft_test_threads *ts = weft_test_start(2, player, &pp);
    weft_test_join(ts);
    ASSERT_EQ(atomic_load(&pp.turn), 2 * pp.rounds);
}

/* Many waiters, wake-all storms: every waiter eventually observes each
 * generation, none sleeps through a change. */
struct storm { _Atomic uint32_t gen; _Atomic int seen; long rounds; };

static void storm_waiter(void *p, int i)
{
    struct storm *s = p;
    uint32_t last = 0;
    for (;;) {
        uint32_t g = atomic_load_explicit(&s->gen, memory_order_acquire);
        if (g == last) {
            weft__wait(&s->gen, g, WEFT__NS_FOREVER);
            continue;
        }
        last = g;
        atomic_fetch_add(&s->seen, 1);
        if (g >= (uint32_t)s->rounds) return;
    }
}

TEST(wake_all_storm)
{
    struct storm s = { 0, 0, weft_test_iters(20000) };
    weft_test_threads *ts = weft_test_start(3, storm_waiter, &s);
    for (long r = 1; r <= s.rounds; r++) {
        atomic_store_explicit(&s.gen, (uint32_t)r, memory_order_release);
        weft__wake(&s.gen, WEFT__WAKE_ALL);
    }
    weft_test_join(ts);
    ASSERT_GE(atomic_load(&s.seen), 3);
}

/* Timed waits that race with wakes: every wait returns (OK or TIMEDOUT), and a
 * TIMEDOUT is never early. */
struct racer { _Atomic uint32_t word; _Atomic int stop; };

static void timed_racer(void *p, int i)
{
    struct racer *r = p;
    while (!atomic_load(&r->stop)) {
        weft__ns dl = weft__deadline_after(0.0002);
        if (weft__wait(&r->word, atomic_load(&r->word), dl) == WEFT_ETIMEDOUT)
            ASSERT_GE(weft__now(), dl);
    }
}

TEST(timed_wait_wake_race)
{
    struct racer r = { 0, 0 };
    weft_test_threads *ts = weft_test_start(2, timed_racer, &r);
    long n = weft_test_iters(100000);
    for (long i = 0; i < n; i++) {
        atomic_fetch_add_explicit(&r.word, 1, memory_order_release);
        weft__wake(&r.word, (i & 1) ? 1 : WEFT__WAKE_ALL);
    }
    atomic_store(&r.stop, 1);
    weft__wake(&r.word, WEFT__WAKE_ALL);
    weft_test_join(ts);
}

TEST(deadline_saturates)
{
    ASSERT_EQ(weft__deadline_after(WEFT_TIMEOUT_MAX), WEFT__NS_FOREVER);
    ASSERT_EQ(weft__deadline_after(1e300), WEFT__NS_FOREVER);
    ASSERT_LE(weft__deadline_after(0), weft__now());
    ASSERT_LE(weft__deadline_after(-5), weft__now());
    ASSERT_LE(weft__deadline_after(NAN), weft__now());
    weft__ns d = weft__deadline_after(10);
    ASSERT_GT(d, weft__now() + 9 * WEFT__NS_PER_SEC);
    ASSERT(weft__remaining(WEFT__NS_FOREVER) == INFINITY);
    ASSERT(weft__remaining(weft__now() - 1) <= 0);
}

TEST(timeout_classes)
{
    ASSERT_EQ(weft__timeout_class(WEFT_FOREVER), WEFT__T_FOREVER);
    ASSERT_EQ(weft__timeout_class(0.0), WEFT__T_ZERO);
    ASSERT_EQ(weft__timeout_class(-0.0), WEFT__T_ZERO);
    ASSERT_EQ(weft__timeout_class(-1e-12), WEFT__T_NEGATIVE);
    ASSERT_EQ(weft__timeout_class(-2.0), WEFT__T_NEGATIVE);
    ASSERT_EQ(weft__timeout_class(NAN), WEFT__T_NAN);
    ASSERT_EQ(weft__timeout_class(INFINITY), WEFT__T_TOO_BIG);
    ASSERT_EQ(weft__timeout_class(-INFINITY), WEFT__T_TOO_BIG);
    ASSERT_EQ(weft__timeout_class(WEFT_TIMEOUT_MAX), WEFT__T_POSITIVE);
    ASSERT_EQ(weft__timeout_class(WEFT_TIMEOUT_MAX * 2), WEFT__T_TOO_BIG);
    ASSERT_EQ(weft__timeout_class(0.5), WEFT__T_POSITIVE);
}

/* fork() while other threads are inside the wait/wake layer: the child (only the
 * forking thread) can wait and wake on any address, so no bucket or kernel state
 * of the parent's threads is left behind. A bucket lock held by a parent thread
 * at the moment of fork() would hang the child, which the parent sees as a
 * timed-out waitpid. (weft's fork handlers live in thread.c, so this also checks
 * that they call the backend's hooks.) */
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

struct churn { _Atomic uint32_t words[64]; _Atomic int stop; };

static void churner(void *p, int i)
{
    struct churn *c = p;
    unsigned k = (unsigned)i * 7u;
    while (!atomic_load(&c->stop)) {
        _Atomic uint32_t *w = &c->words[k++ % 64];
        weft__wait(w, atomic_load(w), weft__deadline_after(0.00005));
        atomic_fetch_add_explicit(w, 1, memory_order_release);
        weft__wake(w, WEFT__WAKE_ALL);
    }
}

TEST(fork_while_threads_wait_and_wake)
{
    static struct churn c;
    /* static: the fork children must still reach it, or memcheck calls the
     * harness's allocation lost in them */
    static weft_test_threads *ts;
    ts = weft_test_start(2, churner, &c);
    (void)weft_current_thread(); /* weft's fork handlers are registered */
    int forks = (int)weft_test_iters(150);
    for (int f = 0; f < forks; f++) {
        pid_t pid = fork();
        ASSERT(pid >= 0);
        if (pid == 0) {
            for (int i = 0; i < 64; i++) {
                _Atomic uint32_t *w = &c.words[i];
                if (weft__wait(w, atomic_load(w), weft__deadline_after(0.0001)) != WEFT_ETIMEDOUT &&
                    weft__wait(w, atomic_load(w), weft__deadline_after(0.0001)) != WEFT_ETIMEDOUT)
                    _exit(3); /* nobody else exists to wake or change it twice */
                weft__wake(w, WEFT__WAKE_ALL);
            }
            _exit(0);
        }
        int status = 0;
        double dl = weft_test_now() + 10 * weft_test_factor();
        pid_t r;
        while ((r = waitpid(pid, &status, WNOHANG)) == 0 && weft_test_now() < dl)
            weft_test_sleep(0.001);
        if (r == 0) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            weft_test_fail(__FILE__, __LINE__, "fork child %d hung in the wait layer", f);
        }
        ASSERT(WIFEXITED(status));
        ASSERT_EQ(WEXITSTATUS(status), 0);
    }
    atomic_store(&c.stop, 1);
    weft_test_join(ts);
}
