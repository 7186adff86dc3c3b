/* Structs that grow between releases (docs/api.md "How option structs grow").
 *
 * A versioned struct starts with `size_t struct_size` (the caller's sizeof) and only ever grows
 * at the end, and its current layout has no tail padding (explicit reserved members fill it), so
 * every release's layout is a prefix of today's ending at a member boundary. The library accepts
 * exactly those sizes: a member end that is a multiple of the struct's alignment. */
#ifndef MSIZ_COMMON_SIZED_H
#define MSIZ_COMMON_SIZED_H

#include <stddef.h>

/* Offset just past member `field` of `type`. */
#define MSIZ_FIELD_END(type, field) (offsetof(type, field) + sizeof(((type *)0)->field))

/* 1 when `size` is one of `ends` (member ends of the current layout, in any order) and a
 * multiple of `align`: the size of some release's layout. */
static inline int msiz_sized_prefix_ok(const size_t *ends, size_t n_ends, size_t align, size_t size)
{
    if (size % align != 0)
        return 0;
    for (size_t i = 0; i < n_ends; i++)
        if (ends[i] == size)
            return 1;
    return 0;
}

#endif
