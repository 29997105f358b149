/* SPDX-License-Identifier: MIT */
/* test-deadlock.c: deadlock detection and the thread dump end to end, across
 * primitives (issue 8). Per-primitive detection cases live with the primitive
 * (test-lockdbg.c, test-execdbg.c); here: the seed hangs, cycles that mix kinds,
 * threads stuck behind somebody else's cycle, the abort mode, no false report under
 * contention, and the dump's line for each kind of blocking wait.
 *
 * Every case sets its own mode with weft_deadlock_set_mode (CI also runs the suite
 * with WEFT_DEADLOCK=abort, which these cases override). Threads are ordered with
 * handshakes; "thread X is blocked" is read from the dump itself. */
#include "harness.h"

#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "weft/barrier.h"
#include "weft/condition.h"
#include "weft/debug.h"
#include "weft/event.h"
#include "weft/futures.h"
#include "weft/lock.h"
#include "weft/queue.h"
#include "weft/semaphore.h"
#include "weft/thread.h"

/* ---- helpers ---- */

struct reports {
    weft_lock lock;
    int count;
    char text[8192];
};

static void on_report(const char *report, void *arg)
{
    struct reports *r = arg;
    (void)weft_lock_acquire(&r->lock, true, WEFT_FOREVER);
    if (r->count++ == 0) snprintf(r->text, sizeof r->text, "%s", report);
    (void)weft_lock_release(&r->lock);
}

static int report_count(struct reports *r)
{
    (void)weft_lock_acquire(&r->lock, true, WEFT_FOREVER);
    int n = r->count;
    (void)weft_lock_release(&r->lock);
    return n;
}

static void detect_on(struct reports *r)
{
    memset(r, 0, sizeof *r);
    weft_lock_init(&r->lock);
    weft_debug_set_report_hook(on_report, r);
    (void)weft_deadlock_set_mode(WEFT_DEADLOCK_REPORT);
}

static void detect_done(void)
{
    weft_debug_set_report_hook(NULL, NULL);
}

static char *dump_string(void)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) return NULL;
    (void)weft_debug_dump(f);
    fclose(f);
    return text;
}

static bool dump_has(const char *needle)
{
    char *d = dump_string();
    bool yes = d && strstr(d, needle);
    free(d);
    return yes;
}

static weft_thread *spawn(const char *name, weft_thread_fn fn, void *arg)
{
    weft_thread_attr a = { .name = name };
    weft_thread *t = NULL;
    if (weft_thread_create(&t, fn, arg, &a) != WEFT_OK || weft_thread_start(t) != WEFT_OK)
        weft_test_fail(__FILE__, __LINE__, "cannot start %s", name);
    return t;
}

static void finish(weft_thread *t)
{
    ASSERT_RC(weft_thread_join(t, 30 * weft_test_factor()), WEFT_OK);
    weft_thread_destroy(t);
}

/* ---- seed 000: the main thread re-acquires the Lock it holds ---- */

TEST(seed000_reacquire_own_lock_is_reported)
{
    struct reports r;
    detect_on(&r);
    weft_lock lock = WEFT_LOCK_INIT;
    ASSERT_RC(weft_debug_name(&lock, "data lock"), WEFT_OK);
    ASSERT_RC(weft_lock_acquire(&lock, true, WEFT_FOREVER), WEFT_OK);
    double t0 = weft_test_now();
    ASSERT_RC(weft_lock_acquire(&lock, true, WEFT_FOREVER), WEFT_EDEADLK);
    ASSERT_ELAPSED_AT_MOST(t0, 10);
    ASSERT(weft_lock_locked(&lock));   /* unchanged: still held once */
    ASSERT_RC(weft_lock_release(&lock), WEFT_OK);
    ASSERT_RC(weft_lock_release(&lock), WEFT_EPERM);
    ASSERT_EQ(report_count(&r), 1);
    ASSERT(strstr(r.text, "deadlock detected"));
    ASSERT(strstr(r.text, "'data lock'"));
    ASSERT(strstr(r.text, "MainThread"));
    ASSERT(strstr(r.text, "held by thread 'MainThread'"));
    ASSERT(strstr(r.text, "returns WEFT_EDEADLK"));
    weft_lock_destroy(&lock);
    detect_done();
}

/* ---- two threads each hold the lock the other wants ---- */

