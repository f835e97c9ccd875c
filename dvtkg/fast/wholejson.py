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
HermiT call. A mismatch is shrunk to a minimal sheet (keys removed one at a time while the
engines still differ) and written as a JSON fixture.

The reference engine's answers for ``make test``: a whole reference assessment costs ~1.5-2 s of
CPU (pySHACL, the rdflib graphs, the SPARQL guidance), so ``make differential`` writes the reference's
canonical answers for the first sheets to tests/fixtures/differential/reference-<digest>.jsonl.gz
(:func:`write_answers`) as SHA-256 hashes of the canonical text (an answer is ~200 kB of JSON; its
hash is as strong a check), keyed by the sheet's hash; the digest (:func:`knowledge_digest`) covers
what the reference reads besides the sheet (the ontology sources, the shapes, the guidance queries,
the case schema). :func:`compare_committed` uses them: a recorded answer stands in for the reference
only when it equals the fast engine's answer; a random sample (a new one each run) is run live and
must equal its record, and any sheet whose fast answer differs from its record is run live too and
decides, so a stale or doctored file fails and a real difference is never hidden by a record.
"""

from __future__ import annotations

import copy
import gzip
import hashlib
import json
import random
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rdflib import Graph, URIRef
from rdflib.namespace import RDF

from dvtkg import paths
from dvtkg.assessment.pipeline import Assessor
from dvtkg.casegen import generate_case, generate_cohort_case, thresholds_from_tbox
from dvtkg.cases.errors import CaseInputError, CaseValidationError
from dvtkg.kb.sources import sources_hash
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
    sheet_key: str = ""  # :func:`sheet_key` of the sheet
    reference_answer: str = ""  # the reference's canonical answer ("" when a committed record stood in for it)
    recorded: bool = False  # the committed reference answer stood in for a live run
    stale: bool = False  # the reference ran live and contradicted the committed answer


def first_difference(a: str, b: str) -> str:
    """The first differing line of two canonical answers, with its neighbourhood."""
    la, lb = a.splitlines(), b.splitlines()
    for i, (x, y) in enumerate(zip(la, lb, strict=False)):
        if x != y:
            return f"line {i}: fast {x.strip()!r} / reference {y.strip()!r}"
    return f"lengths differ: fast {len(la)} lines / reference {len(lb)} lines"


def sheet_key(sheet: dict[str, Any]) -> str:
    """A hash of a sheet's content (keys sorted): the key of its committed reference answer."""
    text = json.dumps(sheet, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def answer_hash(text: str) -> str:
    """The SHA-256 of a canonical answer: what the committed answer file records."""
    return hashlib.sha256(text.encode()).hexdigest()


def compare_sheet(fast: Assessor, reference: Assessor, name: str, sheet: dict[str, Any],
                  recorded: str | None = None, trust_record: bool = True) -> SheetOutcome:
    """Both engines' answers for a sheet.

    ``recorded``: the :func:`answer_hash` of the reference's committed answer for this sheet. With
    ``trust_record``, it stands in for the reference when the fast answer has that hash (the reference
    is not run); otherwise the reference runs live and decides, and a record it contradicts is stale.
    """
    start = time.perf_counter()
    a = answer(fast, sheet)
    middle = time.perf_counter()
    key = sheet_key(sheet)
    if recorded is not None and trust_record and answer_hash(a) == recorded:
        return SheetOutcome(name, True, middle - start, 0.0, refused=a.startswith("refused:"), sheet_key=key,
                            recorded=True)
    b = answer(reference, sheet)
    end = time.perf_counter()
    same = a == b
    return SheetOutcome(name, same, middle - start, end - middle, "" if same else first_difference(a, b),
                        refused=a.startswith("refused:"), sheet_key=key, reference_answer=b,
                        stale=recorded is not None and recorded != answer_hash(b))


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


# ----- the reference engine's committed answers (make test)

def knowledge_digest(root: Path) -> str:
    """What the reference engine's answer depends on besides the sheet: the ontology sources (the knowledge
    hash), the shapes, the guidance queries and the case schema. A change of any starts a new answer file."""
    h = hashlib.sha256(f"dvtkg-reference-answers/1\0{sources_hash(root)}\0".encode())
    inputs = [*sorted(paths.shapes_dir(root).glob("*.ttl")),
              *sorted((paths.queries_dir(root) / "guidance").glob("*.rq")),
              *sorted(paths.schemas_dir(root).glob("*.json"))]
    for path in inputs:
        h.update(paths.relative(path, root).encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def answers_path(root: Path) -> Path:
    """tests/fixtures/differential/reference-<knowledge digest>.jsonl.gz"""
    return root / "tests" / "fixtures" / "differential" / f"reference-{knowledge_digest(root)}.jsonl.gz"


def read_answers(path: Path) -> dict[str, str]:
    """The committed reference answers of a file (sheet key -> :func:`answer_hash`); none if it is missing."""
    if not path.exists():
        return {}
    out: dict[str, str] = {}
    for line in gzip.decompress(path.read_bytes()).decode().splitlines():
        if line.strip():
            row = json.loads(line)
            out[row["key"]] = row["answer"]
    return out


def write_answers(assessor: Assessor, outcomes: Iterable[SheetOutcome], n_sheets: int) -> Path:
    """Write the reference's answers for the first ``n_sheets`` sheets of :func:`sheets` (those ``make test``
    compares) from ``outcomes`` (a run in which the reference ran live on them); older files are removed."""
    from dvtkg.fast.classify import load_or_compile
    from dvtkg.fast.differential import Generator

    root = assessor.kb.root
    compiled = load_or_compile(assessor.kb.owl_path)
    wanted = [sheet_key(s) for _, s in sheets(assessor.kb, compiled, Generator(assessor, compiled), root, n_sheets)]
    ran = {o.sheet_key: o.reference_answer for o in outcomes if o.reference_answer}
    missing = [k for k in wanted if k not in ran]
    if missing:
        raise SystemExit(f"error: the reference did not run on {len(missing)} of the first {n_sheets} sheets: "
                         "run with --sheets at least that many and without --seconds")
    lines = sorted(json.dumps({"key": k, "answer": answer_hash(ran[k])}, sort_keys=True)
                   for k in dict.fromkeys(wanted))
    path = answers_path(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    for old in path.parent.glob("reference-*.jsonl.gz"):
        if old != path:
            old.unlink()
    path.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode(), mtime=0))
    return path


@dataclass
class WholeReport:
    """The whole-assessment comparison of :func:`compare_committed`."""

    outcomes: list[SheetOutcome]
    seed: int
    answer_file: Path
    recheck: int

    @property
    def mismatches(self) -> list[SheetOutcome]:
        return [o for o in self.outcomes if not o.same]

    @property
    def stale(self) -> list[SheetOutcome]:
        return [o for o in self.outcomes if o.stale]

    def summary(self) -> dict[str, Any]:
        live = [o.reference_seconds for o in self.outcomes if not o.recorded]
        return {
            "compared": len(self.outcomes),
            "mismatches": len(self.mismatches),
            "refusedByBoth": sum(1 for o in self.outcomes if o.same and o.refused),
            "referenceFromFile": sum(1 for o in self.outcomes if o.recorded),
            "referenceLive": len(live),
            "recheckedSample": self.recheck,
            "staleRecords": [o.name for o in self.stale],
            "referenceLiveSeconds": round(sum(live), 1),
            "answerFile": self.answer_file.name,
            "sampleSeed": self.seed,
            "firstMismatches": [f"{o.name}: {o.diff}" for o in self.mismatches[:5]],
        }


def compare_committed(assessor: Assessor, reference: Any, n_sheets: int, recheck: int = 10,
                      seed: int | None = None) -> WholeReport:
    """The fast engine's whole assessments against the reference's on the first ``n_sheets`` sheets, the
    reference's committed answers standing in for it where they equal the fast answer (module docstring);
    ``recheck`` recorded sheets, drawn with ``seed`` (random unless given), are run live whatever.
    ``reference``: a :class:`dvtkg.fast.differential.Reference` (HermiT's cached answers, then warm HermiT)."""
    from dvtkg.fast.classify import load_or_compile
    from dvtkg.fast.differential import Generator

    root = assessor.kb.root
    compiled = load_or_compile(assessor.kb.owl_path)
    items = list(sheets(assessor.kb, compiled, Generator(assessor, compiled), root, n_sheets))
    path = answers_path(root)
    recorded = read_answers(path)
    seed = random.randrange(10**6) if seed is None else seed
    keys = [sheet_key(s) for _, s in items]
    on_file = [i for i, k in enumerate(keys) if k in recorded]
    live = set(random.Random(seed).sample(on_file, min(recheck, len(on_file))))
    fast = Assessor(assessor.kb, engine="fast")
    cached = CachedReferenceAssessor(assessor, reference)
    outcomes = []
    for i, ((name, sheet), key) in enumerate(zip(items, keys, strict=True)):
        before = len(cached.used_keys)
        outcome = compare_sheet(fast, cached, name, sheet, recorded.get(key), trust_record=i not in live)
        outcome.keys = cached.used_keys[before:]
        outcomes.append(outcome)
    return WholeReport(outcomes, seed, path, len(live))
