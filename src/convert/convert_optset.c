/* Converter options set by their command-line names, from text: one parser shared by the
 * msizarr CLI and the Python package (whose keywords are these names with '_'). Every message
 * names the option as the CLI spells it. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/error.h"
#include "msizarr/convert.h"

#define MSIZ_MAX_REGION      100000
#define MSIZ_MAX_REPORT_IONS 100 /* MSIZ_REPORT_MAX_IONS of src/report/report.h */

typedef msiz_status (*setter)(msiz_convert_opts *o, const char *name, const char *v);

static msiz_status need_value(const char *name, const char *v)
{
    return v ? MSIZ_OK : msiz_fail(MSIZ_E_ARG, "--%s needs a value", name);
}

static msiz_status number(const char *name, const char *v, double *out)
{
    char *end;
    if (need_value(name, v) < 0)
        return MSIZ_E_ARG;
    errno = 0;
    double d = strtod(v, &end);
    if (end == v || *end || errno || !isfinite(d))
        return msiz_fail(MSIZ_E_ARG, "--%s: '%s' is not a number", name, v);
    *out = d;
    return MSIZ_OK;
}

static msiz_status count(const char *name, const char *v, unsigned long long *out)
{
    char *end;
    if (need_value(name, v) < 0)
        return MSIZ_E_ARG;
    errno = 0;
    unsigned long long n = *v == '-' ? 0 : strtoull(v, &end, 10);
    if (!*v || *v == '-' || *end || errno)
        return msiz_fail(MSIZ_E_ARG, "--%s: '%s' is not a non-negative integer", name, v);
    *out = n;
    return MSIZ_OK;
}

/* Index of `v` in the NULL-terminated `choices` (any case). */
static msiz_status choice(const char *name, const char *v, const char *const *choices, int *out)
{
    if (need_value(name, v) < 0)
        return MSIZ_E_ARG;
    for (int i = 0; choices[i]; i++)
        if (strcasecmp(v, choices[i]) == 0) {
            *out = i;
            return MSIZ_OK;
        }
    return msiz_fail(MSIZ_E_ARG, "--%s: unknown value '%s'", name, v);
}

/* A flag: no value (as on the command line) sets it; else true/false, 1/0, yes/no, on/off. */
static msiz_status flag(const char *name, const char *v, int *out)
{
    static const char *const words[] = {"false", "true", "0", "1", "no", "yes", "off", "on", NULL};
    int i = 1;
    if (v && choice(name, v, words, &i) < 0)
        return msiz_fail(MSIZ_E_ARG, "--%s: '%s' is not true or false", name, v);
    *out = i % 2;
    return MSIZ_OK;
}

static msiz_status set_pixel_size(msiz_convert_opts *o, const char *name, const char *v)
{
    o->has_pixel_size = 1;
    return number(name, v, &o->pixel_size_um);
}

static msiz_status set_dataset_id(msiz_convert_opts *o, const char *name, const char *v)
{
    o->dataset_id = v;
    return need_value(name, v);
}

static msiz_status set_handle_3d(msiz_convert_opts *o, const char *name, const char *v)
{
    return flag(name, v, &o->handle_3d);
}

static msiz_status set_z_spacing(msiz_convert_opts *o, const char *name, const char *v)
{
    o->has_z_spacing = 1;
    return number(name, v, &o->z_spacing_um);
}

static msiz_status set_spectrum_type(msiz_convert_opts *o, const char *name, const char *v)
{
    static const char *const types[] = {"auto", "centroid", "profile", NULL};
    int i = 0;
    msiz_status st = choice(name, v, types, &i);
    o->spectrum_type = (msiz_spectrum_type)i; /* same order as the enum: UNKNOWN = auto */
    return st;
}

static msiz_status set_threshold(msiz_convert_opts *o, const char *name, const char *v)
{
    o->has_intensity_threshold = 1;
    return number(name, v, &o->intensity_threshold);
}

static msiz_status set_region(msiz_convert_opts *o, const char *name, const char *v)
{
    unsigned long long n = 0;
    if (count(name, v, &n) < 0)
        return MSIZ_E_ARG;
    if (n > MSIZ_MAX_REGION)
        return msiz_fail(MSIZ_E_ARG, "--%s: %llu is not a region number", name, n);
    o->source.region = (int)n;
    return MSIZ_OK;
}

static msiz_status set_duplicates(msiz_convert_opts *o, const char *name, const char *v)
{
    static const char *const policies[] = {"error", "keep-first", NULL};
    int i = 0;
    msiz_status st = choice(name, v, policies, &i);
    o->duplicates = i ? MSIZ_DUPLICATES_KEEP_FIRST : MSIZ_DUPLICATES_ERROR;
    return st;
}

static msiz_status set_resample(msiz_convert_opts *o, const char *name, const char *v)
{
    return flag(name, v, &o->resample);
}

