/* One output plane: bin pass in grid order, X (CSR straight through, CSC through the
 * external-memory transpose), obs / var / uns, TIC image and pixel squares. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/error.h"
#include "convert/convert_internal.h"

typedef struct plane {
    int index; /* z plane, or -1 for the volume */
    char table[256], region[300], image[300];
    uint64_t cells;     /* pixels of the TIC image */
    msiz_table *t;      /* CSR: open during the bin pass */
    msiz_transpose *tr; /* CSC */
} plane;

static msiz_status plane_names(const msiz_conv *c, plane *p)
{
    const char *id = c->o->dataset_id;
    int n = p->index < 0 ? snprintf(p->table, sizeof p->table, "%s", id)
                         : snprintf(p->table, sizeof p->table, "%s_z%d", id, p->index);
    if (n < 0 || (size_t)n >= sizeof p->table)
        return msiz_fail(MSIZ_E_ARG, "dataset id '%s' is too long", id);
    snprintf(p->region, sizeof p->region, "%s_pixels", p->table);
    snprintf(p->image, sizeof p->image, "%s_tic", p->table);
    return MSIZ_OK;
}

static msiz_status begin_table(msiz_conv *c, plane *p, uint64_t n_obs, uint64_t nnz,
                               uint64_t nnz_max)
{
    msiz_table_opts to;
    msiz_table_opts_init(&to);
    to.name = p->table;
    to.region = p->region;
    to.n_obs = n_obs;
    to.n_var = c->n_bins;
    to.format = c->o->sparse_format;
    to.nnz = nnz;
    to.nnz_max = nnz_max;
    return msiz_store_table_begin(c->store, &to, &p->t);
}

static msiz_status push_row(msiz_conv *c, int64_t key)
{
    msiz_status status = msiz_grow((void **)&c->row_keys, &c->rows_cap, c->n_rows + 1,
                                   sizeof *c->row_keys, (size_t)INT32_MAX);
    if (status < 0)
        return msiz_fail_context(status, "%s: table rows", c->input);
    c->row_keys[c->n_rows++] = key;
    return MSIZ_OK;
}

/* With a region map: the row's region (-1 when not in the map, as Thyra) and its sums. */
static msiz_status add_to_region(msiz_conv *c, const msiz_batch_slot *s)
{
    size_t k = s->n;
    msiz_status status = msiz_grow((void **)&c->row_region, &c->region_cap, c->n_rows + 1,
                                   sizeof *c->row_region, (size_t)INT32_MAX);
    if (status < 0)
        return msiz_fail_context(status, "%s: region of each table row", c->input);
    size_t r = 0;
    while (r < c->n_regions && c->region_ids[r] != s->sp.region)
        r++;
    c->row_region[c->n_rows] = r < c->n_regions ? s->sp.region : -1;
    if (r == c->n_regions)
        return MSIZ_OK;
    double *sum = c->region_sum + r * c->n_bins;
    for (size_t j = 0; j < k; j++)
        sum[s->idx[j]] += s->val[j];
    c->region_rows[r]++;
    return MSIZ_OK;
}

/* Records one stored row and hands its entries to X. */
static msiz_status emit_row(msiz_conv *c, plane *p, int64_t key, const msiz_batch_slot *s)
{
    size_t k = s->n;
    uint64_t cell = p->index < 0 ? (uint64_t)key : (uint64_t)key % p->cells;
    c->tic[cell] = s->tic; /* numpy's np.sum order: Thyra's TIC */
    for (size_t j = 0; j < k; j++)
        c->average[s->idx[j]] += s->val[j];
    uint32_t row = (uint32_t)c->n_rows;
    c->sum->nnz += k;
    msiz_status status = c->n_regions ? add_to_region(c, s) : MSIZ_OK;
    if (status == MSIZ_OK)
        status = push_row(c, (int64_t)cell); /* a plane's ids are y*n_x + x */
    if (status < 0)
        return status;
    if (p->tr)
        return msiz_transpose_add_row(p->tr, row, s->idx, s->val, k);
    for (size_t j = 0; j < k; j++)
        c->idx32[j] = (int32_t)s->idx[j];
    return msiz_table_x_append(p->t, c->idx32, s->val, k);
}

typedef struct row_sink {
    msiz_conv *c;
    plane *p;
    uint64_t lo, hi;
    struct timespec start;
} row_sink;

