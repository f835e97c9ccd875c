"""Differential testing of the fast classifier against HermiT: generate, compare, shrink, cover.

Cases come from the TBox and the case-key table, not from a hand-written list:

- a *sweep*: every case key over its whole domain (booleans, codes, unknown), every
  number at each facet threshold the TBox compares it with and one step either side,
  packed so that case i gives every key its i-th value;
- *random* sheets over the same domains, with closed, open (``"veins": null``) and
  absent vein lists and 0, 1 or 2 limbs, and ``dvtkg.casegen`` cases;
- *contradictions*: reasoner case graphs changed by TBox-driven mutations (a property
  outside its domain, two values of a functional property, a value outside its range,
  a third limb, limbs said to be the same, a defined class asserted, a closure that
  excludes a listed vein, ``hasLimb max N``, limbs not said to be different);
- the example cases and the test fixture cases.

Each case becomes its reasoner case graph (the pipeline's own path: load, validate,
derive, data conflicts, closures); both engines classify it; consistency and the
inferred types of every patient and limb must be equal, or, where HermiT's realisation
contradicts itself, each differing type settled the fast engine's way by HermiT's
refutation test (:func:`settle`; counted apart in the report). A mismatch is shrunk to a
minimal graph (statements removed one by one while it still differs) and written as
a Turtle fixture. HermiT's answers are cached under build/ keyed by the reasoner TBox
file's hash and the case graph's canonical hash, so a rerun re-asks HermiT only what
changed.

``python -m dvtkg.fast.differential --cases N`` (``make differential N=...``) runs it.
"""

from __future__ import annotations

import argparse
import copy
import gzip
import hashlib
import json
import os
import random
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.compare import to_canonical_graph
from rdflib.namespace import OWL, RDF, XSD

from dvtkg import logs, paths, progress
from dvtkg.casegen import facet_bounds, generate_case, put
from dvtkg.cases.errors import CaseInputError, CaseValidationError
from dvtkg.cases.vocab import DVT
from dvtkg.fast.classify import FastClassifier, load_or_compile
from dvtkg.fast.compile import CompiledClassifier, UnsupportedAxiom
from dvtkg.fast.entail import UnsupportedCase
from dvtkg.reason import TBOX_IRI, _subjects, reasoner_case_graph

log = logs.get(__name__)

SIDES = ("left", "right")
# new reasoners each refutation test of a disputed type is asked on; all must give the same answer
SETTLE_TRIES = 3


@dataclass
class DiffCase:
    """One reasoner input: where it came from and the graph both engines classify."""

    name: str
    origin: str
    graph: Graph
    subjects: list[URIRef]


@dataclass
class Outcome:
    """Both engines' answers for one case."""

    case: DiffCase
    fast: dict[str, set[str]] | None  # None: inconsistent
    reference: dict[str, set[str]] | None
    fast_seconds: float
    reference_seconds: float
    refused: str = ""
    key: str = ""  # the reference (cache) key, when known
    # where the type sets differ and HermiT's own refutation test sides with the fast engine on every
    # differing type: one line per type (see :func:`settle`); empty otherwise
    settled: list[str] = field(default_factory=list)

    @property
    def agrees(self) -> bool:
        return bool(self.refused) or self.fast == self.reference or bool(self.settled)

    @property
    def truth(self) -> dict[str, set[str]] | None:
        """The answer the comparison stands on: HermiT's, or the fast engine's where HermiT's refutation settled it."""
        return self.fast if self.settled else self.reference


# ----- the generator

def _number(x: Decimal, integral: bool) -> int | float:
    return int(x) if integral else float(x)


def key_domain(spec: Any, bounds: set[Decimal]) -> list[Any]:
    """The values a key is tried with: its whole domain, or each threshold and one step either side."""
    if spec.kind == "boolean":
        return [True, False, None]
    if spec.kind == "enumeration":
        return [*spec.allowed, None]
    integral = spec.kind in ("integer", "days-or-none")
    step = Decimal(1) if integral else Decimal("0.1")
    values: list[Decimal] = []
    for b in sorted(bounds):
        for v in (b - step, b, b + step):
            if integral and v != v.to_integral_value():
                continue
            if (spec.minimum is None or v >= spec.minimum) and (spec.maximum is None or v <= spec.maximum):
                values.append(v)
    for edge in (spec.minimum, spec.maximum):
        if edge is not None:
            values.append(edge)
    out: list[Any] = [_number(v, integral) for v in dict.fromkeys(values)]
    if spec.kind == "days-or-none":
        out.append("none")
    return [*out, None]


