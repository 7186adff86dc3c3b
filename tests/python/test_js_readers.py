"""Light JavaScript readers open every part of a store (issue 9 item 7).

Web viewers read SpatialData stores with zarrita (Zarr) and hyparquet (Parquet). Under Node,
tests/js/read_store.mjs reads X, obs, var, the TIC image and the pixel shapes of converted real
files; its counts and sums must equal what anndata, zarr-python and geopandas read. hyparquet
decodes Snappy pages but not ZSTD ones ("parquet unsupported compression codec: ZSTD"), which
is why the shapes are written with Snappy by default. The npm packages come from
tests/js/package-lock.json (`npm ci` in scripts/install-deps.sh).
"""
import json
import pathlib
import shutil
import subprocess
import warnings

import numpy as np
import pytest

from conftest import REPO, TEST_DATA
from convert_common import convert

JS = REPO / "tests" / "js"
FILES = [
    ("imzml-org_examples/Example_Processed.imzML", ()),
    ("pym2aia_test/test.imzML", ("--zarr-format", "2")),
    ("imzy_example_tsf/example_tsf.d", ()),
]


@pytest.fixture(scope="module")
def node():
    exe = shutil.which("node")
    if exe is None:
        pytest.skip("node is not installed (scripts/install-deps.sh installs it)")
    if not (JS / "node_modules" / "zarrita").is_dir():
        pytest.skip("tests/js/node_modules missing: run `npm ci --prefix tests/js` "
                    "(scripts/install-deps.sh does)")
    return exe


def read_js(node, store, table="msi_dataset_z0", check=True):
    proc = subprocess.run([node, str(JS / "read_store.mjs"), str(store), table],
                          capture_output=True, text=True, timeout=300)
    if check:
        assert proc.returncode == 0, proc.stderr
        return json.loads(proc.stdout)
    return proc


def read_python(store, table="msi_dataset_z0"):
    import anndata
    import geopandas
    import spatialdata as sd
    import zarr

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zarr v2 store, parquet "not a component": irrelevant
        sdata = sd.read_zarr(store)
    adata = sdata.tables[table]
    x = adata.X.tocsc() if adata.X.format == "csc" else adata.X
    root = zarr.open_group(str(store), mode="r")
    raw = root[f"tables/{table}/X"]
    region = adata.uns["spatialdata_attrs"]["region"]
    shapes = geopandas.read_parquet(pathlib.Path(store) / "shapes" / region / "shapes.parquet")
    coords = np.concatenate([np.asarray(g.exterior.coords) for g in shapes.geometry])
    tic = np.asarray(sdata.images[f"{table}_tic"])
    assert isinstance(adata, anndata.AnnData)
    return {
        "encoding": raw.attrs["encoding-type"],
        "shape": list(adata.shape),
        "nnz": int(x.nnz),
        "data_sum": float(np.sum(raw["data"][...])),
        "indices_sum": int(np.sum(raw["indices"][...], dtype=np.int64)),
        "indptr_last": int(raw["indptr"][-1]),
        "obs_ids": list(adata.obs_names),
        "obs_x_sum": int(adata.obs["x"].sum()),
        "mz_count": adata.n_vars,
        "mz_sum": float(np.sum(adata.var["mz"].to_numpy())),
        "tic_shape": list(tic.shape),
        "tic_sum": float(np.sum(tic)),
        "shapes_rows": len(shapes),
        "shapes_ids": [str(i) for i in shapes.index],
        "shapes_ring_points": len(coords),
        "shapes_coord_sum": float(coords.sum()),
    }


@pytest.mark.parametrize("src,args", FILES, ids=[f[0].split("/")[0] for f in FILES])
def test_js_readers_match_python(build_dir, tmp_path, node, src, args):
    store = tmp_path / "out.zarr"
    convert(build_dir, TEST_DATA / src, store, "--quiet", *args)
    js = read_js(node, store)
    py = read_python(store)
    assert js["shapes_codecs"] == ["SNAPPY", "SNAPPY"]
    assert js["shapes_geometry_type"] == "Polygon"
    for key in ("encoding", "shape", "nnz", "indices_sum", "indptr_last", "obs_ids", "obs_x_sum",
                "mz_count", "tic_shape", "shapes_rows", "shapes_ids", "shapes_ring_points"):
        assert js[key] == py[key], key
    # sums in different orders: equal to a few ulps
    for key in ("data_sum", "mz_sum", "tic_sum", "shapes_coord_sum"):
        assert js[key] == pytest.approx(py[key], rel=1e-12), key
    assert js["shapes_ids"] == js["obs_ids"]
    assert js["nnz"] > 0 and js["shapes_rows"] == len(js["obs_ids"])


def test_zstd_shapes_need_a_full_parquet_reader(build_dir, tmp_path, node):
    """--shapes-compression zstd still works for pyarrow/geopandas; hyparquet alone refuses it."""
    import pyarrow.parquet as pq

    src = TEST_DATA / "imzml-org_examples" / "Example_Processed.imzML"
    store = tmp_path / "zstd.zarr"
    convert(build_dir, src, store, "--quiet", "--shapes-compression", "zstd",
            "--compression", "gzip")
    parquet = store / "shapes" / "msi_dataset_z0_pixels" / "shapes.parquet"
    meta = pq.ParquetFile(parquet).metadata
    assert {meta.row_group(0).column(i).compression for i in range(meta.num_columns)} == {"ZSTD"}
    assert len(read_python(store)["shapes_ids"]) == 9
    proc = read_js(node, store, check=False)
    assert proc.returncode != 0
    assert "unsupported compression codec: ZSTD" in proc.stderr

    # --compression does not change the shapes' codec (snappy by default)
    store = tmp_path / "gzip.zarr"
    convert(build_dir, src, store, "--quiet", "--compression", "none")
    assert read_js(node, store)["shapes_codecs"] == ["SNAPPY", "SNAPPY"]


@pytest.mark.parametrize("value", ["lz4", "blosc-zstd", "zstd:3", ""])
def test_shapes_compression_usage_errors(build_dir, tmp_path, value):
    proc = convert(build_dir, TEST_DATA / "imzml-org_examples" / "Example_Processed.imzML",
                   tmp_path / "x.zarr", "--shapes-compression", value, check=False)
    assert proc.returncode == 2
    assert "--shapes-compression: unknown Parquet codec" in proc.stderr
    assert not (tmp_path / "x.zarr").exists()
