/* Array life cycle: create -> append (1-D) or write_full (N-D) -> finish -> free. */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "common/alloc.h"
#include "io/fs.h"
#include "zarr/zarr_internal.h"

void msiz_zarr_array_opts_init(msiz_zarr_array_opts *opts, msiz_dtype dtype, int ndim)
{
    memset(opts, 0, sizeof *opts);
    opts->dtype = dtype;
    opts->ndim = ndim;
}

/* Resolves chunk shape and sizes; shared by create and the memory estimate. */
static msiz_status plan(const msiz_zarr *z, const char *path, const msiz_zarr_array_opts *o,
                        zarr_array_desc *d, size_t *chunk_elems)
{
    if ((unsigned)o->dtype > MSIZ_DT_STRING || o->ndim < 0 || o->ndim > MSIZ_ZARR_MAX_DIMS)
        return msiz_fail(MSIZ_E_ARG, "%s: invalid dtype or ndim %d", path, o->ndim);
    memset(d, 0, sizeof *d);
    d->dtype = o->dtype;
    d->ndim = o->ndim;
    d->slash_v2 = o->slash_separator_v2 != 0;
    uint64_t elems = 1;
    for (int i = 0; i < o->ndim; i++) {
        uint64_t n = o->shape[i], c = o->chunks[i];
        if (n == MSIZ_ZARR_UNKNOWN_LEN && (o->ndim != 1 || c == 0))
            return msiz_fail(MSIZ_E_ARG, "%s: an unknown length needs 1-D and a chunk size", path);
        if (c == 0)
            c = n > 0 ? n : 1;
        if (c > ZARR_MAX_CHUNK_BYTES || elems > ZARR_MAX_CHUNK_BYTES / c)
            return msiz_fail(MSIZ_E_LIMIT, "%s: chunk shape too large", path);
        elems *= c;
        d->shape[i] = n;
        d->chunks[i] = c;
    }
    size_t esize =
        d->dtype == MSIZ_DT_STRING ? 4 + ZARR_STRING_EST_BYTES : msiz_dtype_size(d->dtype);
    if (elems > ZARR_MAX_CHUNK_BYTES / esize)
        return msiz_fail(MSIZ_E_LIMIT, "%s: chunk of %llu elements exceeds %zu bytes", path,
                         (unsigned long long)elems, (size_t)ZARR_MAX_CHUNK_BYTES);
    *chunk_elems = (size_t)elems;
    return msiz_zarr_codec_resolve(o->compression ? o->compression : &z->comp, z->format, &d->comp);
}

size_t msiz_zarr_array_memory_estimate(const msiz_zarr *z, const msiz_zarr_array_opts *opts)
{
    zarr_array_desc d;
    size_t elems;
    if (!z || !opts || plan(z, "estimate", opts, &d, &elems) < 0)
        return SIZE_MAX;
    size_t raw = d.dtype == MSIZ_DT_STRING ? 4 + elems * (4 + ZARR_STRING_EST_BYTES)
                                           : elems * msiz_dtype_size(d.dtype);
    size_t slot = raw + msiz_zarr_codec_bound(&d.comp, raw);
    size_t nslots = (size_t)z->threads + 1;
    return nslots * (slot + sizeof(zarr_slot)) + sizeof(msiz_zarr_array);
}

static void array_destroy(msiz_zarr_array *a)
{
    msiz_zarr_slots_free(a);
    msiz_zarr_codec_ctx_destroy(&a->ctx);
    for (int i = 0; i < MSIZ_ZARR_MAX_DIMS; i++)
        msiz_free(a->d.dim_names[i]);
    json_decref(a->attrs);
    msiz_free(a->path);
    msiz_free(a->dir);
    msiz_free(a);
}

