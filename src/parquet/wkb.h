/* ISO WKB (little-endian) encoding of an axis-aligned box as a one-ring Polygon. */
#ifndef MSIZ_PARQUET_WKB_H
#define MSIZ_PARQUET_WKB_H

#include <stdint.h>

/* 1 byte order + u32 type + u32 rings + u32 points + 5 points x 2 doubles */
#define MSIZ_WKB_BOX_BYTES 93

/* Writes the Polygon of shapely.box(xmin, ymin, xmax, ymax) (ccw=True): ring (xmax,ymin)
 * (xmax,ymax) (xmin,ymax) (xmin,ymin) (xmax,ymin), byte order 1, type 3. */
void msiz_wkb_box(double xmin, double ymin, double xmax, double ymax,
                  uint8_t out[MSIZ_WKB_BOX_BYTES]);

#endif
