/* Decoder scratch shared by the TSF and TDF block decoders: one zstd context, a capped
 * decompression buffer, byte unshuffling. */
#include <string.h>
#include <zstd.h>

#include "bruker/bruker_internal.h"
#include "common/alloc.h"
#include "common/error.h"

msiz_status msiz_bruker_scratch_init(msiz_bruker_scratch *s, size_t max_bytes)
{
    memset(s, 0, sizeof *s);
    s->max_bytes = max_bytes ? max_bytes : ((size_t)1 << 31);
    return MSIZ_OK;
}

void msiz_bruker_scratch_destroy(msiz_bruker_scratch *s)
{
    if (!s)
        return;
    if (s->dctx)
        ZSTD_freeDCtx(s->dctx);
    msiz_free(s->buf);
    msiz_free(s->words);
    msiz_free(s->keys);
    memset(s, 0, sizeof *s);
}

static msiz_status reserve_bytes(msiz_bruker_scratch *s, size_t n)
{
    if (n > s->max_bytes)
        return msiz_fail(MSIZ_E_LIMIT, "decoded block of %zu bytes exceeds the cap of %zu bytes", n,
                         s->max_bytes);
    msiz_status status = msiz_grow((void **)&s->buf, &s->cap, n ? n : 1, 1, s->max_bytes);
    return status < 0 ? msiz_fail_context(status, "decoded block bytes") : MSIZ_OK;
}

msiz_status msiz_bruker_scratch_words(msiz_bruker_scratch *s, size_t n)
{
    size_t cap_words = s->max_bytes / 4;
    if (n > cap_words)
        return msiz_fail(MSIZ_E_LIMIT, "block of %zu words exceeds the cap of %zu words", n,
                         cap_words);
    msiz_status status = msiz_grow((void **)&s->words, &s->words_cap, n ? n : 1, 4, cap_words);
    return status < 0 ? msiz_fail_context(status, "block words") : MSIZ_OK;
}

msiz_status msiz_bruker_zstd_exact(msiz_bruker_scratch *s, const uint8_t *src, size_t n,
                                   size_t expected, const uint8_t **out)
{
    msiz_status status = reserve_bytes(s, expected);
    if (status < 0)
        return status;
    if (!s->dctx && !(s->dctx = ZSTD_createDCtx()))
        return msiz_fail(MSIZ_E_NOMEM, "out of memory for a zstd context");
    unsigned long long declared = ZSTD_getFrameContentSize(src, n);
    if (declared == ZSTD_CONTENTSIZE_ERROR)
        return msiz_fail(MSIZ_E_CODEC, "not a zstd frame (%zu bytes)", n);
    if (declared != ZSTD_CONTENTSIZE_UNKNOWN && declared != expected)
        return msiz_fail(MSIZ_E_FORMAT, "zstd frame holds %llu bytes, %zu expected", declared,
                         expected);
    size_t got = ZSTD_decompressDCtx(s->dctx, s->buf, expected, src, n);
    if (ZSTD_isError(got))
        return msiz_fail(MSIZ_E_CODEC, "zstd error on %zu compressed bytes (%zu expected): %s", n,
                         expected, ZSTD_getErrorName(got));
    if (got != expected)
        return msiz_fail(MSIZ_E_FORMAT, "zstd frame decoded to %zu bytes, %zu expected", got,
                         expected);
    *out = s->buf;
    return MSIZ_OK;
}

void msiz_bruker_unshuffle_u32(const uint8_t *in, size_t n_words, uint32_t *out)
{
    const uint8_t *p0 = in, *p1 = in + n_words, *p2 = in + 2 * n_words, *p3 = in + 3 * n_words;
    for (size_t i = 0; i < n_words; i++)
        out[i] =
            (uint32_t)p0[i] | (uint32_t)p1[i] << 8 | (uint32_t)p2[i] << 16 | (uint32_t)p3[i] << 24;
}
