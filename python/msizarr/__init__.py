"""msizarr: convert mass spectrometry imaging data into SpatialData Zarr stores, at C speed.

Reads imzML (continuous and processed) and Bruker timsTOF ``.d`` folders (TSF and TDF, no vendor
library needed) and writes the SpatialData layout of Thyra, streaming in bounded memory::

    import msizarr
    msizarr.convert("sample.imzML", "sample.zarr")
    sdata = msizarr.read("sample.zarr")        # needs: pip install msizarr[spatialdata]

- :func:`convert` — every ``msizarr convert`` option as a keyword, Thyra's ``convert_msi``
  argument names accepted; a progress bar when tqdm is installed; Ctrl-C cancels cleanly.
- :func:`info` — what ``msizarr info --json`` prints, as a dict.
- :func:`report` — the QC report (one HTML page) of a converted store.
- :func:`read` — open a converted store with spatialdata.
- :class:`ConversionError` — raised with the library's message when a conversion fails.

The package also installs the ``msizarr`` command-line tool. See ``docs/python.md``.
"""
from ._api import ConversionError, MsizarrWarning, Progress, convert, info, read, report
from ._core import version as _library_version

__version__: str = _library_version()

__all__ = ["ConversionError", "MsizarrWarning", "Progress", "convert", "info", "read", "report",
           "__version__"]
