/* Unit tests for the Zarr reader (src/zarr/zarr_read*.c): everything the writer produces reads
 * back — every dtype, codec (and blosc shuffle), zarr format 2 and 3, 1-D appends with padded
 * last chunks, N-D regions across chunk edges, strings, scalars, attributes and children —
 * plus fill values for missing chunks, big-endian data, and the errors for what it refuses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/error.h"
#include "io/fs.h"
#include "zarr/zarr.h"
#include "zarr/zarr_read.h"
#include "fixture_strings.h"

static char g_base[64];
static int g_counter;

static int setup(void **state)
{
    (void)state;
    snprintf(g_base, sizeof g_base, "/tmp/msiz_zread_XXXXXX");
    return mkdtemp(g_base) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    msiz_alloc_fail_after(-1);
    return msiz_remove_tree(g_base) == MSIZ_OK ? 0 : -1;
}

static msiz_zarr *new_store(int format, const msiz_compression *comp, int threads, char *root,
                            size_t size)
{
    snprintf(root, size, "%s/s%d.zarr", g_base, g_counter++);
    msiz_zarr_opts o;
    msiz_zarr_opts_init(&o);
    o.zarr_format = format;
    o.compression = *comp;
    o.threads = threads;
    msiz_zarr *z = NULL;
    assert_int_equal(msiz_zarr_open(root, &o, &z), MSIZ_OK);
    return z;
}

/* A store with the default compression (zstd), written on the calling thread. */
static msiz_zarr *zstd_store(int format, char *root, size_t size)
{
    msiz_compression comp;
    msiz_compression_init(&comp);
    return new_store(format, &comp, 0, root, size);
}

static msiz_zarr_reader *open_reader(const char *root, int format)
{
    msiz_zarr_reader *r = NULL;
    msiz_status st = msiz_zarr_reader_open(root, format, &r);
    if (st != MSIZ_OK)
        fail_msg("%s: %s", root, msiz_last_error());
    return r;
}

static void write_text(const char *root, const char *rel, const char *text)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    assert_int_equal(msiz_write_file(path, text, strlen(text)), MSIZ_OK);
}

/* ---- 1-D arrays of every dtype, codec and format ---- */

#define N1D   103
#define CHUNK 10

static const msiz_dtype g_numeric[] = {
    MSIZ_DT_BOOL,   MSIZ_DT_INT8,   MSIZ_DT_INT16,  MSIZ_DT_INT32,   MSIZ_DT_INT64,   MSIZ_DT_UINT8,
    MSIZ_DT_UINT16, MSIZ_DT_UINT32, MSIZ_DT_UINT64, MSIZ_DT_FLOAT32, MSIZ_DT_FLOAT64,
};
#define N_NUMERIC (sizeof g_numeric / sizeof g_numeric[0])

/* Element i of dtype t, and its value as a double (exact for these formulas). */
static double value_at(msiz_dtype t, uint64_t i, void *out)
{
    switch (t) {
    case MSIZ_DT_BOOL: *(unsigned char *)out = i % 3 == 0; return i % 3 == 0;
    case MSIZ_DT_INT8: *(int8_t *)out = (int8_t)((int)(i * 7 % 256) - 128); return *(int8_t *)out;
    case MSIZ_DT_INT16: *(int16_t *)out = (int16_t)((int64_t)i * 37 - 2000); return *(int16_t *)out;
    case MSIZ_DT_INT32:
        *(int32_t *)out = (int32_t)((int64_t)i * 100003 - 5000000);
        return *(int32_t *)out;
    case MSIZ_DT_INT64:
        *(int64_t *)out = (int64_t)i * 1000000007LL - 3;
        return (double)*(int64_t *)out;
    case MSIZ_DT_UINT8: *(uint8_t *)out = (uint8_t)(i * 7 % 256); return *(uint8_t *)out;
    case MSIZ_DT_UINT16: *(uint16_t *)out = (uint16_t)(i * 263 % 65536); return *(uint16_t *)out;
    case MSIZ_DT_UINT32: *(uint32_t *)out = (uint32_t)(i * 4000000u); return *(uint32_t *)out;
    case MSIZ_DT_UINT64: *(uint64_t *)out = i * 1000003ULL; return (double)*(uint64_t *)out;
    case MSIZ_DT_FLOAT32: *(float *)out = (float)i * 0.5f - 3.25f; return *(float *)out;
    case MSIZ_DT_FLOAT64: *(double *)out = (double)i / 7.0; return *(double *)out;
    default: return 0;
    }
}

