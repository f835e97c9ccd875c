"""Knowledge-level conflict analysis: ``dvtkg kb conflicts``.

A *conflict* is a pair of current guidance statements that

1. take stances on overlapping actions (the action hierarchy) that differ in
   direction, or agree in direction with a different coarse strength: these are the
   knowledge base's conflict candidates (``KnowledgeBase.candidates``, computed by
   the ``guidance-conflict-candidates`` query, populations ignored); and
2. whose populations can hold for the same patient (on the same limb when both are
   limb-level, decision rule 11). This is decided by the reasoner, not by hand.

The population of a statement, as the reasoner sees it, is the intersection of its
required criteria's "meets" classes and the complements of its excluding criteria's
"meets" classes (an excluding criterion met makes the statement not applicable).
Blocking and caution criteria do not narrow the population: a blocked statement still
conflicts ("applies, but blocked"), as in the per-case ``guidance-conflicts`` query.
Patient-level criteria are classes over patients and limb-level ones classes over
limbs, so the class of patients for whom both statements of a pair can apply is::

    Patient
      and (patient-level required Met of A and B)
      and not (patient-level excluding Met of A or B, each)
      and hasLimb some (Limb and limb-level required Met and not limb-level excluding Met)

with one ``hasLimb some (...)`` holding the limb-level parts of both statements when
both are limb-level (the same limb), else one per limb-level statement. One class per
pair (``urn:dvtkg:pair:<A>--<B>``, declared a subclass of that intersection) is
written into a temporary ontology that imports the reasoner TBox (``kb.owl_path``);
HermiT classifies it once, in a fresh owlready2 World, and a pair whose class is
unsatisfiable (inferred equivalent to owl:Nothing) can never meet and is not reported.

Guidance-dependent criteria (met when another statement applies) have primitive
"meets" classes, so the reasoner treats them as unconstrained: this can only keep a
pair, never hide one.

The reasoner's verdicts are cached in ``build/`` under a hash of the reasoner TBox's
name (the sources' content hash) and of every pair's criteria and "meets" classes, so a
second run on unchanged knowledge costs no reasoning.
"""

from __future__ import annotations

import hashlib
import io
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import BNode, Graph, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS

from dvtkg import paths, progress
from dvtkg.cases.vocab import DVT
from dvtkg.reason import JAVA_MEMORY_MB, TBOX_IRI, reasoning_world

PAIR_PREFIX = "urn:dvtkg:pair:"
PAIR_ONTOLOGY = "urn:dvtkg:conflict-pairs"
# Bump when the pair classes or the cache format change.
ALGORITHM_VERSION = "1"
CACHE_PREFIX = "kb-conflicts-"


class ConflictAnalysisError(Exception):
    """The reasoner could not decide the pairs (Java missing, crash): exit code 2."""

    exit_code = 2


# ---------------------------------------------------------------- populations


@dataclass(frozen=True)
class Population:
    """The criteria that narrow a statement's population, split by level."""

    statement: URIRef
    level: str  # "patient" | "limb"
    patient_required: tuple[URIRef, ...] = ()
    patient_excluding: tuple[URIRef, ...] = ()
    limb_required: tuple[URIRef, ...] = ()
    limb_excluding: tuple[URIRef, ...] = ()


def population(kb, statement: URIRef) -> Population:
    """The population of ``statement`` from its required and excluding criteria."""
    info = kb.statements[statement]
    parts: dict[str, list[URIRef]] = {"pr": [], "pe": [], "lr": [], "le": []}
    for prop, role in ((DVT.hasRequiredCriterion, "r"), (DVT.hasExcludingCriterion, "e")):
        for crit in sorted(kb.graph.objects(statement, prop)):
            c = kb.criteria.get(crit)
            level = c.level if c is not None else "patient"
            parts[("l" if level == "limb" else "p") + role].append(crit)
    return Population(statement, info.level or "patient", tuple(parts["pr"]), tuple(parts["pe"]),
                      tuple(parts["lr"]), tuple(parts["le"]))


# ---------------------------------------------------------------- results


@dataclass
class Conflict:
    """One reported pair: the candidate, both statements, and an example patient."""

    a: URIRef
    b: URIRef
    kind: str
    action_a: str
    action_b: str
    stance_a: str
    stance_b: str
    same_limb: bool
    example: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class ConflictReport:
    conflicts: list[Conflict]
    candidates: int
    disjoint: list[tuple[URIRef, URIRef]]
    seconds: float
    cached: bool
    cache_path: Path | None = None