struct abba {
    weft_lock a, b;
    weft_barrier both_hold;
    _Atomic int deadlk;
};

static void *take_ab(void *p, weft_lock *first, weft_lock *second)
{
    struct abba *s = p;
    if (weft_lock_acquire(first, true, WEFT_FOREVER) != WEFT_OK) return (void *)1;
    (void)weft_barrier_wait(&s->both_hold, WEFT_FOREVER);
    int rc = weft_lock_acquire(second, true, WEFT_FOREVER);
    if (rc == WEFT_EDEADLK) atomic_fetch_add(&s->deadlk, 1);
    else if (rc == WEFT_OK) (void)weft_lock_release(second);
    else return (void *)2;
    (void)weft_lock_release(first);
    return NULL;
}

static void *ab(void *p) { return take_ab(p, &((struct abba *)p)->a, &((struct abba *)p)->b); }
static void *ba(void *p) { return take_ab(p, &((struct abba *)p)->b, &((struct abba *)p)->a); }

TEST(two_threads_two_locks_one_is_told)
{
    struct reports r;
    detect_on(&r);
    struct abba s = { .a = WEFT_LOCK_INIT, .b = WEFT_LOCK_INIT };
    ASSERT_RC(weft_barrier_init(&s.both_hold, 2, NULL, NULL, WEFT_FOREVER), WEFT_OK);
    ASSERT_RC(weft_debug_name(&s.a, "lock A"), WEFT_OK);
    ASSERT_RC(weft_debug_name(&s.b, "lock B"), WEFT_OK);
    weft_thread *t1 = spawn("first", ab, &s), *t2 = spawn("second", ba, &s);
    void *res;
    finish(t1);
    finish(t2);
    (void)res;
    ASSERT_EQ(atomic_load(&s.deadlk), 1);      /* exactly one wait was ended */
    ASSERT_EQ(report_count(&r), 1);
    ASSERT(strstr(r.text, "thread 'first'"));
    ASSERT(strstr(r.text, "thread 'second'"));
    ASSERT(strstr(r.text, "'lock A'"));
    ASSERT(strstr(r.text, "'lock B'"));
    ASSERT(!weft_lock_locked(&s.a) && !weft_lock_locked(&s.b));
    weft_barrier_destroy(&s.both_hold);
    weft_lock_destroy(&s.a);
    weft_lock_destroy(&s.b);
    detect_done();
}

/* ---- seed 004: a thread dies holding the lock another waits for ---- */

static void *grab_and_leave(void *p)
{
    (void)weft_lock_acquire(p, true, WEFT_FOREVER);
    return NULL;   /* never releases it: Python's thread died of a RuntimeError */
}

TEST(seed004_lock_held_by_finished_thread_is_reported)
{
    struct reports r;
    detect_on(&r);
    weft_lock lock = WEFT_LOCK_INIT;
    ASSERT_RC(weft_debug_name(&lock, "lock1"), WEFT_OK);
    finish(spawn("thread_one", grab_and_leave, &lock));
    ASSERT(weft_lock_locked(&lock));
    ASSERT_RC(weft_lock_acquire(&lock, true, WEFT_FOREVER), WEFT_EDEADLK);
    ASSERT_EQ(report_count(&r), 1);
    ASSERT(strstr(r.text, "'lock1'"));
    ASSERT(strstr(r.text, "held by a thread that has finished"));
    /* a timed wait is never reported: it ends by itself */
    ASSERT_RC(weft_lock_acquire(&lock, true, 0.2), WEFT_ETIMEDOUT);
    ASSERT_EQ(report_count(&r), 1);
    ASSERT_RC(weft_lock_release(&lock), WEFT_OK);   /* any thread may release a Lock */
    weft_lock_destroy(&lock);
    detect_done();
}

/* ---- a cycle through a join and a lock ---- */

struct joinlock {
    weft_lock lock;
    weft_thread *joiner_target;
    weft_event holding;
    _Atomic int deadlk, ok;
};

static void *hold_then_join(void *p)
{
    struct joinlock *s = p;
    (void)weft_lock_acquire(&s->lock, true, WEFT_FOREVER);
    (void)weft_event_set(&s->holding);
    int rc = weft_thread_join(s->joiner_target, WEFT_FOREVER);
    if (rc == WEFT_EDEADLK) atomic_fetch_add(&s->deadlk, 1);
    if (rc == WEFT_OK) atomic_fetch_add(&s->ok, 1);
    (void)weft_lock_release(&s->lock);
    return NULL;
}

