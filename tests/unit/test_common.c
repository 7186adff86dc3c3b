/* Unit tests for src/common and src/io: errors, allocator caps, file helpers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/error.h"
#include "common/json_text.h"
#include "common/utf8.h"
#include "io/fs.h"

static void test_fail_sets_message(void **state)
{
    (void)state;
    msiz_status s = msiz_fail(MSIZ_E_FORMAT, "%s: spectrum %d bad", "a.imzML", 17);
    assert_int_equal(s, MSIZ_E_FORMAT);
    assert_string_equal(msiz_last_error(), "a.imzML: spectrum 17 bad");
    msiz_fail_context(MSIZ_E_FORMAT, "converting %s", "x");
    assert_string_equal(msiz_last_error(), "converting x: a.imzML: spectrum 17 bad");
    msiz_clear_error();
    assert_string_equal(msiz_last_error(), "");
    assert_string_equal(msiz_strerror(MSIZ_E_NOMEM), "out of memory");
}

static void test_grow_respects_cap(void **state)
{
    (void)state;
    int *buf = NULL;
    size_t cap = 0;
    assert_int_equal(msiz_grow((void **)&buf, &cap, 10, sizeof *buf, 100), 0);
    assert_true(cap >= 10 && cap <= 100);
    assert_int_equal(msiz_grow((void **)&buf, &cap, 100, sizeof *buf, 100), 0);
    assert_int_equal(cap, 100);
    int *before = buf;
    assert_int_equal(msiz_grow((void **)&buf, &cap, 101, sizeof *buf, 100), MSIZ_E_LIMIT);
    assert_string_equal(msiz_last_error(), "101 items exceed the cap of 100");
    assert_true(buf == before && cap == 100); /* unchanged on failure */
    /* more items than the address space holds: a limit too, not an allocation attempt */
    assert_int_equal(msiz_grow((void **)&buf, &cap, SIZE_MAX / 2, 8, SIZE_MAX), MSIZ_E_LIMIT);
    assert_non_null(strstr(msiz_last_error(), "exceed the address space"));
    assert_int_equal(msiz_grow((void **)&buf, &cap, 200, 0, 1000), MSIZ_E_ARG);
    msiz_free(buf);
}

/* Out of memory below the cap is MSIZ_E_NOMEM, told apart from the cap (issue 10 item 6). */
static void test_grow_out_of_memory(void **state)
{
    (void)state;
    int *buf = NULL;
    size_t cap = 0;
    assert_int_equal(msiz_grow((void **)&buf, &cap, 10, sizeof *buf, 100), MSIZ_OK);
    int *before = buf;
    size_t cap_before = cap;
    msiz_alloc_fail_after(0);
    msiz_status status = msiz_grow((void **)&buf, &cap, 50, sizeof *buf, 100);
    msiz_alloc_fail_after(-1);
    assert_int_equal(status, MSIZ_E_NOMEM);
    assert_non_null(strstr(msiz_last_error(), "out of memory"));
    assert_true(buf == before && cap == cap_before);
    /* a caller adds what the items are */
    msiz_fail_context(status, "%s: spectrum records", "a.imzML");
    assert_non_null(strstr(msiz_last_error(), "a.imzML: spectrum records: out of memory"));
    msiz_free(buf);
}

/* Text from paths and databases becomes a JSON string whatever its bytes (ill-formed UTF-8 kept
 * as "\xNN", as msiz_utf8_escape writes it); NULL from these helpers means out of memory only
 * (jansson's own constructors also return NULL for text that is not UTF-8 and for NaN). */
static void test_json_text(void **state)
{
    (void)state;
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"plain", "plain"},
        {"caf\xc3\xa9 \xe2\x82\xac", "caf\xc3\xa9 \xe2\x82\xac"},
        {"caf\xe9.imzML", "caf\\xe9.imzML"}, /* Latin-1 */
        {"a\xe2\x82", "a\\xe2\\x82"},        /* cut short */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *v = msiz_json_text(cases[i].in);
        assert_non_null(v);
        assert_string_equal(json_string_value(v), cases[i].out);
        json_decref(v);
    }
    assert_true(json_is_null(msiz_json_text(NULL)));
    assert_true(json_is_null(msiz_json_real(NAN)));
    assert_true(json_is_null(msiz_json_real(-INFINITY)));
    json_t *r = msiz_json_real(0.25);
    assert_true(json_real_value(r) == 0.25);
    json_decref(r);
    json_t *o = json_object();
    assert_int_equal(msiz_json_set_text_key(o, "k\xff", json_integer(1)), 0);
    assert_non_null(json_object_get(o, "k\\xff"));
    assert_int_equal(msiz_json_set_text_key(o, "k", NULL), -1);
    json_decref(o);
    json_error_t err;
    assert_null(json_loads("{\"a\": ", 0, &err));
    assert_false(msiz_json_load_nomem(&err)); /* a syntax error is not out of memory */
}

