/* Unit tests for src/axis: names, bin counts, plan, axis values, binning rules, pairwise sum,
 * TIC-preserving corner cases, union axis (spill, cap, temp files), allocation failures.
 * Exact numpy comparisons over many ranges live in tests/python/test_axis_numpy.py. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/alloc.h"
#include "io/fs.h"
#define MSIZ_EXPERIMENTAL /* experimental API: docs/api.md */
#include "msizarr/experimental.h"

static void test_names(void **state)
{
    (void)state;
    msiz_axis_type t;
    msiz_resample_method m;
    assert_int_equal(msiz_axis_type_parse("orbitrap", &t), MSIZ_OK);
    assert_int_equal(t, MSIZ_AXIS_ORBITRAP);
    assert_string_equal(msiz_axis_type_name(MSIZ_AXIS_LINEAR_TOF), "linear_tof");
    assert_int_equal(msiz_axis_type_parse("linear", &t), MSIZ_E_ARG);
    assert_non_null(strstr(msiz_last_error(), "constant, linear_tof, reflector_tof, orbitrap"));
    assert_int_equal(msiz_resample_method_parse("tic_preserving", &m), MSIZ_OK);
    assert_int_equal(m, MSIZ_RESAMPLE_TIC_PRESERVING);
    assert_int_equal(msiz_resample_method_parse("nearest", &m), MSIZ_E_ARG);
    assert_non_null(strstr(msiz_last_error(), "nearest_neighbor, tic_preserving"));
    assert_string_equal(msiz_resample_method_name(MSIZ_RESAMPLE_NEAREST_NEIGHBOR),
                        "nearest_neighbor");
}

static uint64_t bins_of(msiz_axis_type t, double lo, double hi)
{
    double w, r;
    uint64_t n = 0;
    msiz_axis_default_width(t, &w, &r);
    assert_int_equal(msiz_axis_bins_from_width(t, lo, hi, w, r, NULL, &n), MSIZ_OK);
    return n;
}

static void test_bin_counts(void **state)
{
    (void)state;
    /* resampling.md §2, 250-1200 Da with the defaults */
    assert_int_equal(bins_of(MSIZ_AXIS_CONSTANT, 250, 1200), 190000);
    assert_int_equal(bins_of(MSIZ_AXIS_REFLECTOR_TOF, 250, 1200), 313723);
    assert_int_equal(bins_of(MSIZ_AXIS_LINEAR_TOF, 250, 1200), 38369);
    assert_int_equal(bins_of(MSIZ_AXIS_ORBITRAP, 250, 1200), 434851);
    assert_int_equal(bins_of(MSIZ_AXIS_FTICR, 250, 1200), 633333);
    /* 0.4 Da / 5 mDa = 80 -> the minimum of 100 */
    assert_int_equal(bins_of(MSIZ_AXIS_CONSTANT, 400.5, 400.9), 100);
    double raw = 0;
    uint64_t n = 0;
    assert_int_equal(msiz_axis_bins_from_width(MSIZ_AXIS_CONSTANT, 100, 200, 0.3, 1000, &raw, &n),
                     MSIZ_OK);
    assert_int_equal(n, 333); /* 333.33 truncated */
    assert_true(raw > 333.3 && raw < 333.4);
    /* validation */
    assert_int_equal(msiz_axis_bins_from_width(MSIZ_AXIS_CONSTANT, 200, 200, 0.005, 1000, NULL, &n),
                     MSIZ_E_ARG);
    assert_int_equal(msiz_axis_bins_from_width(MSIZ_AXIS_CONSTANT, 0, 200, 0.005, 1000, NULL, &n),
                     MSIZ_E_ARG);
    assert_int_equal(msiz_axis_bins_from_width(MSIZ_AXIS_CONSTANT, 10, 200, 0, 1000, NULL, &n),
                     MSIZ_E_ARG);
    assert_int_equal(msiz_axis_bins_from_width(MSIZ_AXIS_CONSTANT, 10, 200, 0.005, -1, NULL, &n),
                     MSIZ_E_ARG);
    assert_int_equal(msiz_axis_bins_from_width(MSIZ_AXIS_CONSTANT, 10, 2000, 1e-9, 1000, NULL, &n),
                     MSIZ_E_LIMIT);
}

