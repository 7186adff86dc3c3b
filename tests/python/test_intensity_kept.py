"""No peak inside the requested m/z range is lost (issue 9 item 1; reference/resampling.md §3,
§4 step 2, §5 step 5).

The physics axes (reflector_tof, linear_tof, orbitrap, fticr) put bin centres between edges
that start at min and end at max, so the data's lowest and highest peaks lie half a bin beyond
the first and last centre. Thyra 3.x drops them (on these files: 14% of two_scansettings'
intensity, 49% of imzy simple's, the first and last channel of every pixel of pym2aia);
msizarr keeps every peak with min <= m/z <= max in its nearest bin. So, on the shared real
files, for every axis type, both methods, the data's own range and a narrower requested one:

- each pixel's row of X sums to the pixel's input intensity inside [min, max] (read by
  pyimzML for imzML; for the Bruker TSF by `msizarr dump`, whose per-frame sums equal the
  vendor's Frames.SummedIntensities);
- exactly the pixels with in-range intensity get a row;
- the peaks outside the range are counted in the warning, and only they.

Synthetic files add what the real ones lack: a continuous centroid file whose first and last
channels are its range's ends, and pixels whose only peak sits at an edge of the range.
"""
import functools
import re
import sqlite3
import subprocess
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
import zarr

from conftest import TEST_DATA

AXES = ["constant", "reflector_tof", "linear_tof", "orbitrap", "fticr"]
METHODS = ["nearest_neighbor", "tic_preserving"]
IMZML = ["thyra_fixtures/two_scansettings.imzML", "imzy_simple_imzml/simple_imzml.imzML",
         "pym2aia_test/test.imzML", "imzml-org_examples/Example_Processed.imzML"]
TSF = "imzy_example_tsf/example_tsf.d"


@functools.cache
def imzml_pixels(path):
    """{(x, y) 0-based: (mz, intensity) float64} and the data's m/z range as the converter
    takes it (resampling.md §2: continuous = spectrum 0's array, processed = every m/z)."""
    from pyimzml.ImzMLParser import ImzMLParser
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        p = ImzMLParser(str(path))
    pixels = {}
    for i, (x, y, _) in enumerate(p.coordinates):
        mz, it = p.getspectrum(i)
        pixels[(x - 1, y - 1)] = (mz.astype(np.float64), it.astype(np.float64))
    continuous = "IMS:1000030" in path.read_text(errors="replace")
    if continuous:
        mz0 = p.getspectrum(0)[0].astype(np.float64)
        return pixels, (float(mz0[0]), float(mz0[-1]))
    every = np.concatenate([mz for mz, _ in pixels.values()])
    return pixels, (float(every.min()), float(every.max()))


@functools.cache
def tsf_pixels(build_dir, path):
    """The TSF run through `msizarr dump`; every frame's sum is the vendor's SummedIntensities.
    Range: GlobalMetadata MzAcqRangeLower/Upper."""
    out = subprocess.run([str(build_dir / "msizarr"), "dump", str(path)], capture_output=True,
                         text=True, check=True).stdout
    rows = np.loadtxt(out.splitlines()[1:], ndmin=2)
    con = sqlite3.connect(f"file:{path / 'analysis.tsf'}?mode=ro&immutable=1", uri=True)
    meta = dict(con.execute("SELECT Key, Value FROM GlobalMetadata").fetchall())
    summed = [r[0] for r in con.execute("SELECT SummedIntensities FROM Frames ORDER BY Id")]
    con.close()
    offx, offy = int(meta["ImagingAreaMinXIndexPos"]), int(meta["ImagingAreaMinYIndexPos"])
    pixels = {}
    for index in np.unique(rows[:, 0]).astype(int):
        r = rows[rows[:, 0] == index]
        assert r[:, 5].sum() == summed[index], index
        pixels[(int(r[0, 1]) - offx, int(r[0, 2]) - offy)] = (r[:, 4], r[:, 5])
    return pixels, (float(meta["MzAcqRangeLower"]), float(meta["MzAcqRangeUpper"]))


def row_sums(store):
    """{(x, y): sum of the pixel's row of X}."""
    t = zarr.open_group(str(store), mode="r")["tables/msi_dataset_z0"]
    xg = t["X"]
    shape = tuple(xg.attrs["shape"])
    parts = (xg["data"][:], xg["indices"][:], xg["indptr"][:])
    cls = sp.csc_matrix if xg.attrs["encoding-type"] == "csc_matrix" else sp.csr_matrix
    sums = np.asarray(cls(parts, shape=shape).sum(axis=1)).ravel()
    return {(int(x), int(y)): s for x, y, s in zip(t["obs/x"][:], t["obs/y"][:], sums)}


