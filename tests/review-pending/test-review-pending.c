/* SPDX-License-Identifier: MIT */
/* tests/review-pending/test-review-pending.c: KNOWN-FAILING cases (WILL_FAIL in
 * CMakeLists.txt) for bugs in condition.c, which the review does not edit.
 * Each case asserts the correct behaviour; it fails today. */
#include "harness.h"

#include <signal.h>
#include <unistd.h>

/* The harness aborts on a failed assertion; CTest's WILL_FAIL inverts exit
 * codes but not signals, so a failure here exits with status 1 instead. */
static void abort_to_exit(int sig) { (void)sig; _exit(1); }
__attribute__((constructor)) static void pending_init(void) { signal(SIGABRT, abort_to_exit); }

/* BUG (condition.c, wait_deadline): Condition.wait(-inf) polls in CPython 3.13
 * (`if timeout > 0` is false, so the waiter lock is polled and wait returns
 * False); condition.h also says "0, other negatives and NaN poll". weft__timeout_
 * class puts -inf in WEFT__T_TOO_BIG, and wait_deadline maps that whole class to
 * WEFT_EOVERFLOW, so weft_condition_wait(c, -INFINITY) returns WEFT_EOVERFLOW.
 * Fix: in wait_deadline, `case WEFT__T_TOO_BIG: if (timeout < 0) { *deadline = 0;
 * return WEFT_OK; } return WEFT_EOVERFLOW;` (as event.c and semaphore.c do).
 * tests/test-condition.c:570 (check_wait_overflow) lists -INFINITY among the
 * overflowing timeouts, asserting the bug; it belongs in check_wait_polls. */
TEST(ConditionTests_wait_minus_inf_polls_as_python)
{
    weft_lock l = WEFT_LOCK_INIT;
    weft_condition c;
    ASSERT_OK(weft_condition_init_lock(&c, &l));
    ASSERT_OK(weft_lock_acquire(&l, true, WEFT_FOREVER));
    ASSERT_RC(weft_condition_wait(&c, -INFINITY), WEFT_ETIMEDOUT);
    ASSERT_TRUE(weft_lock_locked(&l));
    ASSERT_OK(weft_lock_release(&l));
    weft_condition_destroy(&c);
}

static bool never(void *arg) { (void)arg; return false; }

/* Same bug through wait_for: CPython's wait_for(pred, -inf) returns False. */
TEST(ConditionTests_wait_for_minus_inf_polls_as_python)
{
    weft_rlock r;
    weft_rlock_init(&r);
    weft_condition c;
    ASSERT_OK(weft_condition_init_rlock(&c, &r));
    ASSERT_OK(weft_rlock_acquire(&r, true, WEFT_FOREVER));
    ASSERT_RC(weft_condition_wait_for(&c, never, NULL, -INFINITY), WEFT_ETIMEDOUT);
    ASSERT_EQ(weft_rlock_recursion_count(&r), 1);
    ASSERT_OK(weft_rlock_release(&r));
    weft_condition_destroy(&c);
    weft_rlock_destroy(&r);
}
