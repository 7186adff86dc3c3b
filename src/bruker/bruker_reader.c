/* The msiz_source backend for Bruker .d folders (TSF and TDF): one spectrum per frame in
 * MaldiFrameInfo order, m/z from the TOF index with the file's own calibration.
 * Decisions (docs/bruker.md): x/y = XIndexPos/YIndexPos minus the imaging-area minimum, z = 0,
 * raw_z = 0; TDF intensities are raw counts summed over all mobility scans. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "bruker/bruker_internal.h"
#include "common/alloc.h"
#include "common/error.h"
#include "common/log.h"
#include "io/fs.h"
#include "source/source_internal.h"

#define MAX_BLOCK_BYTES ((size_t)1 << 31)

/* What the frames of a run are: pixels of an imaging raster, named spots of a spot acquisition
 * (edge case #82), or frames without MaldiFrameInfo (LC runs, edge case #66). Only a raster has
 * a grid; the others are read as one row per frame, (i, 0), when the caller allows it. */
typedef enum run_kind { RUN_RASTER, RUN_SPOTS, RUN_NO_MALDI } run_kind;

typedef struct bruker_src {
    msiz_bruker_db db;
    msiz_bruker_mis mis;
    msiz_source_opts opts;
    size_t *sel; /* indices into db.frames, iteration order */
    size_t n_sel;
    int32_t off_x, off_y;
    run_kind kind;
    const char *spot_reason; /* why a run is a spot acquisition */
    size_t n_msms;           /* MS/MS frames left out (edge case #81) */
    size_t pos;
    int fd;
    uint64_t bin_size;
    uint8_t *block;
    size_t block_cap;
    msiz_bruker_scratch scratch;
    uint32_t *tmp_tof, *tmp_int, *counts;
    size_t tof_cap, int_cap, counts_cap;
    int32_t n_x, n_y;
    size_t num_samples;
    int profile;
    msiz_bruker_mzconv conv;
    const msiz_bruker_mzcal *conv_cal;
    double conv_t1, conv_t2;
    char *metadata;
} bruker_src;

/* ---- reading one frame ---- */

static msiz_status read_block(bruker_src *b, const msiz_bruker_frame *f, size_t *len)
{
    uint8_t head[MSIZ_BRUKER_BLOCK_HEADER];
    const char *bin = b->db.bin_path;
    if (b->fd < 0)
        return msiz_fail(MSIZ_E_NOTFOUND, "%s: frame %lld: %s missing: spectra cannot be read",
                         b->db.d_path, (long long)f->id, bin);
    if (f->tims_id > b->bin_size || b->bin_size - f->tims_id < sizeof head)
        return msiz_fail(MSIZ_E_FORMAT,
                         "%s: frame %lld: block at byte %llu lies beyond the end of %s "
                         "(%llu bytes)",
                         b->db.d_path, (long long)f->id, (unsigned long long)f->tims_id, bin,
                         (unsigned long long)b->bin_size);
    msiz_status status = msiz_pread_full(b->fd, bin, head, sizeof head, f->tims_id);
    if (status < 0)
        return status;
    size_t size = msiz_load_le32(head);
    if (size < sizeof head || size > b->bin_size - f->tims_id)
        return msiz_fail(MSIZ_E_FORMAT,
                         "%s: frame %lld: block of %zu bytes at byte %llu does not fit in %s "
                         "(%llu bytes; truncated?)",
                         b->db.d_path, (long long)f->id, size, (unsigned long long)f->tims_id, bin,
                         (unsigned long long)b->bin_size);
    status = msiz_grow((void **)&b->block, &b->block_cap, size, 1, MAX_BLOCK_BYTES);
    if (status < 0)
        return msiz_fail_context(status, "%s: frame %lld: block bytes", b->db.d_path,
                                 (long long)f->id);
    *len = size;
    return msiz_pread_full(b->fd, bin, b->block, size, f->tims_id);
}

static const msiz_bruker_mzconv *converter(bruker_src *b, const msiz_bruker_frame *f)
{
    const msiz_bruker_mzcal *cal = msiz_bruker_find_mzcal(&b->db, f->mzcal_id);
    if (cal != b->conv_cal || f->t1 != b->conv_t1 || f->t2 != b->conv_t2) {
        msiz_bruker_mzconv_init(&b->conv, cal, f->t1, f->t2);
        b->conv_cal = cal;
        b->conv_t1 = f->t1;
        b->conv_t2 = f->t2;
    }
    return &b->conv;
}

static msiz_status grow_u32(uint32_t **buf, size_t *cap, size_t n, size_t limit)
{
    msiz_status status = msiz_grow((void **)buf, cap, n ? n : 1, sizeof **buf, limit);
    return status < 0 ? msiz_fail_context(status, "values of a frame") : MSIZ_OK;
}

