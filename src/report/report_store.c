/* QC report from a store: msiz_report_store (a store on disk, read with the store reader) and
 * the ion images of a table of the store a conversion is writing. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/error.h"
#include "common/sized.h"
#include "msizarr/report.h"
#include "report/report_handle.h"
#include "store/store_read.h"

/* ---- options of any release (docs/api.md "How option structs grow") ---- */

static const size_t k_opts_ends[] = {
    MSIZ_FIELD_END(msiz_report_opts, struct_size),
    MSIZ_FIELD_END(msiz_report_opts, ions),
    MSIZ_FIELD_END(msiz_report_opts, overwrite),
    MSIZ_FIELD_END(msiz_report_opts, reserved0),
};
_Static_assert(MSIZ_FIELD_END(msiz_report_opts, reserved0) == sizeof(msiz_report_opts),
               "msiz_report_opts: list a new member in k_opts_ends, and fill tail padding");

static int opts_size_ok(size_t size)
{
    return msiz_sized_prefix_ok(k_opts_ends, sizeof k_opts_ends / sizeof k_opts_ends[0],
                                _Alignof(msiz_report_opts), size);
}

static void defaults(msiz_report_opts *o)
{
    memset(o, 0, sizeof *o);
    o->struct_size = sizeof *o;
    o->ions = 12;
}

void msiz_report_opts_init_sized(msiz_report_opts *opts, size_t struct_size)
{
    if (!opts || struct_size < sizeof opts->struct_size)
        return;
    if (!opts_size_ok(struct_size)) {
        opts->struct_size = struct_size; /* refused when used */
        return;
    }
    msiz_report_opts d;
    defaults(&d);
    d.struct_size = struct_size;
    memcpy(opts, &d, struct_size);
}

static msiz_status load_opts(const msiz_report_opts *in, msiz_report_opts *out)
{
    defaults(out);
    if (!in)
        return MSIZ_OK;
    if (!opts_size_ok(in->struct_size))
        return msiz_fail(MSIZ_E_ARG,
                         "msiz_report_opts: struct_size %zu matches no layout of msizarr %s "
                         "(fill the options with msiz_report_opts_init)",
                         in->struct_size, msiz_version());
    memcpy(out, in, in->struct_size);
    out->struct_size = sizeof *out;
    return MSIZ_OK;
}

/* ---- ion images from X ---- */

typedef struct x_sink {
    msiz_report *r;
    int csc;
} x_sink;

static msiz_status take_entries(void *ctx, uint64_t major, const int64_t *minor,
                                const double *values, size_t n)
{
    const x_sink *k = ctx;
    if (k->csc) { /* one column: rows */
        int slot = msiz_report_ion_of(k->r, major);
        for (size_t i = 0; slot >= 0 && i < n; i++)
            msiz_report_ion_add(k->r, slot, (uint64_t)minor[i], values[i]);
        return MSIZ_OK;
    }
    for (size_t i = 0; i < n; i++) { /* one row: columns */
        int slot = msiz_report_ion_of(k->r, (uint64_t)minor[i]);
        if (slot >= 0)
            msiz_report_ion_add(k->r, slot, major, values[i]);
    }
    return MSIZ_OK;
}

/* CSC: only the ions' columns are read; CSR: X once, front to back. */
static msiz_status ions_from_x(msiz_report *r, msiz_store_reader *sr, const char *table,
                               const msiz_stored_table *known)
{
    msiz_store_x *x = NULL;
    msiz_status status = MSIZ_OK;
    x_sink k = {r, known->format == MSIZ_SPARSE_CSC};
    if (msiz_report_ions(r) == 0)
        return MSIZ_OK;
    MSIZ_TRY(msiz_store_x_open(sr, table, known, &x));
    if (k.csc)
        for (size_t i = 0; i < r->n_ions; i++)
            MSIZ_TRY(msiz_store_x_slice(x, r->ion_bins[i], take_entries, &k));
    else
        MSIZ_TRY(msiz_store_x_scan(x, take_entries, &k));
cleanup:
    msiz_store_x_close(x);
    return status;
}

msiz_status msiz_report_ions_from_store(msiz_report *r, const msiz_store *s, const char *table,
                                        msiz_sparse_format format)
{
    msiz_store_reader *sr = NULL;
    if (!r->open)
        return msiz_fail(MSIZ_E_STATE, "report: no table is open");
    msiz_stored_table known = {.n_obs = r->t.n_rows, .n_var = r->t.n_bins, .format = format};
    msiz_status status = msiz_store_reader_open_unfinished(s, &sr);
    if (status == MSIZ_OK)
        status = ions_from_x(r, sr, table, &known);
    msiz_store_reader_close(sr);
    return status;
}

