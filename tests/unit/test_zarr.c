/* Unit tests for src/zarr: metadata documents, chunk keys and payloads (decoded back with zstd,
 * zlib and blosc), padding, scalars, unknown lengths, errors, sticky worker failures,
 * abandoned arrays, allocation failures and the memory estimate. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <blosc.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "common/alloc.h"
#include "common/error.h"
#include "io/fs.h"
#include "zarr/zarr_internal.h"

/* ---- helpers ---- */

static char g_base[64];
static int g_counter;

static int setup(void **state)
{
    (void)state;
    snprintf(g_base, sizeof g_base, "/tmp/msiz_zarr_XXXXXX");
    return mkdtemp(g_base) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    msiz_alloc_fail_after(-1);
    return msiz_remove_tree(g_base) == MSIZ_OK ? 0 : -1;
}

static const char *fresh_path(char *buf, size_t size)
{
    snprintf(buf, size, "%s/s%d.zarr", g_base, g_counter++);
    return buf;
}

static msiz_zarr *open_store(int format, msiz_codec codec, int threads, char *root, size_t size)
{
    msiz_zarr_opts o;
    msiz_zarr_opts_init(&o);
    o.zarr_format = format;
    o.compression.codec = codec;
    o.threads = threads;
    msiz_zarr *z = NULL;
    assert_int_equal(msiz_zarr_open(fresh_path(root, size), &o, &z), MSIZ_OK);
    return z;
}

static json_t *load_json(const char *root, const char *rel)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    json_error_t err;
    json_t *j = json_load_file(path, 0, &err);
    if (!j)
        fail_msg("%s: %s", path, err.text);
    return j;
}

static unsigned char *read_all(const char *root, const char *rel, size_t *n)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s", path);
    unsigned char *buf = malloc(1 << 20);
    *n = fread(buf, 1, 1 << 20, f);
    fclose(f);
    return buf;
}

static int exists(const char *root, const char *rel)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    return msiz_path_exists(path);
}

/* Decompresses a chunk file written with `codec` into `out` (returns the decoded size). */
static size_t decode_chunk(msiz_codec codec, const char *root, const char *rel, void *out,
                           size_t cap)
{
    size_t n;
    unsigned char *in = read_all(root, rel, &n);
    size_t got = 0;
    if (codec == MSIZ_CODEC_ZSTD) {
        got = ZSTD_decompress(out, cap, in, n);
        assert_false(ZSTD_isError(got));
    } else if (codec == MSIZ_CODEC_GZIP) {
        assert_true(n > 2 && in[0] == 0x1f && in[1] == 0x8b); /* RFC 1952 magic */
        z_stream zs = {0};
        assert_int_equal(inflateInit2(&zs, 31), Z_OK);
        zs.next_in = in, zs.avail_in = (uInt)n, zs.next_out = out, zs.avail_out = (uInt)cap;
        assert_int_equal(inflate(&zs, Z_FINISH), Z_STREAM_END);
        got = zs.total_out;
        inflateEnd(&zs);
    } else if (codec == MSIZ_CODEC_NONE) {
        assert_true(n <= cap);
        memcpy(out, in, n);
        got = n;
    } else {
        int r = blosc_decompress_ctx(in, out, cap, 1);
        assert_true(r >= 0);
        got = (size_t)r;
    }
    free(in);
    return got;
}

static const char *jstr(json_t *o, const char *path)
{
    json_t *v = json_object_get(o, path);
    assert_non_null(v);
    return json_string_value(v);
}

/* ---- compression text ---- */

static void test_compression_parse(void **state)
{
    (void)state;
    msiz_compression c;
    msiz_compression_init(&c);
    assert_int_equal(c.codec, MSIZ_CODEC_ZSTD);
    assert_int_equal(c.level, MSIZ_LEVEL_DEFAULT);
    assert_int_equal(msiz_compression_parse("gzip:6", &c), MSIZ_OK);
    assert_int_equal(c.codec, MSIZ_CODEC_GZIP);
    assert_int_equal(c.level, 6);
    assert_int_equal(msiz_compression_parse("blosc-zstd:3:bitshuffle", &c), MSIZ_OK);
    assert_int_equal(c.codec, MSIZ_CODEC_BLOSC_ZSTD);
    assert_int_equal(c.shuffle, MSIZ_SHUFFLE_BIT);
    assert_int_equal(msiz_compression_parse("blosc-lz4", &c), MSIZ_OK);
    assert_int_equal(c.shuffle, MSIZ_SHUFFLE_BYTE);
    assert_int_equal(c.level, MSIZ_LEVEL_DEFAULT);
    assert_int_equal(msiz_compression_parse("none", &c), MSIZ_OK);
    assert_int_equal(c.codec, MSIZ_CODEC_NONE);
    const char *bad[] = {
        "lz5",   "zstd:", "zstd:x", "gzip:10", "none:1", "zstd:3:shuffle", "blosc-lz4:5:wiggle",
        "zstdx", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        msiz_compression before = c;
        assert_int_equal(msiz_compression_parse(bad[i], &c), MSIZ_E_ARG);
        assert_memory_equal(&before, &c, sizeof c);
        assert_non_null(strstr(msiz_last_error(), "compression"));
    }
}

/* ---- metadata ---- */

