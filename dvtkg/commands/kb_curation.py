"""Curation sub-commands of ``dvtkg kb``: conflicts, currency, diffs.

    dvtkg kb conflicts [--format text|json] [--no-cache] [--show-disjoint]
                                         pairs of current statements on overlapping actions that
                                         differ in direction or strength and can meet (HermiT)
    dvtkg kb superseded [--format text|json]
                                         superseded statements, replacement chains, evidence
    dvtkg kb diff OLD NEW [--format text|json] [--exit-code]
                                         statement-by-statement differences of two knowledge bases

Registered under the ``kb`` parser by :func:`register_kb`, which
``dvtkg/commands/kb.py`` calls at the end of its ``register``.
"""

from __future__ import annotations

import argparse
import json

from dvtkg import progress
from dvtkg.cli import EXIT_NONCONFORMANT, EXIT_OK, CommandError


def register_kb(sub: argparse._SubParsersAction) -> None:
    """Add the curation sub-commands to the ``kb`` sub-parsers."""
    p = sub.add_parser("conflicts", help="list conflicting current statements whose populations can meet",
                       description="Pairs of current statements whose actions overlap and which differ in direction "
                                   "or strength, kept only when the reasoner finds a patient (the same limb for two "
                                   "limb-level statements) to whom both can apply.")
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.add_argument("--no-cache", action="store_true", help="run the reasoner even if build/ holds its verdicts")
    p.add_argument("--show-disjoint", action="store_true",
                   help="text output: also list the candidate pairs whose populations never meet")
    p.set_defaults(func=cmd_conflicts)

    p = sub.add_parser("superseded", help="superseded statements with their replacement chains and evidence",
                       description="Every superseded statement with its dcterms:isReplacedBy chains, the current "
                                   "statements they reach and the evidence (trials) behind the change; exit 1 if one "
                                   "has no current replacement.")
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.set_defaults(func=cmd_superseded)

    p = sub.add_parser("diff", help="compare two knowledge bases statement by statement",
                       description="Compare two knowledge bases by statement ID: added, removed, deprecated, and "
                                   "changed fields. OLD and NEW: a project or ontology/ directory, a merged .ttl "
                                   "file, or a git revision of this project.")
    p.add_argument("old", metavar="OLD", help="directory, .ttl file or git revision")
    p.add_argument("new", metavar="NEW", help="directory, .ttl file or git revision")
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.add_argument("--exit-code", action="store_true", help="exit 1 when a statement differs (like git diff)")
    p.set_defaults(func=cmd_diff)


def cmd_conflicts(args: argparse.Namespace) -> int:
    from dvtkg.guidance.knowledge import KnowledgeBase
    from dvtkg.kb import conflicts

    kb = KnowledgeBase.load()
    report = conflicts.analyse(kb, use_cache=not args.no_cache)
    if args.format == "json":
        print(json.dumps(conflicts.to_dict(kb, report), indent=2, ensure_ascii=False))
    else:
        print(conflicts.format_text(kb, report, show_disjoint=args.show_disjoint), end="")
    return EXIT_OK


def cmd_superseded(args: argparse.Namespace) -> int:
    from dvtkg.kb import currency
    from dvtkg.kb.build import load_knowledge

    items = currency.superseded(load_knowledge())
    print(currency.format_json(items) if args.format == "json" else currency.format_text(items), end="")
    if args.format == "json":
        print()
    return EXIT_OK if all(s.ok for s in items) else EXIT_NONCONFORMANT


def cmd_diff(args: argparse.Namespace) -> int:
    from dvtkg.kb import diff

    for spec in (args.old, args.new):
        if spec.startswith("-"):
            raise CommandError(f"{spec!r} is not a directory, file or revision")
    old, new = (diff.load(spec) for spec in progress.bar((args.old, args.new), desc="kb diff: loading", total=2,
                                                          unit="version"))
    result = diff.diff(old, new)
    if args.format == "json":
        print(diff.format_json(result))
    else:
        print(diff.format_text(result), end="")
    return EXIT_NONCONFORMANT if (args.exit_code and not result.empty) else EXIT_OK
