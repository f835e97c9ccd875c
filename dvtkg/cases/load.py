"""Read a case from a file, standard input, a dict or an rdflib graph.

Case sheets (``.json``) are mapped to the case graph; case graphs (``.ttl``,
``.jsonld``) are read as RDF in the project's vocabulary. Either way the result is
one asserted case graph with one patient; every later stage works on that graph, so
both inputs give the same assessment.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rdflib import Graph, URIRef
from rdflib.namespace import RDF

from dvtkg.cases.errors import CaseInputError, CaseValidationError, Violation
from dvtkg.cases.guard import check_case_graph
from dvtkg.cases.keys import KeyTable
from dvtkg.cases.sheet import sheet_to_graph
from dvtkg.cases.sheetio import DEFAULT_MAX_INPUT_MB, RDF_FORMATS, _limit_text, _parse_json, _read_text  # noqa: E402,F401
from dvtkg.cases.strictjson import has_control, json_violations, parse_json, plain
from dvtkg.cases.vocab import DVT
from dvtkg.fhir.assess import FHIR_SOURCE, read_fhir


@dataclass
class LoadedCase:
    """An asserted case graph, where it came from, and its structural violations."""

    graph: Graph
    source: str
    case_id: str
    patient: URIRef
    violations: list[Violation]
    #: the FHIR conversion (dvtkg.fhir.convert.FhirConversion) when the input was FHIR, else None
    fhir: Any = None


def _from_graph(g: Graph, source: str, keys: KeyTable | None) -> LoadedCase:
    patients = sorted(set(g.subjects(RDF.type, DVT.Patient)), key=str)
    if len(patients) != 1:
        raise CaseInputError(source, f"a case graph must describe exactly one dvt:Patient (found {len(patients)})")
    patient = patients[0]
    if not isinstance(patient, URIRef):
        raise CaseInputError(source, "the dvt:Patient of a case graph must be named by an IRI, not a blank node")
    if keys is not None:
        bad = check_case_graph(g, patient, keys.case_props, keys.knowledge_terms)
        if bad:
            raise CaseValidationError(source, bad)
    ident = g.value(patient, DVT.caseIdentifier)
    case_id = str(ident) if ident is not None else str(patient).rsplit("/", 1)[-1].split("#")[0]
    if has_control(case_id):
        raise CaseValidationError(source, [Violation("id", "must not contain control characters", repr(case_id)[:60])])
    return LoadedCase(g, source, case_id, patient, [])


def syntax_message(exc: BaseException) -> str:
    """A parser's error as one line, whole: rdflib's Turtle errors span several lines."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    if len(lines) >= 2 and lines[0].startswith("at line ") and lines[0].endswith(":"):
        where = lines[0][3:-1].split(" of ")[0]  # "line 3"
        rest = " ".join(lines[1:])
        return f"{where}: {rest}"
    text = " ".join(lines) or type(exc).__name__
    return text if len(text) <= 1000 else text[:997] + "..."


def _project_context() -> Any:
    from dvtkg import paths

    path = paths.ontology_dir() / "context" / "case.jsonld"
    return json.loads(path.read_text(encoding="utf-8"))["@context"]


def _check_contexts(data: Any, source: str) -> None:
    """Only the project's own JSON-LD context, given inline: nothing is fetched or read."""
    allowed = _project_context()
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict):
            if "@context" in item:
                ctx = item["@context"]
                parts = ctx if isinstance(ctx, list) else [ctx]
                if not all(part == allowed for part in parts):
                    shown = json.dumps(ctx)[:120]
                    raise CaseValidationError(source, [Violation(
                        "@context", "only the project's own case context (ontology/context/case.jsonld), given inline, "
                        "is accepted: a context IRI or path is never fetched or read", shown)])
            stack.extend(v for k, v in item.items() if k != "@context")


def load_case(case: str | Path | dict[str, Any] | Graph, keys: KeyTable | None, fmt: str | None = None,
              max_input_mb: float = DEFAULT_MAX_INPUT_MB, fhir_at: dt.date | None = None) -> LoadedCase:
    """Load a case from a path ('-' = stdin), a case-sheet dict or a case graph.

    Every case graph passes :func:`dvtkg.cases.guard.check_case_graph` (when ``keys`` is
    given): a case is data about its own patient, never knowledge.
    """
    if isinstance(case, Graph):
        return _from_graph(case, "<graph>", keys)
    if isinstance(case, dict):
        if "resourceType" in case:
            return _from_fhir(case, FHIR_SOURCE, keys, fhir_at)
        return _from_sheet(case, "<case sheet>", keys)
    path = str(case)
    suffix = Path(path).suffix.lower() if path != "-" else ""
    kind = fmt or ("json" if suffix == ".json" or path == "-" else RDF_FORMATS.get(suffix))
    if kind is None:
        raise CaseInputError(path, "unknown case format: use a .json case sheet, or a .ttl / .jsonld case graph")
    text = _read_text(path, int(max_input_mb * 1_000_000))
    if kind == "json":
        data = _parse_json(text, path)
        if "resourceType" in data:
            return _from_fhir(data, path, keys, fhir_at)
        return _from_sheet(data, path, keys)
    if kind == "json-ld":
        data = parse_json(text, path)
        bad = json_violations(data)
        if bad:
            raise CaseValidationError(path, bad)
        _check_contexts(data, path)
        text = json.dumps(plain(data))
    g = Graph()
    try:
        g.parse(data=text, format=kind)
    except Exception as exc:  # rdflib raises several parser-specific types; RecursionError, MemoryError too
        raise CaseInputError(path, f"not valid {kind}: {syntax_message(exc)}") from None
    return _from_graph(g, path, keys)


def _from_sheet(sheet: dict[str, Any], source: str, keys: KeyTable | None) -> LoadedCase:
    if keys is None:  # a caller's error, not the user's: only case graphs load without the key table
        raise ValueError("load_case: a case sheet needs the key table (keys=None is for case graphs only)")
    bad = json_violations(sheet)
    if bad:
        raise CaseValidationError(source, bad)
    g, violations = sheet_to_graph(sheet, keys)
    patient = next(iter(g.subjects(RDF.type, DVT.Patient)))
    if not violations:
        violations = check_case_graph(g, patient, keys.case_props, keys.knowledge_terms)
    return LoadedCase(g, source, str(g.value(patient, DVT.caseIdentifier)), patient, violations)


def loaded_from_conversion(conversion: Any, source: str, keys: KeyTable | None) -> LoadedCase:
    """The case sheet of a FHIR conversion (``dvtkg.fhir.convert.FhirConversion``); the conversion rides along."""
    loaded = _from_sheet(conversion.sheet, source, keys)
    loaded.fhir = conversion
    return loaded


def _from_fhir(data: dict[str, Any], source: str, keys: KeyTable | None, at: dt.date | None) -> LoadedCase:
    """A FHIR Bundle (or one resource) read as a case sheet (``dvtkg.fhir.assess.read_fhir``)."""
    return loaded_from_conversion(read_fhir(data, source, at), source, keys)
