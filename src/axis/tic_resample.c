/* TIC-preserving resampling (resampling.md §5, Thyra 3.x converter path): numpy.interp onto the
 * axis with zeros outside the spectrum, optional gap tolerance, rescale to the summed intensity
 * of the spectrum's points inside the range the axis was built on (msizarr's rule, §5 step 5:
 * Thyra measures the share against the outer bin centres and so loses the outer half-bins).
 * Every numpy step is reproduced in its own operation order: interp's slope * (x - xp[j]) +
 * fp[j] and pairwise sums. The dense interpolated array is zero outside the spectrum's span, so
 * its pairwise sum is computed by skipping all-zero sub-blocks (adding +0.0 is exact). */
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
    double keep_lo, keep_hi; /* the range the axis was built on */
    double *dense;           /* all zero between calls */
    peak *peaks, *tmp;
    size_t peaks_cap, tmp_cap;
    double *mzs, *ints;
    size_t mzs_cap, ints_cap;
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
    r->keep_lo = axis[0];
    r->keep_hi = axis[n - 1];
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
    msiz_free(r);
}

msiz_status msiz_tic_resampler_set_range(msiz_tic_resampler *r, double mz_min, double mz_max)
{
    if (!(mz_min <= mz_max) || !isfinite(mz_min) || !isfinite(mz_max))
        return msiz_fail(MSIZ_E_ARG, "tic resampler: invalid m/z range %g-%g", mz_min, mz_max);
    r->keep_lo = mz_min;
    r->keep_hi = mz_max;
    return MSIZ_OK;
}

static msiz_status grow(void *buf, size_t *cap, size_t need, size_t elem)
{
    msiz_status status = msiz_grow((void **)buf, cap, need ? need : 1, elem, TIC_MAX_PEAKS);
    if (status < 0)
        return msiz_fail_context(status, "tic resampler: peaks of a %zu-peak spectrum", need);
    return MSIZ_OK;
}

/* ---- numpy pieces ---- */

/* Last j with xp[j] <= x for xp[0] <= x <= xp[m-1] (binary_search_with_guess's result). The
 * axis values come in ascending order, so the answer is usually the guess or a few points past
 * it: those are tried first (a binary search over 100,000 points for every bin made the profile
 * benchmark 2x slower); the search covers the rest, with the same result. */
static size_t last_le(const double *xp, size_t m, double x, size_t guess)
{
    size_t lo = 0, hi = m;
    if (guess < m && xp[guess] <= x) {
        for (int step = 0; step < 8; step++, guess++)
            if (guess + 1 == m || x < xp[guess + 1])
                return guess;
        lo = guess; /* xp[guess] <= x still holds */
    }
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

/* First index with v[i] >= x in ascending v[0..n), or n. */
static size_t lower_bound(const double *v, size_t n, double x)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v[mid] < x)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The sorted points inside [keep_lo, keep_hi]: [*first, *end). */
static void in_range(const msiz_tic_resampler *r, size_t m, size_t *first, size_t *end)
{
    *first = lower_bound(r->mzs, m, r->keep_lo);
    size_t e = *first;
    while (e < m && r->mzs[e] <= r->keep_hi)
        e++;
    *end = e;
}

/* The TIC to preserve: numpy's sum of the intensities of the points inside the axis range. */
static double preserved_tic(const msiz_tic_resampler *r, size_t m)
{
    size_t first, end;
    in_range(r, m, &first, &end);
    return msiz_pairwise_sum(r->ints + first, end - first); /* 0.0 + pairwise, as np.sum */
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

/* argmin |axis - x| (first minimum: ties go low), numpy's argmin. */
static size_t nearest_bin(const msiz_tic_resampler *r, double x)
{
    size_t i = lower_bound(r->axis, r->n, x); /* argmin is at i-1 or i; the first one wins */
    size_t best = i == r->n ? r->n - 1 : i;
    if (i > 0 && !(fabs(r->axis[best] - x) < fabs(r->axis[i - 1] - x)))
        best = i - 1;
    return best;
}

/* Single peak: preserved TIC into its nearest bin (Thyra's lone-peak rule). */
static void lone_peak(msiz_tic_resampler *r, uint32_t *out_index, double *out_value, size_t *out_n)
{
    double target = preserved_tic(r, 1);
    if (!(target > 0.0))
        return;
    out_index[0] = (uint32_t)nearest_bin(r, r->mzs[0]);
    out_value[0] = target;
    *out_n = 1;
}

/* Interpolation reached no bin (every point lies between two neighbouring centres, or beyond an
 * outer centre: a spectrum narrower than a bin, or one in an outer half-bin). Thyra would store
 * nothing; msizarr puts each in-range point into its nearest bin, as the lone-peak rule does, so
 * the preserved TIC is kept. Points are sorted, so their bins do not go down. */
static void nearest_points(msiz_tic_resampler *r, size_t m, uint32_t *out_index, double *out_value,
                           size_t *out_n)
{
    size_t first, end, k = 0;
    in_range(r, m, &first, &end);
    for (size_t i = first; i < end; i++) {
        uint32_t bin = (uint32_t)nearest_bin(r, r->mzs[i]);
        if (k > 0 && out_index[k - 1] == bin) {
            out_value[k - 1] += r->ints[i];
            continue;
        }
        if (k > 0 && out_value[k - 1] == 0)
            k--; /* a bin that summed to zero is not stored */
        out_index[k] = bin;
        out_value[k++] = 0.0 + r->ints[i];
    }
    if (k > 0 && out_value[k - 1] == 0)
        k--;
    *out_n = k;
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
    if (m == 1) {
        lone_peak(r, out_index, out_value, out_n);
        return MSIZ_OK;
    }
    const double *axis = r->axis;
    /* interp with left = right = 0: only axis values within [mzs[0], mzs[m-1]] are non-zero */
    size_t lo = lower_bound(axis, r->n, r->mzs[0]), hi, guess = 0;
    for (hi = lo; hi < r->n && axis[hi] <= r->mzs[m - 1]; hi++)
        r->dense[hi] = interp_one(axis[hi], r->mzs, r->ints, m, 0.0, 0.0, &guess);
    if (r->gap > 0)
        apply_gap(r, m, lo, hi);
    double target = preserved_tic(r, m);
    if (hi == lo) {
        if (target > 0.0)
            nearest_points(r, m, out_index, out_value, out_n);
        return MSIZ_OK;
    }
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
    memset(r->dense + lo, 0, (hi - lo) * sizeof *r->dense);
    return MSIZ_OK;
}
