/*
 * EXPERIMENTAL (docs/api.md): the converter's building blocks; they may change in any release.
 * The names, msiz_resample_request and its parsers are stable API in convert.h.
 *
 * Mass axis and resampling: Thyra 3.x rules (docs/resampling.md), bit for bit with numpy where
 * numpy's operations are correctly rounded.
 *
 *   msiz_resample_request rq; msiz_resample_request_init(&rq);   // fill data range, overrides
 *   msiz_resample_plan plan; msiz_resample_plan_resolve(&rq, &plan);
 *   double *axis = malloc(plan.n_bins * sizeof *axis);
 *   msiz_axis_build(plan.axis_type, plan.mz_min, plan.mz_max, plan.n_bins, axis);
 *   msiz_binner_opts bo; msiz_binner_opts_init(&bo);
 *   bo.mz_min = plan.mz_min; bo.mz_max = plan.mz_max;            // keep every peak in range
 *   msiz_binner *b; msiz_binner_new(axis, plan.n_bins, &bo, &b);
 *   msiz_bin_workspace *ws; msiz_bin_workspace_new(b, &ws);
 *   for each spectrum: msiz_binner_map(b, ws, mz, intensity, n, idx, val, &n_out, &stats);
 *   msiz_bin_workspace_free(ws); msiz_binner_free(b);
 *
 * Without resampling, msiz_union_axis collects the exact sorted union of every m/z value in
 * bounded memory (sorted runs spilled to temporary files and merged), and a binner in
 * MSIZ_BIN_RAW mode maps spectra onto it.
 *
 * Thread safety: a msiz_binner / msiz_tic_resampler is read-only after creation and may be shared
 * by threads; each thread needs its own msiz_bin_workspace (respectively its own resampler: the
 * TIC resampler carries its scratch). Everything else is reentrant.
 */
#ifndef MSIZARR_AXIS_H
#define MSIZARR_AXIS_H

#ifndef MSIZ_EXPERIMENTAL
#error "msizarr/axis.h is experimental: #define MSIZ_EXPERIMENTAL first (docs/api.md)"
#endif

#include "msizarr/convert.h"
#include "msizarr/msizarr.h"
#include "msizarr/source.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Bin count and plan ------------------------------------------------------------------ */

#define MSIZ_AXIS_MIN_BINS 100           /* floor applied to width-derived counts */
#define MSIZ_AXIS_MAX_BINS 2147483647ULL /* hard cap on any bin count (MSIZ_E_LIMIT) */

/* Default width (Da) and reference m/z of `type`: 0.017 @ 300 for linear_tof, else 0.005 @ 1000. */
MSIZ_API void msiz_axis_default_width(msiz_axis_type type, double *width, double *reference_mz);

/* Thyra's _calculate_bins_from_width: the formula of resampling.md §2 in float64, evaluated in
 * Thyra's operation order, truncated toward zero, then max(100, .). `raw` (may be NULL) receives
 * the value before truncation. MSIZ_E_ARG for min <= 0, min >= max, width <= 0, reference <= 0
 * or non-finite input; MSIZ_E_LIMIT above MSIZ_AXIS_MAX_BINS. */
MSIZ_API MSIZ_NODISCARD msiz_status msiz_axis_bins_from_width(msiz_axis_type type, double mz_min,
                                                              double mz_max, double width,
                                                              double reference_mz, double *raw,
                                                              uint64_t *n_bins);

typedef struct msiz_resample_plan {
    msiz_resample_method method;
    msiz_axis_type axis_type;
    uint64_t n_bins;
    double mz_min, mz_max;      /* range the axis is built over */
    double width, reference_mz; /* used for the bin count (0, 0 when bins were explicit) */
    double raw_bins;            /* bin count before truncation (0 when explicit) */
    int method_auto, axis_auto, bins_auto, min_auto, max_auto; /* 1: chosen automatically */
    const char *route; /* decision-tree branch: "timsTOF", "imzML centroid", "default" */
} msiz_resample_plan;

/* Applies the decision tree (resampling.md §1) and range/bin rules (§2). Errors (MSIZ_E_ARG):
 * no range (no data range and no override), min <= 0, min >= max, width <= 0, reference <= 0,
 * non-finite values; MSIZ_E_LIMIT for too many bins. `plan` is filled only on success. */
MSIZ_API MSIZ_NODISCARD msiz_status msiz_resample_plan_resolve(const msiz_resample_request *rq,
                                                               msiz_resample_plan *plan);

/* One log line, e.g. "resampling: nearest_neighbor (auto, timsTOF) onto reflector_tof (auto)
 * axis, 313723 bins (5 mDa at m/z 1000), m/z 250-1200 (data)". Always NUL-terminated. */
MSIZ_API void msiz_resample_plan_describe(const msiz_resample_plan *plan, char *buf, size_t size);

/* ---- Axis -------------------------------------------------------------------------------- */

