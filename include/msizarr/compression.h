/* Compression settings shared by the Zarr and Parquet writers (user-visible via --compression). */
#ifndef MSIZARR_COMPRESSION_H
#define MSIZARR_COMPRESSION_H

#include "msizarr/msizarr.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum msiz_codec {
    MSIZ_CODEC_ZSTD = 0,    /* default; level 0 as zarr-python's default */
    MSIZ_CODEC_GZIP = 1,    /* RFC 1952 */
    MSIZ_CODEC_BLOSC_LZ4 = 2,
    MSIZ_CODEC_BLOSC_ZSTD = 3,
    MSIZ_CODEC_NONE = 4
} msiz_codec;

typedef enum msiz_shuffle {
    MSIZ_SHUFFLE_NONE = 0,
    MSIZ_SHUFFLE_BYTE = 1,
    MSIZ_SHUFFLE_BIT = 2
} msiz_shuffle;

typedef struct msiz_compression {
    msiz_codec codec;
    int level;              /* codec level; MSIZ_LEVEL_DEFAULT picks the codec's default */
    msiz_shuffle shuffle;   /* blosc only */
} msiz_compression;

#define MSIZ_LEVEL_DEFAULT (-1000)

/* zstd level 0, which zstd maps to its default (3), as zarr-python writes by default (the
 * store writes a sparse matrix's X/data at level 2 and X/indices at level 1 while the level is
 * MSIZ_LEVEL_DEFAULT: faster at about the same size, docs/output-layout.md). */
MSIZ_API void msiz_compression_init(msiz_compression *c);

/* Parses "zstd", "zstd:5", "gzip", "gzip:6", "blosc-lz4", "blosc-zstd:3", "none". */
MSIZ_API MSIZ_NODISCARD msiz_status msiz_compression_parse(const char *text, msiz_compression *c);

/* Page codec of the GeoParquet pixel shapes (--shapes-compression), independent of the Zarr
 * codec. The values are Parquet's CompressionCodec numbers. Snappy is pyarrow's default and
 * the one codec every Parquet reader decodes (light JavaScript readers such as hyparquet read
 * no ZSTD out of the box). ZSTD pages use zstd level 3, GZIP pages zlib level 6. */
typedef enum msiz_parquet_codec {
    MSIZ_PARQUET_UNCOMPRESSED = 0,
    MSIZ_PARQUET_SNAPPY = 1, /* default */
    MSIZ_PARQUET_GZIP = 2,
    MSIZ_PARQUET_ZSTD = 6
} msiz_parquet_codec;

/* Parses "snappy", "zstd", "gzip" or "none"; MSIZ_E_ARG otherwise (*codec is left as is). */
MSIZ_API MSIZ_NODISCARD msiz_status msiz_parquet_codec_parse(const char *text,
                                                             msiz_parquet_codec *codec);

/* "snappy", "zstd", "gzip", "none", or "unknown". */
MSIZ_API const char *msiz_parquet_codec_name(msiz_parquet_codec codec);

#ifdef __cplusplus
}
#endif
#endif
