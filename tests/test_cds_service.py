"""The CDS Hooks 2.0 service in process (starlette's TestClient runs the app and its start-up).

Expectations are written from the CDS Hooks 2.0 specification (status codes, required fields) and
from the decision rules (ontology/modules/rules.ttl: which statement applies to the seed case), never pasted from a run.
The FHIR server and the CDS client's JWK Set are fakes on an httpx MockTransport (tests/cds_fakes.py).
"""

from __future__ import annotations

import datetime
import json
import logging
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cds_fakes import FHIR_BASE, ISSUER, JWKS_URL, FakeFhir, SigningKeys, spec_example
from project_paths import ROOT
from starlette.testclient import TestClient

from dvtkg.service.app import create_app
from dvtkg.service.guidance import Guidance
from dvtkg.service.models import Action, Card, Coding, Discovery, HookResponse, ServiceDescription, Source
from dvtkg.service.settings import Issuer, Settings

pytestmark = pytest.mark.server

PATIENT = {"resourceType": "Patient", "id": "1288992", "gender": "male", "birthDate": "1925-12-23", "active": True}


@pytest.fixture(scope="module")
def guidance(service_guidance) -> Guidance:
    return service_guidance


def make_client(guidance: Guidance, tmp_path: Path, fake: FakeFhir | None = None, **settings: Any) -> TestClient:
    # ages are computed at a fixed date (the day the FHIR fixtures were written), not at today's
    s = Settings(feedback_db=tmp_path / "feedback.sqlite", docs_url="https://docs.test/dvtkg/",
                 today=datetime.date(2026, 12, 2), **settings)
    return TestClient(create_app(s, guidance=guidance, transport=(fake or FakeFhir()).transport()))


@pytest.fixture
def client(guidance, tmp_path):
    with make_client(guidance, tmp_path, FakeFhir(resources=[PATIENT])) as c:
        yield c


def hook_request(hook: str, context: dict[str, Any], prefetch: dict[str, Any] | None = None,
                 **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"hook": hook, "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea", "context": context}
    if prefetch is not None:
        body["prefetch"] = prefetch
    body.update(extra)
    return body


def all_prefetched(*resources: dict[str, Any]) -> dict[str, Any]:
    """Every prefetch key of the discovery document, filled (resources after the Patient as one searchset)."""
    patient = next(r for r in resources if r["resourceType"] == "Patient")
    rest = [r for r in resources if r["resourceType"] != "Patient"]

    def of(rt: str) -> dict[str, Any]:
        return {"resourceType": "Bundle", "type": "searchset",
                "entry": [{"resource": r} for r in rest if r["resourceType"] == rt]}

    return {"patient": patient, "conditions": of("Condition"), "observations": of("Observation"),
            "medicationRequests": of("MedicationRequest"), "medicationStatements": of("MedicationStatement"),
            "episodesOfCare": of("EpisodeOfCare"), "caseFacts": of("QuestionnaireResponse")}


# ------------------------------------------------------------------ discovery


def test_discovery_lists_the_services_with_prefetch(client):
    resp = client.get("/cds-services")
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("application/json")
    body = resp.json()
    Discovery.model_validate(body)
    by_id = {s["id"]: s for s in body["services"]}
    # the issue asks for dvt-guidance on patient-view and an order-select / order-sign service
    assert by_id["dvt-guidance"]["hook"] == "patient-view"
    assert by_id["dvt-order-select"]["hook"] == "order-select"
    assert by_id["dvt-order-sign"]["hook"] == "order-sign"
    for s in body["services"]:
        # spec: hook, description and id are required; title is optional but given
        assert set(s) >= {"hook", "description", "id", "title", "prefetch"}
        assert s["description"] and s["title"]
        # the prefetch templates read the resource types the FHIR converter maps, for the context's patient
        assert s["prefetch"]["patient"] == "Patient/{{context.patientId}}"
        for key, rt in (("conditions", "Condition"), ("observations", "Observation"),
                        ("medicationRequests", "MedicationRequest"), ("medicationStatements", "MedicationStatement"),
                        ("episodesOfCare", "EpisodeOfCare"), ("caseFacts", "QuestionnaireResponse")):
            assert s["prefetch"][key].startswith(f"{rt}?patient={{{{context.patientId}}}}")


@pytest.mark.parametrize("name", ["cds-hooks-current-01", "cds-hooks-current-24"])
def test_the_spec_discovery_examples_fit_the_model(name):
    doc = Discovery.model_validate(spec_example(name))
    assert doc.services and all(isinstance(s, ServiceDescription) for s in doc.services)


@pytest.mark.parametrize("name", ["cds-hooks-current-10", "cds-hooks-current-16", "cds-hooks-current-17",
                                  "cds-hooks-current-18"])
