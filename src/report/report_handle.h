/* The report handle, shared by report.c (life cycle, facts, tables), report_section.c (a
 * table's section) and report_html.c (the page). */
#ifndef MSIZ_REPORT_REPORT_HANDLE_H
#define MSIZ_REPORT_REPORT_HANDLE_H

#include <stdio.h>

#include "io/owner.h"
#include "report/report.h"
#include "report/report_internal.h"

/* Views of the images: TIC images up to 1024 cells a side, drawn with at least 360 pixels;
 * ion images up to 512 cells, at least 240 pixels. */
#define MSIZ_REPORT_TIC_MAX 1024
#define MSIZ_REPORT_TIC_MIN 360
#define MSIZ_REPORT_ION_MAX 512
#define MSIZ_REPORT_ION_MIN 240

/* The page's first line, and the generator mark it writes in its head (followed by the version
 * and '">'): an existing file at the page's path is replaced only when its first 4 KiB start
 * with the one and hold the other (report_guard.c). */
#define MSIZ_REPORT_DOCTYPE   "<!DOCTYPE html>\n"
#define MSIZ_REPORT_GENERATOR "<meta name=\"generator\" content=\"msizarr "

typedef struct msiz_report_warning_item {
    char *text;
    uint64_t count;
} msiz_report_warning_item;

struct msiz_report {
    char *html_path, *store_path;
    char **inputs; /* the paths the run reads (cfg.inputs, copied) */
    msiz_report_config cfg;
    /* The temporary folder ".<page>.tmp-PID-N" beside the page, marked as this run's (io/owner.h)
     * so that a later run removes it if this one is killed; it holds the page before commit
     * and the finished table sections. */
    char dir[4200];
    msiz_owner *owner; /* NULL once the folder is gone */
    char temp[4232];   /* dir/page.html */
    char parts[4232];  /* dir/sections.part */
    FILE *parts_file;
    int written;
    int from_store; /* made from a store on disk: no conversion facts */
    msiz_text facts, checks, notes, meta, toc;
    msiz_report_warning_item *warnings;
    size_t n_warnings, cap_warnings;
    uint64_t more_warnings; /* beyond MAX_REPORT_WARNINGS distinct ones: counted, not listed */
    int n_tables;
    char first_table[256]; /* for the snippet */
    /* the open table */
    int open;
    msiz_report_table t;
    uint64_t ion_bins[MSIZ_REPORT_MAX_IONS]; /* by rank */
    size_t n_ions;
    uint64_t lookup_bins[MSIZ_REPORT_MAX_IONS]; /* ascending, with their slots */
    int lookup_slots[MSIZ_REPORT_MAX_IONS];
    msiz_view_acc ions[MSIZ_REPORT_MAX_IONS]; /* count shared with ions[0] */
    msiz_text section;
};

/* report_guard.c: MSIZ_OK when the page may be written at `html`: not inside `store`, and
 * nothing there or an earlier msizarr page (regular file, generator mark) that neither is nor
 * lies inside any of `inputs`, with `overwrite`. Otherwise an error saying why, suggesting the
 * overwrite option only when it would help. */
msiz_status msiz_report_check_path(const char *html, const char *store, const char *const *inputs,
                                   size_t n_inputs, int overwrite);

/* report_section.c: the open table's section (TIC images, spectrum, ion images) into
 * r->section. */
msiz_status msiz_report_render_table(msiz_report *r);
/* report_html.c: the page into r->temp. */
msiz_status msiz_report_write_page(msiz_report *r);

#endif
