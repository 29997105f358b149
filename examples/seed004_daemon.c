/* seed004_daemon.c: a non-daemon thread keeps the program alive after main ends; a
 * daemon thread does not.
 *
 * Seed: 004_2633024b5bf1a899.txt, "Daemon Thread"; also 003_aa0c9ec6fed297a8.txt,
 * "Thread Execution" and "Daemonic Threads".
 *
 * Python original:
 *     def regular_thread_task():
 *         while True:
 *             print("{0} executing".format(current_thread().getName()))
 *             time.sleep(1)
 *     regularThread = Thread(target=regular_thread_task, name="regularThread", daemon=False)
 *     regularThread.start(); time.sleep(3)
 *     print("Main thread exiting but Python program doesn't")
 *   and the same with name="daemonThread", daemon=True:
 *     print("Main thread exiting and Python program too")
 *
 * weft keeps Python's exit rule: when main() returns, the process waits for every
 * non-daemon weft thread; daemon threads are cut off. Each half runs in a child
 * process (fork) so that this program can show both exits. The seed's regular
 * thread loops forever (the tutorial's widget times out); here it stops after 6
 * rounds so the program ends - 3 of them after main has returned.
 */
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "demo.h"

static void *task(void *arg)
{
    int rounds = (int)(intptr_t)arg;   /* 0: forever */
    for (int i = 1; rounds == 0 || i <= rounds; i++) {
        say("%s executing (%d)\n", weft_thread_name(weft_current_thread()), i);
        demo_sleep(1.0);
    }
    say("%s done\n", weft_thread_name(weft_current_thread()));
    return NULL;
}

/* In a child process: start the thread, sleep 3 rounds, return from "main". */
static int child(bool daemon)
{
    weft_thread_attr attr = {
        .name = daemon ? "daemonThread" : "regularThread",
        .flags = daemon ? WEFT_THREAD_DAEMON : WEFT_THREAD_NON_DAEMON,
    };
    weft_thread *t;
    CHECK(weft_thread_create(&t, task, (void *)(intptr_t)(daemon ? 0 : 6), &attr));
    CHECK(weft_thread_start(t));
    demo_sleep(2.5);
    weft_thread_destroy(t);   /* drops the handle; the thread runs on */
    say(daemon ? "Main thread exiting and program too\n"
               : "Main thread exiting but program doesn't\n");
    return 0;                 /* exit(): waits for non-daemon threads only */
}

static void run_in_child(bool daemon)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        exit(1);
    }
    if (pid == 0)
        exit(child(daemon));
    int status;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "child failed\n");
        exit(1);
    }
    say("(child process exited)\n");
}

int main(void)
{
    say("1. daemon=False\n");
    run_in_child(false);
    say("2. daemon=True\n");
    run_in_child(true);
    return 0;
}
