/* uns: JSON values written in anndata's encodings (dict, string, numeric-scalar, array,
 * string-array). */
#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "common/error.h"
#include "common/json_text.h"
#include "common/log.h"
#include "store/store_internal.h"
#include "store/store_table.h"

/* Picks the node name of `key` inside one dict: its portable name (msiz_store_node_name),
 * made unique there with "-2", "-3", ... `used` holds the lower-cased names taken so far, so
 * that names differing only in case do not collide on case-insensitive file systems. */
static msiz_status unique_name(const char *dict, const char *key, json_t *used, char *name,
                               size_t cap)
{
    char base[MSIZ_STORE_NAME_MAX + 1], lower[MSIZ_STORE_NAME_MAX + 16];
    msiz_store_node_name(key, base, sizeof base);
    for (unsigned k = 1; k < 1000000; k++) {
        int n = k == 1 ? snprintf(name, cap, "%s", base)
                       : snprintf(name, cap, "%.*s-%u", MSIZ_STORE_NAME_MAX - 8, base, k);
        if (n < 0 || (size_t)n >= cap)
            return msiz_fail(MSIZ_E_LIMIT, "%s: uns name too long", dict);
        size_t i = 0;
        for (; name[i]; i++)
            lower[i] = (char)(name[i] >= 'A' && name[i] <= 'Z' ? name[i] + 32 : name[i]);
        lower[i] = '\0';
        if (!json_object_get(used, lower))
            return json_object_set_new(used, lower, json_true()) == 0
                       ? MSIZ_OK
                       : msiz_fail(MSIZ_E_NOMEM, "%s: out of memory", dict);
    }
    return msiz_fail(MSIZ_E_LIMIT, "%s: too many keys named like '%s'", dict, base);
}

static msiz_status child_path(const char *parent, const char *name, char *out, size_t size)
{
    int n = snprintf(out, size, "%s/%s", parent, name);
    if (n < 0 || (size_t)n >= size)
        return msiz_fail(MSIZ_E_LIMIT, "%s: uns path too long", parent);
    return MSIZ_OK;
}

/* Names every member of `obj` (skipping nulls); `renamed` gets {node name: key} for the keys
 * that are not their own name. */
static msiz_status name_members(const char *path, json_t *obj, json_t *names, json_t *renamed)
{
    json_t *used = json_object(), *v;
    const char *key;
    msiz_status status = used ? MSIZ_OK : msiz_fail(MSIZ_E_NOMEM, "%s: out of memory", path);
    json_object_foreach(obj, key, v)
    {
        char name[MSIZ_STORE_NAME_MAX + 16];
        if (status < 0 || json_is_null(v))
            continue; /* anndata < 0.9 cannot read "null": omit None values */
        status = unique_name(path, key, used, name, sizeof name);
        if (status == MSIZ_OK && json_object_set_new(names, key, json_string(name)) != 0)
            status = msiz_fail(MSIZ_E_NOMEM, "%s: out of memory", path);
        if (status == MSIZ_OK && strcmp(name, key) != 0 &&
            json_object_set_new(renamed, name, json_string(key)) != 0)
            status = msiz_fail(MSIZ_E_NOMEM, "%s: out of memory", path);
    }
    json_decref(used);
    return status;
}

/* A dict. Keys come from input files (Bruker GlobalMetadata, SQLite column names): they are
 * data, never paths (issue 13 item 6). A key that is not a portable node name is stored under
 * an escaped name, and the group's attribute "msizarr_original_keys" maps each such name back
 * to its key. */
