/* QC report: the section of one table — TIC image per plane, average spectrum with its top
 * peaks, an ion image per peak — as HTML with the images embedded as PNG data URIs. Every image
 * carries data-* attributes (view and colour scale) so that a test can map its pixels back to
 * the grid. */
#include <math.h>
#include <string.h>

#include "common/alloc.h"
#include "common/error.h"
#include "report/report_handle.h"

typedef struct figure {
    const char *kind;  /* "tic" or "ion" */
    const char *title; /* plain text */
    const char *note;  /* plain text under the scale, or NULL */
    int z, rank;       /* TIC: plane; ion: 1-based rank */
    uint64_t bin;
    double mz;
} figure;

static void scale_bar(const msiz_view *v, double pixel_size, msiz_text *t)
{
    if (!(pixel_size > 0))
        return;
    double width_um = (double)v->w * v->block * pixel_size;
    double bar = msiz_nice_floor(width_um * 0.25 * 1.000001);
    char label[64];
    msiz_fmt_length_um(label, sizeof label, bar);
    msiz_text_printf(t, "<div class=\"scalebar\"><span style=\"width:%.3f%%\"></span>%s</div>\n",
                     bar / width_um * 100, label);
}

static void scale_text(const msiz_scale *s, msiz_text *t)
{
    char lo[32], hi[32], max[32];
    msiz_fmt_num(lo, sizeof lo, s->vmin, 3);
    msiz_fmt_num(hi, sizeof hi, s->vmax, 3);
    msiz_fmt_num(max, sizeof max, s->max, 3);
    msiz_text_printf(t,
                     "<div class=\"cbar\"></div><div class=\"cbar-labels\"><span>%s</span>"
                     "<span>%s</span></div>\n<p>linear scale %s &ndash; %s (",
                     lo, hi, lo, hi);
    if (s->percentile == 100)
        msiz_text_printf(t, "the maximum of %llu pixels)", (unsigned long long)s->shown);
    else
        msiz_text_printf(t,
                         "99th percentile of %llu pixels; %llu brighter, up to %s, in the top "
                         "colour)",
                         (unsigned long long)s->shown, (unsigned long long)s->clipped, max);
}

static void resolution_text(const msiz_view_acc *a, msiz_text *t)
{
    const msiz_view *v = &a->v;
    size_t cells = (size_t)v->w * (size_t)v->h, grey = 0;
    for (size_t i = 0; i < cells; i++)
        grey += a->count[i] == 0;
    if (v->block > 1)
        msiz_text_printf(t,
                         "; downsampled: each image pixel is the mean of the stored pixels "
                         "among %d &times; %d",
                         v->block, v->block);
    else if (v->zoom > 1)
        msiz_text_printf(t, "; each pixel drawn as %d &times; %d screen pixels", v->zoom, v->zoom);
    if (grey)
        msiz_text_put(t, "; grey: no spectrum");
    msiz_text_put(t, ".</p>\n");
}

/* One image with its scale bar, colour bar and caption. */
static msiz_status figure_html(msiz_report *r, const msiz_view_acc *a, const figure *f)
{
    msiz_text *t = &r->section;
    msiz_scale s;
    msiz_status status = msiz_scale_of(a, &s);
    if (status < 0)
        return status;
    const msiz_view *v = &a->v;
    msiz_text_printf(t, "<figure class=\"img %s\" style=\"width:%dpx\"><figcaption>", f->kind,
                     v->w * v->zoom);
    msiz_text_escape(t, f->title);
    msiz_text_printf(t,
                     "</figcaption>\n<img alt=\"%s\" width=\"%d\" height=\"%d\" data-kind=\"%s\" "
                     "data-table=\"",
                     f->kind, v->w * v->zoom, v->h * v->zoom, f->kind);
    msiz_text_escape(t, r->t.name);
    msiz_text_printf(t,
                     "\" data-block=\"%d\" data-zoom=\"%d\" data-vmin=\"%.17g\" "
                     "data-vmax=\"%.17g\"",
                     v->block, v->zoom, s.vmin, s.vmax);
    if (f->rank)
        msiz_text_printf(t, " data-rank=\"%d\" data-bin=\"%llu\" data-mz=\"%.17g\"", f->rank,
                         (unsigned long long)f->bin, f->mz);
    else
        msiz_text_printf(t, " data-z=\"%d\"", f->z);
    msiz_text_put(t, " src=\"data:image/png;base64,");
    msiz_text png = {0};
    status = msiz_view_png(a, &s, &png);
    if (status == MSIZ_OK) {
        msiz_text_base64(t, (const unsigned char *)png.data, png.len);
        msiz_text_put(t, "\">\n");
        scale_bar(v, r->t.pixel_size_um, t);
        scale_text(&s, t);
        resolution_text(a, t);
        if (f->note) {
            msiz_text_put(t, "<p>");
            msiz_text_escape(t, f->note);
            msiz_text_put(t, "</p>\n");
        }
        msiz_text_put(t, "</figure>\n");
    }
    msiz_text_free(&png);
    return status < 0 ? status : msiz_text_status(t);
}

