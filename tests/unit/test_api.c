/* The stable API's contract (docs/api.md): the headers' version is the library's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>

#include "msizarr/msizarr.h"

static void test_version(void **state)
{
    (void)state;
    char headers[32];
    snprintf(headers, sizeof headers, "%d.%d.%d", MSIZ_VERSION_MAJOR, MSIZ_VERSION_MINOR,
             MSIZ_VERSION_PATCH);
    /* msiz_version() is CMake's project(VERSION): this fails when the header disagrees */
    assert_string_equal(msiz_version(), headers);
    assert_int_equal(msiz_version_number(), MSIZ_VERSION_NUMBER);
    assert_int_equal(MSIZ_VERSION_NUMBER,
                     MSIZ_VERSION_MAJOR * 10000 + MSIZ_VERSION_MINOR * 100 + MSIZ_VERSION_PATCH);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_version),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
