/* imzML reader internals: controlled-vocabulary table, the streaming header parser and its
 * compact per-spectrum records, the checks run before any data is read, and array decoding. */
#ifndef MSIZ_IMZML_INTERNAL_H
#define MSIZ_IMZML_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "msizarr/source.h"
#include "source/source_internal.h"

/* ---- controlled vocabulary (imzml_cv.c) ---------------------------------------------------- */

typedef enum imzml_term {
    IMZ_T_UNKNOWN = 0,
    IMZ_T_MODE, /* arg: IMZ_MODE_CONTINUOUS / IMZ_MODE_PROCESSED */
    IMZ_T_UUID,
    IMZ_T_CHECKSUM, /* arg: IMZ_SUM_MD5 / SHA1 / SHA256 */
    IMZ_T_EXTERNAL_DATA,
    IMZ_T_OFFSET,
    IMZ_T_LENGTH,
    IMZ_T_ENCODED_LENGTH,
    IMZ_T_POSITION,       /* arg: 0 x, 1 y, 2 z */
    IMZ_T_MAX_COUNT,      /* arg: 0 x, 1 y */
    IMZ_T_MAX_DIMENSION,  /* arg: 0 x, 1 y */
    IMZ_T_PIXEL_SIZE,     /* arg: 0 x, 1 y */
    IMZ_T_ARRAY_KIND,     /* arg: IMZ_KIND_MZ / IMZ_KIND_INTENSITY / IMZ_KIND_OTHER */
    IMZ_T_REPRESENTATION, /* arg: MSIZ_SPECTRUM_CENTROID / MSIZ_SPECTRUM_PROFILE */
    IMZ_T_POLARITY,       /* arg: MSIZ_POLARITY_POSITIVE / NEGATIVE */
    IMZ_T_DATA_TYPE,      /* arg: msiz_value_type, or -1 for a refused type (16-bit float) */
    IMZ_T_COMPRESSION,    /* arg: IMZ_COMP_NONE / ZLIB / OTHER */
    IMZ_T_SCAN_DIRECTION,
    IMZ_T_SCAN_PATTERN,
    IMZ_T_SCAN_TYPE,
    IMZ_T_LINESCAN_SEQUENCE,
    IMZ_T_SERIAL_NUMBER,
    IMZ_T_LASER /* arg: pyimzML's instrument keys 0..5 (wavelength ... attenuation) */
} imzml_term;

enum { IMZ_MODE_NONE = 0, IMZ_MODE_CONTINUOUS = 1, IMZ_MODE_PROCESSED = 2 };
enum { IMZ_SUM_MD5 = 0, IMZ_SUM_SHA1 = 1, IMZ_SUM_SHA256 = 2 };
enum { IMZ_KIND_NONE = 0, IMZ_KIND_MZ = 1, IMZ_KIND_INTENSITY = 2, IMZ_KIND_OTHER = 3 };
enum { IMZ_COMP_NONE = 0, IMZ_COMP_ZLIB = 1, IMZ_COMP_OTHER = 2 };

typedef struct imzml_cv {
    const char *accession;
    imzml_term term;
    int arg;
    const char *name;  /* canonical name */
    const char *alias; /* accepted legacy spelling (no warning), or NULL */
} imzml_cv;

/* The entry for an accession ("IMS:1000102"), or NULL. */
const imzml_cv *msiz_imzml_cv_lookup(const char *accession);
/* The entry whose canonical name or alias equals `name` (case-insensitive), or NULL. */
const imzml_cv *msiz_imzml_cv_by_name(const char *name);
/* 1 when `name` is empty or spells the entry's name or alias (case/space-insensitive). */
int msiz_imzml_cv_name_agrees(const imzml_cv *cv, const char *name);

/* Bytes per element of a value type (0 for an unknown type). */
size_t msiz_imzml_value_size(msiz_value_type type);
const char *msiz_imzml_value_type_name(msiz_value_type type);

/* Converts a length with unit accession `unit` (UO:0000016 mm, 17 µm, 18 nm) to micrometres
 * (exactly: nm is divided by 1000). Returns 1, or 0 when the unit is absent and -1 when it is
 * unknown (then *um = value, taken as µm). */
int msiz_imzml_unit_to_um(const char *unit, double value, double *um);

/* ---- UUID and offsets (imzml_checks.c) ----------------------------------------------------- */

/* Parses a UUID spelling (plain, dashed, braced, any case). Returns 0 with the 16 bytes,
 * 1 when it is blanked (all zeros, or 31 digits), -1 when malformed. */
int msiz_imzml_uuid_parse(const char *text, uint8_t out[16]);
/* 1: bytes equal in order, 2: equal in Windows-GUID order (Data1-3 swapped), 0: mismatch. */
int msiz_imzml_uuid_compare(const uint8_t header[16], const uint8_t ibd[16]);

