/* Unit tests for src/parquet: Thrift compact bytes, WKB, page walking with decompression,
 * metadata JSON, allocation failures and error paths of the GeoParquet writer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <snappy-c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "common/alloc.h"
#include "common/error.h"
#include "parquet/geo_metadata.h"
#include "parquet/geoparquet.h"
#include "parquet/page_codec.h"
#include "parquet/parquet_file.h"
#include "parquet/parquet_meta.h"
#include "parquet/thrift_compact.h"
#include "parquet/wkb.h"

/* ---- helpers ---------------------------------------------------------------------------- */

#define assert_bytes(w, ...)                                                                       \
    do {                                                                                           \
        const uint8_t expect_[] = {__VA_ARGS__};                                                   \
        assert_int_equal((w)->len, sizeof expect_);                                                \
        assert_memory_equal((w)->buf, expect_, sizeof expect_);                                    \
    } while (0)

static char g_dir[64];

static int make_dir(void **state)
{
    (void)state;
    snprintf(g_dir, sizeof g_dir, "/tmp/msiz_pq_XXXXXX");
    return mkdtemp(g_dir) ? 0 : -1;
}

static int remove_dir(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void temp_path(char *out, size_t cap, const char *name)
{
    snprintf(out, cap, "%s/%s", g_dir, name);
}

static uint8_t *slurp(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *size = (size_t)n;
    return buf;
}

/* The grid rows of tests/programs/parquet_write_boxes.c (7 wide, pixel 2.5). */
static void grid_box(uint64_t row, msiz_geoparquet_box *box)
{
    double x = (double)(row % 7), y = (double)(row / 7);
    *box = (msiz_geoparquet_box){x * 2.5 - 1.25, y * 2.5 - 1.25, x * 2.5 + 1.25, y * 2.5 + 1.25};
}

typedef struct grid_ctx {
    uint64_t calls;
    uint64_t expect_row; /* next row expected (checks the ascending, two-pass call order) */
    uint64_t n_rows;
    uint64_t fail_row; /* UINT64_MAX: never */
    int mode;          /* 0 normal, 1 NaN, 2 id without NUL, 3 bad UTF-8, 4 returns MSIZ_END */
} grid_ctx;

static msiz_status grid_row(void *vctx, uint64_t row, msiz_geoparquet_box *box, char *id,
                            size_t id_cap)
{
    grid_ctx *ctx = vctx;
    if (ctx->n_rows > 0) {
        assert_int_equal(row, ctx->expect_row);
        ctx->expect_row = (row + 1) % ctx->n_rows;
    }
    ctx->calls++;
    if (row == ctx->fail_row)
        return msiz_fail(MSIZ_E_FORMAT, "boom at %llu", (unsigned long long)row);
    grid_box(row, box);
    snprintf(id, id_cap, "%llu", (unsigned long long)row);
    if (ctx->mode == 1 && row == 3)
        box->ymax = NAN;
    if (ctx->mode == 2 && row == 3)
        memset(id, 'a', id_cap);
    if (ctx->mode == 3 && row == 3)
        memcpy(id, "\xc3\x28", 3);
    if (ctx->mode == 4 && row == 3)
        return MSIZ_END;
    return MSIZ_OK;
}

static grid_ctx make_ctx(uint64_t n_rows)
{
    return (grid_ctx){.n_rows = n_rows, .fail_row = UINT64_MAX};
}

/* ---- a minimal compact-protocol reader for page headers (test side) ---------------------- */

typedef struct reader {
    const uint8_t *p, *end;
} reader;

typedef struct page_header {
    int32_t type, usize, csize, num_values, encoding, def_enc, rep_enc;
} page_header;

static uint64_t read_varint(reader *r)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        assert_true(r->p < r->end);
        uint8_t b = *r->p++;
        v |= (uint64_t)(b & 0x7F) << shift;
        if (!(b & 0x80))
            return v;
    }
    fail_msg("varint too long");
    return 0;
}

