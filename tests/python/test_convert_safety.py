"""msizarr convert safety: an existing OUTPUT is refused unless it is a Zarr store and
--overwrite is given (what else is refused: test_output_guard.py); on every failure (usage
error, truncated .ibd found mid-conversion, unwritable temp dir, Ctrl-C) nothing is left at
OUTPUT and no temporary sibling (.OUTPUT.tmp-*) or spill folder (msizarr-spill-*) remains.
The CLI table (in the style of htslib's tabix.tst): arguments, exit code, stderr fragment."""
import os
import pathlib
import shutil
import signal
import subprocess
import time

import pytest
import zarr

from convert_common import convert, slow_input

DATA = pathlib.Path(__file__).resolve().parents[1] / "data"
SMALL = DATA / "imzy_simple_imzml" / "simple_imzml.imzML"


def leftovers(out, temp_dir=None):
    """Anything the conversion may have left behind: OUTPUT, its temp siblings, spill folders."""
    out = pathlib.Path(out)
    found = [p for p in out.parent.iterdir() if p.name.startswith(f".{out.name}.tmp-")]
    if out.exists() or out.is_symlink():
        found.append(out)
    if temp_dir is not None:
        found += list(pathlib.Path(temp_dir).glob("msizarr-*"))
    return found


@pytest.fixture(scope="module")
def large(tmp_path_factory):
    """A synthetic file whose conversion takes a few seconds (4 million peaks)."""
    return slow_input(tmp_path_factory.mktemp("large"))


def zarr_store(path):
    """An existing Zarr store (a group written by zarr-python) holding keep.txt."""
    zarr.open_group(str(path), mode="w")
    (path / "keep.txt").write_text("mine")
    return path


def test_existing_output_refused(build_dir, tmp_path):
    out = zarr_store(tmp_path / "out.zarr")
    proc = convert(build_dir, SMALL, out, check=False)
    assert proc.returncode == 1, proc.stderr
    assert "output exists" in proc.stderr and "(--overwrite)" in proc.stderr
    assert (out / "keep.txt").read_text() == "mine"
    assert leftovers(out) == [out]


def test_existing_output_refused_before_reading(build_dir, tmp_path, large):
    """Refused up front, not after the scan pass: the input is not even opened."""
    out = tmp_path / "out.zarr"
    out.mkdir()
    proc = convert(build_dir, tmp_path / "missing.imzML", out, check=False)
    assert proc.returncode == 1 and "output exists" in proc.stderr, proc.stderr
    assert "missing.imzML" not in proc.stderr
    proc = convert(build_dir, large.imzml, out, "--log-level", "info", check=False)
    assert proc.returncode == 1 and "output exists" in proc.stderr
    assert "resampling" not in proc.stderr  # no plan: the scan pass never ran


def test_existing_file_output_refused(build_dir, tmp_path):
    out = tmp_path / "out.zarr"
    out.write_text("a file")
    proc = convert(build_dir, SMALL, out, check=False)
    assert proc.returncode == 1 and "output exists" in proc.stderr
    assert out.read_text() == "a file"


def test_overwrite_replaces(build_dir, tmp_path):
    """Only a Zarr store is replaced (a folder of other files is not: test_output_guard.py)."""
    out = zarr_store(tmp_path / "out.zarr")
    convert(build_dir, SMALL, out, "--overwrite")
    assert not (out / "keep.txt").exists()
    assert "tables" in zarr.open_group(str(out), mode="r")
    assert leftovers(out) == [out]


def test_overwrite_keeps_old_output_on_failure(build_dir, tmp_path):
    out = zarr_store(tmp_path / "out.zarr")
    proc = convert(build_dir, DATA / "thyra_fixtures" / "two_precision_terms.imzML", out,
                   "--overwrite", check=False)
    assert proc.returncode == 1
    assert "two_precision_terms" in proc.stderr
    assert (out / "keep.txt").read_text() == "mine"
    assert leftovers(out) == [out]


def test_truncated_ibd_mid_conversion(build_dir, tmp_path, large):
    """The .ibd is cut short once the output store exists (the scan pass read it whole): the bin
    pass fails, and the partial store and the spill folder are removed."""
    src = tmp_path / "cut.imzML"
    shutil.copy(large.imzml, src)
    shutil.copy(large.ibd, tmp_path / "cut.ibd")
    out, spill = tmp_path / "out.zarr", tmp_path / "spill"
    spill.mkdir()
    proc = subprocess.Popen([str(build_dir / "msizarr"), "convert", str(src), str(out),
                             "--temp-dir", str(spill), "--memory-limit", "48MiB", "-q"],
                            stderr=subprocess.PIPE, text=True)
    sibling = wait_for_sibling(out, proc)
    assert sibling, "the temporary sibling never appeared"
    os.truncate(tmp_path / "cut.ibd", 4096)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 1, err
    assert "cut.ibd" in err and "error" in err
    assert leftovers(out, spill) == []


def test_bad_temp_dir_refused_up_front(build_dir, tmp_path):
    """Refused before the input is read, not when the first spill file is needed."""
    out = tmp_path / "out.zarr"
    proc = convert(build_dir, SMALL, out, "--temp-dir", tmp_path / "missing" / "dir",
                   "--log-level", "info", check=False)
    assert proc.returncode == 1
    assert "cannot create a temporary folder" in proc.stderr and "missing/dir" in proc.stderr
    assert "resampling" not in proc.stderr
    assert leftovers(out) == []


