/* SPDX-License-Identifier: MIT */
/* tests/selftest/racy.c: a program with a real data race, for the gate's checker
 * self-test (not part of the normal suite; .ci/steps/30-valgrind.sh and
 * docs/testing.md). Two raw threads increment a plain int with no lock; a third
 * part hands a plain int from one thread to another through a weft Lock that only
 * the writer takes, so a checker that ignores weft's annotations entirely, or one
 * that treats every weft call as a full barrier, is caught too:
 *   racy counter   -> TSan, helgrind and drd must each report a race and exit != 0.
 * If a checker stays silent the gate fails: a checker that silently stopped
 * working (a build without -fsanitize, a valgrind wrapper that no longer runs,
 * an annotation that suppresses too much) must not pass as "0 errors".
 */
#include "harness.h"

static int counter; /* deliberately unprotected */

static void bump(void *arg, int index)
{
    (void)arg;
    (void)index;
    for (int i = 0; i < 1000; i++)
        counter++;
}

TEST(race_counter)
{
    weft_test_threads *ts = weft_test_start(2, bump, NULL);
    weft_test_join(ts);
    printf("racy: counter=%d (a checker must have reported a data race)\n", counter);
}

static void *volatile sink;

TEST(leak_block)
{
    sink = malloc(64);
    sink = NULL; /* the only pointer is gone: definitely lost */
    printf("racy: leaked 64 bytes (memcheck must report them)\n");
}
