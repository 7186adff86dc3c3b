"""Synthetic processed imzML pairs for the converter tests, written by the C generator
bench/imzml_synth.c (built as <build>/imzml_synth; env MSIZ_BUILD_DIR, default <repo>/build).

`write_processed(stem, ...)` writes <stem>.imzML and <stem>.ibd: one spectrum per acquired pixel
of an n_x x n_y x n_z grid (1-based coordinates), with optional missing pixels, shuffled spectrum
order, float32/float64 m/z and intensity arrays, a few zero intensities, and a variable number
of peaks per spectrum. m/z values come from a fixed pool of `pool_size` values (np.linspace over
mz_range), strictly increasing within a spectrum by random steps of 1 to pool_size/peaks from
the pool's start (so a spectrum covers about the lower half of the range, as the tests were
written for), and --no-resample gives a bounded number of distinct values. The generator streams: files of 10^9
peaks need no memory to speak of.
"""
import os
import pathlib
import subprocess

import numpy as np

REPO = pathlib.Path(__file__).resolve().parents[2]


def generator():
    """The imzml_synth executable of the build directory."""
    build = pathlib.Path(os.environ.get("MSIZ_BUILD_DIR", REPO / "build"))
    exe = build / "imzml_synth"
    if not exe.exists():
        raise FileNotFoundError(f"{exe} missing: build first (scripts/build.sh)")
    return exe


class Synth:
    """What was written: the grid, each spectrum's (x, y, z) (1-based) and its peak count."""

    def __init__(self, imzml, ibd, n_x, n_y, n_z, coords, counts):
        self.imzml, self.ibd = imzml, ibd
        self.n_x, self.n_y, self.n_z = n_x, n_y, n_z
        self.coords, self.counts = coords, counts

    @property
    def n_spectra(self):
        return len(self.counts)

    @property
    def n_peaks(self):
        return int(self.counts.sum())


def write_processed(stem, *, n_x, n_y, n_z=1, peaks=50, vary_peaks=True, missing=0.0,
                    shuffled=False, mz_dtype="f8", int_dtype="f4", mz_range=(100.0, 1000.0),
                    pool_size=None, zero_fraction=0.01, pixel_size=10.0, seed=0, batch=None):
    """Writes the pair; returns a Synth. `missing`: fraction of grid cells without a spectrum
    (the corner cells (1,1) and (n_x,n_y) of every plane always have one, so the grid size is
    as given). `batch` is accepted for older callers and ignored."""
    del batch
    stem = pathlib.Path(stem)
    manifest = stem.with_suffix(".manifest")
    cmd = [generator(), "--grid", f"{n_x}x{n_y}x{n_z}", "--peaks", peaks,
           "--masses", pool_size or max(4 * peaks, 1000),
           "--mz-range", f"{mz_range[0]!r}:{mz_range[1]!r}", "--mz-dtype", mz_dtype,
           "--int-dtype", int_dtype, "--missing", missing, "--zero-fraction", zero_fraction,
           "--pixel-size", pixel_size, "--seed", seed, "--manifest", manifest, "--quiet",
           "--mz-walk"]
    cmd += ["--vary-peaks"] if vary_peaks else []
    cmd += ["--shuffle"] if shuffled else []
    subprocess.run([str(c) for c in cmd + [stem]], check=True)
    table = np.fromfile(manifest, dtype="<i8").reshape(-1, 4)
    manifest.unlink()
    return Synth(stem.with_suffix(".imzML"), stem.with_suffix(".ibd"), n_x, n_y, n_z,
                 table[:, :3].copy(), table[:, 3].copy())
