/*
 * Zarr reader (internal API, used by src/store only): the arrays and groups msizarr's own writer
 * produces, read back. Zarr v3 and v2 metadata, regular chunk grids, chunk keys "c/i/j" (v3
 * default encoding), "i.j" or "i/j" (v2), codecs bytes (little or big endian) / vlen-utf8 and
 * zstd, gzip (or zlib), blosc, none; missing chunks read as the fill value. Anything else
 * (sharding, transpose, other codecs, "F" order) is MSIZ_E_UNSUPPORTED naming the array.
 *
 *   msiz_zarr_reader_open(root, 0, &r)                 -- format from the root metadata
 *     msiz_zarr_read_attrs(r, "tables/t", &attrs)      -- group or array attributes (JSON)
 *     msiz_zarr_rarray_open(r, "tables/t/X/data", &a)  -- an array's metadata
 *       msiz_zarr_rarray_read(a, start, count, MSIZ_DT_FLOAT64, out)
 *     msiz_zarr_rarray_close(a)
 *   msiz_zarr_reader_close(r)
 *
 * Memory: an open array holds one decoded chunk (and the compressed bytes while decoding), so
 * reading a region chunk by chunk in C order touches each chunk once. Not thread-safe per
 * handle; separate handles are independent.
 */
#ifndef MSIZ_ZARR_ZARR_READ_H
#define MSIZ_ZARR_ZARR_READ_H

#include <jansson.h>
#include <stdint.h>

#include "zarr/zarr.h"

typedef struct msiz_zarr_reader msiz_zarr_reader;
typedef struct msiz_zarr_rarray msiz_zarr_rarray;

/* Opens the store at `root`. format 0: 3 when root/zarr.json exists, 2 when root/.zgroup does,
 * else MSIZ_E_NOTFOUND; 2 or 3: taken as given (a store still being written has no root
 * metadata yet). */
MSIZ_NODISCARD msiz_status msiz_zarr_reader_open(const char *root, int format,
                                                 msiz_zarr_reader **out);
void msiz_zarr_reader_close(msiz_zarr_reader *r); /* NULL is fine */
int msiz_zarr_reader_format(const msiz_zarr_reader *r);
const char *msiz_zarr_reader_root(const msiz_zarr_reader *r);

/* 1 if `path` ("" = root) is a group or an array of the store, 0 if not. */
int msiz_zarr_node_exists(const msiz_zarr_reader *r, const char *path);

/* The attributes of the group or array at `path` (a new reference to an object; {} when it has
 * none). MSIZ_E_NOTFOUND when the node does not exist. */
MSIZ_NODISCARD msiz_status msiz_zarr_read_attrs(msiz_zarr_reader *r, const char *path,
                                                json_t **out);

/* Names of the child nodes (groups and arrays) of group `path`, sorted: a new JSON array of
 * strings. */
MSIZ_NODISCARD msiz_status msiz_zarr_read_children(msiz_zarr_reader *r, const char *path,
                                                   json_t **out);

typedef struct msiz_zarr_rinfo {
    msiz_dtype dtype; /* as stored (little or big endian) */
    int ndim;
    uint64_t shape[MSIZ_ZARR_MAX_DIMS];
    uint64_t chunks[MSIZ_ZARR_MAX_DIMS];
    msiz_codec codec; /* MSIZ_CODEC_NONE when uncompressed */
} msiz_zarr_rinfo;

MSIZ_NODISCARD msiz_status msiz_zarr_rarray_open(msiz_zarr_reader *r, const char *path,
                                                 msiz_zarr_rarray **out);
void msiz_zarr_rarray_close(msiz_zarr_rarray *a); /* NULL is fine */
const msiz_zarr_rinfo *msiz_zarr_rarray_info(const msiz_zarr_rarray *a);
/* Number of elements (the product of the shape; 1 for 0-d). */
uint64_t msiz_zarr_rarray_size(const msiz_zarr_rarray *a);

/* Reads the hyper-rectangle [start, start + count) (ndim values each; NULL for a 0-d array) in
 * C order into `out`, converted to `out_type`: MSIZ_DT_FLOAT64 (any numeric dtype; int64 and
 * uint64 beyond 2^53 round), MSIZ_DT_INT64 (integer and bool dtypes; uint64 values beyond
 * INT64_MAX and every float dtype are refused with MSIZ_E_FORMAT) or the stored dtype itself
 * (raw copy). Strings are read with msiz_zarr_rarray_read_string. */
MSIZ_NODISCARD msiz_status msiz_zarr_rarray_read(msiz_zarr_rarray *a, const uint64_t *start,
                                                 const uint64_t *count, msiz_dtype out_type,
                                                 void *out);

/* Element `index` (flat, C order) of a string array, as a new NUL-terminated string (free with
 * msiz_free). */
MSIZ_NODISCARD msiz_status msiz_zarr_rarray_read_string(msiz_zarr_rarray *a, uint64_t index,
                                                        char **out);

#endif
