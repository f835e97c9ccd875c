"""The FastAPI application: CDS Hooks discovery, the hook endpoints, feedback, and the try-it page.

``create_app(settings)`` builds one app; the knowledge base is loaded once when it starts (or handed
in, for tests). Answers follow CDS Hooks 2.0: 200 with ``{"cards": [...]}``; 400 with a message for
a malformed body, an unknown hook or a context its hook does not allow; 401 for a JWT that fails;
404 for an unknown service; 412 when the patient data can be neither prefetched nor fetched; 413
for a body over the limit. An assessment the pipeline refuses becomes a warning card, not an error.
"""

from __future__ import annotations

import datetime
import json
import logging
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, AsyncIterator

import httpx
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.staticfiles import StaticFiles

from dvtkg import paths
from dvtkg.service import cards as cardlib
from dvtkg.service import catalog
from dvtkg.service.feedback import Store
from dvtkg.service.guidance import Guidance
from dvtkg.service.http import LimitAndLog
from dvtkg.service.models import FeedbackRequest, HookRequest, HookResponse
from dvtkg.service.orders import ContextError, ordered_interventions
from dvtkg.service.patient import PatientDataError, assessment_errors, convert, for_patient, has_vte
from dvtkg.service.prefetch import DataUnavailable, fetch
from dvtkg.service.security import JwksCache, Unauthorized, verify
from dvtkg.service.settings import Settings

log = logging.getLogger("dvtkg.service")
KNOWN_HOOKS = ("patient-view", "order-select", "order-sign", "order-dispatch", "appointment-book",
               "encounter-start", "encounter-discharge")


def error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def _pydantic_message(exc: ValidationError) -> str:
    parts = []
    for e in exc.errors()[:5]:
        where = ".".join(str(p) for p in e.get("loc", ())) or "body"
        parts.append(f"{where}: {e.get('msg')}")
    return "; ".join(parts)


async def read_json(request: Request) -> Any:
    """The request body as JSON; ValueError naming the problem."""
    body = await request.body()
    if not body.strip():
        raise ValueError("the request body is empty: a JSON object is expected")
    try:
        return json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"malformed JSON: {exc}") from None


def check_context(spec: catalog.ServiceSpec, context: dict[str, Any]) -> None:
    """The context members the hook requires, with their types; ContextError naming the first problem."""
    for key in spec.context_required:
        if key not in context or context[key] in (None, ""):
            raise ContextError(f"context.{key} is required for the {spec.hook} hook")
    for key in ("userId", "patientId", "encounterId"):
        if key in context and not isinstance(context[key], str):
            raise ContextError(f"context.{key} must be a string")


