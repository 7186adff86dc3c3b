"""The axis module against numpy references written here from docs/resampling.md.

Every reference below is built from the rules (linspace with numpy, searchsorted + strict tie
rule + bincount, np.interp + pairwise np.sum), not imported from Thyra; results are compared
exactly (reflector_tof axis values: within 2 ulp, see §8). Peaks are kept inside the range the
axis was built on, [MIN, MAX] (reference/resampling.md §4 step 2, §5 step 5: msizarr's rule, not
Thyra 3.x's cut at the outer bin centres); `ends` runs check the library default (first and last
axis values). A final test cross-checks the axis generators and bin counts against the installed
Thyra 1.27.3 where it agrees with 3.x.
"""
import subprocess

import numpy as np
import pytest

AXES = ["constant", "linear_tof", "reflector_tof", "orbitrap", "fticr"]
RANGES = [(50.0, 500.0), (250.0, 1200.0), (100.0, 3000.0), (400.5, 400.9)]
COUNTS = [100, 1000, 100000]


# ---------------------------------------------------------------- references (numpy)

def ref_bins(axis_type, lo, hi, width=None, ref=None):
    """_calculate_bins_from_width (resampling.md §2), in Thyra's operation order."""
    if width is None:
        width, ref = (0.017, 300.0) if axis_type == "linear_tof" else (0.005, 1000.0)
    if axis_type == "reflector_tof":
        raw = np.log(hi / lo) * (ref / width)
    elif axis_type == "linear_tof":
        k = width / np.sqrt(ref)
        raw = (2.0 / k) * (np.sqrt(hi) - np.sqrt(lo))
    elif axis_type == "orbitrap":
        raw = 2 * (1 / np.sqrt(lo) - 1 / np.sqrt(hi)) * ((ref ** 1.5) / width)
    elif axis_type == "fticr":
        raw = (1 / lo - 1 / hi) * ((ref ** 2) / width)
    else:
        raw = (hi - lo) / width
    return max(100, int(raw)), float(raw)


def ref_axis(axis_type, lo, hi, n):
    """resampling.md §3: linspace, or centres of n+1 edges uniform in a transformed coordinate."""
    if axis_type == "constant":
        return np.linspace(lo, hi, n)
    if axis_type == "reflector_tof":
        edges = np.exp(np.linspace(np.log(lo), np.log(hi), n + 1))
    elif axis_type == "linear_tof":
        edges = np.linspace(np.sqrt(lo), np.sqrt(hi), n + 1) ** 2
    elif axis_type == "orbitrap":
        edges = 1.0 / (np.linspace(1.0 / np.sqrt(lo), 1.0 / np.sqrt(hi), n + 1) ** 2)
    else:
        edges = 1.0 / np.linspace(1.0 / lo, 1.0 / hi, n + 1)
    return (edges[:-1] + edges[1:]) / 2


def ref_nearest(axis, mz, intensity, lo=None, hi=None):
    """resampling.md §4: keep lo <= mz <= hi (the axis's build range; default its end values),
    searchsorted left clipped to n-1, ties high, bincount, != 0."""
    lo = axis[0] if lo is None else lo
    hi = axis[-1] if hi is None else hi
    mz = np.asarray(mz, dtype=np.float64)
    intensity = np.asarray(intensity, dtype=np.float64)
    keep = (mz >= lo) & (mz <= hi)
    m, w = mz[keep], intensity[keep]
    if m.size == 0:
        return np.array([], dtype=np.int64), np.array([]), int((~keep).sum())
    idx = np.clip(np.searchsorted(axis, m, side="left"), 0, len(axis) - 1)
    has_left = idx > 0
    left = np.where(has_left, idx - 1, 0)
    use_left = has_left & (np.abs(axis[left] - m) < np.abs(axis[idx] - m))
    idx = np.where(use_left, idx - 1, idx)
    sums = np.bincount(idx, weights=w, minlength=len(axis))
    nz = np.flatnonzero(sums != 0)
    return nz, sums[nz], int((~keep).sum())


