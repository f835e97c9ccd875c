"""Case sheets as one flat table: a row per case, a column per case key (docs/cohorts.md).

Columns are the dotted keys of the case-sheet contract (``age``, ``labs.crclMlMin``,
``limbs.left.signs.cyanosis``), plus

- ``id``: the case id;
- ``limbs.{side}.given``: true when the sheet gives that leg (an absent leg was not examined);
- ``limbs.{side}.veins``: the thrombus list, a list of vein names; an empty list is an imaged
  leg without thrombus, null is "imaging unknown" (the sheet's ``"veins": null``);
- ``codes``: the sheet's ``codes`` list as JSON text (null when absent);
- ``notes``: free text, ignored;
- ``extra``: any key the contract does not know, as JSON text (such a case is then checked
  by the single-case path, which names the key).

Days-or-none keys (``bleeding.intracranialEventDaysAgo`` ...) are text in Parquet: ``"none"``
or the whole number of days (``"12"``), since one Parquet column has one type.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Iterable, Iterator

from dvtkg.cases.keys import KeyTable
from dvtkg.cases.vocab import SIDES

STRUCTURAL = ("id", "codes", "notes", "extra")


def columns(keys: KeyTable) -> list[str]:
    """Every column of the flat form, in a fixed order."""
    out = ["id", *sorted(keys.patient)]
    for side in SIDES:
        out += [f"limbs.{side}.given", f"limbs.{side}.veins", *(f"limbs.{side}.{k}" for k in sorted(keys.limb))]
    return [*out, "codes", "notes", "extra"]


def column_kinds(keys: KeyTable) -> dict[str, str]:
    """The key kind (``KeySpec.kind``) of every key column of the flat form."""
    kinds = {k: s.kind for k, s in keys.patient.items()}
    for side in SIDES:
        kinds.update({f"limbs.{side}.{k}": s.kind for k, s in keys.limb.items()})
    return kinds


def _flatten(obj: dict[str, Any], prefix: str, out: dict[str, Any]) -> None:
    for name, value in obj.items():
        if isinstance(value, dict) and value:
            _flatten(value, f"{prefix}{name}.", out)
        else:
            out[f"{prefix}{name}"] = value


def sheet_to_row(sheet: dict[str, Any], keys: KeyTable) -> dict[str, Any]:
    """One case sheet as a flat row; what the flat form cannot carry goes to ``extra``."""
    row: dict[str, Any] = {"id": sheet.get("id")}
    extra: dict[str, Any] = {}
    flat: dict[str, Any] = {}
    for name, value in sheet.items():
        if name in ("id", "limbs", "codes", "notes"):
            continue
        if isinstance(value, dict) and value:
            _flatten(value, name + ".", flat)
        else:
            flat[name] = value
    for key, value in flat.items():
        spec = keys.patient.get(key)
        (row if spec is not None and fits(spec.kind, value) else extra)[key] = value
    limbs = sheet.get("limbs")
    if isinstance(limbs, dict):
        for side, limb in limbs.items():
            if side not in SIDES or not isinstance(limb, dict):
                if limb is not None:
                    extra[f"limbs.{side}"] = limb
                continue
            row[f"limbs.{side}.given"] = True
            row[f"limbs.{side}.veins"] = limb.get("veins", [])
            inner: dict[str, Any] = {}
            _flatten({k: v for k, v in limb.items() if k != "veins"}, "", inner)
            veins = row[f"limbs.{side}.veins"]
            if veins is not None and not (isinstance(veins, list) and all(isinstance(v, str) for v in veins)):
                row[f"limbs.{side}.veins"] = None
                extra[f"limbs.{side}.veins"] = veins
            for key, value in inner.items():
                spec = keys.limb.get(key)
                if spec is not None and fits(spec.kind, value):
                    row[f"limbs.{side}.{key}"] = value
                else:
                    extra[f"limbs.{side}.{key}"] = value
    elif limbs is not None:
        extra["limbs"] = limbs
    if sheet.get("codes") is not None:
        row["codes"] = json.dumps(sheet["codes"])
    if sheet.get("notes") is not None:
        row["notes"] = sheet["notes"] if isinstance(sheet["notes"], str) else json.dumps(sheet["notes"])
    if extra:
        row["extra"] = json.dumps(extra, sort_keys=True, default=str)
    return row


def fits(kind: str, value: Any) -> bool:
    """Can the value sit in its key's Parquet column? (Otherwise it travels in ``extra``, to be judged.)"""
    if value is None:
        return True
    if kind == "boolean":
        return isinstance(value, bool)
    if kind in ("integer", "number"):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not abs(value) < 2**53:
            return False
        return kind == "number" or float(value).is_integer()
    if kind == "days-or-none":
        return isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))
    return isinstance(value, str)