class Generator:
    """Case sheets and reasoner graphs driven by the compiled TBox and the case-key table."""

    def __init__(self, assessor: Any, compiled: CompiledClassifier, seed: int = 20261202, shacl: bool = False) -> None:
        # Without shacl, the sheets skip the SHACL gate (50 ms a case) but keep the loader's own
        # key and type checks: the generated values stay inside the key table's domains anyway.
        if not shacl:
            assessor = copy.copy(assessor)
            assessor.case_shapes = Graph()
        self.assessor = assessor
        self.kb = assessor.kb
        self.compiled = compiled
        self.seed = seed
        bounds = facet_bounds(compiled)
        self.domains: dict[str, list[Any]] = {}
        self.limb_domains: dict[str, list[Any]] = {}
        for key, spec in sorted(self.kb.keys.patient.items()):
            self.domains[key] = key_domain(spec, bounds.get(str(spec.prop), set()))
        for key, spec in sorted(self.kb.keys.limb.items()):
            self.limb_domains[key] = key_domain(spec, bounds.get(str(spec.prop), set()))
        keyed = {str(s.prop) for s in self.kb.keys.by_prop.values()}
        # facet properties no case key sets (derived facts): set on the graph directly
        steps = (Decimal(-1), Decimal("-0.1"), Decimal(0), Decimal("0.1"), Decimal(1))
        self.unkeyed_bounds = {p: sorted({v + d for v in b for d in steps})
                               for p, b in bounds.items() if p not in keyed}
        self.veins = sorted(str(v).rsplit("vein-", 1)[1] for v in self.kb.segment_classes)

    # limbs: absent, imaged clear ({}), imaging unknown (veins null), or a list of veins
    def _limb_config(self, rng: random.Random, k: int | None = None) -> Any:
        options = ["absent", "clear", "open", "veins", "veins"]
        kind = options[k % len(options)] if k is not None else rng.choice(options)
        if kind == "absent":
            return None
        if kind == "clear":
            return {}
        if kind == "open":
            return {"veins": None}
        return {"veins": rng.sample(self.veins, rng.randint(1, 4))}

    def sweep(self) -> Iterator[tuple[str, dict[str, Any], dict[str, Any]]]:
        """Case i gives every key the i-th value of its domain (so every value is tried)."""
        longest = max(len(d) for d in [*self.domains.values(), *self.limb_domains.values()])
        rng = random.Random(self.seed)
        for i in range(longest):
            sheet: dict[str, Any] = {"id": f"sweep-{i:03d}", "limbs": {}}
            for key, dom in self.domains.items():
                value = dom[i % len(dom)]
                if value is not None:
                    put(sheet, key, value)
            for j, side in enumerate(SIDES):
                limb = self._limb_config(rng, i + j)
                if limb is None:
                    continue
                for key, dom in self.limb_domains.items():
                    value = dom[(i + j) % len(dom)]
                    if value is not None:
                        put(limb, key, value)
                sheet["limbs"][side] = limb
            extra = {p: b[i % len(b)] for p, b in self.unkeyed_bounds.items()}
            yield f"sweep-{i:03d}", sheet, extra

    def random_sheet(self, i: int) -> tuple[dict[str, Any], dict[str, Any]]:
        rng = random.Random(self.seed * 7919 + i)
        p_unknown = rng.choice([0.1, 0.3, 0.6])
        sheet: dict[str, Any] = {"id": f"random-{i:05d}", "limbs": {}}
        for key, dom in self.domains.items():
            if rng.random() >= p_unknown:
                value = rng.choice(dom)
                if value is not None:
                    put(sheet, key, value)
        for side in SIDES:
            limb = self._limb_config(rng)
            if limb is None:
                continue
            for key, dom in self.limb_domains.items():
                if rng.random() >= p_unknown:
                    value = rng.choice(dom)
                    if value is not None:
                        put(limb, key, value)
            sheet["limbs"][side] = limb
        extra = {}
        for p, b in self.unkeyed_bounds.items():
            if rng.random() < 0.5:
                extra[p] = rng.choice(b)
        return sheet, extra

    def graph_of(self, name: str, sheet: dict[str, Any] | str | Path, extra: dict[str, Any] | None = None
                 ) -> DiffCase | None:
        """The reasoner case graph the pipeline builds for a sheet (None if the sheet is invalid)."""
        try:
            p = self.assessor._prepare(sheet)
        except (CaseValidationError, CaseInputError):
            return None
        g = reasoner_case_graph(p.graph, p.closures, self.kb.segment_classes, p.case_iri)
        subjects = _subjects(p.graph)
        for prop, value in (extra or {}).items():
            domain = self.compiled.domains.get(prop, [])
            for s in subjects:
                if any((s, RDF.type, URIRef(d)) in g for d in domain):
                    g.set((s, URIRef(prop), Literal(Decimal(value), datatype=XSD.decimal)))
        return DiffCase(name, "sheet", g, subjects)

    def fixtures(self, root: Path) -> Iterator[DiffCase]:
        for folder in (root / "examples" / "cases", root / "tests" / "fixtures" / "cases"):
            for path in sorted(folder.rglob("*.json")):
                case = self.graph_of(f"{path.relative_to(root)}", path)
                if case is not None:
                    yield case
        for path in sorted((root / "tests" / "fixtures" / "differential").glob("*.ttl")):
            g = Graph().parse(path, format="turtle")
            # shrinking may have removed the type statements: every named individual of the case counts
            header = set(g.subjects(RDF.type, OWL.Ontology))
            named = {s for s in g.subjects() if isinstance(s, URIRef)} | set(g.objects(None, DVT.hasLimb))
            subjects = sorted(x for x in named - header if isinstance(x, URIRef))
            yield DiffCase(f"{path.relative_to(root)}", "shrunk fixture", g, subjects)

    # ----- contradictions and OWL-level variations of a reasoner graph

    def mutations(self) -> list[tuple[str, Callable[[Graph, list[URIRef], random.Random], bool]]]:
        c = self.compiled
        patient_props = sorted(p for p, ds in c.domains.items() if str(DVT.Patient) in ds and p in c.data_properties)
        limb_props = sorted(p for p, ds in c.domains.items() if str(DVT.Limb) in ds and p in c.data_properties)
        functional = sorted(p for p in c.functional if p in c.data_properties)
        defined = sorted(c.definitions)

        def parts(g: Graph, subs: list[URIRef]) -> tuple[list[URIRef], list[URIRef]]:
            return ([s for s in subs if (s, RDF.type, DVT.Patient) in g],
                    [s for s in subs if (s, RDF.type, DVT.Limb) in g])

        def outside_domain(g, subs, rng):
            pats, limbs = parts(g, subs)
            if not limbs or not pats:
                return False
            g.add((rng.choice(limbs), URIRef(rng.choice(patient_props)), Literal(True)))
            g.add((pats[0], URIRef(rng.choice(limb_props)), Literal(5)))
            return True

        def two_values(g, subs, rng):
            for _ in range(10):
                s, p = rng.choice(subs), URIRef(rng.choice(functional))
                old = g.value(s, p)
                numeric = isinstance(old, Literal) and isinstance(old.value, (int, float, Decimal))
                if numeric and not isinstance(old.value, bool):
                    g.add((s, p, Literal(Decimal(str(old.value)) + 1, datatype=XSD.decimal)))
                    return True
                if isinstance(old, Literal) and isinstance(old.value, bool):
                    g.add((s, p, Literal(not old.value)))
                    return True
            return False

        def same_value_twice(g, subs, rng):
            for s, p, o in list(g):
                if str(p) in functional and isinstance(o, Literal) and o.datatype in (XSD.integer,):
                    g.add((s, p, Literal(Decimal(str(o.value)) + Decimal("0.0"), datatype=XSD.decimal)))
                    return True
            return False

        def outside_range(g, subs, rng):
            for s, p, o in sorted(g):
                if str(p) in c.data_ranges and isinstance(o, Literal):
                    g.add((s, p, Literal("not-a-value")))
                    g.remove((s, p, o))
                    return True
            return False

        def third_limb(g, subs, rng):
            pats, limbs = parts(g, subs)
            if not pats:
                return False
            new = URIRef(str(pats[0]).rsplit("#", 1)[0] + "#limb-third")
            g.add((new, RDF.type, DVT.Limb))
            g.add((new, RDF.type, OWL.NamedIndividual))
            g.add((pats[0], DVT.hasLimb, new))
            members = [*limbs, new]
            if len(members) > 1:
                node, lst = BNode(), BNode()
                Collection(g, lst, members)
                g.add((node, RDF.type, OWL.AllDifferent))
                g.add((node, OWL.distinctMembers, lst))
            subs.append(new)
            return True

        def limbs_same(g, subs, rng):
            pats, limbs = parts(g, subs)
            if len(limbs) < 2:
                if pats and limbs:
                    g.add((limbs[0], OWL.sameAs, pats[0]))
                    return True
                return False
            g.add((limbs[0], OWL.sameAs, limbs[1]))
            return True

        def not_different(g, subs, rng):
            found = False
            for node in list(g.subjects(RDF.type, OWL.AllDifferent)):
                for t in list(g.triples((node, None, None))):
                    g.remove(t)
                found = True
            return found

        def assert_defined(g, subs, rng):
            s = rng.choice(subs)
            level = "Limb" if (s, RDF.type, DVT.Limb) in g else "Patient"
            pool = [d for d in defined if d.rsplit("#", 1)[1].startswith(level)] or defined
            g.add((s, RDF.type, URIRef(rng.choice(pool))))
            return True

        def exclude_listed(g, subs, rng):
            pats, limbs = parts(g, subs)
            for limb in limbs:
                r = BNode()
                g.add((limb, RDF.type, r))
                g.add((r, RDF.type, OWL.Restriction))
                g.add((r, OWL.onProperty, DVT.hasThrombusIn))
                segments = sorted(str(x) for x in self.kb.segment_classes.values())
                g.add((r, OWL.someValuesFrom, URIRef(rng.choice(segments))))
                return True
            return False

        def limb_bound(g, subs, rng):
            pats, limbs = parts(g, subs)
            if not pats:
                return False
            r = BNode()
            g.add((pats[0], RDF.type, r))
            g.add((r, RDF.type, OWL.Restriction))
            g.add((r, OWL.onProperty, DVT.hasLimb))
            n = len(limbs) if rng.random() < 0.7 else max(0, len(limbs) - 1)
            g.add((r, OWL.maxCardinality, Literal(n, datatype=XSD.nonNegativeInteger)))
            return True

        return [("outside-domain", outside_domain), ("two-values", two_values), ("same-value-twice", same_value_twice),
                ("outside-range", outside_range), ("third-limb", third_limb), ("limbs-same", limbs_same),
                ("not-different", not_different), ("assert-defined", assert_defined),
                ("exclude-listed", exclude_listed), ("limb-bound", limb_bound)]

    def mutated(self, base: DiffCase, i: int) -> DiffCase | None:
        rng = random.Random(self.seed * 31 + i)
        muts = self.mutations()
        name, fn = muts[i % len(muts)]
        g = Graph()
        g += base.graph
        subs = list(base.subjects)
        if not fn(g, subs, rng):
            return None
        if rng.random() < 0.3:  # and sometimes a second one
            name2, fn2 = rng.choice(muts)
            if fn2(g, subs, rng):
                name = f"{name}+{name2}"
        return DiffCase(f"{base.name}~{name}", f"mutation {name}", g, subs)

    def pair_probes(self) -> Iterator[DiffCase]:
        """For each Met/NotMet pair: a patient with two legs and no facts, one of them asserted in both classes.

        Reaches the "both" (conflict) state wherever the two definitions can hold together;
        where they cannot, both engines must find the graph inconsistent.
        """
        coverage = Coverage.of(self.compiled)
        for base in sorted(coverage.pairs):
            name = base.rsplit("#", 1)[1]
            ns = f"https://w3id.org/dvtkg/case/pair-{name}#"
            patient, left, right = URIRef(ns + "patient"), URIRef(ns + "limb-left"), URIRef(ns + "limb-right")
            g = Graph()
            g.add((patient, RDF.type, DVT.Patient))
            for limb in (left, right):
                g.add((limb, RDF.type, DVT.Limb))
                g.add((patient, DVT.hasLimb, limb))
            node, lst = BNode(), BNode()
            Collection(g, lst, [left, right])
            g.add((node, RDF.type, OWL.AllDifferent))
            g.add((node, OWL.distinctMembers, lst))
            subject = left if str(DVT.Limb) in coverage.carriers[base] else patient
            g.add((subject, RDF.type, URIRef(base + "Met")))
            g.add((subject, RDF.type, URIRef(base + "NotMet")))
            onto = URIRef(ns[:-1])
            g.add((onto, RDF.type, OWL.Ontology))
            g.add((onto, OWL.imports, URIRef(TBOX_IRI)))
            yield DiffCase(f"pair-{name}", "pair probe", g, [left, patient, right])

    def cases(self, root: Path) -> Iterator[DiffCase]:
        """Fixtures, the sweep, the pair probes, then random sheets, casegen cases and mutations, endlessly."""
        yield from self.fixtures(root)
        bases: list[DiffCase] = []
        for name, sheet, extra in self.sweep():
            case = self.graph_of(name, sheet, extra)
            if case is not None:
                bases.append(case)
                yield case
        yield from self.pair_probes()
        i = 0
        while True:
            sheet, extra = self.random_sheet(i)
            case = self.graph_of(sheet["id"], sheet, extra)
            if case is not None:
                bases.append(case)
                yield case
            gen = self.graph_of(f"casegen-{i:05d}", generate_case(i))
            if gen is not None:
                yield gen
            if bases:
                mutated = self.mutated(bases[(i * 7) % len(bases)], i)
                if mutated is not None:
                    yield mutated
            i += 1


