"""No file that users get names documents they do not have.

The knowledge was curated from a private working brief (its decision rules, statement
catalogue, case-facts contract, source and grading notes) kept outside the repository.
Users have the guideline citations (ontology/sources.ttl), the decision rules
(ontology/modules/rules.ttl, "decision rule N"), the case-sheet contract
(docs/case-format.md) and the project's docs, so code, tests, shapes, ontology, queries
and docs cite those instead. Attribution files of external test data that cite their
published origin URLs are fine: they name nothing private.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCANNED = ["dvtkg", "tests", "shapes", "ontology", "queries", "docs", "README.md", "CHANGELOG.md", "Makefile"]
SKIPPED_DIRS = {"__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache"}
THIS_FILE = Path(__file__).resolve()

# the private files' names, the paths they lived under, and "the brief" as a source
FORBIDDEN = re.compile(
    r"\b(?:definitions|recommendations|case-facts|seed-claims|sources|grading)\.md\b"
    r"|knowledge/README\.md"
    r"|\.\./shared\b|/work/shared\b"
    r"|\bthe (?:clinical |design |working )?brief\b"
    r"|\bbrief(?:'s|\s+v\d)",
    re.IGNORECASE,
)


def _files() -> list[Path]:
    out: list[Path] = []
    for name in SCANNED:
        top = ROOT / name
        if top.is_file():
            out.append(top)
        elif top.is_dir():
            out += [p for p in top.rglob("*")
                    if p.is_file() and not SKIPPED_DIRS.intersection(p.relative_to(ROOT).parts)]
    return sorted(p for p in out if p.resolve() != THIS_FILE)


def test_the_scan_sees_the_project() -> None:
    names = {p.relative_to(ROOT).as_posix() for p in _files()}
    # a guard against scanning nothing: a few files that must be there
    assert {"dvtkg/cli.py", "shapes/case.ttl", "ontology/modules/rules.ttl", "docs/case-format.md"} <= names


def test_no_reference_to_private_documents() -> None:
    found = []
    for path in _files():
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue  # binary files
        for number, line in enumerate(text.splitlines(), 1):
            match = FORBIDDEN.search(line)
            if match:
                found.append(f"{path.relative_to(ROOT).as_posix()}:{number}: {match.group(0)!r}")
    assert not found, ("cite the guideline, 'decision rule N' or the project's docs instead:\n"
                       + "\n".join(found[:50]))


def test_the_pattern_catches_what_it_should() -> None:
    # both sides: the private names are caught, the project's own words are not
    for bad in ("see case-facts.md", "from ../shared/knowledge", "/work/shared/x", "as the brief says",
                "the clinical brief", "brief v3", "the brief's table", "knowledge/README.md rules"):
        assert FORBIDDEN.search(bad), bad
    for fine in ("decision rule 14", "docs/case-format.md", "ontology/sources.ttl", "a brief note",
                 "brief = label + facts", "README.md", "tests/external/README.md"):
        assert not FORBIDDEN.search(fine), fine
