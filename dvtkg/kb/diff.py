"""Compare two versions of the knowledge base: ``dvtkg kb diff OLD NEW``.

OLD and NEW are each one of

- a directory: a project (holding ``ontology/``) or an ``ontology/`` directory itself;
  every ``*.ttl`` under it is parsed and merged (no consistency gate: a diff must
  also work on a half-finished edit);
- a Turtle file: a merged knowledge graph such as ``build/dvtkg.ttl``;
- a git revision of the project (``HEAD``, ``v0.1.0``, ``HEAD~2``, a commit): its
  ``ontology/`` is read with ``git archive`` into a temporary directory. A path that
  exists is always read as a path; anything else is tried as a revision.

Guidance statements (instances of ``dvt:Recommendation`` or ``dvt:DrugLabelStatement``)
are matched by their stable ID (``rdfs:label``, else the IRI's local name) and
reported as added, removed, deprecated (currency changed to superseded, or
``owl:deprecated true`` added) and changed, field by field: strength, certainty,
direction, the four criterion roles, action, check status, source, currency,
replacements, evidence, level, texts and remarks.
"""

from __future__ import annotations

import dataclasses
import io
import json
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS

from dvtkg import paths
from dvtkg.cases.vocab import DVT, DVTV

STATEMENT_TYPES = (DVT.Recommendation, DVT.DrugLabelStatement)
MAIN_ONTOLOGY = URIRef("https://w3id.org/dvtkg/ontology")


class DiffError(Exception):
    """An input cannot be read: exit code 2."""

    exit_code = 2


# (field name, predicate, kind) in report order; kind "one" = single value, "set" = several
FIELDS: tuple[tuple[str, URIRef, str], ...] = (
    ("type", RDF.type, "type"),
    ("source", DCTERMS.source, "one"),
    ("number in source", DVT.numberInSource, "one"),
    ("direction", DVT.direction, "one"),
    ("strength", DVT.hasStrength, "one"),
    ("certainty", DVT.hasCertainty, "one"),
    ("check status", DVT.checkStatus, "one"),
    ("certainty check status", DVT.certaintyCheckStatus, "one"),
    ("currency", DVT.currency, "one"),
    ("deprecated", OWL.deprecated, "one"),
    ("replaced by", DCTERMS.isReplacedBy, "set"),
    ("level", DVT.assessmentLevel, "one"),
    ("action", DVT.recommendedAction, "set"),
    ("comparator action", DVT.comparatorAction, "set"),
    ("required criteria", DVT.hasRequiredCriterion, "set"),
    ("excluding criteria", DVT.hasExcludingCriterion, "set"),
    ("blocking criteria", DVT.hasBlockingCriterion, "set"),
    ("caution criteria", DVT.hasCautionCriterion, "set"),
    ("evidence", DVT.supportedBy, "set"),
    ("decision rules", DVT.followsDecisionRule, "set"),
    ("statement text", DVT.statementText, "one"),
    ("population text", DVT.populationText, "one"),
    ("source remark", DVT.sourceRemark, "set"),
    ("curator remark", DVT.curatorRemark, "set"),
)


# ---------------------------------------------------------------- loading


@dataclass
class Knowledge:
    """One side of the diff: the merged graph and where it came from."""

    graph: Graph
    label: str
    version: str = ""


def _parse_tree(onto_dir: Path, label: str) -> Graph:
    files = sorted(onto_dir.rglob("*.ttl"))
    if not files:
        raise DiffError(f"{label}: no .ttl files under {onto_dir}")
    g = Graph(bind_namespaces="core")
    for f in files:
        try:
            g.parse(f, format="turtle")
        except Exception as exc:
            raise DiffError(f"{label}: {f.relative_to(onto_dir.parent)} does not parse: "
                            f"{' '.join(str(exc).split())[:300]}") from None
    return g


