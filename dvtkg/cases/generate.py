"""Generate the case contract's files from the ``dvt:caseKey`` table of the case module.

``python -m dvtkg.cases.generate`` (``make generate``) writes, from
:func:`dvtkg.cases.contract_table.read_table`:

- ``shapes/case.ttl``: the SHACL shapes a case graph is validated with;
- ``schemas/case-sheet.schema.json``: the JSON Schema (2020-12) of a case sheet;
- the key table of ``docs/case-format.md``, between the marker comments;
- ``dvtkg/cases/contract.py``: the same table as Python data (no knowledge base needed).

``--check`` writes nothing and exits 1 naming every stale file (tests/test_case_contract.py
does the same), so that a change to the ontology cannot leave a copy behind.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from rdflib import Literal, URIRef
from rdflib.namespace import XSD

from dvtkg import generated, logs, paths
from dvtkg.cases.contract_table import FREE_TEXT_KEYS, LIMB_PREFIX, ContractError, ContractTable, Field, read_table
from dvtkg.cases.vocab import DVT, DVTV

SHAPES_FILE = Path("shapes") / "case.ttl"
SCHEMA_FILE = Path("schemas") / "case-sheet.schema.json"
DOCS_FILE = Path("docs") / "case-format.md"
PYTHON_FILE = Path("dvtkg") / "cases" / "contract.py"
DOCS_BEGIN = "<!-- BEGIN case keys: generated from ontology/modules/case.ttl by `make generate`; do not edit -->"
DOCS_END = "<!-- END case keys -->"
SOURCE = "ontology/modules/case.ttl"
NODE_SHAPES = (  # (level, shape, target class, label)
    ("patient", "CasePatientShape", "Patient", "case patient"),
    ("limb", "CaseLimbShape", "Limb", "case limb"),
    ("code", "CaseCodeShape", "CodedDiagnosis", "coded diagnosis"),
)
SCHEMA_ID = "https://w3id.org/dvtkg/schemas/case-sheet.schema.json"


# ---------------------------------------------------------------- shapes

def _q(text: str) -> str:
    """A Turtle (and JSON-compatible) string literal."""
    return json.dumps(text, ensure_ascii=False)


def _num(lit: Literal) -> str:
    """A numeric literal in Turtle's short form, with the datatype the ontology gave it."""
    text = str(lit)
    if lit.datatype == XSD.integer or (lit.datatype == XSD.decimal and "." in text):
        return text
    return f"{_q(text)}^^<{lit.datatype}>"


def _curie(iri: URIRef) -> str:
    for prefix, ns in (("dvt", str(DVT)), ("dvtv", str(DVTV)), ("xsd", str(XSD))):
        if str(iri).startswith(ns):
            return f"{prefix}:{str(iri)[len(ns):]}"
    return f"<{iri}>"


def _bounds(f: Field) -> str:
    parts = []
    if f.minimum is not None:
        parts.append(f"sh:minInclusive {_num(f.minimum)}")
    if f.maximum is not None:
        parts.append(f"sh:maxInclusive {_num(f.maximum)}")
    return " ; ".join(parts)


INTEGER_OR_DECIMAL = "sh:or ( [ sh:datatype xsd:integer ] [ sh:datatype xsd:decimal ] )"
DECIMAL_OR_INTEGER = "sh:or ( [ sh:datatype xsd:decimal ] [ sh:datatype xsd:integer ] )"


def _layout_shape(f: Field, table: ContractTable) -> str:
    """A property of the sheet's layout (or derived, or a had<Event> flag): one compact shape."""
    if f.kind == "derived":
        name = " / ".join(f.keys) + " (derived)"
    else:
        name = f.key
    parts = [f"sh:path {_curie(f.prop)}", f"sh:name {_q(name)}"]
    if f.required:
        parts.append("sh:minCount 1")
    if f.max_count is not None:
        parts.append(f"sh:maxCount {f.max_count}")
    rule = f.rule
    if f.is_flag:
        parts.append("sh:datatype xsd:boolean")
        rule = f"{f.key}: whether the event happened must be stated once"
    elif f.one_of:
        parts.append("sh:in ( " + " ".join(_curie(i) for i, _ in f.one_of) + " )")
        rule = rule.replace("{values}", ", ".join(n for _, n in f.one_of))
    elif f.range == XSD.anyURI:
        parts.append("sh:nodeKind sh:Literal")  # a URI string: typed xsd:anyURI by the loader, plain in a graph
    elif f.range == XSD.decimal:
        parts.append(INTEGER_OR_DECIMAL)
        if _bounds(f):
            parts.append(_bounds(f))
    elif f.range is not None and str(f.range).startswith(str(XSD)):
        parts.append(f"sh:datatype {_curie(f.range)}")
        if f.required and f.range == XSD.string:
            parts.append("sh:minLength 1")
    elif f.range is not None:
        parts.append(f"sh:class {_curie(f.range)}")
    lines = f"    sh:property [ {' ; '.join(parts)} ;\n        sh:message {_q(rule)} ]"
    if len(lines.split("\n")[0]) > 140:  # keep lines readable: the value constraint goes on its own line
        head = [p for p in parts if p.startswith(("sh:path", "sh:name", "sh:minCount", "sh:maxCount"))]
        rest = [p for p in parts if p not in head]
        lines = f"    sh:property [ {' ; '.join(head)} ;\n        {' ; '.join(rest)} ;\n        sh:message {_q(rule)} ]"
    return lines


