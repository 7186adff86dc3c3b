/* The converter's side of the QC report (--report): the page's path is checked before any
 * work, warnings are collected as they are raised, each table hands over its TIC image,
 * average spectrum and the X columns of its top peaks as they pass (CSC) or by one read of the
 * just-written X (CSR), and the conversion's facts end up in the summary. The page is written
 * before the store is renamed into place and follows it; the store's bytes do not depend on
 * whether a report is written. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/log.h"
#include "convert/convert_internal.h"
#include "report/report.h"

static void on_log(void *user, msiz_log_level level, const char *message)
{
    (void)level;
    msiz_report_warning(user, message);
}

msiz_status msiz_conv_report_open(msiz_conv *c, const char *const *inputs, size_t n_inputs)
{
    if (!c->o->report)
        return MSIZ_OK;
    msiz_report_config cfg = {.ions = c->o->report_ions,
                              .overwrite = c->o->overwrite,
                              .inputs = inputs,
                              .n_inputs = n_inputs};
    msiz_status status = msiz_report_new(c->o->report, c->output, &cfg, &c->report);
    if (status == MSIZ_OK)
        msiz_log_tap(on_log, c->report);
    return status;
}

void msiz_conv_report_close(msiz_conv *c)
{
    if (!c->report)
        return;
    msiz_log_tap(NULL, NULL);
    msiz_report_free(c->report);
    c->report = NULL;
}

msiz_status msiz_conv_report_table(msiz_conv *c, const char *name, int index)
{
    if (!c->report)
        return MSIZ_OK;
    int volume = index < 0 && c->n_z > 1;
    msiz_report_table t = {.name = name,
                           .n_x = c->n_x,
                           .n_y = c->n_y,
                           .n_z = volume ? c->n_z : 1,
                           .tic = c->tic,
                           .cells = c->row_keys,
                           .n_rows = c->n_rows,
                           .mz = c->axis,
                           .average = c->average,
                           .n_bins = c->n_bins,
                           .pixel_size_um = c->pixel_size,
                           .exact_mz = !c->o->resample};
    return msiz_report_table_begin(c->report, &t);
}

void msiz_conv_report_column(msiz_conv *c, uint64_t col, const int32_t *rows, const double *vals,
                             size_t n)
{
    int slot = c->report ? msiz_report_ion_of(c->report, col) : -1;
    for (size_t i = 0; slot >= 0 && i < n; i++)
        msiz_report_ion_add(c->report, slot, (uint64_t)rows[i], vals[i]);
}

msiz_status msiz_conv_report_readback(msiz_conv *c, const char *table)
{
    if (!c->report || c->o->sparse_format != MSIZ_SPARSE_CSR)
        return MSIZ_OK;
    msiz_status status = msiz_report_ions_from_store(c->report, c->store, table, MSIZ_SPARSE_CSR);
    return status < 0 ? msiz_fail_context(status, "%s: QC report", c->output) : status;
}

size_t msiz_conv_report_bytes(const msiz_conv *c)
{
    return c->o->report ? msiz_report_table_bytes(c->n_x, c->n_y, c->o->report_ions) : 0;
}

msiz_status msiz_conv_report_table_end(msiz_conv *c)
{
    return c->report ? msiz_report_table_end(c->report) : MSIZ_OK;
}

/* ---- the summary ---- */

static const char *format_name(const msiz_source_info *info)
{
    return info->format == MSIZ_FORMAT_IMZML        ? "imzML"
           : info->format == MSIZ_FORMAT_BRUKER_TSF ? "Bruker timsTOF .d (TSF)"
                                                    : "Bruker timsTOF .d (TDF)";
}

static const char *axis_reason(const msiz_resample_plan *p)
{
    if (!p->axis_auto)
        return "set by --mass-axis-type";
    if (strcmp(p->route, "timsTOF") == 0)
        return "automatic: timsTOF data take a reflector-TOF axis (bins uniform in ln m/z)";
    if (strcmp(p->route, "centroid") == 0)
        return "automatic: centroid spectra take a reflector-TOF axis (bins uniform in ln m/z)";
    return "automatic: profile or undeclared spectra take a constant-width axis";
}

static void compression_name(const msiz_compression *comp, char *out, size_t size)
{
    static const char *const names[] = {"zstd", "gzip", "blosc-lz4", "blosc-zstd", "none"};
    const char *name = (unsigned)comp->codec <= MSIZ_CODEC_NONE ? names[comp->codec] : "?";
    if (comp->level == MSIZ_LEVEL_DEFAULT || comp->codec == MSIZ_CODEC_NONE)
        snprintf(out, size, "%s", name);
    else
        snprintf(out, size, "%s level %d", name, comp->level);
}

static void axis_facts(msiz_conv *c, msiz_report *r)
{
    if (!c->o->resample) {
        msiz_report_fact(r, "mass axis", "no resampling: the %llu distinct m/z values of the data",
                         (unsigned long long)c->n_bins);
    } else {
        msiz_report_fact(r, "mass axis", "%s, %llu bins; %s",
                         msiz_axis_type_name(c->plan.axis_type), (unsigned long long)c->n_bins,
                         axis_reason(&c->plan));
        const char *plan = c->sum->plan;
        msiz_report_fact(r, "resampling", "%s",
                         strncmp(plan, "resampling: ", 12) == 0 ? plan + 12 : plan);
    }
    if (c->n_bins > 0)
        msiz_report_fact(r, "m/z range", "%.6f - %.6f (data: %.6f - %.6f)", c->axis[0],
                         c->axis[c->n_bins - 1], c->data_mz_min, c->data_mz_max);
}

