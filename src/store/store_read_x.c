/* Store reader: X of a table (CSC or CSR; int32 or int64 indices and indptr), one major slice
 * at a time or front to back, in blocks of BLOCK entries. Index values are checked against the
 * shape before a caller sees them. */
#include <string.h>

#include "common/alloc.h"
#include "common/error.h"
#include "store/store_internal.h"
#include "store/store_read_internal.h"

#define BLOCK ((uint64_t)65536)

struct msiz_store_x {
    char path[MSIZ_STORE_PATH_MAX]; /* "<store>/tables/<t>/X", for messages */
    msiz_stored_table t;
    uint64_t n_major, n_minor;
    msiz_zarr_rarray *indptr, *indices, *data;
    int64_t ptr[BLOCK + 1];
    int64_t minor[BLOCK];
    double values[BLOCK];
    uint64_t buf_lo, buf_hi; /* entries [buf_lo, buf_hi) are in minor/values */
};

static msiz_status open_member(msiz_store_reader *r, msiz_store_x *x, const char *table,
                               const char *name, uint64_t len, msiz_zarr_rarray **out)
{
    char path[MSIZ_STORE_PATH_MAX];
    msiz_status status = msiz_store_reader_path("tables", table, name, path, sizeof path);
    if (status == MSIZ_OK)
        status = msiz_zarr_rarray_open(r->z, path, out);
    if (status < 0)
        return status;
    const msiz_zarr_rinfo *info = msiz_zarr_rarray_info(*out);
    if (info->ndim != 1 || (len != UINT64_MAX && info->shape[0] != len))
        return msiz_fail(MSIZ_E_FORMAT, "%s: %s has %llu values, expected %llu", x->path, name + 2,
                         info->ndim == 1 ? (unsigned long long)info->shape[0] : 0ULL,
                         (unsigned long long)len);
    if (info->dtype == MSIZ_DT_STRING)
        return msiz_fail(MSIZ_E_FORMAT, "%s: %s holds strings", x->path, name + 2);
    return MSIZ_OK;
}

msiz_status msiz_store_x_open(msiz_store_reader *r, const char *table,
                              const msiz_stored_table *known, msiz_store_x **out)
{
    msiz_status status = MSIZ_OK;
    msiz_store_x *x = msiz_calloc(1, sizeof *x);
    *out = NULL;
    MSIZ_FAIL_IF(!x, MSIZ_E_NOMEM, "out of memory for reading X of '%s'", table);
    int n = snprintf(x->path, sizeof x->path, "%s/tables/%s/X", msiz_zarr_reader_root(r->z), table);
    MSIZ_FAIL_IF(n < 0 || (size_t)n >= sizeof x->path, MSIZ_E_LIMIT, "table name too long");
    if (known)
        x->t = *known;
    else
        MSIZ_TRY(msiz_store_read_table(r, table, &x->t));
    int csc = x->t.format == MSIZ_SPARSE_CSC;
    x->n_major = csc ? x->t.n_var : x->t.n_obs;
    x->n_minor = csc ? x->t.n_obs : x->t.n_var;
    MSIZ_TRY(open_member(r, x, table, "X/indptr", x->n_major + 1, &x->indptr));
    MSIZ_TRY(open_member(r, x, table, "X/data", UINT64_MAX, &x->data));
    x->t.nnz = msiz_zarr_rarray_info(x->data)->shape[0];
    MSIZ_TRY(open_member(r, x, table, "X/indices", x->t.nnz, &x->indices));
    *out = x;
    x = NULL;
cleanup:
    msiz_store_x_close(x);
    return status;
}

void msiz_store_x_close(msiz_store_x *x)
{
    if (!x)
        return;
    msiz_zarr_rarray_close(x->indptr);
    msiz_zarr_rarray_close(x->indices);
    msiz_zarr_rarray_close(x->data);
    msiz_free(x);
}

