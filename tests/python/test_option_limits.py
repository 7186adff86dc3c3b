"""No option loses data (issue 10 item 3): the numeric options at absurd values (0, 1,
huge, past 64 bits) either give the same store as their defaults or are refused with a message
naming the option (exit 2) or the cap that was reached (exit 1); never a smaller table with exit
status 0. --threads is covered by test_convert_identity.py."""
import pathlib

import pytest

from convert_common import assert_same_store, convert, snapshot

DATA = pathlib.Path(__file__).resolve().parents[1] / "data"
PROC = DATA / "imzml-org_examples" / "Example_Processed.imzML"
U64_MAX = str(2**64 - 1)
U64_OVER = str(2**64)


@pytest.fixture(scope="module")
def reference(build_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("ref") / "ref.zarr"
    convert(build_dir, PROC, out)
    return snapshot(out)


@pytest.fixture(scope="module")
def raw_reference(build_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("raw") / "raw.zarr"
    convert(build_dir, PROC, out, "--no-resample")
    return snapshot(out)


@pytest.mark.parametrize("args", [
    ["--chunk-size", "1"],
    ["--chunk-size", "2"],
    ["--chunk-size", U64_MAX],
    ["--memory-limit", "32MiB"],
    ["--memory-limit", "33554432"],
    ["--memory-limit", "8000000TiB"],  # just under the largest accepted (SIZE_MAX / 2)
    ["--memory-limit", "8000000TiB", "--chunk-size", U64_MAX, "--threads", "256"],
], ids=" ".join)
def test_accepted_extremes_change_nothing(build_dir, reference, tmp_path, args):
    out = tmp_path / "out.zarr"
    convert(build_dir, PROC, out, *args)
    assert_same_store(reference, snapshot(out), " ".join(args))


@pytest.mark.parametrize("args", [
    ["--max-mass-axis-length", "0"],  # no cap
    ["--max-mass-axis-length", U64_MAX],
    ["--max-mass-axis-length", "8399"],  # exactly the distinct m/z values of the file
    ["--max-mass-axis-length", "8399", "--memory-limit", "16MiB", "--chunk-size", "1"],
], ids=" ".join)
def test_raw_axis_cap_at_or_above_the_data(build_dir, raw_reference, tmp_path, args):
    out = tmp_path / "out.zarr"
    convert(build_dir, PROC, out, "--no-resample", *args)
    s = snapshot(out)
    assert len(s["arrays"]["/tables/msi_dataset_z0/var/mz"]) == 8399
    assert_same_store(raw_reference, s, " ".join(args))


@pytest.mark.parametrize("args,code,fragment", [
    (["--chunk-size", "0"], 2, "--chunk-size must be > 0"),
    (["--chunk-size", U64_OVER], 2, "--chunk-size: '18446744073709551616' is not a non-negative"),
    (["--chunk-size", "-1"], 2, "--chunk-size"),
    (["--memory-limit", "0"], 2, "--memory-limit must be at least 16MiB (got 0 bytes)"),
    (["--memory-limit", "1"], 2, "--memory-limit must be at least 16MiB (got 1 bytes)"),
    (["--memory-limit", "1e-300"], 2, "--memory-limit must be at least 16MiB"),
    # the floor itself: this file's 139966 bins do not fit, said before any work
    (["--memory-limit", "16MiB"], 1, "over the 16.0 MiB memory limit"),
    (["--memory-limit", "9000000TiB"], 2, "--memory-limit: size '9000000TiB' is too large"),
    (["--memory-limit", "1e30"], 2, "--memory-limit: size '1e30' is too large"),
    (["--memory-limit", U64_OVER], 2, "is too large"),
    (["--memory-limit", "inf"], 2, "--memory-limit: invalid size 'inf'"),
    (["--memory-limit", "nan"], 2, "--memory-limit: invalid size 'nan'"),
    (["--resample-bins", "0"], 2, "--resample-bins must be > 0"),
    (["--resample-bins", "2147483648"], 2,
     "--resample-bins must be at most 2147483647 (got 2147483648)"),
    (["--resample-bins", U64_MAX], 2, "--resample-bins must be at most 2147483647"),
    (["--resample-bins", U64_OVER], 2, "--resample-bins: '18446744073709551616' is not"),
    (["--max-mass-axis-length", U64_OVER], 2, "--max-mass-axis-length"),
    (["--no-resample", "--max-mass-axis-length", "1"], 1,
     "raw m/z axis has more than 1 distinct values"),
    (["--no-resample", "--max-mass-axis-length", "8398"], 1,
     "raw m/z axis has more than 8,398 distinct values"),
], ids=lambda v: " ".join(v) if isinstance(v, list) else None)
def test_refused_extremes(build_dir, tmp_path, args, code, fragment):
    out = tmp_path / "out.zarr"
    proc = convert(build_dir, PROC, out, *args, check=False)
    assert proc.returncode == code, proc.stderr
    assert fragment in proc.stderr, proc.stderr
    assert not out.exists()


def test_two_bins(build_dir, tmp_path):
    """The smallest axis that has a width: every peak lands in one of the two bins."""
    out = tmp_path / "out.zarr"
    convert(build_dir, PROC, out, "--resample-bins", "2")
    s = snapshot(out)
    assert len(s["arrays"]["/tables/msi_dataset_z0/var/mz"]) == 2
    assert len(s["arrays"]["/tables/msi_dataset_z0/obs/x"]) == 9
