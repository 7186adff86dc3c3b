"""imzML header metadata kept whole and typed (issue 9 item 4), next to thyra 1.27.3.

For every real imzML pair in tests/data the store's `uns/raw_metadata`, read back with
spatialdata (anndata underneath), holds every key Thyra writes with the same value and the same
type (pyimzML's imzmldict: `max count of pixels x/y/z`, `max dimension x/y`, `pixel size x/y`,
laser terms found anywhere in the instrument configuration...). `cvParams` is a dataframe whose
`name` column lists Thyra's names in Thyra's order; `header_params` holds every cvParam and
userParam of the header (outside the spectrum list) in document order. userParam names, however
hostile, are values in those tables, never paths (issue 13 item 6).
"""
import pathlib
import re
import warnings
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from conftest import TEST_DATA
from convert_common import convert
from test_imzml_edge_cases import make_pair

# two_precision_terms is refused (docs/imzml.md, "Refusals, and why")
PAIRS = sorted(p for p in TEST_DATA.glob("*/*.imzML") if p.stem != "two_precision_terms")


def read_table(store):
    """The table as spatialdata reads it."""
    import spatialdata as sd

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return sd.read_zarr(store).tables["msi_dataset_z0"]


def read_uns(store):
    """uns alone, decoded by anndata (quicker than the whole SpatialData object)."""
    import zarr
    from anndata.io import read_elem

    return read_elem(zarr.open_group(str(store), mode="r")["tables/msi_dataset_z0/uns"])


def thyra_raw_metadata(path):
    """What thyra 1.27.3 puts in uns/raw_metadata for this file (its metadata extractor)."""
    pytest.importorskip("thyra")
    from pyimzml.ImzMLParser import ImzMLParser
    from thyra.metadata.extractors.imzml_extractor import ImzMLMetadataExtractor

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parser = ImzMLParser(str(path))
        return ImzMLMetadataExtractor(parser, pathlib.Path(path)).get_comprehensive().raw_metadata


def header_params_of(path):
    """(element, name as written, value) of every cvParam / userParam outside spectrumList."""
    rows = []

    def walk(elem):
        tag = elem.tag.split("}")[-1]
        if tag in ("spectrumList", "chromatogramList"):
            return
        if tag in ("cvParam", "userParam"):
            rows.append((tag, elem.get("name") or "", elem.get("value") or ""))
        for child in elem:
            walk(child)

    walk(ET.parse(path).getroot())
    return rows


@pytest.fixture(scope="module")
def stores(build_dir, tmp_path_factory):
    out = {}
    tmp = tmp_path_factory.mktemp("raw")
    for path in PAIRS:
        store = tmp / f"{path.parent.name}_{path.stem}.zarr"
        convert(build_dir, path, store, "--quiet", "--pixel-size", 20)
        out[path] = store
    return out


@pytest.mark.parametrize("path", PAIRS, ids=lambda p: p.stem)
def test_thyra_keys_values_and_types(stores, path):
    theirs = thyra_raw_metadata(path)
    ours = read_uns(stores[path])["raw_metadata"]
    assert set(theirs) <= set(ours), set(theirs) - set(ours)
    for key, value in theirs.items():
        if key == "cvParams":
            continue
        mine = ours[key]
        assert mine == value, key
        # typed as Thyra types them: int stays int, float stays float
        assert isinstance(mine, (int, np.integer)) == isinstance(value, (int, np.integer)), key
    # cvParams: a dataframe indexed naturally, Thyra's names in Thyra's order
    cv = ours["cvParams"]
    assert list(cv["name"]) == [p["name"] for p in theirs["cvParams"]]
    for value, p in zip(cv["value"], theirs["cvParams"]):
        # Thyra keeps pyimzML's parsed value (True for a flag term); we keep the text as written
        assert value == ("" if p["value"] is True else str(p["value"]))
    assert set(cv.columns) == {"name", "value", "accession", "unit_accession", "unit_name"}


@pytest.mark.parametrize("path", PAIRS, ids=lambda p: p.stem)
def test_every_header_param_kept(stores, path):
    hp = read_uns(stores[path])["raw_metadata"]["header_params"]
    expected = header_params_of(path)
    assert len(hp) == len(expected)
    assert list(hp["element"]) == [e for e, _, _ in expected]
    assert list(hp["value"]) == [v for _, _, v in expected]
    # names: canonical for the accessions the reader knows (as pyimzML renames), else as written
    for name, acc, (_, written, _) in zip(hp["name"], hp["accession"], expected):
        assert name == written or acc, (name, written)  # renamed by accession only
    assert all(s and not s.startswith("/") for s in hp["section"])


