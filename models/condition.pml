/* models/condition.pml: weft_condition (src/condition.c): per-waiter wake tokens.
 * BUGGY-VARIANTS: 1 2 3 4
 *
 * Each wait puts a node (on the waiter's stack) with its own token word at the
 * tail of a FIFO guarded by the condition's lock, releases the lock, and sleeps on
 * its token until the token is set or its deadline passes; it then retakes the
 * lock. notify(n), with the lock held, unlinks up to n nodes from the head, sets
 * each node's token (store-release) and wakes that word. Back under the lock a
 * waiter whose token is set returns WEFT_OK (notified, even if its deadline also
 * passed: it "counts as notified"); otherwise it unlinks its own node and returns
 * WEFT_ETIMEDOUT. The node stays valid until the waiter retakes the lock, which
 * the notifier holds while it touches the node.
 * Threads: W0 waits forever in a predicate loop, W1 waits once with a timeout,
 * N does notify(1), then sets the predicate and notify_all. Spurious returns of
 * the token wait are allowed.
 * Checked: the number of waits that return WEFT_OK equals the number of waiters
 * notify/notify_all took off the list (notify(n) wakes exactly min(n, waiters),
 * a timed-out waiter is either removed or notified, never both, never neither);
 * no waiter sleeps forever (invalid end state).
 * Broken variants (-DBUGGY=n):
 *   1  a timed-out waiter does not look at its token: returns ETIMEDOUT though a
 *      notify counted it (the notify is lost).
 *   2  the wait contract broken: token check and sleep not atomic.
 *   3  notify wakes the token word before setting the token.
 *   4  missing re-check: any return from the token wait counts as notified.
 */
#if BUGGY == 2
#define NONATOMIC_WAIT
#endif
#include "common.pml"

#define OK 0
#define TIMEDOUT 1

byte token[NPROC];          /* each waiter's wake token (futex word id = pid + 1) */
byte wq[2];                 /* FIFO of waiting pids */
byte wlen = 0;
bool flag = false;          /* W0's predicate */
byte ok_count = 0;          /* waits that returned WEFT_OK */
byte notified = 0;          /* nodes taken off the list by notify */
byte done = 0;

inline enqueue(p) { wq[wlen] = p; wlen++ }
inline pop_front(p) { p = wq[0]; wq[0] = wq[1]; wq[1] = 0; wlen-- }
inline remove_self() {
  if
  :: wlen > 0 && wq[0] == _pid -> wq[0] = wq[1]; wq[1] = 0; wlen--
  :: wlen > 1 && wq[1] == _pid -> wq[1] = 0; wlen--
  :: else -> assert(false)     /* a not-notified waiter must still be listed */
  fi
}

/* weft_condition_wait, lock held; rc = OK / TIMEDOUT */
inline cond_wait(timed, rc) {
  token[_pid] = 0; enqueue(_pid);          /* C1 enqueue */
  munlock();                               /* C2 release (release_save) */
  do                                       /* C3 sleep on the token */
  :: token[_pid] != 0 -> break
  :: else ->
     if
     :: timed -> fwait_timed(token[_pid], _pid + 1, 0, to)
     :: else -> fwait(token[_pid], _pid + 1, 0); to = false
     fi;
#if BUGGY == 4
     break;
#endif
     if :: to -> break :: else fi
  od;
  mlock();                                 /* C4 retake (acquire_restore) */
#if BUGGY == 1
  if
  :: to -> remove_self(); rc = TIMEDOUT
  :: else -> rc = OK
  fi;
#elif BUGGY == 4
  rc = OK;
#else
  if                                       /* C5 notified, or remove self */
  :: token[_pid] != 0 -> rc = OK
  :: else -> remove_self(); rc = TIMEDOUT
  fi;
#endif
  if :: rc == OK -> ok_count++ :: else fi
}

/* weft_condition_notify(n), lock held */
inline cond_notify(n) {
  k = 0;
  do
  :: k < n && wlen > 0 ->
     pop_front(p);                         /* N1 unlink */
     notified++;
#if BUGGY == 3
     fwake(p + 1, 1); token[p] = 1;
#else
     token[p] = 1;                         /* N2 set token (release) */
     fwake(p + 1, 1);                      /* N3 wake that waiter */
#endif
     k++
  :: else -> break
  od
}

active proctype W0() {
  bool to; byte rc;
  mlock();
  do
  :: !flag -> cond_wait(false, rc)
  :: else -> break
  od;
  munlock();
  done++
}

active proctype W1() {
  bool to; byte rc;
  mlock();
  cond_wait(true, rc);
  munlock();
  done++
}

active proctype N() {
  byte k, p;
  mlock(); cond_notify(1); munlock();
  mlock(); flag = true; cond_notify(ALL); munlock();
  done++
}

active proctype Check() {
  done == 3;
  assert(ok_count == notified);
  assert(wlen == 0)
}
