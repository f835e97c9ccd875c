"""Run the guidance queries over knowledge + case + inferences; build the assessment graph.

Pass 1 evaluates every criterion of every statement for its subject (the patient,
or each limb) from the inferred types; the statuses follow from the criterion states.
Pass 2 decides the guidance-dependent criteria (decision rules 2, 7, 8) from the
pass-1 statuses and recomputes, until nothing changes. Conflicts and superseded
statements are then read from the assessment graph.
"""

from __future__ import annotations

from collections.abc import Iterator

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF

from dvtkg.cases.vocab import DVT
from dvtkg.guidance.knowledge import KnowledgeBase
from dvtkg.guidance.records import (  # noqa: F401 - re-exported
    MAX_PASSES,
    ROLE_ORDER,
    ActionState,
    ConflictRecord,
    CriterionState,
    Evaluation,
    OptionRecord,
    ResultRecord,
    _local,
    apply_decided,
)


def evaluate(kb: KnowledgeBase, case: Graph, inferred: Graph, patient: URIRef, case_base: str) -> Evaluation:
    """Compute every result, its status, the conflicts and the superseded statements."""
    assessment_iri = URIRef(f"{case_base}assessment")
    q = {name: kb.queries[name].text for name in kb.queries}
    if kb.store is None:
        raise ValueError("the knowledge base has no guidance store: load it with KnowledgeBase.load()")
    with kb.store.case(case, inferred) as view:
        results: dict[tuple[URIRef, URIRef | None], ResultRecord] = {}
        for row in view.query(q["guidance-criterion-states"], patient=patient):
            key = (row.rec, row.limb)
            rec = results.get(key)
            if rec is None:
                suffix = _local(row.limb).replace("limb-", "") if row.limb is not None else "patient"
                rec = ResultRecord(URIRef(f"{case_base}result-{_local(row.rec)}-{suffix}"), row.rec, row.limb)
                results[key] = rec
            info = kb.criteria.get(row.crit)
            subject = (row.limb if info is not None and info.level == "limb" else patient)
            node = URIRef(f"{rec.node}-{str(row.role)}-{_local(row.crit)}")
            rec.states.append(CriterionState(row.crit, str(row.role), str(row.state), subject, node))

        for row in view.query(q["guidance-action-states"], patient=patient):
            r = results.get((row.rec, row.limb))
            if r is None:
                continue
            opt = next((o for o in r.options if o.opt == row.opt), None)
            if opt is None:
                opt = OptionRecord(row.opt, URIRef(f"{r.node}-option-{_local(row.opt)}"))
                r.options.append(opt)
            if row.ci is not None and row.state is not None and all(st.ci != row.ci for st in opt.states):
                opt.states.append(ActionState(row.ci, row.crit, str(row.effect).endswith("/blocks"), str(row.state),
                                              URIRef(f"{opt.node}-{_local(row.ci)}")))
        for r in results.values():
            r.states.sort(key=lambda cs: (ROLE_ORDER.index(cs.role), str(cs.crit)))
            r.options.sort(key=lambda o: str(o.opt))
            for o in r.options:
                o.states.sort(key=lambda st: str(st.ci))

        dependent_types = Graph()
        decided: dict[tuple[URIRef, URIRef], str] = {}
        ordered = sorted(results.values(), key=lambda r: (str(r.rec), str(r.limb or "")))
        for _ in range(MAX_PASSES):
            with view.scratch(_assessment_triples(assessment_iri, patient, ordered)):
                statuses = {row.result: str(row.status) for row in view.query(q["guidance-statuses"])}
            for r in ordered:
                r.status = statuses[r.node]
            with view.scratch(_assessment_triples(assessment_iri, patient, ordered)):
                decided = {(row.crit, row.subject): str(row.state)
                           for row in view.query(q["guidance-dependent-criteria"])}
            if not apply_decided(ordered, decided):
                break
        for (crit, subject), state in decided.items():
            if crit in kb.criteria and state in ("met", "not-met"):
                cls = URIRef(f"{DVT}{_local(crit)}{'Met' if state == 'met' else 'NotMet'}")
                dependent_types.add((subject, RDF.type, cls))

        a = _assessment_graph(assessment_iri, patient, ordered)
        by_node = {r.node: r for r in ordered}
        cand_by_node = {c.node: c for c in kb.candidates.values()}
        conflicts: list[ConflictRecord] = []
        superseded: dict[URIRef, tuple[URIRef, str, list[URIRef], list[URIRef]]] = {}
        with view.scratch(a):
            for row in view.query(q["guidance-conflicts"]):
                cand = cand_by_node[row.cand]
                conflicts.append(ConflictRecord(by_node[row.r1], by_node[row.r2], cand.kind,
                                                (cand.action_a, cand.action_b), (cand.stance_a, cand.stance_b)))
            for row in view.query(q["guidance-superseded"]):
                entry = superseded.setdefault(row.rec, (row.rec, str(row.status), [], []))
                if row.replacement not in entry[2]:
                    entry[2].append(row.replacement)
                if row.evidence is not None and row.evidence not in entry[3]:
                    entry[3].append(row.evidence)
    return Evaluation(a, ordered, conflicts, list(superseded.values()), dependent_types)


def _union(*graphs: Graph) -> Graph:
    """A new graph holding the triples of all the given graphs (all small)."""
    out = Graph()
    for g in graphs:
        out += g
    return out


def _assessment_graph(assessment: URIRef, patient: URIRef, results: list[ResultRecord]) -> Graph:
    g = Graph()
    for t in _assessment_triples(assessment, patient, results):
        g.add(t)
    return g


def _assessment_triples(assessment: URIRef, patient: URIRef, results: list[ResultRecord]) -> Iterator[tuple]:
    """The assessment's triples. The passes hand them to the store directly: building an rdflib graph
    each pass cost most of the reference guidance's time (thousands of triples, five times a case)."""
    yield (assessment, RDF.type, DVT.Assessment)
    yield (assessment, DVT.assessedCase, patient)
    has_result, about_statement, about_patient, about_limb = DVT.hasResult, DVT.aboutStatement, DVT.aboutPatient, \
        DVT.aboutLimb
    state_class, of_criterion, role, state_p = DVT.CriterionState, DVT.ofCriterion, DVT.criterionRole, \
        DVT.criterionState
    for r in results:
        yield (assessment, has_result, r.node)
        yield (r.node, RDF.type, DVT.GuidanceResult)
        yield (r.node, about_statement, r.rec)
        yield (r.node, about_patient, patient)
        if r.limb is not None:
            yield (r.node, about_limb, r.limb)
        if r.status:
            yield (r.node, DVT.status, Literal(r.status))
        for o in r.options:
            yield (r.node, DVT.hasOption, o.opt)
            for st in o.states:
                yield (r.node, DVT.hasOptionState, st.node)
                yield (st.node, RDF.type, state_class)
                yield (st.node, DVT.forOption, o.opt)
                yield (st.node, DVT.viaContraindication, st.ci)
                yield (st.node, of_criterion, st.crit)
                yield (st.node, role, Literal("action-blocking" if st.blocks else "action-caution"))
                yield (st.node, state_p, Literal(st.state))
        for cs in r.states:
            yield (r.node, DVT.hasCriterionState, cs.node)
            yield (cs.node, RDF.type, state_class)
            yield (cs.node, of_criterion, cs.crit)
            yield (cs.node, role, Literal(cs.role))
            yield (cs.node, state_p, Literal(cs.state))
            source = "second pass over other results" if cs.second_pass else "reasoner"
            yield (cs.node, DVT.stateSource, Literal(source))
