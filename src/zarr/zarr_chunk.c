/* Chunk slots: acquiring a free buffer, submitting a full chunk to a worker (or encoding it on
 * the caller), encoding + writing, and the sticky error bookkeeping that goes with it. */
#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "io/fs.h"
#include "zarr/zarr_internal.h"

static zarr_pool *pool_of(msiz_zarr_array *a)
{
    return a->z ? a->z->pool : NULL;
}

void msiz_zarr_array_account(msiz_zarr_array *a)
{
    size_t total = 0;
    for (int i = 0; i < a->nslots; i++)
        total += a->slots[i].raw.cap + a->slots[i].out_cap;
    a->bytes_now = total;
    if (total > a->bytes_peak)
        a->bytes_peak = total;
}

msiz_status msiz_zarr_array_set_error(msiz_zarr_array *a, msiz_status st)
{
    msiz_zarr_pool_lock(pool_of(a));
    if (a->status == MSIZ_OK && st < 0) {
        a->status = st;
        snprintf(a->errmsg, sizeof a->errmsg, "%s", msiz_last_error());
    }
    msiz_zarr_pool_unlock(pool_of(a));
    return st;
}

msiz_status msiz_zarr_array_sticky(msiz_zarr_array *a)
{
    msiz_zarr_pool_lock(pool_of(a));
    msiz_status st = a->status;
    if (st < 0)
        msiz_set_error_text(a->errmsg);
    msiz_zarr_pool_unlock(pool_of(a));
    return st;
}

msiz_status msiz_zarr_array_wait_all(msiz_zarr_array *a)
{
    zarr_pool *p = pool_of(a);
    msiz_zarr_pool_lock(p);
    while (a->inflight > 0)
        msiz_zarr_pool_wait_locked(p);
    msiz_zarr_pool_unlock(p);
    return msiz_zarr_array_sticky(a);
}

static zarr_slot *free_slot(msiz_zarr_array *a)
{
    zarr_pool *p = pool_of(a);
    zarr_slot *s = NULL;
    msiz_zarr_pool_lock(p);
    for (;;) {
        for (int i = 0; i < a->nslots && !s; i++)
            if (!a->slots[i].busy)
                s = &a->slots[i];
        if (s || !p)
            break;
        msiz_zarr_pool_wait_locked(p);
    }
    msiz_zarr_pool_unlock(p);
    return s;
}

static msiz_status alloc_numeric(msiz_zarr_array *a, zarr_slot *s)
{
    if (!s->raw.data) {
        s->raw.data = msiz_malloc(a->chunk_bytes);
        if (!s->raw.data)
            return msiz_fail(MSIZ_E_NOMEM, "%s: cannot allocate a chunk of %zu bytes", a->path,
                             a->chunk_bytes);
        s->raw.cap = a->chunk_bytes;
    }
    size_t bound = msiz_zarr_codec_bound(&a->d.comp, a->chunk_bytes);
    if (bound > 0 && !s->out) {
        s->out = msiz_malloc(bound);
        if (!s->out)
            return msiz_fail(MSIZ_E_NOMEM, "%s: cannot allocate a compression buffer", a->path);
        s->out_cap = bound;
    }
    return MSIZ_OK;
}

msiz_status msiz_zarr_slot_acquire(msiz_zarr_array *a, zarr_slot **out)
{
    msiz_status status = msiz_zarr_array_sticky(a);
    if (status < 0)
        return status;
    zarr_slot *s = free_slot(a);
    if (!s)
        return msiz_fail(MSIZ_E_STATE, "%s: no free chunk buffer", a->path);
    status = msiz_zarr_array_sticky(a); /* a worker may have failed meanwhile */
    if (status == MSIZ_OK && a->d.dtype == MSIZ_DT_STRING)
        status = msiz_zarr_vlen_begin(&s->raw);
    else if (status == MSIZ_OK)
        status = alloc_numeric(a, s);
    msiz_zarr_array_account(a);
    if (status < 0)
        return status;
    s->owner = a;
    s->raw.len = a->d.dtype == MSIZ_DT_STRING ? 4 : 0;
    s->items = 0;
    *out = s;
    return MSIZ_OK;
}

