/* Converter option checks (input-independent) and size parsing, at the library level. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "msizarr/convert.h"

static void expect_refused(const msiz_convert_opts *o, const char *fragment)
{
    assert_int_equal(msiz_convert_opts_check(o), MSIZ_E_ARG);
    assert_non_null(strstr(msiz_last_error(), fragment));
    /* msiz_convert refuses the same options before touching its input */
    assert_int_equal(msiz_convert("/nonexistent.imzML", "/nonexistent.zarr", o, NULL), MSIZ_E_ARG);
}

static void test_checks(void **state)
{
    (void)state;
    msiz_convert_opts o;
    msiz_convert_opts_init(&o);
    assert_int_equal(msiz_convert_opts_check(&o), MSIZ_OK);
    o.dataset_id = "bad/id";
    expect_refused(&o, "--dataset-id 'bad/id'");
    msiz_convert_opts_init(&o);
    o.memory_limit = 1 << 20;
    expect_refused(&o, "--memory-limit must be at least 4MiB");
    msiz_convert_opts_init(&o);
    o.has_pixel_size = 1;
    expect_refused(&o, "--pixel-size must be > 0");
    msiz_convert_opts_init(&o);
    o.has_intensity_threshold = 1;
    o.intensity_threshold = NAN;
    expect_refused(&o, "--intensity-threshold");
    msiz_convert_opts_init(&o);
    o.request.has_mz_min = o.request.has_mz_max = 1;
    o.request.mz_min = 500;
    o.request.mz_max = 400;
    expect_refused(&o, "--resample-min-mz must be below --resample-max-mz");
    msiz_convert_opts_init(&o);
    o.chunk_size = 0;
    expect_refused(&o, "--chunk-size must be > 0");
}

static void test_sizes(void **state)
{
    (void)state;
    size_t b = 0;
    assert_int_equal(msiz_parse_size("512MiB", &b), MSIZ_OK);
    assert_int_equal(b, (size_t)512 << 20);
    assert_int_equal(msiz_parse_size("1.5GiB", &b), MSIZ_OK);
    assert_int_equal(b, (size_t)3 << 29);
    assert_int_equal(msiz_parse_size("64kb", &b), MSIZ_OK);
    assert_int_equal(b, 64000);
    assert_int_equal(msiz_parse_size("12", &b), MSIZ_OK);
    assert_int_equal(b, 12);
    assert_int_equal(msiz_parse_size("abc", &b), MSIZ_E_ARG);
    assert_int_equal(msiz_parse_size("5 parsecs", &b), MSIZ_E_ARG);
    assert_int_equal(msiz_parse_size("-1MiB", &b), MSIZ_E_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_checks), cmocka_unit_test(test_sizes)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
