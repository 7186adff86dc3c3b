/*
 * The streaming converter: any msiz_source (imzML, Bruker .d) to a SpatialData Zarr store, in
 * bounded memory, with output identical for every memory limit, chunk size and thread count.
 *
 *   msiz_convert_opts o; msiz_convert_opts_init(&o);   // Thyra's defaults
 *   o.memory_limit = 128u << 20;
 *   msiz_convert_summary sum; msiz_convert_summary_init(&sum);
 *   if (msiz_convert("in.imzML", "out.zarr", &o, &sum) < 0) -> msiz_last_error()
 *
 * Passes: scan (coordinates, grid, mass range, duplicates), then per output plane: bin (every
 * spectrum of the plane in grid order through the resampling plan; CSR rows go straight to the
 * store, CSC rows through the external-memory transpose), then the store's other elements
 * (obs/var/uns, TIC image, pixel squares) and the root attributes. Output appears at `output`
 * only when complete; on any failure (or cancellation) nothing is left there and temporary files
 * are removed.
 *
 * Stable API (docs/api.md): msiz_convert_opts, msiz_source_opts and msiz_convert_summary start
 * with a struct_size member that the _init functions set from the caller's sizeof, so a program
 * built against these headers keeps working with a later library whose structs have grown.
 */
#ifndef MSIZARR_CONVERT_H
#define MSIZARR_CONVERT_H

#include "msizarr/compression.h"
#include "msizarr/msizarr.h"
#include "msizarr/source.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Resampling and output choices (docs/resampling.md) ----------------------------------- */

typedef enum msiz_axis_type {
    MSIZ_AXIS_CONSTANT = 0,      /* linspace(min, max, n) */
    MSIZ_AXIS_LINEAR_TOF = 1,    /* centres of edges uniform in sqrt(m/z) */
    MSIZ_AXIS_REFLECTOR_TOF = 2, /* centres of edges uniform in ln(m/z) */
    MSIZ_AXIS_ORBITRAP = 3,      /* centres of edges uniform in 1/sqrt(m/z) */
    MSIZ_AXIS_FTICR = 4          /* centres of edges uniform in 1/(m/z) */
} msiz_axis_type;

typedef enum msiz_resample_method {
    MSIZ_RESAMPLE_NEAREST_NEIGHBOR = 0,
    MSIZ_RESAMPLE_TIC_PRESERVING = 1
} msiz_resample_method;

/* "constant", "linear_tof", "reflector_tof", "orbitrap", "fticr" (exact, lower case). Unknown
 * names: MSIZ_E_ARG with a message listing the valid ones. */
MSIZ_API MSIZ_NODISCARD msiz_status msiz_axis_type_parse(const char *name, msiz_axis_type *out);
/* Static name of a type; "unknown" for out-of-range values. */
MSIZ_API const char *msiz_axis_type_name(msiz_axis_type type);
/* "nearest_neighbor", "tic_preserving". */
MSIZ_API MSIZ_NODISCARD msiz_status msiz_resample_method_parse(const char *name,
                                                               msiz_resample_method *out);
MSIZ_API const char *msiz_resample_method_name(msiz_resample_method method);

/* The resampling part of the options: facts the converter fills from the input, plus the user's
 * overrides. Fill with msiz_resample_request_init (msiz_convert_opts_init does). */
typedef struct msiz_resample_request {
    /* facts about the input */
    const char *instrument_name;      /* NULL if unknown; "timstof" anywhere -> timsTOF route */
    int is_timstof;                   /* the reader knows the data are timsTOF (Bruker .d) */
    msiz_spectrum_type spectrum_type; /* declared (or guessed) spectrum type */
    int has_data_range;               /* the data's own m/z range (or acquisition range) */
    double data_mz_min, data_mz_max;
    /* overrides; has_* = 0 means automatic */
    int has_method;
    msiz_resample_method method;
    int has_axis_type;
    msiz_axis_type axis_type;
    uint64_t bins; /* 0: from the width */
    int has_mz_min, has_mz_max;
    double mz_min, mz_max;
    int has_width; /* --resample-width-at-mz (Da) */
    double width;
    double reference_mz; /* --resample-reference-mz; used only with has_width */
} msiz_resample_request;

