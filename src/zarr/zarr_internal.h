/*
 * Zarr writer internals shared by the files of src/zarr (never installed).
 *
 *   zarr_store.c    store handle, node registry, names, group metadata, close/abort
 *   zarr_consol.c   consolidated metadata (v3 inline, v2 .zmetadata)
 *   zarr_array.c    array life cycle: create, append, write_full, finish, free
 *   zarr_chunk.c    chunk slots: buffers, submit, encode + write (run on workers)
 *   zarr_meta.c     JSON documents (.zarray/.zattrs/.zgroup, zarr.json)
 *   zarr_codec.c    zstd / gzip / blosc / none, bounds, codec JSON
 *   zarr_pool.c     worker threads and the bounded job queue
 *   zarr_vlen.c     vlen-utf8 chunk payloads
 *
 * Memory bound: each array owns at most `threads + 1` chunk slots (one being filled, the rest
 * compressing on workers); a slot holds the raw chunk and a bound-sized compression buffer.
 * The bound is per array, not per store.
 */
#ifndef MSIZ_ZARR_ZARR_INTERNAL_H
#define MSIZ_ZARR_ZARR_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "zarr/zarr.h"

/* Hard cap on one chunk's raw or compressed bytes (blosc1's limit applies to every codec). */
#define ZARR_MAX_CHUNK_BYTES ((size_t)INT32_MAX - 64)
/* Bytes per string element assumed by the memory estimate (payload grows past it if needed). */
#define ZARR_STRING_EST_BYTES 64
#define ZARR_KEY_MAX          256
#define ZARR_PATH_MAX         4096

/* ---- codecs (zarr_codec.c) ---- */
typedef struct zarr_codec_ctx {
    void *zstd; /* ZSTD_CCtx, created on first use */
} zarr_codec_ctx;

void msiz_zarr_codec_ctx_destroy(zarr_codec_ctx *ctx);
/* Fills a default level for `format` and checks ranges. */
msiz_status msiz_zarr_codec_resolve(const msiz_compression *in, int format, msiz_compression *out);
/* Upper bound of the compressed size of `raw` bytes (raw itself for none). */
size_t msiz_zarr_codec_bound(const msiz_compression *c, size_t raw);
msiz_status msiz_zarr_codec_compress(zarr_codec_ctx *ctx, const msiz_compression *c,
                                     size_t typesize, const void *src, size_t n, void *dst,
                                     size_t cap, size_t *out_len);
/* v3: the bytes-to-bytes codec object, or NULL for none. v2: compressor object or json null. */
json_t *msiz_zarr_codec_json_v3(const msiz_compression *c, size_t typesize);
json_t *msiz_zarr_codec_json_v2(const msiz_compression *c);

/* ---- metadata (zarr_meta.c) ---- */
typedef struct zarr_array_desc {
    msiz_dtype dtype;
    int ndim;
    uint64_t shape[MSIZ_ZARR_MAX_DIMS];
    uint64_t chunks[MSIZ_ZARR_MAX_DIMS];
    char *dim_names[MSIZ_ZARR_MAX_DIMS]; /* owned; all NULL = omit */
    int slash_v2;
    msiz_compression comp; /* resolved */
} zarr_array_desc;

size_t msiz_zarr_typesize(msiz_dtype dtype); /* 1 for strings (blosc typesize) */
json_t *msiz_zarr_meta_array_v3(const zarr_array_desc *d, json_t *attrs);
json_t *msiz_zarr_meta_array_v2(const zarr_array_desc *d);
json_t *msiz_zarr_meta_group_v3(json_t *attrs);
json_t *msiz_zarr_meta_group_v2(void);
json_t *msiz_zarr_attrs_or_empty(json_t *attrs); /* new reference */
/* Serialises like zarr-python (indent 2, ASCII, key order kept, doubles round-trip). */
msiz_status msiz_zarr_json_write(const char *path, json_t *doc);
/* Chunk key of grid position `idx` ("c/0/1", "0.1", "c" / "0" for 0-d). */
msiz_status msiz_zarr_chunk_key(int format, int slash_v2, int ndim, const uint64_t *idx, char *out,
                                size_t out_size);

/* ---- vlen-utf8 (zarr_vlen.c) ---- */
typedef struct zarr_buf {
    unsigned char *data;
    size_t len, cap;
} zarr_buf;

msiz_status msiz_zarr_vlen_begin(zarr_buf *b);
msiz_status msiz_zarr_vlen_push(zarr_buf *b, const char *s, const char *array_path);
void msiz_zarr_vlen_end(zarr_buf *b, uint32_t count);

