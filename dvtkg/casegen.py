"""Generate valid, varied case sheets (deterministic for a seed), for benchmarks and tests.

Every generated sheet conforms to the case-sheet contract; facts are left unknown at
random so that all four statuses occur.
"""

from __future__ import annotations

import random
from typing import Any

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