static void test_plan(void **state)
{
    (void)state;
    msiz_resample_request rq;
    msiz_resample_plan p;
    msiz_resample_request_init(&rq);
    rq.has_data_range = 1;
    rq.data_mz_min = 250;
    rq.data_mz_max = 1200;
    /* unknown / profile -> NN + constant */
    assert_int_equal(msiz_resample_plan_resolve(&rq, &p), MSIZ_OK);
    assert_int_equal(p.method, MSIZ_RESAMPLE_NEAREST_NEIGHBOR);
    assert_int_equal(p.axis_type, MSIZ_AXIS_CONSTANT);
    assert_int_equal(p.n_bins, 190000);
    assert_true(p.method_auto && p.axis_auto && p.bins_auto && p.min_auto && p.max_auto);
    rq.spectrum_type = MSIZ_SPECTRUM_PROFILE;
    assert_int_equal(msiz_resample_plan_resolve(&rq, &p), MSIZ_OK);
    assert_int_equal(p.axis_type, MSIZ_AXIS_CONSTANT);
    /* centroid -> reflector */
    rq.spectrum_type = MSIZ_SPECTRUM_CENTROID;
    assert_int_equal(msiz_resample_plan_resolve(&rq, &p), MSIZ_OK);
    assert_int_equal(p.axis_type, MSIZ_AXIS_REFLECTOR_TOF);
    assert_int_equal(p.n_bins, 313723);
    /* timsTOF by instrument name, profile declared: still reflector */
    rq.spectrum_type = MSIZ_SPECTRUM_PROFILE;
    rq.instrument_name = "Bruker TIMSTOF fleX";
    assert_int_equal(msiz_resample_plan_resolve(&rq, &p), MSIZ_OK);
    assert_int_equal(p.axis_type, MSIZ_AXIS_REFLECTOR_TOF);
    assert_string_equal(p.route, "timsTOF");
    rq.instrument_name = "rapifleX";
    rq.is_timstof = 1;
    assert_int_equal(msiz_resample_plan_resolve(&rq, &p), MSIZ_OK);
    assert_int_equal(p.axis_type, MSIZ_AXIS_REFLECTOR_TOF);
    /* overrides: axis, method, range, explicit bins (no minimum) */
    rq.has_axis_type = 1;
    rq.axis_type = MSIZ_AXIS_LINEAR_TOF;
    rq.has_method = 1;
    rq.method = MSIZ_RESAMPLE_TIC_PRESERVING;
    assert_int_equal(msiz_resample_plan_resolve(&rq, &p), MSIZ_OK);
    assert_int_equal(p.method, MSIZ_RESAMPLE_TIC_PRESERVING);
    assert_int_equal(p.n_bins, 38369); /* 17 mDa at m/z 300 */
    rq.bins = 42;
    rq.has_mz_min = 1;
    rq.mz_min = 300;
    assert_int_equal(msiz_resample_plan_resolve(&rq, &p), MSIZ_OK);
    assert_int_equal(p.n_bins, 42);
    assert_true(!p.bins_auto && !p.min_auto && p.max_auto);
    assert_true(p.mz_min == 300 && p.mz_max == 1200);
    /* a width wins over explicit bins, and uses the user reference m/z */
    rq.has_width = 1;
    rq.width = 0.01;
    rq.reference_mz = 500;
    assert_int_equal(msiz_resample_plan_resolve(&rq, &p), MSIZ_OK);
    double raw = (2.0 / (0.01 / sqrt(500.0))) * (sqrt(1200.0) - sqrt(300.0));
    assert_int_equal(p.n_bins, (uint64_t)raw);
    char line[256];
    msiz_resample_plan_describe(&p, line, sizeof line);
    assert_non_null(strstr(line, "tic_preserving (user"));
    assert_non_null(strstr(line, "linear_tof (user) axis"));
    /* validation */
    rq.mz_min = 1200;
    assert_int_equal(msiz_resample_plan_resolve(&rq, &p), MSIZ_E_ARG);
    rq.mz_min = -5;
    assert_int_equal(msiz_resample_plan_resolve(&rq, &p), MSIZ_E_ARG);
    rq.mz_min = 300;
    rq.width = -1;
    assert_int_equal(msiz_resample_plan_resolve(&rq, &p), MSIZ_E_ARG);
    msiz_resample_request_init(&rq); /* no data range, no override */
    assert_int_equal(msiz_resample_plan_resolve(&rq, &p), MSIZ_E_ARG);
    assert_non_null(strstr(msiz_last_error(), "no m/z range"));
}

