/* External-memory transpose: the same columns for every budget, in memory or spilled. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/alloc.h"
#include "io/fs.h"
#include "io/spill.h"
#include "sparse/transpose.h"

#define N_ROWS 3000
#define N_COLS 700

/* Every test spills into a spill of its own in a private folder. */
typedef struct fixture {
    char dir[32];
    msiz_spill *spill;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    snprintf(f->dir, sizeof f->dir, "/tmp/msiz_tr_XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    assert_int_equal(msiz_spill_new(f->dir, &f->spill), MSIZ_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    msiz_spill_free(f->spill);
    assert_int_equal(msiz_remove_tree(f->dir), MSIZ_OK);
    free(f);
    return 0;
}

/* Deterministic sparse pattern: entry (r, c) exists when hash(r, c) % 8 == 0; column 5 is
 * dense. Rows r % 3 == 1 have no entries (skipped by the caller: row ids jump). */
static int has_entry(uint32_t r, uint32_t c)
{
    uint64_t h = (uint64_t)r * 2654435761u ^ (uint64_t)c * 40503u;
    h ^= h >> 13;
    return (h * 0x9E3779B97F4A7C15ull >> 61) == 0 || c == 5;
}

/* A third of the values are not float32 numbers (stored as two items in the buffer). */
static double value_of(uint32_t r, uint32_t c)
{
    return (double)r * 1000.0 + c + ((r + c) % 3 == 0 ? 0.1 : 0.5);
}

static void add_rows(msiz_transpose *t)
{
    uint32_t cols[N_COLS];
    double vals[N_COLS];
    for (uint32_t r = 0; r < N_ROWS; r++) {
        if (r % 3 == 1)
            continue;
        size_t n = 0;
        for (uint32_t c = 0; c < N_COLS; c++)
            if (has_entry(r, c)) {
                cols[n] = c;
                vals[n++] = value_of(r, c);
            }
        assert_int_equal(msiz_transpose_add_row(t, r, cols, vals, n), MSIZ_OK);
    }
}

/* Full check: every column equals the dense reference (skipped rows excluded). */
typedef struct ref_ctx {
    uint64_t next_col;
    int ok;
    uint64_t nnz;
} ref_ctx;

static msiz_status ref_column(void *ctx, uint64_t col, const int32_t *rows, const double *vals,
                              size_t n)
{
    ref_ctx *k = ctx;
    size_t j = 0;
    if (col != k->next_col++)
        k->ok = 0;
    for (uint32_t r = 0; r < N_ROWS && col < N_COLS; r++) { /* columns past N_COLS are empty */
        if (r % 3 == 1 || !has_entry(r, (uint32_t)col))
            continue;
        if (j >= n || rows[j] != (int32_t)r || vals[j] != value_of(r, (uint32_t)col))
            k->ok = 0;
        j++;
    }
    if (j != n)
        k->ok = 0;
    k->nnz += n;
    return MSIZ_OK;
}

/* The same columns whatever the budget: in memory, or spilled as several runs. */
static void test_columns_exact(void **state)
{
    fixture *f = *state;
    /* 256 KiB: many sorted runs and column blocks; 600 KiB: a few of each; 64 MiB: in memory;
     * 256 KiB over 100,000 columns: too many columns for runs, so raw spill and recursive
     * distribution into column ranges */
    size_t budgets[] = {(size_t)256 << 10, (size_t)600 << 10, (size_t)64 << 20, (size_t)256 << 10};
    uint64_t n_cols[] = {N_COLS, N_COLS, N_COLS, 100000};
    int spills[] = {1, 1, 0, 1};
    for (size_t b = 0; b < 4; b++) {
        msiz_transpose *t = NULL;
        assert_int_equal(msiz_transpose_new(n_cols[b], budgets[b], f->spill, &t), MSIZ_OK);
        add_rows(t);
        ref_ctx k = {0, 1, 0};
        assert_int_equal(msiz_transpose_finish(t, ref_column, &k), MSIZ_OK);
        assert_true(k.ok);
        assert_int_equal(k.next_col, n_cols[b]);
        assert_int_equal(k.nnz, msiz_transpose_nnz(t));
        assert_int_equal(msiz_transpose_spilled_bytes(t) > 0, spills[b]);
        msiz_transpose_free(t);
    }
}

#define HEAVY_ROWS 60000 /* more than 256 KiB holds */

typedef struct heavy_ctx {
    uint64_t next_col, seen;
    int ok;
} heavy_ctx;

static msiz_status heavy_column(void *ctx, uint64_t col, const int32_t *rows, const double *vals,
                                size_t n)
{
    heavy_ctx *k = ctx;
    k->ok &= col == k->next_col++;
    k->ok &= col == 50000 ? n == HEAVY_ROWS : n == 0;
    for (size_t i = 0; i < n; i++)
        k->ok &= rows[i] == (int32_t)i && vals[i] == (double)i + 1;
    k->seen += n;
    return MSIZ_OK;
}

/* Raw mode: one heavy column between empty ones cannot be split further (this recursed without
 * end once). */
static void test_heavy_column_after_empty_ones(void **state)
{
    fixture *f = *state;
    msiz_transpose *t = NULL;
    assert_int_equal(msiz_transpose_new(100000, (size_t)256 << 10, f->spill, &t), MSIZ_OK);
    for (uint32_t r = 0; r < HEAVY_ROWS; r++) {
        uint32_t col = 50000;
        double v = (double)r + 1;
        assert_int_equal(msiz_transpose_add_row(t, r, &col, &v, 1), MSIZ_OK);
    }
    heavy_ctx k = {0, 0, 1};
    assert_int_equal(msiz_transpose_finish(t, heavy_column, &k), MSIZ_OK);
    assert_true(k.ok);
    assert_int_equal(k.seen, HEAVY_ROWS);
    assert_int_equal(k.next_col, 100000);
    assert_true(msiz_transpose_spilled_bytes(t) > 0);
    msiz_transpose_free(t);
}

/* Values the buffer must keep bit for bit: float32 numbers (one item) and the rest (two). */
static const uint64_t ODD_BITS[] = {
    0x8000000000000000ull, /* -0.0 */
    0x7ff8000000000123ull, /* a NaN with a payload */
    0x7e37e43c8800759cull, /* 1e300 */
    0x0000000000000fa0ull, /* a subnormal */
    0x47efffffe0000000ull, /* FLT_MAX */
    0x47efffffe0000001ull, /* just above it */
    0x36a0000000000000ull, /* the smallest float32 subnormal */
    0xfff0000000000000ull, /* -Inf */
};
#define N_ODD (sizeof ODD_BITS / sizeof ODD_BITS[0])

typedef struct bits_ctx {
    uint64_t col, rows_seen;
    int ok;
} bits_ctx;

static msiz_status bits_column(void *ctx, uint64_t col, const int32_t *rows, const double *vals,
                               size_t n)
{
    bits_ctx *k = ctx;
    k->ok &= col == k->col++;
    for (size_t i = 0; i < n; i++) {
        uint64_t b;
        memcpy(&b, &vals[i], 8);
        /* row r holds ODD_BITS[(r + col) % N_ODD] in columns col = 0 .. 9 */
        uint32_t r = (uint32_t)rows[i]; /* row ids beyond INT32_MAX come back as int32 bits */
        k->ok &= b == ODD_BITS[((uint64_t)r + col) % N_ODD];
        k->ok &= i == 0 || r > (uint32_t)rows[i - 1];
    }
    k->rows_seen += n;
    return MSIZ_OK;
}

/* Exact values come back bit for bit, in memory and spilled; rows far apart (beyond what one
 * buffered run can number) force a spill and keep their ids. */
static void test_values_and_row_ids_exact(void **state)
{
    fixture *f = *state;
    size_t budgets[] = {(size_t)64 << 20, (size_t)256 << 10};
    for (size_t b = 0; b < 2; b++) {
        msiz_transpose *t = NULL;
        assert_int_equal(msiz_transpose_new(10, budgets[b], f->spill, &t), MSIZ_OK);
        uint32_t cols[10];
        double vals[10];
        uint32_t rows[] = {0, 1, 2, 40000, 40001, 3000000000u, 3000000001u, 4294967295u};
        for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
            for (uint32_t c = 0; c < 10; c++) {
                cols[c] = c;
                memcpy(&vals[c], &ODD_BITS[((uint64_t)rows[i] + c) % N_ODD], 8);
            }
            assert_int_equal(msiz_transpose_add_row(t, rows[i], cols, vals, 10), MSIZ_OK);
        }
        bits_ctx k = {0, 0, 1};
        assert_int_equal(msiz_transpose_finish(t, bits_column, &k), MSIZ_OK);
        assert_true(k.ok);
        assert_int_equal(k.rows_seen, 80);
        assert_true(msiz_transpose_spilled_bytes(t) > 0); /* row ids beyond a run's reach */
        msiz_transpose_free(t);
    }
}

