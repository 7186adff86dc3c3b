/* The resampling plan (Thyra's decision tree and bin rules), the mass axis, and the mapping of
 * one spectrum onto it: nearest neighbour, TIC-preserving, or exact (no resampling). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "common/error.h"
#include "axis/union_axis.h"
#include "common/log.h"
#include "convert/convert_internal.h"

/* The message for a peak whose m/z is finite but below MSIZ_MZ_FLOOR (zero, negative,
 * subnormal): bad input, never the end of an axis (docs/robustness.md). */
msiz_status msiz_conv_implausible_mz(const msiz_conv *c, const msiz_spectrum *sp, size_t i)
{
    return msiz_fail(MSIZ_E_FORMAT,
                     "%s: spectrum %llu: m/z value %g (peak %zu of %zu) is below %g: not a "
                     "plausible m/z (corrupt data?)",
                     c->input, (unsigned long long)sp->index, sp->mz[i], i + 1, sp->n,
                     MSIZ_MZ_FLOOR);
}

msiz_status msiz_conv_filter(const msiz_conv *c, msiz_spectrum *sp, msiz_filter_counts *n)
{
    int thr = c->o->has_intensity_threshold;
    double t = c->o->intensity_threshold;
    size_t k = 0;
    for (size_t i = 0; i < sp->n; i++) {
        double m = sp->mz[i], in = sp->intensity[i];
        if (!isfinite(m)) { /* edge-cases.md #35 */
            n->mz++;
            continue;
        }
        if (m < MSIZ_MZ_FLOOR)
            return msiz_conv_implausible_mz(c, sp, i);
        if (!isfinite(in)) {
            n->intensity++;
            continue;
        }
        if (thr && !(in >= t))
            continue;
        sp->mz[k] = m;
        sp->intensity[k++] = in;
    }
    sp->n = k;
    return MSIZ_OK;
}

msiz_status msiz_conv_union_begin(msiz_conv *c)
{
    if (c->o->resample || c->info->continuous)
        return MSIZ_OK;
    msiz_union_opts uo;
    msiz_union_opts_init(&uo);
    uo.memory_budget = c->buffer_budget / 2;
    uo.max_values = c->o->max_mass_axis_length;
    return msiz_union_axis_new_in(&uo, c->spill, &c->uaxis);
}

msiz_status msiz_conv_union_add(msiz_conv *c)
{
    msiz_filter_counts uncounted = {0, 0}; /* the bin pass counts the drops */
    msiz_status status = msiz_conv_filter(c, &c->sp, &uncounted);
    if (status < 0)
        return status;
    return msiz_union_axis_add(c->uaxis, c->sp.mz, c->sp.n);
}

static void fill_request(const msiz_conv *c, msiz_resample_request *rq)
{
    *rq = c->o->request;
    rq->is_timstof = c->info->format != MSIZ_FORMAT_IMZML;
    rq->spectrum_type =
        c->o->spectrum_type != MSIZ_SPECTRUM_UNKNOWN ? c->o->spectrum_type : c->info->spectrum_type;
    rq->has_data_range = c->has_data_range;
    rq->data_mz_min = c->data_mz_min;
    rq->data_mz_max = c->data_mz_max;
}

static msiz_status resampled_axis(msiz_conv *c)
{
    msiz_status status = MSIZ_OK;
    msiz_resample_request rq;
    fill_request(c, &rq);
    status = msiz_resample_plan_resolve(&rq, &c->plan);
    if (status < 0) /* range and bin errors name the input */
        return msiz_fail_context(status, "%s", c->input);
    msiz_resample_plan_describe(&c->plan, c->sum->plan, sizeof c->sum->plan);
    msiz_info("%s", c->sum->plan);
    c->n_bins = c->plan.n_bins;
    c->tic_preserving = c->plan.method == MSIZ_RESAMPLE_TIC_PRESERVING;
    MSIZ_TRY(msiz_conv_budget_fit(c));
    c->axis = msiz_malloc((size_t)c->n_bins * sizeof *c->axis);
    MSIZ_FAIL_IF(!c->axis, MSIZ_E_NOMEM, "out of memory for an axis of %llu bins",
                 (unsigned long long)c->n_bins);
    MSIZ_TRY(
        msiz_axis_build(c->plan.axis_type, c->plan.mz_min, c->plan.mz_max, c->n_bins, c->axis));
    c->keep_min = c->plan.mz_min; /* resampling.md §4 step 2: the outer bin edges */
    c->keep_max = c->plan.mz_max;
    if (!c->tic_preserving) {
        msiz_binner_opts bo;
        msiz_binner_opts_init(&bo);
        bo.mz_min = c->keep_min;
        bo.mz_max = c->keep_max;
        MSIZ_TRY(msiz_binner_new(c->axis, c->n_bins, &bo, &c->binner));
    }
cleanup:
    return status;
}