static double *axis_of(msiz_axis_type t, double lo, double hi, uint64_t n)
{
    double *a = malloc(n * sizeof *a);
    assert_non_null(a);
    assert_int_equal(msiz_axis_build(t, lo, hi, n, a), MSIZ_OK);
    return a;
}

static void test_axis_worked_centres(void **state)
{
    (void)state;
    /* first and last centres of the worked table (resampling.md §2) */
    static const struct {
        msiz_axis_type t;
        uint64_t n;
        double first, last;
    } rows[] = {
        {MSIZ_AXIS_CONSTANT, 190000, 250.0, 1200.0},
        {MSIZ_AXIS_REFLECTOR_TOF, 313723, 250.000625002, 1199.997000006},
        {MSIZ_AXIS_LINEAR_TOF, 38369, 250.007759576, 1199.983000005},
        {MSIZ_AXIS_ORBITRAP, 434851, 250.000312501, 1199.996713673},
        {MSIZ_AXIS_FTICR, 633333, 250.000156250, 1199.996400020},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        double *a = axis_of(rows[i].t, 250, 1200, rows[i].n);
        assert_true(fabs(a[0] - rows[i].first) < 1e-9);
        assert_true(fabs(a[rows[i].n - 1] - rows[i].last) < 1e-9);
        for (uint64_t k = 1; k < rows[i].n; k++)
            assert_true(a[k] > a[k - 1]);
        free(a);
    }
    double one;
    assert_int_equal(msiz_axis_build(MSIZ_AXIS_CONSTANT, 5, 9, 1, &one), MSIZ_OK);
    assert_true(one == 5);
    assert_int_equal(msiz_axis_build(MSIZ_AXIS_CONSTANT, 5, 9, 0, &one), MSIZ_E_ARG);
    assert_int_equal(msiz_axis_build(MSIZ_AXIS_FTICR, -5, 9, 1, &one), MSIZ_E_ARG);
    assert_int_equal(msiz_axis_build(MSIZ_AXIS_FTICR, 9, 5, 1, &one), MSIZ_E_ARG);
}

typedef struct binned {
    uint32_t idx[64];
    double val[64];
    size_t n;
    msiz_bin_stats st;
} binned;

static void bin_once(const double *axis, uint64_t n, msiz_bin_mode mode, const double *mz,
                     const double *in, size_t m, binned *out)
{
    msiz_binner_opts o;
    msiz_binner_opts_init(&o);
    o.mode = mode;
    msiz_binner *b;
    msiz_bin_workspace *ws;
    assert_int_equal(msiz_binner_new(axis, n, &o, &b), MSIZ_OK);
    assert_int_equal(msiz_bin_workspace_new(b, &ws), MSIZ_OK);
    memset(&out->st, 0, sizeof out->st);
    assert_int_equal(msiz_binner_map(b, ws, mz, in, m, out->idx, out->val, &out->n, &out->st),
                     MSIZ_OK);
    msiz_bin_workspace_free(ws);
    msiz_binner_free(b);
}

