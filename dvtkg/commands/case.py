"""``dvtkg case convert`` and ``dvtkg case validate``: case sheets and case graphs."""

from __future__ import annotations

import argparse
import json
import sys

from dvtkg import logs
from dvtkg.cases.errors import CaseInputError, CaseValidationError

log = logs.get(__name__)


def _positive_mb(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of megabytes: {text!r}") from None
    if not 0 < value <= 100_000:
        raise argparse.ArgumentTypeError(f"must be a number of megabytes above 0: {text!r}")
    return value


def add_max_input_option(p: argparse.ArgumentParser) -> None:
    """``--max-input-mb``: the largest case file or standard input read (default 10 MB)."""
    from dvtkg.cases.sheetio import DEFAULT_MAX_INPUT_MB

    p.add_argument("--max-input-mb", type=_positive_mb, default=DEFAULT_MAX_INPUT_MB, metavar="MB",
                   help=f"refuse a case larger than this (default {DEFAULT_MAX_INPUT_MB} MB; exit 2)")


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("case", help="convert or validate a patient case")
    sub = p.add_subparsers(dest="case_command", metavar="SUBCOMMAND")
    c = sub.add_parser("convert",
                       help="write a case sheet as a case graph (Turtle or JSON-LD in the project vocabulary)")
    c.add_argument("case", help="a case sheet (.json) or case graph (.ttl, .jsonld), or - for stdin")
    c.add_argument("--format", choices=("ttl", "jsonld"), default="ttl")
    add_max_input_option(c)
    c.set_defaults(func=convert)
    v = sub.add_parser("validate", help="check a case against the case-sheet contract (exit 1 with the violations)")
    v.add_argument("case")
    add_max_input_option(v)
    v.set_defaults(func=validate)


def _load(path: str, max_input_mb: float):
    from rdflib import Graph

    from dvtkg import paths
    from dvtkg.cases.load import load_case
    from dvtkg.cases.validate_case import validate_case
    from dvtkg.guidance.knowledge import KnowledgeBase

    kb = KnowledgeBase.load()
    loaded = load_case(path, kb.keys, max_input_mb=max_input_mb)
    shapes = Graph().parse(paths.shapes_dir(kb.root) / "case.ttl", format="turtle")
    violations = list(loaded.violations) + validate_case(loaded.graph, shapes, kb.keys)
    if violations:
        raise CaseValidationError(loaded.source, violations)
    return kb, loaded


def _checked(path: str, max_input_mb: float):
    """(kb, loaded case), or the exit code after printing why the case is refused."""
    try:
        return _load(path, max_input_mb), 0
    except CaseValidationError as exc:
        log.error(str(exc), extra={"bare": True})
        return None, 1
    except CaseInputError as exc:
        log.error(str(exc))
        return None, 2


def convert(args: argparse.Namespace) -> int:
    found, rc = _checked(args.case, args.max_input_mb)
    if found is None:
        return rc
    kb, loaded = found
    g = loaded.graph
    if args.format == "ttl":
        sys.stdout.write(g.serialize(format="turtle"))
    else:
        context = json.loads((kb.root / "ontology" / "context" / "case.jsonld").read_text())["@context"]
        sys.stdout.write(g.serialize(format="json-ld", context=context, indent=2) + "\n")
    return 0


def validate(args: argparse.Namespace) -> int:
    found, rc = _checked(args.case, args.max_input_mb)
    if found is None:
        return rc
    print(f"{found[1].source}: conforms to the case-sheet contract")
    return 0
