/* Unit tests for the Bruker .d reader (src/bruker): TSF/TDF block decoding against the Frames
 * table, calibration against the vendor-library reference values, coordinates, regions, pixel
 * size, broken folders and allocation failures. Data: tests/data (see SOURCES.md). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bruker/bruker_internal.h"
#include "common/alloc.h"
#include "common/error.h"
#include "io/fs.h"
#include "msizarr/source.h"

#define TSF       "imzy_example_tsf/example_tsf.d"
#define TDF_DDA   "MsBackendTimsTof_ddaPASEF/ddaPASEF.d"
#define TDF_OT    "opentims_test/test.d"
#define TDF_NOBIN "imzy_example_tdf_sqlite_only/example_tdf.d"
#define TDF_SPOTS "mzmine_tims_spot/tims_spot_acryllic.d"
#define TDF_MSMS  "mzmine_tims_spot/tims_spot.d"
#define TDF_SIM   "timsrust_simulated/test.d"

static char g_path[4096];

static const char *data(const char *rel)
{
    const char *root = getenv("MSIZ_TEST_DATA");
    snprintf(g_path, sizeof g_path, "%s/%s", root ? root : "tests/data", rel);
    return g_path;
}

/* ---- log capture ---- */
static char g_log[8192];
static void capture(void *user, msiz_log_level level, const char *msg)
{
    (void)user;
    (void)level;
    size_t used = strlen(g_log);
    snprintf(g_log + used, sizeof g_log - used, "%s\n", msg);
}
static void log_reset(void)
{
    g_log[0] = '\0';
    msiz_set_log_callback(capture, NULL, MSIZ_LOG_WARNING);
}

/* ---- SQLite helpers (test side, read-write on copies) ---- */
static sqlite3 *ro_db(const char *path)
{
    char uri[8400];
    sqlite3 *db = NULL;
    snprintf(uri, sizeof uri, "file:%s?mode=ro&immutable=1", path);
    assert_int_equal(sqlite3_open_v2(uri, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL),
                     SQLITE_OK);
    return db;
}

static void sql_exec(const char *db_path, const char *sql)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(db_path, &db), SQLITE_OK);
    char *err = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &err);
    if (rc != SQLITE_OK)
        fail_msg("%s: %s", sql, err);
    sqlite3_close(db);
}

/* ---- file copies ---- */
static void copy_file(const char *from, const char *to, long keep)
{
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    assert_non_null(in);
    assert_non_null(out);
    char buf[65536];
    size_t n;
    long done = 0;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0) {
        if (keep >= 0 && done + (long)n > keep)
            n = (size_t)(keep - done);
        fwrite(buf, 1, n, out);
        done += (long)n;
        if (keep >= 0 && done >= keep)
            break;
    }
    fclose(in);
    fclose(out);
}

static char g_tmp[256];

static void make_tmp(void)
{
    snprintf(g_tmp, sizeof g_tmp, "/tmp/msiz_bruker_XXXXXX");
    assert_non_null(mkdtemp(g_tmp));
}

/* Copies analysis.<ext> (+ _bin unless with_bin == 0; truncated to bin_keep bytes if >= 0)
 * of data folder `rel` into <tmp>/<name>.d; returns the new .d path in out. */
static void copy_d(const char *rel, const char *ext, const char *name, int with_bin, long bin_keep,
                   char *out, size_t out_size)
{
    char from[4200], to[4200];
    snprintf(out, out_size, "%s/%s.d", g_tmp, name);
    assert_int_equal(mkdir(out, 0755), 0);
    snprintf(from, sizeof from, "%s/analysis.%s", data(rel), ext);
    snprintf(to, sizeof to, "%s/analysis.%s", out, ext);
    copy_file(from, to, -1);
    if (with_bin) {
        snprintf(from, sizeof from, "%s/analysis.%s_bin", data(rel), ext);
        snprintf(to, sizeof to, "%s/analysis.%s_bin", out, ext);
        copy_file(from, to, bin_keep);
    }
}

static void db_path_of(const char *d, const char *ext, char *out, size_t n)
{
    snprintf(out, n, "%s/analysis.%s", d, ext);
}

static msiz_source *open_ok(const char *path, const msiz_source_opts *o)
{
    msiz_source *src = NULL;
    msiz_status st = msiz_source_open(path, o, &src);
    if (st != MSIZ_OK)
        fail_msg("open %s: %s", path, msiz_last_error());
    return src;
}

static msiz_status read_all(msiz_source *src, uint64_t *count)
{
    msiz_spectrum sp;
    msiz_spectrum_init(&sp);
    msiz_status st;
    *count = 0;
    while ((st = msiz_source_next(src, &sp)) == MSIZ_OK)
        (*count)++;
    msiz_spectrum_destroy(&sp);
    return st;
}

/* ======================= TSF ======================= */

static void test_tsf_info_and_coordinates(void **state)
{
    (void)state;
    log_reset();
    msiz_source *src = open_ok(data(TSF), NULL);
    const msiz_source_info *in = msiz_source_get_info(src);
    assert_int_equal(in->format, MSIZ_FORMAT_BRUKER_TSF);
    assert_int_equal(in->n_spectra, 400);
    assert_int_equal(in->n_x, 20);
    assert_int_equal(in->n_y, 20);
    assert_int_equal(in->n_z, 1);
    assert_int_equal(in->spectrum_type, MSIZ_SPECTRUM_CENTROID);
    assert_true(in->spectrum_type_declared);
    assert_int_equal(in->polarity, MSIZ_POLARITY_NEGATIVE);
    assert_true(in->has_mass_range);
    assert_true(in->mz_min == 300.0 && in->mz_max == 1500.0);
    assert_int_equal(in->mz_type, MSIZ_VALUE_TOF_INDEX);
    assert_int_equal(in->intensity_type, MSIZ_VALUE_F32);
    assert_int_equal(in->total_peaks, 226855);
    /* no .mis beside the sample: motor step 20 µm, with a warning naming the source */
    assert_true(in->has_pixel_size);
    assert_true(fabs(in->pixel_size_x_um - 20.0) < 1e-9 && fabs(in->pixel_size_y_um - 20.0) < 1e-9);
    assert_non_null(strstr(g_log, "motor step"));
    assert_non_null(strstr(in->metadata_json, "\"pixel_size_source\":\"motor_step\""));
    assert_non_null(strstr(in->metadata_json, "\"bruker_format\":\"bruker_tsf\""));
    assert_non_null(strstr(in->metadata_json, "\"InstrumentName\":\"timsTOF fleX\""));
    assert_non_null(strstr(in->metadata_json, "\"instrument_name\":\"timsTOF fleX\""));
    assert_non_null(strstr(in->metadata_json, "\"laser_spot_size\":20"));

    msiz_spectrum sp;
    msiz_spectrum_init(&sp);
    uint64_t i = 0, empty = 0;
    msiz_status st;
    while ((st = msiz_source_next(src, &sp)) == MSIZ_OK) {
        assert_int_equal(sp.index, i);
        /* flyback raster: row by row, left to right */
        assert_int_equal(sp.x, (int32_t)(i % 20));
        assert_int_equal(sp.y, (int32_t)(i / 20));
        assert_int_equal(sp.raw_x, 1158 + sp.x);
        assert_int_equal(sp.raw_y, 525 + sp.y);
        assert_int_equal(sp.z, 0);
        assert_int_equal(sp.region, 0);
        empty += sp.n == 0;
        i++;
    }
    assert_int_equal(st, MSIZ_END);
    assert_int_equal(i, 400);
    assert_int_equal(empty, 103);
    assert_int_equal(msiz_source_next(src, &sp), MSIZ_END);
    /* random access and rewind */
    assert_int_equal(msiz_source_read(src, 2, &sp), MSIZ_OK);
    assert_int_equal(sp.n, 105);
    assert_int_equal(msiz_source_rewind(src), MSIZ_OK);
    assert_int_equal(msiz_source_next(src, &sp), MSIZ_OK);
    assert_int_equal(sp.index, 0);
    assert_int_equal(sp.n, 26);
    assert_int_equal(msiz_source_read(src, 400, &sp), MSIZ_E_ARG);
    msiz_spectrum_destroy(&sp);
    msiz_source_close(src);
}

