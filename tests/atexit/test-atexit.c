/* SPDX-License-Identifier: MIT */
/* tests/atexit/test-atexit.c: the internal exit-callback registry
 * (src/internal/atexit.h, Python's threading._register_atexit): misuse matrix,
 * register/unregister bookkeeping, thread safety, errno, allocation failures
 * (fault injection) and fork. What happens at exit (order, waiting, late
 * registration) is checked on child programs in tests/exit. */
#include "harness.h"

#include <errno.h>
#include <stdatomic.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fault.h"
#include "internal/atexit.h"
#include "weft/futures.h"

static void cb(void *arg) { (void)arg; }

static void *task(void *arg) { return arg; }

/* ---- misuse matrix ------------------------------------------------------------- */

TEST(register_null_fn_is_einval)
{
    unsigned long before = weft__atexit_count();
    weft__atexit_entry *h = (weft__atexit_entry *)0x1;
    ASSERT_RC(weft__register_atexit(NULL, NULL, &h), WEFT_EINVAL);
    ASSERT_PTR_EQ(h, (void *)0x1);
    ASSERT_EQ(weft__atexit_count(), before);
}

TEST(register_null_handle_is_einval)
{
    unsigned long before = weft__atexit_count();
    ASSERT_RC(weft__register_atexit(cb, NULL, NULL), WEFT_EINVAL);
    ASSERT_EQ(weft__atexit_count(), before);
}

TEST(unregister_null_is_einval)
{
    weft__atexit_entry *h;
    ASSERT_OK(weft__register_atexit(cb, NULL, &h));
    unsigned long before = weft__atexit_count();
    ASSERT_RC(weft__unregister_atexit(NULL), WEFT_EINVAL);
    ASSERT_EQ(weft__atexit_count(), before);
    ASSERT_OK(weft__unregister_atexit(h));
}

/* ---- bookkeeping ---------------------------------------------------------------- */

TEST(register_then_unregister)
{
    unsigned long before = weft__atexit_count();
    weft__atexit_entry *h = NULL;
    ASSERT_OK(weft__register_atexit(cb, NULL, &h));
    ASSERT_NE(h, NULL);
    ASSERT_EQ(weft__atexit_count(), before + 1);
    ASSERT_OK(weft__unregister_atexit(h));
    ASSERT_EQ(weft__atexit_count(), before);
}

TEST(unregister_any_position)
{
    unsigned long before = weft__atexit_count();
    weft__atexit_entry *h[5];
    for (int i = 0; i < 5; i++) ASSERT_OK(weft__register_atexit(cb, &h[i], &h[i]));
    ASSERT_EQ(weft__atexit_count(), before + 5);
    int order[5] = { 2, 0, 4, 3, 1 };   /* middle, head, tail, new tail, last */
    for (int i = 0; i < 5; i++) {
        ASSERT_OK(weft__unregister_atexit(h[order[i]]));
        ASSERT_EQ(weft__atexit_count(), before + 4 - (unsigned long)i);
    }
}

TEST(errno_untouched)
{
    weft__atexit_entry *h;
    errno = 1234;
    ASSERT_OK(weft__register_atexit(cb, NULL, &h));
    ASSERT_EQ(errno, 1234);
    ASSERT_OK(weft__unregister_atexit(h));
    ASSERT_EQ(errno, 1234);
    ASSERT_RC(weft__register_atexit(NULL, NULL, &h), WEFT_EINVAL);
    ASSERT_EQ(errno, 1234);
    fault_arm(1);
    ASSERT_RC(weft__register_atexit(cb, NULL, &h), WEFT_ENOMEM);
    fault_disarm();
    ASSERT_EQ(errno, 1234);
}

/* An executor holds one registration from create to destroy. */
TEST(executor_registers_until_destroy)
{
    unsigned long before = weft__atexit_count();
    weft_executor *ex;
    ASSERT_OK(weft_executor_create(&ex, NULL));
    ASSERT_EQ(weft__atexit_count(), before + 1);
    weft_future *f;
    ASSERT_OK(weft_executor_submit(ex, task, NULL, &f));
    ASSERT_OK(weft_future_result(f, WEFT_FOREVER, NULL));
    weft_future_unref(f);
    ASSERT_OK(weft_executor_shutdown(ex, true, false));
    ASSERT_EQ(weft__atexit_count(), before + 1);   /* shutdown keeps it (harmless) */
    weft_executor_destroy(ex);
    ASSERT_EQ(weft__atexit_count(), before);
}

/* Workers inherit the submitter's daemon flag (Python 3.9+: non-daemon from the
 * main thread), so the exit callback is what lets the process exit. */
