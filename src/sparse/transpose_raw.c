/* The transpose's small-budget path: full buffers are appended unsorted (row order) to one
 * spill file; at the end the file is distributed into column-range files, recursively, until a
 * range fits the budget, and each range is counting-sorted straight from its file. Used when
 * runs would be too short to pay for their per-column offsets (transpose.c). */
#include <string.h>

#include "common/alloc.h"
#include "common/error.h"
#include "sparse/transpose_internal.h"

#define MAX_FANOUT       64
#define READ_BLOCK       ((size_t)4096)
#define MIN_WRITE_BUFFER ((size_t)4096)
#define RAW_WRITE_BUFFER ((size_t)64 << 10) /* the buffer's blocks are 4 KiB */

typedef msiz_tr_entry entry;
typedef msiz_spill_file spill_file;

static uint64_t entries_in(const spill_file *f)
{
    return msiz_spill_file_size(f) / sizeof(entry);
}

msiz_status msiz_transpose_spill_raw(msiz_transpose *t)
{
    if (!t->file) {
        msiz_status status =
            msiz_spill_file_open(t->spill, "transpose-raw", RAW_WRITE_BUFFER, &t->file);
        if (status < 0)
            return status;
    }
    msiz_status status = msiz_tr_buffer_write(&t->buf, t->file, t->counts);
    t->spilled_bytes += t->buf.n * sizeof(entry);
    msiz_tr_buffer_clear(&t->buf);
    return status;
}

/* Entries of a range sorted at once from its file: 12 bytes each, after the read block. */
static uint64_t file_cap(const msiz_transpose *t)
{
    size_t reserve = READ_BLOCK * sizeof(entry) + 8 * (size_t)(t->n_cols + 1);
    return t->budget > reserve + 12 * 1024 ? (t->budget - reserve) / 12 : 1024;
}

/* Sorts a range straight from its file, READ_BLOCK entries at a time. */
static msiz_status sort_emit_file(msiz_transpose *t, spill_file *in, uint64_t lo, uint64_t hi,
                                  msiz_column_fn fn, void *ctx)
{
    msiz_sorter so = {0};
    uint64_t written = entries_in(in);
    entry *buf = msiz_malloc(READ_BLOCK * sizeof *buf);
    msiz_status status = buf ? msiz_sorter_init(t, &so, (size_t)written, lo, hi)
                             : msiz_fail(MSIZ_E_NOMEM, "out of memory reading spilled entries");
    for (uint64_t off = 0; status == MSIZ_OK && off < written; off += READ_BLOCK) {
        size_t count = (size_t)(written - off < READ_BLOCK ? written - off : READ_BLOCK);
        status = msiz_spill_file_read(in, buf, count * sizeof *buf, off * sizeof *buf);
        for (size_t i = 0; status == MSIZ_OK && i < count; i++)
            msiz_sorter_put(&so, buf[i].col, (int32_t)buf[i].row, buf[i].val);
    }
    if (status == MSIZ_OK)
        status = msiz_sorter_emit(t, &so, fn, ctx);
    msiz_free(buf);
    msiz_sorter_free(&so);
    return status;
}

/* Splits [lo, hi) into consecutive ranges of about `target` entries; returns their count and
 * the boundaries bounds[0..k] (bounds[0] = lo, bounds[k] = hi). */
static size_t split_ranges(const msiz_transpose *t, uint64_t lo, uint64_t hi, uint64_t target,
                           uint64_t *bounds)
{
    size_t k = 0;
    uint64_t acc = 0;
    bounds[0] = lo;
    for (uint64_t c = lo; c < hi; c++) {
        if (acc > 0 && acc + t->counts[c] > target && k + 1 < MAX_FANOUT) {
            bounds[++k] = c;
            acc = 0;
        }
        acc += t->counts[c];
    }
    bounds[++k] = hi;
    return k;
}

static size_t range_of(const uint64_t *bounds, size_t k, uint32_t col)
{
    size_t a = 0, b = k; /* bounds[a] <= col < bounds[b] */
    while (b - a > 1) {
        size_t m = (a + b) / 2;
        if (col >= bounds[m])
            a = m;
        else
            b = m;
    }
    return a;
}

