"""The order cards' intervention table (dvtkg.service.orderknowledge): the knowledge graph's answers, cached.

Expectations from the ontology's intervention hierarchy (ontology/modules): a kind of an intervention
overlaps it in both directions, an intervention overlaps itself, and unrelated ones do not.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dvtkg.guidance.knowledge import KnowledgeBase
from dvtkg.service import orderknowledge

DVT = "https://w3id.org/dvtkg/ontology#"


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "service-orders.json"
    monkeypatch.setattr(orderknowledge, "table_path", lambda stamp, root=None: path)
    return path


def test_the_cached_table_is_the_graphs_answer(knowledge_base: KnowledgeBase, cache: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from_graph = orderknowledge.from_graph(knowledge_base)
    monkeypatch.setattr(KnowledgeBase, "load", classmethod(lambda cls, root=None: knowledge_base))
    built = orderknowledge.load_cached("stamp")
    assert cache.exists()
    assert built == from_graph
    # a kind of intervention overlaps its general form both ways; each overlaps itself
    assert DVT + "InferiorVenaCavaFilter" in from_graph.overlaps[DVT + "InferiorVenaCavaFilter"]
    assert any(DVT + "InferiorVenaCavaFilter" in others and kind != DVT + "InferiorVenaCavaFilter"
               for kind, others in from_graph.overlaps.items())
    assert DVT + "CompressionStockings" not in from_graph.overlaps[DVT + "InferiorVenaCavaFilter"]

    def no_graph(cls, root=None):  # the second start reads the file: the knowledge graph is not loaded
        raise AssertionError("the knowledge graph was loaded although the table is cached")

    monkeypatch.setattr(KnowledgeBase, "load", classmethod(no_graph))
    assert orderknowledge.load_cached("stamp") == from_graph


def test_a_damaged_table_is_built_again(knowledge_base: KnowledgeBase, cache: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    cache.write_text('{"overlaps": [', encoding="utf-8")
    monkeypatch.setattr(KnowledgeBase, "load", classmethod(lambda cls, root=None: knowledge_base))
    assert orderknowledge.load_cached("stamp") == orderknowledge.from_graph(knowledge_base)
    assert orderknowledge.OrderKnowledge.from_json(cache.read_text(encoding="utf-8")).labels
