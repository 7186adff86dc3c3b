"""The public functions. Keyword arguments become ``msizarr convert`` options one to one (the
C library parses and checks them, with the messages the command line prints); this module only
spells Python values as text and accepts Thyra's ``convert_msi`` argument names."""
from __future__ import annotations

import json
import logging
import os
import pathlib
import warnings
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Mapping, Optional, Tuple, Union

from . import _core
from ._progress import Progress, progress_handler

if TYPE_CHECKING:  # pragma: no cover
    import spatialdata

StrPath = Union[str, "os.PathLike[str]"]

ConversionError = _core.ConversionError
ConversionError.__module__ = "msizarr"

_logger = logging.getLogger("msizarr")

# Thyra's resampling_config keys -> msizarr convert options (gap_tolerance: Thyra 3.x).
_RESAMPLING_KEYS = {
    "method": "resample-method",
    "axis_type": "mass-axis-type",
    "target_bins": "resample-bins",
    "min_mz": "resample-min-mz",
    "max_mz": "resample-max-mz",
    "width_at_mz": "resample-width-at-mz",
    "reference_mz": "resample-reference-mz",
    "gap_tolerance": "resample-gap-tolerance",
}
# Thyra's reader_options keys -> msizarr convert options (None: accepted, changes nothing).
_READER_KEYS = {
    "intensity_threshold": "intensity-threshold",
    "region": "region",
    "use_recalibrated_state": None,  # msizarr always uses the original calibration
}


# The keywords of convert() that are `msizarr convert` options ('_' for '-'; the library takes
# both spellings), and the two that Thyra's API names after their unit.
_CLI_KEYWORDS = (
    "dataset_id", "pixel_size_um", "handle_3d", "resample", "sparse_format", "zarr_format",
    "compression", "memory_limit", "threads", "temp_dir", "overwrite", "region", "spectrum_type",
    "duplicates", "resample_method", "mass_axis_type", "resample_bins", "resample_min_mz",
    "resample_max_mz", "resample_width_at_mz", "resample_reference_mz", "resample_gap_tolerance",
    "max_mass_axis_length", "intensity_threshold", "profile_spectra", "z_spacing_um",
    "chunk_size", "streaming", "shapes_compression", "report", "report_ions")
_RENAMED = {"pixel_size_um": "pixel-size", "z_spacing_um": "z-spacing"}


class MsizarrWarning(UserWarning):
    """A warning from the C library (the same text ``msizarr convert`` prints)."""


def _text(value: Any) -> str:
    """A Python value as the command line would spell it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)  # shortest text that reads back as the same double
    if isinstance(value, (str, os.PathLike)):
        return os.fspath(value)
    if hasattr(value, "__index__"):
        return str(value.__index__())
    if hasattr(value, "__float__"):
        return repr(float(value))
    raise TypeError(f"cannot pass {value!r} ({type(value).__name__}) as an option value")


class _Options:
    """The (command-line name, text) pairs for the library, each option given at most once."""

    def __init__(self) -> None:
        self.pairs: Dict[str, Optional[str]] = {}
        self.given_by: Dict[str, str] = {}

    def put(self, name: str, value: Any, keyword: str) -> None:
        if value is None:
            return
        name = name.replace("_", "-")
        if name in self.pairs:
            raise TypeError(f"option --{name} given twice ({self.given_by[name]} and {keyword})")
        self.pairs[name] = _text(value)
        self.given_by[name] = keyword

    def put_mapping(self, mapping: Optional[Mapping[str, Any]], names: Mapping[str, Optional[str]],
                    keyword: str) -> None:
        for key, value in (mapping or {}).items():
            if key not in names:
                valid = ", ".join(sorted(names))
                raise TypeError(f"{keyword}: unknown key {key!r} (valid: {valid})")
            if names[key] is not None:
                self.put(names[key], value, f"{keyword}[{key!r}]")

    def as_list(self) -> List[Tuple[str, Optional[str]]]:
        return list(self.pairs.items())


def _library_log_level() -> int:
    if _logger.isEnabledFor(logging.DEBUG):
        return _core.LOG_DEBUG
    if _logger.isEnabledFor(logging.INFO):
        return _core.LOG_INFO
    return _core.LOG_WARNING


def _on_log(level: int, message: str) -> None:
    """Library messages: warnings to :mod:`warnings`, the rest to the ``msizarr`` logger."""
    if level == _core.LOG_WARNING:
        # 1 this function, 2 convert()/info(), 3 their caller (the C frames in between have none)
        warnings.warn(message, MsizarrWarning, stacklevel=3)
    elif level == _core.LOG_ERROR:
        _logger.error("%s", message)
    elif level == _core.LOG_INFO:
        _logger.info("%s", message)
    else:
        _logger.debug("%s", message)


def _thyra_arguments(opts: _Options, format_type: str, resampling_config: Optional[Mapping],
                     reader_options: Optional[Mapping], include_optical: Optional[bool]) -> None:
    """Thyra's convert_msi arguments that have no msizarr keyword of their own."""
    if str(format_type).lower() != "spatialdata":
        raise ValueError(f"format_type {format_type!r}: msizarr writes SpatialData only")
    opts.put_mapping(resampling_config, _RESAMPLING_KEYS, "resampling_config")
    opts.put_mapping(reader_options, _READER_KEYS, "reader_options")
    if include_optical:
        warnings.warn("msizarr writes no optical images: include_optical=True changes nothing",
                      MsizarrWarning, stacklevel=3)


