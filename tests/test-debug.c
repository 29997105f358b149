/* SPDX-License-Identifier: MIT */
/* test-debug.c: debug.c's core: names, modes, the report hook, thread slots, wait
 * records as the dump shows them, the pinned read, and the dump on a signal.
 * Deadlock cases through each primitive are tested with that primitive
 * (test-lockdbg.c, test-execdbg.c) and end to end in test-deadlock.c. */
#include "harness.h"

#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal/debug.h"
#include "weft/debug.h"
#include "weft/lock.h"
#include "weft/thread.h"

/* ---- names ---- */

TEST(name_set_get_replace_forget)
{
    int obj = 0;
    char buf[WEFT_DEBUG_NAME_MAX];
    ASSERT_RC(weft_debug_name_of(&obj, buf, sizeof buf), WEFT_EEMPTY);
    ASSERT_STR_EQ(buf, "");
    ASSERT_RC(weft_debug_name(&obj, "first"), WEFT_OK);
    ASSERT_RC(weft_debug_name_of(&obj, buf, sizeof buf), WEFT_OK);
    ASSERT_STR_EQ(buf, "first");
    ASSERT_RC(weft_debug_name(&obj, "second"), WEFT_OK);
    ASSERT_RC(weft_debug_name_of(&obj, buf, sizeof buf), WEFT_OK);
    ASSERT_STR_EQ(buf, "second");
    ASSERT_RC(weft_debug_name(&obj, NULL), WEFT_OK);
    ASSERT_RC(weft_debug_name_of(&obj, buf, sizeof buf), WEFT_EEMPTY);
    ASSERT_RC(weft_debug_name(&obj, NULL), WEFT_OK);   /* forgetting twice is fine */
}

TEST(name_truncated_to_max)
{
    int obj = 0;
    char big[200], buf[WEFT_DEBUG_NAME_MAX + 10], small[4];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    ASSERT_RC(weft_debug_name(&obj, big), WEFT_OK);
    ASSERT_RC(weft_debug_name_of(&obj, buf, sizeof buf), WEFT_OK);
    ASSERT_EQ(strlen(buf), (size_t)WEFT_DEBUG_NAME_MAX - 1);
    ASSERT_RC(weft_debug_name_of(&obj, small, sizeof small), WEFT_OK);
    ASSERT_STR_EQ(small, "xxx");
    ASSERT_RC(weft_debug_name(&obj, NULL), WEFT_OK);
}

TEST(name_misuse)
{
    int obj = 0;
    char buf[8];
    ASSERT_RC(weft_debug_name(NULL, "x"), WEFT_EINVAL);
    ASSERT_RC(weft_debug_name(&obj, "kept"), WEFT_OK);
    ASSERT_RC(weft_debug_name_of(NULL, buf, sizeof buf), WEFT_EINVAL);
    ASSERT_RC(weft_debug_name_of(&obj, NULL, 8), WEFT_EINVAL);
    ASSERT_RC(weft_debug_name_of(&obj, buf, 0), WEFT_EINVAL);
    ASSERT_RC(weft_debug_name_of(&obj, buf, sizeof buf), WEFT_OK);
    ASSERT_STR_EQ(buf, "kept");
    weft__name_forget(&obj);
    ASSERT_RC(weft_debug_name_of(&obj, buf, sizeof buf), WEFT_EEMPTY);
}

TEST(names_many_objects)
{
    enum { N = 2000 };
    char *objs = malloc(N);
    ASSERT(objs);
    char name[32], buf[32];
    for (int i = 0; i < N; i++) {
        snprintf(name, sizeof name, "obj-%d", i);
        ASSERT_RC(weft_debug_name(&objs[i], name), WEFT_OK);
    }
    for (int i = N - 1; i >= 0; i--) {
        snprintf(name, sizeof name, "obj-%d", i);
        ASSERT_RC(weft_debug_name_of(&objs[i], buf, sizeof buf), WEFT_OK);
        ASSERT_STR_EQ(buf, name);
        if (i % 2) weft__name_forget(&objs[i]);
    }
    for (int i = 0; i < N; i++) {
        ASSERT_RC(weft_debug_name_of(&objs[i], buf, sizeof buf), i % 2 ? WEFT_EEMPTY : WEFT_OK);
        weft__name_forget(&objs[i]);
    }
    free(objs);
}

