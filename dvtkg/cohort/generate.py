"""Cohort cases generated column by column (numpy), straight into the flat Arrow form of frame.py.

``generate_cohort_table(start, n, keys, thresholds)`` is the column-wise twin of
``dvtkg.casegen.generate_cohort_case`` (which builds one sheet at a time and is kept for
tests and callers that want sheets): the same base distributions as ``generate_case``,
then every key of the key table at random (a quarter of the patient keys, a sixth of the
limb keys, three in ten of those set to null: unknown), values on each facet bound of the
TBox and one step either side (limb bounds too), unknown imaging (``veins`` null), one or no
leg, a stated "no coded phlegmasia" on some legs, the signs of limb threat on some legs with an
iliofemoral thrombus, and at ``rare`` times the base rate the data conflicts and contract violations of
``generate_cohort_case`` (male and pregnant, no contraindication with active bleeding, threat
signs without proximal thrombus, coded phlegmasia, age out of range, an unknown key).

Random values stay inside the contract (numbers are clipped to the key's range), so a case
breaks the contract only where a violation is meant. Deterministic for (seed, start, n).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np

from dvtkg.cases.keys import KeySpec, KeyTable
from dvtkg.cases.vocab import SIDES
from dvtkg.cohort.frame import columns

PROXIMAL = ("common-iliac", "external-iliac", "common-femoral", "femoral", "popliteal")
DISTAL = ("anterior-tibial", "posterior-tibial", "peroneal", "gastrocnemius", "soleal")
# the thrombus lists a leg can have: generate_case's four kinds, then the edge lists of generate_cohort_case
VEIN_LISTS: tuple[tuple[str, ...], ...] = (
    (),                                                   # 0: imaged, no thrombus
    *((d,) for d in DISTAL),                              # 1-5: one distal segment
    *((a, b) for a in DISTAL for b in DISTAL if a != b),  # 6-25: two distal segments
    ("femoral",), ("femoral", "popliteal"),               # 26, 27: femoropopliteal
    PROXIMAL, PROXIMAL[1:], PROXIMAL[2:],                 # 28-30: iliofemoral
    ("soleal",), ("common-femoral",), ("ivc", "popliteal"),  # 31-33: the edge lists
)
DISTAL_ONE, DISTAL_TWO, FEMPOP, ILIOFEM, EDGE = 1, 6, 26, 28, 31
# limb keys whose random values would mostly contradict the imaging (set only at the conflict rate)
CONFLICT_PRONE = {"codedPhlegmasia", "signs.cyanosis", "signs.limbIschaemia", "signs.venousGangrene",
                  "signs.compartmentSyndrome", "signs.pulses"}
P_UNKNOWN = 0.15


@dataclass
class Column:
    """One generated column: values (bool, int64, float64, or int codes into ``allowed``) and which are known."""

    kind: str
    values: np.ndarray
    known: np.ndarray
    allowed: tuple[str, ...] = ()

    def put(self, rows: np.ndarray, values: Any, known: Any = True) -> None:
        """Set the rows selected by the mask ``rows`` (values broadcast or one per selected row)."""
        self.values[rows] = values
        self.known[rows] = known


def _empty(kind: str, n: int, allowed: tuple[str, ...] = ()) -> Column:
    dtype = {"boolean": bool, "number": np.float64}.get(kind, np.int64)
    return Column(kind, np.zeros(n, dtype=dtype), np.zeros(n, dtype=bool), allowed)


class _Gen:
    """The generator state of one chunk: its random stream and its columns."""

    def __init__(self, start: int, n: int, keys: KeyTable, seed: int) -> None:
        self.rng = np.random.default_rng(np.random.SeedSequence([seed, start]))
        self.n = n
        self.keys = keys
        self.cols: dict[str, Column] = {}
        for key, spec in keys.patient.items():
            self.cols[key] = _empty(spec.kind, n, spec.allowed)
        for side in SIDES:
            for key, spec in keys.limb.items():
                self.cols[f"limbs.{side}.{key}"] = _empty(spec.kind, n, spec.allowed)
        self.given = {s: np.zeros(n, dtype=bool) for s in SIDES}
        self.veins = {s: np.zeros(n, dtype=np.int64) for s in SIDES}     # index into VEIN_LISTS
        self.veins_known = {s: np.ones(n, dtype=bool) for s in SIDES}   # False: "veins": null
        self.extra = np.zeros(n, dtype=bool)                               # the unknown key

    def rand(self) -> np.ndarray:
        return self.rng.random(self.n)

    def maybe(self, key: str, values: Any, rows: np.ndarray | None = None, p_unknown: float = P_UNKNOWN) -> None:
        """casegen's ``_maybe``: the value, or null (unknown) with probability ``p_unknown``."""
        rows = np.ones(self.n, dtype=bool) if rows is None else rows
        values = np.broadcast_to(np.asarray(values), (self.n,))
        col = self.cols[key]
        col.values[rows] = values[rows]
        col.known[rows] = (self.rand() >= p_unknown)[rows]

    def enum(self, key: str, choices: tuple[str, ...]) -> np.ndarray:
        """Codes (into the key's allowed values) of a uniform choice among ``choices``."""
        allowed = self.cols[key].allowed
        return np.array([allowed.index(c) for c in choices])[self.rng.integers(0, len(choices), self.n)]

    def ints(self, lo: int, hi: int) -> np.ndarray:
        """Uniform integers in [lo, hi], as ``random.randint``."""
        return self.rng.integers(lo, hi + 1, self.n)


