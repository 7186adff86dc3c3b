/* JSON documents of groups and arrays, in zarr-python 3.1.6's key order. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "io/fs.h"
#include "zarr/zarr_internal.h"

static const struct {
    const char *v3, *v2;
    size_t size;
} g_dtypes[] = {
    [MSIZ_DT_BOOL] = {"bool", "|b1", 1},       [MSIZ_DT_INT8] = {"int8", "|i1", 1},
    [MSIZ_DT_INT16] = {"int16", "<i2", 2},     [MSIZ_DT_INT32] = {"int32", "<i4", 4},
    [MSIZ_DT_INT64] = {"int64", "<i8", 8},     [MSIZ_DT_UINT8] = {"uint8", "|u1", 1},
    [MSIZ_DT_UINT16] = {"uint16", "<u2", 2},   [MSIZ_DT_UINT32] = {"uint32", "<u4", 4},
    [MSIZ_DT_UINT64] = {"uint64", "<u8", 8},   [MSIZ_DT_FLOAT32] = {"float32", "<f4", 4},
    [MSIZ_DT_FLOAT64] = {"float64", "<f8", 8}, [MSIZ_DT_STRING] = {"string", "|O", sizeof(char *)},
};

size_t msiz_dtype_size(msiz_dtype dtype)
{
    return (unsigned)dtype <= MSIZ_DT_STRING ? g_dtypes[dtype].size : 0;
}

size_t msiz_zarr_typesize(msiz_dtype dtype)
{
    return dtype == MSIZ_DT_STRING ? 1 : g_dtypes[dtype].size;
}

static json_t *fill_value(msiz_dtype dtype)
{
    switch (dtype) {
    case MSIZ_DT_BOOL: return json_false();
    case MSIZ_DT_FLOAT32:
    case MSIZ_DT_FLOAT64: return json_real(0.0);
    case MSIZ_DT_STRING: return json_string("");
    default: return json_integer(0);
    }
}

static json_t *u64_array(const uint64_t *v, int n)
{
    json_t *a = json_array();
    for (int i = 0; a && i < n; i++)
        if (json_array_append_new(a, json_integer((json_int_t)v[i])) != 0) {
            json_decref(a);
            return NULL;
        }
    return a;
}

json_t *msiz_zarr_attrs_or_empty(json_t *attrs)
{
    return attrs ? json_incref(attrs) : json_object();
}

/* Adds `value` (stolen) under `key`; on any failure frees `obj` and returns -1. */
static int put(json_t *obj, const char *key, json_t *value)
{
    if (!value || json_object_set_new(obj, key, value) != 0) {
        json_decref(obj);
        return -1;
    }
    return 0;
}

static json_t *codecs_v3(const zarr_array_desc *d)
{
    json_t *first;
    if (d->dtype == MSIZ_DT_STRING)
        first = json_pack("{s:s, s:{}}", "name", "vlen-utf8", "configuration");
    else if (g_dtypes[d->dtype].size == 1)
        first = json_pack("{s:s}", "name", "bytes");
    else
        first = json_pack("{s:s, s:{s:s}}", "name", "bytes", "configuration", "endian", "little");
    json_t *list = json_array();
    if (json_array_append_new(list, first) != 0) { /* list or first NULL: releases first */
        json_decref(list);
        return NULL;
    }
    if (d->comp.codec != MSIZ_CODEC_NONE) {
        json_t *c = msiz_zarr_codec_json_v3(&d->comp, msiz_zarr_typesize(d->dtype));
        if (!c || json_array_append_new(list, c) != 0) {
            json_decref(list);
            return NULL;
        }
    }
    return list;
}