/* Loads entries [lo, min(lo + BLOCK, nnz)) and checks their minor indices. */
static msiz_status load_entries(msiz_store_x *x, uint64_t lo)
{
    uint64_t n = x->t.nnz - lo < BLOCK ? x->t.nnz - lo : BLOCK;
    msiz_status status = msiz_zarr_rarray_read(x->indices, &lo, &n, MSIZ_DT_INT64, x->minor);
    if (status == MSIZ_OK)
        status = msiz_zarr_rarray_read(x->data, &lo, &n, MSIZ_DT_FLOAT64, x->values);
    if (status < 0)
        return status;
    for (uint64_t i = 0; i < n; i++)
        if (x->minor[i] < 0 || (uint64_t)x->minor[i] >= x->n_minor)
            return msiz_fail(MSIZ_E_FORMAT, "%s: entry %llu has index %lld outside [0, %llu)",
                             x->path, (unsigned long long)(lo + i), (long long)x->minor[i],
                             (unsigned long long)x->n_minor);
    x->buf_lo = lo;
    x->buf_hi = lo + n;
    return MSIZ_OK;
}

/* Entries [lo, hi) of `major`, from the block buffer (refilled as needed). */
static msiz_status deliver(msiz_store_x *x, uint64_t major, uint64_t lo, uint64_t hi,
                           msiz_store_x_fn fn, void *ctx)
{
    while (lo < hi) {
        if (lo < x->buf_lo || lo >= x->buf_hi) {
            msiz_status status = load_entries(x, lo);
            if (status < 0)
                return status;
        }
        uint64_t end = hi < x->buf_hi ? hi : x->buf_hi;
        msiz_status status = fn(ctx, major, x->minor + (lo - x->buf_lo),
                                x->values + (lo - x->buf_lo), (size_t)(end - lo));
        if (status < 0)
            return status;
        lo = end;
    }
    return MSIZ_OK;
}

static msiz_status check_range(const msiz_store_x *x, uint64_t major, int64_t lo, int64_t hi)
{
    if (lo < 0 || hi < lo || (uint64_t)hi > x->t.nnz)
        return msiz_fail(MSIZ_E_FORMAT,
                         "%s: indptr[%llu..%llu] = %lld..%lld is not a range of "
                         "the %llu entries",
                         x->path, (unsigned long long)major, (unsigned long long)major + 1,
                         (long long)lo, (long long)hi, (unsigned long long)x->t.nnz);
    return MSIZ_OK;
}

msiz_status msiz_store_x_slice(msiz_store_x *x, uint64_t major, msiz_store_x_fn fn, void *ctx)
{
    if (major >= x->n_major)
        return msiz_fail(MSIZ_E_ARG, "%s: slice %llu outside %llu", x->path,
                         (unsigned long long)major, (unsigned long long)x->n_major);
    uint64_t two = 2;
    int64_t ptr[2];
    msiz_status status = msiz_zarr_rarray_read(x->indptr, &major, &two, MSIZ_DT_INT64, ptr);
    if (status == MSIZ_OK)
        status = check_range(x, major, ptr[0], ptr[1]);
    if (status == MSIZ_OK)
        status = deliver(x, major, (uint64_t)ptr[0], (uint64_t)ptr[1], fn, ctx);
    return status;
}

msiz_status msiz_store_x_scan(msiz_store_x *x, msiz_store_x_fn fn, void *ctx)
{
    for (uint64_t m0 = 0; m0 < x->n_major; m0 += BLOCK) {
        uint64_t k = x->n_major - m0 < BLOCK ? x->n_major - m0 : BLOCK, len = k + 1;
        msiz_status status = msiz_zarr_rarray_read(x->indptr, &m0, &len, MSIZ_DT_INT64, x->ptr);
        if (status < 0)
            return status;
        if (m0 == 0 && x->ptr[0] != 0)
            return msiz_fail(MSIZ_E_FORMAT, "%s: indptr starts at %lld, not 0", x->path,
                             (long long)x->ptr[0]);
        for (uint64_t i = 0; i < k; i++) {
            status = check_range(x, m0 + i, x->ptr[i], x->ptr[i + 1]);
            if (status == MSIZ_OK)
                status = deliver(x, m0 + i, (uint64_t)x->ptr[i], (uint64_t)x->ptr[i + 1], fn, ctx);
            if (status < 0)
                return status;
        }
    }
    return MSIZ_OK;
}
