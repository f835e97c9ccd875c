"""The data-conflict checks of the case-sheet contract (docs/case-format.md).

A contradiction between well-formed facts is not a validation failure: it is
reported, the contradicted facts are removed from the case graph (so they are
unknown, never acted on), and the rest of the case is assessed. A limb whose thrombus
list is contradicted keeps what imaging saw but its list is not closed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from dvtkg.cases.store import DVT as _DVT
from dvtkg.cases.store import RDF_TYPE, FactStore, Lit

if TYPE_CHECKING:
    from rdflib import Graph


class _Names:
    """``DVT.name`` -> the IRI string (the checks below read like the ontology)."""

    def __getattr__(self, name: str) -> str:
        return _DVT + name


DVT = _Names()
Graph_ = FactStore


def Literal(value: object) -> Lit:  # noqa: N802 - reads like the rdflib original
    return Lit.of(value)

ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
PROXIMAL = {"ivc", "common-iliac", "external-iliac", "internal-iliac", "common-femoral", "femoral", "deep-femoral",
            "popliteal"}
DISTAL = {"anterior-tibial", "posterior-tibial", "peroneal", "gastrocnemius", "soleal"}
ILIOFEMORAL = {"common-iliac", "external-iliac", "internal-iliac", "common-femoral"}
# ICD-10-CM I82.4<vein><side>: the vein character and the segments it names.
ICD_DVT_VEINS: dict[str, tuple[str, set[str]]] = {
    "0": ("unspecified deep veins of the lower extremity", PROXIMAL | DISTAL),
    "1": ("femoral vein", {"common-femoral", "femoral", "deep-femoral"}),
    "2": ("iliac vein", {"common-iliac", "external-iliac", "internal-iliac"}),
    "3": ("popliteal vein", {"popliteal"}),
    "4": ("tibial vein", {"anterior-tibial", "posterior-tibial"}),
    "5": ("peroneal vein", {"peroneal"}),
    "6": ("calf muscular vein", {"gastrocnemius", "soleal"}),
    "9": ("other specified deep vein of the lower extremity", PROXIMAL | DISTAL),
    "Y": ("unspecified proximal deep veins", PROXIMAL),
    "Z": ("unspecified distal deep veins", DISTAL),
}
ICD_SIDES = {"1": ("right",), "2": ("left",), "3": ("left", "right")}
THREAT_SIGNS = (("cyanosis", DVT.cyanosis, True), ("limbIschaemia", DVT.limbIschaemia, True),
                ("venousGangrene", DVT.venousGangrene, True), ("compartmentSyndrome", DVT.compartmentSyndrome, True),
                ("pulses", DVT.pulses, "absent"))


@dataclass
class DataConflict:
    """A contradiction in the case data: the facts involved and what was done."""

    facts: list[str]
    message: str

    def as_dict(self) -> dict[str, object]:
        return {"facts": self.facts, "message": self.message}


@dataclass
class ConflictOutcome:
    """The conflicts found, and the limbs whose thrombus list must not be closed."""

    conflicts: list[DataConflict] = field(default_factory=list)
    unclosed_limbs: set = field(default_factory=set)


def _side(g: Graph_, limb: str) -> str:
    lat = g.value(limb, DVT.laterality)
    return str(lat).rsplit("/", 1)[-1] if lat is not None else "?"


def _veins(g: Graph_, limb: str) -> set[str]:
    return {str(v).rsplit("/vein-", 1)[-1] for v in g.objects(limb, DVT.hasThrombusIn)}


def _drop(g: Graph_, subject: str, prop: str) -> None:
    g.remove(subject, prop)


def check_data_conflicts(g: Graph) -> ConflictOutcome:
    """Find the contradictions, remove the contradicted facts from ``g`` and report them."""
    from rdflib import URIRef

    from dvtkg.cases.store_rdf import store_from_graph, sync_graph

    store = store_from_graph(g)
    before = store.copy()
    out = check_store_conflicts(store)
    sync_graph(g, before, store)
    out.unclosed_limbs = {URIRef(str(limb)) for limb in out.unclosed_limbs}
    return out


def check_store_conflicts(g: FactStore) -> ConflictOutcome:
    """Find the contradictions, remove the contradicted facts from the case's facts and report them."""
    out = ConflictOutcome()
    for patient in g.subjects(RDF_TYPE, DVT.Patient):
        limbs = {_side(g, str(limb)): str(limb) for limb in g.objects(patient, DVT.hasLimb)}
        _check_codes(g, patient, limbs, out)
        _check_sex_pregnancy(g, patient, out)
        _check_bleeding(g, patient, out)
        for side, limb in sorted(limbs.items()):
            _check_limb_threat(g, limb, side, out)
            _check_coded_phlegmasia(g, limb, side, out)
    return out


def _code_text(g: Graph_, node: str) -> tuple[str, str]:
    return str(g.value(node, DVT.codeSystem) or ""), str(g.value(node, DVT.codeValue) or "").upper().replace(".", "")


