"""The committed reference answers of the whole-assessment differential (dvtkg.fast.wholejson) can
never hide a difference: a record stands in for the reference engine only when the fast engine's
answer has the recorded hash; otherwise, or when the record is drawn for the live sample, the
reference runs and decides, and a record it contradicts is reported stale (the test then fails).
Stand-in engines: the property is about the bookkeeping, not about either engine."""

from __future__ import annotations

from typing import Any

from dvtkg.fast import wholejson

SHEET = {"id": "s1", "age": 70, "limbs": {"left": {"veins": ["popliteal"]}}}


class Assessment:
    def __init__(self, d: dict[str, Any]) -> None:
        self.d = d

    def to_dict(self) -> dict[str, Any]:
        return self.d


class Engine:
    """Answers every sheet with the same statement status; counts its runs."""

    def __init__(self, engine: str, status: str) -> None:
        self.engine, self.status, self.runs = engine, status, 0

    def assess(self, sheet: dict[str, Any]) -> Assessment:
        self.runs += 1
        return Assessment({"engine": {"engine": self.engine, "stageSeconds": {"x": 0.1 * self.runs}},
                           "statements": [{"id": "r1", "status": self.status}]})


def _hash(status: str) -> str:
    return wholejson.answer_hash(wholejson.answer(Engine("reference", status), SHEET))  # type: ignore[arg-type]


def test_a_record_equal_to_the_fast_answer_stands_in_for_the_reference() -> None:
    fast, ref = Engine("fast", "applies"), Engine("reference", "applies")
    out = wholejson.compare_sheet(fast, ref, "s1", SHEET, recorded=_hash("applies"))  # type: ignore[arg-type]
    assert out.same and out.recorded and not out.stale
    assert ref.runs == 0


def test_a_record_the_fast_answer_differs_from_makes_the_reference_run_and_decide() -> None:
    # the fast engine differs from the record, and the live reference agrees with the fast engine: stale record
    fast, ref = Engine("fast", "applies"), Engine("reference", "applies")
    out = wholejson.compare_sheet(fast, ref, "s1", SHEET, recorded=_hash("not applicable"))  # type: ignore[arg-type]
    assert ref.runs == 1 and out.same and out.stale and not out.recorded
    # the fast engine differs from the record, and from the live reference too: a mismatch, never hidden
    fast, ref = Engine("fast", "applies"), Engine("reference", "not applicable")
    out = wholejson.compare_sheet(fast, ref, "s1", SHEET, recorded=_hash("not applicable"))  # type: ignore[arg-type]
    assert ref.runs == 1 and not out.same and not out.stale
    assert "applies" in out.diff and "not applicable" in out.diff


def test_a_sampled_record_is_checked_live_and_a_doctored_one_is_found() -> None:
    # doctored: the record says what the fast engine says, the reference says otherwise
    fast, ref = Engine("fast", "applies"), Engine("reference", "not applicable")
    out = wholejson.compare_sheet(fast, ref, "s1", SHEET, recorded=_hash("applies"),  # type: ignore[arg-type]
                                  trust_record=False)
    assert ref.runs == 1 and out.stale and not out.same


def test_without_a_record_the_reference_runs() -> None:
    fast, ref = Engine("fast", "applies"), Engine("reference", "applies")
    out = wholejson.compare_sheet(fast, ref, "s1", SHEET)  # type: ignore[arg-type]
    assert ref.runs == 1 and out.same and not out.stale and out.reference_answer


def test_the_engine_only_fields_do_not_count_and_sheet_keys_ignore_key_order() -> None:
    assert _hash("applies") == wholejson.answer_hash(wholejson.answer(Engine("fast", "applies"), SHEET))  # type: ignore[arg-type]
    assert wholejson.sheet_key({"a": 1, "b": {"c": 2, "d": 3}}) == wholejson.sheet_key({"b": {"d": 3, "c": 2}, "a": 1})
    assert wholejson.sheet_key({"a": 1}) != wholejson.sheet_key({"a": 2})
