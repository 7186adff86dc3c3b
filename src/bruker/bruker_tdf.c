/* TDF frame blocks (analysis.tdf_bin, TimsCompressionType 2), decoded from memory:
 *   u32 block_size, u32 scan_count, zstd payload of N u32 words, byte-shuffled:
 *   w[0] = scan_count, w[1..S-1] = 2 × peaks of scans 0..S-2, then (delta_tof, intensity) pairs,
 *   TOF = running sum of deltas − 1 within a scan. bruker.md §5.
 * Stored intensities are raw detector counts; the vendor library reports each peak normalised
 * to a 100 ms accumulation, round(raw × 100 / AccumulationTime), and so do we. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bruker/bruker_internal.h"
#include "common/alloc.h"
#include "common/error.h"

msiz_status msiz_bruker_tdf_inflate2(msiz_bruker_scratch *s, const uint8_t *block, size_t len,
                                     size_t num_scans, size_t num_peaks, const uint32_t **words,
                                     size_t *n_words)
{
    const uint8_t *raw;
    msiz_status status;
    if (len < MSIZ_BRUKER_BLOCK_HEADER)
        return msiz_fail(MSIZ_E_FORMAT, "block of %zu bytes is shorter than its 8-byte header",
                         len);
    size_t block_size = msiz_load_le32(block);
    size_t scan_count = msiz_load_le32(block + 4);
    if (block_size <= MSIZ_BRUKER_BLOCK_HEADER || block_size > len)
        return msiz_fail(MSIZ_E_FORMAT, "block size %zu outside 9..%zu bytes", block_size, len);
    if (scan_count != num_scans)
        return msiz_fail(MSIZ_E_FORMAT, "block header says %zu scans, %zu expected", scan_count,
                         num_scans);
    if (num_scans == 0 || num_peaks > (SIZE_MAX / 8 - num_scans) / 2)
        return msiz_fail(MSIZ_E_LIMIT, "%zu scans / %zu peaks out of range", num_scans, num_peaks);
    size_t n = num_scans + 2 * num_peaks;
    status = msiz_bruker_zstd_exact(s, block + MSIZ_BRUKER_BLOCK_HEADER,
                                    block_size - MSIZ_BRUKER_BLOCK_HEADER, 4 * n, &raw);
    if (status < 0)
        return msiz_fail_context(status, "frame of %zu scans and %zu peaks", num_scans, num_peaks);
    if ((status = msiz_bruker_scratch_words(s, n)) < 0)
        return status;
    msiz_bruker_unshuffle_u32(raw, n, s->words);
    *words = s->words;
    *n_words = n;
    return MSIZ_OK;
}

msiz_status msiz_bruker_tdf_parse2(const uint32_t *w, size_t n_words, size_t num_scans,
                                   size_t num_peaks, msiz_bruker_tdf_peaks *out)
{
    if (num_scans == 0 || n_words != num_scans + 2 * num_peaks)
        return msiz_fail(MSIZ_E_FORMAT, "%zu words do not hold %zu scans and %zu peaks", n_words,
                         num_scans, num_peaks);
    if (w[0] != num_scans)
        return msiz_fail(MSIZ_E_FORMAT, "first word %u is not the scan count %zu", w[0], num_scans);
    const uint32_t *pairs = w + num_scans;
    size_t at = 0;
    for (size_t scan = 0; scan < num_scans; scan++) {
        size_t count;
        if (scan + 1 < num_scans) {
            if (w[scan + 1] % 2 != 0 || w[scan + 1] / 2 > num_peaks - at)
                return msiz_fail(MSIZ_E_FORMAT, "scan %zu claims %u peak words, %zu peaks left",
                                 scan, w[scan + 1], num_peaks - at);
            count = w[scan + 1] / 2;
        } else {
            count = num_peaks - at;
        }
        int64_t tof = -1;
        for (size_t k = 0; k < count; k++, at++) {
            tof += pairs[2 * at];
            if (tof < 0 || tof > (int64_t)UINT32_MAX)
                return msiz_fail(MSIZ_E_FORMAT, "scan %zu peak %zu: TOF index %lld out of range",
                                 scan, k, (long long)tof);
            if (out->scan)
                out->scan[at] = (uint32_t)scan;
            out->tof[at] = (uint32_t)tof;
            out->intensity[at] = pairs[2 * at + 1];
        }
    }
    out->n = at;
    return MSIZ_OK;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

double msiz_bruker_tdf_scale(double accumulation_ms)
{
    /* the library leaves a frame with AccumulationTime 0 unscaled (measured) */
    return accumulation_ms > 0 && isfinite(accumulation_ms) ? 100.0 / accumulation_ms : 1.0;
}

double msiz_bruker_tdf_intensity(uint32_t raw, double scale)
{
    /* factor first, then half-up rounding: bit-identical to the library on every peak of the
     * test data and of copies with 60 other AccumulationTime values, ties included */
    return floor((double)raw * scale + 0.5);
}

msiz_status msiz_bruker_tdf_merge(msiz_bruker_scratch *s, const msiz_bruker_tdf_peaks *peaks,
                                  double scale, double *tof, double *intensity, size_t *n_out)
{
    size_t n = peaks->n;
    *n_out = 0;
    if (n == 0)
        return MSIZ_OK;
    msiz_status status =
        msiz_grow((void **)&s->keys, &s->keys_cap, n, sizeof *s->keys, s->max_bytes / 8);
    if (status < 0)
        return msiz_fail_context(status, "merging the peaks of a frame");
    for (size_t i = 0; i < n; i++)
        s->keys[i] = (uint64_t)peaks->tof[i] << 32 | peaks->intensity[i];
    qsort(s->keys, n, sizeof *s->keys, cmp_u64);
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t t = (uint32_t)(s->keys[i] >> 32);
        double v = msiz_bruker_tdf_intensity((uint32_t)s->keys[i], scale);
        if (m > 0 && tof[m - 1] == (double)t) {
            intensity[m - 1] += v;
            continue;
        }
        tof[m] = (double)t;
        intensity[m] = v;
        m++;
    }
    *n_out = m;
    return MSIZ_OK;
}

msiz_status msiz_bruker_tdf_frame(msiz_bruker_scratch *s, const uint8_t *block, size_t len,
                                  size_t num_scans, size_t num_peaks, double scale,
                                  uint32_t *tmp_tof, uint32_t *tmp_int, double *tof,
                                  double *intensity, size_t *n_out)
{
    const uint32_t *words;
    size_t n_words;
    msiz_bruker_tdf_peaks peaks = {0, NULL, tmp_tof, tmp_int};
    *n_out = 0;
    msiz_status status =
        msiz_bruker_tdf_inflate2(s, block, len, num_scans, num_peaks, &words, &n_words);
    if (status < 0)
        return status;
    if ((status = msiz_bruker_tdf_parse2(words, n_words, num_scans, num_peaks, &peaks)) < 0)
        return status;
    return msiz_bruker_tdf_merge(s, &peaks, scale, tof, intensity, n_out);
}