def convert(
    input_path: StrPath,
    output_path: StrPath,
    *,
    dataset_id: str = "msi_dataset",
    pixel_size_um: Optional[float] = None,
    handle_3d: bool = False,
    resample: bool = True,
    resampling: Optional[Mapping[str, Any]] = None,
    sparse_format: str = "csc",
    zarr_format: int = 3,
    compression: str = "zstd",
    shapes_compression: str = "snappy",
    memory_limit: Union[int, str] = "512MiB",
    threads: Optional[int] = None,
    temp_dir: Optional[StrPath] = None,
    overwrite: bool = False,
    progress: Union[bool, Callable[[Progress], object]] = True,
    region: Optional[Union[int, str]] = None,
    spectrum_type: str = "auto",
    duplicates: str = "error",
    resample_method: Optional[str] = None,
    mass_axis_type: Optional[str] = None,
    resample_bins: Optional[int] = None,
    resample_min_mz: Optional[float] = None,
    resample_max_mz: Optional[float] = None,
    resample_width_at_mz: Optional[float] = None,
    resample_reference_mz: Optional[float] = None,
    resample_gap_tolerance: Optional[float] = None,
    max_mass_axis_length: Optional[int] = None,
    intensity_threshold: Optional[float] = None,
    profile_spectra: bool = False,
    z_spacing_um: Optional[float] = None,
    chunk_size: Optional[int] = None,
    streaming: Union[bool, str] = "auto",
    report: Optional[StrPath] = None,
    report_ions: Optional[int] = None,
    format_type: str = "spatialdata",
    resampling_config: Optional[Mapping[str, Any]] = None,
    reader_options: Optional[Mapping[str, Any]] = None,
    include_optical: Optional[bool] = None,
    apply_optical_alignment: Optional[bool] = None,
) -> pathlib.Path:
    """Convert an imzML file or a Bruker ``.d`` folder into a SpatialData Zarr store.

    Runs the C converter of ``msizarr convert`` with the GIL released (other Python threads keep
    running). The store appears at ``output_path`` only when complete: on an error, or when the
    conversion is interrupted (Ctrl-C, an exception from ``progress``), nothing is left there and
    temporary files are removed.

    Each keyword is the ``msizarr convert`` option of the same name (``_`` for ``-``; see
    ``docs/usage.md``), with the same defaults; ``None`` means the option's default.

    Args:
        input_path: an ``.imzML`` file (its ``.ibd`` beside it) or a Bruker ``.d`` folder.
        output_path: the store to write (a folder, usually ``*.zarr``).
        dataset_id: element name prefix (``msi_dataset_z0``, ...).
        pixel_size_um: pixel size in µm; default: from the metadata (``--pixel-size``).
        handle_3d: one volume instead of one table per z plane.
        resample: resample onto a common mass axis (``False``: the exact union of m/z values).
        resampling: resampling settings as Thyra's ``resampling_config`` dict (``method``,
            ``axis_type``, ``target_bins``, ``min_mz``, ``max_mz``, ``width_at_mz``,
            ``reference_mz``, ``gap_tolerance``); the same as the ``resample_*`` keywords.
        sparse_format: ``"csc"`` or ``"csr"``.
        zarr_format: 3 or 2.
        compression: ``"zstd[:L]"``, ``"gzip[:L]"``, ``"blosc-lz4[:L]"``, ``"blosc-zstd[:L]"``
            or ``"none"``.
        shapes_compression: page codec of the pixel shapes' GeoParquet file: ``"snappy"``
            (pyarrow's default, which every Parquet reader decodes), ``"zstd"``, ``"gzip"`` or
            ``"none"``.
        memory_limit: memory budget, bytes or text such as ``"2GiB"``.
        threads: worker threads (default: one per core, at most 16).
        temp_dir: folder for spill files (default: ``$TMPDIR`` or ``/tmp``).
        overwrite: replace an existing store at ``output_path`` (and an earlier msizarr QC
            report at ``report``; nothing else is ever replaced).
        progress: ``True`` shows a tqdm bar per pass when tqdm is installed, ``False`` nothing;
            a callable receives every :class:`Progress` event instead (an exception it raises
            cancels the conversion and propagates).
        region, spectrum_type, duplicates, resample_method, mass_axis_type, resample_bins,
        resample_min_mz, resample_max_mz, resample_width_at_mz, resample_reference_mz,
        resample_gap_tolerance, max_mass_axis_length, intensity_threshold, profile_spectra,
        chunk_size, streaming: the ``msizarr convert`` options of these names.
        z_spacing_um: distance between z planes in µm (``--z-spacing``).
        report: also write the QC report of the conversion, one self-contained HTML page, at
            this path (``--report``; docs/usage.md "QC report").
        report_ions: ion images per table in the report, the top peaks of the average
            spectrum (default 12, at most 100).
        format_type, resampling_config, reader_options, include_optical,
        apply_optical_alignment: Thyra's ``convert_msi`` arguments, so that a call written for
            Thyra runs unchanged: ``format_type`` must be ``"spatialdata"``;
            ``resampling_config`` is ``resampling``; ``reader_options`` may hold
            ``intensity_threshold``, ``region`` and ``use_recalibrated_state`` (ignored: the
            original calibration is used); msizarr writes no optical images.

    Returns:
        The path of the written store.

    Raises:
        ConversionError: the input or an option is refused, or the conversion failed; the
            message names the file and the problem (options are named as on the command line).
        KeyboardInterrupt: Ctrl-C during the conversion (after clean-up).
    """
    given = locals()
    opts = _Options()
    for keyword in _CLI_KEYWORDS:
        opts.put(_RENAMED.get(keyword, keyword), given[keyword], keyword)
    opts.put_mapping(resampling, _RESAMPLING_KEYS, "resampling")
    _thyra_arguments(opts, format_type, resampling_config, reader_options, include_optical)
    del apply_optical_alignment  # Thyra's: only meaningful with optical images

    handler = progress_handler(progress)
    try:
        summary = _core.convert(input_path, output_path, opts.as_list(),
                                on_progress=handler, on_log=_on_log,
                                log_level=_library_log_level())
    finally:
        if handler is not None and hasattr(handler, "close"):
            handler.close()
    _logger.info("wrote %s: %s; %d pixels, %d bins, %d non-zeros in %.2f s", output_path,
                 summary["plan"], summary["pixels"], summary["bins"], summary["nnz"],
                 summary["seconds"])
    return pathlib.Path(output_path)


