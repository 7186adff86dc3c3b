/*
 * The spectrum source: one interface in front of every input format (imzML, Bruker TSF/TDF).
 * Like htslib's sam_read1: the caller owns one msiz_spectrum and reuses it; the source grows
 * its arrays (up to a cap) so a long run allocates nothing per spectrum.
 *
 *   msiz_source_opts o; msiz_source_opts_init(&o);
 *   msiz_source *src; if (msiz_source_open(path, &o, &src) < 0) -> msiz_last_error()
 *   const msiz_source_info *info = msiz_source_get_info(src);
 *   msiz_spectrum sp; msiz_spectrum_init(&sp);
 *   while ((st = msiz_source_next(src, &sp)) == MSIZ_OK) { ... }   // MSIZ_END when done
 *   msiz_spectrum_destroy(&sp); msiz_source_close(src);
 */
#ifndef MSIZARR_SOURCE_H
#define MSIZARR_SOURCE_H

#include "msizarr/msizarr.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct msiz_source msiz_source;

typedef enum msiz_source_format {
    MSIZ_FORMAT_IMZML = 0,
    MSIZ_FORMAT_BRUKER_TSF = 1,
    MSIZ_FORMAT_BRUKER_TDF = 2
} msiz_source_format;

typedef enum msiz_spectrum_type {
    MSIZ_SPECTRUM_UNKNOWN = 0,
    MSIZ_SPECTRUM_CENTROID = 1,
    MSIZ_SPECTRUM_PROFILE = 2
} msiz_spectrum_type;

typedef enum msiz_polarity {
    MSIZ_POLARITY_UNKNOWN = 0,
    MSIZ_POLARITY_POSITIVE = 1,
    MSIZ_POLARITY_NEGATIVE = 2,
    MSIZ_POLARITY_MIXED = 3
} msiz_polarity;

/* Element type of an array as stored in the file (values always reach the caller as double). */
typedef enum msiz_value_type {
    MSIZ_VALUE_F32 = 0,
    MSIZ_VALUE_F64 = 1,
    MSIZ_VALUE_I32 = 2,
    MSIZ_VALUE_I64 = 3,
    MSIZ_VALUE_I8 = 4,
    MSIZ_VALUE_I16 = 5,
    MSIZ_VALUE_TOF_INDEX = 6 /* Bruker: m/z computed from TOF indices */
} msiz_value_type;

/* Reader options. Grows at the end between releases (docs/api.md): always fill it with
 * msiz_source_opts_init, which records the caller's struct_size; the library reads only the
 * members within it and uses defaults for the rest. */
typedef struct msiz_source_opts {
    size_t struct_size;           /* sizeof(msiz_source_opts) as the caller sees it: set by init */
    int region;                   /* Bruker: only this region (-1: all) */
    int bruker_profile;           /* Bruker TSF: read profile instead of line spectra */
    int ignore_uuid_mismatch;     /* imzML: warn instead of failing on a UUID mismatch */
    int verify_checksums;         /* imzML: hash the .ibd and compare (warning on mismatch) */
    size_t max_peaks;             /* cap on one spectrum's length (0: default 2^31-1) */
    int bruker_allow_non_imaging; /* Bruker: open a .d that is no imaging raster (LC runs
                                     without MaldiFrameInfo, spot runs): frame i -> (i, 0);
                                     default 0 refuses (edge cases #66, #82) */
    int reserved0;                /* keeps the struct free of tail padding; ignored */
    volatile int *cancel;         /* polled while opening (imzML header parse and checksums,
                                     Bruker SQLite queries); non-zero stops with
                                     MSIZ_E_INTERRUPTED; NULL (default): never */
} msiz_source_opts;

/* Fills the defaults into a caller struct of `struct_size` bytes and records that size; a size
 * that matches no layout is recorded as given (msiz_source_open then refuses it with
 * MSIZ_E_ARG). Call it through msiz_source_opts_init, which passes the caller's sizeof. */
MSIZ_API void msiz_source_opts_init_sized(msiz_source_opts *opts, size_t struct_size);

static inline void msiz_source_opts_init(msiz_source_opts *opts)
{
    msiz_source_opts_init_sized(opts, sizeof *opts);
}