/* Every frame: count = NumPeaks, max = MaxIntensity, Σ = SummedIntensities, m/z ascending. */
static void test_tsf_frames_match_table(void **state)
{
    (void)state;
    char p[4200];
    snprintf(p, sizeof p, "%s/analysis.tsf", data(TSF));
    sqlite3 *db = ro_db(p);
    sqlite3_stmt *q;
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT f.NumPeaks, f.MaxIntensity, f.SummedIntensities "
                                        "FROM MaldiFrameInfo m JOIN Frames f ON f.Id = m.Frame "
                                        "ORDER BY m.Frame",
                                        -1, &q, NULL),
                     SQLITE_OK);
    msiz_source *src = open_ok(data(TSF), NULL);
    msiz_spectrum sp;
    msiz_spectrum_init(&sp);
    int frames = 0;
    while (sqlite3_step(q) == SQLITE_ROW) {
        assert_int_equal(msiz_source_next(src, &sp), MSIZ_OK);
        double mx = 0, sum = 0;
        for (size_t k = 0; k < sp.n; k++) {
            mx = sp.intensity[k] > mx ? sp.intensity[k] : mx;
            sum += sp.intensity[k];
            if (k > 0)
                assert_true(sp.mz[k] > sp.mz[k - 1]);
            assert_true(sp.mz[k] >= 299.99 && sp.mz[k] <= 1500.02);
        }
        assert_int_equal(sp.n, sqlite3_column_int64(q, 0));
        assert_true(mx == sqlite3_column_double(q, 1));
        assert_true(fabs(sum - sqlite3_column_double(q, 2)) <= 0.5);
        frames++;
    }
    assert_int_equal(frames, 400);
    assert_int_equal(msiz_source_next(src, &sp), MSIZ_END);
    sqlite3_finalize(q);
    sqlite3_close(db);
    msiz_spectrum_destroy(&sp);
    msiz_source_close(src);
}

/* TOF indices from the raw decoder are fractional and strictly ascending. */
static void test_tsf_raw_tof_ascending(void **state)
{
    (void)state;
    msiz_bruker_db db;
    assert_int_equal(msiz_bruker_db_load(&db, data(TSF), NULL), MSIZ_OK);
    int fd = open(db.bin_path, O_RDONLY);
    assert_true(fd >= 0);
    msiz_bruker_scratch s;
    assert_int_equal(msiz_bruker_scratch_init(&s, 0), MSIZ_OK);
    int fractional = 0;
    for (size_t i = 0; i < db.n_frames; i++) {
        const msiz_bruker_frame *f = &db.frames[i];
        uint8_t head[8];
        assert_int_equal(msiz_pread_full(fd, db.bin_path, head, 8, f->tims_id), MSIZ_OK);
        size_t len = msiz_load_le32(head);
        uint8_t *blk = malloc(len);
        double *tof = malloc((f->num_peaks + 1) * sizeof *tof);
        double *val = malloc((f->num_peaks + 1) * sizeof *val);
        assert_int_equal(msiz_pread_full(fd, db.bin_path, blk, len, f->tims_id), MSIZ_OK);
        assert_int_equal(msiz_bruker_tsf_line(&s, blk, len, (size_t)f->num_peaks, tof, val),
                         MSIZ_OK);
        for (int64_t k = 0; k < f->num_peaks; k++) {
            if (k > 0)
                assert_true(tof[k] > tof[k - 1]);
            fractional |= tof[k] != floor(tof[k]);
        }
        free(blk);
        free(tof);
        free(val);
    }
    assert_true(fractional);
    close(fd);
    msiz_bruker_scratch_destroy(&s);
    msiz_bruker_db_destroy(&db);
}

static void test_tsf_profile(void **state)
{
    (void)state;
    msiz_source_opts o;
    msiz_source_opts_init(&o);
    o.bruker_profile = 1;
    msiz_source *src = open_ok(data(TSF), &o);
    const msiz_source_info *in = msiz_source_get_info(src);
    assert_int_equal(in->spectrum_type, MSIZ_SPECTRUM_PROFILE);
    msiz_spectrum sp;
    msiz_spectrum_init(&sp);
    assert_int_equal(msiz_source_next(src, &sp), MSIZ_OK);
    assert_int_equal(sp.n, 273696);
    double sum = 0;
    for (size_t k = 0; k < sp.n; k++) {
        sum += sp.intensity[k];
        if (k > 0)
            assert_true(sp.mz[k] > sp.mz[k - 1]);
    }
    /* frame 1: the line peaks (Σ 1390) are sums of profile counts; the profile holds more */
    assert_true(sum >= 1390);
    assert_true(fabs(sp.mz[0] - 299.9999) < 1e-3 && fabs(sp.mz[sp.n - 1] - 1500.0107) < 0.01);
    assert_int_equal(msiz_source_next(src, &sp), MSIZ_OK); /* frame 2: empty line part */
    assert_int_equal(sp.n, 273696);
    msiz_spectrum_destroy(&sp);
    msiz_source_close(src);
}

/* ======================= TDF ======================= */

static void check_tdf_frames(const char *rel, int expect_frames)
{
    msiz_bruker_db db;
    assert_int_equal(msiz_bruker_db_load(&db, data(rel), NULL), MSIZ_OK);
    assert_int_equal(db.is_tdf, 1);
    assert_int_equal((int)db.n_frames, expect_frames);
    int fd = open(db.bin_path, O_RDONLY);
    assert_true(fd >= 0);
    msiz_bruker_scratch s;
    assert_int_equal(msiz_bruker_scratch_init(&s, 0), MSIZ_OK);
    for (size_t i = 0; i < db.n_frames; i++) {
        const msiz_bruker_frame *f = &db.frames[i];
        uint8_t head[8];
        assert_int_equal(msiz_pread_full(fd, db.bin_path, head, 8, f->tims_id), MSIZ_OK);
        size_t len = msiz_load_le32(head), np = (size_t)f->num_peaks;
        uint8_t *blk = malloc(len);
        assert_int_equal(msiz_pread_full(fd, db.bin_path, blk, len, f->tims_id), MSIZ_OK);
        const uint32_t *w;
        size_t nw;
        assert_int_equal(msiz_bruker_tdf_inflate2(&s, blk, len, (size_t)f->num_scans, np, &w, &nw),
                         MSIZ_OK);
        msiz_bruker_tdf_peaks pk = {0, malloc(np * 4 + 4), malloc(np * 4 + 4), malloc(np * 4 + 4)};
        assert_int_equal(msiz_bruker_tdf_parse2(w, nw, (size_t)f->num_scans, np, &pk), MSIZ_OK);
        assert_int_equal(pk.n, np);
        /* the table holds the vendor library's values: each peak normalised to 100 ms
         * (round(raw x 100 / AccumulationTime)); SummedIntensities normalises the raw sum */
        double scale = msiz_bruker_tdf_scale(f->accumulation_time), mx = 0, raw_sum = 0,
               scaled_sum = 0;
        for (size_t k = 0; k < np; k++) {
            double v = msiz_bruker_tdf_intensity(pk.intensity[k], scale);
            mx = v > mx ? v : mx;
            raw_sum += pk.intensity[k];
            scaled_sum += v;
            assert_true(pk.scan[k] < (uint32_t)f->num_scans);
            if (k > 0 && pk.scan[k] == pk.scan[k - 1])
                assert_true(pk.tof[k] > pk.tof[k - 1]);
        }
        assert_true(mx == f->max_intensity);
        assert_true(round(raw_sum * 100.0 / f->accumulation_time) == f->summed_intensities);
        /* summed over scans: TOF ascending and unique, total preserved (raw and scaled) */
        double *tof = malloc(np * 8 + 8), *val = malloc(np * 8 + 8);
        size_t m;
        double merged = 0;
        assert_int_equal(msiz_bruker_tdf_merge(&s, &pk, 1.0, tof, val, &m), MSIZ_OK);
        for (size_t k = 0; k < m; k++)
            merged += val[k];
        assert_true(merged == raw_sum);
        assert_int_equal(msiz_bruker_tdf_merge(&s, &pk, scale, tof, val, &m), MSIZ_OK);
        merged = 0;
        for (size_t k = 0; k < m; k++) {
            merged += val[k];
            if (k > 0)
                assert_true(tof[k] > tof[k - 1]);
        }
        assert_true(merged == scaled_sum);
        assert_true(m <= np);
        free(tof);
        free(val);
        free(pk.scan);
        free(pk.tof);
        free(pk.intensity);
        free(blk);
    }
    close(fd);
    msiz_bruker_scratch_destroy(&s);
    msiz_bruker_db_destroy(&db);
}

