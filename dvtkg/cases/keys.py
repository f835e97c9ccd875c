"""The case-sheet keys, read from the case module of the ontology (dvt:caseKey).

The ontology is the single source of truth for which keys exist, what property each
maps to, its kind (boolean, integer, number, enumeration, days-or-none), allowed
values and plausible range. The loader and the report both use this table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rdflib import Graph

from dvtkg.cases.contract import LAYOUT_KEYS

IRI = Any  # an IRI: rdflib's URIRef when read from the ontology, a str on the lean path


@dataclass(frozen=True)
class KeySpec:
    """One case-sheet key and the property it maps to."""

    key: str                 # dotted, with {limb} for limb facts: limbs.{limb}.signs.cyanosis
    prop: IRI
    limb_level: bool
    kind: str                # boolean | integer | number | enumeration | days-or-none
    allowed: tuple[str, ...] = ()
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    label: str = ""
    flag_prop: IRI | None = None   # for days-or-none: the had<Event> boolean
    question: str = ""                # dvt:questionText: asked when the key is missing ('this leg' for limb keys)


@dataclass
class KeyTable:
    """All keys, by dotted key (limb keys relative to the limb object) and by property."""

    patient: dict[str, KeySpec] = field(default_factory=dict)   # "labs.crclMlMin" -> spec
    limb: dict[str, KeySpec] = field(default_factory=dict)      # "signs.cyanosis" -> spec
    by_prop: dict[IRI, KeySpec] = field(default_factory=dict)
    questions: dict[str, str] = field(default_factory=dict)     # template key -> dvt:questionText
    #: every property a case graph may use -> the case class it describes (its rdfs:domain)
    case_props: dict[IRI, IRI] = field(default_factory=dict)
    #: IRIs the knowledge base describes: never a case individual
    knowledge_terms: frozenset[IRI] = frozenset()

    def key_for(self, prop: IRI) -> str | None:
        spec = self.by_prop.get(prop)
        return spec.key if spec else None

    def question(self, key: str) -> str:
        """The plain-language question for a dotted key ("limbs.left.signs.cyanosis" asks about the left leg).

        Falls back to the key's label, or the key itself, when the ontology gives no question.
        """
        parts = key.split(".")
        if len(parts) > 2 and parts[0] == "limbs":
            template = "limbs.{limb}." + ".".join(parts[2:])
            side = parts[1]
            leg = "each leg" if side in ("*", "{limb}") else f"the {side} leg"
            spec = self.limb.get(".".join(parts[2:]))
            text = self.questions.get(template) or (spec.label if spec else key)
            return text.replace("this leg", leg)
        spec = self.patient.get(key)
        return self.questions.get(key) or (spec.label if spec else key)


LIMB_PREFIX = "limbs.{limb}."
_STRUCTURAL = LAYOUT_KEYS  # id, limbs, limbs.{limb}.veins, codes, codes.system, codes.code


def case_properties(tbox: Graph) -> dict[IRI, IRI]:
    """The case vocabulary: every non-derived ``dvt:caseKey`` property, laterality and limbOf,
    each with the case class it describes (its ``rdfs:domain``)."""
    from rdflib import URIRef
    from rdflib.namespace import RDFS

    from dvtkg.cases.vocab import DVT

    _CASE_CLASSES = (DVT.Patient, DVT.Limb, DVT.CodedDiagnosis)
    props: dict[IRI, IRI] = {DVT.laterality: DVT.Limb, DVT.limbOf: DVT.Limb}
    for prop in set(tbox.subjects(DVT.caseKey, None)):
        if str(tbox.value(prop, DVT.valueKind) or "") == "derived" or not isinstance(prop, URIRef):
            continue
        domain = tbox.value(prop, RDFS.domain)
        if domain in _CASE_CLASSES:
            props[prop] = domain
    return props


def load_key_table(tbox: Graph) -> KeyTable:
    """Build the key table from the ``dvt:caseKey`` annotations of the TBox."""
    from rdflib import Literal, URIRef
    from rdflib.namespace import RDFS

    from dvtkg.cases.vocab import DVT

    table = KeyTable(case_props=case_properties(tbox),
                     knowledge_terms=frozenset(s for s in tbox.subjects() if isinstance(s, URIRef)))
    flags: dict[str, URIRef] = {}
    for prop, key in tbox.subject_objects(DVT.caseKey):
        key = str(key)
        question = tbox.value(prop, DVT.questionText)
        secondary = str(tbox.value(prop, DVT.valueKind)) in ("derived", "structural")
        if question is not None and (key not in table.questions or not secondary):
            # a key shared by several properties asks the question of its main (stated) property
            table.questions[key] = str(question)
        kind = tbox.value(prop, DVT.valueKind)
        if key in _STRUCTURAL or kind is None or str(kind) == "derived":
            continue
        kind = str(kind)
        rng = tbox.value(prop, RDFS.range)
        if kind == "days-or-none" and rng is not None and str(rng).endswith("boolean"):
            flags[key] = prop
            continue
        allowed = tuple(sorted(str(v) for v in tbox.objects(prop, DVT.allowedValue)))
        lo = tbox.value(prop, DVT.minValue)
        hi = tbox.value(prop, DVT.maxValue)
        spec = KeySpec(
            key=key, prop=prop, limb_level=key.startswith(LIMB_PREFIX), kind=kind, allowed=allowed,
            minimum=Decimal(str(lo)) if isinstance(lo, Literal) else None,
            maximum=Decimal(str(hi)) if isinstance(hi, Literal) else None,
            label=str(tbox.value(prop, RDFS.label) or key),
            question=str(tbox.value(prop, DVT.questionText) or ""),
        )
        table.by_prop[prop] = spec
    for prop, spec in list(table.by_prop.items()):
        if spec.kind == "days-or-none" and spec.key in flags:
            spec = KeySpec(**{**spec.__dict__, "flag_prop": flags[spec.key]})
            table.by_prop[prop] = spec
            table.by_prop[flags[spec.key]] = spec
        if spec.limb_level:
            table.limb[spec.key[len(LIMB_PREFIX):]] = spec
        else:
            table.patient[spec.key] = spec
    return table