static msiz_status array_alloc(msiz_zarr *z, const char *path, const msiz_zarr_array_opts *o,
                               msiz_zarr_array **out)
{
    msiz_zarr_array *a = msiz_calloc(1, sizeof *a);
    if (!a)
        return msiz_fail(MSIZ_E_NOMEM, "%s: cannot allocate the array", path);
    msiz_status status = plan(z, path, o, &a->d, &a->chunk_elems);
    a->path = msiz_strdup(path);
    a->dir = msiz_malloc(ZARR_PATH_MAX);
    a->nslots = z->threads + 1;
    a->slots = msiz_calloc((size_t)a->nslots, sizeof *a->slots);
    for (int i = 0; status == MSIZ_OK && i < o->ndim; i++)
        if (o->dimension_names[i] && !(a->d.dim_names[i] = msiz_strdup(o->dimension_names[i])))
            status = MSIZ_E_NOMEM;
    if (status == MSIZ_OK && (!a->path || !a->dir || !a->slots))
        status = MSIZ_E_NOMEM;
    if (status == MSIZ_E_NOMEM)
        msiz_fail(status, "%s: cannot allocate the array", path);
    if (status == MSIZ_OK)
        status = msiz_path_join(a->dir, ZARR_PATH_MAX, z->root, path);
    if (status < 0) {
        array_destroy(a);
        return status;
    }
    a->z = z;
    a->elem_size = msiz_dtype_size(a->d.dtype);
    a->chunk_bytes = a->chunk_elems * a->elem_size;
    a->attrs = o->attrs ? json_incref(o->attrs) : NULL;
    *out = a;
    return MSIZ_OK;
}

static msiz_status make_dirs(msiz_zarr_array *a)
{
    if (mkdir(a->dir, 0755) != 0)
        return msiz_fail(errno == EEXIST ? MSIZ_E_EXISTS : MSIZ_E_IO,
                         "%s: cannot create directory: %s", a->dir, strerror(errno));
    if (a->z->format != 3 || a->d.ndim < 1)
        return MSIZ_OK;
    char c_dir[ZARR_PATH_MAX];
    msiz_status status = msiz_path_join(c_dir, sizeof c_dir, a->dir, "c");
    if (status == MSIZ_OK && mkdir(c_dir, 0755) != 0)
        status = msiz_fail(MSIZ_E_IO, "%s: cannot create directory: %s", c_dir, strerror(errno));
    if (status < 0)
        msiz_remove_tree(a->dir);
    return status;
}

msiz_status msiz_zarr_array_create(msiz_zarr *z, const char *path, const msiz_zarr_array_opts *opts,
                                   msiz_zarr_array **out)
{
    if (out)
        *out = NULL;
    if (!z || !path || !opts || !out)
        return msiz_fail(MSIZ_E_ARG, "zarr: array_create: NULL argument");
    msiz_zarr_array *a = NULL;
    msiz_status status = msiz_zarr_check_path(path, 0);
    if (status == MSIZ_OK)
        status = array_alloc(z, path, opts, &a);
    if (status == MSIZ_OK)
        status = msiz_zarr_store_add_array(z, a); /* checks parent and duplicates */
    if (status == MSIZ_OK && (status = make_dirs(a)) < 0)
        msiz_zarr_store_drop_array(z, a, 1);
    if (status < 0) {
        if (a)
            array_destroy(a);
        return status;
    }
    *out = a;
    return MSIZ_OK;
}

static msiz_status usable(msiz_zarr_array *a, const char *what)
{
    if (!a)
        return msiz_fail(MSIZ_E_ARG, "zarr: %s: NULL array", what);
    msiz_status st = msiz_zarr_array_sticky(a);
    if (st < 0)
        return st;
    if (!a->z)
        return msiz_fail(MSIZ_E_STATE, "%s: %s after the store was closed", a->path, what);
    if (a->state == ZARR_FINISHED)
        return msiz_fail(MSIZ_E_STATE, "%s: %s after finish", a->path, what);
    return MSIZ_OK;
}

