"""Namespaces shared by the case code, and the case IRI scheme."""

from __future__ import annotations

from urllib.parse import quote

from rdflib import Namespace, URIRef

DVT = Namespace("https://w3id.org/dvtkg/ontology#")
DVTV = Namespace("https://w3id.org/dvtkg/value/")
DVTC = Namespace("https://w3id.org/dvtkg/criterion/")
REC = Namespace("https://w3id.org/dvtkg/rec/")
GRADE = Namespace("https://w3id.org/dvtkg/grade/")
CASE_BASE = "https://w3id.org/dvtkg/case/"
SIDES = ("left", "right")


def case_ns(case_id: str) -> Namespace:
    """The namespace of one case graph: ``https://w3id.org/dvtkg/case/<id>#``."""
    return Namespace(f"{CASE_BASE}{quote(case_id, safe='')}#")


def patient_iri(case_id: str) -> URIRef:
    return case_ns(case_id)["patient"]


def limb_iri(case_id: str, side: str) -> URIRef:
    return case_ns(case_id)[f"limb-{side}"]
