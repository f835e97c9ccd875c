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

    Current means newer than every build input (ontology/**/*.ttl, the catalog, VERSION), as
    make judges it; ``kb-<hash>.ttl`` is the load cache of the current sources (the build keeps
    only that one), and the other artefacts of that hash go along (reasoner input, fast engine).
    """
    inputs = [*(HERE / "ontology").rglob("*.ttl"), HERE / "ontology" / "catalog-v001.xml", HERE / "VERSION"]
    newest_input = max(p.stat().st_mtime for p in inputs if p.exists())

    def current(path: Path) -> bool:
        return path.is_file() and path.stat().st_mtime >= newest_input

    merged, owl = build / "dvtkg.ttl", build / "dvtkg.owl"
    if not (current(merged) and current(owl)):
        raise SystemExit(f"error: {build}/dvtkg.ttl and dvtkg.owl are missing or older than the ontology: "
                         "run `make build` first")
    caches = sorted((p for p in build.glob("kb-*.ttl") if current(p)), key=lambda p: p.stat().st_mtime)
    if not caches:
        raise SystemExit(f"error: {build} has no load cache kb-<hash>.ttl of the current sources: run `make build`")
    prefix = caches[-1].stem  # kb-<hash>
    artefacts = [p for p in sorted(build.iterdir()) if p.is_file() and p.name.startswith(prefix)
                 and not p.name.endswith(".tmp")]
    if not any("-fast-" in p.name for p in artefacts):
        raise SystemExit(f"error: {build} has no compiled fast classifier for {prefix}: run `make build`")
    # the fast engine's knowledge artefact (dvtkg.lean), stamped by its own hash: the newest current one
    # (a stale stamp is refused at start-up and rebuilt into the user's cache, never used)
    lean = sorted((p for p in build.glob("lean-*.json") if current(p)), key=lambda p: p.stat().st_mtime)[-1:]
    return [merged, owl, *artefacts, *lean]


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