def ref_raw(axis, mz, intensity):
    """resampling.md §6 mapping: searchsorted + clip, |axis[i]-mz| <= 1e-6, sum, drop zeros."""
    idx = np.clip(np.searchsorted(axis, mz), 0, len(axis) - 1)
    keep = np.abs(axis[idx] - mz) <= 1e-6
    sums = np.bincount(idx[keep], weights=np.asarray(intensity)[keep], minlength=len(axis))
    nz = np.flatnonzero(sums != 0)
    return nz, sums[nz]


def ref_preserved_tic(mzs, ints, lo, hi):
    """§5 step 5, msizarr: np.sum of the intensities of the points inside [lo, hi]."""
    return float(np.sum(ints[(mzs >= lo) & (mzs <= hi)]))


def ref_nearest_low(axis, mzs):
    """np.argmin(|axis - mz|) per point: ties go to the lower bin."""
    return np.array([int(np.argmin(np.abs(axis - x))) for x in mzs], dtype=np.int64)


def ref_tic(axis, mz, ints, gap=None, lo=None, hi=None):
    """resampling.md §5 (Thyra 3.x converter path, msizarr's preserved TIC), dense. When the
    interpolation reaches no axis value (every point between two neighbouring centres or beyond
    an outer one), msizarr puts each in-range point into its nearest bin (the lone-peak rule)."""
    lo = axis[0] if lo is None else lo
    hi = axis[-1] if hi is None else hi
    mz = np.asarray(mz, dtype=np.float64)
    ints = np.asarray(ints, dtype=np.float64)
    if mz.size == 0:
        return np.array([], dtype=np.int64), np.array([])
    if not np.all(mz[:-1] <= mz[1:]):
        order = np.argsort(mz, kind="stable")
        mz, ints = mz[order], ints[order]
    target = ref_preserved_tic(mz, ints, lo, hi)
    if mz.size == 1:
        if target <= 0.0:
            return np.array([], dtype=np.int64), np.array([])
        return np.array([int(np.argmin(np.abs(axis - mz[0])))]), np.array([target])
    if not ((axis >= mz[0]) & (axis <= mz[-1])).any():
        if target <= 0.0:
            return np.array([], dtype=np.int64), np.array([])
        inside = (mz >= lo) & (mz <= hi)
        idx = ref_nearest_low(axis, mz[inside])
        sums = np.bincount(idx, weights=ints[inside], minlength=len(axis))
        nz = np.flatnonzero(sums != 0)
        return nz, sums[nz]
    res = np.interp(axis, mz, ints, left=0, right=0)
    if gap is not None and gap > 0:
        right = np.searchsorted(mz, axis)
        l = np.clip(right - 1, 0, mz.size - 1)
        h = np.clip(right, 0, mz.size - 1)
        nearest = np.minimum(np.abs(axis - mz[l]), np.abs(axis - mz[h]))
        res[nearest > gap] = 0.0
    if target <= 0.0:
        res.fill(0.0)
    else:
        current = float(np.sum(res))
        if current > 0.0:
            res *= target / current
    nz = np.flatnonzero(res != 0)
    return nz, res[nz]


# ---------------------------------------------------------------- driving the C side

def tool(build_dir, *args, stdin=""):
    proc = subprocess.run([str(build_dir / "axis_tool"), *map(str, args)], input=stdin,
                          capture_output=True, text=True)
    return proc


def run_ok(build_dir, *args, stdin=""):
    proc = tool(build_dir, *args, stdin=stdin)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def c_axis(build_dir, axis_type, lo, hi, n):
    out = run_ok(build_dir, "axis", axis_type, lo.hex(), hi.hex(), n)
    return np.array([float.fromhex(x) for x in out.split()])


def spectra_text(spectra, pairs=True):
    parts = []
    for s in spectra:
        if pairs:
            mz, ints = s
            parts.append("\n".join(f"{float(a).hex()} {float(b).hex()}" for a, b in zip(mz, ints)))
        else:
            parts.append("\n".join(float(a).hex() for a in s))
    return "\n--\n".join(parts) + "\n"


def parse_spectra(out):
    result, stats, cur = [], None, None
    for line in out.splitlines():
        f = line.split()
        if f[0] == "S":
            cur = ([], [])
            result.append(cur)
        elif f[0] == "stats":
            stats = tuple(int(x) for x in f[1:])
        else:
            cur[0].append(int(f[0]))
            cur[1].append(float.fromhex(f[1]))
    return [(np.array(i, dtype=np.int64), np.array(v)) for i, v in result], stats


