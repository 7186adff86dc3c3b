/* End of a <binaryDataArray> and of a <spectrum>: the per-array and per-spectrum rules that need
 * no .ibd (edge-cases.md #16, #20, #23-#26, #30, #32, #41), then the compact 48-byte record. */
#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "imzml/imzml_parser.h"

#define IMZ_MAX_SPECTRA ((size_t)1 << 32)

static const char *kind_name(int kind)
{
    return kind == IMZ_KIND_MZ ? "m/z" : "intensity";
}

static const char *term_name(const char *accession)
{
    const imzml_cv *cv = msiz_imzml_cv_lookup(accession);
    return cv ? cv->name : "";
}

/* Data type, compression and the three external-data numbers of a finished array. */
static int check_array(imzml_parser *p, const imzml_array_state *a, const char *what)
{
    const char *path = p->h->path;
    size_t k = p->h->n_recs;
    if (a->refused_type[0])
        msiz_imzml_parser_fail(p, MSIZ_E_UNSUPPORTED,
                               "%s: spectrum %zu: %s array: data type %s is not supported", path, k,
                               what, a->refused_type);
    else if (a->n_types == 0)
        msiz_imzml_parser_fail(
            p, MSIZ_E_FORMAT,
            "%s: spectrum %zu: %s array declares no data type (such as MS:1000521 "
            "32-bit float)",
            path, k, what);
    else if (a->n_types > 1)
        msiz_imzml_parser_fail(
            p, MSIZ_E_FORMAT,
            "%s: spectrum %zu: %s array declares %d data types (%s %s and %s %s); "
            "exactly one is allowed",
            path, k, what, a->n_types, a->type_terms[0], term_name(a->type_terms[0]),
            a->type_terms[1], term_name(a->type_terms[1]));
    else if (a->comp == IMZ_COMP_OTHER)
        msiz_imzml_parser_fail(p, MSIZ_E_UNSUPPORTED,
                               "%s: spectrum %zu: %s array: compression %s is not supported", path,
                               k, what, a->comp_term);
    else if (!a->has_off)
        msiz_imzml_parser_fail(p, MSIZ_E_FORMAT,
                               "%s: spectrum %zu: %s array has no external offset (IMS:1000102)",
                               path, k, what);
    else if (!a->has_len)
        msiz_imzml_parser_fail(
            p, MSIZ_E_FORMAT,
            "%s: spectrum %zu: %s array has no external array length (IMS:1000103)", path, k, what);
    else if (a->comp == IMZ_COMP_ZLIB && !a->has_enc)
        msiz_imzml_parser_fail(
            p, MSIZ_E_UNSUPPORTED,
            "%s: spectrum %zu: %s array is zlib-compressed (MS:1000574) without an "
            "external encoded length (IMS:1000104), so it cannot be decoded",
            path, k, what);
    return p->status >= 0;
}

/* The most bytes any deflate encoder sensibly makes of `raw` bytes: stored blocks cost 5 bytes
 * per 64 KiB, zlib's header and trailer 6; an eighth and 1 KiB more is generous. */
static uint64_t zlib_bound(uint64_t raw)
{
    return raw + raw / 8 + 1024;
}

static int check_lengths(imzml_parser *p, const imzml_array_state *a, const char *what)
{
    const char *path = p->h->path;
    size_t k = p->h->n_recs;
    size_t size = msiz_imzml_value_size((msiz_value_type)a->type);
    if (a->len > UINT32_MAX || (a->comp == IMZ_COMP_ZLIB && a->enc > UINT32_MAX)) {
        msiz_imzml_parser_fail(p, MSIZ_E_LIMIT,
                               "%s: spectrum %zu: %s array of %llu values is too long", path, k,
                               what, (unsigned long long)a->len);
    } else if (a->comp == IMZ_COMP_ZLIB && a->enc > zlib_bound(a->len * size)) {
        /* the encoded length becomes the size of a read buffer (edge-cases.md #84) */
        msiz_imzml_parser_fail(
            p, MSIZ_E_FORMAT,
            "%s: spectrum %zu: %s array: external encoded length %llu bytes is more than zlib "
            "makes of %llu values x %zu bytes (at most %llu)",
            path, k, what, (unsigned long long)a->enc, (unsigned long long)a->len, size,
            (unsigned long long)zlib_bound(a->len * size));
    } else if (a->comp == IMZ_COMP_NONE && a->has_enc && a->enc != a->len * size) {
        msiz_imzml_parser_fail(
            p, MSIZ_E_FORMAT,
            "%s: spectrum %zu: %s array: external encoded length %llu bytes != %llu "
            "values x %zu bytes (%s)",
            path, k, what, (unsigned long long)a->enc, (unsigned long long)a->len, size,
            msiz_imzml_value_type_name((msiz_value_type)a->type));
    }
    return p->status >= 0;
}