static void test_rows_must_ascend(void **state)
{
    fixture *f = *state;
    msiz_transpose *t = NULL;
    uint32_t c = 1;
    double v = 1.0;
    assert_int_equal(msiz_transpose_new(4, 0, NULL, &t), MSIZ_E_ARG); /* no spill storage */
    assert_int_equal(msiz_transpose_new(4, 0, f->spill, &t), MSIZ_OK);
    assert_int_equal(msiz_transpose_add_row(t, 3, &c, &v, 1), MSIZ_OK);
    assert_int_equal(msiz_transpose_add_row(t, 3, &c, &v, 1), MSIZ_E_ARG);
    c = 9;
    assert_int_equal(msiz_transpose_add_row(t, 4, &c, &v, 1), MSIZ_E_ARG);
    msiz_transpose_free(t);
}

static int count_dir_entries(const char *path)
{
    DIR *d = opendir(path);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL)
        n += e->d_name[0] != '.';
    if (d)
        closedir(d);
    return n;
}

/* The spill folder appears with the first spilled run; the transpose's files go with the
 * transpose, the folder with the spill. */
static void test_temp_files_removed(void **state)
{
    fixture *f = *state;
    msiz_transpose *t = NULL;
    assert_int_equal(msiz_transpose_new(N_COLS, 0, f->spill, &t), MSIZ_OK);
    assert_null(msiz_spill_dir(f->spill));
    uint32_t cols[N_COLS];
    double vals[N_COLS];
    for (uint32_t r = 0; r < 500; r++) {
        for (uint32_t c = 0; c < N_COLS; c++)
            cols[c] = c, vals[c] = 1.0;
        assert_int_equal(msiz_transpose_add_row(t, r, cols, vals, N_COLS), MSIZ_OK);
    }
    assert_true(msiz_transpose_spilled_bytes(t) > 0);
    const char *folder = msiz_spill_dir(f->spill);
    assert_non_null(folder);
    assert_int_equal(count_dir_entries(f->dir), 1);
    assert_int_equal(count_dir_entries(folder), 1);
    msiz_transpose_free(t); /* abandoned before finish: files go too */
    assert_int_equal(count_dir_entries(folder), 0);
    msiz_spill_free(f->spill);
    f->spill = NULL;
    assert_int_equal(count_dir_entries(f->dir), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_columns_exact, setup, teardown),
        cmocka_unit_test_setup_teardown(test_heavy_column_after_empty_ones, setup, teardown),
        cmocka_unit_test_setup_teardown(test_values_and_row_ids_exact, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rows_must_ascend, setup, teardown),
        cmocka_unit_test_setup_teardown(test_temp_files_removed, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
