"""Prefetch: fill the templates from the hook context, and read what the client did not send from ``fhirServer``.

CDS Hooks 2.0: a key the client sent is used as is (``null`` = no data); a key it left out is
fetched from ``fhirServer`` with ``fhirAuthorization``'s bearer token. When a required key can be
neither, the service answers 412 (``DataUnavailable``).
"""

from __future__ import annotations

import re
from typing import Any

import httpx

from dvtkg.service.catalog import PATIENT_PREFETCH, REQUIRED_KEYS
from dvtkg.service.models import HookRequest

TOKEN = re.compile(r"\{\{\s*([A-Za-z0-9_.]+)\s*\}\}")
MAX_PAGES = 5


class DataUnavailable(Exception):
    """The data the service needs could neither be prefetched nor fetched (answered 412)."""


def render(template: str, context: dict[str, Any]) -> str | None:
    """The template with its ``{{context.X}}`` / ``{{userPractitionerId}}`` tokens filled; None if one cannot be."""
    user = str(context.get("userId") or "")

    def value(token: str) -> str | None:
        if token.startswith("context."):
            v = context.get(token.split(".", 1)[1])
            return v if isinstance(v, str) and v else None
        for kind in ("Practitioner", "PractitionerRole", "Patient", "RelatedPerson"):
            if token == f"user{kind}Id" and user.startswith(kind + "/"):
                return user.split("/", 1)[1]
        return None

    missing = False

    def sub(m: re.Match[str]) -> str:
        nonlocal missing
        v = value(m.group(1))
        if v is None:
            missing = True
            return ""
        return v

    out = TOKEN.sub(sub, template)
    return None if missing else out


def resources_of(value: Any) -> list[dict[str, Any]]:
    """The resources in one prefetch value: a resource, or a Bundle's entries (a null value: none)."""
    if not isinstance(value, dict):
        return []
    if value.get("resourceType") == "Bundle":
        entries = value.get("entry") or []
        return [e["resource"] for e in entries if isinstance(e, dict) and isinstance(e.get("resource"), dict)]
    return [value]


async def _get(client: httpx.AsyncClient, url: str, headers: dict[str, str], key: str) -> dict[str, Any]:
    try:
        resp = await client.get(url, headers=headers)
    except httpx.HTTPError as exc:
        why = type(exc).__name__
        raise DataUnavailable(f"prefetch {key!r}: the FHIR server could not be reached ({why})") from None
    if resp.status_code in (401, 403):
        raise DataUnavailable(f"prefetch {key!r}: the FHIR server refused the access token ({resp.status_code})")
    if resp.status_code == 404 and "?" not in url:
        return {}
    if resp.status_code >= 400:
        raise DataUnavailable(f"prefetch {key!r}: the FHIR server answered {resp.status_code}")
    try:
        data = resp.json()
    except ValueError:
        raise DataUnavailable(f"prefetch {key!r}: the FHIR server's answer is not JSON") from None
    if not isinstance(data, dict):
        raise DataUnavailable(f"prefetch {key!r}: the FHIR server's answer is not a FHIR resource")
    return data


async def fetch(request: HookRequest, client: httpx.AsyncClient,
                templates: dict[str, str] | None = None) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Every resource the case needs, and for each template key where it came from ("prefetch" or "fhirServer")."""
    templates = templates or PATIENT_PREFETCH
    sent = request.prefetch or {}
    resources: list[dict[str, Any]] = []
    origin: dict[str, str] = {}
    base = str(request.fhirServer).rstrip("/") if request.fhirServer else None
    headers = {"Accept": "application/fhir+json"}
    if request.fhirAuthorization is not None:
        headers["Authorization"] = f"Bearer {request.fhirAuthorization.access_token}"
    for key, template in templates.items():
        if key in sent:
            resources += resources_of(sent[key])
            origin[key] = "prefetch"
            continue
        query = render(template, request.context)
        if base is None or query is None:
            if key in REQUIRED_KEYS:
                why = "no fhirServer was given" if base is None else "the context lacks what its template needs"
                raise DataUnavailable(f"prefetch {key!r} ({template}) was not sent and {why}")
            continue
        url: str | None = f"{base}/{query}"
        pages = 0
        while url and pages < MAX_PAGES:
            data = await _get(client, url, headers, key)
            resources += resources_of(data)
            pages += 1
            url = next((ln.get("url") for ln in data.get("link") or []
                        if isinstance(ln, dict) and ln.get("relation") == "next"), None)
        origin[key] = "fhirServer"
    if not any(r.get("resourceType") == "Patient" for r in resources):
        raise DataUnavailable("no Patient resource: prefetch 'patient' is empty and the FHIR server has none")
    return resources, origin