static void test_nearest_rules(void **state)
{
    (void)state;
    double *a = axis_of(MSIZ_AXIS_CONSTANT, 100, 102, 9); /* step 0.25: exact ties */
    const double mz[] = {100.625, a[4],   a[4],  100.0, 102.0,
                         99.99,   102.01, NAN,   a[6],  nextafter(100.625, 0),
                         101.75,  101.75, 101.75};
    const double in[] = {1.0, 2.5, -2.5, -3.0, 4.0, 9.0, 9.0, 9.0, -0.0, 0.5, 0.1, 0.2, 0.3};
    binned r;
    bin_once(a, 9, MSIZ_BIN_NEAREST, mz, in, 13, &r);
    /* tie -> higher bin (3); just below the tie -> 2; bin 4 cancels to 0 (dropped); -0.0 sums to
     * 0.0 (dropped); negative kept; ends kept; beyond the ends and NaN dropped */
    assert_int_equal(r.n, 5);
    const uint32_t want_idx[] = {0, 2, 3, 7, 8};
    for (size_t i = 0; i < r.n; i++)
        assert_int_equal(r.idx[i], want_idx[i]);
    assert_true(r.val[0] == -3.0 && r.val[1] == 0.5 && r.val[2] == 1.0 && r.val[4] == 4.0);
    assert_true(r.val[3] == (0.0 + 0.1 + 0.2) + 0.3); /* collisions summed in input order */
    assert_int_equal(r.st.peaks, 13);
    assert_int_equal(r.st.out_of_range, 2);
    assert_int_equal(r.st.nan_mz, 1);
    assert_int_equal(r.st.spectra_with_drops, 1);
    assert_int_equal(r.st.unsorted_spectra, 1); /* bins go down after 100.625 */
    const double up[] = {100.0, 100.5, 101.0};
    bin_once(a, 9, MSIZ_BIN_NEAREST, up, in, 3, &r);
    assert_int_equal(r.st.unsorted_spectra, 0);
    free(a);
}

/* resampling.md §4 step 2: with the build range set, a physics axis keeps the peaks of its
 * outer half-bins (between min and the first centre, the last centre and max) in the outer
 * bins; without it (the default) they are dropped; beyond the range they are dropped. */
static void test_nearest_keeps_build_range(void **state)
{
    (void)state;
    double *a = axis_of(MSIZ_AXIS_REFLECTOR_TOF, 100, 200, 1000);
    assert_true(a[0] > 100 && a[999] < 200);
    const double mz[] = {100.0,
                         (100.0 + a[0]) / 2,
                         a[500],
                         (a[999] + 200.0) / 2,
                         200.0,
                         nextafter(100.0, 0),
                         nextafter(200.0, 300)};
    const double in[] = {1, 2, 4, 8, 16, 32, 64};
    msiz_binner_opts o;
    msiz_binner_opts_init(&o);
    o.mz_min = 100;
    o.mz_max = 200;
    for (int lut = 0; lut < 2; lut++) {
        o.use_lookup_table = lut;
        msiz_binner *b;
        msiz_bin_workspace *ws;
        assert_int_equal(msiz_binner_new(a, 1000, &o, &b), MSIZ_OK);
        assert_int_equal(msiz_bin_workspace_new(b, &ws), MSIZ_OK);
        uint32_t idx[7];
        double val[7];
        size_t k;
        msiz_bin_stats st = {0};
        assert_int_equal(msiz_binner_map(b, ws, mz, in, 7, idx, val, &k, &st), MSIZ_OK);
        assert_int_equal(k, 3);
        assert_int_equal(idx[0], 0);
        assert_true(val[0] == 3.0);
        assert_int_equal(idx[1], 500);
        assert_int_equal(idx[2], 999);
        assert_true(val[2] == 24.0);
        assert_int_equal(st.out_of_range, 2);
        assert_int_equal(msiz_binner_lookup(b, 200.0), 999);
        assert_int_equal(msiz_binner_lookup(b, 100.0), 0);
        msiz_bin_workspace_free(ws);
        msiz_binner_free(b);
    }
    binned r; /* the default range: the first and last centre */
    bin_once(a, 1000, MSIZ_BIN_NEAREST, mz, in, 7, &r);
    assert_int_equal(r.n, 1);
    assert_int_equal(r.st.out_of_range, 6);
    msiz_binner *b = NULL;
    o.mz_min = 300; /* min > max */
    assert_int_equal(msiz_binner_new(a, 1000, &o, &b), MSIZ_E_ARG);
    o.mz_min = -INFINITY;
    assert_int_equal(msiz_binner_new(a, 1000, &o, &b), MSIZ_E_ARG);
    assert_null(b);
    free(a);
}