static msiz_status write_dict(msiz_zarr *z, const char *path, json_t *obj)
{
    json_t *names = json_object(), *renamed = json_object();
    json_t *attrs = msiz_store_encoding("dict", "0.1.0");
    msiz_status status = names && renamed && attrs
                             ? name_members(path, obj, names, renamed)
                             : msiz_fail(MSIZ_E_NOMEM, "%s: out of memory", path);
    if (status == MSIZ_OK && json_object_size(renamed) > 0) {
        const char *first = json_object_iter_key(json_object_iter(renamed));
        msiz_warn("%s: %zu metadata keys are not portable Zarr names and are stored under escaped "
                  "names (first: '%.80s' as '%s'); the attribute msizarr_original_keys maps them "
                  "back",
                  path, json_object_size(renamed),
                  json_string_value(json_object_get(renamed, first)), first);
        if (json_object_set(attrs, "msizarr_original_keys", renamed) != 0)
            status = msiz_fail(MSIZ_E_NOMEM, "%s: out of memory", path);
    }
    if (status == MSIZ_OK)
        status = msiz_zarr_group(z, path, attrs);
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v)
    {
        char sub[MSIZ_STORE_PATH_MAX];
        json_t *name = json_object_get(names, key);
        if (status < 0)
            break;
        if (!name)
            continue; /* null */
        status = child_path(path, json_string_value(name), sub, sizeof sub);
        if (status == MSIZ_OK)
            status = msiz_store_write_uns_value(z, sub, v);
    }
    json_decref(names);
    json_decref(renamed);
    json_decref(attrs);
    return status;
}

static msiz_status write_scalar(msiz_zarr *z, const char *path, json_t *v)
{
    json_t *attrs = msiz_store_encoding("numeric-scalar", "0.2.0");
    msiz_status status = msiz_store_need_attrs(attrs, path);
    if (status < 0) {
        /* nothing to write */
    } else if (json_is_boolean(v)) {
        uint8_t b = json_is_true(v);
        status = msiz_zarr_write_scalar(z, path, MSIZ_DT_BOOL, &b, attrs);
    } else if (json_is_integer(v)) {
        int64_t i = (int64_t)json_integer_value(v);
        status = msiz_zarr_write_scalar(z, path, MSIZ_DT_INT64, &i, attrs);
    } else {
        double d = json_real_value(v);
        status = msiz_zarr_write_scalar(z, path, MSIZ_DT_FLOAT64, &d, attrs);
    }
    json_decref(attrs);
    return status;
}

static msiz_status write_json_text(msiz_zarr *z, const char *path, json_t *v)
{
    char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(17));
    if (!text)
        return msiz_fail(MSIZ_E_NOMEM, "%s: out of memory", path);
    json_t *attrs = msiz_store_encoding("string", "0.2.0");
    msiz_status status = msiz_store_need_attrs(attrs, path);
    if (status == MSIZ_OK)
        status = msiz_zarr_write_scalar_string(z, path, text, attrs);
    json_decref(attrs);
    free(text);
    return status;
}

/* 'n' numbers (all integers: 'i'), 's' strings, 'x' anything else (incl. empty arrays: 'n'). */
static char array_kind(json_t *arr, int *all_int)
{
    size_t i;
    json_t *v;
    int nums = 0, strs = 0;
    *all_int = 1;
    json_array_foreach(arr, i, v)
    {
        if (json_is_number(v) && !json_is_boolean(v)) {
            nums++;
            *all_int &= json_is_integer(v);
        } else if (json_is_string(v)) {
            strs++;
        } else {
            return 'x';
        }
    }
    if (strs && nums)
        return 'x';
    return strs ? 's' : 'n';
}

static msiz_status write_number_array(msiz_zarr *z, const char *path, json_t *arr, int all_int)
{
    size_t n = json_array_size(arr);
    void *buf = msiz_malloc(n ? n * 8 : 8);
    if (!buf)
        return msiz_fail(MSIZ_E_NOMEM, "%s: out of memory", path);
    for (size_t i = 0; i < n; i++) {
        json_t *v = json_array_get(arr, i);
        if (all_int)
            ((int64_t *)buf)[i] = (int64_t)json_integer_value(v);
        else
            ((double *)buf)[i] = json_number_value(v);
    }
    json_t *attrs = msiz_store_encoding("array", "0.2.0");
    msiz_status status = msiz_store_need_attrs(attrs, path);
    if (status == MSIZ_OK)
        status = msiz_zarr_write_array1d(
            z, path, all_int && n > 0 ? MSIZ_DT_INT64 : MSIZ_DT_FLOAT64, buf, n,
            n ? (n < MSIZ_STORE_COLUMN_CHUNK ? n : MSIZ_STORE_COLUMN_CHUNK) : 1, attrs);
    json_decref(attrs);
    msiz_free(buf);
    return status;
}

