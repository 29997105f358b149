/* models/lock-weft.pml: weft_lock as implemented in src/lock.c (LOCKED,
 * CONTENDED and STARVING bits, starvation mode), on the wait/wake contract.
 * BUGGY-VARIANTS: 1 2 3 4 5 7 8
 *
 * (models/lock.pml is the plain 0/1/2 futex lock the contract was designed for;
 * this model follows lock.c's acquire_slow and release branch by branch.)
 * State word, as in lock.c: LOCKED 1, CONTENDED 2 (some thread may sleep on
 * the word), STARVING 4. The holder id (a separate field, debug only, read by
 * nobody in the protocol) is not modelled.
 *   acquire: fast CAS 0 -> LOCKED. acquire_slow: s = load; try_take(s) (while
 *     s has neither LOCKED nor STARVING: CAS s -> s | LOCKED; it gets a copy of
 *     s, so the loop starts from the load); a timed acquire whose deadline
 *     passed returns ETIMEDOUT; then loop on s, with starver = 0, give_up = 0:
 *       TAKE        free and (starver or not STARVING): CAS s -> (s | LOCKED
 *                   | CONTENDED) & ~STARVING; on failure re-decide with the
 *                   fresh s.
 *       LEAVE       give_up: want = (s | CONTENDED) & ~(STARVING if starver);
 *                   if want == s or the CAS s -> want succeeds: WEFT_ETIMEDOUT,
 *                   else re-decide.
 *       MARK+SLEEP  want = s | CONTENDED, plus STARVING if not the starver, s
 *                   has no STARVING and the wait exceeded STARVE_NS (any time,
 *                   here); if want != s: CAS (on failure re-decide), starver = 1
 *                   if we set STARVING, s = want; weft__wait(word, s); an
 *                   ETIMEDOUT return sets give_up; then s = 0, a guess the
 *                   next TAKE's CAS corrects.
 *     A wait that returned at once may be followed by a nap (lock.c,
 *     "Backoff": after two in a row, a waiter that is not the starver sleeps
 *     20 us off the word before its next turn): a pause between two turns of
 *     the loop, which the interleavings here already include; not modelled.
 *     A timed waiter whose wait returned at once after its deadline leaves:
 *     thread 2 may set give_up after any return of its wait.
 *     Thread 2 may also give up after the mark without waiting (what the
 *     deadlock detector's WEFT_EDEADLK does in a wait without deadline:
 *     give_up, s = load), so one thread covers both ways of leaving.
 *   release: fast CAS LOCKED -> 0; else loop: s without LOCKED would be
 *     WEFT_EPERM (never here: every release follows an acquire); want = s &
 *     ~(LOCKED | CONTENDED); wake all if STARVING, else one if CONTENDED, else
 *     nobody; CAS, then wake.
 * 3 threads x 1 acquire/release; thread 2 acquires with a timeout (or gives
 * up as above); spurious returns allowed. Third-party release (Python lets
 * any thread release a held Lock): thread 0 may leave its lock held, and
 * thread 2, once its own acquire has ended (taken and released, timed out or
 * given up), releases it; the critical section lasts until that release.
 * -DROUNDS=2 (2 rounds each, no third-party release: -DTHIRD is 0 unless
 * ROUNDS is 1) is too slow for CI: 32.9M states, about 70 s with gcc -O2
 * -DCOLLAPSE, no error.
 * Checked: mutual exclusion; at most one starver; while STARVING is set nobody
 * but the starver takes the lock (so the starver is the next to take it);
 * STARVING is set exactly while its starver is in acquire (a ghost of who set
 * it); nobody asleep at the end (no lost wakeup: invalid end state); the word
 * is 0 at the end.
 * Broken variants (-DBUGGY=n):
 *   1  a starver whose deadline passes leaves without clearing STARVING: no
 *      one may take the lock any more.
 *   2  release in starvation mode wakes one sleeper instead of all: it may not
 *      be the starver.
 *   3  release wakes before its CAS (wake before the state change).
 *   4  the wait contract broken: value check and sleep not atomic.
 *   5  TAKE by a waiter sets LOCKED only, not CONTENDED: a release that
 *      cleared CONTENDED and woke it forgets the other sleepers.
 *   6  LEAVE does not set CONTENDED. NOT rejected (1 round or 2), and not a
 *      bug under the contract, so not on the BUGGY-VARIANTS line: after a
 *      release clears CONTENDED, the one thread it woke is counted on to mark
 *      the word again (if it woke nobody, every thread that had marked is
 *      awake and marks again before it sleeps). A woken weft__wait returns
 *      WEFT_OK, never ETIMEDOUT, so that thread has give_up clear, and it
 *      passes TAKE (which sets CONTENDED) or MARK+SLEEP (whose CAS sets it,
 *      or whose fresh s has it) before it can time out or give up. The bit in
 *      LEAVE is defence in depth: with -DWOKEN_TIMEOUT (a backend that may
 *      report a timeout to a wait a wake picked, which the contract forbids)
 *      and -DROUNDS=2, spin rejects variant 6 (3.8M states: thread 0 releases
 *      and wakes thread 2, which reports a timeout; thread 0 takes the lock
 *      again by the fast path, so the word is LOCKED without CONTENDED;
 *      thread 2 leaves without marking it; thread 0's fast release wakes
 *      nobody and thread 1 sleeps forever), and the correct model passes
 *      (32.9M states).
 *   7  release clears CONTENDED but wakes nobody.
 *   8  a newcomer's try_take ignores STARVING: it barges past the starver.
 */
