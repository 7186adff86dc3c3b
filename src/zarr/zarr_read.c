/* Zarr reader: store handle, node metadata (v3 zarr.json, v2 .zarray/.zgroup/.zattrs),
 * attributes and child listing. Chunks are in zarr_read_chunk.c, codecs in zarr_decode.c. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/json_text.h"
#include "io/fs.h"
#include "zarr/zarr_read_internal.h"

/* ---- files ---- */

msiz_status msiz_zarr_read_join(const msiz_zarr_reader *r, const char *path, const char *leaf,
                                char *out, size_t size)
{
    int n = snprintf(out, size, "%s%s%s%s%s", r->root, *path ? "/" : "", path, leaf ? "/" : "",
                     leaf ? leaf : "");
    if (n < 0 || (size_t)n >= size)
        return msiz_fail(MSIZ_E_LIMIT, "%s: path '%s' is too long", r->root, path);
    return MSIZ_OK;
}

msiz_status msiz_zarr_read_file(const char *file, size_t cap, unsigned char **out, size_t *len)
{
    msiz_status status = MSIZ_OK;
    unsigned char *buf = NULL;
    struct stat st;
    *out = NULL;
    int fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT || errno == ENOTDIR
                   ? msiz_fail(MSIZ_E_NOTFOUND, "%s: not found", file)
                   : msiz_fail(MSIZ_E_IO, "%s: cannot open: %s", file, strerror(errno));
    MSIZ_FAIL_IF(fstat(fd, &st) != 0 || !S_ISREG(st.st_mode), MSIZ_E_FORMAT,
                 "%s: not a regular file", file);
    MSIZ_FAIL_IF((uint64_t)st.st_size > cap, MSIZ_E_LIMIT, "%s: %lld bytes exceed the %zu read",
                 file, (long long)st.st_size, cap);
    buf = msiz_malloc((size_t)st.st_size + 1);
    MSIZ_FAIL_IF(!buf, MSIZ_E_NOMEM, "%s: out of memory for %lld bytes", file,
                 (long long)st.st_size);
    MSIZ_TRY(msiz_pread_full(fd, file, buf, (size_t)st.st_size, 0));
    buf[st.st_size] = '\0';
    *len = (size_t)st.st_size;
    *out = buf;
    buf = NULL;
cleanup:
    close(fd);
    msiz_free(buf);
    return status;
}

/* Parses a JSON document; missing: MSIZ_E_NOTFOUND. */
static msiz_status load_json(const char *file, json_t **out)
{
    unsigned char *text = NULL;
    size_t len = 0;
    *out = NULL;
    msiz_status status = msiz_zarr_read_file(file, ZARR_READ_MAX_JSON, &text, &len);
    if (status < 0)
        return status;
    json_error_t err;
    *out = json_loadb((const char *)text, len, JSON_DECODE_ANY, &err);
    msiz_free(text);
    if (!*out && msiz_json_load_nomem(&err))
        return msiz_fail(MSIZ_E_NOMEM, "%s: out of memory reading the JSON", file);
    if (!*out)
        return msiz_fail(MSIZ_E_FORMAT, "%s: invalid JSON at line %d: %s", file, err.line,
                         err.text);
    return MSIZ_OK;
}

static int is_file(const char *file)
{
    struct stat st;
    return stat(file, &st) == 0 && S_ISREG(st.st_mode);
}

/* ".." or "." components would leave the store. */
static msiz_status check_rel_path(const msiz_zarr_reader *r, const char *path)
{
    const char *c = path;
    while (*c) {
        size_t n = strcspn(c, "/");
        if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
            return msiz_fail(MSIZ_E_ARG, "%s: invalid node path '%s'", r->root, path);
        c += n;
        if (*c == '/')
            c++;
    }
    return MSIZ_OK;
}

/* ---- the store ---- */

