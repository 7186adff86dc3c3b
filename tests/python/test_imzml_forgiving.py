"""Forgiving where real exporters need it (issue 9 item 5), side by side with pyimzML 1.5.5.

Edited copies of the real files and small generated pairs. Where pyimzML reads a file through,
msizarr reads it too, with a warning, and every spectrum equals pyimzML's value for value:
references to undefined referenceableParamGroups (edge case #79, seen in R-based exports),
group references inside <fileContent> (groups are defined after it), both storage modes
declared (#12), binaryDataArrays that are neither m/z nor intensity (#16). Where pyimzML fails
too (an array described only by an undefined group), msizarr refuses with a message that says
why. The other refusals are argued in docs/imzml.md ("Refusals, and why").
"""
import re
import shutil
import warnings

import numpy as np
import pytest

from conftest import TEST_DATA
from test_imzml_edge_cases import cv, expect_error, expect_ok, make_pair
from test_imzml_pyimzml import dump

SIMPLE = TEST_DATA / "imzy_simple_imzml" / "simple_imzml.imzML"
CONT = TEST_DATA / "imzml-org_examples" / "Example_Continuous.imzML"
MISSING = "referenceableParamGroupRefs name no referenceableParamGroup"


def edited_copy(tmp_path, src, edit, name=None):
    """A copy of an imzML pair whose XML text went through edit(text)."""
    name = name or src.stem
    xml = tmp_path / f"{name}.imzML"
    shutil.copyfile(src.with_suffix(".ibd"), tmp_path / f"{name}.ibd")
    text = src.read_bytes().decode("latin-1")  # byte for byte, whatever the file's encoding
    new = edit(text)
    assert new != text, "the edit changed nothing"
    xml.write_bytes(new.encode("latin-1"))
    return xml


def pyimzml_ready(path):
    """make_pair writes no <instrumentConfigurationList>, without which pyimzML 1.5.5 fails
    (AttributeError in __readimzmlmeta): add an empty one."""
    text = path.read_text()
    path.write_text(text.replace("</scanSettingsList>", "</scanSettingsList>"
                                 '<instrumentConfigurationList count="1">'
                                 '<instrumentConfiguration id="ic"/>'
                                 "</instrumentConfigurationList>", 1))
    return path


def pyimzml_read(path):
    """pyimzML's spectra and the warnings it gave."""
    from pyimzml.ImzMLParser import ImzMLParser

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        parser = ImzMLParser(str(path))
        spectra = [parser.getspectrum(i) for i in range(len(parser.coordinates))]
    return parser, spectra, [str(w.message) for w in caught]


def assert_same_as_pyimzml(build_dir, path):
    ours = dump(build_dir, path)
    parser, spectra, messages = pyimzml_read(path)
    assert len(ours) == len(spectra) > 0
    for i, (mz, inten) in enumerate(spectra):
        assert ours[i]["coord"] == tuple(int(c) for c in parser.coordinates[i])
        assert np.array_equal(np.array(ours[i]["mz"]), mz.astype(np.float64)), i
        assert np.array_equal(np.array(ours[i]["in"]), inten.astype(np.float64)), i
    return parser, messages


def test_79_spectrum_ref_to_undefined_group(build_dir, tmp_path):
    """The R-export pattern: <spectrum> refers to a group the header does not define."""
    path = edited_copy(tmp_path, SIMPLE,
                       lambda t: t.replace('<referenceableParamGroupRef ref="spectrum1"/>',
                                           '<referenceableParamGroupRef ref="spectrumGone"/>'))
    info, _ = expect_ok(build_dir, path, f"5 {MISSING}", '"spectrumGone" in spectrum 0',
                        "ignored, as pyimzML does")
    assert {c["name"]: c["status"] for c in info["checks"]}["param group refs"] == "warning"
    _, messages = assert_same_as_pyimzml(build_dir, path)
    assert any("spectrumGone" in m and "not found" in m for m in messages)


