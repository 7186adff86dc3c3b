/* TOF index -> m/z from the MzCalibration table (ModelType 1 and 2, temperature corrected), the
 * linear-in-√m approximation as the fallback, and scan -> 1/K0 from TimsCalibration.
 * Models and evidence: docs/reference/bruker.md §6. */
#include <math.h>
#include <string.h>

#include "bruker/bruker_internal.h"

/* beta = 1 + (dC1·(cal.T1 − frame.T1) + dC2·(cal.T2 − frame.T2)) / 1e6 */
static double temperature_beta(const msiz_bruker_mzcal *cal, double frame_t1, double frame_t2)
{
    return 1.0 + (cal->dc1 * (cal->t1 - frame_t1) + cal->dc2 * (cal->t2 - frame_t2)) / 1e6;
}

void msiz_bruker_mzconv_init_linear(msiz_bruker_mzconv *conv, const msiz_bruker_mzcal *cal)
{
    memset(conv, 0, sizeof *conv);
    conv->model = MSIZ_BRUKER_MZ_LINEAR_SQRT;
    double lo = sqrt(cal->lin_lo > 0 ? cal->lin_lo : 0.0);
    double hi = sqrt(cal->lin_hi > 0 ? cal->lin_hi : 0.0);
    conv->lin_a = lo;
    conv->lin_b = cal->lin_n > 0 ? (hi - lo) / cal->lin_n : 0.0;
}

void msiz_bruker_mzconv_init(msiz_bruker_mzconv *conv, const msiz_bruker_mzcal *cal,
                             double frame_t1, double frame_t2)
{
    if (cal->model == MSIZ_BRUKER_MZ_LINEAR_SQRT || cal->c[1] == 0.0 || cal->timebase == 0.0) {
        msiz_bruker_mzconv_init_linear(conv, cal);
        return;
    }
    memset(conv, 0, sizeof *conv);
    double beta = temperature_beta(cal, frame_t1, frame_t2);
    double c1 = cal->c[1] * beta;
    conv->model = cal->model;
    conv->timebase = cal->timebase;
    conv->delay = cal->delay;
    conv->c0 = cal->c[0];
    conv->sqrt_k = sqrt(1e12 / c1);
    conv->c2 = cal->c[2] / beta;
    if (cal->model == MSIZ_BRUKER_MZ_MODEL1) {
        conv->c3 = cal->c[3];
        conv->c4 = cal->c[4];
        return;
    }
    /* ModelType 2: base model without C3/C4 (those columns repeat C0/C2), then a polynomial
     * correction inside [C5, C6] with C7 coefficients C8... */
    conv->poly_lo = cal->c[5];
    conv->poly_hi = cal->c[6];
    double n = cal->c[7]; /* a count from the file: clamped before the cast (NaN -> 0) */
    conv->poly_n = n >= 7 ? 7 : n >= 1 ? (int)n : 0;
    for (int k = 0; k < conv->poly_n; k++)
        conv->poly[k] = cal->c[8 + k];
}

/* Solves c0 + k·s + c2·s² + c3·s³ = tof for s >= 0: closed form for c3 = 0, then Newton. */
static double solve_s(const msiz_bruker_mzconv *c, double tof)
{
    double cc = c->c0 - tof;
    double disc = c->sqrt_k * c->sqrt_k - 4.0 * c->c2 * cc;
    double s = disc > 0 ? -2.0 * cc / (c->sqrt_k + sqrt(disc)) : -cc / c->sqrt_k;
    if (c->c3 == 0.0)
        return s;
    for (int it = 0; it < 50; it++) {
        double f = cc + c->sqrt_k * s + c->c2 * s * s + c->c3 * s * s * s;
        double df = c->sqrt_k + 2.0 * c->c2 * s + 3.0 * c->c3 * s * s;
        if (df == 0.0)
            break;
        double step = f / df;
        s -= step;
        if (fabs(step) <= 1e-15 * fabs(s))
            break;
    }
    return s;
}

static double poly_correction(const msiz_bruker_mzconv *c, double m)
{
    if (c->poly_n == 0 || m < c->poly_lo || m > c->poly_hi)
        return 0.0;
    double sum = 0.0, p = 1.0;
    for (int k = 0; k < c->poly_n; k++) {
        sum += c->poly[k] * p;
        p *= m;
    }
    return sum;
}

double msiz_bruker_index_to_mz(const msiz_bruker_mzconv *c, double index)
{
    if (c->model == MSIZ_BRUKER_MZ_LINEAR_SQRT) {
        double r = c->lin_a + c->lin_b * index;
        return r * r;
    }
    double tof = c->delay + c->timebase * index;
    double s = solve_s(c, tof);
    double m = s * s - c->c4;
    if (c->model == MSIZ_BRUKER_MZ_MODEL2)
        m -= poly_correction(c, m);
    return m;
}

static double base_index(const msiz_bruker_mzconv *c, double m_base)
{
    double s = sqrt(m_base + c->c4 > 0 ? m_base + c->c4 : 0.0);
    double tof = c->c0 + c->sqrt_k * s + c->c2 * s * s + c->c3 * s * s * s;
    return (tof - c->delay) / c->timebase;
}

double msiz_bruker_mz_to_index(const msiz_bruker_mzconv *c, double mz)
{
    if (c->model == MSIZ_BRUKER_MZ_LINEAR_SQRT)
        return c->lin_b != 0.0 ? (sqrt(mz > 0 ? mz : 0.0) - c->lin_a) / c->lin_b : 0.0;
    double m_base = mz;
    if (c->model == MSIZ_BRUKER_MZ_MODEL2) /* fixed point: m_base − corr(m_base) = mz */
        for (int it = 0; it < 50; it++) {
            double next = mz + poly_correction(c, m_base);
            if (fabs(next - m_base) <= 1e-13 * fabs(mz))
                break;
            m_base = next;
        }
    return base_index(c, m_base);
}

double msiz_bruker_scan_to_ook0(const msiz_bruker_timscal *cal, double scan)
{
    const double *c = cal->c;
    if (cal->model_type != 2 || c[1] == 0.0)
        return NAN;
    double slope = (c[3] - c[2]) / c[1];
    double off = c[2] - slope * (c[4] + c[0]);
    /* negative-mode runs store negative voltages (C2, C3 < 0); the model takes their magnitude
     * (matches the vendor library to 1e-9 ppm on both polarities, docs/bruker.md) */
    return 1.0 / (c[6] + c[7] / fabs(off + slope * scan));
}
