"""What the QC report page may replace (`convert --report FILE`, `msizarr report STORE -o FILE`):
only a regular file that is recognisably an earlier msizarr QC report (the generator mark in
its head), that is none of the files the run reads nor inside one of them, and only with
--overwrite. Everything else is refused before any work with a message that says why and does
not suggest --overwrite, and nothing is changed."""
import hashlib
import os
import pathlib
import shutil
import subprocess

import pytest

from convert_common import convert

DATA = pathlib.Path(__file__).resolve().parents[1] / "data"
SMALL = DATA / "imzy_simple_imzml" / "simple_imzml.imzML"
TSF = DATA / "imzy_example_tsf" / "example_tsf.d"
GENERATOR = '<meta name="generator" content="msizarr '


def digest(path):
    """What must survive: a file's content hash, a link's target, or every file of a folder."""
    path = pathlib.Path(path)
    if path.is_symlink():
        return "link:" + os.readlink(path)
    if path.is_dir():
        return {str(p.relative_to(path)): digest(p) for p in sorted(path.rglob("*"))}
    return hashlib.sha256(path.read_bytes()).hexdigest()


def imzml_pair(folder, name="a"):
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(SMALL, folder / f"{name}.imzML")
    shutil.copy(SMALL.with_suffix(".ibd"), folder / f"{name}.ibd")
    return folder / f"{name}.imzML"


@pytest.fixture(scope="module")
def store(build_dir, tmp_path_factory):
    """A store for `msizarr report`, and a page written from it earlier."""
    folder = tmp_path_factory.mktemp("store")
    convert(build_dir, SMALL, folder / "s.zarr", "--report", folder / "earlier.html")
    return folder / "s.zarr"


def write_report(build_dir, command, page, store, tmp_path, *args, inp=SMALL):
    """Writes a page at `page` with `msizarr convert INPUT OUT.zarr --report` or `msizarr
    report STORE -o`."""
    if command == "convert":
        argv = ["convert", inp, tmp_path / "out.zarr", "--report", page, "-q", *args]
    else:
        argv = ["report", store, "-o", page, "-q", *args]
    return subprocess.run([str(build_dir / "msizarr"), *map(str, argv)], capture_output=True,
                          text=True, timeout=600)


def refused(proc, why, tmp_path):
    assert proc.returncode == 1, proc.stderr
    assert why in proc.stderr, proc.stderr
    assert "never replaced" in proc.stderr and "--overwrite" not in proc.stderr, proc.stderr
    assert not (tmp_path / "out.zarr").exists()  # refused before any work
    assert not [p.name for p in tmp_path.iterdir() if ".tmp-" in p.name]


COMMANDS = ["convert", "report"]


# ---- the files the conversion reads ----


def test_input_itself_refused(build_dir, tmp_path):
    """`convert x.imzML out.zarr --report x.imzML --overwrite` replaced the input."""
    src = imzml_pair(tmp_path / "data", "x")
    before = digest(tmp_path / "data")
    for args in ([], ["--overwrite"]):
        proc = write_report(build_dir, "convert", src, None, tmp_path, *args, inp=src)
        refused(proc, "is the input itself", tmp_path)
        assert digest(tmp_path / "data") == before


def test_input_through_another_path_refused(build_dir, tmp_path):
    """The same file under another name: a link to its folder, or '..'."""
    src = imzml_pair(tmp_path / "data", "x")
    (tmp_path / "alias").symlink_to(tmp_path / "data", target_is_directory=True)
    before = digest(tmp_path / "data")
    for page in (tmp_path / "alias" / "x.imzML", tmp_path / "data" / ".." / "data" / "x.imzML"):
        proc = write_report(build_dir, "convert", page, None, tmp_path, "--overwrite", inp=src)
        refused(proc, "is the input itself", tmp_path)
    assert digest(tmp_path / "data") == before