static msiz_status append_items(msiz_zarr_array *a, const void *data, uint64_t count)
{
    msiz_status status = MSIZ_OK;
    uint64_t done = 0;
    while (done < count && status == MSIZ_OK) {
        if (!a->cur && (status = msiz_zarr_slot_acquire(a, &a->cur)) < 0)
            break;
        zarr_slot *s = a->cur;
        uint64_t take = a->chunk_elems - s->items;
        if (take > count - done)
            take = count - done;
        if (a->d.dtype == MSIZ_DT_STRING) {
            const char *const *strs = (const char *const *)data + done;
            for (uint64_t i = 0; i < take && status == MSIZ_OK; i++)
                status = msiz_zarr_vlen_push(&s->raw, strs[i], a->path);
            msiz_zarr_array_account(a);
        } else {
            memcpy(s->raw.data + s->items * a->elem_size,
                   (const unsigned char *)data + done * a->elem_size, take * a->elem_size);
        }
        s->items += take;
        a->length += take;
        done += take;
        if (status == MSIZ_OK && s->items == a->chunk_elems) {
            uint64_t idx = a->next_chunk++;
            a->cur = NULL;
            status = msiz_zarr_slot_submit(a, s, &idx);
        }
    }
    return status;
}

msiz_status msiz_zarr_array_append(msiz_zarr_array *a, const void *data, uint64_t count)
{
    msiz_status status = usable(a, "append");
    if (status < 0)
        return status;
    if (a->d.ndim != 1 || a->state == ZARR_WRITTEN)
        status = msiz_fail(MSIZ_E_STATE,
                           "%s: append needs a 1-D array not written with "
                           "write_full",
                           a->path);
    else if (a->d.shape[0] != MSIZ_ZARR_UNKNOWN_LEN && count > a->d.shape[0] - a->length)
        status = msiz_fail(MSIZ_E_ARG,
                           "%s: appending %llu elements to %llu overflows the "
                           "shape %llu",
                           a->path, (unsigned long long)count, (unsigned long long)a->length,
                           (unsigned long long)a->d.shape[0]);
    else if (count > 0 && !data)
        status = msiz_fail(MSIZ_E_ARG, "%s: append: NULL data", a->path);
    if (status == MSIZ_OK && count > 0) {
        a->state = ZARR_APPENDING;
        status = append_items(a, data, count);
    }
    return status < 0 ? msiz_zarr_array_set_error(a, status) : MSIZ_OK;
}

uint64_t msiz_zarr_array_length(const msiz_zarr_array *a)
{
    return a ? a->length : 0;
}

/* Strides (elements) of the C-order source buffer. */
static void strides_of(const zarr_array_desc *d, uint64_t *stride)
{
    uint64_t s = 1;
    for (int i = d->ndim - 1; i >= 0; i--) {
        stride[i] = s;
        s *= d->shape[i];
    }
}

/* Copies `valid` elements from `src` + pads up to `row` elements with the fill value. */
static msiz_status put_row(msiz_zarr_array *a, zarr_slot *s, const void *src, uint64_t valid,
                           uint64_t row)
{
    msiz_status status = MSIZ_OK;
    if (a->d.dtype == MSIZ_DT_STRING) {
        const char *const *strs = src;
        for (uint64_t i = 0; i < row && status == MSIZ_OK; i++)
            status = msiz_zarr_vlen_push(&s->raw, i < valid ? strs[i] : "", a->path);
    } else {
        unsigned char *dst = s->raw.data + s->items * a->elem_size;
        if (valid)
            memcpy(dst, src, valid * a->elem_size);
        memset(dst + valid * a->elem_size, 0, (row - valid) * a->elem_size);
    }
    s->items += row;
    return status;
}

/* Fills slot `s` with grid chunk `g` of `data` (C order), edges padded. */
static msiz_status fill_chunk(msiz_zarr_array *a, zarr_slot *s, const void *data, const uint64_t *g)
{
    const zarr_array_desc *d = &a->d;
    const unsigned char *base = data;
    if (d->ndim == 0)
        return put_row(a, s, data, 1, 1);
    uint64_t stride[MSIZ_ZARR_MAX_DIMS], r[MSIZ_ZARR_MAX_DIMS] = {0};
    strides_of(d, stride);
    int last = d->ndim - 1;
    uint64_t row = d->chunks[last], start = g[last] * row;
    uint64_t row_valid = start >= d->shape[last] ? 0 : d->shape[last] - start;
    if (row_valid > row)
        row_valid = row;
    msiz_status status = MSIZ_OK;
    for (;;) {
        uint64_t off = start, valid = row_valid;
        for (int i = 0; i < last; i++) {
            uint64_t gi = g[i] * d->chunks[i] + r[i];
            valid = gi < d->shape[i] ? valid : 0;
            off += gi * stride[i];
        }
        status = put_row(a, s, valid ? base + off * a->elem_size : NULL, valid, row);
        int i = last - 1;
        while (i >= 0 && ++r[i] == d->chunks[i])
            r[i--] = 0;
        if (i < 0 || status < 0)
            break;
    }
    if (status == MSIZ_OK)
        msiz_zarr_array_account(a);
    return status;
}

