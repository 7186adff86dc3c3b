/* Unit tests for the imzML reader: accession table, units, UUID compare (incl. the Windows-GUID
 * byte order), offset repair, the in-memory header parser and an allocation-failure loop. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/error.h"
#include "imzml/imzml_internal.h"

int msiz_imzml_cv_table_sorted(void);
void msiz_imzml_hash_hex(int kind, const void *data, size_t n, char *hex);

static void test_hashes(void **state)
{
    (void)state;
    char hex[65];
    const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    msiz_imzml_hash_hex(IMZ_SUM_MD5, "abc", 3, hex);
    assert_string_equal(hex, "900150983cd24fb0d6963f7d28e17f72");
    msiz_imzml_hash_hex(IMZ_SUM_SHA1, "abc", 3, hex);
    assert_string_equal(hex, "a9993e364706816aba3e25717850c26c9cd0d89d");
    msiz_imzml_hash_hex(IMZ_SUM_SHA256, "abc", 3, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    msiz_imzml_hash_hex(IMZ_SUM_SHA256, two, strlen(two), hex);
    assert_string_equal(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    msiz_imzml_hash_hex(IMZ_SUM_SHA1, two, strlen(two), hex);
    assert_string_equal(hex, "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
    msiz_imzml_hash_hex(IMZ_SUM_MD5, "", 0, hex);
    assert_string_equal(hex, "d41d8cd98f00b204e9800998ecf8427e");
}

static void test_cv_lookup(void **state)
{
    (void)state;
    assert_true(msiz_imzml_cv_table_sorted());
    const imzml_cv *cv = msiz_imzml_cv_lookup("MS:1000514");
    assert_non_null(cv);
    assert_int_equal(cv->term, IMZ_T_ARRAY_KIND);
    assert_int_equal(cv->arg, IMZ_KIND_MZ);
    cv = msiz_imzml_cv_lookup("IMS:1000142");
    assert_int_equal(cv->term, IMZ_T_DATA_TYPE);
    assert_int_equal(cv->arg, MSIZ_VALUE_I64);
    assert_int_equal(msiz_imzml_cv_lookup("MS:1000520")->arg, -1);
    assert_int_equal(msiz_imzml_cv_lookup("IMS:1100001")->arg, MSIZ_VALUE_I16);
    assert_null(msiz_imzml_cv_lookup("MS:1000579"));
    assert_null(msiz_imzml_cv_lookup("MS:100051"));
    assert_null(msiz_imzml_cv_lookup(""));
    assert_null(msiz_imzml_cv_lookup(NULL));
    assert_ptr_equal(msiz_imzml_cv_by_name("64-bit float"), msiz_imzml_cv_lookup("MS:1000523"));
    assert_ptr_equal(msiz_imzml_cv_by_name("Pixel Size X"), msiz_imzml_cv_lookup("IMS:1000046"));
    assert_null(msiz_imzml_cv_by_name("origin x"));
}

static void test_cv_names(void **state)
{
    (void)state;
    const imzml_cv *centroid = msiz_imzml_cv_lookup("MS:1000127");
    assert_true(msiz_imzml_cv_name_agrees(centroid, "centroid spectrum"));
    assert_true(msiz_imzml_cv_name_agrees(centroid, ""));
    assert_false(msiz_imzml_cv_name_agrees(centroid, "profile spectrum"));
    const imzml_cv *px = msiz_imzml_cv_lookup("IMS:1000046");
    assert_true(msiz_imzml_cv_name_agrees(px, "pixel size x"));
    assert_true(msiz_imzml_cv_name_agrees(px, "pixel size"));
    assert_false(msiz_imzml_cv_name_agrees(px, "pixel size y"));
    assert_false(msiz_imzml_cv_name_agrees(msiz_imzml_cv_lookup("MS:1000521"), "64-bit float"));
}

static void test_units(void **state)
{
    (void)state;
    double um;
    assert_int_equal(msiz_imzml_unit_to_um("UO:0000016", 0.025, &um), 1);
    assert_true(um == 25.0);
    assert_int_equal(msiz_imzml_unit_to_um("UO:0000018", 4406.25, &um), 1);
    assert_true(um == 4.40625);
    assert_int_equal(msiz_imzml_unit_to_um("UO:0000018", 100.0, &um), 1);
    assert_true(um == 0.1);
    assert_int_equal(msiz_imzml_unit_to_um("UO:0000017", 7.5, &um), 1);
    assert_true(um == 7.5);
    assert_int_equal(msiz_imzml_unit_to_um(NULL, 3.0, &um), 0);
    assert_true(um == 3.0);
    assert_int_equal(msiz_imzml_unit_to_um("UO:0000008", 3.0, &um), -1);
    assert_true(um == 3.0);
    assert_int_equal(msiz_imzml_value_size(MSIZ_VALUE_I8), 1);
    assert_int_equal(msiz_imzml_value_size(MSIZ_VALUE_I16), 2);
    assert_int_equal(msiz_imzml_value_size(MSIZ_VALUE_F32), 4);
    assert_int_equal(msiz_imzml_value_size(MSIZ_VALUE_I64), 8);
}

static void test_uuid(void **state)
{
    (void)state;
    static const uint8_t want[16] = {0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0,
                                     0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef};
    static const uint8_t guid[16] = {0x78, 0x56, 0x34, 0x12, 0xbc, 0x9a, 0xf0, 0xde,
                                     0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef};
    uint8_t got[16];
    const char *spellings[] = {
        "123456789abcdef00123456789abcdef", "12345678-9abc-def0-0123-456789abcdef",
        "{12345678-9ABC-DEF0-0123-456789ABCDEF}", " 12345678-9ABC-DEF0-0123-456789ABCDEF\n"};
    for (size_t i = 0; i < sizeof spellings / sizeof spellings[0]; i++) {
        memset(got, 0, sizeof got);
        assert_int_equal(msiz_imzml_uuid_parse(spellings[i], got), 0);
        assert_memory_equal(got, want, 16);
    }
    assert_int_equal(msiz_imzml_uuid_parse("00000000-0000-0000-0000-00000000000", got), 1);
    assert_int_equal(msiz_imzml_uuid_parse("0000000000000000", got), 1);
    assert_int_equal(msiz_imzml_uuid_parse("", got), 1);
    assert_int_equal(msiz_imzml_uuid_parse("123456789abcdef0", got), -1);
    assert_int_equal(msiz_imzml_uuid_parse("g23456789abcdef00123456789abcdef", got), -1);
    assert_int_equal(msiz_imzml_uuid_parse("123456789abcdef00123456789abcdef00", got), -1);
    assert_int_equal(msiz_imzml_uuid_compare(want, want), 1);
    assert_int_equal(msiz_imzml_uuid_compare(want, guid), 2);
    uint8_t other[16];
    memcpy(other, want, 16);
    other[15] ^= 1;
    assert_int_equal(msiz_imzml_uuid_compare(want, other), 0);
    memcpy(other, guid, 16);
    other[8] ^= 1;
    assert_int_equal(msiz_imzml_uuid_compare(want, other), 0);
}

static void test_offset_repair(void **state)
{
    (void)state;
    imzml_offset_fix fix = {0, 0, 0};
    uint64_t out;
    const int64_t two32 = (int64_t)1 << 32;
    /* 2 GiB - 16, then wrapped 2 GiB + 16, 4 GiB - 8, then 4 GiB + 8 (positive again) and a
     * second wrap at 6 GiB. */
    int64_t raw[] = {INT32_MAX - 15, (2147483648LL + 16) - two32, two32 - 8 - two32, 8,
                     (3 * 2147483648LL + 4) - 2 * two32};
    uint64_t want[] = {2147483632ULL, 2147483664ULL, 4294967288ULL, 4294967304ULL, 6442450948ULL};
    for (int i = 0; i < 5; i++) {
        assert_int_equal(msiz_imzml_offset_repair(&fix, raw[i], &out), 0);
        assert_int_equal(out, want[i]);
    }
    assert_int_equal(fix.repaired, 4);
    imzml_offset_fix plain = {0, 0, 0};
    assert_int_equal(msiz_imzml_offset_repair(&plain, 5000000000LL, &out), 0);
    assert_int_equal(out, 5000000000ULL);
    assert_int_equal(plain.repaired, 0);
    assert_int_equal(msiz_imzml_offset_repair(&plain, -3000000000LL, &out), -1);
}

