/*
 * External-memory transpose (see transpose.h).
 *
 * In memory: entries (row, col, value) are buffered by column group in row order
 * (transpose_buffer.c); at the end a stable counting sort by column, group by group, gives every
 * column with its rows ascending.
 *
 * Spilled: whenever the buffer is full it is counting-sorted by column and appended to one spill
 * file as a run: the run's column prefix sums (u64[n_cols + 1]), its row ids (u32[n]) and its
 * values (f64[n]), in column order. Runs cover consecutive row ranges. At the end the columns
 * are emitted in blocks that fit the budget: for each block, each run's slice (contiguous
 * thanks to the sort) is read in run order, so rows stay ascending within every column. Every
 * entry is written once and read once.
 */
#include "sparse/transpose_internal.h"

#include <string.h>

#include "common/alloc.h"
#include "common/error.h"

#define MIN_BUDGET ((size_t)256 << 10)
#define READ_BLOCK ((size_t)8192) /* entries per read while emitting a block */

typedef msiz_tr_entry entry;
typedef msiz_tr_run run;
typedef msiz_sorter sorter;

/* ---- column sort of a set of entries, emitted column by column ---- */

void msiz_sorter_free(sorter *so)
{
    msiz_free(so->start);
    msiz_free(so->rows);
    msiz_free(so->vals);
}

msiz_status msiz_sorter_init(const msiz_transpose *t, sorter *so, size_t n, uint64_t lo,
                             uint64_t hi)
{
    so->lo = lo;
    so->span = hi - lo;
    so->start = msiz_malloc((so->span + 1) * sizeof *so->start);
    so->rows = msiz_malloc((n ? n : 1) * sizeof *so->rows);
    so->vals = msiz_malloc((n ? n : 1) * sizeof *so->vals);
    if (!so->start || !so->rows || !so->vals)
        return msiz_fail(MSIZ_E_NOMEM, "out of memory sorting %zu entries", n);
    so->start[0] = 0;
    for (uint64_t c = 0; c < so->span; c++)
        so->start[c + 1] = so->start[c] + t->counts[lo + c];
    if (so->start[so->span] != n)
        return msiz_fail(MSIZ_E_STATE, "transpose: %zu entries, counts say %llu", n,
                         (unsigned long long)so->start[so->span]);
    return MSIZ_OK;
}

msiz_status msiz_sorter_emit(const msiz_transpose *t, sorter *so, msiz_column_fn fn, void *ctx)
{
    uint64_t begin = 0;
    for (uint64_t c = 0; c < so->span; c++) {
        uint64_t len = t->counts[so->lo + c];
        msiz_status status = fn(ctx, so->lo + c, so->rows + begin, so->vals + begin, (size_t)len);
        if (status < 0)
            return status;
        begin += len;
    }
    return MSIZ_OK;
}

/* ---- building ---- */

msiz_status msiz_transpose_new(uint64_t n_cols, size_t budget, msiz_spill *spill,
                               msiz_transpose **out)
{
    *out = NULL;
    if (n_cols == 0 || n_cols > UINT32_MAX || !spill)
        return msiz_fail(MSIZ_E_ARG, "transpose: %llu columns out of range, or no spill storage",
                         (unsigned long long)n_cols);
    msiz_transpose *t = msiz_calloc(1, sizeof *t);
    if (!t)
        return msiz_fail(MSIZ_E_NOMEM, "out of memory");
    t->spill = spill;
    t->n_cols = n_cols;
    t->budget = budget < MIN_BUDGET ? MIN_BUDGET : budget;
    t->cap = t->budget / MSIZ_TRANSPOSE_BYTES_PER_ENTRY;
    /* a run writes 8 bytes per column: worth it only when runs are much longer than that */
    t->run_mode = t->cap >= 2 * n_cols;
    t->last_row = -1;
    t->counts = msiz_calloc(n_cols, sizeof *t->counts);
    t->prefix = msiz_calloc(n_cols + 1, sizeof *t->prefix);
    msiz_status status = t->counts && t->prefix
                             ? msiz_tr_buffer_init(&t->buf, n_cols, t->cap)
                             : msiz_fail(MSIZ_E_NOMEM, "out of memory for %llu column counters",
                                         (unsigned long long)n_cols);
    if (status < 0) {
        msiz_transpose_free(t);
        return status;
    }
    *out = t;
    return MSIZ_OK;
}

