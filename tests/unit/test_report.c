/* QC report building blocks (src/report): the PNG writer (decoded back with libpng), the
 * viridis table, colour scaling, views (downsampling by block means, nearest-neighbour zoom),
 * the peak rule, the spectrum plot's reduction, text helpers, and whole pages of synthetic
 * tables whose embedded images are decoded and compared with the data. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MSIZ_EXPERIMENTAL /* src/report/report.h uses the store writer's types */
#include "common/alloc.h"
#include "io/fs.h"
#include "report/report.h"
#include "report/report_internal.h"

static char g_dir[64];

static int setup(void **state)
{
    (void)state;
    snprintf(g_dir, sizeof g_dir, "/tmp/msiz_report_XXXXXX");
    return mkdtemp(g_dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    return msiz_remove_tree(g_dir) == MSIZ_OK ? 0 : -1;
}

/* ---- decoding helpers ---- */

typedef struct image {
    unsigned char *rgb;
    uint32_t w, h;
} image;

static image decode_png(const void *data, size_t n)
{
    png_image img;
    memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    assert_true(png_image_begin_read_from_memory(&img, data, n));
    img.format = PNG_FORMAT_RGB;
    image out = {malloc(PNG_IMAGE_SIZE(img)), img.width, img.height};
    assert_true(png_image_finish_read(&img, NULL, out.rgb, 0, NULL));
    return out;
}

static int b64_value(char c)
{
    const char *abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const char *p = strchr(abc, c);
    return p && c ? (int)(p - abc) : -1;
}

static unsigned char *b64_decode(const char *s, size_t len, size_t *n)
{
    unsigned char *out = malloc(len / 4 * 3 + 3);
    uint32_t acc = 0;
    int bits = 0;
    *n = 0;
    for (size_t i = 0; i < len && s[i] != '='; i++) {
        int v = b64_value(s[i]);
        assert_true(v >= 0);
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[(*n)++] = (unsigned char)(acc >> bits);
        }
    }
    return out;
}

/* The index of an RGB triple in the viridis table, -1 for grey, -2 for anything else. */
static int color_index(const unsigned char *p)
{
    if (p[0] == MSIZ_REPORT_GREY && p[1] == MSIZ_REPORT_GREY && p[2] == MSIZ_REPORT_GREY)
        return -1;
    for (int i = 0; i < 256; i++)
        if (memcmp(p, msiz_viridis[i], 3) == 0)
            return i;
    return -2;
}

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
    s[n] = '\0';
    fclose(f);
    return s;
}

/* The start of the k-th <img> with data-kind="kind" (just after that attribute). */
static const char *find_tag(const char *html, const char *kind, int k)
{
    char needle[64];
    snprintf(needle, sizeof needle, "data-kind=\"%s\"", kind);
    const char *p = html;
    for (int i = 0; i <= k; i++) {
        p = strstr(p, needle);
        assert_non_null(p);
        p += strlen(needle);
    }
    return p;
}

/* The value of attribute attr of that <img>. */
static void find_attr(const char *html, const char *kind, int k, const char *attr, char *value,
                      size_t size)
{
    const char *p = find_tag(html, kind, k), *end = strchr(p, '>');
    char a[64];
    snprintf(a, sizeof a, " %s=\"", attr);
    const char *v = strstr(p, a);
    assert_true(v && v < end);
    v += strlen(a);
    snprintf(value, size, "%.*s", (int)(strchr(v, '"') - v), v);
}

/* Its PNG, decoded. */
static image find_image(const char *html, const char *kind, int k)
{
    const char *p = find_tag(html, kind, k), *end = strchr(p, '>');
    const char *src = strstr(p, "src=\"data:image/png;base64,");
    assert_true(src && src < end);
    src += strlen("src=\"data:image/png;base64,");
    size_t n = 0;
    unsigned char *png = b64_decode(src, (size_t)(strchr(src, '"') - src), &n);
    image img = decode_png(png, n);
    free(png);
    return img;
}

/* ---- PNG, colours, text ---- */