static msiz_status decode_frame(bruker_src *b, const msiz_bruker_frame *f, size_t len,
                                msiz_spectrum *sp)
{
    msiz_status status;
    size_t np = (size_t)f->num_peaks, cap = b->opts.max_peaks;
    if (b->profile) {
        MSIZ_TRY(msiz_spectrum_reserve(sp, b->num_samples, cap));
        MSIZ_TRY(grow_u32(&b->counts, &b->counts_cap, b->num_samples, b->num_samples));
        MSIZ_TRY(msiz_bruker_tsf_profile(&b->scratch, b->block, len, b->num_samples, b->counts));
        for (size_t i = 0; i < b->num_samples; i++) {
            sp->mz[i] = (double)i;
            sp->intensity[i] = (double)b->counts[i];
        }
        sp->n = b->num_samples;
        return MSIZ_OK;
    }
    MSIZ_TRY(msiz_spectrum_reserve(sp, np, cap));
    if (!b->db.is_tdf) {
        MSIZ_TRY(msiz_bruker_tsf_line(&b->scratch, b->block, len, np, sp->mz, sp->intensity));
        sp->n = np;
        return MSIZ_OK;
    }
    MSIZ_TRY(grow_u32(&b->tmp_tof, &b->tof_cap, np, cap));
    MSIZ_TRY(grow_u32(&b->tmp_int, &b->int_cap, np, cap));
    MSIZ_TRY(msiz_bruker_tdf_frame(&b->scratch, b->block, len, (size_t)f->num_scans, np,
                                   msiz_bruker_tdf_scale(f->accumulation_time), b->tmp_tof,
                                   b->tmp_int, sp->mz, sp->intensity, &sp->n));
cleanup:
    return status;
}

/* Position fields of frame `pos` of the iteration (from the SQLite tables only). */
static void fill_position(const bruker_src *b, size_t pos, msiz_spectrum *sp)
{
    const msiz_bruker_frame *f = &b->db.frames[b->sel[pos]];
    int raster = b->kind == RUN_RASTER;
    sp->index = pos;
    sp->x = raster ? f->raw_x - b->off_x : (int32_t)pos; /* pos < MAX_FRAMES */
    sp->y = raster ? f->raw_y - b->off_y : 0;
    sp->z = 0;
    sp->raw_x = f->has_maldi ? f->raw_x : (int32_t)pos;
    sp->raw_y = f->has_maldi ? f->raw_y : 0;
    sp->raw_z = 0;
    sp->region = f->region;
}

static msiz_status read_at(bruker_src *b, size_t pos, msiz_spectrum *sp)
{
    const msiz_bruker_frame *f = &b->db.frames[b->sel[pos]];
    size_t len = 0;
    msiz_status status = MSIZ_OK;
    fill_position(b, pos, sp);
    sp->n = 0;
    if (f->num_peaks == 0 && !b->profile)
        return MSIZ_OK; /* empty frame: no read, no zstd (edge case #68) */
    MSIZ_TRY(read_block(b, f, &len));
    status = decode_frame(b, f, len, sp);
    if (status < 0) {
        sp->n = 0;
        return msiz_fail_context(status, "%s: frame %lld (block at byte %llu, %zu bytes)",
                                 b->db.d_path, (long long)f->id, (unsigned long long)f->tims_id,
                                 len);
    }
    const msiz_bruker_mzconv *conv = converter(b, f);
    for (size_t i = 0; i < sp->n; i++)
        sp->mz[i] = msiz_bruker_index_to_mz(conv, sp->mz[i]);
cleanup:
    return status;
}

static msiz_status op_next(msiz_source *src, msiz_spectrum *sp)
{
    bruker_src *b = src->impl;
    if (b->pos >= b->n_sel)
        return MSIZ_END;
    msiz_status status = read_at(b, b->pos, sp);
    if (status >= 0)
        b->pos++;
    return status;
}

static msiz_status op_read(msiz_source *src, uint64_t index, msiz_spectrum *sp)
{
    bruker_src *b = src->impl;
    return read_at(b, (size_t)index, sp);
}

/* n = NumPeaks: exact for TSF, an upper bound for TDF (equal TOF indices merge). */
static msiz_status op_locate(msiz_source *src, uint64_t index, msiz_spectrum *sp)
{
    bruker_src *b = src->impl;
    fill_position(b, (size_t)index, sp);
    sp->n = b->profile ? b->num_samples : (size_t)b->db.frames[b->sel[index]].num_peaks;
    return MSIZ_OK;
}

static msiz_status op_rewind(msiz_source *src)
{
    ((bruker_src *)src->impl)->pos = 0;
    return MSIZ_OK;
}

