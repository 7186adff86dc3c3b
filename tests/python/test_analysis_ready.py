"""The first lines of analysis code scverse users run on Thyra's stores work on ours
(issue 9 items 2 and 3; reference/output-layout.md §3 index dtypes, §7 shapes index).

- X/indices and X/indptr share one dtype: int32 while the entries and both dimensions fit,
  int64 for both beyond (a mixed pair made scipy's `eliminate_zeros()` raise "Output dtype not
  compatible with inputs" on every store). Checked on converted real files, CSC and CSR, zarr
  v2 and v3, read by anndata and spatialdata: eliminate_zeros, sum_duplicates, slicing,
  tocsr() / tocsc(), all against a dense matrix decoded with numpy from the raw zarr arrays. The
  int64 path is reached by lowering the int32 limit with the test-only environment variable
  MSIZ_TEST_INDEX32_MAX; its X must equal the int32 store's.
- The pixel-shapes index is named `instance_id` (as Thyra 1.27.3's in-memory converter writes
  it), so `shapes.reset_index().merge(obs.reset_index(), on="instance_id")` pairs every pixel
  square with its obs row. The ragged shapes format (zarr v2 only, library option) cannot carry
  an index name: spatialdata's reader builds the index from the `Index` array alone; there the
  ids still equal obs's and `rename_axis("instance_id")` restores the merge.
"""
import os
import subprocess
import warnings

import anndata as ad
import numpy as np
import pytest
import scipy.sparse as sp
import shapely
import spatialdata as sd
import zarr

from conftest import TEST_DATA

FILES = {"pym2aia": TEST_DATA / "pym2aia_test/test.imzML",
         "processed": TEST_DATA / "imzml-org_examples/Example_Processed.imzML",
         "tsf": TEST_DATA / "imzy_example_tsf/example_tsf.d"}
TABLE = "msi_dataset_z0"
CASES = [(name, fmt, sparse) for name in FILES for fmt in (3, 2) for sparse in ("csc", "csr")]