static msiz_status write_grid(msiz_zarr_array *a, const void *data)
{
    const zarr_array_desc *d = &a->d;
    uint64_t grid[MSIZ_ZARR_MAX_DIMS], g[MSIZ_ZARR_MAX_DIMS] = {0};
    for (int i = 0; i < d->ndim; i++) {
        grid[i] = (d->shape[i] + d->chunks[i] - 1) / d->chunks[i];
        if (grid[i] == 0)
            return MSIZ_OK; /* empty array: no chunks */
    }
    msiz_status status = MSIZ_OK;
    for (;;) {
        zarr_slot *s = NULL;
        if ((status = msiz_zarr_slot_acquire(a, &s)) < 0)
            break;
        if ((status = fill_chunk(a, s, data, g)) < 0 ||
            (status = msiz_zarr_slot_submit(a, s, g)) < 0)
            break;
        int i = d->ndim - 1;
        while (i >= 0 && ++g[i] == grid[i])
            g[i--] = 0;
        if (i < 0)
            break;
    }
    return status;
}

static uint64_t total_elems(const zarr_array_desc *d)
{
    uint64_t n = 1;
    for (int i = 0; i < d->ndim; i++)
        n *= d->shape[i];
    return n;
}

msiz_status msiz_zarr_array_write_full(msiz_zarr_array *a, const void *data)
{
    msiz_status status = usable(a, "write_full");
    if (status < 0)
        return status;
    if (a->state != ZARR_OPEN)
        status = msiz_fail(MSIZ_E_STATE, "%s: write_full after append or write_full", a->path);
    else if (a->d.ndim == 1 && a->d.shape[0] == MSIZ_ZARR_UNKNOWN_LEN)
        status = msiz_fail(MSIZ_E_ARG, "%s: write_full needs a known shape", a->path);
    else if (!data && total_elems(&a->d) > 0)
        status = msiz_fail(MSIZ_E_ARG, "%s: write_full: NULL data", a->path);
    if (status == MSIZ_OK) {
        a->state = ZARR_WRITTEN;
        status = write_grid(a, data);
        a->length = status == MSIZ_OK ? total_elems(&a->d) : a->length;
    }
    return status < 0 ? msiz_zarr_array_set_error(a, status) : MSIZ_OK;
}

static msiz_status flush_partial(msiz_zarr_array *a)
{
    zarr_slot *s = a->cur;
    if (!s)
        return MSIZ_OK;
    a->cur = NULL;
    uint64_t idx = a->next_chunk++;
    msiz_status status = put_row(a, s, NULL, 0, a->chunk_elems - s->items);
    msiz_zarr_array_account(a);
    return status < 0 ? status : msiz_zarr_slot_submit(a, s, &idx);
}

static msiz_status check_complete(msiz_zarr_array *a)
{
    zarr_array_desc *d = &a->d;
    if (d->ndim == 1 && d->shape[0] == MSIZ_ZARR_UNKNOWN_LEN) {
        d->shape[0] = a->length;
        return MSIZ_OK;
    }
    if (a->state == ZARR_WRITTEN || a->length == total_elems(d))
        return MSIZ_OK;
    return msiz_fail(MSIZ_E_ARG, "%s: finish with %llu of %llu elements written", a->path,
                     (unsigned long long)a->length, (unsigned long long)total_elems(d));
}

