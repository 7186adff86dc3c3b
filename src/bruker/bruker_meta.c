/* Metadata of a .d folder as one JSON object text, with the members Thyra stores
 * (bruker.md §7): format_specific, acquisition_params, instrument_info, raw_metadata. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "bruker/bruker_internal.h"
#include "common/alloc.h"
#include "common/error.h"
#include "common/json_text.h"

/* Each builder returns NULL when a constructor or a set fails, i.e. when memory runs out: text
 * from the database, the .mis or a path goes through msiz_json_text (ill-formed UTF-8 kept as
 * "\xNN" text; a fixed buffer may have cut a sequence), numbers through msiz_json_real (NaN
 * and infinities become null), so that NULL means nothing else. `bad` collects the -1 of
 * json_object_set_new / json_array_append_new (a NULL value included). */
static json_t *built(json_t *obj, int bad)
{
    if (bad || !obj) {
        json_decref(obj);
        return NULL;
    }
    return obj;
}

static json_t *meta_string(const msiz_bruker_db *db, const char *key)
{
    return msiz_json_text(msiz_bruker_meta(db, key));
}

static json_t *meta_number(const msiz_bruker_db *db, const char *key)
{
    double d;
    return msiz_bruker_meta_double(db, key, &d) == 0 ? msiz_json_real(d) : json_null();
}

/* A list of `n` values made by item(in, i); NULL when out of memory. */
static json_t *list_of(const msiz_bruker_meta_in *in, size_t n,
                       json_t *(*item)(const msiz_bruker_meta_in *in, size_t i))
{
    json_t *arr = json_array();
    int bad = !arr;
    for (size_t i = 0; !bad && i < n; i++)
        bad = json_array_append_new(arr, item(in, i)); /* releases the item on failure */
    return built(arr, bad);
}

static json_t *calibration_row(const msiz_bruker_meta_in *in, size_t i)
{
    const msiz_bruker_mzcal *m = &in->db->mzcal[i];
    json_t *coef = json_array();
    int n = m->model_type == 2 ? MSIZ_BRUKER_MAX_COEF : 5;
    for (int k = 0; coef && k < n; k++)
        if (json_array_append_new(coef, msiz_json_real(m->c[k])) != 0) {
            json_decref(coef);
            coef = NULL;
        }
    /* a NULL for "o" fails the pack, which releases the other values */
    return json_pack("{s:I,s:i,s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "Id", (json_int_t)m->id, "ModelType",
                     m->model_type, "DigitizerTimebase", msiz_json_real(m->timebase),
                     "DigitizerDelay", msiz_json_real(m->delay), "T1", msiz_json_real(m->t1), "T2",
                     msiz_json_real(m->t2), "dC1", msiz_json_real(m->dc1), "dC2",
                     msiz_json_real(m->dc2), "C", coef);
}

static json_t *calibration_json(const msiz_bruker_meta_in *in)
{
    json_t *cal = json_object();
    int bad = !cal;
    bad |= json_object_set_new(cal, "mz_conversion", json_string(in->mz_model));
    bad |= json_object_set_new(cal, "MzCalibration", list_of(in, in->db->n_mzcal, calibration_row));
    bad |= json_object_set_new(cal, "calibration_sqlite_present",
                               json_boolean(in->calibration_sqlite));
    return built(cal, bad);
}

/* [{region_number, n_frames, name}] in Thyra's naming order (name: i-th .mis Area). */
static json_t *regions_json(const msiz_bruker_meta_in *in, const msiz_bruker_region *r, size_t n)
{
    json_t *arr = json_array();
    int bad = !arr;
    for (size_t i = 0; !bad && i < n; i++) {
        const char *name = in->mis && i < in->mis->n_areas ? in->mis->area_names[i] : NULL;
        json_t *o = json_pack("{s:i,s:I,s:o}", "region_number", r[i].number, "n_frames",
                              (json_int_t)r[i].n_frames, "name", msiz_json_text(name));
        bad = json_array_append_new(arr, o); /* o NULL included; releases o on failure */
    }
    return built(arr, bad);
}

