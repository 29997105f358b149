/* models/common.pml: the wait/wake contract of src/internal/wait.h in Promela,
 * shared by every model (models/README.md). Sequential consistency only: spin
 * checks the protocol's interleavings, TSan checks the memory orders.
 *
 * fwait(var, id, val)           weft__wait(&var, val, WEFT__NS_FOREVER): if var == val
 *                               (checked atomically with the sleep) sleep on word id
 *                               until a fwake(id, ..) picks this thread; may also
 *                               return spuriously (at most SPUR times per run, so a
 *                               lost wakeup still shows as a sleeper at the end).
 * fwait_timed(var, id, val, to) the same with a deadline: may also return with
 *                               to = true (WEFT_ETIMEDOUT) at any time while asleep.
 * fwake(id, n)                  weft__wake(&word, n): wake n = 1 (any one sleeper,
 *                               chosen nondeterministically) or n = ALL.
 * A thread left asleep when every other thread has ended is a lost wakeup: spin
 * reports it as an invalid end state.
 *
 * For the composite objects (Queue, Future), which are written over weft's
 * Lock and Condition, a monitor: mlock()/munlock() on the bit m, and
 * cwait(c)/cwait_timed(c, to)/cnotify(c)/cnotify_all(c) on condition c (the
 * Condition of models/condition.pml, proved separately).
 */
#ifndef NPROC
#define NPROC 3
#endif
#ifndef SPUR
#define SPUR 1
#endif
#ifndef NCOND
#define NCOND 1
#endif
#define ALL 255

bool asleep[NPROC];
byte sleep_on[NPROC];
byte spur = SPUR;           /* spurious wakeups left */
hidden byte wi, wn;         /* scratch of fwake (always 0 between steps) */


inline fwait_sleep(var, id, val) {
#ifdef NONATOMIC_WAIT
  /* BROKEN backend (a model's BUGGY variant): the value check and the sleep are
   * two steps, so a wake that falls between them is lost. */
  if
  :: (var) == (val) -> atomic { sleep_on[_pid] = id; asleep[_pid] = true }
  :: else
  fi
#else
  atomic { if :: (var) == (val) -> sleep_on[_pid] = id; asleep[_pid] = true :: else fi }
#endif
}

inline fwait(var, id, val) {
  fwait_sleep(var, id, val);
  if
  :: !asleep[_pid]
  :: atomic { asleep[_pid] && spur > 0 -> spur--; asleep[_pid] = false }
  fi
}

inline fwait_timed(var, id, val, to) {
  to = false;
  fwait_sleep(var, id, val);
  if
  :: !asleep[_pid]
  :: atomic { asleep[_pid] && spur > 0 -> spur--; asleep[_pid] = false }
  :: atomic { asleep[_pid] -> asleep[_pid] = false; to = true }
  fi
}

inline fwake(id, n) {
  atomic {
    if
    :: n == 1 ->
       if
       :: asleep[0] && sleep_on[0] == id -> asleep[0] = false
       :: asleep[1] && sleep_on[1] == id -> asleep[1] = false
       :: asleep[2] && sleep_on[2] == id -> asleep[2] = false
       :: else
       fi
    :: else ->
       wi = 0;
       do
       :: wi < NPROC -> if :: asleep[wi] && sleep_on[wi] == id -> asleep[wi] = false :: else fi; wi++
       :: else -> break
       od;
       wi = 0
    fi
  }
}

/* ---- monitor for the composite objects ------------------------------------ */
bit m = 0;
bool cwaiting[NCOND * NPROC];

inline mlock()   { atomic { m == 0 -> m = 1 } }
inline munlock() { assert(m == 1); m = 0 }

/* Condition.wait with m held: enqueue and release m atomically, sleep, retake m. */
inline cwait(c) {
  atomic { assert(m == 1); cwaiting[c * NPROC + _pid] = true; m = 0 };
  if
  :: !cwaiting[c * NPROC + _pid]
  :: atomic { cwaiting[c * NPROC + _pid] && spur > 0 -> spur--; cwaiting[c * NPROC + _pid] = false }
  fi;
  mlock()
}

inline cwait_timed(c, to) {
  to = false;
  atomic { assert(m == 1); cwaiting[c * NPROC + _pid] = true; m = 0 };
  if
  :: !cwaiting[c * NPROC + _pid]
  :: atomic { cwaiting[c * NPROC + _pid] -> cwaiting[c * NPROC + _pid] = false; to = true }
  fi;
  mlock()
}

inline cnotify(c) {
  atomic {
    assert(m == 1);
    if
    :: cwaiting[c * NPROC + 0] -> cwaiting[c * NPROC + 0] = false
    :: cwaiting[c * NPROC + 1] -> cwaiting[c * NPROC + 1] = false
    :: cwaiting[c * NPROC + 2] -> cwaiting[c * NPROC + 2] = false
    :: else
    fi
  }
}

inline cnotify_all(c) {
  atomic {
    assert(m == 1);
    cwaiting[c * NPROC + 0] = false; cwaiting[c * NPROC + 1] = false; cwaiting[c * NPROC + 2] = false
  }
}
