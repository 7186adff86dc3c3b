/* Binning throughput: peaks per second on one core, for every axis type, with the bucket
 * lookup table and with plain binary search; plus TIC-preserving and union-axis rates.
 * Times are thread CPU time (peaks per second per core); each figure is the best of 3 runs.
 * Not a test: prints a table (docs/resampling.md records one run).
 *
 *   bench_binning [spectra] [peaks_per_spectrum]     (default 2000 x 2000) */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define MSIZ_EXPERIMENTAL /* experimental API: docs/api.md */
#include "msizarr/experimental.h"

#define MZ_MIN 250.0
#define MZ_MAX 1200.0

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts); /* per core: CPU time, not wall time */
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static uint64_t rng_state = 88172645463325252ULL;
static double uniform(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (double)(rng_state >> 11) / 9007199254740992.0;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Centroid-like spectra: sorted float32-widened m/z in 250-1200, positive intensities. */
static void make_spectra(double *mz, double *in, size_t spectra, size_t peaks)
{
    for (size_t s = 0; s < spectra; s++) {
        double *m = mz + s * peaks;
        for (size_t k = 0; k < peaks; k++) {
            m[k] = (float)(MZ_MIN + (MZ_MAX - MZ_MIN) * uniform());
            in[s * peaks + k] = (float)(1.0 + 1e4 * uniform());
        }
        qsort(m, peaks, sizeof *m, cmp);
    }
}

static double bench_nn(const double *axis, uint64_t n, int lut, const double *mz, const double *in,
                       size_t spectra, size_t peaks, double *checksum)
{
    msiz_binner_opts o;
    msiz_binner_opts_init(&o);
    o.use_lookup_table = lut;
    o.mz_min = MZ_MIN; /* the converter keeps the range the axis was built on */
    o.mz_max = MZ_MAX;
    msiz_binner *b;
    msiz_bin_workspace *ws;
    uint32_t *idx = malloc(peaks * sizeof *idx);
    double *val = malloc(peaks * sizeof *val);
    if (!idx || !val || msiz_binner_new(axis, n, &o, &b) < 0 || msiz_bin_workspace_new(b, &ws) < 0)
        exit(1);
    double t0 = now();
    for (size_t s = 0; s < spectra; s++) {
        size_t k;
        if (msiz_binner_map(b, ws, mz + s * peaks, in + s * peaks, peaks, idx, val, &k, NULL) < 0)
            exit(1);
        *checksum += k ? val[0] : 0;
    }
    double dt = now() - t0;
    msiz_bin_workspace_free(ws);
    msiz_binner_free(b);
    free(idx);
    free(val);
    return (double)(spectra * peaks) / dt;
}

static double bench_tic(const double *axis, uint64_t n, const double *mz, const double *in,
                        size_t spectra, size_t peaks)
{
    msiz_tic_resampler *r;
    uint32_t *idx = malloc(n * sizeof *idx);
    double *val = malloc(n * sizeof *val);
    if (!idx || !val || msiz_tic_resampler_new(axis, n, 0, &r) < 0 ||
        msiz_tic_resampler_set_range(r, MZ_MIN, MZ_MAX) < 0)
        exit(1);
    size_t count = spectra < 200 ? spectra : 200;
    double t0 = now();
    for (size_t s = 0; s < count; s++) {
        size_t k;
        if (msiz_tic_resampler_map(r, mz + s * peaks, in + s * peaks, peaks, idx, val, &k) < 0)
            exit(1);
    }
    double dt = now() - t0;
    msiz_tic_resampler_free(r);
    free(idx);
    free(val);
    return (double)count / dt;
}

static double bench_union(const double *mz, size_t total)
{
    msiz_union_opts o;
    msiz_union_opts_init(&o);
    o.max_values = 0;
    msiz_union_axis *u;
    uint64_t n;
    double t0 = now();
    if (msiz_union_axis_new(&o, &u) < 0 || msiz_union_axis_add(u, mz, total) < 0 ||
        msiz_union_axis_finish(u, &n) < 0)
        exit(1);
    double dt = now() - t0;
    msiz_union_axis_free(u);
    return (double)total / dt;
}

int main(int argc, char **argv)
{
    size_t spectra = argc > 1 ? strtoull(argv[1], NULL, 10) : 2000;
    size_t peaks = argc > 2 ? strtoull(argv[2], NULL, 10) : 2000;
    double *mz = malloc(spectra * peaks * sizeof *mz);
    double *in = malloc(spectra * peaks * sizeof *in);
    if (!mz || !in)
        return 1;
    make_spectra(mz, in, spectra, peaks);
    double checksum = 0;
    printf("nearest-neighbour binning, m/z 250-1200, default widths, %zu spectra x %zu peaks\n",
           spectra, peaks);
    printf("%-14s %9s %16s %16s %12s\n", "axis", "bins", "table (peaks/s)", "bsearch (peaks/s)",
           "TIC (spec/s)");
    for (int t = MSIZ_AXIS_CONSTANT; t <= MSIZ_AXIS_FTICR; t++) {
        double w, r;
        uint64_t n;
        msiz_axis_default_width((msiz_axis_type)t, &w, &r);
        if (msiz_axis_bins_from_width((msiz_axis_type)t, MZ_MIN, MZ_MAX, w, r, NULL, &n) < 0)
            return 1;
        double *axis = malloc(n * sizeof *axis);
        if (!axis || msiz_axis_build((msiz_axis_type)t, MZ_MIN, MZ_MAX, n, axis) < 0)
            return 1;
        double lut = 0, bs = 0, tic = 0;
        for (int rep = 0; rep < 3; rep++) {
            lut = fmax(lut, bench_nn(axis, n, 1, mz, in, spectra, peaks, &checksum));
            bs = fmax(bs, bench_nn(axis, n, 0, mz, in, spectra, peaks, &checksum));
            tic = fmax(tic, bench_tic(axis, n, mz, in, spectra, peaks));
        }
        printf("%-14s %9llu %16.3e %16.3e %12.1f\n", msiz_axis_type_name((msiz_axis_type)t),
               (unsigned long long)n, lut, bs, tic);
        free(axis);
    }
    double un = 0;
    for (int rep = 0; rep < 3; rep++)
        un = fmax(un, bench_union(mz, spectra * peaks));
    printf("union axis (64 MiB budget, in memory): %.3e values/s\n", un);
    fprintf(stderr, "checksum %g\n", checksum);
    free(mz);
    free(in);
    return 0;
}
