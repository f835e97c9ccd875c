"""``dvtkg assess CASE [--format text|json|ttl]``: assess one case and print the result."""

from __future__ import annotations

import argparse
import datetime
import sys

from dvtkg import logs
from dvtkg.cases.errors import CaseInputError, CaseValidationError
from dvtkg.commands.case import add_max_input_option

log = logs.get(__name__)

#: the engine `dvtkg assess` uses unless told (kept equal to dvtkg.assessment.pipeline.DEFAULT_ENGINE, which a
#: test checks; not imported from there, so that the CLI parser stays free of rdflib)
DEFAULT_ENGINE = "fast"


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("assess",
                              help="assess a patient case (case sheet .json, FHIR R4 Bundle .json, case graph "
                                   ".ttl/.jsonld, or - for stdin)",
                              description="Assess a patient case against the knowledge base: for every current "
                                          "statement, applies / blocked / indeterminate / not-applicable, explained.")
    p.add_argument("case", help="a case sheet (.json), a FHIR R4 Bundle (.json, resourceType Bundle), a case graph "
                                "(.ttl, .jsonld), or - for a case sheet on stdin")
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
    p.add_argument("--at", type=_iso_date, default=None, metavar="DATE",
                   help="FHIR input: the reference date for ages and days since onset (YYYY-MM-DD, default today)")
    add_max_input_option(p)
    p.set_defaults(func=run)


def _iso_date(text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _assess(args: argparse.Namespace):  # -> Assessment
    """The lean path for a case sheet or FHIR on the fast engine (no rdflib, owlready2 or pySHACL), else the
    pipeline."""
    from dvtkg.lean.assess import NotASheet, is_sheet

    if args.engine == "fast" and args.format != "ttl" and is_sheet(args.case):
        from dvtkg.lean.assess import LeanAssessor

        lean = LeanAssessor(max_input_mb=args.max_input_mb)
        try:
            return lean.assess(args.case)
        except NotASheet as exc:  # FHIR: its case sheet on the lean path too (the text was read once)
            from dvtkg.fhir.assess import assess_conversion, read_fhir

            return assess_conversion(lean, read_fhir(exc.data, exc.source, args.at), exc.source)
    from dvtkg.assessment.pipeline import Assessor

    return Assessor(max_input_mb=args.max_input_mb, engine=args.engine, fhir_at=args.at,
                    lean=False).assess(args.case)


def run(args: argparse.Namespace) -> int:
    from dvtkg.fast.compiled import UnsupportedAxiom
    from dvtkg.fast.entail import UnsupportedCase
    from dvtkg.fhir.errors import FhirInputError

    expected: tuple[type[BaseException], ...] = (CaseInputError, UnsupportedAxiom, UnsupportedCase)
    try:
        assessment = _assess(args)
    except CaseValidationError as exc:
        log.error(str(exc), extra={"bare": True})
        return 1
    except FhirInputError as exc:
        log.error(str(exc))
        return 1
    except Exception as exc:
        if "dvtkg.reason" in sys.modules:  # the reasoner was loaded: its errors are expected too
            from dvtkg.reason import ReasonerError

            expected += (ReasonerError,)
        if not isinstance(exc, expected):
            raise
        hint = (" (a case graph beyond what the compiled engine reasons about: `--engine reference` runs HermiT on it)"
                if isinstance(exc, UnsupportedCase) else "")
        log.error(str(exc) + hint)
        return 2
    if args.format == "json":
        from dvtkg.assessment.jsonout import assessment_json

        text = assessment_json(assessment, with_timings=args.timings) + "\n"
    elif args.format == "ttl":
        from dvtkg.report.turtle import render_turtle

        text = render_turtle(assessment)
    else:
        from dvtkg.report.text import render_text

        text = render_text(assessment, show_reasons=not args.no_reasons, verbose=args.verbose)
    sys.stdout.write(text)
    return 0
