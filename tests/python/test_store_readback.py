"""Stores written by the C store writer, read back with spatialdata, anndata, zarr-python,
geopandas and pyarrow: every value must equal what was written."""
import json
import warnings

import anndata as ad
import geopandas as gpd
import numpy as np
import pytest
import scipy.sparse as sp
import shapely
import spatialdata as sd
import zarr
from spatialdata.models import TableModel
from spatialdata.transformations import get_transformation

from store_expected import Fixture

CASES = [
    # (format, codec, sparse, ragged, threads, chunk_elems)
    (3, "zstd", "csc", False, 2, 1000000),
    (3, "zstd", "csr", False, 0, 7),
    (3, "gzip", "csc", False, 2, 13),
    (3, "blosc-lz4", "csr", False, 2, 1000000),
    (3, "blosc-zstd", "csc", False, 1, 5),
    (3, "none", "csc", False, 0, 1000000),
    (2, "zstd", "csc", False, 2, 11),
    (2, "gzip", "csr", False, 0, 1000000),
    (2, "blosc-lz4", "csc", True, 2, 3),
    (2, "none", "csr", True, 0, 1000000),
]


def case_id(c):
    return f"v{c[0]}-{c[1]}-{c[2]}{'-ragged' if c[3] else ''}-t{c[4]}-k{c[5]}"


def _caught_reading(path):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sdata = sd.read_zarr(path)
    return sdata, caught


@pytest.fixture(scope="module")
def baseline_warnings(tmp_path_factory):
    """Warnings spatialdata raises reading a store that spatialdata itself wrote (library
    deprecations unrelated to the data): these are not ours."""
    from spatialdata.models import Image2DModel
    from spatialdata.transformations import Scale
    ref = tmp_path_factory.mktemp("ref") / "ref.zarr"
    image = Image2DModel.parse(np.zeros((1, 2, 3)), dims=("c", "y", "x"),
                               transformations={"global": Scale([2.0, 2.0], axes=("x", "y"))})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sd.SpatialData(images={"img": image}).write(ref)
    _, caught = _caught_reading(ref)
    return {str(w.message) for w in caught}


def read_sdata(path, fmt, baseline):
    """spatialdata.read_zarr; returns (sdata, warnings beyond the baseline and, for v2 stores,
    spatialdata's documented zarr v2 warning)."""
    sdata, caught = _caught_reading(path)
    unexpected = [w for w in caught
                  if str(w.message) not in baseline
                  and not (fmt == 2 and issubclass(w.category, UserWarning)
                           and "not stored in the most current format" in str(w.message))]
    return sdata, unexpected


@pytest.fixture(scope="module", params=CASES, ids=case_id)
def written(request, tmp_path_factory, run_program):
    fmt, codec, sparse, ragged, threads, chunk = request.param
    out = tmp_path_factory.mktemp("store") / "out.zarr"
    args = [out, "--format", fmt, "--codec", codec, "--sparse", sparse, "--threads", threads,
            "--chunk-elems", chunk]
    if ragged:
        args.append("--ragged")
    run_program("store_write_fixture", *args)
    return out, request.param


