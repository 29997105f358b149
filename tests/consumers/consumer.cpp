// SPDX-License-Identifier: MIT
// A minimal C++ consumer of weft.h: the headers must compile as C++ and link
// with C linkage.
#include <weft.h>
#include <cstdio>

static void *body(void *arg) { return arg; }

int main()
{
    weft_thread *t = nullptr;
    int x = 1;
    if (weft_thread_create(&t, body, &x, nullptr) != WEFT_OK) return 1;
    if (weft_thread_start(t) != WEFT_OK) return 2;
    if (weft_thread_join(t, WEFT_FOREVER) != WEFT_OK) return 3;
    weft_thread_destroy(t);
    std::printf("c++ consumer ok\n");
    return 0;
}