def test_laser_terms_inside_the_component_list(stores):
    """The example files keep the laser terms in <componentList><source>: found as pyimzML
    finds them (they used to be missing), typed float, and in acquisition_params."""
    table = read_table(stores[TEST_DATA / "imzml-org_examples" / "Example_Continuous.imzML"])
    raw = table.uns["raw_metadata"]
    assert raw["attenuation"] == 50.0 and raw["focus diameter x"] == 10.0
    assert raw["pulse duration"] == 10.0 and raw["pulse energy"] == 10.0
    assert raw["max count of pixels z"] == 1 and isinstance(raw["max count of pixels z"],
                                                            (int, np.integer))
    assert table.uns["acquisition_params"]["laser_power"] == "10.0"
    hp = raw["header_params"]
    source = hp[hp["section"].str.endswith("componentList/source[1]")]
    assert "attenuation" in set(source["name"])


def test_thyra_store_side_by_side(build_dir, tmp_path, stores):
    """A store Thyra wrote, read back by anndata: same raw_metadata keys and values."""
    pytest.importorskip("thyra")
    import zarr
    from anndata.io import read_elem
    from thyra.convert import convert_msi

    path = TEST_DATA / "imzml-org_examples" / "Example_Continuous.imzML"
    out = tmp_path / "thyra.zarr"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert convert_msi(str(path), str(out), pixel_size_um=20.0, streaming=False)
    theirs = read_elem(zarr.open_group(str(out), mode="r")["tables/msi_dataset_z0/uns"])
    ours = read_uns(stores[path])
    theirs, ours = theirs["raw_metadata"], ours["raw_metadata"]
    assert set(theirs) <= set(ours)
    for key in set(theirs) - {"cvParams"}:
        assert ours[key] == theirs[key], key
    # Thyra's cvParams is a string-array of Python dict reprs; ours is a table
    assert [re.search(r"'name': '([^']*)'", s).group(1) for s in theirs["cvParams"]] == \
        list(ours["cvParams"]["name"])


HOSTILE_NAMES = ["A*b", "a/b", "..", "", "x" * 3000, "zarr.json", "é/ü", "__dunder"]


def test_hostile_user_param_names_are_data(build_dir, tmp_path):
    """userParams with any name, in fileContent and in the scan settings: the conversion goes on
    and the names are values of raw_metadata's tables (pyimzML's names, in its order)."""
    import anndata
    from pyimzml.ImzMLParser import ImzMLParser

    users = "".join(f'<userParam name="{n}" value="v{i}" type="xsd:string"/>'
                    for i, n in enumerate(HOSTILE_NAMES))
    path = make_pair(tmp_path, file_extra=users)
    text = path.read_text().replace("</scanSettings>", users + "</scanSettings>")
    text = text.replace("</scanSettingsList>", "</scanSettingsList>"
                        '<instrumentConfigurationList count="1"><instrumentConfiguration id="ic"/>'
                        "</instrumentConfigurationList>")
    path.write_text(text)
    store = tmp_path / "out.zarr"
    convert(build_dir, path, store, "--quiet")
    portable = re.compile(r"^[A-Za-z0-9_. -]+$")
    assert all(portable.match(p.name) for p in store.rglob("*")), "a name became a path"
    raw = read_table(store).uns["raw_metadata"]
    hp = raw["header_params"]
    users_kept = hp[hp["element"] == "userParam"]
    assert list(users_kept["name"]) == HOSTILE_NAMES * 2
    assert list(users_kept["section"]) == (["fileDescription/fileContent"] * len(HOSTILE_NAMES) +
                                           ["scanSettingsList/scanSettings[ss1]"] *
                                           len(HOSTILE_NAMES))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parser = ImzMLParser(str(path))
    assert list(raw["cvParams"]["name"]) == list(parser.metadata.file_description.param_by_name)
    # anndata alone reads the table too
    adata = anndata.read_zarr(store / "tables" / "msi_dataset_z0")
    assert list(adata.uns["raw_metadata"]["cvParams"]["value"])[:len(HOSTILE_NAMES)] == \
        [f"v{i}" for i in range(len(HOSTILE_NAMES))]
