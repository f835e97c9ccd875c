"""The verbose text report: every statement with its full explanation (``dvtkg assess --verbose``).

The default report (dvtkg.report.text) is built around decisions; this one keeps the
long form for audit: every criterion with all its facts, every result listed. Order: what
applies (strongest first, grouped by setting, anticoagulant, thrombus removal, filter,
duration, what not to do, other), then what is blocked, then what is indeterminate
with the questions that would decide it, then the conflicts between guidelines, then
superseded statements, then contradictions in the case data.
Every line names the source and the native grade; unverified statements say so.
"""

from __future__ import annotations

import textwrap

from dvtkg.assessment.bottomline import strength_key
from dvtkg.assessment.model import Assessment, GuidanceItem

GROUPS = ("setting", "anticoagulant", "thrombus removal", "filter", "duration", "what not to do", "other")
CHECK_NOTE = {"P": "", "S": " [secondary source]", "U": " [UNVERIFIED]"}


def _grade(i: GuidanceItem) -> str:
    if i.type == "DrugLabelStatement":
        return "product label"
    parts = [p for p in (i.strength, i.certainty) if p]
    return ", ".join(parts) if parts else "ungraded"


def _head(i: GuidanceItem) -> str:
    limb = f" [{i.limb} leg]" if i.limb else ""
    phase = f" (plan for the {', '.join(i.phases)} phase)" if i.phases else ""
    return f"{i.id}{limb} - {i.source}, {_grade(i)}{CHECK_NOTE.get(i.check, '')}{phase}"


def _wrap(text: str, indent: str) -> list[str]:
    follow = " " * len(indent) + "  "
    return textwrap.wrap(text, width=100, initial_indent=indent, subsequent_indent=follow) or [indent]


def _strength_rank(i: GuidanceItem) -> tuple:
    """Coarse strength, then the native grade's rank in its scheme (as the bottom line orders them)."""
    return strength_key(i)