void msiz_imzml_array_end(imzml_parser *p)
{
    const imzml_array_state *a = &p->arr;
    imzml_header *h = p->h;
    if (p->status < 0)
        return;
    if (a->kind == -1) {
        msiz_imzml_parser_fail(p, MSIZ_E_FORMAT,
                               "%s: spectrum %zu: binaryDataArray %d is declared both m/z array "
                               "(MS:1000514) and intensity array (MS:1000515)",
                               h->path, h->n_recs, p->sp.n_arrays);
        return;
    }
    if (a->kind == IMZ_KIND_NONE) {
        /* pyimzML reads only the arrays it can tell apart and skips the others (#16): so do
         * we, with a warning; a spectrum left without its m/z or intensity array fails. */
        if (h->kindless_arrays++ == 0)
            snprintf(h->first_kindless, sizeof h->first_kindless,
                     "spectrum %zu, binaryDataArray %d", h->n_recs, p->sp.n_arrays);
        return;
    }
    if (a->kind == IMZ_KIND_OTHER)
        return;
    const char *what = kind_name(a->kind);
    imzml_array_done *done = a->kind == IMZ_KIND_MZ ? &p->sp.mz : &p->sp.in;
    if (done->present) {
        msiz_imzml_parser_fail(p, MSIZ_E_FORMAT, "%s: spectrum %zu has two %s arrays", p->h->path,
                               p->h->n_recs, what);
        return;
    }
    if (!check_array(p, a, what) || !check_lengths(p, a, what))
        return;
    done->present = 1;
    done->off = a->off;
    done->len = a->len;
    done->enc = a->comp == IMZ_COMP_ZLIB ? a->enc : 0;
    done->type = a->type;
    done->zlib = a->comp == IMZ_COMP_ZLIB;
}

static int spectrum_complete(imzml_parser *p)
{
    const imzml_spectrum_state *sp = &p->sp;
    const char *path = p->h->path;
    size_t k = p->h->n_recs;
    static const char axis[] = "xy";
    if (!sp->mz.present || !sp->in.present) {
        char why[128] = "";
        if (sp->missing_ref[0])
            snprintf(why, sizeof why,
                     "; it references \"%.60s\", which names no "
                     "referenceableParamGroup",
                     sp->missing_ref);
        msiz_imzml_parser_fail(p, MSIZ_E_FORMAT, "%s: spectrum %zu has no %s array (%s)%s", path, k,
                               sp->mz.present ? "intensity" : "m/z",
                               sp->mz.present ? "MS:1000515" : "MS:1000514", why);
        return 0;
    }
    if (sp->mz.len != sp->in.len) {
        msiz_imzml_parser_fail(
            p, MSIZ_E_FORMAT,
            "%s: spectrum %zu: m/z array has %llu values but intensity array has "
            "%llu",
            path, k, (unsigned long long)sp->mz.len, (unsigned long long)sp->in.len);
        return 0;
    }
    for (int i = 0; i < 2; i++)
        if (!sp->has_pos[i]) {
            msiz_imzml_parser_fail(p, MSIZ_E_FORMAT,
                                   "%s: spectrum %zu has no position %c (IMS:100005%d)", path, k,
                                   axis[i], i);
            return 0;
        }
    return 1;
}

static int repair(imzml_parser *p, imzml_offset_fix *fix, const imzml_array_done *a,
                  const char *what, uint64_t *out)
{
    if (msiz_imzml_offset_repair(fix, a->off, out) == 0)
        return 1;
    msiz_imzml_parser_fail(
        p, MSIZ_E_FORMAT,
        "%s: spectrum %zu: %s array: external offset %lld is negative and cannot be "
        "a wrapped 32-bit offset",
        p->h->path, p->h->n_recs, what, (long long)a->off);
    return 0;
}

static void update_stats(imzml_header *h, const imzml_rec *r)
{
    if (r->x < h->min_x)
        h->min_x = r->x;
    if (r->x > h->max_x)
        h->max_x = r->x;
    if (r->y < h->min_y)
        h->min_y = r->y;
    if (r->y > h->max_y)
        h->max_y = r->y;
    if (r->z < h->min_z)
        h->min_z = r->z;
    if (r->z > h->max_z)
        h->max_z = r->z;
    if (r->x < 1 || r->y < 1)
        h->n_below_one++;
    h->total_peaks += r->len;
}

void msiz_imzml_spectrum_end(imzml_parser *p)
{
    imzml_header *h = p->h;
    const imzml_spectrum_state *sp = &p->sp;
    imzml_rec r;
    if (p->status < 0 || !spectrum_complete(p))
        return;
    memset(&r, 0, sizeof r);
    if (!repair(p, &h->fix_mz, &sp->mz, "m/z", &r.mz_off) ||
        !repair(p, &h->fix_int, &sp->in, "intensity", &r.int_off))
        return;
    msiz_status status =
        msiz_grow((void **)&h->recs, &h->cap_recs, h->n_recs + 1, sizeof *h->recs, IMZ_MAX_SPECTRA);
    if (status < 0) {
        msiz_imzml_parser_grow_failed(p, status, "spectrum records");
        return;
    }
    r.len = (uint32_t)sp->mz.len;
    r.mz_enc = (uint32_t)sp->mz.enc;
    r.int_enc = (uint32_t)sp->in.enc;
    r.x = (int32_t)sp->pos[0];
    r.y = (int32_t)sp->pos[1];
    r.z = sp->has_pos[2] ? (int32_t)sp->pos[2] : 1; /* pyimzML synthesises z = 1 */
    r.mz_type = (uint8_t)sp->mz.type;
    r.int_type = (uint8_t)sp->in.type;
    r.flags = (uint8_t)((sp->mz.zlib ? IMZ_REC_ZLIB_MZ : 0) | (sp->in.zlib ? IMZ_REC_ZLIB_INT : 0) |
                        (sp->has_pos[2] ? IMZ_REC_HAS_Z : 0));
    h->recs[h->n_recs++] = r;
    update_stats(h, &r);
    if (sp->repr && !h->spectrum_repr)
        h->spectrum_repr = sp->repr;
    h->polarity_mask |= sp->polarity;
}
