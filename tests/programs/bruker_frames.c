/* Test helper: opens a Bruker .d through msiz_source and prints one line per spectrum:
 *   index x y raw_x raw_y region n max sum mz_first mz_last
 * then, with --peaks, one line "  mz intensity" per peak.
 * Options: --profile, --region N, --non-imaging, --peaks, --info (info and metadata only). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msizarr/source.h"

static void log_cb(void *user, msiz_log_level level, const char *message)
{
    (void)user;
    fprintf(stderr, "%s: %s\n", level == MSIZ_LOG_WARNING ? "warning" : "log", message);
}

int main(int argc, char **argv)
{
    msiz_source_opts opts;
    msiz_source_opts_init(&opts);
    const char *path = NULL;
    int info_only = 0, peaks = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--profile") == 0)
            opts.bruker_profile = 1;
        else if (strcmp(argv[i], "--non-imaging") == 0)
            opts.bruker_allow_non_imaging = 1;
        else if (strcmp(argv[i], "--peaks") == 0)
            peaks = 1;
        else if (strcmp(argv[i], "--info") == 0)
            info_only = 1;
        else if (strcmp(argv[i], "--region") == 0 && i + 1 < argc)
            opts.region = (int)strtol(argv[++i], NULL, 10);
        else
            path = argv[i];
    }
    if (!path) {
        fprintf(stderr, "usage: bruker_frames [--profile] [--region N] [--non-imaging] "
                        "[--peaks] [--info] DIR.d\n");
        return 2;
    }
    msiz_set_log_callback(log_cb, NULL, MSIZ_LOG_WARNING);
    msiz_source *src;
    if (msiz_source_open(path, &opts, &src) < 0) {
        fprintf(stderr, "error: %s\n", msiz_last_error());
        return 1;
    }
    const msiz_source_info *in = msiz_source_get_info(src);
    printf("# format %d spectra %llu grid %d %d %d pixel %d %.6g %.6g type %d polarity %d "
           "mz %.6f %.6f total_peaks %llu\n",
           (int)in->format, (unsigned long long)in->n_spectra, in->n_x, in->n_y, in->n_z,
           in->has_pixel_size, in->pixel_size_x_um, in->pixel_size_y_um, (int)in->spectrum_type,
           (int)in->polarity, in->mz_min, in->mz_max, (unsigned long long)in->total_peaks);
    if (info_only) {
        printf("%s\n", in->metadata_json);
        msiz_source_close(src);
        return 0;
    }
    msiz_spectrum sp;
    msiz_spectrum_init(&sp);
    msiz_status st;
    while ((st = msiz_source_next(src, &sp)) == MSIZ_OK) {
        double mx = 0, sum = 0;
        for (size_t i = 0; i < sp.n; i++) {
            mx = sp.intensity[i] > mx ? sp.intensity[i] : mx;
            sum += sp.intensity[i];
        }
        printf("%llu %d %d %d %d %d %zu %.17g %.17g %.17g %.17g\n", (unsigned long long)sp.index,
               sp.x, sp.y, sp.raw_x, sp.raw_y, sp.region, sp.n, mx, sum, sp.n ? sp.mz[0] : 0.0,
               sp.n ? sp.mz[sp.n - 1] : 0.0);
        for (size_t i = 0; peaks && i < sp.n; i++)
            printf("  %.17g %.17g\n", sp.mz[i], sp.intensity[i]);
    }
    msiz_spectrum_destroy(&sp);
    msiz_source_close(src);
    if (st < 0) {
        fprintf(stderr, "error: %s\n", msiz_last_error());
        return 1;
    }
    return 0;
}