static void free_impl(bruker_src *b)
{
    if (!b)
        return;
    if (b->fd >= 0)
        close(b->fd);
    msiz_bruker_db_destroy(&b->db);
    msiz_bruker_mis_destroy(&b->mis);
    msiz_bruker_scratch_destroy(&b->scratch);
    msiz_free(b->sel);
    msiz_free(b->block);
    msiz_free(b->tmp_tof);
    msiz_free(b->tmp_int);
    msiz_free(b->counts);
    msiz_free(b->metadata);
    msiz_free(b);
}

static void op_close(msiz_source *src)
{
    free_impl(src->impl);
    src->impl = NULL;
}

static const msiz_source_ops bruker_ops = {op_next, op_read, op_rewind, op_close, op_locate, NULL};

/* ---- opening ---- */

static msiz_status check_compression(const bruker_src *b)
{
    double type = 2;
    if (!b->db.is_tdf)
        return MSIZ_OK; /* TSF: zstd blocks whatever TimsCompressionType says (3 in samples) */
    if (msiz_bruker_meta_double(&b->db, "TimsCompressionType", &type) != 0)
        msiz_warn("%s: GlobalMetadata has no TimsCompressionType; assuming 2 (zstd)", b->db.d_path);
    if (type == 1)
        return msiz_fail(MSIZ_E_UNSUPPORTED,
                         "%s: TimsCompressionType 1 (legacy LZF TDF) is not supported",
                         b->db.d_path);
    if (type != 2)
        return msiz_fail(MSIZ_E_UNSUPPORTED, "%s: unknown TimsCompressionType %g (2 = zstd)",
                         b->db.d_path, type);
    return MSIZ_OK;
}

static msiz_status check_spectra_kind(bruker_src *b)
{
    const msiz_bruker_db *db = &b->db;
    double v = 1, n = 0;
    b->profile = b->opts.bruker_profile != 0;
    if (!b->profile) {
        if (!db->is_tdf && msiz_bruker_meta_double(db, "HasLineSpectra", &v) == 0 && v == 0)
            return msiz_fail(MSIZ_E_UNSUPPORTED,
                             "%s: the run holds no line spectra (HasLineSpectra = 0); "
                             "read the profile spectra instead",
                             db->d_path);
        return MSIZ_OK;
    }
    if (db->is_tdf)
        return msiz_fail(MSIZ_E_UNSUPPORTED, "%s: profile spectra exist only in TSF runs",
                         db->d_path);
    if (msiz_bruker_meta_double(db, "HasProfileSpectra", &v) == 0 && v == 0)
        return msiz_fail(MSIZ_E_NOTFOUND, "%s: the run holds no profile spectra", db->d_path);
    if (msiz_bruker_meta_double(db, "DigitizerNumSamples", &n) != 0 || !(n >= 1) ||
        n > (double)(MAX_BLOCK_BYTES / 4))
        return msiz_fail(MSIZ_E_FORMAT, "%s: DigitizerNumSamples missing or out of range",
                         db->d_path);
    b->num_samples = (size_t)n;
    return MSIZ_OK;
}

static msiz_status check_calibration(const bruker_src *b)
{
    const msiz_bruker_db *db = &b->db;
    for (size_t i = 0; i < db->n_frames; i++)
        if (!msiz_bruker_find_mzcal(db, db->frames[i].mzcal_id))
            return msiz_fail(MSIZ_E_FORMAT,
                             "%s: frame %lld uses MzCalibration %lld, not in "
                             "the table",
                             db->sqlite_path, (long long)db->frames[i].id,
                             (long long)db->frames[i].mzcal_id);
    if (db->no_mzcal)
        msiz_warn("%s: Frames names no MzCalibration: m/z from the linear-in-sqrt(m/z) "
                  "approximation over MzAcqRange, expect errors of up to about 20 ppm",
                  db->d_path);
    for (size_t i = 0; i < db->n_mzcal && !db->no_mzcal; i++)
        if (db->mzcal[i].model == MSIZ_BRUKER_MZ_LINEAR_SQRT)
            msiz_warn("%s: MzCalibration %lld has ModelType %d (not 1 or 2): m/z from the "
                      "linear-in-sqrt(m/z) approximation over MzAcqRange, expect errors of "
                      "up to about 20 ppm",
                      db->d_path, (long long)db->mzcal[i].id, db->mzcal[i].model_type);
    char p[4096];
    if (msiz_path_join(p, sizeof p, db->d_path, "calibration.sqlite") == MSIZ_OK &&
        msiz_path_exists(p))
        msiz_warn("%s: calibration.sqlite present: a recalibrated state the vendor library would "
                  "apply is not reproduced; m/z use the MzCalibration table",
                  db->d_path);
    return MSIZ_OK;
}

/* TDF intensities are normalised to 100 ms by AccumulationTime (see bruker_tdf.c): a value
 * that would make that factor meaningless is refused; 0 (or no column) leaves raw counts, as the
 * vendor library does, with a warning. */
