/* Store reader: root attributes, tables, 1-D arrays, strings and images of a SpatialData store
 * (X is in store_read_x.c). */
#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "common/error.h"
#include "store/store_internal.h"
#include "store/store_read_internal.h"

msiz_status msiz_store_reader_path(const char *a, const char *b, const char *c, char *out,
                                   size_t size)
{
    int n =
        snprintf(out, size, "%s%s%s%s%s", a, b ? "/" : "", b ? b : "", c ? "/" : "", c ? c : "");
    if (n < 0 || (size_t)n >= size)
        return msiz_fail(MSIZ_E_LIMIT, "store path too long: '%s/%s'", a, b ? b : "");
    return MSIZ_OK;
}

static msiz_status reader_new(const char *path, int format, msiz_store_reader **out)
{
    msiz_store_reader *r = msiz_calloc(1, sizeof *r);
    *out = NULL;
    if (!r)
        return msiz_fail(MSIZ_E_NOMEM, "%s: out of memory", path);
    msiz_status status = msiz_zarr_reader_open(path, format, &r->z);
    if (status == MSIZ_OK && format == 0)
        status = msiz_zarr_read_attrs(r->z, "", &r->root_attrs);
    if (status == MSIZ_OK && !r->root_attrs && !(r->root_attrs = json_object()))
        status = msiz_fail(MSIZ_E_NOMEM, "out of memory");
    if (status < 0) {
        msiz_store_reader_close(r);
        return status;
    }
    *out = r;
    return MSIZ_OK;
}

msiz_status msiz_store_reader_open(const char *path, msiz_store_reader **out)
{
    return reader_new(path, 0, out);
}

msiz_status msiz_store_reader_open_unfinished(const msiz_store *s, msiz_store_reader **out)
{
    return reader_new(s->temp_path, s->opts.zarr_format, out);
}

void msiz_store_reader_close(msiz_store_reader *r)
{
    if (!r)
        return;
    json_decref(r->root_attrs);
    msiz_zarr_reader_close(r->z);
    msiz_free(r);
}

int msiz_store_reader_zarr_format(const msiz_store_reader *r)
{
    return msiz_zarr_reader_format(r->z);
}

json_t *msiz_store_reader_root_attrs(const msiz_store_reader *r)
{
    return r->root_attrs;
}

msiz_status msiz_store_read_tables(msiz_store_reader *r, json_t **out)
{
    if (!msiz_zarr_node_exists(r->z, "tables")) {
        *out = json_array();
        return *out ? MSIZ_OK : msiz_fail(MSIZ_E_NOMEM, "out of memory");
    }
    return msiz_zarr_read_children(r->z, "tables", out);
}

msiz_status msiz_store_read_attrs(msiz_store_reader *r, const char *path, json_t **out)
{
    return msiz_zarr_read_attrs(r->z, path, out);
}

int msiz_store_has(const msiz_store_reader *r, const char *path)
{
    return msiz_zarr_node_exists(r->z, path);
}

/* Opens a 1-D array, checking its length when `n` is not UINT64_MAX. */
static msiz_status open_1d(msiz_store_reader *r, const char *path, uint64_t n,
                           msiz_zarr_rarray **out)
{
    msiz_status status = msiz_zarr_rarray_open(r->z, path, out);
    if (status < 0)
        return status;
    const msiz_zarr_rinfo *info = msiz_zarr_rarray_info(*out);
    if (info->ndim != 1 || (n != UINT64_MAX && info->shape[0] != n)) {
        status = msiz_fail(MSIZ_E_FORMAT, "%s/%s: expected a 1-D array of %llu values",
                           msiz_zarr_reader_root(r->z), path, (unsigned long long)n);
        msiz_zarr_rarray_close(*out);
        *out = NULL;
    }
    return status;
}

static msiz_status read_1d(msiz_store_reader *r, const char *path, uint64_t n, msiz_dtype type,
                           void *out)
{
    msiz_zarr_rarray *a = NULL;
    uint64_t start = 0;
    msiz_status status = open_1d(r, path, n, &a);
    if (status == MSIZ_OK)
        status = msiz_zarr_rarray_read(a, &start, &n, type, out);
    msiz_zarr_rarray_close(a);
    return status;
}

msiz_status msiz_store_read_f64(msiz_store_reader *r, const char *path, uint64_t n, double *out)
{
    return read_1d(r, path, n, MSIZ_DT_FLOAT64, out);
}

msiz_status msiz_store_read_i64(msiz_store_reader *r, const char *path, uint64_t n, int64_t *out)
{
    return read_1d(r, path, n, MSIZ_DT_INT64, out);
}

