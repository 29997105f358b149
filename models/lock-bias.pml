/* models/lock-bias.pml: weft_lock's biased mode (src/lock.c, "Biased mode";
 * docs/design/lock.md): the owner T takes and releases the lock with plain
 * stores to `owned` and plain loads of the state word, with no fence between;
 * another thread revokes the bias by setting REVOKE, calling membarrier() and
 * reading `owned`, and turns the lock into a normal one, free or held by T.
 * BUGGY-VARIANTS: 1 2 3 4 5 6 7 8 9 10
 *
 * Memory model. spin interleaves sequentially consistently, so the owner's
 * x86-TSO store buffer is explicit: T's stores to `owned` go into a FIFO of
 * BUFSZ (2; 1 also works) entries (b0 oldest, b1 newest, nbuf used), and a
 * separate process Flush commits the oldest one to memory at any moment (a
 * full buffer stalls T's next store). T's own loads of `owned` forward from
 * the buffer (OWN_VIEW: the newest entry, else memory); everyone else reads
 * memory. membarrier() is one atomic step that commits all of T's buffer: it
 * returns after every running thread of the process executed a full barrier
 * (a thread not running drained its buffer when it was switched out; the
 * caller itself has its seq_cst fence and the kernel's barrier at entry).
 * T's locked RMWs (the normal lock's CAS, try_bias's CAS, conv's CAS) drain
 * its buffer first: they happen only when nbuf == 0 (DRAINED). T stores
 * nothing else on these paths, and TSO does not reorder its loads, so they
 * are plain loads here. The other threads are sequentially consistent. The C
 * must keep T's store-then-load in program order at compile time (a4 / r3:
 * atomic_signal_fence(memory_order_seq_cst); C11 would let the compiler move
 * the load above the store). The argument holds beyond x86: the membarrier
 * IPI runs a full barrier on T's CPU, whatever the hardware reordered.
 *
 * Words: state (LOCKED 1 / CONTENDED 2 / STARVING 4: normal mode; BIASED 8;
 * REVOKE 16), owned (FREE 0 / HELD 1; written only by T), bias (COUNTING, ON,
 * DONE_FREE, DONE_HELD: WEFT__BIAS_*, the streak count abstracted to
 * COUNTING), conv (the process-wide conversion Lock, never biased, modelled as
 * a test-and-set). In biased mode the word is exactly BIASED, or
 * BIASED|REVOKE while a revocation runs, and the lock is held iff owned ==
 * HELD. A lock is biased at most once; BIASED never comes back. `holder` is
 * T for the whole biased mode, so the C's "holder == me" tests are `_pid ==
 * 0` here. Normal mode is abstracted to a test-and-set lock
 * (models/lock-weft.pml checks the real one): acquire = one atomic step
 * `!(state & (LOCKED|BIASED)) -> state |= LOCKED` (blocking), or, whenever
 * the word has BIASED, revoke; release = `state &= ~LOCKED`, asserting
 * LOCKED was set (no WEFT_EPERM). So this model does not check the normal
 * paths against a BIASED word (lock.c: acquire_slow's BIASED checks,
 * try_take's mask, release_slow); it assumes none of them CASes the word
 * while it has BIASED, which u3 and u7 overwrite with plain stores.
 *
 * Model step -> C step (src/lock.c as being written):
 *   entering the bias (T's first acquisition; try_bias, from set_holder at
 *     the end of the streak): T holds the normal lock, word == LOCKED; store
 *     owned = HELD (buffered), bias = ON, CAS LOCKED -> BIASED (drains the
 *     buffer). T now holds the lock in biased mode.
 *   owner acquire (T's other acquisitions):
 *     a1  s = state (acquire()'s my_bias branch, or biased_slow): s !=
 *         BIASED -> the normal acquire (which, finding BIASED|REVOKE, calls
 *         unbias: waits for conv, finds no BIASED at u2, goes on).
 *     a2  s == BIASED and OWN_VIEW == HELD: T acquires the lock it holds (its
 *         hold was left to a third-party releaser): biased_slow -> unbias by
 *         T itself (u1..u8, reading its own HELD: converted held), then the
 *         normal acquire waits for the third party's release.
 *     a3  store owned = HELD (buffered)   (biased_acquire)
 *     a4  no fence (compiler barrier only)
 *     a5  s = state
 *     a6  s == BIASED: taken, biased hold
 *     a7  else outcome() = revocation_outcome(): if the word still has
 *         BIASED, a revoker holds conv until the word is normal: take and
 *         drop conv; then o = bias. DONE_HELD: T holds the lock, now a normal
 *         lock (LOCKED); DONE_FREE: the normal acquire. Whatever the caller's
 *         deadline (variant 9).
 *   owner release:
 *     r1  s = state (release(), release_slow): s has BIASED (holder T): the
 *         biased release, OWN_VIEW must be HELD (else WEFT_EPERM; asserted
 *         never); else the normal release. (Not OWN_VIEW alone: variant 10.)
 *     r2  store owned = FREE (buffered, after the critical section)
 *         (biased_release)
 *     r3  no fence (compiler barrier only)
 *     r4  s = state; s == BIASED: done
 *     r5  else outcome() as in a7; DONE_HELD: the normal release
 *         (release_normal); DONE_FREE: done.
 *   revocation revoke() = unbias(), by U1/U2 in acquire (acquire_slow ->
 *   biased_slow) or third-party release (release_slow), or by T at a2:
 *     u1  take conv
 *     u2  state has no BIASED: to u8 (already converted)
 *     u3  state = BIASED|REVOKE (then the C's seq_cst fence)
 *     u4  membarrier(): all of T's buffer to memory (weft__os_membarrier)
 *     u5  v = owned (memory; T reading in its own unbias: its own view)
 *     u6  bias = (v == HELD ? DONE_HELD : DONE_FREE)
 *     u7  state = (v == HELD ? LOCKED : 0)
 *     u8  drop conv
 *   and U goes on in normal mode (acquire: wait for LOCKED clear and set it;
 *   third-party release: clear LOCKED, which must be set).
 *
 * Scenario: T (pid 0) TROUNDS = 3 acquisitions: the first enters the bias,
 * the others take a1..a7; every release goes through r1. U1 (pid 1) one
 * acquire/release (revoking if it finds BIASED). U2 (pid 2) chooses at its
 * start either the same as U1 (mode ROUND) or to be the third-party releaser
 * (mode HAND) of one of T's acquisitions (any one; the last if T left none
 * before), which T then leaves held; U2's release revokes if the word has
 * BIASED. 72,412 states; check.sh takes about 11 s for the model and its 10
 * variants, nearly all of it compiling (-DTROUNDS=4: 106,089 states;
 * -DBUFSZ=1: 68,080; no error).
 * Checked: mutual exclusion (in_cs <= 1; a hold left to U2 counts until U2
 * releases it). At u5, with the ghost tpos (where T is: OUT; CLAIM from its
 * a3 store until a5 sees BIASED; HOLD from a6 or the entry until its r2
 * store; RELEASING from r2 until r4 sees BIASED): a FREE read never while T
 * is in HOLD (it is in its critical section on the strength of the bias) and
 * a HELD read never while T is OUT (T finished a release that the conversion
 * would undo, or never claimed). Every normal release finds LOCKED (exactly
 * one release per acquisition takes effect, no EPERM); the outcome T reads
 * is DONE_*; r1 never finds BIASED with T's owned FREE (no false EPERM); no
 * thread blocked forever (invalid end state); at the end nobody holds the
 * lock: state == 0, or state == BIASED with owned == FREE committed; conv
 * free, buffer empty.
 *
 * Broken variants (-DBUGGY=n), each rejected:
 *   1  the revoker does not call membarrier (u4 skipped): it reads memory
 *      while T's store is buffered: FREE while T holds (T's HELD not yet
 *      committed: both in the critical section), or HELD after T's release
 *      returned (its FREE not committed: LOCKED forever). spin's first error
 *      is the u5 check (HELD while T is OUT); without the u5 checks, mutual
 *      exclusion, EPERM and invalid end states all fail.
 *   2  the owner's acquire enters at once after storing HELD (no a5/a6): a
 *      revocation that read FREE before the store converted the lock free and
 *      its revoker takes it too.
 *   3  the owner's release returns after storing FREE (no r4/r5): a
 *      conversion that read HELD leaves the normal lock LOCKED forever; the
 *      revoker blocks forever.
 *   4  the revoker converts to free whatever it read (u7 always 0).
 *   5  on DONE_HELD in a7 the owner does a normal acquire instead of keeping
 *      the lock: it waits forever for the lock it holds.
 *   6  revocation_outcome reads the outcome without waiting for conv: it
 *      reads bias == ON (or DONE_HELD before the word is normal).
 *   7  the revoker stores the word (u7) before the outcome (u6): the owner
 *      sees a normal word, skips conv, reads bias == ON.
 *   8  try_bias publishes BIASED before storing owned = HELD: a revoker
 *      reads FREE and converts free while T is in its critical section.
 *   9  a non-blocking or timed acquire gives up when a5 finds REVOKE,
 *      without waiting for the outcome: the revoker may have read its HELD,
 *      so the lock is converted held by nobody: LOCKED forever.
 *  10  r1 decides by OWN_VIEW alone: owned stays HELD after a7. T releases
 *      (biased), a1 sees BIASED; U1 revokes, reads FREE: word 0, DONE_FREE;
 *      U1 takes and releases; T's a3 stores HELD, a5 sees 0, a7 reads
 *      DONE_FREE, normal acquire (LOCKED); its release sees owned HELD, takes
 *      r2..r5, reads DONE_FREE and returns with the word LOCKED; T's next
 *      acquire blocks forever.
 */

