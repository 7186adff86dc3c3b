/* Writes a Zarr store exercising the writer (read back by tests/python/test_zarr_readback.py).
 * Usage: zarr_write_fixture <out-dir> <2|3> <codec> <threads>
 * Every value follows a formula that the Python test recomputes. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msizarr/compression.h"
#include "zarr/zarr.h"
#include "../unit/fixture_strings.h"

#define N1D     103
#define CHUNK1D 10

static const struct {
    const char *name;
    msiz_dtype dt;
} g_types[] = {
    {"bool", MSIZ_DT_BOOL},       {"int8", MSIZ_DT_INT8},       {"int16", MSIZ_DT_INT16},
    {"int32", MSIZ_DT_INT32},     {"int64", MSIZ_DT_INT64},     {"uint8", MSIZ_DT_UINT8},
    {"uint16", MSIZ_DT_UINT16},   {"uint32", MSIZ_DT_UINT32},   {"uint64", MSIZ_DT_UINT64},
    {"float32", MSIZ_DT_FLOAT32}, {"float64", MSIZ_DT_FLOAT64},
};

static void value_at(msiz_dtype dt, uint64_t i, void *out)
{
    switch (dt) {
    case MSIZ_DT_BOOL: *(unsigned char *)out = i % 3 == 0; break;
    case MSIZ_DT_INT8: *(int8_t *)out = (int8_t)((int)((i * 7) % 256) - 128); break;
    case MSIZ_DT_INT16: *(int16_t *)out = (int16_t)((int64_t)i * 37 - 2000); break;
    case MSIZ_DT_INT32: *(int32_t *)out = (int32_t)((int64_t)i * 100003 - 5000000); break;
    case MSIZ_DT_INT64: *(int64_t *)out = (int64_t)i * 1000000007LL - 3; break;
    case MSIZ_DT_UINT8: *(uint8_t *)out = (uint8_t)((i * 7) % 256); break;
    case MSIZ_DT_UINT16: *(uint16_t *)out = (uint16_t)((i * 263) % 65536); break;
    case MSIZ_DT_UINT32: *(uint32_t *)out = (uint32_t)(i * 4000000u); break;
    case MSIZ_DT_UINT64: *(uint64_t *)out = i * 0x9E3779B97F4A7C15ULL; break;
    case MSIZ_DT_FLOAT32: *(float *)out = (float)i * 0.5f - 3.25f; break;
    case MSIZ_DT_FLOAT64: *(double *)out = (double)i / 7.0; break;
    default: break;
    }
}

static int check(msiz_status s, const char *what)
{
    if (s == MSIZ_OK)
        return 0;
    fprintf(stderr, "zarr_write_fixture: %s: %s (%s)\n", what, msiz_last_error(), msiz_strerror(s));
    return 1;
}

/* Appends in batches of 1, 2, ... 13 elements; odd types use an unknown length. */
static int write_1d(msiz_zarr *z, int t)
{
    char path[64];
    snprintf(path, sizeof path, "arrays/%s", g_types[t].name);
    msiz_zarr_array_opts o;
    msiz_zarr_array_opts_init(&o, g_types[t].dt, 1);
    o.shape[0] = t % 2 ? MSIZ_ZARR_UNKNOWN_LEN : N1D;
    o.chunks[0] = CHUNK1D;
    msiz_zarr_array *a = NULL;
    unsigned char buf[13 * 8];
    int bad = check(msiz_zarr_array_create(z, path, &o, &a), path);
    for (uint64_t i = 0, k = 0; !bad && i < N1D; k++) {
        uint64_t n = k % 13 + 1;
        if (n > N1D - i)
            n = N1D - i;
        size_t es = msiz_dtype_size(g_types[t].dt);
        for (uint64_t j = 0; j < n; j++)
            value_at(g_types[t].dt, i + j, buf + j * es);
        bad = check(msiz_zarr_array_append(a, buf, n), path);
        i += n;
    }
    bad = bad || check(msiz_zarr_array_finish(a), path);
    msiz_zarr_array_free(a);
    return bad;
}

static int write_image(msiz_zarr *z)
{
    enum { C = 3, Y = 17, X = 23 };
    static double img[C * Y * X];
    for (int c = 0; c < C; c++)
        for (int y = 0; y < Y; y++)
            for (int x = 0; x < X; x++)
                img[(c * Y + y) * X + x] = c * 1000 + y * 0.5 + x * 0.25;
    msiz_zarr_array_opts o;
    msiz_zarr_array_opts_init(&o, MSIZ_DT_FLOAT64, 3);
    uint64_t shape[3] = {C, Y, X}, chunks[3] = {2, 8, 8};
    const char *names[3] = {"c", "y", "x"};
    for (int i = 0; i < 3; i++) {
        o.shape[i] = shape[i];
        o.chunks[i] = chunks[i];
        o.dimension_names[i] = names[i];
    }
    o.slash_separator_v2 = 1;
    o.attrs = json_pack("{s:s}", "note", "img");
    msiz_zarr_array *a = NULL;
    int bad = check(msiz_zarr_array_create(z, "images/img", &o, &a), "image") ||
              check(msiz_zarr_array_write_full(a, img), "image") ||
              check(msiz_zarr_array_finish(a), "image");
    msiz_zarr_array_free(a);
    json_decref(o.attrs);
    return bad;
}

