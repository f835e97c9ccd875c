"""Map a case sheet (the JSON contract of docs/case-format.md) to a case graph.

Unknown (a key omitted or null) adds no triple at all, so it can never be read as
false. Values are written with the literal type their JSON form has; the case shapes
then reject a wrong type or an out-of-range value naming the key. Keys the contract
does not know are violations here, since the graph could not carry them.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from dvtkg.cases.contract import FREE_TEXT_KEYS, LAYOUT_KEYS, VEIN_NAMES
from dvtkg.cases.errors import Violation
from dvtkg.cases.store import DVT, DVTV, RDF_TYPE, SIDES, XSD, FactStore, Lit, case_base, limb_iri, patient_iri

if TYPE_CHECKING:
    from rdflib import Graph

    from dvtkg.cases.keys import KeySpec, KeyTable

# the sheet's layout and free-text keys (generated from the case module): not facts of the key table
EXTRA_TOP = {k for k in LAYOUT_KEYS | FREE_TEXT_KEYS if "." not in k}   # id, limbs, codes, notes
LIMB_EXTRA = {k.rsplit(".", 1)[-1] for k in LAYOUT_KEYS if k.startswith("limbs.{limb}.")}   # veins
__all__ = ["VEIN_NAMES", "sheet_to_graph"]


def _literal(spec: KeySpec, value: Any) -> Lit:
    """The literal for a JSON value, typed by its JSON type (shapes judge it)."""
    if isinstance(value, bool):
        return Lit.of(value)
    if isinstance(value, int):
        if spec.kind == "integer" or spec.kind == "days-or-none":
            return Lit(value, XSD + "integer")
        return Lit(Decimal(value), XSD + "decimal")
    if isinstance(value, float):
        if (spec.kind in ("integer", "days-or-none")) and value.is_integer():
            return Lit(int(value), XSD + "integer")
        return Lit(Decimal(repr(value)), XSD + "decimal")
    if isinstance(value, str):
        return Lit.of(value)
    return Lit.of(str(value))


def _flatten(obj: dict[str, Any], prefix: str, out: dict[str, Any], violations: list[Violation]) -> None:
    for name, value in obj.items():
        key = f"{prefix}{name}"
        if isinstance(value, dict):
            _flatten(value, key + ".", out, violations)
        else:
            out[key] = value


def _add_fact(g: FactStore, subject: str, spec: KeySpec, value: Any, shown_key: str,
              violations: list[Violation]) -> None:
    if value is None:
        return
    if isinstance(value, (list, dict)):
        violations.append(Violation(shown_key, "must be a single value, not a list or object", _short(value)))
        return
    if spec.kind == "days-or-none":
        if value == "none":
            g.add(subject, str(spec.flag_prop), Lit.of(False))
            return
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            g.add(subject, str(spec.flag_prop), Lit.of(True))
    g.add(subject, str(spec.prop), _literal(spec, value))


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def sheet_to_graph(sheet: dict[str, Any], keys: KeyTable) -> tuple[Graph, list[Violation]]:
    """Return the asserted case graph of a case sheet and the structural violations."""
    from rdflib import Namespace

    from dvtkg.cases.store_rdf import store_to_graph

    store, violations = sheet_to_store(sheet, keys)
    g = store_to_graph(store)
    g.bind("dvt", Namespace(DVT))
    g.bind("dvtv", Namespace(DVTV))
    ident = store.value(next(iter(store.subjects(RDF_TYPE, DVT + "Patient"))), DVT + "caseIdentifier")
    g.bind("case", Namespace(case_base(str(ident))))
    return g, violations


def sheet_to_store(sheet: dict[str, Any], keys: KeyTable) -> tuple[FactStore, list[Violation]]:
    """The asserted facts of a case sheet (as a :class:`FactStore`) and the structural violations."""
    violations: list[Violation] = []
    g = FactStore()
    case_id = sheet.get("id")
    if not isinstance(case_id, str) or not case_id.strip():
        violations.append(Violation("id", "is required: a non-empty string naming the case", _short(case_id)))
        case_id = "unnamed"
    patient = patient_iri(case_id)
    g.add(patient, RDF_TYPE, DVT + "Patient")
    g.add(patient, DVT + "caseIdentifier", Lit.of(case_id))

    flat: dict[str, Any] = {}
    for name, value in sheet.items():
        if name in EXTRA_TOP:
            continue
        if isinstance(value, dict):
            _flatten(value, name + ".", flat, violations)
        else:
            flat[name] = value
    for key, value in sorted(flat.items()):
        spec = keys.patient.get(key)
        if spec is None:
            violations.append(Violation(key, "is not a case-sheet key (see docs/case-format.md)"))
            continue
        _add_fact(g, patient, spec, value, key, violations)

    limbs = sheet.get("limbs")
    if limbs is not None:
        if not isinstance(limbs, dict):
            violations.append(Violation("limbs", "must be an object with 'left' and/or 'right'", _short(limbs)))
        else:
            for side, limb in limbs.items():
                if side not in SIDES:
                    violations.append(Violation(f"limbs.{side}", "is not a limb: use 'left' or 'right'"))
                    continue
                if limb is None:
                    continue
                if not isinstance(limb, dict):
                    violations.append(Violation(f"limbs.{side}", "must be an object", _short(limb)))
                    continue
                _limb_to_graph(g, case_id, patient, side, limb, keys, violations)

    codes = sheet.get("codes")
    if codes is not None:
        if not isinstance(codes, list):
            violations.append(Violation("codes", "must be a list of {system, code} objects", _short(codes)))
        else:
            ns = case_base(case_id)
            for i, item in enumerate(codes):
                where = f"codes[{i}]"
                if not isinstance(item, dict) or set(item) - {"system", "code", "display"}:
                    violations.append(Violation(where, "must be an object with 'system' and 'code'", _short(item)))
                    continue
                node = f"{ns}code-{i + 1}"
                g.add(patient, DVT + "hasCodedDiagnosis", node)
                g.add(node, RDF_TYPE, DVT + "CodedDiagnosis")
                if item.get("system") is not None:
                    g.add(node, DVT + "codeSystem", Lit(str(item["system"]), XSD + "anyURI"))
                if item.get("code") is not None:
                    g.add(node, DVT + "codeValue", _json_literal(item["code"]))
    return g, violations


def _json_literal(value: Any) -> Lit:
    """A JSON scalar as rdflib's ``Literal(value)`` types it (int xsd:integer, float xsd:double)."""
    if isinstance(value, bool) or isinstance(value, str):
        return Lit.of(value)
    if isinstance(value, int):
        return Lit(value, XSD + "integer")
    if isinstance(value, float):
        return Lit(value, XSD + "double")
    return Lit.of(str(value))


