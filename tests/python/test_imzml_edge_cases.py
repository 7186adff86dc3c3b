"""imzML rows of edge-cases.md: one test each, expected exit code and error or warning text.

Bad inputs are generated here: small synthetic pairs written by `make_pair`, or edited copies of
the third-party samples in tests/data. Rows 35-39, 42's skipping, 43-46, 48 and 58+ belong to the
converter (see docs/imzml.md); the reader-level part of them is tested where there is one.
"""
import os
import pathlib
import re
import shutil
import struct
import subprocess
import uuid as uuidlib
import zlib

import numpy as np
import pytest

DATA = pathlib.Path(__file__).resolve().parents[1] / "data"

TYPES = {
    "MS:1000521": ("32-bit float", "<f4"),
    "MS:1000523": ("64-bit float", "<f8"),
    "MS:1000519": ("32-bit integer", "<i4"),
    "MS:1000522": ("64-bit integer", "<i8"),
    "IMS:1000141": ("32-bit integer", "<i4"),
    "IMS:1000142": ("64-bit integer", "<i8"),
    "IMS:1100000": ("8-bit integer", "<i1"),
    "IMS:1100001": ("16-bit integer", "<i2"),
}
PIXEL = ('<cvParam cvRef="IMS" accession="IMS:1000046" name="pixel size x" value="10" '
         'unitCvRef="UO" unitAccession="UO:0000017" unitName="micrometer"/>')
CENTROID = '<cvParam cvRef="MS" accession="MS:1000127" name="centroid spectrum"/>'
DEFAULT_SPECTRA = [
    {"x": 1, "y": 1, "mz": [100.0, 200.0, 300.0], "int": [1.0, 2.0, 3.0]},
    {"x": 2, "y": 1, "mz": [101.0, 201.0], "int": [4.0, 5.0]},
    {"x": 1, "y": 2, "mz": [102.5], "int": [6.0]},
]


def cv(acc, name, value=None):
    v = f' value="{value}"' if value is not None else ""
    return f'<cvParam cvRef="{acc.split(":")[0]}" accession="{acc}" name="{name}"{v}/>'


def make_pair(tmp, spectra=None, *, name="sample", mode="IMS:1000031", mz_type="MS:1000523",
              int_type="MS:1000521", inline=False, positions_on="scan", repr_cv=CENTROID,
              uuid_text=None, uuid_bytes=None, pixel=PIXEL, file_extra="", zlib_arrays=False,
              continuous=False, enc_len=True):
    """Writes <tmp>/<name>.imzML and .ibd; returns the imzML path."""
    spectra = DEFAULT_SPECTRA if spectra is None else spectra
    u = uuidlib.UUID("12345678-9abc-def0-1234-56789abcdef0")
    ibd = bytearray(uuid_bytes if uuid_bytes is not None else u.bytes)
    mz_dt, int_dt = TYPES[mz_type][1], TYPES[int_type][1]

    def put(values, dt):
        raw = np.asarray(values, dtype=dt).tobytes()
        if zlib_arrays:
            raw = zlib.compress(raw)
        off = len(ibd)
        ibd.extend(raw)
        return off, len(raw)

    shared = put(spectra[0]["mz"], mz_dt) if continuous else None
    arrays = []
    for sp in spectra:
        m = shared if continuous else put(sp["mz"], mz_dt)
        i = put(sp["int"], int_dt)
        arrays.append((m, i))
    comp = cv("MS:1000574", "zlib compression") if zlib_arrays else cv("MS:1000576", "no compression")
    mz_params = cv("MS:1000514", "m/z array") + cv(mz_type, TYPES[mz_type][0]) + comp
    int_params = cv("MS:1000515", "intensity array") + cv(int_type, TYPES[int_type][0]) + comp
    groups = "" if inline else (
        '<referenceableParamGroupList count="2">'
        f'<referenceableParamGroup id="mzArray">{mz_params}</referenceableParamGroup>'
        f'<referenceableParamGroup id="intensityArray">{int_params}</referenceableParamGroup>'
        '</referenceableParamGroupList>')
    body = []
    for k, (sp, (m, i)) in enumerate(zip(spectra, arrays)):
        pos = ""
        if "x" in sp:
            pos += cv("IMS:1000050", "position x", sp["x"])
        if "y" in sp:
            pos += cv("IMS:1000051", "position y", sp["y"])
        if "z" in sp:
            pos += cv("IMS:1000052", "position z", sp["z"])
        scan = f"<scanList count=\"1\"><scan>{pos if positions_on == 'scan' else ''}</scan></scanList>"
        n = len(sp["mz"])

        def bda(params, ref, where, count):
            head = params if inline else f'<referenceableParamGroupRef ref="{ref}"/>'
            enc = cv("IMS:1000104", "external encoded length", where[1]) if enc_len else ""
            return (f'<binaryDataArray encodedLength="0">{head}'
                    f'{cv("IMS:1000103", "external array length", count)}'
                    f'{cv("IMS:1000102", "external offset", where[0])}{enc}<binary/></binaryDataArray>')

        body.append(
            f'<spectrum id="s{k}" defaultArrayLength="0" index="{k}">'
            f'{pos if positions_on == "spectrum" else ""}{scan}'
            f'<binaryDataArrayList count="2">{bda(mz_params, "mzArray", m, len(spectra[0]["mz"]) if continuous else n)}'
            f'{bda(int_params, "intensityArray", i, n)}</binaryDataArrayList></spectrum>')
    uuid_param = cv("IMS:1000080", "universally unique identifier",
                    uuid_text if uuid_text is not None else u.hex)
    mode_param = cv(mode, "processed" if mode.endswith("31") else "continuous") if mode else ""
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<mzML xmlns="http://psi.hupo.org/ms/mzml" version="1.1">\n'
        f'<fileDescription><fileContent>{cv("MS:1000579", "MS1 spectrum")}{repr_cv}{mode_param}'
        f'{uuid_param}{file_extra}</fileContent></fileDescription>\n'
        f'{groups}\n'
        f'<scanSettingsList count="1"><scanSettings id="ss1">'
        f'{cv("IMS:1000042", "max count of pixels x", 2)}{cv("IMS:1000043", "max count of pixels y", 2)}'
        f'{pixel}</scanSettings></scanSettingsList>\n'
        f'<run id="r"><spectrumList count="{len(spectra)}">\n' + "\n".join(body) +
        '\n</spectrumList></run></mzML>\n')
    path = pathlib.Path(tmp) / f"{name}.imzML"
    path.write_text(xml)
    (pathlib.Path(tmp) / f"{name}.ibd").write_bytes(bytes(ibd))
    return path


