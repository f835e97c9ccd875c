"""The guidance rules compiled to Python: the same results as the SPARQL guidance queries.

``queries/guidance/*.rq`` on pyoxigraph is the executable specification (the reference
engine). This module computes the same :class:`~dvtkg.guidance.engine.ResultRecord`s from
the same knowledge, without building or querying a store: the knowledge is read once into
tables (statements and their criteria by role, options, the contraindications that reach
each action down the hierarchy, guidance-dependent criteria, conflict candidates,
superseded statements), and a case is a mapping from each subject (the patient, each
limb) to its inferred classes. ``tests/test_guidance_differential.py`` proves the two
engines equal on generated type assignments, cases and the examples.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS

from dvtkg.cases.vocab import DVT, DVTV
from dvtkg.guidance.engine import (
    MAX_PASSES,
    ROLE_ORDER,
    ActionState,
    ConflictRecord,
    CriterionState,
    Evaluation,
    OptionRecord,
    ResultRecord,
    _assessment_graph,
    _local,
)

if TYPE_CHECKING:
    from dvtkg.guidance.knowledge import ConflictCandidate

ROLE_PROPS = ((DVT.hasRequiredCriterion, "required"), (DVT.hasExcludingCriterion, "excluding"),
              (DVT.hasBlockingCriterion, "blocking"), (DVT.hasCautionCriterion, "caution"))
NO_LIMB = DVT.NoLimbDescribed


@dataclass(frozen=True)
class CriterionTable:
    iri: URIRef
    limb_level: bool
    met: URIRef
    not_met: URIRef


@dataclass
class StatementTable:
    iri: URIRef
    limb_level: bool
    roles: list[tuple[str, URIRef]]
    options: list[tuple[URIRef, list[tuple[URIRef, URIRef, bool]]]] = field(default_factory=list)


@dataclass(frozen=True)
class DependentTable:
    iri: URIRef
    limb_level: bool
    depends_on: frozenset[URIRef]
    fact: URIRef | None
    presupposes: URIRef | None = None
    by_population: bool = False


@dataclass
class CompiledGuidance:
    """The knowledge tables the guidance rules read, built once per knowledge base."""

    criteria: dict[URIRef, CriterionTable]
    statements: dict[URIRef, StatementTable]
    dependent: list[DependentTable]
    candidates: list[tuple[URIRef, URIRef, ConflictCandidate]]
    superseded: dict[URIRef, tuple[list[URIRef], list[URIRef]]]

    @classmethod
    def from_index(cls, index: Graph,
                   candidates: dict[tuple[URIRef, URIRef], ConflictCandidate]) -> "CompiledGuidance":
        """Read the tables from the guidance index (the same triples the SPARQL engine reads)."""
        criteria: dict[URIRef, CriterionTable] = {}
        for crit, level in index.subject_objects(DVT.criterionLevel):
            m, n = index.value(crit, DVT.meetsClass), index.value(crit, DVT.notMeetsClass)
            if m is not None and n is not None:
                criteria[crit] = CriterionTable(crit, level == DVTV["limb-level"], m, n)
        reach = _contraindications_by_action(index, criteria)
        statements: dict[URIRef, StatementTable] = {}
        for rec, level in index.subject_objects(DVT.assessmentLevel):
            roles = sorted(((role, crit) for prop, role in ROLE_PROPS for crit in index.objects(rec, prop)
                            if crit in criteria), key=lambda rc: (ROLE_ORDER.index(rc[0]), str(rc[1])))
            st = StatementTable(rec, level == DVTV["limb-level"], roles)
            direction = index.value(rec, DVT.direction)
            is_label = (rec, RDF.type, DVT.DrugLabelStatement) in index
            if direction in (DVTV["for"], DVTV.neutral) and not is_label:
                opts = sorted(index.objects(rec, DVT.offersOption), key=str)
                groups = ([(o, list(index.objects(o, DVT.optionAction))) for o in opts] if opts
                          else [(rec, list(index.objects(rec, DVT.recommendedAction)))])
                for opt, actions in groups:
                    if not actions:
                        continue
                    seen: dict[URIRef, tuple[URIRef, URIRef, bool]] = {}
                    for act in actions:
                        for ci, crit, blocks in reach.get(act, ()):
                            seen.setdefault(ci, (ci, crit, blocks))
                    st.options.append((opt, sorted(seen.values(), key=lambda t: str(t[0]))))
                st.options.sort(key=lambda o: str(o[0]))
            if roles:
                statements[rec] = st
        dependent = []
        for crit in index.subjects(RDF.type, DVT.GuidanceDependentCriterion):
            if crit in criteria:
                dependent.append(DependentTable(crit, criteria[crit].limb_level,
                                                frozenset(index.objects(crit, DVT.metWhenApplies)),
                                                index.value(crit, DVT.metWhenCriterionMet),
                                                index.value(crit, DVT.presupposesCriterion),
                                                (crit, DVT.metByPopulation, Literal(True)) in index))
        superseded: dict[URIRef, tuple[list[URIRef], list[URIRef]]] = {}
        for rec in index.subjects(DVT.currency, DVTV.superseded):
            repl = sorted(index.objects(rec, DCTERMS.isReplacedBy), key=str)
            if repl:
                superseded[rec] = (repl, sorted(index.objects(rec, DVT.supportedBy), key=str))
        cands = [(a, b, c) for (a, b), c in sorted(candidates.items(), key=lambda kv: (str(kv[0][0]), str(kv[0][1])))]
        return cls(criteria, statements, sorted(dependent, key=lambda d: str(d.iri)), cands, superseded)


def _contraindications_by_action(index: Graph, criteria: dict[URIRef, CriterionTable]
                                 ) -> dict[URIRef, list[tuple[URIRef, URIRef, bool]]]:
    """For every intervention class, the contraindications on it or on any class above it."""
    on: dict[URIRef, list[tuple[URIRef, URIRef, bool]]] = {}
    for ci, action in index.subject_objects(DVT.contraindicatedAction):
        crit = index.value(ci, DVT.contraindicationCriterion)
        effect = index.value(ci, DVT.contraindicationEffect)
        if crit in criteria and effect is not None:
            on.setdefault(action, []).append((ci, crit, effect == DVTV.blocks))
    actions = set(index.objects(None, DVT.recommendedAction)) | set(index.objects(None, DVT.optionAction))
    out: dict[URIRef, list[tuple[URIRef, URIRef, bool]]] = {}
    for act in actions:
        found = []
        for anc in index.transitive_objects(act, RDFS.subClassOf):
            found += on.get(anc, [])
        out[act] = found
    return out


def _state(types: dict[URIRef, frozenset[URIRef]], subject: URIRef | None, c: CriterionTable) -> str:
    have = types.get(subject, frozenset()) if subject is not None else frozenset()
    met, not_met = c.met in have, c.not_met in have
    return "conflict" if met and not_met else "met" if met else "not-met" if not_met else "unknown"


def _status(r: ResultRecord) -> str:
    """The status rules of queries/guidance/guidance-statuses.rq (decision rules 14 and 18)."""
    unk = ("unknown", "conflict")
    req_not = any(cs.role == "required" and cs.state == "not-met" for cs in r.states)
    exc_met = any(cs.role == "excluding" and cs.state == "met" for cs in r.states)
    req_unk = any(cs.role in ("required", "excluding") and cs.state in unk for cs in r.states)
    blk_met = any(cs.role == "blocking" and cs.state == "met" for cs in r.states)
    blk_unk = any(cs.role == "blocking" and cs.state in unk for cs in r.states)
    verdicts = [o.verdict for o in r.options]
    if req_not or exc_met:
        return "not-applicable"
    if blk_met or (verdicts and all(v == "blocked" for v in verdicts)):
        return "blocked"
    if req_unk:
        return "indeterminate"
    if blk_unk or (verdicts and "allowed" not in verdicts):
        return "indeterminate"
    return "applies"


def evaluate_compiled(table: CompiledGuidance, types: dict[URIRef, frozenset[URIRef]], patient: URIRef,
                      limbs: list[URIRef], case_base: str, build_graph: bool = True) -> Evaluation:
    """The same Evaluation as :func:`dvtkg.guidance.engine.evaluate`, from inferred types."""
    results: list[ResultRecord] = []
    crits = table.criteria
    for st in sorted(table.statements.values(), key=lambda s: str(s.iri)):
        subjects: list[URIRef | None] = (sorted(limbs, key=str) or [NO_LIMB]) if st.limb_level else [None]
        for limb in subjects:
            suffix = _local(limb).replace("limb-", "") if limb is not None else "patient"
            r = ResultRecord(URIRef(f"{case_base}result-{_local(st.iri)}-{suffix}"), st.iri, limb)
            for role, crit in st.roles:
                c = crits[crit]
                subject = limb if c.limb_level else patient
                r.states.append(CriterionState(crit, role, _state(types, subject, c), subject,
                                               URIRef(f"{r.node}-{role}-{_local(crit)}")))
            for opt, cis in st.options:
                o = OptionRecord(opt, URIRef(f"{r.node}-option-{_local(opt)}"))
                for ci, crit, blocks in cis:
                    c = crits[crit]
                    subject = limb if c.limb_level else patient
                    o.states.append(ActionState(ci, crit, blocks, _state(types, subject, c),
                                                URIRef(f"{o.node}-{_local(ci)}")))
                r.options.append(o)
            results.append(r)
    results.sort(key=lambda r: (str(r.rec), str(r.limb or "")))
    dependent_types = Graph()
    decided: dict[tuple[URIRef, URIRef], str] = {}
    for _ in range(MAX_PASSES):
        for r in results:
            r.status = _status(r)
        decided = _dependent_states(table, types, results, patient, limbs)
        changed = False
        for r in results:
            for cs in r.states:
                new = decided.get((cs.crit, cs.subject))
                if new is not None and new != cs.state:
                    cs.state, cs.second_pass, changed = new, True, True
        if not changed:
            break
    for (crit, subject), state in decided.items():
        if state in ("met", "not-met"):
            dependent_types.add((subject, RDF.type, crits[crit].met if state == "met" else crits[crit].not_met))
    by_rec: dict[URIRef, list[ResultRecord]] = {}
    for r in results:
        by_rec.setdefault(r.rec, []).append(r)
    conflicts: list[ConflictRecord] = []
    for a, b, cand in table.candidates:
        for ra in by_rec.get(a, []):
            for rb in by_rec.get(b, []):
                if ra.status == "applies" and rb.status == "applies" and (
                        ra.limb is None or rb.limb is None or ra.limb == rb.limb):
                    conflicts.append(ConflictRecord(ra, rb, cand.kind, (cand.action_a, cand.action_b),
                                                    (cand.stance_a, cand.stance_b)))
    superseded = []
    for rec, (repl, evidence) in sorted(table.superseded.items(), key=lambda kv: str(kv[0])):
        for r in by_rec.get(rec, []):
            if r.status in ("applies", "blocked"):
                superseded.append((rec, r.status, list(repl), list(evidence)))
                break
    assessment = (_assessment_graph(URIRef(f"{case_base}assessment"), patient, results) if build_graph else Graph())
    return Evaluation(assessment, results, conflicts, superseded, dependent_types)


def _dependent_states(table: CompiledGuidance, types: dict[URIRef, frozenset[URIRef]], results: list[ResultRecord],
                      patient: URIRef, limbs: list[URIRef]) -> dict[tuple[URIRef, URIRef], str]:
    """queries/guidance/guidance-dependent-criteria.rq: met when a statement it depends on applies to the subject."""
    out: dict[tuple[URIRef, URIRef], str] = {}
    for d in table.dependent:
        for subject in (limbs if d.limb_level else [patient]):
            rel = [r for r in results if r.rec in d.depends_on and (r.limb is None or r.limb == subject)]
            applies = any(r.status == "applies" or (d.by_population and r.status == "blocked") for r in rel)
            missing_deps = [dep for dep in d.depends_on if not any(r.rec == dep for r in rel)]
            open_ = bool(missing_deps) or any(r.status == "indeterminate" for r in rel)
            fact_met = fact_not = False
            if d.fact is not None and d.fact in table.criteria:
                fc = table.criteria[d.fact]
                fs = patient if not fc.limb_level else subject
                have = types.get(fs, frozenset())
                fact_met, fact_not = fc.met in have, fc.not_met in have
            if applies or (fact_met and not fact_not):
                state = "met"
            elif not open_ and (d.fact is None or (fact_not and not fact_met)):
                state = "not-met"
            else:
                state = "unknown"
            if d.presupposes is not None and d.presupposes in table.criteria:
                # decision rule 17: no PE finding without a PE, no limb finding without thrombus
                pc = table.criteria[d.presupposes]
                have = types.get(patient if not pc.limb_level else subject, frozenset())
                pre_met, pre_not = pc.met in have, pc.not_met in have
                if not (pre_met and not pre_not):
                    state = "not-met" if (pre_not and not pre_met) else ("unknown" if state == "met" else state)
            out[(d.iri, subject)] = state
    return out


def types_from_graph(inferred: Graph, subjects: list[URIRef]) -> dict[URIRef, frozenset[URIRef]]:
    """The inferred classes of each subject, as the compiled engine reads them."""
    return {s: frozenset(o for o in inferred.objects(s, RDF.type) if isinstance(o, URIRef)) for s in subjects}


__all__ = ["CompiledGuidance", "evaluate_compiled", "types_from_graph"]