def ulp_distance(a, b):
    ia = a.view(np.int64)
    ib = b.view(np.int64)
    return np.abs(ia - ib)


# ---------------------------------------------------------------- tests

@pytest.mark.parametrize("axis_type", AXES)
@pytest.mark.parametrize("lo,hi", RANGES)
def test_bin_count_matches_formula(build_dir, axis_type, lo, hi):
    want, raw = ref_bins(axis_type, lo, hi)
    out = run_ok(build_dir, "bins", axis_type, lo.hex(), hi.hex()).split()
    assert int(out[0]) == want
    assert float.fromhex(out[1]) == raw
    # a user width at a user reference m/z
    want, raw = ref_bins(axis_type, lo, hi, 0.0021, 612.5)
    out = run_ok(build_dir, "bins", axis_type, lo.hex(), hi.hex(), "0.0021", "612.5").split()
    assert (int(out[0]), float.fromhex(out[1])) == (want, raw)


def test_worked_table(build_dir):
    expected = {"constant": 190000, "reflector_tof": 313723, "linear_tof": 38369,
                "orbitrap": 434851, "fticr": 633333}
    for axis_type, n in expected.items():
        assert int(run_ok(build_dir, "bins", axis_type, "250", "1200").split()[0]) == n


@pytest.mark.parametrize("axis_type", AXES)
@pytest.mark.parametrize("lo,hi", RANGES)
def test_axis_values(build_dir, axis_type, lo, hi):
    counts = COUNTS + [ref_bins(axis_type, lo, hi)[0]]
    for n in counts:
        want = ref_axis(axis_type, lo, hi, n)
        got = c_axis(build_dir, axis_type, lo, hi, n)
        assert got.shape == want.shape
        if axis_type == "reflector_tof":
            assert ulp_distance(got, want).max() <= 2, (n, ulp_distance(got, want).max())
        else:
            assert np.array_equal(got, want), (n, np.flatnonzero(got != want)[:5])


def ends_and_neighbours(lo, hi):
    return [lo, hi, np.nextafter(lo, -np.inf), np.nextafter(hi, np.inf),
            np.nextafter(lo, np.inf), np.nextafter(hi, -np.inf)]


def make_peaks(axis, rng, n_random=20000, f32=False, edges=None):
    """Random peaks plus the hard cases: exact axis values, midpoints (ties) and their float
    neighbours, both end values and the build range's ends (`edges`) and beyond, collisions,
    negatives and exact cancellation."""
    lo, hi = axis[0], axis[-1]
    span = hi - lo
    mz = [rng.uniform(lo - 0.05 * span, hi + 0.05 * span, n_random)]
    pick = rng.integers(0, len(axis) - 1, 2000)
    mids = (axis[pick] + axis[pick + 1]) / 2
    mz += [axis[pick], mids, np.nextafter(mids, np.inf), np.nextafter(mids, -np.inf)]
    mz += [np.array(ends_and_neighbours(lo, hi) + [lo - 1, hi + 1])]
    if edges is not None:
        # the outer half-bins of a physics axis: between the build range's ends and the first
        # / last centre
        mz += [np.array(ends_and_neighbours(*edges)),
               rng.uniform(edges[0], lo, 50), rng.uniform(hi, edges[1], 50)]
    mz = np.concatenate(mz)
    if f32:
        mz = mz.astype(np.float32).astype(np.float64)
    ints = rng.standard_normal(mz.size) * 10.0 ** rng.uniform(-3, 6, mz.size)
    # collisions in input order, and an exact cancellation
    dup = rng.integers(0, mz.size, 500)
    mz = np.concatenate([mz, mz[dup], [axis[3], axis[3]]])
    ints = np.concatenate([ints, rng.uniform(-5, 100, dup.size), [7.25, -7.25]])
    order = rng.permutation(mz.size)
    return mz[order], ints[order]


def near_midpoint(axis, mz, tol):
    mids = (axis[:-1] + axis[1:]) / 2
    i = np.clip(np.searchsorted(mids, mz), 1, len(mids) - 1)
    return np.minimum(np.abs(mids[i] - mz), np.abs(mids[i - 1] - mz)) <= tol


