/* UTF-8 checks for text read from input files (SQLite TEXT is not guaranteed to be UTF-8, and
 * JSON, Zarr attributes and vlen-utf8 strings must be). */
#ifndef MSIZ_COMMON_UTF8_H
#define MSIZ_COMMON_UTF8_H

#include <stddef.h>

/* Length of the well-formed UTF-8 sequence at s[0..n) (1-4), or 0 when it is not one
 * (stray continuation byte, overlong form, surrogate, beyond U+10FFFF, truncated). */
size_t msiz_utf8_sequence(const unsigned char *s, size_t n);

/* 1 if s[0..n) is well-formed UTF-8, else 0. */
int msiz_utf8_valid(const unsigned char *s, size_t n);

/* A copy of `s` (msiz_free it) that is valid UTF-8: each byte of an ill-formed sequence becomes
 * the four characters "\xNN" (Python's "backslashreplace"), so distinct inputs stay distinct
 * and the bytes can be recovered. NULL when out of memory. */
char *msiz_utf8_escape(const char *s);

#endif
