/* The memory plan (docs/memory.md): the fixed state a conversion holds whatever its peak count
 * (per spectrum, pixel, row, bin and peak of the longest spectrum), a process baseline, and the
 * buffers the limit leaves. It is checked before each large allocation, as soon as its inputs
 * are known (the grid before the scan pass, the bins before the axis): a plan that does not fit
 * uses fewer threads, or refuses naming the cause, the numbers and the way out. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>

#include "common/error.h"
#include "common/log.h"
#include "convert/convert_internal.h"

#define BASELINE     ((uint64_t)8 << 20) /* code, libraries, allocator slack, SQLite, GeoParquet */
#define PER_THREAD   ((uint64_t)1 << 20) /* stack pages, zstd context, allocator arena */
#define MAX_X_CHUNK  ((uint64_t)1000000) /* Thyra's X chunk length */
#define MIN_X_CHUNK  ((uint64_t)4096)
#define MIN_BUFFERS  ((uint64_t)1 << 20) /* transpose or union axis, at least */
#define COLUMN_CHUNK ((uint64_t)262144)  /* 1-D columns (MSIZ_STORE_COLUMN_CHUNK) */
#define COLUMN_ELEM  32u                 /* per element and slot: raw + compressed strings */
/* X chunk slots: data (8) + indices (4), raw + compressed + the compressor's window */
#define X_CHUNK_ELEM(threads) ((uint64_t)12 * 3 * (uint64_t)((threads) + 2))

/* Bytes per peak of the longest spectrum: the scan's spectrum (16), a CSR row's column ids (4),
 * the reader's raw and inflated arrays (16) and a continuous file's cached m/z array (8). */
#define PEAK_BYTES 44u
/* Per pixel: TIC image (8) and occupancy bit. */
#define CELL_BYTES  9u
#define IMAGE_CHUNK ((uint64_t)4096 * 4096) /* pixels of a TIC image chunk (store_image.c) */

typedef struct budget {
    uint64_t grid, spectra, rows, bins, peaks, report; /* fixed state */
    uint64_t baseline;
    /* Buffers: X chunks (at least MIN_X_CHUNK entries) next to either the pass buffers (a batch
     * slot and the transpose) or, once those are freed, the final writes' chunks (1-D columns,
     * TIC image): whichever is larger. */
    uint64_t x_chunks, pass, final_writes, buffers;
} budget;

