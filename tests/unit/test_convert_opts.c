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
    expect_refused(&o, "--memory-limit must be at least 16MiB");
    o.memory_limit = MSIZ_MIN_MEMORY_LIMIT - 1; /* the measured floor (docs/memory.md) */
    expect_refused(&o, "--memory-limit must be at least 16MiB");
    o.memory_limit = MSIZ_MIN_MEMORY_LIMIT;
    assert_int_equal(msiz_convert_opts_check(&o), MSIZ_OK);
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
    msiz_convert_opts_init(&o);
    o.threads = MSIZ_MAX_THREADS + 1;
    expect_refused(&o, "--threads must be 0..256");
    o.threads = -1;
    expect_refused(&o, "--threads must be 0..256");
    o.threads = MSIZ_MAX_THREADS;
    assert_int_equal(msiz_convert_opts_check(&o), MSIZ_OK);
    msiz_convert_opts_init(&o);
    o.request.bins = 2147483648ULL; /* MSIZ_AXIS_MAX_BINS + 1 */
    expect_refused(&o, "--resample-bins must be at most 2147483647");
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

static void expect_set_refused(msiz_convert_opts *o, const char *name, const char *value,
                               const char *message)
{
    assert_int_equal(msiz_convert_opts_set(o, name, value), MSIZ_E_ARG);
    assert_string_equal(msiz_last_error(), message);
}

/* Options by their command-line names: the CLI and the Python package set them this way. */
static void test_set_by_name(void **state)
{
    (void)state;
    msiz_convert_opts o;
    msiz_convert_opts_init(&o);
    assert_int_equal(msiz_convert_opts_set(&o, "memory-limit", "64MiB"), MSIZ_OK);
    assert_int_equal(o.memory_limit, (size_t)64 << 20);
    assert_int_equal(msiz_convert_opts_set(&o, "pixel_size", "12.5"), MSIZ_OK); /* '_' for '-' */
    assert_true(o.has_pixel_size && o.pixel_size_um == 12.5);
    assert_int_equal(msiz_convert_opts_set(&o, "no-resample", NULL), MSIZ_OK);
    assert_int_equal(o.resample, 0);
    assert_int_equal(msiz_convert_opts_set(&o, "resample", "true"), MSIZ_OK);
    assert_int_equal(o.resample, 1);
    assert_int_equal(msiz_convert_opts_set(&o, "overwrite", "0"), MSIZ_OK);
    assert_int_equal(o.overwrite, 0);
    assert_int_equal(msiz_convert_opts_set(&o, "sparse-format", "CSR"), MSIZ_OK);
    assert_int_equal(o.sparse_format, MSIZ_SPARSE_CSR);
    assert_int_equal(msiz_convert_opts_set(&o, "resample-method", "tic_preserving"), MSIZ_OK);
    assert_true(o.request.has_method && o.request.method == MSIZ_RESAMPLE_TIC_PRESERVING);
    assert_int_equal(msiz_convert_opts_set(&o, "resample-method", "auto"), MSIZ_OK);
    assert_false(o.request.has_method);
    assert_int_equal(msiz_convert_opts_set(&o, "compression", "gzip:6"), MSIZ_OK);
    assert_int_equal(o.compression.codec, MSIZ_CODEC_GZIP);
    assert_int_equal(msiz_convert_opts_set(&o, "region", "3"), MSIZ_OK);
    assert_int_equal(o.source.region, 3);
    assert_int_equal(msiz_convert_opts_set(&o, "duplicates", "keep-first"), MSIZ_OK);
    assert_int_equal(o.duplicates, MSIZ_DUPLICATES_KEEP_FIRST);
    const char *id = "sample_a";
    assert_int_equal(msiz_convert_opts_set(&o, "dataset-id", id), MSIZ_OK);
    assert_ptr_equal(o.dataset_id, id); /* referenced, not copied */
    expect_set_refused(&o, "pixel-size", "abc", "--pixel-size: 'abc' is not a number");
    expect_set_refused(&o, "zarr_format", "4", "--zarr-format must be 2 or 3, not '4'");
    expect_set_refused(&o, "threads", "1000", "--threads must be 0..256 (got 1000)");
    expect_set_refused(&o, "threads", "-2", "--threads: '-2' is not a non-negative integer");
    expect_set_refused(&o, "chunk-size", "0", "--chunk-size must be > 0");
    expect_set_refused(&o, "sparse-format", "coo", "--sparse-format: unknown value 'coo'");
    expect_set_refused(&o, "overwrite", "maybe", "--overwrite: 'maybe' is not true or false");
    expect_set_refused(&o, "memory-limit", NULL, "--memory-limit needs a value");
    expect_set_refused(&o, "colour", "red", "unknown option 'colour'");
    assert_int_equal(msiz_convert_opts_set(&o, "memory-limit", "lots"), MSIZ_E_ARG);
    assert_non_null(strstr(msiz_last_error(), "--memory-limit: invalid size 'lots'"));
}

static void test_option_names(void **state)
{
    (void)state;
    msiz_convert_opts o;
    int takes_value = -1, n = 0;
    const char *name;
    while ((name = msiz_convert_opt_name((size_t)n, &takes_value)) != NULL) {
        msiz_convert_opts_init(&o);
        /* every listed name is accepted (flags by NULL; others refuse a missing value) */
        assert_int_equal(msiz_convert_opts_set(&o, name, NULL), takes_value ? MSIZ_E_ARG : MSIZ_OK);
        n++;
    }
    assert_true(n >= 29);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_checks), cmocka_unit_test(test_sizes),
                                       cmocka_unit_test(test_set_by_name),
                                       cmocka_unit_test(test_option_names)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
