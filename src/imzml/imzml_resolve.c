/* Header-level rules after the parse: storage mode, representation, polarity, pixel size, grid
 * and the once-per-kind warnings with counts (edge-cases.md #11-#14, #18, #40, #42, #47,
 * #50-#57). Fills everything of msiz_source_info that needs no spectrum data. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "common/error.h"
#include "common/log.h"
#include "imzml/imzml_internal.h"

/* Index of the first spectrum whose m/z array differs from spectrum 0's, or n_recs. */
static size_t first_different_mz(const imzml_header *h)
{
    const imzml_rec *r0 = &h->recs[0];
    for (size_t k = 1; k < h->n_recs; k++) {
        const imzml_rec *r = &h->recs[k];
        if (r->mz_off != r0->mz_off || r->len != r0->len || r->mz_type != r0->mz_type ||
            r->mz_enc != r0->mz_enc ||
            (r->flags & IMZ_REC_ZLIB_MZ) != (r0->flags & IMZ_REC_ZLIB_MZ))
            return k;
    }
    return h->n_recs;
}

/* The mode follows the arrays when the file declares none, or both (#12, #13): pyimzML reads
 * every spectrum by its own offsets whatever the term says, and so can we. */
static msiz_status resolve_mode(imzml_header *h)
{
    int both = h->mode_flags == (IMZ_MODE_CONTINUOUS | IMZ_MODE_PROCESSED);
    size_t differ = h->n_recs ? first_different_mz(h) : 0;
    if (h->mode_flags == 0 || both) {
        const char *why = both ? "fileContent declares both continuous (IMS:1000030) and processed "
                                 "(IMS:1000031) storage"
                               : "no storage mode term (IMS:1000030 continuous / IMS:1000031 "
                                 "processed)";
        h->mode = h->n_recs && differ == h->n_recs ? IMZ_MODE_CONTINUOUS : IMZ_MODE_PROCESSED;
        msiz_warn("%s: %s%s; read as %s from the array layout", h->path, why,
                  h->mode_unknown ? " (a mode name with an unknown accession)" : "",
                  h->mode == IMZ_MODE_CONTINUOUS ? "continuous" : "processed");
        msiz_imzml_add_check(h, "storage mode", "warning", "%s; inferred %s",
                             both ? "both declared" : "not declared",
                             h->mode == IMZ_MODE_CONTINUOUS ? "continuous" : "processed");
        return MSIZ_OK;
    }
    h->mode = h->mode_flags;
    if (h->mode == IMZ_MODE_CONTINUOUS && differ < h->n_recs) {
        msiz_warn("%s: declared continuous but spectrum %zu's m/z array differs from spectrum "
                  "0's; read as processed",
                  h->path, differ);
        msiz_imzml_add_check(h, "storage mode", "warning",
                             "continuous declared, m/z arrays differ: read as processed");
        h->mode = IMZ_MODE_PROCESSED;
        return MSIZ_OK;
    }
    msiz_imzml_add_check(h, "storage mode", "passed", "%s",
                         h->mode == IMZ_MODE_CONTINUOUS ? "continuous, one shared m/z array"
                                                        : "processed");
    return MSIZ_OK;
}

static void resolve_representation(imzml_header *h, msiz_source_info *info)
{
    msiz_spectrum_type t = h->file_repr ? h->file_repr : h->spectrum_repr;
    if (t) {
        info->spectrum_type = t;
        info->spectrum_type_declared = 1;
        return;
    }
    info->spectrum_type_declared = 0;
    if (h->mode == IMZ_MODE_PROCESSED) {
        info->spectrum_type = MSIZ_SPECTRUM_CENTROID;
        msiz_warn("%s: no centroid/profile term (MS:1000127 / MS:1000128); processed data taken "
                  "as centroid (Thyra parity); --spectrum-type overrides",
                  h->path);
    } else {
        info->spectrum_type = MSIZ_SPECTRUM_UNKNOWN;
        msiz_warn("%s: no centroid/profile term (MS:1000127 / MS:1000128); continuous data uses "
                  "the default route; --spectrum-type overrides",
                  h->path);
    }
}

