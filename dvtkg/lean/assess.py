"""The lean single-case path of the fast engine: case sheet -> facts -> JSON, no rdflib, no store.

The same stages as the rdflib pipeline (``dvtkg.assessment.pipeline``), each on plain data:

- parse: the sheet's text and JSON (``dvtkg.cases.sheetio``), mapped to a FactStore by the
  one sheet mapping (``dvtkg.cases.sheet.sheet_to_store``);
- validate: the case shapes compiled at build time (``dvtkg.lean.shapes``), not pySHACL;
- reason: derived facts, data conflicts and closures by the one copy of those rules
  (``dvtkg.cases.derive`` / ``dataconflicts`` / ``closures``), then the compiled TBox
  (``dvtkg.fast.entail``) on the case's assertions built straight from the store;
- query: the compiled guidance rules (``dvtkg.guidance.rules``);
- report: the one JSON assembly (``dvtkg.assessment.assemble``) reading the compiled
  knowledge artefact (``dvtkg.lean.artefact``) instead of the knowledge graph.

A case graph (Turtle, JSON-LD, an rdflib Graph) and ``--format ttl`` take the rdflib path.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from dvtkg.assessment.assemble import assemble
from dvtkg.assessment.model import Assessment
from dvtkg.cases.closures import Closure, limb_closures, vein_closures
from dvtkg.cases.dataconflicts import DataConflict, check_store_conflicts
from dvtkg.cases.derive import derive_store
from dvtkg.cases.errors import CaseInputError, CaseValidationError
from dvtkg.cases.sheet import sheet_to_store
from dvtkg.cases.sheetio import DEFAULT_MAX_INPUT_MB, _parse_json, _read_text
from dvtkg.cases.store import DVT, RDF_TYPE, FactStore, Lit, case_base
from dvtkg.cases.strictjson import json_violations
from dvtkg.fast.entail import CaseFacts as Assertions
from dvtkg.fast.entail import Inconsistent, Reasoner
from dvtkg.guidance.records import Evaluation
from dvtkg.guidance.rules import dependent_types, evaluate_rules
from dvtkg.lean.artefact import LeanKnowledge, load_knowledge
from dvtkg.lean.facts import StoreFacts
from dvtkg.lean.shapes import validate_store

STAGES = ("parse", "validate", "reason", "query", "report")
FACT_GROUPS = ("age", "sex", "weightKg", "pregnant", "gestationWeeks", "pe", "labs", "conditions", "bleeding",
               "provoking", "course", "setting", "medications", "limbs.left", "limbs.right")
NAMED_INDIVIDUAL = "http://www.w3.org/2002/07/owl#NamedIndividual"
NOTHING = "http://www.w3.org/2002/07/owl#Nothing"
SKIPPED = {DVT + "hasThrombusIn", DVT + "laterality", DVT + "hasCodedDiagnosis"}
REASONED = (DVT + "Patient", DVT + "Limb")
ENGINE_TEXT = {
    "reasoner": "fast classifier: the reasoner TBox compiled (dvtkg.fast), in-process",
    "sparql": "guidance rules compiled from the same knowledge (dvtkg.guidance.compiled)",
}


class NotASheet(Exception):
    """The JSON read is not a case sheet (a FHIR resource): the rdflib path reads it, from ``data``."""

    def __init__(self, data: dict[str, Any], source: str) -> None:
        super().__init__(f"{source}: a FHIR resource, not a case sheet")
        self.data = data
        self.source = source


def is_sheet(case: object) -> bool:
    """Whether the lean path reads this case (a sheet dict, a .json file, or '-')."""
    if isinstance(case, dict):
        return True
    if isinstance(case, (str, Path)):
        text = str(case)
        return text == "-" or Path(text).suffix.lower() == ".json"
    return False


class LeanAssessor:
    """Assesses case sheets with the compiled knowledge artefact (loaded once)."""

    def __init__(self, root: Path | None = None, knowledge: LeanKnowledge | None = None,
                 max_input_mb: float = DEFAULT_MAX_INPUT_MB) -> None:
        self.knowledge = knowledge or load_knowledge(root)
        self.max_input_mb = max_input_mb
        self.reasoner = Reasoner(self.knowledge.classifier)

    # ------------------------------------------------------------ stages

    def load(self, case: str | Path | dict[str, Any], seconds: dict[str, float],
             source: str | None = None) -> tuple[FactStore, str, str, str]:
        """(facts, source, case id, patient IRI) of a valid sheet; CaseValidationError listing every violation."""
        start = time.perf_counter()
        if isinstance(case, dict):
            source, sheet = source or "<case sheet>", case
        else:
            sheet = _parse_json(_read_text(str(case), int(self.max_input_mb * 1_000_000)), str(case))
            source = source or str(case)
        if "resourceType" in sheet:
            raise NotASheet(sheet, source)
        bad = json_violations(sheet)
        if bad:
            raise CaseValidationError(source, bad)
        store, violations = sheet_to_store(sheet, self.knowledge.keys)
        patient = store.subjects(RDF_TYPE, DVT + "Patient")[0]
        case_id = str(store.value(patient, DVT + "caseIdentifier"))
        now = time.perf_counter()
        seconds["parse"] += now - start
        violations = list(violations) + validate_store(store, self.knowledge.shapes)
        seconds["validate"] += time.perf_counter() - now
        if violations:
            raise CaseValidationError(source, sorted(set(violations), key=lambda v: (v.key, v.rule)))
        return store, source, case_id, patient

    def assertions(self, store: FactStore, closures: list[Closure]) -> Assertions:
        """What the reasoner is told of a case (``dvtkg.reason.reasoner_case_graph``, without the graph)."""
        c = self.knowledge.classifier
        obj, data = set(c.object_properties), set(c.data_properties)
        individuals = sorted({s for t in REASONED for s in store.subjects(RDF_TYPE, t)})
        facts = Assertions(individuals=individuals)
        for s in individuals:
            for p, objs in store.props(s).items():
                if p in SKIPPED:
                    continue
                for o in objs:
                    if p == RDF_TYPE:
                        if o in REASONED:
                            facts.types.setdefault(s, set()).add(str(o))
                    elif p in obj and isinstance(o, str) and not o.startswith("_:"):
                        facts.edges.append((s, p, o))
                    elif p in data and isinstance(o, Lit):
                        facts.values.append((s, p, (o.lexical, o.datatype, "")))
        limbs = [s for s in individuals if DVT + "Limb" in store.objects(s, RDF_TYPE)]
        facts.different += [(a, b) for i, a in enumerate(limbs) for b in limbs[i + 1:]]
        segments = self.knowledge.segment_classes
        for s in individuals:
            for seg in store.objects(s, DVT + "hasThrombusIn"):
                if seg in segments:
                    facts.exprs.setdefault(s, []).append(("some", DVT + "hasThrombusIn", segments[seg]))
        for cl in closures:
            if cl.prop == DVT + "hasLimb":
                facts.exprs.setdefault(cl.subject, []).append(("max", len(cl.members), cl.prop))
                continue
            fillers = sorted({segments[m] for m in cl.members if m in segments})
            filler: Any = NOTHING if not fillers else fillers[0] if len(fillers) == 1 else ("or", tuple(fillers))
            facts.exprs.setdefault(cl.subject, []).append(("all", cl.prop, filler))
        return facts

    def classify(self, store: FactStore, closures: list[Closure]) -> dict[str, set[str]] | None:
        """The entailed dvt classes of the patient and the limbs, or None if the case is inconsistent."""
        try:
            found = self.reasoner.run(self.assertions(store, closures))
        except Inconsistent:
            return None
        subjects = sorted({s for t in REASONED for s in store.subjects(RDF_TYPE, t)})
        return {s: {c for c in found.get(s, ()) if c.startswith(DVT)} for s in subjects}

    def _group_triples(self, store: FactStore, patient: str, group: str) -> list[tuple[str, str, object]]:
        """The asserted fact triples of one top-level key group (used to explain an inconsistency)."""
        if group.startswith("limbs."):
            side = group.split(".")[1]
            limbs = [limb for limb in store.objects(patient, DVT + "hasLimb")
                     if str(store.value(limb, DVT + "laterality") or "").endswith("/" + side)]
            return [(str(limb), p, o) for limb in limbs for p, objs in store.props(str(limb)).items() for o in objs
                    if p not in (RDF_TYPE, DVT + "laterality", DVT + "limbOf")]
        specs = self.knowledge.keys.patient.values()
        props = {str(s.prop) for s in specs if s.key == group or s.key.startswith(group + ".")}
        props |= {str(s.flag_prop) for s in specs
                  if s.flag_prop is not None and (s.key == group or s.key.startswith(group + "."))}
        return [(patient, p, o) for p, objs in store.props(patient).items() if p in props for o in objs]

    def explain_inconsistency(self, store: FactStore, patient: str, closures: list[Closure]
                              ) -> tuple[dict[str, set[str]] | None, DataConflict]:
        """Find the fact groups whose removal restores consistency; classify without them."""
        involved: list[str] = []
        for group in FACT_GROUPS:
            triples = self._group_triples(store, patient, group)
            if not triples:
                continue
            trial = store.copy()
            for s, p, o in triples:
                trial.remove(s, p, o)
            if self.classify(trial, closures) is not None:
                involved.append(group)
        for group in involved:
            for s, p, o in self._group_triples(store, patient, group):
                store.remove(s, p, o)
        types = self.classify(store, closures)
        message = ("the case is logically inconsistent with the ontology (OWL reasoner); "
                   + (f"facts involved: {', '.join(involved)} - treated as unknown" if involved
                      else "no single group of facts explains it; nothing was classified"))
        return types, DataConflict(involved or ["case"], message)

    # ------------------------------------------------------------ the whole case

    def assess(self, case: str | Path | dict[str, Any], source: str | None = None,
               conflicts: Sequence[DataConflict] = ()) -> Assessment:
        """Assess one case sheet: every current statement's status, explained (the fast engine's JSON).

        ``source`` names where an already-read sheet (a dict) came from, for the report; ``conflicts``
        are data conflicts found before the sheet was made (resources that contradict each other,
        ``dvtkg.fhir.assess``): they come first, and withhold decision rule 4's closure as the sheet's own do.
        """
        if not is_sheet(case):
            raise CaseInputError(str(case), "the lean path reads case sheets (.json) only")
        seconds = {s: 0.0 for s in STAGES}
        store, source, case_id, patient = self.load(case, seconds, source)
        start = time.perf_counter()
        derived = derive_store(store)
        outcome = check_store_conflicts(store)
        data_conflicts = [*conflicts, *outcome.conflicts]
        closures = vein_closures(store, outcome.unclosed_limbs) + limb_closures(store, data_conflicts)
        now = time.perf_counter()
        seconds["parse"] += now - start
        types = self.classify(store, closures)
        if types is None:
            types, culprit = self.explain_inconsistency(store, patient, closures)
            data_conflicts.append(culprit)
        reason_seconds = time.perf_counter() - now
        seconds["reason"] += reason_seconds
        start = time.perf_counter()
        limbs = sorted(str(x) for x in store.objects(patient, DVT + "hasLimb"))
        base = case_base(case_id)
        table = self.knowledge.guidance
        inferred = types or {}
        results, decided, found, superseded = evaluate_rules(
            table, {s: frozenset(inferred.get(s, ())) for s in [patient, *limbs]}, patient, limbs, base)
        ev = Evaluation(None, results, found, superseded, None)
        all_types = {s: set(ts) for s, ts in inferred.items()}
        for subject, cls in dependent_types(table, decided):
            all_types.setdefault(subject, set()).add(cls)
        now = time.perf_counter()
        seconds["query"] += now - start
        facts = StoreFacts(store, patient, self.knowledge.keys, all_types)
        assessment = assemble(self.knowledge, ev, facts, all_types, case=case_id, source=source,
                              data_conflicts=[c.as_dict() for c in data_conflicts],
                              derived=[d.as_dict() for d in derived], closures=[c.as_dict() for c in closures])
        seconds["report"] += time.perf_counter() - now
        assessment.engine = self.engine_block(reason_seconds, seconds)
        return assessment

    def engine_block(self, reason_seconds: float, seconds: dict[str, float]) -> dict[str, Any]:
        k = self.knowledge
        return {
            "reasoner": ENGINE_TEXT["reasoner"],
            "engine": "fast",
            "tboxHash": k.tbox_hash,
            "knowledgeHash": k.knowledge_hash,
            "sparql": ENGINE_TEXT["sparql"],
            "knowledgeVersion": k.version,
            "queries": list(k.queries),
            "reasonerSeconds": round(reason_seconds, 3),
            "stageSeconds": {s: round(v, 4) for s, v in seconds.items()},
            "unknownIsNotFalse": True,
        }

    def assess_dict(self, case: str | Path | dict[str, Any]) -> dict[str, Any]:
        """The JSON of one case without the measured seconds (the same on every run)."""
        return self.assess(case).to_dict(with_timings=False)
