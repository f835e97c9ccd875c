"""Assemble the Assessment (the JSON contract) from evaluated results, facts and inferred types.

Shared by every path: the rdflib pipeline (reference and rdflib-fast engines) passes the
loaded KnowledgeBase and graph-backed facts; the lean path passes the compiled knowledge
artefact and store-backed facts. Both answer the same questions (``criteria``,
``statements``, ``safety``, ``keys``, ``label``, ``evidence_text``, ...), so the JSON is
written by one piece of code. No rdflib here.
"""

from __future__ import annotations

from typing import Any

from dvtkg.assessment.bottomline import bottom_line
from dvtkg.assessment.explain import explain
from dvtkg.assessment.model import Assessment
from dvtkg.assessment.notes import add_notes, limbs_not_examined
from dvtkg.assessment.safety import raise_alerts
from dvtkg.guidance.records import Evaluation

CRITERION_NS = "https://w3id.org/dvtkg/criterion/"


def assemble(kb: Any, ev: Evaluation, facts: Any, types: dict[Any, set[Any]], *, case: str, source: str,
             data_conflicts: list[dict[str, Any]], derived: list[dict[str, Any]], closures: list[dict[str, Any]],
             graph: Any = None) -> Assessment:
    """Everything but the engine block: results explained, notes, alerts, bottom line, questions."""
    current, old = explain(kb, ev, facts)
    assessment = Assessment(
        case=case, source=source,
        classifications=classifications(kb, types, facts),
        recommendations=sorted(current, key=lambda i: (i.id, i.limb or "")),
        conflicts=conflicts(kb, ev),
        superseded=superseded(kb, ev, old),
        data_conflicts=data_conflicts, derived=derived, closures=closures,
        engine={}, graph=graph,
    )
    add_notes(kb, facts, current, ev.results)
    assessment.limbs_not_examined = limbs_not_examined(facts)
    assessment.alerts = raise_alerts(kb, facts, current, ev.results, assessment.data_conflicts)
    assessment.bottom_line = bottom_line(assessment.recommendations, assessment.conflicts)
    assessment.questions = questions(kb, assessment)
    return assessment


def questions(kb: Any, a: Assessment) -> dict[str, str]:
    """A plain-language question (dvt:questionText) for every key listed as missing anywhere."""
    keys = {k for r in a.recommendations for k in r.missing}
    keys |= {q["key"] for r in a.recommendations for q in r.questions if q.get("key")}
    return {k: kb.keys.question(k) for k in sorted(keys)}


def classifications(kb: Any, types: dict[Any, set[Any]], facts: Any) -> dict[str, Any]:
    """The labels of the criteria met by the patient and by each limb."""
    def met(subject: Any) -> list[str]:
        if subject is None:
            return []
        labels = []
        for cls in types.get(subject, ()):
            name = str(cls).rsplit("#", 1)[-1]
            if name.endswith("Met") and not name.endswith("NotMet"):
                info = kb.criteria.get(kb.iri(f"{CRITERION_NS}{name[:-3]}"))
                labels.append(info.label if info else name[:-3])
        return sorted(labels)
    return {"patient": met(facts.patient),
            "limbs": {side: met(facts.limb(side)) for side in facts.sides()}}


def action_label(kb: Any, iri: str) -> str:
    label = kb.label(kb.iri(iri))
    return label if label is not None else iri.rsplit("#", 1)[-1]


def conflicts(kb: Any, ev: Evaluation) -> list[dict[str, Any]]:
    """The conflicts between statements that both apply, explained."""
    out = []
    for c in ev.conflicts:
        a, b = kb.statements[c.a.rec], kb.statements[c.b.rec]
        limb = next((str(r.limb).rsplit("limb-", 1)[-1] for r in (c.a, c.b) if r.limb is not None), None)
        act = {action_label(kb, x) for x in c.actions}
        if c.kind == "direction":
            why = (f"{a.id} ({a.source}, {a.strength or 'ungraded'}) is {c.stances[0]} "
                   f"{action_label(kb, c.actions[0])}; "
                   f"{b.id} ({b.source}, {b.strength or 'ungraded'}) is {c.stances[1]} "
                   f"{action_label(kb, c.actions[1])}")
        else:
            why = (f"both are {c.stances[0]} {' / '.join(sorted(act))}, but {a.id} is {a.coarse or 'ungraded'} "
                   f"({a.source} {a.strength}) and {b.id} is {b.coarse or 'ungraded'} ({b.source} {b.strength})")
        statuses = f" [{a.id}: {c.a.status}, {b.id}: {c.b.status}]"
        out.append({"between": [a.id, b.id], "kind": c.kind, "limb": limb,
                    "explanation": why + (f" (on the {limb} limb)" if limb else "") + statuses})
    return sorted(out, key=lambda d: (d["kind"] != "direction", d["limb"] or "", d["between"]))


def superseded(kb: Any, ev: Evaluation, old: list[Any]) -> list[dict[str, Any]]:
    """The superseded statements that would still apply or be blocked, with what replaced them."""
    items = {i.id: i for i in old}
    out = []
    for rec, status, replaced, evidence in ev.superseded:
        info = kb.statements[rec]
        out.append({"id": info.id, "status": status, "statement": info.statement, "source": info.source,
                    "strength": info.strength, "certainty": info.certainty, "check": info.check,
                    "replacedBy": sorted(kb.statements[r].id if r in kb.statements else str(r) for r in replaced),
                    "evidence": [kb.evidence_text(e) for e in evidence],
                    "because": items[info.id].because if info.id in items else []})
    return sorted(out, key=lambda d: d["id"])
