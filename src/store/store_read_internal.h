/* Store reader internals shared by store_read.c and store_read_x.c. */
#ifndef MSIZ_STORE_STORE_READ_INTERNAL_H
#define MSIZ_STORE_STORE_READ_INTERNAL_H

#include "store/store_read.h"
#include "zarr/zarr_read.h"

struct msiz_store_reader {
    msiz_zarr_reader *z;
    json_t *root_attrs; /* {} for a store being written */
};

/* "a/b/c" (b, c may be NULL) into out. */
msiz_status msiz_store_reader_path(const char *a, const char *b, const char *c, char *out,
                                   size_t size);

#endif
