/* Synthetic imzML writer for benchmarks and tests: processed (centroid) or continuous (profile)
 * pairs of any size, fast enough for 10^9 peaks.
 *
 *   imzml_synth [options] OUT_STEM        writes OUT_STEM.imzML and OUT_STEM.ibd
 *
 * Processed: every spectrum has its own m/z and intensity arrays; m/z values are drawn from a
 * pool of --masses distinct values (one per stratum of the pool, so they are ascending and cover
 * the whole range), or with --masses 0 each peak has its own value. Continuous: one m/z array
 * shared by every spectrum, intensities shaped like a profile spectrum (noise baseline plus
 * Gaussian peaks). Grid cells may be missing (--missing; the corner cells (1,1) and (n_x,n_y) of
 * every plane are always present, so the grid has the size asked for) and spectra may be written
 * in a random order (--shuffle). --manifest writes each spectrum's x, y, z (1-based) and peak
 * count as little-endian int64, in file order. --preset selects the benchmark datasets of
 * docs/benchmarks.md; options after it override its values. Deterministic for a given --seed.
 * Not part of the library: a standalone program (it must stay fast and obviously correct). */
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct cfg {
    int continuous;
    long n_x, n_y, n_z;
    long peaks;      /* per spectrum (processed: the maximum with vary) or points (continuous) */
    int vary;        /* processed: counts uniform in [max(1, peaks / 2), peaks] */
    long masses;     /* processed: distinct m/z values (0: every peak its own) */
    double lo, hi;   /* m/z range */
    int mz64, int64; /* float64 arrays (else float32) */
    double missing, zero_fraction, pixel_size;
    int shuffle, verbose_xml, quiet;
    int walk;    /* processed: pool indices advance by random steps from the start */
    int profile; /* declared spectrum type: profile (else centroid) */
    int type_set;
    uint64_t seed;
    const char *manifest;
} cfg;

/* ---- random numbers: xoshiro256** seeded by splitmix64 ---- */

typedef struct rng {
    uint64_t s[4];
} rng;

static uint64_t splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static void rng_seed(rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix(&seed);
}

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static inline uint64_t next_u64(rng *r)
{
    uint64_t *s = r->s, out = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return out;
}

static inline double uniform(rng *r) /* [0, 1) */
{
    return (double)(next_u64(r) >> 11) * 0x1.0p-53;
}

static inline uint64_t below(rng *r, uint64_t n) /* [0, n), n > 0 */
{
    return (uint64_t)(uniform(r) * (double)n) % n;
}

/* ---- presets (docs/benchmarks.md) ---- */

static void defaults(cfg *c)
{
    memset(c, 0, sizeof *c);
    c->n_x = c->n_y = 10;
    c->n_z = 1;
    c->peaks = 100;
    c->masses = 1000;
    c->lo = 100.0;
    c->hi = 1000.0;
    c->mz64 = 1;
    c->zero_fraction = 0.01;
    c->pixel_size = 10.0;
    c->seed = 1;
}

/* Sets the dataset's shape; output options (--xml, --seed, --manifest, --quiet) are kept. */
static int preset(cfg *c, const char *name)
{
    c->continuous = c->vary = c->shuffle = c->int64 = 0;
    c->mz64 = 1;
    c->n_z = 1;
    c->lo = 300.0;
    c->hi = 1500.0;
    c->missing = c->zero_fraction = 0.0;
    if (strcmp(name, "pea-like") == 0) { /* 37M peaks, 447 MB .ibd */
        c->n_x = c->n_y = 132;
        c->peaks = 2130;
        c->masses = 0;
    } else if (strcmp(name, "poc") == 0) { /* 125M peaks, 1.5 GB */
        c->n_x = c->n_y = 500;
        c->peaks = 500;
        c->masses = 50000;
    } else if (strcmp(name, "headline") == 0) { /* 500M peaks, 6 GB */
        c->n_x = c->n_y = 1000;
        c->peaks = 500;
        c->masses = 100000;
    } else if (strcmp(name, "profile-like") == 0) { /* 2 x 10^8 points, 800 MB */
        c->continuous = 1;
        c->n_x = 50;
        c->n_y = 40;
        c->peaks = 100000;
        c->lo = 300.0;
        c->hi = 800.0; /* the default constant axis has 100,000 bins here */
    } else {
        return -1;
    }
    return 0;
}

