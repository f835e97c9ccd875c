"""The knowledge sources and their content hash, without rdflib (the lean path checks its stamp with it)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from dvtkg import paths

# Bump when the merge itself changes, so that old caches are not reused.
BUILD_FORMAT = "dvtkg-kb-build/1"
CATALOG_FILE = "catalog-v001.xml"


class KnowledgeError(Exception):
    """The knowledge sources cannot be built; an expected error (exit code 2)."""

    exit_code = 2


def source_files(root: Path | None = None) -> list[Path]:
    """Every Turtle file under ontology/, in a stable order."""
    root = root or paths.project_root()
    onto = paths.ontology_dir(root)
    if not onto.is_dir():
        raise KnowledgeError(f"no ontology/ directory in {root}")
    return sorted(onto.rglob("*.ttl"), key=lambda p: p.relative_to(onto).as_posix())


def _rel(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


def sources_hash(root: Path | None = None, files: list[Path] | None = None) -> str:
    """A content hash over the build inputs: every .ttl file, the catalog and VERSION."""
    root = root or paths.project_root()
    files = source_files(root) if files is None else files
    h = hashlib.sha256(BUILD_FORMAT.encode())
    extra = [paths.ontology_dir(root) / CATALOG_FILE, paths.version_file(root)]
    for path in [*files, *extra]:
        h.update(b"\0" + _rel(path, root).encode() + b"\0")
        if path.exists():
            h.update(path.read_bytes())
        else:
            h.update(b"<missing>")
    return h.hexdigest()[:16]