#ifndef TROUNDS
#define TROUNDS 3          /* T's acquisitions: the bias entry, then TROUNDS - 1 fast ones */
#endif
#ifndef BUFSZ
#define BUFSZ 2
#endif
#define LOCKED 1
#define BIASED 8
#define REVOKE 16
#define FREE 0
#define HELD 1
#define COUNTING 0
#define ON 1
#define DONE_FREE 2
#define DONE_HELD 3
#define ROUND 1
#define HAND 2
#define OUT 0              /* tpos: T not in a biased acquire/hold/release */
#define CLAIM 1            /*   a3 executed (HELD maybe buffered), a5 not yet BIASED */
#define HOLD 2             /*   holds in biased mode: a6 passed or bias entered, until r2 */
#define RELEASING 3        /*   r2 executed (FREE maybe buffered), r4 not yet BIASED */

byte state = 0;
bit owned = FREE;          /* memory */
byte nbuf = 0;             /* T's store buffer: nbuf entries, b0 oldest */
bit b0, b1;
byte bias = COUNTING;
bit conv = 0;
byte in_cs = 0;
byte tpos = OUT;           /* ghost: where T is in the biased protocol */
byte mode = 0;             /* ghost: U2's role, ROUND or HAND */
byte hand = 0;             /* ghost: 1 T's hold left for U2 to release, 2 released */
bool tdone = false;        /* ghost: T has ended */

