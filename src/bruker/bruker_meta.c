/* Metadata of a .d folder as one JSON object text, with the members Thyra stores
 * (bruker.md §7): format_specific, acquisition_params, instrument_info, raw_metadata. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "bruker/bruker_internal.h"
#include "common/alloc.h"
#include "common/error.h"
#include "common/utf8.h"

/* A string from the file (possibly cut inside a UTF-8 sequence by a fixed buffer): the text, or
 * null when it is not valid UTF-8. */
static json_t *text(const char *s)
{
    json_t *v = json_string(s);
    return v ? v : json_null();
}

static json_t *meta_string(const msiz_bruker_db *db, const char *key)
{
    const char *v = msiz_bruker_meta(db, key);
    return v ? json_string(v) : json_null();
}

static json_t *meta_number(const msiz_bruker_db *db, const char *key)
{
    double d;
    return msiz_bruker_meta_double(db, key, &d) == 0 ? json_real(d) : json_null();
}

static json_t *calibration_json(const msiz_bruker_meta_in *in)
{
    const msiz_bruker_db *db = in->db;
    json_t *cal = json_object();
    json_object_set_new(cal, "mz_conversion", json_string(in->mz_model));
    json_t *rows = json_array();
    for (size_t i = 0; i < db->n_mzcal; i++) {
        const msiz_bruker_mzcal *m = &db->mzcal[i];
        json_t *row =
            json_pack("{s:I,s:i,s:f,s:f,s:f,s:f,s:f,s:f}", "Id", (json_int_t)m->id, "ModelType",
                      m->model_type, "DigitizerTimebase", m->timebase, "DigitizerDelay", m->delay,
                      "T1", m->t1, "T2", m->t2, "dC1", m->dc1, "dC2", m->dc2);
        json_t *coef = json_array();
        int n = m->model_type == 2 ? MSIZ_BRUKER_MAX_COEF : 5;
        for (int k = 0; k < n; k++)
            json_array_append_new(coef, json_real(m->c[k]));
        json_object_set_new(row, "C", coef);
        json_array_append_new(rows, row);
    }
    json_object_set_new(cal, "MzCalibration", rows);
    json_object_set_new(cal, "calibration_sqlite_present", json_boolean(in->calibration_sqlite));
    return cal;
}

/* [{region_number, n_frames, name}] in Thyra's naming order (name: i-th .mis Area). */
static json_t *regions_json(const msiz_bruker_meta_in *in, const msiz_bruker_region *r, size_t n)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        const char *name = in->mis && i < in->mis->n_areas ? in->mis->area_names[i] : NULL;
        json_t *o = json_object();
        json_object_set_new(o, "region_number", json_integer(r[i].number));
        json_object_set_new(o, "n_frames", json_integer((json_int_t)r[i].n_frames));
        json_object_set_new(o, "name", name ? json_string(name) : json_null());
        json_array_append_new(arr, o);
    }
    return arr;
}

/* SpotName of each frame read, in spectrum order (spot runs). */
static json_t *spot_names(const msiz_bruker_meta_in *in)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < in->n_sel; i++)
        json_array_append_new(arr, text(in->db->frames[in->sel[i]].spot_name));
    return arr;
}

static json_t *checks_json(const msiz_bruker_meta_in *in)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < in->n_checks; i++)
        json_array_append_new(arr, json_pack("{s:s,s:s,s:o}", "name", in->checks[i].name, "status",
                                             in->checks[i].status, "detail",
                                             text(in->checks[i].detail)));
    return arr;
}

static json_t *format_specific(const msiz_bruker_meta_in *in, const msiz_bruker_region *r,
                               size_t n_regions)
{
    const msiz_bruker_db *db = in->db;
    const char *fmt = db->is_tdf ? "bruker_tdf" : "bruker_tsf";
    json_t *o = json_object();
    json_object_set_new(o, "bruker_format", json_string(fmt));
    json_object_set_new(o, "data_format", json_string(fmt));
    json_object_set_new(o, "data_path", json_string(db->d_path));
    json_object_set_new(o, "database_path", json_string(db->sqlite_path));
    json_object_set_new(o, "binary_file", json_string(db->bin_path));
    json_object_set_new(o, "is_maldi", json_boolean(db->has_maldi_info));
    json_object_set_new(o, "calibration", calibration_json(in));
    json_object_set_new(o, "spectra",
                        json_string(in->profile  ? "profile"
                                    : db->is_tdf ? "tdf_summed_over_scans"
                                                 : "line"));
    json_object_set_new(o, "intensity_scaling",
                        json_string(db->is_tdf    ? "per_100ms_accumulation_summed_over_scans"
                                    : in->profile ? "raw_counts"
                                                  : "as_stored"));
    json_object_set_new(o, "acquisition", json_string(in->acquisition));
    json_object_set_new(o, "msms_frames_left_out", json_integer((json_int_t)in->n_msms));
    if (strcmp(in->acquisition, "spots") == 0)
        json_object_set_new(o, "spot_names", spot_names(in));
    json_object_set_new(o, "checks", checks_json(in));
    json_object_set_new(o, "pixel_size_source",
                        in->pixel_size_source ? json_string(in->pixel_size_source) : json_null());
    json_object_set_new(o, "mis_file",
                        in->mis && in->mis->found ? json_string(in->mis->path) : json_null());
    json_t *areas = json_array();
    for (size_t i = 0; in->mis && i < in->mis->n_areas; i++)
        json_array_append_new(areas, json_string(in->mis->area_names[i]));
    json_object_set_new(o, "mis_area_names", areas);
    json_object_set_new(o, "regions", regions_json(in, r, n_regions));
    json_object_set_new(o, "selected_region",
                        in->selected_region >= 0 ? json_integer(in->selected_region) : json_null());
    json_object_set_new(o, "reader", json_string("msizarr (no vendor library)"));
    return o;
}

