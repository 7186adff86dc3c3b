"""CLI table tests for `msizarr info` and `msizarr dump` (style of htslib's tabix.tst):
each row is a command line, the expected exit code and fragments expected on stdout / stderr."""
import json
import pathlib
import subprocess

import pytest

DATA = pathlib.Path(__file__).resolve().parents[1] / "data"
CONT = DATA / "imzml-org_examples" / "Example_Continuous.imzML"
PROC = DATA / "imzml-org_examples" / "Example_Processed.imzML"
SIMPLE = DATA / "imzy_simple_imzml" / "simple_imzml.imzML"
UUID_CONT = "554a27fa79d247669a2c862e6d78b1f3"
TWO = DATA / "thyra_fixtures" / "two_precision_terms.imzML"

# (arguments, exit code, stdout fragments, stderr fragments)
TABLE = [
    (["--version"], 0, ["msizarr 0."], []),
    (["--help"], 0, ["usage: msizarr <command>", "info", "dump"], []),
    ([], 2, [], ["usage: msizarr <command>"]),
    (["frobnicate"], 2, [], ["unknown command 'frobnicate'"]),
    (["info"], 2, [], ["info needs exactly one input FILE"]),
    (["info", "--bogus", CONT], 2, [], ["Try 'msizarr info --help'"]),
    (["info", "--help"], 0, ["usage: msizarr info FILE [--json]"], []),
    (["info", CONT], 0,
     ["mode:           continuous", "spectra:        9", "grid:           3 x 3 x 1",
      "pixel size:     100 x 100 um", "mass range:     100.08333587646484 - 799.91668701171875",
      "data types:     m/z float32, intensity float32", "representation: profile (declared)",
      "polarity:       negative", "passed   uuid:", "passed   arrays inside .ibd:"], []),
    (["info", PROC], 0, ["mode:           processed", "total peaks:    75591",
                         "mass range:     not stated"], []),
    (["info", SIMPLE], 0, ["grid:           2 x 3 x 1", "data types:     m/z float64, intensity float32",
                           "warning  pixel size"], ["msizarr: warning: ", "has no unit"]),
    (["info", TWO], 1, [], ["msizarr: error: ", "two_precision_terms.imzML: spectrum 0: m/z array "
                            "declares 2 data types"]),
    (["info", DATA / "nope.imzML"], 1, [], ["msizarr: error: ", "nope.imzML: input not found"]),
    (["info", DATA / "SOURCES.md"], 1, [], ["not an .imzML file or a Bruker .d folder"]),
    (["dump"], 2, [], ["dump needs exactly one input FILE"]),
    (["dump", "--index", "x1", SIMPLE], 2, [], ["--index needs a non-negative integer, not 'x1'"]),
    (["dump", "--index", "-1", SIMPLE], 2, [], ["--index needs a non-negative integer"]),
    (["dump", "--help"], 0, ["usage: msizarr dump FILE [--index K]"], []),
    (["info", "--help"], 0, ["-v, --verbose", "--log-level LEVEL"], []),
    (["dump", "--help"], 0, ["-v, --verbose", "--log-level LEVEL"], []),
    (["convert", "--help"], 0, ["-v, --verbose", "--log-level LEVEL"], []),
    (["report", "--help"], 0, ["-v, --verbose", "--log-level LEVEL"], []),
    (["dump", SIMPLE], 0, ["index\tx\ty\tz\tmz\tintensity\n0\t1\t1\t1\t1\t280547.90625\n",
                           "4\t2\t3\t1\t"], ["has no unit"]),
    (["dump", "--index", "2", SIMPLE], 0, ["index\tx\ty\tz\tmz\tintensity\n2\t2\t1\t1\t1\t708434.5\n"],
     ["has no unit"]),
    (["dump", "-i", "5", SIMPLE], 1, ["index\tx\ty\tz\tmz\tintensity\n"],
     ["spectrum index 5 out of range (5 spectra)"]),
    (["dump", "--index", "0", CONT], 0, ["0\t1\t1\t1\t100.08333587646484\t0\n"], []),
]


@pytest.mark.parametrize("args,code,out,err", TABLE, ids=lambda v: None)
def test_cli_table(build_dir, args, code, out, err):
    proc = subprocess.run([str(build_dir / "msizarr"), *map(str, args)], capture_output=True,
                          text=True)
    assert proc.returncode == code, (args, proc.stdout, proc.stderr)
    for fragment in out:
        assert fragment in proc.stdout, (fragment, proc.stdout)
    for fragment in err:
        assert fragment in proc.stderr, (fragment, proc.stderr)
    if code == 0 and not err:
        assert proc.stderr == "", proc.stderr


