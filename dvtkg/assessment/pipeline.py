"""The case-assessment pipeline: parse, validate, reason, query, report.

``Assessor`` holds the loaded knowledge base and assesses any number of cases;
``assess()`` is the one-call form. Every stage is timed; a case that violates the
contract raises ``CaseValidationError`` (exit code 1) before any assessment is made.
"""

from __future__ import annotations

import datetime
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rdflib import Graph, URIRef
from rdflib.namespace import RDF

from dvtkg import paths
from dvtkg.assessment.assemble import assemble
from dvtkg.assessment.facts import CaseFacts
from dvtkg.assessment.model import Assessment
from dvtkg.cases.dataconflicts import DataConflict, check_data_conflicts
from dvtkg.cases.derive import derive_facts
from dvtkg.cases.errors import CaseValidationError
from dvtkg.cases.load import DEFAULT_MAX_INPUT_MB, LoadedCase, load_case, loaded_from_conversion
from dvtkg.cases.validate_case import validate_case
from dvtkg.cases.vocab import DVT, case_ns
from dvtkg.fast.classify import FastClassifier, load_or_compile
from dvtkg.fast.classify import classify as fast_classify
from dvtkg.fast.compile import UnsupportedAxiom
from dvtkg.fhir.assess import FHIR_SOURCE, assess_conversion, conversion_conflicts, conversion_extra, read_fhir
from dvtkg.guidance.compiled import CompiledGuidance, evaluate_compiled, types_from_graph
from dvtkg.guidance.engine import Evaluation, evaluate
from dvtkg.guidance.knowledge import KnowledgeBase
from dvtkg.lean.assess import LeanAssessor, NotASheet, is_sheet
from dvtkg.reason import Classification, classify, limb_closures, vein_closures

ENGINES = ("reference", "fast")
#: the engine Assessor() and `dvtkg assess` use unless told otherwise
DEFAULT_ENGINE = "fast"
STAGES = ("parse", "validate", "reason", "query", "report")
FACT_GROUPS = ("age", "sex", "weightKg", "pregnant", "gestationWeeks", "pe", "labs", "conditions", "bleeding",
               "provoking", "course", "setting", "medications", "limbs.left", "limbs.right")


@dataclass
class Timings:
    seconds: dict[str, float] = field(default_factory=lambda: {s: 0.0 for s in STAGES})

    def add(self, stage: str, start: float) -> float:
        now = time.perf_counter()
        self.seconds[stage] += now - start
        return now


def _group_triples(g: Graph, patient: URIRef, keys, group: str) -> list[tuple]:
    """The asserted fact triples of one top-level key group (used to explain an inconsistency)."""
    if group.startswith("limbs."):
        side = group.split(".")[1]
        limbs = [limb for limb in g.objects(patient, DVT.hasLimb)
                 if str(g.value(limb, DVT.laterality) or "").endswith("/" + side)]
        return [t for limb in limbs for t in g.triples((limb, None, None))
                if t[1] not in (RDF.type, DVT.laterality, DVT.limbOf)]
    props = {spec.prop for spec in keys.patient.values() if spec.key == group or spec.key.startswith(group + ".")}
    props |= {spec.flag_prop for spec in keys.patient.values()
              if spec.flag_prop is not None and (spec.key == group or spec.key.startswith(group + "."))}
    return [t for t in g.triples((patient, None, None)) if t[1] in props]


@dataclass
class _Prepared:
    """A parsed, validated case with its derived facts, data conflicts and closures."""

    loaded: LoadedCase
    graph: Graph
    derived: list
    conflicts: list[DataConflict]
    closures: list
    case_iri: str
    timings: Timings


