"""The Python package as a user gets it: the wheel is built once (scripts/build-wheel.sh: pip
wheel + auditwheel repair), installed into a fresh venv that holds nothing else (no numpy, no
tqdm, and the wheel is installed with --no-index: it needs no other package), and driven from
that venv's Python. Checks: the extension and the bundled CLI need only the C library (ldd,
auditwheel); every array the binding writes equals the CLI's output for the same input and
options; info() equals `msizarr info --json`; a Thyra-style call; errors (exception, message,
nothing on disk); KeyboardInterrupt from another thread and SIGINT cancel and clean up; other
Python threads run during a conversion; warnings, logging and progress events; report() writes
the CLI's page and its guard holds; the Python examples of docs/python.md (with tqdm and spatialdata importable: the bar, read())."""
import json
import os
import pathlib
import re
import subprocess
import sys
import sysconfig
import textwrap

import pytest

import imzml_synth
from convert_common import assert_same_store, convert, snapshot

REPO = pathlib.Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "data"
PROCESSED = DATA / "imzml-org_examples" / "Example_Processed.imzML"
CONTINUOUS = DATA / "imzml-org_examples" / "Example_Continuous.imzML"
TSF = DATA / "imzy_example_tsf" / "example_tsf.d"
SPOT_RUN = DATA / "mzmine_tims_spot" / "tims_spot_acryllic.d"
# what a binary may need at run time: the C library's own objects
GLIBC = {"linux-vdso.so.1", "libc.so.6", "libm.so.6", "libpthread.so.0", "libdl.so.2",
         "librt.so.1", "ld-linux-x86-64.so.2"}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    proc = subprocess.run([str(REPO / "scripts" / "build-wheel.sh"), str(out)],
                          capture_output=True, text=True, env={**os.environ,
                                                               "PYTHON": sys.executable})
    assert proc.returncode == 0, proc.stderr[-4000:]
    return pathlib.Path(proc.stdout.split()[-1])


@pytest.fixture(scope="module")
def venv(wheel, tmp_path_factory):
    """A fresh venv with the wheel and nothing else."""
    path = tmp_path_factory.mktemp("venv") / "env"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True)
    subprocess.run([sys.executable, "-m", "pip", "--python", str(path / "bin" / "python"),
                    "install", "-q", "--no-index", "--no-deps", str(wheel)], check=True)
    return path