def test_79_scan_and_array_refs_to_undefined_groups(build_dir, tmp_path):
    """A <scan> ref and a second ref of each binaryDataArray name nothing; the first ref of
    each array still describes it (pyimzML reads the first ref only)."""
    def edit(t):
        t = t.replace('<referenceableParamGroupRef ref="scan1"/>',
                      '<referenceableParamGroupRef ref="scanGone"/>')
        return re.sub(r'(<referenceableParamGroupRef ref="(mzArray|intensityArray)"/>)',
                      r'\1<referenceableParamGroupRef ref="arrayGone"/>', t)

    path = edited_copy(tmp_path, SIMPLE, edit)
    expect_ok(build_dir, path, f"15 {MISSING}")
    assert_same_as_pyimzml(build_dir, path)


def test_79_array_described_only_by_an_undefined_group_is_refused(build_dir, tmp_path):
    """Nothing says which array holds the m/z values: pyimzML fails as well."""
    path = edited_copy(tmp_path, SIMPLE,
                       lambda t: t.replace('<referenceableParamGroupRef ref="mzArray"/>',
                                           '<referenceableParamGroupRef ref="mzGone"/>', 1))
    expect_error(build_dir, path, "spectrum 0 has no m/z array (MS:1000514); it references "
                 '"mzGone", which names no referenceableParamGroup')
    with pytest.raises(Exception):
        pyimzml_read(path)


def test_file_content_refs_resolve_to_later_groups(build_dir, tmp_path):
    """fileContent may refer to groups, which are defined after it: the reference is applied once
    the groups are known (it used to be refused), its params join raw_metadata.cvParams in
    pyimzML's param_by_name order, and a reference to nothing is a warning."""
    path = edited_copy(tmp_path, CONT, lambda t: t.replace(
        "</fileContent>", '<referenceableParamGroupRef ref="spectrum1"/>'
        '<referenceableParamGroupRef ref="fileGone"/></fileContent>'))
    info, err = expect_ok(build_dir, path, f"1 {MISSING}", '"fileGone" in the header')
    parser, messages = assert_same_as_pyimzml(build_dir, path)
    assert any("fileGone" in m for m in messages)
    ours = [p["name"] for p in info["metadata"]["raw_metadata"]["cvParams"]]
    assert ours == list(parser.metadata.file_description.param_by_name)
    assert "ms level" in ours  # from the group "spectrum1"


def test_12_both_modes_read_from_the_layout(build_dir, tmp_path):
    path = pyimzml_ready(make_pair(tmp_path, file_extra=cv("IMS:1000030", "continuous")))
    info, _ = expect_ok(build_dir, path,
                        "fileContent declares both continuous (IMS:1000030) and processed "
                        "(IMS:1000031) storage", "read as processed from the array layout")
    assert info["mode"] == "processed"
    assert_same_as_pyimzml(build_dir, path)


def test_16_arrays_of_no_known_kind_are_skipped(build_dir, tmp_path):
    """A third binaryDataArray whose group says neither m/z nor intensity: pyimzML skips it."""
    def edit(t):
        t = t.replace("</referenceableParamGroupList>",
                      '<referenceableParamGroup id="extra">' + cv("MS:1000521", "32-bit float") +
                      "</referenceableParamGroup></referenceableParamGroupList>")
        extra = ('<binaryDataArray encodedLength="0"><referenceableParamGroupRef ref="extra"/>' +
                 cv("IMS:1000103", "external array length", 1) +
                 cv("IMS:1000102", "external offset", 16) + "<binary/></binaryDataArray>")
        return t.replace("</binaryDataArrayList>", extra + "</binaryDataArrayList>")

    src = pyimzml_ready(make_pair(tmp_path, name="plain"))
    path = edited_copy(tmp_path, src, edit, name="extra")
    expect_ok(build_dir, path, "3 binaryDataArrays are neither m/z array (MS:1000514) nor "
              "intensity array (MS:1000515) (first: spectrum 0, binaryDataArray 3)")
    assert_same_as_pyimzml(build_dir, path)
    assert dump(build_dir, path) == dump(build_dir, src)
