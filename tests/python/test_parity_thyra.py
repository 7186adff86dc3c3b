"""Parity with Thyra 1.27.3 (issue 5): X, obs (x, y, instance ids), var (mz) and the TIC image.

Thyra 1.27.3 is the newest Thyra installable on Python 3.11; msizarr follows Thyra 3.x. Where the
two Thyra versions agree (reference/resampling.md §9) msizarr must store exactly what Thyra 1.27.3
stores for the same options: Thyra runs in this process on its in-memory path
(`streaming=False`), nearest-neighbour resampling onto a constant or reflector_tof axis, every
peak inside the axis span, no negative intensities, centroid imzML. Compared:

- X: msizarr's is canonical as stored (sorted row indices in each CSC column / column indices
  in each CSR row); Thyra's is sorted, then data (bit for bit), indices and indptr must be equal.
- obs: the index (Thyra 1.27.3 names it `instance_id`, like msizarr), x, y, instance_key,
  spatial_x/y; row order included.
- var/mz: exact on a constant axis; within 2 ulp on reflector_tof (numpy's exp/log differ from
  glibc's in the last bit). Synthetic peaks are kept 1e-6 Da away from every bin midpoint of
  the axes used, so X must still be exactly equal; for real files, rows holding a peak within
  1e-9 Da of a midpoint are left out of the X/TIC comparison (none are, at the time of writing).
- TIC image: exact (Thyra 1.27.3 sums each pixel's resampled values with np.sum in bin order,
  as msizarr does). Without resampling Thyra sums the raw intensities in file order instead,
  so there the TIC is compared at 1e-12 relative and the difference is stated.

Where 1.27.3 differs from 3.x (out-of-range peaks, `> 0` vs `!= 0`, 0-based z, tic_preserving,
spectrum-type routing, parser validation) a test shows the difference and that msizarr follows
3.x. One rule is msizarr's own (reference/resampling.md §3-4): peaks inside the requested m/z
range are all kept, those in the outer half-bins of a physics axis in the outer bins. Thyra 3.x
drops them (it cuts at the outer bin centres); Thyra 1.27.3 clips them into the outer bins, so
there 1.27.3 and msizarr agree (tested on every real file with the data's own range), while
peaks outside the range are dropped by msizarr and clipped by 1.27.3 (tested below).
Thyra is slow to import and to write (~3 s per store): conversions are cached per module.
"""
import logging
import pathlib
import subprocess
import warnings

import numpy as np
import pytest

from conftest import TEST_DATA

THYRA_VERSION = "1.27.3"
PIXEL_SIZE = 20.0
MIDPOINT_GAP = 1e-6  # synthetic peaks stay this far (Da) from every bin midpoint
REAL_MIDPOINT_GAP = 1e-9

REAL_FILES = [
    "imzml-org_examples/Example_Continuous.imzML",
    "imzml-org_examples/Example_Processed.imzML",
    "pym2aia_test/test.imzML",
    "imzy_simple_imzml/simple_imzml.imzML",
    "thyra_fixtures/iontof_sparse.imzML",
    "thyra_fixtures/two_scansettings.imzML",
    "thyra_fixtures/unit_nanometre.imzML",
]

NN_CONST = {"method": "nearest_neighbor", "axis": "constant"}
NN_REFL = {"method": "nearest_neighbor", "axis": "reflector_tof"}


# ---------------------------------------------------------------------------------------------
# Conversions (cached for the module)
# ---------------------------------------------------------------------------------------------

def _key(src, opts):
    return (str(src), tuple(sorted(opts.items())))


