/* Internals of the converter shared by the files of src/convert. */
#ifndef MSIZ_CONVERT_INTERNAL_H
#define MSIZ_CONVERT_INTERNAL_H

#include <stdint.h>
#include <time.h>

#include "msizarr/axis.h"
#include "msizarr/convert.h"
#include "msizarr/store.h"
#include "common/rss.h"
#include "io/spill.h"
#include "sparse/transpose.h"

/* The smallest plausible m/z value: a thousandth of the lightest ion (H+, 1.007). A finite m/z
 * below it (zero, negative, subnormal, 1e-236 from a corrupted byte) is bad input with an
 * error naming the spectrum, never the start of a mass axis (docs/robustness.md). */
#define MSIZ_MZ_FLOOR 1e-3

/* Peaks the filter dropped: non-finite m/z, non-finite intensity (edge-cases.md #35). */
typedef struct msiz_filter_counts {
    uint64_t mz, intensity;
} msiz_filter_counts;

/* Everything the passes share. Per-spectrum state is 16 bytes (key + order), per-pixel state 9
 * bytes (TIC + occupancy bit), per-bin state about 50 bytes (axis, lookup, workspace, average,
 * column counts); see docs/memory.md. */
typedef struct msiz_conv {
    const msiz_convert_opts *o;
    /* progress throttling (convert_progress.c): the pass of the last delivered event */
    const char *tick_pass;
    int tick_plane;
    uint64_t tick_checked; /* done at the last clock reading */
    double tick_last;      /* seconds into the pass of the last delivered event */
    const char *input, *output;
    msiz_source *src;
    const msiz_source_info *info;
    msiz_convert_summary *sum;
    struct timespec t0;

    /* scan pass */
    uint64_t n_spectra;
    int64_t *key;    /* per spectrum: z*n_x*n_y + y*n_x + x, or -1 when skipped */
    uint64_t *order; /* spectrum indices with key >= 0, sorted by key */
    uint64_t n_order;
    int32_t n_x, n_y, n_z, z_min;
    int has_data_range;
    double data_mz_min, data_mz_max;
    size_t max_peaks;
    uint64_t max_peaks_index; /* the spectrum holding max_peaks */
    uint64_t peaks_bound;     /* peaks of the spectra placed on the grid (upper bounds) */
    uint64_t nonempty;        /* spectra read with at least one peak (in grid) */
    double pixel_size;
    int pixel_size_manual;

    /* mass axis and resampling */
    msiz_resample_plan plan;
    double *axis;
    uint64_t n_bins;
    msiz_binner *binner; /* nearest neighbour or raw; NULL for tic_preserving */
    int tic_preserving;
    msiz_union_axis *uaxis;    /* no resampling, processed data: the exact m/z union */
    double keep_min, keep_max; /* peaks kept: the range the axis was built on */
    msiz_bin_stats bin_stats;
    msiz_filter_counts dropped;
    uint64_t first_drop; /* lowest index of a spectrum that lost peaks (UINT64_MAX: none) */
    uint64_t unsorted_spectra;

    /* bin pass buffers */
    msiz_spectrum sp; /* scan pass and the continuous axis */
    int32_t *idx32;   /* CSR column ids of one row */
    size_t out_cap;   /* entries one mapped spectrum may produce */
    int threads;      /* binning and compression threads */
    size_t batch_cap; /* spectra per batch (--chunk-size, bounded by memory) */

    /* per output plane */
    double *tic;       /* n_x*n_y (per plane) or n_x*n_y*n_z (volume) */
    double *average;   /* n_bins */
    int64_t *row_keys; /* rows of the current table in grid order */
    uint64_t n_rows, rows_cap;
    uint64_t plane_spectra;

    /* regions (Bruker, docs/bruker.md "Conversion"): a region map exists when the source lists
     * more than one region (format_specific.regions); then every row records its region and
     * each region has its own sum of the average spectrum: 8 * n_regions * n_bins bytes. */
    int32_t *region_ids;   /* ascending: the regions this conversion stores */
    size_t n_regions;      /* 0: no region map */
    int32_t *row_region;   /* per row, next to row_keys */
    size_t region_cap;     /* capacity of row_region */
    double *region_sum;    /* n_regions x n_bins */
    uint64_t *region_rows; /* rows per region */

    /* output */
    msiz_spill *spill; /* the run's spill folder (--temp-dir): union axis and transpose */
    msiz_store *store;
    struct msiz_report *report; /* --report: the QC page (NULL: none) */
    size_t buffer_budget;       /* bytes for the transpose (and zarr chunk buffers) */
    size_t chunk_elems;
} msiz_conv;

