"""Whole-assessment differential: the fast engine's JSON against the reference engine's, on case sheets.

The type differential (:mod:`dvtkg.fast.differential`) proves the classifier; this proves the
rest of the fast engine end to end (the lean sheet reader, the compiled validation, the compiled
guidance rules, the JSON writer) against the executable specification: the reference pipeline
(rdflib case graph, pySHACL, HermiT, the SPARQL guidance queries on pyoxigraph, the RDF-based
report). Both read the same case sheet; the two assessments must be equal field for field in
canonical order (keys sorted), apart from the fields that say which engine ran and how long
it took (:data:`ENGINE_ONLY`). A sheet that breaks the contract must be refused by both with
the same violations.

The reference's HermiT answers come from the differential's cache (the same key: the reasoner
case graph's canonical hash), so a sheet whose reasoner graph was classified before costs no
HermiT call; the SPARQL guidance always runs. A mismatch is shrunk to a minimal sheet (keys
removed one at a time while the engines still differ) and written as a JSON fixture.
"""

from __future__ import annotations

import copy
import hashlib
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rdflib import Graph, URIRef
from rdflib.namespace import RDF

from dvtkg.assessment.pipeline import Assessor
from dvtkg.casegen import generate_case, generate_cohort_case, thresholds_from_tbox
from dvtkg.cases.errors import CaseInputError, CaseValidationError
from dvtkg.reason import Classification, _subjects, reasoner_case_graph

#: fields of the assessment's "engine" block that legitimately differ between the engines:
#: which engine ran, how it is described, and the seconds it took
ENGINE_ONLY = ("engine", "reasoner", "sparql", "reasonerSeconds", "stageSeconds")


class CachedReferenceAssessor(Assessor):
    """The reference engine (rdflib path, pySHACL, SPARQL guidance) whose HermiT answers come from a
    :class:`dvtkg.fast.differential.Reference` (cache first, then warm HermiT) instead of a JVM per case."""

    def __init__(self, base: Assessor, reference: Any) -> None:
        super().__init__(base.kb, engine="reference")
        self.reference = reference
        self.used_keys: list[str] = []  # the reference key of every reasoner graph asked for, in order

    def _classify(self, g: Graph, closures, case_iri: str) -> Classification:
        from dvtkg.fast.differential import DiffCase

        subjects = _subjects(g)
        case = DiffCase(case_iri, "assessment", reasoner_case_graph(g, closures, self.kb.segment_classes, case_iri),
                        subjects)
        key = self.reference.key(case)
        self.used_keys.append(key)
        types, seconds, _ = self.reference.types(case, key=key)
        if types is None:
            return Classification(Graph(), consistent=False, seconds=seconds, closures=closures)
        inferred = Graph()
        for s, ts in types.items():
            for t in ts:
                inferred.add((URIRef(s), RDF.type, URIRef(t)))
        return Classification(inferred, consistent=True, seconds=seconds, closures=closures)


def canonical(assessment: dict[str, Any]) -> str:
    """The assessment JSON in canonical order (keys sorted), without the engine-only fields."""
    d = dict(assessment)
    engine = {k: v for k, v in (d.get("engine") or {}).items() if k not in ENGINE_ONLY}
    d["engine"] = engine
    return json.dumps(d, sort_keys=True, ensure_ascii=False, indent=0)


def answer(assessor: Assessor, sheet: dict[str, Any]) -> str:
    """What an engine says about a sheet, canonical: the assessment, or the contract violations."""
    try:
        return canonical(assessor.assess(copy.deepcopy(sheet)).to_dict())
    except CaseValidationError as exc:
        return "refused:\n" + "\n".join(sorted(v.text() for v in exc.violations))
    except CaseInputError as exc:
        return f"unreadable: {exc}"


@dataclass
class SheetOutcome:
    """Both engines' answers for one sheet."""

    name: str
    same: bool
    fast_seconds: float
    reference_seconds: float
    diff: str = ""
    refused: bool = False
    keys: list[str] = field(default_factory=list)  # the HermiT cache keys the reference asked for


def first_difference(a: str, b: str) -> str:
    """The first differing line of two canonical answers, with its neighbourhood."""
    la, lb = a.splitlines(), b.splitlines()
    for i, (x, y) in enumerate(zip(la, lb, strict=False)):
        if x != y:
            return f"line {i}: fast {x.strip()!r} / reference {y.strip()!r}"
    return f"lengths differ: fast {len(la)} lines / reference {len(lb)} lines"


def compare_sheet(fast: Assessor, reference: Assessor, name: str, sheet: dict[str, Any]) -> SheetOutcome:
    start = time.perf_counter()
    a = answer(fast, sheet)
    middle = time.perf_counter()
    b = answer(reference, sheet)
    end = time.perf_counter()
    same = a == b
    return SheetOutcome(name, same, middle - start, end - middle, "" if same else first_difference(a, b),
                        refused=a.startswith("refused:"))


def sheets(kb: Any, compiled: Any, gen: Any, root: Path, n: int) -> Iterator[tuple[str, dict[str, Any]]]:
    """n case sheets: the shrunk sheet fixtures, then in turn a ``casegen`` case, a random sheet over every
    key's domain (the type differential's generator) and a cohort edge case (facet bounds, absent and open
    legs, and four times the cohort's rate of data conflicts and contract violations)."""
    count = 0
    for path in sorted((root / "tests" / "fixtures" / "differential").glob("*.json")):
        if count >= n:
            return
        yield path.name, json.loads(path.read_text())
        count += 1
    thresholds = thresholds_from_tbox(compiled, kb.keys)
    i = 0
    while count < n:
        kind = i % 3
        j = i // 3
        if kind == 0:
            sheet = generate_case(j)
        elif kind == 1:
            sheet = gen.random_sheet(j)[0]
        else:
            sheet = generate_cohort_case(j, kb.keys, thresholds, rare=4.0)  # conflicts and violations: ~28%
        yield str(sheet.get("id", f"sheet-{i}")), sheet
        count += 1
        i += 1


def _leaves(sheet: Any, prefix: tuple = ()) -> list[tuple]:
    """Every removable key path of a sheet (deepest first, so that a key's children go before it)."""
    out: list[tuple] = []
    if isinstance(sheet, dict):
        for k, v in sheet.items():
            if k == "id" and not prefix:
                continue
            out += _leaves(v, (*prefix, k))
            out.append((*prefix, k))
    return out


def _without(sheet: dict[str, Any], path: tuple) -> dict[str, Any]:
    out = copy.deepcopy(sheet)
    node = out
    for p in path[:-1]:
        node = node[p]
    del node[path[-1]]
    return out


def shrink_sheet(fast: Assessor, reference: Assessor, sheet: dict[str, Any], budget: int = 300) -> dict[str, Any]:
    """Remove keys while the engines still disagree: passes until none can go."""
    current = sheet
    changed = True
    while changed and budget > 0:
        changed = False
        for path in _leaves(current):
            if budget <= 0:
                break
            try:
                trial = _without(current, path)
            except (KeyError, TypeError):
                continue
            budget -= 1
            if answer(fast, trial) != answer(reference, trial):
                current, changed = trial, True
                break
    return current


def write_sheet_fixture(sheet: dict[str, Any], name: str, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256(name.encode()).hexdigest()[:10]
    path = folder / f"mismatch-sheet-{digest}.json"
    path.write_text(json.dumps(sheet, indent=2, sort_keys=True) + "\n")
    return path
