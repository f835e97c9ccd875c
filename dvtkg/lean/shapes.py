"""The case shapes (shapes/case.ttl) compiled to data, and a validator of a case's facts against them.

pySHACL over the case graph (``dvtkg.cases.validate_case``) stays the reference; this
validator decides the same Core SHACL constraints the case shapes use, over a
:class:`~dvtkg.cases.store.FactStore`, and names each violation by the same key, rule
and value. ``compile_shapes`` refuses a shape that uses any other constraint (so a new
kind of constraint in case.ttl cannot be silently ignored); ``tests/test_lean_shapes.py``
compares both validators on good, bad and hostile sheets.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from dvtkg.cases.errors import Violation
from dvtkg.cases.store import DVT, RDF_TYPE, XSD, FactStore, Lit

SH = "http://www.w3.org/ns/shacl#"
VEIN_PREFIX = "https://w3id.org/dvtkg/value/vein-"
#: the constraint parameters the compiled validator decides (anything else in a property shape is refused)
SUPPORTED = {"path", "name", "message", "minCount", "maxCount", "datatype", "or", "in", "minInclusive",
             "maxInclusive", "minLength", "class", "nodeKind", "description"}


class UnsupportedShape(Exception):
    """The case shapes use a constraint the compiled validator does not decide."""


def _term(node: Any) -> Any:
    """An rdflib term as JSON data: IRIs as {"iri": ...}, literals as [lexical, datatype]."""
    from rdflib import Literal

    if isinstance(node, Literal):
        return [str(node), str(node.datatype) if node.datatype else ""]
    return {"iri": str(node)}


def compile_shapes(shapes: Any, keys: Any) -> list[dict[str, Any]]:
    """The node shapes of case.ttl as data, each property shape with its key and rule as validate_case names them."""
    from rdflib import BNode, URIRef
    from rdflib.collection import Collection
    from rdflib.namespace import RDF
    from rdflib.namespace import SH as SHNS

    out = []
    for shape in sorted(shapes.subjects(RDF.type, SHNS.NodeShape), key=str):
        target = shapes.value(shape, SHNS.targetClass)
        props = []
        for prop in shapes.objects(shape, SHNS.property):
            given = {str(p)[len(SH):]: o for p, o in shapes.predicate_objects(prop) if str(p).startswith(SH)}
            unknown = sorted(set(given) - SUPPORTED)
            if unknown or not isinstance(given.get("path"), URIRef):
                raise UnsupportedShape(f"shapes/case.ttl: a property shape of {shape} uses "
                                       f"{unknown or 'a complex path'}; the compiled case validator decides only "
                                       + ", ".join(sorted(SUPPORTED)))
            path = given["path"]
            spec = keys.by_prop.get(path)
            name = None
            for other in shapes.subjects(SHNS.path, path):
                found = shapes.value(other, SHNS.name)
                if found is not None:
                    name = str(found)
                    break
            c: dict[str, Any] = {"path": str(path), "key": spec.key if spec else (name or str(path)),
                                 "specKey": spec.key if spec else None,
                                 "message": str(given["message"]) if "message" in given else None}
            for count in ("minCount", "maxCount", "minLength"):
                if count in given:
                    c[count] = int(given[count])
            for bound in ("minInclusive", "maxInclusive"):
                if bound in given:
                    c[bound] = str(given[bound])
            if "datatype" in given:
                c["datatype"] = [str(given["datatype"])]
            if "or" in given:
                alts = []
                for alt in Collection(shapes, given["or"]):
                    inner = {str(p)[len(SH):]: o for p, o in shapes.predicate_objects(alt) if str(p).startswith(SH)}
                    if set(inner) != {"datatype"} or not isinstance(alt, BNode):
                        raise UnsupportedShape(f"shapes/case.ttl: sh:or on {path} may only list sh:datatype "
                                               "alternatives")
                    alts.append(str(inner["datatype"]))
                c["or"] = alts
            if "in" in given:
                c["in"] = [_term(x) for x in Collection(shapes, given["in"])]
            if "class" in given:
                c["class"] = str(given["class"])
            if "nodeKind" in given:
                if str(given["nodeKind"]) != SH + "Literal":
                    raise UnsupportedShape(f"shapes/case.ttl: sh:nodeKind on {path} must be sh:Literal")
                c["nodeKind"] = "Literal"
            props.append(c)
        props.sort(key=lambda c: (c["path"], c["key"], c["message"] or ""))
        out.append({"target": str(target), "properties": props})
    return out


def _same(value: object, term: Any) -> bool:
    if isinstance(term, dict):
        return not isinstance(value, Lit) and str(value) == term["iri"]
    return isinstance(value, Lit) and value.lexical == term[0] and value.datatype == term[1]


def _has_datatype(value: object, datatype: str) -> bool:
    if not isinstance(value, Lit):
        return False
    if datatype == XSD + "string":
        return value.datatype in ("", XSD + "string")
    return value.datatype == datatype


def _number(value: object) -> Decimal | None:
    if isinstance(value, Lit) and not isinstance(value.value, (bool, str)):
        try:
            return Decimal(value.lexical)
        except ArithmeticError:
            return None
    return None


def _failing(c: dict[str, Any], values: list[object], store: FactStore) -> list[object | None]:
    """The value nodes (None for a count) that break one property shape."""
    bad: list[object | None] = []
    if "minCount" in c and len(values) < c["minCount"]:
        bad.append(None)
    if "maxCount" in c and len(values) > c["maxCount"]:
        bad.append(None)
    for v in values:
        if "datatype" in c and not _has_datatype(v, c["datatype"][0]):
            bad.append(v)
        if "or" in c and not any(_has_datatype(v, dt) for dt in c["or"]):
            bad.append(v)
        if "in" in c and not any(_same(v, t) for t in c["in"]):
            bad.append(v)
        for bound, ok in (("minInclusive", lambda n, b: n >= b), ("maxInclusive", lambda n, b: n <= b)):
            if bound in c:
                n = _number(v)
                if n is None or not ok(n, Decimal(c[bound])):
                    bad.append(v)
        if "minLength" in c and len(v.lexical if isinstance(v, Lit) else str(v)) < c["minLength"]:
            bad.append(v)
        if "class" in c and (isinstance(v, Lit) or c["class"] not in store.objects(v, RDF_TYPE)):
            bad.append(v)
        if c.get("nodeKind") == "Literal" and not isinstance(v, Lit):
            bad.append(v)
    return bad


def validate_store(store: FactStore, shapes: list[dict[str, Any]]) -> list[Violation]:
    """Every violation of the compiled case shapes, named as ``dvtkg.cases.validate_case`` names them."""
    out: set[Violation] = set()
    for node_shape in shapes:
        for focus in store.subjects(RDF_TYPE, node_shape["target"]):
            lat = store.value(focus, DVT + "laterality")
            side = str(lat).rsplit("/", 1)[-1] if lat is not None else None
            for c in node_shape["properties"]:
                for v in _failing(c, store.objects(focus, c["path"]), store):
                    out.add(_violation(c, side, v))
    return sorted(out, key=lambda v: (v.key, v.rule, v.value))


def _violation(c: dict[str, Any], side: str | None, v: object | None) -> Violation:
    key = c["key"]
    if side:
        key = key.replace("{limb}", side)
    value = "" if v is None else str(v)
    if value.startswith(VEIN_PREFIX):
        value = value.rsplit("vein-", 1)[-1]
    rule = c["message"] or ""
    spec_key = c["specKey"]
    if spec_key is not None and rule.startswith(spec_key):
        rule = rule[len(spec_key):].lstrip(": ")
    elif "{limb}" in rule and side:
        rule = rule.replace("{limb}", side)
        if rule.startswith(key):
            rule = rule[len(key):].lstrip(": ")
    return Violation(key, rule, value)
