/* Bruker timsTOF .d reader internals (TSF and TDF without the vendor library).
 * Layers: bruker_db.c (SQLite -> frame records), bruker_tsf.c / bruker_tdf.c (in-memory block
 * decoders, also driven by the fuzzer), bruker_calib.c (TOF index -> m/z, scan -> 1/K0),
 * bruker_mis.c (.mis raster beside the .d), bruker_meta.c (metadata JSON), bruker_reader.c
 * (the msiz_source backend). Facts: docs/reference/bruker.md. */
#ifndef MSIZ_BRUKER_INTERNAL_H
#define MSIZ_BRUKER_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "common/endian.h"
#include "msizarr/msizarr.h"

/* ---- calibration (bruker_calib.c) ---- */

#define MSIZ_BRUKER_MAX_COEF 15

typedef enum msiz_bruker_mz_model {
    MSIZ_BRUKER_MZ_LINEAR_SQRT = 0, /* (√lo + i·(√hi − √lo)/N)², approximate (edge case #71) */
    MSIZ_BRUKER_MZ_MODEL1 = 1,      /* physical model, MzCalibration ModelType 1 */
    MSIZ_BRUKER_MZ_MODEL2 = 2       /* ModelType 1 base + polynomial correction in [C5, C6] */
} msiz_bruker_mz_model;

/* One MzCalibration row plus what the linear fallback needs. */
typedef struct msiz_bruker_mzcal {
    int64_t id;
    msiz_bruker_mz_model model;
    int model_type;                 /* as stored */
    double timebase;                /* DigitizerTimebase */
    double delay;                   /* DigitizerDelay */
    double t1, t2;                  /* reference temperatures */
    double dc1, dc2;                /* temperature coefficients (ppm per degree) */
    double c[MSIZ_BRUKER_MAX_COEF]; /* C0..C14 (missing columns are 0) */
    /* linear fallback */
    double lin_lo, lin_hi, lin_n;
} msiz_bruker_mzcal;

/* Per-frame converter (temperature correction applied). */
typedef struct msiz_bruker_mzconv {
    msiz_bruker_mz_model model;
    double timebase, delay;
    double c0, sqrt_k, c2, c3, c4; /* tof(s) = c0 + sqrt_k·s + c2·s² + c3·s³, s = √(m + c4) */
    double poly_lo, poly_hi;       /* model 2 correction range */
    int poly_n;
    double poly[8];
    double lin_a, lin_b; /* linear: √m = lin_a + lin_b·i */
} msiz_bruker_mzconv;

/* Builds the converter for a frame measured at temperatures (frame_t1, frame_t2). */
void msiz_bruker_mzconv_init(msiz_bruker_mzconv *conv, const msiz_bruker_mzcal *cal,
                             double frame_t1, double frame_t2);
/* Converter using the linear √m approximation only. */
void msiz_bruker_mzconv_init_linear(msiz_bruker_mzconv *conv, const msiz_bruker_mzcal *cal);
/* m/z of a (fractional) TOF index. */
double msiz_bruker_index_to_mz(const msiz_bruker_mzconv *conv, double index);
/* Fractional TOF index of an m/z (inverse; exact for the models). */
double msiz_bruker_mz_to_index(const msiz_bruker_mzconv *conv, double mz);

/* One TimsCalibration row (ModelType 2). */
typedef struct msiz_bruker_timscal {
    int64_t id;
    int model_type;
    double c[10];
} msiz_bruker_timscal;

/* 1/K0 (V·s/cm²) of a mobility scan number (0-based); NaN if the model is unknown. */
double msiz_bruker_scan_to_ook0(const msiz_bruker_timscal *cal, double scan);

/* ---- block decoders (bruker_tsf.c, bruker_tdf.c) ---- */

/* Scratch shared by the decoders: zstd context and a decompression buffer (capped). */
typedef struct msiz_bruker_scratch {
    void *dctx; /* ZSTD_DCtx */
    uint8_t *buf;
    size_t cap;
    uint32_t *words; /* unshuffled words */
    size_t words_cap;
    uint64_t *keys; /* TDF merge keys */
    size_t keys_cap;
    size_t max_bytes; /* cap on one decompressed block */
} msiz_bruker_scratch;

msiz_status msiz_bruker_scratch_init(msiz_bruker_scratch *s, size_t max_bytes);
void msiz_bruker_scratch_destroy(msiz_bruker_scratch *s);

/* Decompresses `n` bytes of zstd into the scratch buffer, which must come out as exactly
 * `expected` bytes (MSIZ_E_FORMAT / MSIZ_E_CODEC otherwise; MSIZ_E_LIMIT past the cap). */
msiz_status msiz_bruker_zstd_exact(msiz_bruker_scratch *s, const uint8_t *src, size_t n,
                                   size_t expected, const uint8_t **out);
/* Byte-shuffled u32 words (plane k holds byte k of every word) -> words. */
void msiz_bruker_unshuffle_u32(const uint8_t *in, size_t n_words, uint32_t *out);
/* Makes the scratch's word buffer hold n words. */
msiz_status msiz_bruker_scratch_words(msiz_bruker_scratch *s, size_t n);
/* TSF block header: u32 block_size, u32 line_len. */
#define MSIZ_BRUKER_BLOCK_HEADER 8