static void test_tdf_dda_frames_match_table(void **state)
{
    (void)state;
    check_tdf_frames(TDF_DDA, 52);
}

static void test_tdf_opentims_frames_match_table(void **state)
{
    (void)state;
    check_tdf_frames(TDF_OT, 2);
}

/* MALDI-TIMS runs accumulate 15.2 and 10.1 ms: their Frames table holds intensities 6.57x and
 * 9.90x the raw counts (issue 9: we used to emit raw counts) */
static void test_tdf_maldi_frames_match_table(void **state)
{
    (void)state;
    check_tdf_frames(TDF_SPOTS, 36);
    check_tdf_frames(TDF_MSMS, 1);
}

/* The same frames through the source (non-imaging runs need the option, edge case #66). */
static void test_tdf_source_non_imaging(void **state)
{
    (void)state;
    msiz_source *src = NULL;
    assert_int_equal(msiz_source_open(data(TDF_DDA), NULL, &src), MSIZ_E_UNSUPPORTED);
    assert_null(src);
    assert_non_null(strstr(msiz_last_error(), "MaldiFrameInfo"));
    msiz_source_opts o;
    msiz_source_opts_init(&o);
    o.bruker_allow_non_imaging = 1;
    log_reset();
    src = open_ok(data(TDF_DDA), &o);
    /* PASEF MS/MS frames are left out of the MS1 table with a counted warning (#81) */
    assert_non_null(strstr(g_log, "2 of 52 frames are MS/MS frames (MsMsType != 0"));
    const msiz_source_info *in = msiz_source_get_info(src);
    assert_int_equal(in->total_peaks, 16836); /* NumPeaks of the 50 MS1 frames */
    assert_int_equal(in->format, MSIZ_FORMAT_BRUKER_TDF);
    assert_int_equal(in->n_spectra, 50); /* frames 31 and 32 are MS/MS (MsMsType 8) */
    assert_int_equal(in->n_x, 50);
    assert_int_equal(in->n_y, 1);
    assert_int_equal(in->polarity, MSIZ_POLARITY_POSITIVE);
    assert_int_equal(in->intensity_type, MSIZ_VALUE_I32);
    msiz_spectrum sp;
    msiz_spectrum_init(&sp);
    uint64_t i = 0;
    msiz_status st;
    while ((st = msiz_source_next(src, &sp)) == MSIZ_OK) {
        assert_int_equal(sp.x, (int32_t)i);
        assert_int_equal(sp.y, 0);
        assert_true(sp.n > 0);
        for (size_t k = 1; k < sp.n; k++)
            assert_true(sp.mz[k] > sp.mz[k - 1]);
        i++;
    }
    assert_int_equal(st, MSIZ_END);
    assert_int_equal(i, 50);
    msiz_spectrum_destroy(&sp);
    msiz_source_close(src);
}

/* ======================= calibration ======================= */

typedef struct ref_row {
    int frame, scan;
    uint32_t tof, intensity;
    double mz_sdk, mz_open, ook0_sdk;
} ref_row;

static int load_refs(ref_row *rows, int cap)
{
    char line[1024];
    int n = 0;
    FILE *f = fopen(data("opentims_test/expected_mz_from_opentims_tests.csv"), "r");
    assert_non_null(f);
    while (fgets(line, sizeof line, f) && n < cap) {
        if (line[0] == '#' || strncmp(line, "frame", 5) == 0)
            continue;
        ref_row *r = &rows[n];
        double ook0_open;
        if (sscanf(line, "%d,%d,%u,%u,%lf,%lf,%lf,%lf", &r->frame, &r->scan, &r->tof, &r->intensity,
                   &r->mz_sdk, &r->mz_open, &r->ook0_sdk, &ook0_open) == 8)
            n++;
    }
    fclose(f);
    return n;
}

/* m/z (ModelType 2) and 1/K0 against the vendor-library values in opentims' tests; the peaks
 * themselves (scan, tof, intensity) must be among the decoded ones. */
/* Negative-mode runs store negative TIMS voltages (C2, C3 < 0 in TimsCalibration): 1/K0 takes
 * the magnitude. Reference: the vendor library's tims_scannum_to_oneoverk0 on frame 1. */
static void test_ook0_negative_mode(void **state)
{
    (void)state;
    static const double scans[3] = {0, 463, 926};
    static const double sdk[3] = {1.7437296131940097, 1.1393064975535054, 0.5014121976382675};
    msiz_bruker_db db;
    assert_int_equal(msiz_bruker_db_load(&db, data(TDF_SPOTS), NULL), MSIZ_OK);
    const msiz_bruker_timscal *tc = msiz_bruker_find_timscal(&db, db.frames[0].timscal_id);
    assert_non_null(tc);
    assert_true(tc->c[2] < 0 && tc->c[3] < 0);
    for (int k = 0; k < 3; k++)
        assert_true(fabs(msiz_bruker_scan_to_ook0(tc, scans[k]) - sdk[k]) / sdk[k] < 1e-12);
    msiz_bruker_db_destroy(&db);
}