/* ---- mode ---- */

TEST(mode_set_get_and_misuse)
{
    weft_deadlock_mode old = weft_deadlock_get_mode();
    ASSERT_RC(weft_deadlock_set_mode(WEFT_DEADLOCK_OFF), WEFT_OK);
    ASSERT_EQ(weft_deadlock_get_mode(), WEFT_DEADLOCK_OFF);
    ASSERT_RC(weft_deadlock_set_mode((weft_deadlock_mode)7), WEFT_EINVAL);
    ASSERT_EQ(weft_deadlock_get_mode(), WEFT_DEADLOCK_OFF);
    ASSERT_RC(weft_deadlock_set_mode((weft_deadlock_mode)-1), WEFT_EINVAL);
    ASSERT_RC(weft_deadlock_set_mode(WEFT_DEADLOCK_ABORT), WEFT_OK);
    ASSERT_EQ(weft_deadlock_get_mode(), WEFT_DEADLOCK_ABORT);
    ASSERT_RC(weft_deadlock_set_mode(old), WEFT_OK);
}

TEST(mode_default_is_report)
{
    /* the test runner does not set WEFT_DEADLOCK unless CI runs a mode pass */
    const char *e = getenv("WEFT_DEADLOCK");
    if (e) return;
    ASSERT_EQ(weft_deadlock_get_mode(), WEFT_DEADLOCK_REPORT);
}

/* With mode OFF, or with a deadline, the loop never checks and sleeps until the
 * caller's deadline. */
TEST(dl_loop_inactive_without_forever_or_when_off)
{
    struct weft__dl dl;
    weft__ns until;
    weft__dl_start(&dl, 12345);
    ASSERT_RC(weft__dl_poll(&dl, 12345, &until), WEFT_OK);
    ASSERT_EQ(until, (weft__ns)12345);
    weft_deadlock_mode old = weft_deadlock_get_mode();
    ASSERT_RC(weft_deadlock_set_mode(WEFT_DEADLOCK_OFF), WEFT_OK);
    weft__dl_start(&dl, WEFT__NS_FOREVER);
    ASSERT_RC(weft__dl_poll(&dl, WEFT__NS_FOREVER, &until), WEFT_OK);
    ASSERT_EQ(until, WEFT__NS_FOREVER);
    ASSERT_RC(weft_deadlock_set_mode(old), WEFT_OK);
}

/* With detection on and no deadline, a thread that waits on nothing stuck checks
 * at once, finds no cycle and sleeps a bounded period, growing. */
TEST(dl_loop_periodic_when_no_cycle)
{
    weft_deadlock_mode old = weft_deadlock_get_mode();
    ASSERT_RC(weft_deadlock_set_mode(WEFT_DEADLOCK_REPORT), WEFT_OK);
    int obj = 0;
    int tok = weft__rec_begin(WEFT__WK_EVENT, &obj, WEFT__NS_FOREVER);
    struct weft__dl dl;
    weft__ns until, prev = 0;
    weft__dl_start(&dl, WEFT__NS_FOREVER);
    for (int i = 0; i < 3; i++) {
        dl.next = 0;   /* make the next check due now */
        weft__ns before = weft__now();
        ASSERT_RC(weft__dl_poll(&dl, WEFT__NS_FOREVER, &until), WEFT_OK);
        ASSERT_LT(until, WEFT__NS_FOREVER);
        ASSERT_GT(until, before);
        ASSERT_GE(until - before, prev);   /* the period does not shrink */
        prev = until - before;
    }
    weft__rec_end(tok);
    ASSERT_RC(weft_deadlock_set_mode(old), WEFT_OK);
}

/* ---- reports ---- */

struct captured {
    _Atomic int count;
    char text[8192];
};

static void capture(const char *report, void *arg)
{
    struct captured *c = arg;
    snprintf(c->text, sizeof c->text, "%s", report);
    atomic_fetch_add(&c->count, 1);
}

TEST(report_hook_receives_reports)
{
    struct captured c = { 0 };
    weft_debug_set_report_hook(capture, &c);
    weft__report("hello report\n");
    weft_debug_set_report_hook(NULL, NULL);
    ASSERT_EQ(atomic_load(&c.count), 1);
    ASSERT_STR_EQ(c.text, "hello report\n");
}

/* ---- thread slots ---- */

