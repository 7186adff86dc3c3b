/* Resampling plan: the decision tree of resampling.md §1 and the bin count of §2. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "common/error.h"
#include "msizarr/axis.h"

void msiz_axis_default_width(msiz_axis_type type, double *width, double *reference_mz)
{
    /* Thyra: 17 mDa at m/z 300 ("SCiLS-like") for linear_tof, 5 mDa at m/z 1000 otherwise. */
    *width = type == MSIZ_AXIS_LINEAR_TOF ? 0.017 : 0.005;
    *reference_mz = type == MSIZ_AXIS_LINEAR_TOF ? 300.0 : 1000.0;
}

static msiz_status check_range(double mz_min, double mz_max)
{
    if (!isfinite(mz_min) || !isfinite(mz_max))
        return msiz_fail(MSIZ_E_ARG, "mass range %g-%g is not finite", mz_min, mz_max);
    if (mz_min <= 0)
        return msiz_fail(MSIZ_E_ARG, "minimum m/z %g must be > 0", mz_min);
    if (mz_min >= mz_max)
        return msiz_fail(MSIZ_E_ARG, "minimum m/z %.17g must be below maximum m/z %.17g", mz_min,
                         mz_max);
    return MSIZ_OK;
}

/* Thyra's formulas in its operation order (Python float64 arithmetic, libm pow/log/sqrt). */
static double raw_bin_count(msiz_axis_type type, double lo, double hi, double w, double r)
{
    switch (type) {
    case MSIZ_AXIS_REFLECTOR_TOF: {
        double relative_resolution = r / w;
        return log(hi / lo) * relative_resolution;
    }
    case MSIZ_AXIS_LINEAR_TOF: {
        double k = w / sqrt(r);
        return (2.0 / k) * (sqrt(hi) - sqrt(lo));
    }
    case MSIZ_AXIS_ORBITRAP: {
        double scaling = pow(r, 1.5) / w;
        return 2.0 * (1.0 / sqrt(lo) - 1.0 / sqrt(hi)) * scaling;
    }
    case MSIZ_AXIS_FTICR: {
        double scaling = pow(r, 2.0) / w;
        return (1.0 / lo - 1.0 / hi) * scaling;
    }
    case MSIZ_AXIS_CONSTANT:
    default: return (hi - lo) / w;
    }
}

msiz_status msiz_axis_bins_from_width(msiz_axis_type type, double mz_min, double mz_max,
                                      double width, double reference_mz, double *raw,
                                      uint64_t *n_bins)
{
    msiz_status status = check_range(mz_min, mz_max);
    if (status < 0)
        return status;
    if ((unsigned)type > MSIZ_AXIS_FTICR)
        return msiz_fail(MSIZ_E_ARG, "unknown mass axis type %d", (int)type);
    if (!(width > 0) || !isfinite(width))
        return msiz_fail(MSIZ_E_ARG, "bin width %g Da must be > 0", width);
    if (!(reference_mz > 0) || !isfinite(reference_mz))
        return msiz_fail(MSIZ_E_ARG, "reference m/z %g must be > 0", reference_mz);
    double value = raw_bin_count(type, mz_min, mz_max, width, reference_mz);
    if (raw)
        *raw = value;
    if (!(value < (double)MSIZ_AXIS_MAX_BINS + 1.0))
        return msiz_fail(MSIZ_E_LIMIT,
                         "%s axis over m/z %g-%g with %g Da bins at m/z %g needs %.0f bins "
                         "(limit %llu); use a wider bin",
                         msiz_axis_type_name(type), mz_min, mz_max, width, reference_mz, value,
                         (unsigned long long)MSIZ_AXIS_MAX_BINS);
    uint64_t bins = value > 0 ? (uint64_t)value : 0; /* Python int(): truncation toward zero */
    *n_bins = bins < MSIZ_AXIS_MIN_BINS ? MSIZ_AXIS_MIN_BINS : bins;
    return MSIZ_OK;
}

void msiz_resample_request_init(msiz_resample_request *rq)
{
    memset(rq, 0, sizeof *rq);
    rq->spectrum_type = MSIZ_SPECTRUM_UNKNOWN;
    rq->reference_mz = 1000.0;
}

static int contains_timstof(const char *name)
{
    static const char needle[] = "timstof";
    size_t len = sizeof needle - 1;
    for (const char *p = name; p && *p; p++) {
        size_t k = 0;
        while (k < len && p[k] && tolower((unsigned char)p[k]) == needle[k])
            k++;
        if (k == len)
            return 1;
    }
    return 0;
}

