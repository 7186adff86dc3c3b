#!/usr/bin/env python3
"""Parse time and peak RSS of an imzML header: msizarr against pyimzML (pyimzml==1.5.5).

Generates a processed pair of about N 2-peak spectra (a square grid) with imzml_synth --xml
verbose (an exporter's layout, about 1.6 KB of XML per spectrum), then runs, each in its own process under /usr/bin/time -v:
  - msizarr: imzml_parse_stats (open = parse + checks, then 3 spectra by index)
  - pyimzML: ImzMLParser(path) (parse only)
Usage: bench/bench_imzml_parse.py [--build build] [--n 1000000] [--tmp /tmp] [--skip-pyimzml]
Results are recorded in docs/imzml.md ("Benchmark")."""
import argparse
import math
import os
import pathlib
import re
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parents[1]
PY = """
import sys, time, warnings
warnings.simplefilter("ignore")
from pyimzml.ImzMLParser import ImzMLParser
t = time.time()
p = ImzMLParser(sys.argv[1])
print("spectra=%d seconds=%.3f" % (len(p.coordinates), time.time() - t))
"""


def timed(cmd):
    t = time.time()
    proc = subprocess.run(["/usr/bin/time", "-v", *cmd], capture_output=True, text=True)
    wall = time.time() - t
    if proc.returncode != 0:
        sys.exit(f"{cmd[0]} failed:\n{proc.stderr[-2000:]}")
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr).group(1))
    user = float(re.search(r"User time \(seconds\): ([\d.]+)", proc.stderr).group(1))
    return wall, user, rss, proc.stdout.strip()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=str(REPO / "build"))
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--tmp", default=tempfile.gettempdir())
    ap.add_argument("--skip-pyimzml", action="store_true")
    args = ap.parse_args()
    build = pathlib.Path(args.build)
    stem = pathlib.Path(args.tmp) / f"bench_imzml_{args.n}"
    side = math.isqrt(args.n - 1) + 1
    subprocess.run([str(build / "imzml_synth"), "--grid", f"{side}x{side}", "--peaks", "2",
                    "--xml", "verbose", "--quiet", str(stem)], check=True)
    xml = pathlib.Path(f"{stem}.imzML")
    print(f"header: {side * side} spectra, {xml.stat().st_size / 1e9:.2f} GB of XML, "
          f"{os.cpu_count()} CPUs")
    try:
        rows = [("msizarr", timed([str(build / "imzml_parse_stats"), str(xml)]))]
        if not args.skip_pyimzml:
            python = REPO / ".venv" / "bin" / "python"
            rows.append(("pyimzML 1.5.5", timed([str(python), "-c", PY, str(xml)])))
        print(f"{'reader':<14} {'wall s':>8} {'user s':>8} {'peak RSS MB':>12}")
        for name, (wall, user, rss, out) in rows:
            print(f"{name:<14} {wall:8.1f} {user:8.1f} {rss / 1024:12.1f}   {out}")
    finally:
        for ext in (".imzML", ".ibd"):
            pathlib.Path(f"{stem}{ext}").unlink(missing_ok=True)


if __name__ == "__main__":
    main()
