"""Run OWL 2 WG test cases (tests/external/owl2/) through the HermiT that owlready2 ships.

Cases come from owl2/owl2-subset.ttl (the W3C test-ontology vocabulary, test:TestCase with
test:rdfXmlPremiseOntology etc.). A case with only functional-syntax ontologies uses the hand
translation in owl2/translated/<identifier with spaces as dashes>.premise.ttl (and
.conclusion.ttl), since owlready2 reads no functional syntax.

One HermiT run per case, in a fresh owlready2 World (``owlready2.sync_reasoner_hermit``):
- consistency / inconsistency: whether HermiT reports the premise inconsistent;
- entailment: each axiom of the conclusion is turned into a fresh named class that is
  unsatisfiable exactly when the axiom follows from the premise (the usual reduction):
  ClassAssertion(C a) -> Q = {a} and not C; SubClassOf(C D) -> Q = C and not D (both ways for
  EquivalentClasses); a property assertion p(a b) -> Q = {a} and not (p value b). The Q classes
  are added to the premise (definitions of fresh names, so they change nothing else), and after
  classification a positive entailment needs every Q equivalent to owl:Nothing, a negative one
  at least one Q satisfiable.
"""

from __future__ import annotations

import io
import os
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import owlready2
import rdflib
from rdflib import BNode, Graph, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS

HERE = Path(__file__).resolve().parent
OWL_DIR = HERE / "owl2"
SUBSET = OWL_DIR / "owl2-subset.ttl"
TRANSLATED = OWL_DIR / "translated"
TEST = Namespace("http://www.w3.org/2007/OWL/testOntology#")
QNS = "urn:dvtkg:owl2-test:query:"
JAVA_MEMORY_MB = 512

_DECLARATION_TYPES = {OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty,
                      OWL.NamedIndividual, OWL.Ontology, RDFS.Datatype, OWL.Thing}


@dataclass(frozen=True)
class OwlCase:
    identifier: str
    iri: URIRef
    types: frozenset[str]          # local names: ConsistencyTest, InconsistencyTest, Positive/NegativeEntailmentTest
    description: str
    premise: bytes                 # RDF/XML or Turtle
    premise_format: str            # "xml" | "turtle"
    conclusion: bytes | None
    conclusion_format: str | None
    translated: bool

    @property
    def expects_consistent(self) -> bool:
        return "InconsistencyTest" not in self.types

    @property
    def entailment(self) -> str | None:
        if "PositiveEntailmentTest" in self.types:
            return "positive"
        if "NegativeEntailmentTest" in self.types:
            return "negative"
        return None


def _slug(identifier: str) -> str:
    return identifier.replace(" ", "-")


def cases() -> list[OwlCase]:
    """Every test case of owl2-subset.ttl, sorted by identifier."""
    g = Graph()
    g.parse(SUBSET, format="turtle")
    out = []
    for tc in g.subjects(RDF.type, TEST.TestCase):
        ident = str(g.value(tc, TEST.identifier))
        types = frozenset(str(t).split("#")[1] for t in g.objects(tc, RDF.type)
                          if str(t).startswith(str(TEST)) and t != TEST.TestCase)
        premise = g.value(tc, TEST.rdfXmlPremiseOntology)
        conclusion = g.value(tc, TEST.rdfXmlConclusionOntology) or g.value(tc, TEST.rdfXmlNonConclusionOntology)
        translated = premise is None
        if translated:
            ppath = TRANSLATED / f"{_slug(ident)}.premise.ttl"
            cpath = TRANSLATED / f"{_slug(ident)}.conclusion.ttl"
            prem_bytes, prem_fmt = ppath.read_bytes(), "turtle"
            if cpath.exists():
                conc_bytes, conc_fmt = cpath.read_bytes(), "turtle"
            else:
                conc_bytes, conc_fmt = None, None
        else:
            prem_bytes, prem_fmt = str(premise).encode("utf-8"), "xml"
            conc_bytes = None if conclusion is None else str(conclusion).encode("utf-8")
            conc_fmt = None if conclusion is None else "xml"
        out.append(OwlCase(ident, tc, types, str(g.value(tc, TEST.description) or ""), prem_bytes, prem_fmt,
                           conc_bytes, conc_fmt, translated))
    return sorted(out, key=lambda c: c.identifier)


