/*
 * Store reader (internal API): reads back what msizarr's store writer wrote — root attributes,
 * the tables and their X (CSC or CSR, int32 or int64 indices), obs/var columns, uns arrays and
 * the TIC images — through the Zarr reader, which only src/store may include. Used by the QC
 * report (src/report), for stores on disk and for the store a conversion is writing.
 *
 *   msiz_store_reader_open("run.zarr", &r)
 *     msiz_store_read_tables(r, &names); msiz_store_read_table(r, "msi_dataset_z0", &t)
 *     msiz_store_read_f64(r, "tables/msi_dataset_z0/var/mz", t.n_var, mz)
 *     msiz_store_x_open(r, "msi_dataset_z0", NULL, &x); msiz_store_x_scan(x, fn, ctx)
 *   msiz_store_reader_close(r)
 *
 * Memory: one decoded chunk per open array plus fixed blocks of 64 Ki entries for X, whatever
 * the size of the store. Handles are not thread-safe.
 */
#ifndef MSIZ_STORE_STORE_READ_H
#define MSIZ_STORE_STORE_READ_H

#include <jansson.h>
#include <stdint.h>

#include "msizarr/store.h"

typedef struct msiz_store_reader msiz_store_reader;
typedef struct msiz_store_x msiz_store_x;

/* Opens a finished store (zarr format from its root metadata). MSIZ_E_NOTFOUND when `path` is
 * no Zarr store. */
MSIZ_NODISCARD msiz_status msiz_store_reader_open(const char *path, msiz_store_reader **out);
/* Opens the temporary tree of a store being written: arrays of finished tables are readable,
 * group metadata and root attributes are not there yet. */
MSIZ_NODISCARD msiz_status msiz_store_reader_open_unfinished(const msiz_store *s,
                                                             msiz_store_reader **out);
void msiz_store_reader_close(msiz_store_reader *r); /* NULL is fine */

int msiz_store_reader_zarr_format(const msiz_store_reader *r);
/* The root attributes ({} when none): borrowed, valid until close. */
json_t *msiz_store_reader_root_attrs(const msiz_store_reader *r);

/* Names of the tables (sorted): a new JSON array (empty when the store has none). */
MSIZ_NODISCARD msiz_status msiz_store_read_tables(msiz_store_reader *r, json_t **out);

/* What the X group and table attributes of a table say. */
typedef struct msiz_stored_table {
    uint64_t n_obs, n_var;
    uint64_t nnz;              /* length of X/data */
    msiz_sparse_format format; /* csc_matrix or csr_matrix */
    int index_bits;            /* 32 or 64: X/indices dtype */
    int has_z;                 /* obs has a z column (a volume) */
} msiz_stored_table;

MSIZ_NODISCARD msiz_status msiz_store_read_table(msiz_store_reader *r, const char *table,
                                                 msiz_stored_table *out);

/* Attributes of the node at `path` (relative to the store): a new reference. */
MSIZ_NODISCARD msiz_status msiz_store_read_attrs(msiz_store_reader *r, const char *path,
                                                 json_t **out);
/* 1 if `path` is a group or array of the store. */
int msiz_store_has(const msiz_store_reader *r, const char *path);

/* The 1-D numeric array at `path` (relative to the store), which must have `n` elements, as
 * float64 or int64 (integer arrays only). */
MSIZ_NODISCARD msiz_status msiz_store_read_f64(msiz_store_reader *r, const char *path, uint64_t n,
                                               double *out);
MSIZ_NODISCARD msiz_status msiz_store_read_i64(msiz_store_reader *r, const char *path, uint64_t n,
                                               int64_t *out);
/* Length of the 1-D array at `path`. */
MSIZ_NODISCARD msiz_status msiz_store_read_len(msiz_store_reader *r, const char *path, uint64_t *n);
/* The 0-d (or first element of a 1-d) string array at `path`: new string, msiz_free. */
MSIZ_NODISCARD msiz_status msiz_store_read_text(msiz_store_reader *r, const char *path, char **out);

/* What group `path` (e.g. "tables/t/uns") holds, as JSON for people: groups become objects,
 * 0-d strings and numbers their values (a 1-element string array its string), 1-D numeric
 * arrays of up to 16 values lists, other arrays a description ("(321887 float64 values)").
 * A new reference. */
MSIZ_NODISCARD msiz_status msiz_store_read_group_json(msiz_store_reader *r, const char *path,
                                                      json_t **out);

/* Level s0 of image element `name`: shape (c, y, x) or (c, z, y, x) and its values, C order
 * (a new buffer of prod(shape) doubles, msiz_free). */
MSIZ_NODISCARD msiz_status msiz_store_read_image(msiz_store_reader *r, const char *name, int *ndim,
                                                 uint64_t shape[4], double **out);

/* ---- X ---- */

/* Entries of major slice `major` (a column for CSC, a row for CSR): minor indices ascending.
 * A slice may arrive in several calls (consecutive, same major). */
typedef msiz_status (*msiz_store_x_fn)(void *ctx, uint64_t major, const int64_t *minor,
                                       const double *values, size_t n);

/* Opens X of `table`. `known` NULL: shape and format from the X group's attributes; else
 * taken from it (a store being written has no group attributes yet). */
MSIZ_NODISCARD msiz_status msiz_store_x_open(msiz_store_reader *r, const char *table,
                                             const msiz_stored_table *known, msiz_store_x **out);
void msiz_store_x_close(msiz_store_x *x); /* NULL is fine */

/* Hands the entries of one major slice to fn (nothing for an empty slice). */
MSIZ_NODISCARD msiz_status msiz_store_x_slice(msiz_store_x *x, uint64_t major, msiz_store_x_fn fn,
                                              void *ctx);
/* Hands every entry to fn, major by major, reading X once front to back. */
MSIZ_NODISCARD msiz_status msiz_store_x_scan(msiz_store_x *x, msiz_store_x_fn fn, void *ctx);

#endif