/* Routes the entries of `in` into k range files, in file order (so rows stay ascending). */
static msiz_status distribute(msiz_transpose *t, spill_file *in, const uint64_t *bounds, size_t k,
                              spill_file **outs)
{
    msiz_status status = MSIZ_OK;
    size_t write_entries = t->budget / 2 / k / sizeof(entry);
    if (write_entries * sizeof(entry) < MIN_WRITE_BUFFER)
        write_entries = MIN_WRITE_BUFFER / sizeof(entry);
    size_t read_entries = t->budget / 4 / sizeof(entry);
    entry *chunk = msiz_malloc(read_entries * sizeof *chunk);
    MSIZ_FAIL_IF(!chunk, MSIZ_E_NOMEM, "out of memory distributing spilled entries");
    uint64_t written = entries_in(in);
    for (size_t i = 0; i < k; i++)
        MSIZ_TRY(msiz_spill_file_open(t->spill, "transpose-range", write_entries * sizeof(entry),
                                      &outs[i]));
    for (uint64_t off = 0; off < written; off += read_entries) {
        size_t count = (size_t)(written - off < read_entries ? written - off : read_entries);
        MSIZ_TRY(msiz_spill_file_read(in, chunk, count * sizeof *chunk, off * sizeof *chunk));
        for (size_t i = 0; i < count; i++)
            MSIZ_TRY(msiz_spill_file_put(outs[range_of(bounds, k, chunk[i].col)], &chunk[i],
                                         sizeof *chunk));
    }
    /* the write buffers go before the ranges are processed */
    for (size_t i = 0; i < k; i++)
        MSIZ_TRY(msiz_spill_file_seal(outs[i]));
cleanup:
    msiz_free(chunk);
    return status;
}

static msiz_status process_range(msiz_transpose *t, spill_file *in, uint64_t lo, uint64_t hi,
                                 msiz_column_fn fn, void *ctx);

static msiz_status split_and_recurse(msiz_transpose *t, spill_file *in, uint64_t lo, uint64_t hi,
                                     msiz_column_fn fn, void *ctx)
{
    msiz_status status = MSIZ_OK;
    uint64_t bounds[MAX_FANOUT + 1];
    spill_file *outs[MAX_FANOUT] = {NULL};
    uint64_t target = file_cap(t);
    if (entries_in(in) / MAX_FANOUT + 1 > target)
        target = entries_in(in) / MAX_FANOUT + 1;
    size_t k = split_ranges(t, lo, hi, target, bounds);
    if (k == 1) /* one non-empty column, between empty ones: nothing to split */
        return sort_emit_file(t, in, lo, hi, fn, ctx);
    MSIZ_TRY(distribute(t, in, bounds, k, outs));
    for (size_t i = 0; i < k; i++) {
        MSIZ_TRY(process_range(t, outs[i], bounds[i], bounds[i + 1], fn, ctx));
        msiz_spill_file_close(outs[i]);
        outs[i] = NULL;
    }
cleanup:
    for (size_t i = 0; i < k; i++)
        msiz_spill_file_close(outs[i]);
    return status;
}

static msiz_status process_range(msiz_transpose *t, spill_file *in, uint64_t lo, uint64_t hi,
                                 msiz_column_fn fn, void *ctx)
{
    /* a single column is sorted whatever its size: one column never exceeds n_rows entries */
    if (entries_in(in) <= file_cap(t) || hi - lo == 1)
        return sort_emit_file(t, in, lo, hi, fn, ctx);
    return split_and_recurse(t, in, lo, hi, fn, ctx);
}

msiz_status msiz_transpose_emit_raw(msiz_transpose *t, msiz_column_fn fn, void *ctx)
{
    msiz_status status = t->buf.n ? msiz_transpose_spill_raw(t) : MSIZ_OK;
    msiz_tr_buffer_release(&t->buf); /* give the buffer back before the distribution passes */
    if (status == MSIZ_OK)
        status = msiz_spill_file_seal(t->file); /* and its write buffer */
    if (status < 0)
        return status;
    return process_range(t, t->file, 0, t->n_cols, fn, ctx);
}