/* convert_opts.c: today's defaults into a current-layout struct (struct sizes set). */
void msiz_conv_opts_defaults(msiz_convert_opts *o);

/* convert_layout.c: copies the caller's options (NULL: none), whatever release's layout they
 * have, into `out` (current layout; defaults for what the caller's release lacks). MSIZ_E_ARG
 * when the struct sizes match no layout. */
msiz_status msiz_conv_opts_load(msiz_convert_opts *out, const msiz_convert_opts *in);
/* MSIZ_OK for NULL or a summary whose struct_size is some release's; else MSIZ_E_ARG. */
msiz_status msiz_conv_summary_check(const msiz_convert_summary *summary);

/* convert_output.c: refuses, before the input is read, an output that may not be written or
 * replaced (edge-cases.md #80), then opens the QC report (whose page may not replace what the
 * run reads either). */
msiz_status msiz_conv_check_output(msiz_conv *c);

/* convert_scan.c: the grid the source states (n_x, n_y, n_z, n_spectra). */
msiz_status msiz_conv_grid(msiz_conv *c);
/* convert_scan.c: coordinates, data range, duplicates, order. */
msiz_status msiz_conv_scan(msiz_conv *c);

/* convert_budget.c: the memory plan (docs/memory.md). Checks that the fixed state known so far
 * (grid, spectra, rows, bins, longest spectrum), the process baseline and the minimal buffers
 * fit in the memory limit, with c->threads or fewer (lowering c->threads); else MSIZ_E_LIMIT
 * naming the cause, the numbers and the way out. Sets c->buffer_budget to what is left. */
msiz_status msiz_conv_budget_fit(msiz_conv *c);
/* Peaks one spectrum may have on top of the fixed state (the scan pass checks before reading). */
size_t msiz_conv_peaks_room(const msiz_conv *c);
msiz_status msiz_conv_refuse_spectrum(const msiz_conv *c, uint64_t index, size_t n);
/* Divides what the limit leaves after the fixed state: zarr chunks, batches, transpose. */
void msiz_conv_budget_split(msiz_conv *c);

/* convert_plan.c: resampling plan, axis, binner / TIC resampler / union axis. */
msiz_status msiz_conv_plan(msiz_conv *c);
void msiz_conv_plan_free(msiz_conv *c);
/* Starts the union axis before the scan when the output keeps the raw m/z values. */
msiz_status msiz_conv_union_begin(msiz_conv *c);
/* Adds c->sp's kept m/z values (threshold applied) to the union. */
msiz_status msiz_conv_union_add(msiz_conv *c);
/* Drops peaks with a non-finite m/z or intensity (counted in *n) and peaks below the intensity
 * threshold from sp; fails on an implausible m/z (below MSIZ_MZ_FLOOR). */
msiz_status msiz_conv_filter(const msiz_conv *c, msiz_spectrum *sp, msiz_filter_counts *n);
/* Fails naming spectrum sp's peak i, whose m/z is below MSIZ_MZ_FLOOR. */
msiz_status msiz_conv_implausible_mz(const msiz_conv *c, const msiz_spectrum *sp, size_t i);

/* Mapping state of one thread: its own binner workspace or TIC resampler, and counters. */
typedef struct msiz_mapper {
    msiz_bin_workspace *ws;
    msiz_tic_resampler *tic;
    msiz_bin_stats stats;
    msiz_filter_counts dropped;
    uint64_t first_drop; /* lowest spectrum index with dropped peaks, or UINT64_MAX */
    uint64_t unsorted;   /* spectra whose m/z values are not ascending */
} msiz_mapper;