msiz_status msiz_zarr_reader_open(const char *root, int format, msiz_zarr_reader **out)
{
    char file[ZARR_PATH_MAX];
    *out = NULL;
    msiz_zarr_reader probe = {(char *)root, format};
    if (format != 0 && format != 2 && format != 3)
        return msiz_fail(MSIZ_E_ARG, "%s: zarr format must be 2 or 3, not %d", root, format);
    if (format == 0) {
        msiz_status status = msiz_zarr_read_join(&probe, "", "zarr.json", file, sizeof file);
        if (status < 0)
            return status;
        if (is_file(file)) {
            format = 3;
        } else {
            status = msiz_zarr_read_join(&probe, "", ".zgroup", file, sizeof file);
            if (status < 0)
                return status;
            if (!is_file(file))
                return msiz_fail(MSIZ_E_NOTFOUND,
                                 "%s: not a Zarr store (no zarr.json or .zgroup at its root)",
                                 root);
            format = 2;
        }
    }
    msiz_zarr_reader *r = msiz_calloc(1, sizeof *r);
    if (!r || !(r->root = msiz_strdup(root))) {
        msiz_free(r);
        return msiz_fail(MSIZ_E_NOMEM, "%s: out of memory", root);
    }
    r->format = format;
    *out = r;
    return MSIZ_OK;
}

void msiz_zarr_reader_close(msiz_zarr_reader *r)
{
    if (!r)
        return;
    msiz_free(r->root);
    msiz_free(r);
}

int msiz_zarr_reader_format(const msiz_zarr_reader *r)
{
    return r->format;
}

const char *msiz_zarr_reader_root(const msiz_zarr_reader *r)
{
    return r->root;
}

/* *kind: 1 group, 2 array, 0 neither (a missing or unreadable document is no node); errors
 * only for memory and I/O failures. */
static msiz_status node_kind(const msiz_zarr_reader *r, const char *path, int *kind)
{
    char file[ZARR_PATH_MAX];
    *kind = 0;
    if (check_rel_path(r, path) < 0)
        return MSIZ_OK;
    if (r->format == 2) {
        msiz_status status = msiz_zarr_read_join(r, path, ".zarray", file, sizeof file);
        if (status == MSIZ_OK && is_file(file)) {
            *kind = 2;
            return MSIZ_OK;
        }
        if (status == MSIZ_OK)
            status = msiz_zarr_read_join(r, path, ".zgroup", file, sizeof file);
        *kind = status == MSIZ_OK && is_file(file);
        return status;
    }
    json_t *doc = NULL;
    msiz_status status = msiz_zarr_read_join(r, path, "zarr.json", file, sizeof file);
    if (status == MSIZ_OK)
        status = load_json(file, &doc);
    if (status == MSIZ_E_NOTFOUND || status == MSIZ_E_FORMAT || status == MSIZ_E_LIMIT) {
        msiz_clear_error();
        return MSIZ_OK;
    }
    const char *type = json_string_value(json_object_get(doc, "node_type"));
    *kind = !type ? 0 : strcmp(type, "array") == 0 ? 2 : strcmp(type, "group") == 0;
    json_decref(doc);
    return status;
}

int msiz_zarr_node_exists(const msiz_zarr_reader *r, const char *path)
{
    int kind = 0;
    if (node_kind(r, path, &kind) < 0)
        msiz_clear_error();
    return kind != 0;
}

