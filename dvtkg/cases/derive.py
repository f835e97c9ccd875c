"""Facts the loader derives from stated ones, each recorded as a dvt:Derivation.

- creatinine clearance by Cockcroft-Gault when only serum creatinine is given;
- the episode age of decision rule 1 (days since diagnosis, else the longest
  symptom duration of the legs with thrombus);
- whether a dated event happened at all, when only its number of days is given;
- "no recurrence on therapeutic anticoagulation" for a patient on no anticoagulant
  whose case does not say the VTE is a recurrence (decision rule 17).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, getcontext
from typing import TYPE_CHECKING

from dvtkg.cases.store import DVT as _DVT
from dvtkg.cases.store import RDF_TYPE, XSD, FactStore, Lit

if TYPE_CHECKING:
    from rdflib import Graph


class _Names:
    """``DVT.name`` -> the IRI string (the rules below read like the ontology)."""

    def __getattr__(self, name: str) -> str:
        return _DVT + name


DVT = _Names()


@dataclass(frozen=True)
class DerivedFact:
    """One derived value: which key it stands for, for whom, how it was computed."""

    key: str
    subject: str
    value: Decimal | bool
    method: str

    def as_dict(self) -> dict[str, object]:
        value: object = self.value if isinstance(self.value, bool) else float(self.value)
        return {"key": self.key, "subject": str(self.subject), "value": value, "method": self.method}


def _num(g: FactStore, s: str, p: str) -> Decimal | None:
    v = g.value(s, p)
    if isinstance(v, Lit) and v.datatype in (XSD + "decimal", XSD + "integer"):
        return Decimal(v.lexical)
    return None


def _record(g: FactStore, fact: DerivedFact, prop: str) -> None:
    base = str(fact.subject).rsplit("#", 1)[0]
    node = f"{base}#derived-{str(prop).rsplit('#', 1)[-1]}-{str(fact.subject).rsplit('#', 1)[-1]}"
    g.add(node, RDF_TYPE, DVT.Derivation)
    g.add(node, DVT.derivedProperty, prop)
    g.add(node, DVT.derivedFor, fact.subject)
    g.add(node, DVT.derivationMethod, Lit.of(fact.method))


def cockcroft_gault(age: Decimal, weight_kg: Decimal, creatinine_mg_dl: Decimal, female: bool) -> Decimal:
    """CrCl (mL/min) = (140 - age) x weight / (72 x serum creatinine), x 0.85 for women.

    Not rounded: rounding could move a value across a threshold (29.96 -> 30.0).
    """
    getcontext().prec = 28
    crcl = (Decimal(140) - age) * weight_kg / (Decimal(72) * creatinine_mg_dl)
    if female:
        crcl *= Decimal("0.85")
    return max(crcl, Decimal(0))


def derive_facts(g: Graph) -> list[DerivedFact]:
    """Add the derived facts to the case graph (in place) and return them."""
    from dvtkg.cases.store_rdf import store_from_graph, sync_graph

    store = store_from_graph(g)
    before = store.copy()
    facts = derive_store(store)
    sync_graph(g, before, store)
    return facts


def derive_store(g: FactStore) -> list[DerivedFact]:
    """Add the derived facts to the case's facts (in place) and return them."""
    facts: list[DerivedFact] = []
    for patient in g.subjects(RDF_TYPE, DVT.Patient):
        facts += _derive_crcl(g, patient)
        facts += _derive_episode(g, patient)
        facts += _derive_no_recurrence_on_anticoagulation(g, patient)
    for days_prop, flag in ((DVT.intracranialEventDaysAgo, DVT.hadIntracranialEvent),
                            (DVT.majorSurgeryDaysAgo, DVT.hadMajorSurgery),
                            (DVT.majorGiBleedDaysAgo, DVT.hadMajorGiBleed)):
        for subject in [s for s, p, _ in g if p == days_prop]:
            _ensure_flag(g, subject, flag)
    return facts


def _ensure_flag(g: FactStore, subject: str, flag: str) -> None:
    if g.value(subject, flag) is None:
        g.add(subject, flag, Lit.of(True))


