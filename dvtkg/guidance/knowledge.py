"""The knowledge base as the assessment engine uses it: loaded once, read-only.

A ``KnowledgeBase`` holds the merged graph, the RDF/XML file the reasoner loads,
the case-key table, the guidance queries, and the statement and criterion details
the report shows. Create it once per process and pass it to every assessment.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS
from rdflib.query import ResultRow

from dvtkg import paths
from dvtkg.cases.keys import KeyTable, load_key_table
from dvtkg.cases.vocab import DVT, DVTV
from dvtkg.guidance.info import (  # noqa: E402,F401
    GROUP_ORDER,
    VTE_INDICATION,
    ConflictCandidate,
    CriterionInfo,
    StatementInfo,
)
from dvtkg.guidance.safety import SafetyKnowledge, load_safety
from dvtkg.guidance.store import GuidanceStore
from dvtkg.kb.build import load_knowledge, sources_hash
from dvtkg.queryfiles import QueryFile, find_queries
from dvtkg.reason import REASONER_INPUT_VERSION, reasoner_tbox


def _s(value: object) -> str:
    return "" if value is None else str(value)


def _int(value: object) -> int | None:
    """An integer literal's value, None when absent."""
    return None if value is None else int(str(value))


INDEX_PREDICATES = {
    DVT.hasRequiredCriterion, DVT.hasExcludingCriterion, DVT.hasBlockingCriterion, DVT.hasCautionCriterion,
    DVT.assessmentLevel, DVT.criterionLevel, DVT.meetsClass, DVT.notMeetsClass, DVT.currency,
    DVT.metWhenApplies, DVT.metByPopulation, DVT.metWhenCriterionMet, DVT.presupposesCriterion, DVT.direction,
    DVT.recommendedAction, DVT.excludesAction,
    DVT.hasStrength, DVT.coarseStrength, RDFS.subClassOf, DCTERMS.isReplacedBy, DVT.supportedBy, DCTERMS.source,
    DVT.offersOption, DVT.optionAction, DVT.contraindicatedAction, DVT.contraindicationCriterion,
    DVT.contraindicationEffect, DVT.addressesIndication,
}
INDEX_TYPES = {DVT.GuidanceDependentCriterion, DVT.DrugLabelStatement}


def guidance_index(knowledge: Graph) -> Graph:
    """The triples of the knowledge graph the guidance queries read, and no others.

    The guidance queries run per case over this index plus the case; a small graph
    keeps rdflib's joins fast (the whole knowledge graph made them ~50 times slower).
    """
    index = Graph()
    for t in knowledge:
        if t[1] in INDEX_PREDICATES or (t[1] == RDF.type and t[2] in INDEX_TYPES):
            index.add(t)
    return index