static void test_raw_rules(void **state)
{
    (void)state;
    const double axis[] = {100.0, 100.5, 101.0, 200.0};
    /* Thyra: searchsorted-left, clip, keep when |axis[i] - mz| <= 1e-6 with i the insertion
     * point only: 100.4999996 -> 100.5 (kept), 100.5000004 -> 101.0 (dropped) */
    const double mz[] = {100.5, 100.5, 100.4999996, 100.5000004, 200.0000009, 50.0, 101.0};
    const double in[] = {1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 0.0};
    binned r;
    bin_once(axis, 4, MSIZ_BIN_RAW, mz, in, 7, &r);
    assert_int_equal(r.n, 2);
    assert_int_equal(r.idx[0], 1);
    assert_true(r.val[0] == 7.0);
    assert_int_equal(r.idx[1], 3); /* beyond the end: clipped to n-1, within 1e-6 */
    assert_true(r.val[1] == 16.0);
    assert_int_equal(r.st.out_of_range, 2);
}

/* The lookup table and plain binary search give the same bins on every axis type. */
static void test_lut_equals_bsearch(void **state)
{
    (void)state;
    srand(7);
    for (int t = MSIZ_AXIS_CONSTANT; t <= MSIZ_AXIS_FTICR; t++) {
        uint64_t n = 20000;
        double *a = axis_of((msiz_axis_type)t, 50, 3000, n);
        msiz_binner_opts o;
        msiz_binner_opts_init(&o);
        msiz_binner *fast, *slow;
        assert_int_equal(msiz_binner_new(a, n, &o, &fast), MSIZ_OK);
        o.use_lookup_table = 0;
        assert_int_equal(msiz_binner_new(a, n, &o, &slow), MSIZ_OK);
        for (int k = 0; k < 200000; k++) {
            double x = 40 + 2970.0 * rand() / RAND_MAX;
            if (k % 3 == 0) {
                uint64_t i = (uint64_t)rand() % (n - 1);
                x = k % 2 ? (a[i] + a[i + 1]) / 2 : a[i];
            }
            assert_int_equal(msiz_binner_lookup(fast, x), msiz_binner_lookup(slow, x));
        }
        msiz_binner_free(fast);
        msiz_binner_free(slow);
        free(a);
    }
}

static void test_pairwise_small(void **state)
{
    (void)state;
    double x[300];
    for (int i = 0; i < 300; i++)
        x[i] = (i % 2 ? 1e16 : 1.0) * (i % 3 ? 1 : -1) + i * 0.1;
    /* n < 8: sequential from 0.0 */
    double s = 0.0;
    for (int i = 0; i < 7; i++)
        s += x[i];
    assert_true(msiz_pairwise_sum(x, 7) == s);
    /* 8 < n <= 128: eight accumulators, then the remainder */
    double r[8];
    for (int j = 0; j < 8; j++)
        r[j] = x[j] + x[8 + j];
    s = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    s += x[16];
    s += x[17];
    assert_true(msiz_pairwise_sum(x, 18) == s);
    /* n > 128: split at n/2 rounded down to a multiple of 8 (300 -> 144 + 156) */
    assert_true(msiz_pairwise_sum(x, 300) ==
                msiz_pairwise_sum(x, 144) + msiz_pairwise_sum(x + 144, 156));
    assert_true(msiz_pairwise_sum(x, 0) == 0.0);
    double negz[16];
    for (int i = 0; i < 16; i++)
        negz[i] = -0.0;
    assert_false(signbit(msiz_pairwise_sum(negz, 16))); /* np.sum gives +0.0 */
}