def _value_shape(f: Field) -> str:
    """A fact the sheet states: the key, its kind's constraint, its bounds or values, the rule."""
    lo, hi = (str(f.minimum) if f.minimum is not None else ""), (str(f.maximum) if f.maximum is not None else "")
    body = [f"sh:path {_curie(f.prop)} ;", f"sh:name {_q(f.key)} ;", "sh:maxCount 1 ;"]
    if f.kind == "boolean":
        body.append("sh:datatype xsd:boolean ;")
        rule = f"{f.key} must be true or false (or omitted / null when unknown), given once"
    elif f.kind == "integer":
        body += ["sh:datatype xsd:integer ;", _bounds(f) + " ;"]
        rule = f"{f.key} must be an integer from {lo} to {hi}"
    elif f.kind == "number":
        body += [DECIMAL_OR_INTEGER + " ;", _bounds(f) + " ;"]
        rule = f"{f.key} must be a number from {lo} to {hi}"
    elif f.kind == "days-or-none":
        body += [INTEGER_OR_DECIMAL + " ;", _bounds(f) + " ;"]
        rule = f"{f.key} must be a whole number of days from {lo} to {hi}, or none (as a string)"
    else:  # enumeration
        body += ["sh:datatype xsd:string ;", "sh:in ( " + " ".join(_q(v) for v in f.allowed) + " ) ;"]
        rule = f"{f.key} must be one of {', '.join(f.allowed)}"
    body.append(f"sh:message {_q(rule)} ;")
    return "    sh:property [\n" + "".join(f"        {line}\n" for line in body) + "    ]"


def shapes_text(table: ContractTable) -> str:
    out = [
        "# Case shapes: the case-sheet contract as SHACL over a case graph.",
        f"# GENERATED from the dvt:caseKey table of {SOURCE} by `make generate`",
        "# (python -m dvtkg.cases.generate): edit the ontology, not this file; a test fails when it is stale.",
        "# Each property shape names the case-sheet key (sh:name) and the rule (sh:message).",
        "# Core SHACL only, no inference: cases are validated fast, one by one.",
        "@prefix sh: <http://www.w3.org/ns/shacl#> .",
        "@prefix dvt: <https://w3id.org/dvtkg/ontology#> .",
        "@prefix dvtv: <https://w3id.org/dvtkg/value/> .",
        "@prefix dvts: <https://w3id.org/dvtkg/shapes#> .",
        "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .",
        "@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .",
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .",
        "",
    ]
    for level, shape, cls, label in NODE_SHAPES:
        props = [(_value_shape(f) if f.kind in ("boolean", "integer", "number", "enumeration", "days-or-none")
                  and not f.is_flag else _layout_shape(f, table)) for f in table.at(level)]
        out.append("")
        out.append(f"dvts:{shape} a sh:NodeShape ;\n    sh:targetClass dvt:{cls} ;\n    rdfs:label {_q(label)} ;")
        out.append(" ;\n".join(props) + " .")
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------- JSON Schema

def _layout(table: ContractTable) -> dict[str, Field]:
    """The layout keys, each with its main property (the first declared: hasLimb for "limbs")."""
    out: dict[str, Field] = {}
    for f in table.fields:
        if f.kind == "structural":
            out.setdefault(f.key, f)
    return out


def _number(lit: Literal | None) -> int | float | None:
    if lit is None:
        return None
    value = lit.toPython()
    return int(value) if lit.datatype == XSD.integer else float(value)


def _value_schema(f: Field) -> dict[str, Any]:
    doc: dict[str, Any] = {"title": f.label, "description": f.definition}
    if f.question:
        doc["$comment"] = f"{f.prop}" + (f" (unit {f.unit})" if f.unit else "") + f"; asked as: {f.question}"
    bounds = {k: v for k, v in (("minimum", _number(f.minimum)), ("maximum", _number(f.maximum))) if v is not None}
    if f.kind == "boolean":
        return {**doc, "type": ["boolean", "null"]}
    if f.kind == "integer":
        return {**doc, "type": ["integer", "null"], **bounds}
    if f.kind == "number":
        return {**doc, "type": ["number", "null"], **bounds}
    if f.kind == "days-or-none":
        return {**doc, "anyOf": [{"type": "number", **bounds}, {"const": "none"}, {"type": "null"}]}
    return {**doc, "enum": [*f.allowed, None]}