static void test_calibration_vs_sdk(void **state)
{
    (void)state;
    ref_row refs[32];
    int n = load_refs(refs, 32);
    assert_int_equal(n, 10);
    msiz_bruker_db db;
    assert_int_equal(msiz_bruker_db_load(&db, data(TDF_OT), NULL), MSIZ_OK);
    int fd = open(db.bin_path, O_RDONLY);
    msiz_bruker_scratch s;
    assert_int_equal(msiz_bruker_scratch_init(&s, 0), MSIZ_OK);
    double max_mz_ppm = 0, max_ook0_ppm = 0, max_lin_ppm = 0;
    for (int r = 0; r < n; r++) {
        const msiz_bruker_frame *f = &db.frames[refs[r].frame - 1];
        assert_int_equal(f->id, refs[r].frame);
        /* the peak is in the decoded frame */
        uint8_t blk[4096], head[8];
        assert_int_equal(msiz_pread_full(fd, db.bin_path, head, 8, f->tims_id), MSIZ_OK);
        size_t len = msiz_load_le32(head);
        assert_true(len <= sizeof blk);
        assert_int_equal(msiz_pread_full(fd, db.bin_path, blk, len, f->tims_id), MSIZ_OK);
        const uint32_t *w;
        size_t nw, np = (size_t)f->num_peaks;
        uint32_t sc[16], tf[16], it[16];
        msiz_bruker_tdf_peaks pk = {0, sc, tf, it};
        assert_int_equal(msiz_bruker_tdf_inflate2(&s, blk, len, (size_t)f->num_scans, np, &w, &nw),
                         MSIZ_OK);
        assert_int_equal(msiz_bruker_tdf_parse2(w, nw, (size_t)f->num_scans, np, &pk), MSIZ_OK);
        int found = 0;
        for (size_t k = 0; k < pk.n; k++)
            found |= sc[k] == (uint32_t)refs[r].scan && tf[k] == refs[r].tof &&
                     it[k] == refs[r].intensity;
        assert_true(found);
        /* m/z */
        const msiz_bruker_mzcal *cal = msiz_bruker_find_mzcal(&db, f->mzcal_id);
        assert_non_null(cal);
        assert_int_equal(cal->model_type, 2);
        msiz_bruker_mzconv conv, lin;
        msiz_bruker_mzconv_init(&conv, cal, f->t1, f->t2);
        msiz_bruker_mzconv_init_linear(&lin, cal);
        double mz = msiz_bruker_index_to_mz(&conv, refs[r].tof);
        double ppm = fabs(mz - refs[r].mz_sdk) / refs[r].mz_sdk * 1e6;
        max_mz_ppm = ppm > max_mz_ppm ? ppm : max_mz_ppm;
        double back = msiz_bruker_mz_to_index(&conv, mz);
        assert_true(fabs(back - refs[r].tof) < 1e-6);
        double lm = msiz_bruker_index_to_mz(&lin, refs[r].tof);
        double lppm = fabs(lm - refs[r].mz_open) / refs[r].mz_open * 1e6;
        max_lin_ppm = lppm > max_lin_ppm ? lppm : max_lin_ppm;
        /* 1/K0 */
        const msiz_bruker_timscal *tc = msiz_bruker_find_timscal(&db, f->timscal_id);
        assert_non_null(tc);
        double k0 = msiz_bruker_scan_to_ook0(tc, refs[r].scan);
        double kppm = fabs(k0 - refs[r].ook0_sdk) / refs[r].ook0_sdk * 1e6;
        max_ook0_ppm = kppm > max_ook0_ppm ? kppm : max_ook0_ppm;
    }
    print_message("opentims SDK reference: max |m/z error| %.3g ppm, max |1/K0 error| %.3g ppm, "
                  "linear approximation vs opentims open-source values %.3g ppm\n",
                  max_mz_ppm, max_ook0_ppm, max_lin_ppm);
    /* documented accuracy (docs/bruker.md): 1e-3 ppm for m/z and 1/K0 */
    assert_true(max_mz_ppm < 1e-3);
    assert_true(max_ook0_ppm < 1e-3);
    assert_true(max_lin_ppm < 1e-6);
    close(fd);
    msiz_bruker_scratch_destroy(&s);
    msiz_bruker_db_destroy(&db);
}

/* ModelType 1 on the TSF: the index range maps onto the acquisition range (bruker.md §6b) and
 * the linear approximation stays within its stated error. */
static void test_model1_vs_linear_tsf(void **state)
{
    (void)state;
    msiz_bruker_db db;
    assert_int_equal(msiz_bruker_db_load(&db, data(TSF), NULL), MSIZ_OK);
    const msiz_bruker_frame *f = &db.frames[0];
    const msiz_bruker_mzcal *cal = msiz_bruker_find_mzcal(&db, f->mzcal_id);
    assert_int_equal(cal->model_type, 1);
    msiz_bruker_mzconv conv, lin;
    msiz_bruker_mzconv_init(&conv, cal, f->t1, f->t2);
    msiz_bruker_mzconv_init_linear(&lin, cal);
    double n = cal->lin_n, max_ppm = 0;
    assert_true(fabs(msiz_bruker_index_to_mz(&conv, 0) - 299.9999) < 2e-4);
    assert_true(fabs(msiz_bruker_index_to_mz(&conv, n) - 1500.0107) < 2e-4);
    for (double i = 0; i <= n; i += 97) {
        double a = msiz_bruker_index_to_mz(&conv, i), b = msiz_bruker_index_to_mz(&lin, i);
        double ppm = fabs(a - b) / a * 1e6;
        max_ppm = ppm > max_ppm ? ppm : max_ppm;
        assert_true(fabs(msiz_bruker_mz_to_index(&conv, a) - i) < 1e-6);
    }
    print_message("TSF ModelType 1 vs linear sqrt approximation: max %.2f ppm\n", max_ppm);
    assert_true(max_ppm > 1.0 && max_ppm < 10.0);
    /* the temperature correction matters: without it the answer moves */
    msiz_bruker_mzconv cold;
    msiz_bruker_mzconv_init(&cold, cal, cal->t1, cal->t2);
    double d = fabs(msiz_bruker_index_to_mz(&cold, n / 2) - msiz_bruker_index_to_mz(&conv, n / 2));
    assert_true(d > 1e-5);
    msiz_bruker_db_destroy(&db);
}

/* A cubic term (C3 != 0) goes through Newton's method; the inverse must round-trip. */
static void test_model1_cubic(void **state)
{
    (void)state;
    msiz_bruker_mzcal cal;
    memset(&cal, 0, sizeof cal);
    cal.model = MSIZ_BRUKER_MZ_MODEL1;
    cal.model_type = 1;
    cal.timebase = 0.2;
    cal.delay = 44606.8;
    cal.c[0] = 324.95;
    cal.c[1] = 152985.4;
    cal.c[2] = 0.00122;
    cal.c[3] = 1e-6;
    cal.c[4] = -0.0185;
    msiz_bruker_mzconv conv;
    msiz_bruker_mzconv_init(&conv, &cal, 0, 0);
    for (double mz = 100; mz < 3000; mz += 123.4) {
        double idx = msiz_bruker_mz_to_index(&conv, mz);
        assert_true(fabs(msiz_bruker_index_to_mz(&conv, idx) - mz) < 1e-9 * mz);
    }
}

/* ======================= SQLite-only TDF, regions, .mis ======================= */

static void test_tdf_without_binary(void **state)
{
    (void)state;
    log_reset();
    msiz_source *src = open_ok(data(TDF_NOBIN), NULL);
    const msiz_source_info *in = msiz_source_get_info(src);
    assert_int_equal(in->format, MSIZ_FORMAT_BRUKER_TDF);
    assert_int_equal(in->n_spectra, 342);
    assert_int_equal(in->n_x, 19);
    assert_int_equal(in->n_y, 18);
    assert_true(in->mz_min == 400.0 && in->mz_max == 2200.0);
    /* motor step 10 µm, not BeamScanSize 14 µm (edge case #73) */
    assert_true(fabs(in->pixel_size_x_um - 10.0) < 0.01);
    assert_non_null(strstr(g_log, "BeamScanSizeX 14"));
    assert_non_null(strstr(g_log, "analysis.tdf_bin missing"));
    assert_non_null(strstr(in->metadata_json, "\"instrument_name\":\" timsTOF MALDI\""));
    msiz_spectrum sp;
    msiz_spectrum_init(&sp);
    msiz_status st = msiz_source_next(src, &sp);
    assert_int_equal(st, MSIZ_E_NOTFOUND);
    assert_non_null(strstr(msiz_last_error(), "analysis.tdf_bin missing"));
    assert_non_null(strstr(msiz_last_error(), "frame 1"));
    msiz_spectrum_destroy(&sp);
    msiz_source_close(src);
}