static int64_t unzigzag(uint64_t v)
{
    return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

/* Reads a struct of i32 fields and (for field 5) one nested struct into slots[id]. */
static void read_i32_struct(reader *r, int32_t *slots, int32_t *nested)
{
    int last = 0;
    for (;;) {
        assert_true(r->p < r->end);
        uint8_t b = *r->p++;
        if (b == 0)
            return;
        int type = b & 0x0F, delta = b >> 4;
        int id = delta ? last + delta : (int)unzigzag(read_varint(r));
        last = id;
        assert_true(id > 0 && id < 8);
        if (type == MSIZ_TC_I32) {
            slots[id] = (int32_t)unzigzag(read_varint(r));
        } else {
            assert_int_equal(type, MSIZ_TC_STRUCT);
            assert_non_null(nested);
            read_i32_struct(r, nested, NULL);
        }
    }
}

static void read_page_header(reader *r, page_header *h)
{
    int32_t top[8] = {0}, data[8] = {0};
    read_i32_struct(r, top, data);
    *h = (page_header){top[1], top[2], top[3], data[1], data[2], data[3], data[4]};
}

static uint8_t *decompress(int pq_codec, const uint8_t *src, size_t clen, size_t ulen)
{
    uint8_t *out = malloc(ulen + 1);
    assert_non_null(out);
    if (pq_codec == MSIZ_PQ_UNCOMPRESSED) {
        assert_int_equal(clen, ulen);
        memcpy(out, src, ulen);
    } else if (pq_codec == MSIZ_PQ_ZSTD) {
        assert_int_equal(ZSTD_decompress(out, ulen + 1, src, clen), ulen);
    } else if (pq_codec == MSIZ_PQ_SNAPPY) {
        size_t got = 0, room = ulen + 1;
        assert_int_equal(snappy_uncompressed_length((const char *)src, clen, &got), SNAPPY_OK);
        assert_int_equal(got, ulen);
        assert_int_equal(snappy_uncompress((const char *)src, clen, (char *)out, &room), SNAPPY_OK);
        assert_int_equal(room, ulen);
    } else {
        z_stream zs = {0};
        assert_int_equal(inflateInit2(&zs, 31), Z_OK);
        zs.next_in = (Bytef *)(uintptr_t)src;
        zs.avail_in = (uInt)clen;
        zs.next_out = out;
        zs.avail_out = (uInt)ulen + 1;
        assert_int_equal(inflate(&zs, Z_FINISH), Z_STREAM_END);
        assert_int_equal(zs.total_out, ulen);
        assert_int_equal(zs.avail_in, 0);
        inflateEnd(&zs);
    }
    return out;
}

/* Checks one PLAIN BYTE_ARRAY value of column `col` at `row`. */
static void check_value(int col, uint64_t row, const uint8_t *data, size_t len)
{
    if (col == 0) {
        msiz_geoparquet_box b;
        uint8_t wkb[MSIZ_WKB_BOX_BYTES];
        grid_box(row, &b);
        msiz_wkb_box(b.xmin, b.ymin, b.xmax, b.ymax, wkb);
        assert_int_equal(len, sizeof wkb);
        assert_memory_equal(data, wkb, sizeof wkb);
    } else {
        char id[32];
        snprintf(id, sizeof id, "%llu", (unsigned long long)row);
        assert_int_equal(len, strlen(id));
        assert_memory_equal(data, id, len);
    }
}

/* Walks the pages of one column from *pos; returns the page count. */
static size_t walk_column(const uint8_t *file, size_t size, size_t *pos, int col, uint64_t n_rows,
                          int pq_codec, size_t page_bytes)
{
    uint64_t row = 0;
    size_t pages = 0;
    do {
        reader r = {file + *pos, file + size};
        page_header h;
        read_page_header(&r, &h);
        assert_int_equal(h.type, 0);
        assert_int_equal(h.encoding, 0);
        assert_int_equal(h.def_enc, 3);
        assert_int_equal(h.rep_enc, 3);
        assert_true(r.p + h.csize <= r.end);
        /* a page holds at most page_bytes, or one value when a value alone exceeds it */
        assert_true((size_t)h.usize <= page_bytes || h.num_values == 1);
        uint8_t *body = decompress(pq_codec, r.p, (size_t)h.csize, (size_t)h.usize);
        size_t off = 0;
        for (int32_t v = 0; v < h.num_values; v++, row++) {
            assert_true(off + 4 <= (size_t)h.usize);
            uint32_t len = (uint32_t)body[off] | (uint32_t)body[off + 1] << 8 |
                           (uint32_t)body[off + 2] << 16 | (uint32_t)body[off + 3] << 24;
            assert_true(off + 4 + len <= (size_t)h.usize);
            check_value(col, row, body + off + 4, len);
            off += 4 + len;
        }
        assert_int_equal(off, (size_t)h.usize);
        free(body);
        *pos = (size_t)(r.p - file) + (size_t)h.csize;
        pages++;
    } while (row < n_rows);
    assert_int_equal(row, n_rows);
    return pages;
}

/* Writes n_rows grid rows, then walks both columns and the tail; returns the pages seen. */
static size_t write_and_walk(msiz_parquet_codec codec, int pq_codec, uint64_t n_rows,
                             size_t page_bytes)
{
    char path[128];
    temp_path(path, sizeof path, "walk.parquet");
    msiz_geoparquet_opts o;
    msiz_geoparquet_opts_init(&o);
    o.codec = codec;
    o.page_bytes = page_bytes;
    grid_ctx ctx = make_ctx(n_rows);
    assert_int_equal(msiz_geoparquet_write_boxes(path, n_rows, grid_row, &ctx, &o), MSIZ_OK);
    assert_int_equal(ctx.calls, 2 * n_rows);
    size_t size = 0, pos = 4;
    uint8_t *file = slurp(path, &size);
    assert_true(size >= 12);
    assert_memory_equal(file, "PAR1", 4);
    assert_memory_equal(file + size - 4, "PAR1", 4);
    size_t pages = walk_column(file, size, &pos, 0, n_rows, pq_codec, page_bytes);
    pages += walk_column(file, size, &pos, 1, n_rows, pq_codec, page_bytes);
    uint32_t footer = (uint32_t)file[size - 8] | (uint32_t)file[size - 7] << 8 |
                      (uint32_t)file[size - 6] << 16 | (uint32_t)file[size - 5] << 24;
    assert_int_equal(pos + footer + 8, size); /* the footer follows the last page */
    assert_non_null(memmem(file + pos, footer, "instance_id", 11));
    assert_non_null(memmem(file + pos, footer, "\"primary_column\"", 16));
    free(file);
    return pages;
}

/* ---- Thrift compact --------------------------------------------------------------------- */

static void test_varint(void **state)
{
    (void)state;
    msiz_tc_writer w;
    msiz_tc_init(&w, 1024);
    msiz_tc_varint(&w, 300);
    assert_bytes(&w, 0xac, 0x02);
    msiz_tc_reset(&w);
    msiz_tc_varint(&w, 0);
    msiz_tc_varint(&w, 127);
    msiz_tc_varint(&w, 128);
    assert_bytes(&w, 0x00, 0x7f, 0x80, 0x01);
    msiz_tc_reset(&w);
    msiz_tc_varint(&w, UINT64_MAX);
    assert_bytes(&w, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01);
    assert_int_equal(msiz_tc_status(&w), MSIZ_OK);
    msiz_tc_destroy(&w);
}

static void test_zigzag(void **state)
{
    (void)state;
    assert_int_equal(msiz_tc_zigzag(0), 0);
    assert_int_equal(msiz_tc_zigzag(-1), 1);
    assert_int_equal(msiz_tc_zigzag(1), 2);
    assert_int_equal(msiz_tc_zigzag(-2), 3);
    assert_int_equal(msiz_tc_zigzag(150), 300);
    assert_true(msiz_tc_zigzag(INT64_MAX) == UINT64_MAX - 1);
    assert_true(msiz_tc_zigzag(INT64_MIN) == UINT64_MAX);
    msiz_tc_writer w;
    msiz_tc_init(&w, 64);
    msiz_tc_i32(&w, -1);
    msiz_tc_i64(&w, -150);
    assert_bytes(&w, 0x01, 0xab, 0x02);
    msiz_tc_destroy(&w);
}

static void test_field_header_deltas(void **state)
{
    (void)state;
    msiz_tc_writer w;
    msiz_tc_init(&w, 64);
    msiz_tc_struct_begin(&w);
    msiz_tc_field_i32(&w, 1, 5);  /* delta 1: 0x15 */
    msiz_tc_field_i32(&w, 3, 1);  /* delta 2: 0x25 */
    msiz_tc_field_i32(&w, 18, 0); /* delta 15: still short, 0xf5 */
    msiz_tc_field_i32(&w, 34, 0); /* delta 16: long form, type then zigzag(34) = 68 */
    msiz_tc_field_i32(&w, 2, 7);  /* going down: long form */
    msiz_tc_field_i64(&w, 3, -1); /* delta from 2 = 1 again */
    msiz_tc_field_i16(&w, 4, -3); /* i16: zigzag 5 */
    msiz_tc_struct_end(&w);
    assert_bytes(&w, 0x15, 0x0a, 0x25, 0x02, 0xf5, 0x00, 0x05, 0x44, 0x00, 0x05, 0x04, 0x0e, 0x16,
                 0x01, 0x14, 0x05, 0x00);
    assert_int_equal(msiz_tc_status(&w), MSIZ_OK);
    msiz_tc_destroy(&w);
}

static void test_long_field_ids(void **state)
{
    (void)state;
    msiz_tc_writer w;
    msiz_tc_init(&w, 64);
    msiz_tc_struct_begin(&w);
    msiz_tc_field_i64(&w, 300, 1); /* zigzag(300) = 600 = 0xd8 0x04 */
    msiz_tc_field_i32(&w, 32767, 2);
    msiz_tc_field_bool(&w, -1, 1); /* negative id: zigzag 1 */
    msiz_tc_struct_end(&w);
    assert_bytes(&w, 0x06, 0xd8, 0x04, 0x02, 0x05, 0xfe, 0xff, 0x03, 0x04, 0x01, 0x01, 0x00);
    msiz_tc_destroy(&w);
}

static void test_bools(void **state)
{
    (void)state;
    msiz_tc_writer w;
    msiz_tc_init(&w, 64);
    msiz_tc_struct_begin(&w);
    msiz_tc_field_bool(&w, 1, 1);
    msiz_tc_field_bool(&w, 2, 0);
    msiz_tc_field_bool(&w, 20, 1);
    msiz_tc_struct_end(&w);
    assert_bytes(&w, 0x11, 0x12, 0x01, 0x28, 0x00);
    msiz_tc_destroy(&w);
}

static void test_lists(void **state)
{
    (void)state;
    msiz_tc_writer w;
    msiz_tc_init(&w, 256);
    msiz_tc_struct_begin(&w);
    msiz_tc_field_list_begin(&w, 1, MSIZ_TC_I32, 3);
    msiz_tc_i32(&w, 1);
    msiz_tc_i32(&w, 2);
    msiz_tc_i32(&w, 3);
    msiz_tc_field_list_begin(&w, 2, MSIZ_TC_BINARY, 0);
    msiz_tc_struct_end(&w);
    assert_bytes(&w, 0x19, 0x35, 0x02, 0x04, 0x06, 0x19, 0x08, 0x00);
    /* 14 elements keep the short header; 15 and 300 use 0xF_ and a varint size */
    msiz_tc_reset(&w);
    msiz_tc_list_header(&w, MSIZ_TC_I32, 14);
    msiz_tc_list_header(&w, MSIZ_TC_BINARY, 15);
    msiz_tc_list_header(&w, MSIZ_TC_STRUCT, 300);
    assert_bytes(&w, 0xe5, 0xf8, 0x0f, 0xfc, 0xac, 0x02);
    msiz_tc_destroy(&w);
}

static void test_nested_structs(void **state)
{
    (void)state;
    msiz_tc_writer w;
    msiz_tc_init(&w, 256);
    msiz_tc_struct_begin(&w);
    msiz_tc_field_i32(&w, 1, 1);
    msiz_tc_field_struct_begin(&w, 2); /* inner ids restart at 0 */
    msiz_tc_field_i32(&w, 1, 2);
    msiz_tc_field_i32(&w, 5, 3);
    msiz_tc_struct_end(&w);
    msiz_tc_field_i32(&w, 3, 4);                        /* outer delta continues from 2 */
    msiz_tc_field_list_begin(&w, 4, MSIZ_TC_STRUCT, 2); /* list of structs */
    for (int i = 0; i < 2; i++) {
        msiz_tc_struct_begin(&w);
        msiz_tc_field_i32(&w, 1, i);
        msiz_tc_struct_end(&w);
    }
    msiz_tc_field_struct_begin(&w, 5); /* empty struct (as Parquet's StringType) */
    msiz_tc_struct_end(&w);
    msiz_tc_struct_end(&w);
    assert_bytes(&w, 0x15, 0x02, 0x1c, 0x15, 0x04, 0x45, 0x06, 0x00, 0x15, 0x08, 0x19, 0x2c, 0x15,
                 0x00, 0x00, 0x15, 0x02, 0x00, 0x1c, 0x00, 0x00);
    assert_int_equal(msiz_tc_status(&w), MSIZ_OK);
    msiz_tc_destroy(&w);
}

static void test_binary(void **state)
{
    (void)state;
    msiz_tc_writer w;
    msiz_tc_init(&w, 256);
    msiz_tc_struct_begin(&w);
    msiz_tc_field_string(&w, 1, "abc");
    msiz_tc_field_binary(&w, 2, "", 0);
    msiz_tc_struct_end(&w);
    assert_bytes(&w, 0x18, 0x03, 'a', 'b', 'c', 0x18, 0x00, 0x00);
    msiz_tc_destroy(&w);
}

static void test_thrift_errors(void **state)
{
    (void)state;
    msiz_tc_writer w;
    msiz_tc_init(&w, 4); /* cap reached */
    msiz_tc_struct_begin(&w);
    msiz_tc_field_string(&w, 1, "abcdef");
    msiz_tc_field_i32(&w, 2, 1); /* ignored after the error */
    msiz_tc_struct_end(&w);
    assert_int_equal(msiz_tc_status(&w), MSIZ_E_LIMIT);
    assert_int_equal(w.len, 2); /* header + length written, bytes refused */
    msiz_tc_reset(&w);
    msiz_tc_struct_begin(&w); /* left open */
    assert_int_equal(msiz_tc_status(&w), MSIZ_E_STATE);
    msiz_tc_reset(&w);
    msiz_tc_struct_end(&w); /* unbalanced */
    assert_int_equal(msiz_tc_status(&w), MSIZ_E_STATE);
    msiz_tc_reset(&w);
    msiz_tc_field_i32(&w, 1, 1); /* field outside a struct */
    assert_int_equal(msiz_tc_status(&w), MSIZ_E_STATE);
    msiz_tc_destroy(&w);
    msiz_tc_init(&w, 1024);
    for (int i = 0; i <= MSIZ_TC_MAX_DEPTH; i++)
        msiz_tc_struct_begin(&w);
    assert_int_equal(msiz_tc_status(&w), MSIZ_E_STATE);
    assert_non_null(strstr(msiz_last_error(), "nested"));
    msiz_tc_destroy(&w);
}

/* ---- Parquet structures ----------------------------------------------------------------- */

static void test_page_header_bytes(void **state)
{
    (void)state;
    msiz_tc_writer w;
    msiz_tc_init(&w, 256);
    msiz_pq_encode_page_header(&w, 100, 50, 3);
    /* type 0, usize 100 (zigzag 200), csize 50 (100), DataPageHeader{3 values, PLAIN, RLE, RLE} */
    assert_bytes(&w, 0x15, 0x00, 0x15, 0xc8, 0x01, 0x15, 0x64, 0x2c, 0x15, 0x06, 0x15, 0x00, 0x15,
                 0x06, 0x15, 0x06, 0x00, 0x00);
    msiz_tc_destroy(&w);
}

static void test_wkb_box(void **state)
{
    (void)state;
    /* shapely.box(-1.25, 2.5, 1.25, 5.0).wkb (shapely 2.2.0) */
    static const uint8_t expect[MSIZ_WKB_BOX_BYTES] = {
        0x01, 0x03, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0xf4, 0x3f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04,
        0x40, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf4, 0x3f, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x14, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf4, 0xbf, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x14, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf4, 0xbf, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf4,
        0x3f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x40};
    uint8_t got[MSIZ_WKB_BOX_BYTES];
    msiz_wkb_box(-1.25, 2.5, 1.25, 5.0, got);
    assert_memory_equal(got, expect, sizeof expect);
}

static void test_metadata_json(void **state)
{
    (void)state;
    char *geo = NULL, *pandas = NULL;
    const double bbox[4] = {-1.25, -1.25, 16.25, 0.1};
    assert_int_equal(msiz_geo_metadata_json(bbox, "1.2.0", &geo), MSIZ_OK);
    assert_string_equal(geo, "{\"primary_column\": \"geometry\", \"version\": \"1.0.0\", "
                             "\"columns\": {\"geometry\": {\"encoding\": \"WKB\", \"crs\": null, "
                             "\"geometry_types\": [\"Polygon\"], \"bbox\": [-1.25, -1.25, 16.25, "
                             "0.10000000000000001]}}, \"creator\": {\"library\": \"geopandas\", "
                             "\"version\": \"1.2.0\"}}");
    free(geo);
    assert_int_equal(msiz_geo_metadata_json(NULL, "9", &geo), MSIZ_OK);
    assert_null(strstr(geo, "bbox"));
    assert_non_null(strstr(geo, "\"version\": \"9\"}}"));
    free(geo);
    assert_int_equal(msiz_pandas_metadata_json(&pandas), MSIZ_OK);
    assert_string_equal(
        pandas, "{\"index_columns\": [\"instance_id\"], \"column_indexes\": [], "
                "\"columns\": [{\"name\": \"geometry\", \"field_name\": \"geometry\", "
                "\"pandas_type\": \"bytes\", \"numpy_type\": \"object\", \"metadata\": null}, "
                "{\"name\": \"instance_id\", \"field_name\": \"instance_id\", \"pandas_type\": "
                "\"unicode\", \"numpy_type\": \"object\", \"metadata\": null}]}");
    free(pandas);
}

static void test_pages_read_back(void **state)
{
    (void)state;
    static const struct {
        msiz_parquet_codec codec;
        int pq;
    } codecs[] = {{MSIZ_PARQUET_UNCOMPRESSED, MSIZ_PQ_UNCOMPRESSED},
                  {MSIZ_PARQUET_SNAPPY, MSIZ_PQ_SNAPPY},
                  {MSIZ_PARQUET_ZSTD, MSIZ_PQ_ZSTD},
                  {MSIZ_PARQUET_GZIP, MSIZ_PQ_GZIP}};
    for (size_t i = 0; i < sizeof codecs / sizeof codecs[0]; i++) {
        /* 97 bytes per geometry value: 10 per 1000-byte page -> 50 pages; ids "0".."499"
         * (3390 bytes) pack greedily into 158 + 142 + 142 + 58 values -> 4 pages */
        assert_int_equal(write_and_walk(codecs[i].codec, codecs[i].pq, 500, 1000), 50 + 4);
        assert_int_equal(write_and_walk(codecs[i].codec, codecs[i].pq, 1, 1 << 20), 2);
        assert_int_equal(write_and_walk(codecs[i].codec, codecs[i].pq, 0, 1 << 20), 2);
        /* page smaller than one value: one value per page */
        assert_int_equal(write_and_walk(codecs[i].codec, codecs[i].pq, 5, 1), 10);
    }
}

/* ---- writer errors ---------------------------------------------------------------------- */

static void test_alloc_failure_loop(void **state)
{
    (void)state;
    const msiz_parquet_codec codecs[] = {MSIZ_PARQUET_UNCOMPRESSED, MSIZ_PARQUET_SNAPPY,
                                         MSIZ_PARQUET_ZSTD, MSIZ_PARQUET_GZIP};
    char path[128];
    temp_path(path, sizeof path, "alloc.parquet");
    for (size_t c = 0; c < 4; c++) {
        msiz_geoparquet_opts o;
        msiz_geoparquet_opts_init(&o);
        o.codec = codecs[c];
        o.page_bytes = 300;
        long n = 0;
        for (;; n++) {
            assert_true(n < 10000);
            grid_ctx ctx = make_ctx(40);
            msiz_alloc_fail_after(n);
            msiz_status s = msiz_geoparquet_write_boxes(path, 40, grid_row, &ctx, &o);
            msiz_alloc_fail_after(-1);
            if (s == MSIZ_OK)
                break;
            assert_int_equal(s, MSIZ_E_NOMEM);
            assert_int_equal(access(path, F_OK), -1); /* partial file removed */
        }
        assert_true(n >= 5); /* the loop did exercise failures */
        assert_int_equal(access(path, F_OK), 0);
        unlink(path);
    }
}

static void test_callback_error_propagates(void **state)
{
    (void)state;
    char path[128];
    temp_path(path, sizeof path, "cb.parquet");
    grid_ctx ctx = make_ctx(10);
    ctx.fail_row = 6;
    assert_int_equal(msiz_geoparquet_write_boxes(path, 10, grid_row, &ctx, NULL), MSIZ_E_FORMAT);
    assert_non_null(strstr(msiz_last_error(), path));
    assert_non_null(strstr(msiz_last_error(), "row 6: boom at 6"));
    assert_int_equal(ctx.calls, 7); /* stopped at the failing row */
    assert_int_equal(access(path, F_OK), -1);
}

static void test_unwritable_path(void **state)
{
    (void)state;
    char path[128];
    temp_path(path, sizeof path, "missing_dir/x.parquet");
    grid_ctx ctx = make_ctx(3);
    assert_int_equal(msiz_geoparquet_write_boxes(path, 3, grid_row, &ctx, NULL), MSIZ_E_IO);
    assert_non_null(strstr(msiz_last_error(), path));
    assert_int_equal(ctx.calls, 0);
}

static void test_invalid_rows(void **state)
{
    (void)state;
    static const struct {
        int mode;
        msiz_status status;
        const char *text;
    } cases[] = {{1, MSIZ_E_ARG, "row 3: box has a non-finite coordinate"},
                 {2, MSIZ_E_ARG, "row 3: index string longer than 255 bytes"},
                 {3, MSIZ_E_ARG, "row 3: index string is not valid UTF-8"},
                 {4, MSIZ_E_ARG, "row 3: row callback returned 1"}};
    char path[128];
    temp_path(path, sizeof path, "bad.parquet");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        grid_ctx ctx = make_ctx(8);
        ctx.mode = cases[i].mode;
        assert_int_equal(msiz_geoparquet_write_boxes(path, 8, grid_row, &ctx, NULL),
                         cases[i].status);
        assert_non_null(strstr(msiz_last_error(), cases[i].text));
        assert_int_equal(access(path, F_OK), -1);
    }
}

