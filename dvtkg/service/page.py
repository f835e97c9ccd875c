"""The try-it page (``GET /``) and the small JSON API it calls.

``GET /api/examples`` lists the example case sheets, ``GET /api/examples/{name}`` returns one,
``POST /api/assess`` takes ``{"input": <case sheet or FHIR Bundle>}`` and returns the cards the
patient-view service would give, the text report, the assessment JSON and, for FHIR input, what the
conversion left unmapped, its provenance and its conflicts. The page itself is static HTML and
JavaScript (``static/index.html``) with no outside resources.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.concurrency import run_in_threadpool

from dvtkg import paths
from dvtkg.service import cards as cardlib
from dvtkg.service.patient import PatientDataError, assess_input, assessment_errors
from dvtkg.service.settings import Settings

STATIC = Path(__file__).with_name("static")
PAGE_SERVICE = "dvt-guidance"
PAGE_PATIENT = "page"
CSP = ("default-src 'self'; style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline'; "
       "frame-ancestors 'none'")


def examples_dir() -> Path:
    return paths.project_root() / "examples" / "cases"


def register_page(app: FastAPI, settings: Settings, links: Callable[[Request], cardlib.Links]) -> None:
    page = (STATIC / "index.html").read_text(encoding="utf-8")

    @app.get("/", response_class=HTMLResponse)
    async def index() -> HTMLResponse:
        return HTMLResponse(page, headers={"Content-Security-Policy": CSP})

    @app.get("/api/examples")
    async def examples() -> JSONResponse:
        out = []
        for p in sorted(examples_dir().glob("*.json")):
            try:
                notes = json.loads(p.read_text(encoding="utf-8")).get("notes", "")
            except (OSError, ValueError, AttributeError):
                notes = ""
            out.append({"name": p.stem, "notes": notes})
        return JSONResponse({"examples": out})

    @app.get("/api/examples/{name}")
    async def example(name: str) -> JSONResponse:
        path = examples_dir() / f"{name}.json"
        if not name.replace("-", "").replace("_", "").isalnum() or not path.is_file():
            return JSONResponse({"error": f"no example named {name!r}"}, status_code=404)
        return JSONResponse(json.loads(path.read_text(encoding="utf-8")))

    @app.post("/api/assess")
    async def assess(request: Request) -> JSONResponse:
        from dvtkg.report.text import render_text

        try:
            body = json.loads(await request.body() or b"null")
        except (ValueError, UnicodeDecodeError) as exc:
            return JSONResponse({"error": f"malformed JSON: {exc}"}, status_code=400)
        data = body.get("input") if isinstance(body, dict) and "input" in body else body
        if not isinstance(data, dict):
            return JSONResponse({"error": "send a case sheet or a FHIR Bundle (a JSON object)"}, status_code=400)
        try:
            assessed = await run_in_threadpool(assess_input, app.state.guidance, data, settings.today, "<page>")
        except PatientDataError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        except assessment_errors() as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        except ModuleNotFoundError as exc:
            return JSONResponse({"error": f"FHIR input is not available in this build ({exc.name})"}, status_code=400)
        a = assessed.assessment
        cards = cardlib.guidance_cards(a, PAGE_SERVICE, PAGE_PATIENT, links(request))
        fhir = None
        if assessed.sheet is not data:
            fhir = {"sheet": assessed.sheet, "unmapped": assessed.unmapped, "provenance": assessed.provenance,
                    "conflicts": assessed.conflicts}
        return JSONResponse({"cards": cardlib.as_json(cards), "report": render_text(a),
                             "assessment": a.to_dict(with_timings=False), "fhir": fhir,
                             "docs": links(request).docs})
