"""A readable description of one guidance statement (``dvtkg kb show ID``)."""

from __future__ import annotations

import difflib
import textwrap

from rdflib import Graph, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS

from dvtkg.kb.build import KnowledgeError
from dvtkg.kb.stats import DVT, label, local_name, statement_classes, statement_nodes, statement_type

WIDTH = 100
INDENT = "    "

CRITERION_ROLES = [
    (DVT.hasRequiredCriterion, "Required criteria (all must be met; one not met -> not applicable)"),
    (DVT.hasExcludingCriterion, "Excluding criteria (population exclusions; met -> not applicable)"),
    (DVT.hasBlockingCriterion, "Blocking criteria (absolute contraindications; met -> blocked)"),
    (DVT.hasCautionCriterion, "Caution criteria (relative contraindications; shown, never blocking)"),
    (DVT.shownWith, "Shown with (facts displayed beside the result; they do not decide it)"),
]


class UnknownStatement(KnowledgeError):
    """No guidance statement has the requested ID (exit code 2)."""

    exit_code = 2


def _values(g: Graph, s, p) -> list:
    return sorted(g.objects(s, p), key=str)


def _one(g: Graph, s, p) -> str | None:
    vals = _values(g, s, p)
    return " / ".join(str(v) for v in vals) if vals else None


def _wrap(text: str, indent: str = INDENT, first: str | None = None) -> list[str]:
    first = indent if first is None else first
    return textwrap.wrap(
        " ".join(str(text).split()),
        width=WIDTH,
        initial_indent=first,
        subsequent_indent=indent,
        break_on_hyphens=False,
        break_long_words=False,
    ) or [first.rstrip()]


def _field(lines: list[str], name: str, text: str | None) -> None:
    if not text:
        return
    head = f"{name}: "
    if len(head) + len(text) <= WIDTH:
        lines.append(head + text)
    else:
        lines.append(f"{name}:")
        lines.extend(_wrap(text))


def close_matches(wanted: str, ids: list[str], n: int = 5) -> list[str]:
    """IDs close to ``wanted``: same ID in another case, IDs it starts, then similar spellings."""
    w = wanted.strip().upper()
    upper = {i.upper(): i for i in ids}
    out: list[str] = []
    if w in upper:
        out.append(upper[w])
    out += [i for i in ids if i.upper().startswith(w) and i not in out] if w else []
    out += [upper[m] for m in difflib.get_close_matches(w, list(upper), n=n, cutoff=0.6) if upper[m] not in out]
    return out[:n]


def resolve(graph: Graph, wanted: str) -> URIRef:
    """The IRI of statement ``wanted``, or :class:`UnknownStatement` with suggestions."""
    nodes = statement_nodes(graph)
    if wanted in nodes:
        return nodes[wanted]
    suggestions = close_matches(wanted, list(nodes))
    if suggestions:
        hint = "did you mean " + ", ".join(suggestions) + "?"
    elif nodes:
        prefixes = sorted({i.split("-")[0] for i in nodes})
        hint = f"IDs start with one of: {', '.join(prefixes)}"
    else:
        hint = "the knowledge base has no statements at all"
    raise UnknownStatement(f"no statement with ID {wanted}; {hint}")


def _grade_line(g: Graph, level) -> str:
    notation = _one(g, level, SKOS.notation)
    schemes = [label(g, s) for s in _values(g, level, SKOS.inScheme)]
    text = notation or label(g, level)
    extra = [label(g, level)] if notation and label(g, level) != notation else []
    extra += [f"scheme: {', '.join(schemes)}"] if schemes else []
    extra += [f"grade:{local_name(level)}"]
    return f"{text} ({'; '.join(extra)})"


def _criterion_lines(g: Graph, crit) -> list[str]:
    name = label(g, crit)
    definition = _one(g, crit, SKOS.definition)
    text = f"- {name}" + (f": {definition}" if definition else "") + f" [dvtc:{local_name(crit)}]"
    keys = [str(k) for k in _values(g, crit, DVT.decidedByKey)]
    out = _wrap(text, indent=INDENT + "  ", first=INDENT)
    if keys:
        out += _wrap("decided by: " + ", ".join(keys), indent=INDENT + "    ", first=INDENT + "  ")
    return out


