/* SPDX-License-Identifier: MIT */
/* test-lockdbg.c: the debugging side of Lock and RLock (issue 8): the holder
 * each lock records (the deadlock detector's graph edge and the dump's "held
 * by"), deadlock detection in their wait loops, the lock-order checker and the
 * contention statistics (src/lockdbg.c). */
#include "harness.h"

#include <stdatomic.h>

#include "internal/debug.h"
#include "internal/lock.h"

/* ---- holder recording ------------------------------------------------------------ */

TEST(holder_fast_path_and_release)
{
    weft_lock l = WEFT_LOCK_INIT;
    ASSERT_EQ(weft__lock_holder(&l), 0);
    ASSERT_OK(weft_lock_acquire(&l, true, WEFT_FOREVER));
    ASSERT_EQ(weft__lock_holder(&l), weft__me());
    ASSERT_OK(weft_lock_release(&l));
    ASSERT_EQ(weft__lock_holder(&l), 0);
    ASSERT_EQ(atomic_load(&l.holder), 0);
}

TEST(holder_nonblocking_and_timed)
{
    weft_lock l;
    weft_lock_init(&l);
    ASSERT_OK(weft_lock_acquire(&l, false, WEFT_FOREVER));
    ASSERT_EQ(weft__lock_holder(&l), weft__me());
    ASSERT_OK(weft_lock_release(&l));
    ASSERT_OK(weft_lock_acquire(&l, true, 0));
    ASSERT_EQ(weft__lock_holder(&l), weft__me());
    ASSERT_OK(weft_lock_release(&l));
    ASSERT_OK(weft_lock_acquire(&l, true, 5.0));
    ASSERT_EQ(weft__lock_holder(&l), weft__me());
    ASSERT_OK(weft_lock_release(&l));
    ASSERT_EQ(weft__lock_holder(&l), 0);
    weft_lock_destroy(&l);
}

/* A release of an unlocked lock is WEFT_EPERM and changes nothing, holder included. */
TEST(holder_release_unlocked_changes_nothing)
{
    weft_lock l = WEFT_LOCK_INIT;
    ASSERT_RC(weft_lock_release(&l), WEFT_EPERM);
    ASSERT_EQ(atomic_load(&l.state), 0);
    ASSERT_EQ(atomic_load(&l.holder), 0);
}

struct slow_holder {
    weft_lock l;
    _Atomic weft__tid tid;
    _Atomic int phase;
};

static void slow_holder_thread(void *p, int i)
{
    (void)i;
    struct slow_holder *s = p;
    /* Blocks: main holds the lock and releases it once we are counted as a waiter. */
    ASSERT_OK(weft_lock_acquire(&s->l, true, WEFT_FOREVER));
    atomic_store(&s->tid, weft__me());
    ASSERT_EQ(weft__lock_holder(&s->l), weft__me());
    atomic_store(&s->phase, 1);
    while (atomic_load(&s->phase) != 2)
        weft_test_sleep(0.0005);
    ASSERT_OK(weft_lock_release(&s->l));
}

/* The slow path records the holder too, and another thread's acquire replaces it. */
TEST(holder_slow_path_other_thread)
{
    static struct slow_holder s;
    memset(&s, 0, sizeof s);
    ASSERT_OK(weft_lock_acquire(&s.l, true, WEFT_FOREVER));
    weft__tid me = weft__me();
    ASSERT_EQ(weft__lock_holder(&s.l), me);
    weft_test_threads *t = weft_test_start(1, slow_holder_thread, &s);
    WAIT_UNTIL(WEFT__LOCK_WAITERS(atomic_load(&s.l.state)) == 1, 10);
    ASSERT_OK(weft_lock_release(&s.l));
    WAIT_UNTIL(atomic_load(&s.phase) == 1, 10);
    ASSERT_EQ(weft__lock_holder(&s.l), atomic_load(&s.tid));
    if (me != 0) ASSERT_NE(atomic_load(&s.tid), me);
    atomic_store(&s.phase, 2);
    weft_test_join(t);
    ASSERT_EQ(weft__lock_holder(&s.l), 0);
}

/* Python allows any thread to release a Lock: the holder is cleared either way. */
static void release_other(void *p, int i)
{
    (void)i;
    ASSERT_OK(weft_lock_release(p));
}

TEST(holder_cleared_by_release_from_other_thread)
{
    static weft_lock l = WEFT_LOCK_INIT;
    ASSERT_OK(weft_lock_acquire(&l, true, WEFT_FOREVER));
    weft_test_join(weft_test_start(1, release_other, &l));
    ASSERT_EQ(weft__lock_holder(&l), 0);
    ASSERT_FALSE(weft_lock_locked(&l));
}

TEST(rlock_holder_is_owner_at_every_level)
{
    weft_rlock r = WEFT_RLOCK_INIT;
    ASSERT_EQ(weft__rlock_holder(&r), 0);
    ASSERT_OK(weft_rlock_acquire(&r, true, WEFT_FOREVER));
    ASSERT_EQ(weft__rlock_holder(&r), weft__me());
    ASSERT_OK(weft_rlock_acquire(&r, true, WEFT_FOREVER));
    ASSERT_EQ(weft__rlock_holder(&r), weft__me());
    ASSERT_OK(weft_rlock_release(&r));
    ASSERT_EQ(weft__rlock_holder(&r), weft__me());
    ASSERT_OK(weft_rlock_release(&r));
    ASSERT_EQ(weft__rlock_holder(&r), 0);
    ASSERT_RC(weft_rlock_release(&r), WEFT_EPERM);
    ASSERT_EQ(weft__rlock_holder(&r), 0);
}