static void test_bad_options(void **state)
{
    (void)state;
    char path[128];
    temp_path(path, sizeof path, "opts.parquet");
    msiz_geoparquet_opts o;
    grid_ctx ctx = make_ctx(0);
    msiz_geoparquet_opts_init(&o);
    o.page_bytes = 0;
    assert_int_equal(msiz_geoparquet_write_boxes(path, 1, grid_row, &ctx, &o), MSIZ_E_ARG);
    o.page_bytes = MSIZ_PQ_MAX_PAGE_BYTES + 1;
    assert_int_equal(msiz_geoparquet_write_boxes(path, 1, grid_row, &ctx, &o), MSIZ_E_ARG);
    msiz_geoparquet_opts_init(&o);
    o.level = 99;
    assert_int_equal(msiz_geoparquet_write_boxes(path, 1, grid_row, &ctx, &o), MSIZ_E_ARG);
    assert_non_null(strstr(msiz_last_error(), "snappy takes no level (got 99)"));
    o.codec = MSIZ_PARQUET_ZSTD;
    assert_int_equal(msiz_geoparquet_write_boxes(path, 1, grid_row, &ctx, &o), MSIZ_E_ARG);
    assert_non_null(strstr(msiz_last_error(), "zstd level 99"));
    o.codec = MSIZ_PARQUET_GZIP;
    assert_int_equal(msiz_geoparquet_write_boxes(path, 1, grid_row, &ctx, &o), MSIZ_E_ARG);
    o.codec = (msiz_parquet_codec)77;
    assert_int_equal(msiz_geoparquet_write_boxes(path, 1, grid_row, &ctx, &o), MSIZ_E_ARG);
    assert_int_equal(msiz_geoparquet_write_boxes(path, 1, NULL, &ctx, NULL), MSIZ_E_ARG);
    assert_int_equal(msiz_geoparquet_write_boxes(NULL, 1, grid_row, &ctx, NULL), MSIZ_E_ARG);
    assert_int_equal(ctx.calls, 0);
    assert_int_equal(access(path, F_OK), -1);
}

