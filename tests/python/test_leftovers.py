"""Leftovers of killed runs (issue 13 item 2): a run marks the temporary sibling of its output and
its spill folder as its own (a .msizarr-owner file: host, boot, pid, start time, held under a
lock); the next run removes what dead runs left -- and says so -- but never a live run's
folders, nor anything without a valid marker."""
import os
import pathlib
import signal
import subprocess
import time

import pytest
import zarr

from convert_common import convert, slow_input

DATA = pathlib.Path(__file__).resolve().parents[1] / "data"
SMALL = DATA / "imzy_simple_imzml" / "simple_imzml.imzML"
MARKER = ".msizarr-owner"


@pytest.fixture(scope="module")
def large(tmp_path_factory):
    """A synthetic file whose conversion takes a few seconds and spills at 48 MiB."""
    return slow_input(tmp_path_factory.mktemp("large"))


def siblings(out):
    out = pathlib.Path(out)
    return sorted(p for p in out.parent.iterdir() if p.name.startswith(f".{out.name}.tmp-"))


def spill_folders(temp_dir):
    return sorted(pathlib.Path(temp_dir).glob("msizarr-spill-*"))


def start(build_dir, inp, out, spill):
    return subprocess.Popen([str(build_dir / "msizarr"), "convert", str(inp), str(out),
                             "--temp-dir", str(spill), "--memory-limit", "48MiB", "-q"],
                            stderr=subprocess.PIPE, text=True)