static json_t *acquisition_params(const msiz_bruker_meta_in *in)
{
    const msiz_bruker_db *db = in->db;
    json_t *o = json_object();
    json_t *laser = db->laser_json ? json_loads(db->laser_json, 0, NULL) : NULL;
    json_object_set_new(o, "laser_power",
                        in->laser_power_set ? json_real(in->laser_power) : json_null());
    json_object_set_new(o, "laser_frequency",
                        in->laser_rep_set ? json_real(in->laser_rep_rate) : json_null());
    json_object_set_new(o, "beam_scan_size_x",
                        db->has_laser ? json_real(db->beam_scan_x) : json_null());
    json_object_set_new(o, "beam_scan_size_y",
                        db->has_laser ? json_real(db->beam_scan_y) : json_null());
    json_object_set_new(o, "BeamScanSizeX",
                        db->has_laser ? json_real(db->beam_scan_x) : json_null());
    json_object_set_new(o, "BeamScanSizeY",
                        db->has_laser ? json_real(db->beam_scan_y) : json_null());
    json_object_set_new(o, "laser_spot_size",
                        db->has_laser ? json_real(db->spot_size) : json_null());
    json_object_set_new(o, "acquisition_datetime", meta_string(db, "AcquisitionDateTime"));
    json_object_set_new(o, "mz_acq_range_lower", meta_number(db, "MzAcqRangeLower"));
    json_object_set_new(o, "mz_acq_range_upper", meta_number(db, "MzAcqRangeUpper"));
    if (in->pixel_size_source) {
        json_object_set_new(o, "pixel_size_x_um", json_real(in->pixel_x));
        json_object_set_new(o, "pixel_size_y_um", json_real(in->pixel_y));
    }
    json_decref(laser);
    return o;
}

static json_t *instrument_info(const msiz_bruker_db *db)
{
    json_t *o = json_object();
    json_object_set_new(o, "instrument_name", meta_string(db, "InstrumentName"));
    json_object_set_new(o, "instrument_serial_number", meta_string(db, "InstrumentSerialNumber"));
    json_object_set_new(o, "instrument_model", meta_string(db, "InstrumentModel"));
    json_object_set_new(o, "software_version", meta_string(db, "AcquisitionSoftwareVersion"));
    json_object_set_new(o, "mz_calibration_mode", meta_string(db, "MzCalibrationMode"));
    json_object_set_new(o, "instrument_vendor", meta_string(db, "InstrumentVendor"));
    return o;
}

/* GlobalMetadata as {Key: Value}. SQLite TEXT need not be UTF-8: ill-formed bytes are kept
 * as "\xNN" text, so no row is lost (JSON holds UTF-8 only). Keys are data: the store gives
 * keys that are no portable Zarr name an escaped node name (issue 13 item 6). */
static json_t *global_metadata(const msiz_bruker_db *db)
{
    json_t *gm = json_object();
    for (size_t i = 0; gm && i < db->n_meta; i++) {
        char *key = msiz_utf8_escape(db->meta[i].key);
        char *value = msiz_utf8_escape(db->meta[i].value);
        if (key && value)
            json_object_set_new(gm, key, json_string(value));
        msiz_free(key);
        msiz_free(value);
    }
    return gm;
}

static json_t *raw_metadata(const msiz_bruker_db *db)
{
    json_t *o = json_object();
    json_t *gm = global_metadata(db);
    json_object_set_new(o, "global_metadata", gm);
    json_t *laser = db->laser_json ? json_loads(db->laser_json, 0, NULL) : NULL;
    json_object_set_new(o, "frame_info", laser ? laser : json_object());
    return o;
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
    if (root) {
        json_object_set_new(root, "format_specific", format_specific(in, regions, n_regions));
        json_object_set_new(root, "acquisition_params", acquisition_params(in));
        json_object_set_new(root, "instrument_info", instrument_info(in->db));
        json_object_set_new(root, "raw_metadata", raw_metadata(in->db));
    }
    char *text = root ? json_dumps(root, JSON_COMPACT | JSON_REAL_PRECISION(17)) : NULL;
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
