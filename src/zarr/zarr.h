/*
 * Zarr writer (internal API): groups, attributes, chunked arrays for zarr v3 (default) and v2,
 * chunks compressed on worker threads, consolidated metadata written last.
 *
 * Life cycle:  msiz_zarr_open -> msiz_zarr_group / msiz_zarr_array_create ... -> msiz_zarr_close.
 * An array: create -> append (1-D, any number of calls) or write_full (N-D) -> finish -> free.
 * A chunk is compressed and written as soon as it is full; the array's JSON metadata is written
 * by finish (so an array without metadata means an unfinished write). free() without finish()
 * abandons the array cleanly. Errors are sticky: after the first failure every call on that
 * array (and msiz_zarr_close) returns it. Thread safety: one thread drives a store; the store's
 * worker threads only compress and write chunk files.
 *
 * Attributes are jansson objects, borrowed (the callee takes its own reference); key order is
 * preserved in the files.
 */
#ifndef MSIZ_ZARR_ZARR_H
#define MSIZ_ZARR_ZARR_H

#include <jansson.h>
#include <stdint.h>

#include "msizarr/compression.h"
#include "msizarr/msizarr.h"

typedef enum msiz_dtype {
    MSIZ_DT_BOOL,
    MSIZ_DT_INT8,
    MSIZ_DT_INT16,
    MSIZ_DT_INT32,
    MSIZ_DT_INT64,
    MSIZ_DT_UINT8,
    MSIZ_DT_UINT16,
    MSIZ_DT_UINT32,
    MSIZ_DT_UINT64,
    MSIZ_DT_FLOAT32,
    MSIZ_DT_FLOAT64,
    MSIZ_DT_STRING /* vlen-utf8; elements are `const char *` (NUL-terminated UTF-8) */
} msiz_dtype;

/* Bytes per element (sizeof(char *) for strings). */
size_t msiz_dtype_size(msiz_dtype dtype);

#define MSIZ_ZARR_MAX_DIMS 8
/* For 1-D arrays: the length is whatever was appended when finish() runs. */
#define MSIZ_ZARR_UNKNOWN_LEN UINT64_MAX

typedef struct msiz_zarr msiz_zarr;
typedef struct msiz_zarr_array msiz_zarr_array;

typedef struct msiz_zarr_opts {
    int zarr_format;              /* 3 (default) or 2 */
    msiz_compression compression; /* default codec of every array */
    int threads;                  /* compression workers; 0 = compress on the calling thread */
    volatile int *cancel;         /* polled per chunk and metadata file (NULL: never) */
} msiz_zarr_opts;

void msiz_zarr_opts_init(msiz_zarr_opts *opts);

/* Creates the store's root directory `root` (must not exist yet; parents must exist) and
 * starts the worker threads. The root group itself is written by msiz_zarr_close (so its
 * attributes can be set late with msiz_zarr_set_attrs(z, "", ...)). */
MSIZ_NODISCARD msiz_status msiz_zarr_open(const char *root, const msiz_zarr_opts *opts,
                                          msiz_zarr **out);

/* Creates group `path` ("a/b", relative to the root; "" is the root) with attributes (NULL: none).
 * Parent groups must have been created first (the root exists implicitly). */
MSIZ_NODISCARD msiz_status msiz_zarr_group(msiz_zarr *z, const char *path, json_t *attrs);

/* Replaces the attributes of an existing group (written at close). */
MSIZ_NODISCARD msiz_status msiz_zarr_set_attrs(msiz_zarr *z, const char *path, json_t *attrs);

typedef struct msiz_zarr_array_opts {
    msiz_dtype dtype;
    int ndim;                                        /* 0 (scalar) .. MSIZ_ZARR_MAX_DIMS */
    uint64_t shape[MSIZ_ZARR_MAX_DIMS];              /* 1-D may use MSIZ_ZARR_UNKNOWN_LEN */
    uint64_t chunks[MSIZ_ZARR_MAX_DIMS];             /* 0 = whole dimension (min 1) */
    json_t *attrs;                                   /* borrowed; NULL for none */
    const char *dimension_names[MSIZ_ZARR_MAX_DIMS]; /* v3 only; all NULL = omit */
    int slash_separator_v2;                          /* v2: "dimension_separator": "/" (images) */
    const msiz_compression *compression;             /* NULL = the store's default */
} msiz_zarr_array_opts;

void msiz_zarr_array_opts_init(msiz_zarr_array_opts *opts, msiz_dtype dtype, int ndim);

MSIZ_NODISCARD msiz_status msiz_zarr_array_create(msiz_zarr *z, const char *path,
                                                  const msiz_zarr_array_opts *opts,
                                                  msiz_zarr_array **out);

/* 1-D: appends `count` elements (strings: `data` is `const char *const *`). Going past a known
 * shape is MSIZ_E_ARG. */
MSIZ_NODISCARD msiz_status msiz_zarr_array_append(msiz_zarr_array *a, const void *data,
                                                  uint64_t count);

/* Any ndim (0-d included): writes the whole array from a C-order buffer of prod(shape)
 * elements. Only once, and not mixed with append. */
MSIZ_NODISCARD msiz_status msiz_zarr_array_write_full(msiz_zarr_array *a, const void *data);

/* Flushes the last (padded) chunk, waits for its workers, writes the metadata. A known shape
 * not filled exactly is MSIZ_E_ARG. */
MSIZ_NODISCARD msiz_status msiz_zarr_array_finish(msiz_zarr_array *a);

/* Number of elements appended so far. */
uint64_t msiz_zarr_array_length(const msiz_zarr_array *a);

/* Frees the array; NULL is fine. Without finish the array is abandoned (no metadata). */
void msiz_zarr_array_free(msiz_zarr_array *a);

/* Creates, writes whole (C order, prod(shape) elements), finishes and frees an array. */
MSIZ_NODISCARD msiz_status msiz_zarr_write_whole(msiz_zarr *z, const char *path,
                                                 const msiz_zarr_array_opts *opts,
                                                 const void *data);

/* Convenience: a 0-d string scalar / numeric scalar / whole 1-D array in one call. */
MSIZ_NODISCARD msiz_status msiz_zarr_write_scalar_string(msiz_zarr *z, const char *path,
                                                         const char *value, json_t *attrs);
MSIZ_NODISCARD msiz_status msiz_zarr_write_scalar(msiz_zarr *z, const char *path, msiz_dtype dtype,
                                                  const void *value, json_t *attrs);
MSIZ_NODISCARD msiz_status msiz_zarr_write_array1d(msiz_zarr *z, const char *path, msiz_dtype dtype,
                                                   const void *data, uint64_t count, uint64_t chunk,
                                                   json_t *attrs);

/* Upper bound of the memory one array of these options holds while being written (chunk
 * buffers and compression buffers of its in-flight chunks). */
size_t msiz_zarr_array_memory_estimate(const msiz_zarr *z, const msiz_zarr_array_opts *opts);

/* Writes every pending group's metadata, then (if `consolidate`) consolidated metadata covering
 * every node, and frees the store. Fails if an array is still unfinished. The store handle is
 * freed whatever the outcome. */
MSIZ_NODISCARD msiz_status msiz_zarr_close(msiz_zarr *z, int consolidate);

/* Frees without writing anything more (abort path). NULL is fine. */
void msiz_zarr_abort(msiz_zarr *z);

/* The format (2 or 3) of an open store. */
int msiz_zarr_format(const msiz_zarr *z);

#endif
