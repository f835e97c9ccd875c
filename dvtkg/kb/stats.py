"""Counts of the knowledge base's guidance statements.

Every statement is counted once in each breakdown (a statement with no value is
counted under ``(none)``, one with several values under their joined names), so the
counts of every breakdown add up to ``statements``.
"""

from __future__ import annotations

import json
from collections import Counter

from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS

DVT = Namespace("https://w3id.org/dvtkg/ontology#")
REC = Namespace("https://w3id.org/dvtkg/rec/")
DVTV = Namespace("https://w3id.org/dvtkg/value/")
DVTC = Namespace("https://w3id.org/dvtkg/criterion/")
GRADE = Namespace("https://w3id.org/dvtkg/grade/")

NONE = "(none)"

BREAKDOWNS = [
    ("by_type", "statement type"),
    ("by_source", "source"),
    ("by_strength", "native strength"),
    ("by_check_status", "check status"),
    ("by_currency", "currency"),
    ("by_level", "assessment level"),
    ("by_direction", "direction"),
]


def local_name(node) -> str:
    s = str(node)
    for sep in ("#", "/"):
        if sep in s:
            s = s.rsplit(sep, 1)[1]
    return s


def label(graph: Graph, node, lang: str = "en") -> str:
    """rdfs:label, else skos:prefLabel, else the IRI's local name."""
    for prop in (RDFS.label, SKOS.prefLabel):
        values = list(graph.objects(node, prop))
        if values:
            plain = [v for v in values if getattr(v, "language", None) in (None, lang)]
            return str(sorted(plain or values)[0])
    return local_name(node)


def statement_classes(graph: Graph) -> set[URIRef]:
    """dvt:GuidanceStatement and all its subclasses (asserted rdfs:subClassOf*)."""
    return set(graph.transitive_subjects(RDFS.subClassOf, DVT.GuidanceStatement))


def statement_nodes(graph: Graph) -> dict[str, URIRef]:
    """ID (the IRI's local name in rec:) -> IRI, for every guidance statement."""
    classes = statement_classes(graph)
    found: dict[str, URIRef] = {}
    for cls in classes:
        for s in graph.subjects(RDF.type, cls):
            if isinstance(s, URIRef):
                sid = str(s)[len(str(REC)):] if str(s).startswith(str(REC)) else local_name(s)
                found[sid] = s
    return dict(sorted(found.items()))


def statement_type(graph: Graph, node: URIRef, classes: set[URIRef] | None = None) -> URIRef | None:
    """The most specific asserted statement class of ``node``."""
    classes = statement_classes(graph) if classes is None else classes
    types = [t for t in graph.objects(node, RDF.type) if t in classes]
    if not types:
        return None
    # most specific: a type none of whose subclasses is also a type
    specific = [t for t in types if not any(o != t and (o, RDFS.subClassOf, t) in graph for o in types)]
    return sorted(specific or types)[0]


def _key(values: list[str]) -> str:
    return " + ".join(sorted(set(values))) if values else NONE


def compute(graph: Graph) -> dict:
    """The statement counts as a JSON-ready dict."""
    classes = statement_classes(graph)
    nodes = statement_nodes(graph)
    counters: dict[str, Counter[str]] = {name: Counter() for name, _ in BREAKDOWNS}

    def notation_or_label(node) -> str:
        n = list(graph.objects(node, SKOS.notation))
        return str(sorted(n)[0]) if n else label(graph, node)

    for node in nodes.values():
        t = statement_type(graph, node, classes)
        counters["by_type"][local_name(t) if t is not None else NONE] += 1
        counters["by_source"][_key([local_name(o) for o in graph.objects(node, DCTERMS.source)])] += 1
        counters["by_strength"][_key([label(graph, o) for o in graph.objects(node, DVT.hasStrength)])] += 1
        counters["by_check_status"][_key([notation_or_label(o) for o in graph.objects(node, DVT.checkStatus)])] += 1
        counters["by_currency"][_key([notation_or_label(o) for o in graph.objects(node, DVT.currency)])] += 1
        counters["by_level"][_key([notation_or_label(o) for o in graph.objects(node, DVT.assessmentLevel)])] += 1
        counters["by_direction"][_key([notation_or_label(o) for o in graph.objects(node, DVT.direction)])] += 1

    result: dict = {"statements": len(nodes), "triples": len(graph)}
    for name, _ in BREAKDOWNS:
        result[name] = dict(sorted(counters[name].items(), key=lambda kv: (-kv[1], kv[0])))
    return result


def format_text(stats: dict) -> str:
    lines = [f"statements: {stats['statements']}   (triples in the merged graph: {stats['triples']})"]
    for name, title in BREAKDOWNS:
        counts = stats[name]
        lines.append("")
        lines.append(f"by {title}:")
        width = max((len(k) for k in counts), default=0)
        for key, n in counts.items():
            lines.append(f"  {key:<{width}}  {n:>4}")
    return "\n".join(lines)


def format_json(stats: dict) -> str:
    return json.dumps(stats, indent=2, ensure_ascii=False)
