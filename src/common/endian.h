/* Fixed byte-order loads and stores, whatever the host's byte order: the one place that spells
 * out byte shuffling for file formats (Bruker blocks, WKB, Parquet pages, Zarr vlen-utf8 chunks,
 * MD5/SHA words). Compilers turn each into a single load or store (plus a byte swap where the
 * host differs). */
#ifndef MSIZ_COMMON_ENDIAN_H
#define MSIZ_COMMON_ENDIAN_H

#include <stdint.h>
#include <string.h>

static inline uint32_t msiz_load_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t msiz_load_le64(const uint8_t *p)
{
    return (uint64_t)msiz_load_le32(p) | (uint64_t)msiz_load_le32(p + 4) << 32;
}

static inline uint32_t msiz_load_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static inline void msiz_store_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static inline void msiz_store_le64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static inline void msiz_store_be64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (56 - 8 * i));
}

static inline uint32_t msiz_bswap32(uint32_t v)
{
    return v >> 24 | (v >> 8 & 0xff00u) | (v << 8 & 0xff0000u) | v << 24;
}

/* IEEE 754 values stored little-endian. */
static inline float msiz_load_le_f32(const uint8_t *p)
{
    uint32_t bits = msiz_load_le32(p);
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

static inline double msiz_load_le_f64(const uint8_t *p)
{
    uint64_t bits = msiz_load_le64(p);
    double d;
    memcpy(&d, &bits, sizeof d);
    return d;
}

static inline void msiz_store_le_f64(uint8_t *p, double v)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    msiz_store_le64(p, bits);
}

#endif