class Converter:
    def __init__(self, build_dir, tmp, convert_msi):
        self.exe = build_dir / "msizarr"
        self.tmp = tmp
        self.convert_msi = convert_msi
        self.cache = {}

    def _out(self, tag):
        return self.tmp / f"{tag}_{len(self.cache)}.zarr"

    def msizarr_proc(self, src, out, **opts):
        args = [str(self.exe), "convert", str(src), str(out), "--quiet",
                "--pixel-size", str(opts.get("pixel_size", PIXEL_SIZE))]
        if not opts.get("resample", True):
            args.append("--no-resample")
        for name, flag in (("method", "--resample-method"), ("axis", "--mass-axis-type"),
                           ("bins", "--resample-bins"), ("min_mz", "--resample-min-mz"),
                           ("max_mz", "--resample-max-mz"), ("width", "--resample-width-at-mz"),
                           ("reference", "--resample-reference-mz"),
                           ("threshold", "--intensity-threshold"),
                           ("sparse", "--sparse-format")):
            if opts.get(name) is not None:
                args += [flag, repr(opts[name]) if isinstance(opts[name], float)
                         else str(opts[name])]
        return subprocess.run(args, capture_output=True, text=True)

    def msizarr(self, src, **opts):
        key = ("msizarr",) + _key(src, opts)
        if key not in self.cache:
            out = self._out("msizarr")
            proc = self.msizarr_proc(src, out, **opts)
            assert proc.returncode == 0, f"msizarr convert {src} {opts}:\n{proc.stderr}"
            self.cache[key] = (out, proc.stderr)
        return self.cache[key][0]

    def msizarr_stderr(self, src, **opts):
        self.msizarr(src, **opts)
        return self.cache[("msizarr",) + _key(src, opts)][1]

    def thyra(self, src, **opts):
        key = ("thyra",) + _key(src, opts)
        if key not in self.cache:
            out = self._out("thyra")
            config = None
            if opts.get("resample", True):
                config = {"method": opts.get("method", "auto"),
                          "axis_type": opts.get("axis", "auto"),
                          "target_bins": opts.get("bins"), "min_mz": opts.get("min_mz"),
                          "max_mz": opts.get("max_mz"), "width_at_mz": opts.get("width"),
                          "reference_mz": opts.get("reference", 1000.0)}
            reader = None
            if opts.get("threshold") is not None:
                reader = {"intensity_threshold": opts["threshold"]}
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ok = self.convert_msi(str(src), str(out),
                                      pixel_size_um=opts.get("pixel_size", PIXEL_SIZE),
                                      resampling_config=config, reader_options=reader,
                                      sparse_format=opts.get("sparse", "csc"), streaming=False)
            assert ok, f"Thyra {THYRA_VERSION} failed on {src} {opts}"
            self.cache[key] = (out, "")
        return self.cache[key][0]


@pytest.fixture(scope="module")
def conv(build_dir, tmp_path_factory):
    thyra = pytest.importorskip("thyra")
    if thyra.__version__ != THYRA_VERSION:
        pytest.skip(f"Thyra {THYRA_VERSION} is the oracle; found {thyra.__version__}")
    from thyra.convert import convert_msi
    for name in ("thyra", "spatialdata", "anndata", "ome_zarr", "numba"):
        logging.getLogger(name).setLevel(logging.ERROR)
    return Converter(build_dir, tmp_path_factory.mktemp("parity"), convert_msi)


# ---------------------------------------------------------------------------------------------
# Reading and comparing stores
# ---------------------------------------------------------------------------------------------

def load(path):
    """{table name: (AnnData, obs group attrs, TIC image)} of a store."""
    import zarr
    from anndata.io import read_elem
    g = zarr.open_group(str(path), mode="r")
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in sorted(g["tables"].group_keys()):
            t = g["tables"][name]
            tic = g["images"][f"{name}_tic"]["s0"][...]
            out[name] = (read_elem(t), dict(t["obs"].attrs), tic)
    return out


def ulp_close(a, b, ulps):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return np.all(np.abs(a - b) <= ulps * np.spacing(np.maximum(np.abs(a), np.abs(b))))


def bits(a):
    return np.ascontiguousarray(a, dtype=np.float64).view(np.uint64)


def assert_same_x(mx, tx, what):
    """msizarr's X is canonical as stored; Thyra's after sorting; then equal bit for bit."""
    assert type(mx) is type(tx), f"{what}: X format {type(mx)} vs {type(tx)}"
    assert mx.shape == tx.shape, f"{what}: X shape {mx.shape} vs {tx.shape}"
    assert mx.has_sorted_indices, f"{what}: msizarr X is not canonical"
    t = tx.copy()
    t.sort_indices()
    assert mx.nnz == t.nnz, f"{what}: nnz {mx.nnz} vs {t.nnz}"
    assert np.array_equal(mx.indptr, t.indptr), f"{what}: indptr differs"
    assert np.array_equal(mx.indices, t.indices), f"{what}: indices differ"
    diff = np.flatnonzero(bits(mx.data) != bits(t.data))
    assert diff.size == 0, (f"{what}: {diff.size} values differ, first at {diff[0]}: "
                            f"{mx.data[diff[0]]!r} vs {t.data[diff[0]]!r}")