@pytest.mark.parametrize("axis_type", AXES)
@pytest.mark.parametrize("lo,hi,n", [(50.0, 500.0, 1000), (250.0, 1200.0, 100000),
                                     (100.0, 3000.0, None), (400.5, 400.9, 100)])
def test_nearest_neighbour_binning(build_dir, axis_type, lo, hi, n):
    rng = np.random.default_rng(abs(hash((axis_type, lo, hi))) % 2**32)
    if n is None:
        n = ref_bins(axis_type, lo, hi)[0]
    want_axis = ref_axis(axis_type, lo, hi, n)
    c_ax = c_axis(build_dir, axis_type, lo, hi, n)
    spectra = [make_peaks(c_ax, rng, edges=(lo, hi)),
               make_peaks(c_ax, rng, 3000, f32=True, edges=(lo, hi)),
               (np.array([]), np.array([])), (np.array([lo - 1.0]), np.array([5.0])),
               (np.array([lo]), np.array([2.0])), (np.array([hi]), np.array([3.0]))]
    # sorted spectra (the binner's fast path) and one that turns unsorted half-way
    mz, ints = make_peaks(c_ax, rng, 5000, edges=(lo, hi))
    order = np.argsort(mz, kind="stable")
    spectra.append((mz[order], ints[order]))
    half = order.size // 2
    order = np.concatenate([order[:half], order[half:][::-1]])
    spectra.append((mz[order], ints[order]))
    if axis_type == "reflector_tof":
        # peaks within 1e-9 Da of a midpoint may legitimately differ (§8): leave them out
        spectra = [(m[~near_midpoint(want_axis, m, 1e-9)], i[~near_midpoint(want_axis, m, 1e-9)])
                   if m.size else (m, i) for m, i in spectra]
    for mode in ([], ["bsearch"], ["ends"]):
        out = run_ok(build_dir, "bin", axis_type, lo.hex(), hi.hex(), n, *mode,
                     stdin=spectra_text(spectra))
        got, stats = parse_spectra(out)
        keep = (None, None) if mode == ["ends"] else (lo, hi)
        total_drop = 0
        for (mz, ints), (gi, gv) in zip(spectra, got):
            wi, wv, dropped = ref_nearest(want_axis, mz, ints, *keep)
            total_drop += dropped
            assert np.array_equal(gi, wi)
            assert np.array_equal(gv, wv)
        assert stats == (sum(s[0].size for s in spectra), total_drop, 0)
        # the range's own ends are kept, in the outer bins (lost at the centres of a physics axis)
        kept = list(got[4][0]) == [0] and list(got[5][0]) == [n - 1]
        assert kept == (mode != ["ends"] or axis_type == "constant")


def test_binning_ties_negatives_nan(build_dir):
    axis = np.linspace(100.0, 102.0, 9)  # step 0.25: midpoints are exact ties
    tie = 100.625  # halfway between axis[2] and axis[3]
    assert abs(axis[2] - tie) == abs(axis[3] - tie)
    mz = np.array([tie, axis[4], axis[4], 100.0, 102.0, 99.99, 102.01, np.nan, axis[6],
                   np.nextafter(tie, 0)])
    ints = np.array([1.0, 2.5, -2.5, -3.0, 4.0, 9.0, 9.0, 9.0, -0.0, 0.5])
    out = run_ok(build_dir, "bin", "constant", "100", "102", 9, stdin=spectra_text([(mz, ints)]))
    (gi, gv), = parse_spectra(out)[0]
    stats = parse_spectra(out)[1]
    # tie -> higher bin; just below the tie -> lower; axis[4] cancels; -0.0 sums to 0.0
    assert list(gi) == [0, 2, 3, 8]
    assert list(gv) == [-3.0, 0.5, 1.0, 4.0]  # negative kept
    assert stats == (10, 2, 1)
    ok = ~np.isnan(mz)
    wi, wv, _ = ref_nearest(axis, mz[ok], ints[ok])
    assert np.array_equal(gi, wi) and np.array_equal(gv, wv)


