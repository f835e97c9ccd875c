"""OWL classification of one case with HermiT through owlready2.

A fresh owlready2 World per call (no shared reasoner state); the TBox is loaded
from the built RDF/XML file, the case (asserted + derived facts + the closure
axioms the contract allows) is added as its own ontology, and the inferred types of
the patient and the limbs are returned as a separate graph, never mixed with the
assertions.
"""

from __future__ import annotations

import io
import os
import shutil
import stat
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import owlready2
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, XSD

from dvtkg.cases import closures
from dvtkg.cases.closures import Closure
from dvtkg.cases.vocab import DVT

TBOX_IRI = "https://w3id.org/dvtkg/ontology"
DVT_PREFIX = str(DVT)
JAVA_MEMORY_MB = 1024
# Bump when reasoner_tbox() or reasoner_case_graph() changes: names the cached reasoner file.
REASONER_INPUT_VERSION = "4"


@dataclass
class Classification:
    """The reasoner's result: inferred types per individual, or an inconsistency."""

    inferred: Graph
    consistent: bool = True
    seconds: float = 0.0
    closures: list[Closure] = field(default_factory=list)


class ReasonerError(Exception):
    """The reasoner could not run (Java missing, crash): exit code 2."""

    exit_code = 2


_LOGICAL_NS = (str(RDF), "http://www.w3.org/2000/01/rdf-schema#", str(OWL), "http://www.w3.org/2001/XMLSchema#")
_TERM_TYPES = {OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty, OWL.Ontology,
               OWL.FunctionalProperty, OWL.InverseFunctionalProperty, OWL.TransitiveProperty, OWL.SymmetricProperty,
               OWL.Restriction, OWL.AllDisjointClasses, URIRef(str(RDF) + "List"),
               URIRef("http://www.w3.org/2000/01/rdf-schema#Datatype")}


def _tree(g: Graph, node: BNode, seen: set) -> None:
    if node in seen:
        return
    seen.add(node)
    for _, _, o in g.triples((node, None, None)):
        if isinstance(o, BNode):
            _tree(g, o, seen)


def reasoner_tbox(knowledge: Graph) -> Graph:
    """The part of the knowledge graph that classifying a case needs, free of nominals.

    Realising every statement, source, grade and claim individual would cost the
    reasoner seconds per case and cannot change a patient's or a limb's types, and
    enumerated classes (owl:oneOf) slow HermiT down by an order of magnitude while no
    criterion needs them: the reasoner gets the logical axioms (RDF, RDFS, OWL, XSD
    vocabulary) without individuals, owl:oneOf classes or owl:AllDifferent.
    """
    drop: set = set()
    for s, o in knowledge.subject_objects(RDF.type):
        if o not in _TERM_TYPES:
            drop.add(s)
            if isinstance(s, BNode):
                _tree(knowledge, s, drop)
    for b in set(knowledge.subjects(OWL.oneOf, None)):
        if isinstance(b, BNode):
            _tree(knowledge, b, drop)
    out = Graph()
    for s, p, o in knowledge:
        if s in drop or o in drop or not str(p).startswith(_LOGICAL_NS):
            continue
        out.add((s, p, o))
    return out


def vein_closures(case: Graph, unclosed: set[URIRef]) -> list[Closure]:
    """Close the thrombus list of every imaged limb (case-sheet contract), except those withheld."""
    from dvtkg.cases.store_rdf import store_from_graph

    return [_uri_closure(c) for c in closures.vein_closures(store_from_graph(case), unclosed)]


def limb_closures(case: Graph, conflicts: list | None = None) -> list[Closure]:
    """Decision rule 4: close each patient to the legs the case gives (see dvtkg.cases.closures)."""
    from dvtkg.cases.store_rdf import store_from_graph

    return [_uri_closure(c) for c in closures.limb_closures(store_from_graph(case), conflicts)]


def _uri_closure(c: Closure) -> Closure:
    return Closure(URIRef(c.subject), URIRef(c.prop), tuple(URIRef(m) for m in c.members), c.reason)


def _at_most(g: Graph, subject: URIRef, prop: URIRef, n: int) -> None:
    r = BNode()
    g.add((subject, RDF.type, r))
    g.add((r, RDF.type, OWL.Restriction))
    g.add((r, OWL.onProperty, prop))
    g.add((r, OWL.maxCardinality, Literal(n, datatype=XSD.nonNegativeInteger)))