static msiz_status set_no_resample(msiz_convert_opts *o, const char *name, const char *v)
{
    int off = 0;
    msiz_status st = flag(name, v, &off);
    o->resample = !off;
    return st;
}

static msiz_status set_method(msiz_convert_opts *o, const char *name, const char *v)
{
    msiz_resample_request *rq = &o->request;
    if (need_value(name, v) < 0)
        return MSIZ_E_ARG;
    rq->has_method = strcmp(v, "auto") != 0;
    if (rq->has_method && msiz_resample_method_parse(v, &rq->method) < 0)
        return msiz_fail_context(MSIZ_E_ARG, "--%s", name);
    return MSIZ_OK;
}

static msiz_status set_axis_type(msiz_convert_opts *o, const char *name, const char *v)
{
    msiz_resample_request *rq = &o->request;
    if (need_value(name, v) < 0)
        return MSIZ_E_ARG;
    rq->has_axis_type = strcmp(v, "auto") != 0;
    if (rq->has_axis_type && msiz_axis_type_parse(v, &rq->axis_type) < 0)
        return msiz_fail_context(MSIZ_E_ARG, "--%s", name);
    return MSIZ_OK;
}

static msiz_status set_bins(msiz_convert_opts *o, const char *name, const char *v)
{
    unsigned long long n = 0;
    if (count(name, v, &n) < 0)
        return MSIZ_E_ARG;
    if (n == 0)
        return msiz_fail(MSIZ_E_ARG, "--%s must be > 0", name);
    o->request.bins = n;
    return MSIZ_OK;
}

static msiz_status set_min_mz(msiz_convert_opts *o, const char *name, const char *v)
{
    o->request.has_mz_min = 1;
    return number(name, v, &o->request.mz_min);
}

static msiz_status set_max_mz(msiz_convert_opts *o, const char *name, const char *v)
{
    o->request.has_mz_max = 1;
    return number(name, v, &o->request.mz_max);
}

static msiz_status set_width(msiz_convert_opts *o, const char *name, const char *v)
{
    o->request.has_width = 1;
    return number(name, v, &o->request.width);
}

static msiz_status set_reference(msiz_convert_opts *o, const char *name, const char *v)
{
    return number(name, v, &o->request.reference_mz);
}

static msiz_status set_gap(msiz_convert_opts *o, const char *name, const char *v)
{
    return number(name, v, &o->gap_tolerance);
}

static msiz_status set_max_axis(msiz_convert_opts *o, const char *name, const char *v)
{
    unsigned long long n = 0;
    msiz_status st = count(name, v, &n);
    o->max_mass_axis_length = n;
    return st;
}

static msiz_status set_sparse(msiz_convert_opts *o, const char *name, const char *v)
{
    static const char *const formats[] = {"csc", "csr", NULL};
    int i = 0;
    msiz_status st = choice(name, v, formats, &i);
    o->sparse_format = i ? MSIZ_SPARSE_CSR : MSIZ_SPARSE_CSC;
    return st;
}

static msiz_status set_zarr_format(msiz_convert_opts *o, const char *name, const char *v)
{
    if (need_value(name, v) < 0)
        return MSIZ_E_ARG;
    if (strcmp(v, "2") != 0 && strcmp(v, "3") != 0)
        return msiz_fail(MSIZ_E_ARG, "--%s must be 2 or 3, not '%s'", name, v);
    o->zarr_format = v[0] - '0';
    return MSIZ_OK;
}

static msiz_status set_compression(msiz_convert_opts *o, const char *name, const char *v)
{
    if (need_value(name, v) < 0)
        return MSIZ_E_ARG;
    if (msiz_compression_parse(v, &o->compression) < 0)
        return msiz_fail_context(MSIZ_E_ARG, "--%s", name);
    return MSIZ_OK;
}

static msiz_status set_shapes_compression(msiz_convert_opts *o, const char *name, const char *v)
{
    if (need_value(name, v) < 0)
        return MSIZ_E_ARG;
    if (msiz_parquet_codec_parse(v, &o->shapes_codec) < 0)
        return msiz_fail_context(MSIZ_E_ARG, "--%s", name);
    return MSIZ_OK;
}

static msiz_status set_overwrite(msiz_convert_opts *o, const char *name, const char *v)
{
    return flag(name, v, &o->overwrite);
}

static msiz_status set_memory_limit(msiz_convert_opts *o, const char *name, const char *v)
{
    if (need_value(name, v) < 0)
        return MSIZ_E_ARG;
    if (msiz_parse_size(v, &o->memory_limit) < 0)
        return msiz_fail_context(MSIZ_E_ARG, "--%s", name);
    return MSIZ_OK;
}

