/* QC report: the top peaks of the average spectrum (rule in report_internal.h and
 * docs/usage.md "QC report"), and bin widths. */
#include <stdlib.h>

#include "common/alloc.h"
#include "common/error.h"
#include "report/report_internal.h"

typedef struct candidate {
    double height;
    uint64_t bin;
} candidate;

static int by_height(const void *pa, const void *pb)
{
    const candidate *a = pa, *b = pb;
    if (a->height != b->height)
        return a->height > b->height ? -1 : 1;
    return a->bin < b->bin ? -1 : a->bin > b->bin;
}

static int is_local_max(const double *a, uint64_t n, uint64_t i)
{
    return a[i] > 0 && (i == 0 || a[i] > a[i - 1]) && (i + 1 == n || a[i] >= a[i + 1]);
}

/* 1 when bin i is the highest point of its half-height region (equal bins before it win).
 * Walks left and right one step at a time so that a candidate on the shoulder of a higher
 * peak is rejected after about twice the distance to that peak. */
static int dominates_region(const double *a, uint64_t n, uint64_t i)
{
    double h = a[i], half = h / 2;
    uint64_t l = i, r = i;
    int left_open = 1, right_open = 1;
    while (left_open || right_open) {
        if (left_open) {
            if (l == 0 || !(a[l - 1] >= half)) {
                left_open = 0;
            } else {
                l--;
                if (a[l] >= h)
                    return 0; /* higher, or equal and earlier */
            }
        }
        if (right_open) {
            if (r + 1 == n || !(a[r + 1] >= half)) {
                right_open = 0;
            } else {
                r++;
                if (a[r] > h)
                    return 0;
            }
        }
    }
    return 1;
}

msiz_status msiz_top_peaks(const double *a, uint64_t n, size_t want, uint64_t *bins, size_t *found)
{
    *found = 0;
    if (want == 0 || n == 0)
        return MSIZ_OK;
    uint64_t count = 0;
    for (uint64_t i = 0; i < n; i++)
        count += is_local_max(a, n, i);
    if (count == 0)
        return MSIZ_OK;
    candidate *c = msiz_malloc((size_t)count * sizeof *c);
    if (!c)
        return msiz_fail(MSIZ_E_NOMEM, "report: out of memory for %llu peak candidates",
                         (unsigned long long)count);
    size_t k = 0;
    for (uint64_t i = 0; i < n; i++)
        if (is_local_max(a, n, i))
            c[k++] = (candidate){a[i], i};
    qsort(c, k, sizeof *c, by_height);
    for (size_t j = 0; j < k && *found < want; j++)
        if (dominates_region(a, n, c[j].bin))
            bins[(*found)++] = c[j].bin;
    msiz_free(c);
    return MSIZ_OK;
}

double msiz_bin_width(const double *mz, uint64_t n, uint64_t j)
{
    if (n < 2)
        return 0;
    if (j == 0)
        return mz[1] - mz[0];
    if (j + 1 == n)
        return mz[n - 1] - mz[n - 2];
    return (mz[j + 1] - mz[j - 1]) / 2;
}
