/* SPDX-License-Identifier: MIT */
/* seed000_print_numbers.c: a thread with arguments, join, two threads.
 *
 * Seed 000 ("Starting and Synchronizing Threads"), section "A Simple Thread":
 *     def print_numbers(number, delay=1):
 *         for i in range(number):
 *             print(i)
 *             sleep(delay)
 *     t = Thread(target=print_numbers, args=(10,), kwargs={'delay': .2})
 *     t.start(); print('Thread started'); t.join(); print('Thread finished')
 *     t1 = Thread(target=print_numbers, args=(10,), kwargs={'delay': .5})
 *     t2 = Thread(target=print_numbers, args=(5,))
 *     t1.start(); t2.start(); t1.join(); t2.join()
 * In C, args and kwargs become one struct passed as the thread's argument.
 * WEFT_DEMO_FAST=1 divides the delays by 20.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "weft.h"

struct print_args {
    int number;     /* args=(number,) */
    double delay;   /* kwargs={'delay': ...}, default 1 */
};

static double pace = 1.0;

static void sleep_for(double seconds)
{
    seconds *= pace;
    struct timespec ts = { (time_t)seconds, (long)((seconds - (double)(time_t)seconds) * 1e9) };
    nanosleep(&ts, NULL);
}

static void *print_numbers(void *arg)
{
    const struct print_args *a = arg;
    for (int i = 0; i < a->number; i++) {
        printf("%s: %d\n", weft_thread_name(weft_current_thread()), i);
        fflush(stdout);
        sleep_for(a->delay);
    }
    return NULL;
}

static int check(int rc, const char *what)
{
    if (rc != WEFT_OK) {
        fprintf(stderr, "%s: %s (%s)\n", what, weft_errname(rc), weft_strerror(rc));
        exit(1);
    }
    return rc;
}

int main(void)
{
    const char *fast = getenv("WEFT_DEMO_FAST");
    if (fast && strcmp(fast, "1") == 0) pace = 0.05;

    /* One thread with an argument, then join. */
    struct print_args a = { 10, 0.2 };
    weft_thread *t;
    check(weft_thread_create(&t, print_numbers, &a, NULL), "create");
    check(weft_thread_start(t), "start");
    printf("Thread started\n");
    fflush(stdout);
    check(weft_thread_join(t, WEFT_FOREVER), "join");
    printf("Thread finished\n");
    weft_thread_destroy(t);

    /* Two threads printing at the same time. */
    struct print_args a1 = { 10, 0.5 }, a2 = { 5, 1.0 };
    weft_thread *t1, *t2;
    check(weft_thread_create(&t1, print_numbers, &a1, NULL), "create t1");
    check(weft_thread_create(&t2, print_numbers, &a2, NULL), "create t2");
    check(weft_thread_start(t1), "start t1");
    check(weft_thread_start(t2), "start t2");
    check(weft_thread_join(t1, WEFT_FOREVER), "join t1");
    check(weft_thread_join(t2, WEFT_FOREVER), "join t2");
    printf("Both threads finished\n");
    weft_thread_destroy(t1);
    weft_thread_destroy(t2);
    return 0;
}
