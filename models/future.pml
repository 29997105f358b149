/* models/future.pml: weft_future (src/future.c): the concurrent.futures.Future
 * state machine, with cancel, callbacks and a waiting result().
 * BUGGY-VARIANTS: 1 2 3 4
 *
 * States: PENDING 0, RUNNING 1, CANCELLED 2, CANCELLED_AND_NOTIFIED 3,
 * FINISHED 4, under the future's lock with one Condition:
 *   set_running_or_notify_cancel (executor, before running the task):
 *     CANCELLED -> CANCELLED_AND_NOTIFIED, return false; PENDING -> RUNNING,
 *     return true (any other state is misuse: WEFT_ESTATE).
 *   set_result: CANCELLED, CANCELLED_AND_NOTIFIED or FINISHED: WEFT_ESTATE
 *     (InvalidStateError), nothing changes; else store the result, FINISHED,
 *     notify_all; then, outside the lock, call each callback once.
 *   cancel: RUNNING or FINISHED: false; already cancelled: true; else
 *     CANCELLED, notify_all; outside the lock call each callback; true.
 *   add_done_callback: not done: append under the lock; done: call it now.
 *   result: while not done: wait; CANCELLED*: WEFT_ECANCELLED; else the result.
 * Threads: W (either the executor's worker: set_running_or_notify_cancel, then
 * the task's set_result; or a caller completing the future directly with
 * set_result), X (cancel at any moment), Cl (add_done_callback, then a
 * blocking result()). Spurious returns of the condition wait are allowed.
 * Checked: every transition is one the table allows (assert); the callback runs
 * exactly once; cancel() returned true iff the future ended cancelled;
 * set_running_or_notify_cancel returned false iff it was cancelled; result()
 * reports the final state; nobody sleeps forever.
 * Broken variants (-DBUGGY=n):
 *   1  add_done_callback reads the state, unlocks, then appends: a callback
 *      added while the future completes is never called.
 *   2  cancel does not notify: a thread in result() sleeps forever.
 *   3  set_result does not check for a cancelled future: CANCELLED -> FINISHED
 *      and the callback runs twice.
 *   4  set_result calls the callbacks before publishing FINISHED.
 */
#include "common.pml"

#define PENDING 0
#define RUNNING 1
#define CANCELLED 2
#define CANCELLED_AND_NOTIFIED 3
#define FINISHED 4
#define DONE(s) ((s) >= CANCELLED)
#define COND 0

byte state = PENDING;
bool cb_registered = false;
byte cb_calls = 0;
byte result_value = 0;
/* ghosts */
bool cancel_rc = false, running_rc = false, have_running_rc = false;
byte result_seen = 255;         /* what result() reported: the final state class */
byte ended = 0;

inline invoke_callbacks() {
  if :: cb_registered -> cb_calls++ :: else fi
}

inline set_result() {
  mlock();
  if
#if BUGGY != 3
  :: DONE(state) -> munlock()                    /* WEFT_ESTATE */
#endif
  :: else ->
#if BUGGY != 3
     assert(state == PENDING || state == RUNNING);
#endif
     result_value = 42;
#if BUGGY == 4
     munlock(); invoke_callbacks(); mlock();
     state = FINISHED; cnotify_all(COND); munlock()
#else
     state = FINISHED; cnotify_all(COND); munlock();
     invoke_callbacks()
#endif
  fi
}

active proctype W() {
  bool ok = false;
  if
  :: /* the executor's worker: set_running_or_notify_cancel, run, set_result */
     mlock();
     if
     :: state == CANCELLED -> state = CANCELLED_AND_NOTIFIED; ok = false
     :: state == PENDING -> state = RUNNING; ok = true
     :: else -> assert(false)
     fi;
     munlock();
     running_rc = ok; have_running_rc = true;
     if :: ok -> set_result() :: else fi
  :: /* a future the caller completes itself (no executor) */
     set_result()
  fi;
  ended++
}

active proctype X() {
  bool rc;
  mlock();
  if
  :: state == RUNNING || state == FINISHED -> rc = false; munlock()
  :: state == CANCELLED || state == CANCELLED_AND_NOTIFIED -> rc = true; munlock()
  :: state == PENDING ->
     state = CANCELLED;
#if BUGGY != 2
     cnotify_all(COND);
#endif
     munlock();
     invoke_callbacks();
     rc = true
  fi;
  cancel_rc = rc;
  ended++
}

active proctype Cl() {
  bool d;
  /* add_done_callback */
  mlock();
#if BUGGY == 1
  d = DONE(state); munlock();
  if :: !d -> cb_registered = true :: else -> cb_calls++ fi;
#else
  if
  :: !DONE(state) -> cb_registered = true; munlock()
  :: else -> munlock(); cb_calls++
  fi;
#endif
  /* result(), blocking */
  mlock();
  do
  :: !DONE(state) -> cwait(COND)
  :: else -> break
  od;
  if
  :: state == FINISHED -> assert(result_value == 42); result_seen = FINISHED
  :: else -> result_seen = CANCELLED
  fi;
  munlock();
  ended++
}

active proctype Check() {
  ended == 3;
  assert(cb_calls == 1);
  assert(DONE(state));
  assert(cancel_rc == (state == CANCELLED || state == CANCELLED_AND_NOTIFIED));
  assert(!have_running_rc || running_rc == (state == RUNNING || state == FINISHED));
  assert(result_seen == FINISHED && state == FINISHED ||
         result_seen == CANCELLED && state != FINISHED)
}
