"""The clone's well-known folders, for module-level use in tests (parametrize lists, constants).

One definition for every test module: tests/conftest.py serves the same paths as the session
fixtures ``project_root`` and ``examples_dir`` for use inside tests.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "cases"
FIXTURES = ROOT / "tests" / "fixtures"
DATA = ROOT / "tests" / "data"
SEED = EXAMPLES / "seed-massive-bilateral-dvt.json"
