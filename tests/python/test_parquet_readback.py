"""GeoParquet files from tests/programs/parquet_write_boxes read back with pyarrow and geopandas.

The program writes row r as grid pixel x = r % 7, y = r // 7 with pixel size 2.5: the square
shapely.box(x*2.5 - 1.25, y*2.5 - 1.25, x*2.5 + 1.25, y*2.5 + 1.25) with index string str(r).
"""
import json
import subprocess
import sys
import warnings

import geopandas
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal

CODECS = {"none": "UNCOMPRESSED", "snappy": "SNAPPY", "zstd": "ZSTD", "gzip": "GZIP"}
# (rows, page_bytes): empty, one row, many small pages, a large file with several 64 KiB pages
SIZES = [(0, 1 << 20), (1, 1 << 20), (1000, 500), (200_000, 1 << 16)]


def expected_bounds(n):
    r = np.arange(n)
    x, y = (r % 7) * 2.5, (r // 7) * 2.5
    return x - 1.25, y - 1.25, x + 1.25, y + 1.25


def write(run_program, tmp_path, n, codec, page_bytes):
    path = tmp_path / f"boxes_{codec}_{n}.parquet"
    run_program("parquet_write_boxes", path, n, codec, page_bytes)
    return path


@pytest.mark.parametrize("codec", sorted(CODECS))
@pytest.mark.parametrize("n,page_bytes", SIZES)
def test_read_back(run_program, tmp_path, codec, n, page_bytes):
    path = write(run_program, tmp_path, n, codec, page_bytes)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        table = pq.read_table(path)
        df = geopandas.read_parquet(path)

    assert table.num_rows == n
    assert table.schema.field("geometry").type == pa.binary()
    assert table.schema.field("instance_id").type == pa.string()
    assert not table.schema.field("geometry").nullable

    meta = pq.ParquetFile(path).metadata
    assert meta.num_row_groups == 1
    assert meta.num_rows == n
    assert meta.created_by.startswith("msizarr version ")
    for i in range(meta.num_columns):
        assert meta.row_group(0).column(i).compression == CODECS[codec]
        assert meta.row_group(0).column(i).num_values == n

    xmin, ymin, xmax, ymax = expected_bounds(n)
    expected = shapely.get_coordinates(shapely.box(xmin, ymin, xmax, ymax))
    assert isinstance(df, geopandas.GeoDataFrame)
    assert list(df.columns) == ["geometry"]
    assert df.crs is None
    assert df.geometry.geom_type.eq("Polygon").all()
    got = shapely.get_coordinates(df.geometry.values)
    assert got.shape == expected.shape
    assert np.array_equal(got, expected)  # exact values and ring order
    assert df.index.name == "instance_id"  # output-layout.md §7
    assert list(df.index) == [str(r) for r in range(n)]

    geo = json.loads(meta.metadata[b"geo"])
    assert geo["primary_column"] == "geometry"
    assert geo["version"] == "1.0.0"
    column = geo["columns"]["geometry"]
    assert column["encoding"] == "WKB"
    assert "crs" in column and column["crs"] is None
    assert column["geometry_types"] == ["Polygon"]
    if n:
        assert column["bbox"] == [xmin.min(), ymin.min(), xmax.max(), ymax.max()]
    else:
        assert "bbox" not in column
    assert geo["creator"]["library"] == "geopandas"
    pandas_meta = json.loads(meta.metadata[b"pandas"])
    assert pandas_meta["index_columns"] == ["instance_id"]


def test_same_as_geopandas_output(run_program, tmp_path):
    """Our file and the one GeoDataFrame.to_parquet writes read back as equal frames."""
    n = 1000
    ours = write(run_program, tmp_path, n, "zstd", 4096)
    xmin, ymin, xmax, ymax = expected_bounds(n)
    ref = geopandas.GeoDataFrame(
        geometry=shapely.box(xmin, ymin, xmax, ymax),
        index=pd.Index([str(r) for r in range(n)], dtype=object, name="instance_id"),
    )
    ref.to_parquet(tmp_path / "ref.parquet")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        a = geopandas.read_parquet(ours)
        b = geopandas.read_parquet(tmp_path / "ref.parquet")
    assert_geodataframe_equal(a, b, check_less_precise=False)
    assert (a.geometry.values == b.geometry.values).all()
    ref_geo = json.loads(pq.read_metadata(tmp_path / "ref.parquet").metadata[b"geo"])
    our_geo = json.loads(pq.read_metadata(ours).metadata[b"geo"])
    assert our_geo["columns"]["geometry"]["bbox"] == ref_geo["columns"]["geometry"]["bbox"]


def test_memory_is_bounded(build_dir, tmp_path):
    """10^6 rows (97 MB of uncompressed WKB values) are written with a small peak RSS."""
    exe = build_dir / "parquet_write_boxes"
    out = tmp_path / "big.parquet"
    probe = (
        "import resource, subprocess, sys;"
        "subprocess.run(sys.argv[1:], check=True);"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    proc = subprocess.run(
        [sys.executable, "-c", probe, str(exe), str(out), "1000000", "zstd", str(1 << 20)],
        capture_output=True, text=True, check=True,
    )
    peak_kib = int(proc.stdout.strip())
    assert peak_kib < 40 * 1024, f"peak RSS {peak_kib} KiB"
    assert pq.ParquetFile(out).metadata.num_rows == 1_000_000
    last = pq.read_table(out).slice(999_999)
    assert last.column("instance_id").to_pylist() == ["999999"]


def test_errors(run_program, tmp_path):
    bad = tmp_path / "no_such_dir" / "x.parquet"
    proc = run_program("parquet_write_boxes", bad, 3, "zstd", 1000, check=False)
    assert proc.returncode == 1
    assert str(bad) in proc.stderr
    for args in [(tmp_path / "a.parquet", 3, "lz4", 1000), (tmp_path / "a.parquet", "x", "zstd", 9)]:
        assert run_program("parquet_write_boxes", *args, check=False).returncode == 2
    proc = run_program("parquet_write_boxes", tmp_path / "a.parquet", 3, "zstd", 0, check=False)
    assert proc.returncode == 1 and "page size 0" in proc.stderr
    assert not (tmp_path / "a.parquet").exists()
