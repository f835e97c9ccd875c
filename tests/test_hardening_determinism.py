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


def _assess(case: Path, fmt: str, seed: str) -> bytes:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    proc = subprocess.run([sys.executable, "-m", "dvtkg.cli", "assess", str(case), "--format", fmt], cwd=ROOT,
                          env=env, capture_output=True, timeout=300)
    assert proc.returncode == 0, proc.stderr.decode()
    return proc.stdout


@pytest.mark.parametrize("case,fmt", [("seed-massive-bilateral-dvt.json", "json"),
                                      ("seed-massive-bilateral-dvt.json", "text"),
                                      ("contradictory-data.json", "json")])
def test_output_is_byte_identical_across_hash_seeds(case: str, fmt: str) -> None:
    first = _assess(CASES / case, fmt, "1")
    second = _assess(CASES / case, fmt, "4242")
    assert first == second
    assert b"Seconds" not in first  # timings only with --timings


def test_timings_are_there_when_asked_for() -> None:
    from dvtkg.assessment.pipeline import Assessor

    a = Assessor().assess(CASES / "seed-massive-bilateral-dvt.json")
    assert "stageSeconds" in a.to_dict()["engine"]
    assert "stageSeconds" not in a.to_dict(with_timings=False)["engine"]