def _base_patient(g: _Gen) -> None:
    """``generate_case``'s patient facts (each unknown with probability 0.15 where it says ``_maybe``)."""
    n, rand = g.n, g.rand
    female = rand() < 0.5
    g.cols["sex"].put(np.ones(n, dtype=bool), np.where(female, g.cols["sex"].allowed.index("female"),
                                                        g.cols["sex"].allowed.index("male")))
    pregnant = female & (rand() < 0.15)
    g.maybe("pregnant", pregnant)
    g.cols["gestationWeeks"].put(pregnant, g.ints(8, 38)[pregnant])
    g.cols["age"].put(np.ones(n, dtype=bool), g.ints(18, 95))
    g.cols["weightKg"].put(np.ones(n, dtype=bool), g.ints(40, 140).astype(np.float64))
    g.maybe("pe.present", rand() < 0.2)
    g.maybe("pe.haemodynamicCompromise", False)
    g.maybe("pe.systolicBpMmHg", g.ints(80, 170).astype(np.float64))
    g.maybe("labs.crclMlMin", np.round(g.rng.uniform(10, 130, n), 1))
    g.maybe("labs.plateletsE9PerL", g.ints(15, 400).astype(np.float64))
    g.maybe("conditions.activeCancer", rand() < 0.2)
    g.maybe("conditions.luminalGiCancer", False)
    g.maybe("conditions.antiphospholipidSyndrome", rand() < 0.05)
    g.maybe("conditions.liverDisease", g.enum("conditions.liverDisease", ("none", "mild", "moderate", "severe")))
    g.maybe("conditions.significantCardiopulmonaryDisease", rand() < 0.1)
    g.maybe("conditions.suspectedHit", False)
    g.maybe("conditions.majorComorbidity", rand() < 0.2)
    g.maybe("bleeding.activeBleeding", rand() < 0.1)
    g.maybe("bleeding.bleedingRisk", g.enum("bleeding.bleedingRisk", ("low", "moderate", "high")))
    g.maybe("bleeding.anticoagulationContraindication",
            g.enum("bleeding.anticoagulationContraindication", ("none", "none", "relative", "absolute")))
    # days-or-none: -1 stands for "none"
    g.maybe("bleeding.intracranialEventDaysAgo", np.where(rand() < 2 / 3, -1, g.ints(1, 400)))
    for key in ("bleeding.priorIntracranialHaemorrhage", "bleeding.structuralIntracranialDisease",
                "bleeding.bleedingDiathesis", "bleeding.uncontrolledHypertension"):
        g.maybe(key, False)
    g.maybe("bleeding.majorSurgeryDaysAgo", np.where(rand() < 0.5, -1, g.ints(1, 60)))
    g.maybe("bleeding.majorGiBleedDaysAgo", -1)
    g.maybe("provoking", g.enum("provoking", ("major-transient", "minor-transient", "persistent", "unprovoked")))
    g.maybe("course.vteDaysAgo", g.ints(0, 60))
    for key in ("course.onTherapeuticAnticoagulation", "course.rapidExtensionDespiteAnticoagulation",
                "course.deteriorationDespiteAnticoagulation", "course.thrombusRemovalDone",
                "course.recurrentUnprovoked"):
        g.maybe(key, False)
    g.maybe("course.thrombusRemovalConsidered", rand() < 0.3)
    g.maybe("setting.endovascularThrombolysisAvailable", rand() < 0.7)
    g.maybe("setting.supportAtHome", True)
    g.maybe("setting.scanResultWithinHours", np.array([1.0, 2.0, 6.0, 24.0])[g.rng.integers(0, 4, n)])
    g.maybe("setting.functionalStatus", g.cols["setting.functionalStatus"].allowed.index("good"))
    g.maybe("setting.lifeExpectancyYears", g.ints(1, 30).astype(np.float64))