static void test_png_roundtrip(void **state)
{
    (void)state;
    enum { W = 37, H = 11 };
    unsigned char rgb[H][W * 3 + 5]; /* stride larger than a row */
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W * 3; x++)
            rgb[y][x] = (unsigned char)(x * 7 + y * 31);
    msiz_text t = {0};
    assert_int_equal(msiz_png_rgb(&rgb[0][0], W, H, sizeof rgb[0], &t), MSIZ_OK);
    assert_memory_equal(t.data, "\x89PNG\r\n\x1a\n", 8);
    image img = decode_png(t.data, t.len);
    assert_int_equal(img.w, W);
    assert_int_equal(img.h, H);
    for (int y = 0; y < H; y++)
        assert_memory_equal(img.rgb + y * W * 3, rgb[y], W * 3);
    free(img.rgb);
    msiz_text_free(&t);
    assert_int_equal(msiz_png_rgb(&rgb[0][0], 0, H, sizeof rgb[0], &t), MSIZ_E_ARG);
    assert_int_equal(msiz_png_rgb(&rgb[0][0], W, H, W, &t), MSIZ_E_ARG);
    assert_int_equal(msiz_colorbar_png(&t), MSIZ_OK);
    img = decode_png(t.data, t.len);
    assert_int_equal(img.w, 256);
    assert_memory_equal(img.rgb, msiz_viridis, 256 * 3);
    free(img.rgb);
    msiz_text_free(&t);
}

static double luminance(const unsigned char *c)
{
    double lin[3];
    for (int i = 0; i < 3; i++) {
        double v = c[i] / 255.0;
        lin[i] = v <= 0.04045 ? v / 12.92 : pow((v + 0.055) / 1.055, 2.4);
    }
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2];
}

static void test_viridis(void **state)
{
    (void)state;
    static const unsigned char first[3] = {0x44, 0x01, 0x54}, last[3] = {0xfd, 0xe7, 0x25};
    assert_memory_equal(msiz_viridis[0], first, 3);  /* #440154 */
    assert_memory_equal(msiz_viridis[255], last, 3); /* #fde725 */
    /* lightness rises monotonically (perceptually ordered); after 8-bit rounding it may dip
     * between two neighbours, never over two steps */
    for (int i = 2; i < 256; i++)
        assert_true(luminance(msiz_viridis[i]) > luminance(msiz_viridis[i - 2]));
    for (int i = 0; i < 256; i++) /* no entry is the grey of missing pixels */
        assert_true(color_index(msiz_viridis[i]) >= 0);
}

