/*
 * EXPERIMENTAL (docs/api.md): the store writer under the converter; it may change in any
 * release. msiz_sparse_format is stable API in convert.h.
 *
 * The SpatialData store writer: the exact layout of docs/output-layout (spatialdata 0.7/0.8,
 * zarr v3 by default, v2 as an option) written from C, streaming.
 *
 *   msiz_store_create(path, &opts, &store)       -- writes into a temporary sibling of path
 *     msiz_store_table_begin(store, &topts, &t)  -- AnnData table
 *       msiz_table_x_append(t, ...)  per column (CSC) or row (CSR), in order
 *       msiz_table_add_* (obs/var columns), msiz_table_uns_json / msiz_table_uns_f64
 *     msiz_table_finish(t)
 *     msiz_store_add_image(...), msiz_store_add_shapes(...)
 *     msiz_store_set_root_attrs_json(store, "{...}")
 *   msiz_store_finish(store)                     -- consolidates, renames into place, frees
 *   (or msiz_store_abort(store): removes the temporary tree, frees)
 *
 * Nothing needs the whole matrix in memory: X is appended column by column (CSC) or row by row
 * (CSR) through bounded chunk buffers. Element names and top-level table keys are validated as
 * spatialdata does (ASCII letters, digits, '_', '-', '.'; not '.'/'..'; not starting '__').
 * All strings are UTF-8. Handles are not thread-safe; the store uses worker threads internally.
 */
#ifndef MSIZARR_STORE_H
#define MSIZARR_STORE_H

#ifndef MSIZ_EXPERIMENTAL
#error "msizarr/store.h is experimental: #define MSIZ_EXPERIMENTAL first (docs/api.md)"
#endif

#include <stdint.h>

#include "msizarr/compression.h"
#include "msizarr/convert.h"
#include "msizarr/msizarr.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct msiz_store msiz_store;
typedef struct msiz_table msiz_table;

typedef struct msiz_store_opts {
    int zarr_format;              /* 3 (default) or 2 */
    msiz_compression compression;    /* default: zstd level 0 (zarr-python's default; X/data 2,
                                        X/indices 1) */
    msiz_parquet_codec shapes_codec; /* shapes.parquet pages (default: snappy) */
    int threads;                  /* compression worker threads (default 2; 0 = none) */
    int overwrite;                /* replace an existing Zarr store at finish (default 0) */
    int consolidate;              /* write consolidated metadata (default 1) */
    int ragged_shapes;            /* v2 only: shapes format 0.1 (ragged arrays), not GeoParquet */
    size_t chunk_elems;           /* X data/indices chunk length (default 1,000,000) */
    const char *spatialdata_version; /* root spatialdata_software_version (default "0.8.0") */
    volatile int *cancel; /* polled per chunk, shapes page and metadata file; non-zero stops
                             the call with MSIZ_E_INTERRUPTED (NULL: never) */
} msiz_store_opts;

MSIZ_API void msiz_store_opts_init(msiz_store_opts *opts);

/* Starts a store that will appear at `path` when finished. An existing `path` is refused
 * (MSIZ_E_EXISTS, saying why) unless it is a Zarr store -- a folder with a Zarr group at its
 * root -- and opts->overwrite is set; nothing else is ever replaced (checked now and again at
 * finish). */
MSIZ_API MSIZ_NODISCARD msiz_status msiz_store_create(const char *path, const msiz_store_opts *opts,
                                                      msiz_store **out);

/* Extra root attributes (a JSON object text), written after spatialdata_attrs in key order. */
MSIZ_API MSIZ_NODISCARD msiz_status msiz_store_set_root_attrs_json(msiz_store *store,
                                                                   const char *json_object);

/* Completes the store: writes remaining metadata, consolidated metadata, and renames the
 * temporary tree to the final path. Frees the store whatever the outcome (on failure the
 * temporary tree is removed and nothing is left at the path). */
