/* The metadata JSON of an imzML source (imzml.md §12, Thyra parity): format_specific,
 * acquisition_params, instrument_info and raw_metadata: pyimzML's imzmldict keys typed as
 * pyimzML types them, `cvParams` (the fileContent params Thyra lists) and `header_params`
 * (every cvParam and userParam of the header), both as lists of string records, which the
 * store writes as dataframes. format_specific.checks lists what the reader checked. */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/json_text.h"
#include "imzml/imzml_internal.h"

/* Every builder below returns NULL when a constructor or a set fails (out of memory): `bad`
 * collects the -1 of json_object_set_new / json_array_append_new (a NULL value included). */

/* obj[key] = value as text when value is set (paths and check details need not be UTF-8). */
static int set_str(json_t *obj, const char *key, const char *value)
{
    return value ? json_object_set_new(obj, key, msiz_json_text(value)) : 0;
}

static json_t *built(json_t *obj, int bad)
{
    if (bad || !obj) {
        json_decref(obj);
        return NULL;
    }
    return obj;
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
    int bad = !list;
    for (int i = 0; !bad && i < h->n_checks; i++) {
        json_t *c = json_object();
        bad = !c || set_str(c, "name", h->checks[i].name) ||
              set_str(c, "status", h->checks[i].status) ||
              set_str(c, "detail", h->checks[i].detail);
        if (bad)
            json_decref(c);
        else
            bad = json_array_append_new(list, c); /* releases c on failure */
    }
    return built(list, bad);
}

static json_t *format_specific(const imzml_header *h, const char *ibd_path)
{
    json_t *fs = json_object();
    int bad = !fs;
    bad |= set_str(fs, "imzml_version", "1.1.0");
    bad |= set_str(fs, "file_mode", h->mode == IMZ_MODE_CONTINUOUS ? "continuous" : "processed");
    bad |= set_str(fs, "ibd_file", ibd_path);
    bad |= json_object_set_new(fs, "uuid", uuid_json(h->uuid));
    bad |= json_object_set_new(fs, "spectrum_count", json_integer((json_int_t)h->n_recs));
    bad |= json_object_set_new(fs, "scan_settings", json_object());
    bad |= json_object_set_new(fs, "scan_settings_blocks", json_integer(h->n_scan_settings));
    static const char *sums[3] = {"ibd_md5", "ibd_sha1", "ibd_sha256"};
    for (int i = 0; i < 3; i++)
        bad |= set_str(fs, sums[i], h->checksum[i]);
    bad |= json_object_set_new(fs, "checks", checks_json(h));
    return built(fs, bad);
}

static json_t *acquisition_params(const imzml_header *h)
{
    json_t *ap = json_object();
    int bad = !ap;
    bad |=
        set_str(ap, "scan_direction", h->scan_direction ? h->scan_direction : h->linescan_sequence);
    bad |= set_str(ap, "scan_pattern", h->scan_pattern);
    bad |= set_str(ap, "scan_type", h->scan_type);
    bad |= set_str(ap, "laser_power", h->dict_value[10]);    /* MS:1000846 pulse energy */
    bad |= set_str(ap, "laser_spot_size", h->dict_value[8]); /* MS:1000844 focus diameter x */
    return built(ap, bad);
}

static json_t *instrument_info(const imzml_header *h)
{
    json_t *ii = json_object();
    int bad = !ii;
    bad |= set_str(ii, "instrument_model", h->instrument_model);
    bad |= set_str(ii, "instrument_serial_number", h->instrument_serial);
    bad |= set_str(ii, "software", h->software);
    bad |= set_str(ii, "software_version", h->software_version);
    return built(ii, bad);
}

/* Python's int() / float() of a cvParam value, as pyimzML converts it; JSON null when the text
 * is no such number (the key is then left out), NULL when out of memory. */
static json_t *typed_value(const char *text, int integer)
{
    char *end;
    errno = 0;
    if (integer) {
        long long v = strtoll(text, &end, 10);
        while (*end == ' ')
            end++;
        return end != text && !*end && !errno ? json_integer(v) : json_null();
    }
    double d = strtod(text, &end);
    while (*end == ' ')
        end++;
    return end != text && !*end && isfinite(d) ? json_real(d) : json_null();
}

/* pyimzML's imzmldict: each term's first value, converted as pyimzML's ontology types it (a
 * value that does not convert is left out, as pyimzML leaves it out), then the
 * `max count of pixels z` it adds: the largest z (1 when the file gives none). */