def wait_until_spilling(proc, out, spill, timeout=120):
    """Until the run has its temporary sibling and a spill folder with a spilled file in it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        folders = spill_folders(spill)
        if siblings(out) and folders and any(p.name != MARKER for p in folders[0].iterdir()):
            return
        time.sleep(0.01)
    raise AssertionError(f"the run did not spill (exit {proc.poll()})")


def killed_run(build_dir, large, out, spill):
    proc = start(build_dir, large.imzml, out, spill)
    wait_until_spilling(proc, out, spill)
    proc.kill()  # SIGKILL: no cleanup at all, as with the OOM killer
    proc.communicate(timeout=60)
    left = siblings(out) + spill_folders(spill)
    assert len(left) == 2, left
    for folder in left:
        marker = (folder / MARKER).read_text()
        assert marker.startswith("msizarr-owner 1\n") and f"\npid {proc.pid}\n" in marker
    return left


def test_next_run_removes_a_killed_runs_leftovers(build_dir, tmp_path, large):
    out, spill = tmp_path / "out.zarr", tmp_path / "spill"
    spill.mkdir()
    left = killed_run(build_dir, large, out, spill)
    proc = convert(build_dir, SMALL, out, "--temp-dir", spill)
    for folder in left:
        assert not folder.exists()
        assert f"{folder}: removed the leftovers of an earlier run" in proc.stderr, proc.stderr
    assert siblings(out) == [] and spill_folders(spill) == []
    assert "tables" in zarr.open_group(str(out), mode="r")


def test_killed_runs_in_default_tmpdir(build_dir, tmp_path, large):
    """Without --temp-dir the spill folder is in $TMPDIR; any later run cleans it, whatever
    its output."""
    tmpdir = tmp_path / "tmpdir"
    tmpdir.mkdir()
    env = {**os.environ, "TMPDIR": str(tmpdir)}
    proc = subprocess.Popen([str(build_dir / "msizarr"), "convert", str(large.imzml),
                             str(tmp_path / "a.zarr"), "--memory-limit", "48MiB", "-q"],
                            stderr=subprocess.PIPE, text=True, env=env)
    wait_until_spilling(proc, tmp_path / "a.zarr", tmpdir)
    proc.kill()
    proc.communicate(timeout=60)
    assert len(spill_folders(tmpdir)) == 1
    other = tmp_path / "elsewhere"
    other.mkdir()
    done = convert(build_dir, SMALL, other / "b.zarr", env=env)
    assert spill_folders(tmpdir) == [], done.stderr
    assert "removed the leftovers of an earlier run" in done.stderr
    assert len(siblings(tmp_path / "a.zarr")) == 1  # beside a.zarr: cleaned by a run writing there


def test_live_run_untouched(build_dir, tmp_path, large):
    """A run that is alive -- even stopped (SIGSTOP) -- keeps its folders while others run."""
    out, spill = tmp_path / "out.zarr", tmp_path / "spill"
    spill.mkdir()
    proc = start(build_dir, large.imzml, out, spill)
    try:
        wait_until_spilling(proc, out, spill)
        proc.send_signal(signal.SIGSTOP)
        live = siblings(out) + spill_folders(spill)
        other = convert(build_dir, SMALL, tmp_path / "other.zarr", "--temp-dir", spill)
        assert "removed" not in other.stderr, other.stderr
        assert all(p.exists() and (p / MARKER).exists() for p in live), live
    finally:
        proc.send_signal(signal.SIGCONT)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    assert "tables" in zarr.open_group(str(out), mode="r")
    assert siblings(out) == [] and spill_folders(spill) == []


def test_look_alikes_untouched(build_dir, tmp_path):
    """Folders with our names but no valid marker -- made by hand, by another program, or by a
    version without markers -- are never removed, and the run does not mention them."""
    out, spill = tmp_path / "out.zarr", tmp_path / "spill"
    spill.mkdir()
    dead = subprocess.Popen(["true"])
    dead.wait()
    fakes = {
        spill / "msizarr-spill-nomarker": None,
        spill / "msizarr-spill-garbage": "not a marker\n",
        spill / "msizarr-spill-truncated": f"msizarr-owner 1\npid {dead.pid}\n",
        spill / "msizarr-transpose-abc123": None,  # an older version's spill folder
        tmp_path / ".out.zarr.tmp-999999-0": None,
        tmp_path / ".out.zarr.tmp-999998-1": "msizarr-owner 2\n",
    }
    for folder, marker in fakes.items():
        folder.mkdir()
        (folder / "data.bin").write_bytes(b"precious")
        if marker is not None:
            (folder / MARKER).write_text(marker)
    proc = convert(build_dir, SMALL, out, "--temp-dir", spill, "--memory-limit", "64MiB")
    assert "removed" not in proc.stderr, proc.stderr
    for folder in fakes:
        assert (folder / "data.bin").read_bytes() == b"precious"


def report_folders(page):
    page = pathlib.Path(page)
    return sorted(p for p in page.parent.iterdir() if p.name.startswith(f".{page.name}.tmp-"))


def test_report_leftovers(build_dir, tmp_path, large):
    """The QC page is written in a marked temporary folder beside it (the page and its table
    sections): a live run's folder is left alone by runs writing beside it, a killed run's is
    removed by the next run writing a report there, an unmarked look-alike never."""
    out, spill, page = tmp_path / "out.zarr", tmp_path / "spill", tmp_path / "page.html"
    spill.mkdir()
    other = tmp_path / "elsewhere"
    other.mkdir()
    convert(build_dir, SMALL, other / "small.zarr")
    fakes = [tmp_path / ".page.html.tmp-999999-0", tmp_path / ".page.html.tmp-999999-1",
             tmp_path / ".page.html.tmp-999999-2.parts"]
    fakes[0].mkdir()  # a folder without a marker
    (fakes[0] / "page.html").write_text("precious")
    for fake in fakes[1:]:  # files, as an older version left them
        fake.write_text("precious")
    proc = subprocess.Popen([str(build_dir / "msizarr"), "convert", str(large.imzml), str(out),
                             "--report", str(page), "--temp-dir", str(spill),
                             "--memory-limit", "48MiB", "-q"], stderr=subprocess.PIPE, text=True)
    try:
        wait_until_spilling(proc, out, spill)
        mine = [p for p in report_folders(page) if p not in fakes]
        assert len(mine) == 1 and mine[0].is_dir(), report_folders(page)
        folder = mine[0]
        proc.send_signal(signal.SIGSTOP)
        live = run_report(build_dir, other / "small.zarr", tmp_path / "other.html")
        assert "removed" not in live.stderr, live.stderr
        assert (folder / MARKER).exists()
    finally:
        proc.kill()  # SIGKILL (a stopped process dies too): no cleanup at all
    proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    assert f"\npid {proc.pid}\n" in (folder / MARKER).read_text()
    done = run_report(build_dir, other / "small.zarr", tmp_path / "again.html")
    assert f"{folder}: removed the leftovers of an earlier run (process {proc.pid})" in done.stderr
    assert not folder.exists() and siblings(out) == []  # the store's temporary sibling too
    assert (fakes[0] / "page.html").read_text() == "precious"
    assert all(f.read_text() == "precious" for f in fakes[1:])
    assert str(fakes[0]) not in done.stderr
    assert not page.exists() and (tmp_path / "again.html").is_file()


def run_report(build_dir, store, page):
    proc = subprocess.run([str(build_dir / "msizarr"), "report", str(store), "-o", str(page)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    return proc
