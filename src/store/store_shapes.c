/* Shapes element: square pixel polygons as GeoParquet (formats 0.3 / 0.2), or as the ragged
 * arrays of format 0.1 inside zarr v2 stores. */
#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "common/error.h"
#include "io/fs.h"
#include "parquet/geoparquet.h"
#include "store/store_internal.h"

typedef struct box_ctx {
    msiz_box_fn fn;
    void *ctx;
    volatile int *cancel;
} box_ctx;

static msiz_status box_row(void *ctx, uint64_t row, msiz_geoparquet_box *box, char *id,
                           size_t id_cap)
{
    box_ctx *c = ctx;
    double b[4];
    if ((row & 4095) == 0 && c->cancel && *c->cancel) /* a few ms of rows */
        return msiz_fail(MSIZ_E_INTERRUPTED, "interrupted while writing the pixel shapes");
    msiz_status status = c->fn(c->ctx, row, b, id, id_cap);
    box->xmin = b[0];
    box->ymin = b[1];
    box->xmax = b[2];
    box->ymax = b[3];
    return status;
}

static msiz_status write_geoparquet(msiz_store *s, const char *path, uint64_t n, msiz_box_fn fn,
                                    void *ctx)
{
    char rel[MSIZ_STORE_PATH_MAX + 32], file[2 * MSIZ_STORE_PATH_MAX];
    snprintf(rel, sizeof rel, "%s/shapes.parquet", path);
    msiz_status status = msiz_path_join(file, sizeof file, s->temp_path, rel);
    if (status < 0)
        return status;
    msiz_geoparquet_opts go;
    msiz_geoparquet_opts_init(&go);
    go.codec = s->opts.shapes_codec;
    box_ctx c = {fn, ctx, s->opts.cancel};
    return msiz_geoparquet_write_boxes(file, n, box_row, &c, &go);
}

/* Format 0.1: coords [5N, 2], offset0 (ring -> coords) and offset1 (polygon -> rings) [N+1],
 * Index [N] strings. The 2-D coords array is written whole (80 bytes per row in memory: this
 * fallback exists for zarr v2 readers only); the offsets stream. */
static msiz_status ragged_array(msiz_store *s, const char *path, const char *name, int coords,
                                uint64_t n, msiz_zarr_array **out)
{
    char sub[MSIZ_STORE_PATH_MAX + 16];
    msiz_zarr_array_opts ao;
    msiz_zarr_array_opts_init(&ao, coords ? MSIZ_DT_FLOAT64 : MSIZ_DT_INT64, coords ? 2 : 1);
    ao.shape[0] = coords ? 5 * n : n + 1;
    ao.shape[1] = 2;
    ao.chunks[0] = ao.shape[0] == 0 ? 1 : ao.shape[0] < 500000 ? ao.shape[0] : 500000;
    ao.chunks[1] = 2;
    snprintf(sub, sizeof sub, "%s/%s", path, name);
    return msiz_zarr_array_create(s->z, sub, &ao, out);
}

static msiz_status ragged_rows(msiz_zarr_array *off0, msiz_zarr_array *off1, double *coords,
                               uint64_t n, msiz_box_fn fn, void *ctx)
{
    msiz_status status = MSIZ_OK;
    int64_t zero = 0;
    char id[256];
    MSIZ_TRY(msiz_zarr_array_append(off0, &zero, 1));
    MSIZ_TRY(msiz_zarr_array_append(off1, &zero, 1));
    for (uint64_t i = 0; i < n; i++) {
        double b[4];
        MSIZ_TRY(fn(ctx, i, b, id, sizeof id));
        /* the ring of shapely.box: (xmax,ymin) (xmax,ymax) (xmin,ymax) (xmin,ymin) closed */
        double ring[10] = {b[2], b[1], b[2], b[3], b[0], b[3], b[0], b[1], b[2], b[1]};
        memcpy(coords + 10 * i, ring, sizeof ring);
        int64_t end0 = (int64_t)(5 * (i + 1)), end1 = (int64_t)(i + 1);
        MSIZ_TRY(msiz_zarr_array_append(off0, &end0, 1));
        MSIZ_TRY(msiz_zarr_array_append(off1, &end1, 1));
    }
cleanup:
    return status;
}

