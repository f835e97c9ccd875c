"""The knowledge base loaded once per worker, and what the cards need to know about interventions.

The service calls only ``Assessor.assess`` (the project's public API) and reads the result's
fields; which engine classifies (``fast`` or the HermiT ``reference``) is a setting, so a faster
engine replaces the reasoner without any change here. The assessor is not shared between
threads: one lock serialises the calls of a worker (run more workers for more throughput).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rdflib import RDFS, URIRef

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

        assessor = Assessor(engine=engine, root=root)
        overlaps: dict[str, set[str]] = {}
        for row in assessor.kb.query("guidance-action-overlaps"):
            overlaps.setdefault(str(row.a), set()).add(str(row.b))
        labels = {a: str(assessor.kb.graph.value(URIRef(a), RDFS.label) or a.rsplit("#", 1)[-1]) for a in overlaps}
        # the FHIR converter too (code tables, models, UCUM registry): else the first hook call pays seconds
        from dvtkg.fhir.convert import warm_up

        warm_up(root)
        return cls(assessor, overlaps, labels)

    @property
    def engine(self) -> str:
        return str(self.assessor.engine)

    def assess(self, sheet: dict[str, Any]) -> Assessment:
        """Assess one case sheet (raises the pipeline's CaseValidationError / CaseInputError)."""
        with self.lock:
            return self.assessor.assess(sheet)

    def statement_actions(self, item: GuidanceItem) -> list[str]:
        """The intervention IRIs a statement recommends (or recommends against)."""
        info = self.assessor.kb.statement_by_id(item.id)
        return [str(iri) for iri, _ in info.actions] if info is not None else []

    def option_actions(self, item: GuidanceItem) -> dict[str, list[str]]:
        """The statement's options: label -> intervention IRIs (empty when it offers none)."""
        info = self.assessor.kb.statement_by_id(item.id)
        safety = self.assessor.kb.safety
        if info is None or safety is None:
            return {}
        return {o.label: [str(a) for a in o.actions] for o in safety.options.get(info.iri, [])}

    def overlap(self, ordered: str, actions: list[str]) -> bool:
        """Whether an ordered intervention is one of ``actions``, a kind of one, or a general form of one."""
        return any(ordered == a or a in self.overlaps.get(ordered, ()) for a in actions)

    def label(self, iri: str) -> str:
        return self.labels.get(iri) or iri.rsplit("#", 1)[-1]
