"""The assessment JSON as text: byte for byte ``json.dumps(doc, indent=2, ensure_ascii=False)``, faster.

``json.dumps`` with an indent runs the pure-Python encoder, a third of a lean case's time. orjson
(``OPT_INDENT_2``) writes the same bytes for what an assessment holds (strings, ints, lists,
dicts, None, booleans, ordinary floats), in the same key order. Where the two differ it is not
used: a float that json writes in exponent form below 1e-4 (``1e-05``; orjson writes ``0.00001``)
or that is not finite (json: ``NaN``; orjson: ``null``), a non-string key, a lone surrogate, an
integer beyond 64 bits, a type orjson serialises and json refuses (then json raises, as before).
tests/test_faster_same_output.py compares the two on every example and on generated cases.

Checking a whole document for those values costs eight times orjson's own work, so
:func:`assessment_json` checks every part of an assessment but its recommendation items, whose
fields are typed strings, lists of strings, string dicts and (rank) ints: only those ints are checked.
"""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dvtkg.assessment.model import Assessment

try:
    import orjson
except ImportError:  # pragma: no cover - orjson is a pinned dependency; json alone gives the same text
    orjson = None  # type: ignore[assignment]

def _orjson_safe(value: Any) -> bool:
    """Whether orjson writes ``value`` exactly as json.dumps does (see the module docstring)."""
    stack = [value]
    while stack:
        x = stack.pop()
        t = type(x)
        if t is str or t is bool or x is None:
            continue
        if t is dict:
            for k, v in x.items():
                if type(k) is not str:
                    return False
                if type(v) is not str:
                    stack.append(v)
        elif t is list or t is tuple:
            stack.extend(v for v in x if type(v) is not str)
        elif t is int:
            if not -(1 << 63) <= x < (1 << 64):
                return False
        elif t is float:
            if not math.isfinite(x) or (x != 0.0 and abs(x) < 1e-4) or abs(x) >= 1e16:
                return False
        else:
            return False
    return True


def dumps(doc: Any) -> str:
    """``json.dumps(doc, indent=2, ensure_ascii=False)``, through orjson where that gives the same text."""
    if orjson is not None and _orjson_safe(doc):
        try:
            return orjson.dumps(doc, option=orjson.OPT_INDENT_2).decode("utf-8")
        except (TypeError, UnicodeError):  # e.g. a lone surrogate: json writes it, orjson refuses
            pass
    return json.dumps(doc, indent=2, ensure_ascii=False)


def assessment_json(assessment: Assessment, with_timings: bool = False) -> str:
    """The CLI's ``--format json`` text of an assessment (``json.dumps(..., indent=2, ensure_ascii=False)``)."""
    doc = assessment.to_dict(with_timings=with_timings)
    if orjson is not None:
        rest = {k: v for k, v in doc.items() if k != "recommendations"}
        typed = all(type(r.strength_rank) in _RANK and type(r.certainty_rank) in _RANK
                    for r in assessment.recommendations)
        if typed and _orjson_safe(rest):
            try:
                return orjson.dumps(doc, option=orjson.OPT_INDENT_2).decode("utf-8")
            except (TypeError, UnicodeError):
                pass
    return json.dumps(doc, indent=2, ensure_ascii=False)


_RANK = (int, type(None))
