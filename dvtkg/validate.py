"""SHACL validation through pySHACL, with the report as plain Python objects.

``validate_graph`` runs pySHACL with no inference (pass the ontology as
``ont_graph`` when a shape needs class membership from it) and with advanced
features on (SHACL-AF SPARQL targets, SHACL-SPARQL constraints), and turns the
report graph into a :class:`ValidationReport` of :class:`ResultEntry` rows.
Nothing is cached or kept between calls.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyshacl
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, SH, NamespaceManager
from rdflib.term import Node

__all__ = ["ResultEntry", "ValidationReport", "validate_graph", "render_path"]


@dataclass(frozen=True)
class ResultEntry:
    """One top-level ``sh:ValidationResult`` of a report.

    ``path`` is the IRI of a predicate path, a SPARQL-style rendering (a string)
    of a complex path, or None for node-shape results. ``constraint`` is the local
    name of ``sh:sourceConstraintComponent`` (e.g. ``"MinCountConstraintComponent"``)
    and ``severity`` the local name of ``sh:resultSeverity`` (e.g. ``"Violation"``).
    """

    focus: Node
    path: URIRef | str | None
    constraint: str
    shape: Node | None
    message: str | None
    severity: str
    value: Node | None

    def key(self) -> tuple[str, str, str]:
        """(focus, path or "-", constraint) as strings: what shape fixtures compare."""
        return (str(self.focus), "-" if self.path is None else str(self.path), self.constraint)


@dataclass
class ValidationReport:
    """The outcome of one validation: whether the data conforms, and every result."""

    conforms: bool
    results: list[ResultEntry] = field(default_factory=list)
    namespace_manager: NamespaceManager | None = field(default=None, repr=False, compare=False)

    def _show(self, node: Node | str | None) -> str:
        if node is None:
            return "-"
        if isinstance(node, str) and not isinstance(node, (URIRef, Literal, BNode)):
            return node
        if isinstance(node, BNode):
            return "[]"
        if self.namespace_manager is not None:
            try:
                return node.n3(self.namespace_manager)
            except Exception:  # pragma: no cover - n3 of odd nodes
                pass
        return node.n3() if hasattr(node, "n3") else str(node)

    def format_text(self) -> str:
        """One readable line per result (sorted), or a single line when it conforms."""
        if not self.results:
            return "Conforms: no SHACL results." if self.conforms else "Does not conform (no results listed)."
        lines = []
        for r in self.results:
            parts = [f"{r.severity}: {self._show(r.focus)}"]
            if r.path is not None:
                parts.append(f"path {self._show(r.path)}")
            parts.append(f"[{r.constraint}]")
            line = " ".join(parts)
            if r.message:
                line += f": {r.message}"
            if r.value is not None:
                line += f" (value {self._show(r.value)})"
            if r.shape is not None and not isinstance(r.shape, BNode):
                line += f" <- {self._show(r.shape)}"
            lines.append(line)
        return "\n".join(lines)


def _local_name(iri: Node | None) -> str:
    if iri is None:
        return ""
    text = str(iri)
    for sep in ("#", "/"):
        if sep in text:
            text = text.rsplit(sep, 1)[1]
    return text


def render_path(graph: Graph, path: Node) -> URIRef | str:
    """Render a SHACL property path: an IRI stays an IRI, a complex path becomes SPARQL text."""
    if isinstance(path, URIRef):
        return path

    def text(node: Node) -> str:
        if isinstance(node, URIRef):
            return f"<{node}>"
        if (node, RDF.first, None) in graph:
            return "/".join(text(n) for n in Collection(graph, node))
        inverse = graph.value(node, SH.inversePath)
        if inverse is not None:
            return f"^{text(inverse)}"
        alt = graph.value(node, SH.alternativePath)
        if alt is not None:
            return "(" + "|".join(text(n) for n in Collection(graph, alt)) + ")"
        for pred, mark in ((SH.zeroOrMorePath, "*"), (SH.oneOrMorePath, "+"), (SH.zeroOrOnePath, "?")):
            inner = graph.value(node, pred)
            if inner is not None:
                return f"({text(inner)}){mark}"
        return str(node)

    return text(path)


def _message(graph: Graph, result: Node) -> str | None:
    messages = sorted(str(m) for m in graph.objects(result, SH.resultMessage))
    return " | ".join(messages) if messages else None


def validate_graph(data: Graph, shapes: Graph, ont_graph: Graph | None = None) -> ValidationReport:
    """Validate ``data`` against ``shapes`` with pySHACL and return the parsed report.

    Inference is off; advanced (SHACL-AF) features and SPARQL-based constraints are
    on. ``ont_graph``, when given, is mixed into a copy of the data graph by pySHACL
    (the caller's graph is never modified).
    """
    conforms, report_graph, report_text = pyshacl.validate(
        data,
        shacl_graph=shapes,
        ont_graph=ont_graph,
        inference="none",
        advanced=True,
        abort_on_first=False,
        allow_infos=False,
        allow_warnings=False,
        inplace=False,
    )
    if not isinstance(report_graph, Graph):  # pySHACL returns the failure itself on a hard error
        raise RuntimeError(f"SHACL validation failed to run: {report_text}")
    entries: list[ResultEntry] = []
    for report in report_graph.subjects(RDF.type, SH.ValidationReport):
        for result in report_graph.objects(report, SH.result):
            path = report_graph.value(result, SH.resultPath)
            entries.append(
                ResultEntry(
                    focus=report_graph.value(result, SH.focusNode),
                    path=None if path is None else render_path(report_graph, path),
                    constraint=_local_name(report_graph.value(result, SH.sourceConstraintComponent)),
                    shape=report_graph.value(result, SH.sourceShape),
                    message=_message(report_graph, result),
                    severity=_local_name(report_graph.value(result, SH.resultSeverity)),
                    value=report_graph.value(result, SH.value),
                )
            )
    entries.sort(key=lambda e: (*e.key(), str(e.value)))
    prefixes = Graph(bind_namespaces="none")
    for graph in (data, shapes):
        for prefix, namespace in graph.namespaces():
            if prefix:
                prefixes.bind(prefix, namespace, override=False)
    return ValidationReport(conforms=bool(conforms), results=entries,
                            namespace_manager=prefixes.namespace_manager)