static void test_regions_and_mis(void **state)
{
    (void)state;
    char d[512], db[600], mis[600];
    make_tmp();
    copy_d(TSF, "tsf", "regions", 1, -1, d, sizeof d);
    db_path_of(d, "tsf", db, sizeof db);
    /* region-split .d (edge case #75): RegionNumber 0, SpotName R01 for the lower half */
    sql_exec(db, "UPDATE MaldiFrameInfo SET SpotName = 'R01' || substr(SpotName, 4) "
                 "WHERE Frame > 200");
    msiz_source_opts o;
    msiz_source_opts_init(&o);
    o.region = 1;
    log_reset();
    msiz_source *src = open_ok(d, &o);
    const msiz_source_info *in = msiz_source_get_info(src);
    assert_int_equal(in->n_spectra, 200);
    assert_int_equal(in->n_x, 20);
    assert_int_equal(in->n_y, 10); /* per-region minima */
    msiz_spectrum sp;
    msiz_spectrum_init(&sp);
    assert_int_equal(msiz_source_next(src, &sp), MSIZ_OK);
    assert_int_equal(sp.region, 1);
    assert_int_equal(sp.y, 0);
    assert_int_equal(sp.raw_y, 535);
    msiz_source_close(src);
    o.region = 7;
    src = NULL;
    assert_int_equal(msiz_source_open(d, &o, &src), MSIZ_E_ARG);
    assert_non_null(strstr(msiz_last_error(), "region 7 not found (regions: 0, 1)"));
    /* a .mis beside the .d gives the pixel size */
    snprintf(mis, sizeof mis, "%s/regions.mis", g_tmp);
    const char *xml = "<?xml version=\"1.0\"?>\n<ImagingSequence>\n <Raster>25,30</Raster>\n"
                      " <Area Type=\"3\" Name=\"kidney\"><Point>1,2</Point></Area>\n"
                      "</ImagingSequence>\n";
    assert_int_equal(msiz_write_file(mis, xml, strlen(xml)), MSIZ_OK);
    log_reset();
    src = open_ok(d, NULL);
    in = msiz_source_get_info(src);
    assert_true(in->pixel_size_x_um == 25.0 && in->pixel_size_y_um == 30.0);
    assert_non_null(strstr(in->metadata_json, "\"pixel_size_source\":\"mis_raster\""));
    assert_non_null(strstr(in->metadata_json, "\"mis_area_names\":[\"kidney\"]"));
    /* regions by frame count, equal counts by number: region 0 gets the first Area name */
    assert_non_null(strstr(in->metadata_json,
                           "\"regions\":[{\"region_number\":0,\"n_frames\":200,\"name\":"
                           "\"kidney\"},{\"region_number\":1,\"n_frames\":200,\"name\":null}]"));
    assert_null(strstr(g_log, "motor step"));
    assert_non_null(strstr(g_log, "BeamScanSizeX 20 um differs"));
    msiz_source_close(src);
    /* a broken .mis is an error naming it */
    assert_int_equal(msiz_write_file(mis, "<a><Raster>", 11), MSIZ_OK);
    src = NULL;
    assert_int_equal(msiz_source_open(d, NULL, &src), MSIZ_E_FORMAT);
    assert_non_null(strstr(msiz_last_error(), "regions.mis"));
    /* calibration.sqlite inside the .d: warning (edge case #72) */
    unlink(mis);
    char cal[700];
    snprintf(cal, sizeof cal, "%s/calibration.sqlite", d);
    assert_int_equal(msiz_write_file(cal, "", 0), MSIZ_OK);
    log_reset();
    src = open_ok(d, NULL);
    assert_non_null(strstr(g_log, "calibration.sqlite present"));
    msiz_source_close(src);
    msiz_spectrum_destroy(&sp);
    assert_int_equal(msiz_remove_tree(g_tmp), MSIZ_OK);
}

/* ======================= broken folders ======================= */

static void expect_open_error(const char *d, msiz_status code, const char *needle)
{
    msiz_source *src = NULL;
    msiz_status st = msiz_source_open(d, NULL, &src);
    if (st != code || !strstr(msiz_last_error(), needle))
        fail_msg("open %s: got %d '%s', want %d '%s'", d, st, msiz_last_error(), code, needle);
    assert_null(src);
}

static void expect_read_error(const char *d, msiz_status code, const char *needle)
{
    msiz_source *src = open_ok(d, NULL);
    uint64_t count;
    msiz_status st = read_all(src, &count);
    if (st != code || !strstr(msiz_last_error(), needle))
        fail_msg("read %s: got %d '%s', want %d '%s'", d, st, msiz_last_error(), code, needle);
    msiz_source_close(src);
}

/* A copy of the TSF sample (no .tsf_bin) named `name`, `sql` run on its database, then the open
 * must fail with `code` and `needle`. */
static void expect_open_error_after_sql(const char *name, const char *sql, msiz_status code,
                                        const char *needle)
{
    char d[512], db[600];
    copy_d(TSF, "tsf", name, 0, -1, d, sizeof d);
    db_path_of(d, "tsf", db, sizeof db);
    sql_exec(db, sql);
    expect_open_error(d, code, needle);
}

static void test_broken_tsf(void **state)
{
    (void)state;
    char d[512], db[600];
    make_tmp();
    msiz_set_log_callback(NULL, NULL, MSIZ_LOG_ERROR);
    copy_d(TSF, "tsf", "nobin", 0, -1, d, sizeof d);
    expect_read_error(d, MSIZ_E_NOTFOUND, "analysis.tsf_bin missing");
    copy_d(TSF, "tsf", "short", 1, 1500000, d, sizeof d);
    expect_read_error(d, MSIZ_E_FORMAT,
                      "frame 200: block of 53018 bytes at byte 1478800 does not fit");
    copy_d(TSF, "tsf", "edge", 1, 1478804, d, sizeof d);
    expect_read_error(d, MSIZ_E_FORMAT, "frame 200: block at byte 1478800 lies beyond the end");
    copy_d(TSF, "tsf", "cut", 1, 64 + 100, d, sizeof d); /* inside frame 1's block */
    expect_read_error(d, MSIZ_E_FORMAT, "frame 1: block of 671 bytes at byte 64 does not fit");
    /* damaged zstd payload of frame 1 */
    copy_d(TSF, "tsf", "zstd", 1, -1, d, sizeof d);
    char bin[700];
    snprintf(bin, sizeof bin, "%s/analysis.tsf_bin", d);
    int fd = open(bin, O_WRONLY);
    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, "\xff\xff\xff\xff\xff\xff\xff\xff", 8, 64 + 8), 8);
    close(fd);
    expect_read_error(d, MSIZ_E_CODEC, "frame 1 (block at byte 64");
    /* NumPeaks disagreeing with the block */
    copy_d(TSF, "tsf", "count", 1, -1, d, sizeof d);
    db_path_of(d, "tsf", db, sizeof db);
    sql_exec(db, "UPDATE Frames SET NumPeaks = 27 WHERE Id = 1");
    expect_read_error(d, MSIZ_E_FORMAT, "frame 1");
    assert_non_null(strstr(msiz_last_error(), "324 expected"));
    /* dropped tables and keys */
    expect_open_error_after_sql("nocal", "DROP TABLE MzCalibration", MSIZ_E_NOTFOUND,
                                "table MzCalibration missing");
    expect_open_error_after_sql("noframes", "DROP TABLE Frames", MSIZ_E_NOTFOUND,
                                "table Frames missing");
    expect_open_error_after_sql("nogm", "DROP TABLE GlobalMetadata", MSIZ_E_NOTFOUND,
                                "table GlobalMetadata missing");
    expect_open_error_after_sql("norange",
                                "DELETE FROM GlobalMetadata WHERE Key = 'MzAcqRangeUpper'",
                                MSIZ_E_FORMAT, "MzAcqRangeLower/MzAcqRangeUpper");
    expect_open_error_after_sql("nomaldi", "DROP TABLE MaldiFrameInfo", MSIZ_E_UNSUPPORTED,
                                "no MaldiFrameInfo");
    copy_d(TSF, "tsf", "model9", 1, -1, d, sizeof d);
    db_path_of(d, "tsf", db, sizeof db);
    sql_exec(db, "UPDATE MzCalibration SET ModelType = 9");
    log_reset();
    msiz_source *src = open_ok(d, NULL);
    assert_non_null(strstr(g_log, "ModelType 9"));
    msiz_source_close(src);
    /* no SQLite at all, and a file that is not SQLite */
    snprintf(db, sizeof db, "%s/empty.d", g_tmp);
    assert_int_equal(mkdir(db, 0755), 0);
    expect_open_error(db, MSIZ_E_NOTFOUND, "neither analysis.tsf nor analysis.tdf");
    snprintf(db, sizeof db, "%s/empty.d/analysis.tsf", g_tmp);
    assert_int_equal(msiz_write_file(db, "not sqlite at all, clearly not", 30), MSIZ_OK);
    snprintf(db, sizeof db, "%s/empty.d", g_tmp);
    expect_open_error(db, MSIZ_E_FORMAT, "cannot open as SQLite");
    assert_int_equal(msiz_remove_tree(g_tmp), MSIZ_OK);
}