def _source_lines(g: Graph, src) -> list[str]:
    sid = local_name(src)
    title = _one(g, src, DCTERMS.title)
    lines = _wrap(f"Source: {sid}" + (f" - {title}" if title else ""), first="")
    cite = _one(g, src, DCTERMS.bibliographicCitation)
    if cite:
        lines += _wrap(f"citation: {cite}")
    for doi in _values(g, src, DVT.doi):
        d = str(doi).strip()
        for prefix in ("https://doi.org/", "http://doi.org/", "doi:"):
            if d.lower().startswith(prefix):
                d = d[len(prefix):]
        lines.append(f"{INDENT}DOI: https://doi.org/{d}")
    for pmid in _values(g, src, DVT.pmid):
        lines.append(f"{INDENT}PMID: {pmid}")
    version = _one(g, src, DVT.labelVersion)
    if version:
        lines += _wrap(f"label version: {version}")
    status = _one(g, src, DVT.documentStatus)
    if status:
        lines += _wrap(f"document status: {status}")
    return lines


def _action_safety_lines(g: Graph, node, actions: list) -> list[str]:
    """The options the statement offers and the contraindications its actions carry (decision rule 14)."""
    out: list[str] = []
    options = sorted(g.objects(node, DVT.offersOption), key=lambda o: (int(_one(g, o, DVT.optionOrder) or 0), str(o)))
    if options:
        out += ["", "Options (each kept unless one of its actions is blocked for the patient):"]
        for o in options:
            acts = ", ".join(label(g, a) for a in _values(g, o, DVT.optionAction))
            out += _wrap(f"{_one(g, o, DVT.optionOrder)}. {label(g, o)} [{acts}]")
    direction = g.value(node, DVT.direction)
    is_label = (node, RDF.type, DVT.DrugLabelStatement) in g
    reached = {a for o in options for a in g.objects(o, DVT.optionAction)} | set(actions)
    found: dict[str, list[str]] = {"blocks": [], "cautions": []}
    for act in sorted(reached, key=str):
        for anc in g.transitive_objects(act, RDFS.subClassOf):
            for ci in g.subjects(DVT.contraindicatedAction, anc):
                effect = local_name(g.value(ci, DVT.contraindicationEffect) or "")
                src = g.value(ci, DCTERMS.source)
                crit = g.value(ci, DVT.contraindicationCriterion)
                text = (f"{label(g, act)}: {label(g, ci)} [criterion {label(g, crit)}; "
                        f"on {label(g, anc)}; source {label(g, src) if src is not None else '(none)'}]")
                if effect in found and text not in found[effect]:
                    found[effect].append(text)
    if direction is not None and local_name(direction) == "against" or is_label:
        why = ("drug-label statements keep their own status" if is_label
               else "a statement against an action is never blocked by it")
        if found["blocks"] or found["cautions"]:
            out += ["", f"Action contraindications: not applied ({why})."]
        return out
    for effect, title in (("blocks",
                           "Blocking criteria from the action (decision rule 14; met -> blocked or option struck out)"),
                          ("cautions", "Cautions from the action (shown, never blocking)")):
        if found[effect]:
            out += ["", f"{title}:"]
            for text in found[effect]:
                out += _wrap(f"- {text}", indent=INDENT + "  ", first=INDENT)
    return out