def test_ibd_refused(build_dir, tmp_path):
    src = imzml_pair(tmp_path / "data", "x")
    before = digest(tmp_path / "data")
    ibd = src.with_suffix(".ibd")
    proc = write_report(build_dir, "convert", ibd, None, tmp_path, "--overwrite", inp=src)
    refused(proc, f"is {ibd}, which the conversion reads", tmp_path)
    assert digest(tmp_path / "data") == before


def test_file_inside_the_d_folder_refused(build_dir, tmp_path):
    d = tmp_path / "in.d"
    shutil.copytree(TSF, d)
    before = digest(d)
    for name in ("analysis.tsf", "analysis.tsf_bin"):
        proc = write_report(build_dir, "convert", d / name, None, tmp_path, "--overwrite", inp=d)
        refused(proc, f"report exists inside the input {d}", tmp_path)
    assert digest(d) == before


# ---- what is there is not an earlier report ----


@pytest.mark.parametrize("command", COMMANDS)
def test_user_file_refused(build_dir, tmp_path, store, command):
    """`--report thesis.html --overwrite` replaced a user's page."""
    page = tmp_path / "thesis.html"
    page.write_text("<!DOCTYPE html>\n<html><head><title>msizarr QC report: mine</title>"
                    "</head><body>three years of work</body></html>\n")
    for args in ([], ["--overwrite"]):
        proc = write_report(build_dir, command, page, store, tmp_path, *args)
        refused(proc, "is not an msizarr QC report", tmp_path)
    assert "three years of work" in page.read_text()


@pytest.mark.parametrize("command", COMMANDS)
def test_mark_beyond_the_head_refused(build_dir, tmp_path, store, command):
    """A file that merely quotes the mark far down (a page about msizarr) is not ours."""
    page = tmp_path / "notes.html"
    text = "<!DOCTYPE html>\n<p>" + "x" * 5000 + GENERATOR + '0.1">\n'
    page.write_text(text)
    proc = write_report(build_dir, command, page, store, tmp_path, "--overwrite")
    refused(proc, "is not an msizarr QC report", tmp_path)
    assert page.read_text() == text


@pytest.mark.parametrize("command", COMMANDS)
def test_symlink_to_a_report_refused(build_dir, tmp_path, store, command):
    earlier = store.parent / "earlier.html"
    link = tmp_path / "link.html"
    link.symlink_to(earlier)
    before = digest(earlier)
    for args in ([], ["--overwrite"]):
        proc = write_report(build_dir, command, link, store, tmp_path, *args)
        refused(proc, "is a symbolic link", tmp_path)
    assert link.is_symlink() and digest(earlier) == before


@pytest.mark.parametrize("command", COMMANDS)
def test_folder_refused(build_dir, tmp_path, store, command):
    folder = tmp_path / "page.html"
    folder.mkdir()
    (folder / "index.html").write_text("mine")
    for page in (folder, f"{folder}/"):
        for args in ([], ["--overwrite"]):
            proc = write_report(build_dir, command, page, store, tmp_path, *args)
            refused(proc, "is a folder", tmp_path)
    assert (folder / "index.html").read_text() == "mine"


# ---- an earlier report ----


@pytest.mark.parametrize("command", COMMANDS)
def test_earlier_report_replaced_with_overwrite(build_dir, tmp_path, store, command):
    page = tmp_path / "page.html"
    shutil.copy(store.parent / "earlier.html", page)
    head = page.read_bytes()[:4096].decode()
    assert head.startswith("<!DOCTYPE html>\n") and GENERATOR in head
    before = digest(page)
    proc = write_report(build_dir, command, page, store, tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert "report exists (an msizarr QC report)" in proc.stderr, proc.stderr
    assert "(--overwrite)" in proc.stderr
    assert digest(page) == before and not (tmp_path / "out.zarr").exists()
    page.write_text(page.read_text() + "<!-- the user's note: replaced with the page -->\n")
    proc = write_report(build_dir, command, page, store, tmp_path, "--overwrite")
    assert proc.returncode == 0, proc.stderr
    assert "the user's note" not in page.read_text() and GENERATOR in page.read_text()
    assert not [p.name for p in tmp_path.iterdir() if ".tmp-" in p.name]
