/* Chunk codecs (zstd, gzip, blosc-lz4/zstd, none): defaults, bounds, compression, JSON. */
#include <blosc.h>
#include <limits.h>
#include <zlib.h>
#include <zstd.h>

#include "zarr/zarr_internal.h"

void msiz_zarr_codec_ctx_destroy(zarr_codec_ctx *ctx)
{
    if (!ctx)
        return;
    ZSTD_freeCCtx(ctx->zstd);
    ctx->zstd = NULL;
}

/* Defaults mirror what zarr-python 3.1.6 / numcodecs 0.16 write: ZstdCodec() level 0;
 * zarr.codecs.GzipCodec() level 5 (v3) and numcodecs.GZip() level 1 (v2); blosc clevel 5. */
static int default_level(msiz_codec codec, int format)
{
    switch (codec) {
    case MSIZ_CODEC_ZSTD: return 0;
    case MSIZ_CODEC_GZIP: return format == 2 ? 1 : 5;
    case MSIZ_CODEC_BLOSC_LZ4:
    case MSIZ_CODEC_BLOSC_ZSTD: return 5;
    case MSIZ_CODEC_NONE: return 0;
    }
    return 0;
}

msiz_status msiz_zarr_codec_resolve(const msiz_compression *in, int format, msiz_compression *out)
{
    msiz_compression c = *in;
    if ((unsigned)c.codec > MSIZ_CODEC_NONE)
        return msiz_fail(MSIZ_E_ARG, "zarr: unknown codec %d", (int)c.codec);
    if ((unsigned)c.shuffle > MSIZ_SHUFFLE_BIT)
        return msiz_fail(MSIZ_E_ARG, "zarr: unknown shuffle %d", (int)c.shuffle);
    if (c.level == MSIZ_LEVEL_DEFAULT || c.codec == MSIZ_CODEC_NONE)
        c.level = default_level(c.codec, format);
    int lo = c.codec == MSIZ_CODEC_ZSTD ? ZSTD_minCLevel() : 0;
    int hi = c.codec == MSIZ_CODEC_ZSTD ? ZSTD_maxCLevel() : 9;
    if (c.level < lo || c.level > hi)
        return msiz_fail(MSIZ_E_ARG, "zarr: compression level %d out of range %d..%d", c.level, lo,
                         hi);
    *out = c;
    return MSIZ_OK;
}

size_t msiz_zarr_codec_bound(const msiz_compression *c, size_t raw)
{
    switch (c->codec) {
    case MSIZ_CODEC_ZSTD: return ZSTD_compressBound(raw);
    case MSIZ_CODEC_GZIP: return compressBound((uLong)raw) + 18; /* >= deflateBound(gzip) */
    case MSIZ_CODEC_BLOSC_LZ4:
    case MSIZ_CODEC_BLOSC_ZSTD: return raw + BLOSC_MAX_OVERHEAD;
    case MSIZ_CODEC_NONE: return 0; /* the raw buffer is written as is */
    }
    return raw;
}

static msiz_status compress_zstd(zarr_codec_ctx *ctx, int level, const void *src, size_t n,
                                 void *dst, size_t cap, size_t *out_len)
{
    if (!ctx->zstd && !(ctx->zstd = ZSTD_createCCtx()))
        return msiz_fail(MSIZ_E_NOMEM, "zstd: cannot create a compression context");
    size_t r = ZSTD_compressCCtx(ctx->zstd, dst, cap, src, n, level);
    if (ZSTD_isError(r))
        return msiz_fail(MSIZ_E_CODEC, "zstd: %s", ZSTD_getErrorName(r));
    *out_len = r;
    return MSIZ_OK;
}

/* RFC 1952 (gzip wrapper: windowBits 15 + 16). */
static msiz_status compress_gzip(int level, const void *src, size_t n, void *dst, size_t cap,
                                 size_t *out_len)
{
    z_stream zs = {0};
    int rc = deflateInit2(&zs, level, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY);
    if (rc != Z_OK)
        return msiz_fail(rc == Z_MEM_ERROR ? MSIZ_E_NOMEM : MSIZ_E_CODEC,
                         "gzip: deflateInit2 failed (%d)", rc);
    zs.next_in = (Bytef *)(uintptr_t)src;
    zs.avail_in = (uInt)n;
    zs.next_out = dst;
    zs.avail_out = (uInt)cap;
    rc = deflate(&zs, Z_FINISH);
    *out_len = zs.total_out;
    deflateEnd(&zs);
    if (rc != Z_STREAM_END)
        return msiz_fail(MSIZ_E_CODEC, "gzip: deflate failed (%d)", rc);
    return MSIZ_OK;
}