/* Maps one spectrum with the TIC resampler (which must succeed); returns the stored count. */
static size_t tic_map(msiz_tic_resampler *r, const double *mz, const double *in, size_t m,
                      uint32_t *idx, double *val)
{
    size_t k = 0;
    assert_int_equal(msiz_tic_resampler_map(r, mz, in, m, idx, val, &k), MSIZ_OK);
    return k;
}

static void test_tic_corner_cases(void **state)
{
    (void)state;
    double *a = axis_of(MSIZ_AXIS_CONSTANT, 100, 110, 11);
    msiz_tic_resampler *r;
    assert_int_equal(msiz_tic_resampler_new(a, 11, 0, &r), MSIZ_OK);
    uint32_t idx[11];
    double val[11];
    /* lone peak halfway between 102 and 103: argmin keeps the lower bin */
    const double mz1[] = {102.5}, in1[] = {7.0};
    assert_int_equal(tic_map(r, mz1, in1, 1, idx, val), 1);
    assert_int_equal(idx[0], 2);
    assert_true(val[0] == 7.0);
    /* lone peak outside the axis: nothing */
    const double mz2[] = {120.0};
    assert_int_equal(tic_map(r, mz2, in1, 1, idx, val), 0);
    /* two peaks covering 101..104: rescaled so the sum equals the TIC */
    const double mz3[] = {104.0, 101.0}, in3[] = {3.0, 3.0};
    assert_int_equal(tic_map(r, mz3, in3, 2, idx, val), 4);
    assert_int_equal(idx[0], 1);
    assert_true(fabs(val[0] + val[1] + val[2] + val[3] - 6.0) < 1e-12);
    assert_int_equal(tic_map(r, NULL, NULL, 0, idx, val), 0);
    msiz_tic_resampler_free(r);
    free(a);
}

/* resampling.md §5 step 5 (msizarr): the preserved TIC is the summed intensity of the points
 * inside the build range; a spectrum the interpolation does not reach (inside an outer
 * half-bin, or narrower than a bin) goes to its nearest bins instead of vanishing. */
static void test_tic_build_range(void **state)
{
    (void)state;
    double *a = axis_of(MSIZ_AXIS_REFLECTOR_TOF, 100, 200, 1000);
    msiz_tic_resampler *r;
    assert_int_equal(msiz_tic_resampler_new(a, 1000, 0, &r), MSIZ_OK);
    assert_int_equal(msiz_tic_resampler_set_range(r, 200, 100), MSIZ_E_ARG);
    assert_int_equal(msiz_tic_resampler_set_range(r, 100, NAN), MSIZ_E_ARG);
    uint32_t idx[1000];
    double val[1000];
    size_t k;
    /* two points in the top half-bin: nothing with the default range (Thyra stores nothing) */
    const double top[] = {(a[999] + 200.0) / 2, 200.0}, in[] = {1.5, 2.5, 4.0};
    assert_int_equal(tic_map(r, top, in, 2, idx, val), 0);
    assert_int_equal(msiz_tic_resampler_set_range(r, 100, 200), MSIZ_OK);
    assert_int_equal(tic_map(r, top, in, 2, idx, val), 1);
    assert_int_equal(idx[0], 999);
    assert_true(val[0] == 4.0);
    /* a lone peak at min */
    const double low[] = {100.0};
    k = tic_map(r, low, in, 1, idx, val);
    assert_true(k == 1 && idx[0] == 0 && val[0] == 1.5);
    /* from min across the middle to beyond max: rescaled to the points inside [100, 200] */
    const double wide[] = {100.0, 150.0, 250.0};
    k = tic_map(r, wide, in, 3, idx, val);
    double sum = 0;
    for (size_t i = 0; i < k; i++)
        sum += val[i];
    assert_true(k > 100 && idx[0] == 0 && fabs(sum - 4.0) < 1e-12);
    /* narrower than a bin, between two centres: each point to its nearest centre */
    const double narrow[] = {a[10] + 1e-9, a[11] - 1e-9};
    k = tic_map(r, narrow, in, 2, idx, val);
    assert_true(k == 2 && idx[0] == 10 && idx[1] == 11 && val[0] == 1.5 && val[1] == 2.5);
    msiz_tic_resampler_free(r);
    free(a);
}

