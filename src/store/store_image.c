/* NGFF image element (one level "s0") with spatialdata's version strings: zarr v3 puts the
 * multiscales under "ome" (0.5-dev-spatialdata), v2 at the top (0.4-dev-spatialdata). */
#include <stdio.h>
#include <string.h>

#include "common/error.h"
#include "store/store_internal.h"

#define IMAGE_CHUNK 4096

static json_t *ngff_axes(int ndim)
{
    const char *names = ndim == 3 ? "cyx" : "czyx";
    json_t *axes = json_array();
    for (const char *a = names; *a && axes; a++) {
        char n[2] = {*a, '\0'};
        json_t *axis = json_pack("{s:s, s:s}", "name", n, "type", *a == 'c' ? "channel" : "space");
        if (json_array_append_new(axes, axis) != 0) {
            json_decref(axes);
            axes = NULL;
        }
    }
    return axes; /* NULL when out of memory */
}

static json_t *unit_scale(int ndim)
{
    json_t *scale = json_array();
    for (int i = 0; i < ndim && scale; i++)
        if (json_array_append_new(scale, json_real(1.0)) != 0) {
            json_decref(scale);
            scale = NULL;
        }
    return json_pack("[{s:s, s:o}]", "type", "scale", "scale", scale);
}

static json_t *image_attrs(const msiz_store *s, const char *path, int ndim, json_t *transforms)
{
    json_t *ms = json_pack("{s:[{s:s, s:o}], s:s, s:o, s:O}", "datasets", "path", "s0",
                           "coordinateTransformations", unit_scale(ndim), "name", path, "axes",
                           ngff_axes(ndim), "coordinateTransformations", transforms);
    json_t *omero = json_pack("{s:[{s:i}]}", "channels", "label", 0);
    if (s->opts.zarr_format == 3) {
        json_t *ome = json_pack("{s:o, s:s, s:[o]}", "omero", omero, "version",
                                "0.5-dev-spatialdata", "multiscales", ms);
        return json_pack("{s:o, s:{s:s}}", "ome", ome, "spatialdata_attrs", "version", "0.3");
    }
    if (ms && json_object_set_new(ms, "version", json_string("0.4-dev-spatialdata")) != 0) {
        json_decref(ms);
        ms = NULL; /* the pack below fails and releases omero */
    }
    return json_pack("{s:[o], s:o, s:{s:s}}", "multiscales", ms, "omero", omero,
                     "spatialdata_attrs", "version", "0.2");
}

static msiz_status write_level(msiz_store *s, const char *path, const double *data, int ndim,
                               const uint64_t *shape)
{
    static const char *const names[2][4] = {{"c", "y", "x", NULL}, {"c", "z", "y", "x"}};
    char level[MSIZ_STORE_PATH_MAX + 8];
    msiz_zarr_array_opts ao;
    msiz_zarr_array_opts_init(&ao, MSIZ_DT_FLOAT64, ndim);
    for (int d = 0; d < ndim; d++) {
        ao.shape[d] = shape[d];
        uint64_t want = d < ndim - 2 ? 1 : IMAGE_CHUNK; /* one plane per chunk along c, z */
        ao.chunks[d] = shape[d] == 0 ? 1 : shape[d] < want ? shape[d] : want;
        ao.dimension_names[d] = names[ndim - 3][d];
    }
    ao.slash_separator_v2 = 1;
    snprintf(level, sizeof level, "%s/s0", path);
    return msiz_zarr_write_whole(s->z, level, &ao, data);
}

msiz_status msiz_store_add_image(msiz_store *s, const char *name, const double *data, int ndim,
                                 const uint64_t *shape, const msiz_transform *transforms,
                                 int n_transforms)
{
    char path[MSIZ_STORE_PATH_MAX], ngff_name[MSIZ_STORE_PATH_MAX + 2];
    json_t *tj = NULL, *attrs = NULL;
    msiz_status status = MSIZ_OK;
    MSIZ_FAIL_IF(ndim != 3 && ndim != 4, MSIZ_E_ARG,
                 "%s: image '%s' must have 3 (c,y,x) or 4 (c,z,y,x) dimensions, not %d",
                 s->final_path, name ? name : "(null)", ndim);
    MSIZ_FAIL_IF(shape[0] != 1, MSIZ_E_ARG, "%s: image '%s' must have one channel, not %llu",
                 s->final_path, name, (unsigned long long)shape[0]);
    MSIZ_TRY(msiz_store_transforms_json(transforms, n_transforms, ndim, &tj));
    MSIZ_TRY(msiz_store_claim_element(s, "images", name, path, sizeof path));
    snprintf(ngff_name, sizeof ngff_name, "/%s", path);
    attrs = image_attrs(s, ngff_name, ndim, tj);
    MSIZ_FAIL_IF(!attrs, MSIZ_E_NOMEM, "out of memory");
    MSIZ_TRY(msiz_zarr_group(s->z, path, attrs));
    MSIZ_TRY(write_level(s, path, data, ndim, shape));
cleanup:
    json_decref(tj);
    json_decref(attrs);
    return status;
}