def test_reflector_bins_agree_away_from_midpoints(build_dir):
    lo, hi = 250.0, 1200.0
    n = ref_bins("reflector_tof", lo, hi)[0]
    want_axis = ref_axis("reflector_tof", lo, hi, n)
    rng = np.random.default_rng(5)
    mz = rng.uniform(want_axis[0], want_axis[-1], 200000)
    mz = mz[~near_midpoint(want_axis, mz, 1e-9)]
    ints = np.ones(mz.size)
    out = run_ok(build_dir, "bin", "reflector_tof", lo, hi, n, stdin=spectra_text([(mz, ints)]))
    (gi, gv), = parse_spectra(out)[0]
    wi, wv, _ = ref_nearest(want_axis, mz, ints)
    assert np.array_equal(gi, wi) and np.array_equal(gv, wv)


def test_raw_exact_mapping(build_dir):
    rng = np.random.default_rng(11)
    axis = np.unique(rng.uniform(100, 1000, 5000).astype(np.float32).astype(np.float64))
    mz = np.concatenate([axis[rng.integers(0, axis.size, 3000)], [50.0, 2000.0, axis[-1] + 5e-7,
                                                                  axis[10] + 1e-3]])
    ints = rng.uniform(-1, 10, mz.size)
    text = spectra_text([axis], pairs=False) + "--\n" + spectra_text([(mz, ints)])
    out = run_ok(build_dir, "rawbin", stdin=text)
    (gi, gv), = parse_spectra(out)[0]
    wi, wv = ref_raw(axis, mz, ints)
    assert np.array_equal(gi, wi) and np.array_equal(gv, wv)


@pytest.mark.parametrize("n", list(range(0, 301)) + [1000, 4097, 65536, 100003, 1000001])
def test_pairwise_sum_equals_np_sum(build_dir, n, request):
    rng = np.random.default_rng(n)
    x = rng.standard_normal(n) * np.exp(rng.uniform(-30, 30, n))
    out = run_ok(build_dir, "sum", stdin=spectra_text([x], pairs=False))
    assert float.fromhex(out.split()[0]) == float(np.sum(x))


def tic_cases(axis, rng, edges=None):
    lo, hi = axis[0], axis[-1]
    span = hi - lo
    profile = np.sort(rng.uniform(lo + 0.1 * span, hi - 0.1 * span, 400))
    cases = [
        (profile, np.abs(rng.standard_normal(400)) * 1e4),                     # inside
        (np.sort(rng.uniform(lo - 0.3 * span, hi + 0.3 * span, 300)),          # cropped
         rng.uniform(0, 50, 300)),
        (rng.uniform(lo, hi, 200), rng.uniform(0, 5, 200)),                    # unsorted
        (np.array([lo + 0.37 * span]), np.array([12.5])),                      # lone peak
        (np.array([hi + 1.0]), np.array([12.5])),                              # lone, outside
        (np.array([lo - 0.5 * span, lo - 0.1 * span]), np.array([1.0, 2.0])),  # disjoint
        (profile[:50], np.where(np.arange(50) % 7 == 0, -3.0, 2.0)),           # negatives
        (np.array([lo + 0.2 * span, lo + 0.2 * span, lo + 0.6 * span]),        # repeated m/z
         np.array([1.0, 3.0, 2.0])),
        (np.concatenate([profile[:20], profile[-20:]]), np.ones(40)),          # a big gap
    ]
    if edges is not None:
        e0, e1 = edges
        mid = (axis[10] + axis[11]) / 2
        cases += [
            (np.array([e0]), np.array([4.0])),                                 # lone, at min
            (np.array([(axis[-1] + e1) / 2, e1]), np.array([1.5, 2.5])),        # top half-bin
            (np.array([e0, axis[0] + 0.3 * (axis[1] - axis[0])]),               # crosses no
             np.array([3.0, 1.0])),                                             # centre
            (np.array([mid - 1e-7, mid, mid + 1e-7]), np.array([1.0, -0.5, 2.0])),  # narrow
            (np.array([e0, e1]), np.array([5.0, 7.0])),                         # both ends
            (np.array([e1, e1 + 0.1]), np.array([5.0, 7.0])),                   # half outside
        ]
    return cases