static msiz_status ensure_out(msiz_zarr_array *a, zarr_slot *s)
{
    size_t bound = msiz_zarr_codec_bound(&a->d.comp, s->raw.len);
    if (bound <= s->out_cap)
        return MSIZ_OK;
    msiz_free(s->out);
    s->out_cap = 0;
    s->out = msiz_malloc(bound);
    if (!s->out)
        return msiz_fail(MSIZ_E_NOMEM, "%s: cannot allocate a compression buffer of %zu bytes",
                         a->path, bound);
    s->out_cap = bound;
    return MSIZ_OK;
}

msiz_status msiz_zarr_slot_submit(msiz_zarr_array *a, zarr_slot *s, const uint64_t *grid_idx)
{
    msiz_status status = msiz_zarr_poll(a->z, a->path); /* every chunk: Ctrl-C within ms */
    if (status < 0)
        return status;
    status = msiz_zarr_chunk_key(a->z->format, a->d.slash_v2, a->d.ndim, grid_idx, s->key,
                                 sizeof s->key);
    if (status == MSIZ_OK && a->d.dtype == MSIZ_DT_STRING) {
        if (s->items > UINT32_MAX)
            return msiz_fail(MSIZ_E_LIMIT, "%s: too many strings in one chunk", a->path);
        msiz_zarr_vlen_end(&s->raw, (uint32_t)s->items);
        status = ensure_out(a, s);
        msiz_zarr_array_account(a);
    } else {
        s->raw.len = (size_t)s->items * a->elem_size;
    }
    if (status < 0)
        return status;
    zarr_pool *p = a->z->pool;
    if (!p)
        return msiz_zarr_slot_run(&a->ctx, s);
    msiz_zarr_pool_lock(p);
    s->busy = 1;
    a->inflight++;
    msiz_zarr_pool_unlock(p);
    msiz_zarr_pool_submit(p, s);
    return MSIZ_OK;
}

static msiz_status chunk_path(const msiz_zarr_array *a, const zarr_slot *s, char *path, size_t size)
{
    msiz_status status = msiz_path_join(path, size, a->dir, s->key);
    if (status < 0 || a->d.ndim < 2)
        return status; /* 1-D v3 keys live in "c/", created with the array */
    char *slash = strrchr(path, '/');
    *slash = '\0';
    status = msiz_mkdir_p(path);
    *slash = '/';
    return status;
}

msiz_status msiz_zarr_slot_run(zarr_codec_ctx *ctx, zarr_slot *s)
{
    msiz_zarr_array *a = s->owner;
    char path[ZARR_PATH_MAX];
    const void *bytes = s->raw.data;
    size_t n = s->raw.len;
    msiz_status status = chunk_path(a, s, path, sizeof path);
    if (status == MSIZ_OK && a->d.comp.codec != MSIZ_CODEC_NONE) {
        status = msiz_zarr_codec_compress(ctx, &a->d.comp, msiz_zarr_typesize(a->d.dtype),
                                          s->raw.data, s->raw.len, s->out, s->out_cap, &n);
        bytes = s->out;
        if (status < 0)
            msiz_fail_context(status, "%s: chunk %s", a->path, s->key);
    }
    if (status == MSIZ_OK)
        status = msiz_write_file(path, bytes, n);
    return status;
}

void msiz_zarr_slot_done_locked(zarr_slot *s, msiz_status st)
{
    msiz_zarr_array *a = s->owner;
    s->busy = 0;
    a->inflight--;
    if (st < 0 && a->status == MSIZ_OK) {
        a->status = st;
        snprintf(a->errmsg, sizeof a->errmsg, "%s", msiz_last_error());
    }
}

void msiz_zarr_slots_free(msiz_zarr_array *a)
{
    for (int i = 0; a->slots && i < a->nslots; i++) {
        msiz_free(a->slots[i].raw.data);
        msiz_free(a->slots[i].out);
    }
    msiz_free(a->slots);
    a->slots = NULL;
}