MSIZ_API MSIZ_NODISCARD msiz_status msiz_store_finish(msiz_store *store);

/* Abandons the store: removes the temporary tree and frees. NULL is fine. */
MSIZ_API void msiz_store_abort(msiz_store *store);

/* ---- coordinate transformations (to a named coordinate system) ---- */

typedef enum msiz_transform_type {
    MSIZ_TRANSFORM_IDENTITY = 0,
    MSIZ_TRANSFORM_SCALE = 1,
    MSIZ_TRANSFORM_AFFINE = 2
} msiz_transform_type;

typedef struct msiz_transform {
    const char *output; /* coordinate system name, e.g. "global" */
    msiz_transform_type type;
    double scale_x, scale_y; /* SCALE: µm per pixel along x and y (c keeps 1.0) */
    double scale_z;          /* SCALE of a (c, z, y, x) image: µm per plane (0 means 1.0) */
    double affine[2][3];     /* AFFINE (x, y rows): x' = a00 x + a01 y + a02, y' = ... */
} msiz_transform;

#define MSIZ_MAX_TRANSFORMS 4

/* ---- AnnData table ---- */

typedef enum msiz_axis_df { MSIZ_OBS = 0, MSIZ_VAR = 1 } msiz_axis_df;

typedef enum msiz_column_type {
    MSIZ_COL_BOOL,
    MSIZ_COL_INT8,
    MSIZ_COL_INT16,
    MSIZ_COL_INT32,
    MSIZ_COL_INT64,
    MSIZ_COL_FLOAT32,
    MSIZ_COL_FLOAT64
} msiz_column_type;

typedef struct msiz_table_opts {
    const char *name;         /* element name, e.g. "msi_dataset_z0" */
    const char *region;       /* annotated shapes element, e.g. "msi_dataset_z0_pixels" */
    const char *region_key;   /* obs column holding the region (default "region") */
    const char *instance_key; /* obs column holding instance ids (default "instance_key") */
    uint64_t n_obs, n_var;
    msiz_sparse_format format; /* CSC (default) or CSR */
    uint64_t nnz;              /* number of stored entries if known, else UINT64_MAX */
    /* With nnz unknown: an upper bound on the entries (X/indices and X/indptr are int32 when
     * it and the dimensions fit in int32, else both int64); UINT64_MAX (default): no bound,
     * int64. Appending more entries than nnz / nnz_max fails with MSIZ_E_ARG. */
    uint64_t nnz_max;
} msiz_table_opts;

MSIZ_API void msiz_table_opts_init(msiz_table_opts *opts);

MSIZ_API MSIZ_NODISCARD msiz_status msiz_store_table_begin(msiz_store *store,
                                                           const msiz_table_opts *opts,
                                                           msiz_table **out);

/* Appends the next major slice of X (the next column for CSC, row for CSR): `n` entries with
 * minor indices strictly increasing in [0, n_minor) and values != 0 (explicit zeros are
 * refused: the layout stores none). Exactly n_major calls are expected (n may be 0). */
MSIZ_API MSIZ_NODISCARD msiz_status msiz_table_x_append(msiz_table *t, const int32_t *minor,
                                                        const double *values, size_t n);

/* A numeric column of `n` values (n must equal n_obs / n_var). */
MSIZ_API MSIZ_NODISCARD msiz_status msiz_table_add_numeric(msiz_table *t, msiz_axis_df axis,
                                                           const char *name, msiz_column_type type,
                                                           const void *values, uint64_t n);

/* A string column from an array of UTF-8 strings. */
MSIZ_API MSIZ_NODISCARD msiz_status msiz_table_add_strings(msiz_table *t, msiz_axis_df axis,
                                                           const char *name,
                                                           const char *const *values, uint64_t n);

/* A string column produced row by row: fn writes row `i`'s NUL-terminated string into buf
 * (cap bytes) and returns MSIZ_OK or an error. Streams in chunks: O(chunk) memory. */
