#include "parquet/parquet_meta.h"

/* parquet.thrift enum values used here */
enum { PQ_TYPE_BYTE_ARRAY = 6 };
enum { PQ_REQUIRED = 0 };
enum { PQ_CONVERTED_UTF8 = 0 };
enum { PQ_ENC_PLAIN = 0, PQ_ENC_RLE = 3 };
enum { PQ_PAGE_DATA = 0 };

void msiz_pq_encode_page_header(msiz_tc_writer *w, int32_t uncompressed_size,
                                int32_t compressed_size, int32_t num_values)
{
    msiz_tc_struct_begin(w);
    msiz_tc_field_i32(w, 1, PQ_PAGE_DATA);
    msiz_tc_field_i32(w, 2, uncompressed_size);
    msiz_tc_field_i32(w, 3, compressed_size);
    msiz_tc_field_struct_begin(w, 5); /* DataPageHeader */
    msiz_tc_field_i32(w, 1, num_values);
    msiz_tc_field_i32(w, 2, PQ_ENC_PLAIN);
    msiz_tc_field_i32(w, 3, PQ_ENC_RLE); /* definition levels (none: REQUIRED) */
    msiz_tc_field_i32(w, 4, PQ_ENC_RLE); /* repetition levels (none) */
    msiz_tc_struct_end(w);
    msiz_tc_struct_end(w);
}

static void encode_schema(msiz_tc_writer *w, const msiz_pq_chunk_meta *chunks, size_t n)
{
    msiz_tc_field_list_begin(w, 2, MSIZ_TC_STRUCT, (uint32_t)(n + 1));
    msiz_tc_struct_begin(w); /* root group */
    msiz_tc_field_string(w, 4, "schema");
    msiz_tc_field_i32(w, 5, (int32_t)n);
    msiz_tc_struct_end(w);
    for (size_t i = 0; i < n; i++) {
        msiz_tc_struct_begin(w);
        msiz_tc_field_i32(w, 1, PQ_TYPE_BYTE_ARRAY);
        msiz_tc_field_i32(w, 3, PQ_REQUIRED);
        msiz_tc_field_string(w, 4, chunks[i].name);
        if (chunks[i].utf8) {
            msiz_tc_field_i32(w, 6, PQ_CONVERTED_UTF8);
            msiz_tc_field_struct_begin(w, 10); /* LogicalType union */
            msiz_tc_field_struct_begin(w, 1);  /* STRING: StringType {} */
            msiz_tc_struct_end(w);
            msiz_tc_struct_end(w);
        }
        msiz_tc_struct_end(w);
    }
}

static void encode_column_meta(msiz_tc_writer *w, const msiz_pq_chunk_meta *c)
{
    msiz_tc_field_struct_begin(w, 3); /* ColumnChunk.meta_data */
    msiz_tc_field_i32(w, 1, PQ_TYPE_BYTE_ARRAY);
    msiz_tc_field_list_begin(w, 2, MSIZ_TC_I32, 2); /* encodings, as pyarrow lists them */
    msiz_tc_i32(w, PQ_ENC_RLE);
    msiz_tc_i32(w, PQ_ENC_PLAIN);
    msiz_tc_field_list_begin(w, 3, MSIZ_TC_BINARY, 1);
    msiz_tc_string(w, c->name);
    msiz_tc_field_i32(w, 4, c->pq_codec);
    msiz_tc_field_i64(w, 5, c->num_values);
    msiz_tc_field_i64(w, 6, c->total_uncompressed);
    msiz_tc_field_i64(w, 7, c->total_compressed);
    msiz_tc_field_i64(w, 9, c->data_page_offset);
    msiz_tc_struct_end(w);
}

static void encode_row_group(msiz_tc_writer *w, int64_t num_rows, int64_t offset,
                             const msiz_pq_chunk_meta *chunks, size_t n)
{
    int64_t uncompressed = 0, compressed = 0;
    msiz_tc_field_list_begin(w, 4, MSIZ_TC_STRUCT, 1);
    msiz_tc_struct_begin(w);
    msiz_tc_field_list_begin(w, 1, MSIZ_TC_STRUCT, (uint32_t)n);
    for (size_t i = 0; i < n; i++) {
        msiz_tc_struct_begin(w);    /* ColumnChunk */
        msiz_tc_field_i64(w, 2, 0); /* file_offset: deprecated, 0 as pyarrow writes */
        encode_column_meta(w, &chunks[i]);
        msiz_tc_struct_end(w);
        uncompressed += chunks[i].total_uncompressed;
        compressed += chunks[i].total_compressed;
    }
    msiz_tc_field_i64(w, 2, uncompressed); /* total_byte_size */
    msiz_tc_field_i64(w, 3, num_rows);
    msiz_tc_field_i64(w, 5, offset); /* file_offset */
    msiz_tc_field_i64(w, 6, compressed);
    msiz_tc_field_i16(w, 7, 0); /* ordinal */
    msiz_tc_struct_end(w);
}

static void encode_kv(msiz_tc_writer *w, const msiz_pq_kv *kv, size_t n_kv)
{
    msiz_tc_field_list_begin(w, 5, MSIZ_TC_STRUCT, (uint32_t)n_kv);
    for (size_t i = 0; i < n_kv; i++) {
        msiz_tc_struct_begin(w);
        msiz_tc_field_string(w, 1, kv[i].key);
        if (kv[i].value)
            msiz_tc_field_string(w, 2, kv[i].value);
        msiz_tc_struct_end(w);
    }
}

void msiz_pq_encode_footer(msiz_tc_writer *w, int64_t num_rows, int64_t row_group_offset,
                           const msiz_pq_chunk_meta *chunks, size_t n_chunks, const msiz_pq_kv *kv,
                           size_t n_kv, const char *created_by)
{
    msiz_tc_struct_begin(w);
    msiz_tc_field_i32(w, 1, 2); /* version */
    encode_schema(w, chunks, n_chunks);
    msiz_tc_field_i64(w, 3, num_rows);
    encode_row_group(w, num_rows, row_group_offset, chunks, n_chunks);
    if (n_kv > 0)
        encode_kv(w, kv, n_kv);
    if (created_by)
        msiz_tc_field_string(w, 6, created_by);
    msiz_tc_struct_end(w);
}
