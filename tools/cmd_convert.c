/* msizarr convert INPUT OUTPUT [options]: options as Thyra names them, then the library. */
#include <getopt.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "cli_common.h"
#include "msizarr/convert.h"
#include "progress.h"

static volatile int g_cancel;

static void on_signal(int sig)
{
    (void)sig;
    g_cancel = 1;
}

static const char HELP[] =
    "usage: msizarr convert INPUT OUTPUT [options]\n"
    "\n"
    "Convert an imzML file (with its .ibd) or a Bruker timsTOF .d folder into a SpatialData\n"
    "Zarr store, streaming in bounded memory. Options are grouped as Thyra groups them.\n"
    "\n"
    "Conversion:\n"
    "  --pixel-size UM             pixel size in micrometres (default: from the metadata)\n"
    "  --region N                  Bruker: convert only region N (default: all regions)\n"
    "  --resample / --no-resample  resample onto a common mass axis (default: on)\n"
    "  --spectrum-type TYPE        auto | centroid | profile (default: auto)\n"
    "  --duplicates POLICY         error | keep-first: spectra sharing a position (default: "
    "error)\n"
    "\n"
    "Logging:\n" CLI_LOG_HELP
    "  -q, --quiet                 no progress bar or summary (warnings and errors still shown)\n"
    "\n"
    "Resampling (advanced):\n"
    "  --resample-method M         auto | nearest_neighbor | tic_preserving (default: auto)\n"
    "  --mass-axis-type T          auto | constant | linear_tof | reflector_tof | orbitrap | "
    "fticr\n"
    "                              (default: auto)\n"
    "  --resample-bins N           number of bins (default: from the bin width; not with\n"
    "                              --resample-width-at-mz)\n"
    "  --resample-min-mz MZ        lower end of the axis (default: from the data)\n"
    "  --resample-max-mz MZ        upper end of the axis (default: from the data)\n"
    "  --resample-width-at-mz DA   bin width at the reference m/z (default: 0.005 at m/z 1000;\n"
    "                              linear_tof 0.017 at m/z 300)\n"
    "  --resample-reference-mz MZ  reference m/z of --resample-width-at-mz (default: 1000)\n"
    "  --resample-gap-tolerance DA\n"
    "                              tic_preserving: zero bins farther than DA from any peak\n"
    "  --max-mass-axis-length N    --no-resample: cap on distinct m/z values (default: 10000000)\n"
    "\n"
    "Performance:\n"
    "  --sparse-format F           csc | csr (default: csc)\n"
    "  --memory-limit SIZE         memory budget, e.g. 512MiB, 2GiB (default: 512MiB)\n"
    "  --threads N                 worker threads (default: one per core, at most 16)\n"
    "  --temp-dir DIR              folder for spill files (default: $TMPDIR or /tmp)\n"
    "  --chunk-size N              spectra per processing batch (default: 5000)\n"
    "  --streaming MODE            auto | true | false: accepted for Thyra compatibility;\n"
    "                              msizarr always streams\n"
    "\n"
    "Bruker-specific:\n"
    "  --intensity-threshold T     keep peaks with intensity >= T (any input)\n"
    "  --profile-spectra           TSF: convert the profile spectra instead of the line\n"
    "                              (centroid) spectra\n"
    "\n"
    "Output:\n"
    "  --zarr-format N             3 | 2 (default: 3)\n"
    "  --compression SPEC          zstd[:L] | gzip[:L] | blosc-lz4[:L] | blosc-zstd[:L] | none\n"
    "                              (default: zstd level 0, as zarr-python)\n"
    "  --shapes-compression C      snappy | zstd | gzip | none: Parquet pages of the pixel\n"
    "                              shapes (default: snappy, as pyarrow; every reader has it)\n"
    "  --overwrite                 replace OUTPUT if it is a Zarr store (nothing else), and\n"
    "                              the --report page if it is an earlier report\n"
    "\n"
    "QC report:\n"
    "  --report FILE               also write a self-contained HTML page: summary, TIC images,\n"
    "                              average spectrum, ion images of its top peaks (default: none)\n"
    "  --report-ions N             ion images per table, 0-100 (default: 12)\n"
    "\n"
    "Other:\n"
    "  --dataset-id ID             element name prefix (default: msi_dataset)\n"
    "  --handle-3d                 one volume instead of one table per z plane\n"
    "  --z-spacing UM              distance between z planes (default: the pixel size)\n"
    "  -h, --help                  show this help\n";

enum { OPT_LIBRARY = 256 }; /* every option the library parses (msiz_convert_opts_set) */

