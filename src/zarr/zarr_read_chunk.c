/* Zarr reader: chunk files (one decoded chunk cached per array), regions in C order with dtype
 * conversion, and string elements. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/endian.h"
#include "io/fs.h"
#include "zarr/zarr_read_internal.h"

/* Compressed chunks may exceed the raw cap by a codec's framing. */
#define MAX_CHUNK_FILE (ZARR_MAX_CHUNK_BYTES + (size_t)65536)

static msiz_status chunk_key(const msiz_zarr_rarray *a, const uint64_t *idx, char *out, size_t size)
{
    size_t len = 0;
    int n = a->key_prefix_c     ? snprintf(out, size, "c")
            : a->info.ndim == 0 ? snprintf(out, size, "0")
                                : 0;
    if (n < 0 || (size_t)n >= size)
        return msiz_fail(MSIZ_E_LIMIT, "%s: chunk key too long", a->path);
    len = (size_t)n;
    for (int d = 0; d < a->info.ndim; d++) {
        n = snprintf(out + len, size - len, "%s%llu", len ? (a->key_sep == '/' ? "/" : ".") : "",
                     (unsigned long long)idx[d]);
        if (n < 0 || (size_t)n >= size - len)
            return msiz_fail(MSIZ_E_LIMIT, "%s: chunk key too long", a->path);
        len += (size_t)n;
    }
    return MSIZ_OK;
}

static msiz_status reserve(unsigned char **buf, size_t *cap, size_t need, const char *what)
{
    if (need <= *cap)
        return MSIZ_OK;
    unsigned char *p = msiz_realloc(*buf, need ? need : 1);
    if (!p)
        return msiz_fail(MSIZ_E_NOMEM, "%s: out of memory for %zu bytes", what, need);
    *buf = p;
    *cap = need;
    return MSIZ_OK;
}

/* A chunk that was never written holds the fill value. */
static msiz_status fill_chunk(msiz_zarr_rarray *a)
{
    if (a->info.dtype == MSIZ_DT_STRING) { /* chunk_elems empty strings */
        size_t need = 4 + 4 * (size_t)a->chunk_elems;
        msiz_status status = reserve(&a->buf, &a->buf_cap, need, a->path);
        if (status < 0)
            return status;
        memset(a->buf, 0, need);
        msiz_store_le32(a->buf, (uint32_t)a->chunk_elems);
        a->buf_len = need;
        return MSIZ_OK;
    }
    msiz_status status = reserve(&a->buf, &a->buf_cap, a->chunk_bytes, a->path);
    if (status < 0)
        return status;
    for (size_t off = 0; off < a->chunk_bytes; off += a->elem_size)
        memcpy(a->buf + off, a->fill, a->elem_size);
    a->buf_len = a->chunk_bytes;
    return MSIZ_OK;
}

static void swap_bytes(unsigned char *p, size_t n, size_t width)
{
    for (size_t off = 0; off + width <= n; off += width)
        for (size_t i = 0; i < width / 2; i++) {
            unsigned char t = p[off + i];
            p[off + i] = p[off + width - 1 - i];
            p[off + width - 1 - i] = t;
        }
}

/* Reads the chunk file into a->cbuf; missing: MSIZ_E_NOTFOUND (no message kept). */
static msiz_status read_chunk_file(msiz_zarr_rarray *a, const char *file, size_t *len)
{
    msiz_status status = MSIZ_OK;
    struct stat st;
    int fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? MSIZ_E_NOTFOUND
                               : msiz_fail(MSIZ_E_IO, "%s: cannot open: %s", file, strerror(errno));
    MSIZ_FAIL_IF(fstat(fd, &st) != 0 || !S_ISREG(st.st_mode), MSIZ_E_FORMAT,
                 "%s: not a regular file", file);
    MSIZ_FAIL_IF((uint64_t)st.st_size > MAX_CHUNK_FILE, MSIZ_E_LIMIT,
                 "%s: chunk file of %lld bytes is too large", file, (long long)st.st_size);
    MSIZ_TRY(reserve(&a->cbuf, &a->cbuf_cap, (size_t)st.st_size, file));
    MSIZ_TRY(msiz_pread_full(fd, file, a->cbuf, (size_t)st.st_size, 0));
    *len = (size_t)st.st_size;
cleanup:
    close(fd);
    return status;
}