def _some(g: Graph, subject: URIRef, prop: URIRef, filler: URIRef) -> None:
    r = BNode()
    g.add((subject, RDF.type, r))
    g.add((r, RDF.type, OWL.Restriction))
    g.add((r, OWL.onProperty, prop))
    g.add((r, OWL.someValuesFrom, filler))


def _only(g: Graph, subject: URIRef, prop: URIRef, fillers: list[URIRef]) -> None:
    r = BNode()
    g.add((subject, RDF.type, r))
    g.add((r, RDF.type, OWL.Restriction))
    g.add((r, OWL.onProperty, prop))
    if not fillers:
        g.add((r, OWL.allValuesFrom, OWL.Nothing))
    elif len(fillers) == 1:
        g.add((r, OWL.allValuesFrom, fillers[0]))
    else:
        union, lst = BNode(), BNode()
        Collection(g, lst, fillers)
        g.add((union, RDF.type, OWL.Class))
        g.add((union, OWL.unionOf, lst))
        g.add((r, OWL.allValuesFrom, union))


_REASONED_TYPES = (DVT.Patient, DVT.Limb)


def reasoner_case_graph(case: Graph, closures: list[Closure], segment_classes: dict[URIRef, URIRef],
                        case_iri: str) -> Graph:
    """The case as the reasoner sees it: facts of the patient and limbs, thrombus as classes.

    A limb's thrombus in a segment becomes ``limb a (hasThrombusIn some <SegmentClass>)``
    and a closure ``limb a (hasThrombusIn only (<class> or ...))``, which keeps the
    reasoner free of nominals; the patient's closure to the legs given (decision rule 4)
    becomes ``patient a (hasLimb max N)``; laterality, codes and derivation records play no part in
    any criterion and are left out.
    """
    g = Graph()
    individuals = {s for t in _REASONED_TYPES for s in case.subjects(RDF.type, t)}
    for s, p, o in case:
        if s not in individuals or p in (DVT.hasThrombusIn, DVT.laterality, DVT.hasCodedDiagnosis):
            continue
        if p == RDF.type and o not in _REASONED_TYPES:
            continue
        g.add((s, p, o))
    for s in individuals:
        g.add((s, RDF.type, OWL.NamedIndividual))
    # OWL makes no unique-name assumption: say that the two legs are two, so that
    # "every limb of the patient ..." follows from both legs (at most two, case.ttl).
    limbs = sorted(s for s in individuals if (s, RDF.type, DVT.Limb) in case)
    if len(limbs) > 1:
        node, lst = BNode(), BNode()
        Collection(g, lst, limbs)
        g.add((node, RDF.type, OWL.AllDifferent))
        g.add((node, OWL.distinctMembers, lst))
    for limb, seg in case.subject_objects(DVT.hasThrombusIn):
        if limb in individuals and seg in segment_classes:
            _some(g, limb, DVT.hasThrombusIn, segment_classes[seg])
    for c in closures:
        if c.prop == DVT.hasLimb:
            _at_most(g, c.subject, c.prop, len(c.members))
            continue
        _only(g, c.subject, c.prop, sorted({segment_classes[m] for m in c.members if m in segment_classes}))
    onto = URIRef(case_iri)
    g.add((onto, RDF.type, OWL.Ontology))
    g.add((onto, OWL.imports, URIRef(TBOX_IRI)))
    return g


#: Temporary folders of this project's reasoner runs (see :func:`sweep_stale_temp`).
TEMP_PREFIXES = ("dvtkg-reason-", "dvtkg-conflicts-", "dvtkg-diff-")
#: A reasoner folder older than this is a leftover of a killed run (a run takes seconds to minutes).
STALE_AFTER_SECONDS = 3600.0