static msiz_status set_threads(msiz_convert_opts *o, const char *name, const char *v)
{
    unsigned long long n = 0;
    if (count(name, v, &n) < 0)
        return MSIZ_E_ARG;
    if (n > MSIZ_MAX_THREADS) /* before the cast; msiz_convert_opts_check checks it again */
        return msiz_fail(MSIZ_E_ARG, "--%s must be 0..%d (got %llu)", name, MSIZ_MAX_THREADS, n);
    o->threads = (int)n;
    return MSIZ_OK;
}

static msiz_status set_temp_dir(msiz_convert_opts *o, const char *name, const char *v)
{
    o->temp_dir = v;
    return need_value(name, v);
}

static msiz_status set_chunk_size(msiz_convert_opts *o, const char *name, const char *v)
{
    unsigned long long n = 0;
    if (count(name, v, &n) < 0)
        return MSIZ_E_ARG;
    if (n == 0)
        return msiz_fail(MSIZ_E_ARG, "--%s must be > 0", name);
    o->chunk_size = (size_t)n;
    return MSIZ_OK;
}

static msiz_status set_streaming(msiz_convert_opts *o, const char *name, const char *v)
{
    static const char *const modes[] = {"auto", "true", "false", NULL};
    int i = 0;
    (void)o; /* accepted for Thyra's command lines: msizarr always streams */
    return choice(name, v, modes, &i);
}

static msiz_status set_profile(msiz_convert_opts *o, const char *name, const char *v)
{
    return flag(name, v, &o->source.bruker_profile);
}

static msiz_status set_report(msiz_convert_opts *o, const char *name, const char *v)
{
    o->report = v;
    return need_value(name, v);
}

static msiz_status set_report_ions(msiz_convert_opts *o, const char *name, const char *v)
{
    unsigned long long n = 0;
    if (count(name, v, &n) < 0)
        return MSIZ_E_ARG;
    if (n > MSIZ_MAX_REPORT_IONS)
        return msiz_fail(MSIZ_E_ARG, "--%s: at most %d", name, MSIZ_MAX_REPORT_IONS);
    o->report_ions = (size_t)n;
    return MSIZ_OK;
}

static const struct {
    const char *name;
    setter set;
    int takes_value;
} k_options[] = {
    {"pixel-size", set_pixel_size, 1},
    {"dataset-id", set_dataset_id, 1},
    {"handle-3d", set_handle_3d, 0},
    {"z-spacing", set_z_spacing, 1},
    {"spectrum-type", set_spectrum_type, 1},
    {"intensity-threshold", set_threshold, 1},
    {"region", set_region, 1},
    {"duplicates", set_duplicates, 1},
    {"resample", set_resample, 0},
    {"no-resample", set_no_resample, 0},
    {"resample-method", set_method, 1},
    {"mass-axis-type", set_axis_type, 1},
    {"resample-bins", set_bins, 1},
    {"resample-min-mz", set_min_mz, 1},
    {"resample-max-mz", set_max_mz, 1},
    {"resample-width-at-mz", set_width, 1},
    {"resample-reference-mz", set_reference, 1},
    {"resample-gap-tolerance", set_gap, 1},
    {"max-mass-axis-length", set_max_axis, 1},
    {"sparse-format", set_sparse, 1},
    {"zarr-format", set_zarr_format, 1},
    {"compression", set_compression, 1},
    {"shapes-compression", set_shapes_compression, 1},
    {"overwrite", set_overwrite, 0},
    {"memory-limit", set_memory_limit, 1},
    {"threads", set_threads, 1},
    {"temp-dir", set_temp_dir, 1},
    {"chunk-size", set_chunk_size, 1},
    {"streaming", set_streaming, 1},
    {"profile-spectra", set_profile, 0},
    {"report", set_report, 1},
    {"report-ions", set_report_ions, 1},
};

#define N_OPTIONS (sizeof k_options / sizeof k_options[0])

/* "resample-bins" == "resample_bins": the Python keywords are the names with '_'. */
static int same_name(const char *canonical, const char *name)
{
    for (; *canonical && *name; canonical++, name++)
        if (*canonical != *name && !(*canonical == '-' && *name == '_'))
            return 0;
    return *canonical == *name;
}

msiz_status msiz_convert_opts_set(msiz_convert_opts *opts, const char *name, const char *value)
{
    for (size_t i = 0; name && i < N_OPTIONS; i++)
        if (same_name(k_options[i].name, name))
            return k_options[i].set(opts, k_options[i].name, value);
    return msiz_fail(MSIZ_E_ARG, "unknown option '%s'", name ? name : "(null)");
}

const char *msiz_convert_opt_name(size_t i, int *takes_value)
{
    if (i >= N_OPTIONS)
        return NULL;
    if (takes_value)
        *takes_value = k_options[i].takes_value;
    return k_options[i].name;
}