/* Writes the n axis values (bin centres) into out[0..n-1], resampling.md §3 with numpy linspace
 * semantics (step = (b-a)/(n-1), fl(fl(i*step)+a), last element forced to b, the step == 0
 * branch). constant, linear_tof, orbitrap and fticr equal numpy exactly; reflector_tof uses libm
 * exp/log, whose last bit may differ from numpy's SIMD code (values within 2 ulp).
 * MSIZ_E_ARG for n == 0, non-finite or non-positive bounds, min > max (min == max allowed for
 * constant). The constant axis with n == 1 is {min}. */
MSIZ_API MSIZ_NODISCARD msiz_status msiz_axis_build(msiz_axis_type type, double mz_min,
                                                    double mz_max, uint64_t n, double *out);

/* numpy's float64 np.sum (pairwise summation, loops_utils.h.src): equal to np.sum(x) bit for
 * bit for a contiguous array. n == 0 gives 0.0. */
MSIZ_API double msiz_pairwise_sum(const double *x, size_t n);

/* ---- Nearest-neighbour (and raw exact) binning ------------------------------------------- */

typedef struct msiz_binner msiz_binner;
typedef struct msiz_bin_workspace msiz_bin_workspace;

typedef enum msiz_bin_mode {
    /* resampling.md §4: keep peaks in [mz_min, mz_max], nearest centre (searchsorted-left,
     * clipped to n-1), ties to the higher bin */
    MSIZ_BIN_NEAREST = 0,
    /* resampling.md §6 (no resampling): searchsorted-left clipped to n-1, kept when
     * |axis[i] - mz| <= raw_tolerance (Thyra: 1e-6); no range filter */
    MSIZ_BIN_RAW = 1
} msiz_bin_mode;

typedef struct msiz_binner_opts {
    msiz_bin_mode mode;
    int use_lookup_table; /* 1 (default): O(1) bucket table; 0: plain binary search */
    double raw_tolerance; /* MSIZ_BIN_RAW only; default 1e-6 */
    /* MSIZ_BIN_NEAREST: peaks with mz_min <= mz <= mz_max are kept, each in the bin of its
     * nearest axis value; pass the range the axis was built on (plan.mz_min/mz_max: the outer
     * bin edges of a physics axis, half a bin beyond its first and last values). NaN (the
     * default): the first / last axis value. */
    double mz_min, mz_max;
} msiz_binner_opts;

MSIZ_API void msiz_binner_opts_init(msiz_binner_opts *opts);

/* Builds a binner over a copy of `axis` (n values, ascending, finite, 1 <= n <= 2^32-1).
 * opts may be NULL (defaults). Memory: 8n bytes for the axis + 2n for the lookup table.
 * *out = NULL on failure (MSIZ_E_ARG for an invalid axis or m/z range, MSIZ_E_NOMEM). */
MSIZ_API MSIZ_NODISCARD msiz_status msiz_binner_new(const double *axis, uint64_t n,
                                                    const msiz_binner_opts *opts,
                                                    msiz_binner **out);
MSIZ_API void msiz_binner_free(msiz_binner *b);
MSIZ_API uint64_t msiz_binner_size(const msiz_binner *b);
MSIZ_API const double *msiz_binner_axis(const msiz_binner *b);

/* Per-thread scratch for msiz_binner_map: 9 bytes per bin. */
MSIZ_API MSIZ_NODISCARD msiz_status msiz_bin_workspace_new(const msiz_binner *b,
                                                           msiz_bin_workspace **out);
MSIZ_API void msiz_bin_workspace_free(msiz_bin_workspace *ws);

/* Counters, added to (never reset) by msiz_binner_map. */
typedef struct msiz_bin_stats {
    uint64_t peaks;        /* peaks seen */
    uint64_t out_of_range; /* NEAREST: outside [mz_min, mz_max]; RAW: no value within tol */
    uint64_t nan_mz;       /* NaN m/z (dropped; not counted in out_of_range) */
    uint64_t spectra_with_drops;
    uint64_t unsorted_spectra; /* spectra whose peaks' bins went down (m/z out of order) */
} msiz_bin_stats;

/* Maps one spectrum (m peaks, m/z and intensity in file order) to bins: each kept peak's
 * intensity is added in input order into a float64 sum starting at 0.0 (numpy bincount), and
 * the bins whose sum != 0 are written ascending to out_index/out_value; *out_n receives their
 * count. out_index and out_value must each hold m entries (out_index is also used as scratch).
 * Allocates nothing. stats may be NULL. ws must come from this binner. Returns MSIZ_OK or
 * MSIZ_E_ARG (NULL arrays with m > 0, workspace of another binner). */
MSIZ_API MSIZ_NODISCARD msiz_status msiz_binner_map(const msiz_binner *b, msiz_bin_workspace *ws,
                                                    const double *mz, const double *intensity,
                                                    size_t m, uint32_t *out_index,
                                                    double *out_value, size_t *out_n,
                                                    msiz_bin_stats *stats);

