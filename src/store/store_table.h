/* The table handle, shared by store_table.c, store_columns.c and store_uns.c. */
#ifndef MSIZ_STORE_TABLE_H
#define MSIZ_STORE_TABLE_H

#include "store/store_internal.h"

typedef struct msiz_dataframe {
    json_t *columns; /* column-order (array of names, index excluded) */
    json_t *names;   /* every column written (object used as a set) */
    char *index;     /* the index column's name, or NULL */
} msiz_dataframe;

struct msiz_table {
    msiz_store *store;
    msiz_table *next, *prev;        /* the store's list of open tables */
    char path[MSIZ_STORE_PATH_MAX]; /* "tables/<name>" */
    msiz_table_opts opts;           /* strings point to the copies below */
    char *region, *region_key, *instance_key;
    int csc;
    int rows_open; /* CSR with n_obs unknown until the rows are appended */
    uint64_t n_major, n_minor, major_done, nnz;
    uint64_t nnz_bound; /* entries X may get: nnz, or the caller's nnz_max */
    int index64;        /* X/indices and X/indptr are int64 (else both int32) */
    msiz_zarr_array *x_data, *x_indices, *x_indptr;
    msiz_dataframe df[2]; /* MSIZ_OBS, MSIZ_VAR */
    json_t *uns_dicts;    /* uns sub-dicts created so far (set of paths) */
};

/* "<table path>/<rel>" into out. */
msiz_status msiz_table_path(const msiz_table *t, const char *rel, char *out, size_t size);

/* Fixes n_obs of a CSR table begun with n_obs open (= rows appended so far); no-op otherwise. */
msiz_status msiz_table_resolve_rows(msiz_table *t);

/* Writes obs/var dataframe attributes after checking index and columns. */
msiz_status msiz_table_finish_dataframes(msiz_table *t);

#endif