#define OWN_VIEW (nbuf == 0 -> owned : (nbuf == 1 -> b0 : b1))
/* a locked RMW by T waits for its buffer to drain */
#define DRAINED (_pid != 0 || nbuf == 0)

/* T's plain store to owned: into the buffer (stalls while it is full) */
inline own_store(x) {
  atomic {
    nbuf < BUFSZ;
    if :: nbuf == 0 -> b0 = x :: else -> b1 = x fi;
    nbuf++
  }
}

/* membarrier() (with the caller's own seq_cst fence and the kernel's smp_mb
 * at entry): every entry of T's buffer reaches memory */
inline membarrier() {
  atomic { if :: nbuf > 0 -> owned = OWN_VIEW; nbuf = 0; b0 = 0; b1 = 0 :: else fi }
}

/* conv: the process-wide conversion Lock (never biased), as a test-and-set */
inline conv_lock()   { atomic { DRAINED && conv == 0 -> conv = 1 } }
inline conv_unlock() { atomic { DRAINED -> assert(conv == 1); conv = 0 } }

/* unbias(): u1..u8, by any thread (T too: the owner acquiring a lock it holds) */
inline revoke() {
  conv_lock();                                                   /* u1 */
  if
  :: !(state & BIASED)                                           /* u2 */
  :: else ->
     assert(state == BIASED);
     state = BIASED | REVOKE;                                    /* u3 */
#if BUGGY != 1
     membarrier();                                               /* u4 */
#endif
     atomic { v = (_pid == 0 -> OWN_VIEW : owned);               /* u5 */
              assert(v == HELD || tpos != HOLD); assert(v == FREE || tpos != OUT) };
#if BUGGY == 7
     state = (v == HELD -> LOCKED : 0);                          /* u7 first */
     bias = (v == HELD -> DONE_HELD : DONE_FREE);                /* u6 */
#else
     bias = (v == HELD -> DONE_HELD : DONE_FREE);                /* u6 */
#if BUGGY == 4
     state = 0;                                                  /* u7 */
#else
     state = (v == HELD -> LOCKED : 0);                          /* u7 */
#endif
#endif
     v = 0
  fi;
  conv_unlock()                                                  /* u8 */
}

/* normal-mode acquire: test-and-set (T's drains its buffer first), or revoke
 * while the word has BIASED */
inline acquire_normal() {
  do
  :: atomic { DRAINED && !(state & (LOCKED | BIASED)) -> state = state | LOCKED }; break
  :: state & BIASED -> revoke()
  od
}

