/* Page compression for the Parquet writer: none, SNAPPY (one raw snappy block, libsnappy's C
 * API), ZSTD (one zstd frame) or GZIP (one gzip member, zlib windowBits 31), as Parquet's
 * CompressionCodec UNCOMPRESSED / SNAPPY / ZSTD / GZIP expect.
 * A compressor is caller storage holding a reusable codec context; not thread safe. */
#ifndef MSIZ_PARQUET_PAGE_CODEC_H
#define MSIZ_PARQUET_PAGE_CODEC_H

#include <stddef.h>

#include "msizarr/compression.h"

/* Parquet CompressionCodec values (parquet.thrift), equal to msiz_parquet_codec's. */
enum {
    MSIZ_PQ_UNCOMPRESSED = MSIZ_PARQUET_UNCOMPRESSED,
    MSIZ_PQ_SNAPPY = MSIZ_PARQUET_SNAPPY,
    MSIZ_PQ_GZIP = MSIZ_PARQUET_GZIP,
    MSIZ_PQ_ZSTD = MSIZ_PARQUET_ZSTD
};

typedef struct msiz_pq_compressor {
    int pq_codec;   /* MSIZ_PQ_* */
    int level;      /* resolved codec level (0 for none and snappy) */
    void *zstd_ctx; /* ZSTD_CCtx * (ZSTD only) */
    void *zstream;  /* z_stream * (GZIP only) */
} msiz_pq_compressor;

/* Creates the context of a Parquet codec. MSIZ_LEVEL_DEFAULT picks zstd 3 / gzip 6; level 0
 * with zstd is zstd's default too; snappy and none take MSIZ_LEVEL_DEFAULT only. Out-of-range
 * levels or unknown codecs: MSIZ_E_ARG. On failure *c needs no destroy (destroying it is
 * harmless). */
MSIZ_NODISCARD msiz_status msiz_pq_compressor_init(msiz_pq_compressor *c, msiz_parquet_codec codec,
                                                   int level);
/* Frees the contexts; accepts a zeroed or failed-init compressor. */
void msiz_pq_compressor_destroy(msiz_pq_compressor *c);

/* Largest output of msiz_pq_compress for `n` input bytes. */
size_t msiz_pq_compress_bound(const msiz_pq_compressor *c, size_t n);

/* Compresses src into dst (capacity dst_cap >= msiz_pq_compress_bound(n)); *out_len gets the
 * size. For MSIZ_PQ_UNCOMPRESSED it copies. MSIZ_E_CODEC if the library fails. */
MSIZ_NODISCARD msiz_status msiz_pq_compress(msiz_pq_compressor *c, const void *src, size_t n,
                                            void *dst, size_t dst_cap, size_t *out_len);

#endif
