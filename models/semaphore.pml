/* models/semaphore.pml: weft_semaphore (src/semaphore.c): a counting semaphore
 * whose value and sleeper count share one 64-bit word (glibc 2.21's layout).
 * BUGGY-VARIANTS: 1 2 3 4
 *
 * value (the futex half) and nwait (sleepers) stand for the two halves of
 * `state`; an atomic block over both is one RMW of the word.
 *   acquire: S1 CAS take if value > 0; S0 the yield phase: more S1 attempts,
 *            unregistered; else S2 register (nwait++), then loop
 *            { S1 take | S3 weft__wait(value half, 0, deadline) }, on timeout one
 *            last S1; S4 unregister (nwait--) before returning.
 *   release(n): R1 one CAS: value += n, with the sleeper count of the word it
 *            replaced; R2 wake min(n, that count) on the value half. Nothing of
 *            the object is read after R1 (the wake uses the address only).
 * Lifetime: the ghost `freed` is set when both acquirers have returned (a user
 * may destroy the semaphore then, even while R is still inside release); any
 * read of the object's memory by R after R1 asserts !freed.
 * Threads: A acquires one unit (forever), B one with a timeout; R does
 * release(2) (Python's release(n) wakes n waiters). Spurious returns allowed.
 * Checked: value never goes below 0, every unit accounted for at the end
 * (value + units taken == 2, nwait == 0), nobody asleep at the end, and the
 * lifetime rule.
 * Broken variants (-DBUGGY=n):
 *   1  release(n) wakes one waiter instead of n.
 *   2  the wait contract broken: value check and sleep not atomic.
 *   3  the old two-word release: publish value, then read the sleeper count
 *      from memory (glibc bug 12674: a use after free once the acquirers are
 *      done).
 *   4  missing re-check: a woken waiter decrements without checking value > 0.
 */
#if BUGGY == 2
#define NONATOMIC_WAIT
#endif
#include "common.pml"

#define SEM 0
byte value = 0;
byte nwait = 0;
bool freed = false;      /* ghost: the acquirers returned; the object may be gone */
byte finished = 0;

inline sem_acquire(timed, ok) {
  ok = false;
  if
  :: atomic { value > 0 -> value--; ok = true }             /* S1 fast path */
  :: else
  fi;
  y = 0;
  do                                         /* S0 yield phase: up to 2 more */
  :: !ok && y < 2 ->                         /* unregistered S1 attempts   */
     y++;                                    /* (skipped, banned or cut    */
     if                                      /*  short: any number)        */
     :: atomic { value > 0 -> value--; ok = true }
     :: else
     fi
  :: true -> break
  od;
  if
  :: !ok ->
     nwait++;                                               /* S2 register (RMW) */
     do
     :: atomic { value > 0 -> value--; ok = true }; break   /* S1 */
     :: value == 0 ->
        if
        :: timed -> fwait_timed(value, SEM, 0, to)          /* S3 sleep */
        :: else -> fwait(value, SEM, 0); to = false
        fi;
#if BUGGY == 4
        if :: !to -> atomic { assert(value > 0 && value <= 2); value--; ok = true }; break :: else fi;
#endif
        if
        :: to ->                                            /* one last look */
           if
           :: atomic { value > 0 -> value--; ok = true }
           :: else
           fi;
           break
        :: else
        fi
     od;
     nwait--                                                /* S4 unregister */
  :: else
  fi
}

inline sem_release(n) {
  byte oldw;
#if BUGGY == 3
  value = value + n;                                        /* publish ... */
  assert(!freed); oldw = nwait;                             /* ... then read memory */
#else
  atomic { oldw = nwait; value = value + n };               /* R1 one CAS */
#endif
  if
  :: oldw > 0 ->
#if BUGGY == 1
     fwake(SEM, 1)
#else
     fwake(SEM, n)                                          /* R2 wake (address only) */
#endif
  :: else
  fi
}

byte got = 0;

inline done_with_semaphore() {
  atomic { finished++; if :: finished == 2 -> freed = true :: else fi }
}

active proctype A() {              /* blocking acquire: must get a unit */
  bool ok, to; byte y;
  sem_acquire(false, ok);
  assert(ok); got++;
  done_with_semaphore()
}

active proctype B() {              /* timed acquire: may time out */
  bool ok, to; byte y;
  sem_acquire(true, ok);
  if :: ok -> got++ :: else fi;
  done_with_semaphore()
}

active proctype R() {
  sem_release(2)
}

active proctype Check() {
  timeout -> assert(value + got == 2 && nwait == 0)
}
