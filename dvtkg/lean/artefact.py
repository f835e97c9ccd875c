"""The compiled knowledge artefact: everything the lean path reads of the knowledge, as one JSON file.

``make build`` (``python -m dvtkg.lean``) writes ``build/lean-<stamp>.json`` from the loaded
knowledge base: the case-key table, the compiled case shapes, the compiled classifier, the
guidance rule tables, the statement / criterion / safety details the JSON shows, and the
few answers the JSON assembly asks of the graph (labels, comparators, action ancestors,
evidence texts), each computed by the KnowledgeBase's own methods. The stamp hashes every
input (the ontology sources, shapes/case.ttl, the guidance queries, the compiling code):
:func:`load_knowledge` recomputes it and rebuilds a stale or missing artefact (importing
rdflib only then), so a stale artefact is never used.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict
from decimal import Decimal
from pathlib import Path
from typing import Any

from dvtkg import paths
from dvtkg.cases.keys import KeySpec, KeyTable
from dvtkg.fast.compiled import CompiledClassifier
from dvtkg.guidance.info import CriterionInfo, StatementInfo
from dvtkg.guidance.rules import CompiledGuidance
from dvtkg.guidance.safety import Alert, Contraindication, Option, SafetyKnowledge
from dvtkg.kb.sources import sources_hash

ARTEFACT_VERSION = 2
#: the code that decides what the artefact holds: a change to any of it makes the artefact stale
CODE_FILES = ("lean/artefact.py", "lean/shapes.py", "guidance/knowledge.py", "guidance/compiled.py",
              "guidance/safety.py", "guidance/info.py", "cases/keys.py", "fast/compile.py", "fast/compiled.py",
              "fast/classify.py", "reason.py", "kb/build.py", "queryfiles.py")


class StaleArtefact(Exception):
    """The compiled knowledge artefact is missing or does not match its sources."""


def stamp(root: Path) -> str:
    """The hash of every input of the artefact (cheap: file contents, no parsing)."""
    h = hashlib.sha256(f"dvtkg-lean/{ARTEFACT_VERSION}\0{sources_hash(root)}\0".encode())
    extra = [paths.shapes_dir(root) / "case.ttl", *sorted((paths.queries_dir(root) / "guidance").glob("*.rq"))]
    code = Path(__file__).resolve().parents[1]
    for path in [*extra, *(code / f for f in CODE_FILES)]:
        h.update(path.name.encode() + b"\0")
        h.update(path.read_bytes() if path.exists() else b"<missing>")
    return h.hexdigest()[:16]


def artefact_path(root: Path, digest: str) -> Path:
    """Where the artefact of this stamp is: build/ (a clone, or prebuilt in an installed package), else the cache."""
    name = f"lean-{digest}.json"
    prebuilt = paths.build_dir(root) / name
    return prebuilt if prebuilt.exists() else paths.cache_dir(root) / name


# ---------------------------------------------------------------- build (rdflib)


def _spec(spec: KeySpec) -> dict[str, Any]:
    d = asdict(spec)
    d["prop"], d["flag_prop"] = str(spec.prop), None if spec.flag_prop is None else str(spec.flag_prop)
    d["minimum"] = None if spec.minimum is None else str(spec.minimum)
    d["maximum"] = None if spec.maximum is None else str(spec.maximum)
    d["allowed"] = list(spec.allowed)
    return d


def build_artefact(kb: Any) -> dict[str, Any]:
    """The artefact's content, read from a loaded KnowledgeBase (its own methods answer every question)."""
    from rdflib import Graph

    from dvtkg.fast.classify import load_or_compile
    from dvtkg.guidance.compiled import CompiledGuidance as RdfCompiledGuidance
    from dvtkg.lean.shapes import compile_shapes

    compiled = load_or_compile(kb.owl_path)
    guidance = RdfCompiledGuidance.from_index(kb.index, kb.candidates)
    shapes = compile_shapes(Graph().parse(paths.shapes_dir(kb.root) / "case.ttl", format="turtle"), kb.keys)
    statements = {}
    for iri, info in kb.statements.items():
        d = {k: v for k, v in info.__dict__.items() if k not in ("groups", "excluded_groups", "links", "actions")}
        d["iri"] = str(iri)
        d["groups"], d["excluded_groups"] = sorted(info.groups), sorted(info.excluded_groups)
        d["actions"] = [list(a) for a in info.actions]
        d["links"] = {k: [list(x) for x in v] for k, v in info.links.items()}
        statements[str(iri)] = d
    criteria = {str(c): {"iri": str(c), "label": i.label, "definition": i.definition, "level": i.level,
                         "keys": list(i.keys), "borderline": None if i.borderline is None else str(i.borderline),
                         "branches": [[str(b), str(m)] for b, m in i.branches]}
                for c, i in kb.criteria.items()}
    safety = kb.safety
    actions = {a for info in kb.statements.values() for a, _ in info.actions}
    comparators = {str(r): [str(c) for c in kb.comparator_actions(r)] for r in kb.statements}
    label_of = ({c.action_a for c in kb.candidates.values()} | {c.action_b for c in kb.candidates.values()}
                | {c for cs in comparators.values() for c in cs})
    evidence = {e for _, (_, ev) in guidance.superseded.items() for e in ev}
    crits = set(kb.criteria) | {c for c in guidance.criteria}
    return {
        "version": kb.version,
        "knowledgeHash": kb.knowledge_hash,
        "queries": sorted(q for q in kb.queries if q.startswith("guidance-")),
        "classifier": json.loads(compiled.to_json()),
        "segmentClasses": {str(k): str(v) for k, v in kb.segment_classes.items()},
        "keys": {"specs": [_spec(s) for s in kb.keys.by_prop.values()], "questions": kb.keys.questions},
        "shapes": shapes,
        "guidance": guidance.to_json(),
        "statements": statements,
        "criteria": criteria,
        "safety": {
            "contraindications": [{**{k: str(v) if k in ("iri", "action", "criterion") else v
                                      for k, v in c.__dict__.items()}} for c in safety.contraindications.values()],
            "options": {str(r): [{"iri": str(o.iri), "label": o.label, "order": o.order,
                                  "actions": [str(a) for a in o.actions]} for o in opts]
                        for r, opts in safety.options.items()},
            "alerts": [{"iri": str(a.iri), "id": a.id, "order": a.order, "message": a.message,
                        "criterion": None if a.criterion is None else str(a.criterion),
                        "on_data_conflict": a.on_data_conflict, "points_to": [str(p) for p in a.points_to]}
                       for a in safety.alerts],
        },
        "metWhenApplies": {str(c): [str(r) for r in kb.met_when_applies(c)] for c in sorted(crits, key=str)},
        "defersComparator": sorted(str(r) for r in kb.statements if kb.defers_comparator(r)),
        "comparatorActions": comparators,
        "labels": {str(x): kb.label(kb.iri(str(x))) for x in sorted(label_of, key=str)},
        "reachedActions": {str(a): sorted(str(x) for x in kb.reached_actions(kb.iri(str(a))))
                           for a in sorted(actions)},
        "evidenceText": {str(e): kb.evidence_text(e) for e in sorted(evidence, key=str)},
    }