static json_t *dim_names(const zarr_array_desc *d)
{
    json_t *a = json_array();
    for (int i = 0; a && i < d->ndim; i++) {
        json_t *v = d->dim_names[i] ? json_string(d->dim_names[i]) : json_null();
        if (json_array_append_new(a, v) != 0) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

static int has_dim_names(const zarr_array_desc *d)
{
    for (int i = 0; i < d->ndim; i++)
        if (d->dim_names[i])
            return 1;
    return 0;
}

json_t *msiz_zarr_meta_array_v3(const zarr_array_desc *d, json_t *attrs)
{
    json_t *o = json_object();
    if (!o || put(o, "shape", u64_array(d->shape, d->ndim)) ||
        put(o, "data_type", json_string(g_dtypes[d->dtype].v3)) ||
        put(o, "chunk_grid",
            json_pack("{s:s, s:{s:o}}", "name", "regular", "configuration", "chunk_shape",
                      u64_array(d->chunks, d->ndim))) ||
        put(o, "chunk_key_encoding",
            json_pack("{s:s, s:{s:s}}", "name", "default", "configuration", "separator", "/")) ||
        put(o, "fill_value", fill_value(d->dtype)) || put(o, "codecs", codecs_v3(d)) ||
        put(o, "attributes", msiz_zarr_attrs_or_empty(attrs)))
        return NULL;
    if (has_dim_names(d) && put(o, "dimension_names", dim_names(d)))
        return NULL;
    if (put(o, "zarr_format", json_integer(3)) || put(o, "node_type", json_string("array")) ||
        put(o, "storage_transformers", json_array()))
        return NULL;
    return o;
}

json_t *msiz_zarr_meta_array_v2(const zarr_array_desc *d)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    /* each value is built where it is put: put() releases it, or o, on failure */
    if (put(o, "shape", u64_array(d->shape, d->ndim)) ||
        put(o, "chunks", u64_array(d->chunks, d->ndim)) ||
        put(o, "dtype", json_string(g_dtypes[d->dtype].v2)) ||
        put(o, "fill_value", fill_value(d->dtype)) || put(o, "order", json_string("C")) ||
        put(o, "filters",
            d->dtype == MSIZ_DT_STRING ? json_pack("[{s:s}]", "id", "vlen-utf8") : json_null()) ||
        put(o, "dimension_separator", json_string(d->slash_v2 ? "/" : ".")) ||
        put(o, "compressor", msiz_zarr_codec_json_v2(&d->comp)) ||
        put(o, "zarr_format", json_integer(2)))
        return NULL;
    return o;
}

json_t *msiz_zarr_meta_group_v3(json_t *attrs)
{
    json_t *o = json_object();
    if (!o || put(o, "attributes", msiz_zarr_attrs_or_empty(attrs)) ||
        put(o, "zarr_format", json_integer(3)) || put(o, "node_type", json_string("group")))
        return NULL;
    return o;
}

json_t *msiz_zarr_meta_group_v2(void)
{
    return json_pack("{s:i}", "zarr_format", 2);
}

/* The fewest digits (15, 16 or 17) with which every double of `doc` reads back exactly, so
 * that 0.1 is written "0.1" rather than "0.10000000000000001"; 20.0 stays "20.0". */
static char *dump_shortest(json_t *doc)
{
    const size_t base = JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII;
    for (int prec = 15; prec <= 17; prec++) {
        char *text = json_dumps(doc, base | JSON_REAL_PRECISION(prec));
        if (!text || prec == 17)
            return text;
        json_t *back = json_loads(text, JSON_DECODE_ANY, NULL);
        int same = back && json_equal(back, doc);
        json_decref(back);
        if (same)
            return text;
        free(text);
        if (!back) /* our own text always parses: out of memory, not a precision question */
            return NULL;
    }
    return NULL;
}

msiz_status msiz_zarr_json_write(const char *path, json_t *doc)
{
    if (!doc)
        return msiz_fail(MSIZ_E_NOMEM, "%s: cannot build JSON", path);
    char *text = dump_shortest(doc);
    if (!text)
        return msiz_fail(MSIZ_E_NOMEM, "%s: cannot serialise JSON", path);
    msiz_status status = msiz_write_file(path, text, strlen(text));
    free(text);
    return status;
}

msiz_status msiz_zarr_chunk_key(int format, int slash_v2, int ndim, const uint64_t *idx, char *out,
                                size_t out_size)
{
    size_t len = 0;
    int n = 0;
    if (format == 3)
        n = snprintf(out, out_size, "c");
    else if (ndim == 0)
        n = snprintf(out, out_size, "0");
    if (n < 0 || (size_t)n >= out_size)
        return msiz_fail(MSIZ_E_LIMIT, "zarr: chunk key too long");
    len = (size_t)n;
    char sep = format == 3 || slash_v2 ? '/' : '.';
    for (int i = 0; i < ndim; i++) {
        if (!(format == 2 && i == 0)) {
            if (len + 1 >= out_size)
                return msiz_fail(MSIZ_E_LIMIT, "zarr: chunk key too long");
            out[len++] = sep;
        }
        n = snprintf(out + len, out_size - len, "%llu", (unsigned long long)idx[i]);
        if (n < 0 || (size_t)n >= out_size - len)
            return msiz_fail(MSIZ_E_LIMIT, "zarr: chunk key too long");
        len += (size_t)n;
    }
    return MSIZ_OK;
}