# ----- the reference, with a cache

def graph_key(g: Graph) -> str:
    """A hash of the graph's content, the same for isomorphic graphs (blank nodes renamed)."""
    lines = sorted(to_canonical_graph(g).serialize(format="nt").splitlines())
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


class TypesSource(Protocol):
    """What :func:`compare` and :func:`shrink` ask of the other engine: a case's types
    (None if inconsistent), the seconds taken, and whether the answer came from the cache."""

    def types(self, case: DiffCase) -> tuple[dict[str, set[str]] | None, float, bool]: ...


class Reference:
    """HermiT answers (warm JPype reasoner), cached by TBox file and case-graph hash.

    The cache is read from ``cache_dir/hermit-<owl hash>.jsonl`` (``make differential``'s, appended to
    as HermiT answers) and from the committed answer files given as ``answer_files`` (read only).
    With ``write=False`` (a worker process) nothing is written: the answers HermiT gave are kept in
    ``fresh`` for the parent process, the only writer of the cache file.
    """

    def __init__(self, owl_path: Path, cache_dir: Path | None, hermit: Any = None,
                 answer_files: tuple[Path, ...] = (), write: bool = True) -> None:
        self.owl_path = owl_path
        self.digest = owl_digest(owl_path)
        self.cache_path = (cache_dir / f"hermit-{self.digest}.jsonl") if cache_dir else None
        self.cache: dict[str, Any] = {}
        for path in (*answer_files, *([self.cache_path] if self.cache_path else [])):
            self.cache.update(read_answers(path))
        self.write = write
        self.fresh: list[tuple[str, Any]] = []
        self._hermit = hermit  # a WarmHermit already started on owl_path may be shared (one JVM per process)
        self.live = 0
        self.live_seconds: list[float] = []

    @staticmethod
    def key(case: DiffCase) -> str:
        return graph_key(case.graph) + "|" + ",".join(sorted(map(str, case.subjects)))

    def cached(self, case: DiffCase) -> bool:
        return self.key(case) in self.cache

    def hermit(self):
        if self._hermit is None:
            from dvtkg.fast.reference import WarmHermit
            self._hermit = WarmHermit(self.owl_path)
        return self._hermit

    def add(self, key: str, row: Any) -> None:
        """Record an answer: in memory, then in the cache file (or in ``fresh`` for the parent to write)."""
        self.cache[key] = row
        if not self.write:
            self.fresh.append((key, row))
        elif self.cache_path:
            self.cache_path.parent.mkdir(parents=True, exist_ok=True)
            with self.cache_path.open("a") as fh:
                fh.write(json.dumps({"key": key, "types": row}) + "\n")

    def types(self, case: DiffCase, key: str | None = None) -> tuple[dict[str, set[str]] | None, float, bool]:
        """(types per subject or None, seconds, cached?)."""
        key = key or self.key(case)
        if key in self.cache:
            row = self.cache[key]
            return (None if row is None else {k: set(v) for k, v in row.items()}), 0.0, True
        start = time.perf_counter()
        g = self.hermit().classify_graph(case.graph, case.subjects)
        seconds = time.perf_counter() - start
        self.live += 1
        self.live_seconds.append(seconds)
        found = None if g is None else _by_subject(g, case.subjects)
        self.add(key, None if found is None else {k: sorted(v) for k, v in found.items()})
        return found, seconds, False

    def entailed(self, case: DiffCase, subject: str, cls: str, tries: int = SETTLE_TRIES) -> bool | None:
        """Is ``subject`` a ``cls`` entailed by the case graph? HermiT's refutation test (graph plus the
        complement inconsistent?) on ``tries`` new reasoners; None when they do not all give the same answer.
        Cached like the types."""
        key = f"entailed|{self.key(case)}|{subject}|{cls}"
        if key not in self.cache:
            answers = {self.hermit().entailed_by_refutation(case.graph, URIRef(subject), cls) for _ in range(tries)}
            self.add(key, answers.pop() if len(answers) == 1 else None)
        row = self.cache[key]
        return None if row is None else bool(row)

    def satisfiable(self, classes: list[str]) -> bool:
        """HermiT: is the intersection of the named classes satisfiable with the TBox? (cached too)"""
        key = "satisfiable|" + "|".join(sorted(classes))
        if key not in self.cache:
            self.add(key, bool(self.hermit().satisfiable(classes)))
        return bool(self.cache[key])