def _local(iri: object) -> str:
    s = str(iri)
    return s.rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def pair_iri(a: URIRef, b: URIRef) -> URIRef:
    return URIRef(f"{PAIR_PREFIX}{_local(a)}--{_local(b)}")


# ---------------------------------------------------------------- the pair ontology


def _intersection(g: Graph, members: list) -> object:
    if len(members) == 1:
        return members[0]
    node, lst = BNode(), BNode()
    Collection(g, lst, members)
    g.add((node, RDF.type, OWL.Class))
    g.add((node, OWL.intersectionOf, lst))
    return node


def _complement(g: Graph, cls: URIRef) -> BNode:
    node = BNode()
    g.add((node, RDF.type, OWL.Class))
    g.add((node, OWL.complementOf, cls))
    return node


def _some(g: Graph, prop: URIRef, filler) -> BNode:
    node = BNode()
    g.add((node, RDF.type, OWL.Restriction))
    g.add((node, OWL.onProperty, prop))
    g.add((node, OWL.someValuesFrom, filler))
    return node


class _Builder:
    def __init__(self, kb):
        self.kb = kb
        self.missing: set[URIRef] = set()

    def met(self, crit: URIRef) -> URIRef | None:
        cls = self.kb.graph.value(crit, DVT.meetsClass)
        if cls is None:
            self.missing.add(crit)
        return cls

    def parts(self, g: Graph, required, excluding) -> list:
        out: list = []
        for c in required:
            m = self.met(c)
            if m is not None:
                out.append(m)
        for c in excluding:
            m = self.met(c)
            if m is not None:
                out.append(_complement(g, m))
        return out

    def pair_expression(self, g: Graph, pa: Population, pb: Population):
        members: list = [DVT.Patient]
        members += self.parts(g, pa.patient_required + pb.patient_required,
                              pa.patient_excluding + pb.patient_excluding)
        limb_groups: list[tuple[tuple, tuple]] = []
        if pa.level == "limb" and pb.level == "limb":
            limb_groups.append((pa.limb_required + pb.limb_required, pa.limb_excluding + pb.limb_excluding))
        else:
            for p in (pa, pb):
                if p.level == "limb" or p.limb_required or p.limb_excluding:
                    limb_groups.append((p.limb_required, p.limb_excluding))
        for required, excluding in limb_groups:
            limb = _intersection(g, [DVT.Limb, *self.parts(g, required, excluding)])
            members.append(_some(g, DVT.hasLimb, limb))
        return _intersection(g, members)


def pair_ontology(kb, pairs: list[tuple[URIRef, URIRef]],
                  populations: dict[URIRef, Population] | None = None) -> Graph:
    """The temporary ontology: one class per pair, a subclass of the joint population.

    ``populations`` may give the population of some statements (tests use it to
    build variants); the others are read from the knowledge base.
    """
    g = Graph()
    onto = URIRef(PAIR_ONTOLOGY)
    g.add((onto, RDF.type, OWL.Ontology))
    g.add((onto, OWL.imports, URIRef(TBOX_IRI)))
    builder = _Builder(kb)
    pops: dict[URIRef, Population] = dict(populations or {})
    for a, b in pairs:
        for x in (a, b):
            if x not in pops:
                pops[x] = population(kb, x)
        pa, pb = pops[a], pops[b]
        cls = pair_iri(a, b)
        g.add((cls, RDF.type, OWL.Class))
        # a named subclass of the joint population is unsatisfiable exactly when the
        # population is; a primitive class spares HermiT the subsumption tests an
        # equivalent (defined) class costs (measured: 14 s instead of 22 s for 315 pairs)
        g.add((cls, RDFS.subClassOf, builder.pair_expression(g, pa, pb)))
    return g


# ---------------------------------------------------------------- the reasoner


