/* SPDX-License-Identifier: MIT */
/* test-thread.c: weft_thread and the threading module functions (weft/thread.h).
 * Cases named ThreadTests_* / ThreadingExceptionTests_* / ExceptHookTests_* mirror
 * CPython 3.13 Lib/test/test_threading.py; the others are weft's own. */
#include "harness.h"

#include <errno.h>
#include <stdatomic.h>
#include <unistd.h>

#include "internal/failure.h"

/* ---- helpers ---------------------------------------------------------------- */

static _Atomic int gate;          /* bodies that wait on it block until it is 1 */
static _Atomic int entered;       /* how many bodies started */

static void *wait_gate(void *arg)
{
    atomic_fetch_add(&entered, 1);
    while (!atomic_load(&gate)) weft_test_sleep(0.0005);
    return arg;
}

static void *ret_arg(void *arg) { return arg; }

static weft_thread *make(weft_thread_fn fn, void *arg, const weft_thread_attr *attr)
{
    weft_thread *t = NULL;
    ASSERT_OK(weft_thread_create(&t, fn, arg, attr));
    ASSERT(t != NULL);
    return t;
}

static bool listed(weft_thread *t)
{
    weft_thread *all[256];
    size_t n = weft_enumerate(all, 256);
    ASSERT_LE(n, 256);
    bool found = false;
    for (size_t i = 0; i < n; i++) {
        if (all[i] == t) found = true;
        weft_thread_unref(all[i]);
    }
    return found;
}

/* ---- ThreadTests ---------------------------------------------------------------- */

TEST(ThreadTests_test_name)
{
    weft_thread *a = make(ret_arg, NULL, NULL);
    weft_thread *b = make(ret_arg, NULL, NULL);
    unsigned long na = 0, nb = 0;
    ASSERT_EQ(sscanf(weft_thread_name(a), "Thread-%lu", &na), 1);
    ASSERT_EQ(sscanf(weft_thread_name(b), "Thread-%lu", &nb), 1);
    ASSERT_EQ(nb, na + 1);                       /* one process-wide counter */
    weft_thread_attr attr = { "myname", 0, 0 };
    weft_thread *c = make(ret_arg, NULL, &attr);
    ASSERT_STR_EQ(weft_thread_name(c), "myname");
    weft_thread_attr empty = { "", 0, 0 };       /* falsy name: generated */
    weft_thread *d = make(ret_arg, NULL, &empty);
    unsigned long nd = 0;
    ASSERT_EQ(sscanf(weft_thread_name(d), "Thread-%lu", &nd), 1);
    ASSERT_EQ(nd, nb + 1);                       /* given names take no number */
    weft_thread_destroy(a); weft_thread_destroy(b);
    weft_thread_destroy(c); weft_thread_destroy(d);
}

static void *foreign_dummy_name(void *arg)
{
    weft_thread *me = weft_current_thread();
    snprintf(arg, 64, "%s", weft_thread_name(me));
    return NULL;
}

static void foreign_name(void *arg, int i) { (void)i; foreign_dummy_name(arg); }

TEST(ThreadTests_test_name_counter_shared_with_dummies)
{
    weft_thread *a = make(ret_arg, NULL, NULL);
    char dname[64] = "";
    weft_test_join(weft_test_start(1, foreign_name, dname));
    weft_thread *b = make(ret_arg, NULL, NULL);
    unsigned long na, nd, nb;
    ASSERT_EQ(sscanf(weft_thread_name(a), "Thread-%lu", &na), 1);
    ASSERT_EQ(sscanf(dname, "Dummy-%lu", &nd), 1);
    ASSERT_EQ(sscanf(weft_thread_name(b), "Thread-%lu", &nb), 1);
    ASSERT_EQ(nd, na + 1);
    ASSERT_EQ(nb, nd + 1);
    weft_thread_destroy(a); weft_thread_destroy(b);
}

TEST(ThreadTests_test_args_argument)
{
    int x = 42;
    weft_thread *t = make(ret_arg, &x, NULL);
    ASSERT_OK(weft_thread_start(t));
    ASSERT_OK(weft_thread_join(t, WEFT_FOREVER));
    void *r = NULL;
    ASSERT_OK(weft_thread_result(t, &r));
    ASSERT_PTR_EQ(r, &x);
    weft_thread_destroy(t);
}

static void various_ops(int n)
{
    weft_thread *ts[10];
    atomic_store(&gate, 0);
    atomic_store(&entered, 0);
    for (int i = 0; i < n; i++) {
        ts[i] = make(wait_gate, NULL, NULL);
        ASSERT_EQ(weft_thread_ident(ts[i]), 0);
        ASSERT_EQ(weft_thread_native_id(ts[i]), 0);
        ASSERT_FALSE(weft_thread_is_alive(ts[i]));
        ASSERT_OK(weft_thread_start(ts[i]));
        ASSERT_NE(weft_thread_ident(ts[i]), 0);    /* recorded before start returns */
        ASSERT_GT(weft_thread_native_id(ts[i]), 0);
        ASSERT_TRUE(weft_thread_is_alive(ts[i]));
        ASSERT_TRUE(listed(ts[i]));
    }
    for (int i = 0; i < n; i++)
        for (int j = 0; j < i; j++)
            ASSERT_NE(weft_thread_ident(ts[i]), weft_thread_ident(ts[j]));
    WAIT_UNTIL(atomic_load(&entered) == n, 10);
    atomic_store(&gate, 1);
    for (int i = 0; i < n; i++) {
        ASSERT_OK(weft_thread_join(ts[i], WEFT_FOREVER));
        ASSERT_FALSE(weft_thread_is_alive(ts[i]));
        ASSERT_NE(weft_thread_ident(ts[i]), 0);    /* kept after exit */
        weft_thread_destroy(ts[i]);
    }
}

