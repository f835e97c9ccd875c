"""Errors and violations raised while reading a case."""

from __future__ import annotations

import json
from dataclasses import dataclass


@dataclass(frozen=True)
class Violation:
    """One way a case breaks the case-sheet contract: the key, the rule, the value."""

    key: str
    rule: str
    value: str = ""

    def text(self) -> str:
        shown = f" (given: {self.value})" if self.value else ""
        if not self.key.strip():
            key = f"{self.key!r} (an empty key)"
        elif ":" in self.key or not self.key.isprintable():
            key = json.dumps(self.key)  # quoted, so the key cannot be mistaken for the message's own ':'
        else:
            key = self.key
        return f"{key}: {self.rule}{shown}"


class CaseInputError(Exception):
    """A case file that cannot be read at all (missing, not JSON / RDF): exit code 2."""

    exit_code = 2

    def __init__(self, source: str, message: str) -> None:
        super().__init__(f"{source}: {message}")
        self.source = source
        self.message = message


class CaseValidationError(Exception):
    """A readable case that violates the contract: exit code 1, with every violation."""

    exit_code = 1

    def __init__(self, source: str, violations: list[Violation]) -> None:
        self.source = source
        self.violations = violations
        lines = [f"{source}: the case does not conform to the case-sheet contract ({len(violations)} violation(s)):"]
        lines += [f"  - {v.text()}" for v in violations]
        super().__init__("\n".join(lines))