msiz_status msiz_store_read_len(msiz_store_reader *r, const char *path, uint64_t *n)
{
    msiz_zarr_rarray *a = NULL;
    msiz_status status = open_1d(r, path, UINT64_MAX, &a);
    if (status == MSIZ_OK)
        *n = msiz_zarr_rarray_info(a)->shape[0];
    msiz_zarr_rarray_close(a);
    return status;
}

msiz_status msiz_store_read_text(msiz_store_reader *r, const char *path, char **out)
{
    msiz_zarr_rarray *a = NULL;
    *out = NULL;
    msiz_status status = msiz_zarr_rarray_open(r->z, path, &a);
    if (status == MSIZ_OK)
        status = msiz_zarr_rarray_read_string(a, 0, out);
    msiz_zarr_rarray_close(a);
    return status;
}

static msiz_status shape_from_x_attrs(msiz_store_reader *r, const char *table, char *x_path,
                                      msiz_stored_table *t)
{
    json_t *attrs = NULL;
    msiz_status status = msiz_zarr_read_attrs(r->z, x_path, &attrs);
    if (status < 0)
        return status;
    const char *enc = json_string_value(json_object_get(attrs, "encoding-type"));
    json_t *shape = json_object_get(attrs, "shape");
    json_int_t n_obs = json_integer_value(json_array_get(shape, 0));
    json_int_t n_var = json_integer_value(json_array_get(shape, 1));
    if (!enc || (strcmp(enc, "csc_matrix") != 0 && strcmp(enc, "csr_matrix") != 0))
        status = msiz_fail(MSIZ_E_UNSUPPORTED, "%s: table '%s': X is '%s', not a sparse matrix",
                           msiz_zarr_reader_root(r->z), table, enc ? enc : "(no encoding)");
    else if (json_array_size(shape) != 2 || n_obs < 0 || n_var < 0)
        status = msiz_fail(MSIZ_E_FORMAT, "%s: table '%s': X has no valid shape",
                           msiz_zarr_reader_root(r->z), table);
    else {
        t->format = enc[2] == 'c' ? MSIZ_SPARSE_CSC : MSIZ_SPARSE_CSR;
        t->n_obs = (uint64_t)n_obs;
        t->n_var = (uint64_t)n_var;
    }
    json_decref(attrs);
    return status;
}

msiz_status msiz_store_read_table(msiz_store_reader *r, const char *table, msiz_stored_table *out)
{
    char path[MSIZ_STORE_PATH_MAX];
    msiz_zarr_rarray *a = NULL;
    msiz_status status = MSIZ_OK;
    memset(out, 0, sizeof *out);
    MSIZ_TRY(msiz_store_reader_path("tables", table, "X", path, sizeof path));
    MSIZ_TRY(shape_from_x_attrs(r, table, path, out));
    MSIZ_TRY(msiz_store_reader_path("tables", table, "X/data", path, sizeof path));
    MSIZ_TRY(msiz_store_read_len(r, path, &out->nnz));
    MSIZ_TRY(msiz_store_reader_path("tables", table, "X/indices", path, sizeof path));
    MSIZ_TRY(open_1d(r, path, out->nnz, &a));
    msiz_dtype dt = msiz_zarr_rarray_info(a)->dtype;
    out->index_bits = dt == MSIZ_DT_INT64 || dt == MSIZ_DT_UINT64 ? 64 : 32;
    MSIZ_TRY(msiz_store_reader_path("tables", table, "obs/z", path, sizeof path));
    out->has_z = msiz_zarr_node_exists(r->z, path);
cleanup:
    msiz_zarr_rarray_close(a);
    return status;
}

#define GROUP_JSON_DEPTH  8
#define GROUP_JSON_LISTED 16

static const char *dtype_name(msiz_dtype t)
{
    static const char *const names[] = {"bool",   "int8",    "int16",   "int32",
                                        "int64",  "uint8",   "uint16",  "uint32",
                                        "uint64", "float32", "float64", "string"};
    return (unsigned)t <= MSIZ_DT_STRING ? names[t] : "?";
}