msiz_status msiz_mapper_init(const msiz_conv *c, msiz_mapper *m);
/* Adds the counters to c and frees the mapper. */
void msiz_mapper_release(msiz_conv *c, msiz_mapper *m);
/* Filters sp and maps it onto the axis: *n sorted bins in idx/val (c->out_cap entries). */
msiz_status msiz_mapper_map(const msiz_conv *c, msiz_mapper *m, msiz_spectrum *sp, uint32_t *idx,
                            double *val, size_t *n);

/* convert_batch.c: the bin pass's pipeline. Spectra are read on the calling thread and mapped
 * by a pool of `threads` mapping threads; two halves of the batch alternate, so that reading
 * the next half and emitting the previous one overlap the mapping of the current one. */
typedef struct msiz_batch_slot {
    msiz_spectrum sp;
    uint32_t *idx;
    double *val;
    size_t n;   /* stored entries */
    double tic; /* numpy's pairwise sum of val (Thyra's TIC), computed by the mapping thread */
} msiz_batch_slot;

typedef struct msiz_map_pool msiz_map_pool;

typedef struct msiz_batch {
    size_t cap;             /* slots per half */
    int halves;             /* 2: pipelined; 1: one thread, or a one-spectrum budget */
    msiz_batch_slot *slots; /* halves * cap */
    msiz_map_pool *pool;
    void *args;
    int pool_ready;
} msiz_batch;

/* Receives slots[0..n) mapped, the spectra first .. first+n-1 of the pass, in order. */
typedef msiz_status (*msiz_batch_emit_fn)(void *ctx, msiz_batch_slot *slots, size_t n,
                                          uint64_t first);

/* Bytes one slot needs (spectrum arrays and mapped entries). */
size_t msiz_batch_slot_bytes(const msiz_conv *c);
/* cap: slots in all (both halves together), so the memory is that of cap slots. */
msiz_status msiz_batch_init(msiz_conv *c, msiz_batch *b, size_t cap);
void msiz_batch_release(msiz_conv *c, msiz_batch *b);
/* Reads spectra[0..total), maps them and hands them to emit in order, a half at a time. */
msiz_status msiz_batch_pass(msiz_conv *c, msiz_batch *b, const uint64_t *spectra, uint64_t total,
                            msiz_batch_emit_fn emit, void *ctx);

/* convert_table.c: one table (and its image and shapes) for spectra order[lo..hi). */
msiz_status msiz_conv_write_plane(msiz_conv *c, int plane, uint64_t lo, uint64_t hi);

/* convert_meta.c: JSON texts for root attributes and uns. Caller frees with free(). */
char *msiz_conv_root_attrs_json(const msiz_conv *c);
char *msiz_conv_uns_json(const msiz_conv *c, uint64_t n_rows);
/* Reads the region list of the source metadata into c->region_ids (none for < 2 regions). */
msiz_status msiz_conv_regions(msiz_conv *c);

/* convert_report.c: the QC report (no-ops without --report). open: checks the page's path
 * against the store and `inputs`, the paths the run reads, and starts collecting warnings; table:
 * after the bin pass (average divided); column: CSC columns as the transpose emits them; readback:
 * CSR, one read of the finished table's X; write: the summary and the page (before the store is
 * finished); commit: after it. */
msiz_status msiz_conv_report_open(msiz_conv *c, const char *const *inputs, size_t n_inputs);
msiz_status msiz_conv_report_table(msiz_conv *c, const char *name, int index);
void msiz_conv_report_column(msiz_conv *c, uint64_t col, const int32_t *rows, const double *vals,
                             size_t n);
msiz_status msiz_conv_report_readback(msiz_conv *c, const char *table);
msiz_status msiz_conv_report_table_end(msiz_conv *c);
msiz_status msiz_conv_report_write(msiz_conv *c);
msiz_status msiz_conv_report_commit(msiz_conv *c);
void msiz_conv_report_close(msiz_conv *c);
/* Bytes the report holds per table (0 without --report). */
size_t msiz_conv_report_bytes(const msiz_conv *c);

/* convert.c: progress and cancellation (called every spectrum; cheap). */
msiz_status msiz_conv_tick(msiz_conv *c, const char *pass, int plane, uint64_t done, uint64_t total,
                           struct timespec *pass_start, int force);

#endif
