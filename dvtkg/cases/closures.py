"""The local closures a case's contract allows (the imaged veins of a limb; decision rule 4's legs).

Computed over a :class:`~dvtkg.cases.store.FactStore` (no rdflib); ``dvtkg.reason`` offers
the same over an rdflib graph by converting it.
"""

from __future__ import annotations

from dataclasses import dataclass

from dvtkg.cases.store import DVT, RDF_TYPE, FactStore, Lit

VEINS_CLOSED = "case-sheet contract: the imaged vein segments of a limb given in the case are complete"
LEGS_CLOSED = ("decision rule 4: a leg absent from the case was not examined and is not part of "
               "the diagnosed DVT; the patient-level findings are decided from the legs given")


@dataclass(frozen=True)
class Closure:
    """A local closure stated for one list of the case, and why."""

    subject: str
    prop: str
    members: tuple[str, ...]
    reason: str

    def as_dict(self) -> dict[str, object]:
        return {"subject": str(self.subject), "property": str(self.prop),
                "members": [str(m) for m in self.members], "reason": self.reason}


def vein_closures(case: FactStore, unclosed: set) -> list[Closure]:
    """Close the thrombus list of every imaged limb (case-sheet contract), except those withheld."""
    closures = []
    unclosed_text = {str(u) for u in unclosed}
    for limb in sorted(case.subjects(RDF_TYPE, DVT + "Limb")):
        if limb in unclosed_text or case.value(limb, DVT + "imagingIncomplete") == Lit.of(True):
            continue
        members = tuple(sorted(str(v) for v in case.objects(limb, DVT + "hasThrombusIn")))
        closures.append(Closure(limb, DVT + "hasThrombusIn", members, VEINS_CLOSED))
    return closures


def limb_closures(case: FactStore, conflicts: list | None = None) -> list[Closure]:
    """Decision rule 4: close each patient to the legs the case gives (``hasLimb max N``).

    A leg absent from ``limbs`` was not examined and is not part of the diagnosed DVT,
    so the patient-level findings ("no proximal thrombus in any limb", ...) are decided
    from the legs given. No closure when no leg is given (nothing is decided then), nor
    when a data conflict says an absent leg has thrombus (a code naming that leg's veins).
    """
    sides_in_conflict = {fact.split(".")[1] for c in (conflicts or []) for fact in getattr(c, "facts", [])
                         if fact.startswith("limbs.") and fact.endswith(".veins")}
    closures = []
    for patient in sorted(case.subjects(RDF_TYPE, DVT + "Patient")):
        limbs = tuple(sorted(str(x) for x in case.objects(patient, DVT + "hasLimb")))
        if not limbs:
            continue
        given = {str(case.value(limb, DVT + "laterality") or "").rsplit("/", 1)[-1] for limb in limbs}
        if sides_in_conflict - given:
            continue
        closures.append(Closure(patient, DVT + "hasLimb", limbs, LEGS_CLOSED))
    return closures
