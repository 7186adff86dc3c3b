/* Opens an imzML (or any) source, reads the first, middle and last spectra by index and prints
 * "spectra=N peaks=P seconds=S maxrss_kb=K" for the memory-budget test and the benchmark. */
#include <stdio.h>
#include <time.h>

#include "common/rss.h"
#include "msizarr/source.h"

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: imzml_parse_stats FILE\n");
        return 2;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    msiz_source *src;
    if (msiz_source_open(argv[1], NULL, &src) < 0) {
        fprintf(stderr, "error: %s\n", msiz_last_error());
        return 1;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    const msiz_source_info *info = msiz_source_get_info(src);
    msiz_spectrum sp;
    msiz_spectrum_init(&sp);
    uint64_t n = info->n_spectra, picks[3] = {0, n / 2, n ? n - 1 : 0};
    for (int i = 0; i < 3 && n; i++)
        if (msiz_source_read(src, picks[i], &sp) < 0) {
            fprintf(stderr, "error: %s\n", msiz_last_error());
            return 1;
        }
    /* VmHWM: getrusage would report the pytest parent's RSS carried across exec */
    printf("spectra=%llu peaks=%llu seconds=%.3f maxrss_kb=%llu last=%d,%d\n",
           (unsigned long long)n, (unsigned long long)info->total_peaks,
           (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
           (unsigned long long)(msiz_rss_peak() / 1024), sp.raw_x, sp.raw_y);
    msiz_spectrum_destroy(&sp);
    msiz_source_close(src);
    return 0;
}
