"""Typed query parameters and their safe binding.

A query file declares its parameters on its ``# params:`` line (``source:iri``,
``status:string?``, ``n:integer=3``; see :mod:`dvtkg.queryfiles`). A value given on
the command line as ``--param NAME=VALUE`` is checked against the declared type and
turned into one RDF term; it is never pasted into the query text:

- locally the term is bound with rdflib ``initBindings``;
- for an endpoint it becomes one ``VALUES`` row placed right after the opening brace of
  the query's WHERE clause. The row is built from N-Triples terms: an IRI is checked to
  hold none of ``<>"{}|^`\\`` nor a space or control character, a literal's quotes,
  backslashes and line breaks are escaped, numbers and booleans are checked against
  their lexical forms. So a value holding quotes, braces or ``} ; DROP ALL ; {`` stays
  one term: it matches nothing, or it is refused with exit code 2; it never changes the
  query. The assembled query is parsed again before it is sent.

A parameter that is optional and not given is left unbound (it matches anything).
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from rdflib import BNode, Literal, URIRef
from rdflib.namespace import XSD
from rdflib.term import Node

from dvtkg.queryfiles import ParamSpec, QueryFile
from dvtkg.sparql import PREFIXES, SparqlError

__all__ = [
    "ParamError", "bind_params", "parse_value", "expand_iri", "check_iri", "check_iri_chars", "nt_term",
    "values_clause", "inject_values", "query_form",
]

XSD_STRING = str(XSD.string)
_FORBIDDEN_IRI = re.compile(r'[<>"{}|^`\\\x00-\x20\x7f]')
_ALLOWED_SCHEMES = ("http://", "https://", "urn:")
_INTEGER = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_BOOLEAN = {"true": True, "false": False, "1": True, "0": False}
_VARNAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class ParamError(SparqlError):
    """A parameter value that cannot be bound (exit code 2)."""


# ---------------------------------------------------------------- values


def check_iri_chars(iri: str, what: str = "IRI") -> str:
    """Return ``iri`` if it holds none of the characters an IRI reference may not hold."""
    bad = _FORBIDDEN_IRI.search(iri)
    if bad:
        ch = bad.group(0)
        shown = repr(ch) if ch.isprintable() and ch != " " else f"U+{ord(ch):04X}"
        raise ParamError(f"{what} {iri!r} holds the character {shown}, which an IRI may not contain")
    return iri


def check_iri(iri: str, what: str = "IRI") -> str:
    """Return ``iri`` if it is safe to write as ``<iri>`` and is http(s) or urn; raise ParamError otherwise."""
    check_iri_chars(iri, what)
    if not iri.startswith(_ALLOWED_SCHEMES):
        raise ParamError(f"{what} {iri!r} is not an IRI: give a prefixed name "
                         f"({', '.join(p + ':' for p in PREFIXES)}) or a full http(s):// or urn: IRI")
    return iri


def expand_iri(value: str) -> URIRef:
    """A prefixed name of the project (``rec:AHA11-T1``), ``<iri>`` or a full IRI -> URIRef."""
    text = value.strip()
    if text.startswith("<") and text.endswith(">"):
        text = text[1:-1]
    prefix, sep, local = text.partition(":")
    if sep and prefix in PREFIXES and not local.startswith("//"):
        text = PREFIXES[prefix] + local
    return URIRef(check_iri(text))


def parse_value(spec: ParamSpec, raw: str) -> Node:
    """Turn the text ``raw`` into the RDF term of ``spec``'s type, or raise ParamError."""
    name = spec.name
    if spec.type == "iri":
        try:
            return expand_iri(raw)
        except ParamError as exc:
            raise ParamError(f"parameter {name}: {exc}") from None
    if spec.type == "integer":
        if not _INTEGER.fullmatch(raw.strip()):
            raise ParamError(f"parameter {name}: {raw!r} is not an integer")
        return Literal(str(int(raw.strip())), datatype=XSD.integer)
    if spec.type == "decimal":
        if not _DECIMAL.fullmatch(raw.strip()):
            raise ParamError(f"parameter {name}: {raw!r} is not a decimal number (write e.g. 12.5)")
        try:
            number = Decimal(raw.strip())
        except InvalidOperation:  # pragma: no cover - the pattern already rules this out
            raise ParamError(f"parameter {name}: {raw!r} is not a decimal number") from None
        return Literal(format(number, "f"), datatype=XSD.decimal)
    if spec.type == "boolean":
        key = raw.strip().lower()
        if key not in _BOOLEAN:
            raise ParamError(f"parameter {name}: {raw!r} is not a boolean (true or false)")
        return Literal("true" if _BOOLEAN[key] else "false", datatype=XSD.boolean)
    # string: the text exactly as given (quotes, braces and all), as one plain literal
    return Literal(raw)


