"""Literal values and data ranges as OWL 2 compares them (value spaces, not lexical forms).

OWL 2 makes xsd:integer a part of xsd:decimal's value space ("2"^^xsd:integer equals
"2.0"^^xsd:decimal), keeps xsd:double and xsd:float apart from it, and reads a plain
literal as an xsd:string. Facets compare exactly (Fraction), never through floats.
"""

from __future__ import annotations

from fractions import Fraction

XSD = "http://www.w3.org/2001/XMLSchema#"
RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS_LITERAL = "http://www.w3.org/2000/01/rdf-schema#Literal"
OWL_REAL = "http://www.w3.org/2002/07/owl#real"
OWL_RATIONAL = "http://www.w3.org/2002/07/owl#rational"

# the decimal family: name -> (lowest, highest, integral) bounds of its value space
_NUMERIC: dict[str, tuple[int | None, int | None, bool]] = {
    XSD + "decimal": (None, None, False), OWL_REAL: (None, None, False), OWL_RATIONAL: (None, None, False),
    XSD + "integer": (None, None, True), XSD + "nonNegativeInteger": (0, None, True),
    XSD + "positiveInteger": (1, None, True), XSD + "nonPositiveInteger": (None, 0, True),
    XSD + "negativeInteger": (None, -1, True), XSD + "long": (-2**63, 2**63 - 1, True),
    XSD + "int": (-2**31, 2**31 - 1, True), XSD + "short": (-2**15, 2**15 - 1, True),
    XSD + "byte": (-128, 127, True), XSD + "unsignedLong": (0, 2**64 - 1, True),
    XSD + "unsignedInt": (0, 2**32 - 1, True), XSD + "unsignedShort": (0, 2**16 - 1, True),
    XSD + "unsignedByte": (0, 255, True),
}
_STRINGS = {XSD + "string", XSD + "normalizedString", XSD + "token", RDF_NS + "PlainLiteral"}
SUPPORTED_DATATYPES = set(_NUMERIC) | _STRINGS | {XSD + "boolean", XSD + "double", XSD + "float", XSD + "anyURI",
                                                  RDFS_LITERAL, RDF_NS + "langString"}
FACETS = {XSD + "minInclusive", XSD + "maxInclusive", XSD + "minExclusive", XSD + "maxExclusive"}

# a value in its value space: ("num", Fraction) | ("bool", bool) | ("str", text) | ("lang", text, tag)
# | ("double", float) | ("float", float) | ("uri", text) | ("bad", datatype, lexical): ill-typed
Value = tuple
# a literal as stored in the compiled form: (lexical, datatype IRI or "", language or "")
Lit = tuple[str, str, str]
# a data range: ("dt", datatype) | ("facet", datatype, ((facet, lexical), ...))
DataRange = tuple


def _number(lexical: str) -> Fraction | None:
    text = lexical.strip()
    try:
        if any(c in text for c in "eEnN"):  # no exponent or NaN/INF in the decimal lexical space
            return None
        return Fraction(text)
    except (ValueError, ZeroDivisionError):
        return None


def value_of(lit: Lit) -> Value:
    """The value-space value of a literal (ill-typed literals keep a 'bad' marker)."""
    lexical, datatype, lang = lit
    if lang:
        return ("lang", lexical, lang.lower())
    if not datatype or datatype in _STRINGS:
        return ("str", lexical)
    if datatype in _NUMERIC:
        num = _number(lexical)
        if num is None or not in_numeric(datatype, num):
            return ("bad", datatype, lexical)
        return ("num", num)
    if datatype == XSD + "boolean":
        text = lexical.strip()
        if text in ("true", "1"):
            return ("bool", True)
        if text in ("false", "0"):
            return ("bool", False)
        return ("bad", datatype, lexical)
    if datatype in (XSD + "double", XSD + "float"):
        try:
            return (datatype.rsplit("#", 1)[1], float(lexical.strip().replace("INF", "inf")))
        except ValueError:
            return ("bad", datatype, lexical)
    if datatype == XSD + "anyURI":
        return ("uri", lexical)
    return ("other", datatype, lexical)


def in_numeric(datatype: str, num: Fraction) -> bool:
    low, high, integral = _NUMERIC[datatype]
    if integral and num.denominator != 1:
        return False
    return (low is None or num >= low) and (high is None or num <= high)


