"""What the report shows of statements and criteria: plain data, loadable without rdflib."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

GROUP_ORDER = ("setting", "anticoagulant", "thrombus removal", "filter", "duration", "other")
URIRef = Any  # an IRI: rdflib's URIRef on the rdflib path, a str on the lean path
#: the default clinical question of a statement: the treatment of the VTE itself (dvt:addressesIndication)
VTE_INDICATION = "https://w3id.org/dvtkg/value/indication-vte"


@dataclass
class StatementInfo:
    """What the report shows of one guidance statement."""

    iri: URIRef
    id: str
    type: str
    source: str
    source_title: str
    citation: str
    doi: str
    number: str
    statement: str
    population: str
    direction: str
    strength: str
    certainty: str
    coarse: str
    check: str
    certainty_check: str
    currency: str
    level: str
    source_remark: str
    curator_remark: str
    indication: str = ""                      # the label of indication_iri, read from the knowledge
    indication_iri: str = VTE_INDICATION
    decision_remark: str = ""
    year: str = ""
    strength_rank: int | None = None     # dvt:rankInScheme of the native strength (1 = strongest)
    certainty_rank: int | None = None    # dvt:rankInScheme of the native certainty (1 = highest)
    actions: list[tuple[str, str]] = field(default_factory=list)
    groups: set[str] = field(default_factory=set)
    excluded_groups: set[str] = field(default_factory=set)
    links: dict[str, list[tuple[str, str, str]]] = field(default_factory=lambda: defaultdict(list))

    @property
    def group(self) -> str:
        """The report group: what not to do for 'against', else the action's branch."""
        if self.direction == "against":
            return "what not to do"
        # "anticoagulation alone rather than thrombus removal" is a thrombus-removal decision
        for g in GROUP_ORDER:
            if g in self.excluded_groups:
                return g
        for g in GROUP_ORDER:
            if g in self.groups:
                return g
        return "other"

    def link_labels(self, link: str) -> list[str]:
        return sorted({label for _, label, _ in self.links.get(link, [])})


@dataclass(frozen=True)
class CriterionInfo:
    """A criterion's label, definition, level and deciding keys."""

    iri: URIRef
    label: str
    definition: str
    level: str
    keys: tuple[str, ...]
    borderline: URIRef | None
    #: (branch criterion, its meets-class) when this criterion is met by any of them: the explanation names the
    #: branch that holds, not merely a stated fact
    branches: tuple[tuple[URIRef, URIRef], ...] = ()


@dataclass(frozen=True)
class ConflictCandidate:
    """Two current statements that disagree on overlapping actions, populations aside."""

    a: URIRef
    b: URIRef
    kind: str
    action_a: str
    action_b: str
    stance_a: str
    stance_b: str

    @property
    def node(self) -> Any:
        """The candidate's node in the guidance index (the rdflib path only)."""
        from rdflib import URIRef as RdfIRI

        a, b = str(self.a).rsplit("/", 1)[-1], str(self.b).rsplit("/", 1)[-1]
        return RdfIRI(f"https://w3id.org/dvtkg/rec/conflict-candidate/{a}--{b}")