/* Makes chunk `idx` (grid position) the decoded chunk in a->buf. */
static msiz_status load_chunk(msiz_zarr_rarray *a, const uint64_t *idx)
{
    int64_t linear = 0;
    for (int d = 0; d < a->info.ndim; d++) {
        uint64_t grid = (a->info.shape[d] + a->info.chunks[d] - 1) / a->info.chunks[d];
        linear = linear * (int64_t)grid + (int64_t)idx[d];
    }
    if (linear == a->cached)
        return MSIZ_OK;
    a->cached = -1;
    char key[ZARR_KEY_MAX], file[ZARR_PATH_MAX];
    size_t len = 0;
    msiz_status status = chunk_key(a, idx, key, sizeof key);
    if (status == MSIZ_OK)
        status = msiz_path_join(file, sizeof file, a->dir, key);
    if (status == MSIZ_OK)
        status = read_chunk_file(a, file, &len);
    if (status == MSIZ_E_NOTFOUND) {
        status = fill_chunk(a); /* the fill value is kept in host order */
    } else if (status == MSIZ_OK) {
        status = msiz_zarr_decode_chunk(a, a->cbuf, len, file);
        if (status == MSIZ_OK && a->big_endian && a->elem_size > 1)
            swap_bytes(a->buf, a->buf_len, a->elem_size);
    }
    if (status < 0)
        return status;
    a->cached = linear;
    return MSIZ_OK;
}

/* ---- conversion of a run of elements ---- */

#define CONVERT_LOOP(src_type, dst_type)                                                           \
    do {                                                                                           \
        const src_type *s_ = (const src_type *)src;                                                \
        dst_type *d_ = (dst_type *)dst;                                                            \
        for (size_t i_ = 0; i_ < n; i_++)                                                          \
            d_[i_] = (dst_type)s_[i_];                                                             \
    } while (0)

static msiz_status to_f64(msiz_dtype t, const void *src, size_t n, double *dst)
{
    switch (t) {
    case MSIZ_DT_BOOL: CONVERT_LOOP(unsigned char, double); break;
    case MSIZ_DT_INT8: CONVERT_LOOP(int8_t, double); break;
    case MSIZ_DT_INT16: CONVERT_LOOP(int16_t, double); break;
    case MSIZ_DT_INT32: CONVERT_LOOP(int32_t, double); break;
    case MSIZ_DT_INT64: CONVERT_LOOP(int64_t, double); break;
    case MSIZ_DT_UINT8: CONVERT_LOOP(uint8_t, double); break;
    case MSIZ_DT_UINT16: CONVERT_LOOP(uint16_t, double); break;
    case MSIZ_DT_UINT32: CONVERT_LOOP(uint32_t, double); break;
    case MSIZ_DT_UINT64: CONVERT_LOOP(uint64_t, double); break;
    case MSIZ_DT_FLOAT32: CONVERT_LOOP(float, double); break;
    case MSIZ_DT_FLOAT64: memcpy(dst, src, n * 8); break;
    default: return MSIZ_E_ARG;
    }
    return MSIZ_OK;
}

static msiz_status to_i64(msiz_dtype t, const void *src, size_t n, int64_t *dst)
{
    switch (t) {
    case MSIZ_DT_BOOL: CONVERT_LOOP(unsigned char, int64_t); break;
    case MSIZ_DT_INT8: CONVERT_LOOP(int8_t, int64_t); break;
    case MSIZ_DT_INT16: CONVERT_LOOP(int16_t, int64_t); break;
    case MSIZ_DT_INT32: CONVERT_LOOP(int32_t, int64_t); break;
    case MSIZ_DT_INT64: memcpy(dst, src, n * 8); break;
    case MSIZ_DT_UINT8: CONVERT_LOOP(uint8_t, int64_t); break;
    case MSIZ_DT_UINT16: CONVERT_LOOP(uint16_t, int64_t); break;
    case MSIZ_DT_UINT32: CONVERT_LOOP(uint32_t, int64_t); break;
    case MSIZ_DT_UINT64: {
        const uint64_t *s = src;
        for (size_t i = 0; i < n; i++) {
            if (s[i] > (uint64_t)INT64_MAX)
                return MSIZ_E_FORMAT;
            dst[i] = (int64_t)s[i];
        }
        break;
    }
    default: return MSIZ_E_ARG;
    }
    return MSIZ_OK;
}

