/* Optional .ibd checksum verification (IMS:1000090 MD5, IMS:1000091 SHA-1, IMS:1000092
 * SHA-256): the file is streamed once with positioned reads; a mismatch is a warning (#29;
 * pewlib's cut-down samples carry wrong ones). Small self-contained hash implementations
 * (RFC 1321, FIPS 180-4). */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "common/endian.h"
#include "common/error.h"
#include "common/log.h"
#include "imzml/imzml_internal.h"
#include "io/fs.h"

#define ROL(x, n) (((x) << (n)) | ((x) >> (32 - (n))))
#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

typedef struct hash_ctx {
    int kind;
    uint32_t h[8];
    uint64_t total;
    uint8_t block[64];
    size_t used;
} hash_ctx;

static void md5_block(uint32_t *h, const uint8_t *p)
{
    static const uint32_t K[64] = {
        0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613,
        0xfd469501, 0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193,
        0xa679438e, 0x49b40821, 0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d,
        0x02441453, 0xd8a1e681, 0xe7d3fbc8, 0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed,
        0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a, 0xfffa3942, 0x8771f681, 0x6d9d6122,
        0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70, 0x289b7ec6, 0xeaa127fa,
        0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665, 0xf4292244,
        0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
        0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb,
        0xeb86d391};
    static const int S[16] = {7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21};
    uint32_t m[16], a = h[0], b = h[1], c = h[2], d = h[3];
    for (int i = 0; i < 16; i++)
        m[i] = msiz_load_le32(p + 4 * i);
    for (int i = 0; i < 64; i++) {
        uint32_t f;
        int g, r = i / 16;
        if (r == 0)
            f = (b & c) | (~b & d), g = i;
        else if (r == 1)
            f = (d & b) | (~d & c), g = (5 * i + 1) % 16;
        else if (r == 2)
            f = b ^ c ^ d, g = (3 * i + 5) % 16;
        else
            f = c ^ (b | ~d), g = (7 * i) % 16;
        uint32_t t = d;
        d = c;
        c = b;
        b = b + ROL(a + f + K[i] + m[g], S[r * 4 + i % 4]);
        a = t;
    }
    h[0] += a, h[1] += b, h[2] += c, h[3] += d;
}

static void sha1_block(uint32_t *h, const uint8_t *p)
{
    uint32_t w[80], a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
    for (int i = 0; i < 16; i++)
        w[i] = msiz_load_be32(p + 4 * i);
    for (int i = 16; i < 80; i++)
        w[i] = ROL(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
    for (int i = 0; i < 80; i++) {
        uint32_t f, k;
        if (i < 20)
            f = (b & c) | (~b & d), k = 0x5a827999;
        else if (i < 40)
            f = b ^ c ^ d, k = 0x6ed9eba1;
        else if (i < 60)
            f = (b & c) | (b & d) | (c & d), k = 0x8f1bbcdc;
        else
            f = b ^ c ^ d, k = 0xca62c1d6;
        uint32_t t = ROL(a, 5) + f + e + k + w[i];
        e = d, d = c, c = ROL(b, 30), b = a, a = t;
    }
    h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e;
}

static void sha256_block(uint32_t *h, const uint8_t *p)
{
    static const uint32_t K[64] = {
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
        0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
        0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
        0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
        0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
        0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
        0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
        0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
        0xc67178f2};
    uint32_t w[64], v[8];
    for (int i = 0; i < 16; i++)
        w[i] = msiz_load_be32(p + 4 * i);
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    memcpy(v, h, sizeof v);
    for (int i = 0; i < 64; i++) {
        uint32_t s1 = ROR(v[4], 6) ^ ROR(v[4], 11) ^ ROR(v[4], 25);
        uint32_t ch = (v[4] & v[5]) ^ (~v[4] & v[6]);
        uint32_t t1 = v[7] + s1 + ch + K[i] + w[i];
        uint32_t s0 = ROR(v[0], 2) ^ ROR(v[0], 13) ^ ROR(v[0], 22);
        uint32_t maj = (v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]);
        memmove(v + 1, v, 7 * sizeof v[0]);
        v[4] += t1;
        v[0] = t1 + s0 + maj;
    }
    for (int i = 0; i < 8; i++)
        h[i] += v[i];
}

static void hash_init(hash_ctx *c, int kind)
{
    static const uint32_t md5[4] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476};
    static const uint32_t sha1[5] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0};
    static const uint32_t sha256[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                       0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    memset(c, 0, sizeof *c);
    c->kind = kind;
    if (kind == IMZ_SUM_MD5)
        memcpy(c->h, md5, sizeof md5);
    else if (kind == IMZ_SUM_SHA1)
        memcpy(c->h, sha1, sizeof sha1);
    else
        memcpy(c->h, sha256, sizeof sha256);
}

