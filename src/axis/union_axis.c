/* Raw union m/z axis (resampling.md §6) in bounded memory.
 *
 * Values collect in one buffer (budget / 16 doubles, plus as much again for the radix sort).
 * A full buffer is sorted and deduplicated in place; if that still leaves it more than half full
 * the sorted run is written to a spill file (io/spill.h: the run's spill folder). finish()
 * merges the runs (at most `fan_in` at a time, with one small read buffer per run) into one
 * sorted unique file, which read() serves in slices. When nothing was spilled the axis stays in
 * memory. Every spill file is removed by msiz_union_axis_free (and at once when finish fails). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "axis/union_axis.h"
#include "common/alloc.h"
#include "common/error.h"

#define MIN_BUDGET     ((size_t)64 << 10)
#define DEFAULT_BUDGET ((size_t)64 << 20)

typedef struct run {
    msiz_spill_file *file;
    uint64_t count;
} run;

struct msiz_union_axis {
    size_t budget;
    uint64_t cap;
    msiz_spill *spill;
    int own_spill;  /* created by msiz_union_axis_new, freed with the axis */
    uint64_t *keys; /* order-preserving keys of the values (key_of), capacity `cap_values` */
    uint64_t *tmp;  /* radix sort scratch, same capacity */
    size_t cap_values, count, sorted_prefix;
    run *runs;
    size_t n_runs, runs_cap;
    uint64_t nan_count;
    int finished, failed;
    uint64_t final_count;
    msiz_spill_file *final; /* NULL: the final axis is keys[0..final_count) */
};

void msiz_union_opts_init(msiz_union_opts *opts)
{
    opts->memory_budget = DEFAULT_BUDGET;
    opts->temp_dir = NULL;
    opts->max_values = MSIZ_UNION_DEFAULT_CAP;
}

/* "10,000,000" */
static void thousands(uint64_t v, char *out, size_t size)
{
    char digits[32];
    int n = snprintf(digits, sizeof digits, "%llu", (unsigned long long)v);
    size_t k = 0;
    for (int i = 0; i < n && k + 2 < size; i++) {
        if (i > 0 && (n - i) % 3 == 0)
            out[k++] = ',';
        out[k++] = digits[i];
    }
    out[k] = '\0';
}

static msiz_status cap_error(uint64_t cap)
{
    char text[40];
    thousands(cap, text, sizeof text);
    return msiz_fail(MSIZ_E_LIMIT,
                     "raw m/z axis has more than %s distinct values (cap); resample instead, or "
                     "raise the cap with --max-mass-axis-length",
                     text);
}

msiz_status msiz_union_axis_new_in(const msiz_union_opts *opts, msiz_spill *spill,
                                   msiz_union_axis **out)
{
    msiz_status status = MSIZ_OK;
    msiz_union_opts defaults;
    *out = NULL;
    if (!opts) {
        msiz_union_opts_init(&defaults);
        opts = &defaults;
    }
    msiz_union_axis *u = msiz_calloc(1, sizeof *u);
    MSIZ_FAIL_IF(!u, MSIZ_E_NOMEM, "union axis: out of memory");
    u->budget = opts->memory_budget < MIN_BUDGET ? MIN_BUDGET : opts->memory_budget;
    u->cap = opts->max_values;
    u->spill = spill;
    if (!spill) {
        MSIZ_TRY(msiz_spill_new(opts->temp_dir, &u->spill));
        u->own_spill = 1;
    }
    u->cap_values = u->budget / (2 * sizeof(double));
    u->keys = msiz_malloc(u->cap_values * sizeof *u->keys);
    u->tmp = msiz_malloc(u->cap_values * sizeof *u->tmp);
    MSIZ_FAIL_IF(!u->keys || !u->tmp, MSIZ_E_NOMEM, "union axis: no memory for a %zu-byte buffer",
                 u->budget);
    *out = u;
    u = NULL;
cleanup:
    msiz_union_axis_free(u);
    return status;
}

msiz_status msiz_union_axis_new(const msiz_union_opts *opts, msiz_union_axis **out)
{
    return msiz_union_axis_new_in(opts, NULL, out);
}

/* ---- sort + unique ---- */