/* Zeroes everything; reference_mz = 1000, spectrum_type = MSIZ_SPECTRUM_UNKNOWN. */
MSIZ_API void msiz_resample_request_init(msiz_resample_request *rq);

/* Layout of X in the AnnData table: compressed sparse columns (Thyra's) or rows. */
typedef enum msiz_sparse_format { MSIZ_SPARSE_CSC = 0, MSIZ_SPARSE_CSR = 1 } msiz_sparse_format;

/* ---- Conversion ---------------------------------------------------------------------------- */

typedef struct msiz_progress {
    const char *pass;     /* "scan", "bin", "transpose", "write" */
    int plane;            /* output plane (0 unless several z planes) */
    uint64_t done, total; /* units of the pass (spectra; columns for "transpose") */
    double elapsed_s;     /* since the pass started */
    uint64_t rss_bytes;   /* resident memory of the process now */
} msiz_progress;

typedef void (*msiz_progress_fn)(void *user, const msiz_progress *p);

typedef enum msiz_duplicate_policy {
    MSIZ_DUPLICATES_ERROR = 0,     /* two spectra at one (x, y, z): refuse (edge case #45) */
    MSIZ_DUPLICATES_KEEP_FIRST = 1 /* keep the first in file order, warn with a count */
} msiz_duplicate_policy;

typedef struct msiz_convert_opts {
    size_t struct_size;      /* sizeof(msiz_convert_opts) as the caller sees it: set by init */
    msiz_source_opts source; /* reader options (region, ...) */
    const char *dataset_id;  /* "msi_dataset" */
    int has_pixel_size;      /* --pixel-size given */
    double pixel_size_um;
    msiz_spectrum_type spectrum_type; /* --spectrum-type; UNKNOWN = auto */
    /* resampling (Thyra's CLI defaults: on, automatic method and axis) */
    int resample;                  /* 1; 0 = exact union of m/z values */
    msiz_resample_request request; /* overrides: method, axis type, bins, min/max, width, ref */
    double gap_tolerance;          /* tic_preserving only; <= 0: off */
    int has_intensity_threshold;
    double intensity_threshold;    /* keep peaks with intensity >= threshold */
    uint64_t max_mass_axis_length; /* raw union cap (10,000,000; 0 = none) */
    /* output */
    msiz_sparse_format sparse_format; /* CSC */
    int zarr_format;                  /* 3 */
    msiz_compression compression;     /* zstd level 0 */
    int handle_3d;                    /* one volume instead of one table per z plane */
    int has_z_spacing;
    double z_spacing_um;
    int overwrite; /* replace an existing output that is a Zarr store unrelated to the input
                      (and an earlier msizarr report at `report`) */
    msiz_duplicate_policy duplicates;
    /* resources */
    size_t memory_limit;  /* 512 MiB */
    int threads;          /* mapping and compression workers, 0..MSIZ_MAX_THREADS; 0 = per core */
    const char *temp_dir; /* spill folder's parent (default: $TMPDIR or /tmp) */
    size_t chunk_size;    /* spectra per processing batch (5000) */
    /* feedback */
    msiz_progress_fn progress;
    void *progress_user;
    volatile int *cancel; /* polled; non-zero stops with MSIZ_E_INTERRUPTED */
    /* added in 0.1: output */
    msiz_parquet_codec shapes_codec; /* Parquet pages of the pixel shapes: snappy */
    int reserved1;                   /* keeps the struct free of tail padding; ignored */
    /* added in 0.1: QC report (docs/usage.md "QC report") */
    const char *report; /* NULL: none; else an HTML page written there, outside the output */
    size_t report_ions; /* ion images per table: the top peaks of the average spectrum (12) */
} msiz_convert_opts;

/* Fills Thyra's defaults (and msizarr's for the options Thyra lacks) into a caller whose struct
 * is `struct_size` bytes with an embedded msiz_source_opts of `source_size` bytes, and records
 * both sizes. Call it through msiz_convert_opts_init, which passes the sizes the caller was
 * compiled with. Sizes that match no layout are recorded as given, so that msiz_convert refuses
 * them with MSIZ_E_ARG. */
MSIZ_API void msiz_convert_opts_init_sized(msiz_convert_opts *opts, size_t struct_size,
                                           size_t source_size);