static void write_1d(msiz_zarr *z, const char *path, msiz_dtype t, int unknown_len)
{
    msiz_zarr_array_opts o;
    msiz_zarr_array_opts_init(&o, t, 1);
    o.shape[0] = unknown_len ? MSIZ_ZARR_UNKNOWN_LEN : N1D;
    o.chunks[0] = CHUNK;
    msiz_zarr_array *a = NULL;
    assert_int_equal(msiz_zarr_array_create(z, path, &o, &a), MSIZ_OK);
    unsigned char buf[13 * 8];
    size_t es = msiz_dtype_size(t);
    for (uint64_t i = 0, k = 0; i < N1D; k++) { /* appends of 1, 2, ... 13 elements */
        uint64_t n = k % 13 + 1 < N1D - i ? k % 13 + 1 : N1D - i;
        for (uint64_t j = 0; j < n; j++)
            value_at(t, i + j, buf + j * es);
        assert_int_equal(msiz_zarr_array_append(a, buf, n), MSIZ_OK);
        i += n;
    }
    assert_int_equal(msiz_zarr_array_finish(a), MSIZ_OK);
    msiz_zarr_array_free(a);
}

static int is_int(msiz_dtype t)
{
    return t != MSIZ_DT_FLOAT32 && t != MSIZ_DT_FLOAT64;
}

static void check_1d(msiz_zarr_reader *r, const char *path, msiz_dtype t)
{
    msiz_zarr_rarray *a = NULL;
    if (msiz_zarr_rarray_open(r, path, &a) != MSIZ_OK)
        fail_msg("%s: %s", path, msiz_last_error());
    const msiz_zarr_rinfo *info = msiz_zarr_rarray_info(a);
    assert_int_equal(info->dtype, t);
    assert_int_equal(info->ndim, 1);
    assert_int_equal(info->shape[0], N1D);
    assert_int_equal(info->chunks[0], CHUNK);
    size_t es = msiz_dtype_size(t);
    unsigned char raw[N1D * 8], want[8];
    double f[N1D];
    int64_t iv[N1D];
    uint64_t start = 0, count = N1D;
    assert_int_equal(msiz_zarr_rarray_read(a, &start, &count, t, raw), MSIZ_OK);
    assert_int_equal(msiz_zarr_rarray_read(a, &start, &count, MSIZ_DT_FLOAT64, f), MSIZ_OK);
    for (uint64_t i = 0; i < N1D; i++) {
        double v = value_at(t, i, want);
        assert_memory_equal(raw + i * es, want, es);
        assert_true(f[i] == v);
    }
    /* a region across chunk edges, out of order with the cached chunk */
    start = 37, count = 41;
    if (is_int(t)) {
        assert_int_equal(msiz_zarr_rarray_read(a, &start, &count, MSIZ_DT_INT64, iv), MSIZ_OK);
        for (uint64_t i = 0; i < count; i++)
            assert_true((double)iv[i] == value_at(t, start + i, want));
    } else {
        assert_int_equal(msiz_zarr_rarray_read(a, &start, &count, MSIZ_DT_INT64, iv), MSIZ_E_ARG);
    }
    start = 95, count = 8; /* the padded last chunk */
    assert_int_equal(msiz_zarr_rarray_read(a, &start, &count, MSIZ_DT_FLOAT64, f), MSIZ_OK);
    for (uint64_t i = 0; i < count; i++)
        assert_true(f[i] == value_at(t, start + i, want));
    start = 100, count = 4;
    assert_int_equal(msiz_zarr_rarray_read(a, &start, &count, MSIZ_DT_FLOAT64, f), MSIZ_E_ARG);
    msiz_zarr_rarray_close(a);
}

