"""``dvtkg publish``: load the knowledge base (and assessed cases) into a SPARQL 1.1 store.

    dvtkg publish --endpoint URL [--graph IRI] [--case CASE ...] [--no-knowledge]
                  [--update-endpoint URL] [--store URL] [--method update|gsp]
                  [--token TOKEN | --user USER[:PASSWORD] [--auth basic|digest]]

Each graph is replaced atomically (dvtkg.sparql.remote): uploaded into a temporary
graph, counted, then moved over the target in one update request. A failed upload
leaves the previous graph as it was (exit code 2). The knowledge base goes into
``--graph`` (default https://w3id.org/dvtkg/graph/knowledge); each ``--case`` is
assessed and goes into https://w3id.org/dvtkg/case/<case id>.
"""

from __future__ import annotations

import argparse

from dvtkg.cli import EXIT_OK, CommandError
from dvtkg.commands.query import add_endpoint_options, endpoint_from_args


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "publish", help="load the knowledge base (and assessed cases) into a SPARQL store, one named graph each",
        description="Load the knowledge base, and with --case assessed case graphs, into any SPARQL 1.1 store; "
                    "each named graph is replaced atomically.")
    add_endpoint_options(p, required=True)
    p.add_argument("--update-endpoint", metavar="URL", default=None,
                   help="the SPARQL update endpoint (default: .../query -> .../update, else the --endpoint URL)")
    p.add_argument("--store", metavar="URL", default=None,
                   help="the Graph Store Protocol endpoint, for --method gsp (default for Oxigraph: .../store)")
    p.add_argument("--method", choices=("update", "gsp"), default="update",
                   help="upload with SPARQL Update INSERT DATA in chunks (default) or one Graph Store PUT")
    p.add_argument("--chunk-size", type=int, default=None, metavar="N",
                   help="triples per INSERT DATA request (default 5000)")
    p.add_argument("--case", action="append", default=[], metavar="CASE",
                   help="also assess this case and publish its graph (assertions + inferences + assessment)")
    p.add_argument("--no-knowledge", action="store_true", help="publish only the --case graphs")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from dvtkg.sparql.local import assess_cases
    from dvtkg.sparql.remote import DEFAULT_CHUNK, derived_store_url, publish_graph

    if args.no_knowledge and not args.case:
        raise CommandError("--no-knowledge leaves nothing to publish: add --case CASE")
    if args.chunk_size is not None and args.chunk_size < 1:
        raise CommandError("--chunk-size must be at least 1")
    store = args.store or (derived_store_url(args.endpoint) if args.method == "gsp" else None)
    if args.method == "gsp" and not store:
        raise CommandError("--method gsp needs --store URL (the store's Graph Store Protocol endpoint)")
    endpoint = endpoint_from_args(args, update_url=args.update_endpoint, store_url=store)
    cases = assess_cases(args.case)  # assess first: a bad case stops before anything is written
    chunk = args.chunk_size or DEFAULT_CHUNK
    if not args.no_knowledge:
        from dvtkg.kb.build import load_knowledge

        print(publish_graph(endpoint, args.graph, load_knowledge(), args.method, chunk), flush=True)
    for case in cases:
        print(publish_graph(endpoint, case.graph_iri, case.graph, args.method, chunk), flush=True)
    return EXIT_OK
