/* AnnData table: group layout, X streamed as CSC/CSR, table metadata. Dataframe columns are in
 * store_columns.c, uns in store_uns.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/error.h"
#include "store/store_internal.h"
#include "store/store_table.h"

void msiz_table_opts_init(msiz_table_opts *opts)
{
    memset(opts, 0, sizeof *opts);
    opts->region_key = "region";
    opts->instance_key = "instance_key";
    opts->format = MSIZ_SPARSE_CSC;
    opts->nnz = UINT64_MAX;
    opts->nnz_max = UINT64_MAX;
}

/* Largest value int32 X indices may hold: INT32_MAX. Tests lower it with the environment
 * variable MSIZ_TEST_INDEX32_MAX to reach the int64 path on small data; it is not an option of
 * the library (documented in docs/output-layout.md only as a test hook). */
static uint64_t index32_max(void)
{
    const char *v = getenv("MSIZ_TEST_INDEX32_MAX");
    if (v && *v) {
        char *end;
        unsigned long long x = strtoull(v, &end, 10);
        if (*end == '\0' && x < (uint64_t)INT32_MAX)
            return x;
    }
    return (uint64_t)INT32_MAX;
}

/* One dtype for X/indices and X/indptr, as scipy wants them (output-layout.md §3): int32
 * while the entries, the minor dimension (the largest index) and the major one fit, else
 * int64. The entry count must be known, or bounded, before the first chunk is written. */
static int needs_index64(const msiz_table *t)
{
    uint64_t limit = index32_max();
    return t->nnz_bound > limit || t->n_minor > limit ||
           (t->n_major != UINT64_MAX && t->n_major > limit);
}

msiz_status msiz_table_path(const msiz_table *t, const char *rel, char *out, size_t size)
{
    int n = snprintf(out, size, "%s/%s", t->path, rel);
    if (n < 0 || (size_t)n >= size)
        return msiz_fail(MSIZ_E_LIMIT, "path too long: '%s/%s'", t->path, rel);
    return MSIZ_OK;
}

static msiz_status check_table_opts(const msiz_store *s, const msiz_table_opts *o)
{
    const char *p = s->final_path;
    if (!o->region || !msiz_store_valid_key(o->region))
        return msiz_fail(MSIZ_E_ARG, "%s: invalid table region name '%s'", p,
                         o->region ? o->region : "(null)");
    if (!msiz_store_valid_key(o->region_key) || !msiz_store_valid_key(o->instance_key))
        return msiz_fail(MSIZ_E_ARG, "%s: invalid region_key or instance_key", p);
    if (o->n_obs == UINT64_MAX && o->format != MSIZ_SPARSE_CSR)
        return msiz_fail(MSIZ_E_ARG, "%s: only a CSR table may leave n_obs open", p);
    if ((o->n_obs != UINT64_MAX && o->n_obs >= (uint64_t)INT32_MAX) ||
        o->n_var >= (uint64_t)INT32_MAX)
        return msiz_fail(MSIZ_E_LIMIT,
                         "%s: table of %llu x %llu exceeds the int32 index limit (2^31 - 1)", p,
                         (unsigned long long)o->n_obs, (unsigned long long)o->n_var);
    if (o->format != MSIZ_SPARSE_CSC && o->format != MSIZ_SPARSE_CSR)
        return msiz_fail(MSIZ_E_ARG, "%s: unknown sparse format %d", p, (int)o->format);
    return MSIZ_OK;
}

static msiz_status empty_dict(msiz_table *t, const char *rel)
{
    char path[MSIZ_STORE_PATH_MAX];
    msiz_status status = msiz_table_path(t, rel, path, sizeof path);
    if (status < 0)
        return status;
    json_t *attrs = msiz_store_encoding("dict", "0.1.0");
    status = msiz_store_need_attrs(attrs, path);
    if (status == MSIZ_OK)
        status = msiz_zarr_group(t->store->z, path, attrs);
    json_decref(attrs);
    return status;
}

static msiz_status write_table_group(msiz_table *t)
{
    const msiz_table_opts *o = &t->opts;
    json_t *attrs =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "encoding-type", "anndata",
                  "encoding-version", "0.1.0", "spatialdata-encoding-type", "ngff:regions_table",
                  "region", o->region, "region_key", o->region_key, "instance_key", o->instance_key,
                  "version", t->store->opts.zarr_format == 3 ? "0.2" : "0.1");
    msiz_status status = msiz_store_need_attrs(attrs, t->path);
    if (status == MSIZ_OK)
        status = msiz_zarr_group(t->store->z, t->path, attrs);
    json_decref(attrs);
    return status;
}

