"""The code tables of the ontology's codes module, for the FHIR converter and the CDS service.

Everything clinical is data in ``ontology/modules/codes.ttl``: the code systems (FHIR
system URL and code IRI prefix, docs/codes.md) and the code mappings (which codes, in
which resource type, state which case key with which value, or name which intervention).
This module only indexes them. The tables are read once per process and per project root.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS

from dvtkg import paths
from dvtkg.cases.keys import KeyTable, load_key_table
from dvtkg.cases.vocab import DVT

MODULES = ("codes.ttl", "case.ttl")


@dataclass(frozen=True)
class CodeMapping:
    """One dvt:CodeMapping of the codes module."""

    iri: str
    label: str
    resources: frozenset[str]
    key: str | None = None
    value: object = None
    refuted_value: object = None
    accepts_unconfirmed: bool = False
    value_from_answer: bool = False
    value_from_severity: bool = False
    sides: tuple[str, ...] = ()
    intervention: str | None = None
    molar_mass: Decimal | None = None
    target_unit: str | None = None

    def applies_to(self, context: str) -> bool:
        return context in self.resources


@dataclass
class CodeTables:
    """The code systems and mappings, indexed by code IRI and by system URL."""

    systems: dict[str, str] = field(default_factory=dict)          # FHIR system URL -> code IRI prefix
    by_code: dict[str, list[CodeMapping]] = field(default_factory=dict)
    stems: list[tuple[str, CodeMapping]] = field(default_factory=list)
    keys: KeyTable = field(default_factory=KeyTable)
    units: dict[str, str] = field(default_factory=dict)              # case key -> UCUM unit (dvt:unit)

    def code_iri(self, system: str, code: str) -> str | None:
        """The IRI of a FHIR (system, code), or None when the system is not in the table."""
        prefix = self.systems.get(system)
        return None if prefix is None else prefix + code

    def mappings(self, system: str, code: str, context: str) -> list[CodeMapping]:
        """The mappings that read (system, code) in ``context`` (a resource type or Type.element)."""
        iri = self.code_iri(system, code)
        if iri is None:
            return []
        found = [m for m in self.by_code.get(iri, []) if m.applies_to(context)]
        found += [m for stem, m in self.stems if iri.startswith(stem) and m.applies_to(context) and m not in found]
        return found

    def spec(self, key: str):  # -> KeySpec | None
        """The key table entry of a dotted case key (limb keys as limbs.<side>.<rest> or limbs.{limb}.<rest>)."""
        parts = key.split(".")
        if parts[0] == "limbs" and len(parts) > 2:
            return self.keys.limb.get(".".join(parts[2:]))
        return self.keys.patient.get(key)

    def unit_for(self, key: str) -> str | None:
        parts = key.split(".")
        if parts[0] == "limbs" and len(parts) > 2:
            key = "limbs.{limb}." + ".".join(parts[2:])
        return self.units.get(key)


def _py(value: Any) -> object:
    if value is None:
        return None
    if isinstance(value, Literal):
        v = value.toPython()
        return Decimal(str(v)) if isinstance(v, float) else v
    return str(value)


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


def _flag(g: Graph, s: Any, p: URIRef) -> bool:
    return _py(g.value(s, p)) is True


def tables_from_graph(g: Graph) -> CodeTables:
    """Index the code systems and mappings of a graph holding the codes and case modules."""
    t = CodeTables(keys=load_key_table(g))
    for cs in g.subjects(RDF.type, DVT.CodeSystem):
        system, prefix = g.value(cs, DVT.fhirSystem), g.value(cs, DVT.codeIriPrefix)
        if system is not None and prefix is not None:
            t.systems[str(system)] = str(prefix)
    for prop, unit in g.subject_objects(DVT.unit):
        key = g.value(prop, DVT.caseKey)
        if key is not None:
            t.units[str(key)] = str(unit)
    for m in sorted(g.subjects(RDF.type, DVT.CodeMapping), key=str):
        mm = g.value(m, DVT.molarMassGPerMol)
        mapping = CodeMapping(
            iri=str(m), label=str(g.value(m, RDFS.label) or m),
            resources=frozenset(str(r) for r in g.objects(m, DVT.appliesToResource)),
            key=_str(g.value(m, DVT.setsCaseKey)),
            value=_py(g.value(m, DVT.setsValue)),
            refuted_value=_py(g.value(m, DVT.valueWhenRefuted)),
            accepts_unconfirmed=_flag(g, m, DVT.acceptsUnconfirmed),
            value_from_answer=_flag(g, m, DVT.valueFromAnswer),
            value_from_severity=_flag(g, m, DVT.valueFromSeverity),
            sides=tuple(sorted(str(s).rsplit("/", 1)[-1] for s in g.objects(m, DVT.codeLaterality))),
            intervention=_str(g.value(m, DVT.mapsToIntervention)),
            molar_mass=Decimal(str(mm)) if mm is not None else None,
            target_unit=_str(g.value(m, DVT.targetUnit)),
        )
        for code in g.objects(m, DVT.mappedCode):
            t.by_code.setdefault(str(code), []).append(mapping)
        for stem in g.objects(m, DVT.mappedCodeStem):
            t.stems.append((str(stem), mapping))
    return t


@lru_cache(maxsize=4)
def _load(root: str) -> CodeTables:
    g = Graph()
    for name in MODULES:
        g.parse(Path(root) / "ontology" / "modules" / name, format="turtle")
    return tables_from_graph(g)


def load_tables(root: Path | None = None) -> CodeTables:
    """The code tables of the project at ``root`` (default: the project root), read once."""
    return _load(str((root or paths.project_root()).resolve()))


def intervention_for_coding(system: str, code: str, root: Path | None = None) -> str | None:
    """The dvt intervention class IRI that an order with this (system, code) asks for, or None.

    Read from the dvt:mapsToIntervention of the code mappings (orders in ServiceRequest,
    MedicationRequest, Procedure or DeviceRequest). When several mappings name an
    intervention for the code, the first by mapping IRI is returned.
    """
    tables = load_tables(root)
    iri = tables.code_iri(system, code)
    if iri is None:
        return None
    found = [m.intervention for m in tables.by_code.get(iri, []) if m.intervention]
    found += [m.intervention for stem, m in tables.stems if iri.startswith(stem) and m.intervention]
    return sorted(found)[0] if found else None
