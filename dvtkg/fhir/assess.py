"""FHIR input as both engines' assessments see it: one reading, one set of conflicts, one report addition.

A Bundle (or one resource) is read once into a :class:`~dvtkg.fhir.convert.FhirConversion`
(:func:`read_fhir`); the rdflib pipeline (``dvtkg.assessment.pipeline``) and the lean path
(:func:`assess_conversion`) then add the same things to the assessment of its case sheet:

- the contradictions between resources, as data conflicts that come before the sheet's own
  (:func:`conversion_conflicts`: the fact was left unknown, and a conflict on a leg's thrombus
  list withholds decision rule 4's closure as the sheet's own conflicts do);
- what was not read and where each fact came from (:func:`conversion_extra`), in the JSON only
  for FHIR input.

No rdflib here: the CDS Hooks service and ``dvtkg assess --engine fast`` read FHIR on the lean path.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
from typing import TYPE_CHECKING, Any

from dvtkg.cases.dataconflicts import DataConflict
from dvtkg.cases.errors import CaseInputError

if TYPE_CHECKING:
    from dvtkg.assessment.model import Assessment
    from dvtkg.fhir.convert import FhirConversion
    from dvtkg.lean.assess import LeanAssessor

FHIR_EXTRA = ("fhir.resources", "ucumvert")  # what the optional 'fhir' extra installs (pyproject.toml)
#: the source named for FHIR JSON handed in already read (a dict), as for a case sheet's "<case sheet>"
FHIR_SOURCE = "<FHIR>"


def require_fhir_extra(source: str) -> None:
    """FHIR input needs the packages of the 'fhir' extra: say so by name instead of failing deep inside."""
    for name in FHIR_EXTRA:
        try:
            found = importlib.util.find_spec(name) is not None
        except ModuleNotFoundError:
            found = False
        if not found:
            raise CaseInputError(source, f"reading FHIR needs the 'fhir' extra ({name} is not installed): "
                                         "pip install 'dvtkg[fhir]'")


def read_fhir(data: dict[str, Any], source: str, at: dt.date | None) -> "FhirConversion":
    """A FHIR Bundle, or one resource, read as a case sheet (``at``: the reference date, default today)."""
    require_fhir_extra(source)
    from dvtkg.fhir.convert import bundle_to_case, resources_to_case

    if data.get("resourceType") == "Bundle":
        return bundle_to_case(data, at=at, source=source)
    return resources_to_case([data], at=at, source=source)


def conversion_conflicts(conversion: "FhirConversion") -> list[DataConflict]:
    """The contradictions between resources as data conflicts (each names the resources involved)."""
    return [DataConflict(c["facts"], f"{c['message']} (FHIR: {', '.join(c['resources'])})")
            for c in conversion.conflicts]


def conversion_extra(conversion: "FhirConversion") -> dict[str, Any]:
    """What the assessment JSON adds for FHIR input: what was not read, and where each fact came from."""
    return {"unmapped": conversion.unmapped, "provenance": conversion.provenance}


def assess_conversion(lean: "LeanAssessor", conversion: "FhirConversion", source: str) -> "Assessment":
    """Assess a conversion's case sheet on the lean path, with its conflicts and its report addition."""
    assessment = lean.assess(conversion.sheet, source=source, conflicts=conversion_conflicts(conversion))
    assessment.extra = conversion_extra(conversion)
    return assessment
