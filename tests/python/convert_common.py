"""Helpers shared by the converter tests: run `msizarr convert`, read a store back whole
(every zarr array decoded, every attribute, every parquet table) and compare two stores."""
import pathlib
import re
import subprocess

import numpy as np
import zarr

IGNORED_ATTRS = {"conversion_timestamp"}


def convert(build_dir, inp, out, *args, check=True, env=None, timeout=600):
    proc = subprocess.run([str(build_dir / "msizarr"), "convert", str(inp), str(out),
                           *map(str, args)], capture_output=True, text=True, env=env,
                          timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"convert {inp} {args} exited {proc.returncode}:\n{proc.stderr}")
    return proc


def slow_input(folder):
    """A synthetic processed imzML (4 million peaks) whose conversion takes a few seconds and
    spills at --memory-limit 48MiB: for tests that interrupt or kill a run midway."""
    import imzml_synth

    return imzml_synth.write_processed(pathlib.Path(folder) / "large", n_x=160, n_y=125,
                                       peaks=200, vary_peaks=False, shuffled=True, seed=11,
                                       mz_range=(100.0, 400.0), pool_size=4000)


def spilled_bytes(stderr):
    """The `spilled` figure of the -v summary, in bytes."""
    m = re.search(r"spilled ([0-9.]+) (B|KiB|MiB|GiB)", stderr)
    assert m, stderr
    return float(m.group(1)) * {"B": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30}[m.group(2)]


def _strip(value):
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if k not in IGNORED_ATTRS}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def snapshot(store):
    """{"arrays": {path: ndarray}, "attrs": {path: dict}, "parquet": {path: pyarrow.Table}}."""
    import pyarrow.parquet as pq

    store = pathlib.Path(store)
    root = zarr.open_group(str(store), mode="r")
    arrays, attrs = {}, {}

    def walk(group, prefix):
        attrs[prefix or "/"] = _strip(dict(group.attrs))
        for name, member in sorted(group.members()):
            path = f"{prefix}/{name}"
            if isinstance(member, zarr.Array):
                arrays[path] = member[...]
                attrs[path] = _strip(dict(member.attrs))
            else:
                walk(member, path)

    walk(root, "")
    parquet = {str(p.relative_to(store)): pq.read_table(p)
               for p in sorted(store.rglob("*.parquet"))}
    return {"arrays": arrays, "attrs": attrs, "parquet": parquet}


def _same_array(a, b):
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        return False
    if a.dtype.kind in "fc" and b.dtype.kind in "fc":
        return a.dtype == b.dtype and np.array_equal(a, b, equal_nan=True)
    if a.dtype.kind in "OUT" or b.dtype.kind in "OUT":
        return [str(v) for v in a.ravel()] == [str(v) for v in b.ravel()]
    return a.dtype == b.dtype and np.array_equal(a, b)


def assert_same_store(a, b, what="", attrs=True):
    """Every decoded array, every parquet table and (with `attrs`) every attribute, timestamps
    aside, equal. Zarr v2 and v3 stores differ in attributes by design (format versions)."""
    assert sorted(a["arrays"]) == sorted(b["arrays"]), what
    for path in a["arrays"]:
        assert _same_array(a["arrays"][path], b["arrays"][path]), f"{what}: array {path} differs"
    if attrs:
        for path in a["attrs"]:
            assert a["attrs"][path] == b["attrs"].get(path), f"{what}: attributes of {path} differ"
        assert sorted(a["attrs"]) == sorted(b["attrs"]), what
    assert sorted(a["parquet"]) == sorted(b["parquet"]), what
    for path in a["parquet"]:
        assert a["parquet"][path].equals(b["parquet"][path]), f"{what}: {path} differs"