def test_the_spec_response_examples_fit_the_model(name):
    example = spec_example(name)
    resp = HookResponse.model_validate(example)
    assert len(resp.cards) == len(example["cards"])


def test_the_spec_card_parts_fit_the_model():
    Source.model_validate(spec_example("cds-hooks-current-11")["source"])
    for n in (12, 13, 14):
        Action.model_validate(spec_example(f"cds-hooks-current-{n}"))
    for reason in spec_example("cds-hooks-current-15")["overrideReasons"]:
        Coding.model_validate(reason)


# ------------------------------------------------------------------ the spec's example requests


def test_spec_patient_view_request_with_an_unreachable_fhir_server_is_412(client):
    # example 2: prefetch has only the example's own key, fhirServer cannot be reached (no network in tests):
    # the service cannot obtain its 'patient' data, and the spec says 412 Precondition Failed
    resp = client.post("/cds-services/dvt-guidance", json=spec_example("cds-hooks-current-02"))
    assert resp.status_code == 412
    assert "could not be reached" in resp.json()["error"]


def test_spec_patient_view_request_answered_from_the_fhir_server(guidance, tmp_path):
    # example 2 with its fhirServer answering: the patient (born 1925, male) has no DVT or PE on record,
    # so the DVT guidance has nothing to say: 200 with an empty card list (spec example 10's shape)
    pytest.importorskip("dvtkg.fhir.convert")
    fake = FakeFhir(resources=[PATIENT], token="some-opaque-fhir-access-token")
    body = spec_example("cds-hooks-current-02")
    body["fhirServer"] = FHIR_BASE
    with make_client(guidance, tmp_path, fake) as c:
        resp = c.post("/cds-services/dvt-guidance", json=body)
    assert resp.status_code == 200, resp.text
    assert resp.json() == {"cards": []}
    fhir_reads = [r for r in fake.seen if str(r.url).startswith(FHIR_BASE)]
    # the keys not prefetched were read with the fhirAuthorization bearer token
    assert {r.url.path.split("/")[2] for r in fhir_reads} == {
        "Patient", "Condition", "Observation", "MedicationRequest", "MedicationStatement", "EpisodeOfCare",
        "QuestionnaireResponse"}
    assert all(r.headers["authorization"] == "Bearer some-opaque-fhir-access-token" for r in fhir_reads)


def test_fhir_server_refusing_the_token_is_412(guidance, tmp_path):
    fake = FakeFhir(resources=[PATIENT], token="the-right-token")
    body = spec_example("cds-hooks-current-02")
    body["fhirServer"] = FHIR_BASE  # its fhirAuthorization carries another token
    with make_client(guidance, tmp_path, fake) as c:
        resp = c.post("/cds-services/dvt-guidance", json=body)
    assert resp.status_code == 412
    assert "refused the access token (401)" in resp.json()["error"]


def test_no_prefetch_and_no_fhir_server_is_412(client):
    body = hook_request("patient-view", {"userId": "Practitioner/example", "patientId": "123"})
    resp = client.post("/cds-services/dvt-guidance", json=body)
    assert resp.status_code == 412
    assert "no fhirServer" in resp.json()["error"]


def test_spec_extension_request_without_patient_id_is_400(client):
    # example 23 (the extensions example) has no context.patientId, which patient-view requires
    resp = client.post("/cds-services/dvt-guidance", json=spec_example("cds-hooks-current-23"))
    assert resp.status_code == 400
    assert resp.json()["error"] == "context.patientId is required for the patient-view hook"


def test_spec_patient_view_context_fragment_answered(client):
    # example 4 is a context fragment {"patientId": "123"}: completed with the required userId, and the
    # patient prefetched without any DVT on record -> no cards
    pytest.importorskip("dvtkg.fhir.convert")
    context = {"userId": "Practitioner/example", **spec_example("cds-hooks-current-04")["context"]}
    patient = {**PATIENT, "id": "123"}
    body = hook_request("patient-view", context, all_prefetched(patient))
    resp = client.post("/cds-services/dvt-guidance", json=body)
    assert resp.status_code == 200, resp.text
    assert resp.json() == {"cards": []}


def test_spec_prefetch_example_with_snipped_resources(client):
    # example 8 is a prefetch whose Patient carries the spec's '"...": "<snipped for brevity>"' member, which
    # is not FHIR: the service answers 400 naming the resource and the path (keys it does not know are ignored)
    context = {"userId": "PractitionerRole/123", "patientId": "p1"}
    prefetch = spec_example("cds-hooks-current-08")["prefetch"]
    resp = client.post("/cds-services/dvt-guidance", json=hook_request("patient-view", context, prefetch))
    assert resp.status_code == 400
    message = resp.json()["error"]
    assert message.startswith("the FHIR data are not usable:") and "(Patient) at ..." in message
    # without the snipped member the Patient is valid, and a patient with no DVT on record gets no cards
    prefetch["patient"] = {k: v for k, v in prefetch["patient"].items() if k != "..."}
    resp = client.post("/cds-services/dvt-guidance", json=hook_request("patient-view", context, prefetch))
    assert resp.status_code == 200
    assert resp.json() == {"cards": []}