def write_artefact(root: Path | None = None) -> Path:
    """Build the artefact of the project at ``root`` into build/ (``make build``); return its path."""
    from dvtkg.guidance.knowledge import KnowledgeBase

    root = (root or paths.project_root()).resolve()
    digest = stamp(root)
    kb = KnowledgeBase.load(root)
    data = {"stamp": digest, **build_artefact(kb)}
    path = paths.cache_dir(root) / f"lean-{digest}.json"  # build/ of a clone; the user's cache when installed
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, sort_keys=True, ensure_ascii=False), encoding="utf-8")
    tmp.replace(path)
    for old in path.parent.glob("lean-*.json"):
        if old != path:
            old.unlink(missing_ok=True)
    return path


# ---------------------------------------------------------------- load (no rdflib)


class LeanKnowledge:
    """The knowledge as the lean path reads it: the same questions the KnowledgeBase answers, from tables."""

    def __init__(self, data: dict[str, Any], root: Path) -> None:
        self.root = root
        self.stamp: str = data["stamp"]
        self.version: str = data["version"]
        self.knowledge_hash: str = data["knowledgeHash"]
        self.queries: list[str] = data["queries"]
        self.classifier = CompiledClassifier.from_json(json.dumps(data["classifier"]))
        self.segment_classes: dict[str, str] = data["segmentClasses"]
        self.keys = _key_table(data["keys"])
        self.shapes: list[dict[str, Any]] = data["shapes"]
        self.guidance = CompiledGuidance.from_json(data["guidance"])
        self.statements: dict[str, StatementInfo] = {k: _statement(v) for k, v in data["statements"].items()}
        self._by_id = {info.id: info for info in self.statements.values()}
        self.criteria: dict[str, CriterionInfo] = {
            k: CriterionInfo(v["iri"], v["label"], v["definition"], v["level"], tuple(v["keys"]), v["borderline"],
                             tuple((b, m) for b, m in v["branches"]))
            for k, v in data["criteria"].items()}
        s = data["safety"]
        self.safety = SafetyKnowledge(
            {c["iri"]: Contraindication(**c) for c in s["contraindications"]},
            {r: [Option(o["iri"], o["label"], o["order"], list(o["actions"])) for o in opts]
             for r, opts in s["options"].items()},
            [Alert(a["iri"], a["id"], a["order"], a["message"], a["criterion"], a["on_data_conflict"],
                   tuple(a["points_to"])) for a in s["alerts"]])
        self._met_when = data["metWhenApplies"]
        self._defers = set(data["defersComparator"])
        self._comparators = data["comparatorActions"]
        self._labels = data["labels"]
        self._reached = data["reachedActions"]
        self._evidence = data["evidenceText"]

    @property
    def tbox_hash(self) -> str:
        return self.classifier.tbox_hash

    def iri(self, text: str) -> str:
        return str(text)

    def met_when_applies(self, crit: str) -> list[str]:
        return list(self._met_when.get(crit, ()))

    def defers_comparator(self, rec: str) -> bool:
        return rec in self._defers

    def comparator_actions(self, rec: str) -> list[str]:
        return list(self._comparators.get(rec, ()))

    def label(self, iri: str) -> str | None:
        if iri not in self._labels:
            raise KeyError(f"compiled knowledge artefact: no label compiled for {iri} (rebuild: make build)")
        return self._labels[iri]

    def reached_actions(self, action: str) -> set[str]:
        return set(self._reached.get(action, [action]))

    def evidence_text(self, evidence: str) -> str:
        return self._evidence.get(evidence, str(evidence))

    def statement_by_id(self, statement_id: str) -> StatementInfo | None:
        return self._by_id.get(statement_id)