static msiz_polarity polarity_of(unsigned mask)
{
    unsigned pos = 1u << MSIZ_POLARITY_POSITIVE, neg = 1u << MSIZ_POLARITY_NEGATIVE;
    if ((mask & pos) && (mask & neg))
        return MSIZ_POLARITY_MIXED;
    return mask & pos   ? MSIZ_POLARITY_POSITIVE
           : mask & neg ? MSIZ_POLARITY_NEGATIVE
                        : MSIZ_POLARITY_UNKNOWN;
}

/* One warning for both axes when the unit is missing or unknown (#51). */
static void warn_units(const imzml_header *h)
{
    int n = h->has_pixel[1] ? 2 : 1;
    int missing = 0, unknown = 0;
    for (int i = 0; i < n; i++) {
        missing += h->pixel_unit[i] == 0;
        unknown += h->pixel_unit[i] < 0;
    }
    if (missing || unknown)
        msiz_warn("%s: pixel size (IMS:1000046/47) has %s unit; taken as micrometres", h->path,
                  unknown ? "an unknown" : "no");
}

/* #55: the declared extent disagrees with count x pixel size (pixel size wins). */
static void check_extent(imzml_header *h, double px, double py)
{
    double pitch[2] = {px, py};
    for (int i = 0; i < 2; i++) {
        if (!h->has_max_dim[i] || !h->has_max_count[i])
            continue;
        double expect = (double)h->max_count[i] * pitch[i];
        if (fabs(expect - h->max_dim[i]) > 1e-6 * fmax(fabs(expect), 1.0)) {
            msiz_warn("%s: max dimension %c (%g µm) != max count of pixels %c (%lld) x pixel "
                      "size (%g µm); the pixel size is used",
                      h->path, "xy"[i], h -> max_dim[i], "xy"[i], (long long)h -> max_count[i],
                      pitch[i]);
            return;
        }
    }
}

static void resolve_pixel_size(imzml_header *h, msiz_source_info *info)
{
    if (h->n_scan_settings > 1)
        msiz_warn("%s: %d <scanSettings> blocks; the first one is used", h->path,
                  h->n_scan_settings);
    if (!h->has_pixel[0]) {
        msiz_imzml_add_check(h, "pixel size", "warning", "not declared (IMS:1000046)");
        return;
    }
    warn_units(h);
    double x = h->pixel[0], y = h->has_pixel[1] ? h->pixel[1] : x;
    if (x != y)
        msiz_warn("%s: pixel size x (%g µm) != y (%g µm); x is used for both (Thyra parity)",
                  h->path, x, y);
    check_extent(h, x, y);
    info->has_pixel_size = 1;
    info->pixel_size_x_um = x;
    info->pixel_size_y_um = x;
    msiz_imzml_add_check(h, "pixel size", x == y && h->pixel_unit[0] > 0 ? "passed" : "warning",
                         "%g x %g µm", x, y);
}

/* Grid extents become counts: z planes span max_z - min_z + 1, which must stay a 32-bit count
 * (positions -2147483648 and 2147483647 would wrap it to 0, edge-cases.md #84). */
static msiz_status resolve_grid(imzml_header *h, msiz_source_info *info)
{
    if (!h->n_recs)
        return MSIZ_OK;
    int64_t planes = (int64_t)h->max_z - h->min_z + 1;
    if (planes > INT32_MAX)
        return msiz_fail(MSIZ_E_FORMAT,
                         "%s: position z runs from %d to %d: %lld planes, more than %d (corrupt "
                         "positions?)",
                         h->path, h->min_z, h->max_z, (long long)planes, INT32_MAX);
    info->n_x = h->max_x > 0 ? h->max_x : 0;
    info->n_y = h->max_y > 0 ? h->max_y : 0;
    info->n_z = (int32_t)planes;
    if (h->n_below_one) {
        msiz_warn("%s: %llu spectra have position x or y below 1 (0-based coordinates?); the "
                  "1-based grid leaves them out and conversion skips them",
                  h->path, (unsigned long long)h->n_below_one);
        msiz_imzml_add_check(h, "1-based positions", "warning", "%llu spectra below 1",
                             (unsigned long long)h->n_below_one);
    } else {
        msiz_imzml_add_check(h, "1-based positions", "passed", "x %d..%d, y %d..%d, z %d..%d",
                             h->min_x, h->max_x, h->min_y, h->max_y, h->min_z, h->max_z);
    }
    return MSIZ_OK;
}

