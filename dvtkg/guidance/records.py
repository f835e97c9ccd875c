"""What the guidance engines compute for one case: results, criterion and option states, conflicts.

Plain data (no rdflib), shared by the SPARQL engine (``engine.py``), the compiled rules
(``rules.py``) and the JSON assembly. IRIs are strings (rdflib's URIRef on the rdflib
paths, plain ``str`` on the lean path).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

MAX_PASSES = 4
# the per-case records are slotted dataclasses: a case makes about a thousand of them
ROLE_ORDER = ("required", "excluding", "blocking", "caution")


@dataclass(slots=True)
class CriterionState:
    crit: Any
    role: str
    state: str
    subject: Any
    node: Any
    second_pass: bool = False


@dataclass(slots=True)
class ActionState:
    """The state of one action contraindication for one option of a result (decision rule 14)."""

    ci: Any
    crit: Any
    blocks: bool
    state: str
    node: Any


@dataclass(slots=True)
class OptionRecord:
    """One option of a result (the statement itself when it offers none) and its contraindication states."""

    opt: Any
    node: Any
    states: list[ActionState] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        """blocked (a block is met), unknown (a block is unknown), or allowed."""
        blocks = [s.state for s in self.states if s.blocks]
        if "met" in blocks:
            return "blocked"
        if "unknown" in blocks or "conflict" in blocks:
            return "unknown"
        return "allowed"


@dataclass(slots=True)
class ResultRecord:
    """The status of one statement for one subject, with its criterion and option states."""

    node: Any
    rec: Any
    limb: Any
    status: str = ""
    states: list[CriterionState] = field(default_factory=list)
    options: list[OptionRecord] = field(default_factory=list)


@dataclass
class ConflictRecord:
    a: ResultRecord
    b: ResultRecord
    kind: str
    actions: tuple[str, str]
    stances: tuple[str, str]


@dataclass
class Evaluation:
    assessment: Any
    results: list[ResultRecord]
    conflicts: list[ConflictRecord]
    superseded: list[tuple[Any, str, list[Any], list[Any]]]
    dependent_types: Any


def apply_decided(results: list[ResultRecord], decided: dict[tuple[Any, Any], str]) -> bool:
    """Give each criterion state its decided guidance-dependent state (second pass); True if one changed."""
    changed = False
    for r in results:
        for cs in r.states:
            new = decided.get((cs.crit, cs.subject))
            if new is not None and new != cs.state:
                cs.state, cs.second_pass, changed = new, True, True
    return changed


@lru_cache(maxsize=8192)
def _local(iri: Any) -> str:
    s = str(iri)
    return s.rsplit("#", 1)[-1].rsplit("/", 1)[-1]


