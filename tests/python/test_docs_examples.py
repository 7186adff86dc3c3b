"""The documentation's examples run as tests (in the spirit of jq's tests/man.test and htslib's
bgzip.1): every command of the EXAMPLES section of docs/msizarr.1 and of the ```sh blocks of
docs/usage.md runs with the built msizarr, and the docs must name every option the program
prints in --help, so they cannot fall behind the code.

Commands run through bash (pipefail) in a temporary folder whose `tests/data` is a symlink to the
repository's test data, with the build directory first on PATH and TMPDIR pointing at an empty
folder. A man-page example runs alone; the commands of one usage.md block run in order in one
folder (a later command may rely on an earlier one's output, e.g. --overwrite). Each must exit 0
without an error message; a `convert` must leave a store that spatialdata.read_zarr opens, with
the options' visible effects (sparse format, Zarr format, dataset id) and no temporary files
left behind. The ```python blocks of usage.md run against a converted example store.
"""
import json
import os
import pathlib
import re
import shlex
import shutil
import subprocess
import sys
import warnings

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
MAN = REPO / "docs" / "msizarr.1"
USAGE = REPO / "docs" / "usage.md"
EXAMPLE_STORE_INPUT = "tests/data/imzml-org_examples/Example_Processed.imzML"

# ---- extracting examples ------------------------------------------------------------------

_ROFF_ESCAPES = [
    (re.compile(r"\\f(?:\[[^\]]*\]|\(..|.)"), ""),  # font changes \fB \fI \fP \f(CW \f[B]
    (re.compile(r"\\\(aq"), "'"),
    (re.compile(r"\\\(dq"), '"'),
    (re.compile(r"\\\(em"), "--"),
    (re.compile(r"\\\(en"), "-"),
    (re.compile(r"\\\(->"), "->"),
    (re.compile(r"\\&"), ""),
    (re.compile(r"\\-"), "-"),
    (re.compile(r"\\e"), "\\\\"),
]


def roff_text(line):
    """The text a roff input line shows, for the escapes this man page uses."""
    for pattern, repl in _ROFF_ESCAPES:
        line = pattern.sub(repl, line)
    return line


def man_section(name):
    """Lines (unescaped) of the man page section `.SH name`."""
    out, inside = [], False
    for line in MAN.read_text(encoding="utf-8").splitlines():
        if line.startswith(".SH"):
            inside = line[3:].strip().strip('"') == name
            continue
        if inside:
            out.append(roff_text(line))
    return out


def man_examples():
    return [line.strip() for line in man_section("EXAMPLES") if line.startswith("msizarr ")]


def fenced_blocks(lang):
    """Contents of the ``` fenced blocks of usage.md tagged `lang`, as lists of lines."""
    blocks, current, current_lang = [], None, None
    for line in USAGE.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            if current is None:
                current, current_lang = [], line[3:].strip()
            else:
                if current_lang == lang:
                    blocks.append(current)
                current = None
            continue
        if current is not None:
            current.append(line)
    assert current is None, "unclosed ``` block in docs/usage.md"
    return blocks


def usage_sh_blocks():
    blocks = []
    for block in fenced_blocks("sh"):
        commands = [line.strip() for line in block if line.startswith("msizarr ")]
        others = [line for line in block if line.strip() and not line.startswith(("msizarr ", "#"))]
        assert not others, f"a ```sh block of docs/usage.md has non-msizarr lines: {others}"
        blocks.append(commands)
    return blocks


MAN_CASES = man_examples()
USAGE_CASES = usage_sh_blocks()


def _case_id(prefix, i, commands):
    words = re.sub(r"tests/data/\S*/", "", " ".join(commands)).split()
    return f"{prefix}{i:02d}-" + "-".join(w.lstrip("-") for w in words[1:5])


# ---- running ------------------------------------------------------------------------------


def help_text(build_dir, command):
    proc = subprocess.run([str(build_dir / "msizarr"), command, "--help"], capture_output=True,
                          text=True)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def help_options(build_dir, command):
    """{option: takes_argument} for the long and short options in `msizarr COMMAND --help`."""
    options = {}
    for line in help_text(build_dir, command).splitlines():
        if not line.startswith("  -"):
            continue
        column = re.split(r"\s{2,}", line.strip())[0]  # "-i, --index K" / "--resample / --no-resample"
        if column.startswith("--resample-gap-tolerance"):  # single space before its description
            column = " ".join(column.split()[:2])
        parts = [p.strip() for p in re.split(r",|/", column)]
        takes_arg = bool(re.search(r"\s[A-Z][A-Z_]*$", column))
        for part in parts:
            name = part.split()[0]
            if name.startswith("-"):
                options[name] = takes_arg
    return options


@pytest.fixture(scope="module")
def convert_options(build_dir):
    options = help_options(build_dir, "convert")
    assert options.get("--memory-limit") is True and options.get("--overwrite") is False
    assert options.get("--resample-gap-tolerance") is True and options.get("-q") is False
    return options


