"""Read untrusted JSON strictly: no NaN/Infinity, no duplicate keys, bounded nesting.

Python's ``json`` accepts ``NaN`` and ``Infinity`` (not JSON), lets the last of two
equal keys win silently, and recurses once per nesting level. Here every non-finite
number and every repeated key is reported with its dotted key (a violation of the case
contract: exit code 1), and a document nested deeper than :data:`MAX_DEPTH` levels is
refused as unreadable (exit code 2) before Python's recursion limit is reached.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from dvtkg.cases.errors import CaseInputError, Violation

#: A case sheet is four levels deep at most (limbs.left.signs.cyanosis); JSON-LD a little more.
MAX_DEPTH = 32
#: Keys whose strings become identifiers: not even tab or newline.
STRICT_KEYS = frozenset({"id", "@id"})


class NonFinite:
    """Stands for a NaN / Infinity found in the text until its key is known."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


class StrictObject(dict):
    """A JSON object that remembers the keys given more than once."""

    duplicates: tuple[str, ...] = ()


def _pairs(pairs: list[tuple[str, Any]]) -> StrictObject:
    obj = StrictObject()
    dups: list[str] = []
    for key, value in pairs:
        if key in obj:
            dups.append(key)
        obj[key] = value
    obj.duplicates = tuple(dups)
    return obj


def _float(text: str) -> float | NonFinite:
    value = float(text)
    return value if math.isfinite(value) else NonFinite(text)


def _depth(text: str) -> int:
    """The deepest bracket nesting of a JSON text (brackets inside strings not counted)."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > MAX_DEPTH:
                    return deepest
        elif ch in "]}":
            depth -= 1
    return deepest


def parse_json(text: str, source: str) -> Any:
    """The JSON value of ``text``; CaseInputError (exit 2) when it is not JSON or nested too deep."""
    if _depth(text) > MAX_DEPTH:
        raise CaseInputError(source, f"JSON nested more than {MAX_DEPTH} levels deep; a case sheet is not")
    try:
        return json.loads(text, object_pairs_hook=_pairs, parse_float=_float, parse_constant=NonFinite)
    except json.JSONDecodeError as exc:
        raise CaseInputError(source, f"line {exc.lineno} column {exc.colno}: not valid JSON ({exc.msg})") from None
    except (ValueError, RecursionError, MemoryError) as exc:  # e.g. an integer of more than 4300 digits
        raise CaseInputError(source, f"not readable as JSON ({type(exc).__name__}: {str(exc)[:200]})") from None


# the Unicode control characters (general category Cc: U+0000-U+001F and U+007F-U+009F; a test checks
# this against unicodedata), and the same without tab, newline and carriage return
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_CONTROL_NOT_WHITESPACE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def has_control(text: str, allow_whitespace: bool = False) -> bool:
    """True when ``text`` holds a control character (tab, newline, CR allowed only if asked)."""
    return (_CONTROL_NOT_WHITESPACE if allow_whitespace else _CONTROL).search(text) is not None


def json_violations(value: Any, prefix: str = "") -> list[Violation]:
    """Non-finite numbers, repeated keys and control characters in strings, by dotted key."""
    out: list[Violation] = []
    stack: list[tuple[str, Any]] = [(prefix, value)]
    while stack:
        key, item = stack.pop()
        shown = key or "(top level)"
        if isinstance(item, NonFinite) or (isinstance(item, float) and not math.isfinite(item)):
            out.append(Violation(shown, "must be a finite number: NaN and Infinity are not JSON", repr(item)))
        elif isinstance(item, str):
            if has_control(item, allow_whitespace=key not in STRICT_KEYS):
                out.append(Violation(shown, "must not contain control characters", repr(item)[:60]))
        elif isinstance(item, dict):
            for dup in getattr(item, "duplicates", ()):
                out.append(Violation(f"{key}.{dup}" if key else dup,
                                     "is given more than once in the same object (JSON keys must be unique)"))
            for name, sub in item.items():
                if not isinstance(name, str):
                    out.append(Violation(repr(name)[:60], "a key must be a string"))
                    continue
                if has_control(name):
                    out.append(Violation(repr(name)[:60], "a key must not contain control characters"))
                stack.append((f"{key}.{name}" if key else name, sub))
        elif isinstance(item, list):
            for i, sub in enumerate(item):
                stack.append((f"{key}[{i}]", sub))
    return sorted(set(out), key=lambda v: (v.key, v.rule, v.value))


def plain(value: Any) -> Any:
    """The same JSON value with plain dicts (for code that serialises or compares it)."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value