TEST(ThreadTests_test_various_ops) { various_ops(10); }

TEST(ThreadTests_test_various_ops_small_stack)
{
    long old = -1;
    ASSERT_OK(weft_stack_size(262144, &old));
    ASSERT_EQ(old, 0);
    various_ops(3);
    ASSERT_OK(weft_stack_size(0, &old));
    ASSERT_EQ(old, 262144);
}

TEST(ThreadTests_test_various_ops_large_stack)
{
    ASSERT_OK(weft_stack_size(0x1000000, NULL));
    ASSERT_EQ(weft_get_stack_size(), 0x1000000);
    various_ops(3);
    ASSERT_OK(weft_stack_size(0, NULL));
}

struct foreign_info {
    uint64_t ident, get_ident;
    long native, get_native;
    bool daemon, alive, listed, join_estate;
    weft_thread *rec;
    char name[64];
};

static void foreign_probe(void *arg, int i)
{
    (void)i;
    struct foreign_info *fi = arg;
    weft_thread *me = weft_current_thread();
    ASSERT(me != NULL);
    ASSERT_PTR_EQ(weft_current_thread(), me);     /* made once */
    fi->rec = me;
    fi->ident = weft_thread_ident(me);
    fi->get_ident = weft_get_ident();
    fi->native = weft_thread_native_id(me);
    fi->get_native = weft_get_native_id();
    fi->daemon = weft_thread_daemon(me);
    fi->alive = weft_thread_is_alive(me);
    fi->listed = listed(me);
    fi->join_estate = weft_thread_join(me, 0) == WEFT_ESTATE;
    snprintf(fi->name, sizeof fi->name, "%s", weft_thread_name(me));
}

TEST(ThreadTests_test_ident_of_no_threading_threads)
{
    size_t before = weft_active_count();
    struct foreign_info fi;
    memset(&fi, 0, sizeof fi);
    weft_test_join(weft_test_start(1, foreign_probe, &fi));
    ASSERT_EQ(fi.ident, fi.get_ident);
    ASSERT_EQ(fi.native, fi.get_native);
    ASSERT_TRUE(fi.daemon);
    ASSERT_TRUE(fi.alive);
    ASSERT_TRUE(fi.listed);
    ASSERT_TRUE(fi.join_estate);
    ASSERT_EQ(strncmp(fi.name, "Dummy-", 6), 0);
    /* the dummy record was dropped when the foreign thread exited */
    ASSERT_EQ(weft_active_count(), before);
}

static _Atomic int foreign_go;
static _Atomic(weft_thread *) foreign_rec;
static void foreign_wait(void *arg, int i)
{
    (void)arg; (void)i;
    atomic_store(&foreign_rec, weft_current_thread());
    atomic_store(&foreign_go, 1);
    while (atomic_load(&foreign_go) != 2) weft_test_sleep(0.0005);
}

TEST(ThreadTests_test_foreign_thread)
{
    atomic_store(&foreign_go, 0);
    weft_test_threads *ft = weft_test_start(1, foreign_wait, NULL);
    WAIT_UNTIL(atomic_load(&foreign_go) == 1, 10);
    weft_thread *rec = atomic_load(&foreign_rec);
    ASSERT_TRUE(listed(rec));
    ASSERT_TRUE(weft_thread_is_alive(rec));
    ASSERT_RC(weft_thread_join(rec, 0), WEFT_ESTATE);   /* a dummy */
    ASSERT_RC(weft_thread_start(rec), WEFT_ESTATE);
    ASSERT_RC(weft_thread_set_daemon(rec, false), WEFT_ESTATE);
    atomic_store(&foreign_go, 2);
    weft_test_join(ft);
}

TEST(ThreadTests_test_enumerate_after_join)
{
    size_t before = weft_active_count();
    for (int i = 0; i < 20; i++) {
        weft_thread *t = make(ret_arg, NULL, NULL);
        ASSERT_OK(weft_thread_start(t));
        ASSERT_OK(weft_thread_join(t, WEFT_FOREVER));
        ASSERT_FALSE(listed(t));
        ASSERT_EQ(weft_active_count(), before);
        weft_thread_destroy(t);
    }
}

static weft_thread *joined;
static _Atomic int joins_ok;
static void *joiner(void *arg)
{
    (void)arg;
    if (weft_thread_join(joined, WEFT_FOREVER) == WEFT_OK
        && !weft_thread_is_alive(joined))
        atomic_fetch_add(&joins_ok, 1);
    return NULL;
}

TEST(ThreadTests_test_join_from_multiple_threads)
{
    atomic_store(&gate, 0);
    atomic_store(&entered, 0);
    atomic_store(&joins_ok, 0);
    joined = make(wait_gate, NULL, NULL);
    ASSERT_OK(weft_thread_start(joined));
    weft_thread *js[5];
    for (int i = 0; i < 5; i++) {
        js[i] = make(joiner, NULL, NULL);
        ASSERT_OK(weft_thread_start(js[i]));
    }
    weft_test_sleep(0.02);                /* let them block (not needed for correctness) */
    ASSERT_EQ(atomic_load(&joins_ok), 0);
    atomic_store(&gate, 1);
    for (int i = 0; i < 5; i++) {
        ASSERT_OK(weft_thread_join(js[i], WEFT_FOREVER));
        weft_thread_destroy(js[i]);
    }
    ASSERT_EQ(atomic_load(&joins_ok), 5);
    ASSERT_OK(weft_thread_join(joined, WEFT_FOREVER));
    ASSERT_OK(weft_thread_join(joined, 0));   /* again: returns at once */
    weft_thread_destroy(joined);
}

