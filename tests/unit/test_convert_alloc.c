/* A failed JSON allocation anywhere in a conversion ends in MSIZ_E_NOMEM with nothing left at
 * the output, or in a store identical to the one written without failures: never in a store
 * that silently lacks an attribute or a metadata key (issue 10 item 6; store_table.c once wrote
 * a group without attributes when json_pack failed, and a non-UTF-8 input path read "out of
 * memory").
 *
 * jansson's allocations go through a hook that, in a first conversion, records the call site in
 * msizarr of each one (the first stack frame outside jansson); then, for every distinct call
 * site, a conversion runs in which the first (and the last) allocation made there fails. So
 * every jansson call of the conversion path fails once, in a few hundred conversions instead of
 * the tens of thousands an allocation-by-allocation loop would need. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <dlfcn.h>
#include <execinfo.h>
#include <ftw.h>
#include <jansson.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/fs.h"
#include "msizarr/convert.h"

#define MAX_FILES 512

typedef struct tree {
    int n;
    char *path[MAX_FILES]; /* relative to the store */
    char *text[MAX_FILES]; /* content without the conversion_timestamp line */
    size_t len[MAX_FILES];
} tree;

static tree *g_tree; /* nftw has no user pointer */
static size_t g_root_len;

#define MAX_ALLOCS 400000

static atomic_long g_count; /* jansson allocations so far in this conversion */
static long g_fail_at = -1; /* the allocation that fails (-1: none) */
static uintptr_t *g_site;   /* recording: call site of each allocation (NULL: off) */

/* The first return address outside this hook and outside libjansson: the jansson call in
 * msizarr that led to this allocation. */
static uintptr_t call_site(void)
{
    void *frames[48];
    int n = backtrace(frames, 48), in_jansson = 0;
    for (int i = 0; i < n; i++) {
        Dl_info info;
        int here =
            dladdr(frames[i], &info) && info.dli_fname && strstr(info.dli_fname, "libjansson");
        if (here)
            in_jansson = 1;
        else if (in_jansson) /* the hook's own frames come before jansson's */
            return (uintptr_t)frames[i];
    }
    return 0;
}

static void *json_alloc(size_t size)
{
    long i = atomic_fetch_add(&g_count, 1);
    if (g_site && i < MAX_ALLOCS)
        g_site[i] = call_site();
    return i == g_fail_at ? NULL : malloc(size);
}

/* The file's bytes with any line holding "conversion_timestamp" removed (the one value that
 * differs between two conversions). */
static char *read_stripped(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)size + 1);
    assert_int_equal(fread(buf, 1, (size_t)size, f), (size_t)size);
    fclose(f);
    buf[size] = '\0';
    char *ts;
    while ((ts = memmem(buf, (size_t)size, "\"conversion_timestamp\"", 22)) != NULL) {
        char *start = ts, *end = ts;
        while (start > buf && start[-1] != '\n')
            start--;
        while (end < buf + size && *end != '\n')
            end++;
        memmove(start, end, (size_t)(buf + size - end));
        size -= end - start;
    }
    *len = (size_t)size;
    return buf;
}

static int visit(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    if (type != FTW_F)
        return 0;
    assert_true(g_tree->n < MAX_FILES);
    int i = g_tree->n++;
    g_tree->path[i] = strdup(path + g_root_len);
    g_tree->text[i] = read_stripped(path, &g_tree->len[i]);
    return 0;
}

