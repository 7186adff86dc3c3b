#include "common/json_text.h"

#include <math.h>
#include <string.h>

#include "common/alloc.h"
#include "common/utf8.h"

json_t *msiz_json_text(const char *s)
{
    if (!s)
        return json_null();
    json_t *v = json_string(s);
    if (v || msiz_utf8_valid((const unsigned char *)s, strlen(s)))
        return v; /* NULL for valid text: out of memory */
    char *escaped = msiz_utf8_escape(s);
    v = escaped ? json_string(escaped) : NULL;
    msiz_free(escaped);
    return v;
}

json_t *msiz_json_real(double d)
{
    return isfinite(d) ? json_real(d) : json_null();
}

int msiz_json_load_nomem(const json_error_t *err)
{
    return json_error_code(err) == json_error_out_of_memory || err->text[0] == '\0';
}

int msiz_json_set_text_key(json_t *obj, const char *key, json_t *value)
{
    char *escaped = value ? msiz_utf8_escape(key) : NULL;
    if (!escaped) {
        json_decref(value);
        return -1;
    }
    int rc = json_object_set_new(obj, escaped, value);
    msiz_free(escaped);
    return rc;
}