TEST(ThreadTests_test_join_with_timeout)
{
    atomic_store(&gate, 0);
    weft_thread *t = make(wait_gate, NULL, NULL);
    ASSERT_OK(weft_thread_start(t));
    double t0 = weft_test_now();
    ASSERT_RC(weft_thread_join(t, 0.05), WEFT_ETIMEDOUT);
    ASSERT_ELAPSED_AT_LEAST(t0, 0.05);
    ASSERT_TRUE(weft_thread_is_alive(t));
    ASSERT_RC(weft_thread_join(t, 0), WEFT_ETIMEDOUT);
    ASSERT_RC(weft_thread_join(t, -5.0), WEFT_ETIMEDOUT);     /* negative: poll */
    ASSERT_RC(weft_thread_join(t, -INFINITY), WEFT_ETIMEDOUT);/* -inf clamps to 0 */
    atomic_store(&gate, 1);
    ASSERT_OK(weft_thread_join(t, 60.0 * weft_test_factor()));
    ASSERT_FALSE(weft_thread_is_alive(t));
    weft_thread_destroy(t);
}

TEST(ThreadTests_test_join_timeout_max_is_accepted)
{
    weft_thread *t = make(ret_arg, NULL, NULL);
    ASSERT_OK(weft_thread_start(t));
    ASSERT_OK(weft_thread_join(t, WEFT_TIMEOUT_MAX));
    weft_thread_destroy(t);
}

TEST(ThreadTests_test_daemon_param)
{
    weft_thread *t = make(ret_arg, NULL, NULL);
    ASSERT_FALSE(weft_thread_daemon(t));           /* inherited from main */
    weft_thread_attr d = { NULL, WEFT_THREAD_DAEMON, 0 };
    weft_thread *u = make(ret_arg, NULL, &d);
    ASSERT_TRUE(weft_thread_daemon(u));
    weft_thread_attr nd = { NULL, WEFT_THREAD_NON_DAEMON, 0 };
    weft_thread *v = make(ret_arg, NULL, &nd);
    ASSERT_FALSE(weft_thread_daemon(v));
    ASSERT_OK(weft_thread_set_daemon(v, true));
    ASSERT_TRUE(weft_thread_daemon(v));
    weft_thread_destroy(t); weft_thread_destroy(u); weft_thread_destroy(v);
}

static void *make_child_daemon(void *arg)
{
    weft_thread *c = NULL;
    if (weft_thread_create(&c, ret_arg, NULL, NULL) != WEFT_OK) return NULL;
    *(bool *)arg = weft_thread_daemon(c);
    weft_thread_destroy(c);
    return arg;
}

static void foreign_child_daemon(void *arg, int i) { (void)i; make_child_daemon(arg); }

TEST(ThreadTests_test_daemon_inherited)
{
    bool child_daemon = false;
    weft_thread_attr d = { NULL, WEFT_THREAD_DAEMON, 0 };
    weft_thread *t = make(make_child_daemon, &child_daemon, &d);
    ASSERT_OK(weft_thread_start(t));
    ASSERT_OK(weft_thread_join(t, WEFT_FOREVER));
    ASSERT_TRUE(child_daemon);                     /* created in a daemon thread */
    child_daemon = true;
    weft_thread *u = make(make_child_daemon, &child_daemon, NULL);
    ASSERT_OK(weft_thread_start(u));
    ASSERT_OK(weft_thread_join(u, WEFT_FOREVER));
    ASSERT_FALSE(child_daemon);                    /* created in a non-daemon thread */
    child_daemon = false;
    weft_test_join(weft_test_start(1, foreign_child_daemon, &child_daemon));
    ASSERT_TRUE(child_daemon);                     /* created in a foreign thread */
    weft_thread_destroy(t); weft_thread_destroy(u);
}

static void *probe_main(void *arg)
{
    weft_thread **out = arg;
    out[0] = weft_main_thread();
    out[1] = weft_current_thread();
    return NULL;
}

TEST(ThreadTests_test_main_thread)
{
    weft_thread *m = weft_main_thread();
    ASSERT(m != NULL);
    ASSERT_STR_EQ(weft_thread_name(m), "MainThread");
    ASSERT_PTR_EQ(weft_current_thread(), m);
    ASSERT_EQ(weft_thread_ident(m), weft_get_ident());
    ASSERT_EQ(weft_thread_native_id(m), (long)getpid());
    ASSERT_EQ(weft_get_native_id(), (long)getpid());
    ASSERT_FALSE(weft_thread_daemon(m));
    ASSERT_TRUE(weft_thread_is_alive(m));
    ASSERT_TRUE(listed(m));
    weft_thread *seen[2] = { NULL, NULL };
    weft_thread *t = make(probe_main, seen, NULL);
    ASSERT_OK(weft_thread_start(t));
    ASSERT_OK(weft_thread_join(t, WEFT_FOREVER));
    ASSERT_PTR_EQ(seen[0], m);
    ASSERT_PTR_EQ(seen[1], t);
    ASSERT_NE(weft_thread_ident(t), weft_thread_ident(m));
    weft_thread_destroy(t);
}

