"""The Bruker reader against Bruker's own library (timsdata), used only here, as a test oracle.

thyra 1.27.3's wheel ships the Linux library as thyra/readers/bruker/timstof/sdk/dll/timsdata.so
(Thyra loads it through BRUKER_SDK_PATH); msizarr never loads it. Every frame of every .d
under tests/data that has its binary is compared:

* TSF: tsf_read_line_spectrum_v2 + tsf_index_to_mz (recalibrated state on, as Thyra opens it)
  against the reader's line spectra: intensities exact, m/z within MZ_PPM.
* TDF: tims_read_scans_v2 (every scan of every frame, MS/MS frames included) against the
  reader's decoder (tests/programs/bruker_frames --raw-frames): scan, TOF index and intensity of
  every peak exact; tims_index_to_mz and tims_scannum_to_oneoverk0 within MZ_PPM / OOK0_PPM
  (no pressure compensation: the reader has none).
* TDF spectra as msizarr emits them (summed over scans): the library's per-TOF sums, exactly.

The test is skipped only where the library cannot be found or loaded, with the reason.
"""
import ctypes
import ctypes.util
import importlib.util
import os
import pathlib
import sqlite3
import subprocess

import numpy as np
import pytest

from test_bruker_frames import parse_output

PROG = "bruker_frames"
# Stated bounds (measured worst values: docs/bruker.md "Accuracy").
MZ_PPM = 1e-3  # m/z at peaks and over the whole TOF index range (measured <= 3e-4 ppm)
# ModelType 2 applies its polynomial correction inside [C5, C6]; the library fades it out over
# about 2 m/z units beyond either end, the reader stops at the ends: peaks there differ more.
MZ_EDGE_PPM = 1.0
EDGE_WIDTH = 3.0  # m/z units beyond C5 / C6 held to MZ_EDGE_PPM
OOK0_PPM = 1e-6

TSF = "imzy_example_tsf/example_tsf.d"
TDF_FOLDERS = ["opentims_test/test.d", "MsBackendTimsTof_ddaPASEF/ddaPASEF.d",
               "mzmine_tims_spot/tims_spot.d", "mzmine_tims_spot/tims_spot_acryllic.d"]
# timsrust's simulated folder has no SchemaVersionMajor: the library refuses to open it
# (test_vendor_refuses_simulated); test_bruker_frames.py checks it by independent decoding.
TDF_SIMULATED = "timsrust_simulated/test.d"
LIB_NAMES = ("timsdata.so", "libtimsdata.so")


def find_vendor_library():
    """BRUKER_SDK_PATH (file or folder), then Thyra's package folder, then the loader's path."""
    roots = []
    env = os.environ.get("BRUKER_SDK_PATH")
    if env:
        p = pathlib.Path(env)
        if p.is_file():
            return p
        roots.append(p)
    spec = importlib.util.find_spec("thyra")
    if spec and spec.submodule_search_locations:
        roots += [pathlib.Path(p) / "readers" / "bruker" / "timstof" / "sdk" / "dll"
                  for p in spec.submodule_search_locations]
    for root in roots:
        for name in LIB_NAMES:
            if (root / name).is_file():
                return root / name
    found = ctypes.util.find_library("timsdata")
    return pathlib.Path(found) if found else None


def load_vendor_library():
    """-> (ctypes library or None, reason when None)."""
    path = find_vendor_library()
    if path is None:
        return None, ("Bruker timsdata library not found (thyra's wheel ships it as "
                      "thyra/readers/bruker/timstof/sdk/dll/timsdata.so; or set BRUKER_SDK_PATH)")
    try:
        lib = ctypes.CDLL(str(path))
    except OSError as e:
        return None, f"Bruker timsdata library {path} cannot be loaded here: {e}"
    u64, i64, u32, ptr = ctypes.c_uint64, ctypes.c_int64, ctypes.c_uint32, ctypes.c_void_p
    for name, res, args in [
            ("tims_open_v2", u64, [ctypes.c_char_p, u32, u32]),
            ("tims_close", None, [u64]),
            ("tims_get_last_error_string", u32, [ctypes.c_char_p, u32]),
            ("tims_read_scans_v2", u32, [u64, i64, u32, u32, ptr, u32]),
            ("tims_index_to_mz", u32, [u64, i64, ptr, ptr, u32]),
            ("tims_scannum_to_oneoverk0", u32, [u64, i64, ptr, ptr, u32]),
            ("tsf_open", u64, [ctypes.c_char_p, u32]),
            ("tsf_close", None, [u64]),
            ("tsf_read_line_spectrum_v2", ctypes.c_int32, [u64, i64, ptr, ptr, ctypes.c_int32]),
            ("tsf_index_to_mz", u32, [u64, i64, ptr, ptr, u32])]:
        fn = getattr(lib, name)
        fn.restype, fn.argtypes = res, args
    return lib, None


