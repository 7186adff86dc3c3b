/* obs / var dataframe columns in anndata's encoding (array, string-array, categorical). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/alloc.h"
#include "common/error.h"
#include "store/store_internal.h"
#include "store/store_table.h"

#define STRING_BATCH 1024
#define STRING_CAP   256

static const char *df_name(msiz_axis_df axis)
{
    return axis == MSIZ_OBS ? "obs" : "var";
}

static uint64_t df_length(const msiz_table *t, msiz_axis_df axis)
{
    return axis == MSIZ_OBS ? t->opts.n_obs : t->opts.n_var;
}

/* Validates a new column and builds its path "<table>/<obs|var>/<name>". */
static msiz_status claim_column(msiz_table *t, msiz_axis_df axis, const char *name, uint64_t n,
                                char *path, size_t size)
{
    if (axis != MSIZ_OBS && axis != MSIZ_VAR)
        return msiz_fail(MSIZ_E_ARG, "%s: unknown dataframe axis %d", t->path, (int)axis);
    msiz_status status = msiz_table_resolve_rows(t);
    if (status < 0)
        return status;
    if (!msiz_store_valid_key(name))
        return msiz_fail(MSIZ_E_ARG, "%s/%s: invalid column name '%s'", t->path, df_name(axis),
                         name ? name : "(null)");
    if (n != df_length(t, axis))
        return msiz_fail(MSIZ_E_ARG, "%s/%s/%s: %llu values for %llu rows", t->path, df_name(axis),
                         name, (unsigned long long)n, (unsigned long long)df_length(t, axis));
    msiz_dataframe *df = &t->df[axis];
    /* column names are unique case-insensitively, as spatialdata checks table keys */
    const char *key;
    json_t *v;
    json_object_foreach(df->names, key, v)
    {
        (void)v;
        if (strcasecmp(key, name) == 0)
            return msiz_fail(MSIZ_E_ARG, "%s/%s: column '%s' given twice", t->path, df_name(axis),
                             name);
    }
    if (json_object_set_new(df->names, name, json_true()) != 0 ||
        json_array_append_new(df->columns, json_string(name)) != 0)
        return msiz_fail(MSIZ_E_NOMEM, "%s/%s/%s: out of memory", t->path, df_name(axis), name);
    int len = snprintf(path, size, "%s/%s/%s", t->path, df_name(axis), name);
    if (len < 0 || (size_t)len >= size)
        return msiz_fail(MSIZ_E_LIMIT, "%s: column path too long", t->path);
    return MSIZ_OK;
}

static msiz_dtype column_dtype(msiz_column_type type)
{
    switch (type) {
    case MSIZ_COL_BOOL: return MSIZ_DT_BOOL;
    case MSIZ_COL_INT8: return MSIZ_DT_INT8;
    case MSIZ_COL_INT16: return MSIZ_DT_INT16;
    case MSIZ_COL_INT32: return MSIZ_DT_INT32;
    case MSIZ_COL_INT64: return MSIZ_DT_INT64;
    case MSIZ_COL_FLOAT32: return MSIZ_DT_FLOAT32;
    case MSIZ_COL_FLOAT64: return MSIZ_DT_FLOAT64;
    }
    return MSIZ_DT_FLOAT64;
}

static uint64_t column_chunk(uint64_t n)
{
    if (n == 0)
        return 1;
    return n < MSIZ_STORE_COLUMN_CHUNK ? n : MSIZ_STORE_COLUMN_CHUNK;
}

msiz_status msiz_table_add_numeric(msiz_table *t, msiz_axis_df axis, const char *name,
                                   msiz_column_type type, const void *values, uint64_t n)
{
    char path[MSIZ_STORE_PATH_MAX];
    msiz_status status = claim_column(t, axis, name, n, path, sizeof path);
    if (status < 0)
        return status;
    json_t *attrs = msiz_store_encoding("array", "0.2.0");
    status = msiz_store_need_attrs(attrs, path);
    if (status == MSIZ_OK)
        status = msiz_zarr_write_array1d(t->store->z, path, column_dtype(type), values, n,
                                         column_chunk(n), attrs);
    json_decref(attrs);
    return status;
}

