"""``dvtkg kb``: build, gate and inspect the knowledge base.

    dvtkg kb build                       merge ontology/ -> build/dvtkg.ttl, build/dvtkg.owl
    dvtkg kb validate                    SHACL shapes/knowledge.ttl over the merged knowledge
    dvtkg kb qc                          curation checks queries/qc/*.rq (each must return nothing)
    dvtkg kb stats [--format text|json]  counts of statements
    dvtkg kb show ID                     one statement, readable
"""

from __future__ import annotations

import argparse
import importlib
from pathlib import Path

from dvtkg import paths, progress
from dvtkg.cli import EXIT_NONCONFORMANT, EXIT_OK, CommandError


def register(subparsers: argparse._SubParsersAction) -> None:
    kb = subparsers.add_parser("kb", help="build, check and inspect the knowledge base",
                               description="Build, check and inspect the knowledge base.")
    sub = kb.add_subparsers(dest="kb_command", metavar="SUBCOMMAND", required=True)

    p = sub.add_parser("build", help="merge the ontology into build/dvtkg.ttl and build/dvtkg.owl")
    p.add_argument("--no-owl-check", action="store_true",
                   help="skip loading build/dvtkg.owl with owlready2 (offline) after writing it")
    p.set_defaults(func=cmd_build)

    p = sub.add_parser("validate",
                       help="validate the knowledge against shapes/knowledge.ttl (exit 1 if it does not conform)")
    p.add_argument("--shapes", type=Path, default=None, help="shapes file (default: shapes/knowledge.ttl)")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("qc", help="run the curation checks queries/qc/*.rq (exit 1 if any returns rows)")
    p.add_argument("--queries", type=Path, default=None, help="directory of QC queries (default: queries/qc)")
    p.set_defaults(func=cmd_qc)

    p = sub.add_parser("stats", help="count statements by type, source, strength, check status, currency")
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.set_defaults(func=cmd_stats)

    p = sub.add_parser("show", help="describe one statement")
    p.add_argument("id", metavar="ID", help="statement ID, e.g. AHA11-T1")
    p.set_defaults(func=cmd_show)

    importlib.import_module("dvtkg.commands.kb_curation").register_kb(sub)  # kb conflicts, superseded, diff


def _optional_module(name: str, purpose: str):
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name == name:
            raise CommandError(f"{name} is not available, so {purpose} cannot run") from None
        raise


def _knowledge():
    from dvtkg.kb.build import load_knowledge

    return load_knowledge()


def cmd_build(args: argparse.Namespace) -> int:
    from dvtkg.kb import build as kb_build

    root = paths.project_root()
    result = kb_build.build(root)
    print(f"merged {len(result.files)} ontology files: {result.triples} triples (sources {result.source_hash})")
    print(f"wrote {paths.relative(result.ttl, root)}")
    print(f"wrote {paths.relative(result.owl, root)}")
    if not args.no_owl_check:
        n = kb_build.check_owlready(result.owl)
        print(f"owlready2 loads {paths.relative(result.owl, root)} offline ({n} classes)")
    return EXIT_OK


def _load_shapes(path: Path):
    from dvtkg.kb.build import parse_file

    if not path.exists():
        raise CommandError(f"shapes file {path} does not exist")
    root = paths.project_root()
    return parse_file(path, root)


def cmd_validate(args: argparse.Namespace) -> int:
    validate = _optional_module("dvtkg.validate", "kb validate")
    root = paths.project_root()
    shapes_path = args.shapes or paths.shapes_dir(root) / "knowledge.ttl"
    shapes = _load_shapes(shapes_path)
    graph = _knowledge()
    with progress.activity("SHACL validation"):
        report = validate.validate_graph(graph, shapes)
    rel = paths.relative(shapes_path, root)
    if report.conforms:
        print(f"the knowledge base conforms to {rel}")
        return EXIT_OK
    print(report.format_text().rstrip())
    print(f"the knowledge base does not conform to {rel}: {len(report.results)} result(s)")
    return EXIT_NONCONFORMANT


def _failure_fields(f, nsm=None) -> tuple[str, str, str]:
    def pick(*names):
        for n in names:
            v = getattr(f, n, None)
            if v is not None:
                if nsm is not None and hasattr(v, "n3"):  # an rdflib term: prefixed name
                    try:
                        return v.n3(nsm)
                    except Exception:
                        pass
                return str(v)
        return ""

    return pick("query_id", "query", "id"), pick("focus") or "-", pick("message")


def cmd_qc(args: argparse.Namespace) -> int:
    qc = _optional_module("dvtkg.qc", "kb qc")
    root = paths.project_root()
    query_dir = args.queries or paths.qc_query_dir(root)
    if not query_dir.is_dir():
        raise CommandError(f"QC query directory {query_dir} does not exist")
    n_queries = len(list(query_dir.glob("*.rq")))
    graph = _knowledge()
    from pyparsing import ParseException

    try:
        failures = qc.run_qc(graph, query_dir)
    except (ValueError, ParseException) as exc:  # a malformed QC query: an error, not a failure
        raise CommandError(f"a QC query cannot run: {exc}") from None
    rel = paths.relative(query_dir, root)
    if not failures:
        print(f"qc: {n_queries} checks in {rel}, all passed")
        return EXIT_OK
    for f in failures:
        qid, focus, message = _failure_fields(f, graph.namespace_manager)
        print(f"FAIL {qid}: {focus}" + (f": {message}" if message else ""))
    failed = len({_failure_fields(f)[0] for f in failures})
    print(f"qc: {len(failures)} failure(s) from {failed} of {n_queries} checks in {rel}")
    return EXIT_NONCONFORMANT


def cmd_stats(args: argparse.Namespace) -> int:
    from dvtkg.kb import stats

    result = stats.compute(_knowledge())
    print(stats.format_json(result) if args.format == "json" else stats.format_text(result))
    return EXIT_OK


def cmd_show(args: argparse.Namespace) -> int:
    from dvtkg.kb.show import show

    print(show(_knowledge(), args.id), end="")
    return EXIT_OK