static _Atomic weft__tid exited_tid;

static void exits(void *arg, int i)
{
    (void)arg;
    (void)i;
    weft__tid t = weft__me();
    atomic_store(&exited_tid, t);
    weft__dbg_thread_exit();
    /* after its exit the thread is never tracked again */
    if (weft__me() != 0) atomic_store(&exited_tid, 0);
}

TEST(slot_ids_are_per_thread_and_stale_after_exit)
{
    weft__tid me = weft__me();
    ASSERT_NE(me, (weft__tid)0);
    ASSERT_EQ(weft__me(), me);
    weft_test_join(weft_test_start(1, exits, NULL));
    weft__tid t = atomic_load(&exited_tid);
    ASSERT_NE(t, (weft__tid)0);
    ASSERT_NE(t, me);
    char buf[200];
    weft__describe_tid(t, buf, sizeof buf);
    ASSERT(strstr(buf, "finished"));
    weft__describe_tid(me, buf, sizeof buf);
    ASSERT(strstr(buf, "native id"));
}

/* ---- the dump ---- */

struct blocked {
    int obj;              /* the fake object waited on */
    _Atomic int phase;    /* 1: recorded, 2: released */
    enum weft__wk outer, inner;
};

static void records_and_waits(void *arg, int i)
{
    (void)i;
    struct blocked *b = arg;
    int t1 = weft__rec_begin(b->outer, &b->obj, WEFT__NS_FOREVER);
    int t2 = b->inner ? weft__rec_begin(b->inner, &b->phase, weft__now() + WEFT__NS_PER_SEC)
                      : -1;
    atomic_store(&b->phase, 1);
    while (atomic_load(&b->phase) != 2) usleep(500);
    if (t2 >= 0) weft__rec_end(t2);
    weft__rec_end(t1);
}

static char *dump_to_string(void)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) return NULL;
    if (weft_debug_dump(f) != WEFT_OK) {
        fclose(f);
        free(text);
        return NULL;
    }
    fclose(f);
    return text;
}

TEST(dump_shows_records_with_names_and_durations)
{
    struct blocked b = { .outer = WEFT__WK_QUEUE_GET, .inner = WEFT__WK_CONDITION };
    ASSERT_RC(weft_debug_name(&b.obj, "jobs"), WEFT_OK);
    weft_test_threads *ts = weft_test_start(1, records_and_waits, &b);
    WAIT_UNTIL(atomic_load(&b.phase) == 1, 10);
    char *d = dump_to_string();
    ASSERT(d);
    ASSERT(strstr(d, "weft thread dump:"));
    ASSERT(strstr(d, "* "));                       /* the caller is marked */
    ASSERT(strstr(d, "in Queue.get on 'jobs'"));   /* outermost record, named */
    ASSERT(strstr(d, "blocked in Condition.wait on"));
    ASSERT(strstr(d, "(with a timeout)"));         /* the inner wait had a deadline */
    ASSERT(strstr(d, "running (not blocked in weft)"));   /* the caller */
    free(d);
    atomic_store(&b.phase, 2);
    weft_test_join(ts);
    d = dump_to_string();
    ASSERT(d);
    ASSERT(!strstr(d, "'jobs'"));                  /* the record is gone */
    free(d);
    weft__name_forget(&b.obj);
}

TEST(dump_misuse)
{
    ASSERT_RC(weft_debug_dump(NULL), WEFT_EINVAL);
}

/* The pin: a reader that dereferences another thread's wait object (here a Lock,
 * through the holder hook) never touches it after the waiter has left the wait
 * and freed it. Under AddressSanitizer a broken pin is a use-after-free. */
static _Atomic int churn_stop;

static void churn(void *arg, int i)
{
    (void)arg;
    (void)i;
    while (!atomic_load(&churn_stop)) {
        weft_lock *l = malloc(sizeof *l);
        if (!l) continue;
        weft_lock_init(l);
        int tok = weft__rec_begin(WEFT__WK_LOCK, l, WEFT__NS_FOREVER);
        weft__rec_end(tok);
        weft_lock_destroy(l);
        free(l);
    }
}

