/* Checks against the .ibd before any spectrum is read: the UUID (in order, then in Windows-GUID
 * byte order), every array inside the file, unreferenced trailing bytes; plus the repair of
 * offsets written as signed 32-bit integers (edge-cases.md #17, #27, #28, #30, #31). */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "common/error.h"
#include "common/log.h"
#include "imzml/imzml_internal.h"

static int hex_value(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int msiz_imzml_uuid_parse(const char *text, uint8_t out[16])
{
    int digits = 0, nonzero = 0;
    uint8_t bytes[16] = {0};
    for (const char *s = text ? text : ""; *s; s++) {
        if (strchr("{}- \t\r\n", *s))
            continue;
        int v = hex_value((unsigned char)*s);
        if (v < 0)
            return -1;
        if (digits < 32)
            bytes[digits / 2] = (uint8_t)(bytes[digits / 2] | (digits % 2 ? v : v << 4));
        nonzero |= v;
        digits++;
    }
    if (!nonzero)
        return 1; /* blanked: all zeros, whatever the digit count */
    if (digits != 32)
        return -1;
    memcpy(out, bytes, 16);
    return 0;
}

int msiz_imzml_uuid_compare(const uint8_t header[16], const uint8_t ibd[16])
{
    if (memcmp(header, ibd, 16) == 0)
        return 1;
    static const int order[16] = {3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15};
    for (int i = 0; i < 16; i++)
        if (header[order[i]] != ibd[i])
            return 0;
    return 2;
}

int msiz_imzml_offset_repair(imzml_offset_fix *st, int64_t raw, uint64_t *out)
{
    if (raw < INT32_MIN)
        return -1;
    if (raw < 0 && st->prev >= 0)
        st->delta += (uint64_t)1 << 32;
    /* Only a value that fits 32 bits can be a wrapped one; a larger value is a real 64-bit
     * offset and is taken as written. */
    uint64_t fixed = raw <= INT32_MAX ? (uint64_t)raw + st->delta : (uint64_t)raw;
    if (fixed != (uint64_t)raw)
        st->repaired++;
    st->prev = raw;
    *out = fixed;
    return 0;
}

static void hex16(const uint8_t b[16], char out[33])
{
    for (int i = 0; i < 16; i++)
        snprintf(out + 2 * i, 3, "%02x", b[i]);
}

static msiz_status check_uuid(imzml_header *h, const char *ibd_path, const uint8_t ibd[16],
                              const msiz_source_opts *opts)
{
    uint8_t want[16];
    char got_hex[33];
    hex16(ibd, got_hex);
    int parsed = h->uuid ? msiz_imzml_uuid_parse(h->uuid, want) : -2;
    if (parsed != 0) {
        const char *why = parsed == -2  ? "the header has no UUID (IMS:1000080)"
                          : parsed == 1 ? "the header's UUID is blanked"
                                        : "the header's UUID is malformed";
        msiz_warn("%s: %s (\"%.60s\"); the .ibd UUID check is skipped", h->path, why,
                  h->uuid ? h->uuid : "");
        msiz_imzml_add_check(h, "uuid", "skipped", "%s", why);
        return MSIZ_OK;
    }
    int match = msiz_imzml_uuid_compare(want, ibd);
    if (match == 1) {
        msiz_imzml_add_check(h, "uuid", "passed",
                             "header UUID equals the first 16 bytes of the .ibd");
        return MSIZ_OK;
    }
    if (match == 2) {
        msiz_imzml_add_check(h, "uuid", "passed",
                             "header UUID equals the .ibd's in Windows-GUID order");
        return MSIZ_OK;
    }
    if (opts->ignore_uuid_mismatch) {
        msiz_warn("%s: UUID %s differs from the first 16 bytes of %s (%s); ignored on request",
                  h->path, h->uuid, ibd_path, got_hex);
        msiz_imzml_add_check(h, "uuid", "warning", "mismatch ignored (.ibd has %s)", got_hex);
        return MSIZ_OK;
    }
    return msiz_fail(MSIZ_E_FORMAT,
                     "%s: UUID %s differs from the first 16 bytes of %s (%s), also in Windows-GUID "
                     "byte order: the files do not belong together",
                     h->path, h->uuid, ibd_path, got_hex);
}

/* Byte count of one stored array. */
static uint64_t stored_bytes(uint32_t len, uint32_t enc, int zlib, int type)
{
    return zlib ? enc : (uint64_t)len * msiz_imzml_value_size((msiz_value_type)type);
}

static msiz_status check_end(const imzml_header *h, size_t k, const char *what, uint64_t off,
                             uint64_t bytes, const char *ibd_path, uint64_t ibd_size,
                             uint64_t *max_end)
{
    if (off > ibd_size || bytes > ibd_size - off)
        return msiz_fail(MSIZ_E_FORMAT,
                         "%s: spectrum %zu: %s array (offset %llu, %llu bytes) ends at byte %llu "
                         "but %s is %llu bytes",
                         h->path, k, what, (unsigned long long)off, (unsigned long long)bytes,
                         (unsigned long long)(off + bytes), ibd_path, (unsigned long long)ibd_size);
    if (bytes && off + bytes > *max_end)
        *max_end = off + bytes;
    return MSIZ_OK;
}

static msiz_status check_bounds(imzml_header *h, const char *ibd_path, uint64_t ibd_size)
{
    msiz_status status = MSIZ_OK;
    uint64_t max_end = 16;
    for (size_t k = 0; k < h->n_recs; k++) {
        const imzml_rec *r = &h->recs[k];
        MSIZ_TRY(check_end(h, k, "m/z", r->mz_off,
                           stored_bytes(r->len, r->mz_enc, r->flags & IMZ_REC_ZLIB_MZ, r->mz_type),
                           ibd_path, ibd_size, &max_end));
        MSIZ_TRY(
            check_end(h, k, "intensity", r->int_off,
                      stored_bytes(r->len, r->int_enc, r->flags & IMZ_REC_ZLIB_INT, r->int_type),
                      ibd_path, ibd_size, &max_end));
    }
    msiz_imzml_add_check(h, "arrays inside .ibd", "passed",
                         "%zu spectra; last declared byte %llu of %llu", h->n_recs,
                         (unsigned long long)max_end, (unsigned long long)ibd_size);
    if (max_end < ibd_size)
        msiz_info("%s: %llu bytes after the last declared array are not referenced", ibd_path,
                  (unsigned long long)(ibd_size - max_end));
cleanup:
    if (status < 0)
        msiz_imzml_add_check(h, "arrays inside .ibd", "failed", "%s", msiz_last_error());
    return status;
}

msiz_status msiz_imzml_check_ibd(imzml_header *h, const char *ibd_path, const uint8_t ibd_uuid[16],
                                 uint64_t ibd_size, const msiz_source_opts *opts)
{
    msiz_status status = check_uuid(h, ibd_path, ibd_uuid, opts);
    if (status < 0)
        return status;
    return check_bounds(h, ibd_path, ibd_size);
}