static int by_path(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void load_tree(const char *root, tree *t)
{
    memset(t, 0, sizeof *t);
    g_tree = t;
    g_root_len = strlen(root);
    assert_int_equal(nftw(root, visit, 16, FTW_PHYS), 0);
    /* sort path and content together: sort indices by path */
    int order[MAX_FILES];
    for (int i = 0; i < t->n; i++)
        order[i] = i;
    for (int i = 1; i < t->n; i++) /* insertion sort: a few hundred files */
        for (int j = i; j > 0 && by_path(&t->path[order[j - 1]], &t->path[order[j]]) > 0; j--) {
            int k = order[j];
            order[j] = order[j - 1];
            order[j - 1] = k;
        }
    tree sorted = *t;
    for (int i = 0; i < t->n; i++) {
        t->path[i] = sorted.path[order[i]];
        t->text[i] = sorted.text[order[i]];
        t->len[i] = sorted.len[order[i]];
    }
}

static void free_tree(tree *t)
{
    for (int i = 0; i < t->n; i++) {
        free(t->path[i]);
        free(t->text[i]);
    }
    t->n = 0;
}

static void assert_same_tree(const tree *a, const tree *b, long n)
{
    if (a->n != b->n)
        fail_msg("allocation %ld failed: %d files instead of %d", n, b->n, a->n);
    for (int i = 0; i < a->n; i++) {
        if (strcmp(a->path[i], b->path[i]) != 0)
            fail_msg("allocation %ld failed: %s instead of %s", n, b->path[i], a->path[i]);
        if (a->len[i] != b->len[i] || memcmp(a->text[i], b->text[i], a->len[i]) != 0)
            fail_msg("allocation %ld failed, yet the conversion succeeded with a different %s", n,
                     a->path[i]);
    }
}

/* Entries in the folder (the reference store only, once a failed run cleaned up). */
static int entries(const char *dir)
{
    int k = 0;
    DIR *d = opendir(dir);
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        k += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return k;
}

typedef struct site_alloc {
    uintptr_t site;
    long index;
} site_alloc;

static int by_site(const void *a, const void *b)
{
    const site_alloc *x = a, *y = b;
    if (x->site != y->site)
        return x->site < y->site ? -1 : 1;
    return (x->index > y->index) - (x->index < y->index);
}

static int by_value(const void *a, const void *b)
{
    long x = *(const long *)a, y = *(const long *)b;
    return (x > y) - (x < y);
}

/* Allocation indices to fail: the first and the last made at each call site, ascending. */
static long *indices_to_fail(long n_allocs, long *n_out)
{
    site_alloc *v = malloc(sizeof *v * (size_t)n_allocs);
    long *out = malloc(sizeof *out * (size_t)(2 * n_allocs + 1));
    for (long i = 0; i < n_allocs; i++)
        v[i] = (site_alloc){g_site[i], i};
    qsort(v, (size_t)n_allocs, sizeof *v, by_site);
    long n = 0;
    for (long i = 0; i < n_allocs; i++) {
        int first = i == 0 || v[i - 1].site != v[i].site;
        int last = i == n_allocs - 1 || v[i + 1].site != v[i].site;
        if (first || last)
            out[n++] = v[i].index;
    }
    qsort(out, (size_t)n, sizeof *out, by_value);
    free(v);
    *n_out = n;
    return out;
}

/* With `report` set, the QC page goes to a file beside the stores: then 2 entries there. */
static void run_failures(const char *input, const msiz_convert_opts *o, int report)
{
    /* a memory file system when there is one: hundreds of small stores are written */
    char base[64];
    snprintf(base, sizeof base, "%s/msiz_convert_alloc_XXXXXX",
             access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
    assert_non_null(mkdtemp(base));
    char ref[128], out[128];
    snprintf(ref, sizeof ref, "%s/ref.zarr", base);
    snprintf(out, sizeof out, "%s/out.zarr", base);
    char page[128];
    snprintf(page, sizeof page, "%s/qc.html", base);
    msiz_convert_opts opts = *o;
    opts.temp_dir = base;
    opts.report = report ? page : NULL;
    opts.overwrite = report; /* the page is replaced by each run */
    msiz_convert_summary sum;
    msiz_convert_summary_init(&sum);
    g_site = calloc(MAX_ALLOCS, sizeof *g_site);
    atomic_store(&g_count, 0);
    assert_int_equal(msiz_convert(input, ref, &opts, &sum), MSIZ_OK);
    long n_allocs = atomic_load(&g_count);
    assert_true(n_allocs > 100 && n_allocs < MAX_ALLOCS);
    long n_fail;
    long *fail = indices_to_fail(n_allocs, &n_fail);
    free(g_site);
    g_site = NULL;
    tree want, got;
    load_tree(ref, &want);
    assert_true(want.n > 20);
    long failed = 0;
    for (long k = 0; k < n_fail; k++) {
        g_fail_at = fail[k];
        atomic_store(&g_count, 0);
        msiz_status st = msiz_convert(input, out, &opts, &sum);
        g_fail_at = -1;
        if (st == MSIZ_OK) {
            load_tree(out, &got);
            assert_same_tree(&want, &got, fail[k]);
            free_tree(&got);
            assert_int_equal(msiz_remove_tree(out), MSIZ_OK);
        } else if (st != MSIZ_E_NOMEM) {
            fail_msg("JSON allocation %ld failed: status %d (%s), not MSIZ_E_NOMEM", fail[k],
                     (int)st, msiz_last_error());
        } else {
            failed++;
        }
        if (entries(base) != 1 + report)
            fail_msg("JSON allocation %ld failed: files were left beside the output", fail[k]);
    }
    print_message("%s: %ld JSON allocations, %ld of them failed in turn (%ld conversions "
                  "stopped with MSIZ_E_NOMEM)\n",
                  input, n_allocs, n_fail, failed);
    assert_true(failed > 0);
    free(fail);
    free_tree(&want);
    assert_int_equal(msiz_remove_tree(base), MSIZ_OK);
}

static void data_path(char *buf, size_t size, const char *rel)
{
    snprintf(buf, size, "%s/%s", getenv("MSIZ_TEST_DATA"), rel);
}

/* Few bins and one thread: the store's layout is complete, the conversion quick. */
static void small_opts(msiz_convert_opts *o)
{
    msiz_convert_opts_init(o);
    o->threads = 1;
    o->request.bins = 100;
}

static void test_imzml_json_failures(void **state)
{
    (void)state;
    char input[512];
    data_path(input, sizeof input, "imzy_simple_imzml/simple_imzml.imzML");
    msiz_convert_opts o;
    small_opts(&o);
    o.has_pixel_size = 1; /* the file's pixel size has no unit: a warning otherwise */
    o.pixel_size_um = 25;
    o.handle_3d = 1; /* z spacing in the root attributes */
    run_failures(input, &o, 0);
}

static void test_bruker_json_failures(void **state)
{
    (void)state;
    char input[512];
    data_path(input, sizeof input, "imzy_example_tsf/example_tsf.d");
    msiz_convert_opts o;
    small_opts(&o);
    o.sparse_format = MSIZ_SPARSE_CSR;
    o.zarr_format = 2;
    run_failures(input, &o, 1); /* and the QC page, built from JSON too */
}

int main(void)
{
    void *warm[4];
    backtrace(warm, 4); /* loads the unwinder before any allocation is recorded */
    json_set_alloc_funcs(json_alloc, free);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_imzml_json_failures),
        cmocka_unit_test(test_bruker_json_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
