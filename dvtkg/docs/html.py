"""HTML building blocks of the documentation site: escaping, relative links, the page frame.

The pages are Jinja2 templates (``dvtkg/docs/templates/``, :mod:`dvtkg.docs.templating`); the
small fragments built in Python (links, badges, class expressions) are escaped here with
:func:`html.escape`. Every link between pages is relative (:meth:`Linker.href`), so the site
works from ``file://`` with no server.
"""

from __future__ import annotations

import posixpath
from html import escape

__all__ = ["esc", "attr", "Linker", "frame", "NAV", "STYLE_PATH"]

STYLE_PATH = "style.css"


def esc(value: object) -> str:
    """Text content, escaped."""
    return escape("" if value is None else str(value), quote=False)


def attr(value: object) -> str:
    """An attribute value, escaped (quotes too)."""
    return escape("" if value is None else str(value), quote=True)


class Linker:
    """Relative hrefs from one page (a path under the site root, e.g. ``rec/AHA11-T1.html``)."""

    def __init__(self, page: str):
        self.page = page
        self.dir = posixpath.dirname(page)

    def href(self, target: str, fragment: str | None = None) -> str:
        if target == self.page:
            rel = posixpath.basename(target)
        else:
            rel = posixpath.relpath(target, self.dir or ".")
        return rel + (f"#{fragment}" if fragment else "")

    def a(self, target: str, text: str, fragment: str | None = None, title: str | None = None,
          cls: str | None = None) -> str:
        extra = (f' title="{attr(title)}"' if title else "") + (f' class="{attr(cls)}"' if cls else "")
        return f'<a href="{attr(self.href(target, fragment))}"{extra}>{esc(text)}</a>'


NAV = [
    ("index.html", "Guidelines"),
    ("grading.html", "Grading schemes"),
    ("terms.html", "Ontology terms"),
]


def frame(page: str, title: str, body: str, *, version: str, crumbs: list[tuple[str, str]] | None = None) -> str:
    """A whole HTML page (templates/base.html): head, navigation bar, breadcrumbs, ``body``, footer.

    ``body`` is HTML already (escaped where it was built)."""
    from dvtkg.docs.templating import Markup, render

    return render("page.html", page=page, title=title, body=Markup(body), crumbs=crumbs or [], ln=Linker(page),
                  nav=NAV, style_path=STYLE_PATH, version=version)
