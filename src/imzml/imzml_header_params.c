/* Header params kept whole for raw_metadata (issue 9 item 4): every cvParam and userParam
 * outside the spectrum list with the element path it sits in, the fileContent params with
 * pyimzML's param_by_name ranks (Thyra's raw_metadata.cvParams), and the first value of each
 * imzmldict term found anywhere in <scanSettingsList> / <instrumentConfigurationList>, as
 * pyimzML's __readimzmlmeta searches them. Bounded: IMZ_MAX_KV rows per list, values cut at
 * IMZ_MAX_KV_VALUE bytes. Metadata only: a row that cannot be stored is counted, never fatal. */
#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "imzml/imzml_parser.h"

const imzml_dict_term msiz_imzml_dict_terms[IMZ_DICT_TERMS] = {
    {"IMS:1000042", "max count of pixels x", 1},
    {"IMS:1000043", "max count of pixels y", 1},
    {"IMS:1000044", "max dimension x", 1},
    {"IMS:1000045", "max dimension y", 1},
    {"IMS:1000046", "pixel size x", 0},
    {"IMS:1000047", "pixel size y", 0},
    {"MS:1000835", "matrix solution concentration", 0},
    {"MS:1000843", "wavelength", 0},
    {"MS:1000844", "focus diameter x", 0},
    {"MS:1000845", "focus diameter y", 0},
    {"MS:1000846", "pulse energy", 0},
    {"MS:1000847", "pulse duration", 0},
    {"MS:1000848", "attenuation", 0},
};

/* Length of the path before the element at `depth` (the root, depth 1, is left out). */
static size_t section_base(const imzml_parser *p, int depth)
{
    if (depth <= 2)
        return 0;
    int k = depth - 3 < IMZ_SECTION_DEPTHS ? depth - 3 : IMZ_SECTION_DEPTHS - 1;
    return p->section_len[k];
}

static const char *attr_of(const char **atts, const char *key)
{
    for (size_t i = 0; atts[i]; i += 2) {
        const char *colon = strrchr(atts[i], ':');
        if (strcmp(colon ? colon + 1 : atts[i], key) == 0)
            return atts[i + 1];
    }
    return NULL;
}

static void mark_lists(imzml_parser *p, const char *name, int depth)
{
    if (strcmp(name, "spectrumList") == 0 || strcmp(name, "chromatogramList") == 0)
        p->data_list_depth = depth;
    else if (!p->settings_list_depth && strcmp(name, "scanSettingsList") == 0)
        p->settings_list_depth = depth;
    else if (!p->instrument_list_depth && strcmp(name, "instrumentConfigurationList") == 0)
        p->instrument_list_depth = depth;
}

void msiz_imzml_section_enter(imzml_parser *p, const char *name, const char **atts)
{
    int depth = p->depth;
    if (p->data_list_depth)
        return;
    mark_lists(p, name, depth);
    if (depth < 2 || depth - 2 >= IMZ_SECTION_DEPTHS)
        return;
    size_t base = section_base(p, depth), cap = sizeof p->section - base;
    const char *id = attr_of(atts, "id");
    if (!id)
        id = attr_of(atts, "order"); /* components and processing methods */
    int n = id ? snprintf(p->section + base, cap, "%s%s[%.60s]", base ? "/" : "", name, id)
               : snprintf(p->section + base, cap, "%s%s", base ? "/" : "", name);
    size_t len = n < 0 ? base : (size_t)n >= cap ? sizeof p->section - 1 : base + (size_t)n;
    p->section[len] = '\0';
    p->section_len[depth - 2] = len;
}

void msiz_imzml_section_leave(imzml_parser *p, int depth)
{
    if (p->data_list_depth == depth)
        p->data_list_depth = 0;
    if (p->data_list_depth)
        return;
    if (p->settings_list_depth == depth)
        p->settings_list_depth = 0;
    if (p->instrument_list_depth == depth)
        p->instrument_list_depth = 0;
    if (depth >= 2 && depth - 2 < IMZ_SECTION_DEPTHS)
        p->section[section_base(p, depth)] = '\0';
}

/* A copy of at most IMZ_MAX_KV_VALUE bytes, cut at a character boundary; "" for NULL. */
static char *dup_cut(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n > IMZ_MAX_KV_VALUE) {
        n = IMZ_MAX_KV_VALUE;
        while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
            n--; /* expat hands us UTF-8: never split a character */
    }
    char *copy = msiz_malloc(n + 1);
    if (copy) {
        if (n)
            memcpy(copy, s, n);
        copy[n] = '\0';
    }
    return copy;
}