def owl_digest(owl_path: Path) -> str:
    """The identity of the reasoner TBox HermiT's cached answers hold for: its compiled hash.

    Not the file's bytes: the RDF/XML writer orders statements and names blank nodes anew on
    every build, so two builds of the same knowledge differ byte for byte. The compiled TBox
    hash (dvtkg.fast) is a canonical form of every logical axiom (the compiler refuses any
    triple it does not read, and leaves out only annotations, which HermiT ignores too), so
    an edit elsewhere in the knowledge keeps the answers and any change of an axiom starts a
    new cache. A TBox the compiler refuses falls back to the file's bytes.
    """
    try:
        stem = "tbox|" + load_or_compile(owl_path).tbox_hash
    except (UnsupportedAxiom, ValueError, OSError):
        stem = "bytes|" + hashlib.sha256(owl_path.read_bytes()).hexdigest()
    return hashlib.sha256(stem.encode()).hexdigest()[:16]


def read_answers(path: Path) -> dict[str, Any]:
    """HermiT answers of a cache file (JSON lines, gzip-compressed if the name ends in .gz)."""
    if not path.exists():
        return {}
    raw = path.read_bytes()
    text = (gzip.decompress(raw) if path.suffix == ".gz" else raw).decode()
    out: dict[str, Any] = {}
    for line in text.splitlines():
        try:
            row = json.loads(line)
        except ValueError:
            continue  # a line another run is still writing
        out[row["key"]] = row["types"]
    return out


