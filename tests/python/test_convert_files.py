"""Every imzML pair of tests/data and the Bruker TSF example convert and read back with
spatialdata: the table validates, instance ids equal the shapes index, obs rows in ascending grid
order, X canonical, sum(TIC) == sum(X), TIC zero outside acquired pixels; zarr v2 and v3 decode to
the same arrays, CSC and CSR to the same matrix."""
import json
import math
import pathlib
import sqlite3

import numpy as np
import pytest
import scipy.sparse as sp
import zarr

from convert_common import assert_same_store, convert, snapshot

DATA = pathlib.Path(__file__).resolve().parents[1] / "data"
TSF = DATA / "imzy_example_tsf" / "example_tsf.d"
BROKEN = DATA / "thyra_fixtures" / "two_precision_terms.imzML"
IMZML = sorted(p for p in DATA.rglob("*.imzML") if p != BROKEN)
INPUTS = IMZML + [TSF]


def test_every_imzml_pair_is_listed():
    assert len(IMZML) >= 7, IMZML
    assert all(p.with_suffix(".ibd").exists() for p in IMZML)


@pytest.fixture(scope="module", params=INPUTS, ids=lambda p: p.stem)
def converted(request, build_dir, tmp_path_factory):
    """(input, {variant: store path}) for the default (v3, CSC), v2 and CSR conversions."""
    d = tmp_path_factory.mktemp(request.param.stem)
    out = {"v3": d / "v3.zarr", "v2": d / "v2.zarr", "csr": d / "csr.zarr"}
    convert(build_dir, request.param, out["v3"])
    convert(build_dir, request.param, out["v2"], "--zarr-format", "2")
    convert(build_dir, request.param, out["csr"], "--sparse-format", "csr")
    return request.param, out


def read_x(group, fmt):
    x = group["X"]
    shape = tuple(x.attrs["shape"])
    cls = sp.csc_matrix if fmt == "csc" else sp.csr_matrix
    assert x.attrs["encoding-type"] == f"{fmt}_matrix"
    return cls((x["data"][:], x["indices"][:], x["indptr"][:]), shape=shape)


def test_reads_back_and_validates(converted):
    spatialdata = pytest.importorskip("spatialdata")
    from spatialdata.models import TableModel

    _, out = converted
    sdata = spatialdata.read_zarr(str(out["v3"]))
    assert sdata.tables, "no table"
    for name, table in sdata.tables.items():
        TableModel().validate(table)
        region = table.uns["spatialdata_attrs"]["region"]
        shapes = sdata.shapes[region]
        key = table.uns["spatialdata_attrs"]["instance_key"]
        ids = [str(i) for i in table.obs[key]]
        assert ids == [str(i) for i in shapes.index]
        assert ids == [str(i) for i in table.obs.index]
        assert table.n_obs == len(shapes) > 0
        assert f"{name}_tic" in sdata.images


def test_rows_x_tic(converted):
    _, out = converted
    root = zarr.open_group(str(out["v3"]), mode="r")
    for name in root["tables"].group_keys():
        t = root["tables"][name]
        x = read_x(t, "csc")
        tic = root["images"][f"{name}_tic"]["s0"][...]
        n_x, n_y = tic.shape[-1], tic.shape[-2]
        obs_x, obs_y = t["obs/x"][:].astype(np.int64), t["obs/y"][:].astype(np.int64)
        ids = np.array([int(s) for s in t["obs/instance_id"][:]])
        assert x.shape[0] == len(ids) > 0
        # rows in ascending grid order, instance ids = grid indices
        assert (ids == obs_y * n_x + obs_x).all()
        assert (np.diff(ids) > 0).all()
        assert ((obs_x >= 0) & (obs_x < n_x) & (obs_y >= 0) & (obs_y < n_y)).all()
        # X canonical: sorted row indices within each column, no explicit zeros, no empty rows
        assert x.has_sorted_indices
        copy = x.copy()
        copy.sum_duplicates()
        assert copy.nnz == x.nnz
        assert (x.data != 0).all()
        assert (x.getnnz(axis=1) > 0).all()
        assert np.all(np.diff(t["var/mz"][:]) > 0)
        # TIC over the full grid: row sums at acquired pixels, zero elsewhere
        flat = tic.reshape(-1)
        assert math.isclose(flat.sum(), x.sum(), rel_tol=1e-9)
        np.testing.assert_allclose(flat[ids], np.asarray(x.sum(axis=1)).ravel(), rtol=1e-9)
        assert (np.delete(flat, ids) == 0).all()