#if BUGGY == 4
#define NONATOMIC_WAIT
#endif
#include "common.pml"

#ifndef ROUNDS
#define ROUNDS 1
#endif
#ifndef THIRD
#define THIRD (ROUNDS == 1)
#endif
#define LOCKED 1
#define CONTENDED 2
#define STARVING 4
#define WORD 0
#define NONE 255

byte lk = 0;
byte in_cs = 0;
byte starver_id = NONE;  /* ghost: the thread that set STARVING, until it takes or leaves */
byte hand = 0;           /* ghost: thread 0's lock: 0 not yet, 1 left for thread 2 to release, 2 released */

#if BUGGY == 8
#define BARGE_MASK LOCKED
#else
#define BARGE_MASK (LOCKED | STARVING)
#endif

/* CAS(lk, s -> want): on failure s = current value */
#define CAS(ok, want) \
  atomic { if :: lk == s -> lk = want; ok = true :: else -> s = lk; ok = false fi }

/* A CAS that takes the lock: nobody but the starver takes it while STARVING
 * is set; the starver's take ends its starvation. */
#define TAKE_CAS(ok, want) \
  atomic { if :: lk == s -> assert(!(lk & STARVING) || starver_id == _pid); lk = want; ok = true; \
                            if :: starver_id == _pid -> starver_id = NONE :: else fi \
              :: else -> s = lk; ok = false fi }

#ifdef WOKEN_TIMEOUT
/* A backend weaker than the contract: a wait that slept and was picked by a
 * wake may still report a timeout (only to show what variant 6 needs). */
#define WAIT_TIMED(to) \
  to = false; atomic { fwait_sleep(lk, WORD, s); slept = asleep[_pid] }; \
  if \
  :: !asleep[_pid] -> if :: slept -> to = true :: true fi \
  :: atomic { asleep[_pid] && spur > 0 -> spur--; asleep[_pid] = false } \
  :: atomic { asleep[_pid] -> asleep[_pid] = false; to = true } \
  fi; slept = false
#else
#define WAIT_TIMED(to) fwait_timed(lk, WORD, s, to)
#endif

/* release: fast CAS, else clear LOCKED and CONTENDED, then wake */
inline release() {
  s = LOCKED; CAS(ok, 0);
  if
  :: !ok ->
     do
     :: true ->
        assert(s & LOCKED);   /* WEFT_EPERM: never, every release follows an acquire */
        want = s & ~(LOCKED | CONTENDED);
        if
#if BUGGY == 2
        :: s & STARVING -> wake = 1
#else
        :: s & STARVING -> wake = ALL
#endif
#if BUGGY == 7
        :: !(s & STARVING) && (s & CONTENDED) -> wake = 0
#else
        :: !(s & STARVING) && (s & CONTENDED) -> wake = 1
#endif
        :: !(s & STARVING) && !(s & CONTENDED) -> wake = 0
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
  s = 0; want = 0; wake = 0; ok = false
}