def run_py(venv, code, *args, extras=False, check=True, cwd=None):
    """Runs `code` in the venv's Python. `extras`: the test environment's packages (spatialdata,
    tqdm) become importable too, after the venv's own."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    if extras:
        env["PYTHONPATH"] = sysconfig.get_paths()["purelib"]
    proc = subprocess.run([str(venv / "bin" / "python"), "-c", textwrap.dedent(code),
                           *map(str, args)], capture_output=True, text=True, env=env, cwd=cwd,
                          timeout=600)
    if check and proc.returncode != 0:
        raise AssertionError(f"exit {proc.returncode}:\n{proc.stdout}\n{proc.stderr}")
    return proc


def nothing_left(out, temp_dir):
    """What a failed or cancelled conversion left: OUTPUT, temporary siblings, spill files."""
    out = pathlib.Path(out)
    found = [p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}.tmp-")]
    found += [out.name] if out.exists() else []
    return found + [p.name for p in pathlib.Path(temp_dir).iterdir()]


@pytest.fixture(scope="module")
def large(tmp_path_factory):
    """A conversion that takes a few seconds (4 million peaks)."""
    d = tmp_path_factory.mktemp("large")
    return imzml_synth.write_processed(d / "large", n_x=160, n_y=125, peaks=200,
                                       vary_peaks=False, shuffled=True, seed=11,
                                       mz_range=(100.0, 400.0), pool_size=4000)


def test_wheel_needs_only_the_c_library(wheel, venv):
    show = subprocess.run([sys.executable, "-m", "auditwheel", "show", str(wheel)],
                          capture_output=True, text=True, check=True).stdout
    assert re.search(r'platform tag:\s+"manylinux_2_\d+_x86_64"', show), show
    assert "manylinux" in wheel.name and "abi3" in wheel.name
    binaries = list(venv.glob("lib/python*/site-packages/msizarr/_core*.so"))
    binaries.append(venv / "bin" / "msizarr")
    assert len(binaries) == 2
    for binary in binaries:
        ldd = subprocess.run(["ldd", str(binary)], capture_output=True, text=True,
                             check=True).stdout
        needed = {line.split()[0].rsplit("/", 1)[-1] for line in ldd.splitlines() if line.strip()}
        assert needed <= GLIBC, f"{binary.name} needs {sorted(needed - GLIBC)}"


def test_bundled_cli(venv, tmp_path):
    proc = subprocess.run([str(venv / "bin" / "msizarr"), "--version"], capture_output=True,
                          text=True, check=True)
    assert re.fullmatch(r"msizarr \d+\.\d+\.\d+\n", proc.stdout)
    assert (venv / "share" / "man" / "man1" / "msizarr.1").is_file()
    subprocess.run([str(venv / "bin" / "msizarr"), "convert", str(PROCESSED),
                    str(tmp_path / "cli.zarr"), "-q"], check=True)
    assert (tmp_path / "cli.zarr" / "zarr.json").is_file()
    version = run_py(venv, "import msizarr; print(msizarr.__version__)").stdout.strip()
    assert proc.stdout == f"msizarr {version}\n"


def test_every_cli_option_is_a_keyword(venv):
    """convert() has a keyword for each option the library parses (--no-resample is
    resample=False), and passes each of them on."""
    code = """
        import inspect, msizarr
        from msizarr import _api, _core
        keywords = set(inspect.signature(msizarr.convert).parameters) - {
            "input_path", "output_path", "progress", "resampling", "format_type",
            "resampling_config", "reader_options", "include_optical", "apply_optical_alignment"}
        assert keywords == set(_api._CLI_KEYWORDS), keywords ^ set(_api._CLI_KEYWORDS)
        options = {_api._RENAMED.get(k, k).replace("_", "-") for k in keywords}
        assert options == set(_core.option_names()) - {"no-resample"}, options
        print(len(options))
        """
    assert int(run_py(venv, code).stdout) >= 28


# (input, Python keywords, the same options on the command line)
CASES = [
    (PROCESSED, "", []),
    (CONTINUOUS, "", []),
    (TSF, "", []),
    (PROCESSED, "sparse_format='csr', resample=False, zarr_format=2, compression='gzip:6', "
                "dataset_id='raw', memory_limit=16 << 20, threads=2, chunk_size=7",
     ["--sparse-format", "csr", "--no-resample", "--zarr-format", "2", "--compression", "gzip:6",
      "--dataset-id", "raw", "--memory-limit", "16MiB", "--threads", "2", "--chunk-size", "7"]),
    (TSF, "resample_method='tic_preserving', mass_axis_type='linear_tof', resample_bins=5000, "
          "resample_min_mz=200.5, intensity_threshold=10, pixel_size_um=25, handle_3d=True, "
          "z_spacing_um=40",
     ["--resample-method", "tic_preserving", "--mass-axis-type", "linear_tof",
      "--resample-bins", "5000", "--resample-min-mz", "200.5", "--intensity-threshold", "10",
      "--pixel-size", "25", "--handle-3d", "--z-spacing", "40"]),
]


@pytest.mark.parametrize("inp,keywords,args", CASES,
                         ids=["processed", "continuous", "tsf", "options", "tsf-options"])
def test_convert_same_as_cli(build_dir, venv, tmp_path, inp, keywords, args):
    out = tmp_path / "py.zarr"
    code = f"""
        import pathlib, sys, msizarr
        p = msizarr.convert(sys.argv[1], sys.argv[2], progress=False, {keywords})
        assert p == pathlib.Path(sys.argv[2]), p
        """
    run_py(venv, code, inp, out)
    convert(build_dir, inp, tmp_path / "cli.zarr", *args, "-q")
    assert_same_store(snapshot(tmp_path / "cli.zarr"), snapshot(out), keywords)


def test_info_same_as_cli(build_dir, venv):
    code = """
        import json, sys, msizarr
        print(json.dumps([msizarr.info(p) for p in sys.argv[1:]]))
        """
    inputs = [PROCESSED, TSF, SPOT_RUN]  # a spot run: info describes it, as the CLI does
    got = json.loads(run_py(venv, code, *inputs).stdout)
    for inp, summary in zip(inputs, got):
        cli = subprocess.run([str(build_dir / "msizarr"), "info", "--json", str(inp)],
                             capture_output=True, text=True, check=True).stdout
        assert summary == json.loads(cli)
    assert got[1]["format"] == "Bruker TSF" and got[1]["grid"] == [20, 20, 1]


def test_thyra_style_call(build_dir, venv, tmp_path):
    """A call written for Thyra's convert_msi runs unchanged (its result is truthy)."""
    code = """
        import sys
        from msizarr import convert as convert_msi
        ok = convert_msi(
            sys.argv[1], sys.argv[2], format_type="spatialdata", dataset_id="sample_a",
            pixel_size_um=20.0, handle_3d=False,
            resampling_config={"method": "auto", "axis_type": "reflector_tof",
                               "target_bins": None, "min_mz": None, "max_mz": 1000.0,
                               "width_at_mz": 0.01, "reference_mz": 1000.0},
            reader_options={"use_recalibrated_state": True, "intensity_threshold": 5.0},
            sparse_format="csr", include_optical=False, apply_optical_alignment=True,
            streaming="auto", region=None, progress=False)
        assert ok
        """
    run_py(venv, code, TSF, tmp_path / "py.zarr")
    convert(build_dir, TSF, tmp_path / "cli.zarr", "--dataset-id", "sample_a", "--pixel-size",
            "20", "--mass-axis-type", "reflector_tof", "--resample-max-mz", "1000",
            "--resample-width-at-mz", "0.01", "--intensity-threshold", "5", "--sparse-format",
            "csr", "-q")
    assert_same_store(snapshot(tmp_path / "cli.zarr"), snapshot(tmp_path / "py.zarr"))