msiz_status msiz_store_write_string_column(msiz_zarr *z, const char *path, uint64_t n,
                                           msiz_string_fn fn, void *ctx, json_t *attrs)
{
    msiz_status status = MSIZ_OK;
    msiz_zarr_array *a = NULL;
    char *text = msiz_malloc((size_t)STRING_BATCH * STRING_CAP);
    const char **ptrs = msiz_malloc(STRING_BATCH * sizeof *ptrs);
    MSIZ_FAIL_IF(!text || !ptrs, MSIZ_E_NOMEM, "%s: out of memory", path);
    msiz_zarr_array_opts ao;
    msiz_zarr_array_opts_init(&ao, MSIZ_DT_STRING, 1);
    ao.shape[0] = n;
    ao.chunks[0] = column_chunk(n);
    ao.attrs = attrs;
    MSIZ_TRY(msiz_zarr_array_create(z, path, &ao, &a));
    for (uint64_t start = 0; start < n; start += STRING_BATCH) {
        uint64_t count = n - start < STRING_BATCH ? n - start : STRING_BATCH;
        for (uint64_t i = 0; i < count; i++) {
            char *slot = text + i * STRING_CAP;
            slot[0] = '\0';
            MSIZ_TRY(fn(ctx, start + i, slot, STRING_CAP));
            slot[STRING_CAP - 1] = '\0';
            ptrs[i] = slot;
        }
        MSIZ_TRY(msiz_zarr_array_append(a, ptrs, count));
    }
    MSIZ_TRY(msiz_zarr_array_finish(a));
cleanup:
    msiz_zarr_array_free(a);
    msiz_free(text);
    msiz_free(ptrs);
    return status;
}

msiz_status msiz_table_add_strings_fn(msiz_table *t, msiz_axis_df axis, const char *name,
                                      uint64_t n, msiz_string_fn fn, void *ctx)
{
    char path[MSIZ_STORE_PATH_MAX];
    msiz_status status = claim_column(t, axis, name, n, path, sizeof path);
    if (status < 0)
        return status;
    json_t *attrs = msiz_store_encoding("string-array", "0.2.0");
    status = msiz_store_need_attrs(attrs, path);
    if (status == MSIZ_OK)
        status = msiz_store_write_string_column(t->store->z, path, n, fn, ctx, attrs);
    json_decref(attrs);
    return status;
}

static msiz_status string_from_array(void *ctx, uint64_t i, char *buf, size_t cap)
{
    const char *const *values = ctx;
    size_t len = strlen(values[i]);
    if (len >= cap)
        return msiz_fail(MSIZ_E_LIMIT, "string of %zu bytes exceeds the column limit of %zu", len,
                         cap - 1);
    memcpy(buf, values[i], len + 1);
    return MSIZ_OK;
}

msiz_status msiz_table_add_strings(msiz_table *t, msiz_axis_df axis, const char *name,
                                   const char *const *values, uint64_t n)
{
    return msiz_table_add_strings_fn(t, axis, name, n, string_from_array, (void *)values);
}

static msiz_status string_from_int(void *ctx, uint64_t i, char *buf, size_t cap)
{
    const int64_t *values = ctx;
    snprintf(buf, cap, "%" PRId64, values[i]);
    return MSIZ_OK;
}

msiz_status msiz_table_add_decimal_strings(msiz_table *t, msiz_axis_df axis, const char *name,
                                           const int64_t *values, uint64_t n)
{
    return msiz_table_add_strings_fn(t, axis, name, n, string_from_int, (void *)values);
}

static msiz_status write_codes(msiz_table *t, const char *path, size_t n_categories,
                               const int32_t *codes, uint64_t n)
{
    msiz_status status = MSIZ_OK;
    msiz_dtype dtype = n_categories < 128     ? MSIZ_DT_INT8
                       : n_categories < 32768 ? MSIZ_DT_INT16
                                              : MSIZ_DT_INT32;
    size_t width = msiz_dtype_size(dtype);
    unsigned char *narrow = msiz_malloc(n ? (size_t)n * width : 1);
    MSIZ_FAIL_IF(!narrow, MSIZ_E_NOMEM, "%s: out of memory", path);
    for (uint64_t i = 0; i < n; i++) {
        MSIZ_FAIL_IF(codes[i] < -1 || codes[i] >= (int64_t)n_categories, MSIZ_E_ARG,
                     "%s: code %d at row %llu outside [-1, %zu)", path, (int)codes[i],
                     (unsigned long long)i, n_categories);
        if (dtype == MSIZ_DT_INT8)
            ((int8_t *)narrow)[i] = (int8_t)codes[i];
        else if (dtype == MSIZ_DT_INT16)
            ((int16_t *)narrow)[i] = (int16_t)codes[i];
        else
            ((int32_t *)narrow)[i] = codes[i];
    }
    json_t *attrs = msiz_store_encoding("array", "0.2.0");
    status = msiz_store_need_attrs(attrs, path);
    if (status == MSIZ_OK)
        status =
            msiz_zarr_write_array1d(t->store->z, path, dtype, narrow, n, column_chunk(n), attrs);
    json_decref(attrs);
cleanup:
    msiz_free(narrow);
    return status;
}

