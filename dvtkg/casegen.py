"""Generate valid, varied case sheets (deterministic for a seed), for benchmarks and tests.

Every ``generate_case`` sheet conforms to the case-sheet contract; facts are left unknown
at random so that all four statuses occur. ``generate_cohort_case`` pushes them to the
edges (every key, facet bounds and one step either side, unknown and absent legs, data
conflicts, a few contract violations) for the cohort tests and benchmarks.
"""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

from rdflib import URIRef

PROXIMAL = ["common-iliac", "external-iliac", "common-femoral", "femoral", "popliteal"]
DISTAL = ["anterior-tibial", "posterior-tibial", "peroneal", "gastrocnemius", "soleal"]


def _maybe(rng: random.Random, value: Any, p_unknown: float = 0.15) -> Any:
    return None if rng.random() < p_unknown else value


def _limb(rng: random.Random) -> dict[str, Any]:
    kind = rng.choice(["none", "distal", "femoropopliteal", "iliofemoral"])
    veins: list[str] = []
    if kind == "distal":
        veins = rng.sample(DISTAL, rng.randint(1, 2))
    elif kind == "femoropopliteal":
        veins = ["femoral", "popliteal"][: rng.randint(1, 2)]
    elif kind == "iliofemoral":
        veins = PROXIMAL[rng.randint(0, 2):]
    threat = kind == "iliofemoral" and rng.random() < 0.3
    limb: dict[str, Any] = {
        "veins": veins, "occlusive": _maybe(rng, rng.random() < 0.6), "symptomDays": _maybe(rng, rng.randint(0, 40)),
        "symptomatic": _maybe(rng, bool(veins)),
        "signs": {
            "cyanosis": _maybe(rng, threat), "entireLimbSwelling": _maybe(rng, threat or rng.random() < 0.3),
            "severePain": _maybe(rng, threat), "limbIschaemia": _maybe(rng, False),
            "venousGangrene": _maybe(rng, False),
            "compartmentSyndrome": _maybe(rng, False), "pulses": _maybe(rng, "diminished" if threat else "normal"),
        },
    }
    return limb


