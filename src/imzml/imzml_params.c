/* cvParams and referenceableParamGroups: a term is resolved by accession (by name only for an
 * unknown accession, with a warning) and applied to the element it sits in; a group reference
 * applies the group's stored params to the same place, wherever the reference appears. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/error.h"
#include "imzml/imzml_parser.h"

#define IMZ_MAX_GROUPS       100000
#define IMZ_MAX_GROUP_PARAMS 100000

static const char *or_empty(const char *s)
{
    return s ? s : "";
}

const imzml_cv *msiz_imzml_resolve_term(imzml_parser *p, const imzml_attrs *a)
{
    const imzml_cv *cv = msiz_imzml_cv_lookup(a->accession);
    if (cv) {
        if (!msiz_imzml_cv_name_agrees(cv, a->name) && p->h->name_mismatches++ == 0)
            snprintf(p->h->first_mismatch, sizeof p->h->first_mismatch,
                     "%s is named \"%.40s\" but means \"%s\"", cv->accession, a->name, cv->name);
        return cv;
    }
    if (!a->name || !*a->name)
        return NULL;
    size_t acc_len = a->accession ? strlen(a->accession) : 0;
    int cacheable = acc_len > 0 && acc_len < sizeof p->misses[0];
    int filled = p->n_misses < 16 ? p->n_misses : 16;
    for (int i = 0; cacheable && i < filled; i++)
        if (strcmp(p->misses[i], a->accession) == 0)
            return NULL;
    cv = msiz_imzml_cv_by_name(a->name);
    if (!cv) {
        /* Headers repeat the same few unknown terms per spectrum (TIC, ms level, ...). */
        if (cacheable)
            memcpy(p->misses[p->n_misses++ % 16], a->accession, acc_len + 1);
        if (p->n_misses == 32)
            p->n_misses = 16; /* a ring of 16 once full */
        return NULL;
    }
    if (p->unknown_named++ == 0)
        snprintf(p->first_unknown_named, sizeof p->first_unknown_named,
                 "unknown accession %.40s named \"%.60s\" read as %s", or_empty(a->accession),
                 a->name, cv->accession);
    if (cv->term == IMZ_T_MODE) {
        p->h->mode_unknown = 1; /* storage mode is inferred from the layout instead (#13) */
        return NULL;
    }
    return cv;
}

