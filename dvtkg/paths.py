"""Project root discovery and the standard locations inside it.

The project root is the directory that holds both ``ontology/`` and ``queries/``.
It is found, in this order:

1. the environment variable ``DVTKG_HOME`` (it must point at such a directory);
2. the current working directory or one of its parents;
3. the directory this package was installed from (an editable install) or one of
   its parents.
"""

from __future__ import annotations

import os
from pathlib import Path

ENV_VAR = "DVTKG_HOME"


class ProjectRootNotFound(Exception):
    """No project root could be found; an expected error (exit code 2)."""

    exit_code = 2


def _is_root(path: Path) -> bool:
    return (path / "ontology").is_dir() and (path / "queries").is_dir()


def _search_upwards(start: Path) -> Path | None:
    start = start.resolve()
    for candidate in (start, *start.parents):
        if _is_root(candidate):
            return candidate
    return None


def project_root() -> Path:
    """Return the project root directory (see the module docstring)."""
    env = os.environ.get(ENV_VAR)
    if env:
        path = Path(env).expanduser().resolve()
        if not _is_root(path):
            raise ProjectRootNotFound(
                f"{ENV_VAR}={env} is not a dvtkg project directory "
                "(it must contain ontology/ and queries/)"
            )
        return path
    for start in (Path.cwd(), Path(__file__).resolve().parent):
        found = _search_upwards(start)
        if found is not None:
            return found
    raise ProjectRootNotFound(
        "cannot find the dvtkg project directory (one holding ontology/ and queries/); "
        f"run from inside it or set {ENV_VAR}"
    )


def ontology_dir(root: Path | None = None) -> Path:
    return (root or project_root()) / "ontology"


def shapes_dir(root: Path | None = None) -> Path:
    return (root or project_root()) / "shapes"


def queries_dir(root: Path | None = None) -> Path:
    return (root or project_root()) / "queries"


def qc_query_dir(root: Path | None = None) -> Path:
    return queries_dir(root) / "qc"


def build_dir(root: Path | None = None) -> Path:
    return (root or project_root()) / "build"


def version_file(root: Path | None = None) -> Path:
    return (root or project_root()) / "VERSION"


def relative(path: Path, root: Path | None = None) -> str:
    """``path`` relative to the project root when it lies inside it, for messages."""
    root = root or project_root()
    try:
        return str(Path(path).resolve().relative_to(root))
    except ValueError:
        return str(path)
