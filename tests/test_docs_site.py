"""The documentation site (`dvtkg docs build`): page structure, and every link resolves.

The site is generated once for this module into a temporary directory (the conflicts
with the reasoner's population check when it can run, from the build/ cache after the
first run), then read back with html.parser: no browser here (see test_docs_browser.py).
"""

from __future__ import annotations

import csv
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from rdflib import URIRef
from rdflib.namespace import DCTERMS, RDF, SKOS

from dvtkg import cli
from dvtkg.docs.check import check_links
from dvtkg.docs.site import DVT, GRADE, REC, build_site

# the site build asks HermiT about the conflict pairs (dvtkg kb conflicts; cached in build/ after the first run)
pytestmark = [pytest.mark.reasoner, pytest.mark.slow]

CATALOGUE = Path(__file__).parent / "data" / "catalogue.tsv"


def catalogue() -> list[dict[str, str]]:
    with CATALOGUE.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


class Page(HTMLParser):
    """Links, ids, headings, badges and the text of one page."""

    def __init__(self, path: Path):
        super().__init__(convert_charrefs=True)
        self.path = path
        self.links: list[tuple[str, str]] = []  # (attribute, value)
        self.anchors: list[tuple[str, str]] = []  # (href, text)
        self.ids: set[str] = set()
        self.badges: list[dict[str, str]] = []
        self.h1 = ""
        self.title = ""
        self.text_parts: list[str] = []
        self._stack: list[tuple[str, dict[str, str]]] = []
        self._a: list | None = None
        self._badge: dict | None = None
        self.feed(path.read_text(encoding="utf-8"))
        self.close()

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        for k in ("href", "src"):
            if k in a:
                self.links.append((k, a[k]))
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "a" and "href" in a:
            self._a = [a["href"], ""]
        if "badge" in a.get("class", "").split():
            self._badge = {"class": a.get("class", ""), "title": a.get("title", ""), "href": a.get("href", ""),
                           "text": ""}
        if tag not in ("br", "meta", "link", "img", "input"):
            self._stack.append((tag, a))

    def handle_endtag(self, tag):
        if tag == "a" and self._a is not None:
            self.anchors.append((self._a[0], self._a[1].strip()))
            self._a = None
        if self._badge is not None and tag in ("a", "span"):
            self.badges.append(self._badge)
            self._badge = None
        while self._stack:
            t, _ = self._stack.pop()
            if t == tag:
                break

    def handle_data(self, data):
        tags = [t for t, _ in self._stack]
        if "h1" in tags:
            self.h1 += data
        if "title" in tags:
            self.title += data
        if self._a is not None:
            self._a[1] += data
        if self._badge is not None:
            self._badge["text"] += data
        if "head" not in tags:
            self.text_parts.append(data)

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.text_parts).split())

    def hrefs(self) -> set[str]:
        return {v for k, v in self.links if k == "href"}


def norm(text: str) -> str:
    return " ".join(str(text).split())


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> tuple[Path, object]:
    out = tmp_path_factory.mktemp("docs") / "site"
    result = build_site(out)
    assert result.problems == [], result.problems[:10]
    return out, result


@pytest.fixture(scope="module")
def graph(knowledge_graph):
    return knowledge_graph  # the session's merged knowledge graph (tests/conftest.py)


@pytest.fixture(scope="module")
def pages(site) -> dict[str, Page]:
    out, _ = site
    return {p.relative_to(out).as_posix(): Page(p) for p in sorted(out.rglob("*.html"))}


# ---------------------------------------------------------------- structure


def test_generation_is_complete(site):
    # no wall-clock assertion: speed is measured by `make bench`, not by timed tests (a loaded CI machine
    # made this flaky); the build's own timing is still reported in its result
    out, result = site
    assert result.seconds > 0
    for name in ("index.html", "grading.html", "terms.html", "style.css"):
        assert (out / name).is_file(), name
    assert (out / ".dvtkg-docs").is_file()