/* ---- chunk slots (zarr_chunk.c) ---- */
typedef struct zarr_slot {
    msiz_zarr_array *owner;
    zarr_buf raw;
    unsigned char *out;
    size_t out_cap;
    uint64_t items; /* elements in raw (incl. padding) */
    char key[ZARR_KEY_MAX];
    int busy;
} zarr_slot;

/* ---- worker pool (zarr_pool.c) ---- */
typedef struct zarr_pool zarr_pool;
msiz_status msiz_zarr_pool_new(int threads, zarr_pool **out);
void msiz_zarr_pool_free(zarr_pool *p); /* drains the queue, joins */
void msiz_zarr_pool_lock(zarr_pool *p); /* NULL: no-op */
void msiz_zarr_pool_unlock(zarr_pool *p);
void msiz_zarr_pool_wait_locked(zarr_pool *p); /* waits for any job to finish; lock held */
/* Queues a job (blocks while the queue is full). Call without the lock. */
void msiz_zarr_pool_submit(zarr_pool *p, zarr_slot *s);

/* ---- store and arrays (zarr_store.c, zarr_array.c) ---- */
typedef struct zarr_node {
    char *path;   /* "" = root */
    int is_array; /* arrays are registered at create, listed once finished */
    int finished;
    json_t *attrs; /* owned reference, never NULL */
    json_t *meta;  /* v3: zarr.json object; v2: .zarray (arrays) — set at finish */
} zarr_node;

typedef enum zarr_array_state {
    ZARR_OPEN,
    ZARR_APPENDING,
    ZARR_WRITTEN,
    ZARR_FINISHED
} zarr_array_state;

struct msiz_zarr {
    char *root;
    int format;
    int threads;
    msiz_compression comp;
    zarr_node *nodes;
    size_t n_nodes, cap_nodes;
    msiz_zarr_array **live; /* array handles not yet freed */
    size_t n_live, cap_live;
    zarr_pool *pool;
    volatile int *cancel;
};

/* MSIZ_E_INTERRUPTED naming `what` once the caller asked to stop, else MSIZ_OK. */
msiz_status msiz_zarr_poll(const msiz_zarr *z, const char *what);

struct msiz_zarr_array {
    msiz_zarr *z; /* NULL once the store is closed */
    char *path;
    char *dir;
    zarr_array_desc d;
    json_t *attrs;
    size_t elem_size, chunk_elems, chunk_bytes;
    uint64_t length, next_chunk;
    zarr_slot *slots;
    int nslots, inflight;
    zarr_slot *cur;
    zarr_array_state state;
    msiz_status status; /* sticky */
    char errmsg[MSIZ_ERRMSG_MAX];
    size_t bytes_now, bytes_peak; /* slot buffer bytes (memory-estimate accounting) */
    zarr_codec_ctx ctx;           /* for threads == 0 */
};

zarr_node *msiz_zarr_store_find(msiz_zarr *z, const char *path);
msiz_status msiz_zarr_check_path(const char *path, int allow_root);
msiz_status msiz_zarr_store_add_array(msiz_zarr *z, msiz_zarr_array *a);
void msiz_zarr_store_drop_array(msiz_zarr *z, msiz_zarr_array *a, int remove_node);
msiz_status msiz_zarr_write_consolidated(msiz_zarr *z);

/* zarr_chunk.c */
msiz_status msiz_zarr_slot_acquire(msiz_zarr_array *a, zarr_slot **out);
msiz_status msiz_zarr_slot_submit(msiz_zarr_array *a, zarr_slot *s, const uint64_t *grid_idx);
msiz_status msiz_zarr_array_wait_all(msiz_zarr_array *a);
msiz_status msiz_zarr_array_sticky(msiz_zarr_array *a); /* returns (and re-raises) a stored error */
msiz_status msiz_zarr_array_set_error(msiz_zarr_array *a, msiz_status st); /* keeps first */
/* Runs on a worker (or the caller): encode + write one chunk. */
msiz_status msiz_zarr_slot_run(zarr_codec_ctx *ctx, zarr_slot *s);
/* Lock held: marks the job done and records a failure (message from this thread). */
void msiz_zarr_slot_done_locked(zarr_slot *s, msiz_status st);
void msiz_zarr_slots_free(msiz_zarr_array *a);
void msiz_zarr_array_account(msiz_zarr_array *a); /* updates bytes_now / bytes_peak */

#endif