int msiz_imzml_parse_i64(const char *s, int64_t *out)
{
    char *end;
    if (!s)
        return -1;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    while (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n')
        end++;
    if (end == s || *end || errno)
        return -1;
    *out = v;
    return 0;
}

int msiz_imzml_parse_u64(const char *s, uint64_t *out)
{
    int64_t v;
    if (msiz_imzml_parse_i64(s, &v) == 0) {
        if (v < 0)
            return -1;
        *out = (uint64_t)v;
        return 0;
    }
    char *end;
    if (!s || strchr(s, '-'))
        return -1;
    errno = 0;
    unsigned long long u = strtoull(s, &end, 10);
    while (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n')
        end++;
    if (end == s || *end || errno)
        return -1;
    *out = u;
    return 0;
}

int msiz_imzml_parse_double(const char *s, double *out)
{
    char *end;
    if (!s)
        return -1;
    errno = 0;
    double v = strtod(s, &end);
    while (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n')
        end++;
    if (end == s || *end || errno)
        return -1;
    *out = v;
    return 0;
}

static void array_type(imzml_parser *p, const imzml_cv *cv, const imzml_attrs *a)
{
    imzml_array_state *arr = &p->arr;
    if (cv->arg < 0) {
        snprintf(arr->refused_type, sizeof arr->refused_type, "%s (%.60s)", cv->accession,
                 a->name ? a->name : cv->name);
    } else if (arr->n_types == 0) {
        arr->type = cv->arg;
        arr->type_terms[0] = cv->accession;
        arr->n_types = 1;
    } else if (arr->type != cv->arg) {
        if (arr->n_types == 1)
            arr->type_terms[1] = cv->accession;
        arr->n_types++;
        arr->type = cv->arg;
    }
}

static void array_number(imzml_parser *p, const imzml_cv *cv, const imzml_attrs *a)
{
    imzml_array_state *arr = &p->arr;
    int bad;
    if (cv->term == IMZ_T_OFFSET) {
        bad = msiz_imzml_parse_i64(a->value, &arr->off);
        arr->has_off = !bad;
    } else if (cv->term == IMZ_T_LENGTH) {
        bad = msiz_imzml_parse_u64(a->value, &arr->len);
        arr->has_len = !bad;
    } else {
        bad = msiz_imzml_parse_u64(a->value, &arr->enc);
        arr->has_enc = !bad;
    }
    if (bad)
        msiz_imzml_parser_fail(
            p, MSIZ_E_FORMAT, "%s: spectrum %zu: %s (%s) \"%.40s\" is not a non-negative integer",
            p->h->path, p->h->n_recs, cv->name, cv->accession, or_empty(a->value));
}

static void apply_array(imzml_parser *p, const imzml_cv *cv, const imzml_attrs *a)
{
    imzml_array_state *arr = &p->arr;
    if (!cv) {
        /* An unknown term spelled like a data type ("16-bit integer" under an unknown
         * accession) cannot be decoded safely (#23). */
        if (a->name && strstr(a->name, "-bit ") && !arr->refused_type[0])
            snprintf(arr->refused_type, sizeof arr->refused_type, "%.40s (%.50s)",
                     or_empty(a->accession), a->name);
        return;
    }
    switch (cv->term) {
    case IMZ_T_ARRAY_KIND:
        arr->kind = arr->kind == IMZ_KIND_NONE || arr->kind == cv->arg ? cv->arg : -1;
        break;
    case IMZ_T_DATA_TYPE: array_type(p, cv, a); break;
    case IMZ_T_COMPRESSION:
        if (cv->arg == IMZ_COMP_OTHER || arr->comp == IMZ_COMP_NONE) {
            arr->comp = cv->arg;
            snprintf(arr->comp_term, sizeof arr->comp_term, "%s (%s)", cv->accession, cv->name);
        }
        break;
    case IMZ_T_OFFSET:
    case IMZ_T_LENGTH:
    case IMZ_T_ENCODED_LENGTH: array_number(p, cv, a); break;
    default: break;
    }
}

static void apply_spectrum(imzml_parser *p, const imzml_cv *cv, const imzml_attrs *a)
{
    if (!cv)
        return;
    switch (cv->term) {
    case IMZ_T_POSITION:
        if (msiz_imzml_parse_i64(a->value, &p->sp.pos[cv->arg]) != 0 ||
            p->sp.pos[cv->arg] < INT32_MIN || p->sp.pos[cv->arg] > INT32_MAX)
            msiz_imzml_parser_fail(
                p, MSIZ_E_FORMAT, "%s: spectrum %zu: %s (%s) \"%.40s\" is not a 32-bit integer",
                p->h->path, p->h->n_recs, cv->name, cv->accession, or_empty(a->value));
        p->sp.has_pos[cv->arg] = 1;
        break;
    case IMZ_T_REPRESENTATION:
        if (!p->sp.repr)
            p->sp.repr = (msiz_spectrum_type)cv->arg;
        break;
    case IMZ_T_POLARITY: p->sp.polarity |= 1u << cv->arg; break;
    default: break;
    }
}

static void set_string(char **slot, const char *value)
{
    if (*slot)
        return;
    *slot = msiz_strdup(value);
}

static void apply_file(imzml_parser *p, const imzml_cv *cv, const imzml_attrs *a)
{
    imzml_header *h = p->h;
    msiz_imzml_file_param(p, a);
    if (!cv)
        return;
    switch (cv->term) {
    case IMZ_T_MODE: h->mode_flags |= cv->arg; break;
    case IMZ_T_UUID: set_string(&h->uuid, or_empty(a->value)); break;
    case IMZ_T_CHECKSUM: set_string(&h->checksum[cv->arg], or_empty(a->value)); break;
    case IMZ_T_REPRESENTATION:
        if (!h->file_repr)
            h->file_repr = (msiz_spectrum_type)cv->arg;
        break;
    case IMZ_T_POLARITY: h->polarity_mask |= 1u << cv->arg; break;
    default: break;
    }
}

static void settings_length(imzml_header *h, const imzml_cv *cv, const imzml_attrs *a)
{
    double v;
    int axis = cv->arg;
    if (msiz_imzml_parse_double(a->value, &v) != 0)
        return; /* kept in raw_metadata; unusable as a number */
    if (cv->term == IMZ_T_PIXEL_SIZE) {
        h->pixel_unit[axis] = msiz_imzml_unit_to_um(a->unit, v, &h->pixel[axis]);
        h->has_pixel[axis] = 1;
        set_string(&h->pixel_raw[axis], or_empty(a->value));
    } else {
        msiz_imzml_unit_to_um(a->unit, v, &h->max_dim[axis]);
        h->has_max_dim[axis] = 1;
    }
}

static void apply_settings(imzml_parser *p, const imzml_cv *cv, const imzml_attrs *a)
{
    imzml_header *h = p->h;
    if (!cv)
        return;
    switch (cv->term) {
    case IMZ_T_MAX_COUNT:
        if (msiz_imzml_parse_i64(a->value, &h->max_count[cv->arg]) == 0)
            h->has_max_count[cv->arg] = 1;
        break;
    case IMZ_T_MAX_DIMENSION:
    case IMZ_T_PIXEL_SIZE: settings_length(h, cv, a); break;
    case IMZ_T_SCAN_DIRECTION: set_string(&h->scan_direction, cv->name); break;
    case IMZ_T_SCAN_PATTERN: set_string(&h->scan_pattern, cv->name); break;
    case IMZ_T_SCAN_TYPE: set_string(&h->scan_type, cv->name); break;
    case IMZ_T_LINESCAN_SEQUENCE: set_string(&h->linescan_sequence, cv->name); break;
    default: break;
    }
}

static void apply_instrument(imzml_parser *p, const imzml_cv *cv, const imzml_attrs *a)
{
    imzml_header *h = p->h;
    if (cv && cv->term == IMZ_T_SERIAL_NUMBER)
        set_string(&h->instrument_serial, or_empty(a->value));
    else if (cv && cv->term == IMZ_T_LASER)
        return; /* raw_metadata's imzmldict terms (imzml_header_params.c) */
    else if (a->value && *a->value)
        set_string(&h->instrument_model, a->value);
    else if (a->name && *a->name)
        set_string(&h->instrument_model, a->name);
}

static void apply_software(imzml_parser *p, const imzml_attrs *a)
{
    imzml_header *h = p->h;
    const char *name = a->value && *a->value ? a->value : a->name;
    if (!name || !*name || p->software_first != 1)
        return;
    p->software_first = 2; /* only the first cvParam names the software */
    msiz_free(h->software);
    h->software = msiz_strdup(name);
}

void msiz_imzml_apply_param(imzml_parser *p, imzml_target tgt, const imzml_cv *cv,
                            const imzml_attrs *a)
{
    switch (tgt) {
    case IMZ_TGT_ARRAY: apply_array(p, cv, a); break;
    case IMZ_TGT_SPECTRUM: apply_spectrum(p, cv, a); break;
    case IMZ_TGT_FILE_CONTENT: apply_file(p, cv, a); break;
    case IMZ_TGT_SETTINGS: apply_settings(p, cv, a); break;
    case IMZ_TGT_INSTRUMENT: apply_instrument(p, cv, a); break;
    case IMZ_TGT_SOFTWARE: apply_software(p, a); break;
    default: break;
    }
}

void msiz_imzml_group_begin(imzml_parser *p, const char *id)
{
    if (p->n_groups >= IMZ_MAX_GROUPS) {
        msiz_imzml_parser_fail(p, MSIZ_E_LIMIT, "%s: more than %d referenceableParamGroups",
                               p->h->path, IMZ_MAX_GROUPS);
        return;
    }
    msiz_status status = msiz_grow((void **)&p->groups, &p->cap_groups, p->n_groups + 1,
                                   sizeof *p->groups, IMZ_MAX_GROUPS);
    if (status < 0) {
        msiz_imzml_parser_grow_failed(p, status, "param groups");
        return;
    }
    imzml_group *g = &p->groups[p->n_groups];
    memset(g, 0, sizeof *g);
    g->id = msiz_strdup(id);
    if (!g->id) {
        msiz_imzml_parser_fail(p, MSIZ_E_NOMEM, "%s: out of memory for param groups", p->h->path);
        return;
    }
    p->n_groups++;
    p->cur_group = g;
}

static char *dup_opt(const char *s)
{
    return s ? msiz_strdup(s) : NULL;
}

void msiz_imzml_group_add(imzml_parser *p, const imzml_cv *cv, const imzml_attrs *a)
{
    imzml_group *g = p->cur_group;
    if (!g)
        return;
    msiz_status status =
        msiz_grow((void **)&g->params, &g->cap, g->n + 1, sizeof *g->params, IMZ_MAX_GROUP_PARAMS);
    if (status < 0) {
        char what[96];
        snprintf(what, sizeof what, "params of group \"%.60s\"", g->id);
        msiz_imzml_parser_grow_failed(p, status, what);
        return;
    }
    imzml_param *prm = &g->params[g->n];
    prm->cv = cv;
    prm->user = a->user;
    prm->accession = dup_opt(a->accession);
    prm->name = dup_opt(a->name);
    prm->value = dup_opt(a->value);
    prm->unit = dup_opt(a->unit);
    prm->unit_name = dup_opt(a->unit_name);
    prm->type = dup_opt(a->type);
    g->n++;
    if ((a->accession && !prm->accession) || (a->name && !prm->name) || (a->value && !prm->value) ||
        (a->unit && !prm->unit) || (a->unit_name && !prm->unit_name) || (a->type && !prm->type))
        msiz_imzml_parser_fail(p, MSIZ_E_NOMEM, "%s: out of memory for param groups", p->h->path);
}

/* A reference to no defined group is ignored with a warning (edge case #79): pyimzML and
 * Thyra read such files (seen in R-based exports). An array it leaves undescribed fails later
 * with its own message. */
static void missing_group(imzml_parser *p, imzml_target tgt, const char *ref)
{
    imzml_header *h = p->h;
    int in_spectrum = tgt == IMZ_TGT_SPECTRUM || tgt == IMZ_TGT_ARRAY;
    if (in_spectrum && !p->sp.missing_ref[0])
        snprintf(p->sp.missing_ref, sizeof p->sp.missing_ref, "%s", ref);
    if (h->missing_refs++ > 0)
        return;
    if (in_spectrum)
        snprintf(h->first_missing_ref, sizeof h->first_missing_ref, "\"%.60s\" in spectrum %zu",
                 ref, h->n_recs);
    else
        snprintf(h->first_missing_ref, sizeof h->first_missing_ref, "\"%.60s\" in the header", ref);
}

void msiz_imzml_group_apply(imzml_parser *p, imzml_target tgt, const char *ref)
{
    for (size_t i = 0; i < p->n_groups; i++) {
        imzml_group *g = &p->groups[i];
        if (strcmp(g->id, ref) != 0)
            continue;
        for (size_t k = 0; k < g->n && p->status >= 0; k++) {
            const imzml_param *prm = &g->params[k];
            imzml_attrs a = {prm->accession, prm->name, prm->value, prm->unit,
                             prm->unit_name, prm->type, prm->user};
            if (!prm->user)
                msiz_imzml_apply_param(p, tgt, prm->cv, &a);
            else if (tgt == IMZ_TGT_FILE_CONTENT)
                msiz_imzml_file_param(p, &a);
        }
        return;
    }
    missing_group(p, tgt, ref);
}

void msiz_imzml_groups_free(imzml_parser *p)
{
    for (size_t i = 0; i < p->n_groups; i++) {
        imzml_group *g = &p->groups[i];
        for (size_t k = 0; k < g->n; k++) {
            msiz_free(g->params[k].accession);
            msiz_free(g->params[k].name);
            msiz_free(g->params[k].value);
            msiz_free(g->params[k].unit);
            msiz_free(g->params[k].unit_name);
            msiz_free(g->params[k].type);
        }
        msiz_free(g->params);
        msiz_free(g->id);
    }
    msiz_free(p->groups);
    p->groups = NULL;
    p->n_groups = p->cap_groups = 0;
}