static inline void msiz_convert_opts_init(msiz_convert_opts *opts)
{
    msiz_convert_opts_init_sized(opts, sizeof *opts, sizeof opts->source);
}

/* The smallest --memory-limit accepted: the smallest conversions peak at 6-12 MiB of resident
 * memory (code, libraries, threads, minimal buffers; docs/memory.md). Above it, a conversion
 * whose plan does not fit in the limit is refused naming what it needs. */
#define MSIZ_MIN_MEMORY_LIMIT ((size_t)16 << 20)

/* The largest --threads accepted (0 = one per online core, at most 16). */
#define MSIZ_MAX_THREADS 256

/* Checks the options that do not depend on the input (names, sizes, ranges): MSIZ_E_ARG with a
 * message naming the option as the CLI spells it (or the struct sizes, when they match no
 * layout). msiz_convert runs it first; a front end can run it to report usage errors before any
 * work. */
MSIZ_API MSIZ_NODISCARD msiz_status msiz_convert_opts_check(const msiz_convert_opts *opts);

/* Sets one option from text by its `msizarr convert` name, as `--NAME VALUE` on the command line
 * does: same parsing, ranges and messages (MSIZ_E_ARG naming "--NAME"). '_' may stand for '-'
 * ("memory_limit"). Options that take no value on the command line (handle-3d, resample,
 * no-resample, overwrite, profile-spectra) are set by a NULL value, or take "true"/"false"
 * (also 1/0, yes/no, on/off). Text values (dataset-id, temp-dir) are referenced, not copied: keep
 * them alive while `opts` is in use. Unknown names: MSIZ_E_ARG. The front ends' own options
 * (log level, quiet, progress) are not here. Checks across options stay in
 * msiz_convert_opts_check. */
MSIZ_API MSIZ_NODISCARD msiz_status msiz_convert_opts_set(msiz_convert_opts *opts, const char *name,
                                                          const char *value);

/* The i-th name msiz_convert_opts_set accepts (0-based, canonical '-' spelling), and whether it
 * takes a value on the command line; NULL past the last. For building option tables. */
MSIZ_API const char *msiz_convert_opt_name(size_t i, int *takes_value);

/* Parses "512MiB", "1.5GiB", "64KiB", "128M", "1000000" (bytes) into bytes. */
MSIZ_API MSIZ_NODISCARD msiz_status msiz_parse_size(const char *text, size_t *bytes);

typedef struct msiz_convert_summary {
    size_t struct_size;    /* sizeof(msiz_convert_summary) as the caller sees it: set by init */
    uint64_t spectra_read; /* non-empty spectra read */
    uint64_t pixels;       /* table rows, all planes */
    uint64_t bins;         /* n_var */
    uint64_t nnz;          /* stored entries, all planes */
    int32_t n_x, n_y, n_z;
    int planes;                   /* tables written */
    uint64_t peaks_out_of_range;  /* dropped by the axis span */
    uint64_t spectra_out_of_grid; /* skipped (0-based coordinates) */
    uint64_t duplicates_dropped;
    uint64_t spilled_bytes; /* external-memory transpose traffic */
    uint64_t peak_rss_bytes;
    uint64_t fixed_state_bytes; /* per-pixel and per-bin state outside the buffer budget */
    double seconds;
    char plan[256]; /* the resampling plan in words */
} msiz_convert_summary;

/* Zeroes a summary and records the caller's size: msiz_convert fills only the members within it. */
static inline void msiz_convert_summary_init(msiz_convert_summary *summary)
{
    unsigned char *bytes = (unsigned char *)summary;
    for (size_t i = 0; i < sizeof *summary; i++)
        bytes[i] = 0;
    summary->struct_size = sizeof *summary;
}

/* Converts `input` (any msiz_source) to a SpatialData store at `output`. opts NULL: defaults.
 * summary (may be NULL) must have been set up by msiz_convert_summary_init; once the arguments
 * pass their checks it is filled as far as the conversion got, failure or not. MSIZ_E_ARG for
 * options that fail msiz_convert_opts_check or structs whose struct_size matches no layout. */
MSIZ_API MSIZ_NODISCARD msiz_status msiz_convert(const char *input, const char *output,
                                                 const msiz_convert_opts *opts,
                                                 msiz_convert_summary *summary);

#ifdef __cplusplus
}
#endif
#endif