static void test_alloc_failure_injection(void **state)
{
    (void)state;
    msiz_alloc_fail_after(1);
    void *a = msiz_malloc(8);
    void *b = msiz_malloc(8);
    msiz_alloc_fail_after(-1);
    assert_non_null(a);
    assert_null(b);
    msiz_free(a);
}

static void test_temp_and_commit(void **state)
{
    (void)state;
    char base[] = "/tmp/msiz_test_XXXXXX";
    assert_non_null(mkdtemp(base));
    char final_path[512], tmp[600], inner[700];
    snprintf(final_path, sizeof final_path, "%s/out.zarr", base);
    assert_int_equal(msiz_temp_sibling(final_path, tmp, sizeof tmp), MSIZ_OK);
    assert_non_null(strstr(tmp, "/.out.zarr.tmp-"));
    assert_int_equal(msiz_mkdir_p(tmp), MSIZ_OK);
    assert_int_equal(msiz_path_join(inner, sizeof inner, tmp, "f"), MSIZ_OK);
    assert_int_equal(msiz_write_file(inner, "abc", 3), MSIZ_OK);
    assert_int_equal(msiz_commit_path(tmp, final_path, 0), MSIZ_OK);
    assert_true(msiz_path_exists(final_path));
    assert_false(msiz_path_exists(tmp));
    /* second commit without overwrite is refused; with overwrite it replaces */
    assert_int_equal(msiz_mkdir_p(tmp), MSIZ_OK);
    assert_int_equal(msiz_commit_path(tmp, final_path, 0), MSIZ_E_EXISTS);
    assert_int_equal(msiz_commit_path(tmp, final_path, 1), MSIZ_OK);
    snprintf(inner, sizeof inner, "%s/f", final_path);
    assert_false(msiz_path_exists(inner));
    assert_int_equal(msiz_remove_tree(base), MSIZ_OK);
    assert_false(msiz_path_exists(base));
}

static void test_pread_short_file(void **state)
{
    (void)state;
    char path[] = "/tmp/msiz_pread_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(msiz_write_full(fd, path, "0123456789", 10), MSIZ_OK);
    char buf[8];
    assert_int_equal(msiz_pread_full(fd, path, buf, 4, 6), MSIZ_OK);
    assert_memory_equal(buf, "6789", 4);
    assert_int_equal(msiz_pread_full(fd, path, buf, 8, 6), MSIZ_E_FORMAT);
    assert_non_null(strstr(msiz_last_error(), "file ends at byte 10"));
    close(fd);
    unlink(path);
}

/* Well-formed UTF-8 passes through; each byte of an ill-formed sequence becomes "\xNN". */
static void test_utf8(void **state)
{
    (void)state;
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"plain", "plain"},
        {"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"},
        {"bad\xff", "bad\\xff"},
        {"\xc3", "\\xc3"},                            /* truncated */
        {"\x80x", "\\x80x"},                          /* stray continuation byte */
        {"\xc0\xaf", "\\xc0\\xaf"},                   /* overlong '/' */
        {"\xed\xa0\x80", "\\xed\\xa0\\x80"},          /* surrogate U+D800 */
        {"\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80"}, /* beyond U+10FFFF */
        {"", ""}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *out = msiz_utf8_escape(cases[i].in);
        assert_non_null(out);
        assert_string_equal(out, cases[i].out);
        assert_int_equal(msiz_utf8_valid((const unsigned char *)cases[i].in, strlen(cases[i].in)),
                         strcmp(cases[i].in, cases[i].out) == 0);
        assert_true(msiz_utf8_valid((const unsigned char *)out, strlen(out)));
        msiz_free(out);
    }
    msiz_alloc_fail_after(0);
    assert_null(msiz_utf8_escape("x"));
    msiz_alloc_fail_after(-1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fail_sets_message),
        cmocka_unit_test(test_grow_respects_cap),
        cmocka_unit_test(test_grow_out_of_memory),
        cmocka_unit_test(test_alloc_failure_injection),
        cmocka_unit_test(test_temp_and_commit),
        cmocka_unit_test(test_pread_short_file),
        cmocka_unit_test(test_utf8),
        cmocka_unit_test(test_json_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