static msiz_status check_accumulation(const bruker_src *b)
{
    const msiz_bruker_db *db = &b->db;
    size_t unscaled = 0;
    if (!db->is_tdf)
        return MSIZ_OK;
    for (size_t i = 0; i < db->n_frames; i++) {
        double acc = db->frames[i].accumulation_time;
        if (acc == 0) {
            unscaled++;
            continue;
        }
        if (!(acc >= MSIZ_BRUKER_MIN_ACCUMULATION_MS && acc <= MSIZ_BRUKER_MAX_ACCUMULATION_MS))
            return msiz_fail(MSIZ_E_FORMAT,
                             "%s: frame %lld: AccumulationTime %g ms out of range (%g to %g ms, "
                             "or 0)",
                             db->sqlite_path, (long long)db->frames[i].id, acc,
                             MSIZ_BRUKER_MIN_ACCUMULATION_MS, MSIZ_BRUKER_MAX_ACCUMULATION_MS);
    }
    if (unscaled)
        msiz_warn("%s: %zu of %zu frames have no AccumulationTime (0 or no column): their "
                  "intensities are raw counts, not normalised to 100 ms as the others",
                  db->d_path, unscaled, db->n_frames);
    return MSIZ_OK;
}

/* A spot acquisition: MaldiApplicationType SingleSpectra, or every frame at the "no position"
 * index -1 (as in mzmine's tims_spot_acryllic.d, which also says SingleSpectra). */
static void classify_run(bruker_src *b)
{
    const msiz_bruker_db *db = &b->db;
    const char *app = msiz_bruker_meta(db, "MaldiApplicationType");
    b->kind = db->has_maldi_info ? RUN_RASTER : RUN_NO_MALDI;
    if (b->kind == RUN_NO_MALDI)
        return;
    if (app && strcasecmp(app, "SingleSpectra") == 0) {
        b->kind = RUN_SPOTS;
        b->spot_reason = "MaldiApplicationType SingleSpectra";
        return;
    }
    for (size_t i = 0; i < db->n_frames; i++)
        if (db->frames[i].raw_x != -1 || db->frames[i].raw_y != -1)
            return;
    if (db->n_frames > 1) {
        b->kind = RUN_SPOTS;
        b->spot_reason = "every frame at XIndexPos/YIndexPos -1";
    }
}

/* "D1, D2, D3, ..." : the first spot names, for messages. */
static void spot_examples(const msiz_bruker_db *db, char *buf, size_t cap)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < db->n_frames && i < 3; i++) {
        const char *name = db->frames[i].spot_name[0] ? db->frames[i].spot_name : "?";
        int n = snprintf(buf + used, cap - used, "%s%s", i ? ", " : "", name);
        if (n < 0 || (size_t)n >= cap - used)
            return;
        used += (size_t)n;
    }
    if (db->n_frames > 3)
        snprintf(buf + used, cap - used, ", ...");
}

static msiz_status refuse_spots(const bruker_src *b)
{
    char names[128];
    spot_examples(&b->db, names, sizeof names);
    return msiz_fail(MSIZ_E_UNSUPPORTED,
                     "%s: spot acquisition (%s), not an imaging raster: its frames are spots "
                     "(%zu: %s), not pixels of an image, so there is no image to convert "
                     "(msizarr info and dump read it)",
                     b->db.d_path, b->spot_reason, b->db.n_frames, names);
}

/* MzAcqRange becomes the mass axis: refuse what no instrument measures (edge case #84). */
static msiz_status check_mass_range(const msiz_bruker_db *db)
{
    double lo, hi;
    if (msiz_bruker_meta_double(db, "MzAcqRangeLower", &lo) != 0 ||
        msiz_bruker_meta_double(db, "MzAcqRangeUpper", &hi) != 0)
        return msiz_fail(MSIZ_E_FORMAT,
                         "%s: GlobalMetadata lacks a valid MzAcqRangeLower/MzAcqRangeUpper "
                         "(the mass range)",
                         db->sqlite_path);
    if (!(lo >= MSIZ_BRUKER_MIN_MZ && lo < hi && hi <= MSIZ_BRUKER_MAX_MZ))
        return msiz_fail(MSIZ_E_FORMAT,
                         "%s: GlobalMetadata MzAcqRangeLower/Upper = %g..%g is not a plausible "
                         "mass range (%g <= lower < upper <= %g)",
                         db->sqlite_path, lo, hi, MSIZ_BRUKER_MIN_MZ, MSIZ_BRUKER_MAX_MZ);
    return MSIZ_OK;
}

