"""Names from input never become paths (issue 13 item 6, edge case #85).

Metadata keys come from the input files: Bruker GlobalMetadata keys and SQLite column names,
imzML cvParam and userParam names. A key such as `A*quisitionDateTime` used to abort the whole
conversion ("zarr: invalid character 0x2a in path"). Now every key is data: a key that is not a
portable Zarr name is stored under an escaped node name, and the dict's attribute
`msizarr_original_keys` maps each such name back to its key. Nothing may fail the run or create
a nested path: `*`, `/`, `..`, empty keys, very long keys, non-UTF-8 bytes, names of Zarr
metadata files, names differing only in case. The inputs are mutated copies of the real TSF run.
"""
import pathlib
import re
import shutil
import sqlite3
import warnings

import pytest

from conftest import TEST_DATA
from convert_common import convert

TSF = TEST_DATA / "imzy_example_tsf" / "example_tsf.d"
PORTABLE = re.compile(r"^[A-Za-z0-9_. -]+$")
HOSTILE = ["a/b", "..", ".", "", "k" * 5000, "zarr.json", ".zattrs", "__dunder", "CASE", "case",
           ".hidden", "trailing ", "ü/ß", "tab\there", "x" * 130 + "/1", "x" * 130 + "/2"]


def mutated_tsf(tmp_path):
    """The real TSF with hostile GlobalMetadata keys and a hostile MaldiFrameLaserInfo column;
    returns (folder, {key: value} as expected back, with ill-formed UTF-8 as \\xNN text)."""
    d = tmp_path / "hostile.d"
    shutil.copytree(TSF, d)
    con = sqlite3.connect(d / "analysis.tsf")
    con.execute("UPDATE GlobalMetadata SET Key='A*quisitionDateTime' "
                "WHERE Key='AcquisitionDateTime'")
    con.executemany("INSERT INTO GlobalMetadata (Key, Value) VALUES (?, ?)",
                    [(k, f"value {i}") for i, k in enumerate(HOSTILE)])
    # bytes that are not UTF-8, in a key and in a value
    con.execute("INSERT INTO GlobalMetadata (Key, Value) "
                "VALUES (CAST(X'6261645fff' AS TEXT), CAST(X'76616cfe' AS TEXT))")
    con.execute('ALTER TABLE MaldiFrameLaserInfo ADD COLUMN "a/b*c" INTEGER DEFAULT 7')
    con.commit()
    con.text_factory = bytes
    expected = {k.decode("utf-8", "backslashreplace"): v.decode("utf-8", "backslashreplace")
                for k, v in con.execute("SELECT Key, Value FROM GlobalMetadata")}
    con.close()
    return d, expected


def walk_names(store):
    """Every file and folder name below the store."""
    return [p.name for p in pathlib.Path(store).rglob("*")]


def read_sdata(store):
    import spatialdata as sd

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return sd.read_zarr(store)


def test_bruker_hostile_metadata_keys(build_dir, tmp_path):
    import zarr

    src, expected = mutated_tsf(tmp_path)
    out = tmp_path / "out.zarr"
    proc = convert(build_dir, src, out, "--quiet")
    assert "metadata keys are not portable Zarr names" in proc.stderr
    assert "A*quisitionDateTime" in proc.stderr

    # no path was made from a key: every name below the store is portable, nothing nested
    assert all(PORTABLE.match(name) for name in walk_names(out)), walk_names(out)
    group = zarr.open_group(str(out), mode="r")[
        "tables/msi_dataset_z0/uns/raw_metadata/global_metadata"]
    assert all(isinstance(m, zarr.Array) for _, m in group.members())
    original = group.attrs["msizarr_original_keys"]

    # spatialdata / anndata read every row back; the attribute restores the keys
    gm = read_sdata(out).tables["msi_dataset_z0"].uns["raw_metadata"]["global_metadata"]
    assert len(gm) == len(expected)
    restored = {original.get(name, name): str(value) for name, value in gm.items()}
    assert restored == expected
    assert gm["A_quisitionDateTime"] == expected["A*quisitionDateTime"]
    assert original["A_quisitionDateTime"] == "A*quisitionDateTime"
    assert expected["bad_\\xff"] == "val\\xfe"
    assert {"CASE", "case-2"} <= set(gm)  # same name but for case: not one file on macOS
    assert max(len(name) for name in gm) <= 120

    frame_info = read_sdata(out).tables["msi_dataset_z0"].uns["raw_metadata"]["frame_info"]
    assert frame_info["a_b_c"] == 7
    fi_group = zarr.open_group(str(out), mode="r")[
        "tables/msi_dataset_z0/uns/raw_metadata/frame_info"]
    assert fi_group.attrs["msizarr_original_keys"] == {"a_b_c": "a/b*c"}


def test_clean_keys_stay_as_they_are(build_dir, tmp_path):
    """The real TSF has only portable keys: no escaping, no extra attribute, no warning."""
    import zarr

    out = tmp_path / "out.zarr"
    proc = convert(build_dir, TSF, out, "--quiet")
    assert "portable" not in proc.stderr
    group = zarr.open_group(str(out), mode="r")[
        "tables/msi_dataset_z0/uns/raw_metadata/global_metadata"]
    assert "msizarr_original_keys" not in group.attrs
    con = sqlite3.connect(f"file:{TSF / 'analysis.tsf'}?mode=ro&immutable=1", uri=True)
    keys = {k for (k,) in con.execute("SELECT Key FROM GlobalMetadata")}
    con.close()
    assert {name for name, _ in group.members()} == keys
