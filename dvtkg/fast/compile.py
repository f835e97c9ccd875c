"""Compile the reasoner TBox into a ``CompiledClassifier``: plain data, JSON, hash-stamped.

The input is exactly what HermiT gets (``reasoner_tbox(graph)``). Every logical triple
must be consumed by one of the supported axiom forms below, or compilation stops with
``UnsupportedAxiom`` naming the triple: a construct the classifier cannot decide is
never silently ignored.

Supported (the fragment the criteria use, ALCIN(D) without nominals):

- class expressions: named classes, owl:Thing/owl:Nothing, intersectionOf, unionOf,
  complementOf of a *primitive* class (no definition, only named superclasses),
  someValuesFrom / allValuesFrom on a named object property, hasValue of a literal,
  unqualified maxCardinality, someValuesFrom a data range (a datatype, or a
  decimal-family datatype with min/max inclusive/exclusive facets);
- axioms: equivalentClass with a named side (a definition), subClassOf with a named
  subclass, disjointWith and AllDisjointClasses of named classes, rdfs:domain and
  rdfs:range (named class or datatype), FunctionalProperty, InverseFunctionalProperty,
  inverseOf between named properties; declarations and annotations.

A class expression is kept as nested tuples (lists in JSON):
``"IRI"`` | ``("and", [..])`` | ``("or", [..])`` | ``("not", "IRI")`` | ``("some", p, e)``
| ``("all", p, e)`` | ``("max", n, p)`` | ``("value", p, literal)`` | ``("dsome", p, range)``.
"""

from __future__ import annotations

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS

from dvtkg.fast.compiled import (  # noqa: E402,F401
    COMPILER_VERSION,  # noqa: E402,F401 - re-exported
    NOTHING,
    THING,
    CompiledClassifier,
    Expr,
    _canon,
    _key,
    _tuple,
    tbox_hash,
)
from dvtkg.fast.values import FACETS, SUPPORTED_DATATYPES, Lit

_ANNOTATION_PREDICATES = {RDFS.label, RDFS.comment, RDFS.isDefinedBy, RDFS.seeAlso, OWL.versionInfo,
                          OWL.versionIRI, OWL.priorVersion, OWL.backwardCompatibleWith, OWL.incompatibleWith,
                          OWL.deprecated}
_DECLARATION_TYPES = {OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty, OWL.Ontology,
                      OWL.NamedIndividual, RDFS.Class, RDFS.Datatype}


from dvtkg.fast.compiled import UnsupportedAxiom  # noqa: E402,F401 - re-exported


def _name(node: object, g: Graph) -> str:
    if isinstance(node, URIRef):
        return g.namespace_manager.normalizeUri(node)
    if isinstance(node, Literal):
        return node.n3()
    return "[]"


def _describe(g: Graph, s: object, p: object, o: object) -> str:
    return f"{_name(s, g)} {_name(p, g)} {_name(o, g)}"


def _literal(lit: Literal) -> Lit:
    return (str(lit), str(lit.datatype) if lit.datatype else "", lit.language or "")


