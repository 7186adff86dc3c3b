/* The transpose's entry buffer: compact items grouped by column range (transpose_internal.h).
 *
 * Why groups: a counting sort of the whole buffer by column writes every entry to one of
 * n_cols moving positions (321,887 for the default axis), so each write misses the cache; it
 * was a quarter of a conversion's time. Appending each entry to its group's last block costs
 * about as much as appending to one array (a few hundred tail blocks stay in cache), and sorting
 * one group touches only its own columns. Blocks are chained per group in arrival order, which
 * keeps the sort stable: rows stay ascending within each column. */
#include "sparse/transpose_internal.h"

#include "common/alloc.h"
#include "common/error.h"

#define MAX_GROUPS 512
#define WIDE_FLAG  0x80000000u

msiz_status msiz_tr_buffer_init(msiz_tr_buffer *b, uint64_t n_cols, size_t cap_bytes,
                                size_t temp_entries)
{
    memset(b, 0, sizeof *b);
    uint64_t blocks = cap_bytes / (MSIZ_TR_BLOCK * sizeof *b->pool);
    b->max_blocks = blocks < 4 ? 4 : blocks > INT32_MAX ? INT32_MAX : (uint32_t)blocks;
    /* at most a quarter of the blocks are partly filled tails: runs stay >= 3/4 full */
    uint64_t groups = b->max_blocks / 4 < MAX_GROUPS ? b->max_blocks / 4 : MAX_GROUPS;
    while ((n_cols - 1) >> b->shift >= groups) /* groups >= 1 */
        b->shift++;
    b->n_cols = n_cols;
    b->n_groups = (uint32_t)(((n_cols - 1) >> b->shift) + 1);
    b->row_limit = b->shift >= 31 ? 1 : (uint64_t)1 << (31 - b->shift);
    b->temp_cap = temp_entries < 4096 ? 4096 : temp_entries;
    b->head = msiz_malloc(b->n_groups * sizeof *b->head);
    b->tail = msiz_malloc(b->n_groups * sizeof *b->tail);
    if (!b->head || !b->tail)
        return msiz_fail(MSIZ_E_NOMEM, "out of memory for the transpose's %u column groups",
                         b->n_groups);
    msiz_tr_buffer_clear(b);
    return MSIZ_OK;
}

static void free_blocks(msiz_tr_buffer *b)
{
    msiz_free(b->pool);
    msiz_free(b->next);
    msiz_free(b->len);
    msiz_free(b->rows);
    msiz_free(b->vals);
    b->pool = NULL;
    b->next = NULL;
    b->len = NULL;
    b->rows = NULL;
    b->vals = NULL;
    b->temp_alloc = 0;
    b->allocated = 0;
}

void msiz_tr_buffer_release(msiz_tr_buffer *b)
{
    free_blocks(b);
    msiz_tr_buffer_clear(b);
}

void msiz_tr_buffer_destroy(msiz_tr_buffer *b)
{
    free_blocks(b);
    msiz_free(b->head);
    msiz_free(b->tail);
    memset(b, 0, sizeof *b);
}

void msiz_tr_buffer_clear(msiz_tr_buffer *b)
{
    b->used = 0;
    b->n = 0;
    for (uint32_t g = 0; b->head && g < b->n_groups; g++)
        b->head[g] = b->tail[g] = -1;
}

/* Grows the pool by about half (its memory is the budget's, handed out as it is used). */
static msiz_status grow(msiz_tr_buffer *b)
{
    uint64_t want = (uint64_t)b->allocated + b->allocated / 2 + 16;
    if (want > b->max_blocks)
        want = b->max_blocks;
    uint64_t *pool = msiz_realloc(b->pool, (size_t)want * MSIZ_TR_BLOCK * sizeof *pool);
    if (pool)
        b->pool = pool;
    int32_t *next = pool ? msiz_realloc(b->next, (size_t)want * sizeof *next) : NULL;
    if (next)
        b->next = next;
    uint16_t *len = next ? msiz_realloc(b->len, (size_t)want * sizeof *len) : NULL;
    if (!len)
        return msiz_fail(MSIZ_E_NOMEM, "out of memory for the transpose buffer");
    b->len = len;
    b->allocated = (uint32_t)want;
    return MSIZ_OK;
}

msiz_status msiz_tr_buffer_new_block(msiz_tr_buffer *b, uint32_t g)
{
    if (b->used == b->max_blocks)
        return MSIZ_END;
    if (b->used == b->allocated) {
        msiz_status status = grow(b);
        if (status < 0)
            return status;
    }
    int32_t k = (int32_t)b->used++;
    b->next[k] = -1;
    b->len[k] = 0;
    if (b->tail[g] < 0)
        b->head[g] = k;
    else
        b->next[b->tail[g]] = k;
    b->tail[g] = k;
    return MSIZ_OK;
}

/* Reads the entries of group g in arrival order. */
typedef struct cursor {
    const msiz_tr_buffer *b;
    uint64_t col0; /* the group's first column */
    uint32_t mask;
    int32_t k; /* block */
    size_t i, n;
    const uint64_t *it;
} cursor;

static inline void cursor_init(cursor *c, const msiz_tr_buffer *b, uint32_t g)
{
    c->b = b;
    c->col0 = (uint64_t)g << b->shift;
    c->mask = (1u << b->shift) - 1;
    c->k = b->head[g];
    c->i = c->n = 0;
    c->it = NULL;
}

