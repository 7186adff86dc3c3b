/* QC report handle: its life cycle, summary facts, warnings and checks, and the hooks of one
 * table (ion slots, accumulation). The page's path is checked by report_guard.c, sections are
 * rendered by report_section.c, the page by report_html.c. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/error.h"
#include "common/log.h"
#include "io/fs.h"
#include "report/report_handle.h"

/* The page's temporary folder, created and marked as this run's; what dead runs left beside the
 * page (the same protocol as the store's, io/fs.h) is removed first. */
static msiz_status temp_folder(msiz_report *r)
{
    (void)msiz_sweep_temp_siblings(r->html_path);
    msiz_status status = msiz_temp_sibling(r->html_path, r->dir, sizeof r->dir);
    if (status < 0)
        return status;
    if (mkdir(r->dir, 0700) != 0)
        return msiz_fail(MSIZ_E_IO, "%s: cannot create the report's temporary folder %s: %s",
                         r->html_path, r->dir, strerror(errno));
    status = msiz_owner_mark(r->dir, &r->owner);
    if (status < 0) {
        (void)msiz_remove_tree(r->dir);
        return status;
    }
    status = msiz_path_join(r->temp, sizeof r->temp, r->dir, "page.html");
    if (status == MSIZ_OK)
        status = msiz_path_join(r->parts, sizeof r->parts, r->dir, "sections.part");
    return status;
}

/* Removes the temporary folder and all in it (the page, once committed, is no longer there). */
static msiz_status remove_temp(msiz_report *r)
{
    if (r->parts_file)
        fclose(r->parts_file);
    r->parts_file = NULL;
    msiz_status status = msiz_owner_remove(r->owner);
    r->owner = NULL;
    return status;
}

msiz_status msiz_report_new(const char *html_path, const char *store_path,
                            const msiz_report_config *cfg, msiz_report **out)
{
    msiz_status status = MSIZ_OK;
    msiz_report *r = NULL;
    *out = NULL;
    MSIZ_FAIL_IF(!html_path || !*html_path || !store_path, MSIZ_E_ARG,
                 "report: a page path and a store path are required");
    MSIZ_FAIL_IF(cfg->ions > MSIZ_REPORT_MAX_IONS, MSIZ_E_ARG,
                 "report: at most %d ion images per table, not %zu", MSIZ_REPORT_MAX_IONS,
                 cfg->ions);
    MSIZ_TRY(
        msiz_report_check_path(html_path, store_path, cfg->inputs, cfg->n_inputs, cfg->overwrite));
    r = msiz_calloc(1, sizeof *r);
    MSIZ_FAIL_IF(!r, MSIZ_E_NOMEM, "out of memory");
    r->cfg = *cfg;
    r->html_path = msiz_strdup(html_path);
    r->store_path = msiz_strdup(store_path);
    r->inputs = msiz_calloc(cfg->n_inputs ? cfg->n_inputs : 1, sizeof *r->inputs);
    MSIZ_FAIL_IF(!r->html_path || !r->store_path || !r->inputs, MSIZ_E_NOMEM, "out of memory");
    r->cfg.inputs = NULL; /* the caller's; the copies are r->inputs */
    for (size_t i = 0; i < cfg->n_inputs; i++)
        MSIZ_FAIL_IF(!(r->inputs[i] = msiz_strdup(cfg->inputs[i])), MSIZ_E_NOMEM, "out of memory");
    MSIZ_TRY(temp_folder(r));
    *out = r;
    r = NULL;
cleanup:
    msiz_report_free(r);
    return status;
}

static void close_table(msiz_report *r)
{
    for (size_t i = 0; i < r->n_ions; i++) {
        msiz_free(r->ions[i].sum);
        if (r->ions[i].own_count)
            msiz_free(r->ions[i].count);
    }
    memset(r->ions, 0, sizeof r->ions);
    r->n_ions = 0;
    msiz_text_free(&r->section);
    r->open = 0;
}

void msiz_report_free(msiz_report *r)
{
    if (!r)
        return;
    close_table(r);
    (void)remove_temp(r);
    for (size_t i = 0; i < r->n_warnings; i++)
        msiz_free(r->warnings[i].text);
    msiz_free(r->warnings);
    msiz_text_free(&r->facts);
    msiz_text_free(&r->checks);
    msiz_text_free(&r->notes);
    msiz_text_free(&r->meta);
    msiz_text_free(&r->toc);
    for (size_t i = 0; r->inputs && i < r->cfg.n_inputs; i++)
        msiz_free(r->inputs[i]);
    msiz_free(r->inputs);
    msiz_free(r->html_path);
    msiz_free(r->store_path);
    msiz_free(r);
}

/* ---- summary ---- */

