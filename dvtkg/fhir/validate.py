"""Validate FHIR resources with the fhir.resources R4B models, and check their code systems.

Each resource is validated on its own, so that an error names the bundle entry, the
resource (type/id) and the path inside it. R4B is the closest release these models
offer to R4; the few R4 resource types R4B dropped carry no case fact and are listed
as unmapped instead of being refused.
"""

from __future__ import annotations

from typing import Any

from dvtkg.fhir.codes import CodeTables
from dvtkg.fhir.errors import FhirInputError

#: R4 resource types that R4B removed (the medicinal-product family and the evidence syntheses)
R4_ONLY_TYPES = frozenset({
    "MedicinalProduct", "MedicinalProductAuthorization", "MedicinalProductContraindication",
    "MedicinalProductIndication", "MedicinalProductIngredient", "MedicinalProductInteraction",
    "MedicinalProductManufactured", "MedicinalProductPackaged", "MedicinalProductPharmaceutical",
    "MedicinalProductUndesirableEffect", "EffectEvidenceSynthesis", "RiskEvidenceSynthesis",
    "SubstanceNucleicAcid", "SubstancePolymer", "SubstanceProtein", "SubstanceReferenceInformation",
    "SubstanceSourceMaterial", "SubstanceSpecification", "DeviceUseStatement",
})
MAX_ERRORS_SHOWN = 3


def _loc(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def validate_resource(resource: Any, where: str) -> bool:
    """Validate one resource (a dict); False for an R4-only type that R4B cannot validate.

    Raises :class:`FhirInputError` naming ``where`` and the path of the first errors.
    """
    from fhir.resources.R4B import get_fhir_model_class
    from pydantic import ValidationError

    if not isinstance(resource, dict):
        raise FhirInputError(where, "", "a FHIR resource must be a JSON object")
    rtype = resource.get("resourceType")
    if not isinstance(rtype, str) or not rtype:
        raise FhirInputError(where, "resourceType", "a FHIR resource needs a resourceType")
    if rtype in R4_ONLY_TYPES:
        return False
    try:
        model = get_fhir_model_class(rtype)
    except (ValueError, KeyError):
        raise FhirInputError(where, "resourceType", f"{rtype!r} is not a FHIR R4 resource type") from None
    try:
        model.model_validate(resource)
    except ValidationError as exc:
        errors = exc.errors()
        shown = "; ".join(f"{_loc(tuple(e.get('loc', ())))}: {e.get('msg', 'invalid')}"
                          for e in errors[:MAX_ERRORS_SHOWN])
        more = f" (and {len(errors) - MAX_ERRORS_SHOWN} more)" if len(errors) > MAX_ERRORS_SHOWN else ""
        first = errors[0].get("loc", ()) if errors else ()
        raise FhirInputError(where, _loc(tuple(first)), f"not a valid FHIR R4 {rtype}: {shown}{more}") from None
    return True


def _norm(url: str) -> str:
    u = url.strip().lower().rstrip("/")
    for scheme in ("https://", "http://"):
        if u.startswith(scheme):
            u = u[len(scheme):]
    return u.removeprefix("www.")


def check_system(system: Any, tables: CodeTables, where: str, path: str) -> None:
    """A Coding.system must be an absolute URI, and not a misspelling of a system in the code-system table.

    A well-formed system that the table does not hold is allowed (its codes are listed as
    unmapped); "SNOMED", "http://snomed.info/sct/" or "https://loinc.org" are refused.
    """
    if system is None:
        return
    if not isinstance(system, str) or ":" not in system or " " in system.strip():
        raise FhirInputError(where, path, f"unknown code system {system!r}: Coding.system must be the code system's "
                                          f"URI (one of {', '.join(sorted(tables.systems))}, docs/codes.md)")
    if system in tables.systems:
        return
    near = [s for s in tables.systems if _norm(s) == _norm(system)]
    if near:
        raise FhirInputError(where, path, f"unknown code system {system!r}: did you mean {near[0]!r}? "
                                          "(the system URI must be written exactly, docs/codes.md)")
