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
    memo = _memo(facts, "_facts_text_memo")
    key = (crit, side, veins, met)
    text = memo.get(key)
    if text is None:
        shown = _facts_shown(kb, facts, crit, side, veins, met)
        text = memo[key] = f" ({'; '.join(shown)})" if shown else ""
    return text


def _facts(kb: KnowledgeBase, facts: CaseFacts, crit: URIRef, side: str | None, veins: bool = True,
           met: bool = False) -> list[str]:
    """The stated facts that decide a criterion, each "key = value".

    ``veins=False`` gives the concise form: no thrombus lists (the report shows them once
    per leg), and for a met criterion only the first fact that holds something (a criterion is
    met by what is present, not by the stated negatives).
    """
    return list(_facts_shown(kb, facts, crit, side, veins, met))


def _facts_shown(kb: KnowledgeBase, facts: CaseFacts, crit: URIRef, side: str | None, veins: bool,
                 met: bool) -> tuple[str, ...]:
    """``_facts`` read once per case (a tuple: callers that keep it take a copy)."""
    memo = _memo(facts, "_facts_memo")
    key = (crit, side, veins, met)
    found = memo.get(key)
    if found is None:
        found = memo[key] = tuple(_facts_uncached(kb, facts, crit, side, veins, met))
    return found


def _memo(owner: Any, name: str) -> dict[Any, Any]:
    """A memo kept with what it is computed from: a case's facts (they do not change while the case is
    explained), or the knowledge (unchanging tables, not state of a case)."""
    memo = owner.__dict__.get(name)
    if memo is None:
        memo = owner.__dict__[name] = {}
    return memo


def _keys(kb: KnowledgeBase, facts: CaseFacts, crit: URIRef, side: str | None, veins: bool) -> tuple[str, ...]:
    """The concrete keys of a criterion's key templates for a side (without .veins when ``veins`` is False).

    They depend on the knowledge alone: kept with it (a cache of unchanging tables, not state of a case).
    """
    cache = _memo(kb, "_explain_keys")
    key = (crit, side, veins)
    found = cache.get(key)
    if found is None:
        info = kb.criteria.get(crit)
        found = cache[key] = tuple(k for t in (info.keys if info is not None else ()) for k in facts.expand(t, side)
                                   if veins or not k.endswith(".veins"))
    return found


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
    value_of = facts.value
    for key in _keys(kb, facts, crit, side, veins):
        value = value_of(key)
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
    # a statement has results for the limbs or one for no limb (a patient-level one, or a limb-level one
    # without limbs), never both: at most one of (dep, side), (dep, None) is there
    sides = (None,) if side is None else (side, None)
    for dep in kb.met_when_applies(cs.crit):
        if depth > 2:
            break
        for s in sides:
            r = by_rec.get((dep, s))
            if r is not None and r.status == "indeterminate":
                for dcs in r.states:
                    if dcs.role in ("required", "excluding", "blocking") and dcs.state in ("unknown", "conflict"):
                        keys += missing_keys(kb, facts, dcs, s, by_rec, depth + 1)
    if facts.value("labs.crclMlMin") is not None:
        # CrCl is known (stated or derived): the inputs of its derivation decide nothing more.
        keys = [k for k in keys if k != "labs.serumCreatinineMgDl"]
        candidates = [k for k in candidates if k != "labs.serumCreatinineMgDl"]
    return list(dict.fromkeys(keys or candidates))


def _statement_fields(kb: KnowledgeBase, rec: URIRef, info: Any
                      ) -> tuple[tuple[dict[str, Any], tuple[str, ...], tuple[str, ...]], list[tuple[Any, str]]]:
    """What a statement's items share whatever the case: the GuidanceItem fields, and its shown-with criteria.

    Read once per statement and kept with the knowledge (a cache of unchanging tables, keyed by the
    statement's info object, so that a replaced info is read again). The list fields are copied per item.
    """
    cache = _memo(kb, "_explain_statements")
    found = cache.get(rec)
    if found is None or found[0] is not info:
        fields = dict(
            id=info.id, source=info.source, direction=info.direction, strength=info.strength,
            certainty=info.certainty, check=info.check, statement=info.statement, type=info.type,
            level=info.level, coarse_strength=info.coarse, group=info.group, source_title=info.source_title,
            citation=info.citation, doi=info.doi, number_in_source=info.number, population=info.population,
            certainty_check=info.certainty_check, phases=info.link_labels("phase"),
            actions=[label for _, label in info.actions],
            source_remark=info.source_remark, curator_remark=info.curator_remark,
            decision_rules=info.link_labels("rule"), decision_remark=info.decision_remark,
            strength_rank=info.strength_rank, certainty_rank=info.certainty_rank, source_year=info.year)
        shown = [(kb.iri(value), label) for value, label, _ in info.links.get("shownWith", [])]
        # every field of an item as GuidanceItem() makes it (defaults included), and which of them are lists
        proto = GuidanceItem(**fields, status="", limb=None).__dict__
        found = cache[rec] = (info, (proto, tuple(k for k, v in proto.items() if type(v) is list and v),
                                     tuple(k for k, v in proto.items() if type(v) is list and not v)), shown)
    return found[1], found[2]


