"""Turn evaluated results into explained guidance items (because, blocked by, missing)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dvtkg.assessment.model import GuidanceItem
from dvtkg.assessment.safety import explain_options
from dvtkg.guidance.records import CriterionState, Evaluation, ResultRecord

if TYPE_CHECKING:
    from dvtkg.assessment.facts import CaseFacts
    from dvtkg.guidance.knowledge import KnowledgeBase

URIRef = Any  # an IRI: rdflib's URIRef on the rdflib path, a str on the lean path

CURRENT_TYPES = ("Recommendation", "DrugLabelStatement")


def _side(limb: URIRef | None) -> str | None:
    if limb is None or str(limb).endswith("NoLimbDescribed"):
        return None
    return str(limb).rsplit("limb-", 1)[-1]


DEMOGRAPHIC = {"age", "sex", "weightKg"}
NEGATIVE = (" = false", " = none", " = normal", " = no thrombus on imaging")


def _facts_text(kb: KnowledgeBase, facts: CaseFacts, crit: URIRef, side: str | None, veins: bool = True,
                met: bool = False) -> str:
    """The stated facts that decide a criterion, as "(key = value; ...)" (see ``_facts``)."""
    shown = _facts(kb, facts, crit, side, veins, met)
    return f" ({'; '.join(shown)})" if shown else ""


def _facts(kb: KnowledgeBase, facts: CaseFacts, crit: URIRef, side: str | None, veins: bool = True,
           met: bool = False) -> list[str]:
    """The stated facts that decide a criterion, each "key = value".

    ``veins=False`` gives the concise form: no thrombus lists (the report shows them once
    per leg), and for a met criterion only the first fact that holds something (a criterion is
    met by what is present, not by the stated negatives).
    """
    memo = facts.__dict__.setdefault("_facts_memo", {})  # the facts do not change while a case is explained
    key = (crit, side, veins, met)
    if key not in memo:
        memo[key] = _facts_uncached(kb, facts, crit, side, veins, met)
    return list(memo[key])


def _facts_uncached(kb: KnowledgeBase, facts: CaseFacts, crit: URIRef, side: str | None, veins: bool,
                    met: bool) -> list[str]:
    info = kb.criteria.get(crit)
    if info is None:
        return []
    if not veins and met and info.branches:
        held = _held_branch(kb, facts, info, side)
        if held:
            return [held]
    shown = []
    for template in info.keys:
        for key in facts.expand(template, side):
            if not veins and key.endswith(".veins"):
                continue
            value = facts.value(key)
            if value is not None:
                shown.append(f"{key} = {value}")
    shown = list(dict.fromkeys(shown))
    if not veins and met:
        # demographics are mostly inputs (of a derived CrCl, of a sex-specific criterion): named last
        telling = [f for f in shown if not f.endswith(NEGATIVE)]
        # a fact stated true is what meets a criterion more often than a graded value (bleeding risk = low)
        shown = sorted(telling, key=lambda f: (f.split(" = ")[0] in DEMOGRAPHIC, not f.endswith(" = true")))[:1]
    if len(shown) > 4:
        # Many deciding facts (a composite criterion): show those that hold something,
        # not the long list of stated negatives.
        telling = [f for f in shown if not f.endswith(NEGATIVE)]
        more = len(shown) - len(telling[:6])
        shown = telling[:6] + ([f"... {more} more stated"] if more > 0 else [])
    return shown


def _concise(item: GuidanceItem, kind: str, cs: CriterionState, label: str, brief: str, facts: list[str]) -> None:
    """A concise reason, as text (``because``) and as structure (``reasons``, what the text report reads)."""
    item.because.append(f"{kind}: {brief}")
    item.reasons.append(_reason(kind, cs, label, facts))


def _reason(kind: str, cs: CriterionState, label: str, facts: list[str]) -> dict[str, Any]:
    """One concise reason as structure: the criterion's IRI, its label and the stated facts apart."""
    return {"kind": kind, "criterion": str(cs.crit), "label": label, "facts": facts, "conflict": cs.state == "conflict"}


def _held_branch(kb: KnowledgeBase, facts: CaseFacts, info: Any, side: str | None) -> str | None:
    """For a criterion met when any of its branch criteria is met: the first branch that holds, with its fact.

    Without this, the concise form would show the first stated fact among all the branches'
    keys, which need not be the one that met the criterion (a stated low bleeding risk shown
    as the reason for treatment in hospital when the reason is a limb-threatening DVT). The
    branch's own branches are followed down to the fact; only the first level is named.
    """
    subject = facts.limb(side) if info.level == "limb" and side else facts.patient
    if subject is None:
        return None
    for branch, met_class in info.branches:
        if not facts.holds(subject, kb.iri(str(met_class))):
            continue
        binfo = kb.criteria.get(kb.iri(str(branch)))
        why = _held_branch(kb, facts, binfo, side) if binfo is not None and binfo.branches else None
        if why is not None:
            why = why.split(": ", 1)[-1]
        else:
            why = "; ".join(_facts(kb, facts, kb.iri(str(branch)), side, veins=False, met=True)) or None
        if why:
            return f"{_label(kb, kb.iri(str(branch)))}: {why}"
    return None


def _label(kb: KnowledgeBase, crit: URIRef) -> str:
    info = kb.criteria.get(crit)
    return info.label if info else str(crit).rsplit("/", 1)[-1]