TEST(ThreadTests_test_leak_without_join)
{
    size_t before = weft_active_count();
    for (int i = 0; i < 10; i++) {
        weft_thread *t = make(ret_arg, NULL, NULL);
        ASSERT_OK(weft_thread_start(t));
        weft_thread_destroy(t);                   /* dropped while maybe running */
    }
    WAIT_UNTIL(weft_active_count() == before, 10);
}

/* ---- ThreadingExceptionTests -------------------------------------------------- */

TEST(ThreadingExceptionTests_test_start_thread_again)
{
    atomic_store(&gate, 0);
    weft_thread *t = make(wait_gate, NULL, NULL);
    ASSERT_OK(weft_thread_start(t));
    ASSERT_RC(weft_thread_start(t), WEFT_ESTATE);  /* while running */
    atomic_store(&gate, 1);
    ASSERT_OK(weft_thread_join(t, WEFT_FOREVER));
    ASSERT_RC(weft_thread_start(t), WEFT_ESTATE);  /* after it finished */
    weft_thread_destroy(t);
}

static void *join_self(void *arg)
{
    (void)arg;
    return (void *)(intptr_t)weft_thread_join(weft_current_thread(), 0);
}

TEST(ThreadingExceptionTests_test_joining_current_thread)
{
    ASSERT_RC(weft_thread_join(weft_main_thread(), WEFT_FOREVER), WEFT_ESTATE);
    weft_thread *t = make(join_self, NULL, NULL);
    ASSERT_OK(weft_thread_start(t));
    ASSERT_OK(weft_thread_join(t, WEFT_FOREVER));
    void *r;
    ASSERT_OK(weft_thread_result(t, &r));
    ASSERT_EQ((intptr_t)r, WEFT_ESTATE);
    weft_thread_destroy(t);
}

TEST(ThreadingExceptionTests_test_joining_inactive_thread)
{
    weft_thread *t = make(ret_arg, NULL, NULL);
    ASSERT_RC(weft_thread_join(t, WEFT_FOREVER), WEFT_ESTATE);
    ASSERT_RC(weft_thread_join(t, 0), WEFT_ESTATE);
    ASSERT_RC(weft_thread_join(t, NAN), WEFT_ESTATE);   /* state is checked first */
    ASSERT_FALSE(weft_thread_is_alive(t));
    weft_thread_destroy(t);
}

TEST(ThreadingExceptionTests_test_daemonize_active_thread)
{
    atomic_store(&gate, 0);
    weft_thread *t = make(wait_gate, NULL, NULL);
    ASSERT_OK(weft_thread_start(t));
    ASSERT_RC(weft_thread_set_daemon(t, true), WEFT_ESTATE);
    ASSERT_FALSE(weft_thread_daemon(t));
    atomic_store(&gate, 1);
    ASSERT_OK(weft_thread_join(t, WEFT_FOREVER));
    ASSERT_RC(weft_thread_set_daemon(t, true), WEFT_ESTATE);   /* even finished */
    ASSERT_RC(weft_thread_set_daemon(weft_main_thread(), true), WEFT_ESTATE);
    ASSERT_FALSE(weft_thread_daemon(t));
    weft_thread_destroy(t);
}

/* stderr capture for the excepthook tests */
static int cap_fd = -1, cap_saved = -1;
static FILE *cap_file;
static void capture_begin(void)
{
    fflush(stderr);
    cap_file = tmpfile();
    ASSERT(cap_file != NULL);
    cap_saved = dup(2);
    cap_fd = fileno(cap_file);
    ASSERT(dup2(cap_fd, 2) >= 0);
}
static void capture_end(char *buf, size_t cap)
{
    fflush(stderr);
    dup2(cap_saved, 2);
    close(cap_saved);
    rewind(cap_file);
    size_t n = fread(buf, 1, cap - 1, cap_file);
    buf[n] = '\0';
    fclose(cap_file);
}

static void *failing_body(void *arg)
{
    weft_fail(WEFT_EFAIL, "boom %d", 42);
    return arg;
}

TEST(ThreadingExceptionTests_test_print_exception)
{
    weft_thread_attr a = { "failer", 0, 0 };
    weft_thread *t = make(failing_body, NULL, &a);
    char out[512];
    capture_begin();
    ASSERT_OK(weft_thread_start(t));
    ASSERT_OK(weft_thread_join(t, WEFT_FOREVER));
    capture_end(out, sizeof out);
    ASSERT_STR_EQ(out, "Exception in thread failer:\nWEFT_EFAIL: boom 42\n");
    const char *msg = NULL;
    ASSERT_RC(weft_thread_failure(t, &msg), WEFT_EFAIL);
    ASSERT_STR_EQ(msg, "boom 42");
    weft_thread_destroy(t);
}

/* ---- ExceptHookTests -------------------------------------------------------------- */

struct hook_seen {
    int calls;
    int code;
    char msg[64];
    weft_thread *thread;
    uint64_t ran_in;
    bool chain_default;
};

static void my_hook(const weft_excepthook_args *args, void *ud)
{
    struct hook_seen *h = ud;
    h->calls++;
    h->code = args->code;
    snprintf(h->msg, sizeof h->msg, "%s", args->message);
    h->thread = args->thread;
    h->ran_in = weft_get_ident();
    if (h->chain_default) weft_default_excepthook(args, NULL);
}