static int pyimzml_dict(const imzml_header *h, json_t *raw)
{
    int bad = 0;
    for (int k = 0; k < IMZ_DICT_TERMS; k++) {
        json_t *j = h->dict_value[k]
                        ? typed_value(h->dict_value[k], msiz_imzml_dict_terms[k].integer)
                        : json_null();
        if (!json_is_null(j)) /* NULL (out of memory) included */
            bad |= json_object_set_new(raw, msiz_imzml_dict_terms[k].key, j);
    }
    if (h->n_recs)
        bad |= json_object_set_new(raw, "max count of pixels z", json_integer(h->max_z));
    return bad;
}

static int by_rank(const void *a, const void *b)
{
    const imzml_kv *x = *(const imzml_kv *const *)a, *y = *(const imzml_kv *const *)b;
    if (x->rank != y->rank)
        return x->rank < y->rank ? -1 : 1;
    return x < y ? -1 : x > y; /* stable: document order within a rank */
}

static json_t *param_record(const imzml_kv *kv, int with_section)
{
    json_t *o = json_object();
    int bad = !o;
    if (with_section) {
        bad |= set_str(o, "section", kv->section);
        bad |= set_str(o, "element", kv->user ? "userParam" : "cvParam");
    }
    bad |= set_str(o, "name", kv->name);
    bad |= set_str(o, "value", kv->value);
    bad |= set_str(o, "accession", kv->accession);
    bad |= set_str(o, "unit_accession", kv->unit_accession);
    bad |= set_str(o, "unit_name", kv->unit_name);
    if (with_section)
        bad |= set_str(o, "type", kv->type);
    return built(o, bad);
}

/* Thyra's raw_metadata.cvParams: pyimzML's fileContent param_by_name, i.e. one row per name,
 * at the place its name first appears (userParams, then cvParams, then the referenced groups'
 * params for names not seen yet), with the value seen last (a group's never overrides). */
static json_t *file_cv_params(const imzml_header *h)
{
    json_t *rows = json_array(), *row_of = json_object();
    const imzml_kv **sorted = msiz_malloc((h->n_file_params + 1) * sizeof *sorted);
    int bad = !rows || !row_of || !sorted;
    for (size_t i = 0; !bad && i < h->n_file_params; i++)
        sorted[i] = &h->file_params[i];
    if (!bad)
        qsort(sorted, h->n_file_params, sizeof *sorted, by_rank);
    for (size_t i = 0; !bad && i < h->n_file_params; i++) {
        const imzml_kv *kv = sorted[i];
        json_t *seen = json_object_get(row_of, kv->name);
        if (!seen)
            bad = json_object_set_new(row_of, kv->name,
                                      json_integer((json_int_t)json_array_size(rows))) ||
                  json_array_append_new(rows, param_record(kv, 0));
        else if (kv->rank <= 1)
            bad = json_array_set_new(rows, (size_t)json_integer_value(seen), param_record(kv, 0));
    }
    msiz_free(sorted);
    json_decref(row_of);
    return built(rows, bad);
}

static json_t *raw_metadata(const imzml_header *h)
{
    json_t *raw = json_object();
    int bad = !raw || pyimzml_dict(h, raw);
    json_t *params = bad ? NULL : file_cv_params(h);
    bad |= !params || (json_array_size(params) > 0 && json_object_set(raw, "cvParams", params));
    json_decref(params);
    json_t *all = bad ? NULL : json_array();
    bad |= !all;
    for (size_t i = 0; !bad && i < h->n_header_params; i++)
        bad = json_array_append_new(all, param_record(&h->header_params[i], 1));
    bad |= !bad && json_array_size(all) > 0 && json_object_set(raw, "header_params", all);
    json_decref(all);
    return built(raw, bad);
}

char *msiz_imzml_metadata_json(const imzml_header *h, const char *ibd_path)
{
    json_t *root = json_object();
    if (!root)
        return NULL;
    int bad = json_object_set_new(root, "format_specific", format_specific(h, ibd_path)) ||
              json_object_set_new(root, "acquisition_params", acquisition_params(h)) ||
              json_object_set_new(root, "instrument_info", instrument_info(h)) ||
              json_object_set_new(root, "raw_metadata", raw_metadata(h));
    char *text = bad ? NULL : json_dumps(root, JSON_PRESERVE_ORDER | JSON_COMPACT);
    json_decref(root);
    if (!text)
        return NULL;
    char *copy = msiz_strdup(text); /* the source frees with msiz_free */
    free(text);
    return copy;
}