static void hash_block(hash_ctx *c, const uint8_t *p)
{
    if (c->kind == IMZ_SUM_MD5)
        md5_block(c->h, p);
    else if (c->kind == IMZ_SUM_SHA1)
        sha1_block(c->h, p);
    else
        sha256_block(c->h, p);
}

static void hash_update(hash_ctx *c, const uint8_t *p, size_t n)
{
    c->total += n;
    while (n) {
        size_t take = 64 - c->used < n ? 64 - c->used : n;
        memcpy(c->block + c->used, p, take);
        c->used += take, p += take, n -= take;
        if (c->used == 64) {
            hash_block(c, c->block);
            c->used = 0;
        }
    }
}

/* Pads, finishes and writes the lowercase hex digest. */
static void hash_final(hash_ctx *c, char *hex)
{
    uint64_t bits = c->total * 8;
    uint8_t pad[72] = {0x80};
    size_t padlen = (c->used < 56 ? 56 : 120) - c->used;
    if (c->kind == IMZ_SUM_MD5)
        msiz_store_le64(pad + padlen, bits);
    else
        msiz_store_be64(pad + padlen, bits);
    hash_update(c, pad, padlen + 8);
    int words = c->kind == IMZ_SUM_MD5 ? 4 : c->kind == IMZ_SUM_SHA1 ? 5 : 8;
    for (int i = 0; i < words; i++) {
        uint32_t w = c->h[i];
        if (c->kind == IMZ_SUM_MD5)
            w = msiz_bswap32(w); /* MD5 words print little-endian */
        snprintf(hex + 8 * i, 9, "%08x", w);
    }
}

static int hex_equal(const char *declared, const char *computed)
{
    size_t i = 0;
    for (; declared[i] && computed[i]; i++)
        if (tolower((unsigned char)declared[i]) != computed[i])
            return 0;
    return declared[i] == '\0' && computed[i] == '\0';
}

/* Hashes `size` bytes of the open file with every declared algorithm in one pass. */
static msiz_status hash_file(int fd, const char *path, uint64_t size, hash_ctx *ctx, int n,
                             volatile int *cancel)
{
    msiz_status status = MSIZ_OK;
    size_t chunk = 1 << 20;
    uint8_t *buf = msiz_malloc(chunk);
    if (!buf)
        return msiz_fail(MSIZ_E_NOMEM, "%s: out of memory for hashing", path);
    for (uint64_t at = 0; at < size; at += chunk) {
        size_t take = size - at < chunk ? (size_t)(size - at) : chunk;
        MSIZ_FAIL_IF(cancel && *cancel, MSIZ_E_INTERRUPTED, "%s: interrupted while hashing", path);
        MSIZ_TRY(msiz_pread_full(fd, path, buf, take, at));
        for (int i = 0; i < n; i++)
            hash_update(&ctx[i], buf, take);
    }
cleanup:
    msiz_free(buf);
    return status;
}

/* One-shot digest of a buffer (unit tests). */
void msiz_imzml_hash_hex(int kind, const void *data, size_t n, char *hex);
void msiz_imzml_hash_hex(int kind, const void *data, size_t n, char *hex)
{
    hash_ctx c;
    hash_init(&c, kind);
    hash_update(&c, data, n);
    hash_final(&c, hex);
}

msiz_status msiz_imzml_verify_checksums(imzml_header *h, int fd, const char *ibd_path,
                                        uint64_t ibd_size, volatile int *cancel)
{
    static const char *names[3] = {"MD5", "SHA-1", "SHA-256"};
    hash_ctx ctx[3];
    int kinds[3], n = 0;
    for (int k = 0; k < 3; k++)
        if (h->checksum[k])
            hash_init(&ctx[n], k), kinds[n++] = k;
    if (n == 0) {
        msiz_imzml_add_check(h, "checksum", "skipped", "no ibd checksum declared");
        return MSIZ_OK;
    }
    msiz_status status = hash_file(fd, ibd_path, ibd_size, ctx, n, cancel);
    if (status < 0)
        return status;
    for (int i = 0; i < n; i++) {
        char hex[65];
        hash_final(&ctx[i], hex);
        if (hex_equal(h->checksum[kinds[i]], hex)) {
            msiz_imzml_add_check(h, "checksum", "passed", "ibd %s matches", names[kinds[i]]);
            continue;
        }
        msiz_warn("%s: ibd %s mismatch: the header says %.70s but %s hashes to %s", h->path,
                  names[kinds[i]], h->checksum[kinds[i]], ibd_path, hex);
        msiz_imzml_add_check(h, "checksum", "warning", "ibd %s mismatch", names[kinds[i]]);
    }
    return MSIZ_OK;
}