/* Appends open, text (escaped), close. */
static void tagged(msiz_text *t, const char *open, const char *text, const char *close)
{
    msiz_text_put(t, open);
    msiz_text_escape(t, text ? text : "");
    msiz_text_put(t, close);
}

void msiz_report_fact(msiz_report *r, const char *label, const char *fmt, ...)
{
    char value[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(value, sizeof value, fmt, ap);
    va_end(ap);
    tagged(&r->facts, "<tr><th>", label, "</th>");
    tagged(&r->facts, "<td>", value, "</td></tr>\n");
}

/* Distinct warnings the page lists; the library emits one per kind of problem, so more means a
 * flood (per-spectrum messages): the rest are counted in one line. */
#define MAX_REPORT_WARNINGS 1000

void msiz_report_warning(msiz_report *r, const char *message)
{
    for (size_t i = 0; i < r->n_warnings; i++)
        if (strcmp(r->warnings[i].text, message) == 0) {
            r->warnings[i].count++;
            return;
        }
    if (r->n_warnings >= MAX_REPORT_WARNINGS) {
        r->more_warnings++;
        return;
    }
    void *p = r->warnings;
    char *copy = msiz_strdup(message);
    if (!copy || msiz_grow(&p, &r->cap_warnings, r->n_warnings + 1, sizeof *r->warnings,
                           MAX_REPORT_WARNINGS) < 0) {
        msiz_free(copy);
        r->facts.failed = 1; /* reported as out of memory by write */
        return;
    }
    r->warnings = p;
    r->warnings[r->n_warnings++] = (msiz_report_warning_item){copy, 1};
}

void msiz_report_check(msiz_report *r, const char *status, const char *name, const char *detail)
{
    tagged(&r->checks, "<tr><td class=\"check-", status, "\">");
    tagged(&r->checks, "", status, "</td>");
    tagged(&r->checks, "<th>", name, "</th>");
    tagged(&r->checks, "<td>", detail, "</td></tr>\n");
}

void msiz_report_note(msiz_report *r, const char *fmt, ...)
{
    char text[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    tagged(&r->notes, "<p class=\"note\">", text, "</p>\n");
}

void msiz_report_metadata(msiz_report *r, const char *title, const char *json_text)
{
    tagged(&r->meta, "<details><summary>", title, "</summary>");
    tagged(&r->meta, "<pre>", json_text, "</pre></details>\n");
}

/* ---- tables ---- */

size_t msiz_report_table_bytes(int32_t n_x, int32_t n_y, size_t ions)
{
    msiz_view tic, ion;
    msiz_view_plan(n_x, n_y, MSIZ_REPORT_TIC_MAX, MSIZ_REPORT_TIC_MIN, &tic);
    msiz_view_plan(n_x, n_y, MSIZ_REPORT_ION_MAX, MSIZ_REPORT_ION_MIN, &ion);
    size_t tic_cells = (size_t)tic.w * (size_t)tic.h, ion_cells = (size_t)ion.w * (size_t)ion.h;
    size_t tic_px = tic_cells * (size_t)tic.zoom * (size_t)tic.zoom;
    size_t ion_px = ion_cells * (size_t)ion.zoom * (size_t)ion.zoom;
    /* accumulators (sum + count), the colour-scale copy, one RGB image and its PNG/base64 text
     * (bounded by the raw size), and the page text of every image of the table */
    return tic_cells * 20 + 6 * tic_px + ions * (ion_cells * 8 + 4 * ion_px) + ion_cells * 12 +
           6 * ion_px;
}

static int compare_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Ion accumulators: one sum per image, one count (stored rows per image cell) for all. */
static msiz_status ion_views(msiz_report *r)
{
    msiz_view v;
    msiz_view_plan(r->t.n_x, r->t.n_y, MSIZ_REPORT_ION_MAX, MSIZ_REPORT_ION_MIN, &v);
    size_t cells = (size_t)v.w * (size_t)v.h, plane = (size_t)r->t.n_x * (size_t)r->t.n_y;
    uint32_t *count = msiz_calloc(cells, sizeof *count);
    if (!count)
        return msiz_fail(MSIZ_E_NOMEM, "report: out of memory for ion images");
    r->ions[0].count = count;
    r->ions[0].own_count = 1;
    for (uint64_t i = 0; i < r->t.n_rows; i++) {
        size_t xy = (size_t)((uint64_t)r->t.cells[i] % plane);
        count[msiz_view_cell(&v, (int32_t)(xy % (size_t)r->t.n_x),
                             (int32_t)(xy / (size_t)r->t.n_x))]++;
    }
    for (size_t k = 0; k < r->n_ions; k++) {
        r->ions[k].v = v;
        r->ions[k].count = count;
        r->ions[k].sum = msiz_calloc(cells, sizeof *r->ions[k].sum);
        if (!r->ions[k].sum)
            return msiz_fail(MSIZ_E_NOMEM, "report: out of memory for ion images");
    }
    return MSIZ_OK;
}

msiz_status msiz_report_table_begin(msiz_report *r, const msiz_report_table *t)
{
    msiz_status status = MSIZ_OK;
    close_table(r);
    MSIZ_FAIL_IF(t->n_x < 1 || t->n_y < 1 || t->n_z < 1, MSIZ_E_ARG,
                 "report: table '%s' has an empty grid", t->name);
    uint64_t grid = (uint64_t)t->n_x * (uint64_t)t->n_y * (uint64_t)t->n_z;
    for (uint64_t i = 0; i < t->n_rows; i++)
        MSIZ_FAIL_IF(t->cells[i] < 0 || (uint64_t)t->cells[i] >= grid, MSIZ_E_FORMAT,
                     "report: table '%s': row %llu lies outside the %d x %d x %d grid", t->name,
                     (unsigned long long)i, t->n_x, t->n_y, t->n_z);
    r->t = *t;
    r->open = 1;
    MSIZ_TRY(msiz_top_peaks(t->average, t->n_bins, r->cfg.ions, r->ion_bins, &r->n_ions));
    memcpy(r->lookup_bins, r->ion_bins, r->n_ions * sizeof *r->ion_bins);
    qsort(r->lookup_bins, r->n_ions, sizeof *r->lookup_bins, compare_u64);
    for (size_t i = 0; i < r->n_ions; i++)
        for (size_t k = 0; k < r->n_ions; k++)
            if (r->ion_bins[k] == r->lookup_bins[i])
                r->lookup_slots[i] = (int)k;
    if (r->n_ions > 0)
        MSIZ_TRY(ion_views(r));
cleanup:
    if (status < 0)
        close_table(r);
    return status;
}

int msiz_report_ion_of(const msiz_report *r, uint64_t bin)
{
    size_t lo = 0, hi = r->n_ions;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (r->lookup_bins[mid] < bin)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < r->n_ions && r->lookup_bins[lo] == bin ? r->lookup_slots[lo] : -1;
}

size_t msiz_report_ions(const msiz_report *r)
{
    return r->open ? r->n_ions : 0;
}

void msiz_report_ion_add(msiz_report *r, int slot, uint64_t row, double value)
{
    if (slot < 0 || (size_t)slot >= r->n_ions || row >= r->t.n_rows)
        return;
    msiz_view_acc *a = &r->ions[slot];
    size_t xy = (size_t)((uint64_t)r->t.cells[row] % ((uint64_t)r->t.n_x * (uint64_t)r->t.n_y));
    a->sum[msiz_view_cell(&a->v, (int32_t)(xy % (size_t)r->t.n_x),
                          (int32_t)(xy / (size_t)r->t.n_x))] += value;
}

msiz_status msiz_report_table_end(msiz_report *r)
{
    msiz_status status = MSIZ_OK;
    MSIZ_FAIL_IF(!r->open, MSIZ_E_STATE, "report: no table is open");
    if (!r->parts_file) {
        r->parts_file = fopen(r->parts, "w+");
        MSIZ_FAIL_IF(!r->parts_file, MSIZ_E_IO, "%s: cannot create: %s", r->parts, strerror(errno));
    }
    MSIZ_TRY(msiz_report_render_table(r));
    MSIZ_FAIL_IF(fwrite(r->section.data, 1, r->section.len, r->parts_file) != r->section.len,
                 MSIZ_E_IO, "%s: cannot write: %s", r->parts, strerror(errno));
    if (r->n_tables++ == 0)
        snprintf(r->first_table, sizeof r->first_table, "%s", r->t.name);
cleanup:
    close_table(r);
    return status;
}

msiz_status msiz_report_write(msiz_report *r)
{
    if (r->open)
        return msiz_fail(MSIZ_E_STATE, "report: table '%s' was not ended", r->t.name);
    r->written = 1;
    return msiz_report_write_page(r);
}

msiz_status msiz_report_commit(msiz_report *r)
{
    if (!r->written)
        return msiz_fail(MSIZ_E_STATE, "report: not written");
    /* what is there now (it may have appeared or changed during the run) may be replaced */
    msiz_status status =
        msiz_report_check_path(r->html_path, r->store_path, (const char *const *)r->inputs,
                               r->cfg.n_inputs, r->cfg.overwrite);
    if (status < 0)
        return status;
    if (rename(r->temp, r->html_path) != 0)
        return msiz_fail(MSIZ_E_IO, "%s: cannot move the report into place: %s", r->html_path,
                         strerror(errno));
    /* the page is in place: a folder that cannot be removed is not a failed report (while its
     * marker is left, the next run writing beside it removes it) */
    if (remove_temp(r) < 0)
        msiz_warn("%s", msiz_last_error());
    return MSIZ_OK;
}
