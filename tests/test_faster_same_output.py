"""Code made faster gives exactly what the plain code gave.

The fast JSON writer (dvtkg.assessment.jsonout) writes exactly the bytes of json.dumps(indent=2);
the control-character test of case sheets (a regular expression) is exactly Unicode category Cc.

orjson is used only where it writes the same text; these tests compare the two writers on every
example case (with and without the measured seconds), on generated cases, and on the values where
orjson would differ (tiny and non-finite floats, non-string keys, lone surrogates, huge ints).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from dvtkg.assessment.jsonout import assessment_json, dumps
from dvtkg.casegen import generate_case
from dvtkg.lean.assess import LeanAssessor

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples" / "cases").glob("*.json"))


def reference(doc: Any) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=False)


@pytest.fixture(scope="module")
def lean() -> LeanAssessor:
    return LeanAssessor(ROOT)


def test_every_example_gives_the_json_dumps_bytes(lean: LeanAssessor) -> None:
    for path in EXAMPLES:
        a = lean.assess(path)
        for timings in (False, True):
            assert assessment_json(a, with_timings=timings) == reference(a.to_dict(with_timings=timings)), path.stem


def test_generated_cases_give_the_json_dumps_bytes(lean: LeanAssessor) -> None:
    for i in range(60):
        a = lean.assess(generate_case(i))
        assert assessment_json(a) == reference(a.to_dict(with_timings=False)), i


@pytest.mark.parametrize("value", [
    1e-05, -3.5e-07, 0.0001, 0.0, -0.0, 1.5, 0.1 + 0.2, 1e16, 1e22, float("nan"), float("inf"), -float("inf"),
    2 ** 63, 2 ** 64, -(2 ** 63) - 1, 10 ** 30, "\ud800 lone surrogate", "\x01\x1f\x7f\u2028 é 😀 \"\\",
    {1: "int key"}, {"a": [], "b": {}, "c": [[]]}, [], {}, None, True, (1, "tuple"),
])
def test_values_where_orjson_differs_fall_back_to_json(value: Any) -> None:
    doc = {"engine": {"x": value}, "list": [value, {"nested": value}]}
    assert dumps(doc) == reference(doc)


def test_an_assessment_with_an_odd_value_outside_the_items_falls_back(lean: LeanAssessor) -> None:
    a = lean.assess(EXAMPLES[0])
    a.engine = {**a.engine, "tiny": 1e-07, "nan": float("nan")}
    assert assessment_json(a, with_timings=True) == reference(a.to_dict())
    a.recommendations[0].strength_rank = 1e-05  # type: ignore[assignment]  # a rank is an int: still the same text
    assert assessment_json(a, with_timings=True) == reference(a.to_dict())


def test_the_control_character_test_is_unicode_category_cc() -> None:
    """dvtkg.cases.strictjson.has_control (a regular expression) finds exactly the code points of
    general category Cc, with tab, newline and carriage return allowed when asked."""
    import sys
    import unicodedata

    from dvtkg.cases.strictjson import has_control

    for code in range(sys.maxunicode + 1):
        ch = chr(code)
        control = unicodedata.category(ch) == "Cc"
        assert has_control(f"a{ch}b") is control, hex(code)
        assert has_control(f"a{ch}b", allow_whitespace=True) is (control and ch not in "\t\n\r"), hex(code)
