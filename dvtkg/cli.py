"""The ``dvtkg`` command line: argument parsing, dispatch and exit codes.

Exit codes: 0 ok; 1 the input (a case, or the knowledge base under its gates) does
not conform; 2 an error (bad usage, unreadable or unknown input, anything unexpected);
130 interrupted (SIGINT); 143 terminated (SIGTERM). Every error is printed as one
``dvtkg: error: ...`` line, never as a traceback (``--debug`` shows the traceback of an
unexpected one). SIGTERM unwinds like Ctrl-C, so temporary folders are removed.

Diagnostics (errors, warnings, notes, timings) go to stderr through :mod:`dvtkg.logs`:
``-v`` adds debug messages, ``-q`` keeps warnings and errors only (``-qq`` errors only),
``--log-format json`` writes them as JSON lines. A command's output stays on stdout.
Long work shows a progress bar on stderr when it is a terminal (:mod:`dvtkg.progress`).

Command groups live in ``dvtkg/commands/<name>.py``; each module has
``register(subparsers)``, which adds its sub-commands and sets ``func`` (a callable
``func(args) -> int``) on each. Adding a group = adding its module to
``COMMAND_MODULES`` below. A command signals an expected error by raising an
exception with an integer ``exit_code`` attribute (e.g. :class:`CommandError`).
"""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys
import time
from collections.abc import Sequence

from dvtkg import logs

log = logs.get(__name__)

COMMAND_MODULES: list[str] = [
    "dvtkg.commands.kb",
    "dvtkg.commands.assess",
    "dvtkg.commands.case",
    "dvtkg.commands.docs",
    "dvtkg.commands.query",
    "dvtkg.commands.publish",
    "dvtkg.commands.serve",
    "dvtkg.commands.fhir",
    "dvtkg.commands.cohort",
]

EXIT_OK = 0
EXIT_NONCONFORMANT = 1
EXIT_ERROR = 2
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143


class Terminated(BaseException):
    """Raised by the SIGTERM handler so that ``finally`` blocks and context managers run."""


def _on_sigterm(signum: int, frame: object) -> None:
    raise Terminated()


class CommandError(Exception):
    """An expected error: printed without a traceback, exit code ``exit_code``."""

    def __init__(self, message: str, exit_code: int = EXIT_ERROR):
        super().__init__(message)
        self.exit_code = exit_code


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("dvtkg")
    except Exception:
        return "unknown"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dvtkg",
        description="A knowledge graph of deep-vein-thrombosis guidance: build, check and query it.",
    )
    parser.add_argument("--version", action="version", version=f"dvtkg {_version()}")
    parser.add_argument("--debug", action="store_true",
                        help="on an unexpected error, print the Python traceback as well")
    parser.add_argument("-v", "--verbose", action="count", default=0, dest="log_verbose",
                        help="more diagnostics on stderr (debug messages and timings)")
    parser.add_argument("-q", "--quiet", action="count", default=0, dest="log_quiet",
                        help="fewer diagnostics on stderr: warnings and errors only (-qq: errors only); "
                             "no progress bars")
    parser.add_argument("--log-format", choices=logs.FORMATS, default="text",
                        help="diagnostics on stderr as text lines (default) or as JSON lines")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def _expected_exit_code(exc: BaseException) -> int | None:
    code = getattr(exc, "exit_code", None)
    return code if isinstance(code, int) and not isinstance(code, bool) else None


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(list(argv) if argv is not None else None)
    with logs.configured(args.log_verbose, args.log_quiet, args.log_format):
        return _run(parser, args)


def _run(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    func = getattr(args, "func", None)
    if func is None:  # a command group given without its sub-command
        parser.print_usage(sys.stderr)
        log.error("a sub-command is required (see --help)")
        return EXIT_ERROR
    try:
        previous = signal.signal(signal.SIGTERM, _on_sigterm)
    except ValueError:  # not the main thread (main() called from a thread): leave signals alone
        previous = None
    start = time.perf_counter()
    try:
        rc = func(args)
        sys.stdout.flush()
        log.debug(f"{_command_name(args)} finished in {time.perf_counter() - start:.2f} s")
        return EXIT_OK if rc is None else int(rc)
    except KeyboardInterrupt:
        log.error("dvtkg: interrupted", extra={"bare": True})
        return EXIT_INTERRUPTED
    except Terminated:
        log.error("dvtkg: terminated (SIGTERM)", extra={"bare": True})
        return EXIT_TERMINATED
    except BrokenPipeError:
        # the reader went away (e.g. `dvtkg kb show X | head`): not an error
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except Exception as exc:
        code = _expected_exit_code(exc)
        if code is None:
            return _unexpected(exc, args)
        message = str(exc).rstrip() or type(exc).__name__
        log.error(message)
        return code
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _command_name(args: argparse.Namespace) -> str:
    """``kb qc``, ``assess``...: the command and its sub-command, for log lines."""
    sub = [v for k, v in sorted(vars(args).items()) if k.endswith("_command") and isinstance(v, str)]
    return " ".join([args.command, *sub])


def _unexpected(exc: BaseException, args: argparse.Namespace) -> int:
    """An error no command expected: one line naming the input and the cause; exit 2."""
    inputs = [str(v) for k, v in sorted(vars(args).items())
              if k in ("case", "query", "path", "file", "endpoint") and isinstance(v, str)]
    where = f" (input: {', '.join(inputs)})" if inputs else ""
    if isinstance(exc, MemoryError):
        cause = "out of memory (the input is too large)"
    elif isinstance(exc, RecursionError):
        cause = "the input is nested too deeply"
    else:
        cause = " ".join(f"{type(exc).__name__}: {exc}".split())[:500]
    hint = "" if getattr(args, "debug", False) else "; run with --debug for the traceback"
    log.error(f"dvtkg: error{where}: {cause}{hint}", extra={"bare": True},
              exc_info=exc if getattr(args, "debug", False) else None)
    return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