static void test_broken_tdf(void **state)
{
    (void)state;
    char d[512], db[600];
    make_tmp();
    msiz_set_log_callback(NULL, NULL, MSIZ_LOG_ERROR);
    msiz_source_opts o;
    msiz_source_opts_init(&o);
    o.bruker_allow_non_imaging = 1;
    msiz_source *src = NULL;
    copy_d(TDF_OT, "tdf", "lzf", 1, -1, d, sizeof d);
    db_path_of(d, "tdf", db, sizeof db);
    sql_exec(db, "UPDATE GlobalMetadata SET Value = '1' WHERE Key = 'TimsCompressionType'");
    assert_int_equal(msiz_source_open(d, &o, &src), MSIZ_E_UNSUPPORTED);
    assert_non_null(strstr(msiz_last_error(), "TimsCompressionType 1 (legacy LZF"));
    sql_exec(db, "UPDATE GlobalMetadata SET Value = '7' WHERE Key = 'TimsCompressionType'");
    assert_int_equal(msiz_source_open(d, &o, &src), MSIZ_E_UNSUPPORTED);
    assert_non_null(strstr(msiz_last_error(), "unknown TimsCompressionType 7"));
    /* peak count disagreeing with the block (frame 2 made MS1 so that it is read) */
    copy_d(TDF_OT, "tdf", "count", 1, -1, d, sizeof d);
    db_path_of(d, "tdf", db, sizeof db);
    sql_exec(db, "UPDATE Frames SET NumPeaks = 6, MsMsType = 0 WHERE Id = 2");
    src = open_ok(d, &o);
    uint64_t count;
    assert_int_equal(read_all(src, &count), MSIZ_E_FORMAT);
    assert_int_equal(count, 1);
    assert_non_null(strstr(msiz_last_error(), "frame 2"));
    msiz_source_close(src);
    /* truncated binary */
    copy_d(TDF_OT, "tdf", "cut", 1, 120, d, sizeof d);
    db_path_of(d, "tdf", db, sizeof db);
    sql_exec(db, "UPDATE Frames SET MsMsType = 0");
    src = open_ok(d, &o);
    assert_int_equal(read_all(src, &count), MSIZ_E_FORMAT);
    assert_non_null(strstr(msiz_last_error(), "frame 2: block of 84 bytes at byte 90"));
    msiz_source_close(src);
    copy_d(TDF_OT, "tdf", "notims", 1, -1, d, sizeof d);
    db_path_of(d, "tdf", db, sizeof db);
    sql_exec(db, "DROP TABLE TimsCalibration"); /* only 1/K0 needs it: the spectra read */
    src = open_ok(d, &o);
    assert_int_equal(read_all(src, &count), MSIZ_END);
    assert_int_equal(count, 1);
    msiz_source_close(src);
    o.bruker_profile = 1;
    assert_int_equal(msiz_source_open(data(TDF_OT), &o, &src), MSIZ_E_UNSUPPORTED);
    assert_int_equal(msiz_remove_tree(g_tmp), MSIZ_OK);
}

/* A copy of `rel` (SQLite only) edited by `sql`, opened with `o`: must fail with code + needle. */
static void expect_sql_error(const char *rel, const char *ext, const char *name, const char *sql,
                             const msiz_source_opts *o, msiz_status code, const char *needle)
{
    char d[512], db[600];
    msiz_source *src = NULL;
    copy_d(rel, ext, name, 0, -1, d, sizeof d);
    db_path_of(d, ext, db, sizeof db);
    sql_exec(db, sql);
    msiz_status st = msiz_source_open(d, o, &src);
    if (st != code || !strstr(msiz_last_error(), needle))
        fail_msg("%s: got %d '%s', want %d '%s'", name, st, msiz_last_error(), code, needle);
    assert_null(src);
}

/* Every value read from the tables is range-checked before it becomes a size, an index or a
 * count (edge case #84; UBSan found the float->int32 cast of ImagingArea*IndexPos). */
static void test_hostile_values(void **state)
{
    (void)state;
    make_tmp();
    msiz_set_log_callback(NULL, NULL, MSIZ_LOG_ERROR);
    msiz_source_opts lc;
    msiz_source_opts_init(&lc);
    lc.bruker_allow_non_imaging = 1;
    static const struct {
        const char *sql, *needle;
    } tsf[] = {
        {"UPDATE GlobalMetadata SET Value = '2147483648' WHERE Key = 'ImagingAreaMaxXIndexPos'",
         "ImagingAreaMaxXIndexPos = 2147483648 is not a raster index"},
        {"UPDATE GlobalMetadata SET Value = '-1e300' WHERE Key = 'ImagingAreaMinYIndexPos'",
         "ImagingAreaMinYIndexPos = -1e300 is not a raster index"},
        {"UPDATE GlobalMetadata SET Value = 'nan' WHERE Key = 'ImagingAreaMinXIndexPos'",
         "ImagingAreaMinXIndexPos = nan is not a raster index"},
        {"UPDATE GlobalMetadata SET Value = '1158.5' WHERE Key = 'ImagingAreaMinXIndexPos'",
         "ImagingAreaMinXIndexPos = 1158.5 is not a raster index"},
        {"UPDATE MaldiFrameInfo SET XIndexPos = 4294967296 WHERE Frame = 7",
         "row 7: XIndexPos = 4294967296 out of range"},
        {"UPDATE MaldiFrameInfo SET RegionNumber = -3000000000 WHERE Frame = 2",
         "row 2: RegionNumber = -3000000000 out of range"},
        {"UPDATE MaldiFrameInfo SET XIndexPos = -2147483648 WHERE Frame = 1; "
         "UPDATE MaldiFrameInfo SET XIndexPos = 2147483647 WHERE Frame = 2",
         "more than 2147483647 pixels along one side"},
        {"UPDATE Frames SET NumPeaks = 1099511627776 WHERE Id = 3",
         "row 3: NumPeaks = 1099511627776 out of range"},
        {"UPDATE Frames SET NumPeaks = -1 WHERE Id = 3", "NumPeaks = -1 out of range"},
        {"UPDATE Frames SET TimsId = -64 WHERE Id = 4", "row 4: TimsId = -64 out of range"},
        {"UPDATE GlobalMetadata SET Value = '1e-300' WHERE Key = 'MzAcqRangeLower'",
         "MzAcqRangeLower/Upper = 1e-300..1500 is not a plausible mass range"},
        {"UPDATE GlobalMetadata SET Value = 'inf' WHERE Key = 'MzAcqRangeUpper'",
         "is not a plausible mass range"},
        /* more rows than the reader keeps: the message names the limit, not memory (#13.7) */
        {"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 70000) "
         "INSERT INTO GlobalMetadata SELECT 'Extra' || i, i FROM n",
         "table GlobalMetadata has more than 65536 rows (the reader's limit)"},
    };
    char name[32];
    for (size_t i = 0; i < sizeof tsf / sizeof tsf[0]; i++) {
        snprintf(name, sizeof name, "tsf%zu", i);
        expect_sql_error(TSF, "tsf", name, tsf[i].sql, NULL,
                         strstr(tsf[i].needle, "rows") ? MSIZ_E_LIMIT : MSIZ_E_FORMAT,
                         tsf[i].needle);
    }
    expect_sql_error(TDF_OT, "tdf", "scans", "UPDATE Frames SET NumScans = 1073741824", &lc,
                     MSIZ_E_FORMAT, "row 1: NumScans = 1073741824 out of range");
    expect_sql_error(TDF_OT, "tdf", "acc", "UPDATE Frames SET AccumulationTime = -5", &lc,
                     MSIZ_E_FORMAT, "frame 1: AccumulationTime -5 ms out of range");
    expect_sql_error(TDF_OT, "tdf", "acc2", "UPDATE Frames SET AccumulationTime = 1e-300", &lc,
                     MSIZ_E_FORMAT, "AccumulationTime 1e-300 ms out of range");
    /* a polynomial term count far outside int (a double->int cast before, UB) reads */
    char d[512], db[600];
    copy_d(TDF_OT, "tdf", "c7", 1, -1, d, sizeof d);
    db_path_of(d, "tdf", db, sizeof db);
    sql_exec(db, "UPDATE MzCalibration SET C7 = 1e300, ModelType = 4294967298");
    msiz_source *src = open_ok(d, &lc);
    uint64_t count;
    assert_int_equal(read_all(src, &count), MSIZ_END);
    assert_int_equal(count, 1);
    msiz_source_close(src);
    /* AccumulationTime 0: the library leaves raw counts; so do we, with a warning */
    copy_d(TDF_SPOTS, "tdf", "acc0", 1, -1, d, sizeof d);
    db_path_of(d, "tdf", db, sizeof db);
    sql_exec(db, "UPDATE Frames SET AccumulationTime = 0 WHERE Id = 1");
    log_reset();
    src = open_ok(d, &lc);
    assert_non_null(strstr(g_log, "1 of 36 frames have no AccumulationTime"));
    msiz_spectrum sp;
    msiz_spectrum_init(&sp);
    assert_int_equal(msiz_source_read(src, 0, &sp), MSIZ_OK);
    double sum = 0;
    for (size_t k = 0; k < sp.n; k++)
        sum += sp.intensity[k];
    assert_true(sum == 1326800); /* the raw counts of frame 1 (8,712,444 normalised) */
    msiz_spectrum_destroy(&sp);
    msiz_source_close(src);
    assert_int_equal(msiz_remove_tree(g_tmp), MSIZ_OK);
}