def render_verbose(a: Assessment, show_reasons: bool = True) -> str:
    """The whole verbose report as one string."""
    out: list[str] = []
    counts = {s: sum(1 for r in a.recommendations if r.status == s)
              for s in ("applies", "blocked", "indeterminate", "not-applicable")}
    out.append(f"DVT guidance for case {a.case}  (knowledge base {a.engine.get('knowledgeVersion', '?')})")
    out.append(f"  {counts['applies']} apply, {counts['blocked']} blocked, {counts['indeterminate']} indeterminate, "
               f"{counts['not-applicable']} not applicable; {len(a.conflicts)} conflicts between guidelines; "
               f"{len(a.data_conflicts)} contradictions in the case data")
    for al in a.alerts:
        out += _wrap(f"ALERT: {al.get('message', al.get('id', ''))}"
                     + (f" Blocks: {', '.join(al['blocks'])}." if al.get("blocks") else ""), "")
    for side in a.limbs_not_examined:
        out.append(f"  {side} leg: not examined")
    if a.data_conflicts:
        out.append("  WARNING: the case data contradict each other; the contradicted facts were treated as unknown "
                   "(see the end of this report).")
    cls = a.classifications
    out.append("")
    out.append("Classified as")
    out += _wrap("patient: " + (", ".join(cls.get("patient", [])) or "-"), "  ")
    for side, labels in cls.get("limbs", {}).items():
        out += _wrap(f"{side} leg: " + (", ".join(labels) or "-"), "  ")

    applies = [r for r in a.recommendations if r.status == "applies"]
    out.append("")
    out.append("WHAT APPLIES (strongest first)")
    if not applies:
        out.append("  nothing applies on the facts given")
    for group in GROUPS:
        items = sorted((r for r in applies if r.group == group), key=_strength_rank)
        if not items:
            continue
        out.append(f"  {group.upper()}")
        for i in items:
            out += _wrap(_head(i), "  * ")
            out += _wrap(i.statement, "      ")
            if i.struck_out:
                out += _wrap("restricted - struck out: " + "; ".join(f"{x.get('option', '')} ({x.get('because', '')})"
                                                                    for x in i.struck_out)
                             + "; options left: " + (", ".join(i.options) or "none"), "      x ")
            if i.caution_details:
                for c in i.caution_details:
                    out += _wrap(f"caution ({c.get('kind') or 'caution'}): {c.get('text', '')}"
                                 + (f" ({c['source']})" if c.get("source") else ""), "      ! ")
            elif i.cautions:
                out += _wrap("caution (relative contraindication, needs a clinician's decision): "
                             + "; ".join(i.cautions), "      ! ")
            if i.decision_remark:
                out += _wrap("remark: " + i.decision_remark, "      ! ")
            for n in i.notes:
                out += _wrap("note: " + n, "      i ")
            for b in i.borderline:
                out += _wrap("borderline: " + b, "      ! ")
            if i.shown_with:
                out += _wrap("for the clinician to weigh (does not decide it): " + "; ".join(i.shown_with), "      i ")
            if show_reasons and (i.because_full or i.because):
                out += _wrap("because " + "; ".join(i.because_full or i.because), "      - ")

    blocked = sorted((r for r in a.recommendations if r.status == "blocked"), key=_strength_rank)
    out.append("")
    out.append("BLOCKED (the population is met but a contraindication is present)")
    if not blocked:
        out.append("  none")
    for i in blocked:
        out += _wrap(_head(i), "  x ")
        out += _wrap(i.statement, "      ")
        out += _wrap("blocked by: " + "; ".join(i.blocked_by), "      ! ")

    indeterminate = sorted((r for r in a.recommendations if r.status == "indeterminate"), key=_strength_rank)
    out.append("")
    out.append("INDETERMINATE (facts needed) - questions to ask")
    if not indeterminate:
        out.append("  none")
    for i in indeterminate:
        out += _wrap(_head(i), "  ? ")
        out += _wrap(i.statement, "      ")
        out += _wrap("to decide, give: " + ", ".join(i.missing), "      > ")
        if i.shown_with:
            out += _wrap("for the clinician to weigh (does not decide it): " + "; ".join(i.shown_with), "      i ")
    questions: dict[str, int] = {}
    for i in indeterminate:
        for k in i.missing:
            questions[k] = questions.get(k, 0) + 1
    if questions:
        out.append("  Most useful facts to add (number of statements each would help decide):")
        for k, count in sorted(questions.items(), key=lambda kv: (-kv[1], kv[0]))[:12]:
            out.append(f"    {a.questions.get(k, k)} [{k}] ({count})")

    out.append("")
    out.append("CONFLICTS BETWEEN GUIDELINES (both apply or are blocked for this patient)")
    if not a.conflicts:
        out.append("  none")
    for c in a.conflicts:
        out += _wrap(f"{' vs '.join(c['between'])} ({c['kind']}): {c['explanation']}", "  <> ")

    out.append("")
    out.append("SUPERSEDED STATEMENTS THAT CONCERN THIS CASE (do not follow; shown so you know why)")
    if not a.superseded:
        out.append("  none")
    for s in a.superseded:
        out += _wrap(f"{s['id']} - {s['source']} {s['strength']}{s['certainty'] and ', ' + s['certainty']}: "
                     f"{s['statement']}", "  - ")
        out += _wrap("replaced by " + ", ".join(s["replacedBy"]), "      ")
        for e in s.get("evidence", []):
            out += _wrap("evidence: " + e, "      ")

    if a.data_conflicts:
        out.append("")
        out.append("CONTRADICTIONS IN THE CASE DATA (treated as unknown)")
        for d in a.data_conflicts:
            out += _wrap(f"{', '.join(d['facts'])}: {d['message']}", "  ! ")
    if a.derived:
        out.append("")
        out.append("DERIVED FACTS")
        for d in a.derived:
            out += _wrap(f"{d['key']}: {d['method']}", "  = ")
    out.append("")
    out.append("Statuses: applies = every criterion met, nothing blocks; blocked = population met, an absolute "
               "contraindication present; indeterminate = a needed fact is unknown (unknown is never read as false); "
               "[secondary source] / [UNVERIFIED] mark statements not read in the primary text.")
    return "\n".join(out) + "\n"
