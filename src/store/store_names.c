/* Name rules of spatialdata (check_valid_name, validate_table_attr_keys). */
#include <string.h>

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

int msiz_store_valid_nested_key(const char *key)
{
    if (!key || !key[0] || strcmp(key, ".") == 0 || strcmp(key, "..") == 0)
        return 0;
    if (strncmp(key, "__", 2) == 0)
        return 0;
    for (const unsigned char *p = (const unsigned char *)key; *p; p++)
        if (*p < 0x20 || *p == '/' || *p == '\\' || *p == 0x7f)
            return 0;
    return 1;
}

int msiz_valid_element_name(const char *name)
{
    return msiz_store_valid_key(name);
}
