"""The same case gives byte-identical JSON and text on every run, whatever the hash seed:
every list built from a set is sorted, and measured seconds stay out unless asked for."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from project_paths import ROOT

CASES = ROOT / "examples" / "cases"


def _assess(case: Path, fmt: str, seed: str, engine: str) -> bytes:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    proc = subprocess.run([sys.executable, "-m", "dvtkg.cli", "assess", str(case), "--format", fmt,
                           "--engine", engine], cwd=ROOT, env=env, capture_output=True, timeout=300)
    assert proc.returncode == 0, proc.stderr.decode()
    return proc.stdout


# every case and format on the fast engine; the reference engine (HermiT, seconds a run) on one of them
@pytest.mark.parametrize("case,fmt,engine", [
    ("seed-massive-bilateral-dvt.json", "json", "fast"),
    ("seed-massive-bilateral-dvt.json", "text", "fast"),
    ("contradictory-data.json", "json", "fast"),
    pytest.param("seed-massive-bilateral-dvt.json", "json", "reference",
                 marks=[pytest.mark.reasoner, pytest.mark.slow]),
])
@pytest.mark.slow  # two CLI subprocesses per case (seconds each)
def test_output_is_byte_identical_across_hash_seeds(case: str, fmt: str, engine: str) -> None:
    first = _assess(CASES / case, fmt, "1", engine)
    second = _assess(CASES / case, fmt, "4242", engine)
    assert first == second
    assert b"Seconds" not in first  # timings only with --timings


def test_timings_are_there_when_asked_for(fast_assessor) -> None:
    a = fast_assessor.assess(CASES / "seed-massive-bilateral-dvt.json")
    assert "stageSeconds" in a.to_dict()["engine"]
    assert "stageSeconds" not in a.to_dict(with_timings=False)["engine"]
