"""Converter-level rows of the edge-case matrix that warn and continue: unsorted m/z (#36),
NaN/Inf intensities (#35), 0-based coordinates (#42), peaks outside the requested m/z range
(#59), peaks at the range's ends kept on physics axes; and the all-outside error (#60). Files
are written with pyimzML's writer."""
import subprocess

import numpy as np
import pytest
import zarr
from pyimzml.ImzMLWriter import ImzMLWriter


def write(path, spectra, mode="processed"):
    """spectra: list of ((x, y), mz, intensity); coordinates as given (1-based normally)."""
    with ImzMLWriter(str(path), mode=mode, spec_type="centroid", mz_dtype=np.float64,
                     intensity_dtype=np.float32) as w:
        for (x, y), mz, it in spectra:
            w.addSpectrum(np.asarray(mz, np.float64), np.asarray(it, np.float32), (x, y, 1))
    return path


def convert(build_dir, src, out, *args):
    return subprocess.run([str(build_dir / "msizarr"), "convert", str(src), str(out),
                           "--pixel-size", "10", *map(str, args)],
                          capture_output=True, text=True)


def dense_x(store):
    g = zarr.open_group(str(store), mode="r")
    X = g["tables/msi_dataset_z0/X"]
    n_obs, n_var = X.attrs["shape"]
    data, idx, ptr = X["data"][:], X["indices"][:], X["indptr"][:]
    out = np.zeros((n_obs, n_var))
    for col in range(n_var):
        out[idx[ptr[col]:ptr[col + 1]], col] = data[ptr[col]:ptr[col + 1]]
    return out


AXIS = ["--mass-axis-type", "constant", "--resample-min-mz", "100", "--resample-max-mz", "200",
        "--resample-bins", "101"]


def test_unsorted_mz_warns_and_bins_like_sorted(tmp_path, build_dir):
    mz = [150.0, 120.0, 180.0, 130.0]
    it = [1.0, 2.0, 3.0, 4.0]
    order = np.argsort(mz)
    unsorted = write(tmp_path / "u.imzML", [((1, 1), mz, it), ((2, 1), [110.0], [5.0])])
    sorted_ = write(tmp_path / "s.imzML", [((1, 1), np.array(mz)[order], np.array(it)[order]),
                                           ((2, 1), [110.0], [5.0])])
    pu = convert(build_dir, unsorted, tmp_path / "u.zarr", *AXIS)
    ps = convert(build_dir, sorted_, tmp_path / "s.zarr", *AXIS)
    assert pu.returncode == 0 and ps.returncode == 0, pu.stderr + ps.stderr
    assert "1 spectra have m/z values out of ascending order" in pu.stderr
    assert "ascending order" not in ps.stderr
    np.testing.assert_array_equal(dense_x(tmp_path / "u.zarr"), dense_x(tmp_path / "s.zarr"))


def test_non_finite_intensities_dropped_with_a_count(tmp_path, build_dir):
    src = write(tmp_path / "n.imzML", [((1, 1), [120.0, 130.0, 140.0], [1.0, np.nan, np.inf]),
                                       ((2, 1), [150.0], [2.0])])
    p = convert(build_dir, src, tmp_path / "n.zarr", *AXIS)
    assert p.returncode == 0, p.stderr
    assert "2 with NaN/Inf intensity were dropped" in p.stderr
    X = dense_x(tmp_path / "n.zarr")
    assert np.isfinite(X).all() and X.sum() == 3.0


def test_zero_based_spectra_skipped_with_a_warning(tmp_path, build_dir):
    src = write(tmp_path / "z.imzML", [((0, 1), [120.0], [1.0]), ((1, 1), [130.0], [2.0]),
                                       ((2, 1), [140.0], [3.0])])
    p = convert(build_dir, src, tmp_path / "z.zarr", *AXIS)
    assert p.returncode == 0, p.stderr
    # one warning, from the reader, that names the count and the skipping
    assert "1 spectra have position x or y below 1" in p.stderr
    assert "conversion skips them" in p.stderr
    assert p.stderr.count("warning") == 1, p.stderr
    g = zarr.open_group(str(tmp_path / "z.zarr"), mode="r")
    assert list(g["tables/msi_dataset_z0/obs/instance_id"][:]) == ["0", "1"]


@pytest.mark.parametrize("method", ["nearest_neighbor", "tic_preserving"])
def test_peaks_outside_the_axis_warn_or_fail(tmp_path, build_dir, method):
    src = write(tmp_path / "o.imzML", [((1, 1), [120.0], [8.0]),
                                       ((2, 1), [50.0, 150.0, 250.0], [1.0, 2.0, 4.0]),
                                       ((3, 1), [99.0, 201.0], [1.0, 1.0])])
    p = convert(build_dir, src, tmp_path / "o.zarr", *AXIS, "--resample-method", method)
    assert p.returncode == 0, p.stderr
    # count, range and the first spectrum (file order) that lost peaks
    assert ("4 peaks outside the requested m/z range 100.000000-200.000000 were dropped, from 2 "
            "spectra (the first is spectrum 1)") in p.stderr
    assert dense_x(tmp_path / "o.zarr").sum() == 10.0
    p = convert(build_dir, src, tmp_path / "none.zarr", "--mass-axis-type", "constant",
                "--resample-min-mz", "300", "--resample-max-mz", "400")
    assert p.returncode == 1
    assert "no peak falls inside the requested m/z range 300.000000-400.000000" in p.stderr
    assert not (tmp_path / "none.zarr").exists()


@pytest.mark.parametrize("axis", ["reflector_tof", "linear_tof", "orbitrap", "fticr"])
@pytest.mark.parametrize("method", ["nearest_neighbor", "tic_preserving"])
def test_edge_peaks_kept_on_physics_axes(tmp_path, build_dir, axis, method):
    """resampling.md §4 step 2: a peak at the requested min or max (in the outer half-bin of a
    physics axis, beyond the first / last bin centre) goes to the outer bin; a pixel whose only
    peak sits there is written. Thyra 3.x drops both (edge-only pixels vanish)."""
    src = write(tmp_path / "e.imzML", [((1, 1), [100.0], [3.0]), ((2, 1), [150.0], [5.0]),
                                       ((3, 1), [200.0], [7.0]),
                                       ((1, 2), [100.0, 200.0], [1.0, 2.0])])
    p = convert(build_dir, src, tmp_path / "e.zarr", "--mass-axis-type", axis,
                "--resample-method", method, "--resample-min-mz", "100",
                "--resample-max-mz", "200", "--resample-bins", "1000")
    assert p.returncode == 0, p.stderr
    assert "outside" not in p.stderr
    g = zarr.open_group(str(tmp_path / "e.zarr"), mode="r")
    mz = g["tables/msi_dataset_z0/var/mz"][:]
    assert 100.0 < mz[0] and mz[-1] < 200.0  # the peaks lie beyond the outer centres
    assert list(g["tables/msi_dataset_z0/obs/instance_id"][:]) == ["0", "1", "2", "3"]
    X = dense_x(tmp_path / "e.zarr")
    assert X[0, 0] == 3.0 and X[2, -1] == 7.0
    if method == "nearest_neighbor":
        assert X[3, 0] == 1.0 and X[3, -1] == 2.0
    np.testing.assert_allclose(X.sum(axis=1), [3.0, 5.0, 7.0, 3.0], rtol=1e-12)