def _by_subject(g: Graph, subjects: list[URIRef]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {str(s): set() for s in subjects}
    for s, _, o in g.triples((None, RDF.type, None)):
        out.setdefault(str(s), set()).add(str(o))
    return out


class _Remembering(FastClassifier):
    """The fast classifier, remembering its answer for each graph it classified (kept alive with it), so that
    :func:`run` classifies each generated case once (for the coverage order) and compares that answer."""

    def __init__(self, compiled: CompiledClassifier) -> None:
        super().__init__(compiled)
        self.answers: dict[int, tuple[Graph, Graph | None, float]] = {}

    def classify_graph(self, g: Graph, subjects: list[URIRef]) -> Graph | None:
        seen = self.answers.get(id(g))
        if seen is not None and seen[0] is g:
            return seen[1]
        start = time.perf_counter()
        found = super().classify_graph(g, subjects)
        self.answers[id(g)] = (g, found, time.perf_counter() - start)
        return found

    def seconds(self, g: Graph, otherwise: float) -> float:
        """The seconds the first classification of g took (what the report's fast timings mean)."""
        seen = self.answers.get(id(g))
        return seen[2] if seen is not None and seen[0] is g else otherwise


def fast_types(fast: FastClassifier, case: DiffCase) -> dict[str, set[str]] | None:
    g = fast.classify_graph(case.graph, case.subjects)
    return None if g is None else _by_subject(g, case.subjects)


# ----- comparing, shrinking, coverage

def compare(fast: FastClassifier, ref: TypesSource, case: DiffCase, key: str | None = None) -> Outcome:
    """Both engines' answers for a case (``key``: its reference key, when already computed)."""
    start = time.perf_counter()
    try:
        f = fast_types(fast, case)
        refused = ""
    except UnsupportedCase as exc:
        f, refused = None, str(exc)
    fs = time.perf_counter() - start
    r, rs, _ = ref.types(case) if key is None else ref.types(case, key=key)  # type: ignore[call-arg]
    out = Outcome(case, f, r, fs, rs, refused, key or "")
    if not refused and f is not None and r is not None and f != r and hasattr(ref, "entailed"):
        out.settled = settle(ref, case, f, r)
    return out


def settle(ref: Any, case: DiffCase, fast: dict[str, set[str]], hermit: dict[str, set[str]]) -> list[str]:
    """Decide each type the two answers differ on by HermiT's refutation test; the fast answer stands if every
    one goes its way.

    HermiT's realisation (getTypes) is not deterministic on some graphs outside the case builder's
    output (two limbs not declared different: the same graph gets a type in one run and not in the
    next, while the graph plus the type's complement is consistent). An entailment is what the
    fast engine must compute, and "the graph plus not-C(a) is inconsistent" is its definition, so a
    difference is settled only when that test, asked on new reasoners (:data:`SETTLE_TRIES`, all
    alike), agrees with the fast engine. Returns one line per settled type, or [] (a real mismatch)
    when any difference goes HermiT's way or stays undecided.
    """
    lines: list[str] = []
    for subject in sorted(set(fast) | set(hermit)):
        for cls in sorted(fast.get(subject, set()) ^ hermit.get(subject, set())):
            says_fast = cls in fast.get(subject, set())
            entailed = ref.entailed(case, subject, cls)
            if entailed is None or entailed != says_fast:
                return []
            verdict = "entailed" if entailed else "not entailed"
            lines.append(f"{subject.rsplit('#', 1)[-1]} a {cls.rsplit('#', 1)[-1]}: {verdict} (HermiT's realisation "
                         f"said {'no' if says_fast else 'yes'}; its refutation test agrees with the fast engine)")
    return lines


def _statements(g: Graph) -> list[list[tuple]]:
    """The graph in removable units: a named subject's triple with its blank-node tree, or a blank-node axiom."""
    units: list[list[tuple]] = []
    def tree(node: Any, out: list[tuple]) -> None:
        for t in g.triples((node, None, None)):
            out.append(t)
            if isinstance(t[2], BNode):
                tree(t[2], out)
    header = set(g.subjects(RDF.type, OWL.Ontology))  # the import of the TBox always stays
    for s, p, o in sorted(g):
        if isinstance(s, URIRef) and s not in header:
            unit: list[tuple] = [(s, p, o)]
            if isinstance(o, BNode):
                tree(o, unit)
            units.append(unit)
    for node in sorted(g.subjects(RDF.type, OWL.AllDifferent)):
        unit = []
        tree(node, unit)
        units.append(unit)
    return units


def shrink(fast: FastClassifier, ref: TypesSource, case: DiffCase, budget: int = 400) -> DiffCase:
    """Remove statements while the engines still disagree: passes over the units until none can go."""
    current = case
    changed = True
    while changed and budget > 0:
        changed = False
        for unit in _statements(current.graph):
            if budget <= 0:
                break
            if not all(t in current.graph for t in unit):
                continue
            g = Graph()
            g += current.graph
            for t in unit:
                g.remove(t)
            subs = [s for s in current.subjects if (s, None, None) in g]
            trial = DiffCase(current.name, current.origin, g, subs)
            budget -= 1
            out = compare(fast, ref, trial)
            if not out.agrees:
                current, changed = trial, True
    return current


def write_fixture(case: DiffCase, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    name = hashlib.sha256(case.name.encode()).hexdigest()[:10]
    path = folder / f"mismatch-{name}.ttl"
    text = f"# shrunk from {case.name} ({case.origin}): the fast classifier and HermiT disagreed here\n"
    path.write_text(text + case.graph.serialize(format="turtle"))
    return path


@dataclass
class Coverage:
    """Which defined classes were derived, and which states each Met/NotMet pair reached."""

    defined: set[str]
    derived: set[str] = field(default_factory=set)
    pairs: dict[str, set[str]] = field(default_factory=dict)

    carriers: dict[str, set[str]] = field(default_factory=dict)

    @classmethod
    def of(cls, compiled: CompiledClassifier) -> "Coverage":
        """Pairs are the defined classes X...Met / X...NotMet; a pair's carrier is its Met class's primitive
        conjuncts."""
        defs = compiled.definitions
        out = cls(defined=set(defs))
        for name in defs:
            if name.endswith("Met") and not name.endswith("NotMet") and name[:-3] + "NotMet" in defs:
                base = name[:-3]
                out.pairs[base] = set()
                out.carriers[base] = {c for body in defs[name] for c in _top_named(body) if c not in defs}
        return out

    def add(self, case: DiffCase, types: dict[str, set[str]] | None, g: Graph) -> None:
        if types is None:
            return
        for ts in types.values():
            self.derived |= ts & self.defined
            for base, seen in self.pairs.items():
                if not self.carriers[base] <= ts:
                    continue
                met, notmet = base + "Met" in ts, base + "NotMet" in ts
                seen.add("both" if met and notmet else "met" if met else "not met" if notmet else "unknown")

    def missing_classes(self) -> list[str]:
        return sorted(self.defined - self.derived)

    def missing_states(self) -> dict[str, list[str]]:
        states = ("met", "not met", "unknown", "both")
        return {b.rsplit("#", 1)[1]: [s for s in states if s not in seen] for b, seen in sorted(self.pairs.items())
                if any(s not in seen for s in states)}


@dataclass
class Report:
    outcomes: list[Outcome]
    coverage: Coverage
    fixtures: list[Path]
    seconds: float
    live_reference: int
    generated: int = 0
    not_compared: int = 0
    coverage_cases: int = 0
    both_unsatisfiable: list[str] = field(default_factory=list)
    both_satisfiable_unseen: list[str] = field(default_factory=list)
    live_seconds: list[float] = field(default_factory=list)  # each live HermiT call of the type differential
    sheet_outcomes: list[Any] = field(default_factory=list)  # dvtkg.fast.wholejson.SheetOutcome
    sheets_generated: int = 0
    sheet_live_seconds: list[float] = field(default_factory=list)
    jobs: int = 1
    generation_seconds: float = 0.0
    case_keys: list[str] = field(default_factory=list)  # the reference key of every generated case, generation order

    @property
    def mismatches(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.agrees]

    @property
    def sheet_mismatches(self) -> list[Any]:
        return [o for o in self.sheet_outcomes if not o.same]

    def summary(self) -> dict[str, Any]:
        def median(xs: list[float]) -> float:
            xs = sorted(xs)
            return xs[len(xs) // 2] if xs else 0.0
        live = self.live_seconds or [o.reference_seconds for o in self.outcomes if o.reference_seconds > 0]
        missing_states = self.coverage.missing_states()
        return {
            "generated": self.generated,
            "notCompared": self.not_compared,
            "coverageCases": self.coverage_cases,
            "cases": len(self.outcomes),
            "mismatches": len(self.mismatches),
            "settledByRefutation": len([o for o in self.outcomes if o.settled]),
            "firstSettled": [f"{o.case.name}: {line}" for o in self.outcomes if o.settled for line in o.settled][:5],
            "refused": sum(1 for o in self.outcomes if o.refused),
            "inconsistent": sum(1 for o in self.outcomes if o.reference is None),
            "origins": _count(o.case.origin.split(" ")[0] for o in self.outcomes),
            "definedClasses": len(self.coverage.defined),
            "definedDerived": len(self.coverage.derived & self.coverage.defined),
            "definedNeverDerived": [c.rsplit("#", 1)[1] for c in self.coverage.missing_classes()],
            "pairs": len(self.coverage.pairs),
            "pairStatesNotSeen": _count(s for v in missing_states.values() for s in v),
            "bothSeen": sorted(b.rsplit("#", 1)[1] for b, v in self.coverage.pairs.items() if "both" in v),
            "bothUnreachableUnsatisfiable": len(self.both_unsatisfiable),
            "bothSatisfiableButNotSeen": self.both_satisfiable_unseen,
            "pairsMissingMetNotMetOrUnknown": {k: v for k, v in missing_states.items() if set(v) - {"both"}},
            "fastMedianMs": round(median([o.fast_seconds for o in self.outcomes]) * 1000, 2),
            "hermitMedianMs": round(median(live) * 1000, 1) if live else None,
            "hermitLiveCalls": self.live_reference,
            "seconds": round(self.seconds, 1),
            "generationSeconds": round(self.generation_seconds, 1),
            "jobs": self.jobs,
            "wholeAssessment": {
                "sheets": self.sheets_generated,
                "compared": len(self.sheet_outcomes),
                "mismatches": len(self.sheet_mismatches),
                "refusedByBoth": sum(1 for o in self.sheet_outcomes if o.same and o.refused),
                "fastMedianMs": round(median([o.fast_seconds for o in self.sheet_outcomes]) * 1000, 2),
                "referenceMedianMs": round(median([o.reference_seconds for o in self.sheet_outcomes]) * 1000, 1),
                "hermitLiveCalls": len(self.sheet_live_seconds),
                "hermitMedianMs": round(median(self.sheet_live_seconds) * 1000, 1) if self.sheet_live_seconds else None,
                "firstMismatches": [f"{o.name}: {o.diff}" for o in self.sheet_mismatches[:5]],
            },
            "fixturesWritten": [str(p) for p in self.fixtures],
        }


def _top_named(e: Any) -> set[str]:
    if isinstance(e, str):
        return {e}
    if e[0] == "and":
        return set().union(*(_top_named(x) for x in e[1]))
    return set()


def _count(xs: Any) -> dict[str, int]:
    out: dict[str, int] = {}
    for x in xs:
        out[x] = out.get(x, 0) + 1
    return dict(sorted(out.items()))


def answer_files(root: Path) -> tuple[Path, ...]:
    """The committed HermiT answer files (tests/fixtures/differential/hermit-<TBox digest>.jsonl.gz)."""
    return tuple(sorted((root / "tests" / "fixtures" / "differential").glob("hermit-*.jsonl.gz")))


def _chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def run(assessor: Any, n_cases: int, seconds: float | None = None, cache: bool = True, shrink_to: Path | None = None,
        root: Path | None = None, min_compared: int = 0, hermit: Any = None, jobs: int = 1, sheets: int = 0,
        min_sheets: int = 0) -> Report:
    """Generate n_cases cases, classify all with the fast engine, and compare with HermiT as many as time allows;
    then compare whole assessments (fast engine against reference engine) on ``sheets`` case sheets.

    The cases HermiT is asked first are those that bring new coverage (a defined class
    derived, a Met/NotMet state reached) by the fast engine's answer; the rest follow in
    generation order. With ``seconds``, cases HermiT has not answered before (not in the
    cache) are no longer asked once the time is spent; they are counted as not compared.
    The first ``min_compared`` cases (and ``min_sheets`` sheets) are always compared, whatever
    the time (the gate of ``make test``); ``hermit`` is a started WarmHermit to reuse.
    ``jobs`` > 1 asks HermiT on that many worker processes (one JVM each, dvtkg.fast.parallel).
    """
    from dvtkg.fast import parallel, wholejson

    root = root or assessor.kb.root
    compiled = load_or_compile(assessor.kb.owl_path)
    fast = FastClassifier(compiled)
    once = _Remembering(compiled)  # the generated cases: classified once, for the coverage order and the comparison
    ref = Reference(assessor.kb.owl_path, paths.build_dir(root) / "differential" if cache else None, hermit,
                    answer_files=answer_files(root) if cache else ())
    gen = Generator(assessor, compiled)
    start = time.perf_counter()
    pool: list[DiffCase] = []
    seen = Coverage.of(compiled)
    first: list[DiffCase] = []
    rest: list[DiffCase] = []
    for case in gen.cases(root):
        if len(pool) >= n_cases:
            break
        pool.append(case)
        try:
            types = fast_types(once, case)
        except UnsupportedCase:
            rest.append(case)
            continue
        before = (len(seen.derived), sum(len(v) for v in seen.pairs.values()))
        seen.add(case, types, case.graph)
        after = (len(seen.derived), sum(len(v) for v in seen.pairs.values()))
        (first if after != before else rest).append(case)
    generation_seconds = time.perf_counter() - start
    report_first = len(first)
    always = max(report_first, min_compared)
    ordered = first + rest
    keys = [ref.key(c) for c in ordered]

    def out_of_time(done: int, floor: int) -> bool:
        return done >= floor and seconds is not None and time.perf_counter() - start > seconds

    # 1. HermiT's answers for the cases it has not answered before (on `jobs` processes), then
    # 2. the whole assessments on case sheets, interleaved with the rest on the same workers
    to_ask = [(k, c) for k, c in zip(keys, ordered, strict=True) if k not in ref.cache]
    sheet_list = list(wholejson.sheets(assessor.kb, compiled, gen, root, sheets)) if sheets else []
    sheet_outcomes: list[Any] = []
    sheet_live: list[float] = []
    asked = {"types": 0, "sheets": 0}
    chunk = 8 if jobs > 1 else 1

    def tasks() -> Iterator[tuple[str, list]]:
        type_chunks = _chunks([(k, c.graph.serialize(format="nt"), [str(s) for s in c.subjects]) for k, c in to_ask],
                              chunk)
        sheet_chunks = _chunks(sheet_list, chunk)
        # interleaved, so that a run stopped by --seconds has compared some of both
        every = max(1, len(to_ask) // max(1, len(sheet_list)))
        for i, t in enumerate(type_chunks):
            yield ("types", t)
            if i % every == every - 1:
                s = next(sheet_chunks, None)
                if s is not None:
                    yield ("sheets", s)
        yield from (("sheets", s) for s in sheet_chunks)

    def stop() -> bool:
        # the coverage cases and the first min_compared are always asked; the time limit applies to the rest
        return out_of_time(asked["types"], always) and out_of_time(asked["sheets"], min_sheets)

    type_live: list[float] = []

    def on_result(kind: str, out: list) -> None:
        asked[kind] += len(out)
        if kind == "types":
            type_live.extend(sec for _, _, sec in out if sec > 0)
        else:
            for outcome, live in out:
                sheet_outcomes.append(outcome)
                sheet_live.extend(live)
    if to_ask or sheet_list:
        parallel.run_tasks(progress.bar(tasks(), desc=f"differential ({jobs} job(s))",
                                        total=-(-len(to_ask) // chunk) - (-len(sheet_list) // chunk), unit="chunk"),
                           jobs, ref, on_result, assessor, stop=stop, answer_files=answer_files(root) if cache else ())

    # 3. compare: every answered case (from the cache now)
    coverage = Coverage.of(compiled)
    outcomes: list[Outcome] = []
    fixtures: list[Path] = []
    skipped = 0
    for key, case in zip(keys, ordered, strict=True):
        if key not in ref.cache:
            skipped += 1
            continue
        out = compare(once, ref, case, key)
        out.fast_seconds = once.seconds(case.graph, out.fast_seconds)
        outcomes.append(out)
        coverage.add(case, out.truth, case.graph)
        if not out.agrees and shrink_to is not None:
            fixtures.append(write_fixture(shrink(fast, ref, case), shrink_to))
    sheet_mismatches = [o for o in sheet_outcomes if not o.same]
    if sheet_mismatches and shrink_to is not None:
        fast_engine = parallel.Worker(assessor, ref)
        by_name = dict(sheet_list)
        for o in sheet_mismatches:
            small = wholejson.shrink_sheet(fast_engine.fast, fast_engine.cached_reference, by_name[o.name])
            fixtures.append(wholejson.write_sheet_fixture(small, o.name, shrink_to))
    report = Report(outcomes, coverage, fixtures, time.perf_counter() - start, len(type_live) + len(sheet_live))
    report.generated, report.not_compared, report.coverage_cases = len(pool), skipped, report_first
    report.live_seconds = type_live
    key_of = {id(c): k for c, k in zip(ordered, keys, strict=True)}
    report.case_keys = [key_of[id(c)] for c in pool]  # generation order: a smaller run's pool is a prefix
    report.sheet_outcomes, report.sheets_generated, report.sheet_live_seconds = (sheet_outcomes, len(sheet_list),
                                                                                 sheet_live)
    report.jobs, report.generation_seconds = jobs, generation_seconds
    # a "both" state never seen: unreachable when HermiT finds Met and NotMet together unsatisfiable
    for base, states in coverage.pairs.items():
        if "both" not in states:
            if ref.satisfiable([base + "Met", base + "NotMet"]):
                report.both_satisfiable_unseen.append(base.rsplit("#", 1)[1])
            else:
                report.both_unsatisfiable.append(base.rsplit("#", 1)[1])
    return report


@logs.script_main
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m dvtkg.fast.differential",
                                 description="compare the fast classifier with HermiT on generated cases")
    ap.add_argument("--cases", type=int, default=1000, help="number of cases (default 1000)")
    ap.add_argument("--seconds", type=float, default=None, help="stop after this many seconds")
    ap.add_argument("--no-cache", action="store_true", help="ask HermiT every case (no build/differential cache)")
    ap.add_argument("--write-fixtures", action="store_true",
                    help="shrink each mismatch and write it to tests/fixtures/differential/")
    ap.add_argument("--jobs", type=int, default=2,
                    help="worker processes asking HermiT, one JVM each (default 2; 1: in this process)")
    ap.add_argument("--sheets", type=int, default=1000,
                    help="case sheets whose whole assessments are compared, fast against reference (default 1000)")
    ap.add_argument("--answers", type=str, default="",
                    help="CASES,SHEETS: write HermiT's answers for the first CASES cases and SHEETS sheets "
                         "(the gate of `make test`) to tests/fixtures/differential/hermit-<TBox digest>.jsonl.gz")
    args = ap.parse_args(argv)
    from dvtkg.assessment.pipeline import Assessor

    wall, cpu = time.perf_counter(), time.process_time()
    assessor = Assessor(engine="reference", lean=False)  # builds reasoner case graphs: the rdflib path
    root = assessor.kb.root
    report = run(assessor, args.cases, args.seconds, cache=not args.no_cache, jobs=args.jobs, sheets=args.sheets,
                 shrink_to=(root / "tests" / "fixtures" / "differential") if args.write_fixtures else None)
    summary = report.summary()
    summary["wallSeconds"] = round(time.perf_counter() - wall, 1)
    summary["cpuSecondsThisProcess"] = round(time.process_time() - cpu, 1)
    summary["loadAverage"] = [round(x, 2) for x in os.getloadavg()]
    summary["cpuCount"] = os.cpu_count()
    print(json.dumps(summary, indent=2), flush=True)
    if args.answers:
        n_cases, n_sheets = (int(x) for x in args.answers.split(","))
        print(f"HermiT answers for make test: {write_answers(root, assessor.kb.owl_path, report, n_cases, n_sheets)}")
        from dvtkg.fast import wholejson
        print(f"reference answers for make test: {wholejson.write_answers(assessor, report.sheet_outcomes, n_sheets)}")
    for o in report.mismatches[:20]:
        lines = [f"MISMATCH {o.case.name}: fast={'inconsistent' if o.fast is None else 'consistent'} "
                 f"hermit={'inconsistent' if o.reference is None else 'consistent'}"]
        if o.fast is not None and o.reference is not None:
            for s in sorted(set(o.fast) | set(o.reference)):
                a, b = o.fast.get(s, set()), o.reference.get(s, set())
                lines += [f"  {s}: fast only {x}" for x in sorted(a - b)]
                lines += [f"  {s}: hermit only {x}" for x in sorted(b - a)]
        log.error("\n".join(lines))
    for sheet in report.sheet_mismatches[:20]:
        log.error(f"WHOLE-ASSESSMENT MISMATCH {sheet.name}: {sheet.diff}")
    return 1 if report.mismatches or report.sheet_mismatches else 0


def write_answers(root: Path, owl_path: Path, report: Report, n_cases: int, n_sheets: int) -> Path:
    """Commit-sized HermiT answers for `make test`'s gate: the first n_cases cases, the first n_sheets sheets
    and the pair satisfiability checks, gzip-compressed and named by the TBox digest (older digests removed)."""
    folder = root / "tests" / "fixtures" / "differential"
    ref = Reference(owl_path, paths.build_dir(root) / "differential", answer_files=answer_files(root))
    wanted = list(report.case_keys[:n_cases])
    for o in report.sheet_outcomes[:n_sheets]:
        wanted += o.keys
    wanted += sorted(k for k in ref.cache if k.startswith("satisfiable|"))
    missing = [k for k in wanted if k not in ref.cache]
    if missing:
        raise SystemExit(f"error: {len(missing)} answer(s) not in the cache: run without --seconds")
    lines = [json.dumps({"key": k, "types": ref.cache[k]}, sort_keys=True) for k in dict.fromkeys(wanted)]
    path = folder / f"hermit-{ref.digest}.jsonl.gz"
    for old in folder.glob("hermit-*.jsonl.gz"):
        if old != path:
            old.unlink()
    folder.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(("\n".join(sorted(lines)) + "\n").encode(), mtime=0))
    return path


if __name__ == "__main__":
    sys.exit(main())
