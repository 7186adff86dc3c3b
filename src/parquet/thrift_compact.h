/* A small Thrift compact-protocol encoder (write side only), enough for Parquet metadata.
 *
 * Wire format (apache/thrift doc/specs/thrift-compact-protocol.md): integers are zigzag ULEB128
 * varints; a field header is one byte (id delta << 4 | type) when the id grows by 1..15, else
 * the type byte followed by the zigzag varint id; booleans live in the field header's type
 * nibble; a list header is (size << 4 | elem type) below 15 elements, else 0xF0 | elem type and
 * a varint size; binary is a varint length and the bytes; a struct ends with a 0 stop byte.
 *
 * Usage: msiz_tc_init, msiz_tc_struct_begin (top level), fields..., msiz_tc_struct_end,
 * msiz_tc_status, then read w->buf / w->len, msiz_tc_destroy. Errors (out of memory, cap
 * reached, nesting too deep) are sticky: the first one is kept, later calls do nothing, and
 * msiz_tc_status returns it with the error message set. Not thread safe per writer. */
#ifndef MSIZ_PARQUET_THRIFT_COMPACT_H
#define MSIZ_PARQUET_THRIFT_COMPACT_H

#include <stddef.h>
#include <stdint.h>

#include "msizarr/msizarr.h"

/* Compact-protocol type ids (field headers and list element types). */
enum {
    MSIZ_TC_BOOL_TRUE = 1,
    MSIZ_TC_BOOL_FALSE = 2,
    MSIZ_TC_BYTE = 3,
    MSIZ_TC_I16 = 4,
    MSIZ_TC_I32 = 5,
    MSIZ_TC_I64 = 6,
    MSIZ_TC_DOUBLE = 7,
    MSIZ_TC_BINARY = 8,
    MSIZ_TC_LIST = 9,
    MSIZ_TC_SET = 10,
    MSIZ_TC_MAP = 11,
    MSIZ_TC_STRUCT = 12
};

#define MSIZ_TC_MAX_DEPTH 16

typedef struct msiz_tc_writer {
    uint8_t *buf;
    size_t len;
    size_t cap;
    size_t max_bytes;                   /* hard cap on len (MSIZ_E_LIMIT beyond) */
    int16_t last_id[MSIZ_TC_MAX_DEPTH]; /* last field id per open struct */
    int depth;                          /* open structs */
    msiz_status error;                  /* sticky first error */
} msiz_tc_writer;

/* Caller-owned writer; `max_bytes` caps the encoded size. */
void msiz_tc_init(msiz_tc_writer *w, size_t max_bytes);
void msiz_tc_destroy(msiz_tc_writer *w);
/* Empties the buffer (keeps the allocation) and clears the error and nesting. */
void msiz_tc_reset(msiz_tc_writer *w);
/* MSIZ_OK, or the first error (also set as the thread's error message). Also fails with
 * MSIZ_E_STATE when structs are still open. */
MSIZ_NODISCARD msiz_status msiz_tc_status(const msiz_tc_writer *w);

/* Raw pieces, exposed for tests. */
uint64_t msiz_tc_zigzag(int64_t v);
void msiz_tc_varint(msiz_tc_writer *w, uint64_t v);
void msiz_tc_field_header(msiz_tc_writer *w, int16_t id, uint8_t type);

/* Structs: begin a top-level or list-element struct, or a struct-valued field; end writes the
 * stop byte and returns to the enclosing struct's field ids. */
void msiz_tc_struct_begin(msiz_tc_writer *w);
void msiz_tc_field_struct_begin(msiz_tc_writer *w, int16_t id);
void msiz_tc_struct_end(msiz_tc_writer *w);

/* Scalar fields of the current struct (ids ascending for the short header form). */
void msiz_tc_field_bool(msiz_tc_writer *w, int16_t id, int value);
void msiz_tc_field_i16(msiz_tc_writer *w, int16_t id, int16_t value);
void msiz_tc_field_i32(msiz_tc_writer *w, int16_t id, int32_t value);
void msiz_tc_field_i64(msiz_tc_writer *w, int16_t id, int64_t value);
void msiz_tc_field_binary(msiz_tc_writer *w, int16_t id, const void *data, size_t len);
void msiz_tc_field_string(msiz_tc_writer *w, int16_t id, const char *s);

/* Lists: the header of a list-valued field, then `size` elements written with the element
 * functions below (msiz_tc_struct_begin/_end for struct elements). */
void msiz_tc_field_list_begin(msiz_tc_writer *w, int16_t id, uint8_t elem_type, uint32_t size);
void msiz_tc_list_header(msiz_tc_writer *w, uint8_t elem_type, uint32_t size);
void msiz_tc_i32(msiz_tc_writer *w, int32_t value);
void msiz_tc_i64(msiz_tc_writer *w, int64_t value);
void msiz_tc_binary(msiz_tc_writer *w, const void *data, size_t len);
void msiz_tc_string(msiz_tc_writer *w, const char *s);

#endif
