"""Stamp a release of the knowledge base: ``make release VERSION=x.y.z``.

    python -m dvtkg.kb.release X.Y.Z [--date YYYY-MM-DD] [--tag] [--root DIR] [--dry-run] [--allow-empty]

The ``VERSION`` file is the one source of truth for the version (the package version
is read from it too, pyproject.toml). A release

1. writes X.Y.Z to ``VERSION`` (it must be a semantic version greater than the current one);
2. stamps ``ontology/dvt.ttl``: ``owl:versionIRI <https://w3id.org/dvtkg/ontology/X.Y.Z>``
   and ``owl:versionInfo "X.Y.Z"`` (never edit these by hand; the build checks them
   against ``VERSION``);
3. moves the "Unreleased" section of ``CHANGELOG.md`` (Keep a Changelog) under a new
   ``## [X.Y.Z] - YYYY-MM-DD`` heading and leaves an empty "Unreleased" section (compare
   links at the bottom are updated when the changelog has them);
4. checks that the ontology sources still build together (``merge_sources``), and
   restores the three files if they do not;
5. only with ``--tag``: commits the three files ("Release X.Y.Z") and creates the
   annotated git tag ``vX.Y.Z``. The working tree must be clean before, so that the tag
   holds exactly the released knowledge.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph, URIRef
from rdflib.namespace import OWL

from dvtkg import logs

ONTOLOGY_IRI = "https://w3id.org/dvtkg/ontology"
SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")
UNRELEASED = re.compile(r"^## \[Unreleased\][^\n]*$", re.MULTILINE | re.IGNORECASE)
NEXT_SECTION = re.compile(r"^## \[", re.MULTILINE)
UNRELEASED_LINK = re.compile(r"^\[Unreleased\]:\s*(?P<base>\S+?)/compare/(?P<prev>\S+)\.\.\.HEAD\s*$",
                             re.MULTILINE | re.IGNORECASE)


class ReleaseError(Exception):
    """A release cannot be made as asked: exit code 2."""

    exit_code = 2


@dataclass
class ReleasePlan:
    root: Path
    old_version: str
    version: str
    date: str
    files: dict[Path, tuple[str, str]]  # path -> (old text, new text)
    notes: str


def parse_version(text: str) -> tuple[int, int, int]:
    m = SEMVER.match(text.strip())
    if not m:
        raise ReleaseError(f"{text!r} is not a version of the form MAJOR.MINOR.PATCH (e.g. 0.2.0)")
    return int(m[1]), int(m[2]), int(m[3])


def stamp_ontology_header(text: str, version: str, path: str = "ontology/dvt.ttl") -> str:
    """``dvt.ttl`` with its owl:versionIRI and owl:versionInfo set to ``version``."""
    new, n_iri = re.subn(r"(owl:versionIRI\s+<)[^>]*(>)", lambda m: f"{m[1]}{ONTOLOGY_IRI}/{version}{m[2]}", text)
    new, n_info = re.subn(r'(owl:versionInfo\s+)"[^"\n]*"', lambda m: f'{m[1]}"{version}"', new)
    if n_iri != 1 or n_info != 1:
        raise ReleaseError(f"{path}: expected exactly one owl:versionIRI <...> and one owl:versionInfo \"...\" "
                           f"to stamp (found {n_iri} and {n_info})")
    g = Graph().parse(data=new, format="turtle")
    main = URIRef(ONTOLOGY_IRI)
    if list(g.objects(main, OWL.versionIRI)) != [URIRef(f"{ONTOLOGY_IRI}/{version}")] or \
            [str(v) for v in g.objects(main, OWL.versionInfo)] != [version]:
        raise ReleaseError(f"{path}: the stamped header does not carry version {version} on <{ONTOLOGY_IRI}>")
    return new


def release_changelog(text: str, version: str, date: str, allow_empty: bool = False) -> tuple[str, str]:
    """The changelog with "Unreleased" moved under ``## [version] - date``; also the notes."""
    m = UNRELEASED.search(text)
    if m is None:
        raise ReleaseError("CHANGELOG.md has no '## [Unreleased]' section")
    if re.search(rf"^## \[{re.escape(version)}\]", text, re.MULTILINE):
        raise ReleaseError(f"CHANGELOG.md already has a section for {version}")
    body_start = m.end()
    nxt = NEXT_SECTION.search(text, body_start)
    # the body stops at the next release heading or at the link references
    link = re.compile(r"^\[[^\]]+\]:\s", re.MULTILINE).search(text, body_start)
    ends = [p.start() for p in (nxt, link) if p is not None]
    body_end = min(ends) if ends else len(text)
    body = text[body_start:body_end].strip("\n")
    if not body.strip() and not allow_empty:
        raise ReleaseError("CHANGELOG.md: the Unreleased section is empty; say what changed (or --allow-empty)")
    released = f"## [Unreleased]\n\n## [{version}] - {date}\n\n" + (body + "\n\n" if body.strip() else "")
    new = text[:m.start()] + released + text[body_end:].lstrip("\n")
    lm = UNRELEASED_LINK.search(new)
    if lm is not None:
        base = lm["base"]
        line = f"[Unreleased]: {base}/compare/v{version}...HEAD\n[{version}]: {base}/compare/{lm['prev']}...v{version}"
        new = new[:lm.start()] + line + new[lm.end():]
    if not new.endswith("\n"):
        new += "\n"
    return new, body


