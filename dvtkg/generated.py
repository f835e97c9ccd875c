"""Files generated from the project's sources (``make generate``): one way to write them and to check them.

Each generator (:mod:`dvtkg.kb.templates`: the criterion pattern; :mod:`dvtkg.cases.generate`: the
case contract) computes its outputs as ``{path relative to the project: text}``; :func:`sync` writes
the ones whose committed text differs, or with ``check`` writes nothing and names them (exit 1), so
that a stale generated file is always reported the same way.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping
from pathlib import Path

from dvtkg import logs

__all__ = ["stale", "sync", "main"]


def stale(root: Path, outputs: Mapping[Path, str]) -> list[Path]:
    """The outputs (relative paths) whose file under ``root`` is missing or differs from the generated text."""
    return [rel for rel, text in outputs.items() if _differs(root / rel, text)]


def _differs(path: Path, text: str) -> bool:
    return not path.is_file() or path.read_text(encoding="utf-8") != text


def sync(root: Path, outputs: Mapping[Path, str], *, check: bool, what: str, logger: str) -> int:
    """Write the stale outputs (0), or with ``check`` only name them (1 if any); ``what`` names the set of files."""
    changed = stale(root, outputs)
    if check:
        for rel in changed:
            logs.get(logger).error(f"stale: {rel} (run make generate)")
        if not changed:
            print(f"{what}: up to date")
        return 1 if changed else 0
    for rel in changed:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(outputs[rel], encoding="utf-8")
        print(f"wrote {rel} ({outputs[rel].count(chr(10))} lines)")
    if not changed:
        print(f"{what}: up to date")
    return 0


def main(argv: list[str] | None, *, prog: str, description: str, what: str, logger: str,
         outputs: Callable[[Path], Mapping[Path, str]], errors: tuple[type[Exception], ...],
         root: Path) -> int:
    """The command line of a generator: ``[--check]``; a source error is one message and exit 2."""
    ap = argparse.ArgumentParser(prog=prog, description=description)
    ap.add_argument("--check", action="store_true", help="write nothing; exit 1 naming the stale files")
    args = ap.parse_args(argv)
    try:
        generated = outputs(root)
    except errors as exc:
        logs.get(logger).error(str(exc))
        return 2
    return sync(root, generated, check=args.check, what=what, logger=logger)
