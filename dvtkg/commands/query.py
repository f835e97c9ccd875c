"""``dvtkg query``: answer a SPARQL query (a competency question) over the knowledge base.

    dvtkg query QUERY [--param NAME=VALUE ...] [--case CASE ...] [--endpoint URL]
                      [--graph IRI] [--format table|json|csv]
    dvtkg query --list

QUERY is a ``.rq`` file or a query id (``queries/cq``, then ``queries/guidance``,
``queries/qc``). Parameters are typed by the query's ``# params:`` line and bound, never
pasted into the text. Locally, ``--case`` assesses each case and adds its graph
(assertions + inferences + assessment) as a named graph; with ``--endpoint`` the case
graphs must have been published (``dvtkg publish --case``) and ``--case`` names them
(a case file, a case id, or a graph IRI). See docs/sparql.md.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from dvtkg.cli import EXIT_OK, CommandError
from dvtkg.sparql import FORMATS, KB_GRAPH, case_graph_iri

TOKEN_ENV = "DVTKG_SPARQL_TOKEN"
USER_ENV = "DVTKG_SPARQL_USER"
PASSWORD_ENV = "DVTKG_SPARQL_PASSWORD"


def add_endpoint_options(p: argparse.ArgumentParser, required: bool) -> None:
    """The options shared by ``query`` and ``publish``: where the store is and how to log in."""
    p.add_argument("--endpoint", metavar="URL", required=required,
                   help="the SPARQL query endpoint (Oxigraph: http://127.0.0.1:7878/query)")
    p.add_argument("--graph", metavar="IRI", default=KB_GRAPH,
                   help=f"the named graph holding the knowledge base (default {KB_GRAPH})")
    p.add_argument("--token", metavar="TOKEN", default=None,
                   help=f"send 'Authorization: <scheme> TOKEN' (default scheme Bearer; or set {TOKEN_ENV})")
    p.add_argument("--token-scheme", metavar="SCHEME", default="Bearer",
                   help="the scheme word sent before the token (Bearer; GraphDB: GDB)")
    p.add_argument("--user", metavar="USER[:PASSWORD]", default=None,
                   help=f"HTTP basic (or --auth digest) credentials; without ':PASSWORD' the password is read "
                        f"from {PASSWORD_ENV} (or set {USER_ENV})")
    p.add_argument("--auth", choices=("basic", "digest"), default="basic",
                   help="how --user is sent (Virtuoso's /sparql-auth wants digest)")
    p.add_argument("--timeout", type=float, default=120.0, metavar="SECONDS",
                   help="the whole request (a local query: its evaluation) may take at most this long (default 120)")


def endpoint_from_args(args: argparse.Namespace, update_url: str | None = None, store_url: str | None = None):
    from dvtkg.sparql.remote import Endpoint

    token = args.token or os.environ.get(TOKEN_ENV) or None
    user_arg = args.user or os.environ.get(USER_ENV) or None
    user = password = None
    if user_arg:
        user, sep, pw = user_arg.partition(":")
        password = pw if sep else os.environ.get(PASSWORD_ENV)
    return Endpoint(args.endpoint, update_url=update_url, store_url=store_url, token=token,
                    token_scheme=args.token_scheme, user=user, password=password, auth=args.auth,
                    timeout=args.timeout)


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "query", help="answer a SPARQL query (a competency question) locally or on an endpoint",
        description="Answer a SPARQL query over the knowledge base: locally (rdflib) or on a SPARQL 1.1 endpoint. "
                    "QUERY is a .rq file or a query id (see --list).")
    p.add_argument("query", metavar="QUERY", nargs="?", help="a .rq file or a query id, e.g. cq-strong-by-source")
    p.add_argument("--list", action="store_true",
                   help="list the competency questions (queries/cq) and their parameters")
    p.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                   help="bind a parameter the query declares "
                        "(typed: iri values take rec:, dvt:, dvtc:, dvtv:, grade: names)")
    p.add_argument("--case", action="append", default=[], metavar="CASE",
                   help="add an assessed case graph: locally a case file (assessed now); with --endpoint a "
                        "published case (its file, id, or graph IRI)")
    p.add_argument("--format", choices=FORMATS, default="table", help="output format (default table)")
    add_endpoint_options(p, required=False)
    p.set_defaults(func=run)


def _remote_case_graph(spec: str) -> str:
    if spec.startswith(("http://", "https://", "urn:")):
        return spec
    path = Path(spec)
    if path.is_file():
        if path.suffix.lower() == ".json":
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise CommandError(f"{spec}: cannot read the case sheet ({exc})") from None
            case_id = data.get("id") if isinstance(data, dict) else None
            if not isinstance(case_id, str) or not case_id:
                raise CommandError(f"{spec}: the case sheet has no \"id\", so its published graph cannot be named")
            return case_graph_iri(case_id)
        from dvtkg.cases.errors import CaseInputError
        from dvtkg.cases.load import load_case

        try:
            return case_graph_iri(load_case(str(path), keys=None).case_id)
        except CaseInputError as exc:
            raise CommandError(str(exc)) from None
    if "/" in spec or spec.endswith((".json", ".ttl", ".jsonld")):
        raise CommandError(f"case file {spec} does not exist")
    return case_graph_iri(spec)


def _list(root=None) -> int:
    from dvtkg.sparql.local import list_queries

    for q in list_queries(root):
        params = ", ".join(str(s) for s in q.param_specs) or "-"
        print(f"{q.id}\n    {q.summary}\n    params: {params}")
    return EXIT_OK


def run(args: argparse.Namespace) -> int:
    from dvtkg.sparql.local import assess_cases, find_query, run_local
    from dvtkg.sparql.params import bind_params, check_iri_chars

    if args.list:
        return _list()
    if not args.query:
        raise CommandError("give a QUERY (a .rq file or a query id), or --list")
    query = find_query(args.query)
    bindings = bind_params(query, args.param)
    if args.endpoint:
        from dvtkg.sparql.remote import run_remote

        endpoint = endpoint_from_args(args)
        graphs = [check_iri_chars(args.graph, "graph")] + [_remote_case_graph(c) for c in args.case]
        result = run_remote(endpoint, query.text, bindings, graphs)
    else:
        result = run_local(query, bindings, assess_cases(args.case), kb_graph=args.graph, timeout=args.timeout)
    sys.stdout.write(result.format(args.format))
    return EXIT_OK

