#include "common/utf8.h"

#include <stdio.h>
#include <string.h>

#include "common/alloc.h"

size_t msiz_utf8_sequence(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t len = c < 0x80                 ? 1
                 : c >= 0xc2 && c <= 0xdf ? 2
                 : c >= 0xe0 && c <= 0xef ? 3
                 : c >= 0xf0 && c <= 0xf4 ? 4
                                          : 0;
    if (len == 0 || len > n)
        return 0;
    for (size_t i = 1; i < len; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    /* the second byte's range rules out overlong forms, surrogates and > U+10FFFF */
    if ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] > 0x9f) || (c == 0xf0 && s[1] < 0x90) ||
        (c == 0xf4 && s[1] > 0x8f))
        return 0;
    return len;
}

int msiz_utf8_valid(const unsigned char *s, size_t n)
{
    for (size_t i = 0, len; i < n; i += len)
        if ((len = msiz_utf8_sequence(s + i, n - i)) == 0)
            return 0;
    return 1;
}

char *msiz_utf8_escape(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s), out = 0;
    for (size_t i = 0; i < n;) {
        size_t len = msiz_utf8_sequence(p + i, n - i);
        out += len ? len : 4;
        i += len ? len : 1;
    }
    char *copy = msiz_malloc(out + 1);
    if (!copy)
        return NULL;
    char *w = copy;
    for (size_t i = 0; i < n;) {
        size_t len = msiz_utf8_sequence(p + i, n - i);
        if (len) {
            memcpy(w, p + i, len);
            w += len;
            i += len;
        } else {
            snprintf(w, 5, "\\x%02x", p[i]);
            w += 4;
            i++;
        }
    }
    *w = '\0';
    return copy;
}