/* ---- a store on disk ---- */

/* What one table needs from the store; freed by table_data_free. */
typedef struct table_data {
    msiz_stored_table info;
    double *mz, *average, *tic;
    int64_t *cells;
    int32_t n_x, n_y, n_z;
} table_data;

static void table_data_free(table_data *d)
{
    msiz_free(d->mz);
    msiz_free(d->average);
    msiz_free(d->tic);
    msiz_free(d->cells);
    memset(d, 0, sizeof *d);
}

static msiz_status read_f64_col(msiz_store_reader *sr, const char *table, const char *rel,
                                uint64_t n, double **out)
{
    char path[1024];
    snprintf(path, sizeof path, "tables/%s/%s", table, rel);
    *out = msiz_malloc((size_t)(n ? n : 1) * sizeof **out);
    if (!*out)
        return msiz_fail(MSIZ_E_NOMEM, "out of memory for %s", path);
    return msiz_store_read_f64(sr, path, n, *out);
}

/* Grid cells of the rows from obs x, y (and z of a volume). */
static msiz_status read_cells(msiz_store_reader *sr, const char *table, table_data *d)
{
    static const char *const cols[3] = {"x", "y", "z"};
    int64_t *v[3] = {NULL, NULL, NULL};
    uint64_t n = d->info.n_obs;
    msiz_status status = MSIZ_OK;
    d->cells = msiz_malloc((size_t)(n ? n : 1) * sizeof *d->cells);
    MSIZ_FAIL_IF(!d->cells, MSIZ_E_NOMEM, "out of memory for %llu rows", (unsigned long long)n);
    for (int k = 0; k < (d->info.has_z ? 3 : 2); k++) {
        char path[1024];
        snprintf(path, sizeof path, "tables/%s/obs/%s", table, cols[k]);
        v[k] = msiz_malloc((size_t)(n ? n : 1) * sizeof *v[k]);
        MSIZ_FAIL_IF(!v[k], MSIZ_E_NOMEM, "out of memory for %llu rows", (unsigned long long)n);
        MSIZ_TRY(msiz_store_read_i64(sr, path, n, v[k]));
    }
    for (uint64_t i = 0; i < n; i++) {
        int64_t z = v[2] ? v[2][i] : 0;
        MSIZ_FAIL_IF(v[0][i] < 0 || v[0][i] >= d->n_x || v[1][i] < 0 || v[1][i] >= d->n_y ||
                         z < 0 || z >= d->n_z,
                     MSIZ_E_FORMAT,
                     "table '%s': row %llu at (%lld, %lld, %lld) lies outside the TIC image", table,
                     (unsigned long long)i, (long long)v[0][i], (long long)v[1][i], (long long)z);
        d->cells[i] = (z * d->n_y + v[1][i]) * d->n_x + v[0][i];
    }
cleanup:
    for (int k = 0; k < 3; k++)
        msiz_free(v[k]);
    return status;
}

static msiz_status read_table(msiz_store_reader *sr, const char *table, table_data *d)
{
    char image[600];
    int ndim = 0;
    uint64_t shape[4] = {0};
    msiz_status status = MSIZ_OK;
    MSIZ_TRY(msiz_store_read_table(sr, table, &d->info));
    MSIZ_TRY(read_f64_col(sr, table, "var/mz", d->info.n_var, &d->mz));
    MSIZ_TRY(read_f64_col(sr, table, "uns/average_spectrum", d->info.n_var, &d->average));
    snprintf(image, sizeof image, "%s_tic", table);
    status = msiz_store_read_image(sr, image, &ndim, shape, &d->tic);
    if (status == MSIZ_E_NOTFOUND)
        status =
            msiz_fail(MSIZ_E_NOTFOUND, "table '%s' has no TIC image 'images/%s'", table, image);
    MSIZ_TRY(status);
    MSIZ_FAIL_IF(shape[ndim - 1] > INT32_MAX || shape[ndim - 2] > INT32_MAX ||
                     (ndim == 4 && shape[1] > INT32_MAX),
                 MSIZ_E_LIMIT, "image '%s' is too large", image);
    d->n_x = (int32_t)shape[ndim - 1];
    d->n_y = (int32_t)shape[ndim - 2];
    d->n_z = ndim == 4 ? (int32_t)shape[1] : 1;
    MSIZ_TRY(read_cells(sr, table, d));
cleanup:
    return status;
}

