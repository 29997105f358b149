/* models/event.pml: weft_event (src/event.c): flag, waiters bit and generation
 * in one futex word.
 * BUGGY-VARIANTS: 1 2 3 4
 *
 * Word = gen * 4 + WAITERS (2) + SET (1), as in event.c.
 *   set:   one CAS: if SET is off: word = (gen + 1) * 4 + SET (WAITERS off);
 *          then, if the old word had WAITERS, weft__wake(word, ALL). A set event
 *          is left alone.
 *   clear: fetch_and(~SET): generation and WAITERS kept.
 *   wait:  w = word; SET: return true. g0 = gen(w). Loop: SET or gen != g0:
 *          true (a set happened while we waited, even if clear followed:
 *          gh-57711); the last wait timed out (and the re-read shows nothing):
 *          false; WAITERS off: CAS it on (on failure re-read); else
 *          weft__wait(word, w, deadline) and re-read.
 * Threads: A waits forever; S waits until A has read the word in wait (the
 * test's WAIT_UNTIL), then set() and clear() at once, so A must learn of the
 * set from the generation alone; B waits with a timeout at any moment. Spurious returns allowed.
 * Checked: A returns true and never sleeps forever (invalid end state); a wait
 * that returns true saw a set (assert).
 * Broken variants (-DBUGGY=n):
 *   1  a woken waiter re-checks only the flag, not the generation: after
 *      set+clear it sleeps forever.
 *   2  set is a load and a store instead of one CAS: a WAITERS bit added in
 *      between is overwritten and its sleeper never woken.
 *   3  a waiter sleeps without putting the WAITERS bit in: set does not wake it.
 *   4  the wait contract broken: value check and sleep not atomic.
 */
#if BUGGY == 4
#define NONATOMIC_WAIT
#endif
#include "common.pml"

#define EV 0
#define SET 1
#define WAITERS 2
#define FLAG(w) ((w) & SET)
#define GEN(w)  ((w) / 4)

byte word = 0;
byte sets = 0;             /* ghost: number of set() calls that set the flag */
bool started[NPROC];       /* ghost: the thread has read the word in wait */

#if BUGGY == 1
#define HAPPENED(w) (FLAG(w))
#else
#define HAPPENED(w) (FLAG(w) || GEN(w) != g0)
#endif

inline ev_wait(timed, res) {
  atomic { w = word; started[_pid] = true };   /* E1 load */
  to = false;
  if
  :: FLAG(w) -> res = true
  :: else ->
     g0 = GEN(w);
     y = 0;
     do                                         /* E0 yield phase: re-reads only */
     :: y < 2 && !HAPPENED(w) -> w = word; y++  /* (skipped, banned or cut short: */
     :: true -> break                           /*  any number of them, up to 2) */
     od;
     do
     :: HAPPENED(w) -> res = true; break        /* E3 set seen */
     :: !HAPPENED(w) && to -> res = false; break
     :: !HAPPENED(w) && !to && !(w & WAITERS) ->
#if BUGGY == 3
        w = w | WAITERS
#else
        atomic {                                /* E2 CAS WAITERS on */
          if
          :: word == w -> word = w | WAITERS; w = w | WAITERS
          :: else -> w = word
          fi
        }
#endif
     :: !HAPPENED(w) && !to && (w & WAITERS) ->
#if BUGGY == 3
        if
        :: timed -> fwait_timed(word, EV, w & ~WAITERS, to)
        :: else -> fwait(word, EV, w & ~WAITERS)
        fi;
#else
        if                                      /* E4 sleep on w */
        :: timed -> fwait_timed(word, EV, w, to)
        :: else -> fwait(word, EV, w)
        fi;
#endif
        w = word                                /* re-read */
     od
  fi;
  if :: res -> assert(sets > 0) :: else fi
}

inline ev_set() {
#if BUGGY == 2
  w = word;
  if
  :: !FLAG(w) -> atomic { word = (GEN(w) + 1) * 4 + SET; sets++ }
  :: else
  fi;
#else
  atomic {                                      /* V1 one CAS */
    w = word;
    if :: !FLAG(w) -> word = (GEN(w) + 1) * 4 + SET; sets++ :: else fi
  };
#endif
  if
  :: !FLAG(w) && (w & WAITERS) -> fwake(EV, ALL)   /* V2 wake if WAITERS was on */
  :: else
  fi
}

inline ev_clear() {
  word = word & ~SET                            /* X1 fetch_and */
}

active proctype A() {
  byte w, g0, y; bool to, res;
  ev_wait(false, res);
  assert(res)
}

active proctype B() {
  byte w, g0, y; bool to, res;
  ev_wait(true, res)
}

active proctype S() {
  byte w;
  started[0];                                   /* A is inside wait (handshake) */
  ev_set();
  ev_clear()
}