TEST(pinned_read_never_outlives_the_wait)
{
    atomic_store(&churn_stop, 0);
    weft_test_threads *ts = weft_test_start(2, churn, NULL);
    FILE *null = fopen("/dev/null", "w");
    ASSERT(null);
    long n = weft_test_iters(3000);
    for (long i = 0; i < n; i++) ASSERT_RC(weft_debug_dump(null), WEFT_OK);
    fclose(null);
    atomic_store(&churn_stop, 1);
    weft_test_join(ts);
}

/* ---- dump on a signal ---- */

/* The signal dump itself (while threads are blocked, and one signal at a time) is
 * tested in test-deadlock.c, where every primitive records its waits. */

TEST(dump_on_signal_misuse)
{
    ASSERT_RC(weft_debug_dump_on_signal(0), WEFT_OK);   /* removing none: nothing to do */
    ASSERT_RC(weft_debug_dump_on_signal(32), WEFT_EINVAL);   /* glibc keeps 32 and 33 */
    ASSERT_RC(weft_debug_dump_on_signal(SIGUSR1), WEFT_OK);  /* the failure changed nothing */
    ASSERT_RC(weft_debug_dump_on_signal(0), WEFT_OK);
    ASSERT_RC(weft_debug_dump_on_signal(-1), WEFT_EINVAL);
    ASSERT_RC(weft_debug_dump_on_signal(SIGKILL), WEFT_EINVAL);
    ASSERT_RC(weft_debug_dump_on_signal(SIGSTOP), WEFT_EINVAL);
    ASSERT_RC(weft_debug_dump_on_signal(100000), WEFT_EINVAL);
}

/* ---- records deeper than the slot keeps ---- */

TEST(records_deeper_than_kept_are_counted)
{
    int objs[9];
    int tok[9];
    for (int i = 0; i < 9; i++) tok[i] = weft__rec_begin(WEFT__WK_OTHER, &objs[i], WEFT__NS_FOREVER);
    for (int i = 0; i < 9; i++) ASSERT_EQ(tok[i], i);
    char *d = dump_to_string();
    ASSERT(d);
    ASSERT(strstr(d, "... and 3 deeper waits"));
    free(d);
    /* the detector does not follow a record it could not keep: no check, no report */
    struct weft__dl dl;
    weft__ns until;
    weft_deadlock_mode old = weft_deadlock_get_mode();
    ASSERT_RC(weft_deadlock_set_mode(WEFT_DEADLOCK_REPORT), WEFT_OK);
    weft__dl_start(&dl, WEFT__NS_FOREVER);
    ASSERT_RC(weft__dl_poll(&dl, WEFT__NS_FOREVER, &until), WEFT_OK);
    ASSERT_EQ(dl.strikes, 0u);
    ASSERT_RC(weft_deadlock_set_mode(old), WEFT_OK);
    for (int i = 8; i >= 0; i--) weft__rec_end(tok[i]);
    d = dump_to_string();
    ASSERT(d);
    ASSERT(!strstr(d, "deeper waits"));
    free(d);
}

TEST(kind_names_and_unknown_ids)
{
    ASSERT_STR_EQ(weft__wk_name(WEFT__WK_LOCK), "Lock");
    ASSERT_STR_EQ(weft__wk_name(WEFT__WK_QUEUE_JOIN), "Queue.join");
    ASSERT_STR_EQ(weft__wk_name((enum weft__wk)WEFT__WK_COUNT), "a weft wait");
    ASSERT_STR_EQ(weft__wk_name((enum weft__wk)-3), "a weft wait");
    char buf[200];
    weft__describe_tid(0, buf, sizeof buf);
    ASSERT(strstr(buf, "finished"));
    weft__describe_tid(0xffffffffu, buf, sizeof buf);   /* an index never handed out */
    ASSERT(strstr(buf, "finished"));
    int obj;
    weft__describe_obj(&obj, buf, sizeof buf);
    ASSERT(buf[0] == '0' && buf[1] == 'x');             /* unnamed: the address */
    weft__dump_threads(NULL, NULL, -1);                  /* no stream: nothing happens */
}

/* The mode can be switched off while a thread is in the loop: its next poll stops
 * checking and sleeps until its own deadline. */
