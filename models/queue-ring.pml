/* models/queue-ring.pml: the lock-free ring of weft_queue (src/queue.c,
 * MODE_RING): Vyukov's bounded queue with per-slot stamps, the shutdown marks
 * in the tail and head words, event counts for sleeping, task accounting.
 * BUGGY-VARIANTS: 1 2 3 4
 *
 * Ring of SIZE 2 with maxsize CAP 1, positions tail/head (marks tshut/hshut), stamp per slot:
 *   put:   t = tail; shut: SHUT. stamp == t: CAS tail t -> t+1, unfinished++,
 *          write item, stamp = t+1, notify(get_ec). stamp < t: full (WAIT),
 *          unless t - head < SIZE (a get in flight: BUSY, retry).
 *   get:   h = head; immediate: SHUT. stamp == h+1: CAS head, read item,
 *          stamp = h+SIZE, notify(put_ec). Else load tail: tail != h: BUSY;
 *          tail shut: SHUT; else WAIT.
 *   wait:  on WAIT: w = fetch_or(ec, SLEEPING); re-try; WAIT again: fwait(ec, w).
 *          (The spin, the yields and the yield ban before the fetch_or are
 *          plain re-tries that change no shared word the protocol reads: not
 *          modelled; a waiter may reach the fetch_or at any time.)
 *   notify(ec): if ec & SLEEPING: ec = (ec & ~SLEEPING) + EPOCH; wake all.
 * Threads: P puts items 1 and 2 (blocking); G gets (blocking) until SHUT, with
 * task_done after each item; S shuts down (immediate or not), draining with
 * CAS on the marked head when immediate, then joins. All steps are atomic
 * loads, stores and CAS (sequential consistency; TSan checks the orders).
 * Checked: every item put is delivered once or dropped once, every refused put
 * (SHUT) is neither; unfinished never goes below 0; every thread ends (no lost
 * wakeup: a sleeper left at the end is an invalid end state); join returns.
 * Broken variants (-DBUGGY=n):
 *   1  a waiter does not re-try after announcing itself: lost wakeup.
 *   2  shutdown does not wake sleeping putters: P sleeps forever on a full ring.
 *   3  the immediate drain stops at a slot whose put is in flight: item lost.
 *   4  put counts the task after publishing the item: task_done can find
 *      unfinished == 0 (task_done called "too many times").
 */
#define NPROC 3
#define SPUR 1
#include "common.pml"

#define SIZE 2              /* Vyukov's stamps need >= 2 slots (src/queue.c RING_MIN 8) */
#define CAP 1               /* maxsize below the ring: put counts against head */
#define EC_GET 0
#define EC_PUT 1
#define EC_JOIN 2
#define R_OK 0
#define R_WAIT 1
#define R_BUSY 2
#define R_SHUT 3

byte tail = 0, head = 0;
bit tshut = 0, hshut = 0;
byte stamp[SIZE];           /* init: stamp[i] = i (init below) */
byte item[SIZE];
byte gec = 0, pec = 0, jec = 0;
byte unfinished = 0;
byte delivered[3], dropped[3];
bool accepted[3], refused[3];
bool doneP = false, doneG = false, doneS = false;

inline ec_wake(ec, id) {
  atomic { lw = ec; ec = (ec & 254) + 2 };
  if :: (lw & 1) -> fwake(id, ALL) :: else fi
}

inline ec_notify(ec, id) {
  if :: (ec & 1) -> ec_wake(ec, id) :: else fi
}

inline unfinished_dec(ok) {
  atomic { if :: unfinished > 0 -> unfinished--; ok = true :: else -> ok = false fi };
  if :: ok && unfinished == 0 -> ec_notify(jec, EC_JOIN) :: else fi
}

inline try_put(v, r) {
  do
  :: atomic { t = tail; ts = tshut };
     if
     :: ts -> r = R_SHUT; break
     :: else
     fi;
     st = stamp[t % SIZE];
     if
     :: st == t ->
        h = head;
        atomic { t2 = tail; ts2 = tshut };
        if
        :: t2 != t || ts2 != ts -> skip
        :: else ->
           if
           :: t - h >= CAP -> r = R_WAIT; break
           :: else ->
              atomic { if :: tail == t && !tshut -> tail = t + 1; won = true :: else -> won = false fi };
              if
              :: won ->
#if BUGGY == 4
                 item[t % SIZE] = v; stamp[t % SIZE] = t + 1; unfinished++;
#else
                 unfinished++; item[t % SIZE] = v; stamp[t % SIZE] = t + 1;
#endif
                 ec_notify(gec, EC_GET); r = R_OK; break
              :: else
              fi
           fi
        fi
     :: st < t ->
        h = head;
        atomic { t2 = tail; ts2 = tshut };
        if
        :: t2 != t || ts2 != ts -> skip
        :: else ->
           if
           :: t - h >= CAP -> r = R_WAIT
           :: else -> r = R_BUSY
           fi;
           break
        fi
     :: else
     fi
  od
}