static msiz_status convert_run(const msiz_zarr_rarray *a, const unsigned char *src, size_t n,
                               msiz_dtype out_type, unsigned char *dst)
{
    msiz_dtype t = a->info.dtype;
    msiz_status status = MSIZ_E_ARG;
    if (out_type == t) {
        memcpy(dst, src, n * a->elem_size);
        return MSIZ_OK;
    }
    if (out_type == MSIZ_DT_FLOAT64)
        status = to_f64(t, src, n, (double *)(void *)dst);
    else if (out_type == MSIZ_DT_INT64 && t != MSIZ_DT_FLOAT32 && t != MSIZ_DT_FLOAT64)
        status = to_i64(t, src, n, (int64_t *)(void *)dst);
    if (status == MSIZ_E_FORMAT)
        return msiz_fail(status, "%s: a uint64 value exceeds the int64 range", a->path);
    if (status < 0)
        return msiz_fail(MSIZ_E_ARG, "%s: cannot read %s values as %s", a->path,
                         t == MSIZ_DT_STRING ? "string" : "these",
                         out_type == MSIZ_DT_INT64 ? "int64" : "the requested type");
    return MSIZ_OK;
}

/* ---- regions ---- */

typedef struct region {
    int ndim;
    const uint64_t *start, *count;
    uint64_t clo[MSIZ_ZARR_MAX_DIMS], chi[MSIZ_ZARR_MAX_DIMS]; /* chunk grid range [lo, hi] */
    size_t out_size;                                           /* bytes per output element */
} region;

/* Copies the part of the cached chunk at grid `idx` that lies in the region. */
static msiz_status copy_overlap(msiz_zarr_rarray *a, const region *g, const uint64_t *idx,
                                msiz_dtype out_type, unsigned char *out)
{
    int nd = g->ndim;
    uint64_t lo[MSIZ_ZARR_MAX_DIMS], hi[MSIZ_ZARR_MAX_DIMS], pos[MSIZ_ZARR_MAX_DIMS];
    for (int d = 0; d < nd; d++) {
        uint64_t c0 = idx[d] * a->info.chunks[d], c1 = c0 + a->info.chunks[d];
        lo[d] = g->start[d] > c0 ? g->start[d] : c0;
        hi[d] = g->start[d] + g->count[d] < c1 ? g->start[d] + g->count[d] : c1;
        pos[d] = lo[d];
    }
    if (nd == 0)
        return convert_run(a, a->buf, 1, out_type, out);
    uint64_t run = hi[nd - 1] - lo[nd - 1];
    while (1) {
        uint64_t in_off = 0, out_off = 0;
        for (int d = 0; d < nd; d++) {
            in_off = in_off * a->info.chunks[d] + (pos[d] - idx[d] * a->info.chunks[d]);
            out_off = out_off * g->count[d] + (pos[d] - g->start[d]);
        }
        msiz_status status = convert_run(a, a->buf + in_off * a->elem_size, (size_t)run, out_type,
                                         out + out_off * g->out_size);
        if (status < 0)
            return status;
        int d = nd - 2;
        while (d >= 0 && ++pos[d] == hi[d]) {
            pos[d] = lo[d];
            d--;
        }
        if (d < 0)
            return MSIZ_OK;
    }
}

