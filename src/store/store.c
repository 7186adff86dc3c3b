/* Store life cycle: temporary sibling, element registry, root attributes, finish / abort. */
#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "common/error.h"
#include "common/json_text.h"
#include "io/fs.h"
#include "store/store_guard.h"
#include "store/store_internal.h"

static const char *const k_element_kinds[3] = {"tables", "images", "shapes"};

void msiz_store_opts_init(msiz_store_opts *opts)
{
    memset(opts, 0, sizeof *opts);
    opts->zarr_format = 3;
    msiz_compression_init(&opts->compression);
    opts->shapes_codec = MSIZ_PARQUET_SNAPPY;
    opts->threads = 2;
    opts->consolidate = 1;
    opts->chunk_elems = 1000000;
    opts->spatialdata_version = "0.8.0";
}

json_t *msiz_store_encoding(const char *type, const char *version)
{
    return json_pack("{s:s, s:s}", "encoding-type", type, "encoding-version", version);
}

msiz_status msiz_store_need_attrs(const json_t *attrs, const char *path)
{
    return attrs ? MSIZ_OK : msiz_fail(MSIZ_E_NOMEM, "%s: out of memory for the attributes", path);
}

static void store_free(msiz_store *s)
{
    if (!s)
        return;
    while (s->tables) /* tables not finished die with their store */
        msiz_store_drop_table(s->tables);
    json_decref(s->root_extra);
    json_decref(s->elements);
    msiz_owner_release(s->owner); /* after the temporary tree is gone */
    msiz_free(s->final_path);
    msiz_free(s->temp_path);
    msiz_free(s);
}

static msiz_status check_opts(const char *path, const msiz_store_opts *o)
{
    if (o->zarr_format != 2 && o->zarr_format != 3)
        return msiz_fail(MSIZ_E_ARG, "%s: zarr format must be 2 or 3, not %d", path,
                         o->zarr_format);
    if (o->ragged_shapes && o->zarr_format != 2)
        return msiz_fail(MSIZ_E_ARG, "%s: ragged shapes (format 0.1) exist only in zarr v2 stores",
                         path);
    if (strcmp(msiz_parquet_codec_name(o->shapes_codec), "unknown") == 0)
        return msiz_fail(MSIZ_E_ARG, "%s: unknown shapes codec %d", path, (int)o->shapes_codec);
    if (o->chunk_elems == 0 || o->threads < 0)
        return msiz_fail(MSIZ_E_ARG, "%s: chunk length must be > 0 and threads >= 0", path);
    return MSIZ_OK;
}

msiz_status msiz_store_create(const char *path, const msiz_store_opts *opts, msiz_store **out)
{
    msiz_status status = MSIZ_OK;
    msiz_store_opts defaults;
    char temp[MSIZ_STORE_PATH_MAX + 64];
    msiz_store *s = NULL;
    *out = NULL;
    if (!opts) {
        msiz_store_opts_init(&defaults);
        opts = &defaults;
    }
    MSIZ_TRY(check_opts(path, opts));
    MSIZ_TRY(msiz_store_check_output(path, NULL, 0, opts->overwrite));
    (void)msiz_sweep_temp_siblings(path); /* what killed runs left beside the output */
    MSIZ_TRY(msiz_temp_sibling(path, temp, sizeof temp));
    s = msiz_calloc(1, sizeof *s);
    MSIZ_FAIL_IF(!s, MSIZ_E_NOMEM, "%s: out of memory", path);
    s->opts = *opts;
    s->final_path = msiz_strdup(path);
    s->temp_path = msiz_strdup(temp);
    s->root_extra = json_object();
    s->elements = json_object();
    MSIZ_FAIL_IF(!s->final_path || !s->temp_path || !s->root_extra || !s->elements, MSIZ_E_NOMEM,
                 "%s: out of memory", path);
    msiz_zarr_opts zopts;
    msiz_zarr_opts_init(&zopts);
    zopts.zarr_format = opts->zarr_format;
    zopts.compression = opts->compression;
    zopts.threads = opts->threads;
    zopts.cancel = opts->cancel;
    status = msiz_zarr_open(temp, &zopts, &s->z);
    if (status < 0) {
        msiz_fail_context(status, "%s: cannot start the store", path);
        goto cleanup;
    }
    MSIZ_TRY(msiz_owner_mark(temp, &s->owner));
    *out = s;
    s = NULL;
cleanup:
    if (s && s->z) {
        msiz_zarr_abort(s->z);
        (void)msiz_remove_tree(temp);
    }
    store_free(s);
    return status;
}