def _derive_crcl(g: FactStore, patient: str) -> list[DerivedFact]:
    if g.value(patient, DVT.crclMlMin) is not None:
        return []
    scr = _num(g, patient, DVT.serumCreatinineMgDl)
    age = _num(g, patient, DVT.ageYears)
    weight = _num(g, patient, DVT.weightKg)
    sex = g.value(patient, DVT.sex)
    if scr is None or age is None or weight is None or sex is None or str(sex) not in ("male", "female") or scr <= 0:
        return []
    female = str(sex) == "female"
    crcl = cockcroft_gault(age, weight, scr, female)
    method = (f"Cockcroft-Gault from serum creatinine: (140 - {age}) x {weight} kg / (72 x {scr} mg/dL)"
              f"{' x 0.85 (female)' if female else ''} = {crcl:.1f} mL/min (actual body weight)")
    g.add(patient, DVT.crclMlMin, Lit(crcl, XSD + "decimal"))
    fact = DerivedFact("labs.crclMlMin", patient, crcl, method)
    _record(g, fact, DVT.crclMlMin)
    return [fact]


def _derive_episode(g: FactStore, patient: str) -> list[DerivedFact]:
    if g.value(patient, DVT.episodeDaysAgo) is not None:
        return []
    days = _num(g, patient, DVT.vteDaysAgo)
    if days is not None:
        method = "decision rule 1: days since the VTE was diagnosed (course.vteDaysAgo)"
    else:
        limbs = [str(limb) for limb in g.objects(patient, DVT.hasLimb) if g.value(limb, DVT.hasThrombusIn) is not None]
        durations = [_num(g, limb, DVT.symptomDays) for limb in limbs]
        known = [d for d in durations if d is not None]
        if not known:
            return []
        days = max(known)
        if len(known) < len(durations):
            # A leg's duration is unknown: the maximum is only a lower bound, which
            # decides "more than 30 days" but never "30 days or fewer".
            if days <= 30:
                return []
            method = ("decision rule 1: course.vteDaysAgo unknown; the longest known symptom duration of the legs "
                      f"with thrombus is {days} days (at least), which is more than 30")
        else:
            method = ("decision rule 1: course.vteDaysAgo unknown, so the longest symptom duration of the legs "
                      f"with thrombus (limbs.*.symptomDays) = {days} days")
    g.add(patient, DVT.episodeDaysAgo, Lit(days, XSD + "decimal"))
    fact = DerivedFact("course.vteDaysAgo", patient, days, method)
    _record(g, fact, DVT.episodeDaysAgo)
    return [fact]


def _derive_no_recurrence_on_anticoagulation(g: FactStore, patient: str) -> list[DerivedFact]:
    """Decision rule 17: a patient on no anticoagulant did not have this VTE on therapeutic anticoagulation.

    Derived only when course.currentAnticoagulant = none, the fact itself is not stated,
    and nothing in the case says this VTE is a recurrence or happened on anticoagulation
    (course.recurrentUnprovoked and course.onTherapeuticAnticoagulation are not true).
    """
    if g.value(patient, DVT.recurrenceOnTherapeuticAnticoagulation) is not None:
        return []
    current = g.value(patient, DVT.currentAnticoagulant)
    if current is None or str(current) != "none":
        return []
    for prop in (DVT.recurrentUnprovoked, DVT.onTherapeuticAnticoagulation):
        value = g.value(patient, prop)
        if isinstance(value, Lit) and value.value is True:
            return []
    method = ("decision rule 17: course.currentAnticoagulant = none and the case does not say this VTE is a "
              "recurrence (course.recurrentUnprovoked and course.onTherapeuticAnticoagulation are not true), "
              "so it did not recur on therapeutic anticoagulation")
    g.add(patient, DVT.recurrenceOnTherapeuticAnticoagulation, Lit.of(False))
    fact = DerivedFact("course.recurrenceOnTherapeuticAnticoagulation", patient, False, method)
    _record(g, fact, DVT.recurrenceOnTherapeuticAnticoagulation)
    return [fact]