LIB, LIB_REASON = load_vendor_library()
needs_vendor = pytest.mark.skipif(LIB is None, reason=str(LIB_REASON))


def last_error():
    buf = ctypes.create_string_buffer(1024)
    LIB.tims_get_last_error_string(buf, len(buf))
    return buf.value.decode(errors="replace")


def f64(a):
    return np.ascontiguousarray(a, dtype=np.float64)


def vendor_scans(handle, frame, num_scans):
    """tims_read_scans_v2 over all scans -> (scan, tof, intensity) arrays, scan order."""
    cap = 1 << 16
    while True:
        buf = np.zeros(cap, dtype=np.uint32)
        need = LIB.tims_read_scans_v2(handle, frame, 0, num_scans, buf.ctypes.data, cap * 4)
        assert need != 0, f"tims_read_scans_v2 frame {frame}: {last_error()}"
        if need <= cap * 4:
            break
        cap = need // 4 + 1
    counts = buf[:num_scans].astype(np.int64)
    scans, tofs, ints, at = [], [], [], num_scans
    for s, c in enumerate(counts):
        tofs.append(buf[at:at + c])
        ints.append(buf[at + c:at + 2 * c])
        scans.append(np.full(c, s, dtype=np.uint32))
        at += 2 * c
    cat = np.concatenate
    return cat(scans), cat(tofs).astype(np.float64), cat(ints).astype(np.float64)


PEAK = np.dtype([("scan", "<u4"), ("pad", "<u4"), ("tof", "<f8"), ("intensity", "<f8"),
                 ("mz", "<f8")])


RAW_GRID = 101  # (TOF index, m/z) pairs per frame over 0..DigitizerNumSamples


def read_raw_frames(path):
    """Parses bruker_frames --raw-frames output -> {frame id: (ook0[n_scans], peaks, grid)}."""
    data, at, frames = path.read_bytes(), 0, {}
    while at < len(data):
        fid, ns, npk, _scale = np.frombuffer(data, "<i8", 1, at)[0], *np.frombuffer(
            data, "<u4", 2, at + 8), np.frombuffer(data, "<f8", 1, at + 16)[0]
        at += 24
        ook0 = np.frombuffer(data, "<f8", int(ns), at)
        at += 8 * int(ns)
        peaks = np.frombuffer(data, PEAK, int(npk), at)
        at += PEAK.itemsize * int(npk)
        grid = np.frombuffer(data, "<f8", 2 * RAW_GRID, at).reshape(-1, 2)
        at += 16 * RAW_GRID
        frames[int(fid)] = (ook0, peaks, grid)
    return frames


def vendor_mz(handle, fid, tof):
    """tims_index_to_mz of each TOF index (arrays kept alive across the call)."""
    idx = f64(tof)
    mz = np.zeros_like(idx)
    assert LIB.tims_index_to_mz(handle, fid, idx.ctypes.data, mz.ctypes.data, len(idx)) != 0
    return mz


def ppm(ours, ref):
    ours, ref = f64(ours), f64(ref)
    return float(np.max(np.abs(ours - ref) / ref) * 1e6) if len(ref) else 0.0


def edge_zones(d):
    """-> (C5, C6) of the ModelType 2 MzCalibration (one row in every test folder), or None."""
    db = sqlite3.connect(f"file:{d / 'analysis.tdf'}?mode=ro&immutable=1", uri=True)
    cur = db.execute("SELECT * FROM MzCalibration")
    rows = [dict(zip([c[0] for c in cur.description], r)) for r in cur]
    assert len(rows) == 1
    return (rows[0]["C5"], rows[0]["C6"]) if rows[0]["ModelType"] == 2 else None


class MzErrors:
    """Worst m/z errors in ppm, split into the fade zones beyond [C5, C6] and the rest."""

    def __init__(self, zones):
        self.zones, self.inside, self.edge = zones, 0.0, 0.0

    def add(self, ours, ref):
        ours, ref = f64(ours), f64(ref)
        err = np.abs(ours - ref) / ref * 1e6
        edge = np.zeros(len(ref), dtype=bool)
        if self.zones:
            lo, hi = self.zones
            edge = ((ref > lo - EDGE_WIDTH) & (ref < lo)) | ((ref > hi) & (ref < hi + EDGE_WIDTH))
        self.inside = max(self.inside, float(err[~edge].max(initial=0)))
        self.edge = max(self.edge, float(err[edge].max(initial=0)))


