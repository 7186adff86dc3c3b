/* External-memory transpose (see transpose.h). */
#include "sparse/transpose.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/error.h"
#include "io/fs.h"

#define MIN_BUDGET       ((size_t)256 << 10)
#define MAX_FANOUT       64
#define READ_BLOCK       ((size_t)4096)
#define MIN_WRITE_BUFFER ((size_t)4096)

typedef struct entry {
    uint32_t row;
    uint32_t col;
    double val;
} entry;

struct msiz_transpose {
    uint64_t n_cols;
    uint64_t *counts;
    size_t budget;
    size_t cap;      /* entries buffered in memory before spilling (28 bytes each at the end) */
    size_t file_cap; /* entries of a spilled range sorted at once (12 bytes each) */
    size_t fanout;   /* range files per distribution pass (MAX_FANOUT; lower in tests) */
    entry *buf;
    size_t n_buf, buf_capacity;
    int64_t last_row;
    uint64_t nnz, spilled;
    char dir[4096];
    unsigned file_seq;
    int spill_fd;
    char spill_path[4200];
};

/* A buffered append-only file of entries. */
typedef struct entry_file {
    int fd;
    char path[4200];
    entry *buf;
    size_t n, cap;
    uint64_t written;
} entry_file;

static msiz_status new_temp_path(msiz_transpose *t, char *out, size_t size)
{
    int n = snprintf(out, size, "%s/run-%u.bin", t->dir, t->file_seq++);
    if (n < 0 || (size_t)n >= size)
        return msiz_fail(MSIZ_E_LIMIT, "temporary path too long in %s", t->dir);
    return MSIZ_OK;
}

