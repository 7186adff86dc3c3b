/*
 * Writes a deterministic SpatialData store from known arrays, for the pytest read-back tests
 * (tests/python/test_store_readback.py recomputes every value from the same formulas).
 *
 * usage: store_write_fixture OUT [--format 2|3] [--codec SPEC] [--sparse csc|csr] [--ragged]
 *                               [--threads N] [--grid NXxNY] [--bins N] [--chunk-elems N]
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MSIZ_EXPERIMENTAL /* experimental API: docs/api.md */
#include "msizarr/experimental.h"

/* 300 bytes: longer than the obs/var string column limit, fine in uns */
#define LONG_VALUE                                                                                 \
    "01234567890123456789012345678901234567890123456789012345678901234567890123456789"             \
    "01234567890123456789012345678901234567890123456789012345678901234567890123456789"             \
    "01234567890123456789012345678901234567890123456789012345678901234567890123456789"             \
    "012345678901234567890123456789012345678901234567890123456789"

typedef struct fixture {
    int n_x, n_y, n_var;
    double ps;
    int n_obs;
    int64_t *grid_ids; /* acquired pixels in grid order */
} fixture;

/* Same formulas as the Python test. */
static int acquired(int x, int y)
{
    return (x + 2 * y) % 3 != 0;
}

static double value_at(int64_t row, int col)
{
    if ((row * 7 + col * 3) % 5 != 0)
        return 0.0;
    double v = (double)(row + 1) * 1000.0 + col + 0.25;
    return (row + col) % 11 == 0 ? -v : v;
}

static double mz_at(int col)
{
    return 100.0 + col * 0.5;
}

static int check(msiz_status s, const char *what)
{
    if (s < 0) {
        fprintf(stderr, "store_write_fixture: %s: %s (%s)\n", what, msiz_last_error(),
                msiz_strerror(s));
        return 1;
    }
    return 0;
}

static int write_x(msiz_table *t, const fixture *f, int csc)
{
    int n_major = csc ? f->n_var : f->n_obs, n_minor = csc ? f->n_obs : f->n_var;
    int32_t *idx = malloc(sizeof *idx * (size_t)n_minor);
    double *val = malloc(sizeof *val * (size_t)n_minor);
    int rc = 0;
    for (int m = 0; m < n_major && rc == 0; m++) {
        size_t n = 0;
        for (int k = 0; k < n_minor; k++) {
            double v = csc ? value_at(k, m) : value_at(m, k);
            if (v != 0.0) {
                idx[n] = k;
                val[n++] = v;
            }
        }
        rc = check(msiz_table_x_append(t, idx, val, n), "x_append");
    }
    free(idx);
    free(val);
    return rc;
}

static msiz_status var_name(void *ctx, uint64_t i, char *buf, size_t cap)
{
    (void)ctx;
    snprintf(buf, cap, "mz_%" PRIu64, i);
    return MSIZ_OK;
}

static int write_obs(msiz_table *t, const fixture *f, const char *region)
{
    size_t n = (size_t)f->n_obs;
    int32_t *x = malloc(n * 4), *y = malloc(n * 4), *rn = malloc(n * 4), *codes = calloc(n, 4);
    double *sx = malloc(n * 8), *sy = malloc(n * 8);
    for (size_t i = 0; i < n; i++) {
        x[i] = (int32_t)(f->grid_ids[i] % f->n_x);
        y[i] = (int32_t)(f->grid_ids[i] / f->n_x);
        sx[i] = x[i] * f->ps;
        sy[i] = y[i] * f->ps;
        rn[i] = 1;
    }
    const char *cats[1] = {region};
    int rc = check(msiz_table_add_numeric(t, MSIZ_OBS, "y", MSIZ_COL_INT32, y, n), "obs y") ||
             check(msiz_table_add_numeric(t, MSIZ_OBS, "x", MSIZ_COL_INT32, x, n), "obs x") ||
             check(msiz_table_add_categorical(t, MSIZ_OBS, "region", cats, 1, codes, n, 0),
                   "obs region") ||
             check(msiz_table_add_numeric(t, MSIZ_OBS, "spatial_x", MSIZ_COL_FLOAT64, sx, n),
                   "obs spatial_x") ||
             check(msiz_table_add_numeric(t, MSIZ_OBS, "spatial_y", MSIZ_COL_FLOAT64, sy, n),
                   "obs spatial_y") ||
             check(msiz_table_add_numeric(t, MSIZ_OBS, "region_number", MSIZ_COL_INT32, rn, n),
                   "obs region_number") ||
             check(msiz_table_add_decimal_strings(t, MSIZ_OBS, "instance_key", f->grid_ids, n),
                   "obs instance_key") ||
             check(msiz_table_add_decimal_strings(t, MSIZ_OBS, "instance_id", f->grid_ids, n),
                   "obs instance_id") ||
             check(msiz_table_set_index(t, MSIZ_OBS, "instance_id"), "obs index");
    free(x), free(y), free(rn), free(codes), free(sx), free(sy);
    return rc;
}