def msizarr(build_dir, *args):
    return subprocess.run([str(build_dir / "msizarr"), *map(str, args)], capture_output=True,
                          text=True)


def dump_rows(build_dir, path):
    proc = msizarr(build_dir, "dump", path)
    assert proc.returncode == 0, proc.stderr
    return [line.split("\t") for line in proc.stdout.splitlines()[1:]], proc.stderr


def expect_error(build_dir, path, *fragments):
    proc = msizarr(build_dir, "info", path)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "msizarr: error: " in proc.stderr
    for f in fragments:
        assert f in proc.stderr, (f, proc.stderr)
    return proc


def expect_ok(build_dir, path, *warnings, absent=(), args=()):
    proc = msizarr(build_dir, "info", "--json", *args, path)
    assert proc.returncode == 0, proc.stderr
    for w in warnings:
        assert "msizarr: warning: " in proc.stderr
        assert w in proc.stderr, (w, proc.stderr)
    for a in absent:
        assert a not in proc.stderr, (a, proc.stderr)
    import json
    return json.loads(proc.stdout), proc.stderr


def copy_sample(tmp, folder, stem, new_stem=None, edit=None, binary_edit=None):
    new_stem = new_stem or stem
    src = DATA / folder
    xml = (src / f"{stem}.imzML").read_bytes()
    if edit:
        xml = edit(xml)
    dst = pathlib.Path(tmp) / f"{new_stem}.imzML"
    dst.write_bytes(xml)
    ibd = (src / f"{stem}.ibd").read_bytes()
    if binary_edit:
        ibd = binary_edit(ibd)
    (pathlib.Path(tmp) / f"{new_stem}.ibd").write_bytes(ibd)
    return dst


def test_generator_baseline(build_dir, tmp_path):
    """The synthetic pair itself is clean: no warning, values as written."""
    path = make_pair(tmp_path)
    info, err = expect_ok(build_dir, path)
    assert err == ""
    assert info["n_spectra"] == 3 and info["grid"] == [2, 2, 1]
    rows, _ = dump_rows(build_dir, path)
    assert rows[0] == ["0", "1", "1", "1", "100", "1"]
    assert len(rows) == 6


# ---- A. locating inputs ----------------------------------------------------------------------

def test_02_ibd_missing_names_both_paths(build_dir, tmp_path):
    path = make_pair(tmp_path)
    (tmp_path / "sample.ibd").unlink()
    expect_error(build_dir, path, f"{path}: binary file {tmp_path}/sample.ibd not found",
                 "case variant of sample.ibd")


def test_02_ibd_case_variants(build_dir, tmp_path):
    path = make_pair(tmp_path)
    (tmp_path / "sample.ibd").rename(tmp_path / "SAMPLE.IBD")
    lower = tmp_path / "sample.imzml"
    path.rename(lower)
    info, _ = expect_ok(build_dir, lower)
    assert info["metadata"]["format_specific"]["ibd_file"].endswith("SAMPLE.IBD")