def unsatisfiable_pairs(tbox_owl: Path, ontology_xml: bytes, java_memory_mb: int = JAVA_MEMORY_MB) -> set[str]:
    """IRIs of the ``urn:dvtkg:pair:`` classes HermiT finds unsatisfiable (one run)."""
    import owlready2

    with reasoning_world(tbox_owl, java_memory_mb, prefix="dvtkg-conflicts-") as world:
        onto = world.get_ontology(PAIR_ONTOLOGY).load(fileobj=io.BytesIO(ontology_xml))
        try:
            with onto:
                owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
        except owlready2.OwlReadyInconsistentOntologyError as exc:
            raise ConflictAnalysisError("the knowledge TBox is inconsistent; no pair can be decided") from exc
        except (owlready2.OwlReadyJavaError, FileNotFoundError, OSError) as exc:
            raise ConflictAnalysisError(f"the HermiT reasoner failed to run: {str(exc).strip()[:500]}") from exc
        return {c.iri for c in world.inconsistent_classes()
                if isinstance(getattr(c, "iri", None), str) and c.iri.startswith(PAIR_PREFIX)}


def _cache_file(kb, digest: str) -> Path:
    return paths.cache_dir(kb.root) / f"{CACHE_PREFIX}{digest}.json"


def _digest(kb, pairs: list[tuple[URIRef, URIRef]]) -> str:
    """A hash of what the verdicts depend on: the reasoner TBox and every pair's criteria.

    The TBox is named by its file name, which carries the content hash of the ontology
    sources and the reasoner-input version; serialised bytes are no key, since blank
    node labels differ from one serialisation to the next.
    """
    h = hashlib.sha256(f"dvtkg-conflicts/{ALGORITHM_VERSION}\0".encode())
    h.update(Path(kb.owl_path).name.encode())
    for a, b in pairs:
        h.update(f"\0{a} {b}".encode())
        for p in (population(kb, a), population(kb, b)):
            h.update(f"|{p.level}".encode())
            for part in (p.patient_required, p.patient_excluding, p.limb_required, p.limb_excluding):
                h.update(("/" + ",".join(f"{c}={kb.graph.value(c, DVT.meetsClass)}" for c in part)).encode())
    return h.hexdigest()[:16]


def decide_pairs(kb, pairs: list[tuple[URIRef, URIRef]], use_cache: bool = True
                 ) -> tuple[set[tuple[URIRef, URIRef]], bool, Path | None]:
    """The pairs whose populations cannot meet; also whether the cache answered."""
    if not pairs:
        return set(), False, None
    digest = _digest(kb, pairs)
    cache = _cache_file(kb, digest)
    by_iri = {str(pair_iri(a, b)): (a, b) for a, b in pairs}
    if use_cache and cache.exists():
        try:
            data = json.loads(cache.read_text(encoding="utf-8"))
            return {by_iri[i] for i in data["unsatisfiable"] if i in by_iri}, True, cache
        except (OSError, ValueError, KeyError):
            pass  # a damaged cache is recomputed
    xml = pair_ontology(kb, pairs).serialize(format="xml").encode()
    with progress.activity(f"HermiT decides {len(pairs)} candidate pairs"):
        unsat = unsatisfiable_pairs(Path(kb.owl_path), xml)
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(".json.tmp")
        tmp.write_text(json.dumps({"algorithm": ALGORITHM_VERSION, "tbox": Path(kb.owl_path).name,
                                   "pairs": sorted(by_iri), "unsatisfiable": sorted(unsat)}, indent=1),
                       encoding="utf-8")
        tmp.replace(cache)
        for old in cache.parent.glob(f"{CACHE_PREFIX}*.json"):
            if old != cache:
                old.unlink(missing_ok=True)
    except OSError:
        pass  # a read-only checkout still works, only slower
    return {by_iri[i] for i in unsat if i in by_iri}, False, cache


# ---------------------------------------------------------------- the analysis


def _label(kb, crit: URIRef) -> str:
    c = kb.criteria.get(crit)
    return c.label if c is not None and c.label else _local(crit)


def example_patient(kb, pa: Population, pb: Population) -> dict[str, list[str]]:
    """The criteria that make both statements apply: required ones, and exclusions that must not hold."""
    def labels(items) -> list[str]:
        out: list[str] = []
        for c in items:
            lab = _label(kb, c)
            if lab not in out:
                out.append(lab)
        return out

    return {
        "patient": labels(pa.patient_required + pb.patient_required),
        "patient_not": labels(pa.patient_excluding + pb.patient_excluding),
        "limb": labels(pa.limb_required + pb.limb_required),
        "limb_not": labels(pa.limb_excluding + pb.limb_excluding),
    }