# ---- conclusion axioms -> query classes --------------------------------------------------


class UnsupportedAxiom(Exception):
    pass


def _copy_tree(src: Graph, dst: Graph, node) -> None:
    """Copy the blank-node structure under node (a class expression, a list) from src to dst."""
    if not isinstance(node, BNode):
        return
    for p, o in src.predicate_objects(node):
        dst.add((node, p, o))
        _copy_tree(src, dst, o)


def _bnode_list(g: Graph, items) -> BNode:
    head = BNode()
    Collection(g, head, list(items))
    return head


def _and_not(g: Graph, positive, negative) -> BNode:
    comp = BNode()
    g.add((comp, RDF.type, OWL.Class))
    g.add((comp, OWL.complementOf, negative))
    both = BNode()
    g.add((both, RDF.type, OWL.Class))
    g.add((both, OWL.intersectionOf, _bnode_list(g, [positive, comp])))
    return both


def _nominal(g: Graph, individual) -> BNode:
    one = BNode()
    g.add((one, RDF.type, OWL.Class))
    g.add((one, OWL.oneOf, _bnode_list(g, [individual])))
    return one


def _has_value(g: Graph, prop, value) -> BNode:
    r = BNode()
    g.add((r, RDF.type, OWL.Restriction))
    g.add((r, OWL.onProperty, prop))
    g.add((r, OWL.hasValue, value))
    return r


_EXPRESSION_PREDICATES = {
    OWL.intersectionOf, OWL.unionOf, OWL.complementOf, OWL.oneOf, OWL.onProperty, OWL.someValuesFrom,
    OWL.allValuesFrom, OWL.hasValue, OWL.hasSelf, OWL.cardinality, OWL.minCardinality, OWL.maxCardinality,
    OWL.qualifiedCardinality, OWL.minQualifiedCardinality, OWL.maxQualifiedCardinality, OWL.onClass,
    OWL.onDataRange, OWL.onDatatype, OWL.withRestrictions, OWL.datatypeComplementOf, RDF.first, RDF.rest,
}
# a named class described by one of these (OWL 1 style) is equivalent to the described class
_BOOLEAN_PREDICATES = {OWL.intersectionOf, OWL.unionOf, OWL.complementOf, OWL.oneOf}


def _is_expression(g: Graph, node) -> bool:
    return isinstance(node, BNode) and (
        any(p in _EXPRESSION_PREDICATES for p in g.predicates(node))
        or any(t in (OWL.Class, OWL.Restriction, RDFS.Datatype) for t in g.objects(node, RDF.type)))


def _roll_up(conclusion: Graph, g: Graph, individual: BNode, props: set, seen: frozenset = frozenset()):
    """An anonymous individual of the conclusion as the class of things it says exist
    (its types and its property values, nested anonymous individuals rolled up in turn)."""
    if individual in seen:
        raise UnsupportedAxiom("a cycle of anonymous individuals")
    parts = []
    for t in conclusion.objects(individual, RDF.type):
        if t not in _DECLARATION_TYPES or t == OWL.Thing:
            _copy_tree(conclusion, g, t)
            parts.append(t)
    for p, o in conclusion.predicate_objects(individual):
        if p == RDF.type:
            continue
        if p not in props:
            raise UnsupportedAxiom(f"anonymous individual with {p.n3()}")
        if isinstance(o, BNode):
            r = BNode()
            g.add((r, RDF.type, OWL.Restriction))
            g.add((r, OWL.onProperty, p))
            g.add((r, OWL.someValuesFrom, _roll_up(conclusion, g, o, props, seen | {individual})))
            parts.append(r)
        else:
            parts.append(_has_value(g, p, o))
    if not parts:
        return OWL.Thing
    if len(parts) == 1:
        return parts[0]
    both = BNode()
    g.add((both, RDF.type, OWL.Class))
    g.add((both, OWL.intersectionOf, _bnode_list(g, parts)))
    return both