static int cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

/* Files under `dir` (spill files live in a msizarr-spill-* folder inside it), hidden ones (the
 * spill folder's ownership marker) left out. */
static size_t count_files(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        char path[4200];
        if (e->d_name[0] == '.')
            continue;
        int len = snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        assert_true(len > 0 && (size_t)len < sizeof path);
        n += e->d_type == DT_DIR ? count_files(path) : 1;
    }
    closedir(d);
    return n;
}

/* A union axis with the minimum 64 KiB budget spilling into `dir`, capped at max_values. */
static msiz_union_axis *new_spilling_union(const char *dir, uint64_t max_values)
{
    msiz_union_opts o;
    msiz_union_opts_init(&o);
    o.memory_budget = 65536;
    o.temp_dir = dir;
    o.max_values = max_values;
    msiz_union_axis *u;
    assert_int_equal(msiz_union_axis_new(&o, &u), MSIZ_OK);
    return u;
}

/* 400,000 values with ~200,000 distinct through a 64 KiB budget (4,096 values per buffer). */
static void test_union_spill(void **state)
{
    (void)state;
    char dir[] = "/tmp/msiz_union_XXXXXX";
    assert_non_null(mkdtemp(dir));
    size_t total = 400000;
    double *v = malloc(total * sizeof *v);
    assert_non_null(v);
    srand(3);
    for (size_t i = 0; i < total; i++)
        v[i] = (float)(100.0 + 900.0 * (rand() % 200000) / 200000.0);
    msiz_union_axis *u = new_spilling_union(dir, 0);
    for (size_t off = 0; off < total; off += 1000)
        assert_int_equal(msiz_union_axis_add(u, v + off, 1000), MSIZ_OK);
    assert_true(count_files(dir) > 10); /* runs were spilled */
    uint64_t n;
    assert_int_equal(msiz_union_axis_finish(u, &n), MSIZ_OK);
    qsort(v, total, sizeof *v, cmp_double);
    size_t k = 0;
    for (size_t i = 0; i < total; i++)
        if (k == 0 || v[i] != v[k - 1])
            v[k++] = v[i];
    assert_int_equal(n, k);
    double chunk[1000];
    for (uint64_t off = 0; off < n; off += 1000) {
        size_t c = n - off < 1000 ? (size_t)(n - off) : 1000;
        assert_int_equal(msiz_union_axis_read(u, off, c, chunk), MSIZ_OK);
        assert_memory_equal(chunk, v + off, c * sizeof *chunk);
    }
    assert_int_equal(msiz_union_axis_read(u, n, 1, chunk), MSIZ_E_ARG);
    msiz_union_axis_free(u);
    assert_int_equal(count_files(dir), 0); /* temporary files removed */
    DIR *d = opendir(dir);
    struct dirent *e;
    while ((e = readdir(d)))
        assert_true(strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0); /* folder too */
    closedir(d);
    free(v);
    assert_int_equal(msiz_remove_tree(dir), MSIZ_OK);
}

static void test_union_cap(void **state)
{
    (void)state;
    char dir[] = "/tmp/msiz_union_XXXXXX";
    assert_non_null(mkdtemp(dir));
    msiz_union_axis *u = new_spilling_union(dir, 10000);
    double v[1000];
    for (int round = 0; round < 11; round++) {
        for (int i = 0; i < 1000; i++)
            v[i] = 1 + round * 1000 + i;
        assert_int_equal(msiz_union_axis_add(u, v, 1000), MSIZ_OK);
    }
    uint64_t n;
    assert_int_equal(msiz_union_axis_finish(u, &n), MSIZ_E_LIMIT);
    assert_string_equal(msiz_last_error(),
                        "raw m/z axis has more than 10,000 distinct values (cap); resample "
                        "instead, or raise the cap with --max-mass-axis-length");
    assert_int_equal(count_files(dir), 0); /* removed at once on failure */
    assert_int_equal(msiz_union_axis_add(u, v, 1), MSIZ_E_STATE);
    msiz_union_axis_free(u);
    /* the default cap is 10,000,000 */
    msiz_union_opts o;
    msiz_union_opts_init(&o);
    assert_int_equal(o.max_values, 10000000);
    assert_int_equal(msiz_union_axis_new(NULL, &u), MSIZ_OK);
    assert_int_equal(msiz_union_axis_finish(u, &n), MSIZ_E_ARG); /* nothing added */
    msiz_union_axis_free(u);
    assert_int_equal(msiz_remove_tree(dir), MSIZ_OK);
}