static msiz_status check_run(bruker_src *b)
{
    const msiz_bruker_db *db = &b->db;
    msiz_status status;
    if ((status = check_mass_range(db)) < 0)
        return status;
    classify_run(b);
    if (b->kind == RUN_NO_MALDI && !b->opts.bruker_allow_non_imaging)
        return msiz_fail(MSIZ_E_UNSUPPORTED,
                         "%s: no MaldiFrameInfo table: not an imaging run (frames have no "
                         "pixel coordinates)",
                         db->d_path);
    if (b->kind == RUN_SPOTS && !b->opts.bruker_allow_non_imaging)
        return refuse_spots(b);
    if (db->n_frames == 0)
        return msiz_fail(MSIZ_E_FORMAT, "%s: the run holds no frames", db->d_path);
    if ((status = check_compression(b)) < 0 || (status = check_spectra_kind(b)) < 0 ||
        (status = check_accumulation(b)) < 0)
        return status;
    return check_calibration(b);
}

static msiz_status region_missing(const bruker_src *b)
{
    char list[256] = "";
    size_t used = 0;
    for (size_t i = 0; i < b->db.n_frames && used + 16 < sizeof list; i++) {
        int32_t r = b->db.frames[i].region;
        int seen = 0;
        for (size_t j = 0; j < i && !seen; j++)
            seen = b->db.frames[j].region == r;
        if (!seen)
            used +=
                (size_t)snprintf(list + used, sizeof list - used, "%s%d", used ? ", " : "", (int)r);
    }
    return msiz_fail(MSIZ_E_ARG, "%s: region %d not found (regions: %s)", b->db.d_path,
                     b->opts.region, list);
}

/* Widens [*lo, *hi] to a declared ImagingArea bound; the value must be a raster index (an
 * integer within int32) before it becomes an offset or a grid size (edge case #84). An absent
 * or non-numeric key is ignored. */
static msiz_status area_bound(const bruker_src *b, const char *key, int32_t *v, int is_min)
{
    double d;
    if (msiz_bruker_meta_double(&b->db, key, &d) != 0)
        return MSIZ_OK;
    if (!(d >= (double)INT32_MIN && d <= (double)INT32_MAX) || d != floor(d))
        return msiz_fail(MSIZ_E_FORMAT,
                         "%s: GlobalMetadata %s = %s is not a raster index (an integer from %d "
                         "to %d)",
                         b->db.sqlite_path, key, msiz_bruker_meta(&b->db, key), INT32_MIN,
                         INT32_MAX);
    int32_t i = (int32_t)d;
    if (is_min ? i < *v : i > *v)
        *v = i;
    return MSIZ_OK;
}

/* Grid offsets and size from the frames' bounds (widened to the declared imaging area when all
 * regions are read); a raster wider than int32 is refused. */
static msiz_status raster_grid(bruker_src *b, int32_t min_x, int32_t min_y, int32_t max_x,
                               int32_t max_y)
{
    msiz_status status;
    if (b->opts.region < 0 && ((status = area_bound(b, "ImagingAreaMinXIndexPos", &min_x, 1)) < 0 ||
                               (status = area_bound(b, "ImagingAreaMinYIndexPos", &min_y, 1)) < 0 ||
                               (status = area_bound(b, "ImagingAreaMaxXIndexPos", &max_x, 0)) < 0 ||
                               (status = area_bound(b, "ImagingAreaMaxYIndexPos", &max_y, 0)) < 0))
        return status;
    int64_t w = (int64_t)max_x - min_x + 1, h = (int64_t)max_y - min_y + 1;
    if (w > INT32_MAX || h > INT32_MAX)
        return msiz_fail(MSIZ_E_FORMAT,
                         "%s: the raster spans XIndexPos %d..%d and YIndexPos %d..%d: more than "
                         "%d pixels along one side",
                         b->db.d_path, (int)min_x, (int)max_x, (int)min_y, (int)max_y, INT32_MAX);
    b->off_x = min_x;
    b->off_y = min_y;
    b->n_x = (int32_t)w;
    b->n_y = (int32_t)h;
    return MSIZ_OK;
}

static msiz_status no_frames_left(const bruker_src *b)
{
    if (b->n_msms > 0 && b->n_msms == b->db.n_frames)
        return msiz_fail(
            MSIZ_E_UNSUPPORTED,
            "%s: no MS1 frame: all %zu frames are MS/MS frames (MsMsType != 0), "
            "which are not converted%s%s%s",
            b->db.d_path, b->n_msms, b->kind == RUN_SPOTS ? " (a spot acquisition: " : "",
            b->kind == RUN_SPOTS ? b->spot_reason : "", b->kind == RUN_SPOTS ? ")" : "");
    return region_missing(b);
}

