"""The bottom line: for each decision, the strongest guidance statement that applies.

A pure function of the results and the conflicts between guidelines. Decisions come in
the order a clinician takes them (where to treat, which anticoagulant, thrombus removal,
filter, how long, what not to do). Within a decision, statements are ordered by the
coarse common strength (strong, weak, other), then by their native grade's rank in its
own scheme (dvt:rankInScheme on the grading concepts: AHA Class I before IIa before IIb,
GRADE high before low, NICE offer before consider), then by certainty's rank, then the
newer source first. Drug-label
statements never lead a decision: they are safety constraints, shown apart.
"""

from __future__ import annotations

from typing import Any, Iterable

from dvtkg.assessment.model import GuidanceItem

DECISIONS: tuple[tuple[str, str], ...] = (
    ("setting", "where to treat"),
    ("anticoagulant", "which anticoagulant"),
    ("thrombus removal", "thrombus removal"),
    ("filter", "filter"),
    ("duration", "how long"),
    ("what not to do", "what not to do"),
)
COARSE_ORDER = {"strong": 0, "weak": 1}
UNRANKED = 99


def strength_key(item: GuidanceItem) -> tuple[int, int, int, int, str, str]:
    """Sort key: coarse strength, then native strength rank, then certainty rank (smaller is stronger);
    on a tie the newer source first (it has seen more of the evidence), then the id."""
    year = int(item.source_year) if item.source_year.isdigit() else 0
    return (COARSE_ORDER.get(item.coarse_strength, 2),
            item.strength_rank if item.strength_rank is not None else UNRANKED,
            item.certainty_rank if item.certainty_rank is not None else UNRANKED,
            -year, item.id, item.limb or "")


def grade_text(item: GuidanceItem) -> str:
    """The native grade as the source writes it (strength, certainty), or 'ungraded'."""
    if item.type == "DrugLabelStatement":
        return "product label"
    parts = [p for p in (item.strength, item.certainty) if p]
    return ", ".join(parts) if parts else "ungraded"


def _direction_partners(lead: GuidanceItem, side: str | None, conflicts: Iterable[dict[str, Any]]) -> set[str]:
    """The statements in an opposite-direction conflict with ``lead`` (on this leg, or patient-wide)."""
    out: set[str] = set()
    for c in conflicts:
        if c.get("kind") != "direction" or lead.id not in c.get("between", []):
            continue
        if side is not None and c.get("limb") not in (None, side):
            continue
        out |= {x for x in c["between"] if x != lead.id}
    return out


def _strength_partners(lead: GuidanceItem, conflicts: Iterable[dict[str, Any]]) -> set[str]:
    return {x for c in conflicts if c.get("kind") == "strength" and lead.id in c.get("between", [])
            for x in c["between"] if x != lead.id}


def _line(decision: str, title: str, lead: GuidanceItem, pool: list[GuidanceItem], side: str | None,
          sides: list[str], conflicts: list[dict[str, Any]], applying: set[str]) -> dict[str, Any]:
    # only statements that apply count (a conflict may also involve a blocked one)
    against = _direction_partners(lead, side, conflicts) & applying
    similar = _strength_partners(lead, conflicts)
    others = {i.id for i in pool if i.id != lead.id}
    if decision == "what not to do":
        # different 'against' statements are about different actions: agreement needs a shared action
        agree = {i.id for i in pool if i.id != lead.id and (set(i.actions) & set(lead.actions) or i.id in similar)}
    else:
        agree = others - against
    return {
        "decision": decision, "title": title, "id": lead.id, "limb": side, "limbs": sides,
        "source": lead.source, "year": lead.source_year, "grade": grade_text(lead),
        "coarseStrength": lead.coarse_strength, "direction": lead.direction, "actions": list(lead.actions),
        "statement": lead.statement,
        "options": list(lead.options), "struckOut": list(lead.struck_out),
        "agree": len(agree), "disagree": len(against),
        "agreeIds": sorted(agree), "disagreeIds": sorted(against),
    }


def bottom_line(results: list[GuidanceItem], conflicts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One line per decision (per leg for a limb decision whose legs differ), strongest applying statement first."""
    applying = [r for r in results if r.status == "applies" and r.type != "DrugLabelStatement"]
    applying_ids = {r.id for r in results if r.status == "applies"}
    out: list[dict[str, Any]] = []
    for decision, title in DECISIONS:
        cands = sorted((r for r in applying if r.group == decision), key=strength_key)
        if not cands:
            continue
        sides = sorted({r.limb for r in cands if r.limb})
        if not sides:
            out.append(_line(decision, title, cands[0], cands, None, [], conflicts, applying_ids))
            continue
        pools = {s: [r for r in cands if r.limb in (s, None)] for s in sides}
        leads = {s: pools[s][0] for s in sides}
        if len({lead.id for lead in leads.values()}) == 1:
            lead = leads[sides[0]]
            side = sides[0] if len(sides) == 1 and lead.limb is not None else None
            out.append(_line(decision, title, leads[sides[0]], pools[sides[0]], side, sides, conflicts, applying_ids))
            continue
        for s in sides:
            out.append(_line(decision, title, leads[s], pools[s], s, [s], conflicts, applying_ids))
    return out
