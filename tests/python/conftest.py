"""Shared pytest fixtures: where the C build lives and how to run its programs."""
import os
import pathlib
import subprocess

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
TEST_DATA = REPO / "tests" / "data"


@pytest.fixture(scope="session")
def build_dir() -> pathlib.Path:
    """The CMake build directory (env MSIZ_BUILD_DIR, default <repo>/build)."""
    path = pathlib.Path(os.environ.get("MSIZ_BUILD_DIR", REPO / "build")).resolve()
    if not path.is_dir():
        pytest.fail(f"build directory {path} missing: build first (scripts/test.sh does)")
    return path


@pytest.fixture(scope="session")
def test_data() -> pathlib.Path:
    return TEST_DATA


@pytest.fixture(scope="session")
def run_program(build_dir):
    """Runs a program of the build dir; returns the CompletedProcess (never raises on exit code)."""

    def run(name, *args, input=None, check=True):
        exe = build_dir / name
        proc = subprocess.run([str(exe), *map(str, args)], input=input, capture_output=True,
                              text=True)
        if check and proc.returncode != 0:
            raise AssertionError(f"{name} {args} exited {proc.returncode}:\n{proc.stderr}")
        return proc

    return run
