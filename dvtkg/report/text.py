"""The clinician's text report, built around decisions.

Order: the safety alerts (each "ALERT:"), then the bottom line (the strongest applying
statement per decision, at most ten lines), then the patient and the legs (classifications
grouped, thrombus lists once per leg), then the details decision by decision (strongest
first; blocked and indeterminate statements in their decision next to what they would
have been; drug labels under their own heading), the questions that would decide the
indeterminate ones, the conflicts between guidelines (disagreement apart from a mere
difference in strength), superseded statements and contradictions in the case data.
Not-applicable statements are only counted (``--verbose`` gives the long form).
Wording follows the JSON statuses: applies, blocked, indeterminate, not applicable.
"""

from __future__ import annotations

import textwrap
from typing import Any

from dvtkg.assessment.bottomline import DECISIONS, grade_text, strength_key
from dvtkg.assessment.model import Assessment, GuidanceItem
from dvtkg.guidance.info import VTE_INDICATION

WIDTH = 110
BOTTOM_LINE_MAX = 10
BECAUSE_MAX = 120
QUESTIONS_PER_ITEM = 3   # the rest are in the QUESTIONS section, asked once
BOTTOM_WIDTH = 124   # a bottom-line entry is one line
CHECK_NOTE = {"P": "", "S": " [S]", "U": " [UNVERIFIED]"}
DRUG_LABEL = "DrugLabelStatement"
DEFAULT_CAUTION_KIND = "relative contraindication"   # rule 6's relative items, until the engine names the kind


def _wrap(text: str, indent: str, follow: str | None = None) -> list[str]:
    follow = follow if follow is not None else " " * len(indent) + "  "
    return textwrap.wrap(text, width=WIDTH, initial_indent=indent, subsequent_indent=follow,
                         break_on_hyphens=False) or [indent]


def _source(i: GuidanceItem) -> str:
    return f"{i.source}" + (f" ({i.source_year})" if i.source_year and i.source_year not in i.source else "")


def _leg(limbs: list[str | None]) -> str:
    sides = sorted({side for side in limbs if side})
    if not sides:
        return ""
    return " [both legs]" if len(sides) > 1 else f" [{sides[0]} leg]"


def _merge_limbs(items: list[GuidanceItem]) -> list[tuple[GuidanceItem, list[str | None]]]:
    """One entry per statement and status: the same result on both legs is shown once."""
    out: dict[tuple[str, str], tuple[GuidanceItem, list[str | None]]] = {}
    for i in items:
        key = (i.id, i.status)
        if key in out:
            out[key][1].append(i.limb)
        else:
            out[key] = (i, [i.limb])
    return list(out.values())


def _because(i: GuidanceItem) -> str:
    """The deciding facts, shorter: only criteria decided by a stated fact (those met by the thrombus
    lists alone are in PATIENT AND LEGS), 'meets:' dropped, the leg's key prefix dropped for a leg statement.

    Read from the structured reasons (criterion IRI, label, facts apart), so the spelling of a label
    (a closing bracket, say) never decides what is shown."""
    parts = []
    for r in i.reasons:
        facts = list(r["facts"])
        if r["kind"] == "meets" and not facts:
            continue
        if i.limb:
            facts = [f.replace(f"limbs.{i.limb}.", "") for f in facts]
        text = ("" if r["kind"] == "meets" else f"{r['kind']}: ") + r["label"]
        if r["kind"] == "unknown":
            text += " (contradictory facts)" if r["conflict"] else ""
        else:
            text += (f" ({'; '.join(facts)})" if facts else "")
            text += " [contradictory facts: treated as unknown]" if r["conflict"] else ""
        parts.append(text)
    return "; ".join(parts)


def _cautions(i: GuidanceItem) -> list[str]:
    if i.caution_details:
        return [f"{c.get('kind') or 'caution'}: {c['text']}" + (f" ({c['source']})" if c.get("source") else "")
                for c in i.caution_details]
    return [f"{DEFAULT_CAUTION_KIND}: {c}" for c in i.cautions]


def _questions(i: GuidanceItem, a: Assessment) -> list[str]:
    """The item's questions: 'Question? [key]', with what they come before when the engine says so."""
    out = []
    for q in i.questions:
        text = q.get("question") or a.questions.get(q.get("key", ""), q.get("key", ""))
        before = f"before {q['before']}: " if q.get("before") else ""
        out.append(f"{before}{text} [{q.get('key', '')}]")
    asked = {q.get("key") for q in i.questions}
    out += [f"{a.questions.get(k, k)} [{k}]" for k in i.missing if k not in asked]
    return out