def test_info_json_is_one_object(build_dir):
    proc = subprocess.run([str(build_dir / "msizarr"), "info", "--json", str(CONT)],
                          capture_output=True, text=True)
    assert proc.returncode == 0
    info = json.loads(proc.stdout)
    assert info["mode"] == "continuous" and info["n_spectra"] == 9
    assert info["grid"] == [3, 3, 1] and info["pixel_size_um"] == [100.0, 100.0]
    assert info["mass_range"] == [100.08333587646484, 799.9166870117188]
    assert {c["name"]: c["status"] for c in info["checks"]}["uuid"] == "passed"
    fs = info["metadata"]["format_specific"]
    assert fs["uuid"] == UUID_CONT
    assert fs["file_mode"] == "continuous" and fs["spectrum_count"] == 9
    raw = info["metadata"]["raw_metadata"]
    assert raw["max count of pixels x"] == 3 and raw["pixel size x"] == 100.0
    params = {p["name"]: p["value"] for p in raw["cvParams"]}
    assert params["continuous"] == "" and params["universally unique identifier"] == UUID_CONT
    assert info["metadata"]["instrument_info"]["software"] == "Xcalibur"


def test_dump_full_write_error(build_dir):
    """A failed write of stdout (here /dev/full) is an error, exit code 1."""
    with open("/dev/full", "w") as full:
        proc = subprocess.run([str(build_dir / "msizarr"), "dump", str(CONT)], stdout=full,
                              stderr=subprocess.PIPE, text=True)
    assert proc.returncode == 1
    assert "msizarr: error: writing the output failed" in proc.stderr


# -v / --verbose and --log-level mean the same in every subcommand (issue 10 item 1).
COMMANDS = {"info": ["info", SIMPLE], "dump": ["dump", "--index", "0", SIMPLE],
            "convert": ["convert", SIMPLE, "OUT", "--pixel-size", "25"]}


def run_cli(build_dir, tmp_path, argv, *extra):
    argv = [str(tmp_path / "out.zarr") if a == "OUT" else str(a) for a in argv]
    return subprocess.run([str(build_dir / "msizarr"), *argv, *extra], capture_output=True,
                          text=True, timeout=120)


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("options,warnings,info,debug", [
    ([], True, False, False),
    (["-v"], True, True, False),
    (["--verbose"], True, True, False),
    (["-vv"], True, True, True),
    (["-v", "-v"], True, True, True),
    (["--log-level", "info"], True, True, False),
    (["--log-level", "DEBUG"], True, True, True),
    (["--log-level", "error"], False, False, False),
    (["--log-level", "error", "-v"], True, False, False),
], ids=lambda v: " ".join(v) if isinstance(v, list) else None)
def test_log_options_same_in_every_command(build_dir, tmp_path, command, options, warnings, info,
                                           debug):
    proc = run_cli(build_dir, tmp_path, COMMANDS[command], *options)
    assert proc.returncode == 0, proc.stderr
    assert ("msizarr: warning: " in proc.stderr) == warnings, proc.stderr
    assert "msizarr: info: " not in proc.stderr or info, proc.stderr
    assert "msizarr: debug: " not in proc.stderr or debug, proc.stderr
    if command == "convert":  # info and debug messages that convert always has: plan, memory
        assert ("msizarr: info: resampling: " in proc.stderr) == info, proc.stderr
        assert ("msizarr: debug: memory: " in proc.stderr) == debug, proc.stderr


@pytest.mark.parametrize("command", sorted(COMMANDS) + ["report"])
@pytest.mark.parametrize("options,fragment", [
    (["-v", "DEBUG"], "(-v takes no value: use --log-level LEVEL)"),
    (["--log-level", "loud"], "--log-level: unknown value 'loud'"),
    (["--log-level"], "requires an argument"),
], ids=lambda v: " ".join(v) if isinstance(v, list) else None)
def test_log_option_errors(build_dir, tmp_path, command, options, fragment):
    argv = COMMANDS.get(command, ["report", "OUT"])  # parse errors come before the store is read
    proc = run_cli(build_dir, tmp_path, argv, *options)
    assert proc.returncode == 2, proc.stderr
    assert fragment in proc.stderr, proc.stderr
    assert f"Try 'msizarr {command} --help'" in proc.stderr
    assert not (tmp_path / "out.zarr").exists()