/* ---- XML ---- */

static const unsigned char UUID[16] = {0x0b, 0xad, 0xca, 0xfe, 0x12, 0x34, 0x45, 0x67,
                                       0x89, 0xab, 0xcd, 0xef, 0x01, 0x23, 0x45, 0x67};

static const char *dtype_cv(int is64)
{
    return is64 ? "<cvParam cvRef=\"MS\" accession=\"MS:1000523\" name=\"64-bit float\"/>"
                : "<cvParam cvRef=\"MS\" accession=\"MS:1000521\" name=\"32-bit float\"/>";
}

static void header(FILE *x, const cfg *c, uint64_t n)
{
    fprintf(x, "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n"
               "<mzML xmlns=\"http://psi.hupo.org/ms/mzml\" version=\"1.1\">\n"
               "  <fileDescription>\n    <fileContent>\n"
               "      <cvParam cvRef=\"MS\" accession=\"MS:1000579\" name=\"MS1 spectrum\"/>\n");
    fprintf(x, "      %s\n",
            c->profile
                ? "<cvParam cvRef=\"MS\" accession=\"MS:1000128\" name=\"profile spectrum\"/>"
                : "<cvParam cvRef=\"MS\" accession=\"MS:1000127\" "
                  "name=\"centroid spectrum\"/>");
    fprintf(x, "      <cvParam cvRef=\"IMS\" accession=\"IMS:1000080\" "
               "name=\"universally unique identifier\" value=\"{");
    for (int i = 0; i < 16; i++)
        fprintf(x, "%02X%s", UUID[i], i == 3 || i == 5 || i == 7 || i == 9 ? "-" : "");
    fprintf(x, "}\"/>\n      %s\n    </fileContent>\n  </fileDescription>\n",
            c->continuous
                ? "<cvParam cvRef=\"IMS\" accession=\"IMS:1000030\" name=\"continuous\"/>"
                : "<cvParam cvRef=\"IMS\" accession=\"IMS:1000031\" name=\"processed\"/>");
    fprintf(x,
            "  <referenceableParamGroupList count=\"3\">\n"
            "    <referenceableParamGroup id=\"mzArray\">\n"
            "      <cvParam cvRef=\"MS\" accession=\"MS:1000514\" name=\"m/z array\"/>\n"
            "      %s\n"
            "      <cvParam cvRef=\"MS\" accession=\"MS:1000576\" name=\"no compression\"/>\n"
            "      <cvParam cvRef=\"IMS\" accession=\"IMS:1000101\" name=\"external data\" "
            "value=\"true\"/>\n    </referenceableParamGroup>\n"
            "    <referenceableParamGroup id=\"intensityArray\">\n"
            "      <cvParam cvRef=\"MS\" accession=\"MS:1000515\" name=\"intensity array\"/>\n"
            "      %s\n"
            "      <cvParam cvRef=\"MS\" accession=\"MS:1000576\" name=\"no compression\"/>\n"
            "      <cvParam cvRef=\"IMS\" accession=\"IMS:1000101\" name=\"external data\" "
            "value=\"true\"/>\n    </referenceableParamGroup>\n"
            "    <referenceableParamGroup id=\"spectrum\">\n"
            "      <cvParam cvRef=\"MS\" accession=\"MS:1000579\" name=\"MS1 spectrum\"/>\n"
            "      <cvParam cvRef=\"MS\" accession=\"MS:1000511\" name=\"ms level\" value=\"1\"/>\n"
            "      <cvParam cvRef=\"MS\" accession=\"MS:1000130\" name=\"positive scan\"/>\n"
            "    </referenceableParamGroup>\n  </referenceableParamGroupList>\n",
            dtype_cv(c->mz64), dtype_cv(c->int64));
    fprintf(x,
            "  <scanSettingsList count=\"1\">\n    <scanSettings id=\"scansettings1\">\n"
            "      <cvParam cvRef=\"IMS\" accession=\"IMS:1000042\" name=\"max count of pixels x\" "
            "value=\"%ld\"/>\n"
            "      <cvParam cvRef=\"IMS\" accession=\"IMS:1000043\" name=\"max count of pixels y\" "
            "value=\"%ld\"/>\n"
            "      <cvParam cvRef=\"IMS\" accession=\"IMS:1000046\" name=\"pixel size x\" "
            "value=\"%g\" unitCvRef=\"UO\" unitAccession=\"UO:0000017\" unitName=\"micrometer\"/>\n"
            "      <cvParam cvRef=\"IMS\" accession=\"IMS:1000047\" name=\"pixel size y\" "
            "value=\"%g\" unitCvRef=\"UO\" unitAccession=\"UO:0000017\" unitName=\"micrometer\"/>\n"
            "    </scanSettings>\n  </scanSettingsList>\n"
            "  <instrumentConfigurationList count=\"1\">\n"
            "    <instrumentConfiguration id=\"IC1\">\n"
            "      <cvParam cvRef=\"MS\" accession=\"MS:1000031\" name=\"instrument model\"/>\n"
            "    </instrumentConfiguration>\n  </instrumentConfigurationList>\n"
            "  <run id=\"run\" defaultInstrumentConfigurationRef=\"IC1\">\n"
            "    <spectrumList count=\"%llu\">\n",
            c->n_x, c->n_y, c->pixel_size, c->pixel_size, (unsigned long long)n);
}