msiz_status msiz_zarr_read_attrs(msiz_zarr_reader *r, const char *path, json_t **out)
{
    char file[ZARR_PATH_MAX];
    json_t *doc = NULL;
    *out = NULL;
    msiz_status status = check_rel_path(r, path);
    if (status < 0)
        return status;
    if (r->format == 3) {
        MSIZ_TRY(msiz_zarr_read_join(r, path, "zarr.json", file, sizeof file));
        MSIZ_TRY(load_json(file, &doc));
        json_t *attrs = json_object_get(doc, "attributes");
        MSIZ_FAIL_IF(attrs && !json_is_object(attrs), MSIZ_E_FORMAT,
                     "%s: 'attributes' is not an object", file);
        *out = attrs ? json_incref(attrs) : json_object();
    } else {
        int kind = 0;
        MSIZ_TRY(node_kind(r, path, &kind));
        MSIZ_FAIL_IF(!kind, MSIZ_E_NOTFOUND, "%s: no Zarr node '%s'", r->root, path);
        MSIZ_TRY(msiz_zarr_read_join(r, path, ".zattrs", file, sizeof file));
        status = load_json(file, &doc);
        if (status == MSIZ_E_NOTFOUND) {
            msiz_clear_error();
            status = MSIZ_OK;
            doc = json_object();
        }
        MSIZ_TRY(status);
        MSIZ_FAIL_IF(!json_is_object(doc), MSIZ_E_FORMAT, "%s: not a JSON object", file);
        *out = json_incref(doc);
    }
    MSIZ_FAIL_IF(!*out, MSIZ_E_NOMEM, "out of memory");
cleanup:
    json_decref(doc);
    return status;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Sorted child names (entries that are groups or arrays) as a JSON array. */
static msiz_status sorted_children(msiz_zarr_reader *r, const char *path, DIR *dir, json_t *list)
{
    char child[ZARR_PATH_MAX];
    struct dirent *e;
    while ((e = readdir(dir)) != NULL) {
        if (e->d_name[0] == '.')
            continue; /* ".", "..", hidden files and v2 metadata */
        int kind = 0,
            n = snprintf(child, sizeof child, "%s%s%s", path, *path ? "/" : "", e->d_name);
        if (n < 0 || (size_t)n >= sizeof child)
            continue;
        msiz_status status = node_kind(r, child, &kind);
        if (status < 0)
            return status;
        if (!kind)
            continue;
        if (json_array_append_new(list, json_string(e->d_name)) != 0)
            return msiz_fail(MSIZ_E_NOMEM, "out of memory");
    }
    size_t count = json_array_size(list);
    const char **names = msiz_malloc((count ? count : 1) * sizeof *names);
    if (!names)
        return msiz_fail(MSIZ_E_NOMEM, "out of memory");
    for (size_t i = 0; i < count; i++)
        names[i] = json_string_value(json_array_get(list, i));
    qsort(names, count, sizeof *names, compare_names);
    json_t *sorted = json_array();
    for (size_t i = 0; sorted && i < count; i++)
        json_array_append_new(sorted, json_string(names[i]));
    msiz_free(names);
    if (!sorted || json_array_size(sorted) != count) {
        json_decref(sorted);
        return msiz_fail(MSIZ_E_NOMEM, "out of memory");
    }
    json_array_clear(list);
    json_array_extend(list, sorted);
    json_decref(sorted);
    return MSIZ_OK;
}

msiz_status msiz_zarr_read_children(msiz_zarr_reader *r, const char *path, json_t **out)
{
    char dir_path[ZARR_PATH_MAX];
    *out = NULL;
    msiz_status status = check_rel_path(r, path);
    if (status < 0)
        return status;
    int kind = 0;
    status = node_kind(r, path, &kind);
    if (status < 0)
        return status;
    if (kind != 1)
        return msiz_fail(MSIZ_E_NOTFOUND, "%s: no group '%s'", r->root, path);
    status = msiz_zarr_read_join(r, path, NULL, dir_path, sizeof dir_path);
    if (status < 0)
        return status;
    DIR *dir = opendir(dir_path);
    if (!dir)
        return msiz_fail(MSIZ_E_IO, "%s: cannot list: %s", dir_path, strerror(errno));
    json_t *list = json_array();
    status = list ? sorted_children(r, path, dir, list) : msiz_fail(MSIZ_E_NOMEM, "out of memory");
    closedir(dir);
    if (status < 0) {
        json_decref(list);
        return status;
    }
    *out = list;
    return MSIZ_OK;
}

/* ---- array metadata ---- */

static const struct {
    const char *v3, *v2;
    msiz_dtype dtype;
} k_dtypes[] = {
    {"bool", "|b1", MSIZ_DT_BOOL},      {"int8", "|i1", MSIZ_DT_INT8},
    {"int16", "i2", MSIZ_DT_INT16},     {"int32", "i4", MSIZ_DT_INT32},
    {"int64", "i8", MSIZ_DT_INT64},     {"uint8", "|u1", MSIZ_DT_UINT8},
    {"uint16", "u2", MSIZ_DT_UINT16},   {"uint32", "u4", MSIZ_DT_UINT32},
    {"uint64", "u8", MSIZ_DT_UINT64},   {"float32", "f4", MSIZ_DT_FLOAT32},
    {"float64", "f8", MSIZ_DT_FLOAT64}, {"string", "|O", MSIZ_DT_STRING},
};

#define N_DTYPES (sizeof k_dtypes / sizeof k_dtypes[0])

/* v2 dtype strings: "<i4", ">i4" (multi-byte, with byte order), "|b1", "|u1", "|O". */
static msiz_status dtype_v2(msiz_zarr_rarray *a, const char *s, const char *file)
{
    for (size_t i = 0; s && i < N_DTYPES; i++) {
        const char *name = k_dtypes[i].v2;
        int ordered = name[0] != '|';
        if (ordered ? (s[0] == '<' || s[0] == '>') && strcmp(s + 1, name) == 0
                    : strcmp(s, name) == 0) {
            a->info.dtype = k_dtypes[i].dtype;
            a->big_endian = s[0] == '>';
            return MSIZ_OK;
        }
    }
    return msiz_fail(MSIZ_E_UNSUPPORTED, "%s: data type '%s' is not supported", file,
                     s ? s : "(none)");
}

static msiz_status dtype_v3(msiz_zarr_rarray *a, const char *s, const char *file)
{
    for (size_t i = 0; s && i < N_DTYPES; i++)
        if (strcmp(s, k_dtypes[i].v3) == 0) {
            a->info.dtype = k_dtypes[i].dtype;
            return MSIZ_OK;
        }
    return msiz_fail(MSIZ_E_UNSUPPORTED, "%s: data type '%s' is not supported", file,
                     s ? s : "(none)");
}

static msiz_status read_dims(json_t *list, uint64_t *out, int *ndim, const char *what,
                             const char *file)
{
    if (!json_is_array(list) || json_array_size(list) > MSIZ_ZARR_MAX_DIMS)
        return msiz_fail(MSIZ_E_FORMAT, "%s: '%s' is not a list of at most %d integers", file, what,
                         MSIZ_ZARR_MAX_DIMS);
    for (size_t i = 0; i < json_array_size(list); i++) {
        json_t *v = json_array_get(list, i);
        if (!json_is_integer(v) || json_integer_value(v) < 0)
            return msiz_fail(MSIZ_E_FORMAT, "%s: '%s' holds a value that is not a size", file,
                             what);
        out[i] = (uint64_t)json_integer_value(v);
    }
    *ndim = (int)json_array_size(list);
    return MSIZ_OK;
}

static msiz_status codec_from_name(msiz_zarr_rarray *a, const char *name, const char *file)
{
    if (name && strcmp(name, "zstd") == 0)
        a->info.codec = MSIZ_CODEC_ZSTD;
    else if (name && (strcmp(name, "gzip") == 0 || strcmp(name, "zlib") == 0))
        a->info.codec = MSIZ_CODEC_GZIP; /* one inflate reads both wrappers */
    else if (name && strcmp(name, "blosc") == 0)
        a->info.codec = MSIZ_CODEC_BLOSC_LZ4; /* the blosc header names the real codec */
    else
        return msiz_fail(MSIZ_E_UNSUPPORTED, "%s: codec '%s' is not supported", file,
                         name ? name : "(unnamed)");
    return MSIZ_OK;
}

/* v3 codecs: bytes (or vlen-utf8 for strings), then at most one compressor. */
static msiz_status codecs_v3(msiz_zarr_rarray *a, json_t *codecs, const char *file)
{
    a->info.codec = MSIZ_CODEC_NONE;
    size_t n = json_array_size(codecs);
    const char *first = json_string_value(json_object_get(json_array_get(codecs, 0), "name"));
    int is_string = a->info.dtype == MSIZ_DT_STRING;
    if (n == 0 || n > 2 || !first || strcmp(first, is_string ? "vlen-utf8" : "bytes") != 0)
        return msiz_fail(MSIZ_E_UNSUPPORTED,
                         "%s: codecs other than %s + one compressor are not supported", file,
                         is_string ? "vlen-utf8" : "bytes");
    const char *endian = json_string_value(
        json_object_get(json_object_get(json_array_get(codecs, 0), "configuration"), "endian"));
    a->big_endian = endian && strcmp(endian, "big") == 0;
    if (n == 1)
        return MSIZ_OK;
    return codec_from_name(a, json_string_value(json_object_get(json_array_get(codecs, 1), "name")),
                           file);
}

static msiz_status key_encoding_v3(msiz_zarr_rarray *a, json_t *enc, const char *file)
{
    const char *name = json_string_value(json_object_get(enc, "name"));
    const char *sep =
        json_string_value(json_object_get(json_object_get(enc, "configuration"), "separator"));
    if (!name || (strcmp(name, "default") != 0 && strcmp(name, "v2") != 0))
        return msiz_fail(MSIZ_E_UNSUPPORTED, "%s: chunk key encoding '%s' is not supported", file,
                         name ? name : "(none)");
    a->key_prefix_c = strcmp(name, "default") == 0;
    a->key_sep = sep ? sep[0] : a->key_prefix_c ? '/' : '.';
    if ((a->key_sep != '/' && a->key_sep != '.') || (sep && sep[1]))
        return msiz_fail(MSIZ_E_UNSUPPORTED, "%s: chunk key separator '%s' is not supported", file,
                         sep);
    return MSIZ_OK;
}

static msiz_status meta_v3(msiz_zarr_rarray *a, json_t *doc, const char *file)
{
    msiz_status status = MSIZ_OK;
    int chunk_ndim = -1;
    const char *type = json_string_value(json_object_get(doc, "node_type"));
    json_t *grid = json_object_get(doc, "chunk_grid");
    const char *grid_name = json_string_value(json_object_get(grid, "name"));
    MSIZ_FAIL_IF(!type || strcmp(type, "array") != 0, MSIZ_E_FORMAT, "%s: not an array", file);
    MSIZ_FAIL_IF(json_array_size(json_object_get(doc, "storage_transformers")) > 0,
                 MSIZ_E_UNSUPPORTED, "%s: storage transformers are not supported", file);
    MSIZ_FAIL_IF(!grid_name || strcmp(grid_name, "regular") != 0, MSIZ_E_UNSUPPORTED,
                 "%s: only regular chunk grids are supported", file);
    MSIZ_TRY(read_dims(json_object_get(doc, "shape"), a->info.shape, &a->info.ndim, "shape", file));
    MSIZ_TRY(read_dims(json_object_get(json_object_get(grid, "configuration"), "chunk_shape"),
                       a->info.chunks, &chunk_ndim, "chunk_shape", file));
    MSIZ_FAIL_IF(chunk_ndim != a->info.ndim, MSIZ_E_FORMAT,
                 "%s: chunk_shape has %d dimensions, shape %d", file, chunk_ndim, a->info.ndim);
    MSIZ_TRY(dtype_v3(a, json_string_value(json_object_get(doc, "data_type")), file));
    MSIZ_TRY(codecs_v3(a, json_object_get(doc, "codecs"), file));
    MSIZ_TRY(key_encoding_v3(a, json_object_get(doc, "chunk_key_encoding"), file));
cleanup:
    return status;
}

static msiz_status compressor_v2(msiz_zarr_rarray *a, json_t *doc, const char *file)
{
    json_t *comp = json_object_get(doc, "compressor");
    json_t *filters = json_object_get(doc, "filters");
    const char *filter = json_string_value(json_object_get(json_array_get(filters, 0), "id"));
    int is_string = a->info.dtype == MSIZ_DT_STRING;
    if (is_string ? json_array_size(filters) != 1 || !filter || strcmp(filter, "vlen-utf8") != 0
                  : filters && !json_is_null(filters) && json_array_size(filters) != 0)
        return msiz_fail(MSIZ_E_UNSUPPORTED, "%s: filters other than %s are not supported", file,
                         is_string ? "one vlen-utf8" : "none");
    a->info.codec = MSIZ_CODEC_NONE;
    if (!comp || json_is_null(comp))
        return MSIZ_OK;
    return codec_from_name(a, json_string_value(json_object_get(comp, "id")), file);
}

static msiz_status meta_v2(msiz_zarr_rarray *a, json_t *doc, const char *file)
{
    msiz_status status = MSIZ_OK;
    int chunk_ndim = -1;
    const char *order = json_string_value(json_object_get(doc, "order"));
    const char *sep = json_string_value(json_object_get(doc, "dimension_separator"));
    MSIZ_FAIL_IF(order && strcmp(order, "C") != 0, MSIZ_E_UNSUPPORTED,
                 "%s: order '%s' is not supported", file, order);
    MSIZ_TRY(read_dims(json_object_get(doc, "shape"), a->info.shape, &a->info.ndim, "shape", file));
    MSIZ_TRY(
        read_dims(json_object_get(doc, "chunks"), a->info.chunks, &chunk_ndim, "chunks", file));
    MSIZ_FAIL_IF(chunk_ndim != a->info.ndim, MSIZ_E_FORMAT,
                 "%s: chunks has %d dimensions, shape %d", file, chunk_ndim, a->info.ndim);
    MSIZ_TRY(dtype_v2(a, json_string_value(json_object_get(doc, "dtype")), file));
    MSIZ_TRY(compressor_v2(a, doc, file));
    a->key_prefix_c = 0;
    a->key_sep = sep && strcmp(sep, "/") == 0 ? '/' : '.';
cleanup:
    return status;
}

/* Fill value as stored bytes: numbers, booleans, "NaN"/"Infinity"/"-Infinity", null (0). */
static msiz_status parse_fill(msiz_zarr_rarray *a, json_t *v, const char *file)
{
    memset(a->fill, 0, sizeof a->fill);
    if (!v || json_is_null(v) || a->info.dtype == MSIZ_DT_STRING)
        return MSIZ_OK;
    const char *s = json_string_value(v);
    double d = json_is_number(v)                  ? json_number_value(v)
               : s && strcmp(s, "NaN") == 0       ? NAN
               : s && strcmp(s, "Infinity") == 0  ? INFINITY
               : s && strcmp(s, "-Infinity") == 0 ? -INFINITY
               : json_is_true(v)                  ? 1.0
                                                  : 0.0;
    if (s && d == 0.0)
        return msiz_fail(MSIZ_E_UNSUPPORTED, "%s: fill value '%s' is not supported", file, s);
    int64_t i = json_is_integer(v)              ? (int64_t)json_integer_value(v)
                : isfinite(d) && fabs(d) < 9e18 ? (int64_t)d
                                                : 0;
    switch (a->info.dtype) {
    case MSIZ_DT_FLOAT32: {
        float f = (float)d;
        memcpy(a->fill, &f, 4);
        break;
    }
    case MSIZ_DT_FLOAT64: memcpy(a->fill, &d, 8); break;
    default: memcpy(a->fill, &i, a->elem_size); break; /* little-endian host */
    }
    return MSIZ_OK;
}

/* Element and chunk sizes, with the overflow checks a hostile shape needs. */
static msiz_status chunk_sizes(msiz_zarr_rarray *a, const char *file)
{
    a->elem_size = a->info.dtype == MSIZ_DT_STRING ? 1 : msiz_dtype_size(a->info.dtype);
    uint64_t elems = 1;
    for (int d = 0; d < a->info.ndim; d++) {
        if (a->info.chunks[d] == 0)
            return msiz_fail(MSIZ_E_FORMAT, "%s: chunk dimension %d is 0", file, d);
        if (elems > ZARR_MAX_CHUNK_BYTES / a->info.chunks[d])
            return msiz_fail(MSIZ_E_LIMIT, "%s: chunks exceed %zu elements", file,
                             (size_t)ZARR_MAX_CHUNK_BYTES);
        elems *= a->info.chunks[d];
    }
    a->chunk_elems = elems;
    if (a->info.dtype != MSIZ_DT_STRING && elems > ZARR_MAX_CHUNK_BYTES / a->elem_size)
        return msiz_fail(MSIZ_E_LIMIT, "%s: chunks exceed %zu bytes", file,
                         (size_t)ZARR_MAX_CHUNK_BYTES);
    a->chunk_bytes = a->info.dtype == MSIZ_DT_STRING ? 0 : (size_t)elems * a->elem_size;
    return MSIZ_OK;
}

msiz_status msiz_zarr_rarray_open(msiz_zarr_reader *r, const char *path, msiz_zarr_rarray **out)
{
    char file[ZARR_PATH_MAX];
    json_t *doc = NULL;
    msiz_status status = MSIZ_OK;
    msiz_zarr_rarray *a = msiz_calloc(1, sizeof *a);
    *out = NULL;
    MSIZ_FAIL_IF(!a, MSIZ_E_NOMEM, "out of memory");
    a->r = r;
    a->cached = -1;
    a->path = msiz_strdup(path);
    MSIZ_TRY(msiz_zarr_read_join(r, path, NULL, file, sizeof file));
    a->dir = msiz_strdup(file);
    MSIZ_FAIL_IF(!a->path || !a->dir, MSIZ_E_NOMEM, "out of memory");
    MSIZ_TRY(check_rel_path(r, path));
    MSIZ_TRY(
        msiz_zarr_read_join(r, path, r->format == 3 ? "zarr.json" : ".zarray", file, sizeof file));
    MSIZ_TRY(load_json(file, &doc));
    MSIZ_TRY(r->format == 3 ? meta_v3(a, doc, file) : meta_v2(a, doc, file));
    MSIZ_TRY(chunk_sizes(a, file));
    MSIZ_TRY(parse_fill(a, json_object_get(doc, "fill_value"), file));
    *out = a;
    a = NULL;
cleanup:
    json_decref(doc);
    msiz_zarr_rarray_close(a);
    return status;
}

void msiz_zarr_rarray_close(msiz_zarr_rarray *a)
{
    if (!a)
        return;
    msiz_free(a->path);
    msiz_free(a->dir);
    msiz_free(a->buf);
    msiz_free(a->cbuf);
    msiz_free(a);
}

const msiz_zarr_rinfo *msiz_zarr_rarray_info(const msiz_zarr_rarray *a)
{
    return &a->info;
}

uint64_t msiz_zarr_rarray_size(const msiz_zarr_rarray *a)
{
    uint64_t n = 1;
    for (int d = 0; d < a->info.ndim; d++)
        n = a->info.shape[d] && n > UINT64_MAX / a->info.shape[d] ? UINT64_MAX
                                                                  : n * a->info.shape[d];
    return n;
}
