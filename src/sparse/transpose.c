/*
 * External-memory transpose (see transpose.h).
 *
 * In memory: entries are buffered as compact items (8 bytes, 16 for a value that is not a
 * float32) grouped by column range in row order (transpose_buffer.c); at the end each group is
 * counting-sorted by column and its columns emitted, so rows ascend within every column.
 *
 * Spilled: whenever the buffer is full it is sorted the same way and appended to one spill file
 * as a run: its sorted units ("pieces": a group, or part of a large one), each with its row ids
 * (i32) then its values (f64), then the run's column starts (u64[n_cols + 1]). Runs cover
 * consecutive row ranges. At the end the columns are emitted in blocks that fit the budget: for
 * each block, each run's slice is read piece by piece in run order, so rows stay ascending
 * within every column. Every spilled entry is written once and read once (12 bytes).
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
    /* a 32nd of the budget sorts one unit at a time (12 bytes an entry), the rest holds items */
    size_t temp = t->budget / 32 / 12;
    size_t items = t->budget - 12 * (temp < 4096 ? 4096 : temp);
    /* a run writes 8 bytes per column: worth it only when runs are much longer than that */
    t->run_mode = items / 8 >= 2 * n_cols;
    t->last_row = -1;
    t->counts = msiz_calloc(n_cols, sizeof *t->counts);
    t->prefix = msiz_calloc(n_cols + 1, sizeof *t->prefix);
    msiz_status status = t->counts && t->prefix
                             ? msiz_tr_buffer_init(&t->buf, n_cols, items, temp)
                             : msiz_fail(MSIZ_E_NOMEM, "out of memory for %llu column counters",
                                         (unsigned long long)n_cols);
    if (status < 0) {
        msiz_transpose_free(t);
        return status;
    }
    *out = t;
    return MSIZ_OK;
}

/* Writes one sorted unit of a run: its row ids, then its values. */
static msiz_status write_piece(void *ctx, uint64_t lo, uint64_t hi, uint64_t base,
                               const uint64_t *prefix, const int32_t *rows, const double *vals,
                               size_t n)
{
    msiz_transpose *t = ctx;
    run *r = &t->runs[t->n_runs - 1];
    (void)hi;
    (void)prefix;
    if (n == 0)
        return MSIZ_OK;
    msiz_status status = msiz_grow((void **)&r->pieces, &r->pieces_cap, r->n_pieces + 1,
                                   sizeof *r->pieces, (size_t)1 << 30);
    if (status < 0)
        return msiz_fail_context(status, "transpose: pieces of a spill run");
    r->pieces[r->n_pieces++] = (msiz_tr_piece){lo, base};
    status = msiz_spill_file_write(t->file, rows, n * sizeof *rows);
    return status < 0 ? status : msiz_spill_file_write(t->file, vals, n * sizeof *vals);
}

/* Writes the buffer as one run: its sorted units, then its column starts. */
static msiz_status spill(msiz_transpose *t)
{
    msiz_status status = MSIZ_OK;
    if (!t->file)
        MSIZ_TRY(msiz_spill_file_open(t->spill, "transpose-runs", 0, &t->file));
    status = msiz_grow((void **)&t->runs, &t->runs_capacity, t->n_runs + 1, sizeof *t->runs,
                       (size_t)1 << 30);
    if (status < 0)
        return msiz_fail_context(status, "transpose: spill runs");
    t->runs[t->n_runs] = (run){t->spilled_bytes, t->buf.n, NULL, 0, 0};
    t->n_runs++; /* its pieces belong to it from now on */
    MSIZ_TRY(msiz_tr_buffer_sort(&t->buf, t->prefix, t->counts, write_piece, t));
    MSIZ_TRY(msiz_spill_file_write(t->file, t->prefix, (t->n_cols + 1) * sizeof *t->prefix));
    t->spilled_bytes += (t->n_cols + 1) * sizeof *t->prefix + t->buf.n * 12;
    msiz_tr_buffer_clear(&t->buf);
cleanup:
    return status;
}

/* The buffer is full: spill it as a sorted run or as raw entries. */
static msiz_status spill_buffer(msiz_transpose *t)
{
    return t->run_mode ? spill(t) : msiz_transpose_spill_raw(t);
}