def frames_table(d):
    db = sqlite3.connect(f"file:{d / 'analysis.tdf'}?mode=ro&immutable=1", uri=True)
    return db.execute("SELECT Id, NumScans, NumPeaks, MsMsType FROM Frames ORDER BY Id").fetchall()


@needs_vendor
def test_tsf_vs_vendor_library(run_program, test_data):
    d = test_data / TSF
    _, spectra = parse_output(run_program(PROG, "--peaks", d).stdout)
    handle = LIB.tsf_open(str(d).encode(), 1)
    assert handle != 0
    worst, n_peaks = 0.0, 0
    try:
        assert len(spectra) == 400
        for k, sp in enumerate(spectra):  # MaldiFrameInfo order == Frames.Id order here
            cap = max(sp["n"], 1)
            idx, inten = np.zeros(cap), np.zeros(cap, dtype=np.float32)
            n = LIB.tsf_read_line_spectrum_v2(handle, k + 1, idx.ctypes.data, inten.ctypes.data,
                                              cap)
            assert n == sp["n"]
            mz = np.zeros(cap)
            LIB.tsf_index_to_mz(handle, k + 1, idx.ctypes.data, mz.ctypes.data, n)
            ours = np.array(sp["peaks"]).reshape(-1, 2)
            assert np.array_equal(ours[:, 1], inten[:n].astype(np.float64)), f"frame {k + 1}"
            worst = max(worst, ppm(ours[:, 0], mz[:n]))
            n_peaks += n
    finally:
        LIB.tsf_close(handle)
    print(f"TSF: {n_peaks} peaks, max |m/z - vendor| = {worst:.3g} ppm")
    assert n_peaks == 226855
    assert worst < MZ_PPM


@needs_vendor
@pytest.mark.parametrize("rel", TDF_FOLDERS)
def test_tdf_every_scan_vs_vendor_library(run_program, test_data, tmp_path, rel):
    """Every peak of every scan of every frame (MS/MS frames included), exactly."""
    d = test_data / rel
    out = tmp_path / "raw.bin"
    run_program(PROG, "--raw-frames", out, d)
    ours = read_raw_frames(out)
    rows = frames_table(d)
    assert sorted(ours) == [r[0] for r in rows]
    handle = LIB.tims_open_v2(str(d).encode(), 1, 0)
    assert handle != 0, last_error()
    peak_err, grid_err = MzErrors(edge_zones(d)), MzErrors(edge_zones(d))
    worst_k0 = 0.0
    try:
        for fid, ns, npk, _ in rows:
            ook0, peaks, grid = ours[fid]
            scan, tof, inten = vendor_scans(handle, fid, ns)
            assert len(tof) == npk == len(peaks), f"frame {fid}"
            assert np.array_equal(peaks["scan"], scan), f"frame {fid}: scans"
            assert np.array_equal(peaks["tof"], tof), f"frame {fid}: TOF indices"
            assert np.array_equal(peaks["intensity"], inten), f"frame {fid}: intensities"
            peak_err.add(peaks["mz"], vendor_mz(handle, fid, tof))
            grid_err.add(grid[:, 1], vendor_mz(handle, fid, grid[:, 0]))
            scans = f64(np.arange(ns))
            k0 = np.zeros_like(scans)
            LIB.tims_scannum_to_oneoverk0(handle, fid, scans.ctypes.data, k0.ctypes.data, ns)
            worst_k0 = max(worst_k0, ppm(ook0, k0))
    finally:
        LIB.tims_close(handle)
    print(f"{rel}: max |m/z - vendor| at peaks {peak_err.inside:.3g} ppm ({peak_err.edge:.3g} "
          f"near C5/C6), over the index range {grid_err.inside:.3g} ppm ({grid_err.edge:.3g}); "
          f"max |1/K0 - vendor| = {worst_k0:.3g} ppm")
    assert peak_err.inside < MZ_PPM and grid_err.inside < MZ_PPM
    assert peak_err.edge < MZ_EDGE_PPM and grid_err.edge < MZ_EDGE_PPM
    assert worst_k0 < OOK0_PPM


def vendor_summed(handle, fid, ns):
    """The library's peaks of a frame summed per TOF index -> (m/z, sums), TOF ascending."""
    _, tof, inten = vendor_scans(handle, fid, ns)
    uniq, inv = np.unique(tof, return_inverse=True)
    sums = np.zeros(len(uniq))
    np.add.at(sums, inv, inten)
    return vendor_mz(handle, fid, uniq), sums