/* Decodes the line (centroid) part of a TSF block (`block` = the whole block, header included,
 * `len` bytes) holding `num_peaks` peaks: TOF indices (f64, ascending) into tof[], intensities
 * (f32 widened) into intensity[] (both sized num_peaks). num_peaks == 0 with line_len == 0 is
 * an empty spectrum (no zstd call). Errors: MSIZ_E_FORMAT / MSIZ_E_CODEC with sizes; the caller
 * adds the path and frame id. */
msiz_status msiz_bruker_tsf_line(msiz_bruker_scratch *s, const uint8_t *block, size_t len,
                                 size_t num_peaks, double *tof, double *intensity);

/* Decodes the profile part of a TSF block into `num_samples` counts (u32 unshuffled). */
msiz_status msiz_bruker_tsf_profile(msiz_bruker_scratch *s, const uint8_t *block, size_t len,
                                    size_t num_samples, uint32_t *counts);

/* Peaks of one TDF frame as stored: per peak its scan, TOF index and intensity. */
typedef struct msiz_bruker_tdf_peaks {
    size_t n;
    uint32_t *scan; /* may be NULL when not wanted */
    uint32_t *tof;
    uint32_t *intensity;
} msiz_bruker_tdf_peaks;

/* Decompresses a type-2 TDF block (zstd + byte shuffle) holding `num_peaks` peaks over
 * `num_scans` scans. On success *words points into the scratch buffer (n_words u32 values). */
msiz_status msiz_bruker_tdf_inflate2(msiz_bruker_scratch *s, const uint8_t *block, size_t len,
                                     size_t num_scans, size_t num_peaks, const uint32_t **words,
                                     size_t *n_words);

/* Parses inflated words into peaks (arrays of `out` sized num_peaks; scan may be NULL). */
msiz_status msiz_bruker_tdf_parse2(const uint32_t *words, size_t n_words, size_t num_scans,
                                   size_t num_peaks, msiz_bruker_tdf_peaks *out);

/* Plausible MzAcqRangeLower/Upper (the mass axis is built over it): no instrument measures
 * below m/z 1 or above 10^6. */
#define MSIZ_BRUKER_MIN_MZ 1.0
#define MSIZ_BRUKER_MAX_MZ 1e6

/* Plausible Frames.AccumulationTime (ms); real runs use about 10 to 1000 ms. Within this range
 * a scaled count (< 2^32 · 100 / min) stays an exact integer in a double. */
#define MSIZ_BRUKER_MIN_ACCUMULATION_MS 1e-3
#define MSIZ_BRUKER_MAX_ACCUMULATION_MS 1e7

/* Intensity factor of a frame: 100 / AccumulationTime (ms), 1 when that is 0 or invalid. */
double msiz_bruker_tdf_scale(double accumulation_ms);
/* A stored peak's intensity as the vendor library reports it: floor(raw × scale + 0.5). */
double msiz_bruker_tdf_intensity(uint32_t raw, double scale);

/* Sums a frame's peaks over all scans: unique TOF indices ascending into tof[], the sums of
 * their scaled intensities (msiz_bruker_tdf_intensity) into intensity[]; *n_out <= peaks->n.
 * Uses the scratch's key buffer. */
msiz_status msiz_bruker_tdf_merge(msiz_bruker_scratch *s, const msiz_bruker_tdf_peaks *peaks,
                                  double scale, double *tof, double *intensity, size_t *n_out);

/* Decodes a whole type-2 block into summed (tof, intensity) pairs: inflate + parse + merge.
 * tmp_tof/tmp_int are caller buffers of num_peaks u32 each; scale from msiz_bruker_tdf_scale. */
msiz_status msiz_bruker_tdf_frame(msiz_bruker_scratch *s, const uint8_t *block, size_t len,
                                  size_t num_scans, size_t num_peaks, double scale,
                                  uint32_t *tmp_tof, uint32_t *tmp_int, double *tof,
                                  double *intensity, size_t *n_out);

/* ---- database (bruker_db.c) ---- */

/* Bounds on Frames values that become sizes (checked at load, edge case #84): a frame holds at
 * most 2^31-1 stored peaks (its decoded block is capped at 2 GiB anyway) and 2^20 scans (real
 * TIMS frames have about 400-2000). */
#define MSIZ_BRUKER_MAX_FRAME_PEAKS INT32_MAX
#define MSIZ_BRUKER_MAX_SCANS       ((int64_t)1 << 20)

typedef struct msiz_bruker_frame {
    int64_t id;
    uint64_t tims_id; /* byte offset of the block in the _bin */
    int64_t num_peaks, num_scans;
    int64_t msms_type; /* 0 = MS1; PASEF/DIA/PRM MS/MS otherwise (no column: 0) */
    double t1, t2;
    int64_t mzcal_id, timscal_id;
    double max_intensity, summed_intensities, accumulation_time;
    int32_t raw_x, raw_y, region;
    double motor_x, motor_y;
    double laser_power, laser_rep_rate;
    int has_maldi;
    char polarity; /* '+', '-' or 0 */
    char spot_name[32];
} msiz_bruker_frame;

