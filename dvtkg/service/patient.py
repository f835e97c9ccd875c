"""From the hook's FHIR resources (or a pasted case sheet / Bundle) to an assessment.

The FHIR -> case-sheet mapping is the FHIR module's (``dvtkg.fhir.convert``); this module only
keeps the resources that belong to the hook's patient, calls it, and hands the conversion to the
loaded ``Guidance`` (its sheet assessed with the resources' conflicts, unmapped and provenance, as
``dvtkg assess`` does for a Bundle).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from dvtkg.assessment.model import Assessment
from dvtkg.service.guidance import Guidance


class PatientDataError(ValueError):
    """The FHIR data sent are not valid FHIR the converter accepts (answered 400, naming resource and path)."""


def assessment_errors() -> tuple[type[Exception], ...]:
    """What the pipeline raises for a case it cannot assess (the CLI's exit codes 1 and 2)."""
    from dvtkg.cases.errors import CaseInputError, CaseValidationError
    from dvtkg.fast.compile import UnsupportedAxiom
    from dvtkg.fast.entail import UnsupportedCase
    from dvtkg.reason import ReasonerError

    return (CaseValidationError, CaseInputError, ReasonerError, UnsupportedAxiom, UnsupportedCase)


@dataclass
class Assessed:
    """An assessment and what the conversion from FHIR left (empty for a case sheet)."""

    assessment: Assessment
    sheet: dict[str, Any]
    unmapped: list[dict[str, Any]] = field(default_factory=list)
    provenance: dict[str, list[str]] = field(default_factory=dict)
    conflicts: list[dict[str, Any]] = field(default_factory=list)


def _refers_to(resource: dict[str, Any], patient_id: str) -> bool:
    """False only when the resource names another patient (subject / patient reference)."""
    if resource.get("resourceType") == "Patient":
        return resource.get("id") in (None, patient_id)
    for key in ("subject", "patient"):
        ref = resource.get(key)
        if isinstance(ref, dict) and isinstance(ref.get("reference"), str):
            return ref["reference"].split("/")[-1] == patient_id
    return True


def for_patient(resources: list[dict[str, Any]], patient_id: str | None) -> list[dict[str, Any]]:
    return [r for r in resources if patient_id is None or _refers_to(r, patient_id)]


def convert(resources: list[dict[str, Any]] | None = None, bundle: dict[str, Any] | None = None,
            at: datetime.date | None = None, source: str = "<hook>") -> Any:
    """FHIR resources or a Bundle -> the converter's FhirConversion; PatientDataError for bad FHIR."""
    from dvtkg.fhir.convert import bundle_to_case, resources_to_case
    from dvtkg.fhir.errors import FhirInputError

    try:
        if bundle is not None:
            return bundle_to_case(bundle, at=at, source=source)
        return resources_to_case(resources or [], at=at, source=source)
    except FhirInputError as exc:
        raise PatientDataError(str(exc)) from None
    except (ValueError, TypeError, KeyError, AttributeError) as exc:  # data the converter did not foresee
        raise PatientDataError(f"the converter could not read the resources ({type(exc).__name__})") from None


def assess_fhir(guidance: Guidance, resources: list[dict[str, Any]] | None = None,
                bundle: dict[str, Any] | None = None, at: datetime.date | None = None,
                source: str = "<hook>") -> Assessed:
    conversion = convert(resources, bundle, at, source)
    assessment = guidance.assess_conversion(conversion, source)
    return Assessed(assessment, conversion.sheet, list(conversion.unmapped), dict(conversion.provenance),
                    list(conversion.conflicts))


def has_vte(sheet: dict[str, Any]) -> bool:
    """Whether the record shows a DVT (a leg with thrombosed veins), a PE, or a suspected DVT: else the
    DVT guidance has nothing to say and the hook answers no cards."""
    limbs = sheet.get("limbs")
    if isinstance(limbs, dict) and any(isinstance(limb, dict) and limb.get("veins") for limb in limbs.values()):
        return True
    pe = sheet.get("pe")
    pe = pe if isinstance(pe, dict) else {}
    return pe.get("present") is True or sheet.get("suspectedDvt") is True


def is_bundle(data: Any) -> bool:
    return isinstance(data, dict) and data.get("resourceType") == "Bundle"


def assess_input(guidance: Guidance, data: Any, at: datetime.date | None = None, source: str = "<page>") -> Assessed:
    """A case sheet or a FHIR Bundle (what the page sends)."""
    if is_bundle(data):
        return assess_fhir(guidance, bundle=data, at=at, source=source)
    if isinstance(data, dict) and "resourceType" in data:
        return assess_fhir(guidance, resources=[data], at=at, source=source)
    return Assessed(guidance.assess(data), data)
