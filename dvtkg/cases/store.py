"""A case's facts as a small in-memory triple table, without rdflib.

The case-side rules (sheet mapping, derived facts, data conflicts, closures) run on a
:class:`FactStore`, so that the lean single-case path never builds an rdflib graph and
the rdflib path reuses the very same rules (``dvtkg.cases.store_rdf`` converts both
ways). IRIs are plain strings, blank nodes strings starting ``_:``, literals
:class:`Lit` (a Python value and its datatype IRI, ``""`` for a plain string).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import quote

XSD = "http://www.w3.org/2001/XMLSchema#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
DVT = "https://w3id.org/dvtkg/ontology#"
DVTV = "https://w3id.org/dvtkg/value/"
CASE_BASE = "https://w3id.org/dvtkg/case/"
SIDES = ("left", "right")

Term = "str | Lit"


@dataclass(frozen=True)
class Lit:
    """A literal: its Python value (bool, int, Decimal, str) and datatype IRI ("" = plain string)."""

    value: object
    datatype: str = ""

    @classmethod
    def of(cls, value: object, datatype: str | None = None) -> "Lit":
        """A literal as rdflib types it: booleans xsd:boolean, strings plain, numbers by ``datatype``."""
        if isinstance(value, bool):
            return cls(value, XSD + "boolean")
        if isinstance(value, str) and datatype is None:
            return cls(value, "")
        return cls(value, datatype or "")

    @property
    def lexical(self) -> str:
        """The lexical form rdflib gives this value (decimals in plain notation, booleans lower case)."""
        v = self.value
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, Decimal):
            return format(v, "f")
        return str(v)

    def __str__(self) -> str:
        return self.lexical


def case_base(case_id: str) -> str:
    """The namespace of one case: ``https://w3id.org/dvtkg/case/<id>#``."""
    return f"{CASE_BASE}{quote(case_id, safe='')}#"


def patient_iri(case_id: str) -> str:
    return case_base(case_id) + "patient"


def limb_iri(case_id: str, side: str) -> str:
    return case_base(case_id) + f"limb-{side}"


class FactStore:
    """Triples indexed by subject and predicate, in insertion order; only what the case rules need."""

    def __init__(self) -> None:
        self._spo: dict[str, dict[str, list[object]]] = {}

    def add(self, s: str, p: str, o: object) -> None:
        objs = self._spo.setdefault(s, {}).setdefault(p, [])
        if o not in objs:
            objs.append(o)

    def remove(self, s: str, p: str, o: object | None = None) -> None:
        props = self._spo.get(s)
        if props is None or p not in props:
            return
        if o is None:
            del props[p]
        elif o in props[p]:
            props[p].remove(o)
            if not props[p]:
                del props[p]

    def value(self, s: object, p: str) -> object | None:
        objs = self._spo.get(s, {}).get(p) if isinstance(s, str) else None
        return objs[0] if objs else None

    def objects(self, s: object, p: str) -> list[object]:
        return list(self._spo.get(s, {}).get(p, ())) if isinstance(s, str) else []

    def subjects(self, p: str, o: object) -> list[str]:
        return [s for s, props in self._spo.items() if o in props.get(p, ())]

    def props(self, s: str) -> dict[str, list[object]]:
        return self._spo.get(s, {})

    def __contains__(self, t: tuple[str, str, object]) -> bool:
        return t[2] in self._spo.get(t[0], {}).get(t[1], ())

    def __iter__(self) -> Iterator[tuple[str, str, object]]:
        for s, props in self._spo.items():
            for p, objs in props.items():
                for o in objs:
                    yield s, p, o

    def __len__(self) -> int:
        return sum(len(objs) for props in self._spo.values() for objs in props.values())

    def copy(self) -> "FactStore":
        out = FactStore()
        out._spo = {s: {p: list(objs) for p, objs in props.items()} for s, props in self._spo.items()}
        return out
