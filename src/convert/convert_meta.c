/* Root attributes and uns contents, as Thyra's build_root_attrs / build_uns_metadata lay them
 * out (docs: output-layout §4-§5), built with jansson and handed to the store as JSON text. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include <jansson.h>

#include "common/alloc.h"
#include "common/error.h"
#include "common/json_text.h"
#include "convert/convert_internal.h"

#define DUMP_FLAGS (JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17))

/* The reader's metadata as an object; NULL when out of memory (the reader wrote it: it parses). */
static json_t *source_metadata(const msiz_conv *c)
{
    json_error_t err;
    json_t *m = json_loads(c->info->metadata_json ? c->info->metadata_json : "{}", 0, &err);
    if (m && !json_is_object(m)) {
        json_decref(m);
        m = json_object();
    }
    return m;
}

/* Copies m[key] into dst[as] when it is a non-empty object; -1 when out of memory. */
static int copy_section(json_t *dst, const char *as, json_t *m, const char *key)
{
    json_t *v = json_object_get(m, key);
    if (json_is_object(v) && json_object_size(v) > 0)
        return json_object_set(dst, as, v);
    return 0;
}

/* Copies the reader's sections into obj (renamed as as[i][0] from as[i][1]), dumps obj as text
 * and releases both objects. NULL on failure (obj or m NULL included). */
static char *dump_with_sections(json_t *obj, json_t *m, const char *const (*as)[2], int n)
{
    int failed = !obj || !m;
    for (int i = 0; !failed && i < n; i++)
        failed = copy_section(obj, as[i][0], m, as[i][1]) != 0;
    char *text = failed ? NULL : json_dumps(obj, DUMP_FLAGS);
    json_decref(obj);
    json_decref(m);
    return text;
}

static void timestamp(char *buf, size_t size)
{
    struct timeval tv;
    struct tm tm;
    gettimeofday(&tv, NULL);
    localtime_r(&tv.tv_sec, &tm);
    size_t n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, size - n, ".%06ld", (long)tv.tv_usec);
}

static json_t *detection_info(const msiz_conv *c)
{
    const char *fmt = c->info->format == MSIZ_FORMAT_IMZML ? "imzml" : "bruker";
    if (c->pixel_size_manual)
        return json_pack("{s:s, s:s, s:b, s:s}", "method", "manual", "source_format", fmt,
                         "detection_successful", 0, "note",
                         "Pixel size manually specified via --pixel-size parameter");
    return json_pack("{s:s, s:f, s:f, s:s, s:b, s:s}", "method", "automatic", "detected_x_um",
                     c->pixel_size, "detected_y_um", c->pixel_size, "source_format", fmt,
                     "detection_successful", 1, "note",
                     "Pixel size automatically detected from source metadata");
}

char *msiz_conv_root_attrs_json(const msiz_conv *c)
{
    char ts[64], produced[64], conv[64];
    double ps = c->pixel_size;
    timestamp(ts, sizeof ts);
    snprintf(produced, sizeof produced, "msizarr/%s", msiz_version());
    snprintf(conv, sizeof conv, "msizarr %s", msiz_version());
    json_t *m = source_metadata(c);
    json_t *root = json_pack(
        "{s:f, s:f, s:s, s:s, s:s, s:s, s:{s:{s:s, s:f, s:f, s:n, s:i, s:s}}, s:o, "
        "s:{s:s, s:I, s:I, s:[i, i, i]}}",
        "pixel_size_x_um", ps, "pixel_size_y_um", ps, "pixel_size_units", "micrometers",
        "coordinate_system", "physical_micrometers", "msi_converter_version", conv,
        "conversion_timestamp", ts, "coordinate_systems", "global", "unit", "micrometer",
        "pixel_size_um_x", ps, "pixel_size_um_y", ps, "reference_element", "convention_version", 1,
        "produced_by", produced, "pixel_size_detection_info", detection_info(c), "msi_dataset_info",
        "dataset_id", c->o->dataset_id, "total_grid_pixels",
        (json_int_t)((int64_t)c->n_x * c->n_y * c->n_z), "non_empty_pixels",
        (json_int_t)c->nonempty, "dimensions_xyz", c->n_x, c->n_y, c->n_z);
    if (root && c->o->handle_3d &&
        (json_object_set_new(root, "z_spacing_um",
                             json_real(c->o->has_z_spacing ? c->o->z_spacing_um : ps)) != 0 ||
         json_object_set_new(root, "z_spacing_source",
                             json_string(c->o->has_z_spacing ? "manual" : "pixel_size")) != 0)) {
        json_decref(root);
        root = NULL;
    }
    static const char *const as[3][2] = {{"format_specific_metadata", "format_specific"},
                                         {"acquisition_parameters", "acquisition_params"},
                                         {"instrument_information", "instrument_info"}};
    return dump_with_sections(root, m, as, 3);
}