# ---- B. XML structure ------------------------------------------------------------------------

def test_08_truncated_xml_line_column(build_dir, tmp_path):
    path = make_pair(tmp_path)
    text = path.read_text()
    path.write_text(text[: len(text) // 2])
    expect_error(build_dir, path, f"{path}: XML error at line ", ", column ")


def test_08_malformed_xml(build_dir, tmp_path):
    path = make_pair(tmp_path)
    path.write_text(path.read_text().replace("<run id", "<run <id", 1))
    expect_error(build_dir, path, "XML error at line 6, column 6: not well-formed")


def test_09_crlf_unindented_latin1(build_dir, tmp_path):
    path = make_pair(tmp_path, file_extra=cv("MS:1000586", "contact name", "Gie\u00dfen"))
    text = path.read_text().replace('encoding="UTF-8"', 'encoding="ISO-8859-1"')
    path.write_bytes(text.replace("\n", "\r\n").encode("latin-1"))
    info, err = expect_ok(build_dir, path)
    assert err == ""
    params = info["metadata"]["raw_metadata"]["cvParams"]
    assert {"name": "contact name", "value": "Gie\u00dfen", "accession": "MS:1000586",
            "unit_accession": "", "unit_name": ""} in params
    # the real IONTOF fixture: ISO-8859-1, CRLF, unindented
    expect_ok(build_dir, DATA / "thyra_fixtures" / "iontof_sparse.imzML")


def test_10_root_without_namespace_and_prefixed(build_dir, tmp_path):
    path = make_pair(tmp_path)
    path.write_text(path.read_text().replace(' xmlns="http://psi.hupo.org/ms/mzml"', ""))
    info, _ = expect_ok(build_dir, path)
    assert info["n_spectra"] == 3
    text = make_pair(tmp_path, name="p").read_text()
    text = re.sub(r"<(/?)(\w)", r"<\1m:\2", text).replace('xmlns="', 'xmlns:m="')
    (tmp_path / "p.imzML").write_text(text)
    info, _ = expect_ok(build_dir, tmp_path / "p.imzML")
    assert info["n_spectra"] == 3


def test_11_name_disagrees_accession_wins(build_dir):
    info, err = expect_ok(build_dir, DATA / "pym2aia_test" / "test.imzML",
                          'MS:1000127 is named "profile spectrum" but means "centroid spectrum"); '
                          "the accession wins")
    assert info["spectrum_type"] == "centroid"


def test_11_unknown_accession_resolved_by_name(build_dir, tmp_path):
    path = make_pair(tmp_path)
    path.write_text(path.read_text().replace('accession="MS:1000523"', 'accession="MS:9999999"'))
    info, err = expect_ok(build_dir, path, 'unknown accession MS:9999999 named "64-bit float"')
    assert info["mz_type"] == "float64"


def test_12_both_modes_inferred(build_dir, tmp_path):
    """pyimzML reads such a file by its offsets; so do we, with a warning (issue 9 item 5;
    test_imzml_forgiving.py compares the values with pyimzML's)."""
    path = make_pair(tmp_path, file_extra=cv("IMS:1000030", "continuous"))
    info, _ = expect_ok(build_dir, path, "declares both continuous (IMS:1000030) and processed",
                        "read as processed")
    assert info["mode"] == "processed"


def test_13_no_mode_inferred(build_dir, tmp_path):
    path = make_pair(tmp_path, mode=None)
    info, _ = expect_ok(build_dir, path, "no storage mode term", "read as processed")
    assert info["mode"] == "processed"
    same = [{"x": i, "y": 1, "mz": [1.0, 2.0], "int": [i, i]} for i in (1, 2)]
    path = make_pair(tmp_path, same, name="c", mode=None, continuous=True)
    info, _ = expect_ok(build_dir, path, "read as continuous")
    assert info["mode"] == "continuous"


def test_13_wrong_mode_accession(build_dir, tmp_path):
    path = make_pair(tmp_path, mode=None,
                     file_extra=cv("IMS:1000032", "processed"))
    info, _ = expect_ok(build_dir, path, "unknown accession", "read as processed")
    assert info["mode"] == "processed"


def test_14_continuous_with_differing_mz(build_dir, tmp_path):
    path = make_pair(tmp_path, mode="IMS:1000030")
    info, _ = expect_ok(build_dir, path, "declared continuous but spectrum 1's m/z array differs",
                        "read as processed")
    assert info["mode"] == "processed"
    rows, _ = dump_rows(build_dir, path)
    assert [r[4] for r in rows if r[0] == "1"] == ["101", "201"]


def test_15_inline_params_positions_on_spectrum(build_dir, tmp_path):
    path = make_pair(tmp_path, inline=True, positions_on="spectrum")
    info, err = expect_ok(build_dir, path)
    assert err == ""
    rows, _ = dump_rows(build_dir, path)
    assert rows[3] == ["1", "2", "1", "1", "101", "4"]


def test_15_ref_after_params(build_dir, tmp_path):
    path = make_pair(tmp_path)
    text = re.sub(r'(<referenceableParamGroupRef ref="\w+"/>)((?:<cvParam[^>]*/>)+)', r"\2\1",
                  path.read_text())
    path.write_text(text)
    assert dump_rows(build_dir, path)[0] == dump_rows(build_dir, make_pair(tmp_path, name="b"))[0]


def test_15_unknown_group_ref(build_dir, tmp_path):
    """The reference itself is only a warning (#79); the array it leaves undescribed is not."""
    path = make_pair(tmp_path)
    path.write_text(path.read_text().replace('ref="intensityArray"', 'ref="nope"', 1))
    expect_error(build_dir, path, "spectrum 0 has no intensity array (MS:1000515); it references "
                 '"nope", which names no referenceableParamGroup')


def test_16_array_kind_unresolvable(build_dir, tmp_path):
    path = make_pair(tmp_path, inline=True)
    text = path.read_text()
    idx = text.index('accession="MS:1000515"', text.index("<spectrum "))
    start = text.rindex("<cvParam", 0, idx)
    text = text[:start] + text[text.index("/>", idx) + 2:]
    path.write_text(text)
    expect_error(build_dir, path, f"{path}: spectrum 0 has no intensity array (MS:1000515)")


def test_16_array_kind_both(build_dir, tmp_path):
    path = make_pair(tmp_path, inline=True)
    text = path.read_text()
    path.write_text(text.replace(cv("MS:1000514", "m/z array"),
                                 cv("MS:1000514", "m/z array") + cv("MS:1000515", "intensity array"),
                                 1))
    expect_error(build_dir, path, "spectrum 0: binaryDataArray 1 is declared both m/z array")


def test_16_two_mz_arrays(build_dir, tmp_path):
    path = make_pair(tmp_path)
    path.write_text(path.read_text().replace('ref="intensityArray"', 'ref="mzArray"', 2))
    expect_error(build_dir, path, "spectrum 0 has two m/z arrays")


def test_17_offsets_outside_arrays_and_trailing_bytes(build_dir, tmp_path):
    extra = cv("IMS:1000102", "external offset", 999999) + cv("IMS:1000103", "external array length", 5)
    path = make_pair(tmp_path)
    text = path.read_text().replace(
        "<run ", f'<softwareList count="1"><software id="w" version="1">{extra}</software>'
                 "</softwareList><run ", 1)
    text = text.replace("<scanList", extra + "<scanList", 1)
    path.write_text(text)
    with open(tmp_path / "sample.ibd", "ab") as f:
        f.write(b"\0" * 1000)
    proc = msizarr(build_dir, "info", "-v", path)
    assert proc.returncode == 0, proc.stderr
    assert "1000 bytes after the last declared array are not referenced" in proc.stderr


def test_18_spectrum_count_mismatch(build_dir, tmp_path):
    path = make_pair(tmp_path)
    path.write_text(path.read_text().replace('<spectrumList count="3">', '<spectrumList count="7">'))
    info, _ = expect_ok(build_dir, path, "spectrumList count says 7 but 3 spectra are present")
    assert info["n_spectra"] == 3


# ---- C. binary data --------------------------------------------------------------------------

def test_20_no_data_type(build_dir, tmp_path):
    path = make_pair(tmp_path)
    path.write_text(re.sub(r'<cvParam[^>]*accession="MS:1000521"[^>]*/>', "", path.read_text()))
    expect_error(build_dir, path, "spectrum 0: intensity array declares no data type")


def test_20_several_data_types(build_dir):
    expect_error(build_dir, DATA / "thyra_fixtures" / "two_precision_terms.imzML",
                 "two_precision_terms.imzML: spectrum 0: m/z array declares 2 data types")


@pytest.mark.parametrize("mz_type,int_type", [("MS:1000522", "MS:1000519"),
                                              ("IMS:1000142", "IMS:1000141"),
                                              ("MS:1000523", "IMS:1100000"),
                                              ("MS:1000521", "IMS:1100001")])
def test_21_22_integer_types(build_dir, tmp_path, mz_type, int_type):
    sp = [{"x": 1, "y": 1, "mz": [100, 2**40 + 1 if mz_type.endswith("2") else 7],
           "int": [-3, 120]}]
    path = make_pair(tmp_path, sp, mz_type=mz_type, int_type=int_type)
    info, err = expect_ok(build_dir, path)
    assert err == ""
    rows, _ = dump_rows(build_dir, path)
    want_mz = np.asarray(sp[0]["mz"], dtype=TYPES[mz_type][1]).astype(float)
    assert [float(r[4]) for r in rows] == list(want_mz)
    assert [float(r[5]) for r in rows] == [-3.0, 120.0]


def test_23_half_float_and_unknown_type(build_dir, tmp_path):
    path = make_pair(tmp_path)
    path.write_text(path.read_text().replace('accession="MS:1000521" name="32-bit float"',
                                             'accession="MS:1000520" name="16-bit float"'))
    expect_error(build_dir, path, "spectrum 0: intensity array: data type MS:1000520 (16-bit float)"
                 " is not supported")
    path = make_pair(tmp_path, name="u")
    path.write_text(path.read_text().replace('accession="MS:1000521" name="32-bit float"',
                                             'accession="MS:1009999" name="24-bit float"'))
    expect_error(build_dir, path, 'data type MS:1009999 (24-bit float) is not supported')


def test_24_encoded_length_disagrees(build_dir, tmp_path):
    path = make_pair(tmp_path)
    text = path.read_text()
    i = text.index('<spectrum id="s1"')
    j = text.index('name="external encoded length" value="', i) + len('name="external encoded length" value="')
    k = text.index('"', j)
    path.write_text(text[:j] + "99" + text[k:])
    expect_error(build_dir, path,
                 "spectrum 1: m/z array: external encoded length 99 bytes != 2 values x 8 bytes")


def test_25_zlib_with_encoded_length(build_dir, tmp_path):
    path = make_pair(tmp_path, zlib_arrays=True)
    rows, err = dump_rows(build_dir, path)
    assert err == ""
    assert rows == dump_rows(build_dir, make_pair(tmp_path, name="plain"))[0]


def test_25_zlib_corrupt(build_dir, tmp_path):
    path = make_pair(tmp_path, zlib_arrays=True)
    ibd = bytearray((tmp_path / "sample.ibd").read_bytes())
    ibd[18:22] = b"\xff\xff\xff\xff"
    (tmp_path / "sample.ibd").write_bytes(bytes(ibd))
    proc = msizarr(build_dir, "dump", path)
    assert proc.returncode == 1
    assert "spectrum 0: " in proc.stderr and "zlib array at byte 16" in proc.stderr


def test_26_zlib_without_encoded_length(build_dir, tmp_path):
    path = make_pair(tmp_path, zlib_arrays=True, enc_len=False)
    expect_error(build_dir, path, "spectrum 0: m/z array is zlib-compressed (MS:1000574) without an"
                 " external encoded length (IMS:1000104)")


def test_26_numpress(build_dir, tmp_path):
    path = make_pair(tmp_path)
    path.write_text(path.read_text().replace(
        'accession="MS:1000576" name="no compression"',
        'accession="MS:1002312" name="MS-Numpress linear prediction compression"', 1))
    expect_error(build_dir, path, "spectrum 0: m/z array: compression MS:1002312 (MS-Numpress")


def test_27_uuid_mismatch(build_dir, tmp_path):
    path = make_pair(tmp_path, uuid_bytes=bytes(range(16)))
    expect_error(build_dir, path, "UUID 123456789abcdef0123456789abcdef0 differs from the first 16 "
                 "bytes of", "(000102030405060708090a0b0c0d0e0f)")


def test_27_uuid_guid_order_and_spellings(build_dir, tmp_path):
    u = uuidlib.UUID("12345678-9abc-def0-1234-56789abcdef0")
    path = make_pair(tmp_path, uuid_bytes=u.bytes_le)
    info, err = expect_ok(build_dir, path)
    assert any(c["name"] == "uuid" and "Windows-GUID" in c["detail"] for c in info["checks"])
    for i, text in enumerate(["{12345678-9ABC-DEF0-1234-56789ABCDEF0}", str(u)]):
        info, err = expect_ok(build_dir, make_pair(tmp_path, name=f"s{i}", uuid_text=text))
        assert err == ""
        assert info["metadata"]["format_specific"]["uuid"] == text.strip("{}")


@pytest.mark.parametrize("text", ["00000000-0000-0000-0000-00000000000", "0000000000000000",
                                  "not-a-uuid"])
def test_28_uuid_blanked_or_malformed(build_dir, tmp_path, text):
    path = make_pair(tmp_path, uuid_text=text, uuid_bytes=bytes(range(16)))
    info, _ = expect_ok(build_dir, path, "UUID check is skipped")
    assert any(c["name"] == "uuid" and c["status"] == "skipped" for c in info["checks"])


def test_29_checksum_mismatch_warns(build_dir, tmp_path):
    import hashlib
    path = make_pair(tmp_path, file_extra=cv("IMS:1000091", "ibd SHA-1", "00" * 20))
    proc = msizarr(build_dir, "info", path)  # not verified unless asked
    assert proc.returncode == 0 and proc.stderr == ""
    info, _ = expect_ok(build_dir, path, "ibd SHA-1 mismatch: the header says " + "00" * 20,
                        args=("--verify-checksums",))
    assert {c["name"]: c["status"] for c in info["checks"]}["checksum"] == "warning"
    proc = msizarr(build_dir, "info", "--verify-checksums", path)
    assert proc.returncode == 0
    digest = hashlib.sha1((tmp_path / "sample.ibd").read_bytes()).hexdigest()
    assert f"hashes to {digest}" in proc.stderr
    good = make_pair(tmp_path, name="g", file_extra=cv("IMS:1000092", "ibd SHA-256", "@"))
    data = (tmp_path / "g.ibd").read_bytes()
    good.write_text(good.read_text().replace('"@"', f'"{hashlib.sha256(data).hexdigest().upper()}"'))
    proc = msizarr(build_dir, "info", "-c", good)
    assert proc.returncode == 0 and proc.stderr == ""
    assert "passed   checksum: ibd SHA-256 matches" in proc.stdout


def sparse_pair(tmp_path, base_offset, offset_text):
    """A pair whose only spectrum lives at `base_offset` of a sparse .ibd."""
    path = make_pair(tmp_path, [{"x": 1, "y": 1, "mz": [5.0, 6.0], "int": [7.0, 8.0]}])
    ibd = (tmp_path / "sample.ibd").read_bytes()
    with open(tmp_path / "sample.ibd", "r+b") as f:
        f.truncate(base_offset)
        f.seek(base_offset)
        f.write(ibd[16:])
    text = path.read_text()
    text = text.replace('name="external offset" value="16"', f'name="external offset" value="{offset_text(0)}"')
    text = text.replace('name="external offset" value="32"', f'name="external offset" value="{offset_text(16)}"')
    path.write_text(text)
    return path


def test_30_negative_offsets_repaired(build_dir, tmp_path):
    base = 2**31 + 4096
    path = sparse_pair(tmp_path, base, lambda d: base + d - 2**32)
    proc = msizarr(build_dir, "dump", path)
    assert proc.returncode == 0, proc.stderr
    assert "2 array offsets were written as signed 32-bit numbers and repaired" in proc.stderr
    assert proc.stdout.splitlines()[1:] == ["0\t1\t1\t1\t5\t7", "0\t1\t1\t1\t6\t8"]


def test_30_offset_beyond_int32(build_dir, tmp_path):
    path = make_pair(tmp_path)
    path.write_text(path.read_text().replace('name="external offset" value="16"',
                                             'name="external offset" value="-3000000000"'))
    expect_error(build_dir, path, "spectrum 0: m/z array: external offset -3000000000 is negative")


def test_31_array_past_ibd_end(build_dir, tmp_path):
    path = make_pair(tmp_path)
    ibd = tmp_path / "sample.ibd"
    ibd.write_bytes(ibd.read_bytes()[:-2])
    size = ibd.stat().st_size
    expect_error(build_dir, path, f"spectrum 2: intensity array (offset {size - 2}, 4 bytes) ends at "
                 f"byte {size + 2} but {ibd} is {size} bytes")


def test_32_lengths_differ(build_dir, tmp_path):
    path = make_pair(tmp_path, enc_len=False)
    text = path.read_text()
    i = text.index('<spectrum id="s1"')
    j = text.index('name="external array length" value="2"', i)
    path.write_text(text[:j] + 'name="external array length" value="1"' +
                    text[j + len('name="external array length" value="2"'):])
    expect_error(build_dir, path, "spectrum 1: m/z array has 1 values but intensity array has 2")


def test_33_offsets_above_4gib(build_dir, tmp_path):
    base = 5 * 2**30 + 123
    path = sparse_pair(tmp_path, base, lambda d: base + d)
    proc = msizarr(build_dir, "dump", path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert proc.stdout.splitlines()[1:] == ["0\t1\t1\t1\t5\t7", "0\t1\t1\t1\t6\t8"]


def test_34_empty_spectrum(build_dir, tmp_path):
    sp = DEFAULT_SPECTRA + [{"x": 2, "y": 2, "mz": [], "int": []}]
    path = make_pair(tmp_path, sp)
    info, err = expect_ok(build_dir, path)
    assert info["n_spectra"] == 4 and info["total_peaks"] == 6
    rows, _ = dump_rows(build_dir, path)
    assert {r[0] for r in rows} == {"0", "1", "2"}


def test_35_nan_values_passed_through_unchanged(build_dir, tmp_path):
    """Reader level of #35: values reach the converter exactly as stored (it drops and counts)."""
    sp = [{"x": 1, "y": 1, "mz": [float("nan"), 2.0], "int": [1.0, float("inf")]}]
    rows, _ = dump_rows(build_dir, make_pair(tmp_path, sp))
    assert [r[4] for r in rows] == ["nan", "2"] and [r[5] for r in rows] == ["1", "inf"]


def test_40_continuous_empty_spectrum0(build_dir, tmp_path):
    sp = [{"x": 1, "y": 1, "mz": [], "int": []}, {"x": 2, "y": 1, "mz": [], "int": []}]
    path = make_pair(tmp_path, sp, mode="IMS:1000030", continuous=True)
    expect_error(build_dir, path, "continuous file whose spectrum 0 is empty")


# ---- D. coordinates --------------------------------------------------------------------------

def test_41_position_missing(build_dir, tmp_path):
    sp = [dict(DEFAULT_SPECTRA[0]), {"x": 2, "mz": [1.0], "int": [1.0]}]
    expect_error(build_dir, make_pair(tmp_path, sp), "spectrum 1 has no position y (IMS:1000051)")


def test_42_zero_based_counted_once(build_dir, tmp_path):
    sp = [{"x": x, "y": y, "mz": [1.0], "int": [1.0]} for x in (0, 1) for y in (0, 1)]
    path = make_pair(tmp_path, sp)
    info, err = expect_ok(build_dir, path, "3 spectra have position x or y below 1")
    assert err.count("below 1") == 1
    assert info["grid"] == [1, 1, 1]
    rows, _ = dump_rows(build_dir, path)
    assert [r[1:3] for r in rows] == [["0", "0"], ["0", "1"], ["1", "0"], ["1", "1"]]


@pytest.mark.parametrize("zs,nz", [((None, None), 1), ((0, 1), 2), ((1, 1), 1), ((3, 5), 3)])
def test_47_z_absent_or_rebased(build_dir, tmp_path, zs, nz):
    sp = []
    for i, z in enumerate(zs):
        d = {"x": i + 1, "y": 1, "mz": [1.0], "int": [1.0]}
        if z is not None:
            d["z"] = z
        sp.append(d)
    info, err = expect_ok(build_dir, make_pair(tmp_path, sp))
    assert info["grid"][2] == nz
    rows, _ = dump_rows(build_dir, tmp_path / "sample.imzML")
    assert [int(r[3]) for r in rows] == [1 if z is None else z for z in zs]


# ---- E. pixel size and scan settings ---------------------------------------------------------

def test_49_no_pixel_size(build_dir, tmp_path):
    info, _ = expect_ok(build_dir, make_pair(tmp_path, pixel=""))
    assert info["pixel_size_um"] is None
    assert any(c["name"] == "pixel size" and c["status"] == "warning" for c in info["checks"])


@pytest.mark.parametrize("unit,value,um", [("UO:0000016", "0.025", 25.0), ("UO:0000018", "4406.25", 4.40625),
                                           ("UO:0000017", "7.5", 7.5)])
def test_50_units_converted(build_dir, tmp_path, unit, value, um):
    pixel = (f'<cvParam cvRef="IMS" accession="IMS:1000046" name="pixel size x" value="{value}" '
             f'unitCvRef="UO" unitAccession="{unit}" unitName="u"/>')
    info, err = expect_ok(build_dir, make_pair(tmp_path, pixel=pixel))
    assert err == ""
    assert info["pixel_size_um"] == [um, um]


def test_50_nanometre_fixture(build_dir):
    info, _ = expect_ok(build_dir, DATA / "thyra_fixtures" / "unit_nanometre.imzML")
    assert info["pixel_size_um"] == [4.40625, 4.40625]


def test_51_no_unit(build_dir, tmp_path):
    pixel = '<cvParam cvRef="IMS" accession="IMS:1000046" name="pixel size" value="12"/>'
    info, err = expect_ok(build_dir, make_pair(tmp_path, pixel=pixel),
                          "pixel size (IMS:1000046/47) has no unit; taken as micrometres")
    assert info["pixel_size_um"] == [12.0, 12.0]
    assert err.count("no unit") == 1


def test_52_only_x(build_dir, tmp_path):
    info, err = expect_ok(build_dir, make_pair(tmp_path))
    assert err == "" and info["pixel_size_um"] == [10.0, 10.0]


def test_53_x_differs_from_y(build_dir, tmp_path):
    pixel = PIXEL + PIXEL.replace("IMS:1000046", "IMS:1000047").replace('"10"', '"20"').replace(
        "pixel size x", "pixel size y")
    info, _ = expect_ok(build_dir, make_pair(tmp_path, pixel=pixel),
                        "pixel size x (10 µm) != y (20 µm); x is used for both")
    assert info["pixel_size_um"] == [10.0, 10.0]


def test_54_two_scan_settings(build_dir):
    info, _ = expect_ok(build_dir, DATA / "thyra_fixtures" / "two_scansettings.imzML",
                        "2 <scanSettings> blocks; the first one is used")
    assert info["metadata"]["format_specific"]["scan_settings_blocks"] == 2


def test_55_max_dimension_contradicts(build_dir):
    expect_ok(build_dir, DATA / "thyra_fixtures" / "iontof_sparse.imzML",
              "max dimension x (15 µm) != max count of pixels x (4) x pixel size (4.40625 µm)")


# ---- F. representation -----------------------------------------------------------------------

def test_56_no_representation(build_dir, tmp_path):
    info, _ = expect_ok(build_dir, make_pair(tmp_path, repr_cv=""),
                        "no centroid/profile term", "taken as centroid")
    assert info["spectrum_type"] == "centroid" and info["spectrum_type_declared"] is False
    same = [{"x": i, "y": 1, "mz": [1.0, 2.0], "int": [i, i]} for i in (1, 2)]
    info, _ = expect_ok(build_dir, make_pair(tmp_path, same, name="c", repr_cv="",
                                             mode="IMS:1000030", continuous=True),
                        "continuous data uses the default route")
    assert info["spectrum_type"] == "unknown"


def test_56_representation_from_spectrum_group(build_dir, tmp_path):
    path = make_pair(tmp_path, repr_cv="")
    text = path.read_text().replace(
        "</referenceableParamGroupList>",
        '<referenceableParamGroup id="sp">' + cv("MS:1000128", "profile spectrum") +
        "</referenceableParamGroup></referenceableParamGroupList>")
    text = text.replace('index="0">', 'index="0"><referenceableParamGroupRef ref="sp"/>')
    path.write_text(text)
    info, err = expect_ok(build_dir, path)
    assert err == "" and info["spectrum_type"] == "profile"


def test_57_processed_profile(build_dir):
    info, err = expect_ok(build_dir, DATA / "imzml-org_examples" / "Example_Processed.imzML")
    assert err == ""
    assert info["mode"] == "processed" and info["spectrum_type"] == "profile"
    assert info["polarity"] == "negative"


# ---- G. values that become sizes, counts or indices ------------------------------------------

def test_84_z_span_beyond_int32_refused(build_dir, tmp_path):
    """z at -2^31 and 2^31-1 spans 2^32 planes: refused naming the values, never wrapped to a
    plane count of 0 (which made a spectrum disappear while `info` said "passed")."""
    sp = [{"x": 1, "y": 1, "z": -2147483648, "mz": [100.0], "int": [1.0]},
          {"x": 2, "y": 1, "z": 2147483647, "mz": [200.0], "int": [2.0]}]
    path = make_pair(tmp_path, sp)
    expect_error(build_dir, path, "position z runs from -2147483648 to 2147483647",
                 "4294967296 planes")
    proc = msizarr(build_dir, "convert", path, tmp_path / "out.zarr")
    assert proc.returncode == 1 and "4294967296 planes" in proc.stderr
    assert not (tmp_path / "out.zarr").exists()


def test_84_x_at_int32_min_skipped_with_warning(build_dir, tmp_path):
    """x = -2^31 is below 1: counted and skipped with the 0-based warning, not wrapped to
    x = 2^31-1 and dropped as "beyond the grid"."""
    sp = DEFAULT_SPECTRA + [{"x": -2147483648, "y": 1, "mz": [150.0], "int": [1.0]}]
    path = make_pair(tmp_path, sp)
    info, err = expect_ok(build_dir, path, "1 spectra have position x or y below 1")
    assert info["grid"] == [2, 2, 1]
    proc = msizarr(build_dir, "convert", path, tmp_path / "out.zarr")
    assert proc.returncode == 0, proc.stderr
    assert "beyond" not in proc.stderr


def test_84_zlib_encoded_length_beyond_any_encoder(build_dir, tmp_path):
    """The encoded length of a zlib array becomes the size of a read buffer: 4 GB for one value
    (inside a sparse 5 GB .ibd) is refused at parse time, not allocated."""
    path = make_pair(tmp_path, zlib_arrays=True)
    xml = path.read_text()
    m = re.search(r'name="external encoded length" value="(\d+)"', xml)
    xml = xml[:m.start(1)] + "4000000000" + xml[m.end(1):]
    path.write_text(xml)
    os.truncate(tmp_path / "sample.ibd", 5 << 30)
    expect_error(build_dir, path, "spectrum 0: m/z array: external encoded length 4000000000 "
                 "bytes is more than zlib makes of 3 values x 8 bytes")
