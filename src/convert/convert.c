/* msiz_convert: option checks, the memory budget, and the order of the passes. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/error.h"
#include "common/log.h"
#include "io/fs.h"
#include "convert/convert_internal.h"

static msiz_status pick_pixel_size(msiz_conv *c)
{
    if (c->o->has_pixel_size) {
        c->pixel_size = c->o->pixel_size_um;
        c->pixel_size_manual = 1;
        return MSIZ_OK;
    }
    if (!c->info->has_pixel_size || !(c->info->pixel_size_x_um > 0))
        return msiz_fail(MSIZ_E_FORMAT,
                         "%s: pixel size not found in metadata; give it with --pixel-size",
                         c->input);
    c->pixel_size = c->info->pixel_size_x_um;
    return MSIZ_OK;
}

static int worker_threads(const msiz_convert_opts *o)
{
    if (o->threads > 0)
        return o->threads;
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)(n > 16 ? 16 : n) : 1;
}

static msiz_status open_store(msiz_conv *c)
{
    msiz_store_opts so;
    msiz_store_opts_init(&so);
    so.zarr_format = c->o->zarr_format;
    so.compression = c->o->compression;
    so.shapes_codec = c->o->shapes_codec;
    so.threads = c->threads;
    so.overwrite = c->o->overwrite;
    so.chunk_elems = c->chunk_elems;
    so.cancel = c->o->cancel; /* the final writes stop too (issue 13 item 4) */
    return msiz_store_create(c->output, &so, &c->store);
}

static msiz_status write_planes(msiz_conv *c)
{
    if (c->n_z == 1 || c->o->handle_3d)
        return msiz_conv_write_plane(c, c->o->handle_3d && c->n_z > 1 ? -1 : 0, 0, c->n_order);
    int64_t plane_cells = (int64_t)c->n_x * c->n_y;
    uint64_t lo = 0;
    while (lo < c->n_order) {
        int64_t z = c->key[c->order[lo]] / plane_cells;
        uint64_t hi = lo;
        while (hi < c->n_order && c->key[c->order[hi]] / plane_cells == z)
            hi++;
        msiz_status status = msiz_conv_write_plane(c, (int)z, lo, hi);
        if (status < 0)
            return status;
        lo = hi;
    }
    return MSIZ_OK;
}

static msiz_status finish_store(msiz_conv *c)
{
    char *root = msiz_conv_root_attrs_json(c);
    if (!root)
        return msiz_fail(MSIZ_E_NOMEM, "out of memory");
    msiz_status status = msiz_store_set_root_attrs_json(c->store, root);
    free(root);
    if (status == MSIZ_OK && c->o->cancel && *c->o->cancel) /* last chance before the rename */
        status = msiz_fail(MSIZ_E_INTERRUPTED, "%s: conversion interrupted", c->input);
    msiz_store *s = c->store;
    c->store = NULL;
    if (status < 0) {
        msiz_store_abort(s);
        return status;
    }
    return msiz_store_finish(s);
}

static void report_drops(const msiz_conv *c)
{
    const msiz_bin_stats *b = &c->bin_stats;
    c->sum->peaks_out_of_range = b->out_of_range;
    if (b->out_of_range && c->o->resample)
        msiz_warn("%s: %llu peaks outside the requested m/z range %.6f-%.6f were dropped, from "
                  "%llu spectra (the first is spectrum %llu)",
                  c->input, (unsigned long long)b->out_of_range, c->keep_min, c->keep_max,
                  (unsigned long long)b->spectra_with_drops, (unsigned long long)c->first_drop);
    else if (b->out_of_range)
        msiz_warn("%s: %llu peaks match no value of the raw m/z axis and were dropped, from %llu "
                  "spectra (the first is spectrum %llu)",
                  c->input, (unsigned long long)b->out_of_range,
                  (unsigned long long)b->spectra_with_drops, (unsigned long long)c->first_drop);
    if (c->unsorted_spectra)
        msiz_warn("%s: %llu spectra have m/z values out of ascending order; binned all the same "
                  "(collisions summed in file order)",
                  c->input, (unsigned long long)c->unsorted_spectra);
    uint64_t bad_mz = b->nan_mz + c->dropped.mz;
    if (bad_mz || c->dropped.intensity)
        msiz_warn("%s: %llu peaks with NaN/Inf m/z and %llu with NaN/Inf intensity were dropped",
                  c->input, (unsigned long long)bad_mz, (unsigned long long)c->dropped.intensity);
}