def _unnull(value: Any) -> Any:
    """Parquet/pandas nulls (None, NaN, pd.NA) as None; numpy scalars as Python values."""
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if type(value).__name__ in ("NAType", "NaTType"):
        return None
    if hasattr(value, "item") and not isinstance(value, (list, tuple, str)) and getattr(value, "ndim", 1) == 0:
        return value.item()
    return value


def row_to_sheet(row: dict[str, Any], keys: KeyTable) -> dict[str, Any]:
    """A flat row back to a case sheet (for the single-case path)."""
    sheet: dict[str, Any] = {}

    def put(target: dict[str, Any], dotted: str, value: Any) -> None:
        parts = dotted.split(".")
        for p in parts[:-1]:
            target = target.setdefault(p, {})
        target[parts[-1]] = value
    if _unnull(row.get("id")) is not None:
        sheet["id"] = _unnull(row["id"])
    for key, spec in keys.patient.items():
        value = decode_value(spec.kind, _unnull(row.get(key)))
        if value is not None:
            put(sheet, key, value)
    for side in SIDES:
        if not _unnull(row.get(f"limbs.{side}.given")):
            continue
        limb: dict[str, Any] = {}
        veins = row.get(f"limbs.{side}.veins")
        limb["veins"] = None if veins is None or _unnull(veins) is None else [str(v) for v in veins]
        for key, spec in keys.limb.items():
            value = decode_value(spec.kind, _unnull(row.get(f"limbs.{side}.{key}")))
            if value is not None:
                put(limb, key, value)
        sheet.setdefault("limbs", {})[side] = limb
    for name in ("codes", "extra"):
        text = _unnull(row.get(name))
        if text is not None:
            data = json.loads(text)
            if name == "codes":
                sheet["codes"] = data
            else:
                for key, value in data.items():
                    put(sheet, key, value)
    if _unnull(row.get("notes")) is not None:
        sheet["notes"] = row["notes"]
    return sheet


def decode_value(kind: str, value: Any) -> Any:
    """A Parquet cell as the sheet's JSON value: days-or-none text to a number, integral floats of integer keys."""
    if value is None:
        return None
    if kind == "days-or-none" and isinstance(value, str) and value != "none":
        text = value.strip()
        if text.lstrip("-").isdigit():
            return int(text)
        return value
    if kind in ("integer", "days-or-none") and isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def encode_value(kind: str, value: Any) -> Any:
    """A sheet value as its Parquet cell (days-or-none as text)."""
    if value is None:
        return None
    if kind == "days-or-none":
        return value if isinstance(value, str) else str(value)
    return value


def read_sheets(path: Path) -> Iterator[tuple[str, Any]]:
    """(source, sheet or error text) from a folder of .json sheets or an NDJSON file."""
    if path.is_dir():
        for f in sorted(path.rglob("*.json")):
            try:
                yield str(f), json.loads(f.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
                yield str(f), f"not a JSON case sheet: {exc}"
        return
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                yield f"{path}:{n}", json.loads(line)
            except json.JSONDecodeError as exc:
                yield f"{path}:{n}", f"not a JSON case sheet: {exc}"


def rows_table(rows: Iterable[dict[str, Any]], keys: KeyTable):  # -> pyarrow.Table
    """Flat rows as an Arrow table with the documented column types."""
    import pyarrow as pa

    kinds = column_kinds(keys)
    data: dict[str, list[Any]] = {c: [] for c in columns(keys)}
    for row in rows:
        for c, values in data.items():
            v = row.get(c)
            values.append(encode_value(kinds[c], v) if c in kinds else v)
    arrays = {}
    for c, values in data.items():
        kind = kinds.get(c)
        if c.endswith(".veins"):
            typ = pa.list_(pa.string())
        elif c.endswith(".given"):
            typ = pa.bool_()
        elif kind == "boolean":
            typ = pa.bool_()
        elif kind == "integer":
            typ = pa.int64()
        elif kind == "number":
            typ = pa.float64()
            values = [float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v for v in values]
        else:
            typ = pa.string()
        try:
            arrays[c] = pa.array(values, type=typ)
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, OverflowError):
            # a value of the wrong type: kept as JSON text so that validation names it
            arrays[c] = pa.array([None if v is None else json.dumps(v) for v in values], type=pa.string())
    return pa.table(arrays)