static msiz_status open_spill(msiz_transpose *t)
{
    msiz_status status = msiz_spill_file_open(t->spill, "transpose-runs", 0, &t->file);
    if (status < 0)
        return status;
    t->run_rows = msiz_malloc(t->cap * sizeof *t->run_rows);
    t->run_vals = msiz_malloc(t->cap * sizeof *t->run_vals);
    if (!t->run_rows || !t->run_vals)
        return msiz_fail(MSIZ_E_NOMEM, "out of memory for the transpose's run buffers");
    return MSIZ_OK;
}

/* Writes the buffer as one run: prefix sums, row ids, values (sorted group by group). */
static msiz_status spill(msiz_transpose *t)
{
    msiz_status status = MSIZ_OK;
    if (!t->file)
        MSIZ_TRY(open_spill(t));
    if (msiz_grow((void **)&t->runs, &t->runs_capacity, t->n_runs + 1, sizeof *t->runs,
                  (size_t)1 << 30) < 0)
        return msiz_fail(MSIZ_E_NOMEM, "out of memory for spill runs");
    size_t n = t->buf.n;
    msiz_tr_buffer_sort(&t->buf, t->n_cols, t->prefix, t->run_rows, t->run_vals, t->counts);
    MSIZ_TRY(msiz_spill_file_write(t->file, t->prefix, (t->n_cols + 1) * sizeof *t->prefix));
    MSIZ_TRY(msiz_spill_file_write(t->file, t->run_rows, n * sizeof *t->run_rows));
    MSIZ_TRY(msiz_spill_file_write(t->file, t->run_vals, n * sizeof *t->run_vals));
    t->runs[t->n_runs++] = (run){t->spilled_bytes, n};
    t->spilled_bytes += (t->n_cols + 1) * sizeof *t->prefix + n * 12;
    msiz_tr_buffer_clear(&t->buf);
cleanup:
    return status;
}

/* The buffer is full: spill it as a sorted run or as raw entries. */
static msiz_status spill_buffer(msiz_transpose *t)
{
    if (t->run_mode)
        return spill(t);
    msiz_tr_buffer_count(&t->buf, t->counts);
    return msiz_transpose_spill_raw(t);
}

msiz_status msiz_transpose_add_row(msiz_transpose *t, uint32_t row, const uint32_t *cols,
                                   const double *vals, size_t n)
{
    if ((int64_t)row <= t->last_row)
        return msiz_fail(MSIZ_E_ARG, "transpose: row %u after row %lld", row,
                         (long long)t->last_row);
    t->last_row = row;
    for (size_t i = 0; i < n; i++) {
        if (cols[i] >= t->n_cols)
            return msiz_fail(MSIZ_E_ARG, "transpose: column %u out of range", cols[i]);
        msiz_status status = msiz_tr_buffer_push(&t->buf, row, cols[i], vals[i]);
        if (status == MSIZ_END && (status = spill_buffer(t)) == MSIZ_OK)
            status = msiz_tr_buffer_push(&t->buf, row, cols[i], vals[i]);
        if (status < 0)
            return status;
    }
    t->nnz += n;
    return MSIZ_OK;
}

/* ---- emitting ---- */

static msiz_status emit_in_memory(msiz_transpose *t, msiz_column_fn fn, void *ctx)
{
    sorter so = {0};
    size_t n = t->buf.n;
    msiz_tr_buffer_count(&t->buf, t->counts);
    msiz_status status = msiz_sorter_init(t, &so, n, 0, t->n_cols);
    if (status == MSIZ_OK) {
        msiz_tr_buffer_sort(&t->buf, t->n_cols, t->prefix, so.rows, so.vals, NULL);
        msiz_tr_buffer_release(&t->buf);
        status = msiz_sorter_emit(t, &so, fn, ctx);
    }
    msiz_sorter_free(&so);
    return status;
}

