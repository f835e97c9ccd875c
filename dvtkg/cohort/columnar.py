"""The compiled engine over many cases at once: one numpy column per class, criterion and statement.

Generated at start-up from the same artefacts as ``Assessor(engine="fast")``: the
compiled TBox (``dvtkg.fast``: each defined class's definitions, in definition order)
and the compiled guidance tables (``dvtkg.guidance.compiled``: statements, roles,
options, contraindications, guidance-dependent criteria, conflict candidates). No
criterion or rule is written here; this module only says how each construct of the
supported fragment is evaluated over columns:

- ``value p lit`` and ``p some <data range>``: decided once per distinct value of the
  column with the scalar engine's own exact tests (``Reasoner.value``, ``in_range``:
  Fractions, never floats), then broadcast;
- ``and`` / ``or``: element-wise; a named class: its column;
- ``some hasLimb C`` / ``only hasLimb C``: over the legs given (``only`` needs at least one
  leg: the patient is closed to the legs given, decision rule 4, and they are different);
  ``some limbOf C``: the patient's column;
- ``some`` / ``only`` ``hasThrombusIn``: decided once per distinct thrombus list (closed or
  open) by the scalar reasoner on that limb alone, then broadcast.

A case the columns cannot decide exactly goes to the single-case path
(``needs_single``): a value outside the contract (the single path then names the key
and rule), coded diagnoses, a coded phlegmasia, two told-disjoint classes (an
inconsistency to explain), or a key the flat form cannot carry. The other data conflicts
(patient-level ones, limb-threat signs on a leg without proximal thrombus) are acted on in
the columns as the single path does (``drop_contradicted``). ``tests/test_cohort.py``
proves the rows equal to the single-case path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from functools import partial
from typing import Any, Callable

import numpy as np
from rdflib import URIRef

from dvtkg.cases.derive import cockcroft_gault
from dvtkg.cases.keys import KeySpec
from dvtkg.cases.sheet import _literal
from dvtkg.cases.vocab import DVT, SIDES
from dvtkg.fast.compile import NOTHING, THING, Expr
from dvtkg.fast.entail import CaseFacts, Inconsistent, Reasoner, _State
from dvtkg.guidance.compiled import CompiledGuidance
from dvtkg.guidance.engine import MAX_PASSES

UNKNOWN, MET, NOT_MET, CONFLICT = 0, 1, 2, 3
STATUSES = ("applies", "blocked", "indeterminate", "not-applicable")
APPLIES, BLOCKED, INDETERMINATE, NOT_APPLICABLE = range(4)
# subjects: 0 = the patient, 1 = the left leg, 2 = the right leg
KINDS = ("patient", *SIDES)
HAS_LIMB, LIMB_OF, THROMBUS = str(DVT.hasLimb), str(DVT.limbOf), str(DVT.hasThrombusIn)
PATIENT, LIMB = str(DVT.Patient), str(DVT.Limb)
PROXIMAL = {"ivc", "common-iliac", "external-iliac", "internal-iliac", "common-femoral", "femoral", "deep-femoral",
            "popliteal"}
THREAT = (("signs.cyanosis", True), ("signs.limbIschaemia", True), ("signs.venousGangrene", True),
          ("signs.compartmentSyndrome", True), ("signs.pulses", "absent"))


_XSD_INTEGER = "http://www.w3.org/2001/XMLSchema#integer"
_DECIMAL_OR_INTEGER = {"http://www.w3.org/2001/XMLSchema#decimal", _XSD_INTEGER}


class Unsupported(Exception):
    """The compiled TBox uses a construct the column-wise form does not evaluate (refused at start-up)."""


@dataclass
class Batch:
    """One partition of cases as columns (object arrays of the sheets' JSON values)."""

    n: int
    col: Callable[[str], np.ndarray]
    given: dict[str, np.ndarray]
    veins: dict[str, np.ndarray]  # per side: tuple of vein names | None (imaging unknown)
    # (codes, distinct values) of a column, when the source has them already (Arrow's dictionary encoding)
    coded: Callable[[str], tuple[np.ndarray, list[Any]]] | None = None
    # per side, (codes, distinct thrombus lists) of ``veins``, when the source has them already
    vein_codes: dict[str, tuple[np.ndarray, list[Any]]] | None = None

    def values(self, name: str) -> tuple[np.ndarray, list[Any]]:
        """(codes, distinct values) of a column (``_values_of`` unless the source encoded it)."""
        return self.coded(name) if self.coded is not None else _values_of(self.col(name))


@dataclass
class Result:
    """What the columns decided for a partition."""

    single: np.ndarray                          # bool per case: left to the single-case path
    status: dict[tuple[int, int], np.ndarray]   # (statement index, subject slot) -> status code per case
    present: dict[tuple[int, int], np.ndarray]  # does the row exist for the case
    missing: dict[tuple[int, int], np.ndarray]  # (cases x words) missing-key masks (ColumnEngine.decode_keys)
    blocked_by: dict[tuple[int, int], tuple[np.ndarray, list[str]]]  # bits per case over the row's criteria
    # (the cases, as indices, statement a, statement b, kind, limb) per pair of applicable statements
    conflicts: list[tuple[np.ndarray, str, str, str, str | None]] = field(default_factory=list)


def _values_of(col: np.ndarray | list[Any]) -> tuple[np.ndarray, list[Any]]:
    """(codes, distinct values) of an object column (or list); booleans kept apart from 0/1, lists by content."""
    index: dict[tuple, int] = {}
    uniques: list[Any] = []
    codes = np.empty(len(col), dtype=np.int32)
    for i, v in enumerate(col):
        k = (type(v), tuple(v) if isinstance(v, list) else v) if v is not None else (None, None)
        j = index.get(k)
        if j is None:
            j = index[k] = len(uniques)
            uniques.append(v)
        codes[i] = j
    return codes, uniques


class ColumnEngine:
    """The compiled classifier and guidance tables, evaluated over a Batch."""

    def __init__(self, assessor: Any) -> None:
        kb = assessor.kb
        if assessor.fast is None or assessor.compiled is None:
            raise ValueError("the column-wise engine is built from Assessor(engine='fast')")
        self.kb = kb
        self.keys = kb.keys
        self.tbox_hash = assessor.fast.tbox_hash
        self.compiled = assessor.fast.compiled
        self.reasoner: Reasoner = Reasoner(self.compiled)
        self.guidance: CompiledGuidance = assessor.compiled
        self.order = self.reasoner.order
        self.spec_by_prop: dict[str, KeySpec] = {str(p): s for p, s in self.keys.by_prop.items()}
        self.seg_class = {str(v).rsplit("vein-", 1)[-1]: str(c) for v, c in kb.segment_classes.items()}
        self._vein_cache: dict[tuple | None, dict[Expr, bool] | None] = {}
        # this engine's own memory across partitions (a worker assesses many): every distinct value a column
        # has shown, converted once to its value-space value, and each test on it computed once
        self._spaces: dict[Any, tuple[dict[tuple[type, Any], int], list[Any]]] = {}
        self._tests: dict[tuple[Any, Any], np.ndarray] = {}
        self._float_cache: dict[Any, np.ndarray] = {}
        self._decoded: dict[bytes, list[str]] = {}
        self._cg: dict[tuple[Any, ...], Any] = {}   # Cockcroft-Gault inputs -> the derived CrCl value
        self._check_fragment()
        # the named classes each defined class's definitions read (their columns, on any subject)
        self._named = {cls: {n for body in self.compiled.definitions[cls] for n in _named_in(body)}
                       for cls in self.order}
        self._prepare_guidance()

    # ----- the fragment

    def _check_fragment(self) -> None:
        def walk(e: Expr, where: str) -> None:
            if isinstance(e, str):
                return
            op = e[0]
            if op in ("and", "or"):
                for x in e[1]:
                    walk(x, where)
            elif op in ("some", "all"):
                if e[1] not in (HAS_LIMB, LIMB_OF, THROMBUS):
                    raise Unsupported(f"{where}: {op} on {e[1]}")
                if e[1] != THROMBUS:
                    walk(e[2], where)
            elif op not in ("value", "dsome"):
                raise Unsupported(f"{where}: {op} outside a thrombus restriction")
        for cls in self.order:
            for body in self.compiled.definitions[cls]:
                walk(body, cls)

    # ----- values

    def _lit_value(self, spec: KeySpec, prop: str, v: Any) -> Any:
        """The value-space value of a sheet value as the case graph holds it (None: no triple)."""
        if v is None:
            return None
        if spec.flag_prop is not None and str(spec.flag_prop) == prop:
            if v == "none":
                return self.reasoner.value(("false", "http://www.w3.org/2001/XMLSchema#boolean", ""))
            return self.reasoner.value(("true", "http://www.w3.org/2001/XMLSchema#boolean", ""))
        if spec.kind == "days-or-none" and v == "none":
            return None
        lit = _literal(spec, v)
        # a sheet value is never language-tagged: the lean fact store's Lit has a datatype only
        return self.reasoner.value((lit.lexical, lit.datatype, ""))

    def _gids(self, name: Any, codes: np.ndarray, uniques: list[Any], convert: Callable[[Any], Any]) -> np.ndarray:
        """Each row's id in the space ``name`` (this engine's distinct values of a column, across partitions);
        a value not seen before is converted (``convert``) once and kept."""
        found = self._row_gids.get(name)
        if found is not None:
            return found
        index, values = self._spaces.setdefault(name, ({}, []))
        ids = np.empty(len(uniques), dtype=np.int64)
        for j, u in enumerate(uniques):
            k = (type(u), u)
            g = index.get(k)
            if g is None:
                g = index[k] = len(values)
                values.append(convert(u))
            ids[j] = g
        out = self._row_gids[name] = ids[codes] if len(uniques) else np.zeros(len(codes), dtype=np.int64)
        return out

    def _test(self, name: Any, test: Any, fn: Callable[[Any], bool]) -> np.ndarray:
        """The table (by id in the space ``name``) of a test on its values, extended to the values new to it."""
        values = self._spaces[name][1]
        table = self._tests.get((name, test))
        if table is None or len(table) < len(values):
            done = 0 if table is None else len(table)
            new = self._facet_test(name, test, done)
            if new is None:
                new = np.fromiter((fn(v) for v in values[done:]), dtype=bool, count=len(values) - done)
            table = self._tests[(name, test)] = new if table is None else np.concatenate([table, new])
        return table

    def _facet_test(self, name: Any, test: Any, done: int) -> np.ndarray | None:
        """``p some <decimal or integer with facets>`` on the values from ``done`` on, through floats where a
        float comparison decides exactly (a value's float on the same side of the bound's float as the value
        is of the bound) and exactly (``Reasoner.in_range``) where the floats tie; None for other tests."""
        if not (isinstance(test, tuple) and test[0] == "dsome" and test[2][0] == "facet"
                and test[2][1] in _DECIMAL_OR_INTEGER):
            return None
        dr = test[2]
        values = self._spaces[name][1][done:]
        nums = self._floats(name)[done:]
        ok = ~np.isnan(nums)
        tie = np.zeros(len(values), dtype=bool)
        for facet, lexical in dr[2]:
            bound = Fraction(lexical)
            fb = float(bound)
            rel = facet.rsplit("#", 1)[1]
            if rel == "minInclusive":
                ok &= nums >= fb
            elif rel == "maxInclusive":
                ok &= nums <= fb
            elif rel == "minExclusive":
                ok &= nums > fb
            elif rel == "maxExclusive":
                ok &= nums < fb
            else:
                return None
            tie |= nums == fb
        if dr[1] == _XSD_INTEGER:
            tie |= ok   # integral or not: decided exactly
        for i in np.nonzero(tie)[0].tolist():
            v = values[i]
            ok[i] = v is not None and self.reasoner.in_range(dr, v)
        return ok

    def _floats(self, name: Any) -> np.ndarray:
        """The float of each numeric value of a space (NaN for the others), extended as the space grows."""
        values = self._spaces[name][1]
        have = self._float_cache.get(name)
        if have is None or len(have) < len(values):
            done = 0 if have is None else len(have)
            new = np.array([float(v[1]) if isinstance(v, tuple) and v[0] == "num" else np.nan
                            for v in values[done:]], dtype=np.float64)
            have = self._float_cache[name] = new if have is None else np.concatenate([have, new])
        return have

    def _lookup(self, name: Any, codes: np.ndarray, uniques: list[Any], convert: Callable[[Any], Any],
                test: Any, fn: Callable[[Any], bool]) -> np.ndarray:
        """Per row: ``fn`` of its converted value (each distinct value converted and tested once per engine)."""
        gids = self._gids(name, codes, uniques, convert)
        return self._test(name, test, fn)[gids]

    def _data(self, b: Batch, kind: int, e: Expr) -> np.ndarray:
        p = e[1]
        found = self._derived.get((kind, p))
        if found is None:
            spec = self.spec_by_prop.get(p)
            if spec is None or spec.limb_level != (kind != 0):
                return np.zeros(b.n, dtype=bool)
            key = spec.key if kind == 0 else f"limbs.{KINDS[kind]}.{spec.key.split('.', 2)[2]}"
            codes, uniques = self._cols[key]
            name: Any = (key, p)
            convert: Callable[[Any], Any] = partial(self._lit_value, spec, p)
        else:
            codes, uniques, convert = found
            name = ("derived", kind, p)
        if e[0] == "value":
            target = self.reasoner.value(e[2])

            def fn(v: Any) -> bool:
                return v is not None and v == target
        else:
            def fn(v: Any) -> bool:
                return v is not None and self.reasoner.in_range(e[2], v)
        return self._lookup(name, codes, uniques, convert, e, fn)

    # ----- thrombus lists

    def _vein_state(self, state: tuple | None, exprs: list[Expr]) -> dict[Expr, bool] | None:
        """Each thrombus expression for a limb with this list (None = open), by the scalar reasoner."""
        if state in self._vein_cache:
            return self._vein_cache[state]
        facts = CaseFacts(individuals=["L"], types={"L": {LIMB}})
        opened = state is not None and len(state) == 2 and state[0] == "open" and isinstance(state[1], tuple)
        listed = state[1] if opened else state   # type: ignore[index]
        segs = sorted({self.seg_class[v] for v in (listed or ()) if v in self.seg_class})
        facts.exprs["L"] = [("some", THROMBUS, s) for s in segs]
        if state is not None and not opened:
            filler: Expr = NOTHING if not segs else segs[0] if len(segs) == 1 else ("or", tuple(segs))
            facts.exprs["L"].append(("all", THROMBUS, filler))
        r = self.reasoner
        st = _State()
        st.nodes["L"] = _node()
        for e in facts.exprs["L"]:
            st.queue.append(("L", e, None))
        st.queue.append(("L", LIMB, None))
        st.facts = facts
        try:
            cases = r._cases(st, 0)
        except Inconsistent:
            cases = []
        out = None if not cases else {e: all(r.holds(c, "L", e) for c in cases) for e in exprs}
        self._vein_cache[state] = out
        return out

    # ----- classification

    def _holds(self, b: Batch, kind: int, e: Expr, types: list[dict[str, np.ndarray]]) -> np.ndarray:
        if isinstance(e, str):
            if e == THING:
                return self._exists[kind]
            return types[kind].get(e, self._false)
        op = e[0]
        if op == "and":
            out = self._holds(b, kind, e[1][0], types)
            for x in e[1][1:]:
                if not out.any():
                    break
                out = out & self._holds(b, kind, x, types)
            return out
        if op == "or":
            out = self._holds(b, kind, e[1][0], types)
            for x in e[1][1:]:
                out = out | self._holds(b, kind, x, types)
            return out
        if op in ("value", "dsome"):
            key = (kind, e)
            if key not in self._data_cache:
                self._data_cache[key] = self._data(b, kind, e) & self._exists[kind]
            return self._data_cache[key]
        p = e[1]
        if p == HAS_LIMB:
            if kind != 0:
                return self._false
            legs = [self._holds(b, k, e[2], types) & b.given[KINDS[k]] for k in (1, 2)]
            if op == "some":
                return legs[0] | legs[1]
            anyleg = b.given["left"] | b.given["right"]
            every = (legs[0] | ~b.given["left"]) & (legs[1] | ~b.given["right"])
            return anyleg & every | self._anon_all(HAS_LIMB, e[2])
        if p == LIMB_OF:
            if kind == 0:
                return self._false
            return self._holds(b, 0, e[2], types) & b.given[KINDS[kind]]
        if kind == 0:
            return self._false
        key = (kind, e)
        if key not in self._data_cache:
            codes, states = self._veins[kind]
            table = np.array([isinstance(s, dict) and bool(s[e]) for s in states], dtype=bool)
            self._data_cache[key] = table[codes] & b.given[KINDS[kind]]
        return self._data_cache[key]

    def _anon_all(self, p: str, filler: Expr) -> bool:
        r = self.reasoner
        return bool(r._anon_holds(p, frozenset(r._successor_types(p)), filler))

    def classify(self, b: Batch) -> tuple[list[dict[str, np.ndarray]], np.ndarray]:
        """Per subject kind, the entailed classes' columns; and the cases to leave to the single path."""
        self._false = np.zeros(b.n, dtype=bool)
        self._exists = [np.ones(b.n, dtype=bool), b.given["left"], b.given["right"]]
        self._data_cache: dict[tuple, np.ndarray] = {}
        self._lit_cache: dict[tuple[str, str], list[Any]] = {}  # (column, property) -> each distinct value's
        thrombus_exprs = sorted({e for c in self.order for body in self.compiled.definitions[c]
                                 for e in _restrictions(body, THROMBUS)}, key=repr)
        self._veins = {}
        single = np.zeros(b.n, dtype=bool)
        for k in (1, 2):
            codes, uniques = self._vein_codes(b)[KINDS[k]]
            states = []
            for u in uniques:
                s = self._vein_state(u, thrombus_exprs) if u is not _BAD else None
                states.append(_BAD if (u is _BAD or (s is None)) else s)
            bad = np.array([s is _BAD for s in states], dtype=bool)
            single |= bad[codes] & b.given[KINDS[k]]
            self._veins[k] = (codes, states)
        types: list[dict[str, np.ndarray]] = [{}, {}, {}]
        for k, base in ((0, PATIENT), (1, LIMB), (2, LIMB)):
            for anc in self.reasoner.ancestors(base):
                types[k][anc] = self._exists[k].copy()
        # passes in definition order until nothing changes; a class is evaluated again only when a class its
        # definitions name (on any subject) has changed since it was last evaluated (the rest is constant)
        step = 0
        changed_at: dict[str, int] = {}
        evaluated_at: dict[str, int] = {}
        for _ in range(4):
            changed = False
            for cls in self.order:
                step += 1
                last = evaluated_at.get(cls)
                if last is not None and not any(changed_at.get(d, 0) > last for d in self._named[cls]):
                    continue
                evaluated_at[cls] = step
                for k in range(3):
                    cur = types[k].get(cls, self._false)
                    new = cur.copy()
                    for body in self.compiled.definitions[cls]:
                        new |= self._holds(b, k, body, types)
                    if (new != cur).any():
                        changed = True
                        for anc in self.reasoner.ancestors(cls):
                            old = types[k].get(anc, self._false)
                            if anc == cls or (new & ~old).any():
                                types[k][anc] = old | new
                                changed_at[anc] = step
            if not changed:
                break
        else:
            raise Unsupported("the column-wise classification did not reach a fixpoint")
        for k in range(3):
            for a, others in self.reasoner.disjoint.items():
                if a not in types[k]:
                    continue
                for o in others:
                    if o in types[k]:
                        single |= types[k][a] & types[k][o]
        return types, single

    # ----- the batch: validation screen, derived facts, data-conflict screen

    def _where(self, codes: np.ndarray, uniques: list[Any], pred: Callable[[Any], bool]) -> np.ndarray:
        """Per row: ``pred`` of its value, computed once per distinct value."""
        if not len(uniques):
            return np.zeros(len(codes), dtype=bool)
        return np.fromiter((pred(u) for u in uniques), dtype=bool, count=len(uniques))[codes]

    def _is(self, b: Batch, name: str, pred: Callable[[Any], bool]) -> np.ndarray:
        codes, uniques = self._cols[name] if name in self._cols else b.values(name)
        return self._where(codes, uniques, pred)

    def screen(self, b: Batch) -> np.ndarray:
        """Cases the columns leave to the single-case path (see the module docstring)."""
        self._row_gids: dict[Any, np.ndarray] = {}
        self._cols: dict[str, tuple[np.ndarray, list[Any]]] = {}
        single = np.zeros(b.n, dtype=bool)
        for name in ("codes", "extra"):
            single |= self._is(b, name, lambda v: v is not None)
        single |= self._is(b, "id", lambda v: not (isinstance(v, str) and v.strip()))
        keys = list(self.keys.patient.items())
        for side in SIDES:
            keys += [(f"limbs.{side}.{k}", s) for k, s in self.keys.limb.items()]
        for key, spec in keys:
            codes, uniques = b.values(key)
            self._cols[key] = (codes, uniques)
            single |= ~self._lookup(("raw", key), codes, uniques, _same, "valid", partial(_valid, spec))
        veins = self._vein_codes(b)
        for side in SIDES:
            single |= self._where(*veins[side], lambda v: v is _BAD) & b.given[side]
        # the data-conflict checks (male and pregnant, gestation and not pregnant, no contraindication
        # with active bleeding, threat signs without proximal thrombus, coded phlegmasia): screened, not judged
        # the patient-level ones only make the contradicted facts unknown (dvtkg.cases.dataconflicts):
        # done here on the columns, after the derivations (which read the facts as stated)
        male_pregnant = self._is(b, "sex", lambda v: v == "male") & self._is(b, "pregnant", lambda v: v is True)
        gest_not_pregnant = (self._is(b, "gestationWeeks", lambda v: v is not None)
                             & self._is(b, "pregnant", lambda v: v is False))
        none_bleeding = (self._is(b, "bleeding.anticoagulationContraindication", lambda v: v == "none")
                         & self._is(b, "bleeding.activeBleeding", lambda v: v is True))
        self._drops: list[tuple[tuple[str, ...], np.ndarray]] = [
            (("sex", "pregnant"), male_pregnant), (("gestationWeeks", "pregnant"), gest_not_pregnant),
            (("bleeding.anticoagulationContraindication", "bleeding.activeBleeding"), none_bleeding)]
        self.data_conflicts = male_pregnant.astype(np.int64) + gest_not_pregnant + none_bleeding
        # limb threat signs on a leg whose closed thrombus list has no proximal segment (the data-conflict
        # check of limb threat): the signs present are made unknown and the list is no longer closed (what
        # imaging saw is kept), done on the columns in drop_contradicted; a coded phlegmasia goes single
        self._open_legs: dict[str, np.ndarray] = {}
        for side in SIDES:
            threat = np.zeros(b.n, dtype=bool)
            signs = []
            for key, bad in THREAT:
                present = self._is(b, f"limbs.{side}.{key}", partial(_is_exactly, bad))
                signs.append((f"limbs.{side}.{key}", present))
                threat |= present
            closed_no_prox = self._where(*veins[side], lambda v: v is not None and v is not _BAD
                                         and not (set(v) & PROXIMAL))
            conflict = b.given[side] & threat & closed_no_prox
            if conflict.any():
                self._open_legs[side] = conflict
                self._drops += [((name,), conflict & present) for name, present in signs]
                self.data_conflicts = self.data_conflicts + conflict
            single |= b.given[side] & self._is(b, f"limbs.{side}.codedPhlegmasia", lambda v: v is True)
        return single

    def _vein_codes(self, b: Batch) -> dict[str, tuple[np.ndarray, list[Any]]]:
        """(codes, distinct lists) of each side's thrombus lists (None where the leg is not given)."""
        found = getattr(self, "_veins_coded", None)
        if found is not None and found[0] is b:
            return found[1]
        out = {}
        for side in SIDES:
            if b.vein_codes is not None:
                codes, uniques = b.vein_codes[side]
            else:
                codes, uniques = _values_of(b.veins[side])
            out[side] = (codes, uniques)
        self._veins_coded = (b, out)
        return out

    def drop_contradicted(self) -> None:
        """Make the facts of a patient-level data conflict unknown (after derivation, as the single path does)."""
        for keys, mask in self._drops:
            if not mask.any():
                continue
            for key in keys:
                codes, uniques = self._cols[key]
                if None not in uniques:
                    uniques = [*uniques, None]
                codes = codes.copy()
                codes[mask] = uniques.index(None)
                self._cols[key] = (codes, uniques)
        if self._open_legs:   # a contradicted leg's list: its segments, not closed ("open", segments)
            _b, veins = self._veins_coded
            veins = dict(veins)
            for side, mask in self._open_legs.items():
                codes, uniques = veins[side]
                opened = [("open", u) if isinstance(u, tuple) else u for u in uniques]
                codes = np.where(mask, codes + len(uniques), codes)
                veins[side] = (codes, [*uniques, *opened])
            self._veins_coded = (_b, veins)

    def _decimal_value(self, v: Any) -> Any:
        """A number of days as the derived xsd:decimal's value (None: unknown, or not a number)."""
        x = _number(v)
        return None if x is None else self.reasoner.value((str(x), "http://www.w3.org/2001/XMLSchema#decimal", ""))

    def derive(self, b: Batch) -> None:
        """The derived facts (CrCl, episode age, rule 17) as value columns, as dvtkg.cases.derive adds them."""
        # (kind, property) -> (codes, distinct keys, key -> the value-space value)
        self._derived: dict[tuple[int, str], tuple[np.ndarray, list[Any], Callable[[Any], Any]]] = {}
        self._known_derived: dict[str, np.ndarray] = {}
        dec = "http://www.w3.org/2001/XMLSchema#decimal"
        # CrCl: as stated, else Cockcroft-Gault from creatinine (> 0), age, weight and sex
        spec = self.keys.patient["labs.crclMlMin"]
        stated = self._is(b, spec.key, lambda v: v is not None)
        sex_known = self._is(b, "sex", lambda v: v in ("male", "female"))
        scr_codes, scr_uni = self._cols["labs.serumCreatinineMgDl"]
        need = (~stated & self._where(scr_codes, scr_uni, lambda v: _number(v) is not None and v > 0) & sex_known
                & self._is(b, "age", lambda v: v is not None) & self._is(b, "weightKg", lambda v: v is not None))
        # the distinct values as keys (cheap to hash): ("s", stated value) or ("cg", the formula's inputs)
        c_codes, c_uni = self._cols[spec.key]
        merged: list[Any] = [("s", type(u), u) for u in c_uni]
        codes = np.where(stated, c_codes, len(merged))
        merged.append(None)
        rows = np.nonzero(need)[0]
        if len(rows):
            a_codes, a_uni = self._cols["age"]
            w_codes, w_uni = self._cols["weightKg"]
            x_codes, x_uni = self._cols["sex"]
            derived_index: dict[Any, int] = {}
            for i in rows.tolist():
                inputs = (a_uni[a_codes[i]], w_uni[w_codes[i]], scr_uni[scr_codes[i]], x_uni[x_codes[i]])
                k = ("cg", inputs, tuple(type(x) for x in inputs))
                j = derived_index.get(k)
                if j is None:
                    j = derived_index[k] = len(merged)
                    merged.append(k)
                codes[i] = j

        def crcl_value(key: Any, spec: KeySpec = spec) -> Any:
            if key is None:
                return None
            if key[0] == "s":
                return self._lit_value(spec, str(spec.prop), key[2])
            a, w, sc, x = key[1]
            return self.reasoner.value((str(cockcroft_gault(_dec(a), _dec(w), _dec(sc), x == "female")), dec, ""))
        self._derived[(0, str(spec.prop))] = (codes, merged, crcl_value)
        self._known_derived["labs.crclMlMin"] = stated | need
        # the episode age (decision rule 1): as stated, else the longest symptom duration of the legs with a
        # thrombus, unknown when none is known or when one is unknown and the known ones are 30 days or fewer
        v_codes, v_uni = self._cols["course.vteDaysAgo"]
        vte_known = self._where(v_codes, v_uni, lambda v: v is not None)
        episode_keys: list[Any] = list(v_uni)   # numbers of days: the value is the same whichever key gave it
        veins = self._vein_codes(b)
        n_dur = np.zeros(b.n, dtype=np.int8)
        n_known = np.zeros(b.n, dtype=np.int8)
        best = np.full(b.n, -np.inf)
        best_code = np.full(b.n, -1, dtype=np.int64)
        for side in SIDES:
            has = b.given[side] & self._where(*veins[side], lambda v: v is not None and v is not _BAD and len(v) > 0)
            d_codes, d_uni = self._cols[f"limbs.{side}.symptomDays"]
            offset = len(episode_keys)
            episode_keys += d_uni
            # a value that is not a number (the case goes to the single path) counts as unknown here
            num = (np.array([float(x) if (x := _number(d)) is not None else np.nan for d in d_uni])[d_codes]
                   if len(d_uni) else np.full(b.n, np.nan))
            known = has & ~np.isnan(num)
            n_dur += has
            n_known += known
            better = known & (num > best)
            best = np.where(better, num, best)
            best_code = np.where(better, offset + d_codes, best_code)
        none_code = len(episode_keys)
        episode_keys.append(None)
        from_legs = (n_known > 0) & ~((n_known < n_dur) & (best <= 30))
        ep_codes = np.where(vte_known, v_codes, np.where(from_legs, best_code, none_code))
        self._derived[(0, str(DVT.episodeDaysAgo))] = (ep_codes, episode_keys, self._decimal_value)
        self._known_derived["course.vteDaysAgo"] = vte_known | from_legs
        # decision rule 17: on no anticoagulant and not said to be a recurrence
        rec_spec = self.keys.patient["course.recurrenceOnTherapeuticAnticoagulation"]
        rec_codes_s, rec_uni = self._cols[rec_spec.key]
        rec_known = self._where(rec_codes_s, rec_uni, lambda v: v is not None)
        f = self.reasoner.value(("false", "http://www.w3.org/2001/XMLSchema#boolean", ""))
        implied = (self._is(b, "course.currentAnticoagulant", lambda v: v == "none")
                   & ~self._is(b, "course.recurrentUnprovoked", lambda v: v is True)
                   & ~self._is(b, "course.onTherapeuticAnticoagulation", lambda v: v is True))
        rec_keys: list[Any] = [("s", type(u), u) for u in rec_uni] + [("implied",), None]
        rec_codes = np.where(rec_known, rec_codes_s, np.where(implied, len(rec_uni), len(rec_uni) + 1))

        def rec_value(key: Any, spec: KeySpec = rec_spec) -> Any:
            if key is None:
                return None
            return f if key[0] == "implied" else self._lit_value(spec, str(spec.prop), key[2])
        self._derived[(0, str(rec_spec.prop))] = (rec_codes, rec_keys, rec_value)
        self._known_derived[rec_spec.key] = rec_known | implied

    # ----- guidance

    def _prepare_guidance(self) -> None:
        g = self.guidance
        self.crit_list = sorted(g.criteria, key=str)
        self.crit_index = {c: i for i, c in enumerate(self.crit_list)}
        self.statements = [st for st in sorted(g.statements.values(), key=lambda s: str(s.iri))
                           if st.iri in self.kb.statements and self.kb.statements[st.iri].currency == "current"]
        self.all_statements = sorted(g.statements.values(), key=lambda s: str(s.iri))
        self.dep_of: dict[URIRef, list] = {}
        for d in g.dependent:
            self.dep_of.setdefault(d.iri, []).append(d)
        meta = URIRef("https://w3id.org/dvtkg/ontology#metWhenApplies")
        self.met_when = {c: list(self.kb.graph.objects(c, meta)) for c in self.crit_list}
        self.labels = {c: (self.kb.criteria[c].label if c in self.kb.criteria else str(c).rsplit("/", 1)[-1])
                       for c in self.crit_list}

    def _crit_state(self, types: list[dict[str, np.ndarray]], c: URIRef, kind: int | None) -> np.ndarray:
        if kind is None:
            return self._zeros8
        found = self._state_cache.get((c, kind))
        if found is not None:
            return found
        out = self._state_cache[(c, kind)] = self._crit_state_of(types, c, kind)
        return out

    def _crit_state_of(self, types: list[dict[str, np.ndarray]], c: URIRef, kind: int) -> np.ndarray:
        t = self.guidance.criteria[c]
        met = types[kind].get(str(t.met), self._false)
        nm = types[kind].get(str(t.not_met), self._false)
        return np.where(met & nm, CONFLICT, np.where(met, MET, np.where(nm, NOT_MET, UNKNOWN))).astype(np.int8)

    def assess(self, b: Batch) -> Result:
        single = self.screen(b)
        self.derive(b)
        self.drop_contradicted()
        types, inconsistent = self.classify(b)
        single |= inconsistent
        self._zeros8 = np.zeros(b.n, dtype=np.int8)
        self._state_cache: dict[tuple[URIRef, int], np.ndarray] = {}   # shared, never changed in place
        g = self.guidance
        left, right = b.given["left"], b.given["right"]
        nolimb = ~(left | right)
        # per statement and slot (0 = patient or no leg described, 1 = left, 2 = right): criterion states
        slots: dict[tuple[int, int], dict] = {}
        for si, st in enumerate(self.all_statements):
            for slot in ((0, 1, 2) if st.limb_level else (0,)):
                present = (nolimb if slot == 0 else b.given[KINDS[slot]]) if st.limb_level else self._exists[0]
                states = []
                for role, crit in st.roles:
                    c = g.criteria[crit]
                    kind = (slot if slot else None) if c.limb_level else 0
                    states.append([role, crit, kind, self._crit_state(types, crit, kind)])
                options = []
                for _opt, cis in st.options:
                    ostates = []
                    for _ci, crit, blocks in cis:
                        c = g.criteria[crit]
                        kind = (slot if slot else None) if c.limb_level else 0
                        ostates.append((crit, blocks, self._crit_state(types, crit, kind)))
                    options.append(ostates)
                slots[(si, slot)] = {"present": present, "states": states, "options": options}
        verdicts = {k: [_verdict(o, b.n) for o in v["options"]] for k, v in slots.items()}
        for k, v in slots.items():   # options' states are fixed: their verdicts serve _missing and _blocked_by
            v["verdicts"] = verdicts[k]
        status: dict[tuple[int, int], np.ndarray] = {}
        index = {st.iri: i for i, st in enumerate(self.all_statements)}
        for _ in range(MAX_PASSES):
            for k, v in slots.items():
                status[k] = _status(v["states"], verdicts[k], b.n)
            changed = False
            decided = self._dependent(types, status, index, b)
            for v in slots.values():
                for cs in v["states"]:
                    key = (cs[1], cs[2])
                    if key in decided:
                        new = np.where(v["present"], decided[key], cs[3]).astype(np.int8)
                        if (new != cs[3]).any():
                            cs[3] = new
                            changed = True
            if not changed:
                break
        self._slots, self._status, self._index = slots, status, index
        result = Result(single=single, status={}, present={}, missing={}, blocked_by={})
        self._key_bits(self._known(b))
        current = {st.iri for st in self.statements}
        for (si, slot), v in slots.items():
            st = self.all_statements[si]
            if st.iri not in current:
                continue
            s = status[(si, slot)]
            result.status[(si, slot)] = s
            result.present[(si, slot)] = v["present"]
            result.missing[(si, slot)] = self._missing(v, s, slot, b.n)
            result.blocked_by[(si, slot)] = self._blocked_by(v, s, b.n)
        result.conflicts = self._conflicts(status, slots, index, b)
        return result

    def _dependent(self, types, status, index, b: Batch) -> dict[tuple[URIRef, int], np.ndarray]:
        """queries/guidance/dependent-criteria.rq, column-wise (see guidance/compiled.py)."""
        out = {}
        g = self.guidance
        for d in g.dependent:
            for kind in ((1, 2) if d.limb_level else (0,)):
                applies = np.zeros(b.n, dtype=bool)
                open_ = np.zeros(b.n, dtype=bool)
                for dep in d.depends_on:
                    si = index.get(dep)
                    st = self.all_statements[si] if si is not None else None
                    if st is None:
                        open_ |= True
                        continue
                    if st.limb_level and kind == 0:
                        open_ |= True   # a limb-level statement has no result for the patient
                        continue
                    s = status[(si, kind if st.limb_level else 0)]
                    applies |= (s == APPLIES) | ((s == BLOCKED) if d.by_population else False)
                    open_ |= s == INDETERMINATE
                fact_met = fact_not = self._false
                if d.fact is not None and d.fact in g.criteria:
                    fc = g.criteria[d.fact]
                    fk = kind if fc.limb_level else 0
                    fact_met = types[fk].get(str(fc.met), self._false)
                    fact_not = types[fk].get(str(fc.not_met), self._false)
                met = applies | (fact_met & ~fact_not)
                if d.fact is None:
                    not_met = ~met & ~open_
                else:
                    not_met = ~met & ~open_ & fact_not & ~fact_met
                state = np.where(met, MET, np.where(not_met, NOT_MET, UNKNOWN)).astype(np.int8)
                if d.presupposes is not None and d.presupposes in g.criteria:
                    pc = g.criteria[d.presupposes]
                    pk = kind if pc.limb_level else 0
                    pm = types[pk].get(str(pc.met), self._false)
                    pn = types[pk].get(str(pc.not_met), self._false)
                    pre_ok = pm & ~pn
                    pre_not = pn & ~pm
                    state = np.where(pre_ok, state, np.where(pre_not, NOT_MET,
                                                             np.where(state == MET, UNKNOWN, state))).astype(np.int8)
                out[(d.iri, kind)] = state
        return out

    def _known(self, b: Batch) -> Callable[[str], np.ndarray]:
        """Is a concrete key's value known (stated or derived), as the report reads it (CaseFacts.value)?"""
        cache: dict[str, np.ndarray] = {}

        def known(key: str) -> np.ndarray:
            if key in cache:
                return cache[key]
            if key.startswith("limbs."):
                _, side, rest = key.split(".", 2)
                if side not in SIDES:
                    out = self._false
                elif rest == "veins":
                    out = b.given[side] & np.array([v is not None for v in b.veins[side]], dtype=bool)
                elif rest in self.keys.limb:
                    codes, uniques = self._cols[key]
                    out = b.given[side] & np.array([u is not None for u in uniques], dtype=bool)[codes]
                else:
                    out = self._false
            elif key in self._known_derived:
                out = self._known_derived[key]
            elif key in self._cols:
                codes, uniques = self._cols[key]
                out = np.array([u is not None for u in uniques], dtype=bool)[codes]
            else:
                out = self._false
            cache[key] = out
            return out
        return known

    def _expand(self, template: str, side: str | None) -> list[str]:
        if "{limb}" in template:
            return [template.replace("{limb}", side)] if side else [template.replace("{limb}", s) for s in SIDES]
        if ".*." in template:
            return [template.replace("*", s) for s in SIDES]
        return [template]

    def _key_bits(self, known) -> None:
        """Every concrete key a criterion can name, as a bit of a (cases x words) uint64 mask."""
        names: set[str] = set()
        for info in self.kb.criteria.values():
            for t in info.keys:
                for side in (None, *SIDES):
                    names.update(self._expand(t, side))
        self.key_names = sorted(names)
        self.key_bit = {k: i for i, k in enumerate(self.key_names)}
        self.words = (len(self.key_names) + 63) // 64
        self._known_fn = known
        self._unknown_cache: dict[str, np.ndarray] = {}
        self._contrib_cache: dict[tuple, np.ndarray] = {}

    def _bits(self, keys: list[str]) -> np.ndarray:
        out = np.zeros(self.words, dtype=np.uint64)
        for k in keys:
            i = self.key_bit[k]
            out[i // 64] |= np.uint64(1) << np.uint64(i % 64)
        return out

    def _unknown_mask(self, keys: list[str], n: int) -> np.ndarray:
        """(n, words): the bits of the keys among ``keys`` that are unknown in each case."""
        out = np.zeros((n, self.words), dtype=np.uint64)
        for k in dict.fromkeys(keys):
            col = self._unknown_cache.get(k)
            if col is None:
                col = self._unknown_cache[k] = ~self._known_fn(k)
            i = self.key_bit[k]
            out[:, i // 64] |= col.astype(np.uint64) << np.uint64(i % 64)
        return out

    def _crit_key_list(self, crit: URIRef, side: str | None) -> list[str]:
        info = self.kb.criteria.get(crit)
        if info is None:
            return []
        return [k for t in info.keys for k in self._expand(t, side if info.level == "limb" else None)]

    def _option_contrib(self, crit: URIRef, side: str | None, n: int) -> np.ndarray:
        """safety._unknown_keys: the unknown keys of an option's unknown block, or all of them."""
        ck = ("opt", crit, side)
        if ck not in self._contrib_cache:
            keys = self._crit_key_list(crit, side)
            unk = self._unknown_mask(keys, n)
            cand = self._bits(keys)
            self._contrib_cache[ck] = np.where(np.asarray(unk.any(axis=1))[:, None], unk, cand[None, :])
        return self._contrib_cache[ck]

    def _crit_contrib(self, crit: URIRef, side: str | None, depth: int, n: int) -> np.ndarray:
        """explain.missing_keys for every case: own unknown keys, those of indeterminate statements it
        depends on (metWhenApplies, up to depth 2), CrCl known -> no creatinine; none -> all candidates."""
        ck = ("crit", crit, side, depth)
        if ck in self._contrib_cache:
            return self._contrib_cache[ck]
        keys = self._crit_key_list(crit, side)
        total = self._unknown_mask(keys, n)
        cand = np.broadcast_to(self._bits(keys), (n, self.words)).copy()
        if depth <= 2:
            for dep in self.met_when.get(crit, []):
                si = self._index.get(dep)
                if si is None:
                    continue
                st = self.all_statements[si]
                for slot in ((0, 1, 2) if st.limb_level else (0,)):
                    s_side = KINDS[slot] if (st.limb_level and slot) else None
                    if not (s_side == side or s_side is None):
                        continue
                    live = (self._status[(si, slot)] == INDETERMINATE) & self._slots[(si, slot)]["present"]
                    if not live.any():
                        continue
                    for role, c2, _k, state in self._slots[(si, slot)]["states"]:
                        if role in ("required", "excluding", "blocking"):
                            on = live & ((state == UNKNOWN) | (state == CONFLICT))
                            if on.any():
                                total |= np.where(on[:, None], self._crit_contrib(c2, s_side, depth + 1, n),
                                                  np.uint64(0))
        scr = self.key_bit.get("labs.serumCreatinineMgDl")
        if scr is not None:
            drop = np.zeros(self.words, dtype=np.uint64)
            drop[scr // 64] = np.uint64(1) << np.uint64(scr % 64)
            crcl = self._known_fn("labs.crclMlMin")[:, None]
            total = np.where(crcl, total & ~drop, total)
            cand = np.where(crcl, cand & ~drop, cand)
        out = np.where(np.asarray(total.any(axis=1))[:, None], total, cand)
        self._contrib_cache[ck] = out
        return out

    def _missing(self, v, s, slot, n: int) -> np.ndarray:
        """(n, words) missing-key masks of one statement and slot (explain.py and safety.explain_options)."""
        side = KINDS[slot] if slot else None
        live = (s == INDETERMINATE) & v["present"]
        out = np.zeros((n, self.words), dtype=np.uint64)
        if not live.any():
            return out
        for role, crit, _kind, state in v["states"]:
            if role not in ("required", "excluding", "blocking"):
                continue
            on = live & ((state == UNKNOWN) | (state == CONFLICT))
            if on.any():
                out |= np.where(on[:, None], self._crit_contrib(crit, side, 0, n), np.uint64(0))
        for ostates, verdict in zip(v["options"], v["verdicts"], strict=True):
            verdict_unknown = live & (verdict == 1)
            if not verdict_unknown.any():
                continue
            for crit, blocks, state in ostates:
                if not blocks:
                    continue
                on = verdict_unknown & ((state == UNKNOWN) | (state == CONFLICT))
                if on.any():
                    out |= np.where(on[:, None], self._option_contrib(crit, side, n), np.uint64(0))
        return out

    def decode_keys(self, mask: np.ndarray) -> list[str]:
        """A missing-key mask (one row) as the sorted key names (remembered: the same sets recur)."""
        k = mask.tobytes()
        found = self._decoded.get(k)
        if found is None:
            if len(self._decoded) > 200_000:
                self._decoded.clear()
            found = self._decoded[k] = self._decode_keys(mask)
        return found

    def _decode_keys(self, mask: np.ndarray) -> list[str]:
        out = []
        for w in range(self.words):
            x = int(mask[w])
            while x:
                low = x & -x
                out.append(self.key_names[w * 64 + low.bit_length() - 1])
                x ^= low
        return sorted(out)

    def _blocked_by(self, v, s, n: int) -> tuple[np.ndarray, list[str]]:
        """(bits per case, names): the criteria that block a blocked row (met blocking criteria, met blocks
        of blocked options), as a uint64 over this row's own list of criteria."""
        names: list[str] = []
        parts: list[tuple[str, np.ndarray]] = []
        for role, crit, _k, state in v["states"]:
            if role == "blocking":
                parts.append((str(crit).rsplit("/", 1)[-1], state == MET))
        for ostates, verdict in zip(v["options"], v["verdicts"], strict=True):
            opt_blocked = verdict == 2
            for crit, blocks, state in ostates:
                if blocks:
                    parts.append((str(crit).rsplit("/", 1)[-1], opt_blocked & (state == MET)))
        for name, _m in parts:
            if name not in names:
                names.append(name)
        names.sort()
        if len(names) > 64:
            raise Unsupported("more than 64 blocking criteria on one statement")
        bits = np.zeros(n, dtype=np.uint64)
        live = (s == BLOCKED) & v["present"]
        for name, m in parts:
            bits |= (m & live).astype(np.uint64) << np.uint64(names.index(name))
        return bits, names

    def _conflicts(self, status, slots, index, b: Batch) -> list:
        """The conflict candidates that both apply (same leg, or one of them patient-level)."""
        out = []
        for a, bb, cand in self.guidance.candidates:
            sa, sb = index.get(a), index.get(bb)
            if sa is None or sb is None:
                continue
            A, B = self.all_statements[sa], self.all_statements[sb]
            for slot_a in ((0, 1, 2) if A.limb_level else (0,)):
                for slot_b in ((0, 1, 2) if B.limb_level else (0,)):
                    la = slot_a if A.limb_level else None
                    lb = slot_b if B.limb_level else None
                    # NoLimbDescribed (slot 0 of a limb-level statement) is a limb of its own
                    if not (la is None or lb is None or la == lb):
                        continue
                    both = ((status[(sa, slot_a)] == APPLIES) & slots[(sa, slot_a)]["present"]
                            & (status[(sb, slot_b)] == APPLIES) & slots[(sb, slot_b)]["present"])
                    limb = next((KINDS[x] if x else None for x in (la, lb) if x is not None), None)
                    idx = np.nonzero(both)[0]
                    if len(idx):
                        out.append((idx, self.kb.statements[a].id if a in self.kb.statements else str(a),
                                    self.kb.statements[bb].id if bb in self.kb.statements else str(bb),
                                    getattr(cand, "kind", ""), limb))
        return out


_BAD = object()


def _node():
    from dvtkg.fast.entail import _Node
    return _Node()


def _restrictions(e: Expr, p: str) -> list[Expr]:
    if isinstance(e, str):
        return []
    if e[0] in ("some", "all"):
        return [e] if e[1] == p else _restrictions(e[2], p)
    if e[0] in ("and", "or"):
        return [x for y in e[1] for x in _restrictions(y, p)]
    return []


def _named_in(e: Expr) -> set[str]:
    """The named classes an expression reads as columns (not the segment classes of thrombus restrictions)."""
    if isinstance(e, str):
        return {e}
    if e[0] in ("and", "or"):
        return {n for x in e[1] for n in _named_in(x)}
    if e[0] in ("some", "all") and e[1] != THROMBUS:
        return _named_in(e[2])
    return set()


def _is_exactly(bad: Any, v: Any) -> bool:
    """The value is ``bad``, of its type (True is not 1)."""
    return v is not None and v == bad and type(v) is type(bad)


def _same(v: Any) -> Any:
    return v


def _number(v: Any) -> Decimal | None:
    """A sheet number as a Decimal (None: null, or not a number: such a case goes to the single path)."""
    if v is None or isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    if isinstance(v, float) and (v != v or v in (float("inf"), float("-inf"))):
        return None
    return _dec(v)


def _codes(values: list[Any]) -> tuple[np.ndarray, list[Any]]:
    index: dict[Any, int] = {}
    uniq: list[Any] = []
    codes = np.empty(len(values), dtype=np.int32)
    for i, v in enumerate(values):
        j = index.get(v)
        if j is None:
            j = index[v] = len(uniq)
            uniq.append(v)
        codes[i] = j
    return codes, uniq


def _dec(v: Any) -> Decimal:
    return Decimal(repr(v)) if isinstance(v, float) else Decimal(v)


def _valid(spec: KeySpec, v: Any) -> bool:
    """Does a sheet value pass the case contract for its key (type, range, allowed values)? Conservative."""
    if v is None:
        return True
    kind = spec.kind
    if kind == "boolean":
        return type(v) is bool
    if kind == "enumeration":
        return isinstance(v, str) and v in spec.allowed
    if kind == "days-or-none" and v == "none":
        return True
    if type(v) is bool or not isinstance(v, (int, float)):
        return False
    if isinstance(v, float) and (v != v or v in (float("inf"), float("-inf"))):
        return False
    if kind in ("integer", "days-or-none") and not float(v).is_integer():
        return False
    if kind not in ("integer", "number", "days-or-none"):
        return False
    d = _dec(v)
    if spec.minimum is not None and d < spec.minimum:
        return False
    if spec.maximum is not None and d > spec.maximum:
        return False
    if spec.allowed and str(v) not in spec.allowed:
        return False
    return True


def _verdict(ostates: list, n: int) -> np.ndarray:
    """Per case: 0 allowed, 1 unknown (a block unknown), 2 blocked (a block met)."""
    out = np.zeros(n, dtype=np.int8)
    for _crit, blocks, state in ostates:
        if blocks:
            out = np.maximum(out, np.where(state == MET, 2, np.where((state == UNKNOWN) | (state == CONFLICT), 1, 0)))
    return out


def _status(states: list, verdicts: list[np.ndarray], n: int) -> np.ndarray:
    """The status rules of queries/guidance/statuses.rq (decision rules 14 and 18), column-wise."""
    false = np.zeros(n, dtype=bool)
    req_not, exc_met, req_unk, blk_met, blk_unk = false, false, false, false, false
    for role, _crit, _kind, s in states:
        unk = (s == UNKNOWN) | (s == CONFLICT)
        if role == "required":
            req_not = req_not | (s == NOT_MET)
            req_unk = req_unk | unk
        elif role == "excluding":
            exc_met = exc_met | (s == MET)
            req_unk = req_unk | unk
        elif role == "blocking":
            blk_met = blk_met | (s == MET)
            blk_unk = blk_unk | unk
    if verdicts:
        all_blocked = np.logical_and.reduce([v == 2 for v in verdicts])
        none_allowed = np.logical_and.reduce([v != 0 for v in verdicts])
    else:
        all_blocked = none_allowed = false
    out = np.full(n, APPLIES, dtype=np.int8)
    out = np.where(blk_unk | none_allowed, INDETERMINATE, out)
    out = np.where(req_unk, INDETERMINATE, out)
    out = np.where(blk_met | all_blocked, BLOCKED, out)
    out = np.where(req_not | exc_met, NOT_APPLICABLE, out)
    return out.astype(np.int8)