/* SpotName of each frame read, in spectrum order (spot runs). */
static json_t *spot_name(const msiz_bruker_meta_in *in, size_t i)
{
    return msiz_json_text(in->db->frames[in->sel[i]].spot_name);
}

static json_t *check_json(const msiz_bruker_meta_in *in, size_t i)
{
    return json_pack("{s:s,s:s,s:o}", "name", in->checks[i].name, "status", in->checks[i].status,
                     "detail", msiz_json_text(in->checks[i].detail));
}

static json_t *area_name(const msiz_bruker_meta_in *in, size_t i)
{
    return msiz_json_text(in->mis->area_names[i]);
}

static json_t *format_specific(const msiz_bruker_meta_in *in, const msiz_bruker_region *r,
                               size_t n_regions)
{
    const msiz_bruker_db *db = in->db;
    const char *fmt = db->is_tdf ? "bruker_tdf" : "bruker_tsf";
    json_t *o = json_object();
    int bad = !o;
    bad |= json_object_set_new(o, "bruker_format", json_string(fmt));
    bad |= json_object_set_new(o, "data_format", json_string(fmt));
    bad |= json_object_set_new(o, "data_path", msiz_json_text(db->d_path));
    bad |= json_object_set_new(o, "database_path", msiz_json_text(db->sqlite_path));
    bad |= json_object_set_new(o, "binary_file", msiz_json_text(db->bin_path));
    bad |= json_object_set_new(o, "is_maldi", json_boolean(db->has_maldi_info));
    bad |= json_object_set_new(o, "calibration", calibration_json(in));
    bad |= json_object_set_new(o, "spectra",
                               json_string(in->profile  ? "profile"
                                           : db->is_tdf ? "tdf_summed_over_scans"
                                                        : "line"));
    bad |= json_object_set_new(o, "intensity_scaling",
                               json_string(db->is_tdf ? "per_100ms_accumulation_summed_over_scans"
                                           : in->profile ? "raw_counts"
                                                         : "as_stored"));
    bad |= json_object_set_new(o, "acquisition", json_string(in->acquisition));
    bad |= json_object_set_new(o, "msms_frames_left_out", json_integer((json_int_t)in->n_msms));
    if (strcmp(in->acquisition, "spots") == 0)
        bad |= json_object_set_new(o, "spot_names", list_of(in, in->n_sel, spot_name));
    bad |= json_object_set_new(o, "checks", list_of(in, in->n_checks, check_json));
    bad |= json_object_set_new(o, "pixel_size_source", msiz_json_text(in->pixel_size_source));
    bad |= json_object_set_new(o, "mis_file",
                               msiz_json_text(in->mis && in->mis->found ? in->mis->path : NULL));
    bad |= json_object_set_new(o, "mis_area_names",
                               list_of(in, in->mis ? in->mis->n_areas : 0, area_name));
    bad |= json_object_set_new(o, "regions", regions_json(in, r, n_regions));
    bad |= json_object_set_new(o, "selected_region",
                               in->selected_region >= 0 ? json_integer(in->selected_region)
                                                        : json_null());
    bad |= json_object_set_new(o, "reader", json_string("msizarr (no vendor library)"));
    return built(o, bad);
}