def _git_root(start: Path) -> Path | None:
    try:
        out = subprocess.run(["git", "-C", str(start), "rev-parse", "--show-toplevel"],
                             capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    return Path(out.stdout.strip())


def _load_revision(rev: str, repo: Path) -> Graph:
    git_root = _git_root(repo)
    if git_root is None:
        raise DiffError(f"{rev!r} is neither a file nor a directory, and {repo} is not a git repository")
    try:
        prefix = repo.resolve().relative_to(git_root.resolve()).as_posix()
    except ValueError:
        prefix = ""
    onto_path = f"{prefix}/ontology" if prefix and prefix != "." else "ontology"
    check = subprocess.run(["git", "-C", str(git_root), "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"],
                           capture_output=True, text=True)
    if check.returncode != 0:
        raise DiffError(f"{rev!r} is not a file, a directory or a git revision of {git_root}")
    arch = subprocess.run(["git", "-C", str(git_root), "archive", "--format=tar", rev, "--", onto_path],
                          capture_output=True)
    if arch.returncode != 0:
        raise DiffError(f"git archive {rev} {onto_path} failed: {arch.stderr.decode(errors='replace').strip()}")
    with tempfile.TemporaryDirectory(prefix="dvtkg-diff-") as tmp:
        with tarfile.open(fileobj=io.BytesIO(arch.stdout)) as tar:
            tar.extractall(tmp, filter="data")
        return _parse_tree(Path(tmp) / onto_path, rev)


def load(spec: str, repo: Path | None = None) -> Knowledge:
    """Read one side of the diff (a directory, a Turtle file or a git revision)."""
    path = Path(spec)
    if path.is_dir():
        onto = path / "ontology" if (path / "ontology").is_dir() else path
        g = _parse_tree(onto, spec)
    elif path.is_file():
        g = Graph(bind_namespaces="core")
        try:
            g.parse(path, format="turtle" if path.suffix in (".ttl", "") else None)
        except Exception as exc:
            raise DiffError(f"{spec} does not parse: {' '.join(str(exc).split())[:300]}") from None
    else:
        g = _load_revision(spec, repo or paths.project_root())
    version = g.value(MAIN_ONTOLOGY, OWL.versionInfo)
    return Knowledge(g, spec, str(version) if version is not None else "")


# ---------------------------------------------------------------- comparing


def _local(node) -> str:
    return str(node).rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def statements(g: Graph) -> dict[str, URIRef]:
    """Statement ID -> IRI."""
    out: dict[str, URIRef] = {}
    for t in STATEMENT_TYPES:
        for s in g.subjects(RDF.type, t):
            if isinstance(s, URIRef):
                lab = g.value(s, RDFS.label)
                out[str(lab) if lab is not None else _local(s)] = s
    return out


def _show(g: Graph, node) -> str:
    """A value as a reader wants it: a literal's text, a grade's label and notation, an ID."""
    if node is None:
        return ""
    if isinstance(node, Literal):
        return str(node)
    notation = g.value(node, SKOS.notation)
    label = g.value(node, RDFS.label)
    if str(node).startswith("https://w3id.org/dvtkg/grade/"):
        coarse = g.value(node, DVT.coarseStrength)
        text = str(label or notation or _local(node))
        if coarse is not None:
            text += f" [{g.value(coarse, SKOS.notation) or _local(coarse)}]"
        return text
    if str(node).startswith(str(DVTV)) and notation is not None:
        return str(notation)
    if str(node).startswith("https://w3id.org/dvtkg/rec/") and label is not None:
        return str(label)
    return _local(node)


@dataclass
class FieldChange:
    field: str
    old: str | None = None
    new: str | None = None
    # dataclasses.field: the attribute ``field`` above hides the bare name in this class body
    added: list[str] = dataclasses.field(default_factory=list)
    removed: list[str] = dataclasses.field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        if self.old is not None or self.new is not None:
            return {"field": self.field, "old": self.old, "new": self.new}
        return {"field": self.field, "added": self.added, "removed": self.removed}

    def text(self) -> str:
        if self.old is not None or self.new is not None:
            old = self.old if self.old else "(none)"
            new = self.new if self.new else "(none)"
            if "text" in self.field or "remark" in self.field:
                return f"{self.field}:\n        - {old}\n        + {new}"
            return f"{self.field}: {old} -> {new}"
        parts = [f"+{a}" for a in self.added] + [f"-{r}" for r in self.removed]
        if "remark" in self.field:
            return f"{self.field}:" + "".join(f"\n        - {r}" for r in self.removed) + \
                "".join(f"\n        + {a}" for a in self.added)
        return f"{self.field}: " + ", ".join(parts)


@dataclass
class StatementDiff:
    id: str
    changes: list[FieldChange] = field(default_factory=list)
    deprecated: str = ""  # how, when it was deprecated by this change


@dataclass
class Diff:
    old: Knowledge
    new: Knowledge
    added: list[str]
    removed: list[str]
    deprecated: list[StatementDiff]
    changed: list[StatementDiff]
    summaries: dict[str, dict[str, str]]

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)


def _values(g: Graph, s: URIRef, p: URIRef, kind: str) -> list[str]:
    if kind == "type":
        return sorted(_local(o) for o in g.objects(s, p) if o in STATEMENT_TYPES)
    return sorted({_show(g, o) for o in g.objects(s, p)})


def _is_deprecated(g: Graph, s: URIRef) -> bool:
    return g.value(s, DVT.currency) == DVTV.superseded or \
        any(o.toPython() is True for o in g.objects(s, OWL.deprecated) if isinstance(o, Literal))