def in_datatype(datatype: str, value: Value) -> bool:
    """Is the value in the datatype's value space?"""
    kind = value[0]
    if datatype == RDFS_LITERAL:
        return kind != "bad"
    if datatype in _NUMERIC:
        return kind == "num" and in_numeric(datatype, value[1])
    if datatype in _STRINGS:
        return kind == "str" or (datatype == RDF_NS + "PlainLiteral" and kind == "lang")
    if datatype == RDF_NS + "langString":
        return kind == "lang"
    if datatype == XSD + "boolean":
        return kind == "bool"
    if datatype == XSD + "double":
        return kind == "double"
    if datatype == XSD + "float":
        return kind == "float"
    if datatype == XSD + "anyURI":
        return kind == "uri"
    return kind == "other" and value[1] == datatype


def in_range(dr: DataRange, value: Value) -> bool:
    """Is the value in the data range (a datatype, or a decimal-family datatype with bound facets)?"""
    if not in_datatype(dr[1], value):
        return False
    if dr[0] == "dt":
        return True
    num = value[1]
    for facet, lexical in dr[2]:
        bound = Fraction(lexical)
        name = facet.rsplit("#", 1)[1]
        if ((name == "minInclusive" and not num >= bound) or (name == "maxInclusive" and not num <= bound)
                or (name == "minExclusive" and not num > bound) or (name == "maxExclusive" and not num < bound)):
            return False
    return True




def _family(datatype: str) -> str:
    if datatype in _NUMERIC:
        return "num"
    if datatype in _STRINGS:
        return "str"
    if datatype == RDFS_LITERAL:
        return "any"
    return datatype


def ranges_intersect(ranges: list[DataRange]) -> bool:
    """Can one value lie in all these data ranges (datatypes, decimal-family facets)?"""
    families = {_family(dr[1]) for dr in ranges} - {"any"}
    if len(families) > 1:
        if families == {"str", RDF_NS + "langString"} or families <= {"str", RDF_NS + "PlainLiteral"}:
            return True
        return False
    if families != {"num"}:
        return True
    low: tuple[Fraction, bool] | None = None   # (bound, inclusive)
    high: tuple[Fraction, bool] | None = None
    integral = False

    def tighten_low(b: Fraction, inc: bool) -> None:
        nonlocal low
        if low is None or b > low[0] or (b == low[0] and not inc):
            low = (b, inc)

    def tighten_high(b: Fraction, inc: bool) -> None:
        nonlocal high
        if high is None or b < high[0] or (b == high[0] and not inc):
            high = (b, inc)
    for dr in ranges:
        if dr[1] == RDFS_LITERAL:
            continue
        lo, hi, whole = _NUMERIC[dr[1]]
        integral |= whole
        if lo is not None:
            tighten_low(Fraction(lo), True)
        if hi is not None:
            tighten_high(Fraction(hi), True)
        if dr[0] == "facet":
            for facet, lexical in dr[2]:
                name, bound = facet.rsplit("#", 1)[1], Fraction(lexical)
                if name.startswith("min"):
                    tighten_low(bound, name == "minInclusive")
                else:
                    tighten_high(bound, name == "maxInclusive")
    if low is None or high is None:
        return True
    if integral:
        first = low[0].__ceil__() if low[1] else (low[0].__floor__() + 1)
        last = high[0].__floor__() if high[1] else (high[0].__ceil__() - 1)
        return first <= last
    return low[0] < high[0] or (low[0] == high[0] and low[1] and high[1])


_NEGATE = {"minInclusive": "maxExclusive", "maxInclusive": "minExclusive",
           "minExclusive": "maxInclusive", "maxExclusive": "minInclusive"}


def range_within(ranges: list[DataRange], target: DataRange) -> bool:
    """Does every value lying in all the ranges lie in the target range as well?"""
    if not ranges_intersect(ranges):
        return True
    fams = {_family(dr[1]) for dr in ranges} - {"any"}
    target_family = _family(target[1])
    if target_family == "any":
        return True
    if fams != {target_family}:
        return False
    if target_family != "num":
        return target[0] == "dt" and target[1] in (XSD + "string", XSD + "boolean", XSD + "double", XSD + "float",
                                                   XSD + "anyURI") or target[1] == next(iter(fams))
    # numeric: the target's own datatype bounds and facets, each negated, must leave nothing
    lo, hi, integral = _NUMERIC[target[1]]
    pieces: list[tuple[str, str]] = list(target[2]) if target[0] == "facet" else []
    if lo is not None:
        pieces.append((XSD + "minInclusive", str(lo)))
    if hi is not None:
        pieces.append((XSD + "maxInclusive", str(hi)))
    for facet, lexical in pieces:
        name = facet.rsplit("#", 1)[1]
        outside = ("facet", XSD + "decimal", ((XSD + _NEGATE[name], lexical),))
        if ranges_intersect([*ranges, outside]):
            return False
    if integral and not any(_NUMERIC[dr[1]][2] for dr in ranges if dr[1] in _NUMERIC):
        return False
    return True
