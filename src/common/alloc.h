/* The one internal allocator. Tests can make the n-th allocation fail to exercise error paths. */
#ifndef MSIZ_COMMON_ALLOC_H
#define MSIZ_COMMON_ALLOC_H

#include <stddef.h>

#include "msizarr/msizarr.h"

void *msiz_malloc(size_t size);
void *msiz_calloc(size_t count, size_t size);
void *msiz_realloc(void *ptr, size_t size);
void msiz_free(void *ptr);
char *msiz_strdup(const char *s);

/* Test hook: after `n` more successful allocations every allocation fails (n < 0: never). */
void msiz_alloc_fail_after(long n);

/* Grows *buf (element size `elem`) so it holds at least `need` elements, doubling capacity
 * and never beyond `cap_elems`. Returns MSIZ_OK; MSIZ_E_LIMIT when `need` is over the cap (the
 * message names the cap); MSIZ_E_NOMEM when the allocation fails. Callers add what the items
 * are with msiz_fail_context. *buf and *capacity are unchanged on failure. */
msiz_status msiz_grow(void **buf, size_t *capacity, size_t need, size_t elem, size_t cap_elems);

#endif