static void *fail_code_only(void *arg)
{
    (void)arg;
    weft_fail(WEFT_ETIMEDOUT, NULL);
    return NULL;
}

TEST(ExceptHookTests_test_custom_excepthook)
{
    struct hook_seen h;
    memset(&h, 0, sizeof h);
    weft_set_excepthook(my_hook, &h);
    weft_thread *t = make(failing_body, NULL, NULL);
    ASSERT_OK(weft_thread_start(t));
    ASSERT_OK(weft_thread_join(t, WEFT_FOREVER));
    weft_set_excepthook(NULL, NULL);
    ASSERT_EQ(h.calls, 1);
    ASSERT_EQ(h.code, WEFT_EFAIL);
    ASSERT_STR_EQ(h.msg, "boom 42");
    ASSERT_PTR_EQ(h.thread, t);
    ASSERT_EQ(h.ran_in, weft_thread_ident(t));      /* runs in the failed thread */
    weft_thread_destroy(t);
}

TEST(ExceptHookTests_test_excepthook_not_called_without_failure)
{
    struct hook_seen h;
    memset(&h, 0, sizeof h);
    weft_set_excepthook(my_hook, &h);
    weft_thread *t = make(ret_arg, NULL, NULL);
    ASSERT_OK(weft_thread_start(t));
    ASSERT_OK(weft_thread_join(t, WEFT_FOREVER));
    weft_set_excepthook(NULL, NULL);
    ASSERT_EQ(h.calls, 0);
    const char *msg = "x";
    ASSERT_OK(weft_thread_failure(t, &msg));
    ASSERT(msg == NULL);
    weft_thread_destroy(t);
}

TEST(ExceptHookTests_test_original_excepthook)
{
    struct hook_seen h;
    memset(&h, 0, sizeof h);
    h.chain_default = true;
    weft_set_excepthook(my_hook, &h);
    weft_thread_attr a = { "T1", 0, 0 };
    weft_thread *t = make(fail_code_only, NULL, &a);
    char out[512];
    capture_begin();
    ASSERT_OK(weft_thread_start(t));
    ASSERT_OK(weft_thread_join(t, WEFT_FOREVER));
    capture_end(out, sizeof out);
    weft_set_excepthook(NULL, NULL);
    ASSERT_EQ(h.calls, 1);
    ASSERT_STR_EQ(h.msg, "");                     /* no message: "" */
    ASSERT_STR_EQ(out, "Exception in thread T1:\nWEFT_ETIMEDOUT: timed out\n");
    weft_thread_destroy(t);
}

TEST(ExceptHookTests_test_excepthook_thread_None)
{
    weft_excepthook_args a = { NULL, WEFT_EFAIL, "manual" };
    char out[512], want[512];
    capture_begin();
    weft_default_excepthook(&a, NULL);
    capture_end(out, sizeof out);
    snprintf(want, sizeof want, "Exception in thread %llu:\nWEFT_EFAIL: manual\n",
             (unsigned long long)weft_get_ident());
    ASSERT_STR_EQ(out, want);
}

/* ---- results, failures, weft_fail ------------------------------------------------ */

TEST(result_before_finish_is_estate)
{
    atomic_store(&gate, 0);
    weft_thread *t = make(wait_gate, (void *)0x1234, NULL);
    void *r = (void *)1;
    ASSERT_RC(weft_thread_result(t, &r), WEFT_ESTATE);
    ASSERT_RC(weft_thread_failure(t, NULL), WEFT_ESTATE);
    ASSERT_OK(weft_thread_start(t));
    ASSERT_RC(weft_thread_result(t, &r), WEFT_ESTATE);
    ASSERT_PTR_EQ(r, (void *)1);
    atomic_store(&gate, 1);
    ASSERT_OK(weft_thread_join(t, WEFT_FOREVER));
    ASSERT_OK(weft_thread_result(t, &r));
    ASSERT_PTR_EQ(r, (void *)0x1234);
    ASSERT_RC(weft_thread_result(weft_main_thread(), &r), WEFT_ESTATE);
    weft_thread_destroy(t);
}

static void *fail_twice(void *arg)
{
    (void)arg;
    ASSERT_EQ(weft_fail(WEFT_EINVAL, "first"), WEFT_EINVAL);
    ASSERT_EQ(weft_fail(5, "second %s", "x"), WEFT_EFAIL);   /* code >= 0: EFAIL */
    return NULL;
}

TEST(fail_later_call_replaces_earlier)
{
    struct hook_seen h;
    memset(&h, 0, sizeof h);
    weft_set_excepthook(my_hook, &h);
    weft_thread *t = make(fail_twice, NULL, NULL);
    ASSERT_OK(weft_thread_start(t));
    ASSERT_OK(weft_thread_join(t, WEFT_FOREVER));
    weft_set_excepthook(NULL, NULL);
    const char *msg;
    ASSERT_RC(weft_thread_failure(t, &msg), WEFT_EFAIL);
    ASSERT_STR_EQ(msg, "second x");
    ASSERT_EQ(h.calls, 1);
    weft_thread_destroy(t);
}

static void foreign_fail(void *arg, int i)
{
    (void)i;
    int *rc = arg;
    weft_fail(WEFT_EBROKEN, "from %s", "foreign");
    char *m = NULL;
    rc[0] = weft__take_failure(&m);
    rc[1] = m && strcmp(m, "from foreign") == 0;
    free(m);
    rc[2] = weft__take_failure(&m);              /* cleared */
    rc[3] = m == NULL;
    weft_fail(WEFT_EFAIL, "left behind");         /* freed at thread exit */
}