def convert(build_dir, src, out, *args):
    proc = subprocess.run([str(build_dir / "msizarr"), "convert", str(src), str(out),
                           "--pixel-size", "10", *map(str, args)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return proc.stderr


def dropped(stderr):
    m = re.search(r"(\d+) peaks outside the requested m/z range", stderr)
    return int(m.group(1)) if m else 0


def check_kept(build_dir, tmp_path, src, pixels, data_range, axis, method, narrow):
    lo, hi = data_range
    # a fixed bin count: the default widths give 1.5e8 fticr bins for imzy simple's m/z 1-4
    args = ["--mass-axis-type", axis, "--resample-method", method, "--resample-bins", "20001"]
    if narrow:  # a requested range inside the data's: the filter drops the rest
        span = hi - lo
        lo, hi = lo + 0.1 * span, hi - 0.1 * span
        args += ["--resample-min-mz", repr(lo), "--resample-max-mz", repr(hi)]
    out = tmp_path / "out.zarr"
    stderr = convert(build_dir, src, out, *args)
    got = row_sums(out)
    want, outside = {}, 0
    for xy, (mz, it) in pixels.items():
        inside = (mz >= lo) & (mz <= hi)
        outside += int((~inside).sum())
        if it[inside].sum() > 0:
            want[xy] = it[inside].sum()
    assert dropped(stderr) == outside, stderr
    assert sorted(got) == sorted(want), "a pixel with in-range intensity has no row"
    for xy, s in want.items():
        assert np.isclose(got[xy], s, rtol=1e-12, atol=0), (xy, got[xy], s)
    return outside


@pytest.mark.parametrize("narrow", [False, True], ids=["data-range", "requested-range"])
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("axis", AXES)
@pytest.mark.parametrize("name", IMZML + [TSF], ids=lambda n: n.split("/")[0])
def test_in_range_intensity_kept_per_pixel(build_dir, tmp_path, name, axis, method, narrow):
    src = TEST_DATA / name
    if name == TSF:
        pixels, data_range = tsf_pixels(build_dir, src)
    else:
        pixels, data_range = imzml_pixels(src)
    outside = check_kept(build_dir, tmp_path, src, pixels, data_range, axis, method, narrow)
    assert (outside > 0) == narrow  # the data's own range holds every peak


def test_real_files_reach_the_outer_half_bins(build_dir, tmp_path):
    """The test above is not vacuous: on the default (reflector_tof) axis over the data's range,
    these files have peaks beyond the first or last bin centre (what Thyra 3.x drops)."""
    for name, want in [("thyra_fixtures/two_scansettings.imzML", 2),
                       ("imzy_simple_imzml/simple_imzml.imzML", 7),
                       ("pym2aia_test/test.imzML", 40)]:
        pixels, _ = imzml_pixels(TEST_DATA / name)
        convert(build_dir, TEST_DATA / name, tmp_path / "o.zarr", "--overwrite")
        mz = zarr.open_group(str(tmp_path / "o.zarr"), mode="r")["tables/msi_dataset_z0/var/mz"][:]
        beyond = sum(int(((m < mz[0]) | (m > mz[-1])).sum()) for m, _ in pixels.values())
        assert beyond == want, name


def write_imzml(path, spectra, mode):
    from pyimzml.ImzMLWriter import ImzMLWriter
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with ImzMLWriter(str(path), mode=mode, spec_type="centroid", mz_dtype=np.float64,
                         intensity_dtype=np.float32) as w:
            for (x, y), mz, it in spectra:
                w.addSpectrum(np.asarray(mz, np.float64), np.asarray(it, np.float32), (x, y, 1))
    return path


@pytest.mark.parametrize("axis", ["reflector_tof", "linear_tof", "orbitrap", "fticr"])
def test_continuous_centroid_keeps_first_and_last_channel(build_dir, tmp_path, axis):
    """A continuous centroid file: the shared m/z array is the range, so its first and last
    channels are the range's ends; every pixel keeps them, in the outer bins."""
    rng = np.random.default_rng(9)
    mz = np.sort(rng.uniform(400.0, 900.0, 300))
    spectra = [((x, y), mz, rng.uniform(1.0, 100.0, mz.size).astype(np.float32))
               for y in range(1, 4) for x in range(1, 5)]
    src = write_imzml(tmp_path / "c.imzML", spectra, "continuous")
    stderr = convert(build_dir, src, tmp_path / "c.zarr", "--mass-axis-type", axis)
    assert "outside" not in stderr
    t = zarr.open_group(str(tmp_path / "c.zarr"), mode="r")["tables/msi_dataset_z0"]
    xg = t["X"]
    x = sp.csc_matrix((xg["data"][:], xg["indices"][:], xg["indptr"][:]),
                      shape=tuple(xg.attrs["shape"])).toarray()
    axis_mz = t["var/mz"][:]
    assert axis_mz[0] > mz[0] and axis_mz[-1] < mz[-1]  # outer half-bins
    for row, (xy, _, it) in enumerate(spectra):  # rows in grid order = the order written
        assert x[row, 0] == np.float64(it[0]) and x[row, -1] == np.float64(it[-1]), xy
        assert np.isclose(x[row].sum(), it.astype(np.float64).sum(), rtol=1e-12)


@pytest.mark.parametrize("method", METHODS)
def test_edge_only_pixels_kept(build_dir, tmp_path, method):
    """One-peak spectra at m/z 100, 200 and 300 (the data's range is 100-300): every pixel is
    written, the peaks at 100 and 300 in the outer bins (Thyra 3.x writes a third of them)."""
    n_x, n_y = 30, 20
    spectra = [((x, y), [100.0 + 100.0 * ((x + y) % 3)], [1.0 + x])
               for y in range(1, n_y + 1) for x in range(1, n_x + 1)]
    src = write_imzml(tmp_path / "e.imzML", spectra, "processed")
    stderr = convert(build_dir, src, tmp_path / "e.zarr", "--resample-method", method)
    assert "outside" not in stderr
    got = row_sums(tmp_path / "e.zarr")
    assert len(got) == n_x * n_y
    for (x, y), mz, it in spectra:
        assert got[(x - 1, y - 1)] == it[0]
    t = zarr.open_group(str(tmp_path / "e.zarr"), mode="r")["tables/msi_dataset_z0"]
    indptr = t["X/indptr"][:]
    counts = np.diff(indptr)
    assert counts[0] == counts[-1] == n_x * n_y // 3  # the outer bins hold the edge peaks
