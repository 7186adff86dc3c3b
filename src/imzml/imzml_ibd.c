/* Decoding one array straight from the .ibd with a positioned read: little-endian values of the
 * declared type widened exactly to double; zlib arrays are inflated and their size checked. */
#include <string.h>
#include <zlib.h>

#include "common/alloc.h"
#include "common/error.h"
#include "imzml/imzml_internal.h"
#include "io/fs.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the imzML decoder assumes a little-endian host"
#endif

static msiz_status reserve(uint8_t **buf, size_t *cap, size_t need, const char *path)
{
    if (need <= *cap)
        return MSIZ_OK;
    uint8_t *grown = msiz_realloc(*buf, need);
    if (!grown)
        return msiz_fail(MSIZ_E_NOMEM, "%s: out of memory for a %zu-byte array", path, need);
    *buf = grown;
    *cap = need;
    return MSIZ_OK;
}

static void widen(const uint8_t *src, uint32_t n, msiz_value_type type, double *out)
{
    size_t size = msiz_imzml_value_size(type);
    for (uint32_t i = 0; i < n; i++, src += size) {
        switch (type) {
        case MSIZ_VALUE_F32: {
            float v;
            memcpy(&v, src, 4);
            out[i] = v;
            break;
        }
        case MSIZ_VALUE_F64: memcpy(&out[i], src, 8); break;
        case MSIZ_VALUE_I32: {
            int32_t v;
            memcpy(&v, src, 4);
            out[i] = v;
            break;
        }
        case MSIZ_VALUE_I64: {
            int64_t v;
            memcpy(&v, src, 8);
            out[i] = (double)v;
            break;
        }
        case MSIZ_VALUE_I8: out[i] = (int8_t)src[0]; break;
        case MSIZ_VALUE_I16: {
            int16_t v;
            memcpy(&v, src, 2);
            out[i] = v;
            break;
        }
        default: out[i] = 0; break;
        }
    }
}

static msiz_status inflate_array(const char *path, uint64_t offset, const uint8_t *in,
                                 uint32_t in_len, uint8_t *out, size_t out_len)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (inflateInit(&zs) != Z_OK)
        return msiz_fail(MSIZ_E_CODEC, "%s: zlib initialisation failed", path);
    zs.next_in = (Bytef *)(uintptr_t)in;
    zs.avail_in = in_len;
    zs.next_out = out;
    zs.avail_out = (uInt)out_len;
    int rc = inflate(&zs, Z_FINISH);
    size_t produced = out_len - zs.avail_out;
    inflateEnd(&zs);
    if (rc != Z_STREAM_END || produced != out_len)
        return msiz_fail(MSIZ_E_CODEC,
                         "%s: zlib array at byte %llu does not inflate to the declared %zu bytes "
                         "(%s)",
                         path, (unsigned long long)offset, out_len,
                         rc == Z_STREAM_END ? "size differs"
                         : zs.msg           ? zs.msg
                                            : "corrupt data");
    return MSIZ_OK;
}

msiz_status msiz_imzml_read_array(int fd, const char *ibd_path, uint64_t offset, uint32_t n,
                                  uint32_t enc, msiz_value_type type, imzml_scratch *s, double *out)
{
    msiz_status status = MSIZ_OK;
    size_t bytes = (size_t)n * msiz_imzml_value_size(type);
    if (n == 0)
        return MSIZ_OK;
    if (enc == 0 && type == MSIZ_VALUE_F64)
        return msiz_pread_full(fd, ibd_path, out, bytes, offset);
    MSIZ_TRY(reserve(&s->raw, &s->raw_cap, bytes, ibd_path));
    if (enc) {
        MSIZ_TRY(reserve(&s->packed, &s->packed_cap, enc, ibd_path));
        MSIZ_TRY(msiz_pread_full(fd, ibd_path, s->packed, enc, offset));
        MSIZ_TRY(inflate_array(ibd_path, offset, s->packed, enc, s->raw, bytes));
    } else {
        MSIZ_TRY(msiz_pread_full(fd, ibd_path, s->raw, bytes, offset));
    }
    widen(s->raw, n, type, out);
cleanup:
    return status;
}

void msiz_imzml_scratch_free(imzml_scratch *s)
{
    msiz_free(s->raw);
    msiz_free(s->packed);
    memset(s, 0, sizeof *s);
}
