"""Bruker .d reader cross-checks (tests/programs/bruker_frames).

* An independent Python decoding of the TSF and TDF frame blocks (the `zstd` command-line tool
  for decompression, struct for parsing, bisection for the m/z model) must give the same peaks
  as the C reader.
* Coordinates and per-frame statistics are compared with the SQLite tables (python's sqlite3).
* The comparison with Bruker's own library is in test_bruker_vendor.py.
"""
import math
import shutil
import sqlite3
import struct
import subprocess

import pytest

PROG = "bruker_frames"


def ro(path):
    return sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)


def parse_output(text):
    """-> (header, [ {index, x, y, raw_x, raw_y, region, n, max, sum, peaks:[(mz, I)]} ])"""
    header, spectra = None, []
    for line in text.splitlines():
        if line.startswith("#"):
            header = line
        elif line.startswith("  "):
            mz, inten = line.split()
            spectra[-1]["peaks"].append((float(mz), float(inten)))
        elif line.strip():
            f = line.split()
            spectra.append(dict(index=int(f[0]), x=int(f[1]), y=int(f[2]), raw_x=int(f[3]),
                                raw_y=int(f[4]), region=int(f[5]), n=int(f[6]),
                                max=float(f[7]), sum=float(f[8]), peaks=[]))
    return header, spectra


def unzstd(data: bytes) -> bytes:
    return subprocess.run(["zstd", "-d", "-c", "-q"], input=data, capture_output=True,
                          check=True).stdout


def mz_model(cal, frame_t1, frame_t2, index):
    """MzCalibration ModelType 1/2 by bisection on tof(m) (the reader uses a closed form)."""
    beta = 1 + (cal["dC1"] * (cal["T1"] - frame_t1) + cal["dC2"] * (cal["T2"] - frame_t2)) / 1e6
    c1, c2 = cal["C1"] * beta, cal["C2"] / beta
    model2 = cal["ModelType"] == 2
    c3, c4 = (0.0, 0.0) if model2 else (cal["C3"], cal["C4"])
    tof = cal["DigitizerDelay"] + cal["DigitizerTimebase"] * index

    def t_of(m):
        x = m + c4
        return cal["C0"] + math.sqrt(1e12 / c1 * x) + c2 * x + c3 * x ** 1.5

    lo, hi = 1e-6 - c4, 1e5
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if t_of(mid) < tof:
            lo = mid
        else:
            hi = mid
    m = 0.5 * (lo + hi)
    if model2 and cal["C5"] <= m <= cal["C6"]:
        m -= sum(cal[f"C{8 + k}"] * m ** k for k in range(int(cal["C7"])))
    return m


def calibrations(db):
    cur = db.execute("SELECT * FROM MzCalibration")
    names = [d[0] for d in cur.description]
    return {row[0]: dict(zip(names, row)) for row in cur}


needs_zstd = pytest.mark.skipif(shutil.which("zstd") is None, reason="zstd CLI not installed")