/* Frames in iteration order (MS1 only, region filter), grid offsets and size. */
static msiz_status select_frames(bruker_src *b)
{
    const msiz_bruker_db *db = &b->db;
    int all = b->opts.region < 0 || b->kind != RUN_RASTER;
    if (!(b->sel = msiz_calloc(db->n_frames, sizeof *b->sel)))
        return msiz_fail(MSIZ_E_NOMEM, "%s: out of memory", db->d_path);
    int32_t min_x = INT32_MAX, min_y = INT32_MAX, max_x = INT32_MIN, max_y = INT32_MIN;
    for (size_t i = 0; i < db->n_frames; i++) {
        const msiz_bruker_frame *f = &db->frames[i];
        if (f->msms_type != 0) { /* PASEF & co. MS/MS: not part of the MS1 image (#81) */
            b->n_msms++;
            continue;
        }
        if (!all && f->region != b->opts.region)
            continue;
        b->sel[b->n_sel++] = i;
        min_x = f->raw_x < min_x ? f->raw_x : min_x;
        min_y = f->raw_y < min_y ? f->raw_y : min_y;
        max_x = f->raw_x > max_x ? f->raw_x : max_x;
        max_y = f->raw_y > max_y ? f->raw_y : max_y;
    }
    if (b->n_sel == 0)
        return no_frames_left(b);
    if (b->n_msms > 0)
        msiz_warn("%s: %zu of %zu frames are MS/MS frames (MsMsType != 0, e.g. PASEF): left out "
                  "of the MS1 table",
                  db->d_path, b->n_msms, db->n_frames);
    if (b->kind != RUN_RASTER) {    /* spots or LC frames: frame i -> (i, 0) */
        b->n_x = (int32_t)b->n_sel; /* n_sel <= MAX_FRAMES = 2^26 */
        b->n_y = 1;
        return MSIZ_OK;
    }
    return raster_grid(b, min_x, min_y, max_x, max_y);
}

static msiz_status open_bin(bruker_src *b)
{
    b->fd = open(b->db.bin_path, O_RDONLY | O_CLOEXEC);
    if (b->fd < 0 && errno == ENOENT) {
        msiz_warn("%s: %s missing: metadata and coordinates only, reading a spectrum fails",
                  b->db.d_path, b->db.bin_path);
        return MSIZ_OK;
    }
    if (b->fd < 0)
        return msiz_fail(MSIZ_E_IO, "%s: cannot open %s: %s", b->db.d_path, b->db.bin_path,
                         strerror(errno));
    return msiz_file_size(b->db.bin_path, &b->bin_size);
}

typedef struct motor_pt {
    int32_t a, b; /* sort keys */
    double pos;
} motor_pt;

static int cmp_motor(const void *p, const void *q)
{
    const motor_pt *x = p, *y = q;
    if (x->a != y->a)
        return x->a < y->a ? -1 : 1;
    return (x->b > y->b) - (x->b < y->b);
}

static int cmp_double(const void *p, const void *q)
{
    double x = *(const double *)p, y = *(const double *)q;
    return (x > y) - (x < y);
}

/* Motor step along one axis: per raster line, |Δmotor| / |Δindex| between its first and last
 * frame (per-shot jitter averages out); the median over lines, to 0.01 µm. 0 when unknown. */
static double motor_step(const bruker_src *b, int along_x, motor_pt *pts, double *steps)
{
    size_t n = 0, m = 0;
    for (size_t i = 0; i < b->n_sel; i++) {
        const msiz_bruker_frame *f = &b->db.frames[b->sel[i]];
        pts[n++] = along_x ? (motor_pt){f->raw_y, f->raw_x, f->motor_x}
                           : (motor_pt){f->raw_x, f->raw_y, f->motor_y};
    }
    qsort(pts, n, sizeof *pts, cmp_motor);
    for (size_t start = 0, end; start < n; start = end) {
        for (end = start + 1; end < n && pts[end].a == pts[start].a; end++)
            ;
        const motor_pt *p = &pts[start], *q = &pts[end - 1];
        if (q->b == p->b)
            continue;
        double s = fabs((q->pos - p->pos) / ((double)q->b - (double)p->b));
        if (s > 0 && isfinite(s))
            steps[m++] = s;
    }
    if (m == 0)
        return 0;
    qsort(steps, m, sizeof *steps, cmp_double);
    double med = m % 2 ? steps[m / 2] : 0.5 * (steps[m / 2 - 1] + steps[m / 2]);
    return round(med * 100.0) / 100.0;
}

static msiz_status motor_pixel_size(const bruker_src *b, double *x, double *y)
{
    motor_pt *pts = msiz_calloc(b->n_sel, sizeof *pts);
    double *steps = msiz_calloc(b->n_sel, sizeof *steps);
    msiz_status status = MSIZ_OK;
    *x = *y = 0;
    if (!pts || !steps)
        status = msiz_fail(MSIZ_E_NOMEM, "%s: out of memory", b->db.d_path);
    else {
        *x = motor_step(b, 1, pts, steps);
        *y = motor_step(b, 0, pts, steps);
    }
    msiz_free(pts);
    msiz_free(steps);
    return status;
}

