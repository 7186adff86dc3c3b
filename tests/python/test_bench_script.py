"""The benchmark script of docs/benchmarks.md runs (it is not a test of speed: nothing here looks
at a time). On the tiny "smoke" preset, bench/run.py takes every step the real presets take:
writes the input with imzml_synth, converts it with msizarr, measures the floor with
bench_floor, runs Thyra 1.27.3 in both modes, and prints the table. `--doc-only` redraws
docs/benchmarks.md from bench/results.json exactly as committed (the doc's generated section
is not edited by hand), in a copy of the tree."""
import os
import pathlib
import shutil
import subprocess
import sys

REPO = pathlib.Path(__file__).resolve().parents[2]


def test_smoke_preset_runs_every_step(build_dir, tmp_path):
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, str(REPO / "bench" / "run.py"), "--preset", "smoke",
                           "--runs", "1", "--no-doc", "--build", str(build_dir), "--out",
                           str(out), "--thyra-timeout", "900"],
                          capture_output=True, text=True, timeout=1800)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    rows = [line for line in proc.stdout.splitlines() if line.startswith("|")]
    for run in ("msizarr convert", "floor: read input + compress X", "thyra 1.27.3 (default)",
                "thyra 1.27.3 --streaming true"):
        (row,) = [r for r in rows if run in r]
        cells = [c.strip() for c in row.split("|")]
        assert float(cells[3]) >= 0 and cells[6] == "1", row  # measured, not skipped or failed
    assert (out / "smoke.imzML").is_file()


def test_smoke_preset_is_never_recorded(build_dir, tmp_path):
    proc = subprocess.run([sys.executable, str(REPO / "bench" / "run.py"), "--preset", "smoke",
                           "--out", str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0 and "--no-doc" in proc.stderr


def test_doc_only_redraws_the_committed_doc(tmp_path):
    for rel in ("bench/run.py", "bench/results.json", "docs/benchmarks.md"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(REPO / rel, tmp_path / rel)
    proc = subprocess.run([sys.executable, str(tmp_path / "bench" / "run.py"), "--doc-only"],
                          capture_output=True, text=True, timeout=300,
                          env=dict(os.environ, MPLBACKEND="Agg"))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (tmp_path / "docs" / "benchmarks.md").read_text() == \
        (REPO / "docs" / "benchmarks.md").read_text()
    assert (tmp_path / "docs" / "benchmarks.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