static void *want_lock(void *p)
{
    struct joinlock *s = p;
    (void)weft_event_wait(&s->holding, WEFT_FOREVER);
    int rc = weft_lock_acquire(&s->lock, true, WEFT_FOREVER);
    if (rc == WEFT_EDEADLK) atomic_fetch_add(&s->deadlk, 1);
    if (rc == WEFT_OK) {
        atomic_fetch_add(&s->ok, 1);
        (void)weft_lock_release(&s->lock);
    }
    return NULL;
}

TEST(cycle_through_join_and_lock)
{
    struct reports r;
    detect_on(&r);
    struct joinlock s = { .lock = WEFT_LOCK_INIT };
    weft_event_init(&s.holding);
    weft_thread_attr a = { .name = "wants-lock" };
    ASSERT_RC(weft_thread_create(&s.joiner_target, want_lock, &s, &a), WEFT_OK);
    ASSERT_RC(weft_thread_start(s.joiner_target), WEFT_OK);
    weft_thread *j = spawn("holds-and-joins", hold_then_join, &s);
    finish(j);
    finish(s.joiner_target);
    ASSERT_EQ(atomic_load(&s.deadlk), 1);
    ASSERT_EQ(atomic_load(&s.ok), 1);
    ASSERT_EQ(report_count(&r), 1);
    ASSERT(strstr(r.text, "Thread.join"));
    ASSERT(strstr(r.text, "'wants-lock'"));
    ASSERT(strstr(r.text, "'holds-and-joins'"));
    weft_event_destroy(&s.holding);
    weft_lock_destroy(&s.lock);
    detect_done();
}

/* ---- a thread stuck behind somebody else's cycle is not told; it proceeds ---- */

struct behind {
    struct abba cyc;
    _Atomic int bystander_rc;
};

static void *bystander(void *p)
{
    struct behind *s = p;
    atomic_store(&s->bystander_rc, weft_lock_acquire(&s->cyc.a, true, WEFT_FOREVER));
    if (atomic_load(&s->bystander_rc) == WEFT_OK) (void)weft_lock_release(&s->cyc.a);
    return NULL;
}

static void *ab_after_bystander(void *p)
{
    struct abba *s = p;
    if (weft_lock_acquire(&s->a, true, WEFT_FOREVER) != WEFT_OK) return (void *)1;
    (void)weft_barrier_wait(&s->both_hold, WEFT_FOREVER);   /* 3 parties: + main */
    (void)weft_barrier_wait(&s->both_hold, WEFT_FOREVER);   /* bystander blocked */
    int rc = weft_lock_acquire(&s->b, true, WEFT_FOREVER);
    if (rc == WEFT_EDEADLK) atomic_fetch_add(&s->deadlk, 1);
    else (void)weft_lock_release(&s->b);
    (void)weft_lock_release(&s->a);
    return NULL;
}

static void *ba_after_bystander(void *p)
{
    struct abba *s = p;
    if (weft_lock_acquire(&s->b, true, WEFT_FOREVER) != WEFT_OK) return (void *)1;
    (void)weft_barrier_wait(&s->both_hold, WEFT_FOREVER);
    (void)weft_barrier_wait(&s->both_hold, WEFT_FOREVER);
    int rc = weft_lock_acquire(&s->a, true, WEFT_FOREVER);
    if (rc == WEFT_EDEADLK) atomic_fetch_add(&s->deadlk, 1);
    else (void)weft_lock_release(&s->a);
    (void)weft_lock_release(&s->b);
    return NULL;
}