/* Continuous data: spectrum 0's m/z array, when strictly increasing. */
static msiz_status continuous_axis(msiz_conv *c)
{
    msiz_status status = msiz_source_read(c->src, 0, &c->sp); /* Thyra: spectrum 0's array */
    if (status < 0)
        return status;
    for (size_t i = 0; i < c->sp.n; i++) /* the axis itself: no value may be dropped */
        if (!isfinite(c->sp.mz[i]))
            return msiz_fail(MSIZ_E_FORMAT,
                             "%s: the shared m/z array holds %g at index %zu: not an m/z value",
                             c->input, c->sp.mz[i], i);
        else if (c->sp.mz[i] < MSIZ_MZ_FLOOR)
            return msiz_conv_implausible_mz(c, &c->sp, i);
    for (size_t i = 1; i < c->sp.n; i++)
        if (!(c->sp.mz[i] > c->sp.mz[i - 1]))
            return msiz_fail(MSIZ_E_FORMAT,
                             "%s: the shared m/z array is not strictly increasing at index %zu",
                             c->input, i);
    c->n_bins = c->sp.n;
    status = msiz_conv_budget_fit(c);
    if (status < 0)
        return status;
    c->axis = msiz_malloc((c->n_bins ? c->n_bins : 1) * sizeof *c->axis);
    if (!c->axis)
        return msiz_fail(MSIZ_E_NOMEM, "out of memory for the m/z axis");
    memcpy(c->axis, c->sp.mz, (size_t)c->n_bins * sizeof *c->axis);
    return MSIZ_OK;
}

static msiz_status union_axis(msiz_conv *c)
{
    uint64_t n = 0;
    msiz_status status = msiz_union_axis_finish(c->uaxis, &n);
    if (status < 0)
        return status;
    c->n_bins = n;
    status = msiz_conv_budget_fit(c);
    if (status < 0)
        return status;
    c->axis = msiz_malloc((size_t)(n ? n : 1) * sizeof *c->axis);
    if (!c->axis)
        return msiz_fail(MSIZ_E_NOMEM, "out of memory for a raw m/z axis of %llu values",
                         (unsigned long long)n);
    return msiz_union_axis_read(c->uaxis, 0, (size_t)n, c->axis);
}

static msiz_status raw_axis(msiz_conv *c)
{
    msiz_status status = c->uaxis ? union_axis(c) : continuous_axis(c);
    if (status < 0)
        return status;
    if (c->n_bins > 0) {
        c->keep_min = c->axis[0];
        c->keep_max = c->axis[c->n_bins - 1];
    }
    msiz_union_axis_free(c->uaxis);
    c->uaxis = NULL;
    snprintf(c->sum->plan, sizeof c->sum->plan, "no resampling: raw m/z axis of %llu values",
             (unsigned long long)c->n_bins);
    msiz_binner_opts bo;
    msiz_binner_opts_init(&bo);
    bo.mode = MSIZ_BIN_RAW;
    return msiz_binner_new(c->axis, c->n_bins, &bo, &c->binner);
}

msiz_status msiz_conv_plan(msiz_conv *c)
{
    msiz_status status = c->o->resample ? resampled_axis(c) : raw_axis(c);
    if (status < 0)
        return status;
    /* a TIC-preserving row may fill every bin; other mappings give at most one bin per peak */
    c->out_cap = c->tic_preserving ? (size_t)c->n_bins : c->max_peaks ? c->max_peaks : 1;
    c->idx32 = msiz_malloc(c->out_cap * sizeof *c->idx32);
    if (!c->idx32)
        return msiz_fail(MSIZ_E_NOMEM, "out of memory for rows of %zu entries", c->out_cap);
    return MSIZ_OK;
}

