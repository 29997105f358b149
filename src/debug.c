/* SPDX-License-Identifier: MIT */
/* debug.c: thread slots, wait records, names, the deadlock detector, reports and
 * the thread dump (internal/debug.h, docs/debugging.md).
 *
 * STUB: the interface is final; the implementation lands next. Until then every
 * record is a no-op and the detector never fires. */
#include "internal/debug.h"

_Thread_local weft__tid weft__my_tid;
_Atomic int weft__dl_mode_word = -1;
_Atomic uint32_t weft__names_used;

weft__tid weft__me_slow(void) { return 0; }
void weft__dbg_set_info(weft__tid tid, const char *name, int daemon, uint64_t ident,
                        long native_id)
{
    (void)tid; (void)name; (void)daemon; (void)ident; (void)native_id;
}
void weft__dbg_thread_exit(void) {}
void weft__dbg_fork_child(void) {}
int weft__rec_begin(enum weft__wk kind, const void *obj, weft__ns deadline)
{
    (void)kind; (void)obj; (void)deadline;
    return 0;
}
void weft__rec_end(int token) { (void)token; }
void weft__dl_start(struct weft__dl *dl, weft__ns deadline)
{
    (void)deadline;
    dl->next = WEFT__NS_FOREVER;
    dl->strikes = 0;
    dl->checks = 0;
}
int weft__dl_poll_slow(struct weft__dl *dl, weft__ns deadline, weft__ns *until)
{
    (void)dl;
    *until = deadline;
    return 0;
}
void weft__name_forget_slow(const void *obj) { (void)obj; }
void weft__report(const char *text) { fputs(text, stderr); }