static msiz_status check_region(const msiz_zarr_rarray *a, const uint64_t *start,
                                const uint64_t *count, msiz_dtype out_type, region *g)
{
    if (a->info.dtype == MSIZ_DT_STRING)
        return msiz_fail(MSIZ_E_ARG, "%s: a string array is read element by element", a->path);
    if (out_type != a->info.dtype && out_type != MSIZ_DT_FLOAT64 && out_type != MSIZ_DT_INT64)
        return msiz_fail(MSIZ_E_ARG, "%s: unsupported output type", a->path);
    g->ndim = a->info.ndim;
    g->start = start;
    g->count = count;
    g->out_size = msiz_dtype_size(out_type);
    for (int d = 0; d < g->ndim; d++) {
        if (start[d] > a->info.shape[d] || count[d] > a->info.shape[d] - start[d])
            return msiz_fail(MSIZ_E_ARG, "%s: region [%llu, +%llu) outside dimension %d of %llu",
                             a->path, (unsigned long long)start[d], (unsigned long long)count[d], d,
                             (unsigned long long)a->info.shape[d]);
        if (count[d] == 0)
            return MSIZ_END; /* empty region */
        g->clo[d] = start[d] / a->info.chunks[d];
        g->chi[d] = (start[d] + count[d] - 1) / a->info.chunks[d];
    }
    return MSIZ_OK;
}

msiz_status msiz_zarr_rarray_read(msiz_zarr_rarray *a, const uint64_t *start, const uint64_t *count,
                                  msiz_dtype out_type, void *out)
{
    region g;
    memset(&g, 0, sizeof g);
    msiz_status status = check_region(a, start, count, out_type, &g);
    if (status != MSIZ_OK)
        return status == MSIZ_END ? MSIZ_OK : status;
    uint64_t idx[MSIZ_ZARR_MAX_DIMS];
    for (int d = 0; d < g.ndim; d++)
        idx[d] = g.clo[d];
    while (1) {
        status = load_chunk(a, idx);
        if (status == MSIZ_OK)
            status = copy_overlap(a, &g, idx, out_type, out);
        if (status < 0)
            return status;
        int d = g.ndim - 1;
        while (d >= 0 && idx[d] == g.chi[d]) {
            idx[d] = g.clo[d];
            d--;
        }
        if (d < 0)
            return MSIZ_OK;
        idx[d]++;
    }
}

/* Item `local` of the cached vlen-utf8 chunk. */
static msiz_status vlen_item(const msiz_zarr_rarray *a, uint64_t local, char **out)
{
    const unsigned char *p = a->buf, *end = a->buf + a->buf_len;
    if (a->buf_len < 4 || msiz_load_le32(p) != a->chunk_elems)
        return msiz_fail(MSIZ_E_FORMAT, "%s: string chunk holds %u items, not %llu", a->path,
                         a->buf_len < 4 ? 0u : msiz_load_le32(p),
                         (unsigned long long)a->chunk_elems);
    p += 4;
    for (uint64_t i = 0;; i++) {
        if (end - p < 4 || msiz_load_le32(p) > (size_t)(end - p - 4))
            return msiz_fail(MSIZ_E_FORMAT, "%s: string chunk ends inside item %llu", a->path,
                             (unsigned long long)i);
        uint32_t n = msiz_load_le32(p);
        if (i == local) {
            char *s = msiz_malloc((size_t)n + 1);
            if (!s)
                return msiz_fail(MSIZ_E_NOMEM, "out of memory");
            memcpy(s, p + 4, n);
            s[n] = '\0';
            *out = s;
            return MSIZ_OK;
        }
        p += 4 + (size_t)n;
    }
}

msiz_status msiz_zarr_rarray_read_string(msiz_zarr_rarray *a, uint64_t index, char **out)
{
    *out = NULL;
    if (a->info.dtype != MSIZ_DT_STRING)
        return msiz_fail(MSIZ_E_ARG, "%s: not a string array", a->path);
    if (index >= msiz_zarr_rarray_size(a))
        return msiz_fail(MSIZ_E_ARG, "%s: element %llu outside the array", a->path,
                         (unsigned long long)index);
    uint64_t pos[MSIZ_ZARR_MAX_DIMS], idx[MSIZ_ZARR_MAX_DIMS], local = 0, rest = index;
    for (int d = a->info.ndim - 1; d >= 0; d--) {
        pos[d] = rest % a->info.shape[d];
        rest /= a->info.shape[d];
        idx[d] = pos[d] / a->info.chunks[d];
    }
    for (int d = 0; d < a->info.ndim; d++)
        local = local * a->info.chunks[d] + pos[d] % a->info.chunks[d];
    msiz_status status = load_chunk(a, idx);
    return status < 0 ? status : vlen_item(a, local, out);
}