def _entry(i: GuidanceItem, limbs: list[str | None], a: Assessment, show_reasons: bool) -> list[str]:
    status = i.status
    mark = {"applies": "*", "blocked": "x", "indeterminate": "?"}.get(status, "-")
    if status == "applies" and i.struck_out:
        label = " - applies, restricted"
    elif status == "applies":
        label = ""   # the mark says it
    else:
        label = " - " + status.replace("-", " ")
    # the clinical question, named when it is not the treatment of the VTE itself (keyed on the IRI, not the label)
    indication = f" [for {i.indication}]" if i.indication_iri and i.indication_iri != VTE_INDICATION else ""
    head = (f"{mark} {i.id}{_leg(limbs)} - {_source(i)}, {grade_text(i)}{CHECK_NOTE.get(i.check, '')}{label}"
            f"{indication}: ")
    statement = i.statement
    if status == "indeterminate":
        # what would decide it matters more than the full wording here: the text is kept to two lines
        statement = textwrap.shorten(statement, width=2 * WIDTH - len(head) - 20, placeholder=" ...")
    body = head + statement
    because = _because(i) if show_reasons and status != "indeterminate" else ""
    if because:
        # the deciding facts follow the statement in the same paragraph; --verbose has every fact
        body += " Because: " + textwrap.shorten(because, width=BECAUSE_MAX, placeholder=" ...")
    out = _wrap(body, "    ", "        ")
    if status == "blocked":
        out += _wrap("blocked: " + "; ".join(i.blocked_by) + " (the population is met: it would apply otherwise)",
                     "        x ")
    if i.struck_out:
        struck = "; ".join(f"{s.get('option', '')} ({s.get('because', '')})" for s in i.struck_out)
        left = ", ".join(i.options) if i.options else "none"
        out += _wrap(f"struck out: {struck}; options left: {left}", "        x ")
    if status == "indeterminate" or i.questions:
        qs = _questions(i, a)
        if len(qs) > QUESTIONS_PER_ITEM:
            qs = qs[:QUESTIONS_PER_ITEM] + [f"(+{len(qs) - QUESTIONS_PER_ITEM} more: see QUESTIONS)"]
        if qs:
            out += _wrap("indeterminate until answered: " + " ".join(qs) if status == "indeterminate"
                         else "ask first: " + " ".join(qs), "        ? ")
    for c in _cautions(i):
        out += _wrap(c, "        ! ")
    for b in i.borderline:
        out += _wrap("borderline: " + b, "        ! ")
    if i.decision_remark:
        out += _wrap("remark: " + i.decision_remark, "        ! ")
    for n in i.notes:
        out += _wrap("note: " + n, "        i ")
    if i.shown_with:
        weigh = "; ".join(s.split(" (")[0] for s in i.shown_with)
        out += _wrap("to weigh (does not decide it): " + weigh, "        i ")
    return out


def _alerts(a: Assessment) -> list[str]:
    out: list[str] = []
    for al in a.alerts:
        blocks = ", ".join(al.get("blocks", []))
        see = ", ".join(al.get("see", []))
        blocked_here = ", ".join(al.get("blockedHere", []))
        out += _wrap(f"ALERT: {al.get('message', al.get('id', ''))}" + (f" Blocks: {blocks}." if blocks else "")
                     + (f" See: {see}." if see else "")
                     + (f" Blocked for this patient: {blocked_here}." if blocked_here else ""), "", "  ")
    if a.data_conflicts and not any(al.get("id") == "data-conflict" for al in a.alerts):
        out += _wrap("ALERT: the case data contradict each other; the contradicted facts were treated as unknown "
                     "(see CONTRADICTIONS IN THE CASE DATA).", "", "  ")
    return out


def _bottom_line(a: Assessment) -> list[str]:
    out = ["BOTTOM LINE (the strongest statement that applies, per decision; details below)"]
    lines: list[str] = []
    for decision, title in DECISIONS:
        entries = [b for b in a.bottom_line if b["decision"] == decision]
        for b in entries:
            lines.append(_bottom_entry(b))
        pending = [r for r in a.recommendations if r.group == decision and r.type != DRUG_LABEL
                   and r.status in ("blocked", "indeterminate")]
        if not entries and pending:
            nb = sum(1 for r in pending if r.status == "blocked")
            lines.append(f"{title}: nothing applies yet ({nb} blocked, {len(pending) - nb} indeterminate; see below)")
    if not lines:
        lines.append("nothing applies on the facts given")
    return out + ["  " + line for line in lines[:BOTTOM_LINE_MAX]]


