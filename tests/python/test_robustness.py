"""Robustness on bad input (issue 13, docs/robustness.md): implausible m/z values, absurd grids
and bin counts refused before any large allocation, the memory limit held (peak RSS measured
with time(1)), and Ctrl-C honoured everywhere.

Bad inputs are mutated copies of the real files in tests/data, built here. Every conversion
that could run away on a regression runs under an address-space cap, so a failing test fails
with an error instead of exhausting the machine."""
import os
import pathlib
import re
import resource
import shutil
import sqlite3
import stat
import struct
import subprocess

import numpy as np
import pytest

DATA = pathlib.Path(__file__).resolve().parents[1] / "data"
SIMPLE = DATA / "imzy_simple_imzml"  # 5 spectra, 16 peaks, float64 m/z 1..4
CONTINUOUS = DATA / "imzml-org_examples"
TSF = DATA / "imzy_example_tsf" / "example_tsf.d"
TIME = "/usr/bin/time"
MiB = 1 << 20
AS_CAP = 2 << 30  # a regression fails here instead of taking the machine's memory


def _cap_address_space():
    resource.setrlimit(resource.RLIMIT_AS, (AS_CAP, AS_CAP))


def run_measured(build_dir, *args, timeout=300):
    """Runs `msizarr ARGS` under time(1) and the address-space cap; returns (exit code, stderr,
    peak RSS in bytes of msizarr itself)."""
    proc = subprocess.run([TIME, "-f", "MAXRSS_KB=%M", str(build_dir / "msizarr"),
                           *map(str, args)], capture_output=True, text=True, timeout=timeout,
                          preexec_fn=_cap_address_space)
    kb = re.findall(r"MAXRSS_KB=(\d+)", proc.stderr)
    assert kb, proc.stderr
    err = re.sub(r"(Command exited with non-zero status \d+\n)?MAXRSS_KB=\d+\n?", "", proc.stderr)
    return proc.returncode, err, int(kb[-1]) * 1024


def copy_imzml(src_dir, stem, dst_dir, new_stem, edit_ibd=None):
    xml = (src_dir / f"{stem}.imzML").read_bytes()
    (dst_dir / f"{new_stem}.imzML").write_bytes(xml)
    ibd = bytearray((src_dir / f"{stem}.ibd").read_bytes())
    if edit_ibd:
        edit_ibd(ibd)
    (dst_dir / f"{new_stem}.ibd").write_bytes(bytes(ibd))
    return dst_dir / f"{new_stem}.imzML"


def writable_copy(src, dst):
    shutil.copytree(src, dst)
    for p in [dst, *dst.rglob("*")]:
        p.chmod(p.stat().st_mode | stat.S_IWUSR)
    return dst


def set_global_metadata(d, key, value):
    con = sqlite3.connect(d / "analysis.tsf")
    assert con.execute("UPDATE GlobalMetadata SET Value = ? WHERE Key = ?",
                       (value, key)).rowcount == 1
    con.commit()
    con.close()


# ---- implausible m/z values (issue 13 item 3) -------------------------------------------------

def simple_with_mz(tmp_path, value, name="bad"):
    """simple_imzml with spectrum 0's first m/z (float64 at byte 16) replaced by `value`."""
    def edit(ibd):
        assert struct.unpack_from("<d", ibd, 16)[0] == 1.0
        struct.pack_into("<d", ibd, 16, value)
    return copy_imzml(SIMPLE, "simple_imzml", tmp_path, name, edit)


@pytest.mark.parametrize("value", [1e-236, 0.0, -5.0, 5e-324, 1e-4])
@pytest.mark.parametrize("args", [[], ["--resample-method", "tic_preserving"], ["--no-resample"],
                                  ["--resample-min-mz", "2", "--resample-max-mz", "3"]],
                         ids=["default", "tic", "no-resample", "user-range"])
def test_implausible_mz_refused_naming_spectrum(build_dir, tmp_path, value, args):
    """One corrupted m/z value used to become the start of a 1.1e8-bin axis (3.6 GB peak, 5.5 GB
    TIC-preserving): now an error naming the file, the spectrum and the value, before any
    large allocation."""
    src = simple_with_mz(tmp_path, value)
    out = tmp_path / "out.zarr"
    code, err, peak = run_measured(build_dir, "convert", src, out, *args)
    assert code == 1, err
    assert f"bad.imzML: spectrum 0: m/z value {value:g} (peak 1 of 3) is below 0.001" in err, err
    assert "plausible" in err
    assert not out.exists()
    assert peak < 64 * MiB, f"peak RSS {peak / MiB:.1f} MiB"


def test_plausible_small_mz_kept(build_dir, tmp_path):
    """The floor is far below any instrument: m/z 0.002 converts."""
    src = simple_with_mz(tmp_path, 0.002, name="small")
    code, err, _ = run_measured(build_dir, "convert", src, tmp_path / "out.zarr",
                                "--mass-axis-type", "constant", "--resample-bins", "1000")
    assert code == 0, err


def test_infinite_mz_dropped_with_count(build_dir, tmp_path):
    """Edge case #35: an infinite m/z is dropped and counted, not made the end of an axis (the
    file's three first spectra share the edited m/z array)."""
    src = simple_with_mz(tmp_path, float("inf"), name="inf")
    for args in ([], ["--no-resample"]):
        out = tmp_path / f"out{len(args)}.zarr"
        code, err, _ = run_measured(build_dir, "convert", src, out, *args)
        assert code == 0, err
        assert "3 peaks with NaN/Inf m/z and 0 with NaN/Inf intensity were dropped" in err, err


def test_continuous_shared_axis_starting_at_zero(build_dir, tmp_path):
    """Continuous data: spectrum 0's shared m/z array is the stated range; 0 there is named."""
    def edit(ibd):
        struct.pack_into("<f", ibd, 16, 0.0)
    src = copy_imzml(CONTINUOUS, "Example_Continuous", tmp_path, "cont", edit)
    for args in ([], ["--no-resample"]):
        code, err, _ = run_measured(build_dir, "convert", src, tmp_path / "out.zarr", *args)
        assert code == 1, err
        assert ("cont.imzML: the m/z range 0..799.917 from spectrum 0's shared m/z array starts "
                "below 0.001") in err, err


def test_bruker_acquisition_range_refused(build_dir, tmp_path):
    """MzAcqRangeLower 1e-300 used to give the same 1e8-bin axis as a corrupted peak."""
    d = writable_copy(TSF, tmp_path / "t.d")
    set_global_metadata(d, "MzAcqRangeLower", "1e-300")
    out = tmp_path / "out.zarr"
    code, err, peak = run_measured(build_dir, "convert", d, out)
    assert code == 1, err
    assert ("t.d: the m/z range 1e-300..1500 from MzAcqRangeLower/MzAcqRangeUpper starts below "
            "0.001") in err, err
    assert not out.exists()
    assert peak < 64 * MiB, f"peak RSS {peak / MiB:.1f} MiB"