def test_errors(venv, tmp_path, large):
    """The exception carries the library's message; nothing is left on disk, an existing
    output is untouched; a mid-conversion failure (a truncated .ibd) cleans up too."""
    spill = tmp_path / "spill"
    spill.mkdir()
    (tmp_path / "taken.zarr").mkdir()
    (tmp_path / "taken.zarr" / "mine.txt").write_text("mine")
    cut = tmp_path / "cut.imzML"
    cut.write_bytes(large.imzml.read_bytes())
    (tmp_path / "cut.ibd").write_bytes(large.ibd.read_bytes()[: large.ibd.stat().st_size // 2])
    code = """
        import sys, msizarr
        missing, taken, src, cut, out, spill = sys.argv[1:]
        def fails(*args, **kw):
            try:
                msizarr.convert(*args, progress=False, temp_dir=spill, **kw)
            except msizarr.ConversionError as e:
                assert isinstance(e, ValueError)
                print(f"{e.code}|{e.reason}|{e}")
            else:
                raise AssertionError("no error")
        fails(missing, out)
        fails(src, taken)
        fails(src, out, memory_limit="lots")
        fails(src, out, spectrum_type="mixed")
        fails(cut, out)
        for bad in ({"colour": "red"}, {"resample_bins": 9, "resampling": {"target_bins": 9}}):
            try:
                msizarr.convert(src, out, **bad)
            except TypeError as e:
                print(f"TypeError|{e}")
        """
    proc = run_py(venv, code, tmp_path / "missing.imzML", tmp_path / "taken.zarr", PROCESSED,
                  cut, tmp_path / "out.zarr", spill)
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("-11|") and "missing.imzML: input not found" in lines[0]
    assert "output exists" in lines[1] and "taken.zarr" in lines[1]
    assert "--memory-limit: invalid size 'lots'" in lines[2]
    assert "--spectrum-type: unknown value 'mixed'" in lines[3]
    assert "cut.ibd" in lines[4]
    assert lines[5].startswith("TypeError|") and "colour" in lines[5]
    assert "--resample-bins given twice" in lines[6]
    assert (tmp_path / "taken.zarr" / "mine.txt").read_text() == "mine"
    assert nothing_left(tmp_path / "out.zarr", spill) == []


@pytest.mark.parametrize("how", ["interrupt_main", "SIGINT"])
def test_keyboard_interrupt_cancels(venv, tmp_path, large, how):
    """Ctrl-C during the bin pass (from another thread, or a real signal) stops the conversion:
    KeyboardInterrupt, no output, no temporary sibling, no spill file."""
    spill, out = tmp_path / "spill", tmp_path / "out.zarr"
    spill.mkdir()
    # The converter waits while a progress event is handled, so the callback holds it mid-pass
    # until the interrupt arrives: no race with the end of the conversion.
    code = f"""
        import _thread, os, signal, sys, threading, time, msizarr
        binning = threading.Event()
        def on_progress(event):
            if event.pass_name == "bin" and event.done < event.total:
                binning.set()
                for _ in range(3000):  # KeyboardInterrupt arrives between two sleeps
                    time.sleep(0.01)
        def interrupt():
            binning.wait(300)
            if {how!r} == "SIGINT":
                os.kill(os.getpid(), signal.SIGINT)
            else:
                _thread.interrupt_main()
        threading.Thread(target=interrupt, daemon=True).start()
        try:
            msizarr.convert(sys.argv[1], sys.argv[2], temp_dir=sys.argv[3], memory_limit="48MiB",
                            chunk_size=100, progress=on_progress)
        except KeyboardInterrupt:
            print("interrupted")
        """
    proc = run_py(venv, code, large.imzml, out, spill)
    assert proc.stdout.strip() == "interrupted", proc.stderr
    assert nothing_left(out, spill) == []


def test_callback_exception_cancels(venv, tmp_path, large):
    spill, out = tmp_path / "spill", tmp_path / "out.zarr"
    spill.mkdir()
    code = """
        import sys, msizarr
        def on_progress(event):
            if event.pass_name == "bin":
                raise RuntimeError("enough")
        try:
            msizarr.convert(sys.argv[1], sys.argv[2], temp_dir=sys.argv[3], progress=on_progress)
        except RuntimeError as e:
            print(e)
        """
    assert run_py(venv, code, large.imzml, out, spill).stdout.strip() == "enough"
    assert nothing_left(out, spill) == []


def test_other_threads_run(venv, tmp_path, large):
    """The GIL is released while converting: a Python thread keeps ticking meanwhile."""
    code = """
        import sys, threading, time, msizarr
        ticks, stop = [], threading.Event()
        def tick():
            while not stop.is_set():
                ticks.append(time.monotonic())
                time.sleep(0.002)
        t = threading.Thread(target=tick)
        t.start()
        time.sleep(0.05)
        start = time.monotonic()
        msizarr.convert(sys.argv[1], sys.argv[2], progress=False)
        end = time.monotonic()
        stop.set()
        t.join()
        print(sum(start < x < end for x in ticks), end - start)
        """
    inside, seconds = run_py(venv, code, large.imzml, tmp_path / "out.zarr").stdout.split()
    # held GIL: a handful of ticks at most (when the waiting thread takes the GIL to check for
    # signals); released: one every few ms of the conversion (hundreds)
    assert int(inside) >= 20, (inside, seconds)


def test_warnings_logging_and_progress_events(venv, tmp_path):
    code = """
        import logging, sys, warnings, msizarr
        records = []
        handler = logging.Handler()
        handler.emit = records.append
        logging.getLogger("msizarr").addHandler(handler)
        logging.getLogger("msizarr").setLevel(logging.INFO)
        events = []
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            msizarr.convert(sys.argv[1], sys.argv[2], progress=events.append)
        print([(w.category.__name__, str(w.message), w.filename) for w in caught])
        print([r.getMessage() for r in records])
        print(sorted({e.pass_name for e in events}), events[-1].done == events[-1].total)
        """
    proc = run_py(venv, code, TSF, tmp_path / "out.zarr")
    caught, logged, passes = proc.stdout.splitlines()
    assert "MsizarrWarning" in caught and "no .mis file beside the .d" in caught
    assert "'<string>'" in caught  # attributed to the caller's line
    assert "resampling:" in logged and "wrote " in logged
    assert passes.startswith("['bin', 'scan'") and passes.endswith("True")


def test_docs_examples(venv, tmp_path):
    """The ```python blocks of docs/python.md, in order in one interpreter, from a folder whose
    tests/data is the repository's (as if run from the repository root)."""
    blocks, lang, lines = [], None, []
    for line in (REPO / "docs" / "python.md").read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            if lang is None:
                lang, lines = line[3:].strip(), []
            else:
                if lang == "python":
                    blocks.append("\n".join(lines))
                lang = None
        elif lang is not None:
            lines.append(line)
    code = "\n\n".join(blocks)
    assert "msizarr.convert(" in code and "convert_msi(" in code
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "data").symlink_to(DATA)
    proc = run_py(venv, code, extras=True, cwd=tmp_path)
    assert "Bruker TSF [20, 20, 1]" in proc.stdout
    assert "(20, 20)" in proc.stdout  # the ion image of the store msizarr.read opened
    # tqdm (importable here) draws a bar per pass by default
    assert re.search(r"scan: 100%.*spectra", proc.stderr), proc.stderr
    assert re.search(r"bin: 100%.*spectra", proc.stderr), proc.stderr
    for store in ("processed.zarr", "tsf.zarr", "continuous.zarr", "thyra_style.zarr"):
        assert (tmp_path / store / "zarr.json").is_file(), store
    assert "tsf.report.html" in proc.stdout
    assert b"<img" in (tmp_path / "tsf.report.html").read_bytes()  # the report() example


def test_report_same_as_cli(build_dir, venv, tmp_path):
    """msizarr.report writes the page `msizarr report` writes (byte for byte), beside the store
    by default; it refuses to replace anything but an earlier report, and bad counts."""
    store = tmp_path / "tsf.zarr"
    convert(build_dir, TSF, store, "-q")
    subprocess.run([str(build_dir / "msizarr"), "report", str(store), "-o",
                    str(tmp_path / "cli.html"), "--ions", "4"], check=True)
    (tmp_path / "notes.html").write_text("mine")
    code = """
        import pathlib, sys, msizarr
        store, notes = sys.argv[1], sys.argv[2]
        page = msizarr.report(store + "/", ions=4)
        print(type(page).__name__, page.name)
        for call in (lambda: msizarr.report(store, ions=4),
                     lambda: msizarr.report(store, notes, overwrite=True),
                     lambda: msizarr.report(store, ions=-1)):
            try:
                call()
            except (msizarr.ConversionError, ValueError) as err:
                print(type(err).__name__, "|", err)
        print(msizarr.report(store, ions=4, overwrite=True).name)
        """
    out = run_py(venv, code, store, tmp_path / "notes.html").stdout.splitlines()
    assert out[0].endswith("Path tsf.report.html"), out
    assert (tmp_path / "tsf.report.html").read_bytes() == (tmp_path / "cli.html").read_bytes()
    assert out[1].startswith("ConversionError |") and "tsf.report.html" in out[1], out
    assert out[2].startswith("ConversionError |") and "notes.html" in out[2], out
    assert out[3].startswith("ValueError |") and "ions" in out[3], out
    assert out[4] == "tsf.report.html"
    assert (tmp_path / "notes.html").read_text() == "mine"


def test_readme_python(venv, tmp_path):
    """The README's "From Python" block, where sample.imzML is the bundled imzML example."""
    blocks = re.findall(r"```python\n(.*?)```", (REPO / "README.md").read_text(encoding="utf-8"),
                        re.S)
    (block,) = [b for b in blocks if "import msizarr" in b]
    for suffix in (".imzML", ".ibd"):
        (tmp_path / f"sample{suffix}").write_bytes(PROCESSED.with_suffix(suffix).read_bytes())
    run_py(venv, block + "\nprint(sdata.tables['msi_dataset_z0'].n_obs)", extras=True,
           cwd=tmp_path)
    assert (tmp_path / "sample.zarr" / "zarr.json").is_file()
    assert b"<img" in (tmp_path / "sample.report.html").read_bytes()


def test_pip_install_from_source(tmp_path):
    """The README's `pip install .`, run as written in a fresh venv (with pip, nothing else): the
    package builds from the source tree and converts. The build backend's own dependencies come
    from the lock file, as every test dependency does (PIP_CONSTRAINT reaches the isolated build
    environment of the venv's pip 23; PIP_BUILD_CONSTRAINT is the newer pips' name for it)."""
    env_dir = tmp_path / "env"
    subprocess.run([sys.executable, "-m", "venv", str(env_dir)], check=True)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PIP_CONSTRAINT"] = env["PIP_BUILD_CONSTRAINT"] = str(REPO / "requirements-test.lock")
    proc = subprocess.run([str(env_dir / "bin" / "python"), "-m", "pip", "install", "-q", "."],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=1800)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    run_py(env_dir, """
        import json, pathlib, sys, msizarr
        out = msizarr.convert(sys.argv[1], sys.argv[2], progress=False)
        meta = json.loads((out / "zarr.json").read_text())
        assert meta["zarr_format"] == 3, meta
        """, PROCESSED, tmp_path / "out.zarr")
    cli = subprocess.run([str(env_dir / "bin" / "msizarr"), "--version"], capture_output=True,
                         text=True)
    assert cli.returncode == 0 and "msizarr" in cli.stdout, cli.stdout + cli.stderr
