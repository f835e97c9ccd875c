"""``python -m dvtkg.fast``: compile the reasoner TBox into build/ (``make build`` runs it)."""

from __future__ import annotations

import sys

from dvtkg import logs
from dvtkg.fast.classify import compiled_path, load_or_compile
from dvtkg.fast.compile import UnsupportedAxiom
from dvtkg.guidance.knowledge import KnowledgeBase

log = logs.get(__name__)


@logs.script_main
def main() -> int:
    kb = KnowledgeBase.load()
    try:
        compiled = load_or_compile(kb.owl_path)
    except UnsupportedAxiom as exc:
        log.error(str(exc))
        return 2
    print(f"fast classifier: {len(compiled.definitions)} defined classes, TBox {compiled.tbox_hash[:16]} "
          f"-> {compiled_path(kb.owl_path)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