static const char HEADER[] =
    "<?xml version=\"1.0\"?><mzML><fileDescription><fileContent>"
    "<cvParam accession=\"IMS:1000031\" name=\"processed\"/>"
    "<cvParam accession=\"IMS:1000080\" value=\"{12345678-9abc-def0-0123-456789abcdef}\"/>"
    "</fileContent></fileDescription><referenceableParamGroupList>"
    "<referenceableParamGroup id=\"a\"><cvParam "
    "accession=\"MS:1000523\"/></referenceableParamGroup>"
    "</referenceableParamGroupList><run><spectrumList count=\"2\">"
    "<spectrum><scanList><scan><cvParam accession=\"IMS:1000050\" value=\"3\"/>"
    "<cvParam accession=\"IMS:1000051\" value=\"4\"/><cvParam accession=\"IMS:1000052\" "
    "value=\"7\"/>"
    "</scan></scanList><binaryDataArrayList>"
    "<binaryDataArray><cvParam accession=\"IMS:1000102\" value=\"5000000000\"/>"
    "<referenceableParamGroupRef ref=\"a\"/><cvParam accession=\"MS:1000514\"/>"
    "<cvParam accession=\"IMS:1000103\" value=\"2\"/></binaryDataArray>"
    "<binaryDataArray><cvParam accession=\"MS:1000515\"/><cvParam accession=\"MS:1000519\"/>"
    "<cvParam accession=\"IMS:1000102\" value=\"32\"/><cvParam accession=\"IMS:1000103\" "
    "value=\"2\"/>"
    "</binaryDataArray></binaryDataArrayList></spectrum>"
    "<spectrum><cvParam accession=\"IMS:1000050\" value=\"1\"/>"
    "<cvParam accession=\"IMS:1000051\" value=\"1\"/><binaryDataArrayList>"
    "<binaryDataArray><referenceableParamGroupRef ref=\"a\"/><cvParam accession=\"MS:1000514\"/>"
    "<cvParam accession=\"IMS:1000102\" value=\"48\"/><cvParam accession=\"IMS:1000103\" "
    "value=\"0\"/>"
    "</binaryDataArray><binaryDataArray><cvParam accession=\"MS:1000515\"/>"
    "<cvParam accession=\"MS:1000521\"/><cvParam accession=\"IMS:1000102\" value=\"48\"/>"
    "<cvParam accession=\"IMS:1000103\" value=\"0\"/></binaryDataArray></binaryDataArrayList>"
    "</spectrum></spectrumList></run></mzML>";

