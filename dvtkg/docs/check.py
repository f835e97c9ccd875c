"""Check a generated site: every relative ``href``/``src`` resolves to a file, and every
``#fragment`` to an ``id`` in the target page. External links (``http:``, ``https:``,
``mailto:``) are not followed."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

EXTERNAL_SCHEMES = {"http", "https", "mailto"}


class PageParser(HTMLParser):
    """Collects the links (attribute, value) and the element ids of one page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, str, str]] = []  # (tag, attribute, value)
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is None:
                continue
            if name in ("href", "src"):
                self.links.append((tag, name, value))
            elif name == "id":
                self.ids.add(value)

    handle_startendtag = handle_starttag


def parse_page(path: Path) -> PageParser:
    parser = PageParser()
    parser.feed(path.read_text(encoding="utf-8"))
    parser.close()
    return parser


def check_links(site: Path) -> list[str]:
    """Problems found (empty when every internal link resolves)."""
    site = Path(site).resolve()
    parsed: dict[Path, PageParser] = {}

    def page(path: Path) -> PageParser:
        if path not in parsed:
            parsed[path] = parse_page(path)
        return parsed[path]

    problems: list[str] = []
    for html_file in sorted(site.rglob("*.html")):
        rel_page = html_file.relative_to(site).as_posix()
        for tag, name, value in page(html_file).links:
            parts = urlsplit(value)
            if parts.scheme in EXTERNAL_SCHEMES:
                continue
            if parts.scheme or parts.netloc or value.startswith("/"):
                problems.append(f"{rel_page}: <{tag} {name}={value!r}> is not a relative link")
                continue
            target = (html_file.parent / unquote(parts.path)).resolve() if parts.path else html_file
            try:
                target.relative_to(site)
            except ValueError:
                problems.append(f"{rel_page}: {value!r} points outside the site")
                continue
            if not target.is_file():
                problems.append(f"{rel_page}: {value!r} does not resolve to a file")
                continue
            if parts.fragment and target.suffix == ".html" and unquote(parts.fragment) not in page(target).ids:
                shown = target.relative_to(site).as_posix()
                problems.append(f"{rel_page}: {value!r}: no id {parts.fragment!r} in {shown}")
    return problems
