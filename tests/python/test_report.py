"""The QC report (convert --report, msizarr report), checked in a real browser and against the
store: the bundled imzML and Bruker TSF examples are converted with --report (CSC and CSR, Zarr
v3 and v2); headless Chromium (Debian package) opens each page and must see no console error,
no exception, no network request and every image decoded; the TIC PNG's colours order the
pixels as the store's TIC image does (brightest pixel at the same x, y; grey exactly where no
spectrum is stored); the ion images' bins and m/z labels are the top peaks of
uns/average_spectrum by the documented rule, and their colours order the pixels as X's column
does. A store written with --report is the store written without it, and `msizarr report` on
it draws the same images from what it reads back. The Bruker page's screenshot is
docs/report-example.png (MSIZ_UPDATE_REPORT_SCREENSHOT=1 rewrites it).
"""
import base64
import html.parser
import importlib.util
import io
import json
import os
import pathlib
import re
import subprocess
import sys

import anndata as ad
import numpy as np
import pytest
import zarr
from PIL import Image

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from report_browser import Browser, chromium_path  # noqa: E402

REPO = pathlib.Path(__file__).resolve().parents[2]
EXAMPLES = {
    "imzml": "imzml-org_examples/Example_Processed.imzML",
    "tsf": "imzy_example_tsf/example_tsf.d",
}
CASES = [("imzml", "csc", "3"), ("tsf", "csc", "3"), ("imzml", "csr", "2"), ("tsf", "csr", "3")]
GREY = (0xBE, 0xBE, 0xBE)
SCREENSHOT = REPO / "docs" / "report-example.png"


def _viridis():
    spec = importlib.util.spec_from_file_location("gen_viridis", REPO / "scripts" / "gen_viridis.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


VIRIDIS = _viridis().table()
# the 8-bit table repeats two colours: a colour reads back as its first index, which keeps order
CODE = {}
for _i, _rgb in enumerate(VIRIDIS):
    CODE.setdefault(tuple(_rgb), _i)
CODE[GREY] = -1


# ---- the documented peak rule, independently ---------------------------------------------


def top_peaks(a, n):
    """Local maxima (a[i] > 0, above the bin before, not below the bin after) that are the
    highest point of their half-height region (no higher bin, no equal bin before them), highest
    first, ties by bin."""
    a = np.asarray(a, dtype=np.float64)
    m = len(a)
    left = np.ones(m, bool)
    left[1:] = a[1:] > a[:-1]
    right = np.ones(m, bool)
    right[:-1] = a[:-1] >= a[1:]
    cands = np.flatnonzero((a > 0) & left & right)
    cands = sorted(cands.tolist(), key=lambda i: (-a[i], i))
    out = []
    for i in cands:
        if len(out) == n:
            break
        h, half, ok = a[i], a[i] / 2, True
        j = i
        while ok and j > 0 and a[j - 1] >= half:
            j -= 1
            ok = a[j] < h
        j = i
        while ok and j + 1 < m and a[j + 1] >= half:
            j += 1
            ok = a[j] <= h
        if ok:
            out.append(i)
    return out


def test_peak_rule_examples():
    assert top_peaks([0, 1, 3, 7, 10, 8, 8.5, 6, 2, 0], 5) == [4]
    assert top_peaks([0, 5, 9, 5, 1.9, 4, 1, 0], 5) == [2, 5]
    assert top_peaks([0, 3, 3, 3, 0, 3, 0], 5) == [1, 5]


# ---- page parsing -------------------------------------------------------------------------


class Page(html.parser.HTMLParser):
    """The <img> tags, figure captions and text of a report page."""

    def __init__(self, text):
        super().__init__()
        self.images, self.captions, self._caption = [], [], None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.images.append(dict(attrs))
        elif tag == "figcaption":
            self._caption = ""

    def handle_data(self, data):
        if self._caption is not None:
            self._caption += data

    def handle_endtag(self, tag):
        if tag == "figcaption":
            self.captions.append(self._caption)
            self._caption = None

    def kind(self, kind):
        return [i for i in self.images if i.get("data-kind") == kind]


def png_of(img):
    head, data = img["src"].split(",", 1)
    assert head == "data:image/png;base64"
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(data))).convert("RGB"))


