/* Progress and cancellation. Cancellation reaches every pass (issue 13 item 4): a conversion asked
 * to stop right after its last binning or transpose step stops at the first of the final writes
 * (obs), not after all of them; the store writer stops its chunks and its shapes pages; nothing is
 * left at the output. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MSIZ_EXPERIMENTAL
#include "io/fs.h"
#include "msizarr/convert.h"
#include "msizarr/store.h"

static char g_in[4096], g_out[4096];

typedef struct stop_after {
    const char *pass; /* the pass whose last step sets the flag */
    volatile int flag;
} stop_after;

static void on_progress(void *user, const msiz_progress *p)
{
    stop_after *s = user;
    if (strcmp(p->pass, s->pass) == 0 && p->done == p->total)
        s->flag = 1;
}

static void setup_paths(void)
{
    const char *root = getenv("MSIZ_TEST_DATA");
    snprintf(g_in, sizeof g_in, "%s/imzml-org_examples/Example_Processed.imzML",
             root ? root : "tests/data");
    snprintf(g_out, sizeof g_out, "/tmp/msiz-test-cancel-%d.zarr", (int)getpid());
}

static void stops_at_final_writes(msiz_sparse_format format, const char *pass)
{
    setup_paths();
    stop_after s = {pass, 0};
    msiz_convert_opts o;
    msiz_convert_opts_init(&o);
    o.sparse_format = format;
    o.progress = on_progress;
    o.progress_user = &s;
    o.cancel = &s.flag;
    o.threads = 2;
    assert_int_equal(msiz_convert(g_in, g_out, &o, NULL), MSIZ_E_INTERRUPTED);
    /* the first final write after the last step: obs/y, before any other element */
    assert_non_null(strstr(msiz_last_error(), "interrupted while writing tables/"));
    assert_non_null(strstr(msiz_last_error(), "/obs/y"));
    assert_non_null(strstr(msiz_last_error(), "Example_Processed.imzML"));
    assert_false(msiz_path_exists(g_out));
}

static void test_csc_stops_after_transpose(void **state)
{
    (void)state;
    stops_at_final_writes(MSIZ_SPARSE_CSC, "transpose");
}

static void test_csr_stops_after_binning(void **state)
{
    (void)state;
    stops_at_final_writes(MSIZ_SPARSE_CSR, "bin");
}

typedef struct first_steps {
    char pass[4][16];
    uint64_t done[4];
    int n;
} first_steps;

static void on_first_step(void *user, const msiz_progress *p)
{
    first_steps *f = user;
    if (f->n > 0 && strcmp(f->pass[f->n - 1], p->pass) == 0)
        return;
    if (f->n == 4)
        return;
    snprintf(f->pass[f->n], sizeof f->pass[f->n], "%s", p->pass);
    f->done[f->n++] = p->done;
}

/* Throttling never hides a pass's start: the first step of each pass is delivered whatever
 * the previous pass's length (a thread-local "last event" once hid short passes) and whether
 * or not the step count is a multiple of 256 (the transpose's column 1 was never shown). */
static void test_progress_first_step_of_each_pass(void **state)
{
    (void)state;
    setup_paths();
    first_steps f;
    memset(&f, 0, sizeof f);
    msiz_convert_opts o;
    msiz_convert_opts_init(&o);
    o.progress = on_first_step;
    o.progress_user = &f;
    assert_int_equal(msiz_convert(g_in, g_out, &o, NULL), MSIZ_OK);
    assert_int_equal(f.n, 3);
    assert_string_equal(f.pass[0], "scan");
    assert_int_equal(f.done[0], 1);
    assert_string_equal(f.pass[1], "bin");
    assert_string_equal(f.pass[2], "transpose");
    assert_int_equal(f.done[2], 1);
    assert_int_equal(msiz_remove_tree(g_out), MSIZ_OK);
}

static msiz_status box(void *ctx, uint64_t i, double b[4], char *id, size_t cap)
{
    (void)ctx;
    b[0] = b[1] = (double)i;
    b[2] = b[3] = (double)i + 1;
    snprintf(id, cap, "%llu", (unsigned long long)i);
    return MSIZ_OK;
}

static void test_store_polls(void **state)
{
    (void)state;
    setup_paths();
    volatile int cancel = 0;
    msiz_store_opts so;
    msiz_store_opts_init(&so);
    so.cancel = &cancel;
    msiz_store *s = NULL;
    assert_int_equal(msiz_store_create(g_out, &so, &s), MSIZ_OK);
    double tic[4] = {1, 2, 3, 4};
    uint64_t shape[3] = {1, 2, 2};
    msiz_transform t = {.output = "global", .type = MSIZ_TRANSFORM_IDENTITY};
    assert_int_equal(msiz_store_add_image(s, "img", tic, 3, shape, &t, 1), MSIZ_OK);
    cancel = 1;
    assert_int_equal(msiz_store_add_shapes(s, "shp", 100000, box, NULL, &t, 1), MSIZ_E_INTERRUPTED);
    assert_non_null(strstr(msiz_last_error(), "interrupted while writing the pixel shapes"));
    assert_int_equal(msiz_store_add_image(s, "img2", tic, 3, shape, &t, 1), MSIZ_E_INTERRUPTED);
    assert_int_equal(msiz_store_finish(s), MSIZ_E_INTERRUPTED);
    assert_false(msiz_path_exists(g_out));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csc_stops_after_transpose),
        cmocka_unit_test(test_csr_stops_after_binning),
        cmocka_unit_test(test_store_polls),
        cmocka_unit_test(test_progress_first_step_of_each_pass),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
