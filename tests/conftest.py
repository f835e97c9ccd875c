"""Shared pytest fixtures: the project root, and the expensive objects loaded once per session.

Loading the knowledge base costs seconds per process; every module that needs it takes the
session's ``knowledge_base`` (and the assessors built on it) instead of loading its own. Under
pytest-xdist each worker process has its own session, so each loads them once.

Which engine: tests that are not about the reasoner take ``fast_assessor`` (the compiled
classifier and guidance rules, proved equal to HermiT + SPARQL by tests/test_fast_differential.py,
tests/test_guidance_differential.py and tests/test_engines_agree.py). Tests about HermiT itself
take ``reference_assessor`` or ``warm_hermit`` and are marked ``reasoner``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from project_paths import EXAMPLES, ROOT

if TYPE_CHECKING:
    from rdflib import Graph

    from dvtkg.assessment.pipeline import Assessor
    from dvtkg.fast.reference import WarmHermit
    from dvtkg.guidance.knowledge import KnowledgeBase


@pytest.fixture(scope="session")
def project_root() -> Path:
    """The clone's root folder (ontology/, shapes/, queries/, examples/ live under it)."""
    return ROOT


@pytest.fixture(scope="session")
def examples_dir() -> Path:
    """The example case sheets that the demo and the knowledge tests use."""
    return EXAMPLES


@pytest.fixture(scope="session")
def knowledge_base() -> KnowledgeBase:
    """The project's knowledge base (build/), loaded once per session; treat it as read-only."""
    from dvtkg.guidance.knowledge import KnowledgeBase

    return KnowledgeBase.load(ROOT)


@pytest.fixture(scope="session")
def fast_assessor(knowledge_base: KnowledgeBase) -> Assessor:
    """An Assessor on the fast engine (compiled classifier + compiled guidance rules)."""
    from dvtkg.assessment.pipeline import Assessor

    return Assessor(knowledge_base, engine="fast")


@pytest.fixture(scope="session")
def reference_assessor(knowledge_base: KnowledgeBase) -> Assessor:
    """An Assessor on the reference engine (HermiT through owlready2 + the SPARQL guidance queries)."""
    from dvtkg.assessment.pipeline import Assessor

    return Assessor(knowledge_base, engine="reference")


@pytest.fixture(scope="session")
def warm_hermit(knowledge_base: KnowledgeBase) -> WarmHermit:
    """HermiT in one JVM for the session (JPype allows one JVM per process), the TBox parsed once."""
    from dvtkg.fast.reference import WarmHermit

    return WarmHermit(knowledge_base.owl_path)


@pytest.fixture(scope="session")
def knowledge_graph() -> Graph:
    """The merged knowledge graph (dvtkg.kb.build.load_knowledge), parsed once per session; read-only."""
    from dvtkg.kb.build import load_knowledge

    return load_knowledge(ROOT)


@pytest.fixture(scope="session")
def local_cases_on_fast(knowledge_base: KnowledgeBase) -> Iterator[None]:
    """Case-based local queries (dvtkg.sparql.local, used by `dvtkg query --case` and publishing) assess
    their cases on the fast engine with the session's knowledge base instead of loading their own
    (lean=False: the queries read each assessment's RDF)."""
    from dvtkg.assessment.pipeline import Assessor
    from dvtkg.sparql import local

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(local, "_ASSESSOR", Assessor(knowledge_base, engine="fast", lean=False), raising=False)
        yield


# Modules that take longest, first: pytest-xdist (--dist loadfile) hands out modules in collection
# order, so starting the long ones early keeps both workers busy to the end (longest job first).
LONGEST_FIRST = (
    "test_fast_differential.py", "test_conformance_owl.py", "test_engines_agree.py", "test_reasoner_sanity.py",
    "test_kb_conflicts.py", "test_docs_site.py", "test_sparql_server.py", "test_guidance_differential.py",
    "test_fuzz_cases.py", "test_cli_kb.py", "test_docs_browser.py", "test_inconsistency.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: the rest keep their order


@pytest.fixture(scope="session")
def service_guidance():
    """The CDS service's knowledge base on the fast engine, loaded once for every service test module."""
    from dvtkg.service.guidance import Guidance

    return Guidance.load("fast")


@pytest.fixture(scope="module")
def local_knowledge_shared(knowledge_graph: Graph) -> Iterator[None]:
    """Local queries (dvtkg.sparql.local: `dvtkg query`, the competency questions) read the session's
    knowledge graph instead of parsing build/ again on every call, and reuse one dataset for the queries
    that add no case (the dataset copies the graph: it is never changed). The loading itself is tested
    by the tests that run the CLI in a subprocess."""
    from dvtkg.kb import build
    from dvtkg.sparql import local

    real_load, real_dataset = build.load_knowledge, local.dataset
    datasets: dict[str, local.LocalData] = {}

    def load_knowledge(root: Path | None = None) -> Graph:
        return knowledge_graph if root is None or Path(root).resolve() == ROOT.resolve() else real_load(root)

    def dataset(kb: Graph, cases: Sequence[local.AssessedCase] = (), kb_graph: str = local.KB_GRAPH) -> local.LocalData:
        if kb is not knowledge_graph or cases:
            return real_dataset(kb, cases, kb_graph)
        if kb_graph not in datasets:
            datasets[kb_graph] = real_dataset(kb, (), kb_graph)
        return datasets[kb_graph]

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(build, "load_knowledge", load_knowledge)
        mp.setattr(local, "dataset", dataset)
        yield
