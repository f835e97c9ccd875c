"""Project root discovery and the standard locations inside it.

The project root is the directory that holds both ``ontology/`` and ``queries/``.
It is found, in this order:

1. the environment variable ``DVTKG_HOME`` (it must point at such a directory);
2. the current working directory or one of its parents (a curator's clone);
3. the directory this package was installed from (an editable install) or one of
   its parents;
4. the package data of an installed wheel (``dvtkg/_data``, read through
   :mod:`importlib.resources`): the ontology, shapes, queries, schemas, VERSION and
   a prebuilt knowledge build, as they were when the wheel was made.

This module is the one place that knows the layout. An installed package's data is
read-only: what dvtkg writes (caches, a rebuilt knowledge base, a server store) goes
to :func:`cache_dir`, and generated output to :func:`output_dir`.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

ENV_VAR = "DVTKG_HOME"
CACHE_ENV_VAR = "DVTKG_CACHE"
#: the folder of the installed package that holds the project's data (see setup.py)
PACKAGE_DATA = "_data"


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


def installed_root() -> Path | None:
    """The project data shipped inside the installed package, or None (a clone, an editable install).

    Wheels are installed as plain files, so the resource folder is a real directory;
    a package imported from a zip file has no usable data folder and gets None.
    """
    data = resources.files("dvtkg").joinpath(PACKAGE_DATA)
    if not isinstance(data, Path):
        return None
    return data.resolve() if _is_root(data) else None


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
    installed = installed_root()
    if installed is not None:
        return installed
    raise ProjectRootNotFound(
        "cannot find the dvtkg project directory (one holding ontology/ and queries/); "
        f"run from inside it or set {ENV_VAR}"
    )


def is_installed(root: Path | None = None) -> bool:
    """Whether ``root`` is the read-only data of an installed package (not a clone)."""
    installed = installed_root()
    return installed is not None and (root or project_root()).resolve() == installed


def ontology_dir(root: Path | None = None) -> Path:
    return (root or project_root()) / "ontology"


def shapes_dir(root: Path | None = None) -> Path:
    return (root or project_root()) / "shapes"


def queries_dir(root: Path | None = None) -> Path:
    return (root or project_root()) / "queries"


def schemas_dir(root: Path | None = None) -> Path:
    return (root or project_root()) / "schemas"


def qc_query_dir(root: Path | None = None) -> Path:
    return queries_dir(root) / "qc"


def build_dir(root: Path | None = None) -> Path:
    """The knowledge build: ``build/`` of a clone, or the prebuilt one of an installed package (read it only)."""
    return (root or project_root()) / "build"


def cache_dir(root: Path | None = None) -> Path:
    """Where dvtkg writes caches and rebuilt knowledge: ``build/`` of a clone; for an installed
    package ``$DVTKG_CACHE``, else ``$XDG_CACHE_HOME/dvtkg/<version>`` (``~/.cache/dvtkg/<version>``)."""
    root = root or project_root()
    if not is_installed(root):
        return build_dir(root)
    env = os.environ.get(CACHE_ENV_VAR)
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    vf = version_file(root)
    version = vf.read_text(encoding="utf-8").strip() if vf.exists() else "unknown"
    return Path(base).expanduser() / "dvtkg" / version


def output_dir(root: Path | None = None) -> Path:
    """The default folder for generated output (the docs site): ``build/`` of a clone,
    ``./dvtkg-build`` under the working directory for an installed package."""
    root = root or project_root()
    return Path.cwd() / "dvtkg-build" if is_installed(root) else build_dir(root)


def version_file(root: Path | None = None) -> Path:
    return (root or project_root()) / "VERSION"


def relative(path: Path, root: Path | None = None) -> str:
    """``path`` relative to the project root when it lies inside it, for messages."""
    root = root or project_root()
    try:
        return str(Path(path).resolve().relative_to(root))
    except ValueError:
        return str(path)