def _nest(fields: list[Field], strip: str = "") -> dict[str, Any]:
    """The properties of an object schema: dotted keys become nested objects (groups)."""
    props: dict[str, Any] = {}
    for f in fields:
        parts = f.key[len(strip):].split(".")
        target = props
        for group in parts[:-1]:
            node = target.setdefault(group, {"type": "object", "additionalProperties": False, "properties": {}})
            target = node["properties"]
        target[parts[-1]] = _value_schema(f)
    return props


def schema(table: ContractTable) -> dict[str, Any]:
    layout = _layout(table)
    sides = next(f for f in table.fields if f.one_of and f.level == "limb" and f.required).one_of
    patient = [f for f in table.value_keys if f.level == "patient"]
    limb = [f for f in table.value_keys if f.level == "limb"]
    veins = layout[LIMB_PREFIX + "veins"]
    limb_schema = {
        "type": "object", "additionalProperties": False,
        "description": "One examined leg. Without veins (or with an empty list) the leg was imaged and showed no "
                       "thrombus; veins: null means the list of thrombosed segments is unknown.",
        "properties": {
            "veins": {"title": veins.label, "description": veins.definition,
                      "type": ["array", "null"], "items": {"enum": list(table.veins)}},
            **_nest(limb, LIMB_PREFIX),
        },
    }
    code = {
        "type": "object", "additionalProperties": False, "required": ["system", "code"],
        "properties": {
            "system": {"type": "string", "description": layout["codes.system"].rule},
            "code": {"type": "string", "minLength": 1, "description": layout["codes.code"].rule},
            "display": {"type": "string", "description": FREE_TEXT_KEYS["codes.display"]},
        },
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "dvtkg case sheet",
        "description": f"A case sheet as dvtkg assess reads it. GENERATED from the dvt:caseKey table of {SOURCE} "
                       "(make generate); do not edit. Every fact may be omitted or null: unknown, never false. "
                       "Beyond this schema the loader refuses duplicate keys, NaN/Infinity and control characters.",
        "type": "object",
        "additionalProperties": False,
        "required": ["id"],
        "properties": {
            "id": {"type": "string", "minLength": 1, "description": layout["id"].rule},
            "notes": {"type": "string", "description": FREE_TEXT_KEYS["notes"]},
            "limbs": {"type": ["object", "null"], "additionalProperties": False,
                      "description": layout["limbs"].rule,
                      "properties": {name: {"anyOf": [{"$ref": "#/$defs/limb"}, {"type": "null"}]}
                                     for _, name in sides}},
            "codes": {"type": ["array", "null"], "items": {"$ref": "#/$defs/code"},
                      "description": layout["codes"].rule},
            **_nest(patient),
        },
        "$defs": {"limb": limb_schema, "code": code},
    }


def schema_text(table: ContractTable) -> str:
    return json.dumps(schema(table), indent=2, ensure_ascii=False) + "\n"


# ---------------------------------------------------------------- docs table

def _md(text: str) -> str:
    return text.replace("|", "\\|")


def _type_cell(f: Field) -> str:
    lo, hi = f.minimum, f.maximum
    if f.kind == "boolean":
        return "true / false"
    if f.kind == "integer":
        return f"integer, {lo} to {hi}"
    if f.kind == "number":
        return f"number, {lo} to {hi}"
    if f.kind == "days-or-none":
        return f'days, {lo} to {hi}, or `"none"`'
    return "one of " + ", ".join(f"`{v}`" for v in f.allowed)


def docs_table(table: ContractTable) -> str:
    rows = ["| key | type and values | unit | asked when missing |", "|---|---|---|---|"]
    layout = _layout(table)
    rows.append(f"| `id` | string, required: {_md(layout['id'].rule)} | | {_md(layout['id'].question)} |")
    rows.append(f"| `notes` | string: {FREE_TEXT_KEYS['notes']} | | |")
    rows.append(f"| `limbs` | object with `left` and/or `right`: {_md(layout['limbs'].rule)} | | "
                f"{_md(layout['limbs'].question)} |")
    veins = ", ".join(f"`{v}`" for v in table.veins)
    rows.append(f"| `limbs.{{limb}}.veins` | list of {veins}; `null` when unknown | | "
                f"{_md(layout[LIMB_PREFIX + 'veins'].question)} |")
    rows.append(f"| `codes` | list of `{{system, code, display}}` objects | | {_md(layout['codes'].question)} |")
    for f in table.value_keys:
        rows.append(f"| `{f.key}` | {_type_cell(f)} | {f'`{f.unit}`' if f.unit else ''} | {_md(f.question)} |")
    return "\n".join(rows)


