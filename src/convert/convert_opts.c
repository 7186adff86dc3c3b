/* Converter defaults (Thyra's CLI where it has the option) and size parsing. */
#include <errno.h>
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/error.h"
#include "convert/convert_internal.h"
#include "report/report.h"

void msiz_conv_opts_defaults(msiz_convert_opts *o)
{
    memset(o, 0, sizeof *o);
    o->struct_size = sizeof *o;
    msiz_source_opts_init(&o->source);
    o->dataset_id = "msi_dataset";
    o->spectrum_type = MSIZ_SPECTRUM_UNKNOWN;
    o->resample = 1;
    msiz_resample_request_init(&o->request);
    o->max_mass_axis_length = MSIZ_UNION_DEFAULT_CAP;
    o->sparse_format = MSIZ_SPARSE_CSC;
    o->zarr_format = 3;
    msiz_compression_init(&o->compression);
    o->shapes_codec = MSIZ_PARQUET_SNAPPY;
    o->duplicates = MSIZ_DUPLICATES_ERROR;
    o->memory_limit = (size_t)512 << 20;
    o->threads = 0;
    o->chunk_size = 5000;
    o->report = NULL;
    o->report_ions = 12;
}

static const struct {
    const char *suffix;
    double factor;
} k_units[] = {{"", 1.0},
               {"b", 1.0},
               {"k", 1024.0},
               {"kb", 1000.0},
               {"kib", 1024.0},
               {"m", 1048576.0},
               {"mb", 1e6},
               {"mib", 1048576.0},
               {"g", 1073741824.0},
               {"gb", 1e9},
               {"gib", 1073741824.0},
               {"t", 1099511627776.0},
               {"tib", 1099511627776.0}};

msiz_status msiz_parse_size(const char *text, size_t *bytes)
{
    char *end = NULL;
    errno = 0;
    double v = text ? strtod(text, &end) : NAN;
    if (!text || end == text || errno != 0 || !(v >= 0) || !isfinite(v))
        return msiz_fail(MSIZ_E_ARG, "invalid size '%s' (e.g. 512MiB, 2GiB, 64KiB)",
                         text ? text : "(null)");
    while (*end == ' ')
        end++;
    for (size_t i = 0; i < sizeof k_units / sizeof k_units[0]; i++) {
        if (strcasecmp(end, k_units[i].suffix) != 0)
            continue;
        double b = v * k_units[i].factor;
        if (b > (double)SIZE_MAX / 2)
            return msiz_fail(MSIZ_E_ARG, "size '%s' is too large", text);
        *bytes = (size_t)b;
        return MSIZ_OK;
    }
    return msiz_fail(MSIZ_E_ARG, "invalid size unit in '%s' (use KiB, MiB or GiB)", text);
}

static msiz_status check_request(const msiz_resample_request *rq)
{
    if ((rq->has_mz_min && !(rq->mz_min > 0)) || (rq->has_mz_max && !(rq->mz_max > 0)))
        return msiz_fail(MSIZ_E_ARG, "--resample-min-mz and --resample-max-mz must be > 0");
    if (rq->has_mz_min && rq->has_mz_max && !(rq->mz_min < rq->mz_max))
        return msiz_fail(MSIZ_E_ARG, "--resample-min-mz must be below --resample-max-mz");
    if (rq->has_width && !(rq->width > 0))
        return msiz_fail(MSIZ_E_ARG, "--resample-width-at-mz must be > 0");
    if (!(rq->reference_mz > 0))
        return msiz_fail(MSIZ_E_ARG, "--resample-reference-mz must be > 0");
    return MSIZ_OK;
}

msiz_status msiz_convert_opts_check(const msiz_convert_opts *opts)
{
    msiz_convert_opts full;
    msiz_status status = msiz_conv_opts_load(&full, opts);
    if (status < 0)
        return status;
    const msiz_convert_opts *o = &full;
    char probe[512];
    if (!o->dataset_id ||
        snprintf(probe, sizeof probe, "%s_z0_pixels", o->dataset_id) >= (int)sizeof probe ||
        !msiz_valid_element_name(probe) || !msiz_valid_element_name(o->dataset_id))
        return msiz_fail(MSIZ_E_ARG,
                         "--dataset-id '%s': use ASCII letters, digits, '_', '-', '.' (not "
                         "starting with '__')",
                         o->dataset_id ? o->dataset_id : "(null)");
    if (o->memory_limit < MSIZ_MIN_MEMORY_LIMIT)
        return msiz_fail(MSIZ_E_ARG, "--memory-limit must be at least %zuMiB (got %zu bytes)",
                         MSIZ_MIN_MEMORY_LIMIT >> 20, o->memory_limit);
    if (o->threads < 0 || o->threads > MSIZ_MAX_THREADS)
        return msiz_fail(MSIZ_E_ARG, "--threads must be 0..%d (got %d)", MSIZ_MAX_THREADS,
                         o->threads);
    if (o->request.bins > MSIZ_AXIS_MAX_BINS)
        return msiz_fail(MSIZ_E_ARG, "--resample-bins must be at most %llu (got %llu)",
                         (unsigned long long)MSIZ_AXIS_MAX_BINS,
                         (unsigned long long)o->request.bins);
    if (o->chunk_size == 0)
        return msiz_fail(MSIZ_E_ARG, "--chunk-size must be > 0");
    if (o->has_pixel_size && !(o->pixel_size_um > 0))
        return msiz_fail(MSIZ_E_ARG, "--pixel-size must be > 0 (got %g)", o->pixel_size_um);
    if (o->has_z_spacing && !(o->z_spacing_um > 0))
        return msiz_fail(MSIZ_E_ARG, "--z-spacing must be > 0 (got %g)", o->z_spacing_um);
    if (strcmp(msiz_parquet_codec_name(o->shapes_codec), "unknown") == 0)
        return msiz_fail(MSIZ_E_ARG, "--shapes-compression: unknown codec %d",
                         (int)o->shapes_codec);
    if (o->has_intensity_threshold && isnan(o->intensity_threshold))
        return msiz_fail(MSIZ_E_ARG, "--intensity-threshold is not a number");
    if (o->report_ions > MSIZ_REPORT_MAX_IONS)
        return msiz_fail(MSIZ_E_ARG, "--report-ions: at most %d, not %zu", MSIZ_REPORT_MAX_IONS,
                         o->report_ions);
    if (o->report && !*o->report)
        return msiz_fail(MSIZ_E_ARG, "--report: the page needs a file name");
    return check_request(&o->request);
}