def test_every_catalogue_statement_has_a_page(pages):
    rows = catalogue()
    assert len(rows) > 50
    for row in rows:
        page = pages.get(f"rec/{row['id']}.html")
        assert page is not None, f"no page for {row['id']}"
        assert page.h1.split()[0] == row["id"]
        for section in ("statement", "grade", "source", "criteria", "conflicts", "superseded", "evidence"):
            assert section in page.ids, f"{row['id']}: no #{section} section"


def test_statement_pages_match_the_catalogue(pages):
    for row in catalogue():
        page = pages[f"rec/{row['id']}.html"]
        hrefs = page.hrefs()
        assert f"../guidelines/{row['source']}.html" in hrefs, row["id"]
        for col in ("strength", "certainty"):
            if row[col] not in ("", "-"):
                assert f"../grading.html#{row[col]}" in hrefs, (row["id"], col)
        badges = {b["text"].strip() for b in page.badges}
        assert row["direction"] in badges, (row["id"], badges)
        assert row["check"] in badges, (row["id"], badges)
        assert row["currency"] in badges, (row["id"], badges)
        if row["replacedBy"] not in ("", "-"):
            for other in re.split(r"[,\s]+", row["replacedBy"].strip()):
                assert f"{other}.html" in hrefs, (row["id"], other)


def test_every_page_is_a_whole_html_document(site, pages):
    out, _ = site
    for rel, page in pages.items():
        text = (out / rel).read_text(encoding="utf-8")
        assert text.startswith("<!DOCTYPE html>"), rel
        assert page.title.strip(), rel
        assert page.h1.strip(), rel
        assert text.count("<h1") == 1, rel


def test_every_relative_link_resolves(site, pages):
    """Independent of dvtkg.docs.check: every href/src is relative (or http/https/mailto),
    resolves to a file inside the site, and its #fragment to an id of the target page."""
    out, _ = site
    out = out.resolve()
    broken: list[str] = []
    n = 0
    for rel, page in pages.items():
        base = (out / rel).parent
        for attr_name, value in page.links:
            parts = urlsplit(value)
            if parts.scheme in ("http", "https", "mailto"):
                continue
            n += 1
            if parts.scheme or parts.netloc or value.startswith("/"):
                broken.append(f"{rel}: {attr_name}={value!r} is not relative")
                continue
            target = (base / unquote(parts.path)).resolve() if parts.path else (out / rel)
            if not target.is_file() or out not in target.parents:
                broken.append(f"{rel}: {attr_name}={value!r} -> missing {target}")
                continue
            if parts.fragment:
                tpage = pages.get(target.relative_to(out).as_posix())
                if tpage is not None and unquote(parts.fragment) not in tpage.ids:
                    broken.append(f"{rel}: {value!r}: no id {parts.fragment!r}")
    assert n > 5000
    assert broken == [], broken[:20]
    assert check_links(out) == []


def test_external_links_are_doi_or_known(pages):
    for rel, page in pages.items():
        for _, value in page.links:
            if value.startswith(("http://", "https://")):
                assert not value.startswith("file:"), (rel, value)


def test_index_links_every_guideline(pages, graph):
    index = pages["index.html"]
    hrefs = index.hrefs()
    sources = {row["source"] for row in catalogue()}
    guidelines = {str(graph.value(s, URIRef("http://www.w3.org/2000/01/rdf-schema#label")))
                  for s in graph.subjects(RDF.type, DVT.GuidelineDocument)}
    assert "AHA2011" in guidelines and len(guidelines) >= 10
    for key in sources | guidelines:
        assert f"guidelines/{key}.html" in hrefs, key
    shown = {text for href, text in index.anchors if href.startswith("guidelines/")}
    assert sources | guidelines <= shown