static void test_parse_buffer(void **state)
{
    (void)state;
    imzml_header *h;
    assert_int_equal(msiz_imzml_parse_buffer(HEADER, sizeof HEADER - 1, "mem", &h), MSIZ_OK);
    assert_int_equal(h->n_recs, 2);
    assert_int_equal(sizeof h->recs[0], 48);
    assert_int_equal(h->recs[0].mz_off, 5000000000ULL);
    assert_int_equal(h->recs[0].mz_type, MSIZ_VALUE_F64);
    assert_int_equal(h->recs[0].int_type, MSIZ_VALUE_I32);
    assert_int_equal(h->recs[0].x, 3);
    assert_int_equal(h->recs[0].y, 4);
    assert_int_equal(h->recs[0].z, 7);
    assert_int_equal(h->recs[1].z, 1); /* absent: 1, as pyimzML */
    assert_int_equal(h->recs[1].len, 0);
    assert_int_equal(h->mode_flags, IMZ_MODE_PROCESSED);
    assert_string_equal(h->uuid, "{12345678-9abc-def0-0123-456789abcdef}");
    msiz_source_info info;
    memset(&info, 0, sizeof info);
    assert_int_equal(msiz_imzml_resolve(h, &info), MSIZ_OK);
    assert_int_equal(info.n_x, 3);
    assert_int_equal(info.n_y, 4);
    assert_int_equal(info.n_z, 7); /* 7 - 1 + 1 */
    assert_int_equal(info.total_peaks, 2);
    msiz_imzml_header_free(h);
}