class _Compiler:
    """One pass over the TBox graph; ``used`` collects every triple an axiom form consumed."""

    def __init__(self, g: Graph) -> None:
        self.g = g
        self.used: set[tuple] = set()
        self.object_props = {str(s) for s in g.subjects(RDF.type, OWL.ObjectProperty)}
        self.data_props = {str(s) for s in g.subjects(RDF.type, OWL.DatatypeProperty)}

    def use(self, s: object, p: object, o: object) -> None:
        self.used.add((s, p, o))

    def fail(self, where: str, why: str) -> UnsupportedAxiom:
        return UnsupportedAxiom(f"fast classifier: unsupported axiom {where}: {why}")

    def items(self, head: object, where: str) -> list:
        if not isinstance(head, (BNode, URIRef)):
            raise self.fail(where, "a list was expected")
        node = head
        while node != RDF.nil:
            first, rest = self.g.value(node, RDF.first), self.g.value(node, RDF.rest)
            if first is None or rest is None:
                raise self.fail(where, "a broken RDF list")
            self.use(node, RDF.first, first)
            self.use(node, RDF.rest, rest)
            node = rest
        return list(Collection(self.g, head))

    def prop(self, node: object, where: str) -> str:
        if not isinstance(node, URIRef):
            raise self.fail(where, "only named properties are supported in restrictions (no inverse expressions)")
        return str(node)

    def cls(self, node: object, where: str) -> Expr:
        """Parse a class expression, consuming its triples."""
        g = self.g
        if isinstance(node, URIRef):
            return str(node)
        if not isinstance(node, BNode):
            raise self.fail(where, f"{_name(node, g)} is not a class expression")
        for t in (OWL.Class, OWL.Restriction):
            if (node, RDF.type, t) in g:
                self.use(node, RDF.type, t)
        preds = {p for p, _ in g.predicate_objects(node)} - {RDF.type}
        if preds == {OWL.intersectionOf}:
            lst = g.value(node, OWL.intersectionOf)
            self.use(node, OWL.intersectionOf, lst)
            return ("and", tuple(self.cls(x, where) for x in self.items(lst, where)))
        if preds == {OWL.unionOf}:
            lst = g.value(node, OWL.unionOf)
            self.use(node, OWL.unionOf, lst)
            return ("or", tuple(self.cls(x, where) for x in self.items(lst, where)))
        if preds == {OWL.complementOf}:
            inner = g.value(node, OWL.complementOf)
            self.use(node, OWL.complementOf, inner)
            if not isinstance(inner, URIRef):
                raise self.fail(where, "complementOf is supported of a named class only")
            return ("not", str(inner))
        if OWL.onProperty in preds:
            p = g.value(node, OWL.onProperty)
            self.use(node, OWL.onProperty, p)
            prop = self.prop(p, where)
            rest = preds - {OWL.onProperty}
            if rest == {OWL.someValuesFrom}:
                filler = g.value(node, OWL.someValuesFrom)
                self.use(node, OWL.someValuesFrom, filler)
                if prop in self.data_props:
                    return ("dsome", prop, self.datarange(filler, where))
                return ("some", prop, self.cls(filler, where))
            if rest == {OWL.allValuesFrom}:
                filler = g.value(node, OWL.allValuesFrom)
                self.use(node, OWL.allValuesFrom, filler)
                if prop in self.data_props:
                    raise self.fail(where, "allValuesFrom on a data property is not supported")
                return ("all", prop, self.cls(filler, where))
            if rest == {OWL.hasValue}:
                value = g.value(node, OWL.hasValue)
                self.use(node, OWL.hasValue, value)
                if not isinstance(value, Literal):
                    raise self.fail(where, "hasValue of an individual (a nominal) is not supported")
                return ("value", prop, _literal(value))
            if rest == {OWL.maxCardinality}:
                n = g.value(node, OWL.maxCardinality)
                self.use(node, OWL.maxCardinality, n)
                if prop in self.data_props:
                    raise self.fail(where, "maxCardinality on a data property is not supported")
                return ("max", int(n), prop)
            raise self.fail(where, f"restriction with {sorted(_name(x, g) for x in rest)} is not supported")
        raise self.fail(where, f"class expression with {sorted(_name(x, g) for x in preds)} is not supported")

    def datarange(self, node: object, where: str) -> tuple:
        g = self.g
        if isinstance(node, URIRef):
            if str(node) not in SUPPORTED_DATATYPES:
                raise self.fail(where, f"datatype {_name(node, g)} is not supported")
            return ("dt", str(node))
        if not isinstance(node, BNode) or (node, RDF.type, RDFS.Datatype) not in g:
            raise self.fail(where, "a data range was expected")
        self.use(node, RDF.type, RDFS.Datatype)
        preds = {p for p, _ in g.predicate_objects(node)} - {RDF.type}
        if preds != {OWL.onDatatype, OWL.withRestrictions}:
            raise self.fail(where, f"data range with {sorted(_name(x, g) for x in preds)} is not supported")
        base, lst = g.value(node, OWL.onDatatype), g.value(node, OWL.withRestrictions)
        self.use(node, OWL.onDatatype, base)
        self.use(node, OWL.withRestrictions, lst)
        if str(base) not in SUPPORTED_DATATYPES or not str(base).startswith("http://www.w3.org/2001/XMLSchema#") \
                or base not in (URIRef("http://www.w3.org/2001/XMLSchema#decimal"),
                                URIRef("http://www.w3.org/2001/XMLSchema#integer")):
            raise self.fail(where, f"facets are supported on xsd:decimal and xsd:integer only, not {_name(base, g)}")
        facets = []
        for f in self.items(lst, where):
            pairs = list(g.predicate_objects(f))
            if len(pairs) != 1 or str(pairs[0][0]) not in FACETS:
                raise self.fail(where, "a facet must be one of min/max inclusive/exclusive")
            self.use(f, pairs[0][0], pairs[0][1])
            facets.append((str(pairs[0][0]), str(pairs[0][1])))
        return ("facet", str(base), tuple(sorted(facets)))


def _check_complements(out: CompiledClassifier) -> None:
    """complementOf is decided by told disjointness: its class must be primitive."""
    def walk(e: Expr, where: str) -> None:
        if isinstance(e, str):
            return
        if e[0] in ("and", "or"):
            for x in e[1]:
                walk(x, where)
        elif e[0] in ("some", "all"):
            walk(e[2], where)
        elif e[0] == "not":
            c = e[1]
            if c in out.definitions or any(not isinstance(s, str) for s in _all_supers(out, c)):
                raise UnsupportedAxiom(f"fast classifier: unsupported axiom in {where}: complementOf {c} "
                                       "(only a class without definition and with named superclasses only)")
    for name, exprs in list(out.definitions.items()) + list(out.supers.items()):
        for e in exprs:
            walk(e, name)


def _all_supers(out: CompiledClassifier, c: str) -> list[Expr]:
    seen, todo, found = {c}, [c], []
    while todo:
        for s in out.supers.get(todo.pop(), []):
            found.append(s)
            if isinstance(s, str) and s not in seen:
                seen.add(s)
                todo.append(s)
    return found


