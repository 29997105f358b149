/* SPDX-License-Identifier: MIT */
/* test-error.c: the error table, weft_strerror and weft_errname. */
#include "harness.h"

TEST(codes_are_distinct_and_negative)
{
    static const int codes[] = {
#define X(name, value, msg) WEFT_##name,
        WEFT_ERROR_TABLE(X)
#undef X
    };
    size_t n = sizeof codes / sizeof codes[0];
    ASSERT_EQ(codes[0], WEFT_OK);
    ASSERT_EQ(WEFT_OK, 0);
    for (size_t i = 1; i < n; i++) {
        ASSERT_LT(codes[i], 0);
        for (size_t j = 0; j < i; j++) ASSERT_NE(codes[i], codes[j]);
    }
}

TEST(names_and_messages)
{
    ASSERT_STR_EQ(weft_errname(WEFT_OK), "WEFT_OK");
    ASSERT_STR_EQ(weft_errname(WEFT_ETIMEDOUT), "WEFT_ETIMEDOUT");
    ASSERT_STR_EQ(weft_errname(WEFT_EBROKENPOOL), "WEFT_EBROKENPOOL");
    ASSERT_STR_EQ(weft_strerror(WEFT_OK), "success");
    ASSERT_STR_EQ(weft_strerror(WEFT_ETIMEDOUT), "timed out");
#define X(name, value, msg)                                                     \
    ASSERT_STR_EQ(weft_errname(value), "WEFT_" #name);                          \
    ASSERT_STR_EQ(weft_strerror(value), msg);
    WEFT_ERROR_TABLE(X)
#undef X
}

TEST(unknown_codes)
{
    ASSERT_STR_EQ(weft_errname(1), "WEFT_E?");
    ASSERT_STR_EQ(weft_errname(-1000), "WEFT_E?");
    ASSERT_STR_EQ(weft_strerror(12345), "unknown weft error");
}