typedef struct id_ctx {
    msiz_box_fn fn;
    void *ctx;
} id_ctx;

static msiz_status id_only(void *ctx, uint64_t i, char *buf, size_t cap)
{
    id_ctx *c = ctx;
    double b[4];
    return c->fn(c->ctx, i, b, buf, cap);
}

static msiz_status write_ragged(msiz_store *s, const char *path, uint64_t n, msiz_box_fn fn,
                                void *ctx)
{
    msiz_zarr_array *coords = NULL, *off0 = NULL, *off1 = NULL;
    char sub[MSIZ_STORE_PATH_MAX + 16];
    msiz_status status = MSIZ_OK;
    double *xy = msiz_malloc((size_t)(n ? n : 1) * 10 * sizeof *xy);
    MSIZ_FAIL_IF(!xy, MSIZ_E_NOMEM, "%s: out of memory for %llu ragged polygons", path,
                 (unsigned long long)n);
    MSIZ_TRY(ragged_array(s, path, "coords", 1, n, &coords));
    MSIZ_TRY(ragged_array(s, path, "offset0", 0, n, &off0));
    MSIZ_TRY(ragged_array(s, path, "offset1", 0, n, &off1));
    MSIZ_TRY(ragged_rows(off0, off1, xy, n, fn, ctx));
    MSIZ_TRY(msiz_zarr_array_write_full(coords, xy));
    MSIZ_TRY(msiz_zarr_array_finish(coords));
    MSIZ_TRY(msiz_zarr_array_finish(off0));
    MSIZ_TRY(msiz_zarr_array_finish(off1));
    snprintf(sub, sizeof sub, "%s/Index", path);
    id_ctx ic = {fn, ctx};
    MSIZ_TRY(msiz_store_write_string_column(s->z, sub, n, id_only, &ic, NULL));
cleanup:
    msiz_free(xy);
    msiz_zarr_array_free(coords);
    msiz_zarr_array_free(off0);
    msiz_zarr_array_free(off1);
    return status;
}

static json_t *shapes_attrs(const msiz_store *s, json_t *transforms)
{
    json_t *sd;
    if (s->opts.ragged_shapes)
        sd = json_pack("{s:s, s:{s:s, s:i}}", "version", "0.1", "geos", "name", "POLYGON", "type",
                       3);
    else
        sd = json_pack("{s:s}", "version", s->opts.zarr_format == 3 ? "0.3" : "0.2");
    return json_pack("{s:s, s:[s, s], s:O, s:o}", "encoding-type", "ngff:shapes", "axes", "x", "y",
                     "coordinateTransformations", transforms, "spatialdata_attrs", sd);
}

msiz_status msiz_store_add_shapes(msiz_store *s, const char *name, uint64_t n, msiz_box_fn fn,
                                  void *ctx, const msiz_transform *transforms, int n_transforms)
{
    char path[MSIZ_STORE_PATH_MAX];
    json_t *tj = NULL, *attrs = NULL;
    msiz_status status = MSIZ_OK;
    MSIZ_TRY(msiz_store_transforms_json(transforms, n_transforms, 2, &tj));
    MSIZ_TRY(msiz_store_claim_element(s, "shapes", name, path, sizeof path));
    attrs = shapes_attrs(s, tj);
    MSIZ_FAIL_IF(!attrs, MSIZ_E_NOMEM, "out of memory");
    MSIZ_TRY(msiz_zarr_group(s->z, path, attrs));
    if (s->opts.ragged_shapes)
        MSIZ_TRY(write_ragged(s, path, n, fn, ctx));
    else
        MSIZ_TRY(write_geoparquet(s, path, n, fn, ctx));
cleanup:
    json_decref(tj);
    json_decref(attrs);
    return status;
}