static msiz_status compress_blosc(const msiz_compression *c, size_t typesize, const void *src,
                                  size_t n, void *dst, size_t cap, size_t *out_len)
{
    const char *cname = c->codec == MSIZ_CODEC_BLOSC_LZ4 ? "lz4" : "zstd";
    int shuffle = c->shuffle == MSIZ_SHUFFLE_BIT    ? BLOSC_BITSHUFFLE
                  : c->shuffle == MSIZ_SHUFFLE_BYTE ? BLOSC_SHUFFLE
                                                    : BLOSC_NOSHUFFLE;
    int r = blosc_compress_ctx(c->level, shuffle, typesize, n, src, dst, cap, cname, 0, 1);
    if (r <= 0)
        return msiz_fail(MSIZ_E_CODEC, "blosc (%s): compression failed (%d)", cname, r);
    *out_len = (size_t)r;
    return MSIZ_OK;
}

msiz_status msiz_zarr_codec_compress(zarr_codec_ctx *ctx, const msiz_compression *c,
                                     size_t typesize, const void *src, size_t n, void *dst,
                                     size_t cap, size_t *out_len)
{
    if (n > ZARR_MAX_CHUNK_BYTES || cap > ZARR_MAX_CHUNK_BYTES + BLOSC_MAX_OVERHEAD + 4096)
        return msiz_fail(MSIZ_E_LIMIT, "zarr: chunk of %zu bytes is too large", n);
    switch (c->codec) {
    case MSIZ_CODEC_ZSTD: return compress_zstd(ctx, c->level, src, n, dst, cap, out_len);
    case MSIZ_CODEC_GZIP: return compress_gzip(c->level, src, n, dst, cap, out_len);
    case MSIZ_CODEC_BLOSC_LZ4:
    case MSIZ_CODEC_BLOSC_ZSTD: return compress_blosc(c, typesize, src, n, dst, cap, out_len);
    case MSIZ_CODEC_NONE: break;
    }
    return msiz_fail(MSIZ_E_ARG, "zarr: codec 'none' does not compress");
}

static const char *shuffle_name(msiz_shuffle s)
{
    return s == MSIZ_SHUFFLE_BIT ? "bitshuffle" : s == MSIZ_SHUFFLE_BYTE ? "shuffle" : "noshuffle";
}

json_t *msiz_zarr_codec_json_v3(const msiz_compression *c, size_t typesize)
{
    switch (c->codec) {
    case MSIZ_CODEC_ZSTD:
        return json_pack("{s:s, s:{s:i, s:b}}", "name", "zstd", "configuration", "level", c->level,
                         "checksum", 0);
    case MSIZ_CODEC_GZIP:
        return json_pack("{s:s, s:{s:i}}", "name", "gzip", "configuration", "level", c->level);
    case MSIZ_CODEC_BLOSC_LZ4:
    case MSIZ_CODEC_BLOSC_ZSTD:
        return json_pack("{s:s, s:{s:I, s:s, s:i, s:s, s:i}}", "name", "blosc", "configuration",
                         "typesize", (json_int_t)typesize, "cname",
                         c->codec == MSIZ_CODEC_BLOSC_LZ4 ? "lz4" : "zstd", "clevel", c->level,
                         "shuffle", shuffle_name(c->shuffle), "blocksize", 0);
    case MSIZ_CODEC_NONE: break;
    }
    return NULL;
}

json_t *msiz_zarr_codec_json_v2(const msiz_compression *c)
{
    switch (c->codec) {
    case MSIZ_CODEC_ZSTD:
        return json_pack("{s:s, s:i, s:b}", "id", "zstd", "level", c->level, "checksum", 0);
    case MSIZ_CODEC_GZIP: return json_pack("{s:s, s:i}", "id", "gzip", "level", c->level);
    case MSIZ_CODEC_BLOSC_LZ4:
    case MSIZ_CODEC_BLOSC_ZSTD:
        return json_pack("{s:s, s:s, s:i, s:i, s:i}", "id", "blosc", "cname",
                         c->codec == MSIZ_CODEC_BLOSC_LZ4 ? "lz4" : "zstd", "clevel", c->level,
                         "shuffle", (int)c->shuffle, "blocksize", 0);
    case MSIZ_CODEC_NONE: break;
    }
    return json_null();
}