@pytest.mark.parametrize("axis_type", ["constant", "reflector_tof", "fticr"])
@pytest.mark.parametrize("gap", [0.0, 0.05])
@pytest.mark.parametrize("ends", [False, True])
def test_tic_preserving(build_dir, axis_type, gap, ends):
    lo, hi, n = 300.0, 340.0, 5000
    axis = c_axis(build_dir, axis_type, lo, hi, n)
    rng = np.random.default_rng(3)
    cases = tic_cases(axis, rng, (lo, hi))
    out = run_ok(build_dir, "tic", axis_type, lo, hi, n, gap, *(["ends"] if ends else []),
                 stdin=spectra_text(cases))
    got, _ = parse_spectra(out)
    assert len(got) == len(cases)
    keep = (None, None) if ends else (lo, hi)
    for k, ((mz, ints), (gi, gv)) in enumerate(zip(cases, got)):
        wi, wv = ref_tic(axis, mz, ints, gap if gap > 0 else None, *keep)
        assert np.array_equal(gi, wi), k
        assert np.array_equal(gv, wv), (k, np.max(np.abs(gv - wv)) if gv.size == wv.size else 0)
        if not ends:  # every spectrum keeps the TIC of its points inside [lo, hi]
            inside = (mz >= lo) & (mz <= hi)
            want = ints[inside].sum()
            assert (want <= 0 and gv.size == 0) or np.isclose(gv.sum(), want, rtol=1e-12), k


def test_union_axis_spills_and_merges(build_dir, tmp_path):
    rng = np.random.default_rng(7)
    spectra = [rng.uniform(100, 1000, 4000).astype(np.float32).astype(np.float64)
               for _ in range(60)]
    spectra += [spectra[3][:100], np.array([np.nan, 100.0, -0.0, 0.0])]
    want = np.unique(np.concatenate(spectra)[~np.isnan(np.concatenate(spectra))])
    budget = 65536  # 4096 values per buffer; the union holds ~240,000 distinct values
    assert want.size * 8 > 20 * budget
    out = run_ok(build_dir, "union", budget, 0, tmp_path, stdin=spectra_text(spectra, pairs=False))
    lines = out.split()
    assert lines[0] == "N" and int(lines[1]) == want.size
    got = np.array([float.fromhex(x) for x in lines[2:]])
    assert np.array_equal(got, want)
    assert list(tmp_path.iterdir()) == []  # temporary runs removed
    # the same union held in memory (nothing spilled)
    out = run_ok(build_dir, "union", 64 << 20, 0, tmp_path,
                 stdin=spectra_text(spectra, pairs=False))
    got = np.array([float.fromhex(x) for x in out.split()[2:]])
    assert np.array_equal(got, want)


def test_union_axis_cap(build_dir, tmp_path):
    values = np.arange(1, 5001, dtype=np.float64)
    proc = tool(build_dir, "union", 65536, 4999, tmp_path,
                stdin=spectra_text([values[:2500], values[2500:]], pairs=False))
    assert proc.returncode == 1
    assert proc.stdout.strip() == ("error: raw m/z axis has more than 4,999 distinct values (cap); "
                                   "resample instead, or raise the cap with "
                                   "--max-mass-axis-length")
    assert list(tmp_path.iterdir()) == []
    out = run_ok(build_dir, "union", 65536, 5000, tmp_path,
                 stdin=spectra_text([values[:2500], values[2500:]], pairs=False))
    assert out.split()[:2] == ["N", "5000"]


def test_thyra_generators_agree(build_dir):
    """Cross-check with Thyra 1.27.3, whose generators and bin formulas equal 3.x (§9)."""
    mass_axis = pytest.importorskip("thyra.resampling.mass_axis")
    gens = {"constant": mass_axis.LinearAxisGenerator(),
            "linear_tof": mass_axis.LinearTOFAxisGenerator(),
            "reflector_tof": mass_axis.ReflectorTOFAxisGenerator(),
            "orbitrap": mass_axis.OrbitrapAxisGenerator(),
            "fticr": mass_axis.FTICRAxisGenerator()}
    for axis_type, gen in gens.items():
        for lo, hi in [(250.0, 1200.0), (50.0, 500.0)]:
            n = ref_bins(axis_type, lo, hi)[0]
            want = np.asarray(gen.generate_axis(lo, hi, n).mz_values, dtype=np.float64)
            got = c_axis(build_dir, axis_type, lo, hi, n)
            if axis_type == "reflector_tof":
                assert ulp_distance(got, want).max() <= 2
            else:
                assert np.array_equal(got, want)
