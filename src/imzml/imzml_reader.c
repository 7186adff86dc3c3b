/* The imzML source operations: random access by spectrum index, sequential reading with rewind.
 * Each spectrum is decoded straight from the .ibd with positioned reads; a continuous file's
 * shared m/z array is decoded once and copied. */
#include <string.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/error.h"
#include "imzml/imzml_internal.h"

static int same_mz(const imzml_rec *a, const imzml_rec *b)
{
    return a->mz_off == b->mz_off && a->len == b->len && a->mz_type == b->mz_type &&
           a->mz_enc == b->mz_enc && (a->flags & IMZ_REC_ZLIB_MZ) == (b->flags & IMZ_REC_ZLIB_MZ);
}

static msiz_status read_mz(imzml_reader *r, const imzml_rec *rec, double *out)
{
    if (r->mz_cache && same_mz(rec, r->mz_cache_rec)) {
        memcpy(out, r->mz_cache, (size_t)rec->len * sizeof *out);
        return MSIZ_OK;
    }
    msiz_status status =
        msiz_imzml_read_array(r->ibd_fd, r->ibd_path, rec->mz_off, rec->len, rec->mz_enc,
                              (msiz_value_type)rec->mz_type, &r->scratch, out);
    if (status < 0 || r->hdr->mode != IMZ_MODE_CONTINUOUS || rec->len == 0)
        return status;
    /* Keep the shared axis; failing to allocate the cache only costs speed. */
    double *cache = msiz_realloc(r->mz_cache, (size_t)rec->len * sizeof *cache);
    if (cache) {
        memcpy(cache, out, (size_t)rec->len * sizeof *cache);
        r->mz_cache = cache;
        r->mz_cache_rec = rec;
    }
    return MSIZ_OK;
}

/* Position fields from the compact record (no .ibd access). */
static void fill_position(const imzml_reader *r, uint64_t index, msiz_spectrum *sp)
{
    const imzml_rec *rec = &r->hdr->recs[index];
    sp->index = index;
    sp->raw_x = rec->x;
    sp->raw_y = rec->y;
    sp->raw_z = rec->z;
    /* below 1 (0-based files, edge-cases.md #42) maps to -1, never wrapping at INT32_MIN; z
     * minus the file's minimum fits: resolve_grid refused spans beyond INT32_MAX */
    sp->x = rec->x >= 1 ? rec->x - 1 : -1;
    sp->y = rec->y >= 1 ? rec->y - 1 : -1;
    sp->z = (int32_t)((int64_t)rec->z - r->hdr->min_z);
    sp->region = 0;
    sp->n = rec->len;
}

/* Spectrum `index` into sp: position, m/z and, when `intensities`, the intensities. */
static msiz_status fill(imzml_reader *r, uint64_t index, msiz_spectrum *sp, int intensities)
{
    msiz_status status = MSIZ_OK;
    const imzml_rec *rec = &r->hdr->recs[index];
    MSIZ_TRY(msiz_spectrum_reserve(sp, rec->len, r->max_peaks));
    MSIZ_TRY(read_mz(r, rec, sp->mz));
    if (intensities)
        MSIZ_TRY(msiz_imzml_read_array(r->ibd_fd, r->ibd_path, rec->int_off, rec->len, rec->int_enc,
                                       (msiz_value_type)rec->int_type, &r->scratch, sp->intensity));
    fill_position(r, index, sp);
cleanup:
    if (status < 0)
        msiz_fail_context(status, "%s: spectrum %llu", r->path, (unsigned long long)index);
    return status;
}

msiz_status msiz_imzml_reader_fill(imzml_reader *r, uint64_t index, msiz_spectrum *sp)
{
    return fill(r, index, sp, 1);
}

static msiz_status imzml_read_mz(msiz_source *src, uint64_t index, msiz_spectrum *sp)
{
    return fill(src->impl, index, sp, 0);
}

static msiz_status imzml_next(msiz_source *src, msiz_spectrum *sp)
{
    imzml_reader *r = src->impl;
    if (r->next >= r->hdr->n_recs)
        return MSIZ_END;
    msiz_status status = msiz_imzml_reader_fill(r, r->next, sp);
    if (status >= 0)
        r->next++;
    return status;
}

static msiz_status imzml_read(msiz_source *src, uint64_t index, msiz_spectrum *sp)
{
    return msiz_imzml_reader_fill(src->impl, index, sp);
}

static msiz_status imzml_locate(msiz_source *src, uint64_t index, msiz_spectrum *sp)
{
    fill_position(src->impl, index, sp);
    return MSIZ_OK;
}

static msiz_status imzml_rewind(msiz_source *src)
{
    imzml_reader *r = src->impl;
    r->next = 0;
    return MSIZ_OK;
}

void msiz_imzml_reader_free(imzml_reader *r)
{
    if (!r)
        return;
    if (r->ibd_fd >= 0)
        close(r->ibd_fd);
    msiz_imzml_header_free(r->hdr);
    msiz_imzml_scratch_free(&r->scratch);
    msiz_free(r->mz_cache);
    msiz_free(r->metadata);
    msiz_free(r->ibd_path);
    msiz_free(r->path);
    msiz_free(r);
}

static void imzml_close(msiz_source *src)
{
    msiz_imzml_reader_free(src->impl);
    src->impl = NULL;
}

const msiz_source_ops msiz_imzml_source_ops = {imzml_next,  imzml_read,   imzml_rewind,
                                               imzml_close, imzml_locate, imzml_read_mz};
