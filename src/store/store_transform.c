/* NGFF coordinate-transformation JSON as spatialdata writes it (key order: type, parameter,
 * input, output; spatial axes carry spatialdata's placeholder unit "unit"). */
#include <string.h>

#include "common/error.h"
#include "store/store_internal.h"

static json_t *axis_json(char name)
{
    char n[2] = {name, '\0'};
    if (name == 'c')
        return json_pack("{s:s, s:s}", "name", n, "type", "channel");
    return json_pack("{s:s, s:s, s:s}", "name", n, "type", "space", "unit", "unit");
}

/* {"name": <name>, "axes": [...]} for the axis letters in `axes`. */
static json_t *system_json(const char *name, const char *axes)
{
    json_t *list = json_array();
    for (const char *a = axes; *a && list; a++)
        if (json_array_append_new(list, axis_json(*a)) != 0) {
            json_decref(list);
            list = NULL;
        }
    return json_pack("{s:s, s:o}", "name", name, "axes", list); /* NULL when list is */
}

static const char *axes_for(int ndim)
{
    return ndim == 2 ? "xy" : ndim == 3 ? "cyx" : "czyx";
}

static json_t *scale_values(const msiz_transform *t, int ndim)
{
    double sz = t->scale_z != 0.0 ? t->scale_z : 1.0;
    if (ndim == 2)
        return json_pack("[f, f]", t->scale_x, t->scale_y);
    if (ndim == 3)
        return json_pack("[f, f, f]", 1.0, t->scale_y, t->scale_x);
    return json_pack("[f, f, f, f]", 1.0, sz, t->scale_y, t->scale_x);
}

/* The matrix without its last row. Images map (c, y, x) to (c, x, y) as spatialdata orders an
 * affine's output axes; shapes map (x, y) to (x, y). */
static json_t *affine_values(const msiz_transform *t, int ndim)
{
    const double(*a)[3] = t->affine;
    if (ndim == 2)
        return json_pack("[[f, f, f], [f, f, f]]", a[0][0], a[0][1], a[0][2], a[1][0], a[1][1],
                         a[1][2]);
    return json_pack("[[f, f, f, f], [f, f, f, f], [f, f, f, f]]", 1.0, 0.0, 0.0, 0.0, 0.0, a[0][1],
                     a[0][0], a[0][2], 0.0, a[1][1], a[1][0], a[1][2]);
}

static msiz_status one_transform(const msiz_transform *t, int ndim, json_t **out)
{
    const char *in_axes = axes_for(ndim);
    json_t *obj = json_object();
    if (!obj)
        return msiz_fail(MSIZ_E_NOMEM, "out of memory");
    if (!t->output || !msiz_store_valid_key(t->output)) {
        json_decref(obj);
        return msiz_fail(MSIZ_E_ARG, "invalid coordinate system name '%s'",
                         t->output ? t->output : "(null)");
    }
    const char *out_axes = in_axes;
    int bad = 0; /* a failed constructor or set: out of memory */
    switch (t->type) {
    case MSIZ_TRANSFORM_IDENTITY:
        bad = json_object_set_new(obj, "type", json_string("identity"));
        break;
    case MSIZ_TRANSFORM_SCALE:
        bad = json_object_set_new(obj, "type", json_string("scale")) ||
              json_object_set_new(obj, "scale", scale_values(t, ndim));
        break;
    case MSIZ_TRANSFORM_AFFINE:
        if (ndim == 4) {
            json_decref(obj);
            return msiz_fail(MSIZ_E_UNSUPPORTED, "affine transformations of volumes");
        }
        bad = json_object_set_new(obj, "type", json_string("affine")) ||
              json_object_set_new(obj, "affine", affine_values(t, ndim));
        out_axes = ndim == 2 ? "xy" : "cxy";
        break;
    default: json_decref(obj); return msiz_fail(MSIZ_E_ARG, "unknown transformation type");
    }
    if (bad || json_object_set_new(obj, "input", system_json(in_axes, in_axes)) ||
        json_object_set_new(obj, "output", system_json(t->output, out_axes))) {
        json_decref(obj);
        return msiz_fail(MSIZ_E_NOMEM, "out of memory for a coordinate transformation");
    }
    *out = obj;
    return MSIZ_OK;
}

msiz_status msiz_store_transforms_json(const msiz_transform *t, int n, int ndim, json_t **out)
{
    *out = NULL;
    if (n < 1 || n > MSIZ_MAX_TRANSFORMS || !t)
        return msiz_fail(MSIZ_E_ARG, "an element needs 1 to %d coordinate transformations",
                         MSIZ_MAX_TRANSFORMS);
    json_t *list = json_array();
    if (!list)
        return msiz_fail(MSIZ_E_NOMEM, "out of memory");
    for (int i = 0; i < n; i++) {
        json_t *one = NULL;
        msiz_status status = one_transform(&t[i], ndim, &one);
        if (status < 0) {
            json_decref(list);
            return status;
        }
        if (json_array_append_new(list, one) != 0) {
            json_decref(list);
            return msiz_fail(MSIZ_E_NOMEM, "out of memory for coordinate transformations");
        }
    }
    *out = list;
    return MSIZ_OK;
}