def test_spec_prefetch_templates_are_filled_from_the_context():
    # examples 3 and 7: the templates' tokens, filled the way the spec's prefetch section says
    from dvtkg.service.prefetch import render

    context = {"userId": "PractitionerRole/789", "patientId": "123"}
    templates = {**spec_example("cds-hooks-current-03")["prefetch"], **spec_example("cds-hooks-current-07")["prefetch"]}
    filled = {k: render(t, context) for k, t in templates.items()}
    assert filled == {
        "patient": "Patient/123",
        "hemoglobin-a1c": "Observation?patient=123&code=4548-4&_count=1&sort:desc=date",
        "diabetes-type2": "Condition?patient=123&code=44054006&category=problem-list-item&status=active",
        "user": "PractitionerRole?_id=789",
    }
    # a token the context cannot fill leaves the template unfilled (the key is not fetched)
    assert render("PractitionerRole?_id={{userPractitionerRoleId}}", {"userId": "Practitioner/1"}) is None
    assert render("Patient/{{context.patientId}}", {}) is None


def test_spec_fhir_authorization_example_fits_the_model():
    from dvtkg.service.models import FhirAuthorization

    auth = FhirAuthorization.model_validate(spec_example("cds-hooks-current-09")["fhirAuthorization"])
    assert (auth.token_type, auth.expires_in, auth.subject) == ("Bearer", 300, "cds-service4")


@pytest.mark.parametrize("name", ["cds-hooks-current-05", "cds-hooks-current-06"])
def test_spec_order_select_fragments_need_the_required_context(client, name):
    # examples 5 and 6 are context fragments without userId, patientId and selections
    body = hook_request("order-select", spec_example(name)["context"])
    resp = client.post("/cds-services/dvt-order-select", json=body)
    assert resp.status_code == 400
    assert resp.json()["error"] == "context.userId is required for the order-select hook"


@pytest.mark.parametrize("name", ["cds-hooks-current-05", "cds-hooks-current-06"])
def test_spec_order_select_for_amoxicillin_gives_no_cards(client, name):
    # completed: the selected order is amoxicillin/clavulanate (RxNorm 617993): not an intervention the
    # DVT guidance speaks about, so no cards (and no patient data needed)
    pytest.importorskip("dvtkg.fhir.codes")
    context = {"userId": "Practitioner/example", "patientId": "1288992", "selections": ["MedicationRequest/123"],
               **spec_example(name)["context"]}
    resp = client.post("/cds-services/dvt-order-select", json=hook_request("order-select", context))
    assert resp.status_code == 200, resp.text
    assert resp.json() == {"cards": []}


def test_spec_order_sign_example_gives_no_cards(client):
    # the order-sign page's example: a pureed diet and amoxicillin; neither is a DVT intervention
    pytest.importorskip("dvtkg.fhir.codes")
    body = hook_request("order-sign", spec_example("order-sign-01")["context"], fhirServer=FHIR_BASE)
    resp = client.post("/cds-services/dvt-order-sign", json=body)
    assert resp.status_code == 200, resp.text
    assert resp.json() == {"cards": []}


def test_order_select_with_selection_missing_from_draft_orders_is_empty(client):
    pytest.importorskip("dvtkg.fhir.codes")
    context = {"userId": "Practitioner/example", "patientId": "1288992", "selections": ["ServiceRequest/none"],
               **spec_example("cds-hooks-current-05")["context"]}
    resp = client.post("/cds-services/dvt-order-select", json=hook_request("order-select", context))
    assert resp.status_code == 200
    assert resp.json() == {"cards": []}


# ------------------------------------------------------------------ errors: 400 with a message, never 500


@pytest.mark.parametrize("body, message", [
    (b"{not json", "malformed JSON"),
    (b"", "the request body is empty"),
    (b"[1, 2]", "must be a JSON object"),
    (b'{"hook": "patient-view", "context": {}}', "hookInstance: Field required"),
    (b'{"hook": "patient-view", "hookInstance": "x", "context": "nope"}',
     "context: Input should be a valid dictionary"),
    (b'{"hook": "patient-view", "hookInstance": "x", "context": {}, "fhirServer": "not a url"}', "fhirServer"),
    (b'{"hook": "patient-view", "hookInstance": "x", "context": {}, "fhirAuthorization": {"access_token": "t"}}',
     "fhirAuthorization.token_type: Field required"),
])
def test_malformed_requests_are_400_with_a_message(client, body, message):
    resp = client.post("/cds-services/dvt-guidance", content=body, headers={"content-type": "application/json"})
    assert resp.status_code == 400
    assert message in resp.json()["error"]


