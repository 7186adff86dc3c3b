/* The caller's msiz_convert_opts and msiz_convert_summary, whatever release's headers it was
 * compiled with (docs/api.md "How option structs grow").
 *
 * A caller's msiz_convert_opts is: struct_size, then its msiz_source_opts (source.struct_size
 * bytes, which may be an older, shorter layout), then the converter's own members up to
 * struct_size. Both parts are prefixes of today's layouts, so reading one is two copies, with
 * today's defaults for whatever the caller's release did not have. */
#include <string.h>

#include "common/error.h"
#include "common/sized.h"
#include "convert/convert_internal.h"
#include "source/source_opts.h"

#define TAIL_START offsetof(msiz_convert_opts, dataset_id)

/* The members after `source` sit at the same distance from it whatever its size: it is
 * followed by no padding, and nothing after it needs a stricter alignment than it has. */
_Static_assert(offsetof(msiz_convert_opts, source) == sizeof(size_t), "source follows the size");
_Static_assert(TAIL_START == offsetof(msiz_convert_opts, source) + sizeof(msiz_source_opts),
               "no padding after source");
_Static_assert(_Alignof(msiz_convert_opts) == _Alignof(msiz_source_opts), "tail alignment");

#define OPTS_END(field) (MSIZ_FIELD_END(msiz_convert_opts, field) - TAIL_START)

/* Ends of the members after `source`, measured from the first of them. */
static const size_t k_tail_ends[] = {
    OPTS_END(dataset_id),
    OPTS_END(has_pixel_size),
    OPTS_END(pixel_size_um),
    OPTS_END(spectrum_type),
    OPTS_END(resample),
    OPTS_END(request),
    OPTS_END(gap_tolerance),
    OPTS_END(has_intensity_threshold),
    OPTS_END(intensity_threshold),
    OPTS_END(max_mass_axis_length),
    OPTS_END(sparse_format),
    OPTS_END(zarr_format),
    OPTS_END(compression),
    OPTS_END(handle_3d),
    OPTS_END(has_z_spacing),
    OPTS_END(z_spacing_um),
    OPTS_END(overwrite),
    OPTS_END(duplicates),
    OPTS_END(memory_limit),
    OPTS_END(threads),
    OPTS_END(temp_dir),
    OPTS_END(chunk_size),
    OPTS_END(progress),
    OPTS_END(progress_user),
    OPTS_END(cancel),
    OPTS_END(shapes_codec),
    OPTS_END(reserved1),
    OPTS_END(report),
    OPTS_END(report_ions),
};
_Static_assert(MSIZ_FIELD_END(msiz_convert_opts, report_ions) == sizeof(msiz_convert_opts),
               "msiz_convert_opts: list a new member in k_tail_ends, and fill tail padding");

#define SUMMARY_END(field) MSIZ_FIELD_END(msiz_convert_summary, field)

static const size_t k_summary_ends[] = {
    SUMMARY_END(struct_size),
    SUMMARY_END(spectra_read),
    SUMMARY_END(pixels),
    SUMMARY_END(bins),
    SUMMARY_END(nnz),
    SUMMARY_END(n_x),
    SUMMARY_END(n_y),
    SUMMARY_END(n_z),
    SUMMARY_END(planes),
    SUMMARY_END(peaks_out_of_range),
    SUMMARY_END(spectra_out_of_grid),
    SUMMARY_END(duplicates_dropped),
    SUMMARY_END(spilled_bytes),
    SUMMARY_END(peak_rss_bytes),
    SUMMARY_END(fixed_state_bytes),
    SUMMARY_END(seconds),
    SUMMARY_END(plan),
};
_Static_assert(SUMMARY_END(plan) == sizeof(msiz_convert_summary),
               "msiz_convert_summary: list a new member in k_summary_ends");

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* 1 when a caller's struct of `size` bytes holding a msiz_source_opts of `source_size` bytes is
 * some release's layout. */
static int opts_layout_ok(size_t size, size_t source_size)
{
    if (!msiz_source_opts_size_ok(source_size) || size < sizeof(size_t) + source_size)
        return 0;
    size_t tail = size - sizeof(size_t) - source_size;
    return tail == 0 ||
           msiz_sized_prefix_ok(k_tail_ends, COUNT(k_tail_ends), _Alignof(msiz_convert_opts), tail);
}

void msiz_convert_opts_init_sized(msiz_convert_opts *opts, size_t struct_size, size_t source_size)
{
    if (!opts || struct_size < sizeof opts->struct_size)
        return;
    opts->struct_size = struct_size;
    if (!opts_layout_ok(struct_size, source_size)) {
        if (struct_size >= sizeof(size_t) + sizeof opts->source.struct_size)
            opts->source.struct_size = source_size; /* both refused when used */
        return;
    }
    msiz_convert_opts d;
    msiz_conv_opts_defaults(&d);
    msiz_source_opts_init_sized(&opts->source, source_size);
    size_t tail = struct_size - sizeof(size_t) - source_size;
    memcpy((char *)opts + sizeof(size_t) + source_size, (const char *)&d + TAIL_START, tail);
}

msiz_status msiz_conv_opts_load(msiz_convert_opts *out, const msiz_convert_opts *in)
{
    msiz_conv_opts_defaults(out);
    if (!in)
        return MSIZ_OK;
    size_t size = in->struct_size;
    size_t source_size = size >= sizeof(size_t) * 2 ? in->source.struct_size : 0;
    if (!opts_layout_ok(size, source_size))
        return msiz_fail(MSIZ_E_ARG,
                         "msiz_convert_opts: struct_size %zu (source.struct_size %zu) matches no "
                         "layout of msizarr %s (fill the options with msiz_convert_opts_init)",
                         size, source_size, msiz_version());
    msiz_status status = msiz_source_opts_load(&out->source, &in->source);
    if (status < 0)
        return status;
    size_t tail = size - sizeof(size_t) - source_size;
    memcpy((char *)out + TAIL_START, (const char *)in + sizeof(size_t) + source_size, tail);
    return MSIZ_OK;
}

msiz_status msiz_conv_summary_check(const msiz_convert_summary *summary)
{
    if (!summary || msiz_sized_prefix_ok(k_summary_ends, COUNT(k_summary_ends),
                                         _Alignof(msiz_convert_summary), summary->struct_size))
        return MSIZ_OK;
    return msiz_fail(MSIZ_E_ARG,
                     "msiz_convert_summary: struct_size %zu matches no layout of msizarr %s "
                     "(set it up with msiz_convert_summary_init)",
                     summary->struct_size, msiz_version());
}