/* A string-array of n strings (no length limit: the pointers are handed to the writer). */
static msiz_status write_strings(msiz_zarr *z, const char *path, const char **values, size_t n)
{
    json_t *attrs = msiz_store_encoding("string-array", "0.2.0");
    msiz_status status =
        attrs ? msiz_zarr_write_array1d(
                    z, path, MSIZ_DT_STRING, values, n,
                    n ? (n < MSIZ_STORE_COLUMN_CHUNK ? n : MSIZ_STORE_COLUMN_CHUNK) : 1, attrs)
              : msiz_fail(MSIZ_E_NOMEM, "%s: out of memory", path);
    json_decref(attrs);
    return status;
}

static msiz_status write_string_array(msiz_zarr *z, const char *path, json_t *arr)
{
    size_t n = json_array_size(arr);
    const char **values = msiz_malloc((n + 1) * sizeof *values);
    if (!values)
        return msiz_fail(MSIZ_E_NOMEM, "%s: out of memory", path);
    for (size_t i = 0; i < n; i++)
        values[i] = json_string_value(json_array_get(arr, i));
    msiz_status status = write_strings(z, path, values, n);
    msiz_free(values);
    return status;
}

/* 1 for a list of records: a non-empty array of objects whose values are all strings. */
static int is_records(json_t *arr)
{
    size_t i;
    json_t *row, *v;
    const char *key;
    if (json_array_size(arr) == 0)
        return 0;
    json_array_foreach(arr, i, row)
    {
        if (!json_is_object(row))
            return 0;
        json_object_foreach(row, key, v) if (!json_is_string(v)) return 0;
    }
    return 1;
}

/* One string column of a record list: row[key], "" where a row lacks it. */
static msiz_status write_record_column(msiz_zarr *z, const char *path, json_t *rows,
                                       const char *key)
{
    size_t n = json_array_size(rows);
    const char **values = msiz_malloc(n * sizeof *values);
    if (!values)
        return msiz_fail(MSIZ_E_NOMEM, "%s: out of memory", path);
    for (size_t i = 0; i < n; i++) {
        const char *s = json_string_value(json_object_get(json_array_get(rows, i), key));
        values[i] = s ? s : "";
    }
    msiz_status status = write_strings(z, path, values, n);
    msiz_free(values);
    return status;
}

static msiz_status write_frame_index(msiz_zarr *z, const char *path, size_t n)
{
    char sub[MSIZ_STORE_PATH_MAX];
    char *text = msiz_malloc(n * 21 + 1);
    const char **values = msiz_malloc((n + 1) * sizeof *values);
    msiz_status status = text && values ? child_path(path, "_index", sub, sizeof sub)
                                        : msiz_fail(MSIZ_E_NOMEM, "%s: out of memory", path);
    for (size_t i = 0; status == MSIZ_OK && i < n; i++) {
        values[i] = text + i * 21;
        snprintf(text + i * 21, 21, "%zu", i);
    }
    if (status == MSIZ_OK)
        status = write_strings(z, sub, values, n);
    msiz_free(text);
    msiz_free(values);
    return status;
}

/* A list of records (e.g. an imzML header's cvParams) as an anndata dataframe: one string
 * column per key in first-seen order, index "0".."n-1", so that uns[...]["name"] is a column.
 * Column names follow the dict rules (write_dict), "_index" being the index's. */
