/* The SQLite side of a .d folder: GlobalMetadata, Frames (+ MaldiFrameInfo), MzCalibration,
 * TimsCalibration and the laser settings, loaded once into memory; the database is closed
 * before the first spectrum is read. Opening and hardening: bruker_sql.c. Every value that
 * becomes a size, an index or a count is range-checked here (edge case #84). bruker.md §1-3. */
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bruker/bruker_internal.h"
#include "bruker/bruker_sql.h"
#include "common/alloc.h"
#include "common/error.h"
#include "common/json_text.h"
#include "common/log.h"
#include "io/fs.h"

#define MAX_FRAMES ((size_t)1 << 26)
#define MAX_ROWS   ((size_t)1 << 16)

static char *join_alloc(const char *a, const char *b)
{
    size_t n = strlen(a) + strlen(b) + 2;
    char *out = msiz_malloc(n);
    if (out)
        snprintf(out, n, "%s/%s", a, b);
    return out;
}

static double col_double(sqlite3_stmt *st, int i)
{
    return i >= 0 ? sqlite3_column_double(st, i) : 0.0;
}

static int64_t col_int(sqlite3_stmt *st, int i)
{
    return i >= 0 ? sqlite3_column_int64(st, i) : 0;
}

#define col_index msiz_bruker_sql_col

/* Room for one more row of a table being loaded; a table longer than the reader's limit is
 * MSIZ_E_LIMIT saying so (not "out of memory"). */
static msiz_status grow_rows(const msiz_bruker_db *db, const char *table, void *rows, size_t *cap,
                             size_t n, size_t elem, size_t max)
{
    if (n >= max)
        return msiz_fail(MSIZ_E_LIMIT, "%s: table %s has more than %zu rows (the reader's limit)",
                         db->sqlite_path, table, max);
    msiz_status status = msiz_grow((void **)rows, cap, n + 1, elem, max);
    if (status < 0)
        return msiz_fail_context(status, "%s: reading row %zu of table %s", db->d_path, n + 1,
                                 table);
    return MSIZ_OK;
}

/* Ends a row loop: a step that stopped short of SQLITE_DONE is an error; st is finalized. */
static msiz_status end_rows(msiz_bruker_sql *sql, const char *table, sqlite3_stmt *st, int rc,
                            msiz_status status)
{
    if (status == MSIZ_OK && rc != SQLITE_DONE)
        status = msiz_bruker_sql_step_error(sql, table, rc);
    sqlite3_finalize(st);
    return status;
}

/* An integer column value that must fit [lo, hi] before it becomes a size, index or count. */
static msiz_status int_in_range(const msiz_bruker_db *db, const char *table, const char *column,
                                int64_t row_id, int64_t v, int64_t lo, int64_t hi)
{
    if (v >= lo && v <= hi)
        return MSIZ_OK;
    return msiz_fail(MSIZ_E_FORMAT, "%s: table %s, row %lld: %s = %lld out of range (%lld to %lld)",
                     db->sqlite_path, table, (long long)row_id, column, (long long)v, (long long)lo,
                     (long long)hi);
}

static msiz_status load_meta(msiz_bruker_db *db, msiz_bruker_sql *sql)
{
    sqlite3_stmt *st;
    size_t cap = 0;
    int rc = SQLITE_DONE;
    msiz_status status = msiz_bruker_sql_prepare(sql, "GlobalMetadata",
                                                 "SELECT Key, Value FROM GlobalMetadata", &st);
    while (status == MSIZ_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *k = (const char *)sqlite3_column_text(st, 0);
        const char *v = (const char *)sqlite3_column_text(st, 1);
        if (!k)
            continue;
        status = grow_rows(db, "GlobalMetadata", &db->meta, &cap, db->n_meta, sizeof *db->meta,
                           MAX_ROWS);
        if (status < 0)
            break;
        msiz_bruker_kv *kv = &db->meta[db->n_meta];
        kv->key = msiz_strdup(k);
        kv->value = msiz_strdup(v ? v : "");
        db->n_meta++;
        if (!kv->key || !kv->value)
            status = msiz_fail(MSIZ_E_NOMEM, "%s: out of memory (GlobalMetadata)", db->d_path);
    }
    return end_rows(sql, "GlobalMetadata", st, rc, status);
}

