/* The summary of a source as JSON text: what `msizarr info --json` prints and msizarr.info()
 * returns, built in one place so the command line and the Python package agree. */
#include <jansson.h>
#include <stdlib.h>

#include "common/error.h"
#include "common/json_text.h"
#include "source/source_internal.h"

static const char *format_name(msiz_source_format f)
{
    return f == MSIZ_FORMAT_IMZML        ? "imzML"
           : f == MSIZ_FORMAT_BRUKER_TSF ? "Bruker TSF"
                                         : "Bruker TDF";
}

static const char *type_name(msiz_value_type t)
{
    static const char *names[] = {"float32", "float64", "int32",    "int64",
                                  "int8",    "int16",   "tof-index"};
    return (unsigned)t < sizeof names / sizeof names[0] ? names[t] : "unknown";
}

static const char *repr_name(msiz_spectrum_type t)
{
    return t == MSIZ_SPECTRUM_CENTROID  ? "centroid"
           : t == MSIZ_SPECTRUM_PROFILE ? "profile"
                                        : "unknown";
}

static const char *polarity_name(msiz_polarity p)
{
    static const char *names[] = {"unknown", "positive", "negative", "mixed"};
    return (unsigned)p < 4 ? names[p] : "unknown";
}

static const char *mode_of(const msiz_source_info *info, json_t *meta)
{
    const char *mode =
        json_string_value(json_object_get(json_object_get(meta, "format_specific"), "file_mode"));
    return mode ? mode : info->continuous ? "continuous" : "processed";
}

/* Adds key -> value (taking the reference); 0, or -1 when value is NULL or the set fails. */
static int put(json_t *o, const char *key, json_t *value)
{
    return value ? json_object_set_new(o, key, value) : -1;
}

static json_t *pair_or_null(int has, double a, double b)
{
    return has ? json_pack("[oo]", msiz_json_real(a), msiz_json_real(b)) : json_null();
}

/* Every member in the order the CLI has always printed them; NULL when out of memory. */
static json_t *build(const msiz_source_info *info, json_t *meta)
{
    json_t *o = json_object();
    json_t *checks = json_object_get(json_object_get(meta, "format_specific"), "checks");
    int bad = !o;
    bad = bad || put(o, "path", msiz_json_text(info->path)); /* a path need not be UTF-8 */
    bad = bad || put(o, "format", json_string(format_name(info->format)));
    bad = bad || put(o, "mode", json_string(mode_of(info, meta)));
    bad = bad || put(o, "n_spectra", json_integer((json_int_t)info->n_spectra));
    bad = bad || put(o, "total_peaks", json_integer((json_int_t)info->total_peaks));
    bad = bad || put(o, "grid", json_pack("[iii]", info->n_x, info->n_y, info->n_z));
    bad = bad ||
          put(o, "pixel_size_um",
              pair_or_null(info->has_pixel_size, info->pixel_size_x_um, info->pixel_size_y_um));
    bad =
        bad || put(o, "mass_range", pair_or_null(info->has_mass_range, info->mz_min, info->mz_max));
    bad = bad || put(o, "mz_type", json_string(type_name(info->mz_type)));
    bad = bad || put(o, "intensity_type", json_string(type_name(info->intensity_type)));
    bad = bad || put(o, "spectrum_type", json_string(repr_name(info->spectrum_type)));
    bad = bad || put(o, "spectrum_type_declared", json_boolean(info->spectrum_type_declared));
    bad = bad || put(o, "polarity", json_string(polarity_name(info->polarity)));
    bad = bad || put(o, "checks", checks ? json_incref(checks) : json_array());
    bad = bad || put(o, "metadata", json_incref(meta));
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

msiz_status msiz_source_info_json(msiz_source *src, const char **json)
{
    *json = NULL;
    if (!src->info_json) {
        const msiz_source_info *info = &src->info;
        json_t *meta = json_loads(info->metadata_json ? info->metadata_json : "{}", 0, NULL);
        if (meta && !json_is_object(meta)) { /* the readers write an object; NULL: no memory */
            json_decref(meta);
            meta = json_object();
        }
        json_t *o = meta ? build(info, meta) : NULL;
        src->info_json =
            o ? json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17))
              : NULL;
        json_decref(o);
        json_decref(meta);
        if (!src->info_json)
            return msiz_fail(MSIZ_E_NOMEM, "%s: out of memory for the summary", info->path);
    }
    *json = src->info_json;
    return MSIZ_OK;
}
