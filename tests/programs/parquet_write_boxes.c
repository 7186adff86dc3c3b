/* Writes a GeoParquet file of pixel squares for the pytest read-back tests.
 * Usage: parquet_write_boxes OUT N_ROWS none|snappy|zstd|gzip PAGE_BYTES
 * Row r is grid pixel x = r % 7, y = r / 7 with pixel size 2.5: the box
 * [x*2.5 - 1.25, x*2.5 + 1.25] x [y*2.5 - 1.25, y*2.5 + 1.25], id = decimal y*7 + x.
 * Exit 0 ok, 1 write failed (message on stderr), 2 usage. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parquet/geoparquet.h"

#define GRID_W 7
#define PIXEL  2.5

static msiz_status grid_row(void *ctx, uint64_t row, msiz_geoparquet_box *box, char *id,
                            size_t id_cap)
{
    (void)ctx;
    uint64_t x = row % GRID_W, y = row / GRID_W;
    box->xmin = (double)x * PIXEL - PIXEL / 2;
    box->xmax = (double)x * PIXEL + PIXEL / 2;
    box->ymin = (double)y * PIXEL - PIXEL / 2;
    box->ymax = (double)y * PIXEL + PIXEL / 2;
    snprintf(id, id_cap, "%llu", (unsigned long long)(y * GRID_W + x));
    return MSIZ_OK;
}

static int parse_u64(const char *text, unsigned long long *out)
{
    char *end = NULL;
    errno = 0;
    *out = strtoull(text, &end, 10);
    return errno == 0 && end != text && *end == '\0' && text[0] != '-';
}

int main(int argc, char **argv)
{
    msiz_geoparquet_opts opts;
    unsigned long long n_rows = 0, page_bytes = 0;
    msiz_geoparquet_opts_init(&opts);
    if (argc != 5 || !parse_u64(argv[2], &n_rows) ||
        msiz_parquet_codec_parse(argv[3], &opts.codec) < 0 || !parse_u64(argv[4], &page_bytes)) {
        fprintf(stderr, "usage: %s OUT N_ROWS none|snappy|zstd|gzip PAGE_BYTES\n", argv[0]);
        return 2;
    }
    opts.page_bytes = (size_t)page_bytes;
    msiz_status status = msiz_geoparquet_write_boxes(argv[1], n_rows, grid_row, NULL, &opts);
    if (status != MSIZ_OK) {
        fprintf(stderr, "%s: %s\n", msiz_strerror(status), msiz_last_error());
        return 1;
    }
    return 0;
}
