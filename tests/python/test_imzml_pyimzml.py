"""Every spectrum msizarr reads equals pyimzML 1.5.5's, value for value, with the same coordinates.

`msizarr dump` prints doubles with 17 significant digits, so float() gives back the exact double;
pyimzML's float32/float64 arrays widen exactly to Python floats.
"""
import pathlib
import subprocess
import warnings

import numpy as np
import pytest

DATA = pathlib.Path(__file__).resolve().parents[1] / "data"
PAIRS = sorted(p for p in DATA.glob("*/*.imzML") if p.stem != "two_precision_terms")


def dump(build_dir, path, *extra):
    proc = subprocess.run([str(build_dir / "msizarr"), "dump", str(path), *extra],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == "index\tx\ty\tz\tmz\tintensity"
    spectra = {}
    for line in lines[1:]:
        i, x, y, z, mz, inten = line.split("\t")
        sp = spectra.setdefault(int(i), {"coord": (int(x), int(y), int(z)), "mz": [], "in": []})
        assert sp["coord"] == (int(x), int(y), int(z))
        sp["mz"].append(float(mz))
        sp["in"].append(float(inten))
    return spectra


def pyimzml_parser(path):
    from pyimzml.ImzMLParser import ImzMLParser
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ImzMLParser(str(path))


def test_pairs_found():
    assert len(PAIRS) == 7, PAIRS


@pytest.mark.parametrize("path", PAIRS, ids=lambda p: p.stem)
def test_every_spectrum_equals_pyimzml(build_dir, path):
    ours = dump(build_dir, path)
    parser = pyimzml_parser(path)
    assert len(parser.coordinates) == len(ours), "spectrum count"
    for i, coord in enumerate(parser.coordinates):
        mz, inten = parser.getspectrum(i)
        sp = ours[i]
        assert sp["coord"] == tuple(int(c) for c in coord), f"spectrum {i} coordinates"
        assert len(sp["mz"]) == len(mz), f"spectrum {i} length"
        # exact equality, value for value (NaN-safe comparison of the bit patterns)
        assert np.array_equal(np.array(sp["mz"]), mz.astype(np.float64)), f"spectrum {i} m/z"
        assert np.array_equal(np.array(sp["in"]), inten.astype(np.float64)), f"spectrum {i} int"


@pytest.mark.parametrize("path", PAIRS[:2], ids=lambda p: p.stem)
def test_random_access_equals_sequential(build_dir, path):
    everything = dump(build_dir, path)
    for k in (len(everything) - 1, 0, len(everything) // 2):
        one = dump(build_dir, path, "--index", str(k))
        assert list(one) == [k]
        assert one[k] == everything[k]


def test_two_precision_terms_refused(build_dir):
    path = DATA / "thyra_fixtures" / "two_precision_terms.imzML"
    proc = subprocess.run([str(build_dir / "msizarr"), "dump", str(path)], capture_output=True,
                          text=True)
    assert proc.returncode == 1
    assert "two_precision_terms.imzML: spectrum 0: m/z array declares 2 data types" in proc.stderr
    assert "MS:1000521 32-bit float and MS:1000523 64-bit float" in proc.stderr
