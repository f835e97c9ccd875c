"""The wheel: built from this clone, installed into a fresh venv outside it, dvtkg works from there.

A user who runs ``pip install dvtkg-*.whl`` has no clone: the ontology, shapes, queries and
the prebuilt knowledge must come from the package data (dvtkg/_data, read through
importlib.resources), and nothing may be written into the installed package.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from dvtkg.kb.build import sources_hash

pytestmark = pytest.mark.slow

def _newer_python() -> str | None:
    """The newest Python above 3.11 on this machine: $DVTKG_NEWER_PYTHON, PATH, or pyenv's versions."""
    candidates = [os.environ.get("DVTKG_NEWER_PYTHON", ""), shutil.which("python3.13") or "",
                  shutil.which("python3.12") or ""]
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    candidates += [str(p / "bin" / "python3") for p in sorted(pyenv.glob("3.1[2-9]*"), reverse=True)]
    probe = "import sys, venv, ensurepip; sys.exit(sys.version_info[:2] <= (3, 11))"
    for exe in candidates:
        if exe and Path(exe).exists() and subprocess.run([exe, "-c", probe], capture_output=True).returncode == 0:
            return exe
    return None


def _run(cmd: list[str], cwd: Path, env: dict[str, str], timeout: int = 900) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, (f"{' '.join(cmd)} exited {proc.returncode}:\n"
                                  f"{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")
    return proc


def _newest_source(root: Path) -> float:
    inputs = [*(root / "ontology").rglob("*.ttl"), root / "ontology" / "catalog-v001.xml", root / "VERSION"]
    return max(p.stat().st_mtime for p in inputs if p.exists())


@pytest.fixture(scope="module")
def wheel(project_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """dist/dvtkg-*.whl built from this clone, with the knowledge build of the current sources (as `make build`)."""
    env = dict(os.environ)
    build = project_root / "build"
    current = build / f"kb-{sources_hash(project_root)}.ttl"
    merged = build / "dvtkg.ttl"
    if not (merged.exists() and current.exists() and merged.stat().st_mtime >= _newest_source(project_root)):
        _run([sys.executable, "-m", "dvtkg.kb.build"], cwd=project_root, env=env)
    _run([sys.executable, "-m", "dvtkg.fast"], cwd=project_root, env=env)  # compiles only when missing
    out = tmp_path_factory.mktemp("dist")
    _run([sys.executable, "-m", "build", "--wheel", "--outdir", str(out), str(project_root)],
         cwd=project_root, env=env)
    wheels = sorted(out.glob("dvtkg-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


@pytest.mark.parametrize("python", ["3.11", "newer"])
def test_installed_wheel_assesses_the_seed_case(python: str, wheel: Path, project_root: Path,
                                               examples_dir: Path, tmp_path: Path) -> None:
    interpreter = sys.executable if python == "3.11" else _newer_python()
    if interpreter is None:
        pytest.skip("no Python newer than 3.11 is installed here")
    env_dir = tmp_path / "venv"
    if python == "3.11":
        venv.EnvBuilder(with_pip=True).create(env_dir)
    else:
        _run([interpreter, "-m", "venv", str(env_dir)], cwd=tmp_path, env=dict(os.environ))
    py, dvtkg = env_dir / "bin" / "python", env_dir / "bin" / "dvtkg"
    env = {k: v for k, v in os.environ.items() if k not in ("DVTKG_HOME", "PYTHONPATH", "VIRTUAL_ENV")}
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    # the exact versions this project is tested with, as constraints (the wheel itself declares ranges)
    _run([str(py), "-m", "pip", "install", "--quiet", "-c", str(project_root / "requirements.lock"), str(wheel)],
         cwd=tmp_path, env=env)
    work = tmp_path / "elsewhere"   # no clone above it: the package data must be used
    work.mkdir()
    site = _run([str(py), "-c", "import dvtkg.paths as p; print(p.project_root()); print(p.is_installed())"],
                cwd=work, env=env).stdout.split()
    assert site[1] == "True" and "site-packages" in site[0] and site[0].endswith("_data"), site
    installed = Path(site[0])
    before = sorted(p.relative_to(installed).as_posix() for p in installed.rglob("*"))
    assert "build/dvtkg.ttl" in before and "build/dvtkg.owl" in before
    assert "shapes/case.ttl" in before and "ontology/context/case.jsonld" in before
    assert "schemas/case-sheet.schema.json" in before and "schemas/assessment.schema.json" in before
    assert any(name.startswith("build/kb-") and "-fast-" in name for name in before)
    # the fast engine's knowledge artefact ships prebuilt, so an installed fast assessment parses no Turtle
    assert any(name.startswith("build/lean-") and name.endswith(".json") for name in before)
    assert (installed.parent / "py.typed").exists()

    stats = _run([str(dvtkg), "kb", "stats"], cwd=work, env=env).stdout
    assert "by direction:" in stats

    seed = shutil.copy(examples_dir / "seed-massive-bilateral-dvt.json", work / "seed.json")
    out = json.loads(_run([str(dvtkg), "assess", str(seed), "--format", "json"], cwd=work, env=env).stdout)
    assert out["case"] == "seed-massive-bilateral-dvt"
    # phlegmasia cerulea dolens of the left leg (cyanosis, diminished pulses, iliofemoral thrombus) is
    # limb-threatening DVT: the safety alert comes first (decision rules on limb threat)
    assert [a["id"] for a in out["alerts"]] == ["limb-threatening-dvt"]
    fast = json.loads(_run([str(dvtkg), "assess", str(seed), "--format", "json", "--engine", "fast"],
                           cwd=work, env=env).stdout)
    assert fast["engine"]["engine"] == "fast"
    assert fast["recommendations"] == out["recommendations"] and fast["alerts"] == out["alerts"]
    assert out["dataConflicts"] == []
    schema = json.loads((project_root / "schemas" / "assessment.schema.json").read_text(encoding="utf-8"))
    assert list(Draft202012Validator(schema).iter_errors(out)) == []

    listed = _run([str(dvtkg), "query", "--list"], cwd=work, env=env).stdout
    assert "cq-" in listed

    # the optional parts name their extra when it is not installed (the bare wheel has neither)
    bundle = shutil.copy(project_root / "tests/fixtures/fhir/cases/seed-massive-bilateral-dvt.json", work / "b.json")
    fhir = subprocess.run([str(dvtkg), "assess", str(bundle)], cwd=work, env=env, capture_output=True, text=True)
    assert fhir.returncode == 2 and "pip install 'dvtkg[fhir]'" in fhir.stderr, fhir.stderr[-2000:]
    serve = subprocess.run([str(dvtkg), "serve", "--port", "0"], cwd=work, env=env, capture_output=True, text=True,
                           timeout=120)
    assert serve.returncode != 0 and "pip install 'dvtkg[service]'" in serve.stderr, serve.stderr[-2000:]

    after = sorted(p.relative_to(installed).as_posix() for p in installed.rglob("*"))
    assert after == before, "dvtkg wrote into the installed package's data"