def test_guideline_page_lists_its_statements(pages):
    by_source: dict[str, list[str]] = {}
    for row in catalogue():
        by_source.setdefault(row["source"], []).append(row["id"])
    for src, ids in by_source.items():
        page = pages[f"guidelines/{src}.html"]
        linked = {text for href, text in page.anchors if href.startswith("../rec/")}
        assert set(ids) <= linked, (src, set(ids) - linked)
        assert f"Statements ({len(ids)})" in page.text


# ---------------------------------------------------------------- a recommendation page


def test_recommendation_page_aha11_t1(pages, graph):
    page = pages["rec/AHA11-T1.html"]
    rec = REC["AHA11-T1"]
    assert norm(graph.value(rec, DVT.statementText)) in page.text
    badges = {b["text"].strip(): b for b in page.badges}
    for notation, level in (("Class I", GRADE["aha2011-class-I"]), ("LOE C", GRADE["aha2011-loe-C"])):
        assert notation in badges, badges.keys()
        meaning = norm(graph.value(level, DVT.meaning))
        assert badges[notation]["title"] == meaning  # the scheme's meaning on hover ...
        assert meaning in page.text  # ... and visible on the page
    assert "strong" in badges["Class I"]["class"].split()
    # source, citation, DOI link
    src = REC["AHA2011"]
    assert norm(graph.value(src, DCTERMS.bibliographicCitation)) in page.text
    assert "https://doi.org/10.1161/CIR.0b013e318214914f" in page.hrefs()
    # criteria in plain words, grouped by role
    for role, n in (("required", 2), ("blocking", 7), ("caution", 7)):
        assert f"criteria-{role}" in page.ids
        assert re.search(rf"{role.capitalize()} \({n}\)", page.text), role
    for crit in ("LimbIliofemoralDvt", "LimbThreateningCompromise"):
        node = URIRef(f"https://w3id.org/dvtkg/criterion/{crit}")
        assert f"../term/dvtc-{crit}.html" in page.hrefs()
        assert norm(graph.value(node, SKOS.definition)) in page.text
    assert "criteria-excluding" not in page.ids
    # direction, check status, conflicts
    assert "The statement recommends or suggests its action." in page.text
    assert "The statement was read in the primary source text" in page.text
    assert re.search(r"(^| )(Conflicts|Candidate conflicts \(populations not checked\)) ", page.text)
    assert "ASH18P-NOCDT.html" in page.hrefs()  # AHA11-T1 opposes ASH18P-NOCDT (curator remark)
    assert "../term/dvt-CatheterBasedThrombolysis.html" in page.hrefs()


def test_accp_grade_is_one_badge_and_the_superseded_chain(pages, graph):
    page = pages["rec/AT9-GCS.html"]
    texts = [b["text"].strip() for b in page.badges]
    assert "2B" in texts
    badge = next(b for b in page.badges if b["text"].strip() == "2B")
    assert norm(graph.value(GRADE["accp-2"], DVT.meaning)) in badge["title"]
    assert norm(graph.value(GRADE["accp-B"], DVT.meaning)) in badge["title"]
    assert "AT9-GCS (superseded) → CHEST16-GCS (superseded) → CHEST21-29 (current)" in page.text
    assert "CHEST21-29.html" in page.hrefs()
    assert "../term/rec-SOX-PTS.html" in page.hrefs()  # the supporting trial result
    assert "../term/rec-SOX.html" in page.hrefs()
    assert "Superseded statements are not compared." in page.text
    later = pages["rec/CHEST21-29.html"]
    assert "AT9-GCS (superseded) → CHEST21-29 (current)" in later.text


def test_drug_label_statement_has_no_grade(pages):
    row = next(r for r in catalogue() if r["type"] == "DrugLabelStatement")
    page = pages[f"rec/{row['id']}.html"]
    assert "no grade" in {b["text"].strip() for b in page.badges}
    assert "Drug-label statements carry no grade." in page.text


