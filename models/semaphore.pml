/* models/semaphore.pml: weft_semaphore (src/semaphore.c): a counting semaphore.
 * BUGGY-VARIANTS: 1 2 3 4
 *
 * value is the futex word (units available); nwait counts threads that are
 * about to sleep or asleep on it.
 *   acquire: loop { if value > 0: CAS value -> value - 1, done;
 *                   else nwait++; weft__wait(value, 0, deadline); nwait--;
 *                   on WEFT_ETIMEDOUT give up }
 *   release(n): value += n (fetch_add, seq_cst); if nwait > 0: weft__wake(value, n).
 * No lost wakeup: a waiter publishes nwait before its value check inside
 * weft__wait; the releaser adds to value before reading nwait, so either the
 * releaser sees the waiter and wakes it, or the waiter's check sees the units.
 * Threads: A acquires one unit (forever), B one with a timeout; R does
 * release(2) (Python's release(n) wakes n waiters). Spurious returns allowed.
 * Checked: value never goes below 0 (assert), every unit accounted for at the
 * end (value + units taken == 2, nwait == 0), nobody asleep at the end.
 * Broken variants (-DBUGGY=n):
 *   1  release(n) wakes one waiter instead of n.
 *   2  the wait contract broken: value check and sleep not atomic.
 *   3  release reads nwait before adding to value (wake decision before the
 *      state change).
 *   4  missing re-check: a woken waiter decrements without checking value > 0.
 */
#if BUGGY == 2
#define NONATOMIC_WAIT
#endif
#include "common.pml"

#define SEM 0
byte value = 0;
byte nwait = 0;

inline sem_acquire(timed, ok) {
  ok = false;
  do
  :: atomic { value > 0 -> value--; ok = true }; break      /* S1 CAS take */
  :: value == 0 ->
     nwait++;                                              /* S2 announce */
     if
     :: timed -> fwait_timed(value, SEM, 0, to)             /* S3 sleep */
     :: else -> fwait(value, SEM, 0); to = false
     fi;
     nwait--;
#if BUGGY == 4
     if :: !to -> atomic { assert(value > 0 && value <= 2); value--; ok = true }; break :: else fi;
#endif
     if :: to -> break :: else fi
  od
}

inline sem_release(n) {
#if BUGGY == 3
  if
  :: nwait > 0 -> value = value + n; fwake(SEM, n)
  :: else -> value = value + n
  fi
#else
  value = value + n;                                        /* R1 add */
  if
  :: nwait > 0 ->
#if BUGGY == 1
     fwake(SEM, 1)
#else
     fwake(SEM, n)                                          /* R2 wake n */
#endif
  :: else
  fi
#endif
}

byte got = 0;

active proctype A() {              /* blocking acquire: must get a unit */
  bool ok, to;
  sem_acquire(false, ok);
  assert(ok); got++
}

active proctype B() {              /* timed acquire: may time out */
  bool ok, to;
  sem_acquire(true, ok);
  if :: ok -> got++ :: else fi
}

active proctype R() {
  sem_release(2)
}

active proctype Check() {
  timeout -> assert(value + got == 2 && nwait == 0)
}