/* What a source knows before any spectrum is read. Strings are owned by the source. */
typedef struct msiz_source_info {
    msiz_source_format format;
    const char *path;      /* the input as opened (.imzML file or .d folder) */
    uint64_t n_spectra;    /* spectra next() will yield (empty ones included) */
    int32_t n_x, n_y, n_z; /* grid of 0-based coordinates (see msiz_spectrum) */
    int has_pixel_size;
    double pixel_size_x_um, pixel_size_y_um;
    msiz_spectrum_type spectrum_type;
    int spectrum_type_declared; /* 0: guessed (a warning was logged) */
    msiz_polarity polarity;
    int continuous;     /* every spectrum shares one m/z array */
    int has_mass_range; /* the format states an m/z range (acquisition or computed) */
    double mz_min, mz_max;
    msiz_value_type mz_type, intensity_type;
    uint64_t total_peaks; /* sum of spectrum lengths when known, else 0; Bruker TDF: the peaks
                             stored over all mobility scans (spectra, summed per TOF index, are
                             shorter) */
    /* Metadata for the store as one JSON object text with up to four members:
     * "format_specific", "acquisition_params", "instrument_info", "raw_metadata"
     * (output-layout.md §4-5). Never NULL ("{}" when nothing is known). */
    const char *metadata_json;
} msiz_source_info;

typedef struct msiz_spectrum {
    uint64_t index;              /* 0-based position in the source's order */
    int32_t x, y, z;             /* 0-based grid position (x = file x - 1 for imzML; may be < 0
                                    for a 0-based file: the converter skips those) */
    int32_t raw_x, raw_y, raw_z; /* coordinates exactly as written in the file */
    int32_t region;              /* region number (Bruker), 0 when the format has none */
    size_t n;                    /* number of peaks (0 for an empty spectrum) */
    double *mz;                  /* n values, file order */
    double *intensity;           /* n values */
    size_t capacity;             /* owned by the struct; grown by the source */
} msiz_spectrum;

MSIZ_API void msiz_spectrum_init(msiz_spectrum *sp);
MSIZ_API void msiz_spectrum_destroy(msiz_spectrum *sp);

/* Opens `path`: a .imzML file (its .ibd beside it) or a Bruker .d folder. The format is sniffed.
 * opts NULL: defaults. On failure *out = NULL and msiz_last_error() names the file and the
 * problem (MSIZ_E_ARG when opts->struct_size matches no layout). */
MSIZ_API MSIZ_NODISCARD msiz_status msiz_source_open(const char *path, const msiz_source_opts *opts,
                                                     msiz_source **out);

MSIZ_API const msiz_source_info *msiz_source_get_info(const msiz_source *src);

/* A summary of the source as JSON text, what `msizarr info --json` prints: one object with
 * path, format, mode, n_spectra, total_peaks, grid [x, y, z], pixel_size_um [x, y] or null,
 * mass_range [min, max] or null, mz_type, intensity_type, spectrum_type,
 * spectrum_type_declared, polarity, checks (the reader's checks: name, status, detail) and
 * metadata (the reader's metadata, see msiz_source_info.metadata_json), indented by 2 spaces.
 * Built on the first call; the text is owned by the source and valid until msiz_source_close.
 * MSIZ_E_NOMEM (and *json = NULL) when it cannot be built. Not thread-safe on one source. */
MSIZ_API MSIZ_NODISCARD msiz_status msiz_source_info_json(msiz_source *src, const char **json);

/* Reads the next spectrum into `sp`: MSIZ_OK, MSIZ_END after the last, or an error. */
MSIZ_API MSIZ_NODISCARD msiz_status msiz_source_next(msiz_source *src, msiz_spectrum *sp);

/* Reads spectrum `index` (0-based, source order) into `sp` without moving the iteration. */
MSIZ_API MSIZ_NODISCARD msiz_status msiz_source_read(msiz_source *src, uint64_t index,
                                                     msiz_spectrum *sp);

/* Fills index, coordinates, region and n of spectrum `index` without reading its peaks when the
 * format allows (n may then be an upper bound: Bruker TDF frames before merging equal TOF
 * indices; it is 0 exactly when the spectrum is empty). The peak arrays are left untouched. */
MSIZ_API MSIZ_NODISCARD msiz_status msiz_source_locate(msiz_source *src, uint64_t index,
                                                       msiz_spectrum *sp);

/* Restarts iteration at the first spectrum. */
MSIZ_API MSIZ_NODISCARD msiz_status msiz_source_rewind(msiz_source *src);

/* Frees the source; NULL is fine. */
MSIZ_API void msiz_source_close(msiz_source *src);

#ifdef __cplusplus
}
#endif
#endif
