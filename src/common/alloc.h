/* The one internal allocator. Tests can make the n-th allocation fail to exercise error paths. */
#ifndef MSIZ_COMMON_ALLOC_H
#define MSIZ_COMMON_ALLOC_H

#include <stddef.h>

void *msiz_malloc(size_t size);
void *msiz_calloc(size_t count, size_t size);
void *msiz_realloc(void *ptr, size_t size);
void msiz_free(void *ptr);
char *msiz_strdup(const char *s);

/* Test hook: after `n` more successful allocations every allocation fails (n < 0: never). */
void msiz_alloc_fail_after(long n);

/* Grows *buf (element size `elem`) so it holds at least `need` elements, doubling capacity
 * and never beyond `cap_elems`. Returns 0 on success, -1 when over the cap or out of memory. */
int msiz_grow(void **buf, size_t *capacity, size_t need, size_t elem, size_t cap_elems);

#endif
