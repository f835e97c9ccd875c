"""The guidance rules over inferred types, as plain Python: no rdflib, no store.

The same results as the SPARQL guidance queries (``queries/guidance/*.rq``, the reference
engine), computed from knowledge tables (:class:`CompiledGuidance`) read once from the
guidance index (``dvtkg.guidance.compiled.from_index``, or the compiled knowledge artefact
of the lean path) and a mapping from each subject (the patient, each limb) to its inferred
classes. IRIs are whatever the tables hold: rdflib Anys on the rdflib path, plain strings
on the lean path; ``iri`` makes the result nodes of the same kind.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from dvtkg.guidance.records import (
    MAX_PASSES,
    ActionState,
    ConflictRecord,
    CriterionState,
    OptionRecord,
    ResultRecord,
    _local,
    apply_decided,
)

NO_LIMB = "https://w3id.org/dvtkg/ontology#NoLimbDescribed"


@dataclass(frozen=True)
class CriterionTable:
    iri: Any
    limb_level: bool
    met: Any
    not_met: Any


@dataclass
class StatementTable:
    iri: Any
    limb_level: bool
    roles: list[tuple[str, Any]]
    options: list[tuple[Any, list[tuple[Any, Any, bool]]]] = field(default_factory=list)


@dataclass(frozen=True)
class DependentTable:
    iri: Any
    limb_level: bool
    depends_on: frozenset[Any]
    fact: Any | None
    presupposes: Any | None = None
    by_population: bool = False


@dataclass
class CompiledGuidance:
    """The knowledge tables the guidance rules read, built once per knowledge base."""

    criteria: dict[Any, CriterionTable]
    statements: dict[Any, StatementTable]
    dependent: list[DependentTable]
    candidates: list[tuple[Any, Any, Any]]  # (a, b, a ConflictCandidate or its lean form Candidate)
    superseded: dict[Any, tuple[list[Any], list[Any]]]

    def to_json(self) -> dict[str, Any]:
        """The tables as JSON data (IRIs as strings; candidates by their kind, actions and stances)."""
        def cand(c: Any) -> list[str]:
            return [c.kind, c.action_a, c.action_b, c.stance_a, c.stance_b]
        return {
            "criteria": [[str(c.iri), c.limb_level, str(c.met), str(c.not_met)] for c in self.criteria.values()],
            "statements": [[str(st.iri), st.limb_level, [[r, str(c)] for r, c in st.roles],
                            [[str(o), [[str(ci), str(cr), b] for ci, cr, b in cis]] for o, cis in st.options]]
                           for st in self.statements.values()],
            "dependent": [[str(d.iri), d.limb_level, sorted(str(x) for x in d.depends_on), _opt(d.fact),
                           _opt(d.presupposes), d.by_population] for d in self.dependent],
            "candidates": [[str(a), str(b), cand(c)] for a, b, c in self.candidates],
            "superseded": [[str(r), [str(x) for x in repl], [str(x) for x in ev]]
                           for r, (repl, ev) in self.superseded.items()],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "CompiledGuidance":
        criteria = {c[0]: CriterionTable(c[0], c[1], c[2], c[3]) for c in data["criteria"]}
        statements = {s[0]: StatementTable(s[0], s[1], [(r, c) for r, c in s[2]],
                                           [(o, [(ci, cr, b) for ci, cr, b in cis]) for o, cis in s[3]])
                      for s in data["statements"]}
        dependent = [DependentTable(d[0], d[1], frozenset(d[2]), d[3], d[4], d[5]) for d in data["dependent"]]
        candidates = [(a, b, Candidate(*c)) for a, b, c in data["candidates"]]
        superseded = {r: (list(repl), list(ev)) for r, repl, ev in data["superseded"]}
        return cls(criteria, statements, dependent, candidates, superseded)


def _opt(x: Any) -> str | None:
    return None if x is None else str(x)


@dataclass(frozen=True)
class Candidate:
    """What a conflict needs of a knowledge-level conflict candidate (lean form of ConflictCandidate)."""

    kind: str
    action_a: str
    action_b: str
    stance_a: str
    stance_b: str


def _state(types: dict[Any, frozenset[Any]], subject: Any | None, c: CriterionTable) -> str:
    have = types.get(subject, frozenset()) if subject is not None else frozenset()
    met, not_met = c.met in have, c.not_met in have
    return "conflict" if met and not_met else "met" if met else "not-met" if not_met else "unknown"


def _status(r: ResultRecord) -> str:
    """The status rules of queries/guidance/guidance-statuses.rq (decision rules 14 and 18)."""
    req_not = exc_met = req_unk = blk_met = blk_unk = False
    for cs in r.states:  # one pass over the criterion states
        role, state = cs.role, cs.state
        unknown = state == "unknown" or state == "conflict"
        if role == "required":
            req_not = req_not or state == "not-met"
            req_unk = req_unk or unknown
        elif role == "excluding":
            exc_met = exc_met or state == "met"
            req_unk = req_unk or unknown
        elif role == "blocking":
            blk_met = blk_met or state == "met"
            blk_unk = blk_unk or unknown
    verdicts = [o.verdict for o in r.options]
    if req_not or exc_met:
        return "not-applicable"
    if blk_met or (verdicts and all(v == "blocked" for v in verdicts)):
        return "blocked"
    if req_unk:
        return "indeterminate"
    if blk_unk or (verdicts and "allowed" not in verdicts):
        return "indeterminate"
    return "applies"


@dataclass(frozen=True)
class _Plan:
    """The tables in evaluation order, with the IRI suffixes of the result nodes: built once per table."""

    # (statement, its local name, [(role, crit, table, node suffix)], [(option, suffix, [(ci, crit, blocks,
    # table, suffix)])])
    statements: list[tuple[StatementTable, str, list[tuple[str, Any, CriterionTable, str]],
                           list[tuple[Any, str, list[tuple[Any, Any, bool, CriterionTable, str]]]]]]
    # (dependent, its dependencies in order, the fact's table, the presupposed criterion's table)
    dependent: list[tuple[DependentTable, list[Any], CriterionTable | None, CriterionTable | None]]
    superseded: list[tuple[Any, tuple[list[Any], list[Any]]]]


def _plan(table: CompiledGuidance) -> _Plan:
    plan: _Plan | None = table.__dict__.get("_plan")
    if plan is None:
        crits = table.criteria
        statements = []
        for st in sorted(table.statements.values(), key=lambda s: str(s.iri)):
            roles = [(role, crit, crits[crit], f"-{role}-{_local(crit)}") for role, crit in st.roles]
            options = [(opt, f"-option-{_local(opt)}", [(ci, crit, blocks, crits[crit], f"-{_local(ci)}")
                                                        for ci, crit, blocks in cis]) for opt, cis in st.options]
            statements.append((st, _local(st.iri), roles, options))
        dependent = [(d, sorted(d.depends_on, key=str), crits.get(d.fact) if d.fact is not None else None,
                      crits.get(d.presupposes) if d.presupposes is not None else None) for d in table.dependent]
        plan = _Plan(statements, dependent, sorted(table.superseded.items(), key=lambda kv: str(kv[0])))
        table.__dict__["_plan"] = plan  # a cache of the (unchanging) tables, not state of a case
    return plan


def evaluate_rules(table: CompiledGuidance, types: dict[Any, frozenset[Any]], patient: Any, limbs: list[Any],
                   case_base: str, iri: Callable[[str], Any] = str, no_limb: Any = NO_LIMB
                   ) -> tuple[list[ResultRecord], dict[tuple[Any, Any], str], list[ConflictRecord],
                              list[tuple[Any, str, list[Any], list[Any]]]]:
    """Results (with statuses), decided guidance-dependent states, conflicts and superseded statements."""
    plan = _plan(table)
    results: list[ResultRecord] = []
    limb_subjects: list[Any] = sorted(limbs, key=str) or [no_limb]
    # subject -> criterion -> its state, read once
    memos: dict[Any, dict[Any, str]] = {subject: {} for subject in (patient, None, *limb_subjects)}
    patient_memo = memos[patient]
    suffixes = {limb: _local(limb).replace("limb-", "") for limb in limb_subjects}
    plain = iri is str
    for st, name, roles, options in plan.statements:
        for limb in (limb_subjects if st.limb_level else (None,)):
            limb_memo = memos[limb]
            base = f"{case_base}result-{name}-{suffixes[limb] if limb is not None else 'patient'}"
            r = ResultRecord(base if plain else iri(base), st.iri, limb)
            add = r.states.append
            for role, crit, c, tail in roles:
                subject, memo = (limb, limb_memo) if c.limb_level else (patient, patient_memo)
                state = memo.get(c.iri)
                if state is None:
                    state = memo[c.iri] = _state(types, subject, c)
                node = base + tail
                add(CriterionState(crit, role, state, subject, node if plain else iri(node)))
            for opt, otail, cis in options:
                obase = base + otail
                o = OptionRecord(opt, obase if plain else iri(obase))
                for ci, crit, blocks, c, tail in cis:
                    subject, memo = (limb, limb_memo) if c.limb_level else (patient, patient_memo)
                    state = memo.get(c.iri)
                    if state is None:
                        state = memo[c.iri] = _state(types, subject, c)
                    node = obase + tail
                    o.states.append(ActionState(ci, crit, blocks, state, node if plain else iri(node)))
                r.options.append(o)
            results.append(r)
    results.sort(key=lambda r: (str(r.rec), str(r.limb or "")))
    by_rec: dict[Any, list[ResultRecord]] = {}
    for r in results:
        by_rec.setdefault(r.rec, []).append(r)
    decided: dict[tuple[Any, Any], str] = {}
    for _ in range(MAX_PASSES):
        for r in results:
            r.status = _status(r)
        decided = _dependent_states(plan, types, by_rec, patient, limbs)
        if not apply_decided(results, decided):
            break
    conflicts: list[ConflictRecord] = []
    for a, b, cand in table.candidates:
        for ra in by_rec.get(a, []):
            for rb in by_rec.get(b, []):
                if ra.status == "applies" and rb.status == "applies" and (
                        ra.limb is None or rb.limb is None or ra.limb == rb.limb):
                    conflicts.append(ConflictRecord(ra, rb, cand.kind, (cand.action_a, cand.action_b),
                                                    (cand.stance_a, cand.stance_b)))
    superseded = []
    for rec, (repl, evidence) in plan.superseded:
        for r in by_rec.get(rec, []):
            if r.status in ("applies", "blocked"):
                superseded.append((rec, r.status, list(repl), list(evidence)))
                break
    return results, decided, conflicts, superseded


def dependent_types(table: CompiledGuidance, decided: dict[tuple[Any, Any], str]) -> list[tuple[Any, Any]]:
    """(subject, class) for every guidance-dependent criterion decided met or not met."""
    crits = table.criteria
    return [(subject, crits[crit].met if state == "met" else crits[crit].not_met)
            for (crit, subject), state in decided.items() if state in ("met", "not-met")]


def _dependent_states(plan: _Plan, types: dict[Any, frozenset[Any]], by_rec: dict[Any, list[ResultRecord]],
                      patient: Any, limbs: list[Any]) -> dict[tuple[Any, Any], str]:
    """queries/guidance/dependent-criteria.rq: met when a statement it depends on applies to the subject."""
    out: dict[tuple[Any, Any], str] = {}
    empty: frozenset[Any] = frozenset()
    for d, depends_on, fc, pc in plan.dependent:
        for subject in (limbs if d.limb_level else [patient]):
            rel = [r for dep in depends_on for r in by_rec.get(dep, ())
                   if r.limb is None or r.limb == subject]
            applies = any(r.status == "applies" or (d.by_population and r.status == "blocked") for r in rel)
            missing_deps = [dep for dep in d.depends_on if not any(r.rec == dep for r in rel)]
            open_ = bool(missing_deps) or any(r.status == "indeterminate" for r in rel)
            fact_met = fact_not = False
            if fc is not None:
                have = types.get(patient if not fc.limb_level else subject, empty)
                fact_met, fact_not = fc.met in have, fc.not_met in have
            if applies or (fact_met and not fact_not):
                state = "met"
            elif not open_ and (d.fact is None or (fact_not and not fact_met)):
                state = "not-met"
            else:
                state = "unknown"
            if pc is not None:
                # decision rule 17: no PE finding without a PE, no limb finding without thrombus
                have = types.get(patient if not pc.limb_level else subject, empty)
                pre_met, pre_not = pc.met in have, pc.not_met in have
                if not (pre_met and not pre_not):
                    state = "not-met" if (pre_not and not pre_met) else ("unknown" if state == "met" else state)
            out[(d.iri, subject)] = state
    return out
