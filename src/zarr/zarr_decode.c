/* Zarr reader: chunk decompression (zstd, gzip/zlib, blosc, none). A fixed-size chunk must
 * decode to exactly its size; a string chunk to at most the chunk cap. */
#include <blosc.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "common/alloc.h"
#include "zarr/zarr_read_internal.h"

/* Output capacity for a chunk: its size, or for strings what the codec says (grown). */
static msiz_status out_reserve(msiz_zarr_rarray *a, size_t need, const char *file)
{
    if (need > ZARR_MAX_CHUNK_BYTES)
        return msiz_fail(MSIZ_E_LIMIT, "%s: chunk decodes to more than %zu bytes", file,
                         (size_t)ZARR_MAX_CHUNK_BYTES);
    if (need <= a->buf_cap)
        return MSIZ_OK;
    unsigned char *p = msiz_realloc(a->buf, need ? need : 1);
    if (!p)
        return msiz_fail(MSIZ_E_NOMEM, "%s: out of memory for a chunk of %zu bytes", file, need);
    a->buf = p;
    a->buf_cap = need;
    return MSIZ_OK;
}

static int fixed(const msiz_zarr_rarray *a)
{
    return a->info.dtype != MSIZ_DT_STRING;
}

static msiz_status decode_zstd(msiz_zarr_rarray *a, const unsigned char *src, size_t n,
                               const char *file)
{
    unsigned long long size = ZSTD_getFrameContentSize(src, n);
    if (size == ZSTD_CONTENTSIZE_ERROR)
        return msiz_fail(MSIZ_E_CODEC, "%s: not a zstd frame", file);
    size_t want = fixed(a) ? a->chunk_bytes
                  : size == ZSTD_CONTENTSIZE_UNKNOWN || size > ZARR_MAX_CHUNK_BYTES
                      ? (size_t)ZARR_MAX_CHUNK_BYTES
                      : (size_t)size;
    if (fixed(a) && size != ZSTD_CONTENTSIZE_UNKNOWN && size != want)
        return msiz_fail(MSIZ_E_FORMAT, "%s: chunk holds %llu bytes, expected %zu", file, size,
                         want);
    msiz_status status = out_reserve(a, want, file);
    if (status < 0)
        return status;
    size_t r = ZSTD_decompress(a->buf, want, src, n);
    if (ZSTD_isError(r))
        return msiz_fail(MSIZ_E_CODEC, "%s: zstd: %s", file, ZSTD_getErrorName(r));
    a->buf_len = r;
    return MSIZ_OK;
}

/* gzip (RFC 1952) or zlib (RFC 1950) stream; the output grows for strings. */
static msiz_status decode_inflate(msiz_zarr_rarray *a, const unsigned char *src, size_t n,
                                  const char *file)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (n > UINT32_MAX || inflateInit2(&zs, 15 + 32) != Z_OK)
        return msiz_fail(MSIZ_E_CODEC, "%s: cannot start inflate", file);
    size_t cap = fixed(a) ? a->chunk_bytes : n * 4 + 64;
    msiz_status status = out_reserve(a, cap, file);
    zs.next_in = (Bytef *)(uintptr_t)src;
    zs.avail_in = (uInt)n;
    int rc = Z_OK;
    while (status == MSIZ_OK) {
        zs.next_out = a->buf + zs.total_out;
        zs.avail_out = (uInt)(cap - zs.total_out);
        rc = inflate(&zs, Z_FINISH);
        if (rc == Z_STREAM_END || fixed(a) || (rc != Z_BUF_ERROR && rc != Z_OK))
            break;
        cap = cap > ZARR_MAX_CHUNK_BYTES / 2 ? ZARR_MAX_CHUNK_BYTES + (size_t)1 : cap * 2;
        status = out_reserve(a, cap, file);
    }
    a->buf_len = zs.total_out;
    inflateEnd(&zs);
    if (status == MSIZ_OK && rc != Z_STREAM_END)
        status = msiz_fail(MSIZ_E_CODEC, "%s: inflate failed (%d)%s", file, rc,
                           fixed(a) ? " or the chunk is larger than its shape" : "");
    return status;
}

static msiz_status decode_blosc(msiz_zarr_rarray *a, const unsigned char *src, size_t n,
                                const char *file)
{
    size_t nbytes = 0, cbytes = 0, blocksize = 0;
    if (n < BLOSC_MIN_HEADER_LENGTH)
        return msiz_fail(MSIZ_E_CODEC, "%s: blosc chunk of %zu bytes has no header", file, n);
    blosc_cbuffer_sizes(src, &nbytes, &cbytes, &blocksize);
    if (cbytes > n || (fixed(a) && nbytes != a->chunk_bytes))
        return msiz_fail(MSIZ_E_FORMAT, "%s: blosc header says %zu bytes (%zu compressed)", file,
                         nbytes, cbytes);
    msiz_status status = out_reserve(a, nbytes, file);
    if (status < 0)
        return status;
    int r = blosc_decompress_ctx(src, a->buf, nbytes, 1);
    if (r < 0 || (size_t)r != nbytes)
        return msiz_fail(MSIZ_E_CODEC, "%s: blosc decompression failed (%d)", file, r);
    a->buf_len = nbytes;
    return MSIZ_OK;
}

msiz_status msiz_zarr_decode_chunk(msiz_zarr_rarray *a, const unsigned char *src, size_t n,
                                   const char *file)
{
    msiz_status status = MSIZ_OK;
    switch (a->info.codec) {
    case MSIZ_CODEC_ZSTD: status = decode_zstd(a, src, n, file); break;
    case MSIZ_CODEC_GZIP: status = decode_inflate(a, src, n, file); break;
    case MSIZ_CODEC_BLOSC_LZ4:
    case MSIZ_CODEC_BLOSC_ZSTD: status = decode_blosc(a, src, n, file); break;
    case MSIZ_CODEC_NONE:
        status = out_reserve(a, n, file);
        if (status == MSIZ_OK) {
            memcpy(a->buf, src, n);
            a->buf_len = n;
        }
        break;
    }
    if (status == MSIZ_OK && fixed(a) && a->buf_len != a->chunk_bytes)
        status = msiz_fail(MSIZ_E_FORMAT, "%s: chunk holds %zu bytes, expected %zu", file,
                           a->buf_len, a->chunk_bytes);
    return status;
}