/* uns/spatialdata_attrs repeats the table semantics (spatialdata reads them from there). */
static msiz_status write_uns_spatialdata_attrs(msiz_table *t)
{
    json_t *v = json_pack("{s:s, s:s, s:s}", "region", t->opts.region, "region_key",
                          t->opts.region_key, "instance_key", t->opts.instance_key);
    char path[MSIZ_STORE_PATH_MAX];
    msiz_status status = msiz_table_path(t, "uns/spatialdata_attrs", path, sizeof path);
    if (status == MSIZ_OK)
        status = msiz_store_need_attrs(v, path);
    if (status == MSIZ_OK)
        status = msiz_store_write_uns_value(t->store->z, path, v);
    json_decref(v);
    return status;
}

/* zstd levels of X/data and X/indices when the store's zstd level is the default: on the
 * float64 values level 2 is smaller than zstd's default (3) and compresses in two thirds of its
 * time; the int32 ids take a third of the time at level 1 for about 15% more bytes. Measured on
 * the benchmark presets (docs/benchmarks.md "Compression levels"); other arrays keep level 0. */
#define X_DATA_ZSTD_LEVEL    2
#define X_INDICES_ZSTD_LEVEL 1

static msiz_status create_x_array(msiz_table *t, const char *name, msiz_dtype dtype, uint64_t len,
                                  uint64_t chunk, int zstd_level, msiz_zarr_array **out)
{
    char path[MSIZ_STORE_PATH_MAX];
    msiz_zarr_array_opts ao;
    msiz_zarr_array_opts_init(&ao, dtype, 1);
    ao.shape[0] = len;
    ao.chunks[0] = chunk ? chunk : 1;
    msiz_compression comp = t->store->opts.compression;
    if (zstd_level != MSIZ_LEVEL_DEFAULT && comp.codec == MSIZ_CODEC_ZSTD &&
        comp.level == MSIZ_LEVEL_DEFAULT) {
        comp.level = zstd_level;
        ao.compression = &comp;
    }
    ao.attrs = msiz_store_encoding("array", "0.2.0");
    msiz_status status = msiz_table_path(t, name, path, sizeof path);
    if (status == MSIZ_OK)
        status = msiz_store_need_attrs(ao.attrs, path);
    if (status == MSIZ_OK)
        status = msiz_zarr_array_create(t->store->z, path, &ao, out);
    json_decref(ao.attrs);
    return status;
}

static json_t *x_attrs(const msiz_table *t)
{
    const char *kind = t->opts.format == MSIZ_SPARSE_CSC ? "csc_matrix" : "csr_matrix";
    return json_pack("{s:[I, I], s:s, s:s}", "shape", (json_int_t)t->opts.n_obs,
                     (json_int_t)t->opts.n_var, "encoding-type", kind, "encoding-version", "0.1.0");
}

/* The X group; with n_obs still open (CSR) its attributes are written by resolve_rows. */
static msiz_status write_x_group(msiz_table *t)
{
    char path[MSIZ_STORE_PATH_MAX];
    json_t *attrs = t->rows_open ? NULL : x_attrs(t);
    msiz_status status = msiz_table_path(t, "X", path, sizeof path);
    if (status == MSIZ_OK && !t->rows_open)
        status = msiz_store_need_attrs(attrs, path);
    if (status == MSIZ_OK)
        status = msiz_zarr_group(t->store->z, path, attrs);
    json_decref(attrs);
    return status;
}

msiz_status msiz_table_resolve_rows(msiz_table *t)
{
    if (!t->rows_open)
        return MSIZ_OK;
    t->rows_open = 0;
    t->opts.n_obs = t->major_done;
    t->n_major = t->major_done;
    char path[MSIZ_STORE_PATH_MAX];
    json_t *attrs = x_attrs(t);
    msiz_status status = msiz_table_path(t, "X", path, sizeof path);
    if (status == MSIZ_OK)
        status = msiz_store_need_attrs(attrs, path);
    if (status == MSIZ_OK)
        status = msiz_zarr_set_attrs(t->store->z, path, attrs);
    json_decref(attrs);
    return status;
}

static msiz_status append_indptr(msiz_table *t, uint64_t end)
{
    int64_t wide = (int64_t)end;
    int32_t narrow = (int32_t)end;
    return msiz_zarr_array_append(t->x_indptr, t->index64 ? (const void *)&wide : &narrow, 1);
}

/* Minor indices arrive as int32; an int64 table widens them block by block. */
static msiz_status append_indices(msiz_table *t, const int32_t *minor, size_t n)
{
    if (!t->index64)
        return msiz_zarr_array_append(t->x_indices, minor, n);
    int64_t wide[1024];
    for (size_t off = 0; off < n; off += 1024) {
        size_t k = n - off < 1024 ? n - off : 1024;
        for (size_t i = 0; i < k; i++)
            wide[i] = minor[off + i];
        msiz_status status = msiz_zarr_array_append(t->x_indices, wide, k);
        if (status < 0)
            return status;
    }
    return MSIZ_OK;
}

