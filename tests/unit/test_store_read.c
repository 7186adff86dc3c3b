/* Store reader (src/store/store_read*.c): stores written by the store writer read back — tables
 * (CSC and CSR, zarr v2 and v3, several codecs, a store still being written), obs/var columns,
 * uns arrays and strings, TIC images, X by slice and front to back — plus X with int32 indptr
 * or int64 indices (written with the Zarr writer directly) and damaged X refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MSIZ_EXPERIMENTAL /* experimental API: docs/api.md */
#include "msizarr/experimental.h"
#include "common/alloc.h"
#include "common/error.h"
#include "io/fs.h"
#include "store/store_read.h"
#include "zarr/zarr.h"

static char g_dir[64];
static int g_counter;

static int setup(void **state)
{
    (void)state;
    snprintf(g_dir, sizeof g_dir, "/tmp/msiz_sread_XXXXXX");
    return mkdtemp(g_dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    msiz_alloc_fail_after(-1);
    return msiz_remove_tree(g_dir) == MSIZ_OK ? 0 : -1;
}

/* A matrix of N_OBS x N_VAR with entry (i, j) = 1 + i * 10 + j where (i * 7 + j * 3) % 5 == 0. */
enum { N_OBS = 37, N_VAR = 23 };

static int present(int i, int j)
{
    return (i * 7 + j * 3) % 5 == 0;
}

static double value(int i, int j)
{
    return 1 + i * 10 + j;
}

/* Appends X in the table's major order. */
static void append_x(msiz_table *t, int csc)
{
    int32_t minor[64];
    double v[64];
    for (int m = 0; m < (csc ? N_VAR : N_OBS); m++) {
        size_t n = 0;
        for (int k = 0; k < (csc ? N_OBS : N_VAR); k++) {
            int i = csc ? k : m, j = csc ? m : k;
            if (present(i, j)) {
                minor[n] = k;
                v[n++] = value(i, j);
            }
        }
        assert_int_equal(msiz_table_x_append(t, minor, v, n), MSIZ_OK);
    }
}

static void write_table(msiz_store *s, const char *name, int csc)
{
    msiz_table_opts to;
    msiz_table_opts_init(&to);
    to.name = name;
    to.region = "px";
    to.n_obs = N_OBS;
    to.n_var = N_VAR;
    to.format = csc ? MSIZ_SPARSE_CSC : MSIZ_SPARSE_CSR;
    to.nnz_max = (uint64_t)N_OBS * N_VAR; /* a bound: int32 indices, as the converter writes */
    msiz_table *t = NULL;
    assert_int_equal(msiz_store_table_begin(s, &to, &t), MSIZ_OK);
    append_x(t, csc);
    int32_t x[N_OBS];
    double mz[N_VAR], avg[N_VAR];
    for (int i = 0; i < N_OBS; i++)
        x[i] = i * 3 % 11;
    for (int j = 0; j < N_VAR; j++)
        mz[j] = 100.0 + j * 0.25, avg[j] = j * 0.5;
    assert_int_equal(msiz_table_add_numeric(t, MSIZ_OBS, "x", MSIZ_COL_INT32, x, N_OBS), MSIZ_OK);
    assert_int_equal(msiz_table_add_numeric(t, MSIZ_VAR, "mz", MSIZ_COL_FLOAT64, mz, N_VAR),
                     MSIZ_OK);
    int64_t ids[N_OBS];
    for (int i = 0; i < N_OBS; i++)
        ids[i] = i;
    assert_int_equal(msiz_table_add_decimal_strings(t, MSIZ_OBS, "id", ids, N_OBS), MSIZ_OK);
    assert_int_equal(msiz_table_set_index(t, MSIZ_OBS, "id"), MSIZ_OK);
    assert_int_equal(msiz_table_add_decimal_strings(t, MSIZ_OBS, "instance_key", ids, N_OBS),
                     MSIZ_OK);
    const char *cats[1] = {"px"};
    int32_t codes[N_OBS] = {0};
    assert_int_equal(msiz_table_add_categorical(t, MSIZ_OBS, "region", cats, 1, codes, N_OBS, 0),
                     MSIZ_OK);
    assert_int_equal(msiz_table_add_decimal_strings(t, MSIZ_VAR, "_index", ids, N_VAR), MSIZ_OK);
    assert_int_equal(msiz_table_set_index(t, MSIZ_VAR, "_index"), MSIZ_OK);
    assert_int_equal(msiz_table_uns_f64(t, "average_spectrum", avg, N_VAR), MSIZ_OK);
    assert_int_equal(msiz_table_uns_json(t, "{\"essential_metadata\": {\"source_path\": "
                                            "\"/data/run.imzML\"}}"),
                     MSIZ_OK);
    if (msiz_table_finish(t) != MSIZ_OK)
        fail_msg("%s", msiz_last_error());
}

static void add_image(msiz_store *s)
{
    double img[2 * 3 * 4];
    for (int i = 0; i < 24; i++)
        img[i] = i * 1.5;
    uint64_t shape[4] = {1, 2, 3, 4};
    msiz_transform tr = {.output = "global", .type = MSIZ_TRANSFORM_IDENTITY};
    assert_int_equal(msiz_store_add_image(s, "vol_tic", img, 4, shape, &tr, 1), MSIZ_OK);
}

static msiz_store *new_store(char *path, size_t size, int format, const char *codec)
{
    snprintf(path, size, "%s/s%d.zarr", g_dir, g_counter++);
    msiz_store_opts o;
    msiz_store_opts_init(&o);
    o.zarr_format = format;
    o.threads = g_counter % 2;
    o.chunk_elems = 16; /* many chunks for a small X */
    assert_int_equal(msiz_compression_parse(codec, &o.compression), MSIZ_OK);
    msiz_store *s = NULL;
    assert_int_equal(msiz_store_create(path, &o, &s), MSIZ_OK);
    return s;
}

/* ---- X checks: every entry exactly once, in major order ---- */

typedef struct seen {
    int csc;
    int count[N_OBS][N_VAR];
    int64_t last_major, last_minor;
    size_t calls;
} seen;

static msiz_status record(void *ctx, uint64_t major, const int64_t *minor, const double *values,
                          size_t n)
{
    seen *s = ctx;
    s->calls++;
    if ((int64_t)major < s->last_major)
        return MSIZ_E_STATE;
    if ((int64_t)major != s->last_major)
        s->last_minor = -1;
    s->last_major = (int64_t)major;
    for (size_t k = 0; k < n; k++) {
        int i = (int)(s->csc ? minor[k] : (int64_t)major),
            j = (int)(s->csc ? (int64_t)major : minor[k]);
        if (minor[k] <= s->last_minor || !present(i, j) || values[k] != value(i, j))
            return MSIZ_E_FORMAT;
        s->last_minor = minor[k];
        s->count[i][j]++;
    }
    return MSIZ_OK;
}

static void check_all_seen(const seen *s)
{
    for (int i = 0; i < N_OBS; i++)
        for (int j = 0; j < N_VAR; j++)
            assert_int_equal(s->count[i][j], present(i, j));
}

static void check_x(msiz_store_reader *r, const char *table, const msiz_stored_table *known,
                    int csc)
{
    msiz_store_x *x = NULL;
    assert_int_equal(msiz_store_x_open(r, table, known, &x), MSIZ_OK);
    seen *s = calloc(1, sizeof *s);
    s->csc = csc;
    s->last_major = -1;
    assert_int_equal(msiz_store_x_scan(x, record, s), MSIZ_OK);
    check_all_seen(s);
    memset(s, 0, sizeof *s);
    s->csc = csc;
    for (int m = (csc ? N_VAR : N_OBS) - 1; m >= 0; m--) { /* slices in any order */
        s->last_major = -1;
        assert_int_equal(msiz_store_x_slice(x, (uint64_t)m, record, s), MSIZ_OK);
    }
    check_all_seen(s);
    assert_int_equal(msiz_store_x_slice(x, csc ? N_VAR : N_OBS, record, s), MSIZ_E_ARG);
    free(s);
    msiz_store_x_close(x);
}

static void check_table(msiz_store_reader *r, const char *table, int csc)
{
    msiz_stored_table t;
    char path[256];
    assert_int_equal(msiz_store_read_table(r, table, &t), MSIZ_OK);
    assert_int_equal(t.n_obs, N_OBS);
    assert_int_equal(t.n_var, N_VAR);
    assert_int_equal(t.format, csc ? MSIZ_SPARSE_CSC : MSIZ_SPARSE_CSR);
    assert_int_equal(t.index_bits, 32);
    assert_false(t.has_z);
    double mz[N_VAR], avg[N_VAR];
    int64_t x[N_OBS];
    snprintf(path, sizeof path, "tables/%s/var/mz", table);
    assert_int_equal(msiz_store_read_f64(r, path, N_VAR, mz), MSIZ_OK);
    assert_int_equal(msiz_store_read_f64(r, path, N_VAR + 1, mz), MSIZ_E_FORMAT);
    snprintf(path, sizeof path, "tables/%s/uns/average_spectrum", table);
    assert_int_equal(msiz_store_read_f64(r, path, N_VAR, avg), MSIZ_OK);
    snprintf(path, sizeof path, "tables/%s/obs/x", table);
    assert_int_equal(msiz_store_read_i64(r, path, N_OBS, x), MSIZ_OK);
    for (int j = 0; j < N_VAR; j++)
        assert_true(mz[j] == 100.0 + j * 0.25 && avg[j] == j * 0.5);
    for (int i = 0; i < N_OBS; i++)
        assert_int_equal(x[i], i * 3 % 11);
    char *text = NULL;
    snprintf(path, sizeof path, "tables/%s/uns/essential_metadata/source_path", table);
    assert_int_equal(msiz_store_read_text(r, path, &text), MSIZ_OK);
    assert_string_equal(text, "/data/run.imzML");
    msiz_free(text);
    uint64_t len = 0;
    snprintf(path, sizeof path, "tables/%s/X/data", table);
    assert_int_equal(msiz_store_read_len(r, path, &len), MSIZ_OK);
    assert_int_equal(len, t.nnz);
    check_x(r, table, NULL, csc);
}

static void test_written_stores_read_back(void **state)
{
    (void)state;
    static const char *const codecs[] = {"zstd", "gzip", "blosc-lz4", "none"};
    for (int format = 2; format <= 3; format++)
        for (size_t k = 0; k < sizeof codecs / sizeof codecs[0]; k++) {
            char path[256];
            msiz_store *s = new_store(path, sizeof path, format, codecs[k]);
            write_table(s, "t_csc", 1);
            write_table(s, "t_csr", 0);
            add_image(s);
            assert_int_equal(msiz_store_set_root_attrs_json(s, "{\"pixel_size_x_um\": 20.0}"),
                             MSIZ_OK);
            assert_int_equal(msiz_store_finish(s), MSIZ_OK);
            msiz_store_reader *r = NULL;
            assert_int_equal(msiz_store_reader_open(path, &r), MSIZ_OK);
            assert_int_equal(msiz_store_reader_zarr_format(r), format);
            json_t *root = msiz_store_reader_root_attrs(r);
            assert_true(json_real_value(json_object_get(root, "pixel_size_x_um")) == 20.0);
            json_t *names = NULL;
            assert_int_equal(msiz_store_read_tables(r, &names), MSIZ_OK);
            assert_int_equal(json_array_size(names), 2);
            assert_string_equal(json_string_value(json_array_get(names, 0)), "t_csc");
            json_decref(names);
            check_table(r, "t_csc", 1);
            check_table(r, "t_csr", 0);
            int ndim = 0;
            uint64_t shape[4];
            double *img = NULL;
            assert_int_equal(msiz_store_read_image(r, "vol_tic", &ndim, shape, &img), MSIZ_OK);
            assert_int_equal(ndim, 4);
            assert_true(shape[1] == 2 && shape[2] == 3 && shape[3] == 4);
            for (int i = 0; i < 24; i++)
                assert_true(img[i] == i * 1.5);
            msiz_free(img);
            assert_int_equal(msiz_store_read_image(r, "nope", &ndim, shape, &img), MSIZ_E_NOTFOUND);
            msiz_stored_table t;
            assert_int_equal(msiz_store_read_table(r, "nope", &t), MSIZ_E_NOTFOUND);
            msiz_store_reader_close(r);
        }
}

/* The converter reads back a CSR table of the store it is still writing. */
static void test_store_being_written(void **state)
{
    (void)state;
    for (int format = 2; format <= 3; format++) {
        char path[256];
        msiz_store *s = new_store(path, sizeof path, format, "zstd");
        write_table(s, "t_csr", 0);
        msiz_store_reader *r = NULL;
        assert_int_equal(msiz_store_reader_open(path, &r), MSIZ_E_NOTFOUND); /* not there yet */
        assert_int_equal(msiz_store_reader_open_unfinished(s, &r), MSIZ_OK);
        assert_int_equal(json_object_size(msiz_store_reader_root_attrs(r)), 0);
        msiz_stored_table known = {.n_obs = N_OBS, .n_var = N_VAR, .format = MSIZ_SPARSE_CSR};
        check_x(r, "t_csr", &known, 0);
        msiz_store_reader_close(r);
        msiz_store_abort(s);
    }
}

/* ---- X written with other index dtypes, and damaged X ---- */

static void write_x_raw(const char *root, int format, msiz_dtype ptr_type, msiz_dtype idx_type,
                        int damage)
{
    msiz_zarr_opts o;
    msiz_zarr_opts_init(&o);
    o.zarr_format = format;
    msiz_zarr *z = NULL;
    assert_int_equal(msiz_zarr_open(root, &o, &z), MSIZ_OK);
    json_t *attrs =
        json_pack("{s:s, s:[i, i]}", "encoding-type", "csr_matrix", "shape", N_OBS, N_VAR);
    assert_int_equal(msiz_zarr_group(z, "tables", NULL), MSIZ_OK);
    assert_int_equal(msiz_zarr_group(z, "tables/t", NULL), MSIZ_OK);
    assert_int_equal(msiz_zarr_group(z, "tables/t/X", attrs), MSIZ_OK);
    json_decref(attrs);
    int64_t ptr[N_OBS + 1], idx[N_OBS * N_VAR];
    int32_t ptr32[N_OBS + 1], idx32[N_OBS * N_VAR];
    double v[N_OBS * N_VAR];
    size_t n = 0;
    ptr[0] = 0;
    for (int i = 0; i < N_OBS; i++) {
        for (int j = 0; j < N_VAR; j++)
            if (present(i, j))
                idx[n] = j, v[n++] = value(i, j);
        ptr[i + 1] = (int64_t)n;
    }
    if (damage == 1)
        idx[3] = N_VAR; /* index outside the shape */
    if (damage == 2)
        ptr[5] = ptr[4] - 1; /* decreasing indptr */
    for (size_t k = 0; k < n; k++)
        idx32[k] = (int32_t)idx[k];
    for (int i = 0; i <= N_OBS; i++)
        ptr32[i] = (int32_t)ptr[i];
    assert_int_equal(msiz_zarr_write_array1d(z, "tables/t/X/indptr", ptr_type,
                                             ptr_type == MSIZ_DT_INT32 ? (void *)ptr32 : ptr,
                                             N_OBS + 1, 10, NULL),
                     MSIZ_OK);
    assert_int_equal(msiz_zarr_write_array1d(z, "tables/t/X/indices", idx_type,
                                             idx_type == MSIZ_DT_INT32 ? (void *)idx32 : idx, n, 7,
                                             NULL),
                     MSIZ_OK);
    assert_int_equal(msiz_zarr_write_array1d(z, "tables/t/X/data", MSIZ_DT_FLOAT64, v, n, 7, NULL),
                     MSIZ_OK);
    assert_int_equal(msiz_zarr_close(z, 0), MSIZ_OK);
}

static void test_index_dtypes_and_damage(void **state)
{
    (void)state;
    for (int format = 2; format <= 3; format++)
        for (int variant = 0; variant < 5; variant++) {
            char root[256];
            snprintf(root, sizeof root, "%s/raw%d.zarr", g_dir, g_counter++);
            msiz_dtype ptr_type = variant % 2 ? MSIZ_DT_INT32 : MSIZ_DT_INT64;
            msiz_dtype idx_type = variant % 2 ? MSIZ_DT_INT32 : MSIZ_DT_INT64;
            int damage = variant >= 3 ? variant - 2 : 0;
            write_x_raw(root, format, ptr_type, idx_type, damage);
            msiz_store_reader *r = NULL;
            assert_int_equal(msiz_store_reader_open(root, &r), MSIZ_OK);
            msiz_stored_table t;
            assert_int_equal(msiz_store_read_table(r, "t", &t), MSIZ_OK);
            assert_int_equal(t.index_bits, idx_type == MSIZ_DT_INT64 ? 64 : 32);
            if (!damage) {
                check_x(r, "t", NULL, 0);
            } else {
                msiz_store_x *x = NULL;
                seen *s = calloc(1, sizeof *s);
                s->last_major = -1;
                assert_int_equal(msiz_store_x_open(r, "t", NULL, &x), MSIZ_OK);
                assert_int_equal(msiz_store_x_scan(x, record, s), MSIZ_E_FORMAT);
                assert_non_null(strstr(msiz_last_error(), damage == 1 ? "outside" : "indptr"));
                free(s);
                msiz_store_x_close(x);
            }
            msiz_store_reader_close(r);
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_written_stores_read_back),
        cmocka_unit_test(test_store_being_written),
        cmocka_unit_test(test_index_dtypes_and_damage),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
