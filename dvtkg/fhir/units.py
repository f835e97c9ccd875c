"""UCUM unit conversion for FHIR Quantities, through ucumvert (a UCUM grammar on top of pint).

No conversion factor is written here: the UCUM definitions do the work, and a molar
concentration becomes a mass concentration only with the molar mass the ontology gives.
Pint computes in floating point; results are rounded to 10 significant digits so that
float noise (0.23000000000000007) never moves a value across a threshold, while every
real difference in the input is kept.
"""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from typing import Any


class UnitError(ValueError):
    """A unit that is not UCUM, or not convertible to the unit the case key needs."""


@lru_cache(maxsize=1)
def _registry() -> Any:
    from ucumvert import PintUcumRegistry  # type: ignore[import-untyped]

    return PintUcumRegistry()


@lru_cache(maxsize=256)
def _unit(code: str) -> Any:
    try:
        return _registry().from_ucum(code)
    except Exception as exc:  # ucumvert raises lark or pint errors for a code outside UCUM
        raise UnitError(f"{code!r} is not a UCUM unit code") from exc


def _round(value: float) -> Decimal:
    return Decimal(f"{value:.10g}")


def convert(value: Decimal, unit: str, target: str, molar_mass_g_per_mol: Decimal | None = None) -> Decimal:
    """``value`` in UCUM ``unit`` expressed in UCUM ``target``.

    A substance concentration (mol/volume) converts to a mass concentration only when
    ``molar_mass_g_per_mol`` is given. Raises :class:`UnitError` otherwise.
    """
    if unit == target:
        return value
    source_q = float(value) * _unit(unit)
    target_u = _unit(target)
    try:
        return _round(source_q.to(target_u).magnitude)
    except Exception as first:
        if molar_mass_g_per_mol is None:
            raise UnitError(f"{unit!r} cannot be converted to {target!r}") from first
    try:
        mass = source_q * (float(molar_mass_g_per_mol) * _unit("g/mol"))
        return _round(mass.to(target_u).magnitude)
    except Exception as exc:
        raise UnitError(f"{unit!r} cannot be converted to {target!r}, even with the molar mass "
                        f"{molar_mass_g_per_mol} g/mol") from exc