static json_t *acquisition_params(const msiz_bruker_meta_in *in)
{
    const msiz_bruker_db *db = in->db;
    json_t *o = json_object();
    int bad = !o;
    bad |= json_object_set_new(o, "laser_power",
                               in->laser_power_set ? msiz_json_real(in->laser_power) : json_null());
    bad |= json_object_set_new(
        o, "laser_frequency", in->laser_rep_set ? msiz_json_real(in->laser_rep_rate) : json_null());
    bad |= json_object_set_new(o, "beam_scan_size_x",
                               db->has_laser ? msiz_json_real(db->beam_scan_x) : json_null());
    bad |= json_object_set_new(o, "beam_scan_size_y",
                               db->has_laser ? msiz_json_real(db->beam_scan_y) : json_null());
    bad |= json_object_set_new(o, "BeamScanSizeX",
                               db->has_laser ? msiz_json_real(db->beam_scan_x) : json_null());
    bad |= json_object_set_new(o, "BeamScanSizeY",
                               db->has_laser ? msiz_json_real(db->beam_scan_y) : json_null());
    bad |= json_object_set_new(o, "laser_spot_size",
                               db->has_laser ? msiz_json_real(db->spot_size) : json_null());
    bad |= json_object_set_new(o, "acquisition_datetime", meta_string(db, "AcquisitionDateTime"));
    bad |= json_object_set_new(o, "mz_acq_range_lower", meta_number(db, "MzAcqRangeLower"));
    bad |= json_object_set_new(o, "mz_acq_range_upper", meta_number(db, "MzAcqRangeUpper"));
    if (in->pixel_size_source) {
        bad |= json_object_set_new(o, "pixel_size_x_um", msiz_json_real(in->pixel_x));
        bad |= json_object_set_new(o, "pixel_size_y_um", msiz_json_real(in->pixel_y));
    }
    return built(o, bad);
}

static json_t *instrument_info(const msiz_bruker_db *db)
{
    json_t *o = json_object();
    int bad = !o;
    bad |= json_object_set_new(o, "instrument_name", meta_string(db, "InstrumentName"));
    bad |= json_object_set_new(o, "instrument_serial_number",
                               meta_string(db, "InstrumentSerialNumber"));
    bad |= json_object_set_new(o, "instrument_model", meta_string(db, "InstrumentModel"));
    bad |=
        json_object_set_new(o, "software_version", meta_string(db, "AcquisitionSoftwareVersion"));
    bad |= json_object_set_new(o, "mz_calibration_mode", meta_string(db, "MzCalibrationMode"));
    bad |= json_object_set_new(o, "instrument_vendor", meta_string(db, "InstrumentVendor"));
    return built(o, bad);
}

/* GlobalMetadata as {Key: Value}. SQLite TEXT need not be UTF-8: ill-formed bytes are kept
 * as "\xNN" text, so no row is lost (JSON holds UTF-8 only). Keys are data: the store gives
 * keys that are no portable Zarr name an escaped node name (issue 13 item 6). */
static json_t *global_metadata(const msiz_bruker_db *db)
{
    json_t *gm = json_object();
    int bad = !gm;
    for (size_t i = 0; !bad && i < db->n_meta; i++)
        bad = msiz_json_set_text_key(gm, db->meta[i].key, msiz_json_text(db->meta[i].value));
    return built(gm, bad);
}

static json_t *raw_metadata(const msiz_bruker_db *db)
{
    json_t *o = json_object();
    int bad = !o;
    bad |= json_object_set_new(o, "global_metadata", global_metadata(db));
    /* the laser row was written by load_laser: NULL here is out of memory */
    json_t *laser = db->laser_json ? json_loads(db->laser_json, 0, NULL) : json_object();
    bad |= json_object_set_new(o, "frame_info", laser);
    return built(o, bad);
}

msiz_status msiz_bruker_meta_json(const msiz_bruker_meta_in *in, char **out)
{
    msiz_bruker_region *regions;
    size_t n_regions;
    *out = NULL;
    msiz_status status = msiz_bruker_regions(in->db, &regions, &n_regions);
    if (status < 0)
        return status;
    json_t *root = json_object();
    int bad =
        !root ||
        json_object_set_new(root, "format_specific", format_specific(in, regions, n_regions)) ||
        json_object_set_new(root, "acquisition_params", acquisition_params(in)) ||
        json_object_set_new(root, "instrument_info", instrument_info(in->db)) ||
        json_object_set_new(root, "raw_metadata", raw_metadata(in->db));
    char *text = bad ? NULL : json_dumps(root, JSON_COMPACT | JSON_REAL_PRECISION(17));
    json_decref(root);
    msiz_free(regions);
    if (text) {
        *out = msiz_strdup(text);
        free(text);
    }
    if (!*out)
        return msiz_fail(MSIZ_E_NOMEM, "%s: out of memory for the metadata", in->db->d_path);
    return MSIZ_OK;
}