def convert_args(tokens, options):
    """Positional arguments and {option: value} of a `msizarr convert ...` token list."""
    positional, values, i = [], {}, 0
    while i < len(tokens):
        tok = tokens[i]
        if tok.startswith("--") and "=" in tok:
            name, value = tok.split("=", 1)
            values[name] = value
        elif tok.startswith("-") and tok != "-":
            assert tok in options, f"example uses an option --help does not list: {tok}"
            if options[tok]:
                i += 1
                values[tok] = tokens[i]
            else:
                values[tok] = True
        else:
            positional.append(tok)
        i += 1
    return positional, values


@pytest.fixture
def workdir(tmp_path):
    """A folder with tests/data -> the repository's test data, and an empty TMPDIR."""
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "data").symlink_to(REPO / "tests" / "data", target_is_directory=True)
    (tmp_path / "tmpdir").mkdir()
    return tmp_path


def run_command(build_dir, workdir, command):
    env = dict(os.environ)
    env["PATH"] = f"{build_dir}{os.pathsep}{env.get('PATH', '')}"
    env["TMPDIR"] = str(workdir / "tmpdir")
    proc = subprocess.run(["bash", "-o", "pipefail", "-c", command], cwd=workdir, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, f"{command}\nexit {proc.returncode}\n{proc.stderr}"
    assert "msizarr: error" not in proc.stderr, proc.stderr
    return proc


def check_store(workdir, output, values):
    import spatialdata as sd

    store = workdir / output
    assert store.is_dir(), f"{output} was not written"
    leftovers = [p.name for p in store.parent.iterdir() if p.name.startswith(f".{store.name}.tmp-")]
    assert not leftovers, leftovers
    zarr_format = values.get("--zarr-format", "3")
    assert (store / ("zarr.json" if zarr_format == "3" else ".zgroup")).is_file()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Zarr v2 stores are read with a UserWarning
        sdata = sd.read_zarr(store)
    assert sdata.tables, f"{output}: no table"
    dataset_id = values.get("--dataset-id", "msi_dataset")
    for name, table in sdata.tables.items():
        assert name == dataset_id or name.startswith(f"{dataset_id}_z"), name
        assert f"{name}_tic" in sdata.images and f"{name}_pixels" in sdata.shapes
        expected = "csr" if values.get("--sparse-format") == "csr" else "csc"
        assert table.X.format == expected, (name, table.X.format)
        assert table.n_obs > 0 and table.n_vars > 0
        assert "mz" in table.var


def check_temp_clean(workdir, values):
    spill_dirs = [workdir / "tmpdir"]
    if "--temp-dir" in values:
        spill_dirs.append(workdir / values["--temp-dir"])
    for folder in spill_dirs:
        left = [p.name for p in folder.iterdir() if p.name.startswith("msizarr-")]
        assert not left, f"temporary files left in {folder}: {left}"


def check_report(page):
    """A QC report page: complete, self-contained, with its images."""
    text = page.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and text.rstrip().endswith("</html>"), page
    assert 'data-kind="tic"' in text and "<script" not in text
    leftovers = [p.name for p in page.parent.iterdir() if p.name.startswith(f".{page.name}.tmp-")]
    assert not leftovers, leftovers


def run_example(build_dir, workdir, command, convert_options):
    tokens = shlex.split(command)
    assert tokens[0] == "msizarr"
    for tok in tokens:
        if tok.startswith("tests/data/"):
            assert (REPO / tok).exists(), f"example names a missing test file: {tok}"
    proc = run_command(build_dir, workdir, command)
    sub = tokens[1]
    if sub == "convert" and "--help" not in tokens and "-h" not in tokens:
        positional, values = convert_args(tokens[2:], convert_options)
        assert len(positional) == 2, f"convert needs INPUT OUTPUT: {command}"
        check_store(workdir, positional[1], values)
        check_temp_clean(workdir, values)
        if "--report" in values:
            check_report(workdir / values["--report"])
    elif sub == "info":
        assert proc.stdout
        if "--json" in tokens or "-j" in tokens:
            assert json.loads(proc.stdout)["n_spectra"] > 0
        else:
            assert proc.stdout.startswith("file:")
    elif sub == "report" and "--help" not in tokens and "-h" not in tokens:
        out = [t for i, t in enumerate(tokens) if i > 0 and tokens[i - 1] in ("-o", "--output")]
        store = [t for i, t in enumerate(tokens[2:], 2)
                 if not t.startswith("-") and tokens[i - 1] not in ("-o", "--output", "--ions")]
        check_report(workdir / (out[0] if out else re.sub(r"\.zarr$", "", store[0]) +
                                ".report.html"))
    elif sub == "dump":
        lines = proc.stdout.splitlines()
        assert lines[0] == "index\tx\ty\tz\tmz\tintensity" and len(lines) > 1
        if "--index" in tokens or "-i" in tokens:
            k = tokens[tokens.index("--index" if "--index" in tokens else "-i") + 1]
            assert all(line.split("\t")[0] == k for line in lines[1:])
    return proc


# ---- the examples -------------------------------------------------------------------------


@pytest.mark.parametrize("command", MAN_CASES,
                         ids=[_case_id("man", i, [c]) for i, c in enumerate(MAN_CASES)])
def test_man_example(build_dir, workdir, convert_options, command):
    run_example(build_dir, workdir, command, convert_options)


@pytest.mark.parametrize("commands", USAGE_CASES,
                         ids=[_case_id("usage", i, c) for i, c in enumerate(USAGE_CASES)])
def test_usage_example_block(build_dir, workdir, convert_options, commands):
    assert commands, "empty ```sh block in docs/usage.md"
    for command in commands:
        run_example(build_dir, workdir, command, convert_options)


PY_BLOCKS = fenced_blocks("python")


@pytest.mark.parametrize("code", ["\n".join(b) for b in PY_BLOCKS],
                         ids=[f"python{i:02d}" for i in range(len(PY_BLOCKS))])
def test_usage_python_block(build_dir, workdir, code):
    """The Python snippets open processed.zarr, the store of the quick-start example."""
    run_command(build_dir, workdir, f"msizarr convert {EXAMPLE_STORE_INPUT} processed.zarr")
    proc = subprocess.run([sys.executable, "-W", "ignore", "-c", code], cwd=workdir,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, f"{code}\n{proc.stderr}"


def test_examples_were_found():
    """Extraction must not silently find nothing, and the usage page covers the main cases."""
    assert len(MAN_CASES) >= 8, MAN_CASES
    assert len(USAGE_CASES) >= 8, USAGE_CASES
    usage = [c for block in USAGE_CASES for c in block]
    assert any(c.startswith("msizarr report ") for c in usage), "no msizarr report example"
    for docs in (MAN_CASES, usage):
        text = "\n".join(docs)
        for needle in ["Example_Processed.imzML", "Example_Continuous.imzML", "example_tsf.d",
                       "--no-resample", "--sparse-format csr", "--zarr-format 2",
                       "--memory-limit", "--threads", "--handle-3d", "msizarr info",
                       "msizarr dump", "--report"]:
            assert needle in text, f"no example with {needle!r}"


# ---- the docs name every option -----------------------------------------------------------


def man_text():
    return "\n".join(roff_text(line) for line in MAN.read_text(encoding="utf-8").splitlines())


def usage_text():
    return USAGE.read_text(encoding="utf-8")


def _mentions(text, option):
    return re.search(rf"(?<![\w-]){re.escape(option)}(?![\w-])", text) is not None


@pytest.mark.parametrize("command", ["convert", "info", "dump", "report"])
@pytest.mark.parametrize("doc", ["msizarr.1", "usage.md"])
def test_docs_name_every_option(build_dir, command, doc):
    text = man_text() if doc == "msizarr.1" else usage_text()
    options = help_options(build_dir, command)
    assert any(o.startswith("--") for o in options)
    missing = [o for o in options if not _mentions(text, o)]
    assert not missing, f"docs/{doc} does not mention {command} options {missing}"


def test_man_documents_only_existing_options(build_dir):
    known = {"--version"}
    for command in ("convert", "info", "dump", "report"):
        known.update(help_options(build_dir, command))
    text = man_text()
    usage = usage_text().split("## Coming from Thyra")[0]  # that section names Thyra's options
    for name, doc in (("msizarr.1", text), ("usage.md", usage)):
        found = set(re.findall(r"(?<![\w-])--[a-z0-9][a-z0-9-]*", doc))
        unknown = sorted(found - known)
        assert not unknown, f"docs/{name} names options msizarr does not have: {unknown}"


def test_man_option_defaults_match_help(build_dir):
    """Defaults printed by `convert --help` appear in the man page entry of that option."""
    sections = {}
    current, tag_next = None, False
    for line in man_section("CONVERT OPTIONS"):
        if line.startswith((".TP", ".SS")):
            current, tag_next = None, line.startswith(".TP")
            continue
        if tag_next:  # the tag line of a .TP entry names the option
            tag_next = False
            m = re.search(r"--[a-z0-9-]+", line)
            current = m.group(0) if m else None
            if current:
                sections[current] = ""
            continue
        if current:
            sections[current] += " " + line
    for line in help_text(build_dir, "convert").splitlines():
        m = re.match(r"\s+(--[a-z0-9-]+).*\(default: ([^;)]+)", line)
        if not m:
            continue
        option, default = m.groups()
        word = default.split()[0].rstrip(",")
        if word in ("from", "the", "one", "on", "$TMPDIR"):  # described in words
            continue
        assert word in sections.get(option, ""), (option, word, sections.get(option))


def test_man_page_renders(tmp_path):
    groff = shutil.which("groff")
    if not groff:
        pytest.skip("groff not installed")
    proc = subprocess.run([groff, "-man", "-Tutf8", "-ww", "-z", str(MAN)], capture_output=True,
                          text=True)
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    proc = subprocess.run([groff, "-man", "-Tutf8", str(MAN)], capture_output=True, text=True)
    for section in ["NAME", "SYNOPSIS", "DESCRIPTION", "COMMANDS", "EXIT STATUS", "ENVIRONMENT",
                    "FILES", "EXAMPLES", "SEE ALSO"]:
        assert re.search(rf"^\S*{section}", re.sub(r".\x08", "", proc.stdout), re.M), section