def test_unknown_hook_is_400(client):
    resp = client.post("/cds-services/dvt-guidance",
                       json=hook_request("no-such-hook", {"userId": "Practitioner/1", "patientId": "1"}))
    assert resp.status_code == 400
    assert resp.json()["error"] == ("hook 'no-such-hook': unknown hook; service 'dvt-guidance' answers the "
                                    "'patient-view' hook")


def test_hook_sent_to_the_wrong_service_is_400(client):
    resp = client.post("/cds-services/dvt-guidance",
                       json=hook_request("order-sign", {"userId": "Practitioner/1", "patientId": "1"}))
    assert resp.status_code == 400
    assert "answers the 'patient-view' hook" in resp.json()["error"]


@pytest.mark.parametrize("context, message", [
    ({"userId": "Practitioner/1", "patientId": 7, "selections": [], "draftOrders": {"resourceType": "Bundle"}},
     "context.patientId must be a string"),
    ({"userId": "Practitioner/1", "patientId": "1", "selections": ["MedicationRequest/1"], "draftOrders": []},
     "context.draftOrders must be a FHIR Bundle"),
    ({"userId": "Practitioner/1", "patientId": "1", "selections": "MedicationRequest/1",
      "draftOrders": {"resourceType": "Bundle", "entry": []}}, "context.selections must be a list"),
])
def test_wrong_context_is_400(client, context, message):
    pytest.importorskip("dvtkg.fhir.codes")
    resp = client.post("/cds-services/dvt-order-select", json=hook_request("order-select", context))
    assert resp.status_code == 400
    assert message in resp.json()["error"]


def test_unknown_service_is_404(client):
    resp = client.post("/cds-services/no-such-service", json=spec_example("cds-hooks-current-02"))
    assert resp.status_code == 404
    assert "no CDS service 'no-such-service'" in resp.json()["error"]


def test_body_over_the_limit_is_413(guidance, tmp_path):
    with make_client(guidance, tmp_path, max_body_bytes=1000) as c:
        resp = c.post("/cds-services/dvt-guidance", content=b"{" + b" " * 2000 + b"}",
                      headers={"content-type": "application/json"})
    assert resp.status_code == 413
    assert "larger than 1000 bytes" in resp.json()["error"]
    # without a Content-Length (chunked), the limit holds while the body is read

    def chunks():
        yield b"{"
        for _ in range(20):
            yield b" " * 100
        yield b"}"

    with make_client(guidance, tmp_path, max_body_bytes=1000) as c:
        resp = c.post("/cds-services/dvt-guidance", content=chunks(), headers={"content-type": "application/json"})
    assert resp.status_code == 413


# ------------------------------------------------------------------ feedback


def feedback_body(card: str = "4e0a3a1e-3283-4575-ab82-028d55fe2719") -> dict[str, Any]:
    return {"feedback": [
        {"card": card, "outcome": "accepted", "acceptedSuggestions": [{"id": "e56e1945-20b3-4393-8503-a1a20fd73152"}],
         "outcomeTimestamp": "2026-12-02T10:00:00Z"},
        {"card": card, "outcome": "overridden",
         "overrideReason": {"reason": {"code": "clinical-judgement", "system": "https://w3id.org/dvtkg/cds/override-reason"},
                            "userComment": "discussed with vascular surgery"},
         "outcomeTimestamp": "2026-12-02T10:01:00Z"}]}


