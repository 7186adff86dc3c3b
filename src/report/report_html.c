/* QC report: the page — head and style (no script, no font or link to fetch), summary,
 * warnings, checks, how to open the store, the tables' sections (copied from the spill file)
 * and the metadata — written into the page's temporary folder. */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "common/error.h"
#include "report/report_handle.h"

static const char STYLE[] =
    "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;"
    "margin:24px auto;max-width:1240px;padding:0 16px;color:#222;background:#fff;"
    "line-height:1.4}\n"
    "h1{font-size:1.6em;margin-bottom:0}h2{border-bottom:1px solid #ccc;padding-bottom:4px;"
    "margin-top:1.8em}h3{margin-top:1.4em}\n"
    ".sub{color:#666;margin-top:4px}\n"
    "table{border-collapse:collapse}td,th{padding:3px 10px;vertical-align:top;text-align:left}"
    "tr:nth-child(even){background:#f6f6f6}\n"
    "table.summary th{white-space:nowrap}\n"
    ".images{display:flex;flex-wrap:wrap;gap:24px;align-items:flex-start}\n"
    "figure.img{margin:0;max-width:100%}figure.img img{display:block;width:100%;height:auto;"
    "image-rendering:pixelated}\n"
    "figure.img figcaption{font-weight:600;margin-bottom:4px}\n"
    "figure.img p{font-size:12px;color:#444;margin:4px 0}\n"
    ".scalebar{font-size:12px;margin:6px 0 4px}.scalebar span{display:block;height:4px;"
    "background:#222;margin-bottom:2px}\n"
    ".cbar{height:10px;background-size:100% 100%;image-rendering:pixelated;margin-top:6px}\n"
    ".cbar-labels{display:flex;justify-content:space-between;font-size:11px;color:#444}\n"
    "svg.spectrum{max-width:100%;height:auto;display:block}\n"
    "pre{background:#f4f4f4;padding:10px;overflow:auto;font-size:13px}\n"
    ".check-passed{color:#1a7f37}.check-failed{color:#b00020}.check-warning{color:#a35d00}\n"
    ".note{background:#fff8e1;border-left:4px solid #f0b400;padding:6px 10px}\n"
    "footer{margin-top:3em;color:#888;font-size:12px}\n";

static void head(msiz_report *r, msiz_text *t, const char *name)
{
    msiz_text colorbar = {0};
    msiz_status status = msiz_colorbar_png(&colorbar);
    /* the generator mark lets a later run recognise the page as one it may replace */
    msiz_text_printf(t,
                     MSIZ_REPORT_DOCTYPE
                     "<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n" MSIZ_REPORT_GENERATOR
                     "%s\">\n"
                     "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                     "<title>msizarr QC report: ",
                     msiz_version());
    msiz_text_escape(t, name);
    msiz_text_printf(t, "</title>\n<style>\n%s.cbar{background-image:url(data:image/png;base64,",
                     STYLE);
    if (status == MSIZ_OK)
        msiz_text_base64(t, (const unsigned char *)colorbar.data, colorbar.len);
    else
        t->failed = 1;
    msiz_text_put(t, ")}\n</style>\n</head>\n<body>\n<header><h1>QC report: ");
    msiz_text_escape(t, name);
    char when[64];
    time_t now = time(NULL);
    struct tm tm;
    strftime(when, sizeof when, "%Y-%m-%d %H:%M", localtime_r(&now, &tm));
    msiz_text_printf(t, "</h1><p class=\"sub\">msizarr %s &middot; %s &middot; store <code>",
                     msiz_version(), when);
    msiz_text_escape(t, r->store_path);
    msiz_text_put(t, "</code></p></header>\n");
    msiz_text_free(&colorbar);
}

static void summary(msiz_report *r, msiz_text *t)
{
    msiz_text_putn(t, r->notes.data ? r->notes.data : "", r->notes.len);
    msiz_text_put(t, "<h2 id=\"summary\">Summary</h2>\n<table class=\"summary\">\n");
    msiz_text_putn(t, r->facts.data ? r->facts.data : "", r->facts.len);
    msiz_text_put(t, "</table>\n<h2 id=\"warnings\">Warnings</h2>\n");
    if (r->from_store) {
        msiz_text_put(t, "<p>Not recorded in a store: a conversion with --report lists its "
                         "warnings.</p>\n");
    } else if (r->n_warnings == 0) {
        msiz_text_put(t, "<p>None.</p>\n");
    } else {
        msiz_text_put(t, "<table class=\"warnings\"><tr><th>count</th><th>warning</th></tr>\n");
        for (size_t i = 0; i < r->n_warnings; i++) {
            msiz_text_printf(t, "<tr><td>%llu</td><td>", (unsigned long long)r->warnings[i].count);
            msiz_text_escape(t, r->warnings[i].text);
            msiz_text_put(t, "</td></tr>\n");
        }
        msiz_text_put(t, "</table>\n");
        if (r->more_warnings)
            msiz_text_printf(t,
                             "<p>And %llu more warnings, not listed (the page lists the first "
                             "%zu distinct ones; the log has them all).</p>\n",
                             (unsigned long long)r->more_warnings, r->n_warnings);
    }
    msiz_text_put(t, "<h2 id=\"checks\">Checks of the input</h2>\n");
    if (r->checks.len == 0)
        msiz_text_put(t, "<p>None recorded.</p>\n");
    else
        msiz_text_printf(t, "<table class=\"checks\">\n%s</table>\n", r->checks.data);
}

