"""End-to-end conversion of Bruker timsTOF .d folders (issue 6, docs/bruker.md "Conversion").

* The real TSF run (imzy example_tsf.d) converts into a valid SpatialData store: 20x20 TIC image,
  one row per frame with peaks, instance ids from MaldiFrameInfo, TIC == row sums of X, the
  reflector_tof axis over MzAcqRange, Thyra's metadata sections in root attrs and uns.
* A synthetic two-region copy (RegionNumber edited with sqlite3) gives obs/region_number,
  uns/average_spectrum_per_region and uns/regions as Thyra 3.x writes them; `--region 1`
  converts only that region on its own grid.
* Broken folders fail with exit 1 and leave nothing at OUTPUT.
* CLI table for `msizarr info` / `msizarr dump` / refusals of `convert` on .d folders: spot
  runs, MS/MS frames, LC runs, case-insensitive table names (edge cases #81-#83).
"""
import json
import math
import pathlib
import re
import shutil
import sqlite3
import stat
import subprocess

import numpy as np
import pytest
import scipy.sparse as sp
import zarr

DATA = pathlib.Path(__file__).resolve().parents[1] / "data"
TSF = DATA / "imzy_example_tsf" / "example_tsf.d"
TDF_NOBIN = DATA / "imzy_example_tdf_sqlite_only" / "example_tdf.d"
SPOTS = DATA / "mzmine_tims_spot" / "tims_spot_acryllic.d"
SPOT_MSMS = DATA / "mzmine_tims_spot" / "tims_spot.d"
DDA = DATA / "MsBackendTimsTof_ddaPASEF" / "ddaPASEF.d"
SIMULATED = DATA / "timsrust_simulated" / "test.d"
TABLE = "tables/msi_dataset_z0"
N_BINS = int(math.log(1500 / 300) * 1000 / 0.005)  # reflector_tof, 5 mDa at m/z 1000


def run(build_dir, *args):
    return subprocess.run([str(build_dir / "msizarr"), *map(str, args)], capture_output=True,
                          text=True, timeout=600)


def convert(build_dir, inp, out, *args):
    proc = run(build_dir, "convert", inp, out, *args)
    assert proc.returncode == 0, proc.stderr
    return proc


def frames(d):
    """MaldiFrameInfo joined with Frames.NumPeaks, in Frame order."""
    con = sqlite3.connect(f"file:{d / 'analysis.tsf'}?mode=ro&immutable=1", uri=True)
    rows = con.execute("SELECT m.Frame, m.XIndexPos, m.YIndexPos, m.RegionNumber, f.NumPeaks "
                       "FROM MaldiFrameInfo m JOIN Frames f ON f.Id = m.Frame "
                       "ORDER BY m.Frame").fetchall()
    meta = dict(con.execute("SELECT Key, Value FROM GlobalMetadata").fetchall())
    con.close()
    return [dict(frame=r[0], x=r[1], y=r[2], region=r[3], n=r[4]) for r in rows], meta


def writable_copy(src, dst):
    shutil.copytree(src, dst)
    for p in [dst, *dst.rglob("*")]:
        p.chmod(p.stat().st_mode | stat.S_IWUSR)
    return dst


def read_table(store):
    """(zarr group of the table, X as CSR, obs dict of numpy arrays, instance ids as int)."""
    t = zarr.open_group(str(store), mode="r")[TABLE]
    xg = t["X"]
    shape = tuple(xg.attrs["shape"])
    parts = (xg["data"][:], xg["indices"][:], xg["indptr"][:])
    kind = xg.attrs["encoding-type"]
    x = (sp.csc_matrix(parts, shape=shape) if kind == "csc_matrix"
         else sp.csr_matrix(parts, shape=shape)).tocsr()
    obs = {k: t["obs"][k][:] for k in ("x", "y", "region_number")}
    ids = np.array([int(s) for s in t["obs/instance_id"][:]])
    return t, x, obs, ids