@needs_zstd
def test_tsf_matches_independent_decoding(run_program, test_data):
    d = test_data / "imzy_example_tsf" / "example_tsf.d"
    _, spectra = parse_output(run_program(PROG, "--peaks", d).stdout)
    db = ro(d / "analysis.tsf")
    cals = calibrations(db)
    rows = db.execute("SELECT f.Id, f.TimsId, f.NumPeaks, f.MaxIntensity, f.SummedIntensities, "
                      "f.MzCalibration, f.T1, f.T2, m.XIndexPos, m.YIndexPos "
                      "FROM MaldiFrameInfo m JOIN Frames f ON f.Id = m.Frame "
                      "ORDER BY m.Frame").fetchall()
    xmin = int(dict(db.execute("SELECT Key, Value FROM GlobalMetadata"))["ImagingAreaMinXIndexPos"])
    blob = (d / "analysis.tsf_bin").read_bytes()
    assert len(spectra) == len(rows) == 400
    worst = 0.0
    for k, (fid, off, npk, mx, sm, cal_id, t1, t2, xi, yi) in enumerate(rows):
        sp = spectra[k]
        assert (sp["raw_x"], sp["raw_y"], sp["x"]) == (xi, yi, xi - xmin)
        assert sp["n"] == npk and len(sp["peaks"]) == npk
        if npk == 0:
            continue
        assert sp["max"] == mx and abs(sp["sum"] - sm) <= 0.5
        size, line_len = struct.unpack_from("<II", blob, off)
        raw = unzstd(blob[off + 8: off + 8 + line_len])
        assert len(raw) == 12 * npk
        idx = struct.unpack_from(f"<{npk}d", raw)
        inten = struct.unpack_from(f"<{npk}f", raw, 8 * npk)
        # every peak's intensity; m/z of a spread of peaks through the bisection model
        assert [p[1] for p in sp["peaks"]] == [float(v) for v in inten]
        for j in sorted({0, npk // 2, npk - 1}):
            ref = mz_model(cals[cal_id], t1, t2, idx[j])
            worst = max(worst, abs(sp["peaks"][j][0] - ref) / ref * 1e6)
    assert worst < 1e-6, f"m/z differs from the bisection model by {worst} ppm"


def tdf_frame_python(blob, off, num_scans, num_peaks, acc):
    """Summed spectrum of a TDF frame: each peak as the vendor library reports it,
    round-half-up(raw x (100 / AccumulationTime)), summed per TOF index."""
    size, scans = struct.unpack_from("<II", blob, off)
    assert scans == num_scans
    raw = unzstd(blob[off + 8: off + size])
    n = len(raw) // 4
    assert n == num_scans + 2 * num_peaks
    words = [raw[i] | raw[n + i] << 8 | raw[2 * n + i] << 16 | raw[3 * n + i] << 24
             for i in range(n)]
    counts = [w // 2 for w in words[1:num_scans]]
    counts.append(num_peaks - sum(counts))
    factor = 100.0 / acc if acc > 0 else 1.0
    summed, raw_sum, at = {}, 0, 0
    for c in counts:
        tof = -1
        for _ in range(c):
            tof += words[num_scans + 2 * at]
            v = words[num_scans + 2 * at + 1]
            summed[tof] = summed.get(tof, 0) + math.floor(v * factor + 0.5)
            raw_sum += v
            at += 1
    return sorted(summed.items()), raw_sum


def linear_mz(meta, index):
    """The linear-in-sqrt(m/z) approximation (no MzCalibration, edge case #71)."""
    lo, hi = float(meta["MzAcqRangeLower"]), float(meta["MzAcqRangeUpper"])
    n = float(meta["DigitizerNumSamples"])
    return (math.sqrt(lo) + index * (math.sqrt(hi) - math.sqrt(lo)) / n) ** 2


@needs_zstd
@pytest.mark.parametrize("rel", ["opentims_test/test.d", "MsBackendTimsTof_ddaPASEF/ddaPASEF.d",
                                 "timsrust_simulated/test.d"])
def test_tdf_matches_independent_decoding(run_program, test_data, rel):
    """MS1 frames (MS/MS ones are left out, edge case #81), summed over scans."""
    d = test_data / rel
    _, spectra = parse_output(run_program(PROG, "--peaks", "--non-imaging", d).stdout)
    db = ro(d / "analysis.tdf")
    cols = {r[1] for r in db.execute("PRAGMA table_info(Frames)")}
    cals = calibrations(db) if "MzCalibration" in cols else None
    cal_cols = "MzCalibration, T1, T2" if cals else "0, 0, 0"
    rows = db.execute(f"SELECT Id, TimsId, NumScans, NumPeaks, {cal_cols}, SummedIntensities, "
                      "AccumulationTime FROM Frames WHERE MsMsType = 0 ORDER BY Id").fetchall()
    meta = dict(db.execute("SELECT Key, Value FROM GlobalMetadata"))
    blob = (d / "analysis.tdf_bin").read_bytes()
    assert len(spectra) == len(rows) < db.execute("SELECT count(*) FROM Frames").fetchone()[0]
    for sp, (fid, off, ns, npk, cal_id, t1, t2, sm, acc) in zip(spectra, rows):
        ref, raw_sum = tdf_frame_python(blob, off, ns, npk, acc)
        assert [p[1] for p in sp["peaks"]] == [float(v) for _, v in ref]
        assert round(raw_sum * 100 / acc) == sm
        for j in sorted({0, len(ref) // 2, len(ref) - 1}):
            want = (mz_model(cals[cal_id], t1, t2, ref[j][0]) if cals
                    else linear_mz(meta, ref[j][0]))
            assert abs(sp["peaks"][j][0] - want) / want * 1e6 < 1e-6


def test_timsrust_simulated_frames(run_program, test_data):
    """timsrust's own expectations for its simulated folder (tests/frame_readers.rs @ ac9210f):
    MS1 frames 1 and 3 hold TOF indices 0..9 and 36..77 with intensity 2·(TOF + 1), one peak per
    TOF (AccumulationTime 100 ms: the values as stored). Its metadata table is spelled
    GlobalMetaData (edge case #83) and it has no calibration tables: linear m/z, with warnings."""
    d = test_data / "timsrust_simulated" / "test.d"
    proc = run_program(PROG, "--peaks", "--non-imaging", d)
    header, spectra = parse_output(proc.stdout)
    assert "spectra 2 " in header and "mz 100.000000 1000.000000" in header
    for sp, tofs in zip(spectra, [range(0, 10), range(36, 78)]):
        assert [p[1] for p in sp["peaks"]] == [2.0 * (t + 1) for t in tofs]
    assert "2 of 4 frames are MS/MS frames" in proc.stderr
    assert "names no MzCalibration" in proc.stderr
    # refused without the non-imaging option: not case trouble, but an LC-style run
    refused = run_program(PROG, d, check=False)
    assert refused.returncode == 1 and "no MaldiFrameInfo table" in refused.stderr


def test_example_tdf_metadata_only(run_program, test_data):
    d = test_data / "imzy_example_tdf_sqlite_only" / "example_tdf.d"
    info = run_program(PROG, "--info", d)
    assert "spectra 342 grid 19 18 1" in info.stdout
    assert "analysis.tdf_bin missing" in info.stderr
    proc = run_program(PROG, d, check=False)
    assert proc.returncode == 1
    assert "frame 1" in proc.stderr and "analysis.tdf_bin missing" in proc.stderr
