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

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS

from dvtkg.cases.vocab import DVT, DVTV
from dvtkg.guidance import rules
from dvtkg.guidance.engine import ROLE_ORDER, Evaluation, _assessment_graph
from dvtkg.guidance.rules import CriterionTable, DependentTable, StatementTable

ROLE_PROPS = ((DVT.hasRequiredCriterion, "required"), (DVT.hasExcludingCriterion, "excluding"),
              (DVT.hasBlockingCriterion, "blocking"), (DVT.hasCautionCriterion, "caution"))
NO_LIMB = DVT.NoLimbDescribed


class CompiledGuidance(rules.CompiledGuidance):
    """The knowledge tables the guidance rules read, built once per knowledge base."""

    @classmethod
    def from_index(cls, index: Graph, candidates: dict) -> "CompiledGuidance":
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


def evaluate_compiled(table: CompiledGuidance, types: dict[URIRef, frozenset[URIRef]], patient: URIRef,
                      limbs: list[URIRef], case_base: str, build_graph: bool = True) -> Evaluation:
    """The same Evaluation as :func:`dvtkg.guidance.engine.evaluate`, from inferred types."""
    results, decided, conflicts, superseded = rules.evaluate_rules(table, types, patient, limbs, case_base,
                                                                   iri=URIRef, no_limb=NO_LIMB)
    dependent = Graph()
    for subject, cls in rules.dependent_types(table, decided):
        dependent.add((subject, RDF.type, cls))
    assessment = (_assessment_graph(URIRef(f"{case_base}assessment"), patient, results) if build_graph else Graph())
    return Evaluation(assessment, results, conflicts, superseded, dependent)


def types_from_graph(inferred: Graph, subjects: list[URIRef]) -> dict[URIRef, frozenset[URIRef]]:
    """The inferred classes of each subject, as the compiled engine reads them."""
    return {s: frozenset(o for o in inferred.objects(s, RDF.type) if isinstance(o, URIRef)) for s in subjects}


__all__ = ["CompiledGuidance", "evaluate_compiled", "types_from_graph"]
