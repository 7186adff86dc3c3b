/* vlen-utf8 chunk payloads: u32le item count, then per item u32le byte length + UTF-8 bytes. */
#include <string.h>

#include "common/alloc.h"
#include "common/endian.h"
#include "zarr/zarr_internal.h"

static msiz_status reserve(zarr_buf *b, size_t extra, const char *array_path)
{
    if (extra > ZARR_MAX_CHUNK_BYTES - b->len)
        return msiz_fail(MSIZ_E_LIMIT, "%s: string chunk exceeds %zu bytes", array_path,
                         (size_t)ZARR_MAX_CHUNK_BYTES);
    void *data = b->data;
    msiz_status status = msiz_grow(&data, &b->cap, b->len + extra, 1, ZARR_MAX_CHUNK_BYTES);
    if (status < 0)
        return msiz_fail_context(status, "%s: string chunk bytes", array_path);
    b->data = data;
    return MSIZ_OK;
}

msiz_status msiz_zarr_vlen_begin(zarr_buf *b)
{
    b->len = 0;
    msiz_status status = reserve(b, 4, "vlen");
    if (status == MSIZ_OK)
        b->len = 4;
    return status;
}

msiz_status msiz_zarr_vlen_push(zarr_buf *b, const char *s, const char *array_path)
{
    if (!s)
        return msiz_fail(MSIZ_E_ARG, "%s: NULL string element", array_path);
    size_t n = strlen(s);
    if (n > UINT32_MAX - 4)
        return msiz_fail(MSIZ_E_LIMIT, "%s: string of %zu bytes is too long", array_path, n);
    msiz_status status = reserve(b, 4 + n, array_path);
    if (status != MSIZ_OK)
        return status;
    msiz_store_le32(b->data + b->len, (uint32_t)n);
    memcpy(b->data + b->len + 4, s, n);
    b->len += 4 + n;
    return MSIZ_OK;
}

void msiz_zarr_vlen_end(zarr_buf *b, uint32_t count)
{
    msiz_store_le32(b->data, count);
}
