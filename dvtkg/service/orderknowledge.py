"""The intervention overlaps and labels the order cards need, read from the knowledge graph once and cached.

An ordered intervention bears on a statement when it is one of the statement's actions, a kind of
one, or a general form of one (the ``guidance-action-overlaps`` query); a card names it by its
label. Both come from the knowledge graph, whose load costs seconds of CPU: on the fast engine,
whose assessments need no graph, they are kept as a small JSON table next to the compiled
knowledge artefact, under the artefact's stamp (which hashes every ontology source and guidance
query, so a changed knowledge base never reuses a stale table). The first worker to start writes
it; later workers and restarts read it.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dvtkg import paths

#: the layout of the table: a change to what it holds gets a new number
TABLE_VERSION = 1
PREFIX = "service-orders-"


@dataclass(frozen=True)
class OrderKnowledge:
    """Intervention IRI -> the interventions it overlaps; intervention IRI -> its label."""

    overlaps: dict[str, set[str]]
    labels: dict[str, str]

    def to_json(self) -> str:
        return json.dumps({"overlaps": {a: sorted(b) for a, b in sorted(self.overlaps.items())},
                           "labels": dict(sorted(self.labels.items()))}, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> "OrderKnowledge":
        data = json.loads(text)
        return cls({a: set(b) for a, b in data["overlaps"].items()}, dict(data["labels"]))


def from_graph(kb: Any) -> OrderKnowledge:
    """Read from a loaded ``KnowledgeBase``: its overlaps query and the interventions' labels."""
    from rdflib import RDFS, URIRef

    overlaps: dict[str, set[str]] = {}
    for row in kb.query("guidance-action-overlaps"):
        overlaps.setdefault(str(row.a), set()).add(str(row.b))
    labels = {a: str(kb.graph.value(URIRef(a), RDFS.label) or a.rsplit("#", 1)[-1]) for a in overlaps}
    return OrderKnowledge(overlaps, labels)


def table_path(stamp: str, root: Path | None = None) -> Path:
    return paths.cache_dir(root) / f"{PREFIX}{TABLE_VERSION}-{stamp}.json"


def load_cached(stamp: str, root: Path | None = None) -> OrderKnowledge:
    """The table for the knowledge artefact of ``stamp``: read, or built from the knowledge graph and written."""
    path = table_path(stamp, root)
    try:
        return OrderKnowledge.from_json(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        pass  # missing or damaged: build it again
    from dvtkg.guidance.knowledge import KnowledgeBase

    table = from_graph(KnowledgeBase.load(root))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")  # several workers may build it at once
        tmp.write_text(table.to_json(), encoding="utf-8")
        tmp.replace(path)
        for old in path.parent.glob(f"{PREFIX}*.json"):
            if old != path:
                old.unlink(missing_ok=True)
    except OSError:
        pass  # a read-only cache: the table is built again at the next start
    return table


def main() -> int:
    """``python -m dvtkg.service.orderknowledge`` (``make build``): the table of the current knowledge, built
    when missing, so that the service's first start does not load the knowledge graph in every worker."""
    from dvtkg.lean.artefact import stamp

    root = paths.project_root()
    path = table_path(stamp(root), root)
    state = "up to date" if path.exists() else "built"
    load_cached(stamp(root), root)
    print(f"CDS service order table {state}: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