/* Unsigned keys ordered like the doubles; -0.0 is stored as +0.0 so that equal values (exact
 * double equality) have equal keys. Runs on disk hold keys too. */
static inline uint64_t key_of(double d)
{
    uint64_t k;
    if (d == 0)
        d = 0.0;
    memcpy(&k, &d, sizeof k);
    return (k >> 63) ? ~k : k | 0x8000000000000000ULL;
}

static inline double value_of(uint64_t k)
{
    k = (k >> 63) ? k & 0x7FFFFFFFFFFFFFFFULL : ~k;
    double d;
    memcpy(&d, &k, sizeof d);
    return d;
}

/* LSD radix sort of n keys (8 passes of 8 bits, skipping passes where every key agrees). */
static void radix_sort(uint64_t *keys, uint64_t *tmp, size_t n)
{
    static const int passes = 8;
    size_t counts[8][256];
    memset(counts, 0, sizeof counts);
    for (size_t i = 0; i < n; i++)
        for (int p = 0; p < passes; p++)
            counts[p][(keys[i] >> (8 * p)) & 0xFF]++;
    uint64_t *src = keys, *dst = tmp;
    for (int p = 0; p < passes; p++) {
        int shift = 8 * p;
        if (counts[p][(src[0] >> shift) & 0xFF] == n)
            continue;
        size_t pos = 0;
        for (int b = 0; b < 256; b++) {
            size_t c = counts[p][b];
            counts[p][b] = pos;
            pos += c;
        }
        for (size_t i = 0; i < n; i++)
            dst[counts[p][(src[i] >> shift) & 0xFF]++] = src[i];
        uint64_t *t = src;
        src = dst;
        dst = t;
    }
    if (src != keys)
        memcpy(keys, src, n * sizeof *keys);
}

/* Sorts and deduplicates keys[0..count). */
static void compact(msiz_union_axis *u)
{
    size_t n = u->count;
    if (n == 0 || u->sorted_prefix == n)
        return;
    radix_sort(u->keys, u->tmp, n);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (k == 0 || u->keys[i] != u->keys[k - 1])
            u->keys[k++] = u->keys[i];
    u->count = u->sorted_prefix = k;
}

/* ---- runs on disk ---- */

/* Takes over `file` (closed and deleted on failure). */
static msiz_status add_run(msiz_union_axis *u, msiz_spill_file *file, uint64_t count)
{
    msiz_status status =
        msiz_grow((void **)&u->runs, &u->runs_cap, u->n_runs + 1, sizeof *u->runs, (size_t)1 << 24);
    if (status < 0) {
        msiz_spill_file_close(file);
        return msiz_fail_context(status, "union axis: spill runs");
    }
    u->runs[u->n_runs].file = file;
    u->runs[u->n_runs++].count = count;
    return MSIZ_OK;
}

static msiz_status spill(msiz_union_axis *u)
{
    msiz_spill_file *file = NULL;
    msiz_status status = msiz_spill_file_open(u->spill, "mzunion-run", 0, &file);
    if (status < 0)
        return status;
    status = msiz_spill_file_write(file, u->keys, u->count * sizeof *u->keys);
    if (status < 0) {
        msiz_spill_file_close(file);
        return status;
    }
    status = add_run(u, file, u->count);
    u->count = u->sorted_prefix = 0;
    return status;
}

msiz_status msiz_union_axis_add(msiz_union_axis *u, const double *mz, size_t m)
{
    if (u->finished || u->failed)
        return msiz_fail(MSIZ_E_STATE, "union axis: add after finish or failure");
    for (size_t i = 0; i < m; i++) {
        double v = mz[i];
        if (isnan(v)) {
            u->nan_count++;
            continue;
        }
        if (u->count == u->cap_values) {
            /* sort + dedup; spill when that leaves the buffer more than half full */
            compact(u);
            if (u->cap && u->count > u->cap) {
                u->failed = 1;
                return cap_error(u->cap);
            }
            if (u->count > u->cap_values / 2) {
                msiz_status status = spill(u);
                if (status < 0) {
                    u->failed = 1;
                    return status;
                }
            }
        }
        u->keys[u->count++] = key_of(v);
    }
    return MSIZ_OK;
}

