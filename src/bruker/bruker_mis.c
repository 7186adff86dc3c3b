/* The FlexImaging .mis file beside a .d: <Raster>x,y</Raster> (µm) gives the pixel size, the
 * <Area Name="..."> elements name the regions (bruker.md §3). Parsed with expat. */
#include <dirent.h>
#include <expat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bruker/bruker_internal.h"
#include "common/alloc.h"
#include "common/error.h"
#include "common/log.h"
#include "io/fs.h"

#define MIS_MAX_BYTES ((size_t)64 << 20)
#define MIS_MAX_AREAS 4096

typedef struct mis_parse {
    msiz_bruker_mis *mis;
    int in_raster;
    char raster[128];
    size_t raster_len;
    size_t areas_cap;
    msiz_status failed; /* first allocation failure (message set) */
} mis_parse;

static void XMLCALL on_start(void *user, const XML_Char *name, const XML_Char **attrs)
{
    mis_parse *p = user;
    if (strcmp(name, "Raster") == 0) {
        p->in_raster = 1;
        p->raster_len = 0;
        return;
    }
    if (strcmp(name, "Area") != 0)
        return;
    const char *area = "";
    for (size_t i = 0; attrs[i]; i += 2)
        if (strcmp(attrs[i], "Name") == 0)
            area = attrs[i + 1];
    msiz_bruker_mis *mis = p->mis;
    if (p->failed < 0)
        return;
    p->failed = msiz_grow((void **)&mis->area_names, &p->areas_cap, mis->n_areas + 1,
                          sizeof *mis->area_names, MIS_MAX_AREAS);
    if (p->failed < 0)
        return;
    if (!(mis->area_names[mis->n_areas] = msiz_strdup(area)))
        p->failed = msiz_fail(MSIZ_E_NOMEM, "out of memory");
    else
        mis->n_areas++;
}

static void XMLCALL on_end(void *user, const XML_Char *name)
{
    mis_parse *p = user;
    if (!p->in_raster || strcmp(name, "Raster") != 0)
        return;
    p->in_raster = 0;
    p->raster[p->raster_len] = '\0';
    char *end;
    double x = strtod(p->raster, &end);
    if (end == p->raster || *end != ',')
        return;
    const char *ys = end + 1;
    double y = strtod(ys, &end);
    if (end == ys || !(x > 0) || !(y > 0))
        return;
    p->mis->has_raster = 1;
    p->mis->raster_x = x;
    p->mis->raster_y = y;
}

static void XMLCALL on_text(void *user, const XML_Char *s, int len)
{
    mis_parse *p = user;
    if (!p->in_raster)
        return;
    for (int i = 0; i < len && p->raster_len + 1 < sizeof p->raster; i++)
        p->raster[p->raster_len++] = s[i];
}

msiz_status msiz_bruker_mis_parse(msiz_bruker_mis *mis, const char *text, size_t len,
                                  const char *name)
{
    mis_parse p = {.mis = mis};
    XML_Parser xp = XML_ParserCreate(NULL);
    if (!xp)
        return msiz_fail(MSIZ_E_NOMEM, "%s: out of memory for the XML parser", name);
    XML_SetUserData(xp, &p);
    XML_SetElementHandler(xp, on_start, on_end);
    XML_SetCharacterDataHandler(xp, on_text);
    msiz_status status = MSIZ_OK;
    if (len > INT32_MAX || XML_Parse(xp, text, (int)len, 1) == XML_STATUS_ERROR)
        status = msiz_fail(MSIZ_E_FORMAT, "%s: line %lu: %s", name,
                           (unsigned long)XML_GetCurrentLineNumber(xp),
                           XML_ErrorString(XML_GetErrorCode(xp)));
    else if (p.failed < 0)
        status = msiz_fail_context(p.failed, "%s: areas", name);
    XML_ParserFree(xp);
    return status;
}

/* <stem>.mis beside the .d, else the only .mis in that folder. */
static char *find_mis(const char *d_path)
{
    size_t n = strlen(d_path);
    while (n > 1 && d_path[n - 1] == '/')
        n--;
    char *cand = msiz_malloc(n + 8);
    if (!cand)
        return NULL;
    memcpy(cand, d_path, n);
    memcpy(cand + n - (n >= 2 ? 2 : 0), ".mis", 5);
    if (n >= 2 && msiz_path_exists(cand))
        return cand;
    msiz_free(cand);
    const char *slash = memrchr(d_path, '/', n);
    size_t dn = slash ? (size_t)(slash - d_path) : 0;
    char dir[4096];
    snprintf(dir, sizeof dir, "%.*s", (int)(dn ? dn : 1), dn ? d_path : ".");
    DIR *dh = opendir(dir);
    struct dirent *ent;
    char *found = NULL;
    int count = 0;
    while (dh && (ent = readdir(dh)) != NULL) {
        size_t l = strlen(ent->d_name);
        if (l < 5 || strcasecmp(ent->d_name + l - 4, ".mis") != 0)
            continue;
        count++;
        msiz_free(found);
        size_t m = strlen(dir) + l + 2;
        if ((found = msiz_malloc(m)) != NULL)
            snprintf(found, m, "%s/%s", dir, ent->d_name);
    }
    if (dh)
        closedir(dh);
    if (count == 1)
        return found;
    msiz_free(found);
    return NULL;
}

msiz_status msiz_bruker_mis_load(msiz_bruker_mis *mis, const char *d_path)
{
    msiz_status status = MSIZ_OK;
    char *text = NULL;
    FILE *f = NULL;
    memset(mis, 0, sizeof *mis);
    mis->path = find_mis(d_path);
    if (!mis->path)
        return MSIZ_OK;
    mis->found = 1;
    uint64_t size = 0;
    MSIZ_TRY(msiz_file_size(mis->path, &size));
    MSIZ_FAIL_IF(size > MIS_MAX_BYTES, MSIZ_E_LIMIT, "%s: %llu bytes is too large for a .mis",
                 mis->path, (unsigned long long)size);
    text = msiz_malloc((size_t)size + 1);
    MSIZ_FAIL_IF(!text, MSIZ_E_NOMEM, "%s: out of memory", mis->path);
    f = fopen(mis->path, "rb");
    MSIZ_FAIL_IF(!f || fread(text, 1, (size_t)size, f) != (size_t)size, MSIZ_E_IO,
                 "%s: cannot read", mis->path);
    MSIZ_TRY(msiz_bruker_mis_parse(mis, text, (size_t)size, mis->path));
cleanup:
    if (f)
        fclose(f);
    msiz_free(text);
    if (status < 0)
        msiz_bruker_mis_destroy(mis);
    return status;
}

void msiz_bruker_mis_destroy(msiz_bruker_mis *mis)
{
    if (!mis)
        return;
    for (size_t i = 0; i < mis->n_areas; i++)
        msiz_free(mis->area_names[i]);
    msiz_free(mis->area_names);
    msiz_free(mis->path);
    memset(mis, 0, sizeof *mis);
}
