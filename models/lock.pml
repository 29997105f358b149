/* models/lock.pml: weft_lock (src/lock.c) on the wait/wake contract.
 * BUGGY-VARIANTS: 1 2 3 4
 *
 * State word (musl / "Futexes are tricky" mutex 2): UNLOCKED 0, LOCKED 1,
 * CONTENDED 2 (locked, and someone may be asleep on the word).
 *   acquire: CAS 0 -> 1; else (slow path) c = xchg(2) unless c was 2; while c != 0:
 *            weft__wait(word, 2, deadline); on WEFT_ETIMEDOUT give up (timed
 *            acquire), else c = xchg(2).
 *   release: if fetch_sub(1) != 1 (it was CONTENDED): store 0, weft__wake(word, 1).
 * 3 threads x 2 rounds; thread 2 uses timed acquires (may time out at any time
 * while asleep); spurious returns from the wait are allowed.
 * Checked: mutual exclusion (assert), no lost wakeup (no thread asleep at the
 * end: invalid end state).
 * Broken variants spin must reject (-DBUGGY=n):
 *   1  after a wakeup re-take with CAS 0 -> 1 instead of xchg(2): a later waiter
 *      sleeps on a lock whose releaser saw LOCKED and did not wake.
 *   2  release wakes before storing UNLOCKED (wake before the state change).
 *   3  the wait contract itself broken: value check and sleep not atomic.
 *   4  a timed acquirer woken after its deadline gives up without retaking:
 *      the wake meant for it is swallowed and another waiter sleeps forever.
 */
#if BUGGY == 3
#define NONATOMIC_WAIT
#endif
#include "common.pml"

#define ROUNDS 2
#define UNLOCKED 0
#define LOCKED 1
#define CONTENDED 2
#define LOCK_WORD 0

byte lk = UNLOCKED;
byte in_cs = 0;

active [NPROC] proctype T() {
  byte c, r = 0;
  bool to;
  do
  :: r < ROUNDS ->
     /* weft_lock_acquire: fast path */
     atomic { c = lk; if :: lk == UNLOCKED -> lk = LOCKED :: else fi };
     if
     :: c != UNLOCKED ->
        /* acquire_slow */
        if :: c != CONTENDED -> atomic { c = lk; lk = CONTENDED } :: else fi;
        do
        :: c == UNLOCKED -> break
        :: else ->
           if
           :: _pid == 2 ->
              fwait_timed(lk, LOCK_WORD, CONTENDED, to);
              if :: to -> goto next :: else fi
#if BUGGY == 4
              ;
              if :: true -> goto next   /* "deadline passed" after the wake */
                 :: true
              fi
#endif
           :: else -> fwait(lk, LOCK_WORD, CONTENDED)
           fi;
#if BUGGY == 1
           atomic { c = lk; if :: lk == UNLOCKED -> lk = LOCKED :: else fi }
#else
           atomic { c = lk; lk = CONTENDED }
#endif
        od
     :: else
     fi;
     /* critical section */
     in_cs++; assert(in_cs == 1); in_cs--;
     /* weft_lock_release */
     atomic { c = lk; lk = lk - 1 };
     if
     :: c != LOCKED ->
#if BUGGY == 2
        fwake(LOCK_WORD, 1); lk = UNLOCKED
#else
        lk = UNLOCKED; fwake(LOCK_WORD, 1)
#endif
     :: else
     fi;
next: r++
  :: else -> break
  od
}