/* Column positions in Frames. */
typedef struct frame_cols {
    int id, tims_id, num_peaks, num_scans, t1, t2, mzcal, timscal, max_int, sum_int, acc, polarity,
        msms;
} frame_cols;

static msiz_status frame_columns(const msiz_bruker_db *db, sqlite3_stmt *st, frame_cols *c)
{
    c->id = col_index(st, "Id");
    c->tims_id = col_index(st, "TimsId");
    c->num_peaks = col_index(st, "NumPeaks");
    c->num_scans = col_index(st, "NumScans");
    c->t1 = col_index(st, "T1");
    c->t2 = col_index(st, "T2");
    c->mzcal = col_index(st, "MzCalibration");
    c->timscal = col_index(st, "TimsCalibration");
    c->max_int = col_index(st, "MaxIntensity");
    c->sum_int = col_index(st, "SummedIntensities");
    c->acc = col_index(st, "AccumulationTime");
    c->polarity = col_index(st, "Polarity");
    c->msms = col_index(st, "MsMsType");
    /* no MzCalibration column (timsrust's simulated run): the linear approximation, see
     * load_mzcal */
    const char *missing = c->id < 0                          ? "Id"
                          : c->tims_id < 0                   ? "TimsId"
                          : c->num_peaks < 0                 ? "NumPeaks"
                          : (db->is_tdf && c->num_scans < 0) ? "NumScans"
                                                             : NULL;
    if (missing)
        return msiz_fail(MSIZ_E_FORMAT, "%s: table Frames has no column %s", db->sqlite_path,
                         missing);
    return MSIZ_OK;
}

static msiz_status read_frame(const msiz_bruker_db *db, sqlite3_stmt *st, const frame_cols *c,
                              msiz_bruker_frame *f)
{
    memset(f, 0, sizeof *f);
    f->id = col_int(st, c->id);
    int64_t tims_id = col_int(st, c->tims_id);
    f->num_peaks = col_int(st, c->num_peaks);
    f->num_scans = col_int(st, c->num_scans);
    f->msms_type = col_int(st, c->msms);
    msiz_status status;
    if ((status = int_in_range(db, "Frames", "TimsId", f->id, tims_id, 0, INT64_MAX)) < 0 ||
        (status = int_in_range(db, "Frames", "NumPeaks", f->id, f->num_peaks, 0,
                               MSIZ_BRUKER_MAX_FRAME_PEAKS)) < 0 ||
        (status = int_in_range(db, "Frames", "NumScans", f->id, f->num_scans, 0,
                               MSIZ_BRUKER_MAX_SCANS)) < 0)
        return status;
    f->tims_id = (uint64_t)tims_id;
    f->t1 = col_double(st, c->t1);
    f->t2 = col_double(st, c->t2);
    f->mzcal_id = col_int(st, c->mzcal);
    f->timscal_id = col_int(st, c->timscal);
    f->max_intensity = col_double(st, c->max_int);
    f->summed_intensities = col_double(st, c->sum_int);
    f->accumulation_time = col_double(st, c->acc);
    const unsigned char *pol = c->polarity >= 0 ? sqlite3_column_text(st, c->polarity) : NULL;
    f->polarity = pol && (pol[0] == '+' || pol[0] == '-') ? (char)pol[0] : 0;
    return MSIZ_OK;
}

static msiz_status load_frames(msiz_bruker_db *db, msiz_bruker_sql *sql)
{
    sqlite3_stmt *st;
    frame_cols c = {0};
    size_t cap = 0;
    int rc = SQLITE_DONE;
    msiz_status status =
        msiz_bruker_sql_prepare(sql, "Frames", "SELECT * FROM Frames ORDER BY Id", &st);
    if (status == MSIZ_OK)
        status = frame_columns(db, st, &c);
    while (status == MSIZ_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        status = grow_rows(db, "Frames", &db->frames, &cap, db->n_frames, sizeof *db->frames,
                           MAX_FRAMES);
        if (status < 0)
            break;
        status = read_frame(db, st, &c, &db->frames[db->n_frames]);
        db->n_frames++;
    }
    db->has_mzcal_column = c.mzcal >= 0;
    return end_rows(sql, "Frames", st, rc, status);
}

