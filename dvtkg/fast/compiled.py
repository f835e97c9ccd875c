"""The compiled TBox as plain data (``CompiledClassifier``), loadable without rdflib.

``dvtkg.fast.compile`` builds it from the reasoner TBox; the classifier
(``dvtkg.fast.entail``) and the lean path only read it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

COMPILER_VERSION = 1
THING = "http://www.w3.org/2002/07/owl#Thing"
NOTHING = "http://www.w3.org/2002/07/owl#Nothing"

Expr = Any  # str | tuple (see dvtkg.fast.compile)


class UnsupportedAxiom(Exception):
    """The TBox uses a construct the fast classifier does not support (exit code 2)."""

    exit_code = 2


@dataclass
class CompiledClassifier:
    """The TBox as data: definitions, superclasses, disjointness and property axioms."""

    tbox_hash: str
    definitions: dict[str, list[Expr]] = field(default_factory=dict)
    supers: dict[str, list[Expr]] = field(default_factory=dict)
    disjoint: list[tuple[str, str]] = field(default_factory=list)
    domains: dict[str, list[str]] = field(default_factory=dict)
    ranges: dict[str, list[str]] = field(default_factory=dict)
    data_ranges: dict[str, list[str]] = field(default_factory=dict)
    functional: list[str] = field(default_factory=list)
    inverse_functional: list[str] = field(default_factory=list)
    inverses: dict[str, str] = field(default_factory=dict)
    object_properties: list[str] = field(default_factory=list)
    data_properties: list[str] = field(default_factory=list)
    classes: list[str] = field(default_factory=list)
    version: int = COMPILER_VERSION

    def payload(self) -> dict[str, Any]:
        """Everything but the stamp, in a canonical (sorted) form."""
        return {
            "definitions": {k: sorted((_canon(e) for e in v), key=_key) for k, v in sorted(self.definitions.items())},
            "supers": {k: sorted((_canon(e) for e in v), key=_key) for k, v in sorted(self.supers.items())},
            "disjoint": sorted(sorted(p) for p in self.disjoint),
            "domains": {k: sorted(v) for k, v in sorted(self.domains.items())},
            "ranges": {k: sorted(v) for k, v in sorted(self.ranges.items())},
            "data_ranges": {k: sorted(v) for k, v in sorted(self.data_ranges.items())},
            "functional": sorted(self.functional), "inverse_functional": sorted(self.inverse_functional),
            "inverses": dict(sorted(self.inverses.items())),
            "object_properties": sorted(self.object_properties), "data_properties": sorted(self.data_properties),
            "classes": sorted(self.classes), "version": self.version,
        }

    def to_json(self) -> str:
        return json.dumps({"tbox_hash": self.tbox_hash, **self.payload()}, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "CompiledClassifier":
        data = json.loads(text)
        if data.get("version") != COMPILER_VERSION:
            raise ValueError(f"compiled classifier version {data.get('version')} is not {COMPILER_VERSION}: recompile")
        out = cls(tbox_hash=data["tbox_hash"])
        out.definitions = {k: [_tuple(e) for e in v] for k, v in data["definitions"].items()}
        out.supers = {k: [_tuple(e) for e in v] for k, v in data["supers"].items()}
        out.disjoint = [tuple(p) for p in data["disjoint"]]
        for name in ("domains", "ranges", "data_ranges", "inverses"):
            setattr(out, name, data[name])
        for name in ("functional", "inverse_functional", "object_properties", "data_properties", "classes"):
            setattr(out, name, list(data[name]))
        if out.tbox_hash != tbox_hash(out.payload()):
            raise ValueError("compiled classifier: the TBox hash does not match its content (file damaged?)")
        return out

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(self.to_json(), encoding="utf-8")
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> "CompiledClassifier":
        return cls.from_json(path.read_text(encoding="utf-8"))


def _canon(e: Expr) -> Any:
    if isinstance(e, tuple):
        return [_canon(x) for x in e]
    return e


def _tuple(e: Any) -> Expr:
    if isinstance(e, list):
        return tuple(_tuple(x) for x in e)
    return e


def _key(e: Any) -> str:
    return json.dumps(e, sort_keys=True)


def tbox_hash(payload: dict[str, Any]) -> str:
    """SHA-256 of the canonical compiled TBox (blank-node free, order free)."""
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