static const struct {
    msiz_dtype dt;
    const char *v3, *v2;
} g_types[] = {
    {MSIZ_DT_BOOL, "bool", "|b1"},       {MSIZ_DT_INT8, "int8", "|i1"},
    {MSIZ_DT_INT16, "int16", "<i2"},     {MSIZ_DT_INT32, "int32", "<i4"},
    {MSIZ_DT_INT64, "int64", "<i8"},     {MSIZ_DT_UINT8, "uint8", "|u1"},
    {MSIZ_DT_UINT16, "uint16", "<u2"},   {MSIZ_DT_UINT32, "uint32", "<u4"},
    {MSIZ_DT_UINT64, "uint64", "<u8"},   {MSIZ_DT_FLOAT32, "float32", "<f4"},
    {MSIZ_DT_FLOAT64, "float64", "<f8"}, {MSIZ_DT_STRING, "string", "|O"},
};
#define N_TYPES (sizeof g_types / sizeof g_types[0])

static void write_small(msiz_zarr *z, const char *path, msiz_dtype dt)
{
    static const char *strs[3] = {"a", "bb", ""};
    uint64_t zeros[3] = {0};
    assert_int_equal(msiz_zarr_write_array1d(z, path, dt,
                                             dt == MSIZ_DT_STRING ? (void *)strs : (void *)zeros, 3,
                                             2, NULL),
                     MSIZ_OK);
}

/* A zstd store of format `format` with one small array per dtype, named by its v3 name. */
static void write_all_types(int format, char *root, size_t size)
{
    msiz_zarr *z = open_store(format, MSIZ_CODEC_ZSTD, 0, root, size);
    for (size_t i = 0; i < N_TYPES; i++)
        write_small(z, g_types[i].v3, g_types[i].dt);
    assert_int_equal(msiz_zarr_close(z, 0), MSIZ_OK);
}

static void check_fill_v3(json_t *fill, msiz_dtype dt)
{
    if (dt == MSIZ_DT_BOOL)
        assert_true(json_is_false(fill));
    else if (dt == MSIZ_DT_FLOAT32 || dt == MSIZ_DT_FLOAT64)
        assert_true(json_is_real(fill) && json_real_value(fill) == 0.0);
    else if (dt == MSIZ_DT_STRING)
        assert_string_equal(json_string_value(fill), "");
    else
        assert_true(json_is_integer(fill) && json_integer_value(fill) == 0);
}

static void test_meta_v3_dtypes(void **state)
{
    (void)state;
    char root[256], rel[64];
    write_all_types(3, root, sizeof root);
    for (size_t i = 0; i < N_TYPES; i++) {
        snprintf(rel, sizeof rel, "%s/zarr.json", g_types[i].v3);
        json_t *m = load_json(root, rel);
        assert_string_equal(jstr(m, "data_type"), g_types[i].v3);
        assert_string_equal(jstr(m, "node_type"), "array");
        assert_int_equal(json_integer_value(json_object_get(m, "zarr_format")), 3);
        check_fill_v3(json_object_get(m, "fill_value"), g_types[i].dt);
        json_t *codecs = json_object_get(m, "codecs");
        assert_int_equal(json_array_size(codecs), 2);
        json_t *first = json_array_get(codecs, 0);
        json_t *cfg = json_object_get(first, "configuration");
        if (g_types[i].dt == MSIZ_DT_STRING) {
            assert_string_equal(jstr(first, "name"), "vlen-utf8");
            assert_true(json_is_object(cfg) && json_object_size(cfg) == 0);
        } else if (msiz_dtype_size(g_types[i].dt) == 1) {
            assert_string_equal(jstr(first, "name"), "bytes");
            assert_null(cfg);
        } else {
            assert_string_equal(jstr(cfg, "endian"), "little");
        }
        json_t *zc = json_object_get(json_array_get(codecs, 1), "configuration");
        assert_int_equal(json_integer_value(json_object_get(zc, "level")), 0);
        assert_true(json_is_false(json_object_get(zc, "checksum")));
        assert_int_equal(
            json_integer_value(json_array_get(
                json_object_get(json_object_get(json_object_get(m, "chunk_grid"), "configuration"),
                                "chunk_shape"),
                0)),
            2);
        assert_true(json_is_object(json_object_get(m, "attributes")));
        assert_null(json_object_get(m, "dimension_names"));
        assert_true(exists(root, g_types[i].v3) && !exists(root, "c"));
        snprintf(rel, sizeof rel, "%s/c/1", g_types[i].v3);
        assert_true(exists(root, rel));
        snprintf(rel, sizeof rel, "%s/c/2", g_types[i].v3);
        assert_false(exists(root, rel));
        json_decref(m);
    }
    json_t *g = load_json(root, "zarr.json");
    assert_string_equal(jstr(g, "node_type"), "group");
    assert_null(json_object_get(g, "consolidated_metadata"));
    json_decref(g);
}

