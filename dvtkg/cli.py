"""The ``dvtkg`` command line: argument parsing, dispatch and exit codes.

Exit codes: 0 ok; 1 the input (a case, or the knowledge base under its gates) does
not conform; 2 an error (bad usage, unreadable or unknown input). Expected errors are
printed as one ``dvtkg: error: ...`` message, never as a traceback.

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
import sys
from collections.abc import Sequence

COMMAND_MODULES: list[str] = [
    "dvtkg.commands.kb",
    "dvtkg.commands.assess",
    "dvtkg.commands.case",
    "dvtkg.commands.docs",
    "dvtkg.commands.query",
    "dvtkg.commands.publish",
]

EXIT_OK = 0
EXIT_NONCONFORMANT = 1
EXIT_ERROR = 2


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
    func = getattr(args, "func", None)
    if func is None:  # a command group given without its sub-command
        parser.print_usage(sys.stderr)
        print("dvtkg: error: a sub-command is required (see --help)", file=sys.stderr)
        return EXIT_ERROR
    try:
        rc = func(args)
        sys.stdout.flush()
        return EXIT_OK if rc is None else int(rc)
    except KeyboardInterrupt:
        print("dvtkg: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader went away (e.g. `dvtkg kb show X | head`): not an error
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except Exception as exc:
        code = _expected_exit_code(exc)
        if code is None:
            raise
        message = str(exc).rstrip() or type(exc).__name__
        print(f"dvtkg: error: {message}", file=sys.stderr)
        return code


if __name__ == "__main__":
    sys.exit(main())