static void *worker_daemon_flag(void *arg)
{
    (void)arg;
    return (void *)(intptr_t)(weft_thread_daemon(weft_current_thread()) ? 1 : 2);
}

TEST(executor_workers_are_non_daemon_from_main)
{
    weft_executor *ex;
    ASSERT_OK(weft_executor_create(&ex, NULL));
    weft_future *f;
    ASSERT_OK(weft_executor_submit(ex, worker_daemon_flag, NULL, &f));
    void *r = NULL;
    ASSERT_OK(weft_future_result(f, WEFT_FOREVER, &r));
    ASSERT_EQ((intptr_t)r, 2);
    weft_future_unref(f);
    weft_executor_destroy(ex);
}

/* ---- threads ---------------------------------------------------------------------- */

static void churn(void *arg, int index)
{
    (void)arg;
    (void)index;
    long n = weft_test_iters(2000);
    weft__atexit_entry *h[4];
    for (long i = 0; i < n; i++) {
        for (int k = 0; k < 4; k++) ASSERT_OK(weft__register_atexit(cb, NULL, &h[k]));
        /* out of order, so removals hit the head, middle and tail */
        ASSERT_OK(weft__unregister_atexit(h[(i + 1) % 4 == 0 ? 3 : 1]));
        ASSERT_OK(weft__unregister_atexit(h[0]));
        ASSERT_OK(weft__unregister_atexit(h[(i + 1) % 4 == 0 ? 1 : 3]));
        ASSERT_OK(weft__unregister_atexit(h[2]));
    }
}

TEST(concurrent_register_unregister)
{
    unsigned long before = weft__atexit_count();
    weft_test_threads *ts = weft_test_start(4, churn, NULL);
    weft_test_join(ts);
    ASSERT_EQ(weft__atexit_count(), before);
}

/* ---- allocation failures ------------------------------------------------------------ */

TEST(register_enomem_changes_nothing)
{
    unsigned long before = weft__atexit_count();
    weft__atexit_entry *h = (weft__atexit_entry *)0x1;
    fault_arm(1);
    int rc = weft__register_atexit(cb, NULL, &h);
    bool fired = fault_fired();
    fault_disarm();
    ASSERT_TRUE(fired);
    ASSERT_RC(rc, WEFT_ENOMEM);
    ASSERT_PTR_EQ(h, (void *)0x1);
    ASSERT_EQ(weft__atexit_count(), before);
}

/* Every allocation of create failing in turn: ENOMEM, nothing registered, no
 * leak (ASan/LSan build); the unfailed run registers once. */
TEST(executor_create_enomem_leaves_nothing_registered)
{
    unsigned long before = weft__atexit_count();
    weft_executor *ex;
    fault_arm(0);
    ASSERT_OK(weft_executor_create(&ex, NULL));
    long n = fault_disarm();
    weft_executor_destroy(ex);
    ASSERT_GT(n, 0);
    for (long k = 1; k <= n; k++) {
        ex = (weft_executor *)0x1;
        fault_arm(k);
        int rc = weft_executor_create(&ex, NULL);
        fault_disarm();
        ASSERT_RC(rc, WEFT_ENOMEM);
        ASSERT_PTR_EQ(ex, (void *)0x1);
        ASSERT_EQ(weft__atexit_count(), before);
    }
}

/* ---- fork ----------------------------------------------------------------------------- */

/* Python keeps _threading_atexits in a fork child: so does weft. */
TEST(fork_child_keeps_registrations)
{
    weft__atexit_entry *h;
    ASSERT_OK(weft__register_atexit(cb, NULL, &h));
    unsigned long before = weft__atexit_count();
    unsigned gen = weft__fork_generation();
    fflush(NULL);
    pid_t pid = fork();
    ASSERT(pid >= 0);
    if (pid == 0) {
        int bad = 0;
        if (weft__atexit_count() != before) bad |= 1;
        if (weft__fork_generation() != gen + 1) bad |= 2;
        if (weft__unregister_atexit(h) != WEFT_OK || weft__atexit_count() != before - 1) bad |= 4;
        _exit(bad);
    }
    int st = 0;
    ASSERT_EQ(waitpid(pid, &st, 0), pid);
    ASSERT_TRUE(WIFEXITED(st));
    ASSERT_EQ(WEXITSTATUS(st), 0);
    ASSERT_EQ(weft__fork_generation(), gen);
    ASSERT_EQ(weft__atexit_count(), before);
    ASSERT_OK(weft__unregister_atexit(h));
}
