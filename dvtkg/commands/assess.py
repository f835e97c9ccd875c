"""``dvtkg assess CASE [--format text|json|ttl]``: assess one case and print the result."""

from __future__ import annotations

import argparse
import json
import sys

from dvtkg.cases.errors import CaseInputError, CaseValidationError
from dvtkg.commands.case import add_max_input_option

#: the engine `dvtkg assess` uses unless told (kept equal to dvtkg.assessment.pipeline.DEFAULT_ENGINE, which a
#: test checks; not imported from there, so that the CLI parser stays free of rdflib)
DEFAULT_ENGINE = "reference"


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("assess",
                              help="assess a patient case (case sheet .json, case graph .ttl/.jsonld, or - for stdin)",
                              description="Assess a patient case against the knowledge base: for every current "
                                          "statement, applies / blocked / indeterminate / not-applicable, explained.")
    p.add_argument("case", help="a case sheet (.json), a case graph (.ttl, .jsonld), or - for a case sheet on stdin")
    p.add_argument("--format", choices=("text", "json", "ttl"), default="text", help="output format (default text)")
    p.add_argument("--engine", choices=("reference", "fast"), default=DEFAULT_ENGINE,
                   help=f"fast = the TBox and the guidance rules compiled (in-process, milliseconds), "
                        f"reference = HermiT + the SPARQL guidance queries, the executable specification "
                        f"(default {DEFAULT_ENGINE})")
    p.add_argument("--no-reasons", action="store_true", help="text output: leave out the 'because' lines")
    p.add_argument("--verbose", action="store_true",
                   help="text output: the full explanation (every criterion and fact, every result) instead of the "
                        "decision-centred report")
    p.add_argument("--timings", action="store_true",
                   help="json output: include the measured seconds per stage (then runs differ)")
    add_max_input_option(p)
    p.set_defaults(func=run)


def _assess(args: argparse.Namespace):  # -> Assessment
    """The lean path for a case sheet on the fast engine (no rdflib, owlready2 or pySHACL), else the pipeline."""
    from dvtkg.lean.assess import is_sheet

    if args.engine == "fast" and args.format != "ttl" and is_sheet(args.case):
        from dvtkg.lean.assess import LeanAssessor

        return LeanAssessor(max_input_mb=args.max_input_mb).assess(args.case)
    from dvtkg.assessment.pipeline import Assessor

    return Assessor(max_input_mb=args.max_input_mb, engine=args.engine, lean=False).assess(args.case)


def run(args: argparse.Namespace) -> int:
    from dvtkg.fast.compiled import UnsupportedAxiom
    from dvtkg.fast.entail import UnsupportedCase

    expected: tuple[type[BaseException], ...] = (CaseInputError, UnsupportedAxiom, UnsupportedCase)
    if "dvtkg.reason" in sys.modules or args.engine == "reference":
        from dvtkg.reason import ReasonerError

        expected += (ReasonerError,)
    try:
        assessment = _assess(args)
    except CaseValidationError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    except expected as exc:
        print(f"dvtkg: error: {exc}", file=sys.stderr)
        return 2
    if args.format == "json":
        text = json.dumps(assessment.to_dict(with_timings=args.timings), indent=2, ensure_ascii=False) + "\n"
    elif args.format == "ttl":
        from dvtkg.report.turtle import render_turtle

        text = render_turtle(assessment)
    else:
        from dvtkg.report.text import render_text

        text = render_text(assessment, show_reasons=not args.no_reasons, verbose=args.verbose)
    sys.stdout.write(text)
    return 0