TEST(stuck_behind_another_cycle_is_not_reported)
{
    struct reports r;
    detect_on(&r);
    struct behind s = { .cyc = { .a = WEFT_LOCK_INIT, .b = WEFT_LOCK_INIT } };
    atomic_store(&s.bystander_rc, 99);
    ASSERT_RC(weft_barrier_init(&s.cyc.both_hold, 3, NULL, NULL, WEFT_FOREVER), WEFT_OK);
    weft_thread *t1 = spawn("cyc-1", ab_after_bystander, &s.cyc);
    weft_thread *t2 = spawn("cyc-2", ba_after_bystander, &s.cyc);
    ASSERT_RC(weft_barrier_wait(&s.cyc.both_hold, WEFT_FOREVER) >= 0 ? WEFT_OK : -1, WEFT_OK);
    weft_thread *by = spawn("bystander", bystander, &s);
    WAIT_UNTIL(dump_has("thread 'bystander'") && dump_has("held by thread 'cyc-1'"), 10);
    ASSERT_RC(weft_barrier_wait(&s.cyc.both_hold, WEFT_FOREVER) >= 0 ? WEFT_OK : -1, WEFT_OK);
    finish(t1);
    finish(t2);
    finish(by);
    ASSERT_EQ(atomic_load(&s.cyc.deadlk), 1);
    ASSERT_EQ(atomic_load(&s.bystander_rc), WEFT_OK);
    ASSERT_EQ(report_count(&r), 1);
    ASSERT(!strstr(r.text, "bystander"));
    weft_barrier_destroy(&s.cyc.both_hold);
    weft_lock_destroy(&s.cyc.a);
    weft_lock_destroy(&s.cyc.b);
    detect_done();
}

/* ---- mode abort: report, then abort() ---- */

TEST(mode_abort_reports_and_aborts)
{
    char path[] = "/tmp/weft-dlabort-XXXXXX";
    int fd = mkstemp(path);
    ASSERT(fd >= 0);
    pid_t pid = fork();
    ASSERT(pid >= 0);
    if (pid == 0) {
        dup2(fd, 2);
        signal(SIGABRT, SIG_DFL);
        (void)weft_deadlock_set_mode(WEFT_DEADLOCK_ABORT);
        weft_lock lock = WEFT_LOCK_INIT;
        (void)weft_lock_acquire(&lock, true, WEFT_FOREVER);
        (void)weft_lock_acquire(&lock, true, WEFT_FOREVER);
        _exit(0);   /* not reached */
    }
    close(fd);
    int status = 0;
    double end = weft_test_now() + 30 * weft_test_factor();
    pid_t w;
    while ((w = waitpid(pid, &status, WNOHANG)) == 0 && weft_test_now() < end)
        weft_test_sleep(0.01);
    if (w == 0) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
    }
    FILE *f = fopen(path, "r");
    char buf[4096] = "";
    if (f) {
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        buf[n] = '\0';
        fclose(f);
    }
    unlink(path);
    ASSERT_NE(w, 0);
    ASSERT(WIFSIGNALED(status));
    ASSERT_EQ(WTERMSIG(status), SIGABRT);
    ASSERT(strstr(buf, "deadlock detected"));
    ASSERT(strstr(buf, "aborting"));
}

/* ---- no false report: heavy contention with every kind of wait ---- */

struct churn {
    weft_lock lock;
    weft_rlock rlock;
    weft_condition cond;
    long counter;
    long per_thread;
};

static void *churn_body(void *p)
{
    struct churn *s = p;
    for (long i = 0; i < s->per_thread; i++) {
        (void)weft_lock_acquire(&s->lock, true, WEFT_FOREVER);
        (void)weft_rlock_acquire(&s->rlock, true, WEFT_FOREVER);
        (void)weft_rlock_acquire(&s->rlock, true, WEFT_FOREVER);
        s->counter++;
        (void)weft_rlock_release(&s->rlock);
        (void)weft_rlock_release(&s->rlock);
        (void)weft_lock_release(&s->lock);
        if (i % 64 == 0) {
            (void)weft_condition_acquire(&s->cond, true, WEFT_FOREVER);
            (void)weft_condition_notify_all(&s->cond);
            (void)weft_condition_wait(&s->cond, 0.0005);
            (void)weft_condition_release(&s->cond);
        }
    }
    return NULL;
}

TEST(no_false_report_under_contention)
{
    struct reports r;
    detect_on(&r);
    struct churn s = { .lock = WEFT_LOCK_INIT, .rlock = WEFT_RLOCK_INIT };
    weft_condition_init(&s.cond);
    s.per_thread = weft_test_iters(100000);
    weft_thread *t[4];
    for (int i = 0; i < 4; i++) t[i] = spawn(NULL, churn_body, &s);
    for (int i = 0; i < 4; i++) finish(t[i]);
    ASSERT_EQ(s.counter, 4 * s.per_thread);
    ASSERT_EQ(report_count(&r), 0);
    weft_condition_destroy(&s.cond);
    weft_lock_destroy(&s.lock);
    weft_rlock_destroy(&s.rlock);
    detect_done();
}