def compile_tbox(tbox: Graph) -> CompiledClassifier:
    """Compile the reasoner TBox; raise UnsupportedAxiom naming the first axiom outside the fragment."""
    c = _Compiler(tbox)
    g = tbox
    out = CompiledClassifier(tbox_hash="")
    definitions: dict[str, list] = {}
    supers: dict[str, list] = {}
    for s, p, o in g:
        where = _describe(g, s, p, o)
        if p in _ANNOTATION_PREDICATES or (p == RDF.type and o in _DECLARATION_TYPES and isinstance(s, URIRef)):
            c.use(s, p, o)
        elif p == RDF.rest and g.value(s, RDF.first) is None:
            c.use(s, p, o)  # the tail of a list whose items reasoner_tbox() dropped: no axiom
        elif p == OWL.equivalentClass:
            c.use(s, p, o)
            if isinstance(s, URIRef):
                definitions.setdefault(str(s), []).append(c.cls(o, where))
            if isinstance(o, URIRef):
                definitions.setdefault(str(o), []).append(c.cls(s, where))
            if not isinstance(s, URIRef) and not isinstance(o, URIRef):
                raise c.fail(where, "an equivalence between two class expressions (a general axiom)")
        elif p == RDFS.subClassOf:
            c.use(s, p, o)
            if not isinstance(s, URIRef):
                raise c.fail(where, "a subclass axiom with a class expression on the left (a general axiom)")
            supers.setdefault(str(s), []).append(c.cls(o, where))
        elif p == OWL.disjointWith:
            c.use(s, p, o)
            if not (isinstance(s, URIRef) and isinstance(o, URIRef)):
                raise c.fail(where, "disjointness is supported between named classes only")
            out.disjoint.append((str(s), str(o)))
        elif p == RDF.type and o == OWL.AllDisjointClasses:
            c.use(s, p, o)
            lst = g.value(s, OWL.members)
            c.use(s, OWL.members, lst)
            members = c.items(lst, where)
            if not all(isinstance(m, URIRef) for m in members):
                raise c.fail(where, "disjointness is supported between named classes only")
            out.disjoint += [(str(a), str(b)) for i, a in enumerate(members) for b in members[i + 1:]]
        elif p in (RDFS.domain, RDFS.range):
            c.use(s, p, o)
            if not isinstance(s, URIRef) or not isinstance(o, URIRef):
                raise c.fail(where, "domain and range are supported as named classes or datatypes only")
            if p == RDFS.domain:
                out.domains.setdefault(str(s), []).append(str(o))
            elif str(s) in c.data_props:
                if str(o) not in SUPPORTED_DATATYPES:
                    raise c.fail(where, f"datatype {_name(o, g)} is not supported")
                out.data_ranges.setdefault(str(s), []).append(str(o))
            else:
                out.ranges.setdefault(str(s), []).append(str(o))
        elif p == RDF.type and o in (OWL.FunctionalProperty, OWL.InverseFunctionalProperty):
            c.use(s, p, o)
            (out.functional if o == OWL.FunctionalProperty else out.inverse_functional).append(str(s))
        elif p == OWL.inverseOf:
            c.use(s, p, o)
            if not (isinstance(s, URIRef) and isinstance(o, URIRef)):
                raise c.fail(where, "inverseOf is supported between named properties only")
            out.inverses[str(s)] = str(o)
            out.inverses[str(o)] = str(s)
    leftover = sorted((t for t in g if t not in c.used), key=lambda t: _describe(g, *t))
    if leftover:
        raise c.fail(_describe(g, *leftover[0]), f"not part of the supported fragment ({len(leftover)} such triple(s))")
    for prop in out.inverse_functional:
        if prop in c.data_props:
            raise c.fail(f"{prop} a owl:InverseFunctionalProperty", "inverse functional data properties")
    out.definitions = {k: [_norm(e) for e in v] for k, v in definitions.items()}
    out.supers = {k: [_norm(e) for e in v] for k, v in supers.items()}
    out.object_properties = sorted(c.object_props)
    out.data_properties = sorted(c.data_props)
    names = {str(s) for s in g.subjects(RDF.type, OWL.Class) if isinstance(s, URIRef)}
    names |= set(out.definitions) | set(out.supers) | {a for pair in out.disjoint for a in pair}
    out.classes = sorted(names)
    _check_complements(out)
    out.tbox_hash = tbox_hash(out.payload())
    return out


def _norm(e: Expr) -> Expr:
    """Flatten nested intersections and unions (same meaning, fewer steps)."""
    if not isinstance(e, tuple):
        return e
    if e[0] in ("and", "or"):
        parts: list = []
        for x in (_norm(y) for y in e[1]):
            if isinstance(x, tuple) and x[0] == e[0]:
                parts.extend(x[1])
            else:
                parts.append(x)
        return (e[0], tuple(parts))
    if e[0] in ("some", "all"):
        return (e[0], e[1], _norm(e[2]))
    return e