def _base_limb(g: _Gen, side: str, rows: np.ndarray) -> None:
    """``generate_case``'s ``_limb`` for the legs given in ``rows``."""
    n, rand = g.n, g.rand
    g.given[side] |= rows
    kind = g.rng.integers(0, 4, n)  # none, distal, femoropopliteal, iliofemoral
    two = rand() < 0.5
    veins = np.zeros(n, dtype=np.int64)
    veins = np.where(kind == 1, np.where(two, DISTAL_TWO + g.rng.integers(0, 20, n),
                                         DISTAL_ONE + g.rng.integers(0, 5, n)), veins)
    veins = np.where(kind == 2, FEMPOP + g.rng.integers(0, 2, n), veins)
    veins = np.where(kind == 3, ILIOFEM + g.rng.integers(0, 3, n), veins)
    g.veins[side] = np.where(rows, veins, g.veins[side])
    threat = (kind == 3) & (rand() < 0.3)
    p = f"limbs.{side}."
    g.maybe(p + "occlusive", rand() < 0.6, rows)
    g.maybe(p + "symptomDays", g.ints(0, 40), rows)
    g.maybe(p + "symptomatic", kind != 0, rows)
    g.maybe(p + "signs.cyanosis", threat, rows)
    g.maybe(p + "signs.entireLimbSwelling", threat | (rand() < 0.3), rows)
    g.maybe(p + "signs.severePain", threat, rows)
    # not in generate_case: a threatened leg (iliofemoral thrombus, so no data conflict) sometimes has the
    # signs of limb threat too, so that each is true somewhere, as well as false and unknown
    for key in ("signs.limbIschaemia", "signs.venousGangrene", "signs.compartmentSyndrome"):
        g.maybe(p + key, threat & (rand() < 0.3), rows)
    pulses = g.cols[p + "signs.pulses"].allowed
    g.maybe(p + "signs.pulses", np.where(threat, np.where(rand() < 0.3, pulses.index("absent"),
                                                          pulses.index("diminished")), pulses.index("normal")), rows)
    # not in generate_case: a stated "no coded phlegmasia" (15% of legs), so that the key is known false as
    # well as true (the conflict below) and unknown
    g.maybe(p + "codedPhlegmasia", False, rows, p_unknown=0.85)


def _random_values(g: _Gen, spec: KeySpec) -> np.ndarray:
    """casegen's ``_random_value`` for every row: a value of the key's kind inside its range."""
    n = g.n
    if spec.kind == "boolean":
        return g.rand() < 0.5
    if spec.kind == "enumeration":
        return g.rng.integers(0, max(1, len(spec.allowed)), n)
    lo = int(spec.minimum) if spec.minimum is not None else 0
    hi = int(spec.maximum) if spec.maximum is not None else lo + 100
    if spec.kind == "number":
        x = np.round(g.rng.uniform(lo, hi, n), 1)
        return np.clip(x, float(spec.minimum) if spec.minimum is not None else -np.inf,
                       float(spec.maximum) if spec.maximum is not None else np.inf)
    x = g.ints(lo, hi)
    if spec.kind == "days-or-none":
        x = np.where(g.rand() < 0.3, -1, x)
    return x


