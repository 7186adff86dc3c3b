/* State of the streaming header parser, shared by the SAX callbacks (imzml_xml.c) and the
 * cvParam / param-group resolution (imzml_params.c). */
#ifndef MSIZ_IMZML_PARSER_H
#define MSIZ_IMZML_PARSER_H

#include <expat.h>

#include "imzml/imzml_internal.h"

#define IMZ_SECTION_DEPTHS 32 /* element nesting tracked for header param sections */
#define IMZ_MAX_FILE_REFS  64 /* group references inside <fileContent> */

/* One stored cvParam or userParam of a referenceableParamGroup (owned strings). */
typedef struct imzml_param {
    const imzml_cv *cv; /* resolved term (accession, else name with a warning), or NULL */
    char *accession, *name, *value, *unit, *unit_name, *type;
    int user; /* a userParam: kept for raw_metadata, no meaning for the reader */
} imzml_param;

typedef struct imzml_group {
    char *id;
    imzml_param *params;
    size_t n, cap;
} imzml_group;

/* What one <binaryDataArray> said so far (inline cvParams plus referenced groups). */
typedef struct imzml_array_state {
    int kind;    /* IMZ_KIND_*; -1 when both m/z and intensity were declared */
    int n_types; /* distinct data types */
    int type;    /* msiz_value_type, or -1 for a refused one */
    const char *type_terms[2];
    char refused_type[96];
    int comp;
    char comp_term[128];
    int has_off, has_len, has_enc;
    int64_t off;
    uint64_t len, enc;
} imzml_array_state;

/* One decoded array of the current spectrum. */
typedef struct imzml_array_done {
    int present;
    int64_t off;
    uint64_t len, enc;
    int type, zlib;
} imzml_array_done;

typedef struct imzml_spectrum_state {
    int has_pos[3];
    int64_t pos[3];
    int n_arrays;
    imzml_array_done mz, in;
    msiz_spectrum_type repr;
    unsigned polarity;
    char missing_ref[64]; /* first undefined group referenced inside this spectrum */
} imzml_spectrum_state;

/* Which part of the document a cvParam or a group reference belongs to. */
typedef enum imzml_target {
    IMZ_TGT_NONE = 0,
    IMZ_TGT_FILE_CONTENT,
    IMZ_TGT_GROUP,
    IMZ_TGT_SETTINGS,
    IMZ_TGT_INSTRUMENT,
    IMZ_TGT_SOFTWARE,
    IMZ_TGT_SPECTRUM,
    IMZ_TGT_ARRAY
} imzml_target;

struct imzml_parser {
    XML_Parser xml;
    imzml_header *h;
    msiz_status status;
    int depth;
    int file_content_depth, group_depth, settings_depth, instrument_depth, component_depth;
    int software_depth, spectrum_depth, array_depth;
    int settings_first; /* the current <scanSettings> is the first block */
    int instrument_first, software_first;
    imzml_group *groups;
    size_t n_groups, cap_groups;
    imzml_group *cur_group;
    imzml_spectrum_state sp;
    imzml_array_state arr;
    /* raw_metadata: where the parser is in the header (imzml_header_params.c) */
    int data_list_depth; /* inside <spectrumList> / <chromatogramList>: no header params */
    int settings_list_depth, instrument_list_depth;
    char section[512]; /* element path below the root, "a/b[id]/c" */
    size_t section_len[IMZ_SECTION_DEPTHS];
    int applying_group; /* 1 + index of the fileContent group reference being applied */
    char *file_refs[IMZ_MAX_FILE_REFS]; /* fileContent refs, applied when groups are known */
    int n_file_refs;
    uint64_t unknown_named; /* cvParams resolved by name (unknown accession) */
    char misses[16][24];    /* unknown accessions whose name matched nothing (a fast path) */
    int n_misses;
    char first_unknown_named[160];
    uint64_t events;  /* element starts and ends so far */
    uint64_t pending; /* bytes given to expat since the last element event */
    uint64_t work;    /* sum of `pending` over the pieces given: what expat may have rescanned */
};

/* Attributes of one cvParam or userParam as parsed (not owned). */
typedef struct imzml_attrs {
    const char *accession, *name, *value, *unit, *unit_name, *type;
    int user;
} imzml_attrs;

/* Stops the parse with an error (sets p->status and the thread's message). */
void msiz_imzml_parser_fail(imzml_parser *p, msiz_status code, const char *fmt, ...)
    MSIZ_PRINTF(3, 4);

/* Stops the parse after a failed msiz_grow: the message becomes "PATH: WHAT: <msiz_grow's
 * message>" (which names the cap when one was reached). */
void msiz_imzml_parser_grow_failed(imzml_parser *p, msiz_status code, const char *what);

/* Resolves a cvParam's term (accession first, then name with a recorded warning). */
const imzml_cv *msiz_imzml_resolve_term(imzml_parser *p, const imzml_attrs *a);
/* Applies one cvParam to the current target. */
void msiz_imzml_apply_param(imzml_parser *p, imzml_target tgt, const imzml_cv *cv,
                            const imzml_attrs *a);
/* Stores a cvParam inside the current referenceableParamGroup. */
void msiz_imzml_group_add(imzml_parser *p, const imzml_cv *cv, const imzml_attrs *a);
/* Starts a new group with id `id`. */
void msiz_imzml_group_begin(imzml_parser *p, const char *id);
/* Applies every param of the group `ref` to the target. */
void msiz_imzml_group_apply(imzml_parser *p, imzml_target tgt, const char *ref);
void msiz_imzml_groups_free(imzml_parser *p);

/* Header params for raw_metadata (imzml_header_params.c). */
/* Enters / leaves an element: the section path, the lists a param belongs to. */
void msiz_imzml_section_enter(imzml_parser *p, const char *name, const char **atts);
void msiz_imzml_section_leave(imzml_parser *p, int depth);
/* Records a param seen outside the data lists (header_params, pyimzML's imzmldict terms). */
void msiz_imzml_header_param(imzml_parser *p, const imzml_attrs *a);
/* Records a fileContent param with pyimzML's rank (userParams, cvParams, then groups'). */
void msiz_imzml_file_param(imzml_parser *p, const imzml_attrs *a);
/* Remembers a group reference inside <fileContent> (groups are defined after it). */
void msiz_imzml_file_ref(imzml_parser *p, const char *ref);
/* Applies the remembered fileContent references; at the end of the parse. */
void msiz_imzml_file_refs_apply(imzml_parser *p);
/* Frees a param row's strings. */
void msiz_imzml_kv_clear(imzml_kv *kv);

/* Finishes the current array / spectrum (checks and the compact record). */
void msiz_imzml_array_end(imzml_parser *p);
void msiz_imzml_spectrum_end(imzml_parser *p);

/* Strict number parsing (surrounding blanks allowed): 0 ok, -1 not a number / out of range. */
int msiz_imzml_parse_i64(const char *s, int64_t *out);
int msiz_imzml_parse_u64(const char *s, uint64_t *out);
int msiz_imzml_parse_double(const char *s, double *out);

#endif
