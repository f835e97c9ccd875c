"""Validate a case graph against shapes/case.ttl, reporting violations by case-sheet key."""

from __future__ import annotations

from rdflib import Graph, URIRef

from dvtkg.cases.errors import Violation
from dvtkg.cases.keys import KeyTable
from dvtkg.cases.vocab import DVT
from dvtkg.validate import validate_graph


def _side(g: Graph, focus: object) -> str | None:
    lat = g.value(focus, DVT.laterality) if isinstance(focus, URIRef) else None
    return str(lat).rsplit("/", 1)[-1] if lat is not None else None


def validate_case(g: Graph, shapes: Graph, keys: KeyTable) -> list[Violation]:
    """Core SHACL, no inference (fast); each violation names the key and the rule."""
    report = validate_graph(g, shapes)
    out: list[Violation] = []
    for r in report.results:
        path = URIRef(str(r.path)) if r.path else None
        spec = keys.by_prop.get(path) if path is not None else None
        key = spec.key if spec else (_name_of(shapes, path) or str(r.path or "case"))
        side = _side(g, r.focus)
        if side:
            key = key.replace("{limb}", side)
        value = "" if r.value is None else str(r.value)
        if value.startswith("https://w3id.org/dvtkg/value/vein-"):
            value = value.rsplit("vein-", 1)[-1]
        rule = r.message or r.constraint
        if spec is not None and rule.startswith(spec.key):
            rule = rule[len(spec.key):].lstrip(": ")
        elif "{limb}" in rule and side:
            rule = rule.replace("{limb}", side)
            if rule.startswith(key):
                rule = rule[len(key):].lstrip(": ")
        out.append(Violation(key, rule, value))
    return sorted(set(out), key=lambda v: (v.key, v.rule, v.value))


def _name_of(shapes: Graph, path: URIRef | None) -> str | None:
    if path is None:
        return None
    from rdflib.namespace import SH

    for shape in shapes.subjects(SH.path, path):
        name = shapes.value(shape, SH.name)
        if name is not None:
            return str(name)
    return None