def _statement(d: dict[str, Any]) -> StatementInfo:
    fields = {k: v for k, v in d.items() if k not in ("groups", "excluded_groups", "links", "actions")}
    info = StatementInfo(**fields)
    info.groups, info.excluded_groups = set(d["groups"]), set(d["excluded_groups"])
    info.actions = [(a[0], a[1]) for a in d["actions"]]
    for k, v in d["links"].items():
        info.links[k] = [(x[0], x[1], x[2]) for x in v]
    return info


def _key_table(d: dict[str, Any]) -> KeyTable:
    table = KeyTable(questions=dict(d["questions"]))
    for raw in d["specs"]:
        spec = KeySpec(**{**raw, "allowed": tuple(raw["allowed"]),
                          "minimum": None if raw["minimum"] is None else Decimal(raw["minimum"]),
                          "maximum": None if raw["maximum"] is None else Decimal(raw["maximum"])})
        table.by_prop[spec.prop] = spec
        if spec.flag_prop is not None:
            table.by_prop[spec.flag_prop] = spec
        if spec.limb_level:
            table.limb[spec.key[len("limbs.{limb}."):]] = spec
        else:
            table.patient[spec.key] = spec
    return table


def load_knowledge(root: Path | None = None, rebuild: bool = True) -> LeanKnowledge:
    """The artefact of the project at ``root``; a missing or stale one is rebuilt (or StaleArtefact raised)."""
    root = (root or paths.project_root()).resolve()
    digest = stamp(root)
    path = artefact_path(root, digest)
    if not path.exists():
        if not rebuild:
            raise StaleArtefact(f"{path} is missing or stale: run make build")
        path = write_artefact(root)
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("stamp") != digest:
        raise StaleArtefact(f"{path}: its stamp {data.get('stamp')} is not {digest} (damaged?): run make build")
    return LeanKnowledge(data, root)
