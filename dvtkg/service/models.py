"""The CDS Hooks 2.0 shapes as pydantic models: requests, responses, discovery, feedback.

Field names follow the specification exactly (camelCase). Extra fields are allowed where the
specification allows extensions; a request that lacks a required field fails validation and is
answered 400 with the pydantic message.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, field_validator

INDICATORS = ("info", "warning", "critical")
SUMMARY_MAX = 140


class _Open(BaseModel):
    """Unknown members are kept (the spec's ``extension`` and future fields)."""

    model_config = ConfigDict(extra="allow")


class Coding(_Open):
    code: str
    system: str | None = None
    display: str | None = None


class FhirAuthorization(_Open):
    access_token: str
    token_type: Literal["Bearer"]
    expires_in: int
    scope: str
    subject: str
    patient: str | None = None


class HookRequest(_Open):
    """The body a CDS client POSTs to a service."""

    hook: str
    hookInstance: str
    fhirServer: HttpUrl | None = None
    fhirAuthorization: FhirAuthorization | None = None
    context: dict[str, Any]
    prefetch: dict[str, Any] | None = None

    @field_validator("hookInstance")
    @classmethod
    def _instance_not_empty(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("hookInstance must not be empty")
        return v


class Source(_Open):
    label: str
    url: str | None = None
    icon: str | None = None
    topic: Coding | None = None


class Action(_Open):
    type: Literal["create", "update", "delete"]
    description: str | None = None  # the spec's table says required; its own systemActions example has none
    resource: dict[str, Any] | None = None
    resourceId: str | None = None


class Suggestion(_Open):
    label: str
    uuid: str | None = None
    isRecommended: bool | None = None
    actions: list[Action] = Field(default_factory=list)


class Link(_Open):
    label: str
    url: str
    type: Literal["absolute", "smart"]
    appContext: str | None = None
    autolaunchable: bool | None = None


class Card(_Open):
    uuid: str | None = None
    summary: str = Field(max_length=SUMMARY_MAX)
    detail: str | None = None
    # required by the spec's table, missing from its example 18: optional here, always set by this service
    indicator: Literal["info", "warning", "critical"] | None = None
    source: Source
    suggestions: list[Suggestion] | None = None
    selectionBehavior: Literal["at-most-one", "any"] | None = None
    overrideReasons: list[Coding] | None = None
    links: list[Link] | None = None


class HookResponse(_Open):
    cards: list[Card]
    systemActions: list[Action] | None = None


class ServiceDescription(_Open):
    hook: str
    title: str | None = None
    description: str
    id: str
    prefetch: dict[str, str] | None = None
    usageRequirements: str | None = None


class Discovery(_Open):
    services: list[ServiceDescription]


class OverrideReason(_Open):
    reason: Coding | None = None
    userComment: str | None = None


class AcceptedSuggestion(_Open):
    id: str


class FeedbackItem(_Open):
    card: str
    outcome: Literal["accepted", "overridden"]
    acceptedSuggestions: list[AcceptedSuggestion] | None = None
    overrideReason: OverrideReason | None = None
    outcomeTimestamp: str


class FeedbackRequest(_Open):
    feedback: list[FeedbackItem]
