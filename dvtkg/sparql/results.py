"""One result type for local (rdflib) and remote (SPARQL JSON) answers, and its printed forms.

``--format table`` shortens the project's IRIs to prefixed names; ``json`` is the W3C
SPARQL 1.1 Query Results JSON format; ``csv`` the W3C SPARQL 1.1 CSV results format
(full IRIs, literals as their lexical form). Terms are normalised so that the same
answer compares equal whichever engine gave it: an ``xsd:string`` literal is a plain
literal, and rows compare as a multiset (:meth:`QueryResult.row_keys`).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from rdflib import BNode, Literal, URIRef
from rdflib.namespace import XSD
from rdflib.term import Node

from dvtkg.sparql import (
    FORMATS,  # noqa: E402,F401 - re-exported (defined without rdflib for the CLI)
    PREFIXES,
    SparqlError,
)

XSD_STRING = str(XSD.string)


def normalize(term: Node | None) -> Node | None:
    """The term with an ``xsd:string`` datatype dropped (RDF 1.1: the same literal)."""
    if isinstance(term, Literal) and term.datatype is not None and str(term.datatype) == XSD_STRING:
        return Literal(str(term))
    return term


_INTEGER_TYPES = {str(XSD[t]) for t in (
    "integer", "nonNegativeInteger", "positiveInteger", "nonPositiveInteger", "negativeInteger", "long", "int",
    "short", "byte", "unsignedLong", "unsignedInt", "unsignedShort", "unsignedByte")}
_NUMERIC = _INTEGER_TYPES | {str(XSD.decimal)}


def _canonical_number(term: Literal) -> str:
    """The canonical lexical form of an xsd:decimal / xsd:integer ("2.0" and "2" are one value;
    some stores, Oxigraph among them, keep only the canonical form)."""
    try:
        value = Decimal(str(term))
    except InvalidOperation:
        return str(term)
    text = format(value.normalize(), "f")
    return text if "." not in text else text.rstrip("0").rstrip(".")


def term_key(term: Node | None) -> str:
    """A comparable text for a term: kind, lexical form, datatype or language; '' when unbound.

    Numbers (xsd:decimal, xsd:integer and the integer types derived from it) compare by
    value, in their canonical lexical form: stores keep numbers by value (Oxigraph returns
    "2.0"^^xsd:decimal as "2", and "2"^^xsd:nonNegativeInteger as "2"^^xsd:integer).
    """
    term = normalize(term)
    if term is None:
        return ""
    if isinstance(term, Literal) and term.datatype is not None and str(term.datatype) in _NUMERIC:
        kind = XSD.integer if str(term.datatype) in _INTEGER_TYPES else term.datatype
        return f'"{_canonical_number(term)}"^^{kind}'
    if isinstance(term, URIRef):
        return f"<{term}>"
    if isinstance(term, BNode):
        return "_:"  # blank node labels differ between stores: compare them as "a blank node"
    if isinstance(term, Literal):
        suffix = f"@{term.language.lower()}" if term.language else (f"^^{term.datatype}" if term.datatype else "")
        return f'"{term}"{suffix}'
    return str(term)


def compact(term: Node | None) -> str:
    """A term for people: ``rec:AHA11-T1`` for the project's IRIs, the lexical form of a literal."""
    if term is None:
        return ""
    if isinstance(term, URIRef):
        text = str(term)
        for prefix, ns in PREFIXES.items():
            if text.startswith(ns) and len(text) > len(ns):
                return f"{prefix}:{text[len(ns):]}"
        return text
    if isinstance(term, BNode):
        return f"_:{term}"
    return str(term)