typedef struct spec {
    uint64_t index;
    long x, y, z;
    uint64_t count;
    uint64_t mz_off, int_off;
    double tic;
} spec;

static void array_xml(FILE *x, const cfg *c, const char *ref, uint64_t off, uint64_t len, int bytes)
{
    const char *ind = c->verbose_xml ? "            " : "",
               *outer = c->verbose_xml ? "          " : "";
    const char *nl = c->verbose_xml ? "\n" : "";
    fprintf(x,
            "%s<binaryDataArray encodedLength=\"0\">%s"
            "%s<referenceableParamGroupRef ref=\"%s\"/>%s"
            "%s<cvParam cvRef=\"IMS\" accession=\"IMS:1000103\" name=\"external array length\" "
            "value=\"%llu\"/>%s"
            "%s<cvParam cvRef=\"IMS\" accession=\"IMS:1000102\" name=\"external offset\" "
            "value=\"%llu\"/>%s"
            "%s<cvParam cvRef=\"IMS\" accession=\"IMS:1000104\" name=\"external encoded length\" "
            "value=\"%llu\"/>%s"
            "%s<binary/>%s%s</binaryDataArray>%s",
            outer, nl, ind, ref, nl, ind, (unsigned long long)len, nl, ind, (unsigned long long)off,
            nl, ind, (unsigned long long)(len * (uint64_t)bytes), nl, ind, nl, outer, nl);
}

static void spectrum_xml(FILE *x, const cfg *c, const spec *s)
{
    char z[160] = "";
    if (c->n_z > 1)
        snprintf(z, sizeof z,
                 "%s<cvParam cvRef=\"IMS\" accession=\"IMS:1000052\" name=\"position z\" "
                 "value=\"%ld\"/>%s",
                 c->verbose_xml ? "            " : "", s->z, c->verbose_xml ? "\n" : "");
    if (c->verbose_xml)
        fprintf(x,
                "      <spectrum id=\"Spectrum=%llu\" defaultArrayLength=\"0\" index=\"%llu\">\n"
                "        <referenceableParamGroupRef ref=\"spectrum\"/>\n"
                "        <cvParam cvRef=\"MS\" accession=\"MS:1000285\" name=\"total ion "
                "current\" value=\"%.9g\"/>\n"
                "        <scanList count=\"1\">\n"
                "          <cvParam cvRef=\"MS\" accession=\"MS:1000795\" name=\"no "
                "combination\"/>\n"
                "          <scan instrumentConfigurationRef=\"IC1\">\n"
                "            <cvParam cvRef=\"IMS\" accession=\"IMS:1000050\" name=\"position x\" "
                "value=\"%ld\"/>\n"
                "            <cvParam cvRef=\"IMS\" accession=\"IMS:1000051\" name=\"position y\" "
                "value=\"%ld\"/>\n%s"
                "          </scan>\n        </scanList>\n"
                "        <binaryDataArrayList count=\"2\">\n",
                (unsigned long long)s->index + 1, (unsigned long long)s->index, s->tic, s->x, s->y,
                z);
    else
        fprintf(x,
                "<spectrum id=\"s%llu\" defaultArrayLength=\"0\" index=\"%llu\">"
                "<referenceableParamGroupRef ref=\"spectrum\"/><scanList count=\"1\"><scan>"
                "<cvParam cvRef=\"IMS\" accession=\"IMS:1000050\" name=\"position x\" "
                "value=\"%ld\"/><cvParam cvRef=\"IMS\" accession=\"IMS:1000051\" "
                "name=\"position y\" value=\"%ld\"/>%s</scan></scanList>"
                "<binaryDataArrayList count=\"2\">",
                (unsigned long long)s->index, (unsigned long long)s->index, s->x, s->y, z);
    array_xml(x, c, "mzArray", s->mz_off, s->count, c->mz64 ? 8 : 4);
    array_xml(x, c, "intensityArray", s->int_off, s->count, c->int64 ? 8 : 4);
    fprintf(x, c->verbose_xml ? "        </binaryDataArrayList>\n      </spectrum>\n"
                              : "</binaryDataArrayList></spectrum>\n");
}