/* Pixel size: .mis raster, else the motor step, else SpotSize (edge case #73). */
static msiz_status pixel_size(bruker_src *b, msiz_source_info *info, const char **source)
{
    const msiz_bruker_db *db = &b->db;
    double mx = 0, my = 0;
    msiz_status status = msiz_bruker_mis_load(&b->mis, db->d_path);
    *source = NULL;
    if (status < 0)
        return status;
    if (b->mis.has_raster) {
        info->pixel_size_x_um = b->mis.raster_x;
        info->pixel_size_y_um = b->mis.raster_y;
        *source = "mis_raster";
    } else if (b->kind == RUN_RASTER && (status = motor_pixel_size(b, &mx, &my)) < 0) {
        return status;
    } else if (mx > 0) {
        info->pixel_size_x_um = mx;
        info->pixel_size_y_um = my > 0 ? my : mx;
        *source = "motor_step";
    } else if (db->spot_size > 0) {
        info->pixel_size_x_um = info->pixel_size_y_um = db->spot_size;
        *source = "spot_size";
    }
    info->has_pixel_size = *source != NULL;
    if (!*source && b->kind == RUN_RASTER)
        msiz_warn("%s: no .mis raster, motor positions or SpotSize: pixel size unknown",
                  db->d_path);
    else if (*source && strcmp(*source, "mis_raster") != 0 && b->kind == RUN_RASTER)
        msiz_warn("%s: %s; pixel size %g x %g um from the %s", db->d_path,
                  b->mis.found ? "the .mis beside the .d has no <Raster>"
                               : "no .mis file beside the .d",
                  info->pixel_size_x_um, info->pixel_size_y_um,
                  strcmp(*source, "motor_step") == 0 ? "motor step (median MotorPosition "
                                                       "difference)"
                                                     : "laser SpotSize");
    if (*source && b->kind == RUN_RASTER && db->has_laser && db->beam_scan_x > 0 &&
        fabs(db->beam_scan_x - info->pixel_size_x_um) > 0.01 * info->pixel_size_x_um)
        msiz_warn("%s: BeamScanSizeX %g um differs from the pixel size %g um (%s); Thyra would "
                  "use BeamScanSize without a .mis",
                  db->d_path, db->beam_scan_x, info->pixel_size_x_um, *source);
    return MSIZ_OK;
}

static msiz_polarity run_polarity(const bruker_src *b)
{
    int pos = 0, neg = 0;
    for (size_t i = 0; i < b->n_sel; i++) {
        char p = b->db.frames[b->sel[i]].polarity;
        pos |= p == '+';
        neg |= p == '-';
    }
    return pos && neg ? MSIZ_POLARITY_MIXED
           : pos      ? MSIZ_POLARITY_POSITIVE
           : neg      ? MSIZ_POLARITY_NEGATIVE
                      : MSIZ_POLARITY_UNKNOWN;
}

static const char *mz_model_text(const msiz_bruker_db *db)
{
    int m1 = 0, m2 = 0, lin = 0;
    for (size_t i = 0; i < db->n_mzcal; i++) {
        m1 |= db->mzcal[i].model == MSIZ_BRUKER_MZ_MODEL1;
        m2 |= db->mzcal[i].model == MSIZ_BRUKER_MZ_MODEL2;
        lin |= db->mzcal[i].model == MSIZ_BRUKER_MZ_LINEAR_SQRT;
    }
    if (lin)
        return "linear_sqrt_approximation (MzCalibration ModelType unknown)";
    if (m2)
        return "MzCalibration ModelType 2 (physical model + polynomial), temperature corrected";
    return m1 ? "MzCalibration ModelType 1 (physical model), temperature corrected" : "none";
}

static void add_check(msiz_bruker_meta_in *in, const char *name, int ok, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void add_check(msiz_bruker_meta_in *in, const char *name, int ok, const char *fmt, ...)
{
    if (in->n_checks >= MSIZ_BRUKER_MAX_CHECKS)
        return;
    msiz_bruker_check *c = &in->checks[in->n_checks++];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->detail, sizeof c->detail, fmt, ap);
    va_end(ap);
    c->name = name;
    c->status = ok ? "passed" : "warning";
}

