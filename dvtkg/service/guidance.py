"""The knowledge base loaded once per worker, and what the cards need to know about interventions.

The service calls only ``Assessor.assess`` / ``Assessor.assess_conversion`` (the project's public
API) and reads the result's fields; which engine classifies (``fast`` or the HermiT ``reference``)
is a setting, so a faster engine replaces the reasoner without any change here. On ``fast`` the
assessor is the lean path (``dvtkg.lean``: the compiled knowledge artefact, no rdflib graph per
request), and the intervention overlaps and labels the order cards need come from a table cached
next to the artefact (``orderknowledge``: the knowledge graph is read only to build it). The
assessor is not shared between threads: one lock serialises the calls of a worker (run more
workers for more throughput).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dvtkg.assessment.model import Assessment, GuidanceItem


@dataclass
class Guidance:
    """One loaded ``Assessor`` with the intervention overlaps (an order matches a statement's action)."""

    assessor: Any
    overlaps: dict[str, set[str]] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def load(cls, engine: str = "fast", root: Path | None = None) -> "Guidance":
        from dvtkg.assessment.pipeline import Assessor
        from dvtkg.service import orderknowledge

        assessor = Assessor(engine=engine, root=root)  # fast: the lean path only, the knowledge graph not loaded
        orders = (orderknowledge.from_graph(assessor.kb) if assessor.lean is None
                  else orderknowledge.load_cached(assessor.lean.knowledge.stamp, root))
        # the FHIR converter too (code tables, models, UCUM registry): else the first hook call pays seconds
        from dvtkg.fhir.convert import warm_up

        warm_up(root)
        guidance = cls(assessor, orders.overlaps, orders.labels)
        guidance.warm_up()
        return guidance

    def warm_up(self) -> None:
        """Assess one small case once, so that the first hook call does not pay for what runs only once."""
        self.assess({"id": "warm-up", "age": 50, "sex": "male", "limbs": {"left": {"veins": ["femoral"]}}})

    @property
    def knowledge(self) -> Any:
        """What the statements' actions and options are read from: the lean artefact on fast, else the graph."""
        lean = self.assessor.lean
        return lean.knowledge if lean is not None else self.assessor.kb

    @property
    def engine(self) -> str:
        return str(self.assessor.engine)

    def assess(self, sheet: dict[str, Any]) -> Assessment:
        """Assess one case sheet (raises the pipeline's CaseValidationError / CaseInputError)."""
        with self.lock:
            return self.assessor.assess(sheet)

    def assess_conversion(self, conversion: Any, source: str) -> Assessment:
        """Assess FHIR read already (``dvtkg.fhir.convert.FhirConversion``): its sheet, with the resources'
        conflicts as data conflicts and the report's unmapped and provenance (as ``dvtkg assess`` does)."""
        with self.lock:
            return self.assessor.assess_conversion(conversion, source)

    def statement_actions(self, item: GuidanceItem) -> list[str]:
        """The intervention IRIs a statement recommends (or recommends against)."""
        info = self.knowledge.statement_by_id(item.id)
        return [str(iri) for iri, _ in info.actions] if info is not None else []

    def option_actions(self, item: GuidanceItem) -> dict[str, list[str]]:
        """The statement's options: label -> intervention IRIs (empty when it offers none)."""
        info = self.knowledge.statement_by_id(item.id)
        safety = self.knowledge.safety
        if info is None or safety is None:
            return {}
        return {o.label: [str(a) for a in o.actions] for o in safety.options.get(info.iri, [])}

    def overlap(self, ordered: str, actions: list[str]) -> bool:
        """Whether an ordered intervention is one of ``actions``, a kind of one, or a general form of one."""
        return any(ordered == a or a in self.overlaps.get(ordered, ()) for a in actions)

    def label(self, iri: str) -> str:
        return self.labels.get(iri) or iri.rsplit("#", 1)[-1]
