"""Read SPARQL query files and their comment header.

Every ``.rq`` file of ``queries/`` starts with a comment header that the code and
the docs generator read::

    # id: qc-action-not-intervention
    # summary: Statements whose action is not an intervention class.
    # params: none
    # expect: none

- ``id``: the query's stable identifier (by convention the file stem);
- ``summary``: one line saying what the query asks;
- ``params``: the variables the caller binds (rdflib ``initBindings``), separated
  by commas or spaces; ``none`` (or an empty value) means no parameters;
- ``expect``: what a clean knowledge base gives: ``none`` (no rows: a curation
  check) or ``rows`` (a competency question that must answer).

The header is the run of ``#`` comment lines (and blank lines) before the first
line of the query proper. Other comment lines in the header are allowed and
ignored; each of the four header keys must occur exactly once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

#: The header keys every query file must carry, in their conventional order.
REQUIRED_KEYS: tuple[str, ...] = ("id", "summary", "params", "expect")

#: ``params`` values that mean "this query takes no parameters".
NO_PARAMS: frozenset[str] = frozenset({"", "none", "-", "(none)"})

_HEADER_LINE = re.compile(r"^#\s*(?P<key>[A-Za-z][\w-]*)\s*:\s*(?P<value>.*?)\s*$")


@dataclass(frozen=True)
class QueryFile:
    """One parsed query file: its header fields, the full text, and where it was read."""

    id: str
    summary: str
    params: list[str] = field(default_factory=list)
    expect: str = "rows"
    text: str = ""
    path: Path = Path()

    @property
    def expects_no_rows(self) -> bool:
        """True for a curation check: a clean knowledge base returns no rows."""
        return self.expect.lower() == "none"


def _parse_params(value: str) -> list[str]:
    """Split a ``# params:`` value into variable names (``?x`` and ``$x`` accepted)."""
    if value.strip().lower() in NO_PARAMS:
        return []
    names = [p.lstrip("?$") for p in re.split(r"[,\s]+", value.strip()) if p]
    return [n for n in names if n]


def parse_query_text(text: str, path: Path | str = "<string>") -> QueryFile:
    """Parse the header of query ``text``; ``path`` names the source in error messages.

    Raises ValueError naming the file and the header line that is missing, given
    twice, or empty.
    """
    path = Path(path)
    found: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if not line.startswith("#"):
            break  # end of the header: the query proper starts here
        match = _HEADER_LINE.match(line)
        if not match:
            continue
        key = match.group("key").lower()
        if key not in REQUIRED_KEYS:
            continue
        if key in found:
            raise ValueError(f"{path}: header line '# {key}:' is given more than once")
        found[key] = match.group("value")
    for key in REQUIRED_KEYS:
        if key not in found:
            raise ValueError(f"{path}: missing header line '# {key}:' (the header needs "
                             + ", ".join(f"'# {k}:'" for k in REQUIRED_KEYS) + ")")
    for key in ("id", "summary", "expect"):
        if not found[key]:
            raise ValueError(f"{path}: header line '# {key}:' is empty")
    return QueryFile(
        id=found["id"],
        summary=found["summary"],
        params=_parse_params(found["params"]),
        expect=found["expect"],
        text=text,
        path=path,
    )


def load_query(path: Path | str) -> QueryFile:
    """Read and parse one ``.rq`` file (see the module docstring for the header)."""
    path = Path(path)
    return parse_query_text(path.read_text(encoding="utf-8"), path)


def find_queries(directory: Path | str) -> list[QueryFile]:
    """Load every ``*.rq`` file directly inside ``directory``, sorted by file name.

    Raises ValueError if two files declare the same ``id``, and FileNotFoundError
    if the directory does not exist.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise FileNotFoundError(f"query directory not found: {directory}")
    queries = [load_query(p) for p in sorted(directory.glob("*.rq"))]
    seen: dict[str, Path] = {}
    for q in queries:
        if q.id in seen:
            raise ValueError(f"{q.path}: query id '{q.id}' is already used by {seen[q.id]}")
        seen[q.id] = q.path
    return queries
