"""The knowledge base: merge the ontology sources, cache the merged graph, report on it.

- :func:`dvtkg.kb.build.load_knowledge` returns the merged knowledge graph (rdflib),
  cached on disk by a content hash of the sources (a new graph on every call; no
  in-process memo).
- :func:`dvtkg.kb.build.build` writes ``build/dvtkg.ttl`` and ``build/dvtkg.owl``
  (``dvtkg.kb.build`` is the module; the function is not re-exported here).
- :mod:`dvtkg.kb.stats` counts statements; :mod:`dvtkg.kb.show` describes one.

The names below are imported lazily so that ``python -m dvtkg.kb.build`` runs the
module once, without a double-import warning.
"""

from __future__ import annotations

from typing import Any

__all__ = ["KnowledgeError", "TurtleSyntaxError", "load_knowledge", "merge_sources"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        import importlib

        return getattr(importlib.import_module("dvtkg.kb.build"), name)
    raise AttributeError(f"module 'dvtkg.kb' has no attribute {name!r}")