def _new_item(proto: tuple[dict[str, Any], tuple[str, ...], tuple[str, ...]], status: str, limb: str | None
              ) -> GuidanceItem:
    """A GuidanceItem with the statement's fixed fields: what GuidanceItem(...) gives, without its long __init__.

    Every list field is a list of its own (the explanation fills them item by item).
    """
    fields, full, empty = proto
    d = fields.copy()
    for k in full:
        d[k] = d[k][:]
    for k in empty:
        d[k] = []
    d["status"], d["limb"] = status, limb
    item = GuidanceItem.__new__(GuidanceItem)
    item.__dict__ = d
    return item


def _state_order(cs: CriterionState) -> tuple[str, str, str]:
    return (cs.role, str(cs.crit), cs.state)


def explain(kb: KnowledgeBase, ev: Evaluation, facts: CaseFacts) -> tuple[list[GuidanceItem], list[GuidanceItem]]:
    """(current statements' items, superseded statements' items), each result explained."""
    by_rec = {(r.rec, _side(r.limb)): r for r in ev.results}
    current: list[GuidanceItem] = []
    old: list[GuidanceItem] = []
    labels: dict[URIRef, str] = {}
    statements = kb.statements
    for r in ev.results:
        info = statements.get(r.rec)
        if info is None:
            continue
        side = _side(r.limb)
        fields, shown = _statement_fields(kb, r.rec, info)
        item = _new_item(fields, r.status, side)
        item.shown_with = [f"{label}{_facts_text(kb, facts, crit, side) or ' (not stated)'}" for crit, label in shown]
        status = r.status
        # the states come from sets: sorted, so that output is the same whatever PYTHONHASHSEED
        for cs in sorted(r.states, key=_state_order):
            crit, role, state = cs.crit, cs.role, cs.state
            label = labels.get(crit)
            if label is None:
                label = labels[crit] = _label(kb, crit)
            unknown = state == "unknown" or state == "conflict"
            # the text forms, made only where one is shown
            if role == "required":
                if state == "met" and status in ("applies", "blocked", "indeterminate"):
                    _meets(kb, facts, item, "meets", cs, label, side)
                elif state == "not-met" and status == "not-applicable":
                    _meets(kb, facts, item, "does not meet", cs, label, side)
            elif role == "excluding":
                if state == "not-met" and status in ("applies", "blocked"):
                    # an exclusion that does not hold decides nothing the clinician acts on: full form only
                    item.because_full.append(f"not excluded: {_full(kb, facts, cs, label, side)}")
                elif state == "met" and status == "not-applicable":
                    _meets(kb, facts, item, "excluded by", cs, label, side)
            elif role == "blocking":
                if state == "met":
                    item.blocked_by.append(_full(kb, facts, cs, label, side))
            elif role == "caution":
                if state == "met":
                    item.cautions.append(_full(kb, facts, cs, label, side))
                    binfo = kb.criteria.get(crit)
                    if binfo is not None and binfo.borderline is not None and facts.in_class(binfo.borderline):
                        item.borderline.append(f"{label}: within the loosely stated edge of the window")
                elif unknown:
                    item.cautions_unknown.append(label)
            if unknown and status == "indeterminate" and role in ("required", "excluding", "blocking"):
                line = f"unknown: {label}" + (" (contradictory facts)" if state == "conflict" else "")
                item.because.append(line)
                item.because_full.append(line)
                item.reasons.append(_reason("unknown", cs, label, []))
                item.missing += missing_keys(kb, facts, cs, side, by_rec)
        explain_options(kb, r, item, facts, side, lambda crit, _side=side: _facts_text(kb, facts, crit, _side))
        item.indication, item.indication_iri = info.indication, info.indication_iri
        item.missing = sorted(dict.fromkeys(item.missing))
        (current if info.currency == "current" else old).append(item)
    return current, old


CONFLICT_MARK = " [contradictory facts: treated as unknown]"


def _full(kb: KnowledgeBase, facts: CaseFacts, cs: CriterionState, label: str, side: str | None) -> str:
    """A criterion with all its deciding facts (the full form: blocked by, cautions, because_full)."""
    text = label + _facts_text(kb, facts, cs.crit, side)
    return text + CONFLICT_MARK if cs.state == "conflict" else text


def _meets(kb: KnowledgeBase, facts: CaseFacts, item: GuidanceItem, kind: str, cs: CriterionState, label: str,
           side: str | None) -> None:
    """A deciding criterion: its full line, and its concise reason (text and structure)."""
    memo = _memo(facts, "_meets_memo")
    key = (cs.crit, side, cs.state)
    found = memo.get(key)
    if found is None:
        brief_facts = _facts_shown(kb, facts, cs.crit, side, False, cs.state == "met")
        brief = label + (f" ({'; '.join(brief_facts)})" if brief_facts else "")
        if cs.state == "conflict":
            brief += CONFLICT_MARK
        found = memo[key] = (_full(kb, facts, cs, label, side), brief, brief_facts)
    full, brief, brief_facts = found
    item.because_full.append(f"{kind}: {full}")
    item.because.append(f"{kind}: {brief}")
    item.reasons.append(_reason(kind, cs, label, list(brief_facts)))
