"""An assessment to CDS Hooks cards.

Indicators (issue 11): ``critical`` for the safety alerts and for an ordered action that a statement
that applies recommends against or that is blocked (or struck out) for this patient; ``warning``
for the unanswered questions that change a decision (and contradictory patient data); ``info`` for
the bottom line and for a statement that supports an order. Every card names its statement's
guideline (DOI) as ``source`` and links the statement's page on the documentation site; its
``uuid`` is stable (uuid5 of service, kind, statement, limb, patient and order), so feedback on a
card can be matched to the same advice on a later call.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass
from typing import Any, Iterable, Literal

from dvtkg.assessment.bottomline import grade_text
from dvtkg.assessment.model import Assessment, GuidanceItem
from dvtkg.service.guidance import Guidance
from dvtkg.service.models import SUMMARY_MAX, Action, Card, Coding, Link, Source, Suggestion
from dvtkg.service.orders import Order

CARD_NAMESPACE = uuid.UUID("8a6d2f40-9a53-5a57-8a0c-3c6b0b2f6a11")
TOPIC_SYSTEM = "https://w3id.org/dvtkg/rec/"
OVERRIDE_SYSTEM = "https://w3id.org/dvtkg/cds/override-reason"
OVERRIDE_REASONS = (
    Coding(system=OVERRIDE_SYSTEM, code="clinical-judgement", display="Clinical judgement: benefit outweighs the risk"),
    Coding(system=OVERRIDE_SYSTEM, code="data-wrong", display="The patient data behind this advice are wrong"),
    Coding(system=OVERRIDE_SYSTEM, code="already-addressed", display="Already addressed with the patient or team"),
)
MAX_QUESTIONS = 6
SAFETY_LABEL = "dvtkg safety rules (decision rules 14-18)"


@dataclass(frozen=True)
class Links:
    """Where the statement pages live (``docs`` ends with a slash)."""

    docs: str

    def statement(self, statement_id: str) -> str:
        return f"{self.docs}rec/{statement_id}.html"


def clip(text: str, limit: int = SUMMARY_MAX) -> str:
    """One line of at most ``limit`` characters (cut at a word, with an ellipsis)."""
    text = " ".join(str(text).split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:")
    return cut + "\u2026"


def card_uuid(*parts: object) -> str:
    return str(uuid.uuid5(CARD_NAMESPACE, "|".join("" if p is None else str(p) for p in parts)))


def doi_url(doi: str) -> str | None:
    d = doi.strip()
    for prefix in ("https://doi.org/", "http://doi.org/", "doi:"):
        if d.lower().startswith(prefix):
            d = d[len(prefix):]
    return f"https://doi.org/{d}" if d else None


def _leg(limb: str | None) -> str:
    return f" ({limb} leg)" if limb else ""


def _limbs(items: list[GuidanceItem]) -> str:
    sides = sorted({i.limb for i in items if i.limb})
    return f" ({' and '.join(sides)} leg{'s' if len(sides) > 1 else ''})" if sides else ""


def source_of(item: GuidanceItem) -> Source:
    year = f" {item.source_year}" if item.source_year and item.source_year not in item.source else ""
    label = f"{item.source}{year}" + (f" (doi:{item.doi})" if item.doi else "")
    return Source(label=label, url=doi_url(item.doi) if item.doi else None,
                  topic=Coding(system=TOPIC_SYSTEM, code=item.id, display=clip(item.statement, 200)))


def links_of(items: Iterable[GuidanceItem], links: Links) -> list[Link]:
    out: list[Link] = []
    seen: set[str] = set()
    for item in items:
        if item.id not in seen:
            seen.add(item.id)
            out.append(Link(label=f"{item.id}: the statement and its evidence", url=links.statement(item.id),
                            type="absolute"))
            if item.doi:
                out.append(Link(label=f"{item.source} guideline (doi:{item.doi})", url=str(doi_url(item.doi)),
                                type="absolute"))
    return out


def detail_of(item: GuidanceItem, links: Links, questions: dict[str, str], limbs: str = "") -> str:
    """Markdown: the statement, its native grade and direction, why, what blocks it, what is missing."""
    actions = ", ".join(item.actions) or "the action"
    lines = [f"**{item.id}** ({item.source}, {grade_text(item)}): **{item.direction}** {actions}"
             f"{limbs or _leg(item.limb)}, **{item.status}** for this patient.", "", f"> {item.statement}", ""]
    if item.because:
        lines += ["Because:"] + [f"- {b}" for b in item.because] + [""]
    if item.blocked_by:
        lines += ["Blocked for this patient by:"] + [f"- {b}" for b in item.blocked_by] + [""]
    if item.struck_out:
        lines += ["Options struck out:"] + [f"- {s.get('option')}: {s.get('because')}" for s in item.struck_out] + [""]
    if item.options:
        lines += [f"Options that remain: {', '.join(item.options)}", ""]
    if item.cautions:
        lines += ["Cautions:"] + [f"- {c}" for c in item.cautions] + [""]
    if item.missing:
        asked = [f"- {questions.get(k) or k} (`{k}`)" for k in item.missing[:MAX_QUESTIONS]]
        more = len(item.missing) - MAX_QUESTIONS
        lines += ["Still unknown, and it would decide this:"] + asked
        lines += ([f"- ... {more} more"] if more > 0 else []) + [""]
    lines.append(f"[Statement page]({links.statement(item.id)})" +
                 (f" \u00b7 [Guideline]({doi_url(item.doi)})" if item.doi else ""))
    return "\n".join(lines)


def _by_id(assessment: Assessment) -> dict[tuple[str, str | None], GuidanceItem]:
    return {(i.id, i.limb): i for i in assessment.recommendations}


def alert_cards(assessment: Assessment, service: str, patient: str, links: Links, scope: str = "") -> list[Card]:
    """The safety alerts (decision rules 14-18): always critical."""
    items = _by_id(assessment)
    out = []
    for alert in assessment.alerts:
        see = [i for sid in alert.get("see", []) for (k, _), i in items.items() if k == sid]
        detail = [str(alert.get("message", ""))]
        if alert.get("facts"):
            detail += ["", "Facts:"] + [f"- `{f}`" for f in alert["facts"]]
        if alert.get("blocks"):
            detail += ["", "Blocks:"] + [f"- {b}" for b in alert["blocks"]]
        if see:
            detail += ["", "See: " + ", ".join(f"[{sid}]({links.statement(sid)})" for sid in alert.get("see", []))]
        if alert.get("blockedHere"):
            detail += ["", "Blocked for this patient: " + ", ".join(
                f"[{sid}]({links.statement(sid)})" for sid in alert["blockedHere"])]
        source = source_of(see[0]) if see else Source(label=SAFETY_LABEL, url=links.docs)
        out.append(Card(uuid=card_uuid(service, "alert", alert.get("id"), scope, patient),
                        summary=clip(f"Safety alert: {alert.get('message', '')}"), indicator="critical",
                        detail="\n".join(detail), source=source, links=links_of(see, links) or None,
                        overrideReasons=list(OVERRIDE_REASONS)))
    return out


def bottom_line_cards(assessment: Assessment, service: str, patient: str, links: Links) -> list[Card]:
    """One info card per decision of the bottom line (the strongest statement that applies)."""
    items = _by_id(assessment)
    out = []
    for line in assessment.bottom_line:
        item = items.get((line["id"], line.get("limb"))) or next(
            (i for (k, _), i in items.items() if k == line["id"]), None)
        if item is None:
            continue
        sides = line.get("limbs") or ([line["limb"]] if line.get("limb") else [])
        where = f" ({' and '.join(sides)} leg{'s' if len(sides) > 1 else ''})" if sides else ""
        actions = ", ".join(line.get("actions") or item.actions)
        summary = f"{line['title'].capitalize()}{where}: {line['id']} {line['direction']} {actions} ({line['grade']})"
        detail = detail_of(item, links, assessment.questions, where)
        agree, disagree = line.get("agreeIds") or [], line.get("disagreeIds") or []
        if agree or disagree:
            detail += "\n\n" + "; ".join(
                p for p in (f"agree: {', '.join(agree)}" if agree else "",
                            f"disagree: {', '.join(disagree)}" if disagree else "") if p)
        out.append(Card(uuid=card_uuid(service, "bottom-line", line["id"], ",".join(sides), patient),
                        summary=clip(summary), indicator="info", detail=detail, source=source_of(item),
                        links=links_of([item], links)))
    return out


def question_cards(assessment: Assessment, service: str, patient: str, links: Links) -> list[Card]:
    """Warnings: per decision, the unknown facts on which its undecided statements hang; contradictory data."""
    groups: dict[str, list[GuidanceItem]] = {}
    for item in assessment.recommendations:
        if item.status == "indeterminate":
            groups.setdefault(item.group, []).append(item)
    out = []
    for group, items in groups.items():
        counts = Counter(k for i in items for k in dict.fromkeys(i.missing))
        keys = [k for k, _ in counts.most_common()]
        ids = list(dict.fromkeys(i.id for i in items))
        first = assessment.questions.get(keys[0], keys[0]) if keys else ""
        summary = f"{group.capitalize()}: {len(ids)} statement(s) undecided. " + (f"Ask: {first}" if first else "")
        detail = [f"These statements could change the **{group}** decision once the facts below are known:", ""]
        detail += [f"- [{sid}]({links.statement(sid)})" + _limbs([i for i in items if i.id == sid]) for sid in ids]
        if keys:
            detail += ["", "Questions (most decisive first):"]
            detail += [f"- {assessment.questions.get(k) or k} (`{k}`, {counts[k]} statement(s))"
                       for k in keys[:MAX_QUESTIONS]]
            if len(keys) > MAX_QUESTIONS:
                detail.append(f"- ... {len(keys) - MAX_QUESTIONS} more")
        lead = sorted(items, key=lambda i: (i.strength_rank or 99, i.id))[0]
        out.append(Card(uuid=card_uuid(service, "questions", group, "", patient), summary=clip(summary),
                        indicator="warning", detail="\n".join(detail), source=source_of(lead),
                        links=links_of(items[:5], links)))
    if assessment.data_conflicts:
        detail = ["The patient data contradict each other; the statements that depend on them stay undecided:", ""]
        detail += [f"- {c.get('message') or c.get('explanation') or c}" for c in assessment.data_conflicts]
        n = len(assessment.data_conflicts)
        out.append(Card(uuid=card_uuid(service, "data-conflicts", "", "", patient),
                        summary=clip(f"Contradictory patient data ({n}): check the record"), indicator="warning",
                        detail="\n".join(detail), source=Source(label=SAFETY_LABEL, url=links.docs)))
    if assessment.limbs_not_examined:
        legs = " and ".join(assessment.limbs_not_examined)
        out.append(Card(uuid=card_uuid(service, "not-examined", legs, "", patient),
                        summary=clip(f"The {legs} leg has not been examined: its guidance is undecided"),
                        indicator="warning", detail=f"No imaging result is recorded for the {legs} leg.",
                        source=Source(label=SAFETY_LABEL, url=links.docs)))
    return out


def guidance_cards(assessment: Assessment, service: str, patient: str, links: Links) -> list[Card]:
    """patient-view: alerts (critical), then questions (warning), then the bottom line (info)."""
    return (alert_cards(assessment, service, patient, links) + question_cards(assessment, service, patient, links)
            + bottom_line_cards(assessment, service, patient, links))


def _verdict(item: GuidanceItem, order: Order, guidance: Guidance) -> str | None:
    """How a result bears on an ordered intervention: against / blocked / struck / unknown / supports / None."""
    if item.status == "not-applicable":
        return None
    on_action = guidance.overlap(order.intervention, guidance.statement_actions(item))
    struck = [s for s in item.struck_out
              if guidance.overlap(order.intervention, guidance.option_actions(item).get(str(s.get("option")), []))]
    if on_action and item.direction == "against":
        return "against" if item.status == "applies" else ("unknown" if item.status == "indeterminate" else None)
    if item.direction == "against":
        return None
    if struck:
        return "struck"
    if not on_action:
        return None
    return {"blocked": "blocked", "indeterminate": "unknown", "applies": "supports"}.get(item.status)


def _merge_limbs(items: list[GuidanceItem]) -> list[list[GuidanceItem]]:
    out: dict[str, list[GuidanceItem]] = {}
    for i in items:
        out.setdefault(i.id, []).append(i)
    return list(out.values())


def order_cards(assessment: Assessment, orders: list[Order], guidance: Guidance, service: str, patient: str,
                links: Links) -> list[Card]:
    """order-select / order-sign: per order, the statements that bear on it (critical / warning / info)."""
    out: list[Card] = []
    for order in orders:
        verdicts: dict[str, list[GuidanceItem]] = {}
        for item in assessment.recommendations:
            v = _verdict(item, order, guidance)
            if v:
                verdicts.setdefault(v, []).append(item)
        what = order.display or guidance.label(order.intervention)
        delete = Suggestion(label=f"Cancel the order: {clip(what, 80)}", isRecommended=True,
                            uuid=card_uuid(service, "cancel", order.reference, patient),
                            actions=[Action(type="delete", description=f"Remove the draft order {order.reference}",
                                            resourceId=order.reference)])
        for kind in ("against", "blocked", "struck", "unknown", "supports"):
            for group in _merge_limbs(verdicts.get(kind, [])):
                item, legs = group[0], _limbs(group)
                if kind == "against":
                    summary = f"{item.id} recommends against {', '.join(item.actions)}{legs}: {what}"
                elif kind == "blocked":
                    why = item.blocked_by[0] if item.blocked_by else "a contraindication"
                    action = guidance.label(order.intervention).capitalize()
                    summary = f"{action} is blocked for this patient{legs}: {why}"
                elif kind == "struck":
                    why = next((str(s.get("because", "")) for s in item.struck_out), "")
                    summary = f"{what}: struck out of {item.id}{legs} for this patient ({why})"
                elif kind == "unknown":
                    summary = f"{item.id} may bear on {what}{legs}: facts missing to decide"
                else:
                    summary = f"{item.id} supports {', '.join(item.actions)}{legs} ({grade_text(item)})"
                critical = kind in ("against", "blocked", "struck")
                indicator: Literal["info", "warning", "critical"] = (
                    "critical" if critical else ("warning" if kind == "unknown" else "info"))
                order_line = f"\n\nOrder: {order.reference} ({what})"
                out.append(Card(
                    uuid=card_uuid(service, kind, item.id, ",".join(sorted(i.limb or "" for i in group)), patient,
                                   order.reference),
                    summary=clip(summary), indicator=indicator,
                    detail=detail_of(item, links, assessment.questions, legs) + order_line,
                    source=source_of(item), links=links_of([item], links),
                    suggestions=[delete] if critical else None, selectionBehavior="at-most-one" if critical else None,
                    overrideReasons=list(OVERRIDE_REASONS) if critical else None))
    if orders:
        out = alert_cards(assessment, service, patient, links, scope="orders") + out
    return out


def error_card(service: str, patient: str, message: str, links: Links) -> Card:
    """A warning that the record could not be assessed (a case the pipeline refuses), with the reason."""
    return Card(uuid=card_uuid(service, "not-assessed", "", "", patient),
                summary=clip("DVT guidance not available: the patient data could not be assessed"),
                indicator="warning", detail=f"```\n{message}\n```", source=Source(label=SAFETY_LABEL, url=links.docs))


def as_json(cards: list[Card]) -> list[dict[str, Any]]:
    return [c.model_dump(exclude_none=True) for c in cards]
