"""The README's commands run as a new user would run them (the two main commands have their own
tests: test_demo.py runs scripts/demo.sh, and CI runs scripts/test.sh):

- "Using it": every `msizarr ...` line, in order, in one folder, where `sample.imzML` is the
  bundled imzML example and `run.d` the bundled timsTOF run; then the Python block that opens
  `sample.zarr` with spatialdata;
- "Building by hand": the cmake line, into a scratch build folder instead of `build`.

The README's `pip install .` block runs in test_python_package.py (test_readme_python)."""
import os
import pathlib
import re
import shutil
import subprocess
import sys

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
README = REPO / "README.md"
DATA = REPO / "tests" / "data"
PROCESSED = DATA / "imzml-org_examples" / "Example_Processed"
TSF = DATA / "imzy_example_tsf" / "example_tsf.d"


def indented_blocks(text):
    """The README's 4-space indented code blocks, each a list of lines without the indent."""
    blocks, cur = [], []
    for line in text.splitlines():
        if line.startswith("    ") and (cur or not line.strip() == ""):
            cur.append(line[4:])
        elif cur and line.strip() == "":
            cur.append("")
        else:
            if cur:
                blocks.append([s for s in cur if s.strip()])
            cur = []
    if cur:
        blocks.append([s for s in cur if s.strip()])
    return blocks


def fenced_python(text):
    return re.findall(r"```python\n(.*?)```", text, re.S)


def readme_commands(prefix):
    return [line for block in indented_blocks(README.read_text(encoding="utf-8"))
            for line in block if line.startswith(prefix)]


def sample_folder(path):
    """A folder holding the README's placeholder inputs: sample.imzML (+ .ibd) and run.d."""
    path.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(PROCESSED.with_suffix(".imzML"), path / "sample.imzML")
    shutil.copyfile(PROCESSED.with_suffix(".ibd"), path / "sample.ibd")
    shutil.copytree(TSF, path / "run.d")
    return path


def test_main_commands_are_the_tested_scripts():
    assert readme_commands("./scripts/") == ["./scripts/demo.sh", "./scripts/test.sh"]
    assert "exec ./scripts/test.sh" in (REPO / ".ci" / "run").read_text()


def test_using_it(build_dir, tmp_path):
    commands = readme_commands("msizarr ")
    assert len(commands) >= 7 and any(" report " in c for c in commands)
    work = sample_folder(tmp_path / "work")
    env = dict(os.environ, PATH=f"{build_dir}{os.pathsep}{os.environ['PATH']}",
               TMPDIR=str(tmp_path))
    for command in commands:
        proc = subprocess.run(["bash", "-o", "pipefail", "-c", command], cwd=work, env=env,
                              capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, f"{command}\n{proc.stderr}"
        assert "error" not in proc.stderr, f"{command}\n{proc.stderr}"
        if command.startswith("msizarr dump"):
            assert proc.stdout.splitlines()[0].split("\t")[:2] == ["index", "x"], proc.stdout
    for name in ("sample.zarr", "run.zarr", "out.zarr"):
        assert (work / name / "zarr.json").is_file(), name
    for page in ("run.html", "sample.html"):
        assert b"<img" in (work / page).read_bytes(), page
    # run.zarr was written twice: the second time (--overwrite) with its report
    leftovers = [p.name for p in work.iterdir() if p.name.startswith(".")]
    assert leftovers == [] and sorted(os.listdir(tmp_path)) == ["work"]

    # then the README's first Python block, on what the commands wrote
    block = fenced_python(README.read_text(encoding="utf-8"))[0]
    assert "sd.read_zarr" in block
    proc = subprocess.run([sys.executable, "-c", block + "\nprint(table.shape, tic.shape, "
                           "len(pixels))"], cwd=work, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("(9, ") and "(1, 3, 3) 9" in proc.stdout, proc.stdout


def test_building_by_hand(tmp_path):
    (line,) = readme_commands("cmake -S . -B build")
    build = tmp_path / "build"
    command = re.sub(r"(?<=[ =])build\b", str(build), line)
    assert command.count(str(build)) == 3, command
    proc = subprocess.run(["bash", "-o", "pipefail", "-c", command], cwd=REPO,
                          capture_output=True, text=True, timeout=3000)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "100% tests passed" in proc.stdout, proc.stdout[-3000:]
    assert (build / "msizarr").is_file()
