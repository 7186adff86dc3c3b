/* The transpose's entry buffer, grouped by column range (transpose_internal.h).
 *
 * Why groups: a counting sort of the whole buffer by column writes every entry to one of
 * n_cols moving positions (321,887 for the default axis), so each write misses the cache; it
 * was a quarter of a conversion's time. Appending each entry to its group's current block costs
 * about as much as appending to one array (a few hundred tail blocks stay in cache), and sorting
 * one group touches only its own columns. Blocks are chained per group in arrival order, which
 * keeps the sort stable: rows stay ascending within each column. */
#include "sparse/transpose_internal.h"

#include <string.h>

#include "common/alloc.h"
#include "common/error.h"

#define MAX_GROUPS 512

typedef msiz_tr_entry entry;

msiz_status msiz_tr_buffer_init(msiz_tr_buffer *b, uint64_t n_cols, size_t cap)
{
    memset(b, 0, sizeof *b);
    uint64_t blocks = cap / MSIZ_TR_BLOCK;
    b->max_blocks = blocks < 4 ? 4 : blocks > INT32_MAX ? INT32_MAX : (uint32_t)blocks;
    /* at most a quarter of the blocks are partly filled tails: runs stay >= 3/4 full */
    uint64_t groups = b->max_blocks / 4 < MAX_GROUPS ? b->max_blocks / 4 : MAX_GROUPS;
    while ((n_cols - 1) >> b->shift >= groups) /* groups >= 1 */
        b->shift++;
    b->n_groups = (uint32_t)(((n_cols - 1) >> b->shift) + 1);
    b->head = msiz_malloc(b->n_groups * sizeof *b->head);
    b->tail = msiz_malloc(b->n_groups * sizeof *b->tail);
    b->fill = msiz_malloc(b->n_groups * sizeof *b->fill);
    if (!b->head || !b->tail || !b->fill)
        return msiz_fail(MSIZ_E_NOMEM, "out of memory for the transpose's %u column groups",
                         b->n_groups);
    msiz_tr_buffer_clear(b);
    return MSIZ_OK;
}

void msiz_tr_buffer_release(msiz_tr_buffer *b)
{
    msiz_free(b->pool);
    msiz_free(b->next);
    b->pool = NULL;
    b->next = NULL;
    b->allocated = 0;
    msiz_tr_buffer_clear(b);
}

void msiz_tr_buffer_destroy(msiz_tr_buffer *b)
{
    msiz_free(b->pool);
    msiz_free(b->next);
    msiz_free(b->head);
    msiz_free(b->tail);
    msiz_free(b->fill);
    memset(b, 0, sizeof *b);
}

void msiz_tr_buffer_clear(msiz_tr_buffer *b)
{
    b->used = 0;
    b->n = 0;
    for (uint32_t g = 0; b->head && g < b->n_groups; g++) {
        b->head[g] = b->tail[g] = -1;
        b->fill[g] = MSIZ_TR_BLOCK; /* "last block full": the first push takes a block */
    }
}

/* Grows the pool by about half (its memory is the budget's, handed out as it is used). */
static msiz_status grow(msiz_tr_buffer *b)
{
    uint64_t want = (uint64_t)b->allocated + b->allocated / 2 + 16;
    if (want > b->max_blocks)
        want = b->max_blocks;
    entry *pool = msiz_realloc(b->pool, (size_t)want * MSIZ_TR_BLOCK * sizeof *pool);
    if (!pool)
        return msiz_fail(MSIZ_E_NOMEM, "out of memory for the transpose buffer");
    b->pool = pool;
    int32_t *next = msiz_realloc(b->next, (size_t)want * sizeof *next);
    if (!next)
        return msiz_fail(MSIZ_E_NOMEM, "out of memory for the transpose buffer");
    b->next = next;
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
    if (b->tail[g] < 0)
        b->head[g] = k;
    else
        b->next[b->tail[g]] = k;
    b->tail[g] = k;
    b->fill[g] = 0;
    return MSIZ_OK;
}

/* Entries in block k of group g. */
static inline size_t block_len(const msiz_tr_buffer *b, uint32_t g, int32_t k)
{
    return k == b->tail[g] ? b->fill[g] : MSIZ_TR_BLOCK;
}

static inline const entry *block_at(const msiz_tr_buffer *b, int32_t k)
{
    return b->pool + (size_t)k * MSIZ_TR_BLOCK;
}

void msiz_tr_buffer_count(const msiz_tr_buffer *b, uint64_t *counts)
{
    for (uint32_t g = 0; g < b->n_groups; g++)
        for (int32_t k = b->head[g]; k >= 0; k = b->next[k]) {
            const entry *e = block_at(b, k);
            for (size_t i = 0, n = block_len(b, g, k); i < n; i++)
                counts[e[i].col]++;
        }
}

/* Sorts group g into rows/vals from position `base`; returns the position after it. */
static uint64_t sort_group(const msiz_tr_buffer *b, uint32_t g, uint64_t lo, uint64_t hi,
                           uint64_t base, uint64_t *prefix, int32_t *rows, double *vals,
                           uint64_t *counts)
{
    memset(prefix + lo, 0, (hi - lo) * sizeof *prefix);
    for (int32_t k = b->head[g]; k >= 0; k = b->next[k]) {
        const entry *e = block_at(b, k);
        for (size_t i = 0, n = block_len(b, g, k); i < n; i++)
            prefix[e[i].col]++;
    }
    uint64_t at = base;
    for (uint64_t c = lo; c < hi; c++) {
        uint64_t n = prefix[c];
        if (counts)
            counts[c] += n;
        prefix[c] = at;
        at += n;
    }
    for (int32_t k = b->head[g]; k >= 0; k = b->next[k]) {
        const entry *e = block_at(b, k);
        for (size_t i = 0, n = block_len(b, g, k); i < n; i++) {
            uint64_t slot = prefix[e[i].col]++;
            rows[slot] = (int32_t)e[i].row;
            vals[slot] = e[i].val;
        }
    }
    /* prefix[c] is now the end of column c: shift back to starts */
    memmove(prefix + lo + 1, prefix + lo, (hi - lo - 1) * sizeof *prefix);
    prefix[lo] = base;
    return at;
}

void msiz_tr_buffer_sort(const msiz_tr_buffer *b, uint64_t n_cols, uint64_t *prefix, int32_t *rows,
                         double *vals, uint64_t *counts)
{
    uint64_t at = 0;
    for (uint32_t g = 0; g < b->n_groups; g++) {
        uint64_t lo = (uint64_t)g << b->shift, hi = lo + ((uint64_t)1 << b->shift);
        at = sort_group(b, g, lo, hi < n_cols ? hi : n_cols, at, prefix, rows, vals, counts);
    }
    prefix[n_cols] = at;
}

msiz_status msiz_tr_buffer_write(const msiz_tr_buffer *b, msiz_spill_file *f)
{
    for (uint32_t g = 0; g < b->n_groups; g++)
        for (int32_t k = b->head[g]; k >= 0; k = b->next[k]) {
            msiz_status status =
                msiz_spill_file_write(f, block_at(b, k), block_len(b, g, k) * sizeof(entry));
            if (status < 0)
                return status;
        }
    return MSIZ_OK;
}
