/* Axis generators (resampling.md §3) with numpy.linspace semantics (§8).
 *
 * numpy computes linspace(a, b, N) as step = (b - a) / (N - 1); y[i] = fl(fl(i * step) + a)
 * (no FMA: this file is compiled with -ffp-contract=off); y[N-1] = b. When step == 0 (only for
 * subnormal spans) it computes fl(fl(fl(i / (N - 1)) * (b - a)) + a) instead. sqrt, + - * / are
 * correctly rounded, so the constant, linear_tof, orbitrap and fticr axes equal numpy's bit for
 * bit. reflector_tof uses libm log/exp: numpy may use its own SIMD exp/log (AVX512F builds),
 * whose last bit can differ; centres then differ by at most ~2 ulp. */
#include <math.h>

#include "common/error.h"
#include "msizarr/axis.h"

typedef struct linspace {
    double a, b, step, delta, div;
    uint64_t last;
    int zero_step;
} linspace;

static void linspace_init(linspace *ls, double a, double b, uint64_t count)
{
    ls->a = a;
    ls->b = b;
    ls->last = count - 1;
    ls->div = (double)(count - 1);
    ls->delta = b - a;
    ls->step = count > 1 ? ls->delta / ls->div : 0.0;
    ls->zero_step = count > 1 && ls->step == 0.0;
}

static double linspace_at(const linspace *ls, uint64_t i)
{
    if (i == ls->last && ls->last > 0)
        return ls->b;
    if (ls->last == 0)
        return 0.0 * ls->delta + ls->a;
    double t;
    if (ls->zero_step)
        t = ((double)i / ls->div) * ls->delta;
    else
        t = (double)i * ls->step;
    return t + ls->a; /* a separate rounding: no FMA under -ffp-contract=off */
}

static double to_coord(msiz_axis_type type, double mz)
{
    switch (type) {
    case MSIZ_AXIS_REFLECTOR_TOF: return log(mz);
    case MSIZ_AXIS_LINEAR_TOF: return sqrt(mz);
    case MSIZ_AXIS_ORBITRAP: return 1.0 / sqrt(mz);
    case MSIZ_AXIS_FTICR: return 1.0 / mz;
    default: return mz;
    }
}

static double from_coord(msiz_axis_type type, double u)
{
    switch (type) {
    case MSIZ_AXIS_REFLECTOR_TOF: return exp(u);
    case MSIZ_AXIS_LINEAR_TOF: return u * u;
    case MSIZ_AXIS_ORBITRAP: return 1.0 / (u * u);
    case MSIZ_AXIS_FTICR: return 1.0 / u;
    default: return u;
    }
}

msiz_status msiz_axis_build(msiz_axis_type type, double mz_min, double mz_max, uint64_t n,
                            double *out)
{
    if ((unsigned)type > MSIZ_AXIS_FTICR)
        return msiz_fail(MSIZ_E_ARG, "unknown mass axis type %d", (int)type);
    if (n == 0 || n > MSIZ_AXIS_MAX_BINS)
        return msiz_fail(MSIZ_E_ARG, "bin count %llu out of range 1-%llu", (unsigned long long)n,
                         (unsigned long long)MSIZ_AXIS_MAX_BINS);
    if (!isfinite(mz_min) || !isfinite(mz_max) || !(mz_min > 0) || mz_min > mz_max)
        return msiz_fail(MSIZ_E_ARG, "invalid mass range %.17g-%.17g", mz_min, mz_max);
    linspace ls;
    if (type == MSIZ_AXIS_CONSTANT) {
        linspace_init(&ls, mz_min, mz_max, n);
        for (uint64_t i = 0; i < n; i++)
            out[i] = linspace_at(&ls, i);
        return MSIZ_OK;
    }
    /* n + 1 edges uniform in the analyser's coordinate; the axis holds the bin centres. */
    linspace_init(&ls, to_coord(type, mz_min), to_coord(type, mz_max), n + 1);
    double prev = from_coord(type, linspace_at(&ls, 0));
    for (uint64_t i = 0; i < n; i++) {
        double next = from_coord(type, linspace_at(&ls, i + 1));
        out[i] = (prev + next) / 2.0;
        prev = next;
    }
    return MSIZ_OK;
}
