/* SPDX-License-Identifier: MIT */
/* A minimal C11 consumer of weft.h: compiled with -std=c11 -pedantic -Werror,
 * and built against an installed weft by install-check.sh. */
#include <weft.h>
#include <stdio.h>

static void *body(void *arg) { return arg; }

int main(void)
{
    weft_thread *t;
    int x = 1;
    if (weft_thread_create(&t, body, &x, NULL) != WEFT_OK) return 1;
    if (weft_thread_start(t) != WEFT_OK) return 2;
    if (weft_thread_join(t, WEFT_FOREVER) != WEFT_OK) return 3;
    void *r = NULL;
    if (weft_thread_result(t, &r) != WEFT_OK || r != &x) return 4;
    weft_thread_destroy(t);
    printf("consumer ok\n");
    return 0;
}