/* Repairs offsets written as signed 32-bit integers (pyimzML's __fix_offsets): from each
 * transition non-negative -> negative on, 2^32 more is added. One state per array kind. */
typedef struct imzml_offset_fix {
    int64_t prev;
    uint64_t delta;
    uint64_t repaired;
} imzml_offset_fix;

/* Returns 0 with *out set, -1 when `raw` is below INT32_MIN (cannot be a wrapped int32). */
int msiz_imzml_offset_repair(imzml_offset_fix *st, int64_t raw, uint64_t *out);

/* ---- header parser (imzml_xml.c, imzml_params.c) ------------------------------------------- */

#define IMZ_REC_ZLIB_MZ  0x01
#define IMZ_REC_ZLIB_INT 0x02
#define IMZ_REC_HAS_Z    0x04

/* One spectrum: 48 bytes. */
typedef struct imzml_rec {
    uint64_t mz_off, int_off;
    uint32_t len;             /* values in each array (m/z and intensity agree) */
    uint32_t mz_enc, int_enc; /* encoded bytes for zlib arrays, else 0 */
    int32_t x, y, z;          /* as written; z = 1 when absent (pyimzML) */
    uint8_t mz_type, int_type, flags, pad;
} imzml_rec;

#define IMZ_MAX_CHECKS 24

typedef struct imzml_check {
    const char *name;
    const char *status; /* "passed", "warning", "skipped", "failed" */
    char detail[200];
} imzml_check;

/* One cvParam or userParam of the header, kept for raw_metadata (owned strings, "" when the
 * attribute is absent). */
typedef struct imzml_kv {
    char *section;   /* where it sits: "scanSettingsList/scanSettings[s1]" */
    char *accession; /* cvParam: as written; userParam: "" */
    char *name;      /* cvParam: the canonical name of a known accession, else as written */
    char *value, *unit_accession, *unit_name;
    char *type; /* userParam: its "type" attribute (e.g. xsd:string) */
    int user;   /* a userParam */
    int rank;   /* fileContent order as pyimzML's param_by_name: 0 userParams, 1 cvParams, 2
                   and up the params of referenced groups (imzml_header_params.c) */
} imzml_kv;

/* pyimzML's imzmldict terms (imzml.md §12): the first cvParam with each accession anywhere in
 * <scanSettingsList> (7 terms) or <instrumentConfigurationList> (6 terms), in this order. */
#define IMZ_DICT_TERMS    13
#define IMZ_DICT_SETTINGS 7
typedef struct imzml_dict_term {
    const char *accession, *key; /* key: pyimzML's imzmldict key */
    int integer;                 /* xsd:nonNegativeInteger (else xsd:float) */
} imzml_dict_term;
extern const imzml_dict_term msiz_imzml_dict_terms[IMZ_DICT_TERMS];

/* Most header params kept (raw_metadata.header_params); longer values are cut. */
#define IMZ_MAX_KV       4096
#define IMZ_MAX_KV_VALUE 65536

/* Everything the header says, after parsing (owned strings; free with msiz_imzml_header_free). */
typedef struct imzml_header {
    const char *path; /* name used in messages (not owned) */
    imzml_rec *recs;
    size_t n_recs, cap_recs;
    uint64_t declared_count;
    int has_declared_count;
    int mode_flags;   /* IMZ_MODE_* bits seen in fileContent */
    int mode_unknown; /* a storage-mode-looking term with a wrong accession */
    int mode;         /* resolved by msiz_imzml_resolve() */
    char *uuid, *checksum[3];
    msiz_spectrum_type file_repr, spectrum_repr;
    unsigned polarity_mask; /* bit 1 positive, bit 2 negative */
    /* first <scanSettings> block */
    int n_scan_settings;
    int has_pixel[2], pixel_unit[2]; /* pixel_unit: msiz_imzml_unit_to_um's result */
    double pixel[2];                 /* micrometres */
    char *pixel_raw[2];              /* value as written */
    int has_max_count[2], has_max_dim[2];
    int64_t max_count[2];
    double max_dim[2]; /* micrometres (no unit: µm, the obo default) */
    char *scan_direction, *scan_pattern, *scan_type, *linescan_sequence;
    char *dict_value[IMZ_DICT_TERMS]; /* values of msiz_imzml_dict_terms as written, or NULL */
    imzml_kv *file_params;            /* fileContent cvParams, userParams, referenced groups' */
    size_t n_file_params, cap_file_params;
    imzml_kv *header_params; /* every cvParam and userParam outside spectrumList */
    size_t n_header_params, cap_header_params;
    uint64_t header_params_dropped; /* beyond IMZ_MAX_KV */
    uint64_t missing_refs;          /* referenceableParamGroupRefs naming no group (#79) */
    char first_missing_ref[160];
    uint64_t kindless_arrays; /* binaryDataArrays neither m/z nor intensity, ignored */
    char first_kindless[160];
    char *instrument_model, *instrument_serial, *software, *software_version;
    /* grid */
    int32_t min_x, max_x, min_y, max_y, min_z, max_z;
    uint64_t total_peaks;
    uint64_t n_below_one; /* spectra with x or y < 1 */
    imzml_offset_fix fix_mz, fix_int;
    uint64_t name_mismatches;
    char first_mismatch[160];
    imzml_check checks[IMZ_MAX_CHECKS];
    int n_checks;
    uint64_t xml_work; /* bytes expat may have scanned, rescans included (linear in the size) */
} imzml_header;