msiz_status msiz_mapper_init(const msiz_conv *c, msiz_mapper *m)
{
    memset(m, 0, sizeof *m);
    m->first_drop = UINT64_MAX;
    if (!c->tic_preserving)
        return msiz_bin_workspace_new(c->binner, &m->ws);
    msiz_status status = msiz_tic_resampler_new(c->axis, c->n_bins, c->o->gap_tolerance, &m->tic);
    if (status == MSIZ_OK)
        status = msiz_tic_resampler_set_range(m->tic, c->keep_min, c->keep_max);
    return status;
}

void msiz_mapper_release(msiz_conv *c, msiz_mapper *m)
{
    if (m->stats.spectra_with_drops && m->first_drop < c->first_drop)
        c->first_drop = m->first_drop;
    c->bin_stats.peaks += m->stats.peaks;
    c->bin_stats.out_of_range += m->stats.out_of_range;
    c->bin_stats.nan_mz += m->stats.nan_mz;
    c->bin_stats.spectra_with_drops += m->stats.spectra_with_drops;
    c->dropped.mz += m->dropped.mz;
    c->dropped.intensity += m->dropped.intensity;
    c->unsorted_spectra += m->unsorted + m->stats.unsorted_spectra;
    msiz_bin_workspace_free(m->ws);
    msiz_tic_resampler_free(m->tic);
    memset(m, 0, sizeof *m);
}

/* What the binner counts itself, for the TIC resampler: unsorted spectra (edge case #36), NaN
 * m/z and points outside the axis range (their intensity is not part of the preserved TIC). */
static void tic_counts(const msiz_conv *c, msiz_mapper *m, const msiz_spectrum *sp)
{
    uint64_t outside = 0, nans = 0;
    int unsorted = 0;
    for (size_t i = 0; i < sp->n; i++) {
        double x = sp->mz[i];
        if (i > 0 && x < sp->mz[i - 1])
            unsorted = 1;
        if (isnan(x))
            nans++;
        else if (!(x >= c->keep_min && x <= c->keep_max))
            outside++;
    }
    m->unsorted += (uint64_t)unsorted;
    m->stats.peaks += sp->n;
    m->stats.out_of_range += outside;
    m->stats.nan_mz += nans;
    m->stats.spectra_with_drops += (outside + nans) > 0;
}

msiz_status msiz_mapper_map(const msiz_conv *c, msiz_mapper *m, msiz_spectrum *sp, uint32_t *idx,
                            double *val, size_t *n)
{
    *n = 0;
    msiz_status status = msiz_conv_filter(c, sp, &m->dropped);
    if (status < 0)
        return status;
    if (sp->n == 0)
        return MSIZ_OK;
    if (!c->tic_preserving && sp->n > c->out_cap)
        return msiz_fail(MSIZ_E_STATE, "%s: spectrum %llu has %zu peaks, %zu at scan time",
                         c->input, (unsigned long long)sp->index, sp->n, c->out_cap);
    uint64_t with_drops = m->stats.spectra_with_drops;
    if (m->tic) {
        tic_counts(c, m, sp);
        status = msiz_tic_resampler_map(m->tic, sp->mz, sp->intensity, sp->n, idx, val, n);
    } else {
        status =
            msiz_binner_map(c->binner, m->ws, sp->mz, sp->intensity, sp->n, idx, val, n, &m->stats);
    }
    if (m->stats.spectra_with_drops > with_drops && sp->index < m->first_drop)
        m->first_drop = sp->index; /* the lowest index: the same for every thread count */
    return status;
}

void msiz_conv_plan_free(msiz_conv *c)
{
    msiz_binner_free(c->binner);
    msiz_union_axis_free(c->uaxis);
    msiz_free(c->axis);
    msiz_free(c->idx32);
    c->binner = NULL;
    c->uaxis = NULL;
    c->axis = NULL;
    c->idx32 = NULL;
}
