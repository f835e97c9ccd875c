"""Run W3C SHACL test-suite entries (tests/external/shacl/core/) through dvtkg.validate.

A test entry is an ``sht:Validate`` of a manifest: ``mf:action [ sht:dataGraph D ;
sht:shapesGraph S ]`` and ``mf:result`` an expected ``sh:ValidationReport`` (or
``sht:Failure``). :func:`run_entry` validates with ``dvtkg.validate.validate_graph`` and
compares with the expected report: ``sh:conforms``, then the multiset of results keyed by
(focus, path, constraint component, severity, value) (blank nodes compare as "_:b", a
complex path by its SPARQL rendering), then sh:sourceShape where the expected one is an IRI.
That is stricter than pySHACL's own ``check_sht_result``, which matches on (focus, value,
path) only; :func:`pyshacl_check` runs that one on pySHACL's report graph as a second opinion.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pyshacl
from pyshacl.validator_conformance import check_sht_result
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS, SH

from dvtkg.validate import render_path, validate_graph

HERE = Path(__file__).resolve().parent
CORE = HERE / "shacl" / "core"
MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
SHT = Namespace("http://www.w3.org/ns/shacl-test#")

ResultKey = tuple[str, str, str, str, str]


@dataclass(frozen=True)
class ShaclEntry:
    """One sht:Validate entry: where its graphs are and what it expects."""

    id: str            # e.g. "core/node/and-001"
    label: str
    manifest: Path
    node: URIRef
    data: Path
    shapes: Path

    def load(self) -> tuple[Graph, Graph, Graph]:
        """(data graph, shapes graph, manifest graph)."""
        manifest = _parse(self.manifest)
        data = _parse(self.data)
        shapes = data if self.shapes == self.data else _parse(self.shapes)
        return data, shapes, manifest


def _parse(path: Path) -> Graph:
    g = Graph()
    g.parse(path, format="turtle", publicID=path.as_uri())
    return g


def _local(iri) -> str:
    text = str(iri)
    return text.rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def _manifests(path: Path):
    g = _parse(path)
    yield path, g
    for man in g.subjects(RDF.type, MF.Manifest):
        for inc in g.objects(man, MF.include):
            yield from _manifests(Path(str(inc).removeprefix("file://")))


def entries(root: Path = CORE) -> list[ShaclEntry]:
    """Every sht:Validate entry reachable from root/manifest.ttl, in manifest order."""
    out = []
    for path, g in _manifests(root / "manifest.ttl"):
        for man in g.subjects(RDF.type, MF.Manifest):
            lst = g.value(man, MF.entries)
            if lst is None:
                continue
            for node in Collection(g, lst):
                if (node, RDF.type, SHT.Validate) not in g:
                    continue
                action = g.value(node, MF.action)
                data = Path(str(g.value(action, SHT.dataGraph)).removeprefix("file://"))
                shapes = Path(str(g.value(action, SHT.shapesGraph)).removeprefix("file://"))
                rel = path.parent.relative_to(root.parent)
                out.append(ShaclEntry(id=f"{rel.as_posix()}/{_local(node)}",
                                      label=str(g.value(node, RDFS.label) or ""),
                                      manifest=path, node=node, data=data, shapes=shapes))
    return out


def _show(node) -> str:
    if node is None:
        return "-"
    if isinstance(node, BNode):
        return "_:b"
    if isinstance(node, Literal):
        return node.n3()
    return str(node)


def _path_text(graph: Graph, path) -> str:
    if path is None:
        return "-"
    rendered = render_path(graph, path)
    return str(rendered)


def expected_results(manifest: Graph, entry: ShaclEntry) -> tuple[bool | None, Counter, dict]:
    """(conforms or None for an expected sht:Failure, result keys, {key: sourceShape IRIs})."""
    result = manifest.value(entry.node, MF.result)
    if result == SHT.Failure:
        return None, Counter(), {}
    conforms = manifest.value(result, SH.conforms)
    keys: Counter = Counter()
    shapes: dict = {}
    for r in manifest.objects(result, SH.result):
        key = (
            _show(manifest.value(r, SH.focusNode)),
            _path_text(manifest, manifest.value(r, SH.resultPath)),
            _local(manifest.value(r, SH.sourceConstraintComponent)),
            _local(manifest.value(r, SH.resultSeverity)),
            _show(manifest.value(r, SH.value)),
        )
        keys[key] += 1
        shape = manifest.value(r, SH.sourceShape)
        if isinstance(shape, URIRef):
            shapes.setdefault(key, set()).add(str(shape))
    return bool(conforms.toPython()), keys, shapes


@dataclass
class Outcome:
    ok: bool
    detail: str


def run_entry(entry: ShaclEntry) -> Outcome:
    """Validate through dvtkg.validate.validate_graph and compare with the expected report."""
    data, shapes, manifest = entry.load()
    exp_conforms, exp_keys, exp_shapes = expected_results(manifest, entry)
    try:
        report = validate_graph(data, shapes)
    except Exception as exc:  # a validation failure (sht:Failure expected) or a crash
        if exp_conforms is None:
            return Outcome(True, f"failed as expected: {exc}")
        return Outcome(False, f"validation raised {type(exc).__name__}: {exc}")
    if exp_conforms is None:
        return Outcome(False, "expected a validation failure (sht:Failure), got a report")
    got_keys: Counter = Counter()
    got_shapes: dict = {}
    for r in report.results:
        key = (_show(r.focus), "-" if r.path is None else str(r.path), r.constraint, r.severity, _show(r.value))
        got_keys[key] += 1
        if isinstance(r.shape, URIRef):
            got_shapes.setdefault(key, set()).add(str(r.shape))
    problems = []
    if report.conforms != exp_conforms:
        problems.append(f"conforms: expected {exp_conforms}, got {report.conforms}")
    if got_keys != exp_keys:
        missing = exp_keys - got_keys
        extra = got_keys - exp_keys
        if missing:
            problems.append("missing results: " + "; ".join(map(str, sorted(missing.elements()))))
        if extra:
            problems.append("unexpected results: " + "; ".join(map(str, sorted(extra.elements()))))
    else:
        for key, want in exp_shapes.items():
            if not want <= got_shapes.get(key, set()):
                got = sorted(got_shapes.get(key, []))
                problems.append(f"sourceShape for {key}: expected {sorted(want)}, got {got}")
    return Outcome(not problems, "\n".join(problems) or "ok")


def pyshacl_check(entry: ShaclEntry) -> bool:
    """pySHACL's own scoring (check_sht_result) of its report graph, same options as dvtkg.validate."""
    data, shapes, manifest = entry.load()
    try:
        _, report_graph, _ = pyshacl.validate(data, shacl_graph=shapes, inference="none", advanced=True,
                                              abort_on_first=False, allow_infos=False, allow_warnings=False,
                                              inplace=False)
    except Exception as exc:  # noqa: BLE001 - pySHACL raises its ValidationFailure family
        report_graph = exc
    result = manifest.value(entry.node, MF.result)
    return bool(check_sht_result(report_graph, manifest, result, log=logging.getLogger("shacl-conformance")))