static msiz_status take_rows(void *ctx, msiz_batch_slot *slots, size_t n, uint64_t first)
{
    row_sink *k = ctx;
    msiz_conv *c = k->c;
    for (size_t j = 0; j < n; j++) {
        c->plane_spectra++;
        if (slots[j].n > 0) {
            msiz_status status = emit_row(c, k->p, c->key[c->order[k->lo + first + j]], &slots[j]);
            if (status < 0)
                return status;
        }
    }
    return msiz_conv_tick(c, "bin", k->p->index, first + n, k->hi - k->lo, &k->start, 0);
}

/* Spectra of the plane in grid order, batch by batch; rows emitted in that order. */
static msiz_status bin_pass(msiz_conv *c, plane *p, uint64_t lo, uint64_t hi)
{
    msiz_status status = MSIZ_OK;
    msiz_batch b;
    row_sink k = {c, p, lo, hi, {0, 0}};
    clock_gettime(CLOCK_MONOTONIC, &k.start);
    MSIZ_TRY(msiz_batch_init(c, &b, c->batch_cap));
    MSIZ_TRY(msiz_batch_pass(c, &b, c->order + lo, hi - lo, take_rows, &k));
    MSIZ_TRY(msiz_conv_tick(c, "bin", p->index, hi - lo, hi - lo, &k.start, 1));
    MSIZ_FAIL_IF(c->n_rows == 0, MSIZ_E_FORMAT,
                 "%s: no peak falls inside the requested m/z range %.6f-%.6f%s: nothing to store",
                 c->input, c->keep_min, c->keep_max, p->index >= 0 ? " in this plane" : "");
cleanup:
    msiz_batch_release(c, &b);
    return status;
}

typedef struct column_sink {
    msiz_conv *c;
    plane *p;
    struct timespec start;
} column_sink;

static msiz_status take_column(void *ctx, uint64_t col, const int32_t *rows, const double *vals,
                               size_t n)
{
    column_sink *k = ctx;
    msiz_conv_report_column(k->c, col, rows, vals, n);
    msiz_status status = msiz_table_x_append(k->p->t, rows, vals, n);
    if (status == MSIZ_OK)
        status = msiz_conv_tick(k->c, "transpose", k->p->index, col + 1, k->c->n_bins, &k->start,
                                col + 1 == k->c->n_bins);
    return status;
}

static msiz_status write_x(msiz_conv *c, plane *p)
{
    if (!p->tr)
        return MSIZ_OK; /* CSR rows went straight into the table */
    msiz_status status =
        begin_table(c, p, c->n_rows, msiz_transpose_nnz(p->tr), msiz_transpose_nnz(p->tr));
    if (status < 0)
        return status;
    column_sink k = {c, p, {0, 0}};
    clock_gettime(CLOCK_MONOTONIC, &k.start);
    status = msiz_transpose_finish(p->tr, take_column, &k);
    c->sum->spilled_bytes += msiz_transpose_spilled_bytes(p->tr);
    return status;
}

typedef enum obs_value { OBS_X, OBS_Y, OBS_Z, OBS_SPATIAL_X, OBS_SPATIAL_Y, OBS_REGION } obs_value;

/* Fills one obs column of the rows into `buf` (n int32 or double values). */
static void obs_column(const msiz_conv *c, obs_value what, void *buf)
{
    int32_t *i32 = buf;
    double *f64 = buf;
    int64_t cells = (int64_t)c->n_x * c->n_y;
    for (uint64_t i = 0; i < c->n_rows; i++) {
        int64_t key = c->row_keys[i];
        int32_t x = (int32_t)(key % c->n_x), y = (int32_t)(key / c->n_x % c->n_y);
        switch (what) {
        case OBS_X: i32[i] = x; break;
        case OBS_Y: i32[i] = y; break;
        case OBS_Z: i32[i] = (int32_t)(key / cells); break;
        case OBS_SPATIAL_X: f64[i] = x * c->pixel_size; break;
        case OBS_SPATIAL_Y: f64[i] = y * c->pixel_size; break;
        case OBS_REGION: i32[i] = c->n_regions ? c->row_region[i] : 1; break; /* Thyra: 1 */
        }
    }
}

static msiz_status add_obs(msiz_conv *c, plane *p, const char *name, obs_value what, void *buf)
{
    int f64 = what == OBS_SPATIAL_X || what == OBS_SPATIAL_Y;
    obs_column(c, what, buf);
    return msiz_table_add_numeric(p->t, MSIZ_OBS, name, f64 ? MSIZ_COL_FLOAT64 : MSIZ_COL_INT32,
                                  buf, c->n_rows);
}