static void test_parse_errors(void **state)
{
    (void)state;
    imzml_header *h = (imzml_header *)1;
    assert_int_equal(msiz_imzml_parse_buffer(HEADER, 200, "mem.imzML", &h), MSIZ_E_FORMAT);
    assert_null(h);
    assert_non_null(strstr(msiz_last_error(), "mem.imzML: XML error at line 1, column"));
    char *copy = strdup(HEADER);
    char *at = strstr(copy, "\"IMS:1000051\" value=\"4\"");
    memcpy(at, "\"IMS:1000059", 12);
    assert_int_equal(msiz_imzml_parse_buffer(copy, strlen(copy), "mem.imzML", &h), MSIZ_E_FORMAT);
    assert_string_equal(msiz_last_error(), "mem.imzML: spectrum 0 has no position y (IMS:1000051)");
    free(copy);
}

/* raw_metadata (issue 9 item 4) and undefined group references (#79). */
static const char META_HEADER[] =
    "<mzML><fileDescription><fileContent>"
    "<cvParam accession=\"IMS:1000031\" name=\"processed\"/>"
    "<userParam name=\"A*b/..\" value=\"u1\" type=\"xsd:string\"/>"
    "<cvParam accession=\"MS:1000128\" name=\"wrong name\"/>"
    "<referenceableParamGroupRef ref=\"g\"/><referenceableParamGroupRef ref=\"none\"/>"
    "</fileContent></fileDescription><referenceableParamGroupList>"
    "<referenceableParamGroup id=\"g\"><cvParam accession=\"MS:1000130\" name=\"positive scan\"/>"
    "<cvParam accession=\"IMS:1000031\" name=\"processed\" value=\"from group\"/>"
    "<userParam name=\"gu\" value=\"2\"/></referenceableParamGroup>"
    "</referenceableParamGroupList><scanSettingsList><scanSettings id=\"s1\">"
    "<cvParam accession=\"IMS:1000042\" value=\"2\"/></scanSettings><scanSettings id=\"s2\">"
    "<cvParam accession=\"IMS:1000042\" value=\"9\"/>"
    "<cvParam accession=\"IMS:1000044\" value=\"3.75\"/>"
    "<cvParam accession=\"IMS:1000046\" value=\"20\" unitAccession=\"UO:0000017\" "
    "unitName=\"micrometer\"/></scanSettings></scanSettingsList>"
    "<instrumentConfigurationList><instrumentConfiguration id=\"ic\"><componentList>"
    "<source order=\"1\"><cvParam accession=\"MS:1000848\" value=\"50\"/></source>"
    "</componentList></instrumentConfiguration></instrumentConfigurationList>"
    "<run><spectrumList><spectrum><referenceableParamGroupRef ref=\"gone\"/>"
    "<userParam name=\"per spectrum\" value=\"not kept\"/>"
    "<cvParam accession=\"IMS:1000050\" value=\"1\"/><cvParam accession=\"IMS:1000051\" "
    "value=\"1\"/><cvParam accession=\"IMS:1000052\" value=\"3\"/><binaryDataArrayList>"
    "<binaryDataArray><cvParam accession=\"MS:1000514\"/><cvParam accession=\"MS:1000523\"/>"
    "<cvParam accession=\"IMS:1000102\" value=\"16\"/><cvParam accession=\"IMS:1000103\" "
    "value=\"0\"/></binaryDataArray><binaryDataArray><referenceableParamGroupRef ref=\"g\"/>"
    "<cvParam accession=\"MS:1000523\"/><cvParam accession=\"IMS:1000102\" value=\"16\"/>"
    "</binaryDataArray><binaryDataArray><cvParam accession=\"MS:1000515\"/>"
    "<cvParam accession=\"MS:1000523\"/><cvParam accession=\"IMS:1000102\" value=\"16\"/>"
    "<cvParam accession=\"IMS:1000103\" value=\"0\"/></binaryDataArray></binaryDataArrayList>"
    "</spectrum></spectrumList></run></mzML>";

