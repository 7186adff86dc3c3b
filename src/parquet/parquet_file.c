#include "parquet/parquet_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/endian.h"
#include "common/error.h"
#include "io/fs.h"
#include "parquet/page_codec.h"

#define PQ_MAGIC          "PAR1"
#define PQ_META_MAX_BYTES ((size_t)64 << 20)

struct msiz_pq_writer {
    char *path;
    int fd;
    uint64_t offset; /* bytes written so far */
    size_t page_bytes;
    char *created_by;
    msiz_pq_compressor comp;
    msiz_tc_writer tc; /* page headers and the footer */
    size_t n_cols;
    char *names[MSIZ_PQ_MAX_COLUMNS];
    msiz_pq_chunk_meta cols[MSIZ_PQ_MAX_COLUMNS];
    size_t next_col; /* next column to begin */
    int in_column;
    uint64_t col_pages;
    uint8_t *page; /* PLAIN values of the open page */
    size_t page_len, page_cap;
    int32_t page_values;
    uint8_t *zbuf; /* compressed page */
    size_t zbuf_cap;
    int created; /* the file exists (remove it unless finished) */
    int finished;
    msiz_status error; /* sticky */
};

void msiz_pq_writer_opts_init(msiz_pq_writer_opts *o)
{
    memset(o, 0, sizeof *o);
    o->codec = MSIZ_PARQUET_SNAPPY;
    o->level = MSIZ_LEVEL_DEFAULT;
    o->page_bytes = (size_t)1 << 20;
    o->created_by = NULL;
}

static msiz_status stick(msiz_pq_writer *w, msiz_status status)
{
    if (status < 0 && w->error == MSIZ_OK)
        w->error = status;
    return status;
}

static msiz_status check_open_args(const char *path, const msiz_pq_column_spec *cols, size_t n_cols,
                                   const msiz_pq_writer_opts *o)
{
    if (!path || !*path || !o)
        return msiz_fail(MSIZ_E_ARG, "parquet: missing output path or options");
    if (n_cols == 0 || n_cols > MSIZ_PQ_MAX_COLUMNS || !cols)
        return msiz_fail(MSIZ_E_ARG, "%s: %zu columns (1..%d allowed)", path, n_cols,
                         MSIZ_PQ_MAX_COLUMNS);
    if (o->page_bytes == 0 || o->page_bytes > MSIZ_PQ_MAX_PAGE_BYTES)
        return msiz_fail(MSIZ_E_ARG, "%s: page size %zu outside [1, %zu]", path, o->page_bytes,
                         MSIZ_PQ_MAX_PAGE_BYTES);
    for (size_t i = 0; i < n_cols; i++)
        if (!cols[i].name || !*cols[i].name)
            return msiz_fail(MSIZ_E_ARG, "%s: column %zu has no name", path, i);
    return MSIZ_OK;
}

static char *default_created_by(void)
{
    char text[64];
    snprintf(text, sizeof text, "msizarr version %s", msiz_version());
    return msiz_strdup(text);
}

static msiz_status copy_strings(msiz_pq_writer *w, const char *path,
                                const msiz_pq_column_spec *cols, const char *created_by)
{
    w->path = msiz_strdup(path);
    w->created_by = created_by ? msiz_strdup(created_by) : default_created_by();
    if (!w->path || !w->created_by)
        return msiz_fail(MSIZ_E_NOMEM, "%s: out of memory", path);
    for (size_t i = 0; i < w->n_cols; i++) {
        w->names[i] = msiz_strdup(cols[i].name);
        if (!w->names[i])
            return msiz_fail(MSIZ_E_NOMEM, "%s: out of memory", path);
        w->cols[i].name = w->names[i];
        w->cols[i].utf8 = cols[i].utf8 != 0;
        w->cols[i].pq_codec = w->comp.pq_codec;
    }
    return MSIZ_OK;
}

