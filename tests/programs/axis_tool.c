/* Test driver for the axis module (pytest: tests/python/test_axis_numpy.py). Prints doubles as
 * C99 hex floats (%a) so that comparisons are exact.
 *
 *   axis_tool axis TYPE MIN MAX N              prints the N axis values
 *   axis_tool bins TYPE MIN MAX [WIDTH REF]    prints "n_bins raw"
 *   axis_tool bin TYPE MIN MAX N [bsearch|ends] spectra on stdin -> bins (nearest neighbour)
 *   axis_tool rawbin                           axis section, then spectra -> raw exact bins
 *   axis_tool tic TYPE MIN MAX N GAP [ends]    spectra on stdin -> TIC-preserving bins
 *
 * bin and tic keep peaks in [MIN, MAX], the range the axis is built on (as the converter does);
 * with "ends" they keep the library's default, the first and last axis values.
 *   axis_tool sum                              values on stdin -> numpy pairwise sum
 *   axis_tool union BUDGET CAP TMPDIR          spectra (m/z only) -> sorted unique union
 *
 * stdin: one peak per line ("mz intensity", or "mz" for union/sum/axis sections), spectra
 * separated by lines holding "--". Output per spectrum: "S <count>" then "<bin> <value>" lines;
 * finally "stats <peaks> <out_of_range> <nan>" for bin/rawbin. Errors: "error: <message>" on
 * stdout, exit code 1. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MSIZ_EXPERIMENTAL /* experimental API: docs/api.md */
#include "msizarr/experimental.h"

typedef struct vec {
    double *v;
    size_t n, cap;
} vec;

static void push(vec *a, double x)
{
    if (a->n == a->cap) {
        a->cap = a->cap ? 2 * a->cap : 1024;
        a->v = realloc(a->v, a->cap * sizeof *a->v);
        if (!a->v)
            exit(3);
    }
    a->v[a->n++] = x;
}

/* Reads one section (until "--" or EOF). Returns 0 at EOF with nothing read. */
static int read_section(vec *mz, vec *in, int pairs)
{
    static char *line = NULL;
    static size_t cap = 0;
    mz->n = in->n = 0;
    int any = 0;
    while (getline(&line, &cap, stdin) > 0) {
        any = 1;
        if (strncmp(line, "--", 2) == 0)
            return 1;
        char *end;
        double x = strtod(line, &end);
        if (end == line)
            continue;
        push(mz, x);
        if (pairs)
            push(in, strtod(end, NULL));
    }
    return any;
}

static int fail(void)
{
    printf("error: %s\n", msiz_last_error());
    return 1;
}

static int parse_axis(char **argv, msiz_axis_type *t, double *lo, double *hi)
{
    if (msiz_axis_type_parse(argv[0], t) < 0)
        return -1;
    *lo = strtod(argv[1], NULL);
    *hi = strtod(argv[2], NULL);
    return 0;
}

static double *make_axis(char **argv, uint64_t *n)
{
    msiz_axis_type t;
    double lo, hi;
    if (parse_axis(argv, &t, &lo, &hi) < 0)
        return NULL;
    *n = strtoull(argv[3], NULL, 10);
    double *axis = malloc((*n ? *n : 1) * sizeof *axis);
    if (!axis || msiz_axis_build(t, lo, hi, *n, axis) < 0) {
        free(axis);
        return NULL;
    }
    return axis;
}

static void print_entries(const uint32_t *idx, const double *val, size_t k)
{
    printf("S %zu\n", k);
    for (size_t i = 0; i < k; i++)
        printf("%u %a\n", idx[i], val[i]);
}

static int run_binner(const double *axis, uint64_t n, const msiz_binner_opts *o)
{
    msiz_binner *b = NULL;
    msiz_bin_workspace *ws = NULL;
    msiz_bin_stats st = {0};
    vec mz = {0}, in = {0};
    if (msiz_binner_new(axis, n, o, &b) < 0 || msiz_bin_workspace_new(b, &ws) < 0)
        return fail();
    while (read_section(&mz, &in, 1)) {
        uint32_t *idx = malloc((mz.n + 1) * sizeof *idx);
        double *val = malloc((mz.n + 1) * sizeof *val);
        size_t k;
        if (!idx || !val || msiz_binner_map(b, ws, mz.v, in.v, mz.n, idx, val, &k, &st) < 0)
            return fail();
        print_entries(idx, val, k);
        free(idx);
        free(val);
    }
    printf("stats %llu %llu %llu\n", (unsigned long long)st.peaks,
           (unsigned long long)st.out_of_range, (unsigned long long)st.nan_mz);
    msiz_bin_workspace_free(ws);
    msiz_binner_free(b);
    free(mz.v);
    free(in.v);
    return 0;
}

