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
  by commas or spaces; ``none`` (or an empty value) means no parameters. Each may
  carry a type and a marker (see :func:`parse_param_specs`), e.g.
  ``# params: source:iri, strength:string?, limit:integer=10``: the type is one of
  :data:`PARAM_TYPES` (``string`` when none is given); ``?`` makes the parameter
  optional (left unbound when not given: it then matches anything), ``=VALUE`` gives
  it a default; otherwise it is required;
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

#: The parameter types a ``# params:`` line may declare (``name:type``).
PARAM_TYPES: tuple[str, ...] = ("string", "iri", "integer", "decimal", "boolean")

_PARAM_SPEC = re.compile(
    r"^[?$]?(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"(?:\s*:\s*(?P<type>[A-Za-z]+))?"
    r"\s*(?:(?P<optional>\?)|=\s*(?P<default>\S+))?$"
)

_HEADER_LINE = re.compile(r"^#\s*(?P<key>[A-Za-z][\w-]*)\s*:\s*(?P<value>.*?)\s*$")


@dataclass(frozen=True)
class ParamSpec:
    """One declared parameter: its variable name, type, and whether it must be given."""

    name: str
    type: str = "string"
    required: bool = True
    default: str | None = None

    def __str__(self) -> str:
        text = f"{self.name}:{self.type}"
        if self.default is not None:
            return f"{text}={self.default}"
        return text if self.required else text + "?"


@dataclass(frozen=True)
class QueryFile:
    """One parsed query file: its header fields, the full text, and where it was read."""

    id: str
    summary: str
    params: list[str] = field(default_factory=list)
    expect: str = "rows"
    text: str = ""
    path: Path = Path()
    param_specs: tuple[ParamSpec, ...] = ()

    def param(self, name: str) -> ParamSpec | None:
        """The declared parameter ``name`` (untyped declarations are strings), or None."""
        for spec in self.param_specs:
            if spec.name == name:
                return spec
        return None

    @property
    def expects_no_rows(self) -> bool:
        """True for a curation check: a clean knowledge base returns no rows."""
        return self.expect.lower() == "none"


def parse_param_specs(value: str, path: Path | str = "<string>") -> list[ParamSpec]:
    """Parse a ``# params:`` value into parameter declarations.

    Entries are separated by commas (or, for untyped names, spaces). Each entry is
    ``name``, ``name:type``, ``name:type?`` (optional) or ``name:type=default``;
    ``?x`` and ``$x`` are accepted for ``x``. Raises ValueError for an unknown type,
    a malformed entry, or a name given twice.
    """
    if value.strip().lower() in NO_PARAMS:
        return []
    specs: list[ParamSpec] = []
    for chunk in (c.strip() for c in value.split(",")):
        if not chunk:
            continue
        # "a b c" (the older space-separated form) is three untyped names
        entries = chunk.split() if re.fullmatch(r"[?$]?\w+(\s+[?$]?\w+)*", chunk) else [chunk]
        for entry in entries:
            m = _PARAM_SPEC.match(entry)
            if not m:
                raise ValueError(f"{path}: cannot read the parameter declaration {entry!r} "
                                 "(write name, name:type, name:type? or name:type=default)")
            ptype = (m.group("type") or "string").lower()
            if ptype not in PARAM_TYPES:
                raise ValueError(f"{path}: parameter {m.group('name')!r} has the unknown type {ptype!r} "
                                 f"(known: {', '.join(PARAM_TYPES)})")
            default = m.group("default")
            specs.append(ParamSpec(m.group("name"), ptype, required=not (m.group("optional") or default is not None),
                                   default=default))
    seen: set[str] = set()
    for spec in specs:
        if spec.name in seen:
            raise ValueError(f"{path}: parameter {spec.name!r} is declared twice")
        seen.add(spec.name)
    return specs


def _parse_params(value: str) -> list[str]:
    """Split a ``# params:`` value into variable names (``?x`` and ``$x`` accepted)."""
    return [spec.name for spec in parse_param_specs(value)]


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
    specs = parse_param_specs(found["params"], path)
    return QueryFile(
        id=found["id"],
        summary=found["summary"],
        params=[spec.name for spec in specs],
        expect=found["expect"],
        text=text,
        path=path,
        param_specs=tuple(specs),
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
