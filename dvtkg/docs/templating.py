"""The Jinja2 environment of the documentation site (templates in ``dvtkg/docs/templates/``).

Autoescape is on for every template: text from the knowledge graph is escaped where it is
written. The few HTML fragments built in Python (links to term pages, grade badges, OWL class
expressions) are passed in as :class:`markupsafe.Markup`, already escaped by the helpers of
:mod:`dvtkg.docs.html`.
"""

from __future__ import annotations

from functools import lru_cache

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

__all__ = ["Markup", "environment", "render", "style_css"]


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The site's template environment (created once: templates are read from the package)."""
    return Environment(
        loader=PackageLoader("dvtkg.docs", "templates"),
        autoescape=True,  # every template is HTML
        undefined=StrictUndefined,  # a missing variable is an error, never an empty string
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render(template: str, **context: object) -> str:
    """Render ``template`` (a file name under templates/) with ``context``."""
    return environment().get_template(template).render(**context)


def style_css() -> str:
    """The site's stylesheet (templates/style.css), copied as it is."""
    loader = environment().loader
    assert loader is not None
    source, _, _ = loader.get_source(environment(), "style.css")
    return source