def query_classes(premise: Graph, conclusion: Graph) -> tuple[Graph, list[tuple[URIRef, str]]]:
    """The premise plus one fresh class per conclusion axiom (unsatisfiable iff entailed).

    Returns (graph, [(query class IRI, the axiom in words)]). Raises UnsupportedAxiom for an
    axiom kind this reduction does not cover (property axioms, top-level anonymous individuals).
    """
    g = Graph()
    for t in premise:
        g.add(t)
    nested = {o for o in conclusion.objects() if isinstance(o, BNode)}
    props = {s for s, o in conclusion.subject_objects(RDF.type) if o in (OWL.ObjectProperty, OWL.DatatypeProperty)}
    props |= {s for s, o in premise.subject_objects(RDF.type) if o in (OWL.ObjectProperty, OWL.DatatypeProperty)}
    queries: list[tuple[URIRef, str]] = []

    def add_query(expression, text: str) -> None:
        q = URIRef(f"{QNS}{len(queries)}")
        g.add((q, RDF.type, OWL.Class))
        g.add((q, OWL.equivalentClass, expression))
        queries.append((q, text))

    def sub_class(c, d) -> None:
        _copy_tree(conclusion, g, c)
        _copy_tree(conclusion, g, d)
        add_query(_and_not(g, c, d), f"SubClassOf({c.n3()} {d.n3()})")

    for s, p, o in sorted(conclusion):
        if isinstance(s, BNode) and s in nested:
            continue  # part of a larger expression, or an anonymous individual rolled up below
        if p == RDF.type and (o in _DECLARATION_TYPES or o == OWL.Restriction):
            if isinstance(s, URIRef) and o != OWL.Ontology:
                g.add((s, p, o))  # a declaration: needs no entailment check
            continue
        if p in _EXPRESSION_PREDICATES:
            if isinstance(s, BNode):
                continue  # the structure of a top-level class expression, used by its axiom
            if p in _BOOLEAN_PREDICATES:
                e = BNode()
                g.add((e, RDF.type, OWL.Class))
                g.add((e, p, o))
                _copy_tree(conclusion, g, o)
                add_query(_and_not(g, s, e), f"SubClassOf({s.n3()} {p.n3()}...)")
                add_query(_and_not(g, e, s), f"SubClassOf({p.n3()}... {s.n3()})")
                continue
            raise UnsupportedAxiom(f"({s.n3()} {p.n3()} {o.n3()})")
        if p == RDFS.subClassOf:
            sub_class(s, o)
        elif p == OWL.equivalentClass:
            sub_class(s, o)
            sub_class(o, s)
        elif p == OWL.disjointWith:
            _copy_tree(conclusion, g, s)
            _copy_tree(conclusion, g, o)
            both = BNode()
            g.add((both, RDF.type, OWL.Class))
            g.add((both, OWL.intersectionOf, _bnode_list(g, [s, o])))
            add_query(both, f"DisjointClasses({s.n3()} {o.n3()})")
        elif isinstance(s, BNode):
            raise UnsupportedAxiom(f"a top-level anonymous individual ({s.n3()} {p.n3()} {o.n3()})")
        elif p == RDF.type:
            _copy_tree(conclusion, g, o)
            add_query(_and_not(g, _nominal(g, s), o), f"ClassAssertion({o.n3()} {s.n3()})")
        elif p in props:
            if isinstance(o, BNode) and not _is_expression(conclusion, o):
                r = BNode()
                g.add((r, RDF.type, OWL.Restriction))
                g.add((r, OWL.onProperty, p))
                g.add((r, OWL.someValuesFrom, _roll_up(conclusion, g, o, props)))
                add_query(_and_not(g, _nominal(g, s), r), f"ClassAssertion(some {p.n3()} [...] {s.n3()})")
            else:
                add_query(_and_not(g, _nominal(g, s), _has_value(g, p, o)),
                          f"PropertyAssertion({p.n3()} {s.n3()} {o.n3()})")
        else:
            raise UnsupportedAxiom(f"({s.n3()} {p.n3()} {o.n3()})")
    if not queries:
        raise UnsupportedAxiom("the conclusion has no axiom to check")
    return g, queries


