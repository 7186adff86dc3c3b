"""Say what failed (issue 10 item 6): a cap reached reads as the cap, not "out of memory"; a
file name that is not UTF-8 is neither "out of memory" nor a dropped metadata key. (Failed JSON
allocations: tests/unit/test_convert_alloc.c; msiz_grow: tests/unit/test_common.c.)"""
import json
import os
import pathlib
import shutil
import subprocess

import anndata as ad
import spatialdata as sd

from convert_common import convert

DATA = pathlib.Path(__file__).resolve().parents[1] / "data"
PROC = DATA / "imzml-org_examples" / "Example_Processed.imzML"


def test_cap_named_in_the_error(build_dir, tmp_path):
    """A capped buffer reports the cap (MSIZ_E_LIMIT), not "out of memory": a param group of
    100,001 cvParams in a copy of a real file."""
    src = PROC.read_bytes()
    group = (b'<referenceableParamGroup id="huge">'
             + b'<cvParam cvRef="MS" accession="MS:1000521" name="32-bit float"/>' * 100001
             + b"</referenceableParamGroup>")
    head = b'<referenceableParamGroupList count="4">'
    assert head in src
    imzml = tmp_path / "huge.imzML"
    imzml.write_bytes(src.replace(head, b'<referenceableParamGroupList count="5">' + group, 1))
    (tmp_path / "huge.ibd").write_bytes(PROC.with_suffix(".ibd").read_bytes())
    proc = convert(build_dir, imzml, tmp_path / "out.zarr", check=False)
    assert proc.returncode == 1, proc.stderr
    assert 'params of group "huge": 100001 items exceed the cap of 100000' in proc.stderr
    assert "out of memory" not in proc.stderr


def test_file_name_not_utf8(build_dir, tmp_path):
    """A Latin-1 file name (b"caf\\xe9") converted, its path kept with the text "\\xe9" for the byte
    that is not UTF-8 (it once failed with "out of memory")."""
    folder = os.fsencode(tmp_path)
    stem = folder + b"/caf\xe9"
    shutil.copyfile(PROC, stem + b".imzML")
    shutil.copyfile(PROC.with_suffix(".ibd"), stem + b".ibd")
    out = tmp_path / "out.zarr"
    proc = convert(build_dir, os.fsdecode(stem + b".imzML"), out, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "out of memory" not in proc.stderr
    sdata = sd.read_zarr(out)
    table = sdata.tables["msi_dataset_z0"]
    assert table.n_obs == 9
    em = table.uns["essential_metadata"]
    assert em["source_path"].endswith("caf\\xe9.imzML"), em["source_path"]
    ibd = table.uns["format_specific"]["ibd_file"]
    assert ibd.endswith("caf\\xe9.ibd"), ibd
    assert ad.read_zarr(out / "tables" / "msi_dataset_z0").n_obs == 9


def test_info_json_file_name_not_utf8(build_dir, tmp_path):
    """`info --json` on a Latin-1 file name: the summary, its path with the text "\\xe9" (it
    once failed with "out of memory for the summary")."""
    stem = os.fsencode(tmp_path) + b"/caf\xe9"
    shutil.copyfile(PROC, stem + b".imzML")
    shutil.copyfile(PROC.with_suffix(".ibd"), stem + b".ibd")
    proc = subprocess.run([str(build_dir / "msizarr"), "info", "--json",
                           os.fsdecode(stem + b".imzML")], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    info = json.loads(proc.stdout)
    assert info["path"].endswith("caf\\xe9.imzML"), info["path"]
    assert info["n_spectra"] == 9