static double root_number(json_t *root, const char *key)
{
    json_t *v = json_object_get(root, key);
    return json_is_number(v) ? json_number_value(v) : 0;
}

/* The table's section, its ion images read from X. */
static msiz_status report_table(msiz_report *r, msiz_store_reader *sr, const char *table)
{
    table_data d;
    memset(&d, 0, sizeof d);
    msiz_status status = read_table(sr, table, &d);
    if (status < 0) {
        table_data_free(&d);
        return status;
    }
    msiz_report_fact(r, table,
                     "%llu pixels x %llu bins (m/z %.6f - %.6f), %llu non-zeros, X as %s with "
                     "int%d indices, TIC image %d x %d x %d",
                     (unsigned long long)d.info.n_obs, (unsigned long long)d.info.n_var,
                     d.info.n_var ? d.mz[0] : 0.0, d.info.n_var ? d.mz[d.info.n_var - 1] : 0.0,
                     (unsigned long long)d.info.nnz,
                     d.info.format == MSIZ_SPARSE_CSC ? "CSC" : "CSR", d.info.index_bits, d.n_x,
                     d.n_y, d.n_z);
    msiz_report_table t = {.name = table,
                           .n_x = d.n_x,
                           .n_y = d.n_y,
                           .n_z = d.n_z,
                           .tic = d.tic,
                           .cells = d.cells,
                           .n_rows = d.info.n_obs,
                           .mz = d.mz,
                           .average = d.average,
                           .n_bins = d.info.n_var,
                           .pixel_size_um =
                               root_number(msiz_store_reader_root_attrs(sr), "pixel_size_x_um")};
    MSIZ_TRY(msiz_report_table_begin(r, &t));
    MSIZ_TRY(ions_from_x(r, sr, table, &d.info));
    MSIZ_TRY(msiz_report_table_end(r));
cleanup:
    table_data_free(&d);
    return status;
}

/* A string of uns/essential_metadata of the first table, or NULL (msiz_free). */
static char *essential(msiz_store_reader *sr, json_t *tables, const char *key)
{
    char path[700], *text = NULL;
    snprintf(path, sizeof path, "tables/%s/uns/essential_metadata/%s",
             json_string_value(json_array_get(tables, 0)), key);
    if (json_array_size(tables) == 0 || msiz_store_read_text(sr, path, &text) < 0) {
        msiz_clear_error();
        return NULL;
    }
    return text;
}

static void input_facts(msiz_report *r, msiz_store_reader *sr, json_t *tables)
{
    json_t *fs = json_object_get(msiz_store_reader_root_attrs(sr), "format_specific_metadata");
    const char *mode = json_string_value(json_object_get(fs, "file_mode"));
    const char *bruker = json_string_value(json_object_get(fs, "data_format"));
    char *source = essential(sr, tables, "source_path");
    char *type = essential(sr, tables, "spectrum_type");
    if (source)
        msiz_report_fact(r, "input", "%s", source);
    if (mode || bruker)
        msiz_report_fact(r, "format", "%s%s", mode ? "imzML, " : "", mode ? mode : bruker);
    if (type)
        msiz_report_fact(r, "spectrum type", "%s", type);
    msiz_free(source);
    msiz_free(type);
}

static void store_facts(msiz_report *r, msiz_store_reader *sr, const char *store, json_t *names)
{
    size_t tables = json_array_size(names);
    json_t *root = msiz_store_reader_root_attrs(sr);
    json_t *info = json_object_get(root, "msi_dataset_info");
    json_t *dims = json_object_get(info, "dimensions_xyz");
    json_t *detect = json_object_get(root, "pixel_size_detection_info");
    const char *method = json_string_value(json_object_get(detect, "method"));
    const char *conv = json_string_value(json_object_get(root, "msi_converter_version"));
    const char *when = json_string_value(json_object_get(root, "conversion_timestamp"));
    msiz_report_fact(r, "store", "%s (Zarr v%d, %zu table%s)", store,
                     msiz_store_reader_zarr_format(sr), tables, tables == 1 ? "" : "s");
    input_facts(r, sr, names);
    if (conv)
        msiz_report_fact(r, "written by", "%s%s%s", conv, when ? " at " : "", when ? when : "");
    if (json_array_size(dims) == 3)
        msiz_report_fact(r, "grid", "%lld x %lld x %lld (root attributes)",
                         (long long)json_integer_value(json_array_get(dims, 0)),
                         (long long)json_integer_value(json_array_get(dims, 1)),
                         (long long)json_integer_value(json_array_get(dims, 2)));
    if (json_is_integer(json_object_get(info, "non_empty_pixels")))
        msiz_report_fact(r, "pixels", "%lld with a stored spectrum of %lld grid cells",
                         (long long)json_integer_value(json_object_get(info, "non_empty_pixels")),
                         (long long)json_integer_value(json_object_get(info, "total_grid_pixels")));
    if (root_number(root, "pixel_size_x_um") > 0)
        msiz_report_fact(r, "pixel size", "%g x %g \xc2\xb5m (%s)",
                         root_number(root, "pixel_size_x_um"), root_number(root, "pixel_size_y_um"),
                         method ? method : "source not recorded");
}