def test_feedback_is_stored_and_queryable(client, tmp_path):
    resp = client.post("/cds-services/dvt-guidance/feedback", json=feedback_body())
    assert resp.status_code == 200
    assert resp.json() == {"stored": 2}
    rows = client.get("/cds-services/dvt-guidance/feedback").json()["feedback"]
    assert [r["outcome"] for r in rows] == ["accepted", "overridden"]
    assert rows[0]["acceptedSuggestions"] == ["e56e1945-20b3-4393-8503-a1a20fd73152"]
    assert rows[1]["overrideReason"] == {"code": "clinical-judgement",
                                         "system": "https://w3id.org/dvtkg/cds/override-reason",
                                         "userComment": "discussed with vascular surgery"}
    assert client.get("/cds-services/dvt-order-sign/feedback").json() == {"feedback": []}
    # and from the command line
    dvtkg = Path(sys.executable).parent / "dvtkg"
    out = subprocess.run([str(dvtkg), "cds-feedback", "--db", str(tmp_path / "feedback.sqlite"),
                          "--service", "dvt-guidance"], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert [json.loads(x)["outcome"] for x in out.stdout.splitlines()] == ["accepted", "overridden"]


@pytest.mark.parametrize("body, message", [
    ({"feedback": [{"card": "x", "outcome": "maybe", "outcomeTimestamp": "2026-12-02T10:00:00Z"}]}, "outcome"),
    ({"feedback": [{"card": "x", "outcome": "accepted"}]}, "outcomeTimestamp: Field required"),
    ({"cards": []}, "feedback: Field required"),
])
def test_bad_feedback_is_400(client, body, message):
    resp = client.post("/cds-services/dvt-guidance/feedback", json=body)
    assert resp.status_code == 400
    assert message in resp.json()["error"]


# ------------------------------------------------------------------ security: JWT, CORS, access log


@pytest.fixture(scope="module")
def keys() -> SigningKeys:
    return SigningKeys()


@pytest.fixture
def secured(guidance, tmp_path, keys):
    fake = FakeFhir(resources=[PATIENT], jwks=keys.jwks)
    with make_client(guidance, tmp_path, fake, issuers=(Issuer(ISSUER, (JWKS_URL,)),),
                     public_url="https://cds.test") as c:
        yield c


AUD = "https://cds.test/cds-services/dvt-guidance"


def test_jwt_missing_is_401(secured):
    resp = secured.post("/cds-services/dvt-guidance", json=spec_example("cds-hooks-current-23"))
    assert resp.status_code == 401
    assert "Authorization: Bearer" in resp.json()["error"]


@pytest.mark.parametrize("alg", ["RS384", "ES384"])
def test_valid_jwt_passes(secured, keys, alg):
    # passes the JWT checks: the request then fails on its context (example 23 has no patientId), not on security
    token = keys.token(AUD, alg=alg)
    resp = secured.post("/cds-services/dvt-guidance", json=spec_example("cds-hooks-current-23"),
                        headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 400, resp.text


def test_discovery_stays_open_when_secured(secured):
    assert secured.get("/cds-services").status_code == 200


@pytest.mark.parametrize("kwargs, message", [
    ({"aud": "https://elsewhere.test/cds-services/dvt-guidance"}, "aud is not this service"),
    ({"exp_in": -3600}, "expired"),
    ({"iss": "http://stranger.test"}, "is not trusted"),
    ({"jku": "http://evil.test/jwks.json"}, "is not a JWK Set URL configured"),
])
def test_bad_jwt_is_401(secured, keys, kwargs, message):
    token = keys.token(kwargs.pop("aud", AUD), **kwargs)
    resp = secured.post("/cds-services/dvt-guidance", json=spec_example("cds-hooks-current-23"),
                        headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 401
    assert message in resp.json()["error"]


def test_jwt_with_a_symmetric_algorithm_is_401(secured):
    import jwt as pyjwt

    token = pyjwt.encode({"iss": ISSUER, "aud": AUD, "exp": 9999999999, "iat": 1, "jti": "a"}, "secret" * 6,
                         algorithm="HS256")
    resp = secured.post("/cds-services/dvt-guidance", json={}, headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 401
    assert "'HS256' not accepted" in resp.json()["error"]


def test_jwt_replayed_is_401(secured, keys):
    token = keys.token(AUD, jti="once-only")
    first = secured.post("/cds-services/dvt-guidance", json=spec_example("cds-hooks-current-23"),
                         headers={"Authorization": f"Bearer {token}"})
    again = secured.post("/cds-services/dvt-guidance", json=spec_example("cds-hooks-current-23"),
                         headers={"Authorization": f"Bearer {token}"})
    assert first.status_code == 400
    assert again.status_code == 401
    assert "replay" in again.json()["error"]


def test_jwt_checked_on_feedback_too(secured, keys):
    assert secured.post("/cds-services/dvt-guidance/feedback", json=feedback_body()).status_code == 401
    token = keys.token(AUD)
    resp = secured.post("/cds-services/dvt-guidance/feedback", json=feedback_body(),
                        headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 200


def test_cors_preflight_and_response_headers(client):
    pre = client.options("/cds-services/dvt-guidance", headers={
        "Origin": "https://sandbox.cds-hooks.org", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type"})
    assert pre.status_code == 200
    assert pre.headers["access-control-allow-origin"] in ("*", "https://sandbox.cds-hooks.org")
    assert "POST" in pre.headers["access-control-allow-methods"]
    assert "authorization" in pre.headers["access-control-allow-headers"].lower()
    resp = client.get("/cds-services", headers={"Origin": "https://sandbox.cds-hooks.org"})
    assert resp.headers["access-control-allow-origin"] in ("*", "https://sandbox.cds-hooks.org")


def test_access_log_is_structured_and_has_no_patient_data(client, caplog):
    # spec example 2 carries a patient id and birth date; they must not reach the log (nor the query string)
    with caplog.at_level(logging.INFO, logger="dvtkg.service.access"):
        client.post("/cds-services/dvt-guidance?patient=1288992", json=spec_example("cds-hooks-current-02"))
        client.get("/cds-services")
    lines = [r.getMessage() for r in caplog.records if r.name == "dvtkg.service.access"]
    assert len(lines) == 2
    entries = [json.loads(x) for x in lines]
    assert entries[0]["method"] == "POST" and entries[0]["path"] == "/cds-services/dvt-guidance"
    assert entries[0]["status"] == 412 and entries[1]["status"] == 200
    assert set(entries[0]) == {"time", "request", "method", "path", "status", "ms", "bytesIn", "bytesOut"}
    text = "\n".join(lines)
    assert "1288992" not in text and "1925" not in text and "smarthealthit" not in text


# ------------------------------------------------------------------ cards from FHIR (needs the converter)


def seed_bundle() -> dict[str, Any]:
    path = ROOT / "tests" / "fixtures" / "fhir" / "cases" / "seed-massive-bilateral-dvt.json"
    if not path.exists():
        pytest.skip("the seed case's FHIR Bundle (tests/fixtures/fhir) is not there yet")
    return json.loads(path.read_text(encoding="utf-8"))


def seed_prefetch() -> tuple[str, dict[str, Any]]:
    resources = [e["resource"] for e in seed_bundle()["entry"]]
    patient = next(r for r in resources if r["resourceType"] == "Patient")
    return patient["id"], all_prefetched(*resources)


def check_card(card: dict[str, Any]) -> None:
    """The spec's rules for a card, field by field, and this service's own (source, links, uuid)."""
    Card.model_validate(card)
    assert isinstance(card["summary"], str) and 0 < len(card["summary"]) <= 140
    assert card["indicator"] in ("info", "warning", "critical")
    assert card["source"]["label"]
    assert len(card["uuid"]) == 36
    if card.get("suggestions"):
        assert card["selectionBehavior"] in ("at-most-one", "any")  # spec: required with suggestions
        for s in card["suggestions"]:
            assert s["label"] and s["actions"]
    for link in card.get("links", []):
        assert link["type"] in ("absolute", "smart") and link["url"].startswith("https://")


def test_seed_case_as_fhir_through_patient_view(client):
    pytest.importorskip("dvtkg.fhir.convert")
    patient, prefetch = seed_prefetch()
    body = hook_request("patient-view", {"userId": "Practitioner/example", "patientId": patient}, prefetch)
    resp = client.post("/cds-services/dvt-guidance", json=body)
    assert resp.status_code == 200, resp.text
    cards = resp.json()["cards"]
    for card in cards:
        check_card(card)
    # phlegmasia of the left leg: the limb-threat safety alert (critical), pointing at AHA11-T1
    critical = [c for c in cards if c["indicator"] == "critical"]
    assert any("Safety alert" in c["summary"] and "AHA11-T1" in c["detail"] for c in critical)
    # the bottom line's thrombus-removal decision for the left leg is AHA11-T1 (iliofemoral DVT with limb threat)
    t1 = [c for c in cards if c["source"].get("topic", {}).get("code") == "AHA11-T1" and c["indicator"] == "info"]
    assert len(t1) == 1
    assert "left leg" in t1[0]["summary"] and "AHA11-T1" in t1[0]["summary"]
    assert t1[0]["source"]["url"] == "https://doi.org/10.1161/CIR.0b013e318214914f"
    assert {"url": "https://docs.test/dvtkg/rec/AHA11-T1.html", "type": "absolute"}.items() <= t1[0]["links"][0].items()
    # stable uuids: the same request gives the same cards
    again = client.post("/cds-services/dvt-guidance", json=body).json()["cards"]
    assert [c["uuid"] for c in again] == [c["uuid"] for c in cards]
    assert len({c["uuid"] for c in cards}) == len(cards)


def alteplase_order(patient: str) -> dict[str, Any]:
    return {"resourceType": "MedicationRequest", "id": "lysis-1", "status": "draft", "intent": "order",
            "medicationCodeableConcept": {"coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm",
                                                      "code": "8410", "display": "alteplase"}],
                                          "text": "alteplase (systemic)"},
            "subject": {"reference": f"Patient/{patient}"}}


def test_order_select_systemic_thrombolysis_against_aha11_t5(client):
    # seed case: iliofemoral DVT, no PE with haemodynamic compromise -> AHA11-T5 (against routine systemic
    # thrombolysis in iliofemoral DVT) applies, so a systemic thrombolytic order gets a critical card against it
    pytest.importorskip("dvtkg.fhir.convert")
    patient, prefetch = seed_prefetch()
    context = {"userId": "Practitioner/example", "patientId": patient, "selections": ["MedicationRequest/lysis-1"],
               "draftOrders": {"resourceType": "Bundle", "type": "collection",
                               "entry": [{"resource": alteplase_order(patient)}]}}
    resp = client.post("/cds-services/dvt-order-select", json=hook_request("order-select", context, prefetch))
    assert resp.status_code == 200, resp.text
    cards = resp.json()["cards"]
    for card in cards:
        check_card(card)
    t5 = [c for c in cards if c["source"].get("topic", {}).get("code") == "AHA11-T5"]
    assert len(t5) == 1
    card = t5[0]
    assert card["indicator"] == "critical"
    assert card["summary"].startswith("AHA11-T5 recommends against systemic thrombolysis")
    assert card["selectionBehavior"] == "at-most-one"
    action = card["suggestions"][0]["actions"][0]
    assert action == {"type": "delete", "description": "Remove the draft order MedicationRequest/lysis-1",
                      "resourceId": "MedicationRequest/lysis-1"}
    assert card["overrideReasons"]


def intervention_order(rtype: str, rid: str, code: str, patient: str) -> dict[str, Any]:
    """An order coded in the dvtkg intervention code system (for catalogues without a standard code)."""
    concept = {"coding": [{"system": "https://w3id.org/dvtkg/intervention", "code": code}]}
    field = "codeCodeableConcept" if rtype == "DeviceRequest" else "code"
    return {"resourceType": rtype, "id": rid, "status": "draft", "intent": "order", field: concept,
            "subject": {"reference": f"Patient/{patient}"}}


def test_order_sign_checks_every_kind_of_order(client):
    # the seed case (52, proximal iliofemoral DVT, not pregnant, no contraindication to anticoagulation):
    # - CHEST21-12 (against adding an IVC filter to anticoagulation for acute DVT) applies -> critical
    # - NICE-GCS (adult with proximal DVT, not pregnant: no stockings to prevent PTS) applies -> critical
    # - AHA11-T5 (against routine systemic thrombolysis in iliofemoral DVT) applies -> critical
    # - CHEST21-15 (a DOAC rather than a VKA) applies -> info supporting the apixaban order
    pytest.importorskip("dvtkg.fhir.convert")
    patient, prefetch = seed_prefetch()
    apixaban = {"resourceType": "MedicationRequest", "id": "apix-1", "status": "draft", "intent": "order",
                "medicationCodeableConcept": {"coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm",
                                                          "code": "1364430", "display": "apixaban"}]},
                "subject": {"reference": f"Patient/{patient}"}}
    orders = [intervention_order("ServiceRequest", "filter-1", "InferiorVenaCavaFilter", patient),
              intervention_order("DeviceRequest", "gcs-1", "CompressionStockings", patient),
              alteplase_order(patient), apixaban]
    context = {"userId": "Practitioner/example", "patientId": patient,
               "draftOrders": {"resourceType": "Bundle", "type": "collection",
                               "entry": [{"resource": o} for o in orders]}}
    resp = client.post("/cds-services/dvt-order-sign", json=hook_request("order-sign", context, prefetch))
    assert resp.status_code == 200, resp.text
    cards = resp.json()["cards"]
    for card in cards:
        check_card(card)

    def cards_of(statement: str) -> list[dict[str, Any]]:
        return [c for c in cards if c["source"].get("topic", {}).get("code") == statement]

    for statement, reference in (("CHEST21-12", "ServiceRequest/filter-1"), ("NICE-GCS", "DeviceRequest/gcs-1"),
                                 ("AHA11-T5", "MedicationRequest/lysis-1")):
        found = cards_of(statement)
        assert [c["indicator"] for c in found] == ["critical"], statement
        assert found[0]["summary"].startswith(f"{statement} recommends against")
        assert found[0]["suggestions"][0]["actions"][0]["resourceId"] == reference
    supports = cards_of("CHEST21-15")
    assert [c["indicator"] for c in supports] == ["info"]
    assert supports[0]["summary"].startswith("CHEST21-15 supports direct oral anticoagulant")
    # nothing speaks against the apixaban order
    assert not [c for c in cards if c["indicator"] == "critical" and "apix-1" in c.get("detail", "")]


def test_unknown_facts_become_warning_cards_with_the_questions(client):
    # the seed patient without the case-facts questionnaire: the DVT Conditions give the veins, but the legs'
    # signs and the bleeding facts are unknown, so whether a leg is threatened (the limb-threat rule) and whether
    # thrombolysis is blocked cannot be decided: AHA11-T1 is undecided, and a thrombus-removal warning asks
    pytest.importorskip("dvtkg.fhir.convert")
    patient, prefetch = seed_prefetch()
    prefetch["caseFacts"] = None  # the client looked: no questionnaire
    body = hook_request("patient-view", {"userId": "Practitioner/example", "patientId": patient}, prefetch)
    resp = client.post("/cds-services/dvt-guidance", json=body)
    assert resp.status_code == 200, resp.text
    cards = resp.json()["cards"]
    for card in cards:
        check_card(card)
    warnings = [c for c in cards if c["indicator"] == "warning" and c["summary"].startswith("Thrombus removal:")]
    assert len(warnings) == 1
    detail = warnings[0]["detail"]
    # both legs have iliofemoral thrombus and unknown signs: AHA11-T1 is undecided on each
    assert "[AHA11-T1](https://docs.test/dvtkg/rec/AHA11-T1.html) (left and right legs)" in detail
    # the questionnaire also carried the bleeding facts: active bleeding (an absolute block of thrombolysis,
    # decision rule 14) is asked among the first questions
    assert "Is the patient bleeding now? (`bleeding.activeBleeding`" in detail
    # unknown is not true: no limb-threat alert, and AHA11-T1 is not in the bottom line
    assert not any("phlegmasia" in c["summary"] for c in cards)
    assert not any(c["indicator"] == "info" and c["source"].get("topic", {}).get("code") == "AHA11-T1"
                   for c in cards)


def test_contradicting_resources_become_a_data_conflict_card(client):
    # two platelet counts of the same day that disagree (the converter's rule: the latest valid value, and two
    # latest that differ are a contradiction): the count stays unknown and the cards say the record contradicts
    # itself, as `dvtkg assess` reports it among the data conflicts
    pytest.importorskip("dvtkg.fhir.convert")
    patient, prefetch = seed_prefetch()
    counts = [{"resourceType": "Observation", "id": oid, "status": "final",
               "subject": {"reference": f"Patient/{patient}"},
               "code": {"coding": [{"system": "http://loinc.org", "code": "777-3"}]},
               "effectiveDateTime": "2026-12-02T06:00:00Z",  # later than the seed's own count: the latest two
               "valueQuantity": {"value": value, "system": "http://unitsofmeasure.org", "code": "10*9/L"}}
              for oid, value in (("plt-a", 40), ("plt-b", 160))]
    prefetch["observations"]["entry"] += [{"resource": r} for r in counts]
    body = hook_request("patient-view", {"userId": "Practitioner/example", "patientId": patient}, prefetch)
    resp = client.post("/cds-services/dvt-guidance", json=body)
    assert resp.status_code == 200, resp.text
    conflict = [c for c in resp.json()["cards"] if c["summary"].startswith("Contradictory patient data")]
    assert len(conflict) == 1 and conflict[0]["indicator"] == "warning"
    assert "labs.plateletsE9PerL" in conflict[0]["detail"]
    assert "Observation/plt-a" in conflict[0]["detail"] and "Observation/plt-b" in conflict[0]["detail"]


def test_hook_requests_build_no_rdflib_graph(client, monkeypatch):
    # the fast engine answers on the lean path (the compiled knowledge artefact, loaded once per worker): no
    # rdflib Graph is constructed while a patient-view, an order-select or an order-sign is answered
    pytest.importorskip("dvtkg.fhir.convert")
    import rdflib.graph

    built: list[str] = []
    original = rdflib.graph.Graph.__init__

    def counting(self: Any, *args: Any, **kwargs: Any) -> None:
        built.append(type(self).__name__)
        original(self, *args, **kwargs)

    patient, prefetch = seed_prefetch()
    viewer = {"userId": "Practitioner/example", "patientId": patient}
    draft = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": alteplase_order(patient)}]}
    calls = [("dvt-guidance", hook_request("patient-view", viewer, prefetch)),
             ("dvt-order-select", hook_request("order-select", {**viewer, "draftOrders": draft,
                                                                "selections": ["MedicationRequest/lysis-1"]},
                                               prefetch)),
             ("dvt-order-sign", hook_request("order-sign", {**viewer, "draftOrders": draft}, prefetch))]
    client.post("/cds-services/dvt-guidance", json=calls[0][1])  # anything loaded on first use, loaded now
    monkeypatch.setattr(rdflib.graph.Graph, "__init__", counting)
    Graph = rdflib.graph.Graph
    Graph()  # the counter counts
    assert built == ["Graph"]
    built.clear()
    for service, body in calls:
        resp = client.post(f"/cds-services/{service}", json=body)
        assert resp.status_code == 200, resp.text
        assert resp.json()["cards"], service
    assert built == []