static msiz_status write_dataframe(msiz_zarr *z, const char *path, json_t *rows)
{
    json_t *keys = json_object(), *names = json_object(), *renamed = json_object();
    json_t *order = json_array(), *row, *v;
    json_t *attrs = msiz_store_encoding("dataframe", "0.2.0");
    const char *key;
    size_t i;
    msiz_status status = keys && names && renamed && order && attrs
                             ? MSIZ_OK
                             : msiz_fail(MSIZ_E_NOMEM, "%s: out of memory", path);
    json_array_foreach(rows, i, row)
    {
        json_object_foreach(row, key, v)
        {
            if (status == MSIZ_OK && json_object_set(keys, key, v) != 0)
                status = msiz_fail(MSIZ_E_NOMEM, "%s: out of memory", path);
        }
    }
    json_t *used = json_pack("{s:b}", "_index", 1);
    json_object_foreach(keys, key, v)
    {
        char name[MSIZ_STORE_NAME_MAX + 16];
        if (status == MSIZ_OK)
            status = used ? unique_name(path, key, used, name, sizeof name)
                          : msiz_fail(MSIZ_E_NOMEM, "%s: out of memory", path);
        if (status == MSIZ_OK &&
            (json_object_set_new(names, key, json_string(name)) != 0 ||
             json_array_append_new(order, json_string(name)) != 0 ||
             (strcmp(name, key) != 0 && json_object_set_new(renamed, name, json_string(key)) != 0)))
            status = msiz_fail(MSIZ_E_NOMEM, "%s: out of memory", path);
    }
    json_decref(used);
    if (status == MSIZ_OK && (json_object_set_new(attrs, "_index", json_string("_index")) != 0 ||
                              json_object_set(attrs, "column-order", order) != 0 ||
                              (json_object_size(renamed) > 0 &&
                               json_object_set(attrs, "msizarr_original_keys", renamed) != 0)))
        status = msiz_fail(MSIZ_E_NOMEM, "%s: out of memory", path);
    if (status == MSIZ_OK)
        status = msiz_zarr_group(z, path, attrs);
    if (status == MSIZ_OK)
        status = write_frame_index(z, path, json_array_size(rows));
    json_object_foreach(keys, key, v)
    {
        char sub[MSIZ_STORE_PATH_MAX];
        if (status == MSIZ_OK)
            status =
                child_path(path, json_string_value(json_object_get(names, key)), sub, sizeof sub);
        if (status == MSIZ_OK)
            status = write_record_column(z, sub, rows, key);
    }
    json_decref(keys);
    json_decref(names);
    json_decref(renamed);
    json_decref(order);
    json_decref(attrs);
    return status;
}

msiz_status msiz_store_write_uns_value(msiz_zarr *z, const char *path, json_t *v)
{
    if (json_is_object(v))
        return write_dict(z, path, v);
    if (json_is_string(v)) {
        json_t *attrs = msiz_store_encoding("string", "0.2.0");
        msiz_status status = msiz_store_need_attrs(attrs, path);
        if (status == MSIZ_OK)
            status = msiz_zarr_write_scalar_string(z, path, json_string_value(v), attrs);
        json_decref(attrs);
        return status;
    }
    if (json_is_number(v) || json_is_boolean(v))
        return write_scalar(z, path, v);
    if (json_is_array(v)) {
        int all_int;
        char kind = array_kind(v, &all_int);
        if (kind == 'n')
            return write_number_array(z, path, v, all_int);
        if (kind == 's')
            return write_string_array(z, path, v);
        if (is_records(v))
            return write_dataframe(z, path, v);
        return write_json_text(z, path, v); /* other lists of dicts, mixed lists: JSON text */
    }
    return MSIZ_OK; /* null: omitted */
}

/* Makes sure "uns/<a>/<b>..." dicts exist for every parent of `rel` (a path under uns). */
static msiz_status ensure_uns_parents(msiz_table *t, const char *rel)
{
    char prefix[MSIZ_STORE_PATH_MAX];
    for (const char *slash = strchr(rel, '/'); slash; slash = strchr(slash + 1, '/')) {
        size_t len = (size_t)(slash - rel);
        if (len + 1 > sizeof prefix)
            return msiz_fail(MSIZ_E_LIMIT, "uns path too long");
        memcpy(prefix, rel, len);
        prefix[len] = '\0';
        if (json_object_get(t->uns_dicts, prefix))
            continue;
        char path[MSIZ_STORE_PATH_MAX + 8], uns_rel[MSIZ_STORE_PATH_MAX + 8];
        snprintf(uns_rel, sizeof uns_rel, "uns/%s", prefix);
        msiz_status status = msiz_table_path(t, uns_rel, path, sizeof path);
        json_t *attrs = msiz_store_encoding("dict", "0.1.0");
        if (status == MSIZ_OK)
            status = msiz_store_need_attrs(attrs, path);
        if (status == MSIZ_OK)
            status = msiz_zarr_group(t->store->z, path, attrs);
        json_decref(attrs);
        if (status < 0)
            return status;
        if (json_object_set_new(t->uns_dicts, prefix, json_true()) != 0)
            return msiz_fail(MSIZ_E_NOMEM, "%s: out of memory", path);
    }
    return MSIZ_OK;
}

