/* QC report: the average spectrum as an SVG line plot. One pixel column of the plot keeps the
 * first, lowest, highest and last point of the bins it covers (the M4 reduction), so a
 * spectrum of 10^6 bins draws as a few thousand points and every peak keeps its height. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "common/error.h"
#include "report/report_internal.h"

enum { W = 960, H = 320, ML = 76, MR = 18, MT = 22, MB = 50, PW = W - ML - MR, PH = H - MT - MB };

typedef struct frame {
    double x0, x1, y0, y1;
} frame;

static double px(const frame *f, double x)
{
    return ML + (x - f->x0) / (f->x1 - f->x0) * PW;
}

static double py(const frame *f, double y)
{
    return MT + PH - (y - f->y0) / (f->y1 - f->y0) * PH;
}

static void frame_of(const double *x, const double *y, uint64_t n, frame *f)
{
    f->x0 = x[0], f->x1 = x[n - 1];
    if (!(f->x1 > f->x0))
        f->x0 -= 0.5, f->x1 += 0.5;
    f->y0 = 0, f->y1 = 0;
    for (uint64_t i = 0; i < n; i++)
        if (isfinite(y[i])) {
            f->y1 = y[i] > f->y1 ? y[i] : f->y1;
            f->y0 = y[i] < f->y0 ? y[i] : f->y0;
        }
    if (!(f->y1 > f->y0))
        f->y1 = f->y0 + 1;
    f->y1 += (f->y1 - f->y0) * 0.06; /* room for the peak labels */
}

/* Decimals that show a tick step exactly enough. */
static int decimals(double step)
{
    int d = (int)ceil(-log10(step) - 1e-9);
    return d < 0 ? 0 : d > 9 ? 9 : d;
}

static void axes(const frame *f, msiz_text *t)
{
    msiz_text_printf(t,
                     "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" "
                     "stroke=\"#444\"/>\n",
                     ML, MT, PW, PH);
    double step = msiz_nice_floor((f->x1 - f->x0) / 7 * 1.000001);
    int dx = decimals(step);
    for (double v = ceil(f->x0 / step) * step; v <= f->x1 + step * 1e-9; v += step) {
        double x = px(f, v);
        msiz_text_printf(t,
                         "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#444\"/>"
                         "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%.*f</text>\n",
                         x, MT + PH, x, MT + PH + 5, x, MT + PH + 19, dx, v);
    }
    step = msiz_nice_floor((f->y1 - f->y0) / 4 * 1.000001);
    for (double v = ceil(f->y0 / step) * step; v <= f->y1 + step * 1e-9; v += step) {
        double y = py(f, v);
        char label[32];
        msiz_fmt_num(label, sizeof label, fabs(v) < step * 1e-9 ? 0 : v, 3);
        msiz_text_printf(t,
                         "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#444\"/>"
                         "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
                         ML - 5, y, ML, y, ML - 8, y + 4, label);
    }
    msiz_text_printf(t,
                     "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">m/z</text>\n"
                     "<text transform=\"translate(16 %d) rotate(-90)\" text-anchor=\"middle\">"
                     "mean intensity</text>\n",
                     ML + PW / 2, H - 8, MT + PH / 2);
}

typedef struct column {
    uint64_t first, last, lo, hi; /* bin indices */
    int used;
} column;

/* The M4 points in bin order, as one path. */
static msiz_status line(const frame *f, const double *x, const double *y, uint64_t n, msiz_text *t)
{
    column *cols = msiz_calloc(PW, sizeof *cols);
    if (!cols)
        return msiz_fail(MSIZ_E_NOMEM, "report: out of memory for the spectrum plot");
    for (uint64_t i = 0; i < n; i++) {
        if (!isfinite(y[i]))
            continue;
        double c = (x[i] - f->x0) / (f->x1 - f->x0) * PW;
        column *k = &cols[c < 0 ? 0 : c >= PW ? PW - 1 : (int)c];
        if (!k->used)
            k->first = k->lo = k->hi = i, k->used = 1;
        k->last = i;
        k->lo = y[i] < y[k->lo] ? i : k->lo;
        k->hi = y[i] > y[k->hi] ? i : k->hi;
    }
    msiz_text_put(t, "<path fill=\"none\" stroke=\"#31688e\" stroke-width=\"1\" d=\"");
    int started = 0;
    for (int c = 0; c < PW; c++) {
        if (!cols[c].used)
            continue;
        uint64_t pts[4] = {cols[c].first, cols[c].lo, cols[c].hi, cols[c].last};
        if (pts[1] > pts[2]) { /* keep bin order */
            uint64_t s = pts[1];
            pts[1] = pts[2], pts[2] = s;
        }
        for (int k = 0; k < 4; k++) {
            if (k > 0 && pts[k] == pts[k - 1])
                continue;
            msiz_text_printf(t, "%s%.1f %.1f", started ? " L" : "M", px(f, x[pts[k]]),
                             py(f, y[pts[k]]));
            started = 1;
        }
    }
    msiz_text_put(t, "\"/>\n");
    msiz_free(cols);
    return MSIZ_OK;
}

static void markers(const frame *f, const double *x, const double *y, const uint64_t *peaks,
                    size_t n_peaks, msiz_text *t)
{
    for (size_t k = 0; k < n_peaks; k++) {
        double cx = px(f, x[peaks[k]]), cy = py(f, y[peaks[k]]);
        msiz_text_printf(t,
                         "<g class=\"peak\"><circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" "
                         "fill=\"#fde725\" stroke=\"#440154\"/><text x=\"%.1f\" y=\"%.1f\" "
                         "text-anchor=\"middle\" font-weight=\"bold\">%zu</text><title>peak %zu: "
                         "m/z %.4f</title></g>\n",
                         cx, cy, cx, cy - 7, k + 1, k + 1, x[peaks[k]]);
    }
}

msiz_status msiz_spectrum_svg(const double *x, const double *y, uint64_t n, const uint64_t *peaks,
                              size_t n_peaks, msiz_text *out)
{
    if (n == 0) {
        msiz_text_put(out, "<p>The mass axis is empty.</p>\n");
        return msiz_text_status(out);
    }
    frame f;
    frame_of(x, y, n, &f);
    msiz_text_printf(out,
                     "<svg class=\"spectrum\" "
                     "viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" role=\"img\" "
                     "aria-label=\"average spectrum\" font-family=\"sans-serif\" "
                     "font-size=\"12\">\n",
                     W, H, W, H);
    axes(&f, out);
    msiz_status status = line(&f, x, y, n, out);
    if (status < 0)
        return status;
    markers(&f, x, y, peaks, n_peaks, out);
    msiz_text_put(out, "</svg>\n");
    return msiz_text_status(out);
}
