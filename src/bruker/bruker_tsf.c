/* TSF frame blocks (analysis.tsf_bin), decoded from memory:
 *   u32 block_size, u32 line_len, zstd line part (NumPeaks f64 TOF indices, then NumPeaks f32
 *   intensities), zstd profile part (DigitizerNumSamples u32 counts, byte-shuffled).
 * bruker.md §4. */
#include <string.h>

#include "bruker/bruker_internal.h"
#include "common/error.h"

/* Checks the header; gives the line part's length and the block's declared size. */
static msiz_status tsf_header(const uint8_t *block, size_t len, size_t *line_len,
                              size_t *block_size)
{
    if (len < MSIZ_BRUKER_BLOCK_HEADER)
        return msiz_fail(MSIZ_E_FORMAT, "block of %zu bytes is shorter than its 8-byte header",
                         len);
    *block_size = msiz_load_le32(block);
    *line_len = msiz_load_le32(block + 4);
    if (*block_size < MSIZ_BRUKER_BLOCK_HEADER || *block_size > len)
        return msiz_fail(MSIZ_E_FORMAT, "block size %zu outside 8..%zu bytes", *block_size, len);
    if (*line_len > *block_size - MSIZ_BRUKER_BLOCK_HEADER)
        return msiz_fail(MSIZ_E_FORMAT, "line part of %zu bytes exceeds the block of %zu bytes",
                         *line_len, *block_size);
    return MSIZ_OK;
}

msiz_status msiz_bruker_tsf_line(msiz_bruker_scratch *s, const uint8_t *block, size_t len,
                                 size_t num_peaks, double *tof, double *intensity)
{
    size_t line_len, block_size;
    const uint8_t *raw;
    msiz_status status = tsf_header(block, len, &line_len, &block_size);
    if (status < 0)
        return status;
    if (line_len == 0 && num_peaks == 0)
        return MSIZ_OK; /* empty spectrum: never call zstd on an empty part */
    if (line_len == 0)
        return msiz_fail(MSIZ_E_FORMAT, "line part is empty but %zu peaks are expected", num_peaks);
    if (num_peaks > SIZE_MAX / 12)
        return msiz_fail(MSIZ_E_LIMIT, "%zu peaks is too many", num_peaks);
    status =
        msiz_bruker_zstd_exact(s, block + MSIZ_BRUKER_BLOCK_HEADER, line_len, 12 * num_peaks, &raw);
    if (status < 0)
        return msiz_fail_context(status, "line spectrum of %zu peaks (12 bytes each)", num_peaks);
    const uint8_t *f32 = raw + 8 * num_peaks;
    for (size_t i = 0; i < num_peaks; i++) {
        tof[i] = msiz_load_le_f64(raw + 8 * i);
        intensity[i] = (double)msiz_load_le_f32(f32 + 4 * i);
    }
    return MSIZ_OK;
}

msiz_status msiz_bruker_tsf_profile(msiz_bruker_scratch *s, const uint8_t *block, size_t len,
                                    size_t num_samples, uint32_t *counts)
{
    size_t line_len, block_size;
    const uint8_t *raw;
    msiz_status status = tsf_header(block, len, &line_len, &block_size);
    if (status < 0)
        return status;
    size_t off = MSIZ_BRUKER_BLOCK_HEADER + line_len;
    size_t n = block_size - off;
    if (n == 0)
        return msiz_fail(MSIZ_E_FORMAT, "block holds no profile part (%zu bytes, line part %zu)",
                         block_size, line_len);
    if (num_samples > SIZE_MAX / 4)
        return msiz_fail(MSIZ_E_LIMIT, "%zu profile samples is too many", num_samples);
    status = msiz_bruker_zstd_exact(s, block + off, n, 4 * num_samples, &raw);
    if (status < 0)
        return msiz_fail_context(status, "profile spectrum of %zu samples", num_samples);
    msiz_bruker_unshuffle_u32(raw, num_samples, counts);
    return MSIZ_OK;
}