/* An array as a JSON value (see msiz_store_read_group_json). */
static msiz_status array_json(msiz_store_reader *r, const char *path, json_t **out)
{
    msiz_zarr_rarray *a = NULL;
    char *text = NULL;
    double *vals = NULL;
    msiz_status status = msiz_zarr_rarray_open(r->z, path, &a);
    if (status < 0)
        return status;
    const msiz_zarr_rinfo *info = msiz_zarr_rarray_info(a);
    uint64_t n = msiz_zarr_rarray_size(a), start[MSIZ_ZARR_MAX_DIMS] = {0};
    int scalar = n == 1;
    if (info->dtype == MSIZ_DT_STRING && scalar) {
        MSIZ_TRY(msiz_zarr_rarray_read_string(a, 0, &text));
        *out = json_string(text);
    } else if (info->dtype != MSIZ_DT_STRING && n <= GROUP_JSON_LISTED && (info->ndim <= 1)) {
        vals = msiz_malloc((size_t)(n ? n : 1) * sizeof *vals);
        MSIZ_FAIL_IF(!vals, MSIZ_E_NOMEM, "out of memory");
        MSIZ_TRY(msiz_zarr_rarray_read(a, start, info->shape, MSIZ_DT_FLOAT64, vals));
        json_t *list = scalar && info->ndim == 0 ? NULL : json_array();
        for (uint64_t i = 0; i < n; i++) {
            json_t *v = info->dtype == MSIZ_DT_BOOL     ? json_boolean(vals[i] != 0)
                        : info->dtype <= MSIZ_DT_UINT64 ? json_integer((json_int_t)vals[i])
                                                        : json_real(vals[i]);
            if (!list) {
                *out = v;
                break;
            }
            json_array_append_new(list, v);
        }
        if (list)
            *out = list;
    } else {
        char desc[96];
        snprintf(desc, sizeof desc, "(%llu %s values)", (unsigned long long)n,
                 dtype_name(info->dtype));
        *out = json_string(desc);
    }
    MSIZ_FAIL_IF(!*out, MSIZ_E_NOMEM, "out of memory");
cleanup:
    msiz_free(text);
    msiz_free(vals);
    msiz_zarr_rarray_close(a);
    return status;
}

static msiz_status group_json(msiz_store_reader *r, const char *path, int depth, json_t **out)
{
    json_t *names = NULL, *obj = json_object();
    char child[MSIZ_STORE_PATH_MAX];
    msiz_status status = MSIZ_OK;
    MSIZ_FAIL_IF(!obj, MSIZ_E_NOMEM, "out of memory");
    MSIZ_TRY(msiz_zarr_read_children(r->z, path, &names));
    for (size_t i = 0; i < json_array_size(names); i++) {
        const char *name = json_string_value(json_array_get(names, i));
        json_t *v = NULL;
        MSIZ_TRY(msiz_store_reader_path(path, name, NULL, child, sizeof child));
        json_t *probe = NULL;
        status = msiz_zarr_read_children(r->z, child, &probe);
        json_decref(probe);
        if (status == MSIZ_OK) /* a group */
            status = depth < GROUP_JSON_DEPTH ? group_json(r, child, depth + 1, &v)
                                              : (v = json_string("(nested deeper)"), MSIZ_OK);
        else if (status == MSIZ_E_NOTFOUND)
            status = array_json(r, child, &v);
        MSIZ_TRY(status);
        json_object_set_new(obj, name, v);
    }
    *out = obj;
    obj = NULL;
cleanup:
    json_decref(names);
    json_decref(obj);
    return status;
}

msiz_status msiz_store_read_group_json(msiz_store_reader *r, const char *path, json_t **out)
{
    *out = NULL;
    return group_json(r, path, 0, out);
}

msiz_status msiz_store_read_image(msiz_store_reader *r, const char *name, int *ndim,
                                  uint64_t shape[4], double **out)
{
    char path[MSIZ_STORE_PATH_MAX];
    msiz_zarr_rarray *a = NULL;
    double *data = NULL;
    uint64_t start[4] = {0, 0, 0, 0};
    msiz_status status = MSIZ_OK;
    *out = NULL;
    MSIZ_TRY(msiz_store_reader_path("images", name, "s0", path, sizeof path));
    MSIZ_TRY(msiz_zarr_rarray_open(r->z, path, &a));
    const msiz_zarr_rinfo *info = msiz_zarr_rarray_info(a);
    MSIZ_FAIL_IF(info->ndim != 3 && info->ndim != 4, MSIZ_E_FORMAT,
                 "%s/%s: an image level has 3 (c, y, x) or 4 (c, z, y, x) dimensions, not %d",
                 msiz_zarr_reader_root(r->z), path, info->ndim);
    uint64_t n = msiz_zarr_rarray_size(a);
    MSIZ_FAIL_IF(n > SIZE_MAX / sizeof *data, MSIZ_E_LIMIT, "%s: image too large", path);
    data = msiz_malloc((size_t)(n ? n : 1) * sizeof *data);
    MSIZ_FAIL_IF(!data, MSIZ_E_NOMEM, "%s: out of memory for %llu pixels", path,
                 (unsigned long long)n);
    MSIZ_TRY(msiz_zarr_rarray_read(a, start, info->shape, MSIZ_DT_FLOAT64, data));
    *ndim = info->ndim;
    memcpy(shape, info->shape, (size_t)info->ndim * sizeof *shape);
    *out = data;
    data = NULL;
cleanup:
    msiz_free(data);
    msiz_zarr_rarray_close(a);
    return status;
}