def test_v2_equals_v3(converted):
    _, out = converted
    assert_same_store(snapshot(out["v3"]), snapshot(out["v2"]), "v2 vs v3", attrs=False)
    assert (out["v2"] / ".zgroup").exists() and (out["v3"] / "zarr.json").exists()


def test_csr_equals_csc(converted):
    _, out = converted
    a, b = snapshot(out["v3"]), snapshot(out["csr"])
    ra, rb = zarr.open_group(str(out["v3"]), mode="r"), zarr.open_group(str(out["csr"]), mode="r")
    for name in ra["tables"].group_keys():
        xc, xr = read_x(ra["tables"][name], "csc"), read_x(rb["tables"][name], "csr")
        assert xr.has_sorted_indices and (xr.data != 0).all()
        d = (xc.tocsr() != xr)
        assert d.nnz == 0
        assert np.array_equal(xc.tocsr().data, xr.data)  # same values, same order within rows
    # everything but X (and its encoding attrs) identical
    for s in (a, b):
        for k in [k for k in s["arrays"] if "/X/" in k]:
            del s["arrays"][k]
        for k in [k for k in s["attrs"] if k.endswith("/X")]:
            del s["attrs"][k]
    assert_same_store(a, b, "csc vs csr")


def test_tsf_rows_are_frames_with_peaks(build_dir, tmp_path):
    out = tmp_path / "tsf.zarr"
    convert(build_dir, TSF, out)
    con = sqlite3.connect(f"file:{TSF / 'analysis.tsf'}?mode=ro", uri=True)
    rows = con.execute("SELECT f.Id, f.NumPeaks, m.XIndexPos, m.YIndexPos FROM Frames f "
                       "JOIN MaldiFrameInfo m ON m.Frame = f.Id").fetchall()
    con.close()
    assert len(rows) == 400
    xs, ys = [r[2] for r in rows], [r[3] for r in rows]
    x0, y0 = min(xs), min(ys)
    n_x, n_y = max(xs) - x0 + 1, max(ys) - y0 + 1
    assert (n_x, n_y) == (20, 20)
    want = sorted((y - y0) * n_x + (x - x0) for _, n, x, y in rows if n > 0)
    assert len(want) == 297
    root = zarr.open_group(str(out), mode="r")
    t = root["tables/msi_dataset_z0"]
    tic = root["images/msi_dataset_z0_tic/s0"][...]
    assert tic.shape == (1, 20, 20)
    ids = [int(s) for s in t["obs/instance_id"][:]]
    assert ids == want
    x = read_x(t, "csc")
    assert x.shape[0] == 297
    assert math.isclose(tic.sum(), x.sum(), rel_tol=1e-9)


def test_two_precision_terms_fails_cleanly(build_dir, tmp_path):
    out = tmp_path / "out.zarr"
    proc = convert(build_dir, BROKEN, out, check=False)
    assert proc.returncode == 1, proc.stderr
    assert "two_precision_terms" in proc.stderr and "error" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) <= 3, proc.stderr
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


def zstd_levels(store):
    """{array: zstd level} of the table's X arrays (v3 metadata)."""
    x = pathlib.Path(store) / "tables" / "msi_dataset_z0" / "X"
    out = {}
    for name in ("data", "indices", "indptr"):
        meta = json.loads((x / name / "zarr.json").read_text())
        out[name] = next(c["configuration"]["level"] for c in meta["codecs"]
                         if c["name"] == "zstd")
    return out


def test_x_zstd_levels(build_dir, tmp_path):
    """X/data and X/indices get their own zstd levels unless a level is given (faster at about
    the same size, docs/output-layout.md); the arrays decode the same either way."""
    src = IMZML[0]
    convert(build_dir, src, tmp_path / "default.zarr")
    convert(build_dir, src, tmp_path / "three.zarr", "--compression", "zstd:3")
    convert(build_dir, src, tmp_path / "named.zarr", "--compression", "zstd")
    assert zstd_levels(tmp_path / "default.zarr") == {"data": 2, "indices": 1, "indptr": 0}
    assert zstd_levels(tmp_path / "named.zarr") == {"data": 2, "indices": 1, "indptr": 0}
    assert zstd_levels(tmp_path / "three.zarr") == {"data": 3, "indices": 3, "indptr": 3}
    assert_same_store(snapshot(tmp_path / "default.zarr"), snapshot(tmp_path / "three.zarr"),
                      "zstd levels", attrs=False)