msiz_status msiz_transpose_add_row(msiz_transpose *t, uint32_t row, const uint32_t *cols,
                                   const double *vals, size_t n)
{
    if ((int64_t)row <= t->last_row)
        return msiz_fail(MSIZ_E_ARG, "transpose: row %u after row %lld", row,
                         (long long)t->last_row);
    t->last_row = row;
    if (n > 0 && !msiz_tr_buffer_fits_row(&t->buf, row)) {
        msiz_status status = spill_buffer(t);
        if (status < 0)
            return status;
    }
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

typedef struct column_emit {
    msiz_column_fn fn;
    void *ctx;
} column_emit;

/* Emits the columns of one sorted unit. */
static msiz_status emit_unit(void *ctx, uint64_t lo, uint64_t hi, uint64_t base,
                             const uint64_t *prefix, const int32_t *rows, const double *vals,
                             size_t n)
{
    column_emit *e = ctx;
    for (uint64_t c = lo; c < hi; c++) {
        uint64_t at = prefix[c] - base, end = c + 1 < hi ? prefix[c + 1] - base : n;
        msiz_status status = e->fn(e->ctx, c, rows + at, vals + at, (size_t)(end - at));
        if (status < 0)
            return status;
    }
    return MSIZ_OK;
}

/* Nothing spilled: the buffer is sorted and emitted unit by unit. */
static msiz_status emit_in_memory(msiz_transpose *t, msiz_column_fn fn, void *ctx)
{
    column_emit e = {fn, ctx};
    return msiz_tr_buffer_sort(&t->buf, t->prefix, t->counts, emit_unit, &e);
}

/* The piece of run r holding column col: the last one starting at or before it. */
static size_t piece_of(const run *r, uint64_t col)
{
    size_t a = 0, z = r->n_pieces; /* pieces[a].col <= col < pieces[z].col */
    while (z - a > 1) {
        size_t m = (a + z) / 2;
        if (r->pieces[m].col <= col)
            a = m;
        else
            z = m;
    }
    return a;
}

/* Puts entries [from, to) of run r (all in piece q) into the sorter, READ_BLOCK at a time;
 * p[0 .. hi-lo] are the run's starts of columns lo .. hi, *col the column of entry `from`. */
static msiz_status put_piece(msiz_transpose *t, const run *r, size_t q, uint64_t from, uint64_t to,
                             const uint64_t *p, uint64_t lo, uint64_t *col, sorter *so,
                             int32_t *rows, double *vals)
{
    uint64_t first = r->pieces[q].first;
    uint64_t end = q + 1 < r->n_pieces ? r->pieces[q + 1].first : r->n;
    uint64_t rows_at = r->offset + 12 * first, vals_at = rows_at + 4 * (end - first);
    msiz_status status = MSIZ_OK;
    for (uint64_t pos = from; status == MSIZ_OK && pos < to; pos += READ_BLOCK) {
        size_t k = (size_t)(to - pos < READ_BLOCK ? to - pos : READ_BLOCK);
        status = msiz_spill_file_read(t->file, rows, k * 4, rows_at + 4 * (pos - first));
        if (status == MSIZ_OK)
            status = msiz_spill_file_read(t->file, vals, k * 8, vals_at + 8 * (pos - first));
        for (size_t j = 0; status == MSIZ_OK && j < k; j++) {
            while (pos + j >= p[*col + 1 - lo])
                ++*col;
            msiz_sorter_put(so, *col, rows[j], vals[j]);
        }
    }
    return status;
}

/* Puts run r's entries of columns [lo, hi) into the sorter, piece by piece. */
static msiz_status put_run_slice(msiz_transpose *t, const run *r, uint64_t lo, uint64_t hi,
                                 sorter *so, int32_t *rows, double *vals)
{
    uint64_t *p = t->prefix; /* p[0 .. hi-lo]: the run's starts of columns lo .. hi */
    uint64_t starts_at = r->offset + 12 * r->n;
    msiz_status status =
        msiz_spill_file_read(t->file, p, (hi - lo + 1) * sizeof *p, starts_at + lo * sizeof *p);
    uint64_t col = lo;
    for (uint64_t pos = p[0]; status == MSIZ_OK && pos < p[hi - lo];) {
        while (p[col + 1 - lo] == pos) /* skip to the column of entry pos */
            col++;
        size_t q = piece_of(r, col);
        uint64_t piece_end = q + 1 < r->n_pieces ? r->pieces[q + 1].first : r->n;
        uint64_t to = piece_end < p[hi - lo] ? piece_end : p[hi - lo];
        status = put_piece(t, r, q, pos, to, p, lo, &col, so, rows, vals);
        pos = to;
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
    msiz_free(t->prefix);
    msiz_free(t->counts);
    for (size_t r = 0; r < t->n_runs; r++)
        msiz_free(t->runs[r].pieces);
    msiz_free(t->runs);
    msiz_free(t);
}