def test_spatialdata_reads_every_element(written, baseline_warnings):
    path, (fmt, _, sparse, ragged, _, _) = written
    fx = Fixture()
    sdata, unexpected = read_sdata(path, fmt, baseline_warnings)
    assert not unexpected, [str(w.message) for w in unexpected]
    table = sdata.tables["msi_dataset_z0"]
    TableModel().validate(table)
    attrs = table.uns["spatialdata_attrs"]
    assert attrs["region"] == "msi_dataset_z0_pixels"
    assert attrs["region_key"] == "region" and attrs["instance_key"] == "instance_key"
    X = table.X
    assert isinstance(X, sp.csc_matrix if sparse == "csc" else sp.csr_matrix)
    assert X.dtype == np.float64 and X.shape == (fx.n_obs, fx.n_var)
    np.testing.assert_array_equal(X.toarray(), fx.dense)
    assert X.has_canonical_format
    assert not np.any(X.data == 0)
    np.testing.assert_array_equal(table.var["mz"].to_numpy(), fx.mz)
    assert list(table.var.index) == [f"mz_{i}" for i in range(fx.n_var)]
    assert list(table.obs.index) == fx.ids
    np.testing.assert_array_equal(table.obs["x"].to_numpy(), fx.x)
    np.testing.assert_array_equal(table.obs["y"].to_numpy(), fx.y)
    np.testing.assert_array_equal(table.obs["spatial_x"].to_numpy(), fx.x * fx.ps)
    assert list(table.obs["instance_key"]) == fx.ids
    assert list(table.obs["region"].cat.categories) == ["msi_dataset_z0_pixels"]
    assert list(table.obs.columns) == ["y", "x", "region", "spatial_x", "spatial_y",
                                       "region_number", "instance_key"]
    np.testing.assert_array_equal(table.uns["average_spectrum"], fx.average)
    em = table.uns["essential_metadata"]
    assert em["source_path"] == "fixture.imzML"
    np.testing.assert_array_equal(em["dimensions"], [7, 5, 1])
    assert em["dimensions"].dtype == np.int64
    assert table.uns["raw_metadata"]["max count of pixels x"] == 7
    assert list(table.uns["raw_metadata"]["names"]) == ["a", "bé"]
    assert "skip" not in table.uns["raw_metadata"]
    # a list of string records is a dataframe: uns[...]["cvParams"]["name"] is a column
    cv = table.uns["raw_metadata"]["cvParams"]
    assert list(cv.columns) == ["name", "value", "unit"]
    assert list(cv["name"]) == ["n", "w"] and list(cv["unit"]) == ["", "u"]
    assert cv["value"].iloc[1] == "".join(str(i % 10) for i in range(300))
    assert table.uns["ratio"] == 0.1

    tic = sdata.images["msi_dataset_z0_tic"]
    np.testing.assert_array_equal(np.asarray(tic.data), fx.tic)
    assert tuple(tic.dims) == ("c", "y", "x")
    assert np.sum(np.asarray(tic.data)) == pytest.approx(X.sum(), rel=1e-12)
    scale = get_transformation(tic, to_coordinate_system="global")
    np.testing.assert_array_equal(scale.to_affine_matrix(("x", "y"), ("x", "y")),
                                  [[20, 0, 0], [0, 20, 0], [0, 0, 1]])

    shapes = sdata.shapes["msi_dataset_z0_pixels"]
    assert list(shapes.index) == list(table.obs["instance_key"])
    for row in (0, fx.n_obs // 2, fx.n_obs - 1):
        expect = shapely.box(*fx.box(row))
        np.testing.assert_array_equal(shapely.get_coordinates(shapes.geometry.iloc[row]),
                                      shapely.get_coordinates(expect))
    assert set(sdata.coordinate_systems) == {"global", "msi_dataset"}


def test_anndata_reads_the_table(written):
    path, (fmt, _, sparse, _, _, _) = written
    fx = Fixture()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        adata = ad.read_zarr(path / "tables" / "msi_dataset_z0")
    np.testing.assert_array_equal(adata.X.toarray(), fx.dense)
    assert adata.obs.index.name == "instance_id"
    assert adata.obsm.keys() == set() and adata.layers.keys() == set()


@pytest.mark.filterwarnings("ignore:Object at shapes.parquet is not recognized")
def test_zarr_python_sees_every_node(written):
    path, (fmt, *_rest) = written
    root = zarr.open_group(str(path), mode="r", zarr_format=fmt)
    assert root.attrs["spatialdata_attrs"]["version"] == ("0.2" if fmt == 3 else "0.1")
    assert root.attrs["pixel_size_x_um"] == 20.0
    consolidated = zarr.open_consolidated(str(path), zarr_format=fmt)
    plain = zarr.open_group(str(path), mode="r", zarr_format=fmt, use_consolidated=False)
    assert sorted(k for k, _ in consolidated.members(max_depth=None)) == \
        sorted(k for k, _ in plain.members(max_depth=None))
    indptr = root["tables/msi_dataset_z0/X/indptr"]
    assert indptr.dtype == np.int32 and indptr[0] == 0  # one dtype for both (scipy's rule)
    assert root["tables/msi_dataset_z0/X/indices"].dtype == np.int32


def test_geopandas_reads_the_pixel_squares(written):
    path, (fmt, _, _, ragged, _, _) = written
    if ragged:
        pytest.skip("ragged shapes (format 0.1) have no parquet file")
    fx = Fixture()
    gdf = gpd.read_parquet(path / "shapes" / "msi_dataset_z0_pixels" / "shapes.parquet")
    assert list(gdf.index) == fx.ids and gdf.index.name == "instance_id"
    assert gdf.crs is None
    expect = gpd.GeoSeries([shapely.box(*fx.box(r)) for r in range(fx.n_obs)], index=fx.ids)
    assert all(gdf.geometry.geom_equals_exact(expect, tolerance=0))


@pytest.mark.parametrize("fmt", [3, 2])
def test_affine_transformations(tmp_path, run_program, fmt):
    """An affine transformation (translation by 5, 7 um after the pixel scale) reads back as
    the same matrix through spatialdata, for the image (c, y, x) and the shapes (x, y)."""
    out = tmp_path / "affine.zarr"
    run_program("store_write_fixture", out, "--format", fmt, "--affine")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sdata = sd.read_zarr(out)
    image = get_transformation(sdata.images["msi_dataset_z0_tic"], to_coordinate_system="global")
    np.testing.assert_array_equal(image.to_affine_matrix(("x", "y"), ("x", "y")),
                                  [[20, 0, 5], [0, 20, 7], [0, 0, 1]])
    shapes = get_transformation(sdata.shapes["msi_dataset_z0_pixels"],
                                to_coordinate_system="global")
    np.testing.assert_array_equal(shapes.to_affine_matrix(("x", "y"), ("x", "y")),
                                  [[1, 0, 5], [0, 1, 7], [0, 0, 1]])
    scale = get_transformation(sdata.images["msi_dataset_z0_tic"],
                               to_coordinate_system="msi_dataset")
    np.testing.assert_array_equal(scale.to_affine_matrix(("x", "y"), ("x", "y")),
                                  [[20, 0, 0], [0, 20, 0], [0, 0, 1]])
