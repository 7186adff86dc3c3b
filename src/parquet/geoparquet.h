/* GeoParquet writer for pixel squares: the `shapes.parquet` of a SpatialData shapes element
 * (output-layout.md §7), readable by geopandas.read_parquet and pyarrow.
 *
 * File layout: one row group; two REQUIRED BYTE_ARRAY columns, `geometry` (ISO WKB Polygon of
 * shapely.box) and `instance_id` (UTF8 strings, read back as the index named so); PLAIN data
 * pages v1 of about page_bytes, each compressed on its own; footer key-value metadata `geo`
 * (GeoParquet 1.0.0, crs null, bbox of all rows) and `pandas`. Memory use is about two pages,
 * whatever n_rows. */
#ifndef MSIZ_PARQUET_GEOPARQUET_H
#define MSIZ_PARQUET_GEOPARQUET_H

#include <stddef.h>
#include <stdint.h>

#include "msizarr/compression.h"

/* geo.creator.version written by default: the geopandas release whose output this mirrors. */
#define MSIZ_GEOPARQUET_GEOPANDAS_VERSION "1.2.0"
/* Size of the id buffer handed to the row callback (bytes, including the NUL). */
#define MSIZ_GEOPARQUET_ID_CAP 256

typedef struct msiz_geoparquet_box {
    double xmin, ymin, xmax, ymax;
} msiz_geoparquet_box;

/* Fills row `row`'s box and index string (NUL-terminated UTF-8, at most id_cap bytes with the
 * NUL). Called in ascending row order, twice per row: once for the geometry column pass, once
 * for the index pass; both calls must give the same answer. Return MSIZ_OK, or a negative
 * status (with msiz_fail's message) to stop the write. */
typedef msiz_status (*msiz_geoparquet_row_fn)(void *ctx, uint64_t row, msiz_geoparquet_box *box,
                                              char *id, size_t id_cap);

typedef struct msiz_geoparquet_opts {
    msiz_parquet_codec codec;    /* page codec: SNAPPY (default), ZSTD, GZIP, UNCOMPRESSED */
    int level;                   /* MSIZ_LEVEL_DEFAULT or the codec's level (zstd, gzip) */
    size_t page_bytes;           /* target uncompressed page size, 1 B .. 256 MiB */
    const char *creator_version; /* geo.creator.version; NULL: MSIZ_GEOPARQUET_GEOPANDAS_VERSION */
} msiz_geoparquet_opts;

/* SNAPPY, 1 MiB pages, creator_version NULL. */
void msiz_geoparquet_opts_init(msiz_geoparquet_opts *o);

/* Writes `path` (created or truncated) with n_rows rows from `fn`. n_rows = 0 gives a valid
 * empty file (one empty page per column, no bbox in `geo`). opts NULL: defaults.
 * Errors: the callback's own status (message prefixed with path and row); MSIZ_E_ARG for bad
 * options, a non-finite coordinate or an id that is not NUL-terminated UTF-8; MSIZ_E_IO naming
 * the path; MSIZ_E_NOMEM. On failure the partial file is removed. Thread safe for distinct
 * paths (the callback is called on the calling thread). */
MSIZ_NODISCARD msiz_status msiz_geoparquet_write_boxes(const char *path, uint64_t n_rows,
                                                       msiz_geoparquet_row_fn fn, void *ctx,
                                                       const msiz_geoparquet_opts *o);

#endif
