#!/usr/bin/env python3
"""Builds fuzz/corpus/fuzz_bruker_meta/ from the real .d databases of tests/data.

Each seed is a small copy of a real analysis.tsf / analysis.tdf: the tables the reader reads,
the first few frames, 512-byte pages, vacuumed. A few seeds carry the hostile edits of the tests
(views, out-of-range values, spot and MS/MS runs). Run from the repository root:
    python3 fuzz/make_bruker_meta_corpus.py
"""
import pathlib
import shutil
import sqlite3
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
OUT = ROOT / "fuzz" / "corpus" / "fuzz_bruker_meta"
KEEP = {"globalmetadata", "frames", "maldiframeinfo", "mzcalibration", "timscalibration",
        "maldiframelaserinfo"}

SOURCES = {  # seed name: (database, frames kept)
    "tsf_imaging": ("imzy_example_tsf/example_tsf.d/analysis.tsf", "Id <= 4"),
    "tdf_imaging_negative": ("imzy_example_tdf_sqlite_only/example_tdf.d/analysis.tdf", "Id <= 4"),
    "tdf_lc_with_msms": ("MsBackendTimsTof_ddaPASEF/ddaPASEF.d/analysis.tdf", "Id IN (1, 2, 31)"),
    "tdf_model2": ("opentims_test/test.d/analysis.tdf", "1"),
    "tdf_spots": ("mzmine_tims_spot/tims_spot_acryllic.d/analysis.tdf", "Id <= 4"),
    "tdf_spot_msms_only": ("mzmine_tims_spot/tims_spot.d/analysis.tdf", "1"),
    "tdf_simulated_no_calibration": ("timsrust_simulated/test.d/analysis.tdf", "1"),
}

EDITS = {  # seed name: (base seed, SQL)
    "tsf_recursive_frames_view": (
        "tsf_imaging", "ALTER TABLE Frames RENAME TO F0; CREATE VIEW Frames AS WITH RECURSIVE "
        "n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT F0.* FROM n, F0"),
    "tsf_area_overflow": (
        "tsf_imaging", "UPDATE GlobalMetadata SET Value = '2147483648' "
        "WHERE Key = 'ImagingAreaMaxXIndexPos'"),
    "tsf_huge_positions": (
        "tsf_imaging", "UPDATE MaldiFrameInfo SET XIndexPos = -2147483648 WHERE Frame = 1; "
        "UPDATE MaldiFrameInfo SET XIndexPos = 2147483647 WHERE Frame = 2"),
    "tsf_huge_counts": ("tsf_imaging", "UPDATE Frames SET NumPeaks = 4294967296 WHERE Id = 2"),
    "tdf_accumulation_zero": ("tdf_spots", "UPDATE Frames SET AccumulationTime = 0"),
    "tdf_poly_terms_huge": ("tdf_model2", "UPDATE MzCalibration SET C7 = 1e300, C1 = -1"),
}


def shrink(src, dst, frames):
    shutil.copyfile(src, dst)
    con = sqlite3.connect(dst)
    objs = con.execute("SELECT type, name FROM sqlite_master WHERE type IN ('table', 'view')")
    for kind, name in objs.fetchall():
        if name.lower() not in KEEP and not name.startswith("sqlite_"):
            con.execute(f'DROP {kind.upper()} "{name}"')
    con.execute(f"DELETE FROM Frames WHERE NOT ({frames})")
    tables = {r[0].lower() for r in con.execute("SELECT name FROM sqlite_master")}
    if "maldiframeinfo" in tables:
        con.execute("DELETE FROM MaldiFrameInfo WHERE Frame NOT IN (SELECT Id FROM Frames)")
    con.commit()
    con.execute("PRAGMA page_size = 512")
    con.execute("VACUUM")
    con.close()


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    for name, (rel, frames) in SOURCES.items():
        shrink(DATA / rel, OUT / name, frames)
    with tempfile.TemporaryDirectory() as tmp:
        for name, (base, sql) in EDITS.items():
            work = pathlib.Path(tmp) / name
            shutil.copyfile(OUT / base, work)
            con = sqlite3.connect(work)
            con.executescript(sql)
            con.commit()
            con.execute("VACUUM")
            con.close()
            shutil.copyfile(work, OUT / name)
    for p in sorted(OUT.iterdir()):
        print(f"{p.stat().st_size:8d} {p.name}")


if __name__ == "__main__":
    main()