/* obs columns of the rows, in Thyra's column order, one at a time through one buffer (8 bytes
 * a row: the budget's row state, docs/memory.md). */
static msiz_status write_obs(msiz_conv *c, plane *p)
{
    msiz_status status = MSIZ_OK;
    uint64_t n = c->n_rows;
    void *buf = msiz_malloc(n * 8);
    const char *cats[1] = {p->region};
    MSIZ_FAIL_IF(!buf, MSIZ_E_NOMEM, "out of memory for obs columns of %llu rows",
                 (unsigned long long)n);
    msiz_table *t = p->t;
    MSIZ_TRY(add_obs(c, p, "y", OBS_Y, buf));
    MSIZ_TRY(add_obs(c, p, "x", OBS_X, buf));
    if (p->index < 0)
        MSIZ_TRY(add_obs(c, p, "z", OBS_Z, buf));
    memset(buf, 0, n * 4); /* every row in the one region category */
    MSIZ_TRY(msiz_table_add_categorical(t, MSIZ_OBS, "region", cats, 1, buf, n, 0));
    MSIZ_TRY(add_obs(c, p, "spatial_x", OBS_SPATIAL_X, buf));
    MSIZ_TRY(add_obs(c, p, "spatial_y", OBS_SPATIAL_Y, buf));
    MSIZ_TRY(add_obs(c, p, "region_number", OBS_REGION, buf));
    MSIZ_TRY(msiz_table_add_decimal_strings(t, MSIZ_OBS, "instance_key", c->row_keys, n));
    MSIZ_TRY(msiz_table_add_decimal_strings(t, MSIZ_OBS, "instance_id", c->row_keys, n));
    MSIZ_TRY(msiz_table_set_index(t, MSIZ_OBS, "instance_id"));
cleanup:
    msiz_free(buf);
    return status;
}

static msiz_status var_name(void *ctx, uint64_t i, char *buf, size_t cap)
{
    (void)ctx;
    snprintf(buf, cap, "mz_%" PRIu64, i);
    return MSIZ_OK;
}

static msiz_status write_var_uns(msiz_conv *c, plane *p)
{
    msiz_status status = MSIZ_OK;
    char *uns = NULL;
    msiz_table *t = p->t;
    MSIZ_TRY(msiz_table_add_strings_fn(t, MSIZ_VAR, "_index", c->n_bins, var_name, NULL));
    MSIZ_TRY(msiz_table_set_index(t, MSIZ_VAR, "_index"));
    MSIZ_TRY(msiz_table_add_numeric(t, MSIZ_VAR, "mz", MSIZ_COL_FLOAT64, c->axis, c->n_bins));
    MSIZ_TRY(msiz_table_uns_f64(t, "average_spectrum", c->average, c->n_bins));
    for (size_t r = 0; r < c->n_regions; r++) { /* Thyra: / spectra with peaks in the region */
        char path[64];
        double *sum = c->region_sum + r * c->n_bins;
        uint64_t rows = c->region_rows[r] ? c->region_rows[r] : 1;
        for (uint64_t j = 0; j < c->n_bins; j++)
            sum[j] /= (double)rows;
        snprintf(path, sizeof path, "average_spectrum_per_region/%d", (int)c->region_ids[r]);
        MSIZ_TRY(msiz_table_uns_f64(t, path, sum, c->n_bins));
    }
    uns = msiz_conv_uns_json(c, c->n_rows);
    MSIZ_FAIL_IF(!uns, MSIZ_E_NOMEM, "out of memory");
    MSIZ_TRY(msiz_table_uns_json(t, uns));
cleanup:
    free(uns);
    return status;
}

static msiz_status pixel_box(void *ctx, uint64_t i, double box[4], char *id, size_t cap)
{
    const msiz_conv *c = ctx;
    int64_t key = c->row_keys[i];
    double ps = c->pixel_size, h = ps / 2;
    double x = (double)(key % c->n_x) * ps, y = (double)(key / c->n_x % c->n_y) * ps;
    box[0] = x - h;
    box[1] = y - h;
    box[2] = x + h;
    box[3] = y + h;
    snprintf(id, cap, "%" PRId64, key);
    return MSIZ_OK;
}

