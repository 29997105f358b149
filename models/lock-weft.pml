/* models/lock-weft.pml: weft_lock as implemented in src/lock.c (waiter count,
 * woken flag, starvation mode with handoff), on the wait/wake contract.
 * BUGGY-VARIANTS: 1 2 3 4 5 6 7
 *
 * (models/lock.pml is the plain 0/1/2 futex lock the contract was designed for;
 * this model follows lock.c's acquire_slow and release branch by branch.)
 * State word, as in lock.c: LOCKED 1, HANDOFF 2, STARVING 4, WOKEN 8,
 * waiters * 16 (W1). The holder id (a separate field, debug only, read by
 * nobody in the protocol) is not modelled.
 *   acquire: fast CAS 0 -> LOCKED. acquire_slow: try_take (free and not
 *     STARVING: CAS s -> s | LOCKED; the spin loop is more of the same); a timed
 *     acquire whose deadline passed returns ETIMEDOUT; fetch_add(W1); loop on s,
 *     with mine = WOKEN | (STARVING if we are the starver):
 *       starver and HANDOFF:   claim: CAS -> (s & ~(HANDOFF | mine)) - W1
 *       free and (starver or not STARVING):
 *                              take: CAS -> ((s | LOCKED) & ~mine) - W1
 *       timed out:             leave: CAS -> (s & ~mine) - W1, WEFT_ETIMEDOUT
 *       else: want = s & ~WOKEN, plus STARVING if we become the starver (once
 *             the wait exceeds STARVE_NS: any time, here); CAS if want != s
 *             (on failure re-decide), then weft__wait(word, want), s = load.
 *   release: fast CAS LOCKED -> 0; else loop: HANDOFF (only a release by a
 *     thread other than the starver, not modelled here): clear LOCKED, wake
 *     nobody; STARVING: set HANDOFF (stays LOCKED), wake all; waiters and no
 *     WOKEN: clear LOCKED, set WOKEN, wake one; else clear LOCKED, wake nobody.
 *     CAS, then wake.
 * 3 threads x 1 acquire/release (2 rounds: too slow for CI); thread 2
 * acquires with a timeout; spurious returns allowed.
 * Checked: mutual exclusion; HANDOFF implies LOCKED and STARVING; at most one
 * starver; nobody asleep at the end (no lost wakeup: WOKEN never stays set
 * with every waiter asleep); the word is 0 at the end.
 * Broken variants (-DBUGGY=n):
 *   1  a starver whose deadline passes leaves without clearing STARVING: no
 *      one may take the lock any more.
 *   2  release in starvation mode wakes one sleeper instead of all: it may not
 *      be the starver.
 *   3  release wakes before its CAS (wake before the state change).
 *   4  the wait contract broken: value check and sleep not atomic.
 *   5  a waiter goes to sleep without clearing WOKEN: releases keep waking
 *      nobody while every waiter sleeps.
 *   6  a waiter that times out leaves without clearing WOKEN.
 *   7  release wakes nobody when waiters are counted and WOKEN is clear.
 */
#if BUGGY == 4
#define NONATOMIC_WAIT
#endif
#include "common.pml"

#define ROUNDS 1
#define LOCKED 1
#define HANDOFF 2
#define STARVING 4
#define WOKEN 8
#define W1 16
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
  byte s, want, mine, r = 0, wake, act;
  bool ok, starver, timed_out, to, wake_after;
  do
  :: r < ROUNDS ->
     /* weft_lock_acquire fast path */
     s = 0; CAS(ok, LOCKED);
     if
     :: ok -> goto locked
     :: else
     fi;
     /* acquire_slow: try_take */
     atomic { s = lk; if :: (s & (LOCKED | STARVING)) == 0 -> lk = s | LOCKED; ok = true :: else -> ok = false fi };
     if :: ok -> goto locked :: else fi;
     if :: _pid == 2 -> if :: goto next :: skip fi :: else fi;   /* deadline already passed */
     atomic { lk = lk + W1; s = lk };
     starver = false; timed_out = false;
     do
     :: true ->
        if :: starver -> mine = WOKEN | STARVING :: else -> mine = WOKEN fi;
#if BUGGY == 6
        if :: timed_out -> mine = mine & ~WOKEN :: else fi;
#endif
        /* pick the branch of acquire_slow's loop for this s */
        if
        :: starver && (s & HANDOFF) -> act = CLAIM
        :: else -> if :: FREE_FOR_US -> act = TAKE
                      :: else -> if :: timed_out -> act = LEAVE :: else -> act = SLEEP fi fi
        fi;
        if
        :: act == CLAIM ->
           want = (s & ~(HANDOFF | mine)) - W1;
           wake_after = false;
           if :: !(s & LOCKED) && want / W1 > 0 -> want = want | WOKEN; wake_after = true :: else fi;
           atomic { CAS(ok, want); if :: ok -> starver = false; starvers-- :: else fi };
           if
           :: ok -> if :: wake_after -> fwake(WORD, 1) :: else fi;
                    if :: (want & LOCKED) -> goto locked :: else -> goto next fi
           :: else
           fi
        :: act == TAKE ->
           want = ((s | LOCKED) & ~mine) - W1;
           atomic { CAS(ok, want); if :: ok && starver -> starver = false; starvers-- :: else fi };
           if :: ok -> goto locked :: else fi
        :: act == LEAVE ->
#if BUGGY == 1
           want = (s & ~WOKEN) - W1;
#else
           want = (s & ~mine) - W1;
#endif
           atomic { CAS(ok, want); if :: ok && starver -> starver = false; starvers-- :: else fi };
           if :: ok -> goto next :: else fi
        :: act == SLEEP ->
#if BUGGY == 5
           want = s;
#else
           want = s & ~WOKEN;
#endif
           if
           :: !starver && !(s & STARVING) -> want = want | STARVING   /* waited > STARVE_NS */
           :: true
           fi;
           ok = true;
           if
           :: want != s ->
              atomic {
                CAS(ok, want);
                if :: ok && (want & STARVING) && !(s & STARVING) -> starver = true; starvers++; assert(starvers == 1)
                   :: else fi
              };
              if :: ok -> s = want :: else fi
           :: else
           fi;
           if
           :: ok ->
              if
              :: _pid == 2 -> fwait_timed(lk, WORD, s, to); timed_out = timed_out || to
              :: else -> fwait(lk, WORD, s)
              fi;
              s = lk
           :: else   /* CAS failed: s is the current value, decide again */
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
           :: s & HANDOFF -> want = s & ~LOCKED; wake = 0
           :: !(s & HANDOFF) && (s & STARVING) -> want = s | HANDOFF;
#if BUGGY == 2
              wake = 1
#else
              wake = ALL
#endif
           :: !(s & HANDOFF) && !(s & STARVING) && s / W1 > 0 && !(s & WOKEN) ->
#if BUGGY == 7
              want = s & ~LOCKED; wake = 0
#else
              want = (s & ~LOCKED) | WOKEN; wake = 1
#endif
           :: !(s & HANDOFF) && !(s & STARVING) && (s / W1 == 0 || (s & WOKEN)) ->
              want = s & ~LOCKED; wake = 0
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