TEST(dl_loop_stops_when_mode_turns_off)
{
    weft_deadlock_mode old = weft_deadlock_get_mode();
    ASSERT_RC(weft_deadlock_set_mode(WEFT_DEADLOCK_REPORT), WEFT_OK);
    struct weft__dl dl;
    weft__ns until;
    weft__dl_start(&dl, WEFT__NS_FOREVER);
    ASSERT_RC(weft__dl_poll(&dl, WEFT__NS_FOREVER, &until), WEFT_OK);
    ASSERT_LT(until, WEFT__NS_FOREVER);
    ASSERT_RC(weft_deadlock_set_mode(WEFT_DEADLOCK_OFF), WEFT_OK);
    dl.next = 0;
    ASSERT_RC(weft__dl_poll(&dl, WEFT__NS_FOREVER, &until), WEFT_OK);
    ASSERT_EQ(until, WEFT__NS_FOREVER);
    ASSERT_EQ(dl.next, WEFT__NS_FOREVER);
    ASSERT_RC(weft_deadlock_set_mode(old), WEFT_OK);
}

/* ---- the environment, read once, in a child process ---- */

#include <spawn.h>
#include <sys/wait.h>

extern char **environ;

static int run_self(const char *test, const char *const *vars)
{
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) return -1;
    exe[n] = '\0';
    size_t ne = 0;
    while (environ[ne]) ne++;
    char **env = calloc(ne + 8, sizeof *env);
    if (!env) return -1;
    size_t k = 0;
    for (size_t i = 0; i < ne; i++)
        if (strncmp(environ[i], "WEFT_DEADLOCK", 13) != 0
            && strncmp(environ[i], "WEFT_DUMP_SIGNAL", 16) != 0
            && strncmp(environ[i], "WEFT_DEBUG_EXPECT", 17) != 0)
            env[k++] = environ[i];
    for (size_t i = 0; vars[i] && k < ne + 7; i++) env[k++] = (char *)vars[i];
    env[k] = NULL;
    char *argv[] = { exe, (char *)test, NULL };
    pid_t pid;
    int status = -1;
    if (posix_spawn(&pid, exe, NULL, NULL, argv, env) == 0) waitpid(pid, &status, 0);
    free(env);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* child: WEFT_DEBUG_EXPECT_MODE is the mode WEFT_DEADLOCK must have given */
TEST(env_mode_child)
{
    const char *want = getenv("WEFT_DEBUG_EXPECT_MODE");
    if (!want) return;
    ASSERT_EQ((int)weft_deadlock_get_mode(), atoi(want));
}

TEST(env_deadlock_mode_values)
{
    struct { const char *var, *want; } cases[] = {
        { "WEFT_DEADLOCK=off", "WEFT_DEBUG_EXPECT_MODE=0" },
        { "WEFT_DEADLOCK=0", "WEFT_DEBUG_EXPECT_MODE=0" },
        { "WEFT_DEADLOCK=abort", "WEFT_DEBUG_EXPECT_MODE=2" },
        { "WEFT_DEADLOCK=report", "WEFT_DEBUG_EXPECT_MODE=1" },
        { "WEFT_DEADLOCK=bogus", "WEFT_DEBUG_EXPECT_MODE=1" },   /* unknown: the default */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *vars[] = { cases[i].var, cases[i].want, NULL };
        ASSERT_EQ(run_self("env_mode_child", vars), 0);
    }
}

/* child: WEFT_DEBUG_EXPECT_SIGNAL is the signal WEFT_DUMP_SIGNAL must have set up
 * at load (0: none) */
TEST(env_signal_child)
{
    const char *want = getenv("WEFT_DEBUG_EXPECT_SIGNAL");
    if (!want) return;
    int sig = atoi(want);
    if (sig) {
        ASSERT_RC(weft_debug_dump_on_signal(sig), WEFT_OK);   /* already: no change */
        ASSERT_RC(weft_debug_dump_on_signal(sig == SIGUSR1 ? SIGUSR2 : SIGUSR1), WEFT_ESTATE);
    } else {
        ASSERT_RC(weft_debug_dump_on_signal(SIGUSR1), WEFT_OK);   /* nothing was set up */
    }
    ASSERT_RC(weft_debug_dump_on_signal(0), WEFT_OK);
}

