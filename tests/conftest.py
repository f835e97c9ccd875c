"""Shared pytest fixtures: the project root and its well-known folders."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def project_root() -> Path:
    """The clone's root folder (ontology/, shapes/, queries/, examples/ live under it)."""
    return ROOT


@pytest.fixture(scope="session")
def examples_dir() -> Path:
    """The example case sheets that the demo and the knowledge tests use."""
    return ROOT / "examples" / "cases"


@pytest.fixture(scope="session")
def service_guidance():
    """The CDS service's knowledge base on the fast engine, loaded once for every service test module."""
    from dvtkg.service.guidance import Guidance

    return Guidance.load("fast")
