#include "parquet/geoparquet.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/utf8.h"
#include "parquet/geo_metadata.h"
#include "parquet/parquet_file.h"
#include "parquet/wkb.h"

enum { COL_GEOMETRY = 0, COL_INDEX = 1 };

typedef struct row_source {
    const char *path;
    msiz_geoparquet_row_fn fn;
    void *ctx;
    msiz_geoparquet_box box;
    char id[MSIZ_GEOPARQUET_ID_CAP];
} row_source;

void msiz_geoparquet_opts_init(msiz_geoparquet_opts *o)
{
    memset(o, 0, sizeof *o);
    o->codec = MSIZ_PARQUET_SNAPPY;
    o->level = MSIZ_LEVEL_DEFAULT;
    o->page_bytes = (size_t)1 << 20;
    o->creator_version = NULL;
}

static msiz_status fetch_row(row_source *src, uint64_t row)
{
    memset(&src->box, 0, sizeof src->box);
    src->id[0] = '\0';
    msiz_status status = src->fn(src->ctx, row, &src->box, src->id, sizeof src->id);
    if (status < 0)
        return msiz_fail_context(status, "%s: row %llu", src->path, (unsigned long long)row);
    if (status != MSIZ_OK)
        return msiz_fail(MSIZ_E_ARG, "%s: row %llu: row callback returned %d", src->path,
                         (unsigned long long)row, (int)status);
    return MSIZ_OK;
}

static msiz_status check_box(const row_source *src, uint64_t row)
{
    const msiz_geoparquet_box *b = &src->box;
    if (!isfinite(b->xmin) || !isfinite(b->ymin) || !isfinite(b->xmax) || !isfinite(b->ymax))
        return msiz_fail(MSIZ_E_ARG, "%s: row %llu: box has a non-finite coordinate", src->path,
                         (unsigned long long)row);
    return MSIZ_OK;
}

static void extend_bbox(double bbox[4], const msiz_geoparquet_box *b)
{
    bbox[0] = fmin(bbox[0], fmin(b->xmin, b->xmax));
    bbox[1] = fmin(bbox[1], fmin(b->ymin, b->ymax));
    bbox[2] = fmax(bbox[2], fmax(b->xmin, b->xmax));
    bbox[3] = fmax(bbox[3], fmax(b->ymin, b->ymax));
}

static msiz_status write_geometry(msiz_pq_writer *w, row_source *src, uint64_t n_rows,
                                  double bbox[4])
{
    msiz_status status = msiz_pq_column_begin(w, COL_GEOMETRY);
    uint8_t wkb[MSIZ_WKB_BOX_BYTES];
    for (uint64_t row = 0; row < n_rows && status == MSIZ_OK; row++) {
        if ((status = fetch_row(src, row)) < 0 || (status = check_box(src, row)) < 0)
            break;
        const msiz_geoparquet_box *b = &src->box;
        extend_bbox(bbox, b);
        msiz_wkb_box(b->xmin, b->ymin, b->xmax, b->ymax, wkb);
        status = msiz_pq_append(w, wkb, sizeof wkb);
    }
    return status < 0 ? status : msiz_pq_column_end(w);
}

static msiz_status check_id(const row_source *src, uint64_t row, size_t *len)
{
    const char *nul = memchr(src->id, '\0', sizeof src->id);
    if (!nul)
        return msiz_fail(MSIZ_E_ARG, "%s: row %llu: index string longer than %d bytes", src->path,
                         (unsigned long long)row, MSIZ_GEOPARQUET_ID_CAP - 1);
    *len = (size_t)(nul - src->id);
    if (!msiz_utf8_valid((const unsigned char *)src->id, *len))
        return msiz_fail(MSIZ_E_ARG, "%s: row %llu: index string is not valid UTF-8", src->path,
                         (unsigned long long)row);
    return MSIZ_OK;
}

static msiz_status write_index(msiz_pq_writer *w, row_source *src, uint64_t n_rows)
{
    msiz_status status = msiz_pq_column_begin(w, COL_INDEX);
    size_t len = 0;
    for (uint64_t row = 0; row < n_rows && status == MSIZ_OK; row++) {
        if ((status = fetch_row(src, row)) < 0 || (status = check_id(src, row, &len)) < 0)
            break;
        status = msiz_pq_append(w, src->id, len);
    }
    return status < 0 ? status : msiz_pq_column_end(w);
}

static msiz_status finish_with_metadata(msiz_pq_writer *w, const char *path, uint64_t n_rows,
                                        const double bbox[4], const char *creator_version)
{
    char *geo = NULL, *pandas = NULL;
    msiz_status status = msiz_geo_metadata_json(n_rows > 0 ? bbox : NULL, creator_version, &geo);
    if (status == MSIZ_OK)
        status = msiz_pandas_metadata_json(&pandas);
    if (status == MSIZ_OK) {
        const msiz_pq_kv kv[2] = {{"geo", geo}, {"pandas", pandas}};
        status = msiz_pq_writer_finish(w, kv, 2);
    } else {
        msiz_fail_context(status, "%s", path);
    }
    free(geo); /* jansson's allocation */
    free(pandas);
    return status;
}

static void open_opts(const msiz_geoparquet_opts *o, msiz_pq_writer_opts *po)
{
    msiz_pq_writer_opts_init(po);
    po->codec = o->codec;
    po->level = o->level;
    po->page_bytes = o->page_bytes;
}

msiz_status msiz_geoparquet_write_boxes(const char *path, uint64_t n_rows,
                                        msiz_geoparquet_row_fn fn, void *ctx,
                                        const msiz_geoparquet_opts *o)
{
    static const msiz_pq_column_spec cols[2] = {{"geometry", 0}, {MSIZ_GEOPARQUET_INDEX_NAME, 1}};
    msiz_geoparquet_opts defaults;
    msiz_pq_writer_opts po;
    msiz_pq_writer *w = NULL;
    row_source src = {.path = path, .fn = fn, .ctx = ctx};
    double bbox[4] = {INFINITY, INFINITY, -INFINITY, -INFINITY};
    msiz_status status = MSIZ_OK;

    MSIZ_FAIL_IF(!path || !fn, MSIZ_E_ARG, "geoparquet: missing path or row callback");
    MSIZ_FAIL_IF(n_rows > INT64_MAX, MSIZ_E_ARG, "%s: %llu rows", path, (unsigned long long)n_rows);
    if (!o) {
        msiz_geoparquet_opts_init(&defaults);
        o = &defaults;
    }
    open_opts(o, &po);
    MSIZ_TRY(msiz_pq_writer_open(path, cols, 2, &po, &w));
    MSIZ_TRY(write_geometry(w, &src, n_rows, bbox));
    MSIZ_TRY(write_index(w, &src, n_rows));
    MSIZ_TRY(finish_with_metadata(w, path, n_rows, bbox,
                                  o->creator_version ? o->creator_version
                                                     : MSIZ_GEOPARQUET_GEOPANDAS_VERSION));
cleanup:
    msiz_pq_writer_free(w);
    return status;
}
