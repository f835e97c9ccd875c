"""``dvtkg fhir to-case BUNDLE.json [--at DATE]``: read a FHIR R4 Bundle as a case sheet and print it."""

from __future__ import annotations

import argparse
import json
import sys

from dvtkg import logs
from dvtkg.commands.assess import _iso_date
from dvtkg.commands.case import add_max_input_option

log = logs.get(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("fhir", help="FHIR R4 input: read a Bundle as a case sheet")
    sub = p.add_subparsers(dest="fhir_command", metavar="SUBCOMMAND")
    c = sub.add_parser("to-case", help="print the case sheet read from a FHIR R4 Bundle, with what was not read "
                                       "(unmapped), where each fact came from (provenance) and the contradictions",
                       description="Read a FHIR R4 Bundle (or one resource) as a dvtkg case sheet (docs/fhir.md). "
                                   "Exit 1 on bad FHIR, naming the resource and the path.")
    c.add_argument("case", metavar="BUNDLE", help="a FHIR R4 Bundle (.json), or - for standard input")
    c.add_argument("--at", type=_iso_date, default=None, metavar="DATE",
                   help="the reference date for ages and days since onset (YYYY-MM-DD, default today)")
    add_max_input_option(c)
    c.set_defaults(func=to_case)


def to_case(args: argparse.Namespace) -> int:
    from dvtkg.cases.errors import CaseInputError, CaseValidationError
    from dvtkg.cases.sheetio import _read_text
    from dvtkg.cases.strictjson import json_violations, parse_json, plain
    from dvtkg.fhir.assess import require_fhir_extra

    try:
        require_fhir_extra(args.case)
    except CaseInputError as exc:
        log.error(str(exc))
        return 2
    from dvtkg.fhir.convert import bundle_to_case, resources_to_case
    from dvtkg.fhir.errors import FhirInputError

    try:
        text = _read_text(args.case, int(args.max_input_mb * 1_000_000))
        data = parse_json(text, args.case)
        bad = json_violations(data)
        if bad:
            raise CaseValidationError(args.case, bad)
        data = plain(data)
        if isinstance(data, dict) and data.get("resourceType") not in (None, "Bundle"):
            conversion = resources_to_case([data], at=args.at, source=args.case)
        else:
            conversion = bundle_to_case(data, at=args.at, source=args.case)
    except (FhirInputError, CaseValidationError) as exc:
        log.error(str(exc))
        return 1
    except CaseInputError as exc:
        log.error(str(exc))
        return 2
    sys.stdout.write(json.dumps(conversion.as_dict(), indent=2, ensure_ascii=False) + "\n")
    return 0