static msiz_status create_file(msiz_pq_writer *w)
{
    w->fd = open(w->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (w->fd < 0)
        return msiz_fail(MSIZ_E_IO, "%s: cannot create file: %s", w->path, strerror(errno));
    w->created = 1;
    w->offset = 4;
    return msiz_write_full(w->fd, w->path, PQ_MAGIC, 4);
}

msiz_status msiz_pq_writer_open(const char *path, const msiz_pq_column_spec *cols, size_t n_cols,
                                const msiz_pq_writer_opts *o, msiz_pq_writer **out)
{
    msiz_status status = MSIZ_OK;
    msiz_pq_writer *w = NULL;
    *out = NULL;
    MSIZ_TRY(check_open_args(path, cols, n_cols, o));
    w = msiz_calloc(1, sizeof *w);
    MSIZ_FAIL_IF(!w, MSIZ_E_NOMEM, "%s: out of memory", path);
    w->fd = -1;
    w->n_cols = n_cols;
    w->page_bytes = o->page_bytes;
    msiz_tc_init(&w->tc, PQ_META_MAX_BYTES);
    status = msiz_pq_compressor_init(&w->comp, o->codec, o->level);
    if (status < 0) {
        msiz_fail_context(status, "%s", path);
        goto cleanup;
    }
    MSIZ_TRY(copy_strings(w, path, cols, o->created_by));
    MSIZ_TRY(create_file(w));
    *out = w;
    w = NULL;
cleanup:
    msiz_pq_writer_free(w);
    return status;
}

msiz_status msiz_pq_column_begin(msiz_pq_writer *w, size_t col)
{
    if (w->error < 0)
        return w->error;
    if (w->in_column || w->finished || col != w->next_col || col >= w->n_cols)
        return stick(w, msiz_fail(MSIZ_E_STATE, "%s: column %zu begun out of order", w->path, col));
    w->in_column = 1;
    w->col_pages = 0;
    w->page_len = 0;
    w->page_values = 0;
    return MSIZ_OK;
}

static msiz_status compress_page(msiz_pq_writer *w, size_t *clen)
{
    if (w->comp.pq_codec == MSIZ_PQ_UNCOMPRESSED) {
        *clen = w->page_len;
        return MSIZ_OK;
    }
    size_t bound = msiz_pq_compress_bound(&w->comp, w->page_len);
    msiz_status status = msiz_grow((void **)&w->zbuf, &w->zbuf_cap, bound, 1, SIZE_MAX);
    if (status < 0)
        return msiz_fail_context(status, "%s: compressed page bytes", w->path);
    return msiz_pq_compress(&w->comp, w->page, w->page_len, w->zbuf, w->zbuf_cap, clen);
}

static msiz_status write_page(msiz_pq_writer *w)
{
    msiz_pq_chunk_meta *c = &w->cols[w->next_col];
    size_t clen = 0;
    msiz_status status = compress_page(w, &clen);
    if (status < 0)
        return status;
    if (clen > INT32_MAX || w->page_len > INT32_MAX)
        return msiz_fail(MSIZ_E_LIMIT, "%s: page of %zu bytes too large", w->path, clen);
    msiz_tc_reset(&w->tc);
    msiz_pq_encode_page_header(&w->tc, (int32_t)w->page_len, (int32_t)clen, w->page_values);
    if ((status = msiz_tc_status(&w->tc)) < 0)
        return msiz_fail_context(status, "%s", w->path);
    const void *body = w->comp.pq_codec == MSIZ_PQ_UNCOMPRESSED ? (void *)w->page : w->zbuf;
    if ((status = msiz_write_full(w->fd, w->path, w->tc.buf, w->tc.len)) < 0 ||
        (status = msiz_write_full(w->fd, w->path, body, clen)) < 0)
        return status;
    if (w->col_pages++ == 0)
        c->data_page_offset = (int64_t)w->offset;
    c->total_uncompressed += (int64_t)(w->tc.len + w->page_len);
    c->total_compressed += (int64_t)(w->tc.len + clen);
    w->offset += w->tc.len + clen;
    w->page_len = 0;
    w->page_values = 0;
    return MSIZ_OK;
}

msiz_status msiz_pq_append(msiz_pq_writer *w, const void *data, size_t len)
{
    if (w->error < 0)
        return w->error;
    if (!w->in_column)
        return stick(w, msiz_fail(MSIZ_E_STATE, "%s: append outside a column", w->path));
    if (len > MSIZ_PQ_MAX_VALUE_BYTES)
        return stick(w, msiz_fail(MSIZ_E_LIMIT, "%s: column %s: value of %zu bytes too large",
                                  w->path, w->names[w->next_col], len));
    if (w->page_len > 0 && (w->page_len + 4 + len > w->page_bytes || w->page_values == INT32_MAX)) {
        msiz_status status = write_page(w);
        if (status < 0)
            return stick(w, status);
    }
    msiz_status grown = msiz_grow((void **)&w->page, &w->page_cap, w->page_len + 4 + len, 1,
                                  w->page_bytes + 4 + MSIZ_PQ_MAX_VALUE_BYTES);
    if (grown < 0)
        return stick(w, msiz_fail_context(grown, "%s: page bytes", w->path));
    msiz_store_le32(w->page + w->page_len, (uint32_t)len);
    if (len > 0)
        memcpy(w->page + w->page_len + 4, data, len);
    w->page_len += 4 + len;
    w->page_values++;
    w->cols[w->next_col].num_values++;
    return MSIZ_OK;
}

msiz_status msiz_pq_column_end(msiz_pq_writer *w)
{
    if (w->error < 0)
        return w->error;
    if (!w->in_column)
        return stick(w, msiz_fail(MSIZ_E_STATE, "%s: column end without begin", w->path));
    if (w->page_values > 0 || w->col_pages == 0) {
        msiz_status status = write_page(w);
        if (status < 0)
            return stick(w, status);
    }
    w->in_column = 0;
    w->next_col++;
    return MSIZ_OK;
}

static msiz_status check_complete(const msiz_pq_writer *w)
{
    if (w->in_column || w->finished || w->next_col != w->n_cols)
        return msiz_fail(MSIZ_E_STATE, "%s: finish before all %zu columns were written", w->path,
                         w->n_cols);
    for (size_t i = 1; i < w->n_cols; i++)
        if (w->cols[i].num_values != w->cols[0].num_values)
            return msiz_fail(MSIZ_E_STATE, "%s: column %s has %lld values, column %s %lld", w->path,
                             w->names[i], (long long)w->cols[i].num_values, w->names[0],
                             (long long)w->cols[0].num_values);
    return MSIZ_OK;
}

static msiz_status write_footer(msiz_pq_writer *w, const msiz_pq_kv *kv, size_t n_kv)
{
    msiz_status status;
    uint8_t tail[8];
    msiz_tc_reset(&w->tc);
    msiz_pq_encode_footer(&w->tc, w->cols[0].num_values, 4, w->cols, w->n_cols, kv, n_kv,
                          w->created_by);
    if ((status = msiz_tc_status(&w->tc)) < 0)
        return msiz_fail_context(status, "%s", w->path);
    msiz_store_le32(tail, (uint32_t)w->tc.len);
    memcpy(tail + 4, PQ_MAGIC, 4);
    if ((status = msiz_write_full(w->fd, w->path, w->tc.buf, w->tc.len)) < 0 ||
        (status = msiz_write_full(w->fd, w->path, tail, sizeof tail)) < 0)
        return status;
    w->offset += w->tc.len + sizeof tail;
    return MSIZ_OK;
}

msiz_status msiz_pq_writer_finish(msiz_pq_writer *w, const msiz_pq_kv *kv, size_t n_kv)
{
    msiz_status status;
    if (w->error < 0)
        return w->error;
    if ((status = check_complete(w)) < 0 || (status = write_footer(w, kv, n_kv)) < 0)
        return stick(w, status);
    int rc = close(w->fd);
    w->fd = -1;
    if (rc != 0)
        return stick(w, msiz_fail(MSIZ_E_IO, "%s: close failed: %s", w->path, strerror(errno)));
    w->finished = 1;
    return MSIZ_OK;
}

void msiz_pq_writer_free(msiz_pq_writer *w)
{
    if (!w)
        return;
    if (w->fd >= 0)
        close(w->fd);
    if (w->created && !w->finished)
        unlink(w->path);
    msiz_pq_compressor_destroy(&w->comp);
    msiz_tc_destroy(&w->tc);
    for (size_t i = 0; i < w->n_cols; i++)
        msiz_free(w->names[i]);
    msiz_free(w->path);
    msiz_free(w->created_by);
    msiz_free(w->page);
    msiz_free(w->zbuf);
    msiz_free(w);
}
