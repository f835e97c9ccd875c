"""Currency of the knowledge: ``dvtkg kb superseded``.

Every superseded guidance statement (``dvt:currency dvtv:superseded``) with

- its replacement chains: every path of ``dcterms:isReplacedBy`` links from it to a
  current statement (or to a dead end or a cycle, which the curation gate
  ``qc-replacement-chain`` rejects);
- the current statements those chains reach;
- the evidence behind the change: the evidence statements (``dvt:supportedBy``) of the
  superseded statement and of every statement on its chains, each with its result and
  the trial it comes from (``dvt:evidenceFrom``).

The two currency gates are QC queries (``dvtkg kb qc``): ``qc-replacement-chain``
(a superseded statement whose chain reaches no current statement) and
``qc-current-superseded-question`` (a current statement from a source that a newer
document has superseded on the same question).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from rdflib import Graph, URIRef
from rdflib.namespace import DCTERMS, RDFS, SKOS

from dvtkg.cases.vocab import DVT, DVTV


@dataclass(frozen=True)
class Evidence:
    iri: URIRef
    id: str
    result: str
    trial: URIRef | None
    trial_label: str
    trial_title: str
    trial_year: str
    cited_by: tuple[str, ...]

    def as_dict(self) -> dict[str, object]:
        return {"id": self.id, "iri": str(self.iri), "result": self.result,
                "trial": self.trial_label or None, "trial_iri": str(self.trial) if self.trial else None,
                "trial_title": self.trial_title or None, "trial_year": self.trial_year or None,
                "cited_by": list(self.cited_by)}


@dataclass
class SupersededStatement:
    iri: URIRef
    id: str
    source: str
    statement: str
    direction: str
    strength: str
    replaced_by: list[str] = field(default_factory=list)
    chains: list[list[tuple[str, str]]] = field(default_factory=list)  # [(id, currency), ...]
    current_replacements: list[str] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)
    remark: str = ""

    @property
    def ok(self) -> bool:
        return bool(self.current_replacements)

    def as_dict(self) -> dict[str, object]:
        return {"id": self.id, "iri": str(self.iri), "source": self.source, "statement": self.statement,
                "direction": self.direction, "strength": self.strength, "replaced_by": self.replaced_by,
                "chains": [[{"id": i, "currency": c} for i, c in chain] for chain in self.chains],
                "current_replacements": self.current_replacements,
                "evidence": [e.as_dict() for e in self.evidence], "curator_remark": self.remark,
                "has_current_replacement": self.ok}


def _label(g: Graph, node) -> str:
    lab = g.value(node, RDFS.label)
    return str(lab) if lab is not None else str(node).rsplit("/", 1)[-1].rsplit("#", 1)[-1]


def _notation(g: Graph, node) -> str:
    if node is None:
        return ""
    n = g.value(node, SKOS.notation)
    return str(n) if n is not None else _label(g, node)


def _grade(g: Graph, node) -> str:
    if node is None:
        return ""
    label = g.value(node, RDFS.label)
    return str(label) if label is not None else _notation(g, node)


def _currency(g: Graph, node) -> str:
    c = g.value(node, DVT.currency)
    if c is None:
        return "unknown" if (node, None, None) in g else "missing"
    return _notation(g, c)


def replacement_chains(g: Graph, start: URIRef, limit: int = 50) -> list[list[URIRef]]:
    """Every path of dcterms:isReplacedBy from ``start`` (``start`` itself left out): it ends
    at a current statement, at a statement that names no replacement, or at the statement
    that closes a cycle."""
    chains: list[list[URIRef]] = []

    def walk(path: list[URIRef]) -> None:
        if len(chains) >= limit:
            return
        node = path[-1]
        nexts = sorted(g.objects(node, DCTERMS.isReplacedBy))
        if (node != start and g.value(node, DVT.currency) == DVTV.current) or not nexts:
            if node != start:
                chains.append(path[1:])
            return
        for n in nexts:
            if n in path:  # a cycle: stop the path at the repeat
                chains.append([*path[1:], n])
            else:
                walk([*path, n])

    walk([start])
    return chains


def superseded(g: Graph) -> list[SupersededStatement]:
    """Every superseded statement with its replacement chains and evidence, by ID."""
    out: list[SupersededStatement] = []
    for rec in set(g.subjects(DVT.currency, DVTV.superseded)):
        chains = replacement_chains(g, rec)
        current: list[str] = []
        on_chain: list[URIRef] = [rec]
        for chain in chains:
            for n in chain:
                if n not in on_chain:
                    on_chain.append(n)
            last = chain[-1]
            if g.value(last, DVT.currency) == DVTV.current and _label(g, last) not in current:
                current.append(_label(g, last))
        cited: dict[URIRef, list[str]] = {}
        for node in on_chain:
            for ev in sorted(g.objects(node, DVT.supportedBy)):
                who = cited.setdefault(ev, [])
                if _label(g, node) not in who:
                    who.append(_label(g, node))
        evidence = []
        for ev, who in cited.items():
            trial = g.value(ev, DVT.evidenceFrom)
            year = g.value(trial, DVT.publicationYear) if trial is not None else None
            title = g.value(trial, DCTERMS.title) if trial is not None else None
            evidence.append(Evidence(ev, _label(g, ev), str(g.value(ev, DVT.resultText) or ""), trial,
                                     _label(g, trial) if trial is not None else "", str(title or ""),
                                     str(year or ""), tuple(who)))
        evidence.sort(key=lambda e: (e.trial_label, e.id))
        source = g.value(rec, DCTERMS.source)
        out.append(SupersededStatement(
            iri=rec, id=_label(g, rec), source=_label(g, source) if source is not None else "",
            statement=str(g.value(rec, DVT.statementText) or ""),
            direction=_notation(g, g.value(rec, DVT.direction)),
            strength=_grade(g, g.value(rec, DVT.hasStrength)),
            replaced_by=sorted(_label(g, r) for r in g.objects(rec, DCTERMS.isReplacedBy)),
            chains=[[(_label(g, n), _currency(g, n)) for n in chain] for chain in chains],
            current_replacements=sorted(current), evidence=evidence,
            remark=str(g.value(rec, DVT.curatorRemark) or "")))
    return sorted(out, key=lambda s: s.id)


def format_json(items: list[SupersededStatement]) -> str:
    return json.dumps({"superseded": [s.as_dict() for s in items],
                       "without_current_replacement": [s.id for s in items if not s.ok]}, indent=2)


def format_text(items: list[SupersededStatement]) -> str:
    lines: list[str] = []
    for s in items:
        lines.append(f"{s.id} [{s.source}] superseded ({s.direction}, {s.strength or 'ungraded'})")
        lines.append(f"  \"{s.statement}\"")
        if not s.chains:
            lines.append("  replacement chain: none (no dcterms:isReplacedBy)")
        for chain in s.chains:
            lines.append("  replaced by: " + " -> ".join([s.id, *(f"{i} ({c})" for i, c in chain)]))
        lines.append("  current replacement(s): " + (", ".join(s.current_replacements)
                                                     or "NONE: no chain reaches a current statement"))
        if s.evidence:
            lines.append("  evidence behind the change:")
            for e in s.evidence:
                trial = e.trial_label + (f" ({e.trial_year})" if e.trial_year else "") if e.trial_label else "no trial"
                lines.append(f"    {trial}, {e.id} (cited by {', '.join(e.cited_by)}): {e.result}")
        else:
            lines.append("  evidence behind the change: none recorded")
        lines.append("")
    bad = [s.id for s in items if not s.ok]
    lines.append(f"{len(items)} superseded statement(s)"
                 + (f"; without a current replacement: {', '.join(bad)}" if bad
                    else ", each with a current replacement"))
    return "\n".join(lines) + "\n"
