/* The spectrum-source front: option defaults, spectrum buffers, format sniffing, dispatch. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "common/alloc.h"
#include "common/error.h"
#include "common/sized.h"
#include "source/source_internal.h"
#include "source/source_opts.h"
#include "source/source_scan.h"

#define MSIZ_DEFAULT_MAX_PEAKS ((size_t)INT32_MAX)

/* Member ends of the current layout: the struct_size of every release is one of them. */
static const size_t k_opts_ends[] = {
    MSIZ_FIELD_END(msiz_source_opts, struct_size),
    MSIZ_FIELD_END(msiz_source_opts, region),
    MSIZ_FIELD_END(msiz_source_opts, bruker_profile),
    MSIZ_FIELD_END(msiz_source_opts, ignore_uuid_mismatch),
    MSIZ_FIELD_END(msiz_source_opts, verify_checksums),
    MSIZ_FIELD_END(msiz_source_opts, max_peaks),
    MSIZ_FIELD_END(msiz_source_opts, bruker_allow_non_imaging),
    MSIZ_FIELD_END(msiz_source_opts, reserved0),
    MSIZ_FIELD_END(msiz_source_opts, cancel),
};
_Static_assert(MSIZ_FIELD_END(msiz_source_opts, cancel) == sizeof(msiz_source_opts),
               "msiz_source_opts: list a new member in k_opts_ends, and fill tail padding");

int msiz_source_opts_size_ok(size_t size)
{
    return msiz_sized_prefix_ok(k_opts_ends, sizeof k_opts_ends / sizeof k_opts_ends[0],
                                _Alignof(msiz_source_opts), size);
}

static void defaults(msiz_source_opts *opts)
{
    memset(opts, 0, sizeof *opts);
    opts->struct_size = sizeof *opts;
    opts->region = -1;
    opts->max_peaks = MSIZ_DEFAULT_MAX_PEAKS;
}

void msiz_source_opts_init_sized(msiz_source_opts *opts, size_t struct_size)
{
    if (!opts || struct_size < sizeof opts->struct_size)
        return;
    if (!msiz_source_opts_size_ok(struct_size)) {
        opts->struct_size = struct_size; /* refused when used */
        return;
    }
    msiz_source_opts d;
    defaults(&d);
    d.struct_size = struct_size;
    memcpy(opts, &d, struct_size);
}

msiz_status msiz_source_opts_load(msiz_source_opts *out, const msiz_source_opts *in)
{
    defaults(out);
    if (!in)
        return MSIZ_OK;
    if (!msiz_source_opts_size_ok(in->struct_size))
        return msiz_fail(MSIZ_E_ARG,
                         "msiz_source_opts: struct_size %zu matches no layout of msizarr %s "
                         "(fill the options with msiz_source_opts_init)",
                         in->struct_size, msiz_version());
    memcpy(out, in, in->struct_size);
    out->struct_size = sizeof *out;
    return MSIZ_OK;
}

void msiz_spectrum_init(msiz_spectrum *sp)
{
    memset(sp, 0, sizeof *sp);
}

void msiz_spectrum_destroy(msiz_spectrum *sp)
{
    if (!sp)
        return;
    msiz_free(sp->mz);
    msiz_free(sp->intensity);
    memset(sp, 0, sizeof *sp);
}

msiz_status msiz_spectrum_reserve(msiz_spectrum *sp, size_t n, size_t cap)
{
    if (n <= sp->capacity)
        return MSIZ_OK;
    if (cap == 0)
        cap = MSIZ_DEFAULT_MAX_PEAKS;
    if (n > cap)
        return msiz_fail(MSIZ_E_LIMIT, "spectrum of %zu peaks exceeds the cap of %zu peaks", n,
                         cap);
    size_t new_cap = sp->capacity ? sp->capacity : 1024;
    while (new_cap < n)
        new_cap = new_cap > cap / 2 ? cap : new_cap * 2;
    double *mz = msiz_realloc(sp->mz, new_cap * sizeof *mz);
    if (!mz)
        return msiz_fail(MSIZ_E_NOMEM, "out of memory for a spectrum of %zu peaks", n);
    sp->mz = mz;
    double *in = msiz_realloc(sp->intensity, new_cap * sizeof *in);
    if (!in)
        return msiz_fail(MSIZ_E_NOMEM, "out of memory for a spectrum of %zu peaks", n);
    sp->intensity = in;
    sp->capacity = new_cap;
    return MSIZ_OK;
}

