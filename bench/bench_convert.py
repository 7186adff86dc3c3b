#!/usr/bin/env python3
"""Conversion benchmark: msizarr vs Thyra 1.27.3 vs the raw I/O limit, on synthetic processed
centroid imzML files. Not a test: prints a table of wall time, CPU time and peak memory.

    .venv/bin/python bench/bench_convert.py [--sizes 2000x500,10000x1000] [--no-thyra]
        [--memory-limit 512MiB] [--workdir DIR]

"raw I/O" is the time to read the input once (.imzML + .ibd), warm cache: the floor for any
converter that reads every byte. Results are recorded in docs/benchmarks.md.
"""
import argparse
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "python"))
from imzml_synth import write_processed  # noqa: E402


def timed(cmd):
    """Runs cmd under /usr/bin/time; returns (wall s, cpu s, peak RSS MiB, exit code)."""
    t0 = time.perf_counter()
    proc = subprocess.run(["/usr/bin/time", "-f", "TIME %U %S %M", *map(str, cmd)],
                          capture_output=True, text=True)
    wall = time.perf_counter() - t0
    m = re.search(r"TIME ([\d.]+) ([\d.]+) (\d+)", proc.stderr)
    cpu = float(m.group(1)) + float(m.group(2)) if m else float("nan")
    rss = int(m.group(3)) / 1024 if m else float("nan")
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr[-2000:])
    return wall, cpu, rss, proc.returncode


def raw_io(paths):
    for p in paths:  # warm the cache once, then time a full read
        p.read_bytes()
    t0 = time.perf_counter()
    for p in paths:
        with open(p, "rb") as f:
            while f.read(16 << 20):
                pass
    return time.perf_counter() - t0


def add_instrument_configuration(imzml):
    """pyimzML (inside Thyra) needs an instrumentConfigurationList; the synthetic header has
    none. Rewrites the header with a minimal one (streamed line by line)."""
    tmp = imzml.with_suffix(".tmp")
    with open(imzml) as src, open(tmp, "w") as dst:
        for line in src:
            if line.startswith("<run"):
                dst.write('<instrumentConfigurationList count="1"><instrumentConfiguration '
                          'id="IC1"/></instrumentConfigurationList>\n')
            dst.write(line)
    tmp.replace(imzml)


def run_size(work, n_spectra, peaks, args):
    side = int(n_spectra ** 0.5)
    n_x, n_y = side, (n_spectra + side - 1) // side
    stem = work / f"synth_{n_spectra}x{peaks}"
    synth = write_processed(stem, n_x=n_x, n_y=n_y, peaks=peaks, vary_peaks=False,
                            mz_dtype="f4", int_dtype="f4", mz_range=(300.0, 1500.0),
                            pool_size=2_000_000, seed=1)
    add_instrument_configuration(synth.imzml)
    inputs = [synth.imzml, synth.ibd]
    size_mb = sum(p.stat().st_size for p in inputs) / 2**20
    rows = [("raw I/O (read input once)", raw_io(inputs), float("nan"), float("nan"))]
    out = work / "msizarr.zarr"
    shutil.rmtree(out, ignore_errors=True)
    w, c, r, rc = timed([REPO / "build" / "msizarr", "convert", synth.imzml, out, "-q",
                         "--memory-limit", args.memory_limit])
    rows.append((f"msizarr convert (--memory-limit {args.memory_limit})" + ("" if rc == 0 else " FAILED"), w, c, r))
    shutil.rmtree(out, ignore_errors=True)
    if not args.no_thyra:
        out = work / "thyra.zarr"
        shutil.rmtree(out, ignore_errors=True)
        w, c, r, rc = timed([REPO / ".venv" / "bin" / "thyra", synth.imzml, out,
                             "--log-level", "WARNING"])
        rows.append(("thyra 1.27.3 (defaults)" + ("" if rc == 0 else " FAILED"), w, c, r))
        shutil.rmtree(out, ignore_errors=True)
    for p in inputs:
        p.unlink()
    return synth.n_spectra, synth.n_peaks, size_mb, rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="2000x500,10000x1000",
                    help="comma-separated SPECTRAxPEAKS (default: %(default)s)")
    ap.add_argument("--no-thyra", action="store_true", help="skip Thyra")
    ap.add_argument("--memory-limit", default="512MiB")
    ap.add_argument("--workdir", default=None)
    args = ap.parse_args()
    work = pathlib.Path(args.workdir or tempfile.mkdtemp(prefix="msiz-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"{'dataset':>26} | {'run':<42} | {'wall s':>8} | {'CPU s':>8} | {'peak MiB':>8} | {'Mpeaks/s':>8}")
    print("-" * 116)
    for size in args.sizes.split(","):
        n_spectra, peaks = map(int, size.split("x"))
        n, total, mb, rows = run_size(work, n_spectra, peaks, args)
        label = f"{n} sp x {peaks} = {total/1e6:.0f}M pk, {mb:.0f} MiB"
        for name, wall, cpu, rss in rows:
            rate = total / wall / 1e6 if wall > 0 else float("nan")
            print(f"{label:>26} | {name:<42} | {wall:8.2f} | {cpu:8.2f} | {rss:8.1f} | {rate:8.1f}")
            label = ""
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
