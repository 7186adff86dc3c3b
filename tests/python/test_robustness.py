"""Robustness on bad input (issue 13, docs/robustness.md): implausible m/z values, absurd grids
and bin counts refused before any large allocation, the memory limit held (peak RSS measured
with time(1)), and Ctrl-C honoured everywhere.

Bad inputs are mutated copies of the real files in tests/data, built here. Every conversion
that could run away on a regression runs under an address-space cap, so a failing test fails
with an error instead of exhausting the machine."""
import os
import signal
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
    # the Bruker reader refuses it first (docs/bruker.md); the converter would as well
    assert "t.d" in err and "MzAcqRangeLower" in err and "1e-300..1500" in err, err
    assert "plausible" in err
    assert not out.exists()
    assert peak < 64 * MiB, f"peak RSS {peak / MiB:.1f} MiB"


# ---- the memory plan: fit in the limit or refuse before allocating (issue 13 item 3) ----------

def simple_with_x(tmp_path, x):
    """simple_imzml with spectrum 4's position x (2 in the file) set to `x`."""
    def edit(xml):
        marker = b'name="position x" value="2"/>'
        k = xml.rindex(marker)
        return xml[:k] + marker.replace(b'"2"', b'"%d"' % x) + xml[k + len(marker):]
    src = tmp_path / "far.imzML"
    src.write_bytes(edit((SIMPLE / "simple_imzml.imzML").read_bytes()))
    shutil.copy(SIMPLE / "simple_imzml.ibd", tmp_path / "far.ibd")
    return src


def test_absurd_grid_refused_before_allocating(build_dir, tmp_path):
    """Spectra at x=1 and x=10^9 took 7.8 GB (and, when that failed, read "out of memory for
    the grid"): refused naming the grid, the spectrum and the way out."""
    src = simple_with_x(tmp_path, 10**9)
    out = tmp_path / "out.zarr"
    code, err, peak = run_measured(build_dir, "convert", src, out)
    assert code == 1, err
    assert re.search(r"far\.imzML: the grid is 1000000000 x 3 x 1 pixels \(spectrum \d+ is at "
                     r"x=1000000000 y=\d+ z=1\): its per-pixel state needs 25\.1 GiB", err), err
    assert "raise --memory-limit to at least" in err and "out of memory" not in err
    assert not out.exists()
    assert peak < 64 * MiB, f"peak RSS {peak / MiB:.1f} MiB"


@pytest.mark.parametrize("args,fragment", [
    (["--resample-bins", "100000000"], "100000000 bins (--resample-bins): their per-bin state "
                                       "needs 7.2 GiB"),
    (["--resample-method", "tic_preserving", "--resample-bins", "20000000"],
     "20000000 bins (--resample-bins)"),
    (["--memory-limit", "64MiB"], "the m/z range 0.002..4 gives 1520180 bins (reflector_tof "
                                  "axis, 5 mDa at m/z 1000)"),
])
def test_too_many_bins_refused_before_allocating(build_dir, tmp_path, args, fragment):
    """--resample-bins 100000000 passed 3.3 GB; an m/z range from 0.002 asks for 1.5e6 bins:
    refused naming the bins and the options that reduce them."""
    src = simple_with_mz(tmp_path, 0.002, name="wide")
    out = tmp_path / "out.zarr"
    code, err, peak = run_measured(build_dir, "convert", src, out, *args)
    assert code == 1, err
    assert fragment in err, err
    assert "--resample" in err.split("over the")[-1] and "raise --memory-limit to" in err
    assert not out.exists()
    assert peak < 64 * MiB, f"peak RSS {peak / MiB:.1f} MiB"


def test_raw_axis_too_long_refused(build_dir, tmp_path):
    """--no-resample: the union of distinct m/z values is the axis; too long for the limit, it is
    refused naming the count and resampling as the way out."""
    import imzml_synth
    src = imzml_synth.write_processed(tmp_path / "many", n_x=30, n_y=20, peaks=1500,
                                      pool_size=600000, seed=4)
    code, err, peak = run_measured(build_dir, "convert", src.imzml, tmp_path / "out.zarr",
                                   "--no-resample", "--memory-limit", "24MiB")
    assert code == 1, err
    assert re.search(r"the raw m/z axis \(--no-resample\) has \d+ values: their per-bin state "
                     r"needs .* resample instead \(drop --no-resample\)", err), err
    assert peak <= 24 * MiB, f"peak RSS {peak / MiB:.1f} MiB"


