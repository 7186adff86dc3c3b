/* Test helper: opens a Bruker .d through msiz_source and prints one line per spectrum:
 *   index x y raw_x raw_y region n max sum mz_first mz_last
 * then, with --peaks, one line "  mz intensity" per peak.
 * Options: --profile, --region N, --non-imaging, --peaks, --info (info and metadata only),
 * --raw-frames OUT (every frame as stored, see raw_frames()). */
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bruker/bruker_internal.h"
#include "common/endian.h"
#include "common/error.h"
#include "io/fs.h"
#include "msizarr/source.h"

/* ---- --raw-frames OUT: every frame of the .d as stored, through the internal decoders ----
 * For the vendor-library comparison (tests/python/test_bruker_frames.py), which needs the
 * peaks of every scan (not summed) and the 1/K0 of every scan. Binary, native byte order:
 *   per frame: i64 id, u32 n_scans (0 for TSF), u32 n_peaks, f64 intensity scale,
 *              n_scans x f64 1/K0, n_peaks x {u32 scan, u32 0, f64 tof, f64 intensity, f64 mz},
 *              RAW_GRID x {f64 index, f64 mz} (TOF indices 0..DigitizerNumSamples, evenly)
 * Intensities as the reader reports them (TDF: scaled per peak, not summed). */
#define RAW_GRID 101
static int decode_raw(msiz_bruker_scratch *s, const msiz_bruker_db *db, const msiz_bruker_frame *f,
                      const uint8_t *blk, size_t len, uint32_t *scan, double *tof, double *val)
{
    size_t np = (size_t)f->num_peaks;
    if (!db->is_tdf) {
        memset(scan, 0, np * sizeof *scan);
        return msiz_bruker_tsf_line(s, blk, len, np, tof, val) < 0;
    }
    const uint32_t *w;
    size_t nw;
    uint32_t *t = malloc(np * 4 + 4), *in = malloc(np * 4 + 4);
    msiz_bruker_tdf_peaks pk = {0, scan, t, in};
    double scale = msiz_bruker_tdf_scale(f->accumulation_time);
    int bad = !t || !in ||
              msiz_bruker_tdf_inflate2(s, blk, len, (size_t)f->num_scans, np, &w, &nw) < 0 ||
              msiz_bruker_tdf_parse2(w, nw, (size_t)f->num_scans, np, &pk) < 0;
    for (size_t k = 0; !bad && k < np; k++) {
        tof[k] = t[k];
        val[k] = msiz_bruker_tdf_intensity(in[k], scale);
    }
    free(t);
    free(in);
    return bad;
}

static int write_raw_frame(FILE *out, const msiz_bruker_db *db, const msiz_bruker_frame *f,
                           const uint32_t *scan, const double *tof, const double *val)
{
    int64_t id = f->id;
    uint32_t ns = db->is_tdf ? (uint32_t)f->num_scans : 0, np = (uint32_t)f->num_peaks, zero = 0;
    double scale = db->is_tdf ? msiz_bruker_tdf_scale(f->accumulation_time) : 1.0;
    const msiz_bruker_timscal *tc = msiz_bruker_find_timscal(db, f->timscal_id);
    msiz_bruker_mzconv conv;
    msiz_bruker_mzconv_init(&conv, msiz_bruker_find_mzcal(db, f->mzcal_id), f->t1, f->t2);
    fwrite(&id, 8, 1, out);
    fwrite(&ns, 4, 1, out);
    fwrite(&np, 4, 1, out);
    fwrite(&scale, 8, 1, out);
    for (uint32_t k = 0; k < ns; k++) {
        double v = tc ? msiz_bruker_scan_to_ook0(tc, (double)k) : NAN;
        fwrite(&v, 8, 1, out);
    }
    for (uint32_t k = 0; k < np; k++) {
        double mz = msiz_bruker_index_to_mz(&conv, tof[k]);
        fwrite(&scan[k], 4, 1, out);
        fwrite(&zero, 4, 1, out);
        fwrite(&tof[k], 8, 1, out);
        fwrite(&val[k], 8, 1, out);
        fwrite(&mz, 8, 1, out);
    }
    double n_samples = 4e5;
    msiz_bruker_meta_double(db, "DigitizerNumSamples", &n_samples);
    for (int k = 0; k < RAW_GRID; k++) {
        double pair[2] = {n_samples * k / (RAW_GRID - 1), 0};
        pair[1] = msiz_bruker_index_to_mz(&conv, pair[0]);
        fwrite(pair, 8, 2, out);
    }
    return ferror(out) != 0;
}

static int raw_frames(const char *path, const char *out_path)
{
    msiz_bruker_db db;
    msiz_bruker_scratch s;
    if (msiz_bruker_db_load(&db, path, NULL) < 0) {
        fprintf(stderr, "error: %s\n", msiz_last_error());
        return 1;
    }
    msiz_bruker_scratch_init(&s, 0);
    FILE *out = fopen(out_path, "wb");
    int fd = open(db.bin_path, O_RDONLY), rc = !out || fd < 0;
    for (size_t i = 0; !rc && i < db.n_frames; i++) {
        const msiz_bruker_frame *f = &db.frames[i];
        size_t np = (size_t)f->num_peaks, len = 0;
        uint8_t head[8], *blk = NULL;
        uint32_t *scan = malloc(np * 4 + 4);
        double *tof = malloc(np * 8 + 8), *val = malloc(np * 8 + 8);
        rc = !scan || !tof || !val;
        if (!rc && np > 0) {
            rc = msiz_pread_full(fd, db.bin_path, head, 8, f->tims_id) < 0 ||
                 !(blk = malloc(len = msiz_load_le32(head))) ||
                 msiz_pread_full(fd, db.bin_path, blk, len, f->tims_id) < 0 ||
                 decode_raw(&s, &db, f, blk, len, scan, tof, val);
        }
        if (!rc)
            rc = write_raw_frame(out, &db, f, scan, tof, val);
        else
            fprintf(stderr, "error: frame %lld: %s\n", (long long)f->id, msiz_last_error());
        free(blk), free(scan), free(tof), free(val);
    }
    if (fd >= 0)
        close(fd);
    if (out && fclose(out) != 0)
        rc = 1;
    msiz_bruker_scratch_destroy(&s);
    msiz_bruker_db_destroy(&db);
    return rc;
}

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
    const char *raw_out = NULL;
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
        else if (strcmp(argv[i], "--raw-frames") == 0 && i + 1 < argc)
            raw_out = argv[++i];
        else if (strcmp(argv[i], "--region") == 0 && i + 1 < argc)
            opts.region = (int)strtol(argv[++i], NULL, 10);
        else
            path = argv[i];
    }
    if (!path) {
        fprintf(stderr, "usage: bruker_frames [--profile] [--region N] [--non-imaging] "
                        "[--peaks] [--info] [--raw-frames OUT] DIR.d\n");
        return 2;
    }
    if (raw_out)
        return raw_frames(path, raw_out);
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