def bind_params(query: QueryFile, given: list[str] | None) -> dict[str, Node]:
    """Check ``--param NAME=VALUE`` arguments against the query's declarations.

    Returns the bindings (variable name -> term), defaults included; raises ParamError
    for a malformed argument, an undeclared or repeated name, a missing required
    parameter, or a value of the wrong type.
    """
    declared = {spec.name: spec for spec in query.param_specs}
    raw: dict[str, str] = {}
    for arg in given or []:
        name, sep, value = arg.partition("=")
        name = name.strip().lstrip("?$")
        if not sep or not name:
            raise ParamError(f"--param {arg!r}: write NAME=VALUE")
        if name not in declared:
            known = ", ".join(str(s) for s in query.param_specs) or "none"
            raise ParamError(f"query {query.id} has no parameter {name!r} (its parameters: {known})")
        if name in raw:
            raise ParamError(f"parameter {name} is given more than once")
        raw[name] = value
    bindings: dict[str, Node] = {}
    for spec in query.param_specs:
        if spec.name in raw:
            bindings[spec.name] = parse_value(spec, raw[spec.name])
        elif spec.default is not None:
            bindings[spec.name] = parse_value(spec, spec.default)
        elif spec.required:
            raise ParamError(f"query {query.id} needs --param {spec.name}=VALUE ({spec.type})")
    return bindings


# ---------------------------------------------------------------- N-Triples terms

_ECHAR = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}


def _escape_string(text: str) -> str:
    """The body of a SPARQL/N-Triples string literal for ``text``.

    SPARQL decodes ``\\uXXXX`` codepoint escapes anywhere in the query before parsing
    (rdflib does so even after an escaped backslash, and reads ``\\u`` with eight hex
    digits when eight follow), so a ``u`` or ``U`` that follows a backslash, and any control
    character, is written as an eight-digit ``\\UXXXXXXXX`` escape: no ``\\u`` sequence of
    the value survives into the text, and every reading gives back the value unchanged.
    """
    out = []
    for i, ch in enumerate(text):
        if ch in "uU" and i > 0 and text[i - 1] == "\\":
            out.append(f"\\U{ord(ch):08X}")
        elif ch in _ECHAR:
            out.append(_ECHAR[ch])
        elif ord(ch) < 0x20 or ch == "\x7f":
            out.append(f"\\U{ord(ch):08X}")
        else:
            out.append(ch)
    return "".join(out)


def nt_term(term: Node, bnode_labels: dict | None = None) -> str:
    """One term as N-Triples (valid in SPARQL too): ``<iri>``, ``"text"^^<dt>``, ``"t"@en``, ``_:b1``."""
    if isinstance(term, URIRef):
        return f"<{check_iri_chars(str(term))}>"
    if isinstance(term, Literal):
        body = f'"{_escape_string(str(term))}"'
        if term.language:
            if not re.fullmatch(r"[A-Za-z]+(-[A-Za-z0-9]+)*", term.language):
                raise ParamError(f"bad language tag {term.language!r}")
            return f"{body}@{term.language}"
        if term.datatype is not None and str(term.datatype) != XSD_STRING:
            return f"{body}^^<{check_iri_chars(str(term.datatype), 'datatype')}>"
        return body
    if isinstance(term, BNode):
        if bnode_labels is None:
            raise ParamError("a blank node cannot be bound as a parameter")
        label = bnode_labels.setdefault(term, f"b{len(bnode_labels)}")
        return f"_:{label}"
    raise ParamError(f"cannot write {term!r} as an RDF term")


