/* The stable API's contract (docs/api.md): the headers' version is the library's, and a program
 * compiled against an older release's headers (smaller option and summary structs) keeps
 * working: the library reads and writes only the members within the caller's struct_size, uses
 * defaults for the rest, and refuses sizes that match no layout (msiz_report_opts too). Apart
 * from io/fs.h (to check and clean the output) it uses the stable headers only, as an outside
 * program does. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io/fs.h"
#include "msizarr/convert.h"
#include "msizarr/report.h"

#define PROCESSED "imzml-org_examples/Example_Processed.imzML" /* 3x3 pixels */
#define TDF_DDA   "MsBackendTimsTof_ddaPASEF/ddaPASEF.d"       /* no MaldiFrameInfo */
#define GARBAGE   0x5A

static char g_path[4096];

static const char *data(const char *rel)
{
    const char *root = getenv("MSIZ_TEST_DATA");
    snprintf(g_path, sizeof g_path, "%s/%s", root ? root : "tests/data", rel);
    return g_path;
}

/* ---- what an older release's headers could have declared: today's layouts, shorter ---- */

/* msiz_source_opts without bruker_allow_non_imaging (and its padding). */
typedef struct old_source_opts {
    size_t struct_size;
    int region;
    int bruker_profile;
    int ignore_uuid_mismatch;
    int verify_checksums;
    size_t max_peaks;
} old_source_opts;

/* msiz_convert_opts with that shorter source and without progress, progress_user, cancel. */
typedef struct old_convert_opts {
    size_t struct_size;
    old_source_opts source;
    const char *dataset_id;
    int has_pixel_size;
    double pixel_size_um;
    msiz_spectrum_type spectrum_type;
    int resample;
    msiz_resample_request request;
    double gap_tolerance;
    int has_intensity_threshold;
    double intensity_threshold;
    uint64_t max_mass_axis_length;
    msiz_sparse_format sparse_format;
    int zarr_format;
    msiz_compression compression;
    int handle_3d;
    int has_z_spacing;
    double z_spacing_um;
    int overwrite;
    msiz_duplicate_policy duplicates;
    size_t memory_limit;
    int threads;
    const char *temp_dir;
    size_t chunk_size;
} old_convert_opts;

/* msiz_convert_summary without plan. */
typedef struct old_convert_summary {
    size_t struct_size;
    uint64_t spectra_read, pixels, bins, nnz;
    int32_t n_x, n_y, n_z;
    int planes;
    uint64_t peaks_out_of_range, spectra_out_of_grid, duplicates_dropped, spilled_bytes;
    uint64_t peak_rss_bytes, fixed_state_bytes;
    double seconds;
} old_convert_summary;

/* Each old struct followed by bytes the old program does not own: the library must neither
 * write them nor read them (they would be a non-zero flag or a wild progress pointer). */
typedef struct {
    old_source_opts o;
    unsigned char after[64];
} boxed_source;
typedef struct {
    old_convert_opts o;
    unsigned char after[64];
} boxed_convert;
typedef struct {
    old_convert_summary s;
    unsigned char after[300];
} boxed_summary;

static void assert_untouched(const unsigned char *bytes, size_t n)
{
    for (size_t i = 0; i < n; i++)
        assert_int_equal(bytes[i], GARBAGE);
}

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

static void test_old_source_opts(void **state)
{
    (void)state;
    assert_true(sizeof(old_source_opts) < sizeof(msiz_source_opts));
    boxed_source box;
    memset(&box, GARBAGE, sizeof box);
    msiz_source_opts_init_sized((msiz_source_opts *)&box.o, sizeof box.o);
    assert_untouched(box.after, sizeof box.after);
    assert_int_equal(box.o.struct_size, sizeof box.o);
    assert_int_equal(box.o.region, -1);
    assert_int_equal(box.o.verify_checksums, 0);
    assert_int_equal(box.o.max_peaks, 2147483647);

    /* The bytes past the old struct read as bruker_allow_non_imaging != 0; the default (0)
     * refuses a .d without MaldiFrameInfo, as the current struct's default does. */
    msiz_source *src = NULL;
    assert_int_equal(msiz_source_open(data(TDF_DDA), (msiz_source_opts *)&box.o, &src),
                     MSIZ_E_UNSUPPORTED);
    assert_null(src);
    assert_non_null(strstr(msiz_last_error(), "MaldiFrameInfo"));
    msiz_source_opts now;
    msiz_source_opts_init(&now);
    now.bruker_allow_non_imaging = 1;
    assert_int_equal(msiz_source_open(data(TDF_DDA), &now, &src), MSIZ_OK);
    msiz_source_close(src);
}