static msiz_status write_meta(msiz_zarr_array *a, zarr_node *node)
{
    char path[ZARR_PATH_MAX];
    int v3 = a->z->format == 3;
    json_t *meta = v3 ? msiz_zarr_meta_array_v3(&a->d, a->attrs) : msiz_zarr_meta_array_v2(&a->d);
    msiz_status status = msiz_path_join(path, sizeof path, a->dir, v3 ? "zarr.json" : ".zarray");
    if (status == MSIZ_OK)
        status = msiz_zarr_json_write(path, meta);
    if (status == MSIZ_OK && !v3) {
        json_t *attrs = msiz_zarr_attrs_or_empty(a->attrs);
        status = msiz_path_join(path, sizeof path, a->dir, ".zattrs");
        if (status == MSIZ_OK)
            status = msiz_zarr_json_write(path, attrs);
        json_decref(attrs);
    }
    if (status < 0) {
        json_decref(meta);
        return status;
    }
    json_decref(node->meta);
    node->meta = meta;
    node->finished = 1;
    return MSIZ_OK;
}

msiz_status msiz_zarr_array_finish(msiz_zarr_array *a)
{
    msiz_status status = usable(a, "finish");
    if (status < 0)
        return status;
    zarr_node *node = msiz_zarr_store_find(a->z, a->path);
    if (!node)
        status = msiz_fail(MSIZ_E_STATE, "%s: array is not registered", a->path);
    if (status == MSIZ_OK)
        status = flush_partial(a);
    if (status == MSIZ_OK)
        status = msiz_zarr_array_wait_all(a); /* before touching the shape workers may read */
    if (status == MSIZ_OK)
        status = check_complete(a);
    if (status == MSIZ_OK)
        status = write_meta(a, node);
    if (status < 0)
        return msiz_zarr_array_set_error(a, status);
    a->state = ZARR_FINISHED;
    return MSIZ_OK;
}

void msiz_zarr_array_free(msiz_zarr_array *a)
{
    if (!a)
        return;
    if (a->z) {
        (void)msiz_zarr_array_wait_all(a);
        int abandoned = a->state != ZARR_FINISHED;
        if (abandoned)
            (void)msiz_remove_tree(a->dir);
        msiz_zarr_store_drop_array(a->z, a, abandoned);
    }
    array_destroy(a);
}

/* ---- one-call helpers ---- */

msiz_status msiz_zarr_write_whole(msiz_zarr *z, const char *path, const msiz_zarr_array_opts *o,
                                  const void *data)
{
    msiz_zarr_array *a = NULL;
    msiz_status status = msiz_zarr_array_create(z, path, o, &a);
    if (status == MSIZ_OK)
        status = msiz_zarr_array_write_full(a, data);
    if (status == MSIZ_OK)
        status = msiz_zarr_array_finish(a);
    msiz_zarr_array_free(a);
    return status;
}

msiz_status msiz_zarr_write_scalar_string(msiz_zarr *z, const char *path, const char *value,
                                          json_t *attrs)
{
    msiz_zarr_array_opts o;
    msiz_zarr_array_opts_init(&o, MSIZ_DT_STRING, 0);
    o.attrs = attrs;
    return msiz_zarr_write_whole(z, path, &o, &value);
}

msiz_status msiz_zarr_write_scalar(msiz_zarr *z, const char *path, msiz_dtype dtype,
                                   const void *value, json_t *attrs)
{
    msiz_zarr_array_opts o;
    msiz_zarr_array_opts_init(&o, dtype, 0);
    o.attrs = attrs;
    return msiz_zarr_write_whole(z, path, &o, value);
}

msiz_status msiz_zarr_write_array1d(msiz_zarr *z, const char *path, msiz_dtype dtype,
                                    const void *data, uint64_t count, uint64_t chunk, json_t *attrs)
{
    msiz_zarr_array_opts o;
    msiz_zarr_array_opts_init(&o, dtype, 1);
    o.shape[0] = count;
    o.chunks[0] = chunk;
    o.attrs = attrs;
    return msiz_zarr_write_whole(z, path, &o, data);
}