static void roundtrip_1d(int format, const msiz_compression *comp, int threads)
{
    char root[256], path[64];
    msiz_zarr *z = new_store(format, comp, threads, root, sizeof root);
    for (size_t i = 0; i < N_NUMERIC; i++) {
        snprintf(path, sizeof path, "a%zu", i);
        write_1d(z, path, g_numeric[i], (int)(i % 2));
    }
    assert_int_equal(msiz_zarr_close(z, 1), MSIZ_OK);
    msiz_zarr_reader *r = open_reader(root, 0);
    assert_int_equal(msiz_zarr_reader_format(r), format);
    for (size_t i = 0; i < N_NUMERIC; i++) {
        snprintf(path, sizeof path, "a%zu", i);
        check_1d(r, path, g_numeric[i]);
    }
    msiz_zarr_reader_close(r);
}

static void test_every_dtype_codec_format(void **state)
{
    (void)state;
    static const char *const specs[] = {"zstd",      "zstd:19",      "gzip", "gzip:9",
                                        "blosc-lz4", "blosc-zstd:3", "none"};
    for (int format = 2; format <= 3; format++)
        for (size_t s = 0; s < sizeof specs / sizeof specs[0]; s++)
            for (int shuffle = MSIZ_SHUFFLE_NONE; shuffle <= MSIZ_SHUFFLE_BIT; shuffle++) {
                msiz_compression c;
                assert_int_equal(msiz_compression_parse(specs[s], &c), MSIZ_OK);
                if (shuffle != MSIZ_SHUFFLE_NONE && c.codec < MSIZ_CODEC_BLOSC_LZ4)
                    continue;
                if (c.codec >= MSIZ_CODEC_BLOSC_LZ4)
                    c.shuffle = (msiz_shuffle)shuffle;
                roundtrip_1d(format, &c, (int)(s % 2) * 2);
            }
}

/* ---- N-D regions ---- */

enum { C = 3, Y = 17, X = 23 };

static double img_at(int c, int y, int x)
{
    return c * 1000 + y * 0.5 + x * 0.25;
}

static void write_image(msiz_zarr *z, const char *path, int slash)
{
    static double img[C * Y * X];
    for (int c = 0; c < C; c++)
        for (int y = 0; y < Y; y++)
            for (int x = 0; x < X; x++)
                img[(c * Y + y) * X + x] = img_at(c, y, x);
    msiz_zarr_array_opts o;
    msiz_zarr_array_opts_init(&o, MSIZ_DT_FLOAT64, 3);
    uint64_t shape[3] = {C, Y, X}, chunks[3] = {2, 8, 8};
    for (int i = 0; i < 3; i++)
        o.shape[i] = shape[i], o.chunks[i] = chunks[i];
    o.slash_separator_v2 = slash;
    assert_int_equal(msiz_zarr_write_whole(z, path, &o, img), MSIZ_OK);
}

static void check_region(msiz_zarr_rarray *a, const uint64_t *start, const uint64_t *count)
{
    double *out = malloc(C * Y * X * sizeof *out);
    assert_int_equal(msiz_zarr_rarray_read(a, start, count, MSIZ_DT_FLOAT64, out), MSIZ_OK);
    size_t k = 0;
    for (uint64_t c = start[0]; c < start[0] + count[0]; c++)
        for (uint64_t y = start[1]; y < start[1] + count[1]; y++)
            for (uint64_t x = start[2]; x < start[2] + count[2]; x++)
                assert_true(out[k++] == img_at((int)c, (int)y, (int)x));
    free(out);
}

