/* models/barrier.pml: weft_barrier (src/barrier.c): CPython's Barrier protocol
 * with abort, reset and timeout.
 * BUGGY-VARIANTS: 1 2 3 4
 *
 * State (under the barrier's internal lock): FILLING 0, DRAINING 1, RESETTING 2,
 * BROKEN 3; count = threads inside wait. Waiting is on a sequence word: a
 * waiter samples seq under the lock, unlocks, weft__wait(seq, s); every state
 * change that can end a wait does seq++ and weft__wake(seq, ALL) under the lock.
 *   wait:  enter: while DRAINING or RESETTING: wait (forever).
 *          BROKEN: return WEFT_EBROKEN. index = count++.
 *          last party (count == parties): release: run the action, DRAINING,
 *          notify all, return index.
 *          else wait_for(state != FILLING, timeout); still FILLING (timed out):
 *          break (BROKEN, notify all), WEFT_EBROKEN; BROKEN or RESETTING:
 *          WEFT_EBROKEN; DRAINING: index.
 *          exit (every path after index = count++): count--; if count == 0 and
 *          DRAINING or RESETTING: FILLING, notify all.
 *   abort: BROKEN, notify all.
 *   reset: count > 0: FILLING or BROKEN -> RESETTING (DRAINING unchanged);
 *          count == 0: FILLING; notify all.
 * Threads (parties = 2): A and B wait twice, C waits once, aborts, or resets.
 * Every wait has a timeout (so no run can hang legitimately); lost wakeups are
 * caught by the monitor instead: a thread asleep on seq after a notify-all that
 * came after it released the lock.
 * Checked: a party whose cycle was released returns its index unless an abort,
 * reset or break came after the release; after a break no wait succeeds until
 * a reset; nobody sleeps forever; the monitor invariant.
 * Broken variants (-DBUGGY=n):
 *   1  the waiter samples seq after releasing the lock (lost wakeup).
 *   2  exit does not notify when the barrier returns to FILLING: a thread
 *      blocked in enter (arrived while DRAINING) sleeps forever.
 *   3  missing re-check: any return from the wait counts as "released".
 *   4  a timed-out party does not break the barrier (returns EBROKEN alone).
 */
#include "common.pml"

#define PARTIES 2
#define FILLING 0
#define DRAINING 1
#define RESETTING 2
#define BROKEN 3
#define SEQ 0
#define EBROKEN 255

byte state = FILLING;
byte count = 0;
byte seq = 0;
/* ghosts */
byte notes = 0;                 /* notify-alls done */
byte committed[NPROC];          /* notes when the thread released the lock to wait */
byte releases = 0, rel_epoch = 0, epoch = 0, actions = 0;
bool broken_since_reset = false;

inline notify_all() {
  seq++;
  atomic { fwake(SEQ, ALL); notes++ }
}

inline cv_wait(timed, to) {
#if BUGGY == 1
  committed[_pid] = notes; munlock(); s = seq;
#else
  committed[_pid] = notes; s = seq; munlock();
#endif
  if
  :: timed -> fwait_timed(seq, SEQ, s, to)
  :: else -> fwait(seq, SEQ, s); to = false
  fi;
  mlock()
}

inline barrier_wait(rc) {
  mlock();
  do                                             /* B1 enter */
  :: state == DRAINING || state == RESETTING -> cv_wait(false, to)
  :: else -> break
  od;
  if
  :: state == BROKEN -> rc = EBROKEN; munlock()
  :: else ->
     index = count; count++;
     arr_rel = releases;
     if
     :: count == PARTIES ->                      /* B2 release */
        actions++; state = DRAINING;
        releases++; rel_epoch = epoch;
        notify_all(); rc = index
     :: else ->                                  /* B3 wait_for(state != FILLING) */
        to = false;
        do
        :: state != FILLING -> break
        :: else ->
           if :: to -> break :: else fi;
           cv_wait(true, to)
#if BUGGY == 3
           ; break
#endif
        od;
        if
        :: state == FILLING ->
#if BUGGY == 3
           if
           :: !to -> rc = index
           :: else ->
#endif
           epoch++; broken_since_reset = true;
#if BUGGY != 4
           state = BROKEN; notify_all();         /* B4 break */
#endif
           rc = EBROKEN
#if BUGGY == 3
           fi
#endif
        :: state == BROKEN || state == RESETTING -> rc = EBROKEN
        :: else -> rc = index
        fi
     fi;
     /* checks, under the lock */
     if
     :: rc != EBROKEN ->
        assert(rc < PARTIES);
        assert(releases > arr_rel);              /* its cycle was released */
        assert(!broken_since_reset)
     :: else ->
        assert(!(releases > arr_rel && rel_epoch == epoch))
     fi;
     count--;                                    /* B5 exit */
     if
     :: count == 0 && (state == DRAINING || state == RESETTING) ->
        state = FILLING
#if BUGGY != 2
        ; notify_all()
#endif
     :: else
     fi;
     munlock()
  fi
}

inline barrier_abort() {
  mlock(); state = BROKEN; epoch++; notify_all(); munlock()
}

inline barrier_reset() {
  mlock();
  if
  :: count > 0 -> if :: state == FILLING || state == BROKEN -> state = RESETTING :: else fi
  :: else -> state = FILLING
  fi;
  epoch++; broken_since_reset = false;
  notify_all(); munlock()
}

active [2] proctype AB() {
  byte rc, index, s, arr_rel, r = 0; bool to;
  do
  :: r < 2 -> barrier_wait(rc); r++
  :: else -> break
  od
}

active proctype C() {
  byte rc, index, s, arr_rel; bool to;
  if
  :: barrier_wait(rc)
  :: barrier_abort()
  :: barrier_reset()
  fi
}

active proctype Monitor() {
end:
  do
  :: atomic {
       (asleep[0] && committed[0] != notes) || (asleep[1] && committed[1] != notes) ||
       (asleep[2] && committed[2] != notes) -> assert(false)
     }
  od
}
