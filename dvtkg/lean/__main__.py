"""``python -m dvtkg.lean``: build the compiled knowledge artefact into build/ (``make build`` runs it)."""

from __future__ import annotations

import sys

from dvtkg.lean.artefact import write_artefact
from dvtkg.lean.shapes import UnsupportedShape


def main() -> int:
    try:
        path = write_artefact()
    except UnsupportedShape as exc:
        print(f"dvtkg: error: {exc}", file=sys.stderr)
        return 2
    print(f"lean knowledge artefact -> {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