static void test_raw_metadata(void **state)
{
    (void)state;
    imzml_header *h;
    assert_int_equal(msiz_imzml_parse_buffer(META_HEADER, sizeof META_HEADER - 1, "m", &h),
                     MSIZ_OK);
    assert_int_equal(h->missing_refs, 2); /* "none" in fileContent, "gone" on the spectrum */
    assert_string_equal(h->first_missing_ref, "\"gone\" in spectrum 0");
    assert_int_equal(h->kindless_arrays, 1); /* group "g" says no array kind */
    assert_int_equal(h->polarity_mask, 1u << MSIZ_POLARITY_POSITIVE); /* fileContent -> "g" */
    assert_string_equal(h->dict_value[0], "2"); /* first IMS:1000042 of any block */
    assert_string_equal(h->dict_value[2], "3.75");
    assert_string_equal(h->dict_value[12], "50"); /* inside the componentList */
    assert_null(h->dict_value[1]);
    char *text = msiz_imzml_metadata_json(h, "m.ibd");
    assert_non_null(text);
    json_t *root = json_loads(text, 0, NULL), *raw = json_object_get(root, "raw_metadata");
    msiz_free(text);
    assert_int_equal(json_integer_value(json_object_get(raw, "max count of pixels x")), 2);
    assert_null(json_object_get(raw, "max dimension x")); /* int("3.75") fails in pyimzML too */
    assert_true(json_real_value(json_object_get(raw, "pixel size x")) == 20.0);
    assert_true(json_real_value(json_object_get(raw, "attenuation")) == 50.0);
    assert_int_equal(json_integer_value(json_object_get(raw, "max count of pixels z")), 3);
    /* pyimzML's param_by_name order: userParams, cvParams, then the group's new names */
    json_t *cv = json_object_get(raw, "cvParams");
    static const char *const names[] = {"A*b/..", "processed", "profile spectrum", "positive scan",
                                        "gu"};
    assert_int_equal(json_array_size(cv), 5);
    for (size_t i = 0; i < 5; i++)
        assert_string_equal(json_string_value(json_object_get(json_array_get(cv, i), "name")),
                            names[i]);
    assert_string_equal(json_string_value(json_object_get(json_array_get(cv, 1), "value")), "");
    /* every header param with its place; none from the spectrum list */
    json_t *all = json_object_get(raw, "header_params");
    assert_int_equal(json_array_size(all), 11);
    json_t *last = json_array_get(all, 10);
    assert_string_equal(json_string_value(json_object_get(last, "section")),
                        "instrumentConfigurationList/instrumentConfiguration[ic]/componentList/"
                        "source[1]");
    json_t *user = json_array_get(all, 1);
    assert_string_equal(json_string_value(json_object_get(user, "element")), "userParam");
    assert_string_equal(json_string_value(json_object_get(user, "type")), "xsd:string");
    json_t *px = json_array_get(all, 9);
    assert_string_equal(json_string_value(json_object_get(px, "name")), "pixel size (x)");
    assert_string_equal(json_string_value(json_object_get(px, "unit_name")), "micrometer");
    json_decref(root);
    msiz_imzml_header_free(h);
}

