"""Identity: one input gives identical decoded arrays, attributes (conversion_timestamp aside) and
parquet tables for every --memory-limit (from everything-in-memory down to the 16 MiB floor, the
transpose spilling below), every --chunk-size and every --threads value (up to the maximum, 256,
beyond which the option is refused); also for shuffled spectrum order with missing pixels,
several z planes (one table per plane, and --handle-3d) and --no-resample. Resampled runs use 50
mDa bins (tens of thousands of bins), so that the per-bin state leaves the transpose a small
budget at small limits (docs/memory.md)."""
import pathlib

import pytest

import imzml_synth
from convert_common import assert_same_store, convert, snapshot, spilled_bytes

WIDE = ["--resample-width-at-mz", "0.05"]


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    """20,000 spectra x 200 peaks, shuffled, 4 % of the pixels missing, float32 intensities."""
    d = tmp_path_factory.mktemp("identity")
    return imzml_synth.write_processed(d / "big", n_x=160, n_y=130, peaks=200, vary_peaks=False,
                                       missing=0.04, shuffled=True, mz_range=(100.0, 400.0),
                                       pool_size=4000, seed=2)


@pytest.fixture(scope="module")
def reference(build_dir, big, tmp_path_factory):
    """Everything fits in memory: no spill."""
    out = tmp_path_factory.mktemp("ref") / "ref.zarr"
    proc = convert(build_dir, big.imzml, out, *WIDE, "--memory-limit", "1GiB", "--log-level",
                   "info")
    assert spilled_bytes(proc.stderr) == 0
    return snapshot(out)


@pytest.mark.parametrize("args", [
    ["--memory-limit", "64MiB"],
    ["--memory-limit", "24MiB"],
    ["--memory-limit", "16MiB"],
    ["--memory-limit", "16MiB", "--chunk-size", "1", "--threads", "1"],
    ["--chunk-size", "7", "--threads", "2"],
    ["--chunk-size", "5000", "--threads", "4"],
    ["--memory-limit", "16MiB", "--threads", "4", "--chunk-size", "7"],
    # thread counts across every internal limit: the default's 16, the 64 mapping workers the
    # batch once had, the batch size (threads are capped by it), the zarr queue, the maximum
    ["--threads", "16"],
    ["--threads", "64"],
    ["--threads", "65"],
    ["--threads", "100", "--chunk-size", "7"],
    ["--threads", "129", "--chunk-size", "200"],
    ["--threads", "256"],
    ["--threads", "256", "--memory-limit", "16MiB"],
], ids=lambda a: " ".join(a))
def test_identical_across_resources(build_dir, big, reference, tmp_path, args):
    out = tmp_path / "out.zarr"
    proc = convert(build_dir, big.imzml, out, *WIDE, *args, "--log-level", "info")
    limit = args[args.index("--memory-limit") + 1] if "--memory-limit" in args else "512MiB"
    if limit in ("24MiB", "16MiB"):
        assert spilled_bytes(proc.stderr) > 0, "the transpose did not spill"
    assert_same_store(reference, snapshot(out), " ".join(args))


def variants(build_dir, src, tmp_path, common, runs):
    outs = []
    for i, args in enumerate(runs):
        out = tmp_path / f"v{i}.zarr"
        convert(build_dir, src, out, *common, *args)
        outs.append(snapshot(out))
    for args, s in zip(runs[1:], outs[1:]):
        assert_same_store(outs[0], s, " ".join(common + args))
    return outs[0]


RUNS = [["--memory-limit", "1GiB"],
        ["--memory-limit", "16MiB", "--chunk-size", "1", "--threads", "1"],
        ["--memory-limit", "16MiB", "--chunk-size", "7", "--threads", "4"]]


@pytest.fixture(scope="module")
def planes(tmp_path_factory):
    """Three z planes, shuffled, 10 % missing, float64 m/z and intensities."""
    d = tmp_path_factory.mktemp("planes")
    return imzml_synth.write_processed(d / "planes", n_x=40, n_y=30, n_z=3, peaks=120, missing=0.1,
                                       shuffled=True, mz_dtype="f8", int_dtype="f8", seed=5,
                                       mz_range=(200.0, 500.0), pool_size=3000)


def test_planes_one_table_each(build_dir, planes, tmp_path):
    s = variants(build_dir, planes.imzml, tmp_path, WIDE, RUNS)
    tables = sorted({k.split("/")[2] for k in s["arrays"] if k.startswith("/tables/")})
    assert tables == ["msi_dataset_z0", "msi_dataset_z1", "msi_dataset_z2"]
    coords = planes.coords
    for z in range(3):
        ids = [int(v) for v in s["arrays"][f"/tables/msi_dataset_z{z}/obs/instance_id"]]
        want = sorted((c[1] - 1) * 40 + (c[0] - 1) for c in coords if c[2] == z + 1)
        assert ids == want
        assert s["arrays"][f"/images/msi_dataset_z{z}_tic/s0"].shape == (1, 30, 40)


def test_planes_volume(build_dir, planes, tmp_path):
    s = variants(build_dir, planes.imzml, tmp_path, ["--handle-3d", *WIDE], RUNS)
    ids = [int(v) for v in s["arrays"]["/tables/msi_dataset/obs/instance_id"]]
    want = sorted(((c[2] - 1) * 30 + (c[1] - 1)) * 40 + (c[0] - 1) for c in planes.coords)
    assert ids == want
    assert s["arrays"]["/images/msi_dataset_tic/s0"].shape == (1, 3, 30, 40)
    z = s["arrays"]["/tables/msi_dataset/obs/z"]
    assert sorted(set(z.tolist())) == [0, 1, 2]


def test_no_resample(build_dir, tmp_path):
    src = imzml_synth.write_processed(tmp_path / "raw", n_x=50, n_y=40, peaks=150, missing=0.05,
                                      shuffled=True, mz_dtype="f4", int_dtype="f4", seed=9,
                                      pool_size=6000)
    s = variants(build_dir, src.imzml, tmp_path, ["--no-resample"], RUNS)
    mz = s["arrays"]["/tables/msi_dataset_z0/var/mz"]
    assert len(mz) > 1000 and (mz[1:] > mz[:-1]).all()



TSF = pathlib.Path(__file__).resolve().parents[1] / "data" / "imzy_example_tsf" / "example_tsf.d"


def test_real_run_every_thread_count(build_dir, tmp_path):
    """The bundled timsTOF run: every spectrum lands in the table whatever --threads says (65
    threads once gave 293 of 297 rows, 100 threads 192, with exit status 0)."""
    s = variants(build_dir, TSF, tmp_path, [],
                 [["--threads", "1"], ["--threads", "64"], ["--threads", "65"],
                  ["--threads", "100"], ["--threads", "256", "--chunk-size", "300"]])
    assert len(s["arrays"]["/tables/msi_dataset_z0/obs/instance_id"]) == 297


@pytest.mark.parametrize("value", ["257", "-1", "100000000000000000000", "4x"])
def test_threads_out_of_range_refused(build_dir, tmp_path, value):
    out = tmp_path / "out.zarr"
    proc = convert(build_dir, TSF, out, "--threads", value, check=False)
    assert proc.returncode == 2, proc.stderr
    assert "--threads" in proc.stderr
    assert not out.exists()