static msiz_status allocate_planes(msiz_conv *c)
{
    uint64_t cells = (uint64_t)c->n_x * c->n_y * c->n_z;
    c->tic = msiz_malloc((size_t)cells * sizeof *c->tic);
    c->average = msiz_malloc((size_t)(c->n_bins ? c->n_bins : 1) * sizeof *c->average);
    if (!c->tic || !c->average)
        return msiz_fail(MSIZ_E_NOMEM, "out of memory for the TIC image and average spectrum");
    if (c->n_regions == 0)
        return MSIZ_OK;
    if (c->n_bins > SIZE_MAX / sizeof(double) / c->n_regions)
        return msiz_fail(MSIZ_E_LIMIT, "%zu regions x %llu bins: too many per-region averages",
                         c->n_regions, (unsigned long long)c->n_bins);
    c->region_sum = msiz_malloc(c->n_regions * (size_t)c->n_bins * sizeof *c->region_sum);
    c->region_rows = msiz_malloc(c->n_regions * sizeof *c->region_rows);
    if (!c->region_sum || !c->region_rows)
        return msiz_fail(MSIZ_E_NOMEM, "out of memory for %zu per-region average spectra",
                         c->n_regions);
    return MSIZ_OK;
}

static msiz_status run(msiz_conv *c)
{
    msiz_status status = MSIZ_OK;
    c->threads = worker_threads(c->o);
    /* the store's and the report's paths, refused before the input is read (both are checked
     * again just before they are renamed into place); opens the report */
    MSIZ_TRY(msiz_conv_check_output(c));
    MSIZ_TRY(msiz_spill_new(c->o->temp_dir, &c->spill));
    msiz_source_opts so = c->o->source;
    if (!so.cancel)
        so.cancel = c->o->cancel; /* Ctrl-C also stops the header parse and metadata queries */
    MSIZ_TRY(msiz_source_open(c->input, &so, &c->src));
    c->info = msiz_source_get_info(c->src);
    MSIZ_TRY(pick_pixel_size(c));
    MSIZ_TRY(msiz_conv_grid(c));
    MSIZ_TRY(msiz_conv_regions(c));
    MSIZ_TRY(msiz_conv_budget_fit(c)); /* the grid and the spectra, before the scan allocates */
    MSIZ_TRY(msiz_conv_union_begin(c));
    MSIZ_TRY(msiz_conv_scan(c));
    MSIZ_TRY(msiz_conv_plan(c)); /* fits the bins in the budget before the axis exists */
    MSIZ_TRY(allocate_planes(c));
    msiz_conv_budget_split(c);
    MSIZ_TRY(open_store(c));
    MSIZ_TRY(write_planes(c));
    c->nonempty = c->sum->spectra_read;
    report_drops(c);
    MSIZ_TRY(msiz_conv_report_write(c));
    MSIZ_TRY(finish_store(c));
    MSIZ_TRY(msiz_conv_report_commit(c)); /* the page follows the store into place */
cleanup:
    if (status == MSIZ_E_INTERRUPTED && !strstr(msiz_last_error(), c->input))
        msiz_fail_context(status, "%s: conversion", c->input); /* the store's name no input */
    return status;
}

static void release(msiz_conv *c)
{
    msiz_conv_report_close(c);
    msiz_store_abort(c->store);
    msiz_conv_plan_free(c);
    msiz_spectrum_destroy(&c->sp);
    msiz_source_close(c->src);
    msiz_free(c->key);
    msiz_free(c->order);
    msiz_free(c->tic);
    msiz_free(c->average);
    msiz_free(c->row_keys);
    msiz_free(c->region_ids);
    msiz_free(c->row_region);
    msiz_free(c->region_sum);
    msiz_free(c->region_rows);
    msiz_spill_free(c->spill); /* after everything that spills */
}

msiz_status msiz_convert(const char *input, const char *output, const msiz_convert_opts *opts,
                         msiz_convert_summary *summary)
{
    /* The caller's structs may come from an older release's headers: work on current-layout
     * copies and hand back only the summary members the caller's release has. */
    msiz_convert_summary sum;
    msiz_convert_opts full;
    msiz_conv c;
    memset(&c, 0, sizeof c);
    memset(&sum, 0, sizeof sum);
    msiz_status status = msiz_conv_summary_check(summary);
    if (status < 0)
        return status;
    if (!input || !output)
        return msiz_fail(MSIZ_E_ARG, "convert: input and output paths are required");
    status = msiz_conv_opts_load(&full, opts);
    if (status < 0)
        return status;
    status = msiz_convert_opts_check(&full);
    if (status < 0)
        return status;
    c.o = &full;
    c.input = input;
    c.output = output;
    c.sum = &sum;
    c.first_drop = UINT64_MAX;
    clock_gettime(CLOCK_MONOTONIC, &c.t0);
    msiz_spectrum_init(&c.sp);
    status = run(&c);
    sum.bins = c.n_bins;
    sum.n_x = c.n_x;
    sum.n_y = c.n_y;
    sum.n_z = c.n_z;
    release(&c);
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    sum.seconds = (double)(t1.tv_sec - c.t0.tv_sec) + (double)(t1.tv_nsec - c.t0.tv_nsec) * 1e-9;
    sum.peak_rss_bytes = msiz_rss_peak();
    if (summary) {
        sum.struct_size = summary->struct_size;
        memcpy(summary, &sum, summary->struct_size);
    }
    return status;
}
