"""Hostile .d folders built from the real TSF run with sqlite3 (issue 13 items 4, 5, 7).

* Tables the reader reads that are (recursive) views are refused at once instead of spinning.
* Ctrl-C (SIGINT) stops a slow metadata query from inside SQLite: the error names the table
  being read, not the converter's later check.
* MS/MS frames of an imaging run are left out of the table with a counted warning (#81).
"""
import pathlib
import shutil
import signal
import sqlite3
import stat
import subprocess
import time

import pytest
import zarr

DATA = pathlib.Path(__file__).resolve().parents[1] / "data"
TSF = DATA / "imzy_example_tsf" / "example_tsf.d"
HANG = 120  # seconds: a run that takes this long is hung (the real cases take well under 5 s)


def hostile_copy(tmp_path, name, *sql, binary=True):
    d = tmp_path / name
    d.mkdir()
    for f in ["analysis.tsf"] + (["analysis.tsf_bin"] if binary else []):
        shutil.copyfile(TSF / f, d / f)
        (d / f).chmod((d / f).stat().st_mode | stat.S_IWUSR)
    con = sqlite3.connect(d / "analysis.tsf")
    for s in sql:
        con.executescript(s)
    con.commit()
    con.close()
    return d


def msizarr(build_dir, *args, timeout=HANG):
    return subprocess.run([str(build_dir / "msizarr"), *map(str, args)], capture_output=True,
                          text=True, timeout=timeout)


RECURSIVE = ("ALTER TABLE {t} RENAME TO Original; CREATE VIEW {t} AS WITH RECURSIVE "
             "n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT o.* FROM n, Original o")


@pytest.mark.parametrize("table", ["Frames", "GlobalMetadata", "MaldiFrameInfo"])
def test_recursive_view_is_refused(build_dir, tmp_path, table):
    d = hostile_copy(tmp_path, "view.d", RECURSIVE.format(t=table))
    for cmd in (["info", d], ["convert", d, tmp_path / "out.zarr"]):
        proc = msizarr(build_dir, *cmd)
        assert proc.returncode == 1
        assert f"{table} is a view, not a table: refused" in proc.stderr
    assert not (tmp_path / "out.zarr").exists()


def test_sigint_stops_a_slow_query(build_dir, tmp_path):
    """A generated column that takes about 0.1 s per row (innocuous built-ins: allowed even with
    an untrusted schema) makes reading MaldiFrameInfo take a minute; SIGINT after 1 s must stop
    the query itself."""
    slow = ("ALTER TABLE MaldiFrameInfo ADD COLUMN Slow AS "
            "(instr(upper(replace(hex(zeroblob(4000000 + Frame)), '0', 'a')), 'x'))")
    d = hostile_copy(tmp_path, "slow.d", slow)
    out = tmp_path / "out.zarr"
    proc = subprocess.Popen([str(build_dir / "msizarr"), "convert", str(d), str(out), "-q"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(1.0)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=HANG)
    assert proc.returncode != 0
    assert "interrupted while reading table MaldiFrameInfo" in err
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["slow.d"]


def test_msms_frames_left_out_of_the_image(build_dir, tmp_path):
    """Frames 1 and 3 (both with peaks) marked as PASEF MS/MS: two rows fewer, one warning."""
    d = hostile_copy(tmp_path, "msms.d", "UPDATE Frames SET MsMsType = 8 WHERE Id IN (1, 3)")
    con = sqlite3.connect(f"file:{TSF / 'analysis.tsf'}?mode=ro&immutable=1", uri=True)
    with_peaks = con.execute("SELECT count(*) FROM Frames WHERE NumPeaks > 0").fetchone()[0]
    assert con.execute("SELECT min(NumPeaks) FROM Frames WHERE Id IN (1, 3)").fetchone()[0] > 0
    out = tmp_path / "out.zarr"
    proc = msizarr(build_dir, "convert", d, out, "-q")
    assert proc.returncode == 0, proc.stderr
    assert "2 of 400 frames are MS/MS frames (MsMsType != 0, e.g. PASEF): left out" in proc.stderr
    table = zarr.open_group(str(out), mode="r")["tables/msi_dataset_z0"]
    assert table["obs/x"].shape[0] == with_peaks - 2
    xs = set(zip(table["obs/x"][:].tolist(), table["obs/y"][:].tolist()))
    assert (0, 0) not in xs and (2, 0) not in xs  # frames 1 and 3: x = 0 and 2 of row 0
    assert len(xs) == with_peaks - 2
