/* Fuzz target: the Bruker metadata path. The input bytes become the SQLite database of a .d
 * folder (written to a private temporary folder, once as analysis.tsf and once as analysis.tdf,
 * with no _bin beside it), which is opened through msiz_source_open exactly as the reader opens a
 * real run (hardened SQLite, table loading, range checks, run classification, grid, pixel size,
 * metadata JSON); then every spectrum is located and every calibration row evaluated, so UBSan
 * sees the float and integer conversions of values taken from the file.
 * Corpus: fuzz/corpus/fuzz_bruker_meta/ (small copies of the real databases of tests/data, made
 * by fuzz/make_bruker_meta_corpus.py). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bruker/bruker_internal.h"
#include "io/fs.h"
#include "msizarr/source.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char g_dir[512]; /* <tmp>/msiz_fuzz_XXXXXX */

static void remove_dir(void)
{
    if (g_dir[0])
        (void)msiz_remove_tree(g_dir);
}

static int make_dirs(void)
{
    const char *tmp = getenv("TMPDIR");
    char d[600];
    snprintf(g_dir, sizeof g_dir, "%s/msiz_fuzz_XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(g_dir)) {
        g_dir[0] = '\0';
        return -1;
    }
    atexit(remove_dir);
    snprintf(d, sizeof d, "%s/tsf.d", g_dir);
    if (msiz_mkdir_p(d) < 0)
        return -1;
    snprintf(d, sizeof d, "%s/tdf.d", g_dir);
    return msiz_mkdir_p(d) < 0 ? -1 : 0;
}

/* Calibration rows evaluated over the index range and the first scans. */
static void evaluate_calibrations(const msiz_bruker_db *db)
{
    volatile double sink = 0;
    for (size_t i = 0; i < db->n_mzcal; i++) {
        msiz_bruker_mzconv conv;
        msiz_bruker_mzconv_init(&conv, &db->mzcal[i], db->mzcal[i].t1 + 0.5, db->mzcal[i].t2);
        for (double index = 0; index <= 4e5; index += 1e5)
            sink += msiz_bruker_mz_to_index(&conv, msiz_bruker_index_to_mz(&conv, index));
    }
    for (size_t i = 0; i < db->n_timscal; i++)
        for (int scan = 0; scan < 4; scan++)
            sink += msiz_bruker_scan_to_ook0(&db->timscal[i], scan);
    for (size_t i = 0; i < db->n_frames; i++)
        sink += msiz_bruker_tdf_scale(db->frames[i].accumulation_time);
    (void)sink;
}

static void run(const char *d_path)
{
    msiz_source_opts opts;
    msiz_source_opts_init(&opts);
    opts.bruker_allow_non_imaging = 1; /* also LC and spot runs */
    msiz_source *src = NULL;
    if (msiz_source_open(d_path, &opts, &src) == MSIZ_OK) {
        const msiz_source_info *info = msiz_source_get_info(src);
        msiz_spectrum sp;
        msiz_spectrum_init(&sp);
        for (uint64_t i = 0; i < info->n_spectra; i++) {
            if (msiz_source_locate(src, i, &sp) != MSIZ_OK)
                abort(); /* locating needs no data: it cannot fail after a good open */
            if (sp.x < 0 || sp.x >= info->n_x || sp.y < 0 || sp.y >= info->n_y)
                abort(); /* every spectrum lies on the grid the reader announced */
        }
        msiz_spectrum_destroy(&sp);
        msiz_source_close(src);
    }
    msiz_bruker_db db;
    if (msiz_bruker_db_load(&db, d_path, NULL) == MSIZ_OK) {
        evaluate_calibrations(&db);
        msiz_bruker_db_destroy(&db);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    char d[600], file[640];
    if (!ready) {
        msiz_set_log_callback(NULL, NULL, MSIZ_LOG_ERROR);
        if (make_dirs() < 0)
            abort();
        ready = 1;
    }
    static const char *kinds[2] = {"tsf", "tdf"};
    for (int k = 0; k < 2; k++) {
        snprintf(d, sizeof d, "%s/%s.d", g_dir, kinds[k]);
        snprintf(file, sizeof file, "%s/analysis.%s", d, kinds[k]);
        if (msiz_write_file(file, data, size) < 0)
            abort();
        run(d);
    }
    return 0;
}