def cell_codes(img, shape):
    """Colour index of every grid pixel of an image shown at block 1, checking every PNG pixel
    of a cell has its colour (nearest-neighbour zoom)."""
    assert img["data-block"] == "1"
    zoom = int(img["data-zoom"])
    png = png_of(img)
    h, w = shape
    assert png.shape == (h * zoom, w * zoom, 3)
    cells = png[zoom // 2::zoom, zoom // 2::zoom]
    assert (np.repeat(np.repeat(cells, zoom, 0), zoom, 1) == png).all()
    return np.array([[CODE[tuple(int(c) for c in px)] for px in row] for row in cells])


def check_order(codes, values, stored):
    """Grey exactly where nothing is stored; colours ordered as values; the brightest value has
    the top colour shown."""
    assert ((codes == -1) == ~stored).all()
    v, c = values[stored], codes[stored]
    order = np.argsort(v, kind="stable")
    assert (np.diff(c[order]) >= 0).all(), "colours do not follow the values' order"
    by, bx = np.unravel_index(np.argmax(np.where(stored, values, -np.inf)), values.shape)
    assert codes[by, bx] == c.max()
    assert c.max() == 255  # the scale reaches its top colour


# ---- store access -------------------------------------------------------------------------


class Stored:
    def __init__(self, store, table="msi_dataset_z0"):
        root = zarr.open_group(str(store), mode="r")
        self.tic = np.asarray(root[f"images/{table}_tic/s0"])[0]
        self.x = np.asarray(root[f"tables/{table}/obs/x"])
        self.y = np.asarray(root[f"tables/{table}/obs/y"])
        self.mz = np.asarray(root[f"tables/{table}/var/mz"])
        self.average = np.asarray(root[f"tables/{table}/uns/average_spectrum"])
        self.stored = np.zeros(self.tic.shape, bool)
        self.stored[self.y, self.x] = True
        self.X = ad.read_zarr(str(pathlib.Path(store) / "tables" / table)).X

    def ion_image(self, col):
        img = np.zeros(self.tic.shape)
        img[self.y, self.x] = np.asarray(self.X[:, col].todense()).ravel()
        return img


def run(build_dir, *args, check=True, cwd=None):
    proc = subprocess.run([str(build_dir / "msizarr"), *map(str, args)], capture_output=True,
                          text=True, timeout=600, cwd=cwd)
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


def convert(build_dir, test_data, example, out, *extra):
    """Converts in the output's folder with relative paths, as a user would (the page shows
    them), the test data reached through a tests/data link."""
    folder = pathlib.Path(out).parent
    if not (folder / "tests" / "data").exists():
        (folder / "tests").mkdir(exist_ok=True)
        (folder / "tests" / "data").symlink_to(test_data, target_is_directory=True)
    rel = [os.path.relpath(a, folder) if isinstance(a, pathlib.Path) else a for a in extra]
    run(build_dir, "convert", f"tests/data/{EXAMPLES[example]}", pathlib.Path(out).name, "-q",
        *rel, cwd=folder)


def same_store(a, b):
    """Every file equal, except the conversion timestamp inside the JSON documents."""
    def walk(root):
        return sorted(p.relative_to(root) for p in root.rglob("*") if p.is_file())

    def without_time(doc):
        if isinstance(doc, dict):
            return {k: without_time(v) for k, v in doc.items() if k != "conversion_timestamp"}
        if isinstance(doc, list):
            return [without_time(v) for v in doc]
        return doc

    assert walk(a) == walk(b)
    for rel in walk(a):
        x, y = (a / rel).read_bytes(), (b / rel).read_bytes()
        if rel.name in ("zarr.json", ".zattrs", ".zmetadata"):
            assert without_time(json.loads(x)) == without_time(json.loads(y)), rel
        else:
            assert x == y, rel


# ---- the browser --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser():
    if not chromium_path():
        pytest.fail("chromium is not installed (scripts/install-deps.sh installs it)")
    with Browser() as b:
        yield b


def open_in_browser(browser, page_path):
    """Loads the page; no error, no request, every image decoded. Returns the session."""
    session = browser.open(pathlib.Path(page_path).resolve().as_uri())
    images = browser.evaluate(session, "Array.from(document.images).map(i => ({"
                                       "w: i.naturalWidth, h: i.naturalHeight, c: i.complete, "
                                       "aw: i.width, kind: i.dataset.kind}))")
    assert images, "no image on the page"
    for img in images:
        assert img["c"] and img["w"] > 0 and img["h"] > 0, img
    svg = browser.evaluate(session, "document.querySelectorAll('svg.spectrum path').length")
    assert svg >= 1
    assert browser.problems(session) == []
    return session, images


# ---- the tests ----------------------------------------------------------------------------


@pytest.mark.parametrize("example,sparse,zarr_format", CASES,
                         ids=[f"{e}-{s}-v{z}" for e, s, z in CASES])
def test_report_in_browser_and_against_store(build_dir, test_data, tmp_path, browser, example,
                                             sparse, zarr_format):
    name = pathlib.Path(EXAMPLES[example]).stem
    store, page = tmp_path / f"{name}.zarr", tmp_path / f"{name}.report.html"
    options = ["--sparse-format", sparse, "--zarr-format", zarr_format]
    convert(build_dir, test_data, example, store, *options, "--report", page)
    convert(build_dir, test_data, example, tmp_path / "plain.zarr", *options)
    same_store(store, tmp_path / "plain.zarr")  # the report does not change the store

    s = Stored(store)
    text = page.read_text(encoding="utf-8")
    p = Page(text)
    session, shown = open_in_browser(browser, page)
    assert len(shown) == len(p.images)
    if example == "tsf" and sparse == "csc":
        shot = browser.screenshot(session)
        image = Image.open(io.BytesIO(shot))
        assert image.size[0] == 1280 and image.size[1] > 2000
        if os.environ.get("MSIZ_UPDATE_REPORT_SCREENSHOT") == "1":
            SCREENSHOT.write_bytes(shot)
    browser.close_page(session)

    (tic,) = p.kind("tic")
    check_order(cell_codes(tic, s.tic.shape), s.tic, s.stored)

    want = top_peaks(s.average, 12)
    ions = p.kind("ion")
    assert [int(i["data-bin"]) for i in ions] == want
    assert [int(i["data-rank"]) for i in ions] == list(range(1, len(want) + 1))
    ion_captions = [c for c in p.captions if c.startswith("#")]
    for img, caption, col in zip(ions, ion_captions, want):
        assert float(img["data-mz"]) == s.mz[col]  # exactly the bin's m/z
        assert caption == f"#{img['data-rank']}  m/z {s.mz[col]:.4f}"
        check_order(cell_codes(img, s.tic.shape), s.ion_image(col), s.stored)

    # an existing store read back by the library gives the same images
    again = tmp_path / "again.html"
    run(build_dir, "report", store, "-o", again, "-q")
    q = Page(again.read_text(encoding="utf-8"))
    assert "Made from an existing store" in again.read_text(encoding="utf-8")
    assert [i["data-bin"] for i in q.kind("ion")] == [i["data-bin"] for i in ions]
    for a, b in zip(p.kind("tic") + ions, q.kind("tic") + q.kind("ion")):
        assert (png_of(a) == png_of(b)).all()
        assert a["data-vmax"] == b["data-vmax"]
    browser.close_page(open_in_browser(browser, again)[0])


def test_summary_facts(build_dir, test_data, tmp_path):
    page = tmp_path / "tsf.html"
    convert(build_dir, test_data, "tsf", tmp_path / "tsf.zarr", "--report", page)
    text = page.read_text(encoding="utf-8")
    facts = dict(re.findall(r"<tr><th>([^<]*)</th><td>([^<]*)</td></tr>", text))
    for key in ("input", "format", "grid", "pixels", "bins", "non-zeros", "mass axis",
                "m/z range", "pixel size", "memory", "time"):
        assert key in facts, key
    assert facts["mass axis"].startswith("reflector_tof, 321887 bins; automatic: timsTOF")
    assert facts["pixel size"] == "20 \u00b5m, from the input&#39;s metadata (motor_step)"
    assert facts["grid"] == "20 x 20 x 1 (1 table)"
    assert "no .mis file beside the .d" in text  # the reader's warning, with its count
    assert re.search(r"<tr><td>1</td><td>[^<]*no \.mis file", text)
    assert "sd.read_zarr(&quot;" in text and "<script" not in text
    assert SCREENSHOT.is_file(), "docs/report-example.png is missing"
    assert Image.open(SCREENSHOT).size[0] == 1280


def test_imzml_checks_and_no_ions(build_dir, test_data, tmp_path):
    page = tmp_path / "p.html"
    convert(build_dir, test_data, "imzml", tmp_path / "p.zarr", "--report", page,
            "--report-ions", "0")
    text = page.read_text(encoding="utf-8")
    assert 'class="check-passed">passed</td><th>uuid</th>' in text  # the checks info runs
    assert not Page(text).kind("ion")


def test_report_refusals(build_dir, test_data, tmp_path):
    page = tmp_path / "exists.html"
    page.write_text("mine")
    proc = run(build_dir, "convert", test_data / EXAMPLES["imzml"], tmp_path / "a.zarr",
               "--report", page, check=False)
    assert proc.returncode == 1 and "report exists" in proc.stderr
    assert not (tmp_path / "a.zarr").exists() and page.read_text() == "mine"
    proc = run(build_dir, "convert", test_data / EXAMPLES["imzml"], tmp_path / "a.zarr",
               "--report", tmp_path / "a.zarr" / "r.html", check=False)
    assert proc.returncode == 1 and "inside the store" in proc.stderr
    proc = run(build_dir, "convert", test_data / EXAMPLES["imzml"], tmp_path / "a.zarr",
               "--report-ions", "101", check=False)
    assert proc.returncode == 2
    proc = run(build_dir, "convert", test_data / EXAMPLES["imzml"], tmp_path / "a.zarr",
               "--report", page, "--overwrite", check=False)  # not a page of ours
    assert proc.returncode == 1 and "is not an msizarr QC report" in proc.stderr
    assert page.read_text() == "mine"
    page.unlink()
    run(build_dir, "convert", test_data / EXAMPLES["imzml"], tmp_path / "a.zarr", "--report",
        page, "-q")
    assert page.read_text().startswith("<!DOCTYPE html>")
    # a conversion that fails after its first table started leaves no page and no part file
    failed = tmp_path / "failed.html"
    proc = run(build_dir, "convert", test_data / EXAMPLES["imzml"], tmp_path / "f.zarr",
               "--report", failed, "--resample-min-mz", "5000", "--resample-max-mz", "6000",
               check=False)
    assert proc.returncode == 1 and "no peak falls inside" in proc.stderr
    assert not failed.exists() and not (tmp_path / "f.zarr").exists()
    proc = run(build_dir, "report", tmp_path, check=False)
    assert proc.returncode == 1 and "not a Zarr store" in proc.stderr
    run(build_dir, "report", tmp_path / "a.zarr", "--ions", "3", "-q")
    default = tmp_path / "a.report.html"
    assert len(Page(default.read_text(encoding="utf-8")).kind("ion")) == 3
    proc = run(build_dir, "report", tmp_path / "a.zarr", check=False)
    assert proc.returncode == 1 and "report exists" in proc.stderr
    assert not [p.name for p in tmp_path.iterdir() if ".tmp-" in p.name]


def test_viridis_table_is_generated(tmp_path):
    out = tmp_path / "viridis.c"
    subprocess.run([sys.executable, str(REPO / "scripts" / "gen_viridis.py"), str(out)],
                   check=True)
    assert out.read_text() == (REPO / "src" / "report" / "viridis.c").read_text()
    assert VIRIDIS[0] == [0x44, 0x01, 0x54] and VIRIDIS[255] == [0xFD, 0xE7, 0x25]


# ---- sizes and shapes beyond the bundled examples -----------------------------------------


def block_means(values, stored, block):
    """Mean of the stored values of every block x block block (NaN where none is stored)."""
    h, w = values.shape
    H, W = -(-h // block), -(-w // block)
    pad = np.zeros((H * block, W * block))
    cnt = np.zeros_like(pad)
    pad[:h, :w] = np.where(stored, values, 0)
    cnt[:h, :w] = stored
    sums = pad.reshape(H, block, W, block).sum(axis=(1, 3))
    counts = cnt.reshape(H, block, W, block).sum(axis=(1, 3))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, sums / counts, np.nan)


def check_downsampled(img, values, stored):
    """Every image pixel has the colour of its block's mean (within one step of 256: the sums
    may be added in another order), grey where the block stores nothing."""
    block, zoom = int(img["data-block"]), int(img["data-zoom"])
    vmin, vmax = float(img["data-vmin"]), float(img["data-vmax"])
    means = block_means(values, stored, block)
    png = png_of(img)
    assert png.shape[:2] == (means.shape[0] * zoom, means.shape[1] * zoom)
    codes = np.array([[CODE[tuple(int(c) for c in px)] for px in row]
                      for row in png[zoom // 2::zoom, zoom // 2::zoom]])
    assert ((codes == -1) == np.isnan(means)).all()
    want = np.clip(np.floor((means - vmin) / (vmax - vmin) * 256), 0, 255)
    ok = ~np.isnan(means)
    assert (np.abs(codes[ok] - want[ok]) <= 1).all()
    return block


def test_large_grid_is_downsampled(build_dir, tmp_path):
    from imzml_synth import write_processed

    synth = write_processed(tmp_path / "wide", n_x=1500, n_y=30, peaks=4, missing=0.2, seed=3)
    for sparse in ("csc", "csr"):
        store, page = tmp_path / f"wide_{sparse}.zarr", tmp_path / f"wide_{sparse}.html"
        run(build_dir, "convert", synth.imzml, store, "-q", "--sparse-format", sparse,
            "--report", page, "--report-ions", "3", "--memory-limit", "64MiB")
        s = Stored(store)
        p = Page(page.read_text(encoding="utf-8"))
        (tic,) = p.kind("tic")
        assert check_downsampled(tic, s.tic, s.stored) == 2  # 1500 > 1024 cells
        ions = p.kind("ion")
        assert [int(i["data-bin"]) for i in ions] == top_peaks(s.average, 3)
        for img in ions:
            assert check_downsampled(img, s.ion_image(int(img["data-bin"])), s.stored) == 3
        assert "downsampled: each image pixel is the mean" in page.read_text(encoding="utf-8")
        assert page.stat().st_size < 4_000_000


def test_planes_and_volume(build_dir, tmp_path, browser):
    from imzml_synth import write_processed

    synth = write_processed(tmp_path / "planes", n_x=12, n_y=9, n_z=3, peaks=6, missing=0.1,
                            seed=5)
    store, page = tmp_path / "planes.zarr", tmp_path / "planes.html"
    run(build_dir, "convert", synth.imzml, store, "-q", "--report", page)
    p = Page(page.read_text(encoding="utf-8"))
    tics = p.kind("tic")
    assert [t["data-table"] for t in tics] == [f"msi_dataset_z{z}" for z in range(3)]
    for t in tics:
        s = Stored(store, t["data-table"])
        check_order(cell_codes(t, s.tic.shape), s.tic, s.stored)
        mine = [i for i in p.kind("ion") if i["data-table"] == t["data-table"]]
        assert [int(i["data-bin"]) for i in mine] == top_peaks(s.average, 12)

    store, page = tmp_path / "volume.zarr", tmp_path / "volume.html"
    run(build_dir, "convert", synth.imzml, store, "-q", "--handle-3d", "--report", page,
        "--sparse-format", "csr")
    p = Page(page.read_text(encoding="utf-8"))
    root = zarr.open_group(str(store), mode="r")
    volume = np.asarray(root["images/msi_dataset_tic/s0"])[0]  # (z, y, x)
    x, y, z = (np.asarray(root[f"tables/msi_dataset/obs/{c}"]) for c in "xyz")
    tics = p.kind("tic")
    assert [t["data-z"] for t in tics] == ["0", "1", "2"]
    for k, t in enumerate(tics):
        stored = np.zeros(volume.shape[1:], bool)
        stored[y[z == k], x[z == k]] = True
        check_order(cell_codes(t, volume.shape[1:]), volume[k], stored)
    avg = np.asarray(root["tables/msi_dataset/uns/average_spectrum"])
    assert [int(i["data-bin"]) for i in p.kind("ion")] == top_peaks(avg, 12)
    browser.close_page(open_in_browser(browser, page)[0])
