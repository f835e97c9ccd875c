"""Diagnostics on stderr through :mod:`logging`: ``-v`` / ``-q`` and ``--log-format text|json``.

Everything under the ``dvtkg`` logger is a diagnostic (errors, warnings, progress notes,
timings); a command's real output (a report, query rows, JSON) goes to stdout and never
through here. :func:`configured` sets the ``dvtkg`` logger up for one command-line run and
puts it back as it was afterwards, so nothing stays configured in a library user's process.

Levels: the default shows info and above; ``-v`` adds debug; ``-q`` shows warnings and
errors only; ``-qq`` errors only. The text format keeps the command line's usual lines
(``dvtkg: error: ...``; info as the bare message); the JSON format writes one object per
line: ``{"time", "level", "logger", "message"}`` and ``"exception"`` when there is one.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from functools import wraps
from typing import ParamSpec, TypeVar

LOGGER = "dvtkg"
FORMATS = ("text", "json")

P = ParamSpec("P")
R = TypeVar("R")


def get(name: str) -> logging.Logger:
    """The logger of a dvtkg module (``get(__name__)``), under the ``dvtkg`` logger."""
    return logging.getLogger(name if name == LOGGER or name.startswith(LOGGER + ".") else f"{LOGGER}.{name}")


class _CurrentStderr(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at the time (pytest's capture replaces it)."""

    def __init__(self) -> None:
        super().__init__()

    @property  # read-only here: always the current sys.stderr
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:
        pass


class TextFormatter(logging.Formatter):
    """``dvtkg: error: ...`` / ``dvtkg: warning: ...``; info as the bare message; ``dvtkg: debug: ...``.

    A record logged with ``extra={"bare": True}`` is written as its message alone
    (``dvtkg: interrupted``)."""

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        if not getattr(record, "bare", False) and record.levelno != logging.INFO:
            level = "error" if record.levelno >= logging.ERROR else record.levelname.lower()
            message = f"dvtkg: {level}: {message}"
        if record.exc_info:
            message = f"{message}\n{self.formatException(record.exc_info).rstrip()}"
        return message


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for log collectors."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def level_for(verbose: int = 0, quiet: int = 0) -> int:
    """The threshold for ``-v`` / ``-q`` counts: info by default."""
    if quiet >= 2:
        return logging.ERROR
    if quiet == 1:
        return logging.WARNING
    return logging.DEBUG if verbose > 0 else logging.INFO


@contextmanager
def configured(verbose: int = 0, quiet: int = 0, fmt: str = "text") -> Iterator[logging.Logger]:
    """The ``dvtkg`` logger writing to stderr at the chosen level and format, for the block only."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown log format {fmt!r} (known: {', '.join(FORMATS)})")
    logger = logging.getLogger(LOGGER)
    saved = (logger.level, list(logger.handlers), logger.propagate)
    handler = _CurrentStderr()
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    logger.handlers = [handler]
    logger.setLevel(level_for(verbose, quiet))
    logger.propagate = False
    try:
        yield logger
    finally:
        logger.setLevel(saved[0])
        logger.handlers = saved[1]
        logger.propagate = saved[2]


def script_main(func: Callable[P, R]) -> Callable[P, R]:
    """For the ``main()`` of a ``python -m dvtkg....`` script: diagnostics on stderr in the text
    format while it runs, whether it is started from the shell or called from Python."""

    @wraps(func)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        with configured():
            return func(*args, **kwargs)

    return run


def quiet() -> bool:
    """True under ``-q`` (the ``dvtkg`` logger set above info): progress bars stay silent too.

    A library user who never configured the logger is not quiet."""
    return logging.getLogger(LOGGER).level > logging.INFO
