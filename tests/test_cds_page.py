"""The try-it page: its JSON API in process, and the page itself in headless Chromium against a real
``dvtkg serve`` process (load the page, submit the seed case, see AHA11-T1 on the left leg).

What the seed case must show comes from the decision rules: phlegmasia cerulea dolens of the left leg with
iliofemoral DVT is the limb-threat rule, whose statement is AHA11-T1 (thrombus removal, left leg),
and the limb-threat safety alert.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from browser import Browser, find_chromium
from project_paths import ROOT
from starlette.testclient import TestClient

from dvtkg.service.app import create_app
from dvtkg.service.guidance import Guidance
from dvtkg.service.settings import Settings

SEED = ROOT / "examples" / "cases" / "seed-massive-bilateral-dvt.json"


@pytest.fixture(scope="module")
def client(tmp_path_factory, service_guidance):
    settings = Settings(feedback_db=tmp_path_factory.mktemp("page") / "fb.sqlite", docs_url="https://docs.test/")
    with TestClient(create_app(settings, guidance=service_guidance)) as c:
        yield c


@pytest.mark.server
def test_page_is_served(client):
    resp = client.get("/")
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/html")
    assert "<title>dvtkg - try the DVT guidance service</title>" in resp.text
    assert "frame-ancestors 'none'" in resp.headers["content-security-policy"]


@pytest.mark.server
def test_examples_are_listed_and_served(client):
    names = [x["name"] for x in client.get("/api/examples").json()["examples"]]
    assert "seed-massive-bilateral-dvt" in names
    assert client.get("/api/examples/seed-massive-bilateral-dvt").json() == json.loads(SEED.read_text())
    assert client.get("/api/examples/..%2Fpyproject").status_code == 404
    assert client.get("/api/examples/no-such-case").status_code == 404


@pytest.mark.server
def test_assess_the_seed_case_sheet(client):
    resp = client.post("/api/assess", json={"input": json.loads(SEED.read_text())})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    a = body["assessment"]
    lead = [b for b in a["bottomLine"] if b["decision"] == "thrombus removal" and b["limb"] == "left"]
    assert [b["id"] for b in lead] == ["AHA11-T1"]
    assert [x["id"] for x in a["alerts"]] == ["limb-threatening-dvt"]
    assert "AHA11-T1" in body["report"]
    assert body["fhir"] is None
    assert body["docs"] == "https://docs.test/"
    kinds = {c["indicator"] for c in body["cards"]}
    assert "critical" in kinds and "info" in kinds
    assert all(len(c["summary"]) <= 140 for c in body["cards"])


@pytest.mark.server
def test_assess_the_seed_case_as_a_fhir_bundle(client):
    # the same patient as FHIR R4 (the converter's fixture): the same decision for the left leg
    path = ROOT / "tests" / "fixtures" / "fhir" / "cases" / "seed-massive-bilateral-dvt.json"
    if not path.exists():
        pytest.skip("the seed case's FHIR Bundle is not there")
    resp = client.post("/api/assess", json={"input": json.loads(path.read_text())})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    lead = [b["id"] for b in body["assessment"]["bottomLine"] if b["decision"] == "thrombus removal"
            and b["limb"] == "left"]
    assert lead == ["AHA11-T1"]
    assert body["fhir"] is not None
    assert set(body["fhir"]) == {"sheet", "unmapped", "provenance", "conflicts"}
    assert body["fhir"]["sheet"]["limbs"]["left"]["veins"]
    assert any("Condition/dvt-left" in refs for refs in body["fhir"]["provenance"].values())


@pytest.mark.server
@pytest.mark.reasoner
@pytest.mark.slow
def test_the_reference_engine_gives_the_same_cards(tmp_path):
    # the service does not depend on the engine: HermiT behind it gives the same bottom line and alerts
    settings = Settings(feedback_db=tmp_path / "fb.sqlite", docs_url="https://docs.test/", engine="reference")
    sheet = json.loads(SEED.read_text())
    with TestClient(create_app(settings)) as c:
        assert c.get("/healthz").json()["engine"] == "reference"
        ref = c.post("/api/assess", json={"input": sheet}).json()
    lead = [(b["decision"], b["id"], b["limb"]) for b in ref["assessment"]["bottomLine"]]
    assert ("thrombus removal", "AHA11-T1", "left") in lead
    assert [x["id"] for x in ref["assessment"]["alerts"]] == ["limb-threatening-dvt"]


@pytest.mark.server
def test_the_built_documentation_site_is_served_under_site(tmp_path):
    # the cards link https://<service>/site/rec/<ID>.html when no --docs-url is given
    (tmp_path / "site" / "rec").mkdir(parents=True)
    (tmp_path / "site" / "rec" / "AHA11-T1.html").write_text("<title>AHA11-T1</title>")
    settings = Settings(feedback_db=tmp_path / "fb.sqlite", docs_dir=tmp_path / "site")
    # no knowledge base is needed to serve static files: an empty Guidance stands in for the loaded one
    with TestClient(create_app(settings, guidance=Guidance.__new__(Guidance))) as c:
        resp = c.get("/site/rec/AHA11-T1.html")
        assert resp.status_code == 200 and "<title>AHA11-T1</title>" in resp.text
        assert c.get("/site/rec/NOPE.html").status_code == 404


@pytest.mark.server
@pytest.mark.parametrize("payload, message", [
    (b"{oops", "malformed JSON"),
    (b'"text"', "send a case sheet or a FHIR Bundle"),
    (b'{"input": {"id": "x", "age": "old"}}', "does not conform"),
])
def test_assess_bad_input_is_400(client, payload, message):
    resp = client.post("/api/assess", content=payload, headers={"content-type": "application/json"})
    assert resp.status_code == 400
    assert message in resp.json()["error"]


# ------------------------------------------------------------------ the page in a real browser

CHROMIUM = find_chromium()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    port = free_port()
    db = tmp_path_factory.mktemp("served") / "fb.sqlite"
    dvtkg = Path(sys.executable).parent / "dvtkg"
    proc = subprocess.Popen([str(dvtkg), "serve", "--port", str(port), "--feedback-db", str(db)], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        while True:
            if proc.poll() is not None:
                pytest.fail(f"dvtkg serve exited with {proc.returncode}: {proc.stderr.read()[-2000:]}")
            try:
                if httpx.get(f"{base}/healthz", timeout=2).json().get("status") == "ok":
                    break
            except (httpx.HTTPError, ValueError):
                pass
            if time.monotonic() > deadline:
                pytest.fail("dvtkg serve did not become ready")
            time.sleep(0.5)
        yield base
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def wait_for(browser: Browser, condition: str, timeout_ms: int = 60000) -> None:
    ok = browser.evaluate(
        "new Promise((resolve) => { const t0 = Date.now(); (function poll() {"
        f" if ({condition}) resolve(true); else if (Date.now() - t0 > {timeout_ms}) resolve(false);"
        " else setTimeout(poll, 100); })(); })")
    assert ok, f"timed out waiting for: {condition}"


@pytest.mark.server
@pytest.mark.browser
@pytest.mark.slow  # headless Chromium: ~13 s of CPU (make test runs it)
@pytest.mark.skipif(CHROMIUM is None and not os.environ.get("CI"), reason="chromium is not installed (make chromium)")
def test_page_in_browser_shows_aha11_t1_on_the_left_leg(server):
    with Browser(CHROMIUM, width=1280, height=1000) as browser:
        browser.open(server + "/")
        wait_for(browser, "document.body.getAttribute('data-ready') === '1'")
        assert browser.evaluate("document.title") == "dvtkg - try the DVT guidance service"
        # pick the seed example the way a user does: choose it in the list (the change event loads it)
        browser.evaluate("(() => { const s = document.getElementById('example');"
                         " s.value = 'seed-massive-bilateral-dvt';"
                         " s.dispatchEvent(new Event('change')); })()")
        wait_for(browser, "document.getElementById('input').value.includes('seed-massive-bilateral-dvt')")
        browser.evaluate("document.getElementById('submit').click()")
        wait_for(browser, "document.body.hasAttribute('data-assessed')")
        assert browser.evaluate("document.getElementById('error').innerText") == ""
        rows = browser.evaluate("[...document.querySelectorAll('#bottom-line li')].map(li => li.innerText)")
        assert any(r.startswith("Thrombus removal (left leg): AHA11-T1 for") for r in rows), rows
        href = browser.evaluate("document.querySelector('#bottom-line li[data-id=\"AHA11-T1\"] a').href")
        assert href == server + "/site/rec/AHA11-T1.html"
        alerts = browser.evaluate("document.getElementById('alerts').innerText")
        assert "phlegmasia cerulea dolens" in alerts and "AHA11-T1" in alerts
        critical = browser.evaluate("[...document.querySelectorAll('.card.critical .summary')].map(e => e.innerText)")
        assert any(s.startswith("Safety alert: Limb-threatening") for s in critical), critical
        text = browser.visible_text()
        assert "Data conflicts" in text and "Conflicts between guidelines" in text
