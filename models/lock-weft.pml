/* models/lock-weft.pml: weft_lock as implemented in src/lock.c (waiter count,
 * starvation mode with handoff), on the wait/wake contract.
 * BUGGY-VARIANTS: 1 2 3 4
 *
 * (models/lock.pml is the plain 0/1/2 futex lock the contract was designed for;
 * this model follows lock.c line by line.) State word, as in lock.c:
 *   LOCKED 1, HANDOFF 2, STARVING 4, waiters * 8 (WAITER_ONE).
 *   acquire: fast CAS 0 -> LOCKED. acquire_slow: try_take (free and not
 *     STARVING: CAS s -> s | LOCKED); a timed acquire whose deadline passed
 *     returns ETIMEDOUT; fetch_add(WAITER_ONE); loop on s:
 *       starver and HANDOFF:          claim: CAS -> (s & ~(HANDOFF|STARVING)) - W1
 *       free and (starver or not STARVING): take: CAS -> ((s|LOCKED) minus our
 *                                     STARVING if starver) - W1
 *       timed out:                    leave: CAS -> (s minus our STARVING) - W1,
 *                                     WEFT_ETIMEDOUT
 *       else: maybe become the starver (CAS s -> s | STARVING, once the wait
 *             exceeds STARVE_NS: any time, here), or weft__wait(word, s,
 *             deadline), then s = load.
 *   release: fast CAS LOCKED -> 0; else loop: HANDOFF: free it (clear LOCKED,
 *     HANDOFF), wake all; STARVING: set HANDOFF (stays LOCKED), wake all;
 *     else clear LOCKED, wake one if waiters. CAS, then wake.
 * 3 threads x 1 acquire/release (2 rounds: 12M states, too slow for CI);
 * thread 2 acquires with a timeout; spurious returns allowed.
 * Checked: mutual exclusion; HANDOFF implies LOCKED and STARVING; at most one
 * starver; nobody asleep at the end; the word is 0 at the end.
 * Broken variants (-DBUGGY=n):
 *   1  a starver whose deadline passes leaves without clearing STARVING: no
 *      one may take the lock any more.
 *   2  release in starvation mode wakes one sleeper instead of all: it may not
 *      be the starver.
 *   3  release wakes before its CAS (wake before the state change).
 *   4  the wait contract broken: value check and sleep not atomic.
 */
#if BUGGY == 4
#define NONATOMIC_WAIT
#endif
#include "common.pml"

#define ROUNDS 1
#define LOCKED 1
#define HANDOFF 2
#define STARVING 4
#define W1 8
#define WORD 0

byte lk = 0;
byte in_cs = 0;
byte starvers = 0;
#define CLAIM 0
#define TAKE 1
#define LEAVE 2
#define SLEEP 3
#define FREE_FOR_US (!(s & LOCKED) && (starver || !(s & STARVING)))

/* CAS(lk, s -> want): on failure s = current value */
#define CAS(ok, want) \
  atomic { if :: lk == s -> lk = want; ok = true :: else -> s = lk; ok = false fi }

active [NPROC] proctype T() {
  byte s, want, r = 0, wake, act;
  bool ok, starver, timed_out, to;
  do
  :: r < ROUNDS ->
     /* weft_lock_acquire fast path */
     s = 0; CAS(ok, LOCKED);
     if
     :: ok -> goto locked
     :: else
     fi;
     /* acquire_slow: try_take (the spin loop is more of the same) */
     atomic { s = lk; if :: (s & (LOCKED | STARVING)) == 0 -> lk = s | LOCKED; ok = true :: else -> ok = false fi };
     if :: ok -> goto locked :: else fi;
     if :: _pid == 2 -> if :: goto next :: skip fi :: else fi;   /* deadline already passed */
     atomic { lk = lk + W1; s = lk };
     starver = false; timed_out = false;
     do
     :: true ->
        /* pick the branch of acquire_slow's loop for this s */
        if
        :: starver && (s & HANDOFF) -> act = CLAIM
        :: else -> if :: FREE_FOR_US -> act = TAKE
                      :: else -> if :: timed_out -> act = LEAVE :: else -> act = SLEEP fi fi
        fi;
        if
        :: act == CLAIM ->
           want = (s & ~(HANDOFF | STARVING)) - W1;
           atomic { CAS(ok, want); if :: ok -> starver = false; starvers-- :: else fi };
           if :: ok -> goto locked :: else fi
        :: act == TAKE ->
           if :: starver -> want = ((s | LOCKED) & ~STARVING) - W1 :: else -> want = (s | LOCKED) - W1 fi;
           atomic { CAS(ok, want); if :: ok && starver -> starver = false; starvers-- :: else fi };
           if :: ok -> goto locked :: else fi
        :: act == LEAVE ->
#if BUGGY == 1
           want = s - W1;
#else
           if :: starver -> want = (s & ~STARVING) - W1 :: else -> want = s - W1 fi;
#endif
           atomic { CAS(ok, want); if :: ok && starver -> starver = false; starvers-- :: else fi };
           if :: ok -> goto next :: else fi
        :: act == SLEEP ->
           if
           :: !starver && !(s & STARVING) ->        /* waited > STARVE_NS */
              atomic {
                CAS(ok, s | STARVING);
                if :: ok -> starver = true; starvers++; assert(starvers == 1); s = s | STARVING :: else fi
              }
           :: true ->
              if
              :: _pid == 2 -> fwait_timed(lk, WORD, s, to); timed_out = to
              :: else -> fwait(lk, WORD, s)
              fi;
              s = lk
           fi
        fi
     od;
locked:
     in_cs++; assert(in_cs == 1);
     assert((lk & LOCKED) != 0);
     in_cs--;
     /* weft_lock_release */
     s = LOCKED; CAS(ok, 0);
     if
     :: !ok ->
        do
        :: true ->
           assert(s & LOCKED);
           if
           :: s & HANDOFF -> want = s & ~(LOCKED | HANDOFF); wake = ALL
           :: !(s & HANDOFF) && (s & STARVING) -> want = s | HANDOFF;
#if BUGGY == 2
              wake = 1
#else
              wake = ALL
#endif
           :: !(s & HANDOFF) && !(s & STARVING) -> want = s & ~LOCKED;
              if :: s / W1 > 0 -> wake = 1 :: else -> wake = 0 fi
           fi;
#if BUGGY == 3
           if :: wake > 0 -> fwake(WORD, wake) :: else fi;
#endif
           CAS(ok, want);
           if
           :: ok ->
#if BUGGY != 3
              if :: wake > 0 -> fwake(WORD, wake) :: else fi;
#endif
              break
           :: else
           fi
        od
     :: else
     fi;
next:
     r++
  :: else -> break
  od
}

active proctype Check() {
end:
  do
  :: atomic { (lk & HANDOFF) && !((lk & LOCKED) && (lk & STARVING)) -> assert(false) }
  :: atomic { timeout -> assert(lk == 0) }; break
  od
}
