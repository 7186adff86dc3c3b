/* The string of cell i in the Zarr test fixtures: empty, non-ASCII or plain, so that writer and
 * readers meet all three. tests/programs/zarr_write_fixture.c writes them, tests/unit/
 * test_zarr_read.c writes and reads them back, tests/python/test_zarr_readback.py recomputes
 * them. */
#ifndef MSIZ_TEST_FIXTURE_STRINGS_H
#define MSIZ_TEST_FIXTURE_STRINGS_H

#include <stdint.h>
#include <stdio.h>

static inline void fixture_string_at(uint64_t i, char *out, size_t size)
{
    if (i % 7 == 0)
        out[0] = '\0';
    else if (i % 5 == 0)
        snprintf(out, size, "\xc3\xa9_%llu", (unsigned long long)i);
    else
        snprintf(out, size, "name_%llu", (unsigned long long)i);
}

#endif
