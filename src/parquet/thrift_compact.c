#include "parquet/thrift_compact.h"

#include <string.h>

#include "common/alloc.h"
#include "common/error.h"

void msiz_tc_init(msiz_tc_writer *w, size_t max_bytes)
{
    memset(w, 0, sizeof *w);
    w->max_bytes = max_bytes;
}

void msiz_tc_destroy(msiz_tc_writer *w)
{
    msiz_free(w->buf);
    memset(w, 0, sizeof *w);
}

void msiz_tc_reset(msiz_tc_writer *w)
{
    w->len = 0;
    w->depth = 0;
    w->error = MSIZ_OK;
}

msiz_status msiz_tc_status(const msiz_tc_writer *w)
{
    switch (w->error) {
    case MSIZ_OK: break;
    case MSIZ_E_NOMEM: return msiz_fail(MSIZ_E_NOMEM, "thrift encoder: out of memory");
    case MSIZ_E_LIMIT:
        return msiz_fail(MSIZ_E_LIMIT, "thrift encoder: metadata larger than %zu bytes",
                         w->max_bytes);
    default:
        return msiz_fail(w->error, "thrift encoder: structs nested deeper than %d or unbalanced",
                         MSIZ_TC_MAX_DEPTH);
    }
    if (w->depth != 0)
        return msiz_fail(MSIZ_E_STATE, "thrift encoder: %d struct(s) left open", w->depth);
    return MSIZ_OK;
}

static void set_error(msiz_tc_writer *w, msiz_status code)
{
    if (w->error == MSIZ_OK)
        w->error = code;
}

static void put(msiz_tc_writer *w, const void *data, size_t n)
{
    if (w->error != MSIZ_OK)
        return;
    if (n > w->max_bytes - w->len) {
        set_error(w, MSIZ_E_LIMIT);
        return;
    }
    msiz_status status = msiz_grow((void **)&w->buf, &w->cap, w->len + n, 1, w->max_bytes);
    if (status < 0) {
        set_error(w, status);
        return;
    }
    if (n > 0)
        memcpy(w->buf + w->len, data, n);
    w->len += n;
}

static void put_byte(msiz_tc_writer *w, uint8_t b)
{
    put(w, &b, 1);
}

uint64_t msiz_tc_zigzag(int64_t v)
{
    /* (v << 1) ^ (v >> 63), computed on unsigned values to avoid undefined shifts */
    uint64_t u = (uint64_t)v;
    return (u << 1) ^ (v < 0 ? UINT64_MAX : 0);
}

void msiz_tc_varint(msiz_tc_writer *w, uint64_t v)
{
    uint8_t tmp[10];
    size_t n = 0;
    while (v >= 0x80) {
        tmp[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    tmp[n++] = (uint8_t)v;
    put(w, tmp, n);
}

void msiz_tc_field_header(msiz_tc_writer *w, int16_t id, uint8_t type)
{
    if (w->depth < 1) {
        set_error(w, MSIZ_E_STATE);
        return;
    }
    int16_t *last = &w->last_id[w->depth - 1];
    int delta = (int)id - (int)*last;
    if (delta > 0 && delta <= 15) {
        put_byte(w, (uint8_t)(delta << 4 | type));
    } else {
        put_byte(w, type);
        msiz_tc_varint(w, msiz_tc_zigzag(id));
    }
    *last = id;
}

void msiz_tc_struct_begin(msiz_tc_writer *w)
{
    if (w->depth >= MSIZ_TC_MAX_DEPTH) {
        set_error(w, MSIZ_E_STATE);
        return;
    }
    w->last_id[w->depth++] = 0;
}

void msiz_tc_field_struct_begin(msiz_tc_writer *w, int16_t id)
{
    msiz_tc_field_header(w, id, MSIZ_TC_STRUCT);
    msiz_tc_struct_begin(w);
}

void msiz_tc_struct_end(msiz_tc_writer *w)
{
    if (w->depth < 1) {
        set_error(w, MSIZ_E_STATE);
        return;
    }
    put_byte(w, 0);
    w->depth--;
}

void msiz_tc_field_bool(msiz_tc_writer *w, int16_t id, int value)
{
    msiz_tc_field_header(w, id, value ? MSIZ_TC_BOOL_TRUE : MSIZ_TC_BOOL_FALSE);
}

void msiz_tc_field_i16(msiz_tc_writer *w, int16_t id, int16_t value)
{
    msiz_tc_field_header(w, id, MSIZ_TC_I16);
    msiz_tc_varint(w, msiz_tc_zigzag(value));
}

void msiz_tc_field_i32(msiz_tc_writer *w, int16_t id, int32_t value)
{
    msiz_tc_field_header(w, id, MSIZ_TC_I32);
    msiz_tc_i32(w, value);
}

void msiz_tc_field_i64(msiz_tc_writer *w, int16_t id, int64_t value)
{
    msiz_tc_field_header(w, id, MSIZ_TC_I64);
    msiz_tc_i64(w, value);
}

void msiz_tc_field_binary(msiz_tc_writer *w, int16_t id, const void *data, size_t len)
{
    msiz_tc_field_header(w, id, MSIZ_TC_BINARY);
    msiz_tc_binary(w, data, len);
}

void msiz_tc_field_string(msiz_tc_writer *w, int16_t id, const char *s)
{
    msiz_tc_field_binary(w, id, s, strlen(s));
}

void msiz_tc_list_header(msiz_tc_writer *w, uint8_t elem_type, uint32_t size)
{
    if (size < 15) {
        put_byte(w, (uint8_t)(size << 4 | elem_type));
    } else {
        put_byte(w, (uint8_t)(0xF0 | elem_type));
        msiz_tc_varint(w, size);
    }
}

void msiz_tc_field_list_begin(msiz_tc_writer *w, int16_t id, uint8_t elem_type, uint32_t size)
{
    msiz_tc_field_header(w, id, MSIZ_TC_LIST);
    msiz_tc_list_header(w, elem_type, size);
}

void msiz_tc_i32(msiz_tc_writer *w, int32_t value)
{
    msiz_tc_varint(w, msiz_tc_zigzag(value));
}

void msiz_tc_i64(msiz_tc_writer *w, int64_t value)
{
    msiz_tc_varint(w, msiz_tc_zigzag(value));
}

void msiz_tc_binary(msiz_tc_writer *w, const void *data, size_t len)
{
    msiz_tc_varint(w, len);
    put(w, data, len);
}

void msiz_tc_string(msiz_tc_writer *w, const char *s)
{
    msiz_tc_binary(w, s, strlen(s));
}