class Assessor:
    """Assesses cases against one loaded knowledge base."""

    #: attributes of the rdflib path, set up on first use when the lean path serves the case sheets
    _RDF_ATTRIBUTES = frozenset({"kb", "case_shapes", "fast", "compiled"})

    def __init__(self, kb: KnowledgeBase | None = None, root: Path | None = None,
                 max_input_mb: float = DEFAULT_MAX_INPUT_MB, engine: str = DEFAULT_ENGINE, lean: bool = True,
                 fhir_at: datetime.date | None = None) -> None:
        if engine not in ENGINES:
            raise ValueError(f"unknown engine {engine!r}: use one of {', '.join(ENGINES)}")
        self.max_input_mb = max_input_mb
        self.fhir_at = fhir_at  # the reference date for FHIR input (ages, days since onset); None = today
        self.engine = engine
        self._root = kb.root if kb is not None else root
        self._reference_hash: str | None = None  # computed once, on the first report
        # "fast" reads case sheets on the lean path (dvtkg.lean: no rdflib graph, the compiled knowledge
        # artefact); case graphs, --format ttl and lean=False take the rdflib path below
        self.lean = LeanAssessor(self._root, max_input_mb=max_input_mb) if engine == "fast" and lean else None
        if kb is not None or self.lean is None:
            self._init_rdf(kb)

    def _init_rdf(self, kb: KnowledgeBase | None = None) -> None:
        """Load what the rdflib path needs: the knowledge graph, the case shapes, the engine's classifier."""
        self.kb = kb or KnowledgeBase.load(self._root)
        shapes_path = paths.shapes_dir(self.kb.root) / "case.ttl"
        self.case_shapes = Graph().parse(shapes_path, format="turtle")
        # "fast": the TBox compiled once (build/, dvtkg.fast) classifies in-process instead of HermiT
        self.fast = FastClassifier(load_or_compile(self.kb.owl_path)) if self.engine == "fast" else None
        # "fast": the guidance rules compiled to tables (dvtkg.guidance.compiled) instead of the SPARQL store
        self.compiled = (CompiledGuidance.from_index(self.kb.index, self.kb.candidates) if self.engine == "fast"
                         else None)

    def __getattr__(self, name: str) -> Any:
        # only reached for attributes not set yet: the rdflib path's, loaded on first use
        if name in Assessor._RDF_ATTRIBUTES and "engine" in self.__dict__:
            self._init_rdf()
            return self.__dict__[name]
        raise AttributeError(name)

    def _tbox_hash(self) -> str | None:
        """The hash of the reasoner TBox (its compiled form); None if the fast compiler refuses it."""
        if self.fast is not None:
            return self.fast.tbox_hash
        if self._reference_hash is None:
            try:
                self._reference_hash = load_or_compile(self.kb.owl_path).tbox_hash
            except (UnsupportedAxiom, ValueError, OSError):  # the hash is a label: never stop the reference engine
                self._reference_hash = ""
        return self._reference_hash or None

    def _evaluate(self, g: Graph, inferred: Graph, patient: URIRef, case_base: str) -> Evaluation:
        """The guidance: SPARQL on pyoxigraph (reference), or the same rules compiled (fast)."""
        if self.compiled is None:
            return evaluate(self.kb, g, inferred, patient, case_base)
        limbs = sorted(o for o in g.objects(patient, DVT.hasLimb) if isinstance(o, URIRef))
        return evaluate_compiled(self.compiled, types_from_graph(inferred, [patient, *limbs]), patient, limbs,
                                 case_base)

    def _classify(self, g: Graph, closures, case_iri: str) -> Classification:
        if self.fast is not None:
            return fast_classify(self.fast, g, closures, case_iri, self.kb.segment_classes)
        return classify(self.kb.owl_path, g, closures, case_iri, self.kb.segment_classes)

    def load(self, case: str | Path | dict[str, Any] | Graph | None, timings: Timings | None = None,
             conversion: Any = None, source: str = FHIR_SOURCE) -> LoadedCase:
        """Parse and validate a case, or the sheet of a FHIR ``conversion`` made already (read from ``source``);
        raise CaseValidationError listing every violation."""
        timings = timings or Timings()
        start = time.perf_counter()
        if conversion is not None:
            loaded = loaded_from_conversion(conversion, source, self.kb.keys)
        elif case is not None:
            loaded = load_case(case, self.kb.keys, max_input_mb=self.max_input_mb, fhir_at=self.fhir_at)
        else:
            raise ValueError("Assessor.load: a case or a FHIR conversion is needed")
        start = timings.add("parse", start)
        violations = list(loaded.violations) + validate_case(loaded.graph, self.case_shapes, self.kb.keys)
        timings.add("validate", start)
        if violations:
            raise CaseValidationError(loaded.source, sorted(set(violations), key=lambda v: (v.key, v.rule)))
        return loaded

    def assess(self, case: str | Path | dict[str, Any] | Graph, source: str | None = None) -> Assessment:
        """Assess one case: every current statement's status, explained.

        ``source`` names where an already-read case (a dict) came from, for the report.
        """
        if self.lean is not None and is_sheet(case):
            try:
                return self.lean.assess(case, source=source)
            except NotASheet as exc:  # FHIR: its case sheet on the lean path too, from the parsed JSON
                source = source or (FHIR_SOURCE if isinstance(case, dict) else exc.source)
                return self.assess_conversion(read_fhir(exc.data, source, self.fhir_at), source)
        prepared = self._prepare(case)
        if source is not None:
            prepared.loaded.source = source
        return self._reason_and_finish(prepared)

    def assess_conversion(self, conversion: Any, source: str = FHIR_SOURCE) -> Assessment:
        """Assess FHIR read already (a ``dvtkg.fhir.convert.FhirConversion``, e.g. the CDS service's prefetch):
        its case sheet, with the contradictions between resources and the report's unmapped and provenance."""
        if self.lean is not None:
            return assess_conversion(self.lean, conversion, source)
        return self._reason_and_finish(self._prepare(None, conversion, source))

    def _reason_and_finish(self, prepared: "_Prepared") -> Assessment:
        start = time.perf_counter()
        result = self._classify(prepared.graph, prepared.closures, prepared.case_iri)
        prepared.timings.add("reason", start)
        return self._finish(prepared, result)

    def assess_many(self, cases: list[str | Path | dict[str, Any] | Graph]) -> list[Assessment | CaseValidationError]:
        """Assess many cases one by one (one fresh reasoner World each).

        Classifying several cases in one HermiT run was measured much slower here
        (20 cases: ~9 s each instead of ~2 s), so cases are not batched. A case that
        violates the contract yields its CaseValidationError in its place.
        """
        out: list[Assessment | CaseValidationError] = []
        for case in cases:
            try:
                out.append(self.assess(case))
            except CaseValidationError as exc:
                out.append(exc)
        return out

    def _prepare(self, case: str | Path | dict[str, Any] | Graph | None, conversion: Any = None,
                 source: str = FHIR_SOURCE) -> "_Prepared":
        timings = Timings()
        loaded = self.load(case, timings, conversion, source)
        start = time.perf_counter()
        g = loaded.graph
        derived = derive_facts(g)
        outcome = check_data_conflicts(g)
        if loaded.fhir is not None:  # contradictions between FHIR resources: the fact was left unknown
            outcome.conflicts[:0] = conversion_conflicts(loaded.fhir)
        closures = vein_closures(g, outcome.unclosed_limbs) + limb_closures(g, outcome.conflicts)
        case_iri = str(case_ns(loaded.case_id))[:-1]
        timings.add("parse", start)
        return _Prepared(loaded, g, derived, list(outcome.conflicts), closures, case_iri, timings)

    def _finish(self, p: "_Prepared", result: Classification) -> Assessment:
        timings, loaded, g, conflicts = p.timings, p.loaded, p.graph, p.conflicts
        start = time.perf_counter()
        if not result.consistent:
            result, culprit = self._explain_inconsistency(g, loaded.patient, p.closures, p.case_iri)
            conflicts.append(culprit)
            start = timings.add("reason", start)
        ev = self._evaluate(g, result.inferred, loaded.patient, str(case_ns(loaded.case_id)))
        start = timings.add("query", start)
        inferred = result.inferred + ev.dependent_types
        facts = CaseFacts(g, loaded.patient, self.kb.keys, inferred)
        subjects = [loaded.patient, *sorted(o for o in g.objects(loaded.patient, DVT.hasLimb) if isinstance(o, URIRef))]
        types = {subj: set(inferred.objects(subj, RDF.type)) for subj in subjects}
        assessment = assemble(self.kb, ev, facts, types, case=loaded.case_id, source=loaded.source,
                              data_conflicts=[c.as_dict() for c in conflicts], derived=[d.as_dict() for d in p.derived],
                              closures=[c.as_dict() for c in result.closures], graph=ev.assessment + g + inferred)
        if loaded.fhir is not None:  # only for FHIR input: what was not read, and where each fact came from
            assessment.extra = conversion_extra(loaded.fhir)
        timings.add("report", start)
        assessment.engine = {
            "reasoner": ("fast classifier: the reasoner TBox compiled (dvtkg.fast), in-process"
                         if self.fast is not None else "HermiT (owlready2 0.51), a fresh World per reasoning call"),
            "engine": self.engine,
            "tboxHash": self._tbox_hash(),
            "knowledgeHash": self.kb.knowledge_hash,
            "sparql": ("guidance rules compiled from the same knowledge (dvtkg.guidance.compiled)"
                       if self.compiled is not None else "guidance queries on an in-memory pyoxigraph store"),
            "knowledgeVersion": self.kb.version,
            "queries": sorted(q for q in self.kb.queries if q.startswith("guidance-")),
            "reasonerSeconds": round(result.seconds, 3),
            "stageSeconds": {k: round(v, 4) for k, v in timings.seconds.items()},
            "unknownIsNotFalse": True,
        }
        return assessment

    def _explain_inconsistency(self, g: Graph, patient: URIRef, closures, case_iri: str
                               ) -> tuple[Classification, DataConflict]:
        """Find the fact groups whose removal restores consistency; assess without them."""
        involved: list[str] = []
        for group in FACT_GROUPS:
            triples = _group_triples(g, patient, self.kb.keys, group)
            if not triples:
                continue
            trial = Graph()
            trial += g
            for t in triples:
                trial.remove(t)
            if self._classify(trial, closures, case_iri).consistent:
                involved.append(group)
        for group in involved:
            for t in _group_triples(g, patient, self.kb.keys, group):
                g.remove(t)
        result = self._classify(g, closures, case_iri)
        message = ("the case is logically inconsistent with the ontology (OWL reasoner); "
                   + (f"facts involved: {', '.join(involved)} - treated as unknown" if involved
                      else "no single group of facts explains it; nothing was classified"))
        if not result.consistent:
            result = Classification(Graph(), consistent=False, closures=closures)
        return result, DataConflict(involved or ["case"], message)


def assess(case: str | Path | dict[str, Any] | Graph, kb: KnowledgeBase | None = None,
           engine: str = DEFAULT_ENGINE) -> Assessment:
    """Assess one case (path, '-', case-sheet dict or case graph). Loads the knowledge base if not given."""
    return Assessor(kb, engine=engine).assess(case)
