"""Type stubs of the C binding (python/src/core.c)."""
import os
from typing import Any, Callable, Dict, List, Optional, Tuple, Union

LOG_ERROR: int
LOG_WARNING: int
LOG_INFO: int
LOG_DEBUG: int

class ConversionError(ValueError):
    code: int
    reason: str

def convert(
    input: Union[str, os.PathLike],
    output: Union[str, os.PathLike],
    options: List[Tuple[str, Optional[str]]],
    on_progress: Optional[Callable[[str, int, int, int, float, int], object]] = ...,
    on_log: Optional[Callable[[int, str], object]] = ...,
    log_level: int = ...,
) -> Dict[str, Any]: ...
def info(
    path: Union[str, os.PathLike],
    verify_checksums: bool = ...,
    on_log: Optional[Callable[[int, str], object]] = ...,
    log_level: int = ...,
) -> str: ...
def report(
    store: Union[str, os.PathLike],
    html: Union[str, os.PathLike],
    ions: int = ...,
    overwrite: bool = ...,
    on_log: Optional[Callable[[int, str], object]] = ...,
    log_level: int = ...,
) -> None: ...
def option_names() -> List[str]: ...
def version() -> str: ...
