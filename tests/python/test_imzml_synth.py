"""The synthetic imzML generator (bench/imzml_synth.c) writes what it is asked for, readable by
pyimzML: grid, missing pixels, order, peak counts, dtypes, m/z pool, continuous layout, presets."""
import subprocess
import warnings

import numpy as np
import pytest

import imzml_synth

pyimzml = pytest.importorskip("pyimzml.ImzMLParser")


def parse(path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pyimzML's notes on cv names
        return pyimzml.ImzMLParser(str(path))


def test_processed_shape_order_and_values(tmp_path):
    s = imzml_synth.write_processed(tmp_path / "p", n_x=23, n_y=17, n_z=2, peaks=40, missing=0.3,
                                    shuffled=True, mz_dtype="f4", int_dtype="f8",
                                    mz_range=(250.0, 900.0), pool_size=500, seed=4)
    p = parse(s.imzml)
    coords = np.array(p.coordinates)
    assert len(coords) == s.n_spectra and (coords == s.coords).all()
    grid = 23 * 17 * 2
    assert 0.6 * grid < s.n_spectra < 0.8 * grid  # about 30% missing
    assert len({tuple(c) for c in coords}) == s.n_spectra  # no duplicates
    for z in (1, 2):  # the corners keep the grid at its size
        assert {(1, 1, z), (23, 17, z)} <= {tuple(c) for c in coords}
    keys = (coords[:, 2] * 17 + coords[:, 1]) * 23 + coords[:, 0]
    assert (np.diff(keys) < 0).any()  # shuffled
    assert p.imzmldict["max count of pixels x"] == 23 and p.imzmldict["max count of pixels y"] == 17
    pool = np.linspace(250.0, 900.0, 500).astype(np.float32)
    assert 20 <= s.counts.min() and s.counts.max() <= 40 and len(set(s.counts)) > 5  # vary
    for k in range(0, s.n_spectra, 37):
        mz, inten = p.getspectrum(k)
        assert mz.dtype == np.float32 and inten.dtype == np.float64
        assert len(mz) == len(inten) == s.counts[k]
        assert (np.diff(mz) > 0).all() and np.isin(mz, pool).all()
        assert (inten >= 0).all() and (inten < 1000).all()


def test_pool_spread_and_walk(tmp_path, build_dir):
    """Strata over the pool (the presets) span the range; the walk (the tests' generator)
    covers about its lower half."""
    stem = tmp_path / "r"
    subprocess.run([build_dir / "imzml_synth", "--grid", "10x10", "--peaks", "100", "--masses",
                    "100000", "--mz-range", "100:1000", "--quiet", stem], check=True)
    p = parse(f"{stem}.imzML")
    mz = np.concatenate([p.getspectrum(k)[0] for k in range(100)])
    assert mz.min() < 110 and mz.max() > 990
    assert abs(np.median(mz) - 550) < 20
    assert len(np.unique(mz)) > 0.9 * len(mz)
    s = imzml_synth.write_processed(tmp_path / "w", n_x=10, n_y=10, peaks=100, vary_peaks=False,
                                    mz_range=(100.0, 1000.0), pool_size=100_000, seed=1)
    p = parse(s.imzml)
    mz = np.concatenate([p.getspectrum(k)[0] for k in range(s.n_spectra)])
    assert mz.min() < 110 and 450 < mz.max() < 700 and (np.diff(p.getspectrum(0)[0]) > 0).all()


def test_continuous_profile(tmp_path, build_dir):
    stem = tmp_path / "c"
    subprocess.run([build_dir / "imzml_synth", "--continuous", "--grid", "6x4", "--peaks", "3000",
                    "--missing", "0.2", "--mz-range", "300:800", "--quiet", stem], check=True)
    p = parse(f"{stem}.imzML")
    text = stem.with_suffix(".imzML").read_text()
    assert "IMS:1000030" in text and "profile spectrum" in text  # continuous, profile
    assert {(1, 1, 1), (6, 4, 1)} <= set(p.coordinates) and len(p.coordinates) < 24
    assert len(set(p.mzOffsets)) == 1  # one shared m/z array
    first = p.getspectrum(0)[0]
    assert np.array_equal(first, np.linspace(300.0, 800.0, 3000))
    inten = np.array([p.getspectrum(k)[1] for k in range(len(p.coordinates))])
    assert inten.shape == (len(p.coordinates), 3000) and (inten > 0).all()
    assert inten.max() > 50 * np.median(inten)  # peaks above a noise baseline


def test_preset_with_smaller_grid(tmp_path, build_dir):
    stem = tmp_path / "poc"
    subprocess.run([build_dir / "imzml_synth", "--preset", "poc", "--grid", "5x3", "--quiet",
                    "--xml", "verbose", stem], check=True)
    p = parse(f"{stem}.imzML")
    assert len(p.coordinates) == 15 and p.coordinates[-1] == (5, 3, 1)  # raster order, no gaps
    pool = np.linspace(300.0, 1500.0, 50_000)
    for k in range(15):
        mz, inten = p.getspectrum(k)
        assert mz.dtype == np.float64 and inten.dtype == np.float32
        assert len(mz) == 500 and np.isin(mz, pool).all() and (inten > 0).all()
    text = stem.with_suffix(".imzML").read_text()
    assert text.count("total ion current") == 15  # the exporter-like layout


def test_deterministic_and_usage_errors(tmp_path, build_dir):
    exe = build_dir / "imzml_synth"
    for name in ("a", "b"):
        subprocess.run([exe, "--grid", "4x4", "--peaks", "30", "--shuffle", "--seed", "9",
                        "--quiet", tmp_path / name], check=True)
    assert (tmp_path / "a.ibd").read_bytes() == (tmp_path / "b.ibd").read_bytes()
    for bad in (["--grid", "4"], ["--preset", "nope"], ["--mz-dtype", "f16"], []):
        proc = subprocess.run([exe, *bad, *([tmp_path / "x"] if bad else [])],
                              capture_output=True, text=True)
        assert proc.returncode == 2 and "usage" in proc.stderr
