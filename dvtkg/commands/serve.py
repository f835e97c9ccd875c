"""``dvtkg serve``: the CDS Hooks 2.0 service and the try-it page; ``dvtkg cds-feedback``: what clinicians answered.

The flags become ``DVTKG_CDS_*`` environment variables, so every uvicorn worker (``--workers``)
builds the same settings and loads the knowledge base once. Without trusted issuers the service
runs in development mode (no JWT verified): allowed on a loopback address, elsewhere only with
``--dev``. uvicorn's own access log is off (it would log query strings, which can carry patient
ids); the service logs one JSON line per request instead (dvtkg.service.http).
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import logging
import os
import sys
from pathlib import Path

from dvtkg.cli import CommandError


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("serve", help="run the CDS Hooks service and the try-it page (default 127.0.0.1:8080)",
                              description="Serve the CDS Hooks 2.0 services (GET /cds-services) and the page at /.")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8080, help="port (default 8080)")
    p.add_argument("--workers", type=int, default=1, help="worker processes, each with its own knowledge base")
    p.add_argument("--engine", choices=("fast", "reference"), default=None,
                   help="classifier (default fast; reference = HermiT, seconds per call)")
    p.add_argument("--feedback-db", type=Path, default=None,
                   help="SQLite file for card feedback (default build/cds-feedback.sqlite)")
    p.add_argument("--issuers", default=None,
                   help='trusted CDS clients as JSON {"iss": "jwks-url" | [urls]}; turns JWT verification on')
    p.add_argument("--public-url", default=None,
                   help="the base URL clients call (the JWT aud is <base>/cds-services/<id>)")
    p.add_argument("--docs-url", default=None, help="base URL of the documentation site (default <base>/site/)")
    p.add_argument("--dev", action="store_true", help="development mode: do not verify JWTs, even on a public address")
    p.set_defaults(func=run_serve)

    f = subparsers.add_parser("cds-feedback", help="list the card feedback the CDS service has stored",
                              description="Print stored CDS Hooks feedback as JSON lines.")
    f.add_argument("--db", type=Path, default=None, help="the SQLite file (default build/cds-feedback.sqlite)")
    f.add_argument("--service", default=None, help="only this service id")
    f.add_argument("--card", default=None, help="only this card uuid")
    f.set_defaults(func=run_feedback)


def _loopback(host: str) -> bool:
    if host in ("localhost",):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def run_serve(args: argparse.Namespace) -> int:
    try:
        import fastapi  # noqa: F401  (the service's framework; checked here to name the extra)
        import uvicorn
    except ImportError as exc:
        raise CommandError(f"the CDS Hooks service needs the 'service' extra ({exc.name} is not installed): "
                           "pip install 'dvtkg[service]'") from None

    from dvtkg.service.settings import ENV_PREFIX, from_env, parse_issuers

    env = {"ENGINE": args.engine, "FEEDBACK_DB": str(args.feedback_db) if args.feedback_db else None,
           "ISSUERS": args.issuers, "PUBLIC_URL": args.public_url, "DOCS_URL": args.docs_url,
           "DEV": "1" if args.dev else None}
    for key, value in env.items():
        if value is not None:
            os.environ[ENV_PREFIX + key] = value
    try:
        if args.issuers:
            parse_issuers(args.issuers)
        settings = from_env()
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    if not settings.issuers and not settings.dev and not _loopback(args.host):
        raise CommandError(f"refusing to serve on {args.host} without JWT verification: give --issuers "
                           "(trusted CDS clients) or --dev (development mode, no verification)")
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    mode = "JWT verified" if settings.verify_jwt else "development mode, JWT NOT verified"
    print(f"dvtkg CDS Hooks service: http://{args.host}:{args.port}/cds-services ({mode}; engine {settings.engine})",
          file=sys.stderr, flush=True)
    uvicorn.run("dvtkg.service.app:app_from_env", factory=True, host=args.host, port=args.port,
                workers=max(1, args.workers), access_log=False, log_level="info")
    return 0


def run_feedback(args: argparse.Namespace) -> int:
    from dvtkg.service.feedback import Store
    from dvtkg.service.settings import from_env

    db = args.db or from_env().feedback_db
    if not Path(db).exists():
        raise CommandError(f"{db}: no feedback store (the service creates it on its first start)", exit_code=1)
    for row in Store(db).feedback(service=args.service, card=args.card, limit=1_000_000):
        print(json.dumps(row, ensure_ascii=False))
    return 0