/* Every allocation of a full open fails in turn: each must fail cleanly (ASan checks leaks). */
static void test_open_alloc_failures(void **state)
{
    (void)state;
    char path[4096];
    const char *data = getenv("MSIZ_TEST_DATA");
    snprintf(path, sizeof path, "%s/imzy_simple_imzml/simple_imzml.imzML",
             data ? data : "tests/data");
    int ok = 0;
    for (long n = 0; n < 2000 && !ok; n++) {
        msiz_source *src = NULL;
        msiz_alloc_fail_after(n);
        msiz_status st = msiz_source_open(path, NULL, &src);
        msiz_spectrum sp;
        msiz_spectrum_init(&sp);
        if (st == MSIZ_OK) {
            msiz_status rs = msiz_source_read(src, 4, &sp);
            assert_true(rs == MSIZ_OK || rs == MSIZ_E_NOMEM);
            ok = rs == MSIZ_OK && n > 10;
            msiz_source_close(src);
        } else {
            assert_null(src);
            assert_int_equal(st, MSIZ_E_NOMEM);
        }
        msiz_spectrum_destroy(&sp);
    }
    msiz_alloc_fail_after(-1);
    assert_true(ok);
}

/* Parses a header whose one cvParam value is `len` bytes long from a file; returns the work
 * the parser reports (bytes expat may have scanned, rescans of unfinished tokens included). */
static uint64_t long_attribute_work(size_t len, volatile int *cancel, msiz_status *status)
{
    static const char head[] = "<?xml version=\"1.0\"?><mzML><fileDescription><fileContent>"
                               "<cvParam accession=\"MS:1000579\" name=\"x\" value=\"";
    static const char tail[] = "\"/></fileContent></fileDescription><run/></mzML>";
    char path[] = "/tmp/msiz-test-imzml-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w+");
    assert_non_null(f);
    fputs(head, f);
    for (size_t i = 0; i < len; i++)
        fputc('A' + (int)(i % 26), f);
    fputs(tail, f);
    fflush(f);
    rewind(f);
    imzml_header *h = NULL;
    *status = msiz_imzml_parse_fd(fileno(f), path, cancel, &h);
    uint64_t work = h ? h->xml_work : 0;
    msiz_imzml_header_free(h);
    fclose(f);
    unlink(path);
    return work;
}

/* Issue 13 item 4: a very long attribute value costs work linear in its length (expat rescans
 * an unfinished token from its start on every call; fixed 256 KiB pieces made it quadratic:
 * 32 MiB -> 2 GiB of rescans). */
static void test_long_attribute_linear(void **state)
{
    (void)state;
    msiz_status st;
    size_t mib = (size_t)1 << 20;
    uint64_t w8 = long_attribute_work(8 * mib, NULL, &st);
    assert_int_equal(st, MSIZ_OK);
    uint64_t w32 = long_attribute_work(32 * mib, NULL, &st);
    assert_int_equal(st, MSIZ_OK);
    assert_true(w8 >= 8 * mib);
    assert_true(w32 < 5 * w8);         /* linear: 4x; fixed pieces: 16x */
    assert_true(w32 < 8 * (32 * mib)); /* a few scans per byte */
}

static void test_parse_cancelled(void **state)
{
    (void)state;
    msiz_status st;
    volatile int cancel = 1;
    long_attribute_work(1000, &cancel, &st);
    assert_int_equal(st, MSIZ_E_INTERRUPTED);
    assert_non_null(strstr(msiz_last_error(), "interrupted while reading the header"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cv_lookup),
        cmocka_unit_test(test_raw_metadata),
        cmocka_unit_test(test_cv_names),
        cmocka_unit_test(test_hashes),
        cmocka_unit_test(test_units),
        cmocka_unit_test(test_uuid),
        cmocka_unit_test(test_offset_repair),
        cmocka_unit_test(test_parse_buffer),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_open_alloc_failures),
        cmocka_unit_test(test_long_attribute_linear),
        cmocka_unit_test(test_parse_cancelled),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