/* ---- grid: which cells have a spectrum, in which order ---- */

typedef struct cell {
    int32_t x, y, z;
} cell;

static cell *make_cells(const cfg *c, rng *r, uint64_t *n_out)
{
    uint64_t total = (uint64_t)c->n_x * (uint64_t)c->n_y * (uint64_t)c->n_z, n = 0;
    cell *cells = malloc((total ? total : 1) * sizeof *cells);
    if (!cells)
        return NULL;
    for (long z = 1; z <= c->n_z; z++)
        for (long y = 1; y <= c->n_y; y++)
            for (long x = 1; x <= c->n_x; x++) {
                int corner = (x == 1 && y == 1) || (x == c->n_x && y == c->n_y);
                if (c->missing > 0 && !corner && uniform(r) < c->missing)
                    continue;
                cells[n++] = (cell){(int32_t)x, (int32_t)y, (int32_t)z};
            }
    if (c->shuffle)
        for (uint64_t i = n; i > 1; i--) { /* Fisher-Yates */
            uint64_t j = below(r, i);
            cell t = cells[i - 1];
            cells[i - 1] = cells[j];
            cells[j] = t;
        }
    *n_out = n;
    return cells;
}

/* ---- array contents ---- */

typedef struct buffers {
    double *mz, *in;
    void *out; /* converted to the file's dtypes */
    double *gauss;
} buffers;

static void put(void *dst, const double *v, uint64_t n, int is64)
{
    if (is64) {
        memcpy(dst, v, n * 8);
        return;
    }
    float *f = dst;
    for (uint64_t i = 0; i < n; i++)
        f[i] = (float)v[i];
}

/* Ascending m/z values: one per stratum of the pool (or of the range), so they span it. */
static void processed_mz(const cfg *c, rng *r, double *mz, uint64_t count)
{
    double span = c->hi - c->lo;
    if (c->masses <= 0) {
        for (uint64_t k = 0; k < count; k++)
            mz[k] = c->lo + ((double)k + uniform(r)) * span / (double)count;
        return;
    }
    uint64_t m = (uint64_t)c->masses;
    double step = m > 1 ? span / (double)(m - 1) : 0.0;
    if (c->walk) { /* steps of 1 .. masses / peaks: about the lower half of the pool is used */
        uint64_t most = m / (uint64_t)c->peaks > 1 ? m / (uint64_t)c->peaks : 1, idx = 0;
        for (uint64_t k = 0; k < count; k++) {
            idx += k == 0 ? below(r, most) : 1 + below(r, most);
            idx = idx < m ? idx : m - 1;
            mz[k] = idx == m - 1 ? c->hi : c->lo + (double)idx * step;
        }
        return;
    }
    for (uint64_t k = 0; k < count; k++) {
        uint64_t a = k * m / count, b = (k + 1) * m / count;
        uint64_t idx = b > a ? a + below(r, b - a) : (a < m ? a : m - 1);
        mz[k] = idx == m - 1 ? c->hi : c->lo + (double)idx * step; /* np.linspace */
    }
}