static msiz_bruker_frame *find_frame(msiz_bruker_frame *frames, size_t n, int64_t id)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (frames[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && frames[lo].id == id ? &frames[lo] : NULL;
}

/* Region-split .d files keep RegionNumber 0 but name the region in SpotName "R01X...". */
static int32_t region_of(int64_t region_number, const char *spot)
{
    if (region_number != 0 || !spot || spot[0] != 'R' || spot[1] < '0' || spot[1] > '9')
        return (int32_t)region_number;
    long v = 0;
    for (const char *p = spot + 1; *p >= '0' && *p <= '9' && v < 100000; p++)
        v = v * 10 + (*p - '0');
    return (int32_t)v;
}

typedef struct maldi_cols {
    int frame, x, y, region, spot, mx, my, power, rate;
} maldi_cols;

static msiz_status maldi_row(const msiz_bruker_db *db, sqlite3_stmt *st, const maldi_cols *c,
                             msiz_bruker_frame *f)
{
    const char *spot = c->spot >= 0 ? (const char *)sqlite3_column_text(st, c->spot) : NULL;
    int64_t x = col_int(st, c->x), y = col_int(st, c->y), region = col_int(st, c->region);
    msiz_status status;
    if ((status = int_in_range(db, "MaldiFrameInfo", "XIndexPos", f->id, x, INT32_MIN, INT32_MAX)) <
            0 ||
        (status = int_in_range(db, "MaldiFrameInfo", "YIndexPos", f->id, y, INT32_MIN, INT32_MAX)) <
            0 ||
        (status = int_in_range(db, "MaldiFrameInfo", "RegionNumber", f->id, region, INT32_MIN,
                               INT32_MAX)) < 0)
        return status;
    f->raw_x = (int32_t)x;
    f->raw_y = (int32_t)y;
    f->region = region_of(region, spot);
    f->motor_x = col_double(st, c->mx);
    f->motor_y = col_double(st, c->my);
    f->laser_power = col_double(st, c->power);
    f->laser_rep_rate = col_double(st, c->rate);
    f->has_maldi = 1;
    if (spot)
        snprintf(f->spot_name, sizeof f->spot_name, "%s", spot);
    return MSIZ_OK;
}

/* Reorders db->frames into MaldiFrameInfo order, each with its coordinates. */
static msiz_status load_maldi(msiz_bruker_db *db, msiz_bruker_sql *sql)
{
    sqlite3_stmt *st;
    maldi_cols c;
    size_t n = 0, cap = 0;
    int rc = SQLITE_DONE;
    msiz_bruker_frame *ordered = NULL;
    msiz_status status = msiz_bruker_sql_prepare(
        sql, "MaldiFrameInfo", "SELECT * FROM MaldiFrameInfo ORDER BY Frame", &st);
    if (status == MSIZ_OK) {
        c = (maldi_cols){col_index(st, "Frame"),          col_index(st, "XIndexPos"),
                         col_index(st, "YIndexPos"),      col_index(st, "RegionNumber"),
                         col_index(st, "SpotName"),       col_index(st, "MotorPositionX"),
                         col_index(st, "MotorPositionY"), col_index(st, "LaserPower"),
                         col_index(st, "LaserRepRate")};
        if (c.frame < 0 || c.x < 0 || c.y < 0)
            status =
                msiz_fail(MSIZ_E_FORMAT, "%s: MaldiFrameInfo lacks Frame, XIndexPos or YIndexPos",
                          db->sqlite_path);
    }
    while (status == MSIZ_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t id = col_int(st, c.frame);
        msiz_bruker_frame *f = find_frame(db->frames, db->n_frames, id);
        if (!f) {
            status = msiz_fail(MSIZ_E_FORMAT, "%s: MaldiFrameInfo names frame %lld, not in Frames",
                               db->sqlite_path, (long long)id);
            break;
        }
        status = grow_rows(db, "MaldiFrameInfo", &ordered, &cap, n, sizeof *ordered, MAX_FRAMES);
        if (status < 0)
            break;
        ordered[n] = *f;
        status = maldi_row(db, st, &c, &ordered[n]);
        n++;
    }
    status = end_rows(sql, "MaldiFrameInfo", st, rc, status);
    if (status < 0) {
        msiz_free(ordered);
        return status;
    }
    msiz_free(db->frames);
    db->frames = ordered;
    db->n_frames = n;
    db->has_maldi_info = 1;
    return MSIZ_OK;
}

/* A ModelType outside int is no model we know: -1 (the linear fallback, with a warning). */
static int clamp_model(int64_t v)
{
    return v >= INT_MIN && v <= INT_MAX ? (int)v : -1;
}

/* What the linear √m approximation needs, from GlobalMetadata. */
static void linear_fallback(const msiz_bruker_db *db, msiz_bruker_mzcal *m)
{
    double lo = 0, hi = 0, n = 0;
    msiz_bruker_meta_double(db, "MzAcqRangeLower", &lo);
    msiz_bruker_meta_double(db, "MzAcqRangeUpper", &hi);
    msiz_bruker_meta_double(db, "DigitizerNumSamples", &n);
    const char *sw = msiz_bruker_meta(db, "AcquisitionSoftware");
    double widen = sw && strcmp(sw, "Bruker otofControl") == 0 ? 5.0 : 0.0;
    m->lin_lo = lo - widen;
    m->lin_hi = hi + widen;
    m->lin_n = n;
}

static void mzcal_row(const msiz_bruker_db *db, sqlite3_stmt *st, msiz_bruker_mzcal *m)
{
    char name[16];
    memset(m, 0, sizeof *m);
    m->id = col_int(st, col_index(st, "Id"));
    m->model_type = clamp_model(col_int(st, col_index(st, "ModelType")));
    m->model = m->model_type == 1   ? MSIZ_BRUKER_MZ_MODEL1
               : m->model_type == 2 ? MSIZ_BRUKER_MZ_MODEL2
                                    : MSIZ_BRUKER_MZ_LINEAR_SQRT;
    m->timebase = col_double(st, col_index(st, "DigitizerTimebase"));
    m->delay = col_double(st, col_index(st, "DigitizerDelay"));
    m->t1 = col_double(st, col_index(st, "T1"));
    m->t2 = col_double(st, col_index(st, "T2"));
    m->dc1 = col_double(st, col_index(st, "dC1"));
    m->dc2 = col_double(st, col_index(st, "dC2"));
    for (int k = 0; k < MSIZ_BRUKER_MAX_COEF; k++) {
        snprintf(name, sizeof name, "C%d", k);
        m->c[k] = col_double(st, col_index(st, name));
    }
    linear_fallback(db, m);
}

/* Frames without an MzCalibration column all get one linear-fallback calibration, id 0
 * (timsrust's simulated run has neither the column nor the table). */
static msiz_status no_mzcal(msiz_bruker_db *db)
{
    if (!(db->mzcal = msiz_calloc(1, sizeof *db->mzcal)))
        return msiz_fail(MSIZ_E_NOMEM, "%s: out of memory", db->d_path);
    db->n_mzcal = 1;
    db->mzcal[0].model = MSIZ_BRUKER_MZ_LINEAR_SQRT;
    db->mzcal[0].model_type = -1;
    linear_fallback(db, &db->mzcal[0]);
    for (size_t i = 0; i < db->n_frames; i++)
        db->frames[i].mzcal_id = 0;
    db->no_mzcal = 1;
    return MSIZ_OK;
}

static msiz_status load_mzcal(msiz_bruker_db *db, msiz_bruker_sql *sql)
{
    sqlite3_stmt *st;
    size_t cap = 0;
    int rc = SQLITE_DONE;
    if (!db->has_mzcal_column) /* frames name no calibration (then a table would be unused) */
        return no_mzcal(db);
    msiz_status status =
        msiz_bruker_sql_prepare(sql, "MzCalibration", "SELECT * FROM MzCalibration", &st);
    while (status == MSIZ_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        status = grow_rows(db, "MzCalibration", &db->mzcal, &cap, db->n_mzcal, sizeof *db->mzcal,
                           MAX_ROWS);
        if (status < 0)
            break;
        mzcal_row(db, st, &db->mzcal[db->n_mzcal++]);
    }
    return end_rows(sql, "MzCalibration", st, rc, status);
}

/* TimsCalibration is optional: only 1/K0 needs it, not the m/z spectrum. */
static msiz_status load_timscal(msiz_bruker_db *db, msiz_bruker_sql *sql)
{
    sqlite3_stmt *st;
    size_t cap = 0;
    int rc = SQLITE_DONE;
    char name[16];
    if (msiz_bruker_sql_object(sql, "TimsCalibration") == 0)
        return MSIZ_OK;
    msiz_status status =
        msiz_bruker_sql_prepare(sql, "TimsCalibration", "SELECT * FROM TimsCalibration", &st);
    while (status == MSIZ_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        status = grow_rows(db, "TimsCalibration", &db->timscal, &cap, db->n_timscal,
                           sizeof *db->timscal, MAX_ROWS);
        if (status < 0)
            break;
        msiz_bruker_timscal *t = &db->timscal[db->n_timscal++];
        t->id = col_int(st, col_index(st, "Id"));
        t->model_type = clamp_model(col_int(st, col_index(st, "ModelType")));
        for (int k = 0; k < 10; k++) {
            snprintf(name, sizeof name, "C%d", k);
            t->c[k] = col_double(st, col_index(st, name));
        }
    }
    return end_rows(sql, "TimsCalibration", st, rc, status);
}

/* First MaldiFrameLaserInfo row: kept as a JSON object text plus the sizes Thyra reads. */
static msiz_status load_laser(msiz_bruker_db *db, msiz_bruker_sql *sql)
{
    sqlite3_stmt *st;
    if (msiz_bruker_sql_object(sql, "MaldiFrameLaserInfo") == 0)
        return MSIZ_OK;
    msiz_status status = msiz_bruker_sql_prepare(
        sql, "MaldiFrameLaserInfo", "SELECT * FROM MaldiFrameLaserInfo ORDER BY Id LIMIT 1", &st);
    if (status < 0)
        return status;
    json_t *obj = json_object();
    int rc = obj ? sqlite3_step(st) : SQLITE_NOMEM, bad = !obj; /* bad: out of memory */
    if (rc == SQLITE_ROW) {
        for (int i = 0; !bad && i < sqlite3_column_count(st); i++) {
            int type = sqlite3_column_type(st, i);
            json_t *v = type == SQLITE_INTEGER ? json_integer(sqlite3_column_int64(st, i))
                        : type == SQLITE_FLOAT ? msiz_json_real(sqlite3_column_double(st, i))
                        : type == SQLITE_TEXT
                            ? msiz_json_text((const char *)sqlite3_column_text(st, i))
                            : json_null();
            const char *name = sqlite3_column_name(st, i); /* NULL: out of memory */
            bad = msiz_json_set_text_key(obj, name ? name : "", name ? v : NULL) != 0;
            if (!name)
                json_decref(v);
        }
        db->beam_scan_x = col_double(st, col_index(st, "BeamScanSizeX"));
        db->beam_scan_y = col_double(st, col_index(st, "BeamScanSizeY"));
        db->spot_size = col_double(st, col_index(st, "SpotSize"));
        db->has_laser = 1;
    } else if (rc != SQLITE_DONE) {
        status = msiz_bruker_sql_step_error(sql, "MaldiFrameLaserInfo", rc);
    }
    sqlite3_finalize(st);
    db->laser_json =
        !bad && status == MSIZ_OK ? json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(obj);
    if (status == MSIZ_OK && !db->laser_json)
        return msiz_fail(MSIZ_E_NOMEM, "%s: out of memory (MaldiFrameLaserInfo)", db->d_path);
    return status;
}

static msiz_status find_files(msiz_bruker_db *db, const char *d_path)
{
    if (!(db->d_path = msiz_strdup(d_path)))
        return msiz_fail(MSIZ_E_NOMEM, "%s: out of memory", d_path);
    static const char *names[2] = {"analysis.tsf", "analysis.tdf"};
    for (int k = 0; k < 2; k++) {
        char *p = join_alloc(d_path, names[k]);
        if (!p)
            return msiz_fail(MSIZ_E_NOMEM, "%s: out of memory", d_path);
        if (msiz_path_exists(p)) {
            db->sqlite_path = p;
            db->is_tdf = k == 1;
            size_t n = strlen(p) + 5;
            if (!(db->bin_path = msiz_malloc(n)))
                return msiz_fail(MSIZ_E_NOMEM, "%s: out of memory", d_path);
            snprintf(db->bin_path, n, "%s_bin", p);
            return MSIZ_OK;
        }
        msiz_free(p);
    }
    return msiz_fail(MSIZ_E_NOTFOUND, "%s: neither analysis.tsf nor analysis.tdf in the .d folder",
                     d_path);
}

msiz_status msiz_bruker_db_load(msiz_bruker_db *db, const char *d_path, volatile int *cancel)
{
    msiz_status status = MSIZ_OK;
    msiz_bruker_sql sql = {0};
    memset(db, 0, sizeof *db);
    MSIZ_TRY(find_files(db, d_path));
    MSIZ_TRY(msiz_bruker_sql_open(&sql, db->sqlite_path, cancel));
    MSIZ_TRY(load_meta(db, &sql));
    MSIZ_TRY(load_frames(db, &sql));
    if (msiz_bruker_sql_object(&sql, "MaldiFrameInfo") != 0)
        MSIZ_TRY(load_maldi(db, &sql));
    MSIZ_TRY(load_mzcal(db, &sql));
    if (db->is_tdf)
        MSIZ_TRY(load_timscal(db, &sql));
    MSIZ_TRY(load_laser(db, &sql));
cleanup:
    msiz_bruker_sql_close(&sql);
    if (status < 0)
        msiz_bruker_db_destroy(db);
    return status;
}

void msiz_bruker_db_destroy(msiz_bruker_db *db)
{
    if (!db)
        return;
    for (size_t i = 0; i < db->n_meta; i++) {
        msiz_free(db->meta[i].key);
        msiz_free(db->meta[i].value);
    }
    msiz_free(db->meta);
    msiz_free(db->frames);
    msiz_free(db->mzcal);
    msiz_free(db->timscal);
    free(db->laser_json); /* jansson's allocator */
    msiz_free(db->d_path);
    msiz_free(db->sqlite_path);
    msiz_free(db->bin_path);
    memset(db, 0, sizeof *db);
}

const char *msiz_bruker_meta(const msiz_bruker_db *db, const char *key)
{
    for (size_t i = 0; i < db->n_meta; i++)
        if (strcmp(db->meta[i].key, key) == 0)
            return db->meta[i].value;
    return NULL;
}

int msiz_bruker_meta_double(const msiz_bruker_db *db, const char *key, double *out)
{
    const char *v = msiz_bruker_meta(db, key);
    char *end;
    if (!v || !*v)
        return -1;
    double d = strtod(v, &end);
    while (*end == ' ')
        end++;
    if (*end != '\0')
        return -1;
    *out = d;
    return 0;
}

const msiz_bruker_mzcal *msiz_bruker_find_mzcal(const msiz_bruker_db *db, int64_t id)
{
    for (size_t i = 0; i < db->n_mzcal; i++)
        if (db->mzcal[i].id == id)
            return &db->mzcal[i];
    return NULL;
}

const msiz_bruker_timscal *msiz_bruker_find_timscal(const msiz_bruker_db *db, int64_t id)
{
    for (size_t i = 0; i < db->n_timscal; i++)
        if (db->timscal[i].id == id)
            return &db->timscal[i];
    return NULL;
}

static int cmp_region(const void *p, const void *q)
{
    const msiz_bruker_region *a = p, *b = q;
    if (a->n_frames != b->n_frames)
        return a->n_frames > b->n_frames ? -1 : 1;
    return (a->number > b->number) - (a->number < b->number);
}

msiz_status msiz_bruker_regions(const msiz_bruker_db *db, msiz_bruker_region **out, size_t *n)
{
    msiz_bruker_region *r = NULL;
    size_t cap = 0, count = 0;
    *out = NULL;
    *n = 0;
    for (size_t i = 0; i < db->n_frames; i++) {
        size_t j = 0;
        while (j < count && r[j].number != db->frames[i].region)
            j++;
        if (j == count) {
            msiz_status status = msiz_grow((void **)&r, &cap, count + 1, sizeof *r, MAX_ROWS);
            if (status < 0) {
                msiz_free(r);
                return msiz_fail_context(status, "%s: regions", db->d_path);
            }
            r[count++] = (msiz_bruker_region){db->frames[i].region, 0};
        }
        r[j].n_frames++;
    }
    if (count > 1)
        qsort(r, count, sizeof *r, cmp_region);
    *out = r;
    *n = count;
    return MSIZ_OK;
}
