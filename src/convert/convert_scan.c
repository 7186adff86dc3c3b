/* Scan pass: reads every spectrum once for its coordinates (and m/z range when the data must
 * give it), places it on the grid, refuses or drops duplicates, and orders spectra by grid
 * index so the bin pass can emit rows in table order. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/error.h"
#include "common/log.h"
#include "convert/convert_internal.h"
#include "source/source_scan.h"

static const int64_t *g_sort_keys; /* qsort has no context argument */

static int by_key(const void *a, const void *b)
{
    int64_t ka = g_sort_keys[*(const uint64_t *)a], kb = g_sort_keys[*(const uint64_t *)b];
    if (ka != kb)
        return ka < kb ? -1 : 1;
    return *(const uint64_t *)a < *(const uint64_t *)b ? -1 : 1;
}

/* The m/z range comes from the data unless the format states it or the user gives both ends. */
static int range_from_data(const msiz_conv *c)
{
    const msiz_resample_request *rq = &c->o->request;
    if (c->info->has_mass_range)
        return 0;
    return !(rq->has_mz_min && rq->has_mz_max);
}

static msiz_status widen_range(msiz_conv *c, const msiz_spectrum *sp)
{
    for (size_t i = 0; i < sp->n; i++) {
        double m = sp->mz[i];
        if (!isfinite(m)) /* dropped by the bin pass (edge-cases.md #35) */
            continue;
        if (m < MSIZ_MZ_FLOOR)
            return msiz_conv_implausible_mz(c, sp, i);
        if (!c->has_data_range || m < c->data_mz_min)
            c->data_mz_min = m;
        if (!c->has_data_range || m > c->data_mz_max)
            c->data_mz_max = m;
        c->has_data_range = 1;
    }
    return MSIZ_OK;
}

static msiz_status duplicate(msiz_conv *c, uint64_t index, int64_t key, uint64_t *dropped)
{
    if (c->o->duplicates == MSIZ_DUPLICATES_KEEP_FIRST) {
        (*dropped)++;
        return MSIZ_OK;
    }
    uint64_t first = 0; /* only on the error path: find the earlier spectrum */
    while (first < index && c->key[first] != key)
        first++;
    return msiz_fail(MSIZ_E_FORMAT,
                     "%s: spectra %llu and %llu are both at x=%lld y=%lld z=%lld (file "
                     "coordinates); use --duplicates keep-first to keep the first",
                     c->input, (unsigned long long)first, (unsigned long long)index,
                     (long long)c->sp.raw_x, (long long)c->sp.raw_y, (long long)c->sp.raw_z);
}

/* Places spectrum `i` (in c->sp) on the grid: its key, or -1 when it gives no row. */
static msiz_status place(msiz_conv *c, uint64_t i, uint8_t *seen, uint64_t skipped[2])
{
    const msiz_spectrum *sp = &c->sp;
    c->key[i] = -1;
    if (sp->n == 0)
        return MSIZ_OK;
    if (sp->x < 0 || sp->y < 0 || sp->z < 0) { /* 0-based files: the reader warned already */
        skipped[0]++;
        return MSIZ_OK;
    }
    if (sp->x >= c->n_x || sp->y >= c->n_y || sp->z >= c->n_z) {
        skipped[1]++;
        return MSIZ_OK;
    }
    /* the budget bounded n_x * n_y * n_z (9+ bytes a cell), so the key cannot overflow */
    int64_t key = ((int64_t)sp->z * c->n_y + sp->y) * c->n_x + sp->x;
    if (seen[key >> 3] & (1u << (key & 7)))
        return duplicate(c, i, key, &c->sum->duplicates_dropped);
    seen[key >> 3] |= (uint8_t)(1u << (key & 7));
    c->key[i] = key;
    if (sp->n > c->max_peaks) {
        c->max_peaks = sp->n;
        c->max_peaks_index = i;
    }
    c->peaks_bound += sp->n; /* bounds the entries of a CSR table (convert_table.c) */
    return c->uaxis ? msiz_conv_union_add(c) : MSIZ_OK;
}

/* Whether spectrum i's peaks are needed now: for the m/z range when the data must give it (all
 * spectra, or spectrum 0 of a continuous file) and for the raw union axis. Otherwise only its
 * position is read, which costs no data I/O. */
static int needs_peaks(const msiz_conv *c, uint64_t i, int need_range)
{
    if (c->uaxis)
        return 1;
    return need_range && (!c->info->continuous || i == 0);
}