/* Hostile schemas (issue 13 item 4): tables we read that are views are refused before any row
 * is read (a recursive view would spin forever); values longer than the cap stop the query; a
 * raised cancel flag stops a query from inside SQLite. Case-insensitive names (#83). */
static void test_sql_hardening(void **state)
{
    (void)state;
    make_tmp();
    msiz_set_log_callback(NULL, NULL, MSIZ_LOG_ERROR);
    static const char *recursive = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 "
                                   "FROM n) SELECT t.* FROM n, %s t";
    static const char *tables[] = {"Frames", "GlobalMetadata", "MaldiFrameInfo", "MzCalibration"};
    char sql[1024], name[32];
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
        char view[256], needle[64];
        snprintf(view, sizeof view, recursive, "Original");
        snprintf(sql, sizeof sql, "ALTER TABLE %s RENAME TO Original; CREATE VIEW %s AS %s",
                 tables[i], tables[i], view);
        snprintf(name, sizeof name, "view%zu", i);
        snprintf(needle, sizeof needle, "%s is a view, not a table", tables[i]);
        expect_sql_error(TSF, "tsf", name, sql, NULL, MSIZ_E_FORMAT, needle);
    }
    /* a generated column producing 32 MB per row: capped, MSIZ_E_LIMIT naming the table */
    expect_sql_error(TSF, "tsf", "big",
                     "ALTER TABLE MaldiFrameInfo ADD COLUMN Big AS (zeroblob(33554432))", NULL,
                     MSIZ_E_LIMIT, "table MaldiFrameInfo holds a value longer than 16777216");
    /* names differ in case from what the reader asks for */
    char d[512], db[600];
    copy_d(TSF, "tsf", "case", 1, -1, d, sizeof d);
    db_path_of(d, "tsf", db, sizeof db);
    sql_exec(db, "ALTER TABLE GlobalMetadata RENAME TO GLOBALMETADATA_; "
                 "ALTER TABLE GLOBALMETADATA_ RENAME TO globalmetadata; "
                 "ALTER TABLE MaldiFrameInfo RENAME TO MALDIFRAMEINFO_; "
                 "ALTER TABLE MALDIFRAMEINFO_ RENAME TO maldiframeinfo");
    msiz_source *src = open_ok(d, NULL);
    assert_int_equal(msiz_source_get_info(src)->n_x, 20);
    msiz_source_close(src);
    /* cancellation polled inside the queries */
    volatile int cancel = 1;
    msiz_bruker_db dbh;
    assert_int_equal(msiz_bruker_db_load(&dbh, data(TSF), &cancel), MSIZ_E_INTERRUPTED);
    assert_non_null(strstr(msiz_last_error(), "interrupted while reading table"));
    msiz_source_opts o;
    msiz_source_opts_init(&o);
    o.cancel = &cancel;
    assert_int_equal(msiz_source_open(data(TSF), &o, &src), MSIZ_E_INTERRUPTED);
    assert_null(src);
    assert_int_equal(msiz_remove_tree(g_tmp), MSIZ_OK);
}

/* A spot acquisition (MaldiApplicationType SingleSpectra, positions -1) is no raster: refused
 * saying so (#82); read as one row per spot with bruker_allow_non_imaging, spot names in the
 * metadata. A run of MS/MS frames only has nothing to convert (#81). */
static void test_spot_runs(void **state)
{
    (void)state;
    msiz_source *src = NULL;
    assert_int_equal(msiz_source_open(data(TDF_SPOTS), NULL, &src), MSIZ_E_UNSUPPORTED);
    assert_non_null(strstr(msiz_last_error(), "spot acquisition (MaldiApplicationType "
                                              "SingleSpectra), not an imaging raster"));
    assert_non_null(strstr(msiz_last_error(), "(36: D1, D2, D3, ...)"));
    msiz_source_opts o;
    msiz_source_opts_init(&o);
    o.bruker_allow_non_imaging = 1;
    src = open_ok(data(TDF_SPOTS), &o);
    const msiz_source_info *in = msiz_source_get_info(src);
    assert_int_equal(in->n_spectra, 36);
    assert_int_equal(in->n_x, 36);
    assert_int_equal(in->n_y, 1);
    assert_int_equal(in->total_peaks, 924096); /* Σ NumPeaks, was 0 for TDF (issue 9) */
    assert_non_null(strstr(in->metadata_json, "\"acquisition\":\"spots\""));
    assert_non_null(strstr(in->metadata_json, "\"spot_names\":[\"D1\",\"D2\",\"D3\","));
    assert_non_null(strstr(in->metadata_json, "spot acquisition (MaldiApplicationType"));
    msiz_spectrum sp;
    msiz_spectrum_init(&sp);
    assert_int_equal(msiz_source_read(src, 5, &sp), MSIZ_OK);
    assert_int_equal(sp.x, 5);
    assert_int_equal(sp.y, 0);
    assert_int_equal(sp.raw_x, -1);
    msiz_spectrum_destroy(&sp);
    msiz_source_close(src);
    /* without MaldiApplicationType, every frame at index -1 still says "spots" */
    make_tmp();
    expect_sql_error(
        TDF_SPOTS, "tdf", "noapp", "DELETE FROM GlobalMetadata WHERE Key = 'MaldiApplicationType'",
        NULL, MSIZ_E_UNSUPPORTED, "spot acquisition (every frame at XIndexPos/YIndexPos -1)");
    assert_int_equal(msiz_remove_tree(g_tmp), MSIZ_OK);
    assert_int_equal(msiz_source_open(data(TDF_MSMS), NULL, &src), MSIZ_E_UNSUPPORTED);
    assert_non_null(strstr(msiz_last_error(), "spot acquisition"));
    assert_int_equal(msiz_source_open(data(TDF_MSMS), &o, &src), MSIZ_E_UNSUPPORTED);
    assert_non_null(strstr(msiz_last_error(), "no MS1 frame: all 1 frames are MS/MS"));
}

