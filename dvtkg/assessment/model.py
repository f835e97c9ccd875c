"""The assessment result: what the CLI prints and the API returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

STATUS_ORDER = ("applies", "blocked", "indeterminate", "not-applicable")


@dataclass
class GuidanceItem:
    """The status of one statement for the patient or one limb, with its explanation."""

    id: str
    status: str
    source: str
    direction: str
    strength: str
    certainty: str
    check: str
    statement: str
    limb: str | None
    type: str
    level: str
    coarse_strength: str
    group: str
    source_title: str = ""
    citation: str = ""
    doi: str = ""
    number_in_source: str = ""
    population: str = ""
    certainty_check: str = ""
    phases: list[str] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)
    because: list[str] = field(default_factory=list)
    blocked_by: list[str] = field(default_factory=list)
    cautions: list[str] = field(default_factory=list)
    cautions_unknown: list[str] = field(default_factory=list)
    borderline: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    shown_with: list[str] = field(default_factory=list)
    source_remark: str = ""
    curator_remark: str = ""
    decision_rules: list[str] = field(default_factory=list)
    # clinical-safety fields (decision rules 14-18); the engine fills them, the report shows them
    struck_out: list[dict[str, str]] = field(default_factory=list)      # [{"option", "because"}]
    options: list[str] = field(default_factory=list)                    # the option labels that remain
    caution_details: list[dict[str, str]] = field(default_factory=list)  # [{"text", "kind", "source"}]
    questions: list[dict[str, str]] = field(default_factory=list)       # [{"key", "question", "before"}]
    notes: list[str] = field(default_factory=list)
    decision_remark: str = ""
    indication: str = ""
    # ordering data: the native grade's dvt:rankInScheme (1 = strongest / highest) and the source's year
    strength_rank: int | None = None
    certainty_rank: int | None = None
    source_year: str = ""
    # every criterion with all its facts (incl. exclusions that do not hold, vein lists): the verbose report only
    because_full: list[str] = field(default_factory=list, repr=False)
    # ``because`` as structure, what the text report reads (never the labels' spelling):
    # [{"kind": "meets" | "does not meet" | "excluded by" | "unknown", "criterion": IRI, "label", "facts": [...],
    #   "conflict": bool}]; facts are "key = value" (empty: met by the thrombus lists alone)
    reasons: list[dict[str, Any]] = field(default_factory=list, repr=False)
    # the IRI of the clinical question the statement answers (dvt:addressesIndication; the VTE itself by default)
    indication_iri: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "status": self.status, "source": self.source, "sourceTitle": self.source_title,
            "citation": self.citation, "doi": self.doi, "numberInSource": self.number_in_source,
            "type": self.type, "level": self.level, "limb": self.limb,
            "direction": self.direction, "strength": self.strength, "certainty": self.certainty,
            "coarseStrength": self.coarse_strength, "check": self.check, "certaintyCheck": self.certainty_check,
            "statement": self.statement, "population": self.population, "group": self.group,
            "phases": self.phases, "actions": self.actions,
            "because": self.because, "blockedBy": self.blocked_by, "cautions": self.cautions,
            "cautionsUnknown": self.cautions_unknown, "borderline": self.borderline, "missing": self.missing,
            "shownWith": self.shown_with, "sourceRemark": self.source_remark, "curatorRemark": self.curator_remark,
            "decisionRules": self.decision_rules,
            "struckOut": self.struck_out, "options": self.options, "cautionDetails": self.caution_details,
            "questions": self.questions, "notes": self.notes, "decisionRemark": self.decision_remark,
            "indication": self.indication, "strengthRank": self.strength_rank, "certaintyRank": self.certainty_rank,
            "sourceYear": self.source_year,
        }


@dataclass
class Assessment:
    """Everything the engine concluded about one case."""

    case: str
    source: str
    classifications: dict[str, Any]
    recommendations: list[GuidanceItem]
    conflicts: list[dict[str, Any]]
    superseded: list[dict[str, Any]]
    data_conflicts: list[dict[str, Any]]
    derived: list[dict[str, Any]]
    closures: list[dict[str, Any]]
    engine: dict[str, Any]
    graph: Any = field(default=None, repr=False)  # the RDF of the assessment (rdflib path; None on the lean path)
    alerts: list[dict[str, Any]] = field(default_factory=list)          # [{"id", "message", "facts", "blocks"}]
    limbs_not_examined: list[str] = field(default_factory=list)         # ["right"]
    questions: dict[str, str] = field(default_factory=dict)             # missing key -> plain-language question
    bottom_line: list[dict[str, Any]] = field(default_factory=list)     # see dvtkg.assessment.bottomline
    extra: dict[str, Any] = field(default_factory=dict)                 # FHIR input only: unmapped, provenance

    def items(self, statement_id: str) -> list[GuidanceItem]:
        """Every result for one statement (one, or one per limb)."""
        return [r for r in self.recommendations if r.id == statement_id]

    def status(self, statement_id: str, limb: str | None = None) -> str:
        """The status of a statement (for one limb, for limb-level statements)."""
        found = [r for r in self.items(statement_id) if limb is None or r.limb == limb]
        if not found:
            raise KeyError(f"no result for {statement_id}" + (f" on the {limb} limb" if limb else ""))
        if len(found) > 1:
            raise KeyError(f"{statement_id} is assessed per limb: name the limb ({[r.limb for r in found]})")
        return found[0].status

    def item(self, statement_id: str, limb: str | None = None) -> GuidanceItem:
        found = [r for r in self.items(statement_id) if limb is None or r.limb == limb]
        if len(found) != 1:
            raise KeyError(f"expected one result for {statement_id} ({limb}), found {len(found)}")
        return found[0]

    def to_dict(self, with_timings: bool = True) -> dict[str, Any]:
        """The JSON contract of the case-assessment issue (names exact, more fields welcome).

        ``with_timings=False`` leaves out the measured seconds, so that the same case gives
        byte-identical JSON on every run.
        """
        return {
            "case": self.case,
            "source": self.source,
            "alerts": self.alerts,
            "bottomLine": self.bottom_line,
            "limbsNotExamined": self.limbs_not_examined,
            "classifications": self.classifications,
            "recommendations": [r.as_dict() for r in self.recommendations],
            "conflicts": self.conflicts,
            "superseded": self.superseded,
            "dataConflicts": self.data_conflicts,
            "derived": self.derived,
            "closures": self.closures,
            "questions": self.questions,
            "engine": self.engine if with_timings else
            {k: v for k, v in self.engine.items() if not k.endswith("Seconds")},
            **self.extra,
        }
