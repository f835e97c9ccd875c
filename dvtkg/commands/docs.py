"""``dvtkg docs build [--out DIR] [--no-reasoner]``: generate the static documentation site."""

from __future__ import annotations

import argparse
from pathlib import Path

from dvtkg import logs, progress

log = logs.get(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:
    docs = subparsers.add_parser("docs", help="generate the documentation site (static HTML)",
                                 description="Generate the documentation site from the merged knowledge.")
    sub = docs.add_subparsers(dest="docs_command", metavar="SUBCOMMAND", required=True)
    p = sub.add_parser("build",
                       help="write the site (default build/docs/): guidelines, statements, terms, grading schemes",
                       description="Write static HTML pages with relative links (they open from file://, no server): "
                                   "an index of guidelines, one page per guideline, statement and ontology term, "
                                   "and the grading schemes side by side. The links are checked after writing.")
    p.add_argument("--out", type=Path, default=None, metavar="DIR", help="output directory (default build/docs); "
                   "replaced as a whole, so it must be empty or an earlier output of this command")
    p.add_argument("--no-reasoner", action="store_true",
                   help="do not check conflict populations with HermiT; show the knowledge-level candidate pairs")
    p.set_defaults(func=cmd_build)


def cmd_build(args: argparse.Namespace) -> int:
    from dvtkg.docs.site import build_site

    with progress.activity("docs: building the site"):
        result = build_site(args.out, use_reasoner=not args.no_reasoner)
    kinds = {"rec/": 0, "guidelines/": 0, "term/": 0}
    for page in result.pages:
        for prefix in kinds:
            if page.startswith(prefix):
                kinds[prefix] += 1
    how = "populations checked" if result.conflicts.checked else "candidates, populations not checked"
    print(f"docs: {len(result.pages)} pages in {result.out} ({kinds['rec/']} statements, {kinds['guidelines/']} "
          f"sources, {kinds['term/']} terms; {len(result.conflicts.pairs)} conflict pairs, {how}) "
          f"in {result.seconds:.1f} s")
    print(f"open {(result.out / 'index.html').as_uri()}")
    if result.problems:
        for problem in result.problems[:50]:
            log.error(f"broken link: {problem}")
        if len(result.problems) > 50:
            log.error(f"... and {len(result.problems) - 50} more broken links")
        return 2
    return 0
