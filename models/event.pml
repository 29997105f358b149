/* models/event.pml: weft_event (src/event.c): flag plus generation counter.
 * BUGGY-VARIANTS: 1 2 3
 *
 * One futex word: gen * 2 + flag.
 *   set:   if the flag is clear: word = (gen + 1) * 2 + 1 (a new generation),
 *          then weft__wake(word, ALL). Setting a set event changes nothing.
 *   clear: word = gen * 2 (flag cleared, generation kept).
 *   wait:  w = word; if flag(w): return true. Loop: weft__wait(word, w, deadline);
 *          w2 = word; if flag(w2) or gen(w2) != gen(w): return true (a set
 *          happened while we waited, even if a clear followed: CPython's
 *          test_set_and_clear, gh-57711); on WEFT_ETIMEDOUT return false;
 *          else w = w2 and wait again.
 * Threads: A waits forever; S waits until A is asleep (the test's WAIT_UNTIL),
 * then set() and clear() at once, so A must learn of the set from the
 * generation alone; B waits with a timeout at any moment. Spurious returns allowed.
 * Checked: A returns true and never sleeps forever (invalid end state); a wait
 * that returns true saw a set (assert).
 * Broken variants (-DBUGGY=n):
 *   1  a woken waiter re-checks only the flag, not the generation: after
 *      set+clear it sleeps forever.
 *   2  set wakes the waiters before storing the new word.
 *   3  the wait contract broken: value check and sleep not atomic.
 */
#if BUGGY == 3
#define NONATOMIC_WAIT
#endif
#include "common.pml"

#define EV 0
#define FLAG(w) ((w) % 2)
#define GEN(w)  ((w) / 2)

byte word = 0;
byte sets = 0;             /* ghost: number of set() calls that set the flag */

inline ev_wait(timed, res) {
  w = word;                                     /* E1 load */
  if
  :: FLAG(w) -> res = true
  :: else ->
     do
     :: true ->
        if                                      /* E2 sleep */
        :: timed -> fwait_timed(word, EV, w, to)
        :: else -> fwait(word, EV, w); to = false
        fi;
        w2 = word;                              /* E3 re-check */
#if BUGGY == 1
        if :: FLAG(w2) -> res = true; break :: else fi;
#else
        if :: FLAG(w2) || GEN(w2) != GEN(w) -> res = true; break :: else fi;
#endif
        if :: to -> res = false; break :: else fi;
        w = w2
     od
  fi;
  if :: res -> assert(sets > 0) :: else fi
}

inline ev_set() {
  atomic { w = word; if :: FLAG(w) -> skip :: else -> sets++ fi };
  if
  :: !FLAG(w) ->
#if BUGGY == 2
     fwake(EV, ALL); word = (GEN(w) + 1) * 2 + 1
#else
     word = (GEN(w) + 1) * 2 + 1;               /* V1 new generation, flag */
     fwake(EV, ALL)                             /* V2 wake all */
#endif
  :: else
  fi
}

inline ev_clear() {
  word = GEN(word) * 2                          /* X1 flag cleared, gen kept */
}

active proctype A() {
  byte w, w2; bool to, res;
  ev_wait(false, res);
  assert(res)
}

active proctype B() {
  byte w, w2; bool to, res;
  ev_wait(true, res)
}

active proctype S() {
  byte w;
  asleep[0] && sleep_on[0] == EV;               /* A is asleep (handshake) */
  ev_set();
  ev_clear()
}