/* Every allocation failing in turn: errors are MSIZ_E_NOMEM, nothing leaks (ASan build). */
static void test_alloc_failures(void **state)
{
    (void)state;
    double *a = axis_of(MSIZ_AXIS_REFLECTOR_TOF, 100, 1000, 5000);
    const double mz[] = {150, 151, 999, 150};
    const double in[] = {1, 2, 3, 4};
    uint32_t idx[5000];
    double val[5000];
    char dir[] = "/tmp/msiz_union_XXXXXX";
    assert_non_null(mkdtemp(dir));
    int completed = 0;
    for (long k = 0; k < 200 && !completed; k++) {
        msiz_binner *b = NULL;
        msiz_bin_workspace *ws = NULL;
        msiz_tic_resampler *r = NULL;
        msiz_union_axis *u = NULL;
        msiz_union_opts o;
        msiz_union_opts_init(&o);
        o.memory_budget = 65536;
        o.temp_dir = dir;
        size_t nout;
        uint64_t n;
        msiz_alloc_fail_after(k);
        msiz_status s = msiz_binner_new(a, 5000, NULL, &b);
        if (s == MSIZ_OK)
            s = msiz_bin_workspace_new(b, &ws);
        if (s == MSIZ_OK)
            s = msiz_binner_map(b, ws, mz, in, 4, idx, val, &nout, NULL);
        if (s == MSIZ_OK)
            s = msiz_tic_resampler_new(a, 5000, 0.5, &r);
        if (s == MSIZ_OK)
            s = msiz_tic_resampler_map(r, mz, in, 4, idx, val, &nout);
        if (s == MSIZ_OK)
            s = msiz_union_axis_new(&o, &u);
        for (int rep = 0; rep < 3000 && s == MSIZ_OK; rep++) {
            double v[4] = {rep, rep + 0.5, rep + 0.25, rep + 0.125};
            s = msiz_union_axis_add(u, v, 4);
        }
        if (s == MSIZ_OK)
            s = msiz_union_axis_finish(u, &n);
        msiz_alloc_fail_after(-1);
        if (s == MSIZ_OK) {
            completed = 1;
            assert_int_equal(n, 12000);
        } else {
            assert_int_equal(s, MSIZ_E_NOMEM);
        }
        if (!b || !ws || !r || !u)
            assert_int_not_equal(s, MSIZ_OK);
        msiz_bin_workspace_free(ws);
        msiz_binner_free(b);
        msiz_tic_resampler_free(r);
        msiz_union_axis_free(u);
        assert_int_equal(count_files(dir), 0);
    }
    assert_true(completed);
    free(a);
    assert_int_equal(msiz_remove_tree(dir), MSIZ_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_bin_counts),
        cmocka_unit_test(test_plan),
        cmocka_unit_test(test_axis_worked_centres),
        cmocka_unit_test(test_nearest_rules),
        cmocka_unit_test(test_nearest_keeps_build_range),
        cmocka_unit_test(test_raw_rules),
        cmocka_unit_test(test_lut_equals_bsearch),
        cmocka_unit_test(test_pairwise_small),
        cmocka_unit_test(test_tic_corner_cases),
        cmocka_unit_test(test_tic_build_range),
        cmocka_unit_test(test_union_spill),
        cmocka_unit_test(test_union_cap),
        cmocka_unit_test(test_alloc_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
