"""The CDS services this server offers (what ``GET /cds-services`` lists).

Two services: ``dvt-guidance`` on ``patient-view`` (the patient's DVT guidance: safety alerts,
bottom line, undecided questions) and ``dvt-orders`` on ``order-select`` and ``order-sign``
(an order for thrombolysis, an IVC filter, compression stockings or an anticoagulant checked
against the guidance for this patient). CDS Hooks gives each service one hook, so the order
service is listed twice: ``dvt-order-select`` and ``dvt-order-sign``.
"""

from __future__ import annotations

from dataclasses import dataclass

from dvtkg.service.models import Discovery, ServiceDescription

#: FHIR R4 searches for what the case needs (the converter reads these resource types); the
#: client fills them (prefetch) or the service runs them against ``fhirServer``.
PATIENT_PREFETCH: dict[str, str] = {
    "patient": "Patient/{{context.patientId}}",
    "conditions": "Condition?patient={{context.patientId}}",
    "observations": "Observation?patient={{context.patientId}}&category=laboratory,vital-signs,social-history",
    "medicationRequests": "MedicationRequest?patient={{context.patientId}}&status=active",
    "medicationStatements": "MedicationStatement?patient={{context.patientId}}&status=active",
    "episodesOfCare": "EpisodeOfCare?patient={{context.patientId}}&status=active",
    "caseFacts": "QuestionnaireResponse?patient={{context.patientId}}&status=completed"
                 "&questionnaire=https://w3id.org/dvtkg/Questionnaire/case-facts",
}

#: the prefetch keys without which no assessment is made (412 when neither prefetched nor fetchable)
REQUIRED_KEYS = ("patient",)


@dataclass(frozen=True)
class ServiceSpec:
    id: str
    hook: str
    title: str
    description: str
    kind: str  # "guidance" or "orders"
    context_required: tuple[str, ...]


SERVICES: tuple[ServiceSpec, ...] = (
    ServiceSpec("dvt-guidance", "patient-view", "DVT guidance",
                "Deep-vein thrombosis guidance for this patient from the dvtkg knowledge graph: safety alerts, the "
                "bottom line per decision (setting, anticoagulant, thrombus removal, filter, duration) and the "
                "unanswered questions that would change a decision.",
                "guidance", ("userId", "patientId")),
    ServiceSpec("dvt-order-select", "order-select", "DVT order check (select)",
                "Checks a selected order for thrombolysis, an IVC filter, compression stockings or an anticoagulant "
                "against the DVT guidance for this patient: a card against it when a statement recommends against "
                "the action or the action is blocked for this patient.",
                "orders", ("userId", "patientId", "selections", "draftOrders")),
    ServiceSpec("dvt-order-sign", "order-sign", "DVT order check (sign)",
                "Checks the orders about to be signed (thrombolysis, IVC filter, compression stockings, "
                "anticoagulants) against the DVT guidance for this patient.",
                "orders", ("userId", "patientId", "draftOrders")),
)


def service(service_id: str) -> ServiceSpec | None:
    return next((s for s in SERVICES if s.id == service_id), None)


def discovery() -> Discovery:
    return Discovery(services=[
        ServiceDescription(hook=s.hook, title=s.title, description=s.description, id=s.id,
                           prefetch=dict(PATIENT_PREFETCH),
                           usageRequirements="Reads Patient, Condition, Observation, MedicationRequest, "
                                             "MedicationStatement, EpisodeOfCare and the dvtkg case-facts "
                                             "QuestionnaireResponse; without prefetch, needs fhirServer access.")
        for s in SERVICES
    ])