def test_longest_spectrum_refused_before_reading(build_dir, tmp_path):
    """One spectrum of 10^6 peaks needs 44 MB of buffers: at 16 MiB the scan refuses it before
    reading, naming the spectrum."""
    import imzml_synth
    src = imzml_synth.write_processed(tmp_path / "long", n_x=1, n_y=1, peaks=1000000,
                                      vary_peaks=False, pool_size=2000000, seed=5)
    code, err, peak = run_measured(build_dir, "convert", src.imzml, tmp_path / "out.zarr",
                                   "--memory-limit", "16MiB")
    assert code == 1, err
    assert "long.imzML: spectrum 0 has 1000000 peaks: its buffers need 42.0 MiB" in err, err
    assert peak <= 16 * MiB, f"peak RSS {peak / MiB:.1f} MiB"


def suggested_limit(err):
    m = re.search(r"raise --memory-limit to at least (\d+(?:\.\d+)?)(MiB|GiB)", err)
    assert m, err
    return m.group(1) + m.group(2), float(m.group(1)) * (MiB if m.group(2) == "MiB" else 1 << 30)


@pytest.mark.parametrize("src,args", [
    (SIMPLE / "simple_imzml.imzML", []),
    (CONTINUOUS / "Example_Processed.imzML", ["--threads", "4"]),
    (TSF, ["--threads", "1"]),
    (TSF, ["--resample-method", "tic_preserving", "--threads", "2"]),
    (TSF, ["--no-resample"]),
], ids=["simple", "processed-4-threads", "tsf", "tsf-tic", "tsf-raw"])
def test_plan_fits_at_the_limit_it_asks_for(build_dir, tmp_path, src, args):
    """A refusal names the limit the plan needs; at that limit the conversion runs and its peak
    RSS (time(1)) stays under it: the plan counts the fixed state, not only the buffers."""
    limit, tries = "16MiB", 0
    while True:
        out = tmp_path / f"out{tries}.zarr"
        code, err, peak = run_measured(build_dir, "convert", src, out, "--memory-limit", limit,
                                       *args)
        if code == 0:
            break
        assert code == 1 and tries < 3, err
        limit, _ = suggested_limit(err)
        tries += 1
    assert tries >= 1, "16MiB was enough: the case tests nothing"
    value = float(limit[:-3]) * (MiB if limit.endswith("MiB") else 1 << 30)
    assert peak <= value, f"peak RSS {peak / MiB:.1f} MiB over --memory-limit {limit}"


@pytest.mark.parametrize("threads", ["1", "16"])
def test_floor_holds(build_dir, tmp_path, threads):
    """At the 16 MiB floor a small conversion runs within it (threads reduced as needed)."""
    code, err, peak = run_measured(build_dir, "convert", TSF, tmp_path / "out.zarr",
                                   "--memory-limit", "16MiB", "--resample-bins", "2000",
                                   "--threads", threads)
    assert code == 0, err
    assert peak <= 16 * MiB, f"peak RSS {peak / MiB:.1f} MiB"
    if threads == "16":
        assert re.search(r"16 threads do not fit in the 16 MiB memory limit; using \d+", err), err


# ---- stop when asked, everywhere (issue 13 item 4) --------------------------------------------

def read_position(pid, path):
    """The file offset of `path` in process `pid` (None when not open)."""
    fd_dir = pathlib.Path(f"/proc/{pid}/fd")
    try:
        for fd in fd_dir.iterdir():
            if os.path.realpath(fd) == str(path):
                info = (pathlib.Path(f"/proc/{pid}/fdinfo") / fd.name).read_text()
                return int(re.search(r"pos:\s+(\d+)", info).group(1))
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        pass
    return None


@pytest.fixture(scope="module")
def big_header(tmp_path_factory):
    """200,000 one-peak spectra: a 210 MB header that takes seconds to parse."""
    import imzml_synth
    d = tmp_path_factory.mktemp("header")
    return imzml_synth.write_processed(d / "hdr", n_x=500, n_y=400, peaks=1, vary_peaks=False,
                                       pool_size=10, seed=1)


def test_sigint_during_header_parse(build_dir, tmp_path, big_header):
    """Ctrl-C while the imzML header is parsed stops the parse (it used to run to its end, 4-6 s
    on an 868 MB header): the run stops inside the parse (the message says so: a parse that ran
    to its end would be interrupted later, in the scan) and leaves nothing behind."""
    imzml = big_header.imzml.resolve()
    size = imzml.stat().st_size
    out, spill = tmp_path / "out.zarr", tmp_path / "spill"
    spill.mkdir()
    proc = subprocess.Popen([str(build_dir / "msizarr"), "convert", str(imzml), str(out),
                             "--temp-dir", str(spill)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    pos = None
    while proc.poll() is None:  # until a tenth of the header has been read
        pos = read_position(proc.pid, imzml)
        if pos is not None and pos > size // 10:
            break
    assert pos is not None and pos < size // 2, "the parse was not caught in its first half"
    proc.send_signal(signal.SIGINT)
    err = proc.stderr.read()
    assert proc.wait() == 1, err
    assert "hdr.imzML: interrupted while reading the header" in err, err
    assert not out.exists() and list(spill.iterdir()) == []
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out.zarr")]