def show(graph: Graph, statement_id: str) -> str:
    """A readable block describing statement ``statement_id``."""
    g = graph
    node = resolve(g, statement_id)
    classes = statement_classes(g)
    t = statement_type(g, node, classes)
    lines: list[str] = [f"{statement_id}  ({label(g, t) if t is not None else 'guidance statement'})", f"IRI: {node}"]
    lines.append("")
    _field(lines, "Statement", _one(g, node, DVT.statementText))
    _field(lines, "Population", _one(g, node, DVT.populationText))
    _field(lines, "About", _one(g, node, SKOS.definition))
    lines.append("")

    sources = _values(g, node, DCTERMS.source)
    if not sources:
        lines.append("Source: (none given)")
    for src in sources:
        lines += _source_lines(g, src)
    _field(lines, "Number in source", _one(g, node, DVT.numberInSource))
    lines.append("")

    strengths = _values(g, node, DVT.hasStrength)
    certainties = _values(g, node, DVT.hasCertainty)
    no_grade = "(none: drug-label statements carry no grade)" if t == DVT.DrugLabelStatement else "(none)"
    native = "; ".join(_grade_line(g, s) for s in strengths) if strengths else no_grade
    lines += _wrap("Native strength: " + native, first="")
    for s in strengths:
        meaning = _one(g, s, DVT.meaning)
        if meaning:
            lines += _wrap(f"meaning: {meaning}")
    lines += _wrap(
        "Native certainty: " + ("; ".join(_grade_line(g, c) for c in certainties) if certainties else "(not given)"),
        first="",
    )
    for c in _values(g, node, DVT.certaintyCheckStatus):
        lines.append(f"{INDENT}certainty check status: {_one(g, c, SKOS.notation) or label(g, c)} ({label(g, c)})")
    for coarse in sorted({c for s in strengths for c in g.objects(s, DVT.coarseStrength)}, key=str):
        lines.append(f"{INDENT}coarse strength (for comparison only): {label(g, coarse)}")

    directions = _values(g, node, DVT.direction)
    lines.append("Direction: " + (", ".join(label(g, d) for d in directions) if directions else "(none)"))
    for chk in _values(g, node, DVT.checkStatus):
        notation = _one(g, chk, SKOS.notation) or local_name(chk)
        name = label(g, chk)
        head = name if name.startswith(notation) else f"{notation} ({name})"
        meaning = _one(g, chk, SKOS.definition)
        lines += _wrap(f"Check status: {head}" + (f". {meaning}" if meaning else ""), first="")
    currencies = _values(g, node, DVT.currency)
    status = ", ".join(_one(g, c, SKOS.notation) or label(g, c) for c in currencies) or "(none)"
    replaced = _values(g, node, DCTERMS.isReplacedBy)
    if replaced:
        status += "; replaced by " + ", ".join(local_name(r) for r in replaced)
    lines.append(f"Status: {status}")
    for r in replaced:
        text = _one(g, r, DVT.statementText)
        if text:
            lines += _wrap(f"{local_name(r)}: {text}", indent=INDENT + "  ")
    replaces = sorted(g.subjects(DCTERMS.isReplacedBy, node), key=str)
    if replaces:
        lines.append(f"Replaces: {', '.join(local_name(r) for r in replaces)}")
    levels = _values(g, node, DVT.assessmentLevel)
    if levels:
        lines.append(
            "Level: "
            + ", ".join(
                (_one(g, lv, SKOS.notation) or label(g, lv))
                + (f" ({_one(g, lv, SKOS.definition)})" if _one(g, lv, SKOS.definition) else "")
                for lv in levels
            )
        )
    phases = _values(g, node, DVT.governsPhase)
    if phases:
        lines.append("Phase: " + ", ".join(label(g, p) for p in phases))
    lines.append("")

    actions = _values(g, node, DVT.recommendedAction)
    lines.append(
        "Action: " + ("; ".join(f"{label(g, a)} [dvt:{local_name(a)}]" for a in actions) if actions else "(none)")
    )
    comparators = _values(g, node, DVT.comparatorAction)
    if comparators:
        lines.append("Over (comparator): " + "; ".join(f"{label(g, a)} [dvt:{local_name(a)}]" for a in comparators))

    for prop, title in CRITERION_ROLES:
        crits = sorted(g.objects(node, prop), key=lambda c: label(g, c).lower())
        if not crits:
            continue
        lines.append("")
        lines.append(f"{title}:")
        for crit in crits:
            lines += _criterion_lines(g, crit)

    lines += _action_safety_lines(g, node, actions)

    evidence = _values(g, node, DVT.supportedBy)
    if evidence:
        lines.append("")
        lines.append("Supporting evidence:")
        for ev in evidence:
            result = _one(g, ev, DVT.resultText) or _one(g, ev, SKOS.definition) or ""
            lines += _wrap(f"- {local_name(ev)}: {result}", indent=INDENT + "  ", first=INDENT)
            for doc in _values(g, ev, DVT.evidenceFrom):
                cite = _one(g, doc, DCTERMS.bibliographicCitation) or _one(g, doc, DCTERMS.title) or ""
                dois = [f"https://doi.org/{d}" for d in _values(g, doc, DVT.doi)]
                lines += _wrap(
                    f"from {local_name(doc)}" + (f": {cite}" if cite else "") + (f" {' '.join(dois)}" if dois else ""),
                    indent=INDENT + "    ",
                    first=INDENT + "  ",
                )

    remarks = [("Source remark", DVT.sourceRemark), ("Curator remark", DVT.curatorRemark)]
    for name, prop in remarks:
        vals = _values(g, node, prop)
        if vals:
            lines.append("")
            lines.append(f"{name}:")
            for v in vals:
                lines += _wrap(str(v))

    rules = _values(g, node, DVT.followsDecisionRule)
    if rules:
        lines.append("")
        lines.append("Decision rules followed:")
        for rule in rules:
            text = _one(g, rule, DVT.ruleText) or _one(g, rule, SKOS.definition) or ""
            head = f"- {local_name(rule)}"
            lab = label(g, rule)
            if lab != local_name(rule):
                head += f" ({lab})"
            lines += _wrap(head + (f": {text}" if text else ""), indent=INDENT + "  ", first=INDENT)
    return "\n".join(lines).rstrip() + "\n"
