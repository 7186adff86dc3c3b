/* JSON values from input text and numbers. jansson's constructors return NULL for a string
 * that is not UTF-8 and for a NaN or infinite real, just as when memory runs out; these helpers
 * return NULL only when memory runs out, so that callers can treat NULL as MSIZ_E_NOMEM. */
#ifndef MSIZ_COMMON_JSON_TEXT_H
#define MSIZ_COMMON_JSON_TEXT_H

#include <jansson.h>

/* `s` as a JSON string; bytes that do not form UTF-8 are kept as "\xNN" text
 * (msiz_utf8_escape): file paths and database text can hold any bytes. JSON null for NULL. */
json_t *msiz_json_text(const char *s);

/* `d` as a JSON real; JSON null when it is NaN or infinite. */
json_t *msiz_json_real(double d);

/* After json_loads returned NULL: whether it ran out of memory. jansson reports that either
 * with json_error_out_of_memory or, when its first buffer cannot be allocated, with no message
 * at all; a real syntax error always has one. */
int msiz_json_load_nomem(const json_error_t *err);

/* obj[key] = value (the reference is stolen, also on failure), the key made UTF-8 as
 * msiz_json_text does. 0, or -1 when out of memory (value NULL included). */
int msiz_json_set_text_key(json_t *obj, const char *key, json_t *value);

#endif
