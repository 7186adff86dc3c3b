"""Progress events and the tqdm bar shown by default."""
from __future__ import annotations

from typing import Any, Callable, NamedTuple, Optional, Union


class Progress(NamedTuple):
    """One progress report of a conversion pass.

    ``pass_name`` is ``"scan"``, ``"bin"``, ``"transpose"`` or ``"write"``; ``done`` and
    ``total`` count spectra (columns for ``"transpose"``); ``plane`` is the output z plane;
    ``elapsed_s`` the time since the pass started; ``rss_bytes`` the process's resident memory.
    """

    pass_name: str
    plane: int
    done: int
    total: int
    elapsed_s: float
    rss_bytes: int


class _TqdmBars:
    """One tqdm bar per pass (and plane), as the command line draws one line per pass."""

    def __init__(self, tqdm: Any) -> None:
        self._tqdm = tqdm
        self._bar: Any = None
        self._key: Optional[tuple] = None

    def __call__(self, pass_name: str, plane: int, done: int, total: int, elapsed_s: float,
                 rss_bytes: int) -> None:
        key = (pass_name, plane)
        if key != self._key:
            self.close()
            unit = "columns" if pass_name == "transpose" else "spectra"
            desc = pass_name if plane == 0 else f"{pass_name} z{plane}"
            self._bar = self._tqdm(total=total, desc=desc, unit=unit, leave=True)
            self._key = key
        self._bar.update(done - self._bar.n)
        self._bar.set_postfix_str(f"mem {rss_bytes / 2**20:.0f} MiB", refresh=False)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
        self._bar, self._key = None, None


class _Callback:
    """Builds :class:`Progress` events for a user's callable."""

    def __init__(self, fn: Callable[[Progress], object]) -> None:
        self._fn = fn

    def __call__(self, *fields: Any) -> None:
        self._fn(Progress(*fields))


def progress_handler(progress: Union[bool, Callable[[Progress], object]]) -> Optional[Callable]:
    """What the C binding calls with each event: None (no progress), tqdm bars or the user's."""
    if callable(progress):
        return _Callback(progress)
    if not progress:
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    return _TqdmBars(tqdm)