static uint64_t sat_add(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static uint64_t sat_mul(uint64_t a, uint64_t b)
{
    return b && a > UINT64_MAX / b ? UINT64_MAX : a * b;
}

/* Pixels of the grid, or UINT64_MAX when the product overflows. */
static uint64_t grid_cells(const msiz_conv *c)
{
    return sat_mul(sat_mul((uint64_t)c->n_x, (uint64_t)c->n_y), (uint64_t)c->n_z);
}

/* The reader's records per spectrum, with growth slack: imzML 48 bytes, Bruker a frame row. */
static uint64_t record_bytes(const msiz_conv *c)
{
    return c->info->format == MSIZ_FORMAT_IMZML ? 96 : 256;
}

/* The final writes of a plane: whole 1-D columns (obs, var, uns, shape ids) through up to
 * threads + 1 chunk slots of COLUMN_CHUNK elements, and the TIC image through slots of up to
 * IMAGE_CHUNK pixels (8-byte values, raw + compressed). */
static uint64_t final_write_bytes(const msiz_conv *c, int threads)
{
    uint64_t slots = (uint64_t)threads + 1;
    uint64_t n = c->n_spectra > c->n_bins ? c->n_spectra : c->n_bins;
    uint64_t chunk = n < COLUMN_CHUNK ? (n ? n : 1) : COLUMN_CHUNK;
    uint64_t chunks = (n + chunk - 1) / chunk;
    uint64_t columns = COLUMN_ELEM * chunk * (chunks < slots ? chunks : slots);
    uint64_t plane = sat_mul((uint64_t)c->n_x, (uint64_t)c->n_y);
    uint64_t tile = plane < IMAGE_CHUNK ? plane : IMAGE_CHUNK;
    uint64_t tiles = plane / tile * (uint64_t)c->n_z; /* at least (bounds the slots in use) */
    uint64_t image = sat_mul(16 * tile, tiles < slots ? (tiles ? tiles : 1) : slots);
    return columns > image ? columns : image;
}

static uint64_t per_bin_bytes(const msiz_conv *c, int threads)
{
    /* axis, lookup, average, column counts, sort offsets; a binner workspace (9) or a TIC
     * resampler (16) per thread; a region's average; TIC-preserving rows may fill every bin
     * (column ids of one row) */
    uint64_t b = 68 + (c->tic_preserving ? 16u : 9u) * (uint64_t)threads + 8 * c->n_regions;
    return c->tic_preserving ? b + 4 : b;
}

/* One batch slot (msiz_batch_slot_bytes once the plan has set out_cap). */
static uint64_t slot_bytes(const msiz_conv *c)
{
    uint64_t peaks = c->max_peaks ? c->max_peaks : 1;
    uint64_t out = c->tic_preserving ? c->n_bins : peaks;
    return sat_add(sat_mul(peaks, 16), sat_add(sat_mul(out, 12), sizeof(msiz_batch_slot)));
}

static void estimate(const msiz_conv *c, int threads, budget *b)
{
    uint64_t rows = c->n_order ? c->n_order : c->n_spectra; /* before the scan: at most all */
    b->grid = sat_mul(grid_cells(c), CELL_BYTES);
    b->spectra = sat_mul(c->n_spectra, 16 + record_bytes(c));
    b->rows = sat_mul(rows, 8 + 8 + 4 + 1); /* keys, one obs column, region, category codes */
    b->bins = sat_mul(c->n_bins, per_bin_bytes(c, threads));
    b->peaks = sat_mul(c->max_peaks, PEAK_BYTES);
    b->report = msiz_conv_report_bytes(c); /* --report: the image views of one table */
    b->baseline = BASELINE + PER_THREAD * (uint64_t)threads;
    b->x_chunks = MIN_X_CHUNK * X_CHUNK_ELEM(threads);
    b->pass = sat_add(MIN_BUFFERS, slot_bytes(c));
    b->final_writes = final_write_bytes(c, threads);
    b->buffers = sat_add(b->x_chunks, b->pass > b->final_writes ? b->pass : b->final_writes);
}

static uint64_t fixed_of(const budget *b)
{
    return sat_add(sat_add(sat_add(b->grid, b->spectra), sat_add(b->rows, b->bins)),
                   sat_add(b->peaks, b->report));
}

static uint64_t need_of(const budget *b)
{
    return sat_add(fixed_of(b), sat_add(b->baseline, b->buffers));
}

/* "3.6 GiB" */
static const char *human(uint64_t n, char buf[32])
{
    static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    double v = (double)n;
    int u = 0;
    while (v >= 1024 && u < 6) {
        v /= 1024;
        u++;
    }
    snprintf(buf, 32, u ? "%.1f %s" : "%.0f %s", v, unit[u]);
    return buf;
}

/* The need rounded up as --memory-limit takes it: "at least 913MiB", "at least 7.3GiB". */
static const char *suggestion(uint64_t need, char buf[48])
{
    uint64_t mib = need / ((uint64_t)1 << 20) + 1;
    if (need == UINT64_MAX || mib > ((uint64_t)1 << 40))
        snprintf(buf, 48, "more than any machine has");
    else if (mib >= 1024)
        snprintf(buf, 48, "at least %.1fGiB", ceil((double)mib / 102.4) / 10);
    else
        snprintf(buf, 48, "at least %" PRIu64 "MiB", mib);
    return buf;
}

/* The first spectrum at the far edge of the grid's largest dimension (error path only). */
static void far_spectrum(const msiz_conv *c, char *out, size_t cap)
{
    msiz_spectrum sp;
    msiz_spectrum_init(&sp);
    int dim = c->n_x >= c->n_y && c->n_x >= c->n_z ? 0 : c->n_y >= c->n_z ? 1 : 2;
    int32_t edge = (dim == 0 ? c->n_x : dim == 1 ? c->n_y : c->n_z) - 1;
    snprintf(out, cap, "from the largest positions");
    for (uint64_t i = 0; i < c->n_spectra; i++) {
        if (msiz_source_locate(c->src, i, &sp) < 0)
            break;
        if ((dim == 0 ? sp.x : dim == 1 ? sp.y : sp.z) == edge) {
            snprintf(out, cap, "spectrum %" PRIu64 " is at x=%d y=%d z=%d", i, (int)sp.raw_x,
                     (int)sp.raw_y, (int)sp.raw_z);
            break;
        }
    }
    msiz_spectrum_destroy(&sp);
}

static msiz_status refuse_grid(const msiz_conv *c, const budget *b, const char *limit,
                               const char *raise)
{
    char where[128], h[32], n[32];
    far_spectrum(c, where, sizeof where);
    return msiz_fail(MSIZ_E_LIMIT,
                     "%s: the grid is %d x %d x %d pixels (%s): its per-pixel state needs %s and "
                     "the conversion %s, over the %s memory limit; if the positions are right, "
                     "raise --memory-limit to %s",
                     c->input, c->n_x, c->n_y, c->n_z, where, human(b->grid, h),
                     human(need_of(b), n), limit, raise);
}

static msiz_status refuse_bins(const msiz_conv *c, const budget *b, const char *limit,
                               const char *raise)
{
    char h[32], n[32], what[200];
    const msiz_resample_plan *p = &c->plan;
    const char *way;
    if (!c->o->resample) {
        snprintf(what, sizeof what, "the raw m/z axis (--no-resample) has %" PRIu64 " values",
                 c->n_bins);
        way = "resample instead (drop --no-resample)";
    } else if (!p->bins_auto) {
        snprintf(what, sizeof what, "%" PRIu64 " bins (--resample-bins)", c->n_bins);
        way = "use fewer --resample-bins";
    } else {
        snprintf(what, sizeof what,
                 "the m/z range %g..%g gives %" PRIu64 " bins (%s axis, %g mDa "
                 "at m/z %g)",
                 p->mz_min, p->mz_max, c->n_bins, msiz_axis_type_name(p->axis_type),
                 p->width * 1000, p->reference_mz);
        way = "set --resample-min-mz / --resample-max-mz or a wider --resample-width-at-mz";
    }
    return msiz_fail(MSIZ_E_LIMIT,
                     "%s: %s: their per-bin state needs %s and the conversion %s, over the %s "
                     "memory limit; %s, or raise --memory-limit to %s",
                     c->input, what, human(b->bins, h), human(need_of(b), n), limit, way, raise);
}

static msiz_status refuse(const msiz_conv *c, const budget *b)
{
    char limit[32], raise[48], h1[32], h2[32], h3[32], h4[32];
    uint64_t need = need_of(b), fixed = fixed_of(b);
    human(c->o->memory_limit, limit);
    suggestion(need, raise);
    /* a part of the fixed state that alone takes most of the limit is the cause */
    uint64_t big = c->o->memory_limit / 2;
    if (b->grid > big && b->grid >= b->bins)
        return refuse_grid(c, b, limit, raise);
    if (b->bins > big)
        return refuse_bins(c, b, limit, raise);
    if (b->peaks > big)
        return msiz_fail(MSIZ_E_LIMIT,
                         "%s: spectrum %" PRIu64 " has %zu peaks: its buffers need %s, over the "
                         "%s memory limit; raise --memory-limit to %s",
                         c->input, c->max_peaks_index, c->max_peaks, human(b->peaks, h1), limit,
                         raise);
    if (b->spectra > big)
        return msiz_fail(MSIZ_E_LIMIT,
                         "%s: %" PRIu64 " spectra: their records need %s, over the %s memory "
                         "limit; raise --memory-limit to %s",
                         c->input, c->n_spectra, human(b->spectra, h1), limit, raise);
    return msiz_fail(MSIZ_E_LIMIT,
                     "%s: the conversion needs at least %s (fixed state %s, process baseline "
                     "%s, minimal buffers %s), over the %s memory limit; raise --memory-limit "
                     "to %s",
                     c->input, human(need, h1), human(fixed, h2), human(b->baseline, h3),
                     human(b->buffers, h4), limit, raise);
}

msiz_status msiz_conv_budget_fit(msiz_conv *c)
{
    budget b;
    int t = c->threads > 0 ? c->threads : 1;
    for (;; t--) {
        estimate(c, t, &b);
        if (need_of(&b) <= c->o->memory_limit)
            break;
        if (t == 1)
            return refuse(c, &b);
    }
    if (t < c->threads) {
        if (c->o->threads > 0)
            msiz_warn("%s: %d threads do not fit in the %zu MiB memory limit; using %d", c->input,
                      c->threads, c->o->memory_limit >> 20, t);
        else
            msiz_debug("memory: %d threads fit in the limit (of %d cores)", t, c->threads);
        c->threads = t;
    }
    c->sum->fixed_state_bytes = fixed_of(&b);
    c->buffer_budget = (size_t)(c->o->memory_limit - fixed_of(&b) - b.baseline);
    return MSIZ_OK;
}

size_t msiz_conv_peaks_room(const msiz_conv *c)
{
    budget b;
    estimate(c, c->threads, &b);
    uint64_t need = need_of(&b), limit = c->o->memory_limit;
    uint64_t room = need >= limit ? 0 : (limit - need) / PEAK_BYTES;
    return (size_t)(c->uaxis ? room / 2 : room); /* the union axis holds half the buffers */
}

msiz_status msiz_conv_refuse_spectrum(const msiz_conv *c, uint64_t index, size_t n)
{
    char limit[32], h[32];
    return msiz_fail(MSIZ_E_LIMIT,
                     "%s: spectrum %" PRIu64 " has %zu peaks: its buffers need %s, more than "
                     "the %s memory limit leaves; raise --memory-limit",
                     c->input, index, n, human(sat_mul(n, PEAK_BYTES), h),
                     human(c->o->memory_limit, limit));
}

void msiz_conv_budget_split(msiz_conv *c)
{
    int threads = c->threads;
    budget b;
    estimate(c, threads, &b);
    uint64_t fixed = fixed_of(&b);
    c->sum->fixed_state_bytes = fixed;
    /* msiz_conv_budget_fit checked that the limit holds fixed + baseline + minimal buffers */
    uint64_t rest = c->o->memory_limit - fixed - b.baseline;
    uint64_t per_elem = X_CHUNK_ELEM(threads);
    size_t slot = msiz_batch_slot_bytes(c);
    /* X chunks: a quarter of the rest, never what one batch slot and the transpose's minimum,
     * or the final writes, need; between MIN_X_CHUNK and Thyra's length. The quarter is taken
     * as if there were no --report (its images come out of the pass buffers), so that the
     * report does not change the store's chunks unless the limit is too tight for both. */
    uint64_t other = b.pass > b.final_writes ? b.pass : b.final_writes;
    uint64_t chunk = (rest + b.report) / 4 / per_elem, most = (rest - other) / per_elem;
    chunk = chunk < most ? chunk : most;
    c->chunk_elems = (size_t)(chunk > MAX_X_CHUNK   ? MAX_X_CHUNK
                              : chunk < MIN_X_CHUNK ? MIN_X_CHUNK
                                                    : chunk);
    uint64_t zarr_bytes = (uint64_t)c->chunk_elems * per_elem;
    uint64_t budget_bytes = rest - zarr_bytes;
    /* a batch of spectra takes at most a 16th of what is left (at least one spectrum): the
     * pipeline needs only enough to keep the mapping threads busy, the transpose the rest; and
     * it holds no more than --chunk-size spectra and no more than the input has */
    uint64_t cap = budget_bytes / 16 / slot;
    uint64_t spectra = c->o->chunk_size < c->n_order ? c->o->chunk_size : c->n_order;
    c->batch_cap = cap < 1 || spectra < 1 ? 1 : cap > spectra ? (size_t)spectra : (size_t)cap;
    budget_bytes -= (uint64_t)c->batch_cap * slot;
    c->buffer_budget = (size_t)budget_bytes;
    msiz_debug("memory: limit %zu MiB = fixed state %" PRIu64 " KiB + baseline %" PRIu64
               " KiB (%d threads) + zarr chunks of %zu entries (%" PRIu64
               " KiB) + batches of %zu spectra (%zu KiB) + transpose/union buffers %zu KiB",
               c->o->memory_limit >> 20, fixed >> 10, b.baseline >> 10, threads, c->chunk_elems,
               zarr_bytes >> 10, c->batch_cap, (c->batch_cap * slot) >> 10, c->buffer_budget >> 10);
}
