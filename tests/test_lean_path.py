"""The lean single-case path (dvtkg.lean) gives the rdflib fast path's whole JSON, without rdflib.

The rdflib fast path (``Assessor(engine="fast", lean=False)``: case graph, compiled TBox on the
reasoner case graph, compiled guidance rules, JSON from the knowledge graph) is proved equal to
HermiT + SPARQL by tests/test_engines_agree.py and the differential harness; here the lean path
(fact store, compiled shapes, the compiled knowledge artefact) is compared with it on every
example and on generated sheets: casegen cases, and the differential generator's sweep (every
key over its domain, each facet threshold and one step either side, closed / open / absent vein
lists, 0-2 limbs) and random sheets. ``DVTKG_LEAN_N`` sets how many generated sheets (default 300).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from dvtkg.assessment.pipeline import Assessor
from dvtkg.casegen import generate_case
from dvtkg.cases.errors import CaseValidationError
from dvtkg.fast.classify import load_or_compile
from dvtkg.fast.differential import Generator
from dvtkg.guidance.knowledge import KnowledgeBase
from dvtkg.lean import artefact
from dvtkg.lean.assess import LeanAssessor

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples" / "cases").glob("*.json"))
N = int(os.environ.get("DVTKG_LEAN_N", "300"))
HEAVY = ("rdflib", "owlready2", "pyshacl", "pyoxigraph")


@pytest.fixture(scope="module")
def paths_(knowledge_base: KnowledgeBase) -> tuple[Assessor, LeanAssessor]:
    kb = knowledge_base  # the session's (tests/conftest.py), loaded once per process
    return Assessor(kb, engine="fast", lean=False), LeanAssessor(kb.root)


def canonical(d: dict[str, Any]) -> str:
    """The whole document in canonical order, without the measured seconds."""
    d = dict(d)
    d["engine"] = {k: v for k, v in d["engine"].items() if not k.endswith("Seconds")}
    return json.dumps(d, sort_keys=True, ensure_ascii=False)


def generated(kb: KnowledgeBase, n: int) -> list[tuple[str, dict[str, Any]]]:
    gen = Generator(Assessor(kb, engine="fast", lean=False), load_or_compile(kb.owl_path))
    sheets: list[tuple[str, dict[str, Any]]] = [(f"casegen-{i}", generate_case(i)) for i in range(n // 3)]
    sheets += [(name, sheet) for name, sheet, _ in gen.sweep()]
    i = 0
    while len(sheets) < n:
        sheets.append((f"random-{i}", gen.random_sheet(i)[0]))
        i += 1
    return sheets[:n]


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_lean_json_equals_the_rdflib_fast_json_on_the_examples(paths_, path: Path) -> None:
    rdf, lean = paths_
    a, b = rdf.assess(path).to_dict(), lean.assess(path).to_dict()
    assert b["engine"]["engine"] == a["engine"]["engine"] == "fast"
    assert canonical(b) == canonical(a)


@pytest.mark.slow
def test_lean_json_equals_the_rdflib_fast_json_on_generated_sheets(paths_) -> None:
    rdf, lean = paths_
    sheets = generated(rdf.kb, N)
    assert len(sheets) == N
    differ = []
    for name, sheet in sheets:
        try:
            a = canonical(rdf.assess(sheet).to_dict())
        except CaseValidationError as exc:
            a = str(exc)
        try:
            b = canonical(lean.assess(sheet).to_dict())
        except CaseValidationError as exc:
            b = str(exc)
        if a != b:
            differ.append(name)
    assert differ == []


def test_the_json_names_the_engine_and_the_knowledge(paths_) -> None:
    rdf, lean = paths_
    engine = lean.assess(EXAMPLES[0]).to_dict()["engine"]
    assert engine["engine"] == "fast"
    assert engine["knowledgeHash"] == rdf.kb.knowledge_hash and len(engine["knowledgeHash"]) == 16
    assert engine["tboxHash"] == rdf.fast.tbox_hash


def test_assessor_fast_serves_sheets_on_the_lean_path_and_graphs_on_rdflib(paths_, tmp_path: Path) -> None:
    rdf, _ = paths_
    fast = Assessor(rdf.kb, engine="fast")
    sheet = json.loads(EXAMPLES[0].read_text())
    assert fast.lean is not None
    lean_json = canonical(fast.assess(sheet).to_dict())
    from dvtkg.cases.load import load_case

    graph = load_case(sheet, rdf.kb.keys).graph
    graph_json = json.loads(canonical(fast.assess(graph).to_dict()))
    graph_json["source"] = "<case sheet>"  # the only field that says where the case came from
    assert json.dumps(graph_json, sort_keys=True, ensure_ascii=False) == lean_json


def _modules_after(code: str) -> list[str]:
    out = subprocess.run([sys.executable, "-c", code + "\nimport sys\nprint(' '.join(m for m in "
                          f"{HEAVY!r} if m in sys.modules))"], capture_output=True, text=True, cwd=ROOT, check=True)
    return out.stdout.split()


def test_the_lean_path_imports_no_rdflib_owlready2_pyshacl_or_pyoxigraph() -> None:
    code = (f"from dvtkg.lean.assess import LeanAssessor\n"
            f"LeanAssessor().assess({str(EXAMPLES[0])!r}).to_dict()")
    assert _modules_after(code) == []


def test_dvtkg_assess_fast_imports_none_of_them() -> None:
    code = ("import contextlib, io\nfrom dvtkg.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            f"    assert main(['assess', '--engine', 'fast', '--format', 'json', {str(EXAMPLES[0])!r}]) == 0")
    assert _modules_after(code) == []


def _copy_sources(dst: Path) -> None:
    import shutil

    for name in ("ontology", "shapes", "queries"):
        shutil.copytree(ROOT / name, dst / name)
    shutil.copy(ROOT / "VERSION", dst / "VERSION")


def test_the_stamp_follows_every_input(tmp_path: Path) -> None:
    _copy_sources(tmp_path)
    first = artefact.stamp(tmp_path)
    assert artefact.stamp(tmp_path) == first
    for rel in ("shapes/case.ttl", "queries/guidance/guidance-statuses.rq", "VERSION", "ontology/dvt.ttl"):
        path = tmp_path / rel
        before = path.read_bytes()
        path.write_bytes(before + b"\n# changed\n")
        assert artefact.stamp(tmp_path) != first, rel
        path.write_bytes(before)
    assert artefact.stamp(tmp_path) == first


def test_a_missing_or_damaged_artefact_is_never_used(tmp_path: Path) -> None:
    _copy_sources(tmp_path)
    (tmp_path / "build").mkdir()
    with pytest.raises(artefact.StaleArtefact, match="make build"):
        artefact.load_knowledge(tmp_path, rebuild=False)
    digest = artefact.stamp(tmp_path)
    artefact.artefact_path(tmp_path, digest).write_text(json.dumps({"stamp": "0" * 16}))
    with pytest.raises(artefact.StaleArtefact, match="damaged"):
        artefact.load_knowledge(tmp_path, rebuild=False)


def test_the_cli_default_engine_is_the_api_default() -> None:
    from dvtkg.assessment import pipeline
    from dvtkg.commands import assess

    assert assess.DEFAULT_ENGINE == pipeline.DEFAULT_ENGINE


def test_an_inconsistent_case_names_the_facts_on_the_lean_path(paths_) -> None:
    """The same mechanism as tests/test_inconsistency.py (which runs HermiT), on the lean path: one extra
    axiom makes a male pregnant patient impossible; the groups whose removal restores consistency are named."""
    import copy as copy_

    from rdflib import BNode, Graph, Literal
    from rdflib.collection import Collection
    from rdflib.namespace import OWL, RDF, RDFS

    from dvtkg.cases.closures import vein_closures
    from dvtkg.cases.derive import derive_store
    from dvtkg.cases.sheet import sheet_to_store
    from dvtkg.cases.store import DVT
    from dvtkg.cases.vocab import DVT as DVT_NS
    from dvtkg.fast.compile import compile_tbox

    rdf, lean = paths_
    tbox = Graph().parse(rdf.kb.owl_path, format="xml")
    parts = [DVT_NS.Patient]
    for prop, value in ((DVT_NS.sex, Literal("male")), (DVT_NS.pregnant, Literal(True))):
        r = BNode()
        tbox.add((r, RDF.type, OWL.Restriction))
        tbox.add((r, OWL.onProperty, prop))
        tbox.add((r, OWL.hasValue, value))
        parts.append(r)
    body, lst, impossible = BNode(), BNode(), DVT_NS.ImpossiblePatientForThisTest
    Collection(tbox, lst, parts)
    tbox.add((body, RDF.type, OWL.Class))
    tbox.add((body, OWL.intersectionOf, lst))
    tbox.add((impossible, RDF.type, OWL.Class))
    tbox.add((impossible, OWL.equivalentClass, body))  # the compiler takes definitions with a named side
    tbox.add((impossible, RDFS.subClassOf, OWL.Nothing))
    knowledge = copy_.copy(lean.knowledge)
    knowledge.classifier = compile_tbox(tbox)
    strict = LeanAssessor(knowledge=knowledge)
    sheet = {"id": "inconsistent", "sex": "male", "pregnant": True, "age": 40,
             "limbs": {"left": {"veins": ["popliteal"], "symptomDays": 3}}}
    store, violations = sheet_to_store(sheet, knowledge.keys)
    assert not violations
    derive_store(store)
    closures = vein_closures(store, set())
    patient = "https://w3id.org/dvtkg/case/inconsistent#patient"
    assert strict.classify(store, closures) is None
    types, conflict = strict.explain_inconsistency(store, patient, closures)
    assert types is not None
    assert set(conflict.facts) == {"sex", "pregnant"} and "inconsistent" in conflict.message
    # the contradicted facts are gone (unknown), the rest is still classified
    assert store.value(patient, DVT + "pregnant") is None and store.value(patient, DVT + "sex") is None
    assert DVT + "ProximalDvtMet" in types[patient]
