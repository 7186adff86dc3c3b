/* TIC-preserving resampling (resampling.md §5, Thyra 3.x converter path): numpy.interp onto the
 * axis with zeros outside the spectrum, optional gap tolerance, rescale to the share of the TIC
 * inside the axis range. Every numpy step is reproduced in its own operation order: interp's
 * slope * (x - xp[j]) + fp[j], trapezoid's (dx * (y[k+1] + y[k])) / 2.0, and pairwise sums.
 * The dense interpolated array is zero outside the spectrum's span, so its pairwise sum is
 * computed by skipping all-zero sub-blocks (adding +0.0 is exact). */
#include <math.h>
#include <string.h>

#include "common/alloc.h"
#include "common/error.h"
#include "msizarr/axis.h"

typedef struct peak {
    double mz, intensity;
} peak;

struct msiz_tic_resampler {
    double *axis;
    size_t n;
    double gap;
    double *dense; /* all zero between calls */
    peak *peaks, *tmp;
    size_t peaks_cap, tmp_cap;
    double *mzs, *ints, *work, *kept_mz, *kept_val;
    size_t mzs_cap, ints_cap, work_cap, kept_mz_cap, kept_val_cap;
};

#define TIC_MAX_PEAKS ((size_t)1 << 31)

msiz_status msiz_tic_resampler_new(const double *axis, uint64_t n, double gap_tolerance,
                                   msiz_tic_resampler **out)
{
    msiz_status status = MSIZ_OK;
    msiz_tic_resampler *r = NULL;
    *out = NULL;
    MSIZ_FAIL_IF(!axis || n == 0 || n > UINT32_MAX - 1, MSIZ_E_ARG,
                 "tic resampler: axis of %llu values", (unsigned long long)n);
    for (uint64_t i = 1; i < n; i++)
        MSIZ_FAIL_IF(!(axis[i] >= axis[i - 1]), MSIZ_E_ARG,
                     "tic resampler: axis not ascending at index %llu", (unsigned long long)i);
    r = msiz_calloc(1, sizeof *r);
    MSIZ_FAIL_IF(!r, MSIZ_E_NOMEM, "tic resampler: out of memory");
    r->axis = msiz_malloc((size_t)n * sizeof *r->axis);
    r->dense = msiz_calloc((size_t)n, sizeof *r->dense);
    MSIZ_FAIL_IF(!r->axis || !r->dense, MSIZ_E_NOMEM, "tic resampler: no memory for %llu bins",
                 (unsigned long long)n);
    memcpy(r->axis, axis, (size_t)n * sizeof *axis);
    r->n = (size_t)n;
    r->gap = gap_tolerance > 0 ? gap_tolerance : 0.0;
    *out = r;
    r = NULL;
cleanup:
    msiz_tic_resampler_free(r);
    return status;
}

void msiz_tic_resampler_free(msiz_tic_resampler *r)
{
    if (!r)
        return;
    msiz_free(r->axis);
    msiz_free(r->dense);
    msiz_free(r->peaks);
    msiz_free(r->tmp);
    msiz_free(r->mzs);
    msiz_free(r->ints);
    msiz_free(r->work);
    msiz_free(r->kept_mz);
    msiz_free(r->kept_val);
    msiz_free(r);
}

static msiz_status grow(void *buf, size_t *cap, size_t need, size_t elem)
{
    if (msiz_grow((void **)buf, cap, need ? need : 1, elem, TIC_MAX_PEAKS) < 0)
        return msiz_fail(MSIZ_E_NOMEM, "tic resampler: no memory for a %zu-peak spectrum", need);
    return MSIZ_OK;
}

/* ---- numpy pieces ---- */

/* Last j with xp[j] <= x for xp[0] <= x <= xp[m-1] (binary_search_with_guess's result). */
static size_t last_le(const double *xp, size_t m, double x, size_t guess)
{
    size_t lo = 0, hi = m;
    if (guess < m && xp[guess] <= x && (guess + 1 == m || x < xp[guess + 1]))
        return guess;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (x >= xp[mid])
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo - 1;
}

/* numpy arr_interp for one non-NaN x with m >= 2 sample points. */
static double interp_one(double x, const double *xp, const double *fp, size_t m, double left,
                         double right, size_t *guess)
{
    if (x > xp[m - 1])
        return right;
    if (x < xp[0])
        return left;
    size_t j = last_le(xp, m, x, *guess);
    *guess = j;
    if (j == m - 1 || xp[j] == x)
        return fp[j];
    double slope = (fp[j + 1] - fp[j]) / (xp[j + 1] - xp[j]);
    double v = slope * (x - xp[j]) + fp[j];
    if (isnan(v)) {
        v = slope * (x - xp[j + 1]) + fp[j + 1];
        if (isnan(v) && fp[j] == fp[j + 1])
            v = fp[j];
    }
    return v;
}