def _override(g: _Gen, name: str, spec: KeySpec, rows: np.ndarray, p: float) -> None:
    """With probability p (among ``rows``): null (3 in 10) or a random value of the key."""
    hit = rows & (g.rand() < p)
    col = g.cols[name]
    col.values[hit] = _random_values(g, spec)[hit]
    col.known[hit] = (g.rand() >= 0.3)[hit]


def _thresholds(g: _Gen, keys: KeyTable, thresholds: dict[str, list[Decimal]]) -> None:
    """Values on a facet bound of the TBox or one step either side (about two keys per case)."""
    p = 2 / max(1, len(thresholds))
    for key, bounds in sorted(thresholds.items()):
        if key.startswith("limbs.{limb}."):
            spec = keys.limb.get(key[len("limbs.{limb}."):])
            side = np.where(g.rand() < 0.5, 0, 1)
            targets = [(f"limbs.{s}.{key[len('limbs.{limb}.'):]}", (side == i) & g.given[s])
                       for i, s in enumerate(SIDES)]
        else:
            spec = keys.patient.get(key)
            targets = [(key, np.ones(g.n, dtype=bool))]
        if spec is None:
            continue
        step = Decimal(1) if spec.kind in ("integer", "days-or-none") else Decimal("0.1")
        values = [b + d for b in bounds for d in (-step, Decimal(0), step)
                  if not (spec.minimum is not None and b + d < spec.minimum
                          or spec.maximum is not None and b + d > spec.maximum)]
        if not values:
            continue
        table = np.array([int(v) if spec.kind != "number" else float(v) for v in values])
        picked = table[g.rng.integers(0, len(table), g.n)]
        hit = g.rand() < p
        for name, rows in targets:
            g.cols[name].put(hit & rows, picked[hit & rows])


def _legs(g: _Gen) -> None:
    """No legs (5%), the left leg with unknown imaging (10%), one leg's list from the edge lists (10%)."""
    roll = g.rand()
    none = roll < 0.05
    for side in SIDES:
        g.given[side] &= ~none
    left_unknown = (roll >= 0.05) & (roll < 0.15)
    g.given["right"] &= ~left_unknown
    g.veins_known["left"] &= ~left_unknown
    edge = (roll >= 0.15) & (roll < 0.25)
    right = g.rand() < 0.5
    pick = g.rng.integers(0, 5, g.n)  # None, [], soleal, common-femoral, ivc + popliteal
    for side, on in (("left", ~right), ("right", right)):
        rows = edge & on & g.given[side]
        g.veins_known[side] = np.where(rows, pick != 0, g.veins_known[side])
        g.veins[side] = np.where(rows & (pick == 1), 0, g.veins[side])
        g.veins[side] = np.where(rows & (pick >= 2), EDGE + pick - 2, g.veins[side])
    for side in SIDES:  # a leg not given has no facts
        for key in g.keys.limb:
            g.cols[f"limbs.{side}.{key}"].known &= g.given[side]


def _rare(g: _Gen, rare: float) -> None:
    """The data conflicts and contract violations of ``generate_cohort_case``, at ``rare`` times its rate."""
    c = g.rand() / max(rare, 1e-9)
    cols = g.cols
    male_pregnant = c < 0.02
    cols["sex"].put(male_pregnant, cols["sex"].allowed.index("male"))
    cols["pregnant"].put(male_pregnant, True)
    none_bleeding = (c >= 0.02) & (c < 0.04)
    cols["bleeding.anticoagulationContraindication"].put(
        none_bleeding, cols["bleeding.anticoagulationContraindication"].allowed.index("none"))
    cols["bleeding.activeBleeding"].put(none_bleeding, True)
    left = g.given["left"]
    signs = [k for k in g.keys.limb if k.startswith("signs.")]
    threat = (c >= 0.04) & (c < 0.05) & left     # threat signs, distal thrombus only
    g.veins["left"][threat] = EDGE
    g.veins_known["left"][threat] = True
    for k in signs:
        cols[f"limbs.left.{k}"].known[threat] = False
    cols["limbs.left.signs.cyanosis"].put(threat, True)
    age = (c >= 0.05) & (c < 0.06) & ~threat
    cols["age"].put(age, np.where(g.rand() < 0.5, 130, -1)[age])
    g.extra = (c >= 0.06) & (c < 0.065)
    # coded phlegmasia with signs that deny it, on the left leg or (half the time, when given) the right
    phlegmasia = (c >= 0.065) & (c < 0.07) & (left | g.given["right"])
    on_right = g.given["right"] & ((g.rand() < 0.5) | ~left)
    for side, rows in (("left", phlegmasia & ~on_right), ("right", phlegmasia & on_right)):
        for k in signs:
            cols[f"limbs.{side}.{k}"].known[rows] = False
        cols[f"limbs.{side}.codedPhlegmasia"].put(rows, True)
        cols[f"limbs.{side}.signs.cyanosis"].put(rows, False)
        cols[f"limbs.{side}.signs.pulses"].put(rows, cols[f"limbs.{side}.signs.pulses"].allowed.index("normal"))