inline try_get(r, v) {
  do
  :: atomic { h = head; hs = hshut };
     if
     :: hs -> r = R_SHUT; break
     :: else
     fi;
     st = stamp[h % SIZE];
     if
     :: st == h + 1 ->
        atomic { if :: head == h && !hshut -> head = h + 1; won = true :: else -> won = false fi };
        if
        :: won -> v = item[h % SIZE]; stamp[h % SIZE] = h + SIZE; ec_notify(pec, EC_PUT); r = R_OK; break
        :: else
        fi
     :: st < h + 1 ->
        atomic { t = tail; ts = tshut };
        atomic { h2 = head; hs2 = hshut };
        if
        :: h2 != h || hs2 != hs -> skip
        :: else ->
           if
           :: t != h -> r = R_BUSY
           :: else -> if :: ts -> r = R_SHUT :: else -> r = R_WAIT fi
           fi;
           break
        fi
     :: else
     fi
  od
}

active proctype P() {
  byte t, t2, st, h, lw, w, r, v;
  bit ts, ts2;
  bool won;
  stamp[1] = 1;   /* before anything else runs: P is the only thread that starts with a step that touches the ring */
  v = 1;
  do
  :: v <= 2 ->
     do
     :: try_put(v, r);
        if
        :: r == R_BUSY -> skip
        :: r == R_WAIT ->
           atomic { w = pec | 1; pec = pec | 1 };
#if BUGGY != 1
           try_put(v, r);
#endif
           if
           :: r == R_BUSY -> skip
           :: r == R_WAIT -> fwait(pec, EC_PUT, w)
           :: else -> break
           fi
        :: else -> break
        fi
     od;
     if
     :: r == R_OK -> accepted[v] = true
     :: else -> assert(r == R_SHUT); refused[v] = true
     fi;
     v++
  :: else -> break
  od;
  doneP = true
}

active proctype G() {
  byte h, h2, t, st, lw, w, r, v;
  bit hs, hs2, ts;
  bool won, ok;
  do
  :: try_get(r, v);
     if
     :: r == R_BUSY -> skip
     :: r == R_WAIT ->
        atomic { w = gec | 1; gec = gec | 1 };
        try_get(r, v);
        if
        :: r == R_BUSY -> skip
        :: r == R_WAIT -> fwait(gec, EC_GET, w)
        :: r == R_OK -> delivered[v]++; unfinished_dec(ok); assert(ok)
        :: r == R_SHUT -> break
        fi
     :: r == R_OK -> delivered[v]++; unfinished_dec(ok); assert(ok)
     :: r == R_SHUT -> break
     fi
  od;
  doneG = true
}

active proctype S() {
  byte h, pos, t, lw, w, v;
  bit hs;
  bool won, ok, immediate;
  if :: immediate = true :: immediate = false fi;
  tshut = 1;
  if :: immediate -> hshut = 1 :: else fi;
  ec_wake(gec, EC_GET);
#if BUGGY != 2
  ec_wake(pec, EC_PUT);
#endif
  if
  :: immediate ->
     do
     :: atomic { h = head; hs = hshut };
        t = tail;
        if
        :: t <= h -> break
        :: else
        fi;
        if
        :: stamp[h % SIZE] != h + 1 ->
#if BUGGY == 3
           break
#else
           skip
#endif
        :: else ->
           atomic { if :: head == h -> head = h + 1; won = true :: else -> won = false fi };
           if
           :: won -> v = item[h % SIZE]; stamp[h % SIZE] = h + SIZE; unfinished_dec(ok); dropped[v]++
           :: else
           fi
        fi
     od;
     ec_wake(jec, EC_JOIN)
  :: else
  fi;
  /* join */
  do
  :: unfinished == 0 -> break
  :: else ->
     atomic { w = jec | 1; jec = jec | 1 };
     if
     :: unfinished == 0 -> break
     :: else -> fwait(jec, EC_JOIN, w)
     fi
  od;
  doneS = true
}

active proctype Check() {
  (doneP && doneG && doneS);
  assert(delivered[1] + dropped[1] == (accepted[1] -> 1 : 0));
  assert(delivered[2] + dropped[2] == (accepted[2] -> 1 : 0));
  assert(!(accepted[1] && refused[1]) && !(accepted[2] && refused[2]));
  assert(unfinished == 0)
}