uint64_t msiz_union_axis_nan_count(const msiz_union_axis *u)
{
    return u->nan_count;
}

/* ---- merge ---- */

typedef struct stream {
    msiz_spill_file *file;
    uint64_t *buf;
    size_t len, pos, size;
    uint64_t next, left; /* first key not yet read from the file, keys left */
} stream;

static msiz_status stream_fill(stream *s)
{
    size_t want = s->left < s->size ? (size_t)s->left : s->size;
    msiz_status status =
        msiz_spill_file_read(s->file, s->buf, want * sizeof(uint64_t), s->next * sizeof(uint64_t));
    s->len = want;
    s->pos = 0;
    s->next += want;
    s->left -= want;
    return status;
}

typedef struct merger {
    stream *s;
    size_t *heap; /* stream indices, min-heap on the current value */
    size_t n_heap;
} merger;

static inline uint64_t head(const merger *g, size_t i)
{
    return g->s[i].buf[g->s[i].pos];
}

static void sift_down(merger *g, size_t at)
{
    for (;;) {
        size_t l = 2 * at + 1, r = l + 1, best = at;
        if (l < g->n_heap && head(g, g->heap[l]) < head(g, g->heap[best]))
            best = l;
        if (r < g->n_heap && head(g, g->heap[r]) < head(g, g->heap[best]))
            best = r;
        if (best == at)
            return;
        size_t t = g->heap[at];
        g->heap[at] = g->heap[best];
        g->heap[best] = t;
        at = best;
    }
}

typedef struct sink {
    msiz_spill_file *file;
    uint64_t *buf;
    size_t len, size;
    uint64_t count;
    uint64_t last;
} sink;

static msiz_status sink_put(sink *o, uint64_t v)
{
    if (o->count > 0 && v == o->last)
        return MSIZ_OK;
    o->last = v;
    o->count++;
    o->buf[o->len++] = v;
    if (o->len < o->size)
        return MSIZ_OK;
    o->len = 0;
    return msiz_spill_file_write(o->file, o->buf, o->size * sizeof(uint64_t));
}

/* Merges runs[first .. first+k) into `out` (unique values); *count = its length. */
static msiz_status merge_runs(msiz_union_axis *u, size_t first, size_t k, msiz_spill_file *out,
                              uint64_t *count)
{
    msiz_status status = MSIZ_OK;
    size_t per = u->budget / ((k + 1) * sizeof(uint64_t));
    if (per < 128)
        per = 128;
    stream *s = msiz_calloc(k, sizeof *s);
    size_t *heap = msiz_calloc(k, sizeof *heap);
    uint64_t *slab = msiz_malloc((k + 1) * per * sizeof *slab);
    sink o = {out, NULL, 0, per, 0, 0};
    merger g = {s, heap, 0};
    MSIZ_FAIL_IF(!s || !heap || !slab, MSIZ_E_NOMEM, "union axis: no memory to merge %zu runs", k);
    o.buf = slab + k * per;
    for (size_t i = 0; i < k; i++) {
        run *r = &u->runs[first + i];
        s[i] = (stream){r->file, slab + i * per, 0, 0, per, 0, r->count};
        if (s[i].left > 0) {
            MSIZ_TRY(stream_fill(&s[i]));
            heap[g.n_heap++] = i;
        }
    }
    for (size_t i = g.n_heap; i-- > 0;)
        sift_down(&g, i);
    while (g.n_heap > 0) {
        stream *top = &s[heap[0]];
        MSIZ_TRY(sink_put(&o, top->buf[top->pos]));
        MSIZ_FAIL_IF(u->cap && o.count > u->cap, MSIZ_E_LIMIT, "cap");
        if (++top->pos == top->len) {
            if (top->left > 0)
                MSIZ_TRY(stream_fill(top));
            else
                heap[0] = heap[--g.n_heap];
        }
        sift_down(&g, 0);
    }
    if (o.len > 0)
        MSIZ_TRY(msiz_spill_file_write(o.file, o.buf, o.len * sizeof(uint64_t)));
    *count = o.count;
cleanup:
    if (status == MSIZ_E_LIMIT)
        status = cap_error(u->cap);
    msiz_free(s);
    msiz_free(heap);
    msiz_free(slab);
    return status;
}