static void test_meta_v2_dtypes(void **state)
{
    (void)state;
    char root[256], rel[64];
    write_all_types(2, root, sizeof root);
    for (size_t i = 0; i < N_TYPES; i++) {
        snprintf(rel, sizeof rel, "%s/.zarray", g_types[i].v3);
        json_t *m = load_json(root, rel);
        assert_string_equal(jstr(m, "dtype"), g_types[i].v2);
        assert_string_equal(jstr(m, "order"), "C");
        assert_string_equal(jstr(m, "dimension_separator"), ".");
        json_t *filters = json_object_get(m, "filters");
        if (g_types[i].dt == MSIZ_DT_STRING)
            assert_string_equal(jstr(json_array_get(filters, 0), "id"), "vlen-utf8");
        else
            assert_true(json_is_null(filters));
        json_t *comp = json_object_get(m, "compressor");
        assert_string_equal(jstr(comp, "id"), "zstd");
        assert_int_equal(json_integer_value(json_object_get(comp, "level")), 0);
        snprintf(rel, sizeof rel, "%s/.zattrs", g_types[i].v3);
        json_decref(m);
        m = load_json(root, rel);
        assert_int_equal(json_object_size(m), 0);
        json_decref(m);
        snprintf(rel, sizeof rel, "%s/1", g_types[i].v3);
        assert_true(exists(root, rel));
    }
    json_t *g = load_json(root, ".zgroup");
    assert_int_equal(json_integer_value(json_object_get(g, "zarr_format")), 2);
    json_decref(g);
    assert_true(exists(root, ".zattrs") && !exists(root, ".zmetadata"));
}

