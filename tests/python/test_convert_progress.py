"""Progress on a terminal: run the CLI in a pseudo-terminal; stderr shows one progress line per
pass (pass name, counts, ETA, mem) and a final summary (pixels, bins, non-zeros, time, peak
memory). --quiet on a terminal: neither. Piped (no terminal): nothing but warnings."""
import os
import pathlib
import pty
import re
import select
import subprocess

import pytest

import imzml_synth

DATA = pathlib.Path(__file__).resolve().parents[1] / "data"


@pytest.fixture(scope="module")
def synth(tmp_path_factory):
    d = tmp_path_factory.mktemp("progress")
    return imzml_synth.write_processed(d / "p", n_x=60, n_y=50, peaks=100, missing=0.1,
                                       shuffled=True, seed=7, mz_range=(300.0, 600.0))


def only_warnings(text):
    """No progress line, no summary: every line is a warning."""
    lines = [s for s in re.split(r"[\r\n]+", text) if s.strip()]
    return "ETA" not in text and all(s.startswith("msizarr: warning: ") for s in lines)


def run_on_pty(argv):
    """Runs argv with stderr on a pseudo-terminal (stdout piped); returns (code, stderr text)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=slave, close_fds=True)
    os.close(slave)
    chunks = []
    while True:
        r, _, _ = select.select([master], [], [], 60)
        if not r:
            break
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    return proc.wait(timeout=120), b"".join(chunks).decode("utf-8", "replace")


def test_progress_and_summary_on_terminal(build_dir, synth, tmp_path):
    out = tmp_path / "out.zarr"
    code, err = run_on_pty([str(build_dir / "msizarr"), "convert", str(synth.imzml), str(out),
                            "--memory-limit", "48MiB"])
    assert code == 0, err
    lines = [s for s in re.split(r"[\r\n]+", err) if s.strip()]
    for name, unit in (("scan", "spectra"), ("bin", "spectra"), ("transpose", "columns")):
        done = [s for s in lines if s.startswith(name + " ")]
        assert done, f"no {name} progress line in {err!r}"
        final = done[-1]
        m = re.search(rf"(\d+)/(\d+) {unit}", final)
        assert m and m.group(1) == m.group(2), final
        assert "ETA" in final and "mem" in final and "/s" in final, final
    assert re.search(rf"scan .* {synth.n_spectra}/{synth.n_spectra} spectra", err)
    summary = err[err.index("msizarr: wrote"):]
    assert str(out) in summary
    assert re.search(r"\d+ pixels \(grid 60x50x1, 1 table\)", summary), summary
    assert re.search(r"\d+ bins, \d+ non-zeros", summary)
    assert re.search(r"[0-9.]+ s, peak memory [0-9.]+ (KiB|MiB|GiB)", summary)


def test_quiet_on_terminal(build_dir, synth, tmp_path):
    code, err = run_on_pty([str(build_dir / "msizarr"), "convert", str(synth.imzml),
                            str(tmp_path / "out.zarr"), "--quiet"])
    assert code == 0
    assert only_warnings(err), err


def test_piped_is_silent(build_dir, synth, tmp_path):
    proc = subprocess.run([str(build_dir / "msizarr"), "convert", str(synth.imzml),
                           str(tmp_path / "out.zarr")], capture_output=True, text=True)
    assert proc.returncode == 0
    assert proc.stdout == ""
    assert only_warnings(proc.stderr), proc.stderr


def test_piped_shows_warnings_only(build_dir, synth, tmp_path):
    """A spectrum at x=0 (outside the 1-based grid) gives a warning: shown, nothing else."""
    text = synth.imzml.read_text()
    first = '<cvParam cvRef="IMS" accession="IMS:1000050" name="position x" value="'
    i = text.index(first) + len(first)
    text = text[:i] + "0" + text[text.index('"', i):]
    src = tmp_path / "zero.imzML"
    src.write_text(text)
    (tmp_path / "zero.ibd").write_bytes(synth.ibd.read_bytes())
    proc = subprocess.run([str(build_dir / "msizarr"), "convert", str(src),
                           str(tmp_path / "out.zarr")], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "position x or y below 1" in proc.stderr and "skips them" in proc.stderr
    assert only_warnings(proc.stderr), proc.stderr


def test_quiet_keeps_errors(build_dir, tmp_path):
    code, err = run_on_pty([str(build_dir / "msizarr"), "convert", "/nonexistent.imzML",
                            str(tmp_path / "out.zarr"), "--quiet"])
    assert code == 1
    assert "msizarr: error:" in err and "ETA" not in err