/* The TIC image of plane z (the stored rows' TIC values, block means). */
static msiz_status tic_figure(msiz_report *r, int32_t z)
{
    msiz_view_acc a = {0};
    msiz_view_plan(r->t.n_x, r->t.n_y, MSIZ_REPORT_TIC_MAX, MSIZ_REPORT_TIC_MIN, &a.v);
    size_t cells = (size_t)a.v.w * (size_t)a.v.h;
    uint64_t plane = (uint64_t)r->t.n_x * (uint64_t)r->t.n_y;
    a.sum = msiz_calloc(cells, sizeof *a.sum);
    a.count = msiz_calloc(cells, sizeof *a.count);
    msiz_status status = MSIZ_OK;
    MSIZ_FAIL_IF(!a.sum || !a.count, MSIZ_E_NOMEM, "report: out of memory for a TIC image");
    for (uint64_t i = 0; i < r->t.n_rows; i++) {
        uint64_t cell = (uint64_t)r->t.cells[i];
        if (cell / plane != (uint64_t)z)
            continue;
        size_t k = msiz_view_cell(&a.v, (int32_t)(cell % plane % (uint64_t)r->t.n_x),
                                  (int32_t)(cell % plane / (uint64_t)r->t.n_x));
        a.sum[k] += r->t.tic[cell];
        a.count[k]++;
    }
    char title[128], um[64] = "pixel size unknown";
    if (r->t.pixel_size_um > 0)
        msiz_fmt_length_um(um, sizeof um, r->t.pixel_size_um);
    if (r->t.n_z > 1)
        snprintf(title, sizeof title, "TIC, z = %d: %d x %d pixels of %s", r->t.z_first + z,
                 r->t.n_x, r->t.n_y, um);
    else
        snprintf(title, sizeof title, "TIC: %d x %d pixels of %s", r->t.n_x, r->t.n_y, um);
    figure f = {.kind = "tic", .title = title, .z = r->t.z_first + z};
    status = figure_html(r, &a, &f);
cleanup:
    msiz_free(a.sum);
    msiz_free(a.count);
    return status;
}

/* "bin 123, width 5.00 mDa (5.6 ppm)" */
static void bin_text(const msiz_report *r, uint64_t bin, char *out, size_t size)
{
    if (r->t.exact_mz) {
        snprintf(out, size, "bin %llu: exact m/z (no resampling)", (unsigned long long)bin);
        return;
    }
    double w = msiz_bin_width(r->t.mz, r->t.n_bins, bin), mz = r->t.mz[bin];
    snprintf(out, size, "bin %llu, width %.3g mDa (%.3g ppm)", (unsigned long long)bin, w * 1000,
             mz > 0 ? w / mz * 1e6 : 0.0);
}

static void peaks_table(msiz_report *r)
{
    msiz_text *t = &r->section;
    if (r->n_ions == 0) {
        msiz_text_put(t, "<p>No peak: the average spectrum has no positive local maximum.</p>\n");
        return;
    }
    msiz_text_put(t, "<table class=\"peaks\"><tr><th>#</th><th>m/z</th><th>bin</th>"
                     "<th>mean intensity</th></tr>\n");
    for (size_t k = 0; k < r->n_ions; k++) {
        char bin[128], mean[32];
        uint64_t j = r->ion_bins[k];
        bin_text(r, j, bin, sizeof bin);
        msiz_fmt_num(mean, sizeof mean, r->t.average[j], 4);
        msiz_text_printf(t, "<tr><td>%zu</td><td>%.4f</td><td>%s</td><td>%s</td></tr>\n", k + 1,
                         r->t.mz[j], bin, mean);
    }
    msiz_text_put(t, "</table>\n");
}