def _check_codes(g: Graph_, patient: str, limbs: dict[str, str], out: ConflictOutcome) -> None:
    for node in g.objects(patient, DVT.hasCodedDiagnosis):
        system, code = _code_text(g, str(node))
        if system != ICD10CM:
            continue
        shown = f"{code[:3]}.{code[3:]}" if len(code) > 3 else code
        m = re.fullmatch(r"I824([0-69YZ])([0-39])", code)
        if m:
            vein_char, side_char = m.groups()
            name, segments = ICD_DVT_VEINS[vein_char]
            for side in ICD_SIDES.get(side_char, ()):
                limb = limbs.get(side)
                seen = _veins(g, limb) if limb is not None else set()
                if limb is not None and g.value(limb, DVT.imagingIncomplete) is not None:
                    continue
                if not seen & segments:
                    facts = [f"codes:{shown}", f"limbs.{side}.veins"]
                    out.conflicts.append(DataConflict(facts, (
                        f"ICD-10-CM {shown} codes DVT of the {side} {name}, but limbs.{side}.veins lists no such "
                        f"segment ({', '.join(sorted(seen)) or 'no thrombus'}); the {side} thrombus list is treated "
                        "as incomplete "
                        "(what imaging saw is kept, its absence of thrombus elsewhere is not concluded).")))
                    if limb is not None:
                        out.unclosed_limbs.add(limb)
        elif code.startswith("I26"):
            if g.value(patient, DVT.pePresent) == Literal(False):
                _drop(g, patient, DVT.pePresent)
                out.conflicts.append(DataConflict([f"codes:{shown}", "pe.present"], (
                    f"ICD-10-CM {shown} codes a pulmonary embolism but pe.present is false; "
                    "pe.present is treated as unknown.")))
        elif code.startswith("O22") or code.startswith("Z33"):
            if g.value(patient, DVT.pregnant) == Literal(False):
                _drop(g, patient, DVT.pregnant)
                out.conflicts.append(DataConflict([f"codes:{shown}", "pregnant"], (
                    f"ICD-10-CM {shown} codes a pregnancy but pregnant is false; pregnant is treated as unknown.")))


def _check_sex_pregnancy(g: Graph_, patient: str, out: ConflictOutcome) -> None:
    if g.value(patient, DVT.sex) == Literal("male") and g.value(patient, DVT.pregnant) == Literal(True):
        _drop(g, patient, DVT.sex)
        _drop(g, patient, DVT.pregnant)
        out.conflicts.append(DataConflict(["sex", "pregnant"], (
            "sex is male but pregnant is true; both are treated as unknown.")))
    if g.value(patient, DVT.gestationWeeks) is not None and g.value(patient, DVT.pregnant) == Literal(False):
        _drop(g, patient, DVT.gestationWeeks)
        _drop(g, patient, DVT.pregnant)
        out.conflicts.append(DataConflict(["gestationWeeks", "pregnant"], (
            "gestationWeeks is given but pregnant is false; both are treated as unknown.")))


def _check_bleeding(g: Graph_, patient: str, out: ConflictOutcome) -> None:
    if (g.value(patient, DVT.anticoagulationContraindication) == Literal("none")
            and g.value(patient, DVT.activeBleeding) == Literal(True)):
        _drop(g, patient, DVT.anticoagulationContraindication)
        _drop(g, patient, DVT.activeBleeding)
        out.conflicts.append(DataConflict(["bleeding.anticoagulationContraindication", "bleeding.activeBleeding"], (
            "bleeding.anticoagulationContraindication is none but bleeding.activeBleeding is true; both are treated as "
            "unknown, so every statement they decide is indeterminate until the clinician resolves it.")))


def _closed_without_proximal(g: Graph_, limb: str) -> bool:
    return g.value(limb, DVT.imagingIncomplete) is None and not (_veins(g, limb) & PROXIMAL)


def _check_limb_threat(g: Graph_, limb: str, side: str, out: ConflictOutcome) -> None:
    present = [(name, prop) for name, prop, bad in THREAT_SIGNS if g.value(limb, prop) == Literal(bad)]
    if present and _closed_without_proximal(g, limb):
        for _, prop in present:
            _drop(g, limb, prop)
        out.unclosed_limbs.add(limb)
        names = [f"limbs.{side}.signs.{n}" for n, _ in present]
        out.conflicts.append(DataConflict(names + [f"limbs.{side}.veins"], (
            f"limb-threat signs ({', '.join(names)}) on the {side} limb, whose imaged veins hold no proximal thrombus; "
            "the signs are treated as unknown and the thrombus list as incomplete.")))


def _check_coded_phlegmasia(g: Graph_, limb: str, side: str, out: ConflictOutcome) -> None:
    if g.value(limb, DVT.codedPhlegmasia) != Literal(True):
        return
    exam_against = (g.value(limb, DVT.cyanosis) == Literal(False)
                    and g.value(limb, DVT.pulses) == Literal("normal"))
    imaging_against = g.value(limb, DVT.imagingIncomplete) is None and not (_veins(g, limb) & ILIOFEMORAL)
    if not (exam_against or imaging_against):
        return
    why = []
    if exam_against:
        why.append("the examination (no cyanosis, normal pulses)")
        _drop(g, limb, DVT.cyanosis)
        _drop(g, limb, DVT.pulses)
    if imaging_against:
        why.append("the imaging (no common femoral or iliac thrombus)")
        out.unclosed_limbs.add(limb)
    facts = [f"limbs.{side}.codedPhlegmasia"]
    facts += [f"limbs.{side}.signs.cyanosis", f"limbs.{side}.signs.pulses"] if exam_against else []
    facts += [f"limbs.{side}.veins"] if imaging_against else []
    out.conflicts.append(DataConflict(facts, (
        f"a coded phlegmasia cerulea dolens on the {side} limb contradicts {' and '.join(why)}; "
        "the code is not acted on and the contradicted findings are treated as unknown.")))
