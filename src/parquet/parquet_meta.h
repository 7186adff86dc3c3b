/* Parquet metadata structures encoded with the Thrift compact protocol (apache/parquet-format
 * src/main/thrift/parquet.thrift): the data page header and the FileMetaData footer, for the
 * flat files this writer produces (REQUIRED BYTE_ARRAY columns, PLAIN data pages v1, one row
 * group, no statistics, no dictionary pages). */
#ifndef MSIZ_PARQUET_PARQUET_META_H
#define MSIZ_PARQUET_PARQUET_META_H

#include <stddef.h>
#include <stdint.h>

#include "parquet/thrift_compact.h"

/* One finished column chunk, as the footer describes it. */
typedef struct msiz_pq_chunk_meta {
    const char *name;           /* column name = path_in_schema[0] */
    int utf8;                   /* nonzero: STRING logical type (converted type UTF8) */
    int pq_codec;               /* MSIZ_PQ_* from page_codec.h */
    int64_t num_values;         /* rows */
    int64_t data_page_offset;   /* file offset of the first page header */
    int64_t total_uncompressed; /* page headers + uncompressed page bodies */
    int64_t total_compressed;   /* page headers + stored page bodies */
} msiz_pq_chunk_meta;

/* One footer key-value pair (value may be NULL). */
typedef struct msiz_pq_kv {
    const char *key;
    const char *value;
} msiz_pq_kv;

/* Appends a PageHeader (DATA_PAGE, PLAIN values, RLE level encodings) to w. */
void msiz_pq_encode_page_header(msiz_tc_writer *w, int32_t uncompressed_size,
                                int32_t compressed_size, int32_t num_values);

/* Appends FileMetaData: version 2, schema (root "schema" + one REQUIRED BYTE_ARRAY element per
 * chunk), num_rows, one row group starting at `row_group_offset`, key-value metadata,
 * created_by. Errors are left in w (see msiz_tc_status). */
void msiz_pq_encode_footer(msiz_tc_writer *w, int64_t num_rows, int64_t row_group_offset,
                           const msiz_pq_chunk_meta *chunks, size_t n_chunks, const msiz_pq_kv *kv,
                           size_t n_kv, const char *created_by);

#endif
