/* SPDX-License-Identifier: MIT */
/* platform/posix/os-signal.c: the dump-on-signal plumbing (internal/os.h).
 *
 * The signal handler does one async-signal-safe thing: write() one byte to a pipe
 * (saving and restoring errno). A raw OS thread (not a weft thread, so it never
 * shows in weft_enumerate) blocks in read() on the other end and calls the
 * callback for each byte. Removing the handler restores the previous disposition
 * and leaves the reader parked on the pipe (it costs one sleeping thread and
 * two descriptors, and is reused by the next install).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "internal/os.h"
#include "weft/error.h"

static int sig_pipe[2] = { -1, -1 };
static void (*sig_callback)(void);
static int sig_current;              /* the installed signal, 0 if none */
static struct sigaction sig_old;

static void on_signal(int signo)
{
    (void)signo;
    int saved = errno;
    char byte = 1;
    ssize_t n = write(sig_pipe[1], &byte, 1);   /* full pipe: a dump is pending anyway */
    (void)n;
    errno = saved;
}

static void *reader(void *arg)
{
    (void)arg;
    for (;;) {
        char buf[16];
        ssize_t n = read(sig_pipe[0], buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return NULL;
        if (sig_callback) sig_callback();
    }
}

/* Install (signo > 0) or remove (signo == 0) the handler. Called with the debug
 * module's lock held, so no two calls race. */
int weft__os_sigdump(int signo, void (*callback)(void))
{
    volatile int saved = errno;
    int rc = WEFT_OK;
    if (signo == 0) {
        if (sig_current) sigaction(sig_current, &sig_old, NULL);
        sig_current = 0;
        goto out;
    }
    if (signo < 0 || signo >= NSIG || signo == SIGKILL || signo == SIGSTOP) {
        rc = WEFT_EINVAL;
        goto out;
    }
    if (sig_current) {
        rc = sig_current == signo ? WEFT_OK : WEFT_ESTATE;
        goto out;
    }
    if (sig_pipe[0] < 0) {
        int p[2];
        if (pipe(p) != 0) {
            rc = errno == ENFILE || errno == EMFILE ? WEFT_EAGAIN : WEFT_EFAIL;
            goto out;
        }
        fcntl(p[0], F_SETFD, FD_CLOEXEC);
        fcntl(p[1], F_SETFD, FD_CLOEXEC);
        fcntl(p[1], F_SETFL, O_NONBLOCK);
        sig_pipe[0] = p[0];
        sig_pipe[1] = p[1];
        sig_callback = callback;
        rc = weft__os_thread_start(reader, NULL, 0);
        if (rc != WEFT_OK) {
            close(p[0]);
            close(p[1]);
            sig_pipe[0] = sig_pipe[1] = -1;
            goto out;
        }
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    if (sigaction(signo, &sa, &sig_old) != 0) {
        rc = WEFT_EINVAL;
        goto out;
    }
    sig_current = signo;
out:
    errno = saved;
    return rc;
}