static int write_var_uns(msiz_table *t, const fixture *f)
{
    double *mz = malloc(sizeof *mz * (size_t)f->n_var);
    double *avg = calloc((size_t)f->n_var, sizeof *avg);
    for (int c = 0; c < f->n_var; c++) {
        mz[c] = mz_at(c);
        for (int r = 0; r < f->n_obs; r++)
            avg[c] += value_at(r, c);
        avg[c] /= f->n_obs;
    }
    const char *uns = "{\"essential_metadata\": {\"source_path\": \"fixture.imzML\", "
                      "\"dimensions\": [7, 5, 1], \"mass_range\": [100.0, 124.5], "
                      "\"spectrum_type\": \"centroid spectrum\"}, "
                      "\"raw_metadata\": {\"max count of pixels x\": 7, \"flag\": true, "
                      "\"names\": [\"a\", \"b\\u00e9\"], \"skip\": null, "
                      "\"cvParams\": [{\"name\": \"n\", \"value\": \"v\"}, {\"name\": \"w\", "
                      "\"value\": \"" LONG_VALUE "\", \"unit\": \"u\"}]}, "
                      "\"regions\": \"[{\\\"region_number\\\": 1}]\", \"ratio\": 0.1}";
    int rc =
        check(msiz_table_add_strings_fn(t, MSIZ_VAR, "_index", (uint64_t)f->n_var, var_name, NULL),
              "var index") ||
        check(msiz_table_set_index(t, MSIZ_VAR, "_index"), "var set index") ||
        check(msiz_table_add_numeric(t, MSIZ_VAR, "mz", MSIZ_COL_FLOAT64, mz, (uint64_t)f->n_var),
              "var mz") ||
        check(msiz_table_uns_json(t, uns), "uns json") ||
        check(msiz_table_uns_f64(t, "average_spectrum", avg, (uint64_t)f->n_var), "uns average");
    free(mz);
    free(avg);
    return rc;
}

static msiz_status pixel_box(void *ctx, uint64_t i, double box[4], char *id, size_t cap)
{
    const fixture *f = ctx;
    int64_t g = f->grid_ids[i];
    double x = (double)(g % f->n_x) * f->ps, y = (double)(g / f->n_x) * f->ps;
    box[0] = x - f->ps / 2;
    box[1] = y - f->ps / 2;
    box[2] = x + f->ps / 2;
    box[3] = y + f->ps / 2;
    snprintf(id, cap, "%" PRId64, g);
    return MSIZ_OK;
}

static int g_affine; /* --affine: the "global" transformations are affine (x + 5, y + 7 um) */

static int write_image_shapes(msiz_store *s, const fixture *f)
{
    double *tic = calloc((size_t)f->n_x * f->n_y, sizeof *tic);
    for (int r = 0; r < f->n_obs; r++)
        for (int c = 0; c < f->n_var; c++)
            tic[f->grid_ids[r]] += value_at(r, c);
    uint64_t shape[3] = {1, (uint64_t)f->n_y, (uint64_t)f->n_x};
    msiz_transform img_t[2] = {
        {.output = "msi_dataset", .type = MSIZ_TRANSFORM_SCALE, .scale_x = f->ps, .scale_y = f->ps},
        {.output = "global", .type = MSIZ_TRANSFORM_SCALE, .scale_x = f->ps, .scale_y = f->ps}};
    msiz_transform shp_t[2] = {{.output = "msi_dataset", .type = MSIZ_TRANSFORM_IDENTITY},
                               {.output = "global", .type = MSIZ_TRANSFORM_IDENTITY}};
    if (g_affine) {
        img_t[1] = (msiz_transform){.output = "global",
                                    .type = MSIZ_TRANSFORM_AFFINE,
                                    .affine = {{f->ps, 0, 5}, {0, f->ps, 7}}};
        shp_t[1] = (msiz_transform){
            .output = "global", .type = MSIZ_TRANSFORM_AFFINE, .affine = {{1, 0, 5}, {0, 1, 7}}};
    }
    int rc =
        check(msiz_store_add_image(s, "msi_dataset_z0_tic", tic, 3, shape, img_t, 2), "image") ||
        check(msiz_store_add_shapes(s, "msi_dataset_z0_pixels", (uint64_t)f->n_obs, pixel_box,
                                    (void *)f, shp_t, 2),
              "shapes");
    free(tic);
    return rc;
}