def sweep_stale_temp(temp_dir: str | Path | None = None, max_age_seconds: float = STALE_AFTER_SECONDS,
                     now: float | None = None) -> list[Path]:
    """Remove this user's reasoner folders left by killed runs; return what was removed.

    A run stopped by SIGTERM or Ctrl-C removes its own folder; one killed outright
    (SIGKILL, power loss) cannot. Only folders named with one of :data:`TEMP_PREFIXES`,
    owned by the current user and untouched for ``max_age_seconds`` are removed, so a
    run going on in parallel keeps its folder.
    """
    base = Path(temp_dir or tempfile.gettempdir())
    now = time.time() if now is None else now
    removed: list[Path] = []
    try:
        entries = list(base.iterdir())
    except OSError:
        return removed
    uid = os.getuid() if hasattr(os, "getuid") else None
    for entry in sorted(entries):
        if not entry.name.startswith(TEMP_PREFIXES):
            continue
        try:
            st = entry.lstat()
        except OSError:
            continue
        if not stat.S_ISDIR(st.st_mode) or (uid is not None and st.st_uid != uid):
            continue
        if now - st.st_mtime < max_age_seconds:
            continue
        shutil.rmtree(entry, ignore_errors=True)
        if not entry.exists():
            removed.append(entry)
    return removed


@contextmanager
def reasoning_world(tbox_owl: Path, java_memory_mb: int = JAVA_MEMORY_MB, prefix: str = "dvtkg-reason-"
                    ) -> Iterator[owlready2.World]:
    """A fresh owlready2 World with the reasoner TBox loaded, its own TMPDIR, bounded Java memory.

    owlready2 writes the whole world to a temporary file per reasoner call: each call
    gets its own directory. JAVA_MEMORY is owlready2's module setting (the only way to
    bound the JVM), set on every call rather than relied on.
    """
    owlready2.reasoning.JAVA_MEMORY = java_memory_mb
    sweep_stale_temp()
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        old_tmp = os.environ.get("TMPDIR")
        os.environ["TMPDIR"] = tmp
        tempfile.tempdir = None
        world = owlready2.World()
        try:
            with open(tbox_owl, "rb") as fh:
                world.get_ontology(TBOX_IRI).load(fileobj=fh)
            yield world
        finally:
            world.close()
            if old_tmp is None:
                os.environ.pop("TMPDIR", None)
            else:
                os.environ["TMPDIR"] = old_tmp
            tempfile.tempdir = None


def _run_hermit(tbox_owl: Path, ontologies: list[tuple[str, bytes]], subjects: list[list[URIRef]],
                java_memory_mb: int) -> list[Graph] | None:
    """One fresh World: the TBox plus the given case ontologies, classified by HermiT.

    Returns the inferred types per case (same order), or None if the whole is inconsistent.
    """
    with reasoning_world(tbox_owl, java_memory_mb) as world:
        ontos = [world.get_ontology(iri).load(fileobj=io.BytesIO(data)) for iri, data in ontologies]
        try:
            with ontos[0]:
                owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
        except owlready2.OwlReadyInconsistentOntologyError:
            return None
        except (owlready2.OwlReadyJavaError, FileNotFoundError, OSError) as exc:
            raise ReasonerError(f"the HermiT reasoner failed to run: {str(exc).strip()[:500]}") from exc
        out = []
        for subs in subjects:
            inferred = Graph()
            for iri in subs:
                ind = world[str(iri)]
                if ind is None:
                    continue
                for cls in ind.INDIRECT_is_a:
                    cls_iri = getattr(cls, "iri", None)
                    if isinstance(cls_iri, str) and cls_iri.startswith(DVT_PREFIX):
                        inferred.add((iri, RDF.type, URIRef(cls_iri)))
            out.append(inferred)
        return out


def _subjects(case: Graph) -> list[URIRef]:
    return sorted(set(case.subjects(RDF.type, DVT.Patient)) | set(case.subjects(RDF.type, DVT.Limb)))


def classify(tbox_owl: Path, case: Graph, closures: list[Closure], case_iri: str,
             segment_classes: dict[URIRef, URIRef], java_memory_mb: int = JAVA_MEMORY_MB) -> Classification:
    """Classify one case's patient and limbs against the TBox with HermiT (fresh World)."""
    start = time.perf_counter()
    data = reasoner_case_graph(case, closures, segment_classes, case_iri).serialize(format="xml").encode()
    found = _run_hermit(tbox_owl, [(case_iri, data)], [_subjects(case)], java_memory_mb)
    seconds = time.perf_counter() - start
    if found is None:
        return Classification(Graph(), consistent=False, seconds=seconds, closures=closures)
    return Classification(found[0], consistent=True, seconds=seconds, closures=closures)
