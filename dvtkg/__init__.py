"""dvtkg: a computable knowledge graph of clinical guidance for deep-vein thrombosis.

``dvtkg.assess(case)`` assesses one case and returns an ``Assessment``; for many
cases create one ``dvtkg.Assessor()`` and call its ``assess`` method.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["assess", "Assessor", "Assessment"]

if TYPE_CHECKING:
    from dvtkg.assessment.model import Assessment
    from dvtkg.assessment.pipeline import Assessor


def __getattr__(name: str) -> Any:
    """Import the pipeline lazily, so that `dvtkg kb ...` does not load owlready2."""
    if name in ("assess", "Assessor"):
        from dvtkg.assessment import pipeline

        return getattr(pipeline, name)
    if name == "Assessment":
        from dvtkg.assessment.model import Assessment

        return Assessment
    raise AttributeError(name)