@needs_vendor
@pytest.mark.parametrize("rel", ["opentims_test/test.d", "MsBackendTimsTof_ddaPASEF/ddaPASEF.d",
                                 "mzmine_tims_spot/tims_spot_acryllic.d"])
def test_tdf_spectra_vs_vendor_sums(run_program, test_data, rel):
    """The spectra msizarr converts (MS1 frames, summed over scans) = the library's per-TOF sums."""
    d = test_data / rel
    _, spectra = parse_output(run_program(PROG, "--peaks", "--non-imaging", d).stdout)
    ms1 = [r for r in frames_table(d) if r[3] == 0]
    assert len(spectra) == len(ms1)
    handle = LIB.tims_open_v2(str(d).encode(), 1, 0)
    err = MzErrors(edge_zones(d))
    try:
        for sp, (fid, ns, _, _) in zip(spectra, ms1):
            mz, sums = vendor_summed(handle, fid, ns)
            ours = np.array(sp["peaks"]).reshape(-1, 2)
            assert np.array_equal(ours[:, 1], sums), f"frame {fid}"
            err.add(ours[:, 0], mz)
    finally:
        LIB.tims_close(handle)
    assert err.inside < MZ_PPM and err.edge < MZ_EDGE_PPM


@needs_vendor
def test_vendor_sums_frame1_acryllic(run_program, test_data):
    """The numbers of issue 9: 20,274 summed entries, total 8,712,444, largest 1,321,572."""
    d = test_data / "mzmine_tims_spot/tims_spot_acryllic.d"
    _, spectra = parse_output(run_program(PROG, "--peaks", "--non-imaging", d).stdout)
    handle = LIB.tims_open_v2(str(d).encode(), 1, 0)
    try:
        _, sums = vendor_summed(handle, 1, 927)
    finally:
        LIB.tims_close(handle)
    sp = spectra[0]
    assert (sp["n"], sp["sum"], sp["max"]) == (len(sums), sums.sum(), sums.max())
    assert (sp["n"], sp["sum"], sp["max"]) == (20274, 8712444, 1321572)


@needs_vendor
def test_vendor_refuses_simulated(test_data):
    """Why timsrust's simulated folder is not compared with the library."""
    handle = LIB.tims_open_v2(str(test_data / TDF_SIMULATED).encode(), 1, 0)
    if handle:
        LIB.tims_close(handle)
    assert handle == 0 and "SchemaVersionMajor" in last_error()


@needs_vendor
def test_tdf_raster_conversion_vs_vendor(build_dir, test_data, tmp_path):
    """A MALDI-TIMS run converted end to end: the spot run laid out on a 6 x 6 raster (positions
    edited with sqlite3), converted without resampling; every pixel's row of X is the library's
    frame summed per TOF index (values exact, m/z within the bounds above)."""
    from test_bruker_convert import read_table, writable_copy

    d = writable_copy(test_data / "mzmine_tims_spot/tims_spot_acryllic.d", tmp_path / "raster.d")
    con = sqlite3.connect(d / "analysis.tdf")
    con.executescript("UPDATE MaldiFrameInfo SET XIndexPos = 100 + (Frame - 1) % 6, "
                      "YIndexPos = 200 + (Frame - 1) / 6, RegionNumber = 0; "
                      "UPDATE GlobalMetadata SET Value = 'Imaging' "
                      "WHERE Key = 'MaldiApplicationType'")
    con.commit()
    con.close()
    out = tmp_path / "out.zarr"
    proc = subprocess.run([str(build_dir / "msizarr"), "convert", str(d), str(out),
                           "--no-resample", "--pixel-size", "50", "-q"], capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    t, x, obs, _ = read_table(out)
    mz_axis = t["var/mz"][:]
    handle = LIB.tims_open_v2(str(d).encode(), 1, 0)
    err = MzErrors(edge_zones(d))
    try:
        assert x.shape[0] == 36
        for row in range(36):
            fid = int(obs["y"][row]) * 6 + int(obs["x"][row]) + 1
            mz, sums = vendor_summed(handle, fid, 927)
            cols = x.indices[x.indptr[row]:x.indptr[row + 1]]
            assert np.array_equal(x.data[x.indptr[row]:x.indptr[row + 1]], sums), f"frame {fid}"
            err.add(mz_axis[cols], mz)
    finally:
        LIB.tims_close(handle)
    assert err.inside < MZ_PPM and err.edge < MZ_EDGE_PPM
