/* The floor of docs/benchmarks.md: the least any converter writing our store must do. It reads
 * the input once and compresses exactly the bytes of the output's X arrays (data and indices)
 * with the same codec, level and chunking, on all cores.
 *
 *   bench_floor prepare ARRAY_DIR RAW_FILE
 *       decodes the zstd chunks of a 1-D Zarr array (v3 keys c/0, c/1, ...; v2 keys 0, 1, ...)
 *       into RAW_FILE, each chunk whole (the last one with its fill), and prints
 *       "chunk_bytes=N chunks=K". Not timed: it only recovers the bytes to compress.
 *   bench_floor run [-t THREADS] [-l LEVEL] [-r INPUT]... RAW_FILE:CHUNK_BYTES[:LEVEL]...
 *       reads every INPUT once (4 MiB reads, one thread, as cat does), then compresses each
 *       CHUNK_BYTES chunk of the RAW_FILEs with ZSTD_compressCCtx at the file's LEVEL (else
 *       -l's, default 0) on THREADS threads
 *       (default: one per core), discarding the output; prints the seconds of both phases and
 *       the compressed size. Time it from outside (/usr/bin/time) like the converters.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zstd.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void *read_whole(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    struct stat st;
    void *buf = fstat(fileno(f), &st) == 0 ? malloc((size_t)st.st_size + 1) : NULL;
    if (buf && fread(buf, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
        free(buf);
        buf = NULL;
    }
    *n = (size_t)st.st_size;
    fclose(f);
    return buf;
}

static int prepare(const char *dir, const char *raw_path)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/zarr.json", dir);
    int v3 = access(path, F_OK) == 0;
    FILE *out = fopen(raw_path, "wb");
    if (!out) {
        fprintf(stderr, "bench_floor: %s: %s\n", raw_path, strerror(errno));
        return 1;
    }
    unsigned long long chunks = 0, chunk_bytes = 0;
    int rc = 0;
    for (;; chunks++) {
        snprintf(path, sizeof path, v3 ? "%s/c/%llu" : "%s/%llu", dir, chunks);
        size_t n;
        void *comp = read_whole(path, &n);
        if (!comp)
            break;
        unsigned long long size = ZSTD_getFrameContentSize(comp, n);
        void *dec = size < (1ull << 34) ? malloc(size ? size : 1) : NULL;
        size_t got = dec ? ZSTD_decompress(dec, size, comp, n) : 0;
        if (!dec || ZSTD_isError(got) || got != size || fwrite(dec, 1, got, out) != got) {
            fprintf(stderr, "bench_floor: %s: not a zstd chunk with its size, or write failed\n",
                    path);
            rc = 1;
        }
        chunk_bytes = chunks == 0 ? size : chunk_bytes;
        free(comp);
        free(dec);
        if (rc)
            break;
    }
    if (fclose(out) != 0 || chunks == 0)
        rc = 1;
    if (rc == 0)
        printf("chunk_bytes=%llu chunks=%llu\n", chunk_bytes, chunks);
    else
        fprintf(stderr, "bench_floor: %s: no chunks decoded\n", dir);
    return rc;
}

/* ---- run ---- */

typedef struct job_list {
    int fds[16];
    size_t chunk[16];
    int levels[16];
    uint64_t first[17]; /* first global chunk index of each raw file; first[n] = total */
    int n;
    int level;
    atomic_uint_fast64_t next;
    atomic_uint_fast64_t compressed;
    atomic_int failed;
} job_list;

static void *compress_worker(void *arg)
{
    job_list *j = arg;
    size_t cap = 0;
    for (int i = 0; i < j->n; i++)
        cap = j->chunk[i] > cap ? j->chunk[i] : cap;
    void *src = malloc(cap), *dst = malloc(ZSTD_compressBound(cap));
    ZSTD_CCtx *cctx = ZSTD_createCCtx();
    if (!src || !dst || !cctx)
        atomic_store(&j->failed, 1);
    for (uint64_t k;
         !atomic_load(&j->failed) && (k = atomic_fetch_add(&j->next, 1)) < j->first[j->n];) {
        int f = 0;
        while (k >= j->first[f + 1])
            f++;
        size_t len = j->chunk[f];
        ssize_t got = pread(j->fds[f], src, len, (off_t)((k - j->first[f]) * len));
        size_t r = got > 0 ? ZSTD_compressCCtx(cctx, dst, ZSTD_compressBound(len), src, (size_t)got,
                                               j->levels[f])
                           : 0;
        if (got <= 0 || ZSTD_isError(r))
            atomic_store(&j->failed, 1);
        else
            atomic_fetch_add(&j->compressed, r);
    }
    ZSTD_freeCCtx(cctx);
    free(src);
    free(dst);
    return NULL;
}