/* #79: references to undefined groups, and the arrays nobody can tell apart (#16). */
static void warn_references(imzml_header *h)
{
    if (h->missing_refs)
        msiz_warn("%s: %llu referenceableParamGroupRefs name no referenceableParamGroup (first: "
                  "%s); ignored, as pyimzML does",
                  h->path, (unsigned long long)h->missing_refs, h->first_missing_ref);
    msiz_imzml_add_check(h, "param group refs", h->missing_refs ? "warning" : "passed",
                         "%llu undefined", (unsigned long long)h->missing_refs);
    if (h->kindless_arrays)
        msiz_warn("%s: %llu binaryDataArrays are neither m/z array (MS:1000514) nor intensity "
                  "array (MS:1000515) (first: %s); ignored, as pyimzML does",
                  h->path, (unsigned long long)h->kindless_arrays, h->first_kindless);
    if (h->header_params_dropped)
        msiz_warn("%s: %llu header params are left out of raw_metadata (more than %d, or out "
                  "of memory)",
                  h->path, (unsigned long long)h->header_params_dropped, IMZ_MAX_KV);
}

static void warn_counts(imzml_header *h)
{
    if (h->has_declared_count && h->declared_count != h->n_recs) {
        msiz_warn("%s: spectrumList count says %llu but %zu spectra are present; the elements "
                  "are trusted",
                  h->path, (unsigned long long)h->declared_count, h->n_recs);
        msiz_imzml_add_check(h, "spectrum count", "warning", "declared %llu, found %zu",
                             (unsigned long long)h->declared_count, h->n_recs);
    } else {
        msiz_imzml_add_check(h, "spectrum count", "passed", "%zu spectra", h->n_recs);
    }
    if (h->name_mismatches)
        msiz_warn("%s: %llu cvParams whose name disagrees with the accession (first: %s); the "
                  "accession wins",
                  h->path, (unsigned long long)h->name_mismatches, h->first_mismatch);
    msiz_imzml_add_check(h, "cv names", h->name_mismatches ? "warning" : "passed",
                         "%llu mismatches", (unsigned long long)h->name_mismatches);
    warn_references(h);
    uint64_t fixed = h->fix_mz.repaired + h->fix_int.repaired;
    if (fixed)
        msiz_warn("%s: %llu array offsets were written as signed 32-bit numbers and repaired "
                  "(+2^32 per wrap)",
                  h->path, (unsigned long long)fixed);
    msiz_imzml_add_check(h, "offsets", fixed ? "warning" : "passed", "%llu repaired",
                         (unsigned long long)fixed);
}

msiz_status msiz_imzml_resolve(imzml_header *h, msiz_source_info *info)
{
    msiz_status status = resolve_mode(h);
    if (status < 0)
        return status;
    info->continuous = h->mode == IMZ_MODE_CONTINUOUS;
    if (info->continuous && h->n_recs && h->recs[0].len == 0)
        return msiz_fail(MSIZ_E_FORMAT,
                         "%s: continuous file whose spectrum 0 is empty: no shared m/z axis",
                         h->path);
    resolve_representation(h, info);
    info->polarity = polarity_of(h->polarity_mask);
    resolve_pixel_size(h, info);
    status = resolve_grid(h, info);
    if (status < 0)
        return status;
    warn_counts(h);
    info->n_spectra = h->n_recs;
    info->total_peaks = h->total_peaks;
    info->mz_type = h->n_recs ? (msiz_value_type)h->recs[0].mz_type : MSIZ_VALUE_F64;
    info->intensity_type = h->n_recs ? (msiz_value_type)h->recs[0].int_type : MSIZ_VALUE_F64;
    msiz_imzml_add_check(h, "array lengths agree", "passed", "m/z and intensity lengths equal");
    msiz_imzml_add_check(h, "data types", "passed", "m/z %s, intensity %s",
                         msiz_imzml_value_type_name(info->mz_type),
                         msiz_imzml_value_type_name(info->intensity_type));
    return MSIZ_OK;
}