def info(path: StrPath, *, verify_checksums: bool = False) -> Dict[str, Any]:
    """Summarise an input without converting it: ``msizarr info --json`` as a dict.

    Keys: ``path``, ``format``, ``mode``, ``n_spectra``, ``total_peaks``, ``grid`` ([x, y, z]),
    ``pixel_size_um`` ([x, y] or None), ``mass_range`` ([min, max] or None), ``mz_type``,
    ``intensity_type``, ``spectrum_type``, ``spectrum_type_declared``, ``polarity``, ``checks``
    (the reader's checks: name, status, detail) and ``metadata`` (everything the reader found).

    Args:
        path: an ``.imzML`` file or a Bruker ``.d`` folder.
        verify_checksums: imzML: hash the ``.ibd`` and compare with the header's checksum.

    Raises:
        ConversionError: the input cannot be opened (the message says why).
    """
    text = _core.info(path, verify_checksums=verify_checksums, on_log=_on_log,
                      log_level=_library_log_level())
    return json.loads(text)


def report(store: StrPath, html: Optional[StrPath] = None, *, ions: int = 12,
           overwrite: bool = False) -> pathlib.Path:
    """Write the QC report of a converted store: ``msizarr report STORE [-o HTML]``.

    One self-contained HTML page (summary, TIC image of every plane, average spectrum with its
    top peaks, an ion image of each); the store is only read. Open it in a browser, or show it
    in a notebook with ``IPython.display.IFrame(str(path), width=1000, height=800)``.

    Args:
        store: a store msizarr wrote (zarr v2 or v3).
        html: the page; default: beside the store, ``run.zarr`` -> ``run.report.html``.
        ions: ion images per table, 0 to 100.
        overwrite: replace ``html`` if it is an earlier msizarr report (never anything else).

    Returns:
        The page's path.

    Raises:
        ConversionError: no store, a store this reader cannot read, ``html`` exists and is not
            an earlier report (or ``overwrite`` is off), ``html`` inside the store, ...
    """
    if html is None:
        base = os.fspath(store).rstrip("/") or "/"
        if len(base) > 5 and base.endswith(".zarr"):
            base = base[:-5]
        html = base + ".report.html"
    _core.report(store, html, ions=int(ions), overwrite=bool(overwrite), on_log=_on_log,
                 log_level=_library_log_level())
    return pathlib.Path(html)


def read(path: StrPath) -> "spatialdata.SpatialData":
    """Open a converted store with spatialdata (``pip install msizarr[spatialdata]``)."""
    try:
        import spatialdata
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError("msizarr.read needs spatialdata: pip install 'msizarr[spatialdata]'"
                          ) from err
    return spatialdata.read_zarr(os.fspath(path))
