/* The accessions the imzML reader understands (imzml.md §4, §6-8), looked up by a numeric key
 * so that a million-spectrum header costs a binary search per cvParam, never a string scan. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "imzml/imzml_internal.h"

/* Sorted by accession (strcmp order) for the binary search; a unit test checks the order. */
static const imzml_cv CV_TABLE[] = {
    {"IMS:1000030", IMZ_T_MODE, IMZ_MODE_CONTINUOUS, "continuous", NULL},
    {"IMS:1000031", IMZ_T_MODE, IMZ_MODE_PROCESSED, "processed", NULL},
    {"IMS:1000042", IMZ_T_MAX_COUNT, 0, "max count of pixels x", "max count of pixel x"},
    {"IMS:1000043", IMZ_T_MAX_COUNT, 1, "max count of pixels y", "max count of pixel y"},
    {"IMS:1000044", IMZ_T_MAX_DIMENSION, 0, "max dimension x", NULL},
    {"IMS:1000045", IMZ_T_MAX_DIMENSION, 1, "max dimension y", NULL},
    {"IMS:1000046", IMZ_T_PIXEL_SIZE, 0, "pixel size (x)", "pixel size x"},
    {"IMS:1000047", IMZ_T_PIXEL_SIZE, 1, "pixel size y", NULL},
    {"IMS:1000050", IMZ_T_POSITION, 0, "position x", NULL},
    {"IMS:1000051", IMZ_T_POSITION, 1, "position y", NULL},
    {"IMS:1000052", IMZ_T_POSITION, 2, "position z", NULL},
    {"IMS:1000080", IMZ_T_UUID, 0, "universally unique identifier", NULL},
    {"IMS:1000090", IMZ_T_CHECKSUM, IMZ_SUM_MD5, "ibd MD5", NULL},
    {"IMS:1000091", IMZ_T_CHECKSUM, IMZ_SUM_SHA1, "ibd SHA-1", NULL},
    {"IMS:1000092", IMZ_T_CHECKSUM, IMZ_SUM_SHA256, "ibd SHA-256", NULL},
    {"IMS:1000101", IMZ_T_EXTERNAL_DATA, 0, "external data", NULL},
    {"IMS:1000102", IMZ_T_OFFSET, 0, "external offset", NULL},
    {"IMS:1000103", IMZ_T_LENGTH, 0, "external array length", NULL},
    {"IMS:1000104", IMZ_T_ENCODED_LENGTH, 0, "external encoded length", NULL},
    {"IMS:1000141", IMZ_T_DATA_TYPE, MSIZ_VALUE_I32, "32-bit integer", NULL},
    {"IMS:1000142", IMZ_T_DATA_TYPE, MSIZ_VALUE_I64, "64-bit integer", NULL},
    {"IMS:1000400", IMZ_T_LINESCAN_SEQUENCE, 0, "bottom up", NULL},
    {"IMS:1000401", IMZ_T_LINESCAN_SEQUENCE, 0, "top down", NULL},
    {"IMS:1000402", IMZ_T_LINESCAN_SEQUENCE, 0, "left right", NULL},
    {"IMS:1000403", IMZ_T_LINESCAN_SEQUENCE, 0, "right left", NULL},
    {"IMS:1000404", IMZ_T_LINESCAN_SEQUENCE, 0, "no direction", NULL},
    {"IMS:1000410", IMZ_T_SCAN_PATTERN, 0, "meandering", NULL},
    {"IMS:1000411", IMZ_T_SCAN_PATTERN, 0, "one way", NULL},
    {"IMS:1000412", IMZ_T_SCAN_PATTERN, 0, "random access", NULL},
    {"IMS:1000413", IMZ_T_SCAN_PATTERN, 0, "flyback", NULL},
    {"IMS:1000480", IMZ_T_SCAN_TYPE, 0, "horizontal line scan", NULL},
    {"IMS:1000481", IMZ_T_SCAN_TYPE, 0, "vertical line scan", NULL},
    {"IMS:1000490", IMZ_T_SCAN_DIRECTION, 0, "linescan right left", NULL},
    {"IMS:1000491", IMZ_T_SCAN_DIRECTION, 0, "linescan left right", NULL},
    {"IMS:1000492", IMZ_T_SCAN_DIRECTION, 0, "linescan bottom up", NULL},
    {"IMS:1000493", IMZ_T_SCAN_DIRECTION, 0, "linescan top down", NULL},
    {"IMS:1100000", IMZ_T_DATA_TYPE, MSIZ_VALUE_I8, "8-bit integer", NULL},
    {"IMS:1100001", IMZ_T_DATA_TYPE, MSIZ_VALUE_I16, "16-bit integer", NULL},
    {"MS:1000127", IMZ_T_REPRESENTATION, MSIZ_SPECTRUM_CENTROID, "centroid spectrum", NULL},
    {"MS:1000128", IMZ_T_REPRESENTATION, MSIZ_SPECTRUM_PROFILE, "profile spectrum", NULL},
    {"MS:1000129", IMZ_T_POLARITY, MSIZ_POLARITY_NEGATIVE, "negative scan", NULL},
    {"MS:1000130", IMZ_T_POLARITY, MSIZ_POLARITY_POSITIVE, "positive scan", NULL},
    {"MS:1000514", IMZ_T_ARRAY_KIND, IMZ_KIND_MZ, "m/z array", NULL},
    {"MS:1000515", IMZ_T_ARRAY_KIND, IMZ_KIND_INTENSITY, "intensity array", NULL},
    {"MS:1000516", IMZ_T_ARRAY_KIND, IMZ_KIND_OTHER, "charge array", NULL},
    {"MS:1000517", IMZ_T_ARRAY_KIND, IMZ_KIND_OTHER, "signal to noise array", NULL},
    {"MS:1000519", IMZ_T_DATA_TYPE, MSIZ_VALUE_I32, "32-bit integer", NULL},
    {"MS:1000520", IMZ_T_DATA_TYPE, -1, "16-bit float", NULL},
    {"MS:1000521", IMZ_T_DATA_TYPE, MSIZ_VALUE_F32, "32-bit float", NULL},
    {"MS:1000522", IMZ_T_DATA_TYPE, MSIZ_VALUE_I64, "64-bit integer", NULL},
    {"MS:1000523", IMZ_T_DATA_TYPE, MSIZ_VALUE_F64, "64-bit float", NULL},
    {"MS:1000529", IMZ_T_SERIAL_NUMBER, 0, "instrument serial number", NULL},
    {"MS:1000574", IMZ_T_COMPRESSION, IMZ_COMP_ZLIB, "zlib compression", NULL},
    {"MS:1000576", IMZ_T_COMPRESSION, IMZ_COMP_NONE, "no compression", NULL},
    {"MS:1000595", IMZ_T_ARRAY_KIND, IMZ_KIND_OTHER, "time array", NULL},
    {"MS:1000617", IMZ_T_ARRAY_KIND, IMZ_KIND_OTHER, "wavelength array", NULL},
    {"MS:1000786", IMZ_T_ARRAY_KIND, IMZ_KIND_OTHER, "non-standard data array", NULL},
    {"MS:1000843", IMZ_T_LASER, 0, "wavelength", NULL},
    {"MS:1000844", IMZ_T_LASER, 1, "focus diameter x", NULL},
    {"MS:1000845", IMZ_T_LASER, 2, "focus diameter y", NULL},
    {"MS:1000846", IMZ_T_LASER, 3, "pulse energy", NULL},
    {"MS:1000847", IMZ_T_LASER, 4, "pulse duration", NULL},
    {"MS:1000848", IMZ_T_LASER, 5, "attenuation", NULL},
    {"MS:1002312", IMZ_T_COMPRESSION, IMZ_COMP_OTHER, "MS-Numpress linear prediction compression",
     NULL},
    {"MS:1002313", IMZ_T_COMPRESSION, IMZ_COMP_OTHER, "MS-Numpress positive integer compression",
     NULL},
    {"MS:1002314", IMZ_T_COMPRESSION, IMZ_COMP_OTHER, "MS-Numpress short logged float compression",
     NULL},
    {"MS:1002746", IMZ_T_COMPRESSION, IMZ_COMP_OTHER,
     "MS-Numpress linear prediction compression followed by zlib compression", NULL},
    {"MS:1002747", IMZ_T_COMPRESSION, IMZ_COMP_OTHER,
     "MS-Numpress positive integer compression followed by zlib compression", NULL},
    {"MS:1002748", IMZ_T_COMPRESSION, IMZ_COMP_OTHER,
     "MS-Numpress short logged float compression followed by zlib compression", NULL},
};