def assert_same_table(m, t, what, mz_ulps=0, skip_ids=(), ids=True):
    (ma, mattrs, mtic), (ta, tattrs, ttic) = m, t
    # obs: index name, ids, coordinates, row order
    assert mattrs["_index"] == tattrs["_index"] == "instance_id", what
    if ids:
        assert list(ma.obs.index) == list(ta.obs.index), f"{what}: obs instance ids / row order"
        assert list(ma.obs["instance_key"]) == list(ta.obs["instance_key"]), f"{what}: keys"
    for col in ("x", "y"):
        assert ma.obs[col].dtype == ta.obs[col].dtype == np.int32, f"{what}: obs/{col} dtype"
        assert np.array_equal(ma.obs[col].values, ta.obs[col].values), f"{what}: obs/{col}"
    for col in ("spatial_x", "spatial_y"):
        assert np.array_equal(ma.obs[col].values, ta.obs[col].values), f"{what}: obs/{col}"
    # var
    assert list(ma.var.index) == list(ta.var.index), f"{what}: var index"
    mz_m, mz_t = ma.var["mz"].values, ta.var["mz"].values
    if mz_ulps == 0:
        assert np.array_equal(bits(mz_m), bits(mz_t)), f"{what}: var/mz differs"
    else:
        assert ulp_close(mz_m, mz_t, mz_ulps), f"{what}: var/mz beyond {mz_ulps} ulp"
    # X and TIC (rows named in skip_ids are compared nowhere: see the module docstring)
    mx, tx = ma.X, ta.X
    tic_m, tic_t = mtic.copy(), ttic.copy()
    if skip_ids:
        keep = ~np.isin(np.asarray(ma.obs.index), list(skip_ids))
        mx, tx = type(mx)(mx.tocsr()[keep]), type(tx)(tx.tocsr()[keep])
        mx.sort_indices()
        n_x = tic_m.shape[-1]
        for i in skip_ids:
            tic_m[..., int(i) // n_x, int(i) % n_x] = tic_t[..., int(i) // n_x, int(i) % n_x] = 0
    assert_same_x(mx, tx, what)
    assert tic_m.shape == tic_t.shape and tic_m.dtype == tic_t.dtype == np.float64, what
    assert np.array_equal(bits(tic_m), bits(tic_t)), f"{what}: TIC image differs"
    # sum(TIC) == sum(X), Thyra's own check, on msizarr's side
    assert np.isclose(mtic.sum(), ma.X.sum(), rtol=1e-9, atol=0), f"{what}: sum(TIC) != sum(X)"


def assert_same_store(mpath, tpath, what, **kw):
    m, t = load(mpath), load(tpath)
    assert list(m) == list(t), f"{what}: tables {list(m)} vs {list(t)}"
    for name in m:
        assert_same_table(m[name], t[name], f"{what} [{name}]", **kw)


# ---------------------------------------------------------------------------------------------
# Axes as Thyra builds them (to keep synthetic peaks away from bin midpoints)
# ---------------------------------------------------------------------------------------------

def planned_axis(axis, lo, hi, width=None, bins=None, reference=1000.0):
    from thyra.resampling.common_axis import CommonAxisBuilder
    from thyra.resampling.types import AxisType
    if bins is None:
        w, r = (0.005, 1000.0) if width is None else (width, reference)
        raw = (hi - lo) / w if axis == "constant" else np.log(hi / lo) * (r / w)
        bins = max(100, int(raw))
    builder = CommonAxisBuilder()
    if axis == "constant":
        return builder.build_uniform_axis(lo, hi, bins).mz_values.astype(np.float64)
    return builder.build_physics_axis(lo, hi, bins, AxisType.REFLECTOR_TOF,
                                      reference_mz=1000.0,
                                      reference_width=0.005).mz_values.astype(np.float64)


def near_midpoints(mz, axis, gap):
    """Mask of m/z values within `gap` Da of a midpoint between two neighbouring bins."""
    mid = (axis[:-1] + axis[1:]) / 2
    mz = np.asarray(mz, np.float64)
    i = np.clip(np.searchsorted(mid, mz), 1, len(mid) - 1)
    return (np.abs(mid[i] - mz) < gap) | (np.abs(mid[i - 1] - mz) < gap)


# ---------------------------------------------------------------------------------------------
# Synthetic imzML files (pyimzML's writer: processed, centroid)
# ---------------------------------------------------------------------------------------------

def write_imzml(path, spectra, mz_dtype, int_dtype):
    from pyimzml.ImzMLWriter import ImzMLWriter
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with ImzMLWriter(str(path), mz_dtype=mz_dtype, intensity_dtype=int_dtype,
                         mode="processed", spec_type="centroid") as w:
            for coords, mz, inten in spectra:
                w.addSpectrum(np.asarray(mz, mz_dtype), np.asarray(inten, int_dtype), coords)
    return pathlib.Path(path)


def random_spectra(seed, nx, ny, lo, hi, mz_dtype, int_dtype, missing=0.2, z=None):
    """Shuffled spectra with missing pixels (the four corners are always present, so the grid
    is nx x ny for every reader); peaks in random order with near-twins that share a bin, a
    spread of magnitudes (so the float64 summation order matters), some exact zeros and one
    spectrum of zeros only."""
    rng = np.random.default_rng(seed)
    cells = [(x, y) for y in range(1, ny + 1) for x in range(1, nx + 1)]
    corners = {(1, 1), (nx, 1), (1, ny), (nx, ny)}
    cells = [c for c in cells if c in corners or rng.random() >= missing]
    spectra = []
    for k, (x, y) in enumerate(cells):
        n = int(rng.integers(3, 40))
        mz = rng.uniform(lo, hi, n)
        twins = mz[rng.random(n) < 0.3] + rng.uniform(-1e-3, 1e-3, 1)
        mz = np.concatenate([mz, np.clip(twins, lo, hi)])
        inten = rng.lognormal(3, 3, mz.size) * rng.choice([1e-3, 1.0, 1e4], mz.size)
        inten[rng.random(mz.size) < 0.05] = 0.0
        if k == 3:
            inten[:] = 0.0
        order = rng.permutation(mz.size)
        coords = (x, y) if z is None else (x, y, z)
        spectra.append((coords, mz[order].astype(mz_dtype), inten[order].astype(int_dtype)))
    order = rng.permutation(len(spectra))
    assert not np.array_equal(order, np.arange(len(spectra)))
    return [spectra[i] for i in order]


def drop_near_midpoints(spectra, axes, gap=MIDPOINT_GAP):
    out = []
    for coords, mz, inten in spectra:
        bad = np.zeros(mz.size, bool)
        for axis in axes:
            bad |= near_midpoints(mz, axis, gap)
        out.append((coords, mz[~bad], inten[~bad]))
    return out


def data_range(spectra):
    return (float(min(s[1].min() for s in spectra)), float(max(s[1].max() for s in spectra)))


# File A: float32 m/z and intensities, peaks 200-900 Da.
A_LO, A_HI = 199.5, 900.5
A_OPTS = {
    "const": dict(NN_CONST, min_mz=A_LO, max_mz=A_HI),
    "auto": dict(min_mz=A_LO, max_mz=A_HI, width=0.01),  # centroid -> NN + reflector_tof
    "csr": dict(NN_CONST, min_mz=A_LO, max_mz=A_HI, bins=20000, sparse="csr"),
    "narrow": dict(NN_CONST, min_mz=400.0, max_mz=700.0),  # out-of-range peaks (1.27 vs 3.x)
}
# File B: float64 m/z and intensities, peaks 300-1500 Da.
B_LO, B_HI = 299.0, 1501.0
B_OPTS = {
    "refl": dict(NN_REFL, min_mz=B_LO, max_mz=B_HI, width=0.01),
    "default_range": dict(NN_CONST, width=0.02),
    "threshold": dict(NN_CONST, width=0.02, threshold=50.0),
}


@pytest.fixture(scope="module")
def syn(tmp_path_factory, conv):
    d = tmp_path_factory.mktemp("synthetic")
    files = {}
    # A
    spectra = random_spectra(5, 11, 8, 200.0, 900.0, np.float32, np.float32)
    axes = [planned_axis("constant", A_LO, A_HI), planned_axis("reflector_tof", A_LO, A_HI, 0.01),
            planned_axis("constant", A_LO, A_HI, bins=20000),
            planned_axis("constant", 400.0, 700.0)]
    a = drop_near_midpoints(spectra, axes)
    files["A"] = write_imzml(d / "syn_a.imzML", a, np.float32, np.float32)
    # A without the peaks outside 400-700 Da: what Thyra 3.x keeps of A on that axis
    a_in = [(c, mz[(mz >= 400.0) & (mz <= 700.0)], i[(mz >= 400.0) & (mz <= 700.0)])
            for c, mz, i in a]
    files["A_in_400_700"] = write_imzml(d / "syn_a_in.imzML", [s for s in a_in if s[1].size],
                                        np.float32, np.float32)
    # B: the default (data) range gives one of the axes; its ends are peaks, never midpoints
    spectra = random_spectra(11, 10, 9, 300.0, 1500.0, np.float64, np.float64, missing=0.25)
    lo, hi = data_range(spectra)
    axes = [planned_axis("reflector_tof", B_LO, B_HI, 0.01), planned_axis("constant", lo, hi, 0.02)]
    b = drop_near_midpoints(spectra, axes)
    assert data_range(b) == (lo, hi)
    files["B"] = write_imzml(d / "syn_b.imzML", b, np.float64, np.float64)
    return files


# ---------------------------------------------------------------------------------------------
# Parity where Thyra 1.27.3 and 3.x agree
# ---------------------------------------------------------------------------------------------

def real_skip_ids(path, tpath, gap=REAL_MIDPOINT_GAP):
    """Grid ids of spectra with a peak within `gap` Da of a midpoint of Thyra's axis."""
    from pyimzml.ImzMLParser import ImzMLParser
    (ad, _, _), = load(tpath).values()
    axis = ad.var["mz"].values
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        p = ImzMLParser(str(path))
    n_x = max(c[0] for c in p.coordinates)
    ids = set()
    for i, (x, y, _) in enumerate(p.coordinates):
        mz, _ = p.getspectrum(i)
        if mz.size and near_midpoints(mz, axis, gap).any():
            ids.add(str((y - 1) * n_x + (x - 1)))
    return ids


@pytest.mark.parametrize("name", REAL_FILES, ids=lambda n: pathlib.Path(n).stem)
def test_real_file_constant_axis(conv, name):
    """Default (data) range on a constant axis: every peak lies inside the span."""
    src = TEST_DATA / name
    opts = dict(NN_CONST, width=0.05)
    assert_same_store(conv.msizarr(src, **opts), conv.thyra(src, **opts), name)


REAL_EXTRA = [
    # reflector_tof with a range a little wider than the data (physics axes lose half-bin ends)
    ("imzml-org_examples/Example_Processed.imzML", dict(NN_REFL, min_mz=100.0, max_mz=800.0)),
    ("pym2aia_test/test.imzML", dict(NN_REFL, min_mz=1990.0, max_mz=10010.0, width=0.02)),
    # CSR, explicit bin count
    ("imzy_simple_imzml/simple_imzml.imzML", dict(NN_CONST, bins=500, sparse="csr")),
    # intensity threshold on profile data (reader keeps I >= T in both)
    ("imzml-org_examples/Example_Continuous.imzML", dict(NN_CONST, width=0.02, threshold=3.0)),
]


@pytest.mark.parametrize("name,opts", REAL_EXTRA,
                         ids=["processed-reflector", "pym2aia-reflector", "simple-csr",
                              "continuous-threshold"])
def test_real_file_options(conv, name, opts):
    src = TEST_DATA / name
    tpath = conv.thyra(src, **opts)
    reflector = opts.get("axis") == "reflector_tof"
    skip = real_skip_ids(src, tpath) if reflector else set()
    assert len(skip) <= 1, f"{name}: {len(skip)} spectra with peaks at bin midpoints"
    assert_same_store(conv.msizarr(src, **opts), tpath, name, mz_ulps=2 if reflector else 0,
                      skip_ids=skip)


# The files the issue measured: Thyra 3.x's cut at the outer bin centres lost 14% of
# two_scansettings' intensity, 49% of imzy simple's, the first and last channel of pym2aia.
EDGE_FILES = {"thyra_fixtures/two_scansettings.imzML": 2, "imzy_simple_imzml/simple_imzml.imzML": 7,
              "pym2aia_test/test.imzML": 40}


@pytest.mark.parametrize("name", REAL_FILES, ids=lambda n: pathlib.Path(n).stem)
def test_real_file_reflector_data_range(conv, name):
    """Reflector_tof over the data's own range (the auto route for centroid imzML): every peak
    lies in [min, max], the lowest and highest in the outer half-bins. msizarr keeps them in the
    outer bins, as Thyra 1.27.3 does (it clips); Thyra 3.x would drop them."""
    from pyimzml.ImzMLParser import ImzMLParser
    src = TEST_DATA / name
    opts = dict(NN_REFL)
    if "simple_imzml" in name:
        # m/z 1, 2, 3, 4: with an even bin count, 2 = sqrt(1 * 4) is a bin edge, a tie that
        # numpy's exp and glibc's may break differently (reference/resampling.md §8)
        opts["bins"] = 100001
    tpath = conv.thyra(src, **opts)
    skip = real_skip_ids(src, tpath)
    assert len(skip) <= 1, f"{name}: {len(skip)} spectra with peaks at bin midpoints"
    mpath = conv.msizarr(src, **opts)
    assert_same_store(mpath, tpath, name, mz_ulps=2, skip_ids=skip)
    assert "outside" not in conv.msizarr_stderr(src, **opts)
    (m,) = load(mpath).values()
    axis = m[0].var["mz"].values
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        p = ImzMLParser(str(src))
    beyond = sum(int(((mz < axis[0]) | (mz > axis[-1])).sum())
                 for mz in (p.getspectrum(i)[0] for i in range(len(p.coordinates))))
    # the peaks Thyra 3.x drops: not vacuous where the issue measured the loss
    assert beyond == EDGE_FILES.get(name, beyond), (name, beyond)


@pytest.mark.parametrize("sparse", ["csc", "csr"])
def test_index_dtypes_and_shapes_index_as_thyra(conv, sparse):
    """X/indices and X/indptr in one dtype (int32 here) and the shapes index named
    `instance_id` with the obs ids: what Thyra 1.27.3's in-memory converter writes (Thyra 3.x's
    streaming path writes int64 indptr with int32 indices and an unnamed shapes index)."""
    import geopandas
    import zarr
    src = TEST_DATA / "pym2aia_test/test.imzML"
    opts = dict(NN_CONST, bins=5000, sparse=sparse)
    stores = [conv.msizarr(src, **opts), conv.thyra(src, **opts)]
    got = []
    for path in stores:
        g = zarr.open_group(str(path), mode="r")
        x = g["tables/msi_dataset_z0/X"]
        shapes = geopandas.read_parquet(path / "shapes/msi_dataset_z0_pixels/shapes.parquet")
        obs_ids = [str(i) for i in g["tables/msi_dataset_z0/obs/instance_id"][:]]
        assert list(shapes.index) == obs_ids
        got.append((x["indices"].dtype, x["indptr"].dtype, shapes.index.name, obs_ids))
    assert got[0] == got[1]
    assert got[0][:3] == (np.int32, np.int32, "instance_id")


def test_thresholded_file_changes(conv):
    """The threshold test above is not vacuous: it removes stored values."""
    src = TEST_DATA / REAL_EXTRA[3][0]
    (full,) = load(conv.msizarr(src, **dict(NN_CONST, width=0.02))).values()
    (cut,) = load(conv.msizarr(src, **REAL_EXTRA[3][1])).values()
    assert 0 < cut[0].X.nnz < full[0].X.nnz


@pytest.mark.parametrize("case", ["const", "auto", "csr"])
def test_synthetic_a_float32(conv, syn, case):
    """Shuffled spectra, missing pixels, float32 m/z, colliding peaks in random order."""
    opts = A_OPTS[case]
    mpath, tpath = conv.msizarr(syn["A"], **opts), conv.thyra(syn["A"], **opts)
    assert_same_store(mpath, tpath, f"A {case}", mz_ulps=2 if case == "auto" else 0)
    (ma, _, _), = load(mpath).values()
    expected = planned_axis("reflector_tof", A_LO, A_HI, 0.01) if case == "auto" else (
        planned_axis("constant", A_LO, A_HI, bins=opts.get("bins")))
    (ta, _, _), = load(tpath).values()
    assert np.array_equal(ta.var["mz"].values, expected), "Thyra's axis is the one designed for"


@pytest.mark.parametrize("case", ["refl", "default_range", "threshold"])
def test_synthetic_b_float64(conv, syn, case):
    opts = B_OPTS[case]
    assert_same_store(conv.msizarr(syn["B"], **opts), conv.thyra(syn["B"], **opts), f"B {case}",
                      mz_ulps=2 if case == "refl" else 0)


def test_synthetic_inputs_are_what_they_claim(syn):
    """Shuffled order, missing pixels, collisions, zeros: the parity tests cover them."""
    from pyimzml.ImzMLParser import ImzMLParser
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        p = ImzMLParser(str(syn["A"]))
    coords = [(y, x) for x, y, _ in p.coordinates]
    assert coords != sorted(coords), "spectra are not shuffled"
    assert len(set(coords)) == len(coords) < 11 * 8, "no missing pixels"
    axis = planned_axis("constant", A_LO, A_HI)
    collisions = zeros = 0
    for i in range(len(coords)):
        mz, inten = p.getspectrum(i)
        assert mz.dtype == np.float32 and inten.dtype == np.float32
        idx = np.searchsorted(axis, mz.astype(np.float64))
        collisions += idx.size - np.unique(idx).size
        zeros += int((inten == 0).sum())
    assert collisions > 20 and zeros > 5


def test_no_resample_in_memory(conv, syn):
    """--no-resample: raw m/z union as the axis. X, obs, var equal; Thyra's TIC sums the raw
    intensities in file order (np.sum before mapping), msizarr the stored values in m/z order:
    equal to 1e-12 relative, not always to the bit."""
    opts = {"resample": False}
    m, t = load(conv.msizarr(syn["B"], **opts)), load(conv.thyra(syn["B"], **opts))
    (mm,), (tt,) = m.values(), t.values()
    tic_m, tic_t = mm[2], tt[2]
    assert np.allclose(tic_m, tic_t, rtol=1e-12, atol=0)
    mm = (mm[0], mm[1], tic_t)  # TIC compared above
    assert_same_table(mm, tt, "B no-resample")


# ---------------------------------------------------------------------------------------------
# Where Thyra 1.27.3 and 3.x differ: msizarr follows 3.x
# ---------------------------------------------------------------------------------------------

def test_out_of_range_peaks_dropped_not_clipped(conv, syn):
    """1.27.x clips peaks outside the axis into bin 0 / bin n-1; 3.x (and msizarr) drops them.
    msizarr on A equals Thyra 1.27.3 on A with those peaks removed; Thyra 1.27.3 on A itself
    holds more in the end bins."""
    opts = A_OPTS["narrow"]
    mpath = conv.msizarr(syn["A"], **opts)
    assert_same_store(mpath, conv.thyra(syn["A_in_400_700"], **opts), "A narrow vs A in-range")
    assert "peaks outside the requested m/z range 400.000000-700.000000 were dropped" in (
        conv.msizarr_stderr(syn["A"], **opts))
    (m,), (t,) = load(mpath).values(), load(conv.thyra(syn["A"], **opts)).values()
    mx, tx = m[0].X, t[0].X
    assert tx[:, 0].sum() > mx[:, 0].sum() and tx[:, -1].sum() > mx[:, -1].sum()
    assert t[0].n_obs >= m[0].n_obs


def negative_spectra():
    """Float64 intensities with negatives: a bin that cancels to exactly 0, a pixel whose every
    bin is negative, bins with negative sums."""
    rng = np.random.default_rng(23)
    spectra = []
    for y in range(1, 5):
        for x in range(1, 6):
            mz = rng.uniform(300, 700, 12)
            inten = rng.uniform(-50, 100, 12)
            spectra.append(((x, y), mz, inten))
    spectra[0] = ((1, 1), np.array([400.0, 400.0001, 500.01]), np.array([2.5, -2.5, 7.0]))
    spectra[1] = ((2, 1), np.array([450.0, 550.0]), np.array([-1.0, -3.0]))
    return spectra


def test_negative_intensities_kept(conv, tmp_path):
    """1.27.x keeps bins with sum `> 0`; 3.x (and msizarr) keeps `!= 0`: negative bins and
    pixels whose every bin is negative stay; exact cancellation to 0 is dropped by both."""
    opts = dict(NN_CONST, min_mz=299.0, max_mz=701.0, width=0.05)
    axis = planned_axis("constant", 299.0, 701.0, 0.05)
    src = write_imzml(tmp_path / "neg.imzML", drop_near_midpoints(negative_spectra(), [axis]),
                      np.float64, np.float64)
    (m,), (t,) = load(conv.msizarr(src, **opts)).values(), load(conv.thyra(src, **opts)).values()
    ma, ta = m[0], t[0]
    assert (ma.X.data < 0).any() and not (ma.X.data == 0).any()
    assert not (ta.X.data <= 0).any()
    assert "1" in list(ma.obs.index) and "1" not in list(ta.obs.index)  # all-negative pixel
    row0 = ma.X.tocsr()[list(ma.obs.index).index("0")]
    assert row0.nnz == 1 and row0.data[0] == 7.0  # 2.5 - 2.5 cancelled, dropped
    # msizarr's positive entries are exactly Thyra's X
    ids = list(ma.obs.index)
    keep = [ids.index(i) for i in ta.obs.index]
    pos = ma.X.tocsr()[keep].tocoo()
    pos.data[pos.data < 0] = 0
    pos = pos.tocsc()
    pos.eliminate_zeros()
    assert_same_x(pos, ta.X, "positive part")
    # TIC: the sum of the pixel's stored values, negatives included
    csr = ma.X.tocsr()
    n_x = m[2].shape[-1]
    for r, i in enumerate(ids):
        vals = csr.data[csr.indptr[r]:csr.indptr[r + 1]]
        assert m[2][0, int(i) // n_x, int(i) % n_x] == np.sum(vals)
    assert not np.array_equal(m[2], t[2])


def z_planes(tmp_path):
    """Two planes at imzML z = 0 and z = 1 in one file, and each plane alone at z = 1."""
    planes = [random_spectra(40 + z, 5, 4, 300.0, 600.0, np.float64, np.float32, z=z)
              for z in (0, 1)]
    axis = planned_axis("constant", 299.0, 601.0, 0.02)
    planes = [drop_near_midpoints(p, [axis]) for p in planes]
    both = write_imzml(tmp_path / "z01.imzML", planes[0] + planes[1], np.float64, np.float32)
    alone = [write_imzml(tmp_path / f"plane{z}.imzML",
                         [((c[0], c[1], 1), mz, i) for c, mz, i in planes[z]],
                         np.float64, np.float32) for z in (0, 1)]
    return both, alone


Z_OPTS = dict(NN_CONST, min_mz=299.0, max_mz=601.0, width=0.02)


def test_zero_based_z_planes_kept_apart(conv, tmp_path):
    """imzML z: 1.27.x maps z to max(z - 1, 0), so z = 0 and z = 1 merge into one plane; 3.x (and
    msizarr) uses z - min(z): two tables, each equal to Thyra 1.27.3 on that plane alone (X, x,
    y, var, TIC; the instance ids are the next test)."""
    both, alone = z_planes(tmp_path)
    m = load(conv.msizarr(both, **Z_OPTS))
    assert list(m) == ["msi_dataset_z0", "msi_dataset_z1"]
    for z in (0, 1):
        (t,) = load(conv.thyra(alone[z], **Z_OPTS)).values()
        assert_same_table(m[f"msi_dataset_z{z}"], t, f"plane {z}", ids=False)
    t = load(conv.thyra(both, **Z_OPTS))
    assert list(t) == ["msi_dataset_z0"], "Thyra 1.27.3 merges planes 0 and 1"


def test_plane_instance_ids_are_plane_grid_indices(conv, tmp_path):
    """Each plane's table is a 2D table: instance ids (obs index, instance_key, shapes index)
    are y*n_x + x within the plane, as in Thyra's per-slice tables (output-layout.md §5),
    not z*n_x*n_y + y*n_x + x."""
    import geopandas
    both, alone = z_planes(tmp_path)
    mpath = conv.msizarr(both, **Z_OPTS)
    m = load(mpath)
    for z in (0, 1):
        (t,) = load(conv.thyra(alone[z], **Z_OPTS)).values()
        assert_same_table(m[f"msi_dataset_z{z}"], t, f"plane {z}")
        shapes = geopandas.read_parquet(mpath / "shapes" / f"msi_dataset_z{z}_pixels" /
                                        "shapes.parquet")
        assert [str(i) for i in shapes.index] == list(t[0].obs.index), f"plane {z} shapes"


def test_tic_preserving_rescaled(conv, tmp_path):
    """tic_preserving: 1.27.x stores np.interp(axis, mz, I) as is; 3.x (and msizarr) rescales each
    pixel to its TIC (axis covers the spectrum: sum(I)) and puts a lone peak's intensity in its
    nearest bin. msizarr's row = Thyra 1.27.3's row * (sum(I) / sum(row))."""
    rng = np.random.default_rng(7)
    spectra = []
    for y in range(1, 4):
        for x in range(1, 5):
            mz = np.sort(rng.uniform(200, 500, 30))
            spectra.append(((x, y), mz, rng.uniform(1, 1000, 30)))
    spectra[5] = ((2, 2), np.array([333.3333]), np.array([42.0]))  # lone peak
    src = write_imzml(tmp_path / "tic.imzML", spectra, np.float64, np.float64)
    opts = dict(method="tic_preserving", axis="constant", min_mz=199.0, max_mz=501.0, bins=3000)
    (m,), (t,) = load(conv.msizarr(src, **opts)).values(), load(conv.thyra(src, **opts)).values()
    ma, ta = m[0], t[0]
    assert list(ma.obs.index) == [str(i) for i in range(12)]
    assert "5" not in list(ta.obs.index)  # 1.27.x loses the lone peak
    mcsr, tcsr = ma.X.tocsr(), ta.X.tocsr()
    tids = list(ta.obs.index)
    for r, ((x, y), mz, inten) in enumerate(spectra):
        gid = str((y - 1) * 4 + (x - 1))
        row = mcsr[list(ma.obs.index).index(gid)]
        assert np.isclose(row.sum(), inten.sum(), rtol=1e-12, atol=0), gid
        if mz.size == 1:
            axis = ma.var["mz"].values
            assert row.nnz == 1 and row.indices[0] == np.argmin(np.abs(axis - mz[0]))
            continue
        trow = tcsr[tids.index(gid)]
        assert not np.isclose(trow.sum(), inten.sum(), rtol=1e-3), "1.27.x does not rescale"
        assert np.array_equal(row.indices, trow.indices)
        assert np.allclose(row.data, trow.data * (inten.sum() / trow.sum()), rtol=1e-12, atol=0)


def test_profile_declared_processed_file_routing(conv):
    """Auto axis on a processed file that declares profile: 1.27.x calls it centroid and picks
    reflector_tof; 3.x (and msizarr) believes the declaration: constant. msizarr's auto output
    equals Thyra 1.27.3 with the constant axis named."""
    src = TEST_DATA / "imzml-org_examples/Example_Processed.imzML"
    auto = dict(method="nearest_neighbor", width=0.05)
    assert_same_store(conv.msizarr(src, **auto), conv.thyra(src, **dict(NN_CONST, width=0.05)),
                      "Example_Processed auto")
    (t,) = load(conv.thyra(src, **auto)).values()
    mz = t[0].var["mz"].values
    assert not np.allclose(np.diff(mz), np.diff(mz)[0], rtol=1e-6), "1.27.3: not constant"


def test_two_precision_terms_refused(conv, tmp_path):
    """A m/z array declaring two precisions: 3.x (>= 2.3.1) and msizarr refuse it; 1.27.3 has no
    parser-state validation and converts it."""
    src = TEST_DATA / "thyra_fixtures/two_precision_terms.imzML"
    proc = conv.msizarr_proc(src, tmp_path / "out.zarr", **NN_CONST)
    assert proc.returncode == 1
    assert "m/z array declares 2 data types" in proc.stderr
    assert not (tmp_path / "out.zarr").exists()
    assert conv.thyra(src, **dict(NN_CONST, width=0.05)).is_dir()
