"""The safety knowledge the engine reads (decision rules 14, 15): action contraindications,
the options statements offer, and the safety alerts. Loaded once with the knowledge base."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rdflib import Graph

    from dvtkg.queryfiles import QueryFile

URIRef = Any  # an IRI: rdflib's URIRef on the rdflib path, a str on the lean path


@dataclass(frozen=True)
class Contraindication:
    """What blocks or cautions an action, with where it comes from."""

    iri: URIRef
    label: str
    action: URIRef
    action_label: str
    criterion: URIRef
    blocks: bool
    kind: str
    source: str

    @property
    def because(self) -> str:
        """The reason as the report and the JSON show it: label and source."""
        return f"{self.label} ({self.source})" if self.source else self.label


@dataclass
class Option:
    """One alternative a statement offers: a label and the interventions it consists of."""

    iri: URIRef
    label: str
    order: int
    actions: list[URIRef] = field(default_factory=list)


@dataclass(frozen=True)
class Alert:
    """A safety alert: raised when its criterion is met (or the case data conflict)."""

    iri: URIRef
    id: str
    order: int
    message: str
    criterion: URIRef | None
    on_data_conflict: bool
    points_to: tuple[URIRef, ...]


@dataclass
class SafetyKnowledge:
    """Contraindications by IRI, options by statement, alerts in report order."""

    contraindications: dict[URIRef, Contraindication]
    options: dict[URIRef, list[Option]]
    alerts: list[Alert]


def _source_id(iri: object, label: object) -> str:
    """A short name for a source: a statement's or document's local name, or a decision rule's label."""
    if iri is None:
        return ""
    text = str(iri)
    if "/value/rule-" in text:
        return str(label) if label is not None else text.rsplit("/", 1)[-1]
    return text.rsplit("/", 1)[-1]


def load_safety(graph: Graph, queries: dict[str, QueryFile]) -> SafetyKnowledge:
    """Read the safety module's individuals through the guidance detail queries."""
    cis: dict[URIRef, Contraindication] = {}
    for row in graph.query(queries["guidance-contraindication-details"].text):
        cis[row.ci] = Contraindication(
            iri=row.ci, label=str(row.label), action=row.action,
            action_label=str(row.actionLabel) if row.actionLabel is not None else str(row.action).rsplit("#", 1)[-1],
            criterion=row.crit, blocks=str(row.effect).endswith("/blocks"),
            kind=(str(row.kindLabel) if row.kindLabel is not None
                  else ("" if str(row.effect).endswith("/blocks") else "caution")),
            source=_source_id(row.source, row.sourceLabel))
    options: dict[URIRef, dict[URIRef, Option]] = {}
    for row in graph.query(queries["guidance-option-details"].text):
        opt = options.setdefault(row.rec, {}).setdefault(row.opt, Option(row.opt, str(row.label), int(row.order)))
        if row.action not in opt.actions:
            opt.actions.append(row.action)
    alerts: dict[URIRef, Alert] = {}
    points: dict[URIRef, set[URIRef]] = {}
    for row in graph.query(queries["guidance-alert-details"].text):
        points.setdefault(row.alert, set())
        if row.pointsTo is not None:
            points[row.alert].add(row.pointsTo)
        alerts[row.alert] = Alert(row.alert, str(row.id), int(row.order), str(row.message), row.crit,
                                  bool(row.onDataConflict is not None and row.onDataConflict.toPython()), ())
    ordered = sorted((Alert(a.iri, a.id, a.order, a.message, a.criterion, a.on_data_conflict,
                            tuple(sorted(points[a.iri], key=str))) for a in alerts.values()),
                     key=lambda a: (a.order, a.id))
    by_rec = {rec: sorted(opts.values(), key=lambda o: (o.order, o.label)) for rec, opts in options.items()}
    return SafetyKnowledge(cis, by_rec, ordered)