static msiz_status file_open(msiz_transpose *t, entry_file *f, size_t buffer_entries)
{
    memset(f, 0, sizeof *f);
    f->fd = -1;
    msiz_status status = new_temp_path(t, f->path, sizeof f->path);
    if (status < 0)
        return status;
    f->fd = open(f->path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (f->fd < 0)
        return msiz_fail(MSIZ_E_IO, "%s: cannot create spill file: %s", f->path, strerror(errno));
    f->cap = buffer_entries ? buffer_entries : 1;
    f->buf = msiz_malloc(f->cap * sizeof *f->buf);
    return f->buf ? MSIZ_OK : msiz_fail(MSIZ_E_NOMEM, "out of memory for spill buffers");
}

static msiz_status file_flush(entry_file *f)
{
    msiz_status status = msiz_write_full(f->fd, f->path, f->buf, f->n * sizeof *f->buf);
    f->written += f->n;
    f->n = 0;
    return status;
}

static msiz_status file_put(entry_file *f, const entry *e)
{
    if (f->n == f->cap) {
        msiz_status status = file_flush(f);
        if (status < 0)
            return status;
    }
    f->buf[f->n++] = *e;
    return MSIZ_OK;
}

/* Closes and frees; with `remove_file` also deletes it. */
static void file_close(entry_file *f, int remove_file)
{
    if (f->fd >= 0)
        close(f->fd);
    if (remove_file && f->path[0])
        unlink(f->path);
    msiz_free(f->buf);
    f->buf = NULL;
    f->fd = -1;
}

msiz_status msiz_transpose_new(uint64_t n_cols, size_t budget, const char *temp_dir,
                               msiz_transpose **out)
{
    *out = NULL;
    if (n_cols == 0 || n_cols > UINT32_MAX)
        return msiz_fail(MSIZ_E_ARG, "transpose: %llu columns out of range",
                         (unsigned long long)n_cols);
    msiz_transpose *t = msiz_calloc(1, sizeof *t);
    if (!t)
        return msiz_fail(MSIZ_E_NOMEM, "out of memory");
    t->spill_fd = -1;
    t->n_cols = n_cols;
    t->budget = budget < MIN_BUDGET ? MIN_BUDGET : budget;
    t->cap = t->budget / MSIZ_TRANSPOSE_BYTES_PER_ENTRY;
    /* a spilled range is read in blocks of READ_BLOCK entries into 12-byte sort slots */
    t->file_cap = (t->budget - READ_BLOCK * sizeof(entry)) / 12;
    t->last_row = -1;
    t->fanout = MAX_FANOUT;
    t->counts = msiz_calloc(n_cols, sizeof *t->counts);
    if (!t->counts) {
        msiz_transpose_free(t);
        return msiz_fail(MSIZ_E_NOMEM, "out of memory for %llu column counters",
                         (unsigned long long)n_cols);
    }
    if (!temp_dir || !temp_dir[0])
        temp_dir = getenv("TMPDIR") && getenv("TMPDIR")[0] ? getenv("TMPDIR") : "/tmp";
    int n = snprintf(t->dir, sizeof t->dir, "%s/msizarr-transpose-XXXXXX", temp_dir);
    if (n < 0 || (size_t)n >= sizeof t->dir || !mkdtemp(t->dir)) {
        msiz_status st = msiz_fail(MSIZ_E_IO, "%s: cannot create a temporary folder: %s", temp_dir,
                                   strerror(errno));
        t->dir[0] = '\0';
        msiz_transpose_free(t);
        return st;
    }
    *out = t;
    return MSIZ_OK;
}

/* Writes the in-memory buffer to the spill file. */
static msiz_status spill(msiz_transpose *t)
{
    if (t->spill_fd < 0) {
        msiz_status status = new_temp_path(t, t->spill_path, sizeof t->spill_path);
        if (status < 0)
            return status;
        t->spill_fd = open(t->spill_path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (t->spill_fd < 0)
            return msiz_fail(MSIZ_E_IO, "%s: cannot create spill file: %s", t->spill_path,
                             strerror(errno));
    }
    msiz_status status =
        msiz_write_full(t->spill_fd, t->spill_path, t->buf, t->n_buf * sizeof *t->buf);
    t->spilled += t->n_buf;
    t->n_buf = 0;
    return status;
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
        if (t->n_buf == t->buf_capacity) {
            size_t want = t->n_buf + 1;
            if (msiz_grow((void **)&t->buf, &t->buf_capacity, want, sizeof *t->buf, t->cap) < 0) {
                if (t->buf_capacity < t->cap)
                    return msiz_fail(MSIZ_E_NOMEM, "out of memory for the transpose buffer");
                msiz_status status = spill(t);
                if (status < 0)
                    return status;
            }
        }
        t->buf[t->n_buf++] = (entry){row, cols[i], vals[i]};
        t->counts[cols[i]]++;
    }
    t->nnz += n;
    return MSIZ_OK;
}

/* A counting sort of the entries of columns [lo, hi) by column into rows/vals; entries are fed
 * in row order (from memory or from a file, block by block), so rows stay ascending within each
 * column. Holds 12 bytes per entry plus the column offsets. */
typedef struct sorter {
    uint64_t lo, span;
    uint64_t *start;
    int32_t *rows;
    double *vals;
} sorter;

static void sorter_free(sorter *so)
{
    msiz_free(so->start);
    msiz_free(so->rows);
    msiz_free(so->vals);
}

static msiz_status sorter_init(const msiz_transpose *t, sorter *so, size_t n, uint64_t lo,
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

static void sorter_put(sorter *so, const entry *e, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint64_t slot = so->start[e[i].col - so->lo]++;
        so->rows[slot] = (int32_t)e[i].row;
        so->vals[slot] = e[i].val;
    }
}

/* After every entry was put, start[c] is the end of column c: emit the columns in order. */
static msiz_status sorter_emit(const msiz_transpose *t, sorter *so, msiz_column_fn fn, void *ctx)
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

static msiz_status sort_emit(msiz_transpose *t, const entry *e, size_t n, uint64_t lo, uint64_t hi,
                             msiz_column_fn fn, void *ctx)
{
    sorter so = {0};
    msiz_status status = sorter_init(t, &so, n, lo, hi);
    if (status == MSIZ_OK) {
        sorter_put(&so, e, n);
        status = sorter_emit(t, &so, fn, ctx);
    }
    sorter_free(&so);
    return status;
}

/* Sorts a spilled range straight from its file, READ_BLOCK entries at a time. */
static msiz_status sort_emit_file(msiz_transpose *t, entry_file *in, uint64_t lo, uint64_t hi,
                                  msiz_column_fn fn, void *ctx)
{
    sorter so = {0};
    entry *buf = msiz_malloc(READ_BLOCK * sizeof *buf);
    msiz_status status = buf ? sorter_init(t, &so, (size_t)in->written, lo, hi)
                             : msiz_fail(MSIZ_E_NOMEM, "out of memory reading spilled entries");
    for (uint64_t off = 0; status == MSIZ_OK && off < in->written; off += READ_BLOCK) {
        size_t count = (size_t)(in->written - off < READ_BLOCK ? in->written - off : READ_BLOCK);
        status = msiz_pread_full(in->fd, in->path, buf, count * sizeof *buf, off * sizeof *buf);
        if (status == MSIZ_OK)
            sorter_put(&so, buf, count);
    }
    if (status == MSIZ_OK)
        status = sorter_emit(t, &so, fn, ctx);
    msiz_free(buf);
    sorter_free(&so);
    return status;
}

static msiz_status process_range(msiz_transpose *t, entry_file *in, uint64_t lo, uint64_t hi,
                                 msiz_column_fn fn, void *ctx);

/* Splits [lo, hi) into consecutive ranges of about `target` entries; returns their count and
 * the boundaries bounds[0..k] (bounds[0] = lo, bounds[k] = hi). */
static size_t split_ranges(const msiz_transpose *t, uint64_t lo, uint64_t hi, uint64_t target,
                           uint64_t *bounds)
{
    size_t k = 0;
    uint64_t acc = 0;
    bounds[0] = lo;
    for (uint64_t c = lo; c < hi; c++) {
        if (acc > 0 && acc + t->counts[c] > target && k + 1 < t->fanout) {
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
static msiz_status distribute(msiz_transpose *t, entry_file *in, const uint64_t *bounds, size_t k,
                              entry_file *outs)
{
    msiz_status status = MSIZ_OK;
    size_t write_entries = t->budget / 2 / k / sizeof(entry);
    if (write_entries * sizeof(entry) < MIN_WRITE_BUFFER)
        write_entries = MIN_WRITE_BUFFER / sizeof(entry);
    size_t read_entries = t->budget / 4 / sizeof(entry);
    entry *chunk = msiz_malloc(read_entries * sizeof *chunk);
    MSIZ_FAIL_IF(!chunk, MSIZ_E_NOMEM, "out of memory distributing spilled entries");
    for (size_t i = 0; i < k; i++)
        MSIZ_TRY(file_open(t, &outs[i], write_entries));
    for (uint64_t off = 0; off < in->written; off += read_entries) {
        size_t count =
            (size_t)(in->written - off < read_entries ? in->written - off : read_entries);
        MSIZ_TRY(
            msiz_pread_full(in->fd, in->path, chunk, count * sizeof *chunk, off * sizeof *chunk));
        for (size_t i = 0; i < count; i++)
            MSIZ_TRY(file_put(&outs[range_of(bounds, k, chunk[i].col)], &chunk[i]));
    }
    for (size_t i = 0; i < k; i++)
        MSIZ_TRY(file_flush(&outs[i]));
cleanup:
    msiz_free(chunk);
    return status;
}

static msiz_status split_and_recurse(msiz_transpose *t, entry_file *in, uint64_t lo, uint64_t hi,
                                     msiz_column_fn fn, void *ctx)
{
    msiz_status status = MSIZ_OK;
    uint64_t bounds[MAX_FANOUT + 1];
    entry_file outs[MAX_FANOUT];
    uint64_t target = t->file_cap;
    if (in->written / t->fanout + 1 > target)
        target = in->written / t->fanout + 1;
    size_t k = split_ranges(t, lo, hi, target, bounds);
    for (size_t i = 0; i < k; i++)
        outs[i].fd = -1, outs[i].buf = NULL, outs[i].path[0] = '\0';
    MSIZ_TRY(distribute(t, in, bounds, k, outs));
    for (size_t i = 0; i < k; i++) {
        msiz_free(outs[i].buf);
        outs[i].buf = NULL;
        MSIZ_TRY(process_range(t, &outs[i], bounds[i], bounds[i + 1], fn, ctx));
        file_close(&outs[i], 1);
    }
cleanup:
    for (size_t i = 0; i < k; i++)
        file_close(&outs[i], 1);
    return status;
}

static msiz_status process_range(msiz_transpose *t, entry_file *in, uint64_t lo, uint64_t hi,
                                 msiz_column_fn fn, void *ctx)
{
    /* a single column is sorted whatever its size: one column never exceeds n_rows entries */
    if (in->written <= t->file_cap || hi - lo == 1)
        return sort_emit_file(t, in, lo, hi, fn, ctx);
    return split_and_recurse(t, in, lo, hi, fn, ctx);
}

msiz_status msiz_transpose_finish(msiz_transpose *t, msiz_column_fn fn, void *ctx)
{
    if (t->spilled == 0)
        return sort_emit(t, t->buf, t->n_buf, 0, t->n_cols, fn, ctx);
    msiz_status status = spill(t);
    msiz_free(t->buf); /* free the memory budget for the distribution passes */
    t->buf = NULL;
    t->n_buf = t->buf_capacity = 0;
    if (status < 0)
        return status;
    entry_file in = {.fd = t->spill_fd, .written = t->spilled};
    memcpy(in.path, t->spill_path, sizeof in.path);
    return process_range(t, &in, 0, t->n_cols, fn, ctx);
}

void msiz_transpose_set_fanout(msiz_transpose *t, size_t fanout)
{
    t->fanout = fanout < 2 ? 2 : fanout > MAX_FANOUT ? MAX_FANOUT : fanout;
}

uint64_t msiz_transpose_nnz(const msiz_transpose *t)
{
    return t->nnz;
}

uint64_t msiz_transpose_spilled_bytes(const msiz_transpose *t)
{
    return t->spilled * sizeof(entry);
}

const uint64_t *msiz_transpose_column_counts(const msiz_transpose *t)
{
    return t->counts;
}

void msiz_transpose_free(msiz_transpose *t)
{
    if (!t)
        return;
    if (t->spill_fd >= 0)
        close(t->spill_fd);
    msiz_free(t->buf);
    msiz_free(t->counts);
    if (t->dir[0])
        (void)msiz_remove_tree(t->dir);
    msiz_free(t);
}