static void test_nd_regions(void **state)
{
    (void)state;
    for (int format = 2; format <= 3; format++) {
        char root[256];
        msiz_zarr *z = zstd_store(format, root, sizeof root);
        write_image(z, "dot", 0);
        write_image(z, "slash", 1);
        assert_int_equal(msiz_zarr_close(z, 1), MSIZ_OK);
        msiz_zarr_reader *r = open_reader(root, 0);
        for (int slash = 0; slash <= 1; slash++) {
            msiz_zarr_rarray *a = NULL;
            assert_int_equal(msiz_zarr_rarray_open(r, slash ? "slash" : "dot", &a), MSIZ_OK);
            assert_int_equal(msiz_zarr_rarray_size(a), C * Y * X);
            uint64_t all0[3] = {0, 0, 0}, all1[3] = {C, Y, X};
            uint64_t s1[3] = {1, 5, 3}, c1[3] = {2, 10, 18};
            uint64_t s2[3] = {2, 16, 22}, c2[3] = {1, 1, 1};
            uint64_t s3[3] = {0, 7, 0}, c3[3] = {3, 2, 23};
            check_region(a, all0, all1);
            check_region(a, s1, c1);
            check_region(a, s2, c2);
            check_region(a, s3, c3);
            uint64_t empty[3] = {1, 0, 4};
            assert_int_equal(msiz_zarr_rarray_read(a, s1, empty, MSIZ_DT_FLOAT64, NULL), MSIZ_OK);
            msiz_zarr_rarray_close(a);
        }
        msiz_zarr_reader_close(r);
    }
}

/* ---- strings and scalars ---- */

static void write_strings_and_scalars(msiz_zarr *z)
{
    char cells[25][16];
    const char *ptrs[25];
    for (int i = 0; i < 25; i++) {
        fixture_string_at((uint64_t)i, cells[i], sizeof cells[i]);
        ptrs[i] = cells[i];
    }
    assert_int_equal(msiz_zarr_write_array1d(z, "s1", MSIZ_DT_STRING, ptrs, 25, 7, NULL), MSIZ_OK);
    msiz_zarr_array_opts o;
    msiz_zarr_array_opts_init(&o, MSIZ_DT_STRING, 2);
    o.shape[0] = 5, o.shape[1] = 5, o.chunks[0] = 2, o.chunks[1] = 3;
    assert_int_equal(msiz_zarr_write_whole(z, "s2", &o, ptrs), MSIZ_OK);
    assert_int_equal(msiz_zarr_write_scalar_string(z, "s0", "\xc2\xb5m scalar", NULL), MSIZ_OK);
    double d = -2.5;
    int64_t i = -7;
    assert_int_equal(msiz_zarr_write_scalar(z, "f0", MSIZ_DT_FLOAT64, &d, NULL), MSIZ_OK);
    assert_int_equal(msiz_zarr_write_scalar(z, "i0", MSIZ_DT_INT64, &i, NULL), MSIZ_OK);
}

static void check_string(msiz_zarr_reader *r, const char *path, uint64_t index, const char *want)
{
    msiz_zarr_rarray *a = NULL;
    char *s = NULL;
    assert_int_equal(msiz_zarr_rarray_open(r, path, &a), MSIZ_OK);
    assert_int_equal(msiz_zarr_rarray_read_string(a, index, &s), MSIZ_OK);
    assert_string_equal(s, want);
    msiz_free(s);
    msiz_zarr_rarray_close(a);
}

static void test_strings_and_scalars(void **state)
{
    (void)state;
    for (int format = 2; format <= 3; format++)
        for (int codec = MSIZ_CODEC_ZSTD; codec <= MSIZ_CODEC_NONE; codec++) {
            char root[256], want[16];
            msiz_compression comp;
            msiz_compression_init(&comp);
            comp.codec = (msiz_codec)codec;
            msiz_zarr *z = new_store(format, &comp, 0, root, sizeof root);
            write_strings_and_scalars(z);
            assert_int_equal(msiz_zarr_close(z, 1), MSIZ_OK);
            msiz_zarr_reader *r = open_reader(root, 0);
            for (uint64_t i = 0; i < 25; i++) {
                fixture_string_at(i, want, sizeof want);
                check_string(r, "s1", i, want);
                check_string(r, "s2", i, want);
            }
            check_string(r, "s0", 0, "\xc2\xb5m scalar");
            msiz_zarr_rarray *a = NULL;
            double d = 0;
            int64_t i = 0;
            assert_int_equal(msiz_zarr_rarray_open(r, "f0", &a), MSIZ_OK);
            assert_int_equal(msiz_zarr_rarray_info(a)->ndim, 0);
            assert_int_equal(msiz_zarr_rarray_read(a, NULL, NULL, MSIZ_DT_FLOAT64, &d), MSIZ_OK);
            assert_true(d == -2.5);
            char *s = NULL;
            assert_int_equal(msiz_zarr_rarray_read_string(a, 0, &s), MSIZ_E_ARG);
            msiz_zarr_rarray_close(a);
            assert_int_equal(msiz_zarr_rarray_open(r, "i0", &a), MSIZ_OK);
            assert_int_equal(msiz_zarr_rarray_read(a, NULL, NULL, MSIZ_DT_INT64, &i), MSIZ_OK);
            assert_int_equal(i, -7);
            msiz_zarr_rarray_close(a);
            assert_int_equal(msiz_zarr_rarray_open(r, "s1", &a), MSIZ_OK);
            uint64_t st = 0, n = 1;
            assert_int_equal(msiz_zarr_rarray_read(a, &st, &n, MSIZ_DT_FLOAT64, &d), MSIZ_E_ARG);
            assert_int_equal(msiz_zarr_rarray_read_string(a, 25, &s), MSIZ_E_ARG);
            msiz_zarr_rarray_close(a);
            msiz_zarr_reader_close(r);
        }
}

