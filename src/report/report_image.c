/* QC report: how a grid is shown (block means down, nearest-neighbour zoom up), the colour
 * scale of an image, and its PNG in viridis with grey where no spectrum was stored. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/error.h"
#include "report/report_internal.h"

void msiz_view_plan(int32_t n_x, int32_t n_y, int32_t max_side, int32_t min_side, msiz_view *v)
{
    int32_t longer = n_x > n_y ? n_x : n_y;
    if (longer < 1)
        longer = 1;
    v->n_x = n_x;
    v->n_y = n_y;
    v->block = (longer + max_side - 1) / max_side;
    v->w = (n_x + v->block - 1) / v->block;
    v->h = (n_y + v->block - 1) / v->block;
    int32_t cells = v->w > v->h ? v->w : v->h;
    if (cells < 1)
        cells = 1;
    v->zoom = min_side / cells;
    if (v->zoom * cells > max_side)
        v->zoom = max_side / cells;
    if (v->zoom < 1)
        v->zoom = 1;
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

msiz_status msiz_scale_of(const msiz_view_acc *a, msiz_scale *s)
{
    size_t cells = (size_t)a->v.w * (size_t)a->v.h, n = 0;
    double *vals = msiz_malloc((cells ? cells : 1) * sizeof *vals);
    if (!vals)
        return msiz_fail(MSIZ_E_NOMEM, "report: out of memory for the colour scale");
    for (size_t i = 0; i < cells; i++)
        if (a->count[i] > 0 && isfinite(a->sum[i]))
            vals[n++] = a->sum[i] / a->count[i];
    memset(s, 0, sizeof *s);
    s->shown = n;
    if (n > 0) {
        qsort(vals, n, sizeof *vals, compare_doubles);
        size_t rank = (size_t)ceil(0.99 * (double)n); /* nearest rank, 1-based */
        s->max = vals[n - 1];
        s->vmin = vals[0] < 0 ? vals[0] : 0;
        s->vmax = vals[rank - 1];
        s->percentile = 99;
        if (!(s->vmax > s->vmin)) {
            s->vmax = s->max;
            s->percentile = 100;
        }
        for (size_t i = rank; i < n; i++)
            s->clipped += vals[i] > s->vmax;
        if (rank == n)
            s->percentile = 100; /* too few pixels for a percentile to differ from the max */
    }
    msiz_free(vals);
    return MSIZ_OK;
}

int msiz_scale_index(const msiz_scale *s, double x)
{
    if (!(s->vmax > s->vmin) || !(x > s->vmin))
        return 0;
    double t = (x - s->vmin) / (s->vmax - s->vmin) * 256.0;
    return t >= 255 ? 255 : (int)t;
}

/* One row of image cells as PNG pixels, each repeated zoom times. */
static void render_row(const msiz_view_acc *a, const msiz_scale *s, int32_t y, unsigned char *row)
{
    const msiz_view *v = &a->v;
    unsigned char *p = row;
    for (int32_t x = 0; x < v->w; x++) {
        size_t i = (size_t)y * (size_t)v->w + (size_t)x;
        unsigned char rgb[3] = {MSIZ_REPORT_GREY, MSIZ_REPORT_GREY, MSIZ_REPORT_GREY};
        if (a->count[i] > 0)
            memcpy(rgb, msiz_viridis[msiz_scale_index(s, a->sum[i] / a->count[i])], 3);
        for (int32_t k = 0; k < v->zoom; k++, p += 3)
            memcpy(p, rgb, 3);
    }
}

msiz_status msiz_view_png(const msiz_view_acc *a, const msiz_scale *s, msiz_text *out)
{
    const msiz_view *v = &a->v;
    size_t width = (size_t)v->w * (size_t)v->zoom, height = (size_t)v->h * (size_t)v->zoom;
    size_t stride = width * 3;
    if (width > UINT32_MAX || height > UINT32_MAX || height > SIZE_MAX / stride)
        return msiz_fail(MSIZ_E_LIMIT, "report: image of %zu x %zu pixels", width, height);
    /* the whole image: at most max_side^2 pixels by construction of the view */
    unsigned char *rgb = msiz_malloc(stride * (height ? height : 1));
    if (!rgb)
        return msiz_fail(MSIZ_E_NOMEM, "report: out of memory for a %zu x %zu image", width,
                         height);
    for (int32_t y = 0; y < v->h; y++) {
        unsigned char *row = rgb + (size_t)y * (size_t)v->zoom * stride;
        render_row(a, s, y, row);
        for (int32_t k = 1; k < v->zoom; k++)
            memcpy(row + (size_t)k * stride, row, stride);
    }
    msiz_status status = msiz_png_rgb(rgb, (uint32_t)width, (uint32_t)height, stride, out);
    msiz_free(rgb);
    return status;
}

msiz_status msiz_colorbar_png(msiz_text *out)
{
    return msiz_png_rgb(&msiz_viridis[0][0], 256, 1, 256 * 3, out);
}