def values_clause(bindings: dict[str, Node]) -> str:
    """``VALUES (?a ?b) { (<x> "y") }`` for the bindings (sorted by name); '' when there are none."""
    if not bindings:
        return ""
    names = sorted(bindings)
    for name in names:
        if not _VARNAME.fullmatch(name):
            raise ParamError(f"{name!r} is not a variable name")
    variables = " ".join(f"?{n}" for n in names)
    terms = " ".join(nt_term(bindings[n]) for n in names)
    return f"VALUES ({variables}) {{ ({terms}) }}"


# ---------------------------------------------------------------- placing the VALUES row

_IRIREF = re.compile(r'<[^<>"{}|^`\\\x00-\x20]*>')
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_LOCAL = re.compile(r"(?:[A-Za-z0-9_\-.:%]|\\.)*")
_FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")


def _scan(text: str):
    """Yield (position, kind, token) for the structure-bearing tokens of a SPARQL text.

    Skips comments, string literals and IRI references; kinds: 'word', 'punct'.
    """
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "#":
            j = text.find("\n", i)
            i = n if j < 0 else j + 1
        elif c in "\"'":
            quote = c * 3 if text.startswith(c * 3, i) else c
            j = i + len(quote)
            while j < n and not text.startswith(quote, j):
                j += 2 if text[j] == "\\" else 1
            i = j + len(quote)
        elif c == "<":
            m = _IRIREF.match(text, i)
            if m:
                i = m.end()
            else:
                yield i, "punct", c
                i += 1
        elif c in "?$":
            m = _WORD.match(text, i + 1)
            i = m.end() if m else i + 1
        elif c.isalpha() or c == "_":
            m = _WORD.match(text, i)
            assert m is not None  # a letter or "_" starts a word
            word = m.group(0)
            end = m.end()
            # a prefixed name (pfx:local) or a word inside one is not a keyword
            prefixed = (end < n and text[end] == ":") or (i > 0 and text[i - 1] == ":")
            if not prefixed:
                yield i, "word", word
            i = end
            if end < n and text[end] == ":":  # skip the local part of a prefixed name
                local = _LOCAL.match(text, end + 1)  # matches, possibly empty
                i = local.end() if local else end + 1
        else:
            if c in "{}()":
                yield i, "punct", c
            i += 1


def query_form(text: str) -> str | None:
    """SELECT, ASK, CONSTRUCT or DESCRIBE: the form of the query ``text`` (None if unknown)."""
    for _, kind, token in _scan(text):
        if kind == "word" and token.upper() in _FORMS:
            return token.upper()
    return None


def _where_brace(text: str) -> int:
    """Index of the ``{`` that opens the WHERE clause of a SELECT or ASK query."""
    form = None
    depth = 0
    for pos, kind, token in _scan(text):
        if kind == "word" and form is None and token.upper() in _FORMS:
            form = token.upper()
            if form not in ("SELECT", "ASK"):
                raise ParamError(f"parameters can only be bound in SELECT and ASK queries (this is a {form} query)")
        elif kind == "punct":
            if token == "(":
                depth += 1
            elif token == ")":
                depth -= 1
            elif token == "{" and depth == 0:
                if form is None:
                    raise ParamError("cannot find the query form (SELECT or ASK) before the WHERE clause")
                return pos
    raise ParamError("cannot find the opening brace of the query's WHERE clause")


def inject_values(text: str, bindings: dict[str, Node]) -> str:
    """The query ``text`` with the bindings as a VALUES row opening its WHERE clause.

    The row joins the whole top-level group, like rdflib's ``initBindings`` for a query
    whose parameters are used in that group (how the project's queries use them). The
    result is parsed again; a query that no longer parses is refused (ParamError).
    """
    if not bindings:
        return text
    clause = values_clause(bindings)
    pos = _where_brace(text)
    out = f"{text[:pos + 1]}\n  {clause}\n{text[pos + 1:]}"
    from rdflib.plugins.sparql.parser import parseQuery

    try:
        parseQuery(out)
    except Exception as exc:  # pyparsing raises several types
        raise ParamError(f"the query with its parameters bound does not parse: {str(exc).splitlines()[0]}") from None
    return out
