"""Explain the action-level safety of each result (decision rule 14) and raise the alerts (rule 15).

The engine has already decided each result's status from its options' contraindication
states; this module turns those states into what the clinician reads: what blocked the
statement, which options were struck out and why, which questions decide an option whose
block is unknown, and the cautions on what remains, each with its kind and source.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dvtkg.assessment.model import GuidanceItem
from dvtkg.guidance.records import ActionState, OptionRecord, ResultRecord

if TYPE_CHECKING:
    from dvtkg.assessment.facts import CaseFacts
    from dvtkg.guidance.knowledge import KnowledgeBase

URIRef = Any  # an IRI: rdflib's URIRef on the rdflib path, a str on the lean path


def _option_label(kb: KnowledgeBase, rec: URIRef, opt: OptionRecord) -> str:
    """The option's label, or '' for the single implicit option (the statement itself)."""
    for o in (kb.safety.options.get(rec, []) if kb.safety else []):
        if o.iri == opt.opt:
            return o.label
    return ""


def _unknown_keys(kb: KnowledgeBase, facts: CaseFacts, st: ActionState, side: str | None) -> list[str]:
    info = kb.criteria.get(st.crit)
    if info is None:
        return []
    keys = [k for t in info.keys for k in facts.expand(t, side if info.level == "limb" else None)]
    unknown = [k for k in keys if facts.value(k) is None]
    return list(dict.fromkeys(unknown or keys))


def _question(kb: KnowledgeBase, key: str) -> str:
    """The plain-language question for a case key, when the key table carries one."""
    find = getattr(kb.keys, "question", None)
    return str(find(key) or "") if callable(find) else ""


def _reasons(kb: KnowledgeBase, opt: OptionRecord, facts_text: Any) -> list[str]:
    """Why an option is blocked: each met blocking criterion once, with its contraindication and source."""
    out: dict[URIRef, str] = {}
    for st in opt.states:
        if st.blocks and st.state == "met" and st.crit not in out:
            ci = kb.safety.contraindications[st.ci]  # type: ignore[union-attr]
            out[st.crit] = f"{ci.because}{facts_text(ci.criterion)}"
    return list(out.values())


def explain_options(kb: KnowledgeBase, r: ResultRecord, item: GuidanceItem, facts: CaseFacts,
                    side: str | None, facts_text: Any) -> None:
    """Fill blocked_by / struck_out / options / questions / cautions from the option states."""
    if not r.options or kb.safety is None or item.status == "not-applicable":
        return
    explicit = r.rec in kb.safety.options
    seen_cautions = {c for c in item.cautions}
    blocked_reasons: dict[str, list[str]] = {}
    for opt in r.options:
        label = _option_label(kb, r.rec, opt)
        verdict = opt.verdict
        if verdict == "blocked":
            reasons = _reasons(kb, opt, facts_text)
            if explicit and item.status != "blocked":
                item.struck_out.append({"option": label, "because": "; ".join(reasons)})
            for reason in reasons:
                blocked_reasons.setdefault(reason, []).append(label)
            continue
        if explicit:
            item.options.append(label)
        if verdict == "unknown":
            for st in opt.states:
                if st.blocks and st.state in ("unknown", "conflict"):
                    ci = kb.safety.contraindications[st.ci]
                    for key in _unknown_keys(kb, facts, st, side):
                        q = {"key": key, "question": _question(kb, key), "before": label, "contraindication": ci.label}
                        if q not in item.questions:
                            item.questions.append(q)
                        if item.status == "indeterminate":
                            item.missing.append(key)
        for st in opt.states:
            if not st.blocks and st.state == "met":
                ci = kb.safety.contraindications[st.ci]
                text = f"{ci.label}{facts_text(ci.criterion)}"
                if explicit:
                    text = f"{label}: {text}"
                if text not in seen_cautions:
                    seen_cautions.add(text)
                    item.cautions.append(text)
                    item.caution_details.append({"text": text, "kind": ci.kind or "caution", "source": ci.source})
    if item.status == "blocked":
        every = len(r.options)
        for reason, labels in blocked_reasons.items():
            whole = not explicit or len(labels) == every
            item.blocked_by.append(reason if whole else f"{', '.join(labels)}: {reason}")
    item.blocked_by = list(dict.fromkeys(item.blocked_by))
    item.missing = sorted(dict.fromkeys(item.missing))


def raise_alerts(kb: KnowledgeBase, facts: CaseFacts, items: list[GuidanceItem],
                 ev_results: list[ResultRecord], data_conflicts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The safety alerts that hold for this case, in report order (decision rule 15)."""
    if kb.safety is None:
        return []
    out: list[dict[str, Any]] = []
    for alert in kb.safety.alerts:
        facts_shown: list[str] = []
        if alert.on_data_conflict:
            if not data_conflicts:
                continue
            facts_shown = sorted({f for c in data_conflicts for f in c.get("facts", [])})
        else:
            info = kb.criteria.get(alert.criterion) if alert.criterion is not None else None
            if info is None:
                continue
            met_class = kb.iri(str(alert.criterion).replace("https://w3id.org/dvtkg/criterion/",
                                                           "https://w3id.org/dvtkg/ontology#") + "Met")
            subjects = ([facts.limb(s) for s in facts.sides()] if info.level == "limb" else [facts.patient])
            held = [s for s in subjects if s is not None and facts.holds(s, met_class)]
            if not held:
                continue
            for subject in held:
                side = None if subject == facts.patient else str(subject).rsplit("limb-", 1)[-1]
                for t in info.keys:
                    for key in facts.expand(t, side):
                        value = facts.value(key)
                        if value is not None:
                            facts_shown.append(f"{key} = {value}")
            facts_shown = list(dict.fromkeys(facts_shown))
            telling = [f for f in facts_shown if not f.endswith((" = false", " = none", " = normal"))]
            facts_shown = telling or facts_shown
        blocks = _blocked_by_alert(kb, alert.criterion, ev_results) if alert.criterion is not None else []
        pointed = [i for i in items if any(str(p).rsplit("/", 1)[-1] == i.id for p in alert.points_to)]
        see = sorted({i.id for i in pointed if i.status == "applies"})
        # a statement the alert points to that is blocked for this patient (rule 14): said next to the alert, so
        # that the alert is never read as offering it
        blocked_here = sorted({i.id for i in pointed if i.status == "blocked"} - set(see))
        out.append({"id": alert.id, "message": alert.message, "facts": facts_shown, "blocks": blocks, "see": see,
                    "blockedHere": blocked_here})
    return out


def _blocked_by_alert(kb: KnowledgeBase, crit: URIRef, results: list[ResultRecord]) -> list[str]:
    """The statements blocked, or with an option struck out, by a contraindication on the alert's criterion."""
    ids: set[str] = set()
    for r in results:
        info = kb.statements.get(r.rec)
        if info is None or info.currency != "current" or r.status == "not-applicable":
            continue
        if r.status == "blocked" and any(cs.crit == crit and cs.role == "blocking" and cs.state == "met"
                                         for cs in r.states):
            ids.add(info.id)
        for opt in r.options:
            if any(st.blocks and st.state == "met" and st.crit == crit for st in opt.states):
                ids.add(info.id)
    return sorted(ids)
