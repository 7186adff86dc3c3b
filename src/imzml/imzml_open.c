/* Opening an imzML pair: find the .ibd (stem.ibd, then a case-insensitive match), stream-parse
 * the header, resolve and check everything that can be checked before reading data, then
 * publish msiz_source_info and the metadata JSON. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/error.h"
#include "imzml/imzml_internal.h"
#include "io/fs.h"

/* A case-insensitive "<base>.ibd" in `dir`; returns a new path or NULL. */
static char *find_ibd_ci(const char *dir, const char *base)
{
    char *found = NULL;
    size_t nb = strlen(base);
    DIR *d = opendir(dir);
    struct dirent *ent;
    while (d && !found && (ent = readdir(d)) != NULL) {
        if (strlen(ent->d_name) == nb + 4 && strncasecmp(ent->d_name, base, nb) == 0 &&
            strcasecmp(ent->d_name + nb, ".ibd") == 0) {
            size_t len = strlen(dir) + strlen(ent->d_name) + 2;
            found = msiz_malloc(len);
            if (found)
                snprintf(found, len, "%s/%s", dir, ent->d_name);
        }
    }
    if (d)
        closedir(d);
    return found;
}

static msiz_status locate_ibd(const char *path, char **out)
{
    size_t n = strlen(path);
    size_t stem = n >= 6 && strcasecmp(path + n - 6, ".imzml") == 0 ? n - 6 : n;
    char *ibd = msiz_malloc(stem + 5);
    if (!ibd)
        return msiz_fail(MSIZ_E_NOMEM, "%s: out of memory", path);
    memcpy(ibd, path, stem);
    memcpy(ibd + stem, ".ibd", 5);
    if (msiz_path_exists(ibd)) {
        *out = ibd;
        return MSIZ_OK;
    }
    const char *slash = strrchr(path, '/');
    char dir[4096];
    snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - path) : 1, slash ? path : ".");
    if (slash == path)
        snprintf(dir, sizeof dir, "/");
    char base[1024];
    const char *b = slash ? slash + 1 : path;
    snprintf(base, sizeof base, "%.*s", (int)(path + stem - b), b);
    char *alt = find_ibd_ci(dir, base);
    if (alt) {
        msiz_free(ibd);
        *out = alt;
        return MSIZ_OK;
    }
    msiz_status st = msiz_fail(
        MSIZ_E_NOTFOUND, "%s: binary file %s not found (nor any case variant of %s.ibd in %s)",
        path, ibd, base, dir);
    msiz_free(ibd);
    return st;
}

static msiz_status parse_header(const char *path, volatile int *cancel, imzml_header **out)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return msiz_fail(MSIZ_E_IO, "%s: cannot open: %s", path, strerror(errno));
    msiz_status status = msiz_imzml_parse_fd(fd, path, cancel, out);
    close(fd);
    return status;
}

static msiz_status open_ibd(imzml_reader *r, uint8_t uuid[16])
{
    struct stat st;
    r->ibd_fd = open(r->ibd_path, O_RDONLY | O_CLOEXEC);
    if (r->ibd_fd < 0 || fstat(r->ibd_fd, &st) != 0)
        return msiz_fail(MSIZ_E_IO, "%s: cannot open: %s", r->ibd_path, strerror(errno));
    r->ibd_size = (uint64_t)st.st_size;
    if (r->ibd_size < 16)
        return msiz_fail(MSIZ_E_FORMAT, "%s: %llu bytes, too short for the 16-byte UUID",
                         r->ibd_path, (unsigned long long)r->ibd_size);
    return msiz_pread_full(r->ibd_fd, r->ibd_path, uuid, 16, 0);
}

/* Continuous: the mass range is spectrum 0's m/z span (Thyra). Processed files leave it to the
 * converter's scan pass (has_mass_range = 0). */
static msiz_status mass_range(imzml_reader *r, msiz_source_info *info)
{
    if (!info->continuous || r->hdr->n_recs == 0)
        return MSIZ_OK;
    msiz_spectrum sp;
    msiz_spectrum_init(&sp);
    msiz_status status = msiz_imzml_reader_fill(r, 0, &sp);
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; status >= 0 && i < sp.n; i++) {
        if (!isfinite(sp.mz[i])) /* dropped by the converter (edge-cases.md #35) */
            continue;
        if (sp.mz[i] < lo)
            lo = sp.mz[i];
        if (sp.mz[i] > hi)
            hi = sp.mz[i];
    }
    if (status >= 0 && lo <= hi) {
        info->has_mass_range = 1;
        info->mz_min = lo;
        info->mz_max = hi;
    }
    msiz_spectrum_destroy(&sp);
    return status;
}

static msiz_status open_pair(imzml_reader *r, msiz_source *src, const msiz_source_opts *opts)
{
    msiz_status status = MSIZ_OK;
    uint8_t uuid[16];
    MSIZ_TRY(locate_ibd(r->path, &r->ibd_path));
    MSIZ_TRY(parse_header(r->path, opts->cancel, &r->hdr));
    MSIZ_TRY(open_ibd(r, uuid));
    MSIZ_TRY(msiz_imzml_resolve(r->hdr, &src->info));
    MSIZ_TRY(msiz_imzml_check_ibd(r->hdr, r->ibd_path, uuid, r->ibd_size, opts));
    if (opts->verify_checksums)
        MSIZ_TRY(
            msiz_imzml_verify_checksums(r->hdr, r->ibd_fd, r->ibd_path, r->ibd_size, opts->cancel));
    MSIZ_TRY(mass_range(r, &src->info));
    r->metadata = msiz_imzml_metadata_json(r->hdr, r->ibd_path);
    MSIZ_FAIL_IF(!r->metadata, MSIZ_E_NOMEM, "%s: out of memory for metadata", r->path);
cleanup:
    return status;
}

msiz_status msiz_imzml_open(msiz_source *src, const char *path, const msiz_source_opts *opts)
{
    imzml_reader *r = msiz_calloc(1, sizeof *r);
    if (!r)
        return msiz_fail(MSIZ_E_NOMEM, "%s: out of memory", path);
    r->ibd_fd = -1;
    r->max_peaks = opts->max_peaks;
    r->path = msiz_strdup(path);
    msiz_status status =
        r->path ? open_pair(r, src, opts) : msiz_fail(MSIZ_E_NOMEM, "%s: out of memory", path);
    if (status < 0) {
        msiz_imzml_reader_free(r);
        memset(&src->info, 0, sizeof src->info);
        return status;
    }
    src->info.format = MSIZ_FORMAT_IMZML;
    src->info.path = r->path;
    src->info.metadata_json = r->metadata;
    src->ops = &msiz_imzml_source_ops;
    src->impl = r;
    return MSIZ_OK;
}