static void drop_runs(msiz_union_axis *u, size_t first, size_t k)
{
    for (size_t i = first; i < first + k; i++)
        msiz_spill_file_close(u->runs[i].file);
    if (k > 0)
        memmove(u->runs + first, u->runs + first + k, (u->n_runs - first - k) * sizeof *u->runs);
    u->n_runs -= k;
}

static void remove_files(msiz_union_axis *u)
{
    drop_runs(u, 0, u->n_runs);
    msiz_spill_file_close(u->final);
    u->final = NULL;
}

/* Merges runs until one file holds the axis (kept open for read()). */
static msiz_status merge_all(msiz_union_axis *u)
{
    size_t fan_in = u->budget / ((size_t)64 << 10);
    fan_in = fan_in < 2 ? 2 : fan_in > 128 ? 128 : fan_in;
    for (;;) {
        size_t k = u->n_runs < fan_in ? u->n_runs : fan_in;
        msiz_spill_file *file = NULL;
        uint64_t count = 0;
        msiz_status status = msiz_spill_file_open(u->spill, "mzunion-merge", 0, &file);
        if (status < 0)
            return status;
        status = merge_runs(u, 0, k, file, &count);
        if (status < 0) {
            msiz_spill_file_close(file);
            return status;
        }
        drop_runs(u, 0, k);
        if (u->n_runs == 0) {
            u->final = file;
            u->final_count = count;
            return MSIZ_OK;
        }
        if ((status = add_run(u, file, count)) < 0)
            return status;
    }
}

msiz_status msiz_union_axis_finish(msiz_union_axis *u, uint64_t *n)
{
    msiz_status status = MSIZ_OK;
    if (u->failed)
        return msiz_fail(MSIZ_E_STATE, "union axis: finish after a failure");
    if (!u->finished) {
        compact(u);
        if (u->n_runs > 0) {
            if (u->count > 0)
                MSIZ_TRY(spill(u));
            msiz_free(u->keys);
            msiz_free(u->tmp);
            u->keys = NULL;
            u->tmp = NULL;
            MSIZ_TRY(merge_all(u));
        } else {
            u->final_count = u->count;
            msiz_free(u->tmp);
            u->tmp = NULL;
        }
        MSIZ_FAIL_IF(u->cap && u->final_count > u->cap, MSIZ_E_LIMIT, "cap");
        MSIZ_FAIL_IF(u->final_count == 0, MSIZ_E_ARG, "union axis: no m/z value was added");
        u->finished = 1;
    }
    *n = u->final_count;
cleanup:
    if (status < 0) {
        if (status == MSIZ_E_LIMIT)
            status = cap_error(u->cap);
        u->failed = 1;
        remove_files(u);
    }
    return status;
}

msiz_status msiz_union_axis_read(const msiz_union_axis *u, uint64_t offset, size_t count,
                                 double *buf)
{
    if (!u->finished)
        return msiz_fail(MSIZ_E_STATE, "union axis: read before finish");
    if (offset > u->final_count || count > u->final_count - offset)
        return msiz_fail(MSIZ_E_ARG, "union axis: values %llu+%zu beyond its %llu values",
                         (unsigned long long)offset, count, (unsigned long long)u->final_count);
    if (!u->final) {
        for (size_t i = 0; i < count; i++)
            buf[i] = value_of(u->keys[offset + i]);
        return MSIZ_OK;
    }
    msiz_status status =
        msiz_spill_file_read(u->final, buf, count * sizeof *buf, offset * sizeof(uint64_t));
    for (size_t i = 0; status >= 0 && i < count; i++) {
        uint64_t k;
        memcpy(&k, &buf[i], sizeof k);
        buf[i] = value_of(k);
    }
    return status;
}

void msiz_union_axis_free(msiz_union_axis *u)
{
    if (!u)
        return;
    remove_files(u);
    msiz_free(u->runs);
    msiz_free(u->keys);
    msiz_free(u->tmp);
    if (u->own_spill)
        msiz_spill_free(u->spill);
    msiz_free(u);
}
