/* Internals shared by the store writer's files. */
#ifndef MSIZ_STORE_INTERNAL_H
#define MSIZ_STORE_INTERNAL_H

#include <jansson.h>

#include "io/owner.h"
#include "msizarr/store.h"
#include "zarr/zarr.h"

#define MSIZ_STORE_PATH_MAX 4096
/* Chunk length of obs/var columns and uns arrays (readers accept any regular chunking). */
#define MSIZ_STORE_COLUMN_CHUNK ((uint64_t)262144)
/* X/indptr chunk length (as Thyra's streaming writer). */
#define MSIZ_STORE_INDPTR_CHUNK ((uint64_t)100000)

struct msiz_store {
    char *final_path;
    char *temp_path;
    msiz_owner *owner; /* marks temp_path as this run's until it is renamed or removed */
    msiz_store_opts opts;
    msiz_zarr *z;
    json_t *root_extra; /* extra root attributes */
    json_t *elements;   /* set of element names (object used as a set) */
    int have_group[3];  /* tables, images, shapes */
    int open_tables;    /* tables begun and not finished */
    msiz_table *tables; /* those tables (freed with the store) */
};

/* Frees an unfinished table (unlinking it from its store). */
void msiz_store_drop_table(msiz_table *t);

/* "encoding-type"/"encoding-version" attributes (a new object; NULL when out of memory). */
json_t *msiz_store_encoding(const char *type, const char *version);

/* MSIZ_OK, or MSIZ_E_NOMEM when `attrs` is NULL. Attributes come from jansson constructors,
 * which return NULL when memory runs out, and the zarr writer takes NULL as "no attributes":
 * every attribute object is checked with this before it is written. */
msiz_status msiz_store_need_attrs(const json_t *attrs, const char *path);

/* Creates "tables", "images" or "shapes" once, then registers `name` (unique, valid) in it
 * and writes `<kind>/<name>` into `path`. */
msiz_status msiz_store_claim_element(msiz_store *s, const char *kind, const char *name, char *path,
                                     size_t path_size);

/* JSON for a list of coordinate transformations of an element with `ndim` axes: 2 = (x, y)
 * shapes, 3 = (c, y, x) image, 4 = (c, z, y, x) image. */
msiz_status msiz_store_transforms_json(const msiz_transform *t, int n, int ndim, json_t **out);

/* The anndata dict encoding of a JSON value at `path` (uns). */
msiz_status msiz_store_write_uns_value(msiz_zarr *z, const char *path, json_t *value);

/* A chunked 1-D string array with `encoding-type` string-array, produced by fn. */
msiz_status msiz_store_write_string_column(msiz_zarr *z, const char *path, uint64_t n,
                                           msiz_string_fn fn, void *ctx, json_t *attrs);

/* Validation used everywhere names come from callers. */
int msiz_store_valid_key(const char *key);        /* top-level table keys / element names */
int msiz_store_valid_nested_key(const char *key); /* nested uns keys: their own node name */

/* Longest node name given to a metadata key (bytes); with a "-N" suffix it stays far below
 * the 255-byte file name limit. */
#define MSIZ_STORE_NAME_MAX 120

/* The Zarr node name of a nested uns key (any UTF-8 text, as read from an input file): the
 * key itself when it is a portable name, else each character outside A-Z a-z 0-9 _ - . space
 * becomes '_', a trailing '.' or ' ' becomes '_', names that are empty, start with '.' or
 * "__", or spell a Zarr metadata file get a leading 'k', and the result is cut at
 * MSIZ_STORE_NAME_MAX bytes (and cap - 1). Never contains '/'. Returns 1 when the name differs
 * from the key. */
int msiz_store_node_name(const char *key, char *out, size_t cap);

#endif
