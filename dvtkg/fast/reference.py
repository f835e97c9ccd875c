"""HermiT kept warm: one JVM (JPype), the TBox parsed once, a new reasoner per case.

The reference the differential tests compare against. It runs the very HermiT jar
owlready2 ships (with its OWL API), on the same reasoner case graph, but without a JVM
start, a world dump and a TBox parse per case. ``tests/test_fast_differential.py``
checks that it agrees with the owlready2 path (``dvtkg.reason.classify``) on the
examples before it is trusted for the rest.

JPype allows one JVM per process: ``WarmHermit`` starts it on first use and keeps it.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from rdflib import BNode, Graph, URIRef
from rdflib.namespace import OWL, RDF

from dvtkg.reason import DVT_PREFIX, JAVA_MEMORY_MB, TBOX_IRI, ReasonerError


def _classpath() -> list[str]:
    import owlready2

    here = os.path.dirname(owlready2.__file__)
    return [os.path.join(here, "hermit"), os.path.join(here, "hermit", "HermiT.jar")]


class WarmHermit:
    """HermiT through JPype with the reasoner TBox loaded once."""

    def __init__(self, tbox_owl: Path, java_memory_mb: int = JAVA_MEMORY_MB, reuse_hierarchy: bool = True) -> None:
        try:
            import jpype
            import jpype.imports  # noqa: F401  (enables Java imports)
        except ImportError as exc:  # pragma: no cover - jpype1 is a test dependency
            raise ReasonerError("the warm HermiT reference needs jpype1 (pip install jpype1)") from exc
        if not jpype.isJVMStarted():
            jpype.startJVM(f"-Xmx{java_memory_mb}m", "-Djava.awt.headless=true", classpath=_classpath(),
                           convertStrings=True)
        self._jpype = jpype
        OWLManager = jpype.JClass("org.semanticweb.owlapi.apibinding.OWLManager")
        self._File = jpype.JClass("java.io.File")
        self._StringSource = jpype.JClass("org.semanticweb.owlapi.io.StringDocumentSource")
        self._IRI = jpype.JClass("org.semanticweb.owlapi.model.IRI")
        self._factory = jpype.JClass("org.semanticweb.HermiT.Reasoner$ReasonerFactory")()
        self.manager = OWLManager.createOWLOntologyManager()
        self.data = self.manager.getOWLDataFactory()
        self.tbox = self.manager.loadOntologyFromOntologyDocument(self._File(str(tbox_owl)))
        self.reuse_hierarchy = reuse_hierarchy
        self._tbox_reasoner = None
        self._field = None
        if reuse_hierarchy:
            # HermiT classifies all ~370 classes before realising a case; without nominals a
            # consistent ABox cannot change a subsumption, so the TBox's hierarchy is computed
            # once and handed to each new reasoner (HermiT then skips classifyClasses()).
            cls = jpype.JClass("org.semanticweb.HermiT.Reasoner").class_
            self._field = cls.getDeclaredField("m_atomicConceptHierarchy")
            self._field.setAccessible(True)
            self._tbox_reasoner = self._factory.createReasoner(self.tbox)
            self._tbox_reasoner.classifyClasses()
            self._hierarchy = self._field.get(self._tbox_reasoner)

    @staticmethod
    def _headed(g: Graph) -> Graph:
        """The graph with an ontology header importing the TBox (without it HermiT would not see the TBox)."""
        if (None, OWL.imports, URIRef(TBOX_IRI)) in g:
            return g
        headed = Graph()
        headed += g
        onto = URIRef(f"urn:dvtkg:reference:{uuid.uuid4()}")
        headed.add((onto, RDF.type, OWL.Ontology))
        headed.add((onto, OWL.imports, URIRef(TBOX_IRI)))
        return headed

    def consistent(self, g: Graph) -> bool:
        """Is the case graph consistent with the TBox? A plain HermiT consistency test: a new reasoner, no
        hierarchy handed over, no realisation."""
        text = self._headed(g).serialize(format="xml")
        onto = self.manager.loadOntologyFromOntologyDocument(self._StringSource(text))
        reasoner = None
        try:
            reasoner = self._factory.createReasoner(onto)
            return bool(reasoner.isConsistent())
        finally:
            if reasoner is not None:
                reasoner.dispose()
            self.manager.removeOntology(onto)

    def entailed_by_refutation(self, g: Graph, subject: URIRef, cls: str) -> bool:
        """Does the graph entail ``subject`` a ``cls``? Decided the textbook way: the graph plus
        "subject is not a cls" is inconsistent. Used to settle a disagreement with HermiT's realisation
        (getTypes), which on some graphs answers differently from run to run."""
        trial = Graph()
        trial += self._headed(g)
        node = BNode()
        trial.add((node, RDF.type, OWL.Class))
        trial.add((node, OWL.complementOf, URIRef(cls)))
        trial.add((subject, RDF.type, node))
        return not self.consistent(trial)

    def classify_graph(self, g: Graph, subjects: list[URIRef]) -> Graph | None:
        """Inferred dvt types of the subjects of a reasoner case graph (importing the TBox), or None if inconsistent."""
        text = self._headed(g).serialize(format="xml")
        onto = self.manager.loadOntologyFromOntologyDocument(self._StringSource(text))
        reasoner = None
        try:
            reasoner = self._factory.createReasoner(onto)
            if self._field is not None:
                self._field.set(reasoner, self._hierarchy)
            if not reasoner.isConsistent():
                return None
            inferred = Graph()
            for iri in subjects:
                ind = self.data.getOWLNamedIndividual(self._IRI.create(str(iri)))
                for cls in reasoner.getTypes(ind, False).getFlattened():
                    name = str(cls.getIRI().toString())
                    if name.startswith(DVT_PREFIX):
                        inferred.add((iri, RDF.type, URIRef(name)))
            return inferred
        finally:
            if reasoner is not None:
                reasoner.dispose()
            self.manager.removeOntology(onto)

    def satisfiable(self, classes: list[str]) -> bool:
        """Is the intersection of the named classes satisfiable with the TBox (HermiT)?"""
        jset = self._jpype.JClass("java.util.HashSet")()
        for c in classes:
            jset.add(self.data.getOWLClass(self._IRI.create(c)))
        if self._tbox_reasoner is None:
            self._tbox_reasoner = self._factory.createReasoner(self.tbox)
        return bool(self._tbox_reasoner.isSatisfiable(self.data.getOWLObjectIntersectionOf(jset)))