def expected_rows(fr, offx, offy, n_x):
    """{instance id: frame record} for frames with peaks."""
    return {(f["y"] - offy) * n_x + (f["x"] - offx): f for f in fr if f["n"] > 0}


@pytest.fixture(scope="module")
def tsf_store(build_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("bruker") / "tsf.zarr"
    proc = convert(build_dir, TSF, out, "-v")
    return out, proc.stderr


@pytest.fixture(scope="module")
def multi_region(tmp_path_factory):
    """A copy of the TSF run whose frames 201-400 (y 535-544) are region 1, the rest region 0."""
    d = writable_copy(TSF, tmp_path_factory.mktemp("multi") / "multi.d")
    con = sqlite3.connect(d / "analysis.tsf")
    con.execute("UPDATE MaldiFrameInfo SET RegionNumber = 1 WHERE Frame > 200")
    con.commit()
    con.close()
    return d


def test_tsf_valid_spatialdata(tsf_store):
    spatialdata = pytest.importorskip("spatialdata")
    from spatialdata.models import TableModel
    sdata = spatialdata.read_zarr(str(tsf_store[0]))
    table = sdata.tables["msi_dataset_z0"]
    TableModel().validate(table)
    tic = sdata.images["msi_dataset_z0_tic"]
    assert tuple(tic.shape) == (1, 20, 20)  # 400 pixels
    assert table.n_vars == N_BINS
    assert len(sdata.shapes["msi_dataset_z0_pixels"]) == table.n_obs


def test_tsf_rows_ids_tic(tsf_store):
    fr, meta = frames(TSF)
    offx, offy = int(meta["ImagingAreaMinXIndexPos"]), int(meta["ImagingAreaMinYIndexPos"])
    want = expected_rows(fr, offx, offy, 20)
    assert len(want) == 297  # frames with NumPeaks > 0
    t, x, obs, ids = read_table(tsf_store[0])
    assert x.shape == (297, N_BINS)
    assert sorted(want) == ids.tolist()  # rows in grid order
    assert (obs["y"] * 20 + obs["x"] == ids).all()
    assert (obs["region_number"] == 1).all()  # single region: no region map
    tic = zarr.open_group(str(tsf_store[0]), mode="r")["images/msi_dataset_z0_tic/s0"][:]
    assert tic.shape == (1, 20, 20)
    assert math.isclose(tic.sum(), x.sum(), rel_tol=1e-9)
    flat = tic.reshape(-1)
    np.testing.assert_allclose(flat[ids], np.asarray(x.sum(axis=1)).ravel(), rtol=1e-9)
    assert (np.delete(flat, ids) == 0).all()
    avg = t["uns/average_spectrum"][:]
    np.testing.assert_allclose(avg, np.asarray(x.sum(axis=0)).ravel() / 297, rtol=1e-9,
                               atol=1e-12)
    assert "average_spectrum_per_region" not in t["uns"]
    assert json.loads(t["uns/regions"][()]) == [{"region_number": 1, "n_spectra": 297}]


def test_tsf_axis_and_plan(tsf_store):
    out, stderr = tsf_store
    assert re.search(r"nearest_neighbor \(auto, timsTOF\) onto reflector_tof \(auto\) axis, "
                     rf"{N_BINS} bins \(5 mDa at m/z 1000\), m/z 300 \(\w+\) - 1500", stderr), stderr
    t = zarr.open_group(str(out), mode="r")[TABLE]
    mz = t["var/mz"][:]
    edges = np.exp(np.linspace(np.log(300.0), np.log(1500.0), N_BINS + 1))
    np.testing.assert_allclose(mz, (edges[:-1] + edges[1:]) / 2, rtol=1e-12)
    np.testing.assert_array_equal(t["uns/essential_metadata/mass_range"][:], [300.0, 1500.0])
    assert t["uns/essential_metadata/spectrum_type"][()] == "centroid spectrum"


def test_tsf_metadata(tsf_store):
    out = tsf_store[0]
    _, meta = frames(TSF)
    root = zarr.open_group(str(out), mode="r")
    a = root.attrs
    assert a["pixel_size_x_um"] == 20.0
    ii = a["instrument_information"]
    assert ii["instrument_name"] == meta["InstrumentName"] == "timsTOF fleX"
    assert ii["instrument_serial_number"] == meta["InstrumentSerialNumber"]
    ap = a["acquisition_parameters"]
    assert ap["laser_spot_size"] == 20.0 and ap["mz_acq_range_upper"] == 1500.0
    fs = a["format_specific_metadata"]
    assert fs["bruker_format"] == "bruker_tsf" and fs["pixel_size_source"] == "motor_step"
    assert fs["regions"] == [{"region_number": 0, "n_frames": 400, "name": None}]
    assert a["msi_dataset_info"]["dimensions_xyz"] == [20, 20, 1]
    uns = root[TABLE]["uns"]
    for key in ("format_specific", "acquisition_params", "instrument_info", "raw_metadata"):
        assert key in uns, key
    assert uns["instrument_info/instrument_name"][()] == "timsTOF fleX"
    gm = uns["raw_metadata/global_metadata"]
    assert gm["MzAcqRangeLower"][()] == meta["MzAcqRangeLower"] == "300.000000"  # as stored


def region_of_pixel(fr, offx, offy, n_x):
    return {(f["y"] - offy) * n_x + (f["x"] - offx): f["region"] for f in fr}


def test_multi_region(build_dir, multi_region, tmp_path):
    out = tmp_path / "multi.zarr"
    convert(build_dir, multi_region, out)
    fr, meta = frames(multi_region)
    offx, offy = int(meta["ImagingAreaMinXIndexPos"]), int(meta["ImagingAreaMinYIndexPos"])
    t, x, obs, ids = read_table(out)
    assert x.shape[0] == 297
    reg = region_of_pixel(fr, offx, offy, 20)
    want = np.array([reg[i] for i in ids], dtype=np.int32)
    assert obs["region_number"].dtype == np.int32
    np.testing.assert_array_equal(obs["region_number"], want)
    assert set(want.tolist()) == {0, 1}
    per = t["uns/average_spectrum_per_region"]
    assert per.attrs["encoding-type"] == "dict"
    assert sorted(per.keys()) == ["0", "1"]
    for r in (0, 1):
        rows = want == r
        expect = np.asarray(x[rows].sum(axis=0)).ravel() / rows.sum()  # Thyra: / spectra with peaks
        np.testing.assert_allclose(per[str(r)][:], expect, rtol=1e-9, atol=1e-12)
        assert per[str(r)].dtype == np.float64
    regions = t["uns/regions"][()]
    assert json.loads(regions) == [{"region_number": 0, "n_spectra": 200},
                                   {"region_number": 1, "n_spectra": 200}]
    assert regions.startswith('[{"region_number": 0, "n_spectra": 200}, ')  # json.dumps spacing
    spatialdata = pytest.importorskip("spatialdata")
    from spatialdata.models import TableModel
    TableModel().validate(spatialdata.read_zarr(str(out)).tables["msi_dataset_z0"])


def test_region_selection(build_dir, multi_region, tmp_path):
    out = tmp_path / "r1.zarr"
    convert(build_dir, multi_region, out, "--region", "1")
    fr, _ = frames(multi_region)
    sel = [f for f in fr if f["region"] == 1]
    offx, offy = min(f["x"] for f in sel), min(f["y"] for f in sel)  # the region's own minima
    n_x = max(f["x"] for f in sel) - offx + 1
    n_y = max(f["y"] for f in sel) - offy + 1
    assert (n_x, n_y) == (20, 10)
    root = zarr.open_group(str(out), mode="r")
    assert root["images/msi_dataset_z0_tic/s0"].shape == (1, n_y, n_x)
    assert root.attrs["msi_dataset_info"]["dimensions_xyz"] == [n_x, n_y, 1]
    assert root.attrs["format_specific_metadata"]["selected_region"] == 1
    t, x, obs, ids = read_table(out)
    want = expected_rows(sel, offx, offy, n_x)
    assert sorted(want) == ids.tolist()
    assert (obs["region_number"] == 1).all()
    assert list(t["uns/average_spectrum_per_region"].keys()) == ["1"]
    np.testing.assert_allclose(t["uns/average_spectrum_per_region/1"][:],
                               t["uns/average_spectrum"][:], rtol=1e-12, atol=0)
    # Thyra lists every region of the run, with its frame count
    assert json.loads(t["uns/regions"][()]) == [{"region_number": 0, "n_spectra": 200},
                                                {"region_number": 1, "n_spectra": 200}]
    # the same pixels as in the full conversion, shifted by the region's offset
    full = tmp_path / "full.zarr"
    convert(build_dir, multi_region, full)
    _, xf, obsf, _ = read_table(full)
    keep = obsf["region_number"] == 1
    assert (obsf["y"][keep] - (offy - 525) == obs["y"]).all()
    assert abs(xf[keep] - x).max() == 0


def test_region_absent(build_dir, multi_region, tmp_path):
    out = tmp_path / "r5.zarr"
    proc = run(build_dir, "convert", multi_region, out, "--region", "5")
    assert proc.returncode == 1
    assert "region 5 not found (regions: 0, 1)" in proc.stderr
    assert not out.exists()


def test_missing_binary(build_dir, tmp_path):
    d = writable_copy(TSF, tmp_path / "nobin.d")
    (d / "analysis.tsf_bin").unlink()
    out = tmp_path / "out.zarr"
    proc = run(build_dir, "convert", d, out)
    assert proc.returncode == 1
    assert "msizarr: error: " in proc.stderr and "analysis.tsf_bin missing" in proc.stderr
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["nobin.d"]  # no temporary left


def test_missing_tables(build_dir, tmp_path):
    d = writable_copy(TSF, tmp_path / "notable.d")
    con = sqlite3.connect(d / "analysis.tsf")
    con.execute("DROP TABLE MzCalibration")
    con.commit()
    con.close()
    out = tmp_path / "out.zarr"
    proc = run(build_dir, "convert", d, out)
    assert proc.returncode == 1
    assert "table MzCalibration missing" in proc.stderr
    assert not out.exists()


# ---- msizarr info / dump on .d folders: (arguments, exit code, stdout, stderr fragments) ----

CLI = [
    (["info", TSF], 0, ["format:         Bruker TSF", "spectra:        400",
                        "total peaks:    226855", "grid:           20 x 20 x 1",
                        "pixel size:     20 x 20 um", "mass range:     300 - 1500",
                        "representation: centroid (declared)"], ["from the motor step"]),
    (["info", TDF_NOBIN], 0, ["format:         Bruker TDF", "spectra:        342",
                              "grid:           19 x 18 x 1", "mass range:     400 - 2200"],
     ["analysis.tdf_bin missing"]),
    (["dump", TDF_NOBIN], 1, ["index\tx\ty\tz\tmz\tintensity"],
     ["msizarr: error: ", "frame 1: ", "analysis.tdf_bin missing: spectra cannot be read"]),
    (["info", DATA / "nope.d"], 1, [], ["msizarr: error: "]),
    # TDF: total peaks = Σ NumPeaks (was 0, issue 9); a spot run says what it is (#82)
    (["info", SPOTS], 0, ["format:         Bruker TDF", "spectra:        36",
                          "total peaks:    924096 (stored over all mobility scans",
                          "warning  acquisition: spot acquisition (MaldiApplicationType "
                          "SingleSpectra), not an imaging raster: 36 spots (D1, D2, D3, ...)",
                          "passed   MS/MS frames: none"], []),
    (["convert", SPOTS, "/nonexistent/out.zarr"], 1, [],
     ["msizarr: error: ", "spot acquisition (MaldiApplicationType SingleSpectra), not an "
      "imaging raster: its frames are spots (36: D1, D2, D3, ...)"]),
    (["dump", "--index", "0", SPOTS], 0, ["index\tx\ty\tz\tmz\tintensity\n0\t-1\t-1\t0\t"], []),
    # a run whose only frame is a PASEF MS/MS frame (#81)
    (["info", SPOT_MSMS], 1, [], ["no MS1 frame: all 1 frames are MS/MS frames (MsMsType != 0)"]),
    (["convert", SPOT_MSMS, "/nonexistent/out.zarr"], 1, [], ["spot acquisition"]),
    # LC runs: described by info, refused by convert; MS/MS frames counted (#81)
    (["info", DDA], 0, ["spectra:        50", "total peaks:    16836",
                        "warning  MS/MS frames: 2 of 52 frames are MS/MS"],
     ["2 of 52 frames are MS/MS frames (MsMsType != 0, e.g. PASEF): left out of the MS1 table"]),
    (["convert", DDA, "/nonexistent/out.zarr"], 1, [], ["no MaldiFrameInfo table"]),
    # GlobalMetaData spelled so (#83), no calibration tables
    (["info", SIMULATED], 0, ["spectra:        2", "total peaks:    52",
                              "warning  m/z calibration: no MzCalibration"],
     ["Frames names no MzCalibration"]),
]


@pytest.mark.parametrize("args, code, out, err", CLI,
                         ids=[" ".join(pathlib.Path(str(a)).name for a in row[0]) for row in CLI])
def test_cli_table(build_dir, args, code, out, err):
    proc = run(build_dir, *args)
    assert proc.returncode == code, proc.stderr
    for s in out:
        assert s in proc.stdout, (s, proc.stdout[:2000])
    for s in err:
        assert s in proc.stderr, (s, proc.stderr)


def test_dump_frame_rows(build_dir):
    """dump --index K prints NumPeaks rows of frame K+1 at its raw coordinates."""
    fr, _ = frames(TSF)
    for k in (0, 5, 399):
        f = fr[k]
        proc = run(build_dir, "dump", "--index", k, TSF)
        assert proc.returncode == 0, proc.stderr
        lines = proc.stdout.splitlines()
        assert lines[0] == "index\tx\ty\tz\tmz\tintensity"
        assert len(lines) - 1 == f["n"]
        for line in lines[1:]:
            idx, x, y, z, mz, _ = line.split("\t")
            assert (int(idx), int(x), int(y), int(z)) == (k, f["x"], f["y"], 0)
            assert 300 <= float(mz) <= 1500.02
    assert fr[5]["n"] == 0  # an empty frame: header only


def test_profile_spectra(build_dir, tmp_path):
    """--profile-spectra converts the TSF profile (raw TOF-bin counts) instead of the line
    spectra: recorded as profile, every row non-empty, TIC equal to the row sums, and more
    stored entries than the line spectra give."""
    out = tmp_path / "profile.zarr"
    convert(build_dir, TSF, out, "--profile-spectra")
    t, x, obs, ids = read_table(out)
    assert t["uns/essential_metadata/spectrum_type"][()] == "profile spectrum"
    assert x.shape[0] > 0 and np.all(np.diff(x.indptr) > 0)
    tic = zarr.open_group(str(out), mode="r")["images/msi_dataset_z0_tic/s0"][0]
    np.testing.assert_allclose(tic.ravel()[ids], np.asarray(x.sum(axis=1)).ravel(), rtol=1e-12)
    line = tmp_path / "line.zarr"
    convert(build_dir, TSF, line)
    assert x.nnz > read_table(line)[1].nnz
