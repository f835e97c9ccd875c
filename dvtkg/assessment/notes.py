"""Notes that qualify a result without changing its status.

- Decision rule 4: a leg absent from the case was not examined; patient-level findings
  about the DVT are decided from the legs given, and the statements decided that way say so.
- Decision rule 18: while a statement that defers its comparator applies (CHEST21-01a:
  serial imaging *over* anticoagulation), the statements about giving the comparator are
  what to do if it is started, not competing advice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dvtkg.assessment.model import GuidanceItem
from dvtkg.cases.store import SIDES
from dvtkg.guidance.records import ResultRecord

if TYPE_CHECKING:
    from dvtkg.assessment.facts import CaseFacts
    from dvtkg.guidance.knowledge import KnowledgeBase


def limbs_not_examined(facts: CaseFacts) -> list[str]:
    """The legs absent from a case that gives at least one leg (rule 4); none when no leg is given."""
    given = facts.sides()
    return [s for s in SIDES if s not in given] if given else []


def add_notes(kb: KnowledgeBase, facts: CaseFacts, items: list[GuidanceItem], results: list[ResultRecord]) -> None:
    """Attach the rule-4 and rule-18 notes to the items, in place."""
    absent = limbs_not_examined(facts)
    if absent:
        given = ", ".join(f"{s} leg" for s in facts.sides())
        were = "s were" if len(absent) > 1 else " was"
        note = (f"decided from the {given} only: the {' and '.join(absent)} leg{were} "
                f"not examined (decision rule 4)")
        by_key = {(r.rec, r.limb is None): r for r in results}
        for item in items:
            info = kb.statement_by_id(item.id)
            r = by_key.get((info.iri, True)) if info is not None and item.limb is None else None
            if r is None or item.status not in ("applies", "blocked", "not-applicable"):
                continue
            decisive = [cs for cs in r.states if cs.role in ("required", "excluding") and cs.state in ("met", "not-met")
                        and any(k.startswith("limbs.")
                                for k in (kb.criteria[cs.crit].keys if cs.crit in kb.criteria else ()))]
            if decisive and note not in item.notes:
                item.notes.append(note)
    _comparator_notes(kb, items)


def _comparator_notes(kb: KnowledgeBase, items: list[GuidanceItem]) -> None:
    deferring = [i for i in items if i.status == "applies" and kb.defers_comparator(_iri(kb, i.id))]
    for d in deferring:
        comparators = set(kb.comparator_actions(_iri(kb, d.id)))
        label = ", ".join(sorted(str(kb.label(c) or c) for c in comparators))
        for item in items:
            if (item is d or item.direction == "against" or item.type == "DrugLabelStatement"
                    or item.status == "not-applicable"):
                continue
            info = kb.statement_by_id(item.id)
            if info is None:
                continue
            reached = {x for a, _ in info.actions for x in kb.reached_actions(kb.iri(a))}
            if comparators & reached:
                note = (f"if {label} is started: {d.id} ({d.source}) advises {', '.join(d.actions)} first "
                        "(decision rule 18)")
                if note not in item.notes:
                    item.notes.append(note)


def _iri(kb: KnowledgeBase, statement_id: str) -> Any:
    info = kb.statement_by_id(statement_id)
    return info.iri if info is not None else kb.iri(statement_id)