static msiz_status spectrum(msiz_report *r)
{
    msiz_text *t = &r->section;
    char first[32], last[32];
    msiz_text_put(t, "<h3>Average spectrum</h3>\n");
    if (r->t.n_bins > 0) {
        snprintf(first, sizeof first, "%.4f", r->t.mz[0]);
        snprintf(last, sizeof last, "%.4f", r->t.mz[r->t.n_bins - 1]);
        msiz_text_printf(t,
                         "<p>uns/average_spectrum: %llu bins, m/z %s &ndash; %s. Marked: the %zu "
                         "highest distinct peaks (local maxima that are the highest point of "
                         "the region around them above half their height).</p>\n",
                         (unsigned long long)r->t.n_bins, first, last, r->n_ions);
    }
    msiz_status status =
        msiz_spectrum_svg(r->t.mz, r->t.average, r->t.n_bins, r->ion_bins, r->n_ions, t);
    if (status == MSIZ_OK)
        peaks_table(r);
    return status;
}

static msiz_status ion_figures(msiz_report *r)
{
    if (r->n_ions == 0)
        return MSIZ_OK;
    msiz_text_printf(&r->section,
                     "<h3>Ion images of the %zu top peaks</h3>\n<p>Each image is one column of "
                     "X (the m/z bin of the peak), scaled on its own.%s</p>\n<div "
                     "class=\"images\">\n",
                     r->n_ions,
                     r->t.n_z > 1 ? " A volume: each image is the mean over its z "
                                    "planes."
                                  : "");
    for (size_t k = 0; k < r->n_ions; k++) {
        char title[96], note[128];
        uint64_t bin = r->ion_bins[k];
        snprintf(title, sizeof title, "#%zu  m/z %.4f", k + 1, r->t.mz[bin]);
        bin_text(r, bin, note, sizeof note);
        figure f = {.kind = "ion",
                    .title = title,
                    .note = note,
                    .rank = (int)k + 1,
                    .bin = bin,
                    .mz = r->t.mz[bin]};
        msiz_status status = figure_html(r, &r->ions[k], &f);
        if (status < 0)
            return status;
    }
    msiz_text_put(&r->section, "</div>\n");
    return msiz_text_status(&r->section);
}

msiz_status msiz_report_render_table(msiz_report *r)
{
    msiz_text *t = &r->section;
    msiz_text_put(t, "<section class=\"table\" id=\"table-");
    msiz_text_escape(t, r->t.name);
    msiz_text_put(t, "\">\n<h2>Table ");
    msiz_text_escape(t, r->t.name);
    msiz_text_printf(t,
                     "</h2>\n<p>%llu pixels with a stored spectrum on a %d &times; %d%s grid, "
                     "%llu m/z bins.</p>\n<h3>Total ion current</h3>\n<div class=\"images\">\n",
                     (unsigned long long)r->t.n_rows, r->t.n_x, r->t.n_y,
                     r->t.n_z > 1 ? " &times; z" : "", (unsigned long long)r->t.n_bins);
    msiz_status status = MSIZ_OK;
    for (int32_t z = 0; z < r->t.n_z && status == MSIZ_OK; z++)
        status = tic_figure(r, z);
    msiz_text_put(t, "</div>\n");
    if (status == MSIZ_OK)
        status = spectrum(r);
    if (status == MSIZ_OK)
        status = ion_figures(r);
    msiz_text_put(t, "</section>\n");
    msiz_text_put(&r->toc, "<li><a href=\"#table-");
    msiz_text_escape(&r->toc, r->t.name);
    msiz_text_put(&r->toc, "\">");
    msiz_text_escape(&r->toc, r->t.name);
    msiz_text_put(&r->toc, "</a></li>\n");
    return status < 0 ? status : msiz_text_status(t);
}