def _bottom_entry(b: dict[str, Any]) -> str:
    """One bottom-line entry on one line: decision, leg, statement, direction, action, source, strength, tally."""
    leg = f", {b['limb']} leg" if b.get("limb") else (", both legs" if len(b.get("limbs", [])) > 1 else "")
    options = f" [options left: {', '.join(b['options'])}]" if b.get("struckOut") else ""
    tally = f"{b['agree']} agree, {b['disagree']} disagree"
    action = " / ".join(b.get("actions", [])) or _short(b["statement"])
    strength = b["grade"].split(", ")[0]
    head = f"{b['title']}{leg}: {b['id']} {b['direction']} "
    tail = f"{options} ({b['source']} {strength}; {tally})"
    room = max(20, BOTTOM_WIDTH - len(head) - len(tail))
    return head + textwrap.shorten(action, width=room, placeholder="...") + tail


def _short(statement: str) -> str:
    return statement.rstrip(".")


def _normalise(label: str) -> str:
    return label.replace(" in this limb", "").strip()


def _classifications(a: Assessment) -> list[str]:
    """Patient findings, then the legs: labels common to both legs once, patient labels a leg repeats dropped."""
    cls = a.classifications
    limbs: dict[str, list[str]] = cls.get("limbs", {})
    limb_sets = {s: {_normalise(label) for label in labels} for s, labels in limbs.items()}
    every_leg = {_normalise(label) for labels in limbs.values() for label in labels}
    patient = [label for label in cls.get("patient", []) if _normalise(label) not in every_leg]
    out = ["PATIENT AND LEGS"]
    out += _wrap("patient: " + (", ".join(dict.fromkeys(patient)) or "-"), "  ")
    common = set.intersection(*limb_sets.values()) if len(limb_sets) > 1 else set()
    if common:
        out += _wrap("both legs: " + ", ".join(sorted(common)), "  ")
    veins = _vein_lists(a)
    for side in sorted(limbs):
        own = sorted(limb_sets[side] - common)
        thrombus = ""
        if side in veins:
            thrombus = (veins[side] if veins[side].startswith("no thrombus") else f"thrombus in {veins[side]}") + "; "
        out += _wrap(f"{side} leg: {thrombus}" + (", ".join(own) or "nothing more"), "  ")
    for side in a.limbs_not_examined:
        out.append(f"  {side} leg: not examined")
    return out


def _vein_lists(a: Assessment) -> dict[str, str]:
    """The thrombus list of each leg, read once from the full explanations."""
    out: dict[str, str] = {}
    for r in a.recommendations:
        for b in r.because_full:
            for side in ("left", "right"):
                marker = f"limbs.{side}.veins = "
                if marker in b and side not in out:
                    rest = b.split(marker, 1)[1]
                    for stop in (";", ")"):
                        rest = rest.split(stop, 1)[0]
                    out[side] = rest.strip()
    return out


def _details(a: Assessment, show_reasons: bool) -> list[str]:
    out = ["DETAILS BY DECISION (strongest first: coarse strength, then native grade)"]
    shown = [r for r in a.recommendations if r.status != "not-applicable"]
    groups = [g for g, _ in DECISIONS] + ["other"]
    titles = dict(DECISIONS) | {"other": "other"}
    for group in groups:
        items = sorted((r for r in shown if r.group == group and r.type != DRUG_LABEL), key=_detail_key)
        if not items:
            continue
        out.append(f"  {titles[group].upper()}")
        for i, limbs in _merge_limbs(items):
            out += _entry(i, limbs, a, show_reasons)
    labels = sorted((r for r in shown if r.type == DRUG_LABEL), key=_detail_key)
    if labels:
        out.append("  DRUG LABEL (safety constraints from product labels; they never lead a decision)")
        for i, limbs in _merge_limbs(labels):
            out += _entry(i, limbs, a, show_reasons)
    return out


def _detail_key(i: GuidanceItem) -> tuple:
    return (0 if i.status in ("applies", "blocked") else 1,) + strength_key(i)


def _question_list(a: Assessment) -> list[str]:
    counts: dict[str, int] = {}
    for r in a.recommendations:
        for k in set(r.missing) | {q.get("key", "") for q in r.questions}:
            if k:
                counts[k] = counts.get(k, 0) + 1
    if not counts:
        return []
    out = ["QUESTIONS THAT WOULD DECIDE THE INDETERMINATE STATEMENTS (most useful first)"]
    for k, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:12]:
        out += _wrap(f"{a.questions.get(k, k)} [{k}] - decides {n}", "  ? ")
    return out


def _star_groups(pairs: list[tuple[str, str]]) -> list[tuple[str, list[str]]]:
    """Cover the conflict pairs by stars: the statement in most pairs against all its partners, and so on.

    Every listed pair is a real conflict, and a statement opposed by several is named once.
    """
    left = {tuple(sorted(p)) for p in pairs}
    out: list[tuple[str, list[str]]] = []
    while left:
        degree: dict[str, int] = {}
        for x, y in left:
            degree[x] = degree.get(x, 0) + 1
            degree[y] = degree.get(y, 0) + 1
        hub = sorted(degree, key=lambda n: (-degree[n], n))[0]
        partners = sorted(y if x == hub else x for x, y in left if hub in (x, y))
        out.append((hub, partners))
        left = {p for p in left if hub not in p}
    return out