def generate_case(i: int, seed: int = 20261201) -> dict[str, Any]:
    """One varied, contract-conforming case sheet."""
    rng = random.Random(seed * 100003 + i)
    sex = rng.choice(["male", "female"])
    pregnant = sex == "female" and rng.random() < 0.15
    limbs = {"left": _limb(rng)}
    if rng.random() < 0.7:
        limbs["right"] = _limb(rng)
    return {
        "id": f"generated-{i:04d}",
        "age": rng.randint(18, 95), "sex": sex, "weightKg": rng.randint(40, 140),
        "pregnant": _maybe(rng, pregnant), "gestationWeeks": rng.randint(8, 38) if pregnant else None,
        "limbs": limbs,
        "pe": {"present": _maybe(rng, rng.random() < 0.2), "haemodynamicCompromise": _maybe(rng, False),
               "systolicBpMmHg": _maybe(rng, rng.randint(80, 170))},
        "labs": {"crclMlMin": _maybe(rng, round(rng.uniform(10, 130), 1)),
                 "plateletsE9PerL": _maybe(rng, rng.randint(15, 400))},
        "conditions": {"activeCancer": _maybe(rng, rng.random() < 0.2), "luminalGiCancer": _maybe(rng, False),
                       "antiphospholipidSyndrome": _maybe(rng, rng.random() < 0.05),
                       "liverDisease": _maybe(rng, rng.choice(["none", "mild", "moderate", "severe"])),
                       "significantCardiopulmonaryDisease": _maybe(rng, rng.random() < 0.1),
                       "suspectedHit": _maybe(rng, False),
                       "majorComorbidity": _maybe(rng, rng.random() < 0.2)},
        "bleeding": {"activeBleeding": _maybe(rng, rng.random() < 0.1),
                     "bleedingRisk": _maybe(rng, rng.choice(["low", "moderate", "high"])),
                     "anticoagulationContraindication": _maybe(rng,
                                                               rng.choice(["none", "none", "relative", "absolute"])),
                     "intracranialEventDaysAgo": _maybe(rng, rng.choice(["none", "none", rng.randint(1, 400)])),
                     "priorIntracranialHaemorrhage": _maybe(rng, False),
                     "structuralIntracranialDisease": _maybe(rng, False),
                     "bleedingDiathesis": _maybe(rng, False),
                     "majorSurgeryDaysAgo": _maybe(rng, rng.choice(["none", rng.randint(1, 60)])),
                     "majorGiBleedDaysAgo": _maybe(rng, "none"), "uncontrolledHypertension": _maybe(rng, False)},
        "provoking": _maybe(rng, rng.choice(["major-transient", "minor-transient", "persistent", "unprovoked"])),
        "course": {"vteDaysAgo": _maybe(rng, rng.randint(0, 60)), "onTherapeuticAnticoagulation": _maybe(rng, False),
                   "rapidExtensionDespiteAnticoagulation": _maybe(rng, False),
                   "deteriorationDespiteAnticoagulation": _maybe(rng, False), "thrombusRemovalDone": _maybe(rng, False),
                   "recurrentUnprovoked": _maybe(rng, False),
                   "thrombusRemovalConsidered": _maybe(rng, rng.random() < 0.3),
                   "thrombolysisConsidered": _maybe(rng, None, 1.0)},
        "setting": {"endovascularThrombolysisAvailable": _maybe(rng, rng.random() < 0.7),
                    "supportAtHome": _maybe(rng, True),
                    "scanResultWithinHours": _maybe(rng, rng.choice([1, 2, 6, 24])),
                    "functionalStatus": _maybe(rng, "good"),
                    "lifeExpectancyYears": _maybe(rng, rng.randint(1, 30))},
    }


def facet_bounds(compiled: Any) -> dict[str, set[Decimal]]:
    """Every bound a facet of the compiled TBox (``dvtkg.fast`` artefact) compares a data property with,
    in class definitions and superclass expressions, by property IRI."""
    out: dict[str, set[Decimal]] = {}

    def walk(e: Any) -> None:
        if isinstance(e, str):
            return
        if e[0] in ("and", "or"):
            for x in e[1]:
                walk(x)
        elif e[0] in ("some", "all"):
            walk(e[2])
        elif e[0] == "dsome" and e[2][0] == "facet":
            for _facet, bound in e[2][2]:
                out.setdefault(e[1], set()).add(Decimal(bound))
    for bodies in list(compiled.definitions.values()) + list(compiled.supers.values()):
        for body in bodies:
            walk(body)
    return out


def thresholds_from_tbox(compiled: Any, keys: Any) -> dict[str, list[Decimal]]:
    """Every facet bound of the compiled TBox, by the case key of its property (``dvtkg.fast`` artefact).

    The cohort generator puts values on each bound and one step either side of it; the
    differential generator (``dvtkg.fast.differential``) reads the same bounds by property.
    """
    out: dict[str, set[Decimal]] = {}
    for prop, bounds in facet_bounds(compiled).items():
        spec = keys.by_prop.get(URIRef(prop))
        if spec is not None:
            out.setdefault(spec.key, set()).update(bounds)
    return {k: sorted(v) for k, v in sorted(out.items())}


def _random_value(rng: random.Random, spec: Any) -> Any:
    """A contract-conforming value of any key of the key table (its kind, allowed values, range)."""
    if spec.kind == "boolean":
        return rng.random() < 0.5
    if spec.kind == "enumeration":
        return rng.choice(list(spec.allowed)) if spec.allowed else None
    lo = int(spec.minimum) if spec.minimum is not None else 0
    hi = int(spec.maximum) if spec.maximum is not None else lo + 100
    if spec.kind == "days-or-none" and rng.random() < 0.3:
        return "none"
    if spec.kind == "number":
        return round(rng.uniform(lo, hi), 1)
    return rng.randint(lo, hi)