/* Puts run r's entries of columns [lo, hi) into the sorter, READ_BLOCK at a time. */
static msiz_status put_run_slice(msiz_transpose *t, const run *r, uint64_t lo, uint64_t hi,
                                 sorter *so, int32_t *rows, double *vals)
{
    uint64_t *p = t->prefix; /* p[0 .. hi-lo]: the run's offsets of columns lo .. hi */
    msiz_status status =
        msiz_spill_file_read(t->file, p, (hi - lo + 1) * sizeof *p, r->offset + lo * sizeof *p);
    uint64_t rows_at = r->offset + (t->n_cols + 1) * sizeof *p;
    uint64_t vals_at = rows_at + r->n * sizeof *rows;
    uint64_t col = lo;
    for (uint64_t pos = p[0]; status == MSIZ_OK && pos < p[hi - lo]; pos += READ_BLOCK) {
        size_t k = (size_t)(p[hi - lo] - pos < READ_BLOCK ? p[hi - lo] - pos : READ_BLOCK);
        status = msiz_spill_file_read(t->file, rows, k * sizeof *rows, rows_at + pos * 4);
        if (status == MSIZ_OK)
            status = msiz_spill_file_read(t->file, vals, k * sizeof *vals, vals_at + pos * 8);
        for (size_t j = 0; status == MSIZ_OK && j < k; j++) {
            while (pos + j >= p[col + 1 - lo])
                col++;
            msiz_sorter_put(so, col, rows[j], vals[j]);
        }
    }
    return status;
}

/* The end of the block starting at column lo: as many columns as fit `cap` entries (one at
 * least: a column never holds more than n_rows entries). */
static uint64_t block_end(const msiz_transpose *t, uint64_t lo, size_t cap, size_t *n)
{
    uint64_t hi = lo;
    *n = 0;
    while (hi < t->n_cols && (hi == lo || *n + t->counts[hi] <= cap))
        *n += (size_t)t->counts[hi++];
    return hi;
}

static msiz_status emit_runs(msiz_transpose *t, msiz_column_fn fn, void *ctx)
{
    msiz_status status = MSIZ_OK;
    int32_t *rows = msiz_malloc(READ_BLOCK * sizeof *rows);
    double *vals = msiz_malloc(READ_BLOCK * sizeof *vals);
    MSIZ_FAIL_IF(!rows || !vals, MSIZ_E_NOMEM, "out of memory reading spilled runs");
    /* budget: the sorter (12 bytes per entry + 8 per column) and the read buffers */
    size_t fixed = 16 * (size_t)(t->n_cols + 1) + 12 * READ_BLOCK;
    size_t cap = t->budget > fixed + 12 * 1024 ? (t->budget - fixed) / 12 : 1024;
    for (uint64_t lo = 0, hi; lo < t->n_cols; lo = hi) {
        size_t n;
        sorter so = {0};
        hi = block_end(t, lo, cap, &n);
        status = msiz_sorter_init(t, &so, n, lo, hi);
        for (size_t r = 0; status == MSIZ_OK && r < t->n_runs; r++)
            status = put_run_slice(t, &t->runs[r], lo, hi, &so, rows, vals);
        if (status == MSIZ_OK)
            status = msiz_sorter_emit(t, &so, fn, ctx);
        msiz_sorter_free(&so);
        if (status < 0)
            break;
    }
cleanup:
    msiz_free(rows);
    msiz_free(vals);
    return status;
}

msiz_status msiz_transpose_finish(msiz_transpose *t, msiz_column_fn fn, void *ctx)
{
    if (t->spilled_bytes == 0)
        return emit_in_memory(t, fn, ctx);
    if (!t->run_mode)
        return msiz_transpose_emit_raw(t, fn, ctx);
    msiz_status status = t->buf.n ? spill(t) : MSIZ_OK;
    /* give the buffers back before the blocks take their share of the budget */
    msiz_tr_buffer_release(&t->buf);
    msiz_free(t->run_rows);
    msiz_free(t->run_vals);
    t->run_rows = NULL;
    t->run_vals = NULL;
    return status < 0 ? status : emit_runs(t, fn, ctx);
}

uint64_t msiz_transpose_nnz(const msiz_transpose *t)
{
    return t->nnz;
}

uint64_t msiz_transpose_spilled_bytes(const msiz_transpose *t)
{
    return t->spilled_bytes;
}

const uint64_t *msiz_transpose_column_counts(const msiz_transpose *t)
{
    return t->counts;
}

void msiz_transpose_free(msiz_transpose *t)
{
    if (!t)
        return;
    msiz_spill_file_close(t->file);
    msiz_tr_buffer_destroy(&t->buf);
    msiz_free(t->run_rows);
    msiz_free(t->run_vals);
    msiz_free(t->prefix);
    msiz_free(t->counts);
    msiz_free(t->runs);
    msiz_free(t);
}