def _conflicts(a: Assessment) -> list[str]:
    """Opposite directions ('guidelines disagree') apart from same advice of different strength."""
    info = {r.id: r for r in a.recommendations}

    def who(rid: str) -> str:
        r = info.get(rid)
        if r is None:
            return rid
        year = f" {r.source_year}" if r.source_year and r.source_year not in r.source else ""
        return f"{rid} ({r.source}{year} {grade_text(r).split(', ')[0]})"

    def lines(kind_is_direction: bool, joiner: str) -> list[str]:
        out: list[str] = []
        chosen = [c for c in a.conflicts if (c.get("kind") == "direction") == kind_is_direction]
        for limb in sorted({c.get("limb") or "" for c in chosen}):
            pairs = [tuple(c["between"]) for c in chosen if (c.get("limb") or "") == limb]
            leg = f" - {limb} leg" if limb else ""
            for hub, partners in _star_groups(pairs):
                out += _wrap(f"{who(hub)}{joiner}{', '.join(who(p) for p in partners)}{leg}", "  ", "      ")
        return out

    out = ["GUIDELINES DISAGREE (opposite directions, both apply)"]
    out += lines(True, " vs ") or ["  none"]
    strength = lines(False, " / ")
    if strength:
        out.append("SAME ADVICE, DIFFERENT STRENGTH")
        out += strength
    return out


def _tail(a: Assessment) -> list[str]:
    out: list[str] = []
    if a.superseded:
        out.append("")
        out += _wrap("SUPERSEDED, DO NOT FOLLOW: " + "; ".join(
            f"{s['id']} ({s['source']}) replaced by {', '.join(s['replacedBy'])}" for s in a.superseded), "", "  ")
    if a.data_conflicts:
        out.append("")
        out.append("CONTRADICTIONS IN THE CASE DATA (treated as unknown)")
        for d in a.data_conflicts:
            out += _wrap(f"{', '.join(d['facts'])}: {d['message']}", "  ! ")
    if a.derived:
        out.append("DERIVED FACTS: " + "; ".join(f"{d['key']} ({d['method']})" for d in a.derived))
    return out


def _fhir_input(a: Assessment) -> list[str]:
    """For FHIR input only: how many facts came from which resources, and what was not read."""
    if "provenance" not in a.extra:
        return []
    unmapped = a.extra.get("unmapped", [])
    lines = ["", f"Read from FHIR: {len(a.extra['provenance'])} facts, each from named resources; "
                 f"{len(unmapped)} item(s) not read (`dvtkg fhir to-case` or --format json lists them):"]
    lines += [f"  - {u['resource']}{' ' + u['path'] if u['path'] else ''}: {u['reason']}" for u in unmapped[:10]]
    if len(unmapped) > 10:
        lines.append(f"  ... and {len(unmapped) - 10} more")
    return lines


def render_text(a: Assessment, show_reasons: bool = True, verbose: bool = False) -> str:
    """The report as one string: decision-centred by default, the full explanation with ``verbose``."""
    if verbose:
        from dvtkg.report.verbose import render_verbose

        return render_verbose(a, show_reasons=show_reasons)
    counts = {s: sum(1 for r in a.recommendations if r.status == s)
              for s in ("applies", "blocked", "indeterminate", "not-applicable")}
    restricted = sum(1 for r in a.recommendations if r.status == "applies" and r.struck_out)
    disagree = sum(1 for c in a.conflicts if c.get("kind") == "direction")
    out = [f"DVT guidance for case {a.case}  (knowledge base {a.engine.get('knowledgeVersion', '?')})",
           f"  {counts['applies']} apply ({restricted} restricted), {counts['blocked']} blocked, "
           f"{counts['indeterminate']} indeterminate, {counts['not-applicable']} not applicable "
           "(not listed; --verbose); "
           f"{disagree} disagreement{'' if disagree == 1 else 's'} between guidelines"]
    alerts = _alerts(a)
    if alerts:
        out += [""] + alerts
    out += [""] + _bottom_line(a)
    out += [""] + _classifications(a)
    out += [""] + _details(a, show_reasons)
    questions = _question_list(a)
    if questions:
        out += [""] + questions
    out += [""] + _conflicts(a)
    out += _tail(a)
    out += _fhir_input(a)
    out += ["", "[S] secondary source. applies = population met, nothing blocks; "
                "blocked = population met, an absolute contraindication present; "
                "indeterminate = a needed fact is unknown (never read as false). * applies, x blocked, "
                "? indeterminate, ! caution or remark, i note."]
    return "\n".join(out) + "\n"
