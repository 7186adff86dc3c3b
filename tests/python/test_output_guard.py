"""What `--overwrite` may replace (edge-cases.md #80): only a folder that is recognisably a Zarr
store (a Zarr group at its root, ours or another writer's) and that neither is, contains nor
lies inside the input. Everything else is refused with a message that says why, without
suggesting --overwrite, before the input is read, and nothing is deleted."""
import hashlib
import os
import pathlib
import shutil
import subprocess

import pytest
import zarr

from convert_common import convert

DATA = pathlib.Path(__file__).resolve().parents[1] / "data"
SMALL = DATA / "imzy_simple_imzml" / "simple_imzml.imzML"
TSF = DATA / "imzy_example_tsf" / "example_tsf.d"


def tree(path):
    """Every file and link under path (or path itself) with its content hash: what must survive."""
    path = pathlib.Path(path)
    items = [path] if not path.is_dir() or path.is_symlink() else sorted(path.rglob("*"))
    out = {}
    for p in items:
        if p.is_symlink():
            out[str(p)] = "link:" + os.readlink(p)
        elif p.is_file():
            out[str(p)] = hashlib.sha256(p.read_bytes()).hexdigest()
        else:
            out[str(p)] = "dir"
    return out


def imzml_pair(folder, name="a"):
    """A copy of the small imzML pair in folder; returns the .imzML path."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(SMALL, folder / f"{name}.imzML")
    shutil.copy(SMALL.with_suffix(".ibd"), folder / f"{name}.ibd")
    return folder / f"{name}.imzML"


def zarr_group(path, zarr_format=3):
    """A store written by zarr-python (not by us), with one array."""
    root = zarr.open_group(str(path), mode="w", zarr_format=zarr_format)
    root.create_array("old", shape=(3,), dtype="i4")
    return path


def refused(build_dir, inp, out, why, *args, cwd=None):
    """Runs convert, which must fail naming `why` and never suggest --overwrite."""
    proc = subprocess.run([str(build_dir / "msizarr"), "convert", str(inp), str(out),
                           *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=600)
    assert proc.returncode == 1, proc.stderr
    assert why in proc.stderr, proc.stderr
    assert "never replaced" in proc.stderr and "--overwrite" not in proc.stderr, proc.stderr
    return proc


def no_siblings(folder):
    return [p.name for p in pathlib.Path(folder).iterdir() if ".tmp-" in p.name] == []


# ---- replaced: stores ----


def test_overwrite_replaces_our_store(build_dir, tmp_path):
    out = tmp_path / "out.zarr"
    convert(build_dir, SMALL, out)
    (out / "old.txt").write_text("from the first run")
    convert(build_dir, SMALL, out, "--overwrite")
    assert not (out / "old.txt").exists()
    assert "tables" in zarr.open_group(str(out), mode="r")
    assert no_siblings(tmp_path)


@pytest.mark.parametrize("zarr_format", [2, 3])
def test_overwrite_replaces_other_writers_store(build_dir, tmp_path, zarr_format):
    out = zarr_group(tmp_path / "out.zarr", zarr_format)
    convert(build_dir, SMALL, f"{out}/", "--overwrite")  # a trailing slash changes nothing
    root = zarr.open_group(str(out), mode="r")
    assert "old" not in root and "tables" in root
    assert no_siblings(tmp_path)


def test_existing_store_needs_overwrite(build_dir, tmp_path):
    out = zarr_group(tmp_path / "out.zarr")
    before = tree(out)
    proc = convert(build_dir, SMALL, out, check=False)
    assert proc.returncode == 1
    assert "output exists (a Zarr store)" in proc.stderr and "(--overwrite)" in proc.stderr
    assert "use overwrite" not in proc.stderr
    assert tree(out) == before


# ---- refused: not a store ----


def test_folder_of_unrelated_files_refused(build_dir, tmp_path):
    out = tmp_path / "thesis"
    (out / "sub").mkdir(parents=True)
    (out / "thesis.docx").write_text("three years of work")
    (out / "sub" / "data.csv").write_text("1,2,3\n")
    before = tree(out)
    for args in ([], ["--overwrite"]):
        refused(build_dir, SMALL, out, "is not a Zarr store", *args)
        assert tree(out) == before
    assert no_siblings(tmp_path)


def test_regular_file_refused(build_dir, tmp_path):
    out = tmp_path / "out.zarr"
    out.write_text("a file")
    for args in ([], ["--overwrite"]):
        refused(build_dir, SMALL, out, "is a file, not a Zarr store", *args)
    assert out.read_text() == "a file"


def test_zarr_array_is_not_a_store(build_dir, tmp_path):
    out = tmp_path / "array.zarr"
    zarr.create_array(str(out), shape=(4,), dtype="f8")
    before = tree(out)
    refused(build_dir, SMALL, out, "is not a Zarr store", "--overwrite")
    assert tree(out) == before


def test_symlink_to_store_refused(build_dir, tmp_path):
    store = zarr_group(tmp_path / "real.zarr")
    link = tmp_path / "out.zarr"
    link.symlink_to(store, target_is_directory=True)
    before = tree(store)
    refused(build_dir, SMALL, link, "is a symbolic link", "--overwrite")
    assert link.is_symlink() and tree(store) == before


# ---- refused: the input, around it, inside it ----


def test_folder_holding_the_input_refused(build_dir, tmp_path):
    """`convert proj/a.imzML proj --overwrite` deleted the input and every other file in proj."""
    proj = tmp_path / "proj"
    src = imzml_pair(proj)
    (proj / "notes.txt").write_text("keep me")
    before = tree(proj)
    refused(build_dir, src, proj, "contains the input", "--overwrite")
    assert tree(proj) == before


def test_store_holding_the_input_refused(build_dir, tmp_path):
    """A Zarr store is replaceable, but not one the input lives in, however the paths are
    spelled (.., trailing slash, relative)."""
    store = zarr_group(tmp_path / "s.zarr")
    src = imzml_pair(store)
    before = tree(store)
    for inp, out in [(src, store), (f"{store}/../s.zarr/a.imzML", f"{store}/"),
                     ("s.zarr/a.imzML", "./s.zarr")]:
        refused(build_dir, inp, out, "contains the input", "--overwrite", cwd=tmp_path)
        assert tree(store) == before, (inp, out)


def test_input_itself_refused(build_dir, tmp_path):
    """`convert x.imzML x.imzML --overwrite` replaced the input with a store."""
    src = imzml_pair(tmp_path / "data", "x")
    before = tree(tmp_path / "data")
    refused(build_dir, src, src, "is the input itself", "--overwrite")
    assert tree(tmp_path / "data") == before


def test_d_folder_itself_refused(build_dir, tmp_path):
    """`convert in.d in.d --overwrite` replaced the input folder."""
    d = tmp_path / "in.d"
    shutil.copytree(TSF, d)
    before = tree(d)
    refused(build_dir, d, d, "is the input itself", "--overwrite")
    refused(build_dir, d, f"{d}/", "is the input itself", "--overwrite")
    assert tree(d) == before


def test_store_inside_the_input_refused(build_dir, tmp_path):
    d = tmp_path / "in.d"
    shutil.copytree(TSF, d)
    zarr_group(d / "old.zarr")
    before = tree(d)
    refused(build_dir, d, d / "old.zarr", "inside the input", "--overwrite")
    assert tree(d) == before


def test_ibd_in_the_store_refused(build_dir, tmp_path):
    """The .imzML lives elsewhere, but its .ibd is a link into the store: replacing the store
    would delete the data the input needs."""
    store = zarr_group(tmp_path / "s.zarr")
    shutil.copy(SMALL.with_suffix(".ibd"), store / "real.ibd")
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(SMALL, data / "a.imzML")
    (data / "a.ibd").symlink_to(store / "real.ibd")
    before = tree(store)
    refused(build_dir, data / "a.imzML", store, "contains the input", "--overwrite")
    assert tree(store) == before


def test_input_link_in_the_store_refused(build_dir, tmp_path):
    """The input is given as a symbolic link that lives in the store: the link is protected
    too (and so is its target)."""
    data = tmp_path / "data"
    src = imzml_pair(data)
    store = zarr_group(tmp_path / "s.zarr")
    (store / "a.imzML").symlink_to(src)
    (store / "a.ibd").symlink_to(src.with_suffix(".ibd"))
    before = tree(store)
    refused(build_dir, store / "a.imzML", store, "contains the input", "--overwrite")
    assert tree(store) == before


def test_refused_before_reading(build_dir, tmp_path):
    """The check comes first: a refused output never costs a scan of the input (a missing
    input is not even noticed)."""
    out = tmp_path / "thesis"
    out.mkdir()
    (out / "thesis.docx").write_text("x")
    proc = refused(build_dir, tmp_path / "missing.imzML", out, "is not a Zarr store",
                   "--overwrite", "--log-level", "info")
    assert "missing.imzML" not in proc.stderr and "resampling" not in proc.stderr