static msiz_status open_x(msiz_table *t)
{
    msiz_status status = MSIZ_OK;
    uint64_t nnz = t->opts.nnz;
    uint64_t chunk = t->store->opts.chunk_elems;
    if (nnz != UINT64_MAX && nnz < chunk)
        chunk = nnz;
    MSIZ_TRY(write_x_group(t));
    MSIZ_TRY(create_x_array(t, "X/data", MSIZ_DT_FLOAT64,
                            nnz == UINT64_MAX ? MSIZ_ZARR_UNKNOWN_LEN : nnz, chunk,
                            X_DATA_ZSTD_LEVEL, &t->x_data));
    msiz_dtype index = t->index64 ? MSIZ_DT_INT64 : MSIZ_DT_INT32;
    MSIZ_TRY(create_x_array(t, "X/indices", index, nnz == UINT64_MAX ? MSIZ_ZARR_UNKNOWN_LEN : nnz,
                            chunk, X_INDICES_ZSTD_LEVEL, &t->x_indices));
    uint64_t ptr_len = t->rows_open ? MSIZ_ZARR_UNKNOWN_LEN : t->n_major + 1;
    MSIZ_TRY(create_x_array(t, "X/indptr", index, ptr_len,
                            ptr_len < MSIZ_STORE_INDPTR_CHUNK ? ptr_len : MSIZ_STORE_INDPTR_CHUNK,
                            MSIZ_LEVEL_DEFAULT, &t->x_indptr));
    MSIZ_TRY(append_indptr(t, 0));
cleanup:
    return status;
}

static msiz_status open_groups(msiz_table *t)
{
    static const char *const dicts[] = {"layers", "obsm", "obsp", "varm", "varp", "uns"};
    char path[MSIZ_STORE_PATH_MAX];
    msiz_status status = MSIZ_OK;
    MSIZ_TRY(write_table_group(t));
    MSIZ_TRY(open_x(t));
    for (int axis = 0; axis < 2; axis++) {
        MSIZ_TRY(msiz_table_path(t, axis == MSIZ_OBS ? "obs" : "var", path, sizeof path));
        MSIZ_TRY(msiz_zarr_group(t->store->z, path, NULL));
    }
    for (size_t i = 0; i < sizeof dicts / sizeof dicts[0]; i++)
        MSIZ_TRY(empty_dict(t, dicts[i]));
    MSIZ_TRY(write_uns_spatialdata_attrs(t));
cleanup:
    return status;
}

static void table_free(msiz_table *t)
{
    if (!t)
        return;
    if (t->prev)
        t->prev->next = t->next;
    else if (t->store && t->store->tables == t)
        t->store->tables = t->next;
    if (t->next)
        t->next->prev = t->prev;
    msiz_zarr_array_free(t->x_data);
    msiz_zarr_array_free(t->x_indices);
    msiz_zarr_array_free(t->x_indptr);
    for (int axis = 0; axis < 2; axis++) {
        json_decref(t->df[axis].columns);
        json_decref(t->df[axis].names);
        msiz_free(t->df[axis].index);
    }
    json_decref(t->uns_dicts);
    msiz_free(t->region);
    msiz_free(t->region_key);
    msiz_free(t->instance_key);
    msiz_free(t);
}

static msiz_status copy_names(msiz_table *t, const msiz_table_opts *o)
{
    t->opts = *o;
    t->region = msiz_strdup(o->region);
    t->region_key = msiz_strdup(o->region_key);
    t->instance_key = msiz_strdup(o->instance_key);
    if (!t->region || !t->region_key || !t->instance_key)
        return msiz_fail(MSIZ_E_NOMEM, "out of memory");
    t->opts.region = t->region;
    t->opts.region_key = t->region_key;
    t->opts.instance_key = t->instance_key;
    for (int axis = 0; axis < 2; axis++) {
        t->df[axis].columns = json_array();
        t->df[axis].names = json_object();
        if (!t->df[axis].columns || !t->df[axis].names)
            return msiz_fail(MSIZ_E_NOMEM, "out of memory");
    }
    t->uns_dicts = json_object();
    return t->uns_dicts ? MSIZ_OK : msiz_fail(MSIZ_E_NOMEM, "out of memory");
}

