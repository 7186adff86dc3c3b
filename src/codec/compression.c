/* msiz_compression (compression.h): defaults and the --compression text form, shared by the
 * converter, the CLI, and the Zarr and Parquet writers (each maps it onto its own codecs); the
 * names of msiz_parquet_codec (--shapes-compression). */
#include "msizarr/compression.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"

void msiz_compression_init(msiz_compression *c)
{
    c->codec = MSIZ_CODEC_ZSTD;
    c->level = MSIZ_LEVEL_DEFAULT;
    c->shuffle = MSIZ_SHUFFLE_BYTE;
}

static const struct {
    const char *name;
    msiz_codec codec;
} g_codecs[] = {
    {"zstd", MSIZ_CODEC_ZSTD},           {"gzip", MSIZ_CODEC_GZIP},
    {"blosc-lz4", MSIZ_CODEC_BLOSC_LZ4}, {"blosc-zstd", MSIZ_CODEC_BLOSC_ZSTD},
    {"none", MSIZ_CODEC_NONE},
};

static int parse_level(const char *s, size_t len, int *level)
{
    char buf[16];
    if (len == 0 || len >= sizeof buf)
        return -1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    char *end = NULL;
    errno = 0;
    long v = strtol(buf, &end, 10);
    if (errno || *end != '\0' || v < -131072 || v > 22)
        return -1;
    *level = (int)v;
    return 0;
}

static int parse_shuffle(const char *s, msiz_shuffle *sh)
{
    if (strcmp(s, "noshuffle") == 0)
        *sh = MSIZ_SHUFFLE_NONE;
    else if (strcmp(s, "shuffle") == 0)
        *sh = MSIZ_SHUFFLE_BYTE;
    else if (strcmp(s, "bitshuffle") == 0)
        *sh = MSIZ_SHUFFLE_BIT;
    else
        return -1;
    return 0;
}

static int level_ok(msiz_codec codec, int level)
{
    if (level == MSIZ_LEVEL_DEFAULT)
        return 1;
    switch (codec) {
    case MSIZ_CODEC_ZSTD: return level >= -131072 && level <= 22;
    case MSIZ_CODEC_GZIP: return level >= 0 && level <= 9;
    case MSIZ_CODEC_BLOSC_LZ4:
    case MSIZ_CODEC_BLOSC_ZSTD: return level >= 0 && level <= 9;
    case MSIZ_CODEC_NONE: return 0;
    }
    return 0;
}

/* "<codec>[:<level>[:<shuffle>]]", shuffle only for blosc. */
msiz_status msiz_compression_parse(const char *text, msiz_compression *c)
{
    if (!text || !c)
        return msiz_fail(MSIZ_E_ARG, "compression: missing text");
    msiz_compression r;
    msiz_compression_init(&r);
    const char *colon = strchr(text, ':');
    size_t name_len = colon ? (size_t)(colon - text) : strlen(text);
    size_t i;
    for (i = 0; i < sizeof g_codecs / sizeof g_codecs[0]; i++)
        if (strlen(g_codecs[i].name) == name_len && memcmp(g_codecs[i].name, text, name_len) == 0)
            break;
    if (i == sizeof g_codecs / sizeof g_codecs[0])
        return msiz_fail(MSIZ_E_ARG,
                         "compression '%s': unknown codec (zstd, gzip, blosc-lz4, blosc-zstd, "
                         "none)",
                         text);
    r.codec = g_codecs[i].codec;
    if (colon) {
        const char *second = strchr(colon + 1, ':');
        size_t level_len = second ? (size_t)(second - colon - 1) : strlen(colon + 1);
        int blosc = r.codec == MSIZ_CODEC_BLOSC_LZ4 || r.codec == MSIZ_CODEC_BLOSC_ZSTD;
        if (parse_level(colon + 1, level_len, &r.level) != 0 || !level_ok(r.codec, r.level))
            return msiz_fail(MSIZ_E_ARG, "compression '%s': invalid level", text);
        if (second && (!blosc || parse_shuffle(second + 1, &r.shuffle) != 0))
            return msiz_fail(MSIZ_E_ARG,
                             "compression '%s': shuffle must be noshuffle, shuffle or bitshuffle "
                             "(blosc only)",
                             text);
    }
    *c = r;
    return MSIZ_OK;
}

static const struct {
    const char *name;
    msiz_parquet_codec codec;
} g_names[] = {{"snappy", MSIZ_PARQUET_SNAPPY},
               {"zstd", MSIZ_PARQUET_ZSTD},
               {"gzip", MSIZ_PARQUET_GZIP},
               {"none", MSIZ_PARQUET_UNCOMPRESSED}};

msiz_status msiz_parquet_codec_parse(const char *text, msiz_parquet_codec *codec)
{
    for (size_t i = 0; text && i < sizeof g_names / sizeof g_names[0]; i++)
        if (strcmp(text, g_names[i].name) == 0) {
            *codec = g_names[i].codec;
            return MSIZ_OK;
        }
    return msiz_fail(MSIZ_E_ARG, "unknown Parquet codec '%s' (snappy, zstd, gzip or none)",
                     text ? text : "(null)");
}

const char *msiz_parquet_codec_name(msiz_parquet_codec codec)
{
    for (size_t i = 0; i < sizeof g_names / sizeof g_names[0]; i++)
        if (g_names[i].codec == codec)
            return g_names[i].name;
    return "unknown";
}
