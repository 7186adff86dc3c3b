/* Fuzz target: TSF and TDF frame blocks (and a .mis text) through the in-memory decoders.
 * Input: byte 0 selects the decoder, bytes 1-4 (u32 LE) the peak count (capped), bytes 5-8 the
 * scan count (TDF); the rest is the block exactly as stored in the _bin file. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bruker/bruker_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_PEAKS (1u << 16)
#define MAX_SCANS (1u << 12)

static void run_tsf(const uint8_t *blk, size_t len, size_t peaks, int profile)
{
    msiz_bruker_scratch s;
    if (msiz_bruker_scratch_init(&s, 16u << 20) < 0)
        return;
    if (profile) {
        uint32_t *counts = malloc((peaks ? peaks : 1) * sizeof *counts);
        if (counts)
            (void)msiz_bruker_tsf_profile(&s, blk, len, peaks, counts);
        free(counts);
    } else {
        double *tof = malloc((peaks ? peaks : 1) * sizeof *tof);
        double *val = malloc((peaks ? peaks : 1) * sizeof *val);
        if (tof && val)
            (void)msiz_bruker_tsf_line(&s, blk, len, peaks, tof, val);
        free(tof);
        free(val);
    }
    msiz_bruker_scratch_destroy(&s);
}

static void run_tdf(const uint8_t *blk, size_t len, size_t peaks, size_t scans)
{
    msiz_bruker_scratch s;
    if (msiz_bruker_scratch_init(&s, 16u << 20) < 0)
        return;
    size_t n = peaks ? peaks : 1;
    uint32_t *tt = malloc(n * 4), *ti = malloc(n * 4);
    double *tof = malloc(n * 8), *val = malloc(n * 8);
    size_t got;
    if (tt && ti && tof && val &&
        msiz_bruker_tdf_frame(&s, blk, len, scans, peaks, 1.0, tt, ti, tof, val, &got) == MSIZ_OK) {
        for (size_t i = 1; i < got; i++)
            if (!(tof[i] > tof[i - 1]))
                abort(); /* merged output must be strictly ascending */
    }
    free(tt);
    free(ti);
    free(tof);
    free(val);
    msiz_bruker_scratch_destroy(&s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 9)
        return 0;
    size_t peaks = msiz_load_le32(data + 1) % (MAX_PEAKS + 1);
    size_t scans = msiz_load_le32(data + 5) % (MAX_SCANS + 1);
    const uint8_t *blk = data + 9;
    size_t len = size - 9;
    switch (data[0] % 4) {
    case 0: run_tsf(blk, len, peaks, 0); break;
    case 1: run_tsf(blk, len, peaks, 1); break;
    case 2: run_tdf(blk, len, peaks, scans); break;
    default: {
        msiz_bruker_mis mis;
        memset(&mis, 0, sizeof mis);
        (void)msiz_bruker_mis_parse(&mis, (const char *)blk, len, "fuzz.mis");
        msiz_bruker_mis_destroy(&mis);
    }
    }
    return 0;
}