def wait_for_sibling(out, proc, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        if leftovers(out):
            return True
        time.sleep(0.005)
    return False


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupt_cleans_up(build_dir, tmp_path, large, sig):
    out, spill = tmp_path / "out.zarr", tmp_path / "spill"
    spill.mkdir()
    proc = subprocess.Popen([str(build_dir / "msizarr"), "convert", str(large.imzml), str(out),
                             "--temp-dir", str(spill), "--memory-limit", "48MiB"],
                            stderr=subprocess.PIPE, text=True)
    assert wait_for_sibling(out, proc), "the temporary sibling never appeared"
    time.sleep(0.3)  # into the bin pass, spill files being written
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 1, err
    assert "interrupted" in err
    assert leftovers(out, spill) == []


def test_interrupt_during_scan(build_dir, tmp_path, large):
    out, spill = tmp_path / "out.zarr", tmp_path / "spill"
    spill.mkdir()
    proc = subprocess.Popen([str(build_dir / "msizarr"), "convert", str(large.imzml), str(out),
                             "--temp-dir", str(spill)], stderr=subprocess.PIPE, text=True)
    time.sleep(0.3)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode in (0, 1), err
    if proc.returncode == 1:
        assert "interrupted" in err
        assert leftovers(out, spill) == []


# CLI table: arguments after `convert` (IN / OUT replaced), exit code, stderr fragment.
IN, OUT = "<IN>", "<OUT>"
CLI_TABLE = [
    ([], 2, "expected INPUT and OUTPUT, got 0"),
    ([IN], 2, "expected INPUT and OUTPUT, got 1"),
    ([IN, OUT, "extra"], 2, "expected INPUT and OUTPUT, got 3"),
    ([IN, OUT, "--bogus"], 2, "unrecognized option '--bogus'"),
    ([IN, OUT, "-x"], 2, "invalid option"),
    ([IN, OUT, "--zarr-format", "4"], 2, "--zarr-format must be 2 or 3, not '4'"),
    ([IN, OUT, "--zarr-format"], 2, "requires an argument"),
    ([IN, OUT, "--memory-limit", "abc"], 2, "--memory-limit"),
    ([IN, OUT, "--memory-limit", "1MiB"], 2, "--memory-limit must be at least 16MiB"),
    ([IN, OUT, "--memory-limit", "15MiB"], 2, "--memory-limit must be at least 16MiB"),
    ([IN, OUT, "--memory-limit", "-5MiB"], 2, "--memory-limit"),
    ([IN, OUT, "--resample-method", "foo"], 2, "--resample-method"),
    ([IN, OUT, "--mass-axis-type", "foo"], 2, "--mass-axis-type"),
    ([IN, OUT, "--sparse-format", "coo"], 2, "--sparse-format: unknown value 'coo'"),
    ([IN, OUT, "--spectrum-type", "mixed"], 2, "--spectrum-type: unknown value 'mixed'"),
    ([IN, OUT, "--duplicates", "last"], 2, "--duplicates: unknown value 'last'"),
    ([IN, OUT, "--compression", "lz5"], 2, "--compression"),
    ([IN, OUT, "--threads", "-1"], 2, "--threads"),
    ([IN, OUT, "--threads", "1000"], 2, "--threads must be 0..256 (got 1000)"),
    ([IN, OUT, "--chunk-size", "0"], 2, "--chunk-size must be > 0"),
    ([IN, OUT, "--chunk-size", "x"], 2, "--chunk-size"),
    ([IN, OUT, "--resample-bins", "0"], 2, "--resample-bins must be > 0"),
    ([IN, OUT, "--pixel-size", "abc"], 2, "--pixel-size: 'abc' is not a number"),
    ([IN, OUT, "--pixel-size", "0"], 2, "--pixel-size must be > 0"),
    ([IN, OUT, "--z-spacing", "-1"], 2, "--z-spacing must be > 0"),
    ([IN, OUT, "--resample-min-mz", "nan"], 2, "--resample-min-mz: 'nan' is not a number"),
    ([IN, OUT, "--log-level", "loud"], 2, "--log-level: unknown value 'loud'"),
    ([IN, OUT, "--dataset-id", "bad/id"], 2, "--dataset-id 'bad/id'"),
    (["/nonexistent/in.imzML", OUT], 1, "/nonexistent/in.imzML"),
    ([str(DATA / "SOURCES.md"), OUT], 1, "SOURCES.md"),
    ([str(DATA / "thyra_fixtures" / "two_precision_terms.imzML"), OUT], 1, "two_precision_terms"),
    ([IN, "/nonexistent-dir/out.zarr"], 1, "/nonexistent-dir"),
]


@pytest.mark.parametrize("args,code,fragment", CLI_TABLE,
                         ids=[" ".join(a[2:] or a) or "no-args" for a, _, _ in CLI_TABLE])
def test_cli_table(build_dir, tmp_path, args, code, fragment):
    out = tmp_path / "out.zarr"
    argv = [str(SMALL) if a == IN else str(out) if a == OUT else a for a in args]
    proc = subprocess.run([str(build_dir / "msizarr"), "convert", *argv], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == code, proc.stderr
    assert fragment in proc.stderr, proc.stderr
    assert proc.stdout == ""
    if code == 2:
        assert "Try 'msizarr convert --help'" in proc.stderr
    assert leftovers(out) == []