def _git(root: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=check)
    except FileNotFoundError:
        raise ReleaseError("git is not installed; --tag needs it") from None
    except subprocess.CalledProcessError as exc:
        raise ReleaseError(f"git {' '.join(args)} failed: {(exc.stderr or exc.stdout).strip()}") from None


def plan(root: Path, version: str, date: str | None = None, allow_empty: bool = False) -> ReleasePlan:
    root = root.resolve()
    vf, header, changelog = root / "VERSION", root / "ontology" / "dvt.ttl", root / "CHANGELOG.md"
    for f in (vf, header, changelog):
        if not f.exists():
            raise ReleaseError(f"{f} is missing")
    old = vf.read_text(encoding="utf-8").strip()
    if parse_version(version) <= parse_version(old):
        raise ReleaseError(f"the new version {version} must be greater than the current one ({old})")
    date = date or dt.date.today().isoformat()
    try:
        dt.date.fromisoformat(date)
    except ValueError:
        raise ReleaseError(f"{date!r} is not a date YYYY-MM-DD") from None
    header_old = header.read_text(encoding="utf-8")
    log_old = changelog.read_text(encoding="utf-8")
    log_new, notes = release_changelog(log_old, version, date, allow_empty)
    files = {
        vf: (vf.read_text(encoding="utf-8"), version + "\n"),
        header: (header_old, stamp_ontology_header(header_old, version)),
        changelog: (log_old, log_new),
    }
    return ReleasePlan(root, old, version, date, files, notes)


def apply(p: ReleasePlan, tag: bool = False) -> None:
    tag_name = f"v{p.version}"
    if tag:
        status = _git(p.root, "status", "--porcelain", "--untracked-files=no").stdout
        if status.strip():
            raise ReleaseError("--tag needs a clean working tree (commit or stash first):\n" + status.rstrip())
        if _git(p.root, "rev-parse", "--verify", "--quiet", f"refs/tags/{tag_name}", check=False).returncode == 0:
            raise ReleaseError(f"the tag {tag_name} exists already")
    for path, (_, new) in p.files.items():
        path.write_text(new, encoding="utf-8")
    try:
        from dvtkg.kb.build import merge_sources

        merge_sources(p.root)
    except Exception as exc:
        for path, (old, _) in p.files.items():
            path.write_text(old, encoding="utf-8")
        raise ReleaseError(f"after stamping, the knowledge no longer builds (files restored): {exc}") from None
    if tag:
        rels = [str(path.relative_to(p.root)) for path in p.files]
        _git(p.root, "add", "--", *rels)
        _git(p.root, "commit", "--quiet", "-m", f"Release {p.version}", "--", *rels)
        _git(p.root, "tag", "-a", tag_name, "-m", f"dvtkg knowledge base {p.version}\n\n{p.notes}".rstrip())


@logs.script_main
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dvtkg.kb.release",
                                     description="Stamp a release: VERSION, ontology/dvt.ttl, CHANGELOG.md.")
    parser.add_argument("version", metavar="X.Y.Z")
    parser.add_argument("--date", help="release date YYYY-MM-DD (default today)")
    parser.add_argument("--tag", action="store_true", help="also commit the three files and create the tag vX.Y.Z")
    parser.add_argument("--root", type=Path, default=None, help="project directory (default: the dvtkg project)")
    parser.add_argument("--dry-run", action="store_true", help="show what would change, change nothing")
    parser.add_argument("--allow-empty", action="store_true", help="release even if Unreleased lists nothing")
    args = parser.parse_args(argv)
    try:
        if args.root is None:
            from dvtkg import paths

            args.root = paths.project_root()
        p = plan(args.root, args.version, args.date, args.allow_empty)
        if args.dry_run:
            print(f"would release {p.old_version} -> {p.version} ({p.date}) in {p.root}")
            for path, (old, new) in p.files.items():
                if old != new:
                    print(f"  would update {path.relative_to(p.root)}")
            print(f"  would {'commit and tag v' + p.version if args.tag else 'not tag'}")
            return 0
        apply(p, tag=args.tag)
    except (ReleaseError, OSError) as exc:
        logs.get(__name__).error(f"release: {exc}")
        return 2
    print(f"released {p.old_version} -> {p.version} ({p.date}): VERSION, ontology/dvt.ttl, CHANGELOG.md updated"
          + (f"; committed and tagged v{p.version}" if args.tag else "; not tagged (use --tag)"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
