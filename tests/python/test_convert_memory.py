"""Bounded memory: a synthetic processed imzML of 10^8 peaks (100,000 spectra x 1,000 peaks,
float32/float32, ~800 MB .ibd) converts with --memory-limit 128MiB, and the converter's peak RSS
stays under the limit plus the documented overhead (docs/memory.md): the fixed per-spectrum,
per-pixel and per-bin state plus the process baseline. The output is checked by reading X in
chunks."""
import os
import pathlib
import re
import shutil
import subprocess
import tempfile

import numpy as np
import pytest
import zarr

import imzml_synth

DATA = pathlib.Path(__file__).resolve().parents[1] / "data"
TIME = "/usr/bin/time"

MiB = 1 << 20
LIMIT = 128 * MiB
BASELINE = 8 * MiB  # code, libraries, allocator slack (docs/memory.md)
PER_THREAD = 1 * MiB  # stack pages, compressor context, allocator arena
THREADS = 2
N_X, N_Y, PEAKS = 400, 250, 1000


def documented_overhead(n_spectra, cells, n_rows, n_bins, max_peaks, threads):
    """docs/memory.md: 112 B per spectrum (key, order, the imzML reader's record with growth
    slack), 9 B per grid cell (TIC, occupancy bit), 21 B per row (grid key, one obs column,
    region, category code), 68 B per bin (axis, lookup, average, column counts, sort offsets)
    plus 9 B per bin and thread (binner workspace), 44 B per peak of the longest spectrum
    (read buffers, column ids, the reader's scratch), plus the process baseline."""
    return (112 * n_spectra + 9 * cells + 21 * n_rows + (68 + 9 * threads) * n_bins
            + 44 * max_peaks + BASELINE + PER_THREAD * threads)


@pytest.fixture(scope="module")
def work():
    d = tempfile.mkdtemp(prefix="msizarr-memtest-", dir=os.environ.get("MSIZ_BIG_TMP"))
    yield d
    shutil.rmtree(d, ignore_errors=True)


def run_measured(argv, stderr_path):
    """Runs argv under /usr/bin/time; returns (exit code, peak RSS in bytes of argv alone).
    (os.wait4's ru_maxrss of a child forked from this large pytest process would include the
    parent's RSS: Linux carries the pre-exec image's high-water mark into the child.)"""
    with open(stderr_path, "w") as err:
        code = subprocess.call([TIME, "-f", "MAXRSS_KB=%M", *argv], stdout=subprocess.DEVNULL,
                               stderr=err)
    kb = re.findall(r"MAXRSS_KB=(\d+)", open(stderr_path).read())
    assert kb, open(stderr_path).read()
    return code, int(kb[-1]) * 1024


def summary_peak(text):
    m = re.search(r"peak memory ([0-9.]+) (KiB|MiB|GiB)", text)
    assert m, text
    return float(m.group(1)) * {"KiB": 1 << 10, "MiB": MiB, "GiB": 1 << 30}[m.group(2)]


def test_summary_peak_is_the_converters_own(build_dir, tmp_path):
    """The summary's peak memory is the converter's, not the RSS of the program that started
    it: a parent holding 300 MB starts a conversion of a tiny file."""
    ballast = np.ones(300 * MiB // 8)
    ballast[:] = 2.0
    proc = subprocess.run([str(build_dir / "msizarr"), "convert",
                           str(DATA / "imzml-org_examples" / "Example_Processed.imzML"),
                           str(tmp_path / "out.zarr"), "--log-level", "info"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert ballast.sum() > 0
    assert summary_peak(proc.stderr) < 100 * MiB, proc.stderr


@pytest.mark.skipif(not os.path.exists(TIME), reason="needs /usr/bin/time")
def test_1e8_peaks_under_128mib(build_dir, work):
    src = imzml_synth.write_processed(os.path.join(work, "big"), n_x=N_X, n_y=N_Y, peaks=PEAKS,
                                      vary_peaks=False, mz_dtype="f4", int_dtype="f4",
                                      zero_fraction=0, seed=3, batch=2000)
    assert src.n_peaks >= 10**8
    out = os.path.join(work, "big.zarr")
    log = os.path.join(work, "stderr.txt")
    code, peak = run_measured([str(build_dir / "msizarr"), "convert", str(src.imzml), out,
                               "--memory-limit", "128MiB", "--threads", str(THREADS),
                               "--temp-dir", work,
                               "--log-level", "info"], log)
    text = open(log).read()
    assert code == 0, text
    os.remove(src.ibd)  # free the disk before reading the output back

    root = zarr.open_group(out, mode="r")
    t = root["tables/msi_dataset_z0"]
    n_rows, n_bins = t["obs/x"].shape[0], t["var/mz"].shape[0]
    shape = tuple(t["X"].attrs["shape"])
    assert shape == (n_rows, n_bins)
    assert n_rows == N_X * N_Y
    indptr = t["X/indptr"]
    assert indptr.shape == (n_bins + 1,)
    nnz = int(indptr[-1])
    assert t["X/data"].shape == (nnz,) and 0.99 * src.n_peaks < nnz <= src.n_peaks
    # sum(X) in chunks of 10^7 values, never the whole 10^8 at once
    data, step = t["X/data"], 10_000_000
    total, zeros = 0.0, 0
    for lo in range(0, nnz, step):
        block = data[lo:min(nnz, lo + step)]
        total += float(block.sum())
        zeros += int((block == 0).sum())
    assert zeros == 0
    tic = root["images/msi_dataset_z0_tic/s0"][...]
    assert tic.shape == (1, N_Y, N_X)
    assert abs(tic.sum() - total) <= 1e-9 * abs(total)

    overhead = documented_overhead(src.n_spectra, N_X * N_Y, n_rows, n_bins, PEAKS, THREADS)
    said = re.search(r"peak memory ([0-9.]+ [KMG]iB), spilled (.+)", text)
    assert said, text
    print(f"peak RSS {peak / MiB:.1f} MiB (summary: {said.group(1)}, spilled {said.group(2)}); "
          f"allowed 128 MiB + overhead {overhead / MiB:.1f} MiB")
    assert abs(summary_peak(text) - peak) <= 4 * MiB  # the summary agrees with time(1)
    assert peak <= LIMIT + overhead, (
        f"peak RSS {peak / MiB:.1f} MiB > 128 MiB + {overhead / MiB:.1f} MiB documented overhead")
    # The plan takes the fixed state and the baseline out of the limit before sizing buffers
    # (and refuses when they do not fit), so the peak stays under the limit itself. Fails when
    # freed pass buffers stay resident (glibc's rising mmap threshold, docs/memory.md).
    assert overhead < LIMIT / 2
    assert peak <= LIMIT, f"peak RSS {peak / MiB:.1f} MiB > the 128 MiB limit"
    assert not [p for p in os.listdir(work) if p.startswith("msizarr-")]