static msiz_status write_image_shapes(msiz_conv *c, plane *p)
{
    double ps = c->pixel_size;
    double zs = c->o->has_z_spacing ? c->o->z_spacing_um : ps;
    const char *id = c->o->dataset_id;
    msiz_transform img[2] = {
        {.output = id, .type = MSIZ_TRANSFORM_SCALE, .scale_x = ps, .scale_y = ps, .scale_z = zs},
        {.output = "global",
         .type = MSIZ_TRANSFORM_SCALE,
         .scale_x = ps,
         .scale_y = ps,
         .scale_z = zs}};
    msiz_transform shp[2] = {{.output = id, .type = MSIZ_TRANSFORM_IDENTITY},
                             {.output = "global", .type = MSIZ_TRANSFORM_IDENTITY}};
    int vol = p->index < 0 && c->n_z > 1;
    uint64_t shape[4] = {1, (uint64_t)c->n_z, (uint64_t)c->n_y, (uint64_t)c->n_x};
    uint64_t shape3[3] = {1, (uint64_t)c->n_y, (uint64_t)c->n_x};
    msiz_status status =
        msiz_store_add_image(c->store, p->image, c->tic, vol ? 4 : 3, vol ? shape : shape3, img, 2);
    if (status < 0)
        return status;
    return msiz_store_add_shapes(c->store, p->region, c->n_rows, pixel_box, c, shp, 2);
}

static uint64_t saturating_mul(uint64_t a, uint64_t b)
{
    return b != 0 && a > UINT64_MAX / b ? UINT64_MAX : a * b;
}

/* CSR rows go to X before their count is known: a bound on the plane's entries, known up front,
 * picks the index dtype (output-layout.md §3). A spectrum gives at most one entry per bin, and
 * at most one per peak except with TIC-preserving (which interpolates between peaks); the scan
 * pass's peak counts are upper bounds (msiz_source_locate). */
static uint64_t csr_nnz_bound(const msiz_conv *c, uint64_t spectra)
{
    uint64_t bound = saturating_mul(spectra, c->n_bins);
    if (!c->tic_preserving && c->peaks_bound < bound)
        bound = c->peaks_bound;
    return bound;
}

static msiz_status reset_plane(msiz_conv *c, plane *p, uint64_t spectra)
{
    c->n_rows = 0;
    c->plane_spectra = 0;
    memset(c->average, 0, (size_t)c->n_bins * sizeof *c->average);
    memset(c->tic, 0, (size_t)p->cells * sizeof *c->tic);
    if (c->n_regions) {
        memset(c->region_sum, 0, c->n_regions * (size_t)c->n_bins * sizeof *c->region_sum);
        memset(c->region_rows, 0, c->n_regions * sizeof *c->region_rows);
    }
    if (c->o->sparse_format == MSIZ_SPARSE_CSR)
        return begin_table(c, p, UINT64_MAX, UINT64_MAX, csr_nnz_bound(c, spectra));
    return msiz_transpose_new(c->n_bins, c->buffer_budget, c->spill, &p->tr);
}

msiz_status msiz_conv_write_plane(msiz_conv *c, int index, uint64_t lo, uint64_t hi)
{
    msiz_status status = MSIZ_OK;
    plane p = {.index = index};
    p.cells = (uint64_t)c->n_x * c->n_y * (index < 0 ? (uint64_t)c->n_z : 1);
    MSIZ_TRY(plane_names(c, &p));
    MSIZ_TRY(reset_plane(c, &p, hi - lo));
    MSIZ_TRY(bin_pass(c, &p, lo, hi));
    for (uint64_t j = 0; j < c->n_bins; j++) /* the mean over the plane's spectra read */
        c->average[j] /= (double)c->plane_spectra;
    MSIZ_TRY(msiz_conv_report_table(c, p.table, p.index));
    MSIZ_TRY(write_x(c, &p));
    msiz_transpose_free(p.tr); /* its buffers make room for the final writes (docs/memory.md) */
    p.tr = NULL;
    MSIZ_TRY(write_obs(c, &p));
    MSIZ_TRY(write_var_uns(c, &p));
    msiz_table *t = p.t;
    p.t = NULL;
    MSIZ_TRY(msiz_table_finish(t));
    MSIZ_TRY(msiz_conv_report_readback(c, p.table));
    MSIZ_TRY(write_image_shapes(c, &p));
    MSIZ_TRY(msiz_conv_report_table_end(c));
    c->sum->pixels += c->n_rows;
    c->sum->spectra_read += c->plane_spectra;
    c->sum->planes++;
cleanup:
    msiz_transpose_free(p.tr);
    msiz_table_abort(p.t);
    return status;
}