static int has_suffix_ci(const char *s, const char *suffix)
{
    size_t ls = strlen(s), lx = strlen(suffix);
    return ls >= lx && strcasecmp(s + ls - lx, suffix) == 0;
}

/* A folder that is not itself a .d but holds several: refuse and list them (edge case #4). */
static msiz_status refuse_folder_of_d(const char *path)
{
    char names[768] = "";
    size_t used = 0;
    int count = 0;
    DIR *dir = opendir(path);
    struct dirent *ent;
    while (dir && (ent = readdir(dir)) != NULL) {
        if (!has_suffix_ci(ent->d_name, ".d"))
            continue;
        count++;
        int n = snprintf(names + used, sizeof names - used, "%s%s", used ? ", " : "", ent->d_name);
        if (n > 0 && (size_t)n < sizeof names - used)
            used += (size_t)n;
    }
    if (dir)
        closedir(dir);
    if (count > 1)
        return msiz_fail(MSIZ_E_ARG, "%s: folder holds %d .d runs (%s); give one of them", path,
                         count, names);
    return msiz_fail(MSIZ_E_ARG, "%s: not an imzML file or a Bruker .d folder", path);
}

msiz_status msiz_source_open(const char *path, const msiz_source_opts *opts, msiz_source **out)
{
    msiz_status status = MSIZ_OK;
    msiz_source_opts full;
    struct stat st;
    *out = NULL;
    status = msiz_source_opts_load(&full, opts);
    if (status < 0)
        return status;
    opts = &full;
    if (stat(path, &st) != 0)
        return msiz_fail(MSIZ_E_NOTFOUND, "%s: input not found", path);
    msiz_source *src = msiz_calloc(1, sizeof *src);
    if (!src)
        return msiz_fail(MSIZ_E_NOMEM, "%s: out of memory", path);
    if (S_ISREG(st.st_mode) && has_suffix_ci(path, ".imzml"))
        status = msiz_imzml_open(src, path, opts);
    else if (S_ISDIR(st.st_mode) && has_suffix_ci(path, ".d"))
        status = msiz_bruker_open(src, path, opts);
    else if (S_ISDIR(st.st_mode))
        status = refuse_folder_of_d(path);
    else
        status = msiz_fail(MSIZ_E_ARG, "%s: not an .imzML file or a Bruker .d folder", path);
    if (status < 0) {
        msiz_free(src);
        return status;
    }
    *out = src;
    return MSIZ_OK;
}

const msiz_source_info *msiz_source_get_info(const msiz_source *src)
{
    return &src->info;
}

msiz_status msiz_source_next(msiz_source *src, msiz_spectrum *sp)
{
    return src->ops->next(src, sp);
}

static msiz_status check_index(const msiz_source *src, uint64_t index)
{
    if (index >= src->info.n_spectra)
        return msiz_fail(MSIZ_E_ARG, "%s: spectrum index %llu out of range (%llu spectra)",
                         src->info.path, (unsigned long long)index,
                         (unsigned long long)src->info.n_spectra);
    return MSIZ_OK;
}

msiz_status msiz_source_read(msiz_source *src, uint64_t index, msiz_spectrum *sp)
{
    msiz_status status = check_index(src, index);
    if (status < 0)
        return status;
    return src->ops->read(src, index, sp);
}

msiz_status msiz_source_locate(msiz_source *src, uint64_t index, msiz_spectrum *sp)
{
    msiz_status status = check_index(src, index);
    if (status < 0)
        return status;
    return src->ops->locate ? src->ops->locate(src, index, sp) : src->ops->read(src, index, sp);
}

msiz_status msiz_source_read_mz(msiz_source *src, uint64_t index, msiz_spectrum *sp)
{
    msiz_status status = check_index(src, index);
    if (status < 0)
        return status;
    return src->ops->read_mz ? src->ops->read_mz(src, index, sp) : src->ops->read(src, index, sp);
}

msiz_status msiz_source_rewind(msiz_source *src)
{
    return src->ops->rewind(src);
}

void msiz_source_close(msiz_source *src)
{
    if (!src)
        return;
    if (src->ops && src->ops->close)
        src->ops->close(src);
    free(src->info_json); /* allocated by jansson's json_dumps */
    msiz_free(src);
}
