"""Progress on stderr for work that takes more than a few seconds (tqdm).

Shown only when stderr is a terminal and the command line is not quiet (``-q``): piped,
redirected, captured by a test or run in CI, nothing is written, so stdout and stderr
stay clean for whatever reads them. :func:`bar` counts items (cases, pages, queries);
:func:`activity` shows the elapsed time of one long step that has no count (a HermiT call).
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from dvtkg import logs

T = TypeVar("T")


def enabled() -> bool:
    """A bar is drawn only on a terminal, and not under ``-q``."""
    isatty = getattr(sys.stderr, "isatty", None)
    try:
        on_terminal = bool(isatty and isatty())
    except ValueError:  # a closed stream
        on_terminal = False
    return on_terminal and not logs.quiet()


def bar(items: Iterable[T], desc: str, total: int | None = None, unit: str = "it") -> Iterator[T]:
    """``items`` with a progress bar named ``desc`` (the items themselves when silent)."""
    if not enabled():
        yield from items
        return
    from tqdm import tqdm  # only when a bar is drawn: the command line starts without it

    with tqdm(items, desc=desc, total=total, unit=unit, file=sys.stderr, leave=False, dynamic_ncols=True) as shown:
        yield from shown


@contextmanager
def activity(desc: str, tick: float = 0.5) -> Iterator[None]:
    """The elapsed time of one long step, redrawn every ``tick`` seconds, cleared when it ends."""
    if not enabled():
        yield
        return
    from tqdm import tqdm

    stop = threading.Event()
    with tqdm(total=None, desc=desc, bar_format="{desc}: {elapsed}", file=sys.stderr, leave=False) as shown:

        def redraw() -> None:
            while not stop.wait(tick):
                shown.refresh()

        thread = threading.Thread(target=redraw, name="dvtkg-progress", daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()
