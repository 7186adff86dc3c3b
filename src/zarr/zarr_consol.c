/* Consolidated metadata, built from the in-memory node registry, as zarr-python 3.1.6's
 * zarr.consolidate_metadata writes it: v3 inline in the root zarr.json (nested groups carry an
 * empty inline block), v2 a root .zmetadata. */
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "io/fs.h"
#include "zarr/zarr_internal.h"

static int depth(const char *p)
{
    int d = 0;
    for (; *p; p++)
        d += *p == '/';
    return d;
}

/* zarr-python lists nodes breadth first, names sorted within a level. */
static int cmp_nodes(const void *x, const void *y)
{
    const zarr_node *a = *(const zarr_node *const *)x, *b = *(const zarr_node *const *)y;
    int da = depth(a->path), db = depth(b->path);
    return da != db ? (da < db ? -1 : 1) : strcmp(a->path, b->path);
}

static const zarr_node **sorted_nodes(msiz_zarr *z, size_t *count)
{
    const zarr_node **v = msiz_calloc(z->n_nodes, sizeof *v);
    size_t n = 0;
    for (size_t i = 0; v && i < z->n_nodes; i++)
        if (z->nodes[i].path[0] && z->nodes[i].finished)
            v[n++] = &z->nodes[i];
    if (v)
        qsort(v, n, sizeof *v, cmp_nodes);
    *count = n;
    return v;
}

static json_t *inline_block(json_t *metadata)
{
    return json_pack("{s:s, s:b, s:o}", "kind", "inline", "must_understand", 0, "metadata",
                     metadata);
}

static json_t *group_v3(json_t *attrs, json_t *metadata)
{
    return json_pack("{s:O, s:i, s:o, s:s}", "attributes", attrs, "zarr_format", 3,
                     "consolidated_metadata", inline_block(metadata), "node_type", "group");
}

static json_t *build_v3(msiz_zarr *z, const zarr_node **v, size_t n)
{
    json_t *meta = json_object();
    for (size_t i = 0; meta && i < n; i++) {
        json_t *entry =
            v[i]->is_array ? json_incref(v[i]->meta) : group_v3(v[i]->attrs, json_object());
        if (!entry || json_object_set_new(meta, v[i]->path, entry) != 0) {
            json_decref(meta);
            return NULL;
        }
    }
    return meta ? group_v3(msiz_zarr_store_find(z, "")->attrs, meta) : NULL;
}

static int put_key(json_t *meta, const char *path, const char *file, json_t *value)
{
    char key[ZARR_PATH_MAX];
    if (!value || msiz_path_join(key, sizeof key, path, file) < 0) {
        json_decref(value);
        return -1;
    }
    return json_object_set_new(meta, key, value);
}

static json_t *build_v2(msiz_zarr *z, const zarr_node **v, size_t n)
{
    json_t *meta = json_object();
    if (!meta || json_object_set_new(meta, ".zgroup", msiz_zarr_meta_group_v2()) != 0 ||
        json_object_set(meta, ".zattrs", msiz_zarr_store_find(z, "")->attrs) != 0) {
        json_decref(meta);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        const zarr_node *nd = v[i];
        if (put_key(meta, nd->path, ".zattrs", json_incref(nd->attrs)) != 0 ||
            put_key(meta, nd->path, nd->is_array ? ".zarray" : ".zgroup",
                    nd->is_array ? json_incref(nd->meta) : msiz_zarr_meta_group_v2()) != 0) {
            json_decref(meta);
            return NULL;
        }
    }
    return json_pack("{s:o, s:i}", "metadata", meta, "zarr_consolidated_format", 1);
}

msiz_status msiz_zarr_write_consolidated(msiz_zarr *z)
{
    size_t n = 0;
    const zarr_node **v = sorted_nodes(z, &n);
    if (!v)
        return msiz_fail(MSIZ_E_NOMEM, "%s: cannot build consolidated metadata", z->root);
    json_t *doc = z->format == 3 ? build_v3(z, v, n) : build_v2(z, v, n);
    msiz_free(v);
    char path[ZARR_PATH_MAX];
    msiz_status status =
        msiz_path_join(path, sizeof path, z->root, z->format == 3 ? "zarr.json" : ".zmetadata");
    if (status == MSIZ_OK)
        status = msiz_zarr_json_write(path, doc);
    json_decref(doc);
    return status;
}