/* Decoders on hostile blocks: truncated, oversized claims, bad words. */
static void test_decoder_bounds(void **state)
{
    (void)state;
    msiz_bruker_scratch s;
    assert_int_equal(msiz_bruker_scratch_init(&s, 1 << 20), MSIZ_OK);
    double t[4], v[4];
    uint8_t blk[16] = {16, 0, 0, 0, 8, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8};
    assert_int_equal(msiz_bruker_tsf_line(&s, blk, 7, 1, t, v), MSIZ_E_FORMAT);
    assert_int_equal(msiz_bruker_tsf_line(&s, blk, 12, 1, t, v), MSIZ_E_FORMAT); /* size 16 */
    assert_int_equal(msiz_bruker_tsf_line(&s, blk, 16, 1, t, v), MSIZ_E_CODEC);
    blk[4] = 0;
    assert_int_equal(msiz_bruker_tsf_line(&s, blk, 16, 0, t, v), MSIZ_OK); /* empty */
    assert_int_equal(msiz_bruker_tsf_line(&s, blk, 16, 3, t, v), MSIZ_E_FORMAT);
    assert_int_equal(msiz_bruker_tsf_line(&s, blk, 16, (size_t)1 << 30, t, v), MSIZ_E_FORMAT);
    blk[4] = 8;
    assert_int_equal(msiz_bruker_tsf_line(&s, blk, 16, (size_t)1 << 30, t, v), MSIZ_E_LIMIT);
    /* merging more peaks than the scratch cap allows: a limit naming the cap, not "out of
     * memory"; a failed allocation below the cap: out of memory */
    msiz_bruker_scratch small;
    assert_int_equal(msiz_bruker_scratch_init(&small, 64), MSIZ_OK); /* 8 keys */
    uint32_t mt[9] = {9, 8, 7, 6, 5, 4, 3, 2, 1}, mi[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
    double mtof[9], mval[9];
    size_t mn;
    msiz_bruker_tdf_peaks many = {9, NULL, mt, mi};
    assert_int_equal(msiz_bruker_tdf_merge(&small, &many, 1.0, mtof, mval, &mn), MSIZ_E_LIMIT);
    assert_string_equal(msiz_last_error(),
                        "merging the peaks of a frame: 9 items exceed the cap of 8");
    msiz_bruker_tdf_peaks fewer = {8, NULL, mt, mi};
    msiz_alloc_fail_after(0);
    assert_int_equal(msiz_bruker_tdf_merge(&small, &fewer, 1.0, mtof, mval, &mn), MSIZ_E_NOMEM);
    msiz_alloc_fail_after(-1);
    assert_non_null(strstr(msiz_last_error(), "merging the peaks of a frame: out of memory"));
    assert_int_equal(msiz_bruker_tdf_merge(&small, &fewer, 1.0, mtof, mval, &mn), MSIZ_OK);
    assert_int_equal(mn, 8);
    msiz_bruker_scratch_destroy(&small);
    /* TDF: header scan count must match */
    uint8_t tb[16] = {16, 0, 0, 0, 3, 0, 0, 0};
    const uint32_t *w;
    size_t nw;
    assert_int_equal(msiz_bruker_tdf_inflate2(&s, tb, 16, 4, 1, &w, &nw), MSIZ_E_FORMAT);
    /* parse: per-scan counts over the total, odd counts, zero first delta */
    uint32_t words[] = {2, 6, 1, 5, 2, 7};
    uint32_t sc[2], tf[2], it[2];
    msiz_bruker_tdf_peaks pk = {0, sc, tf, it};
    assert_int_equal(msiz_bruker_tdf_parse2(words, 6, 2, 2, &pk), MSIZ_E_FORMAT); /* 3 > 2 */
    words[1] = 4; /* both peaks in scan 0, none in scan 1 */
    assert_int_equal(msiz_bruker_tdf_parse2(words, 6, 2, 2, &pk), MSIZ_OK);
    assert_int_equal(sc[1], 0);
    assert_int_equal(tf[1], 2);
    words[1] = 2;
    assert_int_equal(msiz_bruker_tdf_parse2(words, 6, 2, 2, &pk), MSIZ_OK);
    assert_int_equal(pk.n, 2);
    assert_int_equal(tf[0], 0);
    assert_int_equal(it[0], 5);
    assert_int_equal(sc[1], 1);
    assert_int_equal(tf[1], 1);
    words[1] = 3;
    assert_int_equal(msiz_bruker_tdf_parse2(words, 6, 2, 2, &pk), MSIZ_E_FORMAT);
    words[1] = 6;
    assert_int_equal(msiz_bruker_tdf_parse2(words, 6, 2, 2, &pk), MSIZ_E_FORMAT);
    words[1] = 2;
    words[2] = 0;
    assert_int_equal(msiz_bruker_tdf_parse2(words, 6, 2, 2, &pk), MSIZ_E_FORMAT);
    words[0] = 3;
    assert_int_equal(msiz_bruker_tdf_parse2(words, 6, 2, 2, &pk), MSIZ_E_FORMAT);
    msiz_bruker_scratch_destroy(&s);
}

/* Every allocation on open (and on the first reads) may fail: NOMEM, never a crash or leak. */
static void alloc_loop(const char *path, const msiz_source_opts *o)
{
    msiz_set_log_callback(NULL, NULL, MSIZ_LOG_ERROR);
    for (long n = 0; n < 100000; n++) {
        msiz_source *src = NULL;
        msiz_alloc_fail_after(n);
        msiz_status st = msiz_source_open(path, o, &src);
        if (st == MSIZ_OK) {
            msiz_spectrum sp;
            msiz_spectrum_init(&sp);
            for (int k = 0; k < 3 && st == MSIZ_OK; k++)
                st = msiz_source_next(src, &sp);
            msiz_alloc_fail_after(-1);
            msiz_spectrum_destroy(&sp);
            msiz_source_close(src);
            if (st >= 0)
                return;
        }
        msiz_alloc_fail_after(-1);
        if (st != MSIZ_E_NOMEM)
            fail_msg("allocation %ld: status %d: %s", n, st, msiz_last_error());
    }
    fail_msg("never succeeded");
}

static void test_alloc_failures(void **state)
{
    (void)state;
    alloc_loop(data(TSF), NULL);
    msiz_source_opts o;
    msiz_source_opts_init(&o);
    o.bruker_allow_non_imaging = 1;
    alloc_loop(data(TDF_OT), &o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tsf_info_and_coordinates),
        cmocka_unit_test(test_tsf_frames_match_table),
        cmocka_unit_test(test_tsf_raw_tof_ascending),
        cmocka_unit_test(test_tsf_profile),
        cmocka_unit_test(test_tdf_dda_frames_match_table),
        cmocka_unit_test(test_tdf_opentims_frames_match_table),
        cmocka_unit_test(test_tdf_maldi_frames_match_table),
        cmocka_unit_test(test_ook0_negative_mode),
        cmocka_unit_test(test_hostile_values),
        cmocka_unit_test(test_sql_hardening),
        cmocka_unit_test(test_spot_runs),
        cmocka_unit_test(test_tdf_source_non_imaging),
        cmocka_unit_test(test_calibration_vs_sdk),
        cmocka_unit_test(test_model1_vs_linear_tsf),
        cmocka_unit_test(test_model1_cubic),
        cmocka_unit_test(test_tdf_without_binary),
        cmocka_unit_test(test_regions_and_mis),
        cmocka_unit_test(test_broken_tsf),
        cmocka_unit_test(test_broken_tdf),
        cmocka_unit_test(test_decoder_bounds),
        cmocka_unit_test(test_alloc_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
