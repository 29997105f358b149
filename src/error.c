/* SPDX-License-Identifier: MIT */
/* error.c: weft_strerror and weft_errname, generated from WEFT_ERROR_TABLE. */
#include "weft/error.h"

const char *weft_strerror(int code)
{
    switch (code) {
#define X(name, value, msg) case (value): return msg;
    WEFT_ERROR_TABLE(X)
#undef X
    default: return "unknown weft error";
    }
}

const char *weft_errname(int code)
{
    switch (code) {
#define X(name, value, msg) case (value): return "WEFT_" #name;
    WEFT_ERROR_TABLE(X)
#undef X
    default: return "WEFT_E?";
    }
}
