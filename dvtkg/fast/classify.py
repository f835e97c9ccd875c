"""Classify one case with the compiled TBox: the drop-in for the HermiT step of reason.py.

Same input as ``dvtkg.reason.classify`` (the case graph, its closures, the segment
classes), built into the same reasoner case graph (``reasoner_case_graph``), and the
same output: a ``Classification`` with the inferred named types of the patient and the
limbs (every entailed class in the dvt namespace, asserted ones included, as HermiT's
realisation gives them through owlready2), or ``consistent=False``.
"""

from __future__ import annotations

import time
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF

from dvtkg.fast.compile import COMPILER_VERSION, CompiledClassifier, UnsupportedAxiom, _Compiler, compile_tbox
from dvtkg.fast.entail import CaseFacts, Inconsistent, Reasoner, UnsupportedCase
from dvtkg.reason import DVT_PREFIX, Classification, Closure, _subjects, reasoner_case_graph

__all__ = ["FastClassifier", "classify", "compiled_path", "facts_from_graph", "load_or_compile"]


def compiled_path(owl_path: Path) -> Path:
    """Where the compiled classifier of a reasoner TBox file is kept (next to it in build/)."""
    return owl_path.with_name(f"{owl_path.stem}-fast-v{COMPILER_VERSION}.json")


def load_or_compile(owl_path: Path, tbox: Graph | None = None) -> CompiledClassifier:
    """Load the compiled classifier of this reasoner TBox, compiling (and saving) it when missing or stale."""
    path = compiled_path(owl_path)
    if path.exists():
        try:
            return CompiledClassifier.load(path)
        except (ValueError, KeyError):
            pass
    if tbox is None:
        tbox = Graph().parse(owl_path, format="xml")
    compiled = compile_tbox(tbox)
    compiled.save(path)
    return compiled


def facts_from_graph(compiled: CompiledClassifier, g: Graph) -> CaseFacts:
    """The assertions of a reasoner case graph (named individuals, class expressions, values)."""
    parser = _Compiler(g)
    parser.object_props = set(compiled.object_properties)
    parser.data_props = set(compiled.data_properties)
    obj, data = parser.object_props, parser.data_props
    onto = set(g.subjects(RDF.type, OWL.Ontology))
    individuals = sorted({str(s) for s in g.subjects() if isinstance(s, URIRef) and s not in onto})
    facts = CaseFacts(individuals=individuals)
    for s, p, o in g:
        if not isinstance(s, URIRef) or s in onto:
            if p == RDF.type and o == OWL.AllDifferent:
                lst = g.value(s, OWL.distinctMembers) or g.value(s, OWL.members)
                members = [str(m) for m in Collection(g, lst)] if lst is not None else []
                facts.different += [(a, b) for i, a in enumerate(members) for b in members[i + 1:]]
            continue
        subject = str(s)
        if p == RDF.type:
            if o == OWL.NamedIndividual:
                continue
            if isinstance(o, URIRef):
                facts.types.setdefault(subject, set()).add(str(o))
            else:
                try:
                    facts.exprs.setdefault(subject, []).append(parser.cls(o, f"type of {subject}"))
                except UnsupportedAxiom as exc:
                    raise UnsupportedCase(str(exc)) from exc
        elif p == OWL.sameAs and isinstance(o, URIRef):
            facts.same.append((subject, str(o)))
        elif p == OWL.differentFrom and isinstance(o, URIRef):
            facts.different.append((subject, str(o)))
        elif str(p) in obj and isinstance(o, URIRef):
            facts.edges.append((subject, str(p), str(o)))
        elif str(p) in data and isinstance(o, Literal):
            facts.values.append((subject, str(p), (str(o), str(o.datatype) if o.datatype else "", o.language or "")))
    return facts


class FastClassifier:
    """A compiled TBox ready to classify cases (keeps the decided anonymous successors between cases)."""

    def __init__(self, compiled: CompiledClassifier) -> None:
        self.compiled = compiled
        self.reasoner = Reasoner(compiled)

    @property
    def tbox_hash(self) -> str:
        return self.compiled.tbox_hash

    def types(self, g: Graph) -> dict[str, set[str]] | None:
        """Entailed named types of every individual of a reasoner case graph, or None if inconsistent."""
        try:
            return self.reasoner.run(facts_from_graph(self.compiled, g))
        except Inconsistent:
            return None

    def classify_graph(self, g: Graph, subjects: list[URIRef]) -> Graph | None:
        """The inferred-types graph (dvt classes) of the given subjects, or None if inconsistent."""
        found = self.types(g)
        if found is None:
            return None
        inferred = Graph()
        for iri in subjects:
            for cls in found.get(str(iri), ()):
                if cls.startswith(DVT_PREFIX):
                    inferred.add((iri, RDF.type, URIRef(cls)))
        return inferred


def classify(fast: FastClassifier, case: Graph, closures: list[Closure], case_iri: str,
             segment_classes: dict[URIRef, URIRef]) -> Classification:
    """Classify one case's patient and limbs with the compiled TBox (what reason.classify does with HermiT)."""
    start = time.perf_counter()
    g = reasoner_case_graph(case, closures, segment_classes, case_iri)
    found = fast.classify_graph(g, _subjects(case))
    seconds = time.perf_counter() - start
    if found is None:
        return Classification(Graph(), consistent=False, seconds=seconds, closures=closures)
    return Classification(found, consistent=True, seconds=seconds, closures=closures)