static msiz_status read_all(msiz_conv *c, uint8_t *seen)
{
    msiz_status status = MSIZ_OK;
    struct timespec start;
    uint64_t skipped[2] = {0, 0}; /* below the grid's origin, beyond its far edges */
    int need_range = range_from_data(c);
    size_t room = msiz_conv_peaks_room(c);
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (uint64_t i = 0; i < c->n_spectra; i++) {
        if (needs_peaks(c, i, need_range)) {
            MSIZ_TRY(msiz_source_locate(c->src, i, &c->sp)); /* the length, before buffers */
            if (c->sp.n > room)
                MSIZ_TRY(msiz_conv_refuse_spectrum(c, i, c->sp.n));
            /* the union axis filters on intensities; the range needs only m/z */
            MSIZ_TRY(c->uaxis ? msiz_source_read(c->src, i, &c->sp)
                              : msiz_source_read_mz(c->src, i, &c->sp));
            if (need_range)
                MSIZ_TRY(widen_range(c, &c->sp));
        } else {
            MSIZ_TRY(msiz_source_locate(c->src, i, &c->sp));
        }
        MSIZ_TRY(place(c, i, seen, skipped));
        MSIZ_TRY(msiz_conv_tick(c, "scan", 0, i + 1, c->n_spectra, &start, 0));
    }
    MSIZ_TRY(msiz_conv_tick(c, "scan", 0, c->n_spectra, c->n_spectra, &start, 1));
    c->sum->spectra_out_of_grid = skipped[0] + skipped[1];
    if (skipped[1])
        msiz_warn("%s: %llu spectra lie beyond the %dx%dx%d grid and were skipped", c->input,
                  (unsigned long long)skipped[1], c->n_x, c->n_y, c->n_z);
    if (c->sum->duplicates_dropped)
        msiz_warn("%s: %llu spectra repeat an earlier spectrum's position and were dropped "
                  "(keep-first)",
                  c->input, (unsigned long long)c->sum->duplicates_dropped);
cleanup:
    return status;
}

/* A range the format states (Bruker MzAcqRangeLower/Upper, spectrum 0 of a continuous imzML)
 * is input like any m/z value: a lower end below MSIZ_MZ_FLOOR is refused, not made an axis. */
static msiz_status stated_range(msiz_conv *c)
{
    const msiz_source_info *in = c->info;
    if (!(in->mz_min >= MSIZ_MZ_FLOOR) || !(in->mz_max < INFINITY))
        return msiz_fail(MSIZ_E_FORMAT,
                         "%s: the m/z range %g..%g from %s starts below %g or is infinite: not "
                         "a plausible m/z range (corrupt %s?)",
                         c->input, in->mz_min, in->mz_max,
                         in->format == MSIZ_FORMAT_IMZML ? "spectrum 0's shared m/z array"
                                                         : "MzAcqRangeLower/MzAcqRangeUpper",
                         MSIZ_MZ_FLOOR, in->format == MSIZ_FORMAT_IMZML ? "data" : "metadata");
    c->has_data_range = 1;
    c->data_mz_min = in->mz_min;
    c->data_mz_max = in->mz_max;
    return MSIZ_OK;
}

static msiz_status build_order(msiz_conv *c)
{
    int sorted = 1;
    int64_t last = -1;
    c->order = msiz_malloc((c->n_spectra ? c->n_spectra : 1) * sizeof *c->order);
    if (!c->order)
        return msiz_fail(MSIZ_E_NOMEM, "out of memory for %llu spectrum records",
                         (unsigned long long)c->n_spectra);
    for (uint64_t i = 0; i < c->n_spectra; i++) {
        if (c->key[i] < 0)
            continue;
        sorted &= c->key[i] > last;
        last = c->key[i];
        c->order[c->n_order++] = i;
    }
    if (!sorted) {
        g_sort_keys = c->key;
        qsort(c->order, (size_t)c->n_order, sizeof *c->order, by_key);
    }
    return MSIZ_OK;
}

msiz_status msiz_conv_grid(msiz_conv *c)
{
    c->n_spectra = c->info->n_spectra;
    c->n_x = c->info->n_x;
    c->n_y = c->info->n_y;
    c->n_z = c->info->n_z > 0 ? c->info->n_z : 1;
    if (c->n_x <= 0 || c->n_y <= 0)
        return msiz_fail(MSIZ_E_FORMAT, "%s: empty grid (%d x %d)", c->input, c->n_x, c->n_y);
    return MSIZ_OK;
}

msiz_status msiz_conv_scan(msiz_conv *c)
{
    msiz_status status = MSIZ_OK;
    uint8_t *seen = NULL;
    uint64_t cells = (uint64_t)c->n_x * (uint64_t)c->n_y * (uint64_t)c->n_z;
    c->key = msiz_malloc((c->n_spectra ? c->n_spectra : 1) * sizeof *c->key);
    seen = msiz_calloc((size_t)(cells / 8 + 1), 1);
    MSIZ_FAIL_IF(!c->key || !seen, MSIZ_E_NOMEM,
                 "%s: out of memory for %llu spectrum keys and a %llu-pixel occupancy map",
                 c->input, (unsigned long long)c->n_spectra, (unsigned long long)cells);
    MSIZ_TRY(read_all(c, seen));
    MSIZ_TRY(build_order(c));
    MSIZ_FAIL_IF(c->n_order == 0, MSIZ_E_FORMAT,
                 "%s: no spectrum with peaks inside the grid: nothing to convert", c->input);
    if (c->info->has_mass_range)
        MSIZ_TRY(stated_range(c));
cleanup:
    msiz_free(seen);
    return status;
}
