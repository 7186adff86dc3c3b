"""Reads stores written by tests/programs/zarr_write_fixture.c with zarr-python and compares
every value, attribute and metadata document with what the program's formulas give."""
import json
import warnings

import numpy as np
import pytest
import zarr

N1D, CHUNK1D = 103, 10
CODECS = ["zstd", "zstd:5", "gzip", "gzip:6", "blosc-lz4", "blosc-zstd:3:bitshuffle", "none"]
DTYPES = ["bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
          "float32", "float64"]


def expected_1d(name):
    i = np.arange(N1D, dtype=np.uint64)
    ii = i.astype(np.int64)
    if name == "bool":
        return i % 3 == 0
    if name == "int8":
        return ((i * 7) % 256).astype(np.int64) - 128
    if name == "int16":
        return ii * 37 - 2000
    if name == "int32":
        return ii * 100003 - 5000000
    if name == "int64":
        return ii * 1000000007 - 3
    if name == "uint8":
        return (i * 7) % 256
    if name == "uint16":
        return (i * 263) % 65536
    if name == "uint32":
        return (i * 4000000) % (1 << 32)
    if name == "uint64":
        with np.errstate(over="ignore"):
            return i * np.uint64(0x9E3779B97F4A7C15)
    if name == "float32":
        return i.astype(np.float32) * np.float32(0.5) - np.float32(3.25)
    return i.astype(np.float64) / 7.0


def expected_string(i):
    if i % 7 == 0:
        return ""
    if i % 5 == 0:
        return f"é_{i}"
    return f"name_{i}"


NESTED_ATTRS = {"dict": {"a": [1, 2.5, "x"], "b": {"c": None}}, "float": 20.0, "small": 0.1,
                "uni": "µm ✓"}
ROOT_ATTRS = {"spatialdata_attrs": {"version": "0.2"}, "pi": 3.141592653589793}
ALL_NODES = sorted(
    ["arrays", "images", "strings", "scalars", "uns", "uns/nested group",
     "uns/nested group/deeper", "arrays/empty", "images/img", "strings/names", "strings/grid",
     "scalars/i", "scalars/f", "scalars/b", "scalars/s"] + [f"arrays/{d}" for d in DTYPES])


@pytest.fixture(scope="module", params=[(f, c, t) for f in (2, 3) for c in CODECS
                                        for t in (0, 2)],
                ids=lambda p: f"v{p[0]}-{p[1]}-t{p[2]}")
def store(request, run_program, tmp_path_factory):
    fmt, codec, threads = request.param
    path = tmp_path_factory.mktemp("zarr") / "fixture.zarr"
    run_program("zarr_write_fixture", path, fmt, codec, threads)
    return path, fmt, codec


def open_group(path, consolidated):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return zarr.open_group(str(path), mode="r", use_consolidated=consolidated)


@pytest.mark.parametrize("consolidated", [None, True, False])
def test_values(store, consolidated):
    path, fmt, _ = store
    g = open_group(path, consolidated)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert sorted(k for k, _ in g.members(max_depth=None)) == ALL_NODES
        for name in DTYPES:
            a = g[f"arrays/{name}"]
            assert a.dtype == np.dtype(name)
            assert a.shape == (N1D,) and a.chunks == (CHUNK1D,)
            np.testing.assert_array_equal(a[:], expected_1d(name).astype(name))
        assert g["arrays/empty"].shape == (0,)
        img = g["images/img"]
        c, y, x = np.meshgrid(np.arange(3), np.arange(17), np.arange(23), indexing="ij")
        np.testing.assert_array_equal(img[:], c * 1000 + y * 0.5 + x * 0.25)
        assert img.chunks == (2, 8, 8)
        assert dict(img.attrs) == {"note": "img"}
        names = g["strings/names"][:]
        assert list(names) == [expected_string(i) for i in range(25)]
        grid = g["strings/grid"][:]
        assert grid.tolist() == [[f"r{r}c{c}" for c in range(4)] for r in range(3)]
        assert g["scalars/i"][()] == 42 and g["scalars/i"].shape == ()
        assert g["scalars/f"][()] == 20.0 and g["scalars/f"].dtype == np.float64
        assert bool(g["scalars/b"][()]) is True
        assert g["scalars/s"][()] == "hello ünicode"
        assert dict(g["scalars/s"].attrs) == {"encoding-type": "string"}
        assert dict(g.attrs) == ROOT_ATTRS
        assert dict(g["arrays"].attrs) == {"kind": "1d"}
        assert dict(g["uns/nested group"].attrs) == NESTED_ATTRS
        assert dict(g["uns/nested group/deeper"].attrs) == {}


def test_metadata_documents(store):
    path, fmt, codec = store
    if fmt == 3:
        meta = json.loads((path / "images/img/zarr.json").read_text())
        assert meta["dimension_names"] == ["c", "y", "x"]
        assert (path / "images/img/c/1/2/2").is_file()  # grid 2 x 3 x 3
        assert not (path / "images/img/c/2").exists()
        root = json.loads((path / "zarr.json").read_text())
        cm = root["consolidated_metadata"]
        assert cm["kind"] == "inline" and cm["must_understand"] is False
        assert sorted(cm["metadata"]) == ALL_NODES
        assert (path / "scalars/s/c").is_file()
        # 20.0 stays a float in the JSON text
        assert '"float": 20.0' in (path / "uns/nested group/zarr.json").read_text()
    else:
        meta = json.loads((path / "images/img/.zarray").read_text())
        assert meta["dimension_separator"] == "/"
        assert (path / "images/img/1/2/2").is_file() and not (path / "images/img/1.2.2").exists()
        zm = json.loads((path / ".zmetadata").read_text())
        assert zm["zarr_consolidated_format"] == 1
        keys = set(zm["metadata"])
        for node in ALL_NODES:
            kind = ".zarray" if "/" in node and not node.startswith("uns") else ".zgroup"
            assert f"{node}/{kind}" in keys and f"{node}/.zattrs" in keys
        assert (path / "arrays/int64/10").is_file() and (path / "scalars/s/0").is_file()
        assert '"float": 20.0' in (path / "uns/nested group/.zattrs").read_text()
    name = codec.split(":")[0]
    doc = meta["codecs"][-1] if fmt == 3 else meta["compressor"]
    if name == "none":
        assert doc is None or doc["name"] == "bytes"
    else:
        key = "name" if fmt == 3 else "id"
        assert doc[key] == {"zstd": "zstd", "gzip": "gzip"}.get(name, "blosc")


def test_chunks_are_full_size(store):
    """Edge chunks are padded: each decodes to a full chunk of bytes (codec none only)."""
    path, fmt, codec = store
    if codec != "none":
        pytest.skip("size check needs uncompressed chunks")
    key = "c/10" if fmt == 3 else "10"
    assert (path / "arrays/int64" / key).stat().st_size == CHUNK1D * 8
    last = (path / "strings/names" / ("c/3" if fmt == 3 else "3")).read_bytes()
    assert int.from_bytes(last[:4], "little") == 7  # 25 = 3 * 7 + 4: padded to 7 items
