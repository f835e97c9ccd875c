"""``make release`` / ``python -m dvtkg.kb.release``: always on a temporary copy of the project, never on the repo."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL

from dvtkg.kb import release
from dvtkg.kb.build import merge_sources

ROOT = Path(__file__).resolve().parents[1]
MAIN = URIRef("https://w3id.org/dvtkg/ontology")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    shutil.copytree(ROOT / "ontology", root / "ontology")
    (root / "queries").mkdir()
    for name in ("VERSION", "CHANGELOG.md"):
        shutil.copy(ROOT / name, root / name)
    return root


def _git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@example.invalid", *args],
                          check=True, capture_output=True, text=True).stdout


def _bump(version: str) -> str:
    major, minor, _ = release.parse_version(version)
    return f"{major}.{minor + 1}.0"


def test_repo_version_is_stamped_consistently() -> None:
    version = (ROOT / "VERSION").read_text().strip()
    release.parse_version(version)
    g = Graph().parse(ROOT / "ontology" / "dvt.ttl")
    assert list(g.objects(MAIN, OWL.versionIRI)) == [URIRef(f"{MAIN}/{version}")]
    assert [str(v) for v in g.objects(MAIN, OWL.versionInfo)] == [version]
    log = (ROOT / "CHANGELOG.md").read_text()
    assert "## [Unreleased]" in log and f"## [{version}] - " in log


def test_release_stamps_version_header_and_changelog(project: Path) -> None:
    old = (project / "VERSION").read_text().strip()
    new = _bump(old)
    unreleased = (project / "CHANGELOG.md").read_text().split("## [Unreleased]", 1)[1].split("\n## [", 1)[0].strip()
    assert release.main([new, "--root", str(project), "--date", "2027-01-15"]) == 0
    assert (project / "VERSION").read_text() == new + "\n"
    g = Graph().parse(project / "ontology" / "dvt.ttl")
    assert list(g.objects(MAIN, OWL.versionIRI)) == [URIRef(f"{MAIN}/{new}")]
    assert list(g.objects(MAIN, OWL.versionInfo)) == [Literal(new)]
    log = (project / "CHANGELOG.md").read_text()
    assert f"## [Unreleased]\n\n## [{new}] - 2027-01-15\n\n{unreleased}\n\n## [{old}]" in log
    merge_sources(project)  # the build's version check agrees
    # the only lines of dvt.ttl that changed are the two stamped ones
    before = (ROOT / "ontology" / "dvt.ttl").read_text().splitlines()
    after = (project / "ontology" / "dvt.ttl").read_text().splitlines()
    assert len(before) == len(after)
    changed = [a for a, b in zip(before, after, strict=True) if a != b]
    assert len(changed) == 2
    assert all("owl:version" in line for line in changed)


def test_refusals(project: Path, capsys) -> None:
    old = (project / "VERSION").read_text().strip()
    assert release.main(["1.2", "--root", str(project)]) == 2
    assert "MAJOR.MINOR.PATCH" in capsys.readouterr().err
    assert release.main([old, "--root", str(project)]) == 2
    assert "must be greater" in capsys.readouterr().err
    assert release.main([_bump(old), "--root", str(project), "--date", "15/01/2027"]) == 2
    # an empty Unreleased section is refused unless --allow-empty
    assert release.main([_bump(old), "--root", str(project)]) == 0
    assert release.main([_bump(_bump(old)), "--root", str(project)]) == 2
    assert "Unreleased section is empty" in capsys.readouterr().err
    assert release.main([_bump(_bump(old)), "--root", str(project), "--allow-empty", "--date", "2027-02-01"]) == 0
    assert f"## [{_bump(_bump(old))}] - 2027-02-01" in (project / "CHANGELOG.md").read_text()


def test_dry_run_changes_nothing(project: Path) -> None:
    before = {p: p.read_bytes() for p in (project / "VERSION", project / "CHANGELOG.md", project / "ontology/dvt.ttl")}
    assert release.main([_bump(before[project / "VERSION"].decode().strip()), "--root", str(project), "--dry-run"]) == 0
    assert {p: p.read_bytes() for p in before} == before


def test_a_stamp_that_breaks_the_build_is_rolled_back(project: Path) -> None:
    (project / "ontology" / "catalog-v001.xml").unlink()  # the build now fails, whatever the version
    before = (project / "VERSION").read_text()
    assert release.main([_bump(before.strip()), "--root", str(project)]) == 2
    assert (project / "VERSION").read_text() == before


def test_tag_commits_and_tags_only_when_asked(project: Path) -> None:
    _git(project, "init", "-q")
    _git(project, "add", "-A")
    _git(project, "commit", "-q", "-m", "initial")
    old = (project / "VERSION").read_text().strip()
    new = _bump(old)
    assert release.main([new, "--root", str(project), "--date", "2027-01-15"]) == 0
    assert _git(project, "tag", "--list") == ""  # no --tag: no tag, no commit
    assert _git(project, "status", "--porcelain").strip() != ""
    # --tag needs a clean tree
    newer = _bump(new)
    assert release.main([newer, "--root", str(project), "--allow-empty", "--tag"]) == 2
    _git(project, "checkout", "-q", "--", ".")
    assert release.main([new, "--root", str(project), "--date", "2027-01-15", "--tag"]) == 0
    assert _git(project, "tag", "--list").split() == [f"v{new}"]
    assert _git(project, "status", "--porcelain").strip() == ""
    assert _git(project, "show", f"v{new}:VERSION").strip() == new
    assert f'owl:versionInfo "{new}"' in _git(project, "show", f"v{new}:ontology/dvt.ttl")
    assert _git(project, "log", "-1", "--format=%s").strip() == f"Release {new}"


def test_make_release_target() -> None:
    # STAMP= drops the install prerequisite: the test must never (re)install the real venv
    out = subprocess.run(["make", "-n", "-C", str(ROOT), "release", "VERSION=9.9.9", "TAG=1", "STAMP="],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "-m dvtkg.kb.release 9.9.9 --tag" in out.stdout
    bare = subprocess.run(["make", "-C", str(ROOT), "release", "STAMP="], capture_output=True, text=True)
    assert bare.returncode != 0 and "usage: make release VERSION=x.y.z" in bare.stderr
