"""``python -m dvtkg.lean``: build the compiled knowledge artefact into build/ (``make build`` runs it)."""

from __future__ import annotations

import sys

from dvtkg import paths
from dvtkg.lean.artefact import artefact_path, stamp, write_artefact
from dvtkg.lean.shapes import UnsupportedShape


def main() -> int:
    root = paths.project_root()
    current = artefact_path(root, stamp(root))
    if current.exists():
        print(f"lean knowledge artefact up to date: {current}")
        return 0
    try:
        path = write_artefact(root)
    except UnsupportedShape as exc:
        print(f"dvtkg: error: {exc}", file=sys.stderr)
        return 2
    print(f"lean knowledge artefact -> {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