/* Codec JSON for both formats, with default levels (zarr-python / numcodecs defaults). */
static void test_codec_json(void **state)
{
    (void)state;
    static const struct {
        msiz_codec codec;
        int format;
        const char *expect;
    } cases[] = {
        {MSIZ_CODEC_GZIP, 3, "{\"name\": \"gzip\", \"configuration\": {\"level\": 5}}"},
        {MSIZ_CODEC_GZIP, 2, "{\"id\": \"gzip\", \"level\": 1}"},
        {MSIZ_CODEC_BLOSC_LZ4, 3,
         "{\"name\": \"blosc\", \"configuration\": {\"typesize\": 4, \"cname\": \"lz4\", "
         "\"clevel\": 5, \"shuffle\": \"shuffle\", \"blocksize\": 0}}"},
        {MSIZ_CODEC_BLOSC_ZSTD, 2,
         "{\"id\": \"blosc\", \"cname\": \"zstd\", \"clevel\": 5, \"shuffle\": 1, "
         "\"blocksize\": 0}"},
        {MSIZ_CODEC_ZSTD, 2, "{\"id\": \"zstd\", \"level\": 0, \"checksum\": false}"},
        {MSIZ_CODEC_NONE, 2, "null"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char root[256];
        msiz_zarr *z = open_store(cases[i].format, cases[i].codec, 0, root, sizeof root);
        int32_t v[4] = {1, 2, 3, 4};
        assert_int_equal(msiz_zarr_write_array1d(z, "a", MSIZ_DT_INT32, v, 4, 0, NULL), MSIZ_OK);
        assert_int_equal(msiz_zarr_close(z, 0), MSIZ_OK);
        json_t *m = load_json(root, cases[i].format == 3 ? "a/zarr.json" : "a/.zarray");
        json_t *got = cases[i].format == 3 ? json_array_get(json_object_get(m, "codecs"), 1)
                                           : json_object_get(m, "compressor");
        char *text = json_dumps(got, JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
        assert_string_equal(text, cases[i].expect);
        free(text);
        json_decref(m);
    }
}

/* ---- chunk payloads ---- */

static void test_chunks_decode_every_codec(void **state)
{
    (void)state;
    for (int codec = MSIZ_CODEC_ZSTD; codec <= MSIZ_CODEC_NONE; codec++)
        for (int threads = 0; threads <= 3; threads += 3) {
            char root[256];
            msiz_zarr *z = open_store(3, (msiz_codec)codec, threads, root, sizeof root);
            msiz_zarr_array_opts o;
            msiz_zarr_array_opts_init(&o, MSIZ_DT_INT32, 1);
            o.shape[0] = 25;
            o.chunks[0] = 10;
            msiz_zarr_array *a = NULL;
            assert_int_equal(msiz_zarr_array_create(z, "x", &o, &a), MSIZ_OK);
            for (int32_t i = 0; i < 25; i++) {
                int32_t v = i * 1000 - 7;
                assert_int_equal(msiz_zarr_array_append(a, &v, 1), MSIZ_OK);
            }
            assert_int_equal(msiz_zarr_array_length(a), 25);
            assert_int_equal(msiz_zarr_array_finish(a), MSIZ_OK);
            msiz_zarr_array_free(a);
            assert_int_equal(msiz_zarr_close(z, 1), MSIZ_OK);
            for (int c = 0; c < 3; c++) {
                int32_t out[16];
                char rel[32];
                snprintf(rel, sizeof rel, "x/c/%d", c);
                assert_int_equal(decode_chunk((msiz_codec)codec, root, rel, out, sizeof out), 40);
                for (int j = 0; j < 10; j++) {
                    int i = c * 10 + j;
                    assert_int_equal(out[j], i < 25 ? i * 1000 - 7 : 0);
                }
            }
            assert_false(exists(root, "x/c/3"));
        }
}

/* 2-D v2 with "." keys, edge chunks padded in both dimensions. */
static void test_nd_padding_and_keys(void **state)
{
    (void)state;
    char root[256];
    msiz_zarr *z = open_store(2, MSIZ_CODEC_NONE, 2, root, sizeof root);
    uint16_t data[5 * 3];
    for (int i = 0; i < 15; i++)
        data[i] = (uint16_t)(100 + i);
    msiz_zarr_array_opts o;
    msiz_zarr_array_opts_init(&o, MSIZ_DT_UINT16, 2);
    o.shape[0] = 5, o.shape[1] = 3, o.chunks[0] = 2, o.chunks[1] = 2;
    msiz_zarr_array *a = NULL;
    assert_int_equal(msiz_zarr_array_create(z, "m", &o, &a), MSIZ_OK);
    assert_int_equal(msiz_zarr_array_write_full(a, data), MSIZ_OK);
    assert_int_equal(msiz_zarr_array_write_full(a, data), MSIZ_E_STATE);
    msiz_zarr_array_free(a);
    /* The failed second write_full made the array's error sticky: write again. */
    assert_int_equal(msiz_zarr_array_create(z, "m", &o, &a), MSIZ_OK);
    assert_int_equal(msiz_zarr_array_write_full(a, data), MSIZ_OK);
    assert_int_equal(msiz_zarr_array_finish(a), MSIZ_OK);
    msiz_zarr_array_free(a);
    assert_int_equal(msiz_zarr_close(z, 0), MSIZ_OK);
    int files = 0;
    for (int r = 0; r < 4; r++)
        for (int c = 0; c < 3; c++) {
            char rel[32];
            snprintf(rel, sizeof rel, "m/%d.%d", r, c);
            files += exists(root, rel);
        }
    assert_int_equal(files, 6);
    uint16_t out[4];
    assert_int_equal(decode_chunk(MSIZ_CODEC_NONE, root, "m/2.1", out, sizeof out), 8);
    assert_int_equal(out[0], 100 + 4 * 3 + 2); /* element (4, 2) */
    assert_int_equal(out[1], 0);
    assert_int_equal(out[2], 0);
    assert_int_equal(out[3], 0);
    assert_int_equal(decode_chunk(MSIZ_CODEC_NONE, root, "m/1.0", out, sizeof out), 8);
    assert_int_equal(out[0], 106);
    assert_int_equal(out[3], 110);
}

static void test_slash_separator_and_dim_names(void **state)
{
    (void)state;
    for (int format = 2; format <= 3; format++) {
        char root[256];
        msiz_zarr *z = open_store(format, MSIZ_CODEC_ZSTD, 0, root, sizeof root);
        double img[2 * 2 * 3] = {0};
        msiz_zarr_array_opts o;
        msiz_zarr_array_opts_init(&o, MSIZ_DT_FLOAT64, 3);
        o.shape[0] = 2, o.shape[1] = 2, o.shape[2] = 3;
        o.chunks[0] = 1, o.chunks[1] = 2, o.chunks[2] = 2;
        o.dimension_names[0] = "c", o.dimension_names[2] = "x";
        o.slash_separator_v2 = 1;
        msiz_zarr_array *a = NULL;
        assert_int_equal(msiz_zarr_array_create(z, "img", &o, &a), MSIZ_OK);
        assert_int_equal(msiz_zarr_array_write_full(a, img), MSIZ_OK);
        assert_int_equal(msiz_zarr_array_finish(a), MSIZ_OK);
        msiz_zarr_array_free(a);
        assert_int_equal(msiz_zarr_close(z, 0), MSIZ_OK);
        assert_true(exists(root, format == 3 ? "img/c/1/0/1" : "img/1/0/1"));
        json_t *m = load_json(root, format == 3 ? "img/zarr.json" : "img/.zarray");
        if (format == 3) {
            char *t = json_dumps(json_object_get(m, "dimension_names"), JSON_COMPACT);
            assert_string_equal(t, "[\"c\",null,\"x\"]");
            free(t);
        } else {
            assert_string_equal(jstr(m, "dimension_separator"), "/");
        }
        json_decref(m);
    }
}

static void test_scalars(void **state)
{
    (void)state;
    for (int format = 2; format <= 3; format++) {
        char root[256];
        msiz_zarr *z = open_store(format, MSIZ_CODEC_NONE, 0, root, sizeof root);
        double f = 20.0;
        assert_int_equal(msiz_zarr_write_scalar(z, "f", MSIZ_DT_FLOAT64, &f, NULL), MSIZ_OK);
        assert_int_equal(msiz_zarr_write_scalar_string(z, "s", "hey", NULL), MSIZ_OK);
        assert_int_equal(msiz_zarr_write_scalar_string(z, "n", NULL, NULL), MSIZ_E_ARG);
        assert_int_equal(msiz_zarr_close(z, 1), MSIZ_OK);
        const char *key_f = format == 3 ? "f/c" : "f/0", *key_s = format == 3 ? "s/c" : "s/0";
        double out = 0;
        assert_int_equal(decode_chunk(MSIZ_CODEC_NONE, root, key_f, &out, sizeof out), 8);
        assert_true(out == 20.0);
        unsigned char buf[32];
        assert_int_equal(decode_chunk(MSIZ_CODEC_NONE, root, key_s, buf, sizeof buf), 11);
        assert_memory_equal(buf, "\x01\x00\x00\x00\x03\x00\x00\x00hey", 11);
        assert_false(exists(root, "n"));
        json_t *m = load_json(root, format == 3 ? "f/zarr.json" : "f/.zarray");
        assert_int_equal(json_array_size(json_object_get(m, "shape")), 0);
        json_decref(m);
    }
}

static void test_strings_padding(void **state)
{
    (void)state;
    char root[256];
    msiz_zarr *z = open_store(3, MSIZ_CODEC_ZSTD, 2, root, sizeof root);
    const char *v[5] = {"x", "", "\xc3\xa9t\xc3\xa9", "long string", "z"};
    assert_int_equal(msiz_zarr_write_array1d(z, "s", MSIZ_DT_STRING, v, 5, 3, NULL), MSIZ_OK);
    assert_int_equal(msiz_zarr_close(z, 0), MSIZ_OK);
    unsigned char buf[64];
    size_t n = decode_chunk(MSIZ_CODEC_ZSTD, root, "s/c/1", buf, sizeof buf);
    /* count 3: "long string", "z", "" (padding) */
    assert_int_equal(n, 4 + 4 + 11 + 4 + 1 + 4);
    assert_memory_equal(buf,
                        "\x03\x00\x00\x00\x0b\x00\x00\x00long string\x01\x00\x00\x00z"
                        "\x00\x00\x00\x00",
                        n);
}

static void test_unknown_length(void **state)
{
    (void)state;
    char root[256];
    msiz_zarr *z = open_store(3, MSIZ_CODEC_ZSTD, 2, root, sizeof root);
    msiz_zarr_array_opts o;
    msiz_zarr_array_opts_init(&o, MSIZ_DT_INT64, 1);
    o.shape[0] = MSIZ_ZARR_UNKNOWN_LEN;
    msiz_zarr_array *a = NULL;
    assert_int_equal(msiz_zarr_array_create(z, "u", &o, &a), MSIZ_E_ARG); /* needs a chunk */
    o.chunks[0] = 10;
    assert_int_equal(msiz_zarr_array_create(z, "u", &o, &a), MSIZ_OK);
    int64_t v[23];
    for (int i = 0; i < 23; i++)
        v[i] = i;
    assert_int_equal(msiz_zarr_array_append(a, v, 23), MSIZ_OK);
    assert_int_equal(msiz_zarr_array_write_full(a, v), MSIZ_E_STATE);
    msiz_zarr_array_free(a);
    assert_int_equal(msiz_zarr_array_create(z, "u", &o, &a), MSIZ_OK);
    assert_int_equal(msiz_zarr_array_append(a, v, 23), MSIZ_OK);
    assert_int_equal(msiz_zarr_array_finish(a), MSIZ_OK);
    msiz_zarr_array_free(a);
    assert_int_equal(msiz_zarr_array_create(z, "e", &o, &a), MSIZ_OK);
    assert_int_equal(msiz_zarr_array_finish(a), MSIZ_OK);
    msiz_zarr_array_free(a);
    assert_int_equal(msiz_zarr_close(z, 1), MSIZ_OK);
    json_t *m = load_json(root, "u/zarr.json");
    assert_int_equal(json_integer_value(json_array_get(json_object_get(m, "shape"), 0)), 23);
    json_decref(m);
    m = load_json(root, "e/zarr.json");
    assert_int_equal(json_integer_value(json_array_get(json_object_get(m, "shape"), 0)), 0);
    json_decref(m);
    assert_true(exists(root, "u/c/2") && !exists(root, "u/c/3") && !exists(root, "e/c/0"));
}

/* ---- errors ---- */

static void test_bad_names(void **state)
{
    (void)state;
    char root[256];
    msiz_zarr *z = open_store(3, MSIZ_CODEC_ZSTD, 0, root, sizeof root);
    const char *bad[] = {"a//b", "/a",   "a/",        ".",       "..",     "__x",
                         "a$",   "a\tb", "zarr.json", ".zarray", "a/../b", "é"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(msiz_zarr_group(z, bad[i], NULL), MSIZ_E_ARG);
        int32_t v = 0;
        assert_int_equal(msiz_zarr_write_array1d(z, bad[i], MSIZ_DT_INT32, &v, 1, 0, NULL),
                         MSIZ_E_ARG);
    }
    assert_int_equal(msiz_zarr_group(z, "uns", NULL), MSIZ_OK);
    assert_int_equal(msiz_zarr_group(z, "uns/my key-1.x_y", NULL), MSIZ_OK);
    assert_int_equal(msiz_zarr_group(z, "uns", NULL), MSIZ_E_EXISTS);
    assert_int_equal(msiz_zarr_group(z, "nope/child", NULL), MSIZ_E_NOTFOUND);
    assert_non_null(strstr(msiz_last_error(), "nope"));
    int32_t v = 1;
    assert_int_equal(msiz_zarr_write_array1d(z, "nope/arr", MSIZ_DT_INT32, &v, 1, 0, NULL),
                     MSIZ_E_NOTFOUND);
    assert_int_equal(msiz_zarr_write_array1d(z, "uns/arr", MSIZ_DT_INT32, &v, 1, 0, NULL), MSIZ_OK);
    assert_int_equal(msiz_zarr_write_array1d(z, "uns/arr", MSIZ_DT_INT32, &v, 1, 0, NULL),
                     MSIZ_E_EXISTS);
    assert_int_equal(msiz_zarr_group(z, "uns/arr/g", NULL), MSIZ_E_NOTFOUND); /* not a group */
    assert_int_equal(msiz_zarr_set_attrs(z, "uns/arr", NULL), MSIZ_E_NOTFOUND);
    assert_int_equal(msiz_zarr_close(z, 1), MSIZ_OK);
    assert_true(exists(root, "uns/my key-1.x_y/zarr.json"));
}

static void test_call_order_errors(void **state)
{
    (void)state;
    char root[256];
    msiz_zarr *z = open_store(3, MSIZ_CODEC_ZSTD, 0, root, sizeof root);
    msiz_zarr_array_opts o;
    msiz_zarr_array_opts_init(&o, MSIZ_DT_FLOAT32, 1);
    o.shape[0] = 4;
    float v[5] = {1, 2, 3, 4, 5};
    msiz_zarr_array *a = NULL;
    /* overflow: error names the array, and is sticky */
    assert_int_equal(msiz_zarr_array_create(z, "over", &o, &a), MSIZ_OK);
    assert_int_equal(msiz_zarr_array_append(a, v, 3), MSIZ_OK);
    assert_int_equal(msiz_zarr_array_append(a, v, 2), MSIZ_E_ARG);
    assert_non_null(strstr(msiz_last_error(), "over"));
    msiz_clear_error();
    assert_int_equal(msiz_zarr_array_finish(a), MSIZ_E_ARG);
    assert_non_null(strstr(msiz_last_error(), "overflows"));
    msiz_zarr_array_free(a);
    /* finish short */
    assert_int_equal(msiz_zarr_array_create(z, "short", &o, &a), MSIZ_OK);
    assert_int_equal(msiz_zarr_array_append(a, v, 3), MSIZ_OK);
    assert_int_equal(msiz_zarr_array_finish(a), MSIZ_E_ARG);
    assert_non_null(strstr(msiz_last_error(), "short: finish with 3 of 4"));
    msiz_zarr_array_free(a);
    /* write after finish */
    assert_int_equal(msiz_zarr_array_create(z, "done", &o, &a), MSIZ_OK);
    assert_int_equal(msiz_zarr_array_append(a, v, 4), MSIZ_OK);
    assert_int_equal(msiz_zarr_array_finish(a), MSIZ_OK);
    assert_int_equal(msiz_zarr_array_append(a, v, 1), MSIZ_E_STATE);
    assert_non_null(strstr(msiz_last_error(), "done: append after finish"));
    assert_int_equal(msiz_zarr_array_finish(a), MSIZ_E_STATE);
    msiz_zarr_array_free(a);
    /* append on a 2-D array */
    msiz_zarr_array_opts o2;
    msiz_zarr_array_opts_init(&o2, MSIZ_DT_FLOAT32, 2);
    o2.shape[0] = o2.shape[1] = 2;
    assert_int_equal(msiz_zarr_array_create(z, "two", &o2, &a), MSIZ_OK);
    assert_int_equal(msiz_zarr_array_append(a, v, 1), MSIZ_E_STATE);
    msiz_zarr_array_free(a);
    /* unknown length only for 1-D; bad ndim */
    o2.shape[0] = MSIZ_ZARR_UNKNOWN_LEN;
    o2.chunks[0] = 4;
    assert_int_equal(msiz_zarr_array_create(z, "two", &o2, &a), MSIZ_E_ARG);
    o2.ndim = 9;
    assert_int_equal(msiz_zarr_array_create(z, "two", &o2, &a), MSIZ_E_ARG);
    assert_null(a);
    /* close with an unfinished array fails; the handle stays safe to free */
    assert_int_equal(msiz_zarr_array_create(z, "open", &o, &a), MSIZ_OK);
    assert_int_equal(msiz_zarr_array_append(a, v, 2), MSIZ_OK);
    assert_int_equal(msiz_zarr_close(z, 1), MSIZ_E_STATE);
    assert_non_null(strstr(msiz_last_error(), "'open' not finished"));
    assert_int_equal(msiz_zarr_array_append(a, v, 1), MSIZ_E_STATE);
    msiz_zarr_array_free(a);
    assert_false(exists(root, "zarr.json"));
    assert_true(exists(root, "done/zarr.json"));
    assert_false(exists(root, "over/zarr.json") || exists(root, "short/zarr.json"));
}

/* A worker's write failure surfaces on the caller with its message, and stays. */
static void test_sticky_worker_error(void **state)
{
    (void)state;
    for (int threads = 0; threads <= 2; threads += 2) {
        char root[256], cdir[512];
        msiz_zarr *z = open_store(3, MSIZ_CODEC_ZSTD, threads, root, sizeof root);
        msiz_zarr_array_opts o;
        msiz_zarr_array_opts_init(&o, MSIZ_DT_INT64, 1);
        o.shape[0] = 100;
        o.chunks[0] = 10;
        msiz_zarr_array *a = NULL;
        assert_int_equal(msiz_zarr_array_create(z, "w", &o, &a), MSIZ_OK);
        snprintf(cdir, sizeof cdir, "%s/w/c", root);
        assert_int_equal(rmdir(cdir), 0);
        assert_int_equal(msiz_write_file(cdir, "x", 1), MSIZ_OK); /* "c" is now a file */
        int64_t v[10] = {0};
        msiz_status first = MSIZ_OK;
        for (int i = 0; i < 10 && first == MSIZ_OK; i++)
            first = msiz_zarr_array_append(a, v, 10);
        msiz_clear_error();
        msiz_status st = msiz_zarr_array_finish(a);
        assert_int_equal(st, MSIZ_E_IO);
        assert_non_null(strstr(msiz_last_error(), "cannot create file"));
        assert_non_null(strstr(msiz_last_error(), "/w/c/"));
        msiz_clear_error();
        assert_int_equal(msiz_zarr_array_append(a, v, 1), MSIZ_E_IO);
        assert_non_null(strstr(msiz_last_error(), "cannot create file"));
        msiz_zarr_array_free(a);
        assert_int_equal(msiz_zarr_close(z, 1), MSIZ_OK);
        assert_false(exists(root, "w"));
        (void)first;
    }
}

/* Abandoned arrays leave nothing: no metadata, no consolidated entry, the name is free. */
static void test_abandoned_array(void **state)
{
    (void)state;
    for (int format = 2; format <= 3; format++) {
        char root[256];
        msiz_zarr *z = open_store(format, MSIZ_CODEC_ZSTD, 2, root, sizeof root);
        assert_int_equal(msiz_zarr_group(z, "g", NULL), MSIZ_OK);
        msiz_zarr_array_opts o;
        msiz_zarr_array_opts_init(&o, MSIZ_DT_UINT8, 1);
        o.shape[0] = 1000;
        o.chunks[0] = 10;
        msiz_zarr_array *a = NULL;
        uint8_t v[500] = {0};
        assert_int_equal(msiz_zarr_array_create(z, "g/a", &o, &a), MSIZ_OK);
        assert_int_equal(msiz_zarr_array_append(a, v, 500), MSIZ_OK);
        msiz_zarr_array_free(a);
        assert_false(exists(root, "g/a"));
        assert_int_equal(msiz_zarr_array_create(z, "g/b", &o, &a), MSIZ_OK);
        msiz_zarr_array_free(a);
        assert_int_equal(msiz_zarr_write_array1d(z, "g/a", MSIZ_DT_UINT8, v, 5, 0, NULL), MSIZ_OK);
        assert_int_equal(msiz_zarr_close(z, 1), MSIZ_OK);
        json_t *c = load_json(root, format == 3 ? "zarr.json" : ".zmetadata");
        json_t *meta =
            format == 3 ? json_object_get(json_object_get(c, "consolidated_metadata"), "metadata")
                        : json_object_get(c, "metadata");
        assert_int_equal(json_object_size(meta), format == 3 ? 2 : 2 + 4);
        assert_null(json_object_get(meta, format == 3 ? "g/b" : "g/b/.zarray"));
        assert_non_null(json_object_get(meta, format == 3 ? "g/a" : "g/a/.zarray"));
        json_decref(c);
        assert_false(exists(root, "g/b"));
    }
}

static void test_consolidated_v3(void **state)
{
    (void)state;
    char root[256];
    msiz_zarr *z = open_store(3, MSIZ_CODEC_ZSTD, 0, root, sizeof root);
    json_t *attrs = json_pack("{s:f, s:s, s:f}", "f", 20.0, "u", "\xc2\xb5m", "p", 0.1);
    assert_int_equal(msiz_zarr_group(z, "t", attrs), MSIZ_OK);
    assert_int_equal(msiz_zarr_set_attrs(z, "", attrs), MSIZ_OK);
    json_decref(attrs);
    int8_t v = 3;
    assert_int_equal(msiz_zarr_write_scalar(z, "t/v", MSIZ_DT_INT8, &v, NULL), MSIZ_OK);
    assert_int_equal(msiz_zarr_close(z, 1), MSIZ_OK);
    json_t *r = load_json(root, "zarr.json");
    json_t *cm = json_object_get(r, "consolidated_metadata");
    assert_string_equal(jstr(cm, "kind"), "inline");
    assert_true(json_is_false(json_object_get(cm, "must_understand")));
    json_t *meta = json_object_get(cm, "metadata");
    json_t *t = json_object_get(meta, "t");
    assert_int_equal(
        json_object_size(json_object_get(json_object_get(t, "consolidated_metadata"), "metadata")),
        0);
    json_t *tv = load_json(root, "t/v/zarr.json");
    assert_true(json_equal(tv, json_object_get(meta, "t/v")));
    json_decref(tv);
    assert_true(json_equal(json_object_get(r, "attributes"), json_object_get(t, "attributes")));
    json_decref(r);
    /* doubles keep their float form, non-ASCII is escaped like Python's json */
    size_t n;
    char *text = (char *)read_all(root, "t/zarr.json", &n);
    text[n] = '\0';
    assert_non_null(strstr(text, "\"f\": 20.0"));
    assert_non_null(strstr(text, "\"p\": 0.1\n"));            /* shortest form that reads back */
    assert_non_null(strcasestr(text, "\"u\": \"\\u00b5m\"")); /* jansson: \\u00B5 */
    free(text);
}

static void test_open_errors(void **state)
{
    (void)state;
    msiz_zarr_opts o;
    msiz_zarr_opts_init(&o);
    msiz_zarr *z = (msiz_zarr *)1;
    assert_int_equal(msiz_zarr_open(g_base, &o, &z), MSIZ_E_EXISTS);
    assert_null(z);
    char path[512];
    snprintf(path, sizeof path, "%s/missing/x.zarr", g_base);
    assert_int_equal(msiz_zarr_open(path, &o, &z), MSIZ_E_IO);
    o.zarr_format = 4;
    assert_int_equal(msiz_zarr_open(fresh_path(path, sizeof path), &o, &z), MSIZ_E_ARG);
    msiz_zarr_opts_init(&o);
    o.compression.codec = MSIZ_CODEC_GZIP;
    o.compression.level = 12;
    assert_int_equal(msiz_zarr_open(fresh_path(path, sizeof path), &o, &z), MSIZ_E_ARG);
    assert_false(msiz_path_exists(path));
    assert_int_equal(msiz_zarr_close(NULL, 1), MSIZ_E_ARG);
    msiz_zarr_abort(NULL);
    msiz_zarr_array_free(NULL);
}

/* ---- allocation failures and memory ---- */

static msiz_status scenario(const char *root, int threads)
{
    msiz_zarr_opts o;
    msiz_zarr_opts_init(&o);
    o.threads = threads;
    msiz_zarr *z = NULL;
    msiz_zarr_array *a = NULL;
    msiz_status status = msiz_zarr_open(root, &o, &z);
    if (status < 0)
        return status;
    static const char *strs[4] = {"a", "bcd", "", "e"};
    double d[30];
    for (int i = 0; i < 30; i++)
        d[i] = i;
    msiz_zarr_array_opts ao;
    msiz_zarr_array_opts_init(&ao, MSIZ_DT_FLOAT64, 1);
    ao.shape[0] = MSIZ_ZARR_UNKNOWN_LEN;
    ao.chunks[0] = 8;
    MSIZ_TRY(msiz_zarr_group(z, "g", NULL));
    MSIZ_TRY(msiz_zarr_write_array1d(z, "g/s", MSIZ_DT_STRING, strs, 4, 3, NULL));
    MSIZ_TRY(msiz_zarr_write_scalar_string(z, "g/t", "x", NULL));
    MSIZ_TRY(msiz_zarr_array_create(z, "g/d", &ao, &a));
    MSIZ_TRY(msiz_zarr_array_append(a, d, 30));
    MSIZ_TRY(msiz_zarr_array_finish(a));
    msiz_zarr_array_free(a);
    a = NULL;
    status = msiz_zarr_close(z, 1);
    z = NULL;
cleanup:
    msiz_zarr_array_free(a);
    msiz_zarr_abort(z);
    return status;
}

static void test_alloc_failure_loop(void **state)
{
    (void)state;
    for (int threads = 0; threads <= 2; threads += 2) {
        int succeeded = 0;
        for (long n = 0; n < 1000 && !succeeded; n++) {
            char root[256];
            fresh_path(root, sizeof root);
            msiz_alloc_fail_after(n);
            msiz_status st = scenario(root, threads);
            msiz_alloc_fail_after(-1);
            if (st == MSIZ_OK)
                succeeded = 1;
            else
                assert_int_equal(st, MSIZ_E_NOMEM);
            assert_int_equal(msiz_remove_tree(root), MSIZ_OK);
        }
        assert_true(succeeded);
    }
}

static void test_memory_estimate(void **state)
{
    (void)state;
    for (int codec = MSIZ_CODEC_ZSTD; codec <= MSIZ_CODEC_NONE; codec++)
        for (int threads = 0; threads <= 4; threads += 2)
            for (int strings = 0; strings <= 1; strings++) {
                char root[256];
                msiz_zarr *z = open_store(3, (msiz_codec)codec, threads, root, sizeof root);
                msiz_zarr_array_opts o;
                msiz_zarr_array_opts_init(&o, strings ? MSIZ_DT_STRING : MSIZ_DT_FLOAT64, 1);
                o.shape[0] = 20000;
                o.chunks[0] = 1000;
                size_t est = msiz_zarr_array_memory_estimate(z, &o);
                msiz_zarr_array *a = NULL;
                assert_int_equal(msiz_zarr_array_create(z, "a", &o, &a), MSIZ_OK);
                static double d[20000];
                static const char *s[20000];
                for (int i = 0; i < 20000; i++)
                    s[i] = "some string of a typical length";
                assert_int_equal(msiz_zarr_array_append(a, strings ? (void *)s : (void *)d, 20000),
                                 MSIZ_OK);
                assert_int_equal(msiz_zarr_array_finish(a), MSIZ_OK);
                size_t peak = a->bytes_peak + sizeof *a + (size_t)a->nslots * sizeof(zarr_slot);
                assert_true(a->bytes_peak >= 8000);
                if (peak > est)
                    fail_msg("codec %d threads %d strings %d: peak %zu > estimate %zu", codec,
                             threads, strings, peak, est);
                assert_true(a->nslots == threads + 1);
                msiz_zarr_array_free(a);
                assert_int_equal(msiz_zarr_close(z, 0), MSIZ_OK);
            }
    char root[256];
    msiz_zarr *z = open_store(3, MSIZ_CODEC_ZSTD, 0, root, sizeof root);
    msiz_zarr_array_opts o;
    msiz_zarr_array_opts_init(&o, MSIZ_DT_FLOAT64, 1);
    o.shape[0] = 100;
    o.chunks[0] = 100;
    size_t one = msiz_zarr_array_memory_estimate(z, &o);
    assert_true(one >= 800 * 2 && one < 800 * 3 + 1024);
    o.ndim = 42;
    assert_int_equal(msiz_zarr_array_memory_estimate(z, &o), SIZE_MAX);
    assert_int_equal(msiz_zarr_close(z, 0), MSIZ_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_compression_parse),
        cmocka_unit_test(test_meta_v3_dtypes),
        cmocka_unit_test(test_meta_v2_dtypes),
        cmocka_unit_test(test_codec_json),
        cmocka_unit_test(test_chunks_decode_every_codec),
        cmocka_unit_test(test_nd_padding_and_keys),
        cmocka_unit_test(test_slash_separator_and_dim_names),
        cmocka_unit_test(test_scalars),
        cmocka_unit_test(test_strings_padding),
        cmocka_unit_test(test_unknown_length),
        cmocka_unit_test(test_bad_names),
        cmocka_unit_test(test_call_order_errors),
        cmocka_unit_test(test_sticky_worker_error),
        cmocka_unit_test(test_abandoned_array),
        cmocka_unit_test(test_consolidated_v3),
        cmocka_unit_test(test_open_errors),
        cmocka_unit_test(test_alloc_failure_loop),
        cmocka_unit_test(test_memory_estimate),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
