/* Which existing output may be replaced (store_guard.h, edge-cases.md #80). */
#include "store/store_guard.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/error.h"
#include "io/fs.h"

#define NEVER          "it is never replaced: choose another output path"
#define MAX_META_BYTES ((off_t)256 << 20) /* a root zarr.json, consolidated metadata included */

/* The JSON object in the regular file dir/name, or NULL. */
static json_t *load_meta(const char *dir, const char *name)
{
    char path[PATH_MAX + 16];
    struct stat st;
    int n = snprintf(path, sizeof path, "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= sizeof path || lstat(path, &st) != 0 || !S_ISREG(st.st_mode) ||
        st.st_size > MAX_META_BYTES)
        return NULL;
    json_t *doc = json_load_file(path, 0, NULL);
    if (doc && !json_is_object(doc)) {
        json_decref(doc);
        doc = NULL;
    }
    return doc;
}

/* A Zarr group at the root of `dir`: v3 zarr.json with node_type "group", or a v2 .zgroup. */
static int is_zarr_group(const char *dir)
{
    json_t *v3 = load_meta(dir, "zarr.json");
    const char *type = json_string_value(json_object_get(v3, "node_type"));
    int group = json_integer_value(json_object_get(v3, "zarr_format")) == 3 && type &&
                strcmp(type, "group") == 0;
    json_decref(v3);
    if (group)
        return 1;
    json_t *v2 = load_meta(dir, ".zgroup");
    group = json_integer_value(json_object_get(v2, "zarr_format")) == 2;
    json_decref(v2);
    return group;
}

/* `path` without trailing slashes ("/" stays) into out; the last component in *base. */
static int split_path(const char *path, char *out, size_t size, const char **base)
{
    size_t len = strlen(path);
    while (len > 1 && path[len - 1] == '/')
        len--;
    if (len == 0 || len >= size)
        return -1;
    memcpy(out, path, len);
    out[len] = '\0';
    const char *slash = strrchr(out, '/');
    *base = slash ? slash + 1 : out;
    return 0;
}

/* 1 when the directory entry `input` (not what it points to) lies inside `dir`: deleting dir
 * would delete the entry even when it is a symbolic link to somewhere else. */
static int entry_below(const char *input, const struct stat *dir)
{
    char path[PATH_MAX];
    const char *base;
    if (split_path(input, path, sizeof path, &base) != 0)
        return 0;
    if (strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
        return msiz_path_at_or_below(path, dir); /* the entry is that folder itself */
    if (base == path)
        return msiz_path_at_or_below(".", dir);
    size_t cut = (size_t)(base - path) - 1;
    path[cut ? cut : 1] = '\0'; /* the parent ("/" for "/x") */
    return msiz_path_at_or_below(path, dir);
}

/* The output's relation to one input: MSIZ_OK when unrelated. */
static msiz_status check_input(const char *output, const struct stat *out_st, const char *input)
{
    struct stat in_st;
    int in_exists = stat(input, &in_st) == 0;
    if (in_exists && msiz_same_node(&in_st, out_st))
        return msiz_fail(MSIZ_E_EXISTS, "%s: output exists and is the input itself; " NEVER,
                         output);
    if (S_ISDIR(out_st->st_mode) &&
        (msiz_path_at_or_below(input, out_st) || entry_below(input, out_st)))
        return msiz_fail(MSIZ_E_EXISTS, "%s: output exists and contains the input %s; " NEVER,
                         output, input);
    if (in_exists && S_ISDIR(in_st.st_mode) && msiz_path_at_or_below(output, &in_st))
        return msiz_fail(MSIZ_E_EXISTS, "%s: output exists inside the input %s; " NEVER, output,
                         input);
    return MSIZ_OK;
}

msiz_status msiz_store_check_output(const char *output, const char *const *inputs, size_t n_inputs,
                                    int overwrite)
{
    char path[PATH_MAX];
    const char *base;
    struct stat st;
    if (split_path(output, path, sizeof path, &base) != 0)
        return msiz_fail(MSIZ_E_ARG, "invalid output path '%s'", output);
    if (lstat(path, &st) != 0)
        return MSIZ_OK; /* nothing there (or unreachable: creating the store will say why) */
    if (*base == '\0' || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
        return msiz_fail(MSIZ_E_EXISTS,
                         "%s: output exists and names a folder by '.' or '..'; " NEVER, output);
    struct stat target;
    for (size_t i = 0; i < n_inputs && stat(path, &target) == 0; i++) {
        msiz_status status = check_input(output, &target, inputs[i]);
        if (status < 0)
            return status;
    }
    if (S_ISLNK(st.st_mode))
        return msiz_fail(MSIZ_E_EXISTS, "%s: output exists and is a symbolic link; " NEVER, output);
    if (!S_ISDIR(st.st_mode))
        return msiz_fail(MSIZ_E_EXISTS, "%s: output exists and is a file, not a Zarr store; " NEVER,
                         output);
    if (!is_zarr_group(path))
        return msiz_fail(MSIZ_E_EXISTS,
                         "%s: output exists and is not a Zarr store (no Zarr group at its root: "
                         "zarr.json or .zgroup); " NEVER,
                         output);
    if (!overwrite)
        return msiz_fail(MSIZ_E_EXISTS,
                         "%s: output exists (a Zarr store); to replace it, pass the overwrite "
                         "option (--overwrite)",
                         output);
    return MSIZ_OK;
}