static void test_bogus_sizes_refused(void **state)
{
    (void)state;
    msiz_source_opts so;
    msiz_source *src = NULL;
    const size_t bad_source[] = {0, 4, 12, sizeof so + 8, 36, 1u << 20};
    for (size_t i = 0; i < sizeof bad_source / sizeof bad_source[0]; i++) {
        msiz_source_opts_init(&so);
        so.struct_size = bad_source[i];
        assert_int_equal(msiz_source_open(data(PROCESSED), &so, &src), MSIZ_E_ARG);
        assert_null(src);
        assert_non_null(strstr(msiz_last_error(), "matches no layout"));
    }

    msiz_convert_opts co;
    const size_t bad_convert[] = {0, 8, 12, sizeof co + 8, sizeof co - 4, 100};
    for (size_t i = 0; i < sizeof bad_convert / sizeof bad_convert[0]; i++) {
        msiz_convert_opts_init(&co);
        co.struct_size = bad_convert[i];
        assert_int_equal(msiz_convert_opts_check(&co), MSIZ_E_ARG);
        assert_non_null(strstr(msiz_last_error(), "msiz_convert_opts: struct_size"));
    }
    msiz_convert_opts_init(&co);
    co.source.struct_size = 12; /* a bogus embedded source */
    assert_int_equal(msiz_convert_opts_check(&co), MSIZ_E_ARG);
    /* a bogus size passed to init is kept, and refused when used */
    msiz_convert_opts_init_sized(&co, sizeof co - 4, sizeof co.source);
    assert_int_equal(co.struct_size, sizeof co - 4);
    assert_int_equal(msiz_convert_opts_check(&co), MSIZ_E_ARG);

    msiz_convert_opts_init(&co);
    msiz_convert_summary sum;
    memset(&sum, 0, sizeof sum); /* not set up with msiz_convert_summary_init */
    assert_int_equal(msiz_convert(data(PROCESSED), "/nonexistent/out.zarr", &co, &sum), MSIZ_E_ARG);
    assert_non_null(strstr(msiz_last_error(), "msiz_convert_summary_init"));
}

static void test_old_convert_opts_init(void **state)
{
    (void)state;
    boxed_convert box;
    memset(&box, GARBAGE, sizeof box);
    msiz_convert_opts_init_sized((msiz_convert_opts *)&box.o, sizeof box.o, sizeof box.o.source);
    assert_untouched(box.after, sizeof box.after);
    assert_int_equal(box.o.struct_size, sizeof box.o);
    assert_int_equal(box.o.source.struct_size, sizeof box.o.source);
    assert_int_equal(box.o.source.region, -1);
    /* the members after the shorter source are where the old program expects them */
    assert_string_equal(box.o.dataset_id, "msi_dataset");
    assert_int_equal(box.o.resample, 1);
    assert_true(box.o.request.reference_mz == 1000.0);
    assert_int_equal(box.o.zarr_format, 3);
    assert_int_equal(box.o.memory_limit, (size_t)512 << 20);
    assert_int_equal(box.o.chunk_size, 5000);
    assert_null(box.o.temp_dir);
    assert_int_equal(msiz_convert_opts_check((msiz_convert_opts *)&box.o), MSIZ_OK);
}

/* A whole conversion driven by an old program: its settings are honoured, the members it lacks
 * keep their defaults (the garbage after its struct would be a progress callback and a cancel
 * flag), and only its shorter summary is written. */
