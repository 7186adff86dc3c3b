/* Writes a synthetic processed imzML pair with N spectra for the memory-budget test and the
 * parse benchmark: usage imzml_gen_large OUT_STEM N [compact]. Each <spectrum> element looks like a
 * real exporter's (about 1.2 KB: group refs, TIC, scan with positions, two arrays with offsets);
 * each spectrum has its own 2-peak arrays (float64 m/z, float32 intensity) in the .ibd. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const unsigned char UUID[16] = {0x5a, 0x1f, 0x2b, 0x3c, 0x4d, 0x5e, 0x6f, 0x70,
                                       0x81, 0x92, 0xa3, 0xb4, 0xc5, 0xd6, 0xe7, 0xf8};

static void header(FILE *x, unsigned long n, int side)
{
    fprintf(x, "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n"
               "<mzML xmlns=\"http://psi.hupo.org/ms/mzml\" version=\"1.1\">\n"
               "  <fileDescription>\n    <fileContent>\n"
               "      <cvParam cvRef=\"MS\" accession=\"MS:1000579\" name=\"MS1 spectrum\"/>\n"
               "      <cvParam cvRef=\"MS\" accession=\"MS:1000127\" name=\"centroid spectrum\"/>\n"
               "      <cvParam cvRef=\"IMS\" accession=\"IMS:1000080\" "
               "name=\"universally unique identifier\" value=\"{");
    for (int i = 0; i < 16; i++)
        fprintf(x, "%02X%s", UUID[i], i == 3 || i == 5 || i == 7 || i == 9 ? "-" : "");
    fprintf(x,
            "}\"/>\n      <cvParam cvRef=\"IMS\" accession=\"IMS:1000031\" name=\"processed\"/>\n"
            "    </fileContent>\n  </fileDescription>\n"
            "  <referenceableParamGroupList count=\"3\">\n"
            "    <referenceableParamGroup id=\"mzArray\">\n"
            "      <cvParam cvRef=\"MS\" accession=\"MS:1000514\" name=\"m/z array\"/>\n"
            "      <cvParam cvRef=\"MS\" accession=\"MS:1000523\" name=\"64-bit float\"/>\n"
            "      <cvParam cvRef=\"MS\" accession=\"MS:1000576\" name=\"no compression\"/>\n"
            "      <cvParam cvRef=\"IMS\" accession=\"IMS:1000101\" name=\"external data\" "
            "value=\"true\"/>\n    </referenceableParamGroup>\n"
            "    <referenceableParamGroup id=\"intensityArray\">\n"
            "      <cvParam cvRef=\"MS\" accession=\"MS:1000515\" name=\"intensity array\"/>\n"
            "      <cvParam cvRef=\"MS\" accession=\"MS:1000521\" name=\"32-bit float\"/>\n"
            "      <cvParam cvRef=\"MS\" accession=\"MS:1000576\" name=\"no compression\"/>\n"
            "      <cvParam cvRef=\"IMS\" accession=\"IMS:1000101\" name=\"external data\" "
            "value=\"true\"/>\n    </referenceableParamGroup>\n"
            "    <referenceableParamGroup id=\"spectrum\">\n"
            "      <cvParam cvRef=\"MS\" accession=\"MS:1000579\" name=\"MS1 spectrum\"/>\n"
            "      <cvParam cvRef=\"MS\" accession=\"MS:1000511\" name=\"ms level\" value=\"1\"/>\n"
            "      <cvParam cvRef=\"MS\" accession=\"MS:1000130\" name=\"positive scan\"/>\n"
            "    </referenceableParamGroup>\n  </referenceableParamGroupList>\n"
            "  <scanSettingsList count=\"1\">\n    <scanSettings id=\"scansettings1\">\n"
            "      <cvParam cvRef=\"IMS\" accession=\"IMS:1000042\" name=\"max count of pixels x\" "
            "value=\"%d\"/>\n"
            "      <cvParam cvRef=\"IMS\" accession=\"IMS:1000043\" name=\"max count of pixels y\" "
            "value=\"%d\"/>\n"
            "      <cvParam cvRef=\"IMS\" accession=\"IMS:1000046\" name=\"pixel size x\" "
            "value=\"10\" unitCvRef=\"UO\" unitAccession=\"UO:0000017\" unitName=\"micrometer\"/>\n"
            "      <cvParam cvRef=\"IMS\" accession=\"IMS:1000047\" name=\"pixel size y\" "
            "value=\"10\" unitCvRef=\"UO\" unitAccession=\"UO:0000017\" unitName=\"micrometer\"/>\n"
            "    </scanSettings>\n  </scanSettingsList>\n"
            "  <instrumentConfigurationList count=\"1\">\n"
            "    <instrumentConfiguration id=\"instrumentConfiguration0\">\n"
            "      <cvParam cvRef=\"MS\" accession=\"MS:1000031\" name=\"instrument model\"/>\n"
            "    </instrumentConfiguration>\n  </instrumentConfigurationList>\n"
            "  <run id=\"run\">\n    <spectrumList count=\"%lu\">\n",
            side, side, n);
}

static int compact; /* third argument "compact": no indentation, no TIC (a smaller header) */