void msiz_imzml_kv_clear(imzml_kv *kv)
{
    msiz_free(kv->section);
    msiz_free(kv->accession);
    msiz_free(kv->name);
    msiz_free(kv->value);
    msiz_free(kv->unit_accession);
    msiz_free(kv->unit_name);
    msiz_free(kv->type);
    memset(kv, 0, sizeof *kv);
}

/* pyimzML's name of a param: the canonical name of a known accession, else the name as
 * written, else the accession. */
static const char *param_name(const imzml_attrs *a)
{
    const imzml_cv *cv = a->user ? NULL : msiz_imzml_cv_lookup(a->accession);
    if (cv)
        return cv->name;
    return a->name && *a->name ? a->name : a->accession;
}

/* 1 added, 0 dropped at the IMZ_MAX_KV cap (counted, one warning later), -1 out of memory. */
static int add_row(imzml_header *h, imzml_kv **rows, size_t *n, size_t *cap, const imzml_attrs *a,
                   const char *section, int rank)
{
    msiz_status status = msiz_grow((void **)rows, cap, *n + 1, sizeof **rows, IMZ_MAX_KV);
    if (status == MSIZ_E_LIMIT) {
        h->header_params_dropped++;
        return 0;
    }
    if (status < 0)
        return -1;
    imzml_kv *kv = &(*rows)[*n];
    memset(kv, 0, sizeof *kv);
    kv->section = dup_cut(section);
    kv->accession = dup_cut(a->user ? NULL : a->accession);
    kv->name = dup_cut(param_name(a));
    kv->value = dup_cut(a->value);
    kv->unit_accession = dup_cut(a->unit);
    kv->unit_name = dup_cut(a->unit_name);
    kv->type = dup_cut(a->type);
    kv->user = a->user;
    kv->rank = rank;
    if (!kv->section || !kv->accession || !kv->name || !kv->value || !kv->unit_accession ||
        !kv->unit_name || !kv->type) {
        msiz_imzml_kv_clear(kv);
        return -1;
    }
    (*n)++;
    return 1;
}

/* The first value of an imzmldict term, searched as pyimzML does (inline cvParams only). */
static void dict_term(imzml_parser *p, const imzml_attrs *a)
{
    imzml_header *h = p->h;
    int lo = p->settings_list_depth ? 0 : IMZ_DICT_SETTINGS;
    int hi = p->instrument_list_depth ? IMZ_DICT_TERMS : IMZ_DICT_SETTINGS;
    for (int k = lo; a->accession && k < hi; k++)
        if (!h->dict_value[k] && strcmp(msiz_imzml_dict_terms[k].accession, a->accession) == 0 &&
            !(h->dict_value[k] = dup_cut(a->value)))
            msiz_imzml_parser_fail(p, MSIZ_E_NOMEM, "%s: out of memory for header terms", h->path);
}

void msiz_imzml_header_param(imzml_parser *p, const imzml_attrs *a)
{
    imzml_header *h = p->h;
    if (p->data_list_depth)
        return;
    if (!a->user && (p->settings_list_depth || p->instrument_list_depth))
        dict_term(p, a);
    if (add_row(h, &h->header_params, &h->n_header_params, &h->cap_header_params, a, p->section,
                0) < 0)
        msiz_imzml_parser_fail(p, MSIZ_E_NOMEM, "%s: out of memory for header params", h->path);
}

void msiz_imzml_file_param(imzml_parser *p, const imzml_attrs *a)
{
    imzml_header *h = p->h;
    /* param_by_name: userParams, then cvParams; then, by setdefault, the referenced groups
     * from the last reference to the first, each group's cvParams before its userParams */
    int rank = !p->applying_group ? (a->user ? 0 : 1)
                                  : 2 + 2 * (IMZ_MAX_FILE_REFS - p->applying_group) + a->user;
    if (add_row(h, &h->file_params, &h->n_file_params, &h->cap_file_params, a,
                "fileDescription/fileContent", rank) < 0)
        msiz_imzml_parser_fail(p, MSIZ_E_NOMEM, "%s: out of memory for file params", h->path);
}

void msiz_imzml_file_ref(imzml_parser *p, const char *ref)
{
    if (p->n_file_refs >= IMZ_MAX_FILE_REFS)
        return; /* more references than any writer emits: the rest is ignored */
    char *copy = msiz_strdup(ref);
    if (copy)
        p->file_refs[p->n_file_refs++] = copy;
}

void msiz_imzml_file_refs_apply(imzml_parser *p)
{
    for (int i = 0; i < p->n_file_refs; i++) {
        if (p->status >= 0) {
            p->applying_group = i + 1;
            msiz_imzml_group_apply(p, IMZ_TGT_FILE_CONTENT, p->file_refs[i]);
            p->applying_group = 0;
        }
        msiz_free(p->file_refs[i]);
        p->file_refs[i] = NULL;
    }
    p->n_file_refs = 0;
}