/* np.trapezoid(y, x) = pairwise sum of (x[k+1]-x[k]) * (y[k+1]+y[k]) / 2.0. */
static double trapezoid(const double *y, const double *x, size_t m, double *work)
{
    if (m < 2)
        return 0.0;
    for (size_t k = 0; k + 1 < m; k++)
        work[k] = ((x[k + 1] - x[k]) * (y[k + 1] + y[k])) / 2.0;
    return msiz_pairwise_sum(work, m - 1);
}

static double py_max(double a, double b)
{
    return b > a ? b : a;
}
static double py_min(double a, double b)
{
    return b < a ? b : a;
}

/* thyra.resampling.tic.preserved_tic for sorted mzs/ints (m >= 1). */
static msiz_status preserved_tic(msiz_tic_resampler *r, size_t m, double a0, double a1, double *out)
{
    const double *mzs = r->mzs, *ints = r->ints;
    double total = msiz_pairwise_sum(ints, m);
    *out = 0.0;
    if (total <= 0.0)
        return MSIZ_OK;
    if (a0 <= mzs[0] && a1 >= mzs[m - 1]) {
        *out = total;
        return MSIZ_OK;
    }
    double lo = py_max(a0, mzs[0]), hi = py_min(a1, mzs[m - 1]);
    if (hi <= lo)
        return MSIZ_OK;
    msiz_status status = grow(&r->work, &r->work_cap, m + 2, sizeof *r->work);
    if (status < 0)
        return status;
    double whole = trapezoid(ints, mzs, m, r->work);
    if (whole <= 0.0) {
        size_t k = 0;
        for (size_t i = 0; i < m; i++)
            if (mzs[i] >= lo && mzs[i] <= hi)
                r->work[k++] = ints[i];
        *out = msiz_pairwise_sum(r->work, k);
        return MSIZ_OK;
    }
    if ((status = grow(&r->kept_mz, &r->kept_mz_cap, m + 2, sizeof(double))) < 0 ||
        (status = grow(&r->kept_val, &r->kept_val_cap, m + 2, sizeof(double))) < 0)
        return status;
    size_t k = 0, guess = 0;
    r->kept_mz[k++] = lo;
    for (size_t i = 0; i < m; i++)
        if (mzs[i] > lo && mzs[i] < hi)
            r->kept_mz[k++] = mzs[i];
    r->kept_mz[k++] = hi;
    for (size_t i = 0; i < k; i++)
        r->kept_val[i] =
            m == 1 ? ints[0]
                   : interp_one(r->kept_mz[i], mzs, ints, m, ints[0], ints[m - 1], &guess);
    double kept = trapezoid(r->kept_val, r->kept_mz, k, r->work);
    double fraction = py_min(py_max(kept / whole, 0.0), 1.0);
    *out = total * fraction;
    return MSIZ_OK;
}

/* Pairwise sum of r->dense[0..n) knowing it is zero outside [lo, hi). */
static double sparse_pairwise(const double *a, size_t n, size_t base, size_t lo, size_t hi)
{
    if (base >= hi || base + n <= lo)
        return 0.0;
    if (n <= 128)
        return msiz_pairwise_sum(a + base, n);
    size_t n2 = n / 2;
    n2 -= n2 % 8;
    return sparse_pairwise(a, n2, base, lo, hi) + sparse_pairwise(a, n - n2, base + n2, lo, hi);
}

/* First index with axis[i] >= x, or n. */
static size_t lower_bound(const double *axis, size_t n, double x)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (axis[mid] < x)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* ---- sorting (stable, NaN last) ---- */

static int peak_less(const peak *a, const peak *b)
{
    return a->mz < b->mz || (isnan(b->mz) && !isnan(a->mz));
}

static void merge_sort(peak *v, peak *tmp, size_t n)
{
    for (size_t width = 1; width < n; width *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * width) {
            size_t mid = lo + width < n ? lo + width : n;
            size_t hi = lo + 2 * width < n ? lo + 2 * width : n;
            size_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                tmp[k++] = peak_less(&v[j], &v[i]) ? v[j++] : v[i++];
            while (i < mid)
                tmp[k++] = v[i++];
            while (j < hi)
                tmp[k++] = v[j++];
        }
        memcpy(v, tmp, n * sizeof *v);
    }
}

/* Copies the spectrum into r->mzs / r->ints, sorted by m/z when it is not already
 * non-decreasing (the check numpy does: all(mzs[:-1] <= mzs[1:])). */