/* The store path as a Python string literal, HTML-escaped. */
static void python_string(msiz_text *t, const char *s)
{
    msiz_text py = {0};
    msiz_text_put(&py, "\"");
    for (const char *p = s; *p; p++) {
        if (*p == '\\' || *p == '"')
            msiz_text_put(&py, "\\");
        msiz_text_putn(&py, p, 1);
    }
    msiz_text_put(&py, "\"");
    if (py.failed)
        t->failed = 1;
    else
        msiz_text_escape(t, py.data);
    msiz_text_free(&py);
}

static void snippet(msiz_report *r, msiz_text *t)
{
    const char *name = r->first_table[0] ? r->first_table : "msi_dataset_z0";
    msiz_text_put(t, "<h2 id=\"open\">How to open this store</h2>\n<pre><code>"
                     "import spatialdata as sd\n\nsdata = sd.read_zarr(");
    python_string(t, r->store_path);
    msiz_text_put(t, ")\ntable = sdata.tables[\"");
    msiz_text_escape(t, name);
    msiz_text_put(t, "\"]   # pixels x m/z bins, sparse\ntic = sdata.images[\"");
    msiz_text_escape(t, name);
    msiz_text_put(t, "_tic\"]\nmz = table.var[\"mz\"].to_numpy()\n"
                     "mean_spectrum = table.uns[\"average_spectrum\"]</code></pre>\n");
    if (r->n_tables > 1) {
        msiz_text_put(t, "<nav><h2>Tables</h2><ul>\n");
        msiz_text_putn(t, r->toc.data, r->toc.len);
        msiz_text_put(t, "</ul></nav>\n");
    }
}

static msiz_status copy_parts(msiz_report *r, FILE *out)
{
    char buf[65536];
    if (!r->parts_file)
        return MSIZ_OK;
    if (fflush(r->parts_file) != 0 || fseek(r->parts_file, 0, SEEK_SET) != 0)
        return msiz_fail(MSIZ_E_IO, "%s: cannot read back: %s", r->parts, strerror(errno));
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, r->parts_file)) > 0)
        if (fwrite(buf, 1, n, out) != n)
            return msiz_fail(MSIZ_E_IO, "%s: cannot write: %s", r->temp, strerror(errno));
    if (ferror(r->parts_file))
        return msiz_fail(MSIZ_E_IO, "%s: cannot read back: %s", r->parts, strerror(errno));
    return MSIZ_OK;
}

static msiz_status put(FILE *f, const msiz_text *t, const char *path)
{
    msiz_status status = msiz_text_status(t);
    if (status == MSIZ_OK && t->len && fwrite(t->data, 1, t->len, f) != t->len)
        status = msiz_fail(MSIZ_E_IO, "%s: cannot write: %s", path, strerror(errno));
    return status;
}

msiz_status msiz_report_write_page(msiz_report *r)
{
    msiz_status status = MSIZ_OK;
    msiz_text top = {0}, bottom = {0};
    const char *name = strrchr(r->store_path, '/');
    name = name && name[1] ? name + 1 : r->store_path;
    MSIZ_TRY(msiz_text_status(&r->facts));
    head(r, &top, name);
    summary(r, &top);
    snippet(r, &top);
    if (r->meta.len) {
        msiz_text_put(&bottom, "<h2 id=\"metadata\">Metadata</h2>\n");
        msiz_text_putn(&bottom, r->meta.data, r->meta.len);
    }
    msiz_text_printf(&bottom,
                     "<footer>Written by msizarr %s. Self-contained: no script, no "
                     "network access.</footer>\n</body>\n</html>\n",
                     msiz_version());
    FILE *f = fopen(r->temp, "w");
    MSIZ_FAIL_IF(!f, MSIZ_E_IO, "%s: cannot create: %s", r->temp, strerror(errno));
    status = put(f, &top, r->temp);
    if (status == MSIZ_OK)
        status = copy_parts(r, f);
    if (status == MSIZ_OK)
        status = put(f, &bottom, r->temp);
    if (fclose(f) != 0 && status == MSIZ_OK)
        status = msiz_fail(MSIZ_E_IO, "%s: cannot write: %s", r->temp, strerror(errno));
cleanup:
    msiz_text_free(&top);
    msiz_text_free(&bottom);
    return status;
}