def convert(build_dir, src, out, *args, env=None):
    proc = subprocess.run([str(build_dir / "msizarr"), "convert", str(src), str(out), "--quiet",
                           "--pixel-size", "10", "--resample-bins", "5000", *map(str, args)],
                          capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr
    return out


def raw_dense(store):
    """X decoded with numpy only, from the zarr arrays as stored."""
    xg = zarr.open_group(str(store), mode="r")[f"tables/{TABLE}/X"]
    n_obs, n_var = xg.attrs["shape"]
    data, idx, ptr = xg["data"][:], xg["indices"][:], xg["indptr"][:]
    dense = np.zeros((n_obs, n_var))
    csc = xg.attrs["encoding-type"] == "csc_matrix"
    for major in range(len(ptr) - 1):
        sl = slice(ptr[major], ptr[major + 1])
        if csc:
            dense[idx[sl], major] = data[sl]
        else:
            dense[major, idx[sl]] = data[sl]
    return dense, idx.dtype, ptr.dtype


def read_sdata(store):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zarr v2 stores: spatialdata's format warning
        return sd.read_zarr(store)


def check_scipy_ops(X, dense, kind, dtype):
    assert isinstance(X, sp.csc_matrix if kind == "csc" else sp.csr_matrix)
    assert X.indices.dtype == X.indptr.dtype == dtype
    np.testing.assert_array_equal(X.toarray(), dense)
    Y = X.copy()
    Y.eliminate_zeros()  # raised ValueError with int64 indptr + int32 indices
    assert Y.nnz == X.nnz  # no explicit zeros stored
    Y.sum_duplicates()
    assert Y.has_canonical_format and Y.nnz == X.nnz
    np.testing.assert_array_equal(Y.toarray(), dense)
    rows, cols = [0, dense.shape[0] - 1, 1], [2, 0, dense.shape[1] - 1]
    np.testing.assert_array_equal(X[rows, :].toarray(), dense[rows, :])
    np.testing.assert_array_equal(X[:, cols].toarray(), dense[:, cols])
    np.testing.assert_array_equal(X[1:, 10:400].toarray(), dense[1:, 10:400])
    for conv in (X.tocsr(), X.tocsc(), X.tocsr().tocsc(), X.tocsc().tocsr()):
        np.testing.assert_array_equal(conv.toarray(), dense)
        conv.eliminate_zeros()
        conv.sum_duplicates()
    np.testing.assert_allclose(np.asarray(X.sum(axis=1)).ravel(), dense.sum(axis=1), rtol=1e-12)


@pytest.fixture(scope="module")
def stores(build_dir, tmp_path_factory):
    """{(file, format, sparse, forced): store}; forced = the int64 path (limit 10)."""
    out = {}
    d = tmp_path_factory.mktemp("stores")
    forced_env = dict(os.environ, MSIZ_TEST_INDEX32_MAX="10")
    for name, fmt, sparse in CASES:
        for forced in (False, True):
            path = d / f"{name}_v{fmt}_{sparse}_{int(forced)}.zarr"
            out[(name, fmt, sparse, forced)] = convert(
                build_dir, FILES[name], path, "--zarr-format", fmt, "--sparse-format", sparse,
                env=forced_env if forced else None)
    return out


@pytest.mark.parametrize("forced", [False, True], ids=["int32", "int64"])
@pytest.mark.parametrize("name,fmt,sparse", CASES, ids=[f"{n}-v{f}-{s}" for n, f, s in CASES])
def test_sparse_index_dtypes_and_scipy_ops(stores, name, fmt, sparse, forced):
    store = stores[(name, fmt, sparse, forced)]
    dense, idx_dtype, ptr_dtype = raw_dense(store)
    want = np.int64 if forced else np.int32
    assert idx_dtype == ptr_dtype == want
    if forced:  # the same matrix either way
        np.testing.assert_array_equal(dense, raw_dense(stores[(name, fmt, sparse, False)])[0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        adata = ad.read_zarr(store / "tables" / TABLE)
    check_scipy_ops(adata.X, dense, sparse, want)
    sub = adata[1:, 10:400]  # AnnData slicing (views), then a copy
    np.testing.assert_array_equal(sub.X.toarray(), dense[1:, 10:400])
    np.testing.assert_array_equal(sub.copy().X.toarray(), dense[1:, 10:400])
    table = read_sdata(store).tables[TABLE]
    check_scipy_ops(table.X, dense, sparse, want)


@pytest.mark.parametrize("fmt", [3, 2])
def test_shapes_merge_with_obs_on_instance_id(stores, fmt):
    """`shapes.reset_index().merge(obs.reset_index(), on="instance_id")`: one row per pixel, each
    square centred on the obs row's spatial_x / spatial_y."""
    import geopandas as gpd
    for name in FILES:
        store = stores[(name, fmt, "csc", False)]
        sdata = read_sdata(store)
        shapes, obs = sdata.shapes[f"{TABLE}_pixels"], sdata.tables[TABLE].obs
        assert shapes.index.name == "instance_id" == obs.index.name
        merged = shapes.reset_index().merge(obs.reset_index(), on="instance_id")
        assert len(merged) == len(obs) == len(shapes)
        assert list(merged["instance_id"]) == list(obs.index)
        centroids = shapely.centroid(merged.geometry.values)
        np.testing.assert_allclose(shapely.get_x(centroids), merged["spatial_x"], atol=1e-9)
        np.testing.assert_allclose(shapely.get_y(centroids), merged["spatial_y"], atol=1e-9)
        # geopandas on the file itself
        gdf = gpd.read_parquet(store / "shapes" / f"{TABLE}_pixels" / "shapes.parquet")
        assert gdf.index.name == "instance_id" and list(gdf.index) == list(obs.index)


def test_ragged_shapes_ids(run_program, tmp_path):
    """The ragged format (library option `ragged_shapes`, zarr v2): spatialdata reads an unnamed
    index whose ids equal obs's; naming it gives the same merge."""
    store = tmp_path / "ragged.zarr"
    run_program("store_write_fixture", store, "--format", 2, "--ragged")
    sdata = read_sdata(store)
    shapes, obs = sdata.shapes[f"{TABLE}_pixels"], sdata.tables[TABLE].obs
    assert shapes.index.name is None  # spatialdata's ragged reader keeps no index name
    assert list(shapes.index) == list(obs.index)
    merged = shapes.rename_axis("instance_id").reset_index().merge(obs.reset_index(),
                                                                   on="instance_id")
    assert len(merged) == len(obs)
