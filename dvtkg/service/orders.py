"""Draft orders to the interventions they order (thrombolysis, IVC filter, compression stockings, anticoagulants).

The codes are read by the FHIR module's ``intervention_for_coding`` (the code tables are data in
the ontology, not here). ``order-select`` checks only the selected orders; ``order-sign`` every
draft order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

ORDER_TYPES = ("MedicationRequest", "ServiceRequest", "DeviceRequest", "Procedure")


class ContextError(ValueError):
    """The hook's context does not have the shape its hook requires (answered 400)."""


@dataclass(frozen=True)
class Order:
    """One draft order that names a known intervention."""

    reference: str          # "MedicationRequest/123"
    intervention: str       # the dvt intervention IRI
    display: str            # what the order says it is (its coding's display or text)


def _codings(resource: dict[str, Any]) -> list[dict[str, Any]]:
    concepts: list[Any] = []
    rt = resource.get("resourceType")
    if rt == "MedicationRequest":
        concepts.append(resource.get("medicationCodeableConcept"))
        ref = (resource.get("medicationReference") or {}).get("reference", "")
        if isinstance(ref, str) and ref.startswith("#"):
            for c in resource.get("contained") or []:
                if isinstance(c, dict) and c.get("id") == ref[1:]:
                    concepts.append(c.get("code"))
    elif rt == "DeviceRequest":
        concepts.append(resource.get("codeCodeableConcept"))
    else:
        concepts.append(resource.get("code"))
    return [cd for c in concepts if isinstance(c, dict) for cd in c.get("coding") or [] if isinstance(cd, dict)]


def _text(resource: dict[str, Any], coding: dict[str, Any]) -> str:
    for c in (resource.get("medicationCodeableConcept"), resource.get("code"), resource.get("codeCodeableConcept")):
        if isinstance(c, dict) and c.get("text"):
            return str(c["text"])
    return str(coding.get("display") or coding.get("code") or "")


def draft_resources(context: dict[str, Any]) -> list[dict[str, Any]]:
    """The resources of ``context.draftOrders`` (a FHIR Bundle); ContextError if it is not one."""
    bundle = context.get("draftOrders")
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        raise ContextError("context.draftOrders must be a FHIR Bundle of the draft orders")
    entries = bundle.get("entry") or []
    if not isinstance(entries, list):
        raise ContextError("context.draftOrders.entry must be a list")
    return [e["resource"] for e in entries if isinstance(e, dict) and isinstance(e.get("resource"), dict)]


def ordered_interventions(context: dict[str, Any], selected_only: bool,
                          lookup: Callable[[str, str], str | None]) -> list[Order]:
    """The known interventions among the draft orders (only the selected ones for order-select)."""
    resources = draft_resources(context)
    selections: list[str] | None = None
    if selected_only:
        sel = context.get("selections")
        if not isinstance(sel, list) or not all(isinstance(s, str) for s in sel):
            raise ContextError("context.selections must be a list of references such as 'MedicationRequest/123'")
        selections = sel
    out: list[Order] = []
    for res in resources:
        rt, rid = res.get("resourceType"), res.get("id")
        ref = f"{rt}/{rid}"
        if rt not in ORDER_TYPES or (selections is not None and ref not in selections):
            continue
        seen: set[str] = set()
        for coding in _codings(res):
            system, code = coding.get("system"), coding.get("code")
            if not isinstance(system, str) or not isinstance(code, str):
                continue
            iri = lookup(system, code)
            if iri and iri not in seen:
                seen.add(iri)
                out.append(Order(ref, iri, _text(res, coding)))
    return out