active [NPROC] proctype T() {
  byte s, want, wake, r = 0;
  bool ok, starver, give_up, to;
#ifdef WOKEN_TIMEOUT
  bool slept;
#endif
  do
  :: r < ROUNDS ->
     /* weft_lock_acquire fast path */
     s = 0; TAKE_CAS(ok, LOCKED);
     if
     :: ok -> goto locked
     :: else
     fi;
     /* acquire_slow: load, try_take on a copy */
     s = lk;
     if
     :: !(s & BARGE_MASK) ->
        atomic { if :: !(lk & BARGE_MASK) -> assert(!(lk & STARVING) || starver_id == _pid);
                                            lk = lk | LOCKED; ok = true
                    :: else -> ok = false fi }
     :: else -> ok = false
     fi;
     if :: ok -> goto locked :: else fi;
     if :: _pid == 2 -> if :: goto next :: skip fi :: else fi;   /* deadline already passed */
     starver = false; give_up = false;
     do
     :: !(s & LOCKED) && (starver || !(s & STARVING)) ->
        /* TAKE */
#if BUGGY == 5
        want = (s | LOCKED) & ~STARVING;
#else
        want = (s | LOCKED | CONTENDED) & ~STARVING;
#endif
        TAKE_CAS(ok, want);
        if :: ok -> goto locked :: else fi   /* else s is fresh: re-decide */
     :: !(!(s & LOCKED) && (starver || !(s & STARVING))) && give_up ->
        /* LEAVE */
#if BUGGY == 6
        want = s;
#else
        want = s | CONTENDED;
#endif
#if BUGGY != 1
        if :: starver -> want = want & ~STARVING :: else fi;
#endif
        atomic {
          if
          :: want == s -> ok = true
          :: else -> CAS(ok, want)
          fi;
          if :: ok && starver -> assert(starver_id == _pid); starver_id = NONE :: else fi
        };
        if :: ok -> goto next :: else fi   /* else re-decide */
     :: !(!(s & LOCKED) && (starver || !(s & STARVING))) && !give_up ->
        /* MARK+SLEEP: mark, maybe become the starver, wait on what we wrote */
        want = s | CONTENDED;
        if
        :: !starver && !(s & STARVING) -> want = want | STARVING   /* waited > STARVE_NS */
        :: true
        fi;
        ok = true;
        if
        :: want != s ->
           atomic {
             CAS(ok, want);
             if :: ok && (want & STARVING) && !(s & STARVING) ->
                   starver = true; assert(starver_id == NONE); starver_id = _pid
                :: else fi
           };
           if :: ok -> s = want :: else fi
        :: else
        fi;
        if
        :: ok ->
           if
           :: _pid == 2 ->
              if
              :: WAIT_TIMED(to); give_up = to; to = false; s = 0
              :: WAIT_TIMED(to); give_up = true; to = false; s = 0
                 /* the wait returned (at once, woken or spuriously) with
                    the deadline passed: leave (lock.c, "Backoff") */
              :: give_up = true; s = lk        /* WEFT_EDEADLK before the wait */
              fi
           :: else -> fwait(lk, WORD, s); s = 0
           fi
        :: else   /* CAS failed: s is the current value, decide again */
        fi
     od;
locked:
     in_cs++; assert(in_cs == 1);
     assert((lk & LOCKED) != 0);
     s = 0; want = 0; ok = false; starver = false; give_up = false;
     if
     :: _pid == 0 && THIRD -> hand = 1; goto next   /* thread 2 releases it */
     :: true
     fi;
     if :: _pid == 0 -> hand = 2 :: else fi;
     in_cs--;
     release();
next:
     s = 0; want = 0; ok = false; starver = false; give_up = false;
     r++
  :: else -> break
  od;
  if
  :: _pid == 2 ->
     /* third-party release of thread 0's lock, if it left it held */
     hand != 0;
     if
     :: hand == 1 -> assert((lk & LOCKED) != 0); in_cs--; release(); hand = 2
     :: else
     fi
  :: else
  fi
}

active proctype Check() {
end:
  do
  :: atomic { ((lk & STARVING) != 0) != (starver_id != NONE) -> assert(false) }
  :: atomic { timeout -> assert(lk == 0) }; break
  od
}