/* ---- groups, attributes, children ---- */

static void test_attrs_and_children(void **state)
{
    (void)state;
    for (int format = 2; format <= 3; format++) {
        char root[256];
        msiz_zarr *z = zstd_store(format, root, sizeof root);
        json_t *attrs = json_pack("{s:s, s:[i, i]}", "encoding-type", "csr_matrix", "shape", 4, 5);
        assert_int_equal(msiz_zarr_group(z, "tables", NULL), MSIZ_OK);
        assert_int_equal(msiz_zarr_group(z, "tables/b", attrs), MSIZ_OK);
        assert_int_equal(msiz_zarr_group(z, "tables/a", NULL), MSIZ_OK);
        assert_int_equal(
            msiz_zarr_write_array1d(z, "tables/c", MSIZ_DT_INT32, (int32_t[]){1, 2}, 2, 2, attrs),
            MSIZ_OK);
        json_t *root_attrs = json_pack("{s:f}", "pixel_size_x_um", 12.5);
        assert_int_equal(msiz_zarr_set_attrs(z, "", root_attrs), MSIZ_OK);
        assert_int_equal(msiz_zarr_close(z, 1), MSIZ_OK);
        write_text(root, "tables/not_a_node.txt", "x"); /* ignored by the listing */
        msiz_zarr_reader *r = open_reader(root, 0);
        json_t *got = NULL, *names = NULL;
        assert_int_equal(msiz_zarr_read_attrs(r, "", &got), MSIZ_OK);
        assert_true(json_equal(got, root_attrs));
        json_decref(got);
        assert_int_equal(msiz_zarr_read_attrs(r, "tables/b", &got), MSIZ_OK);
        assert_true(json_equal(got, attrs));
        json_decref(got);
        assert_int_equal(msiz_zarr_read_attrs(r, "tables/c", &got), MSIZ_OK);
        assert_true(json_equal(got, attrs));
        json_decref(got);
        assert_int_equal(msiz_zarr_read_attrs(r, "tables/a", &got), MSIZ_OK);
        assert_int_equal(json_object_size(got), 0);
        json_decref(got);
        assert_int_equal(msiz_zarr_read_attrs(r, "tables/zz", &got), MSIZ_E_NOTFOUND);
        assert_int_equal(msiz_zarr_read_attrs(r, "../x", &got), MSIZ_E_ARG);
        assert_int_equal(msiz_zarr_read_children(r, "tables", &names), MSIZ_OK);
        json_t *want = json_pack("[s, s, s]", "a", "b", "c");
        assert_true(json_equal(names, want));
        json_decref(names);
        json_decref(want);
        assert_int_equal(msiz_zarr_read_children(r, "tables/c", &names), MSIZ_E_NOTFOUND);
        assert_true(msiz_zarr_node_exists(r, "tables/c"));
        assert_true(msiz_zarr_node_exists(r, ""));
        assert_false(msiz_zarr_node_exists(r, "tables/zz"));
        msiz_zarr_reader_close(r);
        json_decref(attrs);
        json_decref(root_attrs);
    }
    msiz_zarr_reader *r = NULL;
    assert_int_equal(msiz_zarr_reader_open(g_base, 0, &r), MSIZ_E_NOTFOUND);
    assert_null(r);
    assert_int_equal(msiz_zarr_reader_open(g_base, 4, &r), MSIZ_E_ARG);
    assert_int_equal(msiz_zarr_reader_open(g_base, 3, &r), MSIZ_OK); /* a store being written */
    msiz_zarr_reader_close(r);
    msiz_zarr_reader_close(NULL);
    msiz_zarr_rarray_close(NULL);
}