TEST(fail_in_foreign_thread_and_take_failure)
{
    int rc[4] = { 0, 0, 1, 0 };
    weft_test_join(weft_test_start(1, foreign_fail, rc));
    ASSERT_RC(rc[0], WEFT_EBROKEN);
    ASSERT_TRUE(rc[1]);
    ASSERT_RC(rc[2], WEFT_OK);
    ASSERT_TRUE(rc[3]);
    /* and in the main thread */
    weft_fail(WEFT_EFAIL, "main %d", 1);
    char *m = NULL;
    ASSERT_RC(weft__take_failure(&m), WEFT_EFAIL);
    ASSERT_STR_EQ(m, "main 1");
    free(m);
    ASSERT_RC(weft__take_failure(NULL), WEFT_OK);
}

/* ---- reference counting ---------------------------------------------------------- */

TEST(destroy_of_running_thread_is_safe)
{
    atomic_store(&gate, 0);
    atomic_store(&entered, 0);
    size_t before = weft_active_count();
    weft_thread *t = make(wait_gate, NULL, NULL);
    ASSERT_OK(weft_thread_start(t));
    weft_thread *extra = weft_thread_ref(t);
    ASSERT_PTR_EQ(extra, t);
    weft_thread_destroy(t);                        /* creator's reference gone */
    ASSERT_TRUE(weft_thread_is_alive(extra));
    weft_thread_unref(extra);                      /* only the thread's own + registry */
    WAIT_UNTIL(atomic_load(&entered) == 1, 10);
    ASSERT_EQ(weft_active_count(), before + 1);
    atomic_store(&gate, 1);
    WAIT_UNTIL(weft_active_count() == before, 10);
    weft_thread_unref(NULL);
    weft_thread_destroy(NULL);
    ASSERT(weft_thread_ref(NULL) == NULL);
}

TEST(destroy_never_started)
{
    weft_thread *t = make(ret_arg, NULL, NULL);
    ASSERT_OK(weft_thread_set_name(t, "renamed"));
    weft_thread_destroy(t);
}

/* ---- names ------------------------------------------------------------------------- */

static void *report_os_name(void *arg)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/self/task/%ld/comm", weft_get_native_id());
    FILE *f = fopen(path, "r");
    if (f) {
        if (!fgets(arg, 64, f)) ((char *)arg)[0] = '\0';
        fclose(f);
    }
    char *nl = strchr(arg, '\n');
    if (nl) *nl = '\0';
    return NULL;
}

TEST(os_thread_name_is_set_and_truncated)
{
    char got[64] = "";
    weft_thread_attr a = { "a-very-long-thread-name", 0, 0 };
    weft_thread *t = make(report_os_name, got, &a);
    ASSERT_OK(weft_thread_start(t));
    ASSERT_OK(weft_thread_join(t, WEFT_FOREVER));
    ASSERT_STR_EQ(got, "a-very-long-thr");                 /* 15 bytes */
    ASSERT_STR_EQ(weft_thread_name(t), "a-very-long-thread-name");
    weft_thread_destroy(t);
}

static void *name_then_wait(void *arg)
{
    atomic_fetch_add(&entered, 1);
    while (!atomic_load(&gate)) weft_test_sleep(0.0005);
    return report_os_name(arg);
}

TEST(set_name_while_running_sets_os_name)
{
    atomic_store(&gate, 0);
    atomic_store(&entered, 0);
    char got[64] = "";
    weft_thread *t = make(name_then_wait, got, NULL);
    const char *first = weft_thread_name(t);
    ASSERT_OK(weft_thread_start(t));
    ASSERT_OK(weft_thread_set_name(t, "worker8-\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"));
    ASSERT_EQ(strncmp(first, "Thread-", 7), 0);           /* old string still valid */
    atomic_store(&gate, 1);
    ASSERT_OK(weft_thread_join(t, WEFT_FOREVER));
    ASSERT_STR_EQ(got, "worker8-\xc3\xa9\xc3\xa9\xc3\xa9");  /* cut at a UTF-8 boundary */
    ASSERT_OK(weft_thread_set_name(t, "after"));          /* any time */
    ASSERT_STR_EQ(weft_thread_name(t), "after");
    weft_thread_destroy(t);
}

/* ---- module functions -------------------------------------------------------------- */

TEST(active_count_and_enumerate)
{
    atomic_store(&gate, 0);
    atomic_store(&entered, 0);
    size_t before = weft_active_count();
    ASSERT_GE(before, 1);
    weft_thread *ts[3];
    for (int i = 0; i < 3; i++) {
        ts[i] = make(wait_gate, NULL, NULL);
        ASSERT_FALSE(listed(ts[i]));               /* unstarted: not listed */
        ASSERT_OK(weft_thread_start(ts[i]));
    }
    ASSERT_EQ(weft_active_count(), before + 3);
    weft_thread *one[1] = { NULL };
    ASSERT_EQ(weft_enumerate(one, 1), before + 3);  /* total, even if cap is smaller */
    ASSERT(one[0] != NULL);
    weft_thread_unref(one[0]);
    ASSERT_EQ(weft_enumerate(NULL, 0), before + 3);
    atomic_store(&gate, 1);
    for (int i = 0; i < 3; i++) {
        ASSERT_OK(weft_thread_join(ts[i], WEFT_FOREVER));
        weft_thread_destroy(ts[i]);
    }
    ASSERT_EQ(weft_active_count(), before);
}

