/* Store handle: root directory, the in-memory node registry (groups and arrays with their
 * attributes and metadata), name checks, group metadata and close/abort. */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/alloc.h"
#include "io/fs.h"
#include "zarr/zarr_internal.h"

#define ZARR_MAX_THREADS 256

void msiz_zarr_opts_init(msiz_zarr_opts *opts)
{
    opts->zarr_format = 3;
    msiz_compression_init(&opts->compression);
    opts->threads = 0;
    opts->cancel = NULL;
}

int msiz_zarr_format(const msiz_zarr *z)
{
    return z ? z->format : 0;
}

/* ---- names ---- */

static int name_char_ok(unsigned char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '.' || ch == '_' || ch == '-' || ch == ' ';
}

static int reserved(const char *c, size_t n)
{
    static const char *const names[] = {"zarr.json", ".zarray", ".zgroup", ".zattrs", ".zmetadata"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strlen(names[i]) == n && memcmp(names[i], c, n) == 0)
            return 1;
    return (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.') ||
           (n >= 2 && c[0] == '_' && c[1] == '_');
}

msiz_status msiz_zarr_check_path(const char *path, int allow_root)
{
    size_t len = strlen(path);
    if (len == 0)
        return allow_root ? MSIZ_OK : msiz_fail(MSIZ_E_ARG, "zarr: empty array path");
    if (len > 1024)
        return msiz_fail(MSIZ_E_ARG, "zarr: path '%.64s...' is too long", path);
    const char *c = path;
    while (1) {
        size_t n = strcspn(c, "/");
        if (n == 0 || reserved(c, n))
            return msiz_fail(MSIZ_E_ARG, "zarr: invalid name '%.*s' in path '%s'", (int)n, c, path);
        for (size_t i = 0; i < n; i++)
            if (!name_char_ok((unsigned char)c[i]))
                return msiz_fail(MSIZ_E_ARG,
                                 "zarr: invalid character 0x%02x in path '%s' (allowed: "
                                 "A-Z a-z 0-9 . _ - space)",
                                 (unsigned char)c[i], path);
        if (c[n] == '\0')
            return MSIZ_OK;
        c += n + 1;
    }
}

/* ---- registry ---- */

zarr_node *msiz_zarr_store_find(msiz_zarr *z, const char *path)
{
    for (size_t i = 0; i < z->n_nodes; i++)
        if (strcmp(z->nodes[i].path, path) == 0)
            return &z->nodes[i];
    return NULL;
}

static msiz_status check_new_node(msiz_zarr *z, const char *path)
{
    if (msiz_zarr_store_find(z, path))
        return msiz_fail(MSIZ_E_EXISTS, "%s: a group or array of this name already exists", path);
    const char *slash = strrchr(path, '/');
    char parent[1100] = "";
    if (slash)
        snprintf(parent, sizeof parent, "%.*s", (int)(slash - path), path);
    zarr_node *p = msiz_zarr_store_find(z, parent);
    if (!p || p->is_array)
        return msiz_fail(MSIZ_E_NOTFOUND, "%s: parent group '%s' was not created", path, parent);
    return MSIZ_OK;
}

static msiz_status add_node(msiz_zarr *z, const char *path, int is_array, json_t *attrs)
{
    void *nodes = z->nodes;
    msiz_status status =
        msiz_grow(&nodes, &z->cap_nodes, z->n_nodes + 1, sizeof *z->nodes, 1u << 24);
    if (status < 0)
        return msiz_fail_context(status, "%s: nodes of the store", path);
    z->nodes = nodes;
    zarr_node *n = &z->nodes[z->n_nodes];
    memset(n, 0, sizeof *n);
    n->path = msiz_strdup(path);
    n->attrs = msiz_zarr_attrs_or_empty(attrs);
    if (!n->path || !n->attrs) {
        msiz_free(n->path);
        json_decref(n->attrs);
        return msiz_fail(MSIZ_E_NOMEM, "%s: cannot register the node", path);
    }
    n->is_array = is_array;
    n->finished = !is_array;
    z->n_nodes++;
    return MSIZ_OK;
}

static void remove_node(msiz_zarr *z, zarr_node *n)
{
    msiz_free(n->path);
    json_decref(n->attrs);
    json_decref(n->meta);
    size_t i = (size_t)(n - z->nodes);
    memmove(n, n + 1, (z->n_nodes - i - 1) * sizeof *n);
    z->n_nodes--;
}

msiz_status msiz_zarr_store_add_array(msiz_zarr *z, msiz_zarr_array *a)
{
    msiz_status status = check_new_node(z, a->path);
    if (status < 0)
        return status;
    void *live = z->live;
    status = msiz_grow(&live, &z->cap_live, z->n_live + 1, sizeof *z->live, 1u << 24);
    if (status < 0)
        return msiz_fail_context(status, "%s: open arrays of the store", a->path);
    z->live = live;
    status = add_node(z, a->path, 1, a->attrs);
    if (status == MSIZ_OK)
        z->live[z->n_live++] = a;
    return status;
}

void msiz_zarr_store_drop_array(msiz_zarr *z, msiz_zarr_array *a, int drop_node)
{
    for (size_t i = 0; i < z->n_live; i++)
        if (z->live[i] == a) {
            z->live[i] = z->live[--z->n_live];
            break;
        }
    zarr_node *n = drop_node ? msiz_zarr_store_find(z, a->path) : NULL;
    if (n)
        remove_node(z, n);
}

/* ---- groups ---- */

msiz_status msiz_zarr_set_attrs(msiz_zarr *z, const char *path, json_t *attrs)
{
    if (!z || !path)
        return msiz_fail(MSIZ_E_ARG, "zarr: set_attrs: NULL argument");
    zarr_node *n = msiz_zarr_store_find(z, path);
    if (!n || n->is_array)
        return msiz_fail(MSIZ_E_NOTFOUND, "%s: no such group", path);
    json_t *copy = msiz_zarr_attrs_or_empty(attrs);
    if (!copy)
        return msiz_fail(MSIZ_E_NOMEM, "%s: cannot store attributes", path);
    json_decref(n->attrs);
    n->attrs = copy;
    return MSIZ_OK;
}

msiz_status msiz_zarr_group(msiz_zarr *z, const char *path, json_t *attrs)
{
    if (!z || !path)
        return msiz_fail(MSIZ_E_ARG, "zarr: group: NULL argument");
    if (path[0] == '\0')
        return msiz_zarr_set_attrs(z, "", attrs);
    char dir[ZARR_PATH_MAX];
    msiz_status status = msiz_zarr_check_path(path, 0);
    if (status == MSIZ_OK)
        status = check_new_node(z, path);
    if (status == MSIZ_OK)
        status = msiz_path_join(dir, sizeof dir, z->root, path);
    if (status < 0)
        return status;
    if (mkdir(dir, 0755) != 0)
        return msiz_fail(errno == EEXIST ? MSIZ_E_EXISTS : MSIZ_E_IO,
                         "%s: cannot create directory: %s", dir, strerror(errno));
    status = add_node(z, path, 0, attrs);
    if (status < 0)
        rmdir(dir);
    return status;
}

static msiz_status write_group(msiz_zarr *z, const zarr_node *n)
{
    char dir[ZARR_PATH_MAX], path[ZARR_PATH_MAX];
    msiz_status status = n->path[0] ? msiz_path_join(dir, sizeof dir, z->root, n->path)
                                    : msiz_path_join(dir, sizeof dir, z->root, ".");
    if (status < 0)
        return status;
    if (z->format == 3) {
        json_t *meta = msiz_zarr_meta_group_v3(n->attrs);
        status = msiz_path_join(path, sizeof path, dir, "zarr.json");
        status = status < 0 ? status : msiz_zarr_json_write(path, meta);
        json_decref(meta);
        return status;
    }
    json_t *meta = msiz_zarr_meta_group_v2();
    status = msiz_path_join(path, sizeof path, dir, ".zgroup");
    status = status < 0 ? status : msiz_zarr_json_write(path, meta);
    json_decref(meta);
    if (status == MSIZ_OK)
        status = msiz_path_join(path, sizeof path, dir, ".zattrs");
    return status < 0 ? status : msiz_zarr_json_write(path, n->attrs);
}

/* ---- open / close ---- */

static msiz_status check_opts(const msiz_zarr_opts *o, msiz_compression *comp)
{
    if (o->zarr_format != 2 && o->zarr_format != 3)
        return msiz_fail(MSIZ_E_ARG, "zarr: format must be 2 or 3, not %d", o->zarr_format);
    if (o->threads < 0 || o->threads > ZARR_MAX_THREADS)
        return msiz_fail(MSIZ_E_ARG, "zarr: threads must be 0..%d", ZARR_MAX_THREADS);
    return msiz_zarr_codec_resolve(&o->compression, o->zarr_format, comp);
}

static void store_free(msiz_zarr *z)
{
    for (size_t i = 0; i < z->n_live; i++) {
        msiz_zarr_array *a = z->live[i];
        (void)msiz_zarr_array_wait_all(a);
        if (a->status == MSIZ_OK && a->state != ZARR_FINISHED) {
            a->status = MSIZ_E_STATE;
            snprintf(a->errmsg, sizeof a->errmsg, "%s: the store was closed", a->path);
        }
        a->z = NULL;
    }
    msiz_zarr_pool_free(z->pool);
    for (size_t i = 0; i < z->n_nodes; i++) {
        msiz_free(z->nodes[i].path);
        json_decref(z->nodes[i].attrs);
        json_decref(z->nodes[i].meta);
    }
    msiz_free(z->nodes);
    msiz_free(z->live);
    msiz_free(z->root);
    msiz_free(z);
}

msiz_status msiz_zarr_open(const char *root, const msiz_zarr_opts *opts, msiz_zarr **out)
{
    if (out)
        *out = NULL;
    if (!root || !opts || !out || !root[0])
        return msiz_fail(MSIZ_E_ARG, "zarr: open: NULL or empty argument");
    msiz_compression comp;
    msiz_status status = check_opts(opts, &comp);
    if (status < 0)
        return status;
    if (mkdir(root, 0755) != 0)
        return msiz_fail(errno == EEXIST ? MSIZ_E_EXISTS : MSIZ_E_IO,
                         "%s: cannot create the store directory: %s", root, strerror(errno));
    msiz_zarr *z = msiz_calloc(1, sizeof *z);
    if (z && !(z->root = msiz_strdup(root))) {
        msiz_free(z);
        z = NULL;
    }
    if (!z) {
        rmdir(root);
        return msiz_fail(MSIZ_E_NOMEM, "%s: cannot allocate the store", root);
    }
    z->format = opts->zarr_format;
    z->threads = opts->threads;
    z->cancel = opts->cancel;
    z->comp = comp;
    status = add_node(z, "", 0, NULL);
    if (status == MSIZ_OK && z->threads > 0)
        status = msiz_zarr_pool_new(z->threads, &z->pool);
    if (status < 0) {
        store_free(z);
        rmdir(root);
        return status;
    }
    *out = z;
    return MSIZ_OK;
}

static msiz_status check_all_finished(msiz_zarr *z)
{
    for (size_t i = 0; i < z->n_live; i++)
        if (z->live[i]->state != ZARR_FINISHED)
            return msiz_fail(MSIZ_E_STATE, "%s: close with array '%s' not finished", z->root,
                             z->live[i]->path);
    return MSIZ_OK;
}

msiz_status msiz_zarr_poll(const msiz_zarr *z, const char *what)
{
    if (z && z->cancel && *z->cancel)
        return msiz_fail(MSIZ_E_INTERRUPTED, "interrupted while writing %s", what);
    return MSIZ_OK;
}

msiz_status msiz_zarr_close(msiz_zarr *z, int consolidate)
{
    if (!z)
        return msiz_fail(MSIZ_E_ARG, "zarr: close: NULL store");
    msiz_status status = check_all_finished(z);
    for (size_t i = 0; status == MSIZ_OK && i < z->n_nodes; i++) {
        const zarr_node *n = &z->nodes[i];
        int root_later = n->path[0] == '\0' && consolidate && z->format == 3;
        status = msiz_zarr_poll(z, "the group metadata");
        if (status == MSIZ_OK && !n->is_array && !root_later)
            status = write_group(z, n);
    }
    if (status == MSIZ_OK && consolidate)
        status = msiz_zarr_write_consolidated(z);
    store_free(z);
    return status;
}

void msiz_zarr_abort(msiz_zarr *z)
{
    if (z)
        store_free(z);
}