/* The library's options (msiz_convert_opt_name), then the command line's own. */
#define MAX_LONGOPTS 64

typedef struct cli_state {
    msiz_convert_opts o;
    int quiet;
    cli_log log;
    struct option longopts[MAX_LONGOPTS];
} cli_state;

static void build_longopts(cli_state *s)
{
    static const struct option own[] = {{"quiet", no_argument, NULL, 'q'},
                                        CLI_LOG_LONGOPTS,
                                        {"help", no_argument, NULL, 'h'},
                                        {NULL, 0, NULL, 0}};
    const size_t n_own = sizeof own / sizeof own[0];
    size_t n = 0;
    const char *name;
    int takes_value = 0;
    for (size_t i = 0;
         n + n_own < MAX_LONGOPTS && (name = msiz_convert_opt_name(i, &takes_value)) != NULL; i++)
        s->longopts[n++] =
            (struct option){name, takes_value ? required_argument : no_argument, NULL, OPT_LIBRARY};
    for (size_t i = 0; i < n_own; i++)
        s->longopts[n++] = own[i];
}

/* Option values the library would refuse are usage errors here (exit 2), as in Thyra's CLI. */
static int check_values(const cli_state *s)
{
    const msiz_resample_request *rq = &s->o.request;
    if (rq->has_width && rq->bins) /* a command-line rule: the library lets the width win */
        return cli_usage_error("convert", "--resample-bins and --resample-width-at-mz are "
                                          "mutually exclusive");
    if (msiz_convert_opts_check(&s->o) < 0)
        return cli_usage_error("convert", "%s", msiz_last_error());
    return 0;
}

static int parse_args(cli_state *s, int argc, char **argv)
{
    int opt, index = -1;
    build_longopts(s);
    optind = 1;
    while ((opt = getopt_long(argc, argv, "qvh", s->longopts, &index)) != -1) {
        int rc = cli_log_option(&s->log, "convert", opt, optarg);
        if (rc < 0)
            return CLI_USAGE;
        if (rc > 0)
            continue;
        if (opt == 'h') {
            fputs(HELP, stdout);
            return -1;
        }
        if (opt == 'q') {
            s->quiet = 1;
        } else if (opt == OPT_LIBRARY) {
            if (msiz_convert_opts_set(&s->o, s->longopts[index].name, optarg) < 0)
                return cli_usage_error("convert", "%s", msiz_last_error());
        } else {
            return cli_usage_error("convert", "invalid option");
        }
    }
    if (argc - optind != 2)
        return cli_usage_error("convert", "expected INPUT and OUTPUT, got %d argument(s)%s",
                               argc - optind, cli_log_hint(argc, argv, optind));
    return check_values(s) ? CLI_USAGE : 0;
}

static void print_summary(const msiz_convert_summary *m, const char *output, const char *report)
{
    char mem[32], spill[32];
    cli_format_bytes(m->peak_rss_bytes, mem, sizeof mem);
    cli_format_bytes(m->spilled_bytes, spill, sizeof spill);
    fprintf(stderr,
            "msizarr: wrote %s\n  %s\n  %llu pixels (grid %dx%dx%d, %d table%s), %llu bins, "
            "%llu non-zeros\n  %.2f s, peak memory %s, spilled %s\n",
            output, m->plan, (unsigned long long)m->pixels, m->n_x, m->n_y, m->n_z, m->planes,
            m->planes == 1 ? "" : "s", (unsigned long long)m->bins, (unsigned long long)m->nnz,
            m->seconds, mem, spill);
    if (report)
        fprintf(stderr, "  QC report: %s\n", report);
}

int cmd_convert(int argc, char **argv)
{
    cli_state s;
    memset(&s, 0, sizeof s);
    msiz_convert_opts_init(&s.o);
    cli_log_init(&s.log);
    int rc = parse_args(&s, argc, argv);
    if (rc != 0)
        return rc < 0 ? cli_finish_stdout(CLI_OK) : rc;
    cli_log_install(&s.log);
    int show_progress = !s.quiet && isatty(STDERR_FILENO);
    if (show_progress)
        s.o.progress = cli_progress;
    s.o.cancel = &g_cancel;
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    msiz_convert_summary sum;
    msiz_convert_summary_init(&sum);
    msiz_status st = msiz_convert(argv[optind], argv[optind + 1], &s.o, &sum);
    cli_progress_end();
    if (st < 0)
        return cli_error(st);
    if (show_progress || (!s.quiet && cli_log_level(&s.log) >= MSIZ_LOG_INFO))
        print_summary(&sum, argv[optind + 1], s.o.report);
    return CLI_OK;
}