/* Pixel size and where it came from (the reader names its source in format_specific). */
static void pixel_fact(msiz_conv *c, msiz_report *r, json_t *meta)
{
    const char *from = json_string_value(
        json_object_get(json_object_get(meta, "format_specific"), "pixel_size_source"));
    if (c->pixel_size_manual)
        msiz_report_fact(r, "pixel size", "%g \xc2\xb5m, given with --pixel-size", c->pixel_size);
    else
        msiz_report_fact(r, "pixel size", "%g \xc2\xb5m, from the input's metadata%s%s%s",
                         c->pixel_size, from ? " (" : "", from ? from : "", from ? ")" : "");
}

static void checks(msiz_report *r, json_t *meta)
{
    json_t *list = json_object_get(json_object_get(meta, "format_specific"), "checks");
    size_t i;
    json_t *check;
    json_array_foreach(list, i, check)
    {
        msiz_report_check(r, json_string_value(json_object_get(check, "status")),
                          json_string_value(json_object_get(check, "name")),
                          json_string_value(json_object_get(check, "detail")));
    }
}

static void resource_facts(msiz_conv *c, msiz_report *r)
{
    char limit[32], peak[32], fixed[32], spilled[32];
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    msiz_fmt_bytes(limit, sizeof limit, c->o->memory_limit);
    msiz_fmt_bytes(peak, sizeof peak, msiz_rss_peak());
    msiz_fmt_bytes(fixed, sizeof fixed, c->sum->fixed_state_bytes);
    msiz_fmt_bytes(spilled, sizeof spilled, c->sum->spilled_bytes);
    msiz_report_fact(r, "memory", "limit %s, peak resident %s (per-pixel and per-bin state %s)",
                     limit, peak, fixed);
    msiz_report_fact(r, "spilled to disk", "%s", spilled);
    msiz_report_fact(r, "threads", "%d", c->threads);
    msiz_report_fact(r, "time", "%.2f s (up to writing this report)",
                     (double)(now.tv_sec - c->t0.tv_sec) +
                         (double)(now.tv_nsec - c->t0.tv_nsec) * 1e-9);
}

static void summary(msiz_conv *c, msiz_report *r, json_t *meta)
{
    const char *mode =
        json_string_value(json_object_get(json_object_get(meta, "format_specific"), "file_mode"));
    const msiz_convert_summary *s = c->sum;
    char comp[48];
    compression_name(&c->o->compression, comp, sizeof comp);
    msiz_report_fact(r, "input", "%s", c->input);
    msiz_report_fact(r, "format", "%s%s%s%s", format_name(c->info), mode ? ", " : "",
                     mode ? mode : "", c->info->continuous ? " (one shared m/z array)" : "");
    msiz_report_fact(r, "output", "%s (Zarr v%d, %s, X as %s)", c->output, c->o->zarr_format, comp,
                     c->o->sparse_format == MSIZ_SPARSE_CSR ? "CSR" : "CSC");
    msiz_report_fact(r, "grid", "%d x %d x %d (%d table%s)", c->n_x, c->n_y, c->n_z, s->planes,
                     s->planes == 1 ? "" : "s");
    msiz_report_fact(r, "pixels",
                     "%llu with a stored spectrum of %llu grid cells; %llu "
                     "spectra read",
                     (unsigned long long)s->pixels,
                     (unsigned long long)c->n_x * (unsigned long long)c->n_y * (unsigned)c->n_z,
                     (unsigned long long)s->spectra_read);
    msiz_report_fact(r, "bins", "%llu", (unsigned long long)c->n_bins);
    msiz_report_fact(r, "non-zeros", "%llu (%.3g%% of pixels x bins)", (unsigned long long)s->nnz,
                     s->pixels && c->n_bins
                         ? 100.0 * (double)s->nnz / ((double)s->pixels * (double)c->n_bins)
                         : 0.0);
    axis_facts(c, r);
    pixel_fact(c, r, meta);
    resource_facts(c, r);
}

msiz_status msiz_conv_report_write(msiz_conv *c)
{
    if (!c->report)
        return MSIZ_OK;
    msiz_report *r = c->report;
    /* both texts were written by msizarr: a NULL on the way is out of memory, not a page
     * without the summary or the root attributes */
    json_t *meta = json_loads(c->info->metadata_json ? c->info->metadata_json : "{}", 0, NULL);
    char *root = meta ? msiz_conv_root_attrs_json(c) : NULL;
    json_t *pretty_root = root ? json_loads(root, 0, NULL) : NULL;
    char *text = pretty_root ? json_dumps(pretty_root, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
                                                           JSON_REAL_PRECISION(17))
                             : NULL;
    msiz_status status =
        text ? MSIZ_OK : msiz_fail(MSIZ_E_NOMEM, "%s: out of memory for the report", c->input);
    if (text) {
        summary(c, r, meta);
        checks(r, meta);
        msiz_report_metadata(r, "Root attributes of the store", text);
    }
    free(text);
    free(root);
    json_decref(pretty_root);
    json_decref(meta);
    msiz_log_tap(NULL, NULL); /* the warnings end here */
    return status < 0 ? status : msiz_report_write(r);
}

msiz_status msiz_conv_report_commit(msiz_conv *c)
{
    return c->report ? msiz_report_commit(c->report) : MSIZ_OK;
}