static void processed_intensity(const cfg *c, rng *r, double *in, uint64_t count)
{
    for (uint64_t k = 0; k < count; k++) {
        in[k] = uniform(r) * 1000.0;
        if (c->zero_fraction > 0 && uniform(r) < c->zero_fraction)
            in[k] = 0.0;
    }
}

#define GAUSS_HALF 12

/* A profile spectrum: a noise baseline and one Gaussian peak (sigma 3 points) per 333 points,
 * at positions shared by every spectrum, with random heights. */
static void profile_intensity(const cfg *c, rng *r, const buffers *b, uint64_t positions_seed,
                              double *in)
{
    uint64_t n = (uint64_t)c->peaks;
    for (uint64_t k = 0; k < n; k++)
        in[k] = uniform(r) * 10.0;
    rng pos;
    rng_seed(&pos, positions_seed);
    for (uint64_t p = 0; p < (n + 332) / 333; p++) {
        uint64_t centre = below(&pos, n);
        double height = uniform(r) * 5000.0;
        for (int d = -GAUSS_HALF; d <= GAUSS_HALF; d++) {
            int64_t k = (int64_t)centre + d;
            if (k >= 0 && (uint64_t)k < n)
                in[k] += height * b->gauss[d + GAUSS_HALF];
        }
    }
}

static uint64_t spectrum_count(const cfg *c, rng *r)
{
    if (c->continuous || !c->vary)
        return (uint64_t)c->peaks;
    uint64_t lo = c->peaks / 2 > 1 ? (uint64_t)c->peaks / 2 : 1;
    return lo + below(r, (uint64_t)c->peaks - lo + 1);
}

/* ---- writing ---- */

static int write_pair(const cfg *c, const char *stem)
{
    int rc = 1;
    rng r;
    rng_seed(&r, c->seed);
    uint64_t n = 0, total = 0;
    cell *cells = make_cells(c, &r, &n);
    size_t len = strlen(stem) + 8;
    char *xp = malloc(len), *bp = malloc(len);
    FILE *x = NULL, *b = NULL, *man = NULL;
    uint64_t cap = (uint64_t)(c->peaks > 0 ? c->peaks : 1);
    buffers buf = {malloc(cap * 8), malloc(cap * 8), malloc(cap * 8), malloc(25 * 8)};
    if (!cells || !xp || !bp || !buf.mz || !buf.in || !buf.out || !buf.gauss) {
        fprintf(stderr, "imzml_synth: out of memory\n");
        goto cleanup;
    }
    for (int d = -GAUSS_HALF; d <= GAUSS_HALF; d++)
        buf.gauss[d + GAUSS_HALF] = exp(-0.5 * (d / 3.0) * (d / 3.0));
    snprintf(xp, len, "%s.imzML", stem);
    snprintf(bp, len, "%s.ibd", stem);
    x = fopen(xp, "wb");
    b = fopen(bp, "wb");
    man = c->manifest ? fopen(c->manifest, "wb") : NULL;
    if (!x || !b || (c->manifest && !man)) {
        fprintf(stderr, "imzml_synth: cannot create %s / %s%s%s\n", xp, bp,
                c->manifest ? " / " : "", c->manifest ? c->manifest : "");
        goto cleanup;
    }
    static char xbuf[1 << 20], bbuf[1 << 22];
    setvbuf(x, xbuf, _IOFBF, sizeof xbuf);
    setvbuf(b, bbuf, _IOFBF, sizeof bbuf);
    fwrite(UUID, 1, 16, b);
    uint64_t off = 16;
    int mzb = c->mz64 ? 8 : 4, inb = c->int64 ? 8 : 4;
    if (c->continuous) { /* the shared m/z array: np.linspace(lo, hi, points) */
        double step = (c->hi - c->lo) / (double)(cap > 1 ? cap - 1 : 1);
        for (uint64_t k = 0; k < cap; k++)
            buf.mz[k] = k + 1 == cap ? c->hi : c->lo + (double)k * step;
        put(buf.out, buf.mz, cap, c->mz64);
        fwrite(buf.out, (size_t)mzb, cap, b);
        off += cap * (uint64_t)mzb;
    }
    header(x, c, n);
    uint64_t positions_seed = c->seed ^ 0x5eedull;
    for (uint64_t i = 0; i < n; i++) {
        spec s = {i, cells[i].x, cells[i].y, cells[i].z, spectrum_count(c, &r), 0, 0, 0.0};
        if (c->continuous) {
            profile_intensity(c, &r, &buf, positions_seed, buf.in);
            s.mz_off = 16;
        } else {
            processed_mz(c, &r, buf.mz, s.count);
            processed_intensity(c, &r, buf.in, s.count);
            s.mz_off = off;
            put(buf.out, buf.mz, s.count, c->mz64);
            fwrite(buf.out, (size_t)mzb, s.count, b);
            off += s.count * (uint64_t)mzb;
        }
        for (uint64_t k = 0; k < s.count; k++)
            s.tic += buf.in[k];
        s.int_off = off;
        put(buf.out, buf.in, s.count, c->int64);
        fwrite(buf.out, (size_t)inb, s.count, b);
        off += s.count * (uint64_t)inb;
        total += s.count;
        spectrum_xml(x, c, &s);
        if (man) {
            int64_t row[4] = {s.x, s.y, s.z, (int64_t)s.count}; /* little-endian hosts only */
            fwrite(row, sizeof row, 1, man);
        }
    }
    fprintf(x, "    </spectrumList>\n  </run>\n</mzML>\n");
    rc = ferror(x) || ferror(b) || (man && ferror(man));
    if (!c->quiet)
        printf("%s: %llu spectra, %llu %s, %llu bytes of .ibd\n", xp, (unsigned long long)n,
               (unsigned long long)total, c->continuous ? "points" : "peaks",
               (unsigned long long)off);
cleanup:
    if (x && fclose(x) != 0)
        rc = 1;
    if (b && fclose(b) != 0)
        rc = 1;
    if (man && fclose(man) != 0)
        rc = 1;
    if (rc)
        fprintf(stderr, "imzml_synth: writing %s failed\n", stem);
    free(cells), free(xp), free(bp);
    free(buf.mz), free(buf.in), free(buf.out), free(buf.gauss);
    return rc;
}

