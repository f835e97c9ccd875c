"""The documentation site in a real browser: headless Chromium (Debian's chromium package).

Pages are opened from file:// URLs (no server). What is checked is what a reader sees:
``document.body.innerText`` (which leaves out anything CSS hides) and the rendered size of
the grade badges, read over the DevTools protocol on a pipe (tests/browser.py).

Chromium is installed by `make chromium` (a dependency of `make test`). Without it the
tests are skipped, unless CI is set: then a missing browser is a failure.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path

import pytest
from browser import Browser, dump_dom, find_chromium
from rdflib.namespace import RDF, RDFS

from dvtkg.docs.site import DVT, GRADE, REC, build_site

CHROMIUM = find_chromium()

if CHROMIUM is None:
    if os.environ.get("CI"):
        pytest.fail("CI is set but chromium is not installed: run `make chromium` "
                    "(apt-get install -y --no-install-recommends chromium) before the tests", pytrace=False)
    pytestmark = pytest.mark.skip(reason="chromium is not installed (`make chromium` installs Debian's package); "
                                         "set CI=1 to make this a failure")


def norm(text: str) -> str:
    return " ".join(str(text).split())


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("docs-browser") / "site"
    # the reasoner's population check is not what this file tests: the candidates are enough
    result = build_site(out, use_reasoner=False)
    assert result.problems == []
    return out


@pytest.fixture(scope="module")
def graph():
    from dvtkg.kb.build import load_knowledge

    return load_knowledge()


@pytest.fixture(scope="module")
def browser():
    with Browser(CHROMIUM, width=1280, height=1000) as b:
        yield b


def url(site: Path, rel: str) -> str:
    return (site / rel).resolve().as_uri()


def test_index_shows_the_guidelines(site, browser, graph):
    browser.open(url(site, "index.html"))
    assert browser.evaluate("document.title") == "Guidelines - dvtkg"
    text = browser.visible_text()
    assert "DVT guidance knowledge graph" in text
    assert "Guidelines" in text and "Product labels" in text
    keys = sorted(str(graph.value(s, RDFS.label)) for s in graph.subjects(RDF.type, DVT.GuidelineDocument))
    assert "AHA2011" in keys
    for key in keys:
        assert key in text, key
    # the guideline table is laid out: one visible row per guideline
    rows = browser.evaluate(
        "[...document.querySelectorAll('table.guidelines tbody tr')]"
        ".filter(r => r.getBoundingClientRect().height > 0).map(r => r.cells[0].innerText)")
    assert sorted(rows) == keys


def test_recommendation_page_shows_statement_and_grade(site, browser, graph):
    browser.open(url(site, "rec/AHA11-T1.html"))
    text = browser.visible_text()
    assert "AHA11-T1" in text
    assert norm(graph.value(REC["AHA11-T1"], DVT.statementText)) in norm(text)
    badges = browser.evaluate(
        "[...document.querySelectorAll('#grade .badge')].map(b => { const r = b.getBoundingClientRect();"
        " const s = getComputedStyle(b); return {text: b.innerText, title: b.title, w: r.width, h: r.height,"
        " visible: s.visibility === 'visible' && s.display !== 'none', bg: s.backgroundColor}; })")
    assert [b["text"] for b in badges] == ["Class I", "LOE C"]
    for b, level in zip(badges, (GRADE["aha2011-class-I"], GRADE["aha2011-loe-C"]), strict=True):
        assert b["visible"] and b["w"] > 20 and b["h"] > 10, b
        assert b["title"] == norm(graph.value(level, DVT.meaning))
        assert norm(graph.value(level, DVT.meaning)) in norm(text)  # the meaning is visible too
    assert badges[0]["bg"] != "rgba(0, 0, 0, 0)"  # the badge is coloured, not bare text
    for heading in ("Source", "Criteria", "Required (2)", "Blocking (7)", "Caution (7)", "Superseded chain",
                    "Supporting trials"):
        assert heading in text, heading
    assert "Candidate conflicts (populations not checked)" in text
    assert "https://doi.org/10.1161/CIR.0b013e318214914f" in text


def test_relative_links_navigate_from_the_index(site, browser):
    """index -> guideline -> recommendation -> term -> grading, following the pages' own links."""
    browser.open(url(site, "index.html"))
    steps = [("a[href='guidelines/AHA2011.html']", "AHA2011"),
             ("a[href='../rec/AHA11-T1.html']", "AHA11-T1"),
             ("a[href='../term/dvtc-LimbIliofemoralDvt.html']", "iliofemoral DVT in this limb"),
             ("nav.main a[href='../grading.html']", "Grading schemes side by side")]
    for selector, heading in steps:
        target = browser.evaluate(f"document.querySelector({selector!r}).href")
        assert target.startswith("file://"), target
        browser.open(target)
        assert browser.evaluate("document.querySelector('h1').innerText").startswith(heading)
        # the stylesheet loaded from file:// (its rules are applied: the header's colour)
        assert browser.evaluate("getComputedStyle(document.querySelector('header.top')).backgroundColor") \
            == "rgb(23, 50, 77)"


def test_screenshot_of_a_recommendation(site, browser, tmp_path):
    browser.open(url(site, "rec/AT9-GCS.html"))
    png = browser.screenshot(tmp_path / "at9-gcs.png")
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (1280, 1000)
    assert len(data) > 20_000  # a rendered page, not a blank image
    text = browser.visible_text()
    assert "2B" in text and "AT9-GCS (superseded) → CHEST16-GCS (superseded) → CHEST21-29 (current)" in text


def test_dump_dom_of_the_index(site):
    dom = dump_dom(url(site, "index.html"), CHROMIUM)
    assert '<table class="guidelines">' in dom
    assert 'href="guidelines/AHA2011.html"' in dom