/* Decision tree (first match wins). Rapiflex / FT-ICR / Orbitrap detectors need metadata no
 * msizarr reader provides, so they are not reachable here (as in Thyra for our formats). */
static void auto_route(const msiz_resample_request *rq, msiz_resample_plan *plan)
{
    plan->method = MSIZ_RESAMPLE_NEAREST_NEIGHBOR;
    if (rq->is_timstof || contains_timstof(rq->instrument_name)) {
        plan->axis_type = MSIZ_AXIS_REFLECTOR_TOF;
        plan->route = "timsTOF";
    } else if (rq->spectrum_type == MSIZ_SPECTRUM_CENTROID) {
        plan->axis_type = MSIZ_AXIS_REFLECTOR_TOF;
        plan->route = "centroid";
    } else {
        plan->axis_type = MSIZ_AXIS_CONSTANT;
        plan->route = "default";
    }
}

static msiz_status resolve_range(const msiz_resample_request *rq, msiz_resample_plan *p)
{
    p->min_auto = !rq->has_mz_min;
    p->max_auto = !rq->has_mz_max;
    if ((p->min_auto || p->max_auto) && !rq->has_data_range)
        return msiz_fail(MSIZ_E_ARG, "no m/z range: the data hold no peak and no "
                                     "--resample-min-mz/--resample-max-mz was given");
    p->mz_min = rq->has_mz_min ? rq->mz_min : rq->data_mz_min;
    p->mz_max = rq->has_mz_max ? rq->mz_max : rq->data_mz_max;
    return check_range(p->mz_min, p->mz_max);
}

msiz_status msiz_resample_plan_resolve(const msiz_resample_request *rq, msiz_resample_plan *plan)
{
    msiz_resample_plan p;
    memset(&p, 0, sizeof p);
    auto_route(rq, &p);
    p.method_auto = !rq->has_method;
    p.axis_auto = !rq->has_axis_type;
    if (rq->has_method) {
        if ((unsigned)rq->method > MSIZ_RESAMPLE_TIC_PRESERVING)
            return msiz_fail(MSIZ_E_ARG, "unknown resampling method %d", (int)rq->method);
        p.method = rq->method;
    }
    if (rq->has_axis_type) {
        if ((unsigned)rq->axis_type > MSIZ_AXIS_FTICR)
            return msiz_fail(MSIZ_E_ARG, "unknown mass axis type %d", (int)rq->axis_type);
        p.axis_type = rq->axis_type;
    }
    msiz_status status = resolve_range(rq, &p);
    if (status < 0)
        return status;
    /* Width wins when given; explicit bins are used as is (no minimum). */
    p.bins_auto = rq->has_width || rq->bins == 0;
    if (p.bins_auto) {
        if (rq->has_width) {
            p.width = rq->width;
            p.reference_mz = rq->reference_mz;
        } else {
            msiz_axis_default_width(p.axis_type, &p.width, &p.reference_mz);
        }
        status = msiz_axis_bins_from_width(p.axis_type, p.mz_min, p.mz_max, p.width, p.reference_mz,
                                           &p.raw_bins, &p.n_bins);
        if (status < 0)
            return status;
    } else {
        if (rq->bins > MSIZ_AXIS_MAX_BINS)
            return msiz_fail(MSIZ_E_LIMIT, "%llu bins requested (limit %llu)",
                             (unsigned long long)rq->bins, (unsigned long long)MSIZ_AXIS_MAX_BINS);
        p.n_bins = rq->bins;
    }
    *plan = p;
    return MSIZ_OK;
}

void msiz_resample_plan_describe(const msiz_resample_plan *p, char *buf, size_t size)
{
    char bins_how[96];
    if (p->bins_auto)
        snprintf(bins_how, sizeof bins_how, "%g mDa at m/z %g", p->width * 1000.0, p->reference_mz);
    else
        snprintf(bins_how, sizeof bins_how, "explicit");
    snprintf(buf, size,
             "resampling: %s (%s%s%s) onto %s (%s) axis, %llu bins (%s), m/z %.10g (%s) - "
             "%.10g (%s)",
             msiz_resample_method_name(p->method), p->method_auto ? "auto, " : "user",
             p->method_auto ? p->route : "", "", msiz_axis_type_name(p->axis_type),
             p->axis_auto ? "auto" : "user", (unsigned long long)p->n_bins, bins_how, p->mz_min,
             p->min_auto ? "data" : "user", p->mz_max, p->max_auto ? "data" : "user");
}