msiz_status msiz_table_add_categorical(msiz_table *t, msiz_axis_df axis, const char *name,
                                       const char *const *categories, size_t n_categories,
                                       const int32_t *codes, uint64_t n, int ordered)
{
    char path[MSIZ_STORE_PATH_MAX], sub[MSIZ_STORE_PATH_MAX + 16];
    msiz_status status = claim_column(t, axis, name, n, path, sizeof path);
    if (status < 0)
        return status;
    json_t *attrs = json_pack("{s:b, s:s, s:s}", "ordered", ordered, "encoding-type", "categorical",
                              "encoding-version", "0.2.0");
    status = msiz_store_need_attrs(attrs, path);
    if (status == MSIZ_OK)
        status = msiz_zarr_group(t->store->z, path, attrs);
    json_decref(attrs);
    if (status < 0)
        return status;
    snprintf(sub, sizeof sub, "%s/categories", path);
    attrs = msiz_store_encoding("string-array", "0.2.0");
    status = msiz_store_need_attrs(attrs, sub);
    if (status == MSIZ_OK)
        status = msiz_store_write_string_column(t->store->z, sub, n_categories, string_from_array,
                                                (void *)categories, attrs);
    json_decref(attrs);
    if (status < 0)
        return status;
    snprintf(sub, sizeof sub, "%s/codes", path);
    return write_codes(t, sub, n_categories, codes, n);
}

msiz_status msiz_table_set_index(msiz_table *t, msiz_axis_df axis, const char *name)
{
    if (axis != MSIZ_OBS && axis != MSIZ_VAR)
        return msiz_fail(MSIZ_E_ARG, "%s: unknown dataframe axis %d", t->path, (int)axis);
    msiz_dataframe *df = &t->df[axis];
    size_t i;
    json_t *v;
    json_array_foreach(df->columns, i, v)
    {
        if (strcmp(json_string_value(v), name) != 0)
            continue;
        char *copy = msiz_strdup(name);
        if (!copy)
            return msiz_fail(MSIZ_E_NOMEM, "out of memory");
        msiz_free(df->index);
        df->index = copy;
        json_array_remove(df->columns, i);
        return MSIZ_OK;
    }
    return msiz_fail(MSIZ_E_ARG, "%s/%s: index column '%s' was not added", t->path, df_name(axis),
                     name);
}

static msiz_status finish_dataframe(msiz_table *t, msiz_axis_df axis)
{
    msiz_dataframe *df = &t->df[axis];
    char path[MSIZ_STORE_PATH_MAX];
    if (!df->index)
        return msiz_fail(MSIZ_E_ARG, "%s/%s: no index column was set", t->path, df_name(axis));
    if (json_object_get(df->names, "_index") && strcmp(df->index, "_index") != 0)
        return msiz_fail(MSIZ_E_ARG, "%s/%s: a column named '_index' must be the index", t->path,
                         df_name(axis));
    if (axis == MSIZ_OBS && (!json_object_get(df->names, t->opts.region_key) ||
                             !json_object_get(df->names, t->opts.instance_key)))
        return msiz_fail(MSIZ_E_ARG,
                         "%s/obs: the region column '%s' and instance column '%s' "
                         "are required",
                         t->path, t->opts.region_key, t->opts.instance_key);
    json_t *attrs =
        json_pack("{s:s, s:O, s:s, s:s}", "_index", df->index, "column-order", df->columns,
                  "encoding-type", "dataframe", "encoding-version", "0.2.0");
    msiz_status status = msiz_table_path(t, df_name(axis), path, sizeof path);
    if (status == MSIZ_OK)
        status = msiz_store_need_attrs(attrs, path);
    if (status == MSIZ_OK)
        status = msiz_zarr_set_attrs(t->store->z, path, attrs);
    json_decref(attrs);
    return status;
}

msiz_status msiz_table_finish_dataframes(msiz_table *t)
{
    msiz_status status = finish_dataframe(t, MSIZ_OBS);
    return status < 0 ? status : finish_dataframe(t, MSIZ_VAR);
}