def missing_keys(kb: KnowledgeBase, facts: CaseFacts, cs: CriterionState, side: str | None,
                 by_rec: dict[tuple[URIRef, str | None], ResultRecord], depth: int = 0) -> list[str]:
    """The case-sheet keys whose values would decide an unknown criterion."""
    info = kb.criteria.get(cs.crit)
    if info is None:
        return []
    keys: list[str] = []
    candidates: list[str] = []
    for template in info.keys:
        for key in facts.expand(template, side if info.level == "limb" else None):
            candidates.append(key)
            if facts.value(key) is None:
                keys.append(key)
    for dep in kb.met_when_applies(cs.crit):
        if depth > 2:
            break
        for (rec, s), r in by_rec.items():
            if rec == dep and (s == side or s is None) and r.status == "indeterminate":
                for dcs in r.states:
                    if dcs.role in ("required", "excluding", "blocking") and dcs.state in ("unknown", "conflict"):
                        keys += missing_keys(kb, facts, dcs, s, by_rec, depth + 1)
    if facts.value("labs.crclMlMin") is not None:
        # CrCl is known (stated or derived): the inputs of its derivation decide nothing more.
        keys = [k for k in keys if k != "labs.serumCreatinineMgDl"]
        candidates = [k for k in candidates if k != "labs.serumCreatinineMgDl"]
    return list(dict.fromkeys(keys or candidates))


def explain(kb: KnowledgeBase, ev: Evaluation, facts: CaseFacts) -> tuple[list[GuidanceItem], list[GuidanceItem]]:
    """(current statements' items, superseded statements' items), each result explained."""
    by_rec = {(r.rec, _side(r.limb)): r for r in ev.results}
    current: list[GuidanceItem] = []
    old: list[GuidanceItem] = []
    for r in ev.results:
        info = kb.statements.get(r.rec)
        if info is None:
            continue
        side = _side(r.limb)
        item = GuidanceItem(
            id=info.id, status=r.status, source=info.source, direction=info.direction, strength=info.strength,
            certainty=info.certainty, check=info.check, statement=info.statement, limb=side, type=info.type,
            level=info.level, coarse_strength=info.coarse, group=info.group, source_title=info.source_title,
            citation=info.citation, doi=info.doi, number_in_source=info.number, population=info.population,
            certainty_check=info.certainty_check, phases=info.link_labels("phase"),
            actions=[label for _, label in info.actions],
            shown_with=[f"{label}{_facts_text(kb, facts, kb.iri(value), side) or ' (not stated)'}"
                        for value, label, _ in info.links.get("shownWith", [])],
            source_remark=info.source_remark, curator_remark=info.curator_remark,
            decision_rules=info.link_labels("rule"), decision_remark=info.decision_remark,
            strength_rank=info.strength_rank, certainty_rank=info.certainty_rank, source_year=info.year)
        # the states come from sets: sorted, so that output is the same whatever PYTHONHASHSEED
        for cs in sorted(r.states, key=lambda cs: (cs.role, str(cs.crit), cs.state)):
            label = _label(kb, cs.crit)
            text = label + _facts_text(kb, facts, cs.crit, side)
            brief_facts = _facts(kb, facts, cs.crit, side, veins=False, met=cs.state == "met")
            brief = label + (f" ({'; '.join(brief_facts)})" if brief_facts else "")
            if cs.state == "conflict":
                text += " [contradictory facts: treated as unknown]"
                brief += " [contradictory facts: treated as unknown]"
            unknown = cs.state in ("unknown", "conflict")

            if cs.role == "required":
                if r.status in ("applies", "blocked", "indeterminate") and cs.state == "met":
                    item.because_full.append(f"meets: {text}")
                    _concise(item, "meets", cs, label, brief, brief_facts)
                elif r.status == "not-applicable" and cs.state == "not-met":
                    item.because_full.append(f"does not meet: {text}")
                    _concise(item, "does not meet", cs, label, brief, brief_facts)
            elif cs.role == "excluding":
                if r.status in ("applies", "blocked") and cs.state == "not-met":
                    # an exclusion that does not hold decides nothing the clinician acts on: full form only
                    item.because_full.append(f"not excluded: {text}")
                elif r.status == "not-applicable" and cs.state == "met":
                    item.because_full.append(f"excluded by: {text}")
                    _concise(item, "excluded by", cs, label, brief, brief_facts)
            elif cs.role == "blocking":
                if cs.state == "met":
                    item.blocked_by.append(text)
            elif cs.role == "caution":
                if cs.state == "met":
                    item.cautions.append(text)
                    binfo = kb.criteria.get(cs.crit)
                    if binfo is not None and binfo.borderline is not None and facts.in_class(binfo.borderline):
                        item.borderline.append(f"{label}: within the loosely stated edge of the window")
                elif unknown:
                    item.cautions_unknown.append(label)
            if r.status == "indeterminate" and unknown and cs.role in ("required", "excluding", "blocking"):
                line = f"unknown: {label}" + (" (contradictory facts)" if cs.state == "conflict" else "")
                item.because.append(line)
                item.because_full.append(line)
                item.reasons.append(_reason("unknown", cs, label, []))
                item.missing += missing_keys(kb, facts, cs, side, by_rec)
        explain_options(kb, r, item, facts, side, lambda crit, _side=side: _facts_text(kb, facts, crit, _side))
        item.indication, item.indication_iri = info.indication, info.indication_iri
        item.missing = sorted(dict.fromkeys(item.missing))
        (current if info.currency == "current" else old).append(item)
    return current, old
