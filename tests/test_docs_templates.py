"""The documentation site's templates (dvtkg/docs/templates/) and queries (queries/docs/), without building the
site: text from the knowledge graph is escaped, a missing variable is an error, every page template extends the
frame, and the site's SPARQL is read from query files."""

from __future__ import annotations

from pathlib import Path

import pytest
from jinja2 import UndefinedError

from dvtkg.docs.html import Linker
from dvtkg.docs.site import DOCS_QUERIES, load_docs_queries
from dvtkg.docs.templating import Markup, environment, render, style_css

FRAME = dict(page="index.html", title="T", crumbs=[], ln=Linker("index.html"), nav=[("index.html", "Guidelines")],
             style_path="style.css", version="0.1.0")


def test_autoescape_is_on_for_knowledge_text() -> None:
    html = render("facts.html", facts=[("Title", "<script>alert(1)</script> & co")])
    assert "<script>" not in html and "&lt;script&gt;" in html and "&amp; co" in html


def test_prebuilt_fragments_pass_as_markup() -> None:
    html = render("facts.html", facts=[("Link", Markup('<a href="x.html">x</a>'))])
    assert '<dd><a href="x.html">x</a></dd>' in html


def test_a_missing_variable_is_an_error() -> None:
    with pytest.raises(UndefinedError):
        render("page.html", **{k: v for k, v in FRAME.items() if k != "version"}, body=Markup(""))


def test_the_frame_links_relatively_and_marks_the_current_page() -> None:
    html = render("page.html", **{**FRAME, "page": "rec/X.html", "ln": Linker("rec/X.html"),
                                  "crumbs": [("index.html", "Guidelines")]}, body=Markup("<p>b</p>"))
    assert '<link rel="stylesheet" href="../style.css">' in html
    crumbs = '<a href="../index.html">Guidelines</a> &rsaquo; <span>T</span></nav>'
    assert crumbs in html
    assert "<main>\n" in html and "<p>b</p>\n</main>" in html


def test_every_page_template_extends_the_frame() -> None:
    env = environment()
    for name in ("index.html", "source.html", "statement.html", "term.html", "terms.html", "grading.html", "page.html"):
        source, _, _ = env.loader.get_source(env, name)  # type: ignore[union-attr]
        assert source.startswith('{% extends "base.html" %}'), name
    assert ":root" in style_css()


def test_site_queries_come_from_query_files(project_root: Path) -> None:
    queries = load_docs_queries(project_root)
    assert set(DOCS_QUERIES) <= set(queries)
    assert all("SELECT" in queries[q] for q in DOCS_QUERIES)
