/* Zarr reader internals shared by zarr_read.c (metadata), zarr_read_chunk.c (chunks, regions)
 * and zarr_decode.c (codecs). */
#ifndef MSIZ_ZARR_ZARR_READ_INTERNAL_H
#define MSIZ_ZARR_ZARR_READ_INTERNAL_H

#include "zarr/zarr_internal.h"
#include "zarr/zarr_read.h"

/* Largest metadata document read (zarr.json, .zarray, .zattrs). */
#define ZARR_READ_MAX_JSON ((size_t)256 << 20)

struct msiz_zarr_reader {
    char *root;
    int format;
};

struct msiz_zarr_rarray {
    msiz_zarr_reader *r;
    char *path; /* relative, for messages */
    char *dir;  /* root/path */
    msiz_zarr_rinfo info;
    int big_endian;
    int key_prefix_c; /* v3 default encoding: "c" before the indices */
    char key_sep;     /* '/' or '.' */
    size_t elem_size; /* bytes per element (1 byte per string chunk byte for strings) */
    uint64_t chunk_elems;
    size_t chunk_bytes;      /* decoded bytes of a fixed-size chunk */
    unsigned char fill[8];   /* one element of the fill value, as stored (little endian) */
    int64_t cached;          /* linear index of the decoded chunk, -1 none */
    unsigned char *buf;      /* decoded chunk */
    size_t buf_len, buf_cap; /* bytes in use / allocated */
    unsigned char *cbuf;     /* compressed bytes */
    size_t cbuf_cap;
};

/* Decodes `n` bytes of a chunk file into a->buf: exactly a->chunk_bytes for fixed-size dtypes,
 * any length (up to the chunk cap) for strings. */
msiz_status msiz_zarr_decode_chunk(msiz_zarr_rarray *a, const unsigned char *src, size_t n,
                                   const char *file);

/* "<root>/<path>[/<leaf>]" into out. */
msiz_status msiz_zarr_read_join(const msiz_zarr_reader *r, const char *path, const char *leaf,
                                char *out, size_t size);

/* Reads a whole (small) file; missing: MSIZ_E_NOTFOUND. Caller frees with msiz_free. */
msiz_status msiz_zarr_read_file(const char *file, size_t cap, unsigned char **out, size_t *len);

#endif