static void store_checks(msiz_report *r, msiz_store_reader *sr)
{
    json_t *fs = json_object_get(msiz_store_reader_root_attrs(sr), "format_specific_metadata");
    json_t *list = json_object_get(fs, "checks"), *check;
    size_t i;
    json_array_foreach(list, i, check)
    {
        msiz_report_check(r, json_string_value(json_object_get(check, "status")),
                          json_string_value(json_object_get(check, "name")),
                          json_string_value(json_object_get(check, "detail")));
    }
}

static void show_json(msiz_report *r, const char *title, json_t *value)
{
    char *text = json_dumps(value, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
    if (text)
        msiz_report_metadata(r, title, text);
    free(text);
}

/* The uns groups of the tables (essential_metadata, format_specific, ...) as JSON. */
static msiz_status show_uns(msiz_report *r, msiz_store_reader *sr, json_t *tables)
{
    for (size_t i = 0; i < json_array_size(tables); i++) {
        const char *name = json_string_value(json_array_get(tables, i));
        char path[600], title[700];
        json_t *uns = NULL;
        snprintf(path, sizeof path, "tables/%s/uns", name);
        msiz_status status = msiz_store_read_group_json(sr, path, &uns);
        if (status < 0)
            return status;
        snprintf(title, sizeof title, "uns of table %s", name);
        show_json(r, title, uns);
        json_decref(uns);
    }
    return MSIZ_OK;
}

static msiz_status report_all(msiz_report *r, msiz_store_reader *sr, const char *store)
{
    json_t *tables = NULL;
    msiz_status status = msiz_store_read_tables(sr, &tables);
    if (status < 0)
        return status;
    r->from_store = 1;
    msiz_report_note(r, "Made from an existing store (msizarr report). A store does not record "
                        "the facts of its conversion (warnings, memory, time, why the mass axis "
                        "was chosen): shown instead is what the store holds, with its root "
                        "attributes and uns metadata at the end of the page.");
    store_facts(r, sr, store, tables);
    store_checks(r, sr);
    MSIZ_FAIL_IF(json_array_size(tables) == 0, MSIZ_E_NOTFOUND, "%s: the store has no table",
                 store);
    for (size_t i = 0; i < json_array_size(tables); i++)
        MSIZ_TRY(report_table(r, sr, json_string_value(json_array_get(tables, i))));
    show_json(r, "Root attributes of the store", msiz_store_reader_root_attrs(sr));
    MSIZ_TRY(show_uns(r, sr, tables));
cleanup:
    json_decref(tables);
    return status;
}

msiz_status msiz_report_store(const char *store, const char *html, const msiz_report_opts *opts)
{
    msiz_report_opts o;
    msiz_store_reader *sr = NULL;
    msiz_report *r = NULL;
    msiz_status status = load_opts(opts, &o);
    if (status < 0)
        return status;
    MSIZ_FAIL_IF(!store || !html, MSIZ_E_ARG, "report: a store and a page path are required");
    msiz_report_config cfg = {.ions = o.ions, .overwrite = o.overwrite};
    MSIZ_TRY(msiz_report_new(html, store, &cfg, &r));
    status = msiz_store_reader_open(store, &sr);
    if (status == MSIZ_E_NOTFOUND)
        status = msiz_fail(MSIZ_E_NOTFOUND, "%s: not a Zarr store", store);
    MSIZ_TRY(status);
    MSIZ_TRY(report_all(r, sr, store));
    MSIZ_TRY(msiz_report_write(r));
    MSIZ_TRY(msiz_report_commit(r));
cleanup:
    msiz_store_reader_close(sr);
    msiz_report_free(r);
    return status;
}