/* ---- fill values, byte order, refused metadata, damaged chunks ---- */

static msiz_status read_f64(msiz_zarr_reader *r, const char *path, uint64_t start, uint64_t count,
                            double *out)
{
    msiz_zarr_rarray *a = NULL;
    msiz_status st = msiz_zarr_rarray_open(r, path, &a);
    if (st == MSIZ_OK)
        st = msiz_zarr_rarray_read(a, &start, &count, MSIZ_DT_FLOAT64, out);
    msiz_zarr_rarray_close(a);
    return st;
}

static void test_fill_and_big_endian(void **state)
{
    (void)state;
    char root[256], path[512];
    snprintf(root, sizeof root, "%s/hand%d.zarr", g_base, g_counter++);
    snprintf(path, sizeof path, "%s/be", root);
    assert_int_equal(msiz_mkdir_p(path), MSIZ_OK);
    write_text(root, ".zgroup", "{\"zarr_format\": 2}");
    write_text(root, "be/.zarray",
               "{\"shape\": [5], \"chunks\": [2], \"dtype\": \">f8\", \"fill_value\": \"NaN\", "
               "\"order\": \"C\", \"filters\": null, \"compressor\": null, \"zarr_format\": 2}");
    unsigned char chunk[16] = {0x3f, 0xf0, 0, 0, 0, 0, 0, 0, 0xc0, 0, 0, 0, 0, 0, 0, 0};
    snprintf(path, sizeof path, "%s/be/0", root); /* 1.0, -2.0; chunks 1 and 2 missing */
    assert_int_equal(msiz_write_file(path, chunk, sizeof chunk), MSIZ_OK);
    msiz_zarr_reader *r = open_reader(root, 0);
    double d[5];
    assert_int_equal(read_f64(r, "be", 0, 5, d), MSIZ_OK);
    assert_true(d[0] == 1.0 && d[1] == -2.0 && isnan(d[2]) && isnan(d[3]) && isnan(d[4]));
    write_text(root, "be/0", "short"); /* a damaged chunk: the size is checked */
    assert_int_equal(read_f64(r, "be", 0, 1, d), MSIZ_E_FORMAT);
    msiz_zarr_reader_close(r);
}

