/* The metadata JSON of an imzML source (imzml.md §12, Thyra parity): format_specific,
 * acquisition_params, instrument_info and raw_metadata (pyimzML's imzmldict keys plus the
 * fileContent cvParams as a JSON string). format_specific.checks lists what the reader checked. */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "imzml/imzml_internal.h"

static void set_str(json_t *obj, const char *key, const char *value)
{
    if (value)
        json_object_set_new(obj, key, json_string(value));
}

/* The UUID as Thyra stores it: the header's string with braces stripped. */
static json_t *uuid_json(const char *uuid)
{
    if (!uuid)
        return json_null();
    size_t n = strlen(uuid);
    const char *start = uuid;
    if (n >= 2 && uuid[0] == '{' && uuid[n - 1] == '}')
        start++, n -= 2;
    return json_stringn(start, n);
}

static json_t *checks_json(const imzml_header *h)
{
    json_t *list = json_array();
    for (int i = 0; i < h->n_checks; i++) {
        json_t *c = json_object();
        set_str(c, "name", h->checks[i].name);
        set_str(c, "status", h->checks[i].status);
        set_str(c, "detail", h->checks[i].detail);
        json_array_append_new(list, c);
    }
    return list;
}

static json_t *format_specific(const imzml_header *h, const char *ibd_path)
{
    json_t *fs = json_object();
    set_str(fs, "imzml_version", "1.1.0");
    set_str(fs, "file_mode", h->mode == IMZ_MODE_CONTINUOUS ? "continuous" : "processed");
    set_str(fs, "ibd_file", ibd_path);
    json_object_set_new(fs, "uuid", uuid_json(h->uuid));
    json_object_set_new(fs, "spectrum_count", json_integer((json_int_t)h->n_recs));
    json_object_set_new(fs, "scan_settings", json_object());
    json_object_set_new(fs, "scan_settings_blocks", json_integer(h->n_scan_settings));
    static const char *sums[3] = {"ibd_md5", "ibd_sha1", "ibd_sha256"};
    for (int i = 0; i < 3; i++)
        set_str(fs, sums[i], h->checksum[i]);
    json_object_set_new(fs, "checks", checks_json(h));
    return fs;
}

static json_t *acquisition_params(const imzml_header *h)
{
    json_t *ap = json_object();
    set_str(ap, "scan_direction", h->scan_direction ? h->scan_direction : h->linescan_sequence);
    set_str(ap, "scan_pattern", h->scan_pattern);
    set_str(ap, "scan_type", h->scan_type);
    set_str(ap, "laser_power", h->laser[3]);     /* MS:1000846 pulse energy */
    set_str(ap, "laser_spot_size", h->laser[1]); /* MS:1000844 focus diameter x */
    return ap;
}

static json_t *instrument_info(const imzml_header *h)
{
    json_t *ii = json_object();
    set_str(ii, "instrument_model", h->instrument_model);
    set_str(ii, "instrument_serial_number", h->instrument_serial);
    set_str(ii, "software", h->software);
    set_str(ii, "software_version", h->software_version);
    return ii;
}

static const char *settings_value(const imzml_header *h, const char *accession)
{
    for (size_t i = 0; i < h->n_settings; i++)
        if (strcmp(h->settings[i].accession, accession) == 0)
            return h->settings[i].value;
    return NULL;
}

/* Python's int() / float() of a cvParam value, as pyimzML converts it; NULL when it fails. */
static json_t *typed_value(const char *text, int integer)
{
    char *end;
    errno = 0;
    if (integer) {
        long long v = strtoll(text, &end, 10);
        while (*end == ' ')
            end++;
        return end != text && !*end && !errno ? json_integer(v) : NULL;
    }
    double d = strtod(text, &end);
    while (*end == ' ')
        end++;
    return end != text && !*end && isfinite(d) ? json_real(d) : NULL;
}

/* pyimzML's imzmldict: each list is read in order and stops at the first missing term. */
static void pyimzml_dict(const imzml_header *h, json_t *raw)
{
    static const struct {
        const char *acc, *key;
        int integer;
    } settings[] = {{"IMS:1000042", "max count of pixels x", 1},
                    {"IMS:1000043", "max count of pixels y", 1},
                    {"IMS:1000044", "max dimension x", 1},
                    {"IMS:1000045", "max dimension y", 1},
                    {"IMS:1000046", "pixel size x", 0},
                    {"IMS:1000047", "pixel size y", 0},
                    {"MS:1000835", "matrix solution concentration", 0}};
    static const char *laser_keys[6] = {"wavelength",   "focus diameter x", "focus diameter y",
                                        "pulse energy", "pulse duration",   "attenuation"};
    for (size_t i = 0; i < sizeof settings / sizeof settings[0]; i++) {
        const char *v = settings_value(h, settings[i].acc);
        if (!v)
            break;
        json_t *j = typed_value(v, settings[i].integer);
        if (j)
            json_object_set_new(raw, settings[i].key, j);
    }
    for (int i = 0; i < 6 && h->laser[i]; i++) {
        json_t *j = typed_value(h->laser[i], 0);
        if (j)
            json_object_set_new(raw, laser_keys[i], j);
    }
}

static json_t *raw_metadata(const imzml_header *h)
{
    json_t *raw = json_object();
    pyimzml_dict(h, raw);
    json_t *params = json_array();
    for (size_t i = 0; i < h->n_file_params; i++) {
        json_t *p = json_object();
        set_str(p, "name", h->file_params[i].name);
        set_str(p, "value", h->file_params[i].value);
        json_array_append_new(params, p);
    }
    char *text = json_dumps(params, JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
    json_decref(params);
    if (text) {
        json_object_set_new(raw, "cvParams", json_string(text));
        free(text);
    }
    return raw;
}

char *msiz_imzml_metadata_json(const imzml_header *h, const char *ibd_path)
{
    json_t *root = json_object();
    if (!root)
        return NULL;
    json_object_set_new(root, "format_specific", format_specific(h, ibd_path));
    json_object_set_new(root, "acquisition_params", acquisition_params(h));
    json_object_set_new(root, "instrument_info", instrument_info(h));
    json_object_set_new(root, "raw_metadata", raw_metadata(h));
    char *text = json_dumps(root, JSON_PRESERVE_ORDER | JSON_COMPACT);
    json_decref(root);
    if (!text)
        return NULL;
    char *copy = msiz_strdup(text); /* the source frees with msiz_free */
    free(text);
    return copy;
}