static void test_text(void **state)
{
    (void)state;
    static const char *const in[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    static const char *const out[] = {"",         "Zg==",     "Zm8=",    "Zm9v",
                                      "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
    for (int i = 0; i < 7; i++) {
        msiz_text t = {0};
        msiz_text_put(&t, "");
        msiz_text_base64(&t, (const unsigned char *)in[i], strlen(in[i]));
        assert_string_equal(t.data, out[i]);
        msiz_text_free(&t);
    }
    msiz_text t = {0};
    msiz_text_escape(&t, "<a href='x'>&\"\xc2\xb5m\xff\x01</a>");
    assert_string_equal(t.data, "&lt;a href=&#39;x&#39;&gt;&amp;&quot;\xc2\xb5m\xef\xbf\xbd "
                                "&lt;/a&gt;");
    msiz_text_free(&t);
    assert_true(msiz_nice_floor(0.37) == 0.2);
    assert_true(msiz_nice_floor(7) == 5);
    assert_true(msiz_nice_floor(1000) == 1000);
    char buf[32];
    msiz_fmt_length_um(buf, sizeof buf, 2000);
    assert_string_equal(buf, "2 mm");
    msiz_fmt_bytes(buf, sizeof buf, 3u << 20);
    assert_string_equal(buf, "3.0 MiB");
}

/* ---- views and colour scales ---- */

static void test_view_plan(void **state)
{
    (void)state;
    msiz_view v;
    msiz_view_plan(3, 3, 1024, 360, &v); /* tiny: zoomed */
    assert_true(v.block == 1 && v.w == 3 && v.h == 3 && v.zoom == 120);
    msiz_view_plan(1, 1, 512, 240, &v);
    assert_true(v.block == 1 && v.zoom == 240);
    msiz_view_plan(1000, 1000, 1024, 360, &v); /* 1,000,000 pixels: as they are */
    assert_true(v.block == 1 && v.zoom == 1 && v.w == 1000);
    msiz_view_plan(1000, 1000, 512, 240, &v);
    assert_true(v.block == 2 && v.w == 500 && v.h == 500 && v.zoom == 1);
    msiz_view_plan(5001, 30, 1024, 360, &v); /* long and thin */
    assert_true(v.block == 5 && v.w == 1001 && v.h == 6 && v.zoom == 1);
    msiz_view_plan(700, 20, 1024, 360, &v);
    assert_true(v.block == 1 && v.zoom == 1);
    msiz_view_plan(100, 20, 1024, 360, &v);
    assert_true(v.block == 1 && v.zoom == 3);
}

static void test_scale(void **state)
{
    (void)state;
    enum { N = 1000 };
    double sum[N];
    uint32_t count[N];
    msiz_view_acc a = {.v = {.w = N, .h = 1, .block = 1, .zoom = 1}, .sum = sum, .count = count};
    for (int i = 0; i < N; i++)
        sum[i] = i, count[i] = i % 10 != 3; /* 100 cells without a spectrum */
    sum[500] = 1e9;                         /* a hot pixel */
    msiz_scale s;
    assert_int_equal(msiz_scale_of(&a, &s), MSIZ_OK);
    assert_int_equal(s.shown, 900);
    assert_int_equal(s.percentile, 99);
    assert_true(s.vmin == 0 && s.max == 1e9);
    assert_int_equal(s.clipped, 9); /* 900 - ceil(0.99 * 900) */
    int last = -1;
    for (int i = 0; i < N; i++) { /* colour order follows value order */
        if (!count[i] || i == 500)
            continue;
        int c = msiz_scale_index(&s, sum[i]);
        assert_true(c >= last);
        last = c;
    }
    assert_int_equal(msiz_scale_index(&s, 1e9), 255);
    assert_int_equal(msiz_scale_index(&s, 0), 0);
    for (int i = 0; i < 9; i++) /* few pixels: the maximum */
        sum[i] = i + 1, count[i] = 1;
    a.v.w = 9;
    assert_int_equal(msiz_scale_of(&a, &s), MSIZ_OK);
    assert_true(s.percentile == 100 && s.vmax == 9 && s.clipped == 0);
    for (int i = 0; i < 9; i++)
        sum[i] = 0;
    assert_int_equal(msiz_scale_of(&a, &s), MSIZ_OK); /* all zero: one colour, no division */
    assert_int_equal(msiz_scale_index(&s, 0), 0);
    sum[0] = -4, sum[1] = 4;
    assert_int_equal(msiz_scale_of(&a, &s), MSIZ_OK);
    assert_true(s.vmin == -4 && s.vmax == 4);
    assert_int_equal(msiz_scale_index(&s, -4), 0);
    assert_int_equal(msiz_scale_index(&s, 4), 255);
}

/* ---- peaks ---- */

static void expect_peaks(const double *a, uint64_t n, size_t want, const uint64_t *bins,
                         size_t count)
{
    uint64_t got[16];
    size_t found = 99;
    assert_int_equal(msiz_top_peaks(a, n, want, got, &found), MSIZ_OK);
    assert_int_equal(found, count);
    for (size_t i = 0; i < count; i++)
        assert_int_equal(got[i], bins[i]);
}

static void test_peaks(void **state)
{
    (void)state;
    /* one profile peak with a noisy shoulder (bin 6) that does not dip below half: one peak */
    double shoulder[] = {0, 1, 3, 7, 10, 8, 8.5, 6, 2, 0};
    expect_peaks(shoulder, 10, 5, (uint64_t[]){4}, 1);
    /* two peaks with a dip below half of the lower one between them */
    double two[] = {0, 5, 9, 5, 1.9, 4, 1, 0};
    expect_peaks(two, 8, 5, (uint64_t[]){2, 5}, 2);
    /* the same with a dip to exactly half: one hill */
    double one[] = {0, 5, 9, 5, 2, 4, 1, 0};
    expect_peaks(one, 8, 5, (uint64_t[]){2}, 1);
    /* plateau: its first bin; equal separate peaks: by bin */
    double plateau[] = {0, 3, 3, 3, 0, 3, 0};
    expect_peaks(plateau, 7, 5, (uint64_t[]){1, 5}, 2);
    /* ends count, zeros never do, the limit applies */
    double ends[] = {4, 1, 0, 0, 2, 0, 6};
    expect_peaks(ends, 7, 2, (uint64_t[]){6, 0}, 2);
    double zeros[] = {0, 0, 0};
    expect_peaks(zeros, 3, 4, NULL, 0);
    double single[] = {2};
    expect_peaks(single, 1, 4, (uint64_t[]){0}, 1);
    expect_peaks(single, 1, 0, NULL, 0);
    /* centroid-like spectrum: isolated bins are all peaks, highest first */
    double sparse[] = {0, 2, 0, 0, 7, 0, 5, 0, 0, 7};
    expect_peaks(sparse, 10, 3, (uint64_t[]){4, 9, 6}, 3);
    assert_true(msiz_bin_width((double[]){1, 2, 4}, 3, 1) == 1.5);
    assert_true(msiz_bin_width((double[]){1, 2, 4}, 3, 2) == 2);
    assert_true(msiz_bin_width((double[]){1}, 1, 0) == 0);
}

/* 10^6 bins: the plot stays small and the tallest narrow peak is drawn at full height. */
static void test_spectrum_plot(void **state)
{
    (void)state;
    enum { N = 1000000 };
    double *x = malloc(N * sizeof *x), *y = malloc(N * sizeof *y);
    for (int i = 0; i < N; i++) {
        x[i] = 100 + i * 0.001;
        y[i] = 1 + (i % 7) * 0.01;
    }
    y[123457] = 50; /* one bin wide */
    uint64_t peaks[1] = {123457};
    msiz_text t = {0};
    assert_int_equal(msiz_spectrum_svg(x, y, N, peaks, 1, &t), MSIZ_OK);
    assert_true(t.len < 120000);
    assert_non_null(strstr(t.data, ">m/z</text>"));
    assert_non_null(strstr(t.data, ">mean intensity</text>"));
    assert_non_null(strstr(t.data, "m/z 223.4570</title>"));
    /* the top of the plot area is y = 22, the peak is at 50 / (50 * 1.06) of its height */
    char top[32];
    snprintf(top, sizeof top, " %.1f", 22 + 248 * (1 - 50 / 53.0));
    assert_non_null(strstr(t.data, top));
    msiz_text_free(&t);
    assert_int_equal(msiz_spectrum_svg(x, y, 0, NULL, 0, &t), MSIZ_OK);
    msiz_text_free(&t);
    free(x);
    free(y);
}

/* ---- whole pages ---- */

/* A table of n_x x n_y pixels where pixel (x, y) is stored unless (x + 2y) % 5 == 4; its TIC is
 * x + 100 y + 1 and bin 2 holds 1000 - x, bin 5 holds y + 1. */
typedef struct synth {
    int32_t n_x, n_y;
    double *tic;
    int64_t *cells;
    uint64_t rows;
    double mz[8], avg[8];
} synth;

static int stored(int32_t x, int32_t y)
{
    return (x + 2 * y) % 5 != 4;
}

static void synth_init(synth *s, int32_t n_x, int32_t n_y)
{
    s->n_x = n_x, s->n_y = n_y;
    s->tic = calloc((size_t)n_x * n_y, sizeof *s->tic);
    s->cells = malloc((size_t)n_x * n_y * sizeof *s->cells);
    s->rows = 0;
    for (int32_t y = 0; y < n_y; y++)
        for (int32_t x = 0; x < n_x; x++)
            if (stored(x, y)) {
                s->tic[(size_t)y * n_x + x] = x + 100.0 * y + 1;
                s->cells[s->rows++] = (int64_t)y * n_x + x;
            }
    double avg[8] = {0, 1, 9, 1, 0, 5, 0, 0};
    for (int j = 0; j < 8; j++)
        s->mz[j] = 500 + j * 0.5, s->avg[j] = avg[j];
}

/* `flood`: that many more distinct warnings, as a run logging one per spectrum would. */
static msiz_status synth_report(const synth *s, const char *html, const char *store, size_t ions,
                                size_t flood)
{
    msiz_report_config cfg = {.ions = ions, .overwrite = 1};
    msiz_report *r = NULL;
    msiz_status st = msiz_report_new(html, store, &cfg, &r);
    if (st < 0)
        return st;
    msiz_report_table t = {.name = "msi_dataset_z0",
                           .n_x = s->n_x,
                           .n_y = s->n_y,
                           .n_z = 1,
                           .tic = s->tic,
                           .cells = s->cells,
                           .n_rows = s->rows,
                           .mz = s->mz,
                           .average = s->avg,
                           .n_bins = 8,
                           .pixel_size_um = 20};
    msiz_report_fact(r, "input", "%s", "synthetic <table>");
    msiz_report_warning(r, "a warning");
    msiz_report_warning(r, "a warning");
    for (size_t i = 0; i < flood; i++) {
        char text[64];
        snprintf(text, sizeof text, "spectrum %zu: something", i);
        msiz_report_warning(r, text);
    }
    msiz_report_check(r, "passed", "grid", "fine");
    st = msiz_report_table_begin(r, &t);
    for (uint64_t i = 0; st == MSIZ_OK && i < s->rows; i++) {
        int32_t x = (int32_t)(s->cells[i] % s->n_x), y = (int32_t)(s->cells[i] / s->n_x);
        msiz_report_ion_add(r, msiz_report_ion_of(r, 2), i, 1000 - x);
        msiz_report_ion_add(r, msiz_report_ion_of(r, 5), i, y + 1);
        msiz_report_ion_add(r, msiz_report_ion_of(r, 3), i, 1); /* not an ion: ignored */
    }
    if (st == MSIZ_OK)
        st = msiz_report_table_end(r);
    if (st == MSIZ_OK)
        st = msiz_report_write(r);
    if (st == MSIZ_OK)
        st = msiz_report_commit(r);
    msiz_report_free(r);
    return st;
}

static void synth_free(synth *s)
{
    free(s->tic);
    free(s->cells);
}

/* The mean of the stored values of f over the block of image cell (cx, cy). */
static double block_mean(const synth *s, int32_t block, int32_t cx, int32_t cy,
                         double (*f)(const synth *, int32_t, int32_t), int *any)
{
    double sum = 0;
    int n = 0;
    for (int32_t y = cy * block; y < (cy + 1) * block && y < s->n_y; y++)
        for (int32_t x = cx * block; x < (cx + 1) * block && x < s->n_x; x++)
            if (stored(x, y))
                sum += f(s, x, y), n++;
    *any = n > 0;
    return n ? sum / n : 0;
}

static double tic_of(const synth *s, int32_t x, int32_t y)
{
    return s->tic[(size_t)y * s->n_x + x];
}

static double ion_of(const synth *s, int32_t x, int32_t y)
{
    (void)s, (void)y;
    return 1000 - x;
}

/* Every PNG pixel has the colour of its block's mean on the stated scale, grey where the block
 * holds no stored pixel. */
static void check_image(const char *html, const char *kind, int k, const synth *s,
                        double (*f)(const synth *, int32_t, int32_t))
{
    char attr[64];
    image img = find_image(html, kind, k);
    find_attr(html, kind, k, "data-block", attr, sizeof attr);
    int32_t block = (int32_t)strtol(attr, NULL, 10);
    find_attr(html, kind, k, "data-zoom", attr, sizeof attr);
    int32_t zoom = (int32_t)strtol(attr, NULL, 10);
    msiz_scale sc = {0};
    find_attr(html, kind, k, "data-vmin", attr, sizeof attr);
    sc.vmin = strtod(attr, NULL);
    find_attr(html, kind, k, "data-vmax", attr, sizeof attr);
    sc.vmax = strtod(attr, NULL);
    int32_t w = (s->n_x + block - 1) / block, h = (s->n_y + block - 1) / block;
    assert_int_equal(img.w, (uint32_t)(w * zoom));
    assert_int_equal(img.h, (uint32_t)(h * zoom));
    for (uint32_t py = 0; py < img.h; py++)
        for (uint32_t px = 0; px < img.w; px++) {
            int any = 0;
            double mean = block_mean(s, block, (int32_t)px / zoom, (int32_t)py / zoom, f, &any);
            const unsigned char *got = img.rgb + ((size_t)py * img.w + px) * 3;
            int want = any ? msiz_scale_index(&sc, mean) : -1; /* the table repeats 2 colours */
            if (want >= 0 ? memcmp(got, msiz_viridis[want], 3) != 0 : color_index(got) != -1)
                fail_msg("%s %d: pixel (%u, %u) of %u x %u (block %d zoom %d): colour %d, mean "
                         "%.17g gives %d",
                         kind, k, px, py, img.w, img.h, block, zoom, color_index(got), mean, want);
        }
    free(img.rgb);
}

static void test_page_small_and_large(void **state)
{
    (void)state;
    static const int32_t sizes[][2] = {{3, 2}, {40, 25}, {2100, 7}};
    for (size_t i = 0; i < 3; i++) {
        synth s;
        synth_init(&s, sizes[i][0], sizes[i][1]);
        char html[256], store[256];
        snprintf(html, sizeof html, "%s/page%zu.html", g_dir, i);
        snprintf(store, sizeof store, "%s/run.zarr", g_dir);
        assert_int_equal(synth_report(&s, html, store, 12, 0), MSIZ_OK);
        char *text = read_text(html);
        assert_non_null(strstr(text, "synthetic &lt;table&gt;"));
        assert_non_null(strstr(text, "<tr><td>2</td><td>a warning</td></tr>"));
        assert_non_null(strstr(text, "sd.read_zarr(&quot;"));
        assert_null(strstr(text, "<script"));
        assert_null(strstr(text, "http://")); /* nothing to fetch */
        assert_null(strstr(text, "https://"));
        check_image(text, "tic", 0, &s, tic_of);
        check_image(text, "ion", 0, &s, ion_of); /* the highest peak: bin 2 */
        char mz[64];
        find_attr(text, "ion", 1, "data-bin", mz, sizeof mz);
        assert_string_equal(mz, "5");
        find_attr(text, "ion", 0, "data-mz", mz, sizeof mz);
        assert_true(strtod(mz, NULL) == s.mz[2]);
        assert_null(strstr(text, "data-rank=\"3\""));
        if (i == 2)
            assert_non_null(strstr(text, "downsampled: each image pixel is the mean"));
        free(text);
        synth_free(&s);
    }
}

/* A flood of distinct warnings is listed up to a cap and counted beyond it, never a failure. */
static void test_page_warning_flood(void **state)
{
    (void)state;
    synth s;
    synth_init(&s, 3, 2);
    char html[256], store[256];
    snprintf(html, sizeof html, "%s/flood.html", g_dir);
    snprintf(store, sizeof store, "%s/run.zarr", g_dir);
    assert_int_equal(synth_report(&s, html, store, 0, 1004), MSIZ_OK);
    char *text = read_text(html);
    assert_non_null(strstr(text, "<tr><td>2</td><td>a warning</td></tr>"));
    assert_non_null(strstr(text, "spectrum 998: something"));
    assert_null(strstr(text, "spectrum 999: something"));
    assert_non_null(strstr(text, "And 5 more warnings, not listed"));
    free(text);
    synth_free(&s);
}

static void test_page_paths(void **state)
{
    (void)state;
    synth s;
    synth_init(&s, 4, 4);
    char html[256], store[256], inside[300];
    snprintf(store, sizeof store, "%s/run.zarr", g_dir);
    snprintf(inside, sizeof inside, "%s/report.html", store);
    snprintf(html, sizeof html, "%s/exists.html", g_dir);
    assert_int_equal(msiz_write_file(html, "x", 1), MSIZ_OK);
    msiz_report_config cfg = {.ions = 3};
    msiz_report *r = NULL;
    assert_int_equal(msiz_report_new(html, store, &cfg, &r), MSIZ_E_EXISTS);
    assert_int_equal(msiz_report_new(store, store, &cfg, &r), MSIZ_E_ARG);
    assert_int_equal(msiz_mkdir_p(store), MSIZ_OK);
    assert_int_equal(msiz_report_new(inside, store, &cfg, &r), MSIZ_E_ARG);
    assert_int_equal(msiz_report_new(g_dir, store, &cfg, &r), MSIZ_E_ARG);
    cfg.ions = MSIZ_REPORT_MAX_IONS + 1;
    snprintf(html, sizeof html, "%s/new.html", g_dir);
    assert_int_equal(msiz_report_new(html, store, &cfg, &r), MSIZ_E_ARG);
    assert_null(r);
    /* not committed: nothing is left behind */
    cfg.ions = 3;
    assert_int_equal(msiz_report_new(html, store, &cfg, &r), MSIZ_OK);
    assert_int_equal(msiz_report_write(r), MSIZ_OK);
    msiz_report_free(r);
    assert_false(msiz_path_exists(html));
    assert_int_equal(synth_report(&s, html, store, 0, 0), MSIZ_OK); /* no ion images */
    char *text = read_text(html);
    assert_null(strstr(text, "data-kind=\"ion\""));
    free(text);
    synth_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_png_roundtrip), cmocka_unit_test(test_viridis),
        cmocka_unit_test(test_text),          cmocka_unit_test(test_view_plan),
        cmocka_unit_test(test_scale),         cmocka_unit_test(test_peaks),
        cmocka_unit_test(test_spectrum_plot), cmocka_unit_test(test_page_small_and_large),
        cmocka_unit_test(test_page_warning_flood),
        cmocka_unit_test(test_page_paths),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