def test_conflict_pairs_appear_on_both_pages(site, pages):
    _, result = site
    info = result.conflicts
    assert info.pairs, "no conflict pairs"
    heading = "Conflicts" if info.checked else "Candidate conflicts (populations not checked)"
    for pair in info.pairs[:40]:
        a, b = str(pair.a).rsplit("/", 1)[1], str(pair.b).rsplit("/", 1)[1]
        assert f"{b}.html" in pages[f"rec/{a}.html"].hrefs()
        assert f"{a}.html" in pages[f"rec/{b}.html"].hrefs()
        assert heading in pages[f"rec/{a}.html"].text


# ---------------------------------------------------------------- terms and grading


def test_term_page_shows_hierarchy_and_uses(pages):
    page = pages["term/dvt-CatheterBasedThrombolysis.html"]
    assert "hierarchy" in page.ids and "uses" in page.ids
    hrefs = page.hrefs()
    for sup in ("Thrombolysis", "ThrombusRemoval", "Intervention"):  # superclasses
        assert f"dvt-{sup}.html" in hrefs, sup
    for sub in ("CatheterDirectedThrombolysis", "PharmacomechanicalCatheterDirectedThrombolysis"):  # subclasses
        assert f"dvt-{sub}.html" in hrefs, sub
    assert "../rec/AHA11-T1.html" in hrefs  # used as the recommended action
    assert "Superclasses" in page.text and "Subclasses" in page.text
    assert "By guidance statements" in page.text

    crit = pages["term/dvtc-LimbIliofemoralDvt.html"]
    assert "criterion" in crit.h1
    assert "dvt-Criterion.html" in crit.hrefs()  # instance of
    assert "../rec/AHA11-T1.html" in crit.hrefs()
    assert "The limb has thrombus in the common femoral vein or an iliac vein." in crit.text

    met = pages["term/dvt-LimbIliofemoralDvtMet.html"]
    assert "Defined as (equivalent class)" in met.text
    assert "dvt-IliofemoralSegment.html" in met.hrefs()  # inside the OWL expression
    seg = pages["term/dvt-IliofemoralSegment.html"]
    assert "dvt-LimbIliofemoralDvtMet.html" in seg.hrefs()  # used inside that expression


def test_terms_index_links_every_term_page(pages):
    hrefs = pages["terms.html"].hrefs()
    term_pages = [rel for rel in pages if rel.startswith("term/")]
    assert len(term_pages) > 300
    assert set(term_pages) <= hrefs


def test_grading_page_side_by_side(pages, graph):
    page = pages["grading.html"]
    assert "comparison" in page.ids
    schemes = set(graph.subjects(RDF.type, DVT.GradingSystem))
    assert len(schemes) >= 9
    for scheme in schemes:
        assert str(scheme).rsplit("/", 1)[1] in page.ids
    for level in graph.subjects(SKOS.inScheme, None):
        if str(level).startswith(str(GRADE)):
            assert str(level).rsplit("/", 1)[1] in page.ids, level
    texts = {b["text"].strip() for b in page.badges}
    assert {"Class I", "conditional", "offer", "1", "B", "LOE C"} <= texts


# ---------------------------------------------------------------- the command


def test_cli_docs_build_without_reasoner(tmp_path, capsys):
    out = tmp_path / "docs"
    assert cli.main(["docs", "build", "--out", str(out), "--no-reasoner"]) == 0
    captured = capsys.readouterr().out
    assert "candidates, populations not checked" in captured
    text = (out / "rec" / "AHA11-T1.html").read_text(encoding="utf-8")
    assert "Candidate conflicts (populations not checked)" in text
    # a second build replaces the first
    assert cli.main(["docs", "build", "--out", str(out), "--no-reasoner"]) == 0


def test_cli_refuses_a_foreign_directory(tmp_path, capsys):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    assert cli.main(["docs", "build", "--out", str(out)]) == 2
    assert "refusing to replace it" in capsys.readouterr().err
    assert (out / "notes.txt").read_text() == "keep me"
