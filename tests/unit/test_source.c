/* The source front: locate() gives the same positions and lengths as read(), without data. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "msizarr/source.h"

static void check_locate_matches_read(const char *rel, int exact_n)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", getenv("MSIZ_TEST_DATA"), rel);
    msiz_source *src = NULL;
    assert_int_equal(msiz_source_open(path, NULL, &src), MSIZ_OK);
    const msiz_source_info *info = msiz_source_get_info(src);
    msiz_spectrum full, pos;
    msiz_spectrum_init(&full);
    msiz_spectrum_init(&pos);
    for (uint64_t i = 0; i < info->n_spectra; i++) {
        assert_int_equal(msiz_source_read(src, i, &full), MSIZ_OK);
        assert_int_equal(msiz_source_locate(src, i, &pos), MSIZ_OK);
        assert_int_equal(pos.index, i);
        assert_int_equal(pos.x, full.x);
        assert_int_equal(pos.y, full.y);
        assert_int_equal(pos.z, full.z);
        assert_int_equal(pos.raw_x, full.raw_x);
        assert_int_equal(pos.raw_y, full.raw_y);
        assert_int_equal(pos.region, full.region);
        if (exact_n)
            assert_int_equal(pos.n, full.n);
        assert_int_equal(pos.n == 0, full.n == 0);
        assert_null(pos.mz); /* no data was read */
    }
    assert_int_equal(msiz_source_locate(src, info->n_spectra, &pos), MSIZ_E_ARG);
    msiz_spectrum_destroy(&full);
    msiz_spectrum_destroy(&pos);
    msiz_source_close(src);
}

static void test_locate_imzml(void **state)
{
    (void)state;
    check_locate_matches_read("imzml-org_examples/Example_Continuous.imzML", 1);
    check_locate_matches_read("imzml-org_examples/Example_Processed.imzML", 1);
    check_locate_matches_read("imzy_simple_imzml/simple_imzml.imzML", 1);
}

static void test_locate_bruker(void **state)
{
    (void)state;
    check_locate_matches_read("imzy_example_tsf/example_tsf.d", 1);
}

static void test_open_refusals(void **state)
{
    (void)state;
    msiz_source *src = (msiz_source *)&src;
    assert_int_equal(msiz_source_open("/nonexistent/x.imzML", NULL, &src), MSIZ_E_NOTFOUND);
    assert_null(src);
    assert_non_null(strstr(msiz_last_error(), "/nonexistent/x.imzML"));
    char path[1024];
    snprintf(path, sizeof path, "%s/SOURCES.md", getenv("MSIZ_TEST_DATA"));
    assert_int_equal(msiz_source_open(path, NULL, &src), MSIZ_E_ARG);
    assert_non_null(strstr(msiz_last_error(), "not an .imzML file or a Bruker .d folder"));
}

/* The JSON summary (msizarr info --json, msizarr.info()): built once, owned by the source, and
 * holding the info fields under the names the CLI has always printed. */
static void test_info_json(void **state)
{
    (void)state;
    char path[1024];
    snprintf(path, sizeof path, "%s/imzy_example_tsf/example_tsf.d", getenv("MSIZ_TEST_DATA"));
    msiz_source *src = NULL;
    assert_int_equal(msiz_source_open(path, NULL, &src), MSIZ_OK);
    const char *text = NULL, *again = NULL;
    assert_int_equal(msiz_source_info_json(src, &text), MSIZ_OK);
    assert_int_equal(msiz_source_info_json(src, &again), MSIZ_OK);
    assert_ptr_equal(text, again);
    json_t *o = json_loads(text, 0, NULL);
    assert_non_null(o);
    const msiz_source_info *info = msiz_source_get_info(src);
    assert_string_equal(json_string_value(json_object_get(o, "path")), path);
    assert_string_equal(json_string_value(json_object_get(o, "format")), "Bruker TSF");
    assert_int_equal(json_integer_value(json_object_get(o, "n_spectra")), info->n_spectra);
    json_t *grid = json_object_get(o, "grid");
    assert_int_equal(json_integer_value(json_array_get(grid, 0)), info->n_x);
    assert_int_equal(json_integer_value(json_array_get(grid, 1)), info->n_y);
    json_t *px = json_object_get(o, "pixel_size_um");
    assert_true(json_real_value(json_array_get(px, 0)) == info->pixel_size_x_um);
    assert_true(json_is_array(json_object_get(o, "checks")));
    assert_true(json_is_object(json_object_get(o, "metadata")));
    assert_non_null(strstr(text, "\n  \"format\": ")); /* indented by 2, keys in order */
    json_decref(o);
    msiz_source_close(src);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_locate_imzml),
        cmocka_unit_test(test_locate_bruker),
        cmocka_unit_test(test_open_refusals),
        cmocka_unit_test(test_info_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
