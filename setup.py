"""Packaging hook: put the project's data into the wheel as ``dvtkg/_data`` (see dvtkg/paths.py).

Everything else is declared in pyproject.toml. A wheel carries, besides the code:

- the folders ``ontology/``, ``shapes/``, ``queries/`` and ``schemas/`` whole (every file
  in them, whatever other tools add there), and ``VERSION``;
- the prebuilt knowledge of ``build/``: ``dvtkg.ttl``, ``dvtkg.owl`` and every
  ``kb-<hash>*`` artefact of the current sources (the load cache, the reasoner input,
  the fast engine's compiled files), so that an installed dvtkg needs no build step.

Build wheels with ``make wheel`` (it runs ``make build`` first). An editable install
(``pip install -e .``) copies nothing: it reads the clone itself.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
DATA_DIRS = ("ontology", "shapes", "queries", "schemas")
DATA_FILES = ("VERSION",)
PACKAGE_DATA = "_data"  # dvtkg.paths.PACKAGE_DATA
IGNORED = shutil.ignore_patterns("__pycache__", "*.py[cod]", ".*")


def knowledge_artefacts(build: Path) -> list[Path]:
    """The current knowledge build: dvtkg.ttl, dvtkg.owl and the ``kb-<hash>*`` files of its sources.

    The current hash is the one whose load cache ``kb-<hash>.ttl`` holds the same bytes
    as ``dvtkg.ttl`` (both are the merged graph of the same sources).
    """
    merged, owl = build / "dvtkg.ttl", build / "dvtkg.owl"
    if not merged.is_file() or not owl.is_file():
        raise SystemExit(f"error: {build} has no knowledge build (dvtkg.ttl, dvtkg.owl): run `make build` first")
    content = merged.read_bytes()
    current = [p for p in sorted(build.glob("kb-*.ttl")) if p.read_bytes() == content]
    if not current:
        raise SystemExit(f"error: {build}/kb-<hash>.ttl matching dvtkg.ttl is missing (stale build?): run `make build`")
    prefix = current[0].stem  # kb-<hash>
    artefacts = [p for p in sorted(build.iterdir()) if p.is_file() and p.name.startswith(prefix)
                 and not p.name.endswith(".tmp")]
    if not any("-fast-" in p.name for p in artefacts):
        raise SystemExit(f"error: {build} has no compiled fast classifier for {prefix}: run `make build`")
    return [merged, owl, *artefacts]


class BuildPyWithProjectData(build_py):
    """``build_py`` that also copies the project data into ``dvtkg/_data`` of the build tree."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        target = Path(self.build_lib) / "dvtkg" / PACKAGE_DATA
        if target.exists():
            shutil.rmtree(target)
        target.mkdir(parents=True)
        for name in DATA_DIRS:
            source = HERE / name
            if not source.is_dir():
                raise SystemExit(f"error: {source} is missing: wheels are built from a full clone")
            shutil.copytree(source, target / name, ignore=IGNORED)
        for name in DATA_FILES:
            shutil.copy2(HERE / name, target / name)
        (target / "build").mkdir()
        for path in knowledge_artefacts(HERE / "build"):
            shutil.copy2(path, target / "build" / path.name)


# setuptools' own build tree goes apart from the knowledge build in build/
setup(cmdclass={"build_py": BuildPyWithProjectData}, options={"build": {"build_base": "build/setuptools"}})
