/* The streaming imzML header parser: expat SAX callbacks fed in fixed-size pieces. State grows
 * only by one 48-byte record per spectrum (imzml_rec); everything else is bounded. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/error.h"
#include "imzml/imzml_parser.h"

#define IMZ_READ_CHUNK ((size_t)256 * 1024)
#define IMZ_READ_MAX   ((size_t)1 << 30) /* expat takes an int length */

void msiz_imzml_parser_fail(imzml_parser *p, msiz_status code, const char *fmt, ...)
{
    if (p->status < 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    p->status = msiz_vfail(code, fmt, ap);
    va_end(ap);
    XML_StopParser(p->xml, XML_FALSE);
}

void msiz_imzml_parser_grow_failed(imzml_parser *p, msiz_status code, const char *what)
{
    if (p->status < 0)
        return;
    p->status = msiz_fail_context(code, "%s: %s", p->h->path, what);
    XML_StopParser(p->xml, XML_FALSE);
}

/* Element names are matched without their namespace prefix (a root without the mzML namespace
 * or with a prefix is fine, imzml.md §10). */
static const char *local_name(const char *name)
{
    const char *colon = strrchr(name, ':');
    return colon ? colon + 1 : name;
}

static const char *attr(const char **atts, const char *key)
{
    for (size_t i = 0; atts[i]; i += 2)
        if (strcmp(local_name(atts[i]), key) == 0)
            return atts[i + 1];
    return NULL;
}

/* The innermost context a cvParam or a group reference belongs to. */
static imzml_target current_target(const imzml_parser *p)
{
    if (p->array_depth)
        return IMZ_TGT_ARRAY;
    if (p->group_depth)
        return IMZ_TGT_GROUP;
    if (p->spectrum_depth)
        return IMZ_TGT_SPECTRUM;
    if (p->file_content_depth)
        return IMZ_TGT_FILE_CONTENT;
    if (p->settings_depth)
        return p->settings_first ? IMZ_TGT_SETTINGS : IMZ_TGT_NONE;
    if (p->instrument_depth && !p->component_depth)
        return p->instrument_first ? IMZ_TGT_INSTRUMENT : IMZ_TGT_NONE;
    if (p->software_depth)
        return p->software_first ? IMZ_TGT_SOFTWARE : IMZ_TGT_NONE;
    return IMZ_TGT_NONE;
}

static void on_cv_param(imzml_parser *p, const char **atts)
{
    imzml_target tgt = current_target(p);
    if (tgt == IMZ_TGT_NONE && p->data_list_depth)
        return;
    imzml_attrs a = {attr(atts, "accession"),
                     attr(atts, "name"),
                     attr(atts, "value"),
                     attr(atts, "unitAccession"),
                     NULL,
                     NULL,
                     0};
    if (!p->data_list_depth) {
        a.unit_name = attr(atts, "unitName");
        msiz_imzml_header_param(p, &a);
    }
    if (tgt == IMZ_TGT_NONE)
        return;
    const imzml_cv *cv = msiz_imzml_resolve_term(p, &a);
    if (tgt == IMZ_TGT_GROUP)
        msiz_imzml_group_add(p, cv, &a);
    else
        msiz_imzml_apply_param(p, tgt, cv, &a);
}

/* userParams mean nothing to the reader; the header's are kept for raw_metadata. */
static void on_user_param(imzml_parser *p, const char **atts)
{
    imzml_target tgt = current_target(p);
    if (p->data_list_depth && tgt != IMZ_TGT_GROUP)
        return;
    imzml_attrs a = {NULL,
                     attr(atts, "name"),
                     attr(atts, "value"),
                     attr(atts, "unitAccession"),
                     attr(atts, "unitName"),
                     attr(atts, "type"),
                     1};
    msiz_imzml_header_param(p, &a);
    if (tgt == IMZ_TGT_GROUP)
        msiz_imzml_group_add(p, NULL, &a);
    else if (tgt == IMZ_TGT_FILE_CONTENT)
        msiz_imzml_file_param(p, &a);
}

static void begin_spectrum(imzml_parser *p)
{
    if (p->spectrum_depth) {
        msiz_imzml_parser_fail(p, MSIZ_E_FORMAT, "%s: spectrum %zu: nested <spectrum> element",
                               p->h->path, p->h->n_recs);
        return;
    }
    p->spectrum_depth = p->depth;
    memset(&p->sp, 0, sizeof p->sp);
}

static void begin_array(imzml_parser *p)
{
    if (!p->spectrum_depth || p->array_depth)
        return; /* chromatogram arrays and nested arrays are not spectra */
    p->array_depth = p->depth;
    memset(&p->arr, 0, sizeof p->arr);
    p->sp.n_arrays++;
}

static void begin_spectrum_list(imzml_parser *p, const char **atts)
{
    const char *count = attr(atts, "count");
    uint64_t n;
    if (!count || msiz_imzml_parse_u64(count, &n) != 0 || p->h->has_declared_count)
        return;
    p->h->declared_count = n;
    p->h->has_declared_count = 1;
    /* A capacity hint only (it can be wrong, imzml.md §10): bounded, grown later if needed. */
    size_t hint = n < (1u << 22) ? (size_t)n : (1u << 22);
    msiz_status status = MSIZ_OK;
    if (hint > p->h->cap_recs)
        status = msiz_grow((void **)&p->h->recs, &p->h->cap_recs, hint, sizeof *p->h->recs, hint);
    if (status < 0)
        msiz_imzml_parser_grow_failed(p, status, "spectrum records");
}

static void begin_named(imzml_parser *p, const char *name, const char **atts)
{
    if (strcmp(name, "referenceableParamGroupRef") == 0) {
        imzml_target tgt = current_target(p);
        const char *ref = attr(atts, "ref");
        if (tgt == IMZ_TGT_FILE_CONTENT)
            msiz_imzml_file_ref(p, ref ? ref : ""); /* its groups are defined further down */
        else if (tgt != IMZ_TGT_NONE && tgt != IMZ_TGT_GROUP)
            msiz_imzml_group_apply(p, tgt, ref ? ref : "");
    } else if (strcmp(name, "binaryDataArray") == 0) {
        begin_array(p);
    } else if (strcmp(name, "spectrum") == 0) {
        begin_spectrum(p);
    } else if (strcmp(name, "fileContent") == 0) {
        p->file_content_depth = p->depth;
    } else if (strcmp(name, "referenceableParamGroup") == 0 && !p->group_depth) {
        const char *id = attr(atts, "id");
        p->group_depth = p->depth;
        msiz_imzml_group_begin(p, id ? id : "");
    } else if (strcmp(name, "scanSettings") == 0 && !p->settings_depth) {
        p->settings_depth = p->depth;
        p->settings_first = ++p->h->n_scan_settings == 1;
    } else if (strcmp(name, "instrumentConfiguration") == 0 && !p->instrument_depth) {
        p->instrument_depth = p->depth;
    } else if (strcmp(name, "componentList") == 0 && !p->component_depth) {
        p->component_depth = p->depth;
    } else if (strcmp(name, "software") == 0 && !p->software_depth) {
        p->software_depth = p->depth;
        if (p->software_first && !p->h->software) {
            const char *id = attr(atts, "id"), *version = attr(atts, "version");
            p->h->software = msiz_strdup(id ? id : "");
            p->h->software_version = version ? msiz_strdup(version) : NULL;
        }
    } else if (strcmp(name, "spectrumList") == 0) {
        begin_spectrum_list(p, atts);
    }
}

static void XMLCALL on_start(void *user, const XML_Char *qname, const XML_Char **atts)
{
    imzml_parser *p = user;
    const char *name = local_name(qname);
    p->events++;
    p->depth++;
    if (strcmp(name, "cvParam") == 0) {
        on_cv_param(p, atts);
    } else if (strcmp(name, "userParam") == 0) {
        on_user_param(p, atts);
    } else {
        msiz_imzml_section_enter(p, name, atts);
        begin_named(p, name, atts);
    }
}

/* Leaves every context that started at the current depth. */
static void XMLCALL on_end(void *user, const XML_Char *qname)
{
    imzml_parser *p = user;
    (void)qname;
    p->events++;
    int d = p->depth--;
    msiz_imzml_section_leave(p, d);
    if (p->array_depth == d) {
        msiz_imzml_array_end(p);
        p->array_depth = 0;
    } else if (p->spectrum_depth == d) {
        msiz_imzml_spectrum_end(p);
        p->spectrum_depth = 0;
    } else if (p->file_content_depth == d) {
        p->file_content_depth = 0;
    } else if (p->group_depth == d) {
        p->group_depth = 0;
        p->cur_group = NULL;
    } else if (p->settings_depth == d) {
        p->settings_depth = 0;
        p->settings_first = 0;
    } else if (p->component_depth == d) {
        p->component_depth = 0;
    } else if (p->instrument_depth == d) {
        p->instrument_depth = 0;
        p->instrument_first = 0;
    } else if (p->software_depth == d) {
        p->software_depth = 0;
        p->software_first = 0;
    }
}

msiz_status msiz_imzml_parser_new(const char *name, imzml_parser **out)
{
    *out = NULL;
    imzml_parser *p = msiz_calloc(1, sizeof *p);
    imzml_header *h = msiz_calloc(1, sizeof *h);
    XML_Parser xml = XML_ParserCreate(NULL);
    if (!p || !h || !xml) {
        msiz_free(p);
        msiz_free(h);
        if (xml)
            XML_ParserFree(xml);
        return msiz_fail(MSIZ_E_NOMEM, "%s: out of memory starting the XML parser", name);
    }
    h->path = name;
    h->min_x = h->min_y = h->min_z = INT32_MAX;
    h->max_x = h->max_y = h->max_z = INT32_MIN;
    p->h = h;
    p->xml = xml;
    p->instrument_first = p->software_first = 1;
    XML_SetUserData(xml, p);
    XML_SetElementHandler(xml, on_start, on_end);
    *out = p;
    return MSIZ_OK;
}

/* The status after expat stopped: ours if a callback failed, else expat's error with its place. */
static msiz_status xml_error(imzml_parser *p)
{
    if (p->status < 0)
        return p->status;
    p->status = msiz_fail(MSIZ_E_FORMAT, "%s: XML error at line %lu, column %lu: %s", p->h->path,
                          (unsigned long)XML_GetCurrentLineNumber(p->xml),
                          (unsigned long)XML_GetCurrentColumnNumber(p->xml) + 1,
                          XML_ErrorString(XML_GetErrorCode(p->xml)));
    return p->status;
}

/* How much to hand expat next. Expat rescans a token it could not finish from its start on
 * every call, so a very long token (a 100 MB attribute value) fed in fixed pieces costs time
 * quadratic in its length. A call that completed no element leaves the parser inside one long
 * token (or uninteresting text): the next piece is twice as large, so every byte is rescanned
 * a bounded number of times (linear); after progress pieces are small again. `pending` counts
 * the bytes given since the last element event (an upper bound on what expat rescans): its
 * running sum is the parse's work (imzml_header.xml_work, tested for linearity). */
static size_t next_piece(imzml_parser *p, uint64_t events_before, size_t piece, size_t given)
{
    p->pending += given;
    p->work += p->pending;
    if (p->events != events_before) {
        p->pending = given; /* the unfinished tail is at most this piece */
        return IMZ_READ_CHUNK;
    }
    return piece < IMZ_READ_MAX / 2 ? piece * 2 : IMZ_READ_MAX;
}

msiz_status msiz_imzml_parser_feed(imzml_parser *p, const void *buf, size_t len, int final)
{
    if (p->status < 0)
        return p->status;
    if (len > INT32_MAX)
        return msiz_fail(MSIZ_E_ARG, "%s: XML piece too large", p->h->path);
    if (XML_Parse(p->xml, buf, (int)len, final) == XML_STATUS_OK)
        return MSIZ_OK;
    return xml_error(p);
}

void msiz_imzml_parser_free(imzml_parser *p)
{
    if (!p)
        return;
    msiz_imzml_groups_free(p);
    for (int i = 0; i < p->n_file_refs; i++)
        msiz_free(p->file_refs[i]);
    msiz_imzml_header_free(p->h);
    XML_ParserFree(p->xml);
    msiz_free(p);
}

msiz_status msiz_imzml_parser_finish(imzml_parser *p, imzml_header **out)
{
    *out = NULL;
    msiz_imzml_file_refs_apply(p);
    msiz_status status = p->status;
    if (status >= 0 && p->unknown_named > 0)
        snprintf(p->h->first_mismatch, sizeof p->h->first_mismatch, "%s", p->first_unknown_named);
    if (status >= 0) {
        p->h->name_mismatches += p->unknown_named;
        p->h->xml_work = p->work;
        *out = p->h;
        p->h = NULL;
    }
    msiz_imzml_parser_free(p);
    return status;
}

/* Reads up to `want` bytes (fewer only at the end of the file). */
static ssize_t read_piece(int fd, void *buf, size_t want, volatile int *cancel)
{
    size_t got = 0;
    while (got < want) {
        ssize_t n = read(fd, (char *)buf + got, want - got);
        if (n < 0 && errno == EINTR && !(cancel && *cancel))
            continue;
        if (n < 0)
            return n;
        if (n == 0)
            break;
        got += (size_t)n;
    }
    return (ssize_t)got;
}

msiz_status msiz_imzml_parse_fd(int fd, const char *name, volatile int *cancel, imzml_header **out)
{
    imzml_parser *p;
    msiz_status status = msiz_imzml_parser_new(name, &p);
    *out = NULL;
    if (status < 0)
        return status;
    size_t piece = IMZ_READ_CHUNK;
    for (;;) {
        /* polled per piece: a few milliseconds of parsing (issue 13 item 4) */
        if (cancel && *cancel) {
            status =
                msiz_fail(MSIZ_E_INTERRUPTED, "%s: interrupted while reading the header", name);
            break;
        }
        void *buf = XML_GetBuffer(p->xml, (int)piece);
        if (!buf) {
            status = msiz_fail(MSIZ_E_NOMEM, "%s: out of memory reading the XML", name);
            break;
        }
        ssize_t got = read_piece(fd, buf, piece, cancel);
        if (got < 0 && errno == EINTR)
            continue; /* cancelled: reported above */
        if (got < 0) {
            status = msiz_fail(MSIZ_E_IO, "%s: read failed: %s", name, strerror(errno));
            break;
        }
        uint64_t events = p->events;
        if (XML_ParseBuffer(p->xml, (int)got, got == 0) != XML_STATUS_OK) {
            status = xml_error(p);
            break;
        }
        if (got == 0)
            break;
        piece = next_piece(p, events, piece, (size_t)got);
    }
    if (status < 0) {
        msiz_imzml_parser_free(p);
        return status;
    }
    return msiz_imzml_parser_finish(p, out);
}

msiz_status msiz_imzml_parse_buffer(const void *buf, size_t len, const char *name,
                                    imzml_header **out)
{
    imzml_parser *p;
    msiz_status status = msiz_imzml_parser_new(name, &p);
    *out = NULL;
    if (status < 0)
        return status;
    const char *bytes = buf;
    size_t piece = 4096, at = 0;
    while (status >= 0) {
        size_t n = len - at < piece ? len - at : piece;
        uint64_t events = p->events;
        status = msiz_imzml_parser_feed(p, bytes + at, n, at + n >= len);
        at += n;
        if (at >= len)
            break;
        piece = next_piece(p, events, piece, n);
        piece = p->events != events ? 4096 : piece; /* small pieces: the fuzzer's splits */
    }
    if (status < 0) {
        msiz_imzml_parser_free(p);
        return status;
    }
    return msiz_imzml_parser_finish(p, out);
}

static void free_kvs(imzml_kv *kv, size_t n)
{
    for (size_t i = 0; i < n; i++)
        msiz_imzml_kv_clear(&kv[i]);
    msiz_free(kv);
}

void msiz_imzml_header_free(imzml_header *h)
{
    if (!h)
        return;
    msiz_free(h->recs);
    msiz_free(h->uuid);
    for (int i = 0; i < 3; i++)
        msiz_free(h->checksum[i]);
    for (int i = 0; i < 2; i++)
        msiz_free(h->pixel_raw[i]);
    msiz_free(h->scan_direction);
    msiz_free(h->scan_pattern);
    msiz_free(h->scan_type);
    msiz_free(h->linescan_sequence);
    for (int i = 0; i < IMZ_DICT_TERMS; i++)
        msiz_free(h->dict_value[i]);
    free_kvs(h->file_params, h->n_file_params);
    free_kvs(h->header_params, h->n_header_params);
    msiz_free(h->instrument_model);
    msiz_free(h->instrument_serial);
    msiz_free(h->software);
    msiz_free(h->software_version);
    msiz_free(h);
}

void msiz_imzml_add_check(imzml_header *h, const char *name, const char *status, const char *fmt,
                          ...)
{
    if (h->n_checks >= IMZ_MAX_CHECKS)
        return;
    imzml_check *c = &h->checks[h->n_checks++];
    c->name = name;
    c->status = status;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->detail, sizeof c->detail, fmt, ap);
    va_end(ap);
}