typedef struct imzml_parser imzml_parser;

/* Starts a header parse; `name` labels messages. */
msiz_status msiz_imzml_parser_new(const char *name, imzml_parser **out);
/* Pushes the next `len` bytes; `final` on the last call. */
msiz_status msiz_imzml_parser_feed(imzml_parser *p, const void *buf, size_t len, int final);
/* Moves the parsed header out (call after the final feed) and frees the parser. */
msiz_status msiz_imzml_parser_finish(imzml_parser *p, imzml_header **out);
void msiz_imzml_parser_free(imzml_parser *p);
void msiz_imzml_header_free(imzml_header *h);

/* Parses a whole header from a file descriptor, 256 KiB at a time (more inside a very long
 * token); polls `cancel` (NULL: never) between pieces: MSIZ_E_INTERRUPTED. */
msiz_status msiz_imzml_parse_fd(int fd, const char *name, volatile int *cancel, imzml_header **out);
/* Parses a header held in memory (the fuzz entry point), in fixed-size pieces. */
msiz_status msiz_imzml_parse_buffer(const void *buf, size_t len, const char *name,
                                    imzml_header **out);

/* Records one check's outcome for `msizarr info`. */
void msiz_imzml_add_check(imzml_header *h, const char *name, const char *status, const char *fmt,
                          ...) MSIZ_PRINTF(4, 5);

/* ---- resolution and checks (imzml_checks.c, msiz_imzml_resolve.c) -------------------------------
 */

/* Storage mode, representation, polarity, pixel size, grid: header-only rules and warnings. */
msiz_status msiz_imzml_resolve(imzml_header *h, msiz_source_info *info);
/* .ibd checks: UUID, every array inside the file, trailing bytes. */
msiz_status msiz_imzml_check_ibd(imzml_header *h, const char *ibd_path, const uint8_t ibd_uuid[16],
                                 uint64_t ibd_size, const msiz_source_opts *opts);

/* Metadata JSON text (imzml_meta.c); NULL on allocation failure. */
char *msiz_imzml_metadata_json(const imzml_header *h, const char *ibd_path);

/* Checksum verification (imzml_hash.c): warns on mismatch; returns an error only for I/O. */
msiz_status msiz_imzml_verify_checksums(imzml_header *h, int fd, const char *ibd_path,
                                        uint64_t ibd_size, volatile int *cancel);

/* ---- array decoding (imzml_ibd.c) ---------------------------------------------------------- */

typedef struct imzml_scratch {
    uint8_t *raw;
    size_t raw_cap;
    uint8_t *packed;
    size_t packed_cap;
} imzml_scratch;

/* Reads `n` values of `type` at `offset` (zlib when enc > 0) into `out` as doubles. */
msiz_status msiz_imzml_read_array(int fd, const char *ibd_path, uint64_t offset, uint32_t n,
                                  uint32_t enc, msiz_value_type type, imzml_scratch *scratch,
                                  double *out);
void msiz_imzml_scratch_free(imzml_scratch *s);

/* ---- the source backend (imzml_open.c, imzml_reader.c) ------------------------------------- */

typedef struct imzml_reader {
    imzml_header *hdr;
    char *path, *ibd_path, *metadata;
    int ibd_fd;
    uint64_t ibd_size;
    uint64_t next; /* next spectrum for msiz_source_next */
    size_t max_peaks;
    imzml_scratch scratch;
    double *mz_cache; /* continuous: the shared m/z array, decoded once */
    const imzml_rec *mz_cache_rec;
} imzml_reader;

extern const msiz_source_ops msiz_imzml_source_ops;

/* Reads spectrum `index` into `sp` (positions mapped as msiz_spectrum documents). */
msiz_status msiz_imzml_reader_fill(imzml_reader *r, uint64_t index, msiz_spectrum *sp);
/* Frees everything the reader owns (NULL is fine). */
void msiz_imzml_reader_free(imzml_reader *r);

#endif
