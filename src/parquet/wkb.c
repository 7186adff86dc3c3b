#include "parquet/wkb.h"

#include "common/endian.h"

enum { WKB_LITTLE_ENDIAN = 1, WKB_POLYGON = 3 };

static uint8_t *put_u32le(uint8_t *p, uint32_t v)
{
    msiz_store_le32(p, v);
    return p + 4;
}

static uint8_t *put_f64le(uint8_t *p, double v)
{
    msiz_store_le_f64(p, v);
    return p + 8;
}

void msiz_wkb_box(double xmin, double ymin, double xmax, double ymax,
                  uint8_t out[MSIZ_WKB_BOX_BYTES])
{
    const double ring[5][2] = {
        {xmax, ymin}, {xmax, ymax}, {xmin, ymax}, {xmin, ymin}, {xmax, ymin}};
    uint8_t *p = out;
    *p++ = WKB_LITTLE_ENDIAN;
    p = put_u32le(p, WKB_POLYGON);
    p = put_u32le(p, 1); /* rings */
    p = put_u32le(p, 5); /* points */
    for (int i = 0; i < 5; i++) {
        p = put_f64le(p, ring[i][0]);
        p = put_f64le(p, ring[i][1]);
    }
}
