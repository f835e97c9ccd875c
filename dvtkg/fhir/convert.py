"""Read FHIR R4 resources as a dvtkg case sheet (docs/fhir.md lists every mapping).

What the resources state becomes a case-sheet fact, named with the resource it came
from (``provenance``); what they do not state stays unknown (the key is left out); what
cannot be read is listed (``unmapped``) with the reason, never guessed; resources that
contradict each other leave the fact unknown and are reported (``conflicts``, which the
assessment shows among its data conflicts). The codes that decide all this are data in
``ontology/modules/codes.ttl``; this module only walks the resources.

Which resources count: a Condition that is active (clinicalStatus active, recurrence,
relapse) and confirmed, or refuted (a stated negative where the mapping gives one); an
Observation that is final, amended or corrected, dated no later than the reference date,
the latest one per fact; a MedicationRequest (an order) or MedicationStatement that is
active; an active EpisodeOfCare; a completed dvtkg case-facts QuestionnaireResponse.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from dvtkg.cases.sheet import VEIN_NAMES
from dvtkg.cases.vocab import SIDES
from dvtkg.fhir.codes import CodeMapping, CodeTables, load_tables
from dvtkg.fhir.errors import FhirInputError
from dvtkg.fhir.units import UnitError, convert
from dvtkg.fhir.validate import check_system, validate_resource

#: The canonical URL of dvtkg's case-facts questionnaire: item linkIds are case-sheet keys.
CASE_FACTS_QUESTIONNAIRE = "https://w3id.org/dvtkg/Questionnaire/case-facts"
ACTIVE = frozenset({"active", "recurrence", "relapse"})
UNCONFIRMED = frozenset({"provisional", "differential", "unconfirmed"})
OBSERVATION_VALID = frozenset({"final", "amended", "corrected"})
ORDER_INTENTS = frozenset({"order", "original-order", "reflex-order", "filler-order", "instance-order"})
ORDER_TYPES = ("ServiceRequest", "Procedure", "DeviceRequest")
VEIN_KEY = "limbs.{limb}.veins"
DATE_RE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


@dataclass
class FhirConversion:
    """A case sheet read from FHIR, with what could not be read, where each fact came from, and contradictions."""

    sheet: dict[str, Any]
    unmapped: list[dict[str, str]] = field(default_factory=list)     # {resource, path, reason}
    provenance: dict[str, list[str]] = field(default_factory=dict)   # case key -> ["Observation/abc (2026-11-30)"]
    conflicts: list[dict[str, Any]] = field(default_factory=list)     # {facts, message, resources}
    unknown: list[str] = field(default_factory=list)                  # case keys the resources leave unknown
    orders: list[dict[str, str]] = field(default_factory=list)        # {resource, code, intervention}

    def as_dict(self) -> dict[str, Any]:
        return {"sheet": self.sheet, "unmapped": self.unmapped, "provenance": self.provenance,
                "conflicts": self.conflicts, "unknown": self.unknown, "orders": self.orders}


@dataclass
class _Candidate:
    value: Any
    ref: str
    date: str | None
    kind: str  # observation | condition | medication | episode | questionnaire | patient


@dataclass
class _Limb:
    confirmed: list[str] = field(default_factory=list)
    refuted: list[str] = field(default_factory=list)
    segments: set[str] = field(default_factory=set)
    segment_refs: list[str] = field(default_factory=list)
    listed: bool = False  # a questionnaire answer gave the thrombus list


def _as_date(at: dt.date | dt.datetime | None) -> dt.date:
    if at is None:
        return dt.date.today()
    return at.date() if isinstance(at, dt.datetime) else at


def _day(text: Any) -> dt.date | None:
    """The calendar day of a FHIR date/dateTime/instant (None when only a year or month is given)."""
    if not isinstance(text, str):
        return None
    m = DATE_RE.match(text)
    if not m or m.group(3) is None:
        return None
    try:
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


def _codings(concept: Any) -> list[dict[str, Any]]:
    if not isinstance(concept, dict):
        return []
    return [c for c in concept.get("coding") or [] if isinstance(c, dict)]


def _status_code(concept: Any) -> str | None:
    for c in _codings(concept):
        if c.get("code"):
            return str(c["code"])
    return None


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def _json_number(value: Decimal, integer: bool) -> int | float:
    if integer or value == value.to_integral_value():
        return int(value)
    return float(value)


def _canon(value: Any) -> tuple[str, str]:
    if isinstance(value, list):
        return ("list", ",".join(map(str, value)))
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return ("number", str(_decimal(value)))
    return (type(value).__name__, str(value))


def _shown(value: Any) -> str:
    return "true" if value is True else "false" if value is False else str(value)


class _Converter:
    """One conversion: walks the resources, collects candidates, then settles them into a sheet."""

    def __init__(self, tables: CodeTables, at: dt.date, source: str) -> None:
        self.t = tables
        self.at = at
        self.source = source
        self.unmapped: list[dict[str, str]] = []
        self.candidates: dict[str, list[_Candidate]] = {}
        self.limbs: dict[str, _Limb] = {}
        self.codes: list[dict[str, str]] = []
        self.orders: list[dict[str, str]] = []
        self.conflicts: list[dict[str, Any]] = []
        self.provenance: dict[str, list[str]] = {}
        self.index: dict[str, dict[str, Any]] = {}
        self.not_read: dict[str, int] = {}
        self.patient: tuple[str, dict[str, Any]] | None = None

    # ------------------------------------------------------------------ helpers
    def skip(self, ref: str, path: str, reason: str) -> None:
        self.unmapped.append({"resource": ref, "path": path, "reason": reason})

    def add(self, key: str, value: Any, ref: str, date: str | None, kind: str) -> None:
        self.candidates.setdefault(key, []).append(_Candidate(value, ref, date, kind))

    def coded(self, resource: dict[str, Any], element: str, ref: str, context: str,
              concept: Any = None) -> tuple[list[tuple[dict[str, Any], CodeMapping]], list[str]]:
        """The mappings of the codings of ``element`` (checked systems), and the codes seen."""
        concept = resource.get(element) if concept is None else concept
        found: list[tuple[dict[str, Any], CodeMapping]] = []
        seen: list[str] = []
        for i, c in enumerate(_codings(concept)):
            check_system(c.get("system"), self.t, ref, f"{element}.coding[{i}].system")
            system, code = c.get("system"), c.get("code")
            if not isinstance(system, str) or not isinstance(code, str):
                continue
            seen.append(f"{system}|{code}")
            found += [(c, m) for m in self.t.mappings(system, code, context)]
        return found, seen

    def no_mapping(self, ref: str, path: str, seen: list[str]) -> None:
        what = ", ".join(seen) if seen else "no coding"
        self.skip(ref, path, f"no code mapping for {what} (ontology/modules/codes.ttl)")

    def spec_range_ok(self, key: str, value: Decimal, ref: str, path: str) -> bool:
        spec = self.t.spec(key)
        if spec is None:
            return True
        if (spec.minimum is not None and value < spec.minimum) or (spec.maximum is not None and value > spec.maximum):
            self.skip(ref, path, f"{key} = {value} is outside the plausible range {spec.minimum}..{spec.maximum}: "
                                 "not used")
            return False
        return True

    def days_before_at(self, text: Any, ref: str, path: str) -> int | None:
        day = _day(text)
        if day is None:
            self.skip(ref, path, f"date {text!r} is not a full calendar day: the number of days is unknown")
            return None
        days = (self.at - day).days
        if days < 0:
            self.skip(ref, path, f"date {text} is after the reference date {self.at}: not used")
            return None
        return days

    # ------------------------------------------------------------------ resources
    def run(self, items: list[tuple[str, dict[str, Any]]]) -> FhirConversion:
        for _where, resource in items:
            rtype = resource.get("resourceType")
            rid = resource.get("id")
            if isinstance(rid, str):
                self.index[f"{rtype}/{rid}"] = resource
        for where, resource in items:
            rtype = str(resource.get("resourceType"))
            rid = resource.get("id")
            ref = f"{rtype}/{rid}" if isinstance(rid, str) else f"{where} ({rtype})"
            handler = getattr(self, f"_{rtype}", None)
            if handler is not None:
                handler(resource, ref, where)
            elif rtype in ORDER_TYPES:
                self._order(resource, ref)
            else:
                self.not_read[rtype] = self.not_read.get(rtype, 0) + 1
        return self.finish()

    def _Patient(self, r: dict[str, Any], ref: str, where: str) -> None:
        if self.patient is not None and self.patient[0] != ref:
            raise FhirInputError(f"{self.source}: {where} ({ref})", "resourceType",
                                 f"a second Patient (the first is {self.patient[0]}): a case describes one patient")
        self.patient = (ref, r)
        gender = r.get("gender")
        if gender in ("male", "female"):
            self.add("sex", gender, ref, None, "patient")
        else:
            self.skip(ref, "gender", f"gender {gender!r} is not male or female: sex stays unknown")
        self._age(r.get("birthDate"), ref)

    def _age(self, birth: Any, ref: str) -> None:
        if not isinstance(birth, str):
            self.skip(ref, "birthDate", "no birthDate: age stays unknown")
            return
        m = DATE_RE.match(birth)
        if not m:
            self.skip(ref, "birthDate", f"birthDate {birth!r} is not a date")
            return
        year = int(m.group(1))
        months = [int(m.group(2))] if m.group(2) else list(range(1, 13))
        ages = set()
        for month in months:
            days = [int(m.group(3))] if m.group(3) else [1, 28 if month == 2 else 30 if month in (4, 6, 9, 11) else 31]
            for day in days:
                try:
                    born = dt.date(year, month, day)
                except ValueError:
                    continue
                ages.add(self.at.year - born.year - ((self.at.month, self.at.day) < (born.month, born.day)))
        if len(ages) != 1:
            self.skip(ref, "birthDate", f"birthDate {birth} gives age {min(ages)} or {max(ages)} at {self.at}: "
                                        "age stays unknown" if ages else f"birthDate {birth!r} is not a date")
            return
        age = ages.pop()
        if age < 0:
            self.skip(ref, "birthDate", f"birthDate {birth} is after the reference date {self.at}")
            return
        if self.spec_range_ok("age", Decimal(age), ref, "birthDate"):
            self.add("age", age, f"{ref} (birthDate {birth}, at {self.at})", None, "patient")

    def _Condition(self, r: dict[str, Any], ref: str, where: str) -> None:
        found, seen = self.coded(r, "code", ref, "Condition")
        if not found:
            self.no_mapping(ref, "code", seen)
            return
        verification = _status_code(r.get("verificationStatus"))
        clinical = _status_code(r.get("clinicalStatus"))
        if verification == "entered-in-error":
            self.skip(ref, "verificationStatus", "entered in error: not read")
            return
        refuted = verification == "refuted"
        active = clinical in ACTIVE
        date = r.get("recordedDate") if isinstance(r.get("recordedDate"), str) else None
        done: set[str] = set()
        for coding, m in found:
            if m.iri in done:
                continue
            done.add(m.iri)
            confirmed = verification == "confirmed" or (verification in UNCONFIRMED and m.accepts_unconfirmed)
            if m.key == VEIN_KEY:
                self._dvt(r, ref, coding, m, refuted, active and confirmed, clinical, verification)
                continue
            if m.key is None:
                continue
            if refuted:
                if m.refuted_value is None:
                    self.skip(ref, "verificationStatus", f"refuted {m.label}: states nothing about {m.key}")
                else:
                    self.add(m.key, m.refuted_value, ref, date, "condition")
                continue
            if not (active and confirmed):
                self.skip(ref, "clinicalStatus", f"{m.label}: clinicalStatus {clinical}, verificationStatus "
                                                 f"{verification}: only an active, confirmed Condition is read "
                                                 f"({m.key} stays unknown)")
                continue
            value = m.value
            if m.value_from_severity:
                sev, _ = self.coded(r, "severity", ref, "Condition.severity")
                values = sorted({s.value for _, s in sev if s.key == m.key and s.value is not None}, key=str)
                if len(values) != 1:
                    self.skip(ref, "severity", f"{m.label} without a mapped severity: {m.key} stays unknown")
                    continue
                value = values[0]
            self.add(m.key, value, ref, date, "condition")
            self._keep_code(coding)

    def _keep_code(self, coding: dict[str, Any]) -> None:
        entry = {"system": str(coding["system"]), "code": str(coding["code"])}
        if entry["system"].endswith("icd-10-cm") and entry not in self.codes:
            self.codes.append(entry)

    def _dvt(self, r: dict[str, Any], ref: str, coding: dict[str, Any], m: CodeMapping, refuted: bool,
             read: bool, clinical: str | None, verification: str | None) -> None:
        sides = set(m.sides)
        segments: set[str] = set()
        site, _ = self.coded(r, "bodySite", ref, "Condition.bodySite", concept={"coding": [
            c for concept in (r.get("bodySite") or []) for c in _codings(concept)]})
        for _, s in site:
            sides |= set(s.sides)
            if s.key == VEIN_KEY and isinstance(s.value, str):
                segments.add(s.value)
        if not sides:
            self.skip(ref, "bodySite", f"{m.label}: no side (neither the code nor a laterality qualifier in bodySite "
                                       "names one): the DVT is not placed on a leg")
            return
        if refuted:
            for side in sides:
                self.limbs.setdefault(side, _Limb()).refuted.append(ref)
            return
        if not read:
            self.skip(ref, "clinicalStatus", f"{m.label}: clinicalStatus {clinical}, verificationStatus "
                                             f"{verification}: only an active, confirmed Condition is read")
            return
        for side in sorted(sides):
            limb = self.limbs.setdefault(side, _Limb())
            limb.confirmed.append(ref)
            if segments and len(sides) == 1:
                limb.segments |= segments
                limb.segment_refs.append(ref)
        if segments and len(sides) > 1:
            self.skip(ref, "bodySite", "vein segments of a Condition on both legs cannot be given a side: each leg's "
                                       "thrombus list stays unknown (give one Condition per leg)")
        if not segments:
            self.skip(ref, "bodySite", f"{m.label}: no vein segment codes in bodySite: the leg's thrombus list "
                                       "stays unknown (veins null)")
        onset = r.get("onsetDateTime") or (r.get("onsetPeriod") or {}).get("start")
        if onset is not None:
            days = self.days_before_at(onset, ref, "onsetDateTime")
            if days is not None:
                for side in sorted(sides):
                    self.add(f"limbs.{side}.symptomDays", days, f"{ref} (onset {onset})", None, "condition")
        elif any(k.startswith("onset") for k in r):
            self.skip(ref, "onset[x]", "onset given as an age or text: the symptom days stay unknown")
        recorded = r.get("recordedDate")
        if recorded is not None:
            days = self.days_before_at(recorded, ref, "recordedDate")
            if days is not None:
                self.add("course.vteDaysAgo", days, f"{ref} (recorded {recorded})", None, "condition")
        self._keep_code(coding)

    def _Observation(self, r: dict[str, Any], ref: str, where: str) -> None:
        # the Observation and each of its components (a blood pressure's two values) are read alike:
        # (path prefix, the element holding code and value, its mapped codings)
        parts = [("", r)] + [(f"component[{i}].", c) for i, c in enumerate(r.get("component") or [])
                             if isinstance(c, dict)]
        mapped: list[tuple[str, dict[str, Any], list[tuple[dict[str, Any], CodeMapping]]]] = []
        seen: list[str] = []
        for prefix, part in parts:
            found, codes = self.coded(part, "code", ref, "Observation")
            if found:
                mapped.append((prefix, part, found))
            elif prefix:
                self.no_mapping(ref, f"{prefix}code", codes)
            else:
                seen = codes
        if not mapped:
            self.no_mapping(ref, "code", seen)
            return
        status = r.get("status")
        if status not in OBSERVATION_VALID:
            self.skip(ref, "status", f"status {status}: only a final, amended or corrected Observation is read")
            return
        when = (r.get("effectiveDateTime") or r.get("effectiveInstant")
                or (r.get("effectivePeriod") or {}).get("end") or (r.get("effectivePeriod") or {}).get("start")
                or r.get("issued"))
        day = _day(when)
        if day is None:
            self.skip(ref, "effective[x]", "no effective date: the latest value cannot be chosen, not used")
            return
        if day > self.at:
            self.skip(ref, "effective[x]", f"effective {when} is after the reference date {self.at}: not used")
            return
        for prefix, part, found in mapped:
            self._observed(part, ref, prefix, found, str(when))

    def _observed(self, r: dict[str, Any], ref: str, prefix: str, found: list[tuple[dict[str, Any], CodeMapping]],
                  when: str) -> None:
        for _, m in {m.iri: (c, m) for c, m in found}.values():
            if m.value_from_answer:
                answers, seen = self.coded(r, "valueCodeableConcept", ref, "Observation.value")
                values = sorted({a.value for _, a in answers if a.key == m.key}, key=str)
                if len(values) != 1:
                    self.skip(ref, f"{prefix}valueCodeableConcept", f"{m.label}: answer {', '.join(seen) or 'missing'} "
                                                                    "has no mapping: not used")
                    continue
                self.add(str(m.key), values[0], ref, when, "observation")
                continue
            target = self.t.unit_for(m.key) if m.key else m.target_unit
            quantity = r.get("valueQuantity")
            if not isinstance(quantity, dict) or _decimal(quantity.get("value")) is None:
                reason = "a dataAbsentReason" if r.get("dataAbsentReason") else "no valueQuantity"
                self.skip(ref, f"{prefix}value[x]", f"{m.label}: {reason}: not used")
                continue
            value = _decimal(quantity["value"])
            assert value is not None
            unit = quantity.get("code") if quantity.get("system") in (None, "http://unitsofmeasure.org") else None
            unit = unit or (quantity.get("unit") if quantity.get("system") is None else None)
            if not isinstance(unit, str) or target is None:
                self.skip(ref, f"{prefix}valueQuantity", f"{m.label}: no UCUM unit code: the value is not read")
                continue
            try:
                converted = convert(value, unit, target, m.molar_mass)
            except UnitError as exc:
                self.skip(ref, f"{prefix}valueQuantity.code", f"{m.label}: {exc}: not used")
                continue
            if m.key is None:
                self.skip(ref, f"{prefix}valueQuantity", f"{m.label} = {converted} {target}: the case sheet has no key "
                                                         "for it, not used")
                continue
            spec = self.t.spec(m.key)
            if spec is not None and spec.kind == "integer":
                converted = converted.to_integral_value(rounding="ROUND_FLOOR")
            if self.spec_range_ok(m.key, converted, ref, f"{prefix}valueQuantity"):
                self.add(m.key, converted, ref, when, "observation")

    def _medication_concept(self, r: dict[str, Any]) -> Any:
        if r.get("medicationCodeableConcept") is not None:
            return r["medicationCodeableConcept"]
        target = (r.get("medicationReference") or {}).get("reference")
        if isinstance(target, str):
            if target.startswith("#"):
                for c in r.get("contained") or []:
                    if isinstance(c, dict) and c.get("id") == target[1:]:
                        return c.get("code")
            med = self.index.get(target) or self.index.get(target.split("/_history")[0])
            if med is not None:
                return med.get("code")
        return None

    def _medication(self, r: dict[str, Any], ref: str, kind: str) -> None:
        concept = self._medication_concept(r)
        found, seen = self.coded(r, "medication", ref, kind, concept=concept)
        if not found:
            self.no_mapping(ref, "medication[x]", seen)
            return
        status = r.get("status")
        ok = status == "active" and (kind != "MedicationRequest" or r.get("intent") in ORDER_INTENTS)
        date = r.get("authoredOn") or r.get("dateAsserted") or None
        for coding, m in {m.iri: (c, m) for c, m in found}.values():
            if m.intervention:
                self.orders.append({"resource": ref, "code": f"{coding.get('system')}|{coding.get('code')}",
                                    "intervention": m.intervention})
            if not ok:
                self.skip(ref, "status", f"{m.label}: status {status}"
                          + (f", intent {r.get('intent')}" if kind == "MedicationRequest" else "")
                          + ": only an active order or statement is current medication")
                continue
            if m.key is None:
                self.skip(ref, "medication[x]", f"{m.label}: an order for {m.intervention}, not a case fact")
                continue
            self.add(m.key, m.value, ref, date, "medication")

    def _MedicationRequest(self, r: dict[str, Any], ref: str, where: str) -> None:
        self._medication(r, ref, "MedicationRequest")

    def _MedicationStatement(self, r: dict[str, Any], ref: str, where: str) -> None:
        self._medication(r, ref, "MedicationStatement")

    def _Medication(self, r: dict[str, Any], ref: str, where: str) -> None:
        """Read through the MedicationRequest / MedicationStatement that names it."""

    def _EpisodeOfCare(self, r: dict[str, Any], ref: str, where: str) -> None:
        found: list[tuple[dict[str, Any], CodeMapping]] = []
        seen: list[str] = []
        for i, concept in enumerate(r.get("type") or []):
            f, s = self.coded(r, f"type[{i}]", ref, "EpisodeOfCare", concept=concept)
            found += f
            seen += s
        if not found:
            self.no_mapping(ref, "type", seen)
            return
        if r.get("status") != "active":
            self.skip(ref, "status", f"status {r.get('status')}: only an active EpisodeOfCare is read")
            return
        start = (r.get("period") or {}).get("start")
        for _, m in found:
            if m.key:
                self.add(m.key, m.value, ref, start, "episode")

    def _order(self, r: dict[str, Any], ref: str) -> None:
        rtype = str(r.get("resourceType"))
        element = "codeCodeableConcept" if rtype == "DeviceRequest" else "code"
        found, seen = self.coded(r, element, ref, rtype)
        if not found:
            self.no_mapping(ref, element, seen)
            return
        for coding, m in found:
            if m.intervention:
                self.orders.append({"resource": ref, "code": f"{coding.get('system')}|{coding.get('code')}",
                                    "intervention": m.intervention})
                self.skip(ref, element, f"{m.label}: an order for {m.intervention}, not a case fact")

    def _QuestionnaireResponse(self, r: dict[str, Any], ref: str, where: str) -> None:
        canonical = str(r.get("questionnaire") or "").split("|")[0]
        if canonical != CASE_FACTS_QUESTIONNAIRE:
            self.not_read["QuestionnaireResponse (other questionnaires)"] = (
                self.not_read.get("QuestionnaireResponse (other questionnaires)", 0) + 1)
            return
        if r.get("status") not in ("completed", "amended"):
            self.skip(ref, "status", f"status {r.get('status')}: only a completed case-facts questionnaire is read")
            return
        self._items(r.get("item") or [], "item", ref, r.get("authored"))

    def _items(self, items: list[Any], path: str, ref: str, date: str | None) -> None:
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                continue
            here = f"{path}[{i}]"
            if item.get("item"):
                self._items(item["item"], f"{here}.item", ref, date)
            key = item.get("linkId")
            answers = [a for a in item.get("answer") or [] if isinstance(a, dict)]
            if not answers or not isinstance(key, str):
                continue
            self._answer(key, answers, f"{here}", ref, date)

    def _answer(self, key: str, answers: list[dict[str, Any]], path: str, ref: str, date: str | None) -> None:
        parts = key.split(".")
        if parts[0] == "limbs" and (len(parts) < 3 or parts[1] not in SIDES):
            raise FhirInputError(ref, f"{path}.linkId", f"{key!r}: a leg key is limbs.left.<key> or limbs.right.<key>")
        if parts[0] == "limbs" and ".".join(parts[2:]) == "veins":
            self._answer_veins(parts[1], answers, path, ref)
            return
        spec = self.t.spec(key)
        if spec is None:
            raise FhirInputError(ref, f"{path}.linkId", f"{key!r} is not a case-sheet key (docs/case-format.md)")
        if len(answers) != 1:
            raise FhirInputError(ref, f"{path}.answer", f"{key}: one answer expected, {len(answers)} given")
        a = answers[0]
        value: Any
        if spec.kind == "boolean":
            value = a.get("valueBoolean")
        elif spec.kind in ("integer", "number"):
            value = a.get("valueInteger", a.get("valueDecimal"))
        elif spec.kind == "days-or-none":
            value = a.get("valueInteger", a.get("valueString"))
            value = value if value == "none" or isinstance(value, int) else None
        else:
            value = a.get("valueString", (a.get("valueCoding") or {}).get("code"))
            value = value if value in spec.allowed else None
        if value is None or (spec.kind in ("integer", "number") and isinstance(value, bool)):
            article = "an" if spec.kind[0] in "aeiou" else "a"
            raise FhirInputError(ref, f"{path}.answer[0]", f"{key} takes {article} {spec.kind}"
                                 + (f" ({', '.join(spec.allowed)})" if spec.allowed else "")
                                 + f"; the answer given is {a}")
        if parts[0] == "limbs":
            self.limbs.setdefault(parts[1], _Limb())
        self.add(key, value, ref, date, "questionnaire")

    def _answer_veins(self, side: str, answers: list[dict[str, Any]], path: str, ref: str) -> None:
        segments: set[str] = set()
        for j, a in enumerate(answers):
            if a.get("valueString") == "none" and len(answers) == 1:
                break
            if a.get("valueString") in VEIN_NAMES:
                segments.add(a["valueString"])
                continue
            coding = a.get("valueCoding") or {}
            check_system(coding.get("system"), self.t, ref, f"{path}.answer[{j}].valueCoding.system")
            candidates = self.t.mappings(str(coding.get("system")), str(coding.get("code")), "Condition.bodySite")
            mapped = [m for m in candidates if m.key == VEIN_KEY and isinstance(m.value, str)]
            if not mapped:
                raise FhirInputError(ref, f"{path}.answer[{j}]", f"limbs.{side}.veins: {a} is not a vein segment "
                                     f"({', '.join(VEIN_NAMES)}, or 'none' alone)")
            segments.add(str(mapped[0].value))
        limb = self.limbs.setdefault(side, _Limb())
        limb.listed = True
        self.add(f"limbs.{side}.veins", sorted(segments, key=VEIN_NAMES.index), ref, None, "questionnaire")

    # ------------------------------------------------------------------ settle
    def settle(self, key: str, cands: list[_Candidate]) -> tuple[bool, Any]:
        """One value for a key, or a conflict (the key stays unknown)."""
        observed = [c for c in cands if c.kind == "observation"]
        pool = [c for c in cands if c.kind != "observation"]
        if observed:
            latest = max(str(c.date) for c in observed)
            newest = [c for c in observed if str(c.date) == latest]
            pool += newest
        values: dict[tuple[str, str], list[_Candidate]] = {}
        for c in pool:
            values.setdefault(_canon(c.value), []).append(c)
        if len(values) == 1:
            chosen = next(iter(values.values()))
            self.provenance[key] = [f"{c.ref} ({c.date})" if c.date else c.ref for c in chosen]
            return True, chosen[0].value
        parts = [f"{_shown(cs[0].value)} ({', '.join(c.ref for c in cs)})" for cs in values.values()]
        self.conflicts.append({
            "facts": [key],
            "message": f"the FHIR resources disagree on {key}: {' vs '.join(parts)}; {key} is treated as unknown.",
            "resources": sorted({c.ref for c in pool}),
        })
        return False, None

    def finish(self) -> FhirConversion:
        sheet: dict[str, Any] = {}
        flat: dict[str, Any] = {}
        for key in sorted(self.candidates):
            if key.startswith("limbs.") and key.endswith(".veins"):
                continue
            ok, value = self.settle(key, self.candidates[key])
            if ok:
                spec = self.t.spec(key)
                if isinstance(value, Decimal):
                    value = _json_number(value, spec is not None and spec.kind == "integer")
                flat[key] = value
        limbs = self._limbs(flat)
        ident = self.patient[1].get("id") if self.patient else None
        sheet["id"] = "fhir-" + re.sub(r"[^A-Za-z0-9._-]", "-", str(ident or "patient"))[:64]
        sheet["notes"] = f"Read from FHIR ({self.source}) with reference date {self.at.isoformat()}."
        for key, value in flat.items():
            if key.startswith("limbs."):
                continue
            node = sheet
            parts = key.split(".")
            for part in parts[:-1]:
                node = node.setdefault(part, {})
            node[parts[-1]] = value
        if limbs:
            sheet["limbs"] = limbs
        if self.codes:
            sheet["codes"] = self.codes
        for rtype, n in sorted(self.not_read.items()):
            self.skip(f"{rtype} ({n})", "", "resource type not read by the converter")
        return FhirConversion(sheet=sheet, unmapped=self.unmapped, provenance=self.provenance,
                              conflicts=self.conflicts, unknown=self._unknown(flat, limbs), orders=self.orders)

    def _limbs(self, flat: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for side in SIDES:
            limb = self.limbs.get(side)
            if limb is None:
                continue
            obj: dict[str, Any] = {}
            listed = self.candidates.get(f"limbs.{side}.veins")
            veins: list[str] | None = None
            key = f"limbs.{side}.veins"
            if limb.confirmed and limb.refuted:
                self.conflicts.append({
                    "facts": [key],
                    "message": f"a DVT of the {side} leg is both confirmed ({', '.join(limb.confirmed)}) and refuted "
                               f"({', '.join(limb.refuted)}); the {side} thrombus list is treated as unknown.",
                    "resources": sorted(limb.confirmed + limb.refuted)})
            elif limb.confirmed and limb.segments:
                veins = sorted(limb.segments, key=VEIN_NAMES.index)
                self.provenance[key] = sorted(set(limb.segment_refs))
            elif limb.refuted and not limb.confirmed:
                veins = []
                self.provenance[key] = sorted(set(limb.refuted))
            if listed:
                from_dvt = veins
                ok, value = self.settle(key, listed + ([_Candidate(from_dvt, r, None, "condition")
                                                        for r in self.provenance.get(key, [])] if from_dvt is not None
                                                       else []))
                veins = value if ok else None
            obj["veins"] = veins
            prefix = f"limbs.{side}."
            for k, v in flat.items():
                if k.startswith(prefix):
                    node = obj
                    parts = k[len(prefix):].split(".")
                    for part in parts[:-1]:
                        node = node.setdefault(part, {})
                    node[parts[-1]] = v
            out[side] = obj
        return out

    def _unknown(self, flat: dict[str, Any], limbs: dict[str, Any]) -> list[str]:
        missing = [k for k in sorted(self.t.keys.patient) if k not in flat]
        for side in limbs:
            missing += [f"limbs.{side}.{k}" for k in sorted(self.t.keys.limb) if f"limbs.{side}.{k}" not in flat]
            if limbs[side].get("veins") is None:
                missing.append(f"limbs.{side}.veins")
        if not limbs:
            missing.append("limbs")
        return missing


def _flatten(resources: list[Any], prefix: str, source: str) -> list[tuple[str, dict[str, Any]]]:
    """(where, resource) for each resource, nested Bundles (prefetch search sets) opened."""
    out: list[tuple[str, dict[str, Any]]] = []
    for i, r in enumerate(resources):
        where = f"{prefix}[{i}]"
        if not isinstance(r, dict):
            raise FhirInputError(f"{source}: {where}", "", "a FHIR resource must be a JSON object")
        if r.get("resourceType") == "Bundle":
            out += _bundle_entries(r, f"{where}.entry", source)
        else:
            out.append((where, r))
    return out


def _bundle_entries(bundle: dict[str, Any], prefix: str, source: str) -> list[tuple[str, dict[str, Any]]]:
    entries = bundle.get("entry") or []
    if not isinstance(entries, list):
        raise FhirInputError(source, prefix, "Bundle.entry must be a list")
    resources: list[Any] = []
    for i, e in enumerate(entries):
        if not isinstance(e, dict):
            raise FhirInputError(f"{source}: {prefix}[{i}]", "", "a Bundle entry must be a JSON object")
        resources.append(e.get("resource"))
    out: list[tuple[str, dict[str, Any]]] = []
    for i, r in enumerate(resources):
        if r is None:
            continue
        where = f"{prefix}[{i}]"
        if not isinstance(r, dict):
            raise FhirInputError(f"{source}: {where}", "resource", "a FHIR resource must be a JSON object")
        if r.get("resourceType") == "Bundle":
            out += _bundle_entries(r, f"{where}.resource.entry", source)
        else:
            out.append((where, r))
    return out


def _validated(items: list[tuple[str, dict[str, Any]]], tables: CodeTables, source: str
               ) -> tuple[list[tuple[str, dict[str, Any]]], list[dict[str, str]]]:
    kept: list[tuple[str, dict[str, Any]]] = []
    skipped: list[dict[str, str]] = []
    for where, r in items:
        rid = r.get("id")
        name = f"{source}: {where} ({r.get('resourceType')}{'/' + rid if isinstance(rid, str) else ''})"
        if validate_resource(r, name):
            kept.append((where, r))
        else:
            skipped.append({"resource": f"{r.get('resourceType')}/{rid}" if isinstance(rid, str) else where,
                            "path": "resourceType",
                            "reason": "an R4 resource type that R4B removed: not validated, not read"})
    return kept, skipped


def _convert(items: list[tuple[str, dict[str, Any]]], at: dt.date | None, source: str,
             root: Path | None) -> FhirConversion:
    tables = load_tables(root)
    kept, skipped = _validated(items, tables, source)
    conv = _Converter(tables, _as_date(at), source)
    try:
        result = conv.run(kept)
    except FhirInputError as exc:
        if exc.where.startswith(source):
            raise
        raise FhirInputError(f"{source}: {exc.where}", exc.path, exc.rule) from None
    result.unmapped = skipped + result.unmapped
    return result


def bundle_to_case(bundle: dict[str, Any], at: dt.date | None = None, source: str = "<bundle>",
                   root: Path | None = None) -> FhirConversion:
    """Read a FHIR R4 Bundle as a case sheet; ``at`` is the reference date for ages and days (default today).

    Raises :class:`FhirInputError` (exit code 1) naming the entry, resource and path of bad FHIR.
    """
    if not isinstance(bundle, dict):
        raise FhirInputError(source, "", "a FHIR Bundle must be a JSON object")
    if bundle.get("resourceType") != "Bundle":
        raise FhirInputError(source, "resourceType", f"expected 'Bundle', found {bundle.get('resourceType')!r}")
    shell = {k: v for k, v in bundle.items() if k != "entry"}
    validate_resource(shell, f"{source}: Bundle")
    return _convert(_bundle_entries(bundle, "entry", source), at, source, root)


def resources_to_case(resources: list[dict[str, Any]], at: dt.date | None = None, source: str = "<resources>",
                      root: Path | None = None) -> FhirConversion:
    """Read a list of FHIR R4 resources (CDS Hooks prefetch; search-set Bundles are opened) as a case sheet."""
    if not isinstance(resources, list):
        raise FhirInputError(source, "", "expected a list of FHIR resources")
    return _convert(_flatten(resources, "resources", source), at, source, root)


def warm_up(root: Path | None = None) -> None:
    """Load what the first conversion would otherwise pay for (code tables, FHIR models, UCUM registry).

    A service calls it once at start-up: the first conversion in a fresh process takes seconds,
    later ones milliseconds.
    """
    from fhir.resources.R4B import get_fhir_model_class

    for rtype in ("Bundle", "Patient", "Condition", "Observation", "Medication", "MedicationRequest",
                  "MedicationStatement", "EpisodeOfCare", "QuestionnaireResponse") + ORDER_TYPES:
        get_fhir_model_class(rtype)
    load_tables(root)
    resources_to_case([{"resourceType": "Observation", "id": "warm-up", "status": "final",
                        "code": {"coding": [{"system": "http://loinc.org", "code": "29463-7"}]},
                        "effectiveDateTime": "2000-01-01",
                        "valueQuantity": {"value": 1000, "system": "http://unitsofmeasure.org", "code": "g"}}],
                      at=dt.date(2000, 1, 2), source="<warm-up>", root=root)


def as_bundle(resources: list[dict[str, Any] | None]) -> dict[str, Any]:
    """Wrap resources (CDS Hooks prefetch: resources and search-set Bundles) in a collection Bundle.

    ``Assessor(fhir_at=...).assess(as_bundle(resources))`` then assesses them with the
    conversion's unmapped, provenance and conflicts in the assessment, as for a Bundle file.
    """
    return {"resourceType": "Bundle", "type": "collection",
            "entry": [{"resource": r} for r in resources if r is not None]}