static int cmd_tic(char **argv, int ends)
{
    uint64_t n;
    double *axis = make_axis(argv, &n);
    if (!axis)
        return fail();
    msiz_tic_resampler *r;
    if (msiz_tic_resampler_new(axis, n, strtod(argv[4], NULL), &r) < 0)
        return fail();
    if (!ends && msiz_tic_resampler_set_range(r, strtod(argv[1], NULL), strtod(argv[2], NULL)) < 0)
        return fail();
    uint32_t *idx = malloc(n * sizeof *idx);
    double *val = malloc(n * sizeof *val);
    vec mz = {0}, in = {0};
    while (read_section(&mz, &in, 1)) {
        size_t k;
        if (msiz_tic_resampler_map(r, mz.v, in.v, mz.n, idx, val, &k) < 0)
            return fail();
        print_entries(idx, val, k);
    }
    msiz_tic_resampler_free(r);
    free(axis);
    free(idx);
    free(val);
    free(mz.v);
    free(in.v);
    return 0;
}

static int cmd_union(char **argv)
{
    msiz_union_opts o;
    msiz_union_opts_init(&o);
    o.memory_budget = strtoull(argv[0], NULL, 10);
    o.max_values = strtoull(argv[1], NULL, 10);
    o.temp_dir = argv[2];
    msiz_union_axis *u;
    vec mz = {0}, in = {0};
    uint64_t n;
    if (msiz_union_axis_new(&o, &u) < 0)
        return fail();
    while (read_section(&mz, &in, 0))
        if (msiz_union_axis_add(u, mz.v, mz.n) < 0)
            return msiz_union_axis_free(u), fail();
    if (msiz_union_axis_finish(u, &n) < 0)
        return msiz_union_axis_free(u), fail();
    printf("N %llu\n", (unsigned long long)n);
    double chunk[4096];
    for (uint64_t off = 0; off < n; off += 4096) {
        size_t k = n - off < 4096 ? (size_t)(n - off) : 4096;
        if (msiz_union_axis_read(u, off, k, chunk) < 0)
            return msiz_union_axis_free(u), fail();
        for (size_t i = 0; i < k; i++)
            printf("%a\n", chunk[i]);
    }
    msiz_union_axis_free(u);
    free(mz.v);
    free(in.v);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    const char *cmd = argv[1];
    int rc = 2;
    if (strcmp(cmd, "axis") == 0 && argc == 6) {
        uint64_t n;
        double *axis = make_axis(argv + 2, &n);
        if (!axis)
            return fail();
        for (uint64_t i = 0; i < n; i++)
            printf("%a\n", axis[i]);
        free(axis);
        rc = 0;
    } else if (strcmp(cmd, "bins") == 0 && (argc == 5 || argc == 7)) {
        msiz_axis_type t;
        double lo, hi, w, ref, raw = 0;
        uint64_t n;
        if (parse_axis(argv + 2, &t, &lo, &hi) < 0)
            return fail();
        msiz_axis_default_width(t, &w, &ref);
        if (argc == 7) {
            w = strtod(argv[5], NULL);
            ref = strtod(argv[6], NULL);
        }
        if (msiz_axis_bins_from_width(t, lo, hi, w, ref, &raw, &n) < 0)
            return fail();
        printf("%llu %a\n", (unsigned long long)n, raw);
        rc = 0;
    } else if (strcmp(cmd, "bin") == 0 && (argc == 6 || argc == 7)) {
        uint64_t n;
        double *axis = make_axis(argv + 2, &n);
        if (!axis)
            return fail();
        msiz_binner_opts o;
        msiz_binner_opts_init(&o);
        o.use_lookup_table = !(argc == 7 && strcmp(argv[6], "bsearch") == 0);
        if (!(argc == 7 && strcmp(argv[6], "ends") == 0)) {
            o.mz_min = strtod(argv[3], NULL);
            o.mz_max = strtod(argv[4], NULL);
        }
        rc = run_binner(axis, n, &o);
        free(axis);
    } else if (strcmp(cmd, "rawbin") == 0 && argc == 2) {
        vec ax = {0}, dummy = {0};
        read_section(&ax, &dummy, 0);
        msiz_binner_opts o;
        msiz_binner_opts_init(&o);
        o.mode = MSIZ_BIN_RAW;
        rc = run_binner(ax.v, ax.n, &o);
        free(ax.v);
        free(dummy.v);
    } else if (strcmp(cmd, "tic") == 0 && (argc == 7 || argc == 8)) {
        rc = cmd_tic(argv + 2, argc == 8 && strcmp(argv[7], "ends") == 0);
    } else if (strcmp(cmd, "sum") == 0 && argc == 2) {
        vec v = {0}, dummy = {0};
        while (read_section(&v, &dummy, 0))
            printf("%a\n", msiz_pairwise_sum(v.v, v.n));
        free(v.v);
        rc = 0;
    } else if (strcmp(cmd, "union") == 0 && argc == 5) {
        rc = cmd_union(argv + 2);
    }
    if (fclose(stdout) != 0)
        return 1;
    return rc;
}