static void test_writer_call_order(void **state)
{
    (void)state;
    char path[128];
    temp_path(path, sizeof path, "order.parquet");
    const msiz_pq_column_spec cols[2] = {{"a", 0}, {"b", 1}};
    msiz_pq_writer_opts o;
    msiz_pq_writer *w = NULL;
    msiz_pq_writer_opts_init(&o);
    assert_int_equal(msiz_pq_writer_open(path, cols, 2, &o, &w), MSIZ_OK);
    assert_int_equal(msiz_pq_column_begin(w, 1), MSIZ_E_STATE); /* out of order; sticky */
    assert_int_equal(msiz_pq_column_begin(w, 0), MSIZ_E_STATE);
    assert_int_equal(msiz_pq_append(w, "x", 1), MSIZ_E_STATE);
    msiz_pq_writer_free(w);
    assert_int_equal(access(path, F_OK), -1); /* unfinished: removed */

    assert_int_equal(msiz_pq_writer_open(path, cols, 2, &o, &w), MSIZ_OK);
    assert_int_equal(msiz_pq_column_begin(w, 0), MSIZ_OK);
    assert_int_equal(msiz_pq_append(w, "x", 1), MSIZ_OK);
    assert_int_equal(msiz_pq_column_end(w), MSIZ_OK);
    assert_int_equal(msiz_pq_column_begin(w, 1), MSIZ_OK);
    assert_int_equal(msiz_pq_column_end(w), MSIZ_OK);
    assert_int_equal(msiz_pq_writer_finish(w, NULL, 0), MSIZ_E_STATE); /* 1 vs 0 values */
    assert_non_null(strstr(msiz_last_error(), "column b has 0 values, column a 1"));
    msiz_pq_writer_free(w);
    assert_int_equal(access(path, F_OK), -1);

    assert_int_equal(msiz_pq_writer_open(path, cols, 0, &o, &w), MSIZ_E_ARG);
    assert_null(w);
    msiz_pq_writer_free(NULL);
}