static int write_strings(msiz_zarr *z)
{
    msiz_zarr_array_opts o;
    msiz_zarr_array_opts_init(&o, MSIZ_DT_STRING, 1);
    o.shape[0] = 25;
    o.chunks[0] = 7;
    msiz_zarr_array *a = NULL;
    int bad = check(msiz_zarr_array_create(z, "strings/names", &o, &a), "names");
    for (uint64_t i = 0; !bad && i < 25; i++) {
        char s[32];
        const char *p = s;
        fixture_string_at(i, s, sizeof s);
        bad = check(msiz_zarr_array_append(a, &p, 1), "names");
    }
    bad = bad || check(msiz_zarr_array_finish(a), "names");
    msiz_zarr_array_free(a);
    if (bad)
        return 1;
    char cells[12][16];
    const char *ptrs[12];
    for (int r = 0; r < 3; r++)
        for (int c = 0; c < 4; c++) {
            snprintf(cells[r * 4 + c], sizeof cells[0], "r%dc%d", r, c);
            ptrs[r * 4 + c] = cells[r * 4 + c];
        }
    msiz_zarr_array_opts_init(&o, MSIZ_DT_STRING, 2);
    o.shape[0] = 3, o.shape[1] = 4, o.chunks[0] = 2, o.chunks[1] = 3;
    bad = check(msiz_zarr_array_create(z, "strings/grid", &o, &a), "grid") ||
          check(msiz_zarr_array_write_full(a, ptrs), "grid") ||
          check(msiz_zarr_array_finish(a), "grid");
    msiz_zarr_array_free(a);
    return bad;
}

static int write_scalars(msiz_zarr *z)
{
    int64_t i = 42;
    double f = 20.0;
    unsigned char b = 1;
    json_t *attrs = json_pack("{s:s}", "encoding-type", "string");
    int bad =
        check(msiz_zarr_write_scalar(z, "scalars/i", MSIZ_DT_INT64, &i, NULL), "i") ||
        check(msiz_zarr_write_scalar(z, "scalars/f", MSIZ_DT_FLOAT64, &f, NULL), "f") ||
        check(msiz_zarr_write_scalar(z, "scalars/b", MSIZ_DT_BOOL, &b, NULL), "b") ||
        check(msiz_zarr_write_scalar_string(z, "scalars/s", "hello \xc3\xbcnicode", attrs), "s");
    json_decref(attrs);
    return bad;
}

static int write_groups(msiz_zarr *z)
{
    json_t *a1 = json_pack("{s:s}", "kind", "1d");
    json_t *nested = json_loads("{\"dict\": {\"a\": [1, 2.5, \"x\"], \"b\": {\"c\": null}}, "
                                "\"float\": 20.0, \"small\": 0.1, \"uni\": \"\\u00b5m \\u2713\"}",
                                0, NULL);
    int bad = check(msiz_zarr_group(z, "arrays", a1), "arrays") ||
              check(msiz_zarr_group(z, "images", NULL), "images") ||
              check(msiz_zarr_group(z, "strings", NULL), "strings") ||
              check(msiz_zarr_group(z, "scalars", NULL), "scalars") ||
              check(msiz_zarr_group(z, "uns", NULL), "uns") ||
              check(msiz_zarr_group(z, "uns/nested group", nested), "nested") ||
              check(msiz_zarr_group(z, "uns/nested group/deeper", NULL), "deeper");
    json_decref(a1);
    json_decref(nested);
    return bad;
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: zarr_write_fixture <out-dir> <2|3> <codec> <threads>\n");
        return 2;
    }
    msiz_zarr_opts opts;
    msiz_zarr_opts_init(&opts);
    opts.zarr_format = (int)strtol(argv[2], NULL, 10);
    opts.threads = (int)strtol(argv[4], NULL, 10);
    msiz_zarr *z = NULL;
    if (check(msiz_compression_parse(argv[3], &opts.compression), "codec") ||
        check(msiz_zarr_open(argv[1], &opts, &z), "open"))
        return 1;
    int bad = write_groups(z);
    for (int t = 0; !bad && t < (int)(sizeof g_types / sizeof g_types[0]); t++)
        bad = write_1d(z, t);
    uint64_t none = 0;
    msiz_zarr_array_opts o;
    msiz_zarr_array_opts_init(&o, MSIZ_DT_FLOAT64, 1);
    o.shape[0] = MSIZ_ZARR_UNKNOWN_LEN;
    o.chunks[0] = 16;
    msiz_zarr_array *e = NULL;
    bad = bad || check(msiz_zarr_array_create(z, "arrays/empty", &o, &e), "empty") ||
          check(msiz_zarr_array_append(e, &none, 0), "empty") ||
          check(msiz_zarr_array_finish(e), "empty");
    msiz_zarr_array_free(e);
    bad = bad || write_image(z) || write_strings(z) || write_scalars(z);
    json_t *root =
        json_pack("{s:{s:s}, s:f}", "spatialdata_attrs", "version", "0.2", "pi", 3.141592653589793);
    bad = bad || check(msiz_zarr_set_attrs(z, "", root), "root attrs");
    json_decref(root);
    if (bad) {
        msiz_zarr_abort(z);
        return 1;
    }
    return check(msiz_zarr_close(z, 1), "close");
}