static const char *spectrum_type_text(const msiz_conv *c)
{
    msiz_spectrum_type t =
        c->o->spectrum_type != MSIZ_SPECTRUM_UNKNOWN ? c->o->spectrum_type : c->info->spectrum_type;
    return t == MSIZ_SPECTRUM_CENTROID  ? "centroid spectrum"
           : t == MSIZ_SPECTRUM_PROFILE ? "profile spectrum"
                                        : NULL;
}

static int by_number(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

/* Thyra 3.x (timstof_reader.get_region_map): a region map exists only when the run has more
 * than one region; with --region it holds the selected region's pixels only. The regions
 * come from the reader's format_specific.regions (all regions of the run). */
msiz_status msiz_conv_regions(msiz_conv *c)
{
    msiz_status status = MSIZ_OK;
    json_t *m = source_metadata(c);
    MSIZ_FAIL_IF(!m, MSIZ_E_NOMEM, "%s: out of memory reading the metadata", c->input);
    json_t *fs = json_object_get(m, "format_specific");
    json_t *list = json_object_get(fs, "regions"), *sel = json_object_get(fs, "selected_region");
    size_t n = json_is_array(list) ? json_array_size(list) : 0;
    if (n > 1) {
        c->region_ids = msiz_malloc(n * sizeof *c->region_ids);
        MSIZ_FAIL_IF(!c->region_ids, MSIZ_E_NOMEM, "out of memory for %zu regions", n);
        for (size_t i = 0; i < n; i++) {
            json_t *r = json_object_get(json_array_get(list, i), "region_number");
            if (!json_is_integer(r) || (json_is_integer(sel) && !json_equal(r, sel)))
                continue;
            c->region_ids[c->n_regions++] = (int32_t)json_integer_value(r);
        }
        qsort(c->region_ids, c->n_regions, sizeof *c->region_ids, by_number);
    }
cleanup:
    json_decref(m);
    return status;
}

/* uns/regions as Python's json.dumps writes Thyra's region info: with a region map every
 * region of the run (frame count descending) with its frame count and .mis name if any, else
 * one region 1 holding the stored rows. */
static char *regions_text(const msiz_conv *c, json_t *m, uint64_t n_rows)
{
    char one[128];
    if (c->n_regions == 0) {
        snprintf(one, sizeof one, "[{\"region_number\": 1, \"n_spectra\": %llu}]",
                 (unsigned long long)n_rows);
        return strdup(one);
    }
    json_t *list = json_object_get(json_object_get(m, "format_specific"), "regions");
    json_t *out = json_array(), *r;
    size_t i;
    json_array_foreach(list, i, r)
    {
        json_t *o = json_pack("{s:O, s:O}", "region_number", json_object_get(r, "region_number"),
                              "n_spectra", json_object_get(r, "n_frames"));
        json_t *name = json_object_get(r, "name");
        if (o && json_is_string(name) && json_string_length(name) > 0 &&
            json_object_set(o, "name", name) != 0) {
            json_decref(o);
            o = NULL;
        }
        if (json_array_append_new(out, o) != 0) { /* o or out NULL included; frees o */
            json_decref(out);
            out = NULL;
        }
    }
    /* not compact: ", " and ": " separators, as json.dumps */
    char *text = out ? json_dumps(out, JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII) : NULL;
    json_decref(out);
    return text;
}

char *msiz_conv_uns_json(const msiz_conv *c, uint64_t n_rows)
{
    json_t *m = source_metadata(c);
    char *regions = m ? regions_text(c, m, n_rows) : NULL;
    json_t *em = json_pack("{s:o, s:[i, i, i], s:[f, f], s:s}", "source_path",
                           msiz_json_text(c->input), /* a path need not be UTF-8 */
                           "dimensions", c->n_x, c->n_y, c->n_z, "mass_range", c->data_mz_min,
                           c->data_mz_max, "msizarr_version", msiz_version());
    const char *st = spectrum_type_text(c);
    if (em && st && json_object_set_new(em, "spectrum_type", json_string(st)) != 0) {
        json_decref(em);
        em = NULL; /* the pack below fails */
    }
    json_t *uns = regions ? json_pack("{s:o, s:s}", "essential_metadata", em, "regions", regions)
                          : (json_decref(em), NULL);
    static const char *const as[4][2] = {{"format_specific", "format_specific"},
                                         {"acquisition_params", "acquisition_params"},
                                         {"instrument_info", "instrument_info"},
                                         {"raw_metadata", "raw_metadata"}};
    char *text = dump_with_sections(uns, m, as, 4);
    free(regions);
    return text;
}