def put(sheet: dict[str, Any], dotted: str, value: Any) -> None:
    """Set a dotted case key (``signs.cyanosis``) in a sheet, making the groups on the way."""
    parts = dotted.split(".")
    target = sheet
    for p in parts[:-1]:
        if not isinstance(target.get(p), dict):
            target[p] = {}
        target = target[p]
    target[parts[-1]] = value


# limb keys whose random values would mostly contradict the imaging (the data conflicts of docs/case-format.md)
_CONFLICT_PRONE = {"codedPhlegmasia", "signs.cyanosis", "signs.limbIschaemia", "signs.venousGangrene",
                   "signs.compartmentSyndrome", "signs.pulses"}


def generate_cohort_case(i: int, keys: Any, thresholds: dict[str, list[Decimal]], seed: int = 20261202,
                         rare: float = 1.0) -> dict[str, Any]:
    """A casegen case pushed to the edges: every key of the key table at random, values on each facet
    bound and one step either side, unknown and absent legs, no legs, data conflicts, and a few cases
    that break the contract (an out-of-range value, an unknown key) so that the errors table is exercised.
    ``rare`` scales the rate of conflicts and violations (1.0: about 7% of the cases).
    """
    rng = random.Random(seed * 100003 + i)
    sheet = generate_case(i, seed)
    sheet["id"] = f"cohort-{i:07d}"
    for key, spec in sorted(keys.patient.items()):
        if rng.random() < 0.25:
            put(sheet, key, None if rng.random() < 0.3 else _random_value(rng, spec))
    for limb in list(sheet["limbs"].values()):
        for key, spec in sorted(keys.limb.items()):
            if key in _CONFLICT_PRONE:
                continue  # set below, at the conflict rate
            if rng.random() < 0.15:
                put(limb, key, None if rng.random() < 0.3 else _random_value(rng, spec))
    for key in rng.sample(sorted(thresholds), k=min(len(thresholds), rng.randint(0, 4))):
        spec = keys.patient.get(key)
        if spec is None:
            continue
        bound = rng.choice(thresholds[key])
        step = Decimal(1) if spec.kind in ("integer", "days-or-none") else Decimal("0.1")
        value = bound + rng.choice((-step, Decimal(0), step))
        if spec.minimum is not None and value < spec.minimum or spec.maximum is not None and value > spec.maximum:
            continue
        put(sheet, key, int(value) if spec.kind in ("integer", "days-or-none") else float(value))
    roll = rng.random()
    if roll < 0.05:
        sheet.pop("limbs")
    elif roll < 0.15:
        sheet["limbs"].pop("right", None)
        sheet["limbs"].setdefault("left", {})["veins"] = None
    elif roll < 0.25:
        side = rng.choice(["left", "right"])
        if side in sheet["limbs"]:
            sheet["limbs"][side]["veins"] = rng.choice([None, [], ["soleal"], ["common-femoral"], ["ivc", "popliteal"]])
    conflict = rng.random() / max(rare, 1e-9)
    if conflict < 0.02:
        sheet["sex"], sheet["pregnant"] = "male", True
    elif conflict < 0.04:
        sheet.setdefault("bleeding", {}).update(anticoagulationContraindication="none", activeBleeding=True)
    elif conflict < 0.05 and "left" in sheet.get("limbs", {}):
        sheet["limbs"]["left"].update(veins=["soleal"], signs={"cyanosis": True})
    elif conflict < 0.06:
        sheet["age"] = 130 if rng.random() < 0.5 else -1
    elif conflict < 0.065:
        sheet["unknownKey"] = True
    elif conflict < 0.07 and "left" in sheet.get("limbs", {}):
        sheet["limbs"]["left"].update(codedPhlegmasia=True, signs={"cyanosis": False, "pulses": "normal"})
    return sheet