static void *native_probe(void *arg)
{
    *(long *)arg = weft_get_native_id();
    return NULL;
}

TEST(native_id_matches_get_native_id)
{
    long seen = 0;
    weft_thread *t = make(native_probe, &seen, NULL);
    ASSERT_OK(weft_thread_start(t));
    ASSERT_OK(weft_thread_join(t, WEFT_FOREVER));
    ASSERT_EQ(seen, weft_thread_native_id(t));
    ASSERT_NE(seen, (long)getpid());
    weft_thread_destroy(t);
}

TEST(stack_size_rules)
{
    long old = 7;
    ASSERT_EQ(weft_get_stack_size(), 0);
    ASSERT_RC(weft_stack_size(-1, &old), WEFT_EINVAL);
    ASSERT_EQ(old, 7);
    ASSERT_RC(weft_stack_size(1, &old), WEFT_EINVAL);
    ASSERT_RC(weft_stack_size(32767, &old), WEFT_EINVAL);
    ASSERT_EQ(old, 7);
    ASSERT_EQ(weft_get_stack_size(), 0);
    ASSERT_OK(weft_stack_size(32768, &old));
    ASSERT_EQ(old, 0);
    ASSERT_OK(weft_stack_size(0, &old));
    ASSERT_EQ(old, 32768);
    weft_thread_attr a = { NULL, 0, 65536 };
    weft_thread *t = make(ret_arg, NULL, &a);
    ASSERT_OK(weft_thread_start(t));
    ASSERT_OK(weft_thread_join(t, WEFT_FOREVER));
    weft_thread_destroy(t);
}

/* ---- misuse matrix: each bad input returns its code and changes nothing ----------- */

TEST(misuse_create_null_out)
{
    ASSERT_RC(weft_thread_create(NULL, ret_arg, NULL, NULL), WEFT_EINVAL);
}

TEST(misuse_create_null_fn)
{
    weft_thread *t = (weft_thread *)0x1;
    ASSERT_RC(weft_thread_create(&t, NULL, NULL, NULL), WEFT_EINVAL);
    ASSERT_PTR_EQ(t, (void *)0x1);
}

TEST(misuse_create_unknown_flag)
{
    weft_thread *t = (weft_thread *)0x1;
    weft_thread_attr a = { NULL, 0x4, 0 };
    ASSERT_RC(weft_thread_create(&t, ret_arg, NULL, &a), WEFT_EINVAL);
    ASSERT_PTR_EQ(t, (void *)0x1);
}

TEST(misuse_create_both_daemon_flags)
{
    weft_thread *t = (weft_thread *)0x1;
    weft_thread_attr a = { NULL, WEFT_THREAD_DAEMON | WEFT_THREAD_NON_DAEMON, 0 };
    ASSERT_RC(weft_thread_create(&t, ret_arg, NULL, &a), WEFT_EINVAL);
    ASSERT_PTR_EQ(t, (void *)0x1);
}

TEST(misuse_create_negative_stack)
{
    weft_thread *t = (weft_thread *)0x1;
    weft_thread_attr a = { NULL, 0, -1 };
    ASSERT_RC(weft_thread_create(&t, ret_arg, NULL, &a), WEFT_EINVAL);
    ASSERT_PTR_EQ(t, (void *)0x1);
}

TEST(misuse_create_small_stack)
{
    weft_thread *t = (weft_thread *)0x1;
    weft_thread_attr a = { NULL, 0, 32767 };
    ASSERT_RC(weft_thread_create(&t, ret_arg, NULL, &a), WEFT_EINVAL);
    a.stack_size = 1;
    ASSERT_RC(weft_thread_create(&t, ret_arg, NULL, &a), WEFT_EINVAL);
    ASSERT_PTR_EQ(t, (void *)0x1);
}

TEST(misuse_start_null) { ASSERT_RC(weft_thread_start(NULL), WEFT_EINVAL); }

TEST(misuse_join_null) { ASSERT_RC(weft_thread_join(NULL, 0), WEFT_EINVAL); }

TEST(misuse_join_nan)
{
    atomic_store(&gate, 0);
    weft_thread *t = make(wait_gate, NULL, NULL);
    ASSERT_OK(weft_thread_start(t));
    ASSERT_RC(weft_thread_join(t, NAN), WEFT_EINVAL);
    ASSERT_TRUE(weft_thread_is_alive(t));
    atomic_store(&gate, 1);
    ASSERT_OK(weft_thread_join(t, WEFT_FOREVER));
    weft_thread_destroy(t);
}

TEST(misuse_join_too_big)
{
    atomic_store(&gate, 0);
    weft_thread *t = make(wait_gate, NULL, NULL);
    ASSERT_OK(weft_thread_start(t));
    ASSERT_RC(weft_thread_join(t, WEFT_TIMEOUT_MAX * 2), WEFT_EOVERFLOW);
    ASSERT_RC(weft_thread_join(t, INFINITY), WEFT_EOVERFLOW);
    ASSERT_TRUE(weft_thread_is_alive(t));
    atomic_store(&gate, 1);
    ASSERT_OK(weft_thread_join(t, WEFT_FOREVER));
    weft_thread_destroy(t);
}