TEST(env_dump_signal_values)
{
    char q[40], u1[40], u2[40];
    snprintf(q, sizeof q, "WEFT_DEBUG_EXPECT_SIGNAL=%d", SIGQUIT);
    snprintf(u1, sizeof u1, "WEFT_DEBUG_EXPECT_SIGNAL=%d", SIGUSR1);
    snprintf(u2, sizeof u2, "WEFT_DEBUG_EXPECT_SIGNAL=%d", SIGUSR2);
    char num[40];
    snprintf(num, sizeof num, "WEFT_DUMP_SIGNAL=%d", SIGUSR2);
    struct { const char *var, *want; } cases[] = {
        { "WEFT_DUMP_SIGNAL=QUIT", q },
        { "WEFT_DUMP_SIGNAL=SIGQUIT", q },
        { "WEFT_DUMP_SIGNAL=USR1", u1 },
        { "WEFT_DUMP_SIGNAL=SIGUSR1", u1 },
        { "WEFT_DUMP_SIGNAL=USR2", u2 },
        { "WEFT_DUMP_SIGNAL=SIGUSR2", u2 },
        { num, u2 },
        { "WEFT_DUMP_SIGNAL=", "WEFT_DEBUG_EXPECT_SIGNAL=0" },
        { "WEFT_DUMP_SIGNAL=99", "WEFT_DEBUG_EXPECT_SIGNAL=0" },
        { "WEFT_DUMP_SIGNAL=HUP?", "WEFT_DEBUG_EXPECT_SIGNAL=0" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *vars[] = { cases[i].var, cases[i].want, NULL };
        ASSERT_EQ(run_self("env_signal_child", vars), 0);
    }
}

/* set_info keeps what it is not given (NULL name, daemon -1, ident/native 0), and
 * ignores an id that is not live. */
TEST(set_info_partial_updates)
{
    weft__tid me = weft__me();
    char buf[200];
    weft__dbg_set_info(me, "first-name", 0, 0x1234, 4321);
    weft__describe_tid(me, buf, sizeof buf);
    ASSERT(strstr(buf, "'first-name'") && strstr(buf, "0x1234") && strstr(buf, "4321"));
    weft__dbg_set_info(me, NULL, -1, 0, 0);                /* nothing changes */
    weft__describe_tid(me, buf, sizeof buf);
    ASSERT(strstr(buf, "'first-name'") && strstr(buf, "0x1234") && strstr(buf, "4321"));
    weft__dbg_set_info(me, "second", 1, 0, 0);
    weft__describe_tid(me, buf, sizeof buf);
    ASSERT(strstr(buf, "'second'") && strstr(buf, "0x1234"));
    char *d = dump_to_string();
    ASSERT(d && strstr(d, "thread 'second'") && strstr(d, " daemon alive"));
    free(d);
    weft__dbg_set_info(0, "nobody", 1, 1, 1);              /* not live: ignored */
    weft__dbg_set_info(me ^ 0x10000u, "stale", 1, 1, 1);  /* other generation */
    weft__describe_tid(me, buf, sizeof buf);
    ASSERT(strstr(buf, "'second'"));
    /* a name longer than the slot keeps is cut, not overflowed */
    char longname[200];
    memset(longname, 'n', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    weft__dbg_set_info(me, longname, -1, 0, 0);
    weft__describe_tid(me, buf, sizeof buf);
    ASSERT(strstr(buf, "'nnnn") && !strstr(buf, longname));
    weft__rec_end(-1);                                     /* a record never begun */
    /* put the caller's record back (vg-run runs every case in one process) */
    weft__dbg_set_info(me, "MainThread", 0, weft_get_ident(), weft_get_native_id());
}

TEST(report_without_hook_goes_to_stderr)
{
    char path[] = "/tmp/weft-report-XXXXXX";
    int fd = mkstemp(path);
    ASSERT(fd >= 0);
    fflush(stderr);
    int saved = dup(2);
    ASSERT(saved >= 0);
    ASSERT_EQ(dup2(fd, 2), 2);
    weft_debug_set_report_hook(NULL, NULL);
    weft__report("weft: a report for stderr\n");
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    char buf[256] = "";
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    close(fd);
    unlink(path);
    ASSERT(n > 0);
    buf[n] = '\0';
    ASSERT_STR_EQ(buf, "weft: a report for stderr\n");
}

/* A dump (stdio inside) leaves errno as it found it, like every weft call. */
TEST(dump_keeps_errno)
{
    FILE *null = fopen("/dev/null", "w");
    ASSERT(null);
    errno = 4242;
    ASSERT_RC(weft_debug_dump(null), WEFT_OK);
    ASSERT_EQ(errno, 4242);
    fclose(null);
}