def _limb_to_graph(g: FactStore, case_id: str, patient: str, side: str, limb: dict[str, Any],
                   keys: KeyTable, violations: list[Violation]) -> None:
    node = limb_iri(case_id, side)
    g.add(node, RDF_TYPE, DVT + "Limb")
    g.add(node, DVT + "laterality", DVTV + side)
    g.add(patient, DVT + "hasLimb", node)
    g.add(node, DVT + "limbOf", patient)
    veins = limb.get("veins", [])
    if veins is None:
        g.add(node, DVT + "imagingIncomplete", Lit.of(True))
    elif not isinstance(veins, list):
        violations.append(Violation(f"limbs.{side}.veins", "must be a list of vein segment names", _short(veins)))
    else:
        for vein in veins:
            if not isinstance(vein, str):
                violations.append(Violation(f"limbs.{side}.veins", "must list vein names as strings", _short(vein)))
                continue
            g.add(node, DVT + "hasThrombusIn", f"{DVTV}vein-{vein}")
    flat: dict[str, Any] = {}
    for name, value in limb.items():
        if name in LIMB_EXTRA:
            continue
        if isinstance(value, dict):
            _flatten(value, name + ".", flat, violations)
        else:
            flat[name] = value
    for key, value in sorted(flat.items()):
        spec = keys.limb.get(key)
        if spec is None:
            violations.append(Violation(f"limbs.{side}.{key}", "is not a case-sheet key (see docs/case-format.md)"))
            continue
        _add_fact(g, node, spec, value, f"limbs.{side}.{key}", violations)