static int write_store(const char *out, const msiz_store_opts *so, fixture *f, int csc)
{
    msiz_store *s = NULL;
    msiz_table *t = NULL;
    if (check(msiz_store_create(out, so, &s), "create"))
        return 1;
    msiz_table_opts to;
    msiz_table_opts_init(&to);
    to.name = "msi_dataset_z0";
    to.region = "msi_dataset_z0_pixels";
    to.n_obs = (uint64_t)f->n_obs;
    to.n_var = (uint64_t)f->n_var;
    to.format = csc ? MSIZ_SPARSE_CSC : MSIZ_SPARSE_CSR;
    to.nnz_max = to.n_obs * to.n_var; /* a bound: int32 indices (output-layout.md §3) */
    int rc = check(msiz_store_table_begin(s, &to, &t), "table begin") || write_x(t, f, csc) ||
             write_obs(t, f, to.region) || write_var_uns(t, f);
    if (t)
        rc |= check(msiz_table_finish(t), "table finish");
    rc = rc || write_image_shapes(s, f) ||
         check(msiz_store_set_root_attrs_json(
                   s, "{\"pixel_size_x_um\": 20.0, \"pixel_size_y_um\": 20.0, "
                      "\"msi_dataset_info\": {\"dataset_id\": \"msi_dataset\"}}"),
               "root attrs");
    if (rc) {
        msiz_store_abort(s);
        return 1;
    }
    return check(msiz_store_finish(s), "finish");
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {{"format", required_argument, NULL, 'f'},
                                             {"codec", required_argument, NULL, 'c'},
                                             {"sparse", required_argument, NULL, 's'},
                                             {"ragged", no_argument, NULL, 'r'},
                                             {"threads", required_argument, NULL, 't'},
                                             {"grid", required_argument, NULL, 'g'},
                                             {"affine", no_argument, NULL, 'a'},
                                             {"bins", required_argument, NULL, 'b'},
                                             {"chunk-elems", required_argument, NULL, 'k'},
                                             {NULL, 0, NULL, 0}};
    msiz_store_opts so;
    msiz_store_opts_init(&so);
    fixture f = {.n_x = 7, .n_y = 5, .n_var = 50, .ps = 20.0};
    int csc = 1, opt;
    while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (opt) {
        case 'f': so.zarr_format = (int)strtol(optarg, NULL, 10); break;
        case 'c':
            if (check(msiz_compression_parse(optarg, &so.compression), "codec"))
                return 2;
            break;
        case 's': csc = strcmp(optarg, "csr") != 0; break;
        case 'r': so.ragged_shapes = 1; break;
        case 'a': g_affine = 1; break;
        case 't': so.threads = (int)strtol(optarg, NULL, 10); break;
        case 'g':
            if (sscanf(optarg, "%dx%d", &f.n_x, &f.n_y) != 2)
                return 2;
            break;
        case 'b': f.n_var = (int)strtol(optarg, NULL, 10); break;
        case 'k': so.chunk_elems = (size_t)strtoull(optarg, NULL, 10); break;
        default: return 2;
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, "usage: store_write_fixture OUT [options]\n");
        return 2;
    }
    f.grid_ids = malloc(sizeof *f.grid_ids * (size_t)f.n_x * (size_t)f.n_y);
    for (int y = 0; y < f.n_y; y++)
        for (int x = 0; x < f.n_x; x++)
            if (acquired(x, y))
                f.grid_ids[f.n_obs++] = (int64_t)y * f.n_x + x;
    int rc = write_store(argv[optind], &so, &f, csc);
    free(f.grid_ids);
    return rc;
}
