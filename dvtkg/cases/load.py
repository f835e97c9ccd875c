"""Read a case from a file, standard input, a dict or an rdflib graph.

Case sheets (``.json``) are mapped to the case graph; case graphs (``.ttl``,
``.jsonld``) are read as RDF in the project's vocabulary. Either way the result is
one asserted case graph with one patient; every later stage works on that graph, so
both inputs give the same assessment.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rdflib import Graph, URIRef
from rdflib.namespace import RDF

from dvtkg.cases.errors import CaseInputError, Violation
from dvtkg.cases.keys import KeyTable
from dvtkg.cases.sheet import sheet_to_graph
from dvtkg.cases.vocab import DVT

RDF_FORMATS = {".ttl": "turtle", ".jsonld": "json-ld", ".nt": "nt"}


@dataclass
class LoadedCase:
    """An asserted case graph, where it came from, and its structural violations."""

    graph: Graph
    source: str
    case_id: str
    patient: URIRef
    violations: list[Violation]


def _read_text(path: str) -> str:
    if path == "-":
        return sys.stdin.read()
    p = Path(path)
    if not p.exists():
        raise CaseInputError(path, "no such file")
    if p.is_dir():
        raise CaseInputError(path, "is a directory, not a case file")
    try:
        return p.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise CaseInputError(path, f"is not UTF-8 text ({exc.reason} at byte {exc.start})") from exc


def _parse_json(text: str, source: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CaseInputError(source, f"line {exc.lineno} column {exc.colno}: not valid JSON ({exc.msg})") from exc
    if not isinstance(data, dict):
        raise CaseInputError(source, "a case sheet must be a JSON object")
    return data


def _from_graph(g: Graph, source: str) -> LoadedCase:
    patients = sorted(set(g.subjects(RDF.type, DVT.Patient)))
    if len(patients) != 1:
        raise CaseInputError(source, f"a case graph must describe exactly one dvt:Patient (found {len(patients)})")
    patient = patients[0]
    case_id = str(g.value(patient, DVT.caseIdentifier) or str(patient).rsplit("/", 1)[-1].split("#")[0])
    return LoadedCase(g, source, case_id, patient, [])


def load_case(case: str | Path | dict[str, Any] | Graph, keys: KeyTable, fmt: str | None = None) -> LoadedCase:
    """Load a case from a path ('-' = stdin), a case-sheet dict or a case graph."""
    if isinstance(case, Graph):
        return _from_graph(case, "<graph>")
    if isinstance(case, dict):
        return _from_sheet(case, "<case sheet>", keys)
    path = str(case)
    suffix = Path(path).suffix.lower() if path != "-" else ""
    kind = fmt or ("json" if suffix == ".json" or path == "-" else RDF_FORMATS.get(suffix))
    if kind is None:
        raise CaseInputError(path, "unknown case format: use a .json case sheet, or a .ttl / .jsonld case graph")
    text = _read_text(path)
    if kind == "json":
        return _from_sheet(_parse_json(text, path), path, keys)
    g = Graph()
    try:
        g.parse(data=text, format=kind)
    except Exception as exc:  # rdflib raises several parser-specific types
        raise CaseInputError(path, f"not valid {kind}: {str(exc).splitlines()[0][:300]}") from exc
    return _from_graph(g, path)


def _from_sheet(sheet: dict[str, Any], source: str, keys: KeyTable) -> LoadedCase:
    g, violations = sheet_to_graph(sheet, keys)
    patient = next(iter(g.subjects(RDF.type, DVT.Patient)))
    return LoadedCase(g, source, str(g.value(patient, DVT.caseIdentifier)), patient, violations)