static int read_inputs(char **inputs, int n)
{
    size_t cap = (size_t)4 << 20;
    char *buf = malloc(cap);
    int rc = buf ? 0 : 1;
    for (int i = 0; i < n && rc == 0; i++) {
        int fd = open(inputs[i], O_RDONLY);
        ssize_t got = 0;
        while (fd >= 0 && (got = read(fd, buf, cap)) > 0)
            ;
        if (fd < 0 || got < 0) {
            fprintf(stderr, "bench_floor: %s: %s\n", inputs[i], strerror(errno));
            rc = 1;
        }
        if (fd >= 0)
            close(fd);
    }
    free(buf);
    return rc;
}

static int run(int argc, char **argv)
{
    static job_list j; /* static: the atomics start at 0 */
    char *inputs[64];
    int n_inputs = 0, threads = (int)sysconf(_SC_NPROCESSORS_ONLN), opt;
    j.level = 0;
    while ((opt = getopt(argc, argv, "t:l:r:")) != -1) {
        if (opt == 't')
            threads = (int)strtol(optarg, NULL, 10);
        else if (opt == 'l')
            j.level = (int)strtol(optarg, NULL, 10);
        else if (opt == 'r' && n_inputs < 64)
            inputs[n_inputs++] = optarg;
        else
            return 2;
    }
    for (int a = optind; a < argc && j.n < 16; a++, j.n++) {
        char *colon = strchr(argv[a], ':'), *end;
        if (!colon)
            return 2;
        *colon = '\0';
        j.chunk[j.n] = (size_t)strtoull(colon + 1, &end, 10);
        j.levels[j.n] = *end == ':' ? (int)strtol(end + 1, NULL, 10) : j.level;
        j.fds[j.n] = open(argv[a], O_RDONLY);
        struct stat st;
        if (j.fds[j.n] < 0 || fstat(j.fds[j.n], &st) != 0 || j.chunk[j.n] == 0) {
            fprintf(stderr, "bench_floor: %s: %s\n", argv[a], strerror(errno));
            return 1;
        }
        j.first[j.n + 1] = j.first[j.n] + ((uint64_t)st.st_size + j.chunk[j.n] - 1) / j.chunk[j.n];
    }
    threads = threads < 1 ? 1 : threads > 256 ? 256 : threads;
    double t0 = now();
    if (read_inputs(inputs, n_inputs) != 0)
        return 1;
    double t1 = now();
    pthread_t tid[256];
    int started = 0;
    while (started < threads && pthread_create(&tid[started], NULL, compress_worker, &j) == 0)
        started++;
    for (int i = 0; i < started; i++)
        pthread_join(tid[i], NULL);
    double t2 = now();
    if (started == 0 || atomic_load(&j.failed)) {
        fprintf(stderr, "bench_floor: compression failed\n");
        return 1;
    }
    printf("read_s=%.3f compress_s=%.3f chunks=%llu compressed_bytes=%llu threads=%d\n", t1 - t0,
           t2 - t1, (unsigned long long)j.first[j.n],
           (unsigned long long)atomic_load(&j.compressed), started);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "prepare") == 0)
        return prepare(argv[2], argv[3]);
    if (argc >= 3 && strcmp(argv[1], "run") == 0)
        return run(argc - 1, argv + 1);
    fprintf(stderr, "usage: bench_floor prepare ARRAY_DIR RAW_FILE\n"
                    "       bench_floor run [-t THREADS] [-l LEVEL] [-r INPUT]... "
                    "RAW_FILE:CHUNK_BYTES[:LEVEL]...\n");
    return 2;
}