@dataclass
class QueryResult:
    """The answer to a SELECT (variables and rows) or an ASK query (``boolean``)."""

    vars: list[str] = field(default_factory=list)
    rows: list[tuple[Node | None, ...]] = field(default_factory=list)
    boolean: bool | None = None

    @property
    def is_ask(self) -> bool:
        return self.boolean is not None

    def row_keys(self) -> list[tuple[str, ...]]:
        """Every row as comparable text, sorted (a multiset: engines may order ties differently)."""
        return sorted(tuple(term_key(t) for t in row) for row in self.rows)

    def dicts(self) -> list[dict[str, str]]:
        """Rows as {variable: compact text} (unbound variables left out)."""
        return [{v: compact(t) for v, t in zip(self.vars, row, strict=True) if t is not None} for row in self.rows]

    # ------------------------------------------------------------ construction

    @classmethod
    def from_rdflib(cls, result: Any) -> "QueryResult":
        if result.type == "ASK":
            return cls(boolean=bool(result.askAnswer))
        if result.type != "SELECT":
            raise SparqlError(f"only SELECT and ASK queries are supported (this is a {result.type} query)")
        names = [str(v) for v in (result.vars or [])]
        rows = [tuple(normalize(row[i]) for i in range(len(names))) for row in result]
        return cls(vars=names, rows=rows)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "QueryResult":
        """Read the W3C SPARQL 1.1 Query Results JSON format."""
        if not isinstance(data, dict):
            raise SparqlError("the endpoint did not answer with SPARQL JSON results")
        if "boolean" in data:
            return cls(boolean=bool(data["boolean"]))
        try:
            names = list(data["head"].get("vars", []))
            bindings = data["results"]["bindings"]
        except (KeyError, TypeError, AttributeError):
            raise SparqlError("the endpoint's answer is not in the SPARQL JSON results format") from None
        rows = [tuple(_json_term(b.get(n)) for n in names) for b in bindings]
        return cls(vars=names, rows=rows)

    # ------------------------------------------------------------ output

    def format(self, fmt: str) -> str:
        if fmt == "json":
            return json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n"
        if fmt == "csv":
            return self.to_csv()
        return self.to_table()

    def to_json(self) -> dict[str, Any]:
        if self.is_ask:
            return {"head": {}, "boolean": self.boolean}
        return {"head": {"vars": self.vars},
                "results": {"bindings": [{v: _term_json(t) for v, t in zip(self.vars, row, strict=True)
                                          if t is not None}
                                         for row in self.rows]}}

    def to_csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        if self.is_ask:
            writer.writerow(["boolean"])
            writer.writerow(["true" if self.boolean else "false"])
            return out.getvalue()
        writer.writerow(self.vars)
        for row in self.rows:
            writer.writerow(["" if t is None else (f"_:{t}" if isinstance(t, BNode) else str(t)) for t in row])
        return out.getvalue()

    def to_table(self) -> str:
        if self.is_ask:
            return ("true" if self.boolean else "false") + "\n"
        cells = [[compact(t) for t in row] for row in self.rows]
        widths = [len(v) + 1 for v in self.vars]
        for row in cells:
            for i, text in enumerate(row):
                widths[i] = max(widths[i], len(text))
        widths = [min(w, 80) for w in widths]

        def line(values: list[str]) -> str:
            return "  ".join(v.ljust(widths[i]) if i < len(values) - 1 else v for i, v in enumerate(values)).rstrip()

        lines = [line([f"?{v}" for v in self.vars]), line(["-" * w for w in widths])]
        lines += [line(row) for row in cells]
        n = len(self.rows)
        lines.append(f"({n} row{'s' if n != 1 else ''})")
        return "\n".join(lines) + "\n"


def _json_term(b: dict[str, Any] | None) -> Node | None:
    if b is None:
        return None
    kind, value = b.get("type"), b.get("value", "")
    if kind == "uri":
        return URIRef(value)
    if kind == "bnode":
        return BNode(value)
    if kind in ("literal", "typed-literal"):
        if "xml:lang" in b:
            return Literal(value, lang=b["xml:lang"])
        dt = b.get("datatype")
        return normalize(Literal(value, datatype=URIRef(dt)) if dt else Literal(value))
    raise SparqlError(f"unknown term type {kind!r} in the endpoint's answer")


def _term_json(t: Node) -> dict[str, str]:
    if isinstance(t, URIRef):
        return {"type": "uri", "value": str(t)}
    if isinstance(t, BNode):
        return {"type": "bnode", "value": str(t)}
    out = {"type": "literal", "value": str(t)}
    if isinstance(t, Literal) and t.language:
        out["xml:lang"] = t.language
    elif isinstance(t, Literal) and t.datatype is not None:
        out["datatype"] = str(t.datatype)
    return out