def compare_statement(old: Graph, new: Graph, s_old: URIRef, s_new: URIRef, sid: str) -> StatementDiff:
    d = StatementDiff(sid)
    for name, pred, kind in FIELDS:
        a, b = _values(old, s_old, pred, kind), _values(new, s_new, pred, kind)
        if a == b:
            continue
        if kind in ("one", "type") and len(a) <= 1 and len(b) <= 1:
            d.changes.append(FieldChange(name, old=a[0] if a else "", new=b[0] if b else ""))
        else:
            d.changes.append(FieldChange(name, added=sorted(set(b) - set(a)), removed=sorted(set(a) - set(b))))
    if s_old != s_new:
        d.changes.insert(0, FieldChange("IRI", old=str(s_old), new=str(s_new)))
    if not _is_deprecated(old, s_old) and _is_deprecated(new, s_new):
        how = []
        if new.value(s_new, DVT.currency) == DVTV.superseded:
            how.append("currency -> superseded")
        if any(o.toPython() is True for o in new.objects(s_new, OWL.deprecated) if isinstance(o, Literal)):
            how.append("owl:deprecated true")
        repl = sorted(_show(new, r) for r in new.objects(s_new, DCTERMS.isReplacedBy))
        d.deprecated = "; ".join(how) + (f"; replaced by {', '.join(repl)}" if repl else "")
    return d


def _summary(g: Graph, s: URIRef) -> dict[str, str]:
    def one(p):
        return ", ".join(_values(g, s, p, "one"))

    return {"source": one(DCTERMS.source), "direction": one(DVT.direction), "strength": one(DVT.hasStrength),
            "certainty": one(DVT.hasCertainty), "check status": one(DVT.checkStatus),
            "currency": one(DVT.currency), "action": one(DVT.recommendedAction),
            "statement text": one(DVT.statementText)}


def diff(old: Knowledge, new: Knowledge) -> Diff:
    so, sn = statements(old.graph), statements(new.graph)
    added = sorted(set(sn) - set(so))
    removed = sorted(set(so) - set(sn))
    changed, deprecated = [], []
    for sid in sorted(set(so) & set(sn)):
        d = compare_statement(old.graph, new.graph, so[sid], sn[sid], sid)
        if d.changes:
            changed.append(d)
        if d.deprecated:
            deprecated.append(d)
    summaries = {sid: _summary(new.graph, sn[sid]) for sid in added}
    summaries.update({sid: _summary(old.graph, so[sid]) for sid in removed})
    return Diff(old, new, added, removed, deprecated, changed, summaries)


# ---------------------------------------------------------------- output


def to_dict(d: Diff) -> dict[str, object]:
    return {
        "old": {"spec": d.old.label, "version": d.old.version or None},
        "new": {"spec": d.new.label, "version": d.new.version or None},
        "added": [{"id": i, **d.summaries[i]} for i in d.added],
        "removed": [{"id": i, **d.summaries[i]} for i in d.removed],
        "deprecated": [{"id": s.id, "how": s.deprecated} for s in d.deprecated],
        "changed": [{"id": s.id, "changes": [c.as_dict() for c in s.changes]} for s in d.changed],
        "summary": {"added": len(d.added), "removed": len(d.removed), "deprecated": len(d.deprecated),
                    "changed": len(d.changed)},
    }


def format_json(d: Diff) -> str:
    return json.dumps(to_dict(d), indent=2, ensure_ascii=False)


def format_text(d: Diff) -> str:
    def side(k: Knowledge) -> str:
        return k.label + (f" (version {k.version})" if k.version else "")

    lines = [f"knowledge base diff: {side(d.old)} -> {side(d.new)}", ""]
    if d.old.version != d.new.version:
        lines += [f"version: {d.old.version or '(none)'} -> {d.new.version or '(none)'}", ""]
    if d.added:
        lines.append(f"added ({len(d.added)}):")
        for i in d.added:
            s = d.summaries[i]
            lines.append(f"  + {i} [{s['source']}] {s['direction']} {s['action']}; {s['strength'] or 'ungraded'}; "
                         f"check {s['check status']}; {s['currency']}")
        lines.append("")
    if d.removed:
        lines.append(f"removed ({len(d.removed)}):")
        for i in d.removed:
            s = d.summaries[i]
            lines.append(f"  - {i} [{s['source']}] {s['direction']} {s['action']}; {s['strength'] or 'ungraded'}")
        lines.append("")
    if d.deprecated:
        lines.append(f"deprecated ({len(d.deprecated)}):")
        for st in d.deprecated:
            lines.append(f"  ! {st.id}: {st.deprecated}")
        lines.append("")
    if d.changed:
        lines.append(f"changed ({len(d.changed)}):")
        for st in d.changed:
            lines.append(f"  ~ {st.id}")
            for c in st.changes:
                lines.append(f"      {c.text()}")
        lines.append("")
    if d.empty:
        lines.append("no statement differs")
    else:
        lines.append(f"{len(d.added)} added, {len(d.removed)} removed, {len(d.deprecated)} deprecated, "
                     f"{len(d.changed)} changed")
    return "\n".join(lines) + "\n"