static inline int cursor_next(cursor *c, uint32_t *row, uint64_t *col, double *val)
{
    while (c->i == c->n) {
        if (c->k < 0)
            return 0;
        c->it = c->b->pool + (size_t)c->k * MSIZ_TR_BLOCK;
        c->n = c->b->len[c->k];
        c->i = 0;
        c->k = c->b->next[c->k];
    }
    uint64_t item = c->it[c->i++];
    uint32_t key = (uint32_t)item & ~WIDE_FLAG;
    *row = c->b->row0 + (key >> c->b->shift);
    *col = c->col0 | (key & c->mask);
    if ((uint32_t)item & WIDE_FLAG) {
        uint64_t bits = c->it[c->i++];
        memcpy(val, &bits, 8);
    } else {
        uint32_t bits = (uint32_t)(item >> 32);
        float f;
        memcpy(&f, &bits, 4);
        *val = f;
    }
    return 1;
}

/* Sort buffers for a unit of n entries: grown by doubling as units need (never beyond the unit
 * limit, except for one column larger than it), so a large budget is not taken up front. */
static msiz_status temp_room(msiz_tr_buffer *b, size_t n)
{
    if (b->rows && n <= b->temp_alloc)
        return MSIZ_OK;
    size_t want = b->temp_alloc > 2048 ? 2 * b->temp_alloc : 4096;
    want = want < b->temp_cap ? want : b->temp_cap;
    want = want > n ? want : n;
    msiz_free(b->rows);
    msiz_free(b->vals);
    b->temp_alloc = 0;
    b->rows = msiz_malloc(want * sizeof *b->rows);
    b->vals = msiz_malloc(want * sizeof *b->vals);
    if (!b->rows || !b->vals)
        return msiz_fail(MSIZ_E_NOMEM, "out of memory sorting %zu transpose entries", want);
    b->temp_alloc = want;
    return MSIZ_OK;
}

static void count_group(const msiz_tr_buffer *b, uint32_t g, uint64_t *counts)
{
    cursor cur;
    uint32_t row;
    uint64_t col;
    double val;
    cursor_init(&cur, b, g);
    while (cursor_next(&cur, &row, &col, &val))
        counts[col]++;
}

/* Sorts the entries of columns [lo, hi) of group g (prefix[lo..hi) holds their counts) into
 * the temp, then turns prefix[lo..hi) into base + column starts. whole: [lo, hi) is the group. */
static void sort_unit(msiz_tr_buffer *b, uint32_t g, uint64_t lo, uint64_t hi, uint64_t base,
                      uint64_t *prefix, int whole)
{
    uint64_t at = 0;
    for (uint64_t c = lo; c < hi; c++) {
        uint64_t k = prefix[c];
        prefix[c] = at;
        at += k;
    }
    int32_t *rows = b->rows;
    double *vals = b->vals;
    cursor cur;
    uint32_t row;
    uint64_t col;
    double val;
    cursor_init(&cur, b, g);
    while (cursor_next(&cur, &row, &col, &val))
        if (whole || (col >= lo && col < hi)) {
            uint64_t slot = prefix[col]++;
            rows[slot] = (int32_t)row;
            vals[slot] = val;
        }
    /* prefix[c] is now the end of column c: shift back to starts, plus the base */
    for (uint64_t c = hi - 1; c > lo; c--)
        prefix[c] = base + prefix[c - 1];
    prefix[lo] = base;
}

msiz_status msiz_tr_buffer_sort(msiz_tr_buffer *b, uint64_t *prefix, uint64_t *counts,
                                msiz_tr_unit_fn fn, void *ctx)
{
    uint64_t base = 0;
    for (uint32_t g = 0; g < b->n_groups; g++) {
        uint64_t lo = (uint64_t)g << b->shift, hi = lo + ((uint64_t)1 << b->shift);
        hi = hi < b->n_cols ? hi : b->n_cols;
        memset(prefix + lo, 0, (hi - lo) * sizeof *prefix);
        count_group(b, g, prefix);
        if (counts)
            for (uint64_t c = lo; c < hi; c++)
                counts[c] += prefix[c];
        for (uint64_t a = lo, z; a < hi; a = z) { /* units of at most temp_cap entries */
            size_t n = (size_t)prefix[a];
            for (z = a + 1; z < hi && n + prefix[z] <= b->temp_cap; z++)
                n += (size_t)prefix[z];
            msiz_status status = temp_room(b, n);
            if (status < 0)
                return status;
            sort_unit(b, g, a, z, base, prefix, a == lo && z == hi);
            status = fn(ctx, a, z, base, prefix, b->rows, b->vals, n);
            if (status < 0)
                return status;
            base += n;
        }
    }
    prefix[b->n_cols] = base;
    return MSIZ_OK;
}

msiz_status msiz_tr_buffer_write(const msiz_tr_buffer *b, msiz_spill_file *f, uint64_t *counts)
{
    msiz_status status = MSIZ_OK;
    cursor cur;
    uint32_t row;
    uint64_t col;
    double val;
    for (uint32_t g = 0; g < b->n_groups && status == MSIZ_OK; g++) {
        cursor_init(&cur, b, g);
        while (status == MSIZ_OK && cursor_next(&cur, &row, &col, &val)) {
            msiz_tr_entry e = {row, (uint32_t)col, val};
            counts[col]++;
            status = msiz_spill_file_put(f, &e, sizeof e);
        }
    }
    return status;
}
