"""The case-sheet contract as one table, read from the case module of the ontology.

``ontology/modules/case.ttl`` is the single source: every case-fact property carries
``dvt:caseKey`` (the dotted key), ``dvt:valueKind``, its ``rdfs:range``, ``dvt:allowedValue``,
``dvt:minValue`` / ``dvt:maxValue``, ``dvt:unit``, ``rdfs:label``, ``skos:definition`` and
``dvt:questionText``; the properties of the sheet's skeleton (id, limbs, veins, codes)
carry ``dvt:caseRule`` (the rule in words) and ``dvt:requiredInCase``. Everything else
is OWL the module states anyway: functional properties, cardinality restrictions,
inverses, enumerated classes (``owl:oneOf``), the vein segments (``dvt:caseValue``,
``dvt:anatomicalOrder`` in the anatomy module).

The table keeps the order of the Turtle source (keys as declared, allowed values as
listed), so that what is generated from it reads in the order curators wrote it.
:mod:`dvtkg.cases.generate` writes the shapes, the JSON Schema, the docs table and the
Python registry from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rdflib import Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS, SKOS, XSD
from rdflib.plugins.stores.memory import Memory

from dvtkg import paths
from dvtkg.cases.vocab import DVT

CASE_MODULE = Path("modules") / "case.ttl"
ANATOMY_MODULE = Path("modules") / "anatomy.ttl"
LIMB_PREFIX = "limbs.{limb}."
#: keys of the sheet that carry no fact, only text for the reader (never in the case graph)
FREE_TEXT_KEYS = {
    "notes": "free text for the reader; ignored by the engine",
    "codes.display": "optional display text of a code",
}
LEVELS = {DVT.Patient: "patient", DVT.Limb: "limb", DVT.CodedDiagnosis: "code"}
VALUE_KINDS = ("boolean", "integer", "number", "enumeration", "days-or-none")


class ContractError(Exception):
    """The case module cannot generate the contract (a key lacks what its kind needs); exit code 2."""

    exit_code = 2


class _OrderedMemory(Memory):
    """An rdflib store that remembers the order in which the parser added triples (= source order)."""

    def __init__(self) -> None:
        super().__init__()
        self.order: dict[tuple[Any, Any, Any], int] = {}

    def add(self, triple: Any, context: Any, quoted: bool = False) -> None:
        self.order.setdefault(triple, len(self.order))
        super().add(triple, context, quoted)


@dataclass(frozen=True)
class Field:
    """One property of the case graph and the sheet key(s) it comes from."""

    prop: URIRef
    keys: tuple[str, ...]          # dotted keys, {limb} for limb facts; two for a derived fact
    level: str                     # patient | limb | code
    kind: str                      # boolean | integer | number | enumeration | days-or-none | derived | structural
    range: URIRef | None
    label: str
    definition: str
    question: str = ""
    allowed: tuple[str, ...] = ()
    minimum: Literal | None = None
    maximum: Literal | None = None
    unit: str = ""
    rule: str = ""                 # dvt:caseRule (skeleton properties)
    required: bool = False         # dvt:requiredInCase
    max_count: int | None = None   # from owl:FunctionalProperty or a cardinality restriction
    one_of: tuple[tuple[URIRef, str], ...] = ()   # an enumerated range: (individual, sheet name), in order
    flag: URIRef | None = None     # days-or-none: the had<Event> boolean property
    is_flag: bool = False          # this is such a boolean property

    @property
    def key(self) -> str:
        return self.keys[0]

    @property
    def local(self) -> str:
        return str(self.prop).rsplit("#", 1)[-1]


@dataclass
class ContractTable:
    """Every field of the contract, in source order, and the vein segment names."""

    fields: list[Field] = field(default_factory=list)
    veins: tuple[str, ...] = ()

    def at(self, level: str) -> list[Field]:
        return [f for f in self.fields if f.level == level]

    def by_prop(self, prop: URIRef) -> Field:
        return next(f for f in self.fields if f.prop == prop)

    @property
    def value_keys(self) -> list[Field]:
        """The facts a sheet states (not the skeleton, not derived, not the had<Event> flags)."""
        return [f for f in self.fields if f.kind in VALUE_KINDS and not f.is_flag]


def _str(g: Graph, s: URIRef, p: URIRef) -> str:
    v = g.value(s, p)
    return "" if v is None else str(v)


def _max_cardinality(g: Graph, prop: URIRef, domain: URIRef | None) -> int | None:
    if (prop, RDF.type, OWL.FunctionalProperty) in g:
        return 1
    for restriction in g.subjects(OWL.onProperty, prop):
        if domain is not None and (domain, RDFS.subClassOf, restriction) in g:
            n = g.value(restriction, OWL.maxCardinality)
            if n is not None:
                return int(str(n))
    return None


def _enumerated_range(g: Graph, rng: URIRef | None) -> tuple[tuple[URIRef, str], ...]:
    """The individuals of an enumerated range, with the name the sheet uses for each.

    ``owl:oneOf`` (laterality) in list order; else the individuals of the range's subclasses
    that carry ``dvt:caseValue`` (the vein segments), by ``dvt:anatomicalOrder``.
    """
    if rng is None:
        return ()
    for eq in g.objects(rng, OWL.equivalentClass):
        members = g.value(eq, OWL.oneOf)
        if members is not None:
            return tuple((m, _str(g, m, SKOS.notation) or _str(g, m, DVT.caseValue))
                         for m in Collection(g, members) if isinstance(m, URIRef))
    subclasses = set(g.transitive_subjects(RDFS.subClassOf, rng))
    found = []
    for ind, name in g.subject_objects(DVT.caseValue):
        if isinstance(ind, URIRef) and set(g.objects(ind, RDF.type)) & subclasses:
            order = g.value(ind, DVT.anatomicalOrder)
            found.append((int(str(order)) if order is not None else 10**6, str(name), ind))
    return tuple((ind, name) for _, name, ind in sorted(found))


def _layout_keys(g: Graph, prop: URIRef, domain: Any, inverse: Any) -> tuple[str, ...]:
    """The key of a property the sheet states by its layout, not by a key of its own.

    The inverse of a keyed property takes that key (limbOf: "limbs"); a property with an
    enumerated range names the key of the object it describes and the values that key
    the object by (laterality: "limbs (left / right)").
    """
    if inverse is not None:
        return tuple(sorted(str(k) for k in g.objects(inverse, DVT.caseKey)))
    parents = sorted(str(k) for p in g.subjects(RDFS.range, domain) for k in g.objects(p, DVT.caseKey))
    names = [name for _, name in _enumerated_range(g, g.value(prop, RDFS.range))]
    if not parents or not names:
        raise ContractError(f"{CASE_MODULE}: {prop} has dvt:caseRule but no dvt:caseKey, inverse or enumerated range")
    return (f"{parents[0]} ({' / '.join(names)})",)


def read_table(root: Path | None = None) -> ContractTable:
    """Read the contract from ontology/modules/case.ttl (and the vein segments of anatomy.ttl)."""
    onto = paths.ontology_dir(root)
    store = _OrderedMemory()
    g = Graph(store=store)
    for module in (CASE_MODULE, ANATOMY_MODULE):
        g.parse(onto / module, format="turtle")
    first: dict[Any, int] = {}
    for (s, _p, _o), i in store.order.items():
        first.setdefault(s, i)

    def position(prop: URIRef) -> int:
        return first.get(prop, 10**9)

    props = set(g.subjects(DVT.caseKey, None)) | set(g.subjects(DVT.caseRule, None))
    table = ContractTable()
    flags: dict[str, URIRef] = {}
    for prop in sorted((p for p in props if isinstance(p, URIRef)), key=position):
        keys = tuple(sorted(str(k) for k in g.objects(prop, DVT.caseKey)))
        domain = g.value(prop, RDFS.domain)
        inverse = g.value(prop, OWL.inverseOf)
        if domain is None and inverse is not None:
            domain = g.value(inverse, RDFS.range)
        level = LEVELS.get(domain) if isinstance(domain, URIRef) else None
        if level is None:
            raise ContractError(f"{CASE_MODULE}: {prop} has no rdfs:domain among "
                                "dvt:Patient, dvt:Limb, dvt:CodedDiagnosis")
        if not keys:  # a skeleton property the sheet states by its layout (limbOf, laterality)
            keys = _layout_keys(g, prop, domain, inverse)
        rng = g.value(prop, RDFS.range)
        if rng is None and inverse is not None:
            rng = g.value(inverse, RDFS.domain)
        kind = _str(g, prop, DVT.valueKind) or "structural"
        allowed_triples = sorted(((store.order.get((prop, DVT.allowedValue, v), 0), str(v))
                                  for v in g.objects(prop, DVT.allowedValue)))
        is_flag = kind == "days-or-none" and rng == XSD.boolean
        f = Field(
            prop=prop, keys=keys, level=level, kind=kind, range=rng if isinstance(rng, URIRef) else None,
            label=_str(g, prop, RDFS.label), definition=_str(g, prop, SKOS.definition),
            question=_str(g, prop, DVT.questionText), allowed=tuple(v for _, v in allowed_triples),
            minimum=g.value(prop, DVT.minValue), maximum=g.value(prop, DVT.maxValue),
            unit=_str(g, prop, DVT.unit), rule=_str(g, prop, DVT.caseRule),
            required=g.value(prop, DVT.requiredInCase) == Literal(True),
            max_count=_max_cardinality(g, prop, domain),
            one_of=_enumerated_range(g, rng) if isinstance(rng, URIRef) and not str(rng).startswith(str(XSD)) else (),
            is_flag=is_flag,
        )
        _check(f)
        if is_flag:
            flags[f.key] = prop
        table.fields.append(f)
    table.fields = [Field(**{**f.__dict__, "flag": flags.get(f.key)}) if f.kind == "days-or-none" and not f.is_flag
                    else f for f in table.fields]
    hinted = [f for f in table.fields if f.key == LIMB_PREFIX + "veins" and f.one_of]
    table.veins = tuple(name for _, name in hinted[0].one_of) if hinted else ()
    return table


def _check(f: Field) -> None:
    """A key has what its kind needs; the message names the property and what is missing."""
    where = f"{CASE_MODULE}: dvt:{f.local}"
    if f.kind in ("integer", "number", "days-or-none") and not f.is_flag and (f.minimum is None or f.maximum is None):
        raise ContractError(f"{where} ({f.kind}) needs dvt:minValue and dvt:maxValue")
    if f.kind == "enumeration" and not f.allowed:
        raise ContractError(f"{where} (enumeration) needs dvt:allowedValue")
    if f.kind not in (*VALUE_KINDS, "derived", "structural"):
        raise ContractError(f"{where}: unknown dvt:valueKind {f.kind!r}")
    if f.kind == "structural" and not f.rule:
        raise ContractError(f"{where} is part of the sheet's layout and needs dvt:caseRule (its rule in words)")