#define CV_COUNT (sizeof CV_TABLE / sizeof CV_TABLE[0])

const imzml_cv *msiz_imzml_cv_lookup(const char *accession)
{
    if (!accession)
        return NULL;
    size_t lo = 0, hi = CV_COUNT;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(CV_TABLE[mid].accession, accession);
        if (c == 0)
            return &CV_TABLE[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* Compares names ignoring case, spaces, '-', '_', '(' and ')'. */
static int loose_equal(const char *a, const char *b)
{
    for (;;) {
        while (*a && strchr(" -_()", *a))
            a++;
        while (*b && strchr(" -_()", *b))
            b++;
        if (!*a || !*b)
            return *a == *b;
        if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
            return 0;
        a++, b++;
    }
}

const imzml_cv *msiz_imzml_cv_by_name(const char *name)
{
    if (!name || !*name)
        return NULL;
    for (size_t i = 0; i < CV_COUNT; i++)
        if (loose_equal(CV_TABLE[i].name, name) ||
            (CV_TABLE[i].alias && loose_equal(CV_TABLE[i].alias, name)))
            return &CV_TABLE[i];
    return NULL;
}

int msiz_imzml_cv_name_agrees(const imzml_cv *cv, const char *name)
{
    if (!name || !*name || strcmp(cv->name, name) == 0)
        return 1;
    if (loose_equal(cv->name, name) || (cv->alias && loose_equal(cv->alias, name)))
        return 1;
    /* Another term of the same kind (e.g. MS:1000127 named "profile spectrum") disagrees;
     * an unrelated spelling ("pixel size", "max count of pixel x") is a legacy name. */
    const imzml_cv *other = msiz_imzml_cv_by_name(name);
    return other == NULL || other->term != cv->term;
}

size_t msiz_imzml_value_size(msiz_value_type type)
{
    switch (type) {
    case MSIZ_VALUE_F32:
    case MSIZ_VALUE_I32: return 4;
    case MSIZ_VALUE_F64:
    case MSIZ_VALUE_I64: return 8;
    case MSIZ_VALUE_I8: return 1;
    case MSIZ_VALUE_I16: return 2;
    default: return 0;
    }
}

const char *msiz_imzml_value_type_name(msiz_value_type type)
{
    switch (type) {
    case MSIZ_VALUE_F32: return "float32";
    case MSIZ_VALUE_F64: return "float64";
    case MSIZ_VALUE_I32: return "int32";
    case MSIZ_VALUE_I64: return "int64";
    case MSIZ_VALUE_I8: return "int8";
    case MSIZ_VALUE_I16: return "int16";
    default: return "unknown";
    }
}

int msiz_imzml_unit_to_um(const char *unit, double value, double *um)
{
    *um = value;
    if (!unit || !*unit)
        return 0;
    if (strcmp(unit, "UO:0000016") == 0)
        *um = value * 1000.0;
    else if (strcmp(unit, "UO:0000018") == 0)
        *um = value / 1000.0;
    else if (strcmp(unit, "UO:0000017") != 0)
        return -1;
    return 1;
}

/* For the unit test: the table must stay sorted for the binary search. */
int msiz_imzml_cv_table_sorted(void);
int msiz_imzml_cv_table_sorted(void)
{
    for (size_t i = 1; i < CV_COUNT; i++)
        if (strcmp(CV_TABLE[i - 1].accession, CV_TABLE[i].accession) >= 0)
            return 0;
    return 1;
}