static void test_codec_levels_and_names(void **state)
{
    (void)state;
    msiz_pq_compressor c;
    assert_int_equal(msiz_pq_compressor_init(&c, MSIZ_PARQUET_ZSTD, 5), MSIZ_OK);
    assert_int_equal(c.pq_codec, MSIZ_PQ_ZSTD);
    assert_int_equal(c.level, 5);
    msiz_pq_compressor_destroy(&c);
    assert_int_equal(msiz_pq_compressor_init(&c, MSIZ_PARQUET_ZSTD, 0), MSIZ_OK);
    assert_int_equal(c.level, ZSTD_CLEVEL_DEFAULT);
    msiz_pq_compressor_destroy(&c);
    assert_int_equal(msiz_pq_compressor_init(&c, MSIZ_PARQUET_GZIP, MSIZ_LEVEL_DEFAULT), MSIZ_OK);
    assert_int_equal(c.level, 6);
    msiz_pq_compressor_destroy(&c);
    assert_int_equal(msiz_pq_compressor_init(&c, MSIZ_PARQUET_SNAPPY, MSIZ_LEVEL_DEFAULT), MSIZ_OK);
    assert_int_equal(c.pq_codec, MSIZ_PQ_SNAPPY);
    assert_true(msiz_pq_compress_bound(&c, 1000) >= 1000);
    msiz_pq_compressor_destroy(&c);
    assert_int_equal(msiz_pq_compressor_init(&c, MSIZ_PARQUET_UNCOMPRESSED, 3), MSIZ_E_ARG);

    static const char *const names[] = {"snappy", "zstd", "gzip", "none"};
    for (size_t i = 0; i < 4; i++) {
        msiz_parquet_codec codec = (msiz_parquet_codec)99;
        assert_int_equal(msiz_parquet_codec_parse(names[i], &codec), MSIZ_OK);
        assert_string_equal(msiz_parquet_codec_name(codec), names[i]);
    }
    msiz_parquet_codec codec = MSIZ_PARQUET_SNAPPY;
    assert_int_equal(msiz_parquet_codec_parse("lz4", &codec), MSIZ_E_ARG);
    assert_non_null(strstr(msiz_last_error(), "'lz4' (snappy, zstd, gzip or none)"));
    assert_int_equal(msiz_parquet_codec_parse(NULL, &codec), MSIZ_E_ARG);
    assert_int_equal(codec, MSIZ_PARQUET_SNAPPY);
    assert_string_equal(msiz_parquet_codec_name((msiz_parquet_codec)5), "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_varint),
        cmocka_unit_test(test_zigzag),
        cmocka_unit_test(test_field_header_deltas),
        cmocka_unit_test(test_long_field_ids),
        cmocka_unit_test(test_bools),
        cmocka_unit_test(test_lists),
        cmocka_unit_test(test_nested_structs),
        cmocka_unit_test(test_binary),
        cmocka_unit_test(test_thrift_errors),
        cmocka_unit_test(test_page_header_bytes),
        cmocka_unit_test(test_wkb_box),
        cmocka_unit_test(test_metadata_json),
        cmocka_unit_test(test_pages_read_back),
        cmocka_unit_test(test_alloc_failure_loop),
        cmocka_unit_test(test_callback_error_propagates),
        cmocka_unit_test(test_unwritable_path),
        cmocka_unit_test(test_invalid_rows),
        cmocka_unit_test(test_bad_options),
        cmocka_unit_test(test_writer_call_order),
        cmocka_unit_test(test_codec_levels_and_names),
    };
    return cmocka_run_group_tests(tests, make_dir, remove_dir);
}
