/* models/queue.pml: weft_queue (src/queue.c): Python's queue.Queue with
 * task_done/join and shutdown (3.13), over a Lock and three Conditions.
 * Session 2: this is MODE_LOCKED's put/get/shutdown (LIFO, PRIORITY, unbounded
 * and large FIFO queues, SimpleQueue); join/task_done now use an atomic counter
 * and an event count in both modes, and bounded FIFO queues use the lock-free
 * ring: both are modelled in queue-ring.pml. The all_done condition here stands
 * for that event count (same contract: every joiner wakes when the count
 * reaches 0, nothing is lost).
 * BUGGY-VARIANTS: 1 2 3 4
 *
 * Under the queue's lock (m), with Conditions not_empty, not_full, all_done:
 *   put:      shut down: WEFT_ESHUTDOWN. while full: wait(not_full), and after
 *             every wakeup shut down: WEFT_ESHUTDOWN. Append, unfinished++,
 *             notify(not_empty).
 *   get:      while empty: shut down: WEFT_ESHUTDOWN; wait(not_empty). Take the
 *             head, notify(not_full). (Shut down but not empty: items are still
 *             delivered.)
 *   task_done: unfinished--; at 0 notify_all(all_done).
 *   join:     while unfinished > 0: wait(all_done).
 *   shutdown(immediate): shut down; immediate: every queued item is removed and
 *             handed to the drop callback, unfinished-- for each, notify_all
 *             (all_done). Then notify_all(not_empty), notify_all(not_full).
 * Threads (maxsize 1): P puts items 1 and 2; G gets until WEFT_ESHUTDOWN, with
 * task_done after each item; S calls shutdown (immediate or not, at any
 * moment), then join. Spurious returns from the condition waits are allowed.
 * Checked: no item lost or duplicated: every item put is delivered once or
 * dropped once (never both); the queue never holds more than maxsize; every
 * blocked thread wakes and every thread ends (join returns).
 * Broken variants (-DBUGGY=n):
 *   1  shutdown does not notify not_full: a putter blocked on a full queue
 *      sleeps forever (immediate shutdown).
 *   2  get reports shut down while items remain: items are lost.
 *   3  put re-checks with `if` instead of `while` (missing re-check after a
 *      spurious wakeup): the queue overflows.
 *   4  immediate shutdown drops items without task_done accounting: join hangs.
 */
#define NCOND 3
#include "common.pml"

#define NOT_EMPTY 0
#define NOT_FULL 1
#define ALL_DONE 2
#define MAXSIZE 1
#define OK 0
#define ESHUTDOWN 1

byte q = 0;                     /* the queued item (0: empty), maxsize 1 */
byte qsize = 0;
byte unfinished = 0;
bool is_shutdown = false;
byte put_ok[3], delivered[3], dropped[3];   /* ghosts, by item id 1..2 */

inline q_put(item, rc) {
  mlock();
  if
  :: is_shutdown -> rc = ESHUTDOWN
  :: else ->
     rc = OK;
#if BUGGY == 3
     if
#else
     do
#endif
     :: qsize >= MAXSIZE ->
        cwait(NOT_FULL);
        if :: is_shutdown -> rc = ESHUTDOWN; goto put_out :: else fi
#if BUGGY == 3
     :: else
     fi;
#else
     :: else -> break
     od;
#endif
     assert(qsize < MAXSIZE);
     q = item; qsize++; unfinished++; put_ok[item]++;
     cnotify(NOT_EMPTY)
  fi;
put_out:
  munlock()
}

inline q_get(item, rc) {
  mlock();
  rc = OK;
  do
  :: qsize > 0 -> break
  :: else ->
     if :: is_shutdown -> rc = ESHUTDOWN; goto get_out :: else fi;
     cwait(NOT_EMPTY)
  od;
#if BUGGY == 2
  if :: is_shutdown -> rc = ESHUTDOWN; goto get_out :: else fi;
#endif
  item = q; q = 0; qsize--; delivered[item]++;
  cnotify(NOT_FULL);
get_out:
  munlock()
}

inline q_task_done() {
  mlock();
  assert(unfinished > 0);
  unfinished--;
  if :: unfinished == 0 -> cnotify_all(ALL_DONE) :: else fi;
  munlock()
}

inline q_join() {
  mlock();
  do
  :: unfinished > 0 -> cwait(ALL_DONE)
  :: else -> break
  od;
  munlock()
}

inline q_shutdown(immediate) {
  mlock();
  is_shutdown = true;
  if
  :: immediate ->
     do
     :: qsize > 0 ->
        dropped[q]++; q = 0; qsize--;            /* to the drop callback */
#if BUGGY != 4
        if :: unfinished > 0 -> unfinished-- :: else fi
#endif
     :: else -> break
     od;
     cnotify_all(ALL_DONE)
  :: else
  fi;
  cnotify_all(NOT_EMPTY);
#if BUGGY != 1
  cnotify_all(NOT_FULL);
#endif
  munlock()
}

active proctype P() {
  byte rc;
  q_put(1, rc);
  if :: rc == OK -> q_put(2, rc) :: else fi
}

active proctype G() {
  byte item, rc;
  do
  :: q_get(item, rc);
     if :: rc == OK -> q_task_done() :: else -> break fi
  od
}

active proctype S() {
  if
  :: q_shutdown(true)
  :: q_shutdown(false)
  fi;
  q_join()
}

active proctype Check() {
  timeout ->
  assert(put_ok[1] == delivered[1] + dropped[1] && put_ok[2] == delivered[2] + dropped[2]);
  assert(delivered[1] + dropped[1] <= 1 && delivered[2] + dropped[2] <= 1);
  assert(unfinished == 0 && qsize == 0)
}
