"""The error raised for FHIR input that cannot be read as a case."""

from __future__ import annotations


class FhirInputError(Exception):
    """Bad FHIR: names the resource (type/id or bundle entry index), the path and the rule. Exit code 1."""

    exit_code = 1

    def __init__(self, where: str, path: str, rule: str) -> None:
        self.where = where
        self.path = path
        self.rule = rule
        at = f" at {path}" if path else ""
        super().__init__(f"{where}{at}: {rule}")