/* ---- options ---- */

static void usage(FILE *f)
{
    fprintf(f, "usage: imzml_synth [options] OUT_STEM   (writes OUT_STEM.imzML and OUT_STEM.ibd)\n"
               "  --preset NAME        pea-like, poc, headline, profile-like (first; later options "
               "override)\n"
               "  --continuous         one shared m/z array, profile-shaped intensities\n"
               "  --grid NXxNY[xNZ]    grid size (default 10x10)\n"
               "  --peaks N            peaks (processed) or points (continuous) per spectrum "
               "(100)\n"
               "  --vary-peaks         processed: N/2..N peaks per spectrum\n"
               "  --masses M           processed: distinct m/z values (1000; 0 = all distinct)\n"
               "  --mz-walk            processed: pool indices advance by random steps of 1 to\n"
               "                       M/N from the start (peaks cover about the lower half)\n"
               "  --mz-range LO:HI     m/z range (100:1000)\n"
               "  --mz-dtype f32|f64   (f64)    --int-dtype f32|f64 (f32)\n"
               "  --missing FRAC       fraction of grid cells without a spectrum (0)\n"
               "  --shuffle            spectra in random order\n"
               "  --zero-fraction F    processed: fraction of zero intensities (0.01)\n"
               "  --pixel-size UM      (10)\n"
               "  --spectrum-type T    centroid or profile (default: centroid for processed, "
               "profile for continuous)\n"
               "  --xml compact|verbose  one line per spectrum, or an exporter's layout with "
               "TIC\n"
               "  --seed S  --manifest FILE (x y z count per spectrum, int64)  --quiet\n");
}

static int parse_dtype(const char *s, int *is64)
{
    if (strcmp(s, "f64") == 0 || strcmp(s, "f8") == 0)
        *is64 = 1;
    else if (strcmp(s, "f32") == 0 || strcmp(s, "f4") == 0)
        *is64 = 0;
    else
        return -1;
    return 0;
}

