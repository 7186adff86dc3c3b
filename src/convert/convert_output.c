/* The output check of a conversion, made before the input is read: the paths the run reads are
 * the input and, for an imzML file, the .ibd beside it; an existing output may be replaced only
 * when it is a Zarr store unrelated to them (store/store_guard.h, edge-cases.md #80), and an
 * existing QC page only when it is an earlier page unrelated to them (report/report.h). */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/alloc.h"
#include "common/error.h"
#include "convert/convert_internal.h"
#include "store/store_guard.h"

#define MAX_IBD 8

typedef char path_buf[PATH_MAX];

/* Every "<stem>.ibd" in any letter case beside an .imzML `input` (the reader opens one of them)
 * into ibd[]; returns their number. */
static size_t ibd_companions(const char *input, path_buf *ibd, size_t max)
{
    size_t len = strlen(input), n = 0;
    if (len < 6 || strcasecmp(input + len - 6, ".imzml") != 0)
        return 0;
    const char *slash = strrchr(input, '/');
    const char *base = slash ? slash + 1 : input;
    size_t stem = (size_t)(input + len - 6 - base);
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%.*s", slash ? (slash == input ? 1 : (int)(slash - input)) : 1,
             slash ? input : ".");
    DIR *d = opendir(dir);
    struct dirent *ent;
    while (d && n < max && (ent = readdir(d)) != NULL) {
        const char *name = ent->d_name;
        if (strlen(name) != stem + 4 || strncasecmp(name, base, stem) != 0 ||
            strcasecmp(name + stem, ".ibd") != 0)
            continue;
        int k = snprintf(ibd[n], sizeof ibd[n], "%s/%s", dir, name);
        if (k > 0 && (size_t)k < sizeof ibd[n])
            n++;
    }
    if (d)
        closedir(d);
    return n;
}

msiz_status msiz_conv_check_output(msiz_conv *c)
{
    const char *inputs[1 + MAX_IBD] = {c->input};
    path_buf *ibd = msiz_malloc(MAX_IBD * sizeof *ibd);
    if (!ibd)
        return msiz_fail(MSIZ_E_NOMEM, "out of memory");
    size_t n = ibd_companions(c->input, ibd, MAX_IBD);
    for (size_t i = 0; i < n; i++)
        inputs[1 + i] = ibd[i];
    msiz_status status = msiz_store_check_output(c->output, inputs, 1 + n, c->o->overwrite);
    if (status == MSIZ_OK)
        status = msiz_conv_report_open(c, inputs, 1 + n);
    msiz_free(ibd);
    return status;
}