def analyse(kb, use_cache: bool = True) -> ConflictReport:
    """Every candidate pair whose populations can meet, decided by HermiT."""
    start = time.perf_counter()
    pairs = sorted(kb.candidates, key=lambda p: (kb.statements[p[0]].id, kb.statements[p[1]].id))
    disjoint, cached, cache = decide_pairs(kb, pairs, use_cache=use_cache)
    conflicts = []
    for a, b in pairs:
        if (a, b) in disjoint:
            continue
        cand = kb.candidates[(a, b)]
        pa, pb = population(kb, a), population(kb, b)
        conflicts.append(Conflict(a, b, cand.kind, cand.action_a, cand.action_b, cand.stance_a, cand.stance_b,
                                  same_limb=(pa.level == "limb" and pb.level == "limb"),
                                  example=example_patient(kb, pa, pb)))
    return ConflictReport(conflicts, len(pairs), sorted(disjoint, key=lambda p: (str(p[0]), str(p[1]))),
                          time.perf_counter() - start, cached, cache)


# ---------------------------------------------------------------- output


def _action_label(kb, action: str) -> str:
    lab = kb.graph.value(URIRef(action), RDFS.label)
    return str(lab) if lab is not None else _local(action)


def _statement_dict(kb, iri: URIRef, stance: str, action: str) -> dict[str, object]:
    s = kb.statements[iri]
    return {
        "id": s.id, "iri": str(iri), "statement": s.statement, "source": s.source, "number": s.number,
        "direction": s.direction, "strength": s.strength, "certainty": s.certainty, "coarse_strength": s.coarse,
        "check": s.check, "stance": stance, "action": _local(action), "action_label": _action_label(kb, action),
    }


def to_dict(kb, report: ConflictReport) -> dict[str, object]:
    return {
        "candidates": report.candidates,
        "conflicts": [
            {"kind": c.kind, "same_limb": c.same_limb,
             "a": _statement_dict(kb, c.a, c.stance_a, c.action_a),
             "b": _statement_dict(kb, c.b, c.stance_b, c.action_b),
             "example_patient": c.example}
            for c in report.conflicts
        ],
        "never_meet": [[kb.statements[a].id, kb.statements[b].id] for a, b in report.disjoint],
        "seconds": round(report.seconds, 3),
        "cached": report.cached,
    }


def _grade(s) -> str:
    parts = [p for p in (s.strength, s.certainty) if p]
    text = ", ".join(parts) or "ungraded"
    return f"{text} ({s.coarse})" if s.coarse else text


def format_text(kb, report: ConflictReport, show_disjoint: bool = False) -> str:
    lines: list[str] = []
    for n, c in enumerate(report.conflicts, 1):
        sa, sb = kb.statements[c.a], kb.statements[c.b]
        what = "opposite direction" if c.kind == "direction" else "same direction, different strength"
        lines.append(f"{n}. {sa.id} vs {sb.id}: {what}")
        for s, stance, action in ((sa, c.stance_a, c.action_a), (sb, c.stance_b, c.action_b)):
            lines.append(f"   {s.id} [{s.source}{', ' + s.number if s.number else ''}]")
            lines.append(f"     {stance} {_action_label(kb, action)}; grade {_grade(s)}; check {s.check}")
            lines.append(f"     \"{s.statement}\"")
        ex = c.example
        lines.append("   example patient:")
        if ex.get("patient"):
            lines.append("     has: " + "; ".join(ex["patient"]))
        if ex.get("limb"):
            where = "on the same limb" if c.same_limb else "on a limb"
            lines.append(f"     {where}: " + "; ".join(ex["limb"]))
        nots = ex.get("patient_not", []) + ex.get("limb_not", [])
        if nots:
            lines.append("     and not: " + "; ".join(nots))
        lines.append("")
    how = "cached reasoner verdicts" if report.cached else "HermiT"
    lines.append(f"{len(report.conflicts)} conflict(s) among {report.candidates} candidate pair(s); "
                 f"{len(report.disjoint)} pair(s) can never meet ({how}, {report.seconds:.1f} s)")
    if show_disjoint and report.disjoint:
        lines.append("pairs whose populations never meet:")
        for a, b in report.disjoint:
            lines.append(f"  {kb.statements[a].id} vs {kb.statements[b].id}")
    return "\n".join(lines) + "\n"