@dataclass
class KnowledgeBase:
    """The loaded knowledge: graph, reasoner input, key table, queries, details."""

    root: Path
    graph: Graph
    owl_path: Path
    keys: KeyTable
    queries: dict[str, QueryFile]
    statements: dict[URIRef, StatementInfo]
    criteria: dict[URIRef, CriterionInfo]
    version: str
    segment_classes: dict[URIRef, URIRef] = field(default_factory=dict)
    index: Graph = field(default_factory=Graph)
    candidates: dict[tuple[URIRef, URIRef], "ConflictCandidate"] = field(default_factory=dict)
    store: GuidanceStore | None = None
    safety: SafetyKnowledge | None = None
    knowledge_hash: str = ""  # the content hash of the ontology sources (dvtkg.kb.sources.sources_hash)

    @classmethod
    def load(cls, root: Path | None = None) -> "KnowledgeBase":
        """Load (building if needed) the knowledge base of the project at ``root``."""
        root = (root or paths.project_root()).resolve()
        graph = load_knowledge(root)
        digest = sources_hash(root)
        owl_name = f"kb-{digest}-reasoner-v{REASONER_INPUT_VERSION}.owl"
        owl_path = paths.build_dir(root) / owl_name  # prebuilt in an installed package
        if not owl_path.exists():
            owl_path = paths.cache_dir(root) / owl_name
        if not owl_path.exists():
            owl_path.parent.mkdir(parents=True, exist_ok=True)
            tmp = owl_path.with_suffix(".owl.tmp")
            tmp.write_bytes(reasoner_tbox(graph).serialize(format="xml").encode())
            tmp.replace(owl_path)
        queries = {q.id: q for q in find_queries(paths.queries_dir(root) / "guidance")}
        version = (paths.version_file(root).read_text().strip() if paths.version_file(root).exists() else "unknown")
        kb = cls(root, graph, owl_path, load_key_table(graph), queries, {}, {}, version)
        kb.knowledge_hash = digest
        kb.statements = kb._load_statements()
        kb.criteria = kb._load_criteria()
        kb.safety = load_safety(graph, queries)
        kb.index = guidance_index(graph)
        kb._derive_stances()
        kb.store = GuidanceStore(kb.index)
        kb.segment_classes = {
            seg: cls for seg, cls in graph.subject_objects(RDF.type)
            if str(seg).startswith(f"{DVTV}vein-") and str(cls).startswith(str(DVT)) and cls != DVT.VeinSegment
        }
        return kb

    def query(self, query_id: str, graph: Graph | None = None, **bindings: object) -> list[ResultRow]:
        """Run a guidance query by id with bound parameters (never pasted into the text)."""
        q = self.queries[query_id]
        target = graph if graph is not None else self.graph
        return list(target.query(q.text, initBindings=bindings or None))

    def _load_statements(self) -> dict[URIRef, StatementInfo]:
        out: dict[URIRef, StatementInfo] = {}
        for row in self.query("guidance-statement-details"):
            rec = row.rec
            info = out.get(rec)
            if info is None:
                info = StatementInfo(
                    iri=rec, id=_s(row.id), type=str(row.type).rsplit("#", 1)[-1], source=_s(row.sourceKey),
                    source_title=_s(row.sourceTitle), citation=_s(row.citation), doi=_s(row.doi), number=_s(row.number),
                    statement=_s(row.statement), population=_s(row.population), direction=_s(row.direction),
                    strength=_s(row.strength), certainty=_s(row.certainty), coarse=_s(row.coarse), check=_s(row.check),
                    certainty_check=_s(row.certaintyCheck), currency=_s(row.currency), level=_s(row.level),
                    source_remark=_s(row.sourceRemark), curator_remark=_s(row.curatorRemark),
                    decision_remark=_s(row.decisionRemark), year=_s(row.year),
                    strength_rank=_int(row.strengthRank), certainty_rank=_int(row.certaintyRank))
                out[rec] = info
            if row.action is not None and (str(row.action), _s(row.actionLabel)) not in info.actions:
                info.actions.append((str(row.action), _s(row.actionLabel) or str(row.action).rsplit("#", 1)[-1]))
            if row.group is not None:
                info.groups.add(str(row.group))
            if row.excludedGroup is not None:
                info.excluded_groups.add(str(row.excludedGroup))
        for rec, info in out.items():
            # the question the statement answers: its dvt:addressesIndication, else the VTE itself (its label too
            # comes from the knowledge: the report keys on the IRI, so a renamed label changes only the text)
            ind = self.graph.value(rec, DVT.addressesIndication) or URIRef(VTE_INDICATION)
            info.indication_iri = str(ind)
            label = self.graph.value(ind, RDFS.label)
            info.indication = str(label) if label is not None else str(ind).rsplit("/", 1)[-1]
        for row in self.query("guidance-statement-links"):
            info = out.get(row.rec)
            if info is not None:
                entry = (str(row.value), _s(row.label), _s(row.text))
                if entry not in info.links[str(row.link)]:
                    info.links[str(row.link)].append(entry)
        for info in out.values():
            for entries in info.links.values():
                entries.sort()  # by IRI: not the order of the query's rows, which follows the parsed files
        return out

    def _load_criteria(self) -> dict[URIRef, CriterionInfo]:
        rows: dict[URIRef, dict[str, Any]] = {}
        for row in self.query("guidance-criterion-details"):
            d = rows.setdefault(row.crit, {"label": _s(row.label), "definition": _s(row.definition),
                                           "level": _s(row.level), "keys": [], "borderline": row.borderline})
            if row.key is not None and str(row.key) not in d["keys"]:
                d["keys"].append(str(row.key))
        branches: dict[URIRef, list[tuple[URIRef, URIRef]]] = {}
        for row in self.query("guidance-criterion-branches"):
            branches.setdefault(row.crit, []).append((row.branch, row.branchMet))
        # the keys sorted: the order of the query's rows follows the parsed files, so any edit of them (a renamed
        # label) could otherwise change which deciding fact an explanation quotes first
        return {c: CriterionInfo(c, d["label"], d["definition"], d["level"], tuple(sorted(d["keys"])),
                                 d["borderline"], tuple(branches.get(c, ())))
                for c, d in rows.items()}

    def _derive_stances(self) -> None:
        """Add the knowledge-level stances and action overlaps to the index (computed once)."""
        for row in self.query("guidance-stances", self.index):
            node = URIRef(f"{row.rec}#stance-{row.origin}-{row.stance}-{str(row.action).rsplit('#', 1)[-1]}")
            self.index.add((row.rec, DVT.takesStance, node))
            self.index.add((node, DVT.stanceAction, row.action))
            self.index.add((node, DVT.stanceDirection, Literal(str(row.stance))))
            self.index.add((node, DVT.stanceOrigin, Literal(str(row.origin))))
        for row in self.query("guidance-action-overlaps", self.index):
            self.index.add((row.a, DVT.overlapsAction, row.b))
        rows = sorted(self.query("guidance-conflict-candidates", self.index),
                      key=lambda r: (str(r.rec1), str(r.rec2), str(r.kind), str(r.act1), str(r.act2)))
        for row in rows:
            pair = (row.rec1, row.rec2)
            kind = str(row.kind)
            current = self.candidates.get(pair)
            if current is None or (current.kind == "strength" and kind == "direction"):
                self.candidates[pair] = ConflictCandidate(row.rec1, row.rec2, kind, str(row.act1), str(row.act2),
                                                          str(row.stance1), str(row.stance2))
        for (a, b), cand in self.candidates.items():
            node = cand.node
            self.index.add((node, DVT.candidateFirst, a))
            self.index.add((node, DVT.candidateSecond, b))

    # What the JSON assembly reads of the knowledge beyond the tables above: the lean path's
    # compiled artefact (dvtkg.lean.artefact) answers the same questions from precomputed tables.

    def iri(self, text: str) -> URIRef:
        """An IRI of this knowledge base's kind (rdflib URIRef here, str on the lean path)."""
        return URIRef(text)

    def met_when_applies(self, crit: URIRef) -> list[URIRef]:
        """The statements a guidance-dependent criterion is met by (dvt:metWhenApplies)."""
        return list(self.graph.objects(crit, DVT.metWhenApplies))

    def defers_comparator(self, rec: URIRef) -> bool:
        """Whether a statement defers its comparator (decision rule 18)."""
        return self.graph.value(rec, DVT.defersComparator) == Literal(True)

    def comparator_actions(self, rec: URIRef) -> list[URIRef]:
        return list(self.graph.objects(rec, DVT.comparatorAction))

    def label(self, iri: URIRef) -> str | None:
        value = self.graph.value(iri, RDFS.label)
        return None if value is None else str(value)

    def reached_actions(self, action: URIRef) -> set[URIRef]:
        """The action, every class above it, and what each is the duration of (dvt:durationOf)."""
        return {x for b in self.graph.transitive_objects(action, RDFS.subClassOf)
                for x in (b, *self.graph.objects(b, DVT.durationOf))}

    def evidence_text(self, evidence: URIRef) -> str:
        """A superseding piece of evidence as the JSON shows it: 'label: result text'."""
        text = self.graph.value(evidence, DVT.resultText)
        label = self.graph.value(evidence, RDFS.label)
        return f"{label or evidence}: {text}" if text else str(label or evidence)

    def statement_by_id(self, statement_id: str) -> StatementInfo | None:
        for info in self.statements.values():
            if info.id == statement_id:
                return info
        return None
