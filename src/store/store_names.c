/* Name rules of spatialdata (check_valid_name, validate_table_attr_keys), and the node names
 * that metadata keys from input files get (issue 13 item 6: names from input never become
 * paths). */
#include <string.h>
#include <strings.h>

#include "store/store_internal.h"

int msiz_store_valid_key(const char *key)
{
    if (!key || !key[0] || strcmp(key, ".") == 0 || strcmp(key, "..") == 0)
        return 0;
    if (strncmp(key, "__", 2) == 0)
        return 0;
    for (const char *p = key; *p; p++) {
        char c = *p;
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '_' || c == '-' || c == '.';
        if (!ok)
            return 0;
    }
    return 1;
}

/* Characters of a portable Zarr node name (zarr v3 spec's recommendation, plus the space of
 * Thyra's imzML keys such as "max count of pixels x"). */
static int portable_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.' || c == ' ';
}

/* Names a store cannot hold as a child (zarr metadata files, "."/"..", "__" prefixes) or that
 * are not portable (hidden files; a trailing '.' or ' ' is dropped by Windows). */
static int awkward_name(const char *name, size_t n)
{
    static const char *const reserved[] = {"zarr.json", ".zarray", ".zgroup", ".zattrs",
                                           ".zmetadata"};
    for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++)
        if (strlen(reserved[i]) == n && strncasecmp(reserved[i], name, n) == 0)
            return 1;
    return n == 0 || name[0] == '.' || (n >= 2 && name[0] == '_' && name[1] == '_');
}

int msiz_store_node_name(const char *key, char *out, size_t cap)
{
    char mapped[MSIZ_STORE_NAME_MAX + 1];
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)key; *p && n < MSIZ_STORE_NAME_MAX; p++) {
        if (*p >= 0x80 && *p < 0xc0)
            continue; /* a UTF-8 continuation byte: its character is already one '_' */
        mapped[n++] = portable_char(*p) ? (char)*p : '_';
    }
    if (n > 0 && (mapped[n - 1] == '.' || mapped[n - 1] == ' '))
        mapped[n - 1] = '_';
    mapped[n] = '\0';
    size_t limit = cap - 1 < MSIZ_STORE_NAME_MAX ? cap - 1 : MSIZ_STORE_NAME_MAX, at = 0;
    if (awkward_name(mapped, n) && limit > 0)
        out[at++] = 'k';
    size_t take = n < limit - at ? n : limit - at;
    memcpy(out + at, mapped, take);
    out[at + take] = '\0';
    return strcmp(out, key) != 0;
}

int msiz_store_valid_nested_key(const char *key)
{
    char name[MSIZ_STORE_NAME_MAX + 1];
    return key && msiz_store_node_name(key, name, sizeof name) == 0;
}

int msiz_valid_element_name(const char *name)
{
    return msiz_store_valid_key(name);
}