typedef msiz_status (*msiz_string_fn)(void *ctx, uint64_t i, char *buf, size_t cap);
MSIZ_API MSIZ_NODISCARD msiz_status msiz_table_add_strings_fn(msiz_table *t, msiz_axis_df axis,
                                                              const char *name, uint64_t n,
                                                              msiz_string_fn fn, void *ctx);

/* A string column of decimal integers (e.g. instance ids from grid indices). */
MSIZ_API MSIZ_NODISCARD msiz_status msiz_table_add_decimal_strings(msiz_table *t, msiz_axis_df axis,
                                                                   const char *name,
                                                                   const int64_t *values,
                                                                   uint64_t n);

/* A categorical column: `codes` (n values in [0, n_categories)) into `categories`. */
MSIZ_API MSIZ_NODISCARD msiz_status msiz_table_add_categorical(
    msiz_table *t, msiz_axis_df axis, const char *name, const char *const *categories,
    size_t n_categories, const int32_t *codes, uint64_t n, int ordered);

/* Marks an added string column as the dataframe index ("_index"); it leaves column-order. */
MSIZ_API MSIZ_NODISCARD msiz_status msiz_table_set_index(msiz_table *t, msiz_axis_df axis,
                                                         const char *name);

/* Adds the members of a JSON object to uns, recursively: strings -> 0-d string, integers ->
 * int64 numeric-scalar, reals -> float64 numeric-scalar, booleans -> bool numeric-scalar,
 * null -> omitted, objects -> dict, arrays of numbers -> int64/float64 array, arrays of
 * strings -> string-array, other arrays -> the array's JSON text as a 0-d string. Nested keys
 * may contain spaces; top-level keys follow spatialdata's name rules. */
MSIZ_API MSIZ_NODISCARD msiz_status msiz_table_uns_json(msiz_table *t, const char *json_object);

/* A float64 array in uns at `path` ("a/b/c": parents become dicts, created as needed). */
MSIZ_API MSIZ_NODISCARD msiz_status msiz_table_uns_f64(msiz_table *t, const char *path,
                                                       const double *values, uint64_t n);

/* Checks that X is complete and every obs/var column has its length, writes the dataframes'
 * and the table's metadata, and frees the table handle. */
MSIZ_API MSIZ_NODISCARD msiz_status msiz_table_finish(msiz_table *t);

/* Abandons a table (nothing more is written for it) and frees the handle; NULL is fine. A table
 * still open when its store is finished or aborted is freed with the store (its handle is then
 * invalid). */
MSIZ_API void msiz_table_abort(msiz_table *t);

/* ---- images ---- */

/* An NGFF image with one level "s0", float64, dims (c, y, x) when ndim == 3 or (c, z, y, x)
 * when ndim == 4, from a C-order buffer; transforms map it to named coordinate systems. */
MSIZ_API MSIZ_NODISCARD msiz_status msiz_store_add_image(msiz_store *store, const char *name,
                                                         const double *data, int ndim,
                                                         const uint64_t *shape,
                                                         const msiz_transform *transforms,
                                                         int n_transforms);

/* ---- shapes ---- */

/* Row `i`'s square (xmin, ymin, xmax, ymax in the target units) and its index string. */
typedef msiz_status (*msiz_box_fn)(void *ctx, uint64_t i, double box[4], char *id, size_t cap);

/* A shapes element of `n` axis-aligned boxes (polygons), index strings from fn. v3 and v2
 * write GeoParquet (format 0.3 / 0.2); v2 with opts.ragged_shapes writes format 0.1. */
MSIZ_API MSIZ_NODISCARD msiz_status msiz_store_add_shapes(msiz_store *store, const char *name,
                                                          uint64_t n, msiz_box_fn fn, void *ctx,
                                                          const msiz_transform *transforms,
                                                          int n_transforms);

/* 1 if `name` is a valid spatialdata element name / table key. */
MSIZ_API int msiz_valid_element_name(const char *name);

#ifdef __cplusplus
}
#endif
#endif