/* Checks an uns path: top-level key by spatialdata's rules, nested keys more liberally. */
static msiz_status check_uns_path(const msiz_table *t, const char *rel)
{
    char part[MSIZ_STORE_PATH_MAX];
    size_t len = strlen(rel);
    if (len == 0 || len >= sizeof part)
        return msiz_fail(MSIZ_E_ARG, "%s/uns: invalid key '%s'", t->path, rel);
    memcpy(part, rel, len + 1);
    int depth = 0;
    for (char *tok = part, *next; tok; tok = next, depth++) {
        next = strchr(tok, '/');
        if (next)
            *next++ = '\0';
        int ok = depth == 0 ? msiz_store_valid_key(tok) : msiz_store_valid_nested_key(tok);
        if (!ok || (depth == 0 && strcmp(tok, "spatialdata_attrs") == 0))
            return msiz_fail(MSIZ_E_ARG, "%s/uns: invalid key '%s' in '%s'", t->path, tok, rel);
    }
    return MSIZ_OK;
}

msiz_status msiz_table_uns_json(msiz_table *t, const char *json_object)
{
    json_error_t err;
    json_t *obj = json_loads(json_object, 0, &err);
    msiz_status status = MSIZ_OK;
    if (!obj && msiz_json_load_nomem(&err))
        return msiz_fail(MSIZ_E_NOMEM, "%s/uns: out of memory reading the JSON", t->path);
    if (!obj || !json_is_object(obj)) {
        json_decref(obj);
        return msiz_fail(MSIZ_E_ARG, "%s/uns: not a JSON object: %s", t->path,
                         obj ? "wrong type" : err.text);
    }
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v)
    {
        char rel[MSIZ_STORE_PATH_MAX], path[MSIZ_STORE_PATH_MAX + 8];
        MSIZ_TRY(check_uns_path(t, key));
        MSIZ_FAIL_IF(strchr(key, '/') != NULL, MSIZ_E_ARG, "%s/uns: key '%s' contains '/'", t->path,
                     key);
        if (json_is_null(v))
            continue;
        snprintf(rel, sizeof rel, "uns/%s", key);
        MSIZ_TRY(msiz_table_path(t, rel, path, sizeof path));
        MSIZ_TRY(msiz_store_write_uns_value(t->store->z, path, v));
        MSIZ_FAIL_IF(json_is_object(v) && json_object_set_new(t->uns_dicts, key, json_true()) != 0,
                     MSIZ_E_NOMEM, "%s: out of memory", path);
    }
cleanup:
    json_decref(obj);
    return status;
}

msiz_status msiz_table_uns_f64(msiz_table *t, const char *rel_path, const double *values,
                               uint64_t n)
{
    char rel[MSIZ_STORE_PATH_MAX + 8], path[MSIZ_STORE_PATH_MAX + 16];
    msiz_status status = check_uns_path(t, rel_path);
    if (status == MSIZ_OK)
        status = ensure_uns_parents(t, rel_path);
    if (status < 0)
        return status;
    snprintf(rel, sizeof rel, "uns/%s", rel_path);
    status = msiz_table_path(t, rel, path, sizeof path);
    if (status < 0)
        return status;
    json_t *attrs = msiz_store_encoding("array", "0.2.0");
    uint64_t chunk = n == 0 ? 1 : n < MSIZ_STORE_COLUMN_CHUNK ? n : MSIZ_STORE_COLUMN_CHUNK;
    status = msiz_store_need_attrs(attrs, path);
    if (status == MSIZ_OK)
        status =
            msiz_zarr_write_array1d(t->store->z, path, MSIZ_DT_FLOAT64, values, n, chunk, attrs);
    json_decref(attrs);
    return status;
}