def _arrow(col: Column) -> Any:
    import pyarrow as pa

    mask = ~col.known
    if col.kind == "boolean":
        return pa.array(col.values, type=pa.bool_(), mask=mask)
    if col.kind == "integer":
        return pa.array(col.values, type=pa.int64(), mask=mask)
    if col.kind == "number":
        return pa.array(col.values, type=pa.float64(), mask=mask)
    if col.kind == "enumeration":
        codes = pa.array(col.values.astype(np.int32), type=pa.int32(), mask=mask)
        return pa.DictionaryArray.from_arrays(codes, pa.array(list(col.allowed), pa.string())).cast(pa.string())
    # days-or-none: text, "none" for -1 (frame.py: one Parquet column has one type)
    uniq, inverse = np.unique(col.values, return_inverse=True)
    names = pa.array(["none" if u < 0 else str(int(u)) for u in uniq], pa.string())
    codes = pa.array(inverse.reshape(-1).astype(np.int32), type=pa.int32(), mask=mask)
    return pa.DictionaryArray.from_arrays(codes, names).cast(pa.string())


def _vein_array(index: np.ndarray, known: np.ndarray) -> Any:
    import pyarrow as pa

    lists = pa.array([list(v) for v in VEIN_LISTS] + [None], type=pa.list_(pa.string()))
    return lists.take(pa.array(np.where(known, index, len(VEIN_LISTS)).astype(np.int32)))


def generate_cohort_table(start: int, n: int, keys: KeyTable, thresholds: dict[str, list[Decimal]],
                          seed: int = 20261202, rare: float = 1.0) -> Any:
    """Cases ``start`` .. ``start + n - 1`` as an Arrow table of frame.py's columns (ids ``cohort-0000042``)."""
    import pyarrow as pa

    g = _Gen(start, n, keys, seed)
    _base_patient(g)
    _base_limb(g, "left", np.ones(n, dtype=bool))
    _base_limb(g, "right", g.rand() < 0.7)
    for key, spec in sorted(keys.patient.items()):
        _override(g, key, spec, np.ones(n, dtype=bool), 0.25)
    for side in SIDES:
        for key, spec in sorted(keys.limb.items()):
            if key not in CONFLICT_PRONE:
                _override(g, f"limbs.{side}.{key}", spec, g.given[side], 0.15)
    _thresholds(g, keys, thresholds)
    _legs(g)
    _rare(g, rare)
    ids = np.char.add("cohort-", np.char.zfill(np.arange(start, start + n).astype(str), 7))
    arrays: dict[str, Any] = {}
    for name in columns(keys):
        if name == "id":
            arrays[name] = pa.array(ids.astype(object), pa.string())
        elif name in g.cols:
            arrays[name] = _arrow(g.cols[name])
        elif name.endswith(".given"):
            arrays[name] = pa.array(g.given[name.split(".")[1]], pa.bool_())
        elif name.endswith(".veins"):
            side = name.split(".")[1]
            arrays[name] = _vein_array(g.veins[side], g.veins_known[side] & g.given[side])
        elif name == "extra":
            arrays[name] = pa.array(['{"unknownKey": true}' if x else None for x in g.extra.tolist()], pa.string())
        else:  # codes, notes: never generated
            arrays[name] = pa.nulls(n, pa.string())
    return pa.table(arrays)