static void test_old_program_converts(void **state)
{
    (void)state;
    char tmp[] = "/tmp/msiz_test_api_XXXXXX", out[4200], table[4300];
    assert_non_null(mkdtemp(tmp));
    snprintf(out, sizeof out, "%s/out.zarr", tmp);
    boxed_convert opts;
    boxed_summary sum;
    memset(&opts, GARBAGE, sizeof opts);
    memset(&sum, GARBAGE, sizeof sum);
    msiz_convert_opts_init_sized((msiz_convert_opts *)&opts.o, sizeof opts.o, sizeof opts.o.source);
    opts.o.dataset_id = "old_ds";
    opts.o.threads = 1;
    opts.o.chunk_size = 2;
    opts.o.sparse_format = MSIZ_SPARSE_CSR;
    opts.o.temp_dir = tmp;
    sum.s.struct_size = sizeof sum.s;
    assert_int_equal(msiz_convert(data(PROCESSED), out, (msiz_convert_opts *)&opts.o,
                                  (msiz_convert_summary *)&sum.s),
                     MSIZ_OK);
    assert_untouched(opts.after, sizeof opts.after);
    assert_untouched(sum.after, sizeof sum.after);
    assert_int_equal(sum.s.struct_size, sizeof sum.s);
    assert_int_equal(sum.s.pixels, 9);
    assert_int_equal(sum.s.n_x, 3);
    assert_int_equal(sum.s.planes, 1);
    assert_true(sum.s.bins > 0);
    snprintf(table, sizeof table, "%s/tables/old_ds_z0/X/zarr.json", out);
    assert_true(msiz_path_exists(table));
    FILE *f = fopen(table, "r");
    assert_non_null(f);
    char text[4096] = "";
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    assert_non_null(strstr(text, "csr_matrix"));
    assert_int_equal(msiz_remove_tree(tmp), MSIZ_OK);
}

/* Today's program: the summary gets every member, plan included. */
static void test_current_summary(void **state)
{
    (void)state;
    char tmp[] = "/tmp/msiz_test_api_XXXXXX", out[4200];
    assert_non_null(mkdtemp(tmp));
    snprintf(out, sizeof out, "%s/out.zarr", tmp);
    msiz_convert_opts o;
    msiz_convert_opts_init(&o);
    assert_int_equal(o.struct_size, sizeof o);
    assert_int_equal(o.source.struct_size, sizeof o.source);
    o.threads = 1;
    o.temp_dir = tmp;
    msiz_convert_summary s;
    msiz_convert_summary_init(&s);
    assert_int_equal(s.struct_size, sizeof s);
    assert_int_equal(msiz_convert(data(PROCESSED), out, &o, &s), MSIZ_OK);
    assert_int_equal(s.struct_size, sizeof s);
    assert_int_equal(s.pixels, 9);
    assert_non_null(strstr(s.plan, "resampling"));
    assert_int_equal(msiz_remove_tree(tmp), MSIZ_OK);
}

/* msiz_report_opts: defaults, refused sizes, and a shorter (older) layout whose following bytes
 * would read as overwrite = on: the library must keep the default (refuse the existing page). */
static void test_report_opts(void **state)
{
    (void)state;
    char tmp[] = "/tmp/msiz_test_api_XXXXXX", out[4200], page[4200];
    assert_non_null(mkdtemp(tmp));
    snprintf(out, sizeof out, "%s/out.zarr", tmp);
    snprintf(page, sizeof page, "%s/out.html", tmp);
    msiz_report_opts o;
    msiz_report_opts_init(&o);
    assert_true(o.struct_size == sizeof o && o.ions == 12 && o.overwrite == 0);
    assert_int_equal(msiz_convert(data(PROCESSED), out, NULL, NULL), MSIZ_OK);
    static const size_t bad[] = {0, 12, sizeof(msiz_report_opts) + 8};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        o.struct_size = bad[i];
        assert_int_equal(msiz_report_store(out, page, &o), MSIZ_E_ARG);
        assert_non_null(strstr(msiz_last_error(), "msiz_report_opts: struct_size"));
    }
    struct {
        size_t struct_size, ions;
        unsigned char after[64];
    } old;
    memset(&old, GARBAGE, sizeof old);
    msiz_report_opts_init_sized((msiz_report_opts *)&old, 2 * sizeof(size_t));
    assert_true(old.struct_size == 2 * sizeof(size_t) && old.ions == 12);
    assert_untouched(old.after, sizeof old.after);
    old.ions = 2;
    assert_int_equal(msiz_report_store(out, page, (msiz_report_opts *)&old), MSIZ_OK);
    assert_int_equal(msiz_report_store(out, page, (msiz_report_opts *)&old), MSIZ_E_EXISTS);
    assert_int_equal(msiz_remove_tree(tmp), MSIZ_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_version),
        cmocka_unit_test(test_old_source_opts),
        cmocka_unit_test(test_bogus_sizes_refused),
        cmocka_unit_test(test_old_convert_opts_init),
        cmocka_unit_test(test_old_program_converts),
        cmocka_unit_test(test_current_summary),
        cmocka_unit_test(test_report_opts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