def create_app(settings: Settings, guidance: Guidance | None = None,
               transport: httpx.AsyncBaseTransport | None = None) -> FastAPI:
    """The service app. ``guidance``: an already loaded knowledge base (else loaded at start-up);
    ``transport``: the HTTP transport for FHIR and JWKS reads (tests pass a fake server's)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if app.state.guidance is None:
            log.info("loading the knowledge base (engine %s)", settings.engine)
            app.state.guidance = await run_in_threadpool(Guidance.load, settings.engine)
        async with httpx.AsyncClient(transport=transport, timeout=settings.fhir_timeout_s,
                                     follow_redirects=False) as client:
            app.state.client = client
            if not settings.verify_jwt:
                log.warning("development mode: the CDS client's JWT is NOT verified (configure trusted issuers)")
            yield

    app = FastAPI(title="dvtkg CDS Hooks service", lifespan=lifespan, docs_url=None, redoc_url=None,
                  openapi_url="/openapi.json")
    app.state.guidance = guidance
    app.state.settings = settings
    app.state.store = Store(settings.feedback_db)
    app.state.jwks = JwksCache()

    @app.exception_handler(RequestValidationError)
    async def _bad_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        return error(400, "; ".join(str(e.get("msg")) for e in exc.errors()[:5]))

    def base_url(request: Request) -> str:
        return settings.public_url or str(request.base_url).rstrip("/")

    def links(request: Request) -> cardlib.Links:
        docs = settings.docs_url or f"{base_url(request)}/site/"
        return cardlib.Links(docs if docs.endswith("/") else docs + "/")

    async def authorise(request: Request, service_id: str) -> JSONResponse | None:
        if not settings.verify_jwt:
            return None
        audience = f"{base_url(request)}/cds-services/{service_id}"
        try:
            await verify(request.headers, audience, settings, app.state.store, app.state.jwks, app.state.client)
        except Unauthorized as exc:
            return error(401, str(exc))
        return None

    @app.get("/cds-services")
    async def discovery() -> dict[str, Any]:
        return catalog.discovery().model_dump(exclude_none=True)

    @app.post("/cds-services/{service_id}")
    async def hook(service_id: str, request: Request) -> JSONResponse:
        spec = catalog.service(service_id)
        if spec is None:
            return error(404, f"no CDS service {service_id!r} here (see GET /cds-services)")
        denied = await authorise(request, service_id)
        if denied is not None:
            return denied
        try:
            data = await read_json(request)
            if not isinstance(data, dict):
                raise ValueError("the request body must be a JSON object")
            req = HookRequest.model_validate(data)
        except ValueError as exc:  # includes pydantic's ValidationError
            msg = _pydantic_message(exc) if isinstance(exc, ValidationError) else str(exc)
            return error(400, msg)
        if req.hook != spec.hook:
            known = "" if req.hook in KNOWN_HOOKS else "unknown hook; "
            return error(400, f"hook {req.hook!r}: {known}service {service_id!r} answers the {spec.hook!r} hook")
        try:
            check_context(spec, req.context)
            orders = []
            if spec.kind == "orders":
                from dvtkg.fhir.codes import intervention_for_coding

                orders = ordered_interventions(req.context, spec.hook == "order-select", intervention_for_coding)
                if not orders:  # nothing this service knows is ordered: nothing to say
                    return JSONResponse(HookResponse(cards=[]).model_dump(exclude_none=True))
            resources, _ = await fetch(req, app.state.client)
        except ContextError as exc:
            return error(400, str(exc))
        except DataUnavailable as exc:
            return error(412, str(exc))
        patient = str(req.context["patientId"])
        g: Guidance = app.state.guidance
        today = settings_today()

        def assess() -> Any:
            """The conversion's sheet assessed, or None when the record shows no DVT or PE (nothing to say)."""
            source = f"{spec.hook} {req.hookInstance}"
            conversion = convert(for_patient(resources, patient), None, today, source)
            return g.assess_conversion(conversion, source) if has_vte(conversion.sheet) else None

        try:
            assessment = await run_in_threadpool(assess)  # one thread hop for the CPU-bound part
            if assessment is None:
                return JSONResponse(HookResponse(cards=[]).model_dump(exclude_none=True))
        except PatientDataError as exc:
            return error(400, f"the FHIR data are not usable: {exc}")
        except assessment_errors() as exc:
            card = cardlib.error_card(service_id, patient, str(exc), links(request))
            return JSONResponse(HookResponse(cards=[card]).model_dump(exclude_none=True))
        if spec.kind == "orders":
            cards = cardlib.order_cards(assessment, orders, g, service_id, patient, links(request))
        else:
            cards = cardlib.guidance_cards(assessment, service_id, patient, links(request))
        return JSONResponse(HookResponse(cards=cards).model_dump(exclude_none=True))

    def settings_today() -> datetime.date:
        return settings.today or datetime.date.today()

    @app.post("/cds-services/{service_id}/feedback")
    async def feedback(service_id: str, request: Request) -> JSONResponse:
        if catalog.service(service_id) is None:
            return error(404, f"no CDS service {service_id!r} here (see GET /cds-services)")
        denied = await authorise(request, service_id)
        if denied is not None:
            return denied
        try:
            body = FeedbackRequest.model_validate(await read_json(request))
        except ValidationError as exc:
            return error(400, _pydantic_message(exc))
        except ValueError as exc:
            return error(400, str(exc))
        n = await run_in_threadpool(app.state.store.add_feedback, service_id, body.feedback)
        return JSONResponse({"stored": n})

    @app.get("/cds-services/{service_id}/feedback")
    async def feedback_list(service_id: str, request: Request, card: str | None = None) -> JSONResponse:
        if catalog.service(service_id) is None:
            return error(404, f"no CDS service {service_id!r} here (see GET /cds-services)")
        denied = await authorise(request, service_id)
        if denied is not None:
            return denied
        rows = await run_in_threadpool(app.state.store.feedback, service_id, card)
        return JSONResponse({"feedback": rows})

    @app.get("/healthz")
    async def health() -> dict[str, Any]:
        g = app.state.guidance
        return {"status": "ok" if g is not None else "loading", "engine": g.engine if g else settings.engine,
                "jwt": "verified" if settings.verify_jwt else "development mode (not verified)"}

    from dvtkg.service.page import register_page

    register_page(app, settings, links)

    docs_dir = settings.docs_dir or (paths.build_dir() / "docs")
    if Path(docs_dir).is_dir():
        app.mount("/site", StaticFiles(directory=str(docs_dir), html=True), name="site")

    app.add_middleware(CORSMiddleware, allow_origins=list(settings.cors_origins),
                       allow_methods=["GET", "POST", "OPTIONS"],
                       allow_headers=["Authorization", "Content-Type", "Accept"], max_age=600)
    app.add_middleware(LimitAndLog, max_body_bytes=settings.max_body_bytes)  # outermost: sizes and logs everything
    return app


def app_from_env() -> FastAPI:
    """The app with settings from ``DVTKG_CDS_*`` (uvicorn's factory for ``dvtkg serve --workers N``)."""
    from dvtkg.service.settings import from_env

    return create_app(from_env())