def docs_text(current: str, table: ContractTable) -> str:
    """``docs/case-format.md`` with the text between the markers replaced (the rest as it is)."""
    if DOCS_BEGIN not in current or DOCS_END not in current:
        raise ContractError(f"{DOCS_FILE}: the marker comments are missing ({DOCS_BEGIN} ... {DOCS_END})")
    head, rest = current.split(DOCS_BEGIN, 1)
    _, tail = rest.split(DOCS_END, 1)
    return f"{head}{DOCS_BEGIN}\n{docs_table(table)}\n{DOCS_END}{tail}"


# ---------------------------------------------------------------- Python registry

def python_text(table: ContractTable) -> str:
    def lit(value: Literal | None) -> str:
        return "None" if value is None else repr(str(value))

    rows = []
    for f in table.value_keys:
        rows.append(f"    CaseKey({f.key!r}, {str(f.prop)!r}, {f.level!r}, {f.kind!r}, {tuple(f.allowed)!r}, "
                    f"{lit(f.minimum)}, {lit(f.maximum)}, {f.unit!r}, {f.label!r}, {f.question!r}, "
                    f"{(str(f.flag) if f.flag else None)!r}),")
    layout = sorted({f.key for f in table.fields if f.kind == "structural" and "(" not in f.key})
    sides = next(f for f in table.fields if f.one_of and f.level == "limb" and f.required).one_of
    return "\n".join([
        "# ruff: noqa: E501",
        f'"""The case-sheet contract as Python data: GENERATED from the dvt:caseKey table of {SOURCE}.',
        "",
        "Written by ``make generate`` (python -m dvtkg.cases.generate); edit the ontology, not this file",
        "(tests/test_case_contract.py fails when it is stale). At run time the loader reads the same",
        "table from the knowledge base (dvtkg.cases.keys); this module serves code that has none.",
        '"""',
        "",
        "from __future__ import annotations",
        "",
        "from typing import NamedTuple",
        "",
        "",
        "class CaseKey(NamedTuple):",
        '    """One fact a case sheet states: its dotted key ({limb} for either leg) and the property it maps to."""',
        "",
        "    key: str",
        "    property: str               # the IRI of the case-graph property",
        "    level: str                  # patient | limb",
        "    kind: str                   # boolean | integer | number | enumeration | days-or-none",
        "    allowed: tuple[str, ...]    # enumeration values, in the documented order",
        "    minimum: str | None         # plausible range (inclusive), as written in the ontology",
        "    maximum: str | None",
        "    unit: str                   # UCUM",
        "    label: str",
        "    question: str               # asked when the key is missing ('this leg' for limb keys)",
        "    flag_property: str | None   # days-or-none: the had<Event> boolean property",
        "",
        "",
        "KEYS: tuple[CaseKey, ...] = (",
        *rows,
        ")",
        "",
        "#: the keys of the sheet's layout (not facts): identifier, limbs, veins, codes",
        "LAYOUT_KEYS: frozenset[str] = frozenset({",
        *[f"    {k!r}," for k in layout],
        "})",
        "#: keys that carry text for the reader only (never in the case graph)",
        "FREE_TEXT_KEYS: frozenset[str] = frozenset({" + ", ".join(repr(k) for k in sorted(FREE_TEXT_KEYS)) + "})",
        f"SIDES: tuple[str, ...] = {tuple(n for _, n in sides)!r}",
        "#: the vein segment names of limbs.{limb}.veins, from the top down",
        "VEIN_NAMES: tuple[str, ...] = (",
        *[f"    {v!r}," for v in table.veins],
        ")",
        "",
    ])


# ---------------------------------------------------------------- main

def outputs(root: Path) -> dict[Path, str]:
    """Every generated file (relative path -> its content) for the sources at ``root``."""
    table = read_table(root)
    docs = (root / DOCS_FILE).read_text(encoding="utf-8")
    return {
        SHAPES_FILE: shapes_text(table),
        SCHEMA_FILE: schema_text(table),
        DOCS_FILE: docs_text(docs, table),
        PYTHON_FILE: python_text(table),
    }


def stale(root: Path) -> list[Path]:
    """The generated files whose content differs from what the sources generate."""
    return generated.stale(root, outputs(root))


@logs.script_main
def main(argv: list[str] | None = None) -> int:
    return generated.main(argv, prog="python -m dvtkg.cases.generate", description=__doc__.split("\n\n")[0],
                          what="the case contract files", logger=__name__, outputs=outputs,
                          errors=(ContractError,), root=paths.project_root())


if __name__ == "__main__":
    sys.exit(main())