msiz_status msiz_store_table_begin(msiz_store *s, const msiz_table_opts *opts, msiz_table **out)
{
    msiz_status status = MSIZ_OK;
    msiz_table *t = NULL;
    *out = NULL;
    MSIZ_TRY(check_table_opts(s, opts));
    t = msiz_calloc(1, sizeof *t);
    MSIZ_FAIL_IF(!t, MSIZ_E_NOMEM, "out of memory");
    t->store = s;
    MSIZ_TRY(copy_names(t, opts));
    MSIZ_TRY(msiz_store_claim_element(s, "tables", opts->name, t->path, sizeof t->path));
    t->csc = opts->format == MSIZ_SPARSE_CSC;
    t->rows_open = opts->n_obs == UINT64_MAX;
    t->n_major = t->rows_open ? UINT64_MAX : t->csc ? opts->n_var : opts->n_obs;
    t->n_minor = t->csc ? opts->n_obs : opts->n_var;
    t->nnz_bound = opts->nnz != UINT64_MAX ? opts->nnz : opts->nnz_max;
    t->index64 = needs_index64(t);
    MSIZ_TRY(open_groups(t));
    s->open_tables++;
    t->next = s->tables;
    if (s->tables)
        s->tables->prev = t;
    s->tables = t;
    *out = t;
    t = NULL;
cleanup:
    table_free(t);
    return status;
}

static msiz_status check_slice(const msiz_table *t, const int32_t *minor, const double *values,
                               size_t n)
{
    const char *what = t->csc ? "column" : "row";
    for (size_t i = 0; i < n; i++) {
        if (minor[i] < 0 || (uint64_t)minor[i] >= t->n_minor)
            return msiz_fail(MSIZ_E_ARG, "%s: X %s %llu: index %d out of range [0, %llu)", t->path,
                             what, (unsigned long long)t->major_done, (int)minor[i],
                             (unsigned long long)t->n_minor);
        if (i > 0 && minor[i] <= minor[i - 1])
            return msiz_fail(
                MSIZ_E_ARG, "%s: X %s %llu: indices not strictly increasing (%d after %d)", t->path,
                what, (unsigned long long)t->major_done, (int)minor[i], (int)minor[i - 1]);
        if (values[i] == 0.0)
            return msiz_fail(MSIZ_E_ARG, "%s: X %s %llu: explicit zero at index %d", t->path, what,
                             (unsigned long long)t->major_done, (int)minor[i]);
    }
    return MSIZ_OK;
}

msiz_status msiz_table_x_append(msiz_table *t, const int32_t *minor, const double *values, size_t n)
{
    msiz_status status = MSIZ_OK;
    MSIZ_FAIL_IF(!t->rows_open && t->major_done >= t->n_major, MSIZ_E_ARG, "%s: X has only %llu %s",
                 t->path, (unsigned long long)t->n_major, t->csc ? "columns" : "rows");
    MSIZ_TRY(check_slice(t, minor, values, n));
    MSIZ_FAIL_IF(n > t->nnz_bound - t->nnz, MSIZ_E_ARG,
                 "%s: X gets more than the %llu entries announced (nnz / nnz_max)", t->path,
                 (unsigned long long)t->nnz_bound);
    if (n > 0) {
        MSIZ_TRY(msiz_zarr_array_append(t->x_data, values, n));
        MSIZ_TRY(append_indices(t, minor, n));
    }
    t->nnz += n;
    MSIZ_TRY(append_indptr(t, t->nnz));
    t->major_done++;
cleanup:
    return status;
}

static msiz_status finish_x(msiz_table *t)
{
    msiz_status status = MSIZ_OK;
    MSIZ_TRY(msiz_table_resolve_rows(t));
    MSIZ_FAIL_IF(t->major_done != t->n_major, MSIZ_E_ARG, "%s: X got %llu of %llu %s", t->path,
                 (unsigned long long)t->major_done, (unsigned long long)t->n_major,
                 t->csc ? "columns" : "rows");
    MSIZ_FAIL_IF(t->opts.nnz != UINT64_MAX && t->opts.nnz != t->nnz, MSIZ_E_ARG,
                 "%s: X got %llu stored entries, %llu announced", t->path,
                 (unsigned long long)t->nnz, (unsigned long long)t->opts.nnz);
    MSIZ_TRY(msiz_zarr_array_finish(t->x_data));
    MSIZ_TRY(msiz_zarr_array_finish(t->x_indices));
    MSIZ_TRY(msiz_zarr_array_finish(t->x_indptr));
cleanup:
    return status;
}

void msiz_table_abort(msiz_table *t)
{
    if (!t)
        return;
    t->store->open_tables--;
    table_free(t);
}

void msiz_store_drop_table(msiz_table *t)
{
    msiz_table_abort(t);
}

msiz_status msiz_table_finish(msiz_table *t)
{
    msiz_status status = MSIZ_OK;
    if (!t)
        return msiz_fail(MSIZ_E_ARG, "msiz_table_finish: NULL table");
    MSIZ_TRY(finish_x(t));
    MSIZ_TRY(msiz_table_finish_dataframes(t));
cleanup:
    t->store->open_tables--;
    table_free(t);
    return status;
}
