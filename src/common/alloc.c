#include "common/alloc.h"
#include "common/error.h"
#include "msizarr/msizarr.h" /* msiz_tune_allocator: exported (MSIZ_API) */

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h> /* defines __GLIBC__ on glibc, tested below */
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <string.h>

static atomic_long g_fail_after = -1;

void msiz_alloc_fail_after(long n)
{
    atomic_store(&g_fail_after, n);
}

static int should_fail(void)
{
    long left = atomic_load(&g_fail_after);
    while (left >= 0) {
        if (left == 0)
            return 1;
        if (atomic_compare_exchange_weak(&g_fail_after, &left, left - 1))
            return 0;
    }
    return 0;
}

void *msiz_malloc(size_t size)
{
    return should_fail() ? NULL : malloc(size ? size : 1);
}

void *msiz_calloc(size_t count, size_t size)
{
    return should_fail() ? NULL : calloc(count ? count : 1, size ? size : 1);
}

void *msiz_realloc(void *ptr, size_t size)
{
    return should_fail() ? NULL : realloc(ptr, size ? size : 1);
}

void msiz_free(void *ptr)
{
    free(ptr);
}

char *msiz_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *copy = msiz_malloc(n);
    if (copy)
        memcpy(copy, s, n);
    return copy;
}

msiz_status msiz_grow(void **buf, size_t *capacity, size_t need, size_t elem, size_t cap_elems)
{
    if (need <= *capacity)
        return MSIZ_OK;
    if (elem == 0)
        return msiz_fail(MSIZ_E_ARG, "msiz_grow: element size 0");
    if (need > cap_elems)
        return msiz_fail(MSIZ_E_LIMIT, "%zu items exceed the cap of %zu", need, cap_elems);
    if (need > SIZE_MAX / elem)
        return msiz_fail(MSIZ_E_LIMIT, "%zu items of %zu bytes exceed the address space", need,
                         elem);
    size_t cap = *capacity ? *capacity : 16;
    while (cap < need)
        cap = cap > cap_elems / 2 ? cap_elems : cap * 2;
    if (cap > SIZE_MAX / elem) /* doubling overshot: exactly what is needed still fits */
        cap = need;
    void *grown = msiz_realloc(*buf, cap * elem);
    if (!grown)
        return msiz_fail(MSIZ_E_NOMEM, "out of memory for %zu items of %zu bytes", cap, elem);
    *buf = grown;
    *capacity = cap;
    return MSIZ_OK;
}

/* glibc raises its mmap threshold (up to 32 MiB) whenever a large block is freed; from then on
 * the buffers a pass frees stay in the heap and still count in the RSS while the next pass
 * allocates its own (30 MiB over the plan at --memory-limit 128MiB, docs/memory.md). A fixed
 * threshold hands every large buffer back to the system on free. */
void msiz_tune_allocator(void)
{
#if defined(__GLIBC__)
    (void)mallopt(M_MMAP_THRESHOLD, 256 << 10);
#endif
}