msiz_status msiz_store_set_root_attrs_json(msiz_store *s, const char *json_object)
{
    json_error_t err;
    json_t *obj = json_loads(json_object, 0, &err);
    if (!obj && msiz_json_load_nomem(&err))
        return msiz_fail(MSIZ_E_NOMEM, "%s: out of memory reading the root attributes",
                         s->final_path);
    if (!obj || !json_is_object(obj)) {
        json_decref(obj);
        return msiz_fail(MSIZ_E_ARG, "%s: root attributes are not a JSON object: %s", s->final_path,
                         obj ? "not an object" : err.text);
    }
    json_object_del(obj, "spatialdata_attrs"); /* owned by the writer */
    int failed = json_object_update(s->root_extra, obj);
    json_decref(obj);
    return failed
               ? msiz_fail(MSIZ_E_NOMEM, "%s: out of memory for the root attributes", s->final_path)
               : MSIZ_OK;
}

msiz_status msiz_store_claim_element(msiz_store *s, const char *kind, const char *name, char *path,
                                     size_t path_size)
{
    int k = 0;
    while (k < 3 && strcmp(k_element_kinds[k], kind) != 0)
        k++;
    if (k == 3)
        return msiz_fail(MSIZ_E_ARG, "unknown element kind '%s'", kind);
    if (!msiz_store_valid_key(name))
        return msiz_fail(MSIZ_E_ARG,
                         "%s: invalid element name '%s' (use ASCII letters, digits, '_', '-', "
                         "'.'; not starting with '__')",
                         s->final_path, name ? name : "(null)");
    if (json_object_get(s->elements, name))
        return msiz_fail(MSIZ_E_ARG, "%s: element name '%s' is used twice", s->final_path, name);
    if (!s->have_group[k]) {
        msiz_status status = msiz_zarr_group(s->z, kind, NULL);
        if (status < 0)
            return status;
        s->have_group[k] = 1;
    }
    if (json_object_set_new(s->elements, name, json_true()) != 0)
        return msiz_fail(MSIZ_E_NOMEM, "out of memory");
    return msiz_path_join(path, path_size, kind, name);
}

static msiz_status write_root_attrs(msiz_store *s)
{
    const char *version = s->opts.zarr_format == 3 ? "0.2" : "0.1";
    const char *sd_version = s->opts.spatialdata_version ? s->opts.spatialdata_version : "0.8.0";
    json_t *attrs = json_pack("{s:{s:s, s:s}}", "spatialdata_attrs", "version", version,
                              "spatialdata_software_version", sd_version);
    if (!attrs || json_object_update(attrs, s->root_extra) != 0) {
        json_decref(attrs);
        return msiz_fail(MSIZ_E_NOMEM, "%s: out of memory for the root attributes", s->final_path);
    }
    msiz_status status = msiz_zarr_set_attrs(s->z, "", attrs);
    json_decref(attrs);
    return status;
}

msiz_status msiz_store_finish(msiz_store *s)
{
    msiz_status status = MSIZ_OK;
    if (!s)
        return msiz_fail(MSIZ_E_ARG, "msiz_store_finish: NULL store");
    MSIZ_FAIL_IF(s->open_tables > 0, MSIZ_E_STATE, "%s: a table was begun but not finished",
                 s->final_path);
    MSIZ_TRY(write_root_attrs(s));
    msiz_zarr *z = s->z;
    s->z = NULL;
    MSIZ_TRY(msiz_zarr_close(z, s->opts.consolidate));
    /* what is there now must still be replaceable; the marker goes before the rename */
    MSIZ_TRY(msiz_store_check_output(s->final_path, NULL, 0, s->opts.overwrite));
    MSIZ_TRY(msiz_owner_unmark(s->owner));
    MSIZ_TRY(msiz_commit_path(s->temp_path, s->final_path, s->opts.overwrite));
cleanup:
    if (status < 0) {
        msiz_zarr_abort(s->z);
        (void)msiz_remove_tree(s->temp_path);
    }
    store_free(s);
    return status;
}

void msiz_store_abort(msiz_store *s)
{
    if (!s)
        return;
    msiz_zarr_abort(s->z);
    (void)msiz_remove_tree(s->temp_path);
    store_free(s);
}