static void test_refused_and_damaged(void **state)
{
    (void)state;
    char root[256], path[512];
    msiz_zarr *z = zstd_store(3, root, sizeof root);
    double v[4] = {1, 2, 3, 4};
    assert_int_equal(msiz_zarr_write_array1d(z, "ok", MSIZ_DT_FLOAT64, v, 4, 2, NULL), MSIZ_OK);
    assert_int_equal(msiz_zarr_close(z, 0), MSIZ_OK);
    write_text(root, "ok/c/1", "not zstd at all");
    msiz_zarr_reader *r = open_reader(root, 0);
    double d[4];
    assert_int_equal(read_f64(r, "ok", 0, 2, d), MSIZ_OK);
    assert_true(d[0] == 1 && d[1] == 2);
    assert_int_equal(read_f64(r, "ok", 2, 2, d), MSIZ_E_CODEC);
    assert_non_null(strstr(msiz_last_error(), "ok/c/1"));
    static const char *const bad[][2] = {
        {"sharded", "\"codecs\": [{\"name\": \"sharding_indexed\"}]"},
        {"crc", "\"codecs\": [{\"name\": \"bytes\"}, {\"name\": \"crc32c\"}]"},
        {"twocomp", "\"codecs\": [{\"name\": \"bytes\"}, {\"name\": \"zstd\"}, {\"name\": "
                    "\"gzip\"}]"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char doc[1024];
        snprintf(doc, sizeof doc,
                 "{\"shape\": [4], \"data_type\": \"float64\", \"chunk_grid\": {\"name\": "
                 "\"regular\", \"configuration\": {\"chunk_shape\": [2]}}, "
                 "\"chunk_key_encoding\": {\"name\": \"default\"}, \"fill_value\": 0.0, %s, "
                 "\"zarr_format\": 3, \"node_type\": \"array\"}",
                 bad[i][1]);
        snprintf(path, sizeof path, "%s/%s", root, bad[i][0]);
        assert_int_equal(msiz_mkdir_p(path), MSIZ_OK);
        snprintf(path, sizeof path, "%s/zarr.json", bad[i][0]);
        write_text(root, path, doc);
        assert_int_equal(read_f64(r, bad[i][0], 0, 1, d), MSIZ_E_UNSUPPORTED);
    }
    snprintf(path, sizeof path, "%s/j", root);
    assert_int_equal(msiz_mkdir_p(path), MSIZ_OK);
    write_text(root, "j/zarr.json", "{\"shape\": [4], ");
    assert_int_equal(read_f64(r, "j", 0, 1, d), MSIZ_E_FORMAT);
    write_text(root, "j/zarr.json", "{\"node_type\": \"group\", \"zarr_format\": 3}");
    assert_int_equal(read_f64(r, "j", 0, 1, d), MSIZ_E_FORMAT);
    assert_int_equal(read_f64(r, "none", 0, 1, d), MSIZ_E_NOTFOUND);
    msiz_zarr_reader_close(r);
}

/* ---- allocation failures ---- */

static msiz_status read_scenario(const char *root)
{
    msiz_zarr_reader *r = NULL;
    msiz_zarr_rarray *a = NULL;
    json_t *names = NULL, *attrs = NULL;
    char *s = NULL;
    double d[N1D];
    uint64_t start = 0, count = N1D;
    msiz_status status = msiz_zarr_reader_open(root, 0, &r);
    if (status < 0)
        return status;
    MSIZ_TRY(msiz_zarr_read_children(r, "", &names));
    MSIZ_TRY(msiz_zarr_read_attrs(r, "a0", &attrs));
    MSIZ_TRY(msiz_zarr_rarray_open(r, "a10", &a));
    MSIZ_TRY(msiz_zarr_rarray_read(a, &start, &count, MSIZ_DT_FLOAT64, d));
    msiz_zarr_rarray_close(a);
    a = NULL;
    MSIZ_TRY(msiz_zarr_rarray_open(r, "s1", &a));
    MSIZ_TRY(msiz_zarr_rarray_read_string(a, 3, &s));
cleanup:
    msiz_free(s);
    json_decref(names);
    json_decref(attrs);
    msiz_zarr_rarray_close(a);
    msiz_zarr_reader_close(r);
    return status;
}

static void test_alloc_failure_loop(void **state)
{
    (void)state;
    for (int format = 2; format <= 3; format++) {
        char root[256];
        msiz_zarr *z = zstd_store(format, root, sizeof root);
        write_1d(z, "a0", MSIZ_DT_INT32, 0);
        write_1d(z, "a10", MSIZ_DT_FLOAT64, 1);
        write_strings_and_scalars(z);
        assert_int_equal(msiz_zarr_close(z, 1), MSIZ_OK);
        int succeeded = 0;
        for (long n = 0; n < 1000 && !succeeded; n++) {
            msiz_alloc_fail_after(n);
            msiz_status st = read_scenario(root);
            msiz_alloc_fail_after(-1);
            if (st == MSIZ_OK)
                succeeded = 1;
            else if (st != MSIZ_E_NOMEM)
                fail_msg("n=%ld: %d %s", n, st, msiz_last_error());
        }
        assert_true(succeeded);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_dtype_codec_format), cmocka_unit_test(test_nd_regions),
        cmocka_unit_test(test_strings_and_scalars),      cmocka_unit_test(test_attrs_and_children),
        cmocka_unit_test(test_fill_and_big_endian),      cmocka_unit_test(test_refused_and_damaged),
        cmocka_unit_test(test_alloc_failure_loop),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