# ---- running HermiT -----------------------------------------------------------------------


@dataclass
class Run:
    consistent: bool
    unsatisfiable: dict[str, bool]   # axiom text -> its query class is unsatisfiable (axiom entailed)
    seconds: float


@contextmanager
def _lexical_forms_kept():
    """rdflib rewrites valid literals into its canonical form by default (e.g. the dateTime
    "...11.656+01:00" into "...11.656000+01:00", which HermiT 1.3.8 rejects as malformed); the
    test ontologies are passed on with their lexical forms untouched."""
    old = rdflib.NORMALIZE_LITERALS
    rdflib.NORMALIZE_LITERALS = False
    try:
        yield
    finally:
        rdflib.NORMALIZE_LITERALS = old


def _parse(data: bytes, fmt: str | None, base: str) -> Graph:
    g = Graph()
    g.parse(data=data, format=fmt, publicID=base)
    return g


def run_case(case: OwlCase) -> Run:
    """Load the premise (+ query classes) into a fresh World and classify it with HermiT."""
    base = f"urn:dvtkg:owl2-test:{_slug(case.identifier)}"
    with _lexical_forms_kept():
        premise = _parse(case.premise, case.premise_format, base)
        queries: list[tuple[URIRef, str]] = []
        if case.conclusion is not None and case.entailment is not None:
            premise, queries = query_classes(premise, _parse(case.conclusion, case.conclusion_format, base))
        data = premise.serialize(format="nt", encoding="utf-8")
    owlready2.reasoning.JAVA_MEMORY = JAVA_MEMORY_MB
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="dvtkg-owl2-") as tmp:
        old_tmp = os.environ.get("TMPDIR")
        os.environ["TMPDIR"] = tmp
        tempfile.tempdir = None
        world = owlready2.World()
        try:
            onto = world.get_ontology(base + "/premise").load(fileobj=io.BytesIO(data), format="ntriples")
            try:
                with onto:
                    owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
            except owlready2.OwlReadyInconsistentOntologyError:
                return Run(False, {}, time.perf_counter() - start)
            unsat = {str(c.iri) for c in world.inconsistent_classes() if hasattr(c, "iri")}
            return Run(True, {text: str(q) in unsat for q, text in queries}, time.perf_counter() - start)
        finally:
            world.close()
            if old_tmp is None:
                os.environ.pop("TMPDIR", None)
            else:
                os.environ["TMPDIR"] = old_tmp
            tempfile.tempdir = None


def check(case: OwlCase) -> tuple[bool, str]:
    """Run the case and compare with what its test types expect: (ok, detail)."""
    run = run_case(case)
    if run.consistent != case.expects_consistent:
        return False, (f"expected the premise {'consistent' if case.expects_consistent else 'inconsistent'}, "
                       f"HermiT says {'consistent' if run.consistent else 'inconsistent'}")
    if case.entailment == "positive":
        missing = [t for t, entailed in run.unsatisfiable.items() if not entailed]
        if missing:
            return False, "not entailed: " + "; ".join(missing)
    elif case.entailment == "negative":
        if run.unsatisfiable and all(run.unsatisfiable.values()):
            return False, "the non-conclusion is entailed: " + "; ".join(run.unsatisfiable)
    return True, f"ok ({run.seconds:.1f} s)"