inline release_normal() {
  atomic { DRAINED -> assert((state & LOCKED) && !(state & BIASED)); state = state & ~LOCKED }
}

/* a7 / r5: revocation_outcome(): if the word still has BIASED, a revoker holds
 * conv until the word is normal: take and drop conv; then read the outcome */
inline outcome() {
#if BUGGY != 6
  if
  :: state & BIASED -> conv_lock(); conv_unlock()
  :: else
  fi;
#endif
  o = bias
}

active proctype T() {
  byte s, o, r = 0;
  bit v;           /* revoke()'s */
  do
  :: r < TROUNDS ->
     if
     :: r == 0 ->
        /* the acquisition that ends the streak: normal acquire, then try_bias */
        acquire_normal();
#if BUGGY == 8
        atomic { DRAINED -> assert(state == LOCKED && bias == COUNTING); state = BIASED; bias = ON; tpos = HOLD };
        own_store(HELD);
#else
        own_store(HELD);
        atomic { DRAINED -> assert(state == LOCKED && bias == COUNTING); state = BIASED; bias = ON; tpos = HOLD };
#endif
     :: else ->
        s = state;                                               /* a1 */
        if
        :: s != BIASED -> acquire_normal()
        :: else ->
           if
           :: OWN_VIEW == HELD ->                                /* a2 */
              /* the owner acquiring the lock it holds (left to a third-party
               * releaser): revoke, then wait in normal mode */
              assert(hand != 0);
              acquire_normal()
           :: else ->
              atomic { own_store(HELD); tpos = CLAIM };          /* a3 */
#if BUGGY == 2
              tpos = HOLD
#else
              atomic { s = state; if :: s == BIASED -> tpos = HOLD :: else fi };  /* a5 */
              if
              :: s == BIASED                                     /* a6 */
              :: else ->                                         /* a7 */
#if BUGGY == 9
                 tpos = OUT; goto next;   /* a try/timed acquire gives up */
#endif
                 outcome(); tpos = OUT;
                 if
                 :: o == DONE_HELD ->
                    assert(state & LOCKED)
#if BUGGY == 5
                    ; acquire_normal()
#endif
                 :: else -> assert(o == DONE_FREE); acquire_normal()
                 fi
              fi
#endif
           fi
        fi
     fi;
     in_cs++; assert(in_cs == 1);
     s = 0; o = 0;
     mode != 0;
     if
     :: mode == HAND && hand == 0 -> hand = 1; goto next       /* U2 releases it */
     :: !(mode == HAND && hand == 0 && r == TROUNDS - 1)
     fi;
     in_cs--;
     s = state;                                                  /* r1 */
     if
#if BUGGY == 10
     :: OWN_VIEW == HELD ->
#else
     :: s & BIASED ->
        assert(OWN_VIEW == HELD);   /* else WEFT_EPERM: T holds it */
#endif
        atomic { own_store(FREE); tpos = RELEASING };            /* r2 */
#if BUGGY != 3
        atomic { s = state; if :: s == BIASED -> tpos = OUT :: else fi };  /* r4 */
        if
        :: s == BIASED
        :: else ->                                               /* r5 */
           outcome(); tpos = OUT;
           if
           :: o == DONE_HELD -> release_normal()
           :: else -> assert(o == DONE_FREE)
           fi
        fi;
#endif
        s = 0; o = 0
     :: else -> release_normal()
     fi;
next:
     s = 0;
     r++
  :: else -> break
  od;
  tdone = true
}

active [2] proctype U() {
  byte s;
  bit v;
  if
  :: _pid == 2 -> if :: mode = ROUND :: mode = HAND fi
  :: else
  fi;
  if
  :: _pid == 2 && mode == HAND ->
     /* third-party release of T's handed hold */
     hand == 1 || tdone;   /* tdone: only if T gave up an acquisition (variant 9) */
     if
     :: hand == 1 ->
        in_cs--;
        s = state;
        if :: s & BIASED -> revoke() :: else fi;
        release_normal();
        hand = 2; s = 0
     :: else
     fi
  :: else ->
     acquire_normal();
     in_cs++; assert(in_cs == 1);
     in_cs--;
     release_normal()
  fi
}

active proctype Flush() {
end:
  do
  :: atomic { nbuf > 0 -> owned = b0; b0 = b1; b1 = 0; nbuf-- }
  od
}

active proctype Check() {
  atomic {
    timeout ->
    assert(in_cs == 0 && hand != 1 && nbuf == 0 && conv == 0);
    assert(state == 0 || (state == BIASED && owned == FREE))
  }
}