/* The bin of one m/z value under the binner's rule, or -1 when dropped (out of range, NaN, or
 * RAW without a match). */
MSIZ_API int64_t msiz_binner_lookup(const msiz_binner *b, double mz);

/* ---- TIC-preserving resampling (resampling.md §5, Thyra 3.x) ------------------------------ */

typedef struct msiz_tic_resampler msiz_tic_resampler;

/* gap_tolerance <= 0 or NaN disables the gap rule. Copies the axis. Memory: 16 bytes per bin
 * plus per-spectrum sort buffers that grow to the longest unsorted spectrum. */
MSIZ_API MSIZ_NODISCARD msiz_status msiz_tic_resampler_new(const double *axis, uint64_t n,
                                                           double gap_tolerance,
                                                           msiz_tic_resampler **out);
MSIZ_API void msiz_tic_resampler_free(msiz_tic_resampler *r);

/* The range the axis was built on (plan.mz_min/mz_max); by default the first and last axis
 * values. Each spectrum is rescaled to the summed intensity of its points inside it
 * (resampling.md §5 step 5). MSIZ_E_ARG unless mz_min <= mz_max, both finite. */
MSIZ_API MSIZ_NODISCARD msiz_status msiz_tic_resampler_set_range(msiz_tic_resampler *r,
                                                                 double mz_min, double mz_max);

/* Resamples one spectrum (m peaks, any order); writes the non-zero bins ascending and their
 * count to *out_n. out_index/out_value must each hold n_bins entries (interpolation fills every
 * bin between two peaks). Unsorted input is sorted stably by m/z (numpy's argsort is not
 * stable: the order of equal m/z values may differ from Thyra's). NaN m/z are dropped.
 * MSIZ_E_NOMEM when a sort buffer cannot grow; MSIZ_E_ARG for NULL arrays with m > 0. */
MSIZ_API MSIZ_NODISCARD msiz_status msiz_tic_resampler_map(msiz_tic_resampler *r, const double *mz,
                                                           const double *intensity, size_t m,
                                                           uint32_t *out_index, double *out_value,
                                                           size_t *out_n);

/* ---- Raw union axis (no resampling) ------------------------------------------------------- */

typedef struct msiz_union_axis msiz_union_axis;

#define MSIZ_UNION_DEFAULT_CAP 10000000ULL

typedef struct msiz_union_opts {
    size_t memory_budget; /* bytes for buffers (default 64 MiB; minimum 64 KiB) */
    const char *temp_dir; /* where sorted runs are spilled (default: $TMPDIR or /tmp) */
    uint64_t max_values;  /* cap on distinct values (default 10,000,000; 0 = unlimited) */
} msiz_union_opts;

MSIZ_API void msiz_union_opts_init(msiz_union_opts *opts);

/* *out = NULL on failure. opts may be NULL. Runs spill into a private folder in temp_dir
 * (msizarr-spill-XXXXXX, removed by msiz_union_axis_free); MSIZ_E_IO when temp_dir is not a
 * writable folder. */
MSIZ_API MSIZ_NODISCARD msiz_status msiz_union_axis_new(const msiz_union_opts *opts,
                                                        msiz_union_axis **out);

/* Adds m values (NaN values are skipped and counted). Values are compared by exact double
 * equality (-0.0 == 0.0), which equals exact equality in the file's dtype when values were
 * widened from float32 or float64. May spill a sorted run to a temporary file. MSIZ_E_LIMIT when
 * one run alone already has more distinct values than the cap; MSIZ_E_IO; MSIZ_E_STATE after
 * finish. */
MSIZ_API MSIZ_NODISCARD msiz_status msiz_union_axis_add(msiz_union_axis *u, const double *mz,
                                                        size_t m);

/* Merges the runs into the final sorted unique axis (in memory if nothing was spilled, else in
 * one temporary file) and returns its length. MSIZ_E_LIMIT ("raw m/z axis has more than N
 * distinct values (cap); resample instead, or raise the cap with --max-mass-axis-length") when
 * the union exceeds the cap; MSIZ_E_ARG when no value was added. Calling it twice is fine. */
MSIZ_API MSIZ_NODISCARD msiz_status msiz_union_axis_finish(msiz_union_axis *u, uint64_t *n);

/* Copies values [offset, offset+count) of the finished axis into buf (bounded memory: read
 * the axis in slices). MSIZ_E_STATE before finish, MSIZ_E_ARG out of range, MSIZ_E_IO. */
MSIZ_API MSIZ_NODISCARD msiz_status msiz_union_axis_read(const msiz_union_axis *u, uint64_t offset,
                                                         size_t count, double *buf);

/* Number of NaN values skipped so far. */
MSIZ_API uint64_t msiz_union_axis_nan_count(const msiz_union_axis *u);

/* Frees everything and removes every temporary file; NULL is fine. */
MSIZ_API void msiz_union_axis_free(msiz_union_axis *u);

#ifdef __cplusplus
}
#endif
#endif
