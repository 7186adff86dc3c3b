#include "parquet/page_codec.h"

#include <limits.h>
#include <snappy-c.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "common/alloc.h"
#include "common/error.h"

#define GZIP_WINDOW_BITS 31 /* 15 + 16: gzip member format */

static voidpf z_alloc(voidpf opaque, uInt items, uInt size)
{
    (void)opaque;
    return msiz_calloc(items, size);
}

static void z_free(voidpf opaque, voidpf ptr)
{
    (void)opaque;
    msiz_free(ptr);
}

static msiz_status init_zstd(msiz_pq_compressor *c, int level)
{
    if (level == MSIZ_LEVEL_DEFAULT || level == 0)
        level = ZSTD_CLEVEL_DEFAULT;
    if (level < ZSTD_minCLevel() || level > ZSTD_maxCLevel())
        return msiz_fail(MSIZ_E_ARG, "parquet: zstd level %d outside [%d, %d]", level,
                         ZSTD_minCLevel(), ZSTD_maxCLevel());
    c->pq_codec = MSIZ_PQ_ZSTD;
    c->level = level;
    c->zstd_ctx = ZSTD_createCCtx();
    if (!c->zstd_ctx)
        return msiz_fail(MSIZ_E_NOMEM, "parquet: cannot create a zstd context");
    return MSIZ_OK;
}

static msiz_status init_gzip(msiz_pq_compressor *c, int level)
{
    if (level == MSIZ_LEVEL_DEFAULT)
        level = 6;
    if (level < 0 || level > 9)
        return msiz_fail(MSIZ_E_ARG, "parquet: gzip level %d outside [0, 9]", level);
    c->pq_codec = MSIZ_PQ_GZIP;
    c->level = level;
    z_stream *zs = msiz_calloc(1, sizeof *zs);
    if (!zs)
        return msiz_fail(MSIZ_E_NOMEM, "parquet: cannot allocate a zlib stream");
    zs->zalloc = z_alloc;
    zs->zfree = z_free;
    int rc = deflateInit2(zs, level, Z_DEFLATED, GZIP_WINDOW_BITS, 8, Z_DEFAULT_STRATEGY);
    if (rc != Z_OK) {
        msiz_free(zs);
        return msiz_fail(rc == Z_MEM_ERROR ? MSIZ_E_NOMEM : MSIZ_E_CODEC,
                         "parquet: deflateInit2 failed (%d)", rc);
    }
    c->zstream = zs;
    return MSIZ_OK;
}

/* Codecs without levels: anything but the default is a caller's mistake. */
static msiz_status init_levelless(msiz_pq_compressor *c, int pq_codec, int level)
{
    if (level != MSIZ_LEVEL_DEFAULT)
        return msiz_fail(MSIZ_E_ARG, "parquet: %s takes no level (got %d)",
                         msiz_parquet_codec_name((msiz_parquet_codec)pq_codec), level);
    c->pq_codec = pq_codec;
    return MSIZ_OK;
}

msiz_status msiz_pq_compressor_init(msiz_pq_compressor *c, msiz_parquet_codec codec, int level)
{
    memset(c, 0, sizeof *c);
    switch (codec) {
    case MSIZ_PARQUET_UNCOMPRESSED: return init_levelless(c, MSIZ_PQ_UNCOMPRESSED, level);
    case MSIZ_PARQUET_SNAPPY: return init_levelless(c, MSIZ_PQ_SNAPPY, level);
    case MSIZ_PARQUET_ZSTD: return init_zstd(c, level);
    case MSIZ_PARQUET_GZIP: return init_gzip(c, level);
    }
    return msiz_fail(MSIZ_E_ARG, "parquet: unknown codec %d", (int)codec);
}

void msiz_pq_compressor_destroy(msiz_pq_compressor *c)
{
    ZSTD_freeCCtx(c->zstd_ctx);
    if (c->zstream) {
        deflateEnd(c->zstream);
        msiz_free(c->zstream);
    }
    memset(c, 0, sizeof *c);
}

size_t msiz_pq_compress_bound(const msiz_pq_compressor *c, size_t n)
{
    switch (c->pq_codec) {
    case MSIZ_PQ_ZSTD: return ZSTD_compressBound(n);
    case MSIZ_PQ_GZIP: return deflateBound(c->zstream, (uLong)n);
    case MSIZ_PQ_SNAPPY: return snappy_max_compressed_length(n);
    default: return n;
    }
}

static msiz_status compress_gzip(z_stream *zs, const void *src, size_t n, void *dst, size_t dst_cap,
                                 size_t *out_len)
{
    if (n > UINT_MAX || dst_cap > UINT_MAX)
        return msiz_fail(MSIZ_E_LIMIT, "parquet: gzip page of %zu bytes too large", n);
    if (deflateReset(zs) != Z_OK)
        return msiz_fail(MSIZ_E_CODEC, "parquet: deflateReset failed");
    zs->next_in = (Bytef *)(uintptr_t)src;
    zs->avail_in = (uInt)n;
    zs->next_out = dst;
    zs->avail_out = (uInt)dst_cap;
    int rc = deflate(zs, Z_FINISH);
    if (rc != Z_STREAM_END)
        return msiz_fail(MSIZ_E_CODEC, "parquet: gzip compression failed (%d)", rc);
    *out_len = dst_cap - zs->avail_out;
    return MSIZ_OK;
}

static msiz_status compress_snappy(const void *src, size_t n, void *dst, size_t dst_cap,
                                   size_t *out_len)
{
    size_t len = dst_cap;
    snappy_status rc = snappy_compress(src, n, dst, &len);
    if (rc != SNAPPY_OK)
        return msiz_fail(rc == SNAPPY_BUFFER_TOO_SMALL ? MSIZ_E_LIMIT : MSIZ_E_CODEC,
                         "parquet: snappy compression of %zu bytes failed (%d)", n, (int)rc);
    *out_len = len;
    return MSIZ_OK;
}

msiz_status msiz_pq_compress(msiz_pq_compressor *c, const void *src, size_t n, void *dst,
                             size_t dst_cap, size_t *out_len)
{
    if (c->pq_codec == MSIZ_PQ_SNAPPY)
        return compress_snappy(src, n, dst, dst_cap, out_len);
    if (c->pq_codec == MSIZ_PQ_GZIP)
        return compress_gzip(c->zstream, src, n, dst, dst_cap, out_len);
    if (c->pq_codec == MSIZ_PQ_ZSTD) {
        size_t r = ZSTD_compressCCtx(c->zstd_ctx, dst, dst_cap, src, n, c->level);
        if (ZSTD_isError(r))
            return msiz_fail(MSIZ_E_CODEC, "parquet: zstd compression failed: %s",
                             ZSTD_getErrorName(r));
        *out_len = r;
        return MSIZ_OK;
    }
    if (n > dst_cap)
        return msiz_fail(MSIZ_E_LIMIT, "parquet: page buffer too small");
    if (n > 0)
        memcpy(dst, src, n);
    *out_len = n;
    return MSIZ_OK;
}