static void array(FILE *x, const char *ref, unsigned long long off, int len, int bytes)
{
    if (compact) {
        fprintf(x,
                "<binaryDataArray encodedLength=\"0\"><referenceableParamGroupRef ref=\"%s\"/>"
                "<cvParam cvRef=\"IMS\" accession=\"IMS:1000103\" name=\"external array "
                "length\" value=\"%d\"/><cvParam cvRef=\"IMS\" accession=\"IMS:1000102\" "
                "name=\"external offset\" value=\"%llu\"/><binary/></binaryDataArray>\n",
                ref, len, off);
        return;
    }
    fprintf(x,
            "          <binaryDataArray encodedLength=\"0\">\n"
            "            <referenceableParamGroupRef ref=\"%s\"/>\n"
            "            <cvParam cvRef=\"IMS\" accession=\"IMS:1000103\" "
            "name=\"external array length\" value=\"%d\"/>\n"
            "            <cvParam cvRef=\"IMS\" accession=\"IMS:1000102\" "
            "name=\"external offset\" value=\"%llu\"/>\n"
            "            <cvParam cvRef=\"IMS\" accession=\"IMS:1000104\" "
            "name=\"external encoded length\" value=\"%d\"/>\n"
            "            <binary/>\n          </binaryDataArray>\n",
            ref, len, off, len * bytes);
}

static void spectrum(FILE *x, FILE *b, unsigned long k, int side, unsigned long long *off)
{
    double mz[2] = {100.0 + (double)(k % 1000) * 0.25, 900.0 - (double)(k % 777) * 0.5};
    float in[2] = {(float)(k % 65536), 1.5f};
    if (compact)
        fprintf(x,
                "<spectrum id=\"s%lu\" defaultArrayLength=\"0\" index=\"%lu\">"
                "<referenceableParamGroupRef ref=\"spectrum\"/><scanList count=\"1\"><scan>"
                "<cvParam cvRef=\"IMS\" accession=\"IMS:1000050\" name=\"position x\" "
                "value=\"%lu\"/><cvParam cvRef=\"IMS\" accession=\"IMS:1000051\" "
                "name=\"position y\" value=\"%lu\"/></scan></scanList>"
                "<binaryDataArrayList count=\"2\">\n",
                k, k, k % (unsigned long)side + 1, k / (unsigned long)side + 1);
    else
        fprintf(
            x,
            "      <spectrum id=\"Spectrum=%lu\" defaultArrayLength=\"0\" index=\"%lu\">\n"
            "        <referenceableParamGroupRef ref=\"spectrum\"/>\n"
            "        <cvParam cvRef=\"MS\" accession=\"MS:1000285\" name=\"total ion current\" "
            "value=\"%g\"/>\n"
            "        <scanList count=\"1\">\n"
            "          <cvParam cvRef=\"MS\" accession=\"MS:1000795\" name=\"no combination\"/>\n"
            "          <scan instrumentConfigurationRef=\"instrumentConfiguration0\">\n"
            "            <cvParam cvRef=\"IMS\" accession=\"IMS:1000050\" name=\"position x\" "
            "value=\"%lu\"/>\n"
            "            <cvParam cvRef=\"IMS\" accession=\"IMS:1000051\" name=\"position y\" "
            "value=\"%lu\"/>\n"
            "          </scan>\n        </scanList>\n"
            "        <binaryDataArrayList count=\"2\">\n",
            k + 1, k, (double)in[0] + in[1], k % (unsigned long)side + 1,
            k / (unsigned long)side + 1);
    array(x, "mzArray", *off, 2, 8);
    array(x, "intensityArray", *off + 16, 2, 4);
    fprintf(x, compact ? "</binaryDataArrayList></spectrum>\n"
                       : "        </binaryDataArrayList>\n      </spectrum>\n");
    fwrite(mz, sizeof mz, 1, b);
    fwrite(in, sizeof in, 1, b);
    *off += 24;
}

int main(int argc, char **argv)
{
    if (argc < 3 || argc > 4) {
        fprintf(stderr, "usage: imzml_gen_large OUT_STEM N [compact]\n");
        return 2;
    }
    compact = argc == 4 && strcmp(argv[3], "compact") == 0;
    unsigned long n = strtoul(argv[2], NULL, 10);
    int side = 1;
    while ((unsigned long)side * (unsigned long)side < n)
        side++;
    size_t len = strlen(argv[1]) + 8;
    char *xp = malloc(len), *bp = malloc(len);
    snprintf(xp, len, "%s.imzML", argv[1]);
    snprintf(bp, len, "%s.ibd", argv[1]);
    FILE *x = fopen(xp, "wb"), *b = fopen(bp, "wb");
    if (!x || !b) {
        fprintf(stderr, "cannot create %s / %s\n", xp, bp);
        return 1;
    }
    static char xbuf[1 << 20], bbuf[1 << 20];
    setvbuf(x, xbuf, _IOFBF, sizeof xbuf);
    setvbuf(b, bbuf, _IOFBF, sizeof bbuf);
    fwrite(UUID, 1, 16, b);
    header(x, n, side);
    unsigned long long off = 16;
    for (unsigned long k = 0; k < n; k++)
        spectrum(x, b, k, side, &off);
    fprintf(x, "    </spectrumList>\n  </run>\n</mzML>\n");
    int rc = fclose(x) != 0 || fclose(b) != 0;
    free(xp);
    free(bp);
    return rc;
}