static msiz_status load_sorted(msiz_tic_resampler *r, const double *mz, const double *in, size_t m)
{
    msiz_status status;
    if ((status = grow(&r->mzs, &r->mzs_cap, m, sizeof(double))) < 0 ||
        (status = grow(&r->ints, &r->ints_cap, m, sizeof(double))) < 0)
        return status;
    int sorted = 1;
    for (size_t k = 0; k + 1 < m && sorted; k++)
        sorted = mz[k] <= mz[k + 1];
    if (sorted) {
        memcpy(r->mzs, mz, m * sizeof *mz);
        memcpy(r->ints, in, m * sizeof *in);
        return MSIZ_OK;
    }
    if ((status = grow(&r->peaks, &r->peaks_cap, m, sizeof(peak))) < 0 ||
        (status = grow(&r->tmp, &r->tmp_cap, m, sizeof(peak))) < 0)
        return status;
    for (size_t k = 0; k < m; k++) {
        r->peaks[k].mz = mz[k];
        r->peaks[k].intensity = in[k];
    }
    merge_sort(r->peaks, r->tmp, m);
    for (size_t k = 0; k < m; k++) {
        r->mzs[k] = r->peaks[k].mz;
        r->ints[k] = r->peaks[k].intensity;
    }
    return MSIZ_OK;
}

/* Single peak: preserved TIC into argmin |axis - mz| (first minimum: ties go low). */
static msiz_status lone_peak(msiz_tic_resampler *r, uint32_t *out_index, double *out_value,
                             size_t *out_n)
{
    double target;
    msiz_status status = preserved_tic(r, 1, r->axis[0], r->axis[r->n - 1], &target);
    if (status < 0 || target <= 0.0)
        return status;
    double x = r->mzs[0];
    size_t i = lower_bound(r->axis, r->n, x); /* argmin is at i-1 or i; the first one wins */
    size_t best = i == r->n ? r->n - 1 : i;
    if (i > 0 && !(fabs(r->axis[best] - x) < fabs(r->axis[i - 1] - x)))
        best = i - 1;
    out_index[0] = (uint32_t)best;
    out_value[0] = target;
    *out_n = 1;
    return MSIZ_OK;
}

/* Zeroes dense bins in [lo, hi) farther than the gap tolerance from every source m/z. */
static void apply_gap(msiz_tic_resampler *r, size_t m, size_t lo, size_t hi)
{
    const double *mzs = r->mzs;
    size_t right = 0;
    for (size_t i = lo; i < hi; i++) {
        double a = r->axis[i];
        while (right < m && mzs[right] < a)
            right++; /* searchsorted left; the axis ascends */
        size_t l = right == 0 ? 0 : right - 1, h = right < m ? right : m - 1;
        double d = fmin(fabs(a - mzs[l]), fabs(a - mzs[h]));
        if (d > r->gap)
            r->dense[i] = 0.0;
    }
}

msiz_status msiz_tic_resampler_map(msiz_tic_resampler *r, const double *mz, const double *intensity,
                                   size_t m, uint32_t *out_index, double *out_value, size_t *out_n)
{
    *out_n = 0;
    if (m == 0)
        return MSIZ_OK;
    if (!mz || !intensity || !out_index || !out_value)
        return msiz_fail(MSIZ_E_ARG, "tic resampler: NULL array for %zu peaks", m);
    msiz_status status = load_sorted(r, mz, intensity, m);
    if (status < 0)
        return status;
    while (m > 0 && isnan(r->mzs[m - 1]))
        m--; /* NaN m/z (sorted last) are dropped */
    if (m == 0)
        return MSIZ_OK;
    if (m == 1)
        return lone_peak(r, out_index, out_value, out_n);
    const double *axis = r->axis, *mzs = r->mzs, *ints = r->ints;
    /* interp with left = right = 0: only axis values within [mzs[0], mzs[m-1]] are non-zero */
    size_t lo = lower_bound(axis, r->n, mzs[0]), hi, guess = 0;
    for (hi = lo; hi < r->n && axis[hi] <= mzs[m - 1]; hi++)
        r->dense[hi] = interp_one(axis[hi], mzs, ints, m, 0.0, 0.0, &guess);
    if (r->gap > 0)
        apply_gap(r, m, lo, hi);
    double target;
    status = preserved_tic(r, m, axis[0], axis[r->n - 1], &target);
    if (status < 0)
        goto reset;
    /* Python: target <= 0 -> zeros; sum <= 0 -> unscaled; else *= target / sum (NaN flows). */
    double factor = 1.0;
    int scale = 0;
    if (!(target <= 0.0)) {
        double current = 0.0 + sparse_pairwise(r->dense, r->n, 0, lo, hi);
        if (!(current <= 0.0)) {
            factor = target / current;
            scale = 1;
        }
    }
    size_t k = 0;
    if (!(target <= 0.0)) {
        for (size_t i = lo; i < hi; i++) {
            double v = scale ? r->dense[i] * factor : r->dense[i];
            if (v != 0) {
                out_index[k] = (uint32_t)i;
                out_value[k++] = v;
            }
        }
    }
    *out_n = k;
reset:
    memset(r->dense + lo, 0, (hi - lo) * sizeof *r->dense);
    return status;
}