typedef struct msiz_bruker_kv {
    char *key, *value;
} msiz_bruker_kv;

typedef struct msiz_bruker_db {
    char *d_path;      /* the .d folder */
    char *sqlite_path; /* analysis.tsf / analysis.tdf */
    char *bin_path;    /* its _bin */
    int is_tdf;
    msiz_bruker_kv *meta; /* GlobalMetadata */
    size_t n_meta;
    msiz_bruker_frame *frames; /* iteration order (MaldiFrameInfo.Frame, else Frames.Id) */
    size_t n_frames;
    int has_maldi_info;
    msiz_bruker_mzcal *mzcal;
    size_t n_mzcal;
    int has_mzcal_column; /* Frames has an MzCalibration column */
    int no_mzcal;         /* no calibration named: one linear-fallback row, id 0 */
    msiz_bruker_timscal *timscal;
    size_t n_timscal;
    char *laser_json; /* first MaldiFrameLaserInfo row as a JSON object text, or NULL */
    double beam_scan_x, beam_scan_y, spot_size; /* 0 when unknown */
    int has_laser;
} msiz_bruker_db;

/* Loads everything the reader needs from the SQLite of `d_path` (read-only, immutable, hardened:
 * bruker_sql.h) and closes it again. Missing files or tables are MSIZ_E_NOTFOUND naming the
 * path; a table that is a view, or a value out of range, MSIZ_E_FORMAT; a non-zero *cancel
 * (may be NULL) stops any query with MSIZ_E_INTERRUPTED. */
msiz_status msiz_bruker_db_load(msiz_bruker_db *db, const char *d_path, volatile int *cancel);
void msiz_bruker_db_destroy(msiz_bruker_db *db);

/* GlobalMetadata value or NULL. */
const char *msiz_bruker_meta(const msiz_bruker_db *db, const char *key);
/* Parses a GlobalMetadata number; returns 0 if present and numeric. */
int msiz_bruker_meta_double(const msiz_bruker_db *db, const char *key, double *out);

const msiz_bruker_mzcal *msiz_bruker_find_mzcal(const msiz_bruker_db *db, int64_t id);
const msiz_bruker_timscal *msiz_bruker_find_timscal(const msiz_bruker_db *db, int64_t id);

/* ---- .mis raster (bruker_mis.c) ---- */

typedef struct msiz_bruker_mis {
    int found;
    char *path;
    int has_raster;
    double raster_x, raster_y; /* µm */
    char **area_names;
    size_t n_areas;
} msiz_bruker_mis;

/* Looks for <stem>.mis beside the .d (else the only .mis there) and parses <Raster> and the
 * Area names. A missing .mis is not an error (found = 0). */
msiz_status msiz_bruker_mis_load(msiz_bruker_mis *mis, const char *d_path);
/* Parses .mis XML text held in memory (fuzzable). */
msiz_status msiz_bruker_mis_parse(msiz_bruker_mis *mis, const char *text, size_t len,
                                  const char *name);
void msiz_bruker_mis_destroy(msiz_bruker_mis *mis);

/* ---- metadata JSON (bruker_meta.c) ---- */

/* One line of format_specific.checks (printed by `msizarr info`). */
typedef struct msiz_bruker_check {
    const char *name, *status; /* status: "passed" or "warning" */
    char detail[256];
} msiz_bruker_check;

#define MSIZ_BRUKER_MAX_CHECKS 4

typedef struct msiz_bruker_meta_in {
    const msiz_bruker_db *db;
    const msiz_bruker_mis *mis;
    const char *pixel_size_source; /* "mis_raster", "motor_step", "spot_size" or NULL */
    double pixel_x, pixel_y;
    int profile;
    const char *mz_model; /* description of the m/z conversion used */
    int calibration_sqlite;
    int laser_power_set, laser_rep_set;
    double laser_power, laser_rep_rate; /* MaldiFrameInfo of the first frame */
    int selected_region;                /* --region, or -1 */
    const char *acquisition;            /* "imaging", "spots" or "no_maldi_frame_info" */
    size_t n_msms;                      /* MS/MS frames left out */
    const size_t *sel;                  /* frames read, in order (spot names of spot runs) */
    size_t n_sel;
    msiz_bruker_check checks[MSIZ_BRUKER_MAX_CHECKS];
    size_t n_checks;
} msiz_bruker_meta_in;

/* Region numbers with their frame counts, ordered as Thyra names them: by frame count
 * descending (ties: lower number first); the i-th gets the i-th .mis Area name. */
typedef struct msiz_bruker_region {
    int32_t number;
    uint64_t n_frames;
} msiz_bruker_region;

/* Counts the regions of db's frames into a new array (caller frees with msiz_free). */
msiz_status msiz_bruker_regions(const msiz_bruker_db *db, msiz_bruker_region **out, size_t *n);

/* Builds the metadata JSON text (caller frees with msiz_free). */
msiz_status msiz_bruker_meta_json(const msiz_bruker_meta_in *in, char **out);

#endif