static int parse_grid(const char *s, cfg *c)
{
    char *end;
    c->n_x = strtol(s, &end, 10);
    if (*end != 'x')
        return -1;
    c->n_y = strtol(end + 1, &end, 10);
    c->n_z = 1;
    if (*end == 'x')
        c->n_z = strtol(end + 1, &end, 10);
    return *end || c->n_x < 1 || c->n_y < 1 || c->n_z < 1 ? -1 : 0;
}

static int parse_number(const char *s, double *v)
{
    char *end;
    *v = strtod(s, &end);
    return end == s || *end ? -1 : 0;
}

static int parse_option(cfg *c, int opt, const char *arg)
{
    double v = 0;
    switch (opt) {
    case 'P': return preset(c, arg);
    case 'C': c->continuous = 1; return 0;
    case 'g': return parse_grid(arg, c);
    case 'n': return parse_number(arg, &v) || v < 1 ? -1 : (c->peaks = (long)v, 0);
    case 'V': c->vary = 1; return 0;
    case 'M': return parse_number(arg, &v) || v < 0 ? -1 : (c->masses = (long)v, 0);
    case 'r': {
        char *end;
        c->lo = strtod(arg, &end);
        if (*end != ':')
            return -1;
        return parse_number(end + 1, &c->hi) || !(c->lo > 0 && c->hi > c->lo) ? -1 : 0;
    }
    case 'm': return parse_dtype(arg, &c->mz64);
    case 'i': return parse_dtype(arg, &c->int64);
    case 'x': return parse_number(arg, &c->missing) || c->missing < 0 || c->missing >= 1 ? -1 : 0;
    case 'S': c->shuffle = 1; return 0;
    case 'z': return parse_number(arg, &c->zero_fraction);
    case 'p': return parse_number(arg, &c->pixel_size) || !(c->pixel_size > 0) ? -1 : 0;
    case 't':
        c->type_set = 1;
        c->profile = strcmp(arg, "profile") == 0;
        return c->profile || strcmp(arg, "centroid") == 0 ? 0 : -1;
    case 'X':
        c->verbose_xml = strcmp(arg, "verbose") == 0;
        return c->verbose_xml || strcmp(arg, "compact") == 0 ? 0 : -1;
    case 's': return parse_number(arg, &v) ? -1 : (c->seed = (uint64_t)v, 0);
    case 'f': c->manifest = arg; return 0;
    case 'q': c->quiet = 1; return 0;
    case 'W': c->walk = 1; return 0;
    }
    return -1;
}

int main(int argc, char **argv)
{
    static const struct option longs[] = {
        {"preset", 1, 0, 'P'},     {"continuous", 0, 0, 'C'},    {"grid", 1, 0, 'g'},
        {"peaks", 1, 0, 'n'},      {"vary-peaks", 0, 0, 'V'},    {"masses", 1, 0, 'M'},
        {"mz-range", 1, 0, 'r'},   {"mz-dtype", 1, 0, 'm'},      {"int-dtype", 1, 0, 'i'},
        {"missing", 1, 0, 'x'},    {"shuffle", 0, 0, 'S'},       {"zero-fraction", 1, 0, 'z'},
        {"pixel-size", 1, 0, 'p'}, {"spectrum-type", 1, 0, 't'}, {"xml", 1, 0, 'X'},
        {"seed", 1, 0, 's'},       {"manifest", 1, 0, 'f'},      {"quiet", 0, 0, 'q'},
        {"mz-walk", 0, 0, 'W'},    {"help", 0, 0, 'h'},          {0, 0, 0, 0}};
    cfg c;
    defaults(&c);
    int opt;
    while ((opt = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
        if (opt == 'h') {
            usage(stdout);
            return 0;
        }
        if (opt == '?' || parse_option(&c, opt, optarg) != 0) {
            const struct option *o = longs;
            while (o->name && o->val != opt)
                o++;
            if (o->name)
                fprintf(stderr, "imzml_synth: bad value for --%s: %s\n", o->name,
                        optarg ? optarg : "");
            usage(stderr);
            return 2;
        }
    }
    if (optind != argc - 1) {
        usage(stderr);
        return 2;
    }
    if (!c.type_set)
        c.profile = c.continuous;
    return write_pair(&c, argv[optind]);
}