/* What `msizarr info` prints under "checks": the kind of run, MS/MS frames, the m/z model. */
static void run_checks(const bruker_src *b, msiz_bruker_meta_in *in)
{
    const msiz_bruker_db *db = &b->db;
    const char *app = msiz_bruker_meta(db, "MaldiApplicationType");
    char names[128];
    if (b->kind == RUN_RASTER) {
        in->acquisition = "imaging";
        add_check(in, "acquisition", 1,
                  "imaging raster of %d x %d pixels (MaldiApplicationType %s)", (int)b->n_x,
                  (int)b->n_y, app ? app : "not stated");
    } else if (b->kind == RUN_SPOTS) {
        in->acquisition = "spots";
        spot_examples(db, names, sizeof names);
        add_check(in, "acquisition", 0,
                  "spot acquisition (%s), not an imaging raster: %zu spots (%s); convert refuses "
                  "it",
                  b->spot_reason, b->n_sel, names);
    } else {
        in->acquisition = "no_maldi_frame_info";
        add_check(in, "acquisition", 0,
                  "no MaldiFrameInfo: not an imaging run (e.g. LC); convert refuses it");
    }
    add_check(in, "MS/MS frames", b->n_msms == 0,
              b->n_msms ? "%zu of %zu frames are MS/MS (MsMsType != 0): left out of the MS1 table"
                        : "none (%zu of %zu frames left out)",
              b->n_msms, db->n_frames);
    add_check(in, "m/z calibration", !db->no_mzcal && !strstr(in->mz_model, "linear"), "%s",
              db->no_mzcal ? "no MzCalibration: linear approximation over MzAcqRange"
                           : in->mz_model);
}

static msiz_status fill_info(bruker_src *b, msiz_source_info *info)
{
    const msiz_bruker_db *db = &b->db;
    const char *px_source = NULL;
    msiz_status status = pixel_size(b, info, &px_source);
    if (status < 0)
        return status;
    info->format = db->is_tdf ? MSIZ_FORMAT_BRUKER_TDF : MSIZ_FORMAT_BRUKER_TSF;
    info->path = db->d_path;
    info->n_spectra = b->n_sel;
    info->n_x = b->n_x;
    info->n_y = b->n_y;
    info->n_z = 1;
    info->spectrum_type = b->profile ? MSIZ_SPECTRUM_PROFILE : MSIZ_SPECTRUM_CENTROID;
    info->spectrum_type_declared = 1;
    info->polarity = run_polarity(b);
    info->continuous = 0;
    info->has_mass_range = 1;
    msiz_bruker_meta_double(db, "MzAcqRangeLower", &info->mz_min);
    msiz_bruker_meta_double(db, "MzAcqRangeUpper", &info->mz_max);
    info->mz_type = MSIZ_VALUE_TOF_INDEX;
    info->intensity_type = db->is_tdf || b->profile ? MSIZ_VALUE_I32 : MSIZ_VALUE_F32;
    /* TSF line: exact; TDF: the peaks stored over all mobility scans, an upper bound on the
     * summed spectra (equal TOF indices merge), as Thyra reports SUM(Frames.NumPeaks) */
    info->total_peaks = 0;
    if (b->profile)
        info->total_peaks = (uint64_t)b->num_samples * b->n_sel;
    else
        for (size_t i = 0; i < b->n_sel; i++)
            info->total_peaks += (uint64_t)db->frames[b->sel[i]].num_peaks;
    const msiz_bruker_frame *first = &db->frames[b->sel[0]];
    char cal_path[4096];
    msiz_bruker_meta_in in = {.db = db,
                              .mis = &b->mis,
                              .pixel_size_source = px_source,
                              .pixel_x = info->pixel_size_x_um,
                              .pixel_y = info->pixel_size_y_um,
                              .profile = b->profile,
                              .mz_model = mz_model_text(db),
                              .laser_power_set = first->has_maldi,
                              .laser_rep_set = first->has_maldi,
                              .laser_power = first->laser_power,
                              .laser_rep_rate = first->laser_rep_rate,
                              .selected_region = b->opts.region,
                              .n_msms = b->n_msms,
                              .sel = b->sel,
                              .n_sel = b->n_sel};
    run_checks(b, &in);
    in.calibration_sqlite =
        msiz_path_join(cal_path, sizeof cal_path, db->d_path, "calibration.sqlite") == MSIZ_OK &&
        msiz_path_exists(cal_path);
    if ((status = msiz_bruker_meta_json(&in, &b->metadata)) < 0)
        return status;
    info->metadata_json = b->metadata;
    return MSIZ_OK;
}

msiz_status msiz_bruker_open(msiz_source *src, const char *path, const msiz_source_opts *opts)
{
    msiz_status status = MSIZ_OK;
    bruker_src *b = msiz_calloc(1, sizeof *b);
    if (!b)
        return msiz_fail(MSIZ_E_NOMEM, "%s: out of memory", path);
    b->fd = -1;
    b->opts = *opts;
    MSIZ_TRY(msiz_bruker_scratch_init(&b->scratch, MAX_BLOCK_BYTES));
    MSIZ_TRY(msiz_bruker_db_load(&b->db, path, opts->cancel));
    MSIZ_TRY(check_run(b));
    MSIZ_TRY(select_frames(b));
    MSIZ_TRY(open_bin(b));
    MSIZ_TRY(fill_info(b, &src->info));
    src->ops = &bruker_ops;
    src->impl = b;
    return MSIZ_OK;
cleanup:
    free_impl(b);
    return status;
}
