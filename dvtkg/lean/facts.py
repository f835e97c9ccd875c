"""Read a case's facts back by case-sheet key, from a FactStore: the lean twin of ``dvtkg.assessment.facts``.

The same questions (``value``, ``limb``, ``sides``, ``holds`` ...) answered from the store
and the inferred types instead of rdflib graphs; :func:`format_value` is the one rule for
how a value is shown, used by both.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from dvtkg.cases.store import DVT, RDF_TYPE, SIDES, FactStore, Lit

VEIN_PREFIX = "https://w3id.org/dvtkg/value/vein-"


def format_value(py: object) -> str:
    """A fact's value as the report shows it: true/false, numbers without needless decimals, else the text."""
    if isinstance(py, bool):
        return "true" if py else "false"
    try:
        d = Decimal(str(py))
        if d == d.to_integral_value():
            return str(d.quantize(Decimal(1)))
        return f"{d.normalize():f}" if len(f"{d.normalize():f}") <= 8 else f"{d:.1f}"
    except Exception:
        return str(py)


def _fmt(v: object) -> str:
    return format_value(v.value) if isinstance(v, Lit) else str(v)


class KeyedFacts:
    """The one reading of a case's facts by case-sheet key (``expand``, ``value``), over four primitives.

    A subclass says how to read its facts: the object of a (subject, property) (``_one``), all of
    them (``_all``), whether a value is boolean true / false (``_is``), how a value is shown
    (``_show``); and gives ``patient``, ``keys``, ``limb`` and ``derived_props``. StoreFacts reads
    the lean fact store; ``dvtkg.assessment.facts.CaseFacts`` reads rdflib graphs.
    """

    patient: Any
    keys: Any

    def _one(self, subject: Any, prop: str) -> Any:
        raise NotImplementedError

    def _all(self, subject: Any, prop: str) -> list[Any]:
        raise NotImplementedError

    def _is(self, v: Any, flag: bool) -> bool:
        raise NotImplementedError

    def _show(self, v: Any) -> str:
        raise NotImplementedError

    def limb(self, side: str) -> Any:
        raise NotImplementedError

    def derived_props(self) -> set[tuple[Any, Any]]:
        raise NotImplementedError

    def expand(self, template: str, side: str | None) -> list[str]:
        """Concrete keys for a key template: {limb} -> the assessed limb, * -> each leg."""
        if "{limb}" in template:
            return [template.replace("{limb}", side)] if side else [template.replace("{limb}", s) for s in SIDES]
        if ".*." in template:
            return [template.replace("*", s) for s in SIDES]
        return [template]

    def value(self, key: str) -> str | None:
        """The stated or derived value of a concrete key, as text; None when unknown."""
        if key.startswith("limbs."):
            _, side, rest = key.split(".", 2)
            limb = self.limb(side)
            if limb is None:
                return None
            if rest == "veins":
                if self._is(self._one(limb, DVT + "imagingIncomplete"), True):
                    return None
                veins = sorted(str(v)[len(VEIN_PREFIX):] for v in self._all(limb, DVT + "hasThrombusIn"))
                return ", ".join(veins) if veins else "no thrombus on imaging"
            spec = self.keys.limb.get(rest)
            subject = limb
        else:
            spec = self.keys.patient.get(key)
            subject = self.patient
        if spec is None:
            return None
        v = self._one(subject, str(spec.prop))
        if v is None and spec.flag_prop is not None and self._is(self._one(subject, str(spec.flag_prop)), False):
            return "none"
        if v is None and key == "course.vteDaysAgo":
            ep = self._one(subject, DVT + "episodeDaysAgo")
            return None if ep is None else f"{self._show(ep)} (derived by decision rule 1)"
        if v is None:
            return None
        text = self._show(v)
        if (subject, spec.prop) in self.derived_props():
            text += " (derived)"
        return text


_TRUE, _FALSE = Lit.of(True), Lit.of(False)


@dataclass
class StoreFacts(KeyedFacts):
    """The asserted (and derived) facts of one case, addressable by dotted key."""

    store: FactStore
    patient: str
    keys: Any
    types: dict[str, set[str]]
    _derived: set[tuple[str, str]] | None = field(default=None, repr=False)
    _limbs: dict[str, str | None] = field(default_factory=dict, repr=False)
    _values: dict[str, str | None] = field(default_factory=dict, repr=False)

    def in_class(self, cls: str) -> bool:
        return any(cls in ts for ts in self.types.values())

    def holds(self, subject: str, cls: str) -> bool:
        return cls in self.types.get(subject, ())

    def limb(self, side: str) -> str | None:
        if side not in self._limbs:
            found = None
            for limb in self.store.objects(self.patient, DVT + "hasLimb"):
                lat = self.store.value(limb, DVT + "laterality")
                if lat is not None and str(lat).endswith("/" + side):
                    found = str(limb)
                    break
            self._limbs[side] = found
        return self._limbs[side]

    def sides(self) -> list[str]:
        return [s for s in SIDES if self.limb(s) is not None]

    def derived_props(self) -> set[tuple[str, str]]:
        if self._derived is None:
            out = set()
            for node in self.store.subjects(RDF_TYPE, DVT + "Derivation"):
                subj, prop = self.store.value(node, DVT + "derivedFor"), self.store.value(node, DVT + "derivedProperty")
                if isinstance(subj, str) and isinstance(prop, str):
                    out.add((subj, prop))
            self._derived = out
        return self._derived

    def value(self, key: str) -> str | None:
        """The stated or derived value of a concrete key, as text; None when unknown (read once per key)."""
        if key in self._values:
            return self._values[key]
        found = self._values[key] = super().value(key)
        return found

    def _one(self, subject: Any, prop: str) -> Any:
        return self.store.value(subject, prop)

    def _all(self, subject: Any, prop: str) -> list[Any]:
        return list(self.store.objects(subject, prop))

    def _is(self, v: Any, flag: bool) -> bool:
        return v == (_TRUE if flag else _FALSE)

    def _show(self, v: Any) -> str:
        return _fmt(v)