TEST(misuse_set_name_null)
{
    weft_thread *t = make(ret_arg, NULL, NULL);
    const char *before = weft_thread_name(t);
    ASSERT_RC(weft_thread_set_name(NULL, "x"), WEFT_EINVAL);
    ASSERT_RC(weft_thread_set_name(t, NULL), WEFT_EINVAL);
    ASSERT_PTR_EQ(weft_thread_name(t), before);
    weft_thread_destroy(t);
}

TEST(misuse_set_daemon_null) { ASSERT_RC(weft_thread_set_daemon(NULL, true), WEFT_EINVAL); }

TEST(misuse_result_null)
{
    weft_thread *t = make(ret_arg, NULL, NULL);
    ASSERT_OK(weft_thread_start(t));
    ASSERT_OK(weft_thread_join(t, WEFT_FOREVER));
    void *r = (void *)0x5;
    ASSERT_RC(weft_thread_result(NULL, &r), WEFT_EINVAL);
    ASSERT_RC(weft_thread_result(t, NULL), WEFT_EINVAL);
    ASSERT_PTR_EQ(r, (void *)0x5);
    weft_thread_destroy(t);
}

TEST(misuse_failure_null) { ASSERT_RC(weft_thread_failure(NULL, NULL), WEFT_EINVAL); }

TEST(misuse_queries_null)
{
    ASSERT_FALSE(weft_thread_is_alive(NULL));
    ASSERT_EQ(weft_thread_ident(NULL), 0);
    ASSERT_EQ(weft_thread_native_id(NULL), 0);
    ASSERT_STR_EQ(weft_thread_name(NULL), "");
    ASSERT_FALSE(weft_thread_daemon(NULL));
    weft_default_excepthook(NULL, NULL);
}

TEST(misuse_stack_size_negative)
{
    ASSERT_OK(weft_stack_size(65536, NULL));
    ASSERT_RC(weft_stack_size(-65536, NULL), WEFT_EINVAL);
    ASSERT_EQ(weft_get_stack_size(), 65536);
    ASSERT_OK(weft_stack_size(0, NULL));
}

/* ---- errno is never changed ----------------------------------------------------- */

TEST(errno_is_preserved)
{
    errno = 4242;
    weft_thread *t = NULL;
    ASSERT_OK(weft_thread_create(&t, failing_body, NULL, NULL));
    ASSERT_EQ(errno, 4242);
    struct hook_seen h;
    memset(&h, 0, sizeof h);
    weft_set_excepthook(my_hook, &h);
    ASSERT_OK(weft_thread_set_name(t, "e"));
    ASSERT_OK(weft_thread_start(t));
    ASSERT_EQ(errno, 4242);
    ASSERT_OK(weft_thread_join(t, WEFT_FOREVER));
    ASSERT_EQ(errno, 4242);
    weft_set_excepthook(NULL, NULL);
    ASSERT_RC(weft_thread_create(&t, NULL, NULL, NULL), WEFT_EINVAL);
    ASSERT_RC(weft_stack_size(-1, NULL), WEFT_EINVAL);
    ASSERT_OK(weft_stack_size(0, NULL));
    (void)weft_get_native_id();
    (void)weft_current_thread();
    weft_thread *all[8];
    size_t n = weft_enumerate(all, 8);
    for (size_t i = 0; i < n && i < 8; i++) weft_thread_unref(all[i]);
    weft_fail(WEFT_EFAIL, "x");
    ASSERT_RC(weft__take_failure(NULL), WEFT_EFAIL);
    ASSERT_EQ(errno, 4242);
    weft_thread_destroy(t);
    ASSERT_EQ(errno, 4242);
}

/* ---- stress ----------------------------------------------------------------------- */

static _Atomic long stress_sum;
static void *add_one(void *arg) { atomic_fetch_add(&stress_sum, (long)(intptr_t)arg); return NULL; }

SLOW_TEST(stress_start_join_many)
{
    long iters = weft_test_iters(2000);
    atomic_store(&stress_sum, 0);
    for (long i = 0; i < iters; i++) {
        weft_thread *t = make(add_one, (void *)(intptr_t)1, NULL);
        ASSERT_OK(weft_thread_start(t));
        if (i % 2) ASSERT_OK(weft_thread_join(t, WEFT_FOREVER));
        weft_thread_destroy(t);
    }
    WAIT_UNTIL(weft_active_count() == 1, 30);
    ASSERT_EQ(atomic_load(&stress_sum), iters);
}

static weft_thread *racing;
static void *join_racing(void *arg)
{
    (void)arg;
    return (void *)(intptr_t)weft_thread_join(racing, WEFT_FOREVER);
}

SLOW_TEST(stress_joiners_race_thread_exit)
{
    long iters = weft_test_iters(300);
    for (long i = 0; i < iters; i++) {
        racing = make(ret_arg, NULL, NULL);
        weft_thread *js[3];
        for (int k = 0; k < 3; k++) js[k] = make(join_racing, NULL, NULL);
        ASSERT_OK(weft_thread_start(racing));
        for (int k = 0; k < 3; k++) ASSERT_OK(weft_thread_start(js[k]));
        for (int k = 0; k < 3; k++) {
            void *r;
            ASSERT_OK(weft_thread_join(js[k], WEFT_FOREVER));
            ASSERT_OK(weft_thread_result(js[k], &r));
            ASSERT_EQ((intptr_t)r, WEFT_OK);
            weft_thread_destroy(js[k]);
        }
        weft_thread_destroy(racing);
    }
}
